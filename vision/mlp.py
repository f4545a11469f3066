"""A small multilayer perceptron scorer (one tanh hidden layer, logistic output), in NumPy.

The classical detector scores its person candidates with one (:mod:`vision.classical`):
a logistic function of the same features could not tell a single person's box from a
box around two people side by side or from the same body cut at another threshold, and
the candidates now come at several thresholds (docs/vision.md). Fitting
(:func:`fit_mlp`, L-BFGS on the L2-regularised log loss) and scoring need only NumPy
and SciPy; the weights ship as JSON (``vision/models/classical_person.json``) beside
the command that fitted them.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.errors import InputError

__all__ = ["MlpScorer", "fit_mlp", "MLP_FORMAT"]

MLP_FORMAT = "thermal-sar mlp scorer 1"


@dataclass(frozen=True, eq=False)
class MlpScorer:
    """``p = sigmoid(tanh(((x - mean) / scale) @ w1 + b1) @ w2 + b2)`` for rows ``x``
    (the last column of ``x``, the constant 1 of the logistic features, is not used).

    ``meta`` carries what the scorer was fitted for (feature names, the detector's
    threshold levels, the data and command); :meth:`read` checks the arrays' shapes.
    """

    mean: np.ndarray     # (d,)
    scale: np.ndarray    # (d,)
    w1: np.ndarray       # (d, h)
    b1: np.ndarray       # (h,)
    w2: np.ndarray       # (h,)
    b2: float
    meta: dict

    @property
    def n_features(self) -> int:
        """Columns of the rows it scores (the inputs and the trailing constant)."""
        return int(self.mean.size) + 1

    def logit(self, x: np.ndarray) -> np.ndarray:
        """(n,) log-odds of rows ``x`` (n, n_features)."""
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise InputError(f"MLP scorer rows have {x.shape[-1] if x.ndim else 0} columns; it was fitted on "
                             f"{self.n_features} ({', '.join(self.meta.get('features', [])) or 'see its JSON'}).")
        if x.shape[0] == 0:
            return np.zeros(0)
        a = np.tanh(((x[:, :-1] - self.mean) / self.scale) @ self.w1 + self.b1)
        return a @ self.w2 + self.b2

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(n,) probabilities 0..1."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -50.0, 50.0)))

    def to_json(self) -> str:
        return json.dumps({"format": MLP_FORMAT, **self.meta, "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                           "w1": self.w1.tolist(), "b1": self.b1.tolist(), "w2": self.w2.tolist(), "b2": self.b2},
                          indent=None, separators=(",", ":"))

    def write(self, path: str | os.PathLike) -> Path:
        """Write the scorer as JSON (through a temporary file: an existing one is never half-written)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json() + "\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, path: str | os.PathLike) -> "MlpScorer":
        """Read a scorer written by :meth:`write`; a clear error for anything else."""
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"MLP scorer {str(path)!r} does not exist; refit it with "
                             "`python -m vision.classical_fit HIT_UAV_ROOT train`.") from None
        except (OSError, ValueError) as e:
            raise InputError(f"MLP scorer {str(path)!r} cannot be read as JSON ({e}).") from None
        if not isinstance(d, dict) or d.get("format") != MLP_FORMAT:
            raise InputError(f"{str(path)!r} is not a thermal-sar MLP scorer (expected format {MLP_FORMAT!r}).")
        try:
            mean, scale = np.asarray(d.pop("mean"), float), np.asarray(d.pop("scale"), float)
            w1, b1 = np.asarray(d.pop("w1"), float), np.asarray(d.pop("b1"), float)
            w2, b2 = np.asarray(d.pop("w2"), float), float(d.pop("b2"))
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"MLP scorer {str(path)!r} is incomplete or malformed ({e}).") from None
        d.pop("format")
        dim, hidden = mean.size, b1.size
        ok = (mean.ndim == scale.ndim == b1.ndim == w2.ndim == 1 and scale.size == dim and w1.shape == (dim, hidden)
              and w2.size == hidden and dim > 0 and hidden > 0 and np.all(scale > 0)
              and all(np.isfinite(a).all() for a in (mean, scale, w1, b1, w2)) and math.isfinite(b2))
        if not ok:
            raise InputError(f"MLP scorer {str(path)!r}: inconsistent shapes or non-finite weights "
                             f"(mean {mean.shape}, scale {scale.shape}, w1 {w1.shape}, b1 {b1.shape}, w2 {w2.shape}).")
        return cls(mean, scale, w1, b1, w2, b2, d)


def fit_mlp(x: np.ndarray, y: np.ndarray, *, hidden: int = 32, l2: float = 30.0, seed: int = 0,
            max_iterations: int = 1500, meta: dict | None = None) -> MlpScorer:
    """Fit an :class:`MlpScorer` on rows ``x`` (the last column the constant 1) and labels
    ``y`` in 0..1 (1 and 0, or a soft label between: the share of "right" a row deserves; rows
    with other labels, e.g. -1 for "neither", are left out): L-BFGS on the log loss (cross
    entropy) plus ``l2 / 2`` times the squared weights (biases free), inputs standardised,
    seeded start (the same data give the same scorer)."""
    from scipy.optimize import minimize

    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    keep = (y >= 0) & (y <= 1)
    x, t = x[keep, :-1], y[keep]
    if x.shape[0] == 0 or not (t == 0).any() or not (t == 1).any():
        raise InputError(f"fit_mlp needs rows labelled 0 and rows labelled 1; got {int((t == 1).sum())} positive and "
                         f"{int((t == 0).sum())} negative.")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    xn = (x - mean) / scale
    d, h = xn.shape[1], int(hidden)
    n_w1 = d * h

    def unpack(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        return p[:n_w1].reshape(d, h), p[n_w1:n_w1 + h], p[n_w1 + h:n_w1 + 2 * h], float(p[-1])

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        w1, b1, w2, b2 = unpack(p)
        a = np.tanh(xn @ w1 + b1)
        z = a @ w2 + b2
        # log(1 + e^z) - t z, stably.
        nll = float(np.sum(np.logaddexp(0.0, z) - t * z))
        pr = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
        g = pr - t
        gw2 = a.T @ g + l2 * w2
        da = np.outer(g, w2) * (1.0 - a * a)
        gw1 = xn.T @ da + l2 * w1
        reg = 0.5 * l2 * (float(np.sum(w1 * w1)) + float(np.sum(w2 * w2)))
        return nll + reg, np.concatenate([gw1.ravel(), da.sum(axis=0), gw2, [g.sum()]])

    p0 = np.random.default_rng(seed).normal(0.0, 0.1, n_w1 + 2 * h + 1)
    res = minimize(loss, p0, jac=True, method="L-BFGS-B", options={"maxiter": int(max_iterations)})
    w1, b1, w2, b2 = unpack(res.x)
    info = dict(meta or {})
    info.update(hidden=h, l2=l2, seed=seed, rows=int(t.size), positives=int((t == 1).sum()),
                iterations=int(res.nit), converged=bool(res.success))
    return MlpScorer(mean, scale, w1, b1, w2, b2, info)
