"""Pixels to ground points with an honest uncertainty (pure computation).

:func:`geotag_pixels` casts one ray per detection through the camera model at
the interpolated pose and intersects it with the terrain grid
(:func:`geo.intersect_rays`, one origin per ray, vectorised). The error of the
ground point is propagated to first order: around the hit the terrain is
replaced by its tangent plane, and each error source (vehicle roll, pitch and
yaw, gimbal angles, GPS position, altitude, DEM height, timing, pixel) moves
the hit by a sensitivity vector times its sigma. The horizontal 2x2
covariance gives the error ellipse (90 % by default, chi-square with 2
degrees of freedom) and the CEP (the radius holding 50 %, exact for the
elliptical Gaussian, not the circular approximation).

Calibration (stated 90 % ellipses hold about 90 % of truths) is checked in
``tests/telemetry/test_calibration.py`` on simulated flights over the
synthetic mountain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo.camera import CameraModel, MountMode, rotation_zyx
from geo.errors import InputError, out_of_range
from geo.raycast import HeightGrid, intersect_rays
from telemetry.track import PoseArrays

__all__ = ["ErrorModel", "GeotagResult", "geotag_pixels", "cep_from_cov", "ellipse_from_cov", "CHI2_2DOF_90"]

CHI2_2DOF_90 = -2.0 * math.log(1.0 - 0.90)  # 4.605: the 90 % quantile of chi-square with 2 dof

_GIMBAL_FROM_CAM = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_ENU_FROM_NED = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """One-sigma errors of the inputs of geotagging (independent, zero-mean Gaussian).

    Defaults are for a typical ArduPilot copter with a stabilised gimbal and an
    SRTM DEM: AHRS roll/pitch 0.5 deg, yaw (compass) 2 deg, gimbal 0.5 deg per
    axis, single-frequency GPS 2 m per horizontal axis, altitude 2 m (baro +
    GPS blend), SRTM 5 m vertical, camera-to-autopilot timing 0.05 s after
    offset correction, and 1 px for the detection centre.
    """

    roll_sigma_deg: float = 0.5
    pitch_sigma_deg: float = 0.5
    yaw_sigma_deg: float = 2.0
    gimbal_sigma_deg: float = 0.5
    horizontal_sigma_m: float = 2.0
    vertical_sigma_m: float = 2.0
    dem_sigma_m: float = 5.0
    timing_sigma_s: float = 0.05
    pixel_sigma_px: float = 1.0

    def __post_init__(self) -> None:
        for nm in self.__slots__:
            v = getattr(self, nm)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(out_of_range(nm, v, "a finite value >= 0", "one-sigma error of that input"))

    @classmethod
    def perfect(cls) -> ErrorModel:
        return cls(0, 0, 0, 0, 0, 0, 0, 0, 0)

    @classmethod
    def attitude_gps_dem(cls, attitude_deg: float, gps_m: float, dem_m: float, **kw) -> ErrorModel:
        """The same sigma for every angle, GPS horizontal and vertical, and the DEM."""
        return cls(attitude_deg, attitude_deg, attitude_deg, kw.pop("gimbal_sigma_deg", 0.0), gps_m,
                   kw.pop("vertical_sigma_m", gps_m), dem_m, kw.pop("timing_sigma_s", 0.0), kw.pop("pixel_sigma_px", 0.0))


@dataclass(frozen=True)
class GeotagResult:
    """Ground points of N pixels; arrays of length N, NaN where ``hit`` is False.

    ``x_m, y_m`` are east/north in ``grid.frame``; ``cov_en_m2`` is the (N, 2, 2)
    east/north covariance; the ellipse holds ``ellipse_probability`` of the
    error distribution, ``orientation_deg`` of its major axis clockwise from north (0..180).
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_amsl_m: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    hit: np.ndarray
    range_m: np.ndarray
    cov_en_m2: np.ndarray = field(repr=False)
    semi_major_m: np.ndarray = field(repr=False)
    semi_minor_m: np.ndarray = field(repr=False)
    orientation_deg: np.ndarray = field(repr=False)
    cep_m: np.ndarray = field(repr=False)
    ellipse_probability: float = 0.90

    def __len__(self) -> int:
        return int(self.hit.shape[0])


def _r_ned_from_cam(roll, pitch, yaw, groll, gpitch, gyaw, mode: MountMode) -> np.ndarray:
    if mode is MountMode.BODY:
        r = rotation_zyx(yaw, pitch, roll) @ rotation_zyx(gyaw, gpitch, groll)
    elif mode is MountMode.EARTH:
        r = rotation_zyx(gyaw, gpitch, groll)
    else:
        r = rotation_zyx(np.asarray(yaw) + np.asarray(gyaw), gpitch, groll)
    return r @ _GIMBAL_FROM_CAM


def _rz_y(yaw_deg) -> np.ndarray:
    """R_z(yaw) applied to the y axis: (N, 3)."""
    y = np.radians(np.asarray(yaw_deg, float))
    return np.stack([-np.sin(y), np.cos(y), np.zeros_like(y)], axis=-1)


def _rzy_x(yaw_deg, pitch_deg) -> np.ndarray:
    """R_z(yaw) R_y(pitch) applied to the x axis: (N, 3)."""
    y = np.radians(np.asarray(yaw_deg, float))
    p = np.radians(np.asarray(pitch_deg, float))
    return np.stack([np.cos(y) * np.cos(p), np.sin(y) * np.cos(p), -np.sin(p)], axis=-1)


def _euler_axes_ned(angles: tuple, mode: MountMode) -> list:
    """NED axis of rotation of each of (roll, pitch, yaw, g_roll, g_pitch, g_yaw); a small change of angle k
    by da rotates a direction d by da * (axis_k x d) (Z-Y-X Euler angles: yaw about the outer z, pitch about
    the once-yawed y, roll about the yawed and pitched x)."""
    roll, pitch, yaw, groll, gpitch, gyaw = (np.asarray(a, float) for a in angles)
    n = yaw.shape[0]
    z = np.tile([0.0, 0.0, 1.0], (n, 1))
    if mode is MountMode.BODY:
        r_veh = rotation_zyx(yaw, pitch, roll)
        veh = [_rzy_x(yaw, pitch), _rz_y(yaw), z]
        gim = [np.einsum("nij,nj->ni", r_veh, a) for a in (_rzy_x(gyaw, gpitch), _rz_y(gyaw), z)]
        return veh + gim
    if mode is MountMode.EARTH:
        return [z, z, z, _rzy_x(gyaw, gpitch), _rz_y(gyaw), z]  # vehicle angles do not move the camera
    tot = yaw + gyaw
    return [z, z, z, _rzy_x(tot, gpitch), _rz_y(tot), z]


# CEP / sigma_major as a function of q = sigma_minor / sigma_major, tabulated once.
def _cep_table(nq: int = 101, nphi: int = 720) -> tuple[np.ndarray, np.ndarray]:
    qs = np.linspace(0.0, 1.0, nq)
    phi = (np.arange(nphi) + 0.5) * (2 * np.pi / nphi)
    out = np.empty(nq)
    out[0] = 0.674489750196  # one-dimensional: the median of |N(0, 1)|
    for k, q in enumerate(qs[1:], start=1):
        g = np.cos(phi) ** 2 + np.sin(phi) ** 2 / q**2

        def prob(r, g=g, q=q):
            return float(np.mean((1.0 - np.exp(-0.5 * r * r * g)) / g) / q)

        lo, hi = 0.0, 2.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            if prob(mid) < 0.5:
                lo = mid
            else:
                hi = mid
        out[k] = 0.5 * (lo + hi)
    return qs, out


_CEP_Q, _CEP_K = _cep_table()


def ellipse_from_cov(cov_en_m2: np.ndarray, probability: float = 0.90):
    """(semi_major_m, semi_minor_m, orientation_deg) of the ``probability`` ellipse of (N, 2, 2) covariances.

    Orientation of the major axis is clockwise from north in 0..180 degrees.
    """
    if not 0.0 < probability < 1.0:
        raise InputError(out_of_range("probability", probability, "0 < probability < 1"))
    c = np.asarray(cov_en_m2, float).reshape(-1, 2, 2)
    a, b, d = c[:, 0, 0], c[:, 0, 1], c[:, 1, 1]
    tr = 0.5 * (a + d)
    disc = np.sqrt(np.maximum(0.25 * (a - d) ** 2 + b * b, 0.0))
    l1 = np.maximum(tr + disc, 0.0)
    l2 = np.maximum(tr - disc, 0.0)
    k = math.sqrt(-2.0 * math.log(1.0 - probability))
    # Major-axis direction (east, north) = (b, l1 - a) or (l1 - d, b); angle from north clockwise = atan2(e, n).
    e = np.where(np.abs(b) > 1e-15, b, np.where(a >= d, 1.0, 0.0))
    n = np.where(np.abs(b) > 1e-15, l1 - a, np.where(a >= d, 0.0, 1.0))
    orient = np.degrees(np.arctan2(e, n)) % 180.0
    return k * np.sqrt(l1), k * np.sqrt(l2), orient


def cep_from_cov(cov_en_m2: np.ndarray) -> np.ndarray:
    """Circular error probable (radius holding 50 %) of (N, 2, 2) zero-mean Gaussian covariances, metres."""
    c = np.asarray(cov_en_m2, float).reshape(-1, 2, 2)
    a, b, d = c[:, 0, 0], c[:, 0, 1], c[:, 1, 1]
    tr = 0.5 * (a + d)
    disc = np.sqrt(np.maximum(0.25 * (a - d) ** 2 + b * b, 0.0))
    s1 = np.sqrt(np.maximum(tr + disc, 0.0))
    s2 = np.sqrt(np.maximum(tr - disc, 0.0))
    q = np.where(s1 > 0, s2 / np.where(s1 > 0, s1, 1.0), 1.0)
    return s1 * np.interp(q, _CEP_Q, _CEP_K)


def geotag_pixels(rows_px, cols_px, poses: PoseArrays, camera: CameraModel, grid: HeightGrid, *,
                  errors: ErrorModel | None = None, velocity_enu_m_s: np.ndarray | None = None,
                  yaw_rate_deg_s: np.ndarray | None = None, ellipse_probability: float = 0.90,
                  max_range_m: float = 5000.0) -> GeotagResult:
    """Ground points and error ellipses of N pixels seen at N poses.

    Parameters
    ----------
    rows_px, cols_px : (N,) pixel coordinates (row, col) of the detections' centres.
    poses : the N camera poses (:meth:`telemetry.PoseTrack.poses_at`).
    camera : the camera model; grid : terrain heights in a local frame around the flight.
    errors : input sigmas (:class:`ErrorModel`; defaults if None).
    velocity_enu_m_s : (N, 3) ground velocity for the timing error; yaw_rate_deg_s : (N,).

    Returns a :class:`GeotagResult`; rays that miss the grid (sky, outside the
    DEM, camera below the terrain) have ``hit`` False and NaN positions.
    """
    err = errors or ErrorModel()
    rows = np.atleast_1d(np.asarray(rows_px, float))
    cols = np.atleast_1d(np.asarray(cols_px, float))
    n = rows.shape[0]
    if cols.shape[0] != n or len(poses) != n:
        raise InputError(f"rows_px ({n}), cols_px ({cols.shape[0]}) and poses ({len(poses)}) must have equal length.")
    frame = grid.frame
    x0, y0 = frame.to_local(poses.lat_deg, poses.lon_deg)
    origin = np.column_stack([np.atleast_1d(x0), np.atleast_1d(y0), poses.alt_amsl_m])
    v_cam = camera.pixel_to_camera(rows, cols).reshape(n, 3)
    ang = [poses.roll_deg, poses.pitch_deg, poses.yaw_deg, poses.gimbal_roll_deg, poses.gimbal_pitch_deg,
           poses.gimbal_yaw_deg]
    mode = poses.mount_mode
    r_enu = _ENU_FROM_NED @ _r_ned_from_cam(*ang, mode)
    d = np.einsum("nij,nj->ni", r_enu, v_cam)
    hits = intersect_rays(origin, d, grid, max_range_m=max_range_m)
    p = hits.xyz_m
    t = hits.range_m
    hit = hits.hit & poses.inside

    # Tangent plane of the terrain at the hit.
    eps = 0.5 * grid.res_m
    px = np.where(hit, p[:, 0], grid.x0_m + eps)
    py = np.where(hit, p[:, 1], grid.y0_m + eps)
    gx = (grid.height_at(px + eps, py) - grid.height_at(px - eps, py)) / (2 * eps)
    gy = (grid.height_at(px, py + eps) - grid.height_at(px, py - eps)) / (2 * eps)
    gx = np.nan_to_num(gx)
    gy = np.nan_to_num(gy)
    nrm = np.column_stack([-gx, -gy, np.ones(n)])
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    nd = np.einsum("ni,ni->n", nrm, d)
    nd = np.where(np.abs(nd) > 1e-6, nd, -1e-6)
    tt = np.where(hit, t, 0.0)

    d_over_nd = d[:, :2] / nd[:, None]

    def proj(v):  # east/north of (I - d n^T / (n.d)) v: how moving the ray's origin by v moves the hit
        return v[:, :2] - d_over_nd * (nrm[:, 0] * v[:, 0] + nrm[:, 1] * v[:, 1] + nrm[:, 2] * v[:, 2])[:, None]

    def proj_axis(k):  # proj of the unit vector of axis k (east, north, up)
        out = -d_over_nd * nrm[:, k][:, None]
        if k < 2:
            out[:, k] += 1.0
        return out

    sens = []  # (N, 2) east/north sensitivity vectors, each times its sigma
    d_ned = d @ _ENU_FROM_NED  # the same matrix converts both ways (it is its own inverse)
    axes = _euler_axes_ned(tuple(ang), mode)  # rotation axis of each angle, NED, (N, 3) each
    deg = math.pi / 180.0

    def angle_dir(k):  # d(direction)/d(angle k) per degree, ENU: (axis x d) in NED, then to ENU
        a = axes[k]
        cx = a[:, 1] * d_ned[:, 2] - a[:, 2] * d_ned[:, 1]
        cy = a[:, 2] * d_ned[:, 0] - a[:, 0] * d_ned[:, 2]
        cz = a[:, 0] * d_ned[:, 1] - a[:, 1] * d_ned[:, 0]
        return np.column_stack([cy * deg, cx * deg, -cz * deg])

    sig_ang = [err.roll_sigma_deg, err.pitch_sigma_deg, err.yaw_sigma_deg] + [err.gimbal_sigma_deg] * 3
    used = {0, 1, 2, 3, 4, 5}
    if mode is MountMode.EARTH:
        # An earth-frame gimbal's pointing error includes the AHRS's: its attitude comes from it.
        used = {3, 4, 5}
        sig_ang[3] = math.hypot(err.gimbal_sigma_deg, err.roll_sigma_deg)
        sig_ang[4] = math.hypot(err.gimbal_sigma_deg, err.pitch_sigma_deg)
        sig_ang[5] = math.hypot(err.gimbal_sigma_deg, err.yaw_sigma_deg)
    elif mode is MountMode.EARTH_YAW_BODY:
        used = {2, 3, 4, 5}
        sig_ang[3] = math.hypot(err.gimbal_sigma_deg, err.roll_sigma_deg)
        sig_ang[4] = math.hypot(err.gimbal_sigma_deg, err.pitch_sigma_deg)
    for k in sorted(used):
        if sig_ang[k] > 0:
            sens.append(tt[:, None] * proj(angle_dir(k)) * sig_ang[k])
    if err.horizontal_sigma_m > 0:
        for axis in (0, 1):
            sens.append(proj_axis(axis) * err.horizontal_sigma_m)
    if err.vertical_sigma_m > 0:
        sens.append(proj_axis(2) * err.vertical_sigma_m)
    if err.dem_sigma_m > 0:
        sens.append(d_over_nd * (nrm[:, 2] * err.dem_sigma_m)[:, None])
    if err.timing_sigma_s > 0:
        if velocity_enu_m_s is not None:
            sens.append(proj(np.asarray(velocity_enu_m_s, float).reshape(n, 3)) * err.timing_sigma_s)
        if yaw_rate_deg_s is not None:
            k_yaw = 2 if mode is MountMode.BODY else 5
            rate = np.asarray(yaw_rate_deg_s, float).reshape(n) * err.timing_sigma_s
            sens.append(tt[:, None] * proj(angle_dir(k_yaw)) * rate[:, None])
    if err.pixel_sigma_px > 0:
        for axis, f in ((0, camera.fx_px), (1, camera.fy_px)):  # column, then row
            if camera.dist_coeffs:
                dr, dc = (0.0, 0.5) if axis == 0 else (0.5, 0.0)
                dv = (camera.pixel_to_camera(rows + dr, cols + dc).reshape(n, 3) - v_cam) / 0.5
            else:  # d(u/|u|) with u = (x, y, 1): (du - v (v . du)) / |u|, and 1/|u| = v_z
                dv = -v_cam * (v_cam[:, axis] / f)[:, None]
                dv[:, axis] += 1.0 / f
                dv *= v_cam[:, 2:3]
            dd = np.einsum("nij,nj->ni", r_enu, dv)
            sens.append(tt[:, None] * proj(dd) * err.pixel_sigma_px)
    # Only the horizontal 2x2 covariance is reported: accumulate its three terms.
    cee = np.zeros(n)
    cen = np.zeros(n)
    cnn = np.zeros(n)
    for sv in sens:
        e, nn = sv[:, 0], sv[:, 1]
        cee += e * e
        cen += e * nn
        cnn += nn * nn
    cov_en = np.empty((n, 2, 2))
    cov_en[:, 0, 0] = cee
    cov_en[:, 0, 1] = cen
    cov_en[:, 1, 0] = cen
    cov_en[:, 1, 1] = cnn
    cov_en[~hit] = np.nan
    semi_a, semi_b, orient = ellipse_from_cov(np.nan_to_num(cov_en), ellipse_probability)
    cep = cep_from_cov(np.nan_to_num(cov_en))
    for a in (semi_a, semi_b, orient, cep):
        a[~hit] = np.nan
    xs = np.where(hit, p[:, 0], np.nan)
    ys = np.where(hit, p[:, 1], np.nan)
    lat, lon = frame.to_geodetic(np.nan_to_num(xs), np.nan_to_num(ys))
    lat = np.where(hit, lat, np.nan)
    lon = np.where(hit, lon, np.nan)
    return GeotagResult(np.atleast_1d(lat), np.atleast_1d(lon), np.where(hit, p[:, 2], np.nan), xs, ys, hit,
                        np.where(hit, t, np.nan), cov_en, semi_a, semi_b, orient, cep, ellipse_probability)
