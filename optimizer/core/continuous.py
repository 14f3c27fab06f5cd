"""The continuous optimum of the SAME hedge problem: real positions kept, integrality dropped.

SPEC §6 reports the continuous optimum and its naive rounding beside the integer hedge. For the
comparison to mean "what integrality costs", the continuous problem must keep every other rule:
contracts and pieces continuous, every piece of its contract's sign (no-wash), at most K
contracts nonzero. It is not convex (the sign rule and K are disjunctions), so it is solved by
the branch-and-bound of :mod:`optimizer.core.bnb` without the integer leaves:

* node = a box on the totals (+ the contracts counted by K); its relaxation is the node QP of
  :mod:`optimizer.core.relax` (pieces within ``[min(lo_i, 0), max(hi_i, 0)]``, K by indicators);
* a relaxed point whose pieces of one contract have both signs is split ``h_i <= 0 | h_i >= 0``
  (the no-wash disjunction); one with more than K nonzero totals is split ``h_i = 0 | h_i
  counted`` on its smallest free nonzero total;
* otherwise the relaxed point is feasible for the continuous problem and, the node QP being a
  relaxation of it, optimal on the node: its objective (exact formula) is a candidate.

Pruning uses the rigorous weak-duality bounds of the node QPs; the tree is exhausted, so the
result is the continuous optimum within the QP solver's accuracy (1e-9 relative).
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from optimizer.core.errors import SolverFailure
from optimizer.core.model import HedgeModel
from optimizer.core.relax import NodeQP

ZERO = 1e-6  # contracts: a relaxed total or piece this small counts as zero
REL_GAP = 1e-9


class ContinuousSearch:
    """Continuous optimum under the sign rule and K (module docstring)."""

    def __init__(self, model: HedgeModel, qp: NodeQP | None = None,
                 node_limit: int = 20_000) -> None:
        self.model = model
        self.qp = qp or NodeQP(model)
        self.node_limit = node_limit
        self.K = model.forms.cardinality()
        self.U = math.inf
        self.best: tuple[np.ndarray, np.ndarray] | None = None
        self.nodes = 0

    def run(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(totals, pieces, objective $k^2 incl. the constant); raises SolverFailure when the
        continuous problem is infeasible or the node limit is reached."""
        assert self.model.box is not None
        d = self.model.data
        lo, hi = self.model.box[0][:d.I].astype(float), self.model.box[1][:d.I].astype(float)
        seq = itertools.count()
        heap = [(-math.inf, next(seq), lo, hi, np.zeros(d.I, bool))]
        while heap:
            bound, _, lo, hi, counted = heapq.heappop(heap)
            if bound >= self.U - REL_GAP * max(1.0, abs(self.U)):
                break
            if self.nodes >= self.node_limit:
                raise SolverFailure(f"continuous optimum: node limit ({self.node_limit})")
            self.nodes += 1
            for kid in self._children(lo, hi, counted):
                heapq.heappush(heap, (kid[0], next(seq), *kid[1:]))
        if self.best is None:
            raise SolverFailure("continuous relaxation: infeasible")
        return self.best[0], self.best[1], self.U

    def _children(self, lo: np.ndarray, hi: np.ndarray, counted: np.ndarray) -> list[tuple]:
        d = self.model.data
        nb = self.qp.solve(lo, hi, counted)
        if nb.status == "infeasible":
            return []
        if nb.status != "optimal" or nb.x is None:
            raise SolverFailure(f"continuous relaxation: node QP {nb.status}")
        if nb.bound >= self.U - REL_GAP * max(1.0, abs(self.U)):
            return []
        h, y = nb.x[:d.I], nb.x[d.I:d.I + d.P]
        pi = d.piece_instrument
        pos = np.zeros(d.I)
        neg = np.zeros(d.I)
        np.add.at(pos, pi, np.maximum(y, 0.0))
        np.add.at(neg, pi, np.maximum(-y, 0.0))
        wash = np.minimum(pos, neg)
        i = int(np.argmax(wash))
        if wash[i] > ZERO:  # pieces of both signs: h_i <= 0 | h_i >= 0
            left_hi, right_lo = hi.copy(), lo.copy()
            left_hi[i], right_lo[i] = min(hi[i], 0.0), max(lo[i], 0.0)
            return [(nb.bound, lo, left_hi, counted), (nb.bound, right_lo, hi, counted)]
        nonzero = np.abs(h) > ZERO
        if self.K is not None and int(np.sum(nonzero | counted)) > self.K:
            free = np.nonzero(nonzero & ~counted)[0]
            i = int(free[np.argmin(np.abs(h[free]))])
            zl, zh = lo.copy(), hi.copy()
            zl[i] = zh[i] = 0.0
            c2 = counted.copy()
            c2[i] = True
            return [(nb.bound, zl, zh, counted), (nb.bound, lo, hi, c2)]
        h = np.where(np.abs(h) > ZERO, h, 0.0)  # interior-point dust is reported as zero
        y = np.where(np.abs(y) > ZERO, y, 0.0)
        value = float(self.model.objective(h)[0])
        if value < self.U:
            self.U, self.best = value, (h, y)
        return []


__all__ = ["ContinuousSearch"]
