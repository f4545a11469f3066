"""YOLO ONNX inference: letterbox, output decoding and NMS against a tiny synthetic model.

The model is built in the test with the ``onnx`` package: its output is a
known (1, 4 + nc, N) tensor (input * 0 + constant), so every decoded box can
be checked by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo.errors import FormatError, InputError, SarIOError
from vision.frame import ThermalFrame, ValueKind, check_constant
from vision.io import frame_from_array
from vision.yolo import LetterBox, YoloDetector, decode_output, letterbox, nms

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

NAMES = ["person", "sheep", "cow"]


def make_model(path, output: np.ndarray, input_hw=(64, 64)):
    """An ONNX graph: images (1,3,H,W) -> ReduceMean(images) * 0 + output."""
    c = numpy_helper.from_array(output.astype(np.float32), "const")
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["m0"]),
        helper.make_node("Add", ["const", "m0"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, *input_hw])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        initializer=[c, zero],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    model.metadata_props.add(key="names", value=repr({i: n for i, n in enumerate(NAMES)}))
    onnx.save(model, str(path))
    return path


def known_output(n_anchors=6):
    """Anchors (cx, cy, w, h, person, sheep, cow) in 64x64 letterboxed input pixels."""
    rows = [
        (20, 30, 8, 10, 0.90, 0.05, 0.0),   # person A
        (21, 30, 8, 10, 0.80, 0.05, 0.0),   # duplicate of A: suppressed by NMS
        (45, 40, 12, 6, 0.10, 0.70, 0.0),   # sheep
        (45, 40, 12, 6, 0.60, 0.00, 0.0),   # same box, class person: class-aware NMS keeps both
        (10, 55, 4, 4, 0.10, 0.00, 0.2),    # below the 0.25 threshold
        (50, 10, 6, 6, 0.00, 0.00, 0.3),    # cow, its box in the top padding band of a 32x64 frame
    ][:n_anchors]
    return np.array(rows, np.float32).T[None]  # (1, 7, N)


def test_letterbox_geometry_matches_ultralytics():
    img = np.zeros((512, 640), np.uint8)
    out, lb = letterbox(img, (640, 640))
    assert out.shape == (640, 640)
    assert lb.scale == pytest.approx(1.0) and lb.pad_top_px == 64 and lb.pad_left_px == 0
    assert (out[:64] == 114).all() and (out[-64:] == 114).all() and (out[64:-64] == 0).all()
    # Box mapping round-trips.
    box = np.array([[100.0, 164.0, 140.0, 204.0]])  # x1, y1, x2, y2 in input pixels
    np.testing.assert_allclose(lb.to_frame(box, (512, 640)), [[100, 100, 140, 140]])
    out2, lb2 = letterbox(np.zeros((256, 320), np.uint8), (640, 640))
    assert lb2.scale == pytest.approx(2.0) and lb2.pad_top_px == 64


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], float)
    keep = nms(boxes, np.array([0.5, 0.9, 0.4]), 0.45)
    assert keep.tolist() == [1, 2]


def test_decode_known_tensor():
    boxes, scores, cls = decode_output(known_output(), 3, score_threshold=0.25, iou_threshold=0.45)
    got = sorted(zip(cls.tolist(), np.round(scores.astype(float), 3).tolist(), boxes.round(2).tolist()))
    assert got == [
        (0, 0.6, [39.0, 37.0, 51.0, 43.0]),
        (0, 0.9, [16.0, 25.0, 24.0, 35.0]),
        (1, 0.7, [39.0, 37.0, 51.0, 43.0]),
        (2, 0.3, [47.0, 7.0, 53.0, 13.0]),
    ]
    # The transposed layout (1, N, 4 + nc) decodes the same.
    b2, s2, c2 = decode_output(np.transpose(known_output(), (0, 2, 1)), 3, score_threshold=0.25, iou_threshold=0.45)
    assert sorted(s2.round(3).tolist()) == sorted(scores.round(3).tolist())
    with pytest.raises(FormatError):
        decode_output(known_output(), 5, score_threshold=0.25, iou_threshold=0.45)


def test_detector_end_to_end_maps_boxes_to_the_frame(tmp_path):
    model = make_model(tmp_path / "m.onnx", known_output())
    (tmp_path / "m.json").write_text(json.dumps({"names": NAMES, "imgsz": 64, "format": "ultralytics-yolo11-onnx"}))
    det = YoloDetector(model, threads=1)
    assert det.class_names == tuple(NAMES) and det.input_hw == (64, 64)
    # A 32x64 (rows x cols) frame: scale 1, 16 px of padding on top.
    frame = ThermalFrame(np.full((32, 64), 90, np.uint8), ValueKind.GREY, frame_index=4, time_s=2.0)
    dets = det.detect(frame, gsd_m=0.1)
    person = max((d for d in dets if d.class_name == "person"), key=lambda d: d.score)
    assert (person.left_px, person.top_px, person.right_px, person.bottom_px) == pytest.approx((16, 9, 24, 19))
    assert person.frame_index == 4 and person.frame_time_s == 2.0 and person.source == "yolo"
    assert person.area_m2 == pytest.approx(8 * 10 * 0.01)
    # The cow's box (rows 7..13 of the input) lies wholly in the 16 px padding band: dropped.
    assert not any(d.class_name == "cow" for d in dets)
    assert all(0 <= d.top_px < d.bottom_px <= 32 for d in dets)


def test_names_from_onnx_metadata_without_sidecar(tmp_path):
    model = make_model(tmp_path / "m.onnx", known_output())
    det = YoloDetector(model, threads=1)
    assert det.class_names == tuple(NAMES) and det.input_hw == (64, 64)


def test_constant_frame_is_skipped(tmp_path):
    det = YoloDetector(make_model(tmp_path / "m.onnx", known_output()), threads=1)
    assert det.detect(frame_from_array(np.full((32, 64), 5, np.uint8))) == []


def test_missing_and_broken_models(tmp_path):
    with pytest.raises(SarIOError, match="thermal-sar train"):
        YoloDetector(tmp_path / "absent.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(FormatError):
        YoloDetector(bad)
    model = make_model(tmp_path / "m.onnx", known_output())
    (tmp_path / "m.json").write_text(json.dumps({"names": NAMES, "imgsz": 63}))
    with pytest.raises(FormatError, match="multiple of 32"):
        YoloDetector(model)
    with pytest.raises(InputError):
        YoloDetector(model, score_threshold=2.0)
    (tmp_path / "m.json").write_text(json.dumps({"names": NAMES, "imgsz": 64, "format": "yolo-with-nms"}))
    with pytest.raises(FormatError, match="format"):
        YoloDetector(model)


def test_letterbox_type():
    lb = LetterBox(0.5, 10.0, 0.0, 64, 64)
    np.testing.assert_allclose(lb.to_frame(np.array([[0.0, 10.0, 32.0, 42.0]]), (200, 200)), [[0, 0, 64, 64]])


def test_temperature_frames_are_fed_as_plateau_equalised_video(tmp_path):
    """A frame in degrees Celsius reaches the network as a camera's plateau-equalised video (what
    the model learned from), not as a linear stretch; so do radiometric counts of unknown scale."""
    from vision.agc import agc_plateau

    det = YoloDetector(make_model(tmp_path / "m.onnx", known_output()), threads=1)
    rng = np.random.default_rng(2)
    t_c = (12.0 + rng.normal(0.0, 0.3, (64, 64)) + np.linspace(0.0, 3.0, 64)[None, :]).astype(np.float32)
    t_c[30:34, 30:38] = 24.0  # a warm body on a cool meadow
    x, _, shape = det.preprocess(ThermalFrame(t_c, ValueKind.TEMPERATURE_C))
    expected = agc_plateau(t_c)[0]
    assert shape == (64, 64)
    assert np.array_equal(np.round(x[0, 0] * 255.0).astype(np.uint8), expected)
    assert np.array_equal(x[0, 0], x[0, 2])  # grey in every channel
    linear = ThermalFrame(t_c, ValueKind.TEMPERATURE_C).to_grey8()
    assert not np.array_equal(expected, linear)  # the two stretches differ on this frame
    counts = np.round((t_c + 273.15) * 100.0).astype(np.uint16)  # centikelvin, read without its scale
    xc, _, _ = det.preprocess(ThermalFrame(counts, ValueKind.COUNTS))
    grey = np.round(xc[0, 0] * 255.0)
    # The same equalisation in counts (one-count bins): within a few grey levels of the temperatures'.
    assert np.abs(grey - expected).mean() <= 3.0 and np.abs(grey - expected).max() <= 12
    assert np.abs(grey - ThermalFrame(counts, ValueKind.COUNTS).to_grey8()).mean() > 10.0
    # Bare arrays are read as vision.io reads them: floats as degrees C, 16-bit integers as counts.
    xa, _, _ = det.preprocess(t_c)
    assert np.array_equal(xa, x)
    xb, _, _ = det.preprocess(counts)
    assert np.array_equal(xb, xc)
    # A flat frame of counts (a closed shutter) is flagged and never reaches the network.
    flat = ThermalFrame((30000 + rng.integers(0, 3, (64, 64))).astype(np.uint16), ValueKind.COUNTS)
    assert det.detect(check_constant(flat)) == []
