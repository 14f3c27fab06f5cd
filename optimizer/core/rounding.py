"""Integer sector pieces by interval rounding: an exact, vectorized test for most candidates.

Totals h fix every piece of a contract that may hedge one sector only (``y = h_i``), and a
contract with ``h_i = 0`` has all its pieces 0 (no-wash). When, in addition, every banded sector
has at most ONE shared contract with a nonzero total (the usual case: a K-limited hedge seldom
keeps two shared contracts in one sector), the sector bands decouple into one interval per piece:

    piece p = (s, i):  lo_s <= offset_s + fixed_s(h) + d_i y_p <= hi_s
                       => y_p in [a_p, b_p]  (then cut to h_i's sign and the propagated box),

and the pieces of contract i exist iff every ``ceil(a_p) <= floor(b_p)`` and
``sum_p ceil(a_p) <= h_i <= sum_p floor(b_p)`` (integers in intervals summing to h_i: any total
between the sum of the lower ends and that of the upper ends is reached). A banded sector with no
nonzero shared contract must meet its band with its fixed part alone.

This is the integer condition itself, not the continuous one: on the batch family the TE-optimal
totals sit on several bands at once and hundreds of candidates pass the continuous (Hoffman)
conditions of :mod:`optimizer.core.transport` by a fraction of a contract, then fail here. The
test is exact up to a 1e-9 relative slack taken on the side of *accepting* (so it never rejects a
hedge that has pieces); an accepted candidate gets explicit pieces (:meth:`pieces`) that the
caller checks in exact arithmetic. Candidates outside the decoupled case are left undecided (the
caller asks :class:`optimizer.core.coupled.CoupledPieces`, then the integer program of
:class:`optimizer.core.pieces.Pieces`).
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.core.model import HedgeModel

SLACK = 1e-9


class PieceIntervals:
    """Interval-rounding test of integer pieces (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        S, I = len(d.sectors), d.I  # noqa: E741
        self.I, self.S = I, S
        self.pi = d.piece_instrument
        self.ps = np.array([s for s, _ in d.pieces], dtype=int)
        self.d = d.d.copy()
        self.shared = d.S.sum(axis=1) > 1
        self.lo, self.hi = np.full(S, -math.inf), np.full(S, math.inf)
        self.ok_structure = True
        for f in model.forms.linear("y"):
            secs = {d.pieces[p][0] for p in np.nonzero(f.coef)[0]}
            s = next(iter(secs)) if len(secs) == 1 else -1
            if s < 0 or not np.array_equal(f.coef, d.sector_row(s)):
                self.ok_structure = False  # a piece row that is not one sector's band
                continue
            self.lo[s] = max(self.lo[s], f.lo - f.offset)
            self.hi[s] = min(self.hi[s], f.hi - f.offset)
        self.banded = np.isfinite(self.lo) | np.isfinite(self.hi)
        with np.errstate(invalid="ignore"):
            mag = np.maximum(np.abs(np.where(np.isfinite(self.lo), self.lo, 0.0)),
                             np.abs(np.where(np.isfinite(self.hi), self.hi, 0.0)))
        self.tol = SLACK * np.maximum(1.0, mag)
        assert model.box is not None
        self.ylo, self.yhi = model.box[0][I:].copy(), model.box[1][I:].copy()
        single = ~self.shared[self.pi]
        self.fix = np.zeros((I, S))  # DV01 a sector gets from its single-sector contracts
        self.sh = np.zeros((I, S), bool)  # shared contract i may hedge sector s
        for p, (s, i) in enumerate(d.pieces):
            if single[p]:
                self.fix[i, s] += d.d[i]
            else:
                self.sh[i, s] = True
        self.shared_pieces = np.nonzero(~single)[0]
        self._comp_cache: dict[bytes, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.single_pieces = np.nonzero(single)[0]

    def test(self, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(decided, ok) per row of H: ``decided`` where the decoupled case applies (module
        docstring), ``ok`` there when integer pieces exist."""
        H = np.atleast_2d(np.asarray(H, float))
        if not self.ok_structure:
            return np.zeros(H.shape[0], bool), np.zeros(H.shape[0], bool)
        return self._core(H, H, H @ self.fix)

    def _core(self, H: np.ndarray, Hf: np.ndarray, fixed: np.ndarray,
              placed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The test with the pieces of some shared contracts already placed: ``Hf`` = H with
        those contracts' totals set to 0, ``fixed`` (n, S) = the DV01 each sector already has
        (single-sector contracts and placed pieces), ``placed`` (I,) those contracts."""
        n = H.shape[0]
        nz = (Hf != 0) & self.shared[None, :]
        cnt = nz.astype(int) @ self.sh.astype(int)  # (n, S) nonzero shared contracts
        decided = np.all((cnt <= 1) | ~self.banded[None, :], axis=1)
        ok = self._single_ok(H)
        alone = self.banded[None, :] & (cnt == 0)
        with np.errstate(invalid="ignore"):
            ok &= np.all(~alone | ((fixed >= self.lo - self.tol) & (fixed <= self.hi + self.tol)),
                         axis=1)
        if len(self.shared_pieces):
            lo_y, hi_y = self._piece_ranges(Hf, fixed, placed)
            ok &= np.all(lo_y <= hi_y, axis=1)
            tot_lo = np.zeros((n, self.I))
            tot_hi = np.zeros((n, self.I))
            pi = self.pi[self.shared_pieces]
            np.add.at(tot_lo.T, pi, lo_y.T)
            np.add.at(tot_hi.T, pi, hi_y.T)
            sh = self.shared[None, :]
            ok &= np.all(~sh | ((tot_lo <= Hf) & (Hf <= tot_hi)), axis=1)
        return decided, decided & ok

    def _single_ok(self, H: np.ndarray) -> np.ndarray:
        p = self.single_pieces
        v = H[:, self.pi[p]]
        return np.all((v >= self.ylo[p]) & (v <= self.yhi[p]), axis=1)

    def _piece_ranges(self, H: np.ndarray, fixed: np.ndarray, placed: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Integer ranges (n, shared pieces) of the shared pieces (module docstring); 0 for
        the pieces of ``placed`` contracts (already counted in ``fixed``)."""
        p = self.shared_pieces
        s, i = self.ps[p], self.pi[p]
        h = H[:, i]
        di = self.d[i][None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            u = (self.lo[s][None, :] - fixed[:, s]) / di
            v = (self.hi[s][None, :] - fixed[:, s]) / di
        a, b = np.where(di > 0, u, v), np.where(di > 0, v, u)
        a = np.where(np.isnan(a), -math.inf, a)
        b = np.where(np.isnan(b), math.inf, b)
        a = np.where(h != 0, a, -math.inf)  # a zero total: its pieces are 0 whatever the band
        b = np.where(h != 0, b, math.inf)
        lo = np.maximum(np.maximum(a, np.minimum(h, 0.0)), self.ylo[p][None, :])
        hi = np.minimum(np.minimum(b, np.maximum(h, 0.0)), self.yhi[p][None, :])
        with np.errstate(invalid="ignore"):
            lo = np.ceil(lo - SLACK * np.maximum(1.0, np.abs(lo)))
            hi = np.floor(hi + SLACK * np.maximum(1.0, np.abs(hi)))
        if placed is not None:
            lo, hi = np.where(placed[i], 0.0, lo), np.where(placed[i], 0.0, hi)
        return lo, hi

    def pivot_pieces(self, pivots: list[int]) -> np.ndarray:
        return np.array([p for i in pivots for p in np.nonzero(self.pi == i)[0]], dtype=int)

    def _pivots(self, h: np.ndarray) -> list[int] | None:
        nz = (h != 0) & self.shared
        pivots: list[int] = []
        while True:
            free = nz.copy()
            free[pivots] = False
            cnt = free.astype(int) @ self.sh.astype(int)
            bad = np.nonzero((cnt >= 2) & self.banded)[0]
            if not len(bad):
                return pivots
            cand = np.nonzero(free & np.any(self.sh[:, bad], axis=1))[0]
            if not len(cand):
                return None
            pivots.append(int(cand[np.argmin(np.abs(h[cand]))]))

    def _windows(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per sector, the DV01 its shared pieces may add: the band minus the single-sector
        part, tightened by the sum. Sectors linked by nonzero shared contracts form components;
        when every sector of a component is banded, its shared pieces add exactly
        ``T = sum_i d_i h_i`` over the component's contracts, so sector s adds at least T minus
        what the component's other sectors can add at most (and vice versa): at a tight
        optimum (every band binding with leverage) each window is a contract or less wide.
        Widened by a relative 1e-9 (never cuts a feasible placement)."""
        fixed = h @ self.fix
        wlo, whi = self.lo - fixed, self.hi - fixed
        tlo, thi = wlo.copy(), whi.copy()
        for insts, secs in self._components(h):
            if not np.all(self.banded[secs]):
                continue
            T = float(np.sum(self.d[insts] * h[insts]))
            tlo[secs] = np.fmax(wlo[secs], T - others_sum(whi[secs]))
            thi[secs] = np.fmin(whi[secs], T - others_sum(wlo[secs]))
        with np.errstate(invalid="ignore"):
            mag = np.fmax(np.where(np.isfinite(tlo), np.abs(tlo), 0.0),
                          np.where(np.isfinite(thi), np.abs(thi), 0.0))
        pad = SLACK * np.maximum(1.0, mag)
        return tlo - pad, thi + pad

    def _components(self, h: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(contracts, sectors) of each connected set of nonzero shared contracts and the
        sectors they may hedge (cached per zero pattern)."""
        nz = np.nonzero((h != 0) & self.shared)[0]
        key = nz.tobytes()
        got = self._comp_cache.get(key)
        if got is None:
            got = self._comp_cache[key] = self._components_of(nz)
        return got

    def _components_of(self, nz: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        left = set(int(i) for i in nz)
        out = []
        while left:
            insts = {left.pop()}
            secs: set[int] = set()
            grew = True
            while grew:
                new_secs = set(np.nonzero(self.sh[sorted(insts)].any(axis=0))[0].tolist())
                new_insts = {i for i in left if self.sh[i, sorted(new_secs)].any()}
                grew = bool(new_insts) or new_secs != secs
                secs = new_secs
                insts |= new_insts
                left -= new_insts
            out.append((np.array(sorted(insts)), np.array(sorted(secs))))
        return out

    def _piece_box(self, h: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
        """Piece p between 0 and its total, within the global box: for totals h (one row, or
        rows: then per row)."""
        t = h[..., self.pi[p]]
        return (np.maximum(np.minimum(t, 0.0), self.ylo[p]),
                np.minimum(np.maximum(t, 0.0), self.yhi[p]))

    def _build(self, h: np.ndarray, hf: np.ndarray, fixed: np.ndarray,
               placed: np.ndarray | None = None) -> np.ndarray:
        """Pieces from the ranges: lower ends, then what is left of each total up to the upper
        ends (single-sector pieces carry their totals)."""
        y = np.zeros(len(self.pi))
        y[self.single_pieces] = h[self.pi[self.single_pieces]]
        if len(self.shared_pieces):
            lo, hi = self._piece_ranges(hf[None, :], fixed[None, :], placed)
            lo, hi = lo[0], hi[0]
            left = hf.copy()
            for k, p in enumerate(self.shared_pieces):
                y[p] = lo[k]
                left[self.pi[p]] -= lo[k]
            for k, p in enumerate(self.shared_pieces):
                i = self.pi[p]
                step = min(left[i], hi[k] - lo[k])  # left >= 0: the test passed
                y[p] += step
                left[i] -= step
        return y

    def pieces(self, h: np.ndarray) -> np.ndarray | None:
        """Integer pieces for totals h accepted by :meth:`test`; None when not accepted."""
        h = np.asarray(h, float)
        _, ok = self.test(h[None, :])
        return self._build(h, h, h @ self.fix) if ok[0] else None


def others_sum(v: np.ndarray) -> np.ndarray:
    """For each k, the sum of v over the other entries (infinite entries handled)."""
    fin = np.isfinite(v)
    if fin.all():
        return float(v.sum()) - v
    tot = float(np.sum(v[fin]))
    n_pos, n_neg = int(np.sum(v == math.inf)), int(np.sum(v == -math.inf))
    out = tot - np.where(fin, v, 0.0)
    pos = n_pos - (v == math.inf) > 0
    neg = n_neg - (v == -math.inf) > 0
    out = np.where(pos & ~neg, math.inf, out)
    out = np.where(neg & ~pos, -math.inf, out)
    return np.where(pos & neg, np.nan, out)  # undefined: the caller's max/min then keeps its own


def compositions_of(total: int, vals: list[np.ndarray], cap: int) -> np.ndarray | None:
    """Rows (v_1..v_m) with v_k in vals[k] summing to ``total`` (all of them, built piece by
    piece and pruned by what the remaining pieces can still add); None beyond ``cap`` rows."""
    if any(not len(v) for v in vals):
        return np.zeros((0, len(vals)))
    mins = np.array([float(v.min()) for v in vals])
    maxs = np.array([float(v.max()) for v in vals])
    rows = np.zeros((1, 0))
    acc = np.zeros(1)
    m = len(vals)
    for k in range(m - 1):
        rest_lo, rest_hi = float(mins[k + 1:].sum()), float(maxs[k + 1:].sum())
        if len(rows) * len(vals[k]) > 4 * cap:
            return None
        nacc = (acc[:, None] + vals[k][None, :]).ravel()
        keep = (total - nacc >= rest_lo) & (total - nacc <= rest_hi)
        idx = np.nonzero(keep)[0]
        r, c = idx // len(vals[k]), idx % len(vals[k])
        rows = np.column_stack([rows[r], vals[k][c]])
        acc = nacc[idx]
        if len(rows) > cap:
            return None
    last = total - acc
    keep = np.isin(last, vals[-1])
    return np.column_stack([rows[keep], last[keep]])


__all__ = ["PieceIntervals", "compositions_of", "others_sum"]
