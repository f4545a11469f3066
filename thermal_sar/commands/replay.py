"""``thermal-sar replay``: post-flight, a flight log plus the thermal video or frames -> targets, maps, GPX."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("frames", type=click.Path(path_type=Path))
@click.option("--log", "--tlog", "log_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Flight log: .tlog, DataFlash .bin/.log, or a DJI video's subtitles .SRT (found beside the "
                   "video when not given). Not needed for DJI JPEGs (pose in their XMP).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="replay-output",
              show_default=True, help="Folder for targets.geojson, officer_map.html, ground_team.gpx, summary.")
@click.option("--camera", default=None,
              help="Camera preset (h20t, m30t, mavic3t, boson640, ...); DJI images name their own.")
@click.option("--clock-offset-s", type=float, default=None,
              help="Seconds to add to frame times to get log times (default: from --video-start, camera triggers "
                   "in the log, or the log's UTC clock).")
@click.option("--video-start", default=None, metavar="SECONDS|ISO",
              help="Time of the first frame: seconds on the flight clock (e.g. 312.5) or UTC (2026-11-29T14:03:12Z).")
@click.option("--fps", type=click.FloatRange(min=0.0, min_open=True), default=None,
              help="Frame rate of an image sequence (default: each image's EXIF time).")
@click.option("--every", type=click.IntRange(min=1), default=None,
              help="Detect on every N-th frame (default: as many as keep --overlap between processed frames).")
@click.option("--overlap", type=click.FloatRange(0.0, 0.99), default=0.9, show_default=True,
              help="Footprint overlap kept between processed frames when --every is not given.")
@click.option("--detector", type=click.Choice(["classical", "yolo"]), default="classical", show_default=True)
@click.option("--dem", "dems", multiple=True, type=click.Path(dir_okay=False),
              help="DEM tile(s) (.hgt/.tif); without one the ground is flat at the home altitude.")
@click.option("--takeoff-alt-m", type=click.FloatRange(-500.0, 9000.0), default=None,
              help="DJI subtitles only: altitude above sea level of the ground the drone took off from (default: "
                   "the subtitles' abs_alt; for heights above take-off only, the DEM where the recording starts).")
@click.option("--synthetic-terrain", is_flag=True,
              help="The embedded synthetic mountain as the ground (replaying a demo flight).")
@click.option("--min-score", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Detector operating point: detections scoring lower are not reported.")
@click.option("--min-sightings", type=click.IntRange(1, 100), default=2, show_default=True,
              help="A target is reported once seen in this many frames.")
@click.option("--min-support", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="... and with this mean score over the frames whose footprint covered it (about the fraction "
                   "of them that saw it); the others stay candidates (candidates.geojson).")
def replay(frames: Path, log_path: Path | None, out_dir: Path, camera: str | None, clock_offset_s: float | None,
           video_start: str | None, fps: float | None, every: int | None, overlap: float, detector: str,
           dems: tuple[str, ...], takeoff_alt_m: float | None, synthetic_terrain: bool, min_score: float,
           min_sightings: int, min_support: float) -> None:
    """Replay a flight's thermal FRAMES (a video or a folder of images) through detection, geotagging and fusion.

    Ctrl-C stops early and still writes what was found so far.
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from thermal_sar.pipelines.replay import run_replay, summary_text

    with Progress(TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("replay", total=None, rate="")
        t0 = time.monotonic()

        def show(done: int, total: int, processed: int) -> None:
            dt = max(time.monotonic() - t0, 1e-6)
            bar.update(task, completed=done, total=max(total, done),
                       rate=f"{done / dt:.0f} frames/s read, {processed / dt:.1f}/s detected")

        result = run_replay(frames, out_dir, log=log_path, camera=camera, detector=detector,
                            clock_offset_s=clock_offset_s, video_start=video_start, fps=fps, every=every,
                            overlap=overlap, dem_paths=dems, synthetic_terrain=synthetic_terrain, min_score=min_score,
                            min_sightings=min_sightings, min_support=min_support, takeoff_alt_m=takeoff_alt_m,
                            progress=show)
    from maps.i18n import gettext_for

    _ = gettext_for()
    click.echo(summary_text(result))
    click.echo(_("wrote {path}").format(path=", ".join(str(p) for p in result.files)))
    if result.interrupted:
        raise click.exceptions.Abort()  # exit status 130, after the summary of what was found
