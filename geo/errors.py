"""The one error tree of thermal-sar.

Every error a user can cause derives from :class:`SarError` and also from the
builtin that best describes it, so callers may catch either::

    SarError
    ├── InputError(SarError, ValueError)         a value outside its allowed range
    │   ├── CoordinateError                      NaN, out of range, swapped lat/lon
    │   ├── CameraError                          impossible camera or pose
    │   └── GeometryError                        degenerate or invalid polygons
    ├── TerrainError(SarError, ValueError)       DEM files and terrain queries
    │   └── OutOfCoverageError                   a query outside the DEM
    ├── FormatError(SarError, ValueError)        a file that is not what it claims
    ├── SarIOError(SarError, OSError)            a file or device that cannot be read
    └── LinkError(SarError, OSError)             the vehicle link (telemetry/)
        └── LinkTimeout(LinkError, TimeoutError)

Messages name the parameter, the value, what is allowed and a hint, e.g.
``fov_deg=0.0 is out of range: allowed 0 < fov_deg < 180. Hint: ...``.
"""

from __future__ import annotations

__all__ = [
    "SarError",
    "InputError",
    "CoordinateError",
    "CameraError",
    "GeometryError",
    "TerrainError",
    "OutOfCoverageError",
    "FormatError",
    "SarIOError",
    "LinkError",
    "LinkTimeout",
    "out_of_range",
]


class SarError(Exception):
    """Root of every thermal-sar error."""


class InputError(SarError, ValueError):
    """A value given by the user or a caller is outside what is allowed."""


class CoordinateError(InputError):
    """A coordinate is NaN, out of range, or looks swapped."""


class CameraError(InputError):
    """A camera model or pose that cannot be used (bad FOV, camera looking at the sky)."""


class GeometryError(InputError):
    """A polygon or line that is degenerate, self-intersecting or otherwise unusable."""


class TerrainError(SarError, ValueError):
    """A DEM that cannot be read or used."""


class OutOfCoverageError(TerrainError):
    """A terrain query outside the coverage of the loaded DEM."""


class FormatError(SarError, ValueError):
    """A file whose content is not in the format it claims to be."""


class SarIOError(SarError, OSError):
    """A file or device that cannot be opened or read."""


class LinkError(SarError, OSError):
    """The link to the vehicle failed."""


class LinkTimeout(LinkError, TimeoutError):
    """The vehicle did not answer in time."""


def out_of_range(name: str, value: object, allowed: str, hint: str = "") -> str:
    """Build the standard message: ``name=value is out of range: allowed ...``."""
    msg = f"{name}={value!r} is out of range: allowed {allowed}."
    if hint:
        msg += f" Hint: {hint}"
    return msg
