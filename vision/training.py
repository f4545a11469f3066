"""Train the thermal-sar YOLO detector with ultralytics, offline, and export it to ONNX.

Training is a development-time job: torch and ultralytics come from the
``train`` extra (``make train-env`` builds ``.venv-train``) and are imported
only inside :func:`run_training` and :func:`export_onnx`. Everything else here
(dataset merging, argument building, the offline environment) is plain Python
that the main environment and its tests can use.

Offline rules (no hub, no downloads):

* ``YOLO_OFFLINE=1`` and ``YOLO_AUTOINSTALL=false`` are set before ultralytics
  is imported, and ``YOLO_CONFIG_DIR`` points at a project-local folder
  (``.yolo/``) holding ``Arial.ttf``/``Arial.Unicode.ttf`` copied from a local
  font, so plotting never tries to download one.
* The network is built from a model yaml (``yolo11n.yaml``): training starts
  from scratch, no ``*.pt`` is fetched. On the CPU ultralytics does not run its
  AMP check (the one that would download ``yolo11n.pt``); :func:`train_kwargs`
  also sets ``amp=False`` so no device can trigger it.
* ``nbs`` (the nominal batch size that scales gradient accumulation and weight
  decay) is set to the batch size: with the default 64 and a batch of 16,
  ultralytics accumulates 4 batches per step, which a small dataset cannot afford.

Class ids are fixed project-wide by :data:`CLASS_NAMES`; :func:`merge_datasets`
maps every source dataset onto them by class *name*, so HIT-UAV (``person``)
and ``thermal-sar sim dataset`` output (person, sheep, cow, dog) train together.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import FormatError, InputError, SarError, SarIOError

__all__ = [
    "CLASS_NAMES",
    "MODEL_FORMAT",
    "TRAIN_EXTRA_HINT",
    "TrainingUnavailableError",
    "YoloDataset",
    "MergeSummary",
    "TrainConfig",
    "ExportSummary",
    "read_data_yaml",
    "class_id_map",
    "remap_label_text",
    "merge_datasets",
    "offline_env",
    "prepare_config_dir",
    "train_kwargs",
    "require_training_stack",
    "run_training",
    "export_onnx",
    "write_sidecar",
    "TrainOutcome",
    "resolve_sources",
    "train_and_export",
    "PayloadSummary",
    "write_device_payload",
]

# Project-wide YOLO class ids. The order is part of the shipped model's contract.
CLASS_NAMES: tuple[str, ...] = ("person", "sheep", "cow", "dog")

# Written into the sidecar json beside the ONNX file; vision/yolo.py checks it.
MODEL_FORMAT = "ultralytics-yolo11-onnx"

TRAIN_EXTRA_HINT = (
    "Hint: training needs torch and ultralytics, kept out of the main environment. "
    "Run `make train-env` (builds .venv-train with torch==2.14.1, torchvision==0.29.1, "
    "ultralytics==8.4.190, onnx==1.23.2) and use `.venv-train/bin/thermal-sar train ...`."
)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


class TrainingUnavailableError(SarError, ImportError):
    """torch/ultralytics (the ``train`` extra) are not installed in this environment."""


# --------------------------------------------------------------------------- datasets


@dataclass(frozen=True, slots=True)
class YoloDataset:
    """A parsed ultralytics ``data.yaml``: class names and, per split, image folders or list files."""

    data_yaml: Path
    names: tuple[str, ...]
    splits: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)


def _names_from_yaml(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, Mapping):
        try:
            ids = sorted(int(k) for k in raw)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{where}: 'names' keys must be class ids 0..n-1, got {list(raw)!r}.") from exc
        if ids != list(range(len(ids))):
            raise FormatError(f"{where}: 'names' ids must be 0..{len(ids) - 1} without gaps, got {ids}.")
        lookup = {int(k): v for k, v in raw.items()}
        names = [lookup[i] for i in ids]
    elif isinstance(raw, list):
        names = raw
    else:
        raise FormatError(f"{where}: 'names' must be a list or an id -> name mapping, got {type(raw).__name__}.")
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise FormatError(f"{where}: 'names' must be non-empty strings, got {names!r}.")
    return tuple(n.strip() for n in names)


def read_data_yaml(path: str | os.PathLike[str]) -> YoloDataset:
    """Parse an ultralytics ``data.yaml``; split entries become absolute paths.

    Relative split paths are taken against the yaml's ``path`` key (itself
    relative to the yaml's folder) or, without it, the yaml's folder.
    ``path`` may also be a dataset folder holding ``data.yaml``.
    """
    import yaml

    p = Path(path)
    if p.is_dir():
        p = p / "data.yaml"
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SarIOError(
            f"cannot read dataset {str(p)!r}: {exc.strerror or exc}. "
            "Hint: pass a data.yaml or a folder holding one (e.g. the output of `thermal-sar sim dataset`)."
        ) from exc
    except UnicodeDecodeError:
        raise FormatError(
            f"dataset {str(p)!r} is not a text file (not UTF-8): allowed a data.yaml, a folder holding one, or a "
            "HIT-UAV folder. Hint: `thermal-sar sim dataset --out DIR` writes a folder to pass as --data DIR."
        ) from None
    except yaml.YAMLError as exc:
        raise FormatError(f"dataset {str(p)!r} is not valid YAML: {exc}.") from exc
    if not isinstance(doc, Mapping):
        raise FormatError(f"dataset {str(p)!r}: expected a mapping with 'names' and 'train'.")
    names = _names_from_yaml(doc.get("names"), str(p))
    base = p.parent.resolve()
    if doc.get("path"):
        base = (base / str(doc["path"])).resolve()
    splits: dict[str, tuple[Path, ...]] = {}
    for split in ("train", "val", "test"):
        entry = doc.get(split)
        if not entry:
            continue
        items = entry if isinstance(entry, list) else [entry]
        splits[split] = tuple((base / str(e)).resolve() for e in items)
    if "train" not in splits:
        raise FormatError(f"dataset {str(p)!r} has no 'train' entry.")
    return YoloDataset(p.resolve(), names, splits)


def class_id_map(
    source_names: Sequence[str], target_names: Sequence[str] = CLASS_NAMES, *, drop_unknown: bool = False
) -> dict[int, int | None]:
    """Source class id -> target class id, matched by name (case-insensitive).

    A source class absent from ``target_names`` raises InputError, or maps to
    None (its boxes are dropped) with ``drop_unknown=True``.
    """
    lookup = {n.lower(): i for i, n in enumerate(target_names)}
    out: dict[int, int | None] = {}
    for i, name in enumerate(source_names):
        j = lookup.get(name.lower())
        if j is None and not drop_unknown:
            raise InputError(
                f"class name {name!r} is not one of the model's classes {list(target_names)}. "
                "Hint: rename it in the dataset's data.yaml, or pass --drop-unknown to drop its boxes."
            )
        out[i] = j
    return out


def remap_label_text(text: str, id_map: Mapping[int, int | None], *, source: str = "label") -> tuple[str, int]:
    """Rewrite a YOLO label file's class ids; return (new text, boxes dropped).

    Each line is ``class cx cy w h`` (or a polygon: ``class x1 y1 x2 y2 ...``);
    only the class id changes. Blank lines are skipped.
    """
    lines: list[str] = []
    dropped = 0
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            cls = int(parts[0])
            coords = [float(v) for v in parts[1:]]
        except ValueError as exc:
            raise FormatError(f"{source}:{n}: {line!r} is not 'class cx cy w h' numbers.") from exc
        if len(coords) < 4 or (len(coords) > 4 and len(coords) % 2):
            raise FormatError(f"{source}:{n}: {line!r} needs 4 box numbers (or an even polygon list).")
        if cls not in id_map:
            raise FormatError(f"{source}:{n}: class id {cls} is not in the dataset's names (ids 0..{len(id_map) - 1}).")
        new = id_map[cls]
        if new is None:
            dropped += 1
            continue
        lines.append(" ".join([str(new), *parts[1:]]))
    return "".join(ln + "\n" for ln in lines), dropped


def _label_path(image: Path) -> Path:
    # ultralytics' rule: the last "images" folder in the path becomes "labels", suffix -> .txt
    parts = list(image.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def _split_images(entry: Path) -> list[Path]:
    if entry.is_dir():
        return sorted(p for p in entry.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if entry.is_file() and entry.suffix == ".txt":
        out = []
        for line in entry.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = Path(line.strip())
                out.append(q if q.is_absolute() else (entry.parent / q).resolve())
        return out
    raise SarIOError(f"dataset split {str(entry)!r} is neither a folder of images nor a .txt list of images.")


@dataclass(frozen=True, slots=True)
class MergeSummary:
    """What :func:`merge_datasets` wrote: the data.yaml, image counts per split, boxes per class."""

    data_yaml: Path
    names: tuple[str, ...]
    images_per_split: Mapping[str, int]
    boxes_per_class: Mapping[str, int]
    boxes_dropped: int


def merge_datasets(
    sources: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    names: Sequence[str] = CLASS_NAMES,
    drop_unknown: bool = False,
    link: bool = True,
    keep_negatives: float = 1.0,
    seed: int = 0,
) -> MergeSummary:
    """Merge YOLO datasets into one with the project's class ids; write ``out_dir/data.yaml``.

    Each source (a data.yaml or a folder holding one) contributes its train,
    val and test splits; images are symlinked (``link=True``) or copied as
    ``images/<split>/<source-tag>__<name>`` and their labels rewritten with
    ids from ``names``. An image without a label file is a negative. A source
    without a val split contributes to train only. Rebuilding into the same
    ``out_dir`` replaces its previous content.

    ``keep_negatives`` in [0, 1] is the fraction of *training* images without
    any kept box that are merged (picked with a RNG seeded by ``seed``): on a
    CPU budget an epoch of mostly-empty frames teaches little, while mosaic
    still shows plenty of background around the positives. Val and test
    splits are never thinned, so metrics stay comparable.
    """
    if not (0.0 <= keep_negatives <= 1.0):
        raise InputError(f"keep_negatives={keep_negatives!r} is out of range: allowed 0 <= keep_negatives <= 1.")
    import random

    rng = random.Random(seed)
    srcs = [read_data_yaml(s) for s in sources]
    if not srcs:
        raise InputError("sources=[] is empty: allowed one or more datasets. Hint: --data path/to/data.yaml.")
    out = Path(out_dir).resolve()
    for sub in ("images", "labels"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    tags: set[str] = set()
    images_per_split: dict[str, int] = {}
    boxes = dict.fromkeys(names, 0)
    dropped = 0
    for src in srcs:
        id_map = class_id_map(src.names, names, drop_unknown=drop_unknown)
        tag = src.data_yaml.parent.name or "data"
        k = 1
        while tag in tags:
            k += 1
            tag = f"{src.data_yaml.parent.name}{k}"
        tags.add(tag)
        for split, entries in src.splits.items():
            img_dir, lab_dir = out / "images" / split, out / "labels" / split
            img_dir.mkdir(parents=True, exist_ok=True)
            lab_dir.mkdir(parents=True, exist_ok=True)
            for entry in entries:
                for image in _split_images(entry):
                    if not image.is_file():
                        raise SarIOError(f"image {str(image)!r} listed in {str(src.data_yaml)!r} does not exist.")
                    flat = "__".join(image.relative_to(entry).parts) if entry.is_dir() else image.name
                    dst = img_dir / f"{tag}__{flat}"
                    lab = _label_path(image)
                    text = lab.read_text(encoding="utf-8") if lab.is_file() else ""
                    new, d = remap_label_text(text, id_map, source=str(lab))
                    if not new and split == "train" and keep_negatives < 1.0 and rng.random() >= keep_negatives:
                        continue
                    dropped += d
                    if link:
                        dst.symlink_to(image.resolve())
                    else:
                        shutil.copy2(image, dst)
                    for line in new.splitlines():
                        boxes[names[int(line.split()[0])]] += 1
                    _label_path(dst).write_text(new, encoding="utf-8")
                    images_per_split[split] = images_per_split.get(split, 0) + 1
    if not images_per_split.get("train"):
        raise InputError("the merged dataset has no training images. Hint: check the sources' 'train' entries.")
    import yaml

    doc: dict[str, Any] = {"path": str(out)}
    for split in ("train", "val", "test"):
        if images_per_split.get(split):
            doc[split] = f"images/{split}"
    if "val" not in doc:
        doc["val"] = "images/train"  # ultralytics needs a val split; say so in the summary instead of failing
    doc["names"] = dict(enumerate(names))
    data_yaml = out / "data.yaml"
    data_yaml.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return MergeSummary(data_yaml, tuple(names), images_per_split, boxes, dropped)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Training hyper-parameters (ultralytics names where they exist).

    The defaults are the recipe of the shipped model: YOLO11n from scratch at
    the native 640 px (HIT-UAV people are ~12x19 px; shrinking to 512 puts
    many under 8 px, the finest stride), mosaic on with a gentler scale jitter
    (0.3 instead of 0.5) for the same reason, no vertical flips (oblique views
    show people upright), AdamW at 2e-3 with a one-epoch warm-up (a short
    schedule cannot spend three), RAM cache (the CPU is the bottleneck, not
    the disk), and ``nbs`` equal to ``batch``.
    """

    model: str = "yolo11n.yaml"
    imgsz_px: int = 640
    epochs: int = 40
    batch: int = 16
    nbs: int | None = None  # None: equal to batch
    workers: int = 2
    cache: str | bool = "ram"
    device: str = "cpu"
    optimizer: str = "AdamW"
    lr0: float = 0.002
    lrf: float = 0.01
    warmup_epochs: float = 1.0
    close_mosaic: int = 5
    mosaic: float = 1.0
    scale: float = 0.3
    fliplr: float = 0.5
    flipud: float = 0.0
    hsv_h: float = 0.0  # grey thermal frames: hue and saturation jitter mean nothing
    hsv_s: float = 0.0
    hsv_v: float = 0.4
    patience: int = 100
    seed: int = 0
    project: str = "runs/train"
    name: str = "thermal_sar_yolo"
    threads: int | None = None  # torch CPU threads; None: every core (ultralytics would use cores - 1)
    time_h: float | None = None  # train for this long: ultralytics re-fits `epochs` (and the schedule) after epoch 1

    def __post_init__(self) -> None:
        if self.imgsz_px < 32 or self.imgsz_px % 32:
            raise InputError(f"imgsz_px={self.imgsz_px!r} is out of range: allowed a multiple of 32, >= 32.")
        for name in ("epochs", "batch"):
            if getattr(self, name) < 1:
                raise InputError(f"{name}={getattr(self, name)!r} is out of range: allowed >= 1.")
        if self.nbs is not None and self.nbs < self.batch:
            raise InputError(f"nbs={self.nbs!r} is out of range: allowed nbs >= batch={self.batch}.")
        if not (0.0 < self.lr0 < 1.0):
            raise InputError(f"lr0={self.lr0!r} is out of range: allowed 0 < lr0 < 1.")
        if self.threads is not None and self.threads < 1:
            raise InputError(f"threads={self.threads!r} is out of range: allowed >= 1 or None (every core).")
        if self.workers < 0:
            raise InputError(f"workers={self.workers!r} is out of range: allowed >= 0.")
        if not (0.0 <= self.warmup_epochs < self.epochs):
            raise InputError(f"warmup_epochs={self.warmup_epochs!r} is out of range: allowed 0 <= warmup_epochs "
                             f"< epochs={self.epochs}.")
        if self.close_mosaic < 0:
            raise InputError(f"close_mosaic={self.close_mosaic!r} is out of range: allowed >= 0 (>= epochs: no mosaic).")
        if self.time_h is not None and not (0.0 < self.time_h <= 1000.0):
            raise InputError(f"time_h={self.time_h!r} is out of range: allowed 0 < time_h <= 1000 hours, or None "
                             "(train for `epochs`).")
        if not str(self.device).strip():
            raise InputError("device='' is empty: allowed 'cpu', a CUDA index such as '0', or a list such as '0,1'.")


def train_kwargs(config: TrainConfig, data_yaml: str | os.PathLike[str], *, from_weights: bool = False) -> dict[str, Any]:
    """The keyword arguments for ``YOLO(config.model).train(**kwargs)``.

    ``from_weights``: the YOLO object was loaded from a ``.pt`` whose weights
    the new run starts from (``pretrained=True`` keeps them: with ``False``
    ultralytics rebuilds the network from its yaml with fresh weights).
    """
    kw = asdict(config)
    kw.pop("model")
    kw["imgsz"] = kw.pop("imgsz_px")
    kw.pop("threads")
    kw["time"] = kw.pop("time_h")  # ultralytics: hours; None trains for `epochs`
    kw["nbs"] = config.nbs or config.batch
    kw.update(
        data=str(Path(data_yaml).resolve()),
        project=str(Path(config.project).resolve()),
        pretrained=from_weights,  # False: from scratch; True: the loaded .pt's own weights (nothing downloaded)
        amp=False,  # the AMP check downloads yolo11n.pt; AMP is CUDA-only anyway
        exist_ok=False,
        plots=False,  # saves CPU; `thermal-sar eval` draws the PR curve
        val=True,  # per-epoch val mAP is the progress log the model card quotes
        verbose=True,
    )
    return kw


def _font_candidates() -> list[Path]:
    out = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]
    try:  # matplotlib (an ultralytics dependency) ships DejaVuSans in its package data
        import matplotlib

        out.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    except ImportError:
        pass
    return out


def prepare_config_dir(config_dir: str | os.PathLike[str] = ".yolo") -> Path:
    """Make ``config_dir`` with the fonts ultralytics wants, so it never downloads them."""
    d = Path(config_dir).resolve()
    d.mkdir(parents=True, exist_ok=True)
    wanted = [d / "Arial.ttf", d / "Arial.Unicode.ttf"]
    if all(p.is_file() for p in wanted):
        return d
    font = next((p for p in _font_candidates() if p.is_file()), None)
    if font is None:
        raise SarIOError(
            f"no local TrueType font to place in {str(d)!r} (ultralytics would try to download Arial.ttf). "
            "Hint: apt-get install fonts-dejavu-core, or copy any .ttf to .yolo/Arial.ttf."
        )
    for p in wanted:
        if not p.is_file():
            shutil.copyfile(font, p)
    return d


def offline_env(config_dir: str | os.PathLike[str] = ".yolo") -> dict[str, str]:
    """Environment variables that keep ultralytics offline and inside the project."""
    return {
        "YOLO_OFFLINE": "1",
        "YOLO_AUTOINSTALL": "false",
        "YOLO_CONFIG_DIR": str(Path(config_dir).resolve()),
        "MPLBACKEND": "Agg",
    }


def require_training_stack() -> None:
    """Raise :class:`TrainingUnavailableError` with the install hint when torch/ultralytics are absent."""
    import importlib.util

    missing = [m for m in ("torch", "ultralytics", "onnx") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainingUnavailableError(f"the 'train' extra is not installed here (missing: {', '.join(missing)}). {TRAIN_EXTRA_HINT}")


def _import_ultralytics(config_dir: str | os.PathLike[str], threads: int | None = None) -> Any:
    require_training_stack()
    prepare_config_dir(config_dir)
    os.environ.update(offline_env(config_dir))  # must precede the first ultralytics import
    import ultralytics
    from ultralytics.utils import torch_utils

    # ultralytics pins CPU training to cores - 1 threads (1 on a 2-core machine, half the compute);
    # its select_device() reads this module global.
    torch_utils.NUM_THREADS = threads or os.cpu_count() or 1
    return ultralytics


def run_training(
    config: TrainConfig,
    data_yaml: str | os.PathLike[str] | None = None,
    *,
    resume_from: str | os.PathLike[str] | None = None,
    start_weights: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] = ".yolo",
) -> Path:
    """Train (or resume from a ``last.pt``); return the run's ``weights/`` folder.

    ultralytics writes ``last.pt`` after every epoch (and ``best.pt`` when val
    mAP improves), so an interrupted run resumes with ``resume_from=.../last.pt``
    and loses at most the epoch in progress. ``start_weights`` (a ``.pt`` from
    an earlier run) starts a new run, with a new schedule, from those weights
    instead of from ``config.model``'s yaml: fine-tuning a finished run.
    """
    ul = _import_ultralytics(config_dir, config.threads)
    if resume_from is not None and start_weights is not None:
        raise InputError("resume_from and start_weights were both given: allowed one. Hint: resume continues "
                         "an interrupted run; start_weights begins a new run from finished weights.")
    if start_weights is not None and not Path(start_weights).is_file():
        raise SarIOError(f"start_weights={str(start_weights)!r} does not exist. Hint: runs/train/<name>/weights/last.pt.")
    if resume_from is not None:
        last = Path(resume_from)
        if not last.is_file():
            raise SarIOError(f"resume_from={str(last)!r} does not exist. Hint: runs/train/<name>/weights/last.pt.")
        model = ul.YOLO(str(last))
        model.train(resume=True)
    else:
        if data_yaml is None:
            raise InputError("data_yaml=None: a dataset is needed unless resuming.")
        model = ul.YOLO(str(start_weights) if start_weights is not None else config.model)
        model.train(**train_kwargs(config, data_yaml, from_weights=start_weights is not None))
    return Path(model.trainer.save_dir) / "weights"


# --------------------------------------------------------------------------- export


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """The exported model: ONNX file, sidecar json, size and class names."""

    onnx_path: Path
    sidecar_path: Path
    size_bytes: int
    names: tuple[str, ...]
    imgsz_px: int
    input_hw: tuple[int, int] | None = None

    @property
    def input_text(self) -> str:
        """``640`` for a square input, ``512x640`` (height x width) for a rectangular one."""
        h, w = self.input_hw or (self.imgsz_px, self.imgsz_px)
        return str(h) if h == w else f"{h}x{w}"


def _check_hw(input_hw: Sequence[int]) -> tuple[int, int]:
    hw = tuple(int(v) for v in input_hw)
    if len(hw) != 2 or not all(32 <= v <= 4096 and v % 32 == 0 for v in hw):
        raise InputError(f"input_hw={tuple(input_hw)!r} is out of range: allowed (height, width), each a multiple "
                         f"of 32 in 32..4096. Hint: 512,640 for a 640x512 thermal camera.")
    return hw  # type: ignore[return-value]


def write_sidecar(onnx_path: str | os.PathLike[str], names: Sequence[str], imgsz_px: int | Sequence[int]) -> Path:
    """Write ``<model>.json`` beside the ONNX file: names, input size (an int, or [height, width]), format."""
    p = Path(onnx_path).with_suffix(".json")
    size: int | list[int] = int(imgsz_px) if isinstance(imgsz_px, (int, float)) else list(_check_hw(imgsz_px))
    p.write_text(json.dumps({"names": list(names), "imgsz": size, "format": MODEL_FORMAT}, indent=2) + "\n", encoding="utf-8")
    return p


def export_onnx(
    weights: str | os.PathLike[str],
    out_onnx: str | os.PathLike[str],
    *,
    imgsz_px: int | None = None,
    input_hw: Sequence[int] | None = None,
    opset: int = 17,
    config_dir: str | os.PathLike[str] = ".yolo",
) -> ExportSummary:
    """Export a trained ``.pt`` to ONNX at ``out_onnx`` (fixed 1x3xNxN input, no NMS) plus its sidecar.

    ``imgsz_px=None`` exports at the size the weights were trained at.
    ``input_hw=(512, 640)`` exports a fixed rectangular input instead: a
    640x512 thermal frame then needs no letterbox padding, a fifth less
    computation than the square 640x640 input at the same scale (the
    network is fully convolutional, so the weights are the same).

    The graph is left unsimplified unless onnxslim is installed (it cannot be
    fetched offline). Opset 17 runs on onnxruntime >= 1.14.
    """
    import importlib.util

    ul = _import_ultralytics(config_dir)
    w = Path(weights)
    if not w.is_file():
        raise SarIOError(f"weights={str(w)!r} does not exist. Hint: runs/train/<name>/weights/best.pt.")
    model = ul.YOLO(str(w))
    if imgsz_px is None:
        train_args = (getattr(model, "ckpt", None) or {}).get("train_args", {})
        imgsz_px = int(train_args.get("imgsz", 640))
    hw = _check_hw(input_hw) if input_hw is not None else None
    simplify = importlib.util.find_spec("onnxslim") is not None
    exported = Path(model.export(format="onnx", imgsz=list(hw) if hw else imgsz_px, opset=opset, simplify=simplify, dynamic=False, half=False, device="cpu"))
    out = Path(out_onnx)
    out.parent.mkdir(parents=True, exist_ok=True)
    if exported.resolve() != out.resolve():
        shutil.copyfile(exported, out)
    names_raw = model.names
    names = tuple(names_raw[i] for i in sorted(names_raw)) if isinstance(names_raw, Mapping) else tuple(names_raw)
    sidecar = write_sidecar(out, names, hw if hw else imgsz_px)
    return ExportSummary(out, sidecar, out.stat().st_size, names, imgsz_px, hw)




# --------------------------------------------------------------------------- the whole job


def _is_hituav_dir(p: Path) -> bool:
    return p.is_dir() and (p / "train.json").is_file() and (p / "images" / "train").is_dir() and not (p / "data.yaml").exists()


def resolve_sources(
    data: Sequence[str | os.PathLike[str]], work_dir: str | os.PathLike[str], *, link: bool = True
) -> list[Path]:
    """Turn ``--data`` arguments into YOLO data.yaml paths.

    Each item is a data.yaml, a folder holding one (e.g. ``thermal-sar sim
    dataset`` output), or a HIT-UAV folder (``train.json``, ``val.json``,
    ``images/<split>/``), which is converted (Person only) into
    ``work_dir/hituav``.
    """
    from vision.hituav import convert_hituav

    out: list[Path] = []
    for item in data:
        p = Path(item)
        if _is_hituav_dir(p):
            splits = tuple(s for s in ("train", "val") if (p / f"{s}.json").is_file() and (p / "images" / s).is_dir())
            yaml_path, _ = convert_hituav(p, Path(work_dir) / "hituav", splits=splits, link=link)
            out.append(yaml_path)
        elif p.is_file() or (p / "data.yaml").is_file():
            out.append(p if p.is_file() else p / "data.yaml")
        else:
            raise SarIOError(
                f"--data {str(p)!r} is neither a data.yaml, a folder holding one, nor a HIT-UAV folder "
                "(train.json + images/train/). Hint: `thermal-sar sim dataset` writes a folder with data.yaml."
            )
    return out


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    """The result of :func:`train_and_export`."""

    merge: MergeSummary | None
    weights_dir: Path
    exported: ExportSummary


def train_and_export(
    data: Sequence[str | os.PathLike[str]],
    out_onnx: str | os.PathLike[str],
    *,
    config: TrainConfig = TrainConfig(),
    work_dir: str | os.PathLike[str] = "datasets",
    keep_negatives: float = 1.0,
    drop_unknown: bool = False,
    resume_from: str | os.PathLike[str] | None = None,
    start_weights: str | os.PathLike[str] | None = None,
    config_dir: str | os.PathLike[str] = ".yolo",
    input_hw: Sequence[int] | None = None,
) -> TrainOutcome:
    """Convert and merge the datasets, train (or resume), export the best weights to ONNX.

    The training stack is checked first, so a missing ``train`` extra fails
    before any file is written.
    """
    require_training_stack()
    merge = None
    if resume_from is None:
        sources = resolve_sources(data, work_dir)
        merge = merge_datasets(
            sources, Path(work_dir) / "merged", drop_unknown=drop_unknown, keep_negatives=keep_negatives, seed=config.seed
        )
        weights = run_training(config, merge.data_yaml, start_weights=start_weights, config_dir=config_dir)
    else:
        weights = run_training(config, resume_from=resume_from, config_dir=config_dir)
    best = weights / "best.pt" if (weights / "best.pt").is_file() else weights / "last.pt"
    exported = export_onnx(best, out_onnx, config_dir=config_dir, input_hw=input_hw)
    return TrainOutcome(merge, weights, exported)


# --------------------------------------------------------------------------- training on another machine


@dataclass(frozen=True, slots=True)
class PayloadSummary:
    """What :func:`write_device_payload` wrote (see ``vision/models/device_train.py``)."""

    out_dir: Path
    images_per_split: Mapping[str, int]
    val_skipped: int
    size_bytes: int
    start_weights: Path | None


def _payload_image(src: Path, dst_stem: Path, jpeg_quality: int | None) -> Path:
    """Copy ``src`` (links followed), or re-encode it as a JPEG: grey when its channels are equal."""
    if jpeg_quality is None:
        dst = dst_stem.with_suffix(src.suffix.lower())
        shutil.copyfile(src, dst)
        return dst
    import cv2
    import numpy as np

    img = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise SarIOError(f"image {str(src)!r} cannot be read. Hint: check the file, or leave jpeg_quality=None to copy it.")
    if img.dtype != np.uint8:
        raise FormatError(f"image {str(src)!r} is {img.dtype}: a JPEG payload holds 8-bit frames only. "
                          "Hint: jpeg_quality=None copies the files as they are.")
    if img.ndim == 3:
        bgr = img[..., :3]
        img = bgr[..., 0] if np.array_equal(bgr[..., 0], bgr[..., 1]) and np.array_equal(bgr[..., 0], bgr[..., 2]) else bgr
    dst = dst_stem.with_suffix(".jpg")
    if not cv2.imwrite(str(dst), img, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]):
        raise SarIOError(f"cannot write {str(dst)!r}. Hint: check free space and permissions.")
    return dst


def write_device_payload(
    data: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    config: TrainConfig,
    start_weights: str | os.PathLike[str] | None = None,
    work_dir: str | os.PathLike[str] = "datasets",
    keep_negatives: float = 1.0,
    drop_unknown: bool = False,
    jpeg_quality: int | None = 78,
    val_from: Sequence[str] | None = None,
    config_dir: str | os.PathLike[str] = ".yolo",
    wheels: Sequence[str | os.PathLike[str]] = (),
) -> PayloadSummary:
    """Write what ``vision/models/device_train.py`` needs to train on a machine without this project.

    ``out_dir`` gets ``kwargs.json`` (:func:`train_kwargs` of ``config``),
    ``data/`` (the merged dataset, files copied, not linked), ``yolo/`` (the
    offline config folder with its fonts) and ``start.pt`` when ``start_weights``
    is given. To fit a size limit on what can be sent, ``jpeg_quality`` re-encodes
    every image as a JPEG (grey when its three channels are equal; ``None``
    copies the files as they are), and ``val_from`` keeps only the val images
    of those sources (merged names begin with the source folder's name, e.g.
    ``sim-sheep``); None keeps every val image. The merge is the one
    :func:`train_and_export` makes (same seed, same negatives kept). ``wheels``
    (``.whl`` files, e.g. the ``ultralytics`` wheel that ``pip download --no-deps
    ultralytics==8.4.190`` fetches) are copied into ``whl/`` for an offline
    ``python3 -m pip install --no-deps --no-index PAYLOAD/whl/*.whl`` there;
    ``whl/`` holds exactly these afterwards.
    """
    if jpeg_quality is not None and not (1 <= jpeg_quality <= 100):
        raise InputError(f"jpeg_quality={jpeg_quality!r} is out of range: allowed 1..100, or None to copy the files.")
    if start_weights is not None and not Path(start_weights).is_file():
        raise SarIOError(f"start_weights={str(start_weights)!r} does not exist. Hint: runs/train/<name>/weights/last.pt.")
    for wheel in wheels:
        if Path(wheel).suffix != ".whl" or not Path(wheel).is_file():
            raise InputError(f"wheel {str(wheel)!r} is not a .whl file: allowed existing wheel files. Hint: "
                             "pip download --no-deps ultralytics==8.4.190 -d DIR, then give DIR/ultralytics-*.whl.")
    out = Path(out_dir)
    _check_payload_dir(out)
    try:
        sources = resolve_sources(data, work_dir)
        merge = merge_datasets(sources, Path(work_dir) / "payload-merged", drop_unknown=drop_unknown,
                               keep_negatives=keep_negatives, seed=config.seed)
        root = merge.data_yaml.parent
        tags = set(val_from) if val_from is not None else None
        eval_splits = [s for s in ("val", "test") if (root / "images" / s).is_dir()]
        if tags is not None and not any(p.name.split("__", 1)[0] in tags
                                        for s in eval_splits for p in (root / "images" / s).iterdir()):
            raise InputError(f"val_from={list(tags)!r} leaves no val images: allowed the names of sources with val "
                             "images. Hint: merged names begin with the source folder's name, e.g. sim-sheep.")
        # Written beside the old payload's data and swapped in at the end: a failure leaves the old one whole.
        staging = out / ".data.partial"
        if staging.exists():
            shutil.rmtree(staging)
        counts: dict[str, int] = {}
        skipped = 0
        try:
            for split in ("train", "val", "test"):
                img_dir = root / "images" / split
                if not img_dir.is_dir():
                    continue
                (staging / "images" / split).mkdir(parents=True, exist_ok=True)
                (staging / "labels" / split).mkdir(parents=True, exist_ok=True)
                for image in sorted(img_dir.iterdir()):
                    if image.suffix.lower() not in IMAGE_SUFFIXES:
                        continue
                    if split != "train" and tags is not None and image.name.split("__", 1)[0] not in tags:
                        skipped += 1
                        continue
                    _payload_image(image, staging / "images" / split / image.stem, jpeg_quality)
                    label = _label_path(image)
                    (staging / "labels" / split / f"{image.stem}.txt").write_text(
                        label.read_text(encoding="utf-8") if label.is_file() else "", encoding="utf-8")
                    counts[split] = counts.get(split, 0) + 1
            if not counts.get("val"):
                raise InputError("the datasets have no val images: ultralytics needs a val split. "
                                 "Hint: add a source with val images (e.g. a `thermal-sar sim dataset` folder).")
            lines = ["path: data"] + [f"{s}: images/{s}" for s in ("train", "val", "test") if counts.get(s)]
            lines += ["names:"] + [f"  {i}: {n}" for i, n in enumerate(merge.names)]
            (staging / "data.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if (out / "data").exists():
            shutil.rmtree(out / "data")
        staging.rename(out / "data")
        data_yaml = out / "data" / "data.yaml"
        kw = train_kwargs(config, data_yaml, from_weights=start_weights is not None)
        kw["model"] = config.model
        (out / "kwargs.json").write_text(json.dumps(kw, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        fonts = prepare_config_dir(config_dir)
        (out / "yolo").mkdir(parents=True, exist_ok=True)
        for name in ("Arial.ttf", "Arial.Unicode.ttf"):
            shutil.copyfile(fonts / name, out / "yolo" / name)
        start = None
        if start_weights is not None:
            start = out / "start.pt"
            shutil.copyfile(start_weights, start)
        elif (out / "start.pt").exists():
            (out / "start.pt").unlink()
        if (out / "whl").exists():
            shutil.rmtree(out / "whl")
        if wheels:
            (out / "whl").mkdir()
            for wheel in wheels:
                shutil.copyfile(wheel, out / "whl" / Path(wheel).name)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        return PayloadSummary(out, counts, skipped, size, start)
    except SarError:
        raise
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise SarIOError(f"cannot write the device payload {str(out)!r}: {exc.strerror or exc}{where}. Hint: check "
                         "the free space and that --device-payload and --work-dir are writable folders.") from None


def _check_payload_dir(out: Path) -> None:
    """Make ``out`` (a writable folder) or raise :class:`SarIOError` before any work is done."""
    import tempfile

    if out.exists() and not out.is_dir():
        raise SarIOError(f"device payload {str(out)!r} is a file: allowed a new or existing folder. Hint: choose "
                         "another --device-payload.")
    made = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise SarIOError(f"cannot write the device payload to {str(out)!r}: {exc.strerror or exc}. Hint: choose a "
                         "writable folder for --device-payload.") from None
    finally:
        for d in made:  # only probed: the payload creates its folder when it writes (none is left on bad input)
            try:
                d.rmdir()
            except OSError:
                break
