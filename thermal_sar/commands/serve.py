"""``thermal-sar serve``: the live server for officers and ground teams."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--db", default="thermal-sar.db", show_default=True,
              help="SQLite file, or a PostgreSQL URL (postgresql://user@host/db).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Keep 127.0.0.1 and put a TLS reverse proxy in front (docs/maps.md).")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port, 1..65535.")
@click.option("--dem", multiple=True, type=click.Path(dir_okay=False), help="DEM file(s) for the terrain layer and walking times.")
@click.option("--no-terrain", is_flag=True, help="Without --dem: no terrain layer (default: the synthetic demo mountain).")
@click.option("--basemap", default="dem", show_default=True,
              type=click.Choice(["dem", "mbtiles", "osm", "esri", "tianditu", "amap", "amap-satellite"]))
@click.option("--mbtiles", default=None, type=click.Path(dir_okay=False), help="MBTiles file to serve as the basemap.")
@click.option("--tianditu-key", default=None)
@click.option("--session-hours", default=12.0, show_default=True, type=float, help="Sessions expire after this long, hours (at most 720).")
@click.option("--secure-cookies", is_flag=True, help="Mark cookies Secure (when browsers reach us over HTTPS).")
@click.option("--behind-proxy", is_flag=True,
              help="A reverse proxy on 127.0.0.1 forwards to us: trust its X-Forwarded-For for client addresses.")
def serve(db, host, port, dem, no_terrain, basemap, mbtiles, tianditu_key, session_hours, secure_cookies,
          behind_proxy) -> None:
    """Run the live server (pages for officers, viewers and ground teams; ingest API for the pipeline)."""
    from thermal_sar.pipelines.maps import check_server_options, run_server

    # Checked before anything is printed or opened: a bad option must not look like a running server.
    check_server_options(port=port, session_ttl_s=session_hours * 3600.0, basemap=basemap, mbtiles=mbtiles, dem=dem,
                         synthetic_terrain=not no_terrain)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(f"warning: binding {host}: anyone who reaches this address can try to sign in; "
                    "serve over TLS (reverse proxy) and use --secure-cookies.", fg="yellow", err=True)
    click.echo(f"thermal-sar serve on http://{host}:{port} (db {db.split('@')[-1]})")
    if not dem and not no_terrain:
        click.secho("terrain: the synthetic demo mountain; give --dem FILE for the real ground "
                    "(walking times and the terrain layer come from it).", fg="yellow")
    run_server(db=db, host=host, port=port, dem=list(dem), synthetic_terrain=not no_terrain, basemap=basemap,
               tianditu_key=tianditu_key, mbtiles=mbtiles, session_ttl_s=session_hours * 3600.0,
               secure_cookies=secure_cookies, behind_proxy=behind_proxy)
