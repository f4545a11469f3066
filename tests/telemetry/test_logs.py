"""Reading real and synthetic flight logs: corrupt packets, unknown ids, GPS glitches."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from geo.errors import FormatError, SarIOError
from telemetry import read_log, read_tlog
from tests.conftest import shared_path


def test_real_tlog_with_corrupt_packets():
    log = read_log(shared_path("logs", "tlog", "real_copter_corrupt_packets.tlog"))
    s = log.summary
    assert s.corrupt_packets == 1314  # skipped and counted, not fatal
    assert s.messages == 76_791
    assert s.boot_segments == 2  # the autopilot rebooted during the 1,377 s log; the longest boot is kept
    tr = log.track
    assert 790 < tr.duration_s < 800 and len(tr) > 2000
    assert np.all((tr.lat_deg > -35.37) & (tr.lat_deg < -35.36))
    assert tr.gimbal_pitch_deg.min() >= -90.5  # MOUNT_STATUS read
    assert s.gps_glitches < 0.02 * s.gps_samples


def test_mission_planner_tlog_with_message_id_11030():
    # Id 11030 is unknown to MAVLink 1 / common parsers; our MAVLink 2 ArduPilot dialect decodes it
    # (ESC_TELEMETRY_1_TO_4), whatever pymavlink's process-wide state: nothing is lost either way.
    log = read_log(shared_path("logs", "tlog", "sitl_mission_planner.tlog"))
    assert log.summary.counts["ESC_TELEMETRY_1_TO_4"] == 263
    assert log.summary.unknown_ids == {}
    assert log.summary.corrupt_packets == 0
    assert len(log.track) == 256 and log.track.duration_s == pytest.approx(127.5, abs=0.5)


def test_dataflash_gps_glitch_flagged_and_altitude_repaired():
    log = read_log(shared_path("logs", "dataflash", "real_copter_gps_glitch.bin"))
    s = log.summary
    assert s.gps_glitches > 100  # the jumps to 1,0xx-1,892 m while the barometer stays under 12 m
    assert s.gps_no_fix > 0
    tr = log.track
    assert tr.gps_glitch.sum() >= s.gps_no_fix
    assert tr.alt_amsl_m.max() < log.home_alt_amsl_m + 15.0  # no 1,892 m climb in the track
    assert tr.duration_s == pytest.approx(242.3, abs=1.0)


def test_dataflash_copter_43_with_cmd_and_terr():
    log = read_log(shared_path("logs", "dataflash", "real_copter_mission_terrain.bin"))
    assert log.summary.counts["CMD"] == 21 and log.summary.counts["TERR"] == 98
    assert log.track.duration_s == pytest.approx(97.8, abs=0.5)
    assert abs(log.track.lat_deg.mean() - 52.807) < 0.01


def test_dataflash_one_second_sitl():
    log = read_log(shared_path("logs", "dataflash", "sitl_short.bin"))
    assert len(log.track) == 5 and log.track.duration_s < 1.0


def _packet(mav, msg):
    return msg.pack(mav)


def _write_tlog(path, records):
    with open(path, "wb") as f:
        for t, buf in records:
            f.write(struct.pack(">Q", int(t * 1e6)) + buf)


def test_synthetic_tlog_corrupt_and_unknown(tmp_path):
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
    recs = []
    for i in range(20):
        t = 1_700_000_000.0 + i * 0.2
        recs.append((t, _packet(mav, mav.global_position_int_encode(i * 200, 465000000 + i, 80000000, 600000, 100000,
                                                                         0, 0, 0, 0))))
        recs.append((t, _packet(mav, mav.attitude_encode(i * 200, 0.0, 0.0, 0.1, 0, 0, 0))))
    bad = bytearray(recs[4][1])  # a GLOBAL_POSITION_INT
    bad[-1] ^= 0xFF  # broken CRC
    recs[4] = (recs[4][0], bytes(bad))
    # A well-framed MAVLink 2 packet of an id no dialect knows (60000); the CRC cannot be checked.
    payload = bytes(range(20))
    hdr = bytes([0xFD, len(payload), 0, 0, 7, 1, 1]) + (60000).to_bytes(3, "little")
    recs.insert(10, (recs[9][0], hdr + payload + b"\x12\x34"))
    p = tmp_path / "s.tlog"
    _write_tlog(p, recs)
    log = read_tlog(p)
    assert log.summary.corrupt_packets == 1
    assert log.summary.unknown_ids == {60000: 1}
    assert len(log.track) == 19  # the corrupt position sample is dropped, the rest read
    assert log.track.yaw_deg == pytest.approx(np.full(19, np.degrees(0.1)))


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(SarIOError, match="does not exist"):
        read_log(tmp_path / "nope.tlog")
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(FormatError, match="allowed .tlog"):
        read_log(tmp_path / "x.csv")
    (tmp_path / "empty.tlog").write_bytes(b"")
    with pytest.raises(FormatError, match="is empty"):
        read_log(tmp_path / "empty.tlog")


def test_gimbal_device_attitude_status_with_earth_frame_yaw(tmp_path):
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
    recs = []
    # Gimbal pitched 45 deg down, yaw 30 deg from north, earth frame (flags YAW_LOCK | YAW_IN_EARTH_FRAME).
    half_p, half_y = np.radians(-45.0) / 2, np.radians(30.0) / 2
    q = [np.cos(half_y) * np.cos(half_p), -np.sin(half_y) * np.sin(half_p), np.cos(half_y) * np.sin(half_p),
         np.sin(half_y) * np.cos(half_p)]
    for i in range(10):
        t = 1_700_000_000.0 + i * 0.1
        recs.append((t, _packet(mav, mav.global_position_int_encode(i * 100, 465000000, 80000000, 600000, 100000,
                                                                         0, 0, 0, 0))))
        recs.append((t, _packet(mav, mav.gimbal_device_attitude_status_encode(1, 1, i * 100, 16 | 64, q, 0, 0, 0, 0))))
    p = tmp_path / "g.tlog"
    _write_tlog(p, recs)
    tr = read_tlog(p).track
    from geo.camera import MountMode

    assert tr.mount_mode is MountMode.EARTH
    assert tr.gimbal_pitch_deg == pytest.approx(np.full(10, -45.0), abs=1e-3)
    assert tr.gimbal_yaw_deg == pytest.approx(np.full(10, 30.0), abs=1e-3)


@pytest.mark.parametrize("name", ["flight.bin", "flight.tlog", "flight.log"])
def test_empty_logs_say_they_are_empty(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"")
    with pytest.raises(FormatError, match="is empty"):
        read_log(p)


def test_not_a_dataflash_log_is_refused_quietly(tmp_path, capfd):
    # Random bytes, or a tlog given a .bin name: refused from the first bytes, without pymavlink's
    # indexer writing a line per byte to stderr (it did: 74,893 lines for 74 kB).
    rng = np.random.default_rng(3)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes([0x81]) + rng.integers(0, 256, 60_000, dtype=np.uint8).tobytes())
    with pytest.raises(FormatError, match="not a DataFlash log"):
        read_log(garbage)
    tlog_as_bin = tmp_path / "renamed.bin"
    tlog_as_bin.write_bytes(struct.pack(">Q", 1_700_000_000_000_000) + bytes([0xFD, 9, 0, 0, 0, 1, 1, 0, 0, 0])
                            + bytes(20))
    with pytest.raises(FormatError, match="MAVLink telemetry log .give it the .tlog extension."):
        read_log(tlog_as_bin)
    assert len(capfd.readouterr().err.splitlines()) < 5
