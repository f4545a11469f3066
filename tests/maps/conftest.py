"""Fixtures for maps/: databases (SQLite and a throwaway PostgreSQL), users, a live server on loopback."""

from __future__ import annotations

import base64
import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch):
    """The CLI and the static maps follow THERMAL_SAR_LANG/LANG: pin English so a developer's zh_CN locale
    does not change what these tests read (the language tests choose theirs explicitly)."""
    monkeypatch.setenv("THERMAL_SAR_LANG", "en")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_b64(seed: int = 1, size: int = 24) -> str:
    from PIL import Image

    rng = np.random.default_rng(seed)
    img = np.zeros((size, size), np.uint8) + 40
    yy, xx = np.mgrid[:size, :size]
    img[(yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 4) ** 2] = 230
    img = np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL on 127.0.0.1 (Debian's binaries); skipped when they are absent."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing in CI: scripts/install-system-packages.sh should install them")
        pytest.skip("PostgreSQL server binaries are absent (apt-get install postgresql, or run scripts/install-system-packages.sh)")
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="sar-pg-"))
    data = root / "data"
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "sar", "--no-sync",
                    "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-h 127.0.0.1 -p {port} -k {root} -F", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://sar@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server):
    """A fresh empty database on the throwaway server."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "sar.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    from maps.store import open_store

    s = open_store(db_url)
    yield s
    s.close()


def make_users(store) -> str:
    """officer1, ground1, ground2, viewer1 (password PASSWORD) and the ingest user 'drone'; returns its token."""
    from maps.security import hash_password, new_token, token_hash

    h = hash_password(PASSWORD)
    store.add_user("officer1", "officer", password_hash=h)
    store.add_user("ground1", "ground", password_hash=h)
    store.add_user("ground2", "ground", password_hash=h)
    store.add_user("viewer1", "viewer", password_hash=h)
    tok = new_token()
    store.add_user("drone", "ingest", token_hash=token_hash(tok))
    return tok


class LiveServer:
    def __init__(self, url: str, token: str, store, app) -> None:
        self.url, self.token, self.store, self.app = url, token, store, app

    def ingest(self, path: str, json_body) -> dict:
        import httpx

        r = httpx.post(self.url + path, json=json_body, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def live_server(tmp_path, small_mountain):
    """The app under uvicorn on a free loopback port, in a thread, over SQLite, on the small mountain."""
    import uvicorn

    from maps.server import ServerConfig, create_app
    from maps.store import open_store

    store = open_store(tmp_path / "live.db")
    token = make_users(store)
    app = create_app(store, ServerConfig(terrain=small_mountain))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    t0 = time.monotonic()
    while not server.started:
        if time.monotonic() - t0 > 20:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", token, store, app)
    finally:
        server.should_exit = True
        th.join(timeout=10)
        store.close()
