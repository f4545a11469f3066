"""``thermal-sar fly`` with live frames against the simulated vehicle, feeding a live server on loopback.

* ``--frames sim`` through the CLI: the simulator's camera over the sheep pen; detections with thumbnails,
  fused targets, the track with camera footprints and the mission reach the server.
* ``--frames FOLDER`` through the library: frames written into a folder during the flight; the test stops
  writing for a while (a stalled source) and silences the radio link (a relay that drops every byte):
  both are reported (CLI callback and the server's status log) and cleared when they recover, and the
  vehicle flies its mission to the end meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time

import numpy as np
import pytest

from tests.maps.conftest import free_port, make_users
from tests.telemetry.conftest import HOME

WPL_HEAD = "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t{alt:.2f}\t1\n"
WPL_ITEM = "{seq}\t0\t3\t{cmd}\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t{alt:.1f}\t1\n"


def write_mission(path, home, legs, alt_m):
    """home (lat, lon, alt), then takeoff, waypoints at ``legs`` (lat, lon), RTL."""
    text = WPL_HEAD.format(lat=home[0], lon=home[1], alt=home[2])
    text += WPL_ITEM.format(seq=1, cmd=22, lat=home[0], lon=home[1], alt=alt_m)
    for i, (lat, lon) in enumerate(legs):
        text += WPL_ITEM.format(seq=i + 2, cmd=16, lat=lat, lon=lon, alt=alt_m)
    text += WPL_ITEM.format(seq=len(legs) + 2, cmd=20, lat=0, lon=0, alt=0)
    path.write_text(text)
    return path


@pytest.fixture
def server(tmp_path):
    """The live server (uvicorn in a thread, SQLite) with the users of tests/maps; yields (url, token, store)."""
    import uvicorn

    from maps.server import ServerConfig, create_app
    from maps.store import open_store

    store = open_store(tmp_path / "live.db")
    token = make_users(store)
    app = create_app(store, ServerConfig())
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        timeout_graceful_shutdown=1))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not srv.started:
        assert time.monotonic() - t0 < 20, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", token, store
    finally:
        srv.should_exit = True
        th.join(timeout=10)
        store.close()


def test_fly_sim_frames_feed_the_live_server(server, tmp_path, capsys, demo_terrain):
    import sim
    from sim.vehicle import SimVehicle, VehicleConfig
    from thermal_sar.cli import main
    from thermal_sar.pipelines.sim import _scenario_anchor

    url, token, store = server
    lat, lon, _ = _scenario_anchor(sim.read_scenario("sheep"))
    ground = float(demo_terrain.elevation_m(lat, lon))
    home = (lat - 0.0006, lon, float(demo_terrain.elevation_m(lat - 0.0006, lon)))
    mission = write_mission(tmp_path / "pen.waypoints", home, [(lat - 0.0004, lon), (lat + 0.0004, lon)], 50.0)
    d = 0.0003  # a field of about 60 m x 60 m around the pen: the search area for coverage
    area = tmp_path / "pen.geojson"
    area.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[
        [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}}))
    cfg = VehicleConfig(home_lat_deg=home[0], home_lon_deg=home[1], home_alt_amsl_m=home[2], speed_m_s=8.0,
                        ekf_ready_s=2.0, gps_fix_s=1.0)
    with SimVehicle(cfg, tcp_port=0, speedup=6.0) as sv:
        rc = main(["fly", "--connect", f"tcp:127.0.0.1:{sv.tcp_port}", "--mission", str(mission),
                   "--tlog", str(tmp_path / "f.tlog"), "--frames", "sim", "--sim-interval-s", "0.3",
                   "--serve-url", url, "--token", token, "--vehicle-name", "hawk", "--area", str(area)])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "frames from sim:sheep" in out.out and "live server http://127.0.0.1" in out.out
    assert re.search(r"  frames \d+ \(\d+ dropped\), \d+ detections, \d+ targets; server: \d+ waiting", out.out)
    dets = store.list_detections()
    targets = [d for d in dets if d["kind"] == "target"]
    # Each object seen is on the map once (updated with every sighting), not once per frame.
    assert [d for d in dets if d["kind"] == "detection"] == []
    assert len(targets) >= 5 and all(d["has_thumbnail"] for d in targets), out.out + out.err
    assert all(d["vehicle"] == "hawk" and d["uid"].startswith("target:hawk-") for d in targets)
    # The sheep in the pen were seen in several frames and placed in the pen (a few tens of metres).
    from geo.coords import distance_m

    in_pen = [t for t in targets if t["sightings"] >= 2 and distance_m(lat, lon, t["lat_deg"], t["lon_deg"]) < 25.0]
    assert len(in_pen) >= 5  # of the 9 in the pen (34 m x 22 m), flown over twice at 50 m
    track = store.track(limit=5000)
    assert len(track) >= 5 and any(t.get("footprint") for t in track)
    # The officer's coverage figure: the frames' footprints over the search area (flown straight over it).
    from maps.progress import area_polygons, search_progress

    areas, holes = area_polygons(json.loads(store.get_setting("mission")))
    assert len(areas) == 1
    assert search_progress(areas, holes, store.footprints()).covered_fraction > 0.5
    assert abs(ground - home[2]) < 50.0  # the mission flies over the pen, not into the hill


class LinkCutter:
    """A TCP relay between the ground station and the vehicle; while :attr:`cut` is set every byte is dropped
    both ways (a radio link out of range: the connection stays up, nothing gets through)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.cut = threading.Event()
        self._stop = threading.Event()
        self._srv = socket.socket()
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(2)
        self._srv.settimeout(0.2)
        self.port = self._srv.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()
        self._socks: list[socket.socket] = []

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                down, _ = self._srv.accept()
            except socket.timeout:
                continue
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._socks += [down, up]
            for a, b in ((down, up), (up, down)):
                t = threading.Thread(target=self._pump, args=(a, b), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data = src.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            if not self.cut.is_set():
                with contextlib.suppress(OSError):
                    dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        for s in self._socks + [self._srv]:
            s.close()


def hot_disks_png(path, seed: int) -> None:
    """An 8-bit white-hot frame with three person-sized hot blobs on cool ground, written atomically."""
    import cv2

    rng = np.random.default_rng(seed)
    img = rng.normal(90, 3, (512, 640)).clip(0, 255).astype(np.uint8)
    for r, c in ((200, 300), (300, 420), (350, 150)):
        cv2.ellipse(img, (c, r), (7, 4), 30, 0, 360, 225, -1)
    tmp = path.with_suffix(".tmp")
    assert cv2.imwrite(str(tmp) + ".png", img)
    os.replace(str(tmp) + ".png", path)


def test_fly_folder_frames_report_a_stalled_source_and_a_lost_link(server, tmp_path):
    import json

    from geo.terrain import FlatTerrain
    from mission.formats import load_mission_items
    from sim.vehicle import SimVehicle, VehicleConfig
    from thermal_sar.pipelines.fly import fly_mission
    from thermal_sar.pipelines.live import LiveOptions

    url, token, store = server
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "before.png").write_bytes(b"not a frame: present before the flight, skipped")
    home = HOME
    mission = write_mission(tmp_path / "m.waypoints", home, [(home[0] + 0.0012, home[1])], 40.0)
    cfg = VehicleConfig(home_lat_deg=home[0], home_lon_deg=home[1], home_alt_amsl_m=home[2], speed_m_s=8.0,
                        ekf_ready_s=2.0, gps_fix_s=1.0)
    seen: list = []
    done = threading.Event()
    pause = threading.Event()

    def camera():
        i = 0
        while not done.wait(0.25):
            if not pause.is_set():
                hot_disks_png(folder / f"IR_{i:05d}.png", i)
                i += 1

    with SimVehicle(cfg, tcp_port=0, speedup=6.0) as sv:
        relay = LinkCutter(sv.tcp_port)

        def trouble():
            # Once the aircraft is up: the camera stops for 2.5 s, and the radio goes silent for 2 s meanwhile.
            while not done.is_set() and not (sv.model.armed and sv.model.alt_amsl_m - home[2] > 20.0):
                time.sleep(0.05)
            pause.set()
            time.sleep(0.3)
            relay.cut.set()
            time.sleep(2.0)
            relay.cut.clear()
            time.sleep(0.2)
            pause.clear()

        threads = [threading.Thread(target=camera, daemon=True), threading.Thread(target=trouble, daemon=True)]
        for t in threads:
            t.start()
        try:
            opts = LiveOptions(frames=str(folder), terrain=FlatTerrain(home[2]), serve_url=url, token=token,
                               frame_stall_s=1.0, link_lost_s=0.8, post_sightings=True)
            report = fly_mission(f"tcp:127.0.0.1:{relay.port}", load_mission_items(mission), live=opts,
                                 on_status=seen.append, tlog_path=tmp_path / "f.tlog")
        finally:
            done.set()
            for t in threads:
                t.join(timeout=5)
            relay.close()
    # The flight went on to the end through both problems.
    assert report.flown and report.reached[-1] == 3
    kinds = [(h.kind, h.active) for h in seen if h.severity != "info"]
    for kind in ("frames_stalled", "link_lost"):
        assert (kind, True) in kinds and (kind, False) in kinds, kinds
        assert kinds.index((kind, True)) < len(kinds) - 1 - kinds[::-1].index((kind, False))
    lost = next(h for h in seen if h.kind == "link_lost" and not h.active)
    assert lost.severity == "critical" and 0.5 < lost.ended_s - lost.started_s < 10.0
    # The officer's server has both in its log, resolved, with their times.
    doc = json.loads(store.get_setting("statuses"))
    log = {s["kind"]: s for s in doc["log"]}
    assert {"frames_stalled", "link_lost"} <= set(log)
    assert not log["link_lost"]["active"] and log["link_lost"]["ended_s"] > log["link_lost"]["started_s"]
    assert not log["frames_stalled"]["active"]
    assert [s["message"] for s in doc["active"].values() if s["kind"] != "flight"] == []
    # Frames came from the folder (the file present before the start was not read) and were searched.
    lv = report.live
    assert lv.frames_received >= 8 and lv.frames_processed >= 5 and lv.source == str(folder)
    # What was found is on disk beside the tlog too, whatever became of the server.
    assert lv.targets_path == tmp_path / "f.targets.geojson"
    assert json.loads(lv.targets_path.read_text())["features"]
    dets = [d for d in store.list_detections() if d["kind"] == "detection"]  # every sighting (post_sightings)
    assert dets and all(d["has_thumbnail"] for d in dets)
    assert len({d["uid"] for d in dets}) == len(dets)
    text = lv.summary()
    assert "frames_stalled from" in text and "link_lost from" in text and "heartbeat received again" in text


@pytest.mark.sitl
def test_fly_sim_frames_on_real_sitl(request, tmp_path):
    """The same live search flown by real ArduCopter SITL (started at the mission's home over the pen)."""
    import sim
    from mission.formats import load_mission_items
    from tests.sim.test_sitl import _real_sitl_config
    from thermal_sar.pipelines.fly import fly_mission_on_sitl
    from thermal_sar.pipelines.live import LiveOptions
    from thermal_sar.pipelines.sim import _scenario_anchor

    cfg = _real_sitl_config()  # skips with the reason when no binary is configured
    url, token, store = request.getfixturevalue("server")
    demo_terrain = request.getfixturevalue("demo_terrain")
    lat, lon, _ = _scenario_anchor(sim.read_scenario("sheep"))
    home = (lat - 0.0006, lon, float(demo_terrain.elevation_m(lat - 0.0006, lon)))
    mission = write_mission(tmp_path / "pen.waypoints", home, [(lat - 0.0004, lon), (lat + 0.0004, lon)], 50.0)
    opts = LiveOptions(frames="sim", scene=sim.load_scenario("sheep"), sim_interval_s=0.5, serve_url=url,
                       token=token)
    report = fly_mission_on_sitl(load_mission_items(mission), sitl_binary=str(cfg.binary), speedup=cfg.speedup,
                                 live=opts, tlog_path=tmp_path / "s.tlog")
    assert report.flown and report.live.frames_processed >= 5
    assert [d for d in store.list_detections() if d["kind"] == "detection"]
