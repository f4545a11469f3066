"""Pictures (annotated frames, PR curves) and the score-weight fitting on synthetic labelled frames."""

from __future__ import annotations

import cv2
import numpy as np

from tests.vision.conftest import hot_disks
from vision.classical import ClassicalParams
from vision.classical_fit import candidate_table, fit_score_weights
from vision.detection import Detection
from vision.evaluate import evaluate_detections
from vision.labels import GroundTruth, LabelledFrame
from vision.render import annotate, pr_curve_image


def test_annotate_draws_boxes_in_class_colour():
    img = np.full((64, 80), 50, np.uint8)
    out = annotate(img, [Detection(10, 10, 20, 30, 0.9, "person")], track_ids=[3], banner="not_calibrated")
    assert out.shape == (64, 80, 3) and out.dtype == np.uint8
    assert tuple(out[15, 9]) == (0, 0, 255)  # left edge of the box, red for person (BGR)
    assert out[40:, :, :].std() == 0  # nothing drawn far from the box and banner


def test_pr_curve_image_has_the_curve():
    frames = [LabelledFrame(path=None, boxes=(GroundTruth("person", 0, 0, 10, 10),))]
    (res,) = evaluate_detections(frames, [[Detection(0, 0, 10, 10, 0.9, "person")]], ["person"])
    img = pr_curve_image([("night person", res)], title="t")
    assert img.shape == (480, 640, 3)
    assert (img != 255).any()


def test_fitted_weights_rank_labelled_disks_above_clutter(tmp_path):
    """Persons are 5-px disks; clutter is 2-px specks. The fit must score disks higher."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(6):
        disks = [(rng.uniform(40, 470), rng.uniform(40, 600), 5, 60) for _ in range(4)]
        specks = [(rng.uniform(40, 470), rng.uniform(40, 600), 1.5, 40) for _ in range(6)]
        p = tmp_path / f"f{i}.png"
        cv2.imwrite(str(p), hot_disks(disks=disks + specks, seed=i))
        boxes = tuple(GroundTruth("person", r - 5.5, c - 5.5, r + 5.5, c + 5.5) for r, c, _, _ in disks)
        frames.append(LabelledFrame(p, boxes, gsd_m=0.05))
    x, y = candidate_table(frames, ClassicalParams(), use_gsd=False)
    assert (y == 1).sum() >= 20 and (y == 0).sum() >= 10
    w = fit_score_weights(x, y)
    s = x @ w
    assert s[y == 1].min() > s[y == 0].max()
