"""A small client for the live server's ingest API (the pipeline and the vehicle link use it).

Detections carry the sender's ``uid``, so a retry after a lost answer is
safe: the server stores each uid once and acknowledges again. A detection is
on the server's disk once :meth:`IngestClient.detections` has returned; until
then keep it (the client retries with backoff on connection errors, 429 and
5xx, honouring ``Retry-After``, and raises :class:`geo.errors.LinkError` when
it gives up).

    with IngestClient("http://127.0.0.1:8000", token) as c:
        c.telemetry(lat_deg=30.38, lon_deg=119.45, alt_amsl_m=620.0)
        c.detections([{"uid": "f12-0", "lat_deg": 30.381, "lon_deg": 119.452, "confidence": 0.9}])
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import httpx

from geo.errors import InputError, LinkError

__all__ = ["IngestClient", "IngestRefused"]


class IngestRefused(LinkError):
    """The server answered and refused the request (a 4xx other than 429): sending it again cannot help."""


class IngestClient:
    """Posts to ``/api/ingest/*`` with a bearer token. Use as a context manager (closes the connection)."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0, retries: int = 5,
                 backoff_s: float = 0.5, transport: httpx.BaseTransport | None = None) -> None:
        if not token:
            raise InputError("token is empty. Hint: create one with `thermal-sar users add NAME --role ingest`.")
        self._c = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport,
                               headers={"Authorization": f"Bearer {token}"})
        self.retries = retries
        self.backoff_s = backoff_s

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._c.close()

    def _send(self, method: str, path: str, **kw: Any) -> dict:
        delay = self.backoff_s
        last = ""
        for attempt in range(self.retries + 1):
            try:
                r = self._c.request(method, path, **kw)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if r.status_code == 200:
                    return r.json()
                detail = _detail(r)
                if r.status_code == 429 or r.status_code >= 500:
                    last = f"HTTP {r.status_code}: {detail}"
                    retry_after = r.headers.get("retry-after")
                    if retry_after and retry_after.isdigit():
                        delay = max(delay, float(retry_after))
                else:
                    # 4xx other than 429: retrying the same request cannot help.
                    raise IngestRefused(f"{method} {path} was refused: HTTP {r.status_code}: {detail}")
            if attempt < self.retries:
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise LinkError(f"{method} {path} failed after {self.retries + 1} attempts ({last}). "
                        "Hint: is `thermal-sar serve` running and reachable? Keep the data and send it again.")

    def telemetry(self, **fields: Any) -> dict:
        """One telemetry record (``lat_deg``, ``lon_deg``, ``alt_amsl_m``, ``heading_deg``, ``footprint``...)."""
        return self._send("POST", "/api/ingest/telemetry", json=fields)

    def detections(self, items: Sequence[dict]) -> list[dict]:
        """Detections (each with a ``uid``); returns ``[{uid, id, created}]`` once all are on the server's disk."""
        out: list[dict] = []
        for i in range(0, len(items), 500):
            out.extend(self._send("POST", "/api/ingest/detections", json=list(items[i:i + 500]))["stored"])
        return out

    def targets(self, feature_collection: dict) -> list[dict]:
        """Fused targets as the pipeline's GeoJSON FeatureCollection (upserted by ``id``)."""
        return self._send("POST", "/api/ingest/targets", json=feature_collection)["stored"]

    def thumbnail(self, uid: str, png: bytes) -> dict:
        """The PNG thumbnail of detection ``uid``."""
        return self._send("PUT", f"/api/ingest/detections/{uid}/thumbnail", content=png,
                          headers={"Content-Type": "image/png"})

    def status(self, status: dict) -> dict:
        """A health status of the flight (``kind``, ``severity``, ``message``, ``active``, ``started_s``...),
        shown on the officer map while active (see ``POST /api/ingest/status``)."""
        return self._send("POST", "/api/ingest/status", json=status)

    def mission(self, feature_collection: dict) -> dict:
        """The mission GeoJSON (``MissionPlan.to_geojson()``): the search area for the progress figures."""
        return self._send("POST", "/api/ingest/mission", json=feature_collection)


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail", r.text[:200]))
    except ValueError:
        return r.text[:200]
