"""Associating detections across consecutive frames into tracks.

One sheep seen in 20 frames is one track whose confidence grows with each
sighting (noisy-OR of the detection scores: ``1 - prod(1 - score)``), not 20
alarms. Association is an optimal assignment (Hungarian) on IoU, gated by
IoU or by centre distance relative to the box size, after predicting each
track's box with

* the image motion of the whole scene when the caller knows it
  (``shift_px``: the (row, col) shift of ground points between the last
  frame and this one, e.g. from the drone pose and the camera model), and
* the track's own constant-velocity estimate (smoothed).

Tracks not seen for ``max_missed`` frames are closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo.errors import InputError, out_of_range
from vision.detection import Detection

__all__ = ["TrackerParams", "Track", "Tracker", "nadir_shift_px"]


@dataclass(frozen=True, slots=True)
class TrackerParams:
    """Gates of the association (pixels, frames)."""

    iou_min: float = 0.1
    max_center_dist: float = 1.5   # centre distance over the mean box side, when IoU fails
    max_missed: int = 5            # frames a track may go unseen before it closes
    velocity_smoothing: float = 0.5
    min_sightings: int = 1         # tracks with fewer sightings are not reported

    def __post_init__(self) -> None:
        if not 0.0 <= self.iou_min < 1.0:
            raise InputError(out_of_range("iou_min", self.iou_min, "0 <= iou_min < 1"))
        if self.max_missed < 0 or self.min_sightings < 1:
            raise InputError("max_missed must be >= 0 and min_sightings >= 1.")
        if not 0.0 <= self.velocity_smoothing <= 1.0:
            raise InputError(out_of_range("velocity_smoothing", self.velocity_smoothing, "0..1"))


@dataclass(frozen=True, slots=True)
class Track:
    """A snapshot of one track: its latest detection and what its history says.

    ``confidence`` = 1 - prod(1 - score) over sightings (noisy-OR, 0..1),
    ``class_name`` the class with the largest summed score.
    """

    track_id: int
    last: Detection
    sightings: int
    first_frame: int
    last_frame: int
    confidence: float
    class_name: str
    velocity_row_px: float = 0.0
    velocity_col_px: float = 0.0
    missed: int = 0


@dataclass
class _State:
    track_id: int
    last: Detection
    first_frame: int
    last_frame: int
    sightings: int = 1
    log_miss: float = 0.0          # sum of log(1 - score)
    class_votes: dict[str, float] = field(default_factory=dict)
    v_row: float = 0.0
    v_col: float = 0.0
    missed: int = 0

    def add(self, d: Detection) -> None:
        self.sightings += 1
        self.log_miss += math.log(max(1e-6, 1.0 - d.score))
        self.class_votes[d.class_name] = self.class_votes.get(d.class_name, 0.0) + d.score

    def snapshot(self) -> Track:
        cls = max(self.class_votes.items(), key=lambda kv: kv[1])[0]
        return Track(self.track_id, self.last, self.sightings, self.first_frame, self.last_frame,
                     1.0 - math.exp(self.log_miss), cls, self.v_row, self.v_col, self.missed)


class Tracker:
    """Frame-to-frame tracker; call :meth:`update` once per frame, in order."""

    def __init__(self, params: TrackerParams | None = None) -> None:
        self.params = params or TrackerParams()
        self._tracks: list[_State] = []
        self._closed: list[_State] = []
        self._next_id = 1
        self._frame = -1

    def update(self, detections: list[Detection], *, frame_index: int | None = None,
               shift_px: tuple[float, float] = (0.0, 0.0)) -> list[Track]:
        """Add one frame's detections; returns the open tracks seen in this frame.

        ``frame_index`` defaults to the previous one + 1; frames skipped
        count as missed. ``shift_px`` is the scene's (row, col) motion since
        the previous frame, when known.
        """
        p = self.params
        fi = self._frame + 1 if frame_index is None else int(frame_index)
        if fi <= self._frame:
            raise InputError(f"frame_index={fi} is not after the previous frame {self._frame}: update in order.")
        gap = fi - self._frame if self._frame >= 0 else 1
        self._frame = fi
        # Close tracks unseen for too long before associating anything with them.
        alive = []
        for t in self._tracks:
            t.missed = fi - t.last_frame - 1
            (alive if t.missed <= p.max_missed else self._closed).append(t)
        self._tracks = alive
        preds = np.array([self._predict(t, gap, shift_px) for t in self._tracks]).reshape(-1, 4)
        dets = np.array([[d.top_px, d.left_px, d.bottom_px, d.right_px] for d in detections], float).reshape(-1, 4)
        pairs = _assign(preds, dets, p.iou_min, p.max_center_dist)
        matched_t, matched_d = set(), set()
        for ti, di in pairs:
            t, d = self._tracks[ti], detections[di]
            a = p.velocity_smoothing
            dr = (d.row_px - t.last.row_px - shift_px[0] * gap) / gap
            dc = (d.col_px - t.last.col_px - shift_px[1] * gap) / gap
            t.v_row = a * t.v_row + (1 - a) * dr if t.sightings > 1 else dr
            t.v_col = a * t.v_col + (1 - a) * dc if t.sightings > 1 else dc
            t.last, t.last_frame, t.missed = d, fi, 0
            t.add(d)
            matched_t.add(ti)
            matched_d.add(di)
        for di, d in enumerate(detections):
            if di not in matched_d:
                st = _State(self._next_id, d, fi, fi, 1, math.log(max(1e-6, 1.0 - d.score)), {d.class_name: d.score})
                self._next_id += 1
                self._tracks.append(st)
        return [t.snapshot() for t in self._tracks if t.last_frame == fi and t.sightings >= p.min_sightings]

    def tracks(self, *, include_closed: bool = True) -> list[Track]:
        """Every track so far (open and, by default, closed), by id."""
        sts = self._tracks + (self._closed if include_closed else [])
        return sorted((t.snapshot() for t in sts if t.sightings >= self.params.min_sightings),
                      key=lambda t: t.track_id)

    @staticmethod
    def _predict(t: _State, gap: int, shift_px: tuple[float, float]) -> list[float]:
        dr = (t.v_row + shift_px[0]) * gap
        dc = (t.v_col + shift_px[1]) * gap
        d = t.last
        return [d.top_px + dr, d.left_px + dc, d.bottom_px + dr, d.right_px + dc]


def _assign(tracks: np.ndarray, dets: np.ndarray, iou_min: float, max_center_dist: float) -> list[tuple[int, int]]:
    if len(tracks) == 0 or len(dets) == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    from vision.evaluate import iou_matrix

    iou = iou_matrix(tracks, dets)
    ct = np.stack([(tracks[:, 0] + tracks[:, 2]) / 2, (tracks[:, 1] + tracks[:, 3]) / 2], 1)
    cd = np.stack([(dets[:, 0] + dets[:, 2]) / 2, (dets[:, 1] + dets[:, 3]) / 2], 1)
    dist = np.linalg.norm(ct[:, None, :] - cd[None, :, :], axis=2)
    side_t = ((tracks[:, 2] - tracks[:, 0]) + (tracks[:, 3] - tracks[:, 1])) / 2
    side_d = ((dets[:, 2] - dets[:, 0]) + (dets[:, 3] - dets[:, 1])) / 2
    rel = dist / np.maximum((side_t[:, None] + side_d[None, :]) / 2, 1.0)
    ok = (iou >= max(iou_min, 1e-9)) | (rel <= max_center_dist)
    cost = np.where(ok, (1.0 - iou) + 0.1 * rel, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if ok[r, c]]


def nadir_shift_px(prev_pose, pose, gsd_m: float) -> tuple[float, float]:
    """Image (row, col) motion of ground points between two poses of a near-nadir camera.

    The camera moved by (east, north) metres; ground points move the other
    way in the image. Image up points along the gimbal yaw (EARTH mount, as
    DJI writes it). Returns (0, 0) when the camera is not within 30 degrees
    of nadir in either pose (the flat-shift model would be wrong).
    """
    from geo.coords import inverse

    if not (gsd_m > 0) or prev_pose.depression_deg() < 60.0 or pose.depression_deg() < 60.0:
        return (0.0, 0.0)
    az, _, dist = inverse(prev_pose.lat_deg, prev_pose.lon_deg, pose.lat_deg, pose.lon_deg)
    az_deg, dist_m = float(az), float(dist)
    rel = math.radians(az_deg - pose.gimbal_yaw_deg)
    forward_m, right_m = dist_m * math.cos(rel), dist_m * math.sin(rel)
    return (forward_m / gsd_m, -right_m / gsd_m)
