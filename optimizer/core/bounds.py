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
    with np.errstate(invalid="ignore"):
        lo = np.where(np.isfinite(lo), np.ceil(lo - EPS_INT * np.maximum(1, np.abs(lo))), lo)
        hi = np.where(np.isfinite(hi), np.floor(hi + EPS_INT * np.maximum(1, np.abs(hi))), hi)
    return lo, hi


def propagate_dense(A: np.ndarray, L: np.ndarray, U: np.ndarray, lo: np.ndarray,
                    hi: np.ndarray, rounds: int = 50
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer interval propagation of the rows ``L <= A x <= U`` over the box (None when it is
    empty): every row at once per round, dense numpy (a node of the exact method costs tens of
    microseconds; the Python loop over rows it replaced was 8 ms of every hedge)."""
    lo, hi = _round_in(np.asarray(lo, float).copy(), np.asarray(hi, float).copy())
    nz = A != 0
    pos = A > 0
    Ap, An = np.where(pos, A, 0.0), np.where(pos, 0.0, A)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _ in range(rounds):
            if np.isfinite(lo).all() and np.isfinite(hi).all():  # the usual case: plain sums
                cmin, cmax = Ap * lo + An * hi, Ap * hi + An * lo
                om = cmin.sum(axis=1, keepdims=True) - cmin  # the other terms' least sum
                oM = cmax.sum(axis=1, keepdims=True) - cmax
            else:
                al, ah = A * lo, A * hi
                cmin = np.where(nz, np.where(pos, al, ah), 0.0)
                cmax = np.where(nz, np.where(pos, ah, al), 0.0)
                om, oM = _others(cmin, -np.inf), _others(cmax, np.inf)
            up = (U[:, None] - om) / A  # a_k x_k <= U - others' min
            dn = (L[:, None] - oM) / A  # a_k x_k >= L - others' max
            new_lo = np.where(nz, np.where(pos, dn, up), -np.inf)
            new_hi = np.where(nz, np.where(pos, up, dn), np.inf)
            new_lo = np.where(np.isnan(new_lo), -np.inf, new_lo).max(axis=0)
            new_hi = np.where(np.isnan(new_hi), np.inf, new_hi).min(axis=0)
            new_lo, new_hi = _round_in(new_lo, new_hi)
            nl, nh = np.maximum(lo, new_lo), np.minimum(hi, new_hi)
            if np.any(nl > nh):
                return None
            if np.array_equal(nl, lo) and np.array_equal(nh, hi):
                break
            lo, hi = nl, nh
    return lo, hi


def _others(c: np.ndarray, inf: float) -> np.ndarray:
    """Per (row, column): the sum of the row's other entries (``inf`` when one of them is
    infinite)."""
    bad = ~np.isfinite(c)
    n_bad = bad.sum(axis=1, keepdims=True)
    s = np.where(bad, 0.0, c).sum(axis=1, keepdims=True)
    return np.where(bad, np.where(n_bad > 1, inf, s), np.where(n_bad > 0, inf, s - c))


__all__ = ["EPS_INT", "cov_factor", "propagate_dense"]
