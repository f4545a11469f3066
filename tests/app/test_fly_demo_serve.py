"""``thermal-sar demo --serve``: the live server in-process, fed while the demo flies (small scenario)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "app"

# The farm of tests/app/data/sheep-small.yaml searched over a field of 120 m x 100 m around the pen: a
# couple of sweeps, a few dozen frames.
TINY = (Path(__file__).parent / "data" / "sheep-small.yaml").read_text().replace(
    "name: sheep-small", "name: sheep-tiny").replace(
    "search_area_m: [[1420, -1420], [1700, -1420], [1700, -1720], [1420, -1720]]",
    "search_area_m: [[1460, -1475], [1580, -1475], [1580, -1575], [1460, -1575]]")


def _officer_screenshot(server):
    """The officer page in Chromium after the demo (test-artifacts/app/demo-serve-officer.png); None without it."""
    if not os.path.exists(CHROMIUM):
        return None
    from playwright.sync_api import expect, sync_playwright

    from tests.maps.test_browser import ARGS, Offline

    out = ARTIFACTS / "demo-serve-officer.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = Offline(b, viewport={"width": 1280, "height": 800})
        try:
            page = ctx.page()
            page.goto(server.url + "/login")
            page.fill("input[name=username]", server.username)
            page.fill("input[name=password]", server.password)
            page.click("button[type=submit]")
            page.wait_for_selector("#conn.live")
            page.wait_for_selector(".drone-icon")
            expect(page.locator("#covered")).to_contain_text("%", timeout=20_000)
            page.wait_for_selector("#detections li", timeout=20_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(out))
        finally:
            ctx.close()
            b.close()
    return out


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
        seen["shot"] = _officer_screenshot(server)

    result = serve_demo(tmp_path / "out", port=0, on_ready=ready, wait=wait, scenario=str(scenario), speedup=80.0)
    st = seen["state"]
    assert st["mission"] and st["progress"] and st["progress"]["covered_fraction"] > 0.5
    assert len(st["track"]) >= 20 and st["telemetry"]["vehicle"] == "demo-drone"
    targets = [d for d in st["detections"] if d["kind"] == "target"]
    assert targets and all(d["thumbnail_url"] for d in targets)
    assert all(d["vehicle"] == "demo-drone" for d in targets)
    assert all(abs(d["t_s"] - time.time()) < 600 for d in targets)  # time of day, not the flight clock
    # Every target the demo confirmed is on the officer's map, once (ids are the demo's, after the flight's).
    confirmed = {m.target_id for m in result.matches if m.found}
    on_map = [d["uid"].rsplit("-", 1)[1] for d in targets]
    assert confirmed and confirmed <= set(on_map) and len(on_map) == len(set(on_map))
    assert [s for s in st["statuses"]["active"] if s["kind"] != "flight"] == []
    try:  # and it stops serving once `wait` returns
        httpx.get(seen["url"] + "/login", timeout=2)
        stopped = False
    except httpx.TransportError:
        stopped = True
    assert stopped
    assert seen["shot"] is None or seen["shot"].stat().st_size > 10_000
