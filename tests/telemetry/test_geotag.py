"""Geotagging geometry, ellipses and CEP, fusion and GeoJSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.camera import CameraModel, MountMode
from geo.coords import distance_m
from geo.frames import LocalFrame
from geo.raycast import HeightGrid
from geo.terrain import FlatTerrain
from telemetry import ErrorModel, PoseTrack, Sighting, cep_from_cov, ellipse_from_cov, fuse_sightings, geotag_pixels
from telemetry import targets_geojson

LAT, LON = 46.5, 8.0


@pytest.fixture(scope="module")
def flat():
    frame = LocalFrame.at(LAT, LON)
    return frame, HeightGrid.around(FlatTerrain(400.0), frame, 0.0, 0.0, 1000.0, res_m=20.0)


def _track(alt=500.0, pitch_g=-90.0, yaw=0.0, mode=MountMode.EARTH_YAW_BODY):
    return PoseTrack.from_samples([0.0, 10.0], [LAT, LAT], [LON, LON], [alt, alt], [0, 0], [0, 0], [yaw, yaw],
                                  None, [pitch_g, pitch_g], None, mount_mode=mode)


def test_nadir_centre_pixel_lands_below(flat):
    cam = CameraModel.from_fov(640, 512, 60.0)
    poses = _track().poses_at([5.0])
    r = geotag_pixels([cam.cy_px], [cam.cx_px], poses, cam, flat[1], errors=ErrorModel.perfect())
    assert r.hit[0]
    assert distance_m(LAT, LON, r.lat_deg[0], r.lon_deg[0]) < 0.02
    assert r.range_m[0] == pytest.approx(100.0, abs=0.02)
    assert r.cep_m[0] == pytest.approx(0.0, abs=1e-9)


def test_pixel_offset_matches_pinhole_geometry(flat):
    cam = CameraModel.from_fov(640, 512, 60.0)
    # Camera looks down, vehicle heading east (yaw 90): the image top points east.
    poses = _track(yaw=90.0).poses_at([1.0])
    r = geotag_pixels([cam.cy_px - 100.0], [cam.cx_px], poses, cam, flat[1], errors=ErrorModel.perfect())
    x, y = r.x_m[0], r.y_m[0]
    assert x == pytest.approx(100.0 * 100.0 / cam.fy_px, abs=0.02) and y == pytest.approx(0.0, abs=0.02)


def test_sky_and_out_of_track_are_misses(flat):
    cam = CameraModel.from_fov(640, 512, 60.0)
    tr = _track(pitch_g=10.0)  # looking above the horizon
    r = geotag_pixels([cam.cy_px], [cam.cx_px], tr.poses_at([5.0]), cam, flat[1])
    assert not r.hit[0] and math.isnan(r.lat_deg[0]) and math.isnan(r.cep_m[0])
    r2 = geotag_pixels([cam.cy_px], [cam.cx_px], _track().poses_at([50.0]), cam, flat[1])
    assert not r2.hit[0]  # 40 s after the end of the log: no extrapolation


def test_uncertainty_grows_with_range_and_obliquity(flat):
    cam = CameraModel.from_fov(640, 512, 60.0)
    em = ErrorModel(0.5, 0.5, 2.0, 0.5, 2.0, 2.0, 5.0, 0.0, 1.0)
    nadir = geotag_pixels([cam.cy_px], [cam.cx_px], _track().poses_at([5.0]), cam, flat[1], errors=em)
    high = geotag_pixels([cam.cy_px], [cam.cx_px], _track(alt=700.0).poses_at([5.0]), cam, flat[1], errors=em)
    oblique = geotag_pixels([cam.cy_px], [cam.cx_px], _track(pitch_g=-30.0).poses_at([5.0]), cam, flat[1], errors=em)
    assert nadir.cep_m[0] < high.cep_m[0] < oblique.cep_m[0]
    # Oblique: the ellipse is long along the line of sight (north, yaw 0).
    assert oblique.orientation_deg[0] == pytest.approx(0.0, abs=1.0) or oblique.orientation_deg[0] == pytest.approx(
        180.0, abs=1.0)
    assert oblique.semi_major_m[0] > 1.3 * oblique.semi_minor_m[0]


def test_ellipse_and_cep_of_known_covariances():
    circ = np.array([[[4.0, 0.0], [0.0, 4.0]]])
    a, b, o = ellipse_from_cov(circ, 0.90)
    assert a[0] == pytest.approx(2.0 * math.sqrt(-2 * math.log(0.1))) and b[0] == pytest.approx(a[0])
    assert cep_from_cov(circ)[0] == pytest.approx(2.0 * 1.177410, rel=1e-4)  # Rayleigh median
    line = np.array([[[0.0, 0.0], [0.0, 9.0]]])  # north only, sigma 3
    assert cep_from_cov(line)[0] == pytest.approx(3.0 * 0.674490, rel=1e-4)
    assert ellipse_from_cov(line)[2][0] == pytest.approx(0.0)
    ne = np.array([[[5.0, 4.0], [4.0, 5.0]]])  # elongated along north-east
    assert ellipse_from_cov(ne)[2][0] == pytest.approx(45.0)


@settings(max_examples=60, deadline=None)
@given(s1=st.floats(0.1, 50), s2=st.floats(0.1, 50), ang=st.floats(0, math.pi))
def test_cep_is_between_the_axis_bounds(s1, s2, ang):
    c, s = math.cos(ang), math.sin(ang)
    r = np.array([[c, -s], [s, c]])
    cov = r @ np.diag([s1**2, s2**2]) @ r.T
    cep = cep_from_cov(cov[None])[0]
    lo, hi = min(s1, s2), max(s1, s2)
    assert 0.6744 * hi - 1e-9 <= cep <= 1.1775 * hi + 1e-9
    assert cep >= 1.1774 * lo - 1e-6


def _s(lat, lon, cls="person", t=0.0, var=4.0, score=0.6):
    return Sighting(lat, lon, 400.0, ((var, 0.0), (0.0, var)), cls, score, t)


def test_fusion_merges_repeats_and_keeps_distinct_targets():
    d = 1.0 / 111_000.0
    rng = np.random.default_rng(5)
    ss = [_s(LAT + rng.normal(0, 2) * d, LON, t=float(i)) for i in range(6)]  # one person, 6 sightings
    ss.append(_s(LAT + 60 * d, LON, t=2.5))  # another person 60 m north
    ss.append(_s(LAT, LON, cls="vehicle", t=3.5))  # a vehicle at the same place: never merged with a body
    targets = fuse_sightings(ss)
    assert [t.sightings for t in targets] == [6, 1, 1]
    person = targets[0]
    assert person.first_seen_s == 0.0 and person.last_seen_s == 5.0
    assert person.confidence == pytest.approx(1 - 0.4**6)
    assert person.cep_m < cep_from_cov(np.array([[[4.0, 0], [0, 4.0]]]))[0] / 2  # 6 looks beat one
    assert distance_m(LAT, LON, person.lat_deg, person.lon_deg) < 3.0


def test_geojson_schema_for_the_maps_package():
    t = fuse_sightings([_s(LAT, LON, t=1.0), _s(LAT, LON, t=4.0)])
    doc = json.loads(targets_geojson(t))
    assert doc["type"] == "FeatureCollection"
    f = doc["features"][0]
    assert f["geometry"]["type"] == "Point" and f["geometry"]["coordinates"] == pytest.approx([LON, LAT])
    p = f["properties"]
    assert set(p) == {"id", "class_name", "confidence", "sightings", "cep_m", "ellipse", "first_seen_s",
                      "last_seen_s", "alt_amsl_m", "status"}
    assert set(p["ellipse"]) == {"semi_major_m", "semi_minor_m", "orientation_deg"}
    assert p["status"] == "new" and p["sightings"] == 2 and isinstance(p["id"], str)
    assert 0.0 <= p["confidence"] <= 1.0 and p["first_seen_s"] == 1.0 and p["last_seen_s"] == 4.0


def test_pixel_sensitivity_analytic_equals_numeric_with_distortion(flat):
    """The analytic pixel derivative (no distortion) agrees with the numeric one (tiny distortion)."""
    cam = CameraModel.from_fov(640, 512, 60.0)
    cam_d = CameraModel.from_intrinsics(640, 512, cam.fx_px, cam.fy_px, cam.cx_px, cam.cy_px, (1e-9, 0, 0, 0))
    em = ErrorModel(0, 0, 0, 0, 0, 0, 0, 0, 2.0)
    poses = _track(pitch_g=-50.0, yaw=30.0).poses_at([1.0, 2.0, 3.0])
    rows, cols = [10.0, 250.0, 500.0], [600.0, 320.0, 5.0]
    a = geotag_pixels(rows, cols, poses, cam, flat[1], errors=em)
    b = geotag_pixels(rows, cols, poses, cam_d, flat[1], errors=em)
    assert a.cov_en_m2 == pytest.approx(b.cov_en_m2, rel=1e-3, abs=1e-3)  # numeric: 0.5 px differences


GOLDEN = __import__("pathlib").Path(__file__).parent / "data" / "targets_golden.geojson"


def _golden_targets():
    d = 1.0 / 111_000.0
    ss = [
        Sighting(LAT, LON, 612.0, ((4.0, 1.0), (1.0, 2.0)), "person", 0.8, 812.5, 3, b"\x89PNG\r\n"),
        Sighting(LAT + 1.0 * d, LON, 613.0, ((4.0, 0.0), (0.0, 4.0)), "person", 0.5, 830.0, 7),
        Sighting(LAT + 200 * d, LON - 50 * d, 640.0, ((9.0, -2.0), (-2.0, 16.0)), "sheep", 0.9, 901.25, 12),
    ]
    return fuse_sightings(ss)


def test_geojson_matches_golden_file():
    """The exact bytes the maps package reads (regenerate deliberately with THERMAL_SAR_REGEN_GOLDEN=1)."""
    import os

    text = targets_geojson(_golden_targets(), indent=1) + "\n"
    if os.environ.get("THERMAL_SAR_REGEN_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
