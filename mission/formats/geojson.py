"""GeoJSON (RFC 7946) of a MissionPlan: coordinates are [lon, lat] or [lon, lat, alt_amsl]."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["plan_to_geojson", "format_geojson"]


def _ring(r) -> list[list[float]]:
    pts = [[lon, lat] for lat, lon in r]
    if pts and pts[0] != pts[-1]:
        pts.append(pts[0])
    return pts


def plan_to_geojson(plan) -> dict[str, Any]:
    """FeatureCollection with a ``role`` property on every feature (schema in docs/mission.md)."""
    st = plan.stats
    feats: list[dict[str, Any]] = []
    if plan.area:
        feats.append({"type": "Feature", "properties": {"role": "area", "area_m2": st.area_m2},
                      "geometry": {"type": "Polygon", "coordinates": [_ring(plan.area)] + [_ring(h) for h in plan.holes]}})
    for i, h in enumerate(plan.holes):
        feats.append({"type": "Feature", "properties": {"role": "hole", "index": i},
                      "geometry": {"type": "Polygon", "coordinates": [_ring(h)]}})
    for i, z in enumerate(plan.no_fly):
        feats.append({"type": "Feature", "properties": {"role": "no-fly", "index": i},
                      "geometry": {"type": "Polygon", "coordinates": [_ring(z)]}})
    for name, ring in plan.rings:
        feats.append({"type": "Feature", "properties": {"role": "priority-ring", "name": name},
                      "geometry": {"type": "Polygon", "coordinates": [_ring(ring)]}})
    lat, lon, alt = plan.launch
    feats.append({"type": "Feature", "properties": {"role": "launch", "ground_amsl_m": alt},
                  "geometry": {"type": "Point", "coordinates": [lon, lat, alt]}})
    ow = plan.meta.get("overwatch")
    if plan.orbit:
        props = {"role": "orbit"}
        if ow is not None:
            props.update({k: getattr(ow, k) for k in ("radius_m", "clockwise", "mode", "laps", "orbit_period_s",
                                                      "time_on_station_s", "orbit_agl_min_m", "orbit_agl_max_m",
                                                      "orbit_amsl_min_m", "orbit_amsl_max_m", "loiter_seq")})
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "LineString", "coordinates": [[b, a, z] for a, b, z in plan.orbit]}})
    if plan.point_of_interest is not None:
        a, b, z = plan.point_of_interest
        props = {"role": "point_of_interest", "ground_amsl_m": z}
        if ow is not None:
            props.update({k: getattr(ow, k) for k in ("radius_m", "depression_min_deg", "depression_max_deg",
                                                      "gsd_across_m", "gsd_along_m", "roi_seq")})
        feats.append({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [b, a, z]}})
    for k, ring in plan.footprints:
        feats.append({"type": "Feature", "properties": {"role": "footprint", "sortie": k},
                      "geometry": {"type": "Polygon", "coordinates": [_ring(ring)]}})
    for s in plan.sorties:
        for i, (a, b) in enumerate(s.lines):
            feats.append({"type": "Feature", "properties": {"role": "line", "sortie": s.index, "index": i},
                          "geometry": {"type": "LineString", "coordinates": [[a[1], a[0]], [b[1], b[0]]]}})
        feats.append({"type": "Feature",
                      "properties": {"role": "path", "sortie": s.index, "drone": s.drone,
                                     "flight_time_s": s.flight_time_s, "path_length_m": s.path_length_m},
                      "geometry": {"type": "LineString", "coordinates":
                                   [[lon, lat, plan.launch[2]]] + [[w.lon_deg, w.lat_deg, w.alt_amsl_m]
                                                                   for w in s.waypoints]}})
        for w in s.waypoints:
            feats.append({"type": "Feature",
                          "properties": {"role": "waypoint", "sortie": s.index, "seq": w.seq, "kind": w.kind,
                                         "amsl_m": w.alt_amsl_m, "agl_m": w.agl_m, "ground_amsl_m": w.ground_amsl_m},
                          "geometry": {"type": "Point", "coordinates": [w.lon_deg, w.lat_deg, w.alt_amsl_m]}})
    stats = {k: getattr(st, k) for k in st.__dataclass_fields__ if k != "alternatives"}
    props = {"generator": "thermal-sar", "pattern": plan.pattern, "camera": plan.camera_name,
             "target": plan.target_name, "terrain": plan.terrain_name,
             "altitude_frame": plan.altitude_frame, "warnings": list(plan.warnings), "stats": stats}
    if ow is not None:
        props["overwatch"] = {k: getattr(ow, k) for k in ow.__dataclass_fields__}
    return {"type": "FeatureCollection", "features": feats, "properties": props}


def format_geojson(plan) -> str:
    return json.dumps(plan_to_geojson(plan), indent=1, allow_nan=False) + "\n"
