"""Mission file formats: the real files load, write -> read is exact, golden files."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import pytest

from geo.errors import FormatError, SarIOError
from mission import MavCmd, MavFrame, MissionItem, load_mission_items, save_mission_items
from mission.formats import format_plan, format_waypoints, parse_plan, parse_waypoints
from tests.conftest import shared_path

GOLDEN = Path(__file__).with_name("golden")


def key(it: MissionItem):
    return tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in dataclasses.astuple(it))


REAL = ["plan/ardupilot_copter_survey.plan", "plan/px4_fixedwing_survey.plan",
        "waypoints/terrain_survey_yukon.waypoints", "waypoints/copter_terrain.waypoints",
        "waypoints/missionplanner_sample.waypoints", "waypoints/survey_camera_triggers.waypoints"]
COUNTS = {"plan/ardupilot_copter_survey.plan": 76, "plan/px4_fixedwing_survey.plan": 150,
          "waypoints/terrain_survey_yukon.waypoints": 117, "waypoints/copter_terrain.waypoints": 5,
          "waypoints/missionplanner_sample.waypoints": 6, "waypoints/survey_camera_triggers.waypoints": 109}


@pytest.mark.shared_data
@pytest.mark.parametrize("rel", REAL)
def test_real_missions_load_and_round_trip(rel, tmp_path):
    items = load_mission_items(shared_path("missions", *rel.split("/")))
    assert len(items) == COUNTS[rel]
    assert items[0].seq == 0 and items[0].is_global
    for ext in (".plan", ".waypoints"):
        back = load_mission_items(save_mission_items(items, tmp_path / f"m{ext}"))
        a = [key(dataclasses.replace(x, current=0)) for x in items]
        b = [key(dataclasses.replace(x, current=0)) for x in back]
        assert a == b


@pytest.mark.shared_data
def test_real_waypoint_values():
    items = load_mission_items(shared_path("missions", "waypoints", "missionplanner_sample.waypoints"))
    assert items[1].lat_deg == pytest.approx(47.661298, abs=1e-9)
    assert items[1].lon_deg == pytest.approx(-122.103274, abs=1e-9)
    assert items[1].frame == 3 and items[1].z == 100.0
    yuk = load_mission_items(shared_path("missions", "waypoints", "terrain_survey_yukon.waypoints"))
    assert yuk[2].frame == MavFrame.GLOBAL_TERRAIN_ALT and yuk[3].command == MavCmd.DO_SET_CAM_TRIGG_DIST


@pytest.mark.shared_data
def test_real_plan_expands_survey():
    items = load_mission_items(shared_path("missions", "plan", "ardupilot_copter_survey.plan"))
    assert items[1].command == MavCmd.NAV_TAKEOFF
    assert sum(1 for i in items if i.command == MavCmd.DO_SET_CAM_TRIGG_DIST) > 0
    assert items[-1].command == MavCmd.NAV_RETURN_TO_LAUNCH


def _sample_items():
    return (MissionItem(0, 16, 0, x=443000000, y=-714500000, z=612.5, current=1),
            MissionItem.at(1, MavCmd.NAV_TAKEOFF, 44.3, -71.45, 110.0, frame=3),
            MissionItem(2, MavCmd.DO_CHANGE_SPEED, 2, 1.0, 10.0, -1.0),
            MissionItem.at(3, MavCmd.NAV_WAYPOINT, 44.3012345, -71.4512345, 723.25, frame=0),
            MissionItem(4, MavCmd.DO_SET_CAM_TRIGG_DIST, 2, 22.1, 0.0, 1.0),
            MissionItem(5, MavCmd.NAV_WAYPOINT, 10, float("nan"), x=443100001, y=-714400009, z=110.0),
            MissionItem(6, MavCmd.NAV_RETURN_TO_LAUNCH, 2))


def test_write_read_exact(tmp_path):
    items = _sample_items()
    assert [key(x) for x in parse_waypoints(format_waypoints(items))] == [key(x) for x in items]
    assert [key(x) for x in parse_plan(format_plan(items))] == [key(x) for x in items]


def test_plan_schema_fields():
    doc = json.loads(format_plan(_sample_items()))
    assert doc["fileType"] == "Plan" and doc["groundStation"] == "QGroundControl" and doc["version"] == 1
    m = doc["mission"]
    assert m["version"] == 2 and m["plannedHomePosition"] == [44.3, -71.45, 612.5]
    for k in ("cruiseSpeed", "firmwareType", "globalPlanAltitudeMode", "hoverSpeed", "vehicleType"):
        assert k in m
    nav = m["items"][2]
    assert nav["type"] == "SimpleItem" and len(nav["params"]) == 7 and nav["AltitudeMode"] == 2
    assert {"AMSLAltAboveTerrain", "Altitude", "autoContinue", "doJumpId", "frame", "command"} <= set(nav)
    assert m["items"][4]["params"][0] is None  # NaN is written as null
    assert doc["geoFence"]["version"] == 2 and doc["rallyPoints"]["version"] == 2


@pytest.mark.parametrize("name,fmt", [("items.waypoints", format_waypoints), ("items.plan", format_plan)])
def test_golden_item_files(name, fmt):
    text = fmt(_sample_items())
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_waypoints_tabs_and_home_index():
    lines = format_waypoints(_sample_items()).splitlines()
    assert lines[0] == "QGC WPL 110"
    f = lines[1].split("\t")
    assert len(f) == 12 and f[0] == "0" and f[8] == "44.30000000" and f[9] == "-71.45000000"


def test_bad_files(tmp_path):
    p = tmp_path / "x.plan"
    p.write_text('{"fileType": "GeoFence"}')
    with pytest.raises(FormatError, match="fileType"):
        load_mission_items(p)
    p.write_text("hello")
    with pytest.raises(FormatError, match="neither"):
        load_mission_items(p)
    with pytest.raises(FormatError, match="12"):
        parse_waypoints("QGC WPL 110\n0\t1\t0\t16\n")
    with pytest.raises(FormatError, match="P5 is latitude"):
        parse_waypoints("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t-122.1\t47.6\t5\t1\n")
    with pytest.raises(SarIOError):
        load_mission_items(tmp_path / "missing.plan")
