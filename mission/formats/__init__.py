"""File formats of missions and search areas (the only I/O in :mod:`mission`)."""

from mission.formats.missions import load_mission_items, save_mission_items
from mission.formats.qgc_plan import PlanFileOptions, format_plan, parse_plan
from mission.formats.waypoints import format_waypoints, parse_waypoints

__all__ = ["load_mission_items", "save_mission_items", "parse_plan", "format_plan", "PlanFileOptions",
           "parse_waypoints", "format_waypoints"]

from mission.formats.areas import load_area, parse_area_text, parse_points  # noqa: E402
from mission.formats.geojson import format_geojson, plan_to_geojson  # noqa: E402
from mission.formats.gpx import format_gpx  # noqa: E402
from mission.formats.kml import format_area_kml, format_kml  # noqa: E402

__all__ += ["load_area", "parse_area_text", "parse_points", "format_geojson", "plan_to_geojson", "format_gpx",
            "format_kml", "format_area_kml"]
from mission.formats.export import PLAN_EXTENSIONS, sortie_path, write_plan  # noqa: E402

__all__ += ["write_plan", "sortie_path", "PLAN_EXTENSIONS"]
