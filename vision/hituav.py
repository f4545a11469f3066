"""HIT-UAV (COCO-like json) -> YOLO-format dataset for training.

HIT-UAV (Suo et al., CC BY 4.0) ships one json per split whose list of boxes
sits under the key ``annotation`` (not COCO's ``annotations``). Boxes are
``[x, y, w, h]`` in pixels, top-left origin. Categories: 0 Person, 1 Car,
2 Bicycle, 3 OtherVehicle, 4 DontCare. thermal-sar searches for people, so by
default only Person is kept, as YOLO class 0 ``person``; every other box is
dropped, and an image left with no box is kept as a negative (an empty label
file), which teaches the detector that cars and warm roofs are not people.

The YOLO layout written by :func:`convert_split`::

    out_dir/images/<split>/<name>.jpg   symlink to (or copy of) the source image
    out_dir/labels/<split>/<name>.txt   one line per box: class cx cy w h, all in [0, 1]

:func:`labels_from_coco` is pure (a parsed json in, label lines out); the
functions that touch files are :func:`load_coco_json`, :func:`convert_split`
and :func:`convert_hituav`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import FormatError, InputError, SarIOError

__all__ = [
    "HITUAV_CATEGORIES",
    "PERSON_ONLY",
    "YoloBox",
    "SplitSummary",
    "load_coco_json",
    "labels_from_coco",
    "convert_split",
    "convert_hituav",
    "write_yolo_data_yaml",
]

HITUAV_CATEGORIES: dict[int, str] = {0: "Person", 1: "Car", 2: "Bicycle", 3: "OtherVehicle", 4: "DontCare"}

# HIT-UAV category id -> (YOLO class id, YOLO class name). Only people are targets.
PERSON_ONLY: dict[int, tuple[int, str]] = {0: (0, "person")}


@dataclass(frozen=True, slots=True)
class YoloBox:
    """One YOLO label: class id and a box normalised by the image size (all in [0, 1])."""

    class_id: int
    cx: float
    cy: float
    w: float
    h: float

    def __post_init__(self) -> None:
        for name in ("cx", "cy", "w", "h"):
            v = getattr(self, name)
            if not (0.0 <= v <= 1.0):
                raise InputError(f"{name}={v!r} is out of range: allowed 0 <= {name} <= 1 (normalised).")
        if self.w <= 0.0 or self.h <= 0.0:
            raise InputError(f"box w={self.w!r}, h={self.h!r}: both must be > 0.")
        if self.class_id < 0:
            raise InputError(f"class_id={self.class_id!r} is out of range: allowed >= 0.")

    def line(self) -> str:
        """The label-file line ``class cx cy w h`` (6 decimals: 0.001 px at 640 px)."""
        return f"{self.class_id} {self.cx:.6f} {self.cy:.6f} {self.w:.6f} {self.h:.6f}"


@dataclass(frozen=True, slots=True)
class SplitSummary:
    """What :func:`convert_split` wrote."""

    split: str
    n_images: int  # images written (present on disk and listed in the json)
    n_boxes: int  # boxes kept
    n_negative_images: int  # images with no kept box (empty label file)
    n_listed_missing: int  # images listed in the json but absent from images_dir
    n_boxes_dropped: int  # boxes of other categories, or degenerate after clipping


def load_coco_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a HIT-UAV / COCO json file; raise SarIOError or FormatError with the path."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SarIOError(f"cannot read labels json {str(p)!r}: {exc.strerror or exc}.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"labels json {str(p)!r} is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise FormatError(f"labels json {str(p)!r}: top level is {type(data).__name__}, expected an object.")
    return data


def _annotation_list(coco: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # HIT-UAV says "annotation"; standard COCO says "annotations". Accept both.
    for key in ("annotation", "annotations"):
        if key in coco:
            anns = coco[key]
            if not isinstance(anns, list):
                raise FormatError(f"labels json key {key!r} holds {type(anns).__name__}, expected a list.")
            return anns
    raise FormatError(
        f"labels json has no 'annotation' list (keys: {sorted(coco)}). "
        "Hint: HIT-UAV's train.json/val.json keep boxes under 'annotation', COCO under 'annotations'."
    )


def labels_from_coco(
    coco: Mapping[str, Any],
    *,
    keep: Mapping[int, tuple[int, str]] = PERSON_ONLY,
) -> tuple[dict[str, list[YoloBox]], int]:
    """YOLO boxes per image file name, from a parsed HIT-UAV/COCO json.

    Parameters
    ----------
    coco : the parsed json (``images`` with ``filename`` or ``file_name``,
        ``width``, ``height``, ``id``; ``annotation`` with ``image_id``,
        ``category_id``, ``bbox`` = [x, y, w, h] in pixels).
    keep : source category id -> (YOLO class id, name). Boxes of other
        categories are dropped.

    Returns
    -------
    (labels, n_dropped) : ``labels`` maps every listed image's file name to its
        kept boxes (possibly empty, a negative image), in json order; boxes are
        clipped to the image and dropped when nothing is left of them.
    """
    images = coco.get("images")
    if not isinstance(images, list):
        raise FormatError("labels json has no 'images' list. Hint: is this a HIT-UAV/COCO json?")
    anns = _annotation_list(coco)
    by_id: dict[Any, tuple[str, float, float]] = {}
    labels: dict[str, list[YoloBox]] = {}
    for im in images:
        name = im.get("filename", im.get("file_name"))
        try:
            width, height = float(im["width"]), float(im["height"])
            image_id = im["id"]
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"image entry {im!r} lacks a valid id/width/height: {exc}.") from exc
        if not isinstance(name, str) or not name or width <= 0 or height <= 0:
            raise FormatError(f"image entry {im!r}: need a file name and width, height > 0.")
        by_id[image_id] = (name, width, height)
        labels.setdefault(name, [])
    dropped = 0
    for a in anns:
        cat = a.get("category_id")
        if cat not in keep:
            dropped += 1
            continue
        image = by_id.get(a.get("image_id"))
        if image is None:
            raise FormatError(f"annotation id={a.get('id')!r} refers to image_id={a.get('image_id')!r}, which is not listed.")
        name, width, height = image
        try:
            x, y, w, h = (float(v) for v in a["bbox"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"annotation id={a.get('id')!r}: bbox must be [x, y, w, h] numbers ({exc}).") from exc
        x0, y0 = max(0.0, x), max(0.0, y)
        x1, y1 = min(width, x + w), min(height, y + h)
        if x1 - x0 < 1e-6 or y1 - y0 < 1e-6:
            dropped += 1
            continue
        cls_id = keep[cat][0]
        labels[name].append(
            YoloBox(cls_id, (x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height)
        )
    return labels, dropped


def _place(src: Path, dst: Path, link: bool) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    if link:
        try:
            dst.symlink_to(src.resolve())
            return
        except OSError:
            pass  # file systems without symlinks: fall through to a copy
    shutil.copy2(src, dst)


def convert_split(
    json_path: str | os.PathLike[str],
    images_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    split: str,
    *,
    keep: Mapping[int, tuple[int, str]] = PERSON_ONLY,
    link: bool = True,
) -> SplitSummary:
    """Write one split in YOLO layout under ``out_dir`` (see module docstring).

    Only images that are both listed in the json and present in ``images_dir``
    are written (the shared HIT-UAV train folder holds every other image).
    ``link=True`` symlinks images instead of copying them.
    """
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SarIOError(f"images_dir={str(images_dir)!r} is not a directory. Hint: point at HIT-UAV's images/<split>.")
    if not split or "/" in split:
        raise InputError(f"split={split!r} is not allowed: use a plain name such as 'train' or 'val'.")
    labels, dropped = labels_from_coco(load_coco_json(json_path), keep=keep)
    out = Path(out_dir)
    img_out, lab_out = out / "images" / split, out / "labels" / split
    img_out.mkdir(parents=True, exist_ok=True)
    lab_out.mkdir(parents=True, exist_ok=True)
    n_images = n_boxes = n_neg = n_missing = 0
    for name, boxes in labels.items():
        src = images_dir / name
        if not src.is_file():
            n_missing += 1
            continue
        _place(src, img_out / name, link)
        text = "".join(b.line() + "\n" for b in boxes)
        (lab_out / (Path(name).stem + ".txt")).write_text(text, encoding="utf-8")
        n_images += 1
        n_boxes += len(boxes)
        n_neg += not boxes
    if n_images == 0:
        raise SarIOError(
            f"no image listed in {str(json_path)!r} was found in {str(images_dir)!r}. Hint: json and images of the same split?"
        )
    return SplitSummary(split, n_images, n_boxes, n_neg, n_missing, dropped)


def write_yolo_data_yaml(out_dir: str | os.PathLike[str], names: list[str] | tuple[str, ...], splits: Mapping[str, str]) -> Path:
    """Write ``out_dir/data.yaml`` (ultralytics format) with absolute ``path``; return its path."""
    import yaml

    out = Path(out_dir).resolve()
    doc: dict[str, Any] = {"path": str(out), **dict(splits), "names": {i: n for i, n in enumerate(names)}}
    p = out / "data.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


def convert_hituav(
    hituav_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    splits: tuple[str, ...] = ("train", "val"),
    link: bool = True,
) -> tuple[Path, tuple[SplitSummary, ...]]:
    """Convert a HIT-UAV folder (``<split>.json`` + ``images/<split>/``) to YOLO, Person only.

    Returns the written ``data.yaml`` (names: ``person``) and one summary per split.
    """
    root = Path(hituav_dir)
    summaries = []
    for split in splits:
        summaries.append(convert_split(root / f"{split}.json", root / "images" / split, out_dir, split, link=link))
    names = [n for _, n in sorted(PERSON_ONLY.values())]
    data = write_yolo_data_yaml(out_dir, names, {s: f"images/{s}" for s in splits})
    return data, tuple(summaries)
