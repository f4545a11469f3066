"""How high to fly, how far apart the lines are, how often to take a picture."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.camera import CAMERA_PRESETS, CameraModel
from geo.errors import InputError, out_of_range
from mission.targets import TargetSpec

__all__ = ["AltitudeChoice", "choose_altitude", "SwathGeometry", "swath_geometry", "focal_px"]


def focal_px(camera: CameraModel) -> float:
    """Geometric mean focal length in pixels (nadir GSD = range / focal_px)."""
    return math.sqrt(camera.fx_px * camera.fy_px)


@dataclass(frozen=True, slots=True)
class AltitudeChoice:
    """The planned height above ground and what it gives.

    The aircraft is kept within ``agl_m +- tolerance_m`` of the DEM; the DEM
    itself may be wrong by ``dem_margin_m``. ``px_on_target`` is at ``agl_m``,
    ``px_on_target_min`` at the top of the band.
    """

    agl_m: float
    tolerance_m: float
    dem_margin_m: float
    min_safe_agl_m: float
    ceiling_agl_m: float
    gsd_m: float
    px_on_target: float
    px_on_target_min: float
    px_needed: float
    limited_by: str  # "ceiling", "pixels" or "given"


def _px(target: TargetSpec, camera: CameraModel, agl_m: float) -> float:
    return target.length_m * focal_px(camera) / agl_m


def choose_altitude(camera: CameraModel, target: TargetSpec, *, px_needed: float = 4.0,
                    ceiling_agl_m: float = 120.0, min_safe_agl_m: float = 30.0, tolerance_m: float = 10.0,
                    dem_margin_m: float = 10.0, agl_m: float | None = None) -> AltitudeChoice:
    """The highest height above ground that keeps ``px_needed`` on the target.

    Constraints: the top of the band (``agl + tolerance``) stays under the
    legal ceiling and gives at least ``px_needed`` px; the bottom of the band
    less the DEM margin stays above ``min_safe_agl_m``. Raises
    :class:`InputError` naming the pixels at the lowest safe height and
    narrower lens presets that would work when nothing does.
    """
    for nm, v, lo, hi in (("ceiling_agl_m", ceiling_agl_m, 5.0, 1000.0), ("min_safe_agl_m", min_safe_agl_m, 0.0, 500.0),
                          ("tolerance_m", tolerance_m, 1.0, 100.0), ("dem_margin_m", dem_margin_m, 0.0, 100.0),
                          ("px_needed", px_needed, 1.0, 200.0)):
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(out_of_range(nm, v, f"{lo:g}..{hi:g}"))
    f = focal_px(camera)
    lowest = min_safe_agl_m + dem_margin_m + tolerance_m
    h_px = target.length_m * f / px_needed - tolerance_m
    h_ceiling = ceiling_agl_m - tolerance_m
    if agl_m is not None:
        if not (math.isfinite(agl_m) and lowest <= agl_m <= min(h_px, h_ceiling)):
            raise InputError(out_of_range(
                "agl_m", agl_m, f"{lowest:.0f}..{min(h_px, h_ceiling):.0f} m for this camera, target, ceiling and "
                f"band +-{tolerance_m:g} m", "leave it out to choose automatically"))
        limited = "given"
        h = float(agl_m)
    else:
        h = min(h_px, h_ceiling)
        limited = "pixels" if h_px < h_ceiling else "ceiling"
    if h < lowest:
        top = lowest + tolerance_m
        have = _px(target, camera, top)
        if h_ceiling < lowest:
            raise InputError(
                f"ceiling_agl_m={ceiling_agl_m:g} leaves no legal height: the band {lowest:.0f} +- {tolerance_m:g} m "
                f"(minimum safe height {min_safe_agl_m:g} m + DEM margin {dem_margin_m:g} m) reaches above it. "
                "Hint: lower --min-agl or --tolerance, or use a DEM with a smaller error margin.")
        better = sorted(
            {k for k, c in CAMERA_PRESETS.items() if target.length_m * focal_px(c) / top >= px_needed}
            - {k for k, c in CAMERA_PRESETS.items() if c == camera and k != "boson640"})
        lens = f"use a narrower lens such as {', '.join(better[:4])}" if better else "no camera preset is narrow enough"
        accept = max(1.0, math.floor(have * 10) / 10)
        raise InputError(
            f"no legal altitude: at {top:.0f} m above ground (the top of the lowest safe band: minimum {min_safe_agl_m:g} m "
            f"+ DEM margin {dem_margin_m:g} m + tolerance +-{tolerance_m:g} m) a {target.name} spans {have:.1f} px with "
            f"{camera.name}, {px_needed:g} px needed (allowed: a height where px >= {px_needed:g}). Hint: {lens}, "
            f"or accept a lower level with --pixels {accept:g} (below 4 px is under the detection level), "
            "or lower --min-agl where obstacles allow.")
    gsd = h / f
    return AltitudeChoice(float(h), float(tolerance_m), float(dem_margin_m), float(min_safe_agl_m),
                          float(ceiling_agl_m), float(gsd), _px(target, camera, h),
                          _px(target, camera, h + tolerance_m), float(px_needed), limited)


@dataclass(frozen=True, slots=True)
class SwathGeometry:
    """Footprint and spacing. Widths are at the bottom of the band (the narrowest footprint)."""

    footprint_cross_m: float
    footprint_along_m: float
    line_spacing_m: float
    sidelap: float
    frontlap: float
    photo_distance_m: float | None  # None: continuous video
    nominal_cross_m: float  # footprint width at agl_m


def swath_geometry(camera: CameraModel, alt: AltitudeChoice, *, sidelap: float = 0.2, frontlap: float = 0.7,
                   stills: bool = False) -> SwathGeometry:
    """Line spacing from the footprint width and sidelap; photo distance from frontlap (stills only).

    The camera's long image side is across track (landscape).
    """
    for nm, v in (("sidelap", sidelap), ("frontlap", frontlap)):
        if not (math.isfinite(v) and 0.0 <= v <= 0.9):
            raise InputError(out_of_range(nm, v, "0..0.9", "a fraction, e.g. 0.2 for 20 %"))
    low = max(alt.agl_m - alt.tolerance_m, 1.0)
    w, h = camera.footprint_size_m(low)
    nominal, _ = camera.footprint_size_m(alt.agl_m)
    return SwathGeometry(float(w), float(h), float(w * (1 - sidelap)), float(sidelap), float(frontlap),
                         float(h * (1 - frontlap)) if stills else None, float(nominal))
