"""The public surface of sim, and the palette module's independence (vision may reuse it)."""

from __future__ import annotations

import ast
from pathlib import Path

import sim


def test_exported_members_exist():
    for name in sim.__all__:
        assert hasattr(sim, name), name
    assert sim.CLASS_NAMES == ("person", "sheep", "cow", "dog")


def test_palettes_module_uses_only_geo_and_vision():
    src = Path(sim.__file__).with_name("palettes.py").read_text(encoding="utf-8")
    mods = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module.split(".")[0])
    # The ironbow ramp is vision's own (one table for rendering and for reading videos back).
    assert mods <= {"__future__", "numpy", "geo", "vision"}, mods
