"""Post-flight replay: a flight log plus the thermal video or frames -> targets, officer map, GPX, summary.

The frames go through the same :class:`~thermal_sar.pipelines.search.FramePipeline`
as the demo and a live flight (detect, geotag with uncertainty, fuse); each
frame's camera pose comes from

* the flight log (tlog or DataFlash) at the frame's time on the flight clock,
  ``log time = frame time + clock offset``; or a DJI video's subtitles
  (``.SRT``, found beside the video when no log is given: :mod:`telemetry.srt`),
  which are on the video's own clock (offset 0); or
* the image itself: DJI radiometric JPEGs carry their pose in XMP, so a folder
  of them needs no log at all.

Frame times (:mod:`vision.io`): a video's frames are stamped with the stream
position plus a start time (``video_start``: the flight-clock second of the
first frame, or an ISO UTC time matched to the log's own UTC clock); an image
sequence's with ``fps`` when given, else with each file's EXIF time.

The clock offset, in this order: given (``clock_offset_s``); from a numeric
``video_start``; estimated from the log's camera-trigger events
(:func:`telemetry.camera_sync.fit_clock_offset`, for image sequences: one
image per trigger); from the log's UTC clock (ISO ``video_start``, or EXIF
times). Nothing fits: an :class:`~geo.errors.InputError` that says what to pass.

A 30 fps stream overlaps almost entirely from one frame to the next (at 10 m/s
and 60 m a frame moves 0.33 m of a 28 m footprint): detecting on every frame
repeats the same look 80 times. ``every=None`` detects on every N-th frame
such that consecutive processed footprints still overlap by ``overlap``
(default 0.9: every ground point is seen in about ten processed frames); see
docs/replay.md.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from geo.camera import CameraModel, camera_preset
from geo.errors import InputError, SarIOError
from geo.frames import LocalFrame
from geo.terrain import FlatTerrain, Terrain, load_terrain
from telemetry.camera_sync import ClockFit, fit_clock_offset
from telemetry.confirm import ConfirmationRule
from telemetry.fusion import FusedTarget
from telemetry.geotag import ErrorModel
from telemetry.logs import FlightLog, read_log
from telemetry.srt import find_sibling_srt
from thermal_sar.pipelines.demo import _evidence_geojson
from thermal_sar.pipelines.detect import make_detector
from thermal_sar.pipelines.search import FramePipeline, frame_interval_s, write_map_and_gpx
from thermal_sar.pipelines.staging import Staging
from vision.frame import ThermalFrame
from vision.io import IMAGE_SUFFIXES, VIDEO_SUFFIXES, iter_sequence, iter_video, natural_key

__all__ = ["FrameSource", "ClockChoice", "ReplayResult", "open_frame_source", "parse_video_start", "choose_every",
           "run_replay", "summary_text", "DJI_CAMERAS"]

# DJI EXIF model -> camera preset, so a folder of DJI JPEGs needs no --camera.
DJI_CAMERAS = {"ZH20T": "h20t", "ZH20N": "h20t", "M30T": "m30t", "M3T": "mavic3t", "MAVIC3T": "mavic3t",
               "ZH30T": "h30t", "H30T": "h30t"}
_MAX_INTERVAL_S = 1.0  # never fewer than one processed frame per second of flight
_ON_GROUND_M = 2.0  # a DJI subtitle height above take-off this low: the recording started on the ground


@dataclass(frozen=True)
class FrameSource:
    """Where frames come from: a video file, or image files in natural order.

    ``count`` is the number of frames (a video's from its container, which may
    be approximate); ``fps`` the video's frame rate (None for images).
    """

    path: Path
    kind: str  # "video" or "images"
    count: int
    fps: float | None = None
    paths: tuple[Path, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class ClockChoice:
    """How frame times were put on the flight clock: ``log time = frame time + offset_s``.

    ``source``: ``given``, ``video-start``, ``triggers``, ``utc`` (the log's UTC clock), ``srt``
    (DJI subtitles: the video's own clock),
    ``xmp`` (DJI images: pose in each file, no clock needed).
    """

    offset_s: float
    source: str
    fit: ClockFit | None = None


@dataclass(frozen=True)
class ReplayResult:
    out_dir: Path
    files: tuple[Path, ...]
    source: FrameSource
    camera: str
    detector: str
    every: int
    every_basis: str  # "given", "stills" (one image per capture), "overlap" (from the figures below), "no-figures"
    clock: ClockChoice
    terrain: str
    log: str | None
    frames_read: int
    frames_processed: int
    frames_outside_log: int
    frames_unusable: int
    frames_without_pose: int
    read_errors: tuple[tuple[str, str], ...]
    detections: int
    targets: tuple[FusedTarget, ...] = field(repr=False)  # confirmed (reported)
    candidates: tuple[FusedTarget, ...] = field(repr=False)  # seen but not confirmed: written apart, never counted
    rule: ConfirmationRule
    media_s: float
    wall_s: float
    interrupted: bool
    overlap: float = 0.9
    agl_m: float | None = None  # median height above the ground while moving
    speed_m_s: float | None = None  # median ground speed while moving
    flat_ground_m: float | None = None  # the ground's altitude when no DEM was given
    loop_s: float = 0.0  # wall time of the frame loop alone (reading, detecting, geotagging)
    frames_no_ground: int = 0  # processed frames with no ground to search (sky, off the DEM, camera on the ground)

    @property
    def speed_x(self) -> float:
        """Seconds of footage per second of processing (> 1: faster than it was flown)."""
        return self.media_s / self.wall_s if self.wall_s > 0 else math.inf

    def to_dict(self) -> dict:
        c = self.clock
        return {
            "source": {"path": str(self.source.path), "kind": self.source.kind, "frames": self.source.count,
                       "fps": self.source.fps},
            "log": self.log, "camera": self.camera, "detector": self.detector, "terrain": self.terrain,
            "every": self.every, "every_basis": self.every_basis, "overlap": self.overlap, "agl_m": self.agl_m,
            "speed_m_s": self.speed_m_s,
            "clock": {"offset_s": c.offset_s, "source": c.source, **({"fit": asdict(c.fit)} if c.fit else {})},
            "frames_read": self.frames_read, "frames_processed": self.frames_processed,
            "frames_outside_log": self.frames_outside_log, "frames_unusable": self.frames_unusable,
            "frames_without_pose": self.frames_without_pose, "frames_no_ground": self.frames_no_ground,
            "read_errors": [{"path": p, "error": e} for p, e in self.read_errors],
            "detections": self.detections, "targets": len(self.targets), "candidates": len(self.candidates),
            "candidates_seen_twice_or_more": sum(1 for c in self.candidates if c.sightings >= 2),
            "confirmation": asdict(self.rule), "footage_s": self.media_s, "wall_time_s": self.wall_s,
            "speed_x_real_time": self.speed_x if math.isfinite(self.speed_x) else None, "loop_s": self.loop_s,
            "interrupted": self.interrupted,
            "found": [{"id": t.id, "class": t.class_name, "lat_deg": t.lat_deg, "lon_deg": t.lon_deg,
                       "alt_amsl_m": t.alt_amsl_m, "cep_m": t.cep_m, "sightings": t.sightings,
                       "confidence": t.confidence, "first_seen_s": t.first_seen_s} for t in self.targets],
        }


# ------------------------------------------------------------------ inputs
def open_frame_source(path: str | Path) -> FrameSource:
    """Check a video file or a folder of frames and count its frames (no frame is decoded but a video's first).

    Raises :class:`SarIOError` for a missing path or a video OpenCV cannot open
    or decode, :class:`InputError` for a folder with no frames or a file of
    another kind.
    """
    p = Path(path)
    if not p.exists():
        raise SarIOError(f"frames={str(p)!r} does not exist. Hint: pass a thermal video "
                         f"({', '.join(VIDEO_SUFFIXES)}) or a folder of frames.")
    if p.is_dir():
        paths = tuple(sorted((q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES),
                             key=natural_key))
        if not paths:
            raise InputError(f"frames={str(p)!r} is a folder with no frames: no file ending in "
                             f"{', '.join(IMAGE_SUFFIXES)}. Hint: pass the folder the camera's images are in, "
                             "or the video file itself.")
        return FrameSource(p, "images", len(paths), None, paths)
    ext = p.suffix.lower()
    if ext in IMAGE_SUFFIXES:
        return FrameSource(p, "images", 1, None, (p,))
    if ext not in VIDEO_SUFFIXES:
        raise InputError(f"frames={str(p)!r}: {ext or 'no extension'} is neither a video "
                         f"({', '.join(VIDEO_SUFFIXES)}) nor an image ({', '.join(IMAGE_SUFFIXES)}).")
    import cv2

    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise SarIOError(f"video {str(p)!r} cannot be opened by OpenCV (unknown codec or corrupt container). "
                             "Hint: convert it, e.g. ffmpeg -i IN -c:v ffv1 OUT.mkv, or export the frames to a folder.")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, img = cap.read()
        if not ok or img is None:
            raise SarIOError(f"video {str(p)!r} opens but no frame can be decoded (empty or corrupt stream).")
    finally:
        cap.release()
    if not (math.isfinite(fps) and 0.5 <= fps <= 1000.0):
        raise SarIOError(f"video {str(p)!r} states no usable frame rate ({fps:g} fps): frame times would be wrong. "
                         "Hint: export the frames to a folder and pass --fps.")
    return FrameSource(p, "video", max(count, 1), fps, ())


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.I)


def parse_video_start(text: str | None) -> tuple[str, float] | None:
    """``--video-start``: seconds on the flight clock (``"312.5"``) or an ISO 8601 time (UTC unless it says).

    Returns ``("log", seconds)`` or ``("utc", POSIX seconds)``; None for None.
    """
    if text is None:
        return None
    s = str(text).strip()
    if _NUMBER.match(s):
        v = float(s)
        if not (math.isfinite(v) and 0 <= v <= 1e7):
            raise InputError(f"video_start={text!r} is out of range: flight-clock seconds are 0..1e7 (the "
                             "autopilot's time since boot), or give an ISO time (e.g. 2026-11-29T14:03:12Z).")
        return ("log", v)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"video_start={text!r} is neither seconds on the flight clock (e.g. 312.5) nor an ISO "
                         "time (e.g. 2026-11-29T14:03:12.4Z).") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return ("utc", dt.timestamp())


def choose_every(fps: float | None, camera: CameraModel, agl_m: float | None, speed_m_s: float | None, *,
                 overlap: float) -> int:
    """Detect on every N-th frame so that processed footprints still overlap by ``overlap``.

    N is 1 without a frame rate or flight figures (height above ground, ground
    speed). Consecutive processed frames are at most 1 s apart.
    """
    if not 0.0 <= overlap < 1.0:
        raise InputError(f"overlap={overlap} is out of range: allowed 0 <= overlap < 1.")
    if not fps or agl_m is None or speed_m_s is None or agl_m <= 1.0:
        return 1
    interval = min(_MAX_INTERVAL_S, frame_interval_s(camera, agl_m, max(speed_m_s, 0.5), overlap=overlap))
    return max(1, int(math.floor(interval * fps + 1e-9)))


def _flight_figures(log: FlightLog, terrain: Terrain) -> tuple[float | None, float | None]:
    """Median height above the ground and ground speed while moving (> 2 m/s) over the flight."""
    tr = log.track
    if len(tr) < 3:
        return None, None
    v = tr.velocity_m_s(tr.time_s)
    speed = np.hypot(v[:, 0], v[:, 1])
    moving = speed > 2.0
    if not moving.any():
        return None, None
    inside = np.asarray(terrain.contains(tr.lat_deg, tr.lon_deg), bool) & moving
    if not inside.any():
        return None, float(np.median(speed[moving]))
    ground = np.asarray(terrain.elevation_m(tr.lat_deg[inside], tr.lon_deg[inside]), float)
    agl = tr.alt_amsl_m[inside] - ground
    return float(np.median(agl)), float(np.median(speed[moving]))


def _frames(src: FrameSource, *, every: int, start_s: float, fps: float | None,
            errors: list[tuple[str, str]]) -> Iterator[ThermalFrame]:
    """Frames of the source, every ``every``-th; an unreadable image is skipped and recorded."""
    if src.kind == "video":
        yield from iter_video(src.path, start_time_s=start_s, step=every)
        return
    for k, fr in enumerate(iter_sequence(src.paths[::every], fps=(fps / every) if fps else None,
                                         start_time_s=start_s, on_error="skip", errors=errors)):
        yield fr.with_index((fr.frame_index if fr.frame_index is not None else k) * every, fr.time_s)


class _Prefetch:
    """Iterate ``items`` in a reader thread, up to ``depth`` ahead, so decoding overlaps detection.

    Use as a context manager: leaving it (the loop ended, Ctrl-C, an error) stops
    the thread within 0.1 s and closes the iterator (a video's capture is released).
    An exception in the reader is raised in the consumer at that point of the
    sequence; nothing is swallowed.
    """

    def __init__(self, items: Iterator, depth: int = 8) -> None:
        self._items = items
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replay-reader", daemon=True)

    def _put(self, entry) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> Iterator:
        self._thread.start()
        return self._iterate()

    def _iterate(self) -> Iterator:
        while True:
            kind, value = self._q.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def _sequence_times(src: FrameSource, fps: float | None, start_s: float) -> np.ndarray:
    """Times of every image (a first pass over the files when they carry their own times)."""
    if fps:
        return start_s + np.arange(src.count) / fps
    return np.array([fr.time_s for fr in iter_sequence(src.paths, on_error="skip")], float)


def _choose_clock(src: FrameSource, log: FlightLog, *, clock_offset_s: float | None,
                  video_start: tuple[str, float] | None, fps: float | None) -> tuple[ClockChoice, float]:
    """The clock offset and the start time of the frame clock (see the module docstring)."""
    start_s = video_start[1] if video_start and video_start[0] == "utc" else 0.0
    if clock_offset_s is not None:
        if not math.isfinite(clock_offset_s):
            raise InputError(f"clock_offset_s={clock_offset_s!r} must be a finite number of seconds.")
        if video_start and video_start[0] == "log":
            raise InputError("give either --clock-offset-s or --video-start in flight-clock seconds, not both: "
                             "each sets where the first frame falls in the log.")
        return ClockChoice(float(clock_offset_s), "given"), start_s
    if video_start and video_start[0] == "log":
        return ClockChoice(video_start[1], "video-start"), 0.0
    log_name = Path(log.summary.path).name
    if log.summary.kind == "dji-srt":
        # DJI subtitles are on their video's clock: a block's start is the frame's position in the video.
        if video_start is not None:
            raise InputError(f"{log_name} holds DJI subtitles, which are on the video's own clock: --video-start "
                             "as a UTC time cannot be placed on it. Hint: leave --video-start out (or give "
                             "--clock-offset-s if the subtitles belong to a video cut differently).")
        if src.kind == "video" or fps:
            return ClockChoice(0.0, "srt"), 0.0
        raise InputError(f"{log_name} holds DJI subtitles, on the video's clock (seconds from its first frame); "
                         "images carry no position on that clock. Hint: pass --fps with the rate the images were "
                         "extracted from the video at (first image = the video's first frame), or replay the video.")
    events = [e.time_s for e in log.track.camera_events]
    if src.kind == "images" and len(events) >= 2:
        times = _sequence_times(src, fps, start_s)
        fit = fit_clock_offset(times, events)
        return ClockChoice(fit.offset_s, "triggers", fit), start_s
    absolute = video_start is not None
    if src.kind == "images" and not fps:
        # EXIF-stamped images carry POSIX times; files without one are numbered 0, 1, 2 ... seconds.
        first = next(iter_sequence(src.paths[:1], on_error="skip"), None)
        absolute = first is not None and first.time_s is not None and first.time_s > 1e8
    if absolute and log.boot_utc_s is not None:
        return ClockChoice(-float(log.boot_utc_s), "utc"), start_s
    what = ("the video's frames are times in the stream, which trigger events cannot place"
            if src.kind == "video" else f"the log {log_name} has no camera-trigger events (DataFlash CAM/TRIG, "
                                        "MAVLink CAMERA_FEEDBACK/CAMERA_TRIGGER)")
    if absolute and log.boot_utc_s is None:
        what += f", and the log {log_name} has no UTC clock (no ground-station or GPS time) for absolute times"
    raise InputError(f"cannot align the frames with the log: {what}. Hint: pass --clock-offset-s X "
                     "(frame time + X = log time), or --video-start with the flight-clock second of the first "
                     "frame (e.g. 312.5) or its UTC time (e.g. 2026-11-29T14:03:12Z).")


def _terrain(terrain: Terrain | None, dem_paths, *, home_m: float | None, synthetic: bool) -> tuple[Terrain, str]:
    if terrain is not None:
        return terrain, getattr(terrain, "name", "given terrain")
    if dem_paths:
        t = load_terrain([Path(p) for p in dem_paths])
        return t, t.name
    if synthetic:
        from geo.terrain import synthetic_mountain

        return synthetic_mountain(), "the embedded synthetic mountain (the demo's world)"
    if home_m is None:
        raise InputError("no terrain: no DEM given and no home altitude known. Hint: pass --dem FILE.")
    return FlatTerrain(home_m), f"flat at {home_m:.1f} m AMSL (no DEM given: wrong in hilly terrain, pass --dem)"


def _check_out_dir(out: Path) -> None:
    """Refuse an output folder that cannot be written (a file, or under a folder without write
    permission) before any work; creates nothing."""
    p = out
    while not p.exists() and p.parent != p:
        p = p.parent
    if not p.is_dir():
        raise SarIOError(f"out={str(out)!r}: {str(p)!r} is a file, not a folder. Hint: give a folder for the products.")
    if not os.access(p, os.W_OK | os.X_OK):
        raise SarIOError(f"out={str(out)!r}: no permission to write in {str(p)!r}. Hint: give a folder you can "
                         "write in.")


def _srt_altitudes(path: Path, flog: FlightLog, takeoff_alt_m: float | None, terrain: Terrain | None,
                   dem_paths, synthetic: bool) -> tuple[FlightLog, Terrain | None]:
    """DJI subtitles re-read on a known take-off altitude: given (it beats DJI's barometric
    ``abs_alt`` too), or for heights above take-off only (a Mavic 2's) with a DEM, the DEM's
    ground at the first position when the recording starts there; the terrain, loaded once."""
    if takeoff_alt_m is not None:
        return read_log(path, takeoff_alt_amsl_m=takeoff_alt_m), terrain
    if not flog.summary.counts.get("relative_only") or (terrain is None and not dem_paths and not synthetic):
        # Absolute altitudes; or heights above take-off over ground taken flat at take-off level.
        return flog, terrain
    if terrain is None:
        terrain, _name = _terrain(None, dem_paths, home_m=None, synthetic=synthetic)
    lat0, lon0 = float(flog.track.lat_deg[0]), float(flog.track.lon_deg[0])
    h0 = float(flog.track.alt_amsl_m[0]) - float(flog.home_alt_amsl_m or 0.0)
    if h0 > _ON_GROUND_M or not bool(np.asarray(terrain.contains(lat0, lon0))):
        where = (f"its first block is {h0:.1f} m above take-off (the recording started in the air)"
                 if h0 > _ON_GROUND_M else "its first position is outside the DEM")
        raise InputError(f"{path.name} gives heights above take-off only and {where}: the take-off altitude is "
                         "unknown. Hint: pass --takeoff-alt-m with the ground's altitude above sea level where the "
                         "drone took off, or leave out --dem (ground flat at take-off level).")
    return read_log(path, takeoff_alt_amsl_m=float(terrain.elevation_m(lat0, lon0))), terrain


def _xmp_takeoff_alt_m(fr: ThermalFrame) -> float | None:
    xmp = (fr.meta or {}).get("xmp") or {}
    try:
        return float(xmp["AbsoluteAltitude"]) - float(xmp.get("RelativeAltitude", "0") or 0)
    except (KeyError, ValueError, TypeError):
        return None


def _dji_camera(fr: ThermalFrame) -> str | None:
    model = str((fr.meta or {}).get("model") or "").upper().replace(" ", "")
    return DJI_CAMERAS.get(model)


# ------------------------------------------------------------------ outputs
def _map_track(log: FlightLog | None, poses: list[tuple[float, float, float, float]]):
    if log is None:
        return poses
    tr = log.track
    step = max(1, len(tr) // 2000)
    return [(float(tr.time_s[i]), float(tr.lat_deg[i]), float(tr.lon_deg[i]), float(tr.alt_amsl_m[i]))
            for i in range(0, len(tr), step)]


# ------------------------------------------------------------------ the replay
def run_replay(frames: str | Path, out_dir: str | Path, *, log: str | Path | None = None,
               camera: str | CameraModel | None = None, detector: str | object = "classical",
               clock_offset_s: float | None = None, video_start: str | None = None, fps: float | None = None,
               every: int | None = None, overlap: float = 0.9, dem_paths=(), terrain: Terrain | None = None,
               synthetic_terrain: bool = False, errors: ErrorModel | None = None, min_score: float = 0.5,
               min_sightings: int = 2, min_support: float = 0.5, evidence_score: float = 0.3,
               lang: str | None = None, reader_thread: bool = True, takeoff_alt_m: float | None = None,
               progress: Callable[[int, int, int], None] | None = None) -> ReplayResult:
    """Replay a flight's frames through the search pipeline and write the products; see the module docstring.

    ``frames``: a video or a folder of images. ``log``: .tlog/.bin/.log, or None for
    images that carry their pose (DJI XMP). ``camera``: a preset name or model
    (None: from the DJI images' EXIF model). ``every``: detect on every N-th
    frame (None: from ``overlap``, see :func:`choose_every`). Targets are confirmed
    as in the demo (:class:`telemetry.confirm.ConfirmationRule`: seen in
    ``min_sightings`` frames, a support of ``min_support`` over the frames that
    covered them, one sighting at ``min_score``; detections down to
    ``evidence_score`` count as evidence); the others are candidates. ``progress(done,
    total, processed)`` after every frame read. Ctrl-C (KeyboardInterrupt) stops
    the loop; what was found so far is written and ``interrupted`` is True.
    ``reader_thread``: decode frames in a second thread while the first detects
    (False: one thread, the baseline of bench/bench_replay.py). ``takeoff_alt_m``: altitude
    above sea level of the take-off point, for DJI subtitles (see :func:`_srt_altitudes`).
    """
    t_wall0 = time.monotonic()
    src = open_frame_source(frames)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"fps={fps!r} is out of range: allowed > 0 frames per second.")
    if every is not None and every < 1:
        raise InputError(f"every={every!r} is out of range: allowed >= 1 (1 = every frame).")
    if not 0.0 <= evidence_score <= 1.0:
        raise InputError(f"evidence_score={evidence_score!r} is out of range: allowed 0..1.")
    rule = ConfirmationRule(min_hits=min_sightings, min_support=min_support, min_best_score=min_score)
    if synthetic_terrain and (dem_paths or terrain is not None):
        raise InputError("give either --dem (the real ground) or --synthetic-terrain (the demo's embedded "
                         "mountain), not both.")
    vstart = parse_video_start(video_start)
    if log is None and src.kind == "video":
        log = find_sibling_srt(src.path)
    flog = read_log(log) if log is not None else None
    if takeoff_alt_m is not None and (flog is None or flog.summary.kind != "dji-srt"):
        raise InputError(f"takeoff_alt_m={takeoff_alt_m!r} applies to DJI subtitles (.SRT) only: other logs and "
                         "DJI images carry their altitudes. Hint: leave --takeoff-alt-m out.")
    if flog is not None and flog.summary.kind == "dji-srt":
        flog, terrain = _srt_altitudes(Path(log), flog, takeoff_alt_m, terrain, dem_paths, synthetic_terrain)
    first: ThermalFrame | None = None
    if flog is None:
        if src.kind == "video":
            raise InputError("a video needs its flight log for the camera's pose. Hint: pass --log flight.tlog "
                             f"(or the DataFlash .bin, or the DJI subtitles {src.path.stem}.SRT: looked for "
                             "beside the video, not found).")
        first = next(iter_sequence(src.paths[:1], on_error="raise"))
        if first.pose is None:
            raise InputError(f"no log given and {src.paths[0].name} carries no pose (only DJI images have their "
                             "pose in XMP). Hint: pass --log with the flight's tlog or DataFlash log.")
        if clock_offset_s is not None or video_start is not None:
            raise InputError("--clock-offset-s and --video-start place frames on a log's clock; these DJI images "
                             "carry their own pose and no log is given. Hint: leave them out.")
        named = _dji_camera(first)
        if named is not None and isinstance(camera, str) and camera.lower() != named:
            raise InputError(f"camera={camera!r}, but {src.paths[0].name} was taken by a DJI "
                             f"{(first.meta or {}).get('model')} (preset {named!r}). Hint: leave --camera out: DJI "
                             "images name their camera.")
    if camera is None:
        if first is None:
            first = next(iter_sequence(src.paths[:1], on_error="raise")) if src.kind == "images" else None
        name = _dji_camera(first) if first is not None else None
        if name is None:
            raise InputError("camera not given: pass --camera with the thermal camera's preset (h20t, m30t, "
                             "boson640, ...); its field of view places every detection.")
        camera = name
    cam = camera if isinstance(camera, CameraModel) else camera_preset(camera)

    if flog is not None:
        clock, start_s = _choose_clock(src, flog, clock_offset_s=clock_offset_s, video_start=vstart, fps=fps)
        home = flog.home_alt_amsl_m
    else:
        clock, start_s = ClockChoice(0.0, "xmp"), 0.0
        home = _xmp_takeoff_alt_m(first) if first is not None else None
    ground, tname = _terrain(terrain, dem_paths, home_m=home, synthetic=synthetic_terrain)

    frame_fps = src.fps if src.kind == "video" else fps
    if flog is not None:
        tr = flog.track
        if frame_fps:
            # Up front, when the frame times are known without reading the frames.
            t0 = start_s + clock.offset_s
            t1 = t0 + (src.count - 1) / frame_fps
            if t1 < tr.start_s or t0 > tr.end_s:
                raise InputError(
                    f"no frame falls inside the flight: with clock offset {clock.offset_s:+.3f} s ({clock.source}) "
                    f"the frames span {t0:.1f}..{t1:.1f} s on the flight clock, the log {tr.start_s:.1f}.."
                    f"{tr.end_s:.1f} s. Hint: check --clock-offset-s / --video-start (log time = frame time + "
                    "offset).")
    agl, speed = _flight_figures(flog, ground) if flog is not None else (None, None)
    if every is None:
        if src.kind == "images" and not fps:
            every, basis = 1, "stills"
        else:
            every = choose_every(frame_fps, cam, agl, speed, overlap=overlap)
            basis = "overlap" if (frame_fps and agl is not None and speed is not None) else "no-figures"
    else:
        basis = "given"
    det = make_detector(detector) if isinstance(detector, str) else detector
    det_name = detector if isinstance(detector, str) else type(detector).__name__

    # The local frame for height grids: the middle of the flight (or of the images).
    if flog is not None:
        frame = LocalFrame.at(float(np.median(flog.track.lat_deg)), float(np.median(flog.track.lon_deg)))
    else:
        frame = LocalFrame.at(first.pose.lat_deg, first.pose.lon_deg)
    pipe = FramePipeline(cam, ground, frame, det, errors=errors or ErrorModel(),
                         min_score=min(evidence_score, min_score))
    _check_out_dir(Path(out_dir))  # said now, not after every frame was searched

    read_errors: list[tuple[str, str]] = []
    n_read = n_outside = n_unusable = n_nopose = n_no_ground = 0
    poses: list[tuple[float, float, float, float]] = []
    t_first = t_last = None
    interrupted = False
    say = progress or (lambda done, total, processed: None)
    t_loop0 = time.monotonic()
    try:
        frames_in = _frames(src, every=every, start_s=start_s, fps=fps, errors=read_errors)
        with (_Prefetch(frames_in) if reader_thread else contextlib.nullcontext(frames_in)) as stream:
            for fr in stream:
                n_read += 1
                if fr.shape != (cam.height_px, cam.width_px):
                    raise InputError(
                        f"frame {fr.source or n_read} is {fr.shape[1]}x{fr.shape[0]} px but camera {cam.name!r} is "
                        f"{cam.width_px}x{cam.height_px}: pass the --camera preset of the camera that took them.")
                if flog is not None:
                    t = float(fr.time_s) + clock.offset_s
                    if not (flog.track.start_s <= t <= flog.track.end_s):
                        n_outside += 1
                        say((fr.frame_index or 0) + 1, src.count, pipe.frames)
                        continue
                    pose = flog.track.pose_at(t)
                else:
                    pose = fr.pose
                    t = float(fr.time_s) if fr.time_s is not None else float(n_read)
                    if pose is None:
                        n_nopose += 1
                        continue
                    poses.append((t, pose.lat_deg, pose.lon_deg, pose.alt_amsl_m))
                if not fr.usable:
                    n_unusable += 1
                    continue
                index = fr.frame_index if fr.frame_index is not None else n_read
                if pipe.process(fr.data, pose, time_s=t, frame_index=index).note:
                    n_no_ground += 1
                t_first = t if t_first is None else min(t_first, t)
                t_last = t if t_last is None else max(t_last, t)
                say((fr.frame_index or 0) + 1, src.count, pipe.frames)
    except KeyboardInterrupt:
        interrupted = True
    loop_s = time.monotonic() - t_loop0
    if n_read == 0 and not interrupted:
        errs = "; ".join(f"{Path(p).name}: {e}" for p, e in read_errors[:3])
        raise SarIOError(f"no frame of {str(src.path)!r} could be read ({errs}).")
    if flog is not None and pipe.frames == 0 and n_outside and not interrupted:
        tr = flog.track
        raise InputError(
            f"no frame falls inside the flight: all {n_outside} frames read lie outside the log's "
            f"{tr.start_s:.1f}..{tr.end_s:.1f} s with clock offset {clock.offset_s:+.3f} s ({clock.source}). "
            "Hint: check --clock-offset-s / --video-start (log time = frame time + offset).")
    assessment = pipe.assess(rule)
    targets, candidates = assessment.confirmed, assessment.candidates
    if src.kind == "video":
        media_s = n_read * every / float(src.fps or 1.0)
    else:
        media_s = (t_last - t_first) if (t_first is not None and t_last is not None) else 0.0
    out = Path(out_dir)
    title = f"thermal-sar replay: {src.path.name}"
    # Every product is made in a staging folder and moved into place only when all of them were made:
    # a run that fails half-way (a DEM that does not cover the map, a full disk) leaves an earlier
    # run's products as they were.
    with Staging() as st:
        stage = st.folder(out)
        try:
            for name, group, status in (("targets.geojson", targets, None),
                                        ("candidates.geojson", candidates, "candidate")):
                (stage / name).write_text(_evidence_geojson(group, assessment, status) + "\n", encoding="utf-8")
        except OSError as exc:
            raise SarIOError(f"cannot write into {str(out)!r}: {exc.strerror or exc}.") from None
        # A flat ground has no relief to shade (and no contour lines to draw): the map goes without it.
        write_map_and_gpx(stage, targets, _map_track(flog, poses),
                          terrain=None if isinstance(ground, FlatTerrain) else ground, title=title)
        wall = time.monotonic() - t_wall0
        result = ReplayResult(out, (), src, cam.name, det_name, every, basis, clock, tname,
                              flog.summary.describe() if flog is not None else None, n_read, pipe.frames, n_outside,
                              n_unusable, n_nopose, tuple(read_errors), pipe.detections, targets, candidates,
                              rule, media_s, wall, interrupted, overlap, agl, speed,
                              ground.elevation_amsl_m if isinstance(ground, FlatTerrain) else None, loop_s,
                              frames_no_ground=n_no_ground)
        try:
            (stage / "summary.json").write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
            (stage / "summary.txt").write_text(summary_text(result, lang=lang) + "\n", encoding="utf-8")
        except OSError as exc:
            raise SarIOError(f"cannot write into {str(out)!r}: {exc.strerror or exc}.") from None
        files = [st.final(p) for p in sorted(stage.iterdir())]
        st.commit()
    return replace(result, files=tuple(files))


# ------------------------------------------------------------------ the human summary
def summary_text(r: ReplayResult, *, lang: str | None = None) -> str:
    """The human summary of a replay, in the CLI's language (``lang`` or ``--lang`` / ``LANG``)."""
    from maps.i18n import gettext_for

    _ = tr = gettext_for(lang)
    c = r.clock
    if c.source == "given":
        clock = _("clock offset {offset} s (given)").format(offset=f"{c.offset_s:+.3f}")
    elif c.source == "video-start":
        clock = _("clock offset {offset} s (from the video's start time)").format(offset=f"{c.offset_s:+.3f}")
    elif c.source == "utc":
        clock = _("clock offset {offset} s (from the log's UTC clock)").format(offset=f"{c.offset_s:+.3f}")
    elif c.source == "triggers" and c.fit is not None:
        clock = _("clock offset {offset} s estimated from camera triggers: {matched} of {frames} frames matched "
                  "{events} events, residual RMS {rms} ms, worst {worst} ms").format(
            offset=f"{c.offset_s:+.3f}", matched=c.fit.matched, frames=c.fit.frames, events=c.fit.events,
            rms=f"{1000 * c.fit.rms_residual_s:.0f}", worst=f"{1000 * c.fit.max_residual_s:.0f}")
    elif c.source == "srt":
        clock = _("the video's own clock: pose from its DJI subtitles (.SRT), no offset needed")
    else:
        clock = _("pose from each image's XMP (no log, no clock needed)")
    if r.every_basis == "given":
        reason = _("as given")
    elif r.every_basis == "stills":
        reason = _("stills: every image")
    elif r.every_basis == "overlap":
        reason = _("{agl} above ground at {speed}: {overlap} footprint overlap kept").format(
            agl=tr.distance(r.agl_m), speed=tr.speed(r.speed_m_s), overlap=tr.percent(r.overlap))
    else:
        reason = _("no frame rate or flight figures to judge the overlap by")
    if r.flat_ground_m is not None:
        terrain = _("flat at {alt} AMSL (no DEM given: wrong in hilly terrain, pass --dem)").format(
            alt=tr.distance(r.flat_ground_m))
    else:
        terrain = r.terrain
    rows = [
        (_("frames"), _("{path}: {count} frames ({kind})").format(
            path=r.source.path.name, count=r.source.count,
            kind=_("video at {fps} fps").format(fps=f"{r.source.fps:g}") if r.source.kind == "video"
            else _("images"))),
        (_("processed"), _("{processed} frames with the {detector} detector, every {every} frame(s): {reason}").format(
            processed=r.frames_processed, detector=r.detector, every=r.every, reason=reason)),
        *([(_("log"), r.log)] if r.log else []),
        (_("clock"), clock),
        (_("camera"), r.camera),
        (_("terrain"), terrain),
    ]
    skipped = []
    if r.frames_outside_log:
        skipped.append(tr.ngettext("{n} frame outside the log's time span", "{n} frames outside the log's time span",
                                   r.frames_outside_log).format(n=r.frames_outside_log))
    if r.frames_unusable:
        skipped.append(tr.ngettext("{n} flat frame (shutter/NUC)", "{n} flat frames (shutter/NUC)",
                                   r.frames_unusable).format(n=r.frames_unusable))
    if r.frames_no_ground:
        skipped.append(tr.ngettext("{n} frame with no ground to search (sky, off the DEM, or the camera on the ground)",
                                   "{n} frames with no ground to search (sky, off the DEM, or the camera on the "
                                   "ground)", r.frames_no_ground).format(n=r.frames_no_ground))
    if r.frames_without_pose:
        skipped.append(tr.ngettext("{n} image without a pose", "{n} images without a pose",
                                   r.frames_without_pose).format(n=r.frames_without_pose))
    if r.read_errors:
        skipped.append(tr.ngettext("{n} unreadable file", "{n} unreadable files",
                                   len(r.read_errors)).format(n=len(r.read_errors)))
    if skipped:
        rows.append((_("skipped"), "; ".join(skipped)))
    rows.append((_("targets reported"), _("{n} (seen in at least {hits} frames, with a mean score of {support} or more "
                                          "over the frames that covered them, a consistent class and size)").format(
        n=len(r.targets), hits=r.rule.min_hits, support=tr.number(r.rule.min_support, 2))))
    rows.append((_("candidates"), _("{n} not confirmed, not counted ({twice} seen twice or more), from {detections} "
                                    "detections: candidates.geojson").format(
        n=len(r.candidates), twice=sum(1 for c in r.candidates if c.sightings >= 2), detections=r.detections)))
    rows.append((_("speed"), _("{footage} s of footage in {wall} s: {x} times real time").format(
        footage=tr.number(r.media_s, 1), wall=tr.number(r.wall_s, 1),
        x=f"{r.speed_x:.1f}" if math.isfinite(r.speed_x) else "-")))
    head = _("thermal-sar replay")
    if r.interrupted:
        head += "  " + _("INTERRUPTED: what was found so far")
    lines = [head, *tr.table(rows)]
    for t in r.targets[:15]:
        lines.append("  " + tr.ngettext(
            "{id} {kind} {coord} CEP {cep}, {n} sighting, confidence {confidence}",
            "{id} {kind} {coord} CEP {cep}, {n} sightings, confidence {confidence}", t.sightings).format(
            id=t.id, kind=t.class_name, coord=tr.coord(t.lat_deg, t.lon_deg), cep=tr.distance(t.cep_m),
            n=t.sightings, confidence=f"{t.confidence:.2f}"))
    if len(r.targets) > 15:
        lines.append("  " + _("... and {n} more").format(n=len(r.targets) - 15))
    return "\n".join(lines)
