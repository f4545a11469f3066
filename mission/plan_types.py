"""The result of planning: frozen values in lat/lon, ready to export or draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mission.items import MissionItem

__all__ = ["PlannedWaypoint", "Sortie", "PlanStats", "MissionPlan", "LatLon"]

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class PlannedWaypoint:
    """A waypoint of a sortie: position, altitude AMSL, DEM ground and height above it (metres).

    ``kind``: ``"launch"`` (above the launch point), ``"line-start"``,
    ``"line-end"``, ``"line"`` (a densified point on a search line) or
    ``"transit"``.
    """

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    ground_amsl_m: float
    agl_m: float
    kind: str
    seq: int  # sequence number of its mission item


@dataclass(frozen=True)
class Sortie:
    """One flight: a complete mission from launch back to launch."""

    index: int
    drone: int
    items: tuple[MissionItem, ...]
    waypoints: tuple[PlannedWaypoint, ...]
    lines: tuple[tuple[LatLon, LatLon], ...]
    flight_time_s: float
    path_length_m: float
    line_length_m: float
    climb_m: float
    agl_min_m: float
    agl_max_m: float
    slowed_legs: int  # legs steeper than the climb/descent gradient: the vehicle slows there


@dataclass(frozen=True)
class PlanStats:
    """Figures of a plan (SI units in every name).

    Probability of detection: coverage ``C = W * L / A`` with ``W`` the
    effective sweep width (``detection_prob`` x the footprint width at the
    planned height), ``L`` the searched line length and ``A`` the area;
    ``POD = 1 - exp(-C)`` (Koopman's random-search formula). See docs/mission.md.
    """

    area_m2: float
    path_length_m: float
    line_length_m: float
    flight_time_s: float
    sorties: int
    drones: int
    agl_m: float
    agl_min_m: float  # along the whole path (take-off and landing excluded)
    agl_max_m: float
    line_agl_min_m: float  # along search lines only
    line_agl_max_m: float
    tolerance_m: float
    gsd_m: float
    px_on_target: float
    px_on_target_min: float
    px_needed: float
    footprint_cross_m: float
    footprint_along_m: float
    line_spacing_m: float
    photo_distance_m: float | None
    footprint_coverage: float
    total_climb_m: float
    sweep_width_m: float
    detection_prob: float
    coverage_factor: float
    pod: float
    sweep_bearing_deg: float | None
    waypoints: int
    mission_items: int
    alternatives: tuple[tuple[str, float, float, float], ...] = ()  # (name, bearing_deg, est time s, est climb m)


@dataclass(frozen=True)
class MissionPlan:
    """A planned search: sorties for upload plus everything a map needs, all in lat/lon."""

    sorties: tuple[Sortie, ...]
    area: tuple[LatLon, ...]
    holes: tuple[tuple[LatLon, ...], ...]
    no_fly: tuple[tuple[LatLon, ...], ...]
    launch: tuple[float, float, float]  # lat_deg, lon_deg, ground AMSL metres
    stats: PlanStats
    footprints: tuple[tuple[int, tuple[LatLon, ...]], ...]  # (sortie index, ring)
    warnings: tuple[str, ...]
    altitude_frame: str  # "amsl", "home" or "terrain"
    camera_name: str
    target_name: str
    terrain_name: str
    pattern: str
    rings: tuple[tuple[str, tuple[LatLon, ...]], ...] = ()
    # Overwatch (mission.overwatch): the orbit flown, (lat_deg, lon_deg, alt AMSL m) closed, and the point watched,
    # (lat_deg, lon_deg, ground AMSL m); empty / None for searches.
    orbit: tuple[tuple[float, float, float], ...] = ()
    point_of_interest: tuple[float, float, float] | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def waypoints(self) -> tuple[PlannedWaypoint, ...]:
        return tuple(w for s in self.sorties for w in s.waypoints)

    @property
    def lines(self) -> tuple[tuple[int, LatLon, LatLon], ...]:
        return tuple((s.index, a, b) for s in self.sorties for a, b in s.lines)

    def to_geojson(self) -> dict[str, Any]:
        """GeoJSON FeatureCollection (RFC 7946, [lon, lat] order); schema in docs/mission.md."""
        from mission.formats.geojson import plan_to_geojson

        return plan_to_geojson(self)
