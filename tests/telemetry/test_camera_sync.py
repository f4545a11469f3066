"""Clock offset from camera-trigger events: recovered within the jitter, with missing events, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from telemetry.camera_sync import ClockFit, auto_tolerance_s, fit_clock_offset, frames_inside


def _irregular_triggers(rng, n: int, t0_s: float = 50.0) -> np.ndarray:
    # Distance triggering: intervals vary with ground speed and turns (1.2..3.5 s).
    return t0_s + np.cumsum(rng.uniform(1.2, 3.5, n))


def test_offset_recovered_within_jitter_with_posix_frame_times(rng):
    trig = _irregular_triggers(rng, 40)
    true_offset = -1_654_180_000.0  # the camera stamps POSIX time, the log boot time
    frames = trig - true_offset + rng.normal(0, 0.01, trig.size)  # 10 ms shutter jitter
    fit = fit_clock_offset(frames, trig)
    assert fit.offset_s == pytest.approx(true_offset, abs=0.01)
    assert fit.matched == 40 and fit.frames == 40 and fit.events == 40
    assert fit.rms_residual_s < 0.02 and fit.max_residual_s <= fit.tolerance_s == 0.05
    assert fit.matched_fraction == 1.0


def test_missing_frames_and_extra_triggers(rng):
    trig = _irregular_triggers(rng, 50)
    frames = (trig + 3.25)[np.r_[0:10, 12:30, 33:50]]  # five frames lost
    extra = np.sort(np.concatenate([trig, [10.0, 20.0]]))  # two triggers the camera never saw
    fit = fit_clock_offset(frames, extra)
    assert fit.offset_s == pytest.approx(-3.25, abs=1e-6)
    assert fit.matched == 45 and fit.events == 52


def test_whole_second_exif_times_use_a_wider_tolerance(rng):
    trig = _irregular_triggers(rng, 30)
    frames = np.floor(trig + 7200.4)  # EXIF: whole seconds, camera clock in another time zone
    assert auto_tolerance_s(frames) == 0.6
    fit = fit_clock_offset(frames, trig)
    assert fit.matched >= 27
    # Truncation to whole seconds: the offset is right to within a second, and says so in its residuals.
    assert abs(fit.offset_s - (-7200.4)) < 1.0
    assert fit.max_residual_s <= 0.6


def test_too_few_events_names_the_option():
    with pytest.raises(InputError, match="--clock-offset-s"):
        fit_clock_offset([1.0, 2.0, 3.0], [5.0])


def test_regular_triggers_with_few_frames_are_ambiguous():
    trig = np.arange(0.0, 60.0, 2.0)
    with pytest.raises(InputError, match="ambiguous"):
        fit_clock_offset([100.0, 102.0, 104.0], trig)


def test_nothing_matches():
    with pytest.raises(InputError):
        fit_clock_offset([0.0, 10.0], [0.0, 3.3], tolerance_s=0.05)


@settings(max_examples=40, deadline=None)
@given(offset=st.floats(-1e6, 1e6), seed=st.integers(0, 2**16), n=st.integers(6, 30))
def test_any_offset_is_recovered(offset, seed, n):
    rng = np.random.default_rng(seed)
    trig = _irregular_triggers(rng, n)
    fit = fit_clock_offset(trig - offset + 0.5, trig)  # half a second keeps the times non-integer
    assert fit.offset_s == pytest.approx(offset - 0.5, abs=1e-6 * max(1.0, abs(offset)))
    assert fit.matched == n


def test_frames_inside_the_flight():
    m = frames_inside([0.0, 1.0, 2.0, 3.0], 10.0, 11.0, 12.5)
    assert m.tolist() == [False, True, True, False]


def test_clock_fit_rejects_nan():
    with pytest.raises(InputError):
        ClockFit(float("nan"), 2, 2, 2, 0.0, 0.0, 0.05)
