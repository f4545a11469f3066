"""A recorded flight to replay: a tlog of a straight pass over the sim's world, and its thermal frames.

Shared by ``tests/app/test_replay.py`` and ``bench/bench_replay.py``. The tlog
holds what ArduPilot streams (GLOBAL_POSITION_INT, ATTITUDE, MOUNT_STATUS and,
optionally, CAMERA_FEEDBACK at each still), stamped with a ground-station UTC
clock ``utc0_s`` + flight-clock time; the frames are rendered by ``sim`` at the
poses read back from that tlog, so they are what a camera on that aircraft saw.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Pass:
    """A straight pass at constant altitude: local (x, y) metres of the scene's frame, flight-clock seconds."""

    start_xy_m: tuple[float, float]
    end_xy_m: tuple[float, float]
    alt_amsl_m: float
    home_alt_amsl_m: float
    speed_m_s: float
    t0_s: float = 100.0
    utc0_s: float = 1_795_000_000.0  # the ground station's clock at flight-clock zero

    @property
    def duration_s(self) -> float:
        return math.dist(self.start_xy_m, self.end_xy_m) / self.speed_m_s

    @property
    def heading_deg(self) -> float:
        dx, dy = self.end_xy_m[0] - self.start_xy_m[0], self.end_xy_m[1] - self.start_xy_m[1]
        return math.degrees(math.atan2(dx, dy)) % 360.0

    def xy_at(self, t_s: float) -> tuple[float, float]:
        f = min(1.0, max(0.0, (t_s - self.t0_s) / self.duration_s))
        return (self.start_xy_m[0] + f * (self.end_xy_m[0] - self.start_xy_m[0]),
                self.start_xy_m[1] + f * (self.end_xy_m[1] - self.start_xy_m[1]))


def pass_over(scene, centre_xy_m: tuple[float, float], *, length_m: float, agl_m: float, speed_m_s: float,
              heading_deg: float = 0.0) -> Pass:
    """A pass of ``length_m`` centred on ``centre_xy_m``, ``agl_m`` above the ground there, towards ``heading_deg``."""
    h = math.radians(heading_deg)
    dx, dy = 0.5 * length_m * math.sin(h), 0.5 * length_m * math.cos(h)
    cx, cy = centre_xy_m
    ground = float(scene.grid.height_at(cx, cy))
    return Pass((cx - dx, cy - dy), (cx + dx, cy + dy), ground + agl_m, ground, speed_m_s)


def write_tlog(scene, flight: Pass, path: Path, *, rate_hz: float = 10.0, trigger_times_s=(),
               with_position: bool = True) -> Path:
    """Write the pass as a tlog; ``trigger_times_s`` (flight clock) become CAMERA_FEEDBACK messages."""
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
    recs: list[tuple[float, bytes]] = []
    n = int(round(flight.duration_s * rate_hz)) + 1
    yaw = math.radians((flight.heading_deg + 180.0) % 360.0 - 180.0)
    for i in range(n):
        t = flight.t0_s + i / rate_hz
        lat, lon = scene.frame.to_geodetic(*flight.xy_at(t))
        ms = int(round(t * 1000))
        if with_position:
            recs.append((t, mav.global_position_int_encode(
                ms, round(float(lat) * 1e7), round(float(lon) * 1e7), round(flight.alt_amsl_m * 1000),
                round((flight.alt_amsl_m - flight.home_alt_amsl_m) * 1000), 0, 0, 0,
                round(flight.heading_deg * 100) % 36000).pack(mav)))
        recs.append((t, mav.attitude_encode(ms, 0.0, 0.0, yaw, 0.0, 0.0, 0.0).pack(mav)))
        recs.append((t, mav.mount_status_encode(0, 0, -9000, 0, 0).pack(mav)))
    for k, t in enumerate(trigger_times_s):
        lat, lon = scene.frame.to_geodetic(*flight.xy_at(t))
        recs.append((t, mav.camera_feedback_encode(int(round(t * 1e6)), 1, 0, k, round(float(lat) * 1e7),
                                                   round(float(lon) * 1e7), flight.alt_amsl_m,
                                                   flight.alt_amsl_m - flight.home_alt_amsl_m, 0.0, 0.0,
                                                   flight.heading_deg, 0.0, 0).pack(mav)))
    recs.sort(key=lambda r: r[0])
    with open(path, "wb") as f:
        for t, buf in recs:
            f.write(struct.pack(">Q", int((flight.utc0_s + t) * 1e6)) + bytes(buf))
    return path


def write_dataflash_text(scene, flight: Pass, path: Path, *, rate_hz: float = 10.0, trigger_times_s=()) -> Path:
    """Write the pass as an ArduPilot DataFlash text log (.log): GPS and ATT, and a CAM message per trigger.

    DataFlash has no gimbal messages here: the reader takes the camera as nadir, as it is.
    """
    lines = [
        "FMT, 128, 89, FMT, BBnNZ, Type,Length,Name,Format,Columns",
        "FMT, 130, 45, GPS, QBIHBcLLeeff, TimeUS,Status,GMS,GWk,NSats,HDop,Lat,Lng,Alt,Spd,GCrs,VZ",
        "FMT, 131, 40, ATT, QccCcccc, TimeUS,DesRoll,Roll,DesPitch,Pitch,DesYaw,Yaw,ErrRP",
        "FMT, 132, 40, CAM, QIHLLeeeccC, TimeUS,GPSTime,GPSWeek,Lat,Lng,Alt,RelAlt,GPSAlt,Roll,Pitch,Yaw",
    ]
    rel = flight.alt_amsl_m - flight.home_alt_amsl_m
    rows: list[tuple[float, str]] = []
    n = int(round(flight.duration_s * rate_hz)) + 1
    for i in range(n):
        t = flight.t0_s + i / rate_hz
        lat, lon = scene.frame.to_geodetic(*flight.xy_at(t))
        us = int(round(t * 1e6))
        rows.append((t, f"GPS, {us}, 3, {int(t * 1000) % 604_800_000}, 2200, 14, 0.7, {float(lat):.8f}, "
                        f"{float(lon):.8f}, {flight.alt_amsl_m:.2f}, {flight.speed_m_s:.2f}, "
                        f"{flight.heading_deg:.2f}, 0"))
        rows.append((t, f"ATT, {us}, 0, 0, 0, 0, {flight.heading_deg:.2f}, {flight.heading_deg:.2f}, 0"))
    for t in trigger_times_s:
        lat, lon = scene.frame.to_geodetic(*flight.xy_at(t))
        rows.append((t, f"CAM, {int(round(t * 1e6))}, 0, 2200, {float(lat):.8f}, {float(lon):.8f}, "
                        f"{flight.alt_amsl_m:.2f}, {rel:.2f}, {flight.alt_amsl_m:.2f}, 0, 0, {flight.heading_deg:.2f}"))
    rows.sort(key=lambda r: r[0])
    path.write_text("\n".join(lines + [r for _, r in rows]) + "\n", encoding="ascii")
    return path


def render_at_log_poses(scene, camera, log_path: Path, times_s, *, seed: int = 5):
    """Frames the camera saw at flight-clock ``times_s``, from the poses the tlog gives (``sim.render_frame``)."""
    import sim
    from telemetry import read_tlog

    track = read_tlog(log_path).track
    return [sim.render_frame(scene, camera, track.pose_at(float(t)), seed=seed + k, agc="linear")
            for k, t in enumerate(times_s)]


def write_png_counts(frames, folder: Path) -> list[Path]:
    """16-bit radiometric counts (K x 100, as the sim's sensor reports them) as numbered PNGs."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, fr in enumerate(frames):
        p = folder / f"frame_{k:04d}.png"
        cv2.imwrite(str(p), fr.counts)
        out.append(p)
    return out


def write_video(frames, path: Path, fps: float, *, repeat: int = 1, codec: str = "MJPG") -> Path:
    """The 8-bit video (white-hot) of ``frames`` at ``fps``, the sequence written ``repeat`` times."""
    import cv2

    h, w = frames[0].video_u8.shape
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (w, h), isColor=False)
    if not vw.isOpened():
        raise RuntimeError(f"OpenCV cannot write {codec} video to {path}")
    try:
        for _ in range(repeat):
            for fr in frames:
                vw.write(np.ascontiguousarray(fr.video_u8))
    finally:
        vw.release()
    return path


def write_dji_srt(scene, flight: Pass, path: Path, times_s, *, layout: str = "brackets", gimbal: bool = True) -> Path:
    """The pass as a DJI video's subtitles: one block per frame at flight-clock ``times_s``, each block's
    start its frame's position in the video (the first frame at 0). ``layout``: ``brackets`` (M30T, M3T:
    ``[latitude: ..]`` groups, absolute and relative altitude, gimbal angles when ``gimbal``) or
    ``mavic2`` (``GPS (lon, lat, n), D ..m, H ..m``: height above take-off only). 6 decimals of a degree
    (0.1 m), as DJI writes them."""
    times = np.asarray(times_s, float)
    step = float(times[1] - times[0]) if times.size > 1 else 1.0

    def code(s: float) -> str:
        ms = int(round(s * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = []
    for i, t in enumerate(times):
        lat, lon = scene.frame.to_geodetic(*flight.xy_at(float(t)))
        rel = flight.alt_amsl_m - flight.home_alt_amsl_m
        start = float(t - times[0])
        if layout == "brackets":
            text = (f'<font size="28">FrameCnt: {i + 1}, DiffTime: {round(step * 1000)}ms\n'
                    f"2026-11-29 14:03:{12 + start:06.3f}\n"
                    "[iso: 100] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [focal_len: 13.50]\n"
                    f"[latitude: {float(lat):.6f}] [longitude: {float(lon):.6f}] "
                    f"[rel_alt: {rel:.3f} abs_alt: {flight.alt_amsl_m:.3f}]")
            if gimbal:
                text += f" [gb_yaw: {flight.heading_deg:.1f} gb_pitch: -90.0 gb_roll: 0.0]"
            text += " </font>"
        elif layout == "mavic2":
            text = (f"F/1.1, SS 30.0, ISO 100, EV 0, GPS ({float(lon):.6f}, {float(lat):.6f}, 18), "
                    f"D {math.dist(flight.start_xy_m, flight.xy_at(float(t))):.2f}m, H {rel:.2f}m, "
                    f"H.S {flight.speed_m_s:.2f}m/s, V.S 0.00m/s")
        else:
            raise ValueError(layout)
        blocks.append(f"{i + 1}\n{code(start)} --> {code(start + step)}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path
