"""Stage 2 and 3: cells and swaths.

For a sweep bearing, parallel lines ``spacing_m`` apart are intersected with
the region (even-odd rule over every ring, so holes and concave outlines
split lines); consecutive lines whose pieces overlap one-to-one form a cell
(a boustrophedon decomposition computed on the lines themselves). Pure
numpy; coordinates are metres in the local frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from shapely.geometry.base import BaseGeometry

__all__ = ["Swath", "Cell", "decompose", "ring_edges", "sweep_axes"]


@dataclass(frozen=True, slots=True)
class Swath:
    """One flight line: from ``a`` to ``b`` (local metres), in its cell's sweep order."""

    ax_m: float
    ay_m: float
    bx_m: float
    by_m: float

    @property
    def length_m(self) -> float:
        return math.hypot(self.bx_m - self.ax_m, self.by_m - self.ay_m)

    def reversed(self) -> Swath:
        return Swath(self.bx_m, self.by_m, self.ax_m, self.ay_m)


@dataclass(frozen=True, slots=True)
class Cell:
    """Swaths of one cell, ordered across the sweep; all point the same way."""

    swaths: tuple[Swath, ...]


def sweep_axes(bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the lines (compass ``bearing_deg``) and across them."""
    b = math.radians(bearing_deg)
    d = np.array([math.sin(b), math.cos(b)])
    n = np.array([math.cos(b), -math.sin(b)])
    return d, n


def ring_edges(region: BaseGeometry) -> np.ndarray:
    """(E, 4) array of every ring edge ``x0, y0, x1, y1`` of a (multi)polygon."""
    rings = []
    for poly in getattr(region, "geoms", [region]):
        if poly.is_empty:
            continue
        rings.append(np.asarray(poly.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in poly.interiors)
    if not rings:
        return np.zeros((0, 4))
    return np.concatenate([np.hstack([r[:-1], r[1:]]) for r in rings])


def _intervals(edges_uw: np.ndarray, w: np.ndarray) -> list[list[tuple[float, float]]]:
    """Inside intervals ``[(u0, u1), ...]`` along each line w = const (even-odd rule), longer than 0.5 m."""
    u0, w0, u1, w1 = edges_uw.T
    W = w[:, None]
    cross = (w0[None, :] <= W) != (w1[None, :] <= W)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(cross, u0 + (W - w0) * (u1 - u0) / (w1 - w0), np.inf)
    u.sort(axis=1)
    counts = cross.sum(axis=1)
    out = []
    for row, k in zip(u.tolist(), counts.tolist()):
        k -= k % 2
        out.append([(row[j], row[j + 1]) for j in range(0, k, 2) if row[j + 1] - row[j] > 0.5])
    return out


def decompose(region: BaseGeometry, bearing_deg: float, spacing_m: float, *, edges: np.ndarray | None = None,
              ) -> tuple[Cell, ...]:
    """Cells of swaths covering ``region`` with lines along ``bearing_deg``.

    Lines lie ``spacing_m / 2`` inside the extreme extent and are spread
    evenly so no gap exceeds ``spacing_m``. Every swath lies inside the region.
    """
    e = ring_edges(region) if edges is None else edges
    if len(e) == 0:
        return ()
    d, n = sweep_axes(bearing_deg)
    uw = np.column_stack([e[:, 0] * d[0] + e[:, 1] * d[1], e[:, 0] * n[0] + e[:, 1] * n[1],
                          e[:, 2] * d[0] + e[:, 3] * d[1], e[:, 2] * n[0] + e[:, 3] * n[1]])
    wmin = float(min(uw[:, 1].min(), uw[:, 3].min()))
    wmax = float(max(uw[:, 1].max(), uw[:, 3].max()))
    h = wmax - wmin
    count = max(1, int(math.ceil(h / spacing_m - 1e-9)))
    if count == 1:
        w = np.array([0.5 * (wmin + wmax)])
    else:
        first, last = wmin + 0.5 * spacing_m, wmax - 0.5 * spacing_m
        if last < first:
            first = last = 0.5 * (wmin + wmax)
        w = np.linspace(first, last, count)
    # Nudge lines off vertices so the even-odd rule never sees a tangent point.
    w = w + 1e-7 * spacing_m
    per_line = _intervals(uw, w)
    cells: list[list[tuple[int, float, float]]] = []
    prev: list[tuple[float, float]] = []
    prev_cell: list[int] = []
    for i, iv in enumerate(per_line):
        # Overlaps between this line's intervals and the previous line's.
        kids = [[k for k, (a, b) in enumerate(iv) if max(pa, a) < min(pb, b)] for pa, pb in prev]
        parents = [[j for j, (pa, pb) in enumerate(prev) if max(pa, a) < min(pb, b)] for a, b in iv]
        cur_cell = []
        for k, (a, b) in enumerate(iv):
            par = parents[k]
            if len(par) == 1 and len(kids[par[0]]) == 1:
                cid = prev_cell[par[0]]
            else:
                cid = len(cells)
                cells.append([])
            cells[cid].append((i, a, b))
            cur_cell.append(cid)
        prev, prev_cell = iv, cur_cell
    out = []
    for c in cells:
        sw = []
        for i, ua, ub in c:
            ax, ay = ua * d + w[i] * n
            bx, by = ub * d + w[i] * n
            sw.append(Swath(float(ax), float(ay), float(bx), float(by)))
        out.append(Cell(tuple(sw)))
    return tuple(out)

