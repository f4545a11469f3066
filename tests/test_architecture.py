"""The design card's arrows, checked on every import in the packages (lazy ones inside functions too).

geo <- mission, vision, telemetry <- maps <- thermal_sar; telemetry may use mission's item types and
vision's detection type; sim may use them all; nothing but tests and thermal_sar imports sim.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"geo", "mission", "vision", "telemetry", "maps", "sim", "thermal_sar"}
ALLOWED = {
    "geo": set(),
    "mission": {"geo"},
    "vision": {"geo"},
    "telemetry": {"geo", "mission", "vision"},
    "maps": {"geo", "mission", "vision", "telemetry"},
    "sim": {"geo", "mission", "vision", "telemetry", "maps"},
    "thermal_sar": OURS - {"thermal_sar"},
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_follow_the_arrows(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    wrong = {}
    for f in files:
        bad = _imports(f) - ALLOWED[package] - {package}
        if bad:
            wrong[str(f.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


def test_the_check_sees_lazy_and_dotted_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import numpy\nfrom .x import y\n\ndef f():\n    import sim.vehicle\n    from telemetry.logs import read_log\n")
    assert _imports(f) == {"sim", "telemetry"}
