"""Fly a mission: connect, upload and verify, arm, start, follow progress until it ends."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from geo.errors import InputError, LinkError, LinkTimeout, SarIOError
from mission.items import MavCmd
from telemetry.control import MissionProgress, Vehicle
from telemetry.link import SERIAL_BAUDS, LinkEvent, MavlinkLink, parse_connection
from telemetry.mission_protocol import UploadReport
from telemetry.terrain_server import TerrainServer
from thermal_sar.pipelines.live import HealthStatus, LiveOptions, LiveSession, mission_geojson_from_items

__all__ = ["FlyReport", "LiveReport", "LiveOptions", "fly_mission", "fly_mission_on_sitl", "MissionNotVerified",
           "check_fly_options"]


class MissionNotVerified(LinkError):
    """The mission read back from the vehicle differs from the one uploaded: we do not fly it."""


@dataclass(frozen=True)
class FlyReport:
    items: int
    upload: UploadReport
    verified: bool
    flown: bool
    reached: tuple[int, ...]
    duration_s: float
    tlog_path: Path | None
    link_events: tuple[LinkEvent, ...] = field(repr=False, default=())
    terrain_blocks_sent: int = 0
    live: LiveReport | None = None

    def summary(self) -> str:
        """What a pilot reads after the upload and the flight, in the CLI's language (docs/i18n.md)."""
        from maps.i18n import gettext_for

        _ = tr = gettext_for()
        s = [_("uploaded {items} items (home + {n}) in {seconds} s ({legacy} MISSION_REQUEST, {int} "
               "MISSION_REQUEST_INT, {resends} resends); verified by download: {verified}").format(
            items=self.items, n=self.items - 1, seconds=tr.number(self.upload.duration_s, 1),
            legacy=self.upload.legacy_requests, int=self.upload.int_requests, resends=self.upload.resends,
            verified=_("yes") if self.verified else _("NO"))]
        if self.flown:
            if len(self.reached) <= 12:
                reached = str(list(self.reached))
            else:
                reached = _("{n} items, #{first}..#{last}").format(n=len(self.reached), first=self.reached[0],
                                                                   last=self.reached[-1])
            time_text = (tr.duration(self.duration_s) if self.duration_s >= 120 else
                         _("{seconds} s").format(seconds=tr.number(self.duration_s)))
            s.append(_("flew: items reached {reached} in {time}").format(reached=reached, time=time_text))
        lost = sum(e.kind == "lost" for e in self.link_events)
        if lost:
            back = self.link_events[-1].kind != "lost"
            s.append((tr.ngettext("link lost {n} time, reconnected each time", "link lost {n} times, reconnected "
                                  "each time", lost) if back else
                      tr.ngettext("link lost {n} time", "link lost {n} times", lost)).format(n=lost))
        if self.terrain_blocks_sent:
            s.append(_("terrain server: {n} blocks sent").format(n=self.terrain_blocks_sent))
        if self.tlog_path:
            s.append(_("tlog: {path}").format(path=self.tlog_path))
        return "\n".join(s)


@dataclass(frozen=True)
class LiveReport:
    """What the live part of a flight did (``--frames`` / ``--serve-url``)."""

    source: str
    frames_received: int
    frames_processed: int
    frames_dropped: int
    frames_without_pose: int
    frames_low: int
    frames_failed: int
    detections: int
    sightings: int
    targets: int
    process_ms_per_frame: float
    health: tuple = ()          # every HealthStatus change, in order
    server_url: str | None = None
    sent: dict = field(default_factory=dict)
    not_sent: int = 0
    targets_path: Path | None = None

    def summary(self) -> str:
        """The live part of the flight for the pilot, in the CLI's language (docs/i18n.md)."""
        from maps.i18n import gettext_for

        _ = tr = gettext_for()

        def clock(t: float) -> str:
            return time.strftime("%H:%M:%S", time.localtime(t))

        s = []
        if self.source:
            s.append(_("frames from {source}: {received} received, {processed} processed ({ms} ms each), {dropped} "
                       "dropped (arrived faster than processed), {no_pose} without a pose, {low} on the ground, "
                       "{failed} failed").format(
                source=self.source, received=self.frames_received, processed=self.frames_processed,
                ms=tr.number(self.process_ms_per_frame), dropped=self.frames_dropped,
                no_pose=self.frames_without_pose, low=self.frames_low, failed=self.frames_failed))
            s.append(_("found: {detections} detections, {geotagged} geotagged, {targets} targets (seen in 2 or more "
                       "frames)").format(detections=self.detections, geotagged=self.sightings, targets=self.targets))
            if self.targets_path is not None:
                s.append(_("targets: {path}").format(path=self.targets_path))
        if self.server_url:
            line = _("live server {url}: sent {detections} detections, {targets} target updates, {telemetry} "
                     "positions").format(url=self.server_url, detections=self.sent.get("detections", 0),
                                         targets=self.sent.get("targets", 0),
                                         telemetry=self.sent.get("telemetry", 0) + self.sent.get("footprint", 0))
            if self.not_sent:
                line += _("; NOT sent: {n} (the server did not answer at the end)").format(n=self.not_sent)
            s.append(line)
        problems = [h for h in self.health if h.severity != "info" and not h.active]
        still = [h for h in self.health if h.severity != "info" and h.active and not any(
            x.kind == h.kind and not x.active and x.started_s == h.started_s for x in self.health)]
        for h in problems:
            end = h.ended_s or h.started_s
            s.append(_("health: {kind} from {start} to {end} ({seconds} s): {message}").format(
                kind=h.kind, start=clock(h.started_s), end=clock(end), seconds=tr.number(end - h.started_s),
                message=h.message))
        for h in still:
            s.append(_("health: {kind} since {start}, not resolved: {message}").format(
                kind=h.kind, start=clock(h.started_s), message=h.message))
        return "\n".join(s)


def _check_number(name: str, value, lo: float, hi: float, unit: str, hint: str) -> None:
    import math

    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not (ok and lo <= value <= hi):
        raise InputError(f"{name}={value!r} is out of range: allowed {lo:g}..{hi:g}{unit}. Hint: {hint}.")


def check_fly_options(*, connect: str | None = None, baud: int = 57600, speedup: int = 1,
                      takeoff_alt_m: float | None = None, camera: str | None = None,
                      tlog_path: str | Path | None = None, frame_stall_s: float = 5.0, link_lost_s: float = 3.0,
                      frame_latency_s: float = 0.0, sim_interval_s: float = 1.0, min_support: float = 0.5) -> None:
    """Check the options of a flight before anything connects; :class:`InputError` names the first bad one.

    NaN and infinities are refused as well (a range check alone lets NaN through).
    """
    if isinstance(baud, bool) or not isinstance(baud, int) or baud not in SERIAL_BAUDS:
        raise InputError(f"baud={baud!r} is not a usual serial rate: allowed {', '.join(map(str, SERIAL_BAUDS))}. "
                         "Hint: 57600 for SiK telemetry radios, 115200 for USB.")
    if connect is not None:
        parse_connection(connect, baud=baud)
    _check_number("speedup", speedup, 1, 100, "", "SITL's speed-up, 1 is real time")
    if takeoff_alt_m is not None:
        _check_number("takeoff_alt_m", takeoff_alt_m, 1, 1000, " m above home", "e.g. --takeoff-alt 30")
    if camera is not None:
        import geo

        geo.camera_preset(camera)
    _check_number("frame_stall_s", frame_stall_s, 0.5, 600, " s", "e.g. --frame-stall-s 5")
    _check_number("link_lost_s", link_lost_s, 0.5, 600, " s", "e.g. --link-lost-s 3")
    _check_number("frame_latency_s", frame_latency_s, 0.0, 10.0, " s", "0 when unknown")
    _check_number("sim_interval_s", sim_interval_s, 0.05, 60, " s", "e.g. --sim-interval-s 1")
    _check_number("min_support", min_support, 0.0, 1.0, "", "the mean detection score a target needs, e.g. 0.5")
    if tlog_path is not None and Path(tlog_path).is_dir():
        raise SarIOError(f"tlog={str(tlog_path)!r} is a folder: allowed a file name. Hint: --tlog flight.tlog.")


def _live_report(session, opts) -> LiveReport:
    st = session.stats
    feed = session.feed
    return LiveReport(session.source.description if session.source is not None else "", st.frames_received,
                      st.frames_processed, st.frames_dropped, st.frames_without_pose, st.frames_low, st.frames_failed,
                      st.detections,
                      st.sightings, st.targets, 1000 * st.process_s / max(st.frames_processed, 1),
                      tuple(session.board.history), opts.serve_url, dict(feed.sent) if feed else {},
                      (feed.pending + feed.detections_lost) if feed else 0, session.targets_written)


def fly_mission(connect: str, items, *, tlog_path: str | Path | None = None, terrain=None, fly: bool = True,
                takeoff_alt_m: float | None = None, position_timeout_s: float = 120.0, arm_timeout_s: float = 90.0,
                mission_timeout_s: float = 3600.0, on_progress: Callable[[MissionProgress], None] | None = None,
                on_event: Callable[[LinkEvent], None] | None = None, baud: int = 57600,
                live: LiveOptions | None = None, on_status: Callable[[HealthStatus], None] | None = None,
                on_live: Callable | None = None) -> FlyReport:
    """Upload ``items`` (seq 0 = home, as :func:`mission.formats.load_mission_items` gives) and fly them.

    Sequence: heartbeat, data streams, wait for a position estimate, upload,
    download and compare (raise :class:`MissionNotVerified` on a difference),
    then unless ``fly`` is False: GUIDED, arm (retrying while the EKF
    converges), takeoff when the mission does not start with one, MISSION_START,
    and progress until the last item is reached or the vehicle lands and disarms.

    With ``live`` (:class:`~thermal_sar.pipelines.live.LiveOptions`), frames
    are taken from its source and searched in a worker thread while the
    vehicle flies, and the live server is fed; health problems (stalled
    frames, lost heartbeat, unreachable server) go to ``on_status`` and the
    officer map. They are reported only: nothing is commanded because of them.
    ``on_live(stats, waiting)`` gets the live counters every 10 s (``waiting``: items not yet on the server).
    """
    body = list(items)[1:] if items and items[0].seq == 0 else list(items)
    if not body:
        raise LinkError("the mission has no items after home. Hint: plan a mission first (thermal-sar plan).")
    t0 = time.monotonic()
    with MavlinkLink(connect, tlog_path=tlog_path, on_event=on_event, baud=baud) as link:
        v = Vehicle(link)
        server = None
        if terrain is not None:
            server = TerrainServer(link, terrain)
            v.handlers.append(server.handle)
        v.connect()
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, position_timeout_s,
                     "a position estimate and a home position")
        full, report, mism = v.upload_mission(body)
        if mism:
            raise MissionNotVerified("the mission on the vehicle differs from the one uploaded: " + "; ".join(mism[:5])
                                     + ". Not flying. Hint: upload again; check the items' frames.")
        if not fly:
            return FlyReport(len(full), report, True, False, (), time.monotonic() - t0, link.tlog_path,
                             tuple(link.events), server.blocks_sent if server else 0)
        session = None
        if live is not None and live.frames and live.targets_path is None and link.tlog_path is not None:
            live = replace(live, targets_path=link.tlog_path.with_suffix(".targets.geojson"))
        if live is not None and (live.frames or live.serve_url):
            session = LiveSession(live, v, home_latlon=(full[0].lat_deg, full[0].lon_deg),
                                  mission_fc=mission_geojson_from_items(full, live.area), on_status=on_status,
                                  on_stats=on_live)
        with session if session is not None else contextlib.nullcontext():
            if session is not None:
                v.handlers.append(session.on_message)
            v.set_mode("GUIDED")
            v.arm(timeout_s=arm_timeout_s)
            if body[0].command != MavCmd.NAV_TAKEOFF:
                alt = takeoff_alt_m or next((it.z for it in body if it.command < 80 and it.z > 0), 20.0)
                v.takeoff(alt)
            v.start_mission()
            last = None
            deadline = time.monotonic() + mission_timeout_s
            while True:
                st = v.pump(0.2)
                if session is not None:
                    session.tick(st)
                p = v.progress(len(full))
                key = (p.current_seq, p.reached, p.mode, p.armed)
                if key != last and on_progress is not None:
                    on_progress(p)
                last = key
                if p.done or (not st.armed and p.reached):
                    break
                if time.monotonic() > deadline:
                    raise LinkTimeout(f"the mission did not finish within {mission_timeout_s:.0f} s (at item "
                                      f"{p.current_seq}). The vehicle is still flying it: take control.")
        return FlyReport(len(full), report, True, True, v.state.mission_reached, time.monotonic() - t0,
                         link.tlog_path, tuple(link.events), server.blocks_sent if server else 0,
                         _live_report(session, live) if session is not None else None)


def fly_mission_on_sitl(items, *, sitl_binary: str | None = None, speedup: int = 1, instance: int = 0,
                        **kw) -> FlyReport:
    """:func:`fly_mission` on real ArduPilot SITL started at the mission's home (item 0).

    The binary is ``sitl_binary`` or ``$ARDUPILOT_SITL``; SITL runs in a
    temporary directory and is stopped (SIGTERM) afterwards, whatever happens.
    """
    from sim.sitl import Sitl, SitlConfig, SitlError, find_defaults, find_sitl_binary

    try:
        binary = find_sitl_binary(sitl_binary)
        if binary is None:
            raise SitlError("no SITL binary: pass --sitl-binary PATH or set ARDUPILOT_SITL=/path/to/arducopter.")
        home = items[0]
        if home.seq != 0 or (home.x == 0 and home.y == 0):
            raise SitlError("the mission has no home position (item 0) to start SITL at.")
        cfg = SitlConfig(binary, find_defaults(binary), home=(home.lat_deg, home.lon_deg, float(home.z), 0.0),
                         speedup=int(speedup), instance=int(instance), start_timeout_s=60.0)
    except SitlError as exc:
        raise LinkError(str(exc)) from None
    with Sitl(cfg) as s:
        kw.setdefault("position_timeout_s", 180.0)
        kw.setdefault("arm_timeout_s", 180.0)
        return fly_mission(s.connection, items, **kw)
