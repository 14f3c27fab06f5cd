"""Tracking error vs initial-margin budget: the mandate re-solved over a grid of margin budgets.

``compute_frontier(ctx, budgets)`` compiles the hedge problem once
(:class:`optimizer.core.problem.HedgeProblem`) and re-solves it with only the margin budget changed
(the bound ``MarginBudget`` constraint's Parameter gets the new value: same structure, no
recompilation). Budgets are
solved in increasing order.

Monotone by construction: a hedge feasible under budget b is feasible under every larger budget
(all other constraints are unchanged), so the optimal TE cannot increase with the budget. Solves
are certified optimal in the usual case; if a time-limited solve returns a worse hedge than the
best one found at a smaller budget, that smaller-budget hedge is carried forward (it is feasible
here too) and the point is flagged ``carried_forward``. Infeasible budgets are listed with status
``infeasible`` and no TE (and the smallest feasible budget the diagnosis found, if any).

Output rows (the ``frontier`` key of ``overlay frontier --json`` and of the hedge result)::

    {margin_budget_usd, tracking_error_usd, tracking_error_bp (of |portfolio MV|), status,
     margin_used_usd, contracts, flags}

API: ``frontier(holdings, mandate, asof, budgets=None, ...) -> FrontierOutcome`` (typed request
:class:`FrontierRequest`; ``to_dict()`` is ``overlay frontier --json``, ``to_frame()`` its CSV).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from data.errors import InputError, Notice
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.problem import HedgeProblem
from optimizer.workflows.request import MandateRequest

__all__ = ["compute_frontier", "default_budgets", "parse_budgets", "FrontierRequest",
           "FrontierOutcome", "run_frontier", "frontier", "frontier_frame"]

_TOL = 1e-9


def parse_budgets(text: str) -> list[float]:
    """'1e6,2e6,5,000,000' style lists (comma-separated numbers; '$' and '_' ignored)."""
    out = []
    for tok in str(text).replace("$", "").replace("_", "").split(","):
        tok = tok.strip()
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError:
            raise InputError(f"--budgets: '{tok}' is not a number (e.g. 1e6,2e6,4e6)",
                             column="budgets") from None
        if not math.isfinite(v) or v <= 0:
            raise InputError(f"--budgets: {tok} must be a positive amount in USD",
                             column="budgets")
        out.append(v)
    if not out:
        raise InputError("--budgets: empty list", column="budgets")
    return sorted(set(out))


def default_budgets(ctx, n: int = 10, time_limit: float = 10.0) -> list[float]:
    """A grid from 10% to 120% of the margin the mandate's hedge uses with no margin limit
    (plus the mandate's own budget)."""
    pm = ctx.problem_mandate
    free = replace(pm, margin_budget=None)
    try:
        res = HedgeProblem(ctx.inputs, free).solve(time_limit=time_limit, diagnose=False)
        top = float(res.initial_margin)
    except (InfeasibleMandate, SolverFailure):
        top = float(pm.margin_budget or 0.0)
    if top <= 0:
        top = float(pm.margin_budget or 1e6)
    grid = [round(top * f / 1000.0) * 1000.0 for f in np.linspace(0.1, 1.2, n)]
    if pm.margin_budget:
        grid.append(float(pm.margin_budget))
    return sorted({g for g in grid if g > 0})


def _has_margin(prob) -> bool:
    return any(c.name == "margin" for c in prob.constraints)


def compute_frontier(ctx, budgets: Sequence[float] | None = None, *, time_limit: float = 10.0
                     ) -> list[dict]:
    """Solve ``ctx`` (an :class:`optimizer.assemble.HedgeContext`, or anything with ``inputs``
    and ``problem_mandate``) for each margin budget; rows in increasing budget order."""
    budgets = default_budgets(ctx, time_limit=time_limit) if budgets is None else \
        sorted({float(b) for b in budgets})
    if not budgets:
        raise InputError("no margin budgets given")
    pm = ctx.problem_mandate
    amv = abs(float(ctx.inputs.portfolio_market_value))  # bp of |MV| (net-short books too)
    prob = None
    rows: list[dict] = []
    best = None  # (te_usd, row) of the best hedge at a smaller budget
    for b in budgets:
        m = replace(pm, margin_budget=b)
        row = {"margin_budget_usd": b, "tracking_error_usd": None, "tracking_error_bp": None,
               "status": None, "margin_used_usd": None, "contracts": {}, "flags": []}
        try:
            if prob is None or not _has_margin(prob):
                prob = HedgeProblem(ctx.inputs, m)
            else:
                # same compiled problem, new budget: the bound MarginBudget gets the new limit
                # and replace_constraint rebinds it into the compiled problem's Parameters
                # (``HedgeProblem.update(mandate=m)`` does the same since the Parameter fix)
                c = prob.constraint("margin")
                c.limit = b
                prob.replace_constraint(c)
                prob.mandate = m
            res = prob.solve(time_limit=time_limit, diagnose=False)
        except InfeasibleMandate as exc:
            row["status"] = "infeasible"
            row["flags"].append(str(exc).split(". Conflicting")[0])
            rows.append(row)
            continue
        except SolverFailure as exc:
            row["status"] = "solver_failure"
            row["flags"].append(str(exc))
            rows.append(row)
            continue
        row.update({"tracking_error_usd": float(res.te_after_usd),
                    "tracking_error_bp": float(res.te_after_usd) / amv * 1e4 if amv else None,
                    "status": res.status, "margin_used_usd": float(res.initial_margin),
                    "contracts": {k: int(v) for k, v in res.contracts.items() if v}})
        if best is not None and row["tracking_error_usd"] > best[0] * (1 + 1e-9) + _TOL:
            prev = best[1]
            row.update({k: prev[k] for k in ("tracking_error_usd", "tracking_error_bp",
                                             "margin_used_usd", "contracts")})
            row["contracts"] = dict(prev["contracts"])
            row["flags"].append(f"carried_forward: the solve at this budget ({res.status}) was "
                                f"worse than the hedge for budget ${prev['margin_budget_usd']:,.0f},"
                                " which is feasible here too")
        if best is None or row["tracking_error_usd"] < best[0]:
            best = (row["tracking_error_usd"], row)
        rows.append(row)
    return rows


def frontier_frame(rows: Sequence[dict]) -> pd.DataFrame:
    """Frontier rows as a table (contracts as ``ZNU5:-420 ...``, flags joined)."""
    return pd.DataFrame([{
        "margin_budget_usd": r["margin_budget_usd"], "status": r["status"],
        "tracking_error_usd": r["tracking_error_usd"], "tracking_error_bp": r["tracking_error_bp"],
        "margin_used_usd": r["margin_used_usd"],
        "contracts": " ".join(f"{k}:{v:+d}" for k, v in r["contracts"].items()),
        "flags": "; ".join(r["flags"])} for r in rows],
        columns=["margin_budget_usd", "status", "tracking_error_usd", "tracking_error_bp",
                 "margin_used_usd", "contracts", "flags"])


@dataclass(frozen=True)
class FrontierRequest(MandateRequest):
    """The mandate's TE re-solved over margin budgets (USD; ``None`` = the default grid)."""

    budgets: Sequence[float] | None = None


@dataclass
class FrontierOutcome:
    """TE vs margin budget for one portfolio and mandate."""

    context: Any                 # optimizer.assemble.HedgeContext
    rows: list[dict]
    notices: list[Notice] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return frontier_frame(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """``overlay frontier --json``."""
        ctx = self.context
        return {"command": "frontier", "asof": ctx.asof.strftime("%Y-%m-%d"),
                "portfolio_name": ctx.portfolio_name, "mandate_name": ctx.mandate_spec.name,
                "mandate": ctx.mandate_spec.summary(),
                "mandate_margin_budget_usd": ctx.problem_mandate.margin_budget,
                "frontier": self.rows, "warnings": [n.to_dict() for n in self.notices]}


def run_frontier(req: FrontierRequest) -> FrontierOutcome:
    ctx = req.context()
    budgets = None if req.budgets is None else [float(b) for b in req.budgets]
    rows = compute_frontier(ctx, budgets, time_limit=req.time_limit)
    return FrontierOutcome(ctx, rows, list(ctx.notices))


def frontier(holdings=None, mandate=None, asof=None, budgets: Sequence[float] | None = None,
             **options: Any) -> FrontierOutcome:
    """Python API: ``frontier(holdings, mandate, asof, budgets=[4e6, 8e6, 12e6])``."""
    return run_frontier(FrontierRequest(holdings=holdings, mandate=mandate, asof=asof,
                                        budgets=budgets, **options))
