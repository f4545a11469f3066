"""The CLI of the foundation: help, terrain info/hillshade, demo, clear errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import shared_path
from thermal_sar.cli import main


def _hgt(tmp_path, name="N44W072.hgt", void=False):
    r, c = np.mgrid[0:1201, 0:1201]
    z = (300 + c // 3 + r // 5).astype(">i2")
    if void:
        z[10:20, 10:20] = -32768
    p = tmp_path / name
    p.write_bytes(z.tobytes())
    return p


def test_help_lists_user_tasks(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "terrain" in out


def test_terrain_info(tmp_path, capsys):
    p = _hgt(tmp_path, void=True)
    assert main(["terrain", "info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "lat 44.00000..45.00000" in out
    assert "100 void samples" in out


def test_terrain_hillshade(tmp_path):
    p = _hgt(tmp_path)
    out = tmp_path / "hs.png"
    assert main(["terrain", "hillshade", str(p), "--out", str(out)]) == 0
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (1201, 1201)


def test_user_mistake_is_one_red_line_without_traceback(tmp_path):
    bad = tmp_path / "N44W072.hgt"
    bad.write_bytes(b"\0" * 1000)
    proc = subprocess.run([sys.executable, "-m", "thermal_sar.cli", "terrain", "info", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "truncated" in lines[0]


def test_real_swiss_tile_reports_voids(capsys):
    p = shared_path("dem", "N46E008.tif")
    assert main(["terrain", "info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "void samples" in out and "filled by interpolation" in out
