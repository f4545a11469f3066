"""Benchmark of ``thermal-sar replay``: a 640x512, 30 fps thermal video with the classical detector.

Target (issue 8): at least 2x faster than real time on this 2-core machine, so
that a 20-minute flight is processed in under 10 minutes.

The flight: a synthetic tlog of a straight pass at 10 m/s, 60 m above the
ground, over the pen of the small sheep world (``tests/app/replay_flight.py``);
the video: frames rendered by ``sim`` (H20T, 640x512, linear AGC, white-hot)
at the logged poses every 0.5 s of flight, each written 15 times to make 30 fps
(MPEG-4 part 2 in .mp4, as OpenCV writes it; decoding H.264 costs about the same).
The content is pessimistic for speed: sheep, a pen and a farmhouse in most
frames, so the detector and the geotagging work on nearly every frame.

Two ways to replay a 30 fps stream are measured in the same run:

* **every frame**: detect on all 30 frames of each second, in one thread (the baseline) and with
  frames decoded in a second thread while the first detects (what `replay` does);
* **default** (``--overlap 0.9``): detect on every N-th frame, N chosen so that
  consecutive processed footprints still overlap by 90 % (every ground point
  is seen in about ten processed frames); the other frames are decoded and
  skipped.

Ratio = seconds of footage / seconds of wall time (the whole command: reading
the log, the terrain, every frame, fusing, writing the map). The baseline is
real time itself (ratio 1); the frame loop alone is printed too.

Run: ``.venv/bin/python bench/bench_replay.py [--seconds 60]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TARGET_X = 2.0
FPS = 30.0
RENDER_EVERY_S = 0.5


def make_flight(work: Path, seconds: float):
    import cv2

    import sim
    from tests.app import replay_flight as rf

    cv2.setNumThreads(2)
    scene = sim.load_scenario(ROOT / "tests" / "app" / "data" / "sheep-small.yaml")
    speed = 10.0
    # The log covers the whole video; frames are rendered along its first minute (the scene's area)
    # and looped when the video is longer: the poses then no longer match the pictures, the work does.
    fl = rf.pass_over(scene, (1520.0, -1525.0), length_m=seconds * speed, agl_m=60.0, speed_m_s=speed)
    tlog = rf.write_tlog(scene, fl, work / "flight.tlog", rate_hz=10.0)
    t_render = fl.t0_s + np.arange(0.0, min(seconds, 60.0), RENDER_EVERY_S)
    t0 = time.perf_counter()
    frames = rf.render_at_log_poses(scene, "h20t", tlog, t_render)
    render_s = time.perf_counter() - t0
    video = work / "flight.mp4"
    copies = int(round(RENDER_EVERY_S * FPS))
    h, w = frames[0].video_u8.shape
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (w, h), isColor=False)
    n = 0
    while n < seconds * FPS:
        for fr in frames:
            for _ in range(copies):
                if n < seconds * FPS:
                    vw.write(np.ascontiguousarray(fr.video_u8))
                    n += 1
    vw.release()
    return fl, tlog, video, n, frames, render_s


def detector_only(frames) -> float:
    """Milliseconds per frame of the classical detector alone on the 8-bit frames (GSD of 60 m)."""
    from geo.camera import camera_preset
    from vision import ClassicalDetector

    det = ClassicalDetector()
    gsd = 60.0 / camera_preset("h20t").fy_px
    imgs = [fr.video_u8 for fr in frames[::4]]
    det.detect(imgs[0], gsd_m=gsd)
    t0 = time.perf_counter()
    for im in imgs:
        det.detect(im, gsd_m=gsd)
    return 1000 * (time.perf_counter() - t0) / len(imgs)


def decode_only(video: Path) -> tuple[int, float]:
    """Frames/s of reading the video through vision.io alone (the floor under any replay)."""
    from vision.io import iter_video

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_video(video))
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the video (s)")
    args = ap.parse_args()
    from thermal_sar.pipelines.replay import run_replay

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fl, tlog, video, n_frames, rendered, render_s = make_flight(work, args.seconds)
        n_unique = len(rendered)
        footage_s = n_frames / FPS
        print(f"video: {n_frames} frames 640x512 at {FPS:g} fps = {footage_s:.0f} s of footage "
              f"({n_unique} rendered frames in {render_s:.1f} s, each repeated {int(RENDER_EVERY_S * FPS)} times); "
              f"flight {fl.speed_m_s:g} m/s, 60 m above ground; cores: {os.cpu_count()}, load average "
              f"{os.getloadavg()[0]:.1f} (other jobs share the machine)")
        print(f"classical detector alone: {detector_only(rendered):.1f} ms per 8-bit frame")
        n, dt = decode_only(video)
        print(f"decode only (vision.io.iter_video): {n / dt:.0f} frames/s = {n / FPS / dt:.1f}x real time")
        rows = []
        for label, every, thread in (("every frame, one thread", 1, False), ("every frame", 1, True),
                                     ("default (overlap 0.9)", None, True)):
            r = run_replay(video, work / f"out-{every}-{thread}", log=tlog, camera="h20t", detector="classical",
                           video_start=str(fl.t0_s), every=every, synthetic_terrain=True, reader_thread=thread)
            det_s = r.frames_processed
            rows.append((label, r))
            print(f"{label:>23}: every {r.every:>2} frame(s), {r.frames_read} frames read, {det_s} detected "
                  f"({r.frames_outside_log} outside the log), {len(r.targets)} targets; "
                  f"wall {r.wall_s:.1f} s (frame loop {r.loop_s:.1f} s): "
                  f"{n_frames / r.wall_s:.0f} video frames/s, {r.speed_x:.2f}x real time "
                  f"(loop alone {footage_s / r.loop_s:.2f}x)")
        one, every_frame, best = (r for _, r in rows)
        print(f"per frame, every frame: {1000 * one.loop_s / max(one.frames_read, 1):.1f} ms in one thread, "
              f"{1000 * every_frame.loop_s / max(every_frame.frames_read, 1):.1f} ms with the reader thread "
              f"({one.loop_s / every_frame.loop_s:.2f}x)")
        verdict = "MEETS" if best.speed_x >= TARGET_X else "MISSES"
        print(f"ratio to real time: every frame {every_frame.speed_x:.2f}x (one thread {one.speed_x:.2f}x), "
              f"default {best.speed_x:.2f}x (target >= {TARGET_X:g}x: {verdict}); a 20-minute flight takes "
              f"{20 / best.speed_x:.1f} min by default, {20 / every_frame.speed_x:.1f} min detecting every frame")


if __name__ == "__main__":
    main()
