"""Scenario documents for tests (a small meadow on the synthetic mountain, night)."""

from __future__ import annotations

import copy

BASE_DOC = {
    "name": "unit",
    "area_m": {"center": [1880, -2150], "size": 300},
    "time": {"date": "2026-10-18", "local_time": "02:30", "utc_offset_h": 8},
    "weather": {"ambient_c": 8.0, "cloud_fraction": 0.1},
    "land_cover": {"seed": 5, "forest_fraction": 0.0},
    "features": [{"kind": "meadow", "at_m": [1880, -2150], "radius_m": 140}],
    "targets": [],
}


def make_doc(**changes) -> dict:
    doc = copy.deepcopy(BASE_DOC)
    doc.update(changes)
    return doc
