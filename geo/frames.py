"""Local metric frames.

:class:`LocalFrame` is the frame all planning and camera geometry works in:
x east and y north in metres on a transverse Mercator projection centred on the
origin (scale 1 at the origin, so distances within a few kilometres are true
to better than 1 part in 10^6), z is altitude AMSL in metres. This
"map-projected ENU" ignores the Earth's curvature in the vertical, which drops
0.08 m at 1 km and 0.31 m at 2 km from the origin; rays of a drone camera are
far shorter, so the approximation is well below DEM error. For an exact
topocentric ENU (curvature included) use :func:`enu_from_geodetic`.

:class:`UtmFrame` is the same interface on the UTM zone chosen automatically
for a point (or given), for exchange with GIS tools.

All transformers are built with ``always_xy=True``; function arguments are
nevertheless ``(lat_deg, lon_deg)`` and return ``(x_east_m, y_north_m)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from pyproj import CRS, Transformer

from geo.coords import check_lat_lon
from geo.errors import CoordinateError

__all__ = ["LocalFrame", "UtmFrame", "utm_epsg_for", "enu_from_geodetic", "geodetic_from_enu"]


def _ret(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim == 0:
        return float(a), float(b)
    return a, b


@dataclass(frozen=True)
class _ProjectedFrame:
    crs: CRS = field(repr=False)
    _fwd: Transformer = field(repr=False, compare=False)
    _inv: Transformer = field(repr=False, compare=False)

    def to_local(self, lat_deg, lon_deg):
        """(lat_deg, lon_deg) -> (x_east_m, y_north_m); scalars or arrays."""
        x, y = self._fwd.transform(np.asarray(lon_deg, float), np.asarray(lat_deg, float))
        return _ret(x, y)

    def to_geodetic(self, x_east_m, y_north_m):
        """(x_east_m, y_north_m) -> (lat_deg, lon_deg); scalars or arrays."""
        lon, lat = self._inv.transform(np.asarray(x_east_m, float), np.asarray(y_north_m, float))
        return _ret(lat, lon)

    def to_local_xy(self, lat_lon_deg: np.ndarray) -> np.ndarray:
        """(N, 2) array of (lat, lon) -> (N, 2) array of (x_east_m, y_north_m)."""
        arr = np.asarray(lat_lon_deg, float).reshape(-1, 2)
        x, y = self._fwd.transform(arr[:, 1], arr[:, 0])
        return np.column_stack([x, y])

    def to_lat_lon(self, xy_m: np.ndarray) -> np.ndarray:
        """(N, 2) array of (x_east_m, y_north_m) -> (N, 2) array of (lat, lon)."""
        arr = np.asarray(xy_m, float).reshape(-1, 2)
        lon, lat = self._inv.transform(arr[:, 0], arr[:, 1])
        return np.column_stack([lat, lon])


def _make(crs: CRS):
    fwd = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
    inv = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    return fwd, inv


@dataclass(frozen=True)
class LocalFrame(_ProjectedFrame):
    """East/north metres on a transverse Mercator centred at the origin."""

    origin_lat_deg: float = 0.0
    origin_lon_deg: float = 0.0

    @classmethod
    def at(cls, lat_deg: float, lon_deg: float) -> LocalFrame:
        """Frame with its origin at (lat_deg, lon_deg)."""
        check_lat_lon(lat_deg, lon_deg, name="frame origin")
        crs = CRS.from_proj4(
            f"+proj=tmerc +lat_0={lat_deg:.10f} +lon_0={lon_deg:.10f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
        )
        fwd, inv = _make(crs)
        return cls(crs, fwd, inv, float(lat_deg), float(lon_deg))

    def __reduce__(self):
        return (LocalFrame.at, (self.origin_lat_deg, self.origin_lon_deg))


def utm_epsg_for(lat_deg: float, lon_deg: float) -> int:
    """EPSG code of the WGS-84 UTM zone containing the point (Norway/Svalbard exceptions included)."""
    check_lat_lon(lat_deg, lon_deg)
    if lat_deg > 84.0 or lat_deg < -80.0:
        raise CoordinateError(
            f"lat_deg={lat_deg} is outside UTM (allowed -80 <= lat_deg <= 84). Hint: use LocalFrame.at() near the poles."
        )
    zone = int((lon_deg + 180.0) // 6.0) + 1
    zone = min(zone, 60)
    if 56.0 <= lat_deg < 64.0 and 3.0 <= lon_deg < 12.0:
        zone = 32
    if 72.0 <= lat_deg <= 84.0 and lon_deg >= 0.0:
        if lon_deg < 9.0:
            zone = 31
        elif lon_deg < 21.0:
            zone = 33
        elif lon_deg < 33.0:
            zone = 35
        elif lon_deg < 42.0:
            zone = 37
    return (32600 if lat_deg >= 0 else 32700) + zone


@dataclass(frozen=True)
class UtmFrame(_ProjectedFrame):
    """UTM easting/northing in metres (WGS-84)."""

    epsg: int = 32631

    @classmethod
    def for_point(cls, lat_deg: float, lon_deg: float) -> UtmFrame:
        """The UTM zone chosen automatically for a point."""
        return cls.from_epsg(utm_epsg_for(lat_deg, lon_deg))

    @classmethod
    def from_epsg(cls, epsg: int) -> UtmFrame:
        crs = CRS.from_epsg(int(epsg))
        fwd, inv = _make(crs)
        return cls(crs, fwd, inv, int(epsg))

    @property
    def zone(self) -> str:
        """Zone name such as ``"32N"``."""
        return f"{self.epsg % 100}{'N' if self.epsg < 32700 else 'S'}"

    def __reduce__(self):
        return (UtmFrame.from_epsg, (self.epsg,))


_ECEF = Transformer.from_crs(CRS.from_epsg(4979), CRS.from_epsg(4978), always_xy=True)
_ECEF_INV = Transformer.from_crs(CRS.from_epsg(4978), CRS.from_epsg(4979), always_xy=True)


def _enu_rotation(lat0_deg: float, lon0_deg: float) -> np.ndarray:
    lat = math.radians(lat0_deg)
    lon = math.radians(lon0_deg)
    sl, cl = math.sin(lat), math.cos(lat)
    so, co = math.sin(lon), math.cos(lon)
    return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


def enu_from_geodetic(lat_deg, lon_deg, h_m, lat0_deg: float, lon0_deg: float, h0_m: float):
    """Exact topocentric ENU (metres) of ellipsoidal positions around an origin.

    Heights are ellipsoidal. Returns ``(east_m, north_m, up_m)`` arrays.
    """
    x, y, z = _ECEF.transform(np.asarray(lon_deg, float), np.asarray(lat_deg, float), np.asarray(h_m, float))
    x0, y0, z0 = _ECEF.transform(lon0_deg, lat0_deg, h0_m)
    d = np.stack(np.broadcast_arrays(np.asarray(x) - x0, np.asarray(y) - y0, np.asarray(z) - z0))
    enu = np.tensordot(_enu_rotation(lat0_deg, lon0_deg), d, axes=1)
    return enu[0], enu[1], enu[2]


def geodetic_from_enu(east_m, north_m, up_m, lat0_deg: float, lon0_deg: float, h0_m: float):
    """Inverse of :func:`enu_from_geodetic`; returns ``(lat_deg, lon_deg, h_m)``."""
    enu = np.stack(np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float), np.asarray(up_m, float)))
    d = np.tensordot(_enu_rotation(lat0_deg, lon0_deg).T, enu, axes=1)
    x0, y0, z0 = _ECEF.transform(lon0_deg, lat0_deg, h0_m)
    lon, lat, h = _ECEF_INV.transform(d[0] + x0, d[1] + y0, d[2] + z0)
    return np.asarray(lat), np.asarray(lon), np.asarray(h)
