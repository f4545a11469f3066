"""DJI XMP poses, cross-checked with the H20T's laser rangefinder (real images)."""

from __future__ import annotations

import pytest

from geo.camera import MountMode, camera_preset
from geo.coords import distance_m
from geo.errors import FormatError
from geo.frames import LocalFrame
from geo.raycast import HeightGrid
from geo.terrain import FlatTerrain
from telemetry import ErrorModel, PoseTrack, geotag_pixels, read_dji_pose
from telemetry.dji import parse_dji_xmp
from tests.conftest import shared_path


def _h20t_images():
    folder = shared_path("rjpeg", "dji_h20t")
    files = sorted(folder.glob("*.JPG"))
    if not files:
        pytest.skip(f"no H20T images in {folder}")
    return files


def test_xmp_pose_of_h20t():
    pose = read_dji_pose(_h20t_images()[0])
    assert (pose.lat_deg, pose.lon_deg) == pytest.approx((51.3661299, 12.3089511))
    assert pose.gimbal_pitch_deg == -90.0 and pose.gimbal_yaw_deg == 6.0
    assert pose.camera_pose().mount_mode is MountMode.EARTH
    assert pose.lrf is not None and pose.lrf.distance_m == pytest.approx(71.085)


def test_geotag_of_image_centre_agrees_with_laser_rangefinder():
    """Ground flat at the ranged point's altitude: our centre pixel must land on the LRF target.

    Horizontal agreement within 1 m and the ray's length within 0.5 m of the ranged distance, on all 8 images.
    """
    cam = camera_preset("h20t")
    for f in _h20t_images():
        p = read_dji_pose(f)
        cp = p.camera_pose()
        track = PoseTrack.from_samples([0.0, 1.0], [cp.lat_deg] * 2, [cp.lon_deg] * 2, [cp.alt_amsl_m] * 2,
                                       [cp.roll_deg] * 2, [cp.pitch_deg] * 2, [cp.yaw_deg] * 2,
                                       [cp.gimbal_roll_deg] * 2, [cp.gimbal_pitch_deg] * 2, [cp.gimbal_yaw_deg] * 2,
                                       mount_mode=MountMode.EARTH)
        frame = LocalFrame.at(cp.lat_deg, cp.lon_deg)
        grid = HeightGrid.around(FlatTerrain(p.lrf.alt_amsl_m), frame, 0.0, 0.0, 300.0, res_m=10.0)
        r = geotag_pixels([cam.cy_px], [cam.cx_px], track.poses_at([0.5]), cam, grid, errors=ErrorModel())
        assert r.hit[0]
        assert distance_m(r.lat_deg[0], r.lon_deg[0], p.lrf.lat_deg, p.lrf.lon_deg) < 1.0, f.name
        assert r.range_m[0] == pytest.approx(p.lrf.distance_m, abs=0.5), f.name
        assert r.cep_m[0] < 10.0


def test_missing_xmp_is_a_format_error():
    with pytest.raises(FormatError, match="no XMP"):
        parse_dji_xmp(b"\xff\xd8\xff\xe0 not xmp", name="x.jpg")
    with pytest.raises(FormatError, match="Latitude is missing"):
        parse_dji_xmp(b'<x:xmpmeta drone-dji:AbsoluteAltitude="+1"></x:xmpmeta>', name="x.jpg")


def test_pose_from_the_older_dji_prefix_and_element_form():
    data = (b'<x:xmpmeta><rdf:Description DJI:Latitude="46.5" DJI:Longitude="8.1" DJI:AbsoluteAltitude="900.0" '
            b'DJI:GimbalYawDegree="12.0"><DJI:GimbalPitchDegree>-60.5</DJI:GimbalPitchDegree>'
            b"</rdf:Description></x:xmpmeta>")
    p = parse_dji_xmp(data, name="xt2.jpg")
    assert (p.lat_deg, p.lon_deg, p.abs_alt_m, p.gimbal_pitch_deg, p.gimbal_yaw_deg) == (46.5, 8.1, 900.0, -60.5, 12.0)
    assert p.rel_alt_m == 0.0 and p.lrf is None
    with pytest.raises(FormatError, match=r"drone-dji:GimbalPitchDegree='x' is not a number"):
        parse_dji_xmp(data.replace(b"-60.5", b"x"), name="xt2.jpg")
