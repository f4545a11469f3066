"""The offline base layer: hillshade and contour lines computed from the DEM.

Pure computation: a :class:`geo.Terrain` and a lat/lon box in, arrays and
GeoJSON-like dicts out. The hillshade is resampled onto a grid whose rows are
evenly spaced in Web Mercator *y* (what Leaflet draws), so the image lands on
the ground without the few-metre shear a plain lat/lon resampling would have
at the edges of a large box.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from affine import Affine

from geo.errors import InputError, OutOfCoverageError, out_of_range
from geo.terrain import GeoBounds, GridTerrain, Terrain
from geo.terrain_analysis import hillshade

__all__ = ["TerrainRaster", "resample_terrain", "hillshade_png", "contour_lines", "clip_bounds", "check_contour_interval",
           "MAX_CONTOUR_LEVELS"]

_R_MERC = 6378137.0


def _merc_y(lat_deg):
    return _R_MERC * np.log(np.tan(np.pi / 4 + np.radians(lat_deg) / 2))


def _lat_from_merc_y(y_m):
    return np.degrees(2 * np.arctan(np.exp(np.asarray(y_m) / _R_MERC)) - np.pi / 2)


@dataclass(frozen=True)
class TerrainRaster:
    """Elevations resampled for display.

    ``heights_m`` is (rows, cols), row 0 north; ``lat_deg`` (rows,) and
    ``lon_deg`` (cols,) give each row's latitude and each column's longitude.
    """

    heights_m: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray

    @property
    def bounds(self) -> GeoBounds:
        return GeoBounds(float(self.lat_deg[-1]), float(self.lon_deg[0]), float(self.lat_deg[0]), float(self.lon_deg[-1]))

    def as_grid_terrain(self) -> GridTerrain:
        """The raster as a lat/lon grid (spacing taken at the centre row; error < 0.1 % in 10 km)."""
        rows, cols = self.heights_m.shape
        dlon = (self.lon_deg[-1] - self.lon_deg[0]) / (cols - 1)
        dlat = (self.lat_deg[-1] - self.lat_deg[0]) / (rows - 1)
        node = Affine(dlon, 0.0, float(self.lon_deg[0]), 0.0, dlat, float(self.lat_deg[0]))
        return GridTerrain(self.heights_m, node, "EPSG:4326", name="display")

    def point_at(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lat_deg, lon_deg) at fractional (row, col)."""
        rows, cols = self.heights_m.shape
        y0, y1 = _merc_y(self.lat_deg[0]), _merc_y(self.lat_deg[-1])
        lat = _lat_from_merc_y(y0 + (y1 - y0) * np.asarray(row) / (rows - 1))
        lon = self.lon_deg[0] + (self.lon_deg[-1] - self.lon_deg[0]) * np.asarray(col) / (cols - 1)
        return lat, lon


def clip_bounds(terrain: Terrain, bounds: GeoBounds | None) -> GeoBounds:
    """The part of ``bounds`` that the terrain covers (the whole terrain when None)."""
    tb = terrain.bounds
    if bounds is None:
        return tb
    b = GeoBounds(max(tb.south_lat_deg, bounds.south_lat_deg), max(tb.west_lon_deg, bounds.west_lon_deg),
                  min(tb.north_lat_deg, bounds.north_lat_deg), min(tb.east_lon_deg, bounds.east_lon_deg))
    if b.south_lat_deg >= b.north_lat_deg or b.west_lon_deg >= b.east_lon_deg:
        raise OutOfCoverageError(
            f"the map area ({bounds}) is outside the terrain {getattr(terrain, 'name', '?')!r} ({tb}). "
            "Hint: give a DEM that covers the mission or the targets with --dem."
        )
    return b


def resample_terrain(terrain: Terrain, bounds: GeoBounds, *, max_px: int = 768) -> TerrainRaster:
    """Sample ``terrain`` on a display grid over ``bounds`` (longest side ``max_px``, at most the DEM's detail)."""
    if max_px < 8:
        raise InputError(f"max_px={max_px} is out of range: allowed >= 8.")
    lat_c = 0.5 * (bounds.south_lat_deg + bounds.north_lat_deg)
    h_m = (bounds.north_lat_deg - bounds.south_lat_deg) * 111_132.0
    w_m = (bounds.east_lon_deg - bounds.west_lon_deg) * 111_320.0 * math.cos(math.radians(lat_c))
    step_m = max(terrain.resolution_m, max(h_m, w_m) / max_px)
    rows = max(8, int(round(h_m / step_m)) + 1)
    cols = max(8, int(round(w_m / step_m)) + 1)
    y = np.linspace(_merc_y(bounds.north_lat_deg), _merc_y(bounds.south_lat_deg), rows)
    lat = _lat_from_merc_y(y)
    # Keep the outermost samples a hair inside so bilinear lookups never leave the grid.
    eps = 1e-9
    lat = np.clip(lat, bounds.south_lat_deg + eps, bounds.north_lat_deg - eps)
    lon = np.linspace(bounds.west_lon_deg + eps, bounds.east_lon_deg - eps, cols)
    lon2, lat2 = np.meshgrid(lon, lat)
    heights = np.asarray(terrain.elevation_m(lat2, lon2), dtype=np.float32)
    return TerrainRaster(heights, lat, lon)


def hillshade_png(raster: TerrainRaster, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
                  tint: bool = True) -> bytes:
    """PNG bytes of the hillshade, optionally tinted by elevation (green valleys, brown crests)."""
    from PIL import Image

    shade = hillshade(raster.as_grid_terrain(), azimuth_deg=azimuth_deg, altitude_deg=altitude_deg).astype(np.float32)
    if tint:
        h = raster.heights_m
        span = float(h.max() - h.min()) or 1.0
        t = ((h - h.min()) / span)[..., None]
        low = np.array([170, 200, 150], np.float32)
        high = np.array([225, 205, 170], np.float32)
        color = low * (1 - t) + high * t
        rgb = color * (0.35 + 0.65 * shade[..., None] / 255.0)
    else:
        rgb = np.repeat(shade[..., None], 3, axis=2)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


MAX_CONTOUR_LEVELS = 500


def check_contour_interval(interval_m: float, *, relief_m: float | None = None) -> float:
    """Refuse a contour interval that is not a finite number > 0 or that gives too many lines.

    With ``relief_m`` (highest minus lowest elevation of the map) the interval
    must give at most :data:`MAX_CONTOUR_LEVELS` levels: a finer one makes a
    map of hundreds of megabytes that no browser opens.
    """
    if not (isinstance(interval_m, (int, float)) and math.isfinite(interval_m) and interval_m > 0):
        raise InputError(out_of_range("contour interval_m", interval_m, "a finite number > 0 m",
                                      "--contours is the height between contour lines, e.g. --contours 20."))
    if relief_m is not None and relief_m / interval_m > MAX_CONTOUR_LEVELS:
        least = relief_m / MAX_CONTOUR_LEVELS
        raise InputError(out_of_range(
            "contour interval_m", interval_m,
            f"at least {math.ceil(least * 100) / 100:g} m here: the terrain's relief of {relief_m:.0f} m would need "
            f"{relief_m / interval_m:.0f} contour levels, and a map holds at most {MAX_CONTOUR_LEVELS}",
            f"use --contours {max(10.0, math.ceil(least)):g} or more (10 or 20 m is usual)."))
    return float(interval_m)


def contour_lines(raster: TerrainRaster, *, interval_m: float = 20.0, major_every: int = 5,
                  min_points: int = 4, tolerance_px: float = 0.6) -> list[dict]:
    """Contour lines every ``interval_m`` metres as GeoJSON LineString features.

    Each feature's properties: ``elevation_m`` and ``major`` (every
    ``major_every``-th level). Lines are simplified (Douglas-Peucker) to
    ``tolerance_px`` display pixels; coordinates are ``[lon, lat]`` rounded
    to 1e-6 deg (0.1 m).
    """
    import shapely
    from skimage.measure import find_contours

    h = raster.heights_m.astype(np.float64)
    check_contour_interval(interval_m, relief_m=float(h.max() - h.min()))
    lo = math.ceil(float(h.min()) / interval_m) * interval_m
    levels = np.arange(lo, float(h.max()), interval_m)
    feats: list[dict] = []
    for level in levels:
        k = int(round(level / interval_m))
        major = k % major_every == 0
        for c in find_contours(h, level):
            if len(c) < min_points:
                continue
            if tolerance_px > 0:
                c = shapely.get_coordinates(shapely.simplify(shapely.linestrings(c), tolerance_px))
            lat, lon = raster.point_at(c[:, 0], c[:, 1])
            coords = np.round(np.column_stack([lon, lat]), 6).tolist()
            feats.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"elevation_m": float(level), "major": bool(major)},
            })
    return feats
