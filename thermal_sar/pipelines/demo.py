"""The demo search on the embedded world: plan, fly, see, find, report (no files, no network).

1. Load a scenario of the synthetic thermal world (``sim``), by default the
   seed story: 12 sheep, 9 in the pen and 3 strayed into a valley.
2. Plan the search over its area with terrain following and sorties (``mission``).
3. Fly every sortie with the simulated ArduCopter (``sim.vehicle``) over
   MAVLink on loopback, through the same ``telemetry`` code a real flight
   uses: upload and verify, arm, AUTO, progress.
4. At frame intervals, freeze the simulation, render the thermal frame the
   camera sees from the vehicle's true pose (``sim.render_frame``) and run the
   search pipeline on it with the pose the autopilot *reported* over MAVLink
   (so telemetry latency and rounding show up in the geolocation error):
   detect, geotag with uncertainty, fuse into targets.
5. After each sortie update the probability map of the subject's location
   (``mission.search_next``) with the flown track.
6. Write the officer map (offline HTML), the ground-team GPX, targets GeoJSON,
   the tlog and a summary that compares what was found with the truth.

The simulation runs faster than real time; its clock stops while a frame is
processed, as if the ground station were infinitely fast, and the per-frame
processing time is reported so one can judge the real-time margin.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from geo.camera import CameraPose, MountMode, camera_preset
from geo.coords import distance_m
from geo.errors import InputError, SarIOError
from thermal_sar.pipelines.search import FramePipeline, frame_interval_s

__all__ = ["DemoResult", "TruthMatch", "run_demo", "DEMO_TARGET_FOR_SCENARIO"]

# What the pilot plans for in each named scenario (the planner's target presets).
DEMO_TARGET_FOR_SCENARIO = {"sheep": "sheep", "lost-child": "child", "night-hiker": "adult-lying"}
# Classes the pipeline reports that count as a find of a planted target of this kind.
_KIND_CLASSES = {
    "sheep": {"sheep", "animal", "dog"},
    "cow": {"cow", "animal", "sheep"},
    "dog": {"dog", "sheep", "animal"},
    "adult_standing": {"person"},
    "adult_lying": {"person"},
    "child": {"person"},
    "child_standing": {"person"},
    "child_lying": {"person"},
}
FOUND_WITHIN_M = 10.0  # a fused target within this distance of a planted one finds it


@dataclass(frozen=True)
class TruthMatch:
    """A planted target and what the search made of it."""

    kind: str
    label: str
    lat_deg: float
    lon_deg: float
    found: bool
    target_id: str | None
    error_m: float | None
    first_seen_s: float | None  # seconds after the first take-off


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    files: tuple[Path, ...]
    summary: str
    matches: tuple[TruthMatch, ...]
    false_targets: int
    area_km2: float
    flight_time_s: float
    wall_time_s: float
    frames: int
    cumulative_pod: float
    data: dict = field(repr=False, default_factory=dict)


def _launch_point(scene) -> tuple[float, float]:
    """Where the pilot takes off: the farmyard beside the pen, else the area's first corner."""
    pens = scene.pens_latlon
    if pens:
        pen = np.asarray(pens[0], float)
        return float(pen[:, 0].mean()), float(pen[:, 1].mean())
    return scene.search_area_latlon[0]


def _match(scene, targets, takeoff_t_s: float) -> tuple[tuple[TruthMatch, ...], int]:
    """Greedy nearest matching of fused targets to planted ones; returns matches and false targets."""
    pairs = []
    for i, t in enumerate(scene.targets):
        ok = _KIND_CLASSES.get(t.kind, {t.class_name})
        for j, f in enumerate(targets):
            if f.class_name in ok or f.class_name == "hotspot":
                d = float(distance_m(t.lat_deg, t.lon_deg, f.lat_deg, f.lon_deg))
                if d <= FOUND_WITHIN_M:
                    pairs.append((d, i, j))
    pairs.sort()
    used_t: dict[int, tuple[int, float]] = {}
    used_f: set[int] = set()
    for d, i, j in pairs:
        if i in used_t or j in used_f:
            continue
        used_t[i] = (j, d)
        used_f.add(j)
    out = []
    for i, t in enumerate(scene.targets):
        if i in used_t:
            j, d = used_t[i]
            f = targets[j]
            out.append(TruthMatch(t.kind, t.label, t.lat_deg, t.lon_deg, True, f.id, d, f.first_seen_s - takeoff_t_s))
        else:
            out.append(TruthMatch(t.kind, t.label, t.lat_deg, t.lon_deg, False, None, None, None))
    # A fused target near a planted one it did not claim (a second target on one animal) is a
    # duplicate, not a false alarm; everything else is false.
    false = 0
    for j, f in enumerate(targets):
        if j in used_f:
            continue
        near = min((float(distance_m(t.lat_deg, t.lon_deg, f.lat_deg, f.lon_deg)) for t in scene.targets),
                   default=math.inf)
        if near > FOUND_WITHIN_M:
            false += 1
    return tuple(out), false


def _make_detector(name: str):
    from vision import ClassicalDetector

    if name == "classical":
        return ClassicalDetector()
    if name == "yolo":
        from vision import YoloDetector

        return YoloDetector()
    raise InputError(f"detector={name!r} is not known: allowed 'classical' or 'yolo'.")


def run_demo(out_dir: Path, *, scenario: str = "sheep", detector: str = "classical", seed: int = 7,
             speedup: float = 80.0, camera: str = "m30t", frames_kind: str = "radiometric", min_score: float = 0.5,
             min_sightings: int = 2,
             max_sorties: int | None = None,
             progress: Callable[[str, float, float], None] | None = None) -> DemoResult:
    """Run the whole demo search; see the module docstring.

    ``frames_kind`` is what the camera delivers: ``"radiometric"`` (temperature per
    pixel, as radiometric thermal cores stream) or ``"video"`` (8-bit AGC video).
    ``min_score`` is the detector's operating point (detections scoring lower are dropped);
    a target is reported once seen in ``min_sightings`` frames.
    ``progress(stage, done, total)`` is called as the flight goes on (for a progress bar).
    """
    import sim
    from mission import plan_search, write_plan
    from mission.search_next import ProbabilityMap
    from sim.vehicle import SimVehicle, VehicleConfig
    from telemetry.control import Vehicle
    from telemetry.fusion import targets_geojson
    from telemetry.geotag import ErrorModel
    from telemetry.link import MavlinkLink

    if frames_kind not in ("radiometric", "video"):
        raise InputError(f"frames_kind={frames_kind!r} is not known: allowed 'radiometric' or 'video'.")
    t_wall0 = time.monotonic()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SarIOError(f"cannot create output folder {str(out_dir)!r}: {exc.strerror or exc}.") from None
    say = progress or (lambda stage, done, total: None)

    say("building the world", 0, 1)
    scene = sim.load_scenario(scenario)
    cam = camera_preset(camera)
    launch = _launch_point(scene)
    target_name = DEMO_TARGET_FOR_SCENARIO.get(scene.name, "adult-lying")
    say("planning", 0, 1)
    plan = plan_search(list(scene.search_area_latlon), camera=cam, target=target_name, terrain=scene.terrain,
                       launch=launch)
    sorties = plan.sorties[: max_sorties or None]
    write_plan(plan, out_dir / "mission.plan")
    speed = 10.0
    # Consecutive frames overlap by 70 % of a footprint, so every point is seen about three
    # times along the track: a target is reported once it was seen in two frames.
    interval = frame_interval_s(cam, plan.stats.agl_m, speed, overlap=0.7)
    ground = float(scene.terrain.elevation_m(*launch))
    # The autopilot's estimate wanders like a small drone's GNSS/EKF (1.5 m, 1 m vertical,
    # 0.5 deg attitude and gimbal); the pipeline is told the same sigmas, as an operator
    # would configure them from the aircraft's specification.
    cfg = VehicleConfig(home_lat_deg=launch[0], home_lon_deg=launch[1], home_alt_amsl_m=ground,
                        speed_m_s=speed, battery_endurance_s=1800.0, seed=seed, ekf_ready_s=2.0, gps_fix_s=1.0,
                        est_pos_sigma_m=1.5, est_alt_sigma_m=1.0, est_att_sigma_deg=0.5)
    errors = ErrorModel(roll_sigma_deg=0.5, pitch_sigma_deg=0.5, yaw_sigma_deg=0.5, gimbal_sigma_deg=0.5,
                        horizontal_sigma_m=1.5, vertical_sigma_m=1.0, dem_sigma_m=0.5)
    pipe = FramePipeline(cam, scene.terrain, scene.frame, _make_detector(detector), errors=errors, grid=scene.grid,
                         min_score=min_score)
    pmap = ProbabilityMap.uniform(_region_local(scene), scene.frame, cell_m=20.0)
    track: list[tuple[float, float, float, float]] = []  # t_s, lat, lon, alt
    render_s = 0.0
    process_s = 0.0
    frames = 0
    takeoff_t: float | None = None
    flight_time = 0.0
    total_items = sum(len(s.items) for s in sorties)
    items_done = 0
    sortie_pods: list[float] = []
    n_dets = 0
    tlog = out_dir / "demo.tlog"
    with SimVehicle(cfg, tcp_port=0, speedup=speedup) as sv:
        with MavlinkLink(f"tcp:127.0.0.1:{sv.tcp_port}", tlog_path=tlog) as link:
            v = Vehicle(link)
            v.connect()
            v.request_streams({33: 10.0, 30: 10.0, 158: 10.0, 1: 1.0, 42: 2.0, 24: 1.0, 242: 0.5})
            v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 60.0, "a position estimate")
            for k, sortie in enumerate(sorties):
                say(f"sortie {k + 1}/{len(sorties)}: upload", items_done, total_items)
                sv.swap_battery()
                body = [it for it in sortie.items if it.seq != 0]
                # Real time on the ground: the vehicle's mission-protocol timeouts run on its
                # clock, and at 80x they would expire while a busy ground station answers.
                sv.speedup = 1.0
                _, _, mism = v.upload_mission(body)
                if mism:
                    raise SarIOError("the mission read back from the vehicle differs from the plan: " + "; ".join(mism[:3]))
                v.set_mode("GUIDED")
                v.arm(timeout_s=60.0)
                v.start_mission()
                sv.speedup = speedup
                st = v.state
                t_start = st.time_boot_s or 0.0
                if takeoff_t is None:
                    takeoff_t = t_start
                next_capture = t_start
                reached0 = len(st.mission_reached)
                sortie_track: list[tuple[float, float]] = []
                n_items = len(sortie.items)
                while True:
                    st = v.pump(0.02)
                    p = v.progress(n_items)
                    if st.lat_deg is not None and st.time_boot_s is not None:
                        track.append((st.time_boot_s, st.lat_deg, st.lon_deg, st.alt_amsl_m or 0.0))
                        if st.armed:
                            x, y = scene.frame.to_local(st.lat_deg, st.lon_deg)
                            if not sortie_track or math.hypot(x - sortie_track[-1][0], y - sortie_track[-1][1]) > 5:
                                sortie_track.append((x, y))
                    # Capture once the aircraft is up at search height above the ground under it
                    # (height above home is no guide: the valley lies below the launch point).
                    agl = ((st.alt_amsl_m or 0.0) - float(scene.terrain.elevation_m(st.lat_deg, st.lon_deg))
                           if st.lat_deg is not None and scene.terrain.contains(st.lat_deg, st.lon_deg) else 0.0)
                    if (st.armed and agl > 0.5 * plan.stats.agl_m and st.time_boot_s is not None
                            and st.time_boot_s >= next_capture and st.roll_deg is not None):
                        sv.speedup = 0.0  # the world waits while the frame is processed
                        true_pose = sv.true_camera_pose()
                        reported = CameraPose(st.lat_deg, st.lon_deg, st.alt_amsl_m, st.roll_deg, st.pitch_deg,
                                              st.yaw_deg, st.gimbal_roll_deg or 0.0, st.gimbal_pitch_deg or -90.0,
                                              st.gimbal_yaw_deg or 0.0, MountMode.EARTH_YAW_BODY, st.time_boot_s)
                        t0 = time.perf_counter()
                        fr = sim.render_frame(scene, cam, true_pose, seed=seed * 100_000 + frames)
                        t1 = time.perf_counter()
                        image = fr.radiometric_c if frames_kind == "radiometric" else fr.video_u8
                        outcome = pipe.process(image, reported, time_s=st.time_boot_s, frame_index=frames)
                        t2 = time.perf_counter()
                        render_s += t1 - t0
                        process_s += t2 - t1
                        frames += 1
                        n_dets += len(outcome.detections)
                        next_capture = st.time_boot_s + interval
                        sv.speedup = speedup
                    say(f"sortie {k + 1}/{len(sorties)}: flying", items_done + len(p.reached) - reached0, total_items)
                    landed = not st.armed and len(p.reached) > reached0 and (st.time_boot_s or 0.0) - t_start > 5.0
                    if landed:
                        break
                items_done += n_items
                flight_time += (v.state.time_boot_s or t_start) - t_start
                if len(sortie_track) >= 2:
                    up = pmap.update(np.asarray(sortie_track), plan.stats.sweep_width_m,
                                     canopy_fraction=_canopy_grid(scene, pmap))
                    pmap = up.posterior
                    sortie_pods.append(up.cumulative_pod)
    candidates = pipe.targets()
    # Confirmed targets were seen in at least `min_sightings` frames; single sightings stay candidates.
    targets = tuple(t for t in candidates if t.sightings >= min_sightings)
    matches, false = _match(scene, targets, takeoff_t or 0.0)
    area_km2 = plan.stats.area_m2 / 1e6
    say("writing maps", 0, 1)
    files = [out_dir / "mission.plan", tlog]
    (out_dir / "targets.geojson").write_text(targets_geojson(targets, indent=1), encoding="utf-8")
    files.append(out_dir / "targets.geojson")
    files += _write_maps(out_dir, plan, targets, track, scene, pmap)
    wall = time.monotonic() - t_wall0
    result_data = {
        "scenario": scene.name, "detector": detector, "frames": frames, "frames_kind": frames_kind,
        "render_ms_per_frame": 1000 * render_s / max(frames, 1),
        "pipeline_ms_per_frame": 1000 * process_s / max(frames, 1),
        "frame_interval_s": interval, "flight_time_s": flight_time, "wall_time_s": wall,
        "area_km2": area_km2, "false_targets": false, "cumulative_pod": pmap.cumulative_pod,
        "sortie_cumulative_pod": sortie_pods, "planned_pod": plan.stats.pod,
        "targets": len(targets), "candidates_single_sighting": len(candidates) - len(targets),
        "matches": [m.__dict__ for m in matches],
    }
    (out_dir / "summary.json").write_text(json.dumps(result_data, indent=1), encoding="utf-8")
    files.append(out_dir / "summary.json")
    summary = _summary_text(scene, plan, matches, false, area_km2, flight_time, wall, frames, render_s, process_s,
                            interval, pmap.cumulative_pod, len(targets), f"{detector} on {frames_kind} frames")
    (out_dir / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    files.append(out_dir / "summary.txt")
    return DemoResult(out_dir, tuple(files), summary, matches, false, area_km2, flight_time, wall, frames,
                      pmap.cumulative_pod, result_data)


def _region_local(scene):
    from shapely.geometry import Polygon

    ring = np.asarray(scene.search_area_latlon, float)
    x, y = scene.frame.to_local(ring[:, 0], ring[:, 1])
    return Polygon(np.column_stack([x, y]))


def _canopy_grid(scene, pmap) -> np.ndarray:
    """Canopy fraction of the scene's land cover at the probability map's cells."""
    xx, yy = pmap.cell_centres()
    return np.clip(scene.thermal.sample("canopy", xx, yy), 0.0, 1.0)


def _write_maps(out_dir: Path, plan, targets, track, scene, pmap) -> list[Path]:
    from maps import MapOptions, build_map, gpx_waypoints_text, parse_mission, parse_targets, parse_track
    from telemetry.fusion import targets_geojson

    files = []
    tgt = parse_targets(json.loads(targets_geojson(targets)))
    trk_geo = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"times_s": [t for t, *_ in track[::10]]},
        "geometry": {"type": "LineString", "coordinates": [[lon, lat, alt] for _, lat, lon, alt in track[::10]]}}]}
    trk = parse_track(trk_geo) if len(track) >= 20 else []
    opts = MapOptions(terrain=scene.terrain, title=f"thermal-sar demo: {scene.name}")
    m = build_map(mission=parse_mission(plan.to_geojson()), targets=tgt, track=trk, options=opts)
    path = out_dir / "officer_map.html"
    m.save(str(path))
    files.append(path)
    # Ground teams: one GPX with a waypoint per found target.
    gpath = out_dir / "ground_team.gpx"
    gpath.write_text(gpx_waypoints_text([
        (f"{f.id} {f.class_name}", f.lat_deg, f.lon_deg, f.alt_amsl_m,
         f"{f.class_name}, confidence {f.confidence:.2f}, {f.sightings} sightings, CEP {f.cep_m:.1f} m")
        for f in targets]), encoding="utf-8")
    files.append(gpath)
    # Where to search next: remaining probability per cell.
    lat, lon = pmap.to_lat_lon_grid()
    feats = []
    for i, j in zip(*np.nonzero(pmap.inside)):
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon[i, j]), float(lat[i, j])]},
                      "properties": {"p": float(pmap.p[i, j])}})
    ppath = out_dir / "probability.geojson"
    ppath.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    files.append(ppath)
    return files


def _summary_text(scene, plan, matches, false, area_km2, flight_time, wall, frames, render_s, process_s, interval,
                  cum_pod, n_targets, detector) -> str:
    by_kind: dict[str, list[TruthMatch]] = {}
    for m in matches:
        by_kind.setdefault(m.kind, []).append(m)
    lines = [f"thermal-sar demo: scenario {scene.name!r}, detector {detector}",
             f"  area searched       {area_km2:.2f} km^2 in {len(plan.sorties)} sortie(s), flight time {flight_time / 60:.1f} min",
             f"  frames processed    {frames} (one every {interval:.1f} s of flight; render {1000 * render_s / max(frames, 1):.0f} ms, "
             f"pipeline {1000 * process_s / max(frames, 1):.0f} ms per frame)",
             f"  targets reported    {n_targets} (seen in 2 or more frames; single sightings stay candidates)"]
    for kind, ms in by_kind.items():
        found = [m for m in ms if m.found]
        errs = [m.error_m for m in found if m.error_m is not None]
        lines.append(f"  {kind:<18}  found {len(found)} of {len(ms)}"
                     + (f", geolocation error median {np.median(errs):.1f} m, max {max(errs):.1f} m" if errs else ""))
        for m in ms:
            where = f" ({m.label})" if m.label else ""
            if m.found:
                lines.append(f"      {m.target_id:<5} {kind}{where}: error {m.error_m:.1f} m, first seen "
                             f"{m.first_seen_s / 60:.1f} min after take-off")
            else:
                lines.append(f"      -     {kind}{where}: NOT FOUND")
    errs = [m.error_m for m in matches if m.found and m.error_m is not None]
    lines.append(f"  geolocation error   median {np.median(errs):.1f} m over {len(errs)} finds" if errs else
                 "  geolocation error   no finds")
    lines.append(f"  false targets       {false} ({false / max(area_km2, 1e-9):.1f} per km^2)")
    lines.append(f"  POD                 planned {100 * plan.stats.pod:.0f} %, achieved (cumulative, canopy counted) "
                 f"{100 * cum_pod:.0f} %")
    lines.append(f"  wall time           {wall:.0f} s")
    return "\n".join(lines)
