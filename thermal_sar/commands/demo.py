"""``thermal-sar demo``: the main job on the embedded default world."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Folder for everything the demo writes.")
@click.option("--scenario", default="sheep", show_default=True,
              help="Named scenario of the synthetic world (sheep, lost-child, night-hiker) or a scenario YAML file.")
@click.option("--detector", type=click.Choice(["classical", "yolo"]), default="classical", show_default=True)
@click.option("--frames", "frames_kind", type=click.Choice(["radiometric", "video"]), default="radiometric",
              show_default=True, help="What the camera delivers to the detector: radiometric frames or 8-bit AGC video.")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Detector operating point: detections scoring lower are not reported.")
@click.option("--min-sightings", type=click.IntRange(1, 100), default=2, show_default=True,
              help="A target is reported once seen in this many frames.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of sensor noise and GPS noise.")
@click.option("--speedup", type=click.FloatRange(1.0, 200.0), default=80.0, show_default=True,
              help="How much faster than real time the simulated vehicle flies.")
def demo(out_dir: str, scenario: str, detector: str, frames_kind: str, min_score: float, min_sightings: int, seed: int,
         speedup: float) -> None:
    """Plan, fly (simulated MAVLink vehicle), detect, geotag and report a whole search."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from thermal_sar.pipelines.demo import run_demo

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("starting", total=1)

        def show(stage: str, done: float, total: float) -> None:
            bar.update(task, description=stage, completed=done, total=max(total, 1))

        result = run_demo(Path(out_dir), scenario=scenario, detector=detector, seed=seed, speedup=speedup,
                          frames_kind=frames_kind, min_score=min_score, min_sightings=min_sightings, progress=show)
    click.echo(result.summary)
    click.echo(f"wrote {', '.join(str(p) for p in result.files)}")
