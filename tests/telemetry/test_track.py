"""The pose track: interpolation, yaw wrap, validation; clock offset estimation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.camera import MountMode
from geo.errors import InputError
from telemetry import PoseTrack, estimate_clock_offset, flag_gps_glitches


def _tr(yaws, times=None):
    n = len(yaws)
    t = times if times is not None else np.arange(n, dtype=float)
    return PoseTrack.from_samples(t, np.full(n, 46.5), np.linspace(8.0, 8.001, n), np.full(n, 600.0), np.zeros(n),
                                  np.zeros(n), yaws)


def test_yaw_interpolates_through_north():
    tr = _tr([359.0, 1.0])
    assert tr.pose_at(0.5).yaw_deg == pytest.approx(0.0, abs=1e-9)
    tr = _tr([-179.0, 179.0])
    assert abs(tr.pose_at(0.5).yaw_deg) == pytest.approx(180.0)


@settings(max_examples=80, deadline=None)
@given(a=st.floats(-720, 720), delta=st.floats(-170, 170), f=st.floats(0, 1))
def test_yaw_interpolation_takes_the_short_way(a, delta, f):
    tr = _tr([a, a + delta])
    y = tr.pose_at(f).yaw_deg
    expect = ((a + f * delta) + 180.0) % 360.0 - 180.0
    assert abs(((y - expect) + 180.0) % 360.0 - 180.0) < 1e-6


def test_pose_at_outside_track_raises_and_samples_are_sorted():
    tr = _tr([0.0, 10.0, 20.0], times=[2.0, 0.0, 1.0])
    assert list(tr.time_s) == [0.0, 1.0, 2.0]
    assert tr.pose_at(1.5).yaw_deg == pytest.approx(10.0)  # sorted: yaw 20 at t=1, 0 at t=2
    with pytest.raises(InputError, match="clock offset"):
        tr.pose_at(3.0)


def test_track_rejects_nan_and_unequal_lengths():
    with pytest.raises(InputError, match="NaN"):
        PoseTrack(np.array([0.0, 1.0]), *([np.array([1.0, np.nan])] * 9))
    with pytest.raises(InputError, match="equal length"):
        PoseTrack(np.array([0.0, 1.0]), np.array([1.0]), *([np.array([1.0, 2.0])] * 8))


def test_poses_at_vectorised_equals_scalar():
    tr = PoseTrack.from_samples([0, 1, 2], [46.5, 46.5001, 46.5002], [8, 8.0001, 8.0003], [600, 610, 605], [1, 2, 3],
                                [-1, 0, 1], [350, 10, 30], [0, 0, 0], [-80, -85, -90], [0, 5, 10],
                                mount_mode=MountMode.EARTH_YAW_BODY)
    ts = np.array([0.25, 1.5, 1.9])
    arr = tr.poses_at(ts)
    for i, t in enumerate(ts):
        p = tr.pose_at(t)
        assert (p.lat_deg, p.yaw_deg, p.gimbal_pitch_deg) == pytest.approx(
            (arr.lat_deg[i], arr.yaw_deg[i], arr.gimbal_pitch_deg[i]))
    assert arr.mount_mode is MountMode.EARTH_YAW_BODY


def test_clock_offset_from_trigger_events_with_missing_events():
    rng = np.random.default_rng(1)
    trig = np.cumsum(rng.uniform(1.5, 2.5, 40)) + 100.0  # flight clock
    true_off = 37.25
    frames = np.delete(trig - true_off, [3, 17, 30]) + rng.normal(0, 0.005, 37)  # camera clock, 3 frames lost
    trig_seen = np.delete(trig, [8, 9])  # and two trigger messages lost on the radio
    off, n = estimate_clock_offset(frames, trig_seen)
    assert off == pytest.approx(true_off, abs=0.01)
    assert n >= 33
    with pytest.raises(InputError, match="clock-offset"):
        estimate_clock_offset([1.0], trig)


def test_clock_offset_refuses_ambiguous_regular_triggers():
    trig = 100.0 + 2.0 * np.arange(30)
    frames = trig[10:13] - 5.0  # three frames of a regular 2 s series: any shift by 2 s fits as well
    with pytest.raises(InputError, match="ambiguous"):
        estimate_clock_offset(frames, trig)
    off, n = estimate_clock_offset(trig - 5.0, trig)  # all frames: unambiguous
    assert off == pytest.approx(5.0) and n == 30


def test_gps_glitch_flagged_against_barometer():
    t = np.arange(20.0)
    alt = np.full(20, 600.0) + t * 0.5
    baro = alt - 590.0
    alt[7] = 1892.0  # the 1,800 m jump while the barometer says ~13 m
    lat = np.full(20, 46.5)
    lon = np.full(20, 8.0)
    lon[12] += 0.01  # a 760 m horizontal jump in 1 s
    bad = flag_gps_glitches(t, lat, lon, alt, baro)
    assert list(np.flatnonzero(bad)) == [7, 12]
