"""Products derived from terrain: slope, aspect, hillshade, clearance, line of sight.

Grid products work on a :class:`~geo.terrain.GridTerrain` and return arrays
shaped like its ``heights_m`` (row 0 at the grid's first row). Point products
(:func:`slope_aspect_at`) work on any terrain by finite differences.
"""

from __future__ import annotations

import math

import numpy as np

from geo.coords import GeoPoint, AltRef, destination, inverse
from geo.errors import InputError
from geo.terrain import GridTerrain, Terrain

__all__ = [
    "slope_deg",
    "aspect_deg",
    "hillshade",
    "slope_aspect_at",
    "segment_clearance_m",
    "line_of_sight",
]


def _gradients(terrain: GridTerrain):
    """dz/dx (east) and dz/dy (north) per sample, metres per metre."""
    h = terrain.heights_m.astype(np.float64)
    dx, dy = terrain.cell_size_m()
    gy_rows, gx_cols = np.gradient(h)
    # Rows run in the direction of node_transform.e; columns along .a.
    sx = 1.0 if terrain.node_transform.a > 0 else -1.0
    sy = -1.0 if terrain.node_transform.e < 0 else 1.0
    dzdx = sx * gx_cols / dx
    dzdy = sy * gy_rows / dy
    return dzdx, dzdy


def slope_deg(terrain: GridTerrain) -> np.ndarray:
    """Slope in degrees from horizontal at every sample (0 = flat)."""
    dzdx, dzdy = _gradients(terrain)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))


def aspect_deg(terrain: GridTerrain) -> np.ndarray:
    """Downslope direction in degrees clockwise from north (0..360); 0 where flat."""
    dzdx, dzdy = _gradients(terrain)
    asp = np.degrees(np.arctan2(-dzdx, -dzdy))
    return np.mod(asp, 360.0)


def hillshade(terrain: GridTerrain, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0,
              z_factor: float = 1.0) -> np.ndarray:
    """Hillshade as uint8 (0 dark .. 255 lit) for a sun at azimuth/altitude in degrees."""
    if not 0.0 <= altitude_deg <= 90.0:
        raise InputError(f"altitude_deg={altitude_deg} is out of range: allowed 0..90.")
    dzdx, dzdy = _gradients(terrain)
    dzdx = dzdx * z_factor
    dzdy = dzdy * z_factor
    slope = np.arctan(np.hypot(dzdx, dzdy))
    aspect = np.arctan2(-dzdx, -dzdy)  # downslope, clockwise from north
    zen = math.radians(90.0 - altitude_deg)
    az = math.radians(azimuth_deg)
    shade = np.cos(zen) * np.cos(slope) + np.sin(zen) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(255.0 * shade, 0, 255).astype(np.uint8)


def slope_aspect_at(terrain: Terrain, lat_deg, lon_deg, *, step_m: float | None = None):
    """Slope and aspect (degrees) at points of any terrain, by central differences.

    ``step_m`` defaults to the terrain's resolution. Returns ``(slope_deg, aspect_deg)``.
    """
    step = float(step_m or terrain.resolution_m)
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    dlat = step / 111_132.0
    dlon = step / (111_320.0 * np.cos(np.radians(lat)))
    dzdx = (terrain.elevation_m(lat, lon + dlon) - terrain.elevation_m(lat, lon - dlon)) / (2 * step)
    dzdy = (terrain.elevation_m(lat + dlat, lon) - terrain.elevation_m(lat - dlat, lon)) / (2 * step)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    aspect = np.mod(np.degrees(np.arctan2(-dzdx, -dzdy)), 360.0)
    return slope, aspect


def _amsl(p: GeoPoint, name: str) -> float:
    if p.alt_ref is not AltRef.AMSL:
        raise InputError(
            f"{name}.alt_ref={p.alt_ref.value!r} is not allowed here: the clearance needs altitudes AMSL. "
            "Hint: convert with the home or terrain elevation first."
        )
    return p.alt_m


def _segment_samples(terrain: Terrain, a: GeoPoint, b: GeoPoint, step_m: float | None):
    az, _, dist = inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)
    step = float(step_m or terrain.resolution_m)
    n = max(2, int(math.ceil(dist / step)) + 1)
    s = np.linspace(0.0, 1.0, n)
    lat, lon = destination(np.full(n, a.lat_deg), np.full(n, a.lon_deg), np.full(n, az), s * dist)
    alt = _amsl(a, "a") + s * (_amsl(b, "b") - _amsl(a, "a"))
    return s, alt - terrain.elevation_m(lat, lon)


def segment_clearance_m(terrain: Terrain, a: GeoPoint, b: GeoPoint, *, step_m: float | None = None) -> float:
    """Minimum height of the straight 3-D segment a->b above the terrain, metres.

    The segment is sampled every ``step_m`` (default: the DEM's resolution);
    negative means the segment passes below ground. Points must be AMSL.
    """
    _, clearance = _segment_samples(terrain, a, b, step_m)
    return float(np.min(clearance))


def line_of_sight(terrain: Terrain, a: GeoPoint, b: GeoPoint, *, margin_m: float = 0.0,
                  step_m: float | None = None) -> bool:
    """True when the segment a->b stays at least ``margin_m`` above the terrain.

    The two end samples are excluded so that points on the ground (a person
    seen from a drone) can be tested.
    """
    _, clearance = _segment_samples(terrain, a, b, step_m)
    inner = clearance[1:-1]
    return bool(inner.size == 0 or np.min(inner) >= margin_m)
