"""Fixtures for telemetry tests: the simulated vehicle on loopback, fast."""

from __future__ import annotations

import contextlib

import pytest

HOME = (46.5, 8.0, 500.0)


@contextlib.contextmanager
def running_vehicle(*, udp: bool = False, speedup: float = 20.0, **cfg):
    """A simulated ArduCopter on a free loopback port; yields (vehicle, connection string)."""
    from sim.vehicle import SimVehicle, VehicleConfig

    kw = {"home_lat_deg": HOME[0], "home_lon_deg": HOME[1], "home_alt_amsl_m": HOME[2], "ekf_ready_s": 4.0,
          "gps_fix_s": 1.0}
    kw.update(cfg)
    if udp:
        sv = SimVehicle(VehicleConfig(**kw), tcp_port=None, udp_port=0, speedup=speedup)
        conn = f"udpout:127.0.0.1:{sv.udp_port}"
    else:
        sv = SimVehicle(VehicleConfig(**kw), tcp_port=0, speedup=speedup)
        conn = f"tcp:127.0.0.1:{sv.tcp_port}"
    with sv:
        yield sv, conn


@contextlib.contextmanager
def running_endpoint(kind: str):
    """A vehicle to test against: "tcp"/"udp" (simulated) or "sitl" (real ArduCopter, skipped when not
    configured). Yields (connection string, home (lat, lon) or None when the vehicle reports it)."""
    if kind == "sitl":
        from tests.sim.test_sitl import _real_sitl_config

        from sim.sitl import Sitl

        with Sitl(_real_sitl_config()) as s:
            yield s.connection, None
        return
    with running_vehicle(udp=kind == "udp") as (sv, conn):
        yield conn, HOME[:2]


@pytest.fixture
def sim_tcp():
    with running_vehicle() as v:
        yield v


@pytest.fixture
def connected(sim_tcp, tmp_path):
    """(sim vehicle, telemetry.Vehicle) connected over TCP with a tlog."""
    from telemetry import MavlinkLink, Vehicle

    sv, conn = sim_tcp
    with MavlinkLink(conn, tlog_path=tmp_path / "t.tlog") as link:
        v = Vehicle(link)
        v.connect(10.0)
        yield sv, v


def survey_items(n: int = 4, alt_m: float = 30.0, *, takeoff: bool = True, spacing_m: float = 40.0,
                 home: tuple[float, float] = HOME[:2]):
    """A small mission near ``home``: takeoff, n waypoints on a square, RTL (no home item)."""
    from mission.items import MavCmd, MissionItem

    items = []
    if takeoff:
        items.append(MissionItem.at(0, MavCmd.NAV_TAKEOFF, home[0], home[1], alt_m))
    d = spacing_m / 111_000.0
    corners = [(d, 0.0), (d, d * 1.45), (0.0, d * 1.45), (0.0, 0.0)]
    for i in range(n):
        dl, dn = corners[i % 4]
        items.append(MissionItem.at(0, MavCmd.NAV_WAYPOINT, home[0] + dl, home[1] + dn, alt_m + i))
    items.append(MissionItem(0, MavCmd.NAV_RETURN_TO_LAUNCH, 2))
    return [it.with_seq(i + 1) for i, it in enumerate(items)]
