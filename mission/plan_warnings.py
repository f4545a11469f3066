"""Planner warnings that a user interface can word in the reader's language.

A :class:`PlanWarning` *is* its English text (a ``str``: it prints, compares,
searches and serialises to JSON as before) and also carries a stable ``code``
and the ``values`` that appear in it. ``mission`` knows no languages; the CLI
(:mod:`thermal_sar.pipelines.plan`) looks the code up in its gettext catalogue
and fills in the values formatted for the reader. A warning without a code (a
plain ``str``) is shown as it is.

>>> w = PlanWarning("slow_legs", "3 legs are steeper ...", n=3)
>>> w.code, w.values["n"], w.startswith("3 legs")
('slow_legs', 3, True)
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["PlanWarning", "WARNING_CODES"]

# Every code the planners emit, with the names of its values (the contract with the user interfaces).
WARNING_CODES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "no_dem": (),
    "dem_voids": ("count", "south_lat_deg", "north_lat_deg", "west_lon_deg", "east_lon_deg"),
    "area_repaired": ("name", "part", "index", "reason", "lat_deg", "lon_deg"),
    "launch_assumed": ("lat_deg", "lon_deg"),
    "launch_at_point": (),
    "too_many_items": ("sortie", "items"),
    "slow_legs": ("n",),
    "terrain_frame": (),
    "steep_area": ("slope_deg", "bearing_deg"),
    "radius_rounded": ("radius_m", "flown_m", "step_m"),
    "uneven_orbit": ("relief_m", "tolerance_m", "waypoints"),
    "loiter_turns_capped": ("laps", "max_turns", "station_s"),
    "point_hidden": ("fraction",),
})


def _rebuild(code: str, text: str, values: dict[str, Any]) -> "PlanWarning":
    return PlanWarning(code, text, **values)


class PlanWarning(str):
    """A warning's English text, with ``code`` (a key of :data:`WARNING_CODES`) and ``values`` (read-only)."""

    code: str
    values: Mapping[str, Any]

    def __new__(cls, code: str, text: str, **values: Any) -> "PlanWarning":
        self = super().__new__(cls, text)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "values", MappingProxyType(dict(values)))
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"PlanWarning is immutable (tried to set {name!r})")

    def __reduce__(self):
        return _rebuild, (self.code, str(self), dict(self.values))
