"""Pipelines behind ``thermal-sar sim``: render one frame to files, write a dataset, list scenarios."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import geo
from geo.errors import InputError, SarIOError

__all__ = ["RenderResult", "render_to_files", "dataset_to_dir", "describe_scenarios"]


@dataclass(frozen=True)
class RenderResult:
    png: Path
    truth_json: Path
    counts_png: Path | None
    summary: str


def _write(path: Path, a: np.ndarray) -> None:
    import cv2

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SarIOError(f"cannot create folder {str(path.parent)!r}: {exc.strerror or exc}.") from None
    if a.ndim == 3:
        a = a[..., ::-1]
    if not cv2.imwrite(str(path), np.ascontiguousarray(a)):
        raise SarIOError(f"cannot write image {str(path)!r}. Hint: use a .png name in a writable folder.")


def render_to_files(scenario: str, out: Path, *, camera: str = "m30t", at: tuple[float, float] | None = None,
                    agl_m: float = 80.0, gimbal_pitch_deg: float = -90.0, yaw_deg: float = 0.0,
                    palette: str = "white-hot", seed: int = 0, counts_out: Path | None = None,
                    terrain_paths: tuple[str, ...] = ()) -> RenderResult:
    """Render one frame of ``scenario`` from ``agl_m`` above ``at`` (default: the pen or first target)."""
    import sim

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
    out = Path(out)
    _write(out, frame.video(palette))
    if counts_out is not None:
        _write(Path(counts_out), frame.counts)
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
    try:
        truth.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    except OSError as exc:
        raise SarIOError(f"cannot write {str(truth)!r}: {exc.strerror or exc}.") from None
    counts: dict[str, int] = {}
    for t in frame.truths:
        counts[t.class_name] = counts.get(t.class_name, 0) + 1
    seen = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no targets"
    lo, hi = frame.agc_span_c
    summary = (f"{scene.summary()}\nframe {cam.width_px}x{cam.height_px} from {agl_m:g} m above "
               f"{at[0]:.6f},{at[1]:.6f} (GSD {frame.gsd_center_m * 100:.1f} cm): {seen} visible, "
               f"{len(frame.hidden)} hidden, {len(frame.decoys)} decoys; AGC {lo:.1f}..{hi:.1f} C\n"
               f"wrote {out} and {truth}" + (f" and {counts_out}" if counts_out else ""))
    return RenderResult(out, truth, Path(counts_out) if counts_out else None, summary)


def dataset_to_dir(scenario: str, out_dir: Path, n: int, *, camera: str = "m30t", seed: int = 0,
                   val_fraction: float = 0.2, palette: str = "white-hot", radiometric: bool = False,
                   progress=None):
    """Write a YOLO + COCO dataset of ``n`` frames of ``scenario`` (see :func:`sim.write_dataset`)."""
    import sim

    scene = sim.load_scenario(scenario)
    return sim.write_dataset(scene, out_dir, n, camera=camera, seed=seed, val_fraction=val_fraction,
                             palette=palette, radiometric=radiometric, progress=progress)


def describe_scenarios() -> str:
    """One paragraph per bundled scenario, with where to point the camera."""
    import sim

    lines = []
    for name in sim.scenario_names():
        spec = sim.read_scenario(name)
        lines.append(f"{name}: {spec.description}")
    return "\n\n".join(lines)
