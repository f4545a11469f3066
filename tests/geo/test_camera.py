"""Camera models, poses and ray-ground intersection: analytic cases and round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    CAMERA_PRESETS,
    CameraError,
    CameraModel,
    CameraPose,
    CameraView,
    FlatTerrain,
    HeightGrid,
    LocalFrame,
    MountMode,
    camera_preset,
    intersect_rays,
)

LAT0, LON0 = 30.38, 119.45


@pytest.mark.parametrize("fov", [0.0, -5.0, 180.0, 200.0, float("nan")])
def test_fov_out_of_range(fov):
    with pytest.raises(CameraError, match="0 < hfov_deg < 180"):
        CameraModel.from_fov(640, 512, fov)


def test_presets_are_plausible():
    for key, cam in CAMERA_PRESETS.items():
        assert 5.0 < cam.hfov_deg < 100.0, key
        assert cam.width_px in (160, 640, 1280)
    m30t = camera_preset("M30T")
    # DFOV 61 deg on 640x512.
    diag = math.degrees(2 * math.atan(math.hypot(320, 256) / m30t.fx_px))
    assert diag == pytest.approx(61.0, abs=1e-9)
    assert camera_preset("boson640-14mm").hfov_deg == pytest.approx(2 * math.degrees(math.atan(3.84 / 14.0)), abs=1e-9)
    with pytest.raises(CameraError, match="not a known preset.*m30t"):
        camera_preset("gopro")


def test_gsd():
    cam = CameraModel.from_sensor(640, 512, 12.0, 13.5)
    # 12 um pixel, 13.5 mm focal: 100 m range -> 0.0889 m per pixel.
    assert cam.gsd_m(100.0) == pytest.approx(100.0 * 12e-6 / 13.5e-3, rel=1e-12)


def _flat_grid(frame, h=200.0, half=800.0):
    return HeightGrid.from_terrain(FlatTerrain(h), frame, x_min_m=-half, y_min_m=-half, x_max_m=half, y_max_m=half,
                                   res_m=10.0)


def test_nadir_over_flat_ground_analytic():
    frame = LocalFrame.at(LAT0, LON0)
    grid = _flat_grid(frame)
    cam = CameraModel.from_fov(640, 512, 50.0)
    pose = CameraPose(LAT0, LON0, 300.0, gimbal_pitch_deg=-90.0)
    view = CameraView.from_pose(cam, pose, frame)
    rows = np.array([cam.cy_px, cam.cy_px, 0.0])
    cols = np.array([cam.cx_px, cam.cx_px + 100.0, cam.cx_px])
    hits = view.ground_points(rows, cols, grid)
    assert hits.hit.all()
    agl = 100.0
    assert hits.xyz_m[0] == pytest.approx([0.0, 0.0, 200.0], abs=0.02)
    # Image right is east when the vehicle heads north; image top is north.
    assert hits.xyz_m[1, 0] == pytest.approx(agl * 100.0 / cam.fx_px, abs=0.02)
    assert hits.xyz_m[2, 1] == pytest.approx(agl * cam.cy_px / cam.fy_px, abs=0.02)
    assert view.gsd_m(grid) == pytest.approx(agl / cam.fx_px, abs=1e-3)
    fp = view.footprint(grid)
    w, h = cam.footprint_size_m(agl)
    assert fp.area == pytest.approx(w * h, rel=0.01)


def test_oblique_camera_on_tilted_plane_analytic():
    # Plane z = 100 + 0.3 x - 0.1 y; camera at (0, 0, 400) looking 40 deg down towards yaw 60.
    frame = LocalFrame.at(LAT0, LON0)
    xs = np.arange(-1500.0, 1500.1, 5.0)
    xx, yy = np.meshgrid(xs, xs)
    grid = HeightGrid(frame, -1500.0, -1500.0, 5.0, 100 + 0.3 * xx - 0.1 * yy)
    cam = CameraModel.from_fov(640, 512, 40.0)
    pose = CameraPose(LAT0, LON0, 400.0, yaw_deg=60.0, gimbal_pitch_deg=-40.0)
    view = CameraView.from_pose(cam, pose, frame)
    rr, cc = np.meshgrid(np.linspace(0, 511, 9), np.linspace(0, 639, 9))
    d = view.rays(rr.ravel(), cc.ravel())
    hits = intersect_rays(view.origin_m, d, grid)
    o = view.origin_m
    # Analytic: o_z + t d_z = 100 + 0.3 (o_x + t d_x) - 0.1 (o_y + t d_y).
    t = (100 + 0.3 * o[0] - 0.1 * o[1] - o[2]) / (d[:, 2] - 0.3 * d[:, 0] + 0.1 * d[:, 1])
    expect = o + t[:, None] * d
    assert hits.hit.all()
    assert np.max(np.linalg.norm(hits.xyz_m - expect, axis=1)) < 0.05


def test_camera_looking_above_horizon_is_an_error():
    frame = LocalFrame.at(LAT0, LON0)
    grid = _flat_grid(frame)
    cam = CameraModel.from_fov(640, 512, 60.0)
    view = CameraView.from_pose(cam, CameraPose(LAT0, LON0, 300.0, gimbal_pitch_deg=30.0), frame)
    hits = view.ground_points(np.array([0.0, 511.0]), np.array([0.0, 639.0]), grid)
    assert not hits.hit.any()
    assert np.isnan(hits.xyz_m).all()
    with pytest.raises(CameraError, match="horizon or the sky.*pitch the gimbal"):
        view.footprint(grid)


def test_pose_below_terrain():
    frame = LocalFrame.at(LAT0, LON0)
    grid = _flat_grid(frame, h=500.0)
    view = CameraView.from_pose(CameraModel.from_fov(64, 48, 60.0), CameraPose(LAT0, LON0, 300.0), frame)
    with pytest.raises(CameraError, match="below the terrain.*datum"):
        view.ground_points(np.array([10.0]), np.array([10.0]), grid)


def test_mount_modes():
    base = dict(lat_deg=LAT0, lon_deg=LON0, alt_amsl_m=100.0, roll_deg=5.0, pitch_deg=-8.0, yaw_deg=90.0,
                gimbal_pitch_deg=-45.0, gimbal_yaw_deg=10.0)
    earth = CameraPose(**base, mount_mode=MountMode.EARTH)
    follow = CameraPose(**base, mount_mode=MountMode.EARTH_YAW_BODY)
    body = CameraPose(**base, mount_mode=MountMode.BODY)
    # EARTH: yaw absolute (10 deg from north), depression 45 deg regardless of the vehicle.
    ax = earth.optical_axis_enu()
    assert math.degrees(math.atan2(ax[0], ax[1])) == pytest.approx(10.0, abs=1e-9)
    assert earth.depression_deg() == pytest.approx(45.0, abs=1e-9)
    ax = follow.optical_axis_enu()
    assert math.degrees(math.atan2(ax[0], ax[1])) == pytest.approx(100.0, abs=1e-9)
    assert follow.depression_deg() == pytest.approx(45.0, abs=1e-9)
    # BODY: the vehicle's nose-down pitch adds to the gimbal's.
    assert body.depression_deg() > 45.0


@pytest.fixture(scope="module")
def mountain_setup():
    from geo import synthetic_mountain

    t = synthetic_mountain(seed=3, size_m=3000.0)
    frame = LocalFrame.at(LAT0, LON0)
    grid = HeightGrid.around(t, frame, 0.0, 0.0, 1400.0)
    return t, frame, grid


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-300, 300), st.floats(-300, 300), st.floats(60, 150), st.floats(0, 360), st.floats(-90, -35),
    st.floats(-10, 10), st.floats(-10, 10), st.booleans(),
)
def test_pixel_ray_ground_pixel_round_trip(mountain_setup, x, y, agl, yaw, gpitch, roll, pitch, distorted):
    t, frame, grid = mountain_setup
    lat, lon = frame.to_geodetic(x, y)
    alt = t.elevation_m(lat, lon) + agl
    if distorted:
        cam = CameraModel.from_intrinsics(640, 512, 760.0, 762.0, 321.5, 254.0, (-0.12, 0.05, 0.001, -0.0005, 0.0))
    else:
        cam = camera_preset("m30t")
    pose = CameraPose(lat, lon, alt, roll_deg=roll, pitch_deg=pitch, yaw_deg=yaw, gimbal_pitch_deg=gpitch,
                      mount_mode=MountMode.BODY)
    view = CameraView.from_pose(cam, pose, frame)
    rng = np.random.default_rng(int(abs(x * 1000)) % 2**32)
    rows = rng.uniform(0, 511, 200)
    cols = rng.uniform(0, 639, 200)
    hits = view.ground_points(rows, cols, grid)
    ok = hits.hit
    assert ok.mean() > 0.5
    # Every hit lies on the terrain surface (within the 1 cm march tolerance) ...
    p = hits.xyz_m[ok]
    assert np.max(np.abs(p[:, 2] - grid.height_at(p[:, 0], p[:, 1]))) < 0.011
    # ... and projects back onto its pixel.
    r2, c2, vis = view.project(p)
    assert vis.all()
    assert np.max(np.hypot(r2 - rows[ok], c2 - cols[ok])) < 0.01


def test_first_intersection_behind_a_ridge():
    # A wall 50 m high at x = 300 hides the ground behind it: the ray stops at the wall.
    frame = LocalFrame.at(LAT0, LON0)
    xs = np.arange(-200.0, 1000.1, 10.0)
    xx, yy = np.meshgrid(xs, xs)
    h = np.where((xx >= 300) & (xx <= 320), 150.0, 100.0)
    grid = HeightGrid(frame, -200.0, -200.0, 10.0, h)
    o = np.array([0.0, 0.0, 160.0])
    d = np.array([[1.0, 0.0, -0.05]])
    d /= np.linalg.norm(d)
    hits = intersect_rays(o, d, grid)
    assert hits.hit[0]
    assert 290.0 <= hits.xyz_m[0, 0] <= 300.0  # on the wall's rising face, not the ground beyond
    # Occlusion test agrees: a ground point behind the wall is hidden.
    view = CameraView.from_pose(CameraModel.from_fov(64, 48, 60.0), CameraPose(LAT0, LON0, 160.0), frame)
    assert view.occluded(np.array([[600.0, 0.0, 100.0]]), grid)[0]
    assert not view.occluded(np.array([[200.0, 0.0, 100.0]]), grid)[0]


def test_ray_leaving_grid_is_a_miss():
    frame = LocalFrame.at(LAT0, LON0)
    grid = _flat_grid(frame, h=0.0, half=200.0)
    hits = intersect_rays(np.array([0.0, 0.0, 100.0]), np.array([[0.995, 0.0, -0.0998]]), grid)
    assert not hits.hit[0] and math.isnan(hits.range_m[0])
