"""DJI video subtitles (.SRT) as a flight log: the layouts DJI writes, and what is wrong with real ones.

Synthetic subtitle files in the two layouts (the bracketed ``[key: value]`` of enterprise and recent
drones, the Mavic 2's ``GPS (lon, lat, n) ... H ..m``), with the oddities of real files: a byte-order
mark, CRLF line ends, blocks before the GPS fix (0, 0), HTML font tags. Tolerances: positions as
written (1e-9 deg), times to the millisecond, course-over-ground yaw within 1 deg.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.camera import MountMode
from geo.errors import FormatError, InputError, SarIOError
from telemetry.logs import read_log
from telemetry.srt import parse_dji_srt, read_dji_srt


def _block(i: int, t_s: float, body: str, step_s: float = 0.033) -> str:
    def code(s: float) -> str:
        ms = int(round(s * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return f"{i}\n{code(t_s)} --> {code(t_s + step_s)}\n{body}\n"


def _bracket(lat, lon, rel, abs_, gimbal=None):
    s = (f'<font size="28">FrameCnt: 1, DiffTime: 33ms\n2024-08-07 12:34:24.380\n[iso: 100] [shutter: 1/3200.0] '
         f"[fnum: 1.7] [ev: 0] [color_md: default]\n[focal_len: 24.00] [latitude: {lat:.6f}] "
         f"[longitude: {lon:.6f}]\n[rel_alt: {rel:.3f} abs_alt: {abs_:.3f}]")
    if gimbal:
        s += " [gb_yaw: {:.1f} gb_pitch: {:.1f} gb_roll: {:.1f}]".format(*gimbal)
    return s + " </font>"


def _write(path, blocks, *, crlf=False, bom=False):
    text = "\n".join(blocks)
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_bracket_layout_with_gimbal(tmp_path):
    # M30T-style subtitles, saved with a BOM and CRLF; the first two blocks come before the GPS fix.
    blocks = [_block(1, 0.0, _bracket(0.0, 0.0, 0.0, 0.0)), _block(2, 0.033, _bracket(0.0, 0.0, 0.0, 0.0))]
    blocks += [_block(i + 3, 0.067 + i / 30, _bracket(47.3987 + i * 1e-5, 8.5455, 70.1, 518.9, (12.3 + i, -80.0, 0.5)))
               for i in range(5)]
    log = read_log(_write(tmp_path / "DJI_0001.SRT", blocks, crlf=True, bom=True))
    tr = log.track
    assert len(tr) == 5 and log.summary.kind == "dji-srt"
    assert log.summary.messages == 7 and log.summary.corrupt_packets == 2  # the two blocks without a fix
    assert tr.time_s[0] == pytest.approx(0.067, abs=1e-6) and tr.time_s[-1] == pytest.approx(0.067 + 4 / 30, abs=1e-3)
    assert tr.lat_deg[2] == pytest.approx(47.39872, abs=1e-9) and tr.lon_deg[0] == pytest.approx(8.5455, abs=1e-9)
    assert np.allclose(tr.alt_amsl_m, 518.9) and log.home_alt_amsl_m == pytest.approx(518.9 - 70.1)
    assert tr.mount_mode == MountMode.EARTH  # DJI gimbal angles are absolute, as in its XMP
    assert np.allclose(tr.gimbal_yaw_deg, 12.3 + np.arange(5)) and np.allclose(tr.gimbal_pitch_deg, -80.0)
    assert np.allclose(tr.gimbal_roll_deg, 0.5)
    assert log.boot_utc_s is None  # DJI's wall-clock time has no zone: the video's own clock is used
    assert "2 skipped" in log.summary.describe() and log.summary.notes == ()


def test_without_gimbal_angles_the_image_top_follows_the_track(tmp_path):
    # Flying east at ~7.5 m/s, no gimbal tags: nadir, yaw = course over ground (90 deg), said in the notes.
    blocks = [_block(i + 1, i * 0.5, _bracket(47.0, 8.0 + i * 5e-5, 60.0, 560.0)) for i in range(10)]
    log = read_dji_srt(_write(tmp_path / "a.srt", blocks))
    assert np.allclose(log.track.gimbal_yaw_deg, 90.0, atol=1.0)
    assert np.allclose(log.track.gimbal_pitch_deg, -90.0)
    assert any("direction of flight" in n for n in log.summary.notes)
    # Hovering the whole time: north, and said so.
    still = [_block(i + 1, i * 0.5, _bracket(47.0, 8.0, 60.0, 560.0)) for i in range(4)]
    log = read_dji_srt(_write(tmp_path / "b.srt", still))
    assert np.allclose(log.track.gimbal_yaw_deg, 0.0) and any("never moved" in n for n in log.summary.notes)


def test_mavic2_layout_longitude_first_heights_above_takeoff(tmp_path):
    body = "F/2.8, SS 1000.0, ISO 100, EV 0, GPS ({lon:.6f}, {lat:.6f}, 18), D 12.34m, H {h:.2f}m, H.S 0.00m/s"
    blocks = [_block(i + 1, float(i), body.format(lon=8.5 + i * 1e-5, lat=47.25, h=1.0 + i)) for i in range(3)]
    path = _write(tmp_path / "DJI_0002.SRT", blocks)
    log = read_dji_srt(path)
    assert log.track.lon_deg[0] == pytest.approx(8.5) and log.track.lat_deg[0] == pytest.approx(47.25)
    assert np.allclose(log.track.alt_amsl_m, [1.0, 2.0, 3.0]) and log.home_alt_amsl_m == 0.0
    assert log.summary.counts["relative_only"] == 1 and any("take-off" in n for n in log.summary.notes)
    log = read_dji_srt(path, takeoff_alt_amsl_m=1200.0)
    assert np.allclose(log.track.alt_amsl_m, [1201.0, 1202.0, 1203.0]) and log.home_alt_amsl_m == 1200.0


def test_known_takeoff_altitude_replaces_djis_barometric_abs_alt(tmp_path):
    blocks = [_block(i + 1, float(i), _bracket(47.0 + i * 1e-5, 8.0, 50.0, 631.0)) for i in range(3)]
    log = read_dji_srt(_write(tmp_path / "c.srt", blocks), takeoff_alt_amsl_m=575.5)
    assert np.allclose(log.track.alt_amsl_m, 625.5) and log.home_alt_amsl_m == 575.5


def test_parse_short_milliseconds_and_out_of_range_values():
    text = ("1\n00:00:01,5 --> 00:00:02,0\n[latitude: 10.0] [longitude: 20.0] [rel_alt: 5 abs_alt: 50]\n\n"
            "2\n00:00:02,000 --> 00:00:03,000\n[latitude: 91.0] [longitude: 20.0] [rel_alt: 5 abs_alt: 50]\n\n"
            "3\n00:00:03,000 --> 00:00:04,000\n[latitude: nan] [longitude: 20.0]\n")
    records, blocks, skipped = parse_dji_srt(text)
    assert blocks == 3 and skipped == 2 and len(records) == 1
    assert records[0].time_s == pytest.approx(1.5) and math.isnan(records[0].gimbal_yaw_deg)


@pytest.mark.parametrize("content, match", [
    (b"", "no subtitle block"),
    (b"\x00\xff\x13garbage\x89PNG\r\n", "no subtitle block"),
    ("1\n00:00:00,000 --> 00:00:01,000\n[iso: 100]\n\n2\n00:00:01,000 --> 00:00:02,000\n[iso: 100]\n".encode(),
     "2 subtitle blocks but 0 with a position"),
    ("1\n00:00:00,000 --> 00:00:01,000\n[latitude: 1.0] [longitude: 2.0]\n\n"
     "2\n00:00:01,000 --> 00:00:02,000\n[latitude: 1.0] [longitude: 2.1]\n".encode(), "no altitude"),
])
def test_files_that_are_not_usable_subtitles(tmp_path, content, match):
    p = tmp_path / "bad.SRT"
    p.write_bytes(content)
    with pytest.raises(FormatError, match=match) as e:
        read_log(p)
    assert "bad.SRT" in str(e.value)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(SarIOError, match="DJI_0009.SRT' does not exist"):
        read_log(tmp_path / "DJI_0009.SRT")
    p = _write(tmp_path / "d.srt", [_block(i + 1, float(i), _bracket(47.0, 8.0, 5.0, 50.0)) for i in range(2)])
    for bad in (math.nan, 1e6, -1e4):
        with pytest.raises(InputError, match="takeoff_alt_amsl_m"):
            read_dji_srt(p, takeoff_alt_amsl_m=bad)
    with pytest.raises(FormatError, match=r"\.srt \(DJI video subtitles\)"):
        read_log(tmp_path / "flight.csv")


def test_older_and_misspelt_variants():
    # A Phantom 4's GPS(lon,lat,n) BAROMETER:h (HOME(...) is not the drone); a Mavic Air 2's "longtitude"
    # with spaces before the colons and a relative "altitude".
    text = ("1\n00:00:00,000 --> 00:00:01,000\nHOME(149.0251,-20.2532) 2017.08.05 14:11:51\n"
            "GPS(149.0252,-20.2533,16) BAROMETER:1.9\nISO:100 Shutter:60 EV: Fnum:2.2\n\n"
            '2\n00:00:01,000 --> 00:00:02,000\n<font size="28">SrtCnt : 2, DiffTime : 1000ms\n'
            "[latitude : 22.5] [longtitude : 113.9] [altitude: 36.5]</font>\n")
    (a, b), blocks, skipped = parse_dji_srt(text)
    assert (a.lat_deg, a.lon_deg, a.rel_alt_m) == (-20.2533, 149.0252, 1.9)
    assert (b.time_s, b.lat_deg, b.lon_deg, b.rel_alt_m) == (1.0, 22.5, 113.9, 36.5)
    assert math.isnan(b.abs_alt_m) and blocks == 2 and skipped == 0


def test_repeated_timecodes_keep_the_first_block(tmp_path):
    # Two blocks at the same time (DiffTime 0) would make the course undefined: the first one is kept.
    blocks = [_block(1, 0.0, _bracket(47.0, 8.0, 60.0, 560.0)), _block(2, 0.0, _bracket(47.1, 8.0, 60.0, 560.0)),
              _block(3, 1.0, _bracket(47.0, 8.0001, 60.0, 560.0))]
    log = read_dji_srt(_write(tmp_path / "r.srt", blocks))
    assert len(log.track) == 2 and log.track.lat_deg[0] == 47.0
    assert np.isfinite(log.track.gimbal_yaw_deg).all()
