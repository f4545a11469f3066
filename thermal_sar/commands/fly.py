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
@click.option("--frames", "frames", default=None,
              help="Search live: a video device or stream OpenCV opens (/dev/video0, rtsp://...), a video file, a "
                   "folder that fills with frames during the flight, or 'sim' (the simulator's camera).")
@click.option("--camera", default="m30t", show_default=True,
              help="Camera preset of the frames (thermal-sar plan --help lists them).")
@click.option("--detector", type=click.Choice(["classical", "yolo"]), default="classical", show_default=True)
@click.option("--scenario", default=None,
              help="Simulated world for --frames sim (default sheep); its terrain geotags when no --dem is given.")
@click.option("--serve-url", default=None, help="Feed this live server (thermal-sar serve), e.g. http://127.0.0.1:8000.")
@click.option("--token", envvar="THERMAL_SAR_TOKEN", default=None,
              help="Ingest token for --serve-url (thermal-sar users add NAME --role ingest); or $THERMAL_SAR_TOKEN.")
@click.option("--vehicle-name", default="drone1", show_default=True, help="Name of this aircraft on the officer map.")
@click.option("--post-sightings", is_flag=True,
              help="Send every geotagged sighting to the server too (default: each object once, as a target "
                   "updated with every new sighting).")
@click.option("--area", "area_path", default=None, type=click.Path(dir_okay=False),
              help="The search area (.kml, .geojson, .gpx) for coverage and POD on the officer map.")
@click.option("--frame-stall-s", type=click.FloatRange(0.5, 600), default=5.0, show_default=True,
              help="Report the frame source as stalled after this long without a frame while flying.")
@click.option("--link-lost-s", type=click.FloatRange(0.5, 600), default=3.0, show_default=True,
              help="Report the link as lost after this long without a heartbeat from the vehicle.")
@click.option("--frame-latency-s", type=click.FloatRange(0.0, 10.0), default=0.0, show_default=True,
              help="Time from exposure to a frame's arrival (subtracted to find the pose it was taken at).")
@click.option("--sim-interval-s", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between frames of --frames sim.")
@click.option("--min-sightings", "min_hits", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Confirmation: an object becomes a target once seen in at least this many frames...")
@click.option("--min-support", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="...and with at least this mean score over the frames whose footprint covered it "
                   "(a miss counts 0); until then it is a candidate on the officer map.")
def fly(connect: str | None, use_sitl: bool, sitl_binary: str | None, speedup: int, mission_path: str,
        tlog: str | None, dems: tuple[str, ...], upload_only: bool, takeoff_alt_m: float | None, baud: int,
        frames: str | None, camera: str, detector: str, scenario: str | None, serve_url: str | None,
        token: str | None, vehicle_name: str, post_sightings: bool, area_path: str | None, frame_stall_s: float,
        link_lost_s: float, frame_latency_s: float,
        sim_interval_s: float, min_hits: int, min_support: float) -> None:
    """Upload MISSION, read it back to verify, arm, fly it and report progress.

    With --frames, search the frames live while flying; with --serve-url, show the flight, the detections and
    any problem (stalled frames, lost link, unreachable server) on the officer map. Problems are reported,
    never acted on: the autopilot flies the mission and its own failsafes apply.
    """
    from geo.errors import InputError
    from geo.terrain import load_terrain
    from mission.formats import load_mission_items
    from thermal_sar.pipelines.fly import check_fly_options, fly_mission, fly_mission_on_sitl

    if (connect is None) == (not (use_sitl or sitl_binary)):
        raise InputError("give exactly one of --connect CONNECTION or --sitl. Hint: SITL listens on "
                         "tcp:127.0.0.1:5760; `--sitl` starts it for you.")
    # Every option is checked before anything connects (a bad one must not wait for a vehicle first).
    check_fly_options(connect=connect, baud=baud, speedup=speedup, takeoff_alt_m=takeoff_alt_m, camera=camera,
                      tlog_path=tlog, frame_stall_s=frame_stall_s, link_lost_s=link_lost_s,
                      frame_latency_s=frame_latency_s, sim_interval_s=sim_interval_s, min_support=min_support)

    items = load_mission_items(mission_path)
    terrain = load_terrain(list(dems)) if dems else None
    area = None
    if area_path:
        from mission import load_area

        area = load_area(area_path)
    path = tlog or f"flight-{_dt.datetime.now():%Y%m%d-%H%M%S}.tlog"

    from maps.i18n import gettext_for

    _ = tr = gettext_for()

    def progress(p) -> None:
        alt = tr.distance(p.alt_rel_m) if p.alt_rel_m is not None else "?"
        last = _(" (last #{seq})").format(seq=p.reached[-1]) if p.reached else ""
        click.echo(_("  item {seq}/{last_seq}  reached {n}{last}  {mode} {armed}  alt {alt}").format(
            seq=p.current_seq, last_seq=p.total - 1, n=len(p.reached), last=last, mode=p.mode,
            armed=_("armed") if p.armed else _("disarmed"), alt=alt))

    def event(e) -> None:
        if e.kind == "lost":
            click.secho(_("  link lost: {detail}").format(detail=e.detail), fg="yellow", err=True)
        elif e.kind == "reconnected":
            click.secho(_("  link reconnected: {detail}").format(detail=e.detail), fg="green", err=True)

    def status(h) -> None:
        if h.severity == "info":
            return
        if h.active:
            word = _("CRITICAL") if h.severity == "critical" else _("WARNING")
            click.secho(f"  {word}: {h.kind}: {h.message}", fg="red" if h.severity == "critical" else "yellow",
                        err=True)
        elif h.resolved:
            click.secho("  " + _("resolved: {kind} after {seconds} s ({message})").format(
                kind=h.kind, seconds=tr.number((h.ended_s or h.started_s) - h.started_s), message=h.message),
                fg="green", err=True)
        else:
            click.secho("  " + _("not resolved when the flight ended: {kind}, for {seconds} s").format(
                kind=h.kind, seconds=tr.number((h.ended_s or h.started_s) - h.started_s)), fg="yellow", err=True)

    def live_line(st, waiting: int) -> None:
        line = _("  frames {received} ({dropped} dropped), {detections} detections, {targets} targets").format(
            received=st.frames_received, dropped=st.frames_dropped, detections=st.detections, targets=st.targets)
        if serve_url:
            line += _("; server: {n} waiting").format(n=waiting)
        click.echo(line)

    live = None
    if frames or serve_url:
        from thermal_sar.pipelines.live import LiveOptions

        scene = None
        if frames == "sim" or scenario:
            import sim

            click.echo(_("building the simulated world {name}").format(name=repr(scenario or "sheep")))
            scene = sim.load_scenario(scenario or "sheep")
        if serve_url and not token:
            raise InputError("--serve-url needs --token (or $THERMAL_SAR_TOKEN). Hint: `thermal-sar users add drone1 "
                             "--role ingest` prints one.")
        live = LiveOptions(frames=frames, camera=camera, detector=detector, terrain=terrain, scene=scene, area=area,
                           post_sightings=post_sightings,
                           serve_url=serve_url, token=token, vehicle_name=vehicle_name, frame_stall_s=frame_stall_s,
                           link_lost_s=link_lost_s, frame_latency_s=frame_latency_s, sim_interval_s=sim_interval_s,
                           min_hits=min_hits, min_support=min_support)
        if frames and terrain is None and scene is None:
            raise InputError("--frames needs the ground under the flight to place what it finds: give --dem FILE "
                             "(or --scenario for the simulated world).")

    kw = dict(tlog_path=path, terrain=terrain, fly=not upload_only, takeoff_alt_m=takeoff_alt_m, on_progress=progress,
              on_event=event, live=live, on_status=status, on_live=live_line)
    if connect is None:
        click.echo(_("starting ArduPilot SITL at the mission's home, mission {path} ({n} items after home)").format(
            path=mission_path, n=len(items) - 1))
        report = fly_mission_on_sitl(items, sitl_binary=sitl_binary, speedup=speedup, **kw)
    else:
        click.echo(_("connecting to {connect}, mission {path} ({n} items after home)").format(
            connect=connect, path=mission_path, n=len(items) - 1))
        report = fly_mission(connect, items, baud=baud, **kw)
    click.echo(report.summary())
    if report.live is not None:
        click.echo(report.live.summary())
