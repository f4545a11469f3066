"""Camera poses over a scene: above a point, or aimed at a point (pure)."""

from __future__ import annotations

import math

import geo
from geo.errors import InputError
from sim.scene import Scene

__all__ = ["pose_above", "pose_looking_at"]


def pose_above(scene: Scene, lat_deg: float, lon_deg: float, agl_m: float, *, gimbal_pitch_deg: float = -90.0,
               yaw_deg: float = 0.0, time_s: float | None = None) -> geo.CameraPose:
    """A camera ``agl_m`` above the ground at (lat, lon), heading ``yaw_deg``, gimbal pitched ``gimbal_pitch_deg``."""
    if not (math.isfinite(agl_m) and 1.0 <= agl_m <= 5000.0):
        raise InputError(f"agl_m={agl_m!r} is out of range: allowed 1..5000 m above the ground.")
    ground = scene.ground_amsl_m(lat_deg, lon_deg)
    return geo.CameraPose(lat_deg, lon_deg, ground + agl_m, yaw_deg=yaw_deg, gimbal_pitch_deg=gimbal_pitch_deg,
                          time_s=time_s)


def pose_looking_at(scene: Scene, x_m: float, y_m: float, agl_m: float, depression_deg: float, yaw_deg: float,
                    *, time_s: float | None = None) -> geo.CameraPose:
    """A camera whose optical axis meets the ground near local (x_m, y_m), ``agl_m`` above its own ground."""
    if not 5.0 <= depression_deg <= 90.0:
        raise InputError(f"depression_deg={depression_deg} is out of range: allowed 5..90.")
    yaw = math.radians(yaw_deg)
    zt = float(scene.grid.height_at(x_m, y_m))
    cx, cy, z_cam = x_m, y_m, zt + agl_m
    for _ in range(3):  # the ground under the camera differs from the aim point's
        d = (z_cam - zt) / math.tan(math.radians(depression_deg)) if depression_deg < 90 else 0.0
        cx, cy = x_m - d * math.sin(yaw), y_m - d * math.cos(yaw)
        g = float(scene.grid.height_at(cx, cy))
        if math.isnan(g):
            g = zt
        z_cam = g + agl_m
    lat, lon = scene.frame.to_geodetic(cx, cy)
    return geo.CameraPose(float(lat), float(lon), z_cam, yaw_deg=yaw_deg % 360.0, gimbal_pitch_deg=-depression_deg,
                          time_s=time_s)
