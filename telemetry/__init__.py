"""telemetry: the vehicle link, flight logs and geotagging.

* the link: :class:`MavlinkLink` (live, pymavlink) and :class:`TlogReplayLink`
  behind one interface, :class:`Vehicle` for state and commands, the mission
  protocol as ArduPilot speaks it (:func:`upload_mission`,
  :func:`download_mission`, :func:`compare_missions`), the
  :class:`TerrainServer`;
* logs: :func:`read_log` (.tlog, DataFlash .bin/.log, a DJI video's .SRT subtitles:
  :func:`read_dji_srt`) into a :class:`PoseTrack`;
* geotagging: :func:`geotag_pixels` with an :class:`ErrorModel` propagated
  to error ellipses and CEP, :func:`fuse_sightings` (and :class:`SightingFuser` for a live flight), :func:`targets_geojson`,
  DJI XMP poses (:func:`read_dji_pose`).

Optional: :mod:`telemetry.dronekit_adapter` (extra ``dronekit``) gives
pilots' dronekit scripts our missions as ``dronekit.CommandInt``.
"""

from telemetry.camera_sync import ClockFit, fit_clock_offset
from telemetry.control import CommandError, MissionProgress, Vehicle
from telemetry.dji import DjiPose, read_dji_pose
from telemetry.fusion import FusedTarget, Sighting, SightingFuser, fuse_sightings, targets_geojson
from telemetry.geotag import ErrorModel, GeotagResult, cep_from_cov, ellipse_from_cov, geotag_pixels
from telemetry.glitch import estimate_clock_offset, flag_gps_glitches
from telemetry.link import (
    ConnectionSpec,
    Link,
    LinkEvent,
    MavlinkLink,
    TlogReplayLink,
    TlogWriter,
    parse_connection,
)
from telemetry.logs import FlightLog, LogSummary, read_dataflash, read_log, read_tlog
from telemetry.mission_protocol import (
    MissionTransferError,
    UploadReport,
    ardupilot_roundtrip,
    compare_missions,
    download_mission,
    upload_mission,
    with_home,
)
from telemetry.srt import SrtRecord, find_sibling_srt, parse_dji_srt, read_dji_srt
from telemetry.state import COPTER_MODES, StateTracker, VehicleState
from telemetry.terrain_server import TerrainServer, terrain_block
from telemetry.tlog import TlogScan, scan_tlog
from telemetry.track import CameraEvent, PoseArrays, PoseTrack

__all__ = [
    # link
    "Link", "MavlinkLink", "TlogReplayLink", "TlogWriter", "LinkEvent", "ConnectionSpec", "parse_connection",
    # vehicle
    "Vehicle", "VehicleState", "StateTracker", "CommandError", "MissionProgress", "COPTER_MODES",
    # missions
    "upload_mission", "download_mission", "compare_missions", "with_home", "ardupilot_roundtrip", "UploadReport",
    "MissionTransferError",
    # terrain server
    "TerrainServer", "terrain_block",
    # logs and tracks
    "read_log", "read_tlog", "read_dataflash", "FlightLog", "LogSummary", "PoseTrack", "PoseArrays", "CameraEvent",
    "scan_tlog", "TlogScan", "read_dji_srt", "parse_dji_srt", "SrtRecord", "find_sibling_srt",
    "flag_gps_glitches", "estimate_clock_offset", "fit_clock_offset", "ClockFit",
    # geotagging
    "ErrorModel", "GeotagResult", "geotag_pixels", "ellipse_from_cov", "cep_from_cov", "Sighting", "FusedTarget",
    "fuse_sightings", "SightingFuser", "targets_geojson", "DjiPose", "read_dji_pose",
]
