"""Flight health statuses: ingest, the state snapshot, the event stream, the audit log, validation."""

from __future__ import annotations

import json
import threading

import re

import httpx
import pytest

from tests.maps.conftest import PASSWORD


@pytest.fixture
def officer(live_server):
    """An httpx client signed in as officer1, and its CSRF token; closed after the test."""
    with httpx.Client(base_url=live_server.url, timeout=10) as c:
        page = c.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = c.post("/login", data={"username": "officer1", "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 303
        cfg = json.loads(re.search(r'<script id="sar-config" type="application/json">(.*?)</script>',
                                   c.get("/officer").text, re.S).group(1))
        yield c, cfg["csrf"]


def post_status(live_server, **body) -> httpx.Response:
    return httpx.post(live_server.url + "/api/ingest/status", json=body,
                      headers={"Authorization": f"Bearer {live_server.token}"}, timeout=10)


def test_status_raised_is_in_the_state_and_cleared_goes_to_the_log(live_server, officer):
    r = post_status(live_server, vehicle="drone1", kind="frames_stalled", severity="warning",
                    message="no frame from /dev/video0 for 6 s while flying", started_s=1_700_000_000.0)
    assert r.status_code == 200, r.text
    assert r.json()["key"] == "drone1:frames_stalled"
    c, _ = officer
    st = c.get("/api/state").json()["statuses"]
    assert [(s["kind"], s["severity"], s["started_s"]) for s in st["active"]] == [
        ("frames_stalled", "warning", 1_700_000_000.0)]
    # raising it again (a new message) keeps its start time and one log entry
    post_status(live_server, vehicle="drone1", kind="frames_stalled", severity="warning", message="still none")
    st = c.get("/api/statuses").json()
    assert st["active"][0]["started_s"] == 1_700_000_000.0 and st["active"][0]["message"] == "still none"
    assert len(st["log"]) == 1
    post_status(live_server, vehicle="drone1", kind="frames_stalled", severity="warning", active=False,
                started_s=1_700_000_000.0, ended_s=1_700_000_030.0, message="frames arrive again")
    st = c.get("/api/statuses").json()
    assert st["active"] == []
    assert [(s["kind"], s["active"], s["ended_s"]) for s in st["log"]] == [("frames_stalled", False, 1_700_000_030.0)]
    audit = [a["action"] for a in c.get("/api/audit").json()]
    assert "status_raised" in audit and "status_cleared" in audit


def test_status_is_pushed_to_the_event_stream(live_server, officer):
    c, _ = officer
    got: list[str] = []
    ready = threading.Event()

    def listen():
        with c.stream("GET", "/api/events", timeout=15) as r:
            for line in r.iter_lines():
                ready.set()
                if line.startswith("data:") and "link_lost" in line:
                    got.append(line[5:])
                    return

    th = threading.Thread(target=listen, daemon=True)
    th.start()
    assert ready.wait(10)
    assert post_status(live_server, kind="link_lost", severity="critical", message="no heartbeat").status_code == 200
    th.join(10)
    ev = json.loads(got[0])
    assert ev["kind"] == "link_lost" and ev["active"] is True and ev["vehicle"] == "drone1"


def test_status_validation_and_roles(live_server, officer):
    r = post_status(live_server, kind="Bad Kind!", severity="warning")
    assert r.status_code == 422 and "kind" in r.json()["detail"]
    r = post_status(live_server, kind="link_lost", severity="panic")
    assert r.status_code == 422 and "severity" in r.json()["detail"]
    c, csrf = officer
    r = c.post("/api/ingest/status", json={"kind": "link_lost"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403  # only the aircraft's ground station (an ingest user) reports health


def test_a_status_closed_by_the_end_of_the_flight_is_logged_as_not_resolved(live_server, officer):
    post_status(live_server, kind="frames_stalled", severity="warning", message="no frame for 30 s")
    post_status(live_server, kind="frames_stalled", severity="warning", active=False, resolved=False,
                message="still so when the flight ended")
    c, _ = officer
    log = c.get("/api/statuses").json()["log"]
    assert [(s["kind"], s["active"], s["resolved"]) for s in log] == [("frames_stalled", False, False)]
