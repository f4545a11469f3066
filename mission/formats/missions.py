"""Reading and writing mission item files by extension."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from geo.errors import FormatError, SarIOError
from mission.formats.qgc_plan import PlanFileOptions, format_plan, parse_plan
from mission.formats.waypoints import format_waypoints, parse_waypoints
from mission.items import MissionItem

__all__ = ["load_mission_items", "save_mission_items"]


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read mission {str(path)!r}: {exc.strerror or exc}. Hint: check the path.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{path.name}: not a text file (not UTF-8). Hint: give a .plan or .waypoints file.") from None


def load_mission_items(path: str | Path) -> tuple[MissionItem, ...]:
    """Mission items from a QGroundControl ``.plan`` or a ``QGC WPL 110`` ``.waypoints``/``.txt`` file.

    The format is recognised from the content (JSON or the WPL header), so a
    misnamed file still loads. Item 0 is the home position in both cases.
    """
    p = Path(path)
    text = _read(p)
    head = text.lstrip()[:20]
    if head.startswith("{"):
        return parse_plan(text, name=p.name)
    if head.startswith("QGC WPL"):
        return parse_waypoints(text, name=p.name)
    raise FormatError(
        f"{p.name}: content starts with {head[:12]!r}, which is neither a QGroundControl .plan (JSON) nor a "
        "'QGC WPL 110' waypoint file. Hint: export the mission from QGroundControl or Mission Planner in one of them."
    )


def save_mission_items(items: Sequence[MissionItem], path: str | Path, *,
                       options: PlanFileOptions = PlanFileOptions()) -> Path:
    """Write ``items`` as ``.plan`` (JSON) or ``.waypoints``/``.txt`` (QGC WPL 110), by extension."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".plan":
        text = format_plan(items, options)
    elif ext in (".waypoints", ".txt"):
        text = format_waypoints(items)
    else:
        raise FormatError(f"mission file extension {ext!r}: allowed .plan, .waypoints, .txt.")
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SarIOError(f"cannot write {str(p)!r}: {exc.strerror or exc}.") from None
    return p
