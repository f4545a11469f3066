"""vision: find people and livestock in thermal frames.

Readers (:mod:`vision.io`, :mod:`vision.rjpeg`) turn files into
:class:`ThermalFrame` (hot = larger, with flags for what is approximated);
two detectors behind the :class:`Detector` protocol return :class:`Detection`:
:class:`ClassicalDetector` (the default, no model) and :class:`YoloDetector`
(onnxruntime); :class:`Tracker` associates detections across frames;
:mod:`vision.evaluate` measures precision, recall and AP50; :mod:`vision.agc` turns
temperatures into a camera's 8-bit video (what the YOLO model learned from).

Heavy modules (onnxruntime, the training code) load only when used.
"""

from vision.agc import agc_linear, agc_plateau
from vision.classical import ClassGate, ClassicalDetector, ClassicalParams
from vision.detection import TARGET_CLASSES, Detection
from vision.detector import Detector
from vision.evaluate import ClassResult, EvalReport, evaluate_detections
from vision.frame import FrameFlag, LrfTarget, ThermalFrame, ValueKind
from vision.io import frame_from_array, iter_frames, iter_sequence, iter_video, read_frame
from vision.labels import GroundTruth, LabelledFrame, load_dataset, load_hit_uav, load_yolo_folder
from vision.rjpeg import FlirCalibration, decode_rjpeg, raw_to_temperature_c
from vision.tracking import Track, Tracker, TrackerParams, nadir_shift_px

__all__ = [
    "Detection", "TARGET_CLASSES", "Detector",
    "ThermalFrame", "ValueKind", "FrameFlag", "LrfTarget", "agc_plateau", "agc_linear",
    "read_frame", "frame_from_array", "iter_video", "iter_sequence", "iter_frames",
    "decode_rjpeg", "raw_to_temperature_c", "FlirCalibration",
    "ClassicalDetector", "ClassicalParams", "ClassGate", "YoloDetector",
    "Tracker", "TrackerParams", "Track", "nadir_shift_px",
    "GroundTruth", "LabelledFrame", "load_hit_uav", "load_yolo_folder", "load_dataset",
    "ClassResult", "EvalReport", "evaluate_detections",
]


def __getattr__(name: str):
    # onnxruntime loads only when the YOLO detector is asked for.
    if name == "YoloDetector":
        from vision.yolo import YoloDetector

        return YoloDetector
    raise AttributeError(f"module 'vision' has no attribute {name!r}")
