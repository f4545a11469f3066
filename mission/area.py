"""Search areas: lat/lon input, validated polygons in a local metric frame.

A :class:`SearchArea` is what a user gives (rings of ``(lat_deg, lon_deg)``);
:func:`to_local` validates it and returns a :class:`LocalArea` of shapely
polygons in metres east/north of a :class:`geo.frames.LocalFrame` origin.
The region searched is the outer ring less holes and no-fly zones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.coords import check_lat_lon
from geo.errors import GeometryError, OutOfCoverageError
from geo.frames import LocalFrame
from mission.plan_warnings import PlanWarning

__all__ = ["SearchArea", "LocalArea", "to_local", "check_coverage", "Ring", "MAX_AREA_KM2"]

Ring = tuple[tuple[float, float], ...]  # ((lat_deg, lon_deg), ...)

MAX_AREA_KM2 = 400.0


def _ring(points, name: str) -> Ring:
    out = []
    for i, p in enumerate(points):
        try:
            lat, lon = float(p[0]), float(p[1])
        except (TypeError, ValueError, IndexError):
            raise GeometryError(f"{name} point {i}={p!r} is not a (lat, lon) pair.") from None
        check_lat_lon(lat, lon, name=f"{name} point {i}")
        out.append((lat, lon))
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return tuple(out)


def _refuse_antimeridian(ring: Ring, what: str) -> None:
    """Refuse a ring with an edge that spans more than 180 deg of longitude: it crosses the antimeridian.

    Such an edge is meant as the short way over longitude +-180, but every later
    stage (local frame, DEM coverage, maps) would take the long way round the
    Earth and report a nonsense area, so it is refused with a clear message.
    """
    n = len(ring)
    for i in range(n):
        (lat0, lon0), (lat1, lon1) = ring[i], ring[(i + 1) % n]
        if abs(lon1 - lon0) > 180.0:
            raise GeometryError(
                f"{what} crosses the antimeridian (longitude +-180 deg) between point {i} (lon {lon0:g}) and point "
                f"{(i + 1) % n} (lon {lon1:g}): allowed areas that lie on one side of it. Hint: split the area at "
                "longitude 180 and plan each part separately.")


@dataclass(frozen=True)
class SearchArea:
    """A search polygon in lat/lon: outer ring, holes (not searched) and no-fly zones (never entered)."""

    outer: Ring
    holes: tuple[Ring, ...] = ()
    no_fly: tuple[Ring, ...] = ()
    name: str = "area"

    def __post_init__(self) -> None:
        object.__setattr__(self, "outer", _ring(self.outer, f"{self.name} outer ring"))
        object.__setattr__(self, "holes", tuple(_ring(h, f"{self.name} hole {i}") for i, h in enumerate(self.holes)))
        object.__setattr__(self, "no_fly", tuple(_ring(h, f"{self.name} no-fly zone {i}") for i, h in enumerate(self.no_fly)))
        if len(self.outer) < 3:
            raise GeometryError(
                f"{self.name}: the outer ring has {len(self.outer)} distinct points: allowed >= 3. "
                "Hint: a search area is a polygon; for a point use a datum pattern (--datum).")
        for what, ring in ((f"{self.name} outer ring", self.outer),
                           *((f"{self.name} hole {i}", h) for i, h in enumerate(self.holes)),
                           *((f"{self.name} no-fly zone {i}", h) for i, h in enumerate(self.no_fly))):
            _refuse_antimeridian(ring, what)

    @property
    def centroid_lat_lon(self) -> tuple[float, float]:
        a = np.asarray(self.outer)
        return float(a[:, 0].mean()), float(a[:, 1].mean())


@dataclass(frozen=True)
class LocalArea:
    """Validated polygons in the local frame (metres)."""

    frame: LocalFrame = field(repr=False)
    outer: Polygon
    holes: tuple[Polygon, ...]
    no_fly: tuple[Polygon, ...]
    region: BaseGeometry  # outer - holes - no-fly: what is searched
    repaired: tuple[str, ...] = ()

    @property
    def area_m2(self) -> float:
        return float(self.region.area)


_WHERE = re.compile(r"\[([-0-9.e+]+)\s+([-0-9.e+]+)\]")


def _poly(frame: LocalFrame, ring: Ring, what: str, repair: bool, notes: list[str],
          part: tuple[str, str, int | None] = ("", "outer", None)) -> BaseGeometry:
    xy = frame.to_local_xy(np.asarray(ring))
    poly = Polygon(xy)
    if shapely.area(shapely.make_valid(poly)) < 1.0:
        raise GeometryError(
            f"{what} has an area of {poly.area:.2f} m^2: allowed >= 1 m^2 (its points are collinear or repeated). "
            "Hint: check the file; a line or a point is not a search area.")
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        where = ""
        lat = lon = None
        m = _WHERE.search(reason)
        if m:
            lat, lon = frame.to_geodetic(float(m.group(1)), float(m.group(2)))
            lat, lon = float(lat), float(lon)
            where = f" at lat {lat:.6f}, lon {lon:.6f}"
        if not repair:
            raise GeometryError(
                f"{what} is not a simple polygon: {reason.split('[')[0].strip().lower()}{where}. "
                "Hint: fix the outline (edges must not cross) or pass --repair to split it at the crossing.")
        fixed = shapely.make_valid(poly)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, (Polygon, MultiPolygon))]
        fixed = shapely.union_all(parts) if parts else Polygon()
        if fixed.is_empty or fixed.area < 1.0:
            raise GeometryError(f"{what} cannot be repaired: nothing of it encloses an area.")
        notes.append(PlanWarning("area_repaired", f"{what} repaired (was: {reason.split('[')[0].strip().lower()}{where})",
                                 name=part[0], part=part[1], index=part[2],
                                 reason=reason.split('[')[0].strip().lower(), lat_deg=lat, lon_deg=lon))
        return fixed
    return poly


def to_local(area: SearchArea, frame: LocalFrame | None = None, *, repair: bool = False) -> LocalArea:
    """Validate ``area`` and express it in ``frame`` (default: centred on the area)."""
    if frame is None:
        frame = LocalFrame.at(*area.centroid_lat_lon)
    notes: list[str] = []
    outer = _poly(frame, area.outer, f"{area.name} outer ring", repair, notes, (area.name, "outer", None))
    holes = tuple(_poly(frame, h, f"{area.name} hole {i}", repair, notes, (area.name, "hole", i))
                  for i, h in enumerate(area.holes))
    no_fly = tuple(_poly(frame, h, f"{area.name} no-fly zone {i}", repair, notes, (area.name, "no_fly", i))
                   for i, h in enumerate(area.no_fly))
    km2 = outer.area / 1e6
    if km2 > MAX_AREA_KM2:
        raise GeometryError(
            f"{area.name} covers {km2:.0f} km^2: allowed up to {MAX_AREA_KM2:g} km^2 for one plan. "
            "Hint: check that latitude and longitude are not swapped and the file is the right one, "
            "or split the area and search the most likely part first.")
    region = outer
    for h in holes + no_fly:
        region = region.difference(h)
    region = shapely.make_valid(region) if not region.is_valid else region
    region = shapely.union_all([g for g in getattr(region, "geoms", [region]) if isinstance(g, (Polygon, MultiPolygon))]) \
        if not isinstance(region, (Polygon, MultiPolygon)) else region
    if region.is_empty or region.area < 0.01 * outer.area:
        pct = 100.0 * (1.0 - (0.0 if region.is_empty else region.area) / outer.area)
        raise GeometryError(
            f"holes and no-fly zones cover {pct:.1f} % of {area.name}: allowed under 99 %, or nothing is left to search. "
            "Hint: check that holes lie inside the area and are not the area itself.")
    return LocalArea(frame, outer, holes, no_fly, region, tuple(notes))


def check_coverage(area: SearchArea, terrain, *, name: str = "area") -> None:
    """Raise :class:`OutOfCoverageError` when a vertex of ``area`` is outside ``terrain``.

    When the swapped coordinates would be inside, the message says so.
    """
    pts = np.asarray(area.outer + sum(area.holes, ()) + sum(area.no_fly, ()))
    inside = np.asarray(terrain.contains(pts[:, 0], pts[:, 1]), bool)
    if np.all(inside):
        return
    i = int(np.flatnonzero(~inside)[0])
    lat, lon = pts[i]
    hint = "load a DEM that covers the area (several tiles may be given with --dem A --dem B)"
    if abs(lon) <= 90 and bool(np.all(terrain.contains(pts[:, 1], pts[:, 0]))):
        hint = "latitude and longitude look swapped: with them swapped the area lies inside the DEM"
    b = terrain.bounds
    raise OutOfCoverageError(
        f"{name} point {i} (lat {lat:.6f}, lon {lon:.6f}) is outside the DEM {terrain.name!r}: allowed {b}. Hint: {hint}.")

