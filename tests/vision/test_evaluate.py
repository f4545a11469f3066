"""Matching, AP and label loaders on hand-made cases."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from geo.errors import FormatError, SarIOError
from vision.detection import Detection
from vision.evaluate import average_precision, evaluate_detections, match_frame
from vision.labels import GroundTruth, LabelledFrame, hit_uav_name_info, load_dataset, load_hit_uav, load_yolo_folder


def d(t, l_, b, r, s, cls="person"):
    return Detection(t, l_, b, r, s, cls)


def g(t, l_, b, r, cls="person"):
    return GroundTruth(cls, t, l_, b, r)


def test_match_greedy_by_score_and_dontcare():
    truth = [g(0, 0, 10, 10)]
    dets = [d(0, 0, 10, 10, 0.5), d(1, 1, 11, 11, 0.9), d(50, 50, 60, 60, 0.3), d(100, 100, 110, 110, 0.2)]
    ign = [g(95, 95, 120, 120, "dontcare")]
    m = match_frame(dets, truth, ign)
    assert m == [(0.9, True), (0.5, False), (0.3, False), (0.2, None)]


def test_ap_of_perfect_and_of_half_right_detectors():
    assert average_precision(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == pytest.approx(1.0)
    # one TP at rank 2 of 2 with one truth: precision 0.5 at recall 1
    assert average_precision(np.array([0.0, 1.0]), np.array([0.0, 0.5])) == pytest.approx(0.5)


def test_evaluate_detections_per_class_and_class_map():
    frames = [LabelledFrame(path=None, boxes=(g(0, 0, 10, 10), g(20, 20, 30, 30, "sheep")))]
    dets = [[d(0, 0, 10, 10, 0.8, "hotspot"), d(20, 20, 30, 30, 0.7, "sheep"), d(40, 40, 50, 50, 0.6, "sheep")]]
    person, sheep = evaluate_detections(frames, dets, ["person", "sheep"], class_map={"hotspot": "person"})
    assert (person.n_truth, person.true_positives, person.precision, person.recall, person.ap50) == (1, 1, 1.0, 1.0, 1.0)
    assert (sheep.n_truth, sheep.true_positives, sheep.precision, sheep.recall) == (1, 1, 0.5, 1.0)
    assert sheep.ap50 == pytest.approx(1.0) and sheep.best_recall_at_p60 == pytest.approx(1.0)
    # the false sheep scores below the true one: precision 1.0 up to full recall
    assert sheep.best_recall_at_p90 == pytest.approx(1.0)
    # scores reversed: the false sheep first, so precision never reaches 0.9 and recall there is 0
    (rev,) = evaluate_detections(frames, [[d(20, 20, 30, 30, 0.5, "sheep"), d(40, 40, 50, 50, 0.6, "sheep")]],
                                 ["sheep"])
    assert rev.best_recall_at_p60 == pytest.approx(0.0) and rev.best_recall_at_p90 == pytest.approx(0.0)


def test_hit_uav_names():
    night, gsd = hit_uav_name_info("1_100_90_0_01234.jpg", focal_px=2000.0)
    assert night is True and gsd == pytest.approx(0.05)
    night, gsd = hit_uav_name_info("0_60_30_0_00001.jpg", focal_px=2000.0)
    assert night is False and gsd == pytest.approx(60 / 0.5 / 2000)
    assert hit_uav_name_info("frame.png") == (None, None)


def test_hit_uav_loader_on_a_tiny_copy(tmp_path):
    (tmp_path / "images" / "val").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "images" / "val" / "1_60_90_0_1.jpg"), np.zeros((8, 8), np.uint8))
    js = {"images": [{"id": 7, "filename": "1_60_90_0_1.jpg"}, {"id": 8, "filename": "absent.jpg"}],
          "categories": [{"id": 0, "name": "Person"}, {"id": 4, "name": "DontCare"}],
          "annotation": [{"image_id": 7, "bbox": [1, 2, 3, 4], "category_id": 0},
                         {"image_id": 7, "bbox": [0, 0, 2, 2], "category_id": 4}]}
    (tmp_path / "val.json").write_text(json.dumps(js))
    (fr,) = load_hit_uav(tmp_path, "val")
    assert fr.boxes == (GroundTruth("person", 2.0, 1.0, 6.0, 4.0),)
    assert fr.ignore[0].class_name == "dontcare" and fr.night is True
    assert load_dataset(tmp_path)[0].path == fr.path
    (tmp_path / "val.json").write_text("{}")
    with pytest.raises(FormatError):
        load_hit_uav(tmp_path, "val")
    with pytest.raises(SarIOError):
        load_hit_uav(tmp_path, "test")


def test_yolo_folder_loader(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((100, 200), np.uint8))
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 0.5 0.1 0.2\n")
    (fr,) = load_yolo_folder(tmp_path)
    (box,) = fr.boxes
    assert box.class_name == "sheep"
    assert (box.top_px, box.left_px, box.bottom_px, box.right_px) == pytest.approx((40, 90, 60, 110))
    (tmp_path / "labels" / "a.txt").write_text("1 0.5 nonsense\n")
    with pytest.raises(FormatError):
        load_yolo_folder(tmp_path)


def test_box_pad_for_names_each_labelling_convention(tmp_path):
    from vision.labels import HIT_UAV_BOX_PAD_PX, SIM_BOX_PAD_GREY_PX, SIM_BOX_PAD_PX, box_pad_for

    hit, sim, other = tmp_path / "hit", tmp_path / "sim", tmp_path / "other"
    for d in (hit, sim, other):
        d.mkdir()
    (hit / "val.json").write_text("{}")
    (sim / "frames.jsonl").write_text("")
    assert box_pad_for(hit) == (HIT_UAV_BOX_PAD_PX, HIT_UAV_BOX_PAD_PX) and HIT_UAV_BOX_PAD_PX > 0
    # sim labels are exact: boxes shrink, more on 8-bit video (AGC spreads a clipped body)
    assert box_pad_for(sim) == (SIM_BOX_PAD_PX, SIM_BOX_PAD_GREY_PX) and SIM_BOX_PAD_GREY_PX < SIM_BOX_PAD_PX < 0
    assert box_pad_for(other) == (0.0, 0.0)
    assert box_pad_for(hit, split="train") == (0.0, 0.0)  # no train.json there
