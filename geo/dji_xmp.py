"""DJI camera metadata: the ``drone-dji:`` XMP tags of a JPEG, as strings and numbers.

DJI cameras write the aircraft position, altitudes, gimbal and flight angles
(and, with a laser rangefinder, the ranged target) as XMP attributes or
elements, prefixed ``drone-dji:`` (``DJI:`` on older Zenmuse cameras such as
the XT2). This module only reads the tags; what they mean for a pose is
decided by their users (``telemetry.dji`` for geotagging, ``vision.rjpeg`` for
frames), so both read the same tags the same way.
"""

from __future__ import annotations

import math
import re

__all__ = ["dji_xmp_tags", "dji_number", "XMP_SCAN_LIMIT_BYTES"]

_ATTR = re.compile(r"(?:drone-dji|DJI):(\w+)=\"([^\"]*)\"")
_ELEM = re.compile(r"<(?:drone-dji|DJI):(\w+)>([^<]*)</")

# An XMP packet without its closing tag is read this far at most.
XMP_SCAN_LIMIT_BYTES = 65536


def dji_xmp_tags(data: bytes) -> dict[str, str]:
    """The ``drone-dji:`` / ``DJI:`` tags of a file's bytes, values stripped (empty when there is no XMP).

    Attributes win over elements of the same name.
    """
    i = data.find(b"<x:xmpmeta")
    if i < 0:
        return {}
    j = data.find(b"</x:xmpmeta>", i)
    text = data[i:j if j > 0 else i + XMP_SCAN_LIMIT_BYTES].decode("utf-8", "replace")
    tags = {k: v.strip() for k, v in _ELEM.findall(text)}
    tags.update((k, v.strip()) for k, v in _ATTR.findall(text))
    return tags


def dji_number(tags: dict[str, str], *names: str) -> float | None:
    """The first of ``names`` present as a finite number (DJI writes ``+12.5``), else None."""
    for n in names:
        v = tags.get(n)
        if v is None or v == "":
            continue
        try:
            x = float(v)
        except ValueError:
            continue
        if math.isfinite(x):
            return x
    return None
