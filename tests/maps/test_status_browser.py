"""Flight health on the officer page in a real browser: the banner while a problem lasts, its log once cleared."""

from __future__ import annotations

import time

import pytest

from tests.maps.test_browser import ARTIFACTS, Offline, _switch_theme, browser, expect, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


def _flight(live_server, t0: float, *, last_data_age_s: float) -> None:
    lat, lon = 30.38, 119.45
    live_server.ingest("/api/ingest/status", {"vehicle": "drone1", "kind": "flight", "severity": "info",
                                              "message": "flight drone1 started", "started_s": t0 - 120})
    for k in range(8):
        la = lat - 0.002 + 0.0005 * k
        fp = [[la - 3e-4, lon - 4e-4], [la + 3e-4, lon - 4e-4], [la + 3e-4, lon + 4e-4], [la - 3e-4, lon + 4e-4]]
        live_server.ingest("/api/ingest/telemetry", {"lat_deg": la, "lon_deg": lon, "alt_amsl_m": 650.0,
                                                     "heading_deg": 0.0, "footprint": fp,
                                                     "t_s": t0 - last_data_age_s - 8 + k})


@pytest.mark.parametrize("lang, theme", [("en", "day"), ("zh", "night")])
def test_officer_sees_a_stalled_camera_until_it_recovers(browser, live_server, lang, theme):  # noqa: F811
    t0 = time.time()
    _flight(live_server, t0, last_data_age_s=0.0)
    live_server.ingest("/api/ingest/status", {
        "vehicle": "drone1", "kind": "frames_stalled", "severity": "warning", "started_s": t0 - 42,
        "message": "no frame from /dev/video0 for 42 s while flying; the search sees nothing meanwhile"})
    ctx = Offline(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US")
    try:
        op = ctx.page()
        sign_in(op, live_server.url, "officer1")
        _switch_theme(op, theme)
        op.wait_for_selector("#conn.live")
        banner = op.locator(".health-banner[data-kind=frames_stalled]")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("相机无画面" if lang == "zh" else "No frames from the camera")
        expect(banner).to_contain_text("自" if lang == "zh" else "since")
        expect(banner).to_contain_text("/dev/video0")
        expect(op.locator("#health-ok")).to_be_hidden()
        op.wait_for_timeout(400)
        name = f"officer-frames-stalled-{lang}-{theme}.png"  # docs/screenshots/officer-frames-stalled.png
        op.screenshot(path=str(ARTIFACTS / name))

        # The link drops too: a critical banner comes first; then both recover and only the log remains.
        live_server.ingest("/api/ingest/status", {"vehicle": "drone1", "kind": "link_lost", "severity": "critical",
                                                  "message": "no heartbeat from the vehicle for 4 s"})
        expect(op.locator(".health-banner").first).to_have_attribute("data-kind", "link_lost")
        for kind in ("frames_stalled", "link_lost"):
            live_server.ingest("/api/ingest/status", {"vehicle": "drone1", "kind": kind, "active": False,
                                                      "severity": "warning", "message": "recovered"})
        expect(op.locator(".health-banner")).to_have_count(0)
        expect(op.locator("#health-log li.resolved")).to_have_count(2)
        expect(op.locator("#health-log")).to_contain_text("已恢复" if lang == "zh" else "resolved")
    finally:
        ctx.close()


def test_officer_sees_no_data_when_a_flight_stops_reporting(browser, live_server):  # noqa: F811
    """The drone's feed can fail without telling (its network is down): the page notices the silence itself."""
    _flight(live_server, time.time(), last_data_age_s=30.0)
    ctx = Offline(browser, viewport={"width": 1280, "height": 800})
    try:
        op = ctx.page()
        sign_in(op, live_server.url, "officer1")
        op.wait_for_selector("#conn.live")
        expect(op.locator(".health-banner[data-kind=no_data]")).to_contain_text("No data from the drone")
    finally:
        ctx.close()
