"""Commanding an ArduCopter over a :class:`~telemetry.link.Link`: state, streams, modes, arming, missions.

Every command waits for its COMMAND_ACK (resending up to ``retries`` times
on silence, as the MAVLink command protocol says) and raises
:class:`CommandError` with the autopilot's result and its last STATUSTEXT
when refused. Arming retries while the autopilot says it is still waiting
for a position estimate (SITL needs about 40 s after start).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from geo.errors import LinkError, LinkTimeout
from telemetry.link import wait_for
from telemetry.mission_protocol import (
    UploadReport,
    compare_missions,
    download_mission,
    upload_mission,
    with_home,
)
from telemetry.state import StateTracker, VehicleState, copter_mode_number

__all__ = ["Vehicle", "CommandError", "MissionProgress", "RESULT_NAMES", "STREAM_RATES_HZ"]

RESULT_NAMES = {0: "ACCEPTED", 1: "TEMPORARILY_REJECTED", 2: "DENIED", 3: "UNSUPPORTED", 4: "FAILED",
                5: "IN_PROGRESS", 6: "CANCELLED"}

# Message id -> rate (Hz) requested with SET_MESSAGE_INTERVAL.
STREAM_RATES_HZ = {
    33: 5.0,  # GLOBAL_POSITION_INT
    30: 10.0,  # ATTITUDE
    1: 1.0,  # SYS_STATUS
    24: 1.0,  # GPS_RAW_INT
    42: 1.0,  # MISSION_CURRENT
    242: 0.5,  # HOME_POSITION
    158: 5.0,  # MOUNT_STATUS
    285: 5.0,  # GIMBAL_DEVICE_ATTITUDE_STATUS
}
# Prearm failures that clear by themselves while the EKF converges.
_TRANSIENT = ("position", "ekf", "ahrs", "gps", "home", "waiting", "initialis", "initializ", "gyro", "accel", "compass")


class CommandError(LinkError):
    """The autopilot refused a command."""


@dataclass(frozen=True, slots=True)
class MissionProgress:
    """Where the mission stands (MISSION_CURRENT and MISSION_ITEM_REACHED)."""

    current_seq: int | None
    reached: tuple[int, ...]
    total: int
    mode: str | None
    armed: bool
    alt_rel_m: float | None

    @property
    def done(self) -> bool:
        return self.total > 0 and (self.total - 1) in self.reached


class Vehicle:
    """A commanded vehicle on a link; the link's messages feed :attr:`tracker`."""

    def __init__(self, link, *, command_timeout_s: float = 1.5, retries: int = 3):
        self.link = link
        self.tracker = StateTracker()
        self.command_timeout_s = command_timeout_s
        self.retries = retries
        self.handlers: list[Callable] = []  # also fed every message (e.g. a TerrainServer.handle)

    @property
    def state(self) -> VehicleState:
        return self.tracker.state

    def _sink(self, m) -> None:
        self.tracker.update(m)
        for h in self.handlers:
            h(m)

    def pump(self, duration_s: float = 0.0) -> VehicleState:
        """Read messages for ``duration_s`` seconds, updating the state."""
        deadline = time.monotonic() + duration_s
        while True:
            for m in self.link.poll(min(0.1, max(0.0, deadline - time.monotonic()))):
                self._sink(m)
            if time.monotonic() >= deadline:
                return self.state

    def connect(self, timeout_s: float = 15.0) -> VehicleState:
        """Wait for the autopilot's heartbeat and request data streams."""
        self.link.wait_heartbeat(timeout_s, sink=self._sink)
        self.tracker.target_system = self.link.target_system
        self.request_streams()
        return self.state

    def request_streams(self, rates_hz: dict[int, float] | None = None) -> None:
        """SET_MESSAGE_INTERVAL per message, and REQUEST_DATA_STREAM for older ArduPilot (fire and forget)."""
        mav = self.link.mav
        # MAV_DATA_STREAM_ALL at 4 Hz first, for ArduPilot before 4.0 which ignores SET_MESSAGE_INTERVAL;
        # then per-message intervals, which take precedence where supported.
        self.link.send(mav.request_data_stream_encode(self.link.target_system, self.link.target_component, 0, 4, 1))
        for msg_id, hz in (rates_hz or STREAM_RATES_HZ).items():
            self.link.send(mav.command_long_encode(self.link.target_system, self.link.target_component, 511, 0,
                                                   msg_id, int(1e6 / hz), 0, 0, 0, 0, 0))

    def command(self, command: int, *params: float, timeout_s: float | None = None) -> int:
        """COMMAND_LONG with retries; returns the MAV_RESULT, raises :class:`CommandError` unless ACCEPTED/IN_PROGRESS."""
        p = list(params) + [0.0] * (7 - len(params))
        to = self.command_timeout_s if timeout_s is None else timeout_s
        for confirmation in range(self.retries + 1):
            self.link.send(self.link.mav.command_long_encode(self.link.target_system, self.link.target_component,
                                                             command, confirmation, *p))
            try:
                ack = wait_for(self.link, "COMMAND_ACK", to, lambda m: m.command == command, self._sink)
            except LinkTimeout:
                continue
            if ack.result in (0, 5):
                return int(ack.result)
            raise CommandError(
                f"command {command} refused: {RESULT_NAMES.get(ack.result, ack.result)}"
                + (f" ({self.state.last_statustext})" if self.state.last_statustext else "")
                + ". Hint: see the autopilot's message; the vehicle may not be ready."
            )
        raise LinkTimeout(f"command {command}: no COMMAND_ACK after {self.retries + 1} tries of {to:.1f} s. "
                          "Hint: check the link.")

    def set_mode(self, name: str, timeout_s: float = 5.0) -> None:
        """Set an ArduCopter flight mode and wait until the heartbeat reports it."""
        num = copter_mode_number(name)
        self.command(176, 1, num)  # MAV_CMD_DO_SET_MODE, MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        want = name.strip().upper()
        self.wait_until(lambda s: s.mode == want, timeout_s, f"mode {want}")

    def arm(self, timeout_s: float = 60.0, retry_interval_s: float = 1.0) -> None:
        """Arm, retrying while the autopilot reports a transient prearm failure (no position estimate yet)."""
        deadline = time.monotonic() + timeout_s
        while True:
            seq0 = self.state.statustext_seq
            try:
                self.command(400, 1)
                self.wait_until(lambda s: s.armed, 5.0, "armed")
                return
            except CommandError as exc:
                # The reason comes as STATUSTEXT, sometimes just after the ACK: give it a moment.
                self.pump(0.3)
                st = self.state
                k = min(st.statustext_seq - seq0, len(st.statustexts))
                new = st.statustexts[-k:] if k > 0 else ()
                reasons = [t for t in new if "arm" in t.lower()] or list(new) or [st.last_statustext]
                text = reasons[-1].lower()
                if not any(w in text for w in _TRANSIENT) or time.monotonic() + retry_interval_s > deadline:
                    raise CommandError(f"arming failed: {exc} ({reasons[-1]})") from None
            self.pump(retry_interval_s)

    def disarm(self) -> None:
        self.command(400, 0)

    def takeoff(self, alt_rel_m: float, *, wait: bool = True, timeout_s: float = 60.0) -> None:
        """NAV_TAKEOFF in GUIDED to ``alt_rel_m`` above home; waits to reach 95 % of it."""
        self.command(22, 0, 0, 0, 0, 0, 0, float(alt_rel_m))
        if wait:
            self.wait_until(lambda s: (s.alt_rel_m or 0.0) >= 0.95 * alt_rel_m, timeout_s, f"altitude {alt_rel_m} m")

    def start_mission(self) -> None:
        """MAV_CMD_MISSION_START: AUTO from the first item (the vehicle must be armed)."""
        self.command(300, 0, 0)

    def pause(self) -> None:
        """Hold position (BRAKE stops at once; LOITER if BRAKE is unavailable)."""
        try:
            self.set_mode("BRAKE")
        except CommandError:
            self.set_mode("LOITER")

    def rtl(self) -> None:
        self.set_mode("RTL")

    def land(self) -> None:
        self.set_mode("LAND")

    def wait_until(self, predicate: Callable[[VehicleState], bool], timeout_s: float, what: str) -> VehicleState:
        deadline = time.monotonic() + timeout_s
        while True:
            if predicate(self.state):
                return self.state
            if time.monotonic() > deadline:
                raise LinkTimeout(f"vehicle did not reach {what} within {timeout_s:.0f} s. Hint: check its messages "
                                  f"(last: {self.state.last_statustext!r}).")
            self.pump(0.1)

    # -- missions ---------------------------------------------------------------
    def upload_mission(self, items, **kw) -> tuple[tuple, UploadReport, tuple[str, ...]]:
        """Upload ``items`` (without home), download them back and compare.

        Returns ``(sent_with_home, report, mismatches)``; ``mismatches`` empty means verified.
        """
        s = self.state
        full = with_home(items, home_lat_deg=s.home_lat_deg or s.lat_deg or 0.0,
                         home_lon_deg=s.home_lon_deg or s.lon_deg or 0.0,
                         home_alt_amsl_m=s.home_alt_amsl_m or s.alt_amsl_m or 0.0)
        report = upload_mission(self.link, full, sink=self._sink, **kw)
        back = download_mission(self.link, sink=self._sink)
        return full, report, compare_missions(full, back)

    def download_mission(self) -> tuple:
        return download_mission(self.link, sink=self._sink)

    def progress(self, total: int) -> MissionProgress:
        s = self.state
        return MissionProgress(s.mission_current_seq, s.mission_reached, total, s.mode, s.armed, s.alt_rel_m)
