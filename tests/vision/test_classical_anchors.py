"""Person boxes of body size on warm peaks (anchor candidates) and the box patch the MLP
person scorer reads (vision.classical)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from geo.errors import InputError
from tests.vision.conftest import hot_disks
from vision.classical import (BOX_CELLS, PATCH_CELLS, BlobFeatures, ClassicalDetector, ClassicalParams,
                              ContrastMaps, anchor_candidates, box_patches, mirror_patch, person_feature_names,
                              warm_peaks)
from vision.frame import ValueKind

GSD_M = 0.06


def _bodies(centres, *, seed=5, amplitude=60.0):
    """Person-sized warm bodies (Gaussian, sigma 6.5 x 3.2 px) at ``centres`` (row, col) on noise."""
    img = hot_disks(disks=(), seed=seed).astype(np.float64)
    rr, cc = np.mgrid[0:512, 0:640]
    for (r, c), a in zip(centres, np.broadcast_to(amplitude, len(centres))):
        img += a * np.exp(-((rr - r) ** 2 / (2 * 6.5**2) + (cc - c) ** 2 / (2 * 3.2**2)))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _maps(img, det):
    return det.maps(img, ValueKind.GREY, GSD_M, work={})


def test_warm_peaks_one_per_body_warmest_first_when_capped():
    det = ClassicalDetector(targets=("person",))
    img = _bodies([(250, 200), (250, 420)], amplitude=[40.0, 80.0])
    maps = _maps(img, det)
    pk = warm_peaks(maps, 5.0, 3, 100)
    assert sorted(map(tuple, pk.tolist())) == [(250, 200), (250, 420)]
    assert warm_peaks(maps, 5.0, 3, 1).tolist() == [[250, 420]]  # the warmer body
    assert warm_peaks(_maps(hot_disks(disks=(), seed=9), det), 5.0, 3, 100).shape == (0, 2)


def test_anchor_boxes_are_centred_on_the_peak_with_the_body_sizes():
    p = ClassicalParams()
    det = ClassicalDetector(p, targets=("person",))
    maps = _maps(_bodies([(250, 300)]), det)
    gate = next(g for g in det.gates if g.name == "person")
    got = anchor_candidates(maps, p, GSD_M, gate)
    assert len(got) == len(p.person_anchors_m)
    for (b, cls, _), (h_m, w_m) in zip(got, p.person_anchors_m):
        assert cls == "person"
        assert (b.height_px, b.width_px) == (round(h_m / GSD_M), round(w_m / GSD_M))
        assert b.top_px + b.height_px / 2 == pytest.approx(250.5, abs=1.0)
        assert b.left_px + b.width_px / 2 == pytest.approx(300.5, abs=1.0)
        assert b.peak_z > p.person_anchor_min_z and 0 < b.area_px <= b.height_px * b.width_px


def test_anchor_boxes_stay_inside_the_frame():
    p = ClassicalParams()
    det = ClassicalDetector(p, targets=("person",))
    maps = _maps(_bodies([(3, 2), (509, 637)]), det)
    gate = next(g for g in det.gates if g.name == "person")
    got = anchor_candidates(maps, p, GSD_M, gate)
    assert got
    for b, _, _ in got:
        assert b.top_px >= 0 and b.left_px >= 0 and b.top_px + b.height_px <= 512 and b.left_px + b.width_px <= 640


def _plain_maps(z: np.ndarray) -> ContrastMaps:
    h, w = z.shape
    return ContrastMaps(z.astype(np.float32), np.zeros((h, w), np.float32), np.ones((h, w), np.float32),
                        np.zeros((h, w), np.uint8), 0.0, 1.0)


def _blob(top, left, h, w):
    return BlobFeatures(top_px=top, left_px=left, height_px=h, width_px=w, area_px=h * w, peak_z=10.0,
                        mean_z=10.0, aspect=max(h, w) / min(h, w), fill=1.0, area_m2=None)


def test_box_patch_shows_where_the_warmth_lies_around_the_box():
    z = np.zeros((100, 100))
    z[40:52, 40:52] = 10.0                  # a 12 x 12 warm square
    maps = _plain_maps(z)
    on, right = box_patches(maps, [_blob(40, 40, 12, 12), _blob(40, 46, 12, 12)])
    on, right = on.reshape(BOX_CELLS, BOX_CELLS), right.reshape(BOX_CELLS, BOX_CELLS)
    # The box covers the middle of the grown window (cells 1.5..4.5): warm there, cool in the ring.
    assert on[2:4, 2:4] == pytest.approx(1.0)
    assert on[0].max() == 0 and on[-1].max() == 0 and on[:, 0].max() == 0 and on[:, -1].max() == 0
    assert np.allclose(on, on[:, ::-1]) and np.allclose(on, on[::-1])
    # Shifted right by half its width: the warmth is on the box's left.
    assert right[:, :3].sum() > 2 * right[:, 3:].sum()
    # Outside the frame counts as no contrast, not as an edge pixel repeated.
    edge = box_patches(_plain_maps(np.full((50, 50), 5.0)), [_blob(0, 0, 10, 10)]).reshape(BOX_CELLS, BOX_CELLS)
    assert edge[0, 0] == 0 and edge[-1, -1] == pytest.approx(0.5)
    assert box_patches(maps, []).shape == (0, BOX_CELLS * BOX_CELLS)


def test_mirror_patch_flips_the_box_patch_of_person_rows():
    names = person_feature_names(3, anchors=True)
    rows = np.zeros((1, len(names)))
    rows[0, names.index("patch_21")] = 9.0
    rows[0, names.index("box_10")] = 4.0
    rows[0, names.index("log_height_m")] = 7.0
    m = mirror_patch(rows, person=True)
    assert m[0, names.index(f"patch_2{PATCH_CELLS - 2}")] == 9.0
    assert m[0, names.index(f"box_1{BOX_CELLS - 1}")] == 4.0 and m[0, names.index("box_10")] == 0.0
    assert m[0, names.index("log_height_m")] == 7.0
    assert names[-1] == "one" and "anchor" in names


def test_the_default_scorer_was_fitted_with_the_default_anchors():
    det = ClassicalDetector()
    meta = det.person_mlp.meta
    assert [tuple(v) for v in meta["anchors_m"]] == [tuple(v) for v in det.params.person_anchors_m]
    assert meta["anchor_min_z"] == det.params.person_anchor_min_z
    assert meta["features"] == person_feature_names(len(det.params.person_levels_z), anchors=True)


def test_bad_anchor_settings_are_refused_clearly():
    with pytest.raises(InputError, match="person_anchors_m"):
        ClassicalParams(person_anchors_m=((0.9, 0.0),))
    with pytest.raises(InputError, match="person_anchors_m"):
        ClassicalParams(person_anchors_m=((0.9,),))
    with pytest.raises(InputError, match="person_anchor_min_z"):
        ClassicalParams(person_anchor_min_z=float("nan"))
    with pytest.raises(InputError, match="person_anchor_peak_m"):
        ClassicalParams(person_anchor_peak_m=0.0)
    with pytest.raises(InputError, match="person_anchor_max"):
        ClassicalParams(person_anchor_max=0)
    # The shipped scorer knows which anchors it was fitted for.
    with pytest.raises(InputError, match="person_anchors_m"):
        ClassicalDetector(ClassicalParams(person_anchors_m=((1.0, 0.5),)))
    with pytest.raises(InputError, match="person_anchors_m"):
        ClassicalDetector(ClassicalParams(person_anchors_m=()))
    # Without the MLP, anchors are not used (the logistic score is of the base level only).
    assert ClassicalDetector(replace(ClassicalParams(), person_scorer=None, person_anchors_m=())).person_mlp is None


def test_no_anchor_boxes_on_a_warm_region_larger_than_two_people():
    """A cow-sized warm body (2.8 m^2 at 0.05 m/px) has warm peaks but is no person's centre:
    no anchor boxes there, while a person beside it gets them."""
    gsd = 0.05
    p = ClassicalParams()
    det = ClassicalDetector(p, targets=("person",))
    img = _bodies([(150, 150)]).astype(np.float64)
    rr, cc = np.mgrid[0:512, 0:640]
    b = np.sqrt(2.8 / (np.pi * 2.5)) / gsd
    img += 60 * np.clip(b + 0.5 - np.sqrt(((rr - 350) / b) ** 2 + ((cc - 450) / (2.5 * b)) ** 2) * b, 0, 1)
    maps = det.maps(np.clip(img, 0, 255).astype(np.uint8), ValueKind.GREY, gsd, work={})
    gate = next(g for g in det.gates if g.name == "person")
    assert any(abs(r - 350) < 20 and abs(c - 450) < 80 for r, c in warm_peaks(maps, 5.0, 4, 300).tolist())
    got = anchor_candidates(maps, p, gsd, gate)
    centres = [(b.top_px + b.height_px / 2, b.left_px + b.width_px / 2) for b, _, _ in got]
    assert centres and all(abs(r - 150.5) <= 2 and abs(c - 150.5) <= 2 for r, c in centres)


def test_warm_peaks_skip_regions_larger_than_asked():
    det = ClassicalDetector(targets=("person",))
    img = _bodies([(250, 200)]).astype(np.int16)
    img[235:265, 385:415] += 60                      # a warm 30 x 30 px car roof, a warmer spot on it
    img[248:252, 398:402] += 40
    maps = _maps(np.clip(img, 0, 255).astype(np.uint8), det)
    everywhere = warm_peaks(maps, 5.0, 3, 1000)
    small_only = warm_peaks(maps, 5.0, 3, 1000, max_region_px=500)
    assert any(235 <= r < 265 and 385 <= c < 415 for r, c in everywhere.tolist())
    assert small_only.tolist() == [[250, 200]]
