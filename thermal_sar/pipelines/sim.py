"""Pipelines behind ``thermal-sar sim``: render one frame to files, write a dataset, list scenarios."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import geo
from geo.errors import InputError, SarIOError

__all__ = ["RenderResult", "render_to_files", "dataset_to_dir", "describe_scenarios", "RealismResult",
           "realism_compare", "realism_markdown", "realism_plot", "realism_examples"]


@dataclass(frozen=True)
class RenderResult:
    png: Path
    truth_json: Path
    counts_png: Path | None
    summary: str


#: Extensions OpenCV writes the 8-bit video frame to (lossless or not).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
#: Lossless extensions that keep 16-bit radiometric counts.
COUNTS_SUFFIXES = (".png", ".tif", ".tiff")


def _check_suffix(path: Path, allowed: tuple[str, ...], name: str, what: str) -> None:
    if path.suffix.lower() not in allowed:
        ext = f"extension {path.suffix!r}" if path.suffix else "no extension"
        raise InputError(f"{name}={str(path)!r} has {ext}: allowed "
                         f"{', '.join(allowed)} ({what}). Hint: name the file e.g. {path.stem or 'frame'}.png.")


def _encode(path: Path, a: np.ndarray) -> bytes:
    """The image ``a`` (RGB or grey) encoded for ``path``'s extension."""
    import cv2

    _check_suffix(path, IMAGE_SUFFIXES, "image", "image formats OpenCV writes")
    if a.ndim == 3:
        a = a[..., ::-1]
    try:
        ok, buf = cv2.imencode(path.suffix.lower(), np.ascontiguousarray(a))
    except cv2.error:
        ok = False
    if not ok:
        raise SarIOError(f"cannot encode image {str(path)!r}. Hint: use a .png name.")
    return buf.tobytes()


def _write_all(files: list[tuple[Path, bytes]]) -> None:
    """Write every file or none (:class:`~thermal_sar.pipelines.staging.Staging`): a failure (read-only
    folder, full disk) leaves what was there before."""
    from thermal_sar.pipelines.staging import Staging

    with Staging() as st:
        for path, data in files:
            staged = st.path(path)
            try:
                staged.write_bytes(data)
            except OSError as exc:
                raise SarIOError(f"cannot write {str(path)!r}: {exc.strerror or exc}. Hint: check the free space "
                                 "and the folder's permissions; nothing was written.") from None
        st.commit()


def _write(path: Path, a: np.ndarray) -> None:
    _write_all([(Path(path), _encode(Path(path), a))])


def _check_render_options(out: Path, counts_out: Path | None, *, agl_m: float, gimbal_pitch_deg: float,
                          yaw_deg: float, seed: int) -> None:
    """Refuse bad options before anything is rendered or written."""
    import math

    from sim.sensor import check_seed

    check_seed(seed)
    for name, value, lo, hi, hint in (
            ("agl_m", agl_m, 1.0, 5000.0, "the height above the ground, in metres"),
            ("gimbal_pitch_deg", gimbal_pitch_deg, -90.0, 0.0, "-90 is straight down, 0 the horizon"),
            ("yaw_deg", yaw_deg, -360.0, 360.0, "the heading in degrees from north")):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
            raise InputError(f"{name}={value!r} is out of range: allowed {lo:g}..{hi:g}. Hint: {hint}.")
    _check_suffix(out, IMAGE_SUFFIXES, "out", "the 8-bit video frame; its truth goes beside it as .json")
    if counts_out is not None:
        _check_suffix(counts_out, COUNTS_SUFFIXES, "counts_out",
                      "lossless 16-bit formats: JPEG and BMP would lose the radiometric counts")
        if counts_out.resolve() in (out.resolve(), out.with_suffix(".json").resolve()):
            raise InputError(f"counts_out={str(counts_out)!r} is the same file as the frame {str(out)!r} or its "
                             "truth .json: allowed a different name. Hint: e.g. --counts-out counts.png.")
    for path in (out, out.with_suffix(".json"), counts_out):
        if path is not None and path.is_dir():
            raise SarIOError(f"{str(path)!r} is a folder: allowed a file name for the frame, its truth .json and the "
                             "counts. Hint: choose another --out or --counts-out.")


def render_to_files(scenario: str, out: Path, *, camera: str = "m30t", at: tuple[float, float] | None = None,
                    agl_m: float = 80.0, gimbal_pitch_deg: float = -90.0, yaw_deg: float = 0.0,
                    palette: str = "white-hot", seed: int = 0, counts_out: Path | None = None,
                    terrain_paths: tuple[str, ...] = ()) -> RenderResult:
    """Render one frame of ``scenario`` from ``agl_m`` above ``at`` (default: the pen or first target).

    Options are checked before anything is rendered; the frame, its truth .json and the counts are written
    all or none (a failure leaves earlier files of the same names as they were).
    """
    import sim

    out = Path(out)
    counts_out = Path(counts_out) if counts_out is not None else None
    _check_render_options(out, counts_out, agl_m=agl_m, gimbal_pitch_deg=gimbal_pitch_deg, yaw_deg=yaw_deg,
                          seed=seed)

    terrain = geo.load_terrain(list(terrain_paths)) if terrain_paths else None
    scene = sim.load_scenario(scenario, terrain=terrain)
    if at is None:
        if scene.pen_latlon:
            pts = np.array(scene.pen_latlon)
            at = (float(pts[:, 0].mean()), float(pts[:, 1].mean()))
        elif scene.targets:
            at = scene.target_positions_latlon[0]
        else:
            raise InputError(f"scenario {scene.name!r} has no targets; give --at LAT,LON.")
    cam = geo.camera_preset(camera)
    pose = sim.pose_above(scene, at[0], at[1], agl_m, gimbal_pitch_deg=gimbal_pitch_deg, yaw_deg=yaw_deg)
    frame = sim.render_frame(scene, cam, pose, seed=seed)
    truth = out.with_suffix(".json")
    doc = {
        "scenario": scene.name, "camera": cam.name, "palette": palette, "seed": seed,
        "pose": {"lat_deg": pose.lat_deg, "lon_deg": pose.lon_deg, "alt_amsl_m": pose.alt_amsl_m,
                 "agl_m": agl_m, "yaw_deg": yaw_deg, "gimbal_pitch_deg": gimbal_pitch_deg},
        "gsd_center_m": frame.gsd_center_m, "agc_span_c": list(frame.agc_span_c),
        "counts_scale": "T_c = counts / 100 - 273.15",
        "truths": [{"class": t.class_name, "kind": t.kind, "box_xywh_px": list(t.box_xywh_px),
                    "visible_fraction": round(t.visible_fraction, 3), "lat_deg": t.lat_deg, "lon_deg": t.lon_deg,
                    "label": t.label} for t in frame.truths],
        "hidden": [{"class": t.class_name, "visible_fraction": round(t.visible_fraction, 3),
                    "canopy": round(t.canopy, 2)} for t in frame.hidden],
        "decoys": [{"kind": d.kind, "box_xywh_px": list(d.box_xywh_px)} for d in frame.decoys],
    }
    files = [(out, _encode(out, frame.video(palette)))]
    if counts_out is not None:
        files.append((counts_out, _encode(counts_out, frame.counts)))
    files.append((truth, json.dumps(doc, indent=1).encode("utf-8")))
    _write_all(files)
    counts: dict[str, int] = {}
    for t in frame.truths:
        counts[t.class_name] = counts.get(t.class_name, 0) + 1
    seen = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no targets"
    lo, hi = frame.agc_span_c
    summary = (f"{scene.summary()}\nframe {cam.width_px}x{cam.height_px} from {agl_m:g} m above "
               f"{at[0]:.6f},{at[1]:.6f} (GSD {frame.gsd_center_m * 100:.1f} cm): {seen} visible, "
               f"{len(frame.hidden)} hidden, {len(frame.decoys)} decoys; AGC {lo:.1f}..{hi:.1f} C\n"
               f"wrote {out} and {truth}" + (f" and {counts_out}" if counts_out else ""))
    return RenderResult(out, truth, counts_out, summary)


def dataset_to_dir(scenarios: str | tuple[str, ...], out_dir: Path, n: int, *, camera: str = "m30t",
                   seed: int = 0, val_fraction: float = 0.2, palette: str = "white-hot", radiometric: bool = False,
                   progress=None, overwrite: bool = False):
    """Write a YOLO + COCO dataset of ``n`` frames of one or more scenarios (see :func:`sim.write_dataset`).

    ``n``, ``seed`` and the output folder are checked before any scene is built.
    """
    import sim
    from sim.dataset import MAX_FRAMES, check_dataset_dir
    from sim.sensor import check_seed

    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_FRAMES:
        raise InputError(f"n={n!r} is out of range: allowed 1..{MAX_FRAMES} frames. Hint: --n 100.")
    check_seed(seed)
    check_dataset_dir(Path(out_dir), overwrite)

    names = (scenarios,) if isinstance(scenarios, str) else tuple(scenarios)
    mountain = None  # the embedded mountain is built once for all scenarios that use it
    scenes = []
    for name in names:
        spec = sim.read_scenario(name)
        synthetic = spec.terrain in ("synthetic-mountain", "synthetic")
        sc = sim.build_scene(spec, mountain if synthetic else None)
        if synthetic and mountain is None:
            mountain = sc.terrain
        scenes.append(sc)
    return sim.write_dataset(scenes, out_dir, n, camera=camera, seed=seed, val_fraction=val_fraction,
                             palette=palette, radiometric=radiometric, progress=progress, overwrite=overwrite)


def describe_scenarios() -> str:
    """One paragraph per bundled scenario, with where to point the camera."""
    import sim

    lines = []
    for name in sim.scenario_names():
        spec = sim.read_scenario(name)
        text = f"{name}: {spec.description}"
        where = _scenario_anchor(spec)
        if where is not None:
            text += f"\n  look at: --at {where[0]:.6f},{where[1]:.6f} ({where[2]})"
        lines.append(text)
    return "\n\n".join(lines)


def _scenario_anchor(spec) -> tuple[float, float, str] | None:
    """Lat/lon of the first pen or target of a scenario on the embedded terrain (no scene build)."""
    if spec.origin_lat_deg is not None:
        olat, olon = spec.origin_lat_deg, spec.origin_lon_deg
    elif spec.terrain in ("synthetic-mountain", "synthetic"):
        olat, olon = geo.DEMO_ORIGIN_LAT_DEG, geo.DEMO_ORIGIN_LON_DEG
    else:
        return None
    frame = geo.LocalFrame.at(olat, olon)
    pens = [f for f in spec.features if f.kind == "pen"]
    if pens:
        e, n = pens[0].at_m
        what = "the pen"
    else:
        t = next((t for t in spec.targets if t.at_m is not None), None)
        if t is None:
            return None
        e, n = t.at_m
        what = t.label or t.kind
    lat, lon = frame.to_geodetic(e, n)
    return float(lat), float(lon), what


# ------------------------------------------------------------------ realism check against HIT-UAV
@dataclass(frozen=True)
class RealismResult:
    """Per-box and per-frame statistics of the real and the synthetic set (lists of dicts)."""

    real_boxes: tuple[dict, ...]
    real_frames: tuple[dict, ...]
    synth_boxes: tuple[dict, ...]
    synth_frames: tuple[dict, ...]
    camera: str


def _hit_uav_records(root: Path) -> tuple[list[dict], list[dict]]:
    import cv2

    from sim.realism import box_stats, frame_stats

    boxes, frames = [], []
    for split in ("train", "val"):
        jpath = root / f"{split}.json"
        if not jpath.is_file():
            raise SarIOError(f"HIT-UAV labels {str(jpath)!r} are missing. Hint: point --hit-uav at the folder "
                             "holding train.json, val.json and images/.")
        doc = json.loads(jpath.read_text(encoding="utf-8"))
        by_img: dict[int, list] = {}
        for a in doc["annotation"]:
            if a["category_id"] == 0:
                by_img.setdefault(a["image_id"], []).append(a["bbox"])
        for im in doc["images"]:
            p = root / "images" / split / im["filename"]
            if not p.is_file():
                continue
            t, alt, ang = (int(v) for v in im["filename"].split("_")[:3])
            img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
            if img is None:
                continue
            meta = {"night": bool(t), "alt_m": alt, "angle_deg": ang}
            frames.append({**meta, **frame_stats(img)})
            for b in by_img.get(im["id"], []):
                s = box_stats(img, b)
                if s is not None:
                    boxes.append({**meta, **s})
    return boxes, frames


def realism_compare(hit_uav_dir: Path, *, n_synth: int = 160, seed: int = 0, camera: str = "h20t") -> RealismResult:
    """Statistics of HIT-UAV's persons and frames and of synthetic frames flown the same way.

    Synthetic poses copy the altitude, camera angle and day/night mix of HIT-UAV's
    person frames; day frames come from the ``lost-child`` village at 14:30,
    night frames from the same place at 22:30 (persons on open ground, as in
    HIT-UAV's campus and road scenes). ``camera`` defaults to the H20T
    (640x512, focal about 1100 px), close to the narrow lenses of such datasets.
    """
    import dataclasses
    import datetime as dt

    import sim
    from sim.posing import pose_looking_at
    from sim.realism import box_stats, frame_stats

    if isinstance(n_synth, bool) or not isinstance(n_synth, int) or not 1 <= n_synth <= 100_000:
        raise InputError(f"n_synth={n_synth!r} is out of range: allowed 1..100000 synthetic frames.")
    real_boxes, real_frames = _hit_uav_records(Path(hit_uav_dir))
    if not real_boxes:
        raise SarIOError(f"no HIT-UAV person boxes found under {str(hit_uav_dir)!r}.")
    spec = sim.read_scenario("lost-child")
    day = sim.build_scene(spec)
    night_spec = dataclasses.replace(spec, utc=spec.utc + dt.timedelta(hours=8), ambient_c=spec.ambient_c - 8.0)
    night = sim.build_scene(night_spec, day.terrain)
    rng = np.random.default_rng(seed)
    cam = geo.camera_preset(camera)
    synth_boxes, synth_frames = [], []
    for k in range(n_synth):
        ref = real_boxes[int(rng.integers(len(real_boxes)))]
        scene = night if ref["night"] else day
        persons = [t for t in scene.targets if t.class_name == "person"]
        t = persons[int(rng.integers(len(persons)))]
        pose = pose_looking_at(scene, t.x_m + rng.normal(0, 12), t.y_m + rng.normal(0, 12), float(ref["alt_m"]),
                               float(max(ref["angle_deg"], 30)), float(rng.uniform(0, 360)))
        fr = sim.render_frame(scene, cam, pose, seed=seed * 7919 + k)
        meta = {"night": ref["night"], "alt_m": ref["alt_m"], "angle_deg": ref["angle_deg"]}
        synth_frames.append({**meta, **frame_stats(fr.video_u8)})
        for tr in fr.truths:
            if tr.class_name == "person":
                s = box_stats(fr.video_u8, tr.box_xywh_px)
                if s is not None:
                    synth_boxes.append({**meta, **s})
    return RealismResult(tuple(real_boxes), tuple(real_frames), tuple(synth_boxes), tuple(synth_frames), cam.name)


def _med(rows, key, **where) -> tuple[float, float, float, int]:
    v = np.array([r[key] for r in rows if all(r[k] == w for k, w in where.items())], float)
    if v.size == 0:
        return (float("nan"),) * 3 + (0,)
    q1, m, q3 = np.percentile(v, [25, 50, 75])
    return float(m), float(q1), float(q3), int(v.size)


def realism_markdown(res: RealismResult) -> str:
    """The comparison tables as markdown."""
    out = ["| altitude m | HIT-UAV person px (n) | synthetic person px (n) | HIT-UAV contrast gl | synthetic contrast gl |",
           "|---:|---:|---:|---:|---:|"]
    for alt in range(60, 131, 10):
        r = _med(res.real_boxes, "size_px", alt_m=alt)
        s = _med(res.synth_boxes, "size_px", alt_m=alt)
        rc = _med(res.real_boxes, "contrast_gl", alt_m=alt)
        sc = _med(res.synth_boxes, "contrast_gl", alt_m=alt)
        out.append(f"| {alt} | {r[0]:.1f} ({r[3]}) | {s[0]:.1f} ({s[3]}) | {rc[0]:.0f} | {sc[0]:.0f} |")
    out += ["", "| statistic (median) | HIT-UAV day | synthetic day | HIT-UAV night | synthetic night |",
            "|---|---:|---:|---:|---:|"]
    for key, what, rows_r, rows_s in (
        ("size_px", "person box sqrt(w h), px", res.real_boxes, res.synth_boxes),
        ("contrast_gl", "person contrast, grey levels", res.real_boxes, res.synth_boxes),
        ("snr", "person contrast / ring std", res.real_boxes, res.synth_boxes),
        ("noise_gl", "pixel noise, grey levels", res.real_frames, res.synth_frames),
        ("texture_gl", "texture 1-8 px, grey levels", res.real_frames, res.synth_frames),
        ("spread_gl", "frame std, grey levels", res.real_frames, res.synth_frames),
        ("saturated", "saturated pixels, share", res.real_frames, res.synth_frames),
    ):
        cells = []
        for night in (False, True):
            for rows in (rows_r, rows_s):
                m = _med(rows, key, night=night)[0]
                cells.append(f"{m:.3f}" if key == "saturated" else f"{m:.1f}")
        out.append(f"| {what} | " + " | ".join(cells) + " |")
    n = (len(res.real_frames), len(res.real_boxes), len(res.synth_frames), len(res.synth_boxes))
    out += ["", f"HIT-UAV: {n[0]} frames, {n[1]} person boxes; synthetic ({res.camera}): {n[2]} frames, "
            f"{n[3]} person boxes."]
    return "\n".join(out)


def realism_plot(res: RealismResult, path: Path) -> Path:
    """Two panels drawn with OpenCV: person box size and contrast against altitude (median, IQR)."""
    import cv2

    W, H = 1200, 520
    img = np.full((H, W, 3), 255, np.uint8)
    panels = (("person box sqrt(w h), px", "size_px", 0.0, 40.0), ("person contrast, grey levels", "contrast_gl",
                                                                   0.0, 200.0))
    colours = {"HIT-UAV (real)": (40, 40, 200), "synthetic": (200, 110, 20)}
    for p, (title, key, lo, hi) in enumerate(panels):
        x0, y0, pw, ph = 80 + p * 590, 50, 480, 400

        def sx(alt: float) -> int:
            return int(x0 + (alt - 55) / 80 * pw)

        def sy(v: float) -> int:
            return int(y0 + ph - (min(max(v, lo), hi) - lo) / (hi - lo) * ph)

        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), (0, 0, 0), 1)
        for alt in range(60, 131, 10):
            cv2.line(img, (sx(alt), y0 + ph), (sx(alt), y0 + ph + 5), (0, 0, 0), 1)
            cv2.putText(img, str(alt), (sx(alt) - 12, y0 + ph + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            cv2.line(img, (x0 - 5, sy(v)), (x0, sy(v)), (0, 0, 0), 1)
            cv2.line(img, (x0, sy(v)), (x0 + pw, sy(v)), (225, 225, 225), 1)
            cv2.putText(img, f"{v:g}", (x0 - 45, sy(v) + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
        cv2.putText(img, title, (x0, y0 - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, "flight altitude, m", (x0 + pw // 2 - 70, y0 + ph + 45), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
        for j, (name, rows) in enumerate((("HIT-UAV (real)", res.real_boxes), ("synthetic", res.synth_boxes))):
            col = colours[name]
            pts = []
            for alt in range(60, 131, 10):
                m, q1, q3, n = _med(rows, key, alt_m=alt)
                if n == 0:
                    continue
                xx = sx(alt) + (j * 2 - 1) * 5
                cv2.line(img, (xx, sy(q1)), (xx, sy(q3)), col, 2)
                cv2.circle(img, (xx, sy(m)), 5, col, -1, cv2.LINE_AA)
                pts.append((xx, sy(m)))
            for a, b in zip(pts[:-1], pts[1:]):
                cv2.line(img, a, b, col, 1, cv2.LINE_AA)
            cv2.circle(img, (x0 + 15, y0 + 18 + 22 * j), 5, col, -1, cv2.LINE_AA)
            cv2.putText(img, name + " median, IQR", (x0 + 28, y0 + 23 + 22 * j), cv2.FONT_HERSHEY_SIMPLEX, 0.5, col,
                        1, cv2.LINE_AA)
    _write(Path(path), img[..., ::-1])
    return Path(path)


def realism_examples(hit_uav_dir: Path, path: Path, *, camera: str = "h20t") -> Path:
    """Real HIT-UAV frames beside synthetic frames flown at the same altitude and angle (day row, night row)."""
    import dataclasses
    import datetime as dt

    import cv2

    import sim
    from sim.posing import pose_looking_at

    root = Path(hit_uav_dir) / "images" / "val"
    picks = {False: "0_70_90_", True: "1_80_90_"}
    spec = sim.read_scenario("lost-child")
    day = sim.build_scene(spec)
    night = sim.build_scene(dataclasses.replace(spec, utc=spec.utc + dt.timedelta(hours=8),
                                                ambient_c=spec.ambient_c - 8.0), day.terrain)
    cam = geo.camera_preset(camera)
    rows = []
    for is_night, prefix in picks.items():
        files = sorted(root.glob(prefix + "*.jpg")) or sorted(root.glob(prefix[:2] + "*.jpg"))
        if not files:
            raise SarIOError(f"no HIT-UAV frame named {prefix}* under {str(root)!r}.")
        real = cv2.imread(str(files[0]), cv2.IMREAD_GRAYSCALE)
        alt, ang = (float(v) for v in files[0].name.split("_")[1:3])
        scene = night if is_night else day
        t = [t for t in scene.targets if t.label == "villager"][0]
        fr = sim.render_frame(scene, cam, pose_looking_at(scene, t.x_m + 4, t.y_m - 3, alt, max(ang, 30.0), 20.0),
                              seed=5)
        for im, text in ((real, f"HIT-UAV {files[0].name}"),
                         (fr.video_u8, f"synthetic {camera}, {alt:g} m, {ang:g} deg")):
            im = cv2.cvtColor(cv2.resize(im, (480, 384), interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2BGR)
            cv2.rectangle(im, (0, 0), (479, 24), (0, 0, 0), -1)
            cv2.putText(im, text + (" (night)" if is_night else " (day)"), (6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 255, 255), 1, cv2.LINE_AA)
            rows.append(im)
    grid = np.vstack([np.hstack(rows[0:2]), np.hstack(rows[2:4])])
    _write(Path(path), grid[..., ::-1])
    return Path(path)
