"""The overwatch pattern: orbit geometry, heights over terrain, endurance, errors, files and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import FlatTerrain, synthetic_mountain
from geo.coords import distance_m
from geo.errors import InputError, OutOfCoverageError, SarError
from mission import MavCmd, MavFrame, VehicleLimits, load_mission_items, orbit_speed_m_s, plan_overwatch, write_plan
from telemetry.mission_protocol import ardupilot_roundtrip
from tests.mission.conftest import ORIGIN, xy_to_ll
from thermal_sar.cli import main

LAUNCH = xy_to_ll(200.0, 250.0)  # about 320 m north-east of the point


@pytest.fixture(scope="module")
def mountain():
    return synthetic_mountain()


def _items(plan):
    return plan.sorties[0].items


def test_flat_orbit_items_and_figures():
    plan = plan_overwatch(ORIGIN, radius_m=80, agl_m=60, terrain=FlatTerrain(500.0), launch=LAUNCH)
    ow = plan.meta["overwatch"]
    items = _items(plan)
    assert [it.seq for it in items] == list(range(len(items)))
    assert items[1].command == MavCmd.NAV_TAKEOFF and items[1].z == pytest.approx(60.0)
    assert items[2].command == MavCmd.DO_CHANGE_SPEED
    roi, loiter = items[ow.roi_seq], items[ow.loiter_seq]
    assert ow.roi_seq + 1 == ow.loiter_seq
    assert roi.command == MavCmd.DO_SET_ROI_LOCATION and (roi.lat_deg, roi.lon_deg) == pytest.approx(ORIGIN, abs=1e-7)
    assert roi.z == pytest.approx(500.0) and roi.frame == MavFrame.GLOBAL  # the ground at the point, AMSL
    assert loiter.command == MavCmd.NAV_LOITER_TURNS and loiter.param3 == 80.0 and loiter.z == pytest.approx(560.0)
    assert loiter.param1 == ow.laps and float(loiter.param1).is_integer()
    assert items[ow.loiter_seq + 1].command == MavCmd.DO_SET_ROI_NONE
    assert items[-1].command == MavCmd.NAV_RETURN_TO_LAUNCH
    # The entry waypoint is on the circle, on the launch side, at the orbit altitude.
    entry = items[ow.roi_seq - 1]
    assert distance_m(entry.lat_deg, entry.lon_deg, *ORIGIN) == pytest.approx(80.0, abs=0.05)
    assert entry.z == pytest.approx(loiter.z)
    # ArduCopter's circle speed: min(10 m/s, sqrt(0.5 * 2.5 m/s^2 * 80 m) = 10 m/s, 20 deg/s * 80 m).
    assert ow.orbit_speed_m_s == pytest.approx(10.0) and ow.orbit_period_s == pytest.approx(2 * math.pi * 8.0, abs=0.01)
    assert ow.depression_min_deg == pytest.approx(math.degrees(math.atan2(60, 80)), abs=0.01)
    assert ow.slant_range_max_m == pytest.approx(100.0, abs=0.1)
    assert ow.orbit_agl_min_m == ow.orbit_agl_max_m == pytest.approx(60.0)
    # Time budget: everything adds up to the flight time, which fits the usable endurance.
    parts = ow.climb_s + ow.transit_out_s + ow.transit_back_s + ow.descent_s + ow.time_on_station_s
    assert ow.flight_time_s == pytest.approx(parts + 0.5 * 10.0 / 2.5, abs=0.3)
    usable = VehicleLimits().usable_s
    assert ow.flight_time_s <= usable and usable - ow.flight_time_s < ow.orbit_period_s + 0.5
    assert ow.laps == math.floor(ow.max_time_on_station_s / ow.orbit_period_s)
    # ArduPilot stores it as planned (whole-metre radius, whole turns): the upload verifies.
    for it in items[1:]:
        assert ardupilot_roundtrip(it) == ardupilot_roundtrip(ardupilot_roundtrip(it))
        if it.command == MavCmd.NAV_LOITER_TURNS:
            assert ardupilot_roundtrip(it).param3 == it.param3 and ardupilot_roundtrip(it).param1 == it.param1


def test_orbit_speed_limits():
    veh = VehicleLimits()
    assert orbit_speed_m_s(20.0, veh) == pytest.approx(math.sqrt(0.5 * 2.5 * 20))  # centripetal limit
    assert orbit_speed_m_s(500.0, veh) == pytest.approx(10.0)  # cruise speed
    assert orbit_speed_m_s(20.0, veh, circle_rate_deg_s=5.0) == pytest.approx(math.radians(5) * 20)


def test_counter_clockwise_and_time_limit():
    plan = plan_overwatch(ORIGIN, radius_m=120, agl_m=60, terrain=FlatTerrain(0.0), launch=LAUNCH, clockwise=False,
                          time_on_station_s=300.0)
    ow = plan.meta["overwatch"]
    assert _items(plan)[ow.loiter_seq].param3 == -120.0  # ArduPilot: negative radius = counter-clockwise
    assert ow.time_on_station_s <= 300.0 and ow.laps == math.floor(300.0 / ow.orbit_period_s)
    # The drawn orbit goes round the other way: bearings from the point decrease.
    b = [math.atan2(*(np.array(xy_to_local(p)))) for p in plan.orbit[:3]]
    assert (b[1] - b[0] + math.pi) % (2 * math.pi) - math.pi < 0


def xy_to_local(p):
    from geo.frames import LocalFrame

    return LocalFrame.at(*ORIGIN).to_local(p[0], p[1])


def test_terrain_orbit_keeps_band_and_clearance(mountain):
    for x, y in ((0.0, 0.0), (-900.0, 600.0), (700.0, -800.0)):
        pt = xy_to_ll(x, y)
        plan = plan_overwatch(pt, radius_m=80, agl_m=60, terrain=mountain, launch=xy_to_ll(x + 150, y + 300))
        ow = plan.meta["overwatch"]
        assert 50.0 - 1e-6 <= ow.orbit_agl_min_m <= ow.orbit_agl_max_m <= 70.0 + 1e-6
        assert 50.0 - 0.5 <= ow.agl_min_m and ow.agl_max_m <= 70.0 + 0.5
        assert ow.clearance_min_m >= 40.0  # minimum safe 30 m + DEM margin 10 m
        for w in plan.waypoints:  # every waypoint in the band over the DEM
            g = float(mountain.elevation_m(w.lat_deg, w.lon_deg))
            assert 50.0 - 1e-6 <= w.alt_amsl_m - g <= 70.0 + 1e-6
        if ow.mode == "waypoints":  # steep ground: a ring repeated by DO_JUMP, the ROI before it
            items = _items(plan)
            jump = next(it for it in items if it.command == 177)
            assert jump.param1 == ow.loiter_seq and jump.param2 == ow.laps - 1
            ring = [w for w in plan.waypoints if w.kind == "orbit"]
            assert all(distance_m(w.lat_deg, w.lon_deg, *pt) == pytest.approx(80.0, abs=0.05) for w in ring)
        else:
            assert ow.terrain_relief_m <= 18.0


def test_terrain_frame_is_one_loiter_following_the_ground(mountain):
    pt = xy_to_ll(-900.0, 600.0)
    plan = plan_overwatch(pt, radius_m=80, agl_m=60, terrain=mountain, launch=xy_to_ll(-750, 900),
                          altitude_frame="terrain")
    ow = plan.meta["overwatch"]
    loiter = _items(plan)[ow.loiter_seq]
    assert ow.mode == "loiter" and loiter.frame == MavFrame.GLOBAL_TERRAIN_ALT and loiter.z == 60.0
    assert any("terrain frame" in w for w in plan.warnings)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=st.floats(-2500, 2500), y=st.floats(-2500, 2500), r=st.floats(15, 300), agl=st.floats(50, 110),
       bearing=st.floats(0, 360), dist=st.floats(0, 1500))
def test_invariants_over_random_orbits(mountain, x, y, r, agl, bearing, dist):
    """Wherever it plans: the band holds all round the orbit, the clearance holds, the plan fits the battery."""
    lx, ly = x + dist * math.sin(math.radians(bearing)), y + dist * math.cos(math.radians(bearing))
    try:
        plan = plan_overwatch(xy_to_ll(x, y), radius_m=r, agl_m=agl, terrain=mountain, launch=xy_to_ll(lx, ly))
    except InputError as exc:  # too rough, or no time left: refused with a message, never a wrong plan
        assert "Hint" in str(exc)
        return
    ow = plan.meta["overwatch"]
    assert agl - 10.0 - 1e-6 <= ow.orbit_agl_min_m and ow.orbit_agl_max_m <= agl + 10.0 + 1e-6
    assert ow.clearance_min_m >= 40.0 - 1e-6
    assert ow.laps >= 1 and ow.flight_time_s <= VehicleLimits().usable_s + 1e-6


def test_errors_are_clear(mountain):
    with pytest.raises(InputError, match=r"radius_m=5 is too small for the vehicle: allowed 15\.\.2000 m.*Hint"):
        plan_overwatch(ORIGIN, radius_m=5, agl_m=60, terrain=mountain, launch=LAUNCH)
    with pytest.raises(InputError, match="radius_m=2500"):
        plan_overwatch(ORIGIN, radius_m=2500, agl_m=60, terrain=mountain, launch=LAUNCH)
    with pytest.raises(OutOfCoverageError, match="outside the DEM.*Hint"):
        plan_overwatch((31.5, 119.45), radius_m=80, agl_m=60, terrain=mountain, launch=LAUNCH)
    with pytest.raises(InputError, match="swapped"):
        plan_overwatch((ORIGIN[1], ORIGIN[0]), radius_m=80, agl_m=60, terrain=mountain)
    with pytest.raises(InputError, match=r"agl_m=130.*allowed 50\.\.110"):
        plan_overwatch(ORIGIN, radius_m=80, agl_m=130, terrain=mountain, launch=LAUNCH)
    far = xy_to_ll(0.0, 6000.0)
    with pytest.raises(InputError) as ei:
        plan_overwatch(xy_to_ll(0, 0), radius_m=80, agl_m=60, terrain=FlatTerrain(0.0), launch=far,
                       vehicle=VehicleLimits(endurance_s=900.0, reserve_s=300.0))
    msg = str(ei.value)
    assert "no time on station" in msg and "6.00 km" in msg and "--endurance" in msg
    need = int(msg.split("endurance of at least ")[1].split(" min")[0])
    ok = plan_overwatch(xy_to_ll(0, 0), radius_m=80, agl_m=60, terrain=FlatTerrain(0.0), launch=far,
                        vehicle=VehicleLimits(endurance_s=need * 60.0, reserve_s=300.0))
    assert ok.meta["overwatch"].laps >= 1  # the endurance the message names is enough


def test_radius_rounded_as_ardupilot_stores_it():
    plan = plan_overwatch(ORIGIN, radius_m=80.4, agl_m=60, terrain=FlatTerrain(0.0), launch=LAUNCH)
    assert plan.meta["overwatch"].radius_m == 80.0 and any("whole metres" in w for w in plan.warnings)
    plan = plan_overwatch(ORIGIN, radius_m=304, agl_m=60, terrain=FlatTerrain(0.0), launch=LAUNCH)
    ow = plan.meta["overwatch"]
    assert ow.radius_m == 300.0 and _items(plan)[ow.loiter_seq].param3 == 300.0
    assert ardupilot_roundtrip(_items(plan)[ow.loiter_seq]).param3 == 300.0


def test_files_and_geojson_roles(tmp_path, mountain):
    plan = plan_overwatch(ORIGIN, radius_m=80, agl_m=60, terrain=mountain, launch=LAUNCH)
    ow = plan.meta["overwatch"]
    paths = [p for ext in (".plan", ".waypoints", ".kml", ".gpx", ".geojson")
             for p in write_plan(plan, tmp_path / f"ow{ext}")]
    assert len(paths) == 5
    for p in paths[:2]:
        back = load_mission_items(p)
        assert [it.command for it in back] == [it.command for it in _items(plan)]
    doc = json.loads((tmp_path / "ow.geojson").read_text())
    roles = [f["properties"]["role"] for f in doc["features"]]
    assert "area" not in roles and roles.count("orbit") == 1 and roles.count("point_of_interest") == 1
    orbit = next(f for f in doc["features"] if f["properties"]["role"] == "orbit")
    coords = orbit["geometry"]["coordinates"]
    assert coords[0] == coords[-1] and len(coords[0]) == 3
    assert all(distance_m(c[1], c[0], *ORIGIN) == pytest.approx(80.0, abs=0.05) for c in coords)
    assert orbit["properties"]["laps"] == ow.laps and orbit["properties"]["radius_m"] == 80.0
    poi = next(f for f in doc["features"] if f["properties"]["role"] == "point_of_interest")
    assert poi["geometry"]["coordinates"][:2] == [ORIGIN[1], ORIGIN[0]]
    assert doc["properties"]["pattern"] == "overwatch" and doc["properties"]["overwatch"]["laps"] == ow.laps
    kml = (tmp_path / "ow.kml").read_text()
    assert "<name>orbit</name>" in kml and "point of interest" in kml and "search area" not in kml
    gpx = (tmp_path / "ow.gpx").read_text()
    assert "<name>orbit</name>" in gpx and "point of interest" in gpx


def test_cli_writes_mission_and_summary(tmp_path, capsys):
    out = tmp_path / "overwatch.plan"
    rc = main(["plan", "--pattern", "overwatch", "--at", f"{ORIGIN[0]},{ORIGIN[1]}", "--radius", "80", "--agl", "60",
               "--launch", f"{LAUNCH[0]},{LAUNCH[1]}", "--out", str(out), "--out", str(tmp_path / "o.geojson")])
    text = capsys.readouterr().out
    assert rc == 0, text
    for word in ("time on station", "one lap every 50 s", "height above ground", "altitude AMSL",
                 "37..37 deg below the horizon", "GSD at the point", "wrote"):
        assert word in text, word
    assert load_mission_items(out)[5].command == MavCmd.NAV_LOITER_TURNS


@pytest.mark.parametrize("args, msg", [
    (["--radius", "80", "--agl", "60"], "needs --at"),
    (["--at", "30.38,119.45", "--agl", "60"], "needs --radius"),
    (["--at", "30.38,119.45", "--radius", "80"], "needs --agl"),
    (["--at", "30.38,119.45", "--radius", "5", "--agl", "60"], "too small for the vehicle"),
    (["--at", "30.38,119.45", "--radius", "80", "--agl", "60", "--points", "30.1,119.1 30.2,119.2 30.1,119.2"],
     "leave out --area"),
    (["--pattern", "sector", "--datum", "30.38,119.45", "--at", "30.38,119.45"], "--at is the point of --pattern overwatch"),
    (["--pattern", "sector", "--datum", "30.38,119.45", "--ccw"], "belong to --pattern overwatch"),
])
def test_cli_errors_are_one_red_line(tmp_path, capsys, args, msg):
    pattern = [] if "--pattern" in args else ["--pattern", "overwatch"]
    rc = main(["plan", *pattern, *args, "--out", str(tmp_path / "o.plan")])
    err = capsys.readouterr().err
    assert rc != 0 and msg in err and "Traceback" not in err
    assert not (tmp_path / "o.plan").exists()


def test_sar_error_root():
    with pytest.raises(SarError):
        plan_overwatch(ORIGIN, radius_m=float("nan"), agl_m=60)


@pytest.mark.shared_data
def test_cli_on_the_real_dem(tmp_path, capsys):
    """The issue's command on SRTM (White Mountains): the band and the clearance hold over real terrain."""
    from geo.terrain import load_terrain
    from tests.conftest import shared_path

    dem = shared_path("dem", "N44W072.hgt")
    out = tmp_path / "overwatch.geojson"
    rc = main(["plan", "--pattern", "overwatch", "--at", "44.2950,-71.4650", "--radius", "80", "--agl", "60",
               "--launch", "44.29235,-71.46192", "--dem", str(dem), "--out", str(tmp_path / "o.plan"),
               "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    ow = json.loads(out.read_text())["properties"]["overwatch"]
    assert 50.0 <= ow["orbit_agl_min_m"] and ow["orbit_agl_max_m"] <= 70.0 and ow["clearance_min_m"] >= 40.0
    assert ow["laps"] >= 20  # about 300 m from the launch: most of the 24 usable minutes on station
    terrain = load_terrain([dem])
    for it in load_mission_items(tmp_path / "o.plan")[3:]:
        if it.command == MavCmd.NAV_WAYPOINT:
            assert 50.0 - 1e-6 <= it.z - float(terrain.elevation_m(it.lat_deg, it.lon_deg)) <= 70.0 + 1e-6
    rc = main(["plan", "--pattern", "overwatch", "--at", "45.2950,-71.4650", "--radius", "80", "--agl", "60",
               "--dem", str(dem), "--out", str(tmp_path / "x.plan")])
    assert rc != 0 and "outside the DEM" in capsys.readouterr().err
