"""Candidates on the officer page in a real browser: drawn apart, out of the count, hidden by the toggle."""

from __future__ import annotations

import pytest

from tests.maps.conftest import png_b64
from tests.maps.test_browser import ARTIFACTS, Offline, _switch_theme, browser, expect, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

ONCE = {"hits": 1, "opportunities": 3, "support": 0.27, "best_score": 0.8, "reasons": ["few_hits", "low_support"]}


def _feature(tid: str, lat: float, lon: float, *, candidate: bool, evidence: dict | None = None) -> dict:
    props = {"id": tid, "class_name": "sheep", "confidence": 0.8, "sightings": 1, "cep_m": 3.0, "candidate": candidate,
             "thumbnail_png_b64": png_b64(2, 24)}
    if evidence is not None:
        props["evidence"] = evidence
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat, 500.0]}, "properties": props}


@pytest.mark.parametrize("lang, theme", [("en", "day"), ("zh", "night")])
def test_a_candidate_is_drawn_apart_and_hidden_by_the_toggle(browser, live_server, lang, theme):  # noqa: F811
    base = live_server.url
    officer = Offline(browser, viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US")
    try:
        op = officer.page()
        sign_in(op, base, "officer1")
        _switch_theme(op, theme)
        op.wait_for_selector("#conn.live")
        live_server.ingest("/api/ingest/targets", {"type": "FeatureCollection", "vehicle": "hawk", "features": [
            _feature(f"{lang}-T001", 30.3800, 119.4500, candidate=False),
            _feature(f"{lang}-T002", 30.3805, 119.4505, candidate=True, evidence=ONCE)]})
        ids = {d["uid"]: d["id"] for d in live_server.store.list_detections()}
        tid, cid = ids[f"target:{lang}-T001"], ids[f"target:{lang}-T002"]
        op.wait_for_selector(f"#det-{cid}.candidate")
        op.wait_for_selector(f"path.det-marker-{cid}.det-candidate")
        # Labelled, with the reason it is not confirmed yet, and not counted among the targets to review.
        expect(op.locator(f"#det-{cid} .cand-badge")).to_have_text("候选" if lang == "zh" else "candidate")
        expect(op.locator(f"#det-{cid} .cand-why")).to_have_text(
            "覆盖它的 3 帧中有 1 帧看到" if lang == "zh" else "seen in 1 of 3 frames that covered it")
        expect(op.locator("#det-count")).to_have_text("1")
        expect(op.locator("#cand-count")).to_have_text("1")
        assert op.locator(f"#det-{tid}.candidate").count() == 0
        # Smaller and dimmer than a target.
        r_target = float(op.locator(f"path.det-marker-{tid}").get_attribute("stroke-opacity") or 1)
        r_cand = float(op.locator(f"path.det-marker-{cid}").get_attribute("stroke-opacity") or 1)
        assert r_cand < r_target
        assert op.locator(f"path.det-marker-{cid}").bounding_box()["width"] < \
            op.locator(f"path.det-marker-{tid}").bounding_box()["width"]
        op.screenshot(path=str(ARTIFACTS / f"officer-candidates-{lang}-{theme}.png"))

        # The toggle hides the candidate's card and marker; the target stays.
        op.uncheck("#show-candidates")
        expect(op.locator(f"#det-{cid}")).to_be_hidden()
        expect(op.locator(f"path.det-marker-{cid}")).to_have_count(0)
        expect(op.locator(f"path.det-marker-{tid}")).to_have_count(1)
        expect(op.locator("#cand-hidden")).to_have_text("（已隐藏 1 个）" if lang == "zh" else "(1 hidden)")
        # Remembered across a reload.
        op.reload()
        op.wait_for_selector(f"path.det-marker-{tid}")
        expect(op.locator("#show-candidates")).not_to_be_checked()
        expect(op.locator(f"#det-{cid}")).to_be_hidden()
        op.check("#show-candidates")
        op.wait_for_selector(f"path.det-marker-{cid}.det-candidate")

        # Confirmed by hand: a target like any other, counted.
        op.click(f"#det-{cid} button.confirm")
        expect(op.locator(f"#det-{cid}")).not_to_have_class("candidate")
        expect(op.locator("#det-count")).to_have_text("2")
        expect(op.locator("#cand-count")).to_have_text("0")
    finally:
        officer.close()
