"""An overwatch mission written by ``thermal-sar plan --pattern overwatch`` flies on the vehicle.

Against the simulated ArduCopter (CI) and real ArduCopter SITL (``-m sitl``, skipped without
``ARDUPILOT_SITL``): plan with the CLI, load the .plan, upload (verified by download), arm, AUTO, and
watch the telemetry while the orbit item is current. Tolerances: the simulated vehicle tracks the circle
to a few centimetres, so the radius must hold within 2 m; real SITL's position controller lags and
overshoots a little (within 5 m). The ROI is checked from the heading: the nose (the simulated mount
cannot pan, so the vehicle yaws, as ArduCopter does) within 10 deg (SITL 15 deg) of the bearing to the
point, and from MOUNT_STATUS on the simulated vehicle: the gimbal pitched down to the point within 2 deg.
"""

from __future__ import annotations

import math

import pytest

from geo.coords import bearing_deg, distance_m
from geo.terrain import FlatTerrain
from mission import MavCmd, load_mission_items, plan_overwatch, write_plan
from mission.vehicle import VehicleLimits
from tests.telemetry.conftest import running_endpoint
from thermal_sar.cli import main

RADIUS_M = 80.0
AGL_M = 60.0


def _fly_and_watch(v, items, point, loiter_seq, timeout_s):
    """Fly ``items`` (seq 0 = home) and sample (distance, yaw error, gimbal pitch, alt) while ``loiter_seq`` runs."""
    full, report, mism = v.upload_mission(list(items[1:]))
    assert mism == (), mism
    v.set_mode("GUIDED")
    v.arm(timeout_s=120.0)
    v.start_mission()
    samples = []
    last = len(items) - 1

    def watch(s):
        if s.mission_current_seq == loiter_seq and s.lat_deg is not None:
            d = distance_m(s.lat_deg, s.lon_deg, point[0], point[1])
            want = bearing_deg(s.lat_deg, s.lon_deg, point[0], point[1])
            err = abs((s.yaw_deg - want + 180.0) % 360.0 - 180.0)
            samples.append((d, err, s.gimbal_pitch_deg, s.alt_amsl_m, s.lat_deg, s.lon_deg))
        return last in s.mission_reached or (not s.armed and bool(samples) and s.mission_current_seq != loiter_seq)

    v.wait_until(watch, timeout_s, "the end of the overwatch mission")
    return samples


def _swept_deg(samples, point, lat_i=4, lon_i=5):
    """Total signed angle (deg, clockwise positive) swept round the point by the sampled positions."""
    b = [bearing_deg(p[lat_i], p[lon_i], point[0], point[1]) for p in samples]
    return sum((b2 - b1 + 180.0) % 360.0 - 180.0 for b1, b2 in zip(b, b[1:]))


@pytest.mark.parametrize("kind", ["tcp", pytest.param("sitl", marks=pytest.mark.sitl)])
def test_overwatch_orbits_the_point_with_roi(kind, tmp_path, capsys):
    from telemetry import MavlinkLink, Vehicle

    with running_endpoint(kind) as (conn, home), MavlinkLink(conn, link_lost_s=10.0) as link:
        v = Vehicle(link)
        v.connect(30.0)
        st = v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None and s.home_alt_amsl_m is not None,
                          120.0, "position and home")
        hl, hn, ha = st.home_lat_deg, st.home_lon_deg, st.home_alt_amsl_m
        point = (hl + 0.0025, hn + 0.0012)  # about 300 m from home
        # Two laps are enough to see the orbit: a 12-minute battery with a 2-minute reserve and 2 min on station.
        plan = plan_overwatch(point, radius_m=RADIUS_M, agl_m=AGL_M, terrain=FlatTerrain(ha), launch=(hl, hn),
                              vehicle=VehicleLimits(endurance_s=720.0, reserve_s=120.0), time_on_station_s=110.0)
        ow = plan.meta["overwatch"]
        assert ow.mode == "loiter" and ow.laps == 2
        path = write_plan(plan, tmp_path / "overwatch.plan")[0]
        items = load_mission_items(path)
        assert items[ow.loiter_seq].command == MavCmd.NAV_LOITER_TURNS
        assert items[ow.roi_seq].command == MavCmd.DO_SET_ROI_LOCATION
        samples = _fly_and_watch(v, items, point, ow.loiter_seq, 400.0 if kind == "tcp" else 900.0)
    # The simulated vehicle runs 20x real time and the predicate sees the state every 0.1 s of wall clock:
    # a sample about every 2 s of flight, 15 deg of the orbit. Radius and heading after the first samples
    # (the vehicle is on the circle at once, but ArduCopter's yaw still turns towards the point).
    assert len(samples) > 20, f"only {len(samples)} samples while orbiting"
    on = samples[3:]
    tol_r = 2.0 if kind == "tcp" else 5.0
    tol_yaw = 10.0 if kind == "tcp" else 15.0
    radii = [s[0] for s in on]
    assert min(radii) > RADIUS_M - tol_r and max(radii) < RADIUS_M + tol_r, (min(radii), max(radii))
    yaw_err = sorted(s[1] for s in on)
    assert yaw_err[int(0.95 * (len(yaw_err) - 1))] < tol_yaw  # 95 % of the samples point at it
    alts = [s[3] for s in on]
    assert max(alts) - min(alts) < 2.0 and abs(sum(alts) / len(alts) - (ha + AGL_M)) < 2.0
    swept = _swept_deg(samples, point)
    assert swept > 0, "a clockwise orbit was planned"
    assert 2 * 360.0 - 45.0 < swept < 2 * 360.0 + 20.0  # two laps, within about two sample intervals
    if kind == "tcp":
        want = -math.degrees(math.atan2(AGL_M, RADIUS_M))  # the mount points down at the point
        pitches = [s[2] for s in on]
        assert all(abs(p - want) < 2.0 for p in pitches), (min(pitches), max(pitches), want)


def test_cli_overwatch_plan_flies_on_the_simulated_vehicle(tmp_path, capsys):
    """The issue's command, ``thermal-sar plan --pattern overwatch``, then ``thermal-sar fly`` with that file."""
    from tests.telemetry.conftest import HOME, running_vehicle

    out = tmp_path / "overwatch.plan"
    at = f"{HOME[0] + 0.0015:.6f},{HOME[1] + 0.0010:.6f}"
    # A flat DEM-less plan is at 0 m AMSL: fly it in the home frame so heights are above the take-off point.
    rc = main(["plan", "--pattern", "overwatch", "--at", at, "--radius", "80", "--agl", "60", "--launch",
               f"{HOME[0]},{HOME[1]}", "--altitude-frame", "home", "--endurance", "8", "--reserve", "2",
               "--time-on-station", "1", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "time on station" in text and "(1 lap;" in text and "GSD at the point" in text
    with running_vehicle(speedup=40.0) as (sv, conn):
        rc = main(["fly", "--connect", conn, "--mission", str(out), "--tlog", str(tmp_path / "f.tlog")])
        roi = sv.model.roi
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "verified by download: yes" in text
    assert roi is None  # set for the orbit, cleared after it by DO_SET_ROI_NONE


def test_ring_of_waypoints_on_a_hillside_flies_its_laps_with_do_jump():
    """Steep ground: the orbit is a ring of terrain-following waypoints repeated by DO_JUMP.

    The simulated vehicle's home is put at the DEM's ground under the launch, so AMSL altitudes mean
    the same to both. It cuts each corner by at most its 2 m waypoint radius and flies straight chords
    (sagitta under 0.7 m with 24 or more points on 80 m), so the radius holds within 3 m.
    """
    from geo import synthetic_mountain
    from telemetry import MavlinkLink, Vehicle
    from tests.telemetry.conftest import HOME, running_vehicle

    dem = synthetic_mountain(center_lat_deg=HOME[0], center_lon_deg=HOME[1], size_m=3000.0)
    point = (HOME[0] + 0.0025, HOME[1] + 0.0012)
    plan = plan_overwatch(point, radius_m=RADIUS_M, agl_m=AGL_M, terrain=dem, launch=HOME[:2],
                          vehicle=VehicleLimits(endurance_s=720.0, reserve_s=120.0), time_on_station_s=110.0)
    ow = plan.meta["overwatch"]
    assert ow.mode == "waypoints" and ow.laps == 2, (ow.mode, ow.terrain_relief_m)
    items = plan.sorties[0].items
    ring = [w.seq for w in plan.waypoints if w.kind == "orbit"]
    jump = next(it for it in items if it.command == 177)
    assert jump.param1 == ring[0] and jump.param2 == 1 and jump.seq == ring[-1] + 1
    launch_ground = plan.launch[2]
    with running_vehicle(speedup=20.0, home_alt_amsl_m=launch_ground) as (sv, conn), \
            MavlinkLink(conn, link_lost_s=10.0) as link:
        v = Vehicle(link)
        v.connect(30.0)
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 60.0, "position and home")
        full, _, mism = v.upload_mission(list(items[1:]))
        assert mism == ()
        v.set_mode("GUIDED")
        v.arm(timeout_s=60.0)
        v.start_mission()
        samples = []
        last = len(items) - 1

        def watch(s):
            if s.mission_current_seq in ring and s.lat_deg is not None:
                samples.append((distance_m(s.lat_deg, s.lon_deg, *point), s.alt_amsl_m, s.lat_deg, s.lon_deg,
                                s.yaw_deg, bearing_deg(s.lat_deg, s.lon_deg, *point)))
            return last in s.mission_reached or (not s.armed and bool(samples))

        v.wait_until(watch, 400.0, "the end of the overwatch mission")
        reached = v.state.mission_reached
    assert len(samples) > 20
    radii = [s[0] for s in samples[1:]]
    assert RADIUS_M - 3.0 < min(radii) and max(radii) < RADIUS_M + 3.0, (min(radii), max(radii))
    # Heights above the DEM under the vehicle stay in the band (60 +- 10 m) while it orbits.
    agl = [s[1] - float(dem.elevation_m(s[2], s[3])) for s in samples[1:]]
    assert 50.0 - 0.5 < min(agl) and max(agl) < 70.0 + 0.5, (min(agl), max(agl))
    yaw_err = sorted(abs((s[4] - s[5] + 180.0) % 360.0 - 180.0) for s in samples[3:])
    assert yaw_err[int(0.95 * (len(yaw_err) - 1))] < 10.0  # the ROI holds round the ring
    swept = _swept_deg(samples, point, 2, 3)
    assert 2 * 360.0 - 45.0 < swept < 2 * 360.0 + 20.0  # DO_JUMP: the ring flown twice, not once
    assert ring[-1] in reached and jump.seq not in reached  # DO items are not NAV items: never "reached"
