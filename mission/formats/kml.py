"""KML (OGC KML 2.2) of a plan, and KML search areas (Google Earth, CalTopo exports)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from geo.errors import FormatError

__all__ = ["format_kml", "parse_kml_polygons", "format_area_kml"]

_NS = "{http://www.opengis.net/kml/2.2}"


def _coords(points, alt=None) -> str:
    if alt is None:
        return " ".join(f"{float(lon)!r},{float(lat)!r}" for lat, lon in points)
    return " ".join(f"{float(lon)!r},{float(lat)!r},{float(a)!r}" for (lat, lon), a in zip(points, alt))


def _closed(r):
    r = list(r)
    return r + [r[0]] if r and r[0] != r[-1] else r


def _poly(name: str, outer, holes=(), style: str = "area") -> str:
    inner = "".join(f"<innerBoundaryIs><LinearRing><coordinates>{_coords(_closed(h))}</coordinates></LinearRing>"
                    "</innerBoundaryIs>" for h in holes)
    return (f"<Placemark><name>{escape(name)}</name><styleUrl>#{style}</styleUrl><Polygon><outerBoundaryIs><LinearRing>"
            f"<coordinates>{_coords(_closed(outer))}</coordinates></LinearRing></outerBoundaryIs>{inner}</Polygon></Placemark>")


_STYLES = ("<Style id=\"area\"><LineStyle><color>ff00ffff</color><width>2</width></LineStyle><PolyStyle><color>3300ffff"
           "</color></PolyStyle></Style><Style id=\"hole\"><LineStyle><color>ffffffff</color></LineStyle><PolyStyle>"
           "<fill>0</fill></PolyStyle></Style><Style id=\"nofly\"><LineStyle><color>ff0000ff</color><width>2</width>"
           "</LineStyle><PolyStyle><color>550000ff</color></PolyStyle></Style><Style id=\"path\"><LineStyle><color>"
           "ff00ff00</color><width>2</width></LineStyle></Style>")


def format_area_kml(outer, holes=(), no_fly=(), *, name: str = "search area") -> str:
    """A KML document with the search area (and holes) and no-fly zones named ``no-fly N``."""
    body = _poly(name, outer, holes) + "".join(_poly(f"no-fly {i}", z, style="nofly") for i, z in enumerate(no_fly))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>{escape(name)}</name>{_STYLES}{body}</Document></kml>\n")


def format_kml(plan) -> str:
    """KML of a plan: area, holes, no-fly zones, each sortie's 3-D path (absolute altitudes) and waypoints."""
    parts = [_poly("search area", plan.area, plan.holes)] if plan.area else []
    if plan.point_of_interest is not None:
        a, b, z = plan.point_of_interest
        parts.append(f"<Placemark><name>point of interest</name><description>{z:.1f} m AMSL</description><Point>"
                     f"<coordinates>{b!r},{a!r},{z!r}</coordinates></Point></Placemark>")
    if plan.orbit:
        parts.append("<Placemark><name>orbit</name><styleUrl>#path</styleUrl><LineString><altitudeMode>absolute"
                     f"</altitudeMode><coordinates>{_coords([(a, b) for a, b, _ in plan.orbit], [z for _, _, z in plan.orbit])}"
                     "</coordinates></LineString></Placemark>")
    parts += [_poly(f"no-fly {i}", z, style="nofly") for i, z in enumerate(plan.no_fly)]
    lat, lon, alt = plan.launch
    parts.append(f"<Placemark><name>launch</name><Point><coordinates>{lon!r},{lat!r},{alt!r}</coordinates></Point>"
                 "</Placemark>")
    for s in plan.sorties:
        pts = [(lat, lon)] + [(w.lat_deg, w.lon_deg) for w in s.waypoints]
        alts = [alt] + [w.alt_amsl_m for w in s.waypoints]
        wps = "".join(f"<Placemark><name>{w.seq}</name><description>{w.kind}, {w.agl_m:.1f} m above ground, "
                      f"{w.alt_amsl_m:.1f} m AMSL</description><Point><altitudeMode>absolute</altitudeMode><coordinates>"
                      f"{w.lon_deg!r},{w.lat_deg!r},{w.alt_amsl_m!r}</coordinates></Point></Placemark>"
                      for w in s.waypoints)
        parts.append(f"<Folder><name>sortie {s.index + 1}</name><Placemark><name>path sortie {s.index + 1}</name>"
                     f"<styleUrl>#path</styleUrl><LineString><altitudeMode>absolute</altitudeMode><coordinates>"
                     f"{_coords(pts, alts)}</coordinates></LineString></Placemark><Folder><name>waypoints</name>{wps}"
                     "</Folder></Folder>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>thermal-sar mission</name>{_STYLES}{''.join(parts)}</Document></kml>\n")


def _parse_coords(text: str, where: str) -> tuple[tuple[float, float], ...]:
    out = []
    for tok in (text or "").split():
        f = tok.split(",")
        try:
            lon, lat = float(f[0]), float(f[1])
        except (ValueError, IndexError):
            raise FormatError(f"{where}: coordinate {tok!r} is not 'lon,lat[,alt]'. Hint: KML lists longitude first.") from None
        out.append((lat, lon))
    return tuple(out)


def parse_kml_polygons(text: str, *, name: str = "<kml>") -> list[tuple[str, tuple, tuple]]:
    """Every Polygon in a KML text as (placemark name, outer ring, holes); rings are ((lat, lon), ...)."""
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise FormatError(f"{name}: not valid XML ({exc}). Hint: save the area from Google Earth/CalTopo as .kml "
                          "(not .kmz, which is zipped).") from None
    if not root.tag.endswith("kml"):
        raise FormatError(f"{name}: root element <{root.tag.split('}')[-1]}> is not <kml>.")
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    out = []
    for pm in root.iter(f"{ns}Placemark"):
        nm = pm.findtext(f"{ns}name") or f"polygon {len(out)}"
        for poly in pm.iter(f"{ns}Polygon"):
            outer = poly.find(f"{ns}outerBoundaryIs/{ns}LinearRing/{ns}coordinates")
            if outer is None:
                continue
            holes = tuple(_parse_coords(c.text, f"{name}: {nm}") for c in
                          poly.findall(f"{ns}innerBoundaryIs/{ns}LinearRing/{ns}coordinates"))
            out.append((nm, _parse_coords(outer.text, f"{name}: {nm}"), holes))
    return out
