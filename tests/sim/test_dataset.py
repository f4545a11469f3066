"""Datasets: the Ultralytics YOLO detection layout (as documented) and COCO, from survey-like poses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

import sim
from geo.errors import InputError


def test_survey_poses_like_a_real_survey(sheep_scene):
    poses = sim.sample_survey_poses(sheep_scene, 40, seed=2)
    assert len(poses) == 40
    for p in poses:
        agl = p.alt_amsl_m - sheep_scene.ground_amsl_m(p.lat_deg, p.lon_deg)
        assert 60.0 - 1e-6 <= agl <= 130.0 + 1e-6
        assert 45.0 - 1e-6 <= p.depression_deg() <= 90.0 + 1e-6
    assert sim.sample_survey_poses(sheep_scene, 5, seed=2) == poses[:5]
    with pytest.raises(InputError, match="agl_range_m"):
        sim.sample_survey_poses(sheep_scene, 3, agl_range_m=(130.0, 60.0))


@pytest.fixture(scope="module")
def dataset(sheep_scene, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    res = sim.write_dataset(sheep_scene, out, 8, seed=4, val_fraction=0.25)
    return out, res


def test_yolo_layout_as_ultralytics_documents_it(dataset):
    out, res = dataset
    data = yaml.safe_load((out / "data.yaml").read_text())
    # https://docs.ultralytics.com/datasets/detect/ : path, train, val, names (id -> name).
    assert data["names"] == {0: "person", 1: "sheep", 2: "cow", 3: "dog"}
    assert data["path"] == str(out.resolve())
    n_boxes = 0
    for split, expected in (("train", 6), ("val", 2)):
        imgs = sorted((out / data[split]).glob("*.png"))
        assert len(imgs) == expected
        for img in imgs:
            # Labels live where Ultralytics looks: /images/ -> /labels/, .png -> .txt
            lab = out / "labels" / split / (img.stem + ".txt")
            assert lab.exists()
            for line in lab.read_text().splitlines():
                f = line.split()
                assert len(f) == 5 and f[0].isdigit() and int(f[0]) in data["names"]
                cx, cy, w, h = map(float, f[1:])
                assert 0 < w <= 1 and 0 < h <= 1
                assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 <= 1 + 1e-6
                assert 0 <= cy - h / 2 + 1e-6 and cy + h / 2 <= 1 + 1e-6
                n_boxes += 1
    assert n_boxes == sum(res.boxes_per_class.values()) > 0
    import cv2

    im = cv2.imread(str(imgs[0]), cv2.IMREAD_UNCHANGED)
    assert im.shape == (512, 640) and im.dtype == np.uint8


def test_coco_matches_yolo(dataset):
    out, res = dataset
    n = 0
    for split in ("train", "val"):
        doc = json.loads((out / f"coco_{split}.json").read_text())
        assert [c["name"] for c in doc["categories"]] == list(sim.CLASS_NAMES)
        ids = {im["id"] for im in doc["images"]}
        for a in doc["annotations"]:
            assert a["image_id"] in ids and a["iscrowd"] == 0
            x, y, w, h = a["bbox"]
            assert w > 0 and h > 0 and 0 <= x and x + w <= 640 and 0 <= y and y + h <= 512
            assert math.isclose(a["area"], w * h)
        n += len(doc["annotations"])
    assert n == sum(res.boxes_per_class.values())
    meta = [json.loads(s) for s in (out / "frames.jsonl").read_text().splitlines()]
    assert len(meta) == 8 and all("lat_deg" in m for m in meta)
