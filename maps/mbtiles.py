"""Read tiles from a user's MBTiles file (SQLite, TMS row order) for the live server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from geo.errors import FormatError, SarIOError

__all__ = ["read_tile", "check_mbtiles"]


def check_mbtiles(path: str | Path) -> dict:
    """The file's metadata table as a dict; raises when it is not an MBTiles file."""
    p = Path(path)
    if not p.is_file():
        raise SarIOError(f"MBTiles file {str(p)!r} does not exist. Hint: check the path.")
    try:
        with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as conn:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            conn.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise FormatError(f"{str(p)!r} is not an MBTiles file ({exc}). Hint: export one from QGIS or MOBAC.") from None
    return meta


def read_tile(path: str | Path, z: int, x: int, y: int) -> tuple[bytes | None, str]:
    """Tile bytes and MIME type for XYZ (z, x, y); ``(None, "")`` when absent.

    MBTiles stores rows bottom-up (TMS): row = 2^z - 1 - y.
    """
    if z < 0 or z > 30 or x < 0 or y < 0 or x >= 2**z or y >= 2**z:
        return None, ""
    with sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           (z, x, (1 << z) - 1 - y)).fetchone()
    if row is None:
        return None, ""
    data = bytes(row[0])
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else "image/webp"
    return data, mime
