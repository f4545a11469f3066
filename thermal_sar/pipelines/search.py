"""Frames and poses in, targets on the ground out: the pipeline every search runs.

:class:`FramePipeline` is what the demo, a live flight and a post-flight replay
share: for each frame it detects heat signatures (any :class:`vision.Detector`),
geotags them with the pose the autopilot reported (``telemetry.geotag_pixels``,
with propagated uncertainty), keeps a thumbnail of each, and fuses repeated
sightings into targets (``telemetry.fuse_sightings``). It holds state (the
sightings so far, and the footprint of every frame processed) and is driven
explicitly: no threads, no clocks.

:meth:`FramePipeline.assess` says which fused targets to believe: a target is
confirmed when it was seen in a sufficient fraction of the frames whose
footprint covered it, with a consistent class and size (``telemetry.confirm``);
the others are candidates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo.camera import CameraModel, CameraPose
from geo.errors import CameraError, OutOfCoverageError, SarIOError
from geo.frames import LocalFrame
from geo.raycast import CameraView, HeightGrid
from geo.terrain import Terrain
from telemetry.confirm import ConfirmationRule, FrameCoverage, TargetEvidence, assess_targets
from telemetry.fusion import FusedTarget, Sighting, SightingFuser, targets_geojson
from telemetry.geotag import ErrorModel, geotag_pixels
from telemetry.track import PoseArrays
from vision.detection import Detection
from vision.detector import GSD_RANGE_M

__all__ = ["FramePipeline", "FrameOutcome", "SearchAssessment", "thumbnail_png", "ground_team_gpx", "write_map_and_gpx"]


@dataclass(frozen=True)
class FrameOutcome:
    """What one frame gave: its detections and their geotagged sightings (same order; misses dropped)."""

    frame_index: int
    time_s: float
    gsd_m: float | None
    detections: tuple[Detection, ...]
    sightings: tuple[Sighting, ...]
    note: str = ""


@dataclass(frozen=True)
class SearchAssessment:
    """Every fused target with its evidence (same order), split into confirmed targets and candidates."""

    targets: tuple[FusedTarget, ...]
    evidence: tuple[TargetEvidence, ...]

    @property
    def confirmed(self) -> tuple[FusedTarget, ...]:
        """The targets to report."""
        return tuple(t for t, e in zip(self.targets, self.evidence) if e.confirmed)

    @property
    def candidates(self) -> tuple[FusedTarget, ...]:
        """Seen, but not (yet) confirmed: shown as such, never counted as reported targets."""
        return tuple(t for t, e in zip(self.targets, self.evidence) if not e.confirmed)

    def evidence_of(self, target_id: str) -> TargetEvidence:
        for e in self.evidence:
            if e.target_id == target_id:
                return e
        raise KeyError(target_id)


def thumbnail_png(image_u8: np.ndarray, det: Detection, *, size_px: int = 64, context: float = 2.5) -> bytes:
    """A square PNG crop around a detection, ``context`` times its size, scaled to ``size_px``."""
    import cv2

    h, w = image_u8.shape[:2]
    half = max(8.0, context * 0.5 * max(det.height_px, det.width_px))
    r0, r1 = int(max(0, det.row_px - half)), int(min(h, det.row_px + half))
    c0, c1 = int(max(0, det.col_px - half)), int(min(w, det.col_px + half))
    crop = image_u8[r0:r1, c0:c1]
    if crop.size == 0:
        crop = np.zeros((2, 2), np.uint8)
    crop = cv2.resize(crop, (size_px, size_px), interpolation=cv2.INTER_NEAREST)
    ok, buf = cv2.imencode(".png", crop)
    return bytes(buf) if ok else b""


def _to_u8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a
    lo, hi = np.percentile(a, [1, 99.5])
    return np.clip((a - lo) * (255.0 / max(hi - lo, 1e-6)), 0, 255).astype(np.uint8)


@dataclass
class FramePipeline:
    """Detect, geotag and fuse frame after frame.

    Parameters
    ----------
    camera, terrain : the thermal camera and the ground under the flight.
    frame : the local metric frame for height grids (e.g. centred on the search area).
    detector : any object with ``detect(image, gsd_m=..., frame_index=..., frame_time_s=...)``.
    errors : sigmas of pose, DEM and timing errors for the uncertainty of each sighting.
    grid_radius_m : half-width of the height grid built around the aircraft when it
        leaves the current one.
    min_score : detections scoring below this are not geotagged (the operating point
        of the detector: its precision/recall trade-off; with :meth:`assess` it may be set
        lower, as the rule's ``min_best_score`` still asks one sighting of a target to reach
        the operating point).

    ``coverage`` holds one :class:`telemetry.confirm.FrameCoverage` per frame that saw the
    ground (also those with no detection): the opportunities :meth:`assess` counts.
    """

    camera: CameraModel
    terrain: Terrain
    frame: LocalFrame
    detector: object
    errors: ErrorModel = field(default_factory=ErrorModel)
    grid_radius_m: float = 1500.0
    grid: HeightGrid | None = None
    thumbnails: bool = True
    min_score: float = 0.5
    sightings: list[Sighting] = field(default_factory=list)
    frames: int = 0
    _fusion: tuple | None = field(default=None, init=False, repr=False, compare=False)
    detections: int = 0
    coverage: list[FrameCoverage] = field(default_factory=list)

    def _grid_for(self, pose: CameraPose) -> HeightGrid:
        x, y = self.frame.to_local(pose.lat_deg, pose.lon_deg)
        g = self.grid
        margin = 600.0
        if g is None or not (g.x0_m + margin <= x <= g.x_max_m - margin and g.y0_m + margin <= y <= g.y_max_m - margin):
            g = HeightGrid.around(self.terrain, self.frame, x, y, self.grid_radius_m)
            self.grid = g
        return g

    def process(self, image: np.ndarray, pose: CameraPose, *, time_s: float, frame_index: int) -> FrameOutcome:
        """Detect in ``image`` (2-D: 8-bit video or radiometric) seen from ``pose``; geotag; remember."""
        self.frames += 1
        try:
            grid = self._grid_for(pose)
            view = CameraView.from_pose(self.camera, pose, self.frame)
            gsd = view.gsd_m(grid)
        except (CameraError, OutOfCoverageError) as exc:
            # A frame looking at the sky or off the DEM gives no ground position: detect nothing, say why.
            return FrameOutcome(frame_index, time_s, None, (), (), note=str(exc))
        lo, hi = GSD_RANGE_M
        if not (math.isfinite(gsd) and lo <= gsd <= hi):
            # The camera on the ground before take-off (or absurdly high): nothing to search in this frame.
            return FrameOutcome(frame_index, time_s, None, (), (), note=(
                f"ground sample distance {gsd:.3g} m/px at the image centre is outside {lo:g}..{hi:g}: "
                "the camera is on the ground or too high to search"))
        self.coverage.append(FrameCoverage(frame_index, float(time_s), view, float(gsd)))
        dets = tuple(d for d in self.detector.detect(image, gsd_m=gsd, frame_index=frame_index, frame_time_s=time_s)
                     if d.score >= self.min_score)
        self.detections += len(dets)
        if not dets:
            return FrameOutcome(frame_index, time_s, gsd, (), ())
        n = len(dets)
        rows = np.array([d.row_px for d in dets])
        cols = np.array([d.col_px for d in dets])
        poses = _repeat_pose(pose, n, time_s)
        geo_ = geotag_pixels(rows, cols, poses, self.camera, grid, errors=self.errors)
        u8 = _to_u8(image) if self.thumbnails else None
        out: list[Sighting] = []
        for i, d in enumerate(dets):
            if not geo_.hit[i]:
                continue
            cov = geo_.cov_en_m2[i]
            s = Sighting(float(geo_.lat_deg[i]), float(geo_.lon_deg[i]), float(geo_.alt_amsl_m[i]),
                         ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
                         d.class_name, float(d.score), float(time_s), frame_index,
                         thumbnail_png(u8, d) if u8 is not None else None, d.area_m2)
            out.append(s)
        self.sightings.extend(out)
        return FrameOutcome(frame_index, time_s, gsd, dets, tuple(out))

    def targets(self, **fuse_kw) -> tuple[FusedTarget, ...]:
        """Fused targets of every sighting so far (see :func:`telemetry.fuse_sightings`;
        incremental: a :class:`telemetry.SightingFuser` kept between calls).

        The pose's horizontal error (``errors.horizontal_sigma_m``) is shared by the
        sightings of minutes of flight, so it is the fusion's ``shared_sigma_m`` unless given.
        """
        fuse_kw.setdefault("shared_sigma_m", self.errors.horizontal_sigma_m)
        key = tuple(sorted(fuse_kw.items()))
        cached = self._fusion
        if cached is None or cached[0] != key or len(cached[1]) > len(self.sightings):
            # Positions in a frame at the search area's origin, fixed for the flight.
            fuser = SightingFuser(origin=(self.frame.origin_lat_deg, self.frame.origin_lon_deg), **fuse_kw)
            self._fusion = cached = (key, fuser)
        # Only the sightings since the last call are fused: a live flight's updates stay cheap.
        cached[1].add(self.sightings[len(cached[1]):])
        return cached[1].targets()

    def assess(self, rule: ConfirmationRule = ConfirmationRule(), **fuse_kw) -> SearchAssessment:
        """Fuse every sighting so far and confirm each target against the frames that covered it.

        See :mod:`telemetry.confirm`; ``fuse_kw`` go to :func:`telemetry.fuse_sightings`.
        """
        targets = self.targets(**fuse_kw)
        return SearchAssessment(targets, assess_targets(targets, self.coverage, rule))


def _repeat_pose(pose: CameraPose, n: int, time_s: float) -> PoseArrays:
    def rep(v: float) -> np.ndarray:
        return np.full(n, float(v))

    return PoseArrays(rep(time_s), rep(pose.lat_deg), rep(pose.lon_deg), rep(pose.alt_amsl_m), rep(pose.roll_deg),
                      rep(pose.pitch_deg), rep(pose.yaw_deg), rep(pose.gimbal_roll_deg), rep(pose.gimbal_pitch_deg),
                      rep(pose.gimbal_yaw_deg), pose.mount_mode, np.ones(n, bool))


def footprint_along_m(camera: CameraModel, agl_m: float) -> float:
    """Ground length of the image along the flight direction (image rows) from a nadir camera."""
    return agl_m * camera.height_px / camera.fy_px


def frame_interval_s(camera: CameraModel, agl_m: float, speed_m_s: float, *, overlap: float = 0.15) -> float:
    """Seconds between processed frames so that consecutive footprints overlap by ``overlap``."""
    return max(0.2, footprint_along_m(camera, agl_m) * (1.0 - overlap) / max(speed_m_s, 0.1))


def ground_team_gpx(targets) -> str:
    """The ground teams' GPX: one waypoint per target, named by id and class, with confidence and CEP."""
    from maps import gpx_waypoints_text

    return gpx_waypoints_text([
        (f"{f.id} {f.class_name}", f.lat_deg, f.lon_deg, f.alt_amsl_m,
         f"{f.class_name}, confidence {f.confidence:.2f}, {f.sightings} sightings, CEP {f.cep_m:.1f} m")
        for f in targets])


def write_map_and_gpx(out_dir: Path, targets, track: list[tuple[float, float, float, float]], *,
                      terrain=None, title: str, mission=None) -> list[Path]:
    """Write the offline ``officer_map.html`` and ``ground_team.gpx`` (one waypoint a target).

    ``track`` is ``[(t_s, lat_deg, lon_deg, alt_amsl_m), ...]`` (drawn when it has 2 points or more);
    ``mission`` the plan's features (``maps.parse_mission``) when there is one.
    """
    from maps import MapOptions, build_map, parse_targets
    from maps.features import TrackPoint

    files = []
    try:
        trk = [TrackPoint(lat, lon, alt, t) for t, lat, lon, alt in track] if len(track) >= 2 else []
        m = build_map(mission=mission or (), targets=parse_targets(json.loads(targets_geojson(targets))), track=trk,
                      options=MapOptions(terrain=terrain, title=title))
        p = out_dir / "officer_map.html"
        m.save(str(p))
        files.append(p)
        p = out_dir / "ground_team.gpx"
        p.write_text(ground_team_gpx(targets), encoding="utf-8")
        files.append(p)
    except OSError as exc:
        raise SarIOError(f"cannot write into {str(out_dir)!r}: {exc.strerror or exc}.") from None
    return files
