"""``thermal-sar train``: train the YOLO detector offline and export it to ONNX.

torch and ultralytics are imported only when the command runs (they live in
the ``train`` extra, in ``.venv-train``); without them the command stops with
one line saying how to install them.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--data", "data", multiple=True, type=click.Path(exists=True),
              help="A data.yaml, a folder holding one (`thermal-sar sim dataset` output), or a HIT-UAV folder "
                   "(train.json + images/train/, converted to Person only). Repeat to merge datasets.")
@click.option("--out", "out_onnx", type=click.Path(dir_okay=False), default="vision/models/thermal_sar_yolo.onnx",
              show_default=True, help="ONNX model to write (a .json sidecar with class names goes beside it).")
@click.option("--epochs", type=int, default=30, show_default=True)
@click.option("--imgsz", "imgsz_px", type=int, default=640, show_default=True, help="Square training size, pixels.")
@click.option("--batch", type=int, default=16, show_default=True, help="Batch size (nbs is set equal to it).")
@click.option("--model", "model_yaml", default="yolo11n.yaml", show_default=True,
              help="Model yaml to build from scratch (no pretrained weights are downloaded).")
@click.option("--weights", "start_weights", type=click.Path(exists=True, dir_okay=False),
              help="Start a new run from these weights (.pt of an earlier run) instead of from --model: "
                   "fine-tuning, with its own schedule.")
@click.option("--lr0", type=float, default=0.002, show_default=True, help="Initial AdamW learning rate.")
@click.option("--warmup-epochs", type=float, default=1.0, show_default=True,
              help="Learning-rate warm-up, epochs (0: none; usual when fine-tuning with --weights).")
@click.option("--close-mosaic", type=int, default=5, show_default=True,
              help="Train the last N epochs without mosaic augmentation.")
@click.option("--threads", type=int, default=None, help="torch CPU threads [default: every core].")
@click.option("--device", default="cpu", show_default=True,
              help="Where to train: cpu, or a CUDA device index such as 0.")
@click.option("--workers", type=int, default=2, show_default=True,
              help="Data-loading processes (on a GPU machine, most of its cores).")
@click.option("--time-h", "time_h", type=float, default=None,
              help="Train for this many hours instead of --epochs: after the first epoch the epoch count "
                   "(and the learning-rate schedule and --close-mosaic) is fitted to the time.")
@click.option("--keep-negatives", type=float, default=1.0, show_default=True,
              help="Fraction of training images without targets to keep (seeded choice); val is never thinned.")
@click.option("--drop-unknown", is_flag=True, help="Drop boxes of classes other than person, sheep, cow, dog.")
@click.option("--work-dir", type=click.Path(file_okay=False), default="datasets", show_default=True,
              help="Where converted and merged datasets are written.")
@click.option("--project", type=click.Path(file_okay=False), default="runs/train", show_default=True)
@click.option("--name", default="thermal_sar_yolo", show_default=True, help="Run name under --project.")
@click.option("--resume", "resume_from", type=click.Path(exists=True, dir_okay=False),
              help="Continue an interrupted run from its weights/last.pt (other training options are ignored).")
@click.option("--export-only", "export_only", type=click.Path(exists=True, dir_okay=False),
              help="Only export these weights (.pt) to --out; no training.")
@click.option("--export-hw", "export_hw", default=None, metavar="H,W",
              help="Export a fixed rectangular input, height,width (e.g. 512,640 for 640x512 cameras: no "
                   "letterbox padding, a fifth less computation). Default: square, the training size.")
@click.option("--device-payload", "payload_dir", type=click.Path(file_okay=False), default=None,
              help="Do not train: write what vision/models/device_train.py needs to train on another machine "
                   "(a GPU box with torch and the ultralytics wheel, without this project) into this folder.")
@click.option("--payload-jpeg-quality", type=click.IntRange(0, 100), default=78, show_default=True,
              help="With --device-payload: re-encode images as JPEG at this quality (grey when their channels "
                   "are equal) to keep the payload small; 0 copies the files as they are.")
@click.option("--payload-val-from", "payload_val_from", multiple=True, metavar="SOURCE",
              help="With --device-payload: keep only these sources' val images (merged names begin with the "
                   "source folder's name, e.g. sim-sheep); repeat. Default: every val image.")
@click.option("--payload-wheel", "payload_wheels", multiple=True, type=click.Path(dir_okay=False), metavar="WHL",
              help="With --device-payload: copy this wheel into the payload's whl/ (e.g. the ultralytics wheel from "
                   "'pip download --no-deps ultralytics==8.4.190'), for an offline install there; repeat.")
def train(
    data: tuple[str, ...],
    out_onnx: str,
    epochs: int,
    imgsz_px: int,
    batch: int,
    model_yaml: str,
    start_weights: str | None,
    lr0: float,
    warmup_epochs: float,
    close_mosaic: int,
    threads: int | None,
    device: str,
    workers: int,
    time_h: float | None,
    keep_negatives: float,
    drop_unknown: bool,
    work_dir: str,
    project: str,
    name: str,
    resume_from: str | None,
    export_only: str | None,
    export_hw: str | None,
    payload_dir: str | None,
    payload_jpeg_quality: int,
    payload_val_from: tuple[str, ...],
    payload_wheels: tuple[str, ...],
) -> None:
    """Train YOLO on sim and HIT-UAV data, offline, then export ONNX for onnxruntime.

    Example: thermal-sar train --data ../shared/data/thermal/hit_uav --data sim-set/ --epochs 30
    """
    from geo.errors import InputError
    from vision.training import TrainConfig, export_onnx, require_training_stack, train_and_export

    hw = _parse_hw(export_hw)
    if resume_from and start_weights:
        raise InputError("--resume and --weights were both given: allowed one. Hint: --resume continues an "
                         "interrupted run; --weights starts a new run from finished weights.")
    config = TrainConfig(model=model_yaml, imgsz_px=imgsz_px, epochs=epochs, batch=batch, lr0=lr0,
                         warmup_epochs=warmup_epochs, close_mosaic=close_mosaic,
                         threads=threads, device=device, workers=workers, time_h=time_h,
                         project=project, name=name)
    if payload_dir:
        if resume_from or export_only:
            raise InputError("--device-payload was given with --resume or --export-only: allowed alone. Hint: the "
                             "payload starts a new run (--weights for a start); resume or export where it ran.")
        if not data:
            raise InputError("--data is missing: allowed one or more datasets for --device-payload.")
        from vision.training import write_device_payload

        p = write_device_payload(data, Path(payload_dir), config=config, start_weights=start_weights,
                                 work_dir=Path(work_dir), keep_negatives=keep_negatives, drop_unknown=drop_unknown,
                                 jpeg_quality=payload_jpeg_quality or None, val_from=list(payload_val_from) or None,
                                 wheels=list(payload_wheels))
        split_text = ", ".join(f"{k} {v}" for k, v in p.images_per_split.items())
        click.echo(f"wrote {p.out_dir} ({p.size_bytes / 2**20:.1f} MiB; images: {split_text}; val images left out: "
                   f"{p.val_skipped}). On the GPU machine: "
                   + (f"python3 -m pip install --no-deps --no-index {p.out_dir}/whl/*.whl; " if payload_wheels else "")
                   + f"python3 vision/models/device_train.py {p.out_dir} OUT_DIR")
        return
    require_training_stack()
    if export_only:
        ex = export_onnx(Path(export_only), Path(out_onnx), input_hw=hw)
        click.echo(f"exported {ex.onnx_path} ({ex.size_bytes / 1e6:.1f} MB, input {ex.input_text}, classes {', '.join(ex.names)})")
        return
    if not data and not resume_from:
        raise InputError("--data is missing: allowed one or more datasets. Hint: --data ../shared/data/thermal/hit_uav")
    outcome = train_and_export(data, Path(out_onnx), config=config, work_dir=Path(work_dir),
                               keep_negatives=keep_negatives, drop_unknown=drop_unknown, resume_from=resume_from,
                               start_weights=start_weights, input_hw=hw)
    if outcome.merge is not None:
        counts = ", ".join(f"{k} {v}" for k, v in outcome.merge.boxes_per_class.items())
        click.echo(f"trained on {outcome.merge.images_per_split.get('train', 0)} images (boxes: {counts})")
    ex = outcome.exported
    click.echo(f"weights in {outcome.weights_dir}; exported {ex.onnx_path} ({ex.size_bytes / 1e6:.1f} MB, input {ex.input_text})")


def _parse_hw(text: str | None) -> tuple[int, int] | None:
    """``"512,640"`` -> (512, 640); a clear error otherwise."""
    from geo.errors import InputError

    if text is None:
        return None
    try:
        h, w = (int(v) for v in text.replace("x", ",").split(","))
    except ValueError:
        raise InputError(f"--export-hw={text!r} is not H,W: allowed two whole numbers, multiples of 32 "
                         f"(e.g. 512,640).") from None
    from vision.training import _check_hw

    return _check_hw((h, w))
