"""HIT-UAV json -> YOLO labels: a tiny synthetic dataset with hand-computed boxes, and the real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from geo.errors import FormatError, InputError, SarIOError
from tests.conftest import shared_path
from vision.hituav import PERSON_ONLY, YoloBox, convert_hituav, convert_split, labels_from_coco

W, H = 640, 512


def _coco(annotations: list[dict], images: list[dict] | None = None, key: str = "annotation") -> dict:
    images = images if images is not None else [{"filename": "a.jpg", "width": W, "height": H, "id": 7}]
    cats = [{"id": i, "name": n} for i, n in enumerate(["Person", "Car", "Bicycle", "OtherVehicle", "DontCare"])]
    return {"images": images, "categories": cats, key: annotations}


def _ann(image_id: int, cat: int, bbox: list[float], ann_id: int = 1) -> dict:
    return {"image_id": image_id, "category_id": cat, "bbox": bbox, "id": ann_id, "area": bbox[2] * bbox[3]}


@pytest.fixture
def tiny_hituav(tmp_path: Path) -> Path:
    """Two splits, three images on disk (one listed image missing), persons, a car, a negative."""
    root = tmp_path / "hit"
    rng = np.random.default_rng(5)
    for split, names in {"train": ["p1.jpg", "neg.jpg"], "val": ["v1.jpg"]}.items():
        (root / "images" / split).mkdir(parents=True)
        for n in names:
            Image.fromarray(rng.integers(0, 255, (H, W), dtype=np.uint8)).convert("RGB").save(root / "images" / split / n)
    train = _coco(
        [
            _ann(1, 0, [100, 50, 12, 20], 1),  # person
            _ann(1, 1, [300, 300, 40, 20], 2),  # car: dropped
            _ann(1, 0, [630, 500, 20, 30], 3),  # person crossing the corner: clipped to 10 x 12
            _ann(2, 4, [10, 10, 5, 5], 4),  # DontCare on the negative: dropped
        ],
        images=[
            {"filename": "p1.jpg", "width": W, "height": H, "id": 1},
            {"filename": "neg.jpg", "width": W, "height": H, "id": 2},
            {"filename": "gone.jpg", "width": W, "height": H, "id": 3},
        ],
    )
    val = _coco([_ann(9, 0, [0, 0, 64, 51.2], 5)], images=[{"filename": "v1.jpg", "width": W, "height": H, "id": 9}])
    (root / "train.json").write_text(json.dumps(train))
    (root / "val.json").write_text(json.dumps(val))
    return root


def test_labels_from_coco_normalises_boxes_exactly():
    labels, dropped = labels_from_coco(_coco([_ann(7, 0, [100, 50, 12, 20])]))
    (box,) = labels["a.jpg"]
    assert box.class_id == 0
    # hand-computed: centre (106, 60) px, size 12 x 20 px on 640 x 512
    assert box.cx == pytest.approx(106 / 640, abs=1e-12)
    assert box.cy == pytest.approx(60 / 512, abs=1e-12)
    assert box.w == pytest.approx(12 / 640, abs=1e-12)
    assert box.h == pytest.approx(20 / 512, abs=1e-12)
    assert dropped == 0
    assert box.line() == "0 0.165625 0.117188 0.018750 0.039062"


def test_only_person_is_kept_and_other_categories_are_counted_as_dropped():
    anns = [_ann(7, c, [10 * c + 1, 10, 8, 8], c) for c in range(5)]
    labels, dropped = labels_from_coco(_coco(anns))
    assert [b.class_id for b in labels["a.jpg"]] == [0]
    assert dropped == 4


def test_boxes_are_clipped_to_the_image_and_vanishing_ones_dropped():
    anns = [_ann(7, 0, [-5, -5, 15, 25], 1), _ann(7, 0, [700, 10, 10, 10], 2)]
    labels, dropped = labels_from_coco(_coco(anns))
    (box,) = labels["a.jpg"]
    # clipped to x 0..10, y 0..20 px
    assert (box.cx * W, box.cy * H, box.w * W, box.h * H) == pytest.approx((5, 10, 10, 20), abs=1e-9)
    assert dropped == 1


def test_standard_coco_key_annotations_is_accepted_too():
    labels, _ = labels_from_coco(_coco([_ann(7, 0, [1, 1, 4, 4])], key="annotations"))
    assert len(labels["a.jpg"]) == 1


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"images": []}, "no 'annotation' list"),
        ({"annotation": []}, "no 'images' list"),
        ({"images": [{"filename": "a.jpg", "id": 1}], "annotation": []}, "width/height"),
        (_coco([_ann(99, 0, [1, 1, 2, 2])]), "image_id=99"),
        (_coco([_ann(7, 0, [1, 1, "wide", 2])]), "bbox"),
    ],
)
def test_malformed_json_raises_format_error(doc, match):
    with pytest.raises(FormatError, match=match):
        labels_from_coco(doc)


def test_convert_split_writes_yolo_layout(tiny_hituav: Path, tmp_path: Path):
    out = tmp_path / "yolo"
    summary = convert_split(tiny_hituav / "train.json", tiny_hituav / "images" / "train", out, "train")
    assert (summary.n_images, summary.n_boxes, summary.n_negative_images) == (2, 2, 1)
    assert summary.n_listed_missing == 1  # gone.jpg is listed but not on disk
    assert summary.n_boxes_dropped == 2  # the car and the DontCare box
    lines = (out / "labels" / "train" / "p1.txt").read_text().splitlines()
    assert lines[0] == "0 0.165625 0.117188 0.018750 0.039062"
    # the corner person clipped to x 630..640, y 500..512
    _, cx, cy, w, h = (float(v) for v in lines[1].split())
    assert (cx * W, cy * H, w * W, h * H) == pytest.approx((635, 506, 10, 12), abs=1e-3)
    assert (out / "labels" / "train" / "neg.txt").read_text() == ""
    img = out / "images" / "train" / "p1.jpg"
    assert img.is_symlink() and img.resolve() == (tiny_hituav / "images" / "train" / "p1.jpg").resolve()


def test_convert_split_can_copy(tiny_hituav: Path, tmp_path: Path):
    convert_split(tiny_hituav / "val.json", tiny_hituav / "images" / "val", tmp_path / "y", "val", link=False)
    img = tmp_path / "y" / "images" / "val" / "v1.jpg"
    assert img.is_file() and not img.is_symlink()


def test_convert_hituav_writes_data_yaml(tiny_hituav: Path, tmp_path: Path):
    data, summaries = convert_hituav(tiny_hituav, tmp_path / "y")
    doc = yaml.safe_load(data.read_text())
    assert doc["names"] == {0: "person"}
    assert (doc["train"], doc["val"]) == ("images/train", "images/val")
    assert Path(doc["path"]) == (tmp_path / "y").resolve()
    assert [s.split for s in summaries] == ["train", "val"]
    (line,) = (tmp_path / "y" / "labels" / "val" / "v1.txt").read_text().splitlines()
    assert line == "0 0.050000 0.050000 0.100000 0.100000"


def test_missing_folder_and_unreadable_json_are_clear(tiny_hituav: Path, tmp_path: Path):
    with pytest.raises(SarIOError, match="images_dir"):
        convert_split(tiny_hituav / "train.json", tmp_path / "nope", tmp_path / "y", "train")
    with pytest.raises(SarIOError, match="cannot read labels json"):
        convert_split(tmp_path / "nope.json", tiny_hituav / "images" / "train", tmp_path / "y", "train")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        convert_split(tmp_path / "bad.json", tiny_hituav / "images" / "train", tmp_path / "y", "train")
    with pytest.raises(SarIOError, match="no image listed"):
        convert_split(tiny_hituav / "val.json", tiny_hituav / "images" / "train", tmp_path / "y", "train")
    with pytest.raises(InputError, match="split"):
        convert_split(tiny_hituav / "val.json", tiny_hituav / "images" / "val", tmp_path / "y", "a/b")


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-50, 700), y=st.floats(-50, 560), w=st.floats(0.01, 200), h=st.floats(0.01, 200),
)
def test_every_kept_box_is_normalised_and_inside_the_image(x, y, w, h):
    labels, dropped = labels_from_coco(_coco([_ann(7, 0, [x, y, w, h])]))
    boxes = labels["a.jpg"]
    assert len(boxes) + dropped == 1
    for b in boxes:
        assert 0 <= b.cx - b.w / 2 + 1e-12 and b.cx + b.w / 2 <= 1 + 1e-12
        assert 0 <= b.cy - b.h / 2 + 1e-12 and b.cy + b.h / 2 <= 1 + 1e-12
        assert b.w > 0 and b.h > 0


def test_yolobox_rejects_out_of_range_values():
    with pytest.raises(InputError, match="cx"):
        YoloBox(0, 1.5, 0.5, 0.1, 0.1)
    with pytest.raises(InputError, match="w="):
        YoloBox(0, 0.5, 0.5, 0.0, 0.1)


@pytest.mark.shared_data
def test_real_hituav_val_conversion_matches_the_json(tmp_path: Path):
    root = shared_path("thermal", "hit_uav")
    data, (summary,) = convert_hituav(root, tmp_path / "y", splits=("val",))
    coco = json.loads((root / "val.json").read_text())
    persons = sum(1 for a in coco["annotation"] if a["category_id"] == 0)
    assert summary.n_images == len(coco["images"]) == 290
    assert summary.n_boxes == persons == 1168  # no val person box is degenerate or outside the frame
    assert summary.n_boxes_dropped == len(coco["annotation"]) - persons
    assert summary.n_listed_missing == 0
    labels = sorted((tmp_path / "y" / "labels" / "val").glob("*.txt"))
    assert len(labels) == 290
    values = np.array([[float(v) for v in ln.split()] for p in labels for ln in p.read_text().splitlines()])
    assert values.shape == (1168, 5)
    assert set(values[:, 0]) == {0.0}
    assert (values[:, 1:] >= 0).all() and (values[:, 1:] <= 1).all()
    # HIT-UAV people are small: median height in pixels between 10 and 30 at 512 px
    assert 10 < np.median(values[:, 4]) * H < 30
    assert PERSON_ONLY == {0: (0, "person")}
