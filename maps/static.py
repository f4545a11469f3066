"""Static offline maps (Folium): mission preview and detection report.

Every builder returns an :class:`maps.assets.OfflineMap`; nothing here touches
files (see :mod:`maps.io`). Points are WGS-84 and pass through
:func:`maps.basemaps.to_display` so that a GCJ-02 basemap (Amap) gets them
where its tiles draw them.
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from typing import Sequence

import folium
import numpy as np
from branca.element import Element, MacroElement
from jinja2 import Template

from geo.coords import destination
from geo.errors import InputError
from geo.terrain import GeoBounds, Terrain
from maps.assets import OfflineMap
from maps.basemaps import Basemap, to_display
from maps.features import MissionFeature, Target, TrackPoint, mission_stats
from maps.i18n import Translator, gettext_for, normalize_theme
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
    lang: str | None = None  # language of every label (None: THERMAL_SAR_LANG / LANG, see maps.i18n)
    theme: str = "day"  # "day" or "night" at first opening; the reader switches with a button (remembered)


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
:root { --sar-panel-bg: rgba(255,255,255,0.92); --sar-panel-fg: #111; --sar-accent: #c62828; --sar-font: system-ui, sans-serif,
  "Noto Sans CJK SC", "WenQuanYi Micro Hei"; --sar-border: #ccc; --sar-map-filter: none; --sar-vector-filter: none; }
/* Night operations: black and dim red (keeps night vision); the whole map is darkened and tinted red. */
html[data-theme="night"] { --sar-panel-bg: rgba(13,3,2,0.94); --sar-panel-fg: #ff6a55; --sar-accent: #d32f2f; --sar-border: #4a1510;
  --sar-map-filter: grayscale(1) sepia(1) saturate(5) hue-rotate(-45deg) brightness(0.32) contrast(1.2);
  --sar-vector-filter: sepia(1) saturate(4) hue-rotate(-40deg) brightness(0.85); color-scheme: dark; }
html[data-theme="night"] body, html[data-theme="night"] .leaflet-container { background: #000; }
.leaflet-tile-pane, img.leaflet-image-layer { filter: var(--sar-map-filter); }
.leaflet-overlay-pane svg, .leaflet-marker-pane, .sar-thumb { filter: var(--sar-vector-filter); }
html[data-theme="night"] .leaflet-bar a, html[data-theme="night"] .leaflet-control-layers,
html[data-theme="night"] .leaflet-popup-content-wrapper, html[data-theme="night"] .leaflet-popup-tip,
html[data-theme="night"] .leaflet-tooltip, html[data-theme="night"] .leaflet-control-scale-line,
html[data-theme="night"] .leaflet-control-attribution { background: var(--sar-panel-bg); color: var(--sar-panel-fg);
  border-color: var(--sar-border); }
html[data-theme="night"] .leaflet-control-attribution a { color: var(--sar-panel-fg); }
html[data-theme="night"] .leaflet-control-layers-toggle { filter: invert(1) sepia(1) saturate(5) hue-rotate(-40deg) brightness(.6); }
.sar-panel { position: fixed; z-index: 1000; background: var(--sar-panel-bg); color: var(--sar-panel-fg);
  font: 13px/1.35 var(--sar-font); padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.4); }
.sar-stats { top: 10px; left: 50px; max-width: 300px; }
.sar-legend { bottom: 24px; right: 10px; }
.sar-theme-toggle { top: 64px; right: 10px; cursor: pointer; border: 1px solid var(--sar-border); min-height: 40px; font-weight: 600; }
.sar-panel h3 { margin: 0 0 4px; font-size: 14px; }
.sar-panel table th { text-align: left; font-weight: 600; padding-right: 8px; }
.sar-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
html[data-theme="night"] .sar-swatch { filter: var(--sar-vector-filter); }
.sar-thumb { float: right; width: 96px; image-rendering: pixelated; margin: 0 0 4px 8px; border-radius: 4px; }
.sar-label { font: 600 11px var(--sar-font); color: #000; text-shadow: 0 0 2px #fff, 0 0 2px #fff; white-space: nowrap; }
.leaflet-popup-content table th { text-align: left; padding-right: 6px; } .leaflet-popup-content { font-size: 12px; }
</style>
"""

# The theme switch of a static map: the reader's last choice (localStorage) wins over the map's default;
# set before the body is drawn so that a night map never flashes white.
_THEME_JS = """
<script>
(function () {
  var KEY = "sar_theme", d = document.documentElement, stored = null;
  try { stored = window.localStorage.getItem(KEY); } catch (e) { stored = null; }
  d.setAttribute("data-theme", stored === "night" || stored === "day" ? stored : "%(theme)s");
  d.setAttribute("lang", "%(lang)s");
  function label(b) { b.textContent = d.getAttribute("data-theme") === "night" ? %(to_day)s : %(to_night)s; }
  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("sar-theme-toggle");
    if (!b) { return; }
    label(b);
    b.addEventListener("click", function () {
      var t = d.getAttribute("data-theme") === "night" ? "day" : "night";
      d.setAttribute("data-theme", t);
      try { window.localStorage.setItem(KEY, t); } catch (e) { /* a file opened with storage off: not remembered */ }
      label(b);
    });
  });
})();
</script>
"""


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (Folium's ``control_scale`` adds feet and miles too)."""

    _template = Template("{% macro script(this, kwargs) %}"
                         "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
                         "{% endmacro %}")


def _panel(cls: str, title: str, rows: Sequence[tuple[str, object]], extra_html: str = "") -> Element:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return Element(f'<div class="sar-panel {cls}"><h3>{html.escape(title)}</h3><table>{body}</table>{extra_html}</div>')


def _add_terrain(m: folium.Map, opts: MapOptions, bounds: GeoBounds, basemap: Basemap | None, tr: Translator) -> None:
    S = tr.strings()
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
    shade = folium.FeatureGroup(name=S["layer_hillshade"], overlay=basemap is not None, control=True)
    folium.raster_layers.ImageOverlay(f"data:image/png;base64,{png}", bounds=[[s, w], [n, e]],
                                      opacity=1.0 if basemap is None else 0.5, pixelated=False).add_to(shade)
    shade.add_to(m)
    feats = contour_lines(raster, interval_m=opts.contour_interval_m)
    for f in feats:
        f["geometry"] = _shift_geom(f["geometry"], basemap)
    if not feats:  # flat ground has no contour line (folium's tooltip refuses an empty collection)
        return
    cont = folium.FeatureGroup(name=S["layer_contours"], overlay=True, control=True)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda f: {"color": "#5d4037", "weight": 1.4 if f["properties"]["major"] else 0.6,
                                  "opacity": 0.8 if f["properties"]["major"] else 0.5},
        tooltip=folium.GeoJsonTooltip(fields=["elevation_m"], aliases=[S["elevation_m"]]),
    ).add_to(cont)
    cont.add_to(m)


def _new_map(opts: MapOptions, points: list[tuple[float, float]], tr: Translator) -> tuple[OfflineMap, GeoBounds]:
    if not points:
        if opts.terrain is None:
            raise InputError("nothing to draw: no mission, targets or track and no terrain. Hint: give a file to map.")
        bounds = opts.terrain.bounds
    else:
        bounds = _bounds_of(points, opts.margin_m)
    bm = opts.basemap
    clat, clon = to_display(bm, *bounds.center)
    m = OfflineMap(location=[clat, clon], zoom_start=14, tiles=None, control_scale=False, prefer_canvas=False)
    _MetricScale().add_to(m)
    m.get_root().header.add_child(Element(_CSS), name="sar_css")
    js = _THEME_JS % {"theme": normalize_theme(opts.theme), "lang": tr.bcp47,
                      "to_day": json.dumps("☀ " + tr.s("theme_day")), "to_night": json.dumps("☾ " + tr.s("theme_night"))}
    m.get_root().header.add_child(Element(js), name="sar_theme")
    m.get_root().html.add_child(Element('<button type="button" id="sar-theme-toggle" class="sar-panel sar-theme-toggle">'
                                        f'{html.escape(tr.s("theme"))}</button>'), name="sar_theme_toggle")
    if opts.title:
        # folium writes the title into <title> as it is: escape it, or a title could inject markup and script.
        m.get_root().title = html.escape(opts.title)
    if bm is not None:
        folium.TileLayer(tiles=bm.url, attr=bm.attribution, name=bm.label, max_zoom=bm.max_zoom,
                         subdomains=bm.subdomains or "abc", overlay=False, control=True).add_to(m)
    _add_terrain(m, opts, bounds, bm, tr)
    s, w = to_display(bm, bounds.south_lat_deg, bounds.west_lon_deg)
    n, e = to_display(bm, bounds.north_lat_deg, bounds.east_lon_deg)
    m.fit_bounds([[s, w], [n, e]])
    return m, bounds


def _draw_mission(m: folium.Map, features: Sequence[MissionFeature], bm: Basemap | None, tr: Translator) -> None:
    S = tr.strings()
    styles = {
        "area": {"color": "#0d47a1", "weight": 2, "fillOpacity": 0.08},
        "hole": {"color": "#455a64", "weight": 1.5, "dashArray": "4 4", "fillColor": "#90a4ae", "fillOpacity": 0.35},
        "no_fly": {"color": "#b71c1c", "weight": 2, "fillColor": "#e53935", "fillOpacity": 0.3},
        "footprint": {"color": "#6a1b9a", "weight": 0.5, "fillOpacity": 0.06},
        "ring": {"color": "#ef6c00", "weight": 1.5, "dashArray": "6 4", "fill": False},
        "orbit": {"color": "#00838f", "weight": 3, "opacity": 0.9, "dashArray": "10 6"},
    }
    groups = {k: folium.FeatureGroup(name=S[f"layer_{k}"], show=k not in ("footprint", "sweep")) for k in
              ("area", "ring", "no_fly", "footprint", "sweep", "flight_line", "orbit", "waypoint", "launch")}
    for f in features:
        geom = _shift_geom(f.geometry, bm)
        colour = SORTIE_COLOURS[f.sortie % len(SORTIE_COLOURS)]
        if f.kind in ("area", "hole", "no_fly", "footprint", "ring"):
            grp = groups["area" if f.kind == "hole" else f.kind]
            st = dict(styles[f.kind])
            label = S[f"kind_{f.kind}"]
            if f.kind == "ring" and f.properties.get("name"):
                label = f"{label}: {f.properties['name']}"
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, st=st: st, tooltip=label).add_to(grp)
        elif f.kind == "sweep":
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, c=colour: {"color": c, "weight": 4, "opacity": 0.35}
                           ).add_to(groups["sweep"])
        elif f.kind == "orbit":
            p = f.properties
            label = S["kind_orbit"] + (f" · {S['orbit_radius']} {tr.distance(p['radius_m'])}"
                                       if isinstance(p.get("radius_m"), (int, float)) else "")
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, st=styles["orbit"]: st, tooltip=label).add_to(groups["orbit"])
        elif f.kind == "point_of_interest" and geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            p = f.properties
            c = f.geometry["coordinates"]
            gnd, rad = p.get("ground_amsl_m"), p.get("radius_m")
            rows = [(S["lat_lon"], tr.coord(c[1], c[0])),
                    (S["elevation_m"], tr.number(gnd, 0) if isinstance(gnd, (int, float)) else None),
                    (S["orbit_radius"], tr.distance(rad) if isinstance(rad, (int, float)) else None)]
            folium.CircleMarker([lat, lon], radius=8, color="#d81b60", weight=3, fill=True, fill_color="#d81b60",
                                fill_opacity=0.35, popup=_popup(rows, S["kind_point_of_interest"]),
                                tooltip=S["kind_point_of_interest"]).add_to(groups["orbit"])
        elif f.kind == "flight_line":
            folium.GeoJson({"type": "Feature", "geometry": geom, "properties": {}},
                           style_function=lambda _f, c=colour: {"color": c, "weight": 2.5, "opacity": 0.9},
                           tooltip=f"{S['sortie']} {f.sortie + 1}").add_to(groups["flight_line"])
        elif f.kind in ("waypoint", "launch") and geom["type"] == "Point":
            lon, lat = geom["coordinates"][:2]
            p = f.properties
            rows = [(S["sortie"], f.sortie + 1 if "sortie" in p else None), (S["seq"], p.get("seq")),
                    (S["agl_m"], p.get("agl_m")), (S["amsl_m"], p.get("amsl_m", p.get("alt_amsl_m"))),
                    (S["rel_home_m"], p.get("rel_home_m")),
                    (S["lat_lon"], tr.coord(f.geometry["coordinates"][1], f.geometry["coordinates"][0]))]
            if f.kind == "launch":
                folium.CircleMarker([lat, lon], radius=9, color="#000", weight=2, fill=True, fill_color="#ffeb3b",
                                    fill_opacity=1.0, popup=_popup(rows, S["kind_launch"]),
                                    tooltip=S["kind_launch"]).add_to(groups["launch"])
            else:
                folium.CircleMarker([lat, lon], radius=4, color=colour, weight=1, fill=True, fill_opacity=0.9,
                                    popup=_popup(rows, S["kind_waypoint"])).add_to(groups["waypoint"])
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


def _class_label(tr: Translator, name: str) -> str:
    key = f"class_{name}"
    return tr.s(key) if key in tr.strings() else name


def _draw_targets(m: folium.Map, targets: Sequence[Target], bm: Basemap | None, tr: Translator) -> None:
    S = tr.strings()
    by_class: dict[str, folium.FeatureGroup] = {}
    for t in sorted(targets, key=lambda t: t.confidence):
        grp = by_class.get(t.class_name)
        if grp is None:
            grp = by_class[t.class_name] = folium.FeatureGroup(name=f"{S['layer_targets']}: {_class_label(tr, t.class_name)}")
        colour = CLASS_COLOURS.get(t.class_name, "#555")
        lat, lon = to_display(bm, t.lat_deg, t.lon_deg)
        rows = [(S["class"], _class_label(tr, t.class_name)), (S["confidence"], tr.percent(t.confidence)),
                (S["sightings"], t.sightings), (S["cep_m"], tr.number(t.cep_m, 1)),
                (S["first_seen"], _fmt_time(t.first_seen_s)), (S["last_seen"], _fmt_time(t.last_seen_s)),
                (S["amsl_m"], None if t.alt_amsl_m is None else tr.number(t.alt_amsl_m, 0)),
                (S["status"], S.get(f"status_{t.status}", t.status)), (S["lat_lon"], tr.coord(t.lat_deg, t.lon_deg))]
        if t.cep_m > 0:
            folium.Circle([lat, lon], radius=t.cep_m, color=colour, weight=1, fill=True, fill_opacity=0.12,
                          dash_array="3 3").add_to(grp)
        if t.ellipse is not None and t.ellipse.semi_major_m > 0:
            ring = [list(to_display(bm, a, b)) for a, b in _ellipse_ring(t)]
            folium.Polygon(ring, color=colour, weight=1, fill=False, opacity=0.7).add_to(grp)
        folium.CircleMarker([lat, lon], radius=5 + 6 * t.confidence, color="#000", weight=1.5, fill=True,
                            fill_color=colour, fill_opacity=0.95,
                            popup=_popup(rows, f"{_class_label(tr, t.class_name)} {t.id}", t.thumbnail_png_b64),
                            tooltip=f"{_class_label(tr, t.class_name)} {tr.percent(t.confidence)}").add_to(grp)
    for g in by_class.values():
        g.add_to(m)


def _draw_track(m: folium.Map, track: Sequence[TrackPoint], bm: Basemap | None, tr: Translator) -> None:
    S = tr.strings()
    if len(track) < 2:
        return
    lat = np.array([p.lat_deg for p in track])
    lon = np.array([p.lon_deg for p in track])
    dlat, dlon = to_display(bm, lat, lon)
    grp = folium.FeatureGroup(name=S["layer_track"])
    folium.PolyLine(np.column_stack([dlat, dlon]).tolist(), color="#212121", weight=2, opacity=0.8,
                    tooltip=S["layer_track"]).add_to(grp)
    grp.add_to(m)


def _legend(targets: Sequence[Target], tr: Translator) -> str:
    classes = sorted({t.class_name for t in targets})
    return "".join(
        f'<div><span class="sar-swatch" style="background:{CLASS_COLOURS.get(c, "#555")}"></span>{html.escape(_class_label(tr, c))}</div>'
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
    tr = gettext_for(options.lang)
    S = tr.strings()
    m, _ = _new_map(options, pts, tr)
    bm = options.basemap
    if mission:
        _draw_mission(m, mission, bm, tr)
        st = mission_stats(mission)
        rows = [(S["stat_" + k], v) for k, v in st.items()]
        plan = options.plan_stats or {}
        if isinstance(plan.get("flight_time_s"), (int, float)):
            rows.append((S["stat_flight_time_min"], round(plan["flight_time_s"] / 60.0, 1)))
        if isinstance(plan.get("pod"), (int, float)):
            rows.append((S["stat_planned_pod"], tr.percent(plan["pod"])))
        if isinstance(plan.get("gsd_m"), (int, float)):
            rows.append((S["stat_gsd_cm"], round(100 * plan["gsd_m"], 1)))
        m.get_root().html.add_child(_panel("sar-stats", options.title or S["mission_title"], rows), name="sar_stats")
    if track:
        _draw_track(m, track, bm, tr)
    if targets:
        _draw_targets(m, targets, bm, tr)
        counts: dict[str, int] = {}
        for t in targets:
            counts[t.class_name] = counts.get(t.class_name, 0) + 1
        rows = [(S["stat_targets"], len(targets))] + sorted((_class_label(tr, c), n) for c, n in counts.items())
        if not mission:
            m.get_root().html.add_child(_panel("sar-stats", options.title or S["report_title"], rows),
                                        name="sar_stats")
        m.get_root().html.add_child(Element(f'<div class="sar-panel sar-legend">{_legend(targets, tr)}</div>'),
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
