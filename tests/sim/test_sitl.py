"""The real-SITL harness, and flying real ArduCopter SITL when a binary is configured.

The mission-protocol tests run against SITL too: tests/telemetry/test_mission_protocol.py (param "sitl").

Without ``ARDUPILOT_SITL`` the ``sitl`` tests skip; the harness itself is
tested with a stand-in script that behaves like arducopter where the harness
can tell (listens on 5760 + 10 * instance, writes into its working dir,
exits on SIGTERM).
"""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.sitl import Sitl, SitlConfig, SitlError, find_defaults, find_sitl_binary, port_listening, sitl_command

FAKE = textwrap.dedent("""\
    #!{python}
    import json, os, signal, socket, sys, time
    argv = sys.argv[1:]
    inst = int([a for a in argv if a.startswith("-I")][0][2:])
    json.dump({{"argv": argv, "cwd": os.getcwd(), "parm": os.path.exists("copter.parm")}}, open("args.json", "w"))
    open(os.environ["FAKE_SITL_RECORD"], "w").write(json.dumps({{"argv": argv, "cwd": os.getcwd()}}))
    if os.environ.get("FAKE_SITL_DIE"):
        print("bad parameter file"); sys.exit(3)
    time.sleep(0.3)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 5760 + 10 * inst)); s.listen(1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    s.settimeout(0.05)
    while True:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        open("accepted", "a").write("1")  # SERIAL0: the first client starts the simulation
        c.close()
""")


@pytest.fixture
def fake_sitl(tmp_path, monkeypatch):
    tree = tmp_path / "ardupilot"
    binary = tree / "build" / "sitl" / "bin" / "arducopter"
    binary.parent.mkdir(parents=True)
    binary.write_text(FAKE.format(python=sys.executable))
    binary.chmod(0o755)
    parm = tree / "Tools" / "autotest" / "default_params" / "copter.parm"
    parm.parent.mkdir(parents=True)
    parm.write_text("FRAME_CLASS 1\n")
    record = tmp_path / "record.json"
    monkeypatch.setenv("FAKE_SITL_RECORD", str(record))
    return binary, parm, record


def _free_instance() -> int:
    for inst in range(7, 60):
        if not port_listening(5760 + 10 * inst):
            return inst
    pytest.skip("no free SITL port")


def test_binary_from_argument_or_environment(fake_sitl, monkeypatch, tmp_path):
    binary, parm, _ = fake_sitl
    monkeypatch.delenv("ARDUPILOT_SITL", raising=False)
    assert find_sitl_binary() is None
    assert find_sitl_binary(binary) == binary
    monkeypatch.setenv("ARDUPILOT_SITL", str(binary))
    assert find_sitl_binary() == binary
    with pytest.raises(SitlError, match="not an executable"):
        find_sitl_binary(tmp_path / "nope")
    assert find_defaults(binary) == parm


def test_command_line_is_what_sim_vehicle_py_runs(fake_sitl):
    binary, parm, _ = fake_sitl
    cfg = SitlConfig(binary, parm, home=(-35.36, 149.16, 584.0, 353.0), speedup=5)
    assert sitl_command(cfg) == [str(binary), "--model", "+", "--speedup", "5", "--defaults", "copter.parm", "-I0",
                                 "--home", "-35.3600000,149.1600000,584.00,353.0"]
    assert cfg.connection == "tcp:127.0.0.1:5760"


def test_harness_starts_waits_without_connecting_and_stops(fake_sitl):
    import json

    binary, parm, record = fake_sitl
    inst = _free_instance()
    cfg = SitlConfig(binary, parm, instance=inst, start_timeout_s=20.0)
    with Sitl(cfg) as s:
        assert port_listening(cfg.port)
        rec = json.loads(record.read_text())
        workdir = Path(rec["cwd"])
        assert workdir == s.workdir and (workdir / "copter.parm").is_file()
        assert rec["argv"][rec["argv"].index("--defaults") + 1] == "copter.parm"
        # The harness never connected: SERIAL0's one client slot is still ours.
        time.sleep(0.3)
        assert not (workdir / "accepted").exists()
        c = socket.create_connection(("127.0.0.1", cfg.port), timeout=2.0)
        c.close()
        deadline = time.monotonic() + 5.0
        while not (workdir / "accepted").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (workdir / "accepted").read_text() == "1"
        proc = s.proc
    assert proc.poll() is not None  # stopped by SIGTERM
    assert not workdir.exists()  # temporary working dir removed
    deadline = time.monotonic() + 5.0
    while port_listening(cfg.port) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_harness_reports_early_exit_with_output(fake_sitl, monkeypatch):
    binary, parm, _ = fake_sitl
    monkeypatch.setenv("FAKE_SITL_DIE", "1")
    cfg = SitlConfig(binary, parm, instance=_free_instance(), start_timeout_s=10.0)
    with pytest.raises(SitlError, match="bad parameter file"):
        with Sitl(cfg):
            pass


# ------------------------------------------------------------ against real SITL
def _real_sitl_config() -> SitlConfig:
    try:
        binary = find_sitl_binary()
    except SitlError as exc:
        pytest.skip(str(exc))
    if binary is None:
        pytest.skip("no ArduPilot SITL binary configured: set ARDUPILOT_SITL=/path/to/arducopter to run this test")
    try:
        return SitlConfig(binary, find_defaults(binary), speedup=int(os.environ.get("ARDUPILOT_SITL_SPEEDUP", "5")),
                          start_timeout_s=60.0)
    except SitlError as exc:
        pytest.skip(str(exc))


@pytest.mark.sitl
def test_real_sitl_arm_and_fly():
    from telemetry import MavlinkLink, Vehicle
    from tests.telemetry.conftest import survey_items

    cfg = _real_sitl_config()
    with Sitl(cfg) as s, MavlinkLink(s.connection, link_lost_s=10.0) as link:
        v = Vehicle(link)
        v.connect(30.0)
        v.wait_until(lambda st: st.has_position and st.home_lat_deg is not None, 120.0, "position")
        home = (v.state.home_lat_deg, v.state.home_lon_deg)
        _, _, mism = v.upload_mission(survey_items(2, home=home))
        assert mism == ()
        v.set_mode("GUIDED")
        v.arm(timeout_s=120.0)  # about 40 s after start on a real build
        v.start_mission()
        v.wait_until(lambda st: 2 in st.mission_reached, 300.0, "waypoint 2")
