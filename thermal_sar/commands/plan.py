"""``thermal-sar plan``: plan a search mission over terrain."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--area", type=click.Path(dir_okay=False), help="Search area: .kml, .geojson or .gpx (holes; "
              "polygons named 'no-fly ...' are no-fly zones).")
@click.option("--points", help="Search area as 'LAT,LON LAT,LON LAT,LON ...'.")
@click.option("--datum", help="Datum (last known position) 'LAT,LON' for a pattern search.")
@click.option("--pattern", type=click.Choice(["expanding-square", "sector", "creeping-line", "overwatch"]),
              default="expanding-square", show_default=True, help="Pattern around --datum (IAMSAR), or overwatch: "
              "orbit --at with the camera on it.")
@click.option("--at", "at", help="Point to watch 'LAT,LON' (with --pattern overwatch).")
@click.option("--radius", "radius_m", type=float, default=500.0, show_default=True, help="Pattern radius, m "
              "(overwatch: orbit radius, required).")
@click.option("--time-on-station", "time_on_station_min", type=float, help="Overwatch: stay at most this long, min "
              "(default: as long as the battery allows).")
@click.option("--ccw", is_flag=True, help="Overwatch: orbit counter-clockwise.")
@click.option("--ipp", help="Initial planning point 'LAT,LON': search probability rings, innermost first.")
@click.option("--category", help="Subject category of the distance table (with --ipp), e.g. child-4-6.")
@click.option("--rings-to", "up_to_percent", type=click.Choice(["25", "50", "75", "95"]), default="75",
              show_default=True, help="Outermost ring (percent of subjects found within).")
@click.option("--distance-table", type=click.Path(dir_okay=False), help="CSV of ring distances (default: the "
              "shipped EXAMPLE table).")
@click.option("--dem", "dems", multiple=True, type=click.Path(dir_okay=False), help="DEM (.hgt or GeoTIFF); repeat "
              "for several tiles. Without one the ground is assumed flat (warned).")
@click.option("--launch", help="Launch point 'LAT,LON'.")
@click.option("--camera", default="m30t", show_default=True, help="Camera preset (geo.camera), or a custom "
              "camera as WIDTHxHEIGHT@HFOV, e.g. 640x512@32.")
@click.option("--target", default="adult-lying", show_default=True, help="adult-standing, adult-lying, child, "
              "child-standing, sheep, cow, dog, or LENGTHxWIDTH in m.")
@click.option("--pixels", default="4", show_default=True, help="Pixels on the target's longest edge, or detect, "
              "recognise, identify.")
@click.option("--agl", "agl_m", type=float, help="Height above ground, m (default: highest that gives --pixels).")
@click.option("--ceiling", "ceiling_agl_m", type=float, default=120.0, show_default=True, help="Legal ceiling above "
              "ground, m.")
@click.option("--min-agl", "min_safe_agl_m", type=float, default=30.0, show_default=True, help="Minimum safe height "
              "above terrain, m.")
@click.option("--tolerance", "tolerance_m", type=float, default=10.0, show_default=True, help="Height band +- m.")
@click.option("--dem-margin", "dem_margin_m", type=float, default=10.0, show_default=True, help="DEM error margin, m "
              "(SRTM about 10).")
@click.option("--sidelap", type=float, default=0.2, show_default=True)
@click.option("--frontlap", type=float, default=0.7, show_default=True)
@click.option("--stills", is_flag=True, help="Trigger photos by distance instead of continuous video.")
@click.option("--speed", "speed_m_s", type=float, default=10.0, show_default=True, help="Cruise speed, m/s.")
@click.option("--climb", "climb_m_s", type=float, default=2.5, show_default=True, help="Climb rate, m/s.")
@click.option("--descent", "descent_m_s", type=float, default=1.5, show_default=True, help="Descent rate, m/s.")
@click.option("--endurance", "endurance_min", type=float, default=30.0, show_default=True, help="Endurance, min.")
@click.option("--reserve", "reserve_min", type=float, default=6.0, show_default=True, help="Reserve, min.")
@click.option("--drones", type=int, default=1, show_default=True, help="Share the area fairly between N drones.")
@click.option("--max-sorties", type=int, default=30, show_default=True)
@click.option("--altitude-frame", type=click.Choice(["amsl", "home", "terrain"]), default="amsl", show_default=True,
              help="Altitude datum of the waypoints (terrain = MAVLink frame 10, needs TERRAIN_ENABLE).")
@click.option("--sweep", default="auto", show_default=True, help="auto, longest-edge, contour, or a bearing in deg.")
@click.option("--no-fly-margin", "no_fly_margin_m", type=float, default=20.0, show_default=True,
              help="Horizontal distance kept from no-fly zones, m.")
@click.option("--free-transit", is_flag=True, help="Let transitions fly anywhere between the minimum safe height "
              "(+ DEM margin) and the ceiling instead of the search band.")
@click.option("--repair", is_flag=True, help="Repair self-intersecting polygons instead of refusing them.")
@click.option("--out", "outs", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Output: .plan, .waypoints (one file per sortie), .kml, .gpx, .geojson; repeatable.")
def plan(area, points, datum, pattern, at, radius_m, time_on_station_min, ccw, ipp, category, up_to_percent, distance_table, dems, launch, camera,
         target, pixels, agl_m, ceiling_agl_m, min_safe_agl_m, tolerance_m, dem_margin_m, sidelap, frontlap, stills,
         speed_m_s, climb_m_s, descent_m_s, endurance_min, reserve_min, drones, max_sorties, altitude_frame, sweep,
         no_fly_margin_m, free_transit, repair, outs) -> None:
    """Plan a search mission over terrain and write it for QGroundControl, Mission Planner and maps."""
    from mission.targets import pixels_for_level
    from mission.vehicle import VehicleLimits
    from thermal_sar.pipelines.plan import PlanJob, run_plan

    vehicle = VehicleLimits(speed_m_s=speed_m_s, climb_m_s=climb_m_s, descent_m_s=descent_m_s,
                            endurance_s=endurance_min * 60.0, reserve_s=reserve_min * 60.0)
    if pattern == "overwatch" or at:
        ctx = click.get_current_context()
        _overwatch(at=at, pattern=pattern, radius_m=radius_m,
                   radius_given=ctx.get_parameter_source("radius_m") != click.core.ParameterSource.DEFAULT,
                   others=[x for x in (area, points, datum, ipp, category, distance_table) if x], agl_m=agl_m, dems=dems, launch=launch,
                   camera=camera, vehicle=vehicle, tolerance_m=tolerance_m, ceiling_agl_m=ceiling_agl_m,
                   min_safe_agl_m=min_safe_agl_m, dem_margin_m=dem_margin_m, altitude_frame=altitude_frame,
                   clockwise=not ccw, time_on_station_min=time_on_station_min, outs=outs)
        return
    if time_on_station_min is not None or ccw:
        from geo.errors import InputError

        raise InputError("--time-on-station and --ccw belong to --pattern overwatch. Hint: add --pattern overwatch "
                         "--at LAT,LON, or leave them out.")
    settings = dict(px_needed=pixels_for_level(pixels), agl_m=agl_m, ceiling_agl_m=ceiling_agl_m,
                    min_safe_agl_m=min_safe_agl_m, tolerance_m=tolerance_m, dem_margin_m=dem_margin_m,
                    sidelap=sidelap, frontlap=frontlap, stills=stills, vehicle=vehicle, drones=drones,
                    max_sorties=max_sorties, altitude_frame=altitude_frame, no_fly_margin_m=no_fly_margin_m,
                    free_transit=free_transit)
    job = PlanJob(outs=tuple(Path(o) for o in outs), area=Path(area) if area else None, points=points, datum=datum,
                  pattern=pattern, radius_m=radius_m, ipp=ipp, category=category, up_to_percent=int(up_to_percent),
                  distance_table=Path(distance_table) if distance_table else None,
                  dems=tuple(Path(d) for d in dems), launch=launch, camera=camera, target=target,
                  settings=tuple(settings.items()), sweep=sweep, repair=repair)
    result = run_plan(job)
    click.echo(result.summary)
    if result.stale_files:
        from thermal_sar.pipelines.plan import stale_warning

        click.secho(stale_warning(result.stale_files, len(result.plan.sorties)), fg="yellow", err=True)


def _overwatch(*, at, pattern, radius_m, radius_given, others, agl_m, dems, launch, camera, vehicle, outs,
               time_on_station_min, **kw) -> None:
    """``--pattern overwatch --at LAT,LON``: plan the orbit, write the files, print the summary."""
    from geo.coords import parse_lat_lon
    from geo.errors import InputError
    from geo.terrain import load_terrain
    from mission import plan_overwatch
    from thermal_sar.pipelines.plan import _camera, check_outputs, stale_sortie_files, stale_warning, write_outputs

    if pattern != "overwatch":
        raise InputError(f"--at is the point of --pattern overwatch, not of --pattern {pattern}. Hint: add "
                         "--pattern overwatch, or give the datum with --datum.")
    if not at:
        raise InputError("--pattern overwatch needs --at LAT,LON: the point to watch.")
    if others:
        raise InputError("--pattern overwatch orbits --at: leave out --area, --points, --datum, --ipp, --category "
                         "and --distance-table.")
    if not radius_given:
        raise InputError("--pattern overwatch needs --radius: the orbit radius in metres, e.g. --radius 80.")
    check_outputs([Path(o) for o in outs])
    if agl_m is None:
        raise InputError("--pattern overwatch needs --agl: the height above ground of the orbit in metres, e.g. "
                         "--agl 60.")
    plan = plan_overwatch(parse_lat_lon(at, name="at"), radius_m=radius_m, agl_m=agl_m,
                          terrain=load_terrain(list(dems)) if dems else None,
                          launch=parse_lat_lon(launch, name="launch") if launch else None, camera=_camera(camera),
                          vehicle=vehicle, time_on_station_s=None if time_on_station_min is None
                          else time_on_station_min * 60.0, **kw)
    files = write_outputs(plan, [Path(o) for o in outs])
    click.echo(overwatch_summary(plan, files))
    stale = stale_sortie_files([Path(o) for o in outs], len(plan.sorties))
    if stale:
        click.secho(stale_warning(stale, len(plan.sorties)), fg="yellow", err=True)


def overwatch_summary(plan, files=()) -> str:
    """The short table a pilot reads before an overwatch flight, in the CLI's language (docs/i18n.md)."""
    from maps.i18n import gettext_for
    from thermal_sar.pipelines.plan import ALTITUDE_FRAMES, _name, warning_text

    _ = tr = gettext_for()
    ow = plan.meta["overwatch"]
    fly = _("one NAV_LOITER_TURNS") if ow.mode == "loiter" else _("a ring of terrain-following waypoints with DO_JUMP")
    rows = [
        (_("pattern"), _("overwatch of {coord} (ground {ground} m AMSL), {fly}, {direction}").format(
            coord=tr.coord(ow.point_lat_deg, ow.point_lon_deg), ground=tr.number(ow.point_ground_amsl_m), fly=fly,
            direction=_("clockwise") if ow.clockwise else _("counter-clockwise"))),
        (_("orbit"), _("radius {r} at {v}: one lap every {p} s").format(
            r=tr.distance(ow.radius_m), v=tr.speed(ow.orbit_speed_m_s), p=tr.number(ow.orbit_period_s))),
        (_("time on station"), tr.ngettext("{min:.1f} min ({n} lap; the battery allows {max:.1f} min)",
                                           "{min:.1f} min ({n} laps; the battery allows {max:.1f} min)", ow.laps).format(
            min=ow.time_on_station_s / 60, n=ow.laps, max=ow.max_time_on_station_s / 60)),
        (_("height above ground"), _("{agl:.0f} m +- {tol:.0f} m: orbit {lo:.1f}..{hi:.1f} m, whole path "
                                     "{path_lo:.1f}..{path_hi:.1f} m").format(
            agl=ow.agl_m, tol=ow.tolerance_m, lo=ow.orbit_agl_min_m, hi=ow.orbit_agl_max_m, path_lo=ow.agl_min_m,
            path_hi=ow.agl_max_m)),
        (_("altitude AMSL"), _("orbit {lo:.1f}..{hi:.1f} m, whole path {path_lo:.1f}..{path_hi:.1f} m (written "
                               "{frame})").format(lo=ow.orbit_amsl_min_m, hi=ow.orbit_amsl_max_m, path_lo=ow.amsl_min_m,
                                                   path_hi=ow.amsl_max_m,
                                                   frame=_name(tr, ALTITUDE_FRAMES, plan.altitude_frame))),
        (_("camera to point"), _("{lo:.0f}..{hi:.0f} deg below the horizon, slant range up to {slant:.0f} m").format(
            lo=ow.depression_min_deg, hi=ow.depression_max_deg, slant=ow.slant_range_max_m)),
        (_("GSD at the point"), _("{across:.1f} cm/px across, {along:.1f} cm/px along the line of sight ({camera})").format(
            across=ow.gsd_across_m * 100, along=ow.gsd_along_m * 100, camera=plan.camera_name)),
        (_("transit"), _("{distance} each way ({out} s out, {back} s back)").format(
            distance=tr.distance(ow.transit_distance_m), out=tr.number(ow.transit_out_s),
            back=tr.number(ow.transit_back_s))),
        (_("flight time"), _("{min:.1f} min, items {items}").format(min=ow.flight_time_s / 60,
                                                                  items=len(plan.sorties[0].items))),
    ]
    out = [_("thermal-sar overwatch plan"), *tr.table(rows)]
    out += ["  " + _("warning: {message}").format(message=warning_text(tr, m)) for m in plan.warnings]
    out += ["  " + _("wrote {path}").format(path=f) for f in files]
    return "\n".join(out)
