"""Automatic gain control: a thermal core's 8-bit video from temperatures (pure functions).

What a camera's video output shows, and what a detector trained on such video should be fed when
it gets radiometric frames instead: ``plateau`` histogram equalisation as thermal cores do it by
default (FLIR's "plateau equalization": a histogram of the frame whose bins are clipped at a
plateau, so large uniform areas do not take all grey levels, mixed with a linear stretch), or a
``linear`` stretch between percentiles. The simulator renders its video with these (``sim.sensor``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["agc_linear", "agc_plateau"]


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
