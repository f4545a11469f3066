"""``thermal-sar map``: write an offline HTML map of a mission or of targets."""

from __future__ import annotations

import click


@click.command("map")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--out", default="map.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write (self-contained: opens with the network off).")
@click.option("--dem", multiple=True, type=click.Path(dir_okay=False),
              help="DEM file(s) for the terrain layer (default: the embedded synthetic mountain where it applies).")
@click.option("--basemap", default="dem", show_default=True,
              type=click.Choice(["dem", "mbtiles", "osm", "esri", "tianditu", "amap", "amap-satellite"]),
              help="Base layer; all but dem and mbtiles need the internet when the map is opened.")
@click.option("--tiles-url", default=None, help="Tile URL of our server for --basemap mbtiles, e.g. http://127.0.0.1:8000/tiles/{z}/{x}/{y}.")
@click.option("--tianditu-key", default=None, help="Key for --basemap tianditu.")
@click.option("--contours", "contour_interval_m", default=20.0, show_default=True, type=float, help="Contour interval, metres.")
@click.option("--title", default="", help="Title of the map and its statistics panel.")
def map_(files, out, dem, basemap, tiles_url, tianditu_key, contour_interval_m, title) -> None:
    """Write an offline map of FILES: .plan/.waypoints missions, mission GeoJSON, targets.geojson, a track (GeoJSON)."""
    from thermal_sar.pipelines.maps import write_map

    r = write_map(files, out, dem=dem, basemap=basemap, tianditu_key=tianditu_key, tiles_url=tiles_url,
                  contour_interval_m=contour_interval_m, title=title)
    from maps.i18n import gettext_for

    _ = tr = gettext_for()
    click.echo(_("wrote {path} ({size} MB): {missions} mission(s), {targets} target(s), {points} track points, "
                 "basemap {basemap}").format(path=r.path, size=tr.number(r.size_bytes / 1e6, 1), missions=r.missions,
                                             targets=r.targets, points=r.track_points, basemap=r.basemap))
    if r.terrain:
        click.echo(_("terrain layer: {terrain}").format(terrain=r.terrain))
    else:
        click.secho(_("no terrain layer: the features are not on the embedded terrain; give --dem FILE for one."),
                    fg="yellow")
