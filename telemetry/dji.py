"""DJI radiometric JPEGs: the pose in their XMP, and the laser rangefinder target.

DJI enterprise cameras (H20T, M30T, M3T...) write ``drone-dji:`` XMP tags:
GPS position, absolute and relative (to take-off) altitude, gimbal angles in
the earth frame (yaw from true north: :attr:`geo.MountMode.EARTH`) and the
aircraft's attitude. With a laser rangefinder (H20T, H30T) they add the
ranged target (``LRFTargetLat/Lon/AbsAlt/Distance``): an independent
measurement of the ground point under the image centre, used to cross-check
our geotagging.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.camera import CameraPose, MountMode
from geo.dji_xmp import dji_xmp_tags
from geo.errors import FormatError, SarIOError

__all__ = ["DjiPose", "LrfTarget", "read_dji_pose", "parse_dji_xmp"]

@dataclass(frozen=True, slots=True)
class LrfTarget:
    """The laser rangefinder's target: slant distance and the point it hit (altitude AMSL as DJI reports it)."""

    distance_m: float
    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


@dataclass(frozen=True, slots=True)
class DjiPose:
    """The XMP pose of one DJI image (altitudes in metres, angles in degrees)."""

    lat_deg: float
    lon_deg: float
    abs_alt_m: float
    rel_alt_m: float
    gimbal_roll_deg: float
    gimbal_pitch_deg: float
    gimbal_yaw_deg: float
    flight_roll_deg: float
    flight_pitch_deg: float
    flight_yaw_deg: float
    lrf: LrfTarget | None = None

    @property
    def takeoff_alt_m(self) -> float:
        """Altitude of the take-off point, in the datum of ``abs_alt_m``."""
        return self.abs_alt_m - self.rel_alt_m

    def camera_pose(self) -> CameraPose:
        """The camera pose; the gimbal angles are absolute (:attr:`MountMode.EARTH`)."""
        return CameraPose(self.lat_deg, self.lon_deg, self.abs_alt_m, self.flight_roll_deg, self.flight_pitch_deg,
                          self.flight_yaw_deg, self.gimbal_roll_deg, self.gimbal_pitch_deg, self.gimbal_yaw_deg,
                          MountMode.EARTH)


def parse_dji_xmp(data: bytes, *, name: str = "image") -> DjiPose:
    """Parse the ``drone-dji:`` tags out of a JPEG's bytes (:func:`geo.dji_xmp.dji_xmp_tags`); strict:
    a missing or malformed position, altitude or gimbal angle is a :class:`FormatError` naming the tag."""
    tags = dji_xmp_tags(data)
    if not tags:
        raise FormatError(f"{name}: no XMP packet with drone-dji tags found. Hint: only DJI images carry "
                          "drone-dji tags; images re-saved by editors may have lost them.")

    def num(key: str, default: float | None = None) -> float:
        if key not in tags or tags[key] == "":
            if default is not None:
                return default
            raise FormatError(f"{name}: XMP tag drone-dji:{key} is missing. Hint: is this a DJI image with GPS?")
        try:
            return float(tags[key])
        except ValueError:
            raise FormatError(f"{name}: drone-dji:{key}={tags[key]!r} is not a number.") from None

    lrf = None
    if "LRFTargetDistance" in tags and tags.get("LRFStatus", "Normal") == "Normal":
        d = num("LRFTargetDistance", 0.0)
        if d > 0:
            lrf = LrfTarget(d, num("LRFTargetLat"), num("LRFTargetLon"), num("LRFTargetAbsAlt"))
    lat_key = "GpsLatitude" if "GpsLatitude" in tags else "Latitude"
    lon_key = "GpsLongitude" if "GpsLongitude" in tags else ("Longitude" if "Longitude" in tags else "GpsLongtitude")
    return DjiPose(num(lat_key), num(lon_key),
                   num("AbsoluteAltitude"), num("RelativeAltitude", 0.0), num("GimbalRollDegree", 0.0),
                   num("GimbalPitchDegree"), num("GimbalYawDegree"), num("FlightRollDegree", 0.0),
                   num("FlightPitchDegree", 0.0), num("FlightYawDegree", 0.0), lrf)


def read_dji_pose(path: str | Path) -> DjiPose:
    """The XMP pose of a DJI JPEG file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read {str(p)!r}: {exc.strerror or exc}") from None
    return parse_dji_xmp(data, name=p.name)
