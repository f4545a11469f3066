"""One place that opens pymavlink connections, always parsing MAVLink 2.

pymavlink picks its parser from a process-wide setting: it starts with the
MAVLink 1 dialect and switches the whole process (``os.environ["MAVLINK20"]``)
to MAVLink 2 the first time any connection sees a MAVLink 2 packet. The same
log would then read differently depending on what ran before (message id
11030 is unknown to the MAVLink 1 dialect and known to the MAVLink 2 one). We
give every connection its own MAVLink 2 parser (which also reads MAVLink 1
packets), so results never depend on history.
"""

from __future__ import annotations

import contextlib
import io


def open_connection(device: str, **kw):
    """``mavutil.mavlink_connection`` with a private MAVLink 2 parser (robust parsing on)."""
    from pymavlink import mavutil
    from pymavlink.dialects.v20 import ardupilotmega as mavlink2

    kw.setdefault("dialect", "ardupilotmega")
    with contextlib.redirect_stdout(io.StringIO()):
        conn = mavutil.mavlink_connection(device, **kw)
    if isinstance(getattr(conn, "mav", None), mavlink2.MAVLink):
        conn.mav.robust_parsing = True
        return conn
    if not hasattr(conn, "WIRE_PROTOCOL_VERSION"):  # DataFlash readers have no MAVLink parser
        return conn
    old = conn.mav
    new = mavlink2.MAVLink(conn, srcSystem=old.srcSystem, srcComponent=old.srcComponent, use_native=False)
    new.robust_parsing = True
    if old.callback is not None:
        new.set_callback(old.callback, *(old.callback_args or ()), **(old.callback_kwargs or {}))
    if old.send_callback is not None:
        new.set_send_callback(old.send_callback, *(old.send_callback_args or ()), **(old.send_callback_kwargs or {}))
    conn.mav = new
    conn.WIRE_PROTOCOL_VERSION = "2.0"
    conn.first_byte = False
    return conn
