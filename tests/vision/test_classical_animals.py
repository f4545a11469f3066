"""The classical detector's animal search, temperature gate and vectorised internals."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tests.vision.conftest import hot_disks
from vision.classical import BlobFeatures, ClassicalDetector, ClassicalParams, ContrastMaps, contrast_patch
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


def test_hotter_than_any_body_is_rejected_on_calibrated_frames():
    """A chimney-sized spot at 120 C is no animal; the same spot at 20 C is; counts are not gated."""
    for peak_c, expected in ((120.0, 0), (20.0, 1)):
        img = np.full((512, 640), 14.0, np.float32) + np.random.default_rng(3).normal(0, 0.08, (512, 640))
        img[250:256, 300:306] = peak_c
        dets = ClassicalDetector(targets=("sheep",)).detect(ThermalFrame(img.astype(np.float32),
                                                                         ValueKind.TEMPERATURE_C), gsd_m=0.16)
        assert len(dets) == expected
    no_gate = ClassicalDetector(replace(ClassicalParams(), max_body_c=None), targets=("sheep",))
    img[250:256, 300:306] = 120.0
    assert len(no_gate.detect(ThermalFrame(img.astype(np.float32), ValueKind.TEMPERATURE_C), gsd_m=0.16)) == 1


def test_temperature_gate_follows_a_sun_heated_scene():
    """Ground at 40 C (midday): a 58 C body (dark fleece in the sun) is kept, a 120 C exhaust is not."""
    rng = np.random.default_rng(5)
    for peak_c, expected in ((58.0, 1), (120.0, 0)):
        img = 40.0 + rng.normal(0, 0.08, (512, 640))
        img[250:256, 300:306] = peak_c
        frame = ThermalFrame(img.astype(np.float32), ValueKind.TEMPERATURE_C)
        assert len(ClassicalDetector(targets=("sheep",)).detect(frame, gsd_m=0.16)) == expected


def test_local_animal_map_is_an_option():
    """animal_local=True runs; both settings find a clear sheep."""
    frame = ThermalFrame(_sheep_frame(4), ValueKind.TEMPERATURE_C)
    for local in (False, True):
        det = ClassicalDetector(replace(ClassicalParams(), animal_local=local), targets=("sheep",))
        assert len(det.detect(frame, gsd_m=0.16)) == 2


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
