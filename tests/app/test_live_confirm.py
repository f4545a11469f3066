"""The live feed's confirmation (thermal_sar.pipelines.live.LiveConfirmation) against the batch rule.

Synthetic flights over flat ground at 0 m AMSL: an M30T thermal camera (640 x 512 px) 80-120 m up, flying
lawnmower legs with the gimbal straight down, tilted forward (30 deg off nadir) or, now and then, looking
at the horizon (10 deg down, a view with no ground box). Objects are placed at random; each frame that
covers one sees it with some probability (real animals often, warm clutter rarely) and with a random
score. The incremental answer, re-assessed every few frames as a live flight does, must equal
``telemetry.confirm.assess_targets`` over the whole flight exactly (the same evidence, field by field).
"""

from __future__ import annotations

import numpy as np
import pytest

from geo import LocalFrame
from geo.camera import CameraPose, MountMode, camera_preset
from geo.raycast import CameraView
from telemetry.confirm import ConfirmationRule, FrameCoverage, assess_targets, count_opportunities
from telemetry.fusion import Sighting, fuse_sightings
from thermal_sar.pipelines.live import LiveConfirmation, targets_collection

FRAME = LocalFrame.at(46.5, 8.0)
CAM = camera_preset("m30t")
COV = ((0.5, 0.0), (0.0, 0.5))
RULE = ConfirmationRule(min_hits=2, min_support=0.5, min_best_score=0.5)


def _flight(rng: np.random.Generator, n: int) -> list[FrameCoverage]:
    out = []
    for k in range(n):
        leg, step = divmod(k, 40)
        x = 10.0 * step if leg % 2 == 0 else 390.0 - 10.0 * step
        y = 70.0 * leg
        agl = float(rng.uniform(80.0, 120.0))
        look = rng.random()
        pitch = -90.0 if look < 0.7 else (-60.0 if look < 0.95 else -10.0)
        lat, lon = FRAME.to_geodetic(x, y)
        pose = CameraPose(float(lat), float(lon), agl, float(rng.normal(0, 2)), float(rng.normal(0, 2)),
                          90.0 if leg % 2 == 0 else 270.0, 0.0, pitch, 0.0, MountMode.EARTH_YAW_BODY, float(k))
        out.append(FrameCoverage(k, float(k), CameraView.from_pose(CAM, pose, FRAME), agl / CAM.fx_px))
    return out


def _sightings(rng: np.random.Generator, flight: list[FrameCoverage], n_objects: int) -> dict[int, list[Sighting]]:
    """Per frame index, what that frame saw."""
    xs, ys = rng.uniform(0.0, 400.0, n_objects), rng.uniform(-30.0, 250.0, n_objects)
    real = rng.random(n_objects) < 0.5
    lat, lon = FRAME.to_geodetic(xs, ys)
    covered = count_opportunities(lat, lon, np.zeros(n_objects), flight, edge_margin_m=0.0)
    per_frame: dict[int, list[Sighting]] = {}
    for i in range(n_objects):
        p_seen = 0.8 if real[i] else 0.25
        for k in sorted(covered[i]):
            if rng.random() < p_seen:
                score = float(rng.uniform(0.6, 0.95) if real[i] else rng.uniform(0.3, 0.6))
                cls = "sheep" if real[i] or rng.random() < 0.5 else "person"
                sx, sy = xs[i] + rng.normal(0, 0.5), ys[i] + rng.normal(0, 0.5)
                a, b = FRAME.to_geodetic(sx, sy)
                area = float(rng.uniform(0.6, 0.8) if real[i] else rng.uniform(0.2, 2.0))
                per_frame.setdefault(k, []).append(Sighting(float(a), float(b), 0.0, COV, cls, score, float(k), k,
                                                            None, area))
    return per_frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_confirmation_gives_the_batch_answer(seed):
    rng = np.random.default_rng(seed)
    flight = _flight(rng, 200)
    seen = _sightings(rng, flight, 25)
    live = LiveConfirmation(RULE)
    coverages: list[FrameCoverage] = []
    sightings: list[Sighting] = []
    ever_confirmed: set[str] = set()
    for c in flight:
        coverages.append(c)
        sightings.extend(seen.get(c.frame_index, []))
        if c.frame_index % 7 == 0 and sightings:  # re-assessed every few frames, as the live feed does
            targets = fuse_sightings(sightings)
            ev = live.assess(targets, coverages, floor_m=-20.0)
            ever_confirmed |= {e.target_id for e in ev if e.confirmed}
    targets = fuse_sightings(sightings)
    incremental = live.assess(targets, coverages, floor_m=-20.0)
    batch = assess_targets(targets, flight, RULE)
    assert len(targets) >= 10
    assert incremental == batch  # every field of every target's evidence
    assert any(e.confirmed for e in batch) and any(not e.confirmed for e in batch)
    # Confirmed once, confirmed for good (ids are stable as sightings are added in time order).
    assert {t.id for t in targets if live.is_confirmed(t.id)} == ever_confirmed | {e.target_id for e in batch
                                                                                   if e.confirmed}


def test_each_target_is_projected_only_into_the_frames_near_it():
    rng = np.random.default_rng(4)
    flight = _flight(rng, 200)
    live = LiveConfirmation(RULE)
    live.index(flight, floor_m=-20.0)
    lat, lon = FRAME.to_geodetic(200.0, 70.0)
    cand = set(live.candidates_for(float(lat), float(lon), 0.0).tolist())
    truth = count_opportunities([lat], [lon], [0.0], flight, edge_margin_m=0.0)[0]
    assert truth and truth <= cand  # a superset of the frames that covered it...
    assert len(cand) < 0.3 * len(flight)  # ...far from all of them
    # Views that reach the horizon have no box: they are always tried (the projection decides).
    horizon = {c.frame_index for c in flight if c.view.pose.gimbal_pitch_deg == -10.0}
    assert horizon and horizon <= cand
    # A point below a frame's floor is tried against that frame too (exactness over speed).
    deep = set(live.candidates_for(float(lat), float(lon), -500.0).tolist())
    assert deep == set(range(len(flight)))


def test_a_confirmed_target_stays_confirmed_when_later_frames_miss_it():
    flight = [FrameCoverage(c.frame_index, c.time_s, c.view, c.gsd_m) for c in _flight(np.random.default_rng(5), 40)]
    lat, lon = FRAME.to_geodetic(150.0, 0.0)
    covering = sorted(count_opportunities([lat], [lon], [0.0], flight)[0])
    assert len(covering) >= 4
    live = LiveConfirmation(RULE)
    hits = [Sighting(float(lat), float(lon), 0.0, COV, "sheep", 0.9, float(k), k, None, 0.7) for k in covering[:2]]
    upto = covering[1] + 1
    (e,) = live.assess(fuse_sightings(hits), flight[:upto], floor_m=-20.0)
    assert e.confirmed and live.is_confirmed("T001")
    (e,) = live.assess(fuse_sightings(hits), flight, floor_m=-20.0)  # the next frames covered it and missed it
    assert not e.confirmed and "low_support" in e.reasons
    assert live.is_confirmed("T001")


class _Pipe:
    """What targets_collection reads of a FramePipeline: targets(), coverage, grid."""

    def __init__(self, sightings, coverage):
        self.sightings = sightings
        self.coverage = coverage
        self.grid = None

    def targets(self):
        return fuse_sightings(self.sightings)


def test_targets_collection_marks_candidates_with_their_evidence():
    flight = _flight(np.random.default_rng(6), 40)
    lat, lon = FRAME.to_geodetic(150.0, 0.0)
    covering = sorted(count_opportunities([lat], [lon], [0.0], flight)[0])
    lat2, lon2 = FRAME.to_geodetic(300.0, 0.0)
    sights = [Sighting(float(lat), float(lon), 0.0, COV, "sheep", 0.9, float(k), k, None, 0.7) for k in covering]
    once = [k for k in sorted(count_opportunities([lat2], [lon2], [0.0], flight)[0])][:1]
    sights += [Sighting(float(lat2), float(lon2), 0.0, COV, "person", 0.8, float(k), k, None, 0.7) for k in once]
    sights.sort(key=lambda s: s.time_s)
    conf = LiveConfirmation(RULE)
    fc, n = targets_collection(_Pipe(sights, flight), flight_id="f1", vehicle="hawk", confirmation=conf)
    props = {f["properties"]["id"]: f["properties"] for f in fc["features"]}
    assert n == 1 and set(props) == {"f1-T001", "f1-T002"}
    assert props["f1-T001"]["candidate"] is False and props["f1-T001"]["evidence"]["reasons"] == []
    cand = props["f1-T002"]
    assert cand["candidate"] is True and "few_hits" in cand["evidence"]["reasons"]
    assert cand["evidence"]["hits"] == 1 and cand["evidence"]["opportunities"] >= 2
