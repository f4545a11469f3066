"""The optional dronekit adapter against the simulated vehicle (skipped without the dronekit2 extra)."""

from __future__ import annotations

import pytest

from telemetry import MavlinkLink, Vehicle, compare_missions, with_home
from tests.telemetry.conftest import running_vehicle, survey_items

dronekit = pytest.importorskip("dronekit")


def test_command_ints_keep_integer_coordinates():
    from telemetry.dronekit_adapter import to_command_ints

    items = with_home(survey_items(2))
    cmds = to_command_ints(items)
    assert len(cmds) == len(items) - 1
    assert all(isinstance(c, dronekit.CommandInt) for c in cmds)
    assert [(c.x, c.y) for c in cmds] == [(it.x, it.y) for it in items[1:]]


def test_dronekit_uploads_our_mission_to_the_vehicle():
    from telemetry.dronekit_adapter import upload_with_dronekit

    items = survey_items(3)
    with running_vehicle(speedup=10.0) as (sv, conn):
        v = dronekit.connect(conn, wait_ready=True, heartbeat_timeout=30, timeout=30)
        try:
            n = upload_with_dronekit(v, items)
        finally:
            v.close()
        assert n == len(items)
        with MavlinkLink(conn) as link:
            ours = Vehicle(link)
            ours.connect(10.0)
            back = ours.download_mission()
    assert compare_missions(with_home(items), back) == ()
