"""Precision, recall and AP50 of a detector on labelled frames.

Matching is per frame and per class, greedy by decreasing score, at IoU >=
0.5 (PASCAL VOC / COCO AP50 convention). A detection whose box lies mostly
(>= 50 % of its area) inside a DontCare region and matches nothing is
ignored, not counted as a false positive. AP is the area under the
all-point-interpolated precision/recall curve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from geo.errors import InputError
from vision.detection import Detection
from vision.labels import GroundTruth, LabelledFrame

__all__ = ["ClassResult", "EvalReport", "match_frame", "average_precision", "evaluate_detections",
           "run_evaluation", "iou_matrix"]


@dataclass(frozen=True)
class ClassResult:
    """Figures for one class.

    ``precision``/``recall`` use every detection the detector returned (its
    own operating point); ``best_recall_at_p60`` is the highest recall along
    the curve with precision >= 0.60 (the person target's operating point),
    ``best_recall_at_p90`` with precision >= 0.90 (livestock); ``curve_*`` the
    PR curve arrays.
    """

    class_name: str
    n_truth: int
    n_detections: int
    true_positives: int
    precision: float
    recall: float
    ap50: float
    best_recall_at_p60: float
    best_recall_at_p90: float
    curve_precision: np.ndarray
    curve_recall: np.ndarray
    curve_score: np.ndarray


@dataclass(frozen=True)
class EvalReport:
    """Per-class results, speed and the subset it covers."""

    detector: str
    subset: str
    n_frames: int
    classes: tuple[ClassResult, ...]
    frames_per_s: float
    ms_per_frame: float

    def summary_rows(self) -> list[tuple]:
        return [(self.subset, c.class_name, c.n_truth, c.n_detections, c.precision, c.recall, c.ap50,
                 c.best_recall_at_p60, c.best_recall_at_p90) for c in self.classes]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (N, 4) x (M, 4), columns top, left, bottom, right."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    t = np.maximum(a[:, None, 0], b[None, :, 0])
    l_ = np.maximum(a[:, None, 1], b[None, :, 1])
    bt = np.minimum(a[:, None, 2], b[None, :, 2])
    r = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(bt - t, 0, None) * np.clip(r - l_, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = aa[:, None] + ab[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _boxes(items) -> np.ndarray:
    return np.array([[x.top_px, x.left_px, x.bottom_px, x.right_px] for x in items], float).reshape(-1, 4)


def match_frame(dets: Sequence[Detection], truth: Sequence[GroundTruth], ignore: Sequence[GroundTruth] = (),
                *, iou_min: float = 0.5) -> list[tuple[float, bool | None]]:
    """(score, matched) per detection, one class; matched None = ignored (DontCare)."""
    order = sorted(range(len(dets)), key=lambda i: -dets[i].score)
    iou = iou_matrix(_boxes([dets[i] for i in order]), _boxes(truth))
    used = np.zeros(len(truth), bool)
    ign = _boxes(ignore)
    out: list[tuple[float, bool | None]] = []
    for k, i in enumerate(order):
        d = dets[i]
        if len(truth):
            cand = np.where(~used, iou[k], -1.0)
            j = int(np.argmax(cand))
            if cand[j] >= iou_min:
                used[j] = True
                out.append((d.score, True))
                continue
        if len(ign):
            t = np.clip(np.minimum(d.bottom_px, ign[:, 2]) - np.maximum(d.top_px, ign[:, 0]), 0, None)
            w = np.clip(np.minimum(d.right_px, ign[:, 3]) - np.maximum(d.left_px, ign[:, 1]), 0, None)
            if float((t * w).max()) >= 0.5 * d.height_px * d.width_px:
                out.append((d.score, None))
                continue
        out.append((d.score, False))
    return out


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP (area under the monotone precision envelope)."""
    if len(recall) == 0:
        return 0.0
    r = np.concatenate([[0.0], recall, [recall[-1]]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    idx = np.where(r[1:] != r[:-1])[0]
    return float(np.sum((r[idx + 1] - r[idx]) * p[idx + 1]))


def _class_result(name: str, matches: list[tuple[float, bool | None]], n_truth: int) -> ClassResult:
    m = [(s, ok) for s, ok in matches if ok is not None]
    m.sort(key=lambda t: -t[0])
    scores = np.array([s for s, _ in m], float)
    tp = np.cumsum([1 if ok else 0 for _, ok in m]).astype(float)
    fp = np.cumsum([0 if ok else 1 for _, ok in m]).astype(float)
    rec = tp / n_truth if n_truth else np.zeros_like(tp)
    prec = tp / np.maximum(tp + fp, 1e-9)
    ap = average_precision(rec, prec) if n_truth else 0.0
    ok60 = rec[prec >= 0.6]
    ok90 = rec[prec >= 0.9]
    n_tp = int(tp[-1]) if len(tp) else 0
    return ClassResult(
        class_name=name, n_truth=n_truth, n_detections=len(m), true_positives=n_tp,
        precision=n_tp / len(m) if m else 0.0, recall=n_tp / n_truth if n_truth else 0.0, ap50=ap,
        best_recall_at_p60=float(ok60.max()) if len(ok60) else 0.0,
        best_recall_at_p90=float(ok90.max()) if len(ok90) else 0.0,
        curve_precision=prec, curve_recall=rec, curve_score=scores,
    )


def evaluate_detections(frames: Sequence[LabelledFrame], detections: Sequence[Sequence[Detection]],
                        classes: Iterable[str], *, iou_min: float = 0.5,
                        class_map: dict[str, str] | None = None) -> tuple[ClassResult, ...]:
    """Per-class results of precomputed detections (one list per frame).

    ``class_map`` renames detector classes to label classes (e.g. hotspot ->
    person for a class-agnostic run); names compare lower-case.
    """
    if len(frames) != len(detections):
        raise InputError(f"{len(frames)} frames but {len(detections)} detection lists.")
    cmap = {k.lower(): v.lower() for k, v in (class_map or {}).items()}
    results = []
    for cls in (c.lower() for c in classes):
        matches: list[tuple[float, bool | None]] = []
        n_truth = 0
        for fr, dets in zip(frames, detections):
            truth = [g for g in fr.boxes if g.class_name == cls]
            n_truth += len(truth)
            mine = [d for d in dets if cmap.get(d.class_name.lower(), d.class_name.lower()) == cls]
            matches += match_frame(mine, truth, fr.ignore, iou_min=iou_min)
        results.append(_class_result(cls, matches, n_truth))
    return tuple(results)


def run_evaluation(detect: Callable[[LabelledFrame], list[Detection]], frames: Sequence[LabelledFrame],
                   classes: Iterable[str], *, detector_name: str, subsets: dict[str, Callable[[LabelledFrame], bool]]
                   | None = None, class_map: dict[str, str] | None = None, iou_min: float = 0.5,
                   progress: Callable[[int], None] | None = None) -> list[EvalReport]:
    """Run ``detect`` on every frame (timed, reading excluded by the caller's closure
    where possible) and report per subset (e.g. day / night / all)."""
    classes = tuple(classes)
    all_dets: list[list[Detection]] = []
    busy_s = 0.0
    for i, fr in enumerate(frames):
        t0 = time.perf_counter()
        all_dets.append(detect(fr))
        busy_s += time.perf_counter() - t0
        if progress:
            progress(i + 1)
    fps = len(frames) / busy_s if busy_s > 0 else 0.0
    ms = 1000.0 * busy_s / max(1, len(frames))
    subsets = subsets or {"all": lambda f: True}
    out = []
    for name, pred in subsets.items():
        idx = [i for i, f in enumerate(frames) if pred(f)]
        if not idx:
            continue
        res = evaluate_detections([frames[i] for i in idx], [all_dets[i] for i in idx], classes, class_map=class_map,
                                  iou_min=iou_min)
        out.append(EvalReport(detector_name, name, len(idx), res, fps, ms))
    return out
