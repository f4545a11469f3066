"""The comparison baseline: a QGroundControl / Mission Planner style survey grid.

What their default survey does, as far as a benchmark needs: transects along
the polygon's longest edge (the bearing Mission Planner offers by default;
QGroundControl's default angle is the user's), each transect running from
the polygon's first to its last crossing (QGroundControl's "split concave
polygons" is off by default, so lines bridge concave notches), extended by
the copter turnaround distance (10 m, QGroundControl's default for
multirotors) beyond both ends, flown in order across the polygon from the
corner nearest the launch point; no turn cost and no terrain in the choice.
Holes are not supported by those surveys: lines run across them.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry.base import BaseGeometry

from mission.swaths import Swath, ring_edges, sweep_axes, _intervals

__all__ = ["qgc_default_legs", "TURNAROUND_M"]

TURNAROUND_M = 10.0


def qgc_default_legs(launch: tuple[float, float], bearing_deg: float | None = None):
    """A ``legs_fn`` for :func:`mission.plan_search` that builds the baseline grid; ``launch`` is (lat, lon)."""
    from mission.planner import longest_edge_bearing_deg

    def legs(frame, region: BaseGeometry, spacing_m: float) -> tuple[Swath, ...]:
        b = longest_edge_bearing_deg(region) if bearing_deg is None else bearing_deg
        start_xy = frame.to_local(float(launch[0]), float(launch[1]))
        e = ring_edges(region)
        d, n = sweep_axes(b)
        uw = np.column_stack([e[:, 0] * d[0] + e[:, 1] * d[1], e[:, 0] * n[0] + e[:, 1] * n[1],
                              e[:, 2] * d[0] + e[:, 3] * d[1], e[:, 2] * n[0] + e[:, 3] * n[1]])
        wmin = float(min(uw[:, 1].min(), uw[:, 3].min()))
        wmax = float(max(uw[:, 1].max(), uw[:, 3].max()))
        count = max(1, int(math.ceil((wmax - wmin) / spacing_m - 1e-9)))
        w = (np.array([0.5 * (wmin + wmax)]) if count == 1 else
             np.linspace(wmin + 0.5 * spacing_m, wmax - 0.5 * spacing_m, count)) + 1e-7 * spacing_m
        lines = []
        for wi, iv in zip(w, _intervals(uw, w)):
            if iv:
                ua, ub = min(a for a, _ in iv) - TURNAROUND_M, max(b for _, b in iv) + TURNAROUND_M
                a, c = ua * d + wi * n, ub * d + wi * n
                lines.append(Swath(float(a[0]), float(a[1]), float(c[0]), float(c[1])))
        # Boustrophedon in line order from the corner nearest the start.
        best = None
        for rev in (False, True):
            seq = lines[::-1] if rev else lines
            for flip in (False, True):
                out = [s.reversed() if ((k % 2 == 1) != flip) else s for k, s in enumerate(seq)]
                dist = math.hypot(out[0].ax_m - start_xy[0], out[0].ay_m - start_xy[1])
                if best is None or dist < best[0]:
                    best = (dist, out)
        return tuple(best[1]) if best else ()

    return legs
