"""Fusion keeps the objects of one frame apart and lets a blob change class between frames."""

from __future__ import annotations

import numpy as np
import pytest

from geo import LocalFrame
from telemetry.fusion import Sighting, fuse_sightings

FRAME = LocalFrame.at(30.38, 119.45)
COV = ((4.0, 0.0), (0.0, 4.0))  # 2 m sigma: wider than the spacing of the animals


def _s(x, y, t, k, cls="sheep", score=0.9):
    lat, lon = FRAME.to_geodetic(x, y)
    return Sighting(lat, lon, 500.0, COV, cls, score, t, k)


def test_animals_a_metre_apart_stay_apart_over_frames():
    rng = np.random.default_rng(3)
    pen = [(0.0, 0.0), (1.2, 0.0), (0.0, 1.3), (1.1, 1.4)]
    ss = []
    for k in range(6):
        shift = rng.normal(0, 1.5, 2)  # one pose error per frame moves every animal alike
        for x, y in pen:
            ss.append(_s(x + shift[0] + rng.normal(0, 0.1), y + shift[1] + rng.normal(0, 0.1), 10.0 * k, k))
    targets = fuse_sightings(ss)
    assert len(targets) == 4
    assert sorted(t.sightings for t in targets) == [6, 6, 6, 6]


def test_class_may_change_between_frames_within_a_group():
    ss = [_s(0, 0, 0.0, 0, "sheep", 0.8), _s(0.5, 0, 5.0, 1, "dog", 0.4), _s(0.2, 0.1, 10.0, 2, "sheep", 0.7)]
    (t,) = fuse_sightings(ss)
    assert t.class_name == "sheep" and t.sightings == 3
    # A warm body called a person in some frames and a sheep in others is one target...
    mixed = [_s(0.1 * k, 0, 5.0 * k, k, "person" if k % 3 else "sheep", 0.7) for k in range(9)]
    (t,) = fuse_sightings(mixed)
    assert t.sightings == 9 and dict(t.class_counts) == {"person": 6, "sheep": 3}
    # ...reported as a person as soon as the person score is half the leading class's,
    w = fuse_sightings([_s(0, 0, 0.0, 0, "sheep", 0.8), _s(0.2, 0, 5.0, 1, "sheep", 0.8),
                        _s(0.1, 0, 10.0, 2, "person", 0.8)])
    assert len(w) == 1 and w[0].class_name == "person"
    # but not for a stray person call among many sheep frames.
    many = fuse_sightings([_s(0.05 * k, 0, 5.0 * k, k, "person" if k == 4 else "sheep", 0.8) for k in range(8)])
    assert len(many) == 1 and many[0].class_name == "sheep"
    # Two bodies side by side in the same frame stay two targets, whatever their classes.
    two = fuse_sightings([_s(0, 0, 0.0, 0, "person"), _s(1.0, 0, 0.0, 0, "sheep")])
    assert {x.class_name for x in two} == {"person", "sheep"}
    # A vehicle never joins a body.
    apart = fuse_sightings([_s(0, 0, 0.0, 0, "person"), _s(0.3, 0, 5.0, 1, "vehicle")])
    assert len(apart) == 2


def test_fused_position_beats_single_sightings():
    rng = np.random.default_rng(5)
    ss = [_s(rng.normal(0, 2), rng.normal(0, 2), float(k), k) for k in range(25)]
    (t,) = fuse_sightings(ss)
    x, y = FRAME.to_local(t.lat_deg, t.lon_deg)
    assert np.hypot(x, y) < 1.2  # 2 m / sqrt(25) = 0.4 m sigma; 3 sigma
    assert t.cep_m == pytest.approx(1.1774 * 2.0 / 5.0, rel=0.05)
