"""``thermal-sar demo --serve``: the live server in-process, fed while the demo flies (small scenario)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

# The farm of tests/app/data/sheep-small.yaml searched over a field of 120 m x 100 m around the pen: a
# couple of sweeps, a few dozen frames.
TINY = (Path(__file__).parent / "data" / "sheep-small.yaml").read_text().replace(
    "name: sheep-small", "name: sheep-tiny").replace(
    "search_area_m: [[1420, -1420], [1700, -1420], [1700, -1720], [1420, -1720]]",
    "search_area_m: [[1460, -1475], [1580, -1475], [1580, -1575], [1460, -1575]]")


def test_demo_serve_feeds_the_officer_map_while_it_flies(tmp_path):
    from thermal_sar.pipelines.live import serve_demo

    assert "sheep-tiny" in TINY and "1460, -1475" in TINY
    scenario = tmp_path / "sheep-tiny.yaml"
    scenario.write_text(TINY)
    seen: dict = {}

    def ready(server):
        seen["url"] = server.url
        r = httpx.get(server.url + "/login", timeout=10)
        assert r.status_code == 200  # serving before the demo starts

    def wait(server):
        # After the demo: the officer signs in with the printed password and finds it all on the map.
        c = httpx.Client(base_url=server.url, timeout=10)
        page = c.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = c.post("/login", data={"username": server.username, "password": server.password, "csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/"
        seen["state"] = c.get("/api/state").json()
        c.close()

    result = serve_demo(tmp_path / "out", port=0, on_ready=ready, wait=wait, scenario=str(scenario), speedup=80.0)
    st = seen["state"]
    assert st["mission"] and st["progress"] and st["progress"]["covered_fraction"] > 0.5
    assert len(st["track"]) >= 20 and st["telemetry"]["vehicle"] == "demo-drone"
    dets = [d for d in st["detections"] if d["kind"] == "detection"]
    targets = [d for d in st["detections"] if d["kind"] == "target"]
    assert dets and all(d["thumbnail_url"] for d in dets)
    # Every target the demo confirmed is on the officer's map (ids are the demo's).
    confirmed = {m.target_id for m in result.matches if m.found}
    assert confirmed and confirmed <= {d["uid"].removeprefix("target:") for d in targets}
    assert [s for s in st["statuses"]["active"] if s["kind"] != "flight"] == []
    try:  # and it stops serving once `wait` returns
        httpx.get(seen["url"] + "/login", timeout=2)
        stopped = False
    except httpx.TransportError:
        stopped = True
    assert stopped
