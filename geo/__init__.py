"""geo: the foundation of thermal-sar.

Coordinates and geodesy, local metric frames, terrain (DEM), camera geometry
and ray-to-ground intersection. Imports no other package of the project.
"""

from geo.camera import CAMERA_PRESETS, CameraModel, CameraPose, MountMode, camera_preset, rotation_zyx
from geo.coords import (
    AltRef,
    GeoPoint,
    bearing_deg,
    check_lat_lon,
    compass_word,
    destination,
    distance_m,
    inverse,
    parse_lat_lon,
)
from geo.errors import (
    CameraError,
    CoordinateError,
    FormatError,
    GeometryError,
    InputError,
    LinkError,
    LinkTimeout,
    OutOfCoverageError,
    SarError,
    SarIOError,
    TerrainError,
)
from geo.dji_xmp import dji_number, dji_xmp_tags
from geo.frames import LocalFrame, UtmFrame, enu_from_geodetic, geodetic_from_enu, utm_epsg_for
from geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo.raycast import CameraView, GroundHits, HeightGrid, intersect_rays
from geo.terrain import (
    DEMO_ORIGIN_LAT_DEG,
    DEMO_ORIGIN_LON_DEG,
    FlatTerrain,
    GeoBounds,
    GridTerrain,
    MosaicTerrain,
    Terrain,
    VoidReport,
    load_dem,
    load_geotiff,
    load_hgt,
    load_terrain,
    synthetic_mountain,
)
from geo.terrain_analysis import aspect_deg, hillshade, line_of_sight, segment_clearance_m, slope_aspect_at, slope_deg

__all__ = [
    # errors
    "SarError", "InputError", "CoordinateError", "CameraError", "GeometryError", "TerrainError",
    "OutOfCoverageError", "FormatError", "SarIOError", "LinkError", "LinkTimeout",
    # coordinates
    "AltRef", "GeoPoint", "check_lat_lon", "parse_lat_lon", "inverse", "distance_m", "bearing_deg",
    "destination", "compass_word", "wgs84_to_gcj02", "gcj02_to_wgs84",
    # DJI camera metadata
    "dji_xmp_tags", "dji_number",
    # frames
    "LocalFrame", "UtmFrame", "utm_epsg_for", "enu_from_geodetic", "geodetic_from_enu",
    # terrain
    "Terrain", "GridTerrain", "FlatTerrain", "MosaicTerrain", "GeoBounds", "VoidReport", "load_hgt",
    "load_geotiff", "load_dem", "load_terrain", "synthetic_mountain", "DEMO_ORIGIN_LAT_DEG",
    "DEMO_ORIGIN_LON_DEG", "slope_deg", "aspect_deg", "hillshade", "slope_aspect_at",
    "segment_clearance_m", "line_of_sight",
    # camera
    "CameraModel", "CameraPose", "MountMode", "CAMERA_PRESETS", "camera_preset", "rotation_zyx",
    "HeightGrid", "CameraView", "GroundHits", "intersect_rays",
]
