"""The one interface every detector implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from vision.detection import Detection
from vision.frame import ThermalFrame

__all__ = ["Detector", "GSD_RANGE_M"]

# Ground sample distances (m/px) a detector accepts: closer than 1 mm/px the camera is on the ground
# or against something; coarser than 20 m/px no body is a pixel.
GSD_RANGE_M = (0.001, 20.0)


@runtime_checkable
class Detector(Protocol):
    """Finds heat signatures in one frame.

    ``frame`` is a :class:`ThermalFrame` or a 2-D array (hot = larger).
    ``gsd_m`` is the ground sample distance in metres per pixel when the pose
    gives it; detectors that gate by metric size use it, others ignore it.
    Returns detections sorted by decreasing score; an empty list for a frame
    with nothing in it or a frame flagged unusable (constant/NUC).
    """

    name: str

    def detect(self, frame: ThermalFrame | np.ndarray, *, gsd_m: float | None = None,
               frame_index: int | None = None, frame_time_s: float | None = None) -> list[Detection]:
        ...
