"""The scenarios workflow: holdings and hedge P&L under rate/spread scenarios and replays (SPEC §8).

API::

    from optimizer import scenarios
    out = scenarios(holdings, mandate, asof)                      # the mandate's optimal hedge
    out = scenarios(holdings, mandate, asof, positions="pos.csv") # your own hedge
    out.to_frame()        # one row per scenario
    out.to_dict()         # exactly `overlay scenarios --json`

The hedge is either the mandate's optimal hedge or the positions given (the positions format
of SPEC §8, e.g. what ``overlay hedge --csv`` wrote: ``contract, contracts[, sector]``).

One definition of the hedged item
---------------------------------
Both ways use the same **hedged item**: ``sum_s f_s x holdings P&L_s`` with ``f_s = 1 - target
DV01 / current DV01`` of sector ``s`` under the mandate (:func:`optimizer.workflows.hedge.
hedged_fractions`; the default mandate: Treasury and agency hedged fully, corporates half). With
``--positions`` the mandate (default: the embedded one) still defines the hedged item, so the
same contracts give the same effectiveness whichever way they came in. (Before, the positions
path compared the hedge with the *whole* holdings P&L, which is why 50%-hedged corporates showed
77-82% instead of 93-105%.)

Per scenario: holdings, hedged item, hedge and net P&L; dollar-offset effectiveness (-hedge /
hedged item, 80-125%); full revaluation beside the DV01 + convexity approximation; the net P&L
attributed to curve, spread and basis (:meth:`models.scenarios.ScenarioEngine.attribution`).
Over the set: regression effectiveness (statsmodels OLS of hedge on hedged-item P&L; slope
-0.8..-1.25 and R^2 >= 0.8) over the scenarios, the historical replays and a rolling daily replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from data.errors import InputError, Notice
from optimizer import validate
from optimizer.assemble import HedgeContext
from optimizer.workflows.hedge import HedgeOutcome, hedged_fractions, scenario_engine, solve_hedge
from optimizer.workflows.request import MandateRequest

PositionsLike = pd.DataFrame | str | Path | Sequence[Mapping[str, Any]] | Mapping[str, int] | None
HEDGED_ITEM = ("sum over sectors of f_s x holdings P&L_s, f_s = 1 - target DV01 / current DV01 "
               "under the mandate (beta-adjusted basis when betas are on)")
SUMMARY_KEYS = ("scenario", "kind", "holdings_pnl", "hedged_item_pnl", "hedge_pnl", "net_pnl",
                "effectiveness", "effective", "approx_holdings_pnl", "approx_hedge_pnl",
                "approx_net_pnl", "approx_effectiveness", "approx_error", "attribution")


@dataclass(frozen=True)
class ScenarioRequest(MandateRequest):
    """Scenario P&L of the mandate's hedge, or of ``positions`` when given."""

    positions: PositionsLike = None
    scenario_sets: Sequence[str | Path] = ()
    scenarios: Sequence[Any] = ()              # models.scenarios.Scenario objects
    builtin: bool = True
    replays: bool = True
    histories: Sequence[str | Path | pd.DataFrame] = ()
    daily_window: str | None = "1y"


def positions_list(positions: PositionsLike, asof: pd.Timestamp) -> tuple[list[dict], str]:
    """Positions in the positions format as ``[{contract, contracts, sector}]`` (one per row,
    designations kept) and where they came from. A path is read by :func:`data.positions.
    read_positions` (an orders file is rejected, exit 2)."""
    if positions is None:
        return [], ""
    if isinstance(positions, (str, Path)):
        from data.positions import read_positions
        from optimizer.workflows.rolls import resolve_position_contract

        df = read_positions(positions, net=False,  # every row: designated or not
                            resolve=lambda c: resolve_position_contract(c, asof, allow_root=True))
        rows = df.to_dict("records")
        src = str(positions)
    elif isinstance(positions, pd.DataFrame):
        rows, src = positions.to_dict("records"), positions.attrs.get("source", "<frame>")
    elif isinstance(positions, Mapping):
        rows, src = [{"contract": k, "contracts": v} for k, v in positions.items()], "<dict>"
    else:
        rows, src = [dict(p) for p in positions], "<list>"
    out = [{"contract": str(r["contract"]).strip().upper(), "contracts": int(r["contracts"]),
            "sector": (r.get("sector") or None) if isinstance(r.get("sector"), str) else None}
           for r in rows]
    if not any(p["contracts"] for p in out):
        raise InputError("the positions hold no contracts", file=src)
    return out, src


@dataclass
class ScenarioOutcome:
    """Scenario P&L of a hedge (see the module docstring)."""

    context: HedgeContext
    positions: list[dict]
    hedge_source: str
    rows: list[dict]
    regression: dict[str, dict]
    hedge: HedgeOutcome | None = None
    notices: list[Notice] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """One row per scenario (the report's scenario table)."""
        return [{k: r.get(k) for k in SUMMARY_KEYS} for r in self.rows]

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.summary():
            a = r.pop("attribution", None) or {}
            rows.append({**r, **{f"attribution_{k}": v for k, v in a.items()}})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """``overlay scenarios --json``: the hedge (the mandate's, when solved) and the P&L."""
        ctx = self.context
        doc: dict[str, Any] = self.hedge.to_dict() if self.hedge is not None else {
            "asof": ctx.asof.strftime("%Y-%m-%d"), "portfolio_name": ctx.portfolio_name,
            "mandate_name": ctx.mandate_spec.name, "positions": self.positions}
        net: dict[str, int] = {}
        for p in self.positions:
            net[p["contract"]] = net.get(p["contract"], 0) + p["contracts"]
        doc.update({
            "command": "scenarios", "title": "Futures overlay scenario report",
            "hedge_source": self.hedge_source,
            "hedge": [{"contract": c, "contracts": n} for c, n in net.items()],
            "hedged_item": {"definition": HEDGED_ITEM, "fractions": hedged_fractions(ctx)},
            "scenarios": self.summary(), "scenario_results": self.rows,
            "regression_effectiveness": self.regression,
            "warnings": [n.to_dict() for n in self.notices]})
        return doc


def _scenario_set(req: ScenarioRequest) -> tuple[list, list]:
    from models.risk import load_history_csv
    from models.scenarios import builtin_scenarios, historical_replays, read_scenarios_csv

    user = [s for f in req.scenario_sets for s in read_scenarios_csv(f)] + list(req.scenarios)
    hist = [h if isinstance(h, pd.DataFrame) else load_history_csv(h) for h in req.histories]
    scen = (builtin_scenarios() if req.builtin else []) + user
    return scen, (historical_replays(hist) if req.replays else [])


def _regression(eng, rows: list[dict], daily_window: str | None) -> dict[str, dict]:
    from models.risk import parse_window
    from models.scenarios import daily_replays, regression_effectiveness

    def reg(rs: list[dict]) -> dict:
        return regression_effectiveness([r["hedged_item_pnl"] for r in rs],
                                        [r["hedge_pnl"] for r in rs])

    out = {"scenarios": reg([r for r in rows if r["kind"] != "historical"])}
    hist = [r for r in rows if r["kind"] == "historical"]
    if hist:
        out["historical"] = reg(hist)
    if daily_window is not None and str(daily_window).strip().lower() not in ("none", "off", "0"):
        end = eng.curve.asof
        off = parse_window(daily_window)
        start = end - off if off is not None else pd.Timestamp("1990-01-01")
        out["daily"] = reg(eng.run_many(daily_replays(start, end), attribution=False))
        out["daily"].update({"window": [str(start.date()), str(end.date())],
                             "note": "daily Treasury par-curve changes only (spreads and swap "
                                     "spread unchanged), full revaluation"})
    return out


def run_scenarios(req: ScenarioRequest) -> ScenarioOutcome:
    """Scenario P&L for a typed request."""
    from optimizer.workflows.hedge import merge_notices

    scen, hist = _scenario_set(req)   # read the user's files before any work
    ctx = req.context()
    for f in req.scenario_sets:       # each scenario's sector is a curve or a portfolio sector
        validate.scenario_file_sectors(f, ctx.inputs.sectors)
    hedge = None
    if req.positions is None:
        hedge = solve_hedge(ctx, time_limit=req.time_limit)
        positions, source = hedge.positions(), f"mandate {ctx.mandate_spec.name}"
        notices = list(hedge.notices)
    else:
        positions, source = positions_list(req.positions, ctx.asof)
        notices = list(ctx.notices)
    eng = scenario_engine(ctx, positions)
    known = {n.message for n in notices}  # a contract's flag is already reported about it
    notices += [Notice(str(w).split(":", 1)[0].split(" ", 1)[0] or "scenario_note", str(w),
                       subject="scenarios") for w in eng.warnings if str(w) not in known]
    rows = eng.run_many(scen + hist)
    reg = _regression(eng, rows, req.daily_window)
    return ScenarioOutcome(ctx, positions, source, rows, reg, hedge, merge_notices(notices))


def scenarios(holdings=None, mandate=None, asof=None, **options: Any) -> ScenarioOutcome:
    """Python API: ``scenarios(holdings, mandate, asof, positions=None, **options)``; options
    are the fields of :class:`ScenarioRequest`."""
    return run_scenarios(ScenarioRequest(holdings=holdings, mandate=mandate, asof=asof,
                                         **options))


__all__ = ["ScenarioRequest", "ScenarioOutcome", "run_scenarios", "scenarios",
           "positions_list", "HEDGED_ITEM"]
