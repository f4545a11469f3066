"""The public surface of telemetry (httpx's test_exported_members pattern)."""

from __future__ import annotations

import telemetry


def test_every_exported_name_exists_and_nothing_private_leaks():
    for name in telemetry.__all__:
        assert hasattr(telemetry, name), name
        assert not name.startswith("_")
    assert len(set(telemetry.__all__)) == len(telemetry.__all__)


def test_errors_come_from_the_one_root():
    from geo.errors import LinkError, SarError

    assert issubclass(telemetry.MissionTransferError, LinkError)
    assert issubclass(telemetry.CommandError, SarError) and issubclass(telemetry.CommandError, OSError)
