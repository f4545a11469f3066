"""Confirm fused targets by their opportunities: a real heat source is seen in most frames that covered it.

Fusion (:func:`telemetry.fuse_sightings`) turns sightings into targets but does
not say which ones to believe. Counting sightings alone ("seen in two frames")
rewards whatever lies where the camera looked most often: a patch of warm road
under three overlapping passes gives six sightings out of thirty frames, and a
real animal at the edge of one pass gives two out of two. What tells them apart
is the *fraction* of opportunities taken:

* an **opportunity** is a processed frame whose footprint held the target's
  position at least ``edge_margin_m`` inside its border (an object cut by the
  border is not a fair chance), found by projecting the fused position into
  every frame's camera view (:meth:`geo.raycast.CameraView.project`); a frame
  that saw the target counts as an opportunity even when the projection says it
  was just outside (pose noise);
* a **hit** is a frame with a sighting fused into the target (fusion assigns at
  most one sighting per frame to a target).

The **support** of a target is the sum of its sightings' scores over its
opportunities: the mean score a frame that covered it gave it (a miss gives 0).
It is at most the hit fraction, and it weighs a hesitant detection (0.35, a blob
of warm road that looks a bit like a person) less than a sure one (0.95, a sheep
in the open). A target is **confirmed** when

1. ``hits >= min_hits``;
2. ``support >= min_support`` (one half): a real body in the open is detected in
   most frames that covered it, and surely; texture, field edges, warm road and
   noise come and go with the viewing angle, the sensor noise and the contrast
   stretch, and score low when they come;
3. its best sighting scored at least ``min_best_score`` (the detector's operating
   point; weaker sightings still count as hits and support, so a body half hidden
   under canopy that scores 0.4 in some frames is not thrown away);
4. its sightings agree on the class: the target's class (plus unclassified
   ``hotspot`` sightings) makes up at least ``min_class_share`` of them;
5. its blob sizes agree: the relative median absolute deviation of the measured
   areas is at most ``max_area_spread`` (judged from three areas up).

Everything else is a **candidate**: kept, shown to the officer as such, never
counted as a reported target. A persistent warm object that is not a target (a
sun-warmed rock the size of a sheep) passes all five tests: no rule on
positions and frame counts can tell it from a sheep; that is the detector's job
(and the ground team's).

Pure computation: targets and frame views in, evidence out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo.errors import InputError, out_of_range
from geo.raycast import CameraView

__all__ = ["FrameCoverage", "ConfirmationRule", "TargetEvidence", "assess_targets", "count_opportunities",
           "REASONS"]

# Why a target stays a candidate (machine keys; the demo's summary translates them).
REASONS = ("few_hits", "low_support", "low_score", "mixed_class", "inconsistent_size")


@dataclass(frozen=True)
class FrameCoverage:
    """One processed frame as seen from the ground: its index, time, camera view and centre GSD (m/px)."""

    frame_index: int
    time_s: float
    view: CameraView
    gsd_m: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.gsd_m) and self.gsd_m > 0):
            raise InputError(out_of_range("gsd_m", self.gsd_m, "> 0 m/px"))


@dataclass(frozen=True)
class ConfirmationRule:
    """When a fused target is believed (see the module docstring for each test)."""

    min_hits: int = 2
    min_support: float = 0.5
    min_best_score: float = 0.5
    min_class_share: float = 0.5
    max_area_spread: float = 0.5
    edge_margin_m: float = 1.0

    def __post_init__(self) -> None:
        if not (isinstance(self.min_hits, int) and self.min_hits >= 1):
            raise InputError(out_of_range("min_hits", self.min_hits, "an integer >= 1"))
        for name in ("min_support", "min_best_score", "min_class_share"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise InputError(out_of_range(name, v, "0..1"))
        if not (math.isfinite(self.max_area_spread) and self.max_area_spread > 0):
            raise InputError(out_of_range("max_area_spread", self.max_area_spread, "> 0 (relative deviation)"))
        if not (math.isfinite(self.edge_margin_m) and self.edge_margin_m >= 0):
            raise InputError(out_of_range("edge_margin_m", self.edge_margin_m, ">= 0 m"))


@dataclass(frozen=True)
class TargetEvidence:
    """What the frames say about one fused target, and the verdict.

    ``hit_fraction`` is ``hits / opportunities``; ``support`` the sum of the scores over
    the opportunities; ``class_share`` the share of its
    sightings naming its class (or ``hotspot``); ``area_spread`` the relative median
    absolute deviation of the blob areas (None with fewer than three areas);
    ``reasons`` the keys of :data:`REASONS` that keep it a candidate (empty when confirmed).
    """

    target_id: str
    hits: int
    opportunities: int
    hit_fraction: float
    support: float
    class_share: float
    area_spread: float | None
    best_score: float
    confirmed: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"id": self.target_id, "hits": self.hits, "opportunities": self.opportunities,
                "hit_fraction": round(self.hit_fraction, 3), "support": round(self.support, 3),
                "class_share": round(self.class_share, 3),
                "area_spread": None if self.area_spread is None else round(self.area_spread, 3),
                "best_score": round(self.best_score, 3), "confirmed": self.confirmed, "reasons": list(self.reasons)}


def count_opportunities(lat_deg, lon_deg, alt_amsl_m, coverages, *, edge_margin_m: float = 1.0) -> list[set[int]]:
    """For each point, the ``frame_index`` of every frame whose footprint held it ``edge_margin_m`` inside the border.

    ``lat_deg``, ``lon_deg``, ``alt_amsl_m``: arrays of shape (n,) (WGS-84, metres AMSL).
    Returns a list of n sets.
    """
    lat = np.atleast_1d(np.asarray(lat_deg, float))
    lon = np.atleast_1d(np.asarray(lon_deg, float))
    alt = np.atleast_1d(np.asarray(alt_amsl_m, float))
    if not (lat.shape == lon.shape == alt.shape and lat.ndim == 1):
        raise InputError(f"lat_deg, lon_deg and alt_amsl_m must be 1-D arrays of one length; got shapes "
                         f"{lat.shape}, {lon.shape}, {alt.shape}.")
    out: list[set[int]] = [set() for _ in range(lat.size)]
    if lat.size == 0:
        return out
    local: dict[int, np.ndarray] = {}  # per local frame (by identity): the points in its metres
    for c in coverages:
        fr = c.view.frame
        key = id(fr)
        if key not in local:
            x, y = fr.to_local(lat, lon)
            local[key] = np.column_stack([np.atleast_1d(x), np.atleast_1d(y), alt])
        rows, cols, vis = c.view.project(local[key])
        cam = c.view.camera
        m = edge_margin_m / c.gsd_m
        with np.errstate(invalid="ignore"):
            inside = vis & (rows >= m - 0.5) & (rows <= cam.height_px - 0.5 - m) & (cols >= m - 0.5) & \
                (cols <= cam.width_px - 0.5 - m)
        for i in np.flatnonzero(inside):
            out[i].add(c.frame_index)
    return out


def _area_spread(areas) -> float | None:
    a = np.asarray(areas, float)
    if a.size < 3:
        return None
    med = float(np.median(a))
    return float(np.median(np.abs(a - med)) / med) if med > 0 else None


def assess_targets(targets, coverages, rule: ConfirmationRule = ConfirmationRule()) -> tuple[TargetEvidence, ...]:
    """Evidence and verdict for each fused target (same order); see the module docstring.

    ``targets``: :class:`telemetry.FusedTarget` (their ``frame_indices``, ``class_counts``,
    ``best_score`` and ``areas_m2`` are used); ``coverages``: every processed frame,
    :class:`FrameCoverage`, including those that saw nothing.
    """
    targets = tuple(targets)
    coverages = tuple(coverages)
    opp = count_opportunities([t.lat_deg for t in targets], [t.lon_deg for t in targets],
                              [t.alt_amsl_m for t in targets], coverages, edge_margin_m=rule.edge_margin_m)
    out = []
    for t, seen_in in zip(targets, opp):
        known = {f for f in t.frame_indices if f is not None}
        # Sightings without a frame index (or a target built without its evidence) count as hits
        # and as opportunities of their own.
        unknown = sum(1 for f in t.frame_indices if f is None) if t.frame_indices else t.sightings
        hits = len(known) + unknown
        chances = len(seen_in | known) + unknown
        frac = hits / chances if chances else 0.0
        score_sum = t.score_sum if t.frame_indices else t.confidence  # a target built without its evidence
        support = min(1.0, score_sum / chances) if chances else 0.0
        counts = dict(t.class_counts)
        n = sum(counts.values())
        share = (counts.get(t.class_name, 0) + (counts.get("hotspot", 0) if t.class_name != "hotspot" else 0)) / n \
            if n else 1.0
        spread = _area_spread(t.areas_m2)
        reasons = []
        if hits < rule.min_hits:
            reasons.append("few_hits")
        if support < rule.min_support:
            reasons.append("low_support")
        if t.best_score < rule.min_best_score:
            reasons.append("low_score")
        if share < rule.min_class_share:
            reasons.append("mixed_class")
        if spread is not None and spread > rule.max_area_spread:
            reasons.append("inconsistent_size")
        out.append(TargetEvidence(t.id, hits, chances, frac, support, share, spread, float(t.best_score),
                                  not reasons, tuple(reasons)))
    return tuple(out)
