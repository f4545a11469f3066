"""The live server's storage: one small repository over SQLite (default) or PostgreSQL.

:func:`open_store` picks the backend from a URL: a path or ``sqlite:///path``
for SQLite (WAL journal, ``synchronous=FULL``: a commit is on disk before the
sender is told so), ``postgresql://...`` for PostgreSQL (commits are durable
by default). Both backends run the same SQL; only placeholders and the
auto-increment key differ. Every public method is one transaction and is safe
to call from several threads (one connection behind a lock: the server's load
is tens of writes per second, far below what either database sustains).

Rows come back as plain dicts whose keys carry units (``lat_deg``, ``t_s``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable

from geo.errors import InputError, SarIOError

__all__ = ["Store", "open_store", "ROLES", "DETECTION_STATUSES", "FIELD_STATUSES"]

ROLES = ("officer", "ground", "viewer", "ingest")
DETECTION_STATUSES = ("new", "confirmed", "rejected", "merged")
FIELD_STATUSES = ("assigned", "en_route", "found", "not_found")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id {serial},
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    token_hash TEXT UNIQUE,
    created_s DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf TEXT NOT NULL,
    expires_s DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS telemetry (
    id {serial},
    vehicle TEXT NOT NULL,
    t_s DOUBLE PRECISION NOT NULL,
    lat_deg DOUBLE PRECISION NOT NULL,
    lon_deg DOUBLE PRECISION NOT NULL,
    alt_amsl_m DOUBLE PRECISION,
    heading_deg DOUBLE PRECISION,
    footprint TEXT
);
CREATE TABLE IF NOT EXISTS detections (
    id {serial},
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    vehicle TEXT NOT NULL,
    t_s DOUBLE PRECISION NOT NULL,
    lat_deg DOUBLE PRECISION NOT NULL,
    lon_deg DOUBLE PRECISION NOT NULL,
    alt_amsl_m DOUBLE PRECISION,
    class_name TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    cep_m DOUBLE PRECISION NOT NULL,
    sightings INTEGER NOT NULL,
    thumbnail_png_b64 TEXT,
    status TEXT NOT NULL,
    merged_into BIGINT,
    assigned_team TEXT,
    field_status TEXT,
    candidate INTEGER NOT NULL DEFAULT 0,
    evidence TEXT,
    created_s DOUBLE PRECISION NOT NULL,
    updated_s DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS teams (
    username TEXT PRIMARY KEY,
    lat_deg DOUBLE PRECISION,
    lon_deg DOUBLE PRECISION,
    alt_amsl_m DOUBLE PRECISION,
    t_s DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS audit (
    id {serial},
    t_s DOUBLE PRECISION NOT NULL,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    detection_id BIGINT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS telemetry_t ON telemetry (t_s);
"""

_DET_COLS = ("id", "uid", "kind", "vehicle", "t_s", "lat_deg", "lon_deg", "alt_amsl_m", "class_name", "confidence",
             "cep_m", "sightings", "status", "merged_into", "assigned_team", "field_status", "created_s", "updated_s",
             "candidate", "evidence")
# Columns added after the first release, with their definition: a database created before gets them on opening.
_ADDED_DET_COLS = (("candidate", "INTEGER NOT NULL DEFAULT 0"), ("evidence", "TEXT"))
_TEL_COLS = ("id", "vehicle", "t_s", "lat_deg", "lon_deg", "alt_amsl_m", "heading_deg", "footprint")



def _schema_columns() -> dict[str, frozenset[str]]:
    """Table -> columns of :data:`_SCHEMA`, less the columns a migration adds (an older database lacks them)."""
    import re

    added = {name for name, _ in _ADDED_DET_COLS}
    out: dict[str, frozenset[str]] = {}
    for m in re.finditer(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", _SCHEMA, re.S):
        cols = {ln.strip().split()[0] for ln in m.group(2).splitlines() if ln.strip()}
        out[m.group(1)] = frozenset(cols - added if m.group(1) == "detections" else cols)
    return out


_OUR_TABLES = _schema_columns()


def _foreign_reason(conn: Any, dialect: str) -> str | None:
    """Why the database at ``conn`` is not a thermal-sar store, or None when it is ours (or empty).

    Read-only: nothing is created or changed. A SQLite file is one application's
    file, so any table we do not know marks it as another program's; in a
    PostgreSQL database (often shared) only our own table names are checked.
    """
    if dialect == "sqlite":
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'").fetchall()]
        unknown = sorted(t for t in tables if t not in _OUR_TABLES)
        if unknown:
            return f"it holds tables thermal-sar does not use ({', '.join(unknown[:8])}{', ...' if len(unknown) > 8 else ''})"

        def columns(table: str) -> set[str]:
            return {r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()}
    else:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()]

        def columns(table: str) -> set[str]:
            return {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s", (table,)).fetchall()}
    for table in sorted(set(tables) & set(_OUR_TABLES)):
        missing = sorted(_OUR_TABLES[table] - columns(table))
        if missing:
            return f"its table {table!r} lacks the columns thermal-sar needs ({', '.join(missing)})"
    return None


def _refuse_foreign(conn: Any, dialect: str, where: str) -> None:
    reason = _foreign_reason(conn, dialect)
    if reason:
        conn.close()
        raise SarIOError(f"the database {where} is not a thermal-sar database: {reason}. Nothing was changed. "
                         "Hint: give --db a new file name (it is created) or the database of your thermal-sar server.")


class Store:
    """The repository. Create with :func:`open_store`; close with :meth:`close` (or use ``with``)."""

    def __init__(self, conn: Any, dialect: str, url: str) -> None:
        self._conn = conn
        self._dialect = dialect
        self.url = url
        self._lock = threading.RLock()
        serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
        with self._lock:
            for stmt in _SCHEMA.format(serial=serial).split(";"):
                if stmt.strip():
                    self._conn.execute(stmt)
            self._migrate()
            self._conn.commit()

    def _migrate(self) -> None:
        """Add the columns a database from an older version lacks (their defaults keep old rows as they were)."""
        if self._dialect == "sqlite":
            have = {r[1] for r in self._conn.execute("PRAGMA table_info(detections)").fetchall()}
            for name, decl in _ADDED_DET_COLS:
                if name not in have:
                    self._conn.execute(f"ALTER TABLE detections ADD COLUMN {name} {decl}")
        else:
            for name, decl in _ADDED_DET_COLS:
                self._conn.execute(f"ALTER TABLE detections ADD COLUMN IF NOT EXISTS {name} {decl}")

    # ---------------------------------------------------------------- plumbing
    @property
    def dialect(self) -> str:
        return self._dialect

    def _sql(self, sql: str) -> str:
        return sql if self._dialect == "sqlite" else sql.replace("?", "%s")

    def _run(self, sql: str, params: Iterable[Any] = (), *, fetch: str = "none", commit: bool = True):
        with self._lock:
            try:
                cur = self._conn.execute(self._sql(sql), tuple(params))
                if fetch == "one":
                    out = cur.fetchone()
                elif fetch == "all":
                    out = cur.fetchall()
                else:
                    out = None
                if commit:
                    self._conn.commit()
                return out
            except Exception:
                self._conn.rollback()
                raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------- users
    def add_user(self, username: str, role: str, *, password_hash: str | None = None,
                 token_hash: str | None = None) -> dict:
        if role not in ROLES:
            raise InputError(f"role={role!r} is not allowed: allowed {', '.join(ROLES)}.")
        if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise InputError(f"username={username!r} is not allowed: 1-64 letters, digits, '-', '_' or '.'.")
        if self.get_user(username) is not None:
            raise InputError(f"username={username!r} exists already. Hint: choose another name or remove the user first.")
        self._run("INSERT INTO users (username, role, password_hash, token_hash, created_s) VALUES (?, ?, ?, ?, ?)",
                  (username, role, password_hash, token_hash, time.time()))
        return self.get_user(username)  # type: ignore[return-value]

    def set_password(self, username: str, password_hash: str) -> None:
        """New password hash; the user's open sessions end (a leaked session dies with the old password)."""
        u = self.get_user(username)
        if u is None:
            raise InputError(f"no user {username!r}.")
        self._run("UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username))
        self._run("DELETE FROM sessions WHERE user_id = ?", (u["id"],))

    def set_token_hash(self, username: str, token_hash: str) -> None:
        self._run("UPDATE users SET token_hash = ? WHERE username = ?", (token_hash, username))

    def remove_user(self, username: str) -> bool:
        u = self.get_user(username)
        if u is None:
            return False
        self._run("DELETE FROM sessions WHERE user_id = ?", (u["id"],))
        self._run("DELETE FROM users WHERE id = ?", (u["id"],))
        return True

    def _user(self, row) -> dict | None:
        if row is None:
            return None
        return dict(zip(("id", "username", "role", "password_hash", "token_hash", "created_s"), row))

    def get_user(self, username: str) -> dict | None:
        return self._user(self._run("SELECT id, username, role, password_hash, token_hash, created_s FROM users "
                                    "WHERE username = ?", (username,), fetch="one", commit=False))

    def user_by_token_hash(self, token_hash: str) -> dict | None:
        return self._user(self._run("SELECT id, username, role, password_hash, token_hash, created_s FROM users "
                                    "WHERE token_hash = ?", (token_hash,), fetch="one", commit=False))

    def list_users(self) -> list[dict]:
        rows = self._run("SELECT id, username, role, password_hash, token_hash, created_s FROM users ORDER BY username",
                         fetch="all", commit=False)
        return [self._user(r) for r in rows]  # type: ignore[misc]

    # ---------------------------------------------------------------- sessions
    def create_session(self, token_hash: str, user_id: int, csrf: str, expires_s: float) -> None:
        self._run("DELETE FROM sessions WHERE expires_s < ?", (time.time(),), commit=False)
        self._run("INSERT INTO sessions (token_hash, user_id, csrf, expires_s) VALUES (?, ?, ?, ?)",
                  (token_hash, user_id, csrf, expires_s))

    def get_session(self, token_hash: str) -> tuple[dict, str, float] | None:
        row = self._run("SELECT u.id, u.username, u.role, u.password_hash, u.token_hash, u.created_s, s.csrf, s.expires_s "
                        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                        (token_hash,), fetch="one", commit=False)
        if row is None:
            return None
        return self._user(row[:6]), row[6], float(row[7])  # type: ignore[return-value]

    def delete_session(self, token_hash: str) -> None:
        self._run("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # --------------------------------------------------------------- telemetry
    def add_telemetry(self, *, vehicle: str, t_s: float, lat_deg: float, lon_deg: float,
                      alt_amsl_m: float | None = None, heading_deg: float | None = None,
                      footprint: list | None = None) -> dict:
        row = self._run("INSERT INTO telemetry (vehicle, t_s, lat_deg, lon_deg, alt_amsl_m, heading_deg, footprint) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (vehicle, t_s, lat_deg, lon_deg, alt_amsl_m, heading_deg,
                         json.dumps(footprint) if footprint else None), fetch="one")
        return {"id": int(row[0]), "vehicle": vehicle, "t_s": t_s, "lat_deg": lat_deg, "lon_deg": lon_deg,
                "alt_amsl_m": alt_amsl_m, "heading_deg": heading_deg, "footprint": footprint}

    def _tel(self, row) -> dict:
        d = dict(zip(_TEL_COLS, row))
        d["footprint"] = json.loads(d["footprint"]) if d["footprint"] else None
        return d

    def track(self, *, limit: int = 2000) -> list[dict]:
        """The last ``limit`` telemetry records, oldest first."""
        rows = self._run(f"SELECT {', '.join(_TEL_COLS)} FROM telemetry ORDER BY id DESC LIMIT ?", (limit,),
                         fetch="all", commit=False)
        return [self._tel(r) for r in reversed(rows)]

    def footprints(self) -> list[list]:
        rows = self._run("SELECT footprint FROM telemetry WHERE footprint IS NOT NULL", fetch="all", commit=False)
        return [json.loads(r[0]) for r in rows]

    # -------------------------------------------------------------- detections
    def _det(self, row, with_thumb: bool = False) -> dict:
        d = dict(zip(_DET_COLS + ("has_thumbnail",), row))
        d["has_thumbnail"] = bool(d["has_thumbnail"])
        d["candidate"] = bool(d["candidate"])
        d["evidence"] = json.loads(d["evidence"]) if d["evidence"] else None
        return d

    _DET_SELECT = f"SELECT {', '.join(_DET_COLS)}, thumbnail_png_b64 IS NOT NULL FROM detections"

    def add_detection(self, *, uid: str, kind: str = "detection", vehicle: str = "", t_s: float,
                      lat_deg: float, lon_deg: float, alt_amsl_m: float | None = None, class_name: str = "hotspot",
                      confidence: float = 0.0, cep_m: float = 0.0, sightings: int = 1,
                      thumbnail_png_b64: str | None = None, update: bool = False, candidate: bool = False,
                      evidence: dict | None = None) -> tuple[dict, bool]:
        """Insert a detection (or a fused target) keyed by the sender's ``uid``.

        Returns ``(row, created)``. A repeated ``uid`` is not inserted twice
        (a sender retrying after a lost answer), but with ``update=True`` (fused
        targets, refined as sightings accumulate) its position and figures are updated.
        ``candidate``: seen, but not (yet) confirmed by the sender's rule, which says why
        in ``evidence`` (a JSON object). A row that was once not a candidate never becomes
        one again: a target does not vanish from the officer's list because a later pass missed it.
        """
        now = time.time()
        ev = json.dumps(evidence, separators=(",", ":")) if evidence is not None else None
        with self._lock:
            # ON CONFLICT DO NOTHING makes the uid check atomic in the database itself, so two server
            # processes on one PostgreSQL cannot both insert (or fail on) the same retry.
            row = self._run("INSERT INTO detections (uid, kind, vehicle, t_s, lat_deg, lon_deg, alt_amsl_m, class_name, "
                            "confidence, cep_m, sightings, thumbnail_png_b64, status, created_s, updated_s, candidate, evidence) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?) "
                            "ON CONFLICT (uid) DO NOTHING RETURNING id",
                            (uid, kind, vehicle, t_s, lat_deg, lon_deg, alt_amsl_m, class_name, confidence, cep_m,
                             sightings, thumbnail_png_b64, now, now, int(bool(candidate)), ev), fetch="one")
            if row is not None:
                return self.get_detection(int(row[0])), True  # type: ignore[return-value]
            if update:
                self._run("UPDATE detections SET t_s = ?, lat_deg = ?, lon_deg = ?, alt_amsl_m = ?, class_name = ?, "
                          "confidence = ?, cep_m = ?, sightings = ?, thumbnail_png_b64 = COALESCE(?, thumbnail_png_b64), "
                          "candidate = CASE WHEN candidate = 0 THEN 0 ELSE ? END, evidence = COALESCE(?, evidence), "
                          "updated_s = ? WHERE uid = ?",
                          (t_s, lat_deg, lon_deg, alt_amsl_m, class_name, confidence, cep_m, sightings,
                           thumbnail_png_b64, int(bool(candidate)), ev, now, uid))
            return self.get_detection_by_uid(uid), False  # type: ignore[return-value]

    def get_detection(self, det_id: int) -> dict | None:
        row = self._run(self._DET_SELECT + " WHERE id = ?", (det_id,), fetch="one", commit=False)
        return None if row is None else self._det(row)

    def get_detection_by_uid(self, uid: str) -> dict | None:
        row = self._run(self._DET_SELECT + " WHERE uid = ?", (uid,), fetch="one", commit=False)
        return None if row is None else self._det(row)

    def list_detections(self) -> list[dict]:
        return [self._det(r) for r in self._run(self._DET_SELECT + " ORDER BY id", fetch="all", commit=False)]

    def count_detections(self) -> int:
        return int(self._run("SELECT COUNT(*) FROM detections", fetch="one", commit=False)[0])

    def thumbnail(self, det_id: int) -> str | None:
        row = self._run("SELECT thumbnail_png_b64 FROM detections WHERE id = ?", (det_id,), fetch="one", commit=False)
        return None if row is None else row[0]

    def set_thumbnail(self, uid: str, png_b64: str) -> dict | None:
        self._run("UPDATE detections SET thumbnail_png_b64 = ?, updated_s = ? WHERE uid = ?", (png_b64, time.time(), uid))
        return self.get_detection_by_uid(uid)

    def update_detection(self, det_id: int, **fields: Any) -> dict:
        allowed = {"status", "merged_into", "assigned_team", "field_status"}
        bad = set(fields) - allowed
        if bad:
            raise InputError(f"fields {sorted(bad)} cannot be updated: allowed {sorted(allowed)}.")
        if not fields:
            return self.get_detection(det_id)  # type: ignore[return-value]
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._run(f"UPDATE detections SET {sets}, updated_s = ? WHERE id = ?", (*fields.values(), time.time(), det_id))
        return self.get_detection(det_id)  # type: ignore[return-value]

    # ------------------------------------------------------------------- teams
    def set_team_position(self, username: str, lat_deg: float, lon_deg: float, alt_amsl_m: float | None,
                          t_s: float) -> None:
        self._run("INSERT INTO teams (username, lat_deg, lon_deg, alt_amsl_m, t_s) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (username) DO UPDATE SET lat_deg = excluded.lat_deg, lon_deg = excluded.lon_deg, "
                  "alt_amsl_m = excluded.alt_amsl_m, t_s = excluded.t_s",
                  (username, lat_deg, lon_deg, alt_amsl_m, t_s))

    def list_teams(self) -> list[dict]:
        """Every ground user with its last reported position (None when never reported)."""
        rows = self._run("SELECT u.username, t.lat_deg, t.lon_deg, t.alt_amsl_m, t.t_s FROM users u "
                         "LEFT JOIN teams t ON t.username = u.username WHERE u.role = 'ground' ORDER BY u.username",
                         fetch="all", commit=False)
        return [dict(zip(("username", "lat_deg", "lon_deg", "alt_amsl_m", "t_s"), r)) for r in rows]

    # ------------------------------------------------------------------- audit
    def audit(self, username: str, action: str, detection_id: int | None = None, detail: str = "") -> None:
        self._run("INSERT INTO audit (t_s, username, action, detection_id, detail) VALUES (?, ?, ?, ?, ?)",
                  (time.time(), username, action, detection_id, detail))

    def list_audit(self, *, limit: int = 500) -> list[dict]:
        rows = self._run("SELECT id, t_s, username, action, detection_id, detail FROM audit ORDER BY id DESC LIMIT ?",
                         (limit,), fetch="all", commit=False)
        return [dict(zip(("id", "t_s", "username", "action", "detection_id", "detail"), r)) for r in rows]

    # ---------------------------------------------------------------- settings
    def set_setting(self, key: str, value: str) -> None:
        self._run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  (key, value))

    def get_setting(self, key: str) -> str | None:
        row = self._run("SELECT value FROM settings WHERE key = ?", (key,), fetch="one", commit=False)
        return None if row is None else row[0]


def open_store(url: str | Path, *, create: bool = True) -> Store:
    """Open (creating tables as needed) the store at ``url``.

    ``url``: a file path or ``sqlite:///path`` (SQLite), or ``postgresql://user@host/db``.
    With ``create=False`` a SQLite file that does not exist is an error instead
    of a new, empty database (for commands that only read or change what is there).
    A database that belongs to another program (tables we do not know, or our
    table names with other columns) is refused before anything is written to it.
    """
    u = str(url)
    if u.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:  # pragma: no cover - dependency pinned
            raise SarIOError("PostgreSQL needs the package psycopg. Hint: pip install 'psycopg[binary]'.") from None
        try:
            # autocommit: each statement is its own durable transaction (reads never hold one open).
            conn = psycopg.connect(u, connect_timeout=10, autocommit=True)
        except psycopg.OperationalError as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SarIOError(f"cannot connect to PostgreSQL at {_redact(u)}: {msg}. "
                             "Hint: check that the server runs and the URL (user, host, port, database).") from None
        try:
            _refuse_foreign(conn, "postgresql", _redact(u))
        except psycopg.Error as exc:
            conn.close()
            raise SarIOError(f"cannot read the tables of PostgreSQL at {_redact(u)}: {exc}.") from None
        return Store(conn, "postgresql", _redact(u))
    path = Path(u[len("sqlite:///"):] if u.startswith("sqlite:///") else u)
    if path.parent and not path.parent.exists():
        raise SarIOError(f"database folder {str(path.parent)!r} does not exist. Hint: create it or give another --db.")
    if not create and not path.is_file():
        raise SarIOError(f"the database {str(path)!r} does not exist. Hint: check --db (the default is "
                         "thermal-sar.db in the current folder); 'thermal-sar users add' creates a new one.")
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level="DEFERRED", timeout=30.0)
    except sqlite3.Error as exc:
        raise SarIOError(f"cannot open the SQLite database {str(path)!r}: {exc}. Hint: check the path and permissions.") from None
    try:
        _refuse_foreign(conn, "sqlite", repr(str(path)))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SarIOError(f"cannot open the SQLite database {str(path)!r}: {exc}. Hint: check that --db names a "
                         "thermal-sar database, or give a new file name.") from None
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss too.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        raise SarIOError(f"cannot open the SQLite database {str(path)!r}: {exc}. Hint: check the path and permissions.") from None
    return Store(conn, "sqlite", str(path))


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
