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


# ------------------------------------------------------------------ incremental fusion (live flights)


def _flight(seed, n_objects=25, n_frames=60, per_frame=5):
    """Sightings of objects scattered over 600 m, a few per frame, with per-frame pose error
    and classes that sometimes disagree (people, sheep, a vehicle group, hotspots)."""
    rng = np.random.default_rng(seed)
    objs = rng.uniform(-300, 300, (n_objects, 2))
    classes = ["sheep", "person", "vehicle", "hotspot", "cow"]
    out = []
    for k in range(n_frames):
        shift = rng.normal(0, 0.8, 2)
        for i in rng.choice(n_objects, per_frame, replace=False):
            x, y = objs[i] + shift + rng.normal(0, 0.3, 2)
            cls = classes[i % 5] if rng.random() > 0.15 else classes[int(rng.integers(5))]
            out.append(_s(x, y, 2.0 * k, k, cls, float(rng.uniform(0.3, 1.0))))
    return out


def _key(targets):
    return [(t.id, t.class_name, round(t.lat_deg, 9), round(t.lon_deg, 9), t.sightings, t.frame_indices,
             round(t.confidence, 9)) for t in targets]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuser_fed_frame_by_frame_equals_fusing_everything_at_once(seed):
    from telemetry.fusion import SightingFuser

    ss = _flight(seed)
    origin = (float(np.mean([s.lat_deg for s in ss])), float(np.mean([s.lon_deg for s in ss])))
    batch = fuse_sightings(ss, shared_sigma_m=1.0)
    fuser = SightingFuser(shared_sigma_m=1.0, origin=origin)
    frames = sorted({s.frame_index for s in ss})
    for lo in range(0, len(frames), 7):  # a few frames per update, as a live flight's updates come
        fuser.add([s for s in ss if s.frame_index in frames[lo:lo + 7]])
        assert len(fuser.targets()) <= len(batch)
    assert _key(fuser.targets()) == _key(batch)
    assert len(fuser) == len(ss)


def test_fuser_refuses_late_sightings_from_the_start():
    """A frame that arrives after later ones, or more sightings of a frame already fused,
    give the same targets as fusing in order: the arrival order never matters."""
    from telemetry.fusion import SightingFuser

    ss = _flight(4, n_frames=30)
    origin = (float(np.mean([s.lat_deg for s in ss])), float(np.mean([s.lon_deg for s in ss])))
    batch = _key(fuse_sightings(ss))
    late = [s for s in ss if s.frame_index == 10]
    fuser = SightingFuser(origin=origin)
    fuser.add([s for s in ss if s.frame_index != 10])
    fuser.add(late)
    assert _key(fuser.targets()) == batch
    split = SightingFuser(origin=origin)
    first_half = [s for s in ss if s.frame_index < 20 and s.frame_index != 10]
    split.add(first_half + late[:1])
    split.add([s for s in ss if s.frame_index >= 20] + late[1:])
    assert _key(split.targets()) == batch


def test_fuser_rejects_bad_settings_and_starts_empty():
    from geo.errors import InputError
    from telemetry.fusion import SightingFuser

    assert SightingFuser().targets() == () and len(SightingFuser()) == 0
    with pytest.raises(InputError, match="gate_probability"):
        SightingFuser(gate_probability=1.0)
    with pytest.raises(InputError, match="shared_sigma_m"):
        SightingFuser(shared_sigma_m=-1.0)
