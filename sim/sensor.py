"""A thermal core's imperfections and outputs (pure functions on (H, W) float32 arrays in C).

* optics blur: Gaussian point spread, sigma ``blur_sigma_px`` (0.7 px ~ an f/1.0 LWIR lens on 12 um pixels);
* vignetting: residual lens/housing shading after the camera's own correction, ``vignetting_c`` at the corners;
* fixed-pattern noise: column offsets, pixel offsets and pixel gains that stay the same for a ``sensor_seed``;
* temporal noise: white Gaussian with sigma = NETD (50 mK for the DJI/FLIR 640 cores);
* slow drift: an offset wandering with the frame time (period 15 min) between flat-field corrections;
* counts: 16-bit linear in kelvin, :data:`COUNTS_PER_K` counts per kelvin from 0 K (FLIR "TLinear" 0.01 K);
* AGC (what the video output shows): ``plateau`` histogram equalisation as thermal cores do it by
  default (FLIR's "plateau equalization": a histogram of the frame whose bins are clipped at a plateau,
  so large uniform areas do not take all grey levels, mixed with a linear stretch), or ``linear``
  between percentiles.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SensorModel", "COUNTS_PER_K", "counts_from_celsius", "celsius_from_counts", "agc_linear",
           "apply_sensor", "fixed_pattern", "agc_plateau", "apply_agc", "AGC_MODES"]

COUNTS_PER_K = 100.0  # counts = round(T_K * 100): 0.01 K per count, 0..655.35 K


@dataclass(frozen=True, slots=True)
class SensorModel:
    """Sensor effect magnitudes; all temperatures in C (kelvin differences)."""

    netd_mk: float = 50.0
    blur_sigma_px: float = 0.7
    vignetting_c: float = 0.35
    column_fpn_c: float = 0.02
    pixel_fpn_c: float = 0.025
    gain_fpn: float = 0.004
    drift_c: float = 0.15
    sensor_seed: int = 0

    def __post_init__(self) -> None:
        from geo.errors import InputError

        for nm in ("netd_mk", "blur_sigma_px", "vignetting_c", "column_fpn_c", "pixel_fpn_c", "gain_fpn", "drift_c"):
            v = getattr(self, nm)
            if not (math.isfinite(v) and 0 <= v <= 1000):
                raise InputError(f"{nm}={v!r} is out of range: allowed 0..1000.")


def counts_from_celsius(t_c: np.ndarray) -> np.ndarray:
    """16-bit counts (uint16) of temperatures in C: ``round((T + 273.15) * 100)``, saturating."""
    t = np.asarray(t_c, np.float32)
    return np.clip(np.rint((t + np.float32(273.15)) * np.float32(COUNTS_PER_K)), 0, 65535).astype(np.uint16)


def celsius_from_counts(counts: np.ndarray) -> np.ndarray:
    """Inverse of :func:`counts_from_celsius` (float32 C)."""
    return (np.asarray(counts, np.float32) / COUNTS_PER_K - 273.15).astype(np.float32)


@functools.lru_cache(maxsize=8)
def fixed_pattern(shape: tuple[int, int], sensor_seed: int, column_c: float, pixel_c: float,
                  gain: float) -> tuple[np.ndarray, np.ndarray]:
    """``(offset_c, gain)`` arrays of a sensor's fixed pattern (read-only, cached per sensor)."""
    rng = np.random.default_rng([sensor_seed, 0x5E45])
    off = (column_c * rng.standard_normal(shape[1]).astype(np.float32)[None, :]
           + pixel_c * rng.standard_normal(shape).astype(np.float32))
    g = (1.0 + gain * rng.standard_normal(shape)).astype(np.float32)
    off.setflags(write=False)
    g.setflags(write=False)
    return off, g


@functools.lru_cache(maxsize=8)
def _vignette(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    r = np.arange(h, dtype=np.float32)[:, None] - (h - 1) / 2
    c = np.arange(w, dtype=np.float32)[None, :] - (w - 1) / 2
    v = (r * r + c * c) / ((h - 1) ** 2 / 4 + (w - 1) ** 2 / 4)
    v.setflags(write=False)
    return v


def apply_sensor(scene_c: np.ndarray, sensor: SensorModel, *, seed: int, time_s: float = 0.0,
                 motion_blur_px: tuple[float, float] | None = None) -> np.ndarray:
    """The radiometric frame (float32 C) a core reports for the apparent temperature ``scene_c``."""
    import cv2

    img = np.ascontiguousarray(scene_c, np.float32)
    if motion_blur_px is not None and math.hypot(*motion_blur_px) >= 0.5:
        drow, dcol = motion_blur_px
        n = int(math.ceil(math.hypot(drow, dcol))) * 2 + 1
        k = np.zeros((n, n), np.float32)
        c = n // 2
        for t in np.linspace(-0.5, 0.5, 4 * n):
            k[int(round(c + t * drow)), int(round(c + t * dcol))] += 1
        img = cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)
    if sensor.blur_sigma_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), sensor.blur_sigma_px, borderType=cv2.BORDER_REFLECT)
    shape = img.shape
    gain, const = _static_maps(shape, sensor)
    out = img * gain
    out += const
    phase = (sensor.sensor_seed * 0.618) % 1.0
    out += np.float32(sensor.drift_c * math.sin(2 * math.pi * (time_s / 900.0 + phase)))
    if sensor.netd_mk > 0:
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(shape, dtype=np.float32)
        noise *= np.float32(sensor.netd_mk / 1000.0)
        out += noise
    return out


@functools.lru_cache(maxsize=8)
def _static_maps(shape: tuple[int, int], sensor: SensorModel) -> tuple[np.ndarray, np.ndarray]:
    """``(gain, constant)`` so that the fixed effects are ``img * gain + constant`` (cached per sensor)."""
    off, gain = fixed_pattern(shape, sensor.sensor_seed, sensor.column_fpn_c, sensor.pixel_fpn_c, sensor.gain_fpn)
    ref = np.float32(20.0)  # gain errors act on the difference from the NUC reference
    const = (ref * (1 - gain) + off - np.float32(sensor.vignetting_c) * _vignette(shape)).astype(np.float32)
    const.setflags(write=False)
    return gain, const


def agc_linear(t_c: np.ndarray, *, low_pct: float = 0.5, high_pct: float = 99.7,
               min_span_c: float = 2.0) -> tuple[np.ndarray, tuple[float, float]]:
    """8-bit video by a linear stretch between percentiles; returns ``(u8, (lo_c, hi_c))``.

    ``min_span_c`` keeps a flat scene from turning noise into full-contrast snow.
    Percentiles are taken on every 4th pixel (the result differs from the full
    frame's by far less than one grey level).
    """
    sub = np.asarray(t_c, np.float32)[::4, ::4].ravel()
    lo, hi = np.percentile(sub, [low_pct, high_pct])
    if hi - lo < min_span_c:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - min_span_c / 2, mid + min_span_c / 2
    scale = 255.0 / (hi - lo)
    u8 = np.clip((np.asarray(t_c, np.float32) - lo) * scale + 0.5, 0, 255).astype(np.uint8)
    return u8, (float(lo), float(hi))


def agc_plateau(t_c: np.ndarray, *, plateau: float = 2.0, linear_mix: float = 0.25, bin_c: float = 0.02,
                min_span_c: float = 2.0) -> tuple[np.ndarray, tuple[float, float]]:
    """8-bit video by plateau histogram equalisation; returns ``(u8, (lo_c, hi_c))``.

    Bins of ``bin_c`` between the 0.02nd and 99.98th percentiles; each bin's count is clipped at
    ``plateau`` times the mean count of the occupied bins; the cumulative histogram maps
    temperature to grey, mixed with ``linear_mix`` of a linear stretch over the same span.
    """
    a = np.asarray(t_c, np.float32)
    sub = a[::2, ::2].ravel()
    lo, hi = (float(v) for v in np.percentile(sub, [0.02, 99.98]))
    if hi - lo < min_span_c:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - min_span_c / 2, mid + min_span_c / 2
    nb = int(min(8192, max(64, math.ceil((hi - lo) / bin_c))))
    scale = np.float32(nb / (hi - lo))
    idx = np.clip(((sub - np.float32(lo)) * scale).astype(np.int32), 0, nb - 1)
    hist = np.bincount(idx, minlength=nb).astype(np.float64)
    occupied = hist[hist > 0]
    cap = plateau * (occupied.mean() if occupied.size else 1.0)
    cdf = np.cumsum(np.minimum(hist, cap))
    cdf = (cdf - cdf[0]) / max(cdf[-1] - cdf[0], 1e-9)
    lut = np.clip(255.0 * ((1 - linear_mix) * cdf + linear_mix * np.linspace(0, 1, nb)) + 0.5, 0, 255)
    full = np.clip(((a - np.float32(lo)) * scale).astype(np.int32), 0, nb - 1)
    return lut.astype(np.uint8)[full], (lo, hi)


AGC_MODES = ("plateau", "linear")


def apply_agc(t_c: np.ndarray, mode: str = "plateau") -> tuple[np.ndarray, tuple[float, float]]:
    """Dispatch to :func:`agc_plateau` or :func:`agc_linear`."""
    if mode == "plateau":
        return agc_plateau(t_c)
    if mode == "linear":
        return agc_linear(t_c)
    from geo.errors import InputError

    raise InputError(f"agc={mode!r} is not known; allowed: {', '.join(AGC_MODES)}.")
