"""``thermal-sar terrain``: inspect a DEM."""

from __future__ import annotations

from pathlib import Path

import click

from thermal_sar.terrain_report import check_hillshade_options, terrain_summary, write_hillshade_png


@click.group()
def terrain() -> None:
    """Inspect a DEM (SRTM .hgt, GeoTIFF in any CRS)."""


@terrain.command("info")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def info(files: tuple[str, ...]) -> None:
    """Coverage, resolution, elevation range and filled voids of FILES (one or several tiles)."""
    from geo.terrain import load_terrain

    t = load_terrain([Path(f) for f in files])
    click.echo(terrain_summary(t))


@terrain.command("hillshade")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default="hillshade.png", show_default=True,
              help="Picture to write (.png, .jpg or .tif).")
@click.option("--azimuth", "azimuth_deg", type=float, default=315.0, show_default=True, help="Sun azimuth, degrees.")
@click.option("--altitude", "altitude_deg", type=float, default=45.0, show_default=True, help="Sun altitude, degrees.")
def hillshade_cmd(files: tuple[str, ...], out: str, azimuth_deg: float, altitude_deg: float) -> None:
    """Write a hillshade PNG of FILE (one tile)."""
    from geo.errors import InputError
    from geo.terrain import load_terrain

    # Checked before the DEM is read: a bad name or sun must not cost a long load.
    check_hillshade_options(Path(out), azimuth_deg=azimuth_deg, altitude_deg=altitude_deg)
    if len(files) > 1:
        raise InputError(
            f"{len(files)} DEM files were given: allowed one per hillshade. "
            "Hint: run 'thermal-sar terrain hillshade' once per tile, or merge the tiles first "
            "(e.g. 'gdal_merge.py -o merged.tif A B')."
        )
    t = load_terrain([Path(f) for f in files])
    path = write_hillshade_png(t, Path(out), azimuth_deg=azimuth_deg, altitude_deg=altitude_deg)
    click.echo(f"wrote {path}")
