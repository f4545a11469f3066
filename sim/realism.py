"""Statistics that compare synthetic frames with real ones (pure functions on 8-bit frames).

All values are in grey levels of the 8-bit video (what a detector sees):

* ``noise_gl``: robust std of the pixel-scale residual ``img - median3x3(img)`` (MAD x 1.4826),
  dominated by temporal noise and fixed pattern;
* ``texture_gl``: std of the band-pass ``blur(1 px) - blur(8 px)``: scene texture at 1-8 px scales;
* ``spread_gl``: std of the whole frame (how much of the AGC range the scene uses);
* ``saturated``: share of pixels at 0 or 255;
* per box: ``size_px`` = sqrt(w h), ``contrast_gl`` = mean of the box's hottest quarter minus the
  median of a ring around the box (one box size wide), ``snr`` = contrast / ring std.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["frame_stats", "box_stats"]


def frame_stats(img_u8: np.ndarray) -> dict[str, float]:
    """Noise, texture and spread statistics of an (H, W) uint8 frame (see module docstring)."""
    import cv2

    a = np.asarray(img_u8)
    if a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
    f = a.astype(np.float32)
    resid = f - cv2.medianBlur(a, 3).astype(np.float32)
    mad = float(np.median(np.abs(resid - np.median(resid))))
    band = cv2.GaussianBlur(f, (0, 0), 1.0) - cv2.GaussianBlur(f, (0, 0), 8.0)
    return {
        "noise_gl": 1.4826 * mad,
        "texture_gl": float(band.std()),
        "spread_gl": float(f.std()),
        "saturated": float(np.mean((a == 0) | (a == 255))),
    }


def box_stats(img_u8: np.ndarray, box_xywh: tuple[float, float, float, float]) -> dict[str, float] | None:
    """Size and contrast of one labelled box; None when the box or its ring leaves too little frame."""
    a = np.asarray(img_u8, np.float32)
    if a.ndim == 3:
        a = a.mean(axis=-1)
    h, w = a.shape
    x, y, bw, bh = (float(v) for v in box_xywh)
    if bw < 1 or bh < 1:
        return None
    x0, y0 = int(math.floor(x)), int(math.floor(y))
    x1, y1 = int(math.ceil(x + bw)), int(math.ceil(y + bh))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    inside = a[y0:y1, x0:x1].ravel()
    m = int(math.ceil(max(bw, bh)))
    rx0, ry0, rx1, ry1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    ring = a[ry0:ry1, rx0:rx1].copy()
    ring[y0 - ry0:y1 - ry0, x0 - rx0:x1 - rx0] = np.nan
    ring = ring[np.isfinite(ring)]
    if ring.size < 16:
        return None
    top = np.sort(inside)[-max(1, inside.size // 4):]
    contrast = float(top.mean() - np.median(ring))
    sd = float(ring.std())
    return {"size_px": math.sqrt(bw * bh), "contrast_gl": contrast, "snr": contrast / max(sd, 0.5)}
