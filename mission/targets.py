"""Search targets and the pixels a detector needs on them.

Sizes are top-down (what a nadir camera sees), in metres, longest edge first.
They are typical values, not measurements of one animal or person: a pilot
can always give a custom :class:`TargetSpec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.errors import InputError, out_of_range

__all__ = ["TargetSpec", "TARGET_PRESETS", "target_preset", "DETECTION_LEVELS_PX", "pixels_for_level"]


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A target seen from above: ``length_m`` (longest edge) by ``width_m``."""

    name: str
    length_m: float
    width_m: float

    def __post_init__(self) -> None:
        for nm in ("length_m", "width_m"):
            v = getattr(self, nm)
            if not (math.isfinite(v) and 0.05 <= v <= 50.0):
                raise InputError(out_of_range(nm, v, "0.05..50 m", "the top-down size of the target in metres; a custom --target is LENGTHxWIDTH, e.g. 1.3x0.6."))
        if self.width_m > self.length_m:
            object.__setattr__(self, "length_m", float(self.width_m))
            object.__setattr__(self, "width_m", float(self.length_m))


# Typical top-down sizes (shoulder width x chest depth for a standing adult;
# body length x width for lying people and animals, head included).
TARGET_PRESETS: dict[str, TargetSpec] = {
    "adult-standing": TargetSpec("adult standing", 0.55, 0.30),
    "adult-lying": TargetSpec("adult lying", 1.75, 0.50),
    "child": TargetSpec("child (about 6 years, lying)", 1.15, 0.35),
    "child-standing": TargetSpec("child standing", 0.35, 0.22),
    "sheep": TargetSpec("sheep", 1.30, 0.60),
    "cow": TargetSpec("cow", 2.50, 0.90),
    "dog": TargetSpec("dog (medium)", 0.90, 0.30),
}

# Pixels along the target's longest edge. "detect" is the 4 px DJI's thermal
# SAR altitude guidance quotes for detection; "recognise" and "identify"
# follow Johnson's criteria (4 and 6.4 line pairs, i.e. 8 and 13 px).
DETECTION_LEVELS_PX: dict[str, float] = {"detect": 4.0, "recognise": 8.0, "identify": 13.0}


def target_preset(name: str) -> TargetSpec:
    """The target preset called ``name`` (see :data:`TARGET_PRESETS`)."""
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    key = {"person": "adult-lying", "adult": "adult-lying", "human": "adult-lying", "cattle": "cow",
           "standing": "adult-standing", "lying": "adult-lying"}.get(key, key)
    if key not in TARGET_PRESETS:
        raise InputError(
            f"target={name!r} is not a known preset; allowed: {', '.join(TARGET_PRESETS)}. "
            "Hint: or give a custom size as LENGTHxWIDTH in metres, e.g. '1.3x0.6'."
        )
    return TARGET_PRESETS[key]


def pixels_for_level(level: str | float) -> float:
    """Pixels along the longest edge for a level name or a number (>= 1)."""
    if isinstance(level, str) and level.strip().lower() in DETECTION_LEVELS_PX:
        return DETECTION_LEVELS_PX[level.strip().lower()]
    try:
        px = float(level)
    except (TypeError, ValueError):
        raise InputError(
            f"pixels={level!r}: allowed a number >= 1 or one of {', '.join(DETECTION_LEVELS_PX)}."
        ) from None
    if not (math.isfinite(px) and 1.0 <= px <= 200.0):
        raise InputError(out_of_range("pixels", px, "1..200 px along the target's longest edge",
                                      "4 px is the usual detection level"))
    return px
