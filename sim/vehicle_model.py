"""Kinematics and flight logic of the simulated ArduCopter (no sockets, no clocks: ``step(dt_s)``).

A test double, not a flight simulator: the copter moves at bounded speed,
climb and yaw rates toward its current target, wind tilts it, the battery
drains with time in the air, and the flight modes behave like ArduCopter's
(GUIDED, AUTO, LOITER, BRAKE, RTL, LAND) including the arming checks a
ground station meets: no arming in AUTO/RTL/LAND, and "PreArm: Need Position
Estimate" until the EKF has converged (``ekf_ready_s`` of simulated time).

AUTO flies NAV_TAKEOFF, NAV_WAYPOINT (hold time), NAV_LOITER_TURNS (as
ArduCopter's AC_Circle: to the nearest point of the circle, then round it at
``min(speed, sqrt(0.5 * accel * r), CIRCLE_RATE * r)``, negative radius
counter-clockwise, whole turns), NAV_RETURN_TO_LAUNCH and NAV_LAND, and runs
DO_CHANGE_SPEED, DO_SET_CAM_TRIGG_DIST, DO_DIGICAM_CONTROL, DO_MOUNT_CONTROL,
DO_SET_ROI_LOCATION / DO_SET_ROI / DO_SET_ROI_NONE (the mount tilts to the
ROI and, as it cannot pan, the vehicle yaws to it) and DO_JUMP (as AP_Mission:
``1 + param2`` passes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mission.items import MavCmd, MissionItem

__all__ = ["VehicleConfig", "VehicleModel", "ARMABLE_MODES"]

_R_M = 6378137.0
ARMABLE_MODES = frozenset({"STABILIZE", "ALT_HOLD", "GUIDED", "LOITER", "POSHOLD", "BRAKE"})
_TERRAIN_FRAMES = (10, 11)
_DO_JUMP = 177


@dataclass(frozen=True)
class VehicleConfig:
    """Parameters of the simulated copter (SI units; times in simulated seconds)."""

    home_lat_deg: float = 46.5
    home_lon_deg: float = 8.0
    home_alt_amsl_m: float = 500.0
    home_heading_deg: float = 0.0
    speed_m_s: float = 5.0  # WPNAV_SPEED
    climb_m_s: float = 2.5  # WPNAV_SPEED_UP
    descent_m_s: float = 1.5  # WPNAV_SPEED_DN
    land_speed_m_s: float = 0.5  # LAND_SPEED below 10 m
    yaw_rate_deg_s: float = 90.0
    rtl_alt_m: float = 15.0
    wp_radius_m: float = 2.0
    accel_m_s2: float = 2.5  # WPNAV_ACCEL
    circle_rate_deg_s: float = 20.0  # CIRCLE_RATE
    circle_radius_m: float = 10.0  # CIRCLE_RADIUS (a LOITER_TURNS radius of 0 uses it)
    wind_east_m_s: float = 0.0
    wind_north_m_s: float = 0.0
    gps_fix_s: float = 3.0
    ekf_ready_s: float = 10.0
    gps_sigma_m: float = 0.0
    # Errors of the reported position estimate and attitude (GLOBAL_POSITION_INT, ATTITUDE,
    # MOUNT_STATUS): first-order Gauss-Markov processes, as a GNSS/EKF error wanders slowly.
    est_pos_sigma_m: float = 0.0
    est_alt_sigma_m: float = 0.0
    est_att_sigma_deg: float = 0.0
    est_error_tau_s: float = 60.0
    battery_full_v: float = 16.8
    battery_empty_v: float = 13.2
    battery_endurance_s: float = 1800.0
    seed: int = 0


# Target altitude that means "land here" (no real altitude is this low).
_LAND_Z = -1.0e6


@dataclass
class _Circle:
    """A NAV_LOITER_TURNS as ArduCopter's AC_Circle flies it (angles are compass bearings from the centre, rad)."""

    north_m: float
    east_m: float
    alt_rel_m: float
    radius_m: float
    ccw: bool
    turns: float
    to_edge: bool = True  # flying to the nearest point of the circle first (circle_movetoedge_start)
    angle_rad: float = 0.0
    angle_total_rad: float = 0.0
    ang_vel_rad_s: float = 0.0


@dataclass
class VehicleModel:
    """State and logic; :meth:`step` advances ``dt_s`` simulated seconds and returns events."""

    cfg: VehicleConfig
    t_s: float = 0.0
    north_m: float = 0.0
    east_m: float = 0.0
    alt_rel_m: float = 0.0
    vel_ned_m_s: np.ndarray = field(default_factory=lambda: np.zeros(3))
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    armed: bool = False
    landed: bool = True
    mode: str = "STABILIZE"
    mission: list[MissionItem] = field(default_factory=list)
    mission_index: int = 0
    mission_running: bool = False
    reached: list[int] = field(default_factory=list)
    target: tuple[float, float, float] | None = None  # north, east, alt_rel
    loiter_until_s: float | None = None
    speed_override_m_s: float | None = None
    cam_trigger_dist_m: float = 0.0
    dist_since_trigger_m: float = 0.0
    images: int = 0
    gimbal_pitch_deg: float = -90.0
    gimbal_roll_deg: float = 0.0
    gimbal_yaw_deg: float = 0.0
    energy_used_s: float = 0.0
    terrain_heights: dict = field(default_factory=dict)  # (lat_e7, lon_e7) -> metres AMSL, from TERRAIN_DATA
    roi: tuple[float, float, float] | None = None  # north, east, alt_rel of the region of interest (DO_SET_ROI*)
    circle: _Circle | None = None  # NAV_LOITER_TURNS in progress
    jumps_done: dict = field(default_factory=dict)  # DO_JUMP item index -> times jumped
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    # Current errors of the reported estimate: north, east, up (m); roll, pitch, yaw, gimbal pitch (deg).
    est_error: np.ndarray = field(default_factory=lambda: np.zeros(7))

    def __post_init__(self) -> None:
        self.yaw_deg = self.cfg.home_heading_deg
        self.rng = np.random.default_rng(self.cfg.seed)

    # -- geodesy (flat earth around home: the area of one flight) --------------
    def latlon(self, north_m: float | None = None, east_m: float | None = None) -> tuple[float, float]:
        n = self.north_m if north_m is None else north_m
        e = self.east_m if east_m is None else east_m
        lat = self.cfg.home_lat_deg + math.degrees(n / _R_M)
        lon = self.cfg.home_lon_deg + math.degrees(e / (_R_M * math.cos(math.radians(self.cfg.home_lat_deg))))
        return lat, lon

    def local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        n = math.radians(lat_deg - self.cfg.home_lat_deg) * _R_M
        e = math.radians(lon_deg - self.cfg.home_lon_deg) * _R_M * math.cos(math.radians(self.cfg.home_lat_deg))
        return n, e

    @property
    def alt_amsl_m(self) -> float:
        return self.cfg.home_alt_amsl_m + self.alt_rel_m

    @property
    def gps_fix(self) -> int:
        return 3 if self.t_s >= self.cfg.gps_fix_s else 1

    @property
    def position_ok(self) -> bool:
        return self.t_s >= self.cfg.ekf_ready_s

    @property
    def battery_v(self) -> float:
        frac = max(0.0, 1.0 - self.energy_used_s / self.cfg.battery_endurance_s)
        return self.cfg.battery_empty_v + (self.cfg.battery_full_v - self.cfg.battery_empty_v) * frac

    @property
    def battery_pct(self) -> int:
        return int(round(100 * max(0.0, 1.0 - self.energy_used_s / self.cfg.battery_endurance_s)))

    # -- commands (return (result, statustext)) ------------------------------------
    def set_mode(self, mode: str) -> tuple[int, str]:
        if mode in ("AUTO",):
            if self.armed and self.landed and not self._starts_with_takeoff():
                return 4, "Auto: Missing Takeoff Cmd"
            if len(self.mission) <= 1:
                return 4, "Auto: no mission"
            self.mode = "AUTO"
            self._start_mission()
            return 0, ""
        if mode in ("GUIDED", "LOITER", "BRAKE", "RTL", "LAND", "STABILIZE", "ALT_HOLD", "POSHOLD"):
            if mode in ("GUIDED", "LOITER", "BRAKE", "RTL") and not self.position_ok:
                return 4, f"{mode} requires position"
            self.mode = mode
            self.mission_running = False
            self.target = (self.north_m, self.east_m, self.alt_rel_m)
            if mode == "RTL":
                self.target = (self.north_m, self.east_m, max(self.alt_rel_m, self.cfg.rtl_alt_m))
            return 0, ""
        return 3, f"mode {mode} not supported by the simulated vehicle"

    def arm(self, arm: bool) -> tuple[int, str]:
        if not arm:
            if not self.landed:
                return 4, "Disarm: not landed"
            self.armed = False
            return 0, ""
        if self.armed:
            return 0, ""
        if self.mode not in ARMABLE_MODES:
            return 4, "Arm: Mode not armable"
        if self.gps_fix < 3:
            return 4, "PreArm: GPS 1: Bad fix"
        if not self.position_ok:
            return 4, "PreArm: Need Position Estimate"
        self.armed = True
        return 0, ""

    def takeoff(self, alt_rel_m: float) -> tuple[int, str]:
        if self.mode != "GUIDED" or not self.armed:
            return 4, "Takeoff: must be armed in GUIDED"
        self.landed = False
        self.target = (self.north_m, self.east_m, float(alt_rel_m))
        return 0, ""

    def mission_start(self) -> tuple[int, str]:
        if not self.armed:
            return 4, "Mission start: not armed"
        r, text = self.set_mode("AUTO")
        return r, text

    def trigger_camera(self) -> None:
        self.images += 1

    # -- mission ----------------------------------------------------------------------
    def _starts_with_takeoff(self) -> bool:
        return len(self.mission) > 1 and self.mission[1].command == MavCmd.NAV_TAKEOFF

    def _start_mission(self) -> None:
        self.mission_running = True
        self.mission_index = 1
        self.reached = []
        self.circle = None
        self.roi = None
        self.jumps_done = {}
        self.landed = False if self.armed else self.landed
        self._begin_item()

    def _item_target(self, it: MissionItem) -> tuple[float, float, float]:
        if it.x == 0 and it.y == 0:
            n, e = self.north_m, self.east_m
        else:
            n, e = self.local(it.lat_deg, it.lon_deg)
        z = float(it.z)
        if it.frame in (0, 5):
            z -= self.cfg.home_alt_amsl_m
        elif it.frame in _TERRAIN_FRAMES:
            h = self.terrain_height_at(it.x, it.y)
            z = (h - self.cfg.home_alt_amsl_m + z) if h is not None else self.alt_rel_m
        return n, e, z

    def terrain_height_at(self, lat_e7: int, lon_e7: int) -> float | None:
        """Height of the nearest terrain point received (within 100 m), or None."""
        if not self.terrain_heights:
            return None
        n0, e0 = self.local(lat_e7 * 1e-7, lon_e7 * 1e-7)
        best, best_d = None, 100.0
        for (la, lo), h in self.terrain_heights.items():
            n, e = self.local(la * 1e-7, lo * 1e-7)
            d = math.hypot(n - n0, e - e0)
            if d < best_d:
                best, best_d = h, d
        return best

    def _begin_item(self) -> list[tuple]:
        """Run DO_ items at once, set up the next NAV item; returns events."""
        events: list[tuple] = []
        while self.mission_running and self.mission_index < len(self.mission):
            it = self.mission[self.mission_index]
            if it.command < 80 or it.command in (MavCmd.NAV_TAKEOFF,):
                if it.command == MavCmd.NAV_TAKEOFF:
                    self.target = (self.north_m, self.east_m, self._item_target(it)[2])
                elif it.command == MavCmd.NAV_RETURN_TO_LAUNCH:
                    self.target = (self.north_m, self.east_m, max(self.alt_rel_m, self.cfg.rtl_alt_m))
                elif it.command == MavCmd.NAV_LAND:  # fly there at the current altitude, then descend
                    self.target = (self.north_m, self.east_m, _LAND_Z) if it.x == 0 and it.y == 0 else (
                        *self._item_target(it)[:2], self.alt_rel_m)
                elif it.command == MavCmd.NAV_LOITER_TURNS:
                    self._begin_circle(it)
                else:
                    self.target = self._item_target(it)
                self.loiter_until_s = None
                return events
            if it.command == MavCmd.DO_CHANGE_SPEED and it.param2 > 0:
                self.speed_override_m_s = float(it.param2)
            elif it.command == MavCmd.DO_SET_CAM_TRIGG_DIST:
                self.cam_trigger_dist_m = max(0.0, float(it.param1))
                self.dist_since_trigger_m = 0.0
                if it.param3 > 0 and self.cam_trigger_dist_m > 0:
                    events.append(("trigger",))
            elif it.command == MavCmd.DO_DIGICAM_CONTROL:
                events.append(("trigger",))
            elif it.command == MavCmd.DO_MOUNT_CONTROL:
                self.gimbal_pitch_deg = float(it.param1)
                self.gimbal_roll_deg = float(it.param2)
                self.gimbal_yaw_deg = float(it.param3)
            elif it.command in (MavCmd.DO_SET_ROI_LOCATION, MavCmd.DO_SET_ROI, MavCmd.DO_SET_ROI_NONE):
                # Copter's do_roi: a location of all zeros (ROI_NONE) clears it; otherwise the mount points at
                # it and, as the simulated mount cannot pan, the vehicle yaws to it.
                self.roi = None if (it.x == 0 and it.y == 0 and it.z == 0) else self._item_target(it)
            elif it.command == _DO_JUMP:
                # AP_Mission: jump to item param1, param2 more times (-1: for ever), then go on.
                done = self.jumps_done.get(self.mission_index, 0)
                if 0 < int(it.param1) < len(self.mission) and (it.param2 < 0 or done < int(it.param2)):
                    self.jumps_done[self.mission_index] = done + 1
                    self.mission_index = int(it.param1)
                    continue
            self.mission_index += 1
        return events

    def _begin_circle(self, it: MissionItem) -> None:
        n, e, z = self._item_target(it)
        r = abs(float(it.param3)) or self.cfg.circle_radius_m
        c = _Circle(n, e, z, r, float(it.param3) < 0, max(0.0, float(it.param1)))
        # The nearest point of the circle, at the circle's altitude; start circling at once when within 3 m.
        d = math.hypot(self.north_m - n, self.east_m - e)
        b = math.atan2(self.east_m - e, self.north_m - n) if d > 1e-6 else math.radians(self.yaw_deg) + math.pi
        edge = (n + r * math.cos(b), e + r * math.sin(b), z)
        self.circle = c
        if math.dist((self.north_m, self.east_m, self.alt_rel_m), edge) > 3.0:
            self.target = edge
        else:
            self._start_circling()

    def _start_circling(self) -> None:
        c = self.circle
        c.to_edge = False
        c.angle_rad = math.atan2(self.east_m - c.east_m, self.north_m - c.north_m)
        c.angle_total_rad = 0.0
        c.ang_vel_rad_s = 0.0
        # AC_Circle holds the altitude target it had when circling starts (not a terrain-frame circle here).
        self.target = (self.north_m, self.east_m, self.target[2] if self.target else self.alt_rel_m)

    def _circle_step(self, dt_s: float) -> None:
        """Advance the circle's target point (AC_Circle::update): angular speed ramps up at accel / r."""
        c = self.circle
        speed = self.speed_override_m_s or self.cfg.speed_m_s
        v_max = min(speed, math.sqrt(0.5 * self.cfg.accel_m_s2 * c.radius_m))
        w_max = min(v_max / c.radius_m, math.radians(abs(self.cfg.circle_rate_deg_s)))
        w_acc = max(self.cfg.accel_m_s2 / c.radius_m, math.radians(2.0))
        c.ang_vel_rad_s = min(w_max, c.ang_vel_rad_s + w_acc * dt_s)
        step = c.ang_vel_rad_s * dt_s * (-1.0 if c.ccw else 1.0)
        c.angle_rad += step
        c.angle_total_rad += step
        self.target = (c.north_m + c.radius_m * math.cos(c.angle_rad), c.east_m + c.radius_m * math.sin(c.angle_rad),
                       self.target[2])

    # -- dynamics ---------------------------------------------------------------------
    def _wander(self, dt_s: float) -> None:
        """Advance the Gauss-Markov errors of the reported estimate by ``dt_s``."""
        c = self.cfg
        sig = np.array([c.est_pos_sigma_m, c.est_pos_sigma_m, c.est_alt_sigma_m] + [c.est_att_sigma_deg] * 4)
        if not np.any(sig > 0) or dt_s <= 0:
            return
        a = math.exp(-dt_s / max(c.est_error_tau_s, 1e-3))
        self.est_error = a * self.est_error + sig * math.sqrt(max(0.0, 1.0 - a * a)) * self.rng.normal(size=7)

    def step(self, dt_s: float) -> list[tuple]:
        """Advance ``dt_s`` simulated seconds; returns events ("reached", seq), ("trigger",), ("text", s), ("landed",)."""
        self.t_s += dt_s
        self._wander(dt_s)
        events: list[tuple] = []
        if self.armed and not self.landed:
            self.energy_used_s += dt_s
        if not self.armed or self.target is None or self.mode in ("STABILIZE", "ALT_HOLD"):
            self.vel_ned_m_s[:] = 0.0
            self.roll_deg = self.pitch_deg = 0.0
            return events
        if self.mode == "LAND":
            self.target = (self.north_m, self.east_m, _LAND_Z)
        if self.mode == "AUTO" and self.mission_running and self.circle is not None and not self.circle.to_edge:
            self._circle_step(dt_s)
        tn, te, tz = self.target
        if self.mode == "RTL" and abs(self.alt_rel_m - tz) < 0.5:
            if math.hypot(self.north_m, self.east_m) > 1.0:
                self.target = (0.0, 0.0, tz)
            else:
                self.target = (0.0, 0.0, _LAND_Z)
            tn, te, tz = self.target
        if self.mode == "AUTO" and self.mission_running and self.mission_index < len(self.mission):
            cur = self.mission[self.mission_index]
            if cur.command in (MavCmd.NAV_RETURN_TO_LAUNCH,) and abs(self.alt_rel_m - tz) < 0.5:
                self.target = (0.0, 0.0, tz) if math.hypot(self.north_m, self.east_m) > 1.0 else (0.0, 0.0, _LAND_Z)
                tn, te, tz = self.target
            elif cur.command == MavCmd.NAV_LAND and tz != _LAND_Z and math.hypot(tn - self.north_m, te - self.east_m) < 1.0:
                self.target = (tn, te, _LAND_Z)
                tz = _LAND_Z
        speed = self.speed_override_m_s or self.cfg.speed_m_s
        dn, de = tn - self.north_m, te - self.east_m
        dist = math.hypot(dn, de)
        # Multicopters climb to a takeoff altitude before moving; elsewhere move together.
        v_h = min(speed, dist / dt_s) if dist > 1e-3 else 0.0
        vn = v_h * dn / dist if dist > 1e-3 else 0.0
        ve = v_h * de / dist if dist > 1e-3 else 0.0
        landing = tz == _LAND_Z
        # Landing descends to the ground, taken at home level (the model has no terrain);
        # other targets may lie below home (a valley): relative altitude goes negative, as in ArduPilot.
        dz = (0.0 - 1.0 if landing else tz) - self.alt_rel_m
        rate = self.cfg.climb_m_s if dz > 0 else (self.cfg.land_speed_m_s if self.alt_rel_m < 10 and landing
                                                  else self.cfg.descent_m_s)
        vz = math.copysign(min(rate, abs(dz) / dt_s), dz) if abs(dz) > 1e-3 else 0.0
        self.north_m += vn * dt_s
        self.east_m += ve * dt_s
        self.alt_rel_m = self.alt_rel_m + vz * dt_s
        if landing:
            self.alt_rel_m = max(0.0, self.alt_rel_m)
        self.vel_ned_m_s[:] = (vn, ve, -vz)
        if self.cam_trigger_dist_m > 0 and self.mode == "AUTO":
            self.dist_since_trigger_m += v_h * dt_s
            if self.dist_since_trigger_m >= self.cam_trigger_dist_m:
                self.dist_since_trigger_m -= self.cam_trigger_dist_m
                events.append(("trigger",))
        face = None
        if self.roi is not None and self.mode == "AUTO":
            face = (self.roi[0] - self.north_m, self.roi[1] - self.east_m)
            dist_h = math.hypot(*face)
            # The mount tilts down to the ROI (its pitch is limited to -90..0 deg).
            self.gimbal_pitch_deg = -max(0.0, min(90.0, math.degrees(math.atan2(self.alt_rel_m - self.roi[2], dist_h))))
            self.gimbal_yaw_deg = 0.0
        elif self.circle is not None and not self.circle.to_edge and self.mode == "AUTO":
            face = (self.circle.north_m - self.north_m, self.circle.east_m - self.east_m)  # AutoYaw CIRCLE
        elif v_h > 0.5:
            face = (vn, ve)
        if face is not None and math.hypot(*face) > 0.5:
            want = math.degrees(math.atan2(face[1], face[0])) % 360.0
            diff = (want - self.yaw_deg + 180.0) % 360.0 - 180.0
            max_step = self.cfg.yaw_rate_deg_s * dt_s
            self.yaw_deg = (self.yaw_deg + max(-max_step, min(max_step, diff))) % 360.0
        # Tilt into the air velocity (ground velocity minus wind), ~2.5 deg per m/s, as a small copter does.
        air_n = vn - self.cfg.wind_north_m_s
        air_e = ve - self.cfg.wind_east_m_s
        y = math.radians(self.yaw_deg)
        fwd = air_n * math.cos(y) + air_e * math.sin(y)
        right = -air_n * math.sin(y) + air_e * math.cos(y)
        self.pitch_deg = max(-30.0, min(30.0, -2.5 * fwd))
        self.roll_deg = max(-30.0, min(30.0, 2.5 * right))
        if landing and self.alt_rel_m <= 0.0:
            self.landed = True
            self.armed = False
            self.mission_running = False
            self.target = None
            self.vel_ned_m_s[:] = 0.0
            events.append(("landed",))
            if self.mode == "AUTO" and self.mission_index < len(self.mission):
                events.append(("reached", self.mission_index))
            return events
        if self.mode == "AUTO" and self.mission_running:
            events += self._advance_mission(dist, abs(tz - self.alt_rel_m))
        return events

    def _advance_mission(self, dist_m: float, dz_m: float) -> list[tuple]:
        events: list[tuple] = []
        if self.mission_index >= len(self.mission):
            return events
        it = self.mission[self.mission_index]
        if it.command in (MavCmd.NAV_LAND, MavCmd.NAV_RETURN_TO_LAUNCH, MavCmd.NAV_LOITER_UNLIM):
            return events  # complete when landed; an unlimited loiter never completes
        if it.command == MavCmd.NAV_LOITER_TURNS and self.circle is not None:
            if self.circle.to_edge:
                if dist_m <= self.cfg.wp_radius_m and dz_m <= 1.0:
                    self._start_circling()
                return events
            if abs(self.circle.angle_total_rad) < 2.0 * math.pi * self.circle.turns:
                return events
            self.circle = None
        if dist_m > self.cfg.wp_radius_m or dz_m > 1.0:
            return events
        hold = float(it.param1) if it.command in (MavCmd.NAV_WAYPOINT, MavCmd.NAV_LOITER_TIME) else 0.0
        if hold > 0:
            if self.loiter_until_s is None:
                self.loiter_until_s = self.t_s + hold
            if self.t_s < self.loiter_until_s:
                return events
        events.append(("reached", self.mission_index))
        self.reached.append(self.mission_index)
        self.mission_index += 1
        if self.mission_index >= len(self.mission):
            self.mission_running = False  # mission over: hold position, as ArduCopter does
            self.target = (self.north_m, self.east_m, self.alt_rel_m)
            return events
        events += self._begin_item()
        return events
