"""Warm bodies of the synthetic world: targets (people, animals) and decoys.

A body is a few ellipsoids in its own frame (``fwd`` along the heading, ``left``,
``up`` from the ground), each with a surface temperature. Seen from a drone,
an ellipsoid's image is an ellipse (exactly, under the local affine
projection), which gives a top-down silhouette at nadir and a side-on one at
oblique views. Sizes are typical adult/animal dimensions; temperatures follow
:func:`sim.physics.layer_temperature_c` (skin, clothing, fleece, fur) or are
absolute for fires and engines.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.physics import SKIN_C, layer_temperature_c

__all__ = ["Part", "TARGET_KINDS", "DECOY_KINDS", "CLASS_NAMES", "target_parts", "decoy_parts"]

# Dataset classes, in this order (person stays 0 so HIT-UAV "Person" merges).
CLASS_NAMES: tuple[str, ...] = ("person", "sheep", "cow", "dog")


@dataclass(frozen=True, slots=True)
class Part:
    """One ellipsoid: centre and semi-axes in metres (body frame), surface temperature in C."""

    fwd_m: float
    left_m: float
    up_m: float
    semi_fwd_m: float
    semi_left_m: float
    semi_up_m: float
    temperature_c: float


# kind -> (class name, [(fwd, left, up, a, b, c, rule, value)]); rule "layer": coupling to
# skin; "abs": absolute C; "air": air + value.
_TARGETS: dict[str, tuple[str, list[tuple]]] = {
    # 1.75 m adult standing: legs, torso in a jacket, bare face/head.
    "adult_standing": ("person", [
        (0.0, 0.0, 0.48, 0.12, 0.18, 0.46, "layer", 0.35),
        (0.0, 0.0, 1.22, 0.14, 0.24, 0.32, "layer", 0.45),
        (0.0, 0.0, 1.63, 0.10, 0.08, 0.12, "layer", 0.85),
    ]),
    # adult lying on the ground, head towards the heading.
    "adult_lying": ("person", [
        (-0.55, 0.0, 0.10, 0.45, 0.17, 0.09, "layer", 0.35),
        (0.20, 0.0, 0.14, 0.35, 0.24, 0.12, "layer", 0.45),
        (0.72, 0.0, 0.12, 0.11, 0.09, 0.09, "layer", 0.85),
    ]),
    # 7-year-old, about 1.22 m.
    "child": ("person", [
        (0.0, 0.0, 0.33, 0.09, 0.13, 0.32, "layer", 0.40),
        (0.0, 0.0, 0.85, 0.10, 0.17, 0.22, "layer", 0.50),
        (0.0, 0.0, 1.13, 0.085, 0.07, 0.10, "layer", 0.85),
    ]),
    "child_lying": ("person", [
        (-0.38, 0.0, 0.08, 0.30, 0.12, 0.07, "layer", 0.40),
        (0.12, 0.0, 0.10, 0.24, 0.17, 0.09, "layer", 0.50),
        (0.50, 0.0, 0.09, 0.09, 0.075, 0.075, "layer", 0.85),
    ]),
    # Sheep: fleece back couples weakly to the body (cool), face and ears near skin.
    "sheep": ("sheep", [
        (0.0, 0.0, 0.62, 0.58, 0.27, 0.25, "layer", 0.30),
        (0.68, 0.0, 0.72, 0.14, 0.07, 0.10, "layer", 0.80),
    ]),
    # Cow: short coat, large body.
    "cow": ("cow", [
        (0.0, 0.0, 1.05, 1.05, 0.33, 0.35, "layer", 0.60),
        (1.25, 0.0, 1.05, 0.26, 0.13, 0.15, "layer", 0.70),
    ]),
    # Medium dog.
    "dog": ("dog", [
        (0.0, 0.0, 0.45, 0.36, 0.12, 0.13, "layer", 0.55),
        (0.44, 0.0, 0.56, 0.10, 0.07, 0.08, "layer", 0.75),
    ]),
}

_DECOYS: dict[str, list[tuple]] = {
    # Boulder: its temperature comes from rock physics (solar), passed as ``base_c``.
    "rock": [(0.0, 0.0, 0.35, 0.8, 0.6, 0.4, "base", 0.0)],
    # Parked car: body near air (metal, low emissivity), bonnet over a warm engine.
    "car_engine": [
        (0.0, 0.0, 0.70, 2.10, 0.85, 0.70, "air", 2.0),
        (1.45, 0.0, 0.92, 0.55, 0.72, 0.12, "abs", 55.0),
    ],
    # Campfire: embers and a warm ring of stones/ground.
    "campfire": [
        (0.0, 0.0, 0.02, 1.1, 1.1, 0.03, "air", 25.0),
        (0.0, 0.0, 0.12, 0.35, 0.35, 0.14, "abs", 420.0),
    ],
    # Chimney on a roof (top 7 m above ground).
    "chimney": [(0.0, 0.0, 7.0, 0.30, 0.30, 0.45, "abs", 75.0)],
    # Warm water outlet: a plume on the water surface along the heading.
    "warm_water_outlet": [(2.0, 0.0, 0.0, 2.5, 0.6, 0.02, "abs", 29.0)],
}

TARGET_KINDS: tuple[str, ...] = tuple(_TARGETS)
DECOY_KINDS: tuple[str, ...] = tuple(_DECOYS)


# Sun on a body: clothing, fleece and fur absorb and hold it near the surface (they warm by about
# 0.010 C per W/m2, ~7 C in full summer sun, as measured on clothed people and livestock); perfused
# skin carries it away (0.004 C per W/m2).
SOLAR_GAIN_INSULATED_C_PER_W_M2 = 0.010
SOLAR_GAIN_SKIN_C_PER_W_M2 = 0.004


def target_parts(kind: str, air_c: float, *, skin_c: float = SKIN_C,
                 solar_w_m2: float = 0.0) -> tuple[str, tuple[Part, ...]]:
    """``(class_name, parts)`` of a target ``kind`` in air at ``air_c`` under ``solar_w_m2`` of (lagged) sun."""
    cls, spec = _TARGETS[kind]
    parts = []
    for f, l, u, a, b, c, rule, v in spec:
        t = layer_temperature_c(air_c, v, skin_c) if rule == "layer" else (v if rule == "abs" else air_c + v)
        if rule == "layer":
            gain = SOLAR_GAIN_SKIN_C_PER_W_M2 if v >= 0.8 else SOLAR_GAIN_INSULATED_C_PER_W_M2
            t += gain * max(0.0, solar_w_m2)
        parts.append(Part(f, l, u, a, b, c, float(t)))
    return cls, tuple(parts)


def decoy_parts(kind: str, air_c: float, base_c: float, *, temperature_c: float | None = None,
                scale: float = 1.0) -> tuple[Part, ...]:
    """Parts of decoy ``kind``; ``temperature_c`` overrides the hottest part, ``scale`` sizes it."""
    spec = _DECOYS[kind]
    parts = []
    hottest = max(range(len(spec)), key=lambda i: (spec[i][6] == "abs", spec[i][7]))
    for i, (f, l, u, a, b, c, rule, v) in enumerate(spec):
        t = base_c if rule == "base" else (v if rule == "abs" else air_c + v)
        if temperature_c is not None and i == hottest:
            t = temperature_c
        parts.append(Part(f * scale, l * scale, u if kind == "chimney" else u * scale, a * scale, b * scale,
                          c * scale, float(t)))
    return tuple(parts)
