"""``thermal-sar detect``: find people and animals in thermal frames."""

from __future__ import annotations

import click

from thermal_sar.commands._options import counts_scale_options


@click.command()
@click.argument("frames", nargs=-1, required=True, type=click.Path())
@click.option("--detector", type=click.Choice(["classical", "yolo"]), default="classical", show_default=True,
              help="classical: fast, no model; yolo: the trained ONNX model.")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="YOLO ONNX model (default: the one shipped in vision/models).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="detections", show_default=True,
              help="Folder for detections.json, detections.jsonl and annotated/ PNGs.")
@click.option("--gsd-m", type=float, default=None,
              help="Ground sample distance in m/px (default: from the file's pose/LRF when known, or for a DJI "
                   "video from its subtitles DJI_0001.SRT beside it, with --camera).")
@click.option("--camera", default=None, help="Camera preset for the GSD (e.g. h20t, m30t, boson640-14mm).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["person", "sheep", "cow"]),
              help="Classes to report (classical; repeatable). Default: all.")
@click.option("--polarity", type=click.Choice(["white-hot", "black-hot"]), default="white-hot", show_default=True)
@click.option("--palette", type=click.Choice(["ironbow", "rainbow"]), default=None,
              help="Invert a colour palette back to a scalar.")
@click.option("--threads", type=int, default=2, show_default=True, help="onnxruntime threads (yolo).")
@click.option("--no-annotate", is_flag=True, help="Do not write annotated PNGs.")
@click.option("--base-level-only", is_flag=True,
              help="Classical: people at one threshold level with the logistic score, no MLP scorer "
                   "(3-4.6x faster on 8-bit frames in bench runs, fewer people found at night).")
@counts_scale_options()
def detect(frames, detector, model, out_dir, gsd_m, camera, targets, polarity, palette, threads, no_annotate,
           base_level_only, counts_scale_c, counts_offset_c):
    """Detect heat signatures in FRAMES (images, radiometric JPEGs, folders, videos)."""
    from rich.progress import Progress

    from thermal_sar.pipelines.detect import expand_inputs, make_detector, run_detect

    det = make_detector(detector, model=model, targets=targets or None, threads=threads,
                        base_level_only=base_level_only)
    paths = expand_inputs(frames)
    with Progress(transient=True) as bar:
        task = bar.add_task("detecting", total=len(paths))
        s = run_detect(paths, out_dir, detector=det, gsd_m=gsd_m, camera=camera, polarity=polarity,
                       palette=palette, annotate=not no_annotate, counts_scale_c=counts_scale_c,
                       counts_offset_c=counts_offset_c,
                       progress=lambda n: bar.update(task, completed=n))
    per = ", ".join(f"{n} {c}" for c, n in sorted(s.by_class.items())) or "nothing"
    fps = s.frames / s.seconds if s.seconds > 0 else 0.0
    click.echo(f"{s.frames} frames ({fps:.1f}/s), {s.detections} detections: {per}; {s.tracks} tracks")
    if s.flagged:
        click.echo(f"{s.flagged} frames flagged (see 'flags' and 'notes' in detections.json)")
    for src, err in s.skipped[:5]:
        click.secho(f"skipped {src}: {err}", fg="yellow", err=True)
    if len(s.skipped) > 5:
        click.secho(f"... and {len(s.skipped) - 5} more skipped", fg="yellow", err=True)
    click.echo(f"wrote {s.out_dir / 'detections.json'}")
