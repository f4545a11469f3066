"""Renderer: ground truth where the heat is, canopy, determinism, sensor, bad poses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

import geo
import sim
from geo.errors import CameraError, OutOfCoverageError
from sim.posing import pose_looking_at
from tests.sim._docs import make_doc

CAM = geo.camera_preset("m30t")


def _blob_box(img: np.ndarray, seed_rc: tuple[float, float]) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the hot connected component at ``seed_rc`` (half-maximum threshold)."""
    r, c = int(round(seed_rc[0])), int(round(seed_rc[1]))
    win = img[max(0, r - 40):r + 40, max(0, c - 40):c + 40]
    bg = float(np.median(win))
    peak = float(win.max())
    lab, _ = ndimage.label(img > bg + 0.5 * (peak - bg))
    # The component nearest the seed.
    ids = lab[max(0, r - 6):r + 7, max(0, c - 6):c + 7]
    k = np.bincount(ids[ids > 0]).argmax()
    rr, cc = np.nonzero(lab == k)
    return int(cc.min()), int(rr.min()), int(cc.max() - cc.min() + 1), int(rr.max() - rr.min() + 1)


@pytest.mark.parametrize("agl_m, depression_deg, yaw_deg, offset_m", [
    (80.0, 90.0, 0.0, (0.0, 0.0)),
    (110.0, 55.0, 40.0, (3.0, -2.0)),
    (60.0, 70.0, 250.0, (-12.0, 5.0)),
])
def test_truth_box_is_where_the_heat_is(lone_scene, agl_m, depression_deg, yaw_deg, offset_m):
    t = lone_scene.targets[0]
    pose = pose_looking_at(lone_scene, t.x_m + offset_m[0], t.y_m + offset_m[1], agl_m, depression_deg, yaw_deg)
    fr = sim.render_frame(lone_scene, CAM, pose, seed=3)
    assert len(fr.truths) == 1 and not fr.hidden
    tr = fr.truths[0]
    assert tr.visible_fraction == pytest.approx(1.0, abs=1e-6)
    # The projected ground point lies inside the labelled box.
    x, y, w, h = tr.box_xywh_px
    assert x - 1 <= tr.center_rc_px[1] <= x + w + 1 and y - 1 <= tr.center_rc_px[0] <= y + h + 1
    bx, by, bw, bh = _blob_box(fr.radiometric_c, (y + h / 2, x + w / 2))
    # Edges agree within 1 px (optics blur 0.7 px, half-maximum threshold).
    assert abs(bx - x) <= 1 and abs(by - y) <= 1
    assert abs((bx + bw) - (x + w)) <= 1 and abs((by + bh) - (y + h)) <= 1
    # And the truth carries the ground position of the scene target.
    assert (tr.lat_deg, tr.lon_deg) == (t.lat_deg, t.lon_deg)


def test_sheep_boxes_hold_heat(sheep_scene):
    pen = np.array(sheep_scene.pen_latlon).mean(axis=0)
    pose = sim.pose_above(sheep_scene, pen[0], pen[1], 80.0)
    fr = sim.render_frame(sheep_scene, CAM, pose, seed=1)
    assert sum(t.class_name == "sheep" for t in fr.truths) == 9
    bg = float(np.median(fr.radiometric_c))
    for t in fr.truths:
        x, y, w, h = (int(v) for v in t.box_xywh_px)
        assert 4 <= max(w, h) <= 16  # a 1.2 m sheep at 80 m with the M30T (11.5 cm/px)
        assert fr.radiometric_c[y:y + h, x:x + w].max() > bg + 3.0


@pytest.mark.parametrize("canopy, labelled", [(1.0, False), (0.95, False), (0.5, True), (0.0, True)])
def test_canopy_hides(build, canopy, labelled):
    scene = build(make_doc(targets=[{"kind": "adult_lying", "at_m": [1880, -2150], "canopy": canopy}]))
    t = scene.targets[0]
    fr = sim.render_frame(scene, CAM, pose_looking_at(scene, t.x_m, t.y_m, 80.0, 90.0, 0.0), seed=0)
    truths = fr.truths if labelled else fr.hidden
    assert len(truths) == 1 and len(fr.truths) == int(labelled)
    assert truths[0].visible_fraction == pytest.approx(1.0 - canopy, abs=1e-6)


def test_full_canopy_from_forest_leaves_no_heat(build):
    doc = make_doc(features=[{"kind": "forest", "at_m": [1880, -2150], "radius_m": 60, "canopy": 1.0}],
                   targets=[{"kind": "adult_standing", "at_m": [1880, -2150]}])
    scene = build(doc)
    assert scene.targets[0].canopy == pytest.approx(1.0)
    t = scene.targets[0]
    fr = sim.render_frame(scene, CAM, pose_looking_at(scene, t.x_m, t.y_m, 80.0, 90.0, 0.0), seed=0)
    assert not fr.truths and len(fr.hidden) == 1
    c = fr.radiometric_c
    assert c[236:276, 300:340].max() - np.median(c) < 2.0  # no person-shaped heat leaks through


def test_same_seed_same_frame_and_noise_is_netd(lone_scene):
    t = lone_scene.targets[0]
    pose = pose_looking_at(lone_scene, t.x_m, t.y_m, 90.0, 70.0, 10.0)
    a = sim.render_frame(lone_scene, CAM, pose, seed=11)
    b = sim.render_frame(lone_scene, CAM, pose, seed=11)
    c = sim.render_frame(lone_scene, CAM, pose, seed=12)
    assert np.array_equal(a.radiometric_c, b.radiometric_c) and np.array_equal(a.video_u8, b.video_u8)
    assert a.truths == b.truths
    d = (a.radiometric_c - c.radiometric_c).astype(np.float64)
    # Only temporal noise differs: std of the difference = sqrt(2) * NETD (50 mK), within 10 %.
    assert np.std(d) / np.sqrt(2) == pytest.approx(0.050, rel=0.10)


def test_counts_scale(lone_scene):
    t = lone_scene.targets[0]
    fr = sim.render_frame(lone_scene, CAM, pose_looking_at(lone_scene, t.x_m, t.y_m, 80.0, 90.0, 0.0), seed=0)
    assert fr.counts.dtype == np.uint16
    back = sim.celsius_from_counts(fr.counts)
    assert np.abs(back - fr.radiometric_c).max() <= 0.0051
    assert sim.counts_from_celsius(np.array([20.0]))[0] == 29315


def test_video_palettes(lone_scene):
    t = lone_scene.targets[0]
    fr = sim.render_frame(lone_scene, CAM, pose_looking_at(lone_scene, t.x_m, t.y_m, 80.0, 90.0, 0.0), seed=0)
    assert fr.video("white-hot").shape == (512, 640) and fr.video("ironbow").shape == (512, 640, 3)
    assert np.array_equal(fr.video("black-hot"), 255 - fr.video_u8)
    x, y, w, h = (int(v) for v in fr.truths[0].box_xywh_px)
    assert fr.video_u8[y:y + h, x:x + w].max() == 255  # the person is the hottest thing


def test_motion_blur_smears_along_motion(lone_scene):
    t = lone_scene.targets[0]
    pose = pose_looking_at(lone_scene, t.x_m, t.y_m, 80.0, 90.0, 0.0)
    sharp = sim.render_frame(lone_scene, CAM, pose, seed=0)
    blur = sim.render_frame(lone_scene, CAM, pose, seed=0, motion_blur_px=(0.0, 8.0))
    x, y, w, h = (int(v) for v in sharp.truths[0].box_xywh_px)
    assert blur.radiometric_c[y:y + h, x:x + w].max() < sharp.radiometric_c[y:y + h, x:x + w].max() - 1.0


def test_bad_poses(lone_scene):
    t = lone_scene.targets[0]
    with pytest.raises(CameraError, match="below the ground"):
        sim.render_frame(lone_scene, CAM, geo.CameraPose(t.lat_deg, t.lon_deg, t.ground_amsl_m - 5.0))
    with pytest.raises(CameraError, match="above the horizon"):
        sim.render_frame(lone_scene, CAM, geo.CameraPose(t.lat_deg, t.lon_deg, t.ground_amsl_m + 80,
                                                         gimbal_pitch_deg=10.0))
    with pytest.raises(OutOfCoverageError, match="outside scene"):
        sim.render_frame(lone_scene, CAM, geo.CameraPose(t.lat_deg + 0.2, t.lon_deg, 2000.0))


def test_oblique_view_with_horizon_has_sky(sheep_scene):
    pen = np.array(sheep_scene.pen_latlon).mean(axis=0)
    pose = sim.pose_above(sheep_scene, pen[0], pen[1], 120.0, gimbal_pitch_deg=-15.0, yaw_deg=135.0)
    fr = sim.render_frame(sheep_scene, CAM, pose, seed=0)
    # The top rows see sky (cold), the bottom rows ground.
    assert fr.radiometric_c[:5].mean() < fr.radiometric_c[-5:].mean() - 5.0


def _ridge_terrain():
    """3 km of flat ground at 100 m with a 60 m high north-south ridge 10 m wide at x = 0."""
    from affine import Affine

    res = 10.0
    n = 301
    half = (n - 1) * res / 2
    x = np.linspace(-half, half, n)
    h = np.full((n, n), 100.0, np.float32)
    h[:, np.abs(x) <= 5.0] = 160.0
    frame = geo.LocalFrame.at(geo.DEMO_ORIGIN_LAT_DEG, geo.DEMO_ORIGIN_LON_DEG)
    return geo.GridTerrain(h, Affine(res, 0.0, -half, 0.0, -res, half), frame.crs, name="ridge")


def test_target_behind_a_ridge_is_hidden():
    terrain = _ridge_terrain()
    doc = make_doc(area_m={"center": [0, 0], "size": 800},
                   features=[], targets=[{"kind": "adult_standing", "at_m": [40, 0]}])
    scene = sim.build_scene(sim.parse_scenario(doc, source="ridge.yaml"), terrain)
    t = scene.targets[0]
    # From the west, low: the ridge (60 m) stands between the camera and the person.
    hidden = sim.render_frame(scene, CAM, pose_looking_at(scene, t.x_m, t.y_m, 80.0, 14.0, 90.0), seed=0)
    assert not hidden.truths and len(hidden.hidden) == 1 and hidden.hidden[0].visible_fraction == 0.0
    # From straight above, it is in plain view.
    seen = sim.render_frame(scene, CAM, pose_looking_at(scene, t.x_m, t.y_m, 80.0, 90.0, 0.0), seed=0)
    assert len(seen.truths) == 1 and seen.truths[0].visible_fraction == pytest.approx(1.0)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000))
def test_truth_invariants_over_survey_poses(sheep_scene, pose_seed):
    pose = sim.sample_survey_poses(sheep_scene, 1, seed=pose_seed, target_fraction=0.9)[0]
    fr = sim.render_frame(sheep_scene, CAM, pose, seed=pose_seed)
    ids = {t.target_id for t in sheep_scene.targets}
    for t in fr.truths:
        x, y, w, h = t.box_xywh_px
        assert 0 <= x and 0 <= y and x + w <= CAM.width_px and y + h <= CAM.height_px and w >= 1 and h >= 1
        assert sim.MIN_VISIBLE_FRACTION <= t.visible_fraction <= 1.0 + 1e-9
        assert t.target_id in ids and t.class_name == sim.CLASS_NAMES[t.class_id]
    for t in fr.hidden:
        assert t.visible_fraction < sim.MIN_VISIBLE_FRACTION or t.box_xywh_px[2] == 0
    assert fr.video_u8.dtype == np.uint8 and np.isfinite(fr.radiometric_c).all()
