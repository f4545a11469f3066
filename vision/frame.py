"""The frame type every reader returns and every detector takes.

A :class:`ThermalFrame` is a 2-D scalar image, (row, col), in which larger
means hotter, plus what is known about it: whether the values are
temperatures, raw sensor counts or display grey levels, when it was taken,
the camera pose and laser-rangefinder target when the file carries them, and
*flags* that say what went wrong or what was approximated (a constant
shutter/NUC frame, a DJI file whose raw data cannot be calibrated honestly,
a palette that was inverted). Detectors read the flags; nothing is hidden.
"""

from __future__ import annotations

import enum
import math
import types
from dataclasses import dataclass, field

import numpy as np

from geo.camera import CameraPose
from geo.errors import InputError, out_of_range

__all__ = ["ValueKind", "FrameFlag", "LrfTarget", "ThermalFrame", "check_constant"]


class ValueKind(str, enum.Enum):
    """What the numbers of a frame mean.

    TEMPERATURE_C: calibrated scene temperature in degrees Celsius (float32).
    COUNTS: raw radiometric sensor counts, monotonic in radiance but not
    calibrated (uint16 or float32); contrasts are meaningful, absolute values not.
    GREY: display grey levels (0..255, white-hot after any inversion), with AGC.
    """

    TEMPERATURE_C = "temperature_c"
    COUNTS = "counts"
    GREY = "grey"


class FrameFlag(str, enum.Enum):
    """Conditions a consumer of the frame must know about."""

    CONSTANT = "constant"              # no contrast at all: shutter/NUC event or dead sensor
    NOT_CALIBRATED = "not_calibrated"  # radiometric file whose temperatures cannot be decoded honestly
    FALLBACK_8BIT = "fallback_8bit"    # only the 8-bit display image was usable
    PALETTE_INVERTED = "palette_inverted"  # scalar recovered from a colour palette (approximate)
    BLACK_HOT_INVERTED = "black_hot_inverted"  # grey levels flipped so that hot is bright
    CORRUPT = "corrupt"                # part of the file could not be read


@dataclass(frozen=True, slots=True)
class LrfTarget:
    """The laser rangefinder's target point (DJI ``LRFTarget*`` XMP tags).

    ``alt_m`` is DJI's ``LRFTargetAlt`` (relative to take-off) and
    ``abs_alt_m`` its ``LRFTargetAbsAlt`` (above mean sea level) when present.
    """

    lat_deg: float
    lon_deg: float
    distance_m: float
    alt_m: float | None = None
    abs_alt_m: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.distance_m) and self.distance_m > 0):
            raise InputError(out_of_range("distance_m", self.distance_m, "> 0 m", "0 means no laser return"))
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise InputError(f"LRF target lat={self.lat_deg}, lon={self.lon_deg} is out of range.")


@dataclass(frozen=True, eq=False)
class ThermalFrame:
    """One thermal image, hotter = larger, with what is known about it.

    ``data`` is a 2-D array (rows, cols): float32 degrees Celsius when
    ``kind`` is TEMPERATURE_C, uint16/float32 counts for COUNTS, uint8 for
    GREY. ``flags`` and ``notes`` say what was approximated or failed (the
    notes are human sentences, one per flag where useful). ``meta`` holds the
    decoded tags (read-only).
    """

    data: np.ndarray
    kind: ValueKind
    frame_index: int | None = None
    time_s: float | None = None
    source: str = ""
    camera: str = ""
    flags: frozenset[FrameFlag] = frozenset()
    notes: tuple[str, ...] = ()
    pose: CameraPose | None = None
    lrf: LrfTarget | None = None
    meta: types.MappingProxyType = field(default_factory=lambda: types.MappingProxyType({}))

    def __post_init__(self) -> None:
        a = self.data
        if not isinstance(a, np.ndarray) or a.ndim != 2 or min(a.shape) < 2:
            shape = getattr(a, "shape", None)
            raise InputError(f"data has shape {shape}: a frame must be a 2-D (rows, cols) array of at least 2x2.")
        if not isinstance(self.kind, ValueKind):
            object.__setattr__(self, "kind", ValueKind(self.kind))
        object.__setattr__(self, "flags", frozenset(FrameFlag(f) for f in self.flags))
        if not isinstance(self.meta, types.MappingProxyType):
            object.__setattr__(self, "meta", types.MappingProxyType(dict(self.meta)))
        # A read-only view: the frame is a value; the caller's own array stays writable.
        view = a.view()
        view.flags.writeable = False
        object.__setattr__(self, "data", view)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape  # type: ignore[return-value]

    @property
    def is_temperature(self) -> bool:
        """True when ``data`` holds calibrated degrees Celsius."""
        return self.kind is ValueKind.TEMPERATURE_C

    @property
    def usable(self) -> bool:
        """False for frames a detector must skip (constant shutter/NUC frames)."""
        return FrameFlag.CONSTANT not in self.flags

    def with_flags(self, *flags: FrameFlag, note: str = "") -> ThermalFrame:
        """A copy with more flags (and one more note)."""
        notes = self.notes + ((note,) if note else ())
        return ThermalFrame(self.data, self.kind, self.frame_index, self.time_s, self.source, self.camera,
                            self.flags | frozenset(flags), notes, self.pose, self.lrf, self.meta)

    def with_index(self, frame_index: int | None, time_s: float | None) -> ThermalFrame:
        return ThermalFrame(self.data, self.kind, frame_index, time_s, self.source, self.camera,
                            self.flags, self.notes, self.pose, self.lrf, self.meta)

    def to_grey8(self) -> np.ndarray:
        """A uint8 display image (white-hot), stretched between the 1st and 99th percentile."""
        a = self.data
        if a.dtype == np.uint8:
            return a.copy()
        lo, hi = np.percentile(a[::4, ::4], [1, 99])
        if not hi > lo:
            return np.zeros(a.shape, np.uint8)
        return np.clip((a.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def check_constant(frame: ThermalFrame, *, min_range: float | None = None) -> ThermalFrame:
    """Flag the frame CONSTANT when its spread is below ``min_range``.

    The default threshold is 2 grey levels, 4 counts or 0.05 degC between the
    0.5th and 99.5th percentile: a closed shutter (NUC) or a dead sensor.
    """
    if min_range is None:
        min_range = {ValueKind.GREY: 2.0, ValueKind.COUNTS: 4.0, ValueKind.TEMPERATURE_C: 0.05}[frame.kind]
    sub = frame.data[::2, ::2]
    if sub.dtype.kind == "f":
        finite = np.isfinite(sub)
        if not finite.any():
            return frame.with_flags(FrameFlag.CORRUPT, FrameFlag.CONSTANT, note="frame has no finite values; skipped")
        if not finite.all():
            frame = frame.with_flags(FrameFlag.CORRUPT, note="frame has NaN or infinite values (dead pixels?)")
            sub = sub[finite]
    lo, hi = np.percentile(sub, [0.5, 99.5])
    if hi - lo < min_range:
        return frame.with_flags(
            FrameFlag.CONSTANT,
            note=f"frame is flat (spread {hi - lo:.3g} < {min_range:g}): shutter/NUC event or dead sensor; skipped",
        )
    return frame
