"""Palettes: tables, inversion, and the temperature order surviving ironbow."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from geo.errors import InputError
from sim.palettes import IRONBOW_LUT, PALETTES, colorize, palette_lut, to_scalar
from sim.sensor import agc_linear


def test_ironbow_entries_distinct_and_dark_to_bright():
    assert len({tuple(c) for c in IRONBOW_LUT.tolist()}) == 256
    lum = IRONBOW_LUT.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert lum[0] == 0 and lum[-1] > 240  # black to (near) white
    # Perceived brightness rises overall (ironbow is not strictly monotone in luminance, but close).
    assert np.corrcoef(lum, np.arange(256))[0, 1] > 0.95


@settings(max_examples=30, deadline=None)
@given(arrays(np.uint8, (7, 9)), st.sampled_from(PALETTES))
def test_roundtrip_exact(img, name):
    assert np.array_equal(to_scalar(colorize(img, name), name), img)


def test_black_hot_inverts_white_hot():
    v = np.arange(256, dtype=np.uint8)[None, :]
    assert np.array_equal(colorize(v, "black-hot"), 255 - colorize(v, "white-hot"))


def test_ironbow_recovers_temperature_order():
    # A ramp of temperatures through AGC and ironbow, then back: the order is kept.
    t = np.linspace(-5.0, 35.0, 640 * 4, dtype=np.float32).reshape(4, 640)
    u8, _ = agc_linear(t, low_pct=0.0, high_pct=100.0)
    back = to_scalar(colorize(u8, "ironbow"), "ironbow")
    assert np.array_equal(back, u8)
    assert np.all(np.diff(back[0].astype(int)) >= 0)
    assert back[0, -1] - back[0, 0] >= 250


def test_ironbow_nearest_entry_for_perturbed_colours():
    rng = np.random.default_rng(1)
    v = rng.integers(0, 256, (20, 20)).astype(np.uint8)
    rgb = colorize(v, "ironbow").astype(int) + rng.integers(-1, 2, (20, 20, 3))
    back = to_scalar(np.clip(rgb, 0, 255).astype(np.uint8), "ironbow")
    assert np.abs(back.astype(int) - v.astype(int)).max() <= 3


def test_bad_palette_and_dtype():
    with pytest.raises(InputError, match="palette='rainbow'"):
        palette_lut("rainbow")
    with pytest.raises(InputError, match="uint8"):
        colorize(np.zeros((2, 2), np.float32), "ironbow")


def test_vision_reads_back_what_sim_renders():
    import numpy as np

    from vision.palettes import invert_palette

    v = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rgb = colorize(v, "ironbow")
    back = invert_palette(rgb, "ironbow")
    assert np.max(np.abs(back.astype(int) - v.astype(int))) <= 3
