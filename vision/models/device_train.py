"""Train the YOLO detector on a GPU machine that has torch but not this project.

The project's own command (``thermal-sar train``) needs the whole project
installed (pyproj, rasterio, ...). A borrowed GPU machine may hold only torch,
torchvision and a few common packages, with no network. This script is the
training step of ``vision.training.run_training`` and nothing else, so it runs
there with the ``ultralytics`` wheel alone:

    # on the project machine: the merged dataset, the start weights, the arguments and the wheel
    pip download --no-deps ultralytics==8.4.190 -d wheels/
    thermal-sar train --data ... [training options] --device 0 --device-payload PAYLOAD_DIR \
        --payload-wheel wheels/ultralytics-8.4.190-py3-none-any.whl
    # on the GPU machine
    python3 -m pip install --no-deps --no-index PAYLOAD_DIR/whl/*.whl
    python3 vision/models/device_train.py PAYLOAD_DIR OUT_DIR

``PAYLOAD_DIR`` (``vision.training.write_device_payload``) holds ``kwargs.json``
(``vision.training.train_kwargs``),
``data/`` (a merged dataset with its ``data.yaml``), ``yolo/`` (the offline
``YOLO_CONFIG_DIR`` with its fonts) and optionally ``start.pt`` (weights to start
from). ``OUT_DIR`` receives ``last.pt`` and ``best.pt`` without optimiser state,
``results.csv`` and ``args.yaml``. Uses only the standard library, torch and
ultralytics; the machine needs no other file of this project.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path


def _results_without_polars(trainer) -> dict:  # type: ignore[no-untyped-def]
    """``BaseTrainer.read_results_csv`` with the csv module (polars may be absent)."""
    try:
        with open(trainer.csv, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    out: dict[str, list] = {}
    for row in rows:
        for k, v in row.items():
            try:
                out.setdefault(k.strip(), []).append(float(v))
            except (TypeError, ValueError):
                out.setdefault(k.strip(), []).append(v)
    return out


def main(payload: Path, out: Path) -> int:
    kw = json.loads((payload / "kwargs.json").read_text(encoding="utf-8"))
    overrides = json.loads(os.environ.get("DEVICE_TRAIN_OVERRIDES", "{}"))  # for a dry run on a CPU
    kw.update(overrides)
    data_dir = (payload / "data").resolve()
    # A label cache from a run elsewhere names that machine's image paths: ultralytics would
    # trust it and find no images. It is rebuilt from the labels.
    for cache in data_dir.glob("labels/*.cache"):
        cache.unlink()
    text = (data_dir / "data.yaml").read_text(encoding="utf-8").splitlines()
    text = [f"path: {data_dir}" if line.startswith("path:") else line for line in text]
    (data_dir / "data.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    kw["data"] = str(data_dir / "data.yaml")
    work = Path(os.environ.get("DEVICE_TRAIN_WORK", "/tmp/device_train")).resolve()
    kw["project"] = str(work)
    os.environ.update(YOLO_OFFLINE="1", YOLO_AUTOINSTALL="false", YOLO_CONFIG_DIR=str((payload / "yolo").resolve()))

    import ultralytics
    from ultralytics.engine.trainer import BaseTrainer
    from ultralytics.utils.torch_utils import strip_optimizer

    try:
        import polars  # noqa: F401
    except ImportError:
        BaseTrainer.read_results_csv = _results_without_polars  # type: ignore[method-assign]
    import torch

    print(f"torch {torch.__version__}, ultralytics {ultralytics.__version__}, "
          f"cuda {torch.cuda.is_available()} {torch.cuda.get_device_name(0) if torch.cuda.is_available() else ''}",
          flush=True)
    start = payload / "start.pt"
    model_yaml = kw.pop("model", "yolo11n.yaml")
    model = ultralytics.YOLO(str(start) if start.is_file() else model_yaml)
    kw["pretrained"] = start.is_file()
    print("train(" + json.dumps(kw, sort_keys=True) + ")", flush=True)
    try:
        model.train(**kw)
    finally:
        out.mkdir(parents=True, exist_ok=True)
        runs = sorted(work.glob("*/weights"), key=lambda p: p.stat().st_mtime)
        if runs:
            wdir = runs[-1]
            for name in ("last.pt", "best.pt"):
                if (wdir / name).is_file():
                    strip_optimizer(wdir / name, out / name)
            for name in ("results.csv", "args.yaml"):
                if (wdir.parent / name).is_file():
                    shutil.copyfile(wdir.parent / name, out / name)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: device_train.py PAYLOAD_DIR OUT_DIR")
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
