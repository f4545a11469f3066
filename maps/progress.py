"""Search progress: how much of the search area the camera has covered, and the POD so far.

Pure computation in a local equirectangular metric frame centred on the area
(distortion < 0.1 % across 20 km, far below footprint uncertainty).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Sequence

import shapely
from shapely.geometry import Polygon, shape
from shapely.ops import unary_union

from geo.errors import InputError

__all__ = ["SearchProgress", "search_progress", "area_polygons", "CoverageTracker"]


@dataclass(frozen=True, slots=True)
class SearchProgress:
    """``covered_fraction``: share of the area seen at least once (0..1); ``pod``: probability of detection so far.

    ``pod`` = covered fraction x the single-pass detection probability of the
    sensor (a lower bound: a second pass over the same ground is not counted).
    """

    area_m2: float
    covered_m2: float
    covered_fraction: float
    pod: float


def area_polygons(mission_geojson: dict) -> tuple[list[dict], list[dict]]:
    """(areas, holes) GeoJSON geometries of a mission FeatureCollection."""
    from maps.features import parse_mission

    feats = parse_mission(mission_geojson)
    return ([f.geometry for f in feats if f.kind == "area"], [f.geometry for f in feats if f.kind in ("hole", "no_fly")])


def search_progress(areas: Sequence[dict], holes: Sequence[dict], footprints: Sequence[Sequence[Sequence[float]]],
                    *, single_pass_pod: float = 0.8) -> SearchProgress | None:
    """Coverage of ``areas`` minus ``holes`` by camera ``footprints`` ([[lat, lon], ...] rings).

    Returns None when there is no area to search.
    """
    if not 0.0 <= single_pass_pod <= 1.0:
        raise InputError(f"single_pass_pod={single_pass_pod} is out of range: allowed 0..1.")
    if not areas:
        return None
    area_ll = unary_union([shape(g) for g in areas])
    if holes:
        area_ll = area_ll.difference(unary_union([shape(g) for g in holes]))
    c = area_ll.centroid
    kx = 111_320.0 * math.cos(math.radians(c.y))
    ky = 111_132.0

    area_m = shapely.transform(area_ll, lambda xy: (xy - [c.x, c.y]) * [kx, ky])
    polys = []
    for ring in footprints:
        if len(ring) >= 3:
            polys.append(Polygon([((lon - c.x) * kx, (lat - c.y) * ky) for lat, lon in ring]).buffer(0))
    seen = shapely.union_all(polys) if polys else Polygon()
    covered = area_m.intersection(seen).area
    total = area_m.area
    frac = covered / total if total > 0 else 0.0
    return SearchProgress(float(total), float(covered), float(frac), float(frac * single_pass_pod))


class CoverageTracker:
    """Incremental form of :func:`search_progress` for a live feed of footprints.

    The search area is projected once; each footprint is clipped to it and
    merged into the seen region, so a footprint costs the same at minute 60
    as at minute 1 (no re-union of the whole history).
    """

    def __init__(self, areas: Sequence[dict], holes: Sequence[dict], *, single_pass_pod: float = 0.8) -> None:
        if not 0.0 <= single_pass_pod <= 1.0:
            raise InputError(f"single_pass_pod={single_pass_pod} is out of range: allowed 0..1.")
        self.single_pass_pod = single_pass_pod
        area_ll = unary_union([shape(g) for g in areas]) if areas else Polygon()
        if holes and not area_ll.is_empty:
            area_ll = area_ll.difference(unary_union([shape(g) for g in holes]))
        c = area_ll.centroid if not area_ll.is_empty else None
        self._c = (c.x, c.y) if c is not None else (0.0, 0.0)
        self._k = (111_320.0 * math.cos(math.radians(self._c[1])), 111_132.0)
        self._area = shapely.transform(area_ll, self._to_m) if not area_ll.is_empty else Polygon()
        shapely.prepare(self._area)
        self._seen = Polygon()
        self._pending: list[Polygon] = []
        # add() runs on the server's event loop, result() in a worker thread.
        self._lock = threading.Lock()

    def _to_m(self, xy):
        return (xy - [self._c[0], self._c[1]]) * [self._k[0], self._k[1]]

    def add(self, ring: Sequence[Sequence[float]]) -> None:
        """Add one footprint ring of ``[lat, lon]`` pairs."""
        if len(ring) < 3 or self._area.is_empty:
            return
        cx, cy = self._c
        kx, ky = self._k
        p = Polygon([((lon - cx) * kx, (lat - cy) * ky) for lat, lon in ring]).buffer(0)
        if self._area.intersects(p):
            clipped = self._area.intersection(p)
            with self._lock:
                self._pending.append(clipped)

    def result(self) -> SearchProgress | None:
        """Progress so far; None when there is no search area."""
        if self._area.is_empty:
            return None
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            self._seen = shapely.union_all([self._seen, *pending])
        total = self._area.area
        covered = self._seen.area
        frac = min(1.0, covered / total) if total > 0 else 0.0
        return SearchProgress(float(total), float(covered), float(frac), float(frac * self.single_pass_pod))
