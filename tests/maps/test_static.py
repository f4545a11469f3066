"""Static maps: offline assets, terrain layer, features, GCJ-02 shift, the `map` command."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from geo.errors import FormatError, InputError
from tests.maps.conftest import png_b64

# Anything the browser would fetch: scripts, images, frames, stylesheets, CSS url(). (A plain <a href> is no fetch.)
EXTERNAL = re.compile(r"""<(?:script|img|iframe|source)\b[^>]*\bsrc\s*=\s*["'](?:https?:)?//|<link\b[^>]*\bhref\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def targets_fc(n: int = 3, lat0: float = 30.380, lon0: float = 119.450) -> dict:
    feats = []
    for i in range(n):
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon0 + 0.001 * i, lat0 + 0.0005 * i, 500.0]},
                      "properties": {"id": f"T{i}", "class_name": ["person", "sheep", "cow"][i % 3],
                                     "confidence": 0.5 + 0.1 * i, "sightings": i + 1, "cep_m": 5.0 + i,
                                     "ellipse": {"semi_major_m": 8.0, "semi_minor_m": 4.0, "orientation_deg": 30.0},
                                     "first_seen_s": 10.0 * i, "last_seen_s": 10.0 * i + 5, "alt_amsl_m": 512.0,
                                     "thumbnail_png_b64": png_b64(i), "status": "new"}})
    return {"type": "FeatureCollection", "features": feats}


def mission_fc(lat0: float = 30.380, lon0: float = 119.450) -> dict:
    d = 0.004
    area = [[lon0 - d, lat0 - d], [lon0 + d, lat0 - d], [lon0 + d, lat0 + d], [lon0 - d, lat0 + d], [lon0 - d, lat0 - d]]
    hole = [[lon0 - d / 4, lat0 - d / 4], [lon0 + d / 4, lat0 - d / 4], [lon0 + d / 4, lat0 + d / 4], [lon0 - d / 4, lat0 - d / 4]]
    feats = [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [area]}, "properties": {"kind": "area"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [hole]}, "properties": {"kind": "hole"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[lon0 + d, lat0], [lon0 + 2 * d, lat0], [lon0 + 2 * d, lat0 + d], [lon0 + d, lat0]]]},
         "properties": {"kind": "no_fly"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon0 - d, lat0 - d]}, "properties": {"kind": "launch"}},
    ]
    for s in range(2):
        line = [[lon0 - d + 0.002 * k, lat0 - d + 0.004 * s + 0.001] for k in range(5)]
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                      "properties": {"kind": "flight_line", "sortie": s}})
        for c in line:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": c},
                          "properties": {"kind": "waypoint", "sortie": s, "agl_m": 80.0, "amsl_m": 620.0}})
    return {"type": "FeatureCollection", "features": feats}


def test_offline_map_references_no_url_and_embeds_leaflet():
    from maps.assets import OfflineMap

    html = OfflineMap(location=[30.0, 119.0], tiles=None).get_root().render()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "L.version" in html or 't.version="1.9.3"' in html
    assert "url(images/" not in html  # CSS images are data URIs


def test_terrain_raster_rows_follow_mercator(small_mountain):
    from maps.terrain_layer import resample_terrain

    r = resample_terrain(small_mountain, small_mountain.bounds, max_px=100)
    y = np.log(np.tan(np.pi / 4 + np.radians(r.lat_deg) / 2))
    assert np.allclose(np.diff(y), np.diff(y)[0], rtol=1e-6)
    # Heights equal the terrain's own bilinear values at the sample points (tolerance: float32).
    lat, lon = r.lat_deg[10], r.lon_deg[20]
    assert r.heights_m[10, 20] == pytest.approx(float(small_mountain.elevation_m(lat, lon)), abs=1e-3)


def test_contours_sit_at_their_level(small_mountain):
    from maps.terrain_layer import contour_lines, resample_terrain

    r = resample_terrain(small_mountain, small_mountain.bounds, max_px=150)
    feats = contour_lines(r, interval_m=50.0, tolerance_px=0.0)
    assert feats and {f["properties"]["elevation_m"] % 50 for f in feats} == {0.0}
    f = feats[len(feats) // 2]
    lon, lat = np.array(f["geometry"]["coordinates"]).T
    z = small_mountain.elevation_m(lat, lon)
    # Contours are traced on the display grid: within a few metres of the level on 13 m cells.
    assert np.median(np.abs(z - f["properties"]["elevation_m"])) < 3.0


def test_parse_targets_and_errors():
    from maps.features import parse_targets

    ts = parse_targets(targets_fc(3))
    assert [t.id for t in ts] == ["T0", "T1", "T2"] and ts[1].ellipse.semi_major_m == 8.0
    bad = targets_fc(1)
    bad["features"][0]["geometry"]["coordinates"] = [30.38, 119.45]  # swapped
    with pytest.raises(FormatError, match="longitude, latitude"):
        parse_targets(bad)
    bad = targets_fc(1)
    bad["features"][0]["properties"]["confidence"] = 1.5
    with pytest.raises(FormatError, match="confidence"):
        parse_targets(bad)
    with pytest.raises(FormatError):
        parse_targets({"type": "Nope"})


def test_mission_stats_subtracts_holes():
    from maps.features import mission_stats, parse_mission

    st = mission_stats(parse_mission(mission_fc()))
    # 0.008 deg square at 30.38 N minus a quarter-size triangle-ish hole.
    assert 0.55 < st["area_km2"] < 0.70
    assert st["sorties"] == 2 and st["waypoints"] == 10 and st["no_fly_zones"] == 1


def test_gcj02_shift_moves_points_on_amap():
    from geo.gcj02 import wgs84_to_gcj02
    from maps.basemaps import get_basemap
    from maps.features import parse_targets
    from maps.static import MapOptions, build_map

    ts = parse_targets(targets_fc(1))
    html = build_map(targets=ts, options=MapOptions(basemap=get_basemap("amap"))).get_root().render()
    glat, glon = wgs84_to_gcj02(ts[0].lat_deg, ts[0].lon_deg)

    def marker(h):
        m = re.search(r"L\.circleMarker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", h)
        return float(m.group(1)), float(m.group(2))

    assert marker(html) == pytest.approx((glat, glon), abs=1e-9)
    # Without the GCJ-02 basemap the point stays WGS-84 (the shift here is about 500 m).
    assert marker(build_map(targets=ts).get_root().render()) == pytest.approx((ts[0].lat_deg, ts[0].lon_deg), abs=1e-9)


def test_unknown_basemap_is_an_input_error():
    from maps.basemaps import get_basemap

    with pytest.raises(InputError, match="allowed"):
        get_basemap("googlez")
    with pytest.raises(InputError, match="key"):
        get_basemap("tianditu")


def test_map_command_targets_and_mission(tmp_path):
    from thermal_sar.cli import main

    tg = tmp_path / "targets.geojson"
    tg.write_text(json.dumps(targets_fc(3)))
    mi = tmp_path / "mission.geojson"
    mi.write_text(json.dumps(mission_fc()))
    out = tmp_path / "m.html"
    assert main(["map", str(tg), str(mi), "-o", str(out)]) == 0
    html = out.read_text()
    assert not EXTERNAL.search(html)
    assert "data:image/png;base64," in html  # hillshade and thumbnails embedded
    assert "Mission preview" in html and "T2" in html
    assert main(["map", str(tmp_path / "missing.geojson")]) == 2


def test_map_command_plan_file(tmp_path, shared_data):
    from thermal_sar.cli import main

    plan = shared_data("missions", "plan", "ardupilot_copter_survey.plan")
    out = tmp_path / "plan.html"
    assert main(["map", str(plan), "-o", str(out)]) == 0
    html = out.read_text()
    assert html.count("Waypoint") >= 10 and "Launch point" in html


def test_map_of_a_real_mission_plan(tmp_path, small_mountain):
    """A MissionPlan from the planner, through to_geojson(), drawn with its statistics."""
    from maps.features import classify_feature_collection, mission_stats, parse_mission
    from mission import plan_search
    from thermal_sar.cli import main

    lat0, lon0 = small_mountain.bounds.center
    d = 0.003
    plan = plan_search([(lat0 - d, lon0 - d), (lat0 - d, lon0 + d), (lat0 + d, lon0 + d), (lat0 + d, lon0 - d)],
                       camera="m30t", target="adult-lying", terrain=small_mountain)
    fc = plan.to_geojson()
    assert classify_feature_collection(fc) == "mission"
    feats = parse_mission(fc)
    st = mission_stats(feats)
    # Our geodesic area agrees with the planner's metric area within 0.5 %.
    assert st["area_km2"] * 1e6 == pytest.approx(plan.stats.area_m2, rel=5e-3)
    assert st["flight_length_km"] * 1e3 == pytest.approx(plan.stats.path_length_m, rel=0.01)
    assert st["waypoints"] == sum(len(s.waypoints) for s in plan.sorties)
    p = tmp_path / "plan.geojson"
    p.write_text(json.dumps(fc))
    out = tmp_path / "plan.html"
    assert main(["map", str(p), "-o", str(out)]) == 0
    html = out.read_text()
    assert "Planned POD" in html and "Height above ground (m)" in html and not EXTERNAL.search(html)


@pytest.mark.shared_data
def test_report_on_a_real_srtm_tile(tmp_path, shared_data):
    """Targets in the White Mountains drawn over the SRTM tile: the terrain layer is cropped to them."""
    from thermal_sar.cli import main

    hgt = shared_data("dem", "N44W072.hgt")
    tg = tmp_path / "targets.geojson"
    tg.write_text(json.dumps(targets_fc(3, 44.2705, -71.3033)))  # Mount Washington
    out = tmp_path / "wm.html"
    assert main(["map", str(tg), "--dem", str(hgt), "-o", str(out), "--contours", "50"]) == 0
    html = out.read_text()
    # One hillshade image and contours at 50 m steps from the real relief (the summit is 1917 m).
    assert html.count("data:image/png;base64,") >= 1
    levels = {float(x) for x in re.findall(r'"elevation_m": ([0-9.]+)', html)}
    assert levels and all(v % 50 == 0 for v in levels) and max(levels) >= 1850
    assert out.stat().st_size < 5_000_000


def test_targets_written_by_telemetry_fusion_are_drawn(tmp_path):
    """The contract with telemetry/: its targets_geojson output parses and maps, thumbnails included."""
    import base64

    from maps.features import classify_feature_collection, parse_targets
    from telemetry.fusion import Sighting, fuse_sightings, targets_geojson
    from thermal_sar.cli import main

    thumb = base64.b64decode(png_b64(5))
    cov = ((4.0, 0.0), (0.0, 9.0))
    s = [Sighting(30.3800 + 1e-6 * k, 119.4500, 520.0, cov, "person", 0.6, float(k), k, thumb) for k in range(3)]
    s.append(Sighting(30.3850, 119.4550, 540.0, cov, "sheep", 0.7, 5.0))
    fc = json.loads(targets_geojson(fuse_sightings(s)))
    assert classify_feature_collection(fc) == "targets"
    ts = {t.class_name: t for t in parse_targets(fc)}
    assert ts["person"].sightings == 3 and ts["person"].thumbnail_png_b64 and ts["person"].ellipse.semi_major_m > 0
    assert ts["sheep"].thumbnail_png_b64 is None
    p = tmp_path / "targets.geojson"
    p.write_text(json.dumps(fc))
    assert main(["map", str(p), "-o", str(tmp_path / "t.html")]) == 0


def test_flat_terrain_map_has_no_contours_and_does_not_fail(tmp_path):
    """Level ground (a replay without a DEM) has no contour line; the map is still drawn."""
    from geo.terrain import FlatTerrain
    from maps.features import parse_targets
    from maps.static import MapOptions, targets_map

    m = targets_map(parse_targets(targets_fc()), options=MapOptions(terrain=FlatTerrain(157.5)))
    html = m.get_root().render()
    assert '"elevation_m"' not in html
    assert html.count("data:image/png;base64,") >= 1
