"""mission: search-mission planning over terrain and mission file formats.

Planning is a chain of pure stages in a local metric frame (area -> cells ->
swaths -> route -> path -> sorties), converted to lat/lon once, at export::

    from geo import synthetic_mountain
    from mission import plan_search
    plan = plan_search(area_lat_lon, camera="m30t", target="sheep", terrain=synthetic_mountain(), launch=(lat, lon))
    plan.sorties[0].items     # MissionItem list for upload (item 0 is home)
    plan.to_geojson()         # for maps

Overwatch of an incident (orbit a point with the camera on it) is
:func:`plan_overwatch` (:mod:`mission.overwatch`). File formats live in
:mod:`mission.formats`.
"""

from mission.area import LocalArea, SearchArea, check_coverage, to_local
from mission.formats import (
    load_area,
    load_mission_items,
    parse_points,
    save_mission_items,
    write_plan,
)
from mission.items import GLOBAL_FRAMES, MavCmd, MavFrame, MissionItem
from mission.overwatch import OverwatchStats, orbit_speed_m_s, plan_overwatch
from mission.objective import FlightTimeObjective, HeightField, LengthObjective, Objective, PathProfile, profile
from mission.patterns import plan_datum, plan_rings, load_distance_table, DistanceTable
from mission.plan_types import MissionPlan, PlannedWaypoint, PlanStats, Sortie
from mission.plan_warnings import WARNING_CODES, PlanWarning
from mission.planner import PlanSettings, choose_bearing, longest_edge_bearing_deg, plan_search
from mission.sizing import AltitudeChoice, SwathGeometry, choose_altitude, swath_geometry
from mission.swaths import Cell, Swath, decompose
from mission.targets import DETECTION_LEVELS_PX, TARGET_PRESETS, TargetSpec, pixels_for_level, target_preset
from mission.terrain_follow import FollowedPath, follow_terrain
from mission.vehicle import VehicleLimits

__all__ = [
    # exchange types
    "MissionItem", "MavCmd", "MavFrame", "GLOBAL_FRAMES",
    # files
    "load_mission_items", "save_mission_items", "load_area", "parse_points", "write_plan",
    # planning
    "plan_search", "plan_datum", "plan_rings", "PlanSettings", "MissionPlan", "Sortie", "PlannedWaypoint",
    "PlanStats", "SearchArea", "LocalArea", "to_local", "check_coverage", "VehicleLimits",
    "TargetSpec", "TARGET_PRESETS", "target_preset", "DETECTION_LEVELS_PX", "pixels_for_level",
    "AltitudeChoice", "choose_altitude", "SwathGeometry", "swath_geometry",
    "Swath", "Cell", "decompose", "choose_bearing", "longest_edge_bearing_deg",
    "Objective", "FlightTimeObjective", "LengthObjective", "PathProfile", "profile", "HeightField",
    "FollowedPath", "follow_terrain", "DistanceTable", "load_distance_table",
    "PlanWarning", "WARNING_CODES",
    # overwatch
    "plan_overwatch", "OverwatchStats", "orbit_speed_m_s",
]
