"""Overwatch: orbit a point at a set radius and height above ground with the camera on it.

For incidents (a dispute in a night market, a crowd at a fair) the drone
supports ground units from above: it flies from the launch point to the edge
of a circle around the point, sets the region of interest on the point
(``MAV_CMD_DO_SET_ROI_LOCATION``: ArduCopter points the gimbal at it, and
yaws the vehicle when the mount cannot pan), orbits for as many laps as the
battery allows after the transits, clears the ROI and comes back.

Two ways to fly the orbit, chosen from the terrain (docs/mission.md):

* ``"loiter"``: one ``MAV_CMD_NAV_LOITER_TURNS`` at a constant altitude,
  chosen so that the height above the DEM stays inside ``agl +- tolerance``
  all round the circle. ArduCopter flies a true circle (AC_Circle) at
  ``min(WPNAV_SPEED, sqrt(0.5 * WPNAV_ACCEL * r), CIRCLE_RATE * r)``, honours
  param3 as the radius (whole metres up to 255 m, 10 m steps above, at most
  2 km) and its sign as the direction (negative: counter-clockwise), keeps
  the ROI while circling, and counts whole turns (param1, at most 255). With
  ``altitude_frame="terrain"`` the loiter is in MAV_FRAME_GLOBAL_TERRAIN_ALT
  and AC_Circle follows the terrain itself (terrain data or a rangefinder).
* ``"waypoints"``: where the ground under the circle varies more than the
  band allows a level circle, a ring of waypoints each at ground + agl,
  dense enough that the straight legs keep the band, repeated with
  ``MAV_CMD_DO_JUMP`` (AP_Mission runs the block ``1 + repeat`` times).

Everything is planned in a :class:`geo.frames.LocalFrame` centred on the
point and converted to lat/lon once, in the returned
:class:`~mission.plan_types.MissionPlan` (so :func:`mission.write_plan`
writes .plan, .waypoints, KML, GPX and GeoJSON like any other mission).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from geo.camera import CameraModel, camera_preset
from geo.coords import AltRef, GeoPoint, check_lat_lon
from geo.errors import InputError, OutOfCoverageError, out_of_range
from geo.frames import LocalFrame
from geo.terrain import FlatTerrain, Terrain
from geo.terrain_analysis import line_of_sight, segment_clearance_m
from mission.items import MavCmd, MavFrame, MissionItem
from mission.objective import leg_times_s
from mission.plan_types import MissionPlan, PlannedWaypoint, PlanStats, Sortie
from mission.plan_warnings import PlanWarning
from mission.sizing import focal_px
from mission.terrain_follow import FollowedPath, follow_terrain, sample_path
from mission.vehicle import VehicleLimits

__all__ = ["plan_overwatch", "OverwatchStats", "orbit_speed_m_s", "CIRCLE_RATE_DEG_S", "MAX_RADIUS_M", "MAX_TURNS",
           "MIN_RADIUS_M"]

CIRCLE_RATE_DEG_S = 20.0  # ArduCopter CIRCLE_RATE default (AC_CIRCLE_RATE_DEFAULT)
MAX_RADIUS_M = 2000.0  # AC_CIRCLE_RADIUS_MAX (200000 cm)
MAX_TURNS = 255  # AP_Mission stores the turns of NAV_LOITER_TURNS in one byte
MIN_RADIUS_M = 15.0
DO_JUMP = 177
_ALT_FRAMES = {"amsl": MavFrame.GLOBAL, "home": MavFrame.GLOBAL_RELATIVE_ALT, "terrain": MavFrame.GLOBAL_TERRAIN_ALT}


@dataclass(frozen=True, slots=True)
class OverwatchStats:
    """Figures of an overwatch plan (SI units in every name; heights above the DEM).

    ``depression_*_deg``: angle below the horizon from the orbit to the point
    (the gimbal pitch); ``gsd_*_m``: ground sample distance at the point,
    across the line of sight and along it on the ground (stretched by
    1 / sin(depression)), at the farthest slant range of the orbit.
    """

    point_lat_deg: float
    point_lon_deg: float
    point_ground_amsl_m: float
    radius_m: float
    clockwise: bool
    mode: str  # "loiter" or "waypoints"
    agl_m: float
    tolerance_m: float
    orbit_agl_min_m: float
    orbit_agl_max_m: float
    orbit_amsl_min_m: float
    orbit_amsl_max_m: float
    terrain_relief_m: float  # highest minus lowest ground under the circle
    orbit_speed_m_s: float
    orbit_period_s: float
    laps: int
    time_on_station_s: float  # laps x period
    max_time_on_station_s: float  # what the battery allows after transits, climb, descent and reserve
    transit_distance_m: float  # launch to the orbit, one way
    transit_out_s: float
    transit_back_s: float
    climb_s: float
    descent_s: float
    flight_time_s: float
    agl_min_m: float  # whole path, take-off and landing excluded
    agl_max_m: float
    amsl_min_m: float
    amsl_max_m: float
    clearance_min_m: float  # geo.segment_clearance_m over every leg and orbit chord
    depression_min_deg: float
    depression_max_deg: float
    slant_range_max_m: float
    gsd_across_m: float
    gsd_along_m: float
    sight_blocked_fraction: float  # of orbit positions whose line of sight to the point the DEM blocks
    loiter_seq: int  # the LOITER_TURNS item ("loiter") or the first ring waypoint ("waypoints")
    roi_seq: int


def orbit_speed_m_s(radius_m: float, vehicle: VehicleLimits, circle_rate_deg_s: float = CIRCLE_RATE_DEG_S) -> float:
    """Speed on a circle of ``radius_m``, as ArduCopter's AC_Circle::calc_velocities limits it.

    ``min(speed, sqrt(0.5 * accel * r), rate * r)``: the waypoint speed, half
    the horizontal acceleration for the centripetal part, and CIRCLE_RATE.
    """
    return float(min(vehicle.speed_m_s, math.sqrt(0.5 * vehicle.accel_m_s2 * radius_m),
                     math.radians(abs(circle_rate_deg_s)) * radius_m))


def _check(name: str, v: float, lo: float, hi: float, hint: str = "") -> float:
    if not (isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi):
        raise InputError(out_of_range(name, v, f"{lo:g}..{hi:g}", hint))
    return float(v)


def _ring_xy(radius_m: float, n: int, start_bearing_rad: float, clockwise: bool) -> np.ndarray:
    """``n + 1`` points round the circle (closed), from the bearing ``start`` in the flying direction."""
    s = 1.0 if clockwise else -1.0
    b = start_bearing_rad + s * np.linspace(0.0, 2.0 * math.pi, n + 1)
    xy = np.column_stack([radius_m * np.sin(b), radius_m * np.cos(b)])
    xy[-1] = xy[0]
    return xy


def _transit(ground: Callable[[np.ndarray], np.ndarray], a_xy, b_xy, *, start_alt_m: float, agl_m: float,
             tolerance_m: float, step_m: float, vehicle: VehicleLimits) -> FollowedPath:
    """Terrain-following path a -> b starting at ``start_alt_m``, checked every 2 m, keeping the band."""
    v = np.array([a_xy, b_xy], float)
    kinds = np.array([1], np.int8)  # keep the orbit's band all the way
    margin = min(1.0, tolerance_m / 4.0)
    for _ in range(6):
        fp = follow_terrain(v, kinds, ground, agl_m=agl_m, tolerance_m=tolerance_m, step_m=step_m,
                            climb_gradient=vehicle.climb_m_s / vehicle.speed_m_s,
                            descent_gradient=vehicle.descent_m_s / vehicle.speed_m_s, start_alt_amsl_m=start_alt_m,
                            inner_margin_m=margin)
        lo, hi = _agl_range(fp.xy_m, fp.alt_amsl_m, ground, step_m)
        excess = max(agl_m - tolerance_m - lo, hi - agl_m - tolerance_m, 0.0)
        if excess <= 0.0:
            break
        margin = min(margin + excess + 0.25, 0.9 * tolerance_m)
    return fp


def _agl_range(xy: np.ndarray, alt: np.ndarray, ground, step_m: float) -> tuple[float, float]:
    pts, _ = sample_path(xy, min(2.0, step_m / 4.0))
    d = np.diff(xy, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))])
    sp = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    agl = np.interp(sp, cum, alt) - ground(pts)
    return float(agl.min()), float(agl.max())


def plan_overwatch(point: tuple[float, float], *, radius_m: float, agl_m: float, terrain: Terrain | None = None,
                   launch: tuple[float, float] | None = None, camera: CameraModel | str = "m30t",
                   vehicle: VehicleLimits = VehicleLimits(), tolerance_m: float = 10.0,
                   ceiling_agl_m: float = 120.0, min_safe_agl_m: float = 30.0, dem_margin_m: float = 10.0,
                   altitude_frame: str = "amsl", clockwise: bool = True, time_on_station_s: float | None = None,
                   min_radius_m: float = MIN_RADIUS_M, max_launch_distance_m: float = 8000.0,
                   circle_rate_deg_s: float = CIRCLE_RATE_DEG_S) -> MissionPlan:
    """Plan an overwatch orbit of ``point`` (lat_deg, lon_deg) for the longest time on station the battery allows.

    Parameters
    ----------
    radius_m : float
        Orbit radius, metres (``min_radius_m`` .. 2000; whole metres up to
        255 m and 10 m steps above, as ArduCopter stores it).
    agl_m : float
        Height above the DEM, held within ``+- tolerance_m`` all round the orbit
        and on the transits; the band's top stays under ``ceiling_agl_m`` and
        its bottom less ``dem_margin_m`` above ``min_safe_agl_m``.
    terrain : DEM; without one the ground is flat at 0 m (warned).
    launch : (lat_deg, lon_deg), optional; default the point itself (warned).
    camera : preset name or CameraModel, for the GSD at the point.
    vehicle : speeds, rates and endurance (time on station = usable endurance
        less climb, transits and descent).
    time_on_station_s : float, optional
        Stay at most this long (default: as long as the battery allows).
    altitude_frame : "amsl", "home" or "terrain" (see docs/mission.md).

    Returns a :class:`MissionPlan` with one sortie, ``pattern="overwatch"``,
    ``orbit`` and ``point_of_interest`` set and the :class:`OverwatchStats`
    in ``meta["overwatch"]``.
    """
    warnings: list[str] = []
    lat0, lon0 = float(point[0]), float(point[1])
    check_lat_lon(lat0, lon0, name="point")
    if altitude_frame not in _ALT_FRAMES:
        raise InputError(f"altitude_frame={altitude_frame!r}: allowed {', '.join(_ALT_FRAMES)}.")
    cam = camera_preset(camera) if isinstance(camera, str) else camera
    if not isinstance(cam, CameraModel):
        raise InputError(f"camera={camera!r}: allowed a preset name or a geo.camera.CameraModel.")
    tol = _check("tolerance_m", tolerance_m, 1.0, 100.0, "the height band is agl +- tolerance")
    ceiling = _check("ceiling_agl_m", ceiling_agl_m, 5.0, 1000.0)
    min_safe = _check("min_safe_agl_m", min_safe_agl_m, 0.0, 500.0)
    dem_margin = _check("dem_margin_m", dem_margin_m, 0.0, 100.0)
    _check("circle_rate_deg_s", circle_rate_deg_s, 1.0, 90.0, "ArduCopter CIRCLE_RATE, deg/s")
    min_r = _check("min_radius_m", min_radius_m, 1.0, MAX_RADIUS_M)
    if not (isinstance(radius_m, (int, float)) and math.isfinite(radius_m)):
        raise InputError(out_of_range("radius_m", radius_m, f"a finite number {min_r:g}..{MAX_RADIUS_M:g} m",
                                      "--radius is the orbit radius in metres, e.g. --radius 80."))
    if radius_m < min_r:
        raise InputError(
            f"radius_m={radius_m!r} is too small for the vehicle: allowed {min_r:g}..{MAX_RADIUS_M:g} m. A multirotor "
            "holds its position to about +-2-3 m (GNSS and gusts), so a smaller orbit swings the bearing to the point "
            "and brings the drone almost over the people it watches; ArduCopter also stores the radius in whole "
            f"metres and reads 0 as CIRCLE_RADIUS. Hint: use --radius {min_r:g} or more.")
    if radius_m > MAX_RADIUS_M:
        raise InputError(out_of_range("radius_m", radius_m, f"{min_r:g}..{MAX_RADIUS_M:g} m",
                                      "ArduCopter's circle controller flies at most 2 km (AC_CIRCLE_RADIUS_MAX)"))
    # ArduCopter stores the radius as a byte: whole metres up to 255 m, tens of metres above.
    r = float(round(radius_m)) if radius_m <= 255.0 else float(round(radius_m / 10.0) * 10.0)
    if abs(r - radius_m) > 1e-6:
        warnings.append(PlanWarning(
            "radius_rounded", f"radius {radius_m:g} m flown as {r:g} m: ArduCopter stores "
            + ("whole metres." if radius_m <= 255.0 else "radii above 255 m in 10 m steps."),
            radius_m=float(radius_m), flown_m=r, step_m=1.0 if radius_m <= 255.0 else 10.0))
    lowest, highest = min_safe + dem_margin + tol, ceiling - tol
    if not (isinstance(agl_m, (int, float)) and math.isfinite(agl_m) and lowest <= agl_m <= highest):
        raise InputError(out_of_range(
            "agl_m", agl_m, f"{lowest:g}..{highest:g} m (minimum safe {min_safe:g} m + DEM margin {dem_margin:g} m + "
            f"tolerance {tol:g} m .. ceiling {ceiling:g} m - tolerance)",
            "lower --min-agl or --tolerance where obstacles allow, or raise --ceiling where the law allows"))
    agl = float(agl_m)
    if time_on_station_s is not None:
        _check("time_on_station_s", time_on_station_s, 1.0, 36000.0, "leave it out to stay as long as the battery allows")
    if terrain is None:
        terrain = FlatTerrain(0.0)
        warnings.append(PlanWarning("no_dem", "no DEM given: the ground is assumed flat at 0 m AMSL, so heights above ground are NOT "
                        "checked against real terrain. Give a DEM (--dem) before flying in hills."))
    frame = LocalFrame.at(lat0, lon0)
    ring_check = frame.to_lat_lon(_ring_xy(r, 72, 0.0, True))
    flat = isinstance(terrain, FlatTerrain)
    if not flat:
        if not bool(np.all(terrain.contains(lat0, lon0))):
            hint = ("latitude and longitude look swapped: swapped, the point lies inside the DEM"
                    if abs(lon0) <= 90 and bool(np.all(terrain.contains(lon0, lat0)))
                    else "load a DEM that covers the point (several tiles may be given with --dem A --dem B)")
            raise OutOfCoverageError(f"point lat {lat0:.6f}, lon {lon0:.6f} is outside the DEM {terrain.name!r}: "
                                     f"allowed {terrain.bounds}. Hint: {hint}.")
        if not bool(np.all(terrain.contains(ring_check[:, 0], ring_check[:, 1]))):
            raise OutOfCoverageError(f"the orbit of radius {r:g} m around lat {lat0:.6f}, lon {lon0:.6f} leaves the DEM "
                                     f"{terrain.name!r} ({terrain.bounds}). Hint: a smaller --radius, or add the "
                                     "neighbouring DEM tile with another --dem.")

    def ground(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, float).reshape(-1, 2)
        la, lo = frame.to_geodetic(xy[:, 0], xy[:, 1])
        return np.atleast_1d(np.asarray(terrain.elevation_m(la, lo), float))

    # Launch.
    if launch is None:
        launch_xy = np.zeros(2)
        warnings.append(PlanWarning("launch_at_point", "no launch point given: assumed at the point itself."))
    else:
        check_lat_lon(float(launch[0]), float(launch[1]), name="launch")
        if not flat and not bool(np.all(terrain.contains(launch[0], launch[1]))):
            raise OutOfCoverageError(
                f"launch lat {launch[0]:.6f}, lon {launch[1]:.6f} is outside the DEM {terrain.name!r} "
                f"({terrain.bounds}). Hint: check the launch point is LAT,LON, latitude first.")
        launch_xy = np.asarray(frame.to_local(float(launch[0]), float(launch[1])), float)
    dist = float(np.hypot(*launch_xy))
    if dist > max_launch_distance_m:
        raise InputError(
            f"launch point is {dist / 1000:.1f} km from the point: allowed up to {max_launch_distance_m / 1000:.1f} km "
            "(visual line of sight and radio range). Hint: check --launch is LAT,LON (latitude first) and drive closer.")
    # Orbit entry: the point of the circle nearest the launch (where ArduCopter's LOITER_TURNS would start too).
    entry_bearing = math.atan2(launch_xy[0], launch_xy[1]) if dist > 1.0 else 0.0
    step = float(min(max(terrain.resolution_m / 4.0, 2.0), 10.0))
    n_fine = int(min(max(72, math.ceil(2 * math.pi * r / min(step, 2.0))), 20000))
    fine = _ring_xy(r, n_fine, entry_bearing, clockwise)
    g_ring = ground(fine[:-1])
    g_min, g_max = float(g_ring.min()), float(g_ring.max())
    relief = g_max - g_min
    g_point = float(ground(np.zeros((1, 2)))[0])
    launch_ground = float(ground(launch_xy[None, :])[0])
    margin = min(1.0, tol / 4.0)
    veh = vehicle
    speed = orbit_speed_m_s(r, veh, circle_rate_deg_s)
    # The orbit.
    if altitude_frame == "terrain" or relief <= 2.0 * (tol - margin):
        mode = "loiter"
        if altitude_frame == "terrain":
            ring_alt_fine = g_ring + agl  # AC_Circle follows the terrain itself
        else:
            ring_alt_fine = np.full(len(g_ring), 0.5 * (g_min + g_max) + agl)
        n_ring = 72
        ring = _ring_xy(r, n_ring, entry_bearing, clockwise)
        ring_alt = (ground(ring) + agl if altitude_frame == "terrain"
                    else np.full(len(ring), float(ring_alt_fine[0])))
        perimeter = 2.0 * math.pi * r
        orbit_agl_lo, orbit_agl_hi = float((ring_alt_fine - g_ring).min()), float((ring_alt_fine - g_ring).max())
    else:
        mode = "waypoints"
        n_ring = 24
        while True:
            ring = _ring_xy(r, n_ring, entry_bearing, clockwise)
            ring_alt = ground(ring) + agl
            ring_alt[-1] = ring_alt[0]
            lo_h, hi_h = _agl_range(ring, ring_alt, ground, step)
            if lo_h >= agl - tol + margin and hi_h <= agl + tol - margin:
                break
            if n_ring >= 720 or 2 * math.pi * r / (2 * n_ring) < step:
                raise InputError(
                    f"the ground under the orbit is too rough to keep {agl:g} +- {tol:g} m above it even with "
                    f"{n_ring} waypoints round the circle (relief {relief:.0f} m). Hint: raise --tolerance, "
                    "choose another --radius, or use --altitude-frame terrain with a rangefinder.")
            n_ring *= 2
        ring_alt_fine = np.interp(np.linspace(0, 1, len(g_ring) + 1)[:-1], np.linspace(0, 1, len(ring)), ring_alt)
        perimeter = float(np.hypot(*np.diff(ring, axis=0).T).sum())
        orbit_agl_lo, orbit_agl_hi = lo_h, hi_h  # along the straight legs flown, every 2 m
        # The speed of the circle controller stands for the waypoint controller's here: both keep the lateral
        # acceleration of a turn of radius r under WPNAV_ACCEL (the ring's corners are gentle: 15 deg or less).
        warnings.append(PlanWarning(
            "uneven_orbit", f"the ground under the orbit varies by {relief:.0f} m, more than a level circle can "
            f"keep within +-{tol:g} m: flown as a ring of {n_ring} terrain-following waypoints repeated with "
            "DO_JUMP.", relief_m=float(relief), tolerance_m=float(tol), waypoints=int(n_ring)))
    entry_xy = ring[0]
    entry_alt = float(ring_alt[0])
    period = perimeter / speed
    # Transits (the same path out and back), keeping the orbit's band; planned from the orbit entry (where the
    # altitude must be the orbit's) back to the launch, then reversed for the way out.
    if float(np.hypot(*(entry_xy - launch_xy))) > 1.0:
        back = _transit(ground, entry_xy, launch_xy, start_alt_m=entry_alt, agl_m=agl, tolerance_m=tol, step_m=step,
                        vehicle=veh)
    else:  # launching on the circle: straight up to the orbit
        back = FollowedPath(np.array([entry_xy, launch_xy]), np.array([entry_alt, entry_alt]),
                            np.array([float(ground(entry_xy[None])[0]), launch_ground]), np.array([1], np.int8),
                            np.array([True, True]))
    out_xy, out_alt, out_gnd = back.xy_m[::-1], back.alt_amsl_m[::-1], back.ground_m[::-1]
    d_out = np.hypot(*np.diff(out_xy, axis=0).T)
    t_out = float(leg_times_s(d_out, np.diff(out_alt), veh).sum())
    t_back = float(leg_times_s(d_out[::-1], np.diff(back.alt_amsl_m), veh).sum())
    climb_s = (float(out_alt[0]) - launch_ground) / veh.climb_m_s
    descent_s = (float(back.alt_amsl_m[-1]) - launch_ground) / veh.descent_m_s
    ramp_s = 0.5 * speed / veh.accel_m_s2  # AC_Circle ramps the angular speed up at accel / r
    fixed = climb_s + t_out + t_back + descent_s + ramp_s
    usable = veh.usable_s
    max_station = usable - fixed
    if max_station < period:
        need = fixed + period + veh.reserve_s
        raise InputError(
            f"no time on station: the launch is {dist / 1000:.2f} km from the point and the climb, the transit there "
            f"and back and the descent take {fixed / 60:.1f} min of the usable {usable / 60:.1f} min (endurance "
            f"{veh.endurance_s / 60:.0f} min - reserve {veh.reserve_s / 60:.0f} min), leaving "
            f"{max(max_station, 0.0) / 60:.1f} min, less than one orbit of {period:.0f} s. Hint: an endurance of at least "
            f"{math.ceil(need / 60):.0f} min (--endurance) would give one orbit; launch nearer the point.")
    want = max_station if time_on_station_s is None else min(max_station, float(time_on_station_s))
    laps = int(math.floor(want / period))
    if time_on_station_s is not None and laps < 1:
        raise InputError(out_of_range("time_on_station_s", time_on_station_s, f">= one orbit ({period:.0f} s)",
                                      "or leave it out to stay as long as the battery allows"))
    if mode == "loiter" and laps > MAX_TURNS:
        warnings.append(PlanWarning(
            "loiter_turns_capped", f"the battery allows {laps} laps; ArduCopter's NAV_LOITER_TURNS counts at most "
            f"{MAX_TURNS}: planned {MAX_TURNS} ({MAX_TURNS * period / 60:.0f} min on station).", laps=int(laps),
            max_turns=int(MAX_TURNS), station_s=float(MAX_TURNS * period)))
        laps = MAX_TURNS
    station_s = laps * period
    flight_time = fixed + station_s
    # Camera geometry at the point.
    h_above_point = ring_alt_fine - g_point
    if float(h_above_point.min()) <= 1.0:
        raise InputError(f"the point's ground ({g_point:.0f} m AMSL) is level with or above the orbit "
                         f"({float(ring_alt_fine.min()):.0f} m AMSL): the camera could not look down at it. Hint: a "
                         "higher --agl or a smaller --radius.")
    dep = np.degrees(np.arctan2(h_above_point, r))
    slant = np.hypot(h_above_point, r)
    k = int(np.argmax(slant))
    gsd_across = float(slant[k] / focal_px(cam))
    gsd_along = gsd_across / math.sin(math.radians(float(dep[k])))
    # Clearance of every leg and orbit chord over the DEM (geo.segment_clearance_m), and the sight line.
    ring_ll = frame.to_lat_lon(ring)
    out_ll = frame.to_lat_lon(out_xy)
    chk = min(2.0, step)
    clear = []
    for (la, lo), a in zip(np.vstack([out_ll, ring_ll]), np.concatenate([out_alt, ring_alt])):
        clear.append(GeoPoint(float(la), float(lo), float(a), AltRef.AMSL))
    legs = list(zip(clear[:len(out_ll) - 1], clear[1:len(out_ll)])) + \
        list(zip(clear[len(out_ll):-1], clear[len(out_ll) + 1:]))
    clearance = min(segment_clearance_m(terrain, a, b, step_m=chk) for a, b in legs)
    if clearance < min_safe + dem_margin - 1e-6:
        raise InputError(f"the path passes {clearance:.1f} m above the DEM somewhere: allowed at least the minimum safe "
                         f"height {min_safe:g} m + DEM margin {dem_margin:g} m. Hint: raise --agl or --tolerance.")
    poi = GeoPoint(lat0, lon0, g_point, AltRef.AMSL)
    sight = ring_ll[:-1:max(1, (len(ring) - 1) // 36)]
    sight_alt = ring_alt[:-1:max(1, (len(ring) - 1) // 36)]
    blocked = [not line_of_sight(terrain, GeoPoint(float(la), float(lo), float(a), AltRef.AMSL), poi, step_m=chk)
               for (la, lo), a in zip(sight, sight_alt)]
    blocked_frac = float(np.mean(blocked)) if blocked else 0.0
    if blocked_frac > 0:
        warnings.append(PlanWarning(
            "point_hidden", f"the DEM hides the point from {100 * blocked_frac:.0f} % of the orbit (ridges between): "
            "consider a smaller --radius or a higher --agl.", fraction=float(blocked_frac)))
    if altitude_frame == "terrain":
        warnings.append(PlanWarning(
            "terrain_frame", "altitudes are in the terrain frame (MAV_FRAME_GLOBAL_TERRAIN_ALT): the vehicle needs "
            "terrain data (ArduPilot TERRAIN_ENABLE=1 with tiles loaded, or a rangefinder) or it will refuse or "
            "misfly the mission."))
    # Mission items.
    fr = _ALT_FRAMES[altitude_frame]

    def z_of(alt_amsl: float, gnd: float) -> float:
        if fr == MavFrame.GLOBAL:
            return round(alt_amsl, 2)
        if fr == MavFrame.GLOBAL_RELATIVE_ALT:
            return round(alt_amsl - launch_ground, 2)
        return round(alt_amsl - gnd, 2)

    llat, llon = frame.to_geodetic(*launch_xy)
    llat, llon = float(llat), float(llon)
    home = MissionItem.at(0, MavCmd.NAV_WAYPOINT, llat, llon, launch_ground, frame=MavFrame.GLOBAL)
    items: list[MissionItem] = [MissionItem(0, home.command, home.frame, x=home.x, y=home.y, z=home.z, current=1)]
    items.append(MissionItem.at(1, MavCmd.NAV_TAKEOFF, llat, llon, round(float(out_alt[0]) - launch_ground, 2),
                                frame=MavFrame.GLOBAL_RELATIVE_ALT))
    items.append(MissionItem(2, MavCmd.DO_CHANGE_SPEED, MavFrame.MISSION, 1.0, float(veh.speed_m_s), -1.0))
    wps: list[PlannedWaypoint] = []

    def add_wp(xy, alt, gnd, kind):
        la, lo = frame.to_geodetic(float(xy[0]), float(xy[1]))
        seq = len(items)
        items.append(MissionItem.at(seq, MavCmd.NAV_WAYPOINT, float(la), float(lo), z_of(float(alt), float(gnd)),
                                    frame=fr))
        wps.append(PlannedWaypoint(round(float(la), 8), round(float(lo), 8), round(float(alt), 2), round(float(gnd), 2),
                                   round(float(alt) - float(gnd), 2), kind, seq))

    for m in range(1, len(out_xy)):
        add_wp(out_xy[m], out_alt[m], out_gnd[m], "orbit-entry" if m == len(out_xy) - 1 else "transit")
    roi_seq = len(items)
    items.append(MissionItem.at(roi_seq, MavCmd.DO_SET_ROI_LOCATION, lat0, lon0, z_of(g_point, g_point), frame=fr))
    ring_gnd = ground(ring)
    if mode == "loiter":
        loiter_seq = len(items)
        items.append(MissionItem.at(loiter_seq, MavCmd.NAV_LOITER_TURNS, lat0, lon0,
                                    z_of(entry_alt, g_point) if fr != MavFrame.GLOBAL_TERRAIN_ALT else round(agl, 2),
                                    frame=fr, param1=float(laps), param3=r if clockwise else -r))
    else:
        loiter_seq = len(items)
        for m in range(1, len(ring)):
            add_wp(ring[m], ring_alt[m], ring_gnd[m], "orbit")
        if laps > 1:
            items.append(MissionItem(len(items), DO_JUMP, MavFrame.MISSION, float(loiter_seq), float(laps - 1)))
    items.append(MissionItem(len(items), MavCmd.DO_SET_ROI_NONE, MavFrame.MISSION))
    for m in range(1, len(back.xy_m)):
        add_wp(back.xy_m[m], back.alt_amsl_m[m], back.ground_m[m], "launch" if m == len(back.xy_m) - 1 else "transit")
    items.append(MissionItem(len(items), MavCmd.NAV_RETURN_TO_LAUNCH, MavFrame.MISSION))
    # Figures over the whole path (take-off and landing excluded).
    path_agl = [orbit_agl_lo, orbit_agl_hi]
    if float(d_out.sum()) > 1.0:
        path_agl += list(_agl_range(out_xy, out_alt, ground, step))
    amsl_all = np.concatenate([out_alt, ring_alt_fine, back.alt_amsl_m])
    path_xy = np.vstack([out_xy, back.xy_m])
    path_len = float(np.hypot(*np.diff(path_xy, axis=0).T).sum()) + laps * perimeter
    stats = OverwatchStats(
        point_lat_deg=lat0, point_lon_deg=lon0, point_ground_amsl_m=round(g_point, 2), radius_m=r, clockwise=clockwise,
        mode=mode, agl_m=agl, tolerance_m=tol, orbit_agl_min_m=round(orbit_agl_lo, 2),
        orbit_agl_max_m=round(orbit_agl_hi, 2), orbit_amsl_min_m=round(float(ring_alt_fine.min()), 2),
        orbit_amsl_max_m=round(float(ring_alt_fine.max()), 2), terrain_relief_m=round(relief, 2),
        orbit_speed_m_s=round(speed, 3), orbit_period_s=round(period, 2), laps=laps,
        time_on_station_s=round(station_s, 1), max_time_on_station_s=round(max_station, 1),
        transit_distance_m=round(float(d_out.sum()), 1), transit_out_s=round(t_out, 1), transit_back_s=round(t_back, 1),
        climb_s=round(climb_s, 1), descent_s=round(descent_s, 1), flight_time_s=round(flight_time, 1),
        agl_min_m=round(float(min(path_agl)), 2), agl_max_m=round(float(max(path_agl)), 2),
        amsl_min_m=round(float(amsl_all.min()), 2), amsl_max_m=round(float(amsl_all.max()), 2),
        clearance_min_m=round(clearance, 2), depression_min_deg=round(float(dep.min()), 2),
        depression_max_deg=round(float(dep.max()), 2), slant_range_max_m=round(float(slant[k]), 1),
        gsd_across_m=round(gsd_across, 4), gsd_along_m=round(gsd_along, 4),
        sight_blocked_fraction=round(blocked_frac, 3), loiter_seq=loiter_seq, roi_seq=roi_seq)
    orbit_ll = frame.to_lat_lon(_ring_xy(r, 72, entry_bearing, clockwise))
    orbit_alt = np.interp(np.linspace(0, 1, 73), np.linspace(0, 1, len(ring_alt_fine) + 1),
                          np.append(ring_alt_fine, ring_alt_fine[0]))
    sortie = Sortie(0, 0, tuple(items), tuple(wps), (), round(flight_time, 1), round(path_len, 1), 0.0,
                    round(float(np.maximum(np.diff(np.concatenate([[launch_ground], out_alt])), 0).sum()), 1),
                    stats.agl_min_m, stats.agl_max_m, 0)
    pstats = PlanStats(
        area_m2=0.0, path_length_m=sortie.path_length_m, line_length_m=0.0, flight_time_s=sortie.flight_time_s,
        sorties=1, drones=1, agl_m=agl, agl_min_m=stats.agl_min_m, agl_max_m=stats.agl_max_m,
        line_agl_min_m=stats.orbit_agl_min_m, line_agl_max_m=stats.orbit_agl_max_m, tolerance_m=tol,
        gsd_m=round(gsd_across, 4), px_on_target=0.0, px_on_target_min=0.0, px_needed=0.0,
        footprint_cross_m=0.0, footprint_along_m=0.0, line_spacing_m=0.0, photo_distance_m=None,
        footprint_coverage=0.0, total_climb_m=sortie.climb_m, sweep_width_m=0.0, detection_prob=0.0,
        coverage_factor=0.0, pod=0.0, sweep_bearing_deg=None, waypoints=len(wps), mission_items=len(items))
    return MissionPlan(
        sorties=(sortie,), area=(), holes=(), no_fly=(), launch=(round(llat, 8), round(llon, 8), round(launch_ground, 2)),
        stats=pstats, footprints=(), warnings=tuple(warnings), altitude_frame=altitude_frame, camera_name=cam.name,
        target_name="point of interest", terrain_name=terrain.name, pattern="overwatch",
        orbit=tuple((round(float(a), 8), round(float(b), 8), round(float(c), 2)) for (a, b), c in zip(orbit_ll, orbit_alt)),
        point_of_interest=(lat0, lon0, round(g_point, 2)),
        meta={"frame_origin": (lat0, lon0), "speed_m_s": veh.speed_m_s, "overwatch": stats})
