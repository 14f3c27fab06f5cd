"""Integer bound propagation at a node of the exact method: the node's (h, y) box.

The global box (:func:`optimizer.core.model.integer_box`) is propagated once, before any sign is
known. Inside a node the signs of some contracts are fixed, so more is linear and known: every
piece lies between 0 and its total (no-wash), an absolute sum whose signs are known is one linear
row, and a sector band that is left with a single free integer (e.g. a sector hedged by one
shared contract once the others are zero) rounds to whole contracts. Propagating the rows of the
stated constraints (:func:`optimizer.core.forms.propagation_rows`, the links
``sum_p y_p = h_i``, the absolute sums) over the node box with inward integer rounding gives a
box that holds every integer hedge of the node -- and pieces' boxes the continuous relaxation
does not know.

Why it matters (batch account 387): leverage and three sector bands bind together; the Agency
sector's only free piece may take at most -148.09 contracts of ZN in the continuous relaxation,
-149 in integers. With the rounded piece box the leaf's bound rises from 8,273,282 to 8,281,015
($k^2; the optimum is 8,282,006): its enclosure holds ~700x fewer points.

Validity: every row is a linear implication of the constraints on the node (absolute sums with
unknown sign contribute at least their distance to the reference), so every integer point of the
node satisfies every propagated bound; bounds are rounded inward with the 1e-7 relative slack of
:mod:`optimizer.core.bounds`, so floating-point error cannot remove an integer hedge. All rows
are processed at once (dense numpy): a node costs tens of microseconds.
"""

from __future__ import annotations

import numpy as np

from optimizer.core.bounds import EPS_INT
from optimizer.core.forms import propagation_rows
from optimizer.core.model import HedgeModel

ROUNDS = 4  # rounds per pass: later rounds shave single contracts at a cost per node
PASSES = 2  # passes of (no-wash boxes from the totals, then propagation)


class NodeBox:
    """The propagated (h, y) box of a node (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        assert model.box is not None
        self.I, self.P = d.I, d.P
        self.pi = d.piece_instrument
        rows = propagation_rows(model.forms.forms, d.I, d.P)
        for i in range(d.I):
            a = np.zeros(d.I + d.P)
            a[i] = -1.0
            a[d.I:] = d.S[i]
            rows.append((a, 0.0, 0.0))
        self.A = np.array([a for a, _, _ in rows]).reshape(len(rows), d.I + d.P)
        self.L = np.array([lo for _, lo, _ in rows], float)
        self.U = np.array([hi for _, _, hi in rows], float)
        self.abs_sums = model.forms.abs_sums()
        self.glo, self.ghi = model.box

    def tighten(self, lo: np.ndarray, hi: np.ndarray,
                ybox: tuple[np.ndarray, np.ndarray] | None = None
                ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]] | None:
        """(lo, hi, (ylo, yhi)): the node's h box and its pieces' box, propagated from ``ybox``
        (the parent's pieces box, which holds the node's pieces too) or the global box; None
        when the node holds no integer hedge."""
        I = self.I  # noqa: E741
        A, L, U = self._rows(lo, hi)
        ylo, yhi = ybox if ybox is not None else (self.glo[I:], self.ghi[I:])
        xlo = np.concatenate([np.maximum(lo, self.glo[:I]), np.maximum(ylo, self.glo[I:])])
        xhi = np.concatenate([np.minimum(hi, self.ghi[:I]), np.minimum(yhi, self.ghi[I:])])
        for _ in range(PASSES):  # the no-wash boxes follow the totals' new bounds
            xlo[I:] = np.maximum(xlo[I:], np.minimum(xlo[:I][self.pi], 0.0))
            xhi[I:] = np.minimum(xhi[I:], np.maximum(xhi[:I][self.pi], 0.0))
            before = (xlo.copy(), xhi.copy())
            res = propagate_dense(A, L, U, xlo, xhi)
            if res is None:
                return None
            xlo, xhi = res
            if np.array_equal(xlo[:I], before[0][:I]) and np.array_equal(xhi[:I], before[1][:I]):
                break
        return xlo[:I], xhi[:I], (xlo[I:], xhi[I:])

    def _rows(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The static rows plus one row per absolute sum: ``sum_known w s (h - ref) <= cap -
        sum_unknown w dist(ref, box)`` (s: the node's side of ref)."""
        if not self.abs_sums:
            return self.A, self.L, self.U
        extra, ub = [], []
        for f in self.abs_sums:
            s = np.where(lo >= f.ref, 1.0, np.where(hi <= f.ref, -1.0, 0.0))
            w = f.weights
            known = (s != 0) & (w > 0)
            if not np.any(known):
                continue
            dist = np.maximum(np.maximum(lo - f.ref, f.ref - hi), 0.0)
            a = np.zeros(self.I + self.P)
            a[:self.I] = np.where(known, w * s, 0.0)
            extra.append(a)
            ub.append(f.cap + float(np.sum(np.where(known, w * s * f.ref, 0.0)))
                      - float(np.sum(np.where(known, 0.0, w * dist))))
        if not extra:
            return self.A, self.L, self.U
        return (np.vstack([self.A, np.array(extra)]),
                np.concatenate([self.L, np.full(len(ub), -np.inf)]),
                np.concatenate([self.U, np.array(ub)]))


def _round_in(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        lo = np.where(np.isfinite(lo), np.ceil(lo - EPS_INT * np.maximum(1, np.abs(lo))), lo)
        hi = np.where(np.isfinite(hi), np.floor(hi + EPS_INT * np.maximum(1, np.abs(hi))), hi)
    return lo, hi


def propagate_dense(A: np.ndarray, L: np.ndarray, U: np.ndarray, lo: np.ndarray,
                    hi: np.ndarray, rounds: int = ROUNDS
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer interval propagation of the rows ``L <= A x <= U`` over the box, every row at once
    per round (same implications and rounding as :func:`optimizer.core.bounds.propagate`)."""
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


__all__ = ["NodeBox", "propagate_dense"]
