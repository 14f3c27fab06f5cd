"""Integer bounds of the hedge problem: covariance factor and interval propagation.

Integer bounds (why they never cut off the integer optimum)
-----------------------------------------------------------
Interval propagation (FBBT) of the linear implications of the stated constraints
(:func:`optimizer.core.forms.propagation_rows`: per-contract bounds, sector/portfolio DV01 bands,
key-rate bands, the per-instrument consequences ``|h_i - r_i| <= cap / w_i`` of the leverage,
margin and turnover sums, and the links ``sum_p y_p = h_i``). Every integer point satisfying the
constraints satisfies every propagated bound, so the box only removes infeasible points. Bounds
are rounded inward to integers with a 1e-7 relative slack, so floating-point error cannot remove a
feasible integer.
"""

from __future__ import annotations

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


__all__ = ["EPS_INT", "cov_factor", "propagate"]
