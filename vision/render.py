"""Pictures for people: annotated frames and precision/recall curves (arrays out, no files)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vision.detection import Detection
from vision.evaluate import ClassResult
from vision.frame import ThermalFrame

__all__ = ["CLASS_COLOURS_BGR", "annotate", "pr_curve_image"]

CLASS_COLOURS_BGR = {
    "person": (0, 0, 255), "sheep": (0, 200, 255), "cow": (255, 120, 0), "dog": (255, 0, 200),
    "animal": (0, 255, 255), "vehicle": (200, 200, 200), "hotspot": (0, 255, 0),
}


def annotate(frame: ThermalFrame | np.ndarray, detections: Sequence[Detection], *, scale: int = 1,
             track_ids: Sequence[int | None] | None = None, banner: str = "") -> np.ndarray:
    """A BGR uint8 image of the frame (white-hot grey) with boxes, class, score and track id.

    ``banner`` is written at the top (e.g. the frame's flags: 'not calibrated').
    """
    grey = frame.to_grey8() if isinstance(frame, ThermalFrame) else ThermalFrame(np.asarray(frame), "grey"
                                                                                   if np.asarray(frame).dtype == np.uint8
                                                                                   else "counts").to_grey8()
    img = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    if scale > 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    for i, d in enumerate(detections):
        c = CLASS_COLOURS_BGR.get(d.class_name, (0, 255, 0))
        p1 = (int(round(d.left_px * scale)) - 1, int(round(d.top_px * scale)) - 1)
        p2 = (int(round(d.right_px * scale)), int(round(d.bottom_px * scale)))
        cv2.rectangle(img, p1, p2, c, 1)
        label = f"{d.class_name} {d.score:.2f}"
        if track_ids is not None and i < len(track_ids) and track_ids[i] is not None:
            label = f"#{track_ids[i]} " + label
        cv2.putText(img, label, (p1[0], max(9, p1[1] - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, c, 1, cv2.LINE_AA)
    if banner:
        cv2.rectangle(img, (0, 0), (img.shape[1], 14), (0, 0, 0), -1)
        cv2.putText(img, banner[:120], (3, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 200, 255), 1, cv2.LINE_AA)
    return img


def pr_curve_image(curves: Sequence[tuple[str, ClassResult]], *, size_px: tuple[int, int] = (480, 640),
                   title: str = "") -> np.ndarray:
    """Precision (y) against recall (x) for each (label, result), as a BGR uint8 image."""
    h, w = size_px
    img = np.full((h, w, 3), 255, np.uint8)
    left, right, top, bottom = 60, w - 20, 30, h - 50
    cv2.rectangle(img, (left, top), (right, bottom), (0, 0, 0), 1)
    for k in range(11):
        x = left + (right - left) * k // 10
        y = bottom - (bottom - top) * k // 10
        cv2.line(img, (x, bottom), (x, bottom + 4), (0, 0, 0), 1)
        cv2.line(img, (left - 4, y), (left, y), (0, 0, 0), 1)
        if k % 2 == 0:
            cv2.putText(img, f"{k / 10:.1f}", (x - 10, bottom + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
            cv2.putText(img, f"{k / 10:.1f}", (left - 35, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.line(img, (x, top), (x, bottom), (230, 230, 230), 1)
        cv2.line(img, (left, y), (right, y), (230, 230, 230), 1)
    cv2.putText(img, "recall", ((left + right) // 2 - 20, h - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, "precision", (5, top - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    if title:
        cv2.putText(img, title[:70], (left + 60, top - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    palette = [(200, 60, 0), (0, 0, 220), (0, 150, 0), (150, 0, 150), (0, 140, 255), (100, 100, 100)]
    for i, (label, res) in enumerate(curves):
        c = palette[i % len(palette)]
        if len(res.curve_recall):
            xs = left + res.curve_recall * (right - left)
            ys = bottom - res.curve_precision * (bottom - top)
            pts = np.stack([xs, ys], 1).round().astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(img, [pts], False, c, 2, cv2.LINE_AA)
        cv2.putText(img, f"{label}: AP {res.ap50:.3f}", (right - 250, top + 20 + 18 * i),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, c, 1, cv2.LINE_AA)
    return img
