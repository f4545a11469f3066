"""The classical heat-signature detector (the default): fast, no network model, explainable.

Pipeline, all in pixels of the frame (row, col):

1. **Background**: a grey-level opening (erosion then dilation) on a 4x
   downsampled copy removes everything smaller than the structuring element
   (people, animals) and keeps the terrain; its upper envelope (3x3
   dilation) is brought back to full size, so the edges of warm roofs and
   roads stay background. ``residual = frame - background``.
2. **Contrast normalisation**: the residual is divided by a local clutter
   scale (mean absolute residual in a wide window), floored by the pixel
   noise (MAD of the full-resolution residual): ``z`` is unit-free, so the
   same thresholds work on 8-bit AGC video, raw counts and degrees Celsius.
3. **Candidates**: hysteresis threshold (pixels above ``low_z`` connected to
   a pixel above ``high_z``), connected components with statistics; large
   blobs with several warm cores are split by a watershed.
4. **Features**: area in pixels and, with a ground sample distance, in m^2;
   aspect ratio, fill ratio (compactness of the box), peak and mean
   contrast, the peak's contrast within the whole frame, and for people an
   8x8 patch of ``z`` around the blob (its shape and surround).
5. **Gates and scoring**: noise (too small), roads and roof edges (too long or
   too thin), buildings (too large) are rejected. With ``gsd_m`` each blob is
   given the class (person, sheep, cow) whose metric size fits best, or
   rejected when none does; without it the class is ``hotspot``. The score
   is a logistic function of the features with weights fitted on the
   HIT-UAV train split (:mod:`vision.classical_fit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from geo.errors import InputError, out_of_range
from vision.detection import Detection
from vision.frame import ThermalFrame, ValueKind

__all__ = ["ClassGate", "DEFAULT_GATES", "ClassicalParams", "ClassicalDetector", "BlobFeatures", "blob_features",
           "contrast_map", "score_features", "contrast_patch", "patch_side_px"]


@dataclass(frozen=True, slots=True)
class ClassGate:
    """Metric size range of one class's warm area seen from above.

    ``typical_m2`` is the most likely hot area, ``min_m2``/``max_m2`` the
    plausible range; ``max_aspect`` the longest/shortest side ratio allowed.
    """

    name: str
    min_m2: float
    typical_m2: float
    max_m2: float
    max_aspect: float = 4.0

    def __post_init__(self) -> None:
        if not (0 < self.min_m2 <= self.typical_m2 <= self.max_m2):
            raise InputError(f"gate {self.name}: need 0 < min_m2 <= typical_m2 <= max_m2, "
                             f"got {self.min_m2}, {self.typical_m2}, {self.max_m2}.")

    def fit(self, area_m2: float) -> float:
        """Plausibility 0..1 of ``area_m2`` for this class (1 at the typical size, 0 outside the range)."""
        if not (self.min_m2 <= area_m2 <= self.max_m2):
            return 0.0
        lo, hi = math.log(self.min_m2), math.log(self.max_m2)
        x, t = math.log(area_m2), math.log(self.typical_m2)
        half = (t - lo) if x < t else (hi - t)
        return 1.0 - 0.8 * ((x - t) / half) ** 2 if half > 0 else 1.0


# Warm area visible from the air (the hot part, not the whole body outline):
# a standing person shows head and shoulders (~0.1-0.3 m^2), a lying one up to
# ~0.8 m^2; a sheep's back ~0.3-1.2 m^2; a cow's back ~1.2-4 m^2.
DEFAULT_GATES: tuple[ClassGate, ...] = (
    ClassGate("person", 0.06, 0.25, 1.2, max_aspect=4.0),
    ClassGate("sheep", 0.25, 0.6, 1.6, max_aspect=3.5),
    ClassGate("cow", 1.0, 2.2, 5.5, max_aspect=3.5),
)


# Fitted by ``python -m vision.classical_fit ../shared/data/thermal/hit_uav train``.
_GENERIC_SCORE_WEIGHTS: tuple[float, ...] = (-5.941, 12.846, 0.061, 2.120, 3.415, 2.335, -18.652)
_SCORE_WEIGHTS: tuple[float, ...] = (
    -4.6160, 11.0709, -0.2254, 0.5095, 1.9333, 2.3333, 0.1576, -0.4222, 0.7631, -0.9817, -1.4459, -0.5078,
    0.5711, 0.5294, 0.0625, 0.0876, -0.8343, 1.5930, -0.0384, 0.1610, -0.5051, 0.1969, -0.0608, -0.8021,
    -1.3887, 1.5773, 1.2586, -1.5228, 1.3708, -0.3629, -0.7253, 0.7235, -2.4476, 0.5830, 0.0220, -1.7514,
    0.0946, 0.4536, -0.1187, 0.4765, -2.3468, -0.2802, -0.9351, -0.9320, -0.7907, -0.5392, -0.2046, 0.6891,
    0.7036, 1.3894, -0.2205, -0.0743, -0.6879, 0.1376, 0.2822, -0.0568, -1.0420, 0.5435, 1.1902, -0.5943,
    0.3058, 0.5407, -0.3600, 0.2542, 0.5886, -1.3738, -0.1192, -0.1641, 0.3351, 0.0518, -15.0937,
)


@dataclass(frozen=True, slots=True)
class ClassicalParams:
    """Tuning of the classical detector (pixels unless a unit says otherwise).

    Tuned on the HIT-UAV *train* split (never on val); see docs/vision.md.
    """

    background_px: int = 40          # structuring element: larger than any target
    background_m: float = 4.0        # ... in metres when the GSD is known (clamped to 16..120 px)
    high_z: float = 3.5              # seed threshold, in local-clutter units
    low_z: float = 3.0               # growth threshold
    edge_envelope: bool = True       # background hugs warm edges (roofs, roads): see contrast_map
    min_area_px: int = 4             # smaller blobs are noise
    max_area_px: int = 2500          # larger blobs are buildings, roads, water (without GSD)
    max_aspect: float = 4.0          # longer/thinner blobs are roads, pipes, roof edges
    min_fill: float = 0.2            # blob area / box area below this is a line or ring
    box_pad_px: float = 0.0          # widen (or, negative, shrink) boxes per side to a labelling convention
    split_min_area_px: int = 250     # only blobs this large are tried for splitting
    split_level: float = 0.35        # bodies in one blob are separated where the contrast dips below this fraction of the peak
    min_score: float = 0.05
    patch_m: float = 1.6             # contrast patch side on the ground (with a GSD)
    patch_px: int = 24               # ... in pixels without one
    # Logistic weights of score_features(), fitted on people of the HIT-UAV
    # *train* split by vision.classical_fit: with the 64 patch cells (the
    # shape of a warm body in its surround) for the class person, and without
    # them (contrast, shape, size only) for the other classes and for
    # hotspots without a GSD, whose look we have no real data to learn.
    score_weights: tuple[float, ...] = _SCORE_WEIGHTS
    generic_score_weights: tuple[float, ...] = _GENERIC_SCORE_WEIGHTS
    max_detections: int = 200
    gates: tuple[ClassGate, ...] = field(default=DEFAULT_GATES)

    def __post_init__(self) -> None:
        if not (0 < self.low_z <= self.high_z):
            raise InputError(out_of_range("low_z, high_z", (self.low_z, self.high_z), "0 < low_z <= high_z"))
        if not (8 <= self.background_px <= 400):
            raise InputError(out_of_range("background_px", self.background_px, "8..400 pixels"))
        if len(self.score_weights) != 71 or len(self.generic_score_weights) != 7:
            raise InputError(f"score_weights has {len(self.score_weights)} values and generic_score_weights "
                             f"{len(self.generic_score_weights)}; expected 71 and 7 (see score_features).")
        if self.min_area_px < 1 or self.max_area_px <= self.min_area_px:
            raise InputError(out_of_range("min_area_px, max_area_px", (self.min_area_px, self.max_area_px),
                                          "1 <= min_area_px < max_area_px"))


@dataclass(frozen=True, slots=True)
class BlobFeatures:
    """Features of one candidate blob (documented columns of :func:`blob_features`)."""

    top_px: int
    left_px: int
    height_px: int
    width_px: int
    area_px: int
    peak_z: float
    mean_z: float
    aspect: float
    fill: float
    area_m2: float | None
    global_z: float = 0.0


# Unit floors of the noise scale: quantisation of grey levels, counts, or a
# typical 50 mK NETD for calibrated temperatures.
_NOISE_FLOOR = {ValueKind.GREY: 1.0, ValueKind.COUNTS: 2.0, ValueKind.TEMPERATURE_C: 0.05}
_DOWN = 4


def _as_image(frame: ThermalFrame | np.ndarray) -> tuple[np.ndarray, ValueKind, bool]:
    if isinstance(frame, ThermalFrame):
        return frame.data, frame.kind, frame.usable
    a = np.asarray(frame)
    if a.ndim != 2 or min(a.shape) < 8:
        raise InputError(f"frame has shape {a.shape}: expected a 2-D (rows, cols) image of at least 8x8.")
    if a.dtype == np.uint8:
        kind = ValueKind.GREY
    elif a.dtype.kind in "ui":
        kind = ValueKind.COUNTS
    elif a.dtype.kind == "f":
        kind = ValueKind.TEMPERATURE_C
    else:
        raise InputError(f"frame dtype {a.dtype} is not a thermal image type (uint8, uint16, float).")
    return a, kind, True


def _median(a: np.ndarray) -> float:
    """Median by selection (several times faster than np.median on these small samples)."""
    v = np.asarray(a, np.float32).ravel()
    k = v.size // 2
    return float(np.partition(v, k)[k])


def contrast_map(img: np.ndarray, kind: ValueKind, background_px: int, *, edge_envelope: bool = True) -> np.ndarray:
    """Local contrast ``z`` (float32, same shape): residual over background in clutter units.

    With ``edge_envelope`` the background is the upper envelope of the
    opening (3x3 dilation at low resolution), so the edges of warm roofs and
    roads are not left over as thin warm residuals.
    """
    h, w = img.shape
    if img.dtype == np.uint8:
        f = img  # cv2 arithmetic below promotes to float32 without a full-resolution copy
    else:
        f = img.astype(np.float32, copy=False)
        if not np.isfinite(f[::7, ::7]).all():
            f = np.nan_to_num(f, nan=float(np.nanmedian(f)), posinf=0.0, neginf=0.0)
    hs, ws = max(2, h // _DOWN), max(2, w // _DOWN)
    small = cv2.resize(f, (ws, hs), interpolation=cv2.INTER_AREA).astype(np.float32, copy=False)
    k = max(3, int(round(background_px / _DOWN)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel)
    bg_small = cv2.dilate(opened, np.ones((3, 3), np.uint8)) if edge_envelope else cv2.blur(opened, (3, 3))
    # Pixel noise and clutter from point samples of the full-resolution frame, one per
    # 4x4 cell (averaging would hide the pixel noise), against the low-resolution background.
    samp = f[_DOWN // 2::_DOWN, _DOWN // 2::_DOWN][:hs, :ws].astype(np.float32)
    resid = samp - bg_small[: samp.shape[0], : samp.shape[1]]
    noise = max(_median(np.abs(resid - _median(resid))) * 1.4826, _NOISE_FLOOR[kind])
    absres = np.zeros((hs, ws), np.float32)
    absres[: resid.shape[0], : resid.shape[1]] = np.minimum(np.abs(resid), 4 * noise)
    clutter = cv2.blur(absres, (k * 2 + 1, k * 2 + 1))
    inv_scale = (1.0 / np.maximum(clutter * 1.25, noise)).astype(np.float32)
    bg = cv2.resize(bg_small, (w, h), interpolation=cv2.INTER_LINEAR)
    res = cv2.subtract(f, bg, dtype=cv2.CV_32F)
    return cv2.multiply(res, cv2.resize(inv_scale, (w, h), interpolation=cv2.INTER_LINEAR))


def blob_features(z: np.ndarray, params: ClassicalParams, gsd_m: float | None,
                  img: np.ndarray | None = None, gates: tuple[ClassGate, ...] | None = None) -> list[BlobFeatures]:
    """Hysteresis-thresholded blobs of the contrast map with their features (before gating).

    A blob of at least two bodies' area (``split_min_area_px``, or with a GSD
    twice the typical area of the smallest class in ``gates``) with several
    separate warm cores (people standing in a group, animals in a flock) is
    split by a watershed from those cores, so each body gets its own box.
    ``global_z`` (with ``img``) is the blob's peak over the frame median in
    robust frame-wide spreads: warm bodies at night stand out of the whole
    frame, texture and noise only locally. Peaks, sums and areas come from
    whole-frame array operations; only split blobs are measured one by one.
    """
    low = cv2.compare(z, params.low_z, cv2.CMP_GT)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(low, connectivity=8)
    if n <= 1:
        return []
    on = np.flatnonzero(low)
    labs = labels.ravel()[on]
    zv = z.ravel()[on]
    peak = np.full(n, -np.inf, np.float32)
    np.maximum.at(peak, labs, zv)
    area = stats[:, cv2.CC_STAT_AREA]
    cand = np.flatnonzero((peak > params.high_z) & (area >= params.min_area_px) & (area <= 8 * params.max_area_px))
    cand = cand[cand > 0]
    if cand.size == 0:
        return []
    zsum = np.bincount(labs, weights=zv, minlength=n)
    if img is not None:
        sub = img[::8, ::8].astype(np.float32)
        med = _median(sub)
        spread = max(_median(np.abs(sub - med)) * 1.4826, 1e-6)
        gmax = np.full(n, -np.inf, np.float64)
        np.maximum.at(gmax, labs, img.ravel()[on].astype(np.float64))
        gz_all = (gmax - med) / spread
    else:
        gz_all = np.zeros(n)
    # With a GSD, only blobs of at least two typical bodies of the smallest target class are tried.
    split_px = params.split_min_area_px
    gates = params.gates if gates is None else gates
    if gsd_m and gates:
        split_px = max(split_px, int(2.0 * min(g.typical_m2 for g in gates) / (gsd_m * gsd_m)))
    out: list[BlobFeatures] = []
    for lab in cand:
        x, y, bw, bh, a = (int(v) for v in stats[lab])
        if a >= split_px:
            zs = z[y:y + bh, x:x + bw]
            m = labels[y:y + bh, x:x + bw] == lab
            parts = _split(zs, m, params)
            if parts is not None:
                out.extend(_part_features(zs, m_, x, y, gsd_m, img, med if img is not None else 0.0,
                                          spread if img is not None else 1.0, params) for m_ in parts)
                continue
        out.append(BlobFeatures(
            top_px=y, left_px=x, height_px=bh, width_px=bw, area_px=a, peak_z=float(peak[lab]),
            mean_z=float(zsum[lab] / a), aspect=max(bw, bh) / max(1, min(bw, bh)), fill=a / float(bw * bh),
            area_m2=a * gsd_m * gsd_m if gsd_m else None, global_z=float(gz_all[lab]),
        ))
    return [b for b in out if b is not None and b.area_px >= params.min_area_px and b.peak_z > params.high_z]


def _part_features(zs: np.ndarray, pm: np.ndarray, x: int, y: int, gsd_m: float | None, img: np.ndarray | None,
                   med: float, spread: float, params: ClassicalParams) -> BlobFeatures | None:
    rows = np.flatnonzero(pm.any(axis=1))
    cols = np.flatnonzero(pm.any(axis=0))
    if rows.size == 0:
        return None
    t, b_, l_, r_ = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    area = int(pm.sum())
    vals = zs[pm]
    h_, w_ = b_ - t, r_ - l_
    gz = 0.0
    if img is not None:
        gz = (float(img[y:y + zs.shape[0], x:x + zs.shape[1]][pm].max()) - med) / spread
    return BlobFeatures(
        top_px=y + t, left_px=x + l_, height_px=h_, width_px=w_, area_px=area, peak_z=float(vals.max()),
        mean_z=float(vals.mean()), aspect=max(w_, h_) / max(1, min(w_, h_)), fill=area / float(h_ * w_),
        area_m2=area * gsd_m * gsd_m if gsd_m else None, global_z=gz,
    )


def _split(zs: np.ndarray, m: np.ndarray, params: ClassicalParams) -> list[np.ndarray] | None:
    """Masks of the bodies inside one blob, or None when it is one body.

    Cores are the parts of the blob above ``split_level`` of its peak
    contrast; two cores mean two bodies whose saddle lies below that level
    (noise on one warm body does not split it). The rest of the blob is
    shared out by a watershed from the cores.
    """
    zsm = cv2.GaussianBlur(zs, (3, 3), 0)
    peak = float(zsm[m].max())
    level = max(params.high_z, params.split_level * peak)
    cores = ((zsm > level) & m).astype(np.uint8)
    n, markers = cv2.connectedComponents(cores, connectivity=8)
    if n <= 2:
        return None
    sizes = np.bincount(markers.ravel(), minlength=n)
    big = [i for i in range(1, n) if sizes[i] >= 2]
    if len(big) < 2:
        return None
    mk = np.zeros(markers.shape, np.int32)
    for j, i in enumerate(big, 1):
        mk[markers == i] = j
    bg_label = len(big) + 1
    mk[~m] = bg_label
    relief = np.clip(255.0 - 255.0 * np.maximum(zsm, 0) / max(peak, 1e-6), 0, 255).astype(np.uint8)
    cv2.watershed(cv2.cvtColor(relief, cv2.COLOR_GRAY2BGR), mk)
    return [(mk == j) & m for j in range(1, len(big) + 1)]


class ClassicalDetector:
    """Background-subtraction detector; see the module docstring.

    ``targets`` restricts the classes it may report (e.g. ``("person",)``
    when searching for a missing walker: a warm blob of sheep size is then
    scored as an unlikely person rather than labelled sheep).

    >>> det = ClassicalDetector()
    >>> det.detect(np.zeros((64, 64), np.uint8))
    []
    """

    name = "classical"

    def __init__(self, params: ClassicalParams | None = None, *, targets: tuple[str, ...] | None = None) -> None:
        self.params = params or ClassicalParams()
        gates = self.params.gates
        if targets is not None:
            known = {g.name for g in gates}
            bad = [t for t in targets if t not in known]
            if bad or not targets:
                raise InputError(f"targets={targets!r}: allowed a non-empty subset of {sorted(known)}.")
            gates = tuple(g for g in gates if g.name in targets)
        self.gates = gates

    def detect(self, frame: ThermalFrame | np.ndarray, *, gsd_m: float | None = None,
               frame_index: int | None = None, frame_time_s: float | None = None) -> list[Detection]:
        p = self.params
        if gsd_m is not None and not (math.isfinite(gsd_m) and 0.001 <= gsd_m <= 20.0):
            raise InputError(out_of_range("gsd_m", gsd_m, "0.001..20 metres per pixel", "ground sample distance"))
        img, kind, usable = _as_image(frame)
        if isinstance(frame, ThermalFrame):
            frame_index = frame.frame_index if frame_index is None else frame_index
            frame_time_s = frame.time_s if frame_time_s is None else frame_time_s
        if not usable:
            return []
        if img.dtype.kind == "f" and not np.isfinite(img).all():
            finite = np.isfinite(img)
            if not finite.any():
                return []
            # Dead pixels (NaN/inf) take the frame's median: they can be neither warm nor cold.
            med = float(np.median(img[finite]))
            img = np.where(finite, img, med).astype(np.float32)
        bg_px = p.background_px
        if gsd_m:
            bg_px = int(min(120, max(16, p.background_m / gsd_m)))
        z = contrast_map(img, kind, bg_px, edge_envelope=p.edge_envelope)
        h, w = img.shape
        side = patch_side_px(p, gsd_m)
        kept: list[tuple[BlobFeatures, str]] = []
        rows: list[np.ndarray] = []
        for b in blob_features(z, p, gsd_m, img, self.gates):
            if b.aspect > p.max_aspect or b.fill < p.min_fill:
                continue
            if gsd_m is None:
                if b.area_px > p.max_area_px:
                    continue
                cls, fit = "hotspot", _PIXEL_GATE.fit(float(b.area_px))
            else:
                cls, fit = _best_class(b, self.gates)
                if fit <= 0.0:
                    continue
            kept.append((b, cls))
            if cls == "person":
                x = score_features(b, fit, contrast_patch(z, b, side)) @ np.asarray(p.score_weights)
            else:
                x = score_features(b, fit, None) @ np.asarray(p.generic_score_weights)
            rows.append(x)
        if not kept:
            return []
        scores = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(rows, float), -50.0, 50.0)))
        dets: list[Detection] = []
        for (b, cls), score in zip(kept, scores):
            if score < p.min_score:
                continue
            # A negative pad shrinks the box, but never below half its size.
            pr = max(p.box_pad_px, -0.25 * b.height_px)
            pc = max(p.box_pad_px, -0.25 * b.width_px)
            dets.append(Detection(
                top_px=max(0.0, b.top_px - pr), left_px=max(0.0, b.left_px - pc),
                bottom_px=min(float(h), b.top_px + b.height_px + pr), right_px=min(float(w), b.left_px + b.width_px + pc),
                score=float(score), class_name=cls, frame_index=frame_index,
                frame_time_s=frame_time_s, source=self.name, area_m2=b.area_m2, peak_contrast=b.peak_z,
            ))
        dets.sort(key=lambda d: -d.score)
        return dets[: p.max_detections]


# Without a GSD the size prior is in pixels: a person or animal seen by a
# 640x512 camera from the usual 40-120 m search heights (HIT-UAV: 44-220 px
# of warm area for people at 60-130 m).
_PIXEL_GATE = ClassGate("hotspot", 6.0, 90.0, 1500.0)


PATCH_CELLS = 8
N_SCORE_FEATURES = 6 + PATCH_CELLS * PATCH_CELLS + 1


def patch_side_px(params: ClassicalParams, gsd_m: float | None) -> int:
    """Side of the contrast patch around a blob: ``patch_m`` on the ground, or ``patch_px``."""
    return int(min(48, max(12, round(params.patch_m / gsd_m)))) if gsd_m else params.patch_px


def contrast_patch(z: np.ndarray, b: BlobFeatures, side_px: int) -> np.ndarray:
    """The contrast map around the blob centre, ``side_px`` square, averaged to 8x8 cells,
    clipped to -5..30 and scaled by 1/10 (64 values): the blob's shape and surround."""
    h, w = z.shape
    r0 = int(round(b.top_px + b.height_px / 2.0)) - side_px // 2
    c0 = int(round(b.left_px + b.width_px / 2.0)) - side_px // 2
    win = z[max(0, r0):max(0, r0 + side_px), max(0, c0):max(0, c0 + side_px)]
    if win.shape != (side_px, side_px):
        top, left = max(0, -r0), max(0, -c0)
        win = np.pad(win, ((top, side_px - win.shape[0] - top), (left, side_px - win.shape[1] - left)))
    cells = cv2.resize(np.ascontiguousarray(win, dtype=np.float32), (PATCH_CELLS, PATCH_CELLS),
                       interpolation=cv2.INTER_AREA)
    return np.clip(cells, -5.0, 30.0).ravel() / 10.0


def score_features(b: BlobFeatures, size_fit: float, patch: np.ndarray | None) -> np.ndarray:
    """The feature vector the score weights apply to: log peak z, log mean z, fill, log
    aspect, size fit, log(1 + global z), the 64 patch cells (when given), and 1 (the bias)."""
    base = [math.log(max(b.peak_z, 1e-3)), math.log(max(b.mean_z, 1e-3)), b.fill, math.log(max(b.aspect, 1.0)),
            size_fit, math.log1p(max(b.global_z, 0.0))]
    return np.concatenate([base, patch if patch is not None else [], [1.0]])


def _best_class(b: BlobFeatures, gates: tuple[ClassGate, ...]) -> tuple[str, float]:
    best, best_fit = "hotspot", 0.0
    for g in gates:
        if b.aspect > g.max_aspect or b.area_m2 is None:
            continue
        f = g.fit(b.area_m2)
        if f > best_fit:
            best, best_fit = g.name, f
    return best, best_fit
