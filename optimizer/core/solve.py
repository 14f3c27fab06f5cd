"""Numerics of the integer hedge: covariance factor, integer bounds, enumeration.

Integer bounds (why they never cut off the integer optimum)
-----------------------------------------------------------
1. *Hard box* -- interval propagation (FBBT) of the linear implications of the stated constraints
   (``Constraint.rows()``: per-contract bounds, sector/portfolio DV01 bands, key-rate bands, and the
   per-instrument consequences ``|h_i - r_i| <= cap / w_i`` of the leverage, margin and turnover
   sums). Every integer point satisfying the constraints satisfies every propagated bound, so the
   box only removes infeasible points. Bounds are rounded inward to integers with a 1e-7 relative
   slack, so floating-point error cannot remove a feasible integer.
2. *Objective (ellipsoid) box* -- let f(h) = ||G h + g||^2 + rv + c'|h - h0| (convex, quadratic
   part h'Qh with Q = G'G) and let h_c minimize f over the continuous relaxation P (a convex set
   that contains every integer-feasible point). phi(h) = f(h) - (h - h_c)'Q(h - h_c) is convex
   (f minus its own quadratic part is affine + convex) and has the same subdifferential at h_c as
   f, so h_c also minimizes phi over P: for every h in P, f(h) >= f_c + (h - h_c)'Q(h - h_c).
   Hence any integer-feasible h with f(h) <= U (U = objective of a known integer-feasible point)
   lies in the ellipsoid (h - h_c)'Q(h - h_c) <= U - f_c, whose coordinate extents are
   h_c,i +- sqrt((U - f_c) (Q^+)_ii) (infinite when e_i is not orthogonal to null(Q)). The integer
   optimum has f <= U, so it is inside. To cover solver inaccuracy in h_c and f_c we use
   radius sqrt(U - f_c + eps) + sqrt(eps) with eps = 1e-6 x max(1, |f_c|) (triangle inequality in
   the Q-norm, with f_c - f* <= eps), and eigenvalues below 1e-12 x the largest treated as 0
   (a larger ellipsoid).
3. The propagated box of 1 intersected with 2 (propagated again) bounds the MIQP variables and
   the big-M of the cardinality constraint; the same box is what enumeration certifies.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

EPS_INT = 1e-7


def cov_factor(cov: np.ndarray) -> np.ndarray:
    """Lt (F x F) with Lt.T @ Lt = cov (eigen square root; tiny negative eigenvalues -> 0)."""
    cov = 0.5 * (cov + cov.T)
    w, V = np.linalg.eigh(cov)
    w = np.clip(w, 0.0, None)
    return (V * np.sqrt(w)).T


def _round_in(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.where(np.isfinite(lo), np.ceil(lo - EPS_INT * np.maximum(1, np.abs(lo))), lo)
    hi = np.where(np.isfinite(hi), np.floor(hi + EPS_INT * np.maximum(1, np.abs(hi))), hi)
    return lo, hi


def propagate(rows: list[tuple[np.ndarray, float, float]], lo: np.ndarray, hi: np.ndarray,
              rounds: int = 50) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer interval propagation of ``l <= a'y <= u`` rows; None when the box is empty."""
    lo, hi = _round_in(np.asarray(lo, float).copy(), np.asarray(hi, float).copy())
    rows = [(np.asarray(a, float), float(lr), float(ur)) for a, lr, ur in rows
            if np.any(a != 0) and (np.isfinite(lr) or np.isfinite(ur))]
    for _ in range(rounds):
        changed = False
        for a, lr, ur in rows:
            nz = a != 0
            an = a[nz]
            plo, phi = lo[nz], hi[nz]
            with np.errstate(invalid="ignore"):
                cmin = np.where(an > 0, an * plo, an * phi)
                cmax = np.where(an > 0, an * phi, an * plo)
            inf_min = ~np.isfinite(cmin)
            inf_max = ~np.isfinite(cmax)
            smin = cmin[~inf_min].sum()
            smax = cmax[~inf_max].sum()
            nmin, nmax = inf_min.sum(), inf_max.sum()
            # others' min sum excluding k
            om = np.where(inf_min, np.where(nmin - 1 > 0, -np.inf, smin),
                          np.where(nmin > 0, -np.inf, smin - np.where(inf_min, 0, cmin)))
            oM = np.where(inf_max, np.where(nmax - 1 > 0, np.inf, smax),
                          np.where(nmax > 0, np.inf, smax - np.where(inf_max, 0, cmax)))
            with np.errstate(invalid="ignore", over="ignore"):
                up = (ur - om) / an  # a_k y_k <= ur - others_min
                dn = (lr - oM) / an  # a_k y_k >= lr - others_max
            new_lo = np.where(an > 0, dn, up)
            new_hi = np.where(an > 0, up, dn)
            new_lo = np.where(np.isnan(new_lo), -np.inf, new_lo)
            new_hi = np.where(np.isnan(new_hi), np.inf, new_hi)
            new_lo, new_hi = _round_in(new_lo, new_hi)
            nl = np.maximum(plo, new_lo)
            nh = np.minimum(phi, new_hi)
            if np.any(nl > plo) or np.any(nh < phi):
                changed = True
                lo[nz], hi[nz] = nl, nh
            if np.any(lo > hi):
                return None
        if not changed:
            break
    return lo, hi


def ellipsoid_halfwidths(Q: np.ndarray, radius: float) -> np.ndarray:
    """Coordinate half-widths of {d: d'Qd <= radius^2} (inf where unbounded)."""
    w, V = np.linalg.eigh(0.5 * (Q + Q.T))
    thr = 1e-12 * max(float(w.max(initial=0.0)), 1e-300)
    pos = w > thr
    null_comp = np.sqrt((V[:, ~pos] ** 2).sum(axis=1)) if (~pos).any() else np.zeros(len(w))
    hw = radius * np.sqrt(((V[:, pos] ** 2) / w[pos]).sum(axis=1))
    return np.where(null_comp > 1e-9, np.inf, hw)


def objective_radius(U: float, fc: float) -> float:
    eps = 1e-6 * max(1.0, abs(fc))
    return math.sqrt(max(U - fc, 0.0) + eps) + math.sqrt(eps)


def box_size(lo: np.ndarray, hi: np.ndarray) -> float:
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return math.inf
    return float(np.prod(np.maximum(hi - lo + 1, 0).astype(float)))


def enumerate_box(lo: np.ndarray, hi: np.ndarray,
                  evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                  chunk: int = 65536) -> tuple[np.ndarray | None, float, int]:
    """Best feasible integer point of the box. ``evaluate(Y) -> (objective, feasible mask)``.

    Returns (y or None, objective, number of feasible points). Ties keep the first point found.
    """
    lo = lo.astype(np.int64)
    dims = (hi.astype(np.int64) - lo + 1)
    n = int(np.prod(dims.astype(float)))
    best_y, best_f, n_feas = None, math.inf, 0
    if len(dims) == 0:
        Y = np.zeros((1, 0))
        f, ok = evaluate(Y)
        return (Y[0], float(f[0]), 1) if ok[0] else (None, math.inf, 0)
    for start in range(0, n, chunk):
        idx = np.arange(start, min(n, start + chunk))
        Y = (np.stack(np.unravel_index(idx, tuple(dims)), axis=1) + lo).astype(float)
        f, ok = evaluate(Y)
        n_feas += int(ok.sum())
        if ok.any():
            fo = np.where(ok, f, np.inf)
            k = int(np.argmin(fo))
            if fo[k] < best_f:
                best_f, best_y = float(fo[k]), Y[k].copy()
    return best_y, best_f, n_feas
