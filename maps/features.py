"""What the maps draw: fused targets, mission features and drone tracks, read from GeoJSON-like dicts.

Pure parsing and validation: dicts in, frozen values out. File reading lives
in :mod:`maps.io`. Errors name the feature and the field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from pyproj import Geod

from geo.coords import check_lat_lon
from geo.errors import CoordinateError, FormatError

__all__ = [
    "Ellipse",
    "Target",
    "TrackPoint",
    "MissionFeature",
    "MISSION_KINDS",
    "parse_targets",
    "parse_mission",
    "parse_track",
    "classify_feature_collection",
    "mission_stats",
    "items_to_mission_geojson",
]

_GEOD = Geod(ellps="WGS84")
_B64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")


@dataclass(frozen=True, slots=True)
class Ellipse:
    """An error ellipse: semi-axes in metres, major axis orientation clockwise from north."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float


@dataclass(frozen=True, slots=True)
class Target:
    """One fused target as the telemetry pipeline writes it (WGS-84, altitude AMSL)."""

    id: str
    lat_deg: float
    lon_deg: float
    class_name: str = "hotspot"
    confidence: float = 0.0
    sightings: int = 1
    cep_m: float = 0.0
    ellipse: Ellipse | None = None
    first_seen_s: float | None = None
    last_seen_s: float | None = None
    alt_amsl_m: float | None = None
    thumbnail_png_b64: str | None = None
    status: str = "new"

    def __post_init__(self) -> None:
        check_lat_lon(self.lat_deg, self.lon_deg, name=f"target {self.id!r}")
        if not (0.0 <= self.confidence <= 1.0):
            raise FormatError(f"target {self.id!r}: confidence={self.confidence!r} is out of range: allowed 0..1.")
        if not (math.isfinite(self.cep_m) and self.cep_m >= 0):
            raise FormatError(f"target {self.id!r}: cep_m={self.cep_m!r} is out of range: allowed >= 0 m.")
        if self.thumbnail_png_b64 is not None and not _B64.match(self.thumbnail_png_b64):
            raise FormatError(f"target {self.id!r}: thumbnail_png_b64 is not base64 text.")


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """A drone position: WGS-84, altitude AMSL when known, time in seconds."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float | None = None
    t_s: float | None = None


MISSION_KINDS = ("area", "hole", "no_fly", "ring", "flight_line", "sweep", "waypoint", "footprint", "launch", "orbit",
                 "point_of_interest")
_KIND_ALIASES = {
    "area": "area", "search_area": "area", "search-area": "area", "polygon": "area",
    "hole": "hole", "exclusion": "hole", "island": "hole",
    "no_fly": "no_fly", "nofly": "no_fly", "no-fly": "no_fly", "no_fly_zone": "no_fly", "nfz": "no_fly",
    "ring": "ring", "priority-ring": "ring", "priority_ring": "ring",
    "flight_line": "flight_line", "flight-line": "flight_line", "path": "flight_line", "route": "flight_line",
    "line": "sweep", "sweep": "sweep", "swath": "sweep", "sweep_line": "sweep",
    "waypoint": "waypoint", "wp": "waypoint", "camera_trigger": "waypoint",
    "footprint": "footprint", "camera_footprint": "footprint",
    "launch": "launch", "home": "launch", "takeoff": "launch", "take_off": "launch",
    "orbit": "orbit", "point_of_interest": "point_of_interest", "point-of-interest": "point_of_interest",
    "poi": "point_of_interest", "roi": "point_of_interest",
}


@dataclass(frozen=True, slots=True)
class MissionFeature:
    """A GeoJSON feature of a mission with its normalised ``kind`` (one of :data:`MISSION_KINDS`)."""

    kind: str
    geometry: dict
    properties: dict

    @property
    def sortie(self) -> int:
        s = self.properties.get("sortie", 0)
        try:
            return int(s)
        except (TypeError, ValueError):
            return 0


def _features(obj: Any, what: str) -> list[dict]:
    if not isinstance(obj, dict):
        raise FormatError(f"{what}: expected a GeoJSON object, got {type(obj).__name__}.")
    if obj.get("type") == "FeatureCollection":
        feats = obj.get("features")
        if not isinstance(feats, list):
            raise FormatError(f"{what}: FeatureCollection without a 'features' list.")
        return feats
    if obj.get("type") == "Feature":
        return [obj]
    raise FormatError(f"{what}: type={obj.get('type')!r} is not allowed: expected FeatureCollection or Feature.")


def _num(props: dict, key: str, where: str, default: float | None = None) -> float | None:
    v = props.get(key, default)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise FormatError(f"{where}: {key}={v!r} is not a number.") from None
    if not math.isfinite(f):
        raise FormatError(f"{where}: {key}={v!r} is not finite.")
    return f


def _point(geom: Any, where: str) -> tuple[float, float, float | None]:
    if not isinstance(geom, dict) or geom.get("type") != "Point":
        raise FormatError(f"{where}: geometry must be a Point, got {geom.get('type') if isinstance(geom, dict) else geom!r}.")
    c = geom.get("coordinates")
    if not isinstance(c, (list, tuple)) or len(c) < 2:
        raise FormatError(f"{where}: Point coordinates must be [lon, lat(, alt)], got {c!r}.")
    try:
        lon, lat = float(c[0]), float(c[1])
        alt = float(c[2]) if len(c) > 2 and c[2] is not None else None
    except (TypeError, ValueError):
        raise FormatError(f"{where}: Point coordinates {c!r} are not numbers.") from None
    try:
        check_lat_lon(lat, lon, name=where)
    except CoordinateError as exc:
        raise FormatError(f"{exc} (GeoJSON order is [longitude, latitude])") from None
    return lat, lon, alt


def parse_targets(obj: Any) -> list[Target]:
    """Targets from a FeatureCollection of Point features (the telemetry pipeline's targets.geojson)."""
    out = []
    for i, f in enumerate(_features(obj, "targets")):
        where = f"targets feature {i}"
        if not isinstance(f, dict):
            raise FormatError(f"{where}: expected a Feature object.")
        props = f.get("properties") or {}
        lat, lon, alt = _point(f.get("geometry"), where)
        ell = props.get("ellipse")
        ellipse = None
        if isinstance(ell, dict):
            ellipse = Ellipse(_num(ell, "semi_major_m", where + " ellipse", 0.0), _num(ell, "semi_minor_m", where + " ellipse", 0.0),
                              _num(ell, "orientation_deg", where + " ellipse", 0.0))
        alt_p = _num(props, "alt_amsl_m", where)
        thumb = props.get("thumbnail_png_b64")
        try:
            out.append(Target(
                id=str(props.get("id", f.get("id", i))),
                lat_deg=lat, lon_deg=lon,
                class_name=str(props.get("class_name", "hotspot")),
                confidence=_num(props, "confidence", where, 0.0),
                sightings=int(_num(props, "sightings", where, 1)),
                cep_m=_num(props, "cep_m", where, 0.0),
                ellipse=ellipse,
                first_seen_s=_num(props, "first_seen_s", where),
                last_seen_s=_num(props, "last_seen_s", where),
                alt_amsl_m=alt_p if alt_p is not None else alt,
                thumbnail_png_b64=str(thumb) if thumb else None,
                status=str(props.get("status", "new")),
            ))
        except CoordinateError as exc:
            raise FormatError(f"{where}: {exc}") from None
    return out


def _kind_of(f: dict) -> str | None:
    props = f.get("properties") or {}
    # "role" first: mission.formats.geojson puts a waypoint's own kind ("line-start", ...) in "kind".
    for key in ("role", "kind", "feature", "layer", "type"):
        v = props.get(key)
        if isinstance(v, str) and v.strip().lower() in _KIND_ALIASES:
            return _KIND_ALIASES[v.strip().lower()]
    gtype = (f.get("geometry") or {}).get("type")
    return {"Point": "waypoint", "LineString": "flight_line", "MultiLineString": "flight_line",
            "Polygon": "area", "MultiPolygon": "area"}.get(gtype)


def parse_mission(obj: Any) -> list[MissionFeature]:
    """Mission features, each with a normalised kind (see :data:`MISSION_KINDS`)."""
    out = []
    for i, f in enumerate(_features(obj, "mission")):
        if not isinstance(f, dict) or not isinstance(f.get("geometry"), dict):
            raise FormatError(f"mission feature {i}: expected a Feature with a geometry.")
        kind = _kind_of(f)
        if kind is None:
            raise FormatError(f"mission feature {i}: geometry type {f['geometry'].get('type')!r} is not drawable.")
        out.append(MissionFeature(kind, f["geometry"], dict(f.get("properties") or {})))
    return out


def parse_track(obj: Any) -> list[TrackPoint]:
    """A drone track from a LineString feature (``[lon, lat, alt]``) or Point features with ``t_s``."""
    pts: list[TrackPoint] = []
    for i, f in enumerate(_features(obj, "track")):
        g = (f or {}).get("geometry") or {}
        if g.get("type") == "LineString":
            times = (f.get("properties") or {}).get("times_s") or []
            for j, c in enumerate(g.get("coordinates") or []):
                t = float(times[j]) if j < len(times) else None
                pts.append(TrackPoint(float(c[1]), float(c[0]), float(c[2]) if len(c) > 2 else None, t))
        elif g.get("type") == "Point":
            lat, lon, alt = _point(g, f"track feature {i}")
            pts.append(TrackPoint(lat, lon, alt, _num(f.get("properties") or {}, "t_s", f"track feature {i}")))
    return pts


def classify_feature_collection(obj: Any) -> str:
    """``"targets"``, ``"track"`` or ``"mission"``: what a GeoJSON file holds (by its properties)."""
    feats = _features(obj, "GeoJSON")
    if not feats:
        return "targets"
    props = [(f.get("properties") or {}) for f in feats if isinstance(f, dict)]
    types = {((f.get("geometry") or {}).get("type")) for f in feats if isinstance(f, dict)}
    if types == {"Point"} and any("class_name" in p or "confidence" in p for p in props):
        return "targets"
    if any(_kind_of(f) for f in feats if isinstance(f, dict)) and any(
        str(p.get("kind", p.get("role", ""))).lower() in _KIND_ALIASES for p in props
    ):
        return "mission"
    if types <= {"LineString"} and all("track" in str(p.get("kind", p.get("name", "track"))).lower() for p in props):
        return "track"
    return "mission"


def _geod_area_m2(geom) -> float:
    if geom.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return abs(area)


def _line_length_m(geom: dict) -> float:
    lines = [geom["coordinates"]] if geom.get("type") == "LineString" else geom.get("coordinates", [])
    total = 0.0
    for line in lines:
        if len(line) >= 2:
            total += _GEOD.line_length([float(c[0]) for c in line], [float(c[1]) for c in line])
    return total


def mission_stats(features: Sequence[MissionFeature]) -> dict[str, float | int]:
    """Figures for the statistics panel: area (km2, holes and no-fly zones out), flight length (km), counts, AGL range.

    Holes may come both as interior rings of the area and as separate
    features (``MissionPlan.to_geojson`` gives both): the area is the union of
    the areas minus the union of the holes, so nothing is subtracted twice.
    The flight length is that of the flight paths, or of the sweep lines when
    a file has no path.
    """
    from shapely.geometry import shape
    from shapely.ops import unary_union

    areas = [shape(f.geometry) for f in features if f.kind == "area"]
    cut = [shape(f.geometry) for f in features if f.kind in ("hole", "no_fly")]
    region = unary_union(areas) if areas else None
    if region is not None and cut:
        region = region.difference(unary_union(cut))
    paths = [f for f in features if f.kind == "flight_line"] or [f for f in features if f.kind == "sweep"]
    length = sum(_line_length_m(f.geometry) for f in paths)
    wps = [f for f in features if f.kind == "waypoint"]
    agl = [float(f.properties["agl_m"]) for f in wps if isinstance(f.properties.get("agl_m"), (int, float))]
    stats: dict[str, float | int] = {
        "area_km2": round(_geod_area_m2(region) / 1e6, 3) if region is not None else 0.0,
        "flight_length_km": round(length / 1000.0, 2),
        "waypoints": len(wps),
        "sorties": len({f.sortie for f in features if f.kind in ("flight_line", "sweep", "waypoint")}),
        "no_fly_zones": sum(1 for f in features if f.kind == "no_fly"),
    }
    if agl:
        stats["agl_min_m"] = round(min(agl), 1)
        stats["agl_max_m"] = round(max(agl), 1)
    return stats


_NAV_CMDS = {16, 17, 18, 19, 21, 22, 31}


def items_to_mission_geojson(items: Sequence[Any], *, home: tuple[float, float, float] | None = None) -> dict:
    """A mission FeatureCollection (waypoints, one flight line, launch) from MissionItem-like objects.

    Items need ``seq``, ``command``, ``frame``, ``lat_deg``, ``lon_deg``, ``z`` and
    ``is_global``. Frames: 0/5 AMSL, 3/6 above home, 10/11 above terrain.
    """
    feats: list[dict] = []
    line: list[list[float]] = []
    if home is not None:
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [home[1], home[0]]},
                      "properties": {"kind": "launch", "alt_amsl_m": home[2]}})
    for it in items:
        if not getattr(it, "is_global", False):
            continue
        frame = int(it.frame)
        props: dict[str, Any] = {"kind": "waypoint", "seq": int(it.seq), "command": int(it.command), "frame": frame}
        if frame in (0, 5):
            props["amsl_m"] = float(it.z)
        elif frame in (3, 6):
            props["rel_home_m"] = float(it.z)
        elif frame in (10, 11):
            props["agl_m"] = float(it.z)
        if int(it.command) in _NAV_CMDS:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [it.lon_deg, it.lat_deg]},
                          "properties": props})
            line.append([it.lon_deg, it.lat_deg])
    if len(line) >= 2:
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                      "properties": {"kind": "flight_line", "sortie": 0}})
    return {"type": "FeatureCollection", "features": feats}
