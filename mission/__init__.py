"""mission: search-mission planning over terrain and mission file formats.

Planning is a chain of pure stages in a local metric frame (area -> cells ->
swaths -> route -> path), converted to lat/lon once, at export.
"""

from mission.formats import load_mission_items, save_mission_items
from mission.items import GLOBAL_FRAMES, MavCmd, MavFrame, MissionItem

__all__ = ["MissionItem", "MavCmd", "MavFrame", "GLOBAL_FRAMES", "load_mission_items", "save_mission_items"]
