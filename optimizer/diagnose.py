"""Infeasible mandates: which constraints conflict and the smallest change that fixes each.

1. Conflicts -- a deletion filter over the named constraints on the *integer* feasibility problem
   (a MILP: every constraint is linear; SCIP, HiGHS as fallback): drop each constraint in turn and
   keep it out if the rest stays infeasible. What remains is an irreducible infeasible subset
   (IIS): infeasible together, feasible after removing any one of them.
2. Smallest relaxation -- for each constraint c of the IIS, minimize c's "usage" (margin used,
   leverage ratio, turnover, number of instruments, |DV01 after - target|, band violation,
   bound widening, net-short amount) over integer hedges meeting every *other* stated constraint.
   The minimum, measured exactly in numpy at the returned integer hedge, is the smallest limit
   that makes the integer mandate feasible (with that one change); the integer hedge itself is the
   certificate: it is checked against the relaxed constraint and every other constraint.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from optimizer.constraints import Constraint, Vars
from optimizer.errors import InfeasibleMandate

if TYPE_CHECKING:
    from optimizer.problem import HedgeProblem, Mandate

BIG_M_FALLBACK = 1e7  # contracts; only when a diagnosis subproblem has no finite bound


@dataclass
class Relaxation:
    """The smallest change of one constraint's limit that makes the mandate feasible."""

    constraint: str
    limit: str
    current: dict[str, Any]
    required: float
    message: str
    replacement: Constraint
    verified: bool
    hedge: list[int]  # the certificate: an integer hedge (totals) meeting the relaxed mandate

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "limit": self.limit, "current": self.current,
                "required": self.required, "message": self.message, "verified": self.verified}

    def apply(self, mandate: Mandate) -> Mandate:
        """The mandate with this relaxation applied."""
        c = self.replacement
        kind = c.kind
        if kind == "dv01_band":
            if c.sector is None:
                return replace(mandate, portfolio_target=c.spec)
            return replace(mandate, sector_targets={**mandate.sector_targets, c.sector: c.spec})
        if kind == "key_rate_band":
            return replace(mandate, key_rate_bands={**mandate.key_rate_bands,
                                                    c.factor: (c.lower, c.upper)})
        if kind == "leverage":
            return replace(mandate, max_leverage=c.limit)
        if kind == "margin":
            return replace(mandate, margin_budget=c.limit)
        if kind == "turnover":
            return replace(mandate, max_turnover=c.limit)
        if kind == "no_net_short":
            return replace(mandate, net_dv01_floor=c.floor)
        if kind == "max_instruments":
            return replace(mandate, max_instruments=c.k)
        if kind == "contract_bounds":
            names = c.data.instruments
            return replace(mandate, lower=dict(zip(names, c.lo.tolist(), strict=True)),
                           upper=dict(zip(names, c.hi.tolist(), strict=True)), sides={})
        raise ValueError(f"cannot apply a relaxation of {kind} to a Mandate")


def _milp(prob: HedgeProblem, cons: Sequence[Constraint], usage_of: Constraint | None = None
          ) -> np.ndarray | None:
    """Integer point meeting ``cons`` (minimizing usage_of's usage if given), or None."""
    d = prob.data
    box = prob.hard_box(cons)
    if box is None:
        return None
    lo, hi = box
    y = cp.Variable(d.P, integer=True)
    tot = d.S @ y
    v = Vars(y=y, tot=tot, integer=True)
    out: list[cp.Constraint] = []
    fl, fh = np.isfinite(lo), np.isfinite(hi)
    if fl.any():
        out.append(y[np.where(fl)[0]] >= lo[fl])
    if fh.any():
        out.append(y[np.where(fh)[0]] <= hi[fh])
    tlo, thi = prob.tot_box(lo, hi)
    tlo = np.where(np.isfinite(tlo), tlo, -BIG_M_FALLBACK)
    thi = np.where(np.isfinite(thi), thi, BIG_M_FALLBACK)
    for c in [*cons, *([usage_of] if usage_of is not None else [])]:
        c.set_box(tlo, thi)
    for c in cons:
        out += c.cvx(v)
    obj = cp.Constant(0.0)
    if usage_of is not None:
        expr, extra = usage_of.usage(v)
        obj, out = expr, out + extra
    problem = cp.Problem(cp.Minimize(obj), out)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _run(problem, y, cons)


def _run(problem: cp.Problem, y: cp.Variable, cons: Sequence[Constraint]) -> np.ndarray | None:
    for solver, opts in (("SCIP", {"scip_params": {"limits/time": 30.0, "limits/gap": 0.0}}),
                         ("HIGHS", {"mip_rel_gap": 0.0})):
        if solver not in cp.installed_solvers():
            continue
        try:
            problem.solve(solver=solver, **opts)
        except Exception:  # noqa: BLE001 - try the next solver
            continue
        if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return None
        if y.value is not None:
            yi = np.round(np.asarray(y.value, float))
            if all(c.check(yi) for c in cons):
                return yi
    return None


def diagnose(prob: HedgeProblem, why: str) -> InfeasibleMandate:
    cons = list(prob.constraints)
    if _milp(prob, cons) is not None:  # pragma: no cover - solver disagreement
        return InfeasibleMandate(f"infeasible mandate: {why} (but a feasible integer hedge "
                                 "exists per the diagnosis MILP: numerical trouble)")
    core = list(cons)
    for c in list(core):
        trial = [k for k in core if k is not c]
        if _milp(prob, trial) is None:
            core = trial
    relaxations: list[Relaxation] = []
    notes: list[str] = []
    for c in core:
        others = [k for k in cons if k is not c]
        y = _milp(prob, others, usage_of=c)
        if y is None:
            notes.append(f"relaxing {c.name} alone is not enough")
            continue
        value = c.measure(y)
        c2 = c.with_limit(value)
        c2.bind(prob.data)
        verified = bool(c2.check(y) and all(k.check(y) for k in others))
        relaxations.append(Relaxation(
            constraint=c.name, limit=c.limit_label(), current=c.value(), required=value,
            message=c.relax_message(value), replacement=c2, verified=verified,
            hedge=[int(v) for v in prob.data.totals(y[None])[0]]))
    msg = (f"infeasible mandate: {why}. Conflicting constraints: "
           + "; ".join(f"{c.name} ({c.describe()})" for c in core) + ".")
    if relaxations:
        msg += " Smallest single changes that make it feasible: " + "; ".join(
            r.message for r in relaxations) + "."
    if notes:
        msg += " " + "; ".join(notes) + "."
    err = InfeasibleMandate(msg, conflicts=[c.name for c in core],
                            relaxations=[r.message for r in relaxations])
    err.why = why
    err.suggestions = relaxations
    return err


__all__ = ["Relaxation", "diagnose"]
