"""Connection strings, tlog recording, reconnect, replay."""

from __future__ import annotations

import time

import pytest

from geo.errors import InputError
from telemetry import MavlinkLink, TlogReplayLink, Vehicle, parse_connection, read_tlog
from tests.conftest import shared_path
from tests.telemetry.conftest import running_vehicle


@pytest.mark.parametrize("text, kind, device", [
    ("tcp:127.0.0.1:5760", "tcp", "tcp:127.0.0.1:5760"),
    ("udp:0.0.0.0:14550", "udpin", "udpin:0.0.0.0:14550"),
    ("udp::14550", "udpin", "udpin:0.0.0.0:14550"),
    ("UDPOUT:10.0.0.2:14550", "udpout", "udpout:10.0.0.2:14550"),
    ("/dev/ttyUSB0", "serial", "/dev/ttyUSB0"),
    ("/dev/ttyACM0:115200", "serial", "/dev/ttyACM0"),
    ("COM3,57600", "serial", "COM3"),
])
def test_parse_connection(text, kind, device):
    spec = parse_connection(text)
    assert (spec.kind, spec.device) == (kind, device)


def test_parse_connection_baud():
    assert parse_connection("/dev/ttyACM0:115200").baud == 115200
    assert parse_connection("/dev/ttyUSB0", baud=921600).baud == 921600


@pytest.mark.parametrize("bad", ["tcp:127.0.0.1", "tcp:host:99999", "http://x", "", "/dev/ttyUSB0:12345"])
def test_parse_connection_rejects_with_hint(bad):
    with pytest.raises(InputError, match="allowed|baud"):
        parse_connection(bad)


def test_session_records_a_readable_tlog(tmp_path):
    path = tmp_path / "rec.tlog"
    with running_vehicle() as (sv, conn):
        with MavlinkLink(conn, tlog_path=path) as link:
            v = Vehicle(link)
            v.connect(10.0)
            v.wait_until(lambda s: s.has_position, 20.0, "position")
            v.pump(0.5)
    log = read_tlog(path)
    assert log.summary.corrupt_packets == 0
    assert log.summary.counts["HEARTBEAT"] >= 2
    assert log.summary.counts.get("COMMAND_LONG", 0) >= 1  # what we sent is recorded too
    assert abs(log.track.lat_deg.mean() - 46.5) < 1e-4


def test_link_loss_is_reported_and_link_reconnects():
    events = []
    with running_vehicle() as (sv, conn):
        with MavlinkLink(conn, link_lost_s=0.5, reconnect_interval_s=0.2, on_event=events.append) as link:
            v = Vehicle(link)
            v.connect(10.0)
            sv.drop_client()
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline and not any(e.kind == "reconnected" for e in events):
                v.pump(0.1)
            kinds = [e.kind for e in events]
            assert "lost" in kinds and "reconnected" in kinds
            assert kinds.index("lost") < kinds.index("reconnected")
            assert sv.connections >= 2
            hb = link.wait_heartbeat(5.0)  # and it works again
            assert hb.get_srcSystem() == 1


def test_replay_link_counts_corrupt_packets_of_real_flight():
    p = shared_path("logs", "tlog", "real_copter_corrupt_packets.tlog")
    with TlogReplayLink(p) as link:
        n = sum(1 for _ in link.messages_all())
    assert link.corrupt_packets == 1314
    assert n > 70_000 and link.finished


def test_replay_link_paces_by_timestamps(tmp_path):
    path = tmp_path / "rec.tlog"
    with running_vehicle() as (sv, conn), MavlinkLink(conn, tlog_path=path) as link:
        link.wait_heartbeat(10.0)
        Vehicle(link).pump(1.0)
    with TlogReplayLink(path, speed=0) as fast:
        all_msgs = list(fast.messages_all())
    span = all_msgs[-1]._timestamp - all_msgs[0]._timestamp
    assert span > 0.5
    with TlogReplayLink(path, speed=4.0) as paced:
        t0 = time.monotonic()
        got = []
        while not paced.finished:
            got += paced.poll(0.1)
        wall = time.monotonic() - t0
    assert len(got) == len(all_msgs)
    assert wall >= 0.8 * span / 4.0  # never faster than asked (a lower bound, not a timing assertion)


def test_listening_ground_station_udp_in():
    """The vehicle sends to a listening ground station (SITL to 14550), connected as pilots do: udp:HOST:PORT."""
    import socket

    from sim.vehicle import SimVehicle, VehicleConfig

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with MavlinkLink(f"udp:127.0.0.1:{port}") as link:
        with SimVehicle(VehicleConfig(ekf_ready_s=1.0, gps_fix_s=0.5), tcp_port=None, udp_out=("127.0.0.1", port),
                        speedup=10.0):
            v = Vehicle(link)
            v.connect(10.0)  # the vehicle spoke first; our replies go back to where it came from
            v.wait_until(lambda st: st.has_position, 10.0, "position")
            v.set_mode("GUIDED")
            assert v.state.mode == "GUIDED"


def test_nothing_listening_is_a_link_error_with_hint():
    import socket

    from geo.errors import LinkError

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # a port where nothing listens
    with pytest.raises(LinkError, match="Hint: is the vehicle"):
        MavlinkLink(f"tcp:127.0.0.1:{port}")


def test_a_failed_connect_leaves_no_tlog(tmp_path):
    import socket

    from geo.errors import LinkError

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(LinkError):
        MavlinkLink(f"tcp:127.0.0.1:{port}", tlog_path=tmp_path / "flight.tlog")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_serial_device_is_named_before_pymavlink_opens_it(tmp_path):
    from geo.errors import LinkError

    with pytest.raises(LinkError, match="serial device /dev/ttyNOPE-thermal-sar does not exist; check the port"):
        MavlinkLink("/dev/ttyNOPE-thermal-sar:57600", tlog_path=tmp_path / "flight.tlog")
    assert list(tmp_path.iterdir()) == []


def test_serial_links_have_their_package():
    import serial  # noqa: F401  (pyserial: pymavlink imports it for every serial link)


def test_vehicle_state_from_a_replayed_flight(tmp_path):
    """The same Vehicle code runs on a replay: the recorded mission progress comes back."""
    from tests.telemetry.conftest import survey_items

    path = tmp_path / "fly.tlog"
    with running_vehicle(speedup=40.0) as (sv, conn), MavlinkLink(conn, tlog_path=path) as link:
        v = Vehicle(link)
        v.connect(10.0)
        v.upload_mission(survey_items(2))
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 20.0, "position")
        v.set_mode("GUIDED")
        v.arm(timeout_s=20.0)
        v.start_mission()
        v.wait_until(lambda s: not s.armed and len(s.mission_reached) >= 3, 60.0, "mission end")
        live = v.state
    with TlogReplayLink(path) as replay:
        r = Vehicle(replay)
        r.connect(5.0)
        while not replay.finished:
            r.pump(0.0)
    assert r.state.mission_reached == live.mission_reached
    assert r.state.armed is False and r.state.mode == live.mode


def test_simulator_lets_a_reconnecting_client_in_when_the_old_one_hung_up_unseen():
    """A ground station closes its socket and connects again while the simulator is busy (its world
    paused for a frame): the new client's connection and the old one's end-of-stream arrive in the
    same poll. The simulator must drop the dead client and accept the new one, whatever the order."""
    import socket

    with running_vehicle() as (sv, conn):
        port = int(conn.rsplit(":", 1)[1])
        a = socket.create_connection(("127.0.0.1", port), timeout=5.0)
        deadline = time.monotonic() + 5.0
        while sv.connections < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sv.connections == 1
        with sv._lock:  # the simulator's loop waits here, as while it renders a frame
            b = socket.create_connection(("127.0.0.1", port), timeout=5.0)  # queued behind the lock
            a.close()
        b.settimeout(5.0)
        try:
            assert b.recv(64)  # heartbeats flow to the new client
        finally:
            b.close()
        assert sv.connections == 2
