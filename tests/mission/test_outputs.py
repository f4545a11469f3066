"""Plan-level outputs: golden files, area readers, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from geo.errors import FormatError, GeometryError
from geo.terrain import FlatTerrain
from mission import VehicleLimits, load_area, load_mission_items, parse_points, plan_search, write_plan
from mission.formats import format_area_kml, format_geojson, format_gpx, format_kml, format_plan
from mission.formats.export import plan_options
from tests.mission.conftest import ORIGIN, area_from_xy

GOLDEN = Path(__file__).with_name("golden")
EXAMPLE_KML = Path(__file__).resolve().parents[2] / "mission" / "data" / "examples" / "area.kml"


@pytest.fixture(scope="module")
def small_plan():
    area = area_from_xy([[-150, -120], [150, -120], [150, 120], [0, 20], [-150, 120]])
    return plan_search(area, camera="m30t", target="sheep", terrain=FlatTerrain(100.0), launch=ORIGIN,
                       sweep=90.0, vehicle=VehicleLimits())


@pytest.mark.parametrize("name", ["plan.plan", "plan.kml", "plan.gpx", "plan.geojson"])
def test_golden_plan_outputs(small_plan, name):
    s = small_plan.sorties[0]
    text = {"plan.plan": lambda: format_plan(s.items, plan_options(small_plan, s)),
            "plan.kml": lambda: format_kml(small_plan), "plan.gpx": lambda: format_gpx(small_plan),
            "plan.geojson": lambda: format_geojson(small_plan)}[name]()
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_written_plan_reads_back_exactly(small_plan, tmp_path):
    for ext in (".plan", ".waypoints"):
        files = write_plan(small_plan, tmp_path / f"m{ext}")
        assert len(files) == len(small_plan.sorties)
        assert load_mission_items(files[0]) == small_plan.sorties[0].items


def test_plan_file_marks_agl(small_plan, tmp_path):
    (f,) = write_plan(small_plan, tmp_path / "m.plan")[:1]
    doc = json.loads(f.read_text())
    wp = [i for i in doc["mission"]["items"] if i["command"] == 16]
    assert all(i["AltitudeMode"] == 3 and i["frame"] == 0 for i in wp)
    assert wp[0]["Altitude"] == pytest.approx(small_plan.stats.agl_m, abs=10.01)
    assert wp[0]["AMSLAltAboveTerrain"] == wp[0]["params"][6]


def test_area_readers_round_trip(tmp_path, small_plan):
    area = area_from_xy([[-300, -300], [300, -300], [300, 300], [-300, 300]],
                        holes=[[[-50, -50], [50, -50], [50, 50], [-50, 50]]],
                        no_fly=[[[100, 100], [200, 100], [200, 200], [100, 200]]])
    k = tmp_path / "a.kml"
    k.write_text(format_area_kml(area.outer, area.holes, area.no_fly))
    back = load_area(k)
    assert back.outer == area.outer and back.holes == area.holes and back.no_fly == area.no_fly
    g = tmp_path / "a.geojson"
    g.write_text(json.dumps(small_plan.to_geojson()))
    back = load_area(g)
    assert back.outer[:3] == small_plan.area[:3]
    gpx = tmp_path / "a.gpx"
    pts = "".join(f'<trkpt lat="{a}" lon="{b}"/>' for a, b in area.outer)
    gpx.write_text(f'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>'
                   f"search</name><trkseg>{pts}</trkseg></trk></gpx>")
    assert load_area(gpx).outer == area.outer
    assert len(parse_points("30.38,119.45 30.39,119.45 30.39,119.46").outer) == 3
    assert load_area(EXAMPLE_KML).no_fly and load_area(EXAMPLE_KML).holes


def test_area_readers_bad_input(tmp_path):
    p = tmp_path / "a.kml"
    p.write_text("<kml><Document>")
    with pytest.raises(FormatError, match="not valid XML"):
        load_area(p)
    p.write_bytes(b"PK\x03\x04zip")
    with pytest.raises(FormatError, match="KMZ"):
        load_area(p)
    p.write_text("QGC WPL 110\n")
    with pytest.raises(FormatError, match="neither GeoJSON, KML nor GPX"):
        load_area(p)
    p.write_text('{"type": "Point", "coordinates": [1, 2]}')
    with pytest.raises(FormatError, match="GeoJSON type"):
        load_area(p)
    with pytest.raises(GeometryError, match=">= 3"):
        parse_points("30.38,119.45 30.39,119.45")


def test_cli_plan(tmp_path):
    from thermal_sar.cli import main

    rc = main(["plan", "--points", "30.380,119.450 30.384,119.450 30.384,119.455 30.380,119.455",
               "--target", "sheep", "--launch", "30.379,119.450", "--out", str(tmp_path / "m.plan"),
               "--out", str(tmp_path / "m.geojson")])
    assert rc == 0
    assert (tmp_path / "m.plan").exists() and (tmp_path / "m.geojson").exists()


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    from thermal_sar.cli import main

    rc = main(["plan", "--points", "119.45,30.38 119.45,30.39 119.46,30.39", "--out", str(tmp_path / "m.plan")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "swapped" in err and "Traceback" not in err
    assert not (tmp_path / "m.plan").exists()


def test_plan_file_geofence_for_no_fly(concave_area, tmp_path):
    plan = plan_search(concave_area, camera="m30t", target="sheep", terrain=FlatTerrain(0.0), launch=ORIGIN)
    doc = json.loads(write_plan(plan, tmp_path / "m.plan")[0].read_text())
    (fence,) = doc["geoFence"]["polygons"]
    assert fence["inclusion"] is False and fence["version"] == 1
    assert [tuple(p) for p in fence["polygon"]] == list(concave_area.no_fly[0])


def test_cli_datum_and_rings(tmp_path):
    from thermal_sar.cli import main

    assert main(["plan", "--datum", "30.38,119.45", "--pattern", "sector", "--radius", "300", "--launch",
                 "30.379,119.45", "--out", str(tmp_path / "s.geojson")]) == 0
    assert main(["plan", "--ipp", "30.38,119.45", "--category", "child-4-6", "--rings-to", "25", "--launch",
                 "30.379,119.45", "--out", str(tmp_path / "r.waypoints")]) == 0
    assert (tmp_path / "r.waypoints").read_text().startswith("QGC WPL 110\n")


def test_plan_geojson_reads_back_as_its_area(concave_area, tmp_path):
    plan = plan_search(concave_area, camera="m30t", target="sheep", terrain=FlatTerrain(0.0), launch=ORIGIN)
    p = tmp_path / "plan.geojson"
    p.write_text(json.dumps(plan.to_geojson()))
    back = load_area(p)
    assert back.outer == concave_area.outer
    assert back.holes == concave_area.holes and back.no_fly == concave_area.no_fly


def test_cli_custom_camera_and_target(tmp_path, capsys):
    from thermal_sar.cli import main

    assert main(["plan", "--points", "30.380,119.450 30.383,119.450 30.383,119.454", "--camera", "640x512@25",
                 "--target", "1.3x0.6", "--launch", "30.379,119.450", "--out", str(tmp_path / "m.gpx")]) == 0
    out = capsys.readouterr().out
    assert "custom 640x512@25" in out and "custom 1.3x0.6 m" in out and "no DEM given" in out


@pytest.mark.shared_data
def test_done_when_command_on_real_dem(tmp_path, capsys):
    """The issue's acceptance command: example KML area, M30T, sheep, SRTM N44W072, a .plan that loads back."""
    from tests.conftest import shared_path
    from thermal_sar.cli import main

    dem = shared_path("dem", "N44W072.hgt")
    out = tmp_path / "mission.plan"
    assert main(["plan", "--area", str(EXAMPLE_KML), "--camera", "m30t", "--target", "sheep", "--dem", str(dem),
                 "--launch", "44.29235,-71.46192", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "POD" in text and "sorties:" in text and "wrote" in text
    doc = json.loads(out.read_text())
    assert doc["fileType"] == "Plan" and doc["mission"]["version"] == 2
    assert doc["geoFence"]["polygons"][0]["inclusion"] is False
    items = load_mission_items(out)
    assert items[1].command == 22 and items[-1].command == 20
