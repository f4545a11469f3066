"""Load run of the live server on loopback.

50 viewers subscribed to the event stream (each also reloading /api/state
every 10 s), 5 Hz telemetry with camera footprints, 10 detections/s ingest,
for --duration seconds (60 by default). Prints p50/p99 API latency per route
and the detection-to-screen latency (from the ingest POST leaving the
sender to the event arriving at each viewer). Targets: API p99 < 100 ms,
detection-to-screen p95 < 1 s. Baseline measured in the same run: /healthz
latency on the idle server.

    .venv/bin/python bench/bench_maps.py --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs, q):
    return float(np.percentile(np.asarray(xs) * 1000.0, q)) if xs else float("nan")


async def run(base: str, token: str, cookies: list[str], duration_s: float) -> dict:
    import httpx

    lat: dict[str, list[float]] = {"healthz_idle": [], "telemetry": [], "detections": [], "state": []}
    screen: list[float] = []
    sent: dict[str, float] = {}
    stop = asyncio.Event()
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as idle:
        for _ in range(50):
            t = time.perf_counter()
            await idle.get("/healthz")
            lat["healthz_idle"].append(time.perf_counter() - t)

    async def viewer(cookie: str, k: int):
        async with httpx.AsyncClient(base_url=base, timeout=30, cookies={"sar_session": cookie}) as c:
            async def poll():
                await asyncio.sleep(k * 10.0 / 50)
                while not stop.is_set():
                    t = time.perf_counter()
                    r = await c.get("/api/state")
                    lat["state"].append(time.perf_counter() - t)
                    if r.status_code != 200:
                        errors[f"state {r.status_code}"] = errors.get(f"state {r.status_code}", 0) + 1
                    await asyncio.sleep(10.0)

            pt = asyncio.ensure_future(poll())
            try:
                async with c.stream("GET", "/api/events") as r:
                    ev = None
                    async for line in r.aiter_lines():
                        if stop.is_set():
                            break
                        if line.startswith("event: "):
                            ev = line[7:]
                        elif line.startswith("data: ") and ev == "detection":
                            uid = json.loads(line[6:])["uid"]
                            if uid in sent:
                                screen.append(time.perf_counter() - sent[uid])
            except httpx.HTTPError:
                pass
            finally:
                pt.cancel()

    async def sender(path: str, rate_hz: float, make):
        h = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=10, headers=h) as c:
            i = 0
            t0 = time.perf_counter()
            while not stop.is_set():
                body, uid = make(i)
                t = time.perf_counter()
                if uid:
                    sent[uid] = t
                r = await c.post(path, json=body)
                key = path.rsplit("/", 1)[-1]
                lat[key].append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors[f"{key} {r.status_code}"] = errors.get(f"{key} {r.status_code}", 0) + 1
                i += 1
                await asyncio.sleep(max(0.0, t0 + i / rate_hz - time.perf_counter()))

    rng = np.random.default_rng(1)

    def tel(i):
        la, lo = 30.38 + 1e-5 * i, 119.45
        fp = [[la - 4e-4, lo - 5e-4], [la + 4e-4, lo - 5e-4], [la + 4e-4, lo + 5e-4], [la - 4e-4, lo + 5e-4]]
        return {"lat_deg": la, "lon_deg": lo, "alt_amsl_m": 700.0, "heading_deg": 0.0, "footprint": fp}, None

    def det(i):
        uid = f"bench-{i}"
        return {"uid": uid, "lat_deg": 30.38 + rng.normal(0, 1e-3), "lon_deg": 119.45 + rng.normal(0, 1e-3),
                "confidence": float(rng.uniform(0.3, 1)), "class_name": "person", "cep_m": 8.0}, uid

    viewers = [asyncio.ensure_future(viewer(c, k)) for k, c in enumerate(cookies)]
    await asyncio.sleep(1.0)  # let the streams open
    senders = [asyncio.ensure_future(sender("/api/ingest/telemetry", 5.0, tel)),
               asyncio.ensure_future(sender("/api/ingest/detections", 10.0, det))]
    await asyncio.sleep(duration_s)
    stop.set()
    await asyncio.gather(*senders, return_exceptions=True)
    await asyncio.sleep(1.0)
    for v in viewers:
        v.cancel()
    await asyncio.gather(*viewers, return_exceptions=True)
    return {"lat": lat, "screen": screen, "errors": errors, "n_sent": len(sent)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()

    from maps.security import hash_password, new_token, token_hash
    from maps.store import open_store

    tmp = tempfile.mkdtemp(prefix="sar-bench-")
    db = args.db or os.path.join(tmp, "bench.db")
    cookies = []
    with open_store(db) as s:
        tok = new_token()
        s.add_user("drone", "ingest", token_hash=token_hash(tok))
        h = hash_password("bench password")
        for k in range(args.viewers):
            u = s.add_user(f"viewer{k}", "viewer", password_hash=h)
            c = new_token()
            # Sessions made directly: 50 sign-ins from one address would (rightly) hit the login rate limit.
            s.create_session(token_hash(c), u["id"], new_token(), time.time() + 3600)
            cookies.append(c)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "thermal_sar.cli", "serve", "--db", db, "--port", str(port),
                             "--no-terrain"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - t0 > 30 or proc.poll() is not None:
                print("server did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
        res = asyncio.run(run(f"http://127.0.0.1:{port}", tok, cookies, args.duration))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = res["lat"]
    print(f"load: {args.viewers} viewers subscribed (state reload every 10 s), telemetry 5 Hz, detections 10/s, "
          f"{args.duration:.0f} s, db {'sqlite' if not args.db else args.db.split(':')[0]}")
    print(f"{'route':<24}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}")
    for k in ("healthz_idle", "telemetry", "detections", "state"):
        print(f"{k:<24}{len(lat[k]):>7}{pct(lat[k], 50):>10.1f}{pct(lat[k], 99):>10.1f}")
    api = lat["telemetry"] + lat["detections"] + lat["state"]
    print(f"{'all API under load':<24}{len(api):>7}{pct(api, 50):>10.1f}{pct(api, 99):>10.1f}   (target p99 < 100 ms)")
    sc = res["screen"]
    expected = res["n_sent"] * args.viewers
    print(f"detection-to-screen: {len(sc)}/{expected} deliveries, p50 {pct(sc, 50):.1f} ms, "
          f"p95 {pct(sc, 95):.1f} ms, p99 {pct(sc, 99):.1f} ms   (target p95 < 1000 ms)")
    base = pct(lat["healthz_idle"], 50)
    print(f"ratio: API p99 under load / idle healthz p50 = {pct(api, 99) / base:.1f}x")
    if res["errors"]:
        print(f"non-200 answers: {res['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
