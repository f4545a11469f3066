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
   blobs with several warm cores are split by a watershed. People on 8-bit
   frames are also extracted at three further levels (``person_levels_z``)
   and proposed as boxes of body size on every warm peak (``person_anchors_m``,
   :func:`anchor_candidates`), and scored by an MLP that learned which cut of a
   body is the right box (:mod:`vision.mlp`, reading also where the warmth lies
   around each box, :func:`box_patches`; overlapping boxes reduced by
   non-maximum suppression).
4. **Features**: area in pixels and, with a ground sample distance, in m^2;
   aspect ratio, fill ratio (compactness of the box), peak and mean
   contrast, the peak's contrast within the whole frame, and for people an
   8x8 patch of ``z`` around the blob (its shape and surround).
5. **Gates and scoring**: noise (too small), roads and roof edges (too long or
   too thin), buildings (too large) are rejected. With ``gsd_m`` each blob is
   given the class (person, sheep, cow) whose metric size fits best, or
   rejected when none does; without it the class is ``hotspot``. The score
   is a logistic function of the features with weights fitted on the
   HIT-UAV train split (:mod:`vision.classical_fit`); sheep and cows use
   weights fitted on sim frames, times a physical shape factor
   (:func:`animal_shape_factor`): livestock seen from above are elongated
   (a boulder need not be) and stand on cooler ground (the corner of a warm
   roof does not).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from geo.errors import InputError, out_of_range
from vision.detection import Detection
from vision.detector import GSD_RANGE_M
from vision.frame import ThermalFrame, ValueKind
from vision.mlp import MlpScorer

__all__ = ["ClassGate", "DEFAULT_GATES", "ClassicalParams", "ClassicalDetector", "BlobFeatures", "blob_features", "blob_table",
           "contrast_map", "contrast_maps", "ContrastMaps", "score_features", "contrast_patch", "contrast_patches",
           "patch_side_px", "animal_feature_rows", "N_ANIMAL_FEATURES",
           "animal_shape_factor", "body_shape", "PERSON_FEATURE_NAMES", "N_PERSON_FEATURES", "person_feature_names",
           "mirror_patch", "anchor_candidates", "warm_peaks", "box_patches", "BOX_CELLS"]


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

    def fit_array(self, area_m2: np.ndarray) -> np.ndarray:
        """:meth:`fit` of many areas at once."""
        a = np.asarray(area_m2, float)
        inside = (a >= self.min_m2) & (a <= self.max_m2)
        lo, hi, t = math.log(self.min_m2), math.log(self.max_m2), math.log(self.typical_m2)
        x = np.log(np.clip(a, self.min_m2, self.max_m2))
        half = np.where(x < t, t - lo, hi - t)
        f = np.where(half > 0, 1.0 - 0.8 * ((x - t) / np.where(half > 0, half, 1.0)) ** 2, 1.0)
        return np.where(inside, f, 0.0)


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
# Sheep and cows (no real livestock imagery to learn from): fitted by
# ``python -m vision.classical_fit --animals DIR...`` on frames of the sim scenarios rendered
# for fitting only (see vision.classical_fit), one set per map the animals are found in
# (frame-normalised or local) and per kind of frame (8-bit video or radiometric): log peak z,
# log mean z, fill, log aspect, size fit, log(1 + global z), bias.
_ANIMAL_WEIGHTS: dict[tuple[bool, bool], tuple[float, ...]] = {
    # (local map, radiometric frame): weights. (False, False), the frame-normalised map on 8-bit
    # video, is kept from the earlier fit on the video of sim seeds 1, 2 and 101 (old sim): refitted
    # on the current sim's video it has 95 positives, a negative weight on peak contrast, and scored
    # every sheep of the replay fixture's video below 0.5.
    (False, False): (-9.5, 15.581, -7.978, 1.634, 0.174, 1.194, -5.906),
    (False, True): (0.216, -0.676, -6.550, 1.489, 2.644, 3.851, -8.043),
    (True, False): (-4.337, 2.689, -7.459, 2.203, 0.082, 14.141, -12.824),
    (True, True): (1.088, -0.398, -5.607, 1.304, 1.893, 4.128, -12.550),
}
N_ANIMAL_FEATURES = 7
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
    # Sheep also in a locally normalised map (contrast_maps(local=True)): False (default), True, or
    # None = by the kind of frame (on 8-bit video, not on radiometric frames). On the sim's lossless
    # AGC video the local map finds few-pixel sheep on a smooth warm floor beside textured meadow that
    # the frame-normalised one misses (held-out sheep recall at P >= 0.9: 0.63-0.83 against 0.00-0.18),
    # but on real 8-bit frames (300 HIT-UAV train frames, where every animal is false) it reports 316
    # animals scoring >= 0.5 against 115, at a third of the speed, so it is not the default
    # (docs/vision.md, "Animals on 8-bit video"). When used, the local_animals are searched in both
    # maps (one detection per body kept), the other animals in the frame-normalised map only.
    animal_local: bool | None = False
    # Cows (1-5.5 m^2) stand out of the frame-normalised map; in the local one, ground texture of
    # their size on compressed video became cows.
    local_animals: tuple[str, ...] = ("sheep",)
    # Calibrated (temperature_c) frames only: warmest apparent surface of a person or animal
    # (raised to the frame's median + 25 K in sun-heated scenes); None turns the gate off.
    max_body_c: float | None = 45.0
    # Livestock seen from above are elongated (a sheep's back ~2:1, a cow's ~3:1, a lying animal
    # still ~1.7:1); boulders, bushes and posts need not be. An animal candidate's score is scaled
    # by its shape's plausibility: 0 for a length/width ratio (measured after taking off the optics'
    # blur) up to animal_elongation[0], 1 from animal_elongation[1] on, log-linear between
    # (see animal_shape_factor). None: no shape factor.
    animal_elongation: tuple[float, float] | None = (1.4, 1.8)
    # Share of the ring around an animal candidate as warm as the body (surround_warm): a blob
    # with half its surround that warm or more is the corner or edge of a larger warm surface
    # (roof, wall, road, sun-warmed floor), not a body: score x 1 up to half this value, x 0 at it.
    max_surround_warm: float | None = 0.3
    min_area_px: int = 4             # smaller blobs are noise
    max_area_px: int = 2500          # larger blobs are buildings, roads, water (without GSD)
    max_aspect: float = 4.0          # longer/thinner blobs are roads, pipes, roof edges
    min_fill: float = 0.2            # blob area / box area below this is a line or ring
    box_pad_px: float = 0.0          # widen (or, negative, shrink) boxes per side to a labelling convention
    box_pad_grey_px: float | None = None  # ... on 8-bit frames (None: box_pad_px)
    split_min_area_px: int = 250     # only blobs this large are tried for splitting
    split_level: float = 0.35        # bodies in one blob are separated where the contrast dips below this fraction of the peak
    # A blob larger than any target is a warm surface (road, yard, warm slope); the bodies on it are
    # the parts this much (z) above its median contrast, each on its own. Before, such a blob was
    # shared out by the watershed when it had two cores (a cow on a warm road: the road became
    # "people") and dropped with one (the cow was lost). Chosen on HIT-UAV *train* night frames
    # (AP50 0.525 at 3.5, 0.550 at 5.25, 0.555 at 7.0 = without the rule, 0.553 at 10.5).
    # Surfaces of any size are searched (a road across the frame too; there was a cap of
    # 8 x max_area_px: in the sheep scene's views around the cow on the road, 35 of 45 bodies
    # found with it, 43 now; HIT-UAV figures and speed unchanged).
    surface_rise_z: float = 7.0
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
    # Sheep and cows (no real data to learn from): weights fitted on sim train splits for
    # the frame-normalised map; None = the fitted set for the map chosen by animal_local.
    animal_score_weights: tuple[float, ...] | None = None
    # Animal blobs are regrown to the region above this share of their peak contrast (their body;
    # see _refine_table). On 8-bit AGC video a warm body is clipped at the top of the grey range,
    # so its peak understates its contrast and the same share reaches further into the blur: a
    # higher share there (sim video, seed 51: sheep AP 0.58 at 0.3, 0.75 at 0.4 in the local map,
    # 0.06 and 0.11 in the frame-normalised one; radiometric 0.85 at 0.3, 0.66 at 0.4, where the
    # warmer face sets the peak and the fleece is ~55 % of it).
    refine_frac: float = 0.3
    refine_frac_grey: float = 0.4
    max_detections: int = 200
    gates: tuple[ClassGate, ...] = field(default=DEFAULT_GATES)
    # People (with a GSD) are also extracted at these further hysteresis levels (low_z, high_z):
    # one threshold cannot suit every body. Two people side by side make one blob at 3 z and
    # two at 5 or 7; a cool figure shows only below 3. Every level's candidates
    # are scored by the MLP person scorer (fitted on all levels' candidates; it learned which
    # cut of a body is the right box) and the overlapping ones reduced by non-maximum
    # suppression at person_nms_iou. On HIT-UAV *train* night frames the share of people with
    # a candidate at IoU >= 0.5 grows from 0.69 (one level) to 0.83 with these three.
    # The scorer learned from 8-bit frames of one camera at 0.03-0.13 m/px: the levels and the
    # scorer are used on frames of that kind within (a fifth beyond) that GSD range only, the
    # base level and the logistic score elsewhere (radiometric frames, a person of 3 x 3 px),
    # where the MLP would be extrapolating (ClassicalDetector.person_domain).
    person_levels_z: tuple[tuple[float, float], ...] = ((2.0, 3.0), (4.5, 5.0), (7.0, 7.0))
    # People (with a GSD, in the scorer's domain) are also proposed as boxes of these body sizes
    # (height, width on the ground, metres; the box a labeller draws, less box_pad) centred on
    # each warm peak of at least person_anchor_min_z (a local maximum of the smoothed contrast
    # within person_anchor_peak_m), whatever the thresholds make of the blob: a faint edge that
    # no level reaches, or two bodies that every level joins. The MLP scorer learned which of
    # them is a person. The sizes are the three k-means centres (log scale) of the people of
    # HIT-UAV *train* (never val); on its night frames the share of people with a candidate at
    # IoU >= 0.5 grows from 0.806 (the four levels) to 0.885 with them (docs/vision.md).
    person_anchors_m: tuple[tuple[float, float], ...] = ((0.9, 0.5), (0.85, 0.3), (0.45, 0.4))
    person_anchor_min_z: float = 5.0
    person_anchor_peak_m: float = 0.4
    person_anchor_max: int = 300     # most warm peaks proposed per frame (the warmest)
    person_nms_iou: float = 0.4
    person_nms_inside: float = 0.7
    # Box voting in that suppression (see _suppress): the kept box is the mean of the boxes it
    # suppressed at IoU >= person_nms_iou, weighted by score ** person_box_vote_power (None: off).
    # On HIT-UAV *train* night frames, powers 1, 2, 4, 8 give recall at precision 0.6 of
    # 0.798 / 0.799 / 0.799 / 0.801 and AP50 0.766 / 0.766 / 0.768 / 0.769 (no voting: 0.796 /
    # 0.758): within noise of each other, the middle one kept; val night 0.730 -> 0.741.
    person_box_vote_power: float | None = 4.0
    # The person scorer (a JSON file of vision.mlp.MlpScorer: a name in vision/models or a
    # path), fitted by `python -m vision.classical_fit HIT_UAV_ROOT train` for person_levels_z;
    # None: the logistic score_weights on the base level only (the scorer before session 4).
    person_scorer: str | None = "classical_person.json"

    def box_pad(self, kind: ValueKind) -> float:
        """The box padding per side (px) on frames of ``kind``."""
        if kind == ValueKind.GREY and self.box_pad_grey_px is not None:
            return self.box_pad_grey_px
        return self.box_pad_px

    def __post_init__(self) -> None:
        if not (0 <= self.refine_frac < 1 and 0 <= self.refine_frac_grey < 1):
            raise InputError(out_of_range("refine_frac, refine_frac_grey", (self.refine_frac, self.refine_frac_grey),
                                          "0 <= share < 1 (0: no regrowing)"))
        if not (math.isfinite(self.surface_rise_z) and self.surface_rise_z > 0):
            raise InputError(out_of_range("surface_rise_z", self.surface_rise_z, "> 0 (z above the surface's median)"))
        if not (0 < self.low_z <= self.high_z):
            raise InputError(out_of_range("low_z, high_z", (self.low_z, self.high_z), "0 < low_z <= high_z"))
        if not (8 <= self.background_px <= 400):
            raise InputError(out_of_range("background_px", self.background_px, "8..400 pixels"))
        if self.animal_score_weights is not None and len(self.animal_score_weights) != N_ANIMAL_FEATURES:
            raise InputError(f"animal_score_weights has {len(self.animal_score_weights)} values; expected "
                             f"{N_ANIMAL_FEATURES} (see animal_features).")
        if len(self.score_weights) != 71 or len(self.generic_score_weights) != 7:
            raise InputError(f"score_weights has {len(self.score_weights)} values and generic_score_weights "
                             f"{len(self.generic_score_weights)}; expected 71 and 7 (see score_features).")
        if self.animal_elongation is not None and not (1.0 <= self.animal_elongation[0] < self.animal_elongation[1]):
            raise InputError(out_of_range("animal_elongation", self.animal_elongation, "1 <= low < high, or None"))
        if self.max_surround_warm is not None and not (0.0 < self.max_surround_warm <= 1.0):
            raise InputError(out_of_range("max_surround_warm", self.max_surround_warm, "0 < value <= 1, or None"))
        for lv in self.person_levels_z:
            if not (len(lv) == 2 and all(math.isfinite(v) for v in lv) and 0 < lv[0] <= lv[1]):
                raise InputError(out_of_range("person_levels_z", self.person_levels_z,
                                              "pairs (low_z, high_z) with 0 < low_z <= high_z"))
        for hw in self.person_anchors_m:
            if not (len(hw) == 2 and all(math.isfinite(v) and 0.05 <= v <= 5.0 for v in hw)):
                raise InputError(out_of_range("person_anchors_m", self.person_anchors_m,
                                              "pairs (height, width) of 0.05..5 metres, or () for none"))
        if not (math.isfinite(self.person_anchor_min_z) and self.person_anchor_min_z > 0):
            raise InputError(out_of_range("person_anchor_min_z", self.person_anchor_min_z, "> 0 (z)"))
        if not (math.isfinite(self.person_anchor_peak_m) and 0 < self.person_anchor_peak_m <= 5.0):
            raise InputError(out_of_range("person_anchor_peak_m", self.person_anchor_peak_m, "0 < metres <= 5"))
        if not (1 <= self.person_anchor_max <= 100_000):
            raise InputError(out_of_range("person_anchor_max", self.person_anchor_max, "1..100000 peaks"))
        if not (0.0 < self.person_nms_iou <= 1.0 and 0.0 < self.person_nms_inside <= 1.0):
            raise InputError(out_of_range("person_nms_iou, person_nms_inside",
                                          (self.person_nms_iou, self.person_nms_inside), "0 < share <= 1"))
        if self.person_box_vote_power is not None and not (math.isfinite(self.person_box_vote_power)
                                                           and 0.0 <= self.person_box_vote_power <= 50.0):
            raise InputError(out_of_range("person_box_vote_power", self.person_box_vote_power,
                                          "0..50 (the power of the score weighting the voting boxes), or None for none"))
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
    # Measured on the body region of animal candidates only (see body_shape); 1 and 0 otherwise.
    elongation: float = 1.0
    surround_warm: float = 0.0
    # The contrast of the warm surface the body stands on (a road), 0 on open ground.
    base_z: float = 0.0


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


def _box_pixels(heights: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pixel of ``n`` boxes as one ragged array, box after box in raster order:
    (which box, row in it, column in it), without a division per pixel."""
    rows = np.repeat(np.arange(heights.size), heights)
    row_in = np.arange(rows.size) - (np.cumsum(heights) - heights)[rows]
    per_row = widths[rows]
    pix_row = np.repeat(np.arange(rows.size), per_row)
    col_in = np.arange(pix_row.size) - (np.cumsum(per_row) - per_row)[pix_row]
    return rows[pix_row], row_in[pix_row], col_in


def _take(a: np.ndarray, flat: np.ndarray, rr: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """``a[rr, cc]``, by the flat indices ``flat`` (``rr * width + cc``) where ``a`` is a C-contiguous array."""
    if isinstance(a, np.ndarray) and a.flags.c_contiguous:
        return a.ravel().take(flat)
    return a[rr, cc]


def _take_z(maps: "ContrastMaps", flat: np.ndarray, rr: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image values, contrast ``z``) at the pixels ``rr``, ``cc`` (flat indices ``flat``), float32."""
    iv = _take(maps.img, flat, rr, cc).astype(np.float32)
    return iv, (iv - _take(maps.background, flat, rr, cc)) * _take(maps.inv_scale, flat, rr, cc)


def _z_grid(maps: "ContrastMaps", rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(n, a, b) contrast ``z`` on the grids rows (n, a) x cols (n, b), 0 outside the frame."""
    h, w = maps.img.shape
    ok = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    ri, ci = np.clip(rows, 0, h - 1)[:, :, None], np.clip(cols, 0, w - 1)[:, None, :]
    z = (maps.img[ri, ci].astype(np.float32) - maps.background[ri, ci]) * maps.inv_scale[ri, ci]
    return np.where(ok, z, np.float32(0.0))


def _windows(a: np.ndarray, rows: np.ndarray, left: np.ndarray, side: int) -> np.ndarray:
    """(k, side, side): the squares of ``a`` at rows ``rows`` (k, side) and columns ``left[i]``
    to ``left[i] + side`` (inside ``a``), gathered a row segment at a time (a third of the time
    of gathering them pixel by pixel)."""
    s0, s1 = a.strides
    segs = np.lib.stride_tricks.as_strided(a, (a.shape[0], a.shape[1] - side + 1, side), (s0, s1, s1), writeable=False)
    return segs[rows, left[:, None]]


@dataclass(frozen=True, eq=False)
class ContrastMaps:
    """The background model of one frame, from which the contrast ``z`` is read where it is needed.

    ``z = (img - background) * inv_scale`` (unit-free: residual in clutter
    units). The full-resolution ``background`` and ``inv_scale`` are linear
    upsamplings of a 4x downsampled model; ``low_mask`` marks the pixels above
    the growth threshold (``img`` over an upsampled threshold map, so no
    full-frame ``z`` is ever built). ``frame_median``/``frame_spread`` are
    the frame-wide median and robust spread of ``img`` (for ``global_z``).
    """

    img: np.ndarray
    background: np.ndarray
    inv_scale: np.ndarray
    low_mask: np.ndarray
    frame_median: float
    frame_spread: float
    kind: ValueKind = ValueKind.GREY
    # The workspace the maps were made with (see contrast_maps): blob_table reuses it.
    work: dict | None = field(default=None, repr=False)
    local: bool = False  # made by contrast_maps(local=True)
    # The 4x downsampled background and 1/scale the full-resolution ones were upsampled
    # from (None: threshold masks at other levels are made at full resolution).
    background_small: np.ndarray | None = field(default=None, repr=False)
    inv_scale_small: np.ndarray | None = field(default=None, repr=False)

    def z(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """``z`` of the window rows r0:r1, cols c0:c1 (float32)."""
        a = self.img[r0:r1, c0:c1].astype(np.float32)
        return (a - self.background[r0:r1, c0:c1]) * self.inv_scale[r0:r1, c0:c1]

    def at_level(self, low_z: float, slot: int | str = 0) -> "ContrastMaps":
        """The same model with ``low_mask`` at another growth threshold ``low_z``, made as
        :func:`contrast_maps` makes its own (:func:`_low_mask`). ``slot`` picks the workspace
        buffer the mask is written to (masks held at once need different slots)."""
        small = self.background_small is not None and self.inv_scale_small is not None
        bg, inv = (self.background_small, self.inv_scale_small) if small else (self.background, self.inv_scale)
        return replace(self, low_mask=_low_mask(self.img, bg, inv, low_z, self.work, ("low_level", slot)))


def _low_mask(f: np.ndarray, bg: np.ndarray, inv: np.ndarray, low_z: float, work: dict | None,
              key: tuple) -> np.ndarray:
    """255 where ``f`` is above ``bg + low_z / inv``, else 0 (into ``work[key]``). The threshold
    map is made at the resolution of ``bg`` and ``inv`` and upsampled linearly when that is
    lower than ``f``'s, so no full-frame ``z`` is built."""
    h, w = f.shape
    thr = bg + np.float32(low_z) / inv
    if f.dtype == np.uint8:
        # img > t  <=>  img > floor(t) for integer grey levels; 255 means nothing passes.
        thr = np.clip(np.floor(thr), 0, 255).astype(np.uint8)
    if thr.shape != (h, w):
        thr = cv2.resize(thr, (w, h), dst=_buffer(work, ("thr",), (h, w), thr.dtype), interpolation=cv2.INTER_LINEAR)
    return cv2.compare(f, thr, cv2.CMP_GT, dst=_buffer(work, key, (h, w), np.uint8))


def _buffer(work: dict | None, key: tuple, shape: tuple[int, ...], dtype: type) -> np.ndarray | None:
    """An array of ``work`` to write into again (None without ``work``: OpenCV makes a new one).

    Full-frame arrays made anew for every frame cost more than filling them: freed
    between frames, their memory goes back to the system and is faulted in again, page
    by page (~800 page faults a 640x512 frame, a third of the detector's time)."""
    if work is None:
        return None
    a = work.get(key)
    if a is None or a.shape != shape or a.dtype != dtype:
        a = work[key] = np.empty(shape, dtype)
    return a


def _clean(img: np.ndarray, work: dict | None = None) -> np.ndarray:
    """uint8 as it is (cv2 promotes it without a full-resolution copy), else finite float32."""
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.float32:
        f = img
    else:
        f = _buffer(work, ("f",), img.shape, np.float32)
        f = img.astype(np.float32) if f is None else _cast_into(f, img)
    # A sum is finite only if every value is (an overflow merely takes the exact check).
    if not math.isfinite(float(f.sum())) and not np.isfinite(f).all():
        f = np.nan_to_num(f, nan=float(np.nanmedian(f)), posinf=0.0, neginf=0.0)
    return f


def _cast_into(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    np.copyto(out, a, casting="unsafe")
    return out


def contrast_maps(img: np.ndarray, kind: ValueKind, background_px: int, *, low_z: float = 3.0,
                  edge_envelope: bool = True, local: bool = False, work: dict | None = None) -> ContrastMaps:
    """The background model of ``img`` (see :class:`ContrastMaps` and the module docstring).

    With ``edge_envelope`` the background is the upper envelope of the
    opening (3x3 dilation at low resolution), so the edges of warm roofs and
    roads are not left over as thin warm residuals.

    ``local=False`` (people): the residual is over that envelope, the scale
    the mean absolute residual in a window twice the element's size, floored
    by the frame's pixel noise (MAD of the residual). ``local=True`` (small
    animals, a few pixels): the level is the envelope plus the local mean
    residual, the scale the local mean absolute deviation in a window of the
    element's size, floored by the *local* pixel noise (neighbour
    differences) instead of a frame-wide one, so a sheep on a smooth warm pen
    floor is measured against that floor's noise, not against the texture of
    the meadow around it.

    ``work`` (a dict, private to one thread): full-resolution arrays are reused from
    it and kept there for the next frame, so maps made with it hold until the next call
    with the same ``work``; without it every array is new.
    """
    h, w = img.shape
    f = _clean(img, work)
    hs, ws = max(2, h // _DOWN), max(2, w // _DOWN)
    small = cv2.resize(f, (ws, hs), interpolation=cv2.INTER_AREA).astype(np.float32, copy=False)
    k = max(3, int(round(background_px / _DOWN)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel)
    bg_small = cv2.dilate(opened, np.ones((3, 3), np.uint8)) if edge_envelope else cv2.blur(opened, (3, 3))
    # Pixel noise and clutter from point samples of the full-resolution frame, one per
    # 4x4 cell (averaging would hide the pixel noise), against the low-resolution background.
    c0 = _DOWN // 2
    samp = f[c0::_DOWN, c0::_DOWN][:hs, :ws].astype(np.float32)
    sh, sw = samp.shape
    resid = samp - bg_small[:sh, :sw]
    if not local:
        noise = max(_median(np.abs(resid - _median(resid))) * 1.4826, _NOISE_FLOOR[kind])
        absres = np.zeros((hs, ws), np.float32)
        absres[:sh, :sw] = np.minimum(np.abs(resid), 4 * noise)
        clutter = cv2.blur(absres, (k * 2 + 1, k * 2 + 1))
        inv_small = (1.0 / np.maximum(clutter * 1.25, noise)).astype(np.float32)
    else:
        # Differences of horizontal neighbours at the sample points: sensor noise and
        # pixel-scale texture, without the terrain's slower variations.
        right = f[c0::_DOWN, c0 + 1::_DOWN][:sh, :sw].astype(np.float32)
        dd = np.abs(samp[:, : right.shape[1]] - right)
        noise = max(_median(dd) * 1.4826 / math.sqrt(2.0), _NOISE_FLOOR[kind])
        rc = np.zeros((hs, ws), np.float32)
        rc[:sh, :sw] = np.clip(resid, -4 * noise, 4 * noise)
        mu = cv2.blur(rc, (k, k))
        clutter = cv2.blur(np.abs(rc - mu), (k, k))
        dmap = np.zeros((hs, ws), np.float32)
        dmap[: dd.shape[0], : dd.shape[1]] = np.minimum(dd, 4 * noise)
        # Mean absolute difference of two neighbours -> sigma of one pixel: sqrt(pi) / 2.
        lnoise = cv2.blur(dmap, (k, k)) * np.float32(math.sqrt(math.pi) / 2.0)
        inv_small = (1.0 / np.maximum(np.maximum(clutter * 1.25, lnoise), _NOISE_FLOOR[kind])).astype(np.float32)
        bg_small = bg_small + mu
    bg = cv2.resize(bg_small, (w, h), dst=_buffer(work, ("bg", local), (h, w), np.float32),
                    interpolation=cv2.INTER_LINEAR)
    inv = cv2.resize(inv_small, (w, h), dst=_buffer(work, ("inv", local), (h, w), np.float32),
                     interpolation=cv2.INTER_LINEAR)
    low = _low_mask(f, bg_small, inv_small, low_z, work, ("low", local))
    sub = f[::8, ::8].astype(np.float32)
    med = _median(sub)
    spread = max(_median(np.abs(sub - med)) * 1.4826, 1e-6)
    return ContrastMaps(f, bg, inv, low, med, spread, kind, work, local, bg_small, inv_small)


def contrast_map(img: np.ndarray, kind: ValueKind, background_px: int, *, edge_envelope: bool = True) -> np.ndarray:
    """Local contrast ``z`` of the whole frame (float32, same shape); the detector itself
    reads ``z`` only around candidates (:class:`ContrastMaps`)."""
    m = contrast_maps(img, kind, background_px, edge_envelope=edge_envelope)
    return m.z(0, img.shape[0], 0, img.shape[1])


_COLUMNS = ("top_px", "left_px", "height_px", "width_px", "area_px", "peak_z", "mean_z", "global_z", "base_z")


def blob_table(maps: ContrastMaps, params: ClassicalParams, gsd_m: float | None,
               gates: tuple[ClassGate, ...] | None = None) -> dict[str, np.ndarray]:
    """Hysteresis-thresholded blobs of the contrast map, one array per column of ``_COLUMNS``.

    Connected components of ``maps.low_mask`` (pixels above ``low_z``) are
    kept when their peak ``z`` exceeds ``high_z``. A blob of at least two
    bodies' area (``split_min_area_px``, or with a GSD twice the typical area
    of the smallest class in ``gates``) with several separate warm cores
    (people standing in a group, animals in a flock) is split by a watershed
    from those cores, so each body gets its own box. ``global_z`` is the
    blob's peak over the frame median in robust frame-wide spreads: warm
    bodies at night stand out of the whole frame, texture and noise only
    locally. ``z`` is computed only at the pixels of the candidate blobs, all
    blobs at once; only blobs to be split are measured one by one.
    """
    empty = {k: np.zeros(0) for k in _COLUMNS}
    comps = _components(maps.low_mask, maps.work, "labels")
    if comps is None:
        return empty
    labels, stats = comps
    area = stats[:, cv2.CC_STAT_AREA]
    split_px = params.split_min_area_px
    gates = params.gates if gates is None else gates
    refine_frac = params.refine_frac_grey if maps.kind == ValueKind.GREY else params.refine_frac
    direct_px = _direct_px(params, gsd_m, gates, refine_frac)
    if gsd_m and gates:
        split_px = max(split_px, int(2.0 * min(g.typical_m2 for g in gates) / (gsd_m * gsd_m)))
    # Blobs larger than any target (direct_px) can only yield targets by splitting: warm
    # surfaces of any size (a road across the frame too) are searched for bodies on them.
    big = np.flatnonzero((area > direct_px) & (area >= split_px))
    cand = np.flatnonzero((area >= params.min_area_px) & (area <= direct_px))
    cand = cand[cand > 0]
    if gsd_m and gates and refine_frac > 0 and all(g.name in _ANIMALS for g in gates):
        # Animal blobs are regrown within their box widened by 2 px (_refine_table): a blob
        # whose widened box is smaller than the smallest animal cannot become one.
        room = (stats[cand, cv2.CC_STAT_WIDTH] + 4) * (stats[cand, cv2.CC_STAT_HEIGHT] + 4) * (gsd_m * gsd_m)
        cand = cand[room >= min(g.min_m2 for g in gates)]
    cand = np.concatenate([cand, big[big > 0]]) if big.size else cand
    if cand.size == 0:
        return empty
    st = stats[cand].astype(np.int64)
    x, y, bw, bh, a = st.T
    n_direct = int(np.count_nonzero(a <= direct_px))
    # Every pixel of every small candidate's box, as one ragged array (comp = which candidate).
    comp, rr, cc = _box_pixels(np.where(np.arange(cand.size) < n_direct, bh, 0), bw)
    rr += y[comp]
    cc += x[comp]
    flat = rr * labels.shape[1] + cc
    mine = labels.ravel().take(flat) == cand[comp]
    comp, rr, cc, flat = comp[mine], rr[mine], cc[mine], flat[mine]
    img = maps.img
    iv, zv = _take_z(maps, flat, rr, cc)
    # comp is sorted and every candidate keeps at least one pixel (its own component's):
    # per-candidate maxima over contiguous runs.
    peak = np.full(cand.size, -np.inf, np.float32)
    gmax = np.full(cand.size, -np.inf, np.float32)
    if comp.size:
        starts = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])
        first = comp[starts]
        peak[first] = np.maximum.reduceat(zv, starts)
        gmax[first] = np.maximum.reduceat(iv, starts)
    zsum = np.bincount(comp, weights=zv, minlength=cand.size)
    med, spread, high = maps.frame_median, maps.frame_spread, params.high_z
    cols = {"top_px": y, "left_px": x, "height_px": bh, "width_px": bw, "area_px": a, "peak_z": peak.astype(float),
            "mean_z": zsum / a, "global_z": (gmax.astype(float) - med) / spread, "base_z": np.zeros(cand.size)}
    keep = peak > high
    keep[n_direct:] = False
    parts: list[dict[str, np.ndarray]] = []
    for i in np.flatnonzero((a >= split_px) & ((peak > high) | (np.arange(cand.size) >= n_direct))).tolist():
        x0, y0, w0, h0 = int(x[i]), int(y[i]), int(bw[i]), int(bh[i])
        m = labels[y0:y0 + h0, x0:x0 + w0] == cand[i]
        zs = maps.z(y0, y0 + h0, x0, x0 + w0)
        if i >= n_direct and not float(zs[m].max()) > high:
            continue
        pieces = _split(zs, m, params, surface=i >= n_direct)
        if pieces is None:
            continue
        keep[i] = False
        pt = _part_table(zs, img[y0:y0 + h0, x0:x0 + w0], pieces[0], pieces[1], x0, y0)
        pt["global_z"] = (pt["global_z"] - med) / spread
        pt["base_z"] = np.full(pt["area_px"].size, pieces[2])
        ok = (pt["area_px"] >= params.min_area_px) & (pt["peak_z"] > high)
        parts.append({k: v[ok] for k, v in pt.items()})
    out = {k: np.concatenate([np.asarray(v, float)[keep]] + [np.asarray(p[k], float) for p in parts])
           for k, v in cols.items()}
    return out


def _features_from_table(t: dict[str, np.ndarray], gsd_m: float | None) -> list[BlobFeatures]:
    g2 = gsd_m * gsd_m if gsd_m else None
    top, left, h, w, a = (t[k].astype(np.int64) for k in _COLUMNS[:5])
    aspect = np.maximum(w, h) / np.maximum(1, np.minimum(w, h))
    fill = a / (w * h).astype(float)
    area_m2 = (a * g2).tolist() if g2 else [None] * a.size
    return [BlobFeatures(top_px=tp, left_px=lf, height_px=hh, width_px=ww, area_px=aa, peak_z=pk, mean_z=mz,
                         aspect=asp, fill=fl, area_m2=am, global_z=gz, base_z=bz)
            for tp, lf, hh, ww, aa, pk, mz, asp, fl, am, gz, bz in zip(
                top.tolist(), left.tolist(), h.tolist(), w.tolist(), a.tolist(), t["peak_z"].tolist(),
                t["mean_z"].tolist(), aspect.tolist(), fill.tolist(), area_m2, t["global_z"].tolist(), t["base_z"].tolist())]


def blob_features(maps: ContrastMaps, params: ClassicalParams, gsd_m: float | None,
                  gates: tuple[ClassGate, ...] | None = None) -> list[BlobFeatures]:
    """The blobs of :func:`blob_table` as :class:`BlobFeatures` (before gating)."""
    return _features_from_table(blob_table(maps, params, gsd_m, gates), gsd_m)


def _part_table(zs: np.ndarray, iv: np.ndarray, parts: np.ndarray, k: int, x: int, y: int) -> dict[str, np.ndarray]:
    """Columns (``_COLUMNS``, before ``global_z`` scaling: the peak value of ``iv``) of the
    ``k`` parts labelled 1..k in ``parts`` (a window at column ``x``, row ``y``)."""
    idx = np.flatnonzero(parts.ravel() > 0)
    lab = parts.ravel()[idx] - 1
    w = parts.shape[1]
    r, c = idx // w, idx % w
    zv, vv = zs.ravel()[idx], iv.ravel()[idx].astype(np.float32)
    area = np.bincount(lab, minlength=k).astype(float)
    top = np.full(k, 1 << 30)
    np.minimum.at(top, lab, r)
    bot = np.full(k, -1)
    np.maximum.at(bot, lab, r)
    left = np.full(k, 1 << 30)
    np.minimum.at(left, lab, c)
    right = np.full(k, -1)
    np.maximum.at(right, lab, c)
    peak = np.full(k, -np.inf, np.float32)
    np.maximum.at(peak, lab, zv)
    vmax = np.full(k, -np.inf, np.float32)
    np.maximum.at(vmax, lab, vv)
    zsum = np.bincount(lab, weights=zv, minlength=k)
    ok = area > 0
    return {"top_px": (y + top)[ok], "left_px": (x + left)[ok], "height_px": (bot - top + 1)[ok],
            "width_px": (right - left + 1)[ok], "area_px": area[ok], "peak_z": peak[ok].astype(float),
            "mean_z": zsum[ok] / area[ok], "global_z": vmax[ok].astype(float)}


def _split(zs: np.ndarray, m: np.ndarray, params: ClassicalParams, *, surface: bool = False
           ) -> tuple[np.ndarray, int, float] | None:
    """The bodies inside one blob as a label window (1..k, 0 outside them), k and the
    level they stand on (``z``; 0 but on a warm surface), or None when it is one body.

    Cores are the parts of the blob above ``split_level`` of its peak
    contrast; two cores mean two bodies whose saddle lies below that level
    (noise on one warm body does not split it). The rest of the blob is
    shared out by a watershed from the cores.

    ``surface``: the blob is larger than any target, a warm surface (a road, a
    yard, a sun-warmed slope) the background model could not take out, that
    may hold bodies (a cow or a walker on a warm road). The bodies are then the
    parts that stand ``surface_rise_z`` above the surface's own median contrast,
    each on its own (a single one too), not shared out over the surface; that median
    (>= 0) is the level they stand on, from which their extent is measured
    (:func:`_refine_table`).
    """
    zsm = cv2.GaussianBlur(zs, (3, 3), 0)
    m8 = m.view(np.uint8)
    if surface:
        surface_z = max(_median(zsm[m]), 0.0)
        level = params.surface_rise_z + surface_z
        cores = cv2.compare(zsm, float(np.float32(level)), cv2.CMP_GT) & m8
        n, markers, stats, _ = cv2.connectedComponentsWithStats(cores, connectivity=8, ltype=cv2.CV_32S)
        keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= 2)
        keep = keep[keep > 0]
        if keep.size == 0:
            return None
        lut = np.zeros(n, np.int32)
        lut[keep] = np.arange(1, keep.size + 1)
        return lut[markers], int(keep.size), surface_z
    peak = cv2.minMaxLoc(zsm, m8)[1]
    level = max(params.high_z, params.split_level * peak)
    # zsm > level (float32 against the level rounded to float32, as NumPy compares them) within m.
    cores = cv2.compare(zsm, float(np.float32(level)), cv2.CMP_GT) & m8
    n, markers, stats, _ = cv2.connectedComponentsWithStats(cores, connectivity=8, ltype=cv2.CV_32S)
    if n <= 2:
        return None
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= 2)
    big = big[big > 0]
    if big.size < 2:
        return None
    lut = np.zeros(n, np.int32)
    lut[big] = np.arange(1, big.size + 1)
    mk = lut[markers]
    mk[~m] = big.size + 1
    # 255 - 255 * max(zsm, 0) / peak in float32, clipped to 0..255, truncated: in place.
    relief = np.maximum(zsm, 0)
    relief *= 255.0
    relief /= max(peak, 1e-6)
    np.subtract(255.0, relief, out=relief)
    relief = np.clip(relief, 0, 255, out=relief).astype(np.uint8)
    cv2.watershed(cv2.cvtColor(relief, cv2.COLOR_GRAY2BGR), mk)
    mk[(mk > big.size) | ~m] = 0
    np.maximum(mk, 0, out=mk)
    return mk, int(big.size), 0.0


_THREAD = threading.local()


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
        self._w_person = np.asarray(self.params.score_weights, np.float64)
        self._w_generic = np.asarray(self.params.generic_score_weights, np.float64)
        wa = self.params.animal_score_weights
        self._w_animal = {key: np.asarray(wa if wa is not None else w, np.float64) for key, w in _ANIMAL_WEIGHTS.items()}
        p = self.params
        self.person_mlp: MlpScorer | None = _person_scorer(p.person_scorer) if p.person_scorer else None
        # The scorer's domain: the kinds of frame and (a fifth beyond) the GSD range it was fitted on.
        self._person_domain: tuple[tuple[str, ...], float, float] | None = None
        if self.person_mlp is not None:
            meta = self.person_mlp.meta
            fitted = tuple(tuple(float(v) for v in lv) for lv in meta.get("levels_z", ()))
            wanted = tuple(tuple(float(v) for v in lv) for lv in p.person_levels_z)
            fitted_anchors = (tuple(tuple(float(v) for v in hw) for hw in meta.get("anchors_m", ())),
                              float(meta.get("anchor_min_z", p.person_anchor_min_z)),
                              float(meta.get("anchor_peak_m", p.person_anchor_peak_m)))
            wanted_anchors = (tuple(tuple(float(v) for v in hw) for hw in p.person_anchors_m),
                              float(p.person_anchor_min_z), float(p.person_anchor_peak_m))
            # Without anchors on either side, their settings do not matter.
            anchors_differ = bool(fitted_anchors[0] or wanted_anchors[0]) and fitted_anchors != wanted_anchors
            n_cols = len(wanted) + (1 if p.person_anchors_m else 0)
            if fitted != wanted or anchors_differ or self.person_mlp.n_features != N_PERSON_FEATURES + n_cols:
                raise InputError(f"person_scorer {p.person_scorer!r} was fitted for person_levels_z={fitted} "
                                 f"and person_anchors_m={fitted_anchors[0]} (min z {fitted_anchors[1]}, peaks "
                                 f"{fitted_anchors[2]} m; {self.person_mlp.n_features} features); these parameters "
                                 f"ask for {wanted} and {wanted_anchors[0]} (min z {wanted_anchors[1]}, peaks "
                                 f"{wanted_anchors[2]} m). Refit it (`python -m vision.classical_fit "
                                 "HIT_UAV_ROOT train --out FILE`) or keep the default levels and anchors.")
            gsd_lo, gsd_hi = self.person_mlp.meta.get("gsd_m_range") or (0.0, math.inf)
            kinds = tuple(self.person_mlp.meta.get("kinds", [ValueKind.GREY.value]))
            self._person_domain = (kinds, gsd_lo / 1.2, gsd_hi * 1.2)
        # At the extra levels blobs are not split (nor warm surfaces searched): the other levels
        # cut merged bodies apart (on HIT-UAV train night frames the levels' union covers 0.831 of
        # the people without splitting there, 0.835 with it, at 1 ms more per frame).
        self._level_params = tuple(replace(p, low_z=lo, high_z=hi, split_min_area_px=_NO_SPLIT_PX)
                                   for lo, hi in p.person_levels_z)

    def animal_weights(self, kind: ValueKind, local: bool | None = None) -> np.ndarray:
        """The animal score weights for frames of ``kind`` in the locally normalised map
        (``local``) or the frame-normalised one (None: the sheep map of :meth:`animal_local`)."""
        return self._w_animal[(self.animal_local(kind) if local is None else local, kind != ValueKind.GREY)]

    def refine_frac(self, kind: ValueKind) -> float:
        """The share of the peak contrast animal blobs are regrown to on frames of ``kind``."""
        return self.params.refine_frac_grey if kind == ValueKind.GREY else self.params.refine_frac

    def animal_local(self, kind: ValueKind) -> bool:
        """Whether the ``local_animals`` are searched in the locally normalised map on frames of ``kind``."""
        loc = self.params.animal_local
        return kind == ValueKind.GREY if loc is None else bool(loc)

    def maps(self, img: np.ndarray, kind: ValueKind, gsd_m: float | None, *, local: bool = False,
             work: dict | None = None) -> ContrastMaps:
        """The frame's background model at this detector's scale (``background_m`` with a GSD);
        ``work``: see :func:`contrast_maps` (:meth:`detect` passes a workspace of its thread)."""
        p = self.params
        bg_px = int(min(120, max(16, p.background_m / gsd_m))) if gsd_m else p.background_px
        return contrast_maps(img, kind, bg_px, low_z=p.low_z, edge_envelope=p.edge_envelope, local=local, work=work)

    @staticmethod
    def _workspace() -> dict:
        """This thread's arrays reused from frame to frame by :meth:`detect` of any detector
        (nothing made with them leaves detect, and one thread runs one detect at a time)."""
        work = getattr(_THREAD, "work", None)
        if work is None:
            work = _THREAD.work = {}
        return work

    def channels(self, gsd_m: float | None, kind: ValueKind = ValueKind.TEMPERATURE_C
                 ) -> list[tuple[bool, tuple[ClassGate, ...]]]:
        """(local map?, gates) of each candidate search this detector makes at ``gsd_m``:
        with a GSD, people and animals apart (each blob measured, boxed and scored as its
        kind), both in the frame-normalised map, and the ``local_animals`` once more in the
        locally normalised map where :meth:`animal_local` says so for frames of ``kind``;
        without one, every class at once (``hotspot``)."""
        if gsd_m is None:
            return [(False, self.gates)]
        people = tuple(g for g in self.gates if g.name not in _ANIMALS)
        animals = tuple(g for g in self.gates if g.name in _ANIMALS)
        if not self.animal_local(kind):
            return [(False, g) for g in (people, animals) if g]
        small = tuple(g for g in animals if g.name in self.params.local_animals)
        return [(loc, g) for loc, g in ((False, people), (False, animals), (True, small)) if g]

    def candidates(self, maps: ContrastMaps, gsd_m: float | None, gates: tuple[ClassGate, ...] | None = None,
                   table: dict[str, np.ndarray] | None = None, *, prune: bool = True
                   ) -> list[tuple[BlobFeatures, str, float]]:
        """Blobs that pass the shape and size gates (``gates``, default all of this
        detector's), with their class and size fit; ``table`` is the map's blob table
        when already made (for every class searched in that map). With ``prune``,
        animal blobs whose score cannot reach ``min_score`` whatever their regrown
        box are dropped before regrowing (the result is the same; for fitting
        weights, ``prune=False`` keeps them)."""
        p = self.params
        gates = self.gates if gates is None else gates
        t = blob_table(maps, p, gsd_m, gates) if table is None else table
        refined = (self.refine_frac(maps.kind) > 0 and gsd_m is not None and bool(gates)
                   and all(g.name in _ANIMALS for g in gates))
        if refined:
            # The regrown region lies in the box widened by 2 px: blobs whose widened box is
            # smaller than the smallest animal cannot pass the gates and are not regrown.
            keep = (t["height_px"] + 4) * (t["width_px"] + 4) * gsd_m * gsd_m >= min(g.min_m2 for g in gates)
            if prune and keep.any():
                keep &= self._animal_score_bound(t, maps.kind, maps.local) >= p.min_score
            t = _refine_table(maps, {k: v[keep] for k, v in t.items()}, self.refine_frac(maps.kind))
        h, w, area = t["height_px"], t["width_px"], t["area_px"]
        aspect = np.maximum(w, h) / np.maximum(1.0, np.minimum(w, h))
        ok = (aspect <= p.max_aspect) & (area >= p.min_fill * w * h)
        if maps.kind == ValueKind.TEMPERATURE_C and p.max_body_c is not None:
            # Calibrated frames: nothing alive shows a surface hotter than max_body_c, or in a
            # sun-heated scene than 25 K over the ground's median (dark clothing or fleece in
            # the sun): chimneys, exhausts and fires are rejected on temperature.
            limit = max(p.max_body_c, maps.frame_median + 25.0)
            ok &= t["global_z"] * maps.frame_spread + maps.frame_median <= limit
        if gsd_m is None:
            ok &= area <= p.max_area_px
            fit = _PIXEL_GATE.fit_array(area)
            cls_idx = np.zeros(area.size, np.int64)
            names = ("hotspot",)
        else:
            a_m2 = area * gsd_m * gsd_m
            fits = np.array([np.where(aspect <= g.max_aspect, g.fit_array(a_m2), 0.0) for g in gates])
            fits = fits.reshape(len(gates), area.size)
            cls_idx = np.argmax(fits, axis=0) if len(gates) else np.zeros(area.size, np.int64)
            fit = fits[cls_idx, np.arange(area.size)] if len(gates) else np.zeros(area.size)
            names = tuple(g.name for g in gates)
        ok &= fit > 0.0
        idx = np.flatnonzero(ok)
        sub = {k: v[idx] for k, v in t.items()}
        blobs = _features_from_table(sub, gsd_m)
        return [(b, names[c], f) for b, c, f in zip(blobs, cls_idx[idx].tolist(), fit[idx].tolist())]

    def _animal_score_bound(self, t: dict[str, np.ndarray], kind: ValueKind, local: bool) -> np.ndarray:
        """Highest animal score each blob of table ``t`` can get once regrown: its contrast
        terms (which regrowing does not change) with the most favourable fill, aspect and
        size fit the gates let through (the shape factor only lowers it further)."""
        p = self.params
        w = self.animal_weights(kind, local)
        logit = (w[0] * np.log(np.maximum(t["peak_z"], 1e-3)) + w[1] * np.log(np.maximum(t["mean_z"], 1e-3))
                 + w[5] * np.log1p(np.maximum(t["global_z"], 0.0)) + max(w[2] * p.min_fill, w[2])
                 + max(0.0, w[3] * math.log(max(p.max_aspect, 1.0))) + max(0.0, w[4]) + w[6])
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0)))

    def feature_rows(self, maps: ContrastMaps, kept: list[tuple[BlobFeatures, str, float]],
                     gsd_m: float | None) -> tuple[np.ndarray, np.ndarray]:
        """(X, is_person): score features of every kept blob (71 columns; the 64 patch
        cells are zero and unused for blobs that are not people)."""
        x = np.zeros((len(kept), N_SCORE_FEATURES))
        person = np.array([cls == "person" for _, cls, _ in kept], bool)
        for i, (b, _, fit) in enumerate(kept):
            x[i, :6] = _base_features(b, fit)
        x[:, -1] = 1.0
        if person.any():
            side = patch_side_px(self.params, gsd_m)
            x[person, 6:-1] = contrast_patches(maps, [kept[i][0] for i in np.flatnonzero(person)], side)
        return x, person

    def detect(self, frame: ThermalFrame | np.ndarray, *, gsd_m: float | None = None,
               frame_index: int | None = None, frame_time_s: float | None = None) -> list[Detection]:
        p = self.params
        if gsd_m is not None and not (math.isfinite(gsd_m) and GSD_RANGE_M[0] <= gsd_m <= GSD_RANGE_M[1]):
            raise InputError(out_of_range("gsd_m", gsd_m, f"{GSD_RANGE_M[0]:g}..{GSD_RANGE_M[1]:g} metres per pixel",
                                          "ground sample distance"))
        img, kind, usable = _as_image(frame)
        if isinstance(frame, ThermalFrame):
            frame_index = frame.frame_index if frame_index is None else frame_index
            frame_time_s = frame.time_s if frame_time_s is None else frame_time_s
        if not usable:
            return []
        # (A sum is finite only if every value is; an overflow merely takes the exact check.)
        if img.dtype.kind == "f" and not math.isfinite(float(img.sum())) and not np.isfinite(img).all():
            finite = np.isfinite(img)
            if not finite.any():
                return []
            # Dead pixels (NaN/inf) take the frame's median: they can be neither warm nor cold.
            med = float(np.median(img[finite]))
            img = np.where(finite, img, med).astype(np.float32)
        h, w = img.shape
        dets: list[Detection] = []
        channels = self.channels(gsd_m, kind)
        made: dict[bool, tuple[ContrastMaps, dict[str, np.ndarray]]] = {}
        for local, gates in channels:
            if local not in made:
                maps = self.maps(img, kind, gsd_m, local=local, work=self._workspace())
                shared = tuple(g for loc, gs in channels if loc == local for g in gs)
                made[local] = (maps, blob_table(maps, p, gsd_m, shared))
            maps, table = made[local]
            if self._multi_level(gsd_m, gates, local, kind):
                kept, levels = self.person_candidates(maps, gsd_m, gates, table)
                if kept:
                    found = self._detections(maps, kept, gsd_m, (h, w), frame_index, frame_time_s, levels)
                    dets.extend(_suppress(found, p.person_nms_iou, p.person_nms_inside,
                                          vote_power=p.person_box_vote_power))
                continue
            kept = self.candidates(maps, gsd_m, gates, table)
            if kept:
                dets.extend(self._detections(maps, kept, gsd_m, (h, w), frame_index, frame_time_s))
        if len(dets) > 1 and len(channels) > 1:
            dets = _resolve_overlaps(dets, self.gates)
        dets.sort(key=lambda d: -d.score)
        return dets[: p.max_detections]

    def person_domain(self, gsd_m: float | None, kind: ValueKind) -> bool:
        """Whether the MLP person scorer applies to frames of ``kind`` at ``gsd_m``: the kind of
        frame it was fitted on, at a GSD within a fifth beyond the range of its training frames."""
        if self._person_domain is None or gsd_m is None:
            return False
        kinds, lo, hi = self._person_domain
        return kind.value in kinds and lo <= gsd_m <= hi

    def _multi_level(self, gsd_m: float | None, gates: tuple[ClassGate, ...], local: bool, kind: ValueKind) -> bool:
        """Whether the channel (``gates`` in the ``local`` map) searches people at several levels
        (with the MLP scorer in its domain only: the logistic person score was fitted on the base level)."""
        return (bool(self._level_params) and self.person_domain(gsd_m, kind) and not local
                and any(g.name == "person" for g in gates) and not any(g.name in _ANIMALS for g in gates))

    def person_candidates(self, maps: ContrastMaps, gsd_m: float, gates: tuple[ClassGate, ...] | None = None,
                          table: dict[str, np.ndarray] | None = None
                          ) -> tuple[list[tuple[BlobFeatures, str, float]], np.ndarray]:
        """(candidates, level of each): :meth:`candidates` at the base hysteresis level
        (``table``, when made) and at each of ``person_levels_z`` (level 1, 2, ...), all
        of them; overlapping cuts of one body are reduced after scoring."""
        gates = self.gates if gates is None else gates
        kept = self.candidates(maps, gsd_m, gates, table)
        levels = [0] * len(kept)
        person = next((g for g in gates if g.name == "person"), None) if self.params.person_anchors_m else None
        above = any(lp.low_z > self.params.low_z for lp in self._level_params)
        # The base level's regions, labelled once for the surface mask and the anchors' size rule.
        base = _components(maps.low_mask, maps.work, "base_labels") if above or person is not None else None
        surface = _surface_mask(maps, self.params, gsd_m, gates, base) if above else None
        for i, lp in enumerate(self._level_params, start=1):
            m = maps.at_level(lp.low_z)
            if surface is not None and lp.low_z > self.params.low_z:
                # Above the base level a warm surface (road, yard) breaks into body-sized
                # pieces; the bodies on it are the base level's to find (blob_table's surface rule).
                cv2.subtract(m.low_mask, surface, dst=m.low_mask)
            k = self.candidates(m, gsd_m, gates, blob_table(m, lp, gsd_m, gates))
            kept.extend(k)
            levels.extend([i] * len(k))
        if person is not None:
            k = anchor_candidates(maps, self.params, gsd_m, person, base)
            kept.extend(k)
            levels.extend([len(self._level_params) + 1] * len(k))
        return kept, np.asarray(levels, np.int64)

    def person_rows(self, maps: ContrastMaps, x: np.ndarray, kept: list[tuple[BlobFeatures, str, float]],
                    levels: np.ndarray, gsd_m: float) -> np.ndarray:
        """The MLP person scorer's rows from :meth:`feature_rows`' ``x``: its 70 features, the
        level one-hot (one column per extra level and one for the anchor boxes; none at the base
        level), the log of the box's height and width in metres, its box patch
        (:func:`box_patches`) and 1 (named by :func:`person_feature_names`)."""
        n_lv = len(self._level_params) + (1 if self.params.person_anchors_m else 0)
        onehot = np.zeros((len(kept), n_lv))
        lv = np.asarray(levels, np.int64)
        sel = lv > 0
        onehot[np.flatnonzero(sel), lv[sel] - 1] = 1.0
        hw = np.array([[b.height_px, b.width_px] for b, _, _ in kept], float).reshape(-1, 2)
        boxes = box_patches(maps, [b for b, _, _ in kept])
        return np.hstack([x[:, :-1], onehot, np.log(np.maximum(hw, 1.0) * gsd_m), boxes, x[:, -1:]])

    def _detections(self, maps: ContrastMaps, kept: list[tuple[BlobFeatures, str, float]], gsd_m: float | None,
                    shape: tuple[int, int], frame_index: int | None, frame_time_s: float | None,
                    levels: np.ndarray | None = None) -> list[Detection]:
        p = self.params
        h, w = shape
        x, person = self.feature_rows(maps, kept, gsd_m)
        animal = np.array([cls in _ANIMALS for _, cls, _ in kept], bool)
        x7 = x[:, [0, 1, 2, 3, 4, 5, -1]]
        logit = np.where(person, x @ self._w_person, x7 @ self._w_generic)
        if person.any() and self.person_domain(gsd_m, maps.kind):
            sel = np.flatnonzero(person)
            lv = np.zeros(len(kept), np.int64) if levels is None else np.asarray(levels, np.int64)
            rows = self.person_rows(maps, x[sel], [kept[i] for i in sel.tolist()], lv[sel], gsd_m)
            # Left and right are alike from the air: the score is the mean of the body's and its
            # mirror image's (the patch flipped), so no side of a neighbour is preferred.
            mlp = 0.5 * (self.person_mlp.logit(rows) + self.person_mlp.logit(mirror_patch(rows, person=True)))
            # A base-level blob keeps its logistic score when that is higher: that score rises
            # with contrast whatever the shape, so a very warm person-sized blob is never scored
            # down by a shape the MLP did not see in its training frames (a round 0.65 m disk at
            # 0.05 m/px: 0.04 by the MLP, 0.98 by the logistic).
            logit[sel] = np.where(lv[sel] == 0, np.maximum(mlp, logit[sel]), mlp)
        if animal.any():
            xa = animal_feature_rows([kept[i] for i in np.flatnonzero(animal)])
            logit[animal] = xa @ self.animal_weights(maps.kind, maps.local)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logit, -50.0, 50.0)))
        # The shape factor (<= 1) is measured only where the score could still reach min_score.
        shaped = np.flatnonzero(animal & (scores >= p.min_score))
        if shaped.size and (p.animal_elongation is not None or p.max_surround_warm is not None):
            blobs = [kept[i][0] for i in shaped.tolist()]
            el, sw = body_shape(maps, blobs, self.refine_frac(maps.kind))
            blobs = [replace(b, elongation=float(e), surround_warm=float(w)) for b, e, w in zip(blobs, el, sw)]
            scores[shaped] *= animal_shape_factor(blobs, p)
        dets: list[Detection] = []
        pad = p.box_pad(maps.kind)
        for (b, cls, _), score in zip(kept, scores.tolist()):
            if score < p.min_score:
                continue
            # A negative pad shrinks the box, but never below half its size.
            pr = max(pad, -0.25 * b.height_px)
            pc = max(pad, -0.25 * b.width_px)
            dets.append(Detection(
                top_px=max(0.0, b.top_px - pr), left_px=max(0.0, b.left_px - pc),
                bottom_px=min(float(h), b.top_px + b.height_px + pr), right_px=min(float(w), b.left_px + b.width_px + pc),
                score=float(score), class_name=cls, frame_index=frame_index,
                frame_time_s=frame_time_s, source=self.name, area_m2=b.area_m2, peak_contrast=b.peak_z,
            ))
        return dets


def _direct_px(params: ClassicalParams, gsd_m: float | None, gates: tuple[ClassGate, ...], refine_frac: float) -> int:
    """Largest blob (px) that can be a target as it is (larger ones only by splitting: a warm surface)."""
    direct_px = params.max_area_px
    if gsd_m and gates:
        direct_px = int(math.ceil(max(g.max_m2 for g in gates) / (gsd_m * gsd_m)))
        if refine_frac > 0 and any(g.name in _ANIMALS for g in gates):
            # Animal blobs are measured again after regrowing (a hot body's hysteresis blob
            # holds its blur tails), so larger ones are kept for that.
            direct_px *= 4
    return direct_px


def _components(mask: np.ndarray, work: dict | None, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(labels, stats) of the 8-connected components of ``mask`` (labels into ``work[(key, type)]``);
    None when nothing is lit."""
    n_on = cv2.countNonZero(mask)
    if n_on == 0:
        return None
    # 16-bit labels are twice as fast; fewer lit pixels than 65535 cannot make more labels.
    ltype = cv2.CV_16U if n_on < 65535 else cv2.CV_32S
    lab = _buffer(work, (key, ltype), mask.shape, np.uint16 if ltype == cv2.CV_16U else np.int32)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, labels=lab, connectivity=8, ltype=ltype)
    return labels, stats


def _surface_mask(maps: ContrastMaps, params: ClassicalParams, gsd_m: float | None,
                  gates: tuple[ClassGate, ...], comps: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray | None:
    """255 on the base-level blobs (``comps``: :func:`_components` of ``maps.low_mask``) larger
    than any target of ``gates`` (warm surfaces), else 0; None when there is none."""
    if comps is None:
        return None
    labels, st = comps
    refine_frac = params.refine_frac_grey if maps.kind == ValueKind.GREY else params.refine_frac
    big = np.flatnonzero(st[1:, cv2.CC_STAT_AREA] > _direct_px(params, gsd_m, gates, refine_frac)) + 1
    if big.size == 0:
        return None
    out = np.zeros(labels.shape, np.uint8)
    for i in big.tolist():  # few surfaces: each painted within its own box
        x, y, w, h = (int(v) for v in st[i, :4])
        box = out[y:y + h, x:x + w]
        box[labels[y:y + h, x:x + w] == i] = 255
    return out


def mirror_patch(rows: np.ndarray, *, person: bool = False) -> np.ndarray:
    """Score rows (logistic layout, or with ``person`` the person scorer's: the 8x8 patch in
    columns 6..69, and the box patch before the last column) with the patches mirrored left to
    right; the other features do not change in a mirror (the box is mirrored with the body)."""
    out = np.array(rows, copy=True)
    n_cells = PATCH_CELLS * PATCH_CELLS
    patch = out[:, 6:6 + n_cells].reshape(-1, PATCH_CELLS, PATCH_CELLS)
    out[:, 6:6 + n_cells] = patch[:, :, ::-1].reshape(-1, n_cells)
    if person:
        nb = BOX_CELLS * BOX_CELLS
        a = out.shape[1] - 1 - nb
        out[:, a:a + nb] = out[:, a:a + nb].reshape(-1, BOX_CELLS, BOX_CELLS)[:, :, ::-1].reshape(-1, nb)
    return out


def _suppress(dets: list[Detection], iou_max: float, inside_max: float = 1.0, *,
              vote_power: float | None = None) -> list[Detection]:
    """Greedy non-maximum suppression: by falling score, a detection is dropped when its box
    overlaps a kept one at IoU >= ``iou_max`` or lies in it (or holds it) for ``inside_max``
    of the smaller box (one body cut at several levels: the cut at a lower threshold holds
    the one at a higher).

    With ``vote_power``, box voting: each kept box becomes the mean of itself and the boxes it
    dropped for IoU (not those dropped only for lying inside), weighted by score **
    ``vote_power``; its score, class and measurements stay its own. The cuts and anchor boxes of
    one body scatter around its outline, and their weighted mean lies nearer it than the best
    one alone (HIT-UAV night, docs/vision.md)."""
    if len(dets) < 2:
        return dets
    order = sorted(dets, key=lambda d: -d.score)
    boxes = _boxes(order)
    inter, area = _overlaps(boxes)
    iou = inter / np.maximum(area[:, None] + area[None, :] - inter, 1e-9)
    inside = inter / np.maximum(np.minimum(area[:, None], area[None, :]), 1e-9)
    clash = (iou >= iou_max) | (inside >= inside_max)
    if vote_power is None:
        return _greedy_keep(order, clash)
    keep = np.ones(len(order), bool)
    weight = np.array([d.score for d in order]) ** vote_power
    out: list[Detection] = []
    for i, d in enumerate(order):
        if not keep[i]:
            continue
        later = clash[i].copy()
        later[: i + 1] = False
        voters = np.concatenate([[i], np.flatnonzero(later & keep & (iou[i] >= iou_max))])
        keep[later] = False
        if voters.size > 1:
            w = weight[voters]
            t, l, b, r = (w @ boxes[voters] / max(float(w.sum()), 1e-12)).tolist()
            d = replace(d, top_px=t, left_px=l, bottom_px=b, right_px=r)
        out.append(d)
    return out


def _boxes(dets: list[Detection]) -> np.ndarray:
    """(n, 4) top, left, bottom, right of the detections."""
    return np.array([[d.top_px, d.left_px, d.bottom_px, d.right_px] for d in dets], float).reshape(-1, 4)


def _overlaps(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pairwise intersection areas, box areas) of the boxes ``b`` (:func:`_boxes`)."""
    ih = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    iw = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    return ih * iw, (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def _greedy_keep(order: list[Detection], clash: np.ndarray) -> list[Detection]:
    """Walking ``order`` (best first), keep a detection unless it clashes with one kept before."""
    keep = np.ones(len(order), bool)
    for i in range(len(order)):
        if keep[i]:
            later = clash[i].copy()
            later[: i + 1] = False
            keep[later] = False
    return [d for d, k in zip(order, keep) if k]


_MODELS_DIR = Path(__file__).resolve().parent / "models"
_NO_SPLIT_PX = 1 << 40


@functools.lru_cache(maxsize=8)
def _read_scorer(path: str, mtime_ns: int) -> MlpScorer:
    return MlpScorer.read(path)


def _person_scorer(name: str) -> MlpScorer:
    """The MLP person scorer ``name``: a path, or a file name in ``vision/models`` (read once)."""
    path = Path(name).expanduser()
    if not path.exists() and not path.is_absolute() and (_MODELS_DIR / name).exists():
        path = _MODELS_DIR / name
    if not path.is_file():
        raise InputError(f"person_scorer {name!r}: no such file (looked in the working folder and in "
                         f"{_MODELS_DIR}); give a path, None for the logistic score, or refit it with "
                         "`python -m vision.classical_fit HIT_UAV_ROOT train`.")
    return _read_scorer(str(path.resolve()), path.stat().st_mtime_ns)


def _resolve_overlaps(dets: list[Detection], gates: tuple[ClassGate, ...]) -> list[Detection]:
    """One detection per body when both maps found it: of detections whose boxes overlap
    (intersection over the smaller box >= 0.5), the one whose class fits its measured
    warm area best is kept (then the higher score), as within one map."""
    by_name = {g.name: g for g in gates}

    def rank(d: Detection) -> tuple[float, float]:
        g = by_name.get(d.class_name)
        return (-(g.fit(d.area_m2) if g is not None and d.area_m2 is not None else 0.0), -d.score)

    order = sorted(dets, key=rank)
    inter, area = _overlaps(_boxes(order))
    return _greedy_keep(order, inter >= 0.5 * np.minimum(area[:, None], area[None, :]))


_ANIMALS = ("sheep", "cow")


def _body_region(maps: ContrastMaps, top: int, left: int, bh: int, bw: int, frac: float, margin: int,
                 base_z: float = 0.0) -> tuple[np.ndarray, np.ndarray, int, int, int, int]:
    """The region above ``frac`` of a blob's peak contrast (its rise over ``base_z``, the
    level it stands on) that holds the peak, grown within 2 px of its box: (region mask,
    z window, window row, window col, peak row, peak col) in a window ``margin`` pixels
    around the box."""
    hh, ww = maps.img.shape
    r0, c0 = max(0, top - margin), max(0, left - margin)
    r1, c1 = min(hh, top + bh + margin), min(ww, left + bw + margin)
    zs = maps.z(r0, r1, c0, c1)
    inner = zs[top - r0:top - r0 + bh, left - c0:left - c0 + bw]
    pr, pc = np.unravel_index(int(np.argmax(inner)), inner.shape)
    pr, pc = int(pr) + top - r0, int(pc) + left - c0
    g0r, g0c = max(0, top - 2 - r0), max(0, left - 2 - c0)
    g1r, g1c = top - r0 + bh + 2, left - c0 + bw + 2
    above = np.zeros(zs.shape, np.uint8)
    # As _refine_table: the share is of the peak's rise over the level the body stands on.
    level = np.float32(frac) * zs[pr, pc] + np.float32(1.0 - frac) * np.float32(base_z)
    above[g0r:g1r, g0c:g1c] = zs[g0r:g1r, g0c:g1c] >= level
    _, lab = cv2.connectedComponents(above, connectivity=8)
    return lab == lab[pr, pc], zs, r0, c0, pr, pc


def _refine_table(maps: ContrastMaps, t: dict[str, np.ndarray], frac: float) -> dict[str, np.ndarray]:
    """Each blob's box and area redrawn from the region above ``frac`` of its peak
    contrast that holds the peak, grown past the hysteresis threshold within a 2-pixel
    margin: the extent of a small warm body (its cooler edges included) rather than a
    threshold-dependent part of it, so size gates and boxes measure the body.

    All blobs at once, as :func:`_body_region` measures one: ``z`` at every pixel of
    every blob's window (its box widened by 2 px) in one gather, the windows' masks laid
    side by side on one canvas (a zero pixel between them, so regions cannot join) and
    one connected-components pass over it."""
    out = {k: v.copy() for k, v in t.items()}
    n = out["top_px"].size
    if n == 0:
        return out
    hh, ww = maps.img.shape
    top, left, bh, bw = (t[k].astype(np.int64) for k in ("top_px", "left_px", "height_px", "width_px"))
    r0, c0 = np.maximum(top - 2, 0), np.maximum(left - 2, 0)
    wh, wdt = np.minimum(top + bh + 2, hh) - r0, np.minimum(left + bw + 2, ww) - c0
    # Every pixel of every window, in raster order within each (comp: which blob).
    size = wh * wdt
    comp, wr, wc = _box_pixels(wh, wdt)
    rr, cc = r0[comp] + wr, c0[comp] + wc
    flat = rr * ww + cc
    _, z = _take_z(maps, flat, rr, cc)
    # The peak: the first maximum of z in the blob's box in raster order (np.argmax of the box).
    inner = (rr >= top[comp]) & (rr < (top + bh)[comp]) & (cc >= left[comp]) & (cc < (left + bw)[comp])
    zi = np.where(inner, z, np.float32(-np.inf))
    starts = np.cumsum(size) - size
    peak = np.maximum.reduceat(zi, starts)
    hits = np.flatnonzero(zi == peak[comp])
    first = hits[np.r_[True, comp[hits][1:] != comp[hits][:-1]]]
    # The share is of the peak's rise over the level the body stands on (base_z: a warm road's
    # contrast for a body found on one, else 0): on a road the region stays on the body
    # instead of filling the widened box with road.
    base = np.asarray(t["base_z"], np.float32)
    thr = np.float32(frac) * peak + np.float32(1.0 - frac) * base
    # Windows on shelves of one canvas, a zero row/column between neighbours.
    width = max(256, int(wdt.max()) + 1)
    ox, oy = np.zeros(n, np.int64), np.zeros(n, np.int64)
    x = y = shelf = 0
    for i, (a, b) in enumerate(zip(wdt.tolist(), wh.tolist())):
        if x + a > width:
            x, y, shelf = 0, y + shelf + 1, 0
        ox[i], oy[i] = x, y
        x, shelf = x + a + 1, max(shelf, b)
    canvas = np.zeros((y + shelf, width), np.uint8)
    canvas.ravel()[(oy[comp] + wr) * width + ox[comp] + wc] = z >= thr[comp]
    _, lab, stats, _ = cv2.connectedComponentsWithStats(canvas, connectivity=8, ltype=cv2.CV_32S)
    region = lab[oy + wr[first], ox + wc[first]]
    st = stats[region]
    out["top_px"][:] = r0 + st[:, cv2.CC_STAT_TOP] - oy
    out["left_px"][:] = c0 + st[:, cv2.CC_STAT_LEFT] - ox
    out["height_px"][:] = st[:, cv2.CC_STAT_HEIGHT]
    out["width_px"][:] = st[:, cv2.CC_STAT_WIDTH]
    out["area_px"][:] = st[:, cv2.CC_STAT_AREA]
    # A peak below its own threshold (never for a blob above high_z > 0) lies outside every
    # region: measured one by one as before.
    for i in np.flatnonzero(region == 0).tolist():
        reg, _, rw0, cw0, _, _ = _body_region(maps, int(top[i]), int(left[i]), int(bh[i]), int(bw[i]), frac, 2,
                                              float(base[i]))
        rows, cols = np.nonzero(reg)
        rt, cl = int(rows.min()), int(cols.min())
        out["top_px"][i], out["left_px"][i] = rw0 + rt, cw0 + cl
        out["height_px"][i], out["width_px"][i] = int(rows.max()) - rt + 1, int(cols.max()) - cl + 1
        out["area_px"][i] = rows.size
    return out


def body_shape(maps: ContrastMaps, blobs: list[BlobFeatures], frac: float) -> tuple[np.ndarray, np.ndarray]:
    """(elongation, surround_warm) of each (refined) animal candidate's body region (the
    region above ``frac`` of its peak contrast that holds the peak), as a thermographer
    would look at it:

    ``elongation``: square root of the ratio of the region's principal second
    moments, weighted by contrast, after taking off what the optics' blur adds:
    the body's length / width (livestock seen from above are two to three times as
    long as wide; a boulder or a bush roughly round). ``surround_warm``: the share
    of a ring ``_RING_PX`` pixels wide around the region that is at least halfway
    from the ring's cool level (its 20th percentile) to the body's peak, in *image*
    values (~0 for a body on open ground; large for the corner or edge of a warm
    roof, wall, road or pen floor, which the background model cuts off as a small
    warm blob).
    """
    n = len(blobs)
    elong, warm = np.ones(n), np.zeros(n)
    for i, b in enumerate(blobs):
        region, zs, r0, c0, pr, pc = _body_region(maps, b.top_px, b.left_px, b.height_px, b.width_px, frac,
                                                  _RING_PX + 3, b.base_z)
        rows, cols = np.nonzero(region)
        if rows.size >= 3:
            # Contrast-weighted second moments of the region: those of the body (a uniform
            # ellipse of semi-axes a, b has a^2/4, b^2/4) plus what the optics' blur adds inside
            # the region, taken off again (at most down to _MIN_KEPT_VARIANCE of each).
            wz = np.maximum(zs[rows, cols], 0.0).astype(np.float64) + 1e-6
            sw = wz.sum()
            mr, mc = (wz @ rows) / sw, (wz @ cols) / sw
            dr, dc = rows - mr, cols - mc
            vrr, vcc, vrc = (wz @ (dr * dr)) / sw, (wz @ (dc * dc)) / sw, (wz @ (dr * dc)) / sw
            half_tr, det_root = 0.5 * (vrr + vcc), math.sqrt(max(0.25 * (vrr - vcc) ** 2 + vrc * vrc, 0.0))
            lo, hi = (max(v - _REGION_BLUR_VAR_PX2, _MIN_KEPT_VARIANCE * v, 1e-9)
                      for v in (half_tr - det_root, half_tr + det_root))
            elong[i] = math.sqrt(hi / lo)
        reg8 = region.astype(np.uint8)
        ring = (cv2.dilate(reg8, _RING_KERNEL) > 0) & (cv2.dilate(reg8, _NEAR_KERNEL) == 0)
        if ring.any():
            h, w = region.shape
            vals = maps.img[r0:r0 + h, c0:c0 + w][ring].astype(np.float32)
            cool = float(np.partition(vals, vals.size // 5)[vals.size // 5])
            peak = float(maps.img[r0 + pr, c0 + pc])
            warm[i] = float(np.count_nonzero(vals >= cool + 0.5 * (peak - cool))) / vals.size
    return elong, warm


_RING_PX = 3
# Variance (px^2) the optics' blur adds to the weighted moments of a body's regrown region,
# calibrated on blurred ellipses of known length/width (optics sigma 0.7 px, like the 640 LWIR
# cores; tests/vision/test_classical_animals.py): the ratio comes out within ~5 % from a minor
# semi-axis of 2 px on.
_REGION_BLUR_VAR_PX2 = 0.22
_MIN_KEPT_VARIANCE = 0.3    # deblurring keeps at least this share of a measured variance
_RING_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _RING_PX + 3, 2 * _RING_PX + 3))
_NEAR_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


# Without a GSD the size prior is in pixels: a person or animal seen by a
# 640x512 camera from the usual 40-120 m search heights (HIT-UAV: 44-220 px
# of warm area for people at 60-130 m).
_PIXEL_GATE = ClassGate("hotspot", 6.0, 90.0, 1500.0)


PATCH_CELLS = 8
N_SCORE_FEATURES = 6 + PATCH_CELLS * PATCH_CELLS + 1
# The box patch (box_patches): contrast in BOX_CELLS x BOX_CELLS cells over the candidate's box
# grown by BOX_GROW of its size on every side, so the scorer sees how the box sits on the body.
BOX_CELLS = 6
BOX_GROW = 0.5
# Columns of the MLP person scorer's rows (ClassicalDetector.person_rows) with no extra
# hysteresis level; each level (and the anchors) adds a column ("level_1", ..., "anchor")
# before the two size columns.
PERSON_FEATURE_NAMES: tuple[str, ...] = (
    ("log_peak_z", "log_mean_z", "fill", "log_aspect", "size_fit", "log1p_global_z")
    + tuple(f"patch_{r}{c}" for r in range(PATCH_CELLS) for c in range(PATCH_CELLS))
    + ("log_height_m", "log_width_m")
    + tuple(f"box_{r}{c}" for r in range(BOX_CELLS) for c in range(BOX_CELLS)) + ("one",))
N_PERSON_FEATURES = len(PERSON_FEATURE_NAMES)
_N_TAIL = 3 + BOX_CELLS * BOX_CELLS  # the columns after the level columns


def person_feature_names(n_levels: int, anchors: bool = False) -> list[str]:
    """Column names of :meth:`ClassicalDetector.person_rows` with ``n_levels`` extra hysteresis
    levels (and the column of the anchor boxes, :func:`anchor_candidates`)."""
    names = list(PERSON_FEATURE_NAMES)
    return (names[:-_N_TAIL] + [f"level_{i}" for i in range(1, n_levels + 1)] + (["anchor"] if anchors else [])
            + names[-_N_TAIL:])


def box_patches(maps: ContrastMaps, blobs: list[BlobFeatures]) -> np.ndarray:
    """(n, BOX_CELLS**2): the contrast ``z`` over each blob's box grown by ``BOX_GROW`` of its
    height and width on every side, in BOX_CELLS x BOX_CELLS cells (each the mean of 2 x 2
    samples at the nearest pixels; zero outside the frame), clipped to -5..30 and scaled by 1/10:
    where the warmth lies relative to the box (a box that cuts a body, or holds two, or sits on
    a warm edge, looks different from one around a body)."""
    n = len(blobs)
    if n == 0:
        return np.zeros((0, BOX_CELLS * BOX_CELLS))
    geo = np.array([[b.top_px, b.left_px, b.height_px, b.width_px] for b in blobs], float)
    k = 2 * BOX_CELLS
    frac = (np.arange(k) + 0.5) / k * (1.0 + 2.0 * BOX_GROW) - BOX_GROW
    rows = np.floor(geo[:, :1] + frac[None, :] * geo[:, 2:3]).astype(np.int64)
    cols = np.floor(geo[:, 1:2] + frac[None, :] * geo[:, 3:4]).astype(np.int64)
    z = _z_grid(maps, rows, cols).reshape(n, BOX_CELLS, 2, BOX_CELLS, 2).mean(axis=(2, 4))
    return np.clip(z, -5.0, 30.0).reshape(n, -1) / 10.0


def warm_peaks(maps: ContrastMaps, min_z: float, radius_px: int, max_peaks: int,
               max_region_px: int | None = None) -> np.ndarray:
    """(n, 2) rows and columns of the warm peaks of the frame: pixels of the contrast ``z``
    (smoothed 3 x 3) that are the maximum within ``radius_px`` and at least ``min_z``; the
    ``max_peaks`` warmest when there are more. Only the windows around pixels above
    ``min_z`` are measured, and only regions above ``min_z`` of at most ``max_region_px``
    pixels (None: any) are searched."""
    h, w = maps.img.shape
    # Candidate pixels from the threshold map at min_z (no full-frame z), then z in their boxes.
    comps = _components(maps.at_level(min_z, slot="anchor_peaks").low_mask, maps.work, "anchor_labels")
    if comps is None:
        return np.zeros((0, 2), np.int64)
    _, stats = comps
    m = radius_px + 1
    out: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    k = 2 * radius_px + 1
    kernel = np.ones((k, k), np.uint8)
    for x, y, bw, bh, area in stats[1:].tolist():
        if max_region_px is not None and area > max_region_px:
            continue
        r0, c0 = max(0, y - m), max(0, x - m)
        r1, c1 = min(h, y + bh + m), min(w, x + bw + m)
        zs = cv2.GaussianBlur(maps.z(r0, r1, c0, c1), (3, 3), 0)
        peak = (zs >= cv2.dilate(zs, kernel)) & (zs >= min_z)
        peak[: y - r0, :] = False
        peak[y + bh - r0:, :] = False
        peak[:, : x - c0] = False
        peak[:, x + bw - c0:] = False
        rr, cc = np.nonzero(peak)
        out.append(np.stack([rr + r0, cc + c0], axis=1))
        vals.append(zs[rr, cc])
    pk = np.concatenate(out) if out else np.zeros((0, 2), np.int64)
    if len(pk) > max_peaks:
        pk = pk[np.argsort(-np.concatenate(vals), kind="stable")[:max_peaks]]
    return pk.astype(np.int64)


_ANCHOR_MAX_BODIES = 2  # anchors only on warm regions of at most this many people's largest area


def anchor_candidates(maps: ContrastMaps, params: ClassicalParams, gsd_m: float, gate: ClassGate,
                      base: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[BlobFeatures, str, float]]:
    """Person candidates of fixed body sizes (``params.person_anchors_m``) centred on each
    warm peak (:func:`warm_peaks`) of a warm region (above ``low_z``) no larger than two people
    (``gate.max_m2`` each), measured as blobs are: area and mean contrast of the pixels above
    ``low_z`` in the box, the peak's contrast, the box's warmest value over the frame.
    ``base``: the components of ``maps.low_mask`` when already labelled."""
    h, w = maps.img.shape
    radius = max(1, int(round(params.person_anchor_peak_m / gsd_m / 2.0)))
    # (A region warmer than min_z that is already too large lies in a base-level region too large.)
    max_px = int(_ANCHOR_MAX_BODIES * gate.max_m2 / (gsd_m * gsd_m))
    pk = warm_peaks(maps, params.person_anchor_min_z, radius, params.person_anchor_max, max_px)
    if len(pk) == 0:
        return []
    # Only peaks of a warm region (above low_z) of at most two people's area: the peaks of a
    # cow, a car, a roof or a road are no person's centre (a cow became "person" boxes).
    comps = base if base is not None else _components(maps.low_mask, maps.work, "base_labels")
    if comps is None:
        return []
    labels, stats = comps
    comp = labels[pk[:, 0], pk[:, 1]]
    area_m2 = stats[comp, cv2.CC_STAT_AREA] * gsd_m * gsd_m
    pk = pk[(comp > 0) & (area_m2 <= _ANCHOR_MAX_BODIES * gate.max_m2)]
    if len(pk) == 0:
        return []
    sizes = np.array([[max(1, int(round(a / gsd_m))), max(1, int(round(b / gsd_m)))]
                      for a, b in params.person_anchors_m], np.int64)
    r = np.repeat(pk[:, 0], len(sizes))
    c = np.repeat(pk[:, 1], len(sizes))
    bh, bw = np.tile(sizes[:, 0], len(pk)), np.tile(sizes[:, 1], len(pk))
    top = np.clip(r - bh // 2, 0, h - 1)
    left = np.clip(c - bw // 2, 0, w - 1)
    bh = np.minimum(bh, h - top)
    bw = np.minimum(bw, w - left)
    comp, wr, wc = _box_pixels(bh, bw)
    rr, cc = top[comp] + wr, left[comp] + wc
    flat = rr * w + cc
    iv, zv = _take_z(maps, flat, rr, cc)
    warm = zv >= params.low_z
    n = len(top)
    area = np.bincount(comp, weights=warm, minlength=n)
    zsum = np.bincount(comp, weights=np.where(warm, zv, 0.0), minlength=n)
    starts = np.cumsum(bh * bw) - bh * bw
    peak = np.maximum.reduceat(zv, starts)
    vmax = np.maximum.reduceat(iv, starts)
    ok = area >= params.min_area_px
    t = {"top_px": top, "left_px": left, "height_px": bh, "width_px": bw, "area_px": area,
         "peak_z": peak.astype(float), "mean_z": zsum / np.maximum(area, 1.0),
         "global_z": (vmax.astype(float) - maps.frame_median) / maps.frame_spread, "base_z": np.zeros(n)}
    t = {k: np.asarray(v)[ok] for k, v in t.items()}
    fit = gate.fit_array(t["area_px"] * gsd_m * gsd_m)
    blobs = _features_from_table(t, gsd_m)
    return [(b, gate.name, f) for b, f in zip(blobs, fit.tolist())]


def patch_side_px(params: ClassicalParams, gsd_m: float | None) -> int:
    """Side of the contrast patch around a blob: ``patch_m`` on the ground, or ``patch_px``."""
    return int(min(48, max(12, round(params.patch_m / gsd_m)))) if gsd_m else params.patch_px


_AREA_WEIGHTS: dict[int, np.ndarray] = {}


def _area_weights(side: int) -> np.ndarray:
    """(8, side) weights that average ``side`` pixels into 8 cells by overlap (OpenCV's INTER_AREA)."""
    a = _AREA_WEIGHTS.get(side)
    if a is None:
        edges = np.arange(PATCH_CELLS + 1) * (side / PATCH_CELLS)
        px = np.arange(side)
        lo = np.maximum(edges[:-1, None], px[None, :])
        hi = np.minimum(edges[1:, None], px[None, :] + 1)
        a = np.clip(hi - lo, 0, None) / (side / PATCH_CELLS)
        _AREA_WEIGHTS[side] = a
    return a


def contrast_patches(maps: ContrastMaps, blobs: list[BlobFeatures], side_px: int) -> np.ndarray:
    """(n, 64): for each blob the contrast ``z`` around its centre, ``side_px`` square (zero
    outside the frame), averaged to 8x8 cells, clipped to -5..30 and scaled by 1/10: the
    blob's shape and surround. All blobs at once (one gather, two matrix products)."""
    h, w = maps.img.shape
    top = np.array([b.top_px + b.height_px / 2.0 for b in blobs])
    left = np.array([b.left_px + b.width_px / 2.0 for b in blobs])
    off = np.arange(side_px)
    r0 = np.round(top).astype(np.int64) - side_px // 2
    c0 = np.round(left).astype(np.int64) - side_px // 2
    rr, cc = r0[:, None] + off, c0[:, None] + off
    z = np.empty((len(blobs), side_px, side_px), np.float32)
    inside = (r0 >= 0) & (r0 + side_px <= h) & (c0 >= 0) & (c0 + side_px <= w)
    if inside.any():
        # Whole squares: gathered a row segment at a time.
        ri, ci = rr[inside], c0[inside]
        iv = _windows(maps.img, ri, ci, side_px).astype(np.float32)
        z[inside] = (iv - _windows(maps.background, ri, ci, side_px)) * _windows(maps.inv_scale, ri, ci, side_px)
    if not inside.all():
        out = ~inside
        z[out] = _z_grid(maps, rr[out], cc[out])
    a = _area_weights(side_px).astype(np.float32)
    cells = np.matmul(np.matmul(a, z), a.T)
    return np.clip(cells, -5.0, 30.0).reshape(len(blobs), -1) / 10.0


def contrast_patch(z: np.ndarray, b: BlobFeatures, side_px: int) -> np.ndarray:
    """The contrast patch of one blob from a full contrast map (64 values; see :func:`contrast_patches`)."""
    h, w = z.shape
    maps = ContrastMaps(z.astype(np.float32, copy=False), np.zeros((h, w), np.float32), np.ones((h, w), np.float32),
                        np.zeros((h, w), np.uint8), 0.0, 1.0)
    return contrast_patches(maps, [b], side_px)[0]


def _base_features(b: BlobFeatures, size_fit: float) -> list[float]:
    return [math.log(max(b.peak_z, 1e-3)), math.log(max(b.mean_z, 1e-3)), b.fill, math.log(max(b.aspect, 1.0)),
            size_fit, math.log1p(max(b.global_z, 0.0))]


def animal_feature_rows(kept: list[tuple[BlobFeatures, str, float]]) -> np.ndarray:
    """(n, N_ANIMAL_FEATURES): the animal score features of candidate blobs (blob, class,
    size fit): the six of :func:`score_features` without the patch, and 1 (the bias). The
    body's shape and surround act apart, as a factor (:func:`animal_shape_factor`)."""
    return np.array([_base_features(b, fit) + [1.0] for b, _, fit in kept], float).reshape(-1, N_ANIMAL_FEATURES)


def animal_shape_factor(blobs: list[BlobFeatures], params: ClassicalParams) -> np.ndarray:
    """(n,) 0..1: how plausible each animal candidate's shape is for a body seen from above
    (``params.animal_elongation`` against the blur-corrected ``elongation``) times how free its surround is of
    equally warm surface (``params.max_surround_warm``). Multiplies the animal score, so
    that no contrast, however strong, makes a round boulder or a roof corner a sheep."""
    n = len(blobs)
    f = np.ones(n)
    if n == 0:
        return f
    if params.animal_elongation is not None:
        el = np.log(np.maximum([b.elongation for b in blobs], 1.0))
        lo, hi = math.log(params.animal_elongation[0]), math.log(params.animal_elongation[1])
        f *= np.clip((el - lo) / (hi - lo), 0.0, 1.0)
    if params.max_surround_warm is not None:
        sw = np.array([b.surround_warm for b in blobs], float)
        half = 0.5 * params.max_surround_warm
        f *= np.clip((params.max_surround_warm - sw) / half, 0.0, 1.0)
    return f


def score_features(b: BlobFeatures, size_fit: float, patch: np.ndarray | None) -> np.ndarray:
    """The feature vector the score weights apply to: log peak z, log mean z, fill, log
    aspect, size fit, log(1 + global z), the 64 patch cells (when given), and 1 (the bias)."""
    return np.concatenate([_base_features(b, size_fit), patch if patch is not None else [], [1.0]])
def _best_class(b: BlobFeatures, gates: tuple[ClassGate, ...]) -> tuple[str, float]:
    best, best_fit = "hotspot", 0.0
    for g in gates:
        if b.aspect > g.max_aspect or b.area_m2 is None:
            continue
        f = g.fit(b.area_m2)
        if f > best_fit:
            best, best_fit = g.name, f
    return best, best_fit
