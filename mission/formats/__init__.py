"""File formats of missions and search areas (the only I/O in :mod:`mission`)."""

from mission.formats.missions import load_mission_items, save_mission_items
from mission.formats.qgc_plan import PlanFileOptions, format_plan, parse_plan
from mission.formats.waypoints import format_waypoints, parse_waypoints

__all__ = ["load_mission_items", "save_mission_items", "parse_plan", "format_plan", "PlanFileOptions",
           "parse_waypoints", "format_waypoints"]
