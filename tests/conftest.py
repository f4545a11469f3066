"""Shared fixtures: the real data folder (skipped when absent) and small synthetic worlds."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("THERMAL_SAR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data; skips the test with a clear reason when it is absent."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data {p} is absent (set THERMAL_SAR_SHARED_DATA or place ../shared/data beside the repo)")
    return p


@pytest.fixture
def shared_data():
    return shared_path


@pytest.fixture(scope="session")
def demo_terrain():
    """The embedded synthetic mountain (seed 7), generated once per session."""
    from geo.terrain import synthetic_mountain

    return synthetic_mountain(seed=7)


@pytest.fixture(scope="session")
def small_mountain():
    """A small, fast synthetic mountain: 2 km square at 10 m."""
    from geo.terrain import synthetic_mountain

    return synthetic_mountain(seed=3, size_m=2000.0, resolution_m=10.0)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
