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


def _intervals(edges_uw: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    """Inside intervals (k, 2) in u along each line w = const (even-odd rule)."""
    u0, w0, u1, w1 = edges_uw.T
    W = w[:, None]
    cross = (w0[None, :] <= W) != (w1[None, :] <= W)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = u0 + (W - w0) * (u1 - u0) / (w1 - w0)
    out = []
    for i in range(len(w)):
        xs = np.sort(u[i, cross[i]])
        iv = xs[: len(xs) // 2 * 2].reshape(-1, 2)
        out.append(iv[iv[:, 1] - iv[:, 0] > 0.5])
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
    open_cells: dict[int, int] = {}  # index of interval on the previous line -> cell id
    prev: np.ndarray = np.zeros((0, 2))
    for i, iv in enumerate(per_line):
        new_open: dict[int, int] = {}
        if len(prev) and len(iv):
            ov = (np.maximum(prev[:, None, 0], iv[None, :, 0]) < np.minimum(prev[:, None, 1], iv[None, :, 1]))
        else:
            ov = np.zeros((len(prev), len(iv)), bool)
        for k in range(len(iv)):
            parents = np.flatnonzero(ov[:, k])
            if len(parents) == 1 and ov[parents[0]].sum() == 1 and int(parents[0]) in open_cells:
                cid = open_cells[int(parents[0])]
            else:
                cid = len(cells)
                cells.append([])
            cells[cid].append((i, float(iv[k, 0]), float(iv[k, 1])))
            new_open[k] = cid
        open_cells = new_open
        prev = iv
    out = []
    for c in cells:
        sw = []
        for i, ua, ub in c:
            ax, ay = ua * d + w[i] * n
            bx, by = ub * d + w[i] * n
            sw.append(Swath(float(ax), float(ay), float(bx), float(by)))
        out.append(Cell(tuple(sw)))
    return tuple(out)
