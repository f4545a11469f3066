"""Radiometric JPEGs from FLIR and DJI cameras.

Two families exist:

* **FLIR FFF** (FLIR cameras, and DJI's FLIR-cored XT2 and XT-R): APP1
  segments starting ``FLIR\\0`` carry, concatenated, an FFF file whose records
  hold the raw 16-bit thermal image (TIFF-like raw or PNG) and the camera
  calibration: Planck constants R1, R2, B, F, O, emissivity, reflected and
  atmospheric temperature, object distance and humidity. :func:`raw_to_temperature_c`
  is the standard FLIR radiometric chain (as in ExifTool's FLIR.pm and the
  Thermimage R package), so these files decode to temperature.
* **DJI R-JPEG** (H20T, H20N, M2EA, M30T, M3T): APP3 segments carry 640x512
  16-bit raw values; the mapping to temperature lives in DJI's closed Thermal
  SDK and is not documented, so we return the raw **counts** (monotonic in
  scene radiance, good for detection) flagged ``NOT_CALIBRATED`` and never
  invent temperatures. DJI XT S files carry no full raw image: the 8-bit image
  is used and the frame is flagged ``FALLBACK_8BIT``.

The XMP ``drone-dji:`` (or ``DJI:``) tags give the pose and the laser
rangefinder target; DJI's ``GimbalYawDegree`` is absolute, so the pose uses
``MountMode.EARTH``.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass

import numpy as np

from geo.camera import CameraPose, MountMode
from geo.dji_xmp import dji_number, dji_xmp_tags
from geo.errors import FormatError, SarError
from vision.frame import FrameFlag, LrfTarget, ThermalFrame, ValueKind

__all__ = [
    "FlirCalibration",
    "jpeg_segments",
    "parse_flir_fff",
    "raw_to_temperature_c",
    "parse_dji_xmp",
    "pose_from_xmp",
    "lrf_from_xmp",
    "decode_rjpeg",
    "is_radiometric_jpeg",
]

DJI_RAW_SHAPE = (512, 640)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The (marker, payload) pairs of a JPEG's header segments, up to the scan.

    ``marker`` is the second marker byte (0xE1 for APP1). Raises FormatError
    for bytes that are not a JPEG.
    """
    if len(data) < 4 or data[:2] != b"\xff\xd8":
        raise FormatError("file does not start with the JPEG SOI marker FF D8. Hint: is it a JPEG at all?")
    out: list[tuple[int, bytes]] = []
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            raise FormatError(f"JPEG marker expected at byte {i}, found 0x{data[i]:02X}: the file is corrupt or truncated.")
        m = data[i + 1]
        if m == 0xFF:  # fill byte
            i += 1
            continue
        if m in (0xD8, 0x01) or 0xD0 <= m <= 0xD7:
            i += 2
            continue
        if m in (0xDA, 0xD9):
            break
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if length < 2 or i + 2 + length > n:
            raise FormatError(f"JPEG segment 0x{m:02X} at byte {i} has length {length} beyond the file end: truncated file.")
        out.append((m, data[i + 4:i + 2 + length]))
        i += 2 + length
    return out


# ----------------------------------------------------------------------------- FLIR


@dataclass(frozen=True, slots=True)
class FlirCalibration:
    """Radiometric constants of a FLIR FFF CameraInfo record.

    Temperatures in degrees Celsius, distance in metres, humidity as a
    fraction 0..1.
    """

    emissivity: float
    object_distance_m: float
    reflected_temp_c: float
    atmospheric_temp_c: float
    ir_window_temp_c: float
    ir_window_transmission: float
    relative_humidity: float
    planck_r1: float
    planck_b: float
    planck_f: float
    planck_o: float
    planck_r2: float
    atm_alpha1: float
    atm_alpha2: float
    atm_beta1: float
    atm_beta2: float
    atm_x: float
    camera_model: str = ""
    raw_median: int | None = None
    raw_range: int | None = None


def _flir_payload(segments: list[tuple[int, bytes]]) -> bytes | None:
    parts = [(p[5], p[6], p[8:]) for m, p in segments if m == 0xE1 and p[:5] == b"FLIR\x00" and len(p) > 8]
    if not parts:
        return None
    parts.sort(key=lambda t: t[0])
    return b"".join(p for _, _, p in parts)


def parse_flir_fff(fff: bytes) -> tuple[np.ndarray, FlirCalibration]:
    """Raw thermal counts (uint16, rows x cols) and calibration from an FFF blob.

    Record layout as documented by ExifTool (FLIR.pm): a 64-byte header,
    a directory of 32-byte entries; record type 1 is RawData, 0x20 CameraInfo.
    """
    if fff[:4] not in (b"FFF\x00", b"AFF\x00"):
        raise FormatError("FLIR APP1 data does not start with 'FFF': not a FLIR radiometric JPEG.")
    (ver_be,) = struct.unpack(">I", fff[20:24])
    bo = ">" if 100 <= ver_be < 200 else "<"
    dir_off, n_entries = struct.unpack(bo + "II", fff[24:32])
    if n_entries > 1000 or dir_off + 32 * n_entries > len(fff):
        raise FormatError(f"FLIR FFF directory ({n_entries} entries at {dir_off}) lies beyond the data: corrupt file.")
    raw = cal = None
    for k in range(n_entries):
        e = fff[dir_off + 32 * k: dir_off + 32 * (k + 1)]
        rtype, _sub, _rver, _ident, off, length = struct.unpack(bo + "HHIIII", e[:20])
        rec = fff[off:off + length]
        if rtype == 1 and raw is None and len(rec) > 32:
            raw = _flir_raw(rec)
        elif rtype == 0x20 and cal is None and len(rec) >= 0x340:
            cal = _flir_camera_info(rec)
    if raw is None or cal is None:
        raise FormatError("FLIR FFF data lacks the raw image or the camera calibration record: cannot compute temperatures.")
    return raw, cal


def _record_order(rec: bytes) -> str:
    # The first int16 of a record is 2 in the record's own byte order.
    return "<" if struct.unpack("<H", rec[:2])[0] == 2 else ">"


def _flir_raw(rec: bytes) -> np.ndarray:
    bo = _record_order(rec)
    w, h = struct.unpack(bo + "HH", rec[2:6])
    body = rec[32:]
    if body[:8] == b"\x89PNG\r\n\x1a\n":
        import cv2

        img = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_UNCHANGED)
        if img is None or img.dtype != np.uint16:
            raise FormatError("FLIR raw PNG could not be decoded as 16-bit.")
        # FLIR writes the PNG's 16-bit samples little-endian, against the PNG standard.
        arr = img.byteswap()
    else:
        if len(body) < 2 * w * h:
            raise FormatError(f"FLIR raw image is {len(body)} bytes, expected {2 * w * h} for {w}x{h}: truncated file.")
        arr = np.frombuffer(body[:2 * w * h], dtype=np.dtype(np.uint16).newbyteorder(bo)).reshape(h, w)
    if arr.shape != (h, w):
        raise FormatError(f"FLIR raw image is {arr.shape[1]}x{arr.shape[0]}, the record says {w}x{h}.")
    return arr.astype(np.uint16)


def _flir_camera_info(rec: bytes) -> FlirCalibration:
    bo = _record_order(rec)

    def f(o: int) -> float:
        return struct.unpack(bo + "f", rec[o:o + 4])[0]

    k0 = 273.15
    rh = f(0x3C)
    model = rec[0xD4:0xD4 + 32].split(b"\x00")[0].decode("latin-1", "replace").strip()
    return FlirCalibration(
        emissivity=f(0x20),
        object_distance_m=f(0x24),
        reflected_temp_c=f(0x28) - k0,
        atmospheric_temp_c=f(0x2C) - k0,
        ir_window_temp_c=f(0x30) - k0,
        ir_window_transmission=f(0x34),
        relative_humidity=rh / 100.0 if rh > 2 else rh,
        planck_r1=f(0x58),
        planck_b=f(0x5C),
        planck_f=f(0x60),
        atm_alpha1=f(0x70),
        atm_alpha2=f(0x74),
        atm_beta1=f(0x78),
        atm_beta2=f(0x7C),
        atm_x=f(0x80),
        planck_o=float(struct.unpack(bo + "i", rec[0x308:0x30C])[0]),
        planck_r2=f(0x30C),
        camera_model=model,
        raw_median=struct.unpack(bo + "H", rec[0x338:0x33A])[0],
        raw_range=struct.unpack(bo + "H", rec[0x33C:0x33E])[0],
    )


def raw_to_temperature_c(raw: np.ndarray, cal: FlirCalibration) -> np.ndarray:
    """FLIR raw counts -> object temperature in degrees Celsius (float32).

    Corrects for emissivity, reflected apparent temperature, atmospheric
    transmission (from distance, humidity and air temperature) and the IR
    window, then inverts Planck's law with R1, R2, B, F, O.
    """
    e = cal.emissivity if cal.emissivity > 0 else 1.0
    irt = cal.ir_window_transmission if cal.ir_window_transmission > 0 else 1.0
    od = max(cal.object_distance_m, 0.0)
    t_atm = cal.atmospheric_temp_c
    h2o = cal.relative_humidity * math.exp(1.5587 + 0.06939 * t_atm - 0.00027816 * t_atm ** 2 + 0.00000068455 * t_atm ** 3)
    tau = cal.atm_x * math.exp(-math.sqrt(od / 2) * (cal.atm_alpha1 + cal.atm_beta1 * math.sqrt(h2o))) + (
        1 - cal.atm_x) * math.exp(-math.sqrt(od / 2) * (cal.atm_alpha2 + cal.atm_beta2 * math.sqrt(h2o)))
    r1, r2, b, f, o = cal.planck_r1, cal.planck_r2, cal.planck_b, cal.planck_f, cal.planck_o

    def radiance(t_c: float) -> float:
        return r1 / (r2 * (math.exp(b / (t_c + 273.15)) - f)) - o

    raw_refl = radiance(cal.reflected_temp_c)
    raw_atm = radiance(t_atm)
    raw_wind = radiance(cal.ir_window_temp_c)
    # Two atmosphere layers either side of the window, as in the FLIR chain.
    raw_obj = (
        raw.astype(np.float64) / e / tau / irt / tau
        - (1 - tau) / e / tau * raw_atm
        - (1 - tau) / e / tau / irt / tau * raw_atm
        - (1 - irt) / e / tau / irt * raw_wind
        - (1 - e) / e * raw_refl
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        t = b / np.log(r1 / (r2 * (raw_obj + o)) + f) - 273.15
    return t.astype(np.float32)


# ----------------------------------------------------------------------------- DJI XMP

def parse_dji_xmp(data: bytes) -> dict[str, str]:
    """The ``drone-dji:`` / ``DJI:`` XMP tags of a file as strings (empty when none): :func:`geo.dji_xmp.dji_xmp_tags`."""
    return dji_xmp_tags(data)



def pose_from_xmp(tags: dict[str, str], exif_gps: tuple[float, float, float] | None = None) -> CameraPose | None:
    """A CameraPose (MountMode.EARTH) from DJI XMP tags, or None if position is missing.

    Position from ``GpsLatitude``/``GpsLongitude`` (or EXIF GPS when the XMP
    lacks them, as on the XT2), altitude from ``AbsoluteAltitude`` (AMSL).
    """
    lat = dji_number(tags, "GpsLatitude", "Latitude")
    lon = dji_number(tags, "GpsLongitude", "GpsLongtitude", "Longitude")
    alt = dji_number(tags, "AbsoluteAltitude")
    if (lat is None or lon is None) and exif_gps is not None:
        lat, lon = exif_gps[0], exif_gps[1]
        alt = alt if alt is not None else exif_gps[2]
    if lat is None or lon is None or alt is None or (lat == 0 and lon == 0):
        return None
    try:
        return CameraPose(
            lat_deg=lat, lon_deg=lon, alt_amsl_m=alt,
            roll_deg=dji_number(tags, "FlightRollDegree") or 0.0,
            pitch_deg=dji_number(tags, "FlightPitchDegree") or 0.0,
            yaw_deg=dji_number(tags, "FlightYawDegree") or 0.0,
            gimbal_roll_deg=dji_number(tags, "GimbalRollDegree") or 0.0,
            gimbal_pitch_deg=pitch if (pitch := dji_number(tags, "GimbalPitchDegree")) is not None else -90.0,
            gimbal_yaw_deg=dji_number(tags, "GimbalYawDegree") or 0.0,
            mount_mode=MountMode.EARTH,
        )
    except SarError:
        return None


def lrf_from_xmp(tags: dict[str, str]) -> LrfTarget | None:
    """The laser rangefinder target, or None when absent or without a return (distance 0)."""
    d = dji_number(tags, "LRFTargetDistance")
    lat = dji_number(tags, "LRFTargetLat")
    lon = dji_number(tags, "LRFTargetLon")
    if d is None or lat is None or lon is None or d <= 0 or (lat == 0 and lon == 0):
        return None
    if tags.get("LRFStatus", "Normal").strip().lower() not in ("normal", ""):
        return None
    try:
        return LrfTarget(lat, lon, d, dji_number(tags, "LRFTargetAlt"), dji_number(tags, "LRFTargetAbsAlt"))
    except SarError:
        return None


def _exif_info(data: bytes) -> tuple[tuple[float, float, float] | None, str, str, str]:
    """(lat, lon, alt) from EXIF GPS, the camera make and model, DateTimeOriginal."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            ex = im.getexif()
            make = str(ex.get(0x010F, "")).strip("\x00 ")
            model = str(ex.get(0x0110, "")).strip("\x00 ")
            g = ex.get_ifd(0x8825)
            when = str(ex.get_ifd(0x8769).get(0x9003, ex.get(0x0132, ""))).strip("\x00 ")
    except Exception:  # PIL raises many types for odd EXIF; the pixels may still be fine
        return None, "", "", ""
    try:
        def dms(v) -> float:
            return float(v[0]) + float(v[1]) / 60 + float(v[2]) / 3600

        lat = dms(g[2]) * (-1 if str(g.get(1, "N")).upper().startswith("S") else 1)
        lon = dms(g[4]) * (-1 if str(g.get(3, "E")).upper().startswith("W") else 1)
        alt = float(g.get(6, 0.0)) * (-1 if g.get(5, 0) in (1, b"\x01") else 1)
        return (lat, lon, alt), make, model, when
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None, make, model, when


def is_radiometric_jpeg(data: bytes) -> bool:
    """True when the JPEG carries FLIR FFF or DJI APP3 raw data."""
    try:
        segs = jpeg_segments(data)
    except FormatError:
        return False
    return any((m == 0xE1 and p[:5] == b"FLIR\x00") or m == 0xE3 for m, p in segs)


def _display_grey(data: bytes) -> tuple[np.ndarray, bool]:
    """The display image as grey, and whether the file was truncated (decoded up to its end)."""
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is not None:
        return img, False
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        # A file cut short (copy interrupted, card pulled): decode what is there.
        img = cv2.imdecode(np.frombuffer(data + b"\xff\xd9", np.uint8), cv2.IMREAD_GRAYSCALE)
        if img is not None:
            return img, True
    raise FormatError("the JPEG image data cannot be decoded: the file is corrupt or truncated.")


def decode_rjpeg(data: bytes, *, source: str = "") -> ThermalFrame:
    """Decode a FLIR or DJI radiometric JPEG (or a plain thermal JPEG) to a frame.

    FLIR FFF -> TEMPERATURE_C. DJI APP3 raw -> COUNTS flagged NOT_CALIBRATED.
    Otherwise the 8-bit image as GREY flagged FALLBACK_8BIT (with a note).
    Pose and LRF target are attached when the XMP has them.
    """
    segs = jpeg_segments(data)
    tags = parse_dji_xmp(data)
    gps, make, model, when = _exif_info(data)
    pose = pose_from_xmp(tags, gps)
    lrf = lrf_from_xmp(tags)
    camera = " ".join(x for x in (make, model) if x)
    meta: dict[str, object] = {"xmp": dict(tags), "make": make, "model": model, "datetime_original": when}

    fff = _flir_payload(segs)
    if fff is not None:
        raw, cal = parse_flir_fff(fff)
        temp = raw_to_temperature_c(raw, cal)
        meta["flir"] = cal
        meta["raw"] = raw
        flags: set[FrameFlag] = set()
        notes: list[str] = []
        if not np.all(np.isfinite(temp)):
            flags.add(FrameFlag.CORRUPT)
            notes.append("some raw values fall outside the Planck calibration (NaN temperatures)")
        return ThermalFrame(temp, ValueKind.TEMPERATURE_C, source=source, camera=camera or cal.camera_model,
                            flags=frozenset(flags), notes=tuple(notes), pose=pose, lrf=lrf, meta=meta)

    app3 = b"".join(p for m, p in segs if m == 0xE3)
    n_raw = DJI_RAW_SHAPE[0] * DJI_RAW_SHAPE[1] * 2
    if make.upper().startswith("DJI") and len(app3) >= n_raw:
        raw = np.frombuffer(app3[:n_raw], dtype="<u2").reshape(DJI_RAW_SHAPE).copy()
        note = (f"DJI {model or 'camera'}: APP3 raw values are returned as uncalibrated counts; DJI does not "
                "document their conversion to temperature (use the DJI Thermal SDK for temperatures)")
        return ThermalFrame(raw, ValueKind.COUNTS, source=source, camera=camera,
                            flags=frozenset({FrameFlag.NOT_CALIBRATED}), notes=(note,), pose=pose, lrf=lrf, meta=meta)

    grey, truncated = _display_grey(data)
    flags: set[FrameFlag] = set()
    notes: list[str] = []
    if make.upper().startswith("DJI") or app3:
        # The file claims to be radiometric but its raw data cannot be used.
        flags |= {FrameFlag.FALLBACK_8BIT, FrameFlag.NOT_CALIBRATED}
        notes.append(f"{camera or 'camera'}: no decodable raw thermal data in the file; using the 8-bit display "
                     "image (AGC grey levels, no temperatures)")
    if truncated:
        flags.add(FrameFlag.CORRUPT)
        notes.append("the JPEG is truncated: the bottom rows may be grey fill")
    return ThermalFrame(grey, ValueKind.GREY, source=source, camera=camera, flags=frozenset(flags), notes=tuple(notes),
                        pose=pose, lrf=lrf, meta=meta)
