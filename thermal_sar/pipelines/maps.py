"""Wiring for ``thermal-sar map``, ``serve`` and ``users``: files -> maps; store + app -> uvicorn."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from geo.errors import FormatError, InputError, SarIOError

__all__ = ["MapResult", "write_map", "load_terrain_or_default", "run_server", "add_user", "remove_user",
           "set_password", "rotate_token", "check_map_inputs", "MAP_INPUTS", "check_server_options"]


@dataclass(frozen=True)
class MapResult:
    path: Path
    size_bytes: int
    missions: int
    targets: int
    track_points: int
    basemap: str
    terrain: str | None


def load_terrain_or_default(dem: Sequence[str | Path] | None, *, synthetic: bool = True):
    """The DEM files given (a mosaic for several), else the embedded synthetic mountain (or None)."""
    from geo.terrain import load_terrain, synthetic_mountain

    if dem:
        return load_terrain([Path(p) for p in dem])
    return synthetic_mountain() if synthetic else None


MISSION_EXTENSIONS = (".plan", ".waypoints", ".txt")
# What `thermal-sar map` reads, for messages about what it does not.
MAP_INPUTS = ("a mission (.plan or .waypoints), or GeoJSON (.geojson or .json) of a mission plan, of targets "
              "(targets.geojson) or of a drone track")
_NOT_MAP_INPUTS = {
    ".gpx": "GPX", ".kml": "KML", ".kmz": "KMZ", ".tlog": "a MAVLink telemetry log", ".bin": "an ArduPilot log",
    ".hgt": "a DEM", ".tif": "a DEM or picture", ".tiff": "a DEM or picture", ".jpg": "a picture",
    ".jpeg": "a picture", ".png": "a picture", ".html": "a map",
}


def _not_a_map_input(p: Path, what: str) -> FormatError:
    hint = "Hint: give a DEM with --dem." if what.startswith("a DEM") else (
        "Hint: 'thermal-sar replay' turns a flight log into targets and a map." if "log" in what else
        "Hint: convert it to GeoJSON first (e.g. 'ogr2ogr -f GeoJSON track.geojson FILE')." if what in ("GPX", "KML", "KMZ")
        else "")
    return FormatError(f"{p.name} is {what}, which thermal-sar map does not read: allowed {MAP_INPUTS}. {hint}".rstrip())


def _read_json(p: Path) -> object:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read {str(p)!r}: {exc.strerror or exc}. Hint: check the path.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{p.name} is not a text file (a binary file such as a log, DEM or picture): allowed "
                          f"{MAP_INPUTS}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{p.name}: not valid JSON ({exc.msg} at line {exc.lineno}): allowed {MAP_INPUTS}.") from None


def check_map_inputs(inputs: Sequence[str | Path]) -> None:
    """Refuse missing files and files map cannot read, by name, before any work."""
    if not inputs:
        raise InputError("no input file. Hint: thermal-sar map mission.plan or thermal-sar map targets.geojson.")
    for raw in inputs:
        p = Path(raw)
        if not p.is_file():
            raise SarIOError(f"input {str(p)!r} does not exist. Hint: check the path.")
        what = _NOT_MAP_INPUTS.get(p.suffix.lower())
        if what:
            raise _not_a_map_input(p, what)


def write_map(inputs: Sequence[str | Path], out: str | Path, *, dem: Sequence[str | Path] | None = None,
              basemap: str = "dem", tianditu_key: str | None = None, tiles_url: str | None = None,
              contour_interval_m: float = 20.0, title: str = "") -> MapResult:
    """Write one offline HTML map of the given files.

    Inputs by content: ``.plan``/``.waypoints`` (mission items), GeoJSON of a
    mission plan, of fused targets, or of a drone track (see :data:`MAP_INPUTS`);
    anything else is refused with a :class:`FormatError` before any work. Terrain: ``dem``
    files, else the embedded synthetic mountain when the features lie on it,
    else no terrain layer.
    """
    from maps.basemaps import get_basemap
    from maps.features import (classify_feature_collection, items_to_mission_geojson, parse_mission, parse_targets,
                               parse_track)
    from maps.static import MapOptions, build_map

    from maps.terrain_layer import check_contour_interval

    check_map_inputs(inputs)
    check_contour_interval(contour_interval_m)
    mission, targets, track = [], [], []
    n_missions = 0
    plan_stats = None
    for raw in inputs:
        p = Path(raw)
        ext = p.suffix.lower()
        if ext in MISSION_EXTENSIONS:
            from mission.formats import load_mission_items

            items = load_mission_items(p)
            home = None
            if items and items[0].seq == 0 and items[0].is_global:
                h = items[0]
                home = (h.lat_deg, h.lon_deg, float(h.z))
                items = items[1:]
            mission.extend(parse_mission(items_to_mission_geojson(items, home=home)))
            n_missions += 1
            continue
        obj = _read_json(p)
        kind = classify_feature_collection(obj)
        if kind == "targets":
            targets.extend(parse_targets(obj))
        elif kind == "track":
            track.extend(parse_track(obj))
        else:
            mission.extend(parse_mission(obj))
            n_missions += 1
            props = obj.get("properties") if isinstance(obj, dict) else None
            if isinstance(props, dict) and isinstance(props.get("stats"), dict):
                plan_stats = props["stats"]
    bm = get_basemap(basemap, tianditu_key=tianditu_key, mbtiles_url=tiles_url)
    terrain = load_terrain_or_default(dem)
    if not dem:
        # The synthetic mountain only makes sense under features that lie on it.
        pts = [(t.lat_deg, t.lon_deg) for t in targets] + [(q.lat_deg, q.lon_deg) for q in track]
        for f in mission:
            c = f.geometry.get("coordinates")
            while isinstance(c, list) and c and isinstance(c[0], list):
                c = c[0]
            if isinstance(c, list) and len(c) >= 2:
                pts.append((float(c[1]), float(c[0])))
        if pts and not any(bool(terrain.contains(a, b)) for a, b in pts):
            terrain = None
    m = build_map(mission=mission, targets=targets, track=track,
                  options=MapOptions(basemap=bm, terrain=terrain, contour_interval_m=contour_interval_m, title=title,
                                     plan_stats=plan_stats))
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        m.save(str(out))
    except OSError as exc:
        raise SarIOError(f"cannot write {str(out)!r}: {exc.strerror or exc}.") from None
    return MapResult(out, out.stat().st_size, n_missions, len(targets), len(track), basemap,
                     getattr(terrain, "name", None) if terrain is not None else None)


def add_user(db: str, username: str, role: str, password: str | None) -> tuple[dict, str | None]:
    """Create a user; returns ``(user, token)`` where ``token`` is set for role ``ingest``."""
    from maps.security import hash_password, new_token, token_hash
    from maps.store import open_store

    if role == "ingest" and password is not None:
        raise InputError(f"user {username!r} with role 'ingest' signs in with a bearer token, not a password: "
                         "--password is not allowed for role ingest. Hint: leave out --password; the token is printed "
                         "once (a new one: thermal-sar users token NAME).")
    with open_store(db) as store:
        if role == "ingest":
            tok = new_token()
            return store.add_user(username, role, token_hash=token_hash(tok)), tok
        if not password:
            raise InputError(f"user {username!r} with role {role!r} needs a password.")
        return store.add_user(username, role, password_hash=hash_password(password)), None


def _existing(store, username: str, *, ingest: bool) -> dict:
    u = store.get_user(username)
    if u is None:
        raise InputError(f"no user {username!r}. Hint: thermal-sar users list --db ...")
    if (u["role"] == "ingest") != ingest:
        want = "an ingest user (machines have tokens)" if ingest else "a person (ingest users have tokens, not passwords)"
        raise InputError(f"user {username!r} has role {u['role']!r}: this needs {want}.")
    return u


def remove_user(db: str, username: str) -> None:
    """Remove a user and end its sessions; an unknown name is an error (as for passwd and token)."""
    from maps.store import open_store

    with open_store(db, create=False) as store:
        if store.get_user(username) is None:
            raise InputError(f"no user {username!r} in {db!r}. Hint: thermal-sar users list --db {db}")
        store.remove_user(username)


def set_password(db: str, username: str, password: str) -> None:
    """Replace the password of a person's account."""
    from maps.security import hash_password
    from maps.store import open_store

    with open_store(db, create=False) as store:
        _existing(store, username, ingest=False)
        store.set_password(username, hash_password(password))
        store.audit("cli", "password", None, username)


def rotate_token(db: str, username: str) -> str:
    """A new bearer token for an ingest user; the old one is void."""
    from maps.security import new_token, token_hash
    from maps.store import open_store

    with open_store(db, create=False) as store:
        _existing(store, username, ingest=True)
        tok = new_token()
        store.set_token_hash(username, token_hash(tok))
        store.audit("cli", "token", None, username)
        return tok


MAX_SESSION_HOURS = 24 * 30


def check_server_options(*, port: int, session_ttl_s: float, basemap: str, mbtiles: str | None,
                         dem: Sequence[str] | None, synthetic_terrain: bool) -> None:
    """Refuse contradictory or out-of-range ``serve`` options before anything is opened or started."""
    import math

    from geo.errors import out_of_range

    if not (isinstance(port, int) and 1 <= port <= 65535):
        raise InputError(out_of_range("port", port, "1..65535", "e.g. --port 8000 (the default)."))
    hours = session_ttl_s / 3600.0 if isinstance(session_ttl_s, (int, float)) else session_ttl_s
    if not (isinstance(hours, (int, float)) and math.isfinite(hours) and 0 < hours <= MAX_SESSION_HOURS):
        raise InputError(out_of_range("session_hours", hours, f"a finite number of hours > 0 and <= {MAX_SESSION_HOURS} "
                                      "(30 days)", "e.g. --session-hours 12 (the default): one shift."))
    if basemap == "mbtiles" and not mbtiles:
        raise InputError("--basemap mbtiles needs --mbtiles FILE.mbtiles: the tile file this server serves. "
                         "Hint: thermal-sar serve --mbtiles FILE.mbtiles (the basemap is then mbtiles by default).")
    if dem and not synthetic_terrain:
        raise InputError("--no-terrain and --dem contradict each other: --no-terrain drops the synthetic mountain "
                         "only when no DEM is given. Hint: keep --dem for the real ground, or leave both out.")


def run_server(*, db: str, host: str, port: int, dem: Sequence[str] | None, synthetic_terrain: bool,
               basemap: str, tianditu_key: str | None, mbtiles: str | None, session_ttl_s: float,
               secure_cookies: bool, behind_proxy: bool = False, log_level: str = "info") -> None:
    """Open the store, build the app and run uvicorn until interrupted."""
    import uvicorn

    from maps.basemaps import get_basemap
    from maps.server import ServerConfig, create_app
    from maps.store import open_store

    check_server_options(port=port, session_ttl_s=session_ttl_s, basemap=basemap, mbtiles=mbtiles, dem=dem,
                         synthetic_terrain=synthetic_terrain)
    tiles_url = "/tiles/{z}/{x}/{y}" if mbtiles else None
    if mbtiles:
        from maps.mbtiles import check_mbtiles

        check_mbtiles(mbtiles)
        if basemap == "dem":
            basemap = "mbtiles"
    bm = get_basemap(basemap, tianditu_key=tianditu_key, mbtiles_url=tiles_url)
    terrain = load_terrain_or_default(dem, synthetic=synthetic_terrain)
    store = open_store(db)
    try:
        if not store.list_users():
            raise InputError(f"the database {db!r} has no users, so nobody could sign in. "
                             "Hint: thermal-sar users add NAME --role officer --db " + str(db))
        cfg = ServerConfig(terrain=terrain, basemap=bm, mbtiles_path=mbtiles, session_ttl_s=session_ttl_s,
                           secure_cookies=secure_cookies)
        app = create_app(store, cfg)
        # Behind a reverse proxy on this host, take the client address from X-Forwarded-For (sent by
        # the proxy only): the sign-in rate limit is per address and would otherwise see one client.
        uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=3,
                    proxy_headers=behind_proxy, forwarded_allow_ips="127.0.0.1" if behind_proxy else None)
    finally:
        store.close()
