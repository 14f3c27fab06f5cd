"""`overlay frontier`: tracking error vs initial-margin budget for a mandate.

The mandate's hedge problem is compiled once and re-solved for each budget (only the margin
limit changes). More margin never increases the optimal tracking error; a time-limited solve that
would break this is replaced by the better smaller-budget hedge and flagged. Infeasible budgets
are listed as such. Default grid: 10%..120% of the margin the hedge uses with no margin limit,
plus the mandate's own budget.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from optimizer.reporting.output import print_json, table, write_csv_atomic


def register(sub) -> None:
    from optimizer.cli.commands.hedge import add_common_hedge_args

    p = sub.add_parser("frontier", help="tracking error vs initial-margin budget",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_hedge_args(p)
    p.add_argument("--budgets", metavar="USD,USD,...",
                   help="margin budgets in USD, e.g. 1e6,2e6,4e6,8e6 (default: a grid)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--csv", metavar="PATH", help="write the frontier as CSV")
    p.add_argument("--report", metavar="PATH.html",
                   help="write the HTML report (mandate hedge + frontier section)")
    p.set_defaults(func=run)


def frontier_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "margin_budget": r["margin_budget"], "status": r["status"],
        "tracking_error_usd": r["tracking_error_usd"], "tracking_error_bp": r["tracking_error_bp"],
        "margin_used": r["margin_used"],
        "contracts": " ".join(f"{k}:{v:+d}" for k, v in r["contracts"].items()),
        "flags": "; ".join(r["flags"])} for r in rows])


def _m(x) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:,.0f}"


def render_text(doc: dict) -> str:
    rows = doc["frontier"]
    t = pd.DataFrame([{
        "margin budget": _m(r["margin_budget"]), "status": r["status"],
        "TE (USD/yr)": _m(r["tracking_error_usd"]),
        "TE (bp)": "—" if r["tracking_error_bp"] is None else f"{r['tracking_error_bp']:.2f}",
        "margin used": _m(r["margin_used"]),
        "contracts": " ".join(f"{k} {v:+,d}" for k, v in r["contracts"].items()),
        "flag": "carried forward" if any(f.startswith("carried") for f in r["flags"]) else "",
    } for r in rows])
    out = [f"Frontier as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  mandate "
           f"{doc.get('mandate_name', '')}", "",
           table(t, title="Tracking error vs initial-margin budget")]
    for w in doc.get("warnings", []):
        out.append(f"warning: {w}")
    return "\n".join(out)


def run(args) -> int:
    from optimizer.assemble import hedge_document, solve_context
    from optimizer.cli.commands.hedge import context_from_args
    from optimizer.workflows.frontier import compute_frontier, parse_budgets

    budgets = parse_budgets(args.budgets) if args.budgets else None
    ctx = context_from_args(args)
    rows = compute_frontier(ctx, budgets, time_limit=args.time_limit)
    doc = {"asof": ctx.asof.strftime("%Y-%m-%d"), "portfolio_name": ctx.portfolio_name,
           "mandate_name": ctx.mandate_spec.name,
           "mandate_margin_budget": ctx.problem_mandate.margin_budget, "frontier": rows,
           "warnings": list(ctx.warnings)}
    if args.csv:
        write_csv_atomic(frontier_frame(rows), args.csv)
    if args.report:
        from optimizer.core.errors import InfeasibleMandate
        from optimizer.reporting.html import write_report
        try:
            rep = hedge_document(ctx, solve_context(ctx, time_limit=args.time_limit))
        except InfeasibleMandate as exc:  # the frontier still stands on its own
            rep = {"asof": doc["asof"], "warnings": [f"mandate infeasible at its budget: {exc}"]}
        rep["frontier"] = rows
        rep.setdefault("title", "Futures overlay frontier report")
        write_report(rep, args.report, kind="frontier")
    if args.json:
        print_json(doc)
    else:
        print(render_text(doc))
        if args.report:
            print(f"report written to {args.report}", file=sys.stderr)
    return 0
