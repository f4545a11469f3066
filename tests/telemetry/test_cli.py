"""The two commands end to end: ``thermal-sar fly`` against the simulated vehicle, ``thermal-sar geotag`` on a tlog."""

from __future__ import annotations

import json
import sys
import math
import struct

import numpy as np
import pytest

from geo.camera import CameraPose, MountMode, camera_preset
from geo.coords import distance_m
from geo.raycast import CameraView
from thermal_sar.cli import main
from tests.telemetry.conftest import HOME, running_vehicle

WPL = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t{alt:.2f}\t1
1\t0\t3\t22\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t25.0\t1
2\t0\t3\t16\t0\t0\t0\t0\t{lat2:.7f}\t{lon:.7f}\t30.0\t1
3\t0\t3\t16\t0\t0\t0\t0\t{lat2:.7f}\t{lon2:.7f}\t30.0\t1
4\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
"""


@pytest.fixture
def mission_file(tmp_path):
    p = tmp_path / "m.waypoints"
    p.write_text(WPL.format(lat=HOME[0], lon=HOME[1], alt=HOME[2], lat2=HOME[0] + 0.0004, lon2=HOME[1] + 0.0005))
    return p


def test_fly_uploads_verifies_arms_flies_and_reports(mission_file, tmp_path, capsys):
    tlog = tmp_path / "flight.tlog"
    with running_vehicle(speedup=40.0) as (sv, conn):
        rc = main(["fly", "--connect", conn, "--mission", str(mission_file), "--tlog", str(tlog)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "verified by download: yes" in out
    assert "uploaded 5 items (home + 4)" in out
    assert "reached [1, 2, 3, 4]" in out
    assert "item 2/4  reached 1 (last #1)" in out  # progress lines
    assert tlog.stat().st_size > 10_000


def test_fly_upload_only(mission_file, tmp_path, capsys):
    with running_vehicle() as (sv, conn):
        rc = main(["fly", "--connect", conn, "--mission", str(mission_file), "--tlog", str(tmp_path / "u.tlog"),
                   "--upload-only"])
        assert not sv.model.armed
    out = capsys.readouterr().out
    assert rc == 0 and "verified by download: yes" in out and "flew" not in out


def test_fly_bad_connection_is_one_red_line(mission_file, capsys):
    rc = main(["fly", "--connect", "tcp:localhost", "--mission", str(mission_file)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: connect='tcp:localhost'") and "Traceback" not in err


# ---------------------------------------------------------------- geotag
def _synthetic_flight(path, *, cam_offset_s=12.5):
    """A tlog of a nadir survey line north at 100 m above flat ground (500 m AMSL), with camera triggers.

    Returns the target (lat, lon) and the detections (camera clock) of the frames that see it.
    """
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    from geo.frames import LocalFrame

    mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
    frame = LocalFrame.at(HOME[0], HOME[1])
    ground = 500.0
    agl = 100.0
    t0_wall = 1_700_000_000.0
    recs = []
    target_xy = (10.0, 150.0)
    tlat, tlon = frame.to_geodetic(*target_xy)
    cam = camera_preset("h20t")
    dets = []
    for k in range(0, 601):  # 60 s at 10 Hz, 5 m/s north
        t = k * 0.1
        lat, lon = frame.to_geodetic(0.0, 5.0 * t)
        ms = int(round(t * 1000)) + 10_000  # boot clock starts 10 s before the log
        recs.append((t0_wall + t, mav.global_position_int_encode(ms, round(lat * 1e7), round(lon * 1e7),
                                                                 round((ground + agl) * 1000), round(agl * 1000),
                                                                 500, 0, 0, 0)))
        recs.append((t0_wall + t, mav.attitude_encode(ms, 0.0, math.radians(-3.0), 0.0, 0, 0, 0)))
        recs.append((t0_wall + t, mav.mount_status_encode(1, 1, -9000, 0, 0)))
        if k % 20 == 0:  # a trigger every 2 s
            recs.append((t0_wall + t, mav.camera_feedback_encode(ms * 1000, 1, 0, k // 20, round(lat * 1e7),
                                                                 round(lon * 1e7), ground + agl, agl, 0, -3, 0, 0, 0)))
            pose = CameraPose(lat, lon, ground + agl, 0.0, -3.0, 0.0, 0.0, -90.0, 0.0, MountMode.EARTH_YAW_BODY)
            view = CameraView.from_pose(cam, pose, frame)
            r, c, vis = view.project(np.array([[target_xy[0], target_xy[1], ground]]))
            if vis[0]:
                dets.append({"top_px": r[0] - 4, "left_px": c[0] - 3, "bottom_px": r[0] + 4, "right_px": c[0] + 3,
                             "score": 0.7, "class_name": "person", "frame_index": k // 20,
                             "frame_time_s": ms / 1000.0 - cam_offset_s})
    with open(path, "wb") as f:
        for ts, m in recs:
            f.write(struct.pack(">Q", int(ts * 1e6)) + m.pack(mav))
    return (tlat, tlon), dets


def test_geotag_writes_fused_targets(tmp_path, capsys):
    tlog = tmp_path / "flight.tlog"
    (tlat, tlon), dets = _synthetic_flight(tlog)
    assert len(dets) >= 3
    det_path = tmp_path / "dets.json"
    det_path.write_text(json.dumps({"detections": dets}))
    out = tmp_path / "targets.geojson"
    # Triggers every 2 s and a target seen in a few frames: the offset cannot be estimated, and we say so.
    rc = main(["geotag", "--tlog", str(tlog), "--detections", str(det_path), "--out", str(out)])
    assert rc == 0 and "ambiguous" in capsys.readouterr().out
    rc = main(["geotag", "--tlog", str(tlog), "--detections", str(det_path), "--out", str(out),
               "--clock-offset", "12.5"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "+12.500 s (given)" in text
    doc = json.loads(out.read_text())
    assert len(doc["features"]) == 1
    f = doc["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    assert distance_m(lat, lon, tlat, tlon) < 1.0
    p = f["properties"]
    assert p["sightings"] == len(dets) and p["class_name"] == "person" and p["status"] == "new"
    assert 0 < p["cep_m"] < 5.0
    assert p["first_seen_s"] < p["last_seen_s"]


def test_geotag_on_dji_video_subtitles(tmp_path, capsys):
    # A DJI video's .SRT as the log: frame times are video times, on the subtitles' own clock (offset 0).
    from geo.frames import LocalFrame

    frame = LocalFrame.at(HOME[0], HOME[1])
    ground, agl = 500.0, 100.0
    target_xy = (10.0, 150.0)
    tlat, tlon = frame.to_geodetic(*target_xy)
    cam = camera_preset("h20t")
    blocks, dets = [], []
    for k in range(0, 601):  # 60 s of a 10 fps video, flying north at 5 m/s
        t = k * 0.1
        lat, lon = frame.to_geodetic(0.0, 5.0 * t)
        ms = k * 100
        code = f"00:{ms // 60_000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
        end = ms + 100
        code += f" --> 00:{end // 60_000:02d}:{end // 1000 % 60:02d},{end % 1000:03d}"
        blocks.append(f"{k + 1}\n{code}\n<font size=\"28\">FrameCnt: {k + 1}, DiffTime: 100ms\n"
                      f"[latitude: {lat:.7f}] [longitude: {lon:.7f}] [rel_alt: {agl:.3f} abs_alt: {ground + agl:.3f}] "
                      "[gb_yaw: 0.0 gb_pitch: -90.0 gb_roll: 0.0] </font>\n")
        if k % 20 == 0:
            pose = CameraPose(lat, lon, ground + agl, 0.0, 0.0, 0.0, 0.0, -90.0, 0.0, MountMode.EARTH)
            r, c, vis = CameraView.from_pose(cam, pose, frame).project(np.array([[target_xy[0], target_xy[1], ground]]))
            if vis[0]:
                dets.append({"top_px": r[0] - 4, "left_px": c[0] - 3, "bottom_px": r[0] + 4, "right_px": c[0] + 3,
                             "score": 0.7, "class_name": "person", "frame_index": k, "frame_time_s": t})
    assert len(dets) >= 3
    srt = tmp_path / "DJI_0001.SRT"
    srt.write_text("\n".join(blocks))
    det_path = tmp_path / "dets.json"
    det_path.write_text(json.dumps({"detections": dets}))
    out = tmp_path / "targets.geojson"
    rc = main(["geotag", "--log", str(srt), "--detections", str(det_path), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "DJI subtitles are on the video's own clock" in text and "flat at 500.0 m" in text
    (f,) = json.loads(out.read_text())["features"]
    lon, lat = f["geometry"]["coordinates"]
    assert distance_m(lat, lon, tlat, tlon) < 1.0


def test_geotag_bad_detections_file(tmp_path, capsys):
    tlog = tmp_path / "flight.tlog"
    _synthetic_flight(tlog)
    bad = tmp_path / "d.json"
    bad.write_text("{not json")
    rc = main(["geotag", "--tlog", str(tlog), "--detections", str(bad)])
    assert rc == 2 and "not JSON" in capsys.readouterr().err


def test_fly_upload_only_real_qgc_plan(tmp_path, capsys):
    """A real QGroundControl survey plan (76 items with camera triggers) uploads and verifies."""
    from tests.conftest import shared_path

    plan = shared_path("missions", "plan", "ardupilot_copter_survey.plan")
    with running_vehicle(speedup=5.0, home_lat_deg=50.9096326, home_lon_deg=6.2283735,
                         home_alt_amsl_m=115.7) as (sv, conn):
        rc = main(["fly", "--connect", conn, "--mission", str(plan), "--tlog", str(tmp_path / "p.tlog"),
                   "--upload-only"])
        assert len(sv.missions.items) == 76
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "uploaded 76 items (home + 75)" in out and "verified by download: yes" in out


def test_geotag_dji_images_from_xmp_agrees_with_laser_rangefinder(tmp_path, capsys):
    """A detection at the centre of a real H20T image lands on that image's laser-ranged point."""
    from tests.conftest import shared_path
    from telemetry import read_dji_pose

    folder = shared_path("rjpeg", "dji_h20t")
    images = sorted(folder.glob("*.JPG"))
    cam = camera_preset("h20t")
    for k in (0, len(images) // 2, len(images) - 1):  # one image at a time: nearby sightings would be fused
        img = images[k]
        det = {"top_px": cam.cy_px - 5, "left_px": cam.cx_px - 5, "bottom_px": cam.cy_px + 5,
               "right_px": cam.cx_px + 5, "score": 0.6, "class_name": "hotspot", "frame_index": k,
               "frame_time_s": float(k), "source": img.name}
        det_path = tmp_path / "dets.json"
        det_path.write_text(json.dumps([det]))
        out = tmp_path / "t.geojson"
        rc = main(["geotag", "--dji-images", str(folder), "--detections", str(det_path), "--out", str(out)])
        text = capsys.readouterr().out
        assert rc == 0, text
        (f,) = json.loads(out.read_text())["features"]
        lon, lat = f["geometry"]["coordinates"]
        lrf = read_dji_pose(img).lrf
        assert distance_m(lat, lon, lrf.lat_deg, lrf.lon_deg) < 1.0, img.name


@pytest.mark.shared_data
def test_detect_then_geotag_on_dji_images_round_trip(tmp_path, capsys):
    # detect's detections.json names the detector in each detection's 'source' and the image in its frame
    # record: geotag finds every detection's image by its frame index (it matched none before).
    from tests.conftest import shared_path

    folder = shared_path("rjpeg", "dji_h20t")
    rc = main(["detect", str(folder), "--out", str(tmp_path / "d"), "--no-annotate"])
    assert rc == 0
    doc = json.loads((tmp_path / "d" / "detections.json").read_text())
    n = len(doc["detections"])
    assert n > 0 and {d["source"] for d in doc["detections"]} == {"classical"}
    rc = main(["geotag", "--dji-images", str(folder), "--detections", str(tmp_path / "d" / "detections.json"),
               "--out", str(tmp_path / "t.geojson")])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert f"{n} detections: {n} on the ground, 0 not found in any of these images" in text


@pytest.mark.parametrize("payload, match", [
    (b"\x89PNG\r\n\x1a\n\x00\xff", "not a text file"),
    (b'[{"top_px": 1, "left_px": 1, "bottom_px": 5, "right_px": 5, "score": 0.5, "frame_time_s": "abc"}]',
     "frame_time_s='abc' is not a finite number"),
    (b'[{"top_px": 1, "left_px": 1, "bottom_px": 5, "right_px": 5, "score": 0.5, "frame_time_s": NaN}]',
     "frame_time_s=nan is not a finite number"),
    (b'[{"top_px": -1e9, "left_px": 1, "bottom_px": 5, "right_px": 5, "score": 0.5}]', "top_px=-1000000000.0 is out"),
    (b'[{"top_px": 1, "left_px": 1, "bottom_px": 5, "right_px": "x", "score": 0.5}]', "right_px='x'"),
    (b'[{"top_px": 5, "left_px": 1, "bottom_px": 5, "right_px": 5, "score": 0.5}]', "is empty"),
    (b'[3]', "detection 0 is not an object"),
])
def test_geotag_bad_detections_are_named(tmp_path, capsys, payload, match):
    tlog = tmp_path / "flight.tlog"
    _synthetic_flight(tlog)
    det_path = tmp_path / "dets.json"
    det_path.write_bytes(payload)
    rc = main(["geotag", "--log", str(tlog), "--detections", str(det_path), "--out", str(tmp_path / "t.geojson")])
    err = capsys.readouterr().err
    assert rc == 2 and match in err and "Traceback" not in err
    assert not (tmp_path / "t.geojson").exists()


@pytest.mark.parametrize("offset", ["nan", "inf"])
def test_geotag_refuses_a_clock_offset_that_is_not_a_number(tmp_path, capsys, offset):
    tlog = tmp_path / "flight.tlog"
    _, dets = _synthetic_flight(tlog)
    det_path = tmp_path / "dets.json"
    det_path.write_text(json.dumps({"detections": dets}))
    out = tmp_path / "keep.geojson"
    out.write_text("earlier targets")
    rc = main(["geotag", "--log", str(tlog), "--detections", str(det_path), "--out", str(out),
               "--clock-offset", offset])
    assert rc == 2 and "is not a finite number of seconds" in capsys.readouterr().err
    assert out.read_text() == "earlier targets"


def test_geotag_needs_exactly_one_source(tmp_path, capsys):
    (tmp_path / "d.json").write_text("[]")
    rc = main(["geotag", "--detections", str(tmp_path / "d.json")])
    assert rc == 2 and "exactly one of --log LOG (or --tlog)" in capsys.readouterr().err


def test_geotag_with_a_dem_file(tmp_path, capsys):
    """The same synthetic flight over a GeoTIFF DEM of the same flat ground gives the same target."""
    import rasterio
    from affine import Affine

    tlog = tmp_path / "flight.tlog"
    (tlat, tlon), dets = _synthetic_flight(tlog)
    dem = tmp_path / "flat.tif"
    res = 0.0005
    with rasterio.open(dem, "w", driver="GTiff", width=200, height=200, count=1, dtype="int16", crs="EPSG:4326",
                       transform=Affine(res, 0.0, HOME[1] - 0.05, 0.0, -res, HOME[0] + 0.05)) as ds:
        ds.write(np.full((1, 200, 200), 500, np.int16))
    det_path = tmp_path / "dets.json"
    det_path.write_text(json.dumps(dets))
    out = tmp_path / "t.geojson"
    rc = main(["geotag", "--tlog", str(tlog), "--detections", str(det_path), "--out", str(out), "--dem", str(dem),
               "--clock-offset", "12.5"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "flat.tif" in text
    (f,) = json.loads(out.read_text())["features"]
    lon, lat = f["geometry"]["coordinates"]
    assert distance_m(lat, lon, tlat, tlon) < 1.0


def test_fly_sitl_without_binary_is_one_clear_line(mission_file, monkeypatch, capsys):
    monkeypatch.delenv("ARDUPILOT_SITL", raising=False)
    rc = main(["fly", "--sitl", "--mission", str(mission_file)])
    err = capsys.readouterr().err
    assert rc == 2 and "no SITL binary" in err and "ARDUPILOT_SITL" in err
    rc = main(["fly", "--mission", str(mission_file)])
    assert rc == 2 and "exactly one of --connect" in capsys.readouterr().err


@pytest.mark.sitl
def test_fly_on_real_sitl(mission_file, tmp_path, capsys):
    from tests.sim.test_sitl import _real_sitl_config

    _real_sitl_config()  # skips with the reason when no binary is configured
    rc = main(["fly", "--sitl", "--speedup", "5", "--mission", str(mission_file), "--tlog", str(tmp_path / "s.tlog")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "verified by download: yes" in out and "flew" in out


STAND_IN = """#!{python}
# Stands in for arducopter: the simulated vehicle, launched with SITL's own command line.
import os, sys
argv = sys.argv[1:]
inst = int([a for a in argv if a.startswith("-I")][0][2:])
home = argv[argv.index("--home") + 1]
assert argv[argv.index("--defaults") + 1] == "copter.parm" and os.path.exists("copter.parm")
os.environ["PYTHONPATH"] = {repo!r}
os.execv(sys.executable, [sys.executable, "-m", "sim.vehicle", "--tcp", str(5760 + 10 * inst), "--speedup", "40",
                          "--home=" + home, "--ekf-delay", "4"])
"""


def test_fly_mission_on_sitl_harness_end_to_end(mission_file, tmp_path):
    """The --sitl path (harness: temp dir, listen without connecting, SIGTERM) with a stand-in binary."""
    from pathlib import Path

    from mission.formats import load_mission_items
    from sim.sitl import port_listening
    from thermal_sar.pipelines.fly import fly_mission_on_sitl

    repo = str(Path(__file__).resolve().parents[2])
    binary = tmp_path / "ardupilot" / "build" / "sitl" / "bin" / "arducopter"
    binary.parent.mkdir(parents=True)
    binary.write_text(STAND_IN.format(python=sys.executable, repo=repo))
    binary.chmod(0o755)
    (tmp_path / "ardupilot" / "copter.parm").write_text("FRAME_CLASS 1\n")
    inst = next(i for i in range(11, 60) if not port_listening(5760 + 10 * i))
    report = fly_mission_on_sitl(load_mission_items(mission_file), sitl_binary=str(binary), instance=inst,
                                 tlog_path=tmp_path / "s.tlog")
    assert report.verified and report.flown and report.reached[-1] == 4
