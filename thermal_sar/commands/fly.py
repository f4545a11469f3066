"""``thermal-sar fly``: upload, verify and fly a mission over MAVLink."""

from __future__ import annotations

import datetime as _dt

import click


@click.command()
@click.option("--connect", default=None, help="tcp:HOST:PORT, udp:HOST:PORT, udpout:HOST:PORT or /dev/ttyUSB0:57600.")
@click.option("--sitl", "use_sitl", is_flag=True,
              help="Instead of --connect: start real ArduPilot SITL at the mission's home ($ARDUPILOT_SITL).")
@click.option("--sitl-binary", default=None, type=click.Path(dir_okay=False),
              help="Path to arducopter for --sitl (default $ARDUPILOT_SITL).")
@click.option("--speedup", type=int, default=1, show_default=True, help="SITL speed-up for --sitl.")
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
def fly(connect: str | None, use_sitl: bool, sitl_binary: str | None, speedup: int, mission_path: str,
        tlog: str | None, dems: tuple[str, ...], upload_only: bool, takeoff_alt_m: float | None, baud: int) -> None:
    """Upload MISSION, read it back to verify, arm, fly it and report progress."""
    from geo.errors import InputError
    from geo.terrain import load_terrain
    from mission.formats import load_mission_items
    from thermal_sar.pipelines.fly import fly_mission, fly_mission_on_sitl

    if (connect is None) == (not (use_sitl or sitl_binary)):
        raise InputError("give exactly one of --connect CONNECTION or --sitl. Hint: SITL listens on "
                         "tcp:127.0.0.1:5760; `--sitl` starts it for you.")

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

    kw = dict(tlog_path=path, terrain=terrain, fly=not upload_only, takeoff_alt_m=takeoff_alt_m, on_progress=progress,
              on_event=event)
    if connect is None:
        click.echo(f"starting ArduPilot SITL at the mission's home, mission {mission_path} "
                   f"({len(items) - 1} items after home)")
        report = fly_mission_on_sitl(items, sitl_binary=sitl_binary, speedup=speedup, **kw)
    else:
        click.echo(f"connecting to {connect}, mission {mission_path} ({len(items) - 1} items after home)")
        report = fly_mission(connect, items, baud=baud, **kw)
    click.echo(report.summary())
