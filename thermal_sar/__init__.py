"""thermal_sar: the application that wires geo, mission, vision, telemetry, maps and sim together."""

__all__: list[str] = []
