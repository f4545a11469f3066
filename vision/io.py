"""Reading thermal frames from files: images, radiometric JPEGs, videos, sequences.

Every reader returns :class:`vision.frame.ThermalFrame` (hot = larger). The
file formats:

* 16-bit TIFF/PNG: raw counts, or temperatures when a linear scale is given
  (``counts_scale_c``, ``counts_offset_c``: T = counts * scale + offset, e.g.
  0.01 and -273.15 for a FLIR Boson in TLinear mode). Float TIFFs are read as
  degrees Celsius.
* 8-bit grey: white-hot by default, ``polarity="black-hot"`` inverts.
* colour-palette frames (``palette="ironbow"`` or ``"rainbow"``): inverted to a
  scalar; a colour frame without a palette, or with a palette that does not
  fit, is a FormatError, never a silent mis-read.
* radiometric JPEGs (FLIR, DJI): see :mod:`vision.rjpeg`.
* videos (anything OpenCV reads) and image sequences, with per-frame time.

Constant frames (shutter/NUC) come back flagged ``CONSTANT``; corrupt files
raise FormatError/SarIOError from :func:`read_frame`, and the iterators can
skip them (``on_error="skip"``) so a live run never dies on one bad file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from geo.errors import FormatError, InputError, SarError, SarIOError, out_of_range
from vision.frame import FrameFlag, ThermalFrame, ValueKind, check_constant
from vision.palettes import PALETTES, invert_palette

__all__ = ["read_frame", "frame_from_array", "check_counts_scale", "iter_video", "iter_sequence", "iter_frames", "natural_key", "IMAGE_SUFFIXES",
           "VIDEO_SUFFIXES"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".pgm")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".ts", ".m4v", ".mpg", ".mpeg")
_POLARITIES = ("white-hot", "black-hot")


def check_counts_scale(counts_scale_c: float | None, counts_offset_c: float = 0.0) -> None:
    """Refuse a counts scale that cannot be meant: T = counts * scale + offset needs
    0 < scale <= 10 degrees C per count and |offset| <= 1000 degrees C, and an offset only with a scale."""
    if counts_scale_c is None and counts_offset_c != 0.0:
        raise InputError(f"counts_offset_c={counts_offset_c!r} was given without counts_scale_c: the offset "
                         "applies to counts read with a scale. Give both (e.g. 0.01 and -273.15 for centikelvin).")
    if counts_scale_c is not None and not (math.isfinite(counts_scale_c) and 0 < counts_scale_c <= 10.0
                                           and math.isfinite(counts_offset_c) and abs(counts_offset_c) <= 1000.0):
        raise InputError(out_of_range("counts_scale_c, counts_offset_c", (counts_scale_c, counts_offset_c),
                                      "0 < scale <= 10 degrees C per count and |offset| <= 1000 degrees C",
                                      "e.g. 0.01 and -273.15 for counts in centikelvin"))


def frame_from_array(array: np.ndarray, *, polarity: str = "white-hot", palette: str | None = None,
                     counts_scale_c: float | None = None, counts_offset_c: float = 0.0, source: str = "",
                     frame_index: int | None = None, time_s: float | None = None) -> ThermalFrame:
    """Build a frame from a decoded array (uint8 grey or BGR, uint16 counts, float degC).

    Colour arrays are BGR (OpenCV order). See the module docstring for the rules.
    """
    a = np.asarray(array)
    check_counts_scale(counts_scale_c, counts_offset_c)
    if polarity not in _POLARITIES:
        raise InputError(f"polarity={polarity!r} is not allowed: use one of {', '.join(_POLARITIES)}.")
    flags: set[FrameFlag] = set()
    notes: list[str] = []
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[..., :3]
    if a.ndim == 3 and a.shape[2] == 3:
        if a.dtype != np.uint8:
            raise FormatError(f"{source or 'frame'}: colour image of dtype {a.dtype}; only 8-bit colour is supported.")
        b, g, r = a[..., 0].astype(np.int16), a[..., 1].astype(np.int16), a[..., 2].astype(np.int16)
        greyish = max(int(np.abs(b - g).max()), int(np.abs(g - r).max())) <= 12
        if greyish and palette is None:
            a = a[..., 1].copy()
        elif palette is None:
            raise FormatError(
                f"{source or 'frame'} is a colour image: pass palette= one of {', '.join(PALETTES)} to invert it "
                "to a scalar. Hint: record thermal video in white-hot grey where the camera allows."
            )
        else:
            a = invert_palette(np.ascontiguousarray(a[..., ::-1]), palette)
            flags.add(FrameFlag.PALETTE_INVERTED)
            notes.append(f"scalar recovered from the {palette} palette (relative values only, 256 levels)")
    elif palette is not None and a.ndim == 2:
        notes.append(f"palette={palette!r} ignored: the frame is single-channel")
    if a.ndim != 2:
        raise FormatError(f"{source or 'frame'} has shape {a.shape}: expected a 2-D grey or 3-channel image.")
    if a.dtype == np.uint8:
        kind = ValueKind.GREY
        if polarity == "black-hot":
            a = 255 - a
            flags.add(FrameFlag.BLACK_HOT_INVERTED)
    elif a.dtype in (np.uint16, np.int16, np.uint32, np.int32):
        if counts_scale_c is not None:
            a = (a.astype(np.float32) * float(counts_scale_c) + float(counts_offset_c)).astype(np.float32)
            kind = ValueKind.TEMPERATURE_C
        else:
            kind = ValueKind.COUNTS
            a = a.astype(np.uint16) if a.dtype != np.uint16 and a.min() >= 0 and a.max() < 65536 else a
        if polarity == "black-hot":
            raise InputError("polarity='black-hot' applies to 8-bit display frames only; radiometric data is hot = high.")
    elif a.dtype.kind == "f":
        a = a.astype(np.float32)
        kind = ValueKind.TEMPERATURE_C
    else:
        raise FormatError(f"{source or 'frame'}: pixel type {a.dtype} is not a thermal image type.")
    fr = ThermalFrame(np.ascontiguousarray(a), kind, frame_index, time_s, source, flags=frozenset(flags),
                      notes=tuple(notes))
    return check_constant(fr)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SarIOError(f"frame file {str(path)!r} does not exist. Hint: check the path and the glob.") from None
    except IsADirectoryError:
        raise SarIOError(f"{str(path)!r} is a folder; pass image files, or use a glob like '{path}/*.jpg'.") from None
    except OSError as exc:
        raise SarIOError(f"frame file {str(path)!r} cannot be read: {exc.strerror or exc}.") from None


def read_frame(path: str | os.PathLike, *, polarity: str = "white-hot", palette: str | None = None,
               counts_scale_c: float | None = None, counts_offset_c: float = 0.0,
               frame_index: int | None = None, time_s: float | None = None) -> ThermalFrame:
    """Read one image file as a ThermalFrame.

    JPEGs are checked for FLIR/DJI radiometric data first (temperatures or
    counts, with pose and LRF target); other images go through
    :func:`frame_from_array`. Raises SarIOError (missing, unreadable) or
    FormatError (not an image, corrupt).
    """
    import cv2

    check_counts_scale(counts_scale_c, counts_offset_c)
    p = Path(path)
    data = _read_bytes(p)
    if not data:
        raise FormatError(f"frame file {str(p)!r} is empty (0 bytes).")
    if data[:2] == b"\xff\xd8":
        from vision.rjpeg import decode_rjpeg

        fr = decode_rjpeg(data, source=str(p))
        if fr.kind is ValueKind.GREY:
            # A plain or fallback JPEG: apply the caller's polarity/palette rules to the display image.
            img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            if img is not None and img.ndim == 3 and palette is not None:
                base = frame_from_array(img, palette=palette, source=str(p))
                fr = ThermalFrame(base.data, base.kind, source=str(p), camera=fr.camera,
                                  flags=fr.flags | base.flags, notes=fr.notes + base.notes,
                                  pose=fr.pose, lrf=fr.lrf, meta=fr.meta)
            elif polarity == "black-hot":
                fr = ThermalFrame(255 - fr.data, fr.kind, source=str(p), camera=fr.camera,
                                  flags=fr.flags | {FrameFlag.BLACK_HOT_INVERTED}, notes=fr.notes,
                                  pose=fr.pose, lrf=fr.lrf, meta=fr.meta)
        fr = check_constant(fr)
        time_s = time_s if time_s is not None else _exif_time_s(fr)
        return fr.with_index(frame_index, time_s) if (frame_index is not None or time_s is not None) else fr
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FormatError(
            f"frame file {str(p)!r} is not an image OpenCV can decode (corrupt, truncated, or another format). "
            f"Hint: supported: {', '.join(IMAGE_SUFFIXES)}."
        )
    return frame_from_array(img, polarity=polarity, palette=palette, counts_scale_c=counts_scale_c,
                            counts_offset_c=counts_offset_c, source=str(p), frame_index=frame_index, time_s=time_s)


def _exif_time_s(fr: ThermalFrame) -> float | None:
    """POSIX time of a DJI/FLIR file from its XMP/EXIF, when the camera wrote one (no time zone: UTC assumed)."""
    dt = fr.meta.get("datetime_original") if fr.meta else None
    if not dt:
        return None
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(str(dt)[:19], fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    return None


def iter_video(path: str | os.PathLike, *, polarity: str = "white-hot", palette: str | None = None,
               start_time_s: float = 0.0, step: int = 1,
               errors: list[tuple[str, str]] | None = None) -> Iterator[ThermalFrame]:
    """Frames of a video file with ``time_s`` = start + the stream's position.

    ``step`` keeps every n-th frame. Raises SarIOError when the file cannot be
    opened; a frame that fails to decode mid-stream ends the iteration
    (OpenCV cannot resynchronise), after all earlier frames were yielded. When
    the stream ends well short of the frames its container lists (a copy cut
    short), that is recorded in ``errors`` as (path, message).
    """
    import cv2

    p = Path(path)
    if not p.is_file():
        raise SarIOError(f"video {str(p)!r} does not exist or is not a file.")
    if step < 1:
        raise InputError(f"step={step} is out of range: allowed >= 1.")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        raise SarIOError(f"video {str(p)!r} cannot be opened by OpenCV (unknown codec or corrupt container).")
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    listed = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    try:
        i = 0
        while True:
            # grab() advances (decoding what the codec must); retrieve() converts only kept frames
            if not cap.grab():
                break
            if i % step == 0:
                ok, img = cap.retrieve()
                if not ok or img is None:
                    break
                pos_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
                t = start_time_s + (pos_ms / 1000.0 if pos_ms and pos_ms > 0 else (i / fps if fps > 0 else float(i)))
                yield frame_from_array(img, polarity=polarity, palette=palette, source=f"{p}#{i}", frame_index=i,
                                       time_s=t)
            i += 1
        if errors is not None and listed > 0 and i < listed - max(1, listed // 50):
            errors.append((str(p), f"only {i} of the {listed} frames its container lists could be decoded: the "
                                   "file may be cut short (copy it again from the card)"))
    finally:
        cap.release()


def iter_sequence(paths: Iterable[str | os.PathLike], *, fps: float | None = None, start_time_s: float = 0.0,
                  on_error: str = "raise", errors: list[tuple[str, str]] | None = None,
                  **read_kw) -> Iterator[ThermalFrame]:
    """Frames of an image sequence in the given order, with per-frame time.

    Time: from ``fps`` when given (start + index / fps), else from the file's
    own timestamp when it has one, else the index in seconds. With
    ``on_error="skip"`` a file that cannot be read is skipped and recorded in
    ``errors`` as (path, message): a live run goes on.
    """
    if on_error not in ("raise", "skip"):
        raise InputError(f"on_error={on_error!r} is not allowed: use 'raise' or 'skip'.")
    if fps is not None and not fps > 0:
        raise InputError(f"fps={fps} is out of range: allowed > 0.")
    for i, path in enumerate(paths):
        t = start_time_s + i / fps if fps else None
        try:
            fr = read_frame(path, frame_index=i, time_s=t, **read_kw)
        except SarError as exc:
            if on_error == "raise":
                raise
            if errors is not None:
                errors.append((str(path), str(exc)))
            continue
        if fr.time_s is None:
            fr = fr.with_index(i, start_time_s + float(i))
        yield fr


def iter_frames(inputs: Iterable[str | os.PathLike], **kw) -> Iterator[ThermalFrame]:
    """Frames from a mix of image files and videos (videos expanded in place)."""
    images: list[Path] = []
    video_kw = {k: v for k, v in kw.items() if k in ("polarity", "palette", "errors")}
    for x in inputs:
        p = Path(x)
        if p.suffix.lower() in VIDEO_SUFFIXES:
            if images:
                yield from iter_sequence(images, **kw)
                images = []
            try:
                yield from iter_video(p, **video_kw)
            except SarError as exc:
                if kw.get("on_error", "raise") != "skip":
                    raise
                if kw.get("errors") is not None:
                    kw["errors"].append((str(p), str(exc)))
        else:
            images.append(p)
    if images:
        yield from iter_sequence(images, **kw)


def natural_key(path: str | os.PathLike) -> list:
    """Sort key that orders frame_2 before frame_10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]
