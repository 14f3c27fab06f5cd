"""Integer sector pieces for given integer totals (the designations of real positions).

Given totals h, find integer pieces y with ``sum_{p of i} y_p = h_i``, every piece between 0 and
its total (the no-wash rule) and every form on y (the sector DV01 bands) met: a tiny MILP solved
by HiGHS (one persistent model, only bounds change between calls). Instruments designated to one
sector have their piece fixed to the total, so with no shared instrument there is nothing to solve.

``find(h, nice=True)`` also picks, among the feasible pieces, those that bring each targeted
sector's DV01 after hedge closest to its target (sum of absolute deviations, $k) -- the allocation
a PM would write down -- instead of any feasible one.
"""

from __future__ import annotations

import highspy
import numpy as np

from optimizer.core.exact import linear_ok, no_wash_ok
from optimizer.core.forms import feasible_mask
from optimizer.core.model import HedgeModel

INF = highspy.kHighsInf
HIGHS_FIRST_S = 0.02  # HiGHS's time per decision before SCIP decides (see Pieces.decide)
SCIP_PIECES_S = 10.0  # SCIP's time per decision; beyond it the totals stay undecided


def piece_box(model: HedgeModel, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each piece between 0 and its total (no-wash), within the propagated global box."""
    d = model.data
    assert model.box is not None
    pi = d.piece_instrument
    return (np.maximum(np.minimum(h[pi], 0.0), model.box[0][d.I:]),
            np.minimum(np.maximum(h[pi], 0.0), model.box[1][d.I:]))


class Pieces:
    """Integer pieces for totals h (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        self.model = model
        self.yforms = model.forms.linear("y")
        self.trivial = bool(np.all(d.S.sum(axis=1) <= 1))
        self.targeted = [s for s in range(len(d.sectors)) if np.isfinite(model.targets[s])]
        self.highs: highspy.Highs | None = None
        self.scip: ScipPieces | None = None
        self.calls = 0
        if not self.trivial:
            self._build()

    def _build(self) -> None:
        d, P, I = self.model.data, self.model.data.P, self.model.data.I  # noqa: E741
        ns = len(self.targeted)
        h = highspy.Highs()
        h.silent()
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("time_limit", 5.0)
        inf = np.full(P + ns, INF)
        lo = np.concatenate([np.zeros(P), np.zeros(ns)])
        h.addVars(P + ns, lo, inf)
        h.changeColsIntegrality(P, np.arange(P, dtype=np.int32),
                                np.full(P, highspy.HighsVarType.kInteger))
        for i in range(I):
            ps = np.nonzero(d.S[i])[0].astype(np.int32)
            h.addRow(0.0, 0.0, len(ps), ps, np.ones(len(ps)))
        for f in self.yforms:
            nz = np.nonzero(f.coef)[0].astype(np.int32)
            h.addRow((f.lo - f.offset) / f.scale, (f.hi - f.offset) / f.scale, len(nz), nz,
                     f.coef[nz] / f.scale)
        for k, s in enumerate(self.targeted):  # e_s >= +-(after_s - target_s) in $k
            row = d.sector_row(s) / 1e3
            nz = np.nonzero(row)[0].astype(np.int32)
            dev = (float(self.model.targets[s]) - float(d.sd[s])) / 1e3
            idx = np.concatenate([nz, [P + k]]).astype(np.int32)
            h.addRow(-INF, dev, len(idx), idx, np.concatenate([row[nz], [-1.0]]))
            h.addRow(dev, INF, len(idx), idx, np.concatenate([row[nz], [1.0]]))
        self.highs = h

    def find(self, h: np.ndarray, nice: bool = False) -> np.ndarray | None:
        """Integer pieces for totals h (None when none were found: none exist, or HiGHS did
        not decide within its 5 s -- for reports; the search uses :meth:`decide`)."""
        self.calls += 1
        if self.trivial:
            return self._trivial(h)[1]
        st, y = self._highs_run(h, nice, 5.0)
        return y if st == "found" else None

    def decide(self, h: np.ndarray) -> tuple[str, np.ndarray | None]:
        """("found", y) | ("none", None) | ("undecided", None) for totals h. HiGHS first, for
        HIGHS_FIRST_S; then SCIP (persistent model, feasibility tolerance 1e-9), whose answers
        are checked in exact arithmetic. A backtest date's pieces (three sectors at their
        bands within 0.6 USD of DV01: a two-row market-split problem) took HiGHS 0.1-0.9 s to
        refute, SCIP 0.05 s."""
        self.calls += 1
        if self.trivial:
            return self._trivial(h)
        st, y = self._highs_run(h, False, HIGHS_FIRST_S)
        if st != "undecided":
            return st, y
        if self.scip is None:
            self.scip = ScipPieces(self.model)
        return self.scip.decide(h)

    def _trivial(self, h: np.ndarray) -> tuple[str, np.ndarray | None]:
        """No shared contract: each piece is its total; the bands decide."""
        y = self.model.data.S.T @ h
        ok = feasible_mask(list(self.yforms), h[None], y[None])[0]
        return ("found", y) if ok else ("none", None)

    def _highs_run(self, h: np.ndarray, nice: bool, time_limit: float
                   ) -> tuple[str, np.ndarray | None]:
        """HiGHS on totals h: "found" (pieces that pass the float check), "none" (proven
        infeasible) or "undecided" (time limit, or a solution the check rejects)."""
        d = self.model.data
        assert self.highs is not None and self.model.box is not None
        P, ns = d.P, len(self.targeted)
        ylo, yhi = piece_box(self.model, h)
        if np.any(ylo > yhi):
            return "none", None
        hs = self.highs
        hs.changeColsBounds(P, np.arange(P, dtype=np.int32), ylo, yhi)
        hs.changeRowsBounds(d.I, np.arange(d.I, dtype=np.int32),  # type: ignore[attr-defined]
                            h.astype(float), h.astype(float))
        cost = np.concatenate([np.zeros(P), np.full(ns, 1.0 if nice else 0.0)])
        hs.changeColsCost(P + ns, np.arange(P + ns, dtype=np.int32), cost)
        hs.setOptionValue("time_limit", float(time_limit))
        hs.run()
        status = hs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return "none", None
        if status != highspy.HighsModelStatus.kOptimal:
            return "undecided", None
        y = np.round(np.asarray(hs.getSolution().col_value[:P], float))
        if not np.array_equal(d.S @ y, h) or \
                not feasible_mask(list(self.yforms), h[None], y[None])[0]:
            return "undecided", None
        return "found", y


class ScipPieces:
    """The pieces' feasibility problem in one persistent SCIP model: between calls only the
    pieces' bounds (no-wash sides of the totals) and the links' right-hand sides change."""

    def __init__(self, model: HedgeModel) -> None:
        import pyscipopt as ps

        d = model.data
        self.model = model
        m = ps.Model()
        m.hideOutput(True)
        m.setParam("numerics/feastol", 1e-9)
        m.setParam("limits/time", SCIP_PIECES_S)
        self.y = [m.addVar(lb=None, ub=None, vtype="I") for _ in range(d.P)]  # 0-1 bounds
        # would make SCIP type them binary
        self.links = [m.addCons(ps.quicksum(self.y[int(p)] for p in np.nonzero(d.S[i])[0])
                                == 0.0) for i in range(d.I)]
        for f in model.forms.linear("y"):
            nz = np.nonzero(f.coef)[0]
            expr = ps.quicksum(float(f.coef[p] / f.scale) * self.y[int(p)] for p in nz)
            if np.isfinite(f.lo):
                m.addCons(expr >= float((f.lo - f.offset) / f.scale))
            if np.isfinite(f.hi):
                m.addCons(expr <= float((f.hi - f.offset) / f.scale))
        self.m = m
        self.calls = 0

    def decide(self, h: np.ndarray) -> tuple[str, np.ndarray | None]:
        """As :meth:`Pieces.decide`; a solution counts only if it passes the exact check of the
        links, the no-wash rule and the bands."""
        m, pi = self.m, self.model.data.piece_instrument
        ylo, yhi = piece_box(self.model, h)
        if np.any(ylo > yhi):
            return "none", None
        self.calls += 1
        if self.calls > 1:  # back to the problem stage to change bounds and sides
            m.freeTransform()
        inf = m.infinity()
        for v, a, b in zip(self.y, ylo, yhi, strict=True):  # open first: never lb > ub
            m.chgVarLb(v, -inf)
            m.chgVarUb(v, inf)
            m.chgVarLb(v, float(a))
            m.chgVarUb(v, float(b))
        for c, hv in zip(self.links, h, strict=True):
            m.chgLhs(c, -inf)
            m.chgRhs(c, inf)
            m.chgLhs(c, float(hv))
            m.chgRhs(c, float(hv))
        m.optimize()
        status = m.getStatus()
        if status == "infeasible":
            return "none", None
        if m.getNSols() == 0:
            return "undecided", None
        y = np.array([round(m.getVal(v)) for v in self.y], float)
        hi, yi = [int(v) for v in h], [int(v) for v in y]
        exact = no_wash_ok(hi, yi, pi) and all(linear_ok(f, hi, yi)
                                               for f in self.model.forms.linear("y"))
        return ("found", y) if exact else ("undecided", None)


__all__ = ["Pieces", "ScipPieces", "piece_box"]


class PiecesCuts:
    """Feasibility cuts in h for continuous pieces (Benders): for totals h without continuous
    pieces, ``V(h_bar) + g . (h - h_bar) <= 0`` with V the least total violation of the piece
    constraints (links, bands, no-wash sides, propagated boxes) and g its subgradient (the
    reduced costs of h, fixed in an elastic LP). V is convex in h, so the cut holds for every h
    with the same signs that has continuous -- hence integer -- pieces."""

    def __init__(self, model: HedgeModel) -> None:
        d = model.data
        self.model = model
        assert model.box is not None
        I, P = d.I, d.P  # noqa: E741
        h = highspy.Highs()
        h.silent()
        h.addVars(I, np.zeros(I), np.zeros(I))  # totals, fixed per call
        h.addVars(P, model.box[0][I:], model.box[1][I:])  # pieces
        self.n_rows = 0
        pi = d.piece_instrument

        def elastic_row(lo: float, hi: float, idx: list[int], val: list[float]) -> None:
            k = h.getNumCol()
            h.addVars(2, np.zeros(2), np.full(2, INF))  # violation below / above
            h.changeColsCost(2, np.array([k, k + 1], np.int32), np.ones(2))
            h.addRow(lo, hi, len(idx) + 2, np.array(idx + [k, k + 1], np.int32),
                     np.array(val + [1.0, -1.0]))
            self.n_rows += 1

        for i in range(I):
            ps = [I + int(p) for p in np.nonzero(d.S[i])[0]]
            elastic_row(0.0, 0.0, ps + [i], [1.0] * len(ps) + [-1.0])
        for f in model.forms.linear("y"):
            nz = np.nonzero(f.coef)[0]
            elastic_row((f.lo - f.offset) / f.scale, (f.hi - f.offset) / f.scale,
                        [I + int(p) for p in nz], [float(f.coef[p]) / f.scale for p in nz])
        self._sign_rows = []
        for p in range(P):  # y_p between 0 and h_i: rows y_p >= 0 / y_p - h_i <= 0 per sign
            self._sign_rows.append(self.n_rows)
            elastic_row(-INF, INF, [I + p], [1.0])
            self._sign_rows.append(self.n_rows)
            elastic_row(-INF, INF, [I + p, int(pi[p])], [1.0, -1.0])
        self.highs = h

    def cut(self, h: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
        """(g, rhs) with ``g . h' <= rhs`` for every h' of signs sigma with continuous pieces,
        violated by h; None when h has continuous pieces."""
        d, hs = self.model.data, self.highs
        I = d.I  # noqa: E741
        hs.changeColsBounds(I, np.arange(I, dtype=np.int32), h, h)
        pi = d.piece_instrument
        for p in range(d.P):  # sign sides of each piece
            s = float(sigma[pi[p]])
            r0, r1 = self._sign_rows[2 * p], self._sign_rows[2 * p + 1]
            if s == 0:  # sign not fixed by the box (a contract with one piece): no side rows
                hs.changeRowBounds(r0, -INF, INF)
                hs.changeRowBounds(r1, -INF, INF)
                continue
            hs.changeRowBounds(r0, 0.0 if s > 0 else -INF, INF if s > 0 else 0.0)
            hs.changeRowBounds(r1, -INF if s > 0 else 0.0, 0.0 if s > 0 else INF)
        hs.run()
        if hs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        v = float(hs.getInfo().objective_function_value)
        if v <= 1e-6:
            return None
        g = np.asarray(hs.getSolution().col_dual[:I], float)
        return g, float(g @ h) - (v - 1e-7)  # a hair weaker: LP tolerances cannot cut a hedge
