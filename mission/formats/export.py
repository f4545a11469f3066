"""Write a MissionPlan to files, the format chosen by extension."""

from __future__ import annotations

from pathlib import Path

from geo.errors import FormatError, SarIOError
from mission.formats.geojson import format_geojson
from mission.formats.gpx import format_gpx
from mission.formats.kml import format_kml
from mission.formats.qgc_plan import PlanFileOptions, format_plan
from mission.formats.waypoints import format_waypoints

__all__ = ["write_plan", "PLAN_EXTENSIONS", "sortie_path"]

PLAN_EXTENSIONS = (".plan", ".waypoints", ".kml", ".gpx", ".geojson", ".json")


def sortie_path(path: Path, index: int) -> Path:
    """File of sortie ``index`` (0-based): the path itself for the first, ``NAME-sortieK.EXT`` after."""
    return path if index == 0 else path.with_name(f"{path.stem}-sortie{index + 1}{path.suffix}")


def plan_options(plan, sortie) -> PlanFileOptions:
    agl = tuple((w.seq, w.agl_m) for w in sortie.waypoints)
    speed = float(sortie.items[2].param2)
    return PlanFileOptions(cruise_speed_m_s=speed, hover_speed_m_s=speed,
                           no_fly_polygons=plan.no_fly, agl_m=agl if plan.altitude_frame == "amsl" else ())


def _write(p: Path, text: str) -> Path:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)  # never leave a half-written mission behind
    except OSError as exc:
        raise SarIOError(f"cannot write {str(p)!r}: {exc.strerror or exc}. Hint: check the folder exists and is "
                         "writable.") from None
    return p


def write_plan(plan, path: str | Path) -> tuple[Path, ...]:
    """Write ``plan``; mission formats (.plan, .waypoints) get one file per sortie (see :func:`sortie_path`)."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".plan":
        return tuple(_write(sortie_path(p, s.index), format_plan(s.items, plan_options(plan, s))) for s in plan.sorties)
    if ext == ".waypoints":
        return tuple(_write(sortie_path(p, s.index), format_waypoints(s.items)) for s in plan.sorties)
    if ext == ".kml":
        return (_write(p, format_kml(plan)),)
    if ext == ".gpx":
        return (_write(p, format_gpx(plan)),)
    if ext in (".geojson", ".json"):
        return (_write(p, format_geojson(plan)),)
    raise FormatError(f"output extension {ext!r}: allowed {', '.join(PLAN_EXTENSIONS)}.")
