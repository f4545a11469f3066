"""Local metric frames: round trips, true distances, UTM zone choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import CoordinateError, LocalFrame, UtmFrame, distance_m, enu_from_geodetic, geodetic_from_enu, utm_epsg_for


@settings(max_examples=50, deadline=None)
@given(st.floats(-70, 70), st.floats(-179, 179), st.floats(-5000, 5000), st.floats(-5000, 5000))
def test_local_frame_round_trip_and_true_distance(lat0, lon0, dx, dy):
    fr = LocalFrame.at(lat0, lon0)
    lat, lon = fr.to_geodetic(dx, dy)
    x, y = fr.to_local(lat, lon)
    assert x == pytest.approx(dx, abs=1e-6) and y == pytest.approx(dy, abs=1e-6)
    # Scale 1 at the origin: planar distance equals the geodesic within 1e-5 relative at 7 km.
    d = float(np.hypot(dx, dy))
    if d > 1.0:
        assert distance_m(lat0, lon0, lat, lon) == pytest.approx(d, rel=1e-5)


def test_local_frame_axes_point_east_and_north():
    fr = LocalFrame.at(30.38, 119.45)
    lat, lon = fr.to_geodetic(0.0, 1000.0)
    assert lat > 30.38 and lon == pytest.approx(119.45, abs=1e-9)
    lat, lon = fr.to_geodetic(1000.0, 0.0)
    assert lon > 119.45


def test_array_path_matches_scalar_path():
    fr = LocalFrame.at(46.5, 8.5)
    xs = np.array([0.0, 100.0, -2500.0])
    ys = np.array([0.0, -50.0, 1800.0])
    lat, lon = fr.to_geodetic(xs, ys)
    for i in range(3):
        a, b = fr.to_geodetic(xs[i], ys[i])
        assert lat[i] == pytest.approx(a, abs=1e-12) and lon[i] == pytest.approx(b, abs=1e-12)
    xy = fr.to_local_xy(np.column_stack([lat, lon]))
    assert np.allclose(xy, np.column_stack([xs, ys]), atol=1e-6)


@pytest.mark.parametrize(
    "lat,lon,epsg",
    [(46.5, 8.5, 32632), (44.27, -71.3, 32619), (-33.9, 18.4, 32734), (60.0, 5.0, 32632), (78.0, 15.0, 32633),
     (30.38, 119.45, 32650)],
)
def test_utm_zone_choice(lat, lon, epsg):
    assert utm_epsg_for(lat, lon) == epsg
    fr = UtmFrame.for_point(lat, lon)
    x, y = fr.to_local(lat, lon)
    assert 100_000 < x < 900_000
    back = fr.to_geodetic(x, y)
    assert back[0] == pytest.approx(lat, abs=1e-9) and back[1] == pytest.approx(lon, abs=1e-9)


def test_utm_rejects_poles():
    with pytest.raises(CoordinateError, match="outside UTM"):
        utm_epsg_for(85.0, 0.0)


def test_exact_enu_round_trip_and_curvature():
    lat0, lon0, h0 = 46.5, 8.5, 1000.0
    e, n, u = enu_from_geodetic(46.5, 8.5 + 0.02, 1000.0, lat0, lon0, h0)
    # 1.53 km east at the same ellipsoidal height drops below the tangent plane by d^2 / (2R).
    assert float(u) == pytest.approx(-(float(e) ** 2) / (2 * 6.38e6), rel=0.02)
    lat, lon, h = geodetic_from_enu(e, n, u, lat0, lon0, h0)
    assert float(lat) == pytest.approx(46.5, abs=1e-10) and float(h) == pytest.approx(1000.0, abs=1e-6)
