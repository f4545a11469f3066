"""GPX 1.1: one route per sortie (elevation AMSL), and GPX search areas."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from geo.errors import FormatError

__all__ = ["format_gpx", "parse_gpx_polygons"]


def format_gpx(plan) -> str:
    """A GPX with one ``<rte>`` per sortie; ``<ele>`` is the planned altitude AMSL in metres."""
    rtes = []
    for s in plan.sorties:
        pts = "".join(f'<rtept lat="{w.lat_deg!r}" lon="{w.lon_deg!r}"><ele>{w.alt_amsl_m!r}</ele><name>{w.seq}</name>'
                      f"<desc>{escape(w.kind)} {w.agl_m:.1f} m AGL</desc></rtept>" for w in s.waypoints)
        rtes.append(f"<rte><name>sortie {s.index + 1}</name>{pts}</rte>")
    if plan.orbit:
        pts = "".join(f'<trkpt lat="{a!r}" lon="{b!r}"><ele>{z!r}</ele></trkpt>' for a, b, z in plan.orbit)
        rtes.append(f"<trk><name>orbit</name><trkseg>{pts}</trkseg></trk>")
    poi = ""
    if plan.point_of_interest is not None:
        a, b, z = plan.point_of_interest
        poi = f'<wpt lat="{a!r}" lon="{b!r}"><ele>{z!r}</ele><name>point of interest</name></wpt>'
    lat, lon, alt = plan.launch
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="thermal-sar" '
            'xmlns="http://www.topografix.com/GPX/1/1">'
            f'<wpt lat="{lat!r}" lon="{lon!r}"><ele>{alt!r}</ele><name>launch</name></wpt>{poi}{"".join(rtes)}</gpx>\n')


def parse_gpx_polygons(text: str, *, name: str = "<gpx>") -> list[tuple[str, tuple, tuple]]:
    """Closed tracks and routes of a GPX as polygons (name, outer ring, ()); rings are ((lat, lon), ...)."""
    try:
        root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise FormatError(f"{name}: not valid XML ({exc}).") from None
    if not root.tag.endswith("gpx"):
        raise FormatError(f"{name}: root element <{root.tag.split('}')[-1]}> is not <gpx>.")
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    out = []
    for kind, pt in (("trk", f"{ns}trkseg/{ns}trkpt"), ("rte", f"{ns}rtept")):
        for el in root.iter(f"{ns}{kind}"):
            nm = el.findtext(f"{ns}name") or f"{kind} {len(out)}"
            pts = []
            for p in el.findall(pt) if kind == "rte" else el.iterfind(pt):
                try:
                    pts.append((float(p.get("lat")), float(p.get("lon"))))
                except (TypeError, ValueError):
                    raise FormatError(f"{name}: {nm}: a point without numeric lat/lon attributes.") from None
            if pts:
                out.append((nm, tuple(pts), ()))
    return out
