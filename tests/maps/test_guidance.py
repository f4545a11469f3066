"""Ground guidance, walking time, team ranking, GPX/KML, coverage and credentials."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import destination
from geo.errors import InputError


def test_guidance_due_east_on_flat_ground():
    from maps.guidance import guidance

    lat2, lon2 = destination(30.0, 119.0, 90.0, 1000.0)
    g = guidance(30.0, 119.0, 100.0, lat2, lon2, 150.0)
    assert g.bearing_deg == pytest.approx(90.0, abs=1e-6) and g.compass == "E"
    assert g.distance_m == pytest.approx(1000.0, abs=1e-6)
    assert g.height_diff_m == pytest.approx(50.0)
    # Flat, off trail: Tobler 6 exp(-3.5 * 0.05) km/h x 0.6 = 3.02 km/h -> 1192 s per km.
    assert g.walk_time_s == pytest.approx(1000.0 / (6 * np.exp(-0.175) * 0.6 / 3.6), rel=1e-6)


def test_walk_time_is_longer_uphill_and_across_a_ridge(small_mountain):
    from maps.guidance import walk_time_s

    lat0, lon0 = small_mountain.bounds.center
    lat1, lon1 = destination(lat0, lon0, 45.0, 600.0)
    flat = walk_time_s(lat0, lon0, lat1, lon1, None)
    hilly = walk_time_s(lat0, lon0, lat1, lon1, small_mountain)
    assert hilly > flat
    # Outside the DEM it falls back to flat ground, not an error.
    assert walk_time_s(0.0, 0.0, 0.001, 0.0, small_mountain) == pytest.approx(walk_time_s(0.0, 0.0, 0.001, 0.0))


def test_rank_teams_prefers_the_easier_walk():
    from maps.guidance import rank_teams

    class Wall:
        """Flat ground with a 200 m cliff band north of the target: the northern team must climb it."""

        name = "wall"
        resolution_m = 10.0

        def elevation_m(self, lat, lon):
            lat = np.asarray(lat, float)
            return np.where(lat > 30.0015, 300.0, 100.0)

    teams = [{"username": "north", "lat_deg": 30.006, "lon_deg": 119.0},   # ~665 m, across the cliff
             {"username": "south", "lat_deg": 29.9925, "lon_deg": 119.0},  # ~831 m, flat
             {"username": "nowhere", "lat_deg": None, "lon_deg": None}]
    r = rank_teams(teams, 30.0, 119.0, Wall())
    assert [t["username"] for t in r] == ["south", "north"]
    assert r[0]["distance_m"] > r[1]["distance_m"]
    assert [t["username"] for t in rank_teams(teams, 30.0, 119.0)] == ["north", "south"]


def test_gpx_and_kml_golden():
    from maps.guidance import gpx_text, kml_text

    gpx = gpx_text("person #3 <&>", 30.38, 119.45, 612.4, description="CEP 7 m", route_from=(30.377, 119.45))
    assert gpx == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="thermal-sar" xmlns="http://www.topografix.com/GPX/1/1">\n'
        '  <wpt lat="30.3800000" lon="119.4500000"><ele>612.4</ele><name>person #3 &lt;&amp;&gt;</name>'
        "<desc>CEP 7 m</desc><sym>Flag, Red</sym></wpt>\n"
        "  <rte><name>person #3 &lt;&amp;&gt;</name>\n"
        '    <rtept lat="30.3770000" lon="119.4500000"><name>start</name></rtept>\n'
        '    <rtept lat="30.3800000" lon="119.4500000"><name>person #3 &lt;&amp;&gt;</name></rtept>\n'
        "  </rte>\n</gpx>\n"
    )
    ET.fromstring(gpx.encode())
    kml = ET.fromstring(kml_text("t", 30.38, 119.45, None).encode())
    coords = kml.find(".//{http://www.opengis.net/kml/2.2}coordinates").text
    assert coords == "119.4500000,30.3800000"


def test_coverage_half_the_area_and_holes():
    from maps.progress import CoverageTracker, search_progress

    d = 0.002
    area = {"type": "Polygon", "coordinates": [[[119 - d, 30 - d], [119 + d, 30 - d], [119 + d, 30 + d], [119 - d, 30 + d], [119 - d, 30 - d]]]}
    west = [[30 - 2 * d, 119 - 2 * d], [30 + 2 * d, 119 - 2 * d], [30 + 2 * d, 119], [30 - 2 * d, 119]]
    p = search_progress([area], [], [west], single_pass_pod=0.8)
    assert p.covered_fraction == pytest.approx(0.5, abs=1e-3) and p.pod == pytest.approx(0.4, abs=1e-3)
    hole = {"type": "Polygon", "coordinates": [[[119 - d, 30 - d], [119, 30 - d], [119, 30 + d], [119 - d, 30 + d], [119 - d, 30 - d]]]}
    assert search_progress([area], [hole], [west]).covered_fraction == pytest.approx(0.0, abs=1e-6)
    assert search_progress([], [], [west]) is None
    tr = CoverageTracker([area], [])
    tr.add(west)
    tr.add(west)  # seeing the same ground twice covers nothing more
    assert tr.result().covered_fraction == pytest.approx(p.covered_fraction, abs=1e-9)
    with pytest.raises(InputError):
        search_progress([area], [], [], single_pass_pod=1.5)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.003, 0.003), st.floats(-0.003, 0.003), st.floats(1e-4, 0.002)), max_size=8))
def test_coverage_is_a_fraction_and_grows(squares):
    from maps.progress import CoverageTracker

    d = 0.002
    area = {"type": "Polygon", "coordinates": [[[119 - d, 30 - d], [119 + d, 30 - d], [119 + d, 30 + d], [119 - d, 30 + d], [119 - d, 30 - d]]]}
    tr = CoverageTracker([area], [])
    last = 0.0
    for dy, dx, h in squares:
        tr.add([[30 + dy - h, 119 + dx - h], [30 + dy + h, 119 + dx - h], [30 + dy + h, 119 + dx + h], [30 + dy - h, 119 + dx + h]])
        f = tr.result().covered_fraction
        assert 0.0 <= f <= 1.0 + 1e-12 and f >= last - 1e-12
        last = f


def test_passwords_and_tokens():
    from maps.security import hash_password, same_token, token_hash, verify_password

    h = hash_password("a long enough password")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "a long enough password") and not verify_password(h, "wrong password!!")
    assert not verify_password(None, "anything at all") and not verify_password("garbage", "x" * 12)
    with pytest.raises(InputError, match="10"):
        hash_password("short")
    assert token_hash("abc") == token_hash("abc") != token_hash("abd")
    assert same_token("x", "x") and not same_token("x", "y") and not same_token(None, None)


def test_mbtiles_rows_are_flipped(tmp_path):
    from maps.mbtiles import check_mbtiles, read_tile

    p = tmp_path / "t.mbtiles"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        c.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        c.execute("INSERT INTO metadata VALUES ('name', 'test')")
        c.execute("INSERT INTO tiles VALUES (2, 1, 3, ?)", (b"\x89PNG\r\n\x1a\nxyz",))  # TMS row 3 = XYZ y 0
    assert check_mbtiles(p)["name"] == "test"
    data, mime = read_tile(p, 2, 1, 0)
    assert data.endswith(b"xyz") and mime == "image/png"
    assert read_tile(p, 2, 1, 3) == (None, "") and read_tile(p, 2, 9, 0) == (None, "")
    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(b"not sqlite at all, not at all")
    from geo.errors import FormatError

    with pytest.raises(FormatError, match="MBTiles"):
        check_mbtiles(bad)


def test_server_serves_mbtiles_tiles(tmp_path):
    import asyncio

    import httpx

    from maps.server import ServerConfig, create_app
    from maps.store import open_store

    p = tmp_path / "t.mbtiles"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        c.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        c.execute("INSERT INTO tiles VALUES (3, 6, 4, ?)", (b"\xff\xd8\xff\xe0jpeg",))  # XYZ y = 8 - 1 - 4 = 3

    async def go(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            ok = await c.get("/tiles/3/6/3")
            missing = await c.get("/tiles/3/6/4")
            bad = await c.get("/tiles/3/6/x")
        return ok, missing, bad

    with open_store(tmp_path / "s.db") as store:
        ok, missing, bad = asyncio.run(go(create_app(store, ServerConfig(mbtiles_path=str(p)))))
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg" and ok.content.endswith(b"jpeg")
    assert missing.status_code == 404 and "no tile" in missing.json()["detail"]
    assert bad.status_code == 422
