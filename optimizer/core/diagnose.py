"""Infeasible mandates: which constraints conflict and the smallest change that fixes each.

Bounded in time (``budget``, default 15 s in total):

1. Conflicts -- a deletion filter over the named constraints on the *continuous relaxation*
   (one small LP per constraint, milliseconds each): drop each constraint in turn and keep it out
   if the rest stays infeasible. What remains is an irreducible infeasible subset of the
   relaxation; it is infeasible in the integer problem too (the relaxation contains every integer
   hedge). Only when the relaxation is feasible (an integer-only conflict: bands narrower than a
   contract, cardinality) does the filter use integer feasibility solves, each with a short time
   limit, and it stops at half the budget (saying the set may not be minimal).
2. Smallest relaxation -- for each conflicting constraint c, minimize c's "usage" (margin used,
   leverage ratio, turnover, number of instruments, |DV01 after - target|, band violation, bound
   widening, net-short amount) over integer hedges meeting every *other* stated constraint: a
   MILP with integer totals and continuous sector pieces (HiGHS, SCIP as fallback; a few seconds
   at most), then integer pieces for those totals. The value is measured exactly in numpy at the
   resulting integer hedge, which is the certificate: it is checked against the relaxed
   constraint, every other constraint, and the relaxed *mandate* as the user would apply it.
   Only verified changes are printed. If the MILP was optimal the value is the smallest (the
   totals/pieces relaxation has the same minimum once integer pieces exist); if it stopped at its
   time limit the change is printed as sufficient, not as the smallest. When no single change
   works, the message says so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from optimizer.core.constraints import Constraint, Vars
from optimizer.core.errors import InfeasibleMandate
from optimizer.core.problem import quiet_solver

if TYPE_CHECKING:
    from optimizer.core.problem import HedgeProblem, Limits

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

    def apply(self, mandate: Limits) -> Limits:
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
        raise ValueError(f"cannot apply a relaxation of {kind} to a Limits")


def _model(prob: HedgeProblem, cons: Sequence[Constraint], integer: bool,
           usage_of: Constraint | None = None):
    """cvxpy model of ``cons`` (+ minimizing usage_of's usage): continuous (``integer=False``)
    or integer totals with continuous pieces. None when bound propagation proves infeasibility."""
    d = prob.data
    box = prob.hard_box(cons)
    if box is None:
        return None
    lo, hi = box
    y = cp.Variable(d.P)
    out: list[cp.Constraint] = []
    if integer:
        h = cp.Variable(d.I, integer=True)
        out.append(d.S @ y == h)
        tot = h
    else:
        h, tot = None, d.S @ y
    v = Vars(y=y, tot=tot, integer=integer)
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
    return cp.Problem(cp.Minimize(obj), out), y, h, (lo, hi)


def _lp_feasible(prob: HedgeProblem, cons: Sequence[Constraint]) -> bool:
    """Feasibility of the continuous relaxation (fast LP)."""
    built = _model(prob, cons, integer=False)
    if built is None:
        return False
    problem = built[0]
    for solver in ("HIGHS", "CLARABEL"):
        if solver not in cp.installed_solvers():
            continue
        try:
            with quiet_solver():
                problem.solve(solver=solver)
        except Exception:  # noqa: BLE001 - next solver
            continue
        if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return False
        if problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return True
    return True  # unknown: do not claim a conflict


def _integer_point(prob: HedgeProblem, cons: Sequence[Constraint], time_limit: float,
                   usage_of: Constraint | None = None) -> tuple[np.ndarray | None, str]:
    """An integer allocation meeting ``cons`` (minimizing usage_of's usage if given).

    Integer totals + continuous pieces (MILP, HiGHS or SCIP, ``time_limit``), then integer
    pieces for those totals (min sum |y|). Returns (y or None, status) with status "optimal",
    "feasible" (time limit: not proven minimal), "infeasible" or "unknown"."""
    built = _model(prob, cons, integer=True, usage_of=usage_of)
    if built is None:
        return None, "infeasible"
    problem, y, h, (lo, hi) = built
    status = "unknown"
    for solver, opts in (("HIGHS", {"time_limit": float(time_limit), "mip_rel_gap": 0.0}),
                         ("SCIP", {"scip_params": {"limits/time": float(time_limit),
                                                   "limits/gap": 0.0}})):
        if solver not in cp.installed_solvers():
            continue
        try:
            with quiet_solver():
                problem.solve(solver=solver, **opts)
        except Exception:  # noqa: BLE001 - try the next solver
            continue
        if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return None, "infeasible"
        if h.value is None:
            continue
        ht = np.round(np.asarray(h.value, float))
        yi = _pieces(prob, cons, ht, lo, hi, time_limit)
        if yi is not None and all(c.check(yi) for c in cons):
            status = "optimal" if problem.status == cp.OPTIMAL else "feasible"
            return yi, status
        status = "unknown"
    return None, status


def _pieces(prob, cons, ht, lo, hi, time_limit):
    d = prob.data
    if all(int(d.S[i].sum()) == 1 for i in range(d.I)):
        return d.S.T @ ht
    y = cp.Variable(d.P, integer=True)
    a = cp.Variable(d.P, nonneg=True)
    v = Vars(y=y, tot=d.S @ y, integer=True)
    out = [d.S @ y == ht, a >= y, a >= -y]
    fl, fh = np.isfinite(lo), np.isfinite(hi)
    if fl.any():
        out.append(y[np.where(fl)[0]] >= lo[fl])
    if fh.any():
        out.append(y[np.where(fh)[0]] <= hi[fh])
    for c in cons:
        out += c.cvx(v)
    problem = cp.Problem(cp.Minimize(cp.sum(a)), out)
    for solver, opts in (("HIGHS", {"time_limit": float(time_limit)}),
                         ("SCIP", {"scip_params": {"limits/time": float(time_limit)}})):
        if solver not in cp.installed_solvers():
            continue
        try:
            with quiet_solver():
                problem.solve(solver=solver, **opts)
        except Exception:  # noqa: BLE001
            continue
        if y.value is not None:
            return np.round(np.asarray(y.value, float))
        if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return None
    return None


def _mandate_check(prob: HedgeProblem, r: Relaxation, y: np.ndarray) -> bool:
    """The relaxed *mandate* (what the user would apply) accepts the certificate hedge."""
    try:
        m2 = r.apply(prob.mandate)
    except (ValueError, AttributeError):
        return True  # an added constraint: checked on the constraint objects already
    from optimizer.core.problem import HedgeProblem as _HP

    p2 = _HP(prob.inputs, m2)
    for c in prob._extra:
        if c.name != r.constraint:
            p2.add_constraint(c)
    return not p2.broken(y)


def diagnose(prob: HedgeProblem, why: str, budget: float = 15.0) -> InfeasibleMandate:
    """Conflicts and verified single-constraint relaxations within about ``budget`` seconds."""
    t_end = time.perf_counter() + budget
    cons = list(prob.constraints)

    def left(cap: float) -> float:
        return max(0.5, min(cap, t_end - time.perf_counter()))

    notes: list[str] = []
    # 1. conflicts: deletion filter on the continuous relaxation (LPs); if the relaxation is
    #    feasible the conflict is an integer one: deletion filter with short integer solves
    if not _lp_feasible(prob, cons):
        core = list(cons)
        for c in list(core):
            trial = [k for k in core if k is not c]
            if not _lp_feasible(prob, trial):
                core = trial
    else:
        core = list(cons)
        for c in list(core):
            if time.perf_counter() > t_end - 0.5 * budget:
                notes.append("conflict search stopped at its time budget: the listed set may "
                             "not be minimal")
                break
            trial = [k for k in core if k is not c]
            _, st = _integer_point(prob, trial, left(2.0))
            if st == "infeasible":
                core = trial
    # 2. smallest single changes, each verified by an integer hedge (the certificate)
    relaxations: list[Relaxation] = []
    for c in core:
        if time.perf_counter() > t_end:
            notes.append(f"no time left to size a change of {c.name}")
            continue
        others = [k for k in cons if k is not c]
        y, st = _integer_point(prob, others, left(3.0), usage_of=c)
        if y is None:
            if st == "infeasible":
                notes.append(f"relaxing {c.name} alone is not enough")
            else:
                notes.append(f"no verified change of {c.name} found within the time budget")
            continue
        value = c.measure(y)
        c2 = c.with_limit(value)
        c2.bind(prob.data)
        r = Relaxation(
            constraint=c.name, limit=c.limit_label(), current=c.value(), required=value,
            message=c.relax_message(value), replacement=c2, verified=False,
            hedge=[int(v) for v in prob.data.totals(y[None])[0]])
        r.verified = bool(c2.check(y) and all(k.check(y) for k in others)
                          and _mandate_check(prob, r, y))
        if not r.verified:
            notes.append(f"a change of {c.name} could not be verified")
            continue
        if st != "optimal":
            r.message += " (sufficient; smaller values not ruled out within the time budget)"
        relaxations.append(r)
    msg = (f"infeasible mandate: {why}. Conflicting constraints: "
           + "; ".join(f"{c.name} ({c.describe()})" for c in core) + ".")
    if relaxations:
        msg += " Smallest single changes that make it feasible (each verified with an integer " \
               "hedge): " + "; ".join(r.message for r in relaxations) + "."
    if notes:
        msg += " " + "; ".join(notes) + "."
    err = InfeasibleMandate(msg, conflicts=[c.name for c in core],
                            relaxations=[r.message for r in relaxations])
    err.why = why
    err.suggestions = relaxations
    return err


__all__ = ["Relaxation", "diagnose"]
