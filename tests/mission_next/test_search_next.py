"""Probability map of the subject's location and its Bayesian update."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString, box

from geo import InputError, LocalFrame
from mission.search_next import ProbabilityMap

FRAME = LocalFrame.at(30.38, 119.45)
REGION = box(0, 0, 1000, 600)


def test_uniform_map_sums_to_one():
    m = ProbabilityMap.uniform(REGION, FRAME, cell_m=20.0)
    assert m.p.shape == (30, 50)
    assert m.p.sum() == pytest.approx(1.0)
    assert m.cumulative_pod == pytest.approx(0.0, abs=1e-12)


def test_coverage_of_a_straight_pass_equals_swept_area():
    m = ProbabilityMap.uniform(REGION, FRAME, cell_m=10.0)
    track = np.array([[100.0, 300.0], [900.0, 300.0]])
    cov = m.coverage(track, 60.0)
    # Total coverage * cell area = W * L (all inside the grid).
    assert cov.sum() * 100.0 == pytest.approx(60.0 * 800.0, rel=1e-9)
    # Cells on the track line see c = 1 (W / W); cells 100 m away see nothing.
    assert cov[30, 50] == pytest.approx(1.0, rel=1e-9)
    assert cov[27, 50] == pytest.approx(1.0, rel=1e-9)
    assert cov[20, 50] == 0.0


def test_update_lowers_searched_cells_and_keeps_total():
    m = ProbabilityMap.uniform(REGION, FRAME, cell_m=10.0)
    # A lawnmower over the western half with spacing equal to the sweep width: C = 1.
    lines = []
    for k, y in enumerate(np.arange(30.0, 600.0, 60.0)):
        xs = (0.0, 500.0) if k % 2 == 0 else (500.0, 0.0)
        lines += [(xs[0], y), (xs[1], y)]
    up = m.update(np.array(lines), 60.0)
    assert up.posterior.p.sum() == pytest.approx(1.0)
    west = up.posterior.p[:, :45].sum()
    east = up.posterior.p[:, 55:].sum()
    assert west < east
    # POD = 1 - exp(-1) = 0.632 over half of a uniform map: success probability ~ 0.316.
    assert up.probability_of_success == pytest.approx(0.5 * (1 - math.exp(-1)), abs=0.03)
    assert up.cumulative_pod == pytest.approx(up.probability_of_success, abs=1e-12)
    # Searching the same half again compounds: cumulative POD grows, success chance falls.
    up2 = up.posterior.update(np.array(lines), 60.0)
    assert up2.cumulative_pod > up.cumulative_pod
    assert up2.probability_of_success < up.probability_of_success
    # The next sortie should go east.
    hot = up2.posterior.hotspot(0.5)
    assert hot.centroid.x > 500.0


def test_canopy_hides_part_of_the_probability():
    m = ProbabilityMap.uniform(REGION, FRAME, cell_m=10.0)
    track = np.array([[0.0, 300.0], [1000.0, 300.0]])
    open_ = m.update(track, 600.0 * 4)
    forest = m.update(track, 600.0 * 4, canopy_fraction=0.7)
    assert forest.probability_of_success == pytest.approx(0.3 * open_.probability_of_success, rel=1e-9)


def test_rings_put_mass_near_the_planning_point():
    m = ProbabilityMap.from_rings(box(-3000, -3000, 3000, 3000), FRAME, ipp_xy_m=(0.0, 0.0),
                                  ring_radii_m=(500.0, 1000.0, 2000.0), ring_percent=(25.0, 50.0, 75.0), cell_m=50.0)
    xx, yy = m.cell_centres()
    r = np.hypot(xx, yy)
    assert m.p[r < 500].sum() == pytest.approx(0.25, abs=1e-9)
    assert m.p[(r >= 1000) & (r < 2000)].sum() == pytest.approx(0.25, abs=1e-9)
    assert m.p[r >= 2000].sum() == pytest.approx(0.25, abs=1e-9)
    with pytest.raises(InputError, match="ring_percent"):
        ProbabilityMap.from_rings(REGION, FRAME, ipp_xy_m=(0, 0), ring_radii_m=(1.0, 2.0), ring_percent=(60.0, 40.0))


def test_bad_input():
    m = ProbabilityMap.uniform(REGION, FRAME)
    with pytest.raises(InputError, match="sweep_width_m"):
        m.coverage(np.zeros((2, 2)), 0.0)
    with pytest.raises(InputError, match="canopy_fraction"):
        m.update(LineString([(0, 0), (10, 10)]).coords, 10.0, canopy_fraction=1.5)
