"""YOLO (ultralytics v8/11 export) inference with onnxruntime only: no torch at run time.

The exported model takes ``images`` (1, 3, H, W) float32 RGB in 0..1 and
returns (1, 4 + nc, N): for each of N anchors ``cx, cy, w, h`` in pixels of
the letterboxed input, then one score per class. We letterbox the frame
(keep aspect, pad with grey 114, centred), decode, run class-aware NMS in
numpy and map the boxes back to the frame's pixels.

The model lives at ``vision/models/thermal_sar_yolo.onnx`` with a sidecar
``thermal_sar_yolo.json`` (``names``: class names in output order,
``imgsz``: input size, int or [height, width]); both come from
``thermal-sar train`` (the sidecar also names the ``format``,
``ultralytics-yolo11-onnx``). Without a sidecar the size is read from the model's
input and the names from ultralytics' ONNX metadata.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.errors import FormatError, InputError, SarIOError, out_of_range
from vision.detection import Detection
from vision.agc import agc_plateau
from vision.frame import ThermalFrame, ValueKind

__all__ = ["DEFAULT_MODEL", "LetterBox", "letterbox", "decode_output", "nms", "YoloDetector", "MAX_THREADS"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "thermal_sar_yolo.onnx"
# Sidecar "format" values whose output layout decode_output() reads: (1, 4 + nc, N), no NMS in the graph.
KNOWN_FORMATS = ("ultralytics-yolo11-onnx", "ultralytics-yolov8-onnx")
# Radiometric counts of unknown scale (a 16-bit TIFF/PNG read without counts_scale_c) are
# equalised like temperatures, in counts: one-count bins, and the linear share spread over at
# least 40 counts (0.4-2 K on common cores at 0.01-0.05 K per count; frames within 4 counts
# are flagged constant and not detected on). Held-out sim sheep frames read as counts: recall
# at precision 0.9 of 0.79-0.91 with the linear stretch, 0.92-0.96 equalised (docs/vision.md).
COUNTS_BIN = 1.0
COUNTS_MIN_SPAN = 40.0


@dataclass(frozen=True, slots=True)
class LetterBox:
    """How a frame was fitted into the model input: input = frame * scale + (pad_top, pad_left)."""

    scale: float
    pad_top_px: float
    pad_left_px: float
    input_height_px: int
    input_width_px: int

    def to_frame(self, boxes_xyxy: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
        """Input-pixel boxes (N, 4: x1, y1, x2, y2) -> frame pixels, clipped to the frame."""
        b = np.asarray(boxes_xyxy, float).copy()
        b[:, [0, 2]] = (b[:, [0, 2]] - self.pad_left_px) / self.scale
        b[:, [1, 3]] = (b[:, [1, 3]] - self.pad_top_px) / self.scale
        h, w = frame_shape
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
        return b


def letterbox(img: np.ndarray, input_hw: tuple[int, int], *, pad_value: int = 114) -> tuple[np.ndarray, LetterBox]:
    """Resize ``img`` (H, W[, C], uint8) into ``input_hw`` keeping its aspect, centred, grey padding.

    Same arithmetic as ultralytics' LetterBox (auto=False, centre=True).
    """
    import cv2

    ih, iw = int(input_hw[0]), int(input_hw[1])
    h, w = img.shape[:2]
    r = min(ih / h, iw / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (iw - nw) / 2.0, (ih - nh) / 2.0
    if (nw, nh) != (w, h):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    out = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT,
                             value=(pad_value,) * (3 if img.ndim == 3 else 1))
    return out, LetterBox(r, float(top), float(left), ih, iw)


def nms(boxes_xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, highest score first."""
    b = np.asarray(boxes_xyxy, float)
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    area = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(b[i, 0], b[rest, 0])
        yy1 = np.maximum(b[i, 1], b[rest, 1])
        xx2 = np.minimum(b[i, 2], b[rest, 2])
        yy2 = np.minimum(b[i, 3], b[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        union = area[i] + area[rest] - inter
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0)
        order = rest[iou <= iou_threshold]
    return np.array(keep, dtype=int)


def decode_output(out: np.ndarray, n_classes: int, *, score_threshold: float, iou_threshold: float,
                  max_detections: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a (1, 4+nc, N) (or (1, N, 4+nc)) YOLOv8/11 output.

    Returns (boxes_xyxy in input pixels (K, 4), scores (K,), class ids (K,)),
    after a score threshold and class-aware NMS.
    """
    a = np.asarray(out, np.float32)
    if a.ndim == 3:
        a = a[0]
    if a.ndim != 2 or 4 + n_classes not in a.shape:
        raise FormatError(f"model output has shape {np.shape(out)}: expected (1, {4 + n_classes}, N) for "
                          f"{n_classes} classes. Hint: the sidecar's class names do not match the model.")
    if a.shape[0] != 4 + n_classes or (a.shape[1] == 4 + n_classes and a.shape[0] > a.shape[1]):
        a = a.T
    pred = a.T  # (N, 4 + nc)
    cls_scores = pred[:, 4:]
    cls = cls_scores.argmax(axis=1)
    score = cls_scores[np.arange(len(cls)), cls]
    m = score >= score_threshold
    if not m.any():
        return np.zeros((0, 4)), np.zeros(0), np.zeros(0, int)
    p, score, cls = pred[m], score[m], cls[m]
    cx, cy, w, h = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    # Class-aware NMS in one pass: shift each class to its own region.
    offset = cls[:, None].astype(np.float64) * (float(np.abs(boxes).max()) + 1.0)
    keep = nms(boxes + offset, score, iou_threshold)[:max_detections]
    return boxes[keep], score[keep], cls[keep]


# onnxruntime makes every intra-op thread asked for: 100,000 hang the machine.
MAX_THREADS = 256


class YoloDetector:
    """The trained YOLO model behind the :class:`vision.detector.Detector` protocol.

    ``threads`` sets onnxruntime's intra-op threads (2 for the benchmark).
    Raises SarIOError when the model file is absent, FormatError when it is
    not a usable ONNX detector.
    """

    name = "yolo"

    def __init__(self, model_path: str | os.PathLike | None = None, *, score_threshold: float = 0.25,
                 iou_threshold: float = 0.45, threads: int = 2, max_detections: int = 300) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise InputError(out_of_range("score_threshold", score_threshold, "0..1"))
        if not 0.0 < iou_threshold <= 1.0:
            raise InputError(out_of_range("iou_threshold", iou_threshold, "0 < iou_threshold <= 1"))
        if not 1 <= threads <= MAX_THREADS:
            raise InputError(out_of_range("threads", threads,
                                          f"1..{MAX_THREADS} (the machine's cores are the useful most)"))
        path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise SarIOError(
                f"YOLO model {str(path)!r} is not there. Hint: train it with 'thermal-sar train --data ...' "
                "(needs the 'train' extra), pass --model PATH, or use --detector classical."
            )
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise FormatError(f"{str(path)!r} is not a usable ONNX model: {exc}".split("\n")[0]) from None
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        names, imgsz = _sidecar(path)
        if names is None:
            names = _metadata_names(self._session)
        if imgsz is None:
            shape = inp.shape
            if len(shape) != 4 or not all(isinstance(s, int) for s in shape[2:]):
                raise FormatError(f"model input {inp.name} has shape {shape}; give imgsz in the sidecar json.")
            imgsz = (int(shape[2]), int(shape[3]))
        if not names:
            raise FormatError(f"no class names for {path.name}: write {path.with_suffix('.json').name} with 'names'.")
        self.class_names = tuple(str(n).lower() for n in names)
        self.input_hw = imgsz
        self.model_path = path
        self.score_threshold = float(score_threshold)
        self.iou_threshold = float(iou_threshold)
        self.max_detections = int(max_detections)

    def preprocess(self, frame: ThermalFrame | np.ndarray) -> tuple[np.ndarray, LetterBox, tuple[int, int]]:
        """(NCHW float32 tensor, letterbox, frame shape) for one frame (grey replicated to 3 channels).

        The model learned from cameras' 8-bit video, so a frame in degrees Celsius is turned
        into what such a camera would show: plateau-equalised video (:func:`vision.agc.agc_plateau`),
        not a linear stretch (held-out sim sheep frames, seeds 3, 31, 301, radiometric: sheep AP50
        0.50-0.58 with the linear stretch, 0.60-0.63 with plateau; false cows 183-575 -> 15-64).
        Raw counts of unknown scale (a frame of kind counts, or a bare 2-D integer array wider than
        8 bits) are equalised the same way, in counts (``COUNTS_BIN``, ``COUNTS_MIN_SPAN``); a bare
        float array is taken as degrees C, as :func:`vision.io.frame_from_array` takes it."""
        import cv2

        if not isinstance(frame, ThermalFrame):
            a = np.asarray(frame)
            if a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8:
                a = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
            if a.ndim != 2:
                raise InputError(f"frame has shape {a.shape} and dtype {a.dtype}: expected a 2-D thermal image.")
            # As vision.io reads arrays: 8 bits are grey levels, floats degrees C, other integers counts.
            kind = (ValueKind.GREY if a.dtype == np.uint8 else
                    ValueKind.TEMPERATURE_C if a.dtype.kind == "f" else ValueKind.COUNTS)
            frame = ThermalFrame(np.ascontiguousarray(a), kind)
        if frame.kind == ValueKind.TEMPERATURE_C:
            img = agc_plateau(frame.data)[0]
        elif frame.kind == ValueKind.COUNTS:
            img = agc_plateau(frame.data, bin_c=COUNTS_BIN, min_span_c=COUNTS_MIN_SPAN)[0]
        else:
            img = frame.to_grey8()
        lb_img, lb = letterbox(img, self.input_hw)
        x = (lb_img.astype(np.float32) * (1.0 / 255.0))[None, None]
        x = np.ascontiguousarray(np.repeat(x, 3, axis=1))
        return x, lb, img.shape[:2]

    def detect(self, frame: ThermalFrame | np.ndarray, *, gsd_m: float | None = None,
               frame_index: int | None = None, frame_time_s: float | None = None) -> list[Detection]:
        if isinstance(frame, ThermalFrame):
            frame_index = frame.frame_index if frame_index is None else frame_index
            frame_time_s = frame.time_s if frame_time_s is None else frame_time_s
            if not frame.usable:
                return []
        x, lb, shape = self.preprocess(frame)
        out = self._session.run(None, {self._input_name: x})[0]
        boxes, scores, cls = decode_output(out, len(self.class_names), score_threshold=self.score_threshold,
                                           iou_threshold=self.iou_threshold, max_detections=self.max_detections)
        boxes = lb.to_frame(boxes, shape)
        dets = []
        for (x1, y1, x2, y2), s, c in zip(boxes, scores, cls):
            if not (x2 > x1 and y2 > y1):
                continue
            area = (x2 - x1) * (y2 - y1) * gsd_m * gsd_m if gsd_m else None
            dets.append(Detection(float(y1), float(x1), float(y2), float(x2), float(min(1.0, max(0.0, s))),
                                  self.class_names[int(c)], frame_index, frame_time_s, self.name, area_m2=area))
        return dets


def _sidecar(model: Path) -> tuple[list[str] | None, tuple[int, int] | None]:
    js = model.with_suffix(".json")
    if not js.is_file():
        return None, None
    try:
        d = json.loads(js.read_text())
    except ValueError as exc:
        raise FormatError(f"{js} is not valid JSON: {exc}") from None
    fmt = d.get("format")
    if fmt is not None and fmt not in KNOWN_FORMATS:
        raise FormatError(f"{js}: format={fmt!r} is not one this reader decodes; known: {', '.join(KNOWN_FORMATS)}. "
                          "Hint: export with 'thermal-sar train' (ultralytics, no NMS in the graph).")
    names = d.get("names")
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names, key=lambda k: int(k))]
    imgsz = d.get("imgsz")
    if isinstance(imgsz, (int, float)):
        imgsz = (int(imgsz), int(imgsz))
    elif isinstance(imgsz, (list, tuple)) and len(imgsz) == 2:
        imgsz = (int(imgsz[0]), int(imgsz[1]))
    elif imgsz is not None:
        raise FormatError(f"{js}: imgsz={imgsz!r}; expected an int or [height, width].")
    if imgsz is not None and not all(32 <= v <= 4096 and v % 32 == 0 for v in imgsz):
        raise FormatError(f"{js}: imgsz={imgsz!r}; each side must be a multiple of 32 in 32..4096.")
    return names, imgsz


def _metadata_names(session) -> list[str] | None:
    meta = session.get_modelmeta().custom_metadata_map or {}
    raw = meta.get("names")
    if not raw:
        return None
    try:
        d = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if isinstance(d, dict):
        return [str(d[k]) for k in sorted(d)]
    return [str(v) for v in d] if isinstance(d, (list, tuple)) else None
