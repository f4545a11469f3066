"""Fuse repeated sightings of the same target and write them as GeoJSON.

A *sighting* is one geotagged detection: a ground point with its east/north
covariance, a class, a score and a time. Sightings of compatible classes whose
positions are statistically compatible (squared Mahalanobis distance of the
difference under the sum of both covariances below a chi-square gate, or
closer than ``min_gate_m``) are merged with inverse-covariance weights, so
the fused position is better than any one sighting and its ellipse shrinks
as sightings accumulate. Sightings of one frame are distinct objects and are
assigned jointly, so two sheep a metre apart in one frame stay two targets. Confidence combines scores as independent evidence
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

__all__ = ["Sighting", "FusedTarget", "fuse_sightings", "SightingFuser", "targets_geojson", "TARGET_STATUS_NEW", "CLASS_GROUPS",
           "PERSON_PRIORITY_FRACTION"]

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
    area_m2: float | None = None  # ground area of the detected blob, when the detector measured it

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
    # The evidence behind the target, for confirmation (``telemetry.confirm``): the frames it was
    # seen in (``frame_index`` of each sighting, None when not given), how many sightings named
    # each class, the best single score, the sum of the scores and the blob areas measured
    # (m^2, where known).
    frame_indices: tuple[int | None, ...] = field(default=(), repr=False)
    class_counts: tuple[tuple[str, int], ...] = field(default=(), repr=False)
    best_score: float = 0.0
    score_sum: float = 0.0
    areas_m2: tuple[float, ...] = field(default=(), repr=False)


# Classes that may be one object seen differently from frame to frame: at 4 x 8 px a warm
# body is a sheep in one frame and a dog or a standing person in the next (measured on the
# demo's farmer: 7 frames "person", 4 "sheep"); kept apart, the one body becomes two weak
# targets that neither reaches confirmation. Two bodies side by side in one frame still
# stay apart: a frame gives at most one sighting to a target. "hotspot" (no recognised
# class) joins any group.
CLASS_GROUPS = ({"person", "sheep", "cow", "dog", "animal"}, {"vehicle"})
# A target's class is the one with the largest summed score, except that a body seen as a
# person with at least this fraction of the leading class's score is reported as a person:
# calling a sheep a person costs a ground team a walk; calling a person a sheep may cost a life.
PERSON_PRIORITY_FRACTION = 0.5


def _compatible(a: str, b: str) -> bool:
    if a == b or "hotspot" in (a, b):
        return True
    return any(a in g and b in g for g in CLASS_GROUPS)


@dataclass
class _Acc:  # mutable accumulator, private to fuse_sightings
    info: np.ndarray  # inverse covariance, 2x2
    info_x: np.ndarray  # information vector, 2
    alt_sum: float
    n: int
    miss_prob: float
    first: float
    last: float
    class_scores: dict
    best_score: float
    thumb: bytes | None
    frames: list = field(default_factory=list)
    class_n: dict = field(default_factory=dict)
    areas: list = field(default_factory=list)

    def note(self, s: Sighting) -> None:
        self.frames.append(s.frame_index)
        self.class_n[s.class_name] = self.class_n.get(s.class_name, 0) + 1
        if s.area_m2 is not None and math.isfinite(s.area_m2) and s.area_m2 > 0:
            self.areas.append(float(s.area_m2))

    @property
    def cls(self) -> str:
        named = {k: v for k, v in self.class_scores.items() if k != "hotspot"}
        pool = named or self.class_scores
        top = max(pool, key=pool.get)
        if top != "person" and pool.get("person", 0.0) >= PERSON_PRIORITY_FRACTION * pool[top]:
            return "person"
        return top

    def mean(self) -> np.ndarray:
        return np.linalg.solve(self.info, self.info_x)

    def cov(self) -> np.ndarray:
        return np.linalg.inv(self.info)

    def add(self, s: Sighting, z: np.ndarray, inf: np.ndarray) -> None:
        self.info = self.info + inf
        self.info_x = self.info_x + inf @ z
        self.alt_sum += s.alt_amsl_m
        self.n += 1
        self.miss_prob *= 1.0 - s.score
        self.last = max(self.last, s.time_s)
        self.first = min(self.first, s.time_s)
        self.class_scores[s.class_name] = self.class_scores.get(s.class_name, 0.0) + s.score
        if s.score > self.best_score and s.thumbnail_png is not None:
            self.thumb = s.thumbnail_png
        self.best_score = max(self.best_score, s.score)
        self.note(s)


def _safe_cov(c) -> np.ndarray:
    c = np.array(c, float).reshape(2, 2)
    c = 0.5 * (c + c.T)
    return c + np.eye(2) * _MIN_VAR_M2


def fuse_sightings(sightings, *, gate_probability: float = 0.99, min_gate_m: float = 3.0,
                   max_gate_m: float = 100.0, id_prefix: str = "T",
                   shared_sigma_m: float = 0.0) -> tuple[FusedTarget, ...]:
    """Fuse sightings, frame by frame in time order, into targets.

    The sightings of one frame (same ``time_s`` and ``frame_index``) are distinct
    objects: they are assigned jointly to existing targets (minimum total squared
    Mahalanobis distance, scipy's ``linear_sum_assignment``), at most one per target.
    A pair is admissible when the classes are compatible (:data:`CLASS_GROUPS`), the
    distance passes the ``gate_probability`` chi-square gate (or the points are
    closer than ``min_gate_m``) and they are closer than ``max_gate_m``; an
    unassigned sighting starts a new target. Ids are ``id_prefix`` + a number in
    order of first sighting.

    ``shared_sigma_m`` is the one-sigma horizontal error that sightings share over
    minutes (GNSS/EKF wander, a slowly drifting attitude): it does not average out
    over sightings, so for gating a target's uncertainty never falls below it. Without
    it a target seen twenty times on one pass is so sure of itself that the next pass,
    displaced by the wander, starts a second target on the same animal.

    A live flight adds its sightings as they come with :class:`SightingFuser`, which
    gives the same targets without fusing the whole flight again at each update.
    """
    ss = sorted(sightings, key=_order_key)
    if not ss:
        return ()
    origin = (float(np.mean([s.lat_deg for s in ss])), float(np.mean([s.lon_deg for s in ss])))
    fuser = SightingFuser(gate_probability=gate_probability, min_gate_m=min_gate_m, max_gate_m=max_gate_m,
                          id_prefix=id_prefix, shared_sigma_m=shared_sigma_m, origin=origin)
    fuser.add(ss)
    return fuser.targets()


def _order_key(s: Sighting) -> tuple[float, int]:
    return (s.time_s, -1 if s.frame_index is None else s.frame_index)


class SightingFuser:
    """Fusion that takes sightings as they come (a live flight): :meth:`add` them,
    read :meth:`targets` at any time.

    The rules are :func:`fuse_sightings`'s. Sightings are fused frame by frame; a
    frame's sightings must come in one :meth:`add` (they are assigned jointly). When
    sightings arrive out of time order (or more of a frame already fused), everything
    is fused again from the start, so the targets never depend on arrival order.
    Gating looks only at targets within ``max_gate_m`` (one vectorised distance per
    sighting), so an update costs what its new sightings cost, not the flight so far.
    Positions are worked out in a local frame at ``origin`` (lat, lon), by default the
    first sighting's position.
    """

    def __init__(self, *, gate_probability: float = 0.99, min_gate_m: float = 3.0, max_gate_m: float = 100.0,
                 id_prefix: str = "T", shared_sigma_m: float = 0.0,
                 origin: tuple[float, float] | None = None) -> None:
        if not 0.0 < gate_probability < 1.0:
            raise InputError(out_of_range("gate_probability", gate_probability, "0 < p < 1"))
        if not (math.isfinite(shared_sigma_m) and shared_sigma_m >= 0.0):
            raise InputError(out_of_range("shared_sigma_m", shared_sigma_m, ">= 0 m"))
        self._gate = -2.0 * math.log(1.0 - gate_probability)
        self._shared = np.eye(2) * shared_sigma_m**2
        self._min_gate_m = float(min_gate_m)
        self._max_gate_m = float(max_gate_m)
        self._id_prefix = id_prefix
        self._origin = origin
        self._frame: LocalFrame | None = None
        self._all: list[Sighting] = []
        self._last_key: tuple[float, int] | None = None
        self._reset()

    def _reset(self) -> None:
        self._accs: list[_Acc] = []
        self._means = np.zeros((16, 2))
        self._last_key = None

    def __len__(self) -> int:
        return len(self._all)

    def add(self, sightings) -> None:
        """Fuse ``sightings`` (one or more whole frames) into the targets so far."""
        new = sorted(sightings, key=_order_key)
        if not new:
            return
        if self._frame is None:
            lat0, lon0 = self._origin if self._origin is not None else (new[0].lat_deg, new[0].lon_deg)
            self._frame = LocalFrame.at(float(lat0), float(lon0))
        self._all.extend(new)
        if self._last_key is not None and _order_key(new[0]) <= self._last_key:
            # Late sightings (or more of a frame already fused): fuse everything again, in order.
            self._reset()
            self._fuse(sorted(self._all, key=_order_key))
        else:
            self._fuse(new)

    def _fuse(self, ss: list[Sighting]) -> None:
        from scipy.optimize import linear_sum_assignment

        xs, ys = self._frame.to_local(np.array([s.lat_deg for s in ss]), np.array([s.lon_deg for s in ss]))
        zs = np.column_stack([np.atleast_1d(xs), np.atleast_1d(ys)])
        big = 1e12
        i = 0
        while i < len(ss):
            j = i
            key = _order_key(ss[i])
            while j < len(ss) and _order_key(ss[j]) == key:
                j += 1
            group = list(range(i, j))
            covs = [_safe_cov(ss[k].cov_en_m2) for k in group]
            n_acc = len(self._accs)
            assigned: dict[int, int] = {}
            if n_acc:
                means = self._means[:n_acc]
                cand_cols: dict[int, int] = {}  # acc index -> column
                entries: list[tuple[int, int, float]] = []
                for gi, k in enumerate(group):
                    dist = np.hypot(means[:, 0] - zs[k, 0], means[:, 1] - zs[k, 1])
                    for ai in np.flatnonzero(dist <= self._max_gate_m).tolist():
                        a = self._accs[ai]
                        if not _compatible(a.cls, ss[k].class_name):
                            continue
                        diff = zs[k] - means[ai]
                        d2 = float(diff @ np.linalg.solve(a.cov() + self._shared + covs[gi], diff))
                        if d2 <= self._gate or float(dist[ai]) <= self._min_gate_m:
                            entries.append((gi, cand_cols.setdefault(ai, len(cand_cols)), d2))
                if entries:
                    cols = list(cand_cols)
                    # One dummy column per sighting keeps the problem the full one's: as many
                    # admissible pairs as possible, then the least total distance.
                    cost = np.full((len(group), len(cols) + len(group)), big)
                    for gi, c, d2 in entries:
                        cost[gi, c] = d2
                    rows, cs = linear_sum_assignment(cost)
                    for r, c in zip(rows, cs):
                        if cost[r, c] < big:
                            assigned[r] = cols[c]
            for gi, k in enumerate(group):
                s = ss[k]
                inf = np.linalg.inv(covs[gi])
                if gi in assigned:
                    ai = assigned[gi]
                    self._accs[ai].add(s, zs[k], inf)
                    self._means[ai] = self._accs[ai].mean()
                else:
                    acc = _Acc(inf, inf @ zs[k], s.alt_amsl_m, 1, 1.0 - s.score, s.time_s, s.time_s,
                               {s.class_name: s.score}, s.score, s.thumbnail_png)
                    acc.note(s)
                    if len(self._accs) == len(self._means):
                        self._means = np.vstack([self._means, np.zeros_like(self._means)])
                    self._means[len(self._accs)] = zs[k]
                    self._accs.append(acc)
            self._last_key = key
            i = j

    def targets(self) -> tuple[FusedTarget, ...]:
        """The targets of every sighting added so far."""
        out = []
        width = max(3, len(str(len(self._accs))))
        for n, a in enumerate(self._accs, start=1):
            m = a.mean()
            cov = a.cov()
            lat, lon = self._frame.to_geodetic(m[0], m[1])
            sa, sb, orient = ellipse_from_cov(cov[None], 0.90)
            out.append(FusedTarget(
                f"{self._id_prefix}{n:0{width}d}", a.cls, float(lat), float(lon), a.alt_sum / a.n, cov,
                min(0.999, 1.0 - a.miss_prob), a.n, a.first, a.last, float(cep_from_cov(cov[None])[0]),
                float(sa[0]), float(sb[0]), float(orient[0]), a.thumb,
                frame_indices=tuple(a.frames), class_counts=tuple(sorted(a.class_n.items())),
                best_score=float(a.best_score), score_sum=float(sum(a.class_scores.values())), areas_m2=tuple(a.areas),
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
