"""Static offline maps (Folium): mission preview and detection report.

Every builder returns an :class:`maps.assets.OfflineMap`; nothing here touches
files (see :mod:`maps.io`). Points are WGS-84 and pass through
:func:`maps.basemaps.to_display` so that a GCJ-02 basemap (Amap) gets them
where its tiles draw them.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from typing import Sequence

import folium
import numpy as np
from branca.element import Element

from geo.coords import destination
from geo.errors import InputError
from geo.terrain import GeoBounds, Terrain
from maps.assets import OfflineMap
from maps.basemaps import Basemap, to_display
from maps.features import MissionFeature, Target, TrackPoint, mission_stats
from maps.strings import STRINGS
from maps.terrain_layer import clip_bounds, contour_lines, hillshade_png, resample_terrain

__all__ = ["MapOptions", "build_map", "mission_map", "targets_map", "CLASS_COLOURS", "SORTIE_COLOURS"]

CLASS_COLOURS = {
    "person": "#e6194b", "sheep": "#f58231", "cow": "#9a6324", "dog": "#911eb4",
    "animal": "#f032e6", "vehicle": "#4363d8", "hotspot": "#808000",
}
SORTIE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class MapOptions:
    """How to draw: basemap (None = DEM only), terrain for the offline layer, contour interval, title."""

    basemap: Basemap | None = None
    terrain: Terrain | None = None
    contour_interval_m: float = 20.0
    terrain_max_px: int = 768
    title: str = ""
    margin_m: float = 300.0
    plan_stats: dict | None = None  # the "stats" of a MissionPlan GeoJSON, shown in the panel


def _bounds_of(points: Sequence[tuple[float, float]], margin_m: float) -> GeoBounds:
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    dlat = margin_m / 111_132.0
    dlon = margin_m / (111_320.0 * max(0.05, math.cos(math.radians(float(lat.mean())))))
    return GeoBounds(float(lat.min() - dlat), float(lon.min() - dlon), float(lat.max() + dlat), float(lon.max() + dlon))


def _coords_of(geom: dict) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []

    def walk(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            out.append((float(c[1]), float(c[0])))
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)

    walk(geom.get("coordinates"))
    return out


def _shift_geom(geom: dict, basemap: Basemap | None) -> dict:
    """A copy of a GeoJSON geometry with every [lon, lat] moved to the basemap's datum."""
    if basemap is None or basemap.datum == "wgs84":
        return geom

    def walk(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            lat, lon = to_display(basemap, float(c[1]), float(c[0]))
            return [lon, lat, *c[2:]]
        return [walk(x) for x in c]

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}


def _popup(rows: Sequence[tuple[str, object]], title: str = "", img_b64: str | None = None) -> folium.Popup:
    parts = []
    if title:
        parts.append(f"<b>{html.escape(title)}</b>")
    if img_b64:
        parts.append(f'<img class="sar-thumb" alt="" src="data:image/png;base64,{img_b64.strip()}">')
    parts.append("<table>" + "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows if v is not None
    ) + "</table>")
    return folium.Popup("".join(parts), max_width=320)


def _fmt_time(t_s: float | None) -> str | None:
    if t_s is None:
        return None
    import datetime as _dt

    if t_s > 1e9:  # unix time
        return _dt.datetime.fromtimestamp(t_s, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"T+{t_s:.1f} s"


_CSS = """
<style>
:root { --sar-panel-bg: rgba(255,255,255,0.92); --sar-panel-fg: #111; --sar-accent: #c62828; --sar-font: system-ui, sans-serif; }
.sar-panel { position: fixed; z-index: 1000; background: var(--sar-panel-bg); color: var(--sar-panel-fg);
  font: 13px/1.35 var(--sar-font); padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.4); }
.sar-stats { top: 10px; left: 50px; max-width: 300px; }
.sar-legend { bottom: 24px; right: 10px; }
.sar-panel h3 { margin: 0 0 4px; font-size: 14px; }
.sar-panel table th { text-align: left; font-weight: 600; padding-right: 8px; }
.sar-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
.sar-thumb { float: right; width: 96px; image-rendering: pixelated; margin: 0 0 4px 8px; border-radius: 4px; }
.sar-label { font: 600 11px var(--sar-font); color: #000; text-shadow: 0 0 2px #fff, 0 0 2px #fff; white-space: nowrap; }
.leaflet-popup-content table th { text-align: left; padding-right: 6px; } .leaflet-popup-content { font-size: 12px; }
</style>
"""


def _panel(cls: str, title: str, rows: Sequence[tuple[str, object]], extra_html: str = "") -> Element:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return Element(f'<div class="sar-panel {cls}"><h3>{html.escape(title)}</h3><table>{body}</table>{extra_html}</div>')


def _add_terrain(m: folium.Map, opts: MapOptions, bounds: GeoBounds, basemap: Basemap | None) -> None:
    t = opts.terrain
    if t is None:
        return
    # The terrain reaches well past the drawn features so that the view never shows its edge.
    dlat = bounds.north_lat_deg - bounds.south_lat_deg
    dlon = bounds.east_lon_deg - bounds.west_lon_deg
    b = clip_bounds(t, GeoBounds(bounds.south_lat_deg - dlat, bounds.west_lon_deg - dlon,
                                 bounds.north_lat_deg + dlat, bounds.east_lon_deg + dlon))
    raster = resample_terrain(t, b, max_px=opts.terrain_max_px)
    png = base64.b64encode(hillshade_png(raster)).decode("ascii")
    rb = raster.bounds
    s, w = to_display(basemap, rb.south_lat_deg, rb.west_lon_deg)
    n, e = to_display(basemap, rb.north_lat_deg, rb.east_lon_deg)
    shade = folium.FeatureGroup(name=STRINGS["layer_hillshade"], overlay=basemap is not None, control=True)
    folium.raster_layers.ImageOverlay(f"data:image/png;base64,{png}", bounds=[[s, w], [n, e]],
                                      opacity=1.0 if basemap is None else 0.5, pixelated=False).add_to(shade)
    shade.add_to(m)
    feats = contour_lines(raster, interval_m=opts.contour_interval_m)
    for f in feats:
        f["geometry"] = _shift_geom(f["geometry"], basemap)
    cont = folium.FeatureGroup(name=STRINGS["layer_contours"], overlay=True, control=True)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda f: {"color": "#5d4037", "weight": 1.4 if f["properties"]["major"] else 0.6,
                                  "opacity": 0.8 if f["properties"]["major"] else 0.5},
        tooltip=folium.GeoJsonTooltip(fields=["elevation_m"], aliases=[STRINGS["elevation_m"]]),
    ).add_to(cont)
    cont.add_to(m)


def _new_map(opts: MapOptions, points: list[tuple[float, float]]) -> tuple[OfflineMap, GeoBounds]:
    if not points:
        if opts.terrain is None:
            raise InputError("nothing to draw: no mission, targets or track and no terrain. Hint: give a file to map.")
        bounds = opts.terrain.bounds
    else:
        bounds = _bounds_of(points, opts.margin_m)
    bm = opts.basemap
    clat, clon = to_display(bm, *bounds.center)
    m = OfflineMap(location=[clat, clon], zoom_start=14, tiles=None, control_scale=True, prefer_canvas=False)
    m.get_root().header.add_child(Element(_CSS), name="sar_css")
    if opts.title:
        m.get_root().title = opts.title
    if bm is not None:
        folium.TileLayer(tiles=bm.url, attr=bm.attribution, name=bm.label, max_zoom=bm.max_zoom,
                         subdomains=bm.subdomains or "abc", overlay=False, control=True).add_to(m)
    _add_terrain(m, opts, bounds, bm)
    s, w = to_display(bm, bounds.south_lat_deg, bounds.west_lon_deg)
    n, e = to_display(bm, bounds.north_lat_deg, bounds.east_lon_deg)
    m.fit_bounds([[s, w], [n, e]])
    return m, bounds


def _draw_mission(m: folium.Map, features: Sequence[MissionFeature], bm: Basemap | None) -> None:
    styles = {
        "area": {"color": "#0d47a1", "weight": 2, "fillOpacity": 0.08},
        "hole": {"color": "#455a64", "weight": 1.5, "dashArray": "4 4", "fillColor": "#90a4ae", "fillOpacity": 0.35},
        "no_fly": {"color": "#b71c1c", "weight": 2, "fillColor": "#e53935", "fillOpacity": 0.3},
        "footprint": {"color": "#6a1b9a", "weight": 0.5, "fillOpacity": 0.06},
        "ring": {"color": "#ef6c00", "weight": 1.5, "dashArray": "6 4", "fill": False},
    }
    groups = {k: folium.FeatureGroup(name=STRINGS[f"layer_{k}"], show=k not in ("footprint", "sweep")) for k in
              ("area", "ring", "no_fly", "footprint", "sweep", "flight_line", "waypoint", "launch")}
    for f in features:
        geom = _shift_geom(f.geometry, bm)
        colour = SORTIE_COLOURS[f.sortie % len(SORTIE_COLOURS)]
        if f.kind in ("area", "hole", "no_fly", "footprint", "ring"):
            grp = groups["area" if f.kind == "hole" else f.kind]
            st = dict(styles[f.kind])
            label = STRINGS[f"kind_{f.kind}"]
            if f.kind == "ring" and f.properties.get("name"):
                label = f"{label}: {f.properties['name']}"
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, st=st: st, tooltip=label).add_to(grp)
        elif f.kind == "sweep":
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, c=colour: {"color": c, "weight": 4, "opacity": 0.35}
                           ).add_to(groups["sweep"])
        elif f.kind == "flight_line":
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, c=colour: {"color": c, "weight": 2.5, "opacity": 0.9},
                           tooltip=f"{STRINGS['sortie']} {f.sortie + 1}").add_to(groups["flight_line"])
        elif f.kind in ("waypoint", "launch") and geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            p = f.properties
            rows = [(STRINGS["sortie"], f.sortie + 1 if "sortie" in p else None), ("seq", p.get("seq")),
                    (STRINGS["agl_m"], p.get("agl_m")), (STRINGS["amsl_m"], p.get("amsl_m", p.get("alt_amsl_m"))),
                    (STRINGS["rel_home_m"], p.get("rel_home_m")),
                    (STRINGS["lat_lon"], f"{f.geometry['coordinates'][1]:.6f}, {f.geometry['coordinates'][0]:.6f}")]
            if f.kind == "launch":
                folium.CircleMarker([lat, lon], radius=9, color="#000", weight=2, fill=True, fill_color="#ffeb3b",
                                    fill_opacity=1.0, popup=_popup(rows, STRINGS["kind_launch"]),
                                    tooltip=STRINGS["kind_launch"]).add_to(groups["launch"])
            else:
                folium.CircleMarker([lat, lon], radius=4, color=colour, weight=1, fill=True, fill_opacity=0.9,
                                    popup=_popup(rows, STRINGS["kind_waypoint"])).add_to(groups["waypoint"])
    for g in groups.values():
        g.add_to(m)


def _ellipse_ring(t: Target, n: int = 48) -> list[list[float]]:
    e = t.ellipse
    assert e is not None
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    # Local east/north offsets of the ellipse, major axis at orientation_deg clockwise from north.
    a, b = e.semi_major_m * np.cos(ang), e.semi_minor_m * np.sin(ang)
    th = math.radians(e.orientation_deg)
    north = a * math.cos(th) - b * math.sin(th)
    east = a * math.sin(th) + b * math.cos(th)
    brg = np.degrees(np.arctan2(east, north))
    dist = np.hypot(east, north)
    lat, lon = destination(np.full(n, t.lat_deg), np.full(n, t.lon_deg), brg, dist)
    return [[float(x), float(y)] for x, y in zip(lat, lon)]


def _draw_targets(m: folium.Map, targets: Sequence[Target], bm: Basemap | None) -> None:
    by_class: dict[str, folium.FeatureGroup] = {}
    for t in sorted(targets, key=lambda t: t.confidence):
        grp = by_class.get(t.class_name)
        if grp is None:
            grp = by_class[t.class_name] = folium.FeatureGroup(name=f"{STRINGS['layer_targets']}: {t.class_name}")
        colour = CLASS_COLOURS.get(t.class_name, "#555")
        lat, lon = to_display(bm, t.lat_deg, t.lon_deg)
        rows = [(STRINGS["class"], t.class_name), (STRINGS["confidence"], f"{100 * t.confidence:.0f} %"),
                (STRINGS["sightings"], t.sightings), (STRINGS["cep_m"], f"{t.cep_m:.1f}"),
                (STRINGS["first_seen"], _fmt_time(t.first_seen_s)), (STRINGS["last_seen"], _fmt_time(t.last_seen_s)),
                (STRINGS["amsl_m"], None if t.alt_amsl_m is None else f"{t.alt_amsl_m:.0f}"),
                (STRINGS["status"], t.status), (STRINGS["lat_lon"], f"{t.lat_deg:.6f}, {t.lon_deg:.6f}")]
        if t.cep_m > 0:
            folium.Circle([lat, lon], radius=t.cep_m, color=colour, weight=1, fill=True, fill_opacity=0.12,
                          dash_array="3 3").add_to(grp)
        if t.ellipse is not None and t.ellipse.semi_major_m > 0:
            ring = [list(to_display(bm, a, b)) for a, b in _ellipse_ring(t)]
            folium.Polygon(ring, color=colour, weight=1, fill=False, opacity=0.7).add_to(grp)
        folium.CircleMarker([lat, lon], radius=5 + 6 * t.confidence, color="#000", weight=1.5, fill=True,
                            fill_color=colour, fill_opacity=0.95,
                            popup=_popup(rows, f"{t.class_name} {t.id}", t.thumbnail_png_b64),
                            tooltip=f"{t.class_name} {100 * t.confidence:.0f} %").add_to(grp)
    for g in by_class.values():
        g.add_to(m)


def _draw_track(m: folium.Map, track: Sequence[TrackPoint], bm: Basemap | None) -> None:
    if len(track) < 2:
        return
    lat = np.array([p.lat_deg for p in track])
    lon = np.array([p.lon_deg for p in track])
    dlat, dlon = to_display(bm, lat, lon)
    grp = folium.FeatureGroup(name=STRINGS["layer_track"])
    folium.PolyLine(np.column_stack([dlat, dlon]).tolist(), color="#212121", weight=2, opacity=0.8,
                    tooltip=STRINGS["layer_track"]).add_to(grp)
    grp.add_to(m)


def _legend(targets: Sequence[Target]) -> str:
    classes = sorted({t.class_name for t in targets})
    return "".join(
        f'<div><span class="sar-swatch" style="background:{CLASS_COLOURS.get(c, "#555")}"></span>{html.escape(c)}</div>'
        for c in classes
    )


def build_map(*, mission: Sequence[MissionFeature] = (), targets: Sequence[Target] = (),
              track: Sequence[TrackPoint] = (), options: MapOptions = MapOptions()) -> OfflineMap:
    """One offline map with any of: a mission, targets, a drone track; with the DEM layer when terrain is given."""
    pts: list[tuple[float, float]] = []
    for f in mission:
        pts.extend(_coords_of(f.geometry))
    pts.extend((t.lat_deg, t.lon_deg) for t in targets)
    pts.extend((p.lat_deg, p.lon_deg) for p in track)
    m, _ = _new_map(options, pts)
    bm = options.basemap
    if mission:
        _draw_mission(m, mission, bm)
        st = mission_stats(mission)
        rows = [(STRINGS["stat_" + k], v) for k, v in st.items()]
        plan = options.plan_stats or {}
        if isinstance(plan.get("flight_time_s"), (int, float)):
            rows.append((STRINGS["stat_flight_time_min"], round(plan["flight_time_s"] / 60.0, 1)))
        if isinstance(plan.get("pod"), (int, float)):
            rows.append((STRINGS["stat_planned_pod"], f"{100 * plan['pod']:.0f} %"))
        if isinstance(plan.get("gsd_m"), (int, float)):
            rows.append((STRINGS["stat_gsd_cm"], round(100 * plan["gsd_m"], 1)))
        m.get_root().html.add_child(_panel("sar-stats", options.title or STRINGS["mission_title"], rows), name="sar_stats")
    if track:
        _draw_track(m, track, bm)
    if targets:
        _draw_targets(m, targets, bm)
        counts: dict[str, int] = {}
        for t in targets:
            counts[t.class_name] = counts.get(t.class_name, 0) + 1
        rows = [(STRINGS["stat_targets"], len(targets))] + sorted(counts.items())
        if not mission:
            m.get_root().html.add_child(_panel("sar-stats", options.title or STRINGS["report_title"], rows),
                                        name="sar_stats")
        m.get_root().html.add_child(Element(f'<div class="sar-panel sar-legend">{_legend(targets)}</div>'),
                                    name="sar_legend")
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def mission_map(features: Sequence[MissionFeature], options: MapOptions = MapOptions()) -> OfflineMap:
    """Mission preview: area, holes, no-fly zones, flight lines by sortie, waypoints, footprints, launch, statistics."""
    return build_map(mission=features, options=options)


def targets_map(targets: Sequence[Target], track: Sequence[TrackPoint] = (),
                options: MapOptions = MapOptions()) -> OfflineMap:
    """Detection report: targets by class and confidence, thumbnails, times, CEP circles, the drone track."""
    return build_map(targets=targets, track=track, options=options)
