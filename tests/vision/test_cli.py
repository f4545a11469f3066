"""thermal-sar detect and eval end to end on synthetic frames (and the real DJI sequence when present)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.conftest import shared_path
from tests.vision.conftest import hot_disks
from thermal_sar.cli import main


def _write_frames(folder, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"frame_{i}.png"
        cv2.imwrite(str(p), hot_disks(disks=((100 + 2 * i, 150, 5, 60), (300, 400 + 2 * i, 6, 70)), seed=i))
        paths.append(p)
    return paths


def test_detect_writes_json_jsonl_annotated_and_tracks(tmp_path, capsys):
    paths = _write_frames(tmp_path / "in")
    (tmp_path / "in" / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    rc = main(["detect", str(tmp_path / "in"), "--out", str(out)])
    assert rc == 0
    doc = json.loads((out / "detections.json").read_text())
    assert len(doc["frames"]) == 3 and len(doc["detections"]) == 6
    assert len(doc["tracks"]) == 2 and all(t["sightings"] == 3 for t in doc["tracks"])
    assert doc["skipped"][0]["source"].endswith("broken.png")
    assert len((out / "detections.jsonl").read_text().splitlines()) == 3
    assert sorted(p.name for p in (out / "annotated").iterdir()) == [p.stem + ".png" for p in paths]
    assert "6 detections" in capsys.readouterr().out


def test_detect_yolo_without_model_is_one_clear_error(tmp_path, capsys):
    _write_frames(tmp_path / "in", 1)
    rc = main(["detect", str(tmp_path / "in"), "--detector", "yolo", "--model", str(tmp_path / "none.onnx"),
               "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "thermal-sar train" in capsys.readouterr().err


def test_detect_missing_input(tmp_path, capsys):
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), hot_disks(disks=((100, 150, 5, 60),), seed=1))
    rc = main(["detect", str(good), str(tmp_path / "nope.png"), "--out", str(tmp_path / "o")])
    assert rc == 0  # a run goes on past a file it cannot read; the file is reported as skipped
    assert "skipped" in capsys.readouterr().err


def test_detect_that_reads_nothing_keeps_the_earlier_results(tmp_path, capsys):
    # A typo in the only input (or a --gsd-m out of range) must not empty the results of an earlier run.
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), hot_disks(disks=((100, 150, 5, 60),), seed=1))
    out = tmp_path / "o"
    assert main(["detect", str(good), "--out", str(out), "--no-annotate"]) == 0
    before = {n: (out / n).read_bytes() for n in ("detections.json", "detections.jsonl")}
    capsys.readouterr()
    rc = main(["detect", str(tmp_path / "typo.png"), "--out", str(out), "--no-annotate"])
    err = capsys.readouterr().err
    assert rc == 2 and "no frame could be read" in err and "typo.png" in err
    for bad in ("0", "-1", "nan", "inf", "1e9"):
        rc = main(["detect", str(good), "--out", str(out), "--gsd-m", bad])
        err = capsys.readouterr().err
        assert rc == 2 and "gsd_m=" in err and "0.001..20" in err, (bad, err)
    assert {n: (out / n).read_bytes() for n in before} == before
    assert not list(out.glob(".*partial"))


def test_detect_threads_are_bounded(tmp_path, capsys):
    rc = main(["detect", str(tmp_path / "x.png"), "--detector", "yolo", "--threads", "100000", "--out",
               str(tmp_path / "o")])
    assert rc == 2 and "threads=100000 is out of range: allowed 1..256" in capsys.readouterr().err


def test_eval_on_a_yolo_folder_writes_pr_png(tmp_path, capsys):
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for i in range(3):
        cv2.imwrite(str(root / "images" / f"{i}.png"), hot_disks(disks=((100, 150, 5, 60), (300, 400, 6, 70)), seed=i))
        # YOLO labels: class cx cy w h (normalised); boxes = disk + 1.5 px padding
        (root / "labels" / f"{i}.txt").write_text(
            f"1 {150.5 / 640} {100.5 / 512} {14 / 640} {14 / 512}\n1 {400.5 / 640} {300.5 / 512} {16 / 640} {16 / 512}\n")
    rc = main(["eval", "--data", str(root), "--out", str(tmp_path / "ev")])
    assert rc == 0
    doc = json.loads((tmp_path / "ev" / "eval_classical.json").read_text())
    (res,) = doc["results"]
    assert res["class"] == "sheep" and res["truth"] == 6
    assert res["recall"] == pytest.approx(1.0) and res["ap50"] == pytest.approx(1.0)
    img = cv2.imread(str(tmp_path / "ev" / "pr_classical.png"))
    assert img is not None and img.shape[2] == 3
    assert "AP50" in capsys.readouterr().out


def _small_yolo_set(root, *, split=None, label=True):
    img_dir = root / "images" / (split or "")
    lab_dir = root / "labels" / (split or "")
    img_dir.mkdir(parents=True, exist_ok=True)
    lab_dir.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        cv2.imwrite(str(img_dir / f"{i}.png"), hot_disks(disks=((100, 150, 5, 60),), seed=i))
        if label:
            (lab_dir / f"{i}.txt").write_text(f"1 {150.5 / 640} {100.5 / 512} {14 / 640} {14 / 512}\n")
    return root


@pytest.mark.parametrize("args, match", [
    (["--limit", "0"], "limit=0 is out of range: allowed >= 1"),
    (["--limit", "-1"], "limit=-1 is out of range"),
    (["--iou", "nan"], "iou_min=nan is out of range"),
    (["--class", "foo"], "class 'foo' is not labelled"),
    (["--split", "test"], "split='test' is not in"),
    (["--box-pad-px", "nan"], "box_pad_px=nan is out of range"),
    (["--threads", "0"], "threads=0 is out of range"),
])
def test_eval_bad_options_are_named(tmp_path, capsys, args, match):
    root = _small_yolo_set(tmp_path / "ds", split="val")
    _small_yolo_set(tmp_path / "ds", split="train")
    rc = main(["eval", "--data", str(root), "--out", str(tmp_path / "ev"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and match in err and "Traceback" not in err, err
    assert not (tmp_path / "ev" / "eval_classical.json").exists()


def test_eval_without_labels_or_with_bad_ones(tmp_path, capsys):
    root = _small_yolo_set(tmp_path / "unlabelled", label=False)
    rc = main(["eval", "--data", str(root), "--out", str(tmp_path / "ev")])
    assert rc == 2 and "no labelled object" in capsys.readouterr().err
    root = _small_yolo_set(tmp_path / "nan")
    (root / "labels" / "0.txt").write_text("1 nan 0.2 0.01 0.01\n")
    rc = main(["eval", "--data", str(root), "--out", str(tmp_path / "ev")])
    assert rc == 2 and "0.txt:1: expected 'class cx cy w h'" in capsys.readouterr().err


def test_eval_refuses_an_unwritable_out_before_measuring(tmp_path, capsys):
    root = _small_yolo_set(tmp_path / "ds")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["eval", "--data", str(root), "--out", str(blocker / "ev")])
    assert rc == 2 and "cannot be created" in capsys.readouterr().err


@pytest.mark.shared_data
def test_detect_on_the_real_dji_sequence_uses_pose_gsd_and_tracks(tmp_path):
    folder = shared_path("rjpeg", "dji_h20t")
    out = tmp_path / "o"
    assert main(["detect", str(folder), "--out", str(out), "--no-annotate"]) == 0
    doc = json.loads((out / "detections.json").read_text())
    assert len(doc["frames"]) == 8
    f0 = doc["frames"][0]
    assert "not_calibrated" in f0["flags"] and f0["kind"] == "counts"
    assert f0["lrf"]["distance_m"] == pytest.approx(71.085)
    assert f0["pose"]["mount_mode"] == "earth"
    # GSD from the LRF range (71.085 m) and the H20T preset (DFOV 40.6 deg: f = 1107 px): 0.0642 m/px.
    assert f0["gsd_m"] == pytest.approx(71.085 / 1107.2, rel=0.01)


def test_detect_with_a_yolo_model(tmp_path):
    """The YOLO path end to end with the tiny synthetic ONNX model of test_yolo."""
    pytest.importorskip("onnx")
    from tests.vision.test_yolo import known_output, make_model

    model = make_model(tmp_path / "m.onnx", known_output())
    frame = tmp_path / "in" / "f.png"
    frame.parent.mkdir()
    cv2.imwrite(str(frame), np.random.default_rng(0).integers(60, 120, (32, 64)).astype(np.uint8))
    out = tmp_path / "o"
    assert main(["detect", str(frame), "--detector", "yolo", "--model", str(model), "--out", str(out),
                 "--threads", "1"]) == 0
    doc = json.loads((out / "detections.json").read_text())
    assert {d["class_name"] for d in doc["detections"]} == {"person", "sheep"}
    assert all(d["source"] == "yolo" for d in doc["detections"])


def test_frame_gsd_from_lrf_or_relative_altitude():
    from geo.camera import CameraPose, MountMode, camera_preset
    from thermal_sar.pipelines.detect import frame_gsd_m
    from vision.frame import LrfTarget, ThermalFrame, ValueKind

    cam = camera_preset("m30t")
    pose = CameraPose(46.0, 8.0, 1500.0, gimbal_pitch_deg=-90.0, mount_mode=MountMode.EARTH)
    data = np.zeros((512, 640), np.uint16)
    meta = {"model": "M30T", "xmp": {"RelativeAltitude": "+80.0"}}
    fr = ThermalFrame(data, ValueKind.COUNTS, pose=pose, meta=meta)
    assert frame_gsd_m(fr, None) == pytest.approx(80.0 / cam.fx_px, rel=1e-6)
    fr_lrf = ThermalFrame(data, ValueKind.COUNTS, pose=pose, meta=meta, lrf=LrfTarget(46.0, 8.0, 60.0))
    assert frame_gsd_m(fr_lrf, None) == pytest.approx(60.0 / cam.fx_px, rel=1e-6)
    # The M30T's 1280x1024 display image has half the GSD of the 640x512 sensor.
    big = ThermalFrame(np.zeros((1024, 1280), np.uint8), ValueKind.GREY, pose=pose, meta=meta)
    assert frame_gsd_m(big, None) == pytest.approx(40.0 / cam.fx_px, rel=1e-6)
    # Unknown camera and no preset: no GSD rather than a guess.
    assert frame_gsd_m(ThermalFrame(data, ValueKind.COUNTS, pose=pose, meta={"model": "X"}), None) is None


def test_base_level_only_flag_gives_the_base_level_detector(tmp_path):
    """`--base-level-only` reaches the classical detector: on an 8-bit frame at 0.06 m/px (in the
    MLP scorer's domain) of two people side by side and a faint third (+20 grey levels: found
    only below the base level's seed), detect reports what the base-level detector reports, and
    without the flag what the default one does: the faint person too (3 against 2)."""
    from tests.vision.test_classical_levels import _two_people
    from thermal_sar.pipelines.detect import make_detector

    assert make_detector("classical").person_mlp is not None
    assert make_detector("classical", base_level_only=True).person_mlp is None
    rr, cc = np.mgrid[0:512, 0:640]
    faint = 20.0 * np.exp(-((rr - 120) ** 2 / (2 * 6.5**2) + (cc - 450) ** 2 / (2 * 3.2**2)))
    img = np.clip(np.round(_two_people(12.0) + faint), 0, 255).astype(np.uint8)
    (tmp_path / "in").mkdir()
    cv2.imwrite(str(tmp_path / "in" / "pair.png"), img)
    got = {}
    for name, flag in (("default", []), ("base", ["--base-level-only"])):
        out = tmp_path / name
        assert main(["detect", str(tmp_path / "in"), "--out", str(out), "--gsd-m", "0.06", "--target", "person",
                     "--no-annotate", *flag]) == 0
        got[name] = sorted(round(d["score"], 6) for d in json.loads((out / "detections.json").read_text())["detections"])
    for name, base in (("default", False), ("base", True)):
        want = make_detector("classical", targets=["person"], base_level_only=base).detect(img, gsd_m=0.06)
        assert got[name] == sorted(round(d.score, 6) for d in want)
    assert len(got["default"]) == 3 and len(got["base"]) == 2


def _centikelvin(seed=0):
    """A 16-bit frame in centikelvin (the simulator's radiometric PNGs): two warm bodies at 10 C."""
    grey = hot_disks(disks=((100, 150, 5, 60), (300, 400, 6, 70)), seed=seed).astype(np.float32)
    return np.round((10.0 + grey / 20.0 + 273.15) * 100.0).astype(np.uint16)


def test_detect_reads_16_bit_counts_as_temperatures_when_given_their_scale(tmp_path, capsys):
    frame = tmp_path / "in" / "f.png"
    frame.parent.mkdir()
    cv2.imwrite(str(frame), _centikelvin())
    for extra, kind in (([], "counts"), (["--counts-scale-c", "0.01", "--counts-offset-c", "-273.15"], "temperature_c")):
        out = tmp_path / kind
        assert main(["detect", str(frame), "--out", str(out), "--no-annotate", *extra]) == 0
        doc = json.loads((out / "detections.json").read_text())
        assert doc["frames"][0]["kind"] == kind and len(doc["detections"]) == 2
    capsys.readouterr()
    assert main(["detect", str(frame), "--out", str(tmp_path / "bad"), "--counts-scale-c", "0"]) == 2
    err = capsys.readouterr().err
    assert "counts_scale_c" in err and "0 < scale <= 10" in err and "centikelvin" in err
    assert not (tmp_path / "bad" / "detections.json").exists()
    assert main(["detect", str(frame), "--out", str(tmp_path / "bad"), "--counts-offset-c", "-273.15"]) == 2
    assert "without counts_scale_c" in capsys.readouterr().err


def test_eval_radiometric_measures_the_sim_sets_16_bit_frames_as_temperatures(tmp_path, capsys):
    root = tmp_path / "ds"
    for sub in ("images/val", "labels/val", "radiometric/val"):
        (root / sub).mkdir(parents=True)
    for i in range(2):
        # The 8-bit video frame is blank: only the radiometric twin shows the bodies.
        cv2.imwrite(str(root / "images" / "val" / f"{i}.png"), np.full((512, 640), 90, np.uint8))
        cv2.imwrite(str(root / "radiometric" / "val" / f"{i}.png"), _centikelvin(i))
        (root / "labels" / "val" / f"{i}.txt").write_text(
            f"1 {150.5 / 640} {100.5 / 512} {14 / 640} {14 / 512}\n1 {400.5 / 640} {300.5 / 512} {16 / 640} {16 / 512}\n")
    got = {}
    for extra in ([], ["--radiometric"]):
        out = tmp_path / ("r" if extra else "v")
        assert main(["eval", "--data", str(root), "--out", str(out), "--box-pad-px", "0", *extra]) == 0
        doc = json.loads((out / "eval_classical.json").read_text())
        got[bool(extra)] = doc
    assert got[False]["results"][0]["recall"] == 0.0 and got[False]["radiometric"] is False
    r = got[True]
    assert r["radiometric"] is True and r["counts_scale_c"] == pytest.approx(0.01) and r["counts_offset_c"] == -273.15
    assert r["results"][0]["truth"] == 4 and r["results"][0]["recall"] == pytest.approx(1.0)
    assert "radiometric" in capsys.readouterr().out
    # A set without radiometric twins: one clear error with the way out.
    for twin in (root / "radiometric" / "val").iterdir():
        twin.unlink()
    assert main(["eval", "--data", str(root), "--out", str(tmp_path / "x"), "--radiometric"]) == 2
    err = capsys.readouterr().err
    assert "no radiometric twin" in err and "thermal-sar sim dataset --radiometric" in err


def test_detect_says_when_a_video_is_cut_short(tmp_path, capsys):
    # A copy cut at 60 %: OpenCV decodes the first frames and stops; the container still lists all 20.
    path = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 4, (640, 512), False)
    for i in range(20):
        w.write(hot_disks(disks=((100, 150, 5, 60),), seed=i))
    w.release()
    whole = path.read_bytes()
    assert main(["detect", str(path), "--out", str(tmp_path / "a"), "--no-annotate"]) == 0
    assert "cut short" not in capsys.readouterr().err
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole[: len(whole) * 6 // 10])
    assert main(["detect", str(cut), "--out", str(tmp_path / "b"), "--no-annotate"]) == 0
    err = capsys.readouterr().err
    assert "of the 20 frames its container lists could be decoded" in err and "cut short" in err
