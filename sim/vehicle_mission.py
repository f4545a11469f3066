"""The mission protocol, vehicle side, as ArduPilot implements it (GCS_MAVLink/MissionItemProtocol.cpp).

Used by :mod:`sim.vehicle`. Quirks kept on purpose, because real ArduCopter has them:

* MISSION_COUNT is answered with the legacy MISSION_REQUEST (id 40), and
  both MISSION_ITEM and MISSION_ITEM_INT replies are accepted;
* item 0 is home: whatever is sent there is replaced by the vehicle's home;
* items are stored as they arrive (the stored mission is truncated to the
  announced count first), so a failed upload leaves a partial mission;
* an item with the wrong seq is NACKed with INVALID_SEQUENCE and the upload
  goes on; the vehicle re-requests after 1 s and cancels after 8 s of silence;
* download: MISSION_REQUEST_INT gets MISSION_ITEM_INT, MISSION_REQUEST gets MISSION_ITEM.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from mission.items import MissionItem
from telemetry.mission_protocol import ardupilot_roundtrip

__all__ = ["MissionServer", "SUPPORTED_COMMANDS", "SUPPORTED_FRAMES"]

# Commands AP_Mission stores (it stores for every vehicle; Copter skips the ones it cannot fly at run time).
SUPPORTED_COMMANDS = frozenset({16, 17, 18, 19, 20, 21, 22, 30, 31, 82, 83, 84, 85, 92, 93, 94, 112, 113, 114, 115,
                                177, 178, 179, 180, 181, 182, 183, 184, 189, 191, 194, 195, 197, 200, 201, 202, 203,
                                204, 205, 206, 207, 208, 209, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221,
                                222, 223, 1000, 2000, 2001, 2500, 2501, 3000, 42004, 42006, 42600})
SUPPORTED_FRAMES = frozenset({0, 2, 3, 5, 6, 10, 11})
_ACCEPTED, _ERROR, _UNSUPPORTED_FRAME, _UNSUPPORTED, _NO_SPACE = 0, 1, 2, 3, 4
_INVALID_SEQUENCE, _DENIED, _CANCELLED = 13, 14, 15

RE_REQUEST_S = 1.0
UPLOAD_TIMEOUT_S = 8.0


@dataclass
class MissionServer:
    """Mission storage and the upload/download state machine; ``send(kind, **fields)`` emits messages.

    ``drop_items`` (test hook) lists item seqs whose FIRST arrival is ignored,
    as a lossy radio would lose them; ``refuse_seq`` makes the vehicle refuse
    that item with ERROR (a partial upload).
    """

    send: object
    max_items: int = 700
    items: list[MissionItem] = field(default_factory=list)
    receiving: bool = False
    request_i: int = 0
    request_last: int = -1
    last_rx_s: float = 0.0
    last_req_s: float = 0.0
    dest: tuple[int, int] = (0, 0)
    drop_items: set[int] = field(default_factory=set)
    refuse_seq: int | None = None
    legacy_requests_sent: int = 0
    changed: int = 0  # bumped on every completed upload
    home: MissionItem | None = None

    def _ack(self, result: int, dest=None) -> None:
        d = dest or self.dest
        self.send("mission_ack", target_system=d[0], target_component=d[1], type=result, mission_type=0)

    def _request(self, now_s: float) -> None:
        self.last_req_s = now_s
        self.legacy_requests_sent += 1
        self.send("mission_request", target_system=self.dest[0], target_component=self.dest[1], seq=self.request_i,
                  mission_type=0)

    def handle(self, msg, now_s: float) -> None:
        typ = msg.get_type()
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        if getattr(msg, "mission_type", 0) != 0 and typ.startswith("MISSION_"):
            self.send("mission_ack", target_system=src[0], target_component=src[1], type=_UNSUPPORTED,
                      mission_type=msg.mission_type)
            return
        if typ == "MISSION_COUNT":
            if self.receiving and src != self.dest:
                self._ack(_DENIED, src)
                return
            if msg.count > self.max_items:
                self._ack(_NO_SPACE, src)
                return
            del self.items[msg.count:]  # AP_Mission::truncate
            self.dest = src
            if msg.count == 0:
                self._ack(_ACCEPTED)
                self.changed += 1
                return
            self.receiving = True
            self.request_i = 0
            self.request_last = msg.count - 1
            self.last_rx_s = now_s
            self._request(now_s)
        elif typ in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            if not self.receiving:
                return
            if msg.seq != self.request_i:
                self._ack(_INVALID_SEQUENCE, src)
                return
            if src != self.dest:
                self._ack(_DENIED, src)
                return
            if msg.seq in self.drop_items:
                self.drop_items.discard(msg.seq)
                return
            if typ == "MISSION_ITEM_INT":
                it = MissionItem(msg.seq, msg.command, msg.frame, msg.param1, msg.param2, msg.param3, msg.param4,
                                 msg.x, msg.y, msg.z)
            else:
                it = MissionItem(msg.seq, msg.command, msg.frame, msg.param1, msg.param2, msg.param3, msg.param4,
                                 round(msg.x * 1e7), round(msg.y * 1e7), msg.z)
            result = _ACCEPTED
            if it.command not in SUPPORTED_COMMANDS:
                result = _UNSUPPORTED
            elif it.frame not in SUPPORTED_FRAMES:
                result = _UNSUPPORTED_FRAME
            elif self.refuse_seq is not None and it.seq == self.refuse_seq:
                result = _ERROR
            if result != _ACCEPTED:
                self._ack(result)
                self.receiving = False
                return
            stored = ardupilot_roundtrip(it)
            if it.seq == 0 and self.home is not None:
                stored = self.home  # item 0 is home: the autopilot keeps its own
            if it.seq < len(self.items):
                self.items[it.seq] = stored
            elif it.seq == len(self.items):
                self.items.append(stored)
            else:
                self._ack(_ERROR)
                self.receiving = False
                return
            self.last_rx_s = now_s
            self.request_i += 1
            if self.request_i > self.request_last:
                self.receiving = False
                self.changed += 1
                self._ack(_ACCEPTED)
                return
            self._request(now_s)
        elif typ == "MISSION_REQUEST_LIST":
            if self.receiving:
                self._ack(_DENIED, src)
                return
            self.send("mission_count", target_system=src[0], target_component=src[1], count=len(self.items),
                      mission_type=0)
        elif typ in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            if self.receiving:
                self._ack(_DENIED, src)
                return
            if not 0 <= msg.seq < len(self.items):
                self._ack(_INVALID_SEQUENCE, src)
                return
            it = self.items[msg.seq]
            common = dict(target_system=src[0], target_component=src[1], seq=it.seq, frame=it.frame,
                          command=it.command, current=0, autocontinue=it.autocontinue, param1=it.param1,
                          param2=it.param2, param3=it.param3, param4=it.param4, z=float(it.z), mission_type=0)
            if typ == "MISSION_REQUEST_INT":
                self.send("mission_item_int", x=it.x, y=it.y, **common)
            else:
                self.send("mission_item", x=it.x / 1e7, y=it.y / 1e7, **common)
        elif typ == "MISSION_CLEAR_ALL":
            ok = not self.receiving
            if ok:
                del self.items[1:]
                self.changed += 1
            self._ack(_ACCEPTED if ok else _ERROR, src)
        elif typ == "MISSION_ACK":
            pass

    def update(self, now_s: float) -> None:
        """Re-request or cancel a stalled upload (call every step)."""
        if not self.receiving:
            return
        if now_s - self.last_rx_s > UPLOAD_TIMEOUT_S:
            self.receiving = False
            self._ack(_CANCELLED)
            return
        if now_s - self.last_req_s > RE_REQUEST_S:
            self._request(now_s)

    def set_home(self, home: MissionItem) -> None:
        self.home = replace(home, seq=0)
        if self.items:
            self.items[0] = self.home
        else:
            self.items.append(self.home)
