"""The pose track: where the aircraft and its camera were, sample by sample.

A :class:`PoseTrack` is a frozen set of equal-length arrays on one clock (the
*flight clock*: seconds of the autopilot's boot time for live links and logs).
It answers "where was the camera at time t" by interpolation, with yaw angles
unwrapped before interpolating so that 359 deg -> 1 deg passes through 0, not
180. Computation only: readers of logs and links build tracks, they do not
live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo.camera import CameraPose, MountMode
from geo.errors import InputError, out_of_range

__all__ = ["PoseTrack", "PoseArrays", "CameraEvent"]

_ARRAYS = ("time_s", "lat_deg", "lon_deg", "alt_amsl_m", "roll_deg", "pitch_deg", "yaw_deg",
           "gimbal_roll_deg", "gimbal_pitch_deg", "gimbal_yaw_deg")


@dataclass(frozen=True, slots=True)
class CameraEvent:
    """A camera trigger reported by the autopilot (CAMERA_FEEDBACK, CAMERA_TRIGGER, CAM)."""

    time_s: float
    image_index: int
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None


@dataclass(frozen=True)
class PoseArrays:
    """Poses at many times as arrays (the vectorised form of :meth:`PoseTrack.pose_at`)."""

    time_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_amsl_m: np.ndarray
    roll_deg: np.ndarray
    pitch_deg: np.ndarray
    yaw_deg: np.ndarray
    gimbal_roll_deg: np.ndarray
    gimbal_pitch_deg: np.ndarray
    gimbal_yaw_deg: np.ndarray
    mount_mode: MountMode
    inside: np.ndarray  # True where the time lies within the track (no extrapolation)

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    def pose(self, i: int) -> CameraPose:
        return CameraPose(float(self.lat_deg[i]), float(self.lon_deg[i]), float(self.alt_amsl_m[i]),
                          float(self.roll_deg[i]), float(self.pitch_deg[i]), float(self.yaw_deg[i]),
                          float(self.gimbal_roll_deg[i]), float(self.gimbal_pitch_deg[i]),
                          float(self.gimbal_yaw_deg[i]), self.mount_mode, float(self.time_s[i]))


def _wrap180(a):
    return (np.asarray(a, float) + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class PoseTrack:
    """Time-ordered poses of the aircraft and its gimbal.

    Arrays are 1-D, equal length, ``time_s`` strictly increasing (seconds on
    the flight clock). Altitude is AMSL in metres; attitude and gimbal angles
    in degrees with :mod:`geo.camera`'s conventions; ``mount_mode`` says how
    gimbal angles combine with the vehicle's. ``gps_glitch`` flags samples
    whose position was rejected as a glitch (they are kept, and interpolation
    skips nothing: readers replace glitched altitudes before building the track).
    """

    time_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_amsl_m: np.ndarray
    roll_deg: np.ndarray
    pitch_deg: np.ndarray
    yaw_deg: np.ndarray
    gimbal_roll_deg: np.ndarray
    gimbal_pitch_deg: np.ndarray
    gimbal_yaw_deg: np.ndarray
    mount_mode: MountMode = MountMode.EARTH_YAW_BODY
    gps_glitch: np.ndarray | None = field(default=None, repr=False)
    camera_events: tuple[CameraEvent, ...] = field(default=(), repr=False)
    _yaw_unwrapped: np.ndarray = field(init=False, repr=False, compare=False)
    _gyaw_unwrapped: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = None
        for nm in _ARRAYS:
            a = np.ascontiguousarray(np.asarray(getattr(self, nm), float).ravel())
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise InputError(f"{nm} has {a.shape[0]} samples but time_s has {n}: all arrays must be equal length.")
            if not np.all(np.isfinite(a)):
                raise InputError(f"{nm} contains NaN or infinite values. Hint: drop incomplete samples first.")
            a.setflags(write=False)
            object.__setattr__(self, nm, a)
        if n is None or n < 1:
            raise InputError("a pose track needs at least one sample. Hint: the log has no position messages.")
        if n > 1 and not np.all(np.diff(self.time_s) > 0):
            raise InputError("time_s must be strictly increasing. Hint: sort samples and drop duplicates (PoseTrack.from_samples).")
        g = np.zeros(n, bool) if self.gps_glitch is None else np.asarray(self.gps_glitch, bool).ravel()
        if g.shape[0] != n:
            raise InputError(f"gps_glitch has {g.shape[0]} samples, expected {n}.")
        g.setflags(write=False)
        object.__setattr__(self, "gps_glitch", g)
        if not isinstance(self.mount_mode, MountMode):
            object.__setattr__(self, "mount_mode", MountMode(self.mount_mode))
        object.__setattr__(self, "camera_events", tuple(self.camera_events))
        object.__setattr__(self, "_yaw_unwrapped", np.degrees(np.unwrap(np.radians(self.yaw_deg))))
        object.__setattr__(self, "_gyaw_unwrapped", np.degrees(np.unwrap(np.radians(self.gimbal_yaw_deg))))

    @classmethod
    def from_samples(cls, time_s, lat_deg, lon_deg, alt_amsl_m, roll_deg, pitch_deg, yaw_deg,
                     gimbal_roll_deg=None, gimbal_pitch_deg=None, gimbal_yaw_deg=None, *,
                     mount_mode: MountMode = MountMode.EARTH_YAW_BODY, gps_glitch=None,
                     camera_events=()) -> PoseTrack:
        """Sort by time and drop duplicate times (the first sample wins); gimbal defaults to nadir."""
        t = np.asarray(time_s, float).ravel()
        n = t.shape[0]

        def arr(a, default):
            return np.full(n, default) if a is None else np.asarray(a, float).ravel()

        cols = [t, arr(lat_deg, 0), arr(lon_deg, 0), arr(alt_amsl_m, 0), arr(roll_deg, 0), arr(pitch_deg, 0),
                arr(yaw_deg, 0), arr(gimbal_roll_deg, 0.0), arr(gimbal_pitch_deg, -90.0), arr(gimbal_yaw_deg, 0.0)]
        g = np.zeros(n, bool) if gps_glitch is None else np.asarray(gps_glitch, bool).ravel()
        order = np.argsort(t, kind="stable")
        ts = t[order]
        keep = np.ones(n, bool)
        keep[1:] = np.diff(ts) > 0
        sel = order[keep]
        return cls(*(c[sel] for c in cols), mount_mode=mount_mode, gps_glitch=g[sel], camera_events=camera_events)

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def start_s(self) -> float:
        return float(self.time_s[0])

    @property
    def end_s(self) -> float:
        return float(self.time_s[-1])

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def poses_at(self, t_s, *, max_extrapolation_s: float = 0.0) -> PoseArrays:
        """Interpolated poses at times ``t_s`` (array); vectorised.

        Times outside the track by more than ``max_extrapolation_s`` get the
        nearest end pose and ``inside`` False; callers decide whether to drop them.
        """
        t = np.atleast_1d(np.asarray(t_s, float))
        tt = self.time_s

        def lerp(v):
            return np.interp(t, tt, v)

        inside = (t >= tt[0] - max_extrapolation_s) & (t <= tt[-1] + max_extrapolation_s)
        return PoseArrays(
            t, lerp(self.lat_deg), lerp(self.lon_deg), lerp(self.alt_amsl_m), lerp(self.roll_deg),
            np.clip(lerp(self.pitch_deg), -90.0, 90.0), _wrap180(lerp(self._yaw_unwrapped)),
            lerp(self.gimbal_roll_deg), lerp(self.gimbal_pitch_deg), _wrap180(lerp(self._gyaw_unwrapped)),
            self.mount_mode, inside,
        )

    def pose_at(self, t_s: float) -> CameraPose:
        """The interpolated camera pose at ``t_s`` (seconds on the flight clock).

        Raises :class:`InputError` outside the track: no silent extrapolation.
        """
        t = float(t_s)
        if not math.isfinite(t) or not (self.start_s <= t <= self.end_s):
            raise InputError(out_of_range("t_s", t_s, f"{self.start_s:.3f} <= t_s <= {self.end_s:.3f}",
                                          "the frame time is outside the flight log; check the clock offset."))
        return self.poses_at(np.array([t])).pose(0)

    def velocity_m_s(self, t_s) -> np.ndarray:
        """Ground velocity (east, north, up) in m/s at times ``t_s`` from finite differences; shape (N, 3)."""
        t = np.atleast_1d(np.asarray(t_s, float))
        if len(self) < 2:
            return np.zeros((t.shape[0], 3))
        lat0 = float(np.mean(self.lat_deg))
        m_per_deg_lat = 111_132.954 - 559.822 * math.cos(2 * math.radians(lat0))
        m_per_deg_lon = 111_412.84 * math.cos(math.radians(lat0))
        dt = np.diff(self.time_s)
        ve = np.diff(self.lon_deg) * m_per_deg_lon / dt
        vn = np.diff(self.lat_deg) * m_per_deg_lat / dt
        vu = np.diff(self.alt_amsl_m) / dt
        mid = 0.5 * (self.time_s[1:] + self.time_s[:-1])
        return np.column_stack([np.interp(t, mid, ve), np.interp(t, mid, vn), np.interp(t, mid, vu)])

    def yaw_rate_deg_s(self, t_s) -> np.ndarray:
        """Absolute yaw rate in deg/s at ``t_s`` (for the timing error of the camera's pointing)."""
        t = np.atleast_1d(np.asarray(t_s, float))
        if len(self) < 2:
            return np.zeros(t.shape[0])
        rate = np.abs(np.diff(self._yaw_unwrapped + self._gyaw_unwrapped)) / np.diff(self.time_s)
        mid = 0.5 * (self.time_s[1:] + self.time_s[:-1])
        return np.interp(t, mid, rate)
