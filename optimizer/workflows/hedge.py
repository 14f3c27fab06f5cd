"""The hedge workflow: a portfolio and a mandate in, the integer futures hedge out (SPEC §6, §9).

API::

    from optimizer import hedge
    out = hedge("my_book.csv", "my_mandate.toml", asof="2025-07-11", margin_budget... )
    out.status, out.contracts               # {"ZNU5": -742, ...} net contracts per contract
    out.to_frame()                          # the positions (SPEC §8 positions format)
    out.to_dict()                           # exactly `overlay hedge --json`

``run_hedge(HedgeRequest(...))`` is the same with a typed request. The request is a
:class:`optimizer.workflows.request.MandateRequest` (holdings, mandate, asof, risk-model options)
plus ``current`` (contracts held now, for turnover and trading cost), ``frontier`` (compute the
TE vs margin-budget frontier: ``True`` for the default grid or a list of budgets in USD) and
``scenarios`` (built-in scenarios and historical replays of the hedge, for the report).

What the result states (one basis throughout)
---------------------------------------------
* **The constrained quantity is what is printed.** Sector and portfolio DV01 before/target/after
  are the mandate's basis: the beta-adjusted curve DV01 when betas are on (SPEC §5), the plain
  curve DV01 otherwise; ``portfolio.duration_*`` = that DV01 / portfolio MV x 1e4 (so a
  ``--target-duration 4`` hedge prints the duration the band holds). The unadjusted model
  figures are reported beside them, labelled ``model_*``.
* **Positions are real.** One row per (contract, designated sector) piece with a nonzero count;
  every piece has the sign of its contract's net position (the core's no-wash model), so
  per-row notional = |contracts| x contract notional and the rows add up to the account.
* Leverage and "bp of MV" use |portfolio MV| (a net-short or all-short book has MV < 0).
* Per sector, a key-rate ladder before/after: after = the sector's key-rate DV01s + those of the
  contracts designated to it (plain, not beta-adjusted: the ladder sums to the curve DV01).
* Warnings are :class:`data.errors.Notice` values (code, severity, subject, message), merged so
  that the same message about several contracts is stated once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from data.errors import Notice
from optimizer.assemble import HedgeContext
from optimizer.core.problem import HedgeProblem, HedgeResult, build_data
from optimizer.workflows.frontier import compute_frontier
from optimizer.workflows.request import MandateRequest

#: columns of the positions format (SPEC §8) as ``overlay hedge --csv`` writes them: the first
#: three are the format, the rest information a reader ignores
POSITION_COLUMNS = ["contract", "contracts", "sector", "instrument", "contract_dv01", "dv01",
                    "notional", "initial_margin", "model_price", "kind", "description"]
OBJECTIVE_UNIT = ("USD^2 per year: tracking variance (x + B h - t)' cov (x + B h - t) + residual "
                  "variance + cost_weight x trading cost")


@dataclass(frozen=True)
class HedgeRequest(MandateRequest):
    """Hedge a portfolio under a mandate (see the module docstring)."""

    current: Mapping[str, int] | None = None
    frontier: bool | Sequence[float] = False
    scenarios: bool = False


# ----------------------------------------------------------------------------------------------
# notices
# ----------------------------------------------------------------------------------------------
def merge_notices(notices: Sequence[Notice]) -> list[Notice]:
    """One notice per (code, severity, message): the subjects of repeats are joined."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for n in notices:
        key = (n.code, n.severity, _strip_subject(n))
        subs = out.setdefault(key, [])
        if n.subject and n.subject not in subs:
            subs.append(n.subject)
    return [Notice(code, msg, subject=", ".join(subs), severity=sev)
            for (code, sev, msg), subs in out.items()]


def _strip_subject(n: Notice) -> str:
    # instrument flags repeat their contract at the front of the message
    m = n.message
    return m[len(n.subject) + 2:] if n.subject and m.startswith(n.subject + ": ") else m


def hedge_notices(ctx: HedgeContext, res: HedgeResult) -> list[Notice]:
    """What a PM must see: data and model notes, leverage above 30% of |MV|, margin buffer,
    rounding, solver status, designations that are not real positions."""
    out = list(ctx.notices)
    out += [w if isinstance(w, Notice) else
            Notice("solver_note", str(w), subject="solver", severity="info")
            for w in res.warnings]
    amv = abs(float(ctx.inputs.portfolio_market_value))
    ratio = res.gross_notional / amv if amv else float("nan")
    if np.isfinite(ratio) and ratio > 0.30:
        out.append(Notice("leverage_high", f"gross futures notional is {ratio:.0%} of |portfolio "
                          "market value| (above 30%)", subject="leverage"))
    budget = ctx.problem_mandate.margin_budget
    if budget is not None and res.initial_margin > 0 and budget < 2 * res.initial_margin:
        out.append(Notice("margin_buffer", f"budget ${budget:,.0f} is less than 2x the initial "
                          f"margin ${res.initial_margin:,.0f} (variation margin on a 2-sigma "
                          "move may exceed it)", subject="margin"))
    if res.rounded_broken:
        # constraint ids (sector_dv01[Treasury]) in words: a notice is a sentence, not a repr
        broken = [re.sub(r"^(\w+)\[(.+)\]$", r"\1 of \2", str(b)).replace("_", " ")
                  for b in res.rounded_broken]
        out.append(Notice("rounding_breaks", "naive rounding of the continuous optimum breaks: "
                          + "; ".join(broken), subject="solver", severity="info"))
    if res.status != "optimal":
        out.append(Notice("solver_status", f"solver status {res.status}: see the solver line "
                          "for the optimality gap", subject="solver"))
    wash = [a for a in res.allocation
            if a["contracts"] * res.contracts[a["instrument"]] < 0]
    if wash:
        out.append(Notice("paper_designation", "designations against their contract's net "
                          "position: " + ", ".join(f"{a['instrument']} {a['contracts']:+d} "
                                                   f"{a['sector']}" for a in wash),
                          subject="positions", severity="error"))
    return merge_notices(out)


# ----------------------------------------------------------------------------------------------
# the result
# ----------------------------------------------------------------------------------------------
@dataclass
class HedgeOutcome:
    """A solved hedge with everything it was built from (see the module docstring)."""

    context: HedgeContext
    result: HedgeResult
    problem: HedgeProblem | None = None
    frontier: list[dict] | None = None
    scenarios: list[dict] | None = None
    notices: list[Notice] = field(default_factory=list)

    # -- convenience -------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self.result.status

    @property
    def contracts(self) -> dict[str, int]:
        """Net contracts per contract code (zeros omitted)."""
        return {k: int(v) for k, v in self.result.contracts.items() if v}

    @property
    def asof(self) -> pd.Timestamp:
        return self.context.asof

    def to_frame(self) -> pd.DataFrame:
        """The positions in the positions format (SPEC §8; ``overlay hedge --csv``)."""
        rows = [{**p, "model_price": p["price"]} for p in self.positions()]
        return pd.DataFrame(rows, columns=POSITION_COLUMNS)

    def explain(self) -> dict[str, Any]:
        """The problem data so the optimum can be re-verified independently (``--explain``)."""
        prob = self.problem or HedgeProblem(self.context.inputs, self.context.problem_mandate)
        out = prob.explain(None, self.result)
        out["asof"] = self.context.asof.strftime("%Y-%m-%d")
        return out

    # -- pieces of the document ----------------------------------------------------------------
    def positions(self) -> list[dict[str, Any]]:
        """One row per designated piece with nonzero contracts (real positions)."""
        ctx, res = self.context, self.result
        by_contract = {ir.contract: ir for ir in ctx.instruments}
        alloc = [a for a in res.allocation if a["contracts"] != 0]
        gross: dict[str, int] = {}
        for a in alloc:
            gross[a["instrument"]] = gross.get(a["instrument"], 0) + abs(int(a["contracts"]))
        rows = []
        for a in alloc:
            ir = by_contract[a["instrument"]]
            n = int(a["contracts"])
            # |n| of the account's net |h|: exactly |n| when the pieces are real positions
            held = abs(n) / gross[a["instrument"]] * abs(res.contracts[a["instrument"]])
            rows.append({
                "instrument": ir.root, "contract": ir.contract, "sector": a["sector"],
                "contracts": n, "contract_dv01": ir.dv01_usd, "dv01": n * ir.dv01_usd,
                "notional": held * abs(ir.notional_usd),
                "initial_margin": held * ir.initial_margin_usd, "price": ir.price,
                "kind": ir.kind, "description": ir.description})
        return rows

    def _sector_key_rates(self, s: int) -> list[dict[str, Any]]:
        ctx, res = self.context, self.result
        inp = ctx.inputs
        idx = {f: k for k, f in enumerate(inp.factors)}
        cols = [idx[t] for t in ctx.key_tenors]
        before = inp.sector_exposure[s, cols]
        after = before.copy()
        sector = inp.sectors[s]
        for a in res.allocation:
            if a["sector"] == sector and a["contracts"]:
                i = inp.instruments.index(a["instrument"])
                after = after + a["contracts"] * inp.instrument_exposure[i, cols]
        return [{"tenor": t, "dv01_before": float(b), "dv01_after": float(x)}
                for t, b, x in zip(ctx.key_tenors, before, after, strict=True)]

    def sectors(self) -> list[dict[str, Any]]:
        ctx, res = self.context, self.result
        inp, pm = ctx.inputs, ctx.problem_mandate
        raw = dict(zip(ctx.exposures.sectors["sector"], ctx.exposures.sectors["dv01"],
                       strict=True))
        out = []
        for s, row in enumerate(res.sectors):
            name = row["sector"]
            spec = pm.sector_targets.get(name)
            tol = (spec.resolve(float(inp.sector_dv01[s]), float(inp.sector_market_value[s]))[1]
                   if spec is not None and spec.has_band else None)
            after, tgt = float(row["dv01_after"]), row["dv01_target"]
            b = ctx.betas.get(name, {})
            hedge = sum(a["contracts"] * float(inp.instrument_dv01[inp.instruments.index(
                a["instrument"])]) for a in res.allocation if a["sector"] == name)
            out.append({
                "sector": name, "market_value": float(row["market_value"]),
                "dv01_before": float(row["dv01_before"]), "dv01_target": tgt,
                "dv01_tolerance": tol, "dv01_after": after,
                "inside": None if tol is None or tgt is None else abs(after - tgt) <= tol + 1e-6,
                "hedge_dv01": hedge, "beta": b.get("beta", 1.0),
                "beta_std_err": b.get("std_err"), "beta_source": b.get("source"),
                "model_dv01": float(raw[name]), "model_dv01_after": float(raw[name]) + hedge,
                "key_rates": self._sector_key_rates(s)})
        return out

    def portfolio(self, hedge_dv01: float) -> dict[str, Any]:
        """Portfolio totals on the constrained basis, the unadjusted model figures labelled."""
        ctx, res = self.context, self.result
        mv = float(ctx.exposures.portfolio["market_value"])
        model = float(ctx.exposures.portfolio["dv01"])
        before, after = float(res.portfolio["dv01_before"]), float(res.portfolio["dv01_after"])

        def dur(x: float) -> float | None:
            return x / mv * 1e4 if mv else None

        out = {"market_value": mv, "dv01_before": before, "dv01_after": after,
               "duration_before": dur(before), "duration_after": dur(after),
               "dv01_basis": ("beta-adjusted curve DV01 (what the mandate constrains)"
                              if ctx.mandate_spec.betas else "curve DV01"),
               "model_dv01_before": model, "model_dv01_after": model + hedge_dv01,
               "model_duration_before": dur(model), "model_duration_after": dur(model + hedge_dv01)}
        pt = ctx.problem_mandate.portfolio_target
        if pt is not None:
            tgt, tol = pt.resolve(before, mv)
            out.update({"dv01_target": tgt, "dv01_tolerance": tol if pt.has_band else None,
                        "duration_target": dur(tgt)})
        return out

    def leverage(self) -> dict[str, Any]:
        """Leverage as the mandate measures it (``leverage_measure``: gross notional by default,
        else the per-contract weights the constraint uses), relative to |portfolio MV|."""
        ctx, res = self.context, self.result
        amv = abs(float(ctx.inputs.portfolio_market_value))
        measure = getattr(ctx.mandate_spec, "leverage_measure", "gross_notional")
        w = getattr(ctx.inputs, "leverage_weight", None)
        h = np.abs(res.h)
        used = float(h @ np.asarray(w, float)) if w is not None and len(w) else \
            float(res.gross_notional)
        return {"gross_notional": res.gross_notional, "measure": measure, "measured_usd": used,
                "ratio": used / amv if amv else None, "limit": ctx.problem_mandate.max_leverage,
                "definition": f"{measure.replace('_', ' ')} / |portfolio MV|"}

    def to_dict(self) -> dict[str, Any]:
        """``overlay hedge --json`` (SPEC §9 and the additions in the module docstring)."""
        ctx, res = self.context, self.result
        positions = self.positions()
        hedge_dv01 = float(sum(p["dv01"] for p in positions))
        port = self.portfolio(hedge_dv01)
        amv = abs(port["market_value"])
        kr = {k["factor"]: k for k in res.key_rates}
        pm = ctx.problem_mandate
        doc: dict[str, Any] = {
            "command": "hedge", "asof": ctx.asof.strftime("%Y-%m-%d"),
            "portfolio_name": ctx.portfolio_name, "mandate_name": ctx.mandate_spec.name,
            "mandate": ctx.mandate_spec.summary(), "status": res.status,
            "objective": res.objective, "objective_unit": OBJECTIVE_UNIT,
            "positions": positions, "contracts": self.contracts, "sectors": self.sectors(),
            "key_rates": [{"tenor": t, "dv01_before": kr[t]["before"], "dv01_after": kr[t]["after"]}
                          for t in ctx.key_tenors],
            "other_factors": [{"factor": f, "dv01_before": kr[f]["before"],
                               "dv01_after": kr[f]["after"]}
                              for f in ctx.factors if f not in ctx.key_tenors],
            "tracking_error": {
                "before_usd": res.te_before_usd, "after_usd": res.te_after_usd,
                "after_bp": res.te_after_usd / amv * 1e4 if amv else None,
                "before_bp": res.te_before_usd / amv * 1e4 if amv else None,
                "continuous_after_usd": res.te_continuous_usd,
                "rounded_after_usd": res.te_rounded_usd,
                "continuous_contracts": res.continuous_contracts,
                "rounded_contracts": res.rounded_contracts, "rounded_breaks": res.rounded_broken},
            "margin": {"initial": res.initial_margin, "budget": pm.margin_budget},
            "leverage": self.leverage(),
            "portfolio": port, "solver": res.solver, "constraints": res.constraints,
            "instruments": [{"contract": ir.contract, "root": ir.root, "kind": ir.kind,
                             "price": ir.price, "dv01": ir.dv01_usd, "notional": ir.notional_usd,
                             "initial_margin": ir.initial_margin_usd,
                             "description": ir.description, "key_rate_dv01": ir.key_rate_dv01}
                            for ir in ctx.instruments],
            "risk_model": {"factors": ctx.factors,
                           "window": [str(ctx.factor_model.window_start),
                                      str(ctx.factor_model.window_end)],
                           "method": ctx.factor_model.method},
            "warnings": [n.to_dict() for n in self.notices],
            "provenance": ctx.provenance,
        }
        if self.frontier is not None:
            doc["frontier"] = self.frontier
        if self.scenarios is not None:
            doc["scenarios"] = self.scenarios
        return doc


# ----------------------------------------------------------------------------------------------
# hedged item and scenarios (one definition: the scenarios workflow uses these too)
# ----------------------------------------------------------------------------------------------
def hedged_fractions(ctx: HedgeContext) -> dict[str, float]:
    """Fraction of each sector the mandate hedges: ``1 - target DV01 / current DV01`` on the
    mandate's basis (beta-adjusted when betas are on; a whole-portfolio target gives every
    sector without its own target the common ratio). This defines the **hedged item** of the
    effectiveness tests: ``sum_s f_s x holdings P&L_s``. A sector with no target (and no
    portfolio target) is not hedged: f = 0."""
    _, tgt = build_data(ctx.inputs, ctx.problem_mandate)
    out = {}
    for s, name in enumerate(ctx.inputs.sectors):
        cur = float(ctx.inputs.sector_dv01[s])
        if np.isnan(tgt[s]) or abs(cur) < 1e-12:
            out[name] = 0.0
        else:
            out[name] = 1.0 - float(tgt[s]) / cur
    return out


def scenario_engine(ctx: HedgeContext, positions: Sequence[Mapping[str, Any]]):
    """A :class:`models.scenarios.ScenarioEngine` for ``positions`` (``{contract, contracts,
    sector}``) on the context's holdings, curve and key tenors, with the mandate's hedged item."""
    from models.scenarios import HedgePosition, ScenarioEngine

    pos = [HedgePosition(str(p["contract"]), float(p["contracts"]), p.get("sector"))
           for p in positions if p["contracts"]]
    return ScenarioEngine(ctx.holdings, pos, ctx.asof, ctx.curve, key_tenors=ctx.key_tenors,
                          hedged_fraction=hedged_fractions(ctx), exposures=ctx.exposures)


SCENARIO_SUMMARY_KEYS = ("scenario", "kind", "holdings_pnl", "hedged_item_pnl", "hedge_pnl",
                         "net_pnl", "effectiveness", "effective", "approx_net_pnl")


def report_scenarios(ctx: HedgeContext, positions: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Built-in scenarios and historical replays of a hedge, one summary row each."""
    from models.scenarios import builtin_scenarios, historical_replays

    eng = scenario_engine(ctx, positions)
    rows = eng.run_many(builtin_scenarios() + historical_replays())
    return [{k: r.get(k) for k in SCENARIO_SUMMARY_KEYS} for r in rows]


# ----------------------------------------------------------------------------------------------
# the workflow
# ----------------------------------------------------------------------------------------------
def solve_hedge(ctx: HedgeContext, *, time_limit: float = 10.0,
                frontier: bool | Sequence[float] = False, scenarios: bool = False
                ) -> HedgeOutcome:
    """Solve an assembled context (raises InfeasibleMandate with the diagnosis, exit 3)."""
    prob = HedgeProblem(ctx.inputs, ctx.problem_mandate)
    res = prob.solve(time_limit=time_limit)
    out = HedgeOutcome(ctx, res, prob, notices=hedge_notices(ctx, res))
    if frontier is not False:
        budgets = None if frontier is True else [float(b) for b in frontier]
        out.frontier = compute_frontier(ctx, budgets, time_limit=min(time_limit, 5.0))
    if scenarios:
        out.scenarios = report_scenarios(ctx, out.positions())
    return out


def run_hedge(req: HedgeRequest) -> HedgeOutcome:
    """The hedge for a typed request."""
    ctx = req.context(current=req.current)
    return solve_hedge(ctx, time_limit=req.time_limit, frontier=req.frontier,
                       scenarios=req.scenarios)


def hedge(holdings=None, mandate=None, asof=None, **options: Any) -> HedgeOutcome:
    """Python API: ``hedge(holdings, mandate, asof, **options)`` -> :class:`HedgeOutcome`.

    ``holdings``: DataFrame or path (default: the bundled portfolio); ``mandate``: a
    :class:`optimizer.mandate.Mandate` or TOML path (default: the embedded default); options:
    the fields of :class:`HedgeRequest` (``key_tenors``, ``window``, ``margins``, ``repo``,
    ``time_limit``, ``current``, ``frontier``, ``scenarios``)."""
    return run_hedge(HedgeRequest(holdings=holdings, mandate=mandate, asof=asof, **options))


__all__ = ["HedgeRequest", "HedgeOutcome", "hedge", "run_hedge", "solve_hedge",
           "hedged_fractions", "scenario_engine", "report_scenarios", "merge_notices",
           "hedge_notices", "POSITION_COLUMNS"]
