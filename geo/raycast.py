"""Pixels to ground and ground to pixels over terrain.

:class:`HeightGrid` is terrain resampled once onto a regular grid of a
:class:`~geo.frames.LocalFrame` (x east, y north, metres; heights AMSL), so
rays can be cast in metric coordinates without a projection per step.

:class:`CameraView` is the immutable pixel <-> ground mapping of one frame: a
camera model, a pose and a local frame. Rays are intersected with the grid by
*Lipschitz ray marching*: from a point of the ray at height ``f`` above the
terrain, no terrain can be met within ``f / (-dz + |d_xy| * L)``, where ``L``
bounds the terrain's gradient, so each step is safe and the march converges
to the *first* intersection. Rays that are still grazing after the fast phase
are marched at half the grid spacing and the crossing is bisected. Rays that
leave the grid, or point at the sky, are reported as misses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo.camera import CameraModel, CameraPose
from geo.errors import CameraError, OutOfCoverageError
from geo.frames import LocalFrame
from geo.terrain import Terrain

__all__ = ["HeightGrid", "GroundHits", "CameraView", "intersect_rays"]


@dataclass(frozen=True)
class HeightGrid:
    """Terrain heights on a regular grid of a local frame.

    ``heights_m[i, j]`` is the elevation AMSL at
    ``x = x0_m + j * res_m`` (east), ``y = y0_m + i * res_m`` (north): row 0 is
    the southern edge.
    """

    frame: LocalFrame
    x0_m: float
    y0_m: float
    res_m: float
    heights_m: np.ndarray = field(repr=False)
    max_gradient: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        h = np.ascontiguousarray(self.heights_m, dtype=np.float64)
        h.setflags(write=False)
        object.__setattr__(self, "heights_m", h)
        if self.max_gradient <= 0.0:
            gx = np.abs(np.diff(h, axis=1)).max(initial=0.0) / self.res_m
            gy = np.abs(np.diff(h, axis=0)).max(initial=0.0) / self.res_m
            # Bilinear cells: |grad| <= hypot of the steepest edge slopes.
            object.__setattr__(self, "max_gradient", float(math.hypot(gx, gy)) + 1e-6)

    @classmethod
    def from_terrain(cls, terrain: Terrain, frame: LocalFrame, *, x_min_m: float, y_min_m: float,
                     x_max_m: float, y_max_m: float, res_m: float | None = None) -> HeightGrid:
        """Sample ``terrain`` on a grid covering the given local-frame box.

        ``res_m`` defaults to the terrain's own resolution (no finer detail exists).
        Raises :class:`OutOfCoverageError` when the box leaves the terrain.
        """
        res = float(res_m or terrain.resolution_m)
        nx = max(2, int(math.ceil((x_max_m - x_min_m) / res)) + 1)
        ny = max(2, int(math.ceil((y_max_m - y_min_m) / res)) + 1)
        xs = x_min_m + res * np.arange(nx)
        ys = y_min_m + res * np.arange(ny)
        xx, yy = np.meshgrid(xs, ys)
        lat, lon = frame.to_geodetic(xx, yy)
        heights = terrain.elevation_m(lat, lon)
        return cls(frame, float(x_min_m), float(y_min_m), res, np.asarray(heights, float))

    @classmethod
    def around(cls, terrain: Terrain, frame: LocalFrame, x_m: float, y_m: float, radius_m: float,
               res_m: float | None = None) -> HeightGrid:
        """A square grid of half-width ``radius_m`` around (x_m, y_m), clipped to the terrain's coverage."""
        b = terrain.bounds
        if b.south_lat_deg > -89.0:  # bounded terrain: clip the box to its coverage
            cx, cy = frame.to_local(np.array([b.south_lat_deg, b.south_lat_deg, b.north_lat_deg, b.north_lat_deg]),
                                    np.array([b.west_lon_deg, b.east_lon_deg, b.west_lon_deg, b.east_lon_deg]))
            x_lo, x_hi = float(np.max(cx[[0, 2]])), float(np.min(cx[[1, 3]]))
            y_lo, y_hi = float(np.max(cy[[0, 1]])), float(np.min(cy[[2, 3]]))
        else:
            x_lo = y_lo = -math.inf
            x_hi = y_hi = math.inf
        x0, x1 = max(x_m - radius_m, x_lo), min(x_m + radius_m, x_hi)
        y0, y1 = max(y_m - radius_m, y_lo), min(y_m + radius_m, y_hi)
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            lat, lon = frame.to_geodetic(x_m, y_m)
            raise OutOfCoverageError(
                f"point lat_deg={lat:.6f}, lon_deg={lon:.6f} is outside the terrain {terrain.name!r} "
                f"({terrain.bounds}). Hint: load a DEM that covers the flight."
            )
        return cls.from_terrain(terrain, frame, x_min_m=x0, y_min_m=y0, x_max_m=x1, y_max_m=y1, res_m=res_m)

    @property
    def x_max_m(self) -> float:
        return self.x0_m + self.res_m * (self.heights_m.shape[1] - 1)

    @property
    def y_max_m(self) -> float:
        return self.y0_m + self.res_m * (self.heights_m.shape[0] - 1)

    def _blocks(self) -> _Blocks:
        """Per-block bounds used for safe ray-marching steps (computed once, cached)."""
        cached = self.__dict__.get("_blocks_cache")
        if cached is None:
            cached = _Blocks.of(self.heights_m, self.res_m)
            object.__setattr__(self, "_blocks_cache", cached)
        return cached

    def _probe(self, x, y, z, block: int):
        """(z - terrain height, inside, flat block index) for the hot loop of ray marching."""
        ny, nx = self.heights_m.shape
        c = (x - self.x0_m) * (1.0 / self.res_m)
        r = (y - self.y0_m) * (1.0 / self.res_m)
        inside = (c >= 0) & (c < nx - 1) & (r >= 0) & (r < ny - 1)
        if not np.all(inside):
            c = np.where(inside, c, 0.0)
            r = np.where(inside, r, 0.0)
        c0 = c.astype(np.intp)
        r0 = r.astype(np.intp)
        fc = c - c0
        fr = r - r0
        i = r0 * nx + c0
        flat = self.heights_m.ravel()
        h00 = flat[i]
        h01 = flat[i + 1]
        h10 = flat[i + nx]
        h11 = flat[i + (nx + 1)]
        a = h00 + (h01 - h00) * fc
        bb = h10 + (h11 - h10) * fc
        nbx = (nx - 2) // block + 1
        return z - (a + (bb - a) * fr), inside, (r0 // block) * nbx + (c0 // block)

    def height_at(self, x_m, y_m):
        """Bilinear height AMSL at local (x, y); NaN outside the grid."""
        x = np.asarray(x_m, float)
        y = np.asarray(y_m, float)
        ny, nx = self.heights_m.shape
        c = (x - self.x0_m) / self.res_m
        r = (y - self.y0_m) / self.res_m
        inside = (c >= 0) & (c <= nx - 1) & (r >= 0) & (r <= ny - 1)
        c = np.clip(c, 0, nx - 1)
        r = np.clip(r, 0, ny - 1)
        c0 = np.minimum(c.astype(np.intp), nx - 2)
        r0 = np.minimum(r.astype(np.intp), ny - 2)
        fc = c - c0
        fr = r - r0
        flat = self.heights_m.ravel()
        i = r0 * nx + c0
        h00 = flat[i]
        h01 = flat[i + 1]
        h10 = flat[i + nx]
        h11 = flat[i + nx + 1]
        a = h00 + (h01 - h00) * fc
        b = h10 + (h11 - h10) * fc
        out = a + (b - a) * fr
        return np.where(inside, out, np.nan)


@dataclass(frozen=True)
class _Blocks:
    """Block maxima and gradient bounds of a height grid, dilated by one block.

    For any point in block (i, j), every terrain point within ``reach_m``
    (one block) lies in the 3x3 blocks around it, so ``hmax[i, j]`` bounds the
    terrain height and ``lip[i, j]`` its gradient there.
    """

    size: int
    reach_m: float
    hmax: np.ndarray
    lip: np.ndarray

    @classmethod
    def of(cls, h: np.ndarray, res_m: float, size: int = 8) -> _Blocks:
        from scipy.ndimage import maximum_filter

        ny, nx = h.shape
        ncy, ncx = ny - 1, nx - 1  # cells
        nby, nbx = (ncy - 1) // size + 1, (ncx - 1) // size + 1
        # Cell maxima and cell gradient bounds (bilinear cell: |grad| <= hypot of steepest edges).
        cmax = np.maximum(np.maximum(h[:-1, :-1], h[:-1, 1:]), np.maximum(h[1:, :-1], h[1:, 1:]))
        gx = np.abs(np.diff(h, axis=1)) / res_m
        gy = np.abs(np.diff(h, axis=0)) / res_m
        cgrad = np.hypot(np.maximum(gx[:-1, :], gx[1:, :]), np.maximum(gy[:, :-1], gy[:, 1:]))

        def block_max(a: np.ndarray) -> np.ndarray:
            pad = np.full((nby * size, nbx * size), -np.inf)
            pad[:ncy, :ncx] = a
            return pad.reshape(nby, size, nbx, size).max(axis=(1, 3))

        hmax = maximum_filter(block_max(cmax), size=3, mode="nearest")
        lip = maximum_filter(block_max(cgrad), size=3, mode="nearest") + 1e-9
        return cls(size, size * res_m, hmax, lip)


@dataclass(frozen=True)
class GroundHits:
    """Result of intersecting rays with the ground.

    ``xyz_m``: (N, 3) local-frame points (x east, y north, z AMSL), NaN for misses;
    ``hit``: (N,) bool; ``range_m``: (N,) distance from the camera, NaN for misses.
    """

    xyz_m: np.ndarray
    hit: np.ndarray
    range_m: np.ndarray


def intersect_rays(origin_m: np.ndarray, dirs: np.ndarray, grid: HeightGrid, *, max_range_m: float = 10_000.0,
                   tol_m: float = 0.01) -> GroundHits:
    """First intersection of rays with the grid's terrain surface.

    Parameters
    ----------
    origin_m : (3,) local-frame point of the camera, or (N, 3) one origin per ray
        (many frames in one call).
    dirs : (N, 3) unit direction vectors in ENU.

    With a single origin, a camera outside the grid or below the terrain is an
    error. With one origin per ray such rays are misses instead: one bad pose
    in a batch of frames must not lose the others.
    """
    d = np.asarray(dirs, float).reshape(-1, 3)
    n = d.shape[0]
    o_in = np.asarray(origin_m, float)
    if o_in.ndim == 2:
        o = o_in.reshape(-1, 3)
        if o.shape[0] != n:
            raise CameraError(f"origin_m has {o.shape[0]} rows but dirs has {n}: give one origin or one per ray.")
    else:
        h0 = grid.height_at(o_in[0], o_in[1])
        if np.isnan(h0):
            raise OutOfCoverageError(
                "the camera position is outside the height grid. Hint: build the grid around the pose.")
        if o_in[2] < h0 - 1e-6:
            raise CameraError(
                f"camera altitude {o_in[2]:.1f} m AMSL is below the terrain ({float(h0):.1f} m) at its position. "
                "Hint: check the altitude datum (AMSL vs above home) of the pose."
            )
        o = np.broadcast_to(o_in, (n, 3))
    return _march(o, d, grid, max_range_m=max_range_m, tol_m=tol_m)


def _march(o: np.ndarray, d: np.ndarray, grid: HeightGrid, *, max_range_m: float, tol_m: float) -> GroundHits:
    """Safe-step ray marching (local Lipschitz bound and block maxima), then a fixed march for grazing rays."""
    n = d.shape[0]
    h0 = grid.height_at(o[:, 0], o[:, 1])
    ok = ~np.isnan(h0) & (o[:, 2] >= np.nan_to_num(h0, nan=np.inf) - 1e-6)
    hmax = float(grid.heights_m.max())
    hmin = float(grid.heights_m.min())
    dz = d[:, 2]
    dxy = np.hypot(d[:, 0], d[:, 1])
    down = dz < 0
    safe_dz = np.where(down, -dz, 1.0)
    # Nothing can be hit before the ray comes down to the highest terrain, nor after the lowest.
    t = np.where(down, np.maximum(0.0, (o[:, 2] - hmax) / safe_dz), 0.0)
    t_end = np.where(down, np.minimum(max_range_m, (o[:, 2] - hmin) / safe_dz + 1e-6), max_range_m)
    active = ok & ~((dz >= 0) & (o[:, 2] >= hmax))
    t_hit = np.full(n, np.nan)
    blocks = grid._blocks()
    reach = blocks.reach_m

    idx = np.flatnonzero(active)
    tt = t[idx]
    ox, oy, oz = o[idx, 0].copy(), o[idx, 1].copy(), o[idx, 2].copy()
    dxa, dya, dza, dxya, te = d[idx, 0], d[idx, 1], d[idx, 2], dxy[idx], t_end[idx]
    t_lim = reach / np.maximum(dxya, 1e-9)
    for _ in range(40):
        if idx.size == 0:
            break
        z = oz + tt * dza
        f, inside, b = grid._probe(ox + tt * dxa, oy + tt * dya, z, blocks.size)
        gone = ~inside | (tt > te)
        done = inside & (f < tol_m)
        if np.any(done):
            t_hit[idx[done]] = tt[done]
        keep = ~(gone | done)
        if not np.all(keep):
            idx, tt, f, z, b, ox, oy, oz, dxa, dya, dza, dxya, te, t_lim = (
                a[keep] for a in (idx, tt, f, z, b, ox, oy, oz, dxa, dya, dza, dxya, te, t_lim))
        # Two safe steps; take the longer. (1) local Lipschitz bound of the terrain
        # within `reach` of the point; (2) the ray is above every peak within reach.
        step_lip = f / np.maximum(-dza + dxya * blocks.lip.ravel()[b], 1e-9)
        above = z - blocks.hmax.ravel()[b]
        step_max = np.where(above > 0, np.where(dza < 0, above / np.maximum(-dza, 1e-12), np.inf), 0.0)
        tt = tt + np.minimum(np.maximum(step_lip, step_max), t_lim)
    if idx.size:
        # Grazing rays: fixed march at half the grid spacing, then bisection.
        step = np.minimum(0.5 * grid.res_m / np.maximum(dxya, 0.05), 0.5 * grid.res_m / np.maximum(-dza, 1e-3))
        oo = np.column_stack([ox, oy, oz])
        dd = np.column_stack([dxa, dya, dza])
        lo = tt.copy()
        while idx.size:
            hi = lo + step
            p = oo + hi[:, None] * dd
            f = p[:, 2] - grid.height_at(p[:, 0], p[:, 1])
            gone = np.isnan(f) | (hi > te + step)
            cross = (~gone) & (f <= 0)
            if np.any(cross):
                a, bb = lo[cross].copy(), hi[cross].copy()
                oc, dc = oo[cross], dd[cross]
                for _ in range(24):
                    m = 0.5 * (a + bb)
                    pm = oc + m[:, None] * dc
                    below = pm[:, 2] - grid.height_at(pm[:, 0], pm[:, 1]) <= 0
                    bb = np.where(below, m, bb)
                    a = np.where(below, a, m)
                t_hit[idx[cross]] = 0.5 * (a + bb)
            keep = ~(gone | cross)
            idx, lo, step, oo, dd, te = idx[keep], hi[keep], step[keep], oo[keep], dd[keep], te[keep]
    hit = ~np.isnan(t_hit)
    return GroundHits(o + t_hit[:, None] * d, hit, t_hit)


@dataclass(frozen=True)
class CameraView:
    """The pixel <-> ground mapping of one frame (camera + pose + local frame).

    Build with :meth:`from_pose`. Local coordinates are those of ``frame``.
    """

    camera: CameraModel
    pose: CameraPose
    frame: LocalFrame
    origin_m: np.ndarray = field(repr=False)
    r_enu_from_cam: np.ndarray = field(repr=False)

    @classmethod
    def from_pose(cls, camera: CameraModel, pose: CameraPose, frame: LocalFrame | None = None) -> CameraView:
        """View of ``camera`` at ``pose``; ``frame`` defaults to one centred under the camera."""
        fr = frame or LocalFrame.at(pose.lat_deg, pose.lon_deg)
        x, y = fr.to_local(pose.lat_deg, pose.lon_deg)
        origin = np.array([x, y, pose.alt_amsl_m])
        r = pose.rotation_enu_from_camera()
        origin.setflags(write=False)
        r.setflags(write=False)
        return cls(camera, pose, fr, origin, r)

    def rays(self, rows, cols) -> np.ndarray:
        """Unit ENU ray directions for pixels; shape (..., 3)."""
        return self.camera.pixel_to_camera(rows, cols) @ self.r_enu_from_cam.T

    def ground_points(self, rows, cols, grid: HeightGrid, *, max_range_m: float = 10_000.0) -> GroundHits:
        """Intersect the rays of pixels (flattened) with the terrain grid."""
        d = self.rays(np.ravel(rows), np.ravel(cols))
        return intersect_rays(self.origin_m, d, grid, max_range_m=max_range_m)

    def project(self, xyz_m: np.ndarray):
        """Local-frame points (N, 3) -> ``(rows, cols, visible)``.

        ``visible`` is True for points in front of the camera that land on the
        sensor (occlusion by terrain is not tested here; see :meth:`occluded`).
        """
        p = np.asarray(xyz_m, float).reshape(-1, 3)
        v_cam = (p - self.origin_m) @ self.r_enu_from_cam  # = R^T (p - o)
        rows, cols, front = self.camera.camera_to_pixel(v_cam)
        vis = front & self.camera.contains_pixel(np.nan_to_num(rows, nan=-1e9), np.nan_to_num(cols, nan=-1e9))
        return rows, cols, vis

    def occluded(self, xyz_m: np.ndarray, grid: HeightGrid, *, margin_m: float = 0.5) -> np.ndarray:
        """True where terrain hides a local-frame point from the camera."""
        p = np.asarray(xyz_m, float).reshape(-1, 3)
        v = p - self.origin_m
        dist = np.linalg.norm(v, axis=1)
        hits = intersect_rays(self.origin_m, v / dist[:, None], grid, max_range_m=float(dist.max()) + 1.0)
        return hits.hit & (hits.range_m < dist - margin_m)

    def footprint(self, grid: HeightGrid, *, per_edge: int = 16):
        """Ground footprint as a shapely Polygon in local metres.

        Raises :class:`CameraError` when a border ray never reaches the ground
        (the camera sees the horizon or the sky).
        """
        from shapely.geometry import Polygon

        w, h = self.camera.width_px, self.camera.height_px
        t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
        cols = np.concatenate([t * (w - 1), np.full(per_edge, w - 1.0), (1 - t) * (w - 1), np.zeros(per_edge)])
        rows = np.concatenate([np.zeros(per_edge), t * (h - 1), np.full(per_edge, h - 1.0), (1 - t) * (h - 1)])
        hits = self.ground_points(rows, cols, grid)
        if not np.all(hits.hit):
            i = int(np.flatnonzero(~hits.hit)[0])
            raise CameraError(
                f"the ray of border pixel (row {rows[i]:.0f}, col {cols[i]:.0f}) never reaches the ground within the "
                f"terrain grid: the camera (depression {self.pose.depression_deg():.1f} deg below the horizon) sees "
                "the horizon or the sky. Hint: pitch the gimbal further down, or widen the terrain grid."
            )
        return Polygon(hits.xyz_m[:, :2])

    def gsd_m(self, grid: HeightGrid) -> float:
        """Ground sample distance at the image centre, metres per pixel (slant range / focal)."""
        hits = self.ground_points(np.array([self.camera.cy_px]), np.array([self.camera.cx_px]), grid)
        if not hits.hit[0]:
            raise CameraError("the image centre does not see the ground. Hint: pitch the gimbal down.")
        return float(hits.range_m[0]) / math.sqrt(self.camera.fx_px * self.camera.fy_px)
