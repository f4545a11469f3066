"""Surface temperature physics of the synthetic world (pure functions).

The model is deliberately simple and every constant is stated here:

Sun
    Position from the NOAA low-precision formulas (declination, equation of
    time, hour angle): good to about 0.5 deg, plenty for heating.
Irradiance on a slope
    Clear-sky direct normal irradiance ``DNI = 1000 * 0.7 ** (AM ** 0.678)``
    W/m2 (Meinel), air mass ``AM = 1 / sin(elevation)``; clouds scale it by
    ``1 - 0.75 * cloud ** 3.4`` (Kasten-Czeplak). The flux on a tilted surface
    is ``DNI * max(0, cos(incidence))`` with the incidence from slope and
    aspect: south-west slopes heat in the afternoon, north slopes stay cool.
    Cast shadows of other hills are not modelled.
Thermal inertia
    A surface answers to the *lagged* flux: an exponential memory of the last
    12 hours with a time constant per land cover (grass 0.75 h, rock 2.5 h,
    asphalt 2 h). So rocks and roads are still warm an hour after sunset:
    the classic evening decoys.
Surface temperature
    ``T_s = T_air(z) + gain * lagged_flux - night_drop * (1 - cloud) * dark``
    where ``T_air(z)`` follows the standard lapse rate (6.5 C/km) from the
    scenario's ambient at its reference elevation and ``dark`` ramps from 0 at
    sunset to 1 two hours later (radiative cooling to a clear sky). Water sits
    at its own temperature (the scenario's or the air's daily mean).
Apparent temperature
    What a broadband LWIR camera reports for a grey body:
    ``T_app = eps * T_s + (1 - eps) * T_sky`` (linearised in temperature),
    with ``T_sky = T_air - 25 * (1 - cloud) - 5`` for the cold clear sky.

Targets are layered bodies: skin near 34 C, clothing, fleece or fur in
between skin and air with a per-layer coupling ``k`` (``T = T_air + k *
(T_core_surface - T_air)``): fleece couples weakly (k ~ 0.3), so a sheep's
back is only a few degrees above the air while its face is near skin
temperature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "COVER_NAMES",
    "COVER_PARAMS",
    "CoverParams",
    "sun_position",
    "direct_normal_irradiance_w_m2",
    "incidence_cos",
    "lagged_flux",
    "air_temperature_c",
    "sky_temperature_c",
    "darkness",
    "surface_temperature_c",
    "layer_temperature_c",
    "SKIN_C",
    "LAPSE_C_PER_M",
]

LAPSE_C_PER_M = -0.0065
SKIN_C = 34.0  # skin surface of a healthy, resting human or mammal, face and hands


@dataclass(frozen=True, slots=True)
class CoverParams:
    """Thermal constants of one land cover class.

    ``gain_c_per_w_m2``: warming per W/m2 of lagged absorbed flux;
    ``tau_h``: memory of the flux (thermal inertia); ``night_drop_c``: radiative
    cooling below air on a clear night; ``emissivity``; ``texture_c``: standard
    deviation of natural texture (moisture, crowns, stones) in daylight.
    """

    name: str
    gain_c_per_w_m2: float
    tau_h: float
    night_drop_c: float
    emissivity: float
    texture_c: float


# Index in this tuple = value in the land cover raster.
COVER_NAMES: tuple[str, ...] = ("grass", "forest", "rock", "road", "building", "water", "soil")
COVER_PARAMS: tuple[CoverParams, ...] = (
    # Meadow: little inertia, strong clear-night cooling (the dew-point surface).
    CoverParams("grass", 0.012, 0.75, 4.5, 0.98, 0.35),
    # Canopy: transpiration keeps leaves near air by day; gentle night cooling.
    CoverParams("forest", 0.006, 0.5, 1.5, 0.98, 0.9),
    # Bare rock: high inertia, warms strongly, releases heat into the evening.
    CoverParams("rock", 0.020, 2.5, 2.0, 0.93, 1.2),
    # Asphalt/gravel road: hottest by day, holds heat after sunset.
    CoverParams("road", 0.026, 2.0, 1.0, 0.95, 0.25),
    # Roofs (tiles/metal) over heated rooms.
    CoverParams("building", 0.018, 1.0, 3.0, 0.90, 0.4),
    # Water: temperature set separately; emissivity 0.96 at near-normal view.
    CoverParams("water", 0.0, 12.0, 0.0, 0.96, 0.08),
    # Trampled soil (pens, paths, fields).
    CoverParams("soil", 0.020, 1.6, 2.5, 0.95, 0.5),
)


def sun_position(day_of_year: int, utc_hour: float, lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Sun ``(elevation_deg, azimuth_deg)``; azimuth clockwise from north (NOAA formulas)."""
    g = 2 * math.pi / 365.0 * (day_of_year - 1 + (utc_hour - 12) / 24.0)
    eqtime_min = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                           - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g) - 0.006758 * math.cos(2 * g)
            + 0.000907 * math.sin(2 * g) - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    true_solar_min = utc_hour * 60.0 + eqtime_min + 4.0 * lon_deg
    ha = math.radians(true_solar_min / 4.0 - 180.0)
    lat = math.radians(lat_deg)
    cos_zen = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(ha)
    zen = math.acos(max(-1.0, min(1.0, cos_zen)))
    el = 90.0 - math.degrees(zen)
    az = math.degrees(math.atan2(math.sin(ha), math.cos(ha) * math.sin(lat) - math.tan(decl) * math.cos(lat))) + 180.0
    return el, az % 360.0


def direct_normal_irradiance_w_m2(elevation_deg: float, cloud_fraction: float) -> float:
    """Direct normal irradiance for a sun at ``elevation_deg`` under ``cloud_fraction`` (0..1) cover."""
    if elevation_deg <= 0.5:
        return 0.0
    am = 1.0 / math.sin(math.radians(elevation_deg))
    return 1000.0 * 0.7 ** (am**0.678) * (1.0 - 0.75 * cloud_fraction**3.4)


def incidence_cos(slope_deg, aspect_deg, sun_el_deg: float, sun_az_deg: float):
    """cos of the sun's incidence angle on surfaces of given slope/aspect, clipped at 0 (self-shadow)."""
    s = np.radians(np.asarray(slope_deg, float))
    a = np.radians(np.asarray(aspect_deg, float))
    el = math.radians(sun_el_deg)
    az = math.radians(sun_az_deg)
    c = math.sin(el) * np.cos(s) + math.cos(el) * np.sin(s) * np.cos(az - a)
    return np.maximum(c, 0.0)


def lagged_flux(slope_deg, aspect_deg, *, day_of_year: int, utc_hour: float, lat_deg: float, lon_deg: float,
                cloud_fraction: float, tau_h: float, history_h: float = 12.0, step_h: float = 0.25):
    """Exponentially lagged direct flux (W/m2) on each surface at ``utc_hour``.

    ``sum_k F(t - k dt) w_k / sum_k w_k`` with ``w_k = exp(-k dt / tau)`` over the last ``history_h`` hours.
    """
    n = int(history_h / step_h) + 1
    acc = np.zeros(np.shape(slope_deg))
    wsum = 0.0
    for k in range(n):
        t = utc_hour - k * step_h
        doy = day_of_year + math.floor(t / 24.0)
        el, az = sun_position(int(doy), t % 24.0, lat_deg, lon_deg)
        w = math.exp(-k * step_h / tau_h)
        wsum += w
        dni = direct_normal_irradiance_w_m2(el, cloud_fraction)
        if dni > 0:
            acc += w * dni * incidence_cos(slope_deg, aspect_deg, el, az)
    return acc / wsum


def air_temperature_c(ambient_c: float, elevation_m, reference_elevation_m: float):
    """Air temperature at ``elevation_m`` by the standard lapse rate from ``ambient_c`` at the reference."""
    return ambient_c + LAPSE_C_PER_M * (np.asarray(elevation_m, float) - reference_elevation_m)


def sky_temperature_c(ambient_c: float, cloud_fraction: float) -> float:
    """Effective sky temperature seen in the LWIR band: very cold when clear, near air under cloud."""
    return ambient_c - 5.0 - 25.0 * (1.0 - cloud_fraction)


def darkness(day_of_year: int, utc_hour: float, lat_deg: float, lon_deg: float) -> float:
    """0 while the sun is above the horizon, rising to 1 two hours after sunset (radiative night cooling)."""
    for k in range(0, 9):  # look back in 15-min steps
        t = utc_hour - 0.25 * k
        el, _ = sun_position(day_of_year + math.floor(t / 24.0), t % 24.0, lat_deg, lon_deg)
        if el > 0:
            return min(1.0, 0.25 * k / 2.0)
    return 1.0


def surface_temperature_c(air_c, cover: CoverParams, flux_w_m2, dark: float, cloud_fraction: float):
    """Physical surface temperature of ``cover`` (see module docstring)."""
    return (np.asarray(air_c, float) + cover.gain_c_per_w_m2 * np.asarray(flux_w_m2, float)
            - cover.night_drop_c * (1.0 - cloud_fraction) * dark)


def layer_temperature_c(air_c: float, coupling: float, core_surface_c: float = SKIN_C) -> float:
    """Outer surface of an insulating layer: ``air + coupling * (core_surface - air)``."""
    return air_c + coupling * (core_surface_c - air_c)
