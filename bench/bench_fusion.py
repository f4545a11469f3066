"""Cost of fusing a live flight's sightings (prints figures; asserts nothing).

    .venv/bin/python bench/bench_fusion.py [--objects 300] [--frames 1200] [--per-frame 8] [--every 10]

A synthetic flight: ``--objects`` warm objects over 3 x 3 km, ``--per-frame`` of them
seen in each of ``--frames`` frames, with a pose error per frame. The live pipeline
asks for the targets every ``--every`` frames. Figures: one batch fusion of the whole
flight (``fuse_sightings``, what a replay does once), and the whole flight's updates
done incrementally (``SightingFuser``, what ``FramePipeline.targets`` does) against the
same updates each re-fusing everything so far with today's ``fuse_sightings`` (the
live pipeline's way before session 3), that last one on the first quarter of the flight
only, extrapolated (it grows with the square of the flight's length).

Before session 3 the gating looked at every target in Python: one batch fusion of the
default flight took 33 s (measured on the 2-core machine while busy), now about 1 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def flight(n_objects: int, n_frames: int, per_frame: int, seed: int = 0):
    from geo import LocalFrame
    from telemetry.fusion import Sighting

    frame = LocalFrame.at(30.36, 119.47)
    rng = np.random.default_rng(seed)
    objs = rng.uniform(-1500, 1500, (n_objects, 2))
    out = []
    for k in range(n_frames):
        shift = rng.normal(0, 1.0, 2)
        for i in rng.choice(n_objects, per_frame, replace=False):
            x, y = objs[i] + shift + rng.normal(0, 0.5, 2)
            lat, lon = frame.to_geodetic(x, y)
            out.append(Sighting(float(lat), float(lon), 500.0, ((1.0, 0.0), (0.0, 1.0)), "sheep", 0.8, 1.0 * k, k))
    return out


def main(argv: list[str] | None = None) -> int:
    from telemetry.fusion import SightingFuser, fuse_sightings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", type=int, default=300)
    ap.add_argument("--frames", type=int, default=1200)
    ap.add_argument("--per-frame", type=int, default=8)
    ap.add_argument("--every", type=int, default=10, help="frames between target updates")
    a = ap.parse_args(argv)
    ss = flight(a.objects, a.frames, a.per_frame)
    print(f"flight: {a.frames} frames, {len(ss)} sightings of {a.objects} objects; an update every {a.every} frames")

    t0 = time.perf_counter()
    n = len(fuse_sightings(ss, shared_sigma_m=1.5))
    batch_s = time.perf_counter() - t0
    print(f"one batch fusion of the flight:        {batch_s:7.2f} s ({n} targets)")

    by_frame: dict[int, list] = {}
    for s in ss:
        by_frame.setdefault(s.frame_index, []).append(s)
    t0 = time.perf_counter()
    fuser = SightingFuser(shared_sigma_m=1.5, origin=(30.36, 119.47))
    for lo in range(0, a.frames, a.every):
        fuser.add([s for k in range(lo, min(lo + a.every, a.frames)) for s in by_frame.get(k, ())])
        fuser.targets()
    inc_s = time.perf_counter() - t0
    print(f"incremental updates, whole flight:     {inc_s:7.2f} s")

    quarter = a.frames // 4
    t0 = time.perf_counter()
    so_far: list = []
    for lo in range(0, quarter, a.every):
        so_far.extend(s for k in range(lo, min(lo + a.every, quarter)) for s in by_frame.get(k, ()))
        fuse_sightings(so_far, shared_sigma_m=1.5)
    quarter_s = time.perf_counter() - t0
    refuse_s = quarter_s * 16.0  # quadratic in the flight's length
    print(f"re-fusing everything at each update:   {refuse_s:7.2f} s (first quarter {quarter_s:.2f} s x 16)")
    print(f"ratio re-fuse / incremental:           {refuse_s / max(inc_s, 1e-9):7.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
