"""`thermal-sar terrain hillshade`: bad output names, sun angles and several tiles are refused up front."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import InputError
from thermal_sar.cli import main
from thermal_sar.terrain_report import check_hillshade_options, write_hillshade_png


def _hgt(tmp_path, name="N44W072.hgt"):
    r, c = np.mgrid[0:1201, 0:1201]
    p = tmp_path / name
    p.write_bytes((300 + c // 3 + r // 5).astype(">i2").tobytes())
    return p


@pytest.mark.parametrize("out", ["x.txt", "x", "shade.html"])
def test_unknown_extension_is_refused_before_the_dem_is_read(tmp_path, capsys, out):
    missing = tmp_path / "N44W072.hgt"  # never read: the name is checked first
    assert main(["terrain", "hillshade", str(missing), "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert "allowed .png" in err and "does not exist" not in err
    assert not (tmp_path / out).exists()


@pytest.mark.parametrize("opt, value", [("--azimuth", "nan"), ("--azimuth", "inf"), ("--azimuth", "-10"),
                                        ("--altitude", "nan"), ("--altitude", "inf"), ("--altitude", "91")])
def test_sun_angles_must_be_finite_and_in_range(tmp_path, capsys, opt, value):
    assert main(["terrain", "hillshade", str(tmp_path / "N44W072.hgt"), "--out", str(tmp_path / "h.png"),
                 opt, value]) == 2
    assert "is out of range: allowed a finite number" in capsys.readouterr().err


def test_several_tiles_are_refused_not_silently_dropped(tmp_path, capsys):
    a, b = _hgt(tmp_path, "N44W072.hgt"), _hgt(tmp_path, "N44W071.hgt")
    assert main(["terrain", "hillshade", str(a), str(b), "--out", str(tmp_path / "h.png")]) == 2
    assert "allowed one per hillshade" in capsys.readouterr().err
    assert not (tmp_path / "h.png").exists()


def test_library_refuses_mosaic_and_bad_options(tmp_path):
    from geo.terrain import load_terrain

    m = load_terrain([_hgt(tmp_path, "N44W072.hgt"), _hgt(tmp_path, "N44W071.hgt")])
    with pytest.raises(InputError, match="allowed one tile"):
        write_hillshade_png(m, tmp_path / "h.png")
    with pytest.raises(InputError, match="azimuth_deg=nan"):
        check_hillshade_options(tmp_path / "h.png", azimuth_deg=float("nan"), altitude_deg=45.0)
