"""sim: a synthetic thermal world with ground truth.

Scenarios (small YAML files) become :class:`Scene` objects: terrain from
:mod:`geo`, procedural land cover, a background temperature field from the
date, time, weather and sun, and warm bodies (people, sheep, cows, dogs) and
decoys (fires, engines, chimneys, warm rocks and roads). :func:`render_frame`
renders what a thermal camera at a pose reports (radiometric C, 16-bit counts,
8-bit AGC video in palettes) with exact per-target ground truth;
:func:`write_dataset` writes YOLO and COCO datasets.

>>> import sim, geo
>>> scene = sim.load_scenario("sheep")                         # doctest: +SKIP
>>> pose = sim.pose_above(scene, *scene.target_positions_latlon[0], agl_m=80)  # doctest: +SKIP
>>> frame = sim.render_frame(scene, "m30t", pose, seed=1)       # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from sim.bodies import CLASS_NAMES, DECOY_KINDS, TARGET_KINDS
from sim.dataset import DatasetResult, sample_survey_poses, write_dataset
from sim.palettes import PALETTES, colorize, palette_lut, to_scalar
from sim.physics import COVER_NAMES
from sim.posing import pose_above
from sim.render import MIN_VISIBLE_FRACTION, DecoyTruth, RenderedFrame, TargetTruth, render_frame
from sim.scenario import ScenarioSpec, parse_scenario, read_scenario, scenario_names
from sim.scene import Scene, SceneDecoy, SceneTarget, build_scene
from sim.sensor import COUNTS_PER_K, SensorModel, celsius_from_counts, counts_from_celsius
from sim.sitl import Sitl, SitlConfig, SitlError
from sim.vehicle import SimVehicle
from sim.vehicle_model import VehicleConfig

__all__ = [
    "load_scenario", "scenario_names", "read_scenario", "parse_scenario", "ScenarioSpec", "build_scene",
    "Scene", "SceneTarget", "SceneDecoy", "render_frame", "RenderedFrame", "TargetTruth", "DecoyTruth",
    "MIN_VISIBLE_FRACTION", "SensorModel", "COUNTS_PER_K", "counts_from_celsius", "celsius_from_counts",
    "PALETTES", "palette_lut", "colorize", "to_scalar", "CLASS_NAMES", "TARGET_KINDS", "DECOY_KINDS",
    "COVER_NAMES", "pose_above", "sample_survey_poses", "write_dataset", "DatasetResult",
    "SimVehicle", "VehicleConfig", "Sitl", "SitlConfig", "SitlError",
]


def load_scenario(name_or_path: str | Path, terrain=None) -> Scene:
    """Read a bundled scenario by name (see :func:`scenario_names`) or a YAML file, and build its scene.

    ``terrain`` (a :class:`geo.Terrain`) replaces the scenario's terrain; by
    default the embedded synthetic mountain is used.
    """
    return build_scene(read_scenario(name_or_path), terrain)
