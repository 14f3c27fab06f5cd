"""Candidates of a leaf of the exact method: the best enumerated totals with integer pieces.

Mixed into :class:`optimizer.core.bnb.BranchAndBound`. Enumerated totals are filtered by the
forms on h, the objective below the incumbent and the feasibility cuts of the leaf's signs, then
taken in objective order: interval rounding (:mod:`optimizer.core.rounding`) decides their
integer pieces when it can (exact, vectorized), the continuous sector-flow conditions
(:mod:`optimizer.core.transport`) filter the rest, which the integer program of
:class:`optimizer.core.pieces.Pieces` decides. The first candidate whose pieces pass the exact
rational check becomes the incumbent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.core.coupled import CoupledPieces
from optimizer.core.exact import exact_check
from optimizer.core.leaf import infeasible_forms_only
from optimizer.core.model import HedgeModel
from optimizer.core.pieces import Pieces, PiecesCuts
from optimizer.core.transport import SectorFlow

PIECES_FAIL_LIMIT = 20  # integer-pieces failures in one leaf before SCIP takes the leaf
QUICK_FAILS = 5  # ... and before a short SCIP run, when none was tried on the leaf yet
FLOW_CHUNK = 512  # candidates tested at once against the sector-flow conditions (first chunk)
MAX_CHUNK = 65_536  # ... doubling up to this many


class CandidateOffers:
    """The candidate side of the search (module docstring); state lives in the search."""

    model: HedgeModel
    U: float
    h: np.ndarray | None
    y: np.ndarray | None
    stats: dict[str, Any]
    pieces: Pieces
    flow: SectorFlow
    rounding: CoupledPieces
    cuts: PiecesCuts | None
    _pool: dict[tuple[int, ...], list[tuple[np.ndarray, float]]]
    _no_pieces: set[tuple[int, ...]]
    _fails: int
    _fail_cap: int  # failures allowed before the leaf stops offering (see bnb._leaf)

    def tol(self) -> float:
        raise NotImplementedError

    def _offer_exact(self, h: np.ndarray, y: np.ndarray) -> None:
        h, y = np.asarray(h, float), np.asarray(y, float)
        F = float(self.model.objective(h)[0])
        if F < self.U - self.tol() and \
                not exact_check(self.model.forms, h, y, self.model.data.piece_instrument):
            self.U, self.h, self.y = F, h, y
            self.stats["incumbents"] += 1

    def _offer(self, H: np.ndarray, sigma: np.ndarray | None = None) -> float | None:
        """Best feasible point of H (exact pieces and exact check) if better than U. Totals
        without continuous pieces yield a feasibility cut for the leaf's signs ``sigma``."""
        self.stats["enum_points"] += len(H)
        if not len(H):
            return None
        F = self.model.objective(H)  # first: the enclosure holds many points above U, and
        keep = F < self.U - self.tol()  # the objective is cheaper than the forms check
        H, F = H[keep], F[keep]
        keep = ~infeasible_forms_only(self.model, H)
        H, F = H[keep], F[keep]
        pool = self._pool.setdefault(tuple(int(v) for v in sigma), []) \
            if sigma is not None else []
        keep = _cuts_ok(pool, H)
        H, F = H[keep], F[keep]
        if not len(H):
            return None
        order = np.argsort(F, kind="stable")
        H, F = H[order], F[order]
        k0, step = 0, FLOW_CHUNK
        while k0 < len(H):  # the Hoffman filter in objective order
            if F[k0] >= self.U - self.tol():
                return None
            chunk = H[k0:k0 + step]
            decided, int_ok = self.rounding.test(chunk)
            self.stats["rounding_rejects"] += int(np.sum(decided & ~int_ok))
            flow_ok = int_ok.copy()  # the Hoffman filter only where rounding did not decide
            if not np.all(decided):  # coupled: one piece alone may already be impossible
                und = np.nonzero(~decided)[0]
                rej = self.rounding.window_reject(chunk[und])
                self.stats["rounding_rejects"] += int(np.sum(rej))
                und = und[~rej]
                dec2, ok2 = self.rounding.coupled_many(chunk[und])
                self.stats["rounding_rejects"] += int(np.sum(dec2 & ~ok2))
                flow_ok[und[dec2]] = ok2[dec2]  # kept ones get their pieces from coupled()
                und = und[~dec2]
                if len(und):
                    flow_ok[und] = self.flow.ok(chunk[und])
            ok = np.nonzero(flow_ok)[0]
            for k in ok:
                rounded = self._rounded(chunk[k], float(F[k0 + k]), bool(decided[k]))
                if isinstance(rounded, str):
                    continue  # no integer pieces
                got = rounded if rounded is not None else \
                    self._candidate(chunk[k], float(F[k0 + k]), pool, sigma)
                if got is not None:
                    return got if got >= 0 else None
            k0, step = k0 + len(chunk), min(2 * step, MAX_CHUNK)  # fewer passes when many fail
        return None

    def _rounded(self, hk: np.ndarray, Fk: float, decided: bool) -> float | str | None:
        """Totals hk by interval rounding (:mod:`optimizer.core.rounding`; ``decided``: hk is
        in its decoupled case and accepted): Fk when they become the incumbent, "next" when
        they have no integer pieces, -1 beyond the incumbent, None to let the integer program
        decide (undecided, or pieces that fail the exact check by a rounding hair)."""
        if Fk >= self.U - self.tol():
            return -1.0
        h = hk.astype(float)
        if decided:
            y = self.rounding.pieces(h)
        else:
            known, y = self.rounding.coupled(h)
            if not known:
                return None
            if y is None:
                self.stats["rounding_rejects"] += 1
                return "next"
        if y is None or exact_check(self.model.forms, h, y, self.model.data.piece_instrument):
            return None
        self.U, self.h, self.y = Fk, h, y
        self.stats["incumbents"] += 1
        return Fk

    def _candidate(self, hk: np.ndarray, Fk: float, pool: list, sigma: np.ndarray | None
                   ) -> float | None:
        """Fk if totals hk (objective Fk) have integer pieces and become the incumbent; -1 to
        stop offering (beyond U, or the leaf goes to SCIP); None to try the next one."""
        if Fk >= self.U - self.tol():
            return -1.0
        key = tuple(int(v) for v in hk)
        h = hk.astype(float)
        if key in self._no_pieces or not _cuts_ok(pool, h[None])[0]:
            return None
        self.stats["candidates"] += 1
        if self._fails > self._fail_cap:
            return -1.0  # the leaf goes to SCIP (see _leaf)
        st, y = self.pieces.decide(h)
        if st == "undecided":  # neither HiGHS nor SCIP decided: the leaf goes to SCIP (exact)
            self.stats["pieces_undecided"] = self.stats.get("pieces_undecided", 0) + 1
            self._fails = PIECES_FAIL_LIMIT + 1
            return -1.0
        if y is None:
            self._no_pieces.add(key)
            self._fails += 1
            cut = self.cuts.cut(h, sigma) if (self.cuts is not None and
                                              sigma is not None) else None
            if cut is not None:
                pool.append(cut)
                self.stats["cuts"] = self.stats.get("cuts", 0) + 1
            return None
        if exact_check(self.model.forms, h, y, self.model.data.piece_instrument):
            return None
        self.U, self.h, self.y = Fk, h, y
        self.stats["incumbents"] += 1
        return Fk


def _cuts_ok(pool: list[tuple[np.ndarray, float]], H: np.ndarray) -> np.ndarray:
    ok = np.ones(H.shape[0], bool)
    for g, rhs in pool:
        ok &= H @ g <= rhs + 1e-7 * (1.0 + abs(rhs))
    return ok


__all__ = ["FLOW_CHUNK", "PIECES_FAIL_LIMIT", "QUICK_FAILS", "CandidateOffers"]
