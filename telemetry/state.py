"""Vehicle state as reported over MAVLink (pure: messages in, a frozen snapshot out)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

__all__ = ["VehicleState", "StateTracker", "COPTER_MODES", "copter_mode_number", "copter_mode_name"]

# ArduCopter custom_mode numbers (ArduCopter/mode.h).
COPTER_MODES: dict[str, int] = {
    "STABILIZE": 0, "ACRO": 1, "ALT_HOLD": 2, "AUTO": 3, "GUIDED": 4, "LOITER": 5, "RTL": 6, "CIRCLE": 7,
    "LAND": 9, "DRIFT": 11, "SPORT": 13, "FLIP": 14, "AUTOTUNE": 15, "POSHOLD": 16, "BRAKE": 17, "THROW": 18,
    "AVOID_ADSB": 19, "GUIDED_NOGPS": 20, "SMART_RTL": 21,
}
_MODE_NAMES = {v: k for k, v in COPTER_MODES.items()}


def copter_mode_number(name: str) -> int:
    from geo.errors import InputError

    key = str(name).strip().upper().replace("-", "_")
    if key not in COPTER_MODES:
        raise InputError(f"mode={name!r} is not an ArduCopter mode; allowed: {', '.join(COPTER_MODES)}.")
    return COPTER_MODES[key]


def copter_mode_name(number: int) -> str:
    return _MODE_NAMES.get(int(number), f"MODE({int(number)})")


@dataclass(frozen=True, slots=True)
class VehicleState:
    """The latest known state; fields are None until first reported."""

    time_boot_s: float | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None
    alt_rel_m: float | None = None
    roll_deg: float | None = None
    pitch_deg: float | None = None
    yaw_deg: float | None = None
    groundspeed_m_s: float | None = None
    mode: str | None = None
    armed: bool = False
    battery_v: float | None = None
    battery_remaining_pct: int | None = None
    gps_fix_type: int = 0
    gps_satellites: int = 0
    home_lat_deg: float | None = None
    home_lon_deg: float | None = None
    home_alt_amsl_m: float | None = None
    mission_current_seq: int | None = None
    mission_reached: tuple[int, ...] = ()
    gimbal_roll_deg: float | None = None
    gimbal_pitch_deg: float | None = None
    gimbal_yaw_deg: float | None = None
    camera_images: int = 0
    last_statustext: str = ""
    statustexts: tuple[str, ...] = field(default=(), repr=False)
    statustext_seq: int = 0  # how many STATUSTEXTs so far (the tuple keeps the latest 50)

    @property
    def has_position(self) -> bool:
        return self.lat_deg is not None and self.gps_fix_type >= 3


class StateTracker:
    """Feeds on messages (:meth:`update`) and keeps a :class:`VehicleState` snapshot in :attr:`state`."""

    def __init__(self, target_system: int | None = None, max_statustexts: int = 50):
        self.state = VehicleState()
        self.target_system = target_system
        self._max = max_statustexts

    def update(self, msg) -> None:
        if self.target_system is not None and msg.get_srcSystem() != self.target_system:
            return
        typ = msg.get_type()
        s = self.state
        if typ == "HEARTBEAT":
            if msg.type == 6:  # a GCS
                return
            s = replace(s, mode=copter_mode_name(msg.custom_mode), armed=bool(msg.base_mode & 128))
        elif typ == "GLOBAL_POSITION_INT":
            s = replace(s, time_boot_s=msg.time_boot_ms * 1e-3, lat_deg=msg.lat * 1e-7, lon_deg=msg.lon * 1e-7,
                        alt_amsl_m=msg.alt * 1e-3, alt_rel_m=msg.relative_alt * 1e-3,
                        groundspeed_m_s=math.hypot(msg.vx, msg.vy) * 0.01)
        elif typ == "ATTITUDE":
            s = replace(s, roll_deg=math.degrees(msg.roll), pitch_deg=math.degrees(msg.pitch),
                        yaw_deg=math.degrees(msg.yaw) % 360.0)
        elif typ == "SYS_STATUS":
            s = replace(s, battery_v=msg.voltage_battery * 1e-3, battery_remaining_pct=int(msg.battery_remaining))
        elif typ == "GPS_RAW_INT":
            s = replace(s, gps_fix_type=int(msg.fix_type), gps_satellites=int(msg.satellites_visible))
        elif typ == "HOME_POSITION":
            s = replace(s, home_lat_deg=msg.latitude * 1e-7, home_lon_deg=msg.longitude * 1e-7,
                        home_alt_amsl_m=msg.altitude * 1e-3)
        elif typ == "MISSION_CURRENT":
            s = replace(s, mission_current_seq=int(msg.seq))
        elif typ == "MISSION_ITEM_REACHED":
            s = replace(s, mission_reached=s.mission_reached + (int(msg.seq),))
        elif typ == "MOUNT_STATUS":
            s = replace(s, gimbal_pitch_deg=msg.pointing_a * 0.01, gimbal_roll_deg=msg.pointing_b * 0.01,
                        gimbal_yaw_deg=msg.pointing_c * 0.01)
        elif typ == "GIMBAL_DEVICE_ATTITUDE_STATUS":
            w, x, y, z = msg.q
            roll = math.degrees(math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))
            pitch = math.degrees(math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x)))))
            yaw = math.degrees(math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
            s = replace(s, gimbal_roll_deg=roll, gimbal_pitch_deg=pitch, gimbal_yaw_deg=yaw)
        elif typ in ("CAMERA_FEEDBACK", "CAMERA_TRIGGER"):
            s = replace(s, camera_images=s.camera_images + 1)
        elif typ == "STATUSTEXT":
            text = msg.text if isinstance(msg.text, str) else bytes(msg.text).decode("utf-8", "replace")
            text = text.rstrip("\x00")
            s = replace(s, last_statustext=text, statustexts=(s.statustexts + (text,))[-self._max:],
                        statustext_seq=s.statustext_seq + 1)
        else:
            return
        self.state = s
