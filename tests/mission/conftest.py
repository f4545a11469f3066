"""Fixtures of the mission tests: small areas in a local frame and a small flat-plan factory."""

from __future__ import annotations

import numpy as np
import pytest

from geo.frames import LocalFrame
from mission.area import SearchArea

ORIGIN = (30.38, 119.45)  # centre of the synthetic mountains


def area_from_xy(outer, holes=(), no_fly=(), origin=ORIGIN, name="area") -> SearchArea:
    fr = LocalFrame.at(*origin)

    def ll(xy):
        return tuple((float(a), float(b)) for a, b in fr.to_lat_lon(np.asarray(xy, float)))

    return SearchArea(ll(outer), tuple(ll(h) for h in holes), tuple(ll(z) for z in no_fly), name=name)


def xy_to_ll(x, y, origin=ORIGIN):
    return LocalFrame.at(*origin).to_geodetic(x, y)


@pytest.fixture
def concave_area():
    return area_from_xy([[-600, -500], [600, -500], [600, 500], [0, 0], [-600, 500]],
                        holes=[[[-350, -300], [-200, -300], [-200, -150], [-350, -150]]],
                        no_fly=[[[200, -250], [350, -250], [350, -100], [200, -100]]])
