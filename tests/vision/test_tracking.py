"""Tracking: one object over many frames is one track with growing confidence."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from vision.detection import Detection
from vision.tracking import Tracker, TrackerParams


def det(row, col, score=0.5, size=10.0, cls="sheep", fi=None):
    return Detection(row - size / 2, col - size / 2, row + size / 2, col + size / 2, score, cls, fi)


def test_one_object_in_20_frames_is_one_track_with_growing_confidence():
    tr = Tracker()
    confs = []
    for i in range(20):
        out = tr.update([det(100 + 2 * i, 200 + 1.5 * i, 0.4)], frame_index=i)
        assert len(out) == 1 and out[0].track_id == 1
        confs.append(out[0].confidence)
    assert all(b > a for a, b in zip(confs, confs[1:]))
    assert confs[0] == pytest.approx(0.4) and confs[-1] == pytest.approx(1 - 0.6 ** 20)
    (t,) = tr.tracks()
    assert t.sightings == 20 and t.first_frame == 0 and t.last_frame == 19
    assert t.velocity_row_px == pytest.approx(2.0, abs=0.01) and t.velocity_col_px == pytest.approx(1.5, abs=0.01)


def test_two_objects_crossing_paths_keep_their_ids_with_motion():
    tr = Tracker()
    for i in range(12):
        a = det(100, 50 + 8 * i, cls="person")
        b = det(100, 150 - 8 * i, cls="sheep")
        tr.update([b, a] if i % 2 else [a, b], frame_index=i)
    tracks = tr.tracks()
    assert len(tracks) == 2
    assert {t.class_name for t in tracks} == {"person", "sheep"}
    assert all(t.sightings == 12 for t in tracks)


def test_scene_shift_from_the_pose_keeps_a_fast_pan_together():
    """The drone pans 30 px/frame: without the shift the boxes never overlap."""
    tr = Tracker(TrackerParams(max_center_dist=0.5))
    for i in range(6):
        tr.update([det(200, 100 + 30 * i)], frame_index=i, shift_px=(0.0, 30.0))
    assert len(tr.tracks()) == 1
    tr2 = Tracker(TrackerParams(max_center_dist=0.5))
    for i in range(2):
        tr2.update([det(200, 100 + 30 * i)], frame_index=i)
    assert len(tr2.tracks()) == 2


def test_track_survives_short_gaps_and_closes_after_long_ones():
    tr = Tracker(TrackerParams(max_missed=2))
    tr.update([det(50, 50)], frame_index=0)
    tr.update([], frame_index=1)
    tr.update([det(50, 51)], frame_index=3)  # gap of 2 frames: same track
    assert [t.sightings for t in tr.tracks()] == [2]
    tr.update([det(50, 51)], frame_index=10)  # gap of 7: a new track
    assert [t.track_id for t in tr.tracks()] == [1, 2]
    assert [t.track_id for t in tr.tracks(include_closed=False)] == [2]


def test_out_of_order_frames_are_rejected():
    tr = Tracker()
    tr.update([det(1, 1)], frame_index=5)
    with pytest.raises(InputError):
        tr.update([], frame_index=5)
    with pytest.raises(InputError):
        TrackerParams(iou_min=1.5)


def test_nadir_shift_from_two_dji_like_poses():
    """Flying 10 m north with the camera's top edge to the north: ground moves 10 m down the image."""
    from geo.camera import CameraPose, MountMode
    from geo.coords import destination
    from vision.tracking import nadir_shift_px

    p0 = CameraPose(51.0, 12.0, 300.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0, mount_mode=MountMode.EARTH)
    lat, lon = (float(v) for v in destination(51.0, 12.0, 0.0, 10.0)[:2])
    p1 = CameraPose(lat, lon, 300.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=0.0, mount_mode=MountMode.EARTH)
    dr, dc = nadir_shift_px(p0, p1, 0.1)
    assert dr == pytest.approx(100.0, abs=0.5) and dc == pytest.approx(0.0, abs=0.5)
    # Camera yawed 90 deg (top edge east): the same northward move shifts ground to the right.
    q0 = CameraPose(51.0, 12.0, 300.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=90.0, mount_mode=MountMode.EARTH)
    q1 = CameraPose(lat, lon, 300.0, gimbal_pitch_deg=-90.0, gimbal_yaw_deg=90.0, mount_mode=MountMode.EARTH)
    dr, dc = nadir_shift_px(q0, q1, 0.1)
    assert dr == pytest.approx(0.0, abs=0.5) and dc == pytest.approx(100.0, abs=0.5)
