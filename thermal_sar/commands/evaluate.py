"""``thermal-sar eval``: measure a detector on labelled frames."""

from __future__ import annotations

import click

from thermal_sar.commands._options import counts_scale_options


@click.command(name="eval")
@click.option("--detector", type=click.Choice(["classical", "yolo"]), default="classical", show_default=True)
@click.option("--data", required=True, type=click.Path(exists=True),
              help="HIT-UAV folder (with val.json) or a YOLO-format folder (images/, labels/).")
@click.option("--split", default="val", show_default=True, help="HIT-UAV split.")
@click.option("--model", type=click.Path(dir_okay=False), default=None, help="YOLO ONNX model.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="eval", show_default=True,
              help="Folder for the PR-curve PNG and eval JSON.")
@click.option("--class", "classes", multiple=True, help="Classes to score (default: person/sheep/cow/dog present).")
@click.option("--no-gsd", is_flag=True, help="Do not derive a GSD from HIT-UAV file names (class-agnostic run).")
@click.option("--limit", type=int, default=None, help="Only the first N frames.")
@click.option("--threads", type=int, default=2, show_default=True, help="onnxruntime threads (yolo).")
@click.option("--box-pad-px", type=float, default=None,
              help="Widen classical boxes per side (default: +2 for HIT-UAV's loose labels; for "
                   "thermal-sar sim's exact ones -0.35 on radiometric and -0.75 on 8-bit frames; 0 otherwise).")
@click.option("--iou", "iou_min", type=click.FloatRange(0.05, 0.95), default=0.5, show_default=True,
              help="IoU for a match (0.5 = AP50).")
@click.option("--base-level-only", is_flag=True,
              help="Classical: people at one threshold level with the logistic score, no MLP scorer "
                   "(3-4.6x faster on 8-bit frames in bench runs, fewer people found at night).")
@click.option("--radiometric", is_flag=True,
              help="A 'thermal-sar sim dataset --radiometric' set: measure on its 16-bit radiometric frames "
                   "(radiometric/<split>/) read as temperatures, not on its 8-bit video.")
@counts_scale_options("counts of unknown scale, or the simulator's 0.01 and -273.15 with --radiometric")
def evaluate(detector, data, split, model, out_dir, classes, no_gsd, limit, threads, box_pad_px, iou_min,
             base_level_only, radiometric, counts_scale_c, counts_offset_c):
    """Precision, recall and AP50 per class, speed, and a PR-curve PNG."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from thermal_sar.pipelines.detect import make_detector, run_eval
    from vision.labels import box_pad_for

    if box_pad_px is None:
        box_pad_px, box_pad_grey_px = box_pad_for(data, split)
    else:
        box_pad_grey_px = box_pad_px
    if not classes:
        from vision.labels import load_dataset

        from thermal_sar.pipelines.detect import target_classes

        classes = target_classes(load_dataset(data, split=split))
    # The classical detector reports only the classes being measured (a person
    # search does not label a warm blob 'sheep'); the others it cannot know.
    det = make_detector(detector, model=model, threads=threads, box_pad_px=box_pad_px, box_pad_grey_px=box_pad_grey_px,
                        targets=[c.lower() for c in classes if c.lower() in ("person", "sheep", "cow")] or None,
                        score_threshold=0.01, base_level_only=base_level_only)
    with Progress(transient=True) as bar:
        task = bar.add_task("evaluating", total=None)
        s = run_eval(data, out_dir, detector=det, split=split, classes=list(classes) or None, use_gsd=not no_gsd,
                     limit=limit, iou_min=iou_min, radiometric=radiometric, counts_scale_c=counts_scale_c,
                     counts_offset_c=counts_offset_c, progress=lambda n: bar.update(task, completed=n),
                     on_total=lambda n: bar.update(task, total=n))
    kind = ", radiometric" if radiometric else ""
    t = Table(title=f"{detector} on {data} ({split}{kind}, {s.n_frames} frames)")
    ap = "AP50" if abs(iou_min - 0.5) < 1e-9 else f"AP@IoU{iou_min:g}"
    for col in ("subset", "class", "truth", "detections", "precision", "recall", ap, "recall@P>=0.6", "recall@P>=0.9"):
        t.add_column(col, justify="right" if col not in ("subset", "class") else "left")
    for row in (r for rep in s.reports for r in rep.summary_rows()):
        t.add_row(row[0], row[1], str(row[2]), str(row[3]), f"{row[4]:.3f}", f"{row[5]:.3f}", f"{row[6]:.3f}",
                  f"{row[7]:.3f}", f"{row[8]:.3f}")
    Console().print(t)
    if s.reports:
        r = s.reports[0]
        click.echo(f"speed: {r.frames_per_s:.1f} frames/s ({r.ms_per_frame:.2f} ms/frame, detection only)")
    click.echo(f"wrote {s.pr_png} and {s.json_path}")
