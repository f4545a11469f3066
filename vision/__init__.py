"""vision package of thermal-sar (see README)."""

__all__: list[str] = []
