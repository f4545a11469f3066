"""A live search: frames from a source, the search pipeline in a worker, the live server fed, health watched.

The pieces a live flight (``thermal-sar fly --frames``) and the demo's
``--serve`` share:

* frame sources, each a thread that delivers :class:`LiveFrame` objects:
  :class:`VideoSource` (a device, stream or file OpenCV opens),
  :class:`FolderSource` (a folder that fills with image files during the flight)
  and :class:`SimCameraSource` (the simulator's camera, rendering at the
  vehicle's pose);
* :class:`LatestFrame`, a one-frame mailbox between a source and the worker:
  a frame that arrives while the previous one still waits replaces it and is
  counted as dropped, so a slow pipeline never builds an unbounded queue;
* :class:`PoseHistory`, the poses the autopilot reported (with the receive
  time), which answers "where was the camera when this frame was taken";
* :class:`FrameWorker`, the thread that runs :class:`~thermal_sar.pipelines.search.FramePipeline`;
* :class:`ServerFeed`, the thread that posts to the live server through
  :class:`maps.ingest_client.IngestClient` and notices when it stops answering;
* :class:`HealthBoard`, which raises and clears health statuses (stalled
  frames, lost link, unreachable server, failing pipeline) for the CLI and the
  officer map;
* :class:`LiveSession`, which wires them for a flight; :class:`DemoServeSink`
  feeds the live server from the demo.

Nothing here commands the vehicle: a health problem is reported, never acted on.
Every thread keeps its exception and hands it over (``error``), none is swallowed.
"""

from __future__ import annotations

import base64
import collections
import math
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from geo.camera import CameraModel, CameraPose, MountMode
from geo.errors import InputError, LinkError, SarError, SarIOError

__all__ = ["LiveFrame", "FrameSource", "VideoSource", "FolderSource", "SimCameraSource", "open_frame_source",
           "LatestFrame", "PoseHistory", "HealthStatus", "HealthBoard", "ServerFeed", "FrameWorker", "LiveSession",
           "LiveStats", "LiveOptions", "FlightClock", "LiveConfirmation", "DemoServeSink", "LocalServer", "serve_demo",
           "mission_geojson_from_items",
           "SEVERITIES"]

SEVERITIES = ("info", "warning", "critical")
_IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".pgm")


def _wall_from_mono(mono_s: float) -> float:
    return time.time() - (time.monotonic() - mono_s)


# ---------------------------------------------------------------------------------------------- health
@dataclass(frozen=True)
class HealthStatus:
    """One health condition of the flight, as the CLI and the officer map show it.

    ``kind`` names it (``frames_stalled``, ``link_lost``, ``server_unreachable``,
    ``pipeline_error``, ``flight``); ``started_s``/``ended_s`` are POSIX times.
    """

    kind: str
    severity: str
    message: str
    active: bool
    started_s: float
    ended_s: float | None = None
    resolved: bool = True  # False: it ended with the flight, not because it recovered

    def payload(self, vehicle: str) -> dict:
        """The body of ``POST /api/ingest/status``."""
        return {"vehicle": vehicle, "kind": self.kind, "severity": self.severity, "message": self.message[:300],
                "active": self.active, "started_s": self.started_s, "ended_s": self.ended_s,
                "resolved": self.active or self.resolved}


class HealthBoard:
    """Raises and clears :class:`HealthStatus` objects; every change goes to each listener once.

    Thread-safe: the MAVLink loop, the worker and the server feed all report here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active: dict[str, HealthStatus] = {}
        self.history: list[HealthStatus] = []
        self.listeners: list[Callable[[HealthStatus], None]] = []

    def raise_(self, kind: str, severity: str, message: str, *, started_s: float | None = None) -> None:
        """Raise ``kind`` (a no-op while it is already active with the same severity)."""
        if severity not in SEVERITIES:
            raise InputError(f"severity={severity!r} is not allowed: one of {', '.join(SEVERITIES)}.")
        with self._lock:
            cur = self.active.get(kind)
            if cur is not None and cur.severity == severity:
                return
            st = HealthStatus(kind, severity, message, True, cur.started_s if cur else (started_s or time.time()))
            self.active[kind] = st
            self.history.append(st)
        self._tell(st)

    def clear(self, kind: str, message: str = "", *, resolved: bool = True) -> HealthStatus | None:
        """Clear ``kind`` if active; returns the cleared status (with ``ended_s``).

        ``resolved=False`` closes it without a recovery (the flight ended first).
        """
        with self._lock:
            cur = self.active.pop(kind, None)
            if cur is None:
                return None
            st = replace(cur, active=False, ended_s=time.time(), message=message or cur.message, resolved=resolved)
            self.history.append(st)
        self._tell(st)
        return st

    def is_active(self, kind: str) -> bool:
        with self._lock:
            return kind in self.active

    def _tell(self, st: HealthStatus) -> None:
        for fn in list(self.listeners):
            fn(st)


# ---------------------------------------------------------------------------------------------- frames
@dataclass(frozen=True)
class LiveFrame:
    """A frame as it arrived: the image, when (``capture_mono_s``, ``time.monotonic()`` seconds) and, when the
    source knows them, its flight-clock time and camera pose (the simulator's camera does)."""

    image: np.ndarray
    index: int
    capture_mono_s: float
    flight_time_s: float | None = None
    pose: CameraPose | None = None
    name: str = ""


class LatestFrame:
    """A one-frame mailbox: :meth:`put` replaces a frame not yet taken (counted in :attr:`dropped`)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: LiveFrame | None = None
        self.received = 0
        self.dropped = 0
        self.last_mono_s: float | None = None

    def put(self, frame: LiveFrame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self.received += 1
            self.last_mono_s = time.monotonic()
            self._cond.notify()

    def take(self, timeout_s: float) -> LiveFrame | None:
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout_s)
            f, self._frame = self._frame, None
            return f


class FrameSource(Protocol):
    """A source of frames running in its own thread."""

    description: str
    error: BaseException | None
    finished: bool

    def start(self, put: Callable[[LiveFrame], None]) -> None: ...

    def stop(self) -> None: ...


class _ThreadSource:
    """A source whose :meth:`_run` loops in a thread until :attr:`_stop` is set; errors are kept, not swallowed."""

    description = "frames"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.frames = 0
        self.note = ""

    def start(self, put: Callable[[LiveFrame], None]) -> None:
        self._put = put
        self._thread = threading.Thread(target=self._main, name=f"frames:{self.description}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # kept and reported by the session (never swallowed)
            self.error = exc
        finally:
            self.finished = True

    def _run(self) -> None:  # pragma: no cover - overridden
        raise SarError("a frame source must define _run")

    def _emit(self, image: np.ndarray, mono_s: float, **kw) -> None:
        self._put(LiveFrame(image, self.frames, mono_s, **kw))
        self.frames += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)


def _to_detector_image(raw: np.ndarray, source: str) -> np.ndarray | None:
    """A decoded array (grey, BGR video, 16-bit counts, float degC) as the detector's 2-D image; None if constant."""
    from vision.frame import FrameFlag
    from vision.io import frame_from_array

    fr = frame_from_array(raw, source=source)
    if FrameFlag.CONSTANT in fr.flags:
        return None  # a shutter / NUC frame: nothing to see
    return fr.data


class VideoSource(_ThreadSource):
    """Frames from a device, stream or file that OpenCV opens (``/dev/video0``, ``rtsp://...``, ``flight.mp4``).

    A device or stream is read as fast as it delivers; a file is played at its
    own frame rate (as a camera would deliver it). A stream that breaks is
    reopened every ``reopen_s`` until it answers again (the stall is reported
    by the session meanwhile). ``latency_s`` is subtracted from the arrival time.
    """

    def __init__(self, spec: str, *, latency_s: float = 0.0, reopen_s: float = 2.0) -> None:
        super().__init__()
        self.spec = spec
        self.description = spec
        self.latency_s = float(latency_s)
        self.reopen_s = float(reopen_s)
        self.is_file = Path(spec).is_file()

    def _open(self):
        import cv2
        import cv2.utils.logging as cv_log

        # A device that is not there is our own status (frames_stalled), not a warning on stderr every 2 s.
        cv_log.setLogLevel(cv_log.LOG_LEVEL_ERROR)
        tail = self.spec[len("/dev/video"):] if self.spec.startswith("/dev/video") else self.spec
        dev = int(tail) if tail.isdigit() else self.spec  # /dev/video2 and 2 are camera index 2
        cap = cv2.VideoCapture(dev)
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def _run(self) -> None:
        cap = self._open()
        if cap is None and self.is_file:
            raise SarIOError(f"frames={self.spec!r}: OpenCV cannot open this video file. Hint: check the codec "
                             "(mp4/avi with H.264 or MJPEG play everywhere).")
        fps = 0.0
        if cap is not None and self.is_file:
            import cv2

            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        period = 1.0 / fps if 1.0 <= fps <= 240.0 else 1.0 / 30.0
        next_due = time.monotonic()
        while not self._stop.is_set():
            if cap is None:
                self._stop.wait(self.reopen_s)
                cap = self._open()
                continue
            ok, img = cap.read()
            now = time.monotonic()
            if not ok or img is None:
                cap.release()
                cap = None
                if self.is_file:
                    self.note = "the video file ended"
                    return
                continue
            if self.is_file:
                next_due += period
                self._stop.wait(max(0.0, next_due - time.monotonic()))
                now = time.monotonic()
            image = _to_detector_image(img, self.spec)
            if image is not None:
                self._emit(image, now - self.latency_s, name=f"{self.spec}#{self.frames}")
        if cap is not None:
            cap.release()


class FolderSource(_ThreadSource):
    """Image files appearing in a folder during the flight, taken in name order (natural sort).

    A file counts once its size has stayed the same over two polls (a camera
    still writing it is not read half-way); files present before the start
    are skipped unless ``include_existing``. The capture time is the file's
    modification time (cameras and copy tools set it to the capture).
    A file that cannot be decoded is skipped and counted in :attr:`unreadable`.
    """

    def __init__(self, folder: str | Path, *, poll_s: float = 0.1, include_existing: bool = False,
                 latency_s: float = 0.0) -> None:
        super().__init__()
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SarIOError(f"frames={str(folder)!r} is not a folder. Hint: create it before the flight, or give a "
                             "video device/stream, or 'sim'.")
        self.description = str(self.folder)
        self.poll_s = float(poll_s)
        self.latency_s = float(latency_s)
        self.unreadable = 0
        self._seen: set[str] = set()
        if not include_existing:
            self._seen = {p.name for p in self.folder.iterdir()}

    def _run(self) -> None:
        from vision.io import natural_key, read_frame

        sizes: dict[str, int] = {}
        while not self._stop.is_set():
            try:
                names = [e.name for e in os.scandir(self.folder)
                         if e.name not in self._seen and e.name.lower().endswith(_IMAGE_SUFFIXES) and e.is_file()]
            except OSError as exc:
                raise SarIOError(f"frames folder {str(self.folder)!r} cannot be read: {exc.strerror or exc}.") from None
            for name in sorted(names, key=natural_key):
                p = self.folder / name
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                if sizes.get(name) != st.st_size or st.st_size == 0:
                    sizes[name] = st.st_size
                    continue  # not yet stable: look again at the next poll
                self._seen.add(name)
                sizes.pop(name, None)
                try:
                    fr = read_frame(p)
                except SarError:
                    self.unreadable += 1
                    continue
                if "CONSTANT" in {f.name for f in fr.flags}:
                    continue
                mono = time.monotonic() - max(0.0, time.time() - st.st_mtime) - self.latency_s
                self._emit(fr.data, mono, name=name)
            self._stop.wait(self.poll_s)


class SimCameraSource(_ThreadSource):
    """The simulator's thermal camera: renders ``scene`` at ``pose_fn()`` every ``interval_s`` of wall time.

    ``pose_fn`` returns the camera pose to render from (with its flight-clock
    ``time_s``), or None while there is none. In ``thermal-sar fly`` that is
    the pose the vehicle reported; the frame carries the same pose and time.
    ``kind`` is ``"radiometric"`` (degC per pixel) or ``"video"`` (8-bit AGC).
    """

    def __init__(self, scene, camera: CameraModel, pose_fn: Callable[[], CameraPose | None], *,
                 interval_s: float = 1.0, kind: str = "radiometric", seed: int = 0,
                 min_agl_m: float = 10.0) -> None:
        super().__init__()
        if kind not in ("radiometric", "video"):
            raise InputError(f"kind={kind!r} is not allowed: 'radiometric' or 'video'.")
        if not interval_s > 0:
            raise InputError(f"interval_s={interval_s} is out of range: allowed > 0 seconds.")
        self.scene = scene
        self.camera = camera
        self.pose_fn = pose_fn
        self.interval_s = float(interval_s)
        self.kind = kind
        self.seed = int(seed)
        self.min_agl_m = float(min_agl_m)
        self.description = f"sim:{scene.name}"

    def _run(self) -> None:
        import sim

        next_due = time.monotonic()
        last_t = None
        while not self._stop.is_set():
            self._stop.wait(max(0.0, next_due - time.monotonic()))
            if self._stop.is_set():
                return
            next_due = max(next_due + self.interval_s, time.monotonic())
            pose = self.pose_fn()
            if pose is None or pose.time_s == last_t:
                continue
            t = self.scene.terrain
            if not bool(t.contains(pose.lat_deg, pose.lon_deg)):
                continue
            if pose.alt_amsl_m - float(t.elevation_m(pose.lat_deg, pose.lon_deg)) < self.min_agl_m:
                continue  # on the ground or taking off: the camera sees the launch pad
            last_t = pose.time_s
            mono = time.monotonic()
            fr = sim.render_frame(self.scene, self.camera, pose, seed=self.seed * 100_000 + self.frames)
            image = fr.radiometric_c if self.kind == "radiometric" else fr.video_u8
            self._emit(image, mono, flight_time_s=pose.time_s, pose=pose, name=f"sim#{self.frames}")


def open_frame_source(spec: str, *, scene=None, camera: CameraModel | None = None,
                      pose_fn: Callable[[], CameraPose | None] | None = None, sim_interval_s: float = 1.0,
                      latency_s: float = 0.0) -> FrameSource:
    """The source named by ``--frames``: ``sim``, a folder, or anything OpenCV opens."""
    s = str(spec).strip()
    if not s:
        raise InputError("frames='' is empty: give a video device (/dev/video0), a stream URL (rtsp://...), a video "
                         "file, a folder that fills with frames, or 'sim'.")
    if s == "sim":
        if scene is None or camera is None or pose_fn is None:
            raise InputError("frames='sim' needs the simulated world (a scenario) and the camera.")
        return SimCameraSource(scene, camera, pose_fn, interval_s=sim_interval_s)
    if Path(s).is_dir():
        return FolderSource(s, latency_s=latency_s)
    if "://" in s or s.startswith("/dev/") or Path(s).is_file() or s.isdigit():
        return VideoSource(s, latency_s=latency_s)
    raise InputError(f"frames={s!r} is neither a folder, a file, a device nor a stream URL. Hint: create the folder "
                     "first, or give /dev/video0, rtsp://HOST/PATH, a video file, or 'sim'.")


# ---------------------------------------------------------------------------------------------- poses
class PoseHistory:
    """The poses the autopilot reported, stamped with the flight clock and the local receive time.

    :meth:`add` is called by the MAVLink loop for every GLOBAL_POSITION_INT;
    :meth:`flight_time` maps a local ``time.monotonic()`` instant to the flight
    clock (through the receive times, so a simulator running faster than real
    time is followed too) and :meth:`pose_at` interpolates a pose. Thread-safe.
    """

    def __init__(self, maxlen: int = 6000, *, mount_mode: MountMode = MountMode.EARTH_YAW_BODY,
                 default_gimbal_pitch_deg: float = -90.0) -> None:
        self._lock = threading.Lock()
        # rows: (mono, t, lat, lon, alt, roll, pitch, yaw, gimbal roll, gimbal pitch, gimbal yaw)
        self._rows: collections.deque = collections.deque(maxlen=maxlen)
        self.mount_mode = mount_mode
        self.default_gimbal_pitch_deg = float(default_gimbal_pitch_deg)

    def add(self, st, mono_s: float) -> bool:
        """Record a :class:`telemetry.VehicleState` received at ``mono_s``; False when incomplete or not newer."""
        if st.time_boot_s is None or st.lat_deg is None or st.alt_amsl_m is None or st.roll_deg is None:
            return False
        row = (mono_s, st.time_boot_s, st.lat_deg, st.lon_deg, st.alt_amsl_m, st.roll_deg, st.pitch_deg,
               st.yaw_deg, st.gimbal_roll_deg or 0.0,
               st.gimbal_pitch_deg if st.gimbal_pitch_deg is not None else self.default_gimbal_pitch_deg,
               st.gimbal_yaw_deg or 0.0)
        with self._lock:
            if self._rows and st.time_boot_s <= self._rows[-1][1]:
                if st.time_boot_s < self._rows[-1][1] - 5.0:
                    self._rows.clear()  # the autopilot rebooted: a new flight clock
                else:
                    return False
            self._rows.append(row)
        return True

    def __len__(self) -> int:
        return len(self._rows)

    def _arrays(self) -> np.ndarray:
        with self._lock:
            return np.array(self._rows, float) if self._rows else np.zeros((0, 11))

    def flight_time(self, mono_s: float) -> float | None:
        """The flight-clock time of local instant ``mono_s`` (extrapolated at most 2 s past the last sample)."""
        a = self._arrays()
        if len(a) < 2:
            return None
        m, t = a[:, 0], a[:, 1]
        if mono_s <= m[-1]:
            return float(np.interp(mono_s, m, t)) if mono_s >= m[0] else None
        if mono_s - m[-1] > 2.0:
            return None
        k = max(0, int(np.searchsorted(m, m[-1] - 2.0)) - 1)
        rate = (t[-1] - t[k]) / max(m[-1] - m[k], 1e-6) if k < len(m) - 1 else 1.0
        return float(t[-1] + (mono_s - m[-1]) * rate)

    def pose_at(self, t_s: float, *, max_extrapolation_s: float = 0.5, max_gap_s: float = 1.5) -> CameraPose | None:
        """The interpolated camera pose at flight time ``t_s``; None outside the history or inside a gap of
        more than ``max_gap_s`` between reports (a lost link: a straight line across it is a guess)."""
        from telemetry.track import PoseTrack

        a = self._arrays()
        if len(a) == 0 or not (a[0, 1] <= t_s <= a[-1, 1] + max_extrapolation_s):
            return None
        if len(a) == 1 or t_s >= a[-1, 1]:
            r = a[-1]
            return CameraPose(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], self.mount_mode, float(t_s))
        i = int(np.searchsorted(a[:, 1], t_s))
        if 0 < i < len(a) and a[i, 1] - a[i - 1, 1] > max_gap_s:
            return None
        w = a[max(0, i - 2): i + 2]
        tr = PoseTrack.from_samples(w[:, 1], w[:, 2], w[:, 3], w[:, 4], w[:, 5], w[:, 6], w[:, 7], w[:, 8], w[:, 9],
                                    w[:, 10], mount_mode=self.mount_mode)
        return tr.pose_at(float(t_s))

    def latest(self) -> CameraPose | None:
        a = self._arrays()
        if len(a) == 0:
            return None
        r = a[-1]
        return CameraPose(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], self.mount_mode, float(r[1]))


# ---------------------------------------------------------------------------------------------- server feed
class ServerFeed:
    """Posts to the live server from its own thread, so a slow or absent server never holds up the flight.

    Telemetry and targets are latest-wins (only the newest is worth sending);
    detections and statuses are kept in order until acknowledged (at most
    ``max_pending`` detections: beyond that the oldest are dropped and counted
    in :attr:`detections_lost`). When the server stops answering, the
    ``server_unreachable`` status is raised on ``board`` (the CLI shows it at
    once) and, once it answers again, posted with its start and end time so the
    officer sees the gap.
    """

    def __init__(self, client, board: HealthBoard, *, vehicle: str = "drone1", max_pending: int = 20_000,
                 retry_s: float = 1.0) -> None:
        self.client = client
        self.board = board
        self.vehicle = vehicle
        self.max_pending = int(max_pending)
        self.retry_s = float(retry_s)
        self._cond = threading.Condition()
        self._telemetry: dict | None = None
        self._footprints: collections.deque = collections.deque(maxlen=500)
        self._targets: dict | None = None
        self._mission: dict | None = None
        self._detections: collections.deque = collections.deque()
        self._statuses: collections.deque = collections.deque(maxlen=200)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.sent = collections.Counter()
        self.detections_lost = 0
        self.refused: collections.deque = collections.deque(maxlen=100)  # the latest refusals, for the report
        self.down_since: float | None = None
        self.last_failure = ""
        board.listeners.append(self._on_status)

    # -- producers (any thread) --------------------------------------------------------
    def telemetry(self, fields: dict) -> None:
        with self._cond:
            if fields.get("footprint"):
                self._footprints.append(dict(fields, vehicle=self.vehicle))
            else:
                self._telemetry = dict(fields, vehicle=self.vehicle)
            self._cond.notify()

    def detections(self, items: list[dict]) -> None:
        with self._cond:
            for it in items:
                if len(self._detections) >= self.max_pending:
                    self._detections.popleft()
                    self.detections_lost += 1
                self._detections.append(dict(it, vehicle=self.vehicle))
            self._cond.notify()

    def targets(self, feature_collection: dict) -> None:
        with self._cond:
            self._targets = feature_collection
            self._cond.notify()

    def mission(self, feature_collection: dict) -> None:
        with self._cond:
            self._mission = feature_collection
            self._cond.notify()

    def _on_status(self, st: HealthStatus) -> None:
        if st.kind == "server_unreachable" and st.active:
            return  # cannot be told to a server that does not answer; posted once it recovers
        with self._cond:
            self._statuses.append(st.payload(self.vehicle))
            self._cond.notify()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._detections) + len(self._statuses) + len(self._footprints)

    # -- the thread --------------------------------------------------------------------
    def start(self) -> ServerFeed:
        self._thread = threading.Thread(target=self._main, name="server-feed", daemon=True)
        self._thread.start()
        return self

    def close(self, drain_s: float = 5.0) -> None:
        """Send what is pending (for at most ``drain_s`` seconds), then stop the thread."""
        deadline = time.monotonic() + drain_s
        while self.pending and self.down_since is None and time.monotonic() < deadline and self.error is None:
            time.sleep(0.05)
        self._stop.set()
        with self._cond:
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=drain_s + 15.0)

    def _main(self) -> None:
        try:
            while not self._stop.is_set():
                with self._cond:
                    if not self._has_work():
                        self._cond.wait(0.5)
                    if self._stop.is_set():
                        return
                if not self._has_work():
                    continue
                if self._send_some():
                    if self.down_since is not None:
                        self._recovered()
                else:
                    self._stop.wait(self.retry_s)
        except BaseException as exc:  # kept for the session to report
            self.error = exc

    def _has_work(self) -> bool:
        return bool(self._telemetry or self._targets or self._mission or self._detections or self._statuses
                    or self._footprints)

    def _send_some(self) -> bool:
        """One round of sends, most important first; False when the server did not answer."""
        from maps.ingest_client import IngestRefused

        steps = (("mission", self._take_mission, self.client.mission),
                 ("status", self._take_status, self._post_status),
                 ("detections", self._take_detections, self.client.detections),
                 ("targets", self._take_targets, self.client.targets),
                 ("footprint", self._take_footprint, lambda b: self.client.telemetry(**b)),
                 ("telemetry", self._take_telemetry, lambda b: self.client.telemetry(**b)))
        for name, take, send in steps:
            body, give_back = take()
            if body is None:
                continue
            try:
                send(body)
            except IngestRefused as exc:
                # The server answered but will never accept this (bad token, invalid data): say so, move on.
                self.refused.append(f"{name}: {exc}")
                self.board.raise_("server_refused", "critical", f"the live server refused {name}: {exc}")
                continue
            except LinkError as exc:
                give_back(body)
                self.last_failure = str(exc)
                if self.down_since is None:
                    self.down_since = time.time()
                    self.board.raise_("server_unreachable", "warning",
                                      f"the live server does not answer ({exc}); data is kept and sent when it does",
                                      started_s=self.down_since)
                return False
            self.sent[name] += len(body) if isinstance(body, list) else 1
        return True

    def _recovered(self) -> None:
        self.down_since = None
        self.board.clear("server_unreachable", "the live server answers again; what was kept has been sent")

    def _post_status(self, body: dict) -> None:
        self.client.status(body)

    def _take_mission(self):
        with self._cond:
            b, self._mission = self._mission, None
        return b, self.mission

    def _take_targets(self):
        with self._cond:
            b, self._targets = self._targets, None

        def back(x):
            with self._cond:
                if self._targets is None:
                    self._targets = x
        return b, back

    def _take_telemetry(self):
        with self._cond:
            b, self._telemetry = self._telemetry, None

        def back(x):
            with self._cond:
                if self._telemetry is None:
                    self._telemetry = x
        return b, back

    def _take_footprint(self):
        with self._cond:
            b = self._footprints.popleft() if self._footprints else None
        return b, self._locked(lambda x: self._footprints.appendleft(x))

    def _take_status(self):
        with self._cond:
            b = self._statuses.popleft() if self._statuses else None
        return b, self._locked(lambda x: self._statuses.appendleft(x))

    def _take_detections(self):
        with self._cond:
            b = [self._detections.popleft() for _ in range(min(100, len(self._detections)))]
        return (b or None), self._locked(lambda x: self._detections.extendleft(reversed(x)))

    def _locked(self, fn):
        def run(x):
            with self._cond:
                fn(x)
        return run


# ---------------------------------------------------------------------------------------------- the worker
@dataclass
class LiveStats:
    """Counters of a live run (read by the CLI; written by the worker)."""

    frames_received: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_without_pose: int = 0
    frames_low: int = 0          # taken on the ground or while taking off (below min_agl_m)
    frames_failed: int = 0
    detections: int = 0
    sightings: int = 0
    targets: int = 0
    process_s: float = 0.0
    last_error: str = ""


def sighting_payloads(outcome, flight_id: str, wall_time_s: float) -> list[dict]:
    """The ingest bodies of a frame's geotagged sightings (uid = flight, frame and index: retries are safe)."""
    from telemetry.geotag import cep_from_cov

    out = []
    for i, s in enumerate(outcome.sightings):
        cep = float(np.ravel(cep_from_cov(np.asarray(s.cov_en_m2, float)[None]))[0])
        body = {"uid": f"{flight_id}-f{outcome.frame_index}-{i}", "t_s": wall_time_s, "lat_deg": s.lat_deg,
                "lon_deg": s.lon_deg, "alt_amsl_m": s.alt_amsl_m, "class_name": s.class_name[:32],
                "confidence": float(min(1.0, max(0.0, s.score))), "cep_m": cep if math.isfinite(cep) else 0.0}
        if s.thumbnail_png:
            body["thumbnail_png_b64"] = base64.b64encode(s.thumbnail_png).decode("ascii")
        out.append(body)
    return out


def footprint_ring(pipe, pose: CameraPose) -> list[list[float]] | None:
    """The camera footprint on the ground as ``[[lat, lon], ...]`` (None when the camera sees the sky)."""
    from geo.errors import CameraError, OutOfCoverageError
    from geo.raycast import CameraView

    try:
        grid = pipe._grid_for(pose)
        poly = CameraView.from_pose(pipe.camera, pose, pipe.frame).footprint(grid, per_edge=4)
    except (CameraError, OutOfCoverageError):
        return None
    x, y = np.asarray(poly.exterior.coords).T
    lat, lon = pipe.frame.to_geodetic(x, y)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lat, lon)]


class LiveConfirmation:
    """Confirms the fused targets of a flight while it goes on, by the rule replay and the demo apply.

    Gives the answer of :func:`telemetry.confirm.assess_targets` over every
    frame so far (same hits, opportunities, support, verdict) at a cost that
    does not grow with the square of the flight. Each target keeps the frames
    found to cover it. A target that has not moved since the last assessment
    is projected only into the frames that came since (all such targets in one
    projection per frame). One that is new or moved (a sighting was fused into
    it) is projected into the frames that may have covered it: each frame is
    bounded once, when it arrives, by the ground box its camera can see down to
    ``floor_m`` (the pyramid of its border rays between the camera and that
    height), and a point is tried against the frames whose box holds it (plus,
    to stay exact, the rare frames whose floor lies above it, or whose view
    reaches the horizon). A target whose evidence did not change keeps its
    verdict; the others are judged by :func:`~telemetry.confirm.assess_targets`
    itself over the frames that cover them.

    A target once confirmed stays confirmed (:meth:`is_confirmed`): the officer
    never sees a target fall back to a candidate because a later pass missed it
    (its evidence, still reported, says so).
    """

    def __init__(self, rule=None, *, box_pad: float = 0.1, box_pad_m: float = 2.0) -> None:
        from telemetry.confirm import ConfirmationRule

        self.rule = rule if rule is not None else ConfirmationRule()
        self.box_pad = float(box_pad)
        self.box_pad_m = float(box_pad_m)
        self.confirmed_ids: set[str] = set()
        self._n = 0
        self._frame = None  # the local frame of the boxes (the pipeline's)
        self._boxes = np.empty((64, 5))  # x0, y0, x1, y1, floor (m); rows 0.._n-1 used
        self._open = np.empty(64, bool)  # views that reach the horizon: no box
        self._by_index: dict[int, list] = {}  # frame_index -> its coverage(s)
        self._covered: dict[str, tuple[tuple[float, float, float], set[int]]] = {}  # id -> (position, frames)
        self._evidence: dict[str, tuple[tuple, object]] = {}  # id -> (what it was judged by, evidence)

    @property
    def frames_indexed(self) -> int:
        return self._n

    def _box(self, c, floor_m: float) -> tuple[tuple[float, float, float, float, float], bool]:
        view = c.view
        cam = view.camera
        t = np.linspace(0.0, 1.0, 8, endpoint=False)
        w, h = cam.width_px - 0.5, cam.height_px - 0.5
        cols = np.concatenate([-0.5 + t * (w + 0.5), np.full(8, w), w - t * (w + 0.5), np.full(8, -0.5)])
        rows = np.concatenate([np.full(8, -0.5), -0.5 + t * (h + 0.5), np.full(8, h), h - t * (h + 0.5)])
        d = view.rays(rows, cols)
        o = view.origin_m
        if view.frame is not self._frame or not np.all(d[:, 2] < -1e-6):
            return (0.0, 0.0, 0.0, 0.0, math.inf), True
        depth = max(float(o[2]) - floor_m, 1.0)
        pts = o[:2] + d[:, :2] * (depth / -d[:, 2])[:, None]
        x0, y0 = np.minimum(pts.min(axis=0), o[:2])
        x1, y1 = np.maximum(pts.max(axis=0), o[:2])
        px = self.box_pad * (x1 - x0) + self.box_pad_m
        py = self.box_pad * (y1 - y0) + self.box_pad_m
        return (float(x0 - px), float(y0 - py), float(x1 + px), float(y1 + py), float(o[2]) - depth), False

    def index(self, coverages, floor_m: float) -> None:
        """Bound the frames of ``coverages`` not yet seen (a list that only grows, as ``FramePipeline.coverage``).

        ``floor_m``: a height (m AMSL) the ground under these frames does not go below.
        """
        n = len(coverages)
        if n <= self._n:
            return
        if self._frame is None:
            self._frame = coverages[0].view.frame
        if n > len(self._boxes):
            cap = max(n, 2 * len(self._boxes))
            self._boxes = np.concatenate([self._boxes, np.empty((cap - len(self._boxes), 5))])
            self._open = np.concatenate([self._open, np.empty(cap - len(self._open), bool)])
        for i in range(self._n, n):
            self._boxes[i], self._open[i] = self._box(coverages[i], floor_m)
            self._by_index.setdefault(coverages[i].frame_index, []).append(coverages[i])
        self._n = n

    def candidates_for(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> np.ndarray:
        """Indices of the indexed frames that may have covered this point (a superset of those that did)."""
        if self._n == 0:
            return np.empty(0, int)
        x, y = self._frame.to_local(lat_deg, lon_deg)
        b = self._boxes[: self._n]
        inside = (b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])
        return np.flatnonzero(inside | self._open[: self._n] | (b[:, 4] > alt_amsl_m))

    def assess(self, targets, coverages, *, floor_m: float):
        """Evidence for each target (same order), as ``assess_targets(targets, coverages, rule)`` gives it.

        ``coverages`` only grows between calls (``FramePipeline.coverage``); ``floor_m`` is as for :meth:`index`.
        """
        from telemetry.confirm import assess_targets, count_opportunities

        n0 = self._n
        self.index(coverages, floor_m)
        n = self._n
        margin = self.rule.edge_margin_m
        # A target that has not moved since the last call: only the new frames can add opportunities,
        # all such targets at once. One that moved (a new sighting) or is new: the frames near it.
        still, moved = [], []
        for t in targets:
            c = self._covered.get(t.id)
            (still if c is not None and c[0] == (t.lat_deg, t.lon_deg, t.alt_amsl_m) else moved).append(t)
        if still and n > n0:
            new = count_opportunities([t.lat_deg for t in still], [t.lon_deg for t in still],
                                      [t.alt_amsl_m for t in still], coverages[n0:n], edge_margin_m=margin)
            for t, fs in zip(still, new):
                self._covered[t.id][1].update(fs)
        for t in moved:
            idx = self.candidates_for(t.lat_deg, t.lon_deg, t.alt_amsl_m)
            (fs,) = count_opportunities([t.lat_deg], [t.lon_deg], [t.alt_amsl_m], [coverages[i] for i in idx],
                                        edge_margin_m=margin)
            self._covered[t.id] = ((t.lat_deg, t.lon_deg, t.alt_amsl_m), fs)
        out = []
        for t in targets:
            frames = self._covered[t.id][1]
            key = (self._covered[t.id][0], t.sightings, t.score_sum, t.best_score, t.class_name, t.class_counts,
                   t.areas_m2, len(frames))
            kept = self._evidence.get(t.id)
            if kept is not None and kept[0] == key:  # nothing it is judged by has changed
                e = kept[1]
            else:
                # The verdict is telemetry.confirm's own, given the frames known to cover the target.
                e = assess_targets([t], [c for f in sorted(frames) for c in self._by_index[f]], self.rule)[0]
                self._evidence[t.id] = (key, e)
            if e.confirmed:
                self.confirmed_ids.add(t.id)
            out.append(e)
        return tuple(out)

    def is_confirmed(self, target_id: str) -> bool:
        """Confirmed now or at any assessment before."""
        return target_id in self.confirmed_ids

    def assess_pipeline(self, pipe):
        """The pipeline's fused targets and their evidence (a :class:`~thermal_sar.pipelines.search.SearchAssessment`)."""
        from thermal_sar.pipelines.search import SearchAssessment

        targets = pipe.targets()
        grid = pipe.grid
        # The ground under the current height grid, with room for a deeper valley beside it.
        floor = float(np.min(grid.heights_m)) - 50.0 if grid is not None else -500.0
        return SearchAssessment(targets, self.assess(targets, pipe.coverage, floor_m=floor))


def confirmation_properties(evidence, confirmed: bool) -> dict:
    """The properties a target carries to the live server: ``candidate`` and its ``evidence``."""
    e = evidence.to_dict()
    e.pop("id", None)
    e.pop("confirmed", None)
    return {"candidate": not confirmed, "evidence": e}


class FlightClock:
    """Flight-clock seconds -> POSIX time, from (flight time, wall time) pairs of processed frames.

    Targets carry flight-clock times (the autopilot's boot time); the officer
    reads the time of day. Thread-safe; interpolates, clamps outside the pairs.
    """

    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._pairs: collections.deque = collections.deque(maxlen=maxlen)

    def add(self, flight_s: float, wall_s: float) -> None:
        with self._lock:
            if not self._pairs or flight_s > self._pairs[-1][0]:
                self._pairs.append((float(flight_s), float(wall_s)))

    def wall(self, flight_s: float) -> float:
        with self._lock:
            if not self._pairs:
                return time.time()
            a = np.array(self._pairs)
        return float(np.interp(flight_s, a[:, 0], a[:, 1]))


def targets_collection(pipe, min_sightings: int = 1, *, flight_id: str = "", vehicle: str = "",
                       clock: FlightClock | None = None,
                       confirmation: LiveConfirmation | None = None) -> tuple[dict, int]:
    """Fused targets seen in at least ``min_sightings`` frames as a GeoJSON FeatureCollection, and how many of
    them are confirmed.

    Each feature says whether it is still a ``candidate`` and carries its
    ``evidence`` (hits, opportunities, support, best score, the reasons it is
    not confirmed), judged by ``confirmation`` (a new :class:`LiveConfirmation`
    with the default rule when None: give the flight's own to keep its state).
    Fusion ids are given in order of first sighting and frames are fused in
    time order, so a target keeps its id as sightings are added: the server
    updates each object in place (its confidence, CEP, sightings, thumbnail).
    Ids are prefixed with ``flight_id`` (another flight's T001 is another object);
    with ``clock``, first and last seen become POSIX times.
    """
    import json

    from telemetry.fusion import targets_geojson

    conf = confirmation if confirmation is not None else LiveConfirmation()
    a = conf.assess_pipeline(pipe)
    keep = [(t, e) for t, e in zip(a.targets, a.evidence) if t.sightings >= min_sightings]
    fc = json.loads(targets_geojson([t for t, _ in keep]))
    n = 0
    for f, (t, e) in zip(fc["features"], keep):
        confirmed = conf.is_confirmed(t.id)
        n += confirmed
        f["properties"].update(confirmation_properties(e, confirmed))
    return _labelled(fc, flight_id, vehicle, clock), n


def _labelled(fc: dict, flight_id: str, vehicle: str, clock: FlightClock | None = None) -> dict:
    for f in fc["features"]:
        p = f["properties"]
        if flight_id:
            p["id"] = f"{flight_id}-{p['id']}"
        if clock is not None:
            p["first_seen_s"] = round(clock.wall(p["first_seen_s"]), 3)
            p["last_seen_s"] = round(clock.wall(p["last_seen_s"]), 3)
    if vehicle:
        fc["vehicle"] = vehicle
    return fc


class FrameWorker:
    """Takes frames from a :class:`LatestFrame`, finds their pose, runs the pipeline, feeds the results on.

    ``on_result(frame, pose, outcome)`` is called for each processed frame (the
    session feeds the server from it). A frame that fails is counted and its
    error kept in :attr:`stats` (and reported by the session), the next one is processed.
    """

    def __init__(self, pipe, mailbox: LatestFrame, poses: PoseHistory, *,
                 on_result: Callable | None = None, pose_wait_s: float = 1.0, min_agl_m: float = 5.0) -> None:
        self.pipe = pipe
        self.min_agl_m = float(min_agl_m)
        self.mailbox = mailbox
        self.poses = poses
        self.on_result = on_result
        self.pose_wait_s = float(pose_wait_s)
        self.stats = LiveStats()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.busy = False

    def start(self) -> FrameWorker:
        self._thread = threading.Thread(target=self._main, name="frame-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)

    def _pose_for(self, f: LiveFrame) -> tuple[CameraPose | None, float | None]:
        if f.pose is not None:
            return f.pose, f.flight_time_s if f.flight_time_s is not None else f.pose.time_s
        deadline = time.monotonic() + self.pose_wait_s
        while True:
            t = f.flight_time_s if f.flight_time_s is not None else self.poses.flight_time(f.capture_mono_s)
            pose = self.poses.pose_at(t) if t is not None else None
            if pose is not None or time.monotonic() > deadline or self._stop.is_set():
                return pose, t
            time.sleep(0.05)  # the telemetry for this instant is still on its way

    def _main(self) -> None:
        try:
            while not self._stop.is_set():
                f = self.mailbox.take(0.2)
                if f is None:
                    continue
                self.busy = True
                try:
                    self._one(f)
                finally:
                    self.busy = False
        except BaseException as exc:  # kept for the session (never swallowed)
            self.error = exc

    def _one(self, f: LiveFrame) -> None:
        s = self.stats
        s.frames_received = self.mailbox.received
        s.frames_dropped = self.mailbox.dropped
        pose, t = self._pose_for(f)
        if pose is None or t is None:
            s.frames_without_pose += 1
            return
        terrain = self.pipe.terrain
        if bool(terrain.contains(pose.lat_deg, pose.lon_deg)) and \
                pose.alt_amsl_m - float(terrain.elevation_m(pose.lat_deg, pose.lon_deg)) < self.min_agl_m:
            s.frames_low += 1  # on the ground or taking off: the camera sees the launch pad
            return
        t0 = time.perf_counter()
        try:
            outcome = self.pipe.process(f.image, pose, time_s=t, frame_index=f.index)
        except SarError as exc:
            s.frames_failed += 1
            s.last_error = str(exc)
            return
        s.process_s += time.perf_counter() - t0
        s.frames_processed += 1
        s.detections += len(outcome.detections)
        s.sightings += len(outcome.sightings)
        if self.on_result is not None:
            self.on_result(f, pose, outcome)


# ---------------------------------------------------------------------------------------------- the session
def mission_geojson_from_items(items, area=None) -> dict:
    """A mission FeatureCollection for the officer map from MAVLink items: the route and the launch point,
    and the search area (a :class:`mission.SearchArea`) when given, for the map's coverage and POD."""
    nav = [it for it in items if it.seq != 0 and it.command in (16, 17, 18, 19, 21, 22, 82) and (it.x or it.y)]
    feats = []
    home = next((it for it in items if it.seq == 0 and (it.x or it.y)), None)
    if home is not None:
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [home.lon_deg, home.lat_deg]},
                      "properties": {"kind": "launch"}})
    if len(nav) >= 2:
        feats.append({"type": "Feature", "properties": {"kind": "flight_line"},
                      "geometry": {"type": "LineString", "coordinates": [[it.lon_deg, it.lat_deg] for it in nav]}})
    if area is not None:
        def ring(r):
            pts = [[float(lon), float(lat)] for lat, lon in r]
            return pts + pts[:1] if pts[0] != pts[-1] else pts

        feats.append({"type": "Feature", "properties": {"kind": "area", "name": area.name},
                      "geometry": {"type": "Polygon", "coordinates": [ring(area.outer)]}})
        for kind, rings in (("hole", area.holes), ("no_fly", area.no_fly)):
            for r in rings:
                feats.append({"type": "Feature", "properties": {"kind": kind},
                              "geometry": {"type": "Polygon", "coordinates": [ring(r)]}})
    return {"type": "FeatureCollection", "features": feats}


@dataclass
class LiveOptions:
    """What ``thermal-sar fly --frames`` adds to a flight (see :class:`LiveSession`)."""

    frames: str | None = None
    camera: str = "m30t"
    detector: str = "classical"
    terrain: object = None
    scene: object = None               # the simulated world for frames='sim' (and its terrain)
    scenario: str | None = None
    serve_url: str | None = None
    token: str | None = None
    vehicle_name: str = "drone1"
    frame_stall_s: float = 5.0
    link_lost_s: float = 3.0
    frame_latency_s: float = 0.0
    sim_interval_s: float = 1.0
    area: object = None                # a mission.SearchArea: coverage and POD on the officer map
    targets_path: Path | None = None   # where to write the flight's targets (GeoJSON) at the end, server or not
    min_score: float = 0.5
    min_sightings: int = 1             # objects seen this often go to the officer map (each once, updated)
    min_hits: int = 2                  # confirmation (telemetry.confirm.ConfirmationRule): frames that saw it
    min_support: float = 0.5           # and the mean score over the frames that covered it
    post_sightings: bool = False       # also every geotagged sighting of every frame (many per object)
    telemetry_hz: float = 2.0
    targets_every_s: float = 3.0
    transport: object = None           # an httpx transport for tests
    extra: dict = field(default_factory=dict)


class LiveSession:
    """The live part of a flight: source -> worker -> server feed, and the health watch.

    Use as a context manager around the flight. The MAVLink loop calls
    :meth:`on_message` for every message (a :class:`telemetry.Vehicle` handler)
    and :meth:`tick` after each pump; both are cheap and never block.
    ``on_status`` receives every health change (the CLI prints it).
    """

    def __init__(self, opts: LiveOptions, vehicle, *, home_latlon: tuple[float, float],
                 mission_fc: dict | None = None, on_status: Callable[[HealthStatus], None] | None = None,
                 on_stats: Callable[[LiveStats, int], None] | None = None, stats_every_s: float = 10.0) -> None:
        self.opts = opts
        self.on_stats = on_stats
        self.stats_every_s = float(stats_every_s)
        self._last_stats_mono = time.monotonic()
        self.vehicle = vehicle
        self.board = HealthBoard()
        if on_status is not None:
            self.board.listeners.append(on_status)
        self.poses = PoseHistory()
        self.clock = FlightClock()
        self.mailbox = LatestFrame()
        self.flight_id = f"{opts.vehicle_name}-{time.strftime('%Y%m%dT%H%M%S')}"
        self.feed: ServerFeed | None = None
        self.source: FrameSource | None = None
        self.worker: FrameWorker | None = None
        self.pipe = None
        self._home = home_latlon
        self._mission_fc = mission_fc
        self._last_hb_mono = time.monotonic()
        self._last_tel_mono = 0.0
        self._last_targets_mono = 0.0
        self._flying_since: float | None = None
        self._stats_lock = threading.Lock()
        self._reported_errors: set[int] = set()
        self.targets_sent = 0
        self.targets_written: Path | None = None
        from telemetry.confirm import ConfirmationRule

        # The rule replay and the demo apply: objects go to the map as candidates until it confirms them.
        self.confirmation = LiveConfirmation(ConfirmationRule(min_hits=opts.min_hits, min_support=opts.min_support,
                                                              min_best_score=opts.min_score))

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> LiveSession:
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> LiveSession:
        o = self.opts
        if o.serve_url:
            from maps.ingest_client import IngestClient

            if not o.token:
                raise InputError("serve_url is given without a token. Hint: create an ingest user with "
                                 "`thermal-sar users add drone1 --role ingest` and pass --token.")
            client = IngestClient(o.serve_url, o.token, timeout_s=5.0, retries=0, transport=o.transport)
            self.feed = ServerFeed(client, self.board, vehicle=o.vehicle_name).start()
            if self._mission_fc:
                self.feed.mission(self._mission_fc)
            self.board.raise_("flight", "info", f"flight {self.flight_id} started")
        if o.frames:
            self._start_frames()
        return self

    def _start_frames(self) -> None:
        from geo.camera import camera_preset
        from geo.frames import LocalFrame
        from telemetry.geotag import ErrorModel
        from thermal_sar.pipelines.detect import make_detector
        from thermal_sar.pipelines.search import FramePipeline

        o = self.opts
        cam = camera_preset(o.camera)
        terrain = o.terrain if o.terrain is not None else (o.scene.terrain if o.scene is not None else None)
        if terrain is None:
            raise InputError("live detection needs the ground under the flight: give --dem FILE (or --scenario for "
                             "the simulated world).")
        self.pipe = FramePipeline(cam, terrain, LocalFrame.at(*self._home), make_detector(o.detector),
                                  errors=ErrorModel(horizontal_sigma_m=2.0, vertical_sigma_m=2.0, dem_sigma_m=1.0),
                                  min_score=o.min_score)
        self.worker = FrameWorker(self.pipe, self.mailbox, self.poses, on_result=self._on_result).start()
        self.source = open_frame_source(o.frames, scene=o.scene, camera=cam, pose_fn=self.poses.latest,
                                        sim_interval_s=o.sim_interval_s, latency_s=o.frame_latency_s)
        self.source.start(self.mailbox.put)

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.source is not None:
            self.source.stop()
        if self.worker is not None:
            self.worker.stop()
            self._send_targets()  # the worker has stopped: the pipeline is ours now
        write_error = None
        try:
            self._write_targets()
        except SarIOError as exc:  # raised once the threads are stopped and the server has what it can get
            write_error = exc
        self._check_threads()
        # What is still wrong when the flight ends ends with it on the map (the log keeps it).
        for kind in [k for k in list(self.board.active) if k != "flight"]:
            self.board.clear(kind, "still so when the flight ended", resolved=False)
        self.board.clear("flight", f"flight {self.flight_id} ended")
        if self.feed is not None:
            self.feed.close()
            self.feed.client.close()
        if write_error is not None:
            raise write_error

    # -- called by the MAVLink loop ----------------------------------------------------
    def on_message(self, m) -> None:
        typ = m.get_type()
        if typ == "GLOBAL_POSITION_INT":
            self.poses.add(self.vehicle.state, time.monotonic())
        elif typ == "HEARTBEAT" and m.type != 6:
            self._last_hb_mono = time.monotonic()

    def tick(self, st) -> None:
        """Health checks and the periodic telemetry post; cheap, never blocks."""
        now = time.monotonic()
        o = self.opts
        hb_age = now - self._last_hb_mono
        if hb_age > o.link_lost_s:
            self.board.raise_("link_lost", "critical",
                              f"no heartbeat from the vehicle for {hb_age:.0f} s; the autopilot flies the mission "
                              "on its own (its failsafes apply)", started_s=_wall_from_mono(self._last_hb_mono))
        elif self.board.is_active("link_lost"):
            self.board.clear("link_lost", "heartbeat received again")
        if st.armed and self._flying_since is None:
            self._flying_since = now
        elif not st.armed and self._flying_since is not None and hb_age <= o.link_lost_s:
            self._flying_since = None
        if self.source is not None:
            self._check_frames(now)
        if self.feed is not None and st.lat_deg is not None and now - self._last_tel_mono >= 1.0 / o.telemetry_hz \
                and hb_age <= o.link_lost_s:
            self._last_tel_mono = now
            self.feed.telemetry({"t_s": time.time(), "lat_deg": st.lat_deg, "lon_deg": st.lon_deg,
                                 "alt_amsl_m": st.alt_amsl_m, "heading_deg": st.yaw_deg})
        if self.on_stats is not None and now - self._last_stats_mono >= self.stats_every_s:
            self._last_stats_mono = now
            self.on_stats(self.stats, self.feed.pending if self.feed is not None else 0)
        self._check_threads()

    def _check_frames(self, now: float) -> None:
        o = self.opts
        last = self.mailbox.last_mono_s
        if self._flying_since is None:
            if self.board.is_active("frames_stalled") and last is not None and now - last <= o.frame_stall_s:
                self.board.clear("frames_stalled", "frames arrive again")
            return
        ref = max(last if last is not None else self._flying_since, self._flying_since)
        age = now - ref
        src = self.source
        if age > o.frame_stall_s:
            why = f" ({src.note})" if getattr(src, "note", "") else ""
            self.board.raise_("frames_stalled", "warning",
                              f"no frame from {src.description} for {age:.0f} s while flying{why}; the search sees "
                              "nothing meanwhile", started_s=_wall_from_mono(ref))
        elif self.board.is_active("frames_stalled"):
            self.board.clear("frames_stalled", "frames arrive again")

    def _check_threads(self) -> None:
        w = self.worker
        for name, obj in (("frame source", self.source), ("pipeline", w), ("server feed", self.feed)):
            err = getattr(obj, "error", None) if obj is not None else None
            if err is not None and id(err) not in self._reported_errors:
                self._reported_errors.add(id(err))
                self.board.raise_(f"{name.replace(' ', '_')}_error", "critical",
                                  f"the {name} stopped: {type(err).__name__}: {err}")
        failing = w is not None and w.stats.frames_failed and w.stats.last_error
        if failing and not self.board.is_active("pipeline_error"):
            self.board.raise_("pipeline_error", "warning",
                              f"{w.stats.frames_failed} frame(s) failed; last: {w.stats.last_error}")

    # -- worker results ------------------------------------------------------------------
    def _on_result(self, f: LiveFrame, pose: CameraPose, outcome) -> None:
        """In the worker thread (the pipeline is touched by that thread only while it runs)."""
        self.clock.add(outcome.time_s, _wall_from_mono(f.capture_mono_s))
        now = time.monotonic()
        if now - self._last_targets_mono >= self.opts.targets_every_s:
            self._last_targets_mono = now
            self._send_targets()
        if self.feed is None:
            return
        ring = footprint_ring(self.pipe, pose)
        wall = _wall_from_mono(f.capture_mono_s)
        tel = {"t_s": wall, "lat_deg": pose.lat_deg, "lon_deg": pose.lon_deg, "alt_amsl_m": pose.alt_amsl_m,
               "heading_deg": pose.yaw_deg}
        if ring is not None and len(ring) >= 4:
            tel["footprint"] = ring
        self.feed.telemetry(tel)
        if outcome.sightings and self.opts.post_sightings:
            self.feed.detections(sighting_payloads(outcome, self.flight_id, wall))

    def _write_targets(self) -> None:
        """Every object found, on disk beside the tlog (flight-clock times), whatever became of the server."""
        import json

        path = self.opts.targets_path
        if path is None or self.pipe is None:
            return
        fc, _ = targets_collection(self.pipe, 1, flight_id=self.flight_id, vehicle=self.opts.vehicle_name,
                                   confirmation=self.confirmation)
        try:
            Path(path).write_text(json.dumps(fc, indent=1), encoding="utf-8")
        except OSError as exc:
            raise SarIOError(f"cannot write the targets to {str(path)!r}: {exc.strerror or exc}.") from None
        self.targets_written = Path(path)

    def _send_targets(self) -> None:
        if self.pipe is None or not self.pipe.sightings:
            return
        fc, n = targets_collection(self.pipe, self.opts.min_sightings, flight_id=self.flight_id,
                                   vehicle=self.opts.vehicle_name, clock=self.clock, confirmation=self.confirmation)
        if fc["features"] and self.feed is not None:
            self.feed.targets(fc)
        self.targets_sent = n

    @property
    def stats(self) -> LiveStats:
        s = self.worker.stats if self.worker is not None else LiveStats()
        s.frames_received = self.mailbox.received
        s.frames_dropped = self.mailbox.dropped
        if self.pipe is not None:
            s.targets = self.targets_sent
        return s


# ---------------------------------------------------------------------------------------------- the demo
class DemoServeSink:
    """Feeds the live server while the demo flies (the ``sink`` of :func:`thermal_sar.pipelines.demo.run_demo`).

    The demo calls :meth:`mission` once with the plan's GeoJSON,
    :meth:`telemetry` with each new vehicle state, :meth:`frame` after each
    processed frame and :meth:`finish` with the confirmed targets. Posting
    happens in a :class:`ServerFeed` thread: the demo never waits for the server.
    Telemetry is sent every ``telemetry_every_s`` of flight time (the demo flies
    faster than real time), at most ``max_telemetry_hz`` times a wall-clock second.
    Every object seen is sent as a candidate and updated as the flight goes on
    (every sighting too with ``post_sightings``); ``rule`` (the demo's
    :class:`telemetry.confirm.ConfirmationRule`) turns candidates into targets
    as the evidence comes (:class:`LiveConfirmation`), and :meth:`finish` sends
    the final word, the demo's own confirmed targets included.
    """

    def __init__(self, base_url: str, token: str, *, vehicle: str = "demo-drone", telemetry_every_s: float = 1.0,
                 max_telemetry_hz: float = 10.0, transport=None, post_sightings: bool = False,
                 on_status: Callable[[HealthStatus], None] | None = None, rule=None) -> None:
        from maps.ingest_client import IngestClient

        self.board = HealthBoard()
        if on_status is not None:
            self.board.listeners.append(on_status)
        self.client = IngestClient(base_url, token, timeout_s=5.0, retries=0, transport=transport)
        self.feed = ServerFeed(self.client, self.board, vehicle=vehicle).start()
        self.vehicle = vehicle
        self.clock = FlightClock()
        self.flight_id = f"demo-{time.strftime('%Y%m%dT%H%M%S')}"
        self.telemetry_every_s = float(telemetry_every_s)
        self.post_sightings = bool(post_sightings)
        self.min_wall_s = 1.0 / float(max_telemetry_hz)
        self._last_tel_t = -math.inf
        self._last_tel_wall = 0.0
        self._last_targets = 0.0
        self.frames = 0
        self.confirmation = LiveConfirmation(rule)
        self._pipe = None
        self.board.raise_("flight", "info", "demo flight started")

    def mission(self, feature_collection: dict) -> None:
        self.feed.mission(feature_collection)

    def telemetry(self, st) -> None:
        if st.lat_deg is None or st.time_boot_s is None:
            return
        now = time.monotonic()
        if st.time_boot_s - self._last_tel_t < self.telemetry_every_s or now - self._last_tel_wall < self.min_wall_s:
            return
        self._last_tel_t, self._last_tel_wall = st.time_boot_s, now
        self.feed.telemetry({"t_s": time.time(), "lat_deg": st.lat_deg, "lon_deg": st.lon_deg,
                             "alt_amsl_m": st.alt_amsl_m, "heading_deg": st.yaw_deg})

    def frame(self, pipe, pose: CameraPose, outcome) -> None:
        self.frames += 1
        self.clock.add(outcome.time_s, time.time())
        tel = {"t_s": time.time(), "lat_deg": pose.lat_deg, "lon_deg": pose.lon_deg, "alt_amsl_m": pose.alt_amsl_m,
               "heading_deg": pose.yaw_deg}
        ring = footprint_ring(pipe, pose)
        if ring is not None and len(ring) >= 4:
            tel["footprint"] = ring
        self.feed.telemetry(tel)
        if outcome.sightings and self.post_sightings:
            self.feed.detections(sighting_payloads(outcome, self.flight_id, time.time()))
        self._pipe = pipe
        now = time.monotonic()
        # Re-assessed every 2 s of wall time (every frame adds opportunities, so not only when something is seen).
        if pipe.sightings and now - self._last_targets > 2.0:
            self._last_targets = now
            self._send(pipe)

    def _send(self, pipe) -> None:
        fc, _ = targets_collection(pipe, 1, flight_id=self.flight_id, vehicle=self.vehicle, clock=self.clock,
                                   confirmation=self.confirmation)
        if fc["features"]:
            self.feed.targets(fc)

    def finish(self, targets) -> None:
        """The demo's final word: ``targets`` (its confirmed ones) are targets; every other object a candidate."""
        self.confirmation.confirmed_ids.update(t.id for t in targets)
        if self._pipe is not None and self._pipe.sightings:
            self._send(self._pipe)
        self.board.clear("flight", "demo flight ended")

    def close(self) -> None:
        self.feed.close()
        self.client.close()


@dataclass
class LocalServer:
    """The live server in this process: uvicorn in a thread over a temporary SQLite store.

    :meth:`start` creates an officer (``username``/``password``), a ground team
    ``ground1`` with the same password and an ingest token; :meth:`close`
    stops the server and removes the store.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    terrain: object = None
    username: str = "officer"
    password: str = ""
    token: str = ""
    db_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalServer:
        import logging
        import socket
        import tempfile

        import uvicorn

        from maps.security import hash_password, new_token, token_hash
        from maps.server import ServerConfig, create_app
        from maps.store import open_store

        if self.port == 0:
            with socket.socket() as s:
                s.bind((self.host, 0))
                self.port = s.getsockname()[1]
        else:
            with socket.socket() as s:
                try:
                    s.bind((self.host, self.port))
                except OSError as exc:
                    raise SarIOError(f"port={self.port} on {self.host} is not free ({exc.strerror or exc}). Hint: "
                                     "pass another --serve-port, or stop what listens there.") from None
        self._tmp = tempfile.TemporaryDirectory(prefix="thermal-sar-live-")
        self.db_path = Path(self._tmp.name) / "live.db"
        self.store = open_store(self.db_path)
        self.password = self.password or new_token()[:12]
        h = hash_password(self.password)
        self.store.add_user(self.username, "officer", password_hash=h)
        self.store.add_user("ground1", "ground", password_hash=h)
        self.token = new_token()
        self.store.add_user("demo-drone", "ingest", token_hash=token_hash(self.token))
        app = create_app(self.store, ServerConfig(terrain=self.terrain))
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        self._server = uvicorn.Server(uvicorn.Config(app, host=self.host, port=self.port, log_level="warning",
                                                     timeout_graceful_shutdown=1))
        self._thread = threading.Thread(target=self._server.run, name="live-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30.0
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise SarIOError(f"the live server did not start on {self.url}. Hint: try another --serve-port.")
            time.sleep(0.05)
        return self

    def close(self) -> None:
        srv = getattr(self, "_server", None)
        if srv is not None:
            srv.should_exit = True
            self._thread.join(timeout=10.0)
        st = getattr(self, "store", None)
        if st is not None:
            st.close()
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def _demo_rule(run_demo, demo_kw: dict):
    """The confirmation rule ``run_demo(**demo_kw)`` applies (its own defaults where not given)."""
    import inspect

    from telemetry.confirm import ConfirmationRule

    params = inspect.signature(run_demo).parameters

    def get(name):
        return demo_kw.get(name, params[name].default)

    return ConfirmationRule(min_hits=get("min_sightings"), min_support=get("min_support"),
                            min_best_score=get("min_score"))


def serve_demo(out_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
               on_ready: Callable[[LocalServer], None] | None = None,
               on_result: Callable | None = None, wait: Callable[[LocalServer], None] | None = None,
               on_status: Callable[[HealthStatus], None] | None = None, **demo_kw):
    """Run the live server and the demo feeding it; then keep serving until ``wait(server)`` returns.

    ``on_ready(server)`` is called once the server answers, before the demo
    starts (print the URL and sign-in there); ``on_result(result)`` when the
    demo has finished, before ``wait``. Returns the demo's result.
    """
    import sim
    from geo.terrain import load_terrain, synthetic_mountain
    from thermal_sar.pipelines.demo import run_demo

    spec = sim.read_scenario(demo_kw.get("scenario", "sheep"))
    terrain = synthetic_mountain(seed=7) if spec.terrain in ("synthetic-mountain", "synthetic") else \
        load_terrain(spec.terrain)
    with LocalServer(host=host, port=port, terrain=terrain) as server:
        if on_ready is not None:
            on_ready(server)
        sink = DemoServeSink(server.url, server.token, on_status=on_status, rule=_demo_rule(run_demo, demo_kw))
        try:
            result = run_demo(out_dir, sink=sink, **demo_kw)
        finally:
            sink.close()
        if on_result is not None:
            on_result(result)
        if wait is not None:
            wait(server)
    return result
