"""Kill the server with SIGKILL in the middle of ingest: nothing acknowledged may be lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.maps.conftest import free_port, make_users

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_ingest_loses_nothing_acknowledged(backend, tmp_path, request):
    from maps.store import open_store

    url = str(tmp_path / "crash.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    with open_store(url) as s:
        token = make_users(s)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "thermal_sar.cli", "serve", "--db", url, "--port", str(port),
                             "--no-terrain"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acked: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    try:
        base = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() - t0 < 30, "server did not start"
            time.sleep(0.1)

        def sender(k: int):
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
                i = 0
                while not stop.is_set():
                    uid = f"s{k}-{i}"
                    try:
                        r = c.post("/api/ingest/detections", json={"uid": uid, "lat_deg": 30.38, "lon_deg": 119.45,
                                                                   "confidence": 0.9, "class_name": "person"})
                    except httpx.HTTPError as exc:
                        errors.append(type(exc).__name__)
                        return
                    if r.status_code == 200 and r.json()["stored"][0]["uid"] == uid:
                        acked.append(uid)
                    i += 1

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(3)]
        for th in threads:
            th.start()
        while len(acked) < 60:
            assert time.monotonic() - t0 < 60
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # mid-stream: senders are still posting
        proc.wait(10)
        for th in threads:
            th.join(10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
    assert errors, "the senders should have seen the server die"
    with open_store(url) as s:
        stored = {d["uid"] for d in s.list_detections()}
    missing = [u for u in acked if u not in stored]
    assert not missing, f"{len(missing)} acknowledged detections lost: {missing[:5]}"
    assert len(acked) >= 60
