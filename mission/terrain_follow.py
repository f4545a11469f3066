"""Stage 5: path. Altitudes that keep the height above ground inside a band along every leg.

The horizontal path is fixed; each straight leg is sampled every ``step_m``
on the ground and the altitude profile is a chain of straight 3-D segments
chosen greedily with the "shrinking cone" of feasible slopes: from an
anchor, the slopes that keep every sample between ``ground + agl - tol``
and ``ground + agl + tol`` form an interval that only narrows; the segment
ends where the interval would become empty (a densified waypoint) or at the
leg's end. Within the interval the slope aims at the "rope", the profile
that stays level until the band pushes it, so the aircraft climbs no more
than the terrain forces it to. Slopes inside the vehicle's climb/descent gradients are
preferred; where the terrain is steeper than those, the segment keeps the
band and the vehicle slows down (ArduPilot scales horizontal speed to
WPNAV_SPEED_UP/DN), which the time model charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["FollowedPath", "follow_terrain", "sample_path"]


@dataclass(frozen=True)
class FollowedPath:
    """Waypoints of a terrain-following path (local metres, AMSL)."""

    xy_m: np.ndarray          # (M, 2)
    alt_amsl_m: np.ndarray    # (M,)
    ground_m: np.ndarray      # (M,) DEM height under each waypoint
    kinds: np.ndarray         # (M-1,) leg kind: 1 on a swath, 0 transition
    is_turn: np.ndarray       # (M,) True where the horizontal path turns (an original vertex)

    @property
    def agl_m(self) -> np.ndarray:
        return self.alt_amsl_m - self.ground_m


def sample_path(xy: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every <= ``step_m`` along a polyline (vertices included) and their leg index."""
    v = np.asarray(xy, float)
    seg = np.diff(v, axis=0)
    L = np.hypot(seg[:, 0], seg[:, 1])
    n = np.maximum(1, np.ceil(L / step_m).astype(int))
    idx = np.repeat(np.arange(len(L)), n)
    frac = np.concatenate([np.arange(k) / k for k in n])
    pts = np.vstack([v[idx] + seg[idx] * frac[:, None], v[-1:]])
    return pts, np.append(idx, len(L) - 1)


def _rope(a0: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Altitudes that stay level until the band forces them up or down (from a0)."""
    out = np.empty(len(lo))
    a = a0
    for i, (l, h) in enumerate(zip(lo.tolist(), hi.tolist())):
        if a < l:
            a = l
        elif a > h:
            a = h
        out[i] = a
    return out


def _leg(s: np.ndarray, lo: np.ndarray, hi: np.ndarray, tgt: np.ndarray, a0: float, climb: float, desc: float):
    """Breakpoints (sample index, altitude) of one leg from altitude a0 at sample 0."""
    out = []
    i = 0
    a = a0
    n = len(s)
    while i < n - 1:
        ds = s[i + 1:] - s[i]
        Lc = np.maximum.accumulate((lo[i + 1:] - a) / ds)
        Hc = np.minimum.accumulate((hi[i + 1:] - a) / ds)
        Lg = np.maximum(Lc, -desc)
        Hg = np.minimum(Hc, climb)
        okg = Lg <= Hg
        if okg[0]:
            bad = np.flatnonzero(~okg)
            j = (bad[0] - 1) if len(bad) else len(ds) - 1
            lo_s, hi_s = Lg[j], Hg[j]
        else:
            ok = Lc <= Hc
            bad = np.flatnonzero(~ok)
            j = (bad[0] - 1) if len(bad) else len(ds) - 1
            j = max(j, 0)
            lo_s, hi_s = Lc[j], Hc[j]
        m = min(max((tgt[i + 1 + j] - a) / ds[j], lo_s), hi_s)
        a = a + m * ds[j]
        i = i + 1 + j
        out.append((i, a))
    return out


def follow_terrain(vertices: np.ndarray, kinds: np.ndarray, ground_fn: Callable[[np.ndarray], np.ndarray], *,
                   agl_m: float, tolerance_m: float, step_m: float, climb_gradient: float,
                   descent_gradient: float, start_alt_amsl_m: float | None = None,
                   transit_band_m: tuple[float, float] | None = None, vertical: str = "rope",
                   inner_margin_m: float | None = None) -> FollowedPath:
    """Terrain-following waypoints along ``vertices`` (N, 2) with leg ``kinds`` (N-1,).

    ``ground_fn`` maps (K, 2) local xy to (K,) ground heights AMSL. The band
    used is ``tolerance_m`` less an inner margin (default ``min(1, tol/4)``
    m) so that the ground between samples (``step_m`` apart) does not push
    the path outside the full band; callers verify on a finer step and
    retry with a larger margin where steep ground still does. ``climb_gradient``/``descent_gradient`` are the
    vertical over horizontal ratios the vehicle can fly at cruise speed.
    ``transit_band_m`` = (lowest, highest) height above ground for
    transitions (kind 0 legs), which need not keep the search band; it must
    contain the search band. A transition ending where a search line starts
    ends inside the search band. ``vertical="rope"`` aims at the least-climbing
    profile; ``"target"`` aims at ground + agl at every segment end (what
    QGroundControl's survey terrain following does: follow the ground and
    drop points within the tolerance), kept for comparisons.
    """
    if vertical not in ("rope", "target"):
        raise ValueError(f"vertical={vertical!r}: allowed 'rope' or 'target'.")
    v = np.asarray(vertices, float)
    pts, leg = sample_path(v, step_m)
    g = np.asarray(ground_fn(pts), float)
    margin = min(1.0, tolerance_m / 4.0) if inner_margin_m is None else inner_margin_m
    if not 0.0 <= margin < tolerance_m:
        raise ValueError(f"inner_margin_m={margin}: allowed 0 <= margin < tolerance_m={tolerance_m}.")
    tol = tolerance_m - margin
    starts = np.searchsorted(leg, np.arange(len(v) - 1))
    xy_out = [v[0]]
    alt_out = [g[0] + agl_m if start_alt_amsl_m is None else start_alt_amsl_m]
    gnd_out = [g[0]]
    kinds_out: list[int] = []
    turn = [True]
    for k in range(len(v) - 1):
        i0 = starts[k]
        i1 = starts[k + 1] if k + 1 < len(starts) else len(pts) - 1
        sl = slice(i0, i1 + 1)
        p = pts[sl]
        s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
        if s[-1] < 1e-6:
            continue
        gg = g[sl]
        lo = gg + agl_m - tol
        hi = gg + agl_m + tol
        tgt = gg + agl_m
        if transit_band_m is not None and kinds[k] == 0:
            inner = min(max(1.0, margin), (transit_band_m[1] - transit_band_m[0]) / 8.0)
            lo = gg + transit_band_m[0] + inner
            hi = gg + transit_band_m[1] - inner
            tgt = gg + agl_m
            if k + 1 < len(kinds) and kinds[k + 1] == 1:
                lo[-1] = gg[-1] + agl_m - tol
                hi[-1] = gg[-1] + agl_m + tol
        # Aim at the "rope": the profile that moves only when the band pushes it (least climbing).
        if vertical == "rope":
            tgt = _rope(alt_out[-1], lo, hi)
            # Keep near the rope (half the band either side) so the segments cannot zigzag edge to edge.
            e = 0.5 * (hi - lo) / 2.0
            lo = np.maximum(lo, tgt - e)
            hi = np.minimum(hi, tgt + e)
        bps = _leg(s, lo, hi, tgt, alt_out[-1], climb_gradient, descent_gradient)
        for idx, a in bps:
            xy_out.append(p[idx])
            alt_out.append(a)
            gnd_out.append(gg[idx])
            kinds_out.append(int(kinds[k]))
            turn.append(idx == len(s) - 1)
    return FollowedPath(np.asarray(xy_out), np.asarray(alt_out), np.asarray(gnd_out), np.asarray(kinds_out, np.int8),
                        np.asarray(turn, bool))
