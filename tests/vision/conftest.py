"""Synthetic thermal scenes: hot disks on a cool, noisy, slowly varying background."""

from __future__ import annotations

import numpy as np
import pytest


def hot_disks(shape=(512, 640), disks=(), *, background=80.0, gradient=30.0, noise=2.0, seed=0,
              dtype=np.uint8) -> np.ndarray:
    """A frame with ``disks`` = [(row, col, radius_px, contrast), ...] on a tilted, noisy background."""
    rng = np.random.default_rng(seed)
    h, w = shape
    rr, cc = np.mgrid[0:h, 0:w]
    img = background + gradient * (cc / w) + rng.normal(0, noise, shape)
    for r, c, rad, contrast in disks:
        d2 = (rr - r) ** 2 + (cc - c) ** 2
        img = img + contrast * np.clip(rad + 0.5 - np.sqrt(d2), 0, 1)
    if dtype == np.uint8:
        return np.clip(np.round(img), 0, 255).astype(np.uint8)
    return img.astype(dtype)


@pytest.fixture
def disk_frame():
    return hot_disks
