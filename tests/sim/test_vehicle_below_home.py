"""The simulated copter flies below its home altitude (a valley) without "landing" there."""

from __future__ import annotations

import pytest

from mission.items import MavCmd, MavFrame, MissionItem
from sim.vehicle_model import VehicleConfig, VehicleModel


def test_waypoint_below_home_is_flown_not_landed():
    cfg = VehicleConfig(home_lat_deg=30.0, home_lon_deg=119.0, home_alt_amsl_m=500.0, gps_fix_s=0.0, ekf_ready_s=0.0,
                        speed_m_s=10.0)
    m = VehicleModel(cfg)
    lat, lon = m.latlon(300.0, 0.0)
    m.mission = [
        MissionItem(0, MavCmd.NAV_WAYPOINT, MavFrame.GLOBAL, x=round(30.0 * 1e7), y=round(119.0 * 1e7), z=500.0),
        MissionItem(1, MavCmd.NAV_TAKEOFF, MavFrame.GLOBAL_RELATIVE_ALT, z=30.0),
        # 40 m below the launch point, 300 m north: a valley.
        MissionItem.at(2, MavCmd.NAV_WAYPOINT, lat, lon, 460.0, frame=MavFrame.GLOBAL),
        MissionItem(3, MavCmd.NAV_RETURN_TO_LAUNCH, MavFrame.GLOBAL_RELATIVE_ALT),
    ]
    assert m.set_mode("GUIDED")[0] == 0
    assert m.arm(True)[0] == 0
    assert m.mission_start()[0] == 0
    lowest = 0.0
    reached = []
    for _ in range(20000):
        for ev in m.step(0.05):
            if ev[0] == "reached":
                reached.append(ev[1])
        lowest = min(lowest, m.alt_rel_m)
        if m.landed and reached and 3 in reached:
            break
    assert 2 in reached
    assert lowest < -35.0  # it went down into the valley ...
    assert m.landed and abs(m.north_m) < 2.0 and abs(m.alt_rel_m) < 0.01  # ... and landed back home


def test_reported_estimate_wanders_with_the_configured_sigma():
    import numpy as np

    cfg = VehicleConfig(est_pos_sigma_m=1.5, est_att_sigma_deg=0.5, est_error_tau_s=20.0, seed=4)
    m = VehicleModel(cfg)
    samples = []
    for _ in range(20000):
        m.step(0.5)
        samples.append(m.est_error.copy())
    e = np.array(samples)
    # Stationary Gauss-Markov: the spread equals sigma (10 000 s / 20 s = 500 correlation times: ~5 % error).
    assert np.std(e[:, 0]) == pytest.approx(1.5, abs=0.2)
    assert np.std(e[:, 1]) == pytest.approx(1.5, abs=0.2)
    assert np.std(e[:, 5]) == pytest.approx(0.5, abs=0.08)
    # Errors are correlated in time (a wandering estimate, not white noise).
    assert np.corrcoef(e[:-1, 0], e[1:, 0])[0, 1] > 0.9
    # Off by default: the other tests see a perfect estimate.
    m0 = VehicleModel(VehicleConfig())
    m0.step(1.0)
    assert not np.any(m0.est_error)
