"""Render what a thermal camera at a pose sees of a :class:`~sim.scene.Scene`, with exact ground truth.

Speed comes from casting rays on a coarse pixel lattice (every ``lattice_px``
pixels) and interpolating the ground coordinates bilinearly in between; lattice
cells whose corners disagree in range by more than 8 % (a ridge hides the
slope behind it) or that mix ground and sky are cast again at every pixel. The
background temperature is then looked up at each pixel's ground point (scene
raster plus a ground-fixed fine texture). Bodies are few and small: each
ellipsoid is projected with the local affine map of :meth:`geo.CameraView.project`
(exact centre, Jacobian for the shape), rasterised with 4x4 supersampling,
tested against terrain occlusion with :meth:`geo.CameraView.occluded` and
attenuated by the canopy above it. The ground truth box is the extent of the
pixels a body covers at least half (before optics blur).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

import geo
from geo.errors import CameraError, OutOfCoverageError
from sim.bodies import CLASS_NAMES, Part
from sim.palettes import colorize
from sim.scene import Scene
from sim.sensor import SensorModel, apply_agc, apply_sensor, check_seed, counts_from_celsius

__all__ = ["TargetTruth", "DecoyTruth", "RenderedFrame", "render_frame", "MIN_VISIBLE_FRACTION"]

MIN_VISIBLE_FRACTION = 0.3  # below this a target is "hidden" (not labelled)
_ATMOS_LENGTH_M = 9000.0  # LWIR extinction length in moderately humid air


@dataclass(frozen=True, slots=True)
class TargetTruth:
    """Ground truth of one target in one frame.

    ``box_xywh_px``: (x, y, w, h) in pixels, x = first column, y = first row
    covered (COCO convention, pixel c spans [c, c + 1)). ``visible_fraction``:
    share of the body's projected area that reaches the sensor (in the frame,
    not behind terrain, not under canopy).
    """

    target_id: int
    kind: str
    class_name: str
    class_id: int
    box_xywh_px: tuple[float, float, float, float]
    center_rc_px: tuple[float, float]
    visible_fraction: float
    in_frame_fraction: float
    canopy: float
    lat_deg: float
    lon_deg: float
    ground_amsl_m: float
    range_m: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class DecoyTruth:
    """A warm non-target in the frame (for measuring false alarms)."""

    decoy_id: int
    kind: str
    box_xywh_px: tuple[float, float, float, float]
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered frame.

    ``radiometric_c``: (H, W) float32 apparent temperature in C as the core reports it;
    ``counts``: (H, W) uint16, ``(T + 273.15) * 100`` (see :mod:`sim.sensor`);
    ``video_u8``: (H, W) uint8 AGC output (white-hot scalar; :meth:`video` applies a palette);
    ``truths``: labelled (visible) targets; ``hidden``: targets in view but not labelled.
    """

    radiometric_c: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    video_u8: np.ndarray = field(repr=False)
    agc_span_c: tuple[float, float]
    truths: tuple[TargetTruth, ...]
    hidden: tuple[TargetTruth, ...]
    decoys: tuple[DecoyTruth, ...]
    camera: geo.CameraModel
    pose: geo.CameraPose
    gsd_center_m: float

    def video(self, palette: str = "white-hot") -> np.ndarray:
        """The 8-bit video in ``palette`` (white-hot, black-hot: (H, W); ironbow: (H, W, 3) RGB)."""
        return colorize(self.video_u8, palette)


@functools.lru_cache(maxsize=1)
def _texture_tile() -> tuple[np.ndarray, float]:
    """A periodic unit-std noise tile (grass tufts and stones ~0.3 m plus crown-sized ~1.5 m), metres per texel."""
    rng = np.random.default_rng(0x7E47)
    n = 512

    def band(sigma: float) -> np.ndarray:
        f = np.fft.fft2(rng.standard_normal((n, n)))
        k = np.fft.fftfreq(n)
        kk = np.hypot(*np.meshgrid(k, k))
        t = np.real(np.fft.ifft2(f * np.exp(-0.5 * (kk * 2 * np.pi * sigma) ** 2)))
        return (t - t.mean()) / t.std()

    t = (0.6 * band(1.2) + 0.8 * band(7.0)).astype(np.float32)
    t.setflags(write=False)
    return t, 0.19


def _check_pose(scene: Scene, view: geo.CameraView) -> float:
    o = view.origin_m
    h0 = float(scene.grid.height_at(o[0], o[1]))
    p = view.pose
    if math.isnan(h0):
        raise OutOfCoverageError(
            f"pose lat_deg={p.lat_deg:.6f}, lon_deg={p.lon_deg:.6f} is outside scene {scene.name!r}: allowed "
            f"{scene.extent_text()}. "
            "Hint: fly over the scenario area (see Scene.search_area_latlon).")
    if o[2] <= h0 + 0.5:
        raise CameraError(
            f"pose alt_amsl_m={p.alt_amsl_m:.1f} is {o[2] - h0:.1f} m relative to the ground ({h0:.1f} m AMSL): the "
            "camera is at or below the ground. Hint: alt_amsl_m is above mean sea level, not above take-off.")
    dep = p.depression_deg()
    if dep <= 0.0:
        raise CameraError(
            f"the camera looks {-dep:.1f} deg above the horizon (gimbal_pitch_deg={p.gimbal_pitch_deg}): it sees "
            "only sky. Hint: gimbal_pitch_deg=-90 looks straight down.")
    return h0


def _ground(view: geo.CameraView, grid: geo.HeightGrid, h: int, w: int, step: int):
    """Per-pixel ground x, y and range (float32; NaN for sky) from a lattice plus refinement."""
    import cv2

    lr = np.arange(0, h + step, step, dtype=float)
    lc = np.arange(0, w + step, step, dtype=float)
    rr, cc = np.meshgrid(lr, lc, indexing="ij")
    hits = view.ground_points(rr, cc, grid)
    shp = rr.shape
    X = hits.xyz_m[:, 0].reshape(shp)
    Y = hits.xyz_m[:, 1].reshape(shp)
    R = hits.range_m.reshape(shp)
    miss = np.isnan(R)
    # Fill lattice misses with neighbours so interpolation does not smear NaN; flagged below.
    mapr = (np.arange(h, dtype=np.float32) / step)[:, None] * np.ones((1, w), np.float32)
    mapc = np.ones((h, 1), np.float32) * (np.arange(w, dtype=np.float32) / step)[None, :]
    out = []
    for a in (X, Y, R):
        a32 = np.where(miss, 0.0, a).astype(np.float32)
        out.append(cv2.remap(a32, mapc, mapr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    xg, yg, rg = out
    # Cells to refine: sky/ground mix, or a range jump (occlusion edge).
    r00, r01, r10, r11 = R[:-1, :-1], R[:-1, 1:], R[1:, :-1], R[1:, 1:]
    stack = np.stack([r00, r01, r10, r11])
    nmiss = np.isnan(stack).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.nanmax(np.where(np.isnan(stack), -np.inf, stack), 0) / np.nanmin(
            np.where(np.isnan(stack), np.inf, stack), 0)
    flag = ((nmiss > 0) & (nmiss < 4)) | ((nmiss == 0) & (ratio > 1.08))
    sky = np.zeros((h, w), bool)
    allmiss = nmiss == 4
    if allmiss.any():
        sky |= cv2.resize(allmiss.astype(np.uint8), None, fx=step, fy=step,
                          interpolation=cv2.INTER_NEAREST)[:h, :w].astype(bool)
    if flag.any():
        ci, cj = np.nonzero(flag)
        off = np.arange(step)
        pr = (ci[:, None, None] * step + off[None, :, None]) * np.ones((1, 1, step), int)
        pc = (cj[:, None, None] * step + off[None, None, :]) * np.ones((1, step, 1), int)
        pr, pc = pr.ravel(), pc.ravel()
        keep = (pr < h) & (pc < w)
        pr, pc = pr[keep], pc[keep]
        hh = view.ground_points(pr.astype(float), pc.astype(float), grid)
        xg[pr, pc] = hh.xyz_m[:, 0]
        yg[pr, pc] = hh.xyz_m[:, 1]
        rg[pr, pc] = hh.range_m
        sky[pr, pc] = ~hh.hit
    rg[sky] = np.nan
    return xg, yg, rg, sky


def _wrap(v: np.ndarray, n: int) -> np.ndarray:
    """``v mod n`` for float32 texel coordinates (NaN stays NaN; those pixels are sky)."""
    v = v.astype(np.float32, copy=False)
    return v - np.floor(v * np.float32(1.0 / n)) * np.float32(n)


def _background(scene: Scene, xg, yg, rg, sky, ifocal: float) -> np.ndarray:
    import cv2

    tm = scene.thermal
    mc = ((xg - tm.x0_m) / tm.res_m).astype(np.float32)
    mr = ((yg - tm.y0_m) / tm.res_m).astype(np.float32)
    base = cv2.remap(tm.apparent_c, mc, mr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    amp = cv2.remap(tm.texture_c, mc, mr, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    tile, res_t = _texture_tile()
    n = tile.shape[0]
    # Wrap here: OpenCV's BORDER_WRAP is slow for coordinates far outside the tile.
    fa = cv2.remap(tile, _wrap((xg - tm.x0_m) * np.float32(1 / res_t), n),
                   _wrap((yg - tm.y0_m) * np.float32(1 / res_t), n), cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    t = base + amp * fa
    _draw_features(scene, t, xg, yg, rg, sky, fa, ifocal)
    with np.errstate(invalid="ignore"):
        tau = np.exp(rg * np.float32(-1.0 / _ATMOS_LENGTH_M))  # NaN on sky pixels, overwritten below
    t = tau * t + (1.0 - tau) * np.float32(scene.air_c)
    t[sky] = scene.sky_c
    return t.astype(np.float32)


def _draw_features(scene: Scene, t: np.ndarray, xg, yg, rg, sky, fine: np.ndarray, ifocal: float) -> None:
    """Composite the scene's vector features (roads, roofs, pens, ponds) into ``t`` in place, anti-aliased."""
    if not scene.features:
        return
    ok = ~sky
    sx, sy = xg[::4, ::4], yg[::4, ::4]
    if np.isnan(sx).all():
        return
    # Footprint bounds from every 4th pixel, padded for what lies between them.
    fx0, fx1 = float(np.nanmin(sx)) - 10.0, float(np.nanmax(sx)) + 10.0
    fy0, fy1 = float(np.nanmin(sy)) - 10.0, float(np.nanmax(sy)) + 10.0
    for ft in scene.features:
        bx0, by0, bx1, by1 = ft.bbox_m
        if bx0 > fx1 or bx1 < fx0 or by0 > fy1 or by1 < fy0:
            continue
        # Find the image window on every 8th pixel first, then test its pixels only.
        step = 8
        xs, ys = xg[::step, ::step], yg[::step, ::step]
        pad = 2.0 * step * float(np.nanmax(rg[::step, ::step])) * ifocal + 1.0
        cs = (xs >= bx0 - pad) & (xs <= bx1 + pad) & (ys >= by0 - pad) & (ys <= by1 + pad)
        if not cs.any():
            continue
        rr, cc = np.nonzero(cs)
        r0, r1 = max(0, (rr.min() - 1) * step), min(t.shape[0], (rr.max() + 2) * step)
        c0, c1 = max(0, (cc.min() - 1) * step), min(t.shape[1], (cc.max() + 2) * step)
        px, py = xg[r0:r1, c0:c1], yg[r0:r1, c0:c1]  # views: whole window, no gathers
        p = tuple(np.float32(v) for v in ft.params)
        if ft.shape == "segment":
            x0, y0, x1, y1, hw = p
            dx, dy = x1 - x0, y1 - y0
            ex, ey = px - x0, py - y0
            tt = np.clip((ex * dx + ey * dy) * np.float32(1.0 / max(float(dx * dx + dy * dy), 1e-9)), 0, 1)
            d = np.hypot(ex - tt * dx, ey - tt * dy) - hw
        elif ft.shape == "disk":
            d = np.hypot(px - p[0], py - p[1]) - p[2]
        else:
            hd = math.radians(float(p[4]))
            sh, ch = np.float32(math.sin(hd)), np.float32(math.cos(hd))
            ex, ey = px - p[0], py - p[1]
            u = np.abs(ex * sh + ey * ch) - p[2]
            v = np.abs(ey * sh - ex * ch) - p[3]
            d = np.where((u < 0) & (v < 0), np.maximum(u, v), np.hypot(np.maximum(u, 0), np.maximum(v, 0)))
        with np.errstate(invalid="ignore"):
            # Anti-aliased coverage: the signed distance in pixels at each ground point.
            alpha = np.clip(np.float32(0.5) - d / (rg[r0:r1, c0:c1] * np.float32(ifocal)), 0.0, 1.0)
        np.nan_to_num(alpha, copy=False, nan=0.0)  # sky pixels
        val = np.float32(ft.apparent_c) + np.float32(0.5 * ft.texture_c) * fine[r0:r1, c0:c1]
        tw = t[r0:r1, c0:c1]
        tw += alpha * (val - tw)


def _axes(heading_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = math.radians(heading_deg)
    return (np.array([math.sin(h), math.cos(h), 0.0]), np.array([-math.cos(h), math.sin(h), 0.0]),
            np.array([0.0, 0.0, 1.0]))


_SS = (np.arange(4) + 0.5) / 4 - 0.5  # 4x4 supersampling offsets within a pixel


def _raster_body(view: geo.CameraView, base: np.ndarray, heading_deg: float, parts: tuple[Part, ...],
                 part_visible: np.ndarray):
    """Rasterise a body: returns (r0, c0, alpha_visible, alpha_all, temperature) on its own pixel window."""
    f, l, u = _axes(heading_deg)
    d = 0.05
    pts = np.stack([base, base + d * np.array([1.0, 0, 0]), base + d * np.array([0, 1.0, 0]),
                    base + d * np.array([0, 0, 1.0])])
    rows, cols, _ = view.project(pts)
    if not np.all(np.isfinite(rows)):
        return None
    J = np.stack([(rows[1:] - rows[0]) / d, (cols[1:] - cols[0]) / d])  # 2x3: d(row, col)/d(x, y, z)
    centres = np.array([base + f * p.fwd_m + l * p.left_m + u * p.up_m for p in parts])
    cr, ccol, _ = view.project(centres)
    if not np.all(np.isfinite(cr)):
        return None
    quads = []
    lo_r = lo_c = math.inf
    hi_r = hi_c = -math.inf
    for k, p in enumerate(parts):
        M = np.stack([f * p.semi_fwd_m, l * p.semi_left_m, u * p.semi_up_m], axis=1)
        JM = J @ M
        Q = JM @ JM.T
        det = Q[0, 0] * Q[1, 1] - Q[0, 1] ** 2
        if det <= 1e-12:
            Q = Q + np.eye(2) * 1e-3
        hr, hc = math.sqrt(Q[0, 0]), math.sqrt(Q[1, 1])
        quads.append((cr[k], ccol[k], np.linalg.inv(Q)))
        lo_r, hi_r = min(lo_r, cr[k] - hr), max(hi_r, cr[k] + hr)
        lo_c, hi_c = min(lo_c, ccol[k] - hc), max(hi_c, ccol[k] + hc)
    r0, r1 = int(math.floor(lo_r)) - 1, int(math.ceil(hi_r)) + 1
    c0, c1 = int(math.floor(lo_c)) - 1, int(math.ceil(hi_c)) + 1
    if (r1 - r0) * (c1 - c0) > 4_000_000:
        return None
    gr = np.arange(r0, r1 + 1, dtype=np.float64)
    gc = np.arange(c0, c1 + 1, dtype=np.float64)
    # Sub-sample coordinates: (nr, 4, nc, 4)
    sr = (gr[:, None] + _SS[None, :])[:, :, None, None]
    sc = (gc[:, None] + _SS[None, :])[None, None, :, :]
    nr, nc = gr.size, gc.size
    a_vis = np.zeros((nr, nc))
    a_all = np.zeros((nr, nc))
    temp = np.zeros((nr, nc))
    for k, (pr, pc, Qi) in enumerate(quads):
        dr = sr - pr
        dc = sc - pc
        inside = (Qi[0, 0] * dr * dr + 2 * Qi[0, 1] * dr * dc + Qi[1, 1] * dc * dc) <= 1.0
        cov = inside.mean(axis=(1, 3))
        a_all = a_all + cov * (1 - a_all)
        if part_visible[k]:
            t_p = parts[k].temperature_c
            new_a = a_vis + cov * (1 - a_vis)
            with np.errstate(invalid="ignore", divide="ignore"):
                temp = np.where(new_a > 0, (temp * a_vis * (1 - cov) + t_p * cov) / new_a, temp)
            a_vis = new_a
    return r0, c0, a_vis, a_all, temp


def _box(mask_rows: np.ndarray, mask_cols: np.ndarray) -> tuple[float, float, float, float]:
    return (float(mask_cols.min()), float(mask_rows.min()), float(mask_cols.max() - mask_cols.min() + 1),
            float(mask_rows.max() - mask_rows.min() + 1))


def render_frame(scene: Scene, camera: geo.CameraModel | str, pose: geo.CameraPose, *, seed: int = 0,
                 sensor: SensorModel | None = None, lattice_px: int = 8,
                 motion_blur_px: tuple[float, float] | None = None, time_s: float | None = None,
                 min_visible_fraction: float = MIN_VISIBLE_FRACTION, agc: str = "plateau") -> RenderedFrame:
    """Render one frame of ``scene`` seen by ``camera`` at ``pose``.

    ``seed`` sets the temporal noise (the same seed gives the same frame);
    ``sensor`` the core's imperfections (default :class:`SensorModel` with the
    camera's NETD); ``motion_blur_px`` an optional (rows, cols) smear during
    the integration time; ``time_s`` the clock for the slow drift (default
    ``pose.time_s`` or 0); ``agc`` the video's gain control ("plateau" histogram
    equalisation like the cores' default, or "linear"). Raises :class:`geo.CameraError` for a camera
    below the ground or looking at the sky and :class:`geo.OutOfCoverageError`
    for a pose outside the scene.
    """
    if isinstance(camera, str):
        camera = geo.camera_preset(camera)
    check_seed(seed, maximum=None)
    if sensor is None:
        sensor = SensorModel(netd_mk=camera.netd_mk or 50.0)
    if not (1 <= int(lattice_px) <= 64):
        raise CameraError(f"lattice_px={lattice_px} is out of range: allowed 1..64.")
    view = geo.CameraView.from_pose(camera, pose, scene.frame)
    _check_pose(scene, view)
    h, w = camera.height_px, camera.width_px
    xg, yg, rg, sky = _ground(view, scene.grid, h, w, int(lattice_px))
    if sky.mean() > 0.98:
        raise CameraError(
            f"the camera (depression {pose.depression_deg():.1f} deg) sees almost no ground of scene "
            f"{scene.name!r}. Hint: pitch the gimbal down or fly inside the scene area.")
    img = _background(scene, xg, yg, rg, sky, 1.0 / math.sqrt(camera.fx_px * camera.fy_px))

    # Bodies near the view.
    bodies = [(t, True) for t in scene.targets] + [(d, False) for d in scene.decoys]
    cand = []
    if bodies:
        base = np.array([[b.x_m, b.y_m, b.ground_amsl_m] for b, _ in bodies])
        br, bc, _ = view.project(base)
        margin = 0.25 * max(h, w)
        near = np.isfinite(br) & (br > -margin) & (br < h + margin) & (bc > -margin) & (bc < w + margin)
        cand = [bodies[i] for i in np.flatnonzero(near)]
    # Occlusion of every part centre in one batch of rays.
    centres, owners = [], []
    for i, (b, _) in enumerate(cand):
        f, l, u = _axes(b.heading_deg)
        bp = np.array([b.x_m, b.y_m, b.ground_amsl_m])
        for p in b.parts:
            # Test the top of each part: what the camera can see of it first.
            centres.append(bp + f * p.fwd_m + l * p.left_m + u * (p.up_m + 0.5 * p.semi_up_m))
            owners.append(i)
    occl = view.occluded(np.array(centres), scene.grid, margin_m=0.3) if centres else np.zeros(0, bool)
    owners_a = np.array(owners, int)

    truths: list[TargetTruth] = []
    hidden: list[TargetTruth] = []
    dtruths: list[DecoyTruth] = []
    for i, (b, is_target) in enumerate(cand):
        vis_parts = ~occl[owners_a == i]
        base_pt = np.array([b.x_m, b.y_m, b.ground_amsl_m])
        ras = _raster_body(view, base_pt, b.heading_deg, b.parts, vis_parts)
        if ras is None:
            continue
        r0, c0, a_vis, a_all, temp = ras
        canopy = float(b.canopy) if is_target else 0.0
        total = float(a_all.sum())
        if total <= 0:
            continue
        rr = np.arange(r0, r0 + a_vis.shape[0])
        cc = np.arange(c0, c0 + a_vis.shape[1])
        inr = (rr >= 0) & (rr < h)
        inc = (cc >= 0) & (cc < w)
        in_frame = float(a_all[np.ix_(inr, inc)].sum()) / total
        if in_frame <= 0:
            continue
        av = a_vis[np.ix_(inr, inc)] * (1.0 - canopy)
        tv = temp[np.ix_(inr, inc)]
        win = (slice(int(rr[inr][0]), int(rr[inr][-1]) + 1), slice(int(cc[inc][0]), int(cc[inc][-1]) + 1))
        img[win] = ((1.0 - av) * img[win] + av * tv).astype(np.float32)
        vis_frac = float(a_vis[np.ix_(inr, inc)].sum()) / total * (1.0 - canopy)
        a_in = a_vis[np.ix_(inr, inc)]
        mr, mc = np.nonzero(a_in >= 0.5)
        if mr.size == 0 and a_in.max() > 0:
            mr, mc = np.unravel_index(np.argmax(a_in), a_in.shape)
            mr, mc = np.atleast_1d(mr), np.atleast_1d(mc)
        if mr.size:
            box = _box(mr + rr[inr][0], mc + cc[inc][0])
        else:
            box = (0.0, 0.0, 0.0, 0.0)
        if not is_target:
            if mr.size:
                dtruths.append(DecoyTruth(b.decoy_id, b.kind, box, b.lat_deg, b.lon_deg))
            continue
        pr, pc, _ = view.project(base_pt[None, :])
        rng_m = float(np.linalg.norm(base_pt - view.origin_m))
        tt = TargetTruth(b.target_id, b.kind, b.class_name, CLASS_NAMES.index(b.class_name), box,
                         (float(pr[0]), float(pc[0])), vis_frac, in_frame, canopy, b.lat_deg, b.lon_deg,
                         b.ground_amsl_m, rng_m, b.label)
        (truths if (vis_frac >= min_visible_fraction and mr.size) else hidden).append(tt)

    t_s = time_s if time_s is not None else (pose.time_s or 0.0)
    rad = apply_sensor(img, sensor, seed=seed, time_s=float(t_s), motion_blur_px=motion_blur_px)
    video, span = apply_agc(rad, agc)
    ctr = rg[h // 2, w // 2]
    gsd = float(ctr) / math.sqrt(camera.fx_px * camera.fy_px) if np.isfinite(ctr) else float("nan")
    for a in (rad, video):
        a.setflags(write=False)
    counts = counts_from_celsius(rad)
    counts.setflags(write=False)
    return RenderedFrame(rad, counts, video, span, tuple(truths), tuple(hidden), tuple(dtruths), camera, pose, gsd)
