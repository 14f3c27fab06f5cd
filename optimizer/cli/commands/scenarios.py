"""`overlay scenarios`: holdings and hedge P&L under rate/spread scenarios and historical replays.

The hedge is the mandate's optimal hedge (``--mandate`` and the mandate flags, default the
bundled mandate) or your own positions (``--positions FILE``: the positions format ``contract,
contracts[, sector]``, e.g. what ``overlay hedge --csv`` wrote). Either way the mandate defines
the hedged item (each sector's hedged fraction, 1 - target / current DV01), so the same
contracts give the same effectiveness. Every scenario is revalued in full (bonds off the shifted
curve at constant spread, Treasury futures through the basket with CTD re-selection, swap
futures off the shifted swap curve) with the DV01 + convexity approximation beside it, and the
net P&L is attributed to curve, spread and basis. Built-ins: parallel +-25/50/100/200 bp, 2s10s
steepener/flattener, 2s5s10s butterfly, non-Treasury spread widening +50 bp, Treasuries +20 /
corporates and swaps +60 bp, and four historical replays (Lehman 2008, taper tantrum 2013, March
2020, 2022). ``--set FILE`` adds your scenarios (CSV ``scenario, sector, tenor, shift_bp``;
sector ``*`` = all curves, ``Treasury``, ``Swap`` or a sector name; tenor ``*`` = parallel).
Effectiveness = -hedge P&L / hedged-item P&L, 80-125% band; regression effectiveness (OLS, R^2
>= 0.8, slope -0.8..-1.25) over the scenarios, the historical replays and a rolling daily
replay of the last ``--daily-window`` of Treasury curve changes.
"""

from __future__ import annotations

import argparse

from optimizer import validate as V
from optimizer.cli.flags import add_hedge_flags, mandate_from_args, portfolio_options
from optimizer.reporting import formatters as fmt


def register(sub) -> None:
    p = sub.add_parser("scenarios", help="scenario and historical-replay P&L of holdings and "
                       "hedge (full revaluation and DV01+convexity)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_hedge_flags(p)
    p.add_argument("--positions", metavar="FILE",
                   help="hedge positions (contract, contracts[, sector]; e.g. 'overlay hedge "
                        "--csv' output) instead of solving the mandate")
    p.add_argument("--set", dest="scenario_set", metavar="FILE", action="append", default=[],
                   help="user scenarios CSV (scenario, sector, tenor, shift_bp); repeatable")
    p.add_argument("--no-builtin", action="store_true",
                   help="only the --set scenarios (and replays unless --no-replays)")
    p.add_argument("--no-replays", action="store_true", help="skip the historical replays")
    p.add_argument("--history", nargs="+", default=[], metavar="FILE",
                   help="sector/swap yield histories (date + columns in percent, as for "
                        "'overlay betas') for the replays' spread moves")
    p.add_argument("--daily-window", default="1y", type=V.arg(V.window_or_none),
                   help="rolling daily replay window for regression effectiveness (e.g. 1y, "
                        "6m; 'none' to skip; default 1y)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--report", metavar="PATH.html", help="write the HTML report with the "
                   "scenario section")
    p.set_defaults(func=run)


def request_from_args(args):
    from optimizer.workflows.scenarios import ScenarioRequest

    return ScenarioRequest(
        mandate=mandate_from_args(args), positions=args.positions,
        scenario_sets=tuple(args.scenario_set), builtin=not args.no_builtin,
        replays=not args.no_replays, histories=tuple(args.history),
        daily_window=args.daily_window, **portfolio_options(args))


def _pnl_table(doc: dict) -> str:
    import pandas as pd

    from optimizer.reporting.output import table

    n = fmt.number
    t = pd.DataFrame([{
        "scenario": r["scenario"], "holdings P&L": n(r["holdings_pnl"]),
        "hedged item": n(r["hedged_item_pnl"]), "hedge P&L": n(r["hedge_pnl"]),
        "net P&L": n(r["net_pnl"]),
        "effectiveness": fmt.pct(r["effectiveness"], 0) + ("" if r["effective"] else " *"),
        "net (DV01+cvx)": n(r["approx_net_pnl"]),
        "curve": n((r.get("attribution") or {}).get("curve_usd")),
        "spread": n((r.get("attribution") or {}).get("spread_usd")),
        "basis": n((r.get("attribution") or {}).get("basis_usd")),
        "CTD switch": ",".join(dict.fromkeys(h["contract"] for h in r["hedge"]
                                             if h.get("ctd_switch"))),
    } for r in doc["scenario_results"]])
    return table(t, title="P&L by scenario (USD; full revaluation, the DV01 + convexity "
                          "approximation, and the net P&L split into curve / spread / basis)")


def render_text(doc: dict) -> str:
    hedge = ", ".join(f"{h['contract']} {fmt.contracts(h['contracts'])}"
                      for h in doc["hedge"]) or "none"
    fr = ", ".join(f"{s} {fmt.pct(f, 0)}" for s, f in doc["hedged_item"]["fractions"].items())
    out = [f"Scenarios as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  hedge "
           f"from {doc.get('hedge_source', '')}", f"Hedge: {hedge}",
           f"Hedged item: {fr} of each sector's holdings P&L (mandate {doc['mandate_name']})",
           "", _pnl_table(doc),
           "* dollar-offset effectiveness (-hedge / hedged-item P&L) outside 80%-125%"]
    for name, r in doc["regression_effectiveness"].items():
        if r.get("slope") is None:
            out.append(f"Regression effectiveness ({name}): n={r['n']}, not enough scenarios")
            continue
        out.append(f"Regression effectiveness ({name}, n={r['n']}): slope "
                   f"{fmt.ratio(r['slope'])}, R² {fmt.ratio(r['r2'])} -> "
                   f"{'effective' if r['effective'] else 'NOT effective'}"
                   + (f" [{r['window'][0]}..{r['window'][1]}]" if "window" in r else ""))
    for r in doc["scenario_results"]:
        out.extend(f"  {r['scenario']}: {n}" for n in r["notes"])
    return "\n".join(out + fmt.notice_block(doc["warnings"]))


def run(args) -> int:
    from optimizer.cli import emit
    from optimizer.workflows.scenarios import run_scenarios

    doc = run_scenarios(request_from_args(args)).to_dict()
    if args.report:
        emit.html(args.report, doc, "--report", kind="scenarios")
    return emit.show(doc, render_text, as_json=args.json, report=args.report)
