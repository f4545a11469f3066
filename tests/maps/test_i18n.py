"""Languages: complete catalogues, the language choice, numbers for the reader, pages and maps in Chinese."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given, strategies as st

from geo.errors import InputError
from maps import i18n
from maps.i18n import gettext_for, language_from_env, negotiate, normalize_language, use_language
from maps.strings import STRINGS

babel = pytest.importorskip("babel", reason="Babel (test dependency) reads and compiles the catalogues")

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)[^}]*\}")


def _po_catalogues():
    from babel.messages.pofile import read_po

    from maps.i18n_tools import catalogue_paths

    out = []
    for po in catalogue_paths():
        with po.open("rb") as fh:
            out.append((po, read_po(fh, locale=po.parent.parent.name, domain=i18n.DOMAIN)))
    return out


# ------------------------------------------------------------------ catalogues
def test_a_simplified_chinese_catalogue_ships():
    assert "zh_Hans" in i18n.available_languages()
    assert i18n.available_languages()[0] == "en"
    po = [p for p, _ in _po_catalogues()]
    assert [p.parent.parent.name for p in po] == [x for x in i18n.available_languages() if x != "en"]


def test_every_visible_string_is_translated_in_every_catalogue():
    """Every STRINGS entry and every _()-marked string under thermal_sar/ (the CLI summaries), in every .po:
    present, translated, not fuzzy, with the same {placeholders}."""
    from maps.i18n_tools import extract_messages

    messages = extract_messages(ROOT)
    keys = {ctx for ctx, _, where in messages if where.startswith("maps/strings.py")}
    assert keys == set(STRINGS), "the extractor must see every entry of maps/strings.py"
    catalogues = _po_catalogues()
    assert catalogues
    problems = []
    for po, cat in catalogues:
        for ctx, msgid, where in messages:
            m = cat.get(msgid, context=ctx)
            name = f"{po.parent.parent.name}: {where} msgctxt={ctx!r} msgid={msgid!r}"
            if m is None:
                problems.append(f"{name}: missing (run `python -m maps.i18n_tools update`, then translate)")
                continue
            strings = m.string if isinstance(m.string, (tuple, list)) else (m.string,)
            if not all(s and s.strip() for s in strings):
                problems.append(f"{name}: not translated")
            elif m.fuzzy:
                problems.append(f"{name}: fuzzy (review the translation and remove the fuzzy flag)")
            else:
                ids = msgid if isinstance(msgid, tuple) else (msgid,)
                want = set(PLACEHOLDER.findall(ids[0]))
                for s in strings:
                    if set(PLACEHOLDER.findall(s)) != want:
                        problems.append(f"{name}: placeholders {sorted(PLACEHOLDER.findall(s))} != {sorted(want)}")
    assert not problems, "incomplete catalogues:\n" + "\n".join(problems[:40])


def test_compiled_catalogues_match_their_sources():
    """The shipped .mo is the compilation of today's .po (a fresh clone needs no build step)."""
    from babel.messages.mofile import read_mo

    for po, cat in _po_catalogues():
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run `python -m maps.i18n_tools compile`"
        with mo.open("rb") as fh:
            compiled = read_mo(fh)
        def norm(x):  # plural entries: (singular, plural) ids and one string per form
            return tuple(x) if isinstance(x, (list, tuple)) else x

        want = {(m.context, norm(m.id)): norm(m.string) for m in cat if m.id and m.string and not m.fuzzy}
        got = {(m.context, norm(m.id)): norm(m.string) for m in compiled if m.id}
        assert got == want, f"{mo} is stale: run `python -m maps.i18n_tools compile`"


def test_the_extractor_reads_marked_cli_strings(tmp_path):
    """A `_()` string in a CLI module is a message: the completeness test then demands its translation."""
    from maps.i18n_tools import extract_messages

    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "strings.py").write_text('STRINGS: dict[str, str] = {"ok": "OK", "fmt": "{n} m"}\n')
    (tmp_path / "thermal_sar" / "commands").mkdir(parents=True)
    (tmp_path / "thermal_sar" / "commands" / "x.py").write_text(
        'def summary(_):\n    return _("flight time") + _("{km:.2f} km each way").format(km=1)\n')
    got = {(c, m) for c, m, _ in extract_messages(tmp_path)}
    assert got == {("ok", "OK"), ("fmt", "{n} m"), (None, "flight time"), (None, "{km:.2f} km each way")}


def test_templates_and_scripts_use_only_known_strings():
    used = set()
    for f in (ROOT / "maps" / "templates").glob("*.html"):
        used |= set(re.findall(r"\bS\.(\w+)", f.read_text())) | set(re.findall(r"\bS\[\"(\w+)\"\]", f.read_text()))
    for f in (ROOT / "maps" / "www").glob("*.js"):
        text = f.read_text()
        used |= set(re.findall(r"\bS\.(\w+)", text)) | set(re.findall(r"fmt\(\"(\w+)\"", text))
    used = {k for k in used if not k.endswith("_")}  # "S.fmt_*" in a comment
    assert used and not (used - set(STRINGS)), f"unknown string keys: {sorted(used - set(STRINGS))}"


# ---------------------------------------------------------------- the choice
@pytest.mark.parametrize("tag, want", [
    ("zh-CN", "zh_Hans"), ("zh_CN.UTF-8", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh-Hans-CN", "zh_Hans"),
    ("zh", "zh_Hans"), ("ZH-cn", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh_Hans", "zh_Hans"),
    ("zh-TW", None), ("zh-Hant", None), ("zh-HK", None),  # Traditional script: no catalogue yet
    ("en", "en"), ("en-US", "en"), ("en_GB.UTF-8", "en"), ("C", None), ("POSIX", None), ("fr-FR", None), ("", None),
])
def test_normalize_language(tag, want):
    assert normalize_language(tag) == want


@pytest.mark.parametrize("header, cookie, want", [
    ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh_Hans"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", None, "en"),
    ("de-DE,zh-CN;q=0.8,en;q=0.5", None, "zh_Hans"),   # the first language we have
    ("en;q=0.2,zh-Hans;q=0.9", None, "zh_Hans"),         # by q-value, not order
    ("zh-TW,fr;q=0.5", None, "en"),                       # nothing shipped: English
    ("zh-CN;q=0,en", None, "en"),                          # q=0 means "not this"
    ("", None, "en"), (None, None, "en"), ("garbage;;q=x,,", None, "en"),
    ("zh-CN", "en", "en"),                                  # the user's setting beats the browser
    ("en", "zh", "zh_Hans"),
    ("en", "klingon", "en"),                                # a bad cookie is ignored
])
def test_negotiate(header, cookie, want):
    assert negotiate(header, cookie) == want


def test_language_from_environment():
    assert language_from_env({}) == "en"
    assert language_from_env({"LANG": "zh_CN.UTF-8"}) == "zh_Hans"
    assert language_from_env({"LANG": "C.UTF-8"}) == "en"
    assert language_from_env({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}) == "zh_Hans"
    assert language_from_env({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_env({"THERMAL_SAR_LANG": "zh", "LANG": "en_US.UTF-8"}) == "zh_Hans"
    with pytest.raises(InputError, match="THERMAL_SAR_LANG='fr'.*en, zh_Hans"):
        language_from_env({"THERMAL_SAR_LANG": "fr"})


def test_use_language_is_scoped(monkeypatch):
    monkeypatch.setenv("THERMAL_SAR_LANG", "en")
    assert gettext_for().lang == "en"
    with use_language("zh-CN") as code:
        assert code == "zh_Hans" and gettext_for().s("confirm") == "确认"
    assert gettext_for().lang == "en"
    with pytest.raises(InputError, match="lang='xx'"):
        gettext_for("xx")


# -------------------------------------------------------- numbers and units
def test_formatting_in_both_languages():
    en, zh = gettext_for("en"), gettext_for("zh-CN")
    assert en.distance(333.4) == "333 m" and zh.distance(333.4) == "333 米"
    assert en.distance(12345.0) == "12.35 km" and zh.distance(1000.0) == "1.00 公里"
    assert en.speed(10.0) == "36.0 km/h" and zh.speed(10.0) == "36.0 公里/小时"
    assert en.coord(30.38, 119.45) == "30.380000, 119.450000" == zh.coord(30.38, 119.45)
    assert en.heading(275.4) == "275° W" and zh.heading(275.4) == "275° 西"
    assert en.heading(44.9) == "45° NE" and zh.heading(22.0) == "22° 北东北"
    assert en.heading(359.6) == "0° N" and en.heading(-90.0) == "270° W"
    assert en.height_diff(41.6) == "+42 m" and en.height_diff(-7.2) == "−7 m" and zh.height_diff(0.2) == "0 米"
    assert en.duration(25 * 60) == "25 min" and en.duration(65 * 60) == "1 h 05 min" and zh.duration(3900) == "1 小时 05 分"
    assert en.percent(0.5) == "50 %" and en.number(1234567.891, 2) == "1,234,567.89"
    assert en.distance(None) == "–" and en.heading(float("nan")) == "–"
    assert zh.s("fmt_cep", m=7) == "CEP 7 米"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_headings_are_whole_degrees_0_to_359_with_a_compass_word(bearing):
    for lang in ("en", "zh_Hans"):
        tr = gettext_for(lang)
        deg, word = tr.heading(bearing).split("° ")
        assert 0 <= int(deg) <= 359
        assert word == tr.compass(int(deg))
        assert word in {tr.s(k) for k in STRINGS if k.startswith("compass_")}


def test_sixteen_distinct_compass_words_in_each_language():
    for lang in ("en", "zh_Hans"):
        tr = gettext_for(lang)
        assert len({tr.compass(22.5 * k) for k in range(16)}) == 16


# ---------------------------------------------------------------- the pages
def test_login_page_follows_the_browser_then_the_setting(live_server):
    base = live_server.url
    with httpx.Client(base_url=base, follow_redirects=False) as c:
        r = c.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert r.status_code == 200 and r.headers["content-language"] == "zh-Hans"
        assert '<html lang="zh-Hans" data-theme="day">' in r.text and "用户名" in r.text and "User name" not in r.text
        assert 'href="/prefs?lang=en&amp;next=/login"' in r.text and '>English</a>' in r.text  # named in itself
        r = c.get("/login", headers={"Accept-Language": "en-US"})
        assert "User name" in r.text and ">简体中文<" in r.text
        # The setting: a cookie, remembered, beats the browser; the theme too.
        r = c.get("/prefs", params={"lang": "zh-CN", "theme": "night", "next": "/login"})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.cookies.get("sar_lang") == "zh_Hans" and c.cookies.get("sar_theme") == "night"
        r = c.get("/login", headers={"Accept-Language": "en-US"})
        assert '<html lang="zh-Hans" data-theme="night">' in r.text and "登录" in r.text
        r = c.get("/login?error=1")
        assert "用户名或密码错误。" in r.text


def test_prefs_refuses_bad_values_and_other_sites(live_server):
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as c:
        for nxt in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/%2F/evil"):
            r = c.get("/prefs", params={"theme": "day", "next": nxt})
            assert r.status_code == 303 and r.headers["location"] == "/", nxt
        r = c.get("/prefs", params={"lang": "fr"})
        assert r.status_code == 400 and "lang='fr'" in r.json()["detail"]
        r = c.get("/prefs", params={"theme": "disco"})
        assert r.status_code == 400 and "day or night" in r.json()["detail"]


# ----------------------------------------------------------- the static maps
def _overwatch_geojson(small_mountain) -> dict:
    from mission import plan_overwatch

    lat0, lon0 = small_mountain.bounds.center
    plan = plan_overwatch((lat0, lon0), radius_m=80, agl_m=60, terrain=small_mountain,
                          launch=(lat0 - 0.003, lon0 + 0.002))
    return plan.to_geojson()


def test_static_map_in_chinese_and_night_with_the_overwatch_orbit(small_mountain):
    from maps import MapOptions, build_map, parse_mission

    fc = _overwatch_geojson(small_mountain)
    feats = parse_mission(fc)
    assert {"orbit", "point_of_interest"} <= {f.kind for f in feats}
    page = build_map(mission=feats, options=MapOptions(lang="zh-CN", theme="night")).get_root().render()
    assert "盘旋监视航线" in page and "监视点" in page and "任务预览" in page
    assert '"night"' in page and 'setAttribute("lang", "zh-Hans")' in page and 'id="sar-theme-toggle"' in page
    assert "Mission preview" not in page and "Waypoint" not in page
    assert "L.control.scale({imperial: false})" in page and "L.control.scale()" not in page  # metres only
    day = build_map(mission=feats, options=MapOptions(lang="en")).get_root().render()
    assert "Overwatch orbit" in day and "Point of interest" in day and '"day"' in day


def test_map_command_lang_option_is_scoped_to_the_run(tmp_path, monkeypatch):
    from tests.maps.test_static import targets_fc
    from thermal_sar.cli import main

    monkeypatch.setenv("THERMAL_SAR_LANG", "en")
    tg = tmp_path / "t.geojson"
    tg.write_text(json.dumps(targets_fc(2, 30.38, 119.45)))
    out = tmp_path / "zh.html"
    assert main(["--lang", "zh", "map", str(tg), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "目标检测报告" in text and "人员" in text
    assert gettext_for().lang == "en"  # nothing leaks into the next command
    assert main(["map", str(tg), "-o", str(tmp_path / "en.html")]) == 0
    assert "Detection report" in (tmp_path / "en.html").read_text(encoding="utf-8")
    assert main(["--lang", "tlh", "map", str(tg), "-o", str(out)]) == 2


def test_summary_tables_line_up_by_display_width():
    from maps.i18n import display_width

    assert display_width("time on station") == 15 and display_width("留空监视时间") == 12 and display_width("GSD（米）") == 9
    rows = [("orbit", "radius 80 m"), ("time on station", "21.0 min")]
    # English is exactly the f"  {k:<{w}}  {v}" layout the summaries used before translation.
    assert gettext_for("en").table(rows) == [f"  {k:<15}  {v}" for k, v in rows]
    zh = gettext_for("zh").table([("盘旋", "半径 80 米"), ("留空监视时间", "21.0 分钟"), ("GSD", "3 厘米")])
    assert len({display_width(line[: line.rindex("  ") + 2]) for line in zh}) == 1  # values start in one column
