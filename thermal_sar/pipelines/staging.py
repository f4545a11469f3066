"""Outputs written all or nothing: made in hidden folders beside their destinations, moved in together.

A command that writes several files (a plan in three formats, a rendered frame with its counts and
truth, a replay's products) must not leave some new and some old when one of them fails: each file is
first made in a staging folder inside its destination folder (the same file system, so the final move
is a rename), and only when every one was made are they moved into place. On any failure the staging
folders are removed and the files already there are untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from geo.errors import SarIOError

__all__ = ["Staging"]

NOTHING_WRITTEN = "no output was written, and nothing was written over the files already there"


class Staging:
    """Use as ``with Staging() as st:``; write into ``st.folder(dest_dir)`` (or ``st.path(dest)``), then
    ``st.commit()``. Leaving the block removes what was staged and not committed."""

    def __init__(self) -> None:
        self._stages: dict[Path, Path] = {}  # destination folder -> its staging folder

    def folder(self, dest_dir: str | os.PathLike) -> Path:
        """The staging folder for files of ``dest_dir`` (made, with ``dest_dir``, on first use)."""
        dest = Path(dest_dir)
        if dest not in self._stages:
            try:
                dest.mkdir(parents=True, exist_ok=True)
                self._stages[dest] = Path(tempfile.mkdtemp(prefix=".thermal-sar-", dir=dest))
            except OSError as exc:
                raise SarIOError(f"cannot write into {str(dest)!r}: {exc.strerror or exc}. Hint: choose a folder "
                                 f"that exists and is writable; {NOTHING_WRITTEN}.") from None
        return self._stages[dest]

    def path(self, dest: str | os.PathLike) -> Path:
        """Where to write the file that becomes ``dest``."""
        dest = Path(dest)
        return self.folder(dest.parent) / dest.name

    def final(self, staged: Path) -> Path:
        """The destination of a file written in a staging folder."""
        for dest, stage in self._stages.items():
            if staged.parent == stage:
                return dest / staged.name
        raise ValueError(f"{staged} is not in a staging folder")

    def commit(self) -> None:
        """Move every staged file into its destination folder (a rename each)."""
        done: list[Path] = []
        for dest, stage in self._stages.items():
            for p in sorted(stage.iterdir()):
                try:
                    os.replace(p, dest / p.name)
                except OSError as exc:
                    raise SarIOError(f"cannot write {str(dest / p.name)!r}: {exc.strerror or exc} (a folder of that "
                                     f"name may be in the way). Already written: "
                                     f"{', '.join(map(str, done)) or 'none'}.") from None
                done.append(dest / p.name)

    def close(self) -> None:
        for stage in self._stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        self._stages.clear()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
