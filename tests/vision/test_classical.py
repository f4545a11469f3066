"""The classical detector on synthetic hot disks: position and size within stated tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from tests.vision.conftest import hot_disks
from vision.classical import ClassGate, ClassicalDetector, ClassicalParams
from vision.detector import Detector
from vision.frame import FrameFlag, ThermalFrame, ValueKind
from vision.io import frame_from_array
from vision.yolo import YoloDetector


def test_both_detectors_implement_the_protocol():
    assert isinstance(ClassicalDetector(), Detector)
    assert all(hasattr(YoloDetector, a) for a in ("detect", "name"))


def test_empty_frame_gives_empty_result():
    det = ClassicalDetector()
    assert det.detect(hot_disks(disks=(), seed=1)) == []
    assert det.detect(np.zeros((64, 64), np.uint8)) == []


def test_constant_shutter_frame_gives_empty_result():
    fr = frame_from_array(np.full((512, 640), 100, np.uint8))
    assert FrameFlag.CONSTANT in fr.flags
    assert ClassicalDetector().detect(fr) == []


DISKS = ((100, 120, 5, 60), (300, 500, 4, 50), (420, 200, 6, 70))


def test_hot_disks_found_at_their_position_and_size():
    """Centre within 1.0 px, box side within 2 px of the disk diameter plus padding."""
    img = hot_disks(disks=DISKS, seed=2)
    dets = ClassicalDetector().detect(img)
    assert len(dets) == len(DISKS)
    pad = ClassicalParams().box_pad_px
    for r, c, rad, _ in DISKS:
        d = min(dets, key=lambda d: (d.row_px - r) ** 2 + (d.col_px - c) ** 2)
        assert abs(d.row_px - r) <= 1.0 and abs(d.col_px - c) <= 1.0
        assert abs(d.height_px - (2 * rad + 1 + 2 * pad)) <= 2.0
        assert abs(d.width_px - (2 * rad + 1 + 2 * pad)) <= 2.0
        assert 0.0 < d.score <= 1.0 and d.class_name == "hotspot"


def test_same_result_on_counts_and_temperatures():
    """Contrast normalisation: a 16-bit counts frame and a Celsius frame give the same boxes."""
    grey = hot_disks(disks=DISKS, seed=3, dtype=np.float32)
    counts = (grey * 40 + 20000).astype(np.uint16)
    temp_c = (grey * 0.05 - 5.0).astype(np.float32)
    det = ClassicalDetector()
    a = det.detect(ThermalFrame(counts, ValueKind.COUNTS))
    b = det.detect(ThermalFrame(temp_c, ValueKind.TEMPERATURE_C))
    assert len(a) == len(b) == len(DISKS)
    for x, y in zip(sorted(a, key=lambda d: d.row_px), sorted(b, key=lambda d: d.row_px)):
        assert abs(x.row_px - y.row_px) <= 1 and abs(x.col_px - y.col_px) <= 1


def test_cold_disk_and_long_road_are_not_detected():
    img = hot_disks(disks=((200, 200, 6, -60),), seed=4).astype(np.int16)
    img[300:306, 50:600] += 60  # a warm road: 6 x 550 px
    img = np.clip(img, 0, 255).astype(np.uint8)
    assert ClassicalDetector().detect(img) == []


def test_metric_gates_classify_by_size():
    """At 0.05 m/px a 0.28 m^2 disk is a person, a 2.8 m^2 body 2.5 times as long as wide a cow;
    a 40 m^2 roof is nothing. (Livestock seen from above are elongated: a round isothermal
    blob of cow size is what a sun-warmed boulder looks like, see test_classical_animals.)"""
    gsd = 0.05
    person_r = np.sqrt(0.28 / np.pi) / gsd   # ~6 px
    cow_b = np.sqrt(2.8 / (np.pi * 2.5)) / gsd  # semi-axes ~12 x 30 px
    img = hot_disks(disks=((150, 150, person_r, 60),), seed=5).astype(np.int16)
    rr, cc = np.mgrid[0:512, 0:640]
    cow = np.clip(cow_b + 0.5 - np.sqrt(((rr - 350) / cow_b) ** 2 + ((cc - 450) / (2.5 * cow_b)) ** 2) * cow_b, 0, 1)
    img += np.round(60 * cow).astype(np.int16)
    img[40:140, 400:600] += 50  # a sun-warmed roof, 40 m^2 at this GSD
    img = np.clip(img, 0, 255).astype(np.uint8)
    dets = ClassicalDetector().detect(img, gsd_m=gsd)
    by_class = {d.class_name: d for d in dets}
    assert set(by_class) == {"person", "cow"}
    assert by_class["person"].area_m2 == pytest.approx(0.28, rel=0.35)
    assert by_class["cow"].area_m2 == pytest.approx(2.8, rel=0.25)
    only_person = ClassicalDetector(targets=("person",)).detect(img, gsd_m=gsd)
    assert [d.class_name for d in only_person] == ["person"]


def test_group_of_touching_bodies_is_split():
    """Three warm bodies (Gaussian profiles, sigma 3 px) 12 px apart form one blob above the low
    threshold but dip to ~30 % of the peak between them: three detections, centres within 1.5 px."""
    img = hot_disks(disks=(), seed=6).astype(np.float64)
    rr, cc = np.mgrid[0:512, 0:640]
    for c in (200, 212, 224):
        img += 70 * np.exp(-((rr - 200) ** 2 + (cc - c) ** 2) / (2 * 3.0**2))
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    dets = ClassicalDetector().detect(img)
    assert len(dets) == 3
    assert sorted(d.col_px for d in dets) == pytest.approx([200.5, 212.5, 224.5], abs=1.5)
    assert all(abs(d.row_px - 200.5) <= 1.5 for d in dets)


def test_frame_index_and_time_are_carried():
    fr = ThermalFrame(hot_disks(disks=DISKS[:1], seed=7), ValueKind.GREY, frame_index=12, time_s=3.5)
    (d,) = ClassicalDetector().detect(fr)
    assert d.frame_index == 12 and d.frame_time_s == 3.5 and d.source == "classical"


def test_bad_input():
    det = ClassicalDetector()
    with pytest.raises(InputError):
        det.detect(np.zeros((10,), np.uint8))
    with pytest.raises(InputError):
        det.detect(np.zeros((64, 64), np.uint8), gsd_m=0.0)
    with pytest.raises(InputError):
        det.detect(np.zeros((64, 64), bool))
    with pytest.raises(InputError):
        ClassicalParams(low_z=5.0, high_z=3.0)
    with pytest.raises(InputError):
        ClassicalDetector(targets=("unicorn",))
    with pytest.raises(InputError):
        ClassGate("x", 1.0, 0.5, 2.0)


@settings(max_examples=25, deadline=None)
@given(r=st.integers(20, 490), c=st.integers(20, 620), rad=st.integers(3, 8), contrast=st.integers(40, 120))
def test_any_single_disk_is_found_once_where_it_is(r, c, rad, contrast):
    img = hot_disks(disks=((r, c, rad, contrast),), seed=r * 1000 + c)
    dets = ClassicalDetector().detect(img)
    assert len(dets) == 1
    d = dets[0]
    assert abs(d.row_px - r) <= 1.0 and abs(d.col_px - c) <= 1.0
    assert d.top_px >= 0 and d.left_px >= 0 and d.bottom_px <= 512 and d.right_px <= 640


def test_nan_pixels_are_flagged_and_do_not_break_detection():
    img = hot_disks(disks=DISKS, seed=8, dtype=np.float32) * 0.05
    img[10:20, 10:20] = np.nan
    fr = frame_from_array(img)
    assert FrameFlag.CORRUPT in fr.flags and fr.usable
    dets = ClassicalDetector().detect(fr)
    assert len(dets) == len(DISKS)
    all_nan = frame_from_array(np.full((64, 64), np.nan, np.float32))
    assert not all_nan.usable and ClassicalDetector().detect(all_nan) == []
    assert ClassicalDetector().detect(np.full((64, 64), np.nan, np.float32)) == []


def test_negative_box_pad_shrinks_but_never_empties_a_box():
    from dataclasses import replace

    img = hot_disks(disks=((100, 100, 1, 80), (300, 300, 6, 60)), seed=9)
    for pad in (-0.5, -5.0):
        dets = ClassicalDetector(replace(ClassicalParams(), box_pad_px=pad)).detect(img)
        assert dets and all(d.height_px > 0 and d.width_px > 0 for d in dets)


def test_box_pad_follows_the_kind_of_frame():
    """The grey pad applies to 8-bit frames only; radiometric frames keep box_pad_px."""
    from dataclasses import replace

    from vision.frame import ValueKind

    p = replace(ClassicalParams(), box_pad_px=-0.35, box_pad_grey_px=-1.1)
    assert p.box_pad(ValueKind.GREY) == -1.1
    assert p.box_pad(ValueKind.TEMPERATURE_C) == p.box_pad(ValueKind.COUNTS) == -0.35
    assert replace(p, box_pad_grey_px=None).box_pad(ValueKind.GREY) == -0.35
    img = hot_disks(disks=((100, 100, 6, 60),), seed=9)  # 8-bit
    plain = ClassicalDetector(replace(p, box_pad_px=0.0, box_pad_grey_px=None)).detect(img)
    grey = ClassicalDetector(replace(p, box_pad_px=0.0, box_pad_grey_px=-1.0)).detect(img)
    assert len(plain) == len(grey) == 1
    assert grey[0].height_px == pytest.approx(plain[0].height_px - 2.0, abs=1e-9)
    assert grey[0].width_px == pytest.approx(plain[0].width_px - 2.0, abs=1e-9)


def _key(dets):
    return [(d.top_px, d.left_px, d.bottom_px, d.right_px, d.class_name, round(d.score, 12)) for d in dets]


def test_arrays_reused_between_frames_change_no_result():
    """detect() reuses its full-frame arrays from frame to frame (a per-thread workspace):
    frames of other sizes and kinds in between, and other detectors, change nothing, and
    the result equals the one made step by step with arrays of its own."""
    import cv2

    from vision.classical import blob_table

    a = hot_disks(disks=DISKS, seed=3)
    b = (hot_disks(shape=(300, 400), disks=((150, 200, 6, 60),), seed=4).astype(np.float32) / 10.0 + 5.0)
    c = hot_disks(disks=((200, 320, 5, 40),), seed=5).astype(np.uint16) * 40
    det, other = ClassicalDetector(), ClassicalDetector(targets=("person",))
    first = _key(det.detect(a, gsd_m=0.1))
    assert first
    for f in (b, c):
        det.detect(f, gsd_m=0.1)
        other.detect(f)
    assert _key(det.detect(a, gsd_m=0.1)) == first
    # Step by step without a workspace (every array new).
    gates = det.channels(None, ValueKind.GREY)[0][1]
    maps = det.maps(a, ValueKind.GREY, None)
    assert maps.work is None and cv2.countNonZero(maps.low_mask) > 0
    kept = det.candidates(maps, None, gates, blob_table(maps, det.params, None, gates))
    steps = sorted(det._detections(maps, kept, None, a.shape, None, None), key=lambda d: -d.score)
    assert _key(steps) == _key(det.detect(a))


def test_animal_blobs_regrown_at_once_as_one_by_one():
    """_refine_table regrows every animal blob in one pass; each box and area equals the
    region _body_region measures for that blob alone (blobs at the frame's edges too)."""
    import cv2

    from vision.classical import _body_region, _refine_table

    rng = np.random.default_rng(7)
    img = 14.0 + rng.normal(0.0, 0.08, (120, 160))
    body = np.zeros_like(img)
    for r, c, h, w in ((0, 0, 5, 8), (60, 70, 8, 5), (115, 150, 5, 10), (30, 0, 6, 6), (10, 100, 4, 9), (62, 78, 6, 6)):
        body[r:r + h, c:c + w] = rng.uniform(3.0, 8.0)
    img = (img + cv2.GaussianBlur(body, (0, 0), 0.7)).astype(np.float32)
    det = ClassicalDetector(targets=("sheep", "cow"))
    maps = det.maps(img, ValueKind.TEMPERATURE_C, 0.16)
    from vision.classical import blob_table

    t = blob_table(maps, det.params, 0.16, det.gates)
    assert t["top_px"].size >= 5
    for frac in (0.3, 0.6):
        out = _refine_table(maps, t, frac)
        for i in range(t["top_px"].size):
            reg, _, r0, c0, _, _ = _body_region(maps, *(int(t[k][i]) for k in ("top_px", "left_px", "height_px",
                                                                                  "width_px")), frac, 2)
            rows, cols = np.nonzero(reg)
            assert (out["top_px"][i], out["left_px"][i]) == (r0 + rows.min(), c0 + cols.min())
            assert (out["height_px"][i], out["width_px"][i]) == (np.ptp(rows) + 1, np.ptp(cols) + 1)
            assert out["area_px"][i] == rows.size
