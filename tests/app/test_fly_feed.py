"""The live pieces without a flight: the server feed when the server stops answering, the one-frame mailbox,
the pose history's clock, and the frame sources (a folder, a video file)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import numpy as np
import pytest

from thermal_sar.pipelines.live import (
    FolderSource,
    HealthBoard,
    LatestFrame,
    LiveFrame,
    PoseHistory,
    ServerFeed,
    open_frame_source,
)


def wait_for(pred, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class FakeServer:
    """An httpx transport standing in for the live server: records bodies, can be down or refuse."""

    def __init__(self) -> None:
        self.down = False
        self.refuse_targets = False
        self.bodies: list[tuple[str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        body = json.loads(request.content) if request.content else None
        if self.refuse_targets and path.endswith("/targets"):
            return httpx.Response(422, json={"detail": "features.0: bad target"})
        with self.lock:
            self.bodies.append((path, body))
        if path.endswith("/detections"):
            return httpx.Response(200, json={"ok": True, "stored": [{"uid": d["uid"], "id": i, "created": True}
                                                                    for i, d in enumerate(body)]})
        if path.endswith("/targets"):
            return httpx.Response(200, json={"ok": True, "stored": []})
        return httpx.Response(200, json={"ok": True})

    def posted(self, suffix: str) -> list:
        with self.lock:
            return [b for p, b in self.bodies if p.endswith(suffix)]


@pytest.fixture
def fake():
    from maps.ingest_client import IngestClient

    srv = FakeServer()
    board = HealthBoard()
    seen: list = []
    board.listeners.append(seen.append)
    client = IngestClient("http://sar.invalid", "tok", retries=0, transport=httpx.MockTransport(srv))
    feed = ServerFeed(client, board, vehicle="hawk", retry_s=0.05).start()
    yield srv, feed, board, seen
    feed.close(drain_s=1.0)
    client.close()


def det(uid: str) -> dict:
    return {"uid": uid, "lat_deg": 30.38, "lon_deg": 119.45, "confidence": 0.9}


def test_an_unreachable_server_is_reported_at_once_and_the_gap_sent_when_it_answers(fake):
    srv, feed, board, seen = fake
    srv.down = True
    feed.detections([det("a"), det("b")])
    wait_for(lambda: board.is_active("server_unreachable"))
    assert seen[-1].kind == "server_unreachable" and seen[-1].active and seen[-1].severity == "warning"
    feed.telemetry({"t_s": 1.0, "lat_deg": 30.38, "lon_deg": 119.45})
    time.sleep(0.2)
    assert srv.bodies == [] and feed.pending >= 2  # kept, not lost
    srv.down = False
    wait_for(lambda: not board.is_active("server_unreachable"))
    wait_for(lambda: srv.posted("/status"))
    assert [d["uid"] for batch in srv.posted("/detections") for d in batch] == ["a", "b"]
    st = srv.posted("/status")[-1]
    assert st["kind"] == "server_unreachable" and st["active"] is False and st["vehicle"] == "hawk"
    assert st["ended_s"] >= st["started_s"] > 0
    assert srv.posted("/telemetry")[-1]["vehicle"] == "hawk"


def test_a_refusal_is_reported_and_not_retried_forever(fake):
    srv, feed, board, seen = fake
    srv.refuse_targets = True
    feed.targets({"type": "FeatureCollection", "features": []})
    wait_for(lambda: board.is_active("server_refused"))
    assert "422" in board.active["server_refused"].message and board.active["server_refused"].severity == "critical"
    feed.detections([det("c")])
    wait_for(lambda: srv.posted("/detections"))  # the feed goes on with the rest


def test_mailbox_keeps_the_newest_frame_and_counts_the_dropped():
    box = LatestFrame()
    img = np.zeros((4, 4), np.uint8)
    for i in range(5):
        box.put(LiveFrame(img, i, float(i)))
    f = box.take(0.1)
    assert f.index == 4 and box.dropped == 4 and box.received == 5
    assert box.take(0.01) is None


class _St:
    def __init__(self, t, lat):
        self.time_boot_s, self.lat_deg, self.lon_deg, self.alt_amsl_m = t, lat, 8.0, 600.0
        self.roll_deg, self.pitch_deg, self.yaw_deg = 0.0, 0.0, 350.0 + 2 * t
        self.gimbal_roll_deg, self.gimbal_pitch_deg, self.gimbal_yaw_deg = None, None, None


def test_pose_history_follows_a_clock_running_faster_than_real_time():
    h = PoseHistory()
    for k in range(11):  # the flight clock runs 4x: 0.4 s of flight per 0.1 s received
        assert h.add(_St(10.0 + 0.4 * k, 46.5 + 1e-5 * k), 100.0 + 0.1 * k)
    assert not h.add(_St(10.0, 46.5), 101.5)  # not newer: ignored
    assert h.flight_time(100.55) == pytest.approx(12.2, abs=1e-9)
    assert h.flight_time(101.25) == pytest.approx(15.0, abs=1e-6)  # extrapolated at the same rate
    assert h.flight_time(99.0) is None and h.flight_time(110.0) is None
    p = h.pose_at(12.2)
    assert p.lat_deg == pytest.approx(46.5 + 5.5e-5, abs=1e-9)
    assert p.gimbal_pitch_deg == -90.0  # nadir when the vehicle reports no gimbal
    assert p.yaw_deg % 360 == pytest.approx((350.0 + 24.4) % 360, abs=1e-6)  # through north, not around
    assert h.pose_at(30.0) is None
    assert h.add(_St(20.0, 46.6), 102.0)  # after 4.6 s of silence (a lost link)
    assert h.pose_at(17.0) is None and h.pose_at(14.0) is not None  # no straight line across the gap


def test_folder_source_takes_new_complete_files_in_name_order(tmp_path):
    import cv2

    (tmp_path / "old.png").write_bytes(b"x")
    src = FolderSource(tmp_path, poll_s=0.02)
    got: list[LiveFrame] = []
    src.start(got.append)
    try:
        for name in ("f10.png", "f9.png", "broken.png"):
            img = np.full((8, 8), 100, np.uint8)
            img[2:5, 2:5] = 200
            if name == "broken.png":
                (tmp_path / name).write_bytes(b"\x89PNG not really")
            else:
                assert cv2.imwrite(str(tmp_path / name), img)
        wait_for(lambda: len(got) == 2 and src.unreadable == 1)
    finally:
        src.stop()
    assert [f.name for f in got] == ["f9.png", "f10.png"]  # natural order, the file before the start skipped
    assert got[0].image.shape == (8, 8) and src.error is None


def test_video_file_source_plays_at_its_frame_rate(tmp_path):
    import cv2

    path = tmp_path / "ir.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, (32, 24))
    for i in range(6):
        img = np.full((24, 32, 3), 60, np.uint8)
        img[5:9, 4 + 3 * i: 8 + 3 * i] = 230
        w.write(img)
    w.release()
    src = open_frame_source(str(path))
    got: list[LiveFrame] = []
    src.start(got.append)
    try:
        wait_for(lambda: src.finished)
    finally:
        src.stop()
    assert src.error is None and len(got) == 6 and "ended" in src.note
    assert got[0].image.ndim == 2 and got[-1].capture_mono_s - got[0].capture_mono_s >= 5 / 20.0 - 0.02


def test_frame_source_names_are_checked(tmp_path):
    from geo.errors import InputError

    with pytest.raises(InputError, match="neither a folder"):
        open_frame_source(str(tmp_path / "missing"))
    with pytest.raises(InputError, match="needs the simulated world"):
        open_frame_source("sim")


def test_health_board_keeps_the_start_and_tells_a_recovery_from_the_end_of_the_flight():
    board = HealthBoard()
    seen: list = []
    board.listeners.append(seen.append)
    board.raise_("frames_stalled", "warning", "no frame for 5 s", started_s=100.0)
    board.raise_("frames_stalled", "warning", "no frame for 9 s")  # still the same problem: told once
    board.raise_("link_lost", "critical", "no heartbeat")
    assert [s.kind for s in seen] == ["frames_stalled", "link_lost"]
    back = board.clear("link_lost", "heartbeat received again")
    end = board.clear("frames_stalled", "still so when the flight ended", resolved=False)
    assert back.resolved and back.ended_s >= back.started_s
    assert end.started_s == 100.0 and not end.resolved and end.payload("hawk")["resolved"] is False
    assert board.clear("frames_stalled") is None and board.active == {}
    with pytest.raises(Exception, match="severity"):
        board.raise_("x", "panic", "?")


class _ScriptedDetector:
    """Sees a sheep at the image centre in every frame and, in frame 0 only, a warm patch near a corner."""

    def detect(self, image, *, gsd_m, frame_index, frame_time_s):
        from vision.detection import Detection

        out = [Detection(246.0, 310.0, 266.0, 330.0, 0.9, "sheep", frame_index, frame_time_s, area_m2=0.7)]
        if frame_index == 0:
            out.append(Detection(90.0, 90.0, 110.0, 110.0, 0.8, "person", frame_index, frame_time_s, area_m2=0.5))
        return out


def test_the_demo_sink_posts_candidates_until_the_rule_confirms_them(small_mountain):
    """Objects go out as candidates with their evidence; the sheep seen in every frame becomes a target,
    the patch seen once in four frames that covered it stays a candidate, and finish() says the final word."""
    from geo.camera import CameraPose, MountMode, camera_preset
    from geo.frames import LocalFrame
    from telemetry.confirm import ConfirmationRule
    from thermal_sar.pipelines.live import DemoServeSink
    from thermal_sar.pipelines.search import FramePipeline

    lat0, lon0 = small_mountain.bounds.center
    ground = float(small_mountain.elevation_m(lat0, lon0))
    pipe = FramePipeline(camera_preset("m30t"), small_mountain, LocalFrame.at(lat0, lon0), _ScriptedDetector(),
                         thumbnails=False, grid_radius_m=700.0)
    srv = FakeServer()
    sink = DemoServeSink("http://sar.invalid", "tok", transport=httpx.MockTransport(srv),
                         rule=ConfirmationRule(min_hits=2, min_support=0.5, min_best_score=0.5))
    try:
        image = np.zeros((512, 640), np.float32)
        for k in range(4):
            pose = CameraPose(lat0, lon0, ground + 100.0, 0.0, 0.0, 0.0, 0.0, -90.0, 0.0, MountMode.EARTH_YAW_BODY,
                              float(k))
            sink.frame(pipe, pose, pipe.process(image, pose, time_s=float(k), frame_index=k))
            if k == 0:  # the first frame: everything is a candidate (seen once)
                wait_for(lambda: srv.posted("/targets"))
        first = srv.posted("/targets")[0]
        assert [f["properties"]["candidate"] for f in first["features"]] == [True, True]
        assert all(f["properties"]["evidence"]["reasons"] == ["few_hits"] for f in first["features"])
        final = pipe.assess(sink.confirmation.rule)
        sink.finish(final.confirmed)
        wait_for(lambda: len(srv.posted("/targets")) >= 2)
        props = {f["properties"]["class_name"]: f["properties"] for f in srv.posted("/targets")[-1]["features"]}
        assert props["sheep"]["candidate"] is False and props["sheep"]["evidence"]["hits"] == 4
        assert props["person"]["candidate"] is True
        assert (props["person"]["evidence"]["hits"], props["person"]["evidence"]["opportunities"]) == (1, 4)
        assert "few_hits" in props["person"]["evidence"]["reasons"]
        assert {t.id for t in final.confirmed} == sink.confirmation.confirmed_ids
    finally:
        sink.close()


def test_fly_passes_the_confirmation_rule_to_the_live_search(tmp_path, monkeypatch):
    """`thermal-sar fly --min-sightings/--min-support` reach the live search's confirmation rule."""
    import thermal_sar.pipelines.fly as fly_pipeline
    from thermal_sar.cli import main

    seen = {}

    def fake_fly(connect, items, **kw):
        seen["live"] = kw["live"]
        raise fly_pipeline.LinkError("stop here")

    monkeypatch.setattr(fly_pipeline, "fly_mission", fake_fly)
    plan = tmp_path / "m.waypoints"
    plan.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t30.38\t119.45\t500\t1\n"
                    "1\t0\t3\t16\t0\t0\t0\t0\t30.381\t119.451\t60\t1\n")
    rc = main(["fly", "--connect", "tcp:127.0.0.1:1", "--mission", str(plan), "--frames", "sim",
               "--min-sightings", "3", "--min-support", "0.7"])
    assert rc != 0 and seen["live"].min_hits == 3 and seen["live"].min_support == pytest.approx(0.7)
