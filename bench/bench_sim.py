"""Benchmark: render a 640x512 radiometric frame with ground truth over the synthetic mountain.

Target: under 100 ms per frame on one core. Run with
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_sim.py``.
The baseline in the same run is the naive renderer's core: one ray per pixel
(what the lattice avoids), so the ratio says what the lattice buys.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def main() -> None:
    import cv2

    cv2.setNumThreads(1)
    import geo
    import sim

    t0 = time.perf_counter()
    scene = sim.load_scenario("sheep")
    build_s = time.perf_counter() - t0
    cam = geo.camera_preset("m30t")
    poses = sim.sample_survey_poses(scene, 24, seed=1)
    sim.render_frame(scene, cam, poses[0], seed=0)  # warm caches (texture tiles, fixed pattern)
    times = []
    n_truth = 0
    for k, p in enumerate(poses):
        t = time.perf_counter()
        fr = sim.render_frame(scene, cam, p, seed=k)
        times.append(time.perf_counter() - t)
        n_truth += len(fr.truths)
    med = statistics.median(times) * 1000
    p90 = float(np.percentile(times, 90)) * 1000
    # Baseline: cast one ray per pixel for the same poses (ground lookup only).
    base = []
    for p in poses[:4]:
        view = geo.CameraView.from_pose(cam, p, scene.frame)
        rr, cc = np.meshgrid(np.arange(cam.height_px, dtype=float), np.arange(cam.width_px, dtype=float),
                             indexing="ij")
        t = time.perf_counter()
        view.ground_points(rr, cc, scene.grid)
        base.append(time.perf_counter() - t)
    base_ms = statistics.median(base) * 1000
    print(f"scene build (sheep, once): {build_s * 1000:.0f} ms")
    print(f"render 640x512 radiometric + counts + AGC video + truth, {len(poses)} survey poses "
          f"(60-130 m AGL, 45-90 deg), {n_truth} labelled targets:")
    print(f"  median {med:.1f} ms, p90 {p90:.1f} ms per frame (target < 100 ms on one core)")
    print(f"  baseline, one ray per pixel (ground lookup alone): {base_ms:.0f} ms; ratio {base_ms / med:.1f}x")
    print("PASS" if med < 100 else "SLOWER THAN TARGET")


if __name__ == "__main__":
    main()
