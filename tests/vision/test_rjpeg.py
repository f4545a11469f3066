"""Radiometric JPEG readers on the real camera samples (skipped when ../shared/data is absent).

Ground truth for tags is the exiftool dump beside each sample.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from geo.camera import MountMode
from geo.errors import FormatError
from tests.conftest import shared_path
from vision.frame import FrameFlag, ValueKind
from vision.io import read_frame
from vision.rjpeg import decode_rjpeg, jpeg_segments, parse_dji_xmp

pytestmark = pytest.mark.shared_data


def exiftool_tags(txt_path) -> dict[str, str]:
    raw = txt_path.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8", "replace")
    tags = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            tags.setdefault(k.strip(), v.strip())
    return tags


def _float(s: str) -> float:
    return float(re.match(r"[-+]?[0-9.]+(e[-+]?\d+)?", s).group(0))


FLIR_SAMPLES = ["FLIR_E40.jpg", "FLIR_AX8.jpg", "FLIR_B60.jpg", "FLIR_T640.jpg", "FLIR.jpg", "DJI_XT2.jpg", "DJI_XTR.jpg"]
DJI_RAW_SAMPLES = ["DJI_H20T.jpg", "H20T/DJI_0001_R.JPG", "H20N/DJI_0001_R.JPG", "M2EA/DJI_0001_R.JPG",
                   "M30T/DJI_0001_R.JPG", "M3T/DJI_0001_R.JPG"]


@pytest.mark.parametrize("name", FLIR_SAMPLES)
def test_flir_fff_decodes_to_temperature_with_the_dumped_constants(name):
    jpg = shared_path("rjpeg", "samples", name)
    tags = exiftool_tags(jpg.with_suffix(".txt"))
    fr = read_frame(jpg)
    assert fr.kind is ValueKind.TEMPERATURE_C and fr.is_temperature
    assert FrameFlag.NOT_CALIBRATED not in fr.flags
    cal = fr.meta["flir"]
    # Planck constants exactly as exiftool prints them (float32 in the file).
    for key, val in (("Planck R1", cal.planck_r1), ("Planck B", cal.planck_b), ("Planck F", cal.planck_f),
                     ("Planck O", cal.planck_o), ("Planck R2", cal.planck_r2)):
        assert val == pytest.approx(_float(tags[key]), rel=1e-5), key
    assert cal.emissivity == pytest.approx(_float(tags["Emissivity"]), abs=0.005)
    assert cal.reflected_temp_c == pytest.approx(_float(tags["Reflected Apparent Temperature"]), abs=0.05)
    w, h = int(tags["Raw Thermal Image Width"]), int(tags["Raw Thermal Image Height"])
    assert fr.shape == (h, w)
    t = fr.data
    assert np.isfinite(t).all()
    assert -80.0 < float(np.median(t)) < 150.0


def test_flir_e40_temperatures_match_the_camera_range():
    """The E40 stores the image's min/max temperature (K): ours agree within 1 K."""
    jpg = shared_path("rjpeg", "samples", "FLIR_E40.jpg")
    tags = exiftool_tags(jpg.with_suffix(".txt"))
    fr = read_frame(jpg)
    assert float(fr.data.min()) == pytest.approx(_float(tags["Image Temperature Min"]) - 273.15, abs=1.0)
    assert float(fr.data.max()) == pytest.approx(_float(tags["Image Temperature Max"]) - 273.15, abs=1.0)


def test_flir_raw_median_matches_the_camera_statistic():
    for name in ("FLIR_E40.jpg", "FLIR_AX8.jpg"):
        jpg = shared_path("rjpeg", "samples", name)
        fr = read_frame(jpg)
        assert abs(int(np.median(fr.meta["raw"])) - fr.meta["flir"].raw_median) <= 25


@pytest.mark.parametrize("name", DJI_RAW_SAMPLES)
def test_dji_app3_raw_is_counts_flagged_not_calibrated(name):
    jpg = shared_path("rjpeg", "samples", name)
    fr = read_frame(jpg)
    assert fr.kind is ValueKind.COUNTS and not fr.is_temperature
    assert FrameFlag.NOT_CALIBRATED in fr.flags
    assert any("does not document" in n for n in fr.notes)
    assert fr.shape == (512, 640) and fr.data.dtype == np.uint16
    # The raw counts are the same scene as the display image (hot = bright).
    import cv2

    grey = cv2.imread(str(jpg), cv2.IMREAD_GRAYSCALE).astype(float)
    grey = cv2.resize(grey, (640, 512), interpolation=cv2.INTER_AREA)
    assert np.corrcoef(grey.ravel(), fr.data.astype(float).ravel())[0, 1] > 0.7


def test_dji_xts_falls_back_to_the_8bit_image_and_says_so():
    jpg = shared_path("rjpeg", "samples", "DJI_XTS.jpg")
    fr = read_frame(jpg)
    assert fr.kind is ValueKind.GREY
    assert {FrameFlag.FALLBACK_8BIT, FrameFlag.NOT_CALIBRATED} <= fr.flags
    assert fr.notes


def test_dji_h20t_pose_and_lrf_from_xmp():
    jpg = shared_path("rjpeg", "dji_h20t", "DJI_20220602143532_0191_T.JPG")
    fr = read_frame(jpg)
    pose = fr.pose
    assert pose is not None and pose.mount_mode is MountMode.EARTH
    assert (pose.lat_deg, pose.lon_deg, pose.alt_amsl_m) == pytest.approx((51.3661299, 12.3089511, 252.475))
    assert (pose.gimbal_pitch_deg, pose.gimbal_yaw_deg, pose.gimbal_roll_deg) == pytest.approx((-90.0, 6.0, 0.0))
    assert (pose.roll_deg, pose.pitch_deg, pose.yaw_deg) == pytest.approx((-3.1, -2.5, 3.1))
    assert fr.lrf is not None
    assert (fr.lrf.lat_deg, fr.lrf.lon_deg, fr.lrf.distance_m) == pytest.approx((51.3661270, 12.3089514, 71.085))
    assert fr.lrf.abs_alt_m == pytest.approx(181.4)
    assert fr.time_s is not None


def test_dji_sample_pose_matches_exiftool_dump():
    jpg = shared_path("rjpeg", "samples", "DJI_H20T.jpg")
    tags = exiftool_tags(jpg.with_suffix(".txt"))
    fr = read_frame(jpg)
    assert fr.pose.gimbal_yaw_deg == pytest.approx(_float(tags["Gimbal Yaw Degree"]))
    assert fr.pose.gimbal_pitch_deg == pytest.approx(_float(tags["Gimbal Pitch Degree"]))
    assert fr.pose.alt_amsl_m == pytest.approx(_float(tags["Absolute Altitude"]))
    assert fr.lrf is None  # no LRF tags in this file


def test_xt2_position_comes_from_exif_gps():
    jpg = shared_path("rjpeg", "samples", "DJI_XT2.jpg")
    fr = read_frame(jpg)
    # exiftool: 9 deg 58' 19.77" N, 76 deg 22' 40.03" E
    assert fr.pose.lat_deg == pytest.approx(9 + 58 / 60 + 19.77 / 3600, abs=1e-5)
    assert fr.pose.lon_deg == pytest.approx(76 + 22 / 60 + 40.03 / 3600, abs=1e-5)
    assert fr.pose.gimbal_yaw_deg == pytest.approx(82.400002)


def test_xmp_parser_reads_attribute_and_element_forms():
    data = (b'<x:xmpmeta><rdf:Description drone-dji:GimbalYawDegree="+12.5" DJI:RelativeAltitude="3">'
            b"<drone-dji:LRFStatus>Normal</drone-dji:LRFStatus></rdf:Description></x:xmpmeta>")
    tags = parse_dji_xmp(data)
    assert tags == {"GimbalYawDegree": "+12.5", "RelativeAltitude": "3", "LRFStatus": "Normal"}


def test_truncated_and_non_jpeg_bytes_raise_format_error():
    with pytest.raises(FormatError):
        jpeg_segments(b"not a jpeg")
    jpg = shared_path("rjpeg", "samples", "FLIR_E40.jpg").read_bytes()
    with pytest.raises(FormatError):
        decode_rjpeg(jpg[:3000])
