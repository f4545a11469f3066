"""Slope, aspect, hillshade, segment clearance and line of sight."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from geo import (
    AltRef,
    FlatTerrain,
    GeoPoint,
    GridTerrain,
    InputError,
    LocalFrame,
    aspect_deg,
    destination,
    hillshade,
    line_of_sight,
    segment_clearance_m,
    slope_aspect_at,
    slope_deg,
)


def _plane(gx: float, gy: float, res: float = 10.0, n: int = 101) -> GridTerrain:
    """A plane rising gx per metre east and gy per metre north, in a local frame."""
    fr = LocalFrame.at(45.0, 7.0)
    half = (n - 1) * res / 2
    ax = np.linspace(-half, half, n)
    xx, yy = np.meshgrid(ax, ax[::-1])
    return GridTerrain(1000 + gx * xx + gy * yy, Affine(res, 0, -half, 0, -res, half), fr.crs, name="plane")


@pytest.mark.parametrize("gx,gy,aspect", [(0.5, 0.0, 270.0), (0.0, 0.5, 180.0), (-0.5, 0.0, 90.0), (0.0, -1.0, 0.0)])
def test_slope_and_aspect_of_planes(gx, gy, aspect):
    t = _plane(gx, gy)
    s = slope_deg(t)[5:-5, 5:-5]
    a = aspect_deg(t)[5:-5, 5:-5]
    assert np.allclose(s, math.degrees(math.atan(math.hypot(gx, gy))), atol=1e-6)
    assert np.allclose(a, aspect, atol=1e-6)
    lat, lon = 45.0, 7.0
    s2, a2 = slope_aspect_at(t, lat, lon)
    assert float(s2) == pytest.approx(math.degrees(math.atan(math.hypot(gx, gy))), abs=0.05)
    assert float(a2) % 360 == pytest.approx(aspect, abs=0.1)


def test_hillshade_lights_slopes_facing_the_sun():
    west_facing = hillshade(_plane(0.5, 0.0), azimuth_deg=270.0, altitude_deg=30.0)
    east_facing = hillshade(_plane(-0.5, 0.0), azimuth_deg=270.0, altitude_deg=30.0)
    assert west_facing.dtype == np.uint8
    assert west_facing[50, 50] > east_facing[50, 50] + 50
    with pytest.raises(InputError):
        hillshade(_plane(0, 0), altitude_deg=95.0)


def test_segment_clearance_on_flat_ground():
    f = FlatTerrain(300.0)
    a = GeoPoint(45.0, 7.0, 400.0)
    lat, lon = destination(45.0, 7.0, 90.0, 1000.0)
    b = GeoPoint(lat, lon, 350.0)
    assert segment_clearance_m(f, a, b) == pytest.approx(50.0, abs=1e-9)
    with pytest.raises(InputError, match="AMSL"):
        segment_clearance_m(f, a, GeoPoint(lat, lon, 50.0, AltRef.HOME))


def test_clearance_finds_the_ridge_between_waypoints():
    # Ridge along x = 0 rising 100 m above 1000 m; both ends 60 m above ground.
    fr = LocalFrame.at(45.0, 7.0)
    n, res = 201, 5.0
    half = (n - 1) * res / 2
    ax = np.linspace(-half, half, n)
    xx, yy = np.meshgrid(ax, ax[::-1])
    h = 1000 + 100 * np.exp(-(xx / 40.0) ** 2)
    t = GridTerrain(h, Affine(res, 0, -half, 0, -res, half), fr.crs)
    la, lo = fr.to_geodetic(-400.0, 0.0)
    lb, lob = fr.to_geodetic(400.0, 0.0)
    a, b = GeoPoint(la, lo, 1060.0), GeoPoint(lb, lob, 1060.0)
    assert segment_clearance_m(t, a, b) == pytest.approx(-40.0, abs=1.0)
    assert not line_of_sight(t, a, b)
    assert line_of_sight(t, a.with_alt(1120.0), b.with_alt(1120.0))
