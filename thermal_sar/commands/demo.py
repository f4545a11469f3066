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
@click.option("--serve", is_flag=True,
              help="Also run the live server and show the search on its officer map as it happens; keep serving "
                   "after the demo until Ctrl-C.")
@click.option("--serve-port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port of the live server for --serve (on 127.0.0.1).")
def demo(out_dir: str, scenario: str, detector: str, frames_kind: str, min_score: float, min_sightings: int, seed: int,
         speedup: float, serve: bool, serve_port: int) -> None:
    """Plan, fly (simulated MAVLink vehicle), detect, geotag and report a whole search."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from thermal_sar.pipelines.demo import run_demo

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)
    task = bar.add_task("starting", total=1)

    def show(stage: str, done: float, total: float) -> None:
        bar.update(task, description=stage, completed=done, total=max(total, 1))

    def report(result) -> None:
        bar.stop()
        click.echo(result.summary)
        click.echo(f"wrote {', '.join(str(p) for p in result.files)}")

    kw = dict(scenario=scenario, detector=detector, seed=seed, speedup=speedup, frames_kind=frames_kind,
              min_score=min_score, min_sightings=min_sightings, progress=show)
    if not serve:
        with bar:
            result = run_demo(Path(out_dir), **kw)
        report(result)
        return
    import time

    from thermal_sar.pipelines.live import serve_demo

    from maps.i18n import gettext_for

    _ = gettext_for()

    def ready(server) -> None:
        click.echo(_("live server: {url}/officer  sign in as {user}, password {password} (ground team: ground1, "
                     "same password; the store is temporary)").format(url=server.url, user=server.username,
                                                                      password=server.password))
        bar.start()

    def status(h) -> None:
        if h.severity != "info":
            bar.console.print(f"{'resolved' if not h.active else h.severity}: {h.kind}: {h.message}")

    def wait(server) -> None:
        click.echo(_("still serving {url}/officer: press Ctrl-C to stop").format(url=server.url))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo(_("live server stopped"))

    try:
        serve_demo(Path(out_dir), port=serve_port, on_ready=ready, on_result=report, wait=wait, on_status=status, **kw)
    finally:
        bar.stop()
