"""``QGC WPL 110`` text missions (Mission Planner, QGroundControl, ArduPilot autotest).

One line per item, tab separated::

    INDEX CURRENT FRAME COMMAND P1 P2 P3 P4 P5(lat) P6(lon) P7(alt) AUTOCONTINUE

Index 0 is the home position (ArduPilot convention). Latitude and longitude
are written with 8 decimals, so reading back gives the same 1e-7 degree
integers; parameters are written with 8 decimals when that is exact and in
full precision otherwise, so write -> read round trips are exact.
"""

from __future__ import annotations

import math

from geo.errors import FormatError
from mission.items import GLOBAL_FRAMES, MissionItem

__all__ = ["parse_waypoints", "format_waypoints"]

HEADER = "QGC WPL 110"


def _num(text: str, what: str, lineno: int) -> float:
    try:
        return float(text)
    except ValueError:
        raise FormatError(
            f"line {lineno}: {what}={text!r} is not a number. Hint: a QGC WPL 110 line has 12 tab-separated numbers."
        ) from None


def parse_waypoints(text: str, *, name: str = "<text>") -> tuple[MissionItem, ...]:
    """Parse the text of a ``QGC WPL 110`` file into mission items (index 0 = home)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [ln for ln in lines if ln.strip()]
    if not lines or not lines[0].strip().startswith("QGC WPL"):
        first = lines[0].strip()[:40] if lines else ""
        raise FormatError(
            f"{name}: first line {first!r} is not a 'QGC WPL 110' header. "
            "Hint: this reader takes Mission Planner/QGC .waypoints text files; use a .plan for QGroundControl JSON."
        )
    version = lines[0].split()[-1]
    if version != "110":
        raise FormatError(f"{name}: WPL version={version!r} is not supported: allowed 110.")
    items: list[MissionItem] = []
    for lineno, ln in enumerate(lines[1:], start=2):
        f = ln.strip().split("\t")
        if len(f) < 12:
            f = ln.split()
        if len(f) != 12:
            raise FormatError(
                f"{name}: line {lineno} has {len(f)} fields: allowed 12 (tab separated). Hint: the file may be truncated."
            )
        idx = int(_num(f[0], "index", lineno))
        cur = int(_num(f[1], "current", lineno))
        frame = int(_num(f[2], "frame", lineno))
        cmd = int(_num(f[3], "command", lineno))
        p = [_num(v, f"param{i + 1}", lineno) for i, v in enumerate(f[4:8])]
        lat = _num(f[8], "latitude (P5)", lineno)
        lon = _num(f[9], "longitude (P6)", lineno)
        alt = _num(f[10], "altitude (P7)", lineno)
        auto = int(_num(f[11], "autocontinue", lineno))
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise FormatError(f"{name}: line {lineno}: latitude/longitude {f[8]!r}, {f[9]!r} are not finite.")
        if frame in GLOBAL_FRAMES and (abs(lat) > 90.0 or abs(lon) > 180.0):
            raise FormatError(
                f"{name}: line {lineno}: latitude={lat} longitude={lon} out of range (|lat| <= 90, |lon| <= 180). "
                "Hint: in QGC WPL 110, P5 is latitude and P6 longitude."
            )
        items.append(MissionItem(idx, cmd, frame, p[0], p[1], p[2], p[3], x=round(lat * 1e7), y=round(lon * 1e7),
                                 z=alt, current=cur, autocontinue=auto))
    return tuple(items)


def _fmt(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return "nan"
    s = f"{v:.8f}"
    return s if float(s) == v else repr(v)


def format_waypoints(items: tuple[MissionItem, ...] | list[MissionItem]) -> str:
    """QGC WPL 110 text for ``items`` (item 0 should be home); lines end with LF."""
    out = [HEADER]
    for it in items:
        lat = f"{it.x / 1e7:.8f}"
        lon = f"{it.y / 1e7:.8f}"
        fields = [str(it.seq), str(it.current), str(it.frame), str(it.command), _fmt(it.param1), _fmt(it.param2),
                  _fmt(it.param3), _fmt(it.param4), lat, lon, _fmt(it.z), str(it.autocontinue)]
        out.append("\t".join(fields))
    return "\n".join(out) + "\n"
