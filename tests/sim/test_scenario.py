"""Scenario files: bundled ones load; user mistakes give clear errors."""

from __future__ import annotations

import math

import pytest

import sim
from geo.errors import FormatError, InputError, OutOfCoverageError, SarError
from tests.sim._docs import make_doc


def test_bundled_scenarios_parse():
    assert set(sim.scenario_names()) >= {"sheep", "lost-child", "night-hiker"}
    for name in sim.scenario_names():
        spec = sim.read_scenario(name)
        assert spec.name == name and spec.targets


def test_sheep_story(sheep_scene):
    s = sheep_scene
    sheep = [t for t in s.targets if t.class_name == "sheep"]
    assert len(sheep) == 12
    pen = s.pen_latlon
    assert pen is not None and len(pen) == 4
    from shapely.geometry import Point, Polygon

    pen_poly = Polygon([s.frame.to_local(a, b) for a, b in pen])
    inside = [t for t in sheep if pen_poly.contains(Point(t.x_m, t.y_m))]
    assert len(inside) == 9
    cx, cy = pen_poly.centroid.x, pen_poly.centroid.y
    far = [math.hypot(t.x_m - cx, t.y_m - cy) for t in sheep if t not in inside]
    assert len(far) == 3 and all(500 <= d <= 1500 for d in far)
    # Every target lies inside the suggested search area.
    area = Polygon([s.frame.to_local(a, b) for a, b in s.search_area_latlon])
    assert all(area.contains(Point(t.x_m, t.y_m)) for t in s.targets)
    assert 19.0 <= s.ambient_c <= 21.0 and s.sun_elevation_deg < 0  # dusk: just after sunset
    assert len(s.target_positions_latlon) == len(s.targets)


def test_unknown_field_names_path_and_suggestion():
    doc = make_doc(targets=[{"kind": "sheep", "at_m": [1880, -2150], "heding_deg": 10}])
    with pytest.raises(FormatError, match=r"targets\[0\].*'heding_deg'.*Did you mean 'heading_deg'"):
        sim.parse_scenario(doc)
    with pytest.raises(FormatError, match="unknown field 'wether'"):
        sim.parse_scenario({**make_doc(), "wether": {}})


def test_unknown_kind():
    with pytest.raises(InputError, match="kind 'goat' is not known"):
        sim.parse_scenario(make_doc(targets=[{"kind": "goat", "at_m": [0, 0]}]))


@pytest.mark.parametrize("weather", [{"ambient_c": 80}, {"ambient_c": -90}, {"ambient_c": float("nan")}])
def test_impossible_air_temperature(weather):
    with pytest.raises(InputError, match="weather.ambient_c"):
        sim.parse_scenario(make_doc(weather=weather))


def test_impossible_decoy_temperature():
    with pytest.raises(InputError, match=r"decoys\[0\].temperature_c.*5000"):
        sim.parse_scenario(make_doc(decoys=[{"kind": "campfire", "at_m": [1880, -2150], "temperature_c": 5000}]))


def test_water_cannot_be_boiling_or_ice():
    with pytest.raises(InputError, match="water_c"):
        sim.parse_scenario(make_doc(weather={"ambient_c": 10, "water_c": 120}))


def test_target_outside_area_and_terrain(build):
    doc = make_doc(targets=[{"kind": "sheep", "at_m": [5000, -2150]}])
    with pytest.raises(OutOfCoverageError, match=r"targets\[0\].*outside area_m"):
        build(doc)
    doc = make_doc(area_m={"center": [0, 0], "size": 12000})
    with pytest.raises(OutOfCoverageError, match="outside terrain"):
        build(doc)


def test_missing_time_and_bad_time():
    doc = make_doc()
    del doc["time"]
    with pytest.raises(FormatError, match="missing required field 'time'"):
        sim.parse_scenario(doc)
    with pytest.raises(FormatError, match="local_time"):
        sim.parse_scenario(make_doc(time={"date": "2026-05-01", "local_time": "25:99"}))


def test_within_must_name_a_feature():
    with pytest.raises(InputError, match="'fold' names no feature"):
        sim.parse_scenario(make_doc(targets=[{"kind": "sheep", "count": 3, "within": "fold"}]))


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntime: [unclosed\n", encoding="utf-8")
    with pytest.raises(FormatError, match="bad.yaml: not valid YAML"):
        sim.read_scenario(bad)
    with pytest.raises(InputError, match="not a bundled scenario"):
        sim.read_scenario("sheeep")
    assert issubclass(FormatError, SarError)


def test_unquoted_yaml_time_is_understood(tmp_path):
    # YAML 1.1 reads 20:15 as the integer 1215 (sexagesimal); accept it as 20:15.
    p = tmp_path / "t.yaml"
    p.write_text("name: t\ntime: {date: 2026-05-28, local_time: 20:15, utc_offset_h: 8}\nweather: {ambient_c: 20}\n",
                 encoding="utf-8")
    spec = sim.read_scenario(p)
    assert (spec.utc.hour, spec.utc.minute) == (12, 15)
