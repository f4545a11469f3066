"""Training datasets from a scene: survey-like poses, YOLO and COCO files.

Layout written by :func:`write_dataset` (the Ultralytics detection format)::

    OUT/data.yaml                       path (absolute), train, val, names {0: person, 1: sheep, 2: cow, 3: dog}
    OUT/images/{train,val}/NAME.png     8-bit AGC video, white-hot by default (like HIT-UAV)
    OUT/labels/{train,val}/NAME.txt     one "class cx cy w h" line per visible target, normalised 0..1
    OUT/coco_{train,val}.json           the same boxes as COCO (bbox [x, y, w, h] in pixels)
    OUT/frames.jsonl                    per frame: pose, GSD, AGC span, truths with lat/lon
    OUT/radiometric/{train,val}/*.png   16-bit counts (optional; T_C = counts / 100 - 273.15)

Class ids keep ``person`` at 0 so HIT-UAV's Person (category 0) merges.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import geo
from geo.errors import InputError, SarIOError
from sim.bodies import CLASS_NAMES
from sim.posing import pose_looking_at
from sim.render import RenderedFrame, render_frame
from sim.scene import Scene
from sim.sensor import SensorModel, check_seed

__all__ = ["sample_survey_poses", "write_dataset", "DatasetResult", "yolo_lines", "coco_document", "DATASET_ENTRIES",
           "check_dataset_dir"]

#: What :func:`write_dataset` writes into its folder (and what ``overwrite=True`` replaces; nothing else is touched).
DATASET_ENTRIES = ("images", "labels", "radiometric", "coco_train.json", "coco_val.json", "frames.jsonl", "data.yaml")
_YAML_HEADER = "# thermal-sar synthetic dataset"
MAX_FRAMES = 1_000_000


def sample_survey_poses(scene: Scene, n: int, *, seed: int = 0, agl_range_m: tuple[float, float] = (60.0, 130.0),
                        depression_range_deg: tuple[float, float] = (45.0, 90.0),
                        target_fraction: float = 0.7) -> list[geo.CameraPose]:
    """``n`` poses like a survey flight: 60-130 m above ground, camera 45-90 deg below the horizon.

    A share ``target_fraction`` aims within about 40 m of a random target (so
    the dataset has something to learn); the rest look at uniform points of the
    scene's search area (mostly empty frames, as in a real search).
    """
    from shapely.geometry import Point, Polygon

    if not (1 <= n <= MAX_FRAMES):
        raise InputError(f"n={n} is out of range: allowed 1..{MAX_FRAMES} frames.")
    lo, hi = agl_range_m
    if not (5 <= lo <= hi <= 3000):
        raise InputError(f"agl_range_m={agl_range_m} is out of range: allowed 5 <= low <= high <= 3000 m.")
    dlo, dhi = depression_range_deg
    if not (5 <= dlo <= dhi <= 90):
        raise InputError(f"depression_range_deg={depression_range_deg} is out of range: allowed 5..90.")
    if not 0 <= target_fraction <= 1:
        raise InputError(f"target_fraction={target_fraction} is out of range: allowed 0..1.")
    rng = np.random.default_rng(seed)
    xy = np.array([scene.frame.to_local(a, b) for a, b in scene.search_area_latlon])
    area = Polygon(xy)
    minx, miny, maxx, maxy = area.bounds
    poses = []
    for k in range(n):
        agl = float(rng.uniform(lo, hi))
        dep = float(rng.uniform(dlo, dhi))
        yaw = float(rng.uniform(0, 360))
        if scene.targets and rng.uniform() < target_fraction:
            t = scene.targets[int(rng.integers(len(scene.targets)))]
            x, y = t.x_m + rng.normal(0, 20), t.y_m + rng.normal(0, 20)
        else:
            while True:
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if area.contains(Point(x, y)):
                    break
        poses.append(pose_looking_at(scene, float(x), float(y), agl, dep, yaw, time_s=float(k * 2.0)))
    return poses


def yolo_lines(frame: RenderedFrame) -> list[str]:
    """YOLO label lines ``class cx cy w h`` (normalised) for the frame's visible targets."""
    w, h = frame.camera.width_px, frame.camera.height_px
    out = []
    for t in frame.truths:
        x, y, bw, bh = t.box_xywh_px
        out.append(f"{t.class_id} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}")
    return out


def coco_document(images: list[dict], annotations: list[dict]) -> dict:
    """A COCO detection document with this project's categories."""
    return {
        "info": {"description": "thermal-sar synthetic thermal frames", "version": "1"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n, "supercategory": "animal" if i else "person"}
                       for i, n in enumerate(CLASS_NAMES)],
    }


@dataclass(frozen=True)
class DatasetResult:
    out_dir: Path
    frames: int
    train_frames: int
    val_frames: int
    boxes_per_class: dict[str, int]
    empty_frames: int

    def summary(self) -> str:
        boxes = ", ".join(f"{v} {k}" for k, v in self.boxes_per_class.items() if v) or "no boxes"
        return (f"wrote {self.frames} frames ({self.train_frames} train, {self.val_frames} val; "
                f"{self.empty_frames} without targets) with {boxes} to {self.out_dir}")


def _write_png(path: Path, a: np.ndarray) -> None:
    import cv2

    if a.ndim == 3:
        a = a[..., ::-1]  # RGB -> BGR for OpenCV
    if not cv2.imwrite(str(path), np.ascontiguousarray(a)):
        raise SarIOError(f"cannot write image {str(path)!r}. Hint: check the folder is writable.")


def check_dataset_dir(out: Path, overwrite: bool) -> None:
    """Refuse a file, or a non-empty folder unless ``overwrite`` and it holds a dataset of this writer."""
    if out.exists() and not out.is_dir():
        raise SarIOError(f"out_dir={str(out)!r} is a file: allowed a new or empty folder. Hint: choose another "
                         "name.")
    if not out.is_dir():
        return
    try:
        present = sorted(p.name for p in out.iterdir())
    except OSError as exc:
        raise SarIOError(f"cannot read folder {str(out)!r}: {exc.strerror or exc}.") from None
    if not present:
        return
    if not overwrite:
        raise InputError(f"out_dir={str(out)!r} is not empty ({len(present)} entries, e.g. {present[0]!r}): allowed "
                         "a new or empty folder. Hint: choose a new folder, or pass --overwrite (overwrite=True) to "
                         "replace the dataset written there before.")
    yaml_path = out / "data.yaml"
    try:
        ours = yaml_path.is_file() and yaml_path.read_text(encoding="utf-8", errors="replace").startswith(_YAML_HEADER)
    except OSError:
        ours = False
    if not ours:
        raise InputError(f"out_dir={str(out)!r} is not empty and holds no thermal-sar synthetic dataset (no "
                         f"data.yaml written by it): overwrite is allowed only over such a dataset. Hint: choose a "
                         "new or empty folder.")


def _swap_in(stage: Path, out: Path) -> None:
    """Replace the dataset entries of ``out`` by those of ``stage`` (other files in ``out`` stay)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in DATASET_ENTRIES:
        old = out / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
    for child in stage.iterdir():
        os.replace(child, out / child.name)
    stage.rmdir()


def write_dataset(scene: Scene | Sequence[Scene], out_dir: str | Path, n: int, *,
                  camera: geo.CameraModel | str = "m30t",
                  seed: int = 0, val_fraction: float = 0.2, palette: str = "white-hot", radiometric: bool = False,
                  target_fraction: float = 0.7, sensor: SensorModel | None = None,
                  progress: Callable[[int, int], None] | None = None, overwrite: bool = False) -> DatasetResult:
    """Render ``n`` survey-like frames of ``scene`` and write them as a YOLO + COCO dataset to ``out_dir``.

    ``scene`` may be a sequence of scenes: frames are shared among them in turn (frame k from scene
    k mod len), so one dataset mixes classes, places, day and night.

    ``out_dir`` must be new or empty; with ``overwrite`` it may hold a dataset written here before, whose
    own entries (:data:`DATASET_ENTRIES`) are replaced. Frames are written to a folder beside ``out_dir``
    and moved in at the end, so a failure leaves ``out_dir`` as it was.
    """
    scenes = [scene] if isinstance(scene, Scene) else list(scene)
    if not scenes:
        raise InputError("scene: give at least one scene.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_FRAMES:
        raise InputError(f"n={n!r} is out of range: allowed 1..{MAX_FRAMES} frames.")
    n = int(n)
    check_seed(seed)
    if isinstance(camera, str):
        camera = geo.camera_preset(camera)
    if not (isinstance(val_fraction, (int, float)) and 0 <= val_fraction < 1):
        raise InputError(f"val_fraction={val_fraction} is out of range: allowed 0 <= v < 1.")
    out = Path(out_dir)
    check_dataset_dir(out, overwrite)
    where = out.resolve()
    stage = where.parent / f".{where.name}.partial"
    try:
        if stage.exists():
            shutil.rmtree(stage)
        for split in ("train", "val"):
            (stage / "images" / split).mkdir(parents=True, exist_ok=True)
            (stage / "labels" / split).mkdir(parents=True, exist_ok=True)
            if radiometric:
                (stage / "radiometric" / split).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise SarIOError(f"cannot create dataset folder {str(out)!r}: {exc.strerror or exc}. Hint: choose a "
                         "writable folder.") from None
    try:
        result = _write_frames(scenes, stage, out, n, camera=camera, seed=seed, val_fraction=val_fraction,
                               palette=palette, radiometric=radiometric, target_fraction=target_fraction,
                               sensor=sensor, progress=progress)
        _swap_in(stage, out)
    except OSError as exc:
        if isinstance(exc, SarIOError):
            raise
        raise SarIOError(f"cannot write dataset {str(out)!r}: {exc.strerror or exc}. Hint: check the free space "
                         "and the folder's permissions.") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # gone after a successful swap; the half-made set after a failure
    return result


def _write_frames(scenes: list[Scene], stage: Path, out: Path, n: int, *, camera: geo.CameraModel, seed: int,
                  val_fraction: float, palette: str, radiometric: bool, target_fraction: float,
                  sensor: SensorModel | None, progress) -> DatasetResult:
    per_scene = [sample_survey_poses(sc, len(range(i, n, len(scenes))), seed=seed + 7919 * i,
                                     target_fraction=target_fraction) for i, sc in enumerate(scenes)]
    jobs = [(scenes[k % len(scenes)], per_scene[k % len(scenes)][k // len(scenes)]) for k in range(n)]
    n_val = int(round(n * val_fraction))
    rng = np.random.default_rng([seed, 1])
    val_idx = set(rng.choice(n, size=n_val, replace=False).tolist()) if n_val else set()
    coco = {"train": ([], []), "val": ([], [])}
    counts = {c: 0 for c in CLASS_NAMES}
    empty = 0
    meta_path = stage / "frames.jsonl"
    with open(meta_path, "w", encoding="utf-8") as meta:
        for k, (scene_k, pose) in enumerate(jobs):
            split = "val" if k in val_idx else "train"
            fr = render_frame(scene_k, camera, pose, seed=seed * 1_000_003 + k, sensor=sensor)
            name = f"{scene_k.name}_{seed}_{k:06d}"
            _write_png(stage / "images" / split / f"{name}.png", fr.video(palette))
            if radiometric:
                _write_png(stage / "radiometric" / split / f"{name}.png", fr.counts)
            lines = yolo_lines(fr)
            (stage / "labels" / split / f"{name}.txt").write_text("".join(s + "\n" for s in lines), encoding="utf-8")
            imgs, anns = coco[split]
            img_id = len(imgs)
            imgs.append({"id": img_id, "file_name": f"images/{split}/{name}.png", "width": camera.width_px,
                         "height": camera.height_px})
            for t in fr.truths:
                counts[t.class_name] += 1
                x, y, bw, bh = t.box_xywh_px
                anns.append({"id": len(anns), "image_id": img_id, "category_id": t.class_id,
                             "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": 0})
            empty += not fr.truths
            meta.write(json.dumps({
                "image": f"images/{split}/{name}.png", "lat_deg": pose.lat_deg, "lon_deg": pose.lon_deg,
                "alt_amsl_m": pose.alt_amsl_m, "yaw_deg": pose.yaw_deg, "gimbal_pitch_deg": pose.gimbal_pitch_deg,
                "gsd_center_m": None if math.isnan(fr.gsd_center_m) else round(fr.gsd_center_m, 4),
                "agc_span_c": [round(v, 3) for v in fr.agc_span_c],
                "truths": [{"class": t.class_name, "box_xywh_px": list(t.box_xywh_px), "lat_deg": t.lat_deg,
                            "lon_deg": t.lon_deg, "visible_fraction": round(t.visible_fraction, 3)}
                           for t in fr.truths]}) + "\n")
            if progress is not None:
                progress(k + 1, n)
    for split, (imgs, anns) in coco.items():
        (stage / f"coco_{split}.json").write_text(json.dumps(coco_document(imgs, anns)), encoding="utf-8")
    names = "\n".join(f"  {i}: {c}" for i, c in enumerate(CLASS_NAMES))
    (stage / "data.yaml").write_text(
        f"{_YAML_HEADER}: scenarios {', '.join(sc.name for sc in scenes)}, seed {seed}, "
        f"camera {camera.name}\n"
        f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n", encoding="utf-8")
    return DatasetResult(out, n, n - n_val, n_val, counts, empty)
