"""The training pipeline's torch-free parts: dataset merging, arguments, offline set-up, the CLI's error
without the train extra, and the shipped ONNX model's contract. No test here imports torch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from geo.errors import FormatError, InputError, SarError, SarIOError
from thermal_sar.cli import main
from vision.training import (
    CLASS_NAMES,
    MODEL_FORMAT,
    TrainConfig,
    TrainingUnavailableError,
    class_id_map,
    merge_datasets,
    offline_env,
    prepare_config_dir,
    read_data_yaml,
    remap_label_text,
    require_training_stack,
    resolve_sources,
    train_kwargs,
    write_device_payload,
    write_sidecar,
)

MODELS = Path(__file__).resolve().parents[2] / "vision" / "models"
HAS_TRAIN_EXTRA = all(importlib.util.find_spec(m) is not None for m in ("torch", "ultralytics", "onnx"))


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((8, 10), dtype=np.uint8)).save(path)


def _dataset(root: Path, names, splits: dict[str, dict[str, str]], names_as_dict: bool = False) -> Path:
    """A YOLO dataset: splits = {split: {image name: label text (None: no label file)}}."""
    for split, files in splits.items():
        for name, text in files.items():
            _image(root / "images" / split / name)
            if text is not None:
                lab = root / "labels" / split / (Path(name).stem + ".txt")
                lab.parent.mkdir(parents=True, exist_ok=True)
                lab.write_text(text)
    doc = {"path": ".", **{s: f"images/{s}" for s in splits}}
    doc["names"] = dict(enumerate(names)) if names_as_dict else list(names)
    (root / "data.yaml").write_text(yaml.safe_dump(doc))
    return root / "data.yaml"


# ------------------------------------------------------------------ class ids and labels


def test_class_id_map_matches_by_name_case_insensitively():
    assert class_id_map(["Sheep", "person"]) == {0: 1, 1: 0}
    assert class_id_map(["dog", "cow", "sheep", "person"]) == {0: 3, 1: 2, 2: 1, 3: 0}


def test_unknown_class_is_an_error_unless_dropped():
    with pytest.raises(InputError, match="'goat'.*--drop-unknown"):
        class_id_map(["person", "goat"])
    assert class_id_map(["person", "goat"], drop_unknown=True) == {0: 0, 1: None}


def test_remap_label_text_changes_only_class_ids():
    text = "1 0.5 0.25 0.1 0.2\n\n0 0.125 0.5 0.01 0.02\n2 0.1 0.1 0.1 0.1\n"
    new, dropped = remap_label_text(text, {0: 3, 1: 0, 2: None})
    assert new == "0 0.5 0.25 0.1 0.2\n3 0.125 0.5 0.01 0.02\n"
    assert dropped == 1


@pytest.mark.parametrize(
    ("text", "match"),
    [("x 0.5 0.5 0.1 0.1", "not 'class cx cy w h'"), ("0 0.5 0.5", "needs 4"), ("5 0.5 0.5 0.1 0.1", "class id 5")],
)
def test_remap_label_text_rejects_malformed_lines(text, match):
    with pytest.raises(FormatError, match=match):
        remap_label_text(text, {0: 0}, source="lab.txt")


# ------------------------------------------------------------------ data.yaml


def test_read_data_yaml_resolves_paths_and_accepts_both_name_forms(tmp_path: Path):
    a = _dataset(tmp_path / "a", ["person", "sheep"], {"train": {"x.png": ""}})
    b = _dataset(tmp_path / "b", ["person", "sheep"], {"train": {"x.png": ""}}, names_as_dict=True)
    for p in (a, b):
        ds = read_data_yaml(p)
        assert ds.names == ("person", "sheep")
        assert ds.splits["train"] == ((p.parent / "images" / "train").resolve(),)
    assert read_data_yaml(tmp_path / "a").data_yaml == a.resolve()  # a folder holding data.yaml works too


def test_read_data_yaml_errors_are_clear(tmp_path: Path):
    with pytest.raises(SarIOError, match="cannot read dataset"):
        read_data_yaml(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("names: [person]\n")
    with pytest.raises(FormatError, match="no 'train'"):
        read_data_yaml(bad)
    bad.write_text("train: images\nnames: {0: person, 2: cow}\n")
    with pytest.raises(FormatError, match="without gaps"):
        read_data_yaml(bad)


# ------------------------------------------------------------------ merging


@pytest.fixture
def two_sources(tmp_path: Path) -> tuple[Path, Path]:
    hit = _dataset(
        tmp_path / "hituav",
        ["person"],
        {
            "train": {"h1.jpg": "0 0.5 0.5 0.1 0.2\n", "h2.jpg": "", "h3.jpg": None},
            "val": {"hv.jpg": "0 0.1 0.1 0.05 0.05\n"},
        },
    )
    # a sim-like set whose class order differs from the project's
    sim = _dataset(
        tmp_path / "sim",
        ["sheep", "cow", "person", "dog"],
        {"train": {"s1.png": "0 0.2 0.2 0.1 0.1\n1 0.6 0.6 0.2 0.1\n2 0.3 0.3 0.05 0.1\n3 0.9 0.9 0.05 0.05\n"}},
    )
    return hit, sim


def test_merge_gives_consistent_class_ids(two_sources, tmp_path: Path):
    hit, sim = two_sources
    s = merge_datasets([hit, sim], tmp_path / "merged")
    doc = yaml.safe_load(s.data_yaml.read_text())
    assert doc["names"] == dict(enumerate(CLASS_NAMES)) == {0: "person", 1: "sheep", 2: "cow", 3: "dog"}
    assert (doc["train"], doc["val"]) == ("images/train", "images/val")
    assert s.images_per_split == {"train": 4, "val": 1}
    assert s.boxes_per_class == {"person": 3, "sheep": 1, "cow": 1, "dog": 1}
    lab = tmp_path / "merged" / "labels" / "train"
    assert (lab / "sim__s1.txt").read_text() == "1 0.2 0.2 0.1 0.1\n2 0.6 0.6 0.2 0.1\n0 0.3 0.3 0.05 0.1\n3 0.9 0.9 0.05 0.05\n"
    assert (lab / "hituav__h1.txt").read_text() == "0 0.5 0.5 0.1 0.2\n"
    assert (lab / "hituav__h2.txt").read_text() == ""  # negatives stay negatives
    assert (lab / "hituav__h3.txt").read_text() == ""  # an image without a label file is a negative
    img = tmp_path / "merged" / "images" / "train" / "sim__s1.png"
    assert img.is_symlink() and img.resolve() == (tmp_path / "sim" / "images" / "train" / "s1.png").resolve()
    # the merged yaml reads back with the same counts
    back = read_data_yaml(s.data_yaml)
    assert back.names == CLASS_NAMES


def test_merge_thins_training_negatives_only(two_sources, tmp_path: Path):
    hit, _ = two_sources
    s = merge_datasets([hit], tmp_path / "m", keep_negatives=0.0)
    assert s.images_per_split == {"train": 1, "val": 1}
    with pytest.raises(InputError, match="keep_negatives"):
        merge_datasets([hit], tmp_path / "m", keep_negatives=1.5)


def test_remerge_replaces_previous_content(two_sources, tmp_path: Path):
    hit, sim = two_sources
    merge_datasets([hit, sim], tmp_path / "m")
    s = merge_datasets([sim], tmp_path / "m")
    assert s.images_per_split == {"train": 1}
    assert sorted(p.name for p in (tmp_path / "m" / "images" / "train").iterdir()) == ["sim__s1.png"]
    # no val split anywhere: ultralytics still needs one, the train images stand in
    assert yaml.safe_load(s.data_yaml.read_text())["val"] == "images/train"


def test_merge_refuses_unknown_classes_and_empty_input(tmp_path: Path):
    goats = _dataset(tmp_path / "goats", ["goat"], {"train": {"g.png": "0 0.5 0.5 0.1 0.1\n"}})
    with pytest.raises(InputError, match="goat"):
        merge_datasets([goats], tmp_path / "m")
    with pytest.raises(InputError, match="no training images"):
        merge_datasets([goats], tmp_path / "m", drop_unknown=True, keep_negatives=0.0)
    with pytest.raises(InputError, match="sources"):
        merge_datasets([], tmp_path / "m")


def test_resolve_sources_converts_a_hituav_folder(tmp_path: Path):
    hit = tmp_path / "HIT-UAV"
    _image(hit / "images" / "train" / "a.jpg")
    doc = {
        "images": [{"filename": "a.jpg", "width": 10, "height": 8, "id": 1}],
        "annotation": [{"image_id": 1, "category_id": 0, "bbox": [1, 1, 2, 4], "id": 1}],
    }
    (hit / "train.json").write_text(json.dumps(doc))
    sim = _dataset(tmp_path / "sim", ["person"], {"train": {"x.png": ""}})
    out = resolve_sources([hit, sim.parent], tmp_path / "work")
    assert out == [(tmp_path / "work" / "hituav" / "data.yaml").resolve(), sim]
    assert (tmp_path / "work" / "hituav" / "labels" / "train" / "a.txt").read_text() == "0 0.200000 0.375000 0.200000 0.500000\n"
    with pytest.raises(SarIOError, match="neither a data.yaml"):
        resolve_sources([tmp_path / "work" / "hituav" / "images"], tmp_path / "work")


# ------------------------------------------------------------------ training arguments and offline set-up


def test_train_kwargs_are_offline_from_scratch_with_nbs_equal_to_batch(tmp_path: Path):
    kw = train_kwargs(TrainConfig(batch=8, epochs=3, threads=1), tmp_path / "d.yaml")
    assert kw["nbs"] == kw["batch"] == 8
    assert kw["pretrained"] is False and kw["amp"] is False
    assert kw["imgsz"] == 640 and kw["epochs"] == 3
    assert kw["data"] == str((tmp_path / "d.yaml").resolve())
    assert Path(kw["project"]).is_absolute()
    assert "threads" not in kw and "imgsz_px" not in kw and "model" not in kw
    assert train_kwargs(TrainConfig(batch=4, nbs=16), "d.yaml")["nbs"] == 16


def test_train_kwargs_from_weights_keep_the_loaded_weights():
    # ultralytics rebuilds a .pt-loaded model from its yaml with fresh weights when pretrained is False
    kw = train_kwargs(TrainConfig(warmup_epochs=0, close_mosaic=4), "d.yaml", from_weights=True)
    assert kw["pretrained"] is True and kw["warmup_epochs"] == 0 and kw["close_mosaic"] == 4


def test_train_kwargs_time_budget_and_device():
    kw = train_kwargs(TrainConfig(device="0", workers=12, time_h=0.125), "d.yaml")
    assert kw["time"] == 0.125 and kw["device"] == "0" and kw["workers"] == 12
    assert "time_h" not in kw
    assert train_kwargs(TrainConfig(), "d.yaml")["time"] is None  # None: ultralytics trains for `epochs`


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"imgsz_px": 500}, "imgsz_px"), ({"batch": 0}, "batch"), ({"batch": 16, "nbs": 8}, "nbs"),
     ({"lr0": 0.0}, "lr0"), ({"threads": 0}, "threads"), ({"workers": -1}, "workers"),
     ({"warmup_epochs": -1.0}, "warmup_epochs"), ({"epochs": 2, "warmup_epochs": 2.0}, "warmup_epochs"),
     ({"close_mosaic": -1}, "close_mosaic"), ({"time_h": 0.0}, "time_h"), ({"time_h": 2000.0}, "time_h"),
     ({"device": " "}, "device")],
)
def test_train_config_rejects_bad_values(changes, match):
    with pytest.raises(InputError, match=match):
        TrainConfig(**changes)


def test_offline_env_and_config_dir(tmp_path: Path):
    env = offline_env(tmp_path / "cfg")
    assert env["YOLO_OFFLINE"] == "1" and env["YOLO_AUTOINSTALL"] == "false"
    assert env["YOLO_CONFIG_DIR"] == str((tmp_path / "cfg").resolve())
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file() and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("no local TrueType font on this machine (apt-get install fonts-dejavu-core)")
    d = prepare_config_dir(tmp_path / "cfg")
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        assert (d / name).read_bytes()[:4] in (b"\x00\x01\x00\x00", b"true")  # a TrueType file
    # an existing font is left alone
    (d / "Arial.ttf").write_bytes(b"\x00\x01\x00\x00mine")
    prepare_config_dir(d)
    assert (d / "Arial.ttf").read_bytes() == b"\x00\x01\x00\x00mine"


def test_write_sidecar(tmp_path: Path):
    p = write_sidecar(tmp_path / "m.onnx", ["person", "sheep"], 640)
    assert p == tmp_path / "m.json"
    assert json.loads(p.read_text()) == {"names": ["person", "sheep"], "imgsz": 640, "format": MODEL_FORMAT}


# ------------------------------------------------------------------ without the train extra


@pytest.mark.skipif(HAS_TRAIN_EXTRA, reason="torch/ultralytics are installed here; this checks the main environment")
def test_missing_train_extra_is_a_clear_error():
    with pytest.raises(TrainingUnavailableError, match="make train-env") as info:
        require_training_stack()
    assert isinstance(info.value, SarError) and isinstance(info.value, ImportError)


@pytest.mark.skipif(HAS_TRAIN_EXTRA, reason="torch/ultralytics are installed here; this checks the main environment")
@pytest.mark.parametrize("extra_args", [[], ["--export-only", __file__]])
def test_train_command_without_extra_prints_one_line_and_writes_nothing(tmp_path: Path, capsys, extra_args):
    src = _dataset(tmp_path / "d", ["person"], {"train": {"x.png": ""}})
    work = tmp_path / "work"
    rc = main(["train", "--data", str(src), "--work-dir", str(work), "--out", str(tmp_path / "m.onnx"), *extra_args])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "'train' extra is not installed" in err and "make train-env" in err
    assert not work.exists() and not (tmp_path / "m.onnx").exists()


def test_train_command_refuses_resume_with_weights(tmp_path: Path, capsys):
    pt = tmp_path / "last.pt"
    pt.write_bytes(b"weights")
    rc = main(["train", "--resume", str(pt), "--weights", str(pt), "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert rc == 2 and "--resume and --weights" in err and err.count("\n") == 1
    assert not (tmp_path / "m.onnx").exists()


# ------------------------------------------------------------------ a payload for training on another machine


def _payload_sources(tmp_path: Path) -> tuple[Path, Path]:
    """Two datasets: 'sim-a' (grey PNGs, train + val) and 'cam' (a colour JPEG, train + val)."""
    a = _dataset(tmp_path / "sim-a", ["sheep", "person"], {"train": {"s1.png": "0 0.5 0.5 0.2 0.2", "s2.png": ""},
                                                             "val": {"v1.png": "1 0.5 0.5 0.1 0.3"}})
    b = _dataset(tmp_path / "cam", ["person"], {"train": {"c1.png": "0 0.4 0.4 0.1 0.1"}, "val": {"c2.png": ""}})
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (16, 20, 3), dtype=np.uint8)).save(tmp_path / "cam" / "images" / "train" / "c1.png")
    return a, b


def test_device_payload_holds_data_kwargs_fonts_and_weights(tmp_path: Path):
    a, b = _payload_sources(tmp_path)
    pt = tmp_path / "w.pt"
    pt.write_bytes(b"weights")
    cfg = TrainConfig(imgsz_px=768, batch=32, device="0", workers=15, time_h=0.12, warmup_epochs=2.0)
    out = tmp_path / "payload"
    p = write_device_payload([a, b], out, config=cfg, start_weights=pt, work_dir=tmp_path / "work",
                             jpeg_quality=90, val_from=["sim-a"])
    assert dict(p.images_per_split) == {"train": 3, "val": 1} and p.val_skipped == 1
    assert sorted(f.name for f in (out / "data" / "images" / "val").iterdir()) == ["sim-a__v1.jpg"]
    assert (out / "data" / "labels" / "val" / "sim-a__v1.txt").read_text() == "0 0.5 0.5 0.1 0.3\n"  # person: id 1 there, 0 here
    assert (out / "data" / "labels" / "train" / "sim-a__s2.txt").read_text() == ""  # a negative stays a negative
    import cv2

    grey = cv2.imread(str(out / "data" / "images" / "train" / "sim-a__s1.jpg"), cv2.IMREAD_UNCHANGED)
    colour = cv2.imread(str(out / "data" / "images" / "train" / "cam__c1.jpg"), cv2.IMREAD_UNCHANGED)
    assert grey.shape == (8, 10) and colour.shape == (16, 20, 3)  # grey only where the channels were equal
    doc = yaml.safe_load((out / "data" / "data.yaml").read_text())
    assert doc["path"] == "data" and doc["names"] == dict(enumerate(CLASS_NAMES))
    kw = json.loads((out / "kwargs.json").read_text())
    assert kw["time"] == 0.12 and kw["device"] == "0" and kw["imgsz"] == 768 and kw["pretrained"] is True
    assert kw["nbs"] == 32 and kw["amp"] is False and kw["model"] == "yolo11n.yaml"
    assert (out / "start.pt").read_bytes() == b"weights"
    assert p.size_bytes == sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if font.is_file() or importlib.util.find_spec("matplotlib") is not None:
        assert (out / "yolo" / "Arial.ttf").stat().st_size > 1000
    # written again without weights and copying the files: no stale start.pt, the original bytes
    write_device_payload([a], out, config=TrainConfig(), work_dir=tmp_path / "work", jpeg_quality=None)
    assert not (out / "start.pt").exists()
    assert (out / "data" / "images" / "train" / "sim-a__s1.png").read_bytes() == \
        (tmp_path / "sim-a" / "images" / "train" / "s1.png").read_bytes()
    assert not (out / "data" / "images" / "train" / "cam__c1.jpg").exists()


def test_device_payload_refuses_bad_values_before_writing(tmp_path: Path):
    a, _ = _payload_sources(tmp_path)
    with pytest.raises(InputError, match="jpeg_quality=0"):
        write_device_payload([a], tmp_path / "p", config=TrainConfig(), work_dir=tmp_path / "w", jpeg_quality=0)
    with pytest.raises(SarIOError, match="start_weights"):
        write_device_payload([a], tmp_path / "p", config=TrainConfig(), start_weights=tmp_path / "none.pt",
                             work_dir=tmp_path / "w")
    assert not (tmp_path / "p").exists()
    with pytest.raises(InputError, match="leaves no val images"):
        write_device_payload([a], tmp_path / "p", config=TrainConfig(), work_dir=tmp_path / "w", val_from=["other"])
    assert not (tmp_path / "p").exists()  # refused before anything was written
    no_val = _dataset(tmp_path / "nv", ["sheep"], {"train": {"n1.png": "0 0.5 0.5 0.2 0.2"}})
    with pytest.raises(InputError, match="no val images"):
        write_device_payload([no_val], tmp_path / "p", config=TrainConfig(), work_dir=tmp_path / "w")
    assert not (tmp_path / "p" / "data").exists() and not (tmp_path / "p" / ".data.partial").exists()


def test_device_payload_that_fails_leaves_the_previous_one_whole(tmp_path: Path):
    a, _ = _payload_sources(tmp_path)
    out = tmp_path / "p"
    write_device_payload([a], out, config=TrainConfig(), work_dir=tmp_path / "w")
    before = sorted(str(f.relative_to(out)) for f in (out / "data").rglob("*"))
    (tmp_path / "sim-a" / "images" / "train" / "s3.png").write_bytes(b"not a png")
    with pytest.raises(SarIOError, match="cannot be read"):
        write_device_payload([a], out, config=TrainConfig(), work_dir=tmp_path / "w")
    assert sorted(str(f.relative_to(out)) for f in (out / "data").rglob("*")) == before
    assert not (out / ".data.partial").exists()


def test_train_command_writes_a_device_payload_without_the_train_extra(tmp_path: Path, capsys):
    a, _ = _payload_sources(tmp_path)
    rc = main(["train", "--data", str(a), "--work-dir", str(tmp_path / "w"), "--device-payload", str(tmp_path / "p"),
               "--device", "0", "--time-h", "0.5", "--payload-jpeg-quality", "0"])
    out = capsys.readouterr().out
    assert rc == 0 and "device_train.py" in out and "train 2, val 1" in out
    kw = json.loads((tmp_path / "p" / "kwargs.json").read_text())
    assert kw["time"] == 0.5 and kw["device"] == "0" and kw["pretrained"] is False
    assert (tmp_path / "p" / "data" / "images" / "train" / "sim-a__s1.png").is_file()
    assert not (tmp_path / "p" / "whl").exists() and "pip install" not in out


def test_device_payload_carries_the_wheels_it_is_given(tmp_path: Path, capsys):
    a, _ = _payload_sources(tmp_path)
    wheel = tmp_path / "dl" / "ultralytics-8.4.190-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK wheel")
    out = tmp_path / "p"
    rc = main(["train", "--data", str(a), "--work-dir", str(tmp_path / "w"), "--device-payload", str(out),
               "--payload-wheel", str(wheel)])
    text = capsys.readouterr().out
    assert rc == 0 and f"pip install --no-deps --no-index {out}/whl/*.whl" in text
    assert [f.name for f in (out / "whl").iterdir()] == [wheel.name]
    assert (out / "whl" / wheel.name).read_bytes() == b"PK wheel"
    # written again without wheels: whl/ holds exactly what was given, here nothing
    write_device_payload([a], out, config=TrainConfig(), work_dir=tmp_path / "w")
    assert not (out / "whl").exists()
    # a path that is not a wheel is refused before anything is written
    for bad in (tmp_path / "none.whl", tmp_path / "dl"):
        with pytest.raises(InputError, match="is not a .whl file.*pip download"):
            write_device_payload([a], tmp_path / "q", config=TrainConfig(), work_dir=tmp_path / "w", wheels=[bad])
    assert not (tmp_path / "q").exists()


def test_device_script_reads_results_without_polars(tmp_path: Path):
    import runpy

    ns = runpy.run_path(str(MODELS / "device_train.py"))
    csv_path = tmp_path / "results.csv"
    csv_path.write_text("epoch, metrics/mAP50(B)\n1,0.5\n2,0.75\n")

    class Trainer:
        csv = csv_path

    assert ns["_results_without_polars"](Trainer()) == {"epoch": [1.0, 2.0], "metrics/mAP50(B)": [0.5, 0.75]}
    Trainer.csv = tmp_path / "absent.csv"
    assert ns["_results_without_polars"](Trainer()) == {}


# ------------------------------------------------------------------ the shipped model


def test_shipped_model_contract():
    onnx_path, sidecar = MODELS / "thermal_sar_yolo.onnx", MODELS / "thermal_sar_yolo.json"
    if not onnx_path.is_file():
        pytest.skip("vision/models/thermal_sar_yolo.onnx is not shipped in this checkout")
    import onnxruntime as ort

    meta = json.loads(sidecar.read_text())
    assert meta["format"] == MODEL_FORMAT
    assert tuple(meta["names"]) == CLASS_NAMES
    h, w = (meta["imgsz"], meta["imgsz"]) if isinstance(meta["imgsz"], int) else meta["imgsz"]
    assert onnx_path.stat().st_size <= 15 * 1024 * 1024
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert inp.shape == [1, 3, h, w]
    # a uniform grey frame (the letterbox padding value) holds nobody: every class score stays low
    (out,) = sess.run(None, {inp.name: np.full((1, 3, h, w), 114 / 255, dtype=np.float32)})
    anchors = sum((h // s) * (w // s) for s in (8, 16, 32))
    assert out.shape == (1, 4 + len(CLASS_NAMES), anchors)
    assert float(out[0, 4:].max()) < 0.25


def test_write_sidecar_rectangular_input(tmp_path: Path):
    p = write_sidecar(tmp_path / "m.onnx", ["person"], (512, 640))
    assert json.loads(p.read_text())["imgsz"] == [512, 640]
    with pytest.raises(InputError, match="multiple of 32"):
        write_sidecar(tmp_path / "m.onnx", ["person"], (500, 640))


def test_train_command_refuses_a_device_payload_with_resume_or_export(tmp_path: Path, capsys):
    a, _ = _payload_sources(tmp_path)
    pt = tmp_path / "last.pt"
    pt.write_bytes(b"weights")
    for flag in ("--resume", "--export-only"):
        rc = main(["train", "--data", str(a), "--device-payload", str(tmp_path / "p"), flag, str(pt)])
        err = capsys.readouterr().err
        assert rc == 2 and "--device-payload" in err and err.count("\n") == 1
    assert not (tmp_path / "p").exists()
