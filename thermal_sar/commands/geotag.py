"""``thermal-sar geotag``: put detections on the ground from a flight log."""

from __future__ import annotations

import re
from pathlib import Path

import click


@click.command()
@click.option("--log", "--tlog", "log_path", default=None, type=click.Path(dir_okay=False),
              help="Flight log: .tlog, DataFlash .bin/.log, or the DJI video's subtitles .SRT.")
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
    from geo.errors import InputError
    from thermal_sar.pipelines.geotag import geotag_dji_images, geotag_flight

    if (log_path is None) == (dji_dir is None):
        raise InputError("give exactly one of --log LOG (or --tlog) or --dji-images FOLDER.")
    if dji_dir is not None:
        images = sorted(p for p in Path(dji_dir).iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
        report = geotag_dji_images(images, dets, out, camera=camera, dem_paths=dems)
    else:
        report = geotag_flight(log_path, dets, out, camera=camera, dem_paths=dems, clock_offset_s=clock_offset_s)
    click.echo(geotag_summary(report))


def _offset_source(tr, source: str) -> str:
    """How the clock offset was found, in the reader's language (the pipeline words it in English)."""
    _ = tr
    if source == "given":
        return _("given")
    if source == "none: no camera trigger events, assumed 0":
        return _("none: no camera trigger events, assumed 0")
    if source == "not needed: pose from each image's XMP":
        return _("not needed: pose from each image's XMP")
    if source == "0: DJI subtitles are on the video's own clock":
        return _("0: DJI subtitles are on the video's own clock")
    m = re.fullmatch(r"estimated from (\d+) camera trigger events", source)
    if m:
        return _("estimated from {n} camera trigger events").format(n=m.group(1))
    m = re.fullmatch(r"NOT estimated, assumed 0: (.*)", source, re.S)
    if m:
        return _("NOT estimated, assumed 0: {reason}").format(reason=m.group(1))
    return source


def geotag_summary(report) -> str:
    """What the geotagger met and the targets it wrote, in the CLI's language (docs/i18n.md)."""
    from maps.i18n import gettext_for

    _ = tr = gettext_for()
    log = report.log
    if log.kind == "dji-xmp":
        head = _("DJI images in {folder}: {n} images").format(folder=log.path, n=log.messages)
    elif log.kind == "dji-srt":
        head = _("DJI subtitles {name}: {blocks} blocks, {positioned} with a position, {skipped} skipped").format(
            name=Path(log.path).name, blocks=log.messages, positioned=log.gps_samples, skipped=log.corrupt_packets)
        if log.notes:
            head += " (" + "; ".join(log.notes) + ")"
    else:
        unk = ", ".join(f"{k}x{v}" for k, v in sorted(log.unknown_ids.items())) or _("none")
        head = _("{kind} {name}: {messages} messages, {corrupt} corrupt packets skipped, unknown ids: {unknown}, "
                 "GPS glitches: {glitches}/{samples}, samples without 3D fix: {no_fix}, boots: {boots}").format(
            kind=log.kind, name=Path(log.path).name, messages=log.messages, corrupt=log.corrupt_packets, unknown=unk,
            glitches=log.gps_glitches, samples=log.gps_samples, no_fix=log.gps_no_fix, boots=log.boot_segments)
    lines = [
        head,
        _("clock offset {offset} s ({source}); terrain: {terrain}").format(
            offset=f"{report.clock_offset_s:+.3f}", source=_offset_source(tr, report.clock_offset_source),
            terrain=report.terrain_name),
        (_("{n} detections: {ground} on the ground, {outside} not found in any of these images, {no_ground} whose "
           "ray met no ground") if log.kind == "dji-xmp" else
         _("{n} detections: {ground} on the ground, {outside} outside the log's time span, {no_ground} whose ray met "
           "no ground")).format(n=report.detections, ground=report.geotagged, outside=report.outside_log,
                                no_ground=report.no_ground),
        tr.ngettext("{n} target -> {path}", "{n} targets -> {path}", len(report.targets)).format(
            n=len(report.targets), path=report.out_path),
    ]
    for t in report.targets[:10]:
        lines.append("  " + tr.ngettext(
            "{id} {kind} {coord} CEP {cep}, {n} sighting, confidence {confidence}",
            "{id} {kind} {coord} CEP {cep}, {n} sightings, confidence {confidence}", t.sightings).format(
            id=t.id, kind=_class_name(tr, t.class_name), coord=tr.coord(t.lat_deg, t.lon_deg),
            cep=_("{m} m").format(m=tr.number(t.cep_m, 1)), n=t.sightings, confidence=tr.number(t.confidence, 2)))
    if len(report.targets) > 10:
        lines.append("  " + _("... and {n} more").format(n=len(report.targets) - 10))
    return "\n".join(lines)


def _class_name(tr, name: str) -> str:
    """A detector class in the reader's language where the pages already name it (maps.strings), else as is."""
    from maps.strings import STRINGS

    key = f"class_{name}"
    return tr.s(key) if key in STRINGS else name
