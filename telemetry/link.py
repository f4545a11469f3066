"""The vehicle link: one interface, a live MAVLink implementation and a tlog replay.

:class:`Link` is what the rest of thermal-sar talks to. :class:`MavlinkLink`
opens a connection string as pilots know it (see :func:`parse_connection`)
through pymavlink, sends the ground station's heartbeat at 1 Hz, records
every message both ways to a tlog, reports link loss and reconnects.
:class:`TlogReplayLink` plays a recorded tlog through the same interface,
as fast as possible or paced. There are no threads: the caller's loop calls
:meth:`Link.poll`, and every wait is bounded by a ``time.monotonic()`` deadline.
"""

from __future__ import annotations

import contextlib
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol

from geo.errors import InputError, LinkError, LinkTimeout, SarIOError
from telemetry._pymavlink import open_connection

__all__ = ["Link", "ConnectionSpec", "parse_connection", "MavlinkLink", "TlogReplayLink", "TlogWriter",
           "LinkEvent", "GCS_SYSTEM_ID", "GCS_COMPONENT_ID", "SERIAL_BAUDS"]

GCS_SYSTEM_ID = 255
GCS_COMPONENT_ID = 190  # MAV_COMP_ID_MISSIONPLANNER, what ground stations use


class Link(Protocol):
    """What every vehicle link offers."""

    target_system: int
    target_component: int

    @property
    def mav(self):  # the pymavlink encoder: link.mav.command_long_encode(...)
        ...

    def send(self, msg) -> None: ...

    def poll(self, timeout_s: float = 0.0) -> list: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """Something that happened to the link (``kind``: connected, lost, reconnected, closed)."""

    monotonic_s: float
    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """A parsed connection string; ``device`` is what pymavlink is given."""

    kind: str  # tcp, tcpin, udpin, udpout, serial
    device: str
    host: str = ""
    port: int = 0
    baud: int = 57600


#: The serial rates telemetry radios and flight controllers use.
SERIAL_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 921600, 1500000)

_HOSTPORT = re.compile(r"^(?P<host>[A-Za-z0-9_.\-]*):(?P<port>\d{1,5})$")


def parse_connection(text: str, *, baud: int = 57600) -> ConnectionSpec:
    """Parse a connection string as pilots write it.

    ``tcp:HOST:PORT`` (connect, as to SITL's 5760), ``tcpin:HOST:PORT``,
    ``udp:HOST:PORT`` and ``udpin:HOST:PORT`` (listen, as Mission Planner on
    14550), ``udpout:HOST:PORT`` (send first), or a serial device with an
    optional baud: ``/dev/ttyUSB0``, ``/dev/ttyACM0:115200``, ``COM3,57600``.
    """
    s = str(text).strip()
    m = re.match(r"^(tcp|tcpin|udp|udpin|udpout):(.*)$", s, re.I)
    if m:
        scheme = m.group(1).lower()
        hp = _HOSTPORT.match(m.group(2))
        if not hp or not 0 < int(hp.group("port")) < 65536:
            raise InputError(f"connect={text!r}: expected {scheme}:HOST:PORT, allowed ports 1..65535, "
                             "e.g. tcp:127.0.0.1:5760 or udp:0.0.0.0:14550.")
        host = hp.group("host") or ("0.0.0.0" if scheme in ("udp", "udpin", "tcpin") else "127.0.0.1")
        port = int(hp.group("port"))
        kind = "udpin" if scheme in ("udp", "udpin") else scheme
        return ConnectionSpec(kind, f"{kind}:{host}:{port}", host, port)
    m = re.match(r"^(?P<dev>(/dev/[^\s:,]+)|(COM\d+))(?:[:,](?P<baud>\d+))?$", s, re.I)
    if m:
        b = int(m.group("baud") or baud)
        if b not in SERIAL_BAUDS:
            raise InputError(f"baud={b} is not a usual serial rate: allowed 9600..1500000 (57600 for SiK radios, "
                             "115200 for USB).")
        return ConnectionSpec("serial", m.group("dev"), baud=b)
    raise InputError(
        f"connect={text!r} is not a connection string; allowed tcp:HOST:PORT, udp:HOST:PORT (listen), "
        "udpout:HOST:PORT, or a serial device such as /dev/ttyUSB0:57600. Hint: SITL listens on tcp:127.0.0.1:5760."
    )


class TlogWriter:
    """Appends messages to a .tlog (8-byte big-endian microseconds since the epoch, then the raw packet)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "ab")
        except OSError as exc:
            raise SarIOError(f"cannot write tlog {str(self.path)!r}: {exc.strerror or exc}") from None
        self.messages = 0

    def write(self, msg, wall_time_s: float | None = None) -> None:
        buf = msg.get_msgbuf()
        if not buf:
            return
        usec = int((time.time() if wall_time_s is None else wall_time_s) * 1e6)
        self._f.write(struct.pack(">Q", usec) + bytes(buf))
        self.messages += 1

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            self._f.close()

    def __enter__(self) -> TlogWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_serial_device(device: str) -> None:
    """A clear :class:`LinkError` for a serial device that is not there (a /dev path; COM ports are not checked)."""
    import os

    if device.startswith("/dev/") and not os.path.exists(device):
        raise LinkError(f"serial device {device} does not exist; check the port / cable. Hint: `ls /dev/ttyUSB* "
                        "/dev/ttyACM*` lists the connected radios and flight controllers.")


class MavlinkLink:
    """A live MAVLink link (pymavlink underneath), used as a context manager.

    >>> with MavlinkLink("tcp:127.0.0.1:5760", tlog_path="flight.tlog") as link:  # doctest: +SKIP
    ...     link.wait_heartbeat(timeout_s=10)

    ``link_lost_s`` without any message from the vehicle marks the link lost;
    the connection is then reopened every ``reconnect_interval_s`` until the
    vehicle is heard again. Events are kept in :attr:`events` and passed to
    ``on_event``.
    """

    def __init__(self, connection: str, *, baud: int = 57600, tlog_path: str | Path | None = None,
                 source_system: int = GCS_SYSTEM_ID, source_component: int = GCS_COMPONENT_ID,
                 link_lost_s: float = 3.0, reconnect_interval_s: float = 1.0,
                 heartbeat_interval_s: float = 1.0, on_event: Callable[[LinkEvent], None] | None = None):
        self.spec = parse_connection(connection, baud=baud)
        self.source_system = source_system
        self.source_component = source_component
        self.link_lost_s = float(link_lost_s)
        self.reconnect_interval_s = float(reconnect_interval_s)
        self.heartbeat_interval_s = float(heartbeat_interval_s)
        self.on_event = on_event
        self.events: list[LinkEvent] = []
        self.target_system = 1
        self.target_component = 1
        self.connected = False
        self.reconnects = 0
        self._tlog: TlogWriter | None = None
        self._conn = None
        self._last_rx = time.monotonic()
        self._last_hb_tx = -1e9
        self._last_reopen = time.monotonic()
        self._lost = False
        self._open()
        # The tlog is made only once the connection opened: a failed connect leaves no empty flight-*.tlog.
        if tlog_path:
            try:
                self._tlog = TlogWriter(tlog_path)
            except BaseException:
                self.close()
                raise

    # -- lifecycle ------------------------------------------------------------
    def _open(self) -> None:
        kw = {"source_system": self.source_system, "source_component": self.source_component, "autoreconnect": False}
        if self.spec.kind == "serial":
            kw["baud"] = self.spec.baud
            _check_serial_device(self.spec.device)
        try:
            self._conn = open_connection(self.spec.device, **kw)
        except ImportError as exc:
            raise LinkError(f"cannot open {self.spec.device!r}: the Python package {exc.name or 'pyserial'!r} is "
                            "missing. Hint: pip install pyserial==3.5 (a dependency of thermal-sar).") from None
        except OSError as exc:
            raise LinkError(f"cannot open {self.spec.device!r}: {exc.strerror or exc}. Hint: is the vehicle (or SITL) "
                            "running and the port right?") from None
        self._last_reopen = time.monotonic()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
            self._event("closed")
        if self._tlog is not None:
            self._tlog.close()

    def __enter__(self) -> MavlinkLink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def mav(self):
        if self._conn is None:
            raise LinkError("the link is closed. Hint: use the link inside its `with` block.")
        return self._conn.mav

    @property
    def tlog_path(self) -> Path | None:
        return self._tlog.path if self._tlog else None

    def _event(self, kind: str, detail: str = "") -> None:
        ev = LinkEvent(time.monotonic(), kind, detail)
        self.events.append(ev)
        if self.on_event is not None:
            self.on_event(ev)

    # -- I/O --------------------------------------------------------------------
    def send(self, msg) -> None:
        """Send an encoded message (``link.mav.xxx_encode(...)``); a failed send marks the link lost."""
        conn = self._conn
        if conn is None:
            raise LinkError("the link is closed. Hint: use the link inside its `with` block.")
        try:
            conn.mav.send(msg)
        except OSError as exc:
            self._mark_lost(f"send failed: {exc}")
            return
        if self._tlog is not None:
            self._tlog.write(msg)

    def _send_heartbeat(self, now: float) -> None:
        from pymavlink import mavutil

        self._last_hb_tx = now
        self.send(self.mav.heartbeat_encode(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0))

    def _mark_lost(self, why: str) -> None:
        if not self._lost:
            self._lost = True
            self.connected = False
            self._event("lost", why)

    def poll(self, timeout_s: float = 0.0) -> list:
        """Messages that arrived, waiting up to ``timeout_s`` for the first (an empty list when none came).

        Returns as soon as something arrived and nothing more is waiting. Also
        sends the ground-station heartbeat when due, detects link loss and reconnects.
        """
        deadline = time.monotonic() + max(0.0, timeout_s)
        out: list = []
        while True:
            now = time.monotonic()
            if now - self._last_hb_tx >= self.heartbeat_interval_s and self._conn is not None:
                self._send_heartbeat(now)
            if now - self._last_rx > self.link_lost_s:
                self._mark_lost(f"no message for {now - self._last_rx:.1f} s")
            if self._lost and now - self._last_reopen >= self.reconnect_interval_s:
                self._reopen()
            msg = None
            if self._conn is not None:
                try:
                    wait = 0.0 if out else min(0.05, max(0.0, deadline - now))
                    msg = self._conn.recv_match(blocking=wait > 0, timeout=wait)
                except (OSError, ConnectionError) as exc:
                    self._mark_lost(f"receive failed: {exc}")
            if msg is not None:
                if msg.get_type() == "BAD_DATA":
                    continue
                self._last_rx = time.monotonic()
                if self._tlog is not None:
                    self._tlog.write(msg)
                if self._lost:
                    self._lost = False
                    self.connected = True
                    self._event("reconnected", f"after {self.reconnects} reopen(s)")
                elif not self.connected:
                    self.connected = True
                    self._event("connected", self.spec.device)
                out.append(msg)
                if len(out) < 500:  # a bounded batch, even on a busy link
                    continue
            if out or time.monotonic() >= deadline:
                return out

    def _reopen(self) -> None:
        with contextlib.suppress(OSError):
            if self._conn is not None:
                self._conn.close()
        self._conn = None
        self.reconnects += 1
        try:
            self._open()
        except LinkError:
            self._last_reopen = time.monotonic()
            return
        self._last_hb_tx = -1e9

    def wait(self, types: Iterable[str] | str, timeout_s: float, condition: Callable | None = None,
             sink: Callable | None = None):
        """The first message of ``types`` (satisfying ``condition``) within ``timeout_s``.

        Every message received meanwhile is given to ``sink`` (e.g. the state
        tracker). Raises :class:`LinkTimeout` naming what was awaited.
        """
        return wait_for(self, types, timeout_s, condition, sink)

    def wait_heartbeat(self, timeout_s: float = 10.0, sink: Callable | None = None):
        """Wait for the autopilot's heartbeat and take its system/component id as the target."""
        return _wait_autopilot_heartbeat(self, timeout_s, sink)


def _wait_autopilot_heartbeat(link, timeout_s: float, sink):
    """The first heartbeat of an autopilot (not a GCS); its system/component ids become the link's target."""
    from pymavlink import mavutil

    hb = wait_for(link, "HEARTBEAT", timeout_s,
                  lambda m: m.autopilot != mavutil.mavlink.MAV_AUTOPILOT_INVALID and m.type != mavutil.mavlink.MAV_TYPE_GCS,
                  sink)
    link.target_system = hb.get_srcSystem()
    link.target_component = hb.get_srcComponent()
    return hb


def wait_for(link, types, timeout_s: float, condition=None, sink=None):
    """Shared implementation of :meth:`MavlinkLink.wait` for any :class:`Link`."""
    wanted = {types} if isinstance(types, str) else set(types)
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LinkTimeout(f"no {'/'.join(sorted(wanted))} within {timeout_s:.1f} s. Hint: check the link and that "
                              "the vehicle is powered; a slow radio may need a longer timeout.")
        batch = link.poll(min(left, 0.2))
        if sink is not None:  # every message reaches the sink, also those after the one awaited
            for m in batch:
                sink(m)
        for m in batch:
            if m.get_type() in wanted and (condition is None or condition(m)):
                return m


class TlogReplayLink:
    """A recorded tlog through the :class:`Link` interface, used as a context manager.

    ``speed`` 0 plays as fast as possible; 1.0 in real time (by the tlog's
    timestamps). Sending is accepted and ignored (a recording cannot answer).
    Corrupt packets are skipped and counted in :attr:`corrupt_packets`.
    """

    def __init__(self, path: str | Path, speed: float = 0.0, *, target_system: int = 1, target_component: int = 1):
        from pymavlink.dialects.v20 import ardupilotmega as mavlink2

        from telemetry.tlog import TlogScan, scan_tlog

        if not speed >= 0:
            raise InputError(f"speed={speed} is out of range: allowed >= 0 (0 = as fast as possible).")
        p = Path(path)
        if not p.is_file():
            raise SarIOError(f"tlog {str(p)!r} does not exist. Hint: check the path.")
        self.path = p
        self.speed = float(speed)
        self.target_system = target_system
        self.target_component = target_component
        self.messages = 0
        self.finished = False
        self._scan = TlogScan()
        self._gen = scan_tlog(p, None, self._scan)
        self._mav = mavlink2.MAVLink(None, srcSystem=GCS_SYSTEM_ID, srcComponent=GCS_COMPONENT_ID)
        self._t0_log: float | None = None
        self._t0_wall = 0.0
        self._pending = None

    @property
    def mav(self):
        return self._mav

    @property
    def corrupt_packets(self) -> int:
        return self._scan.corrupt

    def send(self, msg) -> None:
        """Ignored: a replay cannot answer."""

    def poll(self, timeout_s: float = 0.0) -> list:
        out = []
        deadline = time.monotonic() + max(0.0, timeout_s)
        while not self.finished:
            if self._pending is not None:
                msg, self._pending = self._pending, None
            else:
                nxt = next(self._gen, None)
                if nxt is None:
                    self.finished = True
                    break
                msg = nxt[1]
            if self.speed > 0:
                ts = msg._timestamp
                if self._t0_log is None:
                    self._t0_log, self._t0_wall = ts, time.monotonic()
                due = self._t0_wall + (ts - self._t0_log) / self.speed
                if due > time.monotonic():
                    if out or due > deadline:
                        self._pending = msg
                        if not out:
                            time.sleep(max(0.0, deadline - time.monotonic()))
                        break
                    time.sleep(due - time.monotonic())
            self.messages += 1
            out.append(msg)
            if len(out) >= 1000:
                break
        return out

    def messages_all(self):
        """Iterate every remaining message (as fast as possible)."""
        while True:
            batch = self.poll(0.0)
            if not batch:
                return
            yield from batch

    def wait_heartbeat(self, timeout_s: float = 10.0, sink: Callable | None = None):
        """The recorded autopilot's first heartbeat; its ids become the target (as :meth:`MavlinkLink.wait_heartbeat`)."""
        return _wait_autopilot_heartbeat(self, timeout_s, sink)

    def close(self) -> None:
        self._gen.close()
        self.finished = True

    def __enter__(self) -> TlogReplayLink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
