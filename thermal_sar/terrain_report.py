"""Human summaries and pictures of terrain, shared by the CLI commands."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from geo.errors import InputError, SarIOError, TerrainError
from geo.terrain import GridTerrain, MosaicTerrain, Terrain
from geo.terrain_analysis import hillshade, slope_deg

__all__ = ["terrain_summary", "write_hillshade_png", "check_hillshade_options", "HILLSHADE_EXTENSIONS"]

# Image formats Pillow writes from the extension alone; a hillshade is a greyscale picture.
HILLSHADE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def _grids(t: Terrain) -> list[GridTerrain]:
    if isinstance(t, GridTerrain):
        return [t]
    if isinstance(t, MosaicTerrain):
        return [g for g in t.tiles if isinstance(g, GridTerrain)]
    return []


def terrain_summary(t: Terrain) -> str:
    """A few lines a pilot can read: coverage, resolution, elevations, slopes, voids (in the CLI's language)."""
    from maps.i18n import gettext_for

    _ = tr = gettext_for()
    b = t.bounds
    rows = [(_("terrain"), t.name),
            (_("coverage"), _("lat {south}..{north}, lon {west}..{east}").format(
                south=f"{b.south_lat_deg:.5f}", north=f"{b.north_lat_deg:.5f}", west=f"{b.west_lon_deg:.5f}",
                east=f"{b.east_lon_deg:.5f}")),
            (_("resolution"), _("{m} m").format(m=tr.number(t.resolution_m, 1)))]
    grids = _grids(t)
    if grids:
        h = np.concatenate([g.heights_m.ravel() for g in grids])
        rows.append((_("elevation"), _("{low}..{high} m AMSL (mean {mean} m)").format(
            low=tr.number(float(h.min())), high=tr.number(float(h.max())), mean=tr.number(float(h.mean())))))
        s = np.concatenate([slope_deg(g).ravel() for g in grids])
        rows.append((_("slope"), _("median {median}°, 95th percentile {p95}°, max {max}°").format(
            median=tr.number(float(np.median(s)), 1), p95=tr.number(float(np.percentile(s, 95)), 1),
            max=tr.number(float(s.max()), 1))))
        rows.append((_("samples"), tr.ngettext("{samples} in {n} tile", "{samples} in {n} tiles", len(grids)).format(
            samples=tr.number(sum(g.heights_m.size for g in grids)), n=len(grids))))
    voids = getattr(t, "voids", None)
    if voids is not None:
        if voids.count == 0:
            text = _("no voids")
        else:
            vb = voids.bounds
            text = _("{count} void samples ({percent}) in {regions} regions (largest {largest} samples) filled by "
                     "interpolation; extent lat {south}..{north}, lon {west}..{east}").format(
                count=tr.number(voids.count), percent=tr.percent(voids.fraction, 2), regions=voids.regions,
                largest=voids.largest_region_samples, south=f"{vb.south_lat_deg:.5f}", north=f"{vb.north_lat_deg:.5f}",
                west=f"{vb.west_lon_deg:.5f}", east=f"{vb.east_lon_deg:.5f}")
        rows.append((_("voids"), text))
    return "\n".join(tr.table(rows, indent=0))


def check_hillshade_options(path: Path, *, azimuth_deg: float, altitude_deg: float) -> None:
    """Reject a bad output name or sun position before any DEM is read.

    Raises :class:`InputError` naming the value, what is allowed and what to do.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in HILLSHADE_EXTENSIONS:
        allowed = ", ".join(HILLSHADE_EXTENSIONS)
        raise InputError(
            f"out={str(path)!r} has {'no extension' if not suffix else f'the extension {suffix!r}'}: "
            f"allowed {allowed}. Hint: name the picture e.g. 'hillshade.png'."
        )
    if not (math.isfinite(azimuth_deg) and 0.0 <= azimuth_deg <= 360.0):
        raise InputError(
            f"azimuth_deg={azimuth_deg!r} is out of range: allowed a finite number 0..360 "
            "(degrees clockwise from north). Hint: 315 lights the map from the north-west, the usual choice."
        )
    if not (math.isfinite(altitude_deg) and 0.0 <= altitude_deg <= 90.0):
        raise InputError(
            f"altitude_deg={altitude_deg!r} is out of range: allowed a finite number 0..90 "
            "(degrees above the horizon). Hint: 45 is the usual choice."
        )


def write_hillshade_png(t: Terrain, path: Path, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0) -> Path:
    """Write the hillshade of a single-tile grid terrain as a picture (PNG, JPEG or TIFF by extension).

    A mosaic of several tiles is refused: the tiles may be in different CRSs and
    resolutions, and shading only the first would silently drop the others.
    """
    from PIL import Image

    path = Path(path)
    check_hillshade_options(path, azimuth_deg=azimuth_deg, altitude_deg=altitude_deg)
    grids = _grids(t)
    if not grids:
        raise TerrainError(f"terrain {t.name!r} has no grid to shade (flat terrain has no relief).")
    if len(grids) > 1:
        raise InputError(
            f"{len(grids)} DEM tiles were given ({t.name}): allowed one tile per hillshade. "
            "Hint: run 'thermal-sar terrain hillshade' once per tile, or merge the tiles first "
            "(e.g. 'gdal_merge.py -o merged.tif A B')."
        )
    img = hillshade(grids[0], azimuth_deg=azimuth_deg, altitude_deg=altitude_deg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(path)
    except OSError as exc:
        raise SarIOError(f"cannot write {str(path)!r}: {exc.strerror or exc}. Hint: check the folder exists and is writable.") from None
    return path
