"""Search patterns around a datum (IAMSAR) and probability rings around a planning point.

* expanding square (SS): legs of S, S, 2S, 2S, 3S, ... turning 90 deg right,
  centred on the datum, until the square covers ``radius_m``;
* sector search (VS): three equilateral triangles of side ``radius_m``
  through the datum, each turned 120 deg (9 legs);
* creeping line ahead (CS): parallel lines across a rectangle, advancing
  from the datum along ``bearing_deg``.

Legs are built in the local frame and flown by the same route, terrain
following and sortie stages as the parallel sweep (:func:`mission.plan_search`).
IAMSAR: International Aeronautical and Maritime Search and Rescue Manual, Vol. II, ch. 5.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.coords import check_lat_lon
from geo.errors import FormatError, InputError, SarIOError, out_of_range
from geo.frames import LocalFrame
from mission.area import SearchArea
from mission.swaths import Swath, decompose
from mission.route import order_cells

__all__ = ["plan_datum", "plan_rings", "DistanceTable", "load_distance_table", "EXAMPLE_DISTANCE_TABLE",
           "PATTERNS", "expanding_square_legs", "sector_legs"]

EXAMPLE_DISTANCE_TABLE = Path(__file__).with_name("data") / "distance_rings_example.csv"
PATTERNS = ("expanding-square", "sector", "creeping-line")


def _unit(bearing_deg: float) -> np.ndarray:
    b = math.radians(bearing_deg)
    return np.array([math.sin(b), math.cos(b)])


def expanding_square_legs(spacing_m: float, radius_m: float, bearing_deg: float = 0.0) -> list[Swath]:
    """Legs of an expanding square around (0, 0) that reach ``radius_m`` in every direction."""
    p = np.zeros(2)
    legs = []
    k = 0
    while True:
        n = k // 2 + 1
        q = p + n * spacing_m * _unit(bearing_deg + 90.0 * k)
        legs.append(Swath(float(p[0]), float(p[1]), float(q[0]), float(q[1])))
        p = q
        k += 1
        if n * spacing_m / 2.0 >= radius_m + spacing_m / 2.0 and k % 2 == 0:
            break
        if k > 4000:
            break
    return legs


def sector_legs(radius_m: float, bearing_deg: float = 0.0) -> list[Swath]:
    """The 9 legs of a sector search (VS) from (0, 0): three triangles of side ``radius_m``."""
    pts = [np.zeros(2)]
    h = bearing_deg
    for _ in range(3):
        a = pts[-1] + radius_m * _unit(h)
        b = a + radius_m * _unit(h + 120.0)
        pts += [a, b, np.zeros(2)]
        h = h + 240.0
    return [Swath(float(a[0]), float(a[1]), float(b[0]), float(b[1])) for a, b in zip(pts[:-1], pts[1:])]


def _ring_ll(frame: LocalFrame, xy: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((float(a), float(b)) for a, b in frame.to_lat_lon(xy))


def _circle(r: float, n: int = 72) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([r * np.sin(t), r * np.cos(t)])


def plan_datum(datum: tuple[float, float], *, pattern: str = "expanding-square", radius_m: float = 500.0,
               bearing_deg: float = 0.0, length_m: float | None = None, **kw):
    """A datum search (IAMSAR pattern) around ``datum`` = (lat_deg, lon_deg); other options as plan_search."""
    from mission.planner import plan_search

    check_lat_lon(float(datum[0]), float(datum[1]), name="datum")
    if pattern not in PATTERNS:
        raise InputError(f"pattern={pattern!r}: allowed {', '.join(PATTERNS)}.")
    if not (20.0 <= radius_m <= 20000.0):
        raise InputError(out_of_range("radius_m", radius_m, "20..20000 m", "--radius is the search radius around the datum in metres, e.g. --radius 500 (the default)."))
    frame = LocalFrame.at(float(datum[0]), float(datum[1]))
    if pattern == "expanding-square":
        outline = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * radius_m
        outline = outline @ np.array([[math.cos(math.radians(-bearing_deg)), -math.sin(math.radians(-bearing_deg))],
                                      [math.sin(math.radians(-bearing_deg)), math.cos(math.radians(-bearing_deg))]]).T
    elif pattern == "sector":
        outline = _circle(radius_m)
    else:
        L = float(length_m or 2 * radius_m)
        d, n = _unit(bearing_deg), _unit(bearing_deg + 90.0)
        outline = np.array([-radius_m * n, -radius_m * n + L * d, radius_m * n + L * d, radius_m * n])
    area = SearchArea(_ring_ll(frame, outline), name=f"{pattern} around datum")

    def legs(local_frame: LocalFrame, region, spacing_m: float) -> tuple[Swath, ...]:
        c = np.array(local_frame.to_local(float(datum[0]), float(datum[1])))
        if pattern == "expanding-square":
            raw = expanding_square_legs(spacing_m, radius_m, bearing_deg)
        elif pattern == "sector":
            raw = sector_legs(radius_m, bearing_deg)
        else:
            cells = decompose(region, (bearing_deg + 90.0) % 180.0, spacing_m)
            return order_cells(cells, tuple(c))
        return tuple(Swath(s.ax_m + c[0], s.ay_m + c[1], s.bx_m + c[0], s.by_m + c[1]) for s in raw)

    return plan_search(area, legs_fn=legs, pattern_name=pattern, **kw)


@dataclass(frozen=True)
class DistanceTable:
    """Distances (km) within which 25/50/75/95 % of subjects of each category were found."""

    rows: dict[str, tuple[float, float, float, float]]
    source: str

    def rings_km(self, category: str) -> tuple[float, float, float, float]:
        key = category.strip().lower()
        if key not in self.rows:
            raise InputError(f"category={category!r} is not in the distance table; allowed: {', '.join(self.rows)}.")
        return self.rows[key]


def load_distance_table(path: str | Path = EXAMPLE_DISTANCE_TABLE) -> DistanceTable:
    """Read a CSV ``category,terrain,p25_km,p50_km,p75_km,p95_km`` (lines starting with # are comments)."""
    p = Path(path)
    hint = ("Hint: a distance table is a UTF-8 CSV text file with the columns category,terrain,p25_km,p50_km,"
            "p75_km,p95_km; leave out --distance-table to use the shipped example.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"distance table {str(p)!r} is not a text file (not UTF-8 CSV). {hint}") from None
    except OSError as exc:
        raise SarIOError(f"cannot read distance table {str(p)!r}: {exc.strerror or exc}.") from None
    if "\0" in text:
        raise FormatError(f"distance table {str(p)!r} is not a text file (it holds NUL bytes). {hint}")
    comments = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")]
    rows: dict[str, tuple[float, float, float, float]] = {}
    reader = csv.DictReader(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise FormatError(f"distance table {str(p)!r} is not valid CSV: {exc}. {hint}") from None
    for i, r in enumerate(records, start=1):
        try:
            v = tuple(float(r[k]) for k in ("p25_km", "p50_km", "p75_km", "p95_km"))
            category = r["category"]
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"{p.name}: row {i} needs a category and numeric p25_km,p50_km,p75_km,p95_km "
                              f"columns. {hint}") from None
        if category is None or not str(category).strip():
            raise FormatError(f"{p.name}: row {i} has no category. {hint}")
        if not all(math.isfinite(a) for a in v) or not all(0 < a < b for a, b in zip(v, v[1:])) or v[0] <= 0:
            raise FormatError(f"{p.name}: row {i} ({r.get('category')}): distances {v} must be finite, positive and increasing. {hint}")
        rows[str(category).strip().lower()] = v  # type: ignore[assignment]
    if not rows:
        raise FormatError(f"{p.name}: no rows. Hint: columns are category,terrain,p25_km,p50_km,p75_km,p95_km.")
    return DistanceTable(rows, " ".join(comments))


def plan_rings(ipp: tuple[float, float], *, category: str, table: DistanceTable | None = None,
               up_to_percent: int = 75, **kw):
    """Search the rings around an initial planning point, most probable (innermost) first.

    Rings go to the ``up_to_percent`` distance (25, 50, 75 or 95) of ``category`` in ``table``.
    """
    from mission.planner import plan_search

    check_lat_lon(float(ipp[0]), float(ipp[1]), name="ipp")
    table = table or load_distance_table()
    km = table.rings_km(category)
    levels = (25, 50, 75, 95)
    if up_to_percent not in levels:
        raise InputError(f"up_to_percent={up_to_percent!r}: allowed 25, 50, 75, 95.")
    n = levels.index(up_to_percent) + 1
    frame = LocalFrame.at(float(ipp[0]), float(ipp[1]))
    rings = []
    for k in range(n):
        outer = _ring_ll(frame, _circle(km[k] * 1000.0))
        holes = (_ring_ll(frame, _circle(km[k - 1] * 1000.0 * 0.999)),) if k else ()
        rings.append(SearchArea(outer, holes, name=f"{levels[k]} % ring"))
    area = SearchArea(_ring_ll(frame, _circle(km[n - 1] * 1000.0)), name=f"{category} {up_to_percent} % area")
    return plan_search(area, priorities=rings, pattern_name="probability-rings", **kw)
