"""Answer the vehicle's TERRAIN_REQUEST from our DEM, as Mission Planner and MAVProxy do.

A TERRAIN_REQUEST names the south-west corner of a grid (lat/lon degE7),
its spacing in metres and a 56-bit mask. Each bit is a 4x4 block of heights:
bit ``b`` covers the block ``b // 8`` blocks north and ``b % 8`` blocks east
of the corner (a grid of 7 x 8 blocks, 28 x 32 points), and the block's
``data[i]`` is the point ``i // 4`` spacings north and ``i % 4`` east of the
block's corner, in whole metres AMSL. Offsets are flat-earth, as the
autopilot's own ``Location::offset``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["terrain_block", "TerrainServer", "TERRAIN_GRID_BITS"]

TERRAIN_GRID_BITS = 56
_EARTH_R_M = 6378100.0  # the radius ArduPilot's Location::offset uses (LOCATION_SCALING_FACTOR)


def _offset(lat_deg: float, lon_deg: float, north_m, east_m):
    dlat = np.asarray(north_m, float) / _EARTH_R_M
    dlon = np.asarray(east_m, float) / (_EARTH_R_M * math.cos(math.radians(lat_deg)))
    return lat_deg + np.degrees(dlat), lon_deg + np.degrees(dlon)


def terrain_block(terrain, lat_e7: int, lon_e7: int, grid_spacing_m: int, gridbit: int) -> list[int] | None:
    """The 16 heights (whole metres AMSL) of one block, or None when the DEM does not cover it."""
    lat0, lon0 = lat_e7 * 1e-7, lon_e7 * 1e-7
    bs = 4 * grid_spacing_m
    blat, blon = _offset(lat0, lon0, bs * (gridbit // 8), bs * (gridbit % 8))
    i = np.arange(16)
    lat, lon = _offset(float(blat), float(blon), grid_spacing_m * (i // 4), grid_spacing_m * (i % 4))
    if not np.all(terrain.contains(lat, lon)):
        return None
    h = np.asarray(terrain.elevation_m(lat, lon), float)
    if not np.all(np.isfinite(h)):
        return None
    return [int(round(v)) for v in h]


@dataclass
class TerrainServer:
    """Feed it every message (:meth:`handle`); it answers TERRAIN_REQUESTs on ``link``.

    Blocks are sent as they are requested; blocks outside the DEM are
    skipped (the vehicle keeps asking and reports them pending).
    """

    link: object
    terrain: object
    blocks_sent: int = 0
    requests: int = 0
    blocks_missing: int = 0

    def handle(self, msg) -> int:
        """Answer ``msg`` if it is a TERRAIN_REQUEST; returns the number of blocks sent."""
        if msg.get_type() != "TERRAIN_REQUEST":
            return 0
        self.requests += 1
        sent = 0
        for bit in range(TERRAIN_GRID_BITS):
            if not (int(msg.mask) >> bit) & 1:
                continue
            data = terrain_block(self.terrain, msg.lat, msg.lon, msg.grid_spacing, bit)
            if data is None:
                self.blocks_missing += 1
                continue
            self.link.send(self.link.mav.terrain_data_encode(msg.lat, msg.lon, msg.grid_spacing, bit, data))
            sent += 1
        self.blocks_sent += sent
        return sent
