"""``thermal-sar plan``: plan a search mission over terrain."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--area", type=click.Path(dir_okay=False), help="Search area: .kml, .geojson or .gpx (holes; "
              "polygons named 'no-fly ...' are no-fly zones).")
@click.option("--points", help="Search area as 'LAT,LON LAT,LON LAT,LON ...'.")
@click.option("--datum", help="Datum (last known position) 'LAT,LON' for a pattern search.")
@click.option("--pattern", type=click.Choice(["expanding-square", "sector", "creeping-line"]),
              default="expanding-square", show_default=True, help="Pattern around --datum (IAMSAR).")
@click.option("--radius", "radius_m", type=float, default=500.0, show_default=True, help="Pattern radius, m.")
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
def plan(area, points, datum, pattern, radius_m, ipp, category, up_to_percent, distance_table, dems, launch, camera,
         target, pixels, agl_m, ceiling_agl_m, min_safe_agl_m, tolerance_m, dem_margin_m, sidelap, frontlap, stills,
         speed_m_s, climb_m_s, descent_m_s, endurance_min, reserve_min, drones, max_sorties, altitude_frame, sweep,
         no_fly_margin_m, free_transit, repair, outs) -> None:
    """Plan a search mission over terrain and write it for QGroundControl, Mission Planner and maps."""
    from mission.targets import pixels_for_level
    from mission.vehicle import VehicleLimits
    from thermal_sar.pipelines.plan import PlanJob, run_plan

    vehicle = VehicleLimits(speed_m_s=speed_m_s, climb_m_s=climb_m_s, descent_m_s=descent_m_s,
                            endurance_s=endurance_min * 60.0, reserve_s=reserve_min * 60.0)
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
