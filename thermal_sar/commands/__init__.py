"""One module per CLI command (imported lazily by :mod:`thermal_sar.cli`)."""
