"""The classical detector's animal search, temperature gate and vectorised internals."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.vision.conftest import hot_disks
from geo.errors import InputError
from vision.classical import (BlobFeatures, ClassicalDetector, ClassicalParams, ContrastMaps, animal_shape_factor,
                               body_shape, contrast_patch)
from vision.frame import ThermalFrame, ValueKind


def _sheep_frame(seed: int, bodies=((200, 300, 5, 8), (320, 150, 8, 5))) -> np.ndarray:
    """Sheep-like warm bodies (rows x cols rectangles, blurred by optics of sigma 0.7 px)
    on a noisy meadow, in degrees Celsius (about 0.16 m per pixel: 5x8 px ~ 1 m^2)."""
    rng = np.random.default_rng(seed)
    img = 14.0 + rng.normal(0.0, 0.08, (512, 640))
    body = np.zeros((512, 640))
    for r, c, h, w in bodies:
        body[r:r + h, c:c + w] = 6.0
    return (img + cv2.GaussianBlur(body, (0, 0), 0.7)).astype(np.float32)


def test_sheep_boxes_cover_the_body_within_one_pixel():
    """A 5x8 and an 8x5 px body: class sheep, box edges within 1 px of the body's extent."""
    bodies = ((200, 300, 5, 8), (320, 150, 8, 5))
    frame = ThermalFrame(_sheep_frame(1, bodies), ValueKind.TEMPERATURE_C)
    dets = ClassicalDetector(targets=("sheep", "cow")).detect(frame, gsd_m=0.16)
    assert len(dets) == 2 and {d.class_name for d in dets} == {"sheep"}
    for r, c, h, w in bodies:
        d = min(dets, key=lambda d: (d.row_px - r - h / 2) ** 2 + (d.col_px - c - w / 2) ** 2)
        assert abs(d.top_px - r) <= 1 and abs(d.bottom_px - (r + h)) <= 1
        assert abs(d.left_px - c) <= 1 and abs(d.right_px - (c + w)) <= 1


def test_people_and_animals_found_together_once_each():
    """All classes at once: one detection per body, a person-sized and a sheep-sized blob."""
    img = _sheep_frame(2, bodies=((200, 300, 5, 7),))
    img[399:402, 99:102] += 6.0  # a person seen from above: ~0.25 m^2 at 0.16 m/px
    dets = ClassicalDetector().detect(ThermalFrame(img, ValueKind.TEMPERATURE_C), gsd_m=0.16)
    assert sorted(d.class_name for d in dets) == ["person", "sheep"]


def _warm_road(seed: int, rise_c: float = 2.5, slope: float = 0.3, offset_px: float = 150.0) -> np.ndarray:
    """A meadow at 14 C crossed by a straight road 28 px = 4.5 m wide (row = slope x col +
    offset) that is ``rise_c`` warmer (asphalt after a sunny day), at 0.16 m per pixel; C."""
    img = _sheep_frame(seed, bodies=())
    rr, cc = np.mgrid[0:512, 0:640]
    dist_px = np.abs(slope * cc - rr + offset_px) / np.hypot(slope, 1.0)
    road = np.clip(14.0 - dist_px, 0.0, 1.0) * rise_c  # a 1 px soft edge
    return (img + cv2.GaussianBlur(road, (0, 0), 0.7)).astype(np.float32)


@pytest.mark.parametrize(("seed", "slope", "offset_px"), [(1, 0.3, 150.0), (2, 0.3, 150.0), (3, 0.3, 150.0),
                                                          (4, 0.8, 0.0)])
def test_a_cow_on_a_warm_road_is_found_and_the_road_is_no_body(seed, slope, offset_px):
    """A road the background model cannot take out joins a cow standing on it in one blob,
    larger than any target: the cow (8 K over the meadow, 5.5 K over the road) is found as a
    cow, its box within 2.5 px of its extent (the region regrown at 30 % of the peak reaches a
    little into the road), and no piece of the road is reported as a body. Seed 4: the road runs
    corner to corner, one blob of ~23,000 px with the cow: surfaces of any size are searched."""
    img = _warm_road(seed, slope=slope, offset_px=offset_px)
    c, h, w = 380, 8, 16  # 1.3 x 2.6 m
    r = int(round(slope * (c + w / 2) + offset_px - h / 2))  # on the road's centre line
    body = np.zeros_like(img)
    body[r:r + h, c:c + w] = 8.0 - 2.5
    img = img + cv2.GaussianBlur(body, (0, 0), 0.7)
    dets = [d for d in ClassicalDetector().detect(ThermalFrame(img, ValueKind.TEMPERATURE_C), gsd_m=0.16)
            if d.score >= 0.3 and _inside(d)]
    assert [d.class_name for d in dets] == ["cow"]
    d = dets[0]
    assert abs(d.top_px - r) <= 2.5 and abs(d.bottom_px - (r + h)) <= 2.5
    assert abs(d.left_px - c) <= 2.5 and abs(d.right_px - (c + w)) <= 2.5
    # the road alone: nothing
    road_only = ClassicalDetector().detect(ThermalFrame(_warm_road(seed, slope=slope, offset_px=offset_px),
                                                        ValueKind.TEMPERATURE_C), gsd_m=0.16)
    assert [d for d in road_only if d.score >= 0.3 and _inside(d)] == []


def _inside(d, margin_px: float = 8.0, shape=(512, 640)) -> bool:
    """Away from the frame's border: where a road wider than ~6 m leaves the frame, a
    person-sized sliver of its edge is reported (known, older than the warm-surface rule)."""
    return (d.top_px >= margin_px and d.left_px >= margin_px and d.bottom_px <= shape[0] - margin_px
            and d.right_px <= shape[1] - margin_px)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_walker_on_a_warm_road_is_found(seed):
    """A person (3x3 px = 0.23 m^2, 9 K over the meadow) walking on the warm road: found as a
    person, box within 1 px (the road and the walker used to be one blob, dropped as too large)."""
    img = _warm_road(seed)
    body = np.zeros_like(img)
    body[268:271, 400:403] = 9.0 - 2.5
    img = img + cv2.GaussianBlur(body, (0, 0), 0.7)
    dets = [d for d in ClassicalDetector().detect(ThermalFrame(img, ValueKind.TEMPERATURE_C), gsd_m=0.16)
            if d.score >= 0.3]
    assert [d.class_name for d in dets] == ["person"]
    assert abs(dets[0].top_px - 268) <= 1 and abs(dets[0].left_px - 400) <= 1
    assert abs(dets[0].bottom_px - 271) <= 1 and abs(dets[0].right_px - 403) <= 1


def test_hotter_than_any_body_is_rejected_on_calibrated_frames():
    """A sheep-shaped spot (0.6 x 1.4 m) at 120 C is no animal; the same spot at 20 C is; counts are not gated."""
    for peak_c, expected in ((120.0, 0), (20.0, 1)):
        img = np.full((512, 640), 14.0, np.float32) + np.random.default_rng(3).normal(0, 0.08, (512, 640))
        img[250:254, 300:309] = peak_c
        dets = ClassicalDetector(targets=("sheep",)).detect(ThermalFrame(img.astype(np.float32),
                                                                         ValueKind.TEMPERATURE_C), gsd_m=0.16)
        assert len(dets) == expected
    no_gate = ClassicalDetector(replace(ClassicalParams(), max_body_c=None), targets=("sheep",))
    img[250:254, 300:309] = 120.0
    assert len(no_gate.detect(ThermalFrame(img.astype(np.float32), ValueKind.TEMPERATURE_C), gsd_m=0.16)) == 1


def test_temperature_gate_follows_a_sun_heated_scene():
    """Ground at 40 C (midday): a 58 C body (dark fleece in the sun) is kept, a 120 C exhaust is not."""
    rng = np.random.default_rng(5)
    for peak_c, expected in ((58.0, 1), (120.0, 0)):
        img = 40.0 + rng.normal(0, 0.08, (512, 640))
        img[250:254, 300:309] = peak_c
        frame = ThermalFrame(img.astype(np.float32), ValueKind.TEMPERATURE_C)
        assert len(ClassicalDetector(targets=("sheep",)).detect(frame, gsd_m=0.16)) == expected


def test_local_animal_map_is_an_option():
    """animal_local=True runs; both settings find a clear sheep, once (the local map adds to
    the frame-normalised one: one detection per body)."""
    frame = ThermalFrame(_sheep_frame(4), ValueKind.TEMPERATURE_C)
    for local in (False, True):
        det = ClassicalDetector(replace(ClassicalParams(), animal_local=local), targets=("sheep",))
        assert len(det.detect(frame, gsd_m=0.16)) == 2


def test_local_map_searches_only_the_small_animals_and_only_where_asked():
    names = lambda chans: [(loc, tuple(g.name for g in gates)) for loc, gates in chans]  # noqa: E731
    det = ClassicalDetector(replace(ClassicalParams(), animal_local=None))
    assert names(det.channels(0.1, ValueKind.GREY)) == [(False, ("person",)), (False, ("sheep", "cow")),
                                                        (True, ("sheep",))]
    assert names(det.channels(0.1, ValueKind.TEMPERATURE_C)) == [(False, ("person",)), (False, ("sheep", "cow"))]
    assert names(ClassicalDetector().channels(0.1, ValueKind.GREY)) == [(False, ("person",)), (False, ("sheep", "cow"))]
    assert names(det.channels(None, ValueKind.GREY)) == [(False, ("person", "sheep", "cow"))]


@pytest.mark.parametrize("side", [12, 13, 17, 24, 31, 48])
def test_contrast_patch_equals_opencv_area_resampling(side):
    """The batched patch (matrix products) is OpenCV's INTER_AREA average of the window, 1e-5."""
    z = np.random.default_rng(side).normal(0, 5, (100, 120)).astype(np.float32)
    b = BlobFeatures(40, 50, 7, 5, 20, 5.0, 4.0, 1.4, 0.5, None)
    r0, c0 = 40 + 7 // 2 - side // 2 + (1 if (40 + 3.5) % 1 else 0), 0
    r0 = int(round(40 + 7 / 2.0)) - side // 2
    c0 = int(round(50 + 5 / 2.0)) - side // 2
    ref = cv2.resize(z[r0:r0 + side, c0:c0 + side], (8, 8), interpolation=cv2.INTER_AREA)
    assert contrast_patch(z, b, side) == pytest.approx(np.clip(ref, -5, 30).ravel() / 10.0, abs=1e-5)


def test_patch_outside_the_frame_is_zero_there():
    z = np.ones((50, 50), np.float32) * 10
    b = BlobFeatures(0, 0, 2, 2, 4, 5.0, 4.0, 1.0, 1.0, None)
    p = contrast_patch(z, b, 16).reshape(8, 8)
    assert p[:3, :].max() == 0 and p[:, :3].max() == 0 and p[5:, 5:].min() == pytest.approx(1.0)


def test_dense_lit_mask_uses_wide_labels():
    """More lit pixels than 16-bit labels can count (a noisy flat frame, low thresholds) does not fail."""
    img = hot_disks(disks=((100, 100, 5, 60),), noise=20.0, seed=5)
    det = ClassicalDetector(replace(ClassicalParams(), low_z=0.1, high_z=0.2))
    dets = det.detect(img)
    assert all(0 <= d.score <= 1 for d in dets)
    maps = det.maps(img, ValueKind.GREY, None)
    assert isinstance(maps, ContrastMaps) and cv2.countNonZero(maps.low_mask) >= 65535


def _ellipse(shape, r, c, a_px, b_px, angle_deg, ss=4):
    """Anti-aliased filled ellipse (coverage 0..1): centre (r, c), semi-axes a (along
    ``angle_deg`` from the column axis) and b, in pixels."""
    h, w = shape
    rr, cc = np.mgrid[0:h * ss, 0:w * ss] / ss + 0.5 / ss - 0.5
    t = np.deg2rad(angle_deg)
    u = (cc - c) * np.cos(t) + (rr - r) * np.sin(t)
    v = -(cc - c) * np.sin(t) + (rr - r) * np.cos(t)
    m = ((u / a_px) ** 2 + (v / b_px) ** 2 <= 1).astype(np.float32)
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA)


def _animal_candidates(img: np.ndarray, gsd_m: float):
    """Animal candidates with their body shape measured (elongation, surround_warm)."""
    det = ClassicalDetector(targets=("sheep", "cow"))
    maps = det.maps(img, ValueKind.TEMPERATURE_C, gsd_m)
    kept = det.candidates(maps, gsd_m, det.channels(gsd_m)[-1][1])
    el, sw = body_shape(maps, [b for b, _, _ in kept], det.refine_frac(ValueKind.TEMPERATURE_C))
    return [(replace(b, elongation=float(e), surround_warm=float(w)), c, f) for (b, c, f), e, w in zip(kept, el, sw)]


@pytest.mark.parametrize("ratio", [1.0, 1.33, 2.0, 3.0])
@pytest.mark.parametrize("minor_px", [2.2, 3.0, 4.5])
def test_elongation_is_the_body_length_over_width(ratio, minor_px):
    """Blurred (optics sigma 0.7 px) ellipses of known length/width at four angles: the measured
    elongation, blur taken off, is the body's ratio within 10 %."""
    for angle in (0.0, 30.0, 60.0, 90.0):
        img = 10.0 + np.random.default_rng(int(angle)).normal(0, 0.05, (160, 160))
        img += cv2.GaussianBlur(6.0 * _ellipse((160, 160), 80.3, 80.6, ratio * minor_px, minor_px, angle), (0, 0), 0.7)
        gsd = 0.5 / minor_px  # a 1 x (ratio) m body: sheep or cow size
        kept = _animal_candidates(img.astype(np.float32), gsd)
        assert len(kept) == 1
        assert kept[0][0].elongation == pytest.approx(ratio, rel=0.1)


def _pasture(seed: int, shape=(512, 640)) -> np.ndarray:
    """A meadow at 18 C: 50 mK pixel noise and grass texture of ~0.1 K at ~0.3 m."""
    rng = np.random.default_rng(seed)
    return 18.0 + rng.normal(0, 0.05, shape) + cv2.GaussianBlur(rng.normal(0, 0.3, shape), (0, 0), 1.0)


def _sheep(shape, r, c, angle_deg, gsd_m):
    """A sheep from above: fleece back 1.16 x 0.54 m at +6 K, the face 0.28 x 0.14 m at +11 K, 0.68 m ahead."""
    body = 6.0 * _ellipse(shape, r, c, 0.58 / gsd_m, 0.27 / gsd_m, angle_deg)
    t = np.deg2rad(angle_deg)
    head = 11.0 * _ellipse(shape, r + 0.68 / gsd_m * np.sin(t), c + 0.68 / gsd_m * np.cos(t), 0.14 / gsd_m,
                           0.07 / gsd_m, angle_deg)
    return np.maximum(body, head)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sun_warmed_boulders_are_not_livestock(seed):
    """Radiometric frame at 0.16 m/px: two sheep are found as sheep (score >= 0.5); two boulders
    as warm as them (+6.5 K, length/width 1.33: one of sheep size, 0.96 x 0.72 m, one of cow
    size, 1.6 x 1.2 m) score below 0.2 as any animal, however strong their contrast."""
    gsd = 0.16
    shape = (512, 640)
    warm = np.maximum(_sheep(shape, 150, 200, 30.0, gsd), _sheep(shape, 300, 420, -70.0, gsd))
    warm = np.maximum(warm, 6.5 * _ellipse(shape, 400, 150, 0.8 / gsd, 0.6 / gsd, 20.0))
    warm = np.maximum(warm, 6.5 * _ellipse(shape, 100, 500, 0.48 / gsd, 0.36 / gsd, 70.0))
    img = (_pasture(seed) + cv2.GaussianBlur(warm, (0, 0), 0.7)).astype(np.float32)
    dets = ClassicalDetector().detect(ThermalFrame(img, ValueKind.TEMPERATURE_C), gsd_m=gsd)

    def near(r, c):
        return [d for d in dets if abs(d.row_px - r) <= 6 and abs(d.col_px - c) <= 6]

    for r, c in ((150, 200), (300, 420)):
        assert [d.class_name for d in near(r, c) if d.score >= 0.5] == ["sheep"]
    for r, c in ((400, 150), (100, 500)):
        assert all(d.score < 0.2 for d in near(r, c) if d.class_name in ("sheep", "cow"))


def test_corner_of_a_warm_roof_is_not_livestock():
    """A sun-warmed roof (10 x 6 m, +5 K) turned 25 deg: its corners, which the background model
    cuts off as small warm blobs, are not animals (score < 0.2); the warm share of their
    surround is large, that of a sheep beside the roof small."""
    gsd = 0.16
    shape = (512, 640)
    warm = 5.0 * _ellipse(shape, 250, 300, 1e6, 1e6, 0.0)  # all ones
    rr, cc = np.mgrid[0:512, 0:640]
    t = np.deg2rad(25.0)
    u, v = (cc - 300) * np.cos(t) + (rr - 250) * np.sin(t), -(cc - 300) * np.sin(t) + (rr - 250) * np.cos(t)
    roof = ((np.abs(u) <= 5.0 / gsd) & (np.abs(v) <= 3.0 / gsd)).astype(np.float64)
    warm = np.maximum(5.0 * cv2.GaussianBlur(roof, (0, 0), 0.5), _sheep(shape, 420, 120, 10.0, gsd))
    img = (_pasture(7) + cv2.GaussianBlur(warm, (0, 0), 0.7)).astype(np.float32)
    dets = ClassicalDetector().detect(ThermalFrame(img, ValueKind.TEMPERATURE_C), gsd_m=gsd)
    on_roof = [d for d in dets if d.class_name in ("sheep", "cow") and abs(d.row_px - 250) < 60
               and abs(d.col_px - 300) < 60]
    assert all(d.score < 0.2 for d in on_roof)
    sheep = [d for d in dets if abs(d.row_px - 420) <= 6 and abs(d.col_px - 120) <= 6]
    assert [d.class_name for d in sheep if d.score >= 0.5] == ["sheep"]
    for b, _, _ in _animal_candidates(img, gsd):
        if abs(b.top_px + b.height_px / 2 - 420) <= 6 and abs(b.left_px + b.width_px / 2 - 120) <= 6:
            assert b.surround_warm < 0.1
        elif abs(b.top_px - 250) < 60 and abs(b.left_px - 300) < 60:
            assert b.surround_warm > 0.25


def test_shape_factor_options():
    """The shape factor is 1 for every blob when both options are off; bad values are refused."""
    b = BlobFeatures(0, 0, 5, 5, 20, 10.0, 6.0, 1.0, 0.8, 0.5, 1.0, elongation=1.0, surround_warm=0.9)
    off = replace(ClassicalParams(), animal_elongation=None, max_surround_warm=None)
    assert animal_shape_factor([b], off).tolist() == [1.0]
    assert animal_shape_factor([b], ClassicalParams()).tolist() == [0.0]
    long_b = replace(b, elongation=2.0, surround_warm=0.0)
    assert animal_shape_factor([long_b], ClassicalParams()).tolist() == [1.0]
    for bad in ({"animal_elongation": (1.8, 1.2)}, {"animal_elongation": (0.5, 1.5)}, {"max_surround_warm": 0.0}):
        with pytest.raises(InputError):
            replace(ClassicalParams(), **bad)


@pytest.mark.parametrize("kind", [ValueKind.TEMPERATURE_C, ValueKind.GREY])
def test_pruning_before_regrowing_changes_no_detection(kind):
    """Animal blobs dropped before regrowing (score bound below min_score) are exactly
    those that would have been dropped after: the same detections either way (in the local
    map, which has many weak candidates: on the radiometric frame 7 of 18 are dropped)."""
    gsd = 0.16
    shape = (512, 640)
    warm = np.maximum(_sheep(shape, 150, 200, 30.0, gsd), _sheep(shape, 300, 420, -70.0, gsd))
    img = _pasture(11) + cv2.GaussianBlur(warm, (0, 0), 0.7)
    if kind == ValueKind.GREY:
        img = np.clip((img - 17.0) * 30.0, 0, 255).astype(np.uint8)
    img = img.astype(np.float32) if kind != ValueKind.GREY else img
    det = ClassicalDetector(replace(ClassicalParams(), animal_local=True), targets=("sheep", "cow"))
    local, gates = det.channels(gsd, kind)[-1]
    maps = det.maps(img, kind, gsd, local=local)
    pruned = det.candidates(maps, gsd, gates)
    full = det.candidates(maps, gsd, gates, prune=False)
    assert len(pruned) < len(full) if kind == ValueKind.TEMPERATURE_C else len(pruned) <= len(full)
    a = det._detections(maps, pruned, gsd, shape, None, None)
    b = det._detections(maps, full, gsd, shape, None, None)
    key = sorted((d.top_px, d.left_px, d.class_name, round(d.score, 9)) for d in a)
    assert key == sorted((d.top_px, d.left_px, d.class_name, round(d.score, 9)) for d in b)
    assert any(d.class_name == "sheep" for d in a)
