"""The live server: officers watch and decide, ground teams walk to the find.

:func:`create_app` builds the ASGI app (FastAPI) over a :class:`maps.store.Store`.
Browsers load one page, fetch ``/api/state`` and then get every change pushed
over Server-Sent Events (``/api/events``); each event carries the whole
changed object, so applying it twice is harmless and a reconnect needs only a
fresh ``/api/state``.

Security: every page and API call needs a user (no anonymous access to where
a missing person is). Browsers sign in with a password and get an expiring,
HttpOnly, SameSite=Strict session cookie; every state-changing request made
with that cookie must carry the session's CSRF token (header ``X-CSRF-Token``
or form field ``csrf_token``). Machines (role ``ingest``) send a bearer token.
Reviews, assignments and field reports go to the audit log. Ingest and login
are rate-limited. Errors are JSON ``{"detail": ...}`` with a 4xx status; an
unexpected fault is a 500 with no traceback (the traceback goes to the log).

Durability: ingest answers only after the store has committed (SQLite WAL
with ``synchronous=FULL``, or PostgreSQL), so an acknowledged detection
survives the server being killed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import SarError
from geo.terrain import Terrain
from maps.assets import STATIC_DIR, TEMPLATE_DIR, leaflet_dir
from maps.basemaps import Basemap, to_display
from maps.guidance import gpx_text, guidance, kml_text, rank_teams
from maps.i18n import available_languages, gettext_for, negotiate, normalize_language, normalize_theme
from maps.progress import CoverageTracker, area_polygons
from maps.security import RateLimiter, new_token, same_token, token_hash, verify_password
from maps.store import Store

__all__ = ["ServerConfig", "create_app", "ApiError"]

log = logging.getLogger("thermal_sar.serve")

SESSION_COOKIE = "sar_session"
LOGIN_CSRF_COOKIE = "sar_login_csrf"
LANG_COOKIE = "sar_lang"      # the user's language setting (else the browser's Accept-Language)
THEME_COOKIE = "sar_theme"    # "day" or "night"
PREFS_MAX_AGE_S = 365 * 24 * 3600
MAX_THUMBNAIL_BYTES = 256 * 1024
CRED_CACHE_S = 30.0


@dataclass
class ServerConfig:
    """Settings of one server. ``terrain`` feeds the DEM layer and walking times; ``basemap`` None = DEM only."""

    terrain: Terrain | None = None
    basemap: Basemap | None = None
    mbtiles_path: str | None = None
    session_ttl_s: float = 12 * 3600.0
    secure_cookies: bool = False
    ingest_rate_per_s: float = 50.0
    ingest_burst: float = 200.0
    login_rate_per_s: float = 5.0 / 60.0   # per user name
    login_burst: float = 5.0
    login_ip_rate_per_s: float = 30.0 / 60.0  # per client address (a command post shares one NAT address)
    login_ip_burst: float = 30.0
    single_pass_pod: float = 0.8
    track_points: int = 1500
    extra: dict = field(default_factory=dict)


class ApiError(Exception):
    """An error answered as ``{"detail": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# ------------------------------------------------------------------ requests
class TelemetryIn(BaseModel):
    vehicle: str = Field("drone1", min_length=1, max_length=64)
    t_s: float | None = None
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_amsl_m: float | None = Field(None, ge=-500, le=9000)
    heading_deg: float | None = Field(None, ge=-360, le=360)
    footprint: list[tuple[float, float]] | None = Field(None, max_length=64, description="[[lat, lon], ...] ring")


class EvidenceIn(BaseModel):
    """Why the sender's confirmation rule (``telemetry.confirm``) does or does not believe a target yet."""

    hits: int = Field(0, ge=0, le=1_000_000, description="frames that saw it")
    opportunities: int = Field(0, ge=0, le=1_000_000, description="frames whose footprint covered it")
    hit_fraction: float | None = Field(None, ge=0, le=1)
    support: float | None = Field(None, ge=0, le=1, description="mean score over the opportunities")
    class_share: float | None = Field(None, ge=0, le=1)
    area_spread: float | None = Field(None, ge=0, le=1e6)
    best_score: float | None = Field(None, ge=0, le=1)
    reasons: list[Annotated[str, Field(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list, max_length=16, description="keys of telemetry.confirm.REASONS")


class DetectionIn(BaseModel):
    uid: str = Field(min_length=1, max_length=96, description="sender's id: a retry with the same uid is not stored twice")
    vehicle: str = Field("drone1", min_length=1, max_length=64)
    t_s: float | None = None
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_amsl_m: float | None = Field(None, ge=-500, le=9000)
    class_name: str = Field("hotspot", min_length=1, max_length=32)
    confidence: float = Field(ge=0, le=1)
    cep_m: float = Field(0.0, ge=0, le=10_000)
    sightings: int = Field(1, ge=1)
    thumbnail_png_b64: str | None = Field(None, max_length=4 * MAX_THUMBNAIL_BYTES // 3 + 4)
    candidate: bool = Field(False, description="seen, not yet confirmed; once False for a uid, it stays False")
    evidence: EvidenceIn | None = None

    @field_validator("thumbnail_png_b64")
    @classmethod
    def _png(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            raw = base64.b64decode(v, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("thumbnail_png_b64 is not base64") from None
        if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("thumbnail_png_b64 is not a PNG image")
        return v


class StatusIn(BaseModel):
    """A health status of a flight (a stalled camera, a lost link...); shown on the officer map while active."""

    vehicle: str = Field("drone1", min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    severity: Literal["info", "warning", "critical"] = "warning"
    message: str = Field("", max_length=300)
    active: bool = True
    started_s: float | None = Field(None, ge=0)
    ended_s: float | None = Field(None, ge=0)
    resolved: bool = Field(True, description="when cleared: False if it ended with the flight, not recovered")


STATUS_LOG_LENGTH = 50


def _target_properties(obj: Any) -> list[dict]:
    """The properties of each feature of a targets collection (same order as ``maps.features.parse_targets``)."""
    feats = obj.get("features") if isinstance(obj, dict) and obj.get("type") == "FeatureCollection" else [obj]
    return [(f.get("properties") or {}) if isinstance(f, dict) else {} for f in feats or []]


class ReviewIn(BaseModel):
    action: Literal["confirm", "reject", "reopen"]


class MergeIn(BaseModel):
    into_id: int = Field(ge=1)


class AssignIn(BaseModel):
    team: str = Field(min_length=1, max_length=64)


class PositionIn(BaseModel):
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    alt_amsl_m: float | None = Field(None, ge=-500, le=9000)
    accuracy_m: float | None = Field(None, ge=0)


class FieldStatusIn(BaseModel):
    status: Literal["en_route", "found", "not_found"]


# --------------------------------------------------------------------- events
class Subscriber:
    """One browser's stream: a bounded queue, and a flag set when it fell too far behind."""

    __slots__ = ("queue", "dropped")

    def __init__(self, max_queue: int) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(max_queue)
        self.dropped = False


class EventHub:
    """Fan-out of events to subscribed browsers. Runs on the event loop (publish is not thread-safe)."""

    def __init__(self, max_queue: int = 2000) -> None:
        self._subs: set[Subscriber] = set()
        self._max = max_queue
        self.seq = 0

    def subscribe(self) -> Subscriber:
        sub = Subscriber(self._max)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, kind: str, data: dict) -> None:
        """Send one event (``kind``, the whole object) to every subscriber; serialised once."""
        self.seq += 1
        msg = f"id: {self.seq}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        for sub in list(self._subs):
            try:
                sub.queue.put_nowait(msg)
            except asyncio.QueueFull:
                # A browser this far behind is better served by reconnecting (fresh state) than by
                # a backlog: end its stream; EventSource reconnects by itself.
                sub.dropped = True
                self._subs.discard(sub)


async def _form(request: Request) -> dict[str, str]:
    """Fields of a urlencoded form post (our forms post nothing else; no multipart parser needed)."""
    from urllib.parse import parse_qs

    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        raise ApiError(415, f"content-type {ctype!r} is not allowed here: send application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > 16_384:
        raise ApiError(413, "form too large.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "the form is not valid UTF-8 urlencoded data.") from None
    return {k: v[0] for k, v in fields.items()}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def create_app(store: Store, config: ServerConfig | None = None) -> FastAPI:
    """The ASGI app over ``store``."""
    cfg = config or ServerConfig()
    app = FastAPI(title="thermal-sar live server", docs_url=None, redoc_url=None, openapi_url=None)
    hub = EventHub()
    ingest_limit = RateLimiter(cfg.ingest_rate_per_s, cfg.ingest_burst)
    login_limit = RateLimiter(cfg.login_rate_per_s, cfg.login_burst)
    login_ip_limit = RateLimiter(cfg.login_ip_rate_per_s, cfg.login_ip_burst)
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"]))
    # Credentials looked up in the database are remembered for CRED_CACHE_S, so that a user removed
    # with `thermal-sar users remove` loses access within that time without a restart.
    sessions: dict[str, tuple[tuple[dict, str, float], float]] = {}
    tokens: dict[str, tuple[dict, float]] = {}
    cache: dict[str, Any] = {"progress_t": 0.0, "progress": None}
    app.state.store = store
    app.state.hub = hub
    app.state.config = cfg

    app.mount("/static/leaflet", StaticFiles(directory=str(leaflet_dir())), name="leaflet")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    async def db(fn, *args, **kwargs):
        return await run_in_threadpool(fn, *args, **kwargs)

    # ---------------------------------------------------------- errors
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(SarError)
    async def _sar_error(request: Request, exc: SarError):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        msgs = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            msgs.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(msgs)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # pragma: no cover - defensive
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    # ------------------------------------------------------------ auth
    async def principal(request: Request) -> tuple[dict, str, str | None] | None:
        """(user, via, csrf) or None. ``via`` is "token" or "session"."""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            th = token_hash(auth[7:].strip())
            hit = tokens.get(th)
            if hit is None or time.monotonic() - hit[1] > CRED_CACHE_S:
                user = await db(store.user_by_token_hash, th)
                if user is None:
                    tokens.pop(th, None)
                    raise ApiError(401, "the bearer token is not valid. Hint: create one with `thermal-sar users add NAME --role ingest`.")
                hit = tokens[th] = (user, time.monotonic())
            return hit[0], "token", None
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        th = token_hash(cookie)
        hit = sessions.get(th)
        if hit is None or time.monotonic() - hit[1] > CRED_CACHE_S:
            sess = await db(store.get_session, th)
            if sess is None:
                sessions.pop(th, None)
                return None
            hit = sessions[th] = (sess, time.monotonic())
        user, csrf, expires_s = hit[0]
        if time.time() >= expires_s:
            sessions.pop(th, None)
            await db(store.delete_session, th)
            return None
        return user, "session", csrf

    async def require(request: Request, *roles: str, form_csrf: str | None = None) -> dict:
        p = await principal(request)
        if p is None:
            raise ApiError(401, "sign in first: this needs a user (see `thermal-sar users add`).")
        user, via, csrf = p
        if roles and user["role"] not in roles:
            raise ApiError(403, f"user {user['username']!r} has role {user['role']!r}; this needs {' or '.join(roles)}.")
        if via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("x-csrf-token") or form_csrf
            if not same_token(sent, csrf):
                raise ApiError(403, "missing or wrong CSRF token. Hint: reload the page.")
        return user

    def check_ingest_rate(request: Request, user: dict) -> None:
        ok, wait = ingest_limit.allow(f"ingest:{user['username']}")
        if not ok:
            raise ApiError(429, f"too many ingest requests for {user['username']!r}; retry in {wait:.2f} s.",
                           {"Retry-After": str(max(1, math.ceil(wait)))})

    # ------------------------------------------------------ serialising
    def disp(lat: float, lon: float) -> list[float]:
        a, b = to_display(cfg.basemap, lat, lon)
        return [round(float(a), 7), round(float(b), 7)]

    def det_out(d: dict) -> dict:
        out = dict(d)
        out["pos"] = disp(d["lat_deg"], d["lon_deg"])
        out["thumbnail_url"] = f"/api/detections/{d['id']}/thumbnail.png" if d.get("has_thumbnail") else None
        return out

    def tel_out(t: dict) -> dict:
        out = dict(t)
        out["pos"] = disp(t["lat_deg"], t["lon_deg"])
        if t.get("footprint"):
            out["footprint_disp"] = [disp(a, b) for a, b in t["footprint"]]
        return out

    def team_out(t: dict) -> dict:
        out = dict(t)
        out["pos"] = disp(t["lat_deg"], t["lon_deg"]) if t.get("lat_deg") is not None else None
        return out

    def compute_progress() -> dict | None:
        tr = cache.get("tracker")
        if tr is None:
            # First use, or a new mission: rebuild from the stored history once.
            raw = store.get_setting("mission")
            if not raw:
                return None
            areas, holes = area_polygons(json.loads(raw))
            tr = CoverageTracker(areas, holes, single_pass_pod=cfg.single_pass_pod)
            for ring in store.footprints():
                tr.add(ring)
            cache["tracker"] = tr
        p = tr.result()
        if p is None:
            return None
        return {"area_m2": p.area_m2, "covered_m2": p.covered_m2, "covered_fraction": p.covered_fraction, "pod": p.pod}

    async def refresh_progress() -> None:
        cache["dirty"] = False
        cache["progress_t"] = time.monotonic()
        cache["progress"] = await db(compute_progress)
        if cache["progress"] is not None:
            hub.publish("progress", cache["progress"])

    async def maybe_progress(force: bool = False) -> None:
        """Recompute coverage at most every 2 s; a change inside the quiet time is applied at its end."""
        cache["dirty"] = True
        wait = 2.0 - (time.monotonic() - cache["progress_t"])
        if force or wait <= 0:
            await refresh_progress()
        elif not cache.get("pending"):
            cache["pending"] = True

            async def later():
                await asyncio.sleep(wait)
                cache["pending"] = False
                if cache["dirty"]:
                    try:
                        await refresh_progress()
                    except Exception:  # pragma: no cover - a bad footprint must not kill the task silently
                        log.exception("search progress could not be computed")

            cache["task"] = asyncio.ensure_future(later())

    def suggestions(d: dict, teams: list[dict], dets: list[dict]) -> list[dict]:
        """Up to three teams for ``d``: available ones (no open assignment) first, each by walking time."""
        busy = {x["assigned_team"] for x in dets if x["assigned_team"] and x["status"] == "confirmed"
                and x["field_status"] in ("assigned", "en_route") and x["id"] != d["id"]}
        ranked = rank_teams(teams, d["lat_deg"], d["lon_deg"], cfg.terrain)
        ranked.sort(key=lambda r: r["username"] in busy)  # stable: keeps the time order within each group
        return [{"username": r["username"], "distance_m": round(r["distance_m"], 1),
                 "walk_time_s": round(r["walk_time_s"], 0), "busy": r["username"] in busy} for r in ranked[:3]]

    # ------------------------------------------------------------ pages
    # Scripts only from us (the config blob is JSON, not script); images also from tile servers and data URIs.
    csp = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
           "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")

    def prefs(request: Request) -> tuple[Any, str]:
        """(translator, theme) for a page: the user's cookies, else the browser's Accept-Language and day."""
        lang = negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))
        return gettext_for(lang), normalize_theme(request.cookies.get(THEME_COOKIE))

    def page(name: str, request: Request, **ctx: Any) -> HTMLResponse:
        tr, theme = prefs(request)
        strings = tr.strings()
        if "cfg" in ctx:
            ctx["cfg"] = dict(ctx["cfg"], strings=strings, lang=tr.bcp47, theme=theme)
        # The switches: every other shipped language, named in itself, and the other theme.
        langs = [(code, gettext_for(code).s("language_name")) for code in available_languages() if code != tr.lang]
        html = env.get_template(name).render(S=strings, lang_tag=tr.bcp47, theme=theme, langs=langs,
                                             here=request.url.path, **ctx)
        return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Content-Language": tr.bcp47,
                                           "Vary": "Accept-Language, Cookie"})

    @app.get("/prefs")
    async def set_prefs(request: Request, lang: str = "", theme: str = "", next: str = "/"):
        """Remember a language and/or theme in cookies and go back to ``next`` (a path on this server)."""
        if lang and normalize_language(lang) is None:
            raise ApiError(400, f"lang={lang!r} is not a shipped language: choose one of {', '.join(available_languages())}.")
        if theme and theme not in ("day", "night"):
            raise ApiError(400, f"theme={theme!r} is not allowed: choose day or night.")
        # Only a path on this server: never an open redirect to another site.
        # (plain path characters only: browsers drop tabs and newlines, so "/\t/evil" would become "//evil").
        dest = next if re.fullmatch(r"/(?!/)[A-Za-z0-9_./-]*", next) else "/"
        resp = RedirectResponse(dest, status_code=303)
        for key, value in ((LANG_COOKIE, normalize_language(lang) if lang else None), (THEME_COOKIE, theme or None)):
            if value:
                resp.set_cookie(key, value, max_age=PREFS_MAX_AGE_S, samesite="lax", secure=cfg.secure_cookies,
                                httponly=True, path="/")
        return resp

    @app.get("/healthz")
    async def healthz():
        return {"ok": True, "subscribers": hub.subscribers}

    @app.get("/", response_class=HTMLResponse)
    async def root(request: Request):
        p = await principal(request)
        if p is None:
            return RedirectResponse("/login", status_code=303)
        role = p[0]["role"]
        return RedirectResponse("/ground" if role == "ground" else "/officer", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, error: str = ""):
        tok = new_token()
        resp = page("login.html", request, csrf=tok, error="login_failed" if error else "")
        resp.set_cookie(LOGIN_CSRF_COOKIE, tok, httponly=True, samesite="strict", secure=cfg.secure_cookies, max_age=3600)
        return resp

    @app.post("/login")
    async def login(request: Request):
        form = await _form(request)
        username = str(form.get("username", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        if not same_token(str(form.get("csrf_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise ApiError(403, "missing or wrong CSRF token on the sign-in form. Hint: reload the page.")
        for limiter, key in ((login_ip_limit, f"ip:{_client_ip(request)}"), (login_limit, f"user:{username}")):
            ok, wait = limiter.allow(key)
            if not ok:
                raise ApiError(429, f"too many sign-in attempts; retry in {wait:.0f} s.",
                               {"Retry-After": str(max(1, math.ceil(wait)))})
        user = await db(store.get_user, username)
        good = await run_in_threadpool(verify_password, user["password_hash"] if user else None, password)
        if not good or user is None or user["role"] == "ingest":
            await db(store.audit, username or "?", "login_failed", None, _client_ip(request))
            return RedirectResponse("/login?error=1", status_code=303)
        tok, csrf = new_token(), new_token()
        expires = time.time() + cfg.session_ttl_s
        await db(store.create_session, token_hash(tok), user["id"], csrf, expires)
        await db(store.audit, username, "login", None, _client_ip(request))
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(SESSION_COOKIE, tok, httponly=True, samesite="strict", secure=cfg.secure_cookies,
                        max_age=int(cfg.session_ttl_s), path="/")
        resp.delete_cookie(LOGIN_CSRF_COOKIE)
        return resp

    @app.post("/logout")
    async def logout(request: Request):
        form = await _form(request)
        user = await require(request, form_csrf=str(form.get("csrf_token", "")))
        th = token_hash(request.cookies.get(SESSION_COOKIE, ""))
        sessions.pop(th, None)
        await db(store.delete_session, th)
        await db(store.audit, user["username"], "logout")
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    async def page_user(request: Request, *roles: str):
        p = await principal(request)
        if p is None:
            return None, RedirectResponse("/login", status_code=303)
        user, via, csrf = p
        if roles and user["role"] not in roles:
            return None, RedirectResponse("/", status_code=303)
        return (user, csrf), None

    def page_config(user: dict, csrf: str | None) -> dict:
        bm = cfg.basemap
        return {
            "user": user["username"], "role": user["role"], "csrf": csrf,
            "tiles": None if bm is None else {"url": bm.url, "attribution": bm.attribution, "max_zoom": bm.max_zoom,
                                               "subdomains": bm.subdomains or "abc", "label": bm.label},
            "terrain": cfg.terrain is not None,
        }

    @app.get("/officer", response_class=HTMLResponse)
    async def officer_page(request: Request):
        uc, redirect = await page_user(request, "officer", "viewer")
        if redirect:
            return redirect
        user, csrf = uc
        return page("officer.html", request, cfg=page_config(user, csrf), user=user, csrf=csrf,
                    readonly=user["role"] != "officer")

    @app.get("/ground", response_class=HTMLResponse)
    async def ground_page(request: Request):
        uc, redirect = await page_user(request, "ground")
        if redirect:
            return redirect
        user, csrf = uc
        return page("ground.html", request, cfg=page_config(user, csrf), user=user, csrf=csrf)

    # --------------------------------------------------------- terrain
    def terrain_layer() -> dict:
        if "terrain" not in cache:
            from maps.terrain_layer import contour_lines, hillshade_png, resample_terrain

            t = cfg.terrain
            raster = resample_terrain(t, t.bounds, max_px=1024)
            rb = raster.bounds
            cache["terrain_png"] = hillshade_png(raster)
            feats = contour_lines(raster, interval_m=25.0)
            for f in feats:
                f["geometry"]["coordinates"] = [list(reversed(disp(lat, lon))) for lon, lat in f["geometry"]["coordinates"]]
            cache["terrain"] = {"bounds": [disp(rb.south_lat_deg, rb.west_lon_deg), disp(rb.north_lat_deg, rb.east_lon_deg)],
                                "png_url": "/api/terrain.png",
                                "contours": {"type": "FeatureCollection", "features": feats}}
        return cache["terrain"]

    @app.get("/api/terrain")
    async def api_terrain(request: Request):
        await require(request)
        if cfg.terrain is None:
            raise ApiError(404, "the server has no terrain. Hint: start it with --dem FILE (or the default synthetic terrain).")
        return await db(terrain_layer)

    @app.get("/api/terrain.png")
    async def api_terrain_png(request: Request):
        await require(request)
        if cfg.terrain is None:
            raise ApiError(404, "the server has no terrain.")
        await db(terrain_layer)
        return Response(cache["terrain_png"], media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/tiles/{z}/{x}/{y}")
    async def tiles(z: int, x: int, y: int):
        if not cfg.mbtiles_path:
            raise ApiError(404, "no MBTiles file. Hint: start the server with --mbtiles FILE.")
        from maps.mbtiles import read_tile

        data, mime = await db(read_tile, cfg.mbtiles_path, z, x, y)
        if data is None:
            raise ApiError(404, f"no tile z={z} x={x} y={y} in the MBTiles file.")
        return Response(data, media_type=mime, headers={"Cache-Control": "public, max-age=86400"})

    # ------------------------------------------------------------ state
    def build_state() -> bytes:
        """The shared snapshot every officer and viewer page starts from, as JSON bytes.

        The track carries positions only (the last record in full, with its
        footprint): a reconnecting browser needs the line, not 1500 footprints.
        """
        dets = store.list_detections()
        teams = store.list_teams()
        out_d = []
        for d in dets:
            o = det_out(d)
            if d["status"] == "confirmed" and not d["assigned_team"]:
                o["suggestions"] = suggestions(d, teams, dets)
            out_d.append(o)
        raw = store.get_setting("mission")
        track = store.track(limit=cfg.track_points)
        state = {
            "seq": hub.seq,
            "detections": out_d,
            "teams": [team_out(t) for t in teams],
            "track": [disp(t["lat_deg"], t["lon_deg"]) for t in track],
            "telemetry": tel_out(track[-1]) if track else None,
            "mission": json.loads(raw) if raw else None,
            "progress": cache["progress"],
            "statuses": statuses_now(),
        }
        return json.dumps(state, separators=(",", ":")).encode("utf-8")

    state_cache: dict[str, Any] = {"seq": -1, "t": 0.0, "body": b"", "lock": asyncio.Lock()}

    @app.get("/api/state")
    async def api_state(request: Request):
        await require(request, "officer", "viewer", "ground")
        # Many browsers reconnecting at once (a command post's wifi coming back) share one snapshot,
        # rebuilt at most twice a second; pages ignore objects older than what they already have.
        async with state_cache["lock"]:
            if state_cache["seq"] != hub.seq and (state_cache["seq"] < 0 or time.monotonic() - state_cache["t"] > 0.5):
                if cache["progress"] is None or cache.get("dirty"):
                    await refresh_progress()
                seq = hub.seq
                state_cache["body"] = await db(build_state)
                state_cache["seq"], state_cache["t"] = seq, time.monotonic()
        return Response(state_cache["body"], media_type="application/json")

    @app.get("/api/events")
    async def api_events(request: Request):
        await require(request, "officer", "viewer", "ground")
        sub = hub.subscribe()

        async def stream():
            try:
                yield "retry: 1000\n\n"
                while True:
                    try:
                        msg = await asyncio.wait_for(sub.queue.get(), timeout=15.0)
                    except asyncio.TimeoutError:
                        if sub.dropped:
                            return
                        yield ": keep-alive\n\n"
                        continue
                    yield msg
                    if sub.dropped and sub.queue.empty():
                        return
            finally:
                hub.unsubscribe(sub)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/api/detections")
    async def api_detections(request: Request):
        await require(request, "officer", "viewer")
        return [det_out(d) for d in await db(store.list_detections)]

    @app.get("/api/detections/{det_id}/thumbnail.png")
    async def api_thumb(request: Request, det_id: int):
        await require(request, "officer", "viewer", "ground")
        b64 = await db(store.thumbnail, det_id)
        if not b64:
            raise ApiError(404, f"detection {det_id} has no thumbnail.")
        return Response(base64.b64decode(b64), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/api/audit")
    async def api_audit(request: Request):
        await require(request, "officer")
        return await db(store.list_audit)

    async def get_det(det_id: int) -> dict:
        d = await db(store.get_detection, det_id)
        if d is None:
            raise ApiError(404, f"detection id={det_id} does not exist.")
        return d

    # --------------------------------------------------- officer actions
    @app.post("/api/detections/{det_id}/review")
    async def api_review(request: Request, det_id: int, body: ReviewIn):
        user = await require(request, "officer")
        d = await get_det(det_id)
        status = {"confirm": "confirmed", "reject": "rejected", "reopen": "new"}[body.action]
        d = await db(store.update_detection, det_id, status=status)
        await db(store.audit, user["username"], body.action, det_id, f"{d['class_name']} {d['uid']}")
        o = det_out(d)
        if status == "confirmed" and not d["assigned_team"]:
            o["suggestions"] = suggestions(d, await db(store.list_teams), await db(store.list_detections))
        hub.publish("detection", o)
        return o

    @app.post("/api/detections/{det_id}/merge")
    async def api_merge(request: Request, det_id: int, body: MergeIn):
        user = await require(request, "officer")
        if body.into_id == det_id:
            raise ApiError(400, "into_id must differ from the detection being merged.")
        await get_det(det_id)
        await get_det(body.into_id)
        d = await db(store.update_detection, det_id, status="merged", merged_into=body.into_id)
        await db(store.audit, user["username"], "merge", det_id, f"into {body.into_id}")
        o = det_out(d)
        hub.publish("detection", o)
        return o

    @app.get("/api/detections/{det_id}/suggest")
    async def api_suggest(request: Request, det_id: int):
        await require(request, "officer", "viewer")
        d = await get_det(det_id)
        return await run_in_threadpool(suggestions, d, await db(store.list_teams), await db(store.list_detections))

    @app.post("/api/detections/{det_id}/assign")
    async def api_assign(request: Request, det_id: int, body: AssignIn):
        user = await require(request, "officer")
        d = await get_det(det_id)
        team = await db(store.get_user, body.team)
        if team is None or team["role"] != "ground":
            raise ApiError(400, f"team={body.team!r} is not a ground team. Hint: add one with `thermal-sar users add NAME --role ground`.")
        if d["status"] in ("rejected", "merged"):
            raise ApiError(409, f"detection {det_id} is {d['status']}; confirm it before assigning.")
        d = await db(store.update_detection, det_id, status="confirmed", assigned_team=body.team, field_status="assigned")
        await db(store.audit, user["username"], "assign", det_id, body.team)
        o = det_out(d)
        hub.publish("detection", o)
        return o

    # ------------------------------------------------------ ground team
    async def my_target(username: str) -> dict | None:
        dets = await db(store.list_detections)
        mine = [d for d in dets if d["assigned_team"] == username and d["status"] == "confirmed"]
        open_ = [d for d in mine if d["field_status"] not in ("found", "not_found")]
        pick = open_ or mine
        return max(pick, key=lambda d: d["updated_s"]) if pick else None

    async def guidance_for(user: dict) -> dict:
        d = await my_target(user["username"])
        teams = {t["username"]: t for t in await db(store.list_teams)}
        me = teams.get(user["username"], {})
        out: dict[str, Any] = {"target": det_out(d) if d else None, "me": team_out(me) if me else None, "guidance": None}
        if d and me and me.get("lat_deg") is not None:
            g = await run_in_threadpool(guidance, me["lat_deg"], me["lon_deg"], me.get("alt_amsl_m"),
                                        d["lat_deg"], d["lon_deg"], d.get("alt_amsl_m"), cfg.terrain)
            out["guidance"] = {"bearing_deg": round(g.bearing_deg, 1), "compass": g.compass,
                               "distance_m": round(g.distance_m, 1),
                               "height_diff_m": None if g.height_diff_m is None else round(g.height_diff_m, 1),
                               "walk_time_s": None if g.walk_time_s is None else round(g.walk_time_s)}
        return out

    @app.get("/api/ground/guidance")
    async def api_guidance(request: Request):
        user = await require(request, "ground")
        return await guidance_for(user)

    @app.post("/api/ground/position")
    async def api_position(request: Request, body: PositionIn):
        user = await require(request, "ground")
        await db(store.set_team_position, user["username"], body.lat_deg, body.lon_deg, body.alt_amsl_m, time.time())
        teams = {t["username"]: t for t in await db(store.list_teams)}
        hub.publish("team", team_out(teams[user["username"]]))
        return await guidance_for(user)

    @app.post("/api/ground/status")
    async def api_field_status(request: Request, body: FieldStatusIn):
        user = await require(request, "ground")
        d = await my_target(user["username"])
        if d is None:
            raise ApiError(409, "no target is assigned to your team.")
        d = await db(store.update_detection, d["id"], field_status=body.status)
        await db(store.audit, user["username"], f"field_{body.status}", d["id"])
        hub.publish("detection", det_out(d))
        return await guidance_for(user)

    async def _download(request: Request, kind: str):
        user = await require(request, "ground", "officer")
        det_id = request.query_params.get("id")
        if det_id is not None:
            try:
                d = await get_det(int(det_id))
            except ValueError:
                raise ApiError(400, f"id={det_id!r} is not a detection id (an integer).") from None
        else:
            d = await my_target(user["username"])
            if d is None:
                raise ApiError(404, "no target is assigned to your team.")
        teams = {t["username"]: t for t in await db(store.list_teams)}
        me = teams.get(user["username"])
        route = (me["lat_deg"], me["lon_deg"]) if me and me.get("lat_deg") is not None else None
        name = f"{d['class_name']} #{d['id']}"
        desc = f"confidence {100 * d['confidence']:.0f} %, CEP {d['cep_m']:.0f} m"
        fn = gpx_text if kind == "gpx" else kml_text
        text = fn(name, d["lat_deg"], d["lon_deg"], d.get("alt_amsl_m"), description=desc, route_from=route)
        mime = "application/gpx+xml" if kind == "gpx" else "application/vnd.google-earth.kml+xml"
        return Response(text, media_type=mime,
                        headers={"Content-Disposition": f'attachment; filename="target-{d["id"]}.{kind}"'})

    @app.get("/api/ground/target.gpx")
    async def api_gpx(request: Request):
        return await _download(request, "gpx")

    @app.get("/api/ground/target.kml")
    async def api_kml(request: Request):
        return await _download(request, "kml")

    # ------------------------------------------------------------ ingest
    @app.post("/api/ingest/telemetry")
    async def ingest_telemetry(request: Request, body: TelemetryIn):
        user = await require(request, "ingest")
        check_ingest_rate(request, user)
        t = await db(store.add_telemetry, vehicle=body.vehicle, t_s=body.t_s if body.t_s is not None else time.time(),
                     lat_deg=body.lat_deg, lon_deg=body.lon_deg, alt_amsl_m=body.alt_amsl_m,
                     heading_deg=body.heading_deg, footprint=[list(p) for p in body.footprint] if body.footprint else None)
        hub.publish("telemetry", tel_out(t))
        if body.footprint:
            tr = cache.get("tracker")
            if tr is not None:
                tr.add(t["footprint"])
            await maybe_progress()
        return {"ok": True, "id": t["id"]}

    async def _ingest_detection(body: DetectionIn, kind: str = "detection", update: bool = False) -> tuple[dict, bool]:
        d, created = await db(store.add_detection, uid=body.uid, kind=kind, vehicle=body.vehicle,
                              t_s=body.t_s if body.t_s is not None else time.time(), lat_deg=body.lat_deg,
                              lon_deg=body.lon_deg, alt_amsl_m=body.alt_amsl_m, class_name=body.class_name,
                              confidence=body.confidence, cep_m=body.cep_m, sightings=body.sightings,
                              thumbnail_png_b64=body.thumbnail_png_b64, update=update, candidate=body.candidate,
                              evidence=body.evidence.model_dump() if body.evidence is not None else None)
        if created or update:
            hub.publish("detection", det_out(d))
        return d, created

    @app.post("/api/ingest/detections")
    async def ingest_detection(request: Request, body: DetectionIn | list[DetectionIn]):
        user = await require(request, "ingest")
        check_ingest_rate(request, user)
        items = body if isinstance(body, list) else [body]
        if len(items) > 500:
            raise ApiError(413, f"{len(items)} detections in one request: allowed at most 500.")
        out = []
        for it in items:
            d, created = await _ingest_detection(it)
            out.append({"uid": d["uid"], "id": d["id"], "created": created})
        # Every row above is committed: the answer is the acknowledgement.
        return {"ok": True, "stored": out}

    @app.post("/api/ingest/targets")
    async def ingest_targets(request: Request):
        user = await require(request, "ingest")
        check_ingest_rate(request, user)
        try:
            obj = await request.json()
        except ValueError:
            raise ApiError(400, "the body is not JSON: expected a GeoJSON FeatureCollection of targets.") from None
        from maps.features import parse_targets

        targets = parse_targets(obj)
        # The sender may name its aircraft in the collection (a foreign member "vehicle").
        vehicle = obj.get("vehicle") if isinstance(obj, dict) and isinstance(obj.get("vehicle"), str) else "drone1"
        out = []
        for t, props in zip(targets, _target_properties(obj)):
            # A candidate (the sender's confirmation rule does not believe it yet) and why: foreign members
            # "candidate" and "evidence" of each feature; without them, a target as before.
            try:
                ev = EvidenceIn.model_validate(props["evidence"]) if isinstance(props.get("evidence"), dict) else None
            except ValidationError as exc:
                raise ApiError(422, f"target {t.id!r}: evidence is not valid: {exc.errors()[0]['msg']}.") from None
            body = DetectionIn(uid=f"target:{t.id}", vehicle=vehicle[:64] or "drone1", lat_deg=t.lat_deg,
                               lon_deg=t.lon_deg, alt_amsl_m=t.alt_amsl_m, class_name=t.class_name[:32] or "hotspot",
                               confidence=t.confidence, cep_m=t.cep_m,
                               sightings=max(1, t.sightings), t_s=t.last_seen_s, thumbnail_png_b64=t.thumbnail_png_b64,
                               candidate=props.get("candidate") is True, evidence=ev)
            d, created = await _ingest_detection(body, kind="target", update=True)
            out.append({"uid": d["uid"], "id": d["id"], "created": created})
        return {"ok": True, "stored": out}

    @app.put("/api/ingest/detections/{uid}/thumbnail")
    async def ingest_thumbnail(request: Request, uid: str):
        user = await require(request, "ingest")
        check_ingest_rate(request, user)
        raw = await request.body()
        if len(raw) > MAX_THUMBNAIL_BYTES:
            raise ApiError(413, f"thumbnail of {len(raw)} bytes: allowed at most {MAX_THUMBNAIL_BYTES}.")
        if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ApiError(415, "the thumbnail must be a PNG image (body = the PNG bytes).")
        d = await db(store.set_thumbnail, uid, base64.b64encode(raw).decode("ascii"))
        if d is None:
            raise ApiError(404, f"no detection with uid={uid!r}. Hint: post the detection first.")
        hub.publish("detection", det_out(d))
        return {"ok": True, "id": d["id"]}

    # A flight's health (frames stalled, link lost, server unreachable from the aircraft...): the active
    # statuses and a short log, kept in the store so a restarted server and a reloaded page show them.
    def statuses_now() -> dict:
        raw = store.get_setting("statuses")
        doc = json.loads(raw) if raw else {"active": {}, "log": []}
        return {"active": sorted(doc["active"].values(), key=lambda x: x["started_s"]), "log": doc["log"]}

    status_lock = threading.Lock()  # read-modify-write of one setting, from the thread pool

    def apply_status(body: StatusIn, received_s: float) -> dict:
        with status_lock:
            return _apply_status(body, received_s)

    def _apply_status(body: StatusIn, received_s: float) -> dict:
        raw = store.get_setting("statuses")
        doc = json.loads(raw) if raw else {"active": {}, "log": []}
        key = f"{body.vehicle}:{body.kind}"
        cur = doc["active"].get(key)
        st = {"key": key, "vehicle": body.vehicle, "kind": body.kind, "severity": body.severity,
              "message": body.message, "active": body.active,
              "started_s": body.started_s or (cur["started_s"] if cur else received_s),
              "ended_s": None if body.active else (body.ended_s or received_s), "received_s": received_s,
              "resolved": body.active or body.resolved}
        if body.active:
            doc["active"][key] = st
        else:
            doc["active"].pop(key, None)
        # The log keeps each status once: its active entry is replaced by the update or the clearing.
        doc["log"] = ([st] + [x for x in doc["log"] if not (x["key"] == key and x["active"])])[:STATUS_LOG_LENGTH]
        store.set_setting("statuses", json.dumps(doc))
        return st

    @app.post("/api/ingest/status")
    async def ingest_status(request: Request, body: StatusIn):
        user = await require(request, "ingest")
        check_ingest_rate(request, user)
        st = await db(apply_status, body, time.time())
        if body.severity != "info":
            await db(store.audit, user["username"], "status_" + ("raised" if body.active else "cleared"), None,
                     f"{st['key']} {body.severity}: {body.message}"[:300])
        hub.publish("status", st)
        return {"ok": True, "key": st["key"]}

    @app.get("/api/statuses")
    async def api_statuses(request: Request):
        await require(request, "officer", "viewer")
        return await db(statuses_now)

    @app.post("/api/ingest/mission")
    async def ingest_mission(request: Request):
        user = await require(request, "ingest", "officer")
        try:
            obj = await request.json()
        except ValueError:
            raise ApiError(400, "the body is not JSON: expected the mission as a GeoJSON FeatureCollection.") from None
        from maps.features import parse_mission

        parse_mission(obj)  # validates
        await db(store.set_setting, "mission", json.dumps(obj))
        cache.pop("tracker", None)
        await db(store.audit, user["username"], "mission", None, f"{len(obj.get('features', []))} features")
        hub.publish("mission", obj)
        await maybe_progress(force=True)
        return {"ok": True}

    return app
