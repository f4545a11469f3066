"""Benchmarks of the geo foundation (run by hand: ``python bench/bench_geo.py``).

Prints figures and ratios against a baseline measured in the same run:

1. Bilinear terrain queries per second, vectorised, one core (target >= 5 M/s),
   against scipy's RegularGridInterpolator on the same grid and points.
2. Intersecting every ray of a 640x512 frame with the synthetic mountain
   (target < 0.3 s on one core), against a plain fixed-step march + bisection.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from affine import Affine  # noqa: E402

from geo import (  # noqa: E402
    DEMO_ORIGIN_LAT_DEG,
    DEMO_ORIGIN_LON_DEG,
    CameraPose,
    CameraView,
    GridTerrain,
    HeightGrid,
    LocalFrame,
    camera_preset,
    intersect_rays,
    load_dem,
    synthetic_mountain,
)


def best_of(fn, repeat=5):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_bilinear() -> None:
    from scipy.interpolate import RegularGridInterpolator

    real = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dem" / "N44W072.hgt"
    if real.exists():
        t = load_dem(real)
        label = real.name
    else:
        rng = np.random.default_rng(0)
        t = GridTerrain(rng.uniform(100, 2000, (1201, 1201)), Affine(1 / 1200, 0, -72, 0, -1 / 1200, 45), "EPSG:4326",
                        name="random 1201x1201")
        label = t.name
    n = 5_000_000
    rng = np.random.default_rng(1)
    b = t.bounds
    lat = rng.uniform(b.south_lat_deg, b.north_lat_deg, n)
    lon = rng.uniform(b.west_lon_deg, b.east_lon_deg, n)
    dt, z = best_of(lambda: t.elevation_m(lat, lon), 3)
    # Baseline: scipy on the same nodes (axes ascending: flip rows to south-first).
    lats = t.node_transform.f + t.node_transform.e * np.arange(t.shape[0])
    lons = t.node_transform.c + t.node_transform.a * np.arange(t.shape[1])
    rgi = RegularGridInterpolator((lats[::-1], lons), t.heights_m[::-1].astype(np.float64), method="linear")
    pts = np.column_stack([lat, lon])
    dt_ref, z_ref = best_of(lambda: rgi(pts), 2)
    assert np.allclose(z, z_ref, atol=1e-3), "bilinear disagrees with scipy"
    print(f"bilinear terrain queries ({label}, {n:,} points, 1 core): {n / dt / 1e6:.1f} M/s "
          f"(target >= 5 M/s); scipy RegularGridInterpolator {n / dt_ref / 1e6:.1f} M/s; ratio {dt_ref / dt:.1f}x")

    m = synthetic_mountain()
    mb = m.bounds
    lat = rng.uniform(mb.south_lat_deg, mb.north_lat_deg, 1_000_000)
    lon = rng.uniform(mb.west_lon_deg, mb.east_lon_deg, 1_000_000)
    dt_p, _ = best_of(lambda: m.elevation_m(lat, lon), 3)
    print(f"bilinear queries on a projected-CRS grid (synthetic mountain, pyproj per query): {1e6 / dt_p / 1e6:.1f} M/s")


def naive_march(o, d, grid: HeightGrid, max_range_m=3000.0):
    """Baseline: fixed steps of half the grid spacing from the camera, then bisection."""
    n = d.shape[0]
    step = 0.5 * grid.res_m
    t_hit = np.full(n, np.nan)
    idx = np.arange(n)
    lo = np.zeros(n)
    while idx.size:
        hi = lo + step
        p = o + hi[:, None] * d[idx]
        f = p[:, 2] - grid.height_at(p[:, 0], p[:, 1])
        gone = np.isnan(f) | (hi > max_range_m)
        cross = (~gone) & (f <= 0)
        if cross.any():
            a, b, di = lo[cross], hi[cross], d[idx[cross]]
            for _ in range(24):
                m = 0.5 * (a + b)
                pm = o + m[:, None] * di
                below = pm[:, 2] - grid.height_at(pm[:, 0], pm[:, 1]) <= 0
                b = np.where(below, m, b)
                a = np.where(below, a, m)
            t_hit[idx[cross]] = 0.5 * (a + b)
        keep = ~(gone | cross)
        idx, lo = idx[keep], hi[keep]
    return t_hit


def bench_rays() -> None:
    t = synthetic_mountain()
    frame = LocalFrame.at(DEMO_ORIGIN_LAT_DEG, DEMO_ORIGIN_LON_DEG)
    grid = HeightGrid.around(t, frame, 0.0, 0.0, 1500.0)
    cam = camera_preset("m30t")
    rows, cols = np.mgrid[0 : cam.height_px, 0 : cam.width_px]
    h = t.elevation_m(DEMO_ORIGIN_LAT_DEG, DEMO_ORIGIN_LON_DEG)
    for pitch in (-90.0, -60.0, -45.0):
        pose = CameraPose(DEMO_ORIGIN_LAT_DEG, DEMO_ORIGIN_LON_DEG, h + 100.0, yaw_deg=30.0, gimbal_pitch_deg=pitch)
        view = CameraView.from_pose(cam, pose, frame)
        d = view.rays(rows.ravel(), cols.ravel())
        dt, hits = best_of(lambda: intersect_rays(view.origin_m, d, grid), 3)
        dt_ref, t_ref = best_of(lambda: naive_march(view.origin_m, d, grid), 1)
        agree = np.nanmax(np.abs(hits.range_m - t_ref))
        print(f"ray-ground, 640x512 frame, 100 m AGL, gimbal {pitch:.0f} deg: {dt * 1000:.0f} ms "
              f"(target < 300 ms, 1 core); fixed-step march {dt_ref * 1000:.0f} ms; ratio {dt_ref / dt:.1f}x; "
              f"hit {hits.hit.mean() * 100:.1f} %; max range difference {agree:.3f} m")


if __name__ == "__main__":
    bench_bilinear()
    bench_rays()
