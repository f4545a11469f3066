"""Readers on synthetic files: 16-bit, 8-bit polarity, palettes, video, sequences, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from geo.errors import FormatError, InputError, SarIOError
from vision.frame import FrameFlag, ThermalFrame, ValueKind
from vision.io import frame_from_array, iter_sequence, iter_video, read_frame
from vision.palettes import invert_palette, palette_rgb


def _scene(rng, dtype=np.uint8, lo=60, hi=200):
    img = rng.normal((lo + hi) / 2, 5, (64, 80))
    img[20:30, 30:40] = hi
    return np.clip(img, 0, np.iinfo(dtype).max).astype(dtype)


def test_16bit_png_counts_and_scaled_temperature(tmp_path, rng):
    counts = (rng.normal(29315, 20, (48, 64))).astype(np.uint16)  # 0.01 K per count: ~20 degC
    p = tmp_path / "boson.png"
    assert cv2.imwrite(str(p), counts)
    raw = read_frame(p)
    assert raw.kind is ValueKind.COUNTS and raw.data.dtype == np.uint16
    np.testing.assert_array_equal(raw.data, counts)
    t = read_frame(p, counts_scale_c=0.01, counts_offset_c=-273.15)
    assert t.kind is ValueKind.TEMPERATURE_C
    assert float(np.median(t.data)) == pytest.approx(20.0, abs=0.05)


def test_a_counts_scale_that_cannot_be_meant_is_refused_by_the_reader(tmp_path, rng):
    counts = rng.integers(28000, 31000, (16, 16)).astype(np.uint16)
    p = tmp_path / "c.png"
    cv2.imwrite(str(p), counts)
    for scale, offset in ((0.0, 0.0), (-0.01, 0.0), (float("nan"), 0.0), (0.01, 5000.0)):
        with pytest.raises(InputError, match="counts_scale_c.*0 < scale <= 10.*centikelvin"):
            read_frame(p, counts_scale_c=scale, counts_offset_c=offset)
        with pytest.raises(InputError, match="counts_scale_c"):
            frame_from_array(counts, counts_scale_c=scale, counts_offset_c=offset)
    with pytest.raises(InputError, match="without counts_scale_c"):
        read_frame(p, counts_offset_c=-273.15)
    assert read_frame(p, counts_scale_c=0.01, counts_offset_c=-273.15).kind == ValueKind.TEMPERATURE_C


def test_16bit_tiff_round_trip(tmp_path, rng):
    counts = rng.integers(1000, 5000, (40, 50)).astype(np.uint16)
    p = tmp_path / "f.tiff"
    cv2.imwrite(str(p), counts)
    np.testing.assert_array_equal(read_frame(p).data, counts)


def test_float_tiff_is_celsius(tmp_path, rng):
    t = rng.normal(10, 2, (30, 40)).astype(np.float32)
    p = tmp_path / "t.tif"
    cv2.imwrite(str(p), t)
    fr = read_frame(p)
    assert fr.is_temperature
    np.testing.assert_allclose(fr.data, t)


def test_black_hot_is_inverted_so_hot_is_bright(tmp_path, rng):
    img = _scene(rng)
    p = tmp_path / "bh.png"
    cv2.imwrite(str(p), 255 - img)
    fr = read_frame(p, polarity="black-hot")
    np.testing.assert_array_equal(fr.data, img)
    assert FrameFlag.BLACK_HOT_INVERTED in fr.flags
    with pytest.raises(InputError, match="polarity"):
        read_frame(p, polarity="sideways")


@pytest.mark.parametrize("name", ["ironbow", "rainbow"])
def test_palette_inversion_recovers_the_scalar(name, rng):
    scalar = rng.integers(0, 256, (50, 60)).astype(np.uint8)
    rgb = palette_rgb(name)[scalar]
    back = invert_palette(rgb, name)
    # Neighbouring palette entries can share a colour: within 3 levels.
    assert np.abs(back.astype(int) - scalar.astype(int)).max() <= 3
    fr = frame_from_array(np.ascontiguousarray(rgb[..., ::-1]), palette=name)  # BGR in
    assert FrameFlag.PALETTE_INVERTED in fr.flags
    assert np.abs(fr.data.astype(int) - scalar.astype(int)).mean() < 1.0


def test_wrong_or_unknown_palette_and_colour_without_palette(rng):
    scalar = rng.integers(0, 256, (40, 40)).astype(np.uint8)
    bgr = np.ascontiguousarray(palette_rgb("rainbow")[scalar][..., ::-1])
    with pytest.raises(FormatError, match="palette"):
        frame_from_array(bgr)
    with pytest.raises(FormatError, match="does not fit"):
        frame_from_array(bgr, palette="ironbow")
    with pytest.raises(InputError, match="not known"):
        frame_from_array(bgr, palette="lava")


def test_grey_stored_as_colour_is_accepted(rng):
    g = _scene(rng)
    fr = frame_from_array(np.dstack([g, g, g]))
    assert fr.kind is ValueKind.GREY
    np.testing.assert_array_equal(fr.data, g)


def test_constant_frame_is_flagged_not_fatal():
    fr = frame_from_array(np.full((64, 80), 117, np.uint8))
    assert FrameFlag.CONSTANT in fr.flags and not fr.usable
    assert "shutter" in fr.notes[0]


def test_missing_empty_and_corrupt_files(tmp_path):
    with pytest.raises(SarIOError, match="does not exist"):
        read_frame(tmp_path / "nope.png")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_frame(tmp_path / "empty.jpg")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    with pytest.raises(FormatError):
        read_frame(tmp_path / "junk.png")
    with pytest.raises(SarIOError, match="folder"):
        read_frame(tmp_path)


def test_sequence_skips_bad_files_and_keeps_time(tmp_path, rng):
    paths = []
    for i in range(4):
        p = tmp_path / f"f{i}.png"
        cv2.imwrite(str(p), _scene(rng))
        paths.append(p)
    (tmp_path / "f2.png").write_bytes(b"garbage")
    errors: list = []
    frames = list(iter_sequence(paths, fps=10.0, on_error="skip", errors=errors))
    assert [f.frame_index for f in frames] == [0, 1, 3]
    assert [f.time_s for f in frames] == pytest.approx([0.0, 0.1, 0.3])
    assert len(errors) == 1 and errors[0][0].endswith("f2.png")
    with pytest.raises(FormatError):
        list(iter_sequence(paths))


def test_video_frames_with_timestamps(tmp_path, rng):
    p = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (80, 64), isColor=False)
    if not w.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG video")
    for _ in range(6):
        w.write(_scene(rng))
    w.release()
    frames = list(iter_video(p, start_time_s=100.0))
    assert len(frames) == 6
    assert all(isinstance(f, ThermalFrame) and f.kind is ValueKind.GREY for f in frames)
    times = [f.time_s for f in frames]
    assert times[0] == pytest.approx(100.0, abs=0.21)
    np.testing.assert_allclose(np.diff(times), 0.2, atol=0.01)
    with pytest.raises(SarIOError):
        list(iter_video(tmp_path / "missing.mp4"))


def test_frame_rejects_non_2d():
    with pytest.raises(InputError):
        ThermalFrame(np.zeros(10), ValueKind.GREY)


def test_iter_frames_skips_an_unreadable_video_in_a_live_run(tmp_path, rng):
    from vision.io import iter_frames

    good = tmp_path / "a.png"
    cv2.imwrite(str(good), _scene(rng))
    bad = tmp_path / "b.mp4"
    bad.write_bytes(b"not a video")
    errors: list = []
    frames = list(iter_frames([good, bad], on_error="skip", errors=errors))
    assert len(frames) == 1 and errors[0][0].endswith("b.mp4")


def test_frame_data_is_read_only_but_the_callers_array_is_not(rng):
    a = _scene(rng)
    fr = ThermalFrame(a, ValueKind.GREY)
    with pytest.raises(ValueError):
        fr.data[0, 0] = 1
    a[0, 0] = 1  # the caller's own array stays writable
