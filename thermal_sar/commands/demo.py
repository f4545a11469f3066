"""``thermal-sar demo``: the main job on the embedded default world."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-output", show_default=True,
              help="Folder for everything the demo writes.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic world.")
def demo(out_dir: str, seed: int) -> None:
    """Generate the embedded demo terrain and write its hillshade and summary."""
    from thermal_sar.pipelines.demo import run_demo

    result = run_demo(Path(out_dir), seed=seed)
    click.echo(result.summary)
