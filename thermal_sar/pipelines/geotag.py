"""Post-flight geotagging: a flight log plus detections -> fused targets as GeoJSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo.camera import CameraModel, MountMode, camera_preset
from geo.errors import FormatError, InputError, SarIOError
from geo.frames import LocalFrame
from geo.raycast import HeightGrid
from geo.terrain import FlatTerrain, load_terrain
from telemetry.fusion import FusedTarget, Sighting, fuse_sightings, targets_geojson
from telemetry.geotag import ErrorModel, geotag_pixels
from telemetry.glitch import estimate_clock_offset
from telemetry.dji import read_dji_pose
from telemetry.logs import LogSummary, read_log
from telemetry.track import PoseArrays
from vision.detection import Detection

__all__ = ["GeotagReport", "geotag_flight", "geotag_dji_images", "read_detections"]


@dataclass(frozen=True)
class GeotagReport:
    out_path: Path
    detections: int
    geotagged: int
    outside_log: int
    no_ground: int
    clock_offset_s: float
    clock_offset_source: str
    terrain_name: str
    log: LogSummary
    targets: tuple[FusedTarget, ...] = field(repr=False)

    def summary(self) -> str:
        lines = [
            self.log.describe(),
            f"clock offset {self.clock_offset_s:+.3f} s ({self.clock_offset_source}); terrain: {self.terrain_name}",
            f"{self.detections} detections: {self.geotagged} on the ground, {self.outside_log} outside the log's "
            f"time span, {self.no_ground} whose ray met no ground",
            f"{len(self.targets)} targets -> {self.out_path}",
        ]
        for t in self.targets[:10]:
            lines.append(f"  {t.id} {t.class_name:8s} {t.lat_deg:.6f},{t.lon_deg:.6f} CEP {t.cep_m:.1f} m, "
                         f"{t.sightings} sighting(s), confidence {t.confidence:.2f}")
        if len(self.targets) > 10:
            lines.append(f"  ... and {len(self.targets) - 10} more")
        return "\n".join(lines)


_MAX_PX = 100_000.0  # no thermal frame is this many pixels across


def read_detections(path: str | Path) -> tuple[Detection, ...]:
    """Detections from JSON: a list of Detection dicts, or ``{"detections": [...]}`` (``thermal-sar detect``'s
    detections.json)."""
    return read_detections_with_images(path)[0]


def read_detections_with_images(path: str | Path) -> tuple[tuple[Detection, ...], tuple[str, ...]]:
    """(detections, the image file each was found in): for ``thermal-sar detect``'s detections.json the
    ``source`` of the frame record with the detection's ``frame_index`` (a detection's own ``source`` names
    its detector), else the detection's ``source``. Every field is checked: a file that is not JSON, a
    detection whose box or time is not a finite number, or a box beyond any frame, is one FormatError
    naming the detection."""
    p = Path(path)
    try:
        data = json.loads(p.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise SarIOError(f"cannot read detections {str(p)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{p.name}: not a text file, so not detections JSON. Hint: give the detections.json "
                          "that `thermal-sar detect` wrote.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{p.name}: not JSON ({exc.msg} at line {exc.lineno}).") from None
    rows = data.get("detections") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise FormatError(f"{p.name}: expected a list of detections or an object with a 'detections' list.")
    frame_src: dict[int, str] = {}
    if isinstance(data, dict) and isinstance(data.get("frames"), list):
        for f in data["frames"]:
            if isinstance(f, dict) and isinstance(f.get("frame_index"), int) and isinstance(f.get("source"), str):
                frame_src[f["frame_index"]] = f["source"].split("#")[0]
    out, images = [], []
    hint = "Hint: fields top_px, left_px, bottom_px, right_px, score, class_name, frame_time_s."
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise FormatError(f"{p.name}: detection {i} is not an object. {hint}")
        for k in ("top_px", "left_px", "bottom_px", "right_px", "score"):
            v = r.get(k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise FormatError(f"{p.name}: detection {i}: {k}={v!r} is not a finite number. {hint}")
            if k != "score" and abs(v) > _MAX_PX:
                raise FormatError(f"{p.name}: detection {i}: {k}={v!r} is out of range: allowed within "
                                  f"+-{_MAX_PX:.0f} px (a box in the frame).")
        t = r.get("frame_time_s")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t)):
            raise FormatError(f"{p.name}: detection {i}: frame_time_s={t!r} is not a finite number of seconds "
                              "(or null).")
        fi = r.get("frame_index")
        if fi is not None and (isinstance(fi, bool) or not isinstance(fi, int) or fi < 0):
            raise FormatError(f"{p.name}: detection {i}: frame_index={fi!r} is not a whole number >= 0 (or null).")
        try:
            d = Detection.from_dict(r)
        except (TypeError, KeyError, InputError) as exc:
            raise FormatError(f"{p.name}: detection {i} is not a detection ({exc}). {hint}") from None
        out.append(d)
        images.append(frame_src.get(fi, d.source) if fi is not None else d.source)
    return tuple(out), tuple(images)


def geotag_flight(log_path: str | Path, detections_path: str | Path, out_path: str | Path, *,
                  camera: str | CameraModel = "h20t", dem_paths=(), clock_offset_s: float | None = None,
                  errors: ErrorModel | None = None, max_time_gap_s: float = 0.5) -> GeotagReport:
    """Geotag the detections of a flight, fuse repeated sightings, write targets GeoJSON.

    ``clock_offset_s`` is added to detection frame times to put them on the
    autopilot's clock; None estimates it from camera trigger events in the
    log when there are enough, else uses 0. Without a DEM the ground is flat
    at the home altitude (say so to the user: fine on a plain, wrong in hills).
    """
    cam = camera if isinstance(camera, CameraModel) else camera_preset(camera)
    log = read_log(log_path)
    track = log.track
    dets = read_detections(detections_path)
    if any(d.frame_time_s is None for d in dets):
        raise InputError("every detection needs frame_time_s to be geotagged from a log. Hint: run the detector "
                         "on a video or on frames with timestamps.")
    times = np.array([d.frame_time_s for d in dets], float)
    if clock_offset_s is not None and not math.isfinite(clock_offset_s):
        raise InputError(f"clock_offset_s={clock_offset_s!r} is not a finite number of seconds. Hint: the offset "
                         "that puts frame times on the log's clock (log time = frame time + offset), e.g. 12.5.")
    if clock_offset_s is not None:
        off, source = float(clock_offset_s), "given"
    elif log.summary.kind == "dji-srt":
        off, source = 0.0, "0: DJI subtitles are on the video's own clock"
    else:
        events = [e.time_s for e in track.camera_events]
        off, source = 0.0, "none: no camera trigger events, assumed 0"
        if len(events) >= 2 and np.unique(times).size >= 2:
            try:
                off, n = estimate_clock_offset(np.unique(times), events)
                source = f"estimated from {n} camera trigger events"
            except InputError as exc:
                source = f"NOT estimated, assumed 0: {exc}"
    if dem_paths:
        terrain = load_terrain([Path(p) for p in dem_paths])
        tname = terrain.name
    else:
        h = log.home_alt_amsl_m if log.home_alt_amsl_m is not None else float(np.min(track.alt_amsl_m))
        terrain = FlatTerrain(h)
        tname = f"flat at {h:.1f} m AMSL (no DEM given: wrong in hilly terrain, pass --dem)"
    t = times + off
    inside = (t >= track.start_s - max_time_gap_s) & (t <= track.end_s + max_time_gap_s)
    sight: list[Sighting] = []
    n_hit = 0
    if inside.any():
        idx = np.flatnonzero(inside)
        poses = track.poses_at(np.clip(t[idx], track.start_s, track.end_s))
        frame = LocalFrame.at(float(np.mean(track.lat_deg)), float(np.mean(track.lon_deg)))
        xs, ys = frame.to_local(track.lat_deg, track.lon_deg)
        agl = float(np.max(track.alt_amsl_m) - np.min(track.alt_amsl_m)) + 300.0
        radius = 0.5 * max(float(np.ptp(xs)), float(np.ptp(ys))) + min(5000.0, 8 * agl)
        grid = HeightGrid.around(terrain, frame, float(np.mean(xs)), float(np.mean(ys)), radius,
                                 res_m=max(terrain.resolution_m, radius / 2000.0))
        res = geotag_pixels([dets[i].row_px for i in idx], [dets[i].col_px for i in idx], poses, cam, grid,
                            errors=errors, velocity_enu_m_s=track.velocity_m_s(poses.time_s),
                            yaw_rate_deg_s=track.yaw_rate_deg_s(poses.time_s))
        for k, i in enumerate(idx):
            if not res.hit[k]:
                continue
            d = dets[i]
            c = res.cov_en_m2[k]
            sight.append(Sighting(float(res.lat_deg[k]), float(res.lon_deg[k]), float(res.alt_amsl_m[k]),
                                  ((float(c[0, 0]), float(c[0, 1])), (float(c[1, 0]), float(c[1, 1]))),
                                  d.class_name, float(d.score), float(t[i]), d.frame_index))
        n_hit = len(sight)
    targets = fuse_sightings(sight)
    out = _write_targets(targets, out_path)
    n_out = int(np.count_nonzero(~inside))
    return GeotagReport(out, len(dets), n_hit, n_out, len(dets) - n_out - n_hit, off, source, tname, log.summary,
                        targets)




def _write_targets(targets, out_path) -> Path:
    out = Path(out_path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(targets_geojson(targets, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SarIOError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    return out


def geotag_dji_images(image_paths, detections_path: str | Path, out_path: str | Path, *,
                      camera: str | CameraModel = "h20t", dem_paths=(), errors: ErrorModel | None = None) -> GeotagReport:
    """Geotag detections on DJI images from each image's XMP pose (no flight log needed).

    A detection belongs to the image named by its ``source`` (file name).
    The gimbal angles of DJI XMP are absolute (:attr:`MountMode.EARTH`).
    Without a DEM the ground is flat at the take-off altitude
    (``AbsoluteAltitude - RelativeAltitude``, in DJI's altitude datum).
    """
    cam = camera if isinstance(camera, CameraModel) else camera_preset(camera)
    paths = [Path(p) for p in image_paths]
    if not paths:
        raise InputError("no DJI images given. Hint: pass the folder of the flight's JPEGs.")
    poses = {p.name: read_dji_pose(p) for p in paths}
    dets, images = read_detections_with_images(detections_path)
    names = [Path(im or "").name for im in images]
    idx = [i for i, n in enumerate(names) if n in poses]
    if dem_paths:
        terrain = load_terrain([Path(p) for p in dem_paths])
        tname = terrain.name
    else:
        h = float(np.median([p.takeoff_alt_m for p in poses.values()]))
        terrain = FlatTerrain(h)
        tname = f"flat at the take-off altitude {h:.1f} m (no DEM given: wrong in hilly terrain, pass --dem)"
    sight: list[Sighting] = []
    if idx:
        ps = [poses[names[i]] for i in idx]
        arr = {k: np.array([getattr(p, k) for p in ps], float) for k in (
            "lat_deg", "lon_deg", "abs_alt_m", "flight_roll_deg", "flight_pitch_deg", "flight_yaw_deg",
            "gimbal_roll_deg", "gimbal_pitch_deg", "gimbal_yaw_deg")}
        times = np.array([dets[i].frame_time_s or 0.0 for i in idx], float)
        pa = PoseArrays(times, arr["lat_deg"], arr["lon_deg"], arr["abs_alt_m"], arr["flight_roll_deg"],
                        arr["flight_pitch_deg"], arr["flight_yaw_deg"], arr["gimbal_roll_deg"],
                        arr["gimbal_pitch_deg"], arr["gimbal_yaw_deg"], MountMode.EARTH, np.ones(len(idx), bool))
        frame = LocalFrame.at(float(np.mean(arr["lat_deg"])), float(np.mean(arr["lon_deg"])))
        xs, ys = frame.to_local(arr["lat_deg"], arr["lon_deg"])
        radius = 0.5 * max(float(np.ptp(xs)), float(np.ptp(ys))) + 1500.0
        grid = HeightGrid.around(terrain, frame, float(np.mean(xs)), float(np.mean(ys)), radius,
                                 res_m=max(terrain.resolution_m, radius / 2000.0))
        res = geotag_pixels([dets[i].row_px for i in idx], [dets[i].col_px for i in idx], pa, cam, grid,
                            errors=errors)
        for k, i in enumerate(idx):
            if res.hit[k]:
                d = dets[i]
                c = res.cov_en_m2[k]
                sight.append(Sighting(float(res.lat_deg[k]), float(res.lon_deg[k]), float(res.alt_amsl_m[k]),
                                      ((float(c[0, 0]), float(c[0, 1])), (float(c[1, 0]), float(c[1, 1]))),
                                      d.class_name, float(d.score), float(times[k]), d.frame_index))
    targets = fuse_sightings(sight)
    out = _write_targets(targets, out_path)
    summ = LogSummary(str(paths[0].parent), "dji-xmp", len(paths), 0)
    return GeotagReport(out, len(dets), len(sight), len(dets) - len(idx), len(idx) - len(sight), 0.0,
                        "not needed: pose from each image's XMP", tname, summ, targets)
