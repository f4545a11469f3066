"""Fixtures for sim tests: the bundled sheep scene (built once) and small custom scenes."""

from __future__ import annotations

import pytest

from tests.sim._docs import make_doc

@pytest.fixture(scope="session")
def mountain():
    import geo

    return geo.synthetic_mountain()


@pytest.fixture(scope="session")
def build(mountain):
    """build(doc) -> Scene over the shared synthetic mountain."""
    import sim

    def _build(doc: dict):
        return sim.build_scene(sim.parse_scenario(doc, source="test.yaml"), mountain)

    return _build


@pytest.fixture(scope="session")
def sheep_scene(mountain):
    import sim

    return sim.load_scenario("sheep", terrain=mountain)


@pytest.fixture(scope="session")
def lone_scene(build):
    """One adult lying on an open meadow on a cold clear night: a strong, isolated blob."""
    return build(make_doc(targets=[{"kind": "adult_lying", "at_m": [1880, -2150], "heading_deg": 30}]))
