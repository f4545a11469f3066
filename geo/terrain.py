"""Terrain models: one interface, several sources.

Every terrain answers ``elevation_m(lat_deg, lon_deg)`` (metres AMSL,
vectorised, bilinear between DEM samples) and raises
:class:`~geo.errors.OutOfCoverageError` for points it does not cover. Sources:

* SRTM ``.hgt`` tiles (1" and 3"), :func:`load_hgt`;
* GeoTIFF in any CRS through rasterio, :func:`load_geotiff`;
* several tiles as one, :class:`MosaicTerrain`;
* flat ground, :class:`FlatTerrain`;
* a seeded synthetic mountain range, :func:`synthetic_mountain`, the embedded
  default for the demo and the tests.

Grids store samples at nodes: ``node_transform`` maps (col, row) integer
indices to the CRS coordinates of a sample (pixel-is-point), so bilinear
interpolation is exact at every sample.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

from geo.errors import OutOfCoverageError, SarIOError, TerrainError

__all__ = [
    "GeoBounds",
    "Terrain",
    "GridTerrain",
    "FlatTerrain",
    "MosaicTerrain",
    "VoidReport",
    "load_hgt",
    "load_geotiff",
    "load_dem",
    "load_terrain",
    "synthetic_mountain",
    "DEMO_ORIGIN_LAT_DEG",
    "DEMO_ORIGIN_LON_DEG",
]

# The embedded demo terrain sits in the hills of north-west Zhejiang (the
# first users' province); the relief itself is synthetic.
DEMO_ORIGIN_LAT_DEG = 30.3800
DEMO_ORIGIN_LON_DEG = 119.4500

_WGS84 = CRS.from_epsg(4326)
_M_PER_DEG_LAT = 111_132.0


@dataclass(frozen=True, slots=True)
class GeoBounds:
    """A lat/lon box in degrees."""

    south_lat_deg: float
    west_lon_deg: float
    north_lat_deg: float
    east_lon_deg: float

    def contains(self, lat_deg, lon_deg):
        lat = np.asarray(lat_deg, float)
        lon = np.asarray(lon_deg, float)
        return (lat >= self.south_lat_deg) & (lat <= self.north_lat_deg) & (lon >= self.west_lon_deg) & (lon <= self.east_lon_deg)

    @property
    def center(self) -> tuple[float, float]:
        return (0.5 * (self.south_lat_deg + self.north_lat_deg), 0.5 * (self.west_lon_deg + self.east_lon_deg))

    def __str__(self) -> str:
        return (
            f"lat {self.south_lat_deg:.5f}..{self.north_lat_deg:.5f}, "
            f"lon {self.west_lon_deg:.5f}..{self.east_lon_deg:.5f}"
        )


@runtime_checkable
class Terrain(Protocol):
    """What every terrain offers."""

    name: str

    @property
    def bounds(self) -> GeoBounds: ...

    @property
    def resolution_m(self) -> float: ...

    def elevation_m(self, lat_deg, lon_deg): ...

    def contains(self, lat_deg, lon_deg): ...


def _outside_message(name: str, lat, lon, bounds: GeoBounds) -> str:
    return (
        f"point lat_deg={float(lat):.6f}, lon_deg={float(lon):.6f} is outside the terrain {name!r}, "
        f"which covers {bounds}. Hint: load a DEM that covers the area (several tiles may be given), "
        "or check that latitude and longitude are not swapped."
    )


@dataclass(frozen=True, slots=True)
class VoidReport:
    """Samples that were missing in the source (SRTM voids) and were filled."""

    count: int
    fraction: float
    regions: int
    bounds: GeoBounds | None
    largest_region_samples: int

    def __str__(self) -> str:
        if self.count == 0:
            return "no voids"
        return (
            f"{self.count} void samples ({100 * self.fraction:.2f} %) in {self.regions} regions "
            f"(largest {self.largest_region_samples} samples) filled by interpolation; extent {self.bounds}"
        )


NO_VOIDS = VoidReport(0, 0.0, 0, None, 0)


@dataclass(frozen=True)
class GridTerrain:
    """A regular grid of elevations in any CRS.

    Parameters
    ----------
    heights_m : (rows, cols) float32 array
        Elevations in metres AMSL, row 0 at ``node_transform @ (0, 0)``.
    node_transform : Affine
        (col, row) -> (x, y) in ``crs`` of each sample node.
    crs : pyproj.CRS
        The grid's coordinate reference system.
    """

    heights_m: np.ndarray = field(repr=False)
    node_transform: Affine
    crs: CRS = field(repr=False)
    name: str = "grid"
    voids: VoidReport = NO_VOIDS
    _to_crs: Transformer | None = field(default=None, repr=False, compare=False)
    _inv: Affine = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _bounds: GeoBounds = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        h = np.ascontiguousarray(self.heights_m, dtype=np.float32)
        if h.ndim != 2 or h.shape[0] < 2 or h.shape[1] < 2:
            raise TerrainError(f"heights_m has shape {h.shape}; a terrain grid needs at least 2x2 samples.")
        if not np.all(np.isfinite(h)):
            raise TerrainError(
                f"terrain {self.name!r} has {int(np.sum(~np.isfinite(h)))} missing samples. Hint: fill voids first."
            )
        h.setflags(write=False)
        object.__setattr__(self, "heights_m", h)
        crs = CRS.from_user_input(self.crs)
        object.__setattr__(self, "crs", crs)
        if not crs.is_geographic or crs.to_epsg() != 4326:
            object.__setattr__(self, "_to_crs", Transformer.from_crs(_WGS84, crs, always_xy=True))
        object.__setattr__(self, "_inv", ~self.node_transform)
        object.__setattr__(self, "_bounds", self._compute_bounds())

    # -- geometry -----------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.heights_m.shape  # type: ignore[return-value]

    def _compute_bounds(self) -> GeoBounds:
        rows, cols = self.shape
        # Sample the border densely: a projected grid's edges are curves in lat/lon.
        t = np.linspace(0.0, 1.0, 33)
        c = np.concatenate([t * (cols - 1), np.full(33, cols - 1.0), t * (cols - 1), np.zeros(33)])
        r = np.concatenate([np.zeros(33), t * (rows - 1), np.full(33, rows - 1.0), t * (rows - 1)])
        x, y = _apply(self.node_transform, c, r)
        if self._to_crs is None:
            lon, lat = np.asarray(x), np.asarray(y)
        else:
            lon, lat = self._to_crs.transform(x, y, direction="INVERSE")
        if self._to_crs is not None:
            # Shrink to the box inside the grid for projected CRSs (edges bulge).
            lat_s = np.asarray(lat)
            lon_s = np.asarray(lon)
            south = float(np.max(lat_s[r == rows - 1])) if self.node_transform.e < 0 else float(np.max(lat_s[r == 0]))
            north = float(np.min(lat_s[r == 0])) if self.node_transform.e < 0 else float(np.min(lat_s[r == rows - 1]))
            west = float(np.max(lon_s[c == 0]))
            east = float(np.min(lon_s[c == cols - 1]))
            return GeoBounds(south, west, north, east)
        return GeoBounds(float(np.min(lat)), float(np.min(lon)), float(np.max(lat)), float(np.max(lon)))

    @property
    def bounds(self) -> GeoBounds:
        """Lat/lon box fully inside the grid."""
        return self._bounds

    @property
    def spacing_m(self) -> tuple[float, float]:
        """Approximate sample spacing (x, y) in metres at the grid centre."""
        a, e = abs(self.node_transform.a), abs(self.node_transform.e)
        if self._to_crs is None:
            lat_c = self._bounds.center[0]
            return (a * _M_PER_DEG_LAT * math.cos(math.radians(lat_c)), e * _M_PER_DEG_LAT)
        return (a, e)

    @property
    def resolution_m(self) -> float:
        """The finer of the two sample spacings, metres."""
        return float(min(self.spacing_m))

    def _fractional_index(self, lat_deg, lon_deg):
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        if self._to_crs is None:
            x, y = lon, lat
        else:
            x, y = self._to_crs.transform(lon, lat)
        inv = self._inv
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
        return np.asarray(row), np.asarray(col)

    def contains(self, lat_deg, lon_deg):
        row, col = self._fractional_index(lat_deg, lon_deg)
        rows, cols = self.shape
        eps = 1e-6
        return (row >= -eps) & (row <= rows - 1 + eps) & (col >= -eps) & (col <= cols - 1 + eps)

    def elevation_m(self, lat_deg, lon_deg):
        """Bilinear elevation in metres AMSL; same shape as the inputs.

        Raises :class:`OutOfCoverageError` naming the first point outside.
        """
        row, col = self._fractional_index(lat_deg, lon_deg)
        rows, cols = self.shape
        eps = 1e-6
        bad = ~((row >= -eps) & (row <= rows - 1 + eps) & (col >= -eps) & (col <= cols - 1 + eps))
        if np.any(bad):
            lat = np.broadcast_to(np.asarray(lat_deg, float), bad.shape)
            lon = np.broadcast_to(np.asarray(lon_deg, float), bad.shape)
            i = np.flatnonzero(bad.ravel())[0] if bad.ndim else 0
            raise OutOfCoverageError(_outside_message(self.name, lat.ravel()[i] if lat.ndim else lat, lon.ravel()[i] if lon.ndim else lon, self.bounds))
        return _bilinear(self.heights_m, row, col)

    def sample_grid(self):
        """(lat_deg, lon_deg) arrays of every sample node, shaped like ``heights_m``."""
        rows, cols = self.shape
        c, r = np.meshgrid(np.arange(cols, dtype=float), np.arange(rows, dtype=float))
        x, y = _apply(self.node_transform, c, r)
        if self._to_crs is None:
            return np.asarray(y), np.asarray(x)
        lon, lat = self._to_crs.transform(x, y, direction="INVERSE")
        return np.asarray(lat), np.asarray(lon)

    def cell_size_m(self):
        """(dx_m, dy_m) per row as arrays of shape (rows, 1): grid spacing in metres.

        For geographic grids dx shrinks with cos(latitude) row by row.
        """
        rows, _ = self.shape
        a, e = abs(self.node_transform.a), abs(self.node_transform.e)
        if self._to_crs is None:
            lat = self.node_transform.f + self.node_transform.e * np.arange(rows)
            dx = a * _M_PER_DEG_LAT * np.cos(np.radians(lat))
            return dx[:, None], np.full((rows, 1), e * _M_PER_DEG_LAT)
        return np.full((rows, 1), a), np.full((rows, 1), e)


def _apply(t: Affine, cols, rows):
    """(col, row) -> (x, y) through an affine transform, vectorised."""
    c = np.asarray(cols, float)
    r = np.asarray(rows, float)
    return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f


def _bilinear(h: np.ndarray, row: np.ndarray, col: np.ndarray):
    rows, cols = h.shape
    r = np.clip(row, 0.0, rows - 1.0)
    c = np.clip(col, 0.0, cols - 1.0)
    r0 = np.minimum(r.astype(np.intp), rows - 2)
    c0 = np.minimum(c.astype(np.intp), cols - 2)
    fr = r - r0
    fc = c - c0
    flat = h.ravel()
    i00 = r0 * cols + c0
    h00 = flat[i00]
    h01 = flat[i00 + 1]
    h10 = flat[i00 + cols]
    h11 = flat[i00 + cols + 1]
    top = h00 + (h01 - h00) * fc
    bot = h10 + (h11 - h10) * fc
    out = top + (bot - top) * fr
    if np.ndim(out) == 0:
        return float(out)
    return out


@dataclass(frozen=True)
class FlatTerrain:
    """Level ground at a fixed elevation everywhere (no coverage limit)."""

    elevation_amsl_m: float = 0.0
    name: str = "flat"

    @property
    def bounds(self) -> GeoBounds:
        return GeoBounds(-90.0, -180.0, 90.0, 180.0)

    @property
    def resolution_m(self) -> float:
        return 30.0

    def contains(self, lat_deg, lon_deg):
        return np.ones(np.broadcast(np.asarray(lat_deg), np.asarray(lon_deg)).shape, bool)

    def elevation_m(self, lat_deg, lon_deg):
        shape = np.broadcast(np.asarray(lat_deg), np.asarray(lon_deg)).shape
        if shape == ():
            return float(self.elevation_amsl_m)
        return np.full(shape, float(self.elevation_amsl_m))


@dataclass(frozen=True)
class MosaicTerrain:
    """Several terrains queried as one: each point from the first tile that covers it."""

    tiles: tuple
    name: str = "mosaic"

    def __post_init__(self) -> None:
        if not self.tiles:
            raise TerrainError("a mosaic needs at least one terrain tile.")
        object.__setattr__(self, "tiles", tuple(self.tiles))

    @property
    def bounds(self) -> GeoBounds:
        bs = [t.bounds for t in self.tiles]
        return GeoBounds(
            min(b.south_lat_deg for b in bs), min(b.west_lon_deg for b in bs),
            max(b.north_lat_deg for b in bs), max(b.east_lon_deg for b in bs),
        )

    @property
    def resolution_m(self) -> float:
        return min(t.resolution_m for t in self.tiles)

    @property
    def voids(self) -> VoidReport:
        total = sum(getattr(t, "voids", NO_VOIDS).count for t in self.tiles)
        if total == 0:
            return NO_VOIDS
        reports = [t.voids for t in self.tiles if getattr(t, "voids", NO_VOIDS).count]
        n = sum(int(np.prod(t.shape)) for t in self.tiles if hasattr(t, "shape"))
        return VoidReport(total, total / max(n, 1), sum(r.regions for r in reports), reports[0].bounds,
                          max(r.largest_region_samples for r in reports))

    def contains(self, lat_deg, lon_deg):
        out = np.zeros(np.broadcast(np.asarray(lat_deg), np.asarray(lon_deg)).shape, bool)
        for t in self.tiles:
            out |= t.contains(lat_deg, lon_deg)
        return out

    def elevation_m(self, lat_deg, lon_deg):
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
        out = np.full(lat.shape, np.nan)
        todo = np.ones(lat.shape, bool)
        for t in self.tiles:
            m = todo & t.contains(lat, lon)
            if np.any(m):
                out[m] = t.elevation_m(lat[m], lon[m])
                todo &= ~m
        if np.any(todo):
            i = np.flatnonzero(todo.ravel())[0]
            raise OutOfCoverageError(_outside_message(self.name, lat.ravel()[i], lon.ravel()[i], self.bounds))
        if out.ndim == 0:
            return float(out)
        return out


# ---------------------------------------------------------------- loaders
_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})", re.IGNORECASE)
_HGT_SIZES = {1201 * 1201 * 2: (1201, 3), 3601 * 3601 * 2: (3601, 1)}
SRTM_VOID = -32768


def _fill_voids(h: np.ndarray, void: np.ndarray, node_transform: Affine, to_wgs84) -> tuple[np.ndarray, VoidReport]:
    """Fill void samples by inverse-distance interpolation (GDAL's FillNodata) and report them."""
    n = int(void.sum())
    if n == 0:
        return h.astype(np.float32), NO_VOIDS
    if n == void.size:
        raise TerrainError("every sample of the DEM is a void (no data); the file holds no terrain.")
    from rasterio.fill import fillnodata
    from scipy import ndimage

    filled = h.astype(np.float32).copy()
    filled[void] = 0.0
    mask = (~void).astype(np.uint8)  # rasterio: 0 marks pixels to fill
    filled = fillnodata(filled, mask=mask, max_search_distance=max(h.shape), smoothing_iterations=0)
    labels, regions = ndimage.label(void)
    sizes = np.bincount(labels.ravel())[1:]
    rows, cols = np.nonzero(void)
    x, y = _apply(node_transform, np.array([cols.min(), cols.max()], float), np.array([rows.min(), rows.max()], float))
    lon, lat = to_wgs84(np.asarray(x), np.asarray(y))
    bounds = GeoBounds(float(np.min(lat)), float(np.min(lon)), float(np.max(lat)), float(np.max(lon)))
    return filled, VoidReport(n, n / void.size, int(regions), bounds, int(sizes.max()))


def _identity_xy(x, y):
    return x, y


def load_hgt(path: str | Path) -> GridTerrain:
    """Read an SRTM ``.hgt`` tile (1201x1201 at 3" or 3601x3601 at 1", big-endian int16).

    The file name gives the south-west corner (``N44W072.hgt``); voids
    (-32768) are filled by interpolation and reported in ``.voids``.
    """
    p = Path(path)
    m = _HGT_NAME.match(p.name)
    if not m:
        raise TerrainError(
            f"file name {p.name!r} does not give the tile's corner: SRTM tiles are named like 'N44W072.hgt' "
            "(latitude and longitude of the south-west corner). Hint: rename the file to its tile name."
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read DEM {str(p)!r}: {exc.strerror or exc}.") from None
    if len(raw) not in _HGT_SIZES:
        expect = " or ".join(f"{k} bytes ({v[0]}x{v[0]})" for k, v in _HGT_SIZES.items())
        kind = "truncated" if len(raw) < 1201 * 1201 * 2 else "of an unknown size"
        raise TerrainError(
            f"{p.name}: size={len(raw)} bytes is {kind}: an SRTM .hgt tile has {expect}. "
            "Hint: download the tile again; a partial download is the usual cause."
        )
    n, arcsec = _HGT_SIZES[len(raw)]
    h = np.frombuffer(raw, dtype=">i2").reshape(n, n).astype(np.int32)
    lat0 = int(m.group(2)) * (1 if m.group(1).upper() == "N" else -1)
    lon0 = int(m.group(4)) * (1 if m.group(3).upper() == "E" else -1)
    step = arcsec / 3600.0
    node = Affine(step, 0.0, float(lon0), 0.0, -step, float(lat0 + 1))
    void = h == SRTM_VOID
    filled, report = _fill_voids(h, void, node, _identity_xy)
    return GridTerrain(filled, node, _WGS84, name=p.name, voids=report)


def load_geotiff(path: str | Path, *, band: int = 1) -> GridTerrain:
    """Read a single-band DEM GeoTIFF (any CRS) with rasterio; nodata samples are filled and reported."""
    import rasterio
    from rasterio.errors import RasterioError, RasterioIOError

    import warnings

    from rasterio.errors import NotGeoreferencedWarning

    p = Path(path)
    try:
        with warnings.catch_warnings():
            # A missing CRS or transform is reported below as a TerrainError.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            ds = rasterio.open(p)
    except RasterioIOError as exc:
        raise SarIOError(f"cannot read DEM {str(p)!r}: {exc}. Hint: check the path and that it is a GeoTIFF.") from None
    with ds:
        if ds.crs is None:
            raise TerrainError(
                f"{p.name} has no coordinate reference system (CRS), so its samples cannot be placed on Earth. "
                "Hint: assign one, e.g. 'gdal_edit.py -a_srs EPSG:4326 FILE' for a lat/lon DEM."
            )
        if band < 1 or band > ds.count:
            raise TerrainError(f"band={band} is out of range: allowed 1..{ds.count} for {p.name}.")
        try:
            data = ds.read(band, masked=False).astype(np.float64)
        except RasterioError:
            # A truncated or corrupt file opens (the header is intact) but its samples cannot be read.
            raise SarIOError(
                f"cannot read the samples of DEM {str(p)!r}: the file is truncated or corrupt. "
                "Hint: download or copy the file again; a partial download is the usual cause."
            ) from None
        nodata = ds.nodata
        crs = CRS.from_user_input(ds.crs.to_wkt())
        node = ds.transform @ Affine.translation(0.5, 0.5)
    void = ~np.isfinite(data)
    if nodata is not None and np.isfinite(nodata):
        void |= data == nodata
    void |= data <= SRTM_VOID
    if crs.is_geographic and crs.to_epsg() == 4326:
        to_wgs84 = _identity_xy
    else:
        tr = Transformer.from_crs(crs, _WGS84, always_xy=True)
        to_wgs84 = tr.transform
    filled, report = _fill_voids(np.where(void, 0.0, data), void, node, to_wgs84)
    return GridTerrain(filled, node, crs, name=p.name, voids=report)


def load_dem(path: str | Path) -> GridTerrain:
    """Load one DEM file, by extension: ``.hgt`` (SRTM) or anything rasterio reads."""
    p = Path(path)
    if not p.exists():
        raise SarIOError(f"DEM file {str(p)!r} does not exist. Hint: check the path.")
    if p.suffix.lower() == ".hgt":
        return load_hgt(p)
    return load_geotiff(p)


def load_terrain(paths: str | Path | Sequence[str | Path]) -> Terrain:
    """Load one DEM, or several as a :class:`MosaicTerrain`."""
    if isinstance(paths, (str, Path)):
        return load_dem(paths)
    paths = list(paths)
    if len(paths) == 1:
        return load_dem(paths[0])
    return MosaicTerrain(tuple(load_dem(p) for p in paths), name="+".join(Path(p).name for p in paths))


# ---------------------------------------------------------- synthetic terrain
def synthetic_mountain(
    *,
    seed: int = 7,
    center_lat_deg: float = DEMO_ORIGIN_LAT_DEG,
    center_lon_deg: float = DEMO_ORIGIN_LON_DEG,
    size_m: float = 8000.0,
    resolution_m: float = 10.0,
    base_elevation_m: float = 350.0,
    relief_m: float | None = None,
) -> GridTerrain:
    """A deterministic mountain landscape: ridges, valleys and realistic slopes.

    The grid lives in a transverse Mercator frame centred on
    (``center_lat_deg``, ``center_lon_deg``) (see :class:`geo.frames.LocalFrame`),
    ``size_m`` on a side at ``resolution_m`` spacing. Relief is a broad
    massif, fractal noise with the k^-2 amplitude spectrum of real
    topography, a main valley, and an erosion-like power law that flattens
    valley floors and steepens crests; scaled so that the highest point is
    ``base_elevation_m + relief_m`` (default: 8 % of ``size_m``, at most
    650 m, so small test patches are not cliffs). With the defaults the median slope is
    about 17 deg, 95 % of slopes are under 34 deg and the steepest about 55
    deg, as in the hill country of Zhejiang.
    """
    from geo.frames import LocalFrame

    if not (100.0 <= size_m <= 50_000.0):
        raise TerrainError(f"size_m={size_m} is out of range: allowed 100..50000 m.")
    if not (1.0 <= resolution_m <= size_m / 10):
        raise TerrainError(f"resolution_m={resolution_m} is out of range: allowed 1..size_m/10 m.")
    if relief_m is None:
        relief_m = min(650.0, 0.08 * size_m)
    n = int(round(size_m / resolution_m)) + 1
    rng = np.random.default_rng(seed)
    half = (n - 1) * resolution_m / 2.0
    ax = np.linspace(-half, half, n)
    xx, yy = np.meshgrid(ax, ax[::-1])  # row 0 is north

    def spectral(beta: float, k_min: float, k_max: float) -> np.ndarray:
        kx = np.fft.fftfreq(n, d=resolution_m)
        ky = np.fft.fftfreq(n, d=resolution_m)
        k = np.hypot(*np.meshgrid(kx, ky))
        amp = np.zeros_like(k)
        band = (k >= k_min) & (k <= k_max)
        amp[band] = k[band] ** (-beta / 2.0)
        phase = rng.uniform(0, 2 * np.pi, k.shape)
        f = np.real(np.fft.ifft2(amp * np.exp(1j * phase)))
        f -= f.mean()
        return f / (f.std() + 1e-12)

    # Fractal relief with amplitude ~ k^-2, the spectrum of real topography.
    broad = spectral(4.0, 1 / size_m, 1 / 150.0)
    rough = spectral(2.0, 1 / 300.0, 1 / (2.5 * resolution_m))
    # A broad massif off-centre and a main valley running through the area.
    cx, cy = rng.uniform(-0.2, 0.2, 2) * size_m
    massif = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.3 * size_m) ** 2)))
    ang = rng.uniform(0, np.pi)
    d_valley = (xx * np.sin(ang) - yy * np.cos(ang)) / (0.08 * size_m)
    valley = np.exp(-(d_valley**2))
    z = 0.8 * massif + 0.45 * broad - 0.3 * valley
    z = (z - z.min()) / (z.max() - z.min())
    # Valleys flatten and crests steepen, as erosion leaves them.
    z = z**1.4 + 0.003 * rough
    z = (z - z.min()) / (z.max() - z.min())
    heights = base_elevation_m + relief_m * z
    frame = LocalFrame.at(center_lat_deg, center_lon_deg)
    node = Affine(resolution_m, 0.0, -half, 0.0, -resolution_m, half)
    return GridTerrain(heights.astype(np.float32), node, frame.crs, name=f"synthetic-mountain(seed={seed})")
