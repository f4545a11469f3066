"""Fuse repeated sightings of the same target and write them as GeoJSON.

A *sighting* is one geotagged detection: a ground point with its east/north
covariance, a class, a score and a time. Sightings of the same class whose
positions are statistically compatible (squared Mahalanobis distance of the
difference under the sum of both covariances below a chi-square gate, or
closer than ``min_gate_m``) are merged with inverse-covariance weights, so
the fused position is better than any one sighting and its ellipse shrinks
as sightings accumulate. Confidence combines scores as independent evidence
(``1 - prod(1 - score)``), capped at 0.999.

The GeoJSON schema (the maps package draws it) is documented in
``docs/telemetry.md``.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field

import numpy as np

from geo.errors import InputError, out_of_range
from geo.frames import LocalFrame
from telemetry.geotag import cep_from_cov, ellipse_from_cov

__all__ = ["Sighting", "FusedTarget", "fuse_sightings", "targets_geojson", "TARGET_STATUS_NEW"]

TARGET_STATUS_NEW = "new"
_MIN_VAR_M2 = 1e-4  # 1 cm: keeps perfect-telemetry covariances invertible


@dataclass(frozen=True, slots=True)
class Sighting:
    """One detection on the ground (lat/lon WGS-84, altitude AMSL, covariance east/north in m^2)."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    cov_en_m2: tuple[tuple[float, float], tuple[float, float]]
    class_name: str
    score: float
    time_s: float
    frame_index: int | None = None
    thumbnail_png: bytes | None = None

    def __post_init__(self) -> None:
        for nm in ("lat_deg", "lon_deg", "alt_amsl_m", "time_s"):
            if not math.isfinite(getattr(self, nm)):
                raise InputError(f"{nm}={getattr(self, nm)!r} is not finite. Hint: drop sightings whose ray missed the ground.")
        if not 0.0 <= self.score <= 1.0:
            raise InputError(out_of_range("score", self.score, "0..1"))


@dataclass(frozen=True)
class FusedTarget:
    """A target made of one or more sightings (see module docstring)."""

    id: str
    class_name: str
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    cov_en_m2: np.ndarray = field(repr=False)
    confidence: float
    sightings: int
    first_seen_s: float
    last_seen_s: float
    cep_m: float
    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    thumbnail_png: bytes | None = field(default=None, repr=False)
    status: str = TARGET_STATUS_NEW


@dataclass
class _Acc:  # mutable accumulator, private to fuse_sightings
    info: np.ndarray  # inverse covariance, 2x2
    info_x: np.ndarray  # information vector, 2
    alt_sum: float
    n: int
    miss_prob: float
    first: float
    last: float
    cls: str
    best_score: float
    thumb: bytes | None

    def mean(self) -> np.ndarray:
        return np.linalg.solve(self.info, self.info_x)

    def cov(self) -> np.ndarray:
        return np.linalg.inv(self.info)


def _safe_cov(c) -> np.ndarray:
    c = np.array(c, float).reshape(2, 2)
    c = 0.5 * (c + c.T)
    return c + np.eye(2) * _MIN_VAR_M2


def fuse_sightings(sightings, *, gate_probability: float = 0.99, min_gate_m: float = 3.0,
                   max_gate_m: float = 100.0, id_prefix: str = "T") -> tuple[FusedTarget, ...]:
    """Greedy sequential fusion of sightings (in time order) into targets.

    A sighting joins the compatible target of its class with the smallest
    Mahalanobis distance when that distance passes the ``gate_probability``
    chi-square gate (or the points are closer than ``min_gate_m``) and the
    points are closer than ``max_gate_m``; otherwise it starts a new target.
    Ids are ``id_prefix`` + a number in order of first sighting.
    """
    if not 0.0 < gate_probability < 1.0:
        raise InputError(out_of_range("gate_probability", gate_probability, "0 < p < 1"))
    gate = -2.0 * math.log(1.0 - gate_probability)
    ss = sorted(sightings, key=lambda s: s.time_s)
    if not ss:
        return ()
    frame = LocalFrame.at(float(np.mean([s.lat_deg for s in ss])), float(np.mean([s.lon_deg for s in ss])))
    xs, ys = frame.to_local(np.array([s.lat_deg for s in ss]), np.array([s.lon_deg for s in ss]))
    accs: list[_Acc] = []
    for s, x, y in zip(ss, np.atleast_1d(xs), np.atleast_1d(ys)):
        z = np.array([x, y])
        c = _safe_cov(s.cov_en_m2)
        best, best_d2 = None, math.inf
        for a in accs:
            if a.cls != s.class_name:
                continue
            diff = z - a.mean()
            dist = float(np.hypot(*diff))
            if dist > max_gate_m:
                continue
            d2 = float(diff @ np.linalg.solve(a.cov() + c, diff))
            if (d2 <= gate or dist <= min_gate_m) and d2 < best_d2:
                best, best_d2 = a, d2
        inf = np.linalg.inv(c)
        if best is None:
            accs.append(_Acc(inf, inf @ z, s.alt_amsl_m, 1, 1.0 - s.score, s.time_s, s.time_s, s.class_name, s.score,
                             s.thumbnail_png))
        else:
            best.info = best.info + inf
            best.info_x = best.info_x + inf @ z
            best.alt_sum += s.alt_amsl_m
            best.n += 1
            best.miss_prob *= 1.0 - s.score
            best.last = max(best.last, s.time_s)
            best.first = min(best.first, s.time_s)
            if s.score > best.best_score and s.thumbnail_png is not None:
                best.thumb = s.thumbnail_png
            best.best_score = max(best.best_score, s.score)
    out = []
    width = max(3, len(str(len(accs))))
    for i, a in enumerate(accs, start=1):
        m = a.mean()
        cov = a.cov()
        lat, lon = frame.to_geodetic(m[0], m[1])
        sa, sb, orient = ellipse_from_cov(cov[None], 0.90)
        out.append(FusedTarget(
            f"{id_prefix}{i:0{width}d}", a.cls, float(lat), float(lon), a.alt_sum / a.n, cov,
            min(0.999, 1.0 - a.miss_prob), a.n, a.first, a.last, float(cep_from_cov(cov[None])[0]),
            float(sa[0]), float(sb[0]), float(orient[0]), a.thumb,
        ))
    return tuple(out)


def targets_geojson(targets, *, indent: int | None = None) -> str:
    """The targets as a GeoJSON FeatureCollection string (schema in docs/telemetry.md)."""
    feats = []
    for t in targets:
        props = {
            "id": t.id,
            "class_name": t.class_name,
            "confidence": round(float(t.confidence), 4),
            "sightings": int(t.sightings),
            "cep_m": round(float(t.cep_m), 2),
            "ellipse": {
                "semi_major_m": round(float(t.semi_major_m), 2),
                "semi_minor_m": round(float(t.semi_minor_m), 2),
                "orientation_deg": round(float(t.orientation_deg), 1),
            },
            "first_seen_s": round(float(t.first_seen_s), 3),
            "last_seen_s": round(float(t.last_seen_s), 3),
            "alt_amsl_m": round(float(t.alt_amsl_m), 1),
            "status": t.status,
        }
        if t.thumbnail_png:
            props["thumbnail_png_b64"] = base64.b64encode(t.thumbnail_png).decode("ascii")
        feats.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(t.lon_deg), 8), round(float(t.lat_deg), 8)]},
            "properties": props,
        })
    return json.dumps({"type": "FeatureCollection", "features": feats}, indent=indent)
