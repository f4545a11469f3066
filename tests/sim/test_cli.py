"""``thermal-sar sim``: thin commands, one red line for bad input."""

from __future__ import annotations

import json

import numpy as np

from thermal_sar.cli import main


def test_sim_render_writes_png_and_truth(tmp_path, capsys):
    out = tmp_path / "frame.png"
    rc = main(["sim", "render", "--scenario", "sheep", "--camera", "m30t", "--agl", "80", "--out", str(out),
               "--palette", "ironbow", "--counts-out", str(tmp_path / "counts.png")])
    assert rc == 0
    text = capsys.readouterr().out
    assert "9 sheep visible" in text and str(out) in text
    import cv2

    im = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert im.shape == (512, 640, 3)
    counts = cv2.imread(str(tmp_path / "counts.png"), cv2.IMREAD_UNCHANGED)
    assert counts.dtype == np.uint16
    truth = json.loads(out.with_suffix(".json").read_text())
    assert sum(t["class"] == "sheep" for t in truth["truths"]) == 9


def test_sim_bad_input_is_one_line(tmp_path, capsys):
    rc = main(["sim", "render", "--scenario", "sheep", "--at", "10,10", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert rc == 2 and "outside scene 'sheep'" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\ntime: {date: 2026-01-01, local_time: '12:00'}\nweather: {ambient_c: 99}\n")
    rc = main(["sim", "render", "--scenario", str(bad), "--out", str(tmp_path / "y.png")])
    err = capsys.readouterr().err
    assert rc == 2 and "weather.ambient_c" in err and len(err.strip().splitlines()) == 1


def test_sim_dataset_command(tmp_path, capsys):
    rc = main(["sim", "dataset", "--scenario", "night-hiker", "--scenario", "lost-child", "--n", "4",
               "--out", str(tmp_path / "ds")])
    assert rc == 0
    assert "wrote 4 frames" in capsys.readouterr().out
    assert (tmp_path / "ds" / "data.yaml").exists()
    names = sorted(p.name.split("_")[0] for p in (tmp_path / "ds" / "images").rglob("*.png"))
    assert names == ["lost-child"] * 2 + ["night-hiker"] * 2
