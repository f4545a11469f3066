"""The simulated ArduCopter: behaves like ArduCopter where a ground station can tell."""

from __future__ import annotations

import pytest

from geo.errors import LinkTimeout
from mission.items import MavCmd, MissionItem
from sim.vehicle_model import VehicleConfig, VehicleModel
from telemetry import CommandError, MavlinkLink, Vehicle
from tests.telemetry.conftest import HOME, running_vehicle, survey_items


def test_arming_waits_for_position_estimate_like_sitl():
    m = VehicleModel(VehicleConfig(ekf_ready_s=10.0, gps_fix_s=2.0))
    m.set_mode("STABILIZE")
    assert m.arm(True) == (4, "PreArm: GPS 1: Bad fix")
    m.step(5.0)
    assert m.arm(True) == (4, "PreArm: Need Position Estimate")
    m.step(5.0)
    assert m.set_mode("GUIDED") == (0, "")
    assert m.arm(True) == (0, "")


def test_auto_is_not_armable_and_needs_a_takeoff_item():
    m = VehicleModel(VehicleConfig(ekf_ready_s=0.0, gps_fix_s=0.0))
    m.step(0.1)
    m.mission = [MissionItem(0, 16, 0), MissionItem.at(1, MavCmd.NAV_WAYPOINT, 46.5, 8.0, 20)]
    m.mode = "AUTO"
    assert m.arm(True)[1] == "Arm: Mode not armable"
    m.set_mode("GUIDED")
    m.arm(True)
    assert m.set_mode("AUTO") == (4, "Auto: Missing Takeoff Cmd")


def test_kinematics_respect_speed_climb_and_wind_tilt():
    cfg = VehicleConfig(ekf_ready_s=0.0, gps_fix_s=0.0, speed_m_s=5.0, climb_m_s=2.5, wind_east_m_s=5.0)
    m = VehicleModel(cfg)
    m.step(0.1)
    m.set_mode("GUIDED")
    m.arm(True)
    m.takeoff(10.0)
    for _ in range(20):
        m.step(0.1)
    assert m.alt_rel_m == pytest.approx(5.0, abs=0.01)  # 2 s at 2.5 m/s
    m.target = (100.0, 0.0, 10.0)
    for _ in range(40):
        m.step(0.1)
    assert m.north_m <= 4 * 5.0 + 1e-6
    assert m.roll_deg < -5.0  # leaning west into an east wind while flying north
    assert m.battery_v < cfg.battery_full_v


def test_fly_mission_reports_progress_and_camera_feedback(tmp_path):
    with running_vehicle(speedup=40.0) as (sv, conn), MavlinkLink(conn, tlog_path=tmp_path / "f.tlog") as link:
        v = Vehicle(link)
        v.connect(10.0)
        items = survey_items(4)
        items.insert(1, MissionItem(0, MavCmd.DO_SET_CAM_TRIGG_DIST, 2, param1=10.0))
        items = [it.with_seq(i + 1) for i, it in enumerate(items)]
        full, _, mism = v.upload_mission(items)
        assert mism == ()
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 20.0, "position")
        with pytest.raises(CommandError, match="not armable"):
            link_mode_auto_then_arm(v)
        v.set_mode("GUIDED")
        v.arm(timeout_s=20.0)
        v.start_mission()
        seen = set()
        v.wait_until(lambda s: seen.add(s.mission_current_seq) or (not s.armed and len(s.mission_reached) >= 6),
                     60.0, "mission end")
        st = v.state
        assert st.mission_reached[:6] == (1, 3, 4, 5, 6, 7)  # NAV items; the DO item (2) is not "reached"
        assert {3, 4, 5, 6} <= seen  # MISSION_CURRENT followed the mission
        assert st.camera_images >= 10  # ~160 m of track at one image per 10 m
        assert st.alt_rel_m == pytest.approx(0.0, abs=0.1)  # RTL landed at home
        assert abs(st.lat_deg - HOME[0]) < 2e-5


def link_mode_auto_then_arm(v):
    v.set_mode("AUTO")
    try:
        v.arm(timeout_s=2.0)
    finally:
        v.set_mode("GUIDED")


def test_arm_retries_until_position_estimate():
    with running_vehicle(speedup=10.0, ekf_ready_s=8.0) as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        v.command(176, 1, 0)  # STABILIZE is armable without position
        v.arm(timeout_s=20.0, retry_interval_s=0.2)
        assert v.state.armed
        assert any("Need Position Estimate" in t for t in v.state.statustexts)


def test_arm_gives_up_on_non_transient_refusal():
    with running_vehicle() as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        v.wait_until(lambda s: s.has_position, 20.0, "position")
        v.set_mode("LAND")
        with pytest.raises(CommandError, match="not armable"):
            v.arm(timeout_s=10.0)


def test_set_message_interval_changes_rates():
    with running_vehicle(speedup=10.0) as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        v.request_streams({30: 20.0})
        v.pump(0.3)
        assert sv._rates[30] == pytest.approx(20.0)
        with pytest.raises(LinkTimeout):
            v.wait_until(lambda s: False, 0.2, "nothing")


def test_takeoff_pause_rtl_and_land_commands():
    with running_vehicle(speedup=40.0) as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        v.wait_until(lambda s: s.has_position, 20.0, "position")
        v.set_mode("GUIDED")
        v.arm(timeout_s=20.0)
        v.takeoff(15.0)
        assert v.state.alt_rel_m >= 14.0
        sv.model.target = (200.0, 0.0, 15.0)  # flying away north (a GUIDED goto)
        v.pump(0.3)
        v.pause()
        assert v.state.mode == "BRAKE"
        n0 = sv.model.north_m
        v.pump(0.3)
        assert sv.model.north_m == pytest.approx(n0, abs=0.5)  # holding
        v.rtl()
        v.wait_until(lambda s: not s.armed, 60.0, "landed by RTL")
        assert abs(sv.model.north_m) < 1.5 and sv.model.alt_rel_m == 0.0
        v.set_mode("GUIDED")
        v.arm(timeout_s=20.0)
        v.takeoff(10.0)
        v.land()
        v.wait_until(lambda s: not s.armed, 60.0, "landed")
        assert any("Land complete" in t for t in v.state.statustexts)


def test_parameters_list_read_and_set():
    with running_vehicle() as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        link.send(link.mav.param_request_list_encode(1, 1))
        names = set()
        v.link.wait("PARAM_VALUE", 5.0, lambda m: names.add(m.param_id) or len(names) >= 6)
        assert {"WPNAV_SPEED", "RTL_ALT", "TERRAIN_ENABLE"} <= names
        link.send(link.mav.param_set_encode(1, 1, b"RTL_ALT", 3000.0, 9))
        pv = v.link.wait("PARAM_VALUE", 5.0, lambda m: m.param_id == "RTL_ALT")
        assert pv.param_value == 3000.0


def _flying_model():
    m = VehicleModel(VehicleConfig(ekf_ready_s=0.0, gps_fix_s=0.0, home_lat_deg=HOME[0], home_lon_deg=HOME[1],
                                   home_alt_amsl_m=HOME[2]))
    m.step(0.1)
    m.set_mode("GUIDED")
    m.arm(True)
    return m


def _run(m, seconds, dt=0.1):
    events = []
    for _ in range(int(seconds / dt)):
        events += m.step(dt)
    return events


def test_mission_do_jump_loiter_unlimited_and_land_at_position():
    m = _flying_model()
    d = 30.0 / 111_000.0
    m.mission = [MissionItem(0, 16, 0),
                 MissionItem.at(1, MavCmd.NAV_TAKEOFF, HOME[0], HOME[1], 10.0),
                 MissionItem.at(2, MavCmd.NAV_WAYPOINT, HOME[0] + d, HOME[1], 10.0),
                 MissionItem(3, 177, 2, param1=2, param2=1),  # DO_JUMP to 2, once
                 MissionItem.at(4, MavCmd.NAV_LAND, HOME[0], HOME[1] + d, 0.0)]
    assert m.set_mode("AUTO") == (0, "")
    events = _run(m, 120.0)
    reached = [e[1] for e in events if e[0] == "reached"]
    assert reached == [1, 2, 2, 4]  # waypoint 2 flown twice, then the landing item
    assert m.landed and not m.armed
    land_east = m.local(HOME[0], HOME[1] + d)[1]
    assert m.east_m == pytest.approx(land_east, abs=1.0) and land_east > 15.0  # landed at the LAND item
    m2 = _flying_model()
    m2.mission = [MissionItem(0, 16, 0), MissionItem.at(1, MavCmd.NAV_TAKEOFF, HOME[0], HOME[1], 10.0),
                  MissionItem.at(2, MavCmd.NAV_LOITER_UNLIM, HOME[0] + d, HOME[1], 10.0)]
    m2.set_mode("AUTO")
    events = _run(m2, 60.0)
    assert [e[1] for e in events if e[0] == "reached"] == [1]  # the unlimited loiter never completes
    assert m2.mission_running
