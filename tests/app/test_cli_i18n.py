"""The CLI's human summaries in Simplified Chinese and English (docs/i18n.md).

``thermal-sar --lang zh plan ...`` prints Chinese for every pattern, English by
default; the planner's warnings (English text in ``mission``, which knows no
languages) carry a stable code and values that the CLI words in the reader's
language.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from geo.terrain import FlatTerrain
from mission import WARNING_CODES, PlanWarning, plan_search
from thermal_sar.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")
SQUARE = "30.380,119.450 30.383,119.450 30.383,119.454 30.380,119.454"
PATTERNS = {
    "grid": ["--points", SQUARE, "--target", "sheep", "--stills", "--altitude-frame", "terrain"],
    "expanding-square": ["--datum", "30.38,119.45", "--pattern", "expanding-square", "--radius", "200",
                         "--launch", "30.379,119.45"],
    "sector": ["--datum", "30.38,119.45", "--pattern", "sector", "--radius", "200", "--drones", "2"],
    "creeping-line": ["--datum", "30.38,119.45", "--pattern", "creeping-line", "--radius", "200",
                      "--launch", "30.379,119.45"],
    "rings": ["--ipp", "30.38,119.45", "--category", "child-4-6", "--rings-to", "25", "--launch", "30.379,119.45"],
    "overwatch": ["--pattern", "overwatch", "--at", "30.38,119.45", "--radius", "80.4", "--agl", "60"],
}
ENGLISH_LABELS = ("height above ground", "flight time", "warning:", "wrote", "pattern")


@pytest.fixture(autouse=True)
def _english_environment(monkeypatch):
    """No language from the machine running the tests: English unless --lang says otherwise."""
    for var in ("THERMAL_SAR_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)


def _plan(capsys, tmp_path, args, lang=None):
    rc = main([*(["--lang", lang] if lang else []), "plan", *args, "--out", str(tmp_path / "m.plan")])
    out = capsys.readouterr().out
    assert rc == 0, out
    return out


@pytest.mark.parametrize("name", list(PATTERNS))
def test_plan_summary_in_chinese_for_every_pattern(name, tmp_path, capsys):
    zh = _plan(capsys, tmp_path, PATTERNS[name], "zh")
    lines = [ln for ln in zh.splitlines() if ln.strip()]
    assert len(lines) >= 10
    untranslated = [ln for ln in lines if not CJK.search(ln)]
    assert not untranslated, untranslated  # every line, table rows and warnings included, reads in Chinese
    assert "警告：" in zh and "已写入" in zh
    for word in ENGLISH_LABELS:
        assert word not in zh, word


@pytest.mark.parametrize("name", ["grid", "overwatch"])
def test_plan_summary_is_english_by_default(name, tmp_path, capsys):
    en = _plan(capsys, tmp_path, PATTERNS[name])
    assert not CJK.search(en)
    for word in ENGLISH_LABELS:
        assert word in en, word
    assert "no DEM given" in en


def test_plan_summary_figures_are_formatted_for_the_reader(tmp_path, capsys):
    en = _plan(capsys, tmp_path, PATTERNS["grid"])
    zh = _plan(capsys, tmp_path, PATTERNS["grid"], "zh")
    # Headings as a whole degree and a compass word; coordinates with 6 decimals; units in the language.
    assert re.search(r"lines at \d{1,3}° (N|NNE|NE|ENE|E|ESE|SE|SSE|S|SSW|SW|WSW|W|WNW|NW|NNW)\b", en)
    assert re.search(r"航线方向 \d{1,3}° [北南东西]", zh)
    assert re.search(r"assumed inside the area at 30\.\d{6}, 119\.\d{6}\.", en)
    assert " km²" in en and "平方公里" in zh and " 米" in zh and " m " in en


def test_the_sortie_table_lines_up_in_chinese(tmp_path, capsys):
    from maps.i18n import display_width

    zh = _plan(capsys, tmp_path, PATTERNS["sector"], "zh")
    lines = zh.splitlines()
    head = lines.index("  架次：")
    rows = lines[head + 1:head + 4]  # header and the two drones' sorties
    assert rows[0].split()[:2] == ["#", "飞行时间"]
    assert len({display_width(r) for r in rows}) == 1, rows


def test_every_warning_code_reads_in_both_languages():
    from maps.i18n import gettext_for
    from thermal_sar.pipelines.plan import warning_text

    sample = {"count": 12, "south_lat_deg": 30.1, "north_lat_deg": 30.2, "west_lon_deg": 119.1,
              "east_lon_deg": 119.2, "name": "area", "part": "hole", "index": 0, "reason": "self-intersection",
              "lat_deg": 30.38, "lon_deg": 119.45, "sortie": 2, "items": 750, "n": 3, "slope_deg": 22.0,
              "bearing_deg": 45.0, "radius_m": 80.4, "flown_m": 80.0, "step_m": 1.0, "relief_m": 35.0,
              "tolerance_m": 10.0, "waypoints": 24, "laps": 300, "max_turns": 255, "station_s": 3000.0,
              "fraction": 0.25}
    en, zh = gettext_for("en"), gettext_for("zh")
    for code, names in WARNING_CODES.items():
        w = PlanWarning(code, f"english text of {code}", **{k: sample[k] for k in names})
        e, z = warning_text(en, w), warning_text(zh, w)
        assert e != str(w) and "{" not in e, code  # the CLI knows the code
        assert CJK.search(z) and "{" not in z and z != e, code
    assert warning_text(zh, "a warning from elsewhere") == "a warning from elsewhere"


def test_planner_warnings_carry_their_code_and_declared_values():
    area = [(30.380, 119.450), (30.383, 119.450), (30.383, 119.454), (30.380, 119.454)]
    plan = plan_search(area, camera="m30t", target="sheep", terrain=None, altitude_frame="terrain")
    assert {w.code for w in plan.warnings} >= {"no_dem", "launch_assumed", "terrain_frame"}
    for w in plan.warnings:
        assert isinstance(w, PlanWarning) and set(w.values) == set(WARNING_CODES[w.code]), w
    import pickle

    w = plan.warnings[1]
    back = pickle.loads(pickle.dumps(w))
    assert back == w and back.code == w.code and dict(back.values) == dict(w.values)
    with pytest.raises(AttributeError):
        w.code = "other"


def test_fly_summary_in_both_languages():
    from maps.i18n import use_language
    from telemetry.link import LinkEvent
    from telemetry.mission_protocol import UploadReport
    from thermal_sar.pipelines.fly import FlyReport

    rep = FlyReport(items=5, upload=UploadReport(5, 0, 4, 1, 0, 0.42), verified=True, flown=True,
                    reached=(1, 2, 3, 4), duration_s=41.0, tlog_path=None,
                    link_events=(LinkEvent(1.0, "connected"), LinkEvent(2.0, "lost"), LinkEvent(3.0, "reconnected")),
                    terrain_blocks_sent=7)
    en = rep.summary()
    assert "uploaded 5 items (home + 4) in 0.4 s" in en and "verified by download: yes" in en
    assert "flew: items reached [1, 2, 3, 4] in 41 s" in en and "link lost 1 time, reconnected each time" in en
    with use_language("zh"):
        zh = rep.summary()
    assert all(CJK.search(ln) for ln in zh.splitlines()) and "下载核对：通过" in zh and "41 秒" in zh


def test_terrain_info_in_chinese(tmp_path, capsys):
    r, c = np.mgrid[0:1201, 0:1201]
    z = (300 + c // 3 + r // 5).astype(">i2")
    z[10:20, 10:20] = -32768
    p = tmp_path / "N44W072.hgt"
    p.write_bytes(z.tobytes())
    assert main(["--lang", "zh", "terrain", "info", str(p)]) == 0
    zh = capsys.readouterr().out
    assert "纬度 44.00000..45.00000" in zh and "100 个空洞采样点" in zh
    assert all(CJK.search(ln) for ln in zh.splitlines())


def test_geotag_summary_in_chinese():
    from maps.i18n import use_language
    from telemetry.fusion import FusedTarget
    from telemetry.logs import LogSummary
    from thermal_sar.commands.geotag import geotag_summary
    from thermal_sar.pipelines.geotag import GeotagReport

    t = FusedTarget("T1", "person", 30.3812345, 119.4523456, 120.0, np.eye(2), 0.83, 3, 10.0, 14.0, 1.6, 1.2, 0.9,
                    30.0)
    rep = GeotagReport("targets.geojson", 4, 3, 1, 0, 12.5, "estimated from 9 camera trigger events", "flat",
                       LogSummary("f.tlog", "tlog", 1000, 2), (t,))
    en = geotag_summary(rep)
    assert "+12.500 s (estimated from 9 camera trigger events)" in en
    assert "T1 person 30.381235, 119.452346 CEP 1.6 m, 3 sightings, confidence 0.83" in en
    with use_language("zh"):
        zh = geotag_summary(rep)
    assert "由 9 个相机触发事件估计" in zh and "T1 人员 30.381235, 119.452346" in zh
    assert all(CJK.search(ln) for ln in zh.splitlines()), zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fly_progress_lines_in_both_languages(tmp_path, monkeypatch, capsys, lang):
    """The lines `fly` prints while flying (connecting, progress, link loss) follow --lang."""
    import thermal_sar.pipelines.fly as fly_pipeline
    from telemetry.control import MissionProgress
    from telemetry.link import LinkEvent

    def fake_fly(connect, items, **kw):
        kw["on_progress"](MissionProgress(2, (1,), 4, "AUTO", True, 61.5))
        kw["on_event"](LinkEvent(3.0, "lost", "no heartbeat for 3 s"))
        raise fly_pipeline.LinkError("stop here")

    monkeypatch.setattr(fly_pipeline, "fly_mission", fake_fly)
    plan = tmp_path / "m.waypoints"
    plan.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t30.38\t119.45\t500\t1\n"
                    "1\t0\t3\t16\t0\t0\t0\t0\t30.381\t119.451\t60\t1\n")
    main(["--lang", lang, "fly", "--connect", "tcp:127.0.0.1:1", "--mission", str(plan)])
    cap = capsys.readouterr()
    lines = [ln for ln in (cap.out + cap.err).splitlines() if ln.strip()][:3]
    assert len(lines) == 3
    if lang == "zh":
        assert all(CJK.search(ln) for ln in lines), lines
        assert "已解锁" in lines[1] and "链路中断" in lines[2]
    else:
        assert lines[0].startswith("connecting to tcp:127.0.0.1:1")
        assert "item 2/3" in lines[1] and "armed" in lines[1] and "link lost" in lines[2]
