"""``thermal-sar plan``: read the inputs, plan, write every requested file, summarise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from geo.coords import parse_lat_lon
from geo.errors import InputError

__all__ = ["PlanJob", "PlanResult", "run_plan", "plan_summary"]


@dataclass(frozen=True)
class PlanJob:
    """What the command line asked for (paths and plain values)."""

    outs: tuple[Path, ...]
    area: Path | None = None
    points: str | None = None
    datum: str | None = None
    pattern: str = "expanding-square"
    radius_m: float = 500.0
    ipp: str | None = None
    category: str | None = None
    up_to_percent: int = 75
    distance_table: Path | None = None
    dems: tuple[Path, ...] = ()
    launch: str | None = None
    camera: str = "m30t"
    target: str = "adult-lying"
    settings: tuple[tuple[str, object], ...] = ()
    sweep: str = "auto"
    repair: bool = False


@dataclass(frozen=True)
class PlanResult:
    plan: object
    files: tuple[Path, ...]
    summary: str


def _target(text: str):
    from mission.targets import TargetSpec, target_preset

    if "x" in text.lower() and text.lower().replace("x", "").replace(".", "").isdigit():
        a, b = text.lower().split("x", 1)
        return TargetSpec(f"custom {text} m", float(a), float(b))
    return target_preset(text)


def _camera(text: str):
    """A preset name, or a custom camera 'WIDTHxHEIGHT@HFOV' (pixels, horizontal field of view in degrees)."""
    import re

    from geo.camera import CameraModel

    m = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*@\s*([0-9.]+)\s*", text)
    if m:
        return CameraModel.from_fov(int(m.group(1)), int(m.group(2)), float(m.group(3)), name=f"custom {text.strip()}")
    return text


def run_plan(job: PlanJob) -> PlanResult:
    from geo.terrain import load_terrain
    from mission import load_area, parse_points, plan_datum, plan_rings, plan_search, write_plan
    from mission.patterns import load_distance_table

    terrain = load_terrain(list(job.dems)) if job.dems else None
    launch = parse_lat_lon(job.launch, name="launch") if job.launch else None
    kw = dict(job.settings)
    target = _target(job.target)
    given = [x for x in (job.area, job.points, job.datum, job.ipp) if x]
    if len(given) != 1:
        raise InputError(f"{len(given)} search inputs given: allowed exactly one of --area, --points, --datum, --ipp.")
    if job.area or job.points:
        area = load_area(job.area) if job.area else parse_points(job.points or "")
        plan = plan_search(area, camera=_camera(job.camera), target=target, terrain=terrain, launch=launch,
                           sweep=_sweep(job.sweep), repair=job.repair, **kw)
    elif job.datum:
        plan = plan_datum(parse_lat_lon(job.datum, name="datum"), pattern=job.pattern, radius_m=job.radius_m,
                          camera=_camera(job.camera), target=target, terrain=terrain, launch=launch, **kw)
    else:
        if not job.category:
            raise InputError("--ipp needs --category (a row of the distance table, e.g. child-4-6).")
        table = load_distance_table(job.distance_table) if job.distance_table else load_distance_table()
        plan = plan_rings(parse_lat_lon(job.ipp or "", name="ipp"), category=job.category, table=table,
                          up_to_percent=job.up_to_percent, camera=_camera(job.camera), target=target, terrain=terrain,
                          launch=launch, **kw)
    files: list[Path] = []
    for out in job.outs:
        files.extend(write_plan(plan, out))
    return PlanResult(plan, tuple(files), plan_summary(plan, files))


def _sweep(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _min(s: float) -> str:
    return f"{s / 60:.1f} min"


def plan_summary(plan, files: Sequence[Path] = ()) -> str:
    """The table a pilot reads before flying."""
    st = plan.stats
    rows = [
        ("pattern", f"{plan.pattern}" + (f", lines at {st.sweep_bearing_deg:.1f} deg" if st.sweep_bearing_deg is not None else "")),
        ("camera / target", f"{plan.camera_name} / {plan.target_name}"),
        ("terrain", plan.terrain_name),
        ("area", f"{st.area_m2 / 1e6:.3f} km^2"),
        ("height above ground", f"{st.agl_m:.0f} m +- {st.tolerance_m:.0f} m (flown {st.line_agl_min_m:.1f}.."
                                f"{st.line_agl_max_m:.1f} m on lines, {st.agl_min_m:.1f}..{st.agl_max_m:.1f} m on the "
                                f"whole path), altitudes {plan.altitude_frame}"),
        ("GSD / on target", f"{st.gsd_m * 100:.1f} cm/px / {st.px_on_target:.1f} px ({st.px_on_target_min:.1f} px at the "
                            f"top of the band; {st.px_needed:g} px needed)"),
        ("footprint / spacing", f"{st.footprint_cross_m:.0f} x {st.footprint_along_m:.0f} m / lines {st.line_spacing_m:.0f} m "
                                "apart" + (f", photo every {st.photo_distance_m:.0f} m "
                                           f"({st.photo_distance_m / plan.meta['speed_m_s']:.1f} s)"
                                           if st.photo_distance_m else ", continuous video")),
        ("path / lines", f"{st.path_length_m / 1000:.2f} km / {st.line_length_m / 1000:.2f} km"),
        ("flight time", f"{_min(st.flight_time_s)} in {st.sorties} sorties"
                        + (f" on {st.drones} drones" if st.drones > 1 else "")),
        ("total climb", f"{st.total_climb_m:.0f} m"),
        ("coverage", f"{100 * st.footprint_coverage:.1f} % of the area under a footprint"),
        ("POD", f"{100 * st.pod:.0f} % (W = {st.sweep_width_m:.0f} m, C = {st.coverage_factor:.2f}, "
                f"p(detect in footprint) = {st.detection_prob:g})"),
        ("waypoints / items", f"{st.waypoints} / {st.mission_items}"),
    ]
    w = max(len(k) for k, _ in rows)
    out = ["thermal-sar mission plan"] + [f"  {k:<{w}}  {v}" for k, v in rows]
    out.append("  sorties:")
    for s in plan.sorties:
        out.append(f"    {s.index + 1:>2}: {_min(s.flight_time_s):>9}  {s.path_length_m / 1000:6.2f} km  "
                   f"{len(s.lines):3d} lines  climb {s.climb_m:5.0f} m  items {len(s.items)}"
                   + (f"  drone {s.drone + 1}" if st.drones > 1 else ""))
    if st.alternatives:
        out.append("  alternatives (estimated, one flight, before splitting):")
        for name, b, t, c in st.alternatives:
            out.append(f"    {name:<17} lines at {b:5.1f} deg: {_min(t)}, climb {c:.0f} m")
    for wmsg in plan.warnings:
        out.append(f"  warning: {wmsg}")
    for f in files:
        out.append(f"  wrote {f}")
    return "\n".join(out)
