"""GPS glitch detection and clock-offset estimation (pure computation)."""

from __future__ import annotations

import math

import numpy as np

from geo.errors import InputError

__all__ = ["flag_gps_glitches", "estimate_clock_offset"]


def _m_per_deg(lat_deg: float) -> tuple[float, float]:
    lat = math.radians(lat_deg)
    return 111_132.954 - 559.822 * math.cos(2 * lat), 111_412.84 * math.cos(lat)


def flag_gps_glitches(time_s, lat_deg, lon_deg, alt_m, baro_alt_m=None, *, fix_ok=None, max_speed_m_s: float = 40.0,
                      max_climb_m_s: float = 20.0, max_baro_disagreement_m: float = 50.0) -> np.ndarray:
    """True for GPS samples that cannot be a real position of a multicopter.

    Two independent tests:

    * barometer: the GPS altitude minus the barometric altitude is constant up
      to drift for a real climb; samples whose difference leaves the median of
      the good samples by more than ``max_baro_disagreement_m`` are glitches (an
      altitude of 1,892 m while the barometer says 12 m is not a real climb);
    * kinematics: a sample reached from the last good one faster than
      ``max_speed_m_s`` horizontally or ``max_climb_m_s`` vertically is a glitch.

    ``baro_alt_m`` is the barometric altitude (any datum) at the same times, or None.
    ``fix_ok`` marks samples with a 3D fix: only they set the GPS-baro reference
    and anchor the kinematic test (samples without a fix are often garbage).
    """
    t = np.asarray(time_s, float).ravel()
    lat = np.asarray(lat_deg, float).ravel()
    lon = np.asarray(lon_deg, float).ravel()
    alt = np.asarray(alt_m, float).ravel()
    n = t.shape[0]
    if not (lat.shape[0] == lon.shape[0] == alt.shape[0] == n):
        raise InputError("time_s, lat_deg, lon_deg and alt_m must have equal length.")
    bad = np.zeros(n, bool)
    if n == 0:
        return bad
    ok_fix = np.ones(n, bool) if fix_ok is None else np.asarray(fix_ok, bool).ravel()
    if baro_alt_m is not None:
        b = np.asarray(baro_alt_m, float).ravel()
        if b.shape[0] != n:
            raise InputError(f"baro_alt_m has {b.shape[0]} samples, expected {n}.")
        diff = alt - b
        ok = np.isfinite(diff)
        if (ok & ok_fix).any():
            ref = np.median(diff[ok & ok_fix])
            bad |= ok & (np.abs(diff - ref) > max_baro_disagreement_m)
    mlat, mlon = _m_per_deg(float(np.median(lat)))
    last = None
    for i in range(n):
        if bad[i]:
            continue
        if last is None and not ok_fix[i]:
            continue
        if last is not None:
            dt = max(t[i] - t[last], 1e-3)
            dh = math.hypot((lat[i] - lat[last]) * mlat, (lon[i] - lon[last]) * mlon)
            dv = abs(alt[i] - alt[last])
            if dh / dt > max_speed_m_s + 5.0 / dt or dv / dt > max_climb_m_s + 5.0 / dt:
                bad[i] = True
                continue
        if ok_fix[i]:
            last = i
    return bad


def estimate_clock_offset(frame_times_s, trigger_times_s, *, tolerance_s: float = 0.05,
                          max_offset_s: float = 3600.0) -> tuple[float, int]:
    """Offset to add to camera frame times to put them on the flight clock.

    ``frame_times_s`` are the capture times of frames taken at camera triggers
    (camera clock); ``trigger_times_s`` are the trigger events of the autopilot
    (CAMERA_FEEDBACK / CAMERA_TRIGGER / CAM, flight clock). Either list may
    miss events. Every pairwise difference is a candidate offset; the one that
    matches the most events within ``tolerance_s`` wins, then it is refined
    with the median of the matched differences. Returns ``(offset_s, n_matched)``.
    Raises :class:`InputError` when fewer than two events match, or when
    offsets far apart match equally many (regular trigger intervals with only
    a few frames: a wrong offset would move every target along the track).
    """
    f = np.sort(np.asarray(frame_times_s, float).ravel())
    g = np.sort(np.asarray(trigger_times_s, float).ravel())
    if f.size < 2 or g.size < 2:
        raise InputError(
            f"need at least 2 frame times and 2 trigger events to estimate the clock offset, got {f.size} and {g.size}. "
            "Hint: give --clock-offset explicitly."
        )
    cand = (g[None, :] - f[:, None]).ravel()
    cand = cand[np.abs(cand) <= max_offset_s]
    if cand.size > 20000:
        cand = np.random.default_rng(0).choice(cand, 20000, replace=False)

    def matches(off):
        shifted = f + off
        j = np.clip(np.searchsorted(g, shifted), 1, g.size - 1)
        near = np.minimum(np.abs(g[j] - shifted), np.abs(g[j - 1] - shifted))
        return near <= tolerance_s, j

    counts = np.array([np.count_nonzero(matches(off)[0]) for off in cand])
    best_n = int(counts.max()) if counts.size else 0
    if best_n < 2:
        raise InputError("fewer than 2 frames match trigger events at any offset. Hint: give --clock-offset explicitly.")
    tied = cand[counts == best_n]
    best = float(tied[0])
    if np.any(np.abs(tied - best) > 2 * tolerance_s):
        alt = float(tied[np.argmax(np.abs(tied - best))])
        raise InputError(
            f"the clock offset is ambiguous: {best:+.2f} s and {alt:+.2f} s match {best_n} events each (regular "
            "trigger intervals repeat; too few frames to tell). Hint: give --clock-offset explicitly."
        )
    ok, j = matches(best)
    shifted = f + best
    nearest = np.where(np.abs(g[j] - shifted) < np.abs(g[j - 1] - shifted), g[j], g[j - 1])
    refined = best + float(np.median(nearest[ok] - shifted[ok]))
    return refined, best_n
