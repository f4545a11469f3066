"""Thermal video palettes: 256-entry lookup tables and their inverse.

The ironbow ramp is :func:`vision.palettes.palette_rgb`'s, so frames rendered
here are read back by ``vision`` with the same table; this module adds the
grey palettes and an exact inverse for rendering and tests.

Every palette maps an 8-bit scalar (0 = coldest, 255 = hottest of the AGC span)
to a colour. ``white-hot`` and ``black-hot`` are grey ramps returned as
(H, W) uint8; ``ironbow`` (the FLIR/DJI look: black, deep blue, purple,
magenta, red, orange, yellow, white) is returned as (H, W, 3) uint8 RGB. All
256 ironbow entries are distinct, so :func:`to_scalar` inverts it exactly for
unmodified colours and to the nearest entry (in RGB distance) otherwise.

>>> import numpy as np
>>> v = np.array([[0, 128, 255]], dtype=np.uint8)
>>> rgb = colorize(v, "ironbow")
>>> to_scalar(rgb, "ironbow").tolist()
[[0, 128, 255]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["PALETTES", "palette_lut", "colorize", "to_scalar", "IRONBOW_LUT"]

PALETTES: tuple[str, ...] = ("white-hot", "black-hot", "ironbow")

def _build_ironbow() -> np.ndarray:
    # The colour ramp is vision's (one definition for rendering and for reading videos back).
    from vision.palettes import palette_rgb

    lut = palette_rgb("ironbow").astype(np.int32)
    # Where rounding made two neighbours equal, nudge one channel by one level so
    # that every entry stays distinct (the inverse is then exact).
    seen: set[tuple[int, int, int]] = set()
    for i in range(256):
        c = tuple(int(v) for v in lut[i])
        k = 0
        while c in seen:
            ch = k % 3
            step = 1 if lut[i, ch] < 255 else -1
            lut[i, ch] += step
            c = tuple(int(v) for v in lut[i])
            k += 1
        seen.add(c)
    lut = np.clip(lut, 0, 255).astype(np.uint8)
    lut.setflags(write=False)
    return lut


IRONBOW_LUT: np.ndarray = _build_ironbow()


def _check(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    key = {"whitehot": "white-hot", "blackhot": "black-hot", "iron": "ironbow"}.get(key, key)
    if key not in PALETTES:
        from geo.errors import InputError

        raise InputError(f"palette={name!r} is not known; allowed: {', '.join(PALETTES)}.")
    return key


def palette_lut(name: str) -> np.ndarray:
    """The (256,) uint8 grey table or (256, 3) uint8 RGB table of palette ``name``."""
    key = _check(name)
    if key == "white-hot":
        return np.arange(256, dtype=np.uint8)
    if key == "black-hot":
        return np.arange(255, -1, -1, dtype=np.uint8)
    return IRONBOW_LUT


def colorize(scalar_u8: np.ndarray, name: str) -> np.ndarray:
    """Apply palette ``name`` to an (H, W) uint8 scalar image.

    Returns (H, W) uint8 for the grey palettes, (H, W, 3) uint8 RGB for ironbow.
    """
    a = np.asarray(scalar_u8)
    if a.dtype != np.uint8:
        from geo.errors import InputError

        raise InputError(f"scalar_u8 has dtype {a.dtype}; allowed: uint8. Hint: run the AGC first.")
    return palette_lut(name)[a]


def to_scalar(image: np.ndarray, name: str) -> np.ndarray:
    """Invert palette ``name``: (H, W) grey or (H, W, 3) RGB -> (H, W) uint8 scalar.

    Colours not in the table (JPEG artefacts, overlays) map to the nearest entry.
    """
    key = _check(name)
    a = np.asarray(image)
    if key in ("white-hot", "black-hot"):
        g = a if a.ndim == 2 else np.rint(a[..., :3].astype(np.float32).mean(axis=-1)).astype(np.uint8)
        g = g.astype(np.uint8)
        return g if key == "white-hot" else (255 - g).astype(np.uint8)
    if a.ndim != 3 or a.shape[-1] < 3:
        from geo.errors import InputError

        raise InputError(f"image has shape {a.shape}; ironbow needs (H, W, 3) RGB.")
    rgb = a[..., :3].astype(np.int64)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    uniq, inv = np.unique(packed.ravel(), return_inverse=True)
    cols = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=-1).astype(np.float32)
    lut = IRONBOW_LUT.astype(np.float32)
    best = np.empty(len(uniq), np.uint8)
    for s in range(0, len(uniq), 4096):  # chunks keep the distance matrix small
        d = ((cols[s:s + 4096, None, :] - lut[None, :, :]) ** 2).sum(-1)
        best[s:s + 4096] = d.argmin(axis=1)
    return best[inv].reshape(packed.shape)
