"""The demo job on the embedded default world (no files, no network)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.errors import SarIOError
from geo.terrain import synthetic_mountain
from thermal_sar.terrain_report import terrain_summary, write_hillshade_png

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    files: tuple[Path, ...]
    summary: str


def run_demo(out_dir: Path, *, seed: int = 7) -> DemoResult:
    """Generate the synthetic mountain, write its hillshade PNG and a summary text file."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SarIOError(f"cannot create output folder {str(out_dir)!r}: {exc.strerror or exc}.") from None
    terrain = synthetic_mountain(seed=seed)
    png = write_hillshade_png(terrain, out_dir / "terrain_hillshade.png")
    summary = "thermal-sar demo: embedded terrain\n" + terrain_summary(terrain)
    txt = out_dir / "summary.txt"
    txt.write_text(summary + "\n", encoding="utf-8")
    return DemoResult(out_dir, (png, txt), summary + f"\nwrote {png} and {txt}")
