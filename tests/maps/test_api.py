"""The live server's API over loopback: auth, CSRF, roles, ingest, review, assignment, guidance, errors."""

from __future__ import annotations

import json
import re
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.maps.conftest import PASSWORD, png_b64


_CLIENTS: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def client(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=10)
    _CLIENTS.append(c)
    return c


def login(base: str, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    c = client(base)
    page = c.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": username, "password": password, "csrf_token": csrf})
    assert r.status_code == 303
    if r.headers["location"].startswith("/login"):
        return c, ""
    page = c.get("/officer" if "officer" in username or "viewer" in username else "/ground").text
    cfg = json.loads(re.search(r'<script id="sar-config" type="application/json">(.*?)</script>', page, re.S).group(1))
    return c, cfg["csrf"]


def det(uid: str, lat: float = 30.3800, lon: float = 119.4500, **kw) -> dict:
    return {"uid": uid, "lat_deg": lat, "lon_deg": lon, "confidence": 0.8, "class_name": "person", "cep_m": 6.0, **kw}


def test_anonymous_gets_nothing(live_server):
    base = live_server.url
    assert httpx.get(base + "/api/state").status_code == 401
    assert httpx.get(base + "/api/events").status_code == 401
    r = httpx.get(base + "/officer")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = httpx.post(base + "/api/ingest/detections", json=det("x"))
    assert r.status_code == 401 and "sign in" in r.json()["detail"]
    r = httpx.post(base + "/api/ingest/detections", json=det("x"), headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "token" in r.json()["detail"]


def test_login_wrong_password_and_csrf(live_server):
    c, csrf = login(live_server.url, "officer1", "not the password")
    assert csrf == ""
    c = client(live_server.url)
    c.get("/login")
    r = c.post("/login", data={"username": "officer1", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    actions = [a["action"] for a in live_server.store.list_audit()]
    assert "login_failed" in actions


def test_login_rate_limited(live_server):
    c = client(live_server.url)
    statuses = []
    for _ in range(7):
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        statuses.append(c.post("/login", data={"username": "ground2", "password": "wrong password!", "csrf_token": csrf}).status_code)
    assert statuses[:5] == [303] * 5 and 429 in statuses[5:]


def test_review_assign_guidance_gpx(live_server):
    base = live_server.url
    officer, ocsrf = login(base, "officer1")
    ground, gcsrf = login(base, "ground1")
    r = live_server.ingest("/api/ingest/detections", det("d1", alt_amsl_m=None, thumbnail_png_b64=png_b64()))
    did = r["stored"][0]["id"]
    # A retry with the same uid is acknowledged and not stored twice.
    assert live_server.ingest("/api/ingest/detections", det("d1"))["stored"][0] == {"uid": "d1", "id": did, "created": False}
    st = officer.get("/api/state").json()
    assert [d["uid"] for d in st["detections"]] == ["d1"] and st["detections"][0]["thumbnail_url"]
    assert officer.get(st["detections"][0]["thumbnail_url"]).content.startswith(b"\x89PNG")
    # No CSRF header: refused; with it: confirmed.
    assert officer.post(f"/api/detections/{did}/review", json={"action": "confirm"}).status_code == 403
    h = {"X-CSRF-Token": ocsrf}
    assert officer.post(f"/api/detections/{did}/review", json={"action": "confirm"}, headers=h).json()["status"] == "confirmed"
    # The ground teams report positions; the nearer one is suggested first.
    gh = {"X-CSRF-Token": gcsrf}
    assert ground.post("/api/ground/position", json={"lat_deg": 30.3770, "lon_deg": 119.4500}, headers=gh).status_code == 200
    g2, g2csrf = login(base, "ground2")
    g2.post("/api/ground/position", json={"lat_deg": 30.3700, "lon_deg": 119.4400}, headers={"X-CSRF-Token": g2csrf})
    sug = officer.get(f"/api/detections/{did}/suggest").json()
    assert [s["username"] for s in sug] == ["ground1", "ground2"]
    assert sug[0]["distance_m"] == pytest.approx(332.5, abs=2.0)
    r = officer.post(f"/api/detections/{did}/assign", json={"team": "ground1"}, headers=h)
    assert r.json()["assigned_team"] == "ground1"
    assert officer.post(f"/api/detections/{did}/assign", json={"team": "viewer1"}, headers=h).status_code == 400
    g = ground.get("/api/ground/guidance").json()
    assert g["target"]["id"] == did
    assert g["guidance"]["bearing_deg"] == pytest.approx(0.0, abs=0.5) and g["guidance"]["compass"] == "N"
    assert g["guidance"]["distance_m"] == pytest.approx(332.5, abs=2.0)
    assert g["guidance"]["height_diff_m"] is not None and g["guidance"]["walk_time_s"] > 332 / 1.7
    gpx = ground.get("/api/ground/target.gpx")
    root = ET.fromstring(gpx.content)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    wpt = root.find("g:wpt", ns)
    assert float(wpt.get("lat")) == pytest.approx(30.38) and float(wpt.get("lon")) == pytest.approx(119.45)
    assert ET.fromstring(ground.get("/api/ground/target.kml").content).tag.endswith("kml")
    r = ground.post("/api/ground/status", json={"status": "found"}, headers=gh)
    assert r.json()["target"]["field_status"] == "found"
    # Roles: the ground team cannot review, the viewer cannot assign.
    assert ground.post(f"/api/detections/{did}/review", json={"action": "reject"}, headers=gh).status_code == 403
    viewer, vcsrf = login(base, "viewer1")
    assert viewer.post(f"/api/detections/{did}/assign", json={"team": "ground1"},
                       headers={"X-CSRF-Token": vcsrf}).status_code == 403
    actions = [a["action"] for a in live_server.store.list_audit()]
    assert {"confirm", "assign", "field_found", "login"} <= set(actions)


@pytest.mark.parametrize("body,status,word", [
    ({"uid": "x", "lat_deg": 91, "lon_deg": 0, "confidence": 0.5}, 422, "lat_deg"),
    ({"uid": "x", "lat_deg": 30, "lon_deg": 119, "confidence": 2}, 422, "confidence"),
    ({"lat_deg": 30, "lon_deg": 119, "confidence": 0.5}, 422, "uid"),
    ({"uid": "x", "lat_deg": 30, "lon_deg": 119, "confidence": 0.5, "thumbnail_png_b64": "bm90IGEgcG5n"}, 422, "PNG"),
    ("not json", 422, ""),
])
def test_bad_ingest_is_4xx_with_a_message(live_server, body, status, word):
    h = {"Authorization": f"Bearer {live_server.token}"}
    if isinstance(body, str):
        r = httpx.post(live_server.url + "/api/ingest/detections", content=body, headers={**h, "Content-Type": "application/json"})
    else:
        r = httpx.post(live_server.url + "/api/ingest/detections", json=body, headers=h)
    assert r.status_code == status and word in r.json()["detail"]
    assert "Traceback" not in r.text


def test_other_bad_requests(live_server):
    h = {"Authorization": f"Bearer {live_server.token}"}
    base = live_server.url
    r = httpx.post(base + "/api/ingest/targets", json={"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [200, 30]}, "properties": {}}]}, headers=h)
    assert r.status_code == 400 and "lon" in r.json()["detail"]
    r = httpx.put(base + "/api/ingest/detections/nope/thumbnail", content=b"GIF89a", headers=h)
    assert r.status_code == 415
    officer, ocsrf = login(base, "officer1")
    assert officer.post("/api/detections/999/review", json={"action": "confirm"}, headers={"X-CSRF-Token": ocsrf}).status_code == 404
    assert officer.post("/api/detections/abc/review", json={"action": "confirm"}, headers={"X-CSRF-Token": ocsrf}).status_code == 422
    assert officer.get("/api/ground/target.gpx?id=x").status_code == 400


def test_targets_mission_telemetry_progress_and_events(live_server):
    base = live_server.url
    officer, _ = login(base, "officer1")
    got: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen():
        with officer.stream("GET", "/api/events", timeout=10) as r:
            ev = None
            for line in r.iter_lines():
                ready.set()
                if line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("data: "):
                    got.append((ev, json.loads(line[6:])))
                    if len(got) >= 4:
                        return

    th = threading.Thread(target=listen, daemon=True)
    th.start()
    assert ready.wait(5)
    d = 0.002
    area = [[119.45 - d, 30.38 - d], [119.45 + d, 30.38 - d], [119.45 + d, 30.38 + d], [119.45 - d, 30.38 + d], [119.45 - d, 30.38 - d]]
    live_server.ingest("/api/ingest/mission", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [area]}, "properties": {"kind": "area"}}]})
    # A footprint covering the western half of the area.
    fp = [[30.38 - d, 119.45 - d], [30.38 + d, 119.45 - d], [30.38 + d, 119.45], [30.38 - d, 119.45]]
    live_server.ingest("/api/ingest/telemetry", {"lat_deg": 30.38, "lon_deg": 119.449, "alt_amsl_m": 700, "footprint": fp})
    live_server.ingest("/api/ingest/targets", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [119.4501, 30.3801]},
         "properties": {"id": "F1", "class_name": "sheep", "confidence": 0.6, "cep_m": 9.0, "sightings": 3}}]})
    th.join(10)
    kinds = [k for k, _ in got]
    assert {"mission", "telemetry", "detection"} <= set(kinds), kinds
    st = officer.get("/api/state").json()
    assert st["progress"]["covered_fraction"] == pytest.approx(0.5, abs=0.01)
    assert st["progress"]["pod"] == pytest.approx(0.4, abs=0.01)
    assert st["detections"][0]["kind"] == "target" and st["detections"][0]["sightings"] == 3
    assert len(st["track"]) == 1


def test_ingest_rate_limit(live_server):
    from maps.security import RateLimiter

    t = [0.0]
    rl = RateLimiter(10.0, 3, clock=lambda: t[0])
    assert [rl.allow("k")[0] for _ in range(4)] == [True, True, True, False]
    t[0] += 0.1
    assert rl.allow("k")[0] and not rl.allow("k")[0]


def test_sessions_expire_and_logout_ends_them(live_server):
    from maps.security import new_token, token_hash

    store = live_server.store
    officer = store.get_user("officer1")
    old = new_token()
    store.create_session(token_hash(old), officer["id"], "csrf", time.time() - 1.0)
    c = client(live_server.url)
    c.cookies.set("sar_session", old)
    assert c.get("/api/state").status_code == 401
    assert c.get("/officer").headers["location"] == "/login"
    c2, csrf = login(live_server.url, "officer1")
    assert c2.get("/api/state").status_code == 200
    assert c2.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    r = c2.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c2.get("/api/state").status_code == 401


def test_pages_by_role_and_security_headers(live_server):
    ground, _ = login(live_server.url, "ground1")
    r = ground.get("/officer")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert ground.get("/").headers["location"] == "/ground"
    page = ground.get("/ground")
    assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY"
    assert 'src="/static/leaflet/leaflet.js"' in page.text
    assert ground.get("/static/leaflet/leaflet.js").status_code == 200
    assert ground.get("/api/state").headers["cache-control"] == "no-store"


def test_busy_teams_are_suggested_last(live_server):
    officer, ocsrf = login(live_server.url, "officer1")
    h = {"X-CSRF-Token": ocsrf}
    store = live_server.store
    store.set_team_position("ground1", 30.3790, 119.4500, None, time.time())  # ~110 m from the targets
    store.set_team_position("ground2", 30.3700, 119.4500, None, time.time())  # ~1.1 km
    a = live_server.ingest("/api/ingest/detections", det("near1"))["stored"][0]["id"]
    b = live_server.ingest("/api/ingest/detections", det("near2", lon=119.4502))["stored"][0]["id"]
    for x in (a, b):
        officer.post(f"/api/detections/{x}/review", json={"action": "confirm"}, headers=h)
    assert [s["username"] for s in officer.get(f"/api/detections/{b}/suggest").json()] == ["ground1", "ground2"]
    officer.post(f"/api/detections/{a}/assign", json={"team": "ground1"}, headers=h)
    sug = officer.get(f"/api/detections/{b}/suggest").json()
    assert [(s["username"], s["busy"]) for s in sug] == [("ground2", False), ("ground1", True)]


def test_slow_subscribers_are_dropped_not_buffered_forever():
    import asyncio

    from maps.server import EventHub

    async def go():
        hub = EventHub(max_queue=3)
        fast, slow = hub.subscribe(), hub.subscribe()
        for i in range(3):
            hub.publish("telemetry", {"i": i})
            await fast.queue.get()
        hub.publish("telemetry", {"i": 3})
        assert slow.dropped and not fast.dropped and hub.subscribers == 1
        assert "event: telemetry" in await fast.queue.get()

    asyncio.run(go())


def test_ingest_client_retries_and_refuses(live_server, tmp_path):
    import base64

    from geo.errors import LinkError
    from maps.ingest_client import IngestClient

    with IngestClient(live_server.url, live_server.token) as c:
        assert c.telemetry(lat_deg=30.38, lon_deg=119.45, alt_amsl_m=600.0)["ok"]
        stored = c.detections([det(f"c{i}") for i in range(3)])
        assert [s["created"] for s in stored] == [True] * 3
        assert [s["created"] for s in c.detections([det("c0")])] == [False]
        assert c.thumbnail("c1", base64.b64decode(png_b64()))["ok"]
        with pytest.raises(LinkError, match="refused: HTTP 422"):
            c.detections([{"uid": "bad", "lat_deg": 95, "lon_deg": 0, "confidence": 0.5}])
    # Nothing listening: retries, then a LinkError with a hint (no waiting in the test: zero backoff).
    with IngestClient("http://127.0.0.1:9", "tok", retries=2, backoff_s=0.0) as c:
        with pytest.raises(LinkError, match="3 attempts"):
            c.telemetry(lat_deg=30.0, lon_deg=119.0)


def test_ingest_client_honours_429():
    from maps.ingest_client import IngestClient

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            return httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"ok": True, "stored": [{"uid": "a", "id": 1, "created": True}]})

    with IngestClient("http://x", "tok", backoff_s=0.0, transport=httpx.MockTransport(handler)) as c:
        assert c.detections([{"uid": "a"}]) == [{"uid": "a", "id": 1, "created": True}]
    assert calls == ["/api/ingest/detections", "/api/ingest/detections"]


def test_removed_users_lose_access(live_server, monkeypatch):
    import maps.server

    officer, _ = login(live_server.url, "officer1")
    assert officer.get("/api/state").status_code == 200
    live_server.ingest("/api/ingest/telemetry", {"lat_deg": 30.38, "lon_deg": 119.45})
    live_server.store.remove_user("officer1")
    live_server.store.remove_user("drone")
    monkeypatch.setattr(maps.server, "CRED_CACHE_S", 0.0)  # the server re-checks at once instead of within 30 s
    assert officer.get("/api/state").status_code == 401
    r = httpx.post(live_server.url + "/api/ingest/telemetry", json={"lat_deg": 30.38, "lon_deg": 119.45},
                   headers={"Authorization": f"Bearer {live_server.token}"})
    assert r.status_code == 401


def test_merge_and_reject(live_server):
    officer, ocsrf = login(live_server.url, "officer1")
    h = {"X-CSRF-Token": ocsrf}
    a = live_server.ingest("/api/ingest/detections", det("m1"))["stored"][0]["id"]
    b = live_server.ingest("/api/ingest/detections", det("m2", lat=30.38002))["stored"][0]["id"]
    assert officer.post(f"/api/detections/{a}/merge", json={"into_id": a}, headers=h).status_code == 400
    assert officer.post(f"/api/detections/{a}/merge", json={"into_id": 999}, headers=h).status_code == 404
    r = officer.post(f"/api/detections/{a}/merge", json={"into_id": b}, headers=h).json()
    assert (r["status"], r["merged_into"]) == ("merged", b)
    r = officer.post(f"/api/detections/{a}/assign", json={"team": "ground1"}, headers=h)
    assert r.status_code == 409 and "merged" in r.json()["detail"]
    assert officer.post(f"/api/detections/{b}/review", json={"action": "reject"}, headers=h).json()["status"] == "rejected"
    assert officer.post(f"/api/detections/{b}/review", json={"action": "reopen"}, headers=h).json()["status"] == "new"
    assert officer.post(f"/api/detections/{b}/review", json={"action": "delete"}, headers=h).status_code == 422
    audit = [(x["action"], x["detection_id"]) for x in live_server.store.list_audit()]
    assert ("merge", a) in audit and ("reject", b) in audit and ("reopen", b) in audit
