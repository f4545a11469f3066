"""Geotagging accuracy and the calibration of its stated uncertainty, on simulated flights.

Truths are random ground points of the synthetic mountain; a camera 100 m
above the ground sees each at a random place in its image. Geotagging uses a
measured pose (true pose plus Gaussian errors) and a DEM with a vertical
error. Targets (from the issue): perfect telemetry, median error <= 1 m;
with 1 deg attitude, 2 m GPS and 5 m DEM errors, median <= 5 m and the
stated 90 % ellipses hold 85-95 % of the truths.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.camera import MountMode, camera_preset
from geo.frames import LocalFrame
from geo.raycast import HeightGrid
from telemetry.geotag import CHI2_2DOF_90, ErrorModel, _r_ned_from_cam, geotag_pixels
from telemetry.track import PoseArrays

_ENU_FROM_NED = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@pytest.fixture(scope="module")
def world(small_mountain):
    lat0, lon0 = small_mountain.bounds.center
    frame = LocalFrame.at(lat0, lon0)
    grid = HeightGrid.around(small_mountain, frame, 0.0, 0.0, 950.0)
    return frame, grid


def simulate(world, *, n, seed, mode, sig_att_deg, sig_gps_m, sig_dem_m, agl_m=100.0):
    """Truths, their pixels at the true poses, and the measured poses (PoseArrays)."""
    frame, grid = world
    cam = camera_preset("m30t")
    rng = np.random.default_rng(seed)
    truth_xy = rng.uniform(-550, 550, (n, 2))
    truth = np.column_stack([truth_xy, grid.height_at(truth_xy[:, 0], truth_xy[:, 1])])
    cam_xy = truth_xy + rng.uniform(-35, 35, (n, 2))
    cam_z = grid.height_at(cam_xy[:, 0], cam_xy[:, 1]) + agl_m
    origin = np.column_stack([cam_xy, cam_z])
    roll = rng.normal(0, 4, n)
    pitch = rng.normal(0, 4, n)
    yaw = rng.uniform(-180, 180, n)
    if mode is MountMode.BODY:
        g = (np.zeros(n), np.full(n, -90.0), np.zeros(n))
    else:  # stabilised gimbal, oblique
        g = (np.zeros(n), rng.uniform(-90, -60, n), np.zeros(n))
    r_enu = _ENU_FROM_NED @ _r_ned_from_cam(roll, pitch, yaw, *g, mode)
    v_cam = np.einsum("nji,nj->ni", r_enu, truth - origin)  # R^T (p - o)
    rows, cols, front = cam.camera_to_pixel(v_cam)
    ok = front & cam.contains_pixel(np.nan_to_num(rows, nan=-1e9), np.nan_to_num(cols, nan=-1e9))
    # Measured pose: attitude, GPS (horizontal and vertical) errors; a DEM error dz is the same as
    # lowering the camera by dz over the true terrain (same horizontal intersection).
    e_att = rng.normal(0, sig_att_deg, (n, 3))
    e_xy = rng.normal(0, sig_gps_m, (n, 2))
    e_z = rng.normal(0, sig_gps_m, n)
    e_dem = rng.normal(0, sig_dem_m, n)
    mx, my = cam_xy[:, 0] + e_xy[:, 0], cam_xy[:, 1] + e_xy[:, 1]
    lat, lon = frame.to_geodetic(mx, my)
    if mode is MountMode.BODY:
        att = (roll + e_att[:, 0], pitch + e_att[:, 1], yaw + e_att[:, 2], *g)
    else:  # the gimbal's roll/pitch come from the AHRS: their errors are the attitude errors
        att = (roll, pitch, yaw + e_att[:, 2], g[0] + e_att[:, 0], g[1] + e_att[:, 1], g[2])
    poses = PoseArrays(np.zeros(n), lat, lon, cam_z + e_z - e_dem, *att, mode, np.ones(n, bool))
    sel = np.flatnonzero(ok)
    take = lambda a: a[sel]  # noqa: E731
    poses = PoseArrays(*(take(getattr(poses, f)) for f in ("time_s", "lat_deg", "lon_deg", "alt_amsl_m", "roll_deg",
                                                            "pitch_deg", "yaw_deg", "gimbal_roll_deg",
                                                            "gimbal_pitch_deg", "gimbal_yaw_deg")),
                       mode, np.ones(sel.size, bool))
    return cam, truth[sel], rows[sel], cols[sel], poses


def errors_of(world, res, truth):
    frame, grid = world
    hit = res.hit
    err = np.column_stack([res.x_m - truth[:, 0], res.y_m - truth[:, 1]])[hit]
    cov = res.cov_en_m2[hit]
    return err, cov, res.cep_m[hit]


@pytest.mark.parametrize("mode", [MountMode.BODY, MountMode.EARTH_YAW_BODY])
def test_perfect_telemetry_median_error_under_1m(world, mode):
    cam, truth, rows, cols, poses = simulate(world, n=1500, seed=1, mode=mode, sig_att_deg=0, sig_gps_m=0, sig_dem_m=0)
    res = geotag_pixels(rows, cols, poses, cam, world[1], errors=ErrorModel.perfect())
    err, _, _ = errors_of(world, res, truth)
    assert res.hit.mean() > 0.98
    d = np.hypot(err[:, 0], err[:, 1])
    assert np.median(d) <= 1.0
    assert np.percentile(d, 95) <= 1.0  # in fact centimetres: the ray march tolerance


@pytest.mark.parametrize("mode, seed", [(MountMode.BODY, 2), (MountMode.EARTH_YAW_BODY, 3)])
def test_noisy_telemetry_median_under_5m_and_ellipses_calibrated(world, mode, seed):
    cam, truth, rows, cols, poses = simulate(world, n=3000, seed=seed, mode=mode, sig_att_deg=1.0, sig_gps_m=2.0,
                                             sig_dem_m=5.0)
    em = ErrorModel(roll_sigma_deg=1.0, pitch_sigma_deg=1.0, yaw_sigma_deg=1.0, gimbal_sigma_deg=0.0,
                    horizontal_sigma_m=2.0, vertical_sigma_m=2.0, dem_sigma_m=5.0, timing_sigma_s=0.0,
                    pixel_sigma_px=0.0)
    res = geotag_pixels(rows, cols, poses, cam, world[1], errors=em)
    err, cov, cep = errors_of(world, res, truth)
    assert len(err) > 1500
    d = np.hypot(err[:, 0], err[:, 1])
    assert np.median(d) <= 5.0
    m2 = np.einsum("ni,nij,nj->n", err, np.linalg.inv(cov), err)
    inside90 = float(np.mean(m2 <= CHI2_2DOF_90))
    assert 0.85 <= inside90 <= 0.95, inside90
    inside_cep = float(np.mean(d <= cep))
    assert 0.44 <= inside_cep <= 0.56, inside_cep
