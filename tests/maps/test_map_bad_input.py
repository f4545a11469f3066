"""`thermal-sar map` refuses inputs it cannot read, bad contour intervals, and escapes the title."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo.errors import FormatError, InputError
from maps.terrain_layer import MAX_CONTOUR_LEVELS, TerrainRaster, check_contour_interval, contour_lines
from tests.maps.test_static import mission_fc, targets_fc
from thermal_sar.cli import main
from thermal_sar.pipelines.maps import write_map


# -- 5: inputs map does not read --------------------------------------------------
@pytest.mark.parametrize("name, payload, says", [
    ("flight.tlog", b"\xfe\x1c\x00\x01\x01\x21" + bytes(range(256)) * 4, "telemetry log"),
    ("flight.bin", bytes(range(256)) * 4, "ArduPilot log"),
    ("N44W072.hgt", np.arange(2000, dtype=">i2").tobytes(), "is a DEM"),
    ("frame.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)), "picture"),
    ("track.gpx", b"<?xml version='1.0'?><gpx></gpx>", "is GPX"),
    ("area.kml", b"<kml></kml>", "is KML"),
    ("mystery.dat", b"\xff\xfe\x00\x80" * 100, "not a text file"),
])
def test_unreadable_inputs_are_a_clear_format_error(tmp_path, capsys, name, payload, says):
    p = tmp_path / name
    p.write_bytes(payload)
    out = tmp_path / "m.html"
    assert main(["map", str(p), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert says in err and "allowed a mission (.plan or .waypoints), or GeoJSON" in err and "drone track" in err
    assert "Traceback" not in err and not out.exists()


def test_invalid_json_lists_what_map_reads(tmp_path):
    p = tmp_path / "t.geojson"
    p.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON .*allowed a mission"):
        write_map([p], tmp_path / "m.html")


def test_bad_input_after_a_good_one_is_refused_before_any_work(tmp_path):
    good = tmp_path / "targets.geojson"
    good.write_text(json.dumps(targets_fc()))
    bad = tmp_path / "x.tlog"
    bad.write_bytes(b"\xfe" * 100)
    with pytest.raises(FormatError, match="x.tlog"):
        write_map([good, bad], tmp_path / "m.html")


# -- 6: contour interval ----------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "nan", "0", "-5"])
def test_contour_interval_must_be_finite_and_positive(tmp_path, capsys, value):
    mi = tmp_path / "mission.geojson"
    mi.write_text(json.dumps(mission_fc()))
    assert main(["map", str(mi), "--contours", value, "-o", str(tmp_path / "m.html")]) == 2
    assert "allowed a finite number > 0 m" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_contour_interval_is_bounded_by_the_number_of_levels():
    lat = np.linspace(30.39, 30.38, 20)
    lon = np.linspace(119.44, 119.45, 20)
    h = np.tile(np.linspace(100.0, 1100.0, 20, dtype=np.float32), (20, 1))  # 1000 m of relief
    raster = TerrainRaster(h, lat, lon)
    with pytest.raises(InputError, match=rf"relief of 1000 m would need 100000 contour levels.*at most "
                                         rf"{MAX_CONTOUR_LEVELS}.*--contours 10 or more"):
        contour_lines(raster, interval_m=0.01)
    assert contour_lines(raster, interval_m=2.0)  # 500 levels: allowed
    assert check_contour_interval(20.0, relief_m=0.0) == 20.0


# -- 7: the title is escaped everywhere it is written ------------------------------
def test_title_is_escaped_in_the_html(tmp_path):
    tg = tmp_path / "targets.geojson"
    tg.write_text(json.dumps(targets_fc()))
    title = "</title><img src=x onerror=alert(1)>"
    out = tmp_path / "m.html"
    assert main(["map", str(tg), "--title", title, "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert title not in html and "<img src=x" not in html
    assert "<title>&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;</title>" in html
