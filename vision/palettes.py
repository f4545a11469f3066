"""Colour palettes of thermal cameras and their inversion back to a scalar.

A palette maps a scalar 0..255 (cold..hot) to an RGB colour. Camera videos are
often recorded through one; :func:`invert_palette` finds, for each pixel, the
palette index of the nearest colour (in RGB, through a precomputed 32x32x32
lookup cube) and reports how far the colours were from the palette, so a
frame from an unknown palette is refused instead of silently mis-read.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from geo.errors import FormatError, InputError

__all__ = ["PALETTES", "palette_rgb", "invert_palette"]

# Ironbow (FLIR "iron"): black -> deep blue/purple -> magenta -> red -> orange -> yellow -> white.
_IRONBOW_STOPS = [
    (0.00, (0, 0, 0)),
    (0.10, (32, 0, 96)),
    (0.25, (110, 0, 150)),
    (0.40, (180, 20, 130)),
    (0.55, (225, 60, 60)),
    (0.70, (250, 120, 10)),
    (0.85, (255, 195, 30)),
    (1.00, (255, 255, 230)),
]

# Rainbow: blue -> cyan -> green -> yellow -> red (the common "rainbow"/"jet"-like scale).
_RAINBOW_STOPS = [
    (0.00, (0, 0, 128)),
    (0.15, (0, 0, 255)),
    (0.35, (0, 255, 255)),
    (0.50, (0, 255, 0)),
    (0.65, (255, 255, 0)),
    (0.85, (255, 0, 0)),
    (1.00, (128, 0, 0)),
]

PALETTES: tuple[str, ...] = ("ironbow", "rainbow")


def _from_stops(stops) -> np.ndarray:
    x = np.array([s[0] for s in stops]) * 255.0
    c = np.array([s[1] for s in stops], float)
    i = np.arange(256)
    return np.stack([np.interp(i, x, c[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)


def palette_rgb(name: str) -> np.ndarray:
    """The (256, 3) uint8 RGB table of palette ``name`` (index 0 coldest)."""
    key = str(name).strip().lower().replace("-", "").replace("_", "")
    key = {"iron": "ironbow", "ironbow": "ironbow", "rainbow": "rainbow"}.get(key, key)
    if key == "ironbow":
        return _from_stops(_IRONBOW_STOPS)
    if key == "rainbow":
        return _from_stops(_RAINBOW_STOPS)
    raise InputError(
        f"palette={name!r} is not known; allowed: {', '.join(PALETTES)}. "
        "Hint: record the video in white-hot grey, or add the palette's colour table."
    )


@lru_cache(maxsize=4)
def _cube(name: str) -> tuple[np.ndarray, np.ndarray]:
    pal = palette_rgb(name).astype(np.float32)
    q = (np.arange(32, dtype=np.float32) * 8 + 4)
    r, g, b = np.meshgrid(q, q, q, indexing="ij")
    cols = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)
    d2 = (cols ** 2).sum(1)[:, None] - 2 * cols @ pal.T + (pal ** 2).sum(1)[None, :]
    idx = d2.argmin(1)
    dist = np.sqrt(np.maximum(d2[np.arange(len(idx)), idx], 0))
    return idx.astype(np.uint8).reshape(32, 32, 32), dist.astype(np.float32).reshape(32, 32, 32)


def invert_palette(rgb: np.ndarray, name: str, *, max_mean_error: float = 30.0) -> np.ndarray:
    """Map an (H, W, 3) uint8 RGB palette image back to a (H, W) uint8 scalar (hot = 255).

    Raises FormatError when the mean colour distance to the palette exceeds
    ``max_mean_error`` (RGB units): the frame uses another palette, or has
    overlays covering much of it.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(f"rgb has shape {rgb.shape} and dtype {rgb.dtype}: expected (H, W, 3) uint8.")
    idx, dist = _cube(str(name).strip().lower())
    q = rgb >> 3
    out = idx[q[..., 0], q[..., 1], q[..., 2]]
    err = float(dist[q[..., 0], q[..., 1], q[..., 2]].mean())
    if err > max_mean_error:
        raise FormatError(
            f"palette={name!r} does not fit this frame (mean colour error {err:.0f} > {max_mean_error:g}). "
            f"Hint: the camera used another palette; known: {', '.join(PALETTES)}."
        )
    return out
