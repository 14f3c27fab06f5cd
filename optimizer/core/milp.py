"""The forms as a HiGHS MILP: feasibility of a set of constraints, or the least widening of one.

Integer totals h and pieces y (``sum_p y_p = h_i``), one sign binary per shared contract
(``-M (1 - s_i) <= y_p <= M s_i``: real positions), ``|h_i - ref_i|`` through aux variables,
cardinality binaries. With ``widen=name`` one more variable ``t >= 0`` relaxes that constraint's
forms on the sides they allow (lower bounds by ``t``, upper bounds and caps by ``t``, K by ``t``)
and the objective is ``t``: the exact least change of that one limit with everything else fixed
(SPEC §6 diagnosis). ``relax=True`` drops integrality (a linear relaxation: fast conflict
detection). Rows are in the forms' solver units (``scale``); ``t`` in natural units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.core.forms import AbsSum, Cardinality, Form, LinearForm
from optimizer.core.model import HedgeModel, box_rows, propagate_box

INF = highspy.kHighsInf


@dataclass
class MilpResult:
    status: str  # optimal | infeasible | limit | error
    t: float = math.nan
    h: np.ndarray | None = None
    y: np.ndarray | None = None


def subset_box(model: HedgeModel, forms: list[Form]) -> tuple[np.ndarray, np.ndarray] | None:
    """Propagated (h, y) box of a subset of forms; unbounded totals get 4x the default cap."""
    d = model.data
    I, P = d.I, d.P  # noqa: E741
    gross = max(float(np.abs(d.sd).sum()), float(np.abs(d.x).sum()), 1.0)
    cap = np.array([math.ceil(12 * gross / max(abs(float(d.d[i])), 1e-9)) + abs(d.h0[i])
                    for i in range(I)])
    A, L, U = box_rows(d, forms)
    lo = np.concatenate([-cap, np.full(P, -np.inf)])
    hi = np.concatenate([cap, np.full(P, np.inf)])
    return propagate_box(A, L, U, lo, hi, d, passes=1)


class Milp:
    """One HiGHS model of a list of forms (module docstring)."""

    def __init__(self, model: HedgeModel, forms: list[Form], widen: list[Form] | None = None,
                 relax: bool = False) -> None:
        self.model, self.forms, self.widen = model, forms, widen or []
        self.relax = relax
        self.box = subset_box(model, [f for f in forms if not any(f is w for w in self.widen)])
        self.h = highspy.Highs()
        self.h.silent()
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 1e-9)
        self.h.setOptionValue("mip_feasibility_tolerance", 1e-9)
        if self.box is not None:
            self._build()

    def _var(self, lo: float, hi: float, integer: bool = False) -> int:
        k = self.h.getNumCol()
        self.h.addVar(lo, hi)
        if integer and not self.relax:
            self.h.changeColIntegrality(k, highspy.HighsVarType.kInteger)
        return k

    def _row(self, lo: float, hi: float, idx: list[int], val: list[float]) -> None:
        self.h.addRow(lo, hi, len(idx), np.array(idx, np.int32), np.array(val, float))

    def _build(self) -> None:
        d = self.model.data
        assert self.box is not None
        lo, hi = self.box
        self.hv = [self._var(float(lo[i]), float(hi[i]), True) for i in range(d.I)]
        self.yv = [self._var(float(lo[d.I + p]), float(hi[d.I + p]), True) for p in range(d.P)]
        self.tv = self._var(0.0, INF, False) if self.widen else -1
        for i in range(d.I):
            ps = [self.yv[int(p)] for p in np.nonzero(d.S[i])[0]]
            self._row(0.0, 0.0, [*ps, self.hv[i]], [1.0] * len(ps) + [-1.0])
            if len(ps) > 1:
                s = self._var(0.0, 1.0, True)
                big = float(max(abs(lo[i]), abs(hi[i])))
                for p in ps:
                    self._row(-INF, 0.0, [p, s], [1.0, -big])
                    self._row(-big, INF, [p, s], [1.0, -big])
        self._aux: dict[tuple, list[int]] = {}
        for f in self.forms:
            self._add(f, any(f is w for w in self.widen))
        if self.widen:
            self.h.changeColCost(self.tv, 1.0)

    def _absvars(self, ref: np.ndarray) -> list[int]:
        key = tuple(ref.tolist())
        if key not in self._aux:
            d = self.model.data
            assert self.box is not None
            span = np.maximum(np.abs(self.box[0][:d.I] - ref), np.abs(self.box[1][:d.I] - ref))
            us = [self._var(0.0, float(span[i])) for i in range(d.I)]
            for i, u in enumerate(us):
                self._row(-float(ref[i]), INF, [u, self.hv[i]], [1.0, -1.0])
                self._row(float(ref[i]), INF, [u, self.hv[i]], [1.0, 1.0])
            self._aux[key] = us
        return self._aux[key]

    def _add(self, f: Form, widened: bool) -> None:
        t = [self.tv] if widened else []
        if isinstance(f, LinearForm):
            v = self.hv if f.on == "h" else self.yv
            nz = np.nonzero(f.coef)[0]
            idx, val = [v[int(j)] for j in nz], [float(f.coef[j]) / f.scale for j in nz]
            if math.isfinite(f.lo):
                tw = [1.0 / f.scale] if widened and f.widen_lo else [0.0] * len(t)
                self._row((f.lo - f.offset) / f.scale, INF, idx + t, val + tw)
            if math.isfinite(f.hi):
                tw = [-1.0 / f.scale] if widened and f.widen_hi else [0.0] * len(t)
                self._row(-INF, (f.hi - f.offset) / f.scale, idx + t, val + tw)
        elif isinstance(f, AbsSum):
            us = self._absvars(f.ref)
            nz = np.nonzero(f.weights > 0)[0]
            self._row(-INF, f.cap / f.scale, [us[int(i)] for i in nz] + t,
                      [float(f.weights[i]) / f.scale for i in nz] + [-1.0 / f.scale] * len(t))
        else:
            assert isinstance(f, Cardinality)
            d = self.model.data
            assert self.box is not None
            zs = [self._var(0.0, 1.0, True) for _ in range(d.I)]
            for i, z in enumerate(zs):
                big = float(max(abs(self.box[0][i]), abs(self.box[1][i])))
                self._row(-INF, 0.0, [self.hv[i], z], [1.0, -big])
                self._row(-INF, 0.0, [self.hv[i], z], [-1.0, -big])
            self._row(-INF, float(f.k), zs + t, [1.0] * len(zs) + [-1.0] * len(t))

    def solve(self, time_limit: float = 10.0) -> MilpResult:
        if self.box is None:
            return MilpResult("infeasible")
        self.h.setOptionValue("time_limit", float(time_limit))
        self.h.run()
        st = self.h.getModelStatus()
        if st == highspy.HighsModelStatus.kInfeasible:
            return MilpResult("infeasible")
        sol = self.h.getSolution()
        if not sol.value_valid:
            return MilpResult("limit" if st != highspy.HighsModelStatus.kOptimal else "error")
        x = np.asarray(sol.col_value, float)
        h = np.round(x[self.hv]) if not self.relax else x[self.hv]
        y = np.round(x[self.yv]) if not self.relax else x[self.yv]
        t = float(x[self.tv]) if self.tv >= 0 else 0.0
        return MilpResult("optimal" if st == highspy.HighsModelStatus.kOptimal else "limit",
                          t, h, y)


__all__ = ["Milp", "MilpResult", "subset_box"]
