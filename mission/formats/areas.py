"""Search areas from files (GeoJSON, KML, GPX) or a list of points.

Which polygon is what: a polygon, placemark or feature whose name (or
GeoJSON ``role`` property) contains "no-fly", "nofly" or "nfz" is a no-fly
zone; one named or with role "hole" is a hole; KML/GeoJSON inner rings are
holes; the largest remaining polygon is the search area.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from geo.coords import parse_lat_lon
from geo.errors import FormatError, GeometryError, SarIOError
from mission.area import SearchArea
from mission.formats.gpx import parse_gpx_polygons
from mission.formats.kml import parse_kml_polygons

__all__ = ["load_area", "parse_area_text", "parse_points"]


_DRAWN_ROLES = {"footprint", "line", "path", "waypoint", "launch", "priority-ring"}


def _role(name: str) -> str:
    n = name.lower().replace(" ", "").replace("_", "-")
    if "no-fly" in n or "nofly" in n or "nfz" in n:
        return "no-fly"
    if n.startswith("hole"):
        return "hole"
    return "area"


def _signed_area(ring) -> float:
    a = np.asarray(ring, float)
    if len(a) < 3:
        return 0.0
    y, x = a[:, 0], a[:, 1] * np.cos(np.radians(a[:, 0].mean()))
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _assemble(polys: list[tuple[str, tuple, tuple]], name: str) -> SearchArea:
    areas = [(n, o, h) for n, o, h in polys if _role(n) == "area"]
    if not areas:
        raise FormatError(f"{name}: no search polygon found (only no-fly zones or holes, or no polygon at all). "
                          "Hint: draw the area as a polygon; lines and points are not areas.")
    areas.sort(key=lambda p: -_signed_area(p[1]))
    main_name, outer, holes = areas[0]
    holes = list(holes)
    holes += [o for n, o, _ in polys if _role(n) == "hole" and o not in holes]
    no_fly = [o for n, o, _ in polys if _role(n) == "no-fly"]
    return SearchArea(outer, tuple(holes), tuple(no_fly), name=main_name or name)


def _geojson_polys(doc, name: str) -> list[tuple[str, tuple, tuple]]:
    out: list[tuple[str, tuple, tuple]] = []

    def ring(coords, where):
        try:
            return tuple((float(c[1]), float(c[0])) for c in coords)
        except (TypeError, ValueError, IndexError):
            raise FormatError(f"{name}: {where}: coordinates are not [lon, lat] pairs.") from None

    def geom(g, label):
        if not isinstance(g, dict):
            return
        t = g.get("type")
        if t == "Polygon":
            c = g.get("coordinates") or []
            if c:
                out.append((label, ring(c[0], label), tuple(ring(h, label) for h in c[1:])))
        elif t == "MultiPolygon":
            for c in g.get("coordinates") or []:
                if c:
                    out.append((label, ring(c[0], label), tuple(ring(h, label) for h in c[1:])))
        elif t == "GeometryCollection":
            for sub in g.get("geometries", []):
                geom(sub, label)

    def feat(f):
        props = f.get("properties") or {}
        if str(props.get("role", "")).lower() in _DRAWN_ROLES:
            return  # a planned mission's own drawing (footprints, lines...), not part of the area
        label = str(props.get("role") or props.get("name") or props.get("title") or "")
        geom(f.get("geometry"), label)

    t = doc.get("type") if isinstance(doc, dict) else None
    if t == "FeatureCollection":
        for f in doc.get("features", []):
            feat(f)
    elif t == "Feature":
        feat(doc)
    elif t in ("Polygon", "MultiPolygon", "GeometryCollection"):
        geom(doc, "")
    else:
        raise FormatError(f"{name}: GeoJSON type={t!r}: allowed FeatureCollection, Feature, Polygon or MultiPolygon.")
    return out


def parse_area_text(text: str, *, fmt: str, name: str = "area") -> SearchArea:
    """A SearchArea from the text of a ``geojson``, ``kml`` or ``gpx`` document."""
    if fmt == "geojson":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{name}: not JSON ({exc.msg} at line {exc.lineno}). Hint: is it really GeoJSON?") from None
        polys = _geojson_polys(doc, name)
    elif fmt == "kml":
        polys = parse_kml_polygons(text, name=name)
    elif fmt == "gpx":
        polys = parse_gpx_polygons(text, name=name)
    else:
        raise FormatError(f"area format={fmt!r}: allowed geojson, kml, gpx.")
    return _assemble(polys, name)


def load_area(path: str | Path) -> SearchArea:
    """Read a search area from ``.geojson``/``.json``, ``.kml`` or ``.gpx`` (recognised by content)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read area {str(p)!r}: {exc.strerror or exc}. Hint: check the path.") from None
    if raw[:2] == b"PK":
        raise FormatError(f"{p.name} is a zip (KMZ?): allowed plain .kml, .geojson or .gpx. Hint: unzip the KMZ and "
                          "give its doc.kml.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{p.name} is not a text file: allowed .kml, .geojson or .gpx.") from None
    head = text.lstrip()[:400].lower()
    if head.startswith("{"):
        fmt = "geojson"
    elif "<kml" in head:
        fmt = "kml"
    elif "<gpx" in head:
        fmt = "gpx"
    else:
        raise FormatError(f"{p.name}: content is neither GeoJSON, KML nor GPX (starts with {text.lstrip()[:20]!r}). "
                          "Hint: export the area from Google Earth, CalTopo or QGIS in one of those formats.")
    return parse_area_text(text, fmt=fmt, name=p.stem)


def parse_points(text: str, *, name: str = "area") -> SearchArea:
    """An area from ``"LAT,LON LAT,LON ..."`` (spaces or ';' between points)."""
    toks = [t for t in text.replace(";", " ").split() if t.strip()]
    if len(toks) < 3:
        raise GeometryError(f"{name}: {len(toks)} points given: allowed >= 3 'LAT,LON' points separated by spaces.")
    return SearchArea(tuple(parse_lat_lon(t, name=f"{name} point {i}") for i, t in enumerate(toks)), name=name)
