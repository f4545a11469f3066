"""A synthetic thermal scene: terrain, land cover, background temperature, bodies.

:func:`build_scene` turns a :class:`~sim.scenario.ScenarioSpec` into a
:class:`Scene`: it resamples the terrain once onto a
:class:`geo.HeightGrid`, draws procedural land cover (forest from smooth
noise, rock on steep slopes, the scenario's roads, buildings, ponds and pens)
on a 2.5 m raster, evaluates the background temperature there with
:mod:`sim.physics` for the scenario's date, time and weather, and places the
targets and decoys on the ground. Everything is deterministic for the
scenario's seed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

import geo
from geo.errors import InputError, OutOfCoverageError
from sim import physics
from sim.bodies import Part, decoy_parts, target_parts
from sim.physics import COVER_NAMES, COVER_PARAMS
from sim.scenario import ScenarioSpec

__all__ = ["Scene", "VectorFeature", "SceneTarget", "SceneDecoy", "ThermalMap", "build_scene", "RASTER_RES_M"]

RASTER_RES_M = 2.5
_MARGIN_M = 700.0  # beyond the area: oblique views from its edge still see modelled ground
_COVER = {n: i for i, n in enumerate(COVER_NAMES)}


@dataclass(frozen=True)
class ThermalMap:
    """Rasters over the scene in its local frame; row 0 is the southern edge (like HeightGrid).

    ``apparent_c``: background apparent temperature (C); ``texture_c``: std of the
    fine texture added per pixel; ``cover``: index into :data:`sim.physics.COVER_NAMES`;
    ``canopy``: canopy closure 0..1.
    """

    x0_m: float
    y0_m: float
    res_m: float
    apparent_c: np.ndarray = field(repr=False)
    texture_c: np.ndarray = field(repr=False)
    cover: np.ndarray = field(repr=False)
    canopy: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("apparent_c", "texture_c", "cover", "canopy"):
            getattr(self, name).setflags(write=False)

    def index(self, x_m, y_m):
        """Fractional (row, col) of local coordinates."""
        return (np.asarray(y_m, float) - self.y0_m) / self.res_m, (np.asarray(x_m, float) - self.x0_m) / self.res_m

    def sample(self, name: str, x_m, y_m):
        """Bilinear value of raster ``name`` at local points (clamped at the edges)."""
        a = getattr(self, name)
        r, c = self.index(x_m, y_m)
        r = np.clip(r, 0, a.shape[0] - 1.001)
        c = np.clip(c, 0, a.shape[1] - 1.001)
        r0 = r.astype(int)
        c0 = c.astype(int)
        fr, fc = r - r0, c - c0
        top = a[r0, c0].astype(np.float64) * (1 - fc) + a[r0, c0 + 1] * fc
        bot = a[r0 + 1, c0].astype(np.float64) * (1 - fc) + a[r0 + 1, c0 + 1] * fc
        return top * (1 - fr) + bot * fr


@dataclass(frozen=True)
class VectorFeature:
    """A man-made feature or pond drawn with sharp edges at render time.

    ``shape``: "segment" (params x0, y0, x1, y1, half_width), "disk" (x, y, radius) or
    "rect" (x, y, half_length, half_width, heading_deg), local metres; ``apparent_c``:
    its apparent temperature; ``bbox_m``: (min_x, min_y, max_x, max_y).
    """

    cover: str
    shape: str
    params: tuple[float, ...]
    apparent_c: float
    texture_c: float
    bbox_m: tuple[float, float, float, float]


@dataclass(frozen=True)
class SceneTarget:
    """A target on the ground: class, position (local and WGS-84), heading, canopy cover, parts."""

    target_id: int
    kind: str
    class_name: str
    x_m: float
    y_m: float
    ground_amsl_m: float
    lat_deg: float
    lon_deg: float
    heading_deg: float
    canopy: float
    parts: tuple[Part, ...]
    label: str = ""


@dataclass(frozen=True)
class SceneDecoy:
    """A warm object that is not a target (fire, engine, chimney, rock, outlet)."""

    decoy_id: int
    kind: str
    x_m: float
    y_m: float
    ground_amsl_m: float
    lat_deg: float
    lon_deg: float
    heading_deg: float
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Scene:
    """Everything needed to render frames over one synthetic situation."""

    name: str
    description: str
    terrain: geo.Terrain = field(repr=False)
    frame: geo.LocalFrame = field(repr=False)
    grid: geo.HeightGrid = field(repr=False)
    thermal: ThermalMap = field(repr=False)
    features: tuple[VectorFeature, ...]
    targets: tuple[SceneTarget, ...]
    decoys: tuple[SceneDecoy, ...]
    utc_iso: str
    local_time: str
    ambient_c: float
    air_c: float
    sky_c: float
    cloud_fraction: float
    sun_elevation_deg: float
    sun_azimuth_deg: float
    pens_latlon: tuple[tuple[tuple[float, float], ...], ...]
    search_area_latlon: tuple[tuple[float, float], ...]
    area_bounds_m: tuple[float, float, float, float]
    seed: int

    @property
    def target_positions_latlon(self) -> tuple[tuple[float, float], ...]:
        """(lat_deg, lon_deg) of every target, in target order."""
        return tuple((t.lat_deg, t.lon_deg) for t in self.targets)

    @property
    def pen_latlon(self) -> tuple[tuple[float, float], ...] | None:
        """The first pen's corners as (lat_deg, lon_deg), or None when the scenario has no pen."""
        return self.pens_latlon[0] if self.pens_latlon else None

    def extent_text(self) -> str:
        """The scene's ground as lat/lon ranges and local metres, for messages."""
        g = self.grid
        rows, cols = g.heights_m.shape
        x0, y0 = g.x0_m, g.y0_m
        x1, y1 = x0 + (cols - 1) * g.res_m, y0 + (rows - 1) * g.res_m
        lat, lon = self.frame.to_geodetic(np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]))
        return (f"lat {float(np.min(lat)):.6f}..{float(np.max(lat)):.6f}, lon {float(np.min(lon)):.6f}.."
                f"{float(np.max(lon)):.6f} (local east {x0:.0f}..{x1:.0f} m, north {y0:.0f}..{y1:.0f} m)")

    def ground_amsl_m(self, lat_deg: float, lon_deg: float) -> float:
        """Terrain elevation AMSL at a point of the scene."""
        x, y = self.frame.to_local(lat_deg, lon_deg)
        h = float(self.grid.height_at(x, y))
        if math.isnan(h):
            raise OutOfCoverageError(f"lat_deg={lat_deg:.6f}, lon_deg={lon_deg:.6f} is outside scene {self.name!r}: "
                                     f"allowed {self.extent_text()}. Hint: `thermal-sar sim scenarios` shows where "
                                     "to look; leave --at out to look at the pen or the first target.")
        return h

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for t in self.targets:
            counts[t.class_name] = counts.get(t.class_name, 0) + 1
        what = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no targets"
        return (f"scene {self.name}: {what}, {len(self.decoys)} decoys; local {self.local_time}, air "
                f"{self.ambient_c:.1f} C, sun {self.sun_elevation_deg:.1f} deg up")


# ------------------------------------------------------------------ noise
def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell_px: float) -> np.ndarray:
    """Zero-mean, unit-std smooth noise with features about ``cell_px`` raster cells wide."""
    import cv2

    n0 = max(3, int(math.ceil(shape[0] / cell_px)) + 3)
    n1 = max(3, int(math.ceil(shape[1] / cell_px)) + 3)
    coarse = rng.standard_normal((n0, n1)).astype(np.float32)
    up = cv2.resize(coarse, (int(n1 * cell_px), int(n0 * cell_px)), interpolation=cv2.INTER_CUBIC)
    up = up[: shape[0], : shape[1]]
    up = up - up.mean()
    return up / (up.std() + 1e-9)


def _local(frame: geo.LocalFrame, origin_xy: tuple[float, float], at_m, at_deg) -> tuple[float, float]:
    if at_deg is not None:
        x, y = frame.to_local(at_deg[0], at_deg[1])
        return float(x), float(y)
    return origin_xy[0] + at_m[0], origin_xy[1] + at_m[1]


def _rect(cx: float, cy: float, length: float, width: float, heading_deg: float) -> np.ndarray:
    h = math.radians(heading_deg)
    f = np.array([math.sin(h), math.cos(h)])
    l = np.array([-math.cos(h), math.sin(h)])
    c = np.array([cx, cy])
    return np.array([c + f * length / 2 + l * width / 2, c + f * length / 2 - l * width / 2,
                     c - f * length / 2 - l * width / 2, c - f * length / 2 + l * width / 2])


# ------------------------------------------------------------------ builder
def build_scene(spec: ScenarioSpec, terrain: geo.Terrain | None = None) -> Scene:
    """Build the :class:`Scene` of ``spec`` over ``terrain`` (default: the synthetic mountain)."""
    import cv2
    from shapely.geometry import MultiPoint, Point, Polygon

    if terrain is None:
        if spec.terrain not in ("synthetic-mountain", "synthetic"):
            terrain = geo.load_terrain(spec.terrain)
        else:
            terrain = geo.synthetic_mountain()
    if spec.origin_lat_deg is not None:
        olat, olon = spec.origin_lat_deg, spec.origin_lon_deg
    else:
        olat, olon = terrain.bounds.center if terrain.bounds.south_lat_deg > -89 else (
            geo.DEMO_ORIGIN_LAT_DEG, geo.DEMO_ORIGIN_LON_DEG)
    frame = geo.LocalFrame.at(olat, olon)
    origin = (0.0, 0.0)
    cx, cy = spec.area_center_m
    half = spec.area_size_m / 2
    area = (cx - half, cy - half, cx + half, cy + half)
    src = spec.source

    # Terrain grid: area plus a margin, clipped to coverage; the area itself must be covered.
    lat_c, lon_c = frame.to_geodetic(cx, cy)
    corners = [(cx - half, cy - half), (cx + half, cy - half), (cx - half, cy + half), (cx + half, cy + half)]
    for ex, ey in corners + [(cx, cy)]:
        la, lo = frame.to_geodetic(ex, ey)
        if not bool(terrain.contains(la, lo)):
            raise OutOfCoverageError(
                f"scenario {src}: area_m (center {spec.area_center_m}, size {spec.area_size_m:g} m) reaches "
                f"lat_deg={float(la):.5f}, lon_deg={float(lo):.5f}, outside terrain {terrain.name!r} "
                f"({terrain.bounds}). Hint: shrink area_m or load a DEM that covers it.")
    grid = geo.HeightGrid.around(terrain, frame, cx, cy, half + _MARGIN_M)

    # Raster geometry (same footprint as the grid).
    res = RASTER_RES_M
    ny = int(round((grid.y_max_m - grid.y0_m) / res)) + 1
    nx = int(round((grid.x_max_m - grid.x0_m) / res)) + 1
    xs = grid.x0_m + res * np.arange(nx)
    ys = grid.y0_m + res * np.arange(ny)
    rng = np.random.default_rng(spec.seed)

    def thermal_index(x, y):
        return (np.clip(np.rint((np.asarray(y) - grid.y0_m) / res).astype(int), 0, ny - 1),
                np.clip(np.rint((np.asarray(x) - grid.x0_m) / res).astype(int), 0, nx - 1))

    def to_px(pts: np.ndarray) -> np.ndarray:
        p = np.asarray(pts, float).reshape(-1, 2)
        return np.stack([(p[:, 0] - grid.x0_m) / res, (p[:, 1] - grid.y0_m) / res], axis=-1)

    # Slope/aspect on the terrain grid (x east = columns, y north = rows, row 0 south).
    h = grid.heights_m
    gy, gx = np.gradient(h, grid.res_m)
    slope_g = np.degrees(np.arctan(np.hypot(gx, gy)))
    aspect_g = np.mod(np.degrees(np.arctan2(-gx, -gy)), 360.0)
    gshape = (ny, nx)

    def up(a: np.ndarray) -> np.ndarray:
        return cv2.resize(a.astype(np.float32), (nx, ny), interpolation=cv2.INTER_LINEAR)

    elev = up(h)
    slope = up(slope_g)

    # ---------------------------------------------------------------- land cover
    forest_noise = 0.8 * _smooth_noise(rng, gshape, 160 / res) + 0.35 * _smooth_noise(rng, gshape, 25 / res)
    rock_noise = _smooth_noise(rng, gshape, 12 / res)
    cover = np.full(gshape, _COVER["grass"], np.uint8)
    if spec.forest_fraction > 0:
        thr = np.quantile(forest_noise[::8, ::8], 1.0 - spec.forest_fraction)
        cover[forest_noise >= thr] = _COVER["forest"]
    cover[slope + 4.0 * rock_noise > spec.rock_slope_deg] = _COVER["rock"]
    canopy = np.where(cover == _COVER["forest"], np.clip(0.82 + 0.12 * _smooth_noise(rng, gshape, 6 / res), 0.5, 1.0),
                      0.0).astype(np.float32)
    pens: list[tuple[tuple[float, float], ...]] = []
    named: dict[str, Polygon] = {}

    def poly_mask(poly_xy: np.ndarray) -> np.ndarray:
        m = np.zeros(gshape, np.uint8)
        cv2.fillPoly(m, [np.rint(to_px(poly_xy) * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
        return m.astype(bool)

    def disk_mask(x: float, y: float, r: float) -> np.ndarray:
        m = np.zeros(gshape, np.uint8)
        p = to_px(np.array([x, y]))[0]
        cv2.circle(m, (int(round(p[0] * 16)), int(round(p[1] * 16))), int(round(r / res * 16)), 1, -1,
                   lineType=cv2.LINE_8, shift=4)
        return m.astype(bool)

    # Clearings and forests first, then the man-made features (and ponds) as vectors.
    order = {"meadow": 0, "forest": 0, "rocks": 1, "pond": 2, "road": 3, "pen": 4, "building": 5}
    vec_specs: list[tuple[str, str, tuple, np.ndarray]] = []  # (kind, shape, params, sample points xy)
    for f in sorted(spec.features, key=lambda f: order[f.kind]):
        if f.kind == "road":
            pts = np.array([_local(frame, origin, p, None) for p in f.points_m])
            # Man-made features are drawn sharp at render time (vector); the raster under them is cleared
            # of trees so their surroundings look like a verge.
            m = np.zeros(gshape, np.uint8)
            cv2.polylines(m, [np.rint(to_px(pts) * 16).astype(np.int32)], False, 1,
                          thickness=max(1, int(round(f.width_m / res)) + 2), lineType=cv2.LINE_8, shift=4)
            cover[m.astype(bool) & (cover == _COVER["forest"])] = _COVER["grass"]
            canopy[m.astype(bool)] = 0.0
            for a, b in zip(pts[:-1], pts[1:]):
                vec_specs.append(("road", "segment", (a[0], a[1], b[0], b[1], f.width_m / 2), np.array([a, b])))
            continue
        x, y = _local(frame, origin, f.at_m, None)
        if f.kind in ("meadow", "forest", "rocks"):
            m = disk_mask(x, y, f.radius_m)
            kind = {"meadow": "grass", "forest": "forest", "rocks": "rock"}[f.kind]
            cover[m] = _COVER[kind]
            if kind == "forest":
                canopy[m] = np.clip(f.canopy if f.canopy is not None else 0.9, 0.0, 1.0)
            else:
                canopy[m] = 0.0
            if f.name:
                named[f.name] = Point(x, y).buffer(f.radius_m)
        elif f.kind == "pond":
            m = disk_mask(x, y, f.radius_m + 3 * res)
            cover[m & (cover == _COVER["forest"])] = _COVER["grass"]
            canopy[m] = 0.0
            vec_specs.append(("water", "disk", (x, y, f.radius_m, f.water_c), np.array([[x, y]])))
            if f.name:
                named[f.name] = Point(x, y).buffer(f.radius_m)
        else:  # pen, building
            poly = _rect(x, y, f.size_m[0], f.size_m[1], f.heading_deg)
            m = poly_mask(_rect(x, y, f.size_m[0] + 4 * res, f.size_m[1] + 4 * res, f.heading_deg))
            cover[m & (cover != _COVER["grass"])] = _COVER["grass"]
            canopy[m] = 0.0
            vec_specs.append(("soil" if f.kind == "pen" else "building", "rect",
                              (x, y, f.size_m[0] / 2, f.size_m[1] / 2, f.heading_deg), poly))
            if f.kind == "pen":
                lat, lon = frame.to_geodetic(poly[:, 0], poly[:, 1])
                pens.append(tuple((float(a), float(b)) for a, b in zip(lat, lon)))
            if f.name:
                named[f.name] = Polygon(poly)

    # ---------------------------------------------------------------- temperatures
    utc = spec.utc
    doy = utc.timetuple().tm_yday
    hour = utc.hour + utc.minute / 60 + utc.second / 3600
    lat0, lon0 = float(lat_c), float(lon_c)
    sun_el, sun_az = physics.sun_position(doy, hour, lat0, lon0)
    dark = physics.darkness(doy, hour, lat0, lon0)
    z_ref = float(grid.height_at(cx, cy))
    air = physics.air_temperature_c(spec.ambient_c, elev, z_ref)
    sky = physics.sky_temperature_c(spec.ambient_c, spec.cloud_fraction)
    water_default = spec.water_c if spec.water_c is not None else spec.ambient_c - 2.0
    surf = np.empty(gshape, np.float32)
    eps = np.empty(gshape, np.float32)
    tex = np.empty(gshape, np.float32)
    flux_by_tau: dict[float, np.ndarray] = {}
    day_flux = 0.0
    for i, cp in enumerate(COVER_PARAMS):
        m = cover == i
        eps[m] = cp.emissivity
        tex[m] = cp.texture_c
        if not m.any():
            continue
        if cp.name == "water":
            surf[m] = water_default
            continue
        if cp.tau_h not in flux_by_tau:
            flux_by_tau[cp.tau_h] = up(physics.lagged_flux(
                slope_g, aspect_g, day_of_year=doy, utc_hour=hour, lat_deg=lat0, lon_deg=lon0,
                cloud_fraction=spec.cloud_fraction, tau_h=cp.tau_h))
        fl = flux_by_tau[cp.tau_h]
        if cp.name == "grass":
            day_flux = float(np.median(fl))
        surf[m] = physics.surface_temperature_c(air[m], cp, fl[m], dark, spec.cloud_fraction)
    features: list[VectorFeature] = []
    for kind, shape, params, pts in vec_specs:
        cp = COVER_PARAMS[_COVER[kind]]
        if kind == "water":
            t_s = params[3] if params[3] is not None else water_default
        else:
            if cp.tau_h not in flux_by_tau:
                flux_by_tau[cp.tau_h] = up(physics.lagged_flux(
                    slope_g, aspect_g, day_of_year=doy, utc_hour=hour, lat_deg=lat0, lon_deg=lon0,
                    cloud_fraction=spec.cloud_fraction, tau_h=cp.tau_h))
            r_i, c_i = thermal_index(pts[:, 0], pts[:, 1])
            fl = float(np.median(flux_by_tau[cp.tau_h][r_i, c_i]))
            a_f = float(np.median(air[r_i, c_i]))
            t_s = float(physics.surface_temperature_c(a_f, cp, fl, dark, spec.cloud_fraction))
            if kind == "building":
                t_s += 2.0  # heated rooms under the roof
        app = cp.emissivity * t_s + (1 - cp.emissivity) * sky
        if shape == "segment":
            x0, y0, x1, y1, hw = params
            bb = (min(x0, x1) - hw, min(y0, y1) - hw, max(x0, x1) + hw, max(y0, y1) + hw)
        elif shape == "disk":
            bb = (params[0] - params[2], params[1] - params[2], params[0] + params[2], params[1] + params[2])
        else:
            bb = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
        features.append(VectorFeature(kind, shape, tuple(float(v) for v in params[:5] if v is not None), float(app),
                                      cp.texture_c, tuple(float(v) for v in bb)))
    # Mid-scale natural texture (moisture, soil, crown groups): baked into the raster.
    day = min(1.0, day_flux / 350.0)
    tex_scale = 0.55 + 0.45 * day
    surf += (0.5 * tex * tex_scale) * _smooth_noise(rng, gshape, 8 / res)
    apparent = eps * surf + (1.0 - eps) * sky
    apparent = cv2.GaussianBlur(apparent.astype(np.float32), (0, 0), 0.6)
    thermal = ThermalMap(grid.x0_m, grid.y0_m, res, apparent, (tex * tex_scale).astype(np.float32), cover,
                         canopy.astype(np.float32))

    # ---------------------------------------------------------------- bodies
    bounds_poly = Polygon([(area[0], area[1]), (area[2], area[1]), (area[2], area[3]), (area[0], area[3])])
    air_ref = spec.ambient_c

    def place(i: int, sp, path: str) -> list[tuple[float, float]]:
        if getattr(sp, "within", None):
            poly = named[sp.within]
            minx, miny, maxx, maxy = poly.bounds
            pts = []
            tries = 0
            while len(pts) < sp.count:
                tries += 1
                px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                inner = poly.buffer(-0.8) if poly.buffer(-0.8).area > 0 else poly
                if inner.contains(Point(px, py)) and all(math.hypot(px - a, py - b) > 1.4 for a, b in pts):
                    pts.append((px, py))
                if tries > 20000:
                    raise InputError(f"scenario {src}: {path}: {sp.count} bodies do not fit in {sp.within!r}.")
            return pts
        x, y = _local(frame, origin, sp.at_m, sp.at_deg)
        if sp.count == 1 and sp.spread_m == 0:
            return [(x, y)]
        ang = rng.uniform(0, 2 * math.pi, sp.count)
        rad = sp.spread_m * np.sqrt(rng.uniform(0, 1, sp.count))
        return [(x + r * math.cos(a), y + r * math.sin(a)) for a, r in zip(ang, rad)]

    # Sun on bodies: a horizontal surface with a short memory (clothes and fleece warm in minutes).
    body_flux = float(physics.lagged_flux(np.array(0.0), np.array(0.0), day_of_year=doy, utc_hour=hour,
                                          lat_deg=lat0, lon_deg=lon0, cloud_fraction=spec.cloud_fraction, tau_h=0.3))
    targets: list[SceneTarget] = []
    for i, sp in enumerate(spec.targets):
        for x, y in place(i, sp, f"targets[{i}]"):
            if not bounds_poly.contains(Point(x, y)):
                raise OutOfCoverageError(
                    f"scenario {src}: targets[{i}] ({sp.kind}) at local ({x:.0f}, {y:.0f}) m is outside area_m "
                    f"(x {area[0]:.0f}..{area[2]:.0f}, y {area[1]:.0f}..{area[3]:.0f}). Hint: move it or enlarge area_m.")
            z = float(grid.height_at(x, y))
            lat, lon = frame.to_geodetic(x, y)
            a_air = float(physics.air_temperature_c(air_ref, z, z_ref))
            cls, parts = target_parts(sp.kind, a_air, solar_w_m2=body_flux)
            can = sp.canopy if sp.canopy is not None else float(thermal.sample("canopy", x, y))
            head = sp.heading_deg if sp.heading_deg is not None else float(rng.uniform(0, 360))
            targets.append(SceneTarget(len(targets), sp.kind, cls, x, y, z, float(lat), float(lon), head,
                                       float(can), parts, sp.label or ""))
    decoys: list[SceneDecoy] = []
    rock_flux = physics.lagged_flux(np.array(30.0), np.array(sun_az), day_of_year=doy, utc_hour=hour, lat_deg=lat0,
                                    lon_deg=lon0, cloud_fraction=spec.cloud_fraction, tau_h=2.5)
    for i, sp in enumerate(spec.decoys):
        for x, y in place(i, sp, f"decoys[{i}]"):
            if not bounds_poly.contains(Point(x, y)):
                raise OutOfCoverageError(
                    f"scenario {src}: decoys[{i}] ({sp.kind}) at local ({x:.0f}, {y:.0f}) m is outside area_m.")
            z = float(grid.height_at(x, y))
            lat, lon = frame.to_geodetic(x, y)
            a_air = float(physics.air_temperature_c(air_ref, z, z_ref))
            base = float(physics.surface_temperature_c(a_air, COVER_PARAMS[_COVER["rock"]], float(rock_flux), dark,
                                                       spec.cloud_fraction))
            head = sp.heading_deg if sp.heading_deg is not None else float(rng.uniform(0, 360))
            decoys.append(SceneDecoy(len(decoys), sp.kind, x, y, z, float(lat), float(lon), head,
                                     decoy_parts(sp.kind, a_air, base, temperature_c=sp.temperature_c,
                                                 scale=sp.scale)))

    # ---------------------------------------------------------------- search area
    if spec.search_area_m:
        sa = np.array([_local(frame, origin, p, None) for p in spec.search_area_m])
    else:
        pts = [(t.x_m, t.y_m) for t in targets] + [(d.x_m, d.y_m) for d in decoys]
        pts += [(p.centroid.x, p.centroid.y) for p in named.values()] or [(cx, cy)]
        hull = MultiPoint(pts).convex_hull.buffer(250.0).intersection(bounds_poly)
        sa = np.asarray(hull.exterior.coords)[:-1]
    slat, slon = frame.to_geodetic(sa[:, 0], sa[:, 1])
    local = utc + dt.timedelta(hours=spec.utc_offset_h)
    return Scene(
        spec.name, spec.description, terrain, frame, grid, thermal, tuple(features), tuple(targets), tuple(decoys),
        utc.isoformat() + "Z", local.strftime("%Y-%m-%d %H:%M"), spec.ambient_c, float(np.median(air)), float(sky),
        spec.cloud_fraction, float(sun_el), float(sun_az), tuple(pens),
        tuple((float(a), float(b)) for a, b in zip(slat, slon)), area, spec.seed)
