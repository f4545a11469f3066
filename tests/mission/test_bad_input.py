"""Bad input to `thermal-sar plan` gets one clear line (value, allowed range, what to do) and writes nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.errors import CameraError, FormatError, GeometryError, InputError
from mission import load_distance_table, plan_datum, plan_overwatch, plan_search
from mission.area import SearchArea
from mission.planner import check_sweep
from thermal_sar.cli import main
from geo.terrain import FlatTerrain
from mission import VehicleLimits
from tests.mission.conftest import ORIGIN, area_from_xy
from thermal_sar.pipelines.plan import _camera, _target, stale_sortie_files, write_outputs

POINTS = "30.380,119.450 30.384,119.450 30.384,119.455 30.380,119.455"


def _plan(tmp_path, *args):
    return main(["plan", "--points", POINTS, "--target", "sheep", *args])


# -- 3: sweep bearing ---------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "north", "400"])
def test_sweep_must_be_a_mode_or_finite_bearing(tmp_path, capsys, value):
    assert _plan(tmp_path, "--sweep", value, "--out", str(tmp_path / "m.plan")) == 2
    err = capsys.readouterr().err
    assert f"sweep={value!r}" in err and "finite bearing in degrees -360..360" in err
    assert not (tmp_path / "m.plan").exists()


def test_check_sweep_library():
    assert check_sweep("auto") == "auto" and check_sweep("45") == 45.0 and check_sweep(-90.0) == -90.0
    with pytest.raises(InputError, match="sweep=nan"):
        plan_search([(30.38, 119.45), (30.384, 119.45), (30.384, 119.455)], sweep=float("nan"))


# -- 4: distance table and options without --ipp ----------------------------------
def test_binary_distance_table_is_a_format_error(tmp_path):
    p = tmp_path / "table.csv"
    p.write_bytes(np.arange(4000, dtype=">i2").tobytes())  # like a .hgt tile: not UTF-8
    with pytest.raises(FormatError, match="not a text file.*category,terrain,p25_km"):
        load_distance_table(p)
    p.write_bytes(b"category,terrain,p25_km,p50_km,p75_km,p95_km\n\0\0\0\n")
    with pytest.raises(FormatError, match="NUL"):
        load_distance_table(p)
    p.write_text("category,terrain,p25_km,p50_km,p75_km,p95_km\nchild,x,1,2,3,inf\n")
    with pytest.raises(FormatError, match="finite, positive and increasing"):
        load_distance_table(p)


def test_cli_binary_distance_table(tmp_path, capsys):
    p = tmp_path / "N44W072.hgt"
    p.write_bytes(b"\xff\xfe\x80" * 1000)
    assert main(["plan", "--ipp", "30.38,119.45", "--category", "child-4-6", "--distance-table", str(p),
                 "--out", str(tmp_path / "r.plan")]) == 2
    assert "is not a text file" in capsys.readouterr().err


@pytest.mark.parametrize("extra", [["--category", "child-4-6"], ["--distance-table", "t.csv"]])
def test_ring_options_without_ipp_are_refused(tmp_path, capsys, extra):
    assert _plan(tmp_path, *extra, "--out", str(tmp_path / "m.plan")) == 2
    err = capsys.readouterr().err
    assert extra[0] in err and "--ipp" in err
    assert not (tmp_path / "m.plan").exists()


# -- 8: all-or-nothing outputs and stale sortie files -------------------------------
def test_failing_output_leaves_every_existing_file_untouched(tmp_path, capsys):
    keep_plan, keep_kml = tmp_path / "keep.plan", tmp_path / "keep.kml"
    keep_plan.write_text("old plan")
    keep_kml.write_text("old kml")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder is needed")
    rc = _plan(tmp_path, "--out", str(keep_plan), "--out", str(keep_kml), "--out", str(blocker / "x.gpx"))
    assert rc == 2
    assert "no output was written" in capsys.readouterr().err
    assert keep_plan.read_text() == "old plan" and keep_kml.read_text() == "old kml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "keep.kml", "keep.plan"]  # no staging left


def test_bad_output_extension_is_refused_before_planning(tmp_path, capsys):
    keep = tmp_path / "keep.plan"
    keep.write_text("old")
    assert _plan(tmp_path, "--out", str(keep), "--out", str(tmp_path / "m.txt")) == 2
    assert "allowed .plan, .waypoints" in capsys.readouterr().err
    assert keep.read_text() == "old"


@pytest.fixture(scope="module")
def small_plan():
    area = area_from_xy([[-150, -120], [150, -120], [150, 120], [-150, 120]])
    return plan_search(area, camera="m30t", target="sheep", terrain=FlatTerrain(100.0), launch=ORIGIN,
                       sweep=90.0, vehicle=VehicleLimits())


def test_outputs_are_written_together(tmp_path, small_plan):
    files = write_outputs(small_plan, [tmp_path / "a.plan", tmp_path / "sub" / "a.kml", tmp_path / "a.plan"])
    assert [f.name for f in files][-1] == "a.kml" and all(f.exists() for f in files)
    assert not [p for p in tmp_path.rglob(".thermal-sar-*")]


def test_stale_sortie_files_are_reported_not_deleted(tmp_path, capsys):
    for k in (2, 3, 7):
        (tmp_path / f"m-sortie{k}.plan").write_text("old")
    (tmp_path / "other-sortie9.plan").write_text("not ours")
    assert stale_sortie_files([tmp_path / "m.plan"], 2) == (tmp_path / "m-sortie3.plan", tmp_path / "m-sortie7.plan")
    assert _plan(tmp_path, "--out", str(tmp_path / "m.plan")) == 0
    err = capsys.readouterr().err
    assert "m-sortie7.plan" in err and "left untouched" in err
    assert (tmp_path / "m-sortie7.plan").read_text() == "old"


# -- 9: antimeridian --------------------------------------------------------------
def test_area_across_the_antimeridian_is_refused_clearly(tmp_path, capsys):
    with pytest.raises(GeometryError, match="crosses the antimeridian.*split the area at longitude 180"):
        SearchArea(((0.0, 179.99), (0.01, -179.99), (-0.01, -179.99)))
    assert main(["plan", "--points", "0,179.99 0.01,-179.99 -0.01,-179.99", "--out", str(tmp_path / "a.plan")]) == 2
    err = capsys.readouterr().err
    assert "antimeridian" in err and "km^2" not in err


def test_area_near_but_not_across_the_antimeridian_is_fine():
    SearchArea(((0.0, 179.97), (0.01, 179.99), (-0.01, 179.99)))


# -- 10: custom target, camera, radius ----------------------------------------------
@pytest.mark.parametrize("text", ["1e9x1e9", "-1x2", "nanxnan", "infx1"])
def test_custom_target_out_of_range_is_a_range_error(text):
    with pytest.raises(InputError, match=r"length_m=.* is out of range: allowed 0\.05\.\.50 m.*LENGTHxWIDTH"):
        _target(text)


@pytest.mark.parametrize("text, name", [("640x512@nan", "hfov_deg"), ("640x512@inf", "hfov_deg"),
                                        ("640x512@0", "hfov_deg"), ("-640x512@32", "width_px"),
                                        ("640x4@32", "height_px"), ("640.5x512@32", "width_px")])
def test_custom_camera_out_of_range_is_a_range_error(text, name):
    with pytest.raises(CameraError, match=rf"camera {name}=.* is out of range"):
        _camera(text)


def test_custom_camera_and_presets_still_work():
    assert _camera("640x512@32").width_px == 640
    assert _camera("m30t") == "m30t"
    assert _target("1.3x0.6").length_m == pytest.approx(1.3)


def test_radius_messages_are_complete():
    with pytest.raises(InputError) as e:
        plan_datum((30.38, 119.45), radius_m=5.0)
    assert str(e.value).endswith("e.g. --radius 500 (the default).")
    with pytest.raises(InputError, match="radius_m=nan is out of range: allowed a finite number") as e:
        plan_overwatch((30.38, 119.45), radius_m=math.nan, agl_m=60.0)
    assert "too small" not in str(e.value)
