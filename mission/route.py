"""Stage 4: route. Order cells and swaths, and keep transitions out of no-fly zones."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from geo.errors import GeometryError
from mission.swaths import Cell, Swath

__all__ = ["order_cells", "Avoider", "swath_polyline"]


def _traverse(cell: Cell, from_last: bool, flip: bool) -> list[Swath]:
    """Boustrophedon traversal of a cell: starting at its first or last line, first line forward or back."""
    lines = cell.swaths[::-1] if from_last else cell.swaths
    return [s.reversed() if ((k % 2 == 1) != flip) else s for k, s in enumerate(lines)]


def order_cells(cells: tuple[Cell, ...], start_xy: tuple[float, float]) -> tuple[Swath, ...]:
    """Greedy nearest-entry order of cells from ``start_xy``; returns oriented swaths in flight order.

    Each cell can be entered at four corners (first or last line, either end).
    """
    if not cells:
        return ()
    # Entry points per cell and option: (first line a, first line b, last line a, last line b).
    ent = np.array([[c.swaths[0].ax_m, c.swaths[0].ay_m, c.swaths[0].bx_m, c.swaths[0].by_m,
                     c.swaths[-1].ax_m, c.swaths[-1].ay_m, c.swaths[-1].bx_m, c.swaths[-1].by_m] for c in cells])
    ent = ent.reshape(-1, 4, 2)
    todo = np.ones(len(cells), bool)
    px, py = start_xy
    out: list[Swath] = []
    for _ in range(len(cells)):
        d = np.hypot(ent[:, :, 0] - px, ent[:, :, 1] - py)
        d[~todo] = np.inf
        ci, opt = np.unravel_index(int(np.argmin(d)), d.shape)
        todo[ci] = False
        t = _traverse(cells[ci], from_last=opt >= 2, flip=opt % 2 == 1)
        out.extend(t)
        px, py = t[-1].bx_m, t[-1].by_m
    return tuple(out)


def swath_polyline(swaths: tuple[Swath, ...] | list[Swath], start_xy, end_xy) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N, 2) start -> swaths -> end and per-leg kind (N-1,): 1 on a swath, 0 between."""
    pts = [start_xy]
    kinds = []
    for s in swaths:
        pts.append((s.ax_m, s.ay_m))
        kinds.append(0)
        pts.append((s.bx_m, s.by_m))
        kinds.append(1)
    pts.append(end_xy)
    kinds.append(0)
    return np.asarray(pts, float), np.asarray(kinds, np.int8)


@dataclass(frozen=True)
class Avoider:
    """Shortest detours around no-fly zones (visibility graph on inflated outlines).

    ``zones`` are the no-fly polygons; a transition may not pass within
    ``margin_m / 2`` of them and detours run ``0.75 * margin_m`` outside.
    """

    zones: tuple[Polygon, ...]
    margin_m: float = 20.0

    def __post_init__(self) -> None:
        keep = shapely.union_all([z.buffer(0.5 * self.margin_m) for z in self.zones]) if self.zones else Polygon()
        object.__setattr__(self, "_keep_out", keep)
        shapely.prepare(keep)
        nodes = []
        for z in self.zones:
            ring = z.buffer(0.75 * self.margin_m, quad_segs=2).exterior
            nodes.extend(np.asarray(ring.coords)[:-1].tolist())
        object.__setattr__(self, "_nodes", np.asarray(nodes, float).reshape(-1, 2))

    def blocked(self, a, b) -> bool:
        if not self.zones:
            return False
        if a[0] == b[0] and a[1] == b[1]:
            return False
        return bool(self._keep_out.intersects(LineString([a, b])))  # type: ignore[attr-defined]

    def path(self, a, b) -> list[tuple[float, float]]:
        """Vertices from a to b (both included) that keep out of every zone."""
        a = (float(a[0]), float(a[1]))
        b = (float(b[0]), float(b[1]))
        if not self.blocked(a, b):
            return [a, b]
        pts = [a, b] + [tuple(p) for p in self._nodes]
        n = len(pts)
        dist = [math.inf] * n
        prev = [-1] * n
        dist[0] = 0.0
        heap = [(0.0, 0)]
        done = [False] * n
        while heap:
            d, i = heapq.heappop(heap)
            if done[i]:
                continue
            done[i] = True
            if i == 1:
                break
            for j in range(n):
                if done[j] or j == i:
                    continue
                w = math.dist(pts[i], pts[j])
                if d + w < dist[j] and not self.blocked(pts[i], pts[j]):
                    dist[j] = d + w
                    prev[j] = i
                    heapq.heappush(heap, (dist[j], j))
        if prev[1] < 0:
            raise GeometryError(
                f"no route around the no-fly zones from ({a[0]:.0f}, {a[1]:.0f}) to ({b[0]:.0f}, {b[1]:.0f}) m in the "
                f"local frame: allowed paths keep {0.5 * self.margin_m:g} m from every zone. Hint: check that no-fly "
                "zones do not close off part of the area or the launch point, or lower --no-fly-margin.")
        path = [1]
        while path[-1] != 0:
            path.append(prev[path[-1]])
        return [pts[i] for i in path[::-1]]

    def route(self, vertices: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Insert detours into every transition leg (kind 0) that crosses a zone."""
        if not self.zones:
            return vertices, kinds
        pts = [tuple(vertices[0])]
        ks: list[int] = []
        for i in range(len(kinds)):
            a, b = vertices[i], vertices[i + 1]
            if kinds[i] == 0:
                p = self.path(a, b)
                for q in p[1:]:
                    pts.append(q)
                    ks.append(0)
            else:
                pts.append(tuple(b))
                ks.append(int(kinds[i]))
        return np.asarray(pts, float), np.asarray(ks, np.int8)
