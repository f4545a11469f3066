"""``thermal-sar sim``: the synthetic thermal world (render frames, write datasets)."""

from __future__ import annotations

from pathlib import Path

import click

PALETTE_CHOICES = ["white-hot", "black-hot", "ironbow"]
REALISM_DIR = "realism-output"  # not docs/img: a run from a checkout must not overwrite its committed figures


@click.group()
def sim() -> None:
    """Synthetic thermal frames with known truth: scenarios, single frames, training datasets."""


@sim.command("scenarios")
def scenarios_cmd() -> None:
    """List the bundled scenarios."""
    from thermal_sar.pipelines.sim import describe_scenarios

    click.echo(describe_scenarios())


@sim.command("render")
@click.option("--scenario", required=True, help="Bundled scenario name (sheep, lost-child, night-hiker) or a .yaml path.")
@click.option("--camera", default="m30t", show_default=True, help="Camera preset (m30t, h20t, boson640, ...).")
@click.option("--at", "at", default=None, help="LAT,LON under the camera (default: the pen or the first target).")
@click.option("--agl", "agl_m", type=float, default=80.0, show_default=True, help="Height above the ground, m.")
@click.option("--pitch", "pitch_deg", type=float, default=-90.0, show_default=True,
              help="Gimbal pitch, deg (-90 straight down).")
@click.option("--yaw", "yaw_deg", type=float, default=0.0, show_default=True, help="Heading, deg from north.")
@click.option("--palette", type=click.Choice(PALETTE_CHOICES), default="white-hot", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Noise seed (same seed, same frame).")
@click.option("--out", type=click.Path(dir_okay=False), default="frame.png", show_default=True,
              help="PNG of the 8-bit video; truth goes to the same name with .json.")
@click.option("--counts-out", type=click.Path(dir_okay=False), default=None,
              help="Also write the 16-bit radiometric counts PNG (T_C = counts / 100 - 273.15).")
@click.option("--dem", "dem", multiple=True, type=click.Path(dir_okay=False),
              help="DEM file(s) to use instead of the scenario's terrain.")
def render_cmd(scenario: str, camera: str, at: str | None, agl_m: float, pitch_deg: float, yaw_deg: float,
               palette: str, seed: int, out: str, counts_out: str | None, dem: tuple[str, ...]) -> None:
    """Render one frame of a scenario and write its ground truth beside it."""
    from geo.coords import parse_lat_lon
    from thermal_sar.pipelines.sim import render_to_files

    where = parse_lat_lon(at, name="--at") if at else None
    res = render_to_files(scenario, Path(out), camera=camera, at=where, agl_m=agl_m, gimbal_pitch_deg=pitch_deg,
                          yaw_deg=yaw_deg, palette=palette, seed=seed,
                          counts_out=Path(counts_out) if counts_out else None, terrain_paths=dem)
    click.echo(res.summary)


@sim.command("dataset")
@click.option("--scenario", "scenarios", required=True, multiple=True,
              help="Bundled scenario name or a .yaml path; repeat to mix scenarios (frames shared in turn).")
@click.option("--n", "n", type=int, required=True, help="Number of frames.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Dataset folder.")
@click.option("--camera", default="m30t", show_default=True, help="Camera preset.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of poses and noise.")
@click.option("--val", "val_fraction", type=float, default=0.2, show_default=True, help="Share of validation frames.")
@click.option("--palette", type=click.Choice(PALETTE_CHOICES), default="white-hot", show_default=True)
@click.option("--radiometric/--no-radiometric", default=False, show_default=True,
              help="Also write 16-bit counts PNGs.")
@click.option("--overwrite", is_flag=True,
              help="Replace the dataset already in --out (its images/, labels/, radiometric/, COCO and data.yaml; "
                   "other files stay). Without it --out must be new or empty.")
def dataset_cmd(scenarios: tuple[str, ...], n: int, out_dir: str, camera: str, seed: int, val_fraction: float, palette: str,
                radiometric: bool, overwrite: bool) -> None:
    """Write a YOLO (images/, labels/, data.yaml) and COCO dataset of survey-like frames."""
    from rich.progress import Progress

    from thermal_sar.pipelines.sim import dataset_to_dir

    with Progress(transient=True) as bar:
        task = bar.add_task("rendering", total=max(n, 1))
        res = dataset_to_dir(scenarios, Path(out_dir), n, camera=camera, seed=seed, val_fraction=val_fraction,
                             palette=palette, radiometric=radiometric, overwrite=overwrite,
                             progress=lambda k, total: bar.update(task, completed=k))
    click.echo(res.summary())


@sim.command("realism")
@click.option("--hit-uav", "hit_uav", type=click.Path(file_okay=False, exists=True), required=True,
              help="HIT-UAV folder (train.json, val.json, images/).")
@click.option("--n", "n", type=int, default=160, show_default=True, help="Synthetic frames to render.")
@click.option("--img-dir", type=click.Path(file_okay=False), default=REALISM_DIR, show_default=True,
              help="Where to write realism_plot.png and realism_examples.png (the project's docs use "
                   "--img-dir docs/img).")
def realism_cmd(hit_uav: str, n: int, img_dir: str) -> None:
    """Compare synthetic frames with HIT-UAV (sizes, contrast, noise, texture); print markdown tables."""
    from geo.errors import InputError
    from thermal_sar.pipelines.sim import realism_compare, realism_examples, realism_markdown, realism_plot

    if not 1 <= n <= 100_000:
        raise InputError(f"--n={n} is out of range: allowed 1..100000 synthetic frames. Hint: --n 160.")
    res = realism_compare(Path(hit_uav), n_synth=n)
    plot = realism_plot(res, Path(img_dir) / "realism_plot.png")
    ex = realism_examples(Path(hit_uav), Path(img_dir) / "realism_examples.png")
    click.echo(realism_markdown(res))
    click.echo(f"\nwrote {plot} and {ex}")
