"""What the aircraft can do: speeds, rates, endurance."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import InputError, out_of_range

__all__ = ["VehicleLimits"]


@dataclass(frozen=True, slots=True)
class VehicleLimits:
    """Performance limits of a multirotor in AUTO.

    Defaults: 10 m/s cruise; climb 2.5 m/s, descent 1.5 m/s and acceleration
    2.5 m/s^2 are ArduPilot Copter's WPNAV_SPEED_UP, WPNAV_SPEED_DN and
    WPNAV_ACCEL defaults; 30 min endurance with a 6 min reserve suits a DJI
    M30T-class aircraft in the cold (its spec sheet says 41 min in still air).
    """

    speed_m_s: float = 10.0
    climb_m_s: float = 2.5
    descent_m_s: float = 1.5
    accel_m_s2: float = 2.5
    endurance_s: float = 1800.0
    reserve_s: float = 360.0

    def __post_init__(self) -> None:
        checks = {
            "speed_m_s": (0.5, 40.0, "cruise speed in m/s, e.g. 10"),
            "climb_m_s": (0.2, 20.0, "WPNAV_SPEED_UP in m/s"),
            "descent_m_s": (0.2, 20.0, "WPNAV_SPEED_DN in m/s"),
            "accel_m_s2": (0.2, 20.0, "WPNAV_ACCEL in m/s^2"),
            "endurance_s": (60.0, 36000.0, "flight time on a full battery in seconds"),
            "reserve_s": (0.0, 36000.0, "time kept in the battery at landing in seconds"),
        }
        for nm, (lo, hi, hint) in checks.items():
            v = getattr(self, nm)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi):
                raise InputError(out_of_range(nm, v, f"{lo:g}..{hi:g}", hint))
        if self.reserve_s >= self.endurance_s:
            raise InputError(
                f"reserve_s={self.reserve_s:g} is out of range: allowed < endurance_s={self.endurance_s:g}. "
                "Hint: the reserve is the part of the endurance kept for landing."
            )

    @property
    def usable_s(self) -> float:
        """Endurance minus reserve: the time a sortie may take, seconds."""
        return self.endurance_s - self.reserve_s

    def turn_penalty_s(self, turn_deg):
        """Extra time (s) a waypoint turn of ``turn_deg`` costs over flying straight.

        A full reversal stops and restarts the aircraft: decelerating and
        accelerating at ``accel_m_s2`` take ``v/a`` seconds longer than
        cruising the same distance. Gentler turns cost ``v/a * sin^2(turn/2)``.
        """
        import numpy as np

        a = np.radians(np.asarray(turn_deg, float))
        return self.speed_m_s / self.accel_m_s2 * np.sin(a / 2.0) ** 2
