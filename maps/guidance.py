"""Guidance for ground teams: bearing, distance, climb, walking time, nearest team, GPX and KML.

Pure functions: positions in, values and text out. Walking time uses Tobler's
hiking function on the terrain profile of the straight line (off-trail factor
0.6), so a team 800 m away across a ravine can rank behind one 1.2 km away on
the same contour.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from geo.coords import compass_word, destination, inverse
from geo.errors import OutOfCoverageError
from geo.terrain import Terrain

__all__ = ["Guidance", "guidance", "walk_time_s", "rank_teams", "gpx_text", "gpx_waypoints_text", "kml_text"]

OFF_TRAIL_FACTOR = 0.6


@dataclass(frozen=True, slots=True)
class Guidance:
    """From a team to its target: bearing (deg from true north), distance (m), climb (m, + = up)."""

    bearing_deg: float
    compass: str
    distance_m: float
    height_diff_m: float | None
    walk_time_s: float | None


def walk_time_s(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float,
                terrain: Terrain | None = None, *, step_m: float = 25.0) -> float:
    """Walking time in seconds along the straight line, by Tobler's hiking function.

    Speed ``6 exp(-3.5 |dz/dx + 0.05|)`` km/h times the off-trail factor, per
    ``step_m`` segment of the terrain profile; flat ground (5 km/h on a trail,
    3 km/h off it) where there is no terrain or the line leaves it.
    """
    az, _, dist = inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg)
    if dist < 1e-6:
        return 0.0
    n = max(2, int(math.ceil(dist / step_m)) + 1)
    s = np.linspace(0.0, dist, n)
    slope = np.zeros(n - 1)
    if terrain is not None:
        lat, lon = destination(np.full(n, lat1_deg), np.full(n, lon1_deg), np.full(n, az), s)
        try:
            z = np.asarray(terrain.elevation_m(lat, lon), float)
            slope = np.diff(z) / np.diff(s)
        except OutOfCoverageError:
            pass
    speed_m_s = 6.0 * np.exp(-3.5 * np.abs(slope + 0.05)) * OFF_TRAIL_FACTOR / 3.6
    return float(np.sum(np.diff(s) / speed_m_s))


def guidance(from_lat_deg: float, from_lon_deg: float, from_alt_m: float | None,
             to_lat_deg: float, to_lon_deg: float, to_alt_m: float | None,
             terrain: Terrain | None = None) -> Guidance:
    """Bearing, distance, height difference and walking time from a team to a target."""
    az, _, dist = inverse(from_lat_deg, from_lon_deg, to_lat_deg, to_lon_deg)
    if terrain is not None:
        try:
            if from_alt_m is None:
                from_alt_m = float(terrain.elevation_m(from_lat_deg, from_lon_deg))
            if to_alt_m is None:
                to_alt_m = float(terrain.elevation_m(to_lat_deg, to_lon_deg))
        except OutOfCoverageError:
            pass
    dh = None if (from_alt_m is None or to_alt_m is None) else float(to_alt_m - from_alt_m)
    t = walk_time_s(from_lat_deg, from_lon_deg, to_lat_deg, to_lon_deg, terrain)
    return Guidance(float(az), compass_word(az), float(dist), dh, t)


def rank_teams(teams: Sequence[dict], lat_deg: float, lon_deg: float, terrain: Terrain | None = None) -> list[dict]:
    """Teams with a known position, nearest first by terrain-aware walking time.

    Each team dict needs ``username``, ``lat_deg``, ``lon_deg``; returned dicts
    add ``distance_m`` (straight line) and ``walk_time_s``.
    """
    out = []
    for t in teams:
        if t.get("lat_deg") is None or t.get("lon_deg") is None:
            continue
        _, _, d = inverse(t["lat_deg"], t["lon_deg"], lat_deg, lon_deg)
        out.append({**t, "distance_m": float(d),
                    "walk_time_s": walk_time_s(t["lat_deg"], t["lon_deg"], lat_deg, lon_deg, terrain)})
    out.sort(key=lambda r: (r["walk_time_s"], r["distance_m"]))
    return out


def gpx_waypoints_text(waypoints) -> str:
    """A GPX 1.1 document with one waypoint per ``(name, lat_deg, lon_deg, alt_m or None, description)``."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<gpx version="1.1" creator="thermal-sar" xmlns="http://www.topografix.com/GPX/1/1">']
    for name, lat_deg, lon_deg, alt_m, description in waypoints:
        ele = f"<ele>{alt_m:.1f}</ele>" if alt_m is not None else ""
        desc = f"<desc>{html.escape(description)}</desc>" if description else ""
        parts.append(f'  <wpt lat="{lat_deg:.7f}" lon="{lon_deg:.7f}">{ele}<name>{html.escape(name)}</name>{desc}'
                     "<sym>Flag, Red</sym></wpt>")
    parts.append("</gpx>")
    return "\n".join(parts) + "\n"


def gpx_text(name: str, lat_deg: float, lon_deg: float, alt_m: float | None = None, *,
             description: str = "", route_from: tuple[float, float] | None = None) -> str:
    """A GPX 1.1 document with the target as a waypoint (and a two-point route from the team when given)."""
    doc = gpx_waypoints_text([(name, lat_deg, lon_deg, alt_m, description)])
    if route_from is None:
        return doc
    nm = html.escape(name)
    route = "\n".join([f"  <rte><name>{nm}</name>",
                       f'    <rtept lat="{route_from[0]:.7f}" lon="{route_from[1]:.7f}"><name>start</name></rtept>',
                       f'    <rtept lat="{lat_deg:.7f}" lon="{lon_deg:.7f}"><name>{nm}</name></rtept>',
                       "  </rte>"])
    return doc.replace("</gpx>\n", route + "\n</gpx>\n")


def kml_text(name: str, lat_deg: float, lon_deg: float, alt_m: float | None = None, *,
             description: str = "", route_from: tuple[float, float] | None = None) -> str:
    """A KML 2.2 document with the target as a placemark (and the route line when given)."""
    nm = html.escape(name)
    alt = f",{alt_m:.1f}" if alt_m is not None else ""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
        f"<name>{nm}</name>",
        f"<Placemark><name>{nm}</name><description>{html.escape(description)}</description>"
        f"<Point><coordinates>{lon_deg:.7f},{lat_deg:.7f}{alt}</coordinates></Point></Placemark>",
    ]
    if route_from is not None:
        parts.append(f"<Placemark><name>route</name><LineString><coordinates>{route_from[1]:.7f},{route_from[0]:.7f} "
                     f"{lon_deg:.7f},{lat_deg:.7f}</coordinates></LineString></Placemark>")
    parts.append("</Document></kml>")
    return "\n".join(parts) + "\n"
