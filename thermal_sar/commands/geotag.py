"""``thermal-sar geotag``: put detections on the ground from a flight log."""

from __future__ import annotations

import click


@click.command()
@click.option("--tlog", "log_path", default=None, type=click.Path(dir_okay=False),
              help="Flight log: .tlog, or DataFlash .bin/.log.")
@click.option("--dji-images", "dji_dir", default=None, type=click.Path(file_okay=False),
              help="Instead of a log: a folder of DJI JPEGs whose XMP gives each image's pose "
                   "(detections name their image in 'source').")
@click.option("--detections", "dets", required=True, type=click.Path(dir_okay=False),
              help="Detections JSON (a list of detections with frame_time_s).")
@click.option("--out", "out", default="targets.geojson", show_default=True, type=click.Path(dir_okay=False),
              help="GeoJSON of fused targets to write.")
@click.option("--camera", default="h20t", show_default=True, help="Camera preset (see geo.CAMERA_PRESETS).")
@click.option("--dem", "dems", multiple=True, type=click.Path(dir_okay=False),
              help="DEM tile(s) (.hgt/.tif); without one the ground is flat at home altitude.")
@click.option("--clock-offset", "clock_offset_s", type=float, default=None,
              help="Seconds to add to frame times (default: estimated from camera triggers, else 0).")
def geotag(log_path: str | None, dji_dir: str | None, dets: str, out: str, camera: str, dems: tuple[str, ...],
           clock_offset_s: float | None) -> None:
    """Geotag detections from a flight log (or DJI images' XMP) and fuse repeated sightings into targets."""
    from pathlib import Path

    from geo.errors import InputError
    from thermal_sar.pipelines.geotag import geotag_dji_images, geotag_flight

    if (log_path is None) == (dji_dir is None):
        raise InputError("give exactly one of --tlog LOG or --dji-images FOLDER.")
    if dji_dir is not None:
        images = sorted(p for p in Path(dji_dir).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
        report = geotag_dji_images(images, dets, out, camera=camera, dem_paths=dems)
    else:
        report = geotag_flight(log_path, dets, out, camera=camera, dem_paths=dems, clock_offset_s=clock_offset_s)
    click.echo(report.summary())
