"""`overlay scenarios`: holdings and hedge P&L under rate/spread scenarios and historical replays.

The hedge is the mandate's optimal hedge (``--mandate``, default the bundled mandate) or your
own positions (``--positions FILE``: CSV ``contract, contracts[, sector]``). Every scenario is
revalued in full (bonds off the shifted curve at constant spread, Treasury futures through the
basket with CTD re-selection, swap futures off the shifted swap curve) with the DV01 + convexity
approximation beside it. Built-ins: parallel +-25/50/100/200 bp, 2s10s steepener/flattener,
2s5s10s butterfly, non-Treasury spread widening +50 bp, Treasuries +20 / corporates and swaps
+60 bp, and four historical replays (Lehman 2008, taper tantrum 2013, March 2020, 2022).
``--set FILE`` adds your scenarios (CSV ``scenario, sector, tenor, shift_bp``; sector ``*`` = all
curves, ``Treasury``, ``Swap`` or a sector name; tenor ``*`` = parallel). Effectiveness =
-hedge P&L / hedged-item P&L (the sectors' hedged fractions of the holdings P&L), 80-125% band;
regression effectiveness (OLS, R^2 >= 0.8, slope -0.8..-1.25) over the historical replays and
over a rolling daily replay of the last ``--daily-window`` of Treasury curve changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from data.errors import InputError
from optimizer.reporting.output import print_json, table


def register(sub) -> None:
    from optimizer.cli.commands.hedge import add_common_hedge_args

    p = sub.add_parser("scenarios", help="scenario and historical-replay P&L of holdings and "
                       "hedge (full revaluation and DV01+convexity)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_hedge_args(p)
    p.add_argument("--positions", metavar="FILE",
                   help="hedge positions CSV (contract, contracts[, sector]) instead of solving "
                        "the mandate")
    p.add_argument("--set", dest="scenario_set", metavar="FILE", action="append", default=[],
                   help="user scenarios CSV (scenario, sector, tenor, shift_bp); repeatable")
    p.add_argument("--no-builtin", action="store_true",
                   help="only the --set scenarios (and replays unless --no-replays)")
    p.add_argument("--no-replays", action="store_true", help="skip the historical replays")
    p.add_argument("--history", nargs="+", default=[], metavar="FILE",
                   help="sector/swap yield histories (date + columns in percent, as for "
                        "'overlay betas') for the replays' spread moves")
    p.add_argument("--daily-window", default="1y",
                   help="rolling daily replay window for regression effectiveness (e.g. 1y, "
                        "6m; 'none' to skip; default 1y)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--report", metavar="PATH.html", help="write the HTML report with the "
                   "scenario section")
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------- inputs
def read_positions_csv(path: str) -> list:
    """``contract, contracts[, sector]`` -> HedgePositions (validated by data.positions)."""
    from data.positions import check_code_syntax, read_positions
    from models.instruments import instrument_kind
    from models.scenarios import HedgePosition

    def resolve(raw: str) -> str:
        # a month code (ZNU5) or a bare root (ZN = its front contract on the as-of date)
        code = raw.strip().upper()
        try:
            return check_code_syntax(code)
        except InputError:
            instrument_kind(code)  # raises, listing the known roots, if it is not a root either
            return code

    df = read_positions(path, resolve=resolve)
    if df.empty:
        raise InputError("positions file has no rows", file=path)
    return [HedgePosition(r.contract, float(r.contracts), r.sector) for r in df.itertuples()]


def _daily_start(end: pd.Timestamp, window: str) -> pd.Timestamp | None:
    from models.risk import parse_window

    if str(window).strip().lower() in ("none", "off", "0"):
        return None
    off = parse_window(window)
    return end - off if off is not None else pd.Timestamp("1990-01-01")


# ----------------------------------------------------------------------------- run
def analyze(args) -> dict:
    """Everything the command prints, as one JSON-able dict (also used by tests)."""
    from data.holdings import read_holdings
    from models.curves import curve_on, parse_key_tenors
    from models.scenarios import (
        ScenarioEngine,
        builtin_scenarios,
        daily_replays,
        historical_replays,
        read_scenarios_csv,
        regression_effectiveness,
    )

    user = []
    for f in args.scenario_set:
        user += read_scenarios_csv(f)
    histories = []
    if args.history:
        from models.risk import load_history_csv
        histories = [load_history_csv(f) for f in args.history]
    if args.positions and args.mandate:
        raise InputError("give --mandate or --positions, not both")
    doc: dict = {}
    warnings: list[str] = []
    if args.positions:
        from optimizer.assemble import DEFAULT_PORTFOLIO
        positions = read_positions_csv(args.positions)
        curve = curve_on(args.asof)
        asof = pd.Timestamp(args.asof).normalize() if args.asof else curve.asof
        holdings = read_holdings(args.portfolio or DEFAULT_PORTFOLIO, asof=asof)
        keys = parse_key_tenors(args.key_tenors)
        eng = ScenarioEngine(holdings, positions, asof, curve, key_tenors=keys)
        doc = {"asof": asof.strftime("%Y-%m-%d"), "hedge_source": args.positions,
               "portfolio_name": Path(args.portfolio or DEFAULT_PORTFOLIO).name,
               "positions": [{"instrument": x.contract, "contract": x.contract,
                              "sector": x.sector, "contracts": int(x.contracts)}
                             for x in positions]}
        if curve.note:
            warnings.append(curve.note)
    else:
        from optimizer.assemble import hedge_document, solve_context
        from optimizer.cli.commands.hedge import context_from_args
        ctx = context_from_args(args)
        res = solve_context(ctx, time_limit=args.time_limit)
        doc = hedge_document(ctx, res)
        eng = engine_from_hedge(ctx, doc)
        doc["hedge_source"] = f"mandate {ctx.mandate_spec.name}"
        warnings += list(doc.get("warnings", []))
    warnings += eng.warnings
    scen = ([] if args.no_builtin else builtin_scenarios()) + user
    hist = [] if args.no_replays else historical_replays(histories)
    rows = eng.run_many(scen + hist)
    reg = {}
    if hist:
        hr = [r for r in rows if r["kind"] == "historical"]
        reg["historical"] = regression_effectiveness([r["hedged_item_pnl"] for r in hr],
                                                     [r["hedge_pnl"] for r in hr])
    start = _daily_start(eng.curve.asof, args.daily_window)
    if start is not None:
        daily = eng.run_many(daily_replays(start, eng.curve.asof))
        reg["daily"] = regression_effectiveness([r["hedged_item_pnl"] for r in daily],
                                                [r["hedge_pnl"] for r in daily])
        reg["daily"]["window"] = [str(start.date()), str(eng.curve.asof.date())]
        reg["daily"]["note"] = ("daily Treasury par-curve changes only (spreads and swap spread "
                                "unchanged), full revaluation")
    doc.update({
        "hedge": [{"contract": getattr(ins, "code", p.contract), "contracts": p.contracts,
                   "sector": p.sector} for p, ins in zip(eng.pos, eng.instr, strict=True)],
        "scenario_results": rows,
        "scenarios": [{"scenario": r["scenario"], "holdings_pnl": r["holdings_pnl"],
                       "hedge_pnl": r["hedge_pnl"], "net_pnl": r["net_pnl"],
                       "effectiveness": r["effectiveness"]} for r in rows],
        "regression_effectiveness": reg,
        "warnings": list(dict.fromkeys(warnings)),
    })
    return doc


def engine_from_hedge(ctx, doc: dict):
    """A ScenarioEngine for the solved mandate: positions with their designated sectors, hedged
    fraction per sector = 1 - target / current (beta-adjusted) DV01."""
    from models.scenarios import HedgePosition, ScenarioEngine

    pos = [HedgePosition(p["contract"], float(p["contracts"]), p["sector"])
           for p in doc["positions"]]
    frac = {}
    for s in doc["sectors"]:
        before, tgt = s.get("dv01_before"), s.get("dv01_target")
        if before and tgt is not None and pd.notna(tgt):
            frac[s["sector"]] = 1.0 - float(tgt) / float(before)
    return ScenarioEngine(ctx.holdings, pos, ctx.asof, ctx.curve, key_tenors=ctx.key_tenors,
                          hedged_fraction=frac, exposures=ctx.exposures)


def report_scenarios(ctx, doc: dict) -> list[dict]:
    """Built-in scenarios and historical replays for a solved hedge, as report rows."""
    from models.scenarios import builtin_scenarios, historical_replays

    eng = engine_from_hedge(ctx, doc)
    return eng.run_many(builtin_scenarios() + historical_replays())


def _m(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:,.0f}"


def _pct(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:.0%}"


def render_text(doc: dict) -> str:
    out = [f"Scenarios as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  hedge "
           f"from {doc.get('hedge_source', '')}"]
    net: dict[str, float] = {}
    for h in doc["hedge"]:
        net[h["contract"]] = net.get(h["contract"], 0.0) + h["contracts"]
    hedge = ", ".join(f"{c} {n:+,.0f}" for c, n in net.items()) or "none"
    out.append(f"Hedge: {hedge}")
    out.append("")
    t = pd.DataFrame([{
        "scenario": r["scenario"], "holdings P&L": _m(r["holdings_pnl"]),
        "hedge P&L": _m(r["hedge_pnl"]), "net P&L": _m(r["net_pnl"]),
        "hedged item": _m(r["hedged_item_pnl"]),
        "effectiveness": _pct(r["effectiveness"]) + ("" if r["effective"] else " *"),
        "net (DV01+cvx)": _m(r["approx_net_pnl"]), "approx error": _m(r["approx_error"]),
        "CTD switch": ",".join(dict.fromkeys(h["contract"] for h in r["hedge"]
                                             if h.get("ctd_switch"))),
    } for r in doc["scenario_results"]])
    out.append(table(t, title="P&L by scenario (USD; full revaluation, then the DV01 + "
                     "convexity approximation)"))
    out.append("* dollar-offset effectiveness (-hedge / hedged-item P&L) outside 80%-125%")
    for name, r in doc["regression_effectiveness"].items():
        if r.get("slope") is None:
            out.append(f"Regression effectiveness ({name}): n={r['n']}, not enough scenarios")
            continue
        out.append(f"Regression effectiveness ({name}, n={r['n']}): slope {r['slope']:.3f}, "
                   f"R² {r['r2']:.3f} -> {'effective' if r['effective'] else 'NOT effective'}"
                   + (f" [{r['window'][0]}..{r['window'][1]}]" if "window" in r else ""))
    for r in doc["scenario_results"]:
        for n in r["notes"]:
            out.append(f"  {r['scenario']}: {n}")
    for w in doc["warnings"]:
        out.append(f"warning: {w}")
    return "\n".join(out)


def run(args) -> int:
    doc = analyze(args)
    if args.report:
        from optimizer.reporting.html import write_report
        write_report(doc, args.report, kind="scenarios")
    if args.json:
        print_json(doc)
    else:
        print(render_text(doc))
        if args.report:
            print(f"report written to {args.report}", file=sys.stderr)
    return 0
