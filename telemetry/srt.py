"""DJI video subtitles (.SRT): the pose of every frame of a DJI video.

A DJI drone records beside each video (``DJI_0001.MP4``) a subtitle file
(``DJI_0001.SRT``) with one block per frame or per second::

    12
    00:00:00,367 --> 00:00:00,400
    <font size="28">FrameCnt: 12, DiffTime: 33ms
    2024-08-07 12:34:24.380
    [iso: 100] [shutter: 1/3200.0] [fnum: 1.7] [ev: 0] [focal_len: 24.00]
    [latitude: 47.398742] [longitude: 8.545594] [rel_alt: 70.100 abs_alt: 518.927]
    [gb_yaw: 12.3 gb_pitch: -90.0 gb_roll: 0.0] </font>

The block's start time is the frame's position in the video, so the subtitle
track *is* the video's clock: frame time = log time, no offset to find. Two
layouts are read:

* bracketed ``[key: value]`` groups (enterprise and recent drones: M30T, M3T,
  M3E, Mini 3/4): ``latitude``, ``longitude``, ``abs_alt`` (metres above sea
  level, DJI's barometric-GPS estimate), ``rel_alt`` (above take-off), and
  where the drone writes them the gimbal angles ``gb_yaw``/``gb_pitch``/
  ``gb_roll`` (absolute: :attr:`geo.camera.MountMode.EARTH`, as in DJI's XMP)
  and ``drone_yaw``/``drone_pitch``/``drone_roll``;
* the Mavic 2 layout ``GPS (lon, lat, n), D 12.3m, H 70.1m`` (H: height above
  take-off; longitude first), and the Phantom 4's ``GPS(lon,lat,n) BAROMETER:70.1``.

Without gimbal angles the camera is taken to look straight down
(``default_gimbal_pitch_deg``) with the image's top towards the direction of
flight (the heading of the track where the drone moves faster than 1 m/s, held
through hovers); the summary says so. Without an absolute altitude, altitudes
are the height above take-off plus ``takeoff_alt_amsl_m`` (0 when not given:
then only flat ground at take-off level is consistent with them).

Blocks without a position (DJI writes 0, 0 before the GPS has a fix), with
numbers out of range or that do not parse are skipped and counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from geo.camera import MountMode
from geo.errors import FormatError, InputError, SarIOError
from telemetry.logs import FlightLog, LogSummary
from telemetry.track import PoseTrack

__all__ = ["SrtRecord", "parse_dji_srt", "read_dji_srt", "find_sibling_srt"]

# A block's start (h, min, s, ms): the frame's position in the video; its end is not needed.
_TIMECODE = re.compile(r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*-->\s*\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# "key: value" inside the brackets of the modern layout (several pairs may share one bracket).
_PAIR = re.compile(r"([A-Za-z_][A-Za-z_ ]*?)\s*:\s*(" + _NUM + r")")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
# The Mavic 2 layout.
_GPS = re.compile(r"GPS\s*\(\s*(" + _NUM + r")\s*,\s*(" + _NUM + r")\s*(?:,\s*(" + _NUM + r"))?\s*\)")
_HEIGHT = re.compile(r"(?:^|[\s,])H\s+(" + _NUM + r")\s*m\b|BAROMETER\s*:\s*(" + _NUM + r")")
_MAX_BYTES = 256 * 1024 * 1024
_MOVING_M_S = 1.0


@dataclass(frozen=True, slots=True)
class SrtRecord:
    """One subtitle block: its start in the video (s) and what it says (NaN: not given)."""

    time_s: float
    lat_deg: float
    lon_deg: float
    abs_alt_m: float = math.nan
    rel_alt_m: float = math.nan
    gimbal_yaw_deg: float = math.nan
    gimbal_pitch_deg: float = math.nan
    gimbal_roll_deg: float = math.nan
    drone_yaw_deg: float = math.nan
    drone_pitch_deg: float = math.nan
    drone_roll_deg: float = math.nan


_KEYS = {
    "latitude": "lat_deg", "lat": "lat_deg", "longitude": "lon_deg", "lon": "lon_deg", "lng": "lon_deg",
    "longtitude": "lon_deg",  # sic: some DJI firmware (Mavic Air 2) spells it so
    "abs_alt": "abs_alt_m", "rel_alt": "rel_alt_m", "altitude": "rel_alt_m",
    "gb_yaw": "gimbal_yaw_deg", "gb_pitch": "gimbal_pitch_deg", "gb_roll": "gimbal_roll_deg",
    "gimbal_yaw": "gimbal_yaw_deg", "gimbal_pitch": "gimbal_pitch_deg", "gimbal_roll": "gimbal_roll_deg",
    "drone_yaw": "drone_yaw_deg", "drone_pitch": "drone_pitch_deg", "drone_roll": "drone_roll_deg",
}
_RANGES = {"lat_deg": (-90.0, 90.0), "lon_deg": (-180.0, 180.0), "abs_alt_m": (-500.0, 10000.0),
           "rel_alt_m": (-2000.0, 10000.0), "gimbal_yaw_deg": (-360.0, 360.0), "gimbal_pitch_deg": (-180.0, 180.0),
           "gimbal_roll_deg": (-180.0, 180.0), "drone_yaw_deg": (-360.0, 360.0), "drone_pitch_deg": (-180.0, 180.0),
           "drone_roll_deg": (-180.0, 180.0)}


def _block_values(text: str) -> dict[str, float]:
    """The numbers of one block's text, by SrtRecord field (modern, then Mavic 2 layout)."""
    vals: dict[str, float] = {}
    for inside in _BRACKET.findall(text):
        for key, num in _PAIR.findall(inside):
            field = _KEYS.get(key.strip().lower().replace(" ", "_"))
            if field is not None and field not in vals:
                vals[field] = float(num)
    if "lat_deg" not in vals:
        m = _GPS.search(text)
        if m:
            vals["lon_deg"], vals["lat_deg"] = float(m.group(1)), float(m.group(2))
            h = _HEIGHT.search(text)
            if h:
                vals["rel_alt_m"] = float(h.group(1) if h.group(1) is not None else h.group(2))
    return vals


def parse_dji_srt(text: str) -> tuple[list[SrtRecord], int, int]:
    """(records in file order, blocks with a timecode, blocks skipped): the blocks of a DJI
    subtitle file's text. Skipped: no position, a (0, 0) position, a number out of range."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Blocks start at their timecode line; what precedes it (the index) is ignored.
    marks = list(_TIMECODE.finditer(text))
    records: list[SrtRecord] = []
    skipped = 0
    for i, m in enumerate(marks):
        body = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        h, mi, sec = (int(g) for g in m.groups()[:3])
        # "mmm" milliseconds; fewer digits are a decimal fraction ("0,5" = 500 ms).
        t = h * 3600.0 + mi * 60.0 + sec + int(m.group(4).ljust(3, "0")) / 1000.0
        vals = _block_values(body)
        ok = "lat_deg" in vals and "lon_deg" in vals and not (vals["lat_deg"] == 0.0 and vals["lon_deg"] == 0.0)
        ok = ok and all(math.isfinite(v) and _RANGES[k][0] <= v <= _RANGES[k][1] for k, v in vals.items())
        if not ok:
            skipped += 1
            continue
        records.append(SrtRecord(t, **vals))
    return records, len(marks), skipped


def _course_deg(track: PoseTrack) -> tuple[np.ndarray, bool]:
    """Direction of flight (deg from north) at each sample, held through hovers; False when never moving."""
    n = len(track)
    v = track.velocity_m_s(track.time_s)
    moving = np.hypot(v[:, 0], v[:, 1]) > _MOVING_M_S
    if not moving.any():
        return np.zeros(n), False
    course = np.degrees(np.arctan2(v[:, 0], v[:, 1]))
    idx = np.maximum.accumulate(np.where(moving, np.arange(n), -1))
    idx[idx < 0] = int(np.flatnonzero(moving)[0])
    return course[idx], True


def read_dji_srt(path: str | Path, *, takeoff_alt_amsl_m: float | None = None,
                 default_gimbal_pitch_deg: float = -90.0) -> FlightLog:
    """Read a DJI video's subtitle file into a :class:`FlightLog` on the video's clock
    (log time = the frame's position in the video, s); see the module docstring."""
    p = Path(path)
    if not p.is_file():
        raise SarIOError(f"subtitle file {str(p)!r} does not exist. Hint: DJI writes it beside the video "
                         "(DJI_0001.SRT for DJI_0001.MP4) when video subtitles are on in the camera settings.")
    if takeoff_alt_amsl_m is not None and not (math.isfinite(takeoff_alt_amsl_m)
                                               and -500.0 <= takeoff_alt_amsl_m <= 9000.0):
        raise InputError(f"takeoff_alt_amsl_m={takeoff_alt_amsl_m!r} is out of range: allowed -500..9000 m "
                         "above sea level (the ground where the drone took off).")
    if not -180.0 <= default_gimbal_pitch_deg <= 180.0:
        raise InputError(f"default_gimbal_pitch_deg={default_gimbal_pitch_deg!r}: allowed -180..180 deg.")
    try:
        size = p.stat().st_size
        if size > _MAX_BYTES:
            raise FormatError(f"{p.name}: {size} bytes is too large for a subtitle file (at most {_MAX_BYTES}).")
        text = p.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise SarIOError(f"cannot read {str(p)!r}: {exc}") from None
    records, blocks, skipped = parse_dji_srt(text)
    if len({r.time_s for r in records}) < 2:
        what = ("no subtitle block (no 'HH:MM:SS,mmm --> HH:MM:SS,mmm' line): not an SRT file" if blocks == 0
                else f"{blocks} subtitle blocks but {len(records)} with a position (latitude/longitude or GPS(...))")
        raise FormatError(f"{p.name}: {what}; at least two positioned blocks are needed for a track. Hint: give "
                          "the .SRT DJI recorded with the video, or a .tlog/.bin flight log.")

    # In time order, one record per time (the first block of a repeated timecode).
    _, first = np.unique([r.time_s for r in records], return_index=True)
    records = [records[i] for i in first]

    def col(name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in records], float)

    t = col("time_s")
    lat, lon = col("lat_deg"), col("lon_deg")
    abs_alt, rel_alt = col("abs_alt_m"), col("rel_alt_m")
    notes = []
    have_abs = np.isfinite(abs_alt)
    if have_abs.all():
        alt = abs_alt
        both = have_abs & np.isfinite(rel_alt)
        home = float(np.median(abs_alt[both] - rel_alt[both])) if both.any() else None
        if takeoff_alt_amsl_m is not None and np.isfinite(rel_alt).all():
            # A known take-off altitude (e.g. the DEM's ground there) beats DJI's barometric abs_alt.
            alt, home = rel_alt + takeoff_alt_amsl_m, float(takeoff_alt_amsl_m)
            notes.append("altitudes from rel_alt + the given take-off altitude")
    elif np.isfinite(rel_alt).all():
        home = float(takeoff_alt_amsl_m) if takeoff_alt_amsl_m is not None else 0.0
        alt = rel_alt + home
        notes.append("heights above take-off only" + ("" if takeoff_alt_amsl_m is not None
                                                       else ": take-off taken as 0 m (flat ground there)"))
    else:
        raise FormatError(f"{p.name}: {int((~np.isfinite(abs_alt) & ~np.isfinite(rel_alt)).sum())} positioned "
                          "blocks have no altitude (abs_alt, rel_alt or H); every block needs one.")
    g_yaw, g_pitch, g_roll = col("gimbal_yaw_deg"), col("gimbal_pitch_deg"), col("gimbal_roll_deg")
    d_yaw, d_pitch, d_roll = col("drone_yaw_deg"), col("drone_pitch_deg"), col("drone_roll_deg")
    if not np.isfinite(g_pitch).all():
        g_pitch = np.where(np.isfinite(g_pitch), g_pitch, default_gimbal_pitch_deg)
        notes.append(f"no gimbal pitch: {default_gimbal_pitch_deg:g} deg taken")
    track = PoseTrack(t, lat, lon, alt, np.nan_to_num(d_roll), np.nan_to_num(d_pitch), np.nan_to_num(d_yaw),
                      np.nan_to_num(g_roll), g_pitch, np.nan_to_num(g_yaw), mount_mode=MountMode.EARTH)
    if not np.isfinite(g_yaw).all():
        course, moving = _course_deg(track)
        g_yaw = np.where(np.isfinite(g_yaw), g_yaw, np.where(np.isfinite(d_yaw), d_yaw, course))
        notes.append("no gimbal yaw: image top taken " + ("along the drone's heading" if np.isfinite(d_yaw).all()
                                                          else "towards the direction of flight"
                                                          if moving else "towards north (the drone never moved)"))
    track = replace(track, yaw_deg=np.where(np.isfinite(d_yaw), d_yaw, g_yaw), gimbal_yaw_deg=g_yaw)
    counts = {"blocks": blocks, "positioned": len(records), "relative_only": int(not have_abs.all())}
    summ = LogSummary(str(p), "dji-srt", messages=blocks, corrupt_packets=skipped, gps_samples=len(records),
                      counts=counts, notes=tuple(notes))
    return FlightLog(track, summ, home, None)


def find_sibling_srt(video: str | Path) -> Path | None:
    """The DJI subtitles recorded beside ``video`` (same name, ``.SRT`` in any case), if there."""
    v = Path(video)
    try:
        for p in v.parent.iterdir():
            if p.stem == v.stem and p.suffix.lower() == ".srt" and p.is_file():
                return p
    except OSError:
        return None
    return None
