"""Geodetic value types and geodesy on the WGS-84 ellipsoid.

Conventions: latitude before longitude in names and signatures
(``lat_deg, lon_deg``); every array function accepts scalars or arrays and
returns the broadcast shape. Distances and bearings use :class:`pyproj.Geod`
(Karney's algorithm, accurate to nanometres).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
from pyproj import Geod

from geo.errors import CoordinateError, out_of_range

__all__ = [
    "AltRef",
    "GeoPoint",
    "check_lat_lon",
    "distance_m",
    "bearing_deg",
    "inverse",
    "destination",
    "compass_word",
    "parse_lat_lon",
]

WGS84 = Geod(ellps="WGS84")


class AltRef(str, enum.Enum):
    """Datum of an altitude.

    AMSL: above mean sea level (the DEM's datum, EGM96 for SRTM).
    HOME: above the home (launch) point, as ArduPilot's relative altitude.
    TERRAIN: above the terrain directly below (MAVLink frame 10).
    """

    AMSL = "amsl"
    HOME = "home"
    TERRAIN = "terrain"


def check_lat_lon(lat_deg: float, lon_deg: float, *, name: str = "point") -> None:
    """Raise :class:`CoordinateError` for NaN or out-of-range coordinates.

    A latitude outside +-90 whose longitude would be a valid latitude gets a
    hint that the two look swapped.
    """
    if not (math.isfinite(lat_deg) and math.isfinite(lon_deg)):
        raise CoordinateError(
            f"{name}: lat_deg={lat_deg!r}, lon_deg={lon_deg!r} is not a finite coordinate. "
            "Hint: check the input for empty fields or NaN."
        )
    if not -90.0 <= lat_deg <= 90.0:
        hint = "give latitude in degrees, -90 (south) to 90 (north)."
        if -90.0 <= lon_deg <= 90.0:
            hint = (
                f"latitude and longitude look swapped; did you mean lat_deg={lon_deg}, "
                f"lon_deg={lat_deg}? Give 'LAT,LON' with latitude first."
            )
        raise CoordinateError(out_of_range(f"{name}: lat_deg", lat_deg, "-90 <= lat_deg <= 90", hint))
    if not -180.0 <= lon_deg <= 180.0:
        raise CoordinateError(
            out_of_range(
                f"{name}: lon_deg", lon_deg, "-180 <= lon_deg <= 180", "give longitude in degrees, east positive."
            )
        )


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS-84 position with an explicit altitude datum.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Latitude and longitude in degrees (WGS-84).
    alt_m : float
        Altitude in metres relative to ``alt_ref``.
    alt_ref : AltRef
        Datum of ``alt_m``.
    """

    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    alt_ref: AltRef = AltRef.AMSL

    def __post_init__(self) -> None:
        check_lat_lon(float(self.lat_deg), float(self.lon_deg))
        if not math.isfinite(self.alt_m):
            raise CoordinateError(f"alt_m={self.alt_m!r} is not finite. Hint: give the altitude in metres.")
        if not isinstance(self.alt_ref, AltRef):
            object.__setattr__(self, "alt_ref", AltRef(self.alt_ref))

    def with_alt(self, alt_m: float, alt_ref: AltRef | None = None) -> GeoPoint:
        """Return a copy at another altitude (and datum)."""
        return GeoPoint(self.lat_deg, self.lon_deg, alt_m, self.alt_ref if alt_ref is None else alt_ref)

    def distance_m(self, other: GeoPoint) -> float:
        """Geodesic distance in metres along the ellipsoid (altitude ignored)."""
        return float(distance_m(self.lat_deg, self.lon_deg, other.lat_deg, other.lon_deg))

    def bearing_deg(self, other: GeoPoint) -> float:
        """Initial bearing to ``other`` in degrees clockwise from true north, 0 <= b < 360."""
        return float(bearing_deg(self.lat_deg, self.lon_deg, other.lat_deg, other.lon_deg))


def inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Geodesic inverse problem.

    Returns
    -------
    (bearing_deg, back_bearing_deg, distance_m)
        Forward azimuth at point 1 and at point 2 (0..360, clockwise from north)
        and the geodesic distance in metres; shapes broadcast.
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        np.asarray(lat1_deg, float), np.asarray(lon1_deg, float), np.asarray(lat2_deg, float), np.asarray(lon2_deg, float)
    )
    az12, az21, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    az12 = np.mod(np.asarray(az12), 360.0)
    az21 = np.mod(np.asarray(az21), 360.0)
    dist = np.asarray(dist)
    if az12.ndim == 0:
        return float(az12), float(az21), float(dist)
    return az12, az21, dist


def distance_m(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Geodesic distance in metres between points (scalars or arrays)."""
    return inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg)[2]


def bearing_deg(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Initial bearing from point 1 to point 2 in degrees, 0 <= b < 360 clockwise from north."""
    return inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg)[0]


def destination(lat_deg, lon_deg, bearing_deg_, distance_m_):
    """Point reached from (lat, lon) along a geodesic; returns ``(lat_deg, lon_deg)``."""
    lat, lon, brg, dist = np.broadcast_arrays(
        np.asarray(lat_deg, float), np.asarray(lon_deg, float), np.asarray(bearing_deg_, float), np.asarray(distance_m_, float)
    )
    lon2, lat2, _ = WGS84.fwd(lon, lat, brg, dist)
    lat2 = np.asarray(lat2)
    lon2 = np.asarray(lon2)
    if lat2.ndim == 0:
        return float(lat2), float(lon2)
    return lat2, lon2


_COMPASS_16 = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


def compass_word(bearing_deg_: float) -> str:
    """16-point compass word for a bearing in degrees (``"NE"`` for 45)."""
    return _COMPASS_16[int(((bearing_deg_ % 360.0) + 11.25) // 22.5) % 16]


def parse_lat_lon(text: str, *, name: str = "point") -> tuple[float, float]:
    """Parse ``"LAT,LON"`` (degrees) into a validated ``(lat_deg, lon_deg)``."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    if len(parts) < 2:
        raise CoordinateError(
            f"{name}={text!r} is not a coordinate: expected 'LAT,LON' in decimal degrees, e.g. '44.27,-71.30'."
        )
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise CoordinateError(
            f"{name}={text!r} is not a coordinate: expected 'LAT,LON' in decimal degrees, e.g. '44.27,-71.30'."
        ) from None
    check_lat_lon(lat, lon, name=name)
    return lat, lon
