"""``thermal-sar fly``: upload, verify and fly a mission over MAVLink."""

from __future__ import annotations

import datetime as _dt

import click


@click.command()
@click.option("--connect", required=True, help="tcp:HOST:PORT, udp:HOST:PORT, udpout:HOST:PORT or /dev/ttyUSB0:57600.")
@click.option("--mission", "mission_path", required=True, type=click.Path(dir_okay=False),
              help="Mission: QGroundControl .plan or .waypoints.")
@click.option("--tlog", "tlog", default=None, type=click.Path(dir_okay=False),
              help="Where to record the flight (default flight-YYYYmmdd-HHMMSS.tlog).")
@click.option("--dem", "dems", multiple=True, type=click.Path(dir_okay=False),
              help="DEM tile(s) to answer the vehicle's terrain requests from (terrain-frame missions).")
@click.option("--upload-only", is_flag=True, help="Upload and verify, do not arm or fly.")
@click.option("--takeoff-alt", "takeoff_alt_m", type=float, default=None,
              help="Takeoff altitude above home when the mission has no takeoff item.")
@click.option("--baud", type=int, default=57600, show_default=True, help="Serial baud rate.")
def fly(connect: str, mission_path: str, tlog: str | None, dems: tuple[str, ...], upload_only: bool,
        takeoff_alt_m: float | None, baud: int) -> None:
    """Upload MISSION, read it back to verify, arm, fly it and report progress."""
    from geo.terrain import load_terrain
    from mission.formats import load_mission_items
    from thermal_sar.pipelines.fly import fly_mission

    items = load_mission_items(mission_path)
    terrain = load_terrain(list(dems)) if dems else None
    path = tlog or f"flight-{_dt.datetime.now():%Y%m%d-%H%M%S}.tlog"

    def progress(p) -> None:
        alt = f"{p.alt_rel_m:.1f} m" if p.alt_rel_m is not None else "?"
        last = f" (last #{p.reached[-1]})" if p.reached else ""
        click.echo(f"  item {p.current_seq}/{p.total - 1}  reached {len(p.reached)}{last}  {p.mode} "
                   f"{'armed' if p.armed else 'disarmed'}  alt {alt}")

    def event(e) -> None:
        if e.kind in ("lost", "reconnected"):
            click.secho(f"  link {e.kind}: {e.detail}", fg="yellow" if e.kind == "lost" else "green", err=True)

    click.echo(f"connecting to {connect}, mission {mission_path} ({len(items) - 1} items after home)")
    report = fly_mission(connect, items, tlog_path=path, terrain=terrain, fly=not upload_only,
                         takeoff_alt_m=takeoff_alt_m, on_progress=progress, on_event=event, baud=baud)
    click.echo(report.summary())
