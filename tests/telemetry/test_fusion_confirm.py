"""Confirmation of fused targets by their opportunities (telemetry.confirm), on synthetic frames and sightings.

The frames: a nadir camera (M30T thermal, 640 x 512 px) 100 m above flat ground at 0 m AMSL,
flying east along y = 0 and taking a frame every 12 m; its footprint is 74 m along the track
(image rows) and 92 m across (columns), so a point on the track is covered by six frames. Sightings are placed by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import LocalFrame
from geo.camera import CameraPose, MountMode, camera_preset
from geo.errors import InputError
from geo.raycast import CameraView
from telemetry.confirm import ConfirmationRule, FrameCoverage, assess_targets, count_opportunities
from telemetry.fusion import Sighting, fuse_sightings

FRAME = LocalFrame.at(30.38, 119.45)
CAM = camera_preset("m30t")
AGL_M = 100.0
GSD_M = AGL_M / CAM.fx_px  # about 0.144 m/px at the centre of a nadir frame
COV = ((1.0, 0.0), (0.0, 1.0))


def _coverage(k: int, x_m: float, y_m: float = 0.0) -> FrameCoverage:
    lat, lon = FRAME.to_geodetic(x_m, y_m)
    # Flying east (yaw 90 deg); the gimbal holds the camera straight down.
    pose = CameraPose(float(lat), float(lon), AGL_M, 0.0, 0.0, 90.0, 0.0, -90.0, 0.0, MountMode.EARTH_YAW_BODY,
                      float(k))
    return FrameCoverage(k, float(k), CameraView.from_pose(CAM, pose, FRAME), GSD_M)


FLIGHT = tuple(_coverage(k, 12.0 * k) for k in range(70))  # x = 0 .. 828 m


def _covering(x_m: float, y_m: float = 0.0) -> list[int]:
    lat, lon = FRAME.to_geodetic(x_m, y_m)
    return sorted(count_opportunities([lat], [lon], [0.0], FLIGHT)[0])


def _sight(x_m: float, y_m: float, k: int, cls: str = "sheep", score: float = 0.9, area: float | None = 0.7):
    lat, lon = FRAME.to_geodetic(x_m, y_m)
    return Sighting(float(lat), float(lon), 0.0, COV, cls, score, float(k), k, None, area)


def _assess(sightings, rule=ConfirmationRule()):
    targets = fuse_sightings(sightings)
    return targets, assess_targets(targets, FLIGHT, rule)


def test_a_point_under_the_track_is_covered_by_the_frames_around_it():
    frames = _covering(400.0)
    # Footprint along the track: 512 px * 0.144 m = 74 m, so the frames within 37 m (less the 1 m
    # edge margin) of x = 400: x = 372 .. 432 m.
    assert frames == [31, 32, 33, 34, 35, 36]
    assert _covering(400.0, 500.0) == []  # far off the track
    # The footprint is 92 m across: 44 m off the track is inside, but within the 1 m edge margin it is not.
    half_across_m = (CAM.width_px / 2 - 0.5) * GSD_M
    assert _covering(400.0, half_across_m - 2.0) == frames
    assert _covering(400.0, half_across_m - 0.5) == []


def test_empty_input_gives_empty_output():
    assert count_opportunities([], [], [], FLIGHT) == []
    assert assess_targets((), FLIGHT) == ()
    assert _covering(0.0) != [] and count_opportunities([30.38], [119.45], [0.0], ())[0] == set()


def test_seen_in_most_covering_frames_is_confirmed():
    frames = _covering(400.0)
    (t,), (e,) = _assess([_sight(400.0 + 0.2 * i, 0.0, k) for i, k in enumerate(frames[:5])])
    assert (e.hits, e.opportunities) == (5, 6)
    assert e.hit_fraction == pytest.approx(5 / 6)
    assert e.support == pytest.approx(0.9 * 5 / 6)
    assert e.confirmed and e.reasons == ()


def test_seen_in_few_of_many_covering_frames_stays_a_candidate():
    # A patch of warm road under two overlapping passes: seen in 2 of 12 frames.
    back = tuple(_coverage(100 + k, 12.0 * k, 5.0) for k in range(70))
    targets = fuse_sightings([_sight(400.0, 0.0, 33), _sight(400.3, 0.0, 134)])
    (e,) = assess_targets(targets, FLIGHT + back)
    assert (e.hits, e.opportunities) == (2, 12)
    assert not e.confirmed and e.reasons == ("low_support",)


def test_one_sighting_is_never_a_target():
    _, (e,) = _assess([_sight(400.0, 0.0, 33)])
    assert e.hits == 1 and not e.confirmed and "few_hits" in e.reasons


def test_weak_sightings_support_but_do_not_make_a_target():
    frames = _covering(400.0)
    # A body half under canopy: seen in every frame, at scores around 0.45.
    _, (e,) = _assess([_sight(400.0, 0.0, k, score=0.45) for k in frames])
    assert e.hits == 6 and not e.confirmed and e.reasons == ("low_support", "low_score")
    # One confident sighting among them reaches the operating point; the support is the mean score
    # over the opportunities, which must reach one half.
    _, (e,) = _assess([_sight(400.0, 0.0, k, score=0.8 if k == 33 else 0.4) for k in frames])
    assert e.support == pytest.approx((0.8 + 5 * 0.4) / 6) and e.reasons == ("low_support",)
    _, (e,) = _assess([_sight(400.0, 0.0, k, score=0.8 if k == 33 else 0.55) for k in frames])
    assert e.confirmed


def test_class_and_size_must_agree_between_sightings():
    frames = _covering(400.0)
    # Within the animal group fusion keeps one target, but no class holds half the sightings.
    classes = ["sheep", "sheep", "cow", "dog", "animal", "cow"]
    _, (e,) = _assess([_sight(400.0, 0.0, k, cls=c, score=0.9 if c == "sheep" else 0.85)
                       for k, c in zip(frames, classes)])
    assert e.class_share == pytest.approx(2 / 6) and e.reasons == ("mixed_class",)
    # Unclassified hotspots side with the class.
    classes = ["sheep", "hotspot", "hotspot", "cow", "sheep", "sheep"]
    _, (e,) = _assess([_sight(400.0, 0.0, k, cls=c) for k, c in zip(frames, classes)])
    assert e.class_share == pytest.approx(5 / 6) and e.confirmed
    # Blob areas that jump by factors of three (texture, an edge of a field) are not one object.
    areas = [0.3, 1.0, 3.0, 0.3, 2.5, 0.7]
    _, (e,) = _assess([_sight(400.0, 0.0, k, area=a) for k, a in zip(frames, areas)])
    assert e.area_spread > 0.5 and e.reasons == ("inconsistent_size",)
    # Two areas are too few to judge; missing areas are ignored.
    _, (e,) = _assess([_sight(400.0, 0.0, k, area=a) for k, a in zip(frames, [0.3, 3.0, None, None, None, None])])
    assert e.area_spread is None and e.confirmed


def test_a_hit_outside_the_projected_footprint_counts_as_an_opportunity():
    # Pose noise can put a detection at the very border: the frame that saw it was a chance taken.
    half_across_m = (CAM.width_px / 2 - 0.5) * GSD_M
    y = half_across_m - 0.3  # inside the edge margin: no frame counts it as covered
    assert _covering(400.0, y) == []
    _, (e,) = _assess([_sight(400.0, y, 33), _sight(400.0, y, 34)])
    assert (e.hits, e.opportunities) == (2, 2) and e.confirmed


def test_shared_error_keeps_a_second_pass_on_the_same_target():
    # Pass one sees the sheep 20 times at x = 0; pass two, displaced 6 m by the GNSS wander, 5 times.
    rng = np.random.default_rng(4)
    cov = ((2.25, 0.0), (0.0, 2.25))  # 1.5 m per sighting

    def s(x, k):
        lat, lon = FRAME.to_geodetic(x + rng.normal(0, 0.3), rng.normal(0, 0.3))
        return Sighting(float(lat), float(lon), 0.0, cov, "sheep", 0.9, float(k), k)

    ss = [s(0.0, k) for k in range(20)] + [s(6.0, 100 + k) for k in range(5)]
    assert len(fuse_sightings(ss)) == 2  # the first pass alone is sure to 0.34 m
    (t,) = fuse_sightings(ss, shared_sigma_m=1.5)
    assert t.sightings == 25
    assert sorted(t.frame_indices) == list(range(20)) + list(range(100, 105))
    with pytest.raises(InputError, match="shared_sigma_m"):
        fuse_sightings(ss, shared_sigma_m=-1.0)


def test_fused_targets_carry_their_evidence():
    ss = [_sight(0.0, 0.0, 1, "sheep", 0.9, 0.6), _sight(0.1, 0.0, 2, "dog", 0.5, 0.8),
          _sight(0.2, 0.0, 3, "sheep", 0.7, None)]
    (t,) = fuse_sightings(ss)
    assert t.frame_indices == (1, 2, 3)
    assert dict(t.class_counts) == {"sheep": 2, "dog": 1}
    assert t.best_score == pytest.approx(0.9) and t.score_sum == pytest.approx(2.1)
    assert t.areas_m2 == (0.6, 0.8)


@pytest.mark.parametrize("kw, name", [({"min_hits": 0}, "min_hits"), ({"min_support": 1.5}, "min_support"),
                                      ({"min_best_score": float("nan")}, "min_best_score"),
                                      ({"max_area_spread": 0.0}, "max_area_spread"),
                                      ({"edge_margin_m": -1.0}, "edge_margin_m")])
def test_rule_rejects_bad_values_by_name(kw, name):
    with pytest.raises(InputError, match=name):
        ConfirmationRule(**kw)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-50.0, 850.0), st.floats(-60.0, 60.0), st.integers(0, 69),
                          st.floats(0.0, 1.0)), min_size=1, max_size=25))
def test_evidence_is_consistent(raw):
    # One sighting per frame and place, so fusion's one-per-frame rule holds the counts.
    ss = [_sight(x, y, k, score=sc) for x, y, k, sc in raw]
    targets = fuse_sightings(ss)
    ev = assess_targets(targets, FLIGHT)
    assert len(ev) == len(targets)
    assert sum(e.hits for e in ev) == len(ss)
    # Opportunities worked out independently from the geometry of the module docstring: a frame
    # at x = 12 k covers (x, y) when |x - 12 k| and |y| are within half the footprint less the
    # 1 m edge margin (bounds widened by 0.3 m each way for points right on an edge); the frames
    # that saw a target count too.
    half_along_m = (CAM.height_px / 2 - 0.5) * GSD_M - 1.0
    half_across_m = (CAM.width_px / 2 - 0.5) * GSD_M - 1.0
    for t, e in zip(targets, ev):
        assert e.target_id == t.id
        assert e.hits == len(set(t.frame_indices)) >= 1
        x, y = (float(v) for v in FRAME.to_local(t.lat_deg, t.lon_deg))
        seen = set(t.frame_indices)

        def covering(slack_m: float) -> set[int]:
            if abs(y) > half_across_m + slack_m:
                return set()
            return {k for k in range(len(FLIGHT)) if abs(x - 12.0 * k) <= half_along_m + slack_m}

        assert len(covering(-0.3) | seen) <= e.opportunities <= len(covering(0.3) | seen)
        assert e.hit_fraction == pytest.approx(e.hits / e.opportunities)
        assert 0.0 <= e.support <= e.hit_fraction <= 1.0
        assert e.confirmed == (e.reasons == ())
