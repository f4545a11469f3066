"""The mission protocol against the simulated ArduCopter (TCP and UDP), with ArduPilot's quirks.

The same tests run against real SITL in tests/sim/test_sitl.py when a binary is configured.
"""

from __future__ import annotations

import pytest

from geo.errors import LinkTimeout
from mission.items import MavCmd, MavFrame, MissionItem
from telemetry import (
    MavlinkLink,
    MissionTransferError,
    Vehicle,
    ardupilot_roundtrip,
    compare_missions,
    download_mission,
    upload_mission,
    with_home,
)
from tests.telemetry.conftest import HOME, running_endpoint, running_vehicle, survey_items


@pytest.mark.parametrize("kind", ["tcp", "udp", pytest.param("sitl", marks=pytest.mark.sitl)])
def test_upload_answers_legacy_request_with_item_int_and_verifies(kind):
    """The same test against the simulated vehicle (TCP, UDP) and real ArduCopter SITL."""
    with running_endpoint(kind) as (conn, home), MavlinkLink(conn, link_lost_s=10.0) as link:
        v = Vehicle(link)
        v.connect(30.0)
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 120.0, "position")
        home = (v.state.home_lat_deg, v.state.home_lon_deg)
        items = survey_items(4, home=home)  # takeoff + 4 waypoints + RTL
        full, report, mism = v.upload_mission(items)
        assert report.count == len(items) + 1 == len(full)  # home at 0: count N+1
        assert report.legacy_requests >= report.count and report.int_requests == 0  # ArduPilot asks with id 40
        assert mism == ()
        back = v.download_mission()
        assert len(back) == len(full)
        # Item 0 is home and overwritten by the vehicle's own home, whatever we sent.
        assert abs(back[0].x - round(home[0] * 1e7)) <= 1 and abs(back[0].y - round(home[1] * 1e7)) <= 1


def test_four_waypoint_mission_is_sent_with_count_five(connected):
    sv, v = connected
    wps = [it for it in survey_items(4, takeoff=False) if it.command == MavCmd.NAV_WAYPOINT]
    assert len(wps) == 4
    full, report, mism = v.upload_mission(wps)
    assert report.count == 5 and len(sv.missions.items) == 5 and mism == ()


def test_lost_items_are_recovered_by_retries(connected):
    sv, v = connected
    sv.missions.drop_items = {2, 4}  # the radio loses the first copy of two items
    full, report, mism = v.upload_mission(survey_items(4), item_timeout_s=0.3)
    assert mism == ()
    assert report.rerequests + report.resends >= 2


def test_refused_item_leaves_a_partial_mission_and_raises(connected):
    sv, v = connected
    v.upload_mission(survey_items(2))  # a previous good mission of 5 items
    sv.missions.refuse_seq = 3
    with pytest.raises(MissionTransferError, match="PARTIAL"):
        v.upload_mission(survey_items(5, alt_m=50.0))
    # Not all-or-nothing: items 1-2 of the new mission are stored, the rest is what was there before.
    back = v.download_mission()
    assert back[1].z == pytest.approx(50.0) and back[2].z == pytest.approx(50.0)
    assert compare_missions(with_home(survey_items(5, alt_m=50.0)), back) != ()


class SilentLink:
    """A link to a vehicle that never answers (the mock-transport pattern): records what is sent."""

    target_system = 1
    target_component = 1

    def __init__(self):
        from pymavlink.dialects.v20 import ardupilotmega as mavlink2

        self.mav = mavlink2.MAVLink(None, srcSystem=255, srcComponent=190)
        self.sent = []

    def send(self, msg):
        self.sent.append(msg.get_type())

    def poll(self, timeout_s=0.0):
        return []


def test_silent_vehicle_times_out_after_retries_with_partial_warning():
    link = SilentLink()
    full = with_home(survey_items(2))
    with pytest.raises(LinkTimeout, match="PARTIAL"):
        upload_mission(link, full, item_timeout_s=0.05, max_retries=3)
    assert link.sent == ["MISSION_COUNT"] * 4  # the first try and 3 retries, each after a timeout


def test_download_from_silent_vehicle_times_out():
    with pytest.raises(LinkTimeout, match="MISSION_REQUEST_LIST"):
        download_mission(SilentLink(), item_timeout_s=0.05, max_retries=1)


def test_unsupported_frame_is_refused_with_its_result():
    with running_vehicle() as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        v.connect(10.0)
        bad = [MissionItem.at(1, MavCmd.NAV_WAYPOINT, HOME[0], HOME[1], 20.0, frame=7)]
        with pytest.raises(MissionTransferError, match="UNSUPPORTED_FRAME"):
            v.upload_mission(bad)


def test_download_standalone_matches_roundtrip(connected):
    sv, v = connected
    items = survey_items(3)
    items.insert(2, MissionItem(0, MavCmd.DO_CHANGE_SPEED, MavFrame.MISSION, param1=1, param2=7.5, param3=-1))
    items = [it.with_seq(i + 1) for i, it in enumerate(items)]
    full, _, mism = v.upload_mission(items)
    assert mism == ()
    back = download_mission(v.link)
    for sent, got in zip(full[1:], back[1:]):
        assert got == ardupilot_roundtrip(sent)


def test_roundtrip_model_of_ardupilot_storage():
    it = MissionItem.at(3, MavCmd.NAV_WAYPOINT, 46.1234567, 8.7654321, 123.456, frame=MavFrame.GLOBAL_RELATIVE_ALT_INT,
                        param1=2.7, param2=5.0)
    rt = ardupilot_roundtrip(it)
    assert rt.frame == MavFrame.GLOBAL_RELATIVE_ALT  # INT frames come back normalised
    assert rt.z == pytest.approx(123.46)  # centimetres
    assert rt.param1 == 2.0 and rt.param2 == 0.0  # whole seconds; acceptance radius not stored
    assert (rt.x, rt.y) == (it.x, it.y)


def test_compare_tolerates_rounding_but_not_moves():
    sent = with_home(survey_items(2))
    got = [ardupilot_roundtrip(it) for it in sent]
    assert compare_missions(sent, got) == ()
    moved = list(got)
    moved[2] = moved[2].__class__(**{**{k: getattr(moved[2], k) for k in moved[2].__slots__}, "x": moved[2].x + 5})
    diff = compare_missions(sent, moved)
    assert len(diff) == 1 and "item 2: position" in diff[0]
    assert compare_missions(sent, got[:-1])[0].startswith("the vehicle holds")
