"""Human summaries and pictures of terrain, shared by the CLI commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geo.errors import SarIOError, TerrainError
from geo.terrain import GridTerrain, MosaicTerrain, Terrain
from geo.terrain_analysis import hillshade, slope_deg

__all__ = ["terrain_summary", "write_hillshade_png"]


def _grids(t: Terrain) -> list[GridTerrain]:
    if isinstance(t, GridTerrain):
        return [t]
    if isinstance(t, MosaicTerrain):
        return [g for g in t.tiles if isinstance(g, GridTerrain)]
    return []


def terrain_summary(t: Terrain) -> str:
    """A few lines a pilot can read: coverage, resolution, elevations, slopes, voids."""
    lines = [f"terrain     {t.name}", f"coverage    {t.bounds}", f"resolution  {t.resolution_m:.1f} m"]
    grids = _grids(t)
    if grids:
        h = np.concatenate([g.heights_m.ravel() for g in grids])
        lines.append(f"elevation   {h.min():.0f} .. {h.max():.0f} m AMSL (mean {h.mean():.0f} m)")
        s = np.concatenate([slope_deg(g).ravel() for g in grids])
        lines.append(f"slope       median {np.median(s):.1f} deg, 95th percentile {np.percentile(s, 95):.1f} deg, "
                     f"max {s.max():.1f} deg")
        lines.append(f"samples     {sum(g.heights_m.size for g in grids):,} in {len(grids)} tile(s)")
    voids = getattr(t, "voids", None)
    if voids is not None:
        lines.append(f"voids       {voids}")
    return "\n".join(lines)


def write_hillshade_png(t: Terrain, path: Path, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0) -> Path:
    """Write the hillshade of a grid terrain (the first tile of a mosaic) as a PNG."""
    from PIL import Image

    grids = _grids(t)
    if not grids:
        raise TerrainError(f"terrain {t.name!r} has no grid to shade (flat terrain has no relief).")
    img = hillshade(grids[0], azimuth_deg=azimuth_deg, altitude_deg=altitude_deg)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(path)
    except OSError as exc:
        raise SarIOError(f"cannot write {str(path)!r}: {exc.strerror or exc}. Hint: check the folder exists and is writable.") from None
    return path
