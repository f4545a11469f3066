"""``thermal-sar plan``: read the inputs, plan, write every requested file, summarise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from geo.coords import parse_lat_lon
from geo.errors import InputError

__all__ = ["PlanJob", "PlanResult", "run_plan", "plan_summary", "check_outputs", "write_outputs", "stale_sortie_files"]


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
    stale_files: tuple[Path, ...] = ()  # NAME-sortieK files of an earlier, longer plan (left in place)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _target(text: str):
    """A preset name, or a custom size 'LENGTHxWIDTH' in metres (range-checked by :class:`TargetSpec`)."""
    from mission.targets import TargetSpec, target_preset

    parts = text.lower().split("x")
    if len(parts) == 2 and all(_number(p.strip()) is not None for p in parts):
        # Well-formed: out-of-range sizes (negative, NaN, huge) get the range error, not "unknown preset".
        return TargetSpec(f"custom {text.strip()} m", float(parts[0]), float(parts[1]))
    return target_preset(text)


def _camera(text: str):
    """A preset name, or a custom camera 'WIDTHxHEIGHT@HFOV' (pixels, horizontal field of view in degrees)."""
    import re

    from geo.camera import CameraModel
    from geo.errors import CameraError, out_of_range

    m = re.fullmatch(r"\s*([^\sx@]+)\s*x\s*([^\sx@]+)\s*@\s*(\S+)\s*", text)
    if m and all(_number(g) is not None for g in m.groups()):
        # Well-formed: out-of-range values get the range error, not "unknown preset".
        size = []
        for nm, g in (("width_px", m.group(1)), ("height_px", m.group(2))):
            v = _number(g)
            if not (v is not None and math.isfinite(v) and v == int(v) and 8 <= v <= 20000):
                raise CameraError(out_of_range(f"camera {nm}", g, "an integer 8..20000",
                                               "a custom camera is WIDTHxHEIGHT@HFOV, e.g. 640x512@32"))
            size.append(int(v))
        hfov = float(m.group(3))
        if not (math.isfinite(hfov) and 0.0 < hfov < 180.0):
            raise CameraError(out_of_range("camera hfov_deg", m.group(3), "a finite number 0 < hfov_deg < 180",
                                           "the horizontal field of view in degrees, e.g. 640x512@32"))
        return CameraModel.from_fov(size[0], size[1], hfov, name=f"custom {text.strip()}")
    return text


def run_plan(job: PlanJob) -> PlanResult:
    from geo.terrain import load_terrain
    from mission import load_area, parse_points, plan_datum, plan_rings, plan_search
    from mission.patterns import load_distance_table

    given = [x for x in (job.area, job.points, job.datum, job.ipp) if x]
    if len(given) != 1:
        raise InputError(f"{len(given)} search inputs given: allowed exactly one of --area, --points, --datum, --ipp.")
    if not job.ipp and (job.category or job.distance_table):
        named = [o for o, v in (("--category", job.category), ("--distance-table", job.distance_table)) if v]
        raise InputError(f"{' and '.join(named)} {'belongs' if len(named) == 1 else 'belong'} to probability rings around --ipp, which was not given. Hint: add --ipp "
                         "LAT,LON (the initial planning point), or leave them out.")
    # Checked before the DEM is read: a bad option must not cost a long load.
    check_outputs(job.outs)
    if job.area or job.points:
        sweep = _sweep(job.sweep)
    table = None
    if job.ipp:
        if not job.category:
            raise InputError("--ipp needs --category (a row of the distance table, e.g. child-4-6).")
        table = load_distance_table(job.distance_table) if job.distance_table else load_distance_table()
    terrain = load_terrain(list(job.dems)) if job.dems else None
    launch = parse_lat_lon(job.launch, name="launch") if job.launch else None
    kw = dict(job.settings)
    target = _target(job.target)
    if job.area or job.points:
        area = load_area(job.area) if job.area else parse_points(job.points or "")
        plan = plan_search(area, camera=_camera(job.camera), target=target, terrain=terrain, launch=launch,
                           sweep=sweep, repair=job.repair, **kw)
    elif job.datum:
        plan = plan_datum(parse_lat_lon(job.datum, name="datum"), pattern=job.pattern, radius_m=job.radius_m,
                          camera=_camera(job.camera), target=target, terrain=terrain, launch=launch, **kw)
    else:
        plan = plan_rings(parse_lat_lon(job.ipp or "", name="ipp"), category=job.category or "", table=table,
                          up_to_percent=job.up_to_percent, camera=_camera(job.camera), target=target, terrain=terrain,
                          launch=launch, **kw)
    files = write_outputs(plan, job.outs)
    return PlanResult(plan, files, plan_summary(plan, files), stale_sortie_files(job.outs, len(plan.sorties)))


def check_outputs(outs: Sequence[Path]) -> None:
    """Refuse output names that cannot be written, before any planning (extension, a folder in the way)."""
    from mission.formats.export import PLAN_EXTENSIONS

    for out in outs:
        out = Path(out)
        if out.suffix.lower() not in PLAN_EXTENSIONS:
            raise InputError(f"out={str(out)!r}: the extension {out.suffix or '(none)'!r} is not an output format: "
                             f"allowed {', '.join(PLAN_EXTENSIONS)}. Hint: e.g. --out mission.plan.")
        if out.is_dir():
            raise InputError(f"out={str(out)!r} is a folder: allowed a file name. Hint: e.g. --out "
                             f"{out / 'mission.plan'}.")


def write_outputs(plan, outs: Sequence[Path]) -> tuple[Path, ...]:
    """Write ``plan`` to every path in ``outs``, all or nothing (:class:`~thermal_sar.pipelines.staging.Staging`:
    a failure leaves every existing file untouched). Returns the paths written."""
    from mission import write_plan
    from thermal_sar.pipelines.staging import Staging

    check_outputs(outs)
    with Staging() as st:
        # The same --out given twice is staged twice into one file, moved once.
        staged = [f for out in outs for f in write_plan(plan, st.path(out))]
        files = tuple(dict.fromkeys(st.final(f) for f in staged))
        st.commit()
    return files


def stale_sortie_files(outs: Sequence[Path], sorties: int) -> tuple[Path, ...]:
    """``NAME-sortieK.EXT`` files beside mission outputs with K > ``sorties``: left from an earlier, longer plan.

    They are never removed (they are the user's files), only reported.
    """
    import re

    stale: list[Path] = []
    for out in dict.fromkeys(Path(o) for o in outs):
        if out.suffix.lower() not in (".plan", ".waypoints") or not out.parent.is_dir():
            continue
        pat = re.compile(rf"{re.escape(out.stem)}-sortie(\d+){re.escape(out.suffix)}")
        for f in sorted(out.parent.iterdir()):
            m = pat.fullmatch(f.name)
            if m and int(m.group(1)) > sorties:
                stale.append(f)
    return tuple(stale)


def stale_warning(stale: Sequence[Path], sorties: int) -> str:
    """One line naming files of an earlier plan that this one did not overwrite."""
    names = ", ".join(str(p) for p in stale)
    return (f"warning: this plan has {sorties} sortie(s), but older sortie files from an earlier plan are still "
            f"there and were left untouched: {names}. Delete them before uploading, so they are not flown by mistake.")


def _sweep(text: str):
    from mission.planner import check_sweep

    return check_sweep(text)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here (it is translated where it is shown)."""
    return message


# Names the planner gives in English (mission knows no languages); the summary shows them in the reader's.
PATTERN_NAMES = {
    "parallel-sweep": N_("parallel sweep"), "expanding-square": N_("expanding square"),
    "sector": N_("sector search"), "creeping-line": N_("creeping line"),
    "probability-rings": N_("probability rings"), "overwatch": N_("overwatch"),
}
TARGET_NAMES = {
    "adult standing": N_("adult standing"), "adult lying": N_("adult lying"),
    "child (about 6 years, lying)": N_("child (about 6 years, lying)"), "child standing": N_("child standing"),
    "sheep": N_("sheep"), "cow": N_("cow"), "dog (medium)": N_("dog (medium)"),
}
ALTERNATIVE_NAMES = {"chosen": N_("chosen"), "longest-edge": N_("longest edge"),
                     "contour-parallel": N_("contour-parallel")}
ALTITUDE_FRAMES = {"amsl": N_("AMSL"), "home": N_("above home"),
                   "terrain": N_("above terrain (MAVLink frame 10)")}


def _name(tr, table: dict[str, str], name: str) -> str:
    return tr(table[name]) if name in table else name


def _m_exact(tr, x: float) -> str:
    """Metres with as many decimals as the value has (up to 2): 80 m, 80.4 m."""
    text = tr.number(x, 2)
    return tr.s("fmt_m", m=text.rstrip("0").rstrip(".") if "." in text else text)


def warning_text(tr, w) -> str:
    """A planner warning in the reader's language: its code and values looked up in the catalogue
    (:mod:`mission.plan_warnings`); a warning without a code is shown as it is."""
    _ = tr
    code = getattr(w, "code", None)
    v = getattr(w, "values", {})
    if code == "no_dem":
        return _("no DEM given: the ground is assumed flat at 0 m AMSL, so heights above ground are NOT checked "
                 "against real terrain. Give a DEM (--dem) before flying in hills.")
    if code == "dem_voids":
        return _("the DEM had {count} void samples (filled by interpolation) in a region overlapping the area "
                 "({south}..{north} N, {west}..{east} E): heights there are less certain; keep a larger "
                 "--dem-margin or check the ground.").format(
            count=tr.number(v["count"]), south=f"{v['south_lat_deg']:.5f}", north=f"{v['north_lat_deg']:.5f}",
            west=f"{v['west_lon_deg']:.5f}", east=f"{v['east_lon_deg']:.5f}")
    if code == "area_repaired":
        part = {"outer": _("{name} outer ring"), "hole": _("{name} hole {index}"),
                "no_fly": _("{name} no-fly zone {index}")}.get(v["part"], "{name}").format(
            name=v["name"], index=v["index"])
        if v.get("lat_deg") is None:
            return _("{part} repaired (was: {reason})").format(part=part, reason=v["reason"])
        return _("{part} repaired (was: {reason} at {coord})").format(
            part=part, reason=v["reason"], coord=tr.coord(v["lat_deg"], v["lon_deg"]))
    if code == "launch_assumed":
        return _("no launch point given: assumed inside the area at {coord}.").format(
            coord=tr.coord(v["lat_deg"], v["lon_deg"]))
    if code == "launch_at_point":
        return _("no launch point given: assumed at the point itself.")
    if code == "too_many_items":
        return _("sortie {sortie} has {items} mission items; some flight controllers store at most about 700. "
                 "Hint: raise --tolerance to need fewer terrain waypoints.").format(sortie=v["sortie"],
                                                                                   items=v["items"])
    if code == "slow_legs":
        return tr.ngettext("{n} leg is steeper than the climb/descent limits at cruise speed; the aircraft slows "
                           "down there (included in the flight times).",
                           "{n} legs are steeper than the climb/descent limits at cruise speed; the aircraft slows "
                           "down there (included in the flight times).", v["n"]).format(n=v["n"])
    if code == "terrain_frame":
        return _("altitudes are in the terrain frame (MAV_FRAME_GLOBAL_TERRAIN_ALT): the vehicle needs terrain "
                 "data (ArduPilot TERRAIN_ENABLE=1 with tiles loaded, or a rangefinder) or it will refuse or "
                 "misfly the mission.")
    if code == "steep_area":
        return _("steep area (mean slope {slope}°): contour-parallel lines (heading {heading}) climb least; see "
                 "the alternatives in the summary.").format(slope=tr.number(v["slope_deg"]),
                                                            heading=tr.heading(v["bearing_deg"]))
    if code == "radius_rounded":
        msg = (_("radius {radius} flown as {flown}: ArduCopter stores whole metres.") if v["step_m"] <= 1.0
               else _("radius {radius} flown as {flown}: ArduCopter stores radii above 255 m in 10 m steps."))
        return msg.format(radius=_m_exact(tr, v["radius_m"]), flown=_m_exact(tr, v["flown_m"]))
    if code == "uneven_orbit":
        return _("the ground under the orbit varies by {relief}, more than a level circle can keep within "
                 "±{tolerance}: flown as a ring of {waypoints} terrain-following waypoints repeated with "
                 "DO_JUMP.").format(relief=tr.distance(v["relief_m"]), tolerance=_m_exact(tr, v["tolerance_m"]),
                                    waypoints=v["waypoints"])
    if code == "loiter_turns_capped":
        return _("the battery allows {laps} laps; ArduCopter's NAV_LOITER_TURNS counts at most {max}: planned "
                 "{max} ({time} on station).").format(laps=v["laps"], max=v["max_turns"],
                                                      time=tr.duration(v["station_s"]))
    if code == "point_hidden":
        return _("the DEM hides the point from {percent} of the orbit (ridges between): consider a smaller "
                 "--radius or a higher --agl.").format(percent=tr.percent(v["fraction"]))
    return str(w)


def _columns(rows: Sequence[Sequence[str]], right: Sequence[bool], indent: int = 4) -> list[str]:
    """Rows of cells padded to columns by display width (a Chinese character is two columns)."""
    from maps.i18n import display_width

    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [(" " * (w - display_width(c)) + c) if rt else (c + " " * (w - display_width(c)))
                 for c, w, rt in zip(r, widths, right)]
        out.append((" " * indent + "  ".join(cells)).rstrip())
    return out


def plan_summary(plan, files: Sequence[Path] = ()) -> str:
    """The table a pilot reads before flying, in the CLI's language (docs/i18n.md)."""
    from maps.i18n import gettext_for

    _ = tr = gettext_for()
    st = plan.stats
    pattern = _name(tr, PATTERN_NAMES, plan.pattern)
    if st.sweep_bearing_deg is not None:
        pattern = _("{pattern}, lines at {heading}").format(pattern=pattern, heading=tr.heading(st.sweep_bearing_deg))
    if st.photo_distance_m:
        spacing = _("{cross} x {along} / lines {spacing} apart, photo every {photo} ({seconds} s)").format(
            cross=tr.distance(st.footprint_cross_m), along=tr.distance(st.footprint_along_m),
            spacing=tr.distance(st.line_spacing_m), photo=tr.distance(st.photo_distance_m),
            seconds=tr.number(st.photo_distance_m / plan.meta["speed_m_s"], 1))
    else:
        spacing = _("{cross} x {along} / lines {spacing} apart, continuous video").format(
            cross=tr.distance(st.footprint_cross_m), along=tr.distance(st.footprint_along_m),
            spacing=tr.distance(st.line_spacing_m))
    if st.drones > 1:
        flight = tr.ngettext("{time} in {n} sortie on {drones} drones", "{time} in {n} sorties on {drones} drones",
                             st.sorties).format(time=tr.duration(st.flight_time_s), n=st.sorties, drones=st.drones)
    else:
        flight = tr.ngettext("{time} in {n} sortie", "{time} in {n} sorties", st.sorties).format(
            time=tr.duration(st.flight_time_s), n=st.sorties)
    rows = [
        (_("pattern"), pattern),
        (_("camera / target"), f"{plan.camera_name} / {_name(tr, TARGET_NAMES, plan.target_name)}"),
        (_("terrain"), _("flat (no DEM)") if plan.terrain_name == "flat" else plan.terrain_name),
        (_("area"), _("{km2} km²").format(km2=tr.number(st.area_m2 / 1e6, 3))),
        (_("height above ground"), _("{agl} ± {tol} (flown {lo}..{hi} m on lines, {path_lo}..{path_hi} m on the "
                                     "whole path), altitudes {frame}").format(
            agl=tr.distance(st.agl_m), tol=tr.distance(st.tolerance_m), lo=tr.number(st.line_agl_min_m, 1),
            hi=tr.number(st.line_agl_max_m, 1), path_lo=tr.number(st.agl_min_m, 1), path_hi=tr.number(st.agl_max_m, 1),
            frame=_name(tr, ALTITUDE_FRAMES, plan.altitude_frame))),
        (_("GSD / on target"), _("{gsd} cm/px / {px} px ({px_min} px at the top of the band; {need} px needed)").format(
            gsd=tr.number(st.gsd_m * 100, 1), px=tr.number(st.px_on_target, 1), px_min=tr.number(st.px_on_target_min, 1),
            need=f"{st.px_needed:g}")),
        (_("footprint / spacing"), spacing),
        (_("path / lines"), f"{tr.distance(st.path_length_m)} / {tr.distance(st.line_length_m)}"),
        (_("flight time"), flight),
        (_("total climb"), tr.distance(st.total_climb_m)),
        (_("coverage"), _("{percent} of the area under a footprint").format(percent=tr.percent(st.footprint_coverage, 1))),
        (_("POD"), _("{pod} (W = {w}, C = {c}, p(detect in footprint) = {p})").format(
            pod=tr.percent(st.pod), w=tr.distance(st.sweep_width_m), c=tr.number(st.coverage_factor, 2),
            p=f"{st.detection_prob:g}")),
        (_("waypoints / items"), f"{st.waypoints} / {st.mission_items}"),
    ]
    out = [_("thermal-sar mission plan"), *tr.table(rows)]
    out.append("  " + _("sorties:"))
    head = ["#", _("flight time"), _("path"), _("lines"), _("climb"), _("items")]
    if st.drones > 1:
        head.append(_("drone"))
    table = [head]
    for s in plan.sorties:
        row = [str(s.index + 1), tr.duration(s.flight_time_s), tr.distance(s.path_length_m), str(len(s.lines)),
               tr.distance(s.climb_m), str(len(s.items))]
        if st.drones > 1:
            row.append(str(s.drone + 1))
        table.append(row)
    out += _columns(table, [True] * len(head))
    if st.alternatives:
        out.append("  " + _("alternatives (estimated, one flight, before splitting):"))
        alt = [[_name(tr, ALTERNATIVE_NAMES, name), _("lines at {heading}").format(heading=tr.heading(b)),
                tr.duration(t), _("climb {climb}").format(climb=tr.distance(c))] for name, b, t, c in st.alternatives]
        out += _columns(alt, [False, False, True, False])
    out += ["  " + _("warning: {message}").format(message=warning_text(tr, w)) for w in plan.warnings]
    out += ["  " + _("wrote {path}").format(path=f) for f in files]
    return "\n".join(out)
