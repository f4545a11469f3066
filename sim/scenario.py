"""Scenario files: a small YAML document per synthetic situation.

Positions are metres east/north of the scenario ``origin`` (``at_m: [e, n]``)
or WGS-84 degrees (``at_deg: [lat, lon]``). Every mapping is checked for
unknown keys, every number for its allowed range; mistakes raise
:class:`geo.errors.FormatError` or :class:`geo.errors.InputError` naming the
file, the field path, the value and what is allowed. See
``sim/scenarios/*.yaml`` and ``docs/realism.md`` for the schema by example::

    name: my-search
    origin: {lat_deg: 30.38, lon_deg: 119.45}   # default: the terrain centre
    area_m: {center: [1500, -1500], size: 3000}
    time: {date: 2026-05-28, local_time: "20:15", utc_offset_h: 8}
    weather: {ambient_c: 20, cloud_fraction: 0.2}
    land_cover: {seed: 11, forest_fraction: 0.35, rock_slope_deg: 33}
    features: [{kind: pen, name: pen, at_m: [1500, -1500], size_m: [30, 20]}]
    targets: [{kind: sheep, count: 9, within: pen}]
    decoys: [{kind: rock, at_m: [1520, -1480]}]
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import FormatError, InputError, SarIOError
from sim.bodies import DECOY_KINDS, TARGET_KINDS

__all__ = ["ScenarioSpec", "FeatureSpec", "TargetSpec", "DecoySpec", "parse_scenario", "read_scenario",
           "scenario_names", "scenario_path", "SCENARIO_DIR"]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
FEATURE_KINDS = ("road", "building", "pond", "pen", "meadow", "forest", "rocks")


@dataclass(frozen=True)
class FeatureSpec:
    kind: str
    name: str | None = None
    at_m: tuple[float, float] | None = None
    points_m: tuple[tuple[float, float], ...] = ()
    size_m: tuple[float, float] | None = None
    radius_m: float | None = None
    width_m: float = 4.0
    heading_deg: float = 0.0
    canopy: float | None = None
    water_c: float | None = None


@dataclass(frozen=True)
class TargetSpec:
    kind: str
    at_m: tuple[float, float] | None = None
    at_deg: tuple[float, float] | None = None
    count: int = 1
    spread_m: float = 0.0
    within: str | None = None
    heading_deg: float | None = None
    canopy: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class DecoySpec:
    kind: str
    at_m: tuple[float, float] | None = None
    at_deg: tuple[float, float] | None = None
    count: int = 1
    spread_m: float = 0.0
    heading_deg: float | None = None
    temperature_c: float | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class ScenarioSpec:
    """A validated scenario document (positions not yet resolved on terrain)."""

    name: str
    description: str
    source: str
    origin_lat_deg: float | None
    origin_lon_deg: float | None
    area_center_m: tuple[float, float]
    area_size_m: float
    utc: dt.datetime
    utc_offset_h: float
    ambient_c: float
    cloud_fraction: float
    water_c: float | None
    seed: int
    forest_fraction: float
    rock_slope_deg: float
    features: tuple[FeatureSpec, ...] = ()
    targets: tuple[TargetSpec, ...] = ()
    decoys: tuple[DecoySpec, ...] = ()
    search_area_m: tuple[tuple[float, float], ...] = field(default=())
    terrain: str = "synthetic-mountain"


# --------------------------------------------------------------- validation helpers
class _Ctx:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, msg: str, *, fmt: bool = False) -> None:
        cls = FormatError if fmt else InputError
        raise cls(f"scenario {self.source}: {path}: {msg}")

    def mapping(self, v: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(v, dict):
            self.fail(path, f"expected a mapping (key: value), got {type(v).__name__} {v!r}.", fmt=True)
        for k in v:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                self.fail(path, f"unknown field {k!r}; allowed: {', '.join(allowed)}.{hint}", fmt=True)
        for k in required:
            if k not in v:
                self.fail(path, f"missing required field {k!r}.", fmt=True)
        return v

    def num(self, v: Any, path: str, lo: float, hi: float, what: str = "", *, integer: bool = False) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            self.fail(path, f"{v!r} is not a {'whole ' if integer else ''}number.", fmt=True)
        if not (math.isfinite(v) and lo <= v <= hi):
            self.fail(path, f"{v!r} is out of range: allowed {lo:g}..{hi:g}{' ' + what if what else ''}.")
        return int(v) if integer else float(v)

    def pair(self, v: Any, path: str, lo: float = -50_000, hi: float = 50_000) -> tuple[float, float]:
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            self.fail(path, f"expected a pair [a, b], got {v!r}.", fmt=True)
        return (self.num(v[0], f"{path}[0]", lo, hi), self.num(v[1], f"{path}[1]", lo, hi))

    def kind(self, v: Any, path: str, allowed: tuple[str, ...]) -> str:
        if v not in allowed:
            close = difflib.get_close_matches(str(v), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            self.fail(path, f"kind {v!r} is not known; allowed: {', '.join(allowed)}.{hint}")
        return str(v)


def _position(c: _Ctx, d: dict, path: str, *, required: bool = True):
    at_m = c.pair(d["at_m"], f"{path}.at_m") if "at_m" in d else None
    at_deg = None
    if "at_deg" in d:
        at_deg = c.pair(d["at_deg"], f"{path}.at_deg", -180, 180)
        if abs(at_deg[0]) > 90:
            c.fail(f"{path}.at_deg", f"latitude {at_deg[0]} is out of range: allowed -90..90. "
                   "Hint: at_deg is [lat, lon].")
    if at_m is not None and at_deg is not None:
        c.fail(path, "give either at_m or at_deg, not both.")
    if required and at_m is None and at_deg is None and "within" not in d:
        c.fail(path, "needs a position: at_m: [east, north] in metres or at_deg: [lat, lon].", fmt=True)
    return at_m, at_deg


def parse_scenario(doc: Any, *, source: str = "<scenario>") -> ScenarioSpec:
    """Validate a parsed YAML document and return its :class:`ScenarioSpec`."""
    c = _Ctx(source)
    top = c.mapping(doc, "top level", ("name", "description", "origin", "terrain", "area_m", "time", "weather",
                                       "land_cover", "features", "targets", "decoys", "search_area_m"),
                    ("name", "time", "weather"))
    name = str(top["name"])
    origin = c.mapping(top.get("origin", {}), "origin", ("lat_deg", "lon_deg"))
    olat = c.num(origin["lat_deg"], "origin.lat_deg", -90, 90) if "lat_deg" in origin else None
    olon = c.num(origin["lon_deg"], "origin.lon_deg", -180, 180) if "lon_deg" in origin else None
    if (olat is None) != (olon is None):
        c.fail("origin", "give both lat_deg and lon_deg (or neither, for the terrain centre).")
    terrain = str(top.get("terrain", "synthetic-mountain"))
    area = c.mapping(top.get("area_m", {}), "area_m", ("center", "size"))
    center = c.pair(area.get("center", [0.0, 0.0]), "area_m.center")
    size = c.num(area.get("size", 3000.0), "area_m.size", 100.0, 20_000.0, "metres")

    t = c.mapping(top["time"], "time", ("date", "local_time", "utc_offset_h"), ("date", "local_time"))
    try:
        date = t["date"] if isinstance(t["date"], dt.date) else dt.date.fromisoformat(str(t["date"]))
    except ValueError:
        c.fail("time.date", f"{t['date']!r} is not a date; allowed: YYYY-MM-DD.", fmt=True)
    lt = t["local_time"]
    if isinstance(lt, int):  # YAML 1.1 reads 20:15 as sexagesimal minutes
        lt = f"{lt // 60:02d}:{lt % 60:02d}"
    try:
        tm = dt.time.fromisoformat(str(lt))
    except ValueError:
        c.fail("time.local_time", f"{lt!r} is not a time of day; allowed: \"HH:MM\" (quote it).", fmt=True)
    off = c.num(t.get("utc_offset_h", 0.0), "time.utc_offset_h", -12, 14, "hours")
    utc = dt.datetime.combine(date, tm) - dt.timedelta(hours=off)

    w = c.mapping(top["weather"], "weather", ("ambient_c", "cloud_fraction", "water_c"), ("ambient_c",))
    ambient = c.num(w["ambient_c"], "weather.ambient_c", -45.0, 50.0,
                    "C (air temperature; the coldest and hottest inhabited places on Earth)")
    cloud = c.num(w.get("cloud_fraction", 0.2), "weather.cloud_fraction", 0.0, 1.0)
    water = c.num(w["water_c"], "weather.water_c", -2.0, 40.0, "C (liquid water)") if "water_c" in w else None

    lc = c.mapping(top.get("land_cover", {}), "land_cover", ("seed", "forest_fraction", "rock_slope_deg"))
    seed = c.num(lc.get("seed", 0), "land_cover.seed", 0, 2**31 - 1, integer=True)
    forest = c.num(lc.get("forest_fraction", 0.35), "land_cover.forest_fraction", 0.0, 1.0)
    rock = c.num(lc.get("rock_slope_deg", 33.0), "land_cover.rock_slope_deg", 5.0, 90.0, "deg")

    feats = []
    for i, f in enumerate(_list(c, top.get("features", []), "features")):
        p = f"features[{i}]"
        f = c.mapping(f, p, ("kind", "name", "at_m", "points_m", "size_m", "radius_m", "width_m", "heading_deg",
                             "canopy", "water_c"), ("kind",))
        kind = c.kind(f["kind"], f"{p}.kind", FEATURE_KINDS)
        pts = tuple(c.pair(q, f"{p}.points_m[{j}]") for j, q in enumerate(_list(c, f.get("points_m", []), p)))
        if kind == "road" and len(pts) < 2:
            c.fail(f"{p}.points_m", "a road needs at least 2 points [[e, n], ...] in metres.", fmt=True)
        at = c.pair(f["at_m"], f"{p}.at_m") if "at_m" in f else None
        if kind != "road" and at is None:
            c.fail(p, f"a {kind} needs at_m: [east, north].", fmt=True)
        sz = c.pair(f["size_m"], f"{p}.size_m", 0.5, 5000) if "size_m" in f else None
        if kind in ("building", "pen") and sz is None:
            c.fail(p, f"a {kind} needs size_m: [length, width] in metres.", fmt=True)
        rad = c.num(f["radius_m"], f"{p}.radius_m", 0.5, 5000, "m") if "radius_m" in f else None
        if kind in ("pond", "meadow", "forest", "rocks") and rad is None:
            c.fail(p, f"a {kind} needs radius_m.", fmt=True)
        feats.append(FeatureSpec(
            kind, f.get("name"), at, pts, sz, rad, c.num(f.get("width_m", 4.0), f"{p}.width_m", 0.5, 50, "m"),
            c.num(f.get("heading_deg", 0.0), f"{p}.heading_deg", -360, 360),
            c.num(f["canopy"], f"{p}.canopy", 0, 1) if "canopy" in f else None,
            c.num(f["water_c"], f"{p}.water_c", -2, 40, "C (liquid water)") if "water_c" in f else None))
    names = {f.name for f in feats if f.name}

    targets = []
    for i, tg in enumerate(_list(c, top.get("targets", []), "targets")):
        p = f"targets[{i}]"
        tg = c.mapping(tg, p, ("kind", "at_m", "at_deg", "count", "spread_m", "within", "heading_deg", "canopy",
                               "label"), ("kind",))
        kind = c.kind(tg["kind"], f"{p}.kind", TARGET_KINDS)
        at_m, at_deg = _position(c, tg, p)
        within = tg.get("within")
        if within is not None and within not in names:
            c.fail(f"{p}.within", f"{within!r} names no feature; named features: {', '.join(sorted(names)) or 'none'}.")
        targets.append(TargetSpec(
            kind, at_m, at_deg, c.num(tg.get("count", 1), f"{p}.count", 1, 500, integer=True),
            c.num(tg.get("spread_m", 0.0), f"{p}.spread_m", 0, 5000, "m"), within,
            c.num(tg["heading_deg"], f"{p}.heading_deg", -360, 360) if "heading_deg" in tg else None,
            c.num(tg["canopy"], f"{p}.canopy", 0, 1, "(fraction of the body hidden by canopy)")
            if "canopy" in tg else None, tg.get("label")))

    decoys = []
    for i, dc in enumerate(_list(c, top.get("decoys", []), "decoys")):
        p = f"decoys[{i}]"
        dc = c.mapping(dc, p, ("kind", "at_m", "at_deg", "count", "spread_m", "heading_deg", "temperature_c",
                               "scale"), ("kind",))
        kind = c.kind(dc["kind"], f"{p}.kind", DECOY_KINDS)
        at_m, at_deg = _position(c, dc, p)
        decoys.append(DecoySpec(
            kind, at_m, at_deg, c.num(dc.get("count", 1), f"{p}.count", 1, 500, integer=True),
            c.num(dc.get("spread_m", 0.0), f"{p}.spread_m", 0, 5000, "m"),
            c.num(dc["heading_deg"], f"{p}.heading_deg", -360, 360) if "heading_deg" in dc else None,
            c.num(dc["temperature_c"], f"{p}.temperature_c", -40, 1200,
                  "C (from frozen ground to a wood fire's flame)") if "temperature_c" in dc else None,
            c.num(dc.get("scale", 1.0), f"{p}.scale", 0.1, 10)))

    search = tuple(c.pair(q, f"search_area_m[{j}]") for j, q in
                   enumerate(_list(c, top.get("search_area_m", []), "search_area_m")))
    if search and len(search) < 3:
        c.fail("search_area_m", "a polygon needs at least 3 vertices [[e, n], ...].")
    return ScenarioSpec(name, str(top.get("description", "")).strip(), source, olat, olon, center, size, utc, off,
                        ambient, cloud, water, seed, forest, rock, tuple(feats), tuple(targets), tuple(decoys),
                        search, terrain)


def _list(c: _Ctx, v: Any, path: str) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        c.fail(path, f"expected a list, got {type(v).__name__}.", fmt=True)
    return v


def scenario_names() -> tuple[str, ...]:
    """Names of the bundled scenarios."""
    return tuple(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))


def scenario_path(name_or_path: str | Path) -> Path:
    """The YAML file for a bundled scenario name or a path."""
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise SarIOError(f"scenario file {str(p)!r} does not exist.")
        return p
    q = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not q.is_file():
        raise InputError(f"scenario={name_or_path!r} is not a bundled scenario; allowed: "
                         f"{', '.join(scenario_names())}, or a path to a .yaml file.")
    return q


def read_scenario(name_or_path: str | Path) -> ScenarioSpec:
    """Read and validate a bundled scenario by name or a YAML file by path."""
    import yaml

    p = scenario_path(name_or_path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SarIOError(f"cannot read scenario {str(p)!r}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise FormatError(f"scenario {str(p)!r} is not a text file (not UTF-8): allowed a scenario .yaml file or a "
                          f"bundled name ({', '.join(scenario_names())}). Hint: a DEM goes to --dem, not "
                          "--scenario.") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"scenario {p.name}: not valid YAML: {exc}".replace("\n", " ")) from None
    return parse_scenario(doc, source=p.name)
