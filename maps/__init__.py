"""maps: offline maps (Folium) and the live server for officers and ground teams.

Static maps: :func:`build_map` (and :func:`mission_map`, :func:`targets_map`)
return an :class:`OfflineMap` with Leaflet embedded, drawn over a terrain layer
made from the DEM. The live server: :func:`create_app` over a :class:`Store`
from :func:`open_store` (SQLite or PostgreSQL). Guidance for ground teams:
:func:`guidance`, :func:`rank_teams`, :func:`gpx_text`, :func:`kml_text`.
"""

from maps.assets import OfflineMap
from maps.basemaps import BASEMAP_NAMES, Basemap, get_basemap, to_display
from maps.features import (
    Ellipse,
    MissionFeature,
    Target,
    TrackPoint,
    classify_feature_collection,
    items_to_mission_geojson,
    mission_stats,
    parse_mission,
    parse_targets,
    parse_track,
)
from maps.ingest_client import IngestClient
from maps.guidance import Guidance, gpx_text, guidance, kml_text, rank_teams, walk_time_s
from maps.progress import SearchProgress, search_progress
from maps.static import MapOptions, build_map, mission_map, targets_map
from maps.store import ROLES, Store, open_store
from maps.terrain_layer import TerrainRaster, contour_lines, hillshade_png, resample_terrain

__all__ = [
    "OfflineMap", "Basemap", "BASEMAP_NAMES", "get_basemap", "to_display",
    "Target", "Ellipse", "TrackPoint", "MissionFeature", "parse_targets", "parse_mission", "parse_track",
    "classify_feature_collection", "mission_stats", "items_to_mission_geojson",
    "MapOptions", "build_map", "mission_map", "targets_map",
    "TerrainRaster", "resample_terrain", "hillshade_png", "contour_lines",
    "Guidance", "guidance", "walk_time_s", "rank_teams", "gpx_text", "kml_text",
    "SearchProgress", "search_progress",
    "Store", "open_store", "ROLES", "IngestClient",
    "create_app", "ServerConfig",
]


def __getattr__(name: str):
    # The server pulls in FastAPI and uvicorn: load it only when asked for.
    if name in ("create_app", "ServerConfig"):
        from maps import server

        return getattr(server, name)
    raise AttributeError(f"module 'maps' has no attribute {name!r}")
