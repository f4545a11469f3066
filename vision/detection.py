"""The detection type every detector returns."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import InputError

__all__ = ["Detection", "TARGET_CLASSES"]

# Classes thermal-sar reports. "hotspot" is a warm blob of no recognised class.
TARGET_CLASSES = ("person", "sheep", "cow", "dog", "animal", "vehicle", "hotspot")


@dataclass(frozen=True, slots=True)
class Detection:
    """One heat signature found in one frame.

    The box is in pixels of the frame, (row, col) convention: ``top_px`` and
    ``left_px`` inclusive edges, ``bottom_px`` and ``right_px`` exclusive, as
    floats (sub-pixel for YOLO). ``score`` is in [0, 1].
    """

    top_px: float
    left_px: float
    bottom_px: float
    right_px: float
    score: float
    class_name: str = "hotspot"
    frame_index: int | None = None
    frame_time_s: float | None = None
    source: str = ""
    area_m2: float | None = None
    peak_contrast: float | None = None

    def __post_init__(self) -> None:
        if not (self.bottom_px > self.top_px and self.right_px > self.left_px):
            raise InputError(
                f"box top={self.top_px}, left={self.left_px}, bottom={self.bottom_px}, right={self.right_px} "
                "is empty: bottom must exceed top and right exceed left."
            )
        if not (0.0 <= self.score <= 1.0) or math.isnan(self.score):
            raise InputError(f"score={self.score} is out of range: allowed 0..1.")

    @property
    def row_px(self) -> float:
        """Row of the box centre."""
        return 0.5 * (self.top_px + self.bottom_px)

    @property
    def col_px(self) -> float:
        """Column of the box centre."""
        return 0.5 * (self.left_px + self.right_px)

    @property
    def height_px(self) -> float:
        return self.bottom_px - self.top_px

    @property
    def width_px(self) -> float:
        return self.right_px - self.left_px

    def iou(self, other: Detection) -> float:
        """Intersection over union of the two boxes."""
        ih = max(0.0, min(self.bottom_px, other.bottom_px) - max(self.top_px, other.top_px))
        iw = max(0.0, min(self.right_px, other.right_px) - max(self.left_px, other.left_px))
        inter = ih * iw
        union = self.height_px * self.width_px + other.height_px * other.width_px - inter
        return inter / union if union > 0 else 0.0

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}

    @classmethod
    def from_dict(cls, d: dict) -> Detection:
        return cls(**{k: d[k] for k in cls.__slots__ if k in d})
