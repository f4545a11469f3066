"""Terrain loaders on tiny synthetic tiles in tmp_path and on the real SRTM tiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    FlatTerrain,
    MosaicTerrain,
    OutOfCoverageError,
    SarIOError,
    TerrainError,
    load_dem,
    load_hgt,
    load_terrain,
    synthetic_mountain,
)
from tests.conftest import shared_path

N3 = 1201


def _plane_hgt(tmp_path, name="N46E008.hgt", n=N3, void=None):
    """A tilted plane z = 500 + 2*col - 1*row (metres), big-endian int16."""
    r, c = np.mgrid[0:n, 0:n]
    z = (500 + 2 * c - r).astype(">i2")
    if void is not None:
        z[void] = -32768
    p = tmp_path / name
    p.write_bytes(z.tobytes())
    return p


def test_hgt_plane_is_interpolated_exactly(tmp_path):
    t = load_hgt(_plane_hgt(tmp_path))
    assert t.shape == (N3, N3)
    b = t.bounds
    assert (b.south_lat_deg, b.west_lon_deg, b.north_lat_deg, b.east_lon_deg) == pytest.approx((46, 8, 47, 9))
    step = 1.0 / 1200.0
    # Node (row 10, col 20) is at lat 47 - 10*step, lon 8 + 20*step.
    assert t.elevation_m(47 - 10 * step, 8 + 20 * step) == pytest.approx(500 + 40 - 10, abs=1e-3)
    # Bilinear between nodes reproduces the plane.
    lat = 47 - 10.25 * step
    lon = 8 + 20.5 * step
    assert t.elevation_m(lat, lon) == pytest.approx(500 + 41 - 10.25, abs=1e-3)
    # South-west corner sample is the last row, first column.
    assert t.elevation_m(46.0, 8.0) == pytest.approx(500 - 1200, abs=1e-3)
    assert t.voids.count == 0


@settings(max_examples=40, deadline=None)
@given(st.floats(46.0, 47.0), st.floats(8.0, 9.0))
def test_hgt_plane_hypothesis(lat, lon):
    t = _cached_plane()
    row = (47.0 - lat) * 1200.0
    col = (lon - 8.0) * 1200.0
    assert t.elevation_m(lat, lon) == pytest.approx(500 + 2 * col - row, abs=1e-2)


_PLANE = {}


def _cached_plane():
    if "t" not in _PLANE:
        import tempfile
        from pathlib import Path

        d = Path(tempfile.mkdtemp())
        _PLANE["t"] = load_hgt(_plane_hgt(d))
    return _PLANE["t"]


def test_one_arcsecond_tile(tmp_path):
    t = load_hgt(_plane_hgt(tmp_path, "S12W077.hgt", n=3601))
    assert t.shape == (3601, 3601)
    assert t.bounds.south_lat_deg == pytest.approx(-12.0) and t.bounds.west_lon_deg == pytest.approx(-77.0)
    assert t.resolution_m == pytest.approx(30.2, abs=0.5)


def test_truncated_hgt(tmp_path):
    p = tmp_path / "N44W072.hgt"
    p.write_bytes(b"\0" * (N3 * N3 * 2 - 100))
    with pytest.raises(TerrainError, match="truncated.*download the tile again"):
        load_hgt(p)


def test_oversized_hgt(tmp_path):
    p = tmp_path / "N44W072.hgt"
    p.write_bytes(b"\0" * (N3 * N3 * 2 + 2))
    with pytest.raises(TerrainError, match="unknown size"):
        load_hgt(p)


def test_hgt_name_must_give_corner(tmp_path):
    p = _plane_hgt(tmp_path, "mountain.hgt")
    with pytest.raises(TerrainError, match="N44W072"):
        load_hgt(p)


def test_missing_file():
    with pytest.raises(SarIOError, match="does not exist"):
        load_dem("/nonexistent/N44W072.hgt")


def test_voids_are_filled_and_reported(tmp_path):
    void = (slice(100, 110), slice(200, 205))
    t = load_hgt(_plane_hgt(tmp_path, void=void))
    assert t.voids.count == 50
    assert t.voids.regions == 1
    # Filled by interpolation from the plane around: close to the true plane value.
    step = 1.0 / 1200.0
    truth = 500 + 2 * 202 - 105
    assert t.elevation_m(47 - 105 * step, 8 + 202 * step) == pytest.approx(truth, abs=6.0)
    b = t.voids.bounds
    assert b.north_lat_deg == pytest.approx(47 - 100 * step) and b.west_lon_deg == pytest.approx(8 + 200 * step)
    assert "filled by interpolation" in str(t.voids)


def test_out_of_coverage_names_point_and_coverage(tmp_path):
    t = load_hgt(_plane_hgt(tmp_path))
    with pytest.raises(OutOfCoverageError, match=r"lat_deg=45\.500000.*covers lat 46\.00000\.\.47\.00000"):
        t.elevation_m(np.array([46.5, 45.5]), np.array([8.5, 8.5]))


def test_nan_query_is_an_error(tmp_path):
    t = load_hgt(_plane_hgt(tmp_path))
    with pytest.raises(OutOfCoverageError):
        t.elevation_m(float("nan"), 8.5)


def _write_tif(path, data, transform, crs):
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=crs, transform=transform, nodata=-32768 if data.dtype == np.int16 else None) as ds:
        ds.write(data, 1)


def test_geotiff_projected_crs(tmp_path):
    from affine import Affine

    from geo import UtmFrame

    fr = UtmFrame.from_epsg(32632)
    x0, y0 = fr.to_local(46.5, 8.5)
    r, c = np.mgrid[0:200, 0:200]
    data = (1000 + 0.5 * c + 0.25 * r).astype(np.float32)
    # Pixel-is-area: pixel (0, 0) covers [x0, x0+30] x [y0-30, y0]; its sample is at the centre.
    tr = Affine(30.0, 0.0, x0, 0.0, -30.0, y0)
    p = tmp_path / "dem_utm.tif"
    _write_tif(p, data, tr, "EPSG:32632")
    t = load_dem(p)
    lat, lon = fr.to_geodetic(x0 + 15 + 30 * 10, y0 - 15 - 30 * 20)
    assert t.elevation_m(lat, lon) == pytest.approx(1000 + 5 + 5, abs=1e-3)
    assert t.resolution_m == pytest.approx(30.0)


def test_geotiff_without_crs(tmp_path):
    from affine import Affine

    p = tmp_path / "nocrs.tif"
    _write_tif(p, np.zeros((10, 10), np.float32), Affine(30, 0, 1000, 0, -30, 5000), None)
    with pytest.raises(TerrainError, match="no coordinate reference system.*gdal_edit"):
        load_dem(p)


def test_mosaic_of_two_tiles(tmp_path):
    a = _plane_hgt(tmp_path, "N46E008.hgt")
    b = _plane_hgt(tmp_path, "N46E009.hgt")
    m = load_terrain([a, b])
    assert isinstance(m, MosaicTerrain)
    assert m.bounds.east_lon_deg == pytest.approx(10.0)
    z = m.elevation_m(np.array([46.5, 46.5]), np.array([8.5, 9.5]))
    assert z[0] == pytest.approx(z[1], abs=1e-3)  # same plane in both tiles
    with pytest.raises(OutOfCoverageError):
        m.elevation_m(46.5, 10.5)


def test_flat_terrain():
    f = FlatTerrain(312.0)
    assert f.elevation_m(10.0, 20.0) == 312.0
    assert f.elevation_m(np.zeros(3), np.zeros(3)).tolist() == [312.0] * 3


def test_synthetic_mountain_is_deterministic_and_realistic(small_mountain):
    from geo import slope_deg

    again = synthetic_mountain(seed=3, size_m=2000.0, resolution_m=10.0)
    assert np.array_equal(again.heights_m, small_mountain.heights_m)
    other = synthetic_mountain(seed=4, size_m=2000.0, resolution_m=10.0)
    assert not np.array_equal(other.heights_m, small_mountain.heights_m)
    s = slope_deg(small_mountain)
    # Hill country: most slopes walkable, some steep, few cliffs.
    assert 5.0 < float(np.median(s)) < 30.0
    assert float(np.percentile(s, 95)) < 50.0


def test_synthetic_mountain_bad_size():
    with pytest.raises(TerrainError, match="size_m"):
        synthetic_mountain(size_m=10.0)


# -------------------------------------------------------------- real tiles
def test_real_srtm_hgt_white_mountains():
    t = load_dem(shared_path("dem", "N44W072.hgt"))
    assert t.voids.count == 0
    assert float(t.heights_m.min()) == pytest.approx(115, abs=1)
    assert float(t.heights_m.max()) == pytest.approx(1908, abs=1)
    # Mount Washington summit (44.2706 N, 71.3033 W) is 1917 m; 3" SRTM smooths the peak.
    assert t.elevation_m(44.2706, -71.3033) == pytest.approx(1917, abs=60)


def test_real_geotiff_swiss_alps_with_voids():
    t = load_dem(shared_path("dem", "N46E008.tif"))
    assert 0.06 < t.voids.fraction < 0.08
    assert t.voids.regions > 100
    assert np.all(np.isfinite(t.heights_m))
    assert float(t.heights_m.min()) >= 180 and float(t.heights_m.max()) <= 4200
    # Summits outside voids, 3" posts smooth peaks by tens of metres:
    # Toedi (46.8110 N, 8.9147 E) 3614 m, Dammastock (46.6436 N, 8.4206 E) 3630 m.
    assert t.elevation_m(46.8110, 8.9147) == pytest.approx(3614, abs=100)
    assert t.elevation_m(46.6436, 8.4206) == pytest.approx(3630, abs=100)
    # The summit of Titlis (46.7714 N, 8.4378 E, 3238 m) lies in a void: filled, so lower but plausible.
    assert 2000 < t.elevation_m(46.7714, 8.4378) < 3300


def test_truncated_geotiff_is_a_clear_error(tmp_path):
    """A GeoTIFF cut short (header intact, samples missing) names the file instead of a rasterio traceback."""
    from affine import Affine

    full = tmp_path / "full.tif"
    r, c = np.mgrid[0:300, 0:300]
    _write_tif(full, (1000 + c + r).astype(np.float32), Affine(0.001, 0, 8.0, 0, -0.001, 47.0), "EPSG:4326")
    raw = full.read_bytes()
    assert int.from_bytes(raw[4:8], "little") == 8  # GDAL writes the IFD first: the header survives the cut
    cut = tmp_path / "cut.tif"
    cut.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(SarIOError, match=r"cut\.tif.*truncated or corrupt"):
        load_dem(cut)
