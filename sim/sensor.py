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

from vision.agc import agc_linear, agc_plateau  # the camera's AGC lives with the frames (re-exported here)

__all__ = ["SensorModel", "COUNTS_PER_K", "counts_from_celsius", "celsius_from_counts", "agc_linear",
           "apply_sensor", "fixed_pattern", "agc_plateau", "apply_agc", "AGC_MODES", "SEED_MAX", "check_seed"]

COUNTS_PER_K = 100.0  # counts = round(T_K * 100): 0.01 K per count, 0..655.35 K
SEED_MAX = 2**32 - 1  # numpy's seeds are non-negative; 32 bits is what users expect


def check_seed(seed: object, name: str = "seed", *, maximum: int | None = SEED_MAX) -> int:
    """``seed`` as an int in 0..``maximum`` (None: no upper bound, as numpy allows); :class:`InputError` otherwise."""
    from geo.errors import InputError

    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0
            or (maximum is not None and int(seed) > maximum)):
        allowed = f"0..{maximum}" if maximum is not None else ">= 0"
        raise InputError(f"{name}={seed!r} is out of range: allowed whole numbers {allowed}. "
                         "Hint: any non-negative number works; the same seed gives the same result.")
    return int(seed)


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


AGC_MODES = ("plateau", "linear")


def apply_agc(t_c: np.ndarray, mode: str = "plateau") -> tuple[np.ndarray, tuple[float, float]]:
    """Dispatch to :func:`agc_plateau` or :func:`agc_linear`."""
    if mode == "plateau":
        return agc_plateau(t_c)
    if mode == "linear":
        return agc_linear(t_c)
    from geo.errors import InputError

    raise InputError(f"agc={mode!r} is not known; allowed: {', '.join(AGC_MODES)}.")
