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
   detect, geotag with uncertainty, fuse into targets, and confirm each target
   against the frames that covered it (``telemetry.confirm``): reported targets
   were seen in most of their opportunities with a consistent class and size;
   the rest are candidates, written and listed apart, never counted as found.
5. After each sortie update the probability map of the subject's location
   (``mission.search_next``) with the flown track.
6. Write the officer map (offline HTML), the ground-team GPX, targets and
   candidates GeoJSON, the tlog and a summary that compares what was found with
   the truth: planted targets found, duplicates, known decoys (warm rocks, a
   chimney, an engine) reported, other false targets, candidates.

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
from geo.errors import InputError, LinkError, SarIOError
from thermal_sar.pipelines.detect import make_detector
from thermal_sar.pipelines.search import FramePipeline, frame_interval_s

__all__ = ["DemoResult", "TruthMatch", "TruthReport", "run_demo", "score_against_truth", "DEMO_TARGET_FOR_SCENARIO"]

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
DECOY_WITHIN_M = 10.0  # a false target within this distance of a planted decoy is that decoy
_SILENCE_LIMIT_S = 60.0  # wall seconds without a new vehicle time while flying: the flight is lost


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
    reported_class: str | None = None  # the class the pipeline gave the target that found it
    candidate_id: str | None = None  # when not found: a candidate within reach of it, if any


@dataclass(frozen=True)
class TruthReport:
    """Reported targets and candidates scored against the scene's truth.

    ``decoys``: reported targets on a planted decoy (a real heat source that is not a
    target), as (target id, decoy kind); ``other_false``: ids of reported targets near
    neither; ``duplicates``: ids of second targets on one planted target. The
    ``candidate_*`` counts split the candidates the same way.
    """

    matches: tuple[TruthMatch, ...]
    duplicates: tuple[str, ...]
    decoys: tuple[tuple[str, str], ...]
    other_false: tuple[str, ...]
    candidates_at_targets: int
    candidates_at_decoys: int
    candidates_other: int

    @property
    def false_targets(self) -> int:
        """Reported targets that are not a planted target: known decoys and the rest."""
        return len(self.decoys) + len(self.other_false)


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
    truth: TruthReport | None = field(repr=False, default=None)
    candidates: int = 0


def _launch_point(scene) -> tuple[float, float]:
    """Where the pilot takes off: the farmyard beside the pen, else the area's first corner."""
    pens = scene.pens_latlon
    if pens:
        pen = np.asarray(pens[0], float)
        return float(pen[:, 0].mean()), float(pen[:, 1].mean())
    return scene.search_area_latlon[0]


def _match(scene, targets, takeoff_t_s: float) -> tuple[tuple[TruthMatch, ...], int]:
    """Matches of planted targets and the number of false targets (see :func:`score_against_truth`)."""
    rep = score_against_truth(scene, targets, (), takeoff_t_s)
    return rep.matches, rep.false_targets


def _near(points_latlon, lat: float, lon: float) -> tuple[float, int]:
    """Distance (m) to the nearest of ``points_latlon`` and its index; (inf, -1) when there are none."""
    if not points_latlon:
        return math.inf, -1
    d = [float(distance_m(a, b, lat, lon)) for a, b in points_latlon]
    i = int(np.argmin(d))
    return d[i], i


def score_against_truth(scene, targets, candidates, takeoff_t_s: float) -> TruthReport:
    """Score reported ``targets`` (and ``candidates``) against the planted targets and decoys of ``scene``.

    A planted target is found by the nearest reported target within
    :data:`FOUND_WITHIN_M`: first among those of a class that fits its kind, then of
    any class (a body reported with the wrong class still sends the ground team to
    it; the match records the class reported). A reported target near a planted one
    it did not claim is a duplicate; one within :data:`DECOY_WITHIN_M` of a planted
    decoy is that decoy; the rest are other false targets.
    """
    planted = [(t.lat_deg, t.lon_deg) for t in scene.targets]
    decoys = [(d.lat_deg, d.lon_deg) for d in scene.decoys]
    used_t: dict[int, tuple[int, float]] = {}
    used_f: set[int] = set()
    for strict in (True, False):
        pairs = []
        for i, t in enumerate(scene.targets):
            if i in used_t:
                continue
            ok = _KIND_CLASSES.get(t.kind, {t.class_name})
            for j, f in enumerate(targets):
                if j in used_f or (strict and not (f.class_name in ok or f.class_name == "hotspot")):
                    continue
                d = float(distance_m(t.lat_deg, t.lon_deg, f.lat_deg, f.lon_deg))
                if d <= FOUND_WITHIN_M:
                    pairs.append((d, i, j))
        pairs.sort()
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
            out.append(TruthMatch(t.kind, t.label, t.lat_deg, t.lon_deg, True, f.id, d, f.first_seen_s - takeoff_t_s,
                                  f.class_name))
        else:
            near = [(float(distance_m(t.lat_deg, t.lon_deg, c.lat_deg, c.lon_deg)), c.id) for c in candidates]
            near = [x for x in near if x[0] <= FOUND_WITHIN_M]
            out.append(TruthMatch(t.kind, t.label, t.lat_deg, t.lon_deg, False, None, None, None, None,
                                  min(near)[1] if near else None))
    dup, dec, other = [], [], []
    for j, f in enumerate(targets):
        if j in used_f:
            continue
        if _near(planted, f.lat_deg, f.lon_deg)[0] <= FOUND_WITHIN_M:
            dup.append(f.id)
            continue
        dd, k = _near(decoys, f.lat_deg, f.lon_deg)
        if dd <= DECOY_WITHIN_M:
            dec.append((f.id, scene.decoys[k].kind))
        else:
            other.append(f.id)
    c_t = c_d = c_o = 0
    for c in candidates:
        if _near(planted, c.lat_deg, c.lon_deg)[0] <= FOUND_WITHIN_M:
            c_t += 1
        elif _near(decoys, c.lat_deg, c.lon_deg)[0] <= DECOY_WITHIN_M:
            c_d += 1
        else:
            c_o += 1
    return TruthReport(tuple(out), tuple(dup), tuple(dec), tuple(other), c_t, c_d, c_o)


def _plan_target(scene) -> str:
    """The planner's target preset for a scenario file: its first planted target's kind, else a lying adult."""
    from mission.targets import TARGET_PRESETS

    for t in scene.targets:
        name = t.kind.replace("_", "-")
        if name in TARGET_PRESETS:
            return name
    return "adult-lying"


def run_demo(out_dir: Path, *, scenario: str = "sheep", detector: str = "classical", seed: int = 7,
             speedup: float = 80.0, camera: str = "m30t", frames_kind: str = "radiometric", min_score: float = 0.5,
             min_sightings: int = 2,
             max_sorties: int | None = None,
             progress: Callable[[str, float, float], None] | None = None,
             evidence_score: float = 0.3, min_support: float = 0.5, sink=None) -> DemoResult:
    """Run the whole demo search; see the module docstring.

    ``frames_kind`` is what the camera delivers: ``"radiometric"`` (temperature per
    pixel, as radiometric thermal cores stream) or ``"video"`` (8-bit AGC video).
    ``min_score`` is the detector's operating point: a target is reported only when
    one of its sightings reaches it. Detections down to ``evidence_score`` are kept as
    sightings (evidence for a target, never a target alone). A target is reported once
    seen in ``min_sightings`` frames with a support of at least ``min_support`` (its
    sightings' scores summed over the frames whose footprint covered it: about the
    fraction of those frames that saw it), with a consistent class and size
    (:class:`telemetry.confirm.ConfirmationRule`); the others stay candidates.
    ``progress(stage, done, total)`` is called as the flight goes on (for a progress bar).
    ``sink`` (e.g. :class:`thermal_sar.pipelines.live.DemoServeSink`, the live server's feed) gets
    ``mission(geojson)``, ``telemetry(state)``, ``frame(pipeline, pose, outcome)`` and ``finish(targets)``.
    """
    import sim
    from mission import plan_search, write_plan
    from mission.search_next import ProbabilityMap
    from sim.vehicle import SimVehicle, VehicleConfig
    from telemetry.control import Vehicle
    from telemetry.confirm import ConfirmationRule
    from telemetry.geotag import ErrorModel
    from telemetry.link import MavlinkLink

    if frames_kind not in ("radiometric", "video"):
        raise InputError(f"frames_kind={frames_kind!r} is not known: allowed 'radiometric' or 'video'.")
    if not 0.0 <= evidence_score <= 1.0:
        raise InputError(f"evidence_score={evidence_score!r} is out of range: allowed 0..1.")
    rule = ConfirmationRule(min_hits=min_sightings, min_support=min_support, min_best_score=min_score)
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
    target_name = DEMO_TARGET_FOR_SCENARIO.get(scene.name) or _plan_target(scene)
    say("planning", 0, 1)
    plan = plan_search(list(scene.search_area_latlon), camera=cam, target=target_name, terrain=scene.terrain,
                       launch=launch)
    sorties = plan.sorties[: max_sorties or None]
    write_plan(plan, out_dir / "mission.plan")
    if sink is not None:
        sink.mission(plan.to_geojson())
    speed = 10.0
    # Consecutive frames overlap by 70 % of a footprint, so every point is seen about three
    # times along the track (more where passes overlap): the opportunities a target is judged by.
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
    pipe = FramePipeline(cam, scene.terrain, scene.frame, make_detector(detector), errors=errors, grid=scene.grid,
                         min_score=min(evidence_score, min_score))
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
    # The simulation loop advances step_s of wall time per turn (speedup x that in sim time) and
    # frames are taken between turns: 5 ms keeps the capture within 0.4 s (4 m) of its schedule.
    with SimVehicle(cfg, tcp_port=0, speedup=speedup, step_s=0.005) as sv:
        # The world stands still (and says nothing) while a frame is processed; on a busy machine that
        # can last seconds, which is no lost link: allow 30 s of silence before reconnecting (a
        # reconnect races the simulator's one-client rule and can lose the vehicle for good).
        with MavlinkLink(f"tcp:127.0.0.1:{sv.tcp_port}", tlog_path=tlog, link_lost_s=30.0) as link:
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
                last_boot_s, heard_at = st.time_boot_s, time.monotonic()
                while True:
                    st = v.pump(0.005)
                    if st.time_boot_s != last_boot_s:
                        last_boot_s, heard_at = st.time_boot_s, time.monotonic()
                    elif time.monotonic() - heard_at > _SILENCE_LIMIT_S:
                        raise LinkError(
                            f"the simulated vehicle has said nothing for {_SILENCE_LIMIT_S:.0f} s in sortie {k + 1} "
                            f"(link events: {', '.join(f'{e.kind} {e.detail}' for e in link.events[-3:])}). "
                            "Hint: the machine may be overloaded; run the demo again.")
                    if sink is not None:
                        sink.telemetry(st)
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
                        if sink is not None:
                            sink.frame(pipe, reported, outcome)
                        t2 = time.perf_counter()
                        render_s += t1 - t0
                        process_s += t2 - t1
                        frames += 1
                        n_dets += len(outcome.detections)
                        # On a fixed schedule (not "interval after the late one"), so the frames keep
                        # the planned overlap however the loop's turns fall.
                        next_capture = max(next_capture + interval, st.time_boot_s + 0.5 * interval)
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
    assessment = pipe.assess(rule)
    targets = assessment.confirmed
    if sink is not None:
        sink.finish(targets)
    candidates = assessment.candidates
    truth = score_against_truth(scene, targets, candidates, takeoff_t or 0.0)
    matches, false = truth.matches, truth.false_targets
    area_km2 = plan.stats.area_m2 / 1e6
    say("writing maps", 0, 1)
    files = [out_dir / "mission.plan", tlog]
    (out_dir / "targets.geojson").write_text(_evidence_geojson(targets, assessment, None), encoding="utf-8")
    files.append(out_dir / "targets.geojson")
    (out_dir / "candidates.geojson").write_text(_evidence_geojson(candidates, assessment, "candidate"),
                                                encoding="utf-8")
    files.append(out_dir / "candidates.geojson")
    files += _write_maps(out_dir, plan, targets, track, scene, pmap)
    wall = time.monotonic() - t_wall0
    result_data = {
        "scenario": scene.name, "detector": detector, "frames": frames, "frames_kind": frames_kind,
        "render_ms_per_frame": 1000 * render_s / max(frames, 1),
        "pipeline_ms_per_frame": 1000 * process_s / max(frames, 1),
        "frame_interval_s": interval, "flight_time_s": flight_time, "wall_time_s": wall,
        "area_km2": area_km2, "false_targets": false, "cumulative_pod": pmap.cumulative_pod,
        "sortie_cumulative_pod": sortie_pods, "planned_pod": plan.stats.pod,
        "targets": len(targets), "candidates_single_sighting": sum(1 for c in candidates if c.sightings == 1),
        "matches": [m.__dict__ for m in matches],
        "seed": seed, "sightings": len(pipe.sightings),
        "false_targets_per_km2": false / max(area_km2, 1e-9),
        "false_targets_decoys": len(truth.decoys), "false_targets_other": len(truth.other_false),
        "other_false_targets_per_km2": len(truth.other_false) / max(area_km2, 1e-9),
        "decoys_reported": [{"id": i, "kind": k} for i, k in truth.decoys],
        "other_false_target_ids": list(truth.other_false), "duplicates": list(truth.duplicates),
        "candidates": len(candidates), "candidates_seen_twice_or_more": sum(1 for c in candidates if c.sightings >= 2),
        "candidates_at_targets": truth.candidates_at_targets, "candidates_at_decoys": truth.candidates_at_decoys,
        "candidates_other": truth.candidates_other,
        "confirmation": {"min_hits": rule.min_hits, "min_support": rule.min_support,
                         "min_best_score": rule.min_best_score, "evidence_score": min(evidence_score, min_score),
                         "min_class_share": rule.min_class_share, "max_area_spread": rule.max_area_spread,
                         "edge_margin_m": rule.edge_margin_m},
        "evidence": [e.to_dict() for e in assessment.evidence if e.hits >= 2],
    }
    (out_dir / "summary.json").write_text(json.dumps(result_data, indent=1), encoding="utf-8")
    files.append(out_dir / "summary.json")
    summary = _summary_text(scene, plan, truth, area_km2, flight_time, wall, frames, render_s, process_s,
                            interval, pmap.cumulative_pod, len(targets), assessment, rule, detector, frames_kind)
    (out_dir / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    files.append(out_dir / "summary.txt")
    return DemoResult(out_dir, tuple(files), summary, matches, false, area_km2, flight_time, wall, frames,
                      pmap.cumulative_pod, result_data, truth, len(candidates))


def _evidence_geojson(targets, assessment, status: str | None) -> str:
    """Targets as GeoJSON (``telemetry.targets_geojson``) with their evidence: hits, opportunities, verdict."""
    from dataclasses import replace

    from telemetry.fusion import targets_geojson

    if status is not None:
        targets = [replace(t, status=status) for t in targets]
    doc = json.loads(targets_geojson(targets))
    for f in doc["features"]:
        e = assessment.evidence_of(f["properties"]["id"])
        f["properties"].update({"hits": e.hits, "opportunities": e.opportunities,
                                "hit_fraction": round(e.hit_fraction, 3), "support": round(e.support, 3),
                                "confirmed": e.confirmed,
                                "unconfirmed_because": list(e.reasons)})
    return json.dumps(doc, indent=1)


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
    from maps import parse_mission
    from thermal_sar.pipelines.search import write_map_and_gpx

    files = write_map_and_gpx(out_dir, targets, track[::10] if len(track) >= 20 else [], terrain=scene.terrain,
                              title=f"thermal-sar demo: {scene.name}", mission=parse_mission(plan.to_geojson()))
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


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it here (translated where it is shown)."""
    return message


# Planted targets and decoys by kind, as the summary names them.
_KIND_NAMES = {
    "sheep": N_("sheep"), "cow": N_("cow"), "dog": N_("dog"), "adult_standing": N_("adult, standing"),
    "adult_lying": N_("adult, lying"), "child": N_("child"), "child_standing": N_("child, standing"),
    "child_lying": N_("child, lying"), "rock": N_("warm rock"), "chimney": N_("chimney"),
    "car_engine": N_("car engine"), "campfire": N_("campfire"), "warm_water_outlet": N_("warm water outlet"),
}
_REASON_NAMES = {
    "few_hits": N_("seen in too few frames"), "low_support": N_("missed or unsure in most frames that covered it"),
    "low_score": N_("no confident sighting"), "mixed_class": N_("class changes between sightings"),
    "inconsistent_size": N_("size changes between sightings"),
}


def _summary_text(scene, plan, truth: TruthReport, area_km2, flight_time, wall, frames, render_s, process_s,
                  interval, cum_pod, n_targets, assessment, rule, detector, frames_kind) -> str:
    """The human summary, in the CLI's language (``--lang`` / ``LANG``; see docs/i18n.md)."""
    from collections import Counter

    from maps.i18n import gettext_for

    _ = tr = gettext_for()

    def kind_name(kind: str) -> str:
        return _(_KIND_NAMES[kind]) if kind in _KIND_NAMES else kind

    def class_name(cls: str | None) -> str:
        try:
            return tr.s(f"class_{cls}")
        except InputError:  # a class the catalogue does not know: shown as the pipeline named it
            return str(cls)

    candidates = assessment.candidates
    ms = 1000.0 / max(frames, 1)
    per_km2 = truth.false_targets / max(area_km2, 1e-9)
    rows = [
        (_("area searched"), tr.ngettext("{area} km² in {n} sortie, flight time {time}",
                                         "{area} km² in {n} sorties, flight time {time}", len(plan.sorties)).format(
            area=tr.number(area_km2, 2), n=len(plan.sorties), time=tr.duration(flight_time))),
        (_("frames processed"), _("{frames} (one every {interval} s of flight; render {render} ms, pipeline "
                                  "{pipeline} ms per frame)").format(
            frames=frames, interval=tr.number(interval, 1), render=tr.number(render_s * ms),
            pipeline=tr.number(process_s * ms))),
        (_("targets reported"), _("{n} (seen in at least {hits} frames, with a mean score of {support} or more "
                                  "over the frames that covered them, a consistent class and size)").format(
            n=n_targets, hits=rule.min_hits, support=tr.number(rule.min_support, 2))),
    ]
    lines = [_("thermal-sar demo: scenario {scenario}, {detector} detector on {kind} frames").format(
        scenario=scene.name, detector=detector, kind=_("radiometric") if frames_kind == "radiometric" else _("video")),
        *tr.table(rows)]
    by_kind: dict[str, list[TruthMatch]] = {}
    for m in truth.matches:
        by_kind.setdefault(m.kind, []).append(m)
    for kind, group in by_kind.items():
        found = [m for m in group if m.found]
        errs = [m.error_m for m in found if m.error_m is not None]
        head = _("{kind}: found {found} of {planted}").format(kind=kind_name(kind), found=len(found),
                                                             planted=len(group))
        if errs:
            head += _(", geolocation error median {median}, max {max}").format(
                median=_("{m} m").format(m=tr.number(float(np.median(errs)), 1)),
                max=_("{m} m").format(m=tr.number(max(errs), 1)))
        lines.append("  " + head)
        for m in group:
            where = f" ({m.label})" if m.label else ""
            if m.found:
                ok = _KIND_CLASSES.get(m.kind, set())
                as_ = "" if (m.reported_class in ok or m.reported_class == "hotspot") else \
                    " " + _("(reported as {cls})").format(cls=class_name(m.reported_class))
                lines.append("      " + _("{id} {kind}{where}: error {error}, first seen {time} after take-off").format(
                    id=m.target_id, kind=kind_name(m.kind), where=where,
                    error=_("{m} m").format(m=tr.number(m.error_m, 1)),
                    time=_("{min} min").format(min=tr.number(m.first_seen_s / 60.0, 1))) + as_)
            elif m.candidate_id:
                e = assessment.evidence_of(m.candidate_id)
                lines.append("      " + _("- {kind}{where}: NOT FOUND; candidate {id} near it, seen in {hits} of "
                                          "{opportunities} frames: {why}").format(
                    kind=kind_name(m.kind), where=where, id=m.candidate_id, hits=e.hits,
                    opportunities=e.opportunities, why="; ".join(_(_REASON_NAMES[r]) for r in e.reasons)))
            else:
                lines.append("      " + _("- {kind}{where}: NOT FOUND").format(kind=kind_name(m.kind), where=where))
    errs = [m.error_m for m in truth.matches if m.found and m.error_m is not None]
    rows = [(_("geolocation error"), _("median {median} over {n} finds").format(
        median=_("{m} m").format(m=tr.number(float(np.median(errs)), 1)), n=len(errs)) if errs else _("no finds"))]
    decoy_kinds = Counter(k for _i, k in truth.decoys)
    dec = ", ".join(f"{n} {kind_name(k)}" for k, n in sorted(decoy_kinds.items()))
    rows.append((_("false targets"), _("{n} ({per_km2} per km²): {decoys} on known decoys{which}, {other} "
                                       "elsewhere ({other_per_km2} per km²)").format(
        n=truth.false_targets, per_km2=tr.number(per_km2, 1), decoys=len(truth.decoys),
        which=f" ({dec})" if dec else "", other=len(truth.other_false),
        other_per_km2=tr.number(len(truth.other_false) / max(area_km2, 1e-9), 1))))
    if truth.duplicates:
        rows.append((_("duplicates"), _("{n} second targets on a planted one (not counted as false)").format(
            n=len(truth.duplicates))))
    rows.append((_("candidates"), _("{n} not confirmed, not counted ({twice} seen twice or more): {at_targets} at "
                                    "planted targets, {at_decoys} at decoys, {other} elsewhere").format(
        n=len(candidates), twice=sum(1 for c in candidates if c.sightings >= 2),
        at_targets=truth.candidates_at_targets, at_decoys=truth.candidates_at_decoys, other=truth.candidates_other)))
    rows.append((_("POD"), _("planned {planned}, achieved (cumulative, canopy counted) {achieved}").format(
        planned=tr.percent(plan.stats.pod), achieved=tr.percent(cum_pod))))
    rows.append((_("wall time"), _("{s} s").format(s=tr.number(wall))))
    lines += tr.table(rows)
    return "\n".join(lines)
