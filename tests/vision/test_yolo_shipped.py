"""The shipped YOLO model (vision/models/thermal_sar_yolo.onnx) on real thermal frames.

Guards the model file itself: a wrong export size, a broken re-export or a
weaker model replacing it fails here. Needs ``../shared/data`` (skips without).
"""

from __future__ import annotations

import pytest

from tests.conftest import shared_path
from vision.yolo import YoloDetector


def test_shipped_model_finds_hit_uav_people():
    """HIT-UAV val, every third frame (97 frames, 399 people), score >= 0.01, IoU 0.5, as
    `thermal-sar eval`. Measured with the session-5 model (gpu2, 608 x 768 input): AP50 0.848,
    recall at precision >= 0.6 0.905 (the whole val split: 0.895 / 0.936; the session-4 model:
    0.778 / 0.822 on these frames). Floors ~0.04 below the measured figures."""
    from vision.evaluate import _class_result, match_frame
    from vision.io import read_frame
    from vision.labels import load_hit_uav

    frames = load_hit_uav(shared_path("thermal", "hit_uav"), "val")[::3]
    det = YoloDetector(score_threshold=0.01, threads=2)
    matches, n = [], 0
    for f in frames:
        img = read_frame(f.path)
        truth = [g for g in f.boxes if g.class_name == "person"]
        n += len(truth)
        found = [d for d in det.detect(img, gsd_m=f.gsd_m) if d.class_name == "person"]
        matches += match_frame(found, truth, f.ignore, iou_min=0.5)
    r = _class_result("person", matches, n)
    print(f"frames {len(frames)} people {n} AP50 {r.ap50:.3f} R@P0.6 {r.best_recall_at_p60:.3f}")
    assert r.ap50 >= 0.81 and r.best_recall_at_p60 >= 0.86
