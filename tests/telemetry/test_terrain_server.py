"""The terrain server: block layout as ArduPilot reads it, and the exchange with the vehicle."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from geo.terrain import GeoBounds
from mission.items import MavCmd, MavFrame, MissionItem
from telemetry import MavlinkLink, TerrainServer, Vehicle, terrain_block
from tests.telemetry.conftest import HOME, running_vehicle


@dataclass(frozen=True)
class PlaneTerrain:
    """h = 500 + 0.5 * north_m + 0.1 * east_m around the origin (home): where each height came from is readable."""

    lat0: float = HOME[0]
    lon0: float = HOME[1]
    name: str = "plane"
    resolution_m: float = 10.0

    @property
    def bounds(self):
        return GeoBounds(self.lat0 - 0.1, self.lon0 - 0.1, self.lat0 + 0.1, self.lon0 + 0.1)

    def contains(self, lat, lon):
        return self.bounds.contains(lat, lon)

    def elevation_m(self, lat, lon):
        n = (lat - self.lat0) * math.pi / 180 * 6378100.0
        e = (lon - self.lon0) * math.pi / 180 * 6378100.0 * math.cos(math.radians(self.lat0))
        return 500.0 + 0.5 * n + 0.1 * e


def test_block_layout_bit_and_data_order():
    t = PlaneTerrain()
    lat_e7, lon_e7 = round(HOME[0] * 1e7), round(HOME[1] * 1e7)
    spacing = 30
    b0 = terrain_block(t, lat_e7, lon_e7, spacing, 0)
    assert b0[0] == 500
    assert b0[1] - b0[0] == pytest.approx(0.1 * spacing, abs=1)  # data[1]: one spacing east
    assert b0[4] - b0[0] == pytest.approx(0.5 * spacing, abs=1)  # data[4]: one spacing north
    b9 = terrain_block(t, lat_e7, lon_e7, spacing, 9)  # bit 9: one block (4 spacings) north, one east
    assert b9[0] - b0[0] == pytest.approx(0.5 * 4 * spacing + 0.1 * 4 * spacing, abs=1)
    assert terrain_block(t, round((HOME[0] + 0.2) * 1e7), lon_e7, spacing, 0) is None  # outside the DEM


def test_vehicle_requests_terrain_for_terrain_frame_mission_and_flies_above_it():
    t = PlaneTerrain()
    with running_vehicle(speedup=40.0) as (sv, conn), MavlinkLink(conn) as link:
        v = Vehicle(link)
        server = TerrainServer(link, t)
        v.handlers.append(server.handle)
        v.connect(10.0)
        v.wait_until(lambda s: s.has_position and s.home_lat_deg is not None, 20.0, "position")
        wp = MissionItem.at(2, MavCmd.NAV_WAYPOINT, HOME[0] + 0.0003, HOME[1], 40.0, frame=MavFrame.GLOBAL_TERRAIN_ALT)
        items = [MissionItem.at(1, MavCmd.NAV_TAKEOFF, HOME[0], HOME[1], 20.0), wp]
        _, _, mism = v.upload_mission(items)
        assert mism == ()
        v.pump(1.0)
        assert server.requests >= 1 and server.blocks_sent == 56
        assert sv.terrain_blocks_received == 56
        v.set_mode("GUIDED")
        v.arm(timeout_s=20.0)
        v.start_mission()
        v.wait_until(lambda s: 2 in s.mission_reached, 60.0, "the terrain waypoint")
        ground = t.elevation_m(v.state.lat_deg, v.state.lon_deg)
        assert v.state.alt_amsl_m - ground == pytest.approx(40.0, abs=2.0)  # 40 m above OUR terrain, not home
