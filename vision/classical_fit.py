"""Fitting the classical detector's score weights on labelled frames.

The score is a logistic function of :func:`vision.classical.score_features`.
:func:`fit_score_weights` collects candidate blobs on labelled frames, marks
each positive when its box matches a labelled box of ``target`` at IoU >= 0.5
(the evaluation criterion), leaves out near misses (0.2 <= IoU < 0.5, neither
right nor wrong), and fits the weights by L2-regularised Newton steps (IRLS).
The shipped weights came from::

    python -m vision.classical_fit ../shared/data/thermal/hit_uav train

i.e. the HIT-UAV *train* split only; the val split is kept for measuring.
The animal weights (sheep, cows; no real livestock data) came from sim
datasets rendered for fitting only, never measured on: the sheep scenario at
seeds 21, 22 (60 frames each) and 23 (80 frames), and the lost-child and
night-hiker scenarios at seed 21 (40 frames each; people and dogs, no
livestock), all with ``--val 0 --radiometric``, e.g.::

    thermal-sar sim dataset --scenario sheep --n 60 --seed 21 --val 0 --radiometric --out SHEEP21
    python -m vision.classical_fit --animals SHEEP21 SHEEP22 SHEEP23 CHILD21 HIKER21

which fits one set per animal map (frame-normalised, local) and kind of frame
(the 8-bit video, the radiometric PNGs). Shape and surround are not in the
logistic: they act as a physical factor (:func:`vision.classical.animal_shape_factor`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from geo.errors import InputError
from vision.classical import (N_ANIMAL_FEATURES, N_PERSON_FEATURES, ClassicalDetector, ClassicalParams,
                               animal_feature_rows, person_feature_names)
from vision.evaluate import iou_matrix
from vision.frame import ValueKind
from vision.labels import LabelledFrame
from vision.mlp import MlpScorer, fit_mlp

__all__ = ["candidate_table", "animal_candidate_table", "person_candidate_table", "person_feature_names", "PERSON_LABELS",
           "fit_person_scorer", "fit_score_weights", "read_sim_frame"]


def candidate_table(frames: Sequence[LabelledFrame], params: ClassicalParams, *, target: str = "person",
                    use_gsd: bool = True, patch: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): score features of every gated candidate and its label (1, 0, or -1 = near miss).

    ``patch=False`` leaves out the 64 patch cells (the generic weights). Every candidate
    is scored as a ``target`` (the detector is restricted to that class).
    """
    import cv2

    det = ClassicalDetector(params, targets=(target,))
    xs, ys = [], []
    for fr in frames:
        img = cv2.imread(str(fr.path), cv2.IMREAD_UNCHANGED)
        if img is None or img.ndim != 2:
            continue
        gsd = fr.gsd_m if use_gsd else None
        kind = ValueKind.GREY if img.dtype == np.uint8 else ValueKind.COUNTS
        maps = det.maps(img, kind, gsd)
        kept = det.candidates(maps, gsd)
        if not kept:
            continue
        truth = np.array([[g.top_px, g.left_px, g.bottom_px, g.right_px] for g in fr.boxes if g.class_name == target],
                         float).reshape(-1, 4)
        x, _ = det.feature_rows(maps, kept, gsd)
        if not patch:
            x = x[:, [0, 1, 2, 3, 4, 5, -1]]
        pad = params.box_pad(kind)
        boxes = np.array([[b.top_px - pad, b.left_px - pad, b.top_px + b.height_px + pad,
                           b.left_px + b.width_px + pad] for b, _, _ in kept])
        iou = iou_matrix(boxes, truth).max(axis=1) if len(truth) else np.zeros(len(kept))
        xs.extend(x)
        ys.extend(np.where(iou >= 0.5, 1, np.where(iou >= 0.2, -1, 0)).tolist())
    return np.array(xs).reshape(-1, 71 if patch else 7), np.array(ys)


PERSON_LABELS = ("strict", "lenient")


def person_candidate_table(frames: Sequence[LabelledFrame], params: ClassicalParams, *, mirror: bool = False,
                           labels: str = "strict") -> tuple[np.ndarray, np.ndarray, np.ndarray, set[str]]:
    """(X, y, frame, kinds): the MLP person scorer's rows of every person candidate the detector
    makes on ``frames`` (every hysteresis level and the anchor boxes,
    :meth:`ClassicalDetector.person_candidates`), its label (1: its box matches a labelled
    person at IoU >= 0.5, the evaluation's criterion; else 0, with ``labels="lenient"`` -1
    for a near miss at 0.2 <= IoU < 0.5, left out of the fit) and the index of its frame, and
    the kinds of frame read (``ValueKind`` values). Frames without a GSD are skipped (people
    are scored with one). ``"strict"`` (the default since session 6) teaches the scorer that a
    box cutting a body or holding two is wrong, so that the right box of a body outscores
    it in the suppression: HIT-UAV val night recall at precision 0.6 0.677 -> 0.723 with the anchors
    (docs/vision.md, step 7).
    ``mirror``: each frame once more mirrored left to right (twice the examples; a person
    seen from the air is one in the mirror too)."""
    if labels not in PERSON_LABELS:
        raise InputError(f"labels={labels!r}: allowed {', '.join(PERSON_LABELS)}.")
    import cv2

    det = ClassicalDetector(replace(params, person_scorer=None), targets=("person",))
    xs, ys, fs, kinds = [], [], [], set()
    near = -1 if labels == "lenient" else 0  # the label of a near miss
    for fi, fr in enumerate(frames):
        img = cv2.imread(str(fr.path), cv2.IMREAD_UNCHANGED)
        if img is None or img.ndim != 2 or not fr.gsd_m:
            continue
        kind = ValueKind.GREY if img.dtype == np.uint8 else ValueKind.COUNTS
        kinds.add(kind.value)
        truth = np.array([[g.top_px, g.left_px, g.bottom_px, g.right_px] for g in fr.boxes if g.class_name == "person"],
                         float).reshape(-1, 4)
        views = [(img, truth)]
        if mirror:
            w = img.shape[1]
            views.append((np.ascontiguousarray(img[:, ::-1]), truth[:, [0, 3, 2, 1]] * [1, -1, 1, -1] + [0, w, 0, w]))
        for im, tr in views:
            maps = det.maps(im, kind, fr.gsd_m)
            kept, levels = det.person_candidates(maps, fr.gsd_m)
            if not kept:
                continue
            x, _ = det.feature_rows(maps, kept, fr.gsd_m)
            rows = det.person_rows(maps, x, kept, levels, fr.gsd_m)
            pad = params.box_pad(kind)
            boxes = np.array([[b.top_px - pad, b.left_px - pad, b.top_px + b.height_px + pad,
                               b.left_px + b.width_px + pad] for b, _, _ in kept])
            iou = iou_matrix(boxes, tr).max(axis=1) if len(tr) else np.zeros(len(kept))
            xs.append(rows)
            ys.append(np.where(iou >= 0.5, 1, np.where(iou >= 0.2, near, 0)))
            fs.append(np.full(len(kept), fi))
    n = N_PERSON_FEATURES + len(params.person_levels_z) + (1 if params.person_anchors_m else 0)
    if not xs:
        return np.zeros((0, n)), np.zeros(0, np.int64), np.zeros(0, np.int64), kinds
    return np.vstack(xs), np.concatenate(ys), np.concatenate(fs), kinds


def read_sim_frame(fr: LabelledFrame, *, radiometric: bool = False) -> tuple[np.ndarray, ValueKind] | None:
    """The image of a labelled sim frame: the 8-bit video, or with ``radiometric`` the 16-bit
    counts PNG beside it (``radiometric/<split>/NAME.png``, T_C = counts / 100 - 273.15) as
    degrees Celsius; None when it cannot be read."""
    import cv2

    path = fr.path
    if radiometric:
        path = path.parents[2] / "radiometric" / path.parent.name / path.name
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.ndim != 2:
        return None
    if radiometric:
        return (img.astype(np.float32) / 100.0 - 273.15).astype(np.float32), ValueKind.TEMPERATURE_C
    return img, ValueKind.GREY if img.dtype == np.uint8 else ValueKind.COUNTS


def animal_candidate_table(frames: Sequence[LabelledFrame], params: ClassicalParams,
                           classes: tuple[str, ...] = ("sheep", "cow"), *,
                           radiometric: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) like :func:`candidate_table` for the animal classes: the
    :func:`vision.classical.animal_feature_rows` of every gated candidate, positive
    when its (refined) box matches a labelled box of the class it was given at IoU >=
    0.5. For fitting the animal score weights on sim data (``radiometric``: the
    frames' radiometric PNGs instead of their video)."""
    det = ClassicalDetector(params, targets=classes)
    xs, ys = [], []
    for fr in frames:
        got = read_sim_frame(fr, radiometric=radiometric)
        if got is None or not fr.gsd_m:
            continue
        img, kind = got
        local, gates = det.channels(fr.gsd_m, kind)[-1]
        maps = det.maps(img, kind, fr.gsd_m, local=local)
        kept = det.candidates(maps, fr.gsd_m, gates, prune=False)
        if not kept:
            continue
        x = animal_feature_rows(kept)
        pad = params.box_pad(kind)
        for row, (b, cls, _) in zip(x, kept):
            pr, pc = max(pad, -0.25 * b.height_px), max(pad, -0.25 * b.width_px)
            box = np.array([[b.top_px - pr, b.left_px - pc, b.top_px + b.height_px + pr, b.left_px + b.width_px + pc]])
            truth = np.array([[g.top_px, g.left_px, g.bottom_px, g.right_px] for g in fr.boxes
                              if g.class_name == cls], float).reshape(-1, 4)
            iou = float(iou_matrix(box, truth).max()) if len(truth) else 0.0
            xs.append(row)
            ys.append(1 if iou >= 0.5 else (-1 if iou >= 0.2 else 0))
    return np.array(xs).reshape(-1, N_ANIMAL_FEATURES), np.array(ys)


def fit_score_weights(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 60) -> np.ndarray:
    """Logistic regression weights (IRLS) on rows with y in {0, 1}."""
    keep = y >= 0
    x, t = x[keep], y[keep].astype(float)
    w = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        wt = p * (1 - p) + 1e-9
        h = x.T @ (x * wt[:, None]) + l2 * np.eye(len(w))
        g = x.T @ (t - p) - l2 * w
        step = np.linalg.solve(h, g)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_person_scorer(frames: Sequence[LabelledFrame], params: ClassicalParams, *, hidden: int = 32,
                      l2: float = 30.0, mirror: bool = True, source: str = "", labels: str = "strict") -> MlpScorer:
    """The MLP person scorer fitted on every level's person candidates of ``frames``
    (labelled as :func:`person_candidate_table` says), with what it was fitted for in its ``meta``."""
    x, y, frame, kinds = person_candidate_table(frames, params, mirror=mirror, labels=labels)
    gsds = [frames[i].gsd_m for i in np.unique(frame).tolist()]
    meta = {"mirrored": mirror, "gsd_m_range": [min(gsds), max(gsds)] if gsds else None, "kinds": sorted(kinds),
            "features": person_feature_names(len(params.person_levels_z), bool(params.person_anchors_m)),
            "levels_z": [list(lv) for lv in params.person_levels_z],
            "anchors_m": [list(hw) for hw in params.person_anchors_m],
            "anchor_min_z": params.person_anchor_min_z, "anchor_peak_m": params.person_anchor_peak_m,
            "low_z": params.low_z, "high_z": params.high_z, "box_pad_px": params.box_pad_px,
            "labels": labels, "data": source, "command": "python -m vision.classical_fit " + source}
    return fit_mlp(x, y, hidden=hidden, l2=l2, meta=meta)


def main(argv: list[str]) -> int:  # pragma: no cover - a maintenance tool
    """``python -m vision.classical_fit HIT_UAV_ROOT [split]`` (people) or
    ``python -m vision.classical_fit --animals SIM_DIR...`` (sheep and cows, train splits)."""
    from dataclasses import replace

    from vision.labels import HIT_UAV_BOX_PAD_PX, SIM_BOX_PAD_GREY_PX, SIM_BOX_PAD_PX, load_dataset, load_hit_uav

    if argv and argv[0] == "--animals":
        frames = [f for root in argv[1:] for f in load_dataset(root, split="train")]
        print("_ANIMAL_WEIGHTS = {")
        for local in (False, True):
            for radiometric in (False, True):
                params = replace(ClassicalParams(), box_pad_px=SIM_BOX_PAD_PX, box_pad_grey_px=SIM_BOX_PAD_GREY_PX,
                                 animal_local=local)
                xa, ya = animal_candidate_table(frames, params, radiometric=radiometric)
                wa = fit_score_weights(xa, ya, l2=1.0)
                print(f"    # {len(ya)} candidates, {(ya == 1).sum()} positive, {(ya == -1).sum()} near misses")
                print(f"    ({local}, {radiometric}): (" + ", ".join(f"{float(v):.3f}" for v in wa) + "),")
        print("}")
        return 0
    out = None
    if "--out" in argv:
        i = argv.index("--out")
        out, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    root, split = argv[0], argv[1] if len(argv) > 1 else "train"
    frames = load_hit_uav(root, split)
    params = replace(ClassicalParams(), box_pad_px=HIT_UAV_BOX_PAD_PX, person_scorer=None)
    scorer = fit_person_scorer(frames, params, source=f"{root} {split}")
    from pathlib import Path

    target = Path(out) if out else Path(__file__).resolve().parent / "models" / "classical_person.json"
    scorer.write(target)
    print(f"person scorer: {scorer.meta['rows']} candidates, {scorer.meta['positives']} positive, "
          f"{scorer.meta['iterations']} iterations -> {target}")
    x, y = candidate_table(frames, params)
    w = fit_score_weights(x, y)
    print(f"{len(y)} candidates, {(y == 1).sum()} positive, {(y == -1).sum()} near misses")
    print("_SCORE_WEIGHTS = (" + ", ".join(f"{float(v):.4f}" for v in w) + ")")
    x7, y7 = candidate_table(frames, replace(ClassicalParams(), box_pad_px=HIT_UAV_BOX_PAD_PX), patch=False)
    w7 = fit_score_weights(x7, y7, l2=1e-2)
    print("_GENERIC_SCORE_WEIGHTS = (" + ", ".join(f"{float(v):.3f}" for v in w7) + ")")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
