"""Bad input to ``thermal-sar sim`` and its library: one clear line, nothing saved is lost."""

from __future__ import annotations

import json

import pytest

import sim
from geo.errors import FormatError, InputError
from thermal_sar.cli import main


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------ seeds
@pytest.mark.parametrize("cmd", [["render", "--scenario", "sheep"],
                                 ["dataset", "--scenario", "sheep", "--n", "1"]])
def test_negative_seed_is_refused_with_the_range(tmp_path, capsys, cmd):
    out = tmp_path / ("f.png" if cmd[0] == "render" else "ds")
    rc = main(["sim", *cmd, "--seed", "-1", "--out", str(out)])
    err = _err(capsys)
    assert rc == 2 and "seed=-1" in err and "0..4294967295" in err
    assert not out.exists()


def test_render_frame_refuses_a_negative_seed(sheep_scene):
    pose = sim.pose_above(sheep_scene, *sheep_scene.target_positions_latlon[0], 80.0)
    with pytest.raises(InputError, match="seed=-3"):
        sim.render_frame(sheep_scene, "m30t", pose, seed=-3)


# ------------------------------------------------------------------ scenario files
def test_binary_scenario_file_is_a_format_error(tmp_path, capsys):
    blob = tmp_path / "N44W072.hgt"
    blob.write_bytes(bytes([0x00, 0x9F, 0xFF, 0xFE]) * 64)
    with pytest.raises(FormatError, match="N44W072.hgt.*not a text file"):
        sim.read_scenario(blob)
    rc = main(["sim", "render", "--scenario", str(blob), "--out", str(tmp_path / "f.png")])
    err = _err(capsys)
    assert rc == 2 and "not a text file" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ output names
@pytest.mark.parametrize("name", ["x.txt", "x.json", "x"])
def test_render_refuses_a_name_opencv_cannot_write(tmp_path, capsys, name):
    rc = main(["sim", "render", "--scenario", "sheep", "--out", str(tmp_path / name)])
    err = _err(capsys)
    assert rc == 2 and ".png" in err and "allowed" in err
    assert list(tmp_path.iterdir()) == []


def test_render_is_all_or_nothing(tmp_path, capsys):
    keep = tmp_path / "keep.png"
    keep.write_bytes(b"old frame")
    blocker = tmp_path / "afile"
    blocker.write_text("a file, not a folder")
    rc = main(["sim", "render", "--scenario", "sheep", "--out", str(keep), "--counts-out", str(blocker / "c.png")])
    err = _err(capsys)
    assert rc == 2 and "nothing was written" in err
    assert keep.read_bytes() == b"old frame"
    assert not keep.with_suffix(".json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "keep.png"]  # no temporary files left


@pytest.mark.parametrize("counts", ["c.jpg", "c.bmp", "keep.png", "keep.json"])
def test_counts_must_be_a_lossless_16_bit_file_apart_from_the_frame(tmp_path, capsys, counts):
    rc = main(["sim", "render", "--scenario", "sheep", "--out", str(tmp_path / "keep.png"),
               "--counts-out", str(tmp_path / counts)])
    err = _err(capsys)
    assert rc == 2 and "counts_out=" in err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ realism and dataset counts
def test_realism_writes_outside_docs_by_default_and_needs_n_of_1_or_more(tmp_path, capsys):
    from thermal_sar.commands.sim import realism_cmd

    img_dir = next(p for p in realism_cmd.params if p.name == "img_dir")
    assert "docs" not in img_dir.default
    for n in ("0", "-3"):
        rc = main(["sim", "realism", "--hit-uav", str(tmp_path), "--n", n])
        err = _err(capsys)
        assert rc == 2 and f"--n={n}" in err and "1..100000" in err
    assert list(tmp_path.iterdir()) == []


def test_dataset_reports_the_n_given(tmp_path, capsys):
    rc = main(["sim", "dataset", "--scenario", "sheep", "--n", "-5", "--out", str(tmp_path / "ds")])
    err = _err(capsys)
    assert rc == 2 and "n=-5" in err and "1..1000000" in err
    assert not (tmp_path / "ds").exists()


# ------------------------------------------------------------------ pose options
@pytest.mark.parametrize("opt, value, name", [("--pitch", "nan", "gimbal_pitch_deg"),
                                              ("--pitch", "30", "gimbal_pitch_deg"),
                                              ("--yaw", "inf", "yaw_deg"), ("--agl", "nan", "agl_m")])
def test_pose_options_are_checked_at_the_boundary(tmp_path, capsys, opt, value, name):
    rc = main(["sim", "render", "--scenario", "sheep", opt, value, "--out", str(tmp_path / "f.png")])
    err = _err(capsys)
    assert rc == 2 and f"{name}=" in err and "allowed" in err and "telemetry" not in err


def test_a_point_outside_the_scene_names_the_scene_extent(tmp_path, capsys):
    rc = main(["sim", "render", "--scenario", "sheep", "--at", "0,0", "--out", str(tmp_path / "f.png")])
    err = _err(capsys)
    assert rc == 2 and "outside scene 'sheep'" in err
    assert "allowed lat 30." in err and "lon 119." in err


# ------------------------------------------------------------------ dataset folders
def _images(out):
    return sorted(p.name for p in (out / "images").rglob("*.png"))


def test_dataset_refuses_a_non_empty_folder_and_overwrites_only_its_own(sheep_scene, tmp_path):
    out = tmp_path / "ds"
    sim.write_dataset(sheep_scene, out, 3, seed=1, val_fraction=0.0)
    assert len(_images(out)) == 3
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty.*--overwrite"):
        sim.write_dataset(sheep_scene, out, 1, seed=2, val_fraction=0.0)
    assert len(_images(out)) == 3
    sim.write_dataset(sheep_scene, out, 1, seed=2, val_fraction=0.0, overwrite=True)
    assert _images(out) == ["sheep_2_000000.png"]
    assert sorted(p.name for p in (out / "labels").rglob("*.txt")) == ["sheep_2_000000.txt"]
    coco = json.loads((out / "coco_train.json").read_text())
    assert [im["file_name"] for im in coco["images"]] == ["images/train/sheep_2_000000.png"]
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no staging folder left


def test_dataset_overwrite_only_over_a_dataset(sheep_scene, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("do not touch")
    with pytest.raises(InputError, match="no thermal-sar synthetic dataset"):
        sim.write_dataset(sheep_scene, out, 1, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["thesis.txt"]


def test_dataset_cli_needs_overwrite_over_an_old_dataset(tmp_path, capsys):
    out = tmp_path / "ds1"
    (out / "images" / "train").mkdir(parents=True)
    (out / "images" / "train" / "sheep_0_000002.png").write_bytes(b"old")
    (out / "data.yaml").write_text("# thermal-sar synthetic dataset: scenarios sheep, seed 0\n")
    rc = main(["sim", "dataset", "--scenario", "sheep", "--n", "1", "--out", str(out)])
    err = _err(capsys)
    assert rc == 2 and "not empty" in err and "--overwrite" in err
    rc = main(["sim", "dataset", "--scenario", "sheep", "--n", "1", "--val", "0", "--out", str(out), "--overwrite"])
    assert rc == 0, capsys.readouterr().err
    assert _images(out) == ["sheep_0_000000.png"]
