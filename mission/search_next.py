"""Where to search next: a probability map of the subject's location, updated by search effort.

The map is a grid over the search area in a local metric frame. It starts
uniform over the area or from planning rings around an initial planning point
(the probability mass of each ring spread evenly over its annulus). After each
sortie the flown track gives, per cell, a coverage ``c = swept area / cell
area`` (sweep width W times track length inside the cell's reach), and the
probability of detection there is the random-search (exponential) law

    POD = (1 - canopy) * (1 - exp(-c))

where ``canopy`` is the fraction of the cell under canopy that hides a
thermal signature. Bayes' rule with no find gives the posterior
``p' = p (1 - POD) / (1 - sum p POD)``; ``sum p POD`` is the probability of
success of that sortie and the cumulative POD is ``1 - prod(1 - POD)``
weighted by the prior. The next sortie is proposed over the smallest set of
cells holding a chosen share of the remaining probability.

Pure computation: shapely geometries and arrays in, frozen values out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo.errors import GeometryError, InputError, out_of_range
from geo.frames import LocalFrame

__all__ = ["ProbabilityMap", "SearchUpdate"]


@dataclass(frozen=True)
class SearchUpdate:
    """Result of one Bayesian update: the new map and what the sortie achieved."""

    posterior: ProbabilityMap
    pod: np.ndarray = field(repr=False)  # (ny, nx) POD of this sortie per cell
    probability_of_success: float  # sum(prior * POD): chance this sortie would have found the subject
    cumulative_pod: float  # 1 - remaining probability mass relative to the original prior, within the area


@dataclass(frozen=True)
class ProbabilityMap:
    """Probability of the subject's location per grid cell (sums to 1 over the area).

    ``p[i, j]`` belongs to the cell centred at
    ``x = x0_m + (j + 0.5) * cell_m``, ``y = y0_m + (i + 0.5) * cell_m`` (row 0 south).
    ``searched_out`` tracks the product of (1 - POD) over all updates, for the
    cumulative POD.
    """

    frame: LocalFrame = field(repr=False)
    x0_m: float
    y0_m: float
    cell_m: float
    p: np.ndarray = field(repr=False)
    inside: np.ndarray = field(repr=False)
    prior: np.ndarray = field(repr=False)
    not_found: np.ndarray = field(repr=False)

    # ---------------------------------------------------------------- construction
    @classmethod
    def uniform(cls, region: BaseGeometry, frame: LocalFrame, *, cell_m: float = 20.0) -> ProbabilityMap:
        """Equal probability everywhere in ``region`` (a local-frame polygon)."""
        x0, y0, inside = _grid(region, cell_m)
        p = inside.astype(float)
        return cls._make(frame, x0, y0, cell_m, p, inside)

    @classmethod
    def from_rings(cls, region: BaseGeometry, frame: LocalFrame, *, ipp_xy_m: tuple[float, float],
                   ring_radii_m: tuple[float, ...], ring_percent: tuple[float, ...], cell_m: float = 20.0) -> ProbabilityMap:
        """Probability from distance rings around an initial planning point (IPP).

        ``ring_percent[k]`` is the cumulative share of subjects found within
        ``ring_radii_m[k]`` (e.g. 25/50/75/95 % for a subject category); the
        share of each annulus is spread evenly over its area inside ``region``
        and the remainder beyond the last ring over the rest of the region.
        """
        radii = np.asarray(ring_radii_m, float)
        pct = np.asarray(ring_percent, float)
        if radii.size == 0 or radii.size != pct.size:
            raise InputError(f"ring_radii_m has {radii.size} values and ring_percent {pct.size}: give one percentage per ring.")
        if np.any(np.diff(radii) <= 0) or radii[0] <= 0:
            raise InputError(out_of_range("ring_radii_m", tuple(radii), "increasing positive distances in metres"))
        if np.any(np.diff(pct) < 0) or pct[0] < 0 or pct[-1] > 100:
            raise InputError(out_of_range("ring_percent", tuple(pct), "non-decreasing cumulative percentages 0..100"))
        x0, y0, inside = _grid(region, cell_m)
        ny, nx = inside.shape
        xc = x0 + (np.arange(nx) + 0.5) * cell_m
        yc = y0 + (np.arange(ny) + 0.5) * cell_m
        r = np.hypot(*np.meshgrid(xc - ipp_xy_m[0], yc - ipp_xy_m[1]))
        edges = np.concatenate([[0.0], radii, [np.inf]])
        shares = np.diff(np.concatenate([[0.0], pct / 100.0, [1.0]]))
        p = np.zeros_like(r)
        for k in range(len(edges) - 1):
            ring = inside & (r >= edges[k]) & (r < edges[k + 1])
            if ring.any():
                p[ring] = shares[k] / ring.sum()
        if p.sum() <= 0:
            p = inside.astype(float)
        return cls._make(frame, x0, y0, cell_m, p, inside)

    @classmethod
    def _make(cls, frame, x0, y0, cell_m, p, inside) -> ProbabilityMap:
        p = np.where(inside, p, 0.0)
        total = p.sum()
        if total <= 0:
            raise GeometryError("the search region covers no grid cell. Hint: use a smaller cell_m or a larger area.")
        p = p / total
        for a in (p, inside):
            a.setflags(write=False)
        ones = np.ones_like(p)
        ones.setflags(write=False)
        return cls(frame, float(x0), float(y0), float(cell_m), p, inside, p, ones)

    # ---------------------------------------------------------------- update
    def coverage(self, track_xy_m: np.ndarray, sweep_width_m: float) -> np.ndarray:
        """Coverage per cell (swept area / cell area) of a track polyline (N, 2) in local metres."""
        if not (math.isfinite(sweep_width_m) and sweep_width_m > 0):
            raise InputError(out_of_range("sweep_width_m", sweep_width_m, "> 0 m", "the effective sweep width W"))
        pts = np.asarray(track_xy_m, float).reshape(-1, 2)
        ny, nx = self.p.shape
        cov = np.zeros((ny, nx))
        if pts.shape[0] < 2:
            return cov
        # Rasterise the swept strip: sample the track every quarter cell and, at each
        # sample, points across the sweep width every quarter cell; each point carries
        # its share of W * ds and lands in the cell that contains it. A straight pass
        # thus gives c = 1 to the cells it sweeps once, and the total is W * L.
        step = 0.25 * min(self.cell_m, sweep_width_m)
        m = max(1, int(math.ceil(sweep_width_m / step)))
        across = ((np.arange(m) + 0.5) / m - 0.5) * sweep_width_m
        xs, ys, ws = [], [], []
        for a, b in zip(pts[:-1], pts[1:]):
            v = b - a
            length = float(np.hypot(v[0], v[1]))
            if length <= 0:
                continue
            k = max(1, int(math.ceil(length / step)))
            along = a + ((np.arange(k) + 0.5) / k)[:, None] * v
            nrm = np.array([-v[1], v[0]]) / length
            xs.append((along[:, :1] + across[None, :] * nrm[0]).ravel())
            ys.append((along[:, 1:] + across[None, :] * nrm[1]).ravel())
            ws.append(np.full(k * m, (length / k) * (sweep_width_m / m)))
        if not xs:
            return cov
        x = np.concatenate(xs)
        y = np.concatenate(ys)
        w = np.concatenate(ws)
        jj = np.floor((x - self.x0_m) / self.cell_m).astype(np.intp)
        ii = np.floor((y - self.y0_m) / self.cell_m).astype(np.intp)
        ok = (ii >= 0) & (ii < ny) & (jj >= 0) & (jj < nx)
        np.add.at(cov, (ii[ok], jj[ok]), w[ok] / self.cell_m**2)
        return cov

    def update(self, track_xy_m: np.ndarray, sweep_width_m: float, *, canopy_fraction=0.0,
               detection_factor: float = 1.0) -> SearchUpdate:
        """Bayesian update after a sortie along ``track_xy_m`` that found nothing.

        ``canopy_fraction`` (scalar or (ny, nx)) hides that share of each cell;
        ``detection_factor`` scales coverage for conditions (1.0 = the sweep
        width already describes them).
        """
        canopy = np.broadcast_to(np.asarray(canopy_fraction, float), self.p.shape)
        if np.any((canopy < 0) | (canopy > 1)):
            raise InputError(out_of_range("canopy_fraction", "array", "0..1 per cell"))
        c = self.coverage(track_xy_m, sweep_width_m) * float(detection_factor)
        pod = (1.0 - canopy) * (1.0 - np.exp(-c))
        pod = np.where(self.inside, pod, 0.0)
        pos = float(np.sum(self.p * pod))
        post = self.p * (1.0 - pod)
        total = post.sum()
        post = post / total if total > 0 else post
        not_found = self.not_found * (1.0 - pod)
        cum = float(1.0 - np.sum(self.prior * not_found))
        for a in (post, not_found):
            a.setflags(write=False)
        new = ProbabilityMap(self.frame, self.x0_m, self.y0_m, self.cell_m, post, self.inside, self.prior, not_found)
        return SearchUpdate(new, pod, pos, cum)

    # ---------------------------------------------------------------- queries
    @property
    def cumulative_pod(self) -> float:
        """Share of the original prior already searched out (0 before any search)."""
        return float(1.0 - np.sum(self.prior * self.not_found))

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        ny, nx = self.p.shape
        return np.meshgrid(self.x0_m + (np.arange(nx) + 0.5) * self.cell_m, self.y0_m + (np.arange(ny) + 0.5) * self.cell_m)

    def hotspot(self, share: float = 0.5, *, min_area_m2: float = 0.0) -> BaseGeometry:
        """The smallest set of cells holding ``share`` of the probability, as a local-frame (Multi)Polygon.

        This is where the next sortie should fly.
        """
        if not 0.0 < share <= 1.0:
            raise InputError(out_of_range("share", share, "0 < share <= 1"))
        flat = self.p.ravel()
        order = np.argsort(flat)[::-1]
        csum = np.cumsum(flat[order])
        k = int(np.searchsorted(csum, share * csum[-1])) + 1
        chosen = np.zeros(flat.size, bool)
        chosen[order[:k]] = True
        chosen = chosen.reshape(self.p.shape) & self.inside
        ii, jj = np.nonzero(chosen)
        cells = [box(self.x0_m + j * self.cell_m, self.y0_m + i * self.cell_m,
                     self.x0_m + (j + 1) * self.cell_m, self.y0_m + (i + 1) * self.cell_m) for i, j in zip(ii, jj)]
        merged = shapely.union_all(cells)
        if min_area_m2 > 0 and isinstance(merged, MultiPolygon):
            parts = [g for g in merged.geoms if g.area >= min_area_m2]
            merged = MultiPolygon(parts) if len(parts) > 1 else (parts[0] if parts else Polygon())
        return merged

    def to_lat_lon_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(lat_deg, lon_deg) of every cell centre, shaped like ``p``."""
        xx, yy = self.cell_centres()
        return self.frame.to_geodetic(xx, yy)


def _grid(region: BaseGeometry, cell_m: float):
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise InputError(out_of_range("cell_m", cell_m, "> 0 m"))
    if region.is_empty or region.area <= 0:
        raise GeometryError("the search region is empty. Hint: check the area polygon.")
    minx, miny, maxx, maxy = region.bounds
    nx = max(1, int(math.ceil((maxx - minx) / cell_m)))
    ny = max(1, int(math.ceil((maxy - miny) / cell_m)))
    if nx * ny > 4_000_000:
        raise InputError(f"cell_m={cell_m} gives {nx * ny:,} cells over this area: allowed <= 4,000,000. Hint: use a larger cell.")
    xc = minx + (np.arange(nx) + 0.5) * cell_m
    yc = miny + (np.arange(ny) + 0.5) * cell_m
    xx, yy = np.meshgrid(xc, yc)
    inside = shapely.contains_xy(region, xx, yy)
    return minx, miny, inside
