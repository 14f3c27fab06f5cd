"""Integer pieces of candidates outside the decoupled case (two or more nonzero shared contracts
in a banded sector): exact decisions by listing the placements of a few "pivot" contracts'
pieces, the rest then decoupled (:class:`optimizer.core.rounding.PieceIntervals`).

Each pivot piece is first cut to the values with which its sector can still reach its window
(the band minus the single-sector part, tightened per component of linked sectors by the
component's fixed total: at a tight optimum a contract or less wide), then the compositions of
each pivot total are listed from those values. Checked against brute force
(``tests/test_core_rounding.py``). For many candidates at once (a leaf whose enclosure holds
thousands of totals without integer pieces) two bulk paths come first: a one-piece window test
and every placement of small pivot totals tested together.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.core.rounding import SLACK, PieceIntervals, compositions_of

MAX_PLACEMENTS = 20_000  # pivot placements listed per coupled candidate
PAIR_MIN_ROWS = 1_000  # rows of one zero pattern from which the test is worth its cost
PAIR_WORK = 3e7  # cells of a two-contract sector's window test (rows x values, or 25 x values)
PAIR_BLOCK = 2_000_000  # rows x values per block of the per-row test
PAIR_CHECKS = 16  # values inside a row's window checked against its box (more: row kept)
PAIR_METHOD = "auto"  # or "rows" / "sorted" (tests: both ways against brute force)
FEW_PLACEMENTS = 64  # ... and per row when many candidates are tested at once


class CoupledPieces(PieceIntervals):
    """Interval rounding plus the coupled decisions (module docstring)."""

    def window_reject(self, H: np.ndarray) -> np.ndarray:
        """Rows of H proven to have no integer pieces by one piece alone: a sector with one
        nonzero shared contract k must get from it a DV01 in its window (:meth:`_windows`),
        i.e. an integer number of k's contracts in ``[wlo / d_k, whi / d_k]`` of k's sign --
        a necessary condition, vectorized over rows with the same zero pattern (the coupled
        candidates that :meth:`coupled` would otherwise list one by one)."""
        H = np.atleast_2d(np.asarray(H, float))
        out = np.zeros(H.shape[0], bool)
        if not self.ok_structure or not len(H):
            return out
        pattern = (H != 0) & self.shared[None, :]
        keys, inv = np.unique(pattern, axis=0, return_inverse=True)
        for g, key in enumerate(keys):
            rows = np.nonzero(inv.ravel() == g)[0]
            out[rows] = self._window_reject_group(H[rows], key)
        return out

    def _window_reject_group(self, H: np.ndarray, nz: np.ndarray) -> np.ndarray:
        n = H.shape[0]
        fixed = H @ self.fix
        wlo, whi = self.lo[None, :] - fixed, self.hi[None, :] - fixed
        tlo, thi = wlo.copy(), whi.copy()
        for insts, secs in self._components(nz.astype(float)):
            if not np.all(self.banded[secs]):
                continue
            T = H[:, insts] @ self.d[insts]
            for k, sct in enumerate(secs):
                others = np.delete(secs, k)
                tlo[:, sct] = np.fmax(wlo[:, sct], T - whi[:, others].sum(axis=1))
                thi[:, sct] = np.fmin(whi[:, sct], T - wlo[:, others].sum(axis=1))
        bad = np.zeros(n, bool)
        cnt = nz.astype(int) @ self.sh.astype(int)
        for sct in np.nonzero((cnt == 1) & self.banded)[0]:
            k = int(np.nonzero(nz & self.sh[:, sct])[0][0])
            p = int(np.nonzero((self.ps == sct) & (self.pi == k))[0][0])
            h = H[:, k]
            with np.errstate(invalid="ignore", divide="ignore"):
                u, v = tlo[:, sct] / self.d[k], thi[:, sct] / self.d[k]
            a = np.maximum(np.maximum(np.minimum(u, v), np.minimum(h, 0.0)), self.ylo[p])
            b = np.minimum(np.minimum(np.maximum(u, v), np.maximum(h, 0.0)), self.yhi[p])
            pad_a = SLACK * np.maximum(1.0, np.abs(np.nan_to_num(a, posinf=0.0, neginf=0.0)))
            pad_b = SLACK * np.maximum(1.0, np.abs(np.nan_to_num(b, posinf=0.0, neginf=0.0)))
            with np.errstate(invalid="ignore"):
                bad |= np.ceil(a - pad_a - 1e-9) > np.floor(b + pad_b + 1e-9)
        for sct in np.nonzero((cnt == 2) & self.banded)[0]:
            j, k = (int(v) for v in np.nonzero(nz & self.sh[:, sct])[0])
            bad |= self._pair_reject(H, int(sct), j, k, tlo[:, sct], thi[:, sct])
        return bad

    def _pair_reject(self, H: np.ndarray, sct: int, j: int, k: int, tlo: np.ndarray,
                     thi: np.ndarray) -> np.ndarray:
        """Rows where sector ``sct``, with two nonzero shared contracts j and k, cannot get a
        DV01 in its window ``[tlo, thi]`` from integer pieces ``d_j a + d_k b`` within their
        boxes. When the bands bind together the window is cents wide and most rows fail here
        (backtest default book 2021-12: 246k of 573k listed totals; one by one, the coupled
        candidates took 5.5 s). Two exact ways, the cheaper one taken: per row, every a of the
        shorter range (b's integers follow); or every value of the rows' joint box listed once,
        sorted, and each row's window looked up. A necessary condition: rows it does not
        settle (too much work) are kept."""
        pj = int(np.nonzero((self.ps == sct) & (self.pi == j))[0][0])
        pk = int(np.nonzero((self.ps == sct) & (self.pi == k))[0][0])
        out = np.zeros(H.shape[0], bool)
        if H.shape[0] < PAIR_MIN_ROWS or not (np.isfinite(tlo).all() and np.isfinite(thi).all()):
            return out  # few rows: deciding them one by one is cheaper than the test
        (alo, ahi), (blo, bhi) = self._piece_box(H, pj), self._piece_box(H, pk)
        dj, dk = float(self.d[j]), float(self.d[k])
        if np.max(ahi - alo) > np.max(bhi - blo):  # a: the shorter range
            alo, ahi, blo, bhi, dj, dk = blo, bhi, alo, ahi, dk, dj
        per_row = H.shape[0] * (float(np.max(ahi - alo)) + 1.0)
        joint = (ahi.max() - alo.min() + 1.0) * (bhi.max() - blo.min() + 1.0)
        if min(per_row, 25.0 * joint) > PAIR_WORK:
            return out
        boxes = (alo, ahi, blo, bhi)
        if PAIR_METHOD == "rows" or (PAIR_METHOD == "auto" and per_row <= 25.0 * joint):
            return ~self._pair_rows(boxes, dj, dk, tlo, thi)
        return self._pair_sorted(boxes, dj, dk, tlo, thi)

    @staticmethod
    def _pair_rows(boxes: tuple, dj: float, dk: float, tlo: np.ndarray, thi: np.ndarray
                   ) -> np.ndarray:
        """Rows with some a of the row's range whose b-interval holds an integer of b's box."""
        alo, ahi, blo, bhi = boxes
        width = int(np.max(ahi - alo)) + 1
        ok = np.zeros(len(alo), bool)
        step = max(1, PAIR_BLOCK // width)
        t = np.arange(width, dtype=float)[None, :]
        for r0 in range(0, len(alo), step):
            sl = slice(r0, r0 + step)
            a = alo[sl, None] + t
            u, v = (tlo[sl, None] - dj * a) / dk, (thi[sl, None] - dj * a) / dk
            lo_b = np.maximum(np.minimum(u, v), blo[sl, None])
            hi_b = np.minimum(np.maximum(u, v), bhi[sl, None])
            fit = np.ceil(lo_b - SLACK * np.abs(lo_b) - 2e-9) <= \
                np.floor(hi_b + SLACK * np.abs(hi_b) + 2e-9)
            ok[sl] = (fit & (a <= ahi[sl, None])).any(axis=1)
        return ok

    @staticmethod
    def _pair_sorted(boxes: tuple, dj: float, dk: float, tlo: np.ndarray, thi: np.ndarray
                     ) -> np.ndarray:
        """Rejections from the sorted values of the joint box (rows whose window holds more
        than PAIR_CHECKS values are kept)."""
        alo, ahi, blo, bhi = boxes
        grid = np.meshgrid(np.arange(alo.min(), ahi.max() + 1),
                           np.arange(blo.min(), bhi.max() + 1), indexing="ij")
        A, B = grid[0].ravel(), grid[1].ravel()
        vals = dj * A + dk * B
        order = np.argsort(vals, kind="stable")
        vals, A, B = vals[order], A[order], B[order]
        i0 = np.searchsorted(vals, tlo - SLACK * np.maximum(1.0, np.abs(tlo)) - 1e-9, "left")
        i1 = np.searchsorted(vals, thi + SLACK * np.maximum(1.0, np.abs(thi)) + 1e-9, "right")
        cnt = i1 - i0
        found = np.zeros(len(alo), bool)
        for off in range(PAIR_CHECKS):  # the values in the window, checked against the box
            idx = np.minimum(i0 + off, len(vals) - 1)
            found |= (off < cnt) & (A[idx] >= alo) & (A[idx] <= ahi) & (B[idx] >= blo) & \
                (B[idx] <= bhi)
        return ~found & (cnt <= PAIR_CHECKS)

    def coupled_many(self, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(decided, ok) per row of H outside the decoupled case whose pivots have few
        placements (at most FEW_PLACEMENTS, e.g. a shared contract at 1 or 2 contracts beside
        a large one): every placement of every row tested at once (the same exact test as
        :meth:`coupled`, vectorized over rows with the same pivots and pivot totals)."""
        H = np.atleast_2d(np.asarray(H, float))
        n = H.shape[0]
        decided, ok = np.zeros(n, bool), np.zeros(n, bool)
        if not self.ok_structure:
            return decided, ok
        groups: dict[tuple, list[int]] = {}
        pattern = (H != 0) & self.shared[None, :]
        keys, inv = np.unique(pattern, axis=0, return_inverse=True)
        few = np.zeros(n, bool)  # rows whose zero pattern has few placements at its first row
        for g in range(len(keys)):
            rows_g = np.nonzero(inv.ravel() == g)[0]
            piv = self._pivots(H[rows_g[0]])
            few[rows_g] = piv is not None and len(piv) > 0 and \
                self._n_placements(H[rows_g[0]], piv) <= FEW_PLACEMENTS
        for r in np.nonzero(few)[0]:
            piv = self._pivots(H[r])
            if piv:
                key = (tuple(piv), tuple(H[r, piv]), ((H[r] != 0) & self.shared).tobytes())
                groups.setdefault(key, []).append(int(r))
        for (piv_t, tots, _), rows_l in groups.items():
            piv, rows = list(piv_t), np.array(rows_l)
            place = self._plain_placements(tots, piv)
            if place is None:
                continue
            decided[rows] = True
            if len(place):
                ok[rows] = self._test_placed(H[rows], piv, place)
        return decided, ok

    def _n_placements(self, h: np.ndarray, pivots: list[int]) -> int:
        """Compositions of the pivots' totals into their pieces (an upper bound of their
        placements)."""
        count = 1
        for i in pivots:
            m = int(np.sum(self.pi == i))
            count *= math.comb(int(abs(h[i])) + m - 1, m - 1)
        return count

    def _plain_placements(self, tots: tuple, pivots: list[int]) -> np.ndarray | None:
        rows = np.zeros((1, 0))
        for i, t in zip(pivots, tots, strict=True):
            ps = np.nonzero(self.pi == i)[0]
            h = np.zeros(self.I)
            h[i] = t
            vals = [np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
                    for lo, hi in (self._piece_box(h, int(p)) for p in ps)]
            comp = compositions_of(int(t), vals, FEW_PLACEMENTS)
            if comp is None or len(rows) * len(comp) > FEW_PLACEMENTS:
                return None
            rows = np.hstack([np.repeat(rows, len(comp), axis=0), np.tile(comp, (len(rows), 1))])
        return rows

    def _test_placed(self, H: np.ndarray, pivots: list[int], place: np.ndarray) -> np.ndarray:
        """Rows of H for which some placement (rows of ``place``) of the pivots' pieces leaves
        a decoupled problem with integer pieces."""
        n, m = H.shape[0], len(place)
        Hx = np.repeat(H, m, axis=0)
        Hf = Hx.copy()
        Hf[:, pivots] = 0.0
        fixed = Hx @ self.fix
        P = np.tile(place, (n, 1))
        for k, p in enumerate(self.pivot_pieces(pivots)):
            fixed[:, self.ps[p]] += self.d[self.pi[p]] * P[:, k]
        placed = np.zeros(self.I, bool)
        placed[pivots] = True
        _, okx = self._core(Hx, Hf, fixed, placed)
        return np.asarray(okx.reshape(n, m).any(axis=1), bool)

    def coupled(self, h: np.ndarray) -> tuple[bool, np.ndarray | None]:
        """(decided, pieces) for totals h outside the decoupled case: every way of placing the
        pieces of a few shared contracts ("pivots", chosen greedily among the smallest totals
        until no banded sector keeps two unplaced shared contracts) is listed, and the rest is
        the decoupled test. Exact when at most MAX_PLACEMENTS placements exist; otherwise
        (False, None): undecided (the caller asks the integer program)."""
        if not self.ok_structure:
            return False, None
        h = np.asarray(h, float)
        pivots = self._pivots(h)
        place = None if pivots is None else self._placements(h, pivots)
        if pivots is None or place is None:
            return False, None
        if not len(place):
            return True, None
        n = len(place)
        Hf = np.tile(h, (n, 1))
        Hf[:, pivots] = 0.0
        fixed = np.tile(h @ self.fix, (n, 1))
        for k, p in enumerate(self.pivot_pieces(pivots)):
            fixed[:, self.ps[p]] += self.d[self.pi[p]] * place[:, k]
        placed = np.zeros(self.I, bool)
        placed[pivots] = True
        decided, ok = self._core(np.tile(h, (n, 1)), Hf, fixed, placed)
        assert np.all(decided)
        good = np.nonzero(ok)[0]
        if not len(good):
            return True, None
        row = int(good[0])
        y = self._build(h, Hf[row], fixed[row], placed)
        y[self.pivot_pieces(pivots)] = place[row]
        return True, y

    def _placements(self, h: np.ndarray, pivots: list[int]) -> np.ndarray | None:
        """All integer pieces of the pivot contracts (rows; columns = their pieces in order) that
        can still meet the bands, of their totals' signs and within the boxes; None when more
        than MAX_PLACEMENTS. Each pivot piece is first cut to the values for which its sector
        can reach its window (:meth:`_windows`) with the sector's other shared pieces -- exact for
        the one unplaced contract, its continuous range for other pivots, so no placement that
        has integer pieces is dropped -- then the compositions of each total are built from
        those values, pruned by what the remaining pieces can still sum to."""
        wlo, whi = self._windows(h)
        per_pivot = []
        size = 1.0  # compositions before the sum pruning: far beyond the cap, give up at once
        for i in pivots:
            ps = np.nonzero(self.pi == i)[0]
            vals = [self._pivot_values(h, pivots, int(p), wlo, whi) for p in ps]
            if any(len(v) == 0 for v in vals):  # a piece no value of which lets its sector
                # reach its window: no placement at all (backtest default book, 2021-12: the
                # Corporate window a few cents wide, hit by no integer ZF + ZN pair)
                return np.zeros((0, len(self.pivot_pieces(pivots))))
            size *= float(np.prod([len(v) for v in vals[:-1]]))
            per_pivot.append((i, vals))
        if size > 50 * MAX_PLACEMENTS:
            return None
        rows = np.zeros((1, 0))
        for i, vals in per_pivot:
            comp = compositions_of(int(h[i]), vals, MAX_PLACEMENTS)
            if comp is None or len(rows) * len(comp) > MAX_PLACEMENTS:
                return None
            rows = np.hstack([np.repeat(rows, len(comp), axis=0),
                              np.tile(comp, (len(rows), 1))])
        return rows

    def _pivot_values(self, h: np.ndarray, pivots: list[int], p: int, wlo: np.ndarray,
                      whi: np.ndarray) -> np.ndarray:
        """Integer values of pivot piece p (sector s, contract j) with which sector s can still
        reach its window: the other pivots' pieces in s over their continuous ranges, the
        sector's one unplaced shared contract k over its integers (d_k y_k in the rest)."""
        s, j = int(self.ps[p]), int(self.pi[p])
        lo, hi = self._piece_box(h, p)
        v = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
        if not self.banded[s] or not len(v):
            return v
        others_lo = others_hi = 0.0
        free = None
        for q in np.nonzero((self.ps == s) & (self.pi != j))[0]:
            k = int(self.pi[q])
            if h[k] == 0 or not self.shared[k]:
                continue
            qlo, qhi = self._piece_box(h, int(q))
            if k in pivots:
                a, b = self.d[k] * qlo, self.d[k] * qhi
                others_lo += min(a, b)
                others_hi += max(a, b)
            else:
                free = (k, qlo, qhi)
        rest_lo = wlo[s] - self.d[j] * v - others_hi  # what the unplaced contract must add
        rest_hi = whi[s] - self.d[j] * v - others_lo
        if free is None:
            ok = (rest_lo <= 0.0) & (rest_hi >= 0.0)
        else:
            k, qlo, qhi = free
            u, w = rest_lo / self.d[k], rest_hi / self.d[k]
            a, b = np.maximum(np.minimum(u, w), qlo), np.minimum(np.maximum(u, w), qhi)
            ok = np.ceil(a - SLACK * np.maximum(1.0, np.abs(a))) <= \
                np.floor(b + SLACK * np.maximum(1.0, np.abs(b)))
        return v[ok]


__all__ = ["CoupledPieces", "FEW_PLACEMENTS", "MAX_PLACEMENTS"]
