"""Detection and evaluation runs: files in, JSON and pictures out.

``run_detect``: frames (images, radiometric JPEGs, videos) -> detections.json
(every detection with its frame index and time, readable by ``thermal-sar
geotag``), detections.jsonl (one line per frame, written as it goes into
``.detections.jsonl.partial``, so a crash loses nothing already seen, and moved
into place when the run ends; a run that reads no frame leaves an earlier
run's results as they were), annotated PNGs and tracks. A DJI video's
subtitles (``DJI_0001.SRT`` beside ``DJI_0001.MP4``) give each of its frames a
pose: with ``camera``, its ground sample distance (the detector's metric size
gates) and the tracker's motion compensation.

``run_eval``: a detector on labelled frames -> per-class precision, recall,
AP50 (day / night / all for HIT-UAV), speed, a PR-curve PNG and eval.json.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from geo.camera import CameraModel, camera_preset
from geo.errors import InputError, SarError, SarIOError
from telemetry.logs import FlightLog
from telemetry.srt import find_sibling_srt, read_dji_srt
from vision.classical import ClassicalDetector
from vision.detection import Detection
from vision.detector import GSD_RANGE_M, Detector
from vision.evaluate import EvalReport, run_evaluation
from vision.frame import ThermalFrame
from vision.io import IMAGE_SUFFIXES, VIDEO_SUFFIXES, check_counts_scale, iter_frames, natural_key, read_frame
from vision.labels import HIT_UAV_BOX_PAD_PX, LabelledFrame, load_dataset
from vision.tracking import Tracker, nadir_shift_px

__all__ = ["HIT_UAV_BOX_PAD_PX", "make_detector", "frame_gsd_m", "DetectSummary", "run_detect", "EvalSummary",
           "run_eval", "expand_inputs", "target_classes"]

DETECTORS = ("classical", "yolo")

# DJI EXIF model names -> geo camera presets (thermal cores with known optics).
_DJI_PRESETS = {"ZH20T": "h20t", "ZH20N": "h20t", "M30T": "m30t", "M3T": "mavic3t", "H30T": "h30t"}


def make_detector(name: str, *, model: str | Path | None = None, targets: Sequence[str] | None = None,
                  threads: int = 2, score_threshold: float | None = None, box_pad_px: float = 0.0,
                  box_pad_grey_px: float | None = None, base_level_only: bool = False) -> Detector:
    """The detector called ``name`` (classical or yolo).

    ``box_pad_px`` widens the classical detector's boxes (the warm blob) on
    every side, to match a labelling convention with loose boxes;
    ``box_pad_grey_px`` on 8-bit frames (None: the same). ``base_level_only``:
    the classical detector searches people at one threshold level with the
    logistic score (no MLP scorer): 3-4.6x faster on 8-bit frames in bench/bench_vision.py runs, fewer people found.
    """
    from vision.yolo import MAX_THREADS

    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise InputError(f"threads={threads!r} is out of range: allowed 1..{MAX_THREADS} (onnxruntime threads; "
                         "the machine's cores are the useful most).")
    for k, v in (("box_pad_px", box_pad_px), ("box_pad_grey_px", box_pad_grey_px)):
        if v is not None and not (math.isfinite(v) and -10.0 <= v <= 10.0):
            raise InputError(f"{k}={v!r} is out of range: allowed -10..10 px per side.")
    if name == "classical":
        from vision.classical import ClassicalParams

        grey = None if box_pad_grey_px is None else float(box_pad_grey_px)
        params = replace(ClassicalParams(), box_pad_px=float(box_pad_px), box_pad_grey_px=grey)
        if base_level_only:
            params = replace(params, person_scorer=None)
        return ClassicalDetector(params, targets=tuple(targets) if targets else None)
    if name == "yolo":
        from vision.yolo import YoloDetector

        kw = {} if score_threshold is None else {"score_threshold": score_threshold}
        return YoloDetector(model, threads=threads, **kw)
    raise InputError(f"detector={name!r} is not known; allowed: {', '.join(DETECTORS)}.")


def frame_gsd_m(frame: ThermalFrame, camera: CameraModel | None, subtitles: FlightLog | None = None) -> float | None:
    """Ground sample distance (m/px) at the image centre from the frame's own metadata.

    Uses the laser rangefinder distance when the file has one, else the
    relative altitude over the sine of the camera's depression angle (flat
    ground below the take-off point): from the XMP of a DJI image, or for a video
    frame with a pose from its DJI ``subtitles``, the pose's altitude over the
    take-off's. None when the camera or pose is unknown.
    """
    cam = camera
    if cam is None:
        preset = _DJI_PRESETS.get(str(frame.meta.get("model", "")).upper().replace(" ", "")) if frame.meta else None
        if preset is None:
            return None
        cam = camera_preset(preset)
    if frame.lrf is not None:
        rng = frame.lrf.distance_m
    elif frame.pose is not None:
        rel = frame.meta.get("xmp", {}).get("RelativeAltitude") if frame.meta else None
        if rel is None and subtitles is not None and subtitles.home_alt_amsl_m is not None:
            rel = frame.pose.alt_amsl_m - subtitles.home_alt_amsl_m
        try:
            rel_m = float(rel) if rel is not None else None
        except ValueError:
            rel_m = None
        dep = frame.pose.depression_deg()
        if rel_m is None or rel_m <= 1.0 or dep < 10.0:
            return None
        rng = rel_m / math.sin(math.radians(dep))
    else:
        return None
    # Scale the preset's focal length to the frame's resolution (e.g. a 1280-wide M30T display image).
    return float(cam.gsd_m(rng)) * cam.width_px / frame.shape[1]


def _video_subtitles(paths: Sequence[Path], summary: "DetectSummary") -> dict[str, FlightLog]:
    """The DJI subtitles (.SRT) found beside each video of ``paths``, read (one that cannot be read is
    reported in ``summary.skipped`` and its video runs without poses)."""
    found: dict[str, FlightLog] = {}
    for p in paths:
        if p.suffix.lower() not in VIDEO_SUFFIXES:
            continue
        srt = find_sibling_srt(p)
        if srt is None:
            continue
        try:
            found[str(p)] = read_dji_srt(srt)
        except SarError as exc:
            summary.skipped.append((str(srt), f"subtitles not used (no poses for {p.name}): {exc}"))
    return found


def _with_subtitle_pose(fr: ThermalFrame, flog: FlightLog) -> ThermalFrame:
    """``fr`` with the camera pose its video's subtitles give at its time (unchanged outside them)."""
    tr = flog.track
    if fr.time_s is None or not (tr.start_s <= fr.time_s <= tr.end_s):
        return fr
    return replace(fr, pose=tr.pose_at(fr.time_s))


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders expanded to their images and videos in natural order."""
    out: list[Path] = []
    for x in inputs:
        p = Path(x)
        if p.is_dir():
            found = sorted((q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES),
                           key=natural_key)
            if not found:
                raise SarIOError(f"folder {str(p)!r} has no images or videos ({', '.join(IMAGE_SUFFIXES)}).")
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise InputError("no frames given. Hint: thermal-sar detect FRAMES... (files, folders or videos).")
    return out


@dataclass
class DetectSummary:
    """What a detect run did."""

    out_dir: Path
    detector: str
    frames: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    flagged: int = 0
    detections: int = 0
    tracks: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _frame_record(fr: ThermalFrame, gsd: float | None, dets: list[Detection], track_ids: list[int]) -> dict:
    rec = {
        "source": fr.source, "frame_index": fr.frame_index, "time_s": fr.time_s, "kind": fr.kind.value,
        "camera": fr.camera, "flags": sorted(f.value for f in fr.flags), "notes": list(fr.notes), "gsd_m": gsd,
        "detections": [dict(d.to_dict(), track_id=t) for d, t in zip(dets, track_ids)],
    }
    if fr.pose is not None:
        p = fr.pose
        rec["pose"] = {k: getattr(p, k) for k in ("lat_deg", "lon_deg", "alt_amsl_m", "roll_deg", "pitch_deg",
                                                  "yaw_deg", "gimbal_roll_deg", "gimbal_pitch_deg", "gimbal_yaw_deg")}
        rec["pose"]["mount_mode"] = p.mount_mode.value
    if fr.lrf is not None:
        rec["lrf"] = {k: getattr(fr.lrf, k) for k in ("lat_deg", "lon_deg", "distance_m", "alt_m", "abs_alt_m")}
    return rec


def run_detect(inputs: Sequence[str | Path], out_dir: str | Path, *, detector: Detector,
               gsd_m: float | None = None, camera: str | None = None, polarity: str = "white-hot",
               palette: str | None = None, annotate: bool = True, counts_scale_c: float | None = None,
               counts_offset_c: float = 0.0,
               progress: Callable[[int], None] | None = None) -> DetectSummary:
    """Run ``detector`` over the frames; write JSON, JSONL, tracks and annotated PNGs into ``out_dir``.

    ``counts_scale_c``, ``counts_offset_c``: 16-bit frames hold counts, T = counts * scale +
    offset (None: counts of unknown scale)."""
    import cv2

    from vision.render import annotate as draw

    check_counts_scale(counts_scale_c, counts_offset_c)
    if gsd_m is not None and not (math.isfinite(gsd_m) and GSD_RANGE_M[0] <= gsd_m <= GSD_RANGE_M[1]):
        raise InputError(f"gsd_m={gsd_m!r} is out of range: allowed {GSD_RANGE_M[0]:g}..{GSD_RANGE_M[1]:g} metres "
                         "per pixel (ground sample distance). Hint: leave --gsd-m out to take it from each frame's "
                         "pose, or give --camera.")
    paths = expand_inputs(inputs)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if annotate:
            (out / "annotated").mkdir(exist_ok=True)
    except OSError as exc:
        raise SarIOError(f"out={str(out)!r} cannot be created: {exc.strerror or exc}.") from None
    cam = camera_preset(camera) if camera else None
    summary = DetectSummary(out, detector.name)
    subtitles = _video_subtitles(paths, summary)
    tracker = Tracker()
    all_dets: list[dict] = []
    frames_meta: list[dict] = []
    prev_pose = None
    t0 = time.perf_counter()
    # The per-frame lines go to a partial file (kept if the run crashes: nothing seen is lost) that
    # replaces detections.jsonl when the run ends with at least one frame; a run that reads no frame
    # leaves an earlier run's results as they were.
    partial = out / ".detections.jsonl.partial"
    with open(partial, "w", encoding="utf-8") as jl:
        scale = {} if counts_scale_c is None else {"counts_scale_c": counts_scale_c, "counts_offset_c": counts_offset_c}
        for i, fr in enumerate(iter_frames(paths, on_error="skip", errors=summary.skipped, polarity=polarity,
                                           palette=palette, **scale)):
            fr = fr.with_index(i, fr.time_s)
            flog = subtitles.get(fr.source.rsplit("#", 1)[0]) if fr.pose is None else None
            if flog is not None:
                fr = _with_subtitle_pose(fr, flog)
            gsd = gsd_m if gsd_m is not None else frame_gsd_m(fr, cam, flog)
            try:
                dets = detector.detect(fr, gsd_m=gsd)
            except SarError as exc:  # one bad frame must not end a live run
                summary.skipped.append((fr.source, str(exc)))
                continue
            shift = (0.0, 0.0)
            if prev_pose is not None and fr.pose is not None and gsd:
                shift = nadir_shift_px(prev_pose, fr.pose, gsd)
            prev_pose = fr.pose
            tracks = tracker.update(dets, frame_index=i, shift_px=shift)
            ids = _track_ids(dets, tracks)
            rec = _frame_record(fr, gsd, dets, ids)
            jl.write(json.dumps(rec) + "\n")
            jl.flush()
            frames_meta.append({k: v for k, v in rec.items() if k != "detections"})
            all_dets.extend(rec["detections"])
            summary.frames += 1
            summary.flagged += bool(fr.flags)
            summary.detections += len(dets)
            for d in dets:
                summary.by_class[d.class_name] = summary.by_class.get(d.class_name, 0) + 1
            if annotate:
                banner = ", ".join(sorted(f.value for f in fr.flags))
                img = draw(fr, dets, track_ids=ids, banner=banner)
                name = Path(fr.source.split("#")[0]).stem + (f"_{i:06d}" if "#" in fr.source else "")
                cv2.imwrite(str(out / "annotated" / f"{name}.png"), img)
            if progress:
                progress(i + 1)
    summary.seconds = time.perf_counter() - t0
    tracks = tracker.tracks()
    summary.tracks = len(tracks)
    doc = {
        "detector": detector.name, "frames": frames_meta, "detections": all_dets,
        "tracks": [{"track_id": t.track_id, "class_name": t.class_name, "sightings": t.sightings,
                    "first_frame": t.first_frame, "last_frame": t.last_frame, "confidence": t.confidence,
                    "last": t.last.to_dict()} for t in tracks],
        "skipped": [{"source": s, "error": e} for s, e in summary.skipped],
    }
    if summary.frames == 0:
        partial.unlink(missing_ok=True)
        why = "; ".join(f"{Path(src.split('#')[0]).name}: {err}" for src, err in summary.skipped[:3]) or "no frames"
        raise SarIOError(f"no frame could be read or searched ({why}); nothing was written into {str(out)!r}.")
    tmp = out / ".detections.json.partial"
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, out / "detections.json")
    os.replace(partial, out / "detections.jsonl")
    return summary


def _track_ids(dets: list[Detection], tracks) -> list[int | None]:
    by_det = {id(t.last): t.track_id for t in tracks}
    return [by_det.get(id(d)) for d in dets]


def target_classes(frames: Sequence[LabelledFrame]) -> list[str]:
    """The search-target classes labelled in ``frames`` (HIT-UAV: person; vehicles are context)."""
    present = sorted({g.class_name for f in frames for g in f.boxes})
    return [c for c in present if c in ("person", "sheep", "cow", "dog")] or present


@dataclass
class EvalSummary:
    reports: list[EvalReport]
    out_dir: Path
    pr_png: Path
    json_path: Path
    n_frames: int


def _radiometric_twin(image: Path) -> Path:
    """``radiometric/<split>/<name>.png`` beside ``images/<split>/<name>.*`` of a sim dataset."""
    split_dir = image.parent
    twin = split_dir.parent.parent / "radiometric" / split_dir.name / (image.stem + ".png")
    if split_dir.parent.name != "images" or not twin.is_file():
        raise InputError(f"radiometric=True but {str(image)!r} has no radiometric twin ({str(twin)!r} is not there). "
                         "Hint: make the set with `thermal-sar sim dataset --radiometric`, or leave --radiometric "
                         "out and give --counts-scale-c for a folder of 16-bit frames.")
    return twin


def run_eval(data: str | Path, out_dir: str | Path, *, detector: Detector, split: str = "val",
             classes: Sequence[str] | None = None, use_gsd: bool = True, limit: int | None = None,
             iou_min: float = 0.5, radiometric: bool = False, counts_scale_c: float | None = None,
             counts_offset_c: float = 0.0,
             progress: Callable[[int], None] | None = None, on_total: Callable[[int], None] | None = None
             ) -> EvalSummary:
    """Evaluate ``detector`` on a HIT-UAV split or a YOLO folder; write the PR curve and eval.json.

    ``radiometric``: a ``thermal-sar sim dataset --radiometric`` set is measured on its 16-bit
    frames (``radiometric/<split>/``, same names and labels) read as temperatures, as a
    radiometric camera delivers them (T = counts / 100 - 273.15 unless ``counts_scale_c`` says
    otherwise). ``counts_scale_c``, ``counts_offset_c``: 16-bit frames hold counts, T = counts *
    scale + offset (None: counts of unknown scale)."""
    import cv2

    from vision.render import pr_curve_image

    check_counts_scale(counts_scale_c, counts_offset_c)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit={limit!r} is out of range: allowed >= 1 frames (leave it out for all).")
    if not (math.isfinite(iou_min) and 0.05 <= iou_min <= 0.95):
        raise InputError(f"iou_min={iou_min!r} is out of range: allowed 0.05..0.95 (0.5 = AP50).")
    out = Path(out_dir)
    try:  # said now, not after the whole evaluation
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SarIOError(f"out={str(out)!r} cannot be created: {exc.strerror or exc}.") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise SarIOError(f"out={str(out)!r}: no permission to write there. Hint: give a folder you can write in.")
    frames = load_dataset(data, split=split)
    if limit:
        frames = frames[: int(limit)]
    if not frames:
        raise InputError(f"data={str(data)!r} has no labelled frames.")
    if not any(f.boxes for f in frames):
        raise InputError(f"data={str(data)!r} ({split}): no labelled object in its {len(frames)} frames, so "
                         "nothing to measure. Hint: give a HIT-UAV folder (with <split>.json) or a YOLO folder "
                         "with labels/ beside images/.")
    present = sorted({g.class_name for f in frames for g in f.boxes})
    unknown = [c for c in (classes or ()) if c.lower() not in present]
    if unknown:
        raise InputError(f"class {', '.join(map(repr, unknown))} is not labelled in {str(data)!r} ({split}): "
                         f"its classes are {', '.join(present)}.")
    classes = [c.lower() for c in (classes or target_classes(frames))]
    if on_total:
        on_total(len(frames))
    # Reading is not part of the detector's speed: read first, then time detect() alone.
    if radiometric:
        if counts_scale_c is None:
            from sim.sensor import COUNTS_PER_K  # the simulator's counts: T = counts / 100 - 273.15

            counts_scale_c, counts_offset_c = 1.0 / COUNTS_PER_K, -273.15
        paths = [_radiometric_twin(f.path) for f in frames]
    else:
        paths = [f.path for f in frames]
    loaded = []
    for f, path in zip(frames, paths):
        try:
            loaded.append(read_frame(path, counts_scale_c=counts_scale_c, counts_offset_c=counts_offset_c))
        except SarError as exc:
            raise SarIOError(f"labelled frame {path} cannot be read: {exc}") from None
    cache = {f.path: fr for f, fr in zip(frames, loaded)}

    def detect(f: LabelledFrame) -> list[Detection]:
        return detector.detect(cache[f.path], gsd_m=f.gsd_m if use_gsd else None)

    # A class-agnostic detector (hotspots, no GSD) is scored against the single target class.
    class_map = {"hotspot": classes[0]} if len(classes) == 1 else None
    subsets: dict[str, Callable[[LabelledFrame], bool]] = {"all": lambda f: True}
    if any(f.night is not None for f in frames):
        subsets = {"night": lambda f: f.night is True, "day": lambda f: f.night is False, "all": lambda f: True}
    reports = run_evaluation(detect, frames, classes, detector_name=detector.name, subsets=subsets,
                             class_map=class_map, iou_min=iou_min, progress=progress)
    curves = [(f"{r.subset} {c.class_name}", c) for r in reports for c in r.classes]
    png = out / f"pr_{detector.name}.png"
    cv2.imwrite(str(png), pr_curve_image(curves, title=f"{detector.name} on {Path(data).name} {split}"))
    doc = {
        "detector": detector.name, "data": str(data), "split": split, "use_gsd": use_gsd, "iou_min": iou_min,
        "radiometric": radiometric, "counts_scale_c": counts_scale_c,
        "counts_offset_c": counts_offset_c if counts_scale_c is not None else None,
        "frames_per_s": reports[0].frames_per_s if reports else 0.0,
        "results": [{"subset": r.subset, "frames": r.n_frames, "class": c.class_name, "truth": c.n_truth,
                     "detections": c.n_detections, "precision": c.precision, "recall": c.recall, "ap50": c.ap50,
                     "best_recall_at_precision_0_6": c.best_recall_at_p60,
                     "best_recall_at_precision_0_9": c.best_recall_at_p90} for r in reports for c in r.classes],
    }
    js = out / f"eval_{detector.name}.json"
    js.write_text(json.dumps(doc, indent=1))
    return EvalSummary(reports, out, png, js, len(frames))
