"""Costs of a path: the objective is passed in, never hidden in a stage.

A path is a polyline of local (x, y) vertices; :func:`profile` samples it on
a height field (heights along the path in metres) so an objective can charge
climbing as well as distance and turns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from mission.vehicle import VehicleLimits

__all__ = ["PathProfile", "profile", "turn_angles_deg", "Objective", "FlightTimeObjective", "LengthObjective",
           "HeightField", "leg_times_s"]


@dataclass(frozen=True)
class HeightField:
    """Ground heights on a regular local grid (x east, y north, metres), bilinear in between.

    ``z[row, col]`` is at ``(x0_m + col * step_m, y0_m + row * step_m)``.
    """

    x0_m: float
    y0_m: float
    step_m: float
    z: np.ndarray

    @classmethod
    def sample(cls, ground_fn: Callable[[np.ndarray], np.ndarray], bounds_m: tuple[float, float, float, float],
               step_m: float) -> HeightField:
        """Sample ``ground_fn`` ((K, 2) xy -> (K,) heights) over ``(xmin, ymin, xmax, ymax)``."""
        xmin, ymin, xmax, ymax = bounds_m
        nx = int(math.ceil((xmax - xmin) / step_m)) + 1
        ny = int(math.ceil((ymax - ymin) / step_m)) + 1
        xs = xmin + step_m * np.arange(nx)
        ys = ymin + step_m * np.arange(ny)
        gx, gy = np.meshgrid(xs, ys)
        z = np.asarray(ground_fn(np.column_stack([gx.ravel(), gy.ravel()])), float).reshape(ny, nx)
        return cls(float(xmin), float(ymin), float(step_m), z)

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, float).reshape(-1, 2)
        ny, nx = self.z.shape
        c = np.clip((xy[:, 0] - self.x0_m) / self.step_m, 0, nx - 1.000001)
        r = np.clip((xy[:, 1] - self.y0_m) / self.step_m, 0, ny - 1.000001)
        c0 = c.astype(np.intp)
        r0 = r.astype(np.intp)
        fc = c - c0
        fr = r - r0
        z = self.z
        top = z[r0, c0] * (1 - fc) + z[r0, c0 + 1] * fc
        bot = z[r0 + 1, c0] * (1 - fc) + z[r0 + 1, c0 + 1] * fc
        return top * (1 - fr) + bot * fr


def turn_angles_deg(vertices: np.ndarray) -> np.ndarray:
    """Heading change at each inner vertex of a polyline, degrees 0..180; shape (N-2,)."""
    v = np.diff(np.asarray(vertices, float), axis=0)
    if len(v) < 2:
        return np.zeros(0)
    a, b = v[:-1], v[1:]
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    ok = (na > 1e-9) & (nb > 1e-9)
    cos = np.ones(len(a))
    cos[ok] = np.einsum("ij,ij->i", a[ok], b[ok]) / (na[ok] * nb[ok])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


@dataclass(frozen=True)
class PathProfile:
    """A path sampled for costing: per sample step its horizontal length and height change (metres)."""

    step_length_m: np.ndarray
    step_dz_m: np.ndarray
    turn_deg: np.ndarray

    @property
    def length_m(self) -> float:
        return float(self.step_length_m.sum())

    @property
    def climb_m(self) -> float:
        return float(self.step_dz_m[self.step_dz_m > 0].sum())


def profile(vertices: np.ndarray, heights: Callable[[np.ndarray], np.ndarray] | None, *, step_m: float = 25.0,
            agl_band_m: float = 0.0) -> PathProfile:
    """Sample the polyline every ``step_m`` on ``heights`` (None: flat).

    ``agl_band_m`` lets the height profile ride inside a band of that half
    width (the aircraft need not follow bumps smaller than its tolerance).
    """
    v = np.asarray(vertices, float)
    seg = np.diff(v, axis=0)
    L = np.hypot(seg[:, 0], seg[:, 1])
    n = np.maximum(1, np.ceil(L / step_m).astype(int))
    idx = np.repeat(np.arange(len(L)), n)
    frac = np.concatenate([np.arange(k) / k for k in n]) if len(n) else np.zeros(0)
    pts = np.vstack([v[idx] + seg[idx] * frac[:, None], v[-1:]])
    step_len = np.repeat(L / n, n)
    if heights is None:
        dz = np.zeros(len(step_len))
    else:
        z = heights(pts)
        if agl_band_m > 0:
            z = _band_follow(z, agl_band_m)
        dz = np.diff(z)
    return PathProfile(step_len, dz, turn_angles_deg(v))


def _band_follow(z: np.ndarray, band_m: float) -> np.ndarray:
    """Lazy profile that moves only when the ground pushes it out of +-band (play in a rope)."""
    out = np.empty_like(z)
    a = float(z[0])
    for i, g in enumerate(z.tolist()):
        if a < g - band_m:
            a = g - band_m
        elif a > g + band_m:
            a = g + band_m
        out[i] = a
    return out


def leg_times_s(length_m, dz_m, vehicle: VehicleLimits):
    """Time of straight legs: the slowest of horizontal speed, climb and descent limits."""
    L = np.asarray(length_m, float)
    dz = np.asarray(dz_m, float)
    return np.maximum.reduce([L / vehicle.speed_m_s, np.maximum(dz, 0) / vehicle.climb_m_s,
                              np.maximum(-dz, 0) / vehicle.descent_m_s])


class Objective(Protocol):
    """Cost of a path profile (lower is better), seconds or any consistent unit."""

    def __call__(self, p: PathProfile) -> float: ...


@dataclass(frozen=True)
class FlightTimeObjective:
    """Flight time: legs limited by speed, climb and descent, plus a cost per turn (see VehicleLimits)."""

    vehicle: VehicleLimits

    def __call__(self, p: PathProfile) -> float:
        t = leg_times_s(p.step_length_m, p.step_dz_m, self.vehicle).sum()
        return float(t + self.vehicle.turn_penalty_s(p.turn_deg).sum())


@dataclass(frozen=True)
class LengthObjective:
    """Path length over cruise speed: no turn cost, no terrain (the QGC/Mission Planner view)."""

    speed_m_s: float = 10.0

    def __call__(self, p: PathProfile) -> float:
        return float(p.length_m / self.speed_m_s)
