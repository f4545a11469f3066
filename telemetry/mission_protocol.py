"""The MAVLink mission protocol, client side, as ArduPilot really speaks it.

Facts checked against a real ArduCopter SITL build (and mirrored by ``sim.vehicle``):

* ArduPilot answers MISSION_COUNT with the legacy MISSION_REQUEST (id 40),
  not MISSION_REQUEST_INT, yet accepts MISSION_ITEM_INT replies: we always
  answer with MISSION_ITEM_INT (no float32 rounding of lat/lon, ~1 cm kept).
* Item 0 is home and is overwritten by the autopilot: a 4-waypoint mission is
  sent with count 5, item 0 a placeholder home.
* Uploads are not all-or-nothing: items are stored as they arrive, so a
  failed upload leaves a partial mission on the vehicle. The upload raises,
  and the caller must not fly until an upload has been verified.
* The autopilot re-requests an item after 1 s and cancels after 8 s of
  silence; we resend our last message after ``item_timeout_s`` (1.5 s, the
  protocol's default) up to ``max_retries`` times.
* Verification downloads the mission and compares it with what was sent,
  tolerating the autopilot's storage (altitude in centimetres, frames
  normalised, parameters a command does not store come back as 0).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from geo.errors import LinkError, LinkTimeout
from mission.items import MavCmd, MavFrame, MissionItem

__all__ = [
    "UploadReport", "MissionTransferError", "upload_mission", "download_mission", "compare_missions",
    "with_home", "ardupilot_roundtrip", "MISSION_RESULT_NAMES",
]

MISSION_RESULT_NAMES = {
    0: "ACCEPTED", 1: "ERROR", 2: "UNSUPPORTED_FRAME", 3: "UNSUPPORTED", 4: "NO_SPACE", 5: "INVALID",
    6: "INVALID_PARAM1", 7: "INVALID_PARAM2", 8: "INVALID_PARAM3", 9: "INVALID_PARAM4", 10: "INVALID_PARAM5_X",
    11: "INVALID_PARAM6_Y", 12: "INVALID_PARAM7", 13: "INVALID_SEQUENCE", 14: "DENIED", 15: "OPERATION_CANCELLED",
}
_INVALID_SEQUENCE = 13

# Which params (1..4) ArduPilot's AP_Mission keeps for a command, and whether it stores them as integers.
# Others come back as 0. Commands not listed keep all four as floats.
_STORED: dict[int, tuple[tuple[int, ...], bool]] = {
    MavCmd.NAV_WAYPOINT: ((1,), True),  # hold time, whole seconds
    MavCmd.NAV_LOITER_UNLIM: ((), False),
    MavCmd.NAV_LOITER_TURNS: ((1,), True),
    MavCmd.NAV_LOITER_TIME: ((1,), True),
    MavCmd.NAV_RETURN_TO_LAUNCH: ((), False),
    MavCmd.NAV_LAND: ((), False),
    MavCmd.NAV_TAKEOFF: ((), False),
    MavCmd.DO_CHANGE_SPEED: ((1, 2, 3), False),
    MavCmd.DO_SET_CAM_TRIGG_DIST: ((1, 2, 3), False),
    MavCmd.DO_SET_ROI_NONE: ((), False),
    MavCmd.DO_SET_ROI_LOCATION: ((), False),
}
_FRAME_CLASS = {0: 0, 5: 0, 3: 3, 6: 3, 10: 10, 11: 10}


def _frame_class(f: int) -> int:
    return _FRAME_CLASS.get(int(f), int(f))


def _has_position(it: MissionItem) -> bool:
    return it.frame in _FRAME_CLASS and (it.command < 100 or it.command in (MavCmd.DO_SET_ROI_LOCATION, MavCmd.DO_SET_ROI))


def ardupilot_roundtrip(it: MissionItem) -> MissionItem:
    """The item as ArduPilot stores it and gives it back on download.

    Altitude is kept in centimetres, the frame becomes GLOBAL (0), RELATIVE
    (3) or TERRAIN (10), unstored parameters become 0 and whole-second ones
    are truncated.
    """
    stored, as_int = _STORED.get(it.command, ((1, 2, 3, 4), False))
    params = []
    for k in (1, 2, 3, 4):
        v = float(getattr(it, f"param{k}"))
        if k not in stored or math.isnan(v):
            params.append(0.0)
        else:
            params.append(float(int(v)) if as_int else float(v))
    if it.command == MavCmd.NAV_LOITER_TURNS:
        # AP_Mission: turns in the low byte of p1; radius in the high byte, whole metres up to 255 m and in
        # 10 m steps above; its sign (counter-clockwise) in loiter_ccw; param4 > 0 as the xtrack flag.
        r = abs(float(it.param3)) if not math.isnan(it.param3) else 0.0
        r_stored = float(int(r)) if r <= 255 else float(min(255, int(r * 0.1)) * 10)
        params = [float(min(255, int(params[0]))), 0.0, -r_stored if it.param3 < 0 else r_stored,
                  1.0 if it.param4 > 0 else 0.0]
    frame = _frame_class(it.frame) if _has_position(it) else 0
    z = round(it.z * 100.0) / 100.0 if _has_position(it) else float(it.z)
    return replace(it, frame=frame, param1=params[0], param2=params[1], param3=params[2], param4=params[3], z=z,
                   current=0)


def with_home(items, *, home_lat_deg: float = 0.0, home_lon_deg: float = 0.0,
              home_alt_amsl_m: float = 0.0) -> tuple[MissionItem, ...]:
    """Items renumbered 1..N after a home placeholder at seq 0 (the autopilot overwrites it)."""
    home = MissionItem(0, MavCmd.NAV_WAYPOINT, MavFrame.GLOBAL, x=round(home_lat_deg * 1e7),
                       y=round(home_lon_deg * 1e7), z=float(home_alt_amsl_m))
    return (home,) + tuple(it.with_seq(i) for i, it in enumerate(items, start=1))


class MissionTransferError(LinkError):
    """The autopilot refused or cancelled a mission transfer."""


@dataclass(frozen=True, slots=True)
class UploadReport:
    """How an upload went."""

    count: int  # items sent including home
    legacy_requests: int  # MISSION_REQUEST (id 40) answered with MISSION_ITEM_INT
    int_requests: int  # MISSION_REQUEST_INT
    resends: int  # our retries after a timeout
    rerequests: int  # items the vehicle asked for more than once
    duration_s: float


def _from_target(link, m) -> bool:
    return m.get_srcSystem() == link.target_system


def upload_mission(link, items_with_home, *, item_timeout_s: float = 1.5, max_retries: int = 5,
                   mission_type: int = 0, sink=None) -> UploadReport:
    """Upload items (seq 0 = home placeholder, see :func:`with_home`) to the vehicle.

    Raises :class:`MissionTransferError` when the vehicle refuses (with its
    MAV_MISSION_RESULT) and :class:`LinkTimeout` when it stops answering; in
    both cases the vehicle may hold a partial mission.
    """
    items = tuple(items_with_home)
    n = len(items)
    for i, it in enumerate(items):
        if it.seq != i:
            raise LinkError(f"mission item {i} has seq={it.seq}: items must be numbered 0..N-1 with home at 0. "
                            "Hint: build them with telemetry.with_home(items).")
    mav = link.mav
    t0 = time.monotonic()
    last = mav.mission_count_encode(link.target_system, link.target_component, n, mission_type)
    link.send(last)
    legacy = ints = resends = rereq = 0
    requested: set[int] = set()
    deadline = time.monotonic() + item_timeout_s
    retries = 0
    while True:
        if time.monotonic() > deadline:
            if retries >= max_retries:
                got = max(requested) if requested else -1
                raise LinkTimeout(
                    f"mission upload stalled after item {got} of {n - 1}: no answer in {item_timeout_s:.1f} s after "
                    f"{max_retries} retries. The vehicle may now hold a PARTIAL mission; do not fly it. "
                    "Hint: check the link and upload again."
                )
            link.send(last)
            resends += 1
            retries += 1
            deadline = time.monotonic() + item_timeout_s
        batch = link.poll(0.05)
        if sink is not None:  # every message reaches the sink, also those after the ACK
            for m in batch:
                sink(m)
        for m in batch:
            typ = m.get_type()
            if not _from_target(link, m):
                continue
            if typ in ("MISSION_REQUEST", "MISSION_REQUEST_INT"):
                if getattr(m, "mission_type", 0) != mission_type:
                    continue
                seq = int(m.seq)
                if not 0 <= seq < n:
                    raise MissionTransferError(f"the vehicle requested item {seq} of a {n}-item upload. Hint: another "
                                               "ground station may be uploading at the same time.")
                if typ == "MISSION_REQUEST":
                    legacy += 1
                else:
                    ints += 1
                if seq in requested:
                    rereq += 1
                requested.add(seq)
                it = items[seq]
                last = mav.mission_item_int_encode(
                    link.target_system, link.target_component, seq, it.frame, it.command, 0, it.autocontinue,
                    it.param1, it.param2, it.param3, it.param4, it.x, it.y, float(it.z), mission_type)
                link.send(last)
                retries = 0
                deadline = time.monotonic() + item_timeout_s
            elif typ == "MISSION_ACK" and getattr(m, "mission_type", 0) == mission_type:
                res = int(m.type)
                if res == 0 and (n == 0 or n - 1 in requested):
                    return UploadReport(n, legacy, ints, resends, rereq, time.monotonic() - t0)
                if res == _INVALID_SEQUENCE:
                    continue  # a NACK of a late duplicate: the vehicle keeps receiving, wait for its request
                if res == 0:
                    continue  # an ACK of an earlier transfer
                raise MissionTransferError(
                    f"the vehicle refused the mission upload with {MISSION_RESULT_NAMES.get(res, res)} after "
                    f"{len(requested)} of {n} items. The vehicle may now hold a PARTIAL mission; do not fly it. "
                    "Hint: check the items' frames and commands, then upload again."
                )


def download_mission(link, *, item_timeout_s: float = 1.5, max_retries: int = 5, mission_type: int = 0,
                     sink=None) -> tuple[MissionItem, ...]:
    """Download the vehicle's mission (home at seq 0 included) with MISSION_REQUEST_INT."""
    mav = link.mav

    def request(make, accept, what):
        link.send(make())
        for _attempt in range(max_retries + 1):
            deadline = time.monotonic() + item_timeout_s
            while time.monotonic() < deadline:
                batch = link.poll(0.05)
                if sink is not None:
                    for m in batch:
                        sink(m)
                for m in batch:
                    if not _from_target(link, m):
                        continue
                    if m.get_type() == "MISSION_ACK" and int(m.type) not in (0,):
                        raise MissionTransferError(f"the vehicle refused the mission download ({what}) with "
                                                   f"{MISSION_RESULT_NAMES.get(int(m.type), m.type)}. Hint: wait "
                                                   "for an upload in progress to finish.")
                    r = accept(m)
                    if r is not None:
                        return r
            link.send(make())
        raise LinkTimeout(f"mission download: no answer to {what} after {max_retries} retries. Hint: check the link.")

    count = request(lambda: mav.mission_request_list_encode(link.target_system, link.target_component, mission_type),
                    lambda m: int(m.count) if m.get_type() == "MISSION_COUNT" else None, "MISSION_REQUEST_LIST")
    out = []
    for seq in range(count):
        def accept(m, seq=seq):
            if m.get_type() == "MISSION_ITEM_INT" and m.seq == seq:
                return MissionItem(seq, m.command, m.frame, m.param1, m.param2, m.param3, m.param4, m.x, m.y, m.z,
                                   m.current, m.autocontinue, getattr(m, "mission_type", 0))
            if m.get_type() == "MISSION_ITEM" and m.seq == seq:
                return MissionItem(seq, m.command, m.frame, m.param1, m.param2, m.param3, m.param4,
                                   round(m.x * 1e7), round(m.y * 1e7), m.z, m.current, m.autocontinue)
            return None

        out.append(request(lambda seq=seq: mav.mission_request_int_encode(link.target_system, link.target_component,
                                                                          seq, mission_type),
                           accept, f"MISSION_REQUEST_INT {seq}"))
    link.send(mav.mission_ack_encode(link.target_system, link.target_component, 0, mission_type))
    return tuple(out)


def compare_missions(sent, received, *, alt_tol_m: float = 0.011, latlon_tol_e7: int = 1) -> tuple[str, ...]:
    """Differences between what was uploaded and what came back (empty: verified).

    Item 0 (home, overwritten by the autopilot) is not compared. Tolerances
    follow ArduPilot's storage (:func:`ardupilot_roundtrip`).
    """
    a = tuple(sent)
    b = tuple(received)
    out = []
    if len(a) != len(b):
        out.append(f"the vehicle holds {len(b)} items, {len(a)} were sent")
    for x, y in zip(a[1:], b[1:]):
        e = ardupilot_roundtrip(x)
        if e.command != y.command:
            out.append(f"item {x.seq}: command {y.command} on the vehicle, {x.command} sent")
            continue
        if _has_position(x):
            if _frame_class(y.frame) != e.frame:
                out.append(f"item {x.seq}: frame {y.frame} on the vehicle, {x.frame} sent")
            if abs(y.x - e.x) > latlon_tol_e7 or abs(y.y - e.y) > latlon_tol_e7:
                out.append(f"item {x.seq}: position {y.x / 1e7:.7f},{y.y / 1e7:.7f} on the vehicle, "
                           f"{e.x / 1e7:.7f},{e.y / 1e7:.7f} sent")
            if abs(y.z - e.z) > alt_tol_m:
                out.append(f"item {x.seq}: altitude {y.z:.2f} m on the vehicle, {x.z:.2f} m sent")
        for k in (1, 2, 3, 4) if x.command in _STORED else ():  # unknown storage: params not compared
            pe, py = getattr(e, f"param{k}"), getattr(y, f"param{k}")
            if abs(pe - py) > 1e-3 * max(1.0, abs(pe)):
                out.append(f"item {x.seq}: param{k} {py:g} on the vehicle, {pe:g} sent")
    return tuple(out)
