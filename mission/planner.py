"""The planning pipeline: area -> cells -> swaths -> route -> path -> sorties -> MissionPlan.

Every stage works in a :class:`geo.frames.LocalFrame` (metres east/north of
the area's centre) and is pure; lat/lon appear only in the input
(:class:`~mission.area.SearchArea`, launch, datum) and in the returned
:class:`~mission.plan_types.MissionPlan`. The objective that chooses the
sweep bearing is passed in (default: flight time with turns and climbing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.camera import CameraModel, camera_preset
from geo.coords import check_lat_lon
from geo.errors import InputError, out_of_range
from geo.frames import LocalFrame
from geo.terrain import FlatTerrain, Terrain
from mission.area import SearchArea, check_coverage, to_local
from mission.items import MavCmd, MavFrame, MissionItem
from mission.objective import FlightTimeObjective, HeightField, Objective, leg_times_s, profile, turn_angles_deg
from mission.plan_types import MissionPlan, PlannedWaypoint, PlanStats, Sortie
from mission.plan_warnings import PlanWarning
from mission.route import Avoider, order_cells, swath_polyline
from mission.sizing import AltitudeChoice, SwathGeometry, choose_altitude, swath_geometry
from mission.swaths import Swath, decompose, ring_edges
from mission.targets import TargetSpec, target_preset
from mission.terrain_follow import FollowedPath, follow_terrain, sample_path
from mission.vehicle import VehicleLimits

__all__ = ["plan_search", "PlanSettings", "choose_bearing", "ALT_FRAMES", "longest_edge_bearing_deg", "check_sweep"]

SWEEP_MODES = ("auto", "longest-edge", "contour")


def check_sweep(sweep: str | float) -> str | float:
    """``sweep`` as the planner uses it: one of :data:`SWEEP_MODES` or a finite bearing in degrees.

    A text holding a number ('90') becomes that number. Raises :class:`InputError`
    for anything else, NaN and infinity included.
    """
    if isinstance(sweep, str) and sweep in SWEEP_MODES:
        return sweep
    try:
        b = float(sweep)
    except (TypeError, ValueError):
        b = None
    if b is None or not math.isfinite(b) or not -360.0 <= b <= 360.0:
        raise InputError(out_of_range("sweep", sweep, "'auto', 'longest-edge', 'contour' or a finite bearing in "
                                      "degrees -360..360 (lines run along it; 0 = north-south, 90 = east-west)",
                                      "e.g. --sweep 45, or --sweep auto to let the planner choose."))
    return b

ALT_FRAMES = {"amsl": MavFrame.GLOBAL, "home": MavFrame.GLOBAL_RELATIVE_ALT, "terrain": MavFrame.GLOBAL_TERRAIN_ALT}


@dataclass(frozen=True)
class PlanSettings:
    """Everything a plan depends on besides the area and the terrain (the CLI shows the same defaults)."""

    camera: CameraModel
    target: TargetSpec
    px_needed: float = 4.0
    sidelap: float = 0.2
    frontlap: float = 0.7
    stills: bool = False
    vehicle: VehicleLimits = VehicleLimits()
    ceiling_agl_m: float = 120.0
    min_safe_agl_m: float = 30.0
    tolerance_m: float = 10.0
    dem_margin_m: float = 10.0
    agl_m: float | None = None
    altitude_frame: str = "amsl"
    drones: int = 1
    max_sorties: int | None = None
    no_fly_margin_m: float = 20.0
    max_launch_distance_m: float = 8000.0
    detection_prob: float = 0.8
    free_transit: bool = False  # transitions anywhere between the safe minimum and the ceiling
    vertical_profile: str = "rope"  # "rope": least climbing; "target": follow ground + agl (QGC-style)

    def __post_init__(self) -> None:
        if self.altitude_frame not in ALT_FRAMES:
            raise InputError(f"altitude_frame={self.altitude_frame!r}: allowed {', '.join(ALT_FRAMES)}.")
        if not (isinstance(self.drones, int) and 1 <= self.drones <= 50):
            raise InputError(out_of_range("drones", self.drones, "1..50"))
        if self.max_sorties is not None and not (isinstance(self.max_sorties, int) and self.max_sorties >= 1):
            raise InputError(out_of_range("max_sorties", self.max_sorties, ">= 1"))
        if not (0.05 <= self.detection_prob <= 1.0):
            raise InputError(out_of_range("detection_prob", self.detection_prob, "0.05..1",
                                          "chance of seeing a target inside the footprint"))
        if self.vertical_profile not in ("rope", "target"):
            raise InputError(f"vertical_profile={self.vertical_profile!r}: allowed 'rope' or 'target'.")
        if not (0.0 <= self.no_fly_margin_m <= 1000.0):
            raise InputError(out_of_range("no_fly_margin_m", self.no_fly_margin_m, "0..1000 m"))


# ------------------------------------------------------------------ helpers
def _ground_fn(terrain: Terrain, frame: LocalFrame) -> Callable[[np.ndarray], np.ndarray]:
    def ground(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, float).reshape(-1, 2)
        lat, lon = frame.to_geodetic(xy[:, 0], xy[:, 1])
        return np.atleast_1d(np.asarray(terrain.elevation_m(lat, lon), float))
    return ground


def longest_edge_bearing_deg(poly: BaseGeometry) -> float:
    """Compass bearing (0..180) of the longest edge of the outer ring (QGC/Mission Planner default)."""
    polys = list(getattr(poly, "geoms", [poly]))
    ring = np.asarray(max(polys, key=lambda p: p.area).exterior.coords)
    d = np.diff(ring, axis=0)
    k = int(np.argmax(np.hypot(d[:, 0], d[:, 1])))
    return float(math.degrees(math.atan2(d[k, 0], d[k, 1])) % 180.0)


def _contour_bearing_deg(hf: HeightField, region: BaseGeometry) -> tuple[float, float]:
    """Bearing along the contours (perpendicular to the mean gradient) and the mean slope in degrees."""
    minx, miny, maxx, maxy = region.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 24), np.linspace(miny, maxy, 24))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    inside = shapely.contains_xy(region, pts[:, 0], pts[:, 1])
    pts = pts[inside] if inside.any() else pts
    e = hf.step_m
    gx = (hf(pts + [e, 0]) - hf(pts - [e, 0])) / (2 * e)
    gy = (hf(pts + [0, e]) - hf(pts - [0, e])) / (2 * e)
    # Average the gradient as an axis (so opposite slopes of a ridge agree): double-angle mean.
    ang = np.arctan2(gy, gx)
    w = np.hypot(gx, gy)
    mean = 0.5 * math.atan2(float(np.sum(w * np.sin(2 * ang))), float(np.sum(w * np.cos(2 * ang))))
    grad_bearing = math.degrees(math.atan2(math.cos(mean), math.sin(mean)))  # compass of gradient axis
    slope = float(np.degrees(np.arctan(np.mean(w)))) if len(w) else 0.0
    return (grad_bearing + 90.0) % 180.0, slope


def _route_for(regions: Sequence[BaseGeometry], bearings: Sequence[float], spacing_m: float,
               start_xy: tuple[float, float]) -> tuple[Swath, ...]:
    out: list[Swath] = []
    pos = start_xy
    for region, b in zip(regions, bearings):
        sw = order_cells(decompose(region, b, spacing_m), pos)
        out.extend(sw)
        if sw:
            pos = (sw[-1].bx_m, sw[-1].by_m)
    return tuple(out)


def _estimate(swaths: Sequence[Swath], launch_xy, hf: HeightField | None, objective: Objective, band_m: float,
              step_m: float) -> float:
    v, _ = swath_polyline(list(swaths), launch_xy, launch_xy)
    return objective(profile(v, hf, step_m=step_m, agl_band_m=band_m))


def choose_bearing(region: BaseGeometry, spacing_m: float, launch_xy, objective: Objective,
                   hf: HeightField | None, *, band_m: float = 0.0, step_m: float = 30.0,
                   coarse: bool = False, evaluated: dict[float, float] | None = None) -> tuple[float, float]:
    """Sweep bearing (compass degrees, 0..180) minimising ``objective``; returns (bearing, cost).

    Search every 5 degrees, then refinements to 1 degree around the three
    best candidates and to 0.2 degree around the best (``coarse``: every 10
    then 2 degrees only). ``evaluated`` receives every bearing tried and its cost.
    """
    edges = ring_edges(region)

    def cost(b: float) -> float:
        sw = order_cells(decompose(region, b, spacing_m, edges=edges), launch_xy)
        return _estimate(sw, launch_xy, hf, objective, band_m, step_m)

    seen: dict[float, float] = {} if evaluated is None else evaluated

    def ev(b: float) -> float:
        b = round(b % 180.0, 4)
        if b not in seen:
            seen[b] = cost(b)
        return seen[b]

    for b in np.arange(0.0, 180.0, 10.0 if coarse else 5.0):
        ev(float(b))
    steps = ((2.0, 8.0, 2),) if coarse else ((1.0, 4.0, 3), (0.2, 0.8, 1))
    for step, width, keep in steps:
        best = sorted(seen, key=seen.get)[:keep]
        for c in best:
            for b in np.arange(c - width, c + width + 1e-9, step):
                ev(float(b))
    b = min(seen, key=seen.get)
    return float(b), float(seen[b])


# --------------------------------------------------------------- sorties
@dataclass(frozen=True)
class _Ctx:
    frame: LocalFrame
    ground: Callable[[np.ndarray], np.ndarray]
    hf: HeightField
    launch_xy: tuple[float, float]
    launch_ground_m: float
    alt: AltitudeChoice
    geom: SwathGeometry
    settings: PlanSettings
    avoider: Avoider
    follow_step_m: float
    transit_band_m: tuple[float, float]


def _fly(ctx: _Ctx, swaths: Sequence[Swath], *, verify: bool = True) -> tuple[FollowedPath, float, int]:
    """Terrain-following path of one sortie, its flight time (s) and count of slowed legs.

    With ``verify`` the path is checked against the ground every 2 m (or a
    quarter step); where steep ground between samples pushed it out of the
    band, it is planned again with a larger inner margin.
    """
    v, kinds = swath_polyline(list(swaths), ctx.launch_xy, ctx.launch_xy)
    v, kinds = ctx.avoider.route(v, kinds)
    veh = ctx.settings.vehicle
    alt = ctx.alt
    margin = min(1.0, alt.tolerance_m / 4.0)
    for _ in range(6):
        fp = follow_terrain(v, kinds, ctx.ground, agl_m=alt.agl_m, tolerance_m=alt.tolerance_m,
                            step_m=ctx.follow_step_m, climb_gradient=veh.climb_m_s / veh.speed_m_s,
                            descent_gradient=veh.descent_m_s / veh.speed_m_s, transit_band_m=ctx.transit_band_m,
                            vertical=ctx.settings.vertical_profile, inner_margin_m=margin)
        if not verify:
            break
        excess = _band_excess(fp, ctx)
        if excess <= 0.0:
            break
        margin = min(margin + excess + 0.25, 0.9 * alt.tolerance_m)
    t, slowed = _time_of(fp, veh, alt.agl_m)
    return fp, t, slowed


def _band_excess(fp: FollowedPath, ctx: _Ctx) -> float:
    """Metres by which the path leaves its band anywhere (0 when inside), checked on a fine step."""
    step = min(2.0, ctx.follow_step_m / 4.0)
    pts, leg = sample_path(fp.xy_m, step)
    d = np.diff(fp.xy_m, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))])
    sp = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    agl = np.interp(sp, cum, fp.alt_amsl_m) - ctx.ground(pts)
    lo = np.full(len(agl), ctx.alt.agl_m - ctx.alt.tolerance_m)
    hi = np.full(len(agl), ctx.alt.agl_m + ctx.alt.tolerance_m)
    transit = np.append(fp.kinds, 0)[leg] == 0
    lo[transit] = np.minimum(lo[transit], ctx.transit_band_m[0])
    hi[transit] = np.maximum(hi[transit], ctx.transit_band_m[1])
    return float(max(np.max(lo - agl), np.max(agl - hi), 0.0))


def _time_of(fp: FollowedPath, veh: VehicleLimits, agl_m: float) -> tuple[float, int]:
    d = np.diff(fp.xy_m, axis=0)
    L = np.hypot(d[:, 0], d[:, 1])
    dz = np.diff(fp.alt_amsl_m)
    legs = leg_times_s(L, dz, veh)
    slowed = int(np.sum(legs > L / veh.speed_m_s + 1e-6))
    turns = turn_angles_deg(fp.xy_m[fp.is_turn])
    # Take-off climb and the final descent to land at the launch point.
    t = float(legs.sum() + veh.turn_penalty_s(turns).sum() + agl_m / veh.climb_m_s + agl_m / veh.descent_m_s)
    return t, slowed


class _LineTooLong(Exception):
    """Internal: swath ``index`` does not fit in one battery even alone."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _halve(w: Swath) -> list[Swath]:
    mx, my = 0.5 * (w.ax_m + w.bx_m), 0.5 * (w.ay_m + w.by_m)
    return [Swath(w.ax_m, w.ay_m, mx, my), Swath(mx, my, w.bx_m, w.by_m)]


def _split(ctx: _Ctx, swaths: tuple[Swath, ...]) -> tuple[list[list[Swath]], list[int]]:
    """Contiguous groups of swaths per drone, then per battery; returns (sorties, drone of each sortie)."""
    s = ctx.settings
    veh = s.vehicle
    hf = ctx.hf
    band = ctx.alt.tolerance_m
    step = max(25.0, hf.step_m)
    obj = FlightTimeObjective(veh)

    tband = 0.5 * (ctx.transit_band_m[1] - ctx.transit_band_m[0])

    def est(path_xy, b: float = band) -> float:
        # 10 % over the estimate: the real terrain-following path is checked afterwards.
        return 1.1 * obj(profile(np.asarray(path_xy, float), hf, step_m=step, agl_band_m=b))

    n = len(swaths)
    work = np.array([est([(w.ax_m, w.ay_m), (w.bx_m, w.by_m)]) for w in swaths])
    conn = np.array([est([(swaths[i].bx_m, swaths[i].by_m), (swaths[i + 1].ax_m, swaths[i + 1].ay_m)])
                     for i in range(n - 1)] + [0.0])
    # Each swath ends in a U-turn or a turn into the connector: charge one full reversal per swath.
    work = work + 2 * veh.speed_m_s / veh.accel_m_s2
    lx, ly = ctx.launch_xy
    out_t = np.array([est([(lx, ly), (w.ax_m, w.ay_m)], tband) for w in swaths])
    back_t = np.array([est([(w.bx_m, w.by_m), (lx, ly)], tband) for w in swaths])
    fixed = ctx.alt.agl_m / veh.climb_m_s + ctx.alt.agl_m / veh.descent_m_s
    usable = veh.usable_s
    worst_transit = float(np.max(out_t + back_t)) + fixed
    if worst_transit >= usable:
        dist = max(Point(lx, ly).distance(Point(w.ax_m, w.ay_m)) for w in swaths)
        raise InputError(
            f"launch point is {dist / 1000:.1f} km from the farthest line: the flight there and back alone takes "
            f"{worst_transit / 60:.0f} min, allowed under the usable endurance of {usable / 60:.0f} min "
            f"(endurance {veh.endurance_s / 60:.0f} min - reserve {veh.reserve_s / 60:.0f} min). "
            "Hint: launch closer to the area (check --launch is LAT,LON) or split the area.")
    # Balanced split between drones by cumulative work.
    cum = np.cumsum(work + conn)
    groups: list[tuple[int, int]] = []
    start = 0
    for k in range(1, s.drones + 1):
        end = n if k == s.drones else int(np.searchsorted(cum, cum[-1] * k / s.drones)) + 1
        end = max(min(end, n), start)
        if end > start:
            groups.append((start, end))
        start = end
    sorties: list[list[Swath]] = []
    drones: list[int] = []
    for g, (a, b) in enumerate(groups):
        i = a
        while i < b:
            t = out_t[i] + work[i] + fixed
            j = i
            while j + 1 < b and t + conn[j] + work[j + 1] + back_t[j + 1] <= usable:
                t += conn[j] + work[j + 1]
                j += 1
            if t + back_t[j] > usable:
                w = swaths[i]
                if w.length_m > 100.0:
                    raise _LineTooLong(i)
                raise InputError(
                    f"one search line of {w.length_m:.0f} m does not fit in a battery: it needs "
                    f"{(t + back_t[j]) / 60:.0f} min with transits, allowed {usable / 60:.0f} min. "
                    "Hint: raise --endurance if the aircraft allows, or launch nearer the area.")
            sorties.append(list(swaths[i:j + 1]))
            drones.append(g)
            i = j + 1
    return sorties, drones


# ------------------------------------------------------------------ items
def _items(ctx: _Ctx, fp: FollowedPath, lat: np.ndarray, lon: np.ndarray) -> tuple[tuple[MissionItem, ...],
                                                                                     tuple[PlannedWaypoint, ...]]:
    s = ctx.settings
    frame = ALT_FRAMES[s.altitude_frame]
    llat, llon = ctx.frame.to_geodetic(*ctx.launch_xy)
    items: list[MissionItem] = [MissionItem.at(0, MavCmd.NAV_WAYPOINT, llat, llon, ctx.launch_ground_m,
                                               frame=MavFrame.GLOBAL)]
    items[0] = MissionItem(0, items[0].command, items[0].frame, x=items[0].x, y=items[0].y, z=items[0].z, current=1)
    items.append(MissionItem.at(1, MavCmd.NAV_TAKEOFF, llat, llon, round(ctx.alt.agl_m, 2),
                                frame=MavFrame.GLOBAL_RELATIVE_ALT))
    items.append(MissionItem(2, MavCmd.DO_CHANGE_SPEED, MavFrame.MISSION, 1.0, float(s.vehicle.speed_m_s), -1.0))
    wps: list[PlannedWaypoint] = []
    kinds = fp.kinds
    video_on = False
    last_line = int(np.flatnonzero(kinds == 1)[-1]) if np.any(kinds == 1) else -1
    for m in range(1, len(fp.xy_m)):
        alt = float(fp.alt_amsl_m[m])
        gnd = float(fp.ground_m[m])
        z = alt if frame == MavFrame.GLOBAL else (alt - ctx.launch_ground_m if frame == MavFrame.GLOBAL_RELATIVE_ALT
                                                  else alt - gnd)
        z = round(z, 2)
        leg_in = kinds[m - 1]
        leg_out = kinds[m] if m < len(kinds) else 0
        if m == len(fp.xy_m) - 1:
            kind = "launch"
        elif leg_out == 1 and leg_in != 1:
            kind = "line-start"
        elif leg_in == 1 and leg_out != 1:
            kind = "line-end"
        elif leg_in == 1:
            kind = "line"
        else:
            kind = "transit"
        seq = len(items)
        items.append(MissionItem.at(seq, MavCmd.NAV_WAYPOINT, float(lat[m]), float(lon[m]), z, frame=frame))
        wps.append(PlannedWaypoint(round(float(lat[m]), 8), round(float(lon[m]), 8), round(alt, 2), round(gnd, 2),
                                   round(alt - gnd, 2),
                                   kind, seq))
        if kind == "line-start":
            if s.stills:
                items.append(MissionItem(len(items), MavCmd.DO_SET_CAM_TRIGG_DIST, MavFrame.MISSION,
                                         round(float(ctx.geom.photo_distance_m), 2), 0.0, 1.0))
            elif not video_on:
                items.append(MissionItem(len(items), MavCmd.VIDEO_START_CAPTURE, MavFrame.MISSION, 0.0, 0.0))
                video_on = True
        elif kind == "line-end":
            if s.stills:
                items.append(MissionItem(len(items), MavCmd.DO_SET_CAM_TRIGG_DIST, MavFrame.MISSION, 0.0, 0.0, 1.0))
            elif m - 1 == last_line:
                items.append(MissionItem(len(items), MavCmd.VIDEO_STOP_CAPTURE, MavFrame.MISSION, 0.0))
    items.append(MissionItem(len(items), MavCmd.NAV_RETURN_TO_LAUNCH, MavFrame.MISSION))
    return tuple(items), tuple(wps)


def _footprint(w: Swath, size_m: tuple[float, float]) -> Polygon:
    """Ground swept by the camera along a swath: ``size_m`` = (cross, along) footprint."""
    d = np.array([w.bx_m - w.ax_m, w.by_m - w.ay_m])
    L = float(np.hypot(*d))
    u = d / L if L > 0 else np.array([1.0, 0.0])
    n = np.array([-u[1], u[0]])
    a = np.array([w.ax_m, w.ay_m]) - u * size_m[1] / 2
    b = np.array([w.bx_m, w.by_m]) + u * size_m[1] / 2
    h = n * size_m[0] / 2
    return Polygon([a - h, b - h, b + h, a + h])


def _fill_gaps(region: BaseGeometry, swaths: tuple[Swath, ...], size_m: tuple[float, float], bearing_deg: float,
               *, max_gap: float = 0.002, max_patches: int = 60) -> tuple[Swath, ...]:
    """Add short patch lines where the footprints of ``swaths`` leave parts of ``region`` uncovered.

    Narrow tips and slivers of a concave outline can fall between the ends of
    lines that must stay inside the area; each patch is a 1 m line at the
    centre of the largest gap left (inside the area), inserted where it adds
    the least detour. Stops when gaps are under ``max_gap`` of the area.
    """
    gaps = region.difference(shapely.union_all([_footprint(w, size_m) for w in swaths]))
    d = np.array([math.sin(math.radians(bearing_deg)), math.cos(math.radians(bearing_deg))])
    out = list(swaths)
    for _ in range(max_patches):
        if gaps.is_empty or gaps.area <= max_gap * region.area:
            break
        piece = max(getattr(gaps, "geoms", [gaps]), key=lambda g: g.area)
        if piece.area < 1.0:
            break
        c = piece.centroid
        p = c if piece.contains(c) else piece.representative_point()
        a, b = np.array([p.x, p.y]) - 0.5 * d, np.array([p.x, p.y]) + 0.5 * d
        if not region.contains(shapely.LineString([a, b])):
            a = b = np.array([p.x, p.y])
        patch = Swath(float(a[0]), float(a[1]), float(b[0]), float(b[1]))
        ends = np.array([[w.bx_m, w.by_m] for w in out])
        starts = np.array([[w.ax_m, w.ay_m] for w in out[1:]] + [[out[-1].bx_m, out[-1].by_m]])
        q = np.array([p.x, p.y])
        extra = np.hypot(*(ends - q).T) + np.hypot(*(starts - q).T) - np.hypot(*(ends - starts).T)
        out.insert(int(np.argmin(extra)) + 1, patch)
        gaps = gaps.difference(_footprint(patch, size_m))
    return tuple(out)


def _ring_ll(frame: LocalFrame, geom: BaseGeometry) -> tuple[tuple[float, float], ...]:
    ll = frame.to_lat_lon(np.asarray(geom.coords))
    return tuple((round(float(a), 8), round(float(b), 8)) for a, b in ll)


# ------------------------------------------------------------------ main
def _resolve(camera, target) -> tuple[CameraModel, TargetSpec]:
    cam = camera_preset(camera) if isinstance(camera, str) else camera
    if not isinstance(cam, CameraModel):
        raise InputError(f"camera={camera!r}: allowed a preset name or a geo.camera.CameraModel.")
    tgt = target_preset(target) if isinstance(target, str) else target
    if not isinstance(tgt, TargetSpec):
        raise InputError(f"target={target!r}: allowed a preset name or a mission.targets.TargetSpec.")
    return cam, tgt


def plan_search(area: SearchArea | Sequence[tuple[float, float]], *, camera: CameraModel | str = "m30t",
                target: TargetSpec | str = "adult-lying", terrain: Terrain | None = None,
                launch: tuple[float, float] | None = None, sweep: str | float = "auto",
                objective: Objective | None = None, repair: bool = False,
                priorities: Sequence[SearchArea] = (),
                legs_fn: Callable[[LocalFrame, BaseGeometry, float], Sequence[Swath]] | None = None,
                pattern_name: str = "parallel-sweep", **settings) -> MissionPlan:
    """Plan a parallel-sweep search of ``area`` over ``terrain``.

    Parameters
    ----------
    area : SearchArea or sequence of (lat_deg, lon_deg)
        The polygon, with holes and no-fly zones.
    camera, target : preset name or object
        ``geo.camera.CAMERA_PRESETS`` / ``mission.targets.TARGET_PRESETS``.
    terrain : geo Terrain, optional
        DEM; without one the ground is flat at 0 m and the plan says so.
    launch : (lat_deg, lon_deg), optional
        Where the aircraft takes off and lands (default: a point inside the area).
    sweep : "auto", "longest-edge", "contour" or a bearing in degrees
        How the line direction is chosen; "auto" minimises ``objective``.
    objective : callable(PathProfile) -> float, optional
        Default :class:`~mission.objective.FlightTimeObjective` of the vehicle.
    priorities : SearchAreas searched first, in order (e.g. probability rings);
        the rest of ``area`` follows.
    legs_fn : callable(frame, region, spacing_m) -> swaths, optional
        Fixed search legs instead of the sweep (datum patterns, see :mod:`mission.patterns`).
    **settings : fields of :class:`PlanSettings` (px_needed, vehicle, drones, ...).
    """
    sweep = check_sweep(sweep)
    if not isinstance(area, SearchArea):
        area = SearchArea(tuple(area))
    cam, tgt = _resolve(camera, target)
    s = PlanSettings(camera=cam, target=tgt, **settings)
    warnings: list[str] = []
    if terrain is None:
        terrain = FlatTerrain(0.0)
        warnings.append(PlanWarning("no_dem", "no DEM given: the ground is assumed flat at 0 m AMSL, so heights above ground are NOT "
                        "checked against real terrain. Give a DEM (--dem) before flying in hills."))
    else:
        check_coverage(area, terrain, name=area.name)
        voids = getattr(terrain, "voids", None)
        if voids is not None and voids.count and voids.bounds is not None:
            lat = [p[0] for p in area.outer]
            lon = [p[1] for p in area.outer]
            vb = voids.bounds
            if not (vb.north_lat_deg < min(lat) or vb.south_lat_deg > max(lat) or vb.east_lon_deg < min(lon)
                    or vb.west_lon_deg > max(lon)):
                warnings.append(PlanWarning(
                    "dem_voids", f"the DEM had {voids.count} void samples (filled by interpolation) in a region "
                    f"overlapping the area ({vb}): heights there are less certain; keep a larger "
                    "--dem-margin or check the ground.", count=int(voids.count), south_lat_deg=vb.south_lat_deg,
                    north_lat_deg=vb.north_lat_deg, west_lon_deg=vb.west_lon_deg, east_lon_deg=vb.east_lon_deg))
    local = to_local(area, repair=repair)
    warnings.extend(local.repaired)
    frame = local.frame
    region = local.region
    if s.no_fly_margin_m > 0 and local.no_fly:
        region = region.difference(shapely.union_all([z.buffer(s.no_fly_margin_m) for z in local.no_fly]))
        if region.is_empty:
            raise InputError("the no-fly zones with their margin leave nothing to search. "
                             "Hint: lower --no-fly-margin or check the zones.")
    alt = choose_altitude(cam, tgt, px_needed=s.px_needed, ceiling_agl_m=s.ceiling_agl_m,
                          min_safe_agl_m=s.min_safe_agl_m, tolerance_m=s.tolerance_m,
                          dem_margin_m=s.dem_margin_m, agl_m=s.agl_m)
    geom = swath_geometry(cam, alt, sidelap=s.sidelap, frontlap=s.frontlap, stills=s.stills)
    # Launch point.
    if launch is None:
        p = region.representative_point()
        launch_xy = (float(p.x), float(p.y))
        la, lo = frame.to_geodetic(*launch_xy)
        warnings.append(PlanWarning("launch_assumed", f"no launch point given: assumed inside the area at "
                                    f"{la:.6f},{lo:.6f}.", lat_deg=float(la), lon_deg=float(lo)))
    else:
        check_lat_lon(float(launch[0]), float(launch[1]), name="launch")
        launch_xy = tuple(float(c) for c in frame.to_local(float(launch[0]), float(launch[1])))
        if not isinstance(terrain, FlatTerrain) and not bool(np.all(terrain.contains(launch[0], launch[1]))):
            raise InputError(
                f"launch lat {launch[0]:.6f}, lon {launch[1]:.6f} is outside the DEM {terrain.name!r} ({terrain.bounds}). "
                "Hint: check the launch point is LAT,LON, latitude first.")
    for i, z in enumerate(local.no_fly):
        if z.buffer(0.5 * max(s.no_fly_margin_m, 2.0)).contains(Point(launch_xy)):
            la, lo = frame.to_geodetic(*launch_xy)
            raise InputError(
                f"launch lat {la:.6f}, lon {lo:.6f} is inside no-fly zone {i} (or within half its "
                f"{s.no_fly_margin_m:g} m margin): allowed outside every zone. Hint: take off elsewhere.")
    dist = float(local.outer.distance(Point(launch_xy)))
    if dist > s.max_launch_distance_m:
        raise InputError(
            f"launch point is {dist / 1000:.1f} km from the area: allowed up to {s.max_launch_distance_m / 1000:.1f} km "
            "(visual line of sight and radio range). Hint: check the launch is LAT,LON (latitude first) and drive "
            "closer, or raise max_launch_distance_m.")
    ground = _ground_fn(terrain, frame)
    minx, miny, maxx, maxy = region.union(Point(launch_xy).buffer(50)).bounds
    pad = 200.0
    ext = max(maxx - minx, maxy - miny) + 2 * pad
    hf_step = max(terrain.resolution_m / 2.0, ext / 300.0, 5.0)
    hf = HeightField.sample(ground, (minx - pad, miny - pad, maxx + pad, maxy + pad), hf_step)
    launch_ground = float(ground(np.asarray([launch_xy]))[0])
    veh = s.vehicle
    obj = objective if objective is not None else FlightTimeObjective(veh)
    est_step = max(40.0, hf_step)
    # Regions in priority order (rings first), the rest of the area last.
    regions: list[BaseGeometry] = []
    done = Polygon()
    for pa in priorities:
        pl = to_local(pa, frame, repair=repair)
        r = pl.region.intersection(region).difference(done)
        if not r.is_empty and r.area > 1.0:
            regions.append(r)
            done = done.union(r)
    rest = region.difference(done) if not done.is_empty else region
    if not rest.is_empty and rest.area > 1.0:
        regions.append(rest)
    contour_b, slope = _contour_bearing_deg(hf, region)
    bearings: list[float] = []
    tried: dict[float, float] = {}
    for r in regions if legs_fn is None else ():
        if sweep == "auto":
            b, _ = choose_bearing(r, geom.line_spacing_m, launch_xy, obj, hf, band_m=alt.tolerance_m, step_m=est_step,
                                  evaluated=tried)
        elif sweep == "longest-edge":
            b = longest_edge_bearing_deg(r)
        elif sweep == "contour":
            b = _contour_bearing_deg(hf, r)[0]
        else:
            try:
                b = float(sweep) % 180.0
            except (TypeError, ValueError):
                raise InputError(f"sweep={sweep!r}: allowed 'auto', 'longest-edge', 'contour' or a bearing in "
                                 "degrees.") from None
        bearings.append(b)
    if legs_fn is not None:
        swaths = tuple(legs_fn(frame, region, geom.line_spacing_m))
        bearings = []
    else:
        swaths = _route_for(regions, bearings, geom.line_spacing_m, launch_xy)
    if not swaths:
        raise InputError("the area is too narrow for a single search line. Hint: check the area file.")
    low = (geom.footprint_cross_m, geom.footprint_along_m)
    if legs_fn is None:
        swaths = _fill_gaps(region, swaths, low, bearings[-1] if bearings else 0.0)
    avoider = Avoider(local.no_fly, margin_m=max(s.no_fly_margin_m, 2.0))
    follow_step = float(min(max(terrain.resolution_m / 4.0, 2.0), 10.0))
    # Transitions keep the search band unless free_transit lets them use the safe minimum .. ceiling.
    transit_band = ((alt.min_safe_agl_m + alt.dem_margin_m, alt.ceiling_agl_m) if s.free_transit
                    else (alt.agl_m - alt.tolerance_m, alt.agl_m + alt.tolerance_m))
    ctx = _Ctx(frame, ground, hf, launch_xy, launch_ground, alt, geom, s, avoider, follow_step, transit_band)
    if sweep == "auto" and legs_fn is None and len(regions) == 1 and len(tried) > 1:
        # Re-rank the best bearings by flying them through the terrain-following stage on the height field:
        # the objective's estimate is coarse where climbing dominates.
        fast = replace(ctx, ground=hf, follow_step_m=max(10.0, hf_step))
        finalists: list[float] = []
        for b in sorted(tried, key=tried.get):
            if all(abs((b - f + 90.0) % 180.0 - 90.0) >= 3.0 for f in finalists):
                finalists.append(b)
            if len(finalists) == 3:
                break
        best_t = math.inf
        for b in finalists:
            sw = _fill_gaps(region, _route_for(regions, [b], geom.line_spacing_m, launch_xy), low, b)
            t = _fly(fast, sw, verify=False)[1]
            if t < best_t:
                best_t, bearings, swaths = t, [b], sw
    alternatives = []
    cands = [("longest-edge", longest_edge_bearing_deg(region)), ("contour-parallel", contour_b)]
    if legs_fn is None and len(bearings) == 1:
        cands.insert(0, ("chosen", bearings[0]))
    for name, b in cands:
        sw = _route_for([region], [b], geom.line_spacing_m, launch_xy)
        v, _ = swath_polyline(list(sw), launch_xy, launch_xy)
        pr = profile(v, hf, step_m=est_step, agl_band_m=alt.tolerance_m)
        alternatives.append((name, round(b, 1), round(FlightTimeObjective(veh)(pr), 1), round(pr.climb_m, 1)))
    while True:
        try:
            groups, drones = _split(ctx, swaths)
            break
        except _LineTooLong as exc:  # a line longer than a battery: fly it in pieces
            swaths = swaths[:exc.index] + tuple(_halve(swaths[exc.index])) + swaths[exc.index + 1:]
    # Verify each sortie with the real terrain-following path; move lines on when the estimate was short.
    flown: list[tuple[list[Swath], FollowedPath, float, int, int]] = []
    queue = list(zip(groups, drones))
    while queue:
        grp, drone = queue.pop(0)
        fp, t, slowed = _fly(ctx, grp)
        moved: list[Swath] = []
        while t > veh.usable_s and len(grp) > 1:
            moved.insert(0, grp.pop())
            fp, t, slowed = _fly(ctx, grp)
        if t > veh.usable_s:
            if grp[0].length_m > 100.0:  # the estimate was short for this line: fly it in two pieces
                queue.insert(0, (_halve(grp[0]) + moved, drone))
                continue
            raise InputError(
                f"a sortie of one line needs {t / 60:.1f} min: allowed {veh.usable_s / 60:.1f} min usable. "
                "Hint: raise --endurance or launch nearer the area.")
        flown.append((grp, fp, t, slowed, drone))
        if moved:
            if queue and queue[0][1] == drone:
                queue[0] = (moved + queue[0][0], drone)
            else:
                queue.insert(0, (moved, drone))
    if s.max_sorties is not None and len(flown) > s.max_sorties:
        raise InputError(
            f"the area needs {len(flown)} sorties of at most {veh.usable_s / 60:.0f} min usable each: allowed "
            f"max_sorties={s.max_sorties}. Hint: allow more with --max-sorties {len(flown)}, share it with --drones, "
            "or search the most likely part first (a smaller area or probability rings).")
    # Export: everything to lat/lon once.
    sorties: list[Sortie] = []
    footprints = []
    all_fp_polys = []
    climb_total = 0.0
    agl_lo, agl_hi = math.inf, -math.inf
    bands = [_band_check(fp, ground, follow_step) for _, fp, _, _, _ in flown]
    # Footprints at the lowest height flown on a search line (the narrowest): conservative on hills, exact on flat.
    fp_size = cam.footprint_size_m(max(min(b[2] for b in bands), 1.0))
    for k, (grp, fp, t, slowed, drone) in enumerate(flown):
        ll = frame.to_lat_lon(fp.xy_m)
        items, wps = _items(ctx, fp, ll[:, 0], ll[:, 1])
        lo_h, hi_h = bands[k][:2]
        agl_lo, agl_hi = min(agl_lo, lo_h), max(agl_hi, hi_h)
        d = np.diff(fp.xy_m, axis=0)
        dz = np.diff(fp.alt_amsl_m)
        climb = float(dz[dz > 0].sum() + alt.agl_m)
        climb_total += climb
        lines = []
        for w in grp:
            a = frame.to_lat_lon(np.array([[w.ax_m, w.ay_m], [w.bx_m, w.by_m]]))
            lines.append(((round(float(a[0, 0]), 8), round(float(a[0, 1]), 8)),
                          (round(float(a[1, 0]), 8), round(float(a[1, 1]), 8))))
            poly = _footprint(w, fp_size)
            all_fp_polys.append(poly)
            footprints.append((k, _ring_ll(frame, poly.exterior)))
        sorties.append(Sortie(k, drone, items, wps, tuple(lines), round(t, 1),
                              round(float(np.hypot(d[:, 0], d[:, 1]).sum()), 1),
                              round(float(sum(w.length_m for w in grp)), 1), round(climb, 1),
                              round(lo_h, 2), round(hi_h, 2), slowed))
        if len(items) > 700:
            warnings.append(PlanWarning(
                "too_many_items", f"sortie {k + 1} has {len(items)} mission items; some flight controllers store at "
                "most about 700. Hint: raise --tolerance to need fewer terrain waypoints.", sortie=k + 1,
                items=len(items)))
    n_slow = sum(f[3] for f in flown)
    if n_slow:
        warnings.append(PlanWarning(
            "slow_legs", f"{n_slow} legs are steeper than the climb/descent limits at cruise speed; the aircraft "
            "slows down there (included in the flight times).", n=int(n_slow)))
    cover = shapely.union_all(all_fp_polys).intersection(region).area / region.area if all_fp_polys else 0.0
    line_len = sum(w.length_m for w in swaths)
    W = s.detection_prob * geom.nominal_cross_m
    C = W * line_len / region.area
    if s.altitude_frame == "terrain":
        warnings.append(PlanWarning(
            "terrain_frame", "altitudes are in the terrain frame (MAV_FRAME_GLOBAL_TERRAIN_ALT): the vehicle needs "
            "terrain data (ArduPilot TERRAIN_ENABLE=1 with tiles loaded, or a rangefinder) or it will refuse or "
            "misfly the mission."))
    if slope > 15.0 and sweep == "auto":
        warnings.append(PlanWarning(
            "steep_area", f"steep area (mean slope {slope:.0f} deg): contour-parallel lines (bearing "
            f"{contour_b:.0f} deg) climb least; see the alternatives in the summary.", slope_deg=float(slope),
            bearing_deg=float(contour_b)))
    stats = PlanStats(
        area_m2=round(float(region.area), 1), path_length_m=round(sum(x.path_length_m for x in sorties), 1),
        line_length_m=round(line_len, 1), flight_time_s=round(sum(x.flight_time_s for x in sorties), 1),
        sorties=len(sorties), drones=len(set(drones)) if drones else 1, agl_m=round(alt.agl_m, 2),
        agl_min_m=round(agl_lo, 2), agl_max_m=round(agl_hi, 2),
        line_agl_min_m=round(min(b[2] for b in bands), 2), line_agl_max_m=round(max(b[3] for b in bands), 2),
        tolerance_m=alt.tolerance_m,
        gsd_m=round(alt.gsd_m, 4), px_on_target=round(alt.px_on_target, 2),
        px_on_target_min=round(alt.px_on_target_min, 2), px_needed=alt.px_needed,
        footprint_cross_m=round(geom.footprint_cross_m, 2), footprint_along_m=round(geom.footprint_along_m, 2),
        line_spacing_m=round(geom.line_spacing_m, 2),
        photo_distance_m=None if geom.photo_distance_m is None else round(geom.photo_distance_m, 2),
        footprint_coverage=round(float(cover), 5), total_climb_m=round(climb_total, 1), sweep_width_m=round(W, 2),
        detection_prob=s.detection_prob, coverage_factor=round(C, 4), pod=round(1.0 - math.exp(-C), 4),
        sweep_bearing_deg=round(bearings[-1], 2) if bearings else None,
        waypoints=sum(len(x.waypoints) for x in sorties), mission_items=sum(len(x.items) for x in sorties),
        alternatives=tuple(alternatives))
    lla, llo = frame.to_geodetic(*launch_xy)
    return MissionPlan(
        sorties=tuple(sorties), area=area.outer, holes=area.holes, no_fly=area.no_fly,
        launch=(round(float(lla), 8), round(float(llo), 8), round(launch_ground, 2)), stats=stats,
        footprints=tuple(footprints), warnings=tuple(warnings), altitude_frame=s.altitude_frame,
        camera_name=cam.name, target_name=tgt.name, terrain_name=terrain.name, pattern=pattern_name,
        rings=tuple((pa.name, pa.outer) for pa in priorities),
        meta={"frame_origin": (frame.origin_lat_deg, frame.origin_lon_deg), "bearings_deg": tuple(bearings),
              "speed_m_s": veh.speed_m_s,
              "mean_slope_deg": round(slope, 1), "altitude": alt, "swath": geom})


def _band_check(fp: FollowedPath, ground, step_m: float) -> tuple[float, float, float, float]:
    """Height above the DEM along the whole path and along search lines only: (min, max, line min, line max).

    Sampled every 2 m (or a quarter step); take-off and landing excluded.
    """
    pts, leg = sample_path(fp.xy_m, min(2.0, step_m / 4.0))
    d = np.diff(fp.xy_m, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))])
    sp = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    alt = np.interp(sp, cum, fp.alt_amsl_m)
    agl = alt - ground(pts)
    on_line = np.append(fp.kinds, 0)[leg] == 1
    la = agl[on_line] if np.any(on_line) else agl
    return float(agl.min()), float(agl.max()), float(la.min()), float(la.max())
