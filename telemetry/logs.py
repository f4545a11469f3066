"""Read flight logs (.tlog, DataFlash .bin/.log) into a :class:`~telemetry.track.PoseTrack`.

Logs from real aircraft are messy: radio links corrupt packets, ground
stations log message ids our dialect does not know, GPS receivers glitch.
Readers never stop at the first bad byte: corrupt packets are skipped and
counted, unknown ids are counted by id, GPS glitches are flagged (and their
altitudes replaced by the barometric estimate) and reported in the
:class:`LogSummary`.

Time: every track is on the *flight clock*, the autopilot's boot time in
seconds (``time_boot_ms`` / ``TimeUS``). When the autopilot rebooted during
the log, the longest boot is kept and the others are counted.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo.camera import MountMode
from geo.errors import FormatError, SarIOError
from telemetry._pymavlink import open_connection
from telemetry.glitch import flag_gps_glitches
from telemetry.tlog import TlogScan, scan_tlog
from telemetry.track import CameraEvent, PoseTrack

__all__ = ["LogSummary", "FlightLog", "read_log", "read_tlog", "read_dataflash", "iter_tlog"]


@dataclass(frozen=True)
class LogSummary:
    """What a reader met in a log."""

    path: str
    kind: str  # "tlog", "dataflash" or "dji-srt"
    messages: int
    corrupt_packets: int
    unknown_ids: dict[int, int] = field(default_factory=dict)
    gps_samples: int = 0
    gps_glitches: int = 0
    gps_no_fix: int = 0
    boot_segments: int = 1
    counts: dict[str, int] = field(default_factory=dict, repr=False)
    garbage_bytes: int = 0  # bytes between packets that framed nothing (tlog)
    notes: tuple[str, ...] = ()  # what the reader assumed (a DJI .SRT without gimbal angles, ...)

    def describe(self) -> str:
        if self.kind == "dji-srt":
            extra = "".join(f"; {n}" for n in self.notes)
            return (f"DJI subtitles {Path(self.path).name}: {self.messages} blocks, {self.gps_samples} with a "
                    f"position, {self.corrupt_packets} skipped (no position or a value out of range){extra}")
        unk = ", ".join(f"{k}x{v}" for k, v in sorted(self.unknown_ids.items())) or "none"
        return (f"{self.kind} {Path(self.path).name}: {self.messages} messages, {self.corrupt_packets} corrupt packets "
                f"skipped, unknown ids: {unk}, GPS glitches: {self.gps_glitches}/{self.gps_samples}, "
                f"samples without 3D fix: {self.gps_no_fix}, boots: {self.boot_segments}")


@dataclass(frozen=True)
class FlightLog:
    """A log read into a pose track plus what the reader met."""

    track: PoseTrack
    summary: LogSummary
    home_alt_amsl_m: float | None = None
    # POSIX time (UTC) of the flight clock's zero: the ground station's clock for a tlog, GPS time for
    # DataFlash; None when the log has neither. Log time = POSIX time - boot_utc_s.
    boot_utc_s: float | None = None


def _open(path: Path):
    if not path.is_file():
        raise SarIOError(f"log file {str(path)!r} does not exist. Hint: check the path.")
    _not_empty(path)
    try:
        # pymavlink prints about bad bytes (to stdout and stderr, a line per byte); we count them ourselves.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return open_connection(str(path), robust_parsing=True)
    except OSError as exc:
        raise SarIOError(f"cannot open log {str(path)!r}: {exc}") from None


def _dataflash_start(path: Path) -> None:
    """Refuse a file that does not start as a DataFlash log does (a binary log with its first FMT
    message, header A3 95 80; a text log with an FMT line) before pymavlink scans it: on anything
    else its indexer writes a line per byte to the process's stderr."""
    if not path.is_file():
        raise SarIOError(f"log file {str(path)!r} does not exist. Hint: check the path.")
    _not_empty(path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise SarIOError(f"cannot read log {str(path)!r}: {exc.strerror or exc}") from None
    if head[:3] == b"\xa3\x95\x80" or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"FMT"):
        return
    what = ("a MAVLink telemetry log (give it the .tlog extension)" if head[:1] in (b"\xfd", b"\xfe") or
            (len(head) > 8 and head[8:9] in (b"\xfd", b"\xfe")) else "not a DataFlash log")
    raise FormatError(f"{str(path)!r} does not start with a DataFlash format message (bytes {head[:3].hex(' ')}): "
                      f"{what}. Hint: .bin (or text .log) from the autopilot's SD card, or the ground station's "
                      ".tlog.")


def _not_empty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SarIOError(f"cannot read log {str(path)!r}: {exc.strerror or exc}") from None
    if size == 0:
        raise FormatError(f"log {str(path)!r} is empty (0 bytes): no flight is recorded in it. Hint: copy the log "
                          "again from the ground station or the autopilot's SD card.")


def iter_tlog(path: str | Path, wanted=None, scan: TlogScan | None = None):
    """Yield every good message of a tlog (or those of ``wanted`` types); ``msg._timestamp`` is the GCS time.

    Corrupt packets are skipped and counted in ``scan`` (see :mod:`telemetry.tlog`).
    """
    for _t, msg in scan_tlog(path, wanted, scan):
        yield msg


_TLOG_WANTED = frozenset({"GLOBAL_POSITION_INT", "ATTITUDE", "MOUNT_STATUS", "GIMBAL_DEVICE_ATTITUDE_STATUS",
                          "GPS_RAW_INT", "CAMERA_FEEDBACK", "CAMERA_TRIGGER"})


def _longest_boot(times: np.ndarray) -> tuple[np.ndarray, int]:
    """Mask of the longest run of non-decreasing boot times, and the number of runs."""
    if times.size == 0:
        return np.zeros(0, bool), 0
    breaks = np.flatnonzero(np.diff(times) < -1.0) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [times.size]])
    k = int(np.argmax(ends - starts))
    m = np.zeros(times.size, bool)
    m[starts[k]:ends[k]] = True
    return m, len(starts)


def _angle_interp(t, tt, deg):
    if tt.size == 0:
        return None
    un = np.degrees(np.unwrap(np.radians(deg)))
    return (np.interp(t, tt, un) + 180.0) % 360.0 - 180.0


def read_tlog(path: str | Path, *, default_gimbal_pitch_deg: float = -90.0) -> FlightLog:
    """A MAVLink telemetry log (.tlog) as a pose track.

    Positions from GLOBAL_POSITION_INT, attitude from ATTITUDE, gimbal from
    MOUNT_STATUS (ArduPilot: roll/pitch earth frame, yaw relative to the
    vehicle) or GIMBAL_DEVICE_ATTITUDE_STATUS (yaw frame from its flags), camera events from CAMERA_FEEDBACK/CAMERA_TRIGGER,
    GPS glitches by comparing GPS_RAW_INT with the fused altitude.
    """
    p = Path(path)
    if not p.is_file():
        raise SarIOError(f"log file {str(p)!r} does not exist. Hint: check the path.")
    _not_empty(p)
    scan = TlogScan()
    pos, att, mnt, gps, cams, gda = [], [], [], [], [], []
    offsets = []  # GCS time - boot time, to place messages without time_boot_ms
    for msg in iter_tlog(p, _TLOG_WANTED, scan):
        typ = msg.get_type()
        if typ == "GLOBAL_POSITION_INT":
            if msg.lat != 0 or msg.lon != 0:
                pos.append((msg.time_boot_ms * 1e-3, msg.lat * 1e-7, msg.lon * 1e-7, msg.alt * 1e-3,
                            msg.relative_alt * 1e-3))
                offsets.append(msg._timestamp - msg.time_boot_ms * 1e-3)
        elif typ == "ATTITUDE":
            att.append((msg.time_boot_ms * 1e-3, math.degrees(msg.roll), math.degrees(msg.pitch),
                        math.degrees(msg.yaw)))
        elif typ == "MOUNT_STATUS":
            mnt.append((msg._timestamp, msg.pointing_b * 0.01, msg.pointing_a * 0.01, msg.pointing_c * 0.01))
        elif typ == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            w, x, y, z = msg.q
            if not any(math.isnan(v) for v in (w, x, y, z)):
                roll = math.degrees(math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))
                pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))
                yaw = math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
                # Yaw is earth-frame when locked (16) or flagged so (64) unless flagged vehicle-frame (32).
                earth = bool(msg.flags & (16 | 64)) and not msg.flags & 32
                gda.append((msg._timestamp, roll, pitch, yaw, earth))
        elif typ == "GPS_RAW_INT":
            if msg.lat != 0 or msg.lon != 0:
                gps.append((msg._timestamp, msg.lat * 1e-7, msg.lon * 1e-7, msg.alt * 1e-3, msg.fix_type >= 3))
        elif typ == "CAMERA_FEEDBACK":
            cams.append(("fb", msg._timestamp, msg.time_usec, msg.img_idx, msg.lat * 1e-7, msg.lng * 1e-7, msg.alt_msl))
        elif typ == "CAMERA_TRIGGER":
            cams.append(("tr", msg._timestamp, msg.time_usec, msg.seq, None, None, None))
    counts = dict(scan.counts)
    n_msgs = scan.packets + scan.corrupt
    if scan.packets == 0:
        raise FormatError(f"{str(p)!r}: no MAVLink packet could be read ({scan.corrupt} corrupt): not a telemetry "
                          "log. Hint: a .tlog is what the ground station (QGroundControl, Mission Planner) records; "
                          "for the autopilot's own log give the DataFlash .bin.")
    if not pos:
        raise FormatError(f"tlog {str(p)!r} has no GLOBAL_POSITION_INT with a position ({n_msgs} messages read). "
                          "Hint: the vehicle had no GPS fix, or the stream was not requested.")
    P = np.array(pos)
    keep, segments = _longest_boot(P[:, 0])
    P = P[keep]
    off = float(np.median(np.array(offsets)[keep]))
    t = P[:, 0]
    A = np.array(att) if att else np.zeros((0, 4))
    if A.size:
        A = A[(A[:, 0] >= t[0] - 5) & (A[:, 0] <= t[-1] + 5)]
    if A.shape[0] >= 2:
        roll = np.interp(t, A[:, 0], A[:, 1])
        pitch = np.interp(t, A[:, 0], A[:, 2])
        yaw = _angle_interp(t, A[:, 0], A[:, 3])
    else:
        roll = pitch = yaw = np.zeros_like(t)
    mount_mode = MountMode.EARTH_YAW_BODY
    if gda and not mnt:  # gimbal protocol v2 (ArduPilot 4.3+) instead of MOUNT_STATUS
        mnt = [r[:4] for r in gda]
        if sum(r[4] for r in gda) > len(gda) / 2:
            mount_mode = MountMode.EARTH
    if mnt:
        M = np.array(mnt)
        mt = M[:, 0] - off
        groll = np.interp(t, mt, M[:, 1])
        gpitch = np.interp(t, mt, M[:, 2])
        gyaw = _angle_interp(t, mt, M[:, 3])
    else:
        groll, gpitch, gyaw = np.zeros_like(t), np.full_like(t, default_gimbal_pitch_deg), np.zeros_like(t)
    glitch = np.zeros(t.shape[0], bool)
    n_gps = n_glitch = n_nofix = 0
    if gps:
        G = np.array(gps)
        G = G[(G[:, 0] - off >= t[0] - 1.0) & (G[:, 0] - off <= t[-1] + 1.0)]  # this boot only
        gt = G[:, 0] - off
        fused_alt = np.interp(gt, t, P[:, 3])
        fix = G[:, 4] > 0
        g_bad = flag_gps_glitches(gt, G[:, 1], G[:, 2], G[:, 3], fused_alt, fix_ok=fix)
        n_gps, n_glitch, n_nofix = int(G.shape[0]), int(g_bad.sum()), int((~fix).sum())
        if n_glitch:
            near = np.clip(np.searchsorted(t, gt[g_bad]), 0, t.size - 1)
            glitch[near] = True
    events = []
    for kind, ts, tus, idx, la, lo, al in cams:
        tb = (tus * 1e-6) if (tus and tus < 1e12 and abs(tus * 1e-6 - (ts - off)) < 30) else ts - off
        events.append(CameraEvent(float(tb), int(idx), la, lo, al))
    track = PoseTrack.from_samples(t, P[:, 1], P[:, 2], P[:, 3], roll, pitch, yaw, groll, gpitch, gyaw,
                                   mount_mode=mount_mode, gps_glitch=glitch,
                                   camera_events=tuple(sorted(events, key=lambda e: e.time_s)))
    home = float(np.median(P[:, 3] - P[:, 4]))
    summ = LogSummary(str(p), "tlog", n_msgs, scan.corrupt, dict(scan.unknown_ids), n_gps, n_glitch, n_nofix,
                      segments, counts, scan.garbage_bytes)
    return FlightLog(track, summ, home, off)


def _df_time_s(msg) -> float | None:
    d = msg._fieldnames if hasattr(msg, "_fieldnames") else ()
    if "TimeUS" in d:
        return msg.TimeUS * 1e-6
    if msg.get_type() == "GPS" and "T" in d:
        return msg.T * 1e-3  # old logs: TimeMS of GPS is the GPS week time, T is boot time
    if "TimeMS" in d:
        return msg.TimeMS * 1e-3
    return None


def read_dataflash(path: str | Path, *, default_gimbal_pitch_deg: float = -90.0) -> FlightLog:
    """An ArduPilot DataFlash log (.bin, or text .log) as a pose track.

    Positions from GPS (glitches flagged against BARO and their altitude
    replaced by the barometric estimate), attitude from ATT, camera events
    from CAM/TRIG. Bytes the reader cannot frame are skipped and counted.
    """
    from pymavlink import DFReader

    p = Path(path)
    counts: Counter[str] = Counter()
    gps, att, baro, cams, gps_utc = [], [], [], [], []
    _dataflash_start(p)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        conn = _open(p)
        if not isinstance(conn, (DFReader.DFReader_binary, DFReader.DFReader_text)):
            conn.close()
            raise FormatError(f"{str(p)!r} is not a DataFlash log. Hint: .bin or .log from the autopilot's SD card.")
        try:
            while True:
                msg = conn.recv_msg()
                if msg is None:
                    break
                typ = msg.get_type()
                counts[typ] += 1
                if typ not in ("GPS", "ATT", "BARO", "CAM", "TRIG"):
                    continue
                ts = _df_time_s(msg)
                if ts is None:
                    continue
                if typ == "GPS" and (msg.Lat != 0 or msg.Lng != 0):
                    gps.append((ts, msg.Lat, msg.Lng, msg.Alt, msg.Status >= 3))
                    if msg.Status >= 3 and getattr(msg, "GWk", 0) > 0:
                        # GPS week and milliseconds -> POSIX (GPS epoch 1980-01-06, 18 leap seconds since 2017).
                        gps_utc.append((ts, 315_964_800.0 + msg.GWk * 604_800.0 + msg.GMS * 1e-3 - 18.0 - ts))
                elif typ == "ATT":
                    att.append((ts, msg.Roll, msg.Pitch, msg.Yaw))
                elif typ == "BARO" and getattr(msg, "I", 0) == 0:
                    baro.append((ts, msg.Alt))
                elif typ in ("CAM", "TRIG"):
                    cams.append(CameraEvent(ts, int(getattr(msg, "Img", getattr(msg, "I", 0))),
                                            getattr(msg, "Lat", None), getattr(msg, "Lng", None),
                                            getattr(msg, "Alt", None)))
        finally:
            conn.close()
    skipped = sum(int(w.split()[1]) for w in out.getvalue().splitlines() if w.startswith("Skipped ") and
                  w.split()[1].isdigit())
    n_msgs = sum(counts.values())
    if n_msgs == 0:
        raise FormatError(f"{str(p)!r}: no DataFlash message could be read ({skipped} bytes skipped): not a "
                          "DataFlash log, or corrupt from its first byte. Hint: copy the .bin again from the "
                          "autopilot's SD card, or give the flight's .tlog.")
    if not any(g[4] for g in gps):
        raise FormatError(f"DataFlash log {str(p)!r} has no GPS message with a 3D fix ({n_msgs} messages read). "
                          "Hint: the flight had no GPS lock.")
    G = np.array(gps)
    keep, segments = _longest_boot(G[:, 0])
    G = G[keep]
    t = G[:, 0]
    B = np.array(baro) if baro else np.zeros((0, 2))
    baro_alt = np.interp(t, B[:, 0], B[:, 1]) if B.shape[0] >= 2 else None
    fix = G[:, 4] > 0
    glitch = flag_gps_glitches(t, G[:, 1], G[:, 2], G[:, 3], baro_alt, fix_ok=fix)
    bad = glitch | ~fix
    lat, lon, alt = G[:, 1].copy(), G[:, 2].copy(), G[:, 3].copy()
    good = ~bad
    if bad.any() and good.sum() >= 2:
        lat[bad] = np.interp(t[bad], t[good], lat[good])
        lon[bad] = np.interp(t[bad], t[good], lon[good])
        if baro_alt is not None:
            ref = float(np.median(G[good, 3] - baro_alt[good]))
            alt[bad] = baro_alt[bad] + ref
        else:
            alt[bad] = np.interp(t[bad], t[good], alt[good])
    A = np.array(att) if att else np.zeros((0, 4))
    if A.shape[0] >= 2:
        roll = np.interp(t, A[:, 0], A[:, 1])
        pitch = np.interp(t, A[:, 0], A[:, 2])
        yaw = _angle_interp(t, A[:, 0], A[:, 3])
    else:
        roll = pitch = yaw = np.zeros_like(t)
    track = PoseTrack.from_samples(t, lat, lon, alt, roll, pitch, yaw, None, np.full_like(t, default_gimbal_pitch_deg),
                                   None, mount_mode=MountMode.EARTH_YAW_BODY, gps_glitch=bad,
                                   camera_events=tuple(sorted(cams, key=lambda e: e.time_s)))
    home = float(alt[good][0]) if good.any() else None
    summ = LogSummary(str(p), "dataflash", n_msgs, skipped, {}, int(G.shape[0]), int(glitch.sum()),
                      int((~fix).sum()), segments,
                      dict(counts))
    U = np.array(gps_utc) if gps_utc else np.zeros((0, 2))
    U = U[(U[:, 0] >= t[0]) & (U[:, 0] <= t[-1])]
    return FlightLog(track, summ, home, float(np.median(U[:, 1])) if U.shape[0] else None)


def read_log(path: str | Path, **kw) -> FlightLog:
    """Read a .tlog, a DataFlash .bin/.log or a DJI video's .SRT subtitles, chosen by extension."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".srt":
        from telemetry.srt import read_dji_srt

        return read_dji_srt(p, **kw)
    if ext == ".tlog":
        return read_tlog(p, **kw)
    if ext in (".bin", ".log"):
        return read_dataflash(p, **kw)
    raise FormatError(f"log={str(p)!r}: unknown extension {ext!r}; allowed .tlog, .bin, .log, "
                      ".srt (DJI video subtitles).")
