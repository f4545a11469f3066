"""QGroundControl ``.plan`` files (JSON, ``fileType: "Plan"``).

Schema (QGroundControl user guide, "Plan File Format")::

    {"fileType": "Plan", "version": 1, "groundStation": "QGroundControl",
     "mission": {"version": 2, "firmwareType": 3, "vehicleType": 2,
                 "cruiseSpeed": .., "hoverSpeed": .., "globalPlanAltitudeMode": ..,
                 "plannedHomePosition": [lat, lon, alt_amsl], "items": [...]},
     "geoFence": {"version": 2, "circles": [], "polygons": [{"inclusion": false, "polygon": [[lat, lon], ...], "version": 1}]},
     "rallyPoints": {"version": 2, "points": []}}

A ``SimpleItem`` has ``command``, ``frame``, ``params`` (7 values, NaN as
``null``; params[4..6] are latitude, longitude and altitude), ``autoContinue``,
``doJumpId`` and, for navigation items, ``Altitude``, ``AltitudeMode`` and
``AMSLAltAboveTerrain``. ``AltitudeMode`` follows QGroundControl's AltMode
enum: 0 mixed, 1 relative to home, 2 absolute (AMSL), 3 AMSL calculated
above terrain, 4 terrain frame. Reading also expands ``ComplexItem`` surveys
and corridor scans (their ``TransectStyleComplexItem.Items``).

Mission items returned by :func:`parse_plan` start with the planned home
position as item 0 (frame 0, AMSL), as in ``QGC WPL 110`` files and the
ArduPilot mission protocol; :func:`format_plan` takes the same list and
writes item 0 as ``plannedHomePosition``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

from geo.errors import FormatError
from mission.items import MavCmd, MavFrame, MissionItem

__all__ = ["parse_plan", "format_plan", "PlanFileOptions", "ALT_MODE"]

# QGroundControlQmlGlobal::AltMode
ALT_MODE = {"mixed": 0, "relative": 1, "absolute": 2, "calc_above_terrain": 3, "terrain_frame": 4}

_NAV_WITH_ALT = {MavCmd.NAV_WAYPOINT, MavCmd.NAV_TAKEOFF, MavCmd.NAV_LOITER_UNLIM, MavCmd.NAV_LOITER_TURNS,
                 MavCmd.NAV_LOITER_TIME, MavCmd.NAV_LOITER_TO_ALT, MavCmd.NAV_LAND}


@dataclass(frozen=True, slots=True)
class PlanFileOptions:
    """Mission-level fields of a ``.plan`` file.

    ``firmware_type`` is MAV_AUTOPILOT (3 ArduPilot, 12 PX4); ``vehicle_type``
    is MAV_TYPE (2 quadrotor). ``agl_m`` gives, per item ``seq``, the height
    above ground that QGroundControl shows as ``Altitude`` for items planned
    AMSL above terrain (``AltitudeMode`` 3).
    """

    cruise_speed_m_s: float = 15.0
    hover_speed_m_s: float = 10.0
    firmware_type: int = 3
    vehicle_type: int = 2
    no_fly_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    agl_m: tuple[tuple[int, float], ...] = ()


def _p(v: float) -> float | None:
    return None if math.isnan(v) else v


def _alt_mode(frame: int) -> int:
    if frame in (MavFrame.GLOBAL, MavFrame.GLOBAL_INT):
        return ALT_MODE["absolute"]
    if frame in (MavFrame.GLOBAL_TERRAIN_ALT, MavFrame.GLOBAL_TERRAIN_ALT_INT):
        return ALT_MODE["terrain_frame"]
    return ALT_MODE["relative"]


def format_plan(items: Sequence[MissionItem], options: PlanFileOptions = PlanFileOptions()) -> str:
    """The JSON text of a ``.plan`` for ``items`` (item 0 is home; see module doc)."""
    if not items:
        raise FormatError("a .plan needs at least the home item (seq 0). Hint: plan a mission first.")
    home, rest = items[0], items[1:]
    agl = dict(options.agl_m)
    out_items: list[dict[str, Any]] = []
    modes = set()
    for n, it in enumerate(rest, start=1):
        params = [_p(it.param1), _p(it.param2), _p(it.param3), _p(it.param4), it.x / 1e7, it.y / 1e7, it.z]
        d: dict[str, Any] = {}
        if it.command in _NAV_WITH_ALT:
            mode = _alt_mode(it.frame)
            if it.frame in (MavFrame.GLOBAL, MavFrame.GLOBAL_INT) and it.seq in agl:
                mode = ALT_MODE["calc_above_terrain"]
                d["AMSLAltAboveTerrain"] = it.z
                d["Altitude"] = agl[it.seq]
            else:
                d["AMSLAltAboveTerrain"] = None
                d["Altitude"] = it.z
            d["AltitudeMode"] = mode
            modes.add(mode)
        d.update({"autoContinue": bool(it.autocontinue), "command": it.command, "doJumpId": n, "frame": it.frame,
                  "params": params, "type": "SimpleItem"})
        out_items.append(d)
    nav_modes = modes - {ALT_MODE["relative"]} if len(modes) > 1 else modes
    global_mode = nav_modes.pop() if len(nav_modes) == 1 else ALT_MODE["mixed"]
    plan = {
        "fileType": "Plan",
        "geoFence": {
            "circles": [],
            "polygons": [{"inclusion": False, "polygon": [[lat, lon] for lat, lon in poly], "version": 1}
                         for poly in options.no_fly_polygons],
            "version": 2,
        },
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": options.cruise_speed_m_s,
            "firmwareType": options.firmware_type,
            "globalPlanAltitudeMode": global_mode,
            "hoverSpeed": options.hover_speed_m_s,
            "items": out_items,
            "plannedHomePosition": [home.x / 1e7, home.y / 1e7, home.z],
            "vehicleType": options.vehicle_type,
            "version": 2,
        },
        "rallyPoints": {"points": [], "version": 2},
        "version": 1,
    }
    return json.dumps(plan, indent=4, allow_nan=False) + "\n"


def _num(v: Any, where: str) -> float:
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FormatError(f"{where}={v!r} is not a number. Hint: the .plan file is damaged or not from QGroundControl.")
    return float(v)


def _simple(d: dict, seq: int, where: str) -> MissionItem:
    try:
        cmd = int(d["command"])
        frame = int(d["frame"])
        params = d["params"]
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"{where}: a SimpleItem needs 'command', 'frame' and 'params'. Hint: the file is damaged.") from None
    if not isinstance(params, list) or len(params) != 7:
        raise FormatError(f"{where}: params has {len(params) if isinstance(params, list) else type(params).__name__} "
                          "values: allowed exactly 7.")
    p = [_num(v, f"{where} params[{i}]") for i, v in enumerate(params)]
    lat, lon, alt = (0.0 if math.isnan(v) else v for v in p[4:7])
    if abs(lat) > 90 or abs(lon) > 180:
        raise FormatError(f"{where}: latitude={lat}, longitude={lon} out of range (|lat| <= 90, |lon| <= 180). "
                          "Hint: params[4] is latitude and params[5] longitude.")
    return MissionItem(seq, cmd, frame, p[0], p[1], p[2], p[3], x=round(lat * 1e7), y=round(lon * 1e7), z=alt,
                       autocontinue=int(bool(d.get("autoContinue", True))))


def parse_plan(text: str, *, name: str = "<text>") -> tuple[MissionItem, ...]:
    """Mission items of a ``.plan`` JSON text: home first (seq 0), complex items expanded."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{name}: not JSON ({exc.msg} at line {exc.lineno}). Hint: a QGroundControl .plan is JSON; "
                          "for text missions use the .waypoints reader.") from None
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        ft = doc.get("fileType") if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(f"{name}: fileType={ft!r}: allowed 'Plan'. Hint: this is not a QGroundControl plan file.")
    mission = doc.get("mission")
    if not isinstance(mission, dict) or not isinstance(mission.get("items"), list):
        raise FormatError(f"{name}: no 'mission.items' list. Hint: the file is damaged.")
    home = mission.get("plannedHomePosition") or [0.0, 0.0, 0.0]
    if not (isinstance(home, list) and len(home) == 3):
        raise FormatError(f"{name}: plannedHomePosition={home!r}: allowed [lat, lon, alt].")
    hlat, hlon, halt = (_num(v, f"{name}: plannedHomePosition") for v in home)
    out = [MissionItem(0, MavCmd.NAV_WAYPOINT, MavFrame.GLOBAL, x=round(hlat * 1e7), y=round(hlon * 1e7),
                       z=0.0 if math.isnan(halt) else halt, current=1)]

    def walk(items: list, where: str) -> None:
        for i, d in enumerate(items):
            w = f"{name}: {where}[{i}]"
            if not isinstance(d, dict):
                raise FormatError(f"{w} is not an object. Hint: the file is damaged.")
            kind = d.get("type")
            if kind == "SimpleItem":
                out.append(_simple(d, len(out), w))
            elif kind == "ComplexItem":
                ts = d.get("TransectStyleComplexItem")
                if not isinstance(ts, dict) or not isinstance(ts.get("Items"), list):
                    raise FormatError(
                        f"{w}: complexItemType={d.get('complexItemType')!r} has no stored items; allowed: surveys and "
                        "corridor scans saved by QGroundControl 4. Hint: open the plan in QGroundControl and save it "
                        "again, or export it as .waypoints."
                    )
                walk(ts["Items"], f"{where}[{i}].Items")
            else:
                raise FormatError(f"{w}: type={kind!r}: allowed 'SimpleItem' or 'ComplexItem'.")

    walk(mission["items"], "mission.items")
    return tuple(out)
