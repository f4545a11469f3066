"""Optional: thermal-sar missions for pilots' existing dronekit scripts (extra ``dronekit``).

Upstream dronekit 2.9.2 does not import on Python >= 3.10; the maintained
fork ``dronekit2`` (``pip install 'thermal-sar[dronekit]'``) imports as
``dronekit``. Never install both: they are the same import name.

Items become ``dronekit.CommandInt`` (MISSION_ITEM_INT, lat/lon as int
degE7), never ``dronekit.Command``, whose float32 lat/lon moves a waypoint by
up to ~7 cm (tens of cm at some longitudes).
"""

from __future__ import annotations

from geo.errors import SarError

__all__ = ["to_command_ints", "upload_with_dronekit"]


def _dronekit():
    try:
        import dronekit
    except ImportError:
        raise SarError("dronekit is not installed. Hint: pip install 'thermal-sar[dronekit]' (the dronekit2 fork; "
                       "never together with upstream dronekit).") from None
    if not hasattr(dronekit, "CommandInt"):
        raise SarError("the installed dronekit has no CommandInt (upstream 2.9.2?). Hint: use the dronekit2 fork.")
    return dronekit


def to_command_ints(items) -> list:
    """``dronekit.CommandInt`` for each item after home (an item with seq 0 is taken as home and skipped)."""
    dk = _dronekit()
    body = [it for it in items if it.seq != 0]
    return [dk.CommandInt(0, 0, i, it.frame, it.command, 0, it.autocontinue, it.param1, it.param2, it.param3,
                          it.param4, int(it.x), int(it.y), float(it.z)) for i, it in enumerate(body, start=1)]


def upload_with_dronekit(vehicle, items, *, timeout_s: float = 30.0) -> int:
    """Replace the mission of a connected ``dronekit.Vehicle`` with ``items``; returns the items uploaded.

    Verify afterwards with :func:`telemetry.download_mission` / :func:`telemetry.compare_missions`.
    """
    cmds = vehicle.commands
    cmds.download()
    cmds.wait_ready(timeout=timeout_s)
    cmds.clear()
    out = to_command_ints(items)
    for c in out:
        cmds.add(c)
    cmds.upload(timeout=timeout_s)
    return len(out)
