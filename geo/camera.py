"""Camera models, thermal camera presets and camera poses.

Pixel convention: images are (row, col) arrays; a pixel's centre has integer
coordinates, so the image centre of a W x H frame is col (W-1)/2, row (H-1)/2.

Camera frame (OpenCV): x to the image right, y to the image bottom, z along
the optical axis.

Attitude conventions (MAVLink/ArduPilot, NED):

* vehicle ``roll_deg, pitch_deg, yaw_deg``: aerospace Z-Y-X Euler angles of
  the body (x nose, y right wing, z down) in the local NED frame; yaw clockwise
  from true north, pitch nose-up positive, roll right-wing-down positive
  (MAVLink ATTITUDE, in radians there).
* gimbal ``gimbal_roll_deg, gimbal_pitch_deg, gimbal_yaw_deg``: the same
  Euler sequence for the camera's mount; pitch 0 looks level along the nose,
  -90 looks straight down (MAVLink MOUNT_STATUS/GIMBAL_DEVICE, DJI XMP).
  How they combine with the vehicle's attitude is the :class:`MountMode`.
  DJI's ``GimbalYawDegree`` is absolute (from north): use ``MountMode.EARTH``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from geo.coords import check_lat_lon
from geo.errors import CameraError, CoordinateError, out_of_range

__all__ = [
    "CameraModel",
    "CAMERA_PRESETS",
    "camera_preset",
    "MountMode",
    "CameraPose",
    "rotation_zyx",
    "ned_to_enu",
]


@dataclass(frozen=True, slots=True)
class CameraModel:
    """A pinhole camera with optional OpenCV (Brown-Conrady) distortion.

    Use a named constructor: :meth:`from_fov`, :meth:`from_dfov`,
    :meth:`from_sensor` or :meth:`from_intrinsics`.
    """

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    dist_coeffs: tuple[float, ...] = ()
    name: str = "custom"
    pixel_pitch_um: float | None = None
    netd_mk: float | None = None

    def __post_init__(self) -> None:
        for nm in ("width_px", "height_px"):
            v = getattr(self, nm)
            if not (isinstance(v, (int, np.integer)) and 8 <= v <= 20000):
                raise CameraError(out_of_range(nm, v, "an integer 8..20000"))
        for nm in ("fx_px", "fy_px"):
            v = getattr(self, nm)
            if not (math.isfinite(v) and v > 0):
                raise CameraError(out_of_range(nm, v, "> 0 pixels", "focal length in pixels = focal_mm / pixel pitch"))
        if len(self.dist_coeffs) not in (0, 4, 5, 8):
            raise CameraError(
                f"dist_coeffs has {len(self.dist_coeffs)} values; OpenCV expects 4, 5 or 8 (k1, k2, p1, p2[, k3...])."
            )
        object.__setattr__(self, "dist_coeffs", tuple(float(c) for c in self.dist_coeffs))

    # -- named constructors ------------------------------------------------
    @classmethod
    def from_fov(cls, width_px: int, height_px: int, hfov_deg: float, *, name: str = "custom",
                 **kw) -> CameraModel:
        """Square pixels and a horizontal field of view in degrees (0 < hfov < 180)."""
        _check_fov("hfov_deg", hfov_deg)
        fx = (width_px / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(int(width_px), int(height_px), fx, fx, (width_px - 1) / 2.0, (height_px - 1) / 2.0, name=name, **kw)

    @classmethod
    def from_dfov(cls, width_px: int, height_px: int, dfov_deg: float, *, name: str = "custom",
                  **kw) -> CameraModel:
        """Square pixels and a diagonal field of view in degrees (as DJI publishes it)."""
        _check_fov("dfov_deg", dfov_deg)
        diag = math.hypot(width_px, height_px)
        f = (diag / 2.0) / math.tan(math.radians(dfov_deg) / 2.0)
        return cls(int(width_px), int(height_px), f, f, (width_px - 1) / 2.0, (height_px - 1) / 2.0, name=name, **kw)

    @classmethod
    def from_sensor(cls, width_px: int, height_px: int, pixel_pitch_um: float, focal_mm: float, *,
                    name: str = "custom", **kw) -> CameraModel:
        """Pixel pitch in micrometres and focal length in millimetres."""
        if not (pixel_pitch_um > 0 and focal_mm > 0):
            raise CameraError(
                f"pixel_pitch_um={pixel_pitch_um}, focal_mm={focal_mm}: both must be > 0 "
                "(thermal cores have 12 or 17 um pixels)."
            )
        f = focal_mm * 1000.0 / pixel_pitch_um
        return cls(int(width_px), int(height_px), f, f, (width_px - 1) / 2.0, (height_px - 1) / 2.0,
                   name=name, pixel_pitch_um=pixel_pitch_um, **kw)

    @classmethod
    def from_intrinsics(cls, width_px: int, height_px: int, fx_px: float, fy_px: float, cx_px: float,
                        cy_px: float, dist_coeffs=(), *, name: str = "custom") -> CameraModel:
        """An OpenCV calibration (camera matrix and distortion coefficients)."""
        return cls(int(width_px), int(height_px), float(fx_px), float(fy_px), float(cx_px), float(cy_px),
                   tuple(dist_coeffs), name=name)

    # -- properties ------------------------------------------------------------
    @property
    def hfov_deg(self) -> float:
        return math.degrees(2 * math.atan((self.width_px / 2.0) / self.fx_px))

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2 * math.atan((self.height_px / 2.0) / self.fy_px))

    @property
    def matrix(self) -> np.ndarray:
        """3x3 OpenCV camera matrix."""
        return np.array([[self.fx_px, 0, self.cx_px], [0, self.fy_px, self.cy_px], [0, 0, 1.0]])

    def gsd_m(self, range_m):
        """Ground sample distance in metres per pixel at ``range_m`` along the optical axis."""
        return np.asarray(range_m, float) / math.sqrt(self.fx_px * self.fy_px) if np.ndim(range_m) else float(range_m) / math.sqrt(self.fx_px * self.fy_px)

    def footprint_size_m(self, range_m: float) -> tuple[float, float]:
        """(width_m, height_m) of the image on a plane at ``range_m`` facing the camera."""
        return (range_m * self.width_px / self.fx_px, range_m * self.height_px / self.fy_px)

    # -- projections -----------------------------------------------------------
    def pixel_to_camera(self, rows, cols) -> np.ndarray:
        """Unit ray directions in the camera frame for pixel coordinates; shape (..., 3)."""
        r = np.asarray(rows, float)
        c = np.asarray(cols, float)
        r, c = np.broadcast_arrays(r, c)
        if self.dist_coeffs:
            x, y = self._undistort((c - self.cx_px) / self.fx_px, (r - self.cy_px) / self.fy_px)
        else:
            x = (c - self.cx_px) / self.fx_px
            y = (r - self.cy_px) / self.fy_px
        v = np.stack([x, y, np.ones_like(x)], axis=-1)
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def camera_to_pixel(self, v_cam: np.ndarray):
        """Project camera-frame vectors (..., 3) to ``(rows, cols, in_front)``.

        Points behind the camera get NaN pixel coordinates and ``in_front`` False.
        """
        v = np.asarray(v_cam, float)
        z = v[..., 2]
        in_front = z > 1e-9
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(in_front, v[..., 0] / z, np.nan)
            y = np.where(in_front, v[..., 1] / z, np.nan)
        if self.dist_coeffs:
            x, y = self._distort(x, y)
        return self.cy_px + self.fy_px * y, self.cx_px + self.fx_px * x, in_front

    def _distort(self, x, y):
        """Apply the OpenCV distortion model to normalised coordinates."""
        k1, k2, p1, p2, k3, k4, k5, k6 = list(self.dist_coeffs) + [0.0] * (8 - len(self.dist_coeffs))
        r2 = x * x + y * y
        radial = (1 + k1 * r2 + k2 * r2**2 + k3 * r2**3) / (1 + k4 * r2 + k5 * r2**2 + k6 * r2**3)
        return (x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y)

    def _undistort(self, xd, yd):
        """Invert :meth:`_distort` by fixed-point iteration (as OpenCV does), to 1e-12."""
        k1, k2, p1, p2, k3, k4, k5, k6 = list(self.dist_coeffs) + [0.0] * (8 - len(self.dist_coeffs))
        x, y = xd.copy(), yd.copy()
        for _ in range(200):
            r2 = x * x + y * y
            icdist = (1 + k4 * r2 + k5 * r2**2 + k6 * r2**3) / (1 + k1 * r2 + k2 * r2**2 + k3 * r2**3)
            dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
            dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
            xn = (xd - dx) * icdist
            yn = (yd - dy) * icdist
            step = np.max(np.abs(xn - x), initial=0.0) + np.max(np.abs(yn - y), initial=0.0)
            x, y = xn, yn
            if step < 1e-13:
                break
        return x, y

    def contains_pixel(self, rows, cols):
        """True where (row, col) lies on the sensor."""
        r = np.asarray(rows, float)
        c = np.asarray(cols, float)
        return (r >= -0.5) & (r <= self.height_px - 0.5) & (c >= -0.5) & (c <= self.width_px - 0.5)


def _check_fov(name: str, v: float) -> None:
    if not (math.isfinite(v) and 0.0 < v < 180.0):
        raise CameraError(out_of_range(name, v, f"0 < {name} < 180", "field of view in degrees, e.g. 45"))


def _preset_table() -> dict[str, CameraModel]:
    p: dict[str, CameraModel] = {}
    # DJI Matrice 30T wide thermal: 640x512 uncooled VOx, 12 um, DFOV 61 deg,
    # focal 9.1 mm (40 mm equiv.), NETD <= 50 mK. Source: DJI M30 series specs page.
    p["m30t"] = CameraModel.from_dfov(640, 512, 61.0, name="DJI M30T thermal", pixel_pitch_um=12.0, netd_mk=50.0)
    # DJI Mavic 3 Thermal (M3T): 640x512, 12 um, DFOV 61 deg, 40 mm equiv., NETD <= 50 mK.
    # Source: DJI Mavic 3 Enterprise specs page.
    p["mavic3t"] = CameraModel.from_dfov(640, 512, 61.0, name="DJI Mavic 3T thermal", pixel_pitch_um=12.0, netd_mk=50.0)
    # DJI Zenmuse H20T thermal: 640x512, 12 um, DFOV 40.6 deg, focal 13.5 mm, NETD <= 50 mK.
    # Source: DJI Zenmuse H20 series specs page.
    p["h20t"] = CameraModel.from_dfov(640, 512, 40.6, name="DJI Zenmuse H20T thermal", pixel_pitch_um=12.0, netd_mk=50.0)
    # DJI Zenmuse H30T thermal: 1280x1024, 12 um, DFOV 32 deg, focal 24 mm (53 mm equiv.), NETD <= 50 mK.
    # Source: DJI Zenmuse H30 series specs page.
    p["h30t"] = CameraModel.from_dfov(1280, 1024, 32.0, name="DJI Zenmuse H30T thermal", pixel_pitch_um=12.0, netd_mk=50.0)
    # FLIR Boson 640: 640x512, 12 um VOx, NETD <= 50 mK (industrial grade <= 40 mK).
    # Lens options from the Teledyne FLIR Boson datasheet; FOV follows from focal
    # length and pitch (the widest lenses add barrel distortion not modelled here).
    for f_mm in (4.9, 6.3, 8.7, 14.0, 18.0, 24.0, 36.0):
        key = f"boson640-{f_mm:g}mm"
        p[key] = CameraModel.from_sensor(640, 512, 12.0, f_mm, name=f"FLIR Boson 640 {f_mm:g} mm", netd_mk=50.0)
    p["boson640"] = p["boson640-14mm"]
    # FLIR Lepton 3.5: 160x120, 12 um, HFOV 57 deg (diagonal 71 deg), NETD < 50 mK.
    # Source: Teledyne FLIR Lepton 3.5 datasheet.
    p["lepton35"] = CameraModel.from_fov(160, 120, 57.0, name="FLIR Lepton 3.5", pixel_pitch_um=12.0, netd_mk=50.0)
    # Autel EVO II Dual 640T: 640x512, 12 um VOx, 13 mm lens (about 33 deg HFOV), NETD <= 50 mK.
    # Source: Autel Robotics EVO II Dual 640T specs page.
    p["autel640t"] = CameraModel.from_sensor(640, 512, 12.0, 13.0, name="Autel EVO II Dual 640T thermal", netd_mk=50.0)
    return p


CAMERA_PRESETS: dict[str, CameraModel] = _preset_table()


def camera_preset(name: str) -> CameraModel:
    """The thermal camera preset called ``name`` (see :data:`CAMERA_PRESETS`)."""
    key = str(name).strip().lower().replace("_", "").replace(" ", "")
    aliases = {"m30": "m30t", "m3t": "mavic3t", "mavic3thermal": "mavic3t", "boson": "boson640", "lepton": "lepton35"}
    key = aliases.get(key, key)
    if key not in CAMERA_PRESETS:
        raise CameraError(
            f"camera={name!r} is not a known preset; allowed: {', '.join(sorted(CAMERA_PRESETS))}. "
            "Hint: or describe a custom camera by its resolution and field of view."
        )
    return CAMERA_PRESETS[key]


class MountMode(str, enum.Enum):
    """How gimbal angles relate to the vehicle.

    BODY: roll, pitch and yaw relative to the vehicle body (a fixed mount).
    EARTH: roll and pitch relative to the horizon, yaw absolute from north (DJI).
    EARTH_YAW_BODY: roll and pitch relative to the horizon, yaw relative to the
    vehicle's heading (ArduPilot's default "yaw follows vehicle" mode).
    """

    BODY = "body"
    EARTH = "earth"
    EARTH_YAW_BODY = "earth-yaw-body"


def rotation_zyx(yaw_deg, pitch_deg, roll_deg) -> np.ndarray:
    """Rotation matrix (NED from body) of aerospace Z-Y-X Euler angles; shape (..., 3, 3)."""
    y, p, r = (np.radians(np.asarray(a, float)) for a in (yaw_deg, pitch_deg, roll_deg))
    y, p, r = np.broadcast_arrays(y, p, r)
    cy, sy, cp, sp, cr, sr = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    m = np.empty(y.shape + (3, 3))
    m[..., 0, 0] = cy * cp
    m[..., 0, 1] = cy * sp * sr - sy * cr
    m[..., 0, 2] = cy * sp * cr + sy * sr
    m[..., 1, 0] = sy * cp
    m[..., 1, 1] = sy * sp * sr + cy * cr
    m[..., 1, 2] = sy * sp * cr - cy * sr
    m[..., 2, 0] = -sp
    m[..., 2, 1] = cp * sr
    m[..., 2, 2] = cp * cr
    return m


# Camera axes expressed in the gimbal (forward-right-down) frame.
_GIMBAL_FROM_CAM = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_ENU_FROM_NED = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


def ned_to_enu(v: np.ndarray) -> np.ndarray:
    """Swap a (..., 3) NED vector array to ENU."""
    v = np.asarray(v, float)
    return np.stack([v[..., 1], v[..., 0], -v[..., 2]], axis=-1)


@dataclass(frozen=True, slots=True)
class CameraPose:
    """Where the camera is and where it points.

    Position is WGS-84 with altitude AMSL in metres; angles in degrees with the
    conventions of this module's docstring. ``time_s`` is optional.
    """

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_deg: float = 0.0
    gimbal_roll_deg: float = 0.0
    gimbal_pitch_deg: float = -90.0
    gimbal_yaw_deg: float = 0.0
    mount_mode: MountMode = MountMode.EARTH_YAW_BODY
    time_s: float | None = None

    def __post_init__(self) -> None:
        check_lat_lon(float(self.lat_deg), float(self.lon_deg), name="camera pose")
        for nm in ("alt_amsl_m", "roll_deg", "pitch_deg", "yaw_deg", "gimbal_roll_deg", "gimbal_pitch_deg", "gimbal_yaw_deg"):
            v = getattr(self, nm)
            if not math.isfinite(v):
                raise CoordinateError(f"{nm}={v!r} is not finite. Hint: the telemetry sample is incomplete.")
        if not -90.0 <= self.pitch_deg <= 90.0:
            raise CameraError(out_of_range("pitch_deg", self.pitch_deg, "-90..90"))
        if not -180.0 <= self.gimbal_pitch_deg <= 180.0:
            raise CameraError(out_of_range("gimbal_pitch_deg", self.gimbal_pitch_deg, "-180..180", "-90 is straight down"))
        if not isinstance(self.mount_mode, MountMode):
            object.__setattr__(self, "mount_mode", MountMode(self.mount_mode))

    def rotation_ned_from_camera(self) -> np.ndarray:
        """3x3 matrix taking camera-frame vectors (OpenCV axes) to NED."""
        if self.mount_mode is MountMode.BODY:
            r = rotation_zyx(self.yaw_deg, self.pitch_deg, self.roll_deg) @ rotation_zyx(
                self.gimbal_yaw_deg, self.gimbal_pitch_deg, self.gimbal_roll_deg)
        elif self.mount_mode is MountMode.EARTH:
            r = rotation_zyx(self.gimbal_yaw_deg, self.gimbal_pitch_deg, self.gimbal_roll_deg)
        else:
            r = rotation_zyx(self.yaw_deg + self.gimbal_yaw_deg, self.gimbal_pitch_deg, self.gimbal_roll_deg)
        return r @ _GIMBAL_FROM_CAM

    def rotation_enu_from_camera(self) -> np.ndarray:
        """3x3 matrix taking camera-frame vectors to ENU (x east, y north, z up)."""
        return _ENU_FROM_NED @ self.rotation_ned_from_camera()

    def optical_axis_enu(self) -> np.ndarray:
        """Unit vector of the optical axis in ENU."""
        return self.rotation_enu_from_camera()[:, 2]

    def depression_deg(self) -> float:
        """Angle of the optical axis below the horizon in degrees (90 = nadir)."""
        return math.degrees(math.asin(float(np.clip(-self.optical_axis_enu()[2], -1, 1))))
