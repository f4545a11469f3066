"""WGS-84 <-> GCJ-02 ("Mars coordinates").

Chinese web map tiles (Amap/Gaode, Tencent, Google China) are drawn in GCJ-02,
an obfuscated datum offset 100-700 m from WGS-84. GPS, Tianditu and CGCS2000
are (to within centimetres) WGS-84. Points from our drones must be shifted to
GCJ-02 before they are drawn on a GCJ-02 basemap.

The forward formula is the widely published one (Krasovsky ellipsoid
constants); the inverse iterates the forward map (fixed point), converging to
well under a millimetre in a few iterations. Outside mainland China the offset
is zero by definition (the rough bounding box test used by every map SDK).
"""

from __future__ import annotations

import numpy as np

__all__ = ["wgs84_to_gcj02", "gcj02_to_wgs84", "in_china"]

_A = 6378245.0
_EE = 0.00669342162296594323


def in_china(lat_deg, lon_deg):
    """True where the point lies in the box in which GCJ-02 is applied."""
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _offset(lat, lon):
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlat, dlon


def _ret(lat, lon):
    if lat.ndim == 0:
        return float(lat), float(lon)
    return lat, lon


def wgs84_to_gcj02(lat_deg, lon_deg):
    """Shift WGS-84 coordinates to GCJ-02; returns ``(lat_deg, lon_deg)``."""
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    dlat, dlon = _offset(lat, lon)
    inside = in_china(lat, lon)
    return _ret(np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon))


def gcj02_to_wgs84(lat_deg, lon_deg, *, iterations: int = 8):
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration; round trip < 1 mm."""
    glat = np.asarray(lat_deg, float)
    glon = np.asarray(lon_deg, float)
    lat, lon = glat.copy(), glon.copy()
    for _ in range(iterations):
        flat, flon = wgs84_to_gcj02(lat, lon)
        lat = lat + (glat - np.asarray(flat))
        lon = lon + (glon - np.asarray(flon))
    return _ret(lat, lon)
