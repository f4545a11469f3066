"""Physics: sun position golden values and the heating/cooling behaviour the scenarios rely on."""

from __future__ import annotations

import numpy as np
import pytest

from sim import physics
from sim.bodies import target_parts


def test_sun_at_solar_noon_midsummer():
    # 21 June, lon 0, 12:00 UTC (solar noon within ~2 min): elevation = 90 - lat + 23.44.
    el, az = physics.sun_position(172, 12.0, 30.38, 0.0)
    assert el == pytest.approx(90 - 30.38 + 23.44, abs=0.5)
    assert az == pytest.approx(180.0, abs=3.0)


def test_sun_below_horizon_at_midnight():
    el, _ = physics.sun_position(172, 0.0, 45.0, 0.0)
    assert el < -15


def test_afternoon_south_west_slope_warmer_than_north():
    kw = dict(day_of_year=150, utc_hour=15.0 - 8, lat_deg=30.4, lon_deg=119.4, cloud_fraction=0.0, tau_h=1.0)
    sw = physics.lagged_flux(np.array(25.0), np.array(225.0), **kw)
    n = physics.lagged_flux(np.array(25.0), np.array(0.0), **kw)
    assert sw > n + 100  # late May: the sun is high, north slopes still get some
    kw["day_of_year"] = 355  # in December a north slope gets almost nothing
    sw = physics.lagged_flux(np.array(25.0), np.array(225.0), **kw)
    n = physics.lagged_flux(np.array(25.0), np.array(0.0), **kw)
    assert sw > 3 * n


def test_rock_holds_heat_after_sunset_grass_does_not():
    # 1 h after sunset in late May (about 19:50 local at lon 119.4, UTC+8).
    kw = dict(day_of_year=148, utc_hour=19.9 - 8, lat_deg=30.4, lon_deg=119.4, cloud_fraction=0.1)
    grass, rock = physics.COVER_PARAMS[0], physics.COVER_PARAMS[2]
    f_g = physics.lagged_flux(np.array(10.0), np.array(240.0), tau_h=grass.tau_h, **kw)
    f_r = physics.lagged_flux(np.array(10.0), np.array(240.0), tau_h=rock.tau_h, **kw)
    dark = physics.darkness(148, 19.9 - 8, 30.4, 119.4)
    t_g = physics.surface_temperature_c(20.0, grass, f_g, dark, 0.1)
    t_r = physics.surface_temperature_c(20.0, rock, f_r, dark, 0.1)
    assert t_r > t_g + 3.0


def test_sheep_fleece_cooler_than_face_and_warmer_than_air():
    cls, parts = target_parts("sheep", 20.0)
    fleece, face = parts[0].temperature_c, parts[1].temperature_c
    assert cls == "sheep"
    assert 20.0 < fleece < face - 5.0
    _, adult = target_parts("adult_standing", 8.0)
    assert adult[-1].temperature_c == pytest.approx(8.0 + 0.85 * (34.0 - 8.0))


def test_lapse_rate():
    assert physics.air_temperature_c(20.0, 1350.0, 350.0) == pytest.approx(13.5)
