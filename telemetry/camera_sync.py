"""Aligning a camera's clock with the flight log's, from camera-trigger events (pure computation).

A replay needs, for every frame, the time on the *flight clock* (the
autopilot's boot time, on which :class:`~telemetry.track.PoseTrack` lives):
``log time = frame time + offset``. When the autopilot triggered the camera
(``DO_DIGICAM_CONTROL``, ``CAM_TRIGG_DIST``), the log records each trigger
(DataFlash ``CAM``/``TRIG``, MAVLink ``CAMERA_FEEDBACK``/``CAMERA_TRIGGER``)
and the camera stamps each image: the pattern of intervals is the same on both
clocks, so the offset that lines the two lists up is the clock offset.

:func:`fit_clock_offset` finds it with :func:`telemetry.glitch.estimate_clock_offset`
(the most events matched, then the median of the matched differences) and says
how well it fits (:class:`ClockFit`: matches, RMS and worst residual), so a
pilot can tell a sound alignment from a lucky one.

Camera clocks differ from the autopilot's by anything from seconds to the
time zone plus the POSIX epoch (EXIF times are local wall-clock times, the
log's are seconds since boot); both lists are therefore first referred to
their own first value, and the search spans the whole flight.

>>> fit = fit_clock_offset([1000.0, 1002.0, 1005.0, 1006.5], [12.0, 14.0, 17.0, 18.5])
>>> round(fit.offset_s, 3), fit.matched, fit.rms_residual_s
(-988.0, 4, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo.errors import InputError
from telemetry.glitch import estimate_clock_offset

__all__ = ["ClockFit", "fit_clock_offset", "auto_tolerance_s", "frames_inside"]


@dataclass(frozen=True, slots=True)
class ClockFit:
    """An offset between two clocks and how well the events agree.

    ``offset_s`` is added to frame times to put them on the flight clock.
    ``matched`` frames lie within ``tolerance_s`` of a trigger event once
    shifted; ``rms_residual_s`` and ``max_residual_s`` are over those matches
    (frame time + offset - nearest trigger time). ``frames`` and ``events``
    count what was offered.
    """

    offset_s: float
    matched: int
    frames: int
    events: int
    rms_residual_s: float
    max_residual_s: float
    tolerance_s: float

    def __post_init__(self) -> None:
        for name in ("offset_s", "rms_residual_s", "max_residual_s", "tolerance_s"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise InputError(f"{name}={v!r} must be finite.")

    @property
    def matched_fraction(self) -> float:
        """Matched frames over the smaller of frames and events (1.0: every possible pair matched)."""
        return self.matched / max(1, min(self.frames, self.events))


def auto_tolerance_s(frame_times_s) -> float:
    """How far a frame may lie from its trigger and still match.

    EXIF ``DateTimeOriginal`` has whole seconds (DJI writes no sub-seconds): a
    frame stamped at 14:35:32 was taken in [32, 33), so 0.6 s. Otherwise 0.05 s
    covers the shutter latency of a triggered camera.
    """
    f = np.asarray(frame_times_s, float).ravel()
    if f.size and np.all(np.abs(f - np.round(f)) < 1e-6):
        return 0.6
    return 0.05


def fit_clock_offset(frame_times_s, trigger_times_s, *, tolerance_s: float | None = None) -> ClockFit:
    """The offset that lines frame times up with trigger events, and how well it fits.

    Parameters
    ----------
    frame_times_s : capture times of the frames on the camera's clock, seconds (any epoch).
    trigger_times_s : trigger events of the autopilot on the flight clock, seconds.
    tolerance_s : how close a shifted frame must come to a trigger to match;
        None picks :func:`auto_tolerance_s`.

    Either list may miss events (a dropped frame, a trigger the camera ignored).
    Raises :class:`InputError` when there are too few events, when fewer than two
    match, or when several offsets fit equally well (see
    :func:`telemetry.glitch.estimate_clock_offset`).
    """
    f = np.sort(np.asarray(frame_times_s, float).ravel())
    g = np.sort(np.asarray(trigger_times_s, float).ravel())
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(g))):
        raise InputError("frame and trigger times must be finite numbers of seconds.")
    tol = auto_tolerance_s(f) if tolerance_s is None else float(tolerance_s)
    if not (math.isfinite(tol) and tol > 0):
        raise InputError(f"tolerance_s={tolerance_s!r} is out of range: allowed > 0 s.")
    if f.size < 2 or g.size < 2:
        raise InputError(
            f"need at least 2 frames with times and 2 camera-trigger events to estimate the clock offset, got "
            f"{f.size} and {g.size}. Hint: pass the offset explicitly (--clock-offset-s).")
    f0, g0 = float(f[0]), float(g[0])
    # Search every offset that keeps some frame inside the triggers' span.
    span = float(f[-1] - f[0] + g[-1] - g[0]) + 1.0
    rel, _ = estimate_clock_offset(f - f0, g - g0, tolerance_s=tol, max_offset_s=span)
    offset = rel + g0 - f0
    shifted = f + offset
    j = np.clip(np.searchsorted(g, shifted), 1, g.size - 1)
    before, after = shifted - g[j - 1], shifted - g[j]
    resid = np.where(np.abs(before) <= np.abs(after), before, after)
    ok = np.abs(resid) <= tol
    r = resid[ok]
    return ClockFit(float(offset), int(ok.sum()), int(f.size), int(g.size),
                    float(np.sqrt(np.mean(r * r))) if r.size else 0.0,
                    float(np.max(np.abs(r))) if r.size else 0.0, tol)


def frames_inside(frame_times_s, offset_s: float, start_s: float, end_s: float) -> np.ndarray:
    """True for the frames whose time plus ``offset_s`` lies within [``start_s``, ``end_s``] (the log's span)."""
    t = np.asarray(frame_times_s, float) + float(offset_s)
    return (t >= start_s) & (t <= end_s)
