"""Benchmarks of telemetry: vectorised geotagging and tlog replay.

Prints figures and a ratio against a baseline measured in the same run:

* geotagging: :func:`telemetry.geotag_pixels` on 200,000 detections seen from
  2,000 poses over the synthetic mountain, uncertainty included (target
  >= 100,000 detections/s), against a per-detection loop over
  ``geo.CameraView.from_pose(...).ground_points`` without uncertainty;
* tlog replay: the real 1,377 s flight (76,791 messages, 1,314 corrupt) read
  into a pose track by :func:`telemetry.read_tlog` and replayed through
  :class:`telemetry.TlogReplayLink` (target < 5 s), against pymavlink's own
  ``recv_msg`` loop over the same file. Skipped when ../shared/data is absent.

Run: ``.venv/bin/python bench/bench_telemetry.py``
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("THERMAL_SAR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def bench_geotag() -> None:
    from geo.camera import CameraPose, MountMode, camera_preset
    from geo.frames import LocalFrame
    from geo.raycast import CameraView, HeightGrid
    from geo.terrain import synthetic_mountain
    from telemetry import ErrorModel, PoseTrack, geotag_pixels

    terrain = synthetic_mountain(seed=7)
    lat0, lon0 = terrain.bounds.center
    frame = LocalFrame.at(lat0, lon0)
    grid = HeightGrid.around(terrain, frame, 0.0, 0.0, 2500.0)
    cam = camera_preset("m30t")
    rng = np.random.default_rng(0)
    n_pose, per = 2000, 100
    t = np.arange(n_pose) * 0.1
    x = np.linspace(-1500, 1500, n_pose)
    y = 300.0 * np.sin(t / 10.0)
    lat, lon = frame.to_geodetic(x, y)
    alt = grid.height_at(x, y) + 100.0
    track = PoseTrack.from_samples(t, lat, lon, alt, rng.normal(0, 3, n_pose), rng.normal(0, 3, n_pose),
                                   np.full(n_pose, 90.0), None, rng.uniform(-90, -60, n_pose), None,
                                   mount_mode=MountMode.EARTH_YAW_BODY)
    times = np.repeat(t, per) + rng.uniform(0, 0.09, n_pose * per)
    rows = rng.uniform(0, cam.height_px - 1, times.size)
    cols = rng.uniform(0, cam.width_px - 1, times.size)
    geotag_pixels(rows[:1000], cols[:1000], track.poses_at(times[:1000]), cam, grid)  # warm-up
    t0 = time.perf_counter()
    poses = track.poses_at(times)
    res = geotag_pixels(rows, cols, poses, cam, grid, errors=ErrorModel(),
                        velocity_enu_m_s=track.velocity_m_s(times), yaw_rate_deg_s=track.yaw_rate_deg_s(times))
    dt = time.perf_counter() - t0
    rate = times.size / dt
    # Baseline: one CameraView per detection, no uncertainty.
    nb = 300
    t0 = time.perf_counter()
    for i in range(nb):
        p = poses.pose(i)
        view = CameraView.from_pose(cam, CameraPose(p.lat_deg, p.lon_deg, p.alt_amsl_m, p.roll_deg, p.pitch_deg,
                                                    p.yaw_deg, p.gimbal_roll_deg, p.gimbal_pitch_deg,
                                                    p.gimbal_yaw_deg, p.mount_mode), frame)
        view.ground_points(np.array([rows[i]]), np.array([cols[i]]), grid)
    base = nb / (time.perf_counter() - t0)
    print(f"geotag: {times.size:,} detections ({res.hit.mean():.1%} on the ground) in {dt:.2f} s = "
          f"{rate:,.0f} detections/s with uncertainty (target >= 100,000); per-detection loop baseline "
          f"{base:,.0f}/s; ratio {rate / base:.0f}x")


def bench_replay() -> None:
    path = SHARED / "logs" / "tlog" / "real_copter_corrupt_packets.tlog"
    if not path.exists():
        print(f"tlog replay: skipped ({path} absent)")
        return
    from telemetry import TlogReplayLink, read_tlog
    from telemetry._pymavlink import open_connection

    t0 = time.perf_counter()
    conn = open_connection(str(path), robust_parsing=True)
    n_base = 0
    while conn.recv_msg() is not None:
        n_base += 1
    conn.close()
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    log = read_tlog(path)
    dt_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    with TlogReplayLink(path) as link:
        n = sum(1 for _ in link.messages_all())
    dt_link = time.perf_counter() - t0
    print(f"tlog replay (1,377 s real flight, {n_base:,} messages): read_tlog -> pose track of {len(log.track)} "
          f"samples, {log.summary.corrupt_packets} corrupt skipped, in {dt_read:.2f} s (target < 5 s); "
          f"TlogReplayLink {n:,} messages in {dt_link:.2f} s; pymavlink recv_msg loop baseline {base:.2f} s; "
          f"ratio read_tlog/baseline {dt_read / base:.2f}")


if __name__ == "__main__":
    bench_geotag()
    bench_replay()
