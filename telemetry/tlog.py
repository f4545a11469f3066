"""The .tlog file format: 8-byte big-endian microseconds since the epoch, then one MAVLink packet.

A fast, robust framer: packets are framed from their headers, CRC-checked
with the dialect's CRC_EXTRA (``fastcrc``, as pymavlink uses), and only the
message types asked for are decoded (decoding is most of pymavlink's cost).
After garbage, the framer scans forward to the next packet start whose
timestamp is plausible (within 3 days of the last good one, as pymavlink's
own tlog reader does). Every packet is parsed as MAVLink 2 (which includes
MAVLink 1), independent of pymavlink's process-wide state.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import SarIOError

__all__ = ["TlogScan", "scan_tlog"]

_V1, _V2 = 0xFE, 0xFD
_MAX_GAP_S = 3 * 24 * 3600.0


@dataclass
class TlogScan:
    """Counters of a scan (filled while iterating :func:`scan_tlog`)."""

    packets: int = 0
    corrupt: int = 0  # framed packets failing their CRC or decoding
    garbage_runs: int = 0  # stretches of bytes that frame no packet (skipped to the next plausible one)
    garbage_bytes: int = 0
    unknown_ids: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)


def scan_tlog(path: str | Path, wanted: set[str] | frozenset[str] | None = None, scan: TlogScan | None = None):
    """Yield ``(timestamp_s, message)`` for messages whose type is in ``wanted`` (all when None).

    Counters go to ``scan`` (a :class:`TlogScan`): every good packet is
    counted by type, corrupt packets and unknown ids are counted, nothing stops the scan.
    """
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    try:
        from fastcrc import crc16

        crc_fn = crc16.mcrf4xx
    except ImportError:  # pragma: no cover - fastcrc is a pymavlink dependency
        from pymavlink.generator.mavcrc import x25crc

        def crc_fn(b, init=0xFFFF):
            c = x25crc()
            c.crc = init
            c.accumulate(b)
            return c.crc

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SarIOError(f"cannot read tlog {str(p)!r}: {exc.strerror or exc}") from None
    st = scan if scan is not None else TlogScan()
    mav = mavlink2.MAVLink(None, srcSystem=255, srcComponent=0)
    mmap = mavlink2.mavlink_map
    names = {k: v.msgname for k, v in mmap.items()}
    want_ids = None if wanted is None else {k for k, v in names.items() if v in wanted}
    n = len(data)
    pos = 0
    last_t = None
    unpack_ts = struct.Struct(">Q").unpack_from
    while pos + 8 + 8 <= n:
        (tusec,) = unpack_ts(data, pos)
        t = tusec * 1e-6
        magic = data[pos + 8]
        ok_t = last_t is None or abs(t - last_t) <= _MAX_GAP_S
        if magic not in (_V1, _V2) or not ok_t:
            # Garbage: find the next plausible (timestamp, magic) pair.
            start = pos
            pos += 1
            while pos + 9 <= n:
                m = data[pos + 8]
                if m in (_V1, _V2):
                    (tu,) = unpack_ts(data, pos)
                    if last_t is None or abs(tu * 1e-6 - last_t) <= _MAX_GAP_S:
                        break
                pos += 1
            st.garbage_bytes += pos - start
            st.garbage_runs += 1
            continue
        b = pos + 8
        if magic == _V2:
            if b + 10 > n:
                break
            plen = data[b + 1]
            sig = 13 if data[b + 2] & 0x01 else 0
            msgid = data[b + 7] | (data[b + 8] << 8) | (data[b + 9] << 16)
            total = 10 + plen + 2 + sig
            crc_end = b + 10 + plen
        else:
            plen = data[b + 1]
            msgid = data[b + 5]
            total = 6 + plen + 2
            crc_end = b + 6 + plen
            sig = 0
        if b + total > n:  # a packet cut off at the end of the file
            st.garbage_bytes += n - pos
            st.garbage_runs += 1
            break
        pos = b + total
        cls = mmap.get(msgid)
        if cls is None:
            st.unknown_ids[msgid] += 1
            st.packets += 1
            last_t = t
            continue
        crc = data[crc_end] | (data[crc_end + 1] << 8)
        if crc_fn(data[b + 1:crc_end] + bytes((cls.crc_extra,)), 0xFFFF) != crc:
            st.corrupt += 1
            continue
        st.packets += 1
        last_t = t
        st.counts[names[msgid]] += 1
        if want_ids is not None and msgid not in want_ids:
            continue
        try:
            msg = mav.decode(bytearray(data[b:b + total]))
        except Exception:  # pymavlink raises MAVError and struct.error on malformed payloads
            st.corrupt += 1
            st.counts[names[msgid]] -= 1
            continue
        msg._timestamp = t
        yield t, msg
