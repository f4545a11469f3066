"""``thermal-sar replay`` end to end: a recorded pass over the small sheep world, its frames, the DJI folder.

The flight: a 60 m pass at 5 m/s, 70 m above the pen of ``sheep-small`` (9 sheep),
written as a tlog (tests/app/replay_flight.py); frames rendered by ``sim`` at
the poses read back from that tlog: 16-bit radiometric PNG stills at 2 fps (one
CAMERA_FEEDBACK each) and an 8-bit MJPG video at 4 fps. Tolerance: the frames
were taken exactly at the logged poses, so every sheep found lies within 3 m of
where it was planted (detection centre vs body centre, and the slope).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from geo.coords import distance_m
from geo.errors import FormatError, InputError, SarIOError
from tests.app import replay_flight as rf
from thermal_sar.cli import main
from thermal_sar.pipelines.replay import choose_every, open_frame_source, parse_video_start, run_replay

SCENARIO = Path(__file__).parent / "data" / "sheep-small.yaml"
PEN_XY_M = (1520.0, -1525.0)
STILL_FPS = 2.0
VIDEO_FPS = 4.0
FOUND_WITHIN_M = 3.0


@pytest.fixture(scope="module")
def flight(tmp_path_factory):
    import sim

    d = tmp_path_factory.mktemp("replay")
    scene = sim.load_scenario(SCENARIO)
    fl = rf.pass_over(scene, PEN_XY_M, length_m=60.0, agl_m=70.0, speed_m_s=5.0)
    video_t = fl.t0_s + np.arange(0.0, fl.duration_s, 1.0 / VIDEO_FPS)
    still_t = video_t[::2]  # 2 fps: every other video frame
    tlog = rf.write_tlog(scene, fl, d / "flight.tlog", trigger_times_s=still_t)
    frames = rf.render_at_log_poses(scene, "h20t", tlog, video_t)
    rf.write_png_counts(frames[::2], d / "stills")
    rf.write_video(frames, d / "flight.avi", VIDEO_FPS)
    pen = [(t.lat_deg, t.lon_deg) for t in scene.targets if t.label == "in pen"]
    assert len(pen) == 9
    return {"dir": d, "scene": scene, "pass": fl, "tlog": tlog, "video_t": video_t, "pen": pen}


def _found(targets, truth):
    """Planted sheep with a target within FOUND_WITHIN_M, and each one's distance."""
    out = []
    for lat, lon in truth:
        d = min((distance_m(lat, lon, t.lat_deg, t.lon_deg) for t in targets), default=math.inf)
        if d <= FOUND_WITHIN_M:
            out.append(float(d))
    return out


def test_stills_with_camera_triggers_find_the_pen(flight, tmp_path):
    out = tmp_path / "o"
    r = run_replay(flight["dir"] / "stills", out, log=flight["tlog"], camera="h20t", fps=STILL_FPS,
                   synthetic_terrain=True)
    # The clock came from the CAMERA_FEEDBACK events: the first still is the first trigger.
    assert r.clock.source == "triggers"
    assert r.clock.offset_s == pytest.approx(flight["pass"].t0_s, abs=1e-3)
    n = len(flight["video_t"][::2])
    assert r.clock.fit.matched == r.source.count == n and r.clock.fit.rms_residual_s < 1e-3
    assert r.frames_processed == n and r.frames_outside_log == 0
    found = _found(r.targets, flight["pen"])
    assert len(found) >= 7, r.to_dict()["found"]
    assert np.median(found) <= 2.0
    for name in ("targets.geojson", "officer_map.html", "ground_team.gpx", "summary.json", "summary.txt"):
        assert (out / name).stat().st_size > 0, name
    gpx = ET.fromstring((out / "ground_team.gpx").read_bytes())
    assert len(gpx.findall("{http://www.topografix.com/GPX/1/1}wpt")) == len(r.targets)
    html = (out / "officer_map.html").read_text()
    # Offline: no script, style or image is loaded from the network.
    assert not re.search(r"""<(script|link|img)[^>]*(src|href)\s*=\s*["']https?://""", html)
    data = json.loads((out / "summary.json").read_text())
    assert data["clock"]["fit"]["matched"] == n and data["targets"] == len(r.targets)


def test_stills_with_dataflash_cam_events(flight, tmp_path):
    log = rf.write_dataflash_text(flight["scene"], flight["pass"], tmp_path / "flight.log",
                                  trigger_times_s=flight["video_t"][::2])
    r = run_replay(flight["dir"] / "stills", tmp_path / "o", log=log, camera="h20t", fps=STILL_FPS,
                   synthetic_terrain=True)
    assert r.clock.source == "triggers" and r.clock.fit.matched == r.source.count
    assert r.clock.offset_s == pytest.approx(flight["pass"].t0_s, abs=1e-3)
    assert len(_found(r.targets, flight["pen"])) >= 7


def test_video_with_utc_start_and_auto_every(flight, tmp_path):
    fl = flight["pass"]
    start = datetime.fromtimestamp(fl.utc0_s + fl.t0_s, tz=timezone.utc).isoformat()
    r = run_replay(flight["dir"] / "flight.avi", tmp_path / "o", log=flight["tlog"], camera="h20t",
                   video_start=start, synthetic_terrain=True)
    assert r.clock.source == "utc"
    assert r.clock.offset_s == pytest.approx(-fl.utc0_s, abs=1e-3)
    # 70 m above ground at 5 m/s, 32 m footprint: 90 % overlap -> a processed frame every 0.64 s = 2 frames.
    assert r.every == 2 and r.frames_read == len(flight["video_t"]) // 2
    _video_places_the_sheep(r.targets, r.candidates, flight)


def _video_places_the_sheep(targets, candidates, flight):
    # 8-bit video: every sheep is placed (as a target or a candidate), but the classical detector's
    # scores on 8-bit frames are too low for most to be confirmed (docs/replay.md, known limits).
    # (Which detections are confirmed depends on the detector's scores on 8-bit frames; here only that
    # some sheep is confirmed and placed: the clock and the frame selection are what is tested.)
    assert len(_found(list(targets) + list(candidates), flight["pen"])) >= 7
    assert _found(targets, flight["pen"]), "no sheep confirmed at all"


def test_cli_video_with_flight_clock_start_every_frame(flight, tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["replay", str(flight["dir"] / "flight.avi"), "--log", str(flight["tlog"]), "--camera", "h20t",
               "--video-start", str(flight["pass"].t0_s), "--every", "1", "--synthetic-terrain", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    data = json.loads((out / "summary.json").read_text())
    assert data["every"] == 1 and data["frames_processed"] == len(flight["video_t"])
    assert data["clock"]["source"] == "video-start"
    assert "thermal-sar replay" in text and "times real time" in text
    from maps import parse_targets

    found = [parse_targets(json.loads((out / n).read_text())) for n in ("targets.geojson", "candidates.geojson")]
    assert len(found[0]) == data["targets"] and len(found[1]) == data["candidates"]
    _video_places_the_sheep(*found, flight)


def test_summary_in_chinese(flight, tmp_path, capsys):
    rc = main(["--lang", "zh", "replay", str(flight["dir"] / "stills"), "--log", str(flight["tlog"]), "--camera",
               "h20t", "--fps", "2", "--every", "3", "--synthetic-terrain", "--out", str(tmp_path / "o")])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "回放" in text and "时钟" in text


def test_ctrl_c_still_writes_what_was_found(flight, tmp_path):
    seen = []

    def progress(done, total, processed):
        seen.append(processed)
        if processed >= 4:
            raise KeyboardInterrupt

    r = run_replay(flight["dir"] / "stills", tmp_path / "o", log=flight["tlog"], camera="h20t", fps=STILL_FPS,
                   synthetic_terrain=True, progress=progress)
    assert r.interrupted and r.frames_processed == 4
    data = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert data["interrupted"] is True
    assert (tmp_path / "o" / "officer_map.html").exists()
    assert "INTERRUPTED" in (tmp_path / "o" / "summary.txt").read_text()


def _dji_video(flight, folder: Path, **srt) -> Path:
    """The fixture's video as DJI records it: DJI_0001.avi with its subtitles DJI_0001.SRT beside it."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "DJI_0001.avi"
    shutil.copyfile(flight["dir"] / "flight.avi", video)
    rf.write_dji_srt(flight["scene"], flight["pass"], folder / "DJI_0001.SRT", flight["video_t"], **srt)
    return video


@pytest.mark.parametrize("gimbal", [True, False])
def test_dji_video_with_its_subtitles_needs_no_log_nor_clock(flight, tmp_path, gimbal):
    # The subtitles are found beside the video and are on its clock: no --log, no --video-start. Without
    # gimbal angles the camera is nadir with the image top along the track (the fixture's camera is so).
    video = _dji_video(flight, tmp_path / "card", gimbal=gimbal)
    r = run_replay(video, tmp_path / "o", camera="h20t", synthetic_terrain=True)
    assert r.clock.source == "srt" and r.clock.offset_s == 0.0
    assert r.log is not None and r.log.startswith("DJI subtitles DJI_0001.SRT: 48 blocks, 48 with a position")
    assert r.frames_outside_log == 0
    _video_places_the_sheep(r.targets, r.candidates, flight)
    summary = (tmp_path / "o" / "summary.txt").read_text()
    assert "DJI subtitles" in summary
    # What the reader assumed is in the summary for the officer to see.
    assert ("image top taken towards the direction of flight" in summary) == (not gimbal)


def test_mavic2_subtitles_heights_above_takeoff(flight, tmp_path):
    # GPS (lon, lat, n) ... H 70.00m: heights above take-off only. The recording starts 70 m up, so with a
    # DEM the take-off altitude must be given; with it the sheep are placed as from the tlog.
    video = _dji_video(flight, tmp_path / "card", layout="mavic2")
    with pytest.raises(InputError, match="--takeoff-alt-m") as e:
        run_replay(video, tmp_path / "o", camera="h20t", synthetic_terrain=True)
    assert "70.0 m above take-off" in str(e.value)
    r = run_replay(video, tmp_path / "o", camera="h20t", synthetic_terrain=True,
                   takeoff_alt_m=flight["pass"].home_alt_amsl_m)
    assert r.clock.source == "srt"
    _video_places_the_sheep(r.targets, r.candidates, flight)


def test_cli_takeoff_altitude_is_for_subtitles_only(flight, tmp_path, capsys):
    rc = main(["replay", str(flight["dir"] / "flight.avi"), "--log", str(flight["tlog"]), "--camera", "h20t",
               "--video-start", str(flight["pass"].t0_s), "--takeoff-alt-m", "900", "--synthetic-terrain",
               "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc != 0 and "DJI subtitles" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_subtitles_and_a_utc_video_start_disagree(flight, tmp_path):
    video = _dji_video(flight, tmp_path / "card")
    with pytest.raises(InputError, match="video's own clock"):
        run_replay(video, tmp_path / "o", camera="h20t", synthetic_terrain=True,
                   video_start="2026-11-29T14:03:12Z")


@pytest.mark.shared_data
def test_dji_folder_alone(tmp_path):
    from tests.conftest import shared_path

    folder = shared_path("rjpeg", "dji_h20t")
    r = run_replay(folder, tmp_path / "o")
    assert r.camera == "DJI Zenmuse H20T thermal"  # from the EXIF model, no --camera needed
    assert r.clock.source == "xmp" and r.frames_processed == 8
    assert "flat at 157.5 m" in r.terrain  # take-off altitude: AbsoluteAltitude - RelativeAltitude
    # Sun-warmed forest canopy with bare branches and no warm body in view: at most one false target
    # (the classical detector's sun gate), and it lies under the strip flown (51.3661..51.3665 N).
    assert len(r.targets) <= 1
    for t in r.targets:
        assert 51.3655 < t.lat_deg < 51.3672 and 12.3080 < t.lon_deg < 12.3100
    assert (tmp_path / "o" / "officer_map.html").stat().st_size > 0


# ------------------------------------------------------------------ bad input: one clear error each
def test_missing_log(flight, tmp_path):
    with pytest.raises(SarIOError, match="does not exist"):
        run_replay(flight["dir"] / "stills", tmp_path / "o", log=tmp_path / "nope.tlog", camera="h20t")


def test_video_that_does_not_open(tmp_path):
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 10)
    with pytest.raises(SarIOError, match="cannot be opened|no frame can be decoded"):
        open_frame_source(bad)


def test_folder_without_frames(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no frames"):
        open_frame_source(tmp_path / "empty")
    assert main(["replay", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "no frames" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_missing_frames_path(tmp_path):
    with pytest.raises(SarIOError, match="does not exist"):
        open_frame_source(tmp_path / "nothing.avi")


def test_log_without_position(flight, tmp_path):
    log = rf.write_tlog(flight["scene"], flight["pass"], tmp_path / "nopos.tlog", with_position=False)
    with pytest.raises(FormatError, match="no GLOBAL_POSITION_INT"):
        run_replay(flight["dir"] / "stills", tmp_path / "o", log=log, camera="h20t", fps=STILL_FPS)


def test_clock_offset_leaving_no_frame_in_the_flight(flight, tmp_path):
    # A video's span is known up front: refused before any frame is decoded.
    with pytest.raises(InputError, match="no frame falls inside the flight"):
        run_replay(flight["dir"] / "flight.avi", tmp_path / "v", log=flight["tlog"], camera="h20t",
                   clock_offset_s=5000.0)
    # Stills: after reading them all; nothing is written.
    with pytest.raises(InputError, match="no frame falls inside the flight"):
        run_replay(flight["dir"] / "stills", tmp_path / "s", log=flight["tlog"], camera="h20t",
                   clock_offset_s=-5000.0)
    assert not (tmp_path / "s").exists()


def test_video_without_any_clock_says_what_to_pass(flight, tmp_path):
    with pytest.raises(InputError, match="--clock-offset-s.*--video-start"):
        run_replay(flight["dir"] / "flight.avi", tmp_path / "o", log=flight["tlog"], camera="h20t")


def test_frames_of_another_camera(flight, tmp_path):
    with pytest.raises(InputError, match="pass the --camera preset"):
        run_replay(flight["dir"] / "stills", tmp_path / "o", log=flight["tlog"], camera="lepton35", fps=STILL_FPS)


def test_video_needs_a_log(flight, tmp_path):
    with pytest.raises(InputError, match="--log"):
        run_replay(flight["dir"] / "flight.avi", tmp_path / "o", camera="h20t")


def test_parse_video_start():
    assert parse_video_start("312.5") == ("log", 312.5)
    assert parse_video_start("2026-11-29T14:03:12Z") == ("utc", datetime(2026, 11, 29, 14, 3, 12,
                                                                          tzinfo=timezone.utc).timestamp())
    with pytest.raises(InputError, match="ISO"):
        parse_video_start("yesterday")


def test_choose_every_keeps_the_overlap():
    from geo.camera import camera_preset
    from thermal_sar.pipelines.search import footprint_along_m

    cam = camera_preset("h20t")
    n = choose_every(30.0, cam, 60.0, 10.0, overlap=0.9)
    # Processed frames n/30 s apart move 10 m/s * n/30 s: at most 10 % of the footprint.
    assert 10.0 * n / 30.0 <= 0.1 * footprint_along_m(cam, 60.0) < 10.0 * (n + 1) / 30.0
    assert choose_every(30.0, cam, 60.0, 10.0, overlap=0.0) == 30  # capped at one frame a second
    assert choose_every(None, cam, 60.0, 10.0, overlap=0.9) == 1


# ------------------------------------------------------------------ a flight recorded by `thermal-sar demo`
@pytest.mark.slow
def test_recorded_demo_flight(tmp_path):
    """The small demo flies the simulated vehicle over MAVLink and records demo.tlog; a camera that took
    stills at 2 fps while the aircraft crossed the pen is rendered at the tlog's poses and replayed."""
    import sim
    from telemetry import read_tlog

    demo = tmp_path / "demo"
    assert main(["demo", "--scenario", str(SCENARIO), "--out", str(demo), "--speedup", "80"]) == 0
    scene = sim.load_scenario(SCENARIO)
    track = read_tlog(demo / "demo.tlog").track
    x, y = scene.frame.to_local(track.lat_deg, track.lon_deg)
    agl = track.alt_amsl_m - np.asarray(scene.terrain.elevation_m(track.lat_deg, track.lon_deg))
    over = np.flatnonzero((np.hypot(x - PEN_XY_M[0], y - PEN_XY_M[1]) < 15.0) & (agl > 30.0))
    assert over.size, "the demo's flight never crossed the pen"
    t_start = float(track.time_s[over[0]]) - 6.0
    times = t_start + np.arange(24) / STILL_FPS
    rf.write_png_counts(rf.render_at_log_poses(scene, "m30t", demo / "demo.tlog", times), tmp_path / "stills")
    r = run_replay(tmp_path / "stills", tmp_path / "o", log=demo / "demo.tlog", camera="m30t", fps=STILL_FPS,
                   clock_offset_s=t_start, synthetic_terrain=True)
    assert r.frames_processed == 24 and r.frames_outside_log == 0
    found = _found(r.targets, [(t.lat_deg, t.lon_deg) for t in scene.targets if t.label == "in pen"])
    assert len(found) >= 7, r.to_dict()["found"]


# ------------------------------------------------------------------ the reader thread
def test_reader_thread_passes_items_and_errors_in_order():
    from thermal_sar.pipelines.replay import _Prefetch

    def gen():
        yield from range(20)
        raise SarIOError("disk gone")

    got = []
    with pytest.raises(SarIOError, match="disk gone"):
        with _Prefetch(gen(), depth=3) as stream:
            for x in stream:
                got.append(x)
    assert got == list(range(20))


def test_reader_thread_stops_and_closes_the_source_when_the_consumer_leaves():
    import threading

    from thermal_sar.pipelines.replay import _Prefetch

    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    p = _Prefetch(endless(), depth=2)
    with p as stream:
        assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert closed.wait(2.0) and not p._thread.is_alive()


def test_one_thread_and_reader_thread_give_the_same_targets(flight, tmp_path):
    kw = dict(log=flight["tlog"], camera="h20t", fps=STILL_FPS, synthetic_terrain=True)
    a = run_replay(flight["dir"] / "stills", tmp_path / "a", reader_thread=False, **kw)
    b = run_replay(flight["dir"] / "stills", tmp_path / "b", reader_thread=True, **kw)
    assert [(t.lat_deg, t.lon_deg, t.sightings) for t in a.targets] == [
        (t.lat_deg, t.lon_deg, t.sightings) for t in b.targets]


def test_cli_ctrl_c_prints_what_was_found_and_exits_130(flight, tmp_path, monkeypatch, capsys):
    from thermal_sar.pipelines import search

    real = search.FramePipeline.process

    def process(self, *a, **kw):
        if self.frames >= 3:
            raise KeyboardInterrupt
        return real(self, *a, **kw)

    monkeypatch.setattr(search.FramePipeline, "process", process)
    out = tmp_path / "o"
    rc = main(["replay", str(flight["dir"] / "stills"), "--log", str(flight["tlog"]), "--camera", "h20t", "--fps",
               "2", "--synthetic-terrain", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 130
    assert "INTERRUPTED" in captured.out and "aborted" in captured.err
    assert json.loads((out / "summary.json").read_text())["frames_processed"] == 3


def test_stills_without_triggers_or_times_say_what_to_pass(flight, tmp_path):
    log = rf.write_tlog(flight["scene"], flight["pass"], tmp_path / "notrig.tlog")
    with pytest.raises(InputError, match="no camera-trigger events.*--clock-offset-s"):
        run_replay(flight["dir"] / "stills", tmp_path / "o", log=log, camera="h20t")


def test_detect_on_a_dji_video_takes_each_frames_pose_from_its_subtitles(flight, tmp_path):
    # With the subtitles and the camera, every frame has a pose and a ground sample distance, so the
    # classical detector sizes bodies in square metres and names sheep; without them it cannot.
    from thermal_sar.pipelines.detect import make_detector, run_detect

    video = _dji_video(flight, tmp_path / "card")
    s = run_detect([video], tmp_path / "o", detector=make_detector("classical"), camera="h20t", annotate=False)
    doc = json.loads((tmp_path / "o" / "detections.json").read_text())
    assert s.frames == len(flight["video_t"]) and not s.skipped
    gsd = [f["gsd_m"] for f in doc["frames"]]
    cam = __import__("geo.camera", fromlist=["camera_preset"]).camera_preset("h20t")
    assert all(g == pytest.approx(cam.gsd_m(70.0), rel=0.02) for g in gsd)  # 70 m above flat take-off ground
    assert all("pose" in f for f in doc["frames"])
    assert doc["frames"][0]["pose"]["gimbal_pitch_deg"] == pytest.approx(-90.0)
    assert s.by_class.get("sheep", 0) > 0
    # The same video without its subtitles: no pose, no GSD, warm spots without a class.
    (tmp_path / "card" / "DJI_0001.SRT").unlink()
    s2 = run_detect([video], tmp_path / "o2", detector=make_detector("classical"), camera="h20t", annotate=False)
    doc2 = json.loads((tmp_path / "o2" / "detections.json").read_text())
    assert all(f["gsd_m"] is None and "pose" not in f for f in doc2["frames"])
    assert set(s2.by_class) <= {"hotspot"}


def test_detect_reports_unreadable_subtitles_and_goes_on(flight, tmp_path):
    from thermal_sar.pipelines.detect import make_detector, run_detect

    video = _dji_video(flight, tmp_path / "card")
    (tmp_path / "card" / "DJI_0001.SRT").write_text("not subtitles at all")
    s = run_detect([video], tmp_path / "o", detector=make_detector("classical"), camera="h20t", annotate=False)
    assert s.frames == len(flight["video_t"])
    assert len(s.skipped) == 1 and "subtitles not used" in s.skipped[0][1] and "no subtitle block" in s.skipped[0][1]


def test_a_frame_taken_on_the_ground_is_skipped_not_fatal():
    # Before take-off the camera sits a few centimetres above the ground: a GSD of micrometres, which no
    # detector accepts. The frame is counted as having no ground to search; the run goes on.
    from geo.camera import CameraPose, camera_preset
    from geo.frames import LocalFrame
    from geo.terrain import FlatTerrain
    from thermal_sar.pipelines.detect import make_detector
    from thermal_sar.pipelines.search import FramePipeline

    frame = LocalFrame.at(47.0, 8.0)
    pipe = FramePipeline(camera_preset("h20t"), FlatTerrain(500.0), frame, make_detector("classical"))
    img = np.full((512, 640), 100, np.uint8)
    img[250:260, 300:306] = 250
    on_ground = pipe.process(img, CameraPose(47.0, 8.0, 500.0 + 1e-5, gimbal_pitch_deg=-90.0), time_s=0.0,
                             frame_index=0)
    assert on_ground.note and "on the ground" in on_ground.note and not on_ground.detections
    flying = pipe.process(img, CameraPose(47.0, 8.0, 560.0, gimbal_pitch_deg=-90.0), time_s=1.0, frame_index=1)
    assert not flying.note and flying.gsd_m == pytest.approx(camera_preset("h20t").gsd_m(60.0), rel=0.01)


def test_a_failure_while_writing_the_products_keeps_the_earlier_ones(flight, tmp_path, monkeypatch):
    import thermal_sar.pipelines.replay as replay_mod
    from geo.errors import SarIOError as IOErr

    out = tmp_path / "o"
    kw = dict(log=flight["tlog"], camera="h20t", fps=STILL_FPS, synthetic_terrain=True)
    run_replay(flight["dir"] / "stills", out, **kw)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"targets.geojson", "officer_map.html", "summary.json"} <= set(before)

    def fail(*a, **k):
        raise IOErr("the map area is outside the terrain (as a DEM elsewhere would be)")

    monkeypatch.setattr(replay_mod, "write_map_and_gpx", fail)
    with pytest.raises(IOErr, match="outside the terrain"):
        run_replay(flight["dir"] / "stills", out, **kw)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing emptied, no staging left


def test_replay_refuses_an_output_folder_it_cannot_write_before_searching(flight, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(SarIOError, match="is a file, not a folder"):
        run_replay(flight["dir"] / "stills", blocker / "o", log=flight["tlog"], camera="h20t", fps=STILL_FPS,
                   synthetic_terrain=True)


def test_replay_option_clashes_are_refused(flight, tmp_path):
    with pytest.raises(InputError, match="flight-clock seconds are 0..1e7"):
        parse_video_start("-1e18")
    with pytest.raises(InputError, match="not both"):
        run_replay(flight["dir"] / "stills", tmp_path / "o", log=flight["tlog"], camera="h20t", fps=STILL_FPS,
                   synthetic_terrain=True, dem_paths=["x.hgt"])
    assert not (tmp_path / "o").exists()


@pytest.mark.shared_data
def test_dji_folder_refuses_a_clock_or_another_camera(tmp_path):
    from tests.conftest import shared_path

    folder = shared_path("rjpeg", "dji_h20t")
    with pytest.raises(InputError, match="leave them out"):
        run_replay(folder, tmp_path / "o", clock_offset_s=3.0)
    with pytest.raises(InputError, match="preset 'h20t'"):
        run_replay(folder, tmp_path / "o", camera="m30t")
    assert not (tmp_path / "o").exists()
