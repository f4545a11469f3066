"""``thermal-sar fly`` checks every option before it connects; a failed connect leaves no tlog."""

from __future__ import annotations

import pytest

from thermal_sar.cli import main

PLAN = ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t30.38\t119.45\t500\t1\n"
        "1\t0\t3\t16\t0\t0\t0\t0\t30.381\t119.451\t60\t1\n")


@pytest.fixture
def plan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default tlog name goes to the current folder
    p = tmp_path / "m.waypoints"
    p.write_text(PLAN)
    return p


@pytest.fixture
def no_connect(monkeypatch):
    """Fail the test if anything tries to connect: the options must be refused first."""
    import thermal_sar.pipelines.fly as fly_pipeline

    def refuse(*a, **kw):
        raise AssertionError("connected before the options were checked")

    monkeypatch.setattr(fly_pipeline, "fly_mission", refuse)
    monkeypatch.setattr(fly_pipeline, "fly_mission_on_sitl", refuse)


@pytest.mark.parametrize("args, words", [
    (["--camera", "foo"], "camera='foo'"),
    (["--takeoff-alt", "nan"], "takeoff_alt_m=nan"),
    (["--takeoff-alt", "-5"], "takeoff_alt_m=-5.0"),
    (["--baud", "-1"], "baud=-1"),
    (["--frame-stall-s", "nan"], "frame_stall_s=nan"),
    (["--min-support", "nan"], "min_support=nan"),
    (["--area", "bad.kml"], "bad.kml"),
])
def test_bad_options_are_refused_before_connecting(plan, no_connect, capsys, args, words):
    rc = main(["fly", "--mission", str(plan), "--connect", "tcp:127.0.0.1:1", *args])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and "Traceback" not in err
    assert not list(plan.parent.glob("*.tlog"))


def test_speedup_is_checked_before_sitl_starts(plan, no_connect, capsys):
    rc = main(["fly", "--mission", str(plan), "--sitl", "--speedup", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and "speedup=0" in err and "1..100" in err


def test_missing_serial_device_is_one_line_and_no_tlog(plan, capsys):
    rc = main(["fly", "--mission", str(plan), "--connect", "/dev/ttyNOPE-thermal-sar:57600"])
    err = capsys.readouterr().err
    assert rc == 2 and "serial device /dev/ttyNOPE-thermal-sar does not exist; check the port / cable" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list(plan.parent.glob("*.tlog"))


def test_refused_connection_leaves_no_empty_tlog(plan, capsys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc = main(["fly", "--mission", str(plan), "--connect", f"tcp:127.0.0.1:{port}"])
    assert rc == 2 and "Hint: is the vehicle" in capsys.readouterr().err
    assert not list(plan.parent.glob("*.tlog"))
