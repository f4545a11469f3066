"""Coordinates, geodesy and GCJ-02: golden values with stated tolerances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    AltRef,
    CoordinateError,
    GeoPoint,
    InputError,
    SarError,
    bearing_deg,
    compass_word,
    destination,
    distance_m,
    gcj02_to_wgs84,
    inverse,
    parse_lat_lon,
    wgs84_to_gcj02,
)


def test_geopoint_is_frozen_and_validated():
    p = GeoPoint(46.5, 8.5, 1200.0, AltRef.AMSL)
    with pytest.raises(AttributeError):
        p.lat_deg = 1.0  # type: ignore[misc]
    assert GeoPoint(1, 2, 3, "home").alt_ref is AltRef.HOME


@pytest.mark.parametrize("lat,lon", [(float("nan"), 8.0), (46.0, float("inf")), (91.0, 200.0), (0.0, 181.0)])
def test_geopoint_rejects_bad_values(lat, lon):
    with pytest.raises(CoordinateError):
        GeoPoint(lat, lon)


def test_swapped_lat_lon_gets_a_hint():
    # Hangzhou given as lon, lat.
    with pytest.raises(CoordinateError, match="swapped.*lat_deg=30.25, lon_deg=120.16") as exc:
        GeoPoint(120.16, 30.25)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, SarError)


def test_parse_lat_lon():
    assert parse_lat_lon(" 44.27 , -71.30 ") == (44.27, -71.30)
    with pytest.raises(CoordinateError, match="LAT,LON"):
        parse_lat_lon("44.27")
    with pytest.raises(CoordinateError, match="swapped"):
        parse_lat_lon("120.16,30.25")


def test_geodesic_golden_geographiclib_examples():
    # GeographicLib documentation examples on WGS-84 (Karney 2013).
    # JFK -> LHR: s12 = 5551759.400319 m, azi1 = 51.198883 deg, azi2 = 107.821777 deg.
    az12, back, dist = inverse(40.6, -73.8, 51.6, -0.5)
    assert dist == pytest.approx(5551759.400319, abs=1e-3)
    assert az12 == pytest.approx(51.198883, abs=1e-6)
    assert (back - 180.0) % 360.0 == pytest.approx(107.821777, abs=1e-6)
    # Wellington -> Salamanca, nearly antipodal: s12 = 19959679.267 m.
    assert distance_m(-41.32, 174.81, 40.96, -5.50) == pytest.approx(19959679.267, abs=1e-3)


def test_one_degree_of_longitude_at_equator():
    # WGS-84 semi-major axis a = 6378137 m: 2*pi*a/360.
    assert distance_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(2 * math.pi * 6378137.0 / 360.0, abs=1e-6)
    assert bearing_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0, abs=1e-9)
    assert bearing_deg(0.0, 0.0, 1.0, 0.0) == pytest.approx(0.0, abs=1e-9)


def test_scalar_and_array_paths_agree():
    lat = np.array([30.0, 46.5])
    lon = np.array([120.0, 8.5])
    d = distance_m(lat, lon, lat + 0.01, lon + 0.01)
    assert d.shape == (2,)
    for i in range(2):
        assert d[i] == pytest.approx(distance_m(lat[i], lon[i], lat[i] + 0.01, lon[i] + 0.01), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(0, 360), st.floats(1, 20000))
def test_destination_inverts_inverse(lat, lon, brg, dist):
    lat2, lon2 = destination(lat, lon, brg, dist)
    az, _, d = inverse(lat, lon, lat2, lon2)
    assert d == pytest.approx(dist, abs=1e-6)
    assert min(abs(az - brg), 360 - abs(az - brg)) < 1e-6


@pytest.mark.parametrize("b,word", [(0, "N"), (11.2, "N"), (11.3, "NNE"), (45, "NE"), (180, "S"), (359, "N"), (270, "W")])
def test_compass_word(b, word):
    assert compass_word(b) == word


def test_gcj02_offset_in_china_and_none_outside():
    # Hangzhou West Lake: the offset is a few hundred metres.
    glat, glon = wgs84_to_gcj02(30.2590, 120.1388)
    off = distance_m(30.2590, 120.1388, glat, glon)
    assert 100.0 < off < 700.0
    # Zurich: GCJ-02 is defined only for mainland China.
    assert wgs84_to_gcj02(47.37, 8.54) == (47.37, 8.54)


def test_gcj02_golden_forward():
    # Reference point used by published implementations' tests:
    # wgs2gcj(39.915, 116.404) = (39.91640428150164, 116.41024449916938).
    glat, glon = wgs84_to_gcj02(39.915, 116.404)
    assert glat == pytest.approx(39.91640428150164, abs=1e-9)
    assert glon == pytest.approx(116.41024449916938, abs=1e-9)
    # Beijing railway station: WGS-84 (39.90105, 116.42079) is GCJ-02 (39.90245, 116.42703),
    # published to 5 decimals (about 1 m).
    glat, glon = wgs84_to_gcj02(39.90105, 116.42079)
    assert glat == pytest.approx(39.90245, abs=1.5e-5)
    assert glon == pytest.approx(116.42703, abs=1.5e-5)


@settings(max_examples=80, deadline=None)
@given(st.floats(18.0, 53.0), st.floats(74.0, 134.0))
def test_gcj02_round_trip_under_half_a_metre(lat, lon):
    glat, glon = wgs84_to_gcj02(lat, lon)
    wlat, wlon = gcj02_to_wgs84(glat, glon)
    assert distance_m(lat, lon, wlat, wlon) < 0.5


def test_gcj02_vectorised():
    lat = np.linspace(22, 45, 50)
    lon = np.linspace(100, 125, 50)
    glat, glon = wgs84_to_gcj02(lat, lon)
    wlat, wlon = gcj02_to_wgs84(glat, glon)
    assert np.max(distance_m(lat, lon, wlat, wlon)) < 0.01


def test_error_tree_mixes_builtins():
    from geo.errors import LinkError, LinkTimeout, OutOfCoverageError, SarIOError, TerrainError

    assert issubclass(TerrainError, ValueError)
    assert issubclass(OutOfCoverageError, TerrainError)
    assert issubclass(SarIOError, OSError)
    assert issubclass(LinkTimeout, TimeoutError) and issubclass(LinkTimeout, LinkError)
    assert issubclass(CoordinateError, InputError)
