"""The pages in a real browser (Debian's chromium via Playwright) with every non-loopback request blocked."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.maps.conftest import PASSWORD, png_b64

try:  # the pages run under a Content-Security-Policy without eval: wait with locators, not JS strings
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a test dependency
    expect = None

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "maps"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: scripts/install-system-packages.sh should install chromium")
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium, or run scripts/install-system-packages.sh)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Generous waits: CI shares two cores with the rest of the suite. (Waiting is not timing:
    # nothing here asserts how fast; the benchmark measures that.)
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Offline:
    """A browser context that lets only loopback, file: and data: through and records the rest."""

    def __init__(self, browser, **kw) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.ctx = browser.new_context(accept_downloads=True, **kw)
        self.ctx.route("**/*", self._route)

    def _route(self, route):
        u = urlparse(route.request.url)
        if u.scheme in ("file", "data", "blob") or u.hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def page(self):
        pg = self.ctx.new_page()
        pg.on("pageerror", lambda e: self.errors.append(str(e)))
        # Console errors include Content-Security-Policy violations and failed loads of our own files.
        pg.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        return pg

    def close(self) -> None:
        self.ctx.close()
        assert not self.blocked, f"requests outside loopback were attempted: {self.blocked[:5]}"
        assert not self.errors, f"JavaScript errors: {self.errors[:5]}"


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_officer_and_ground_team_flow(browser, live_server, tmp_path):
    base = live_server.url
    officer = Offline(browser, viewport={"width": 1280, "height": 800})
    ground = Offline(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                     geolocation={"latitude": 30.3770, "longitude": 119.4500}, permissions=["geolocation"])
    try:
        op = officer.page()
        sign_in(op, base, "officer1")
        assert op.url.endswith("/officer")
        op.wait_for_selector(".leaflet-container")
        op.wait_for_selector("#conn.live")
        op.wait_for_selector("img.leaflet-image-layer")  # the DEM hillshade

        # The ground team's phone reports its position from the browser's geolocation.
        gp = ground.page()
        sign_in(gp, base, "ground1")
        assert gp.url.endswith("/ground")
        gp.wait_for_selector("#conn.live")
        expect(gp.locator("#no-target")).to_be_visible()

        # A detection posted to the ingest API appears on the officer's screen, with its thumbnail.
        r = live_server.ingest("/api/ingest/detections", {
            "uid": "b1", "lat_deg": 30.3800, "lon_deg": 119.4500, "alt_amsl_m": None, "confidence": 0.91,
            "class_name": "person", "cep_m": 7.0, "thumbnail_png_b64": png_b64(3, 32)})
        did = r["stored"][0]["id"]
        op.wait_for_selector(f"#det-{did} img")
        op.wait_for_selector(f"path.det-marker-{did}")
        expect(op.locator("#teams")).to_contain_text("30.37700")

        # The mission area and the drone's telemetry (position, track, camera footprint) show live.
        d = 0.004
        area = [[119.45 - d, 30.38 - d], [119.45 + d, 30.38 - d], [119.45 + d, 30.38 + d], [119.45 - d, 30.38 + d],
                [119.45 - d, 30.38 - d]]
        live_server.ingest("/api/ingest/mission", {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [area]}, "properties": {"role": "area"}}]})
        for k in range(12):
            la, lo = 30.38 - d + 0.0006 * k, 119.45 - d + 0.001
            fp = [[la - 3e-4, lo - 9e-4], [la + 3e-4, lo - 9e-4], [la + 3e-4, lo + 9e-4], [la - 3e-4, lo + 9e-4]]
            live_server.ingest("/api/ingest/telemetry", {"lat_deg": la, "lon_deg": lo, "alt_amsl_m": 650.0,
                                                         "heading_deg": 0.0, "footprint": fp})
        op.wait_for_selector(".drone-icon")
        expect(op.locator("#covered")).to_contain_text("%")

        op.click(f"#det-{did} button.confirm")
        op.wait_for_selector(f"#det-{did} select.team")
        options = op.locator(f"#det-{did} select.team option").all_inner_texts()
        assert options[0].startswith("ground1") and "Suggested" in options[0]
        op.select_option(f"#det-{did} select.team", "ground1")
        op.click(f"#det-{did} button.assign")
        expect(op.locator(f"#det-{did} .status")).to_contain_text("ground1")
        op.wait_for_timeout(500)
        op.screenshot(path=str(ARTIFACTS / "officer.png"))

        # The ground page shows bearing and distance to the target (due north, about 333 m).
        expect(gp.locator("#target")).to_be_visible()
        expect(gp.locator("#bearing")).to_contain_text("N")
        assert re.match(r"^0° N$|^360° N$", gp.inner_text("#bearing"))
        dist = gp.inner_text("#distance")
        assert re.match(r"^33\d m$", dist), dist
        assert gp.inner_text("#height") not in ("", "–")
        gp.wait_for_timeout(500)
        gp.screenshot(path=str(ARTIFACTS / "ground.png"), full_page=True)

        # GPX download parses and holds the target.
        with gp.expect_download() as dl:
            gp.click("#gpx")
        path = tmp_path / "t.gpx"
        dl.value.save_as(path)
        wpt = ET.parse(path).getroot().find("{http://www.topografix.com/GPX/1/1}wpt")
        assert float(wpt.get("lat")) == pytest.approx(30.38) and float(wpt.get("lon")) == pytest.approx(119.45)

        # "Found" reaches the officer at once.
        gp.click("#btn-found")
        expect(op.locator(f"#det-{did} .status")).to_contain_text("found")
    finally:
        officer.close()
        ground.close()


def test_static_maps_render_offline(browser, tmp_path, small_mountain):
    from mission import plan_search
    from tests.maps.test_static import targets_fc
    from thermal_sar.cli import main

    lat0, lon0 = small_mountain.bounds.center
    d = 0.004
    plan = plan_search([(lat0 - d, lon0 - d), (lat0 - d, lon0 + d * 0.6), (lat0 + d, lon0 + d), (lat0 + d * 0.8, lon0 - d)],
                       camera="m30t", target="adult-lying", terrain=small_mountain)
    mi = tmp_path / "mission.geojson"
    mi.write_text(json.dumps(plan.to_geojson()))
    tg = tmp_path / "targets.geojson"
    tg.write_text(json.dumps(targets_fc(3, lat0, lon0)))
    path = plan.sorties[0].waypoints
    tr = tmp_path / "track.geojson"
    tr.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "track"},
        "geometry": {"type": "LineString", "coordinates": [[w.lon_deg, w.lat_deg, w.alt_amsl_m] for w in path]}}]}))
    ctx = Offline(browser, viewport={"width": 1100, "height": 800})
    try:
        for name, files in (("report", [tg, tr]), ("mission", [mi])):
            out = tmp_path / f"{name}.html"
            assert main(["map", *map(str, files), "-o", str(out)]) == 0
            pg = ctx.page()
            pg.goto(out.as_uri())
            pg.wait_for_selector(".leaflet-container")
            pg.wait_for_selector("img.leaflet-image-layer")
            assert pg.locator("path.leaflet-interactive").count() >= 3
            if name == "report":
                # The popup of a target shows its thermal thumbnail.
                pg.locator("path.leaflet-interactive[fill='#e6194b']").last.click(force=True)
                pg.wait_for_selector(".leaflet-popup-content img.sar-thumb")
                pg.wait_for_timeout(600)  # let the popup fade in and the map pan to it
            pg.wait_for_timeout(500)  # let Leaflet finish its zoom animation before the picture
            pg.screenshot(path=str(ARTIFACTS / f"static-{name}.png"))
    finally:
        ctx.close()
