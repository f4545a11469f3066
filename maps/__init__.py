"""maps: offline maps (Folium) and the live server for officers and ground teams.

Static maps: :func:`build_map` (and :func:`mission_map`, :func:`targets_map`)
return an :class:`OfflineMap` with Leaflet embedded, drawn over a terrain layer
made from the DEM. The live server: :func:`create_app` over a :class:`Store`
from :func:`open_store` (SQLite or PostgreSQL). Guidance for ground teams:
:func:`guidance`, :func:`rank_teams`, :func:`gpx_text`, :func:`kml_text`.
Languages: :func:`gettext_for` gives a :class:`Translator` (messages and
numbers, units, coordinates and headings for the reader; docs/i18n.md).

Names load on first use (Folium, FastAPI and friends are heavy), so that
``from maps.i18n import gettext_for`` in a CLI command costs milliseconds.
"""

from __future__ import annotations

import importlib

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    "OfflineMap": "assets",
    "Basemap": "basemaps", "BASEMAP_NAMES": "basemaps", "get_basemap": "basemaps", "to_display": "basemaps",
    "Target": "features", "Ellipse": "features", "TrackPoint": "features", "MissionFeature": "features",
    "parse_targets": "features", "parse_mission": "features", "parse_track": "features",
    "classify_feature_collection": "features", "mission_stats": "features", "items_to_mission_geojson": "features",
    "MapOptions": "static", "build_map": "static", "mission_map": "static", "targets_map": "static",
    "TerrainRaster": "terrain_layer", "resample_terrain": "terrain_layer", "hillshade_png": "terrain_layer",
    "contour_lines": "terrain_layer",
    "Guidance": "guidance", "guidance": "guidance", "walk_time_s": "guidance", "rank_teams": "guidance",
    "gpx_text": "guidance", "gpx_waypoints_text": "guidance", "kml_text": "guidance",
    "SearchProgress": "progress", "search_progress": "progress",
    "Store": "store", "open_store": "store", "ROLES": "store", "IngestClient": "ingest_client",
    "IngestRefused": "ingest_client",
    "create_app": "server", "ServerConfig": "server",
    "Translator": "i18n", "gettext_for": "i18n", "negotiate": "i18n", "available_languages": "i18n",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'maps' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"maps.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
