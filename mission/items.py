"""MAVLink mission items: the exchange type between planning and the vehicle link.

One :class:`MissionItem` is one MISSION_ITEM_INT: for global frames ``x`` and
``y`` are latitude and longitude in degrees * 1e7 as integers (no float32
rounding) and ``z`` is the altitude in metres in ``frame``'s datum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from geo.coords import check_lat_lon
from geo.errors import InputError

__all__ = ["MissionItem", "MavCmd", "MavFrame", "GLOBAL_FRAMES"]


class MavCmd:
    """MAV_CMD values used by thermal-sar (common.xml)."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    NAV_LOITER_TO_ALT = 31
    DO_CHANGE_SPEED = 178
    DO_SET_ROI_LOCATION = 195
    DO_SET_ROI_NONE = 197
    DO_SET_CAM_TRIGG_DIST = 206
    DO_MOUNT_CONTROL = 205
    DO_DIGICAM_CONTROL = 203
    DO_GIMBAL_MANAGER_PITCHYAW = 1000
    IMAGE_START_CAPTURE = 2000
    IMAGE_STOP_CAPTURE = 2001
    VIDEO_START_CAPTURE = 2500
    VIDEO_STOP_CAPTURE = 2501
    CONDITION_YAW = 115
    DO_SET_ROI = 201


class MavFrame:
    """MAV_FRAME values for mission items."""

    GLOBAL = 0  # altitude AMSL
    MISSION = 2  # not a position (DO_ commands)
    GLOBAL_RELATIVE_ALT = 3  # altitude above home
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10  # altitude above terrain (vehicle needs terrain data)
    GLOBAL_TERRAIN_ALT_INT = 11


GLOBAL_FRAMES = frozenset({0, 3, 5, 6, 10, 11})


@dataclass(frozen=True, slots=True)
class MissionItem:
    """A MAVLink mission item (MISSION_ITEM_INT fields).

    ``x``/``y`` are degrees * 1e7 (integers) for global frames; ``z`` is metres.
    """

    seq: int
    command: int
    frame: int = MavFrame.GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    current: int = 0
    autocontinue: int = 1
    mission_type: int = 0

    def __post_init__(self) -> None:
        if self.seq < 0:
            raise InputError(f"seq={self.seq} is out of range: allowed >= 0.")
        for nm in ("param1", "param2", "param3", "param4", "z"):
            v = getattr(self, nm)
            # NaN is legal in MAVLink params ("use current value"), infinities are not.
            if isinstance(v, float) and math.isinf(v):
                raise InputError(f"{nm}={v} is not allowed in a mission item: use a finite value or NaN.")
        object.__setattr__(self, "x", int(self.x))
        object.__setattr__(self, "y", int(self.y))

    @property
    def is_global(self) -> bool:
        return self.frame in GLOBAL_FRAMES and (self.x != 0 or self.y != 0)

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    @classmethod
    def at(cls, seq: int, command: int, lat_deg: float, lon_deg: float, alt_m: float,
           frame: int = MavFrame.GLOBAL_RELATIVE_ALT, **params: float) -> MissionItem:
        """An item at a position; lat/lon are rounded to 1e-7 degrees (about 1 cm)."""
        check_lat_lon(lat_deg, lon_deg, name=f"mission item {seq}")
        return cls(seq, command, frame, x=round(lat_deg * 1e7), y=round(lon_deg * 1e7), z=float(alt_m), **params)

    def with_seq(self, seq: int) -> MissionItem:
        return replace(self, seq=seq)
