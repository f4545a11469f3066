"""A small ArduCopter-like vehicle that speaks MAVLink 2 on loopback (TCP and UDP).

The project's test double for CI (real ArduPilot SITL, when installed, is
driven by :mod:`sim.sitl`). It sends what ArduCopter sends (HEARTBEAT,
GLOBAL_POSITION_INT, ATTITUDE, SYS_STATUS, GPS_RAW_INT, HOME_POSITION,
MISSION_CURRENT, MISSION_ITEM_REACHED, MOUNT_STATUS, CAMERA_FEEDBACK,
CAMERA_TRIGGER, TERRAIN_REQUEST, STATUSTEXT), honours SET_MESSAGE_INTERVAL
and REQUEST_DATA_STREAM, answers parameters, commands and the mission
protocol with ArduPilot's quirks (:mod:`sim.vehicle_mission`), and runs
``speedup`` times faster than real time.

Run it::

    python -m sim.vehicle --tcp 5760 --speedup 5

then ``thermal-sar fly --connect tcp:127.0.0.1:5760 --mission mission.plan``.
With ``--udp PORT`` it binds a UDP port and answers whoever sends to it
(connect with ``udpout:127.0.0.1:PORT``); with ``--udp-out HOST:PORT`` it
sends to a listening ground station, as SITL does to 14550 (connect with
``udp:0.0.0.0:PORT``). TCP takes one client at a time, as
ArduPilot's SERIAL0 does.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

from sim.sitl import join_home_arg
from sim.vehicle_mission import MissionServer
from sim.vehicle_model import VehicleConfig, VehicleModel

__all__ = ["SimVehicle", "VehicleConfig", "run_vehicle", "main"]

_DEFAULT_RATES_HZ = {0: 1.0, 33: 4.0, 30: 4.0, 1: 1.0, 24: 1.0, 42: 1.0, 242: 0.2, 158: 2.0, 74: 2.0}
_MODE_NUMBERS = {"STABILIZE": 0, "ALT_HOLD": 2, "AUTO": 3, "GUIDED": 4, "LOITER": 5, "RTL": 6, "LAND": 9,
                 "POSHOLD": 16, "BRAKE": 17}
_MODE_NAMES = {v: k for k, v in _MODE_NUMBERS.items()}


@dataclass
class SimVehicle:
    """The simulated vehicle behind a TCP and/or UDP port on 127.0.0.1.

    Use as a context manager: the simulation runs in a background thread
    that is stopped and joined on exit; an exception in it is re-raised
    there (nothing is swallowed). ``tcp_port=0`` picks a free port
    (:attr:`tcp_port` then tells which).
    """

    config: VehicleConfig = field(default_factory=VehicleConfig)
    tcp_port: int | None = 0
    udp_port: int | None = None
    udp_out: tuple[str, int] | None = None  # send to a listening ground station, as SITL to 14550
    speedup: float = 1.0
    step_s: float = 0.02  # wall-clock seconds per loop
    system_id: int = 1
    model: VehicleModel = field(init=False)
    missions: MissionServer = field(init=False)
    messages_in: int = 0
    connections: int = 0
    terrain_blocks_received: int = 0

    def __post_init__(self) -> None:
        from pymavlink.dialects.v20 import ardupilotmega as mavlink2

        self._mavlink = mavlink2
        self.model = VehicleModel(self.config)
        self.missions = MissionServer(self._send_kw)
        self._out = _Buffer()
        self.mav = mavlink2.MAVLink(self._out, srcSystem=self.system_id, srcComponent=1)
        self._parser = mavlink2.MAVLink(None, srcSystem=self.system_id, srcComponent=1)
        self._parser.robust_parsing = True
        self._rates = dict(_DEFAULT_RATES_HZ)
        self._custom_rates: set[int] = set()
        self._param_values: dict[str, float] = {}
        self._next_due: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._sel = selectors.DefaultSelector()
        self._tcp_listen = self._tcp_client = self._udp = None
        self._udp_peer = None
        self._home_sent = False
        self._terrain_requested: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._open_sockets()

    # -- sockets ------------------------------------------------------------------
    def _open_sockets(self) -> None:
        if self.tcp_port is not None:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.tcp_port))
            s.listen(1)
            s.setblocking(False)
            self.tcp_port = s.getsockname()[1]
            self._tcp_listen = s
            self._sel.register(s, selectors.EVENT_READ, "accept")
        if self.udp_port is not None or self.udp_out is not None:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", self.udp_port or 0))
            self._udp_peer = self.udp_out
            u.setblocking(False)
            self.udp_port = u.getsockname()[1]
            self._udp = u
            self._sel.register(u, selectors.EVENT_READ, "udp")

    def _close_sockets(self) -> None:
        for s in (self._tcp_client, self._tcp_listen, self._udp):
            if s is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(s)
                s.close()
        self._tcp_client = self._tcp_listen = self._udp = None
        self._sel.close()

    def drop_client(self) -> None:
        """Close the current TCP client (a test of the ground station's reconnect)."""
        with self._lock:
            if self._tcp_client is not None:
                self._sel.unregister(self._tcp_client)
                self._tcp_client.close()
                self._tcp_client = None

    def _client_alive(self) -> bool:
        """Whether the current TCP client is still connected (peeks; consumes nothing)."""
        try:
            return self._tcp_client.recv(1, socket.MSG_PEEK) != b""
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False

    def _io(self, timeout_s: float) -> None:
        for key, _ in self._sel.select(timeout_s):
            if key.data == "accept":
                conn, _addr = self._tcp_listen.accept()
                if self._tcp_client is not None and not self._client_alive():
                    # The old client hung up and its end-of-stream is still queued behind this
                    # accept (a ground station reconnecting): let the new one in.
                    self._sel.unregister(self._tcp_client)
                    self._tcp_client.close()
                    self._tcp_client = None
                if self._tcp_client is not None:  # one client at a time, like SERIAL0
                    conn.close()
                    continue
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._tcp_client = conn
                self.connections += 1
                self._sel.register(conn, selectors.EVENT_READ, "tcp")
            elif key.data == "tcp":
                try:
                    data = self._tcp_client.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    self._sel.unregister(self._tcp_client)
                    self._tcp_client.close()
                    self._tcp_client = None
                    continue
                self._feed(data)
            elif key.data == "udp":
                try:
                    data, addr = self._udp.recvfrom(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                self._udp_peer = addr
                self._feed(data)

    def _flush(self) -> None:
        data = self._out.take()
        if not data:
            return
        if self._tcp_client is not None:
            try:
                self._tcp_client.sendall(data)
            except OSError:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(self._tcp_client)
                self._tcp_client.close()
                self._tcp_client = None
        if self._udp is not None and self._udp_peer is not None:
            with contextlib.suppress(OSError):
                self._udp.sendto(data, self._udp_peer)

    # -- messages -------------------------------------------------------------------
    def _send_kw(self, kind: str, **fields) -> None:
        getattr(self.mav, f"{kind}_send")(**fields)

    def _text(self, text: str, severity: int = 4) -> None:
        self.mav.statustext_send(severity, text.encode()[:50])

    def _feed(self, data: bytes) -> None:
        msgs = self._parser.parse_buffer(data) or []
        for m in msgs:
            if m.get_type() == "BAD_DATA":
                continue
            self.messages_in += 1
            self._handle(m)

    def _ack(self, command: int, result: int, text: str = "") -> None:
        if text:
            self._text(text, 3 if result else 6)
        self.mav.command_ack_send(command, result)

    def _handle(self, m) -> None:
        typ = m.get_type()
        now = self.model.t_s
        if typ.startswith("MISSION_"):
            self.missions.handle(m, now)
            if self.missions.home is None:
                self.missions.set_home(self._home_item())
            return
        if typ == "COMMAND_LONG":
            self._command(m)
        elif typ == "SET_MODE":
            name = _MODE_NAMES.get(m.custom_mode)
            if name:
                self.model.set_mode(name)
        elif typ == "REQUEST_DATA_STREAM":
            if m.start_stop and m.req_message_rate > 0:
                for k in (33, 30, 1, 24, 42, 158, 74):
                    if k not in self._custom_rates:  # SET_MESSAGE_INTERVAL wins over streams
                        self._rates[k] = float(m.req_message_rate)
        elif typ == "PARAM_REQUEST_LIST":
            for i, (name, val) in enumerate(self._params().items()):
                self.mav.param_value_send(name.encode(), val, 9, len(self._params()), i)
        elif typ == "PARAM_REQUEST_READ":
            name = m.param_id if isinstance(m.param_id, str) else m.param_id.decode()
            params = self._params()
            if name in params:
                self.mav.param_value_send(name.encode(), params[name], 9, len(params), list(params).index(name))
        elif typ == "PARAM_SET":
            name = m.param_id if isinstance(m.param_id, str) else m.param_id.decode()
            name = name.rstrip("\x00")
            if name in self._param_values or name in self._params():
                self._param_values[name] = float(m.param_value)
                params = self._params()
                self.mav.param_value_send(name.encode(), params[name], 9, len(params), list(params).index(name))
        elif typ == "TERRAIN_DATA":
            self.terrain_blocks_received += 1
            for i, h in enumerate(m.data):
                n0 = 4 * m.grid_spacing * (m.gridbit // 8) + m.grid_spacing * (i // 4)
                e0 = 4 * m.grid_spacing * (m.gridbit % 8) + m.grid_spacing * (i % 4)
                lat = m.lat * 1e-7 + math.degrees(n0 / 6378100.0)
                lon = m.lon * 1e-7 + math.degrees(e0 / (6378100.0 * math.cos(math.radians(m.lat * 1e-7))))
                self.model.terrain_heights[(round(lat * 1e7), round(lon * 1e7))] = float(h)

    def _params(self) -> dict[str, float]:
        c = self.config
        base = {"WPNAV_SPEED": c.speed_m_s * 100, "WPNAV_SPEED_UP": c.climb_m_s * 100, "RTL_ALT": c.rtl_alt_m * 100,
                "TERRAIN_ENABLE": 1.0, "SYSID_THISMAV": float(self.system_id), "SIM_SPEEDUP": float(self.speedup)}
        base.update(self._param_values)
        return base

    def _command(self, m) -> None:
        c = m.command
        model = self.model
        if c == 511:  # SET_MESSAGE_INTERVAL
            msg_id, interval_us = int(m.param1), m.param2
            self._custom_rates.add(msg_id)
            if interval_us < 0:
                self._rates.pop(msg_id, None)
            elif interval_us > 0:
                self._rates[msg_id] = 1e6 / interval_us
            self._ack(c, 0)
        elif c == 176:  # DO_SET_MODE
            name = _MODE_NAMES.get(int(m.param2))
            if name is None:
                self._ack(c, 3, f"mode {int(m.param2)} unsupported")
                return
            if name == "AUTO":
                model.mission = list(self.missions.items)
            r, text = model.set_mode(name)
            self._ack(c, r, text)
        elif c == 400:  # ARM_DISARM
            r, text = model.arm(m.param1 > 0.5)
            self._ack(c, r, text)
        elif c == 22:  # NAV_TAKEOFF
            r, text = model.takeoff(m.param7)
            self._ack(c, r, text)
        elif c == 300:  # MISSION_START
            model.mission = list(self.missions.items)
            r, text = model.mission_start()
            self._ack(c, r, text)
        elif c == 203:  # DO_DIGICAM_CONTROL
            self._trigger()
            self._ack(c, 0)
        elif c == 205:  # DO_MOUNT_CONTROL
            model.gimbal_pitch_deg, model.gimbal_roll_deg, model.gimbal_yaw_deg = m.param1, m.param2, m.param3
            self._ack(c, 0)
        elif c == 20:  # RETURN_TO_LAUNCH
            r, text = model.set_mode("RTL")
            self._ack(c, r, text)
        elif c == 21:  # LAND
            r, text = model.set_mode("LAND")
            self._ack(c, r, text)
        elif c == 512:  # REQUEST_MESSAGE
            self._send_message(int(m.param1))
            self._ack(c, 0)
        else:
            self._ack(c, 3)

    def _home_item(self):
        from mission.items import MissionItem

        c = self.config
        return MissionItem(0, 16, 0, x=round(c.home_lat_deg * 1e7), y=round(c.home_lon_deg * 1e7), z=c.home_alt_amsl_m)

    def _trigger(self) -> None:
        md = self.model
        md.trigger_camera()
        lat, lon = md.latlon()
        t_us = int(md.t_s * 1e6)
        self.mav.camera_trigger_send(t_us, md.images)
        self.mav.camera_feedback_send(t_us, self.system_id, 0, md.images, round(lat * 1e7), round(lon * 1e7),
                                      md.alt_amsl_m, md.alt_rel_m, md.roll_deg, md.pitch_deg, md.yaw_deg, 0.0, 0)

    def _send_message(self, msg_id: int) -> None:
        md = self.model
        mav = self.mav
        t_ms = int(md.t_s * 1000) & 0xFFFFFFFF
        err = md.est_error
        lat, lon = md.latlon(md.north_m + err[0], md.east_m + err[1])
        if msg_id == 0:
            base = 1 | 16 | 8 | (128 if md.armed else 0)  # CUSTOM_MODE, STABILIZE, GUIDED enabled
            state = 4 if md.armed else 3  # ACTIVE / STANDBY
            mav.heartbeat_send(2, 3, base, _MODE_NUMBERS.get(md.mode, 0), state)  # QUADROTOR, ARDUPILOTMEGA
        elif msg_id == 33:
            if md.position_ok:
                v = md.vel_ned_m_s
                mav.global_position_int_send(t_ms, round(lat * 1e7), round(lon * 1e7),
                                             round((md.alt_amsl_m + err[2]) * 1000),
                                             round((md.alt_rel_m + err[2]) * 1000), int(v[0] * 100), int(v[1] * 100),
                                             int(v[2] * 100), int(md.yaw_deg * 100) % 36000)
        elif msg_id == 30:
            mav.attitude_send(t_ms, math.radians(md.roll_deg + err[3]), math.radians(md.pitch_deg + err[4]),
                              math.radians((md.yaw_deg + err[5] + 180) % 360 - 180), 0.0, 0.0, 0.0)
        elif msg_id == 1:
            mav.sys_status_send(0, 0, 0, 500, int(md.battery_v * 1000), 1500 if md.armed else 100, md.battery_pct,
                                0, 0, 0, 0, 0, 0)
        elif msg_id == 24:
            s = self.config.gps_sigma_m
            dn, de = (md.rng.normal(0, s, 2) if s > 0 else (0.0, 0.0))
            glat, glon = md.latlon(md.north_m + dn, md.east_m + de)
            mav.gps_raw_int_send(int(md.t_s * 1e6), md.gps_fix, round(glat * 1e7), round(glon * 1e7),
                                 round(md.alt_amsl_m * 1000), 80, 120, 0, 0, 12 if md.gps_fix >= 3 else 3)
        elif msg_id == 42:
            total = len(self.missions.items)
            mav.mission_current_send(min(md.mission_index, max(0, total - 1)) if md.mode == "AUTO" else 0, total, 0, 0)
        elif msg_id == 242:
            if md.position_ok:
                c = self.config
                mav.home_position_send(round(c.home_lat_deg * 1e7), round(c.home_lon_deg * 1e7),
                                       round(c.home_alt_amsl_m * 1000), 0, 0, 0, [1, 0, 0, 0], 0, 0, 0)
        elif msg_id == 158:
            mav.mount_status_send(0, 0, int((md.gimbal_pitch_deg + err[6]) * 100), int(md.gimbal_roll_deg * 100),
                                  int(md.gimbal_yaw_deg * 100))
        elif msg_id == 74:
            v = md.vel_ned_m_s
            mav.vfr_hud_send(math.hypot(v[0], v[1]), math.hypot(v[0], v[1]), int(md.yaw_deg) % 360,
                             50 if md.armed else 0, md.alt_amsl_m, -v[2])

    def _request_terrain(self) -> None:
        """TERRAIN_REQUEST for each terrain-frame item, as ArduPilot does once a mission holds them."""
        for it in self.missions.items[1:]:
            if it.frame not in (10, 11):
                continue
            key = (it.x, it.y)
            if key in self._terrain_requested:
                continue
            self._terrain_requested.add(key)
            spacing = 30
            n, e = -14 * spacing, -16 * spacing  # the item in the middle of a 28 x 32 point grid
            lat = it.lat_deg + math.degrees(n / 6378100.0)
            lon = it.lon_deg + math.degrees(e / (6378100.0 * math.cos(math.radians(it.lat_deg))))
            self.mav.terrain_request_send(round(lat * 1e7), round(lon * 1e7), spacing, (1 << 56) - 1)

    # -- loop -------------------------------------------------------------------------
    def tick(self, dt_sim_s: float) -> None:
        """One step of simulated time: physics, mission timeouts, periodic messages."""
        md = self.model
        was_ok = md.position_ok
        events = md.step(dt_sim_s)
        self.missions.update(md.t_s)
        if md.position_ok and not was_ok:
            self._text("EKF3 IMU0 is using GPS", 6)
        if self.missions.home is None and md.position_ok:
            self.missions.set_home(self._home_item())
        for ev in events:
            if ev[0] == "reached":
                self.mav.mission_item_reached_send(ev[1])
                self._text(f"Reached command #{ev[1]}", 6)
                self._send_message(42)  # the new current item, at once
            elif ev[0] == "trigger":
                self._trigger()
            elif ev[0] == "landed":
                self._text("Land complete", 6)
        if self.missions.changed:
            self._request_terrain()
        for msg_id, hz in list(self._rates.items()):
            if hz <= 0:
                continue
            due = self._next_due.get(msg_id, 0.0)
            if md.t_s >= due:
                self._next_due[msg_id] = md.t_s + 1.0 / hz
                self._send_message(msg_id)

    def run(self, stop: threading.Event | None = None) -> None:
        """Run until ``stop`` is set (the foreground loop of ``python -m sim.vehicle``)."""
        stop = stop or self._stop
        last = time.monotonic()
        while not stop.is_set():
            with self._lock:
                self._io(self.step_s)
                now = time.monotonic()
                dt = (now - last) * self.speedup
                last = now
                # Sub-steps of at most 0.1 simulated seconds keep the kinematics honest at high speedups.
                # speedup 0 pauses the world (the demo does while it processes a frame).
                n = int(math.ceil(dt / 0.1)) if dt > 0 else 0
                for _ in range(n):
                    self.tick(dt / n)
                self._flush()

    def _thread_main(self) -> None:
        try:
            self.run(self._stop)
        except BaseException as exc:  # handed to the owner in __exit__, never swallowed
            self._error = exc

    def true_camera_pose(self):
        """The camera's true pose now (not the reported estimate): what a rendered frame sees."""
        from geo.camera import CameraPose, MountMode

        with self._lock:
            m = self.model
            lat, lon = m.latlon()
            return CameraPose(lat, lon, m.alt_amsl_m, m.roll_deg, m.pitch_deg, m.yaw_deg, m.gimbal_roll_deg,
                              m.gimbal_pitch_deg, m.gimbal_yaw_deg, MountMode.EARTH_YAW_BODY, m.t_s)

    def swap_battery(self) -> None:
        """A full battery, as the pilot fits between sorties."""
        with self._lock:
            self.model.energy_used_s = 0.0

    def __enter__(self) -> SimVehicle:
        self._thread = threading.Thread(target=self._thread_main, name="sim-vehicle", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self._close_sockets()
        if self._error is not None:
            raise RuntimeError(f"the simulated vehicle crashed: {self._error!r}") from self._error


class _Buffer:
    """The file pymavlink writes encoded packets to."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, b) -> None:
        self._chunks.append(bytes(b))

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def run_vehicle(argv: list[str] | None = None) -> int:
    """The ``python -m sim.vehicle`` command line."""
    ap = argparse.ArgumentParser(prog="python -m sim.vehicle", description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcp", type=int, default=5760, help="TCP port on 127.0.0.1 (default 5760, as SITL)")
    ap.add_argument("--udp", type=int, default=None, help="also listen on this UDP port")
    ap.add_argument("--udp-out", default=None, help="also send to HOST:PORT (a ground station listening, e.g. "
                    "127.0.0.1:14550; connect it with udp:0.0.0.0:14550)")
    ap.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per real second")
    ap.add_argument("--home", default="46.5,8.0,500,0", help="LAT,LON,ALT_AMSL,HEADING (as SITL's --home)")
    ap.add_argument("--ekf-delay", type=float, default=10.0, help="simulated seconds until a position estimate")
    ap.add_argument("--wind", default="0,0", help="wind east,north in m/s")
    ap.add_argument("--gps-noise", type=float, default=0.0, help="GPS_RAW_INT noise, metres (1 sigma)")
    a = ap.parse_args(join_home_arg(sys.argv[1:] if argv is None else list(argv)))
    try:
        lat, lon, alt, hdg = (float(v) for v in a.home.split(","))
        we, wn = (float(v) for v in a.wind.split(","))
    except ValueError:
        print(f"error: --home {a.home!r} / --wind {a.wind!r}: expected LAT,LON,ALT,HDG and E,N numbers", file=sys.stderr)
        return 2
    cfg = VehicleConfig(home_lat_deg=lat, home_lon_deg=lon, home_alt_amsl_m=alt, home_heading_deg=hdg,
                        ekf_ready_s=a.ekf_delay, wind_east_m_s=we, wind_north_m_s=wn, gps_sigma_m=a.gps_noise)
    udp_out = None
    if a.udp_out:
        host, _, port = a.udp_out.rpartition(":")
        if not port.isdigit():
            print(f"error: --udp-out {a.udp_out!r}: expected HOST:PORT", file=sys.stderr)
            return 2
        udp_out = (host or "127.0.0.1", int(port))
    try:
        v = SimVehicle(cfg, tcp_port=a.tcp, udp_port=a.udp, udp_out=udp_out, speedup=a.speedup)
    except OSError as exc:
        print(f"error: cannot bind port: {exc}", file=sys.stderr)
        return 2
    print(f"simulated ArduCopter on tcp:127.0.0.1:{v.tcp_port}"
          + (f" and udp 127.0.0.1:{v.udp_port}" if v.udp_port else "") + f", speedup {a.speedup:g}; Ctrl-C stops",
          flush=True)
    try:
        v.run()
    except KeyboardInterrupt:
        pass
    finally:
        v._close_sockets()
    return 0


main = run_vehicle

if __name__ == "__main__":
    sys.exit(run_vehicle())
