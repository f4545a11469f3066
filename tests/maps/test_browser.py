"""The pages in a real browser (Debian's chromium via Playwright) with every non-loopback request blocked."""

from __future__ import annotations

import json
import math
import os
import re
import time
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
    from mission import plan_overwatch

    ow = tmp_path / "overwatch.geojson"
    ow.write_text(json.dumps(plan_overwatch((lat0, lon0), radius_m=80, agl_m=60, terrain=small_mountain,
                                            launch=(lat0 - 0.003, lon0 + 0.002)).to_geojson()))
    ctx = Offline(browser, viewport={"width": 1100, "height": 800})
    tg2 = tmp_path / "targets-near.geojson"
    tg2.write_text(json.dumps(targets_fc(3, lat0 + 0.0004, lon0 - 0.0012)))
    for_ow = [ow, tg2]
    try:
        for name, files in (("report", [tg, tr]), ("mission", [mi]), ("overwatch-zh-night", for_ow)):
            out = tmp_path / f"{name}.html"
            lang = ["--lang", "zh"] if "zh" in name else []
            assert main([*lang, "map", *map(str, files), "-o", str(out)]) == 0
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
            if "night" in name:
                # The reader switches the map to night; a reload keeps it (localStorage).
                expect(pg.locator("html")).to_have_attribute("data-theme", "day")
                pg.click("#sar-theme-toggle")
                expect(pg.locator("html")).to_have_attribute("data-theme", "night")
                pg.reload()
                pg.wait_for_selector("img.leaflet-image-layer")
                expect(pg.locator("html")).to_have_attribute("data-theme", "night")
                expect(pg.locator("html")).to_have_attribute("lang", "zh-Hans")
                expect(pg.locator(".sar-stats")).to_contain_text("任务预览")
                expect(pg.locator("#sar-theme-toggle")).to_have_text("☀ 日间")
                pg.locator("path.leaflet-interactive[stroke='#d81b60']").first.click(force=True)  # the point watched
                expect(pg.locator(".leaflet-popup-content")).to_contain_text("监视点")
                pg.wait_for_timeout(600)
            pg.wait_for_timeout(500)  # let Leaflet finish its zoom animation before the picture
            pg.screenshot(path=str(ARTIFACTS / f"static-{name}.png"))
    finally:
        ctx.close()


# ------------------------------------------------ languages and night operations (issue 9)
ZH_COMPASS = "北东北|东东北|东东南|南东南|南西南|西西南|西西北|北西北|东北|东南|西南|西北|北|东|南|西"
# Words that stay in Latin letters on a Chinese screen: names, file formats, the product, map attribution.
LATIN_OK = {"thermal-sar", "officer1", "ground1", "ground2", "drone1", "GPX", "KML", "CEP", "Leaflet", "English",
            "km", "WGS"}


def _luminance(rgb: str) -> float:
    vals = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in vals]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _switch_theme(page, theme: str) -> None:
    """Night by the switch in the top bar; it is remembered (a cookie), so a reload keeps it."""
    if theme == "night":
        page.click("#theme-switch")
        page.wait_for_selector("html[data-theme=night]")
        page.reload()
    page.wait_for_selector(f"html[data-theme={theme}]")


def _untranslated(page) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", page.inner_text("body")) if w not in LATIN_OK}


@pytest.mark.parametrize("lang, theme", [("en", "day"), ("en", "night"), ("zh", "day"), ("zh", "night")])
def test_overwatch_officer_and_ground_in_each_language_and_theme(browser, live_server, small_mountain, lang, theme):
    """The browser's language picks the pages' language; the night theme is switched on and remembered;
    the officer sees the overwatch orbit and the ground units nearest the point; the phone is usable."""
    from mission import plan_overwatch

    base = live_server.url
    locale = "zh-CN" if lang == "zh" else "en-US"
    lat0, lon0 = small_mountain.bounds.center
    plan = plan_overwatch((lat0, lon0), radius_m=80, agl_m=60, terrain=small_mountain,
                          launch=(lat0 - 0.003, lon0 + 0.002))
    live_server.ingest("/api/ingest/mission", plan.to_geojson())
    # ground2 reported 600 m east of the point a minute ago; ground1's phone will report 300 m south of it.
    live_server.store.set_team_position("ground2", lat0, lon0 + 0.00622, None, time.time() - 60)
    for k in range(24):  # the drone on its orbit
        a = math.radians(15 * k)
        live_server.ingest("/api/ingest/telemetry", {"lat_deg": lat0 + 0.00072 * math.cos(a),
                                                     "lon_deg": lon0 + 0.00083 * math.sin(a),
                                                     "alt_amsl_m": 700.0, "heading_deg": (15 * k + 90) % 360})
    officer = Offline(browser, viewport={"width": 1280, "height": 800}, locale=locale)
    ground = Offline(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale=locale,
                     geolocation={"latitude": lat0 - 0.0027, "longitude": lon0}, permissions=["geolocation"])
    try:
        op = officer.page()
        sign_in(op, base, "officer1")
        _switch_theme(op, theme)
        op.wait_for_selector("#conn.live")
        expect(op.locator("html")).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
        expect(op.locator("#overwatch")).to_be_visible()
        op.wait_for_selector("path.orbit-line")
        op.wait_for_selector("path.poi-marker")
        expect(op.locator("#ow-point")).to_have_text(f"{lat0:.6f}, {lon0:.6f}")
        expect(op.locator("#ow-radius")).to_have_text("80 米" if lang == "zh" else "80 m")

        gp = ground.page()
        sign_in(gp, base, "ground1")
        _switch_theme(gp, theme)
        gp.wait_for_selector("#conn.live")
        # Nearest first: ground1 (300 m south of the point), then ground2 (600 m east).
        expect(op.locator("#ow-units li")).to_have_count(2)
        units = op.locator("#ow-units li").all_inner_texts()
        if lang == "zh":
            assert re.match(r"ground1 位于监视点南方 30\d 米", units[0]) and re.match(r"ground2 位于监视点东方 (59|60)\d 米", units[1]), units
        else:
            assert re.match(r"ground1 30\d m S of the point", units[0]), units
            assert re.match(r"ground2 (59|60)\d m E of the point", units[1]), units

        # A detection near the point, confirmed and assigned from the command post.
        r = live_server.ingest("/api/ingest/detections", {
            "uid": f"ow-{lang}-{theme}", "lat_deg": lat0 + 0.0003, "lon_deg": lon0 + 0.0002, "confidence": 0.87,
            "class_name": "person", "cep_m": 6.0, "thumbnail_png_b64": png_b64(5, 32)})
        did = r["stored"][0]["id"]
        op.click(f"#det-{did} button.confirm")
        op.wait_for_selector(f"#det-{did} select.team")
        op.select_option(f"#det-{did} select.team", "ground1")
        op.click(f"#det-{did} button.assign")
        expect(op.locator(f"#det-{did} .status")).to_contain_text("ground1")
        expect(op.locator(f"#det-{did} .title")).to_contain_text("人员" if lang == "zh" else "person")

        # The phone: bearing as 0-359 degrees and a compass word, distance and height in metres.
        expect(gp.locator("#target")).to_be_visible()
        expect(gp.locator("#bearing")).not_to_have_text("–")
        word = ZH_COMPASS if lang == "zh" else "N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW"
        bearing = gp.inner_text("#bearing")
        m = re.fullmatch(rf"(\d{{1,3}})° ({word})", bearing)
        assert m and 0 <= int(m.group(1)) <= 359 and (m.group(2) in ("北", "北东北") if lang == "zh" else m.group(2) in ("N", "NNE")), bearing
        unit = "米" if lang == "zh" else "m"
        assert re.fullmatch(rf"3\d\d {unit}", gp.inner_text("#distance")), gp.inner_text("#distance")
        assert re.fullmatch(rf"[+−]?\d+ {unit}", gp.inner_text("#height")), gp.inner_text("#height")
        # One hand, gloves: every control at least 48 px high, the report buttons at the bottom of the screen.
        for sel in ("#btn-en-route", "#btn-found", "#btn-not-found", "#gpx", "#kml", "#manual-pos button", "#pos-input"):
            box = gp.locator(sel).bounding_box()
            assert box and box["height"] >= 48 and box["width"] >= 44, (sel, box)
        assert gp.locator("#btn-found").bounding_box()["y"] > 844 - 100
        if theme == "night":
            # Readable at minimum brightness: main text and the big figures keep at least 4.5:1 on black-red.
            bg = gp.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
            for sel in ("body", "#bearing", ".guide .label", "#btn-found"):
                fg = gp.locator(sel).first.evaluate("e => getComputedStyle(e).color")
                back = bg if sel != "#btn-found" else gp.locator(sel).evaluate("e => getComputedStyle(e).backgroundColor")
                assert _contrast(fg, back) >= 4.5, (sel, fg, back)
                r_, g_, b_ = (int(v) for v in re.findall(r"\d+", fg)[:3])
                assert r_ > g_ and r_ > b_, (sel, fg)  # red light only
        if lang == "zh":
            assert not _untranslated(gp), _untranslated(gp)
            assert not _untranslated(op), _untranslated(op)
        op.wait_for_timeout(400)
        gp.wait_for_timeout(400)
        op.screenshot(path=str(ARTIFACTS / f"officer-{lang}-{theme}.png"))
        gp.screenshot(path=str(ARTIFACTS / f"ground-{lang}-{theme}.png"), full_page=False)

        # A mistyped position is explained in the reader's language.
        seen: list[str] = []
        gp.once("dialog", lambda d: (seen.append(d.message), d.accept()))
        gp.fill("#pos-input", "north of the bridge")
        gp.click("#manual-pos button")
        gp.wait_for_timeout(200)
        assert seen and seen[0].startswith("请按“纬度, 经度”" if lang == "zh" else "Give your position as LAT, LON"), seen

        gp.click("#btn-en-route")
        expect(op.locator(f"#det-{did} .status")).to_contain_text("正在前往" if lang == "zh" else "en route")
    finally:
        officer.close()
        ground.close()
