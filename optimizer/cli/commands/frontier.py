"""`overlay frontier`: tracking error vs initial-margin budget for a mandate.

The mandate's hedge problem is compiled once and re-solved for each budget (only the margin
limit changes). More margin never increases the optimal tracking error; a time-limited solve that
would break this is replaced by the better smaller-budget hedge and flagged. Infeasible budgets
are listed as such. Default grid: 10%..120% of the margin the hedge uses with no margin limit,
plus the mandate's own budget.
"""

from __future__ import annotations

import argparse

from optimizer import validate as V
from optimizer.cli.flags import add_hedge_flags, mandate_from_args, portfolio_options
from optimizer.reporting import formatters as fmt


def register(sub) -> None:
    p = sub.add_parser("frontier", help="tracking error vs initial-margin budget",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_hedge_flags(p)
    p.add_argument("--budgets", metavar="USD,USD,...", type=V.arg(V.budgets_text),
                   help="margin budgets in USD, e.g. 1e6,2e6,4e6,8e6 (default: a grid)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--csv", metavar="PATH", help="write the frontier as CSV")
    p.add_argument("--report", metavar="PATH.html",
                   help="write the HTML report (mandate hedge + frontier section)")
    p.set_defaults(func=run)


def request_from_args(args):
    from optimizer.workflows.frontier import FrontierRequest, parse_budgets

    budgets = parse_budgets(args.budgets) if args.budgets else None
    return FrontierRequest(mandate=mandate_from_args(args), budgets=budgets,
                           **portfolio_options(args))


def render_text(doc: dict) -> str:
    import pandas as pd

    from optimizer.reporting.output import table

    t = pd.DataFrame([{
        "margin budget": fmt.number(r["margin_budget_usd"]), "status": r["status"],
        "TE (USD/yr)": fmt.number(r["tracking_error_usd"]),
        "TE (bp)": fmt.number(r["tracking_error_bp"], 2),
        "margin used": fmt.number(r["margin_used_usd"]),
        "contracts": " ".join(f"{k} {fmt.contracts(v)}" for k, v in r["contracts"].items()),
        "flag": "carried forward" if any(f.startswith("carried") for f in r["flags"]) else "",
    } for r in doc["frontier"]])
    out = [f"Frontier as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  mandate "
           f"{doc.get('mandate_name', '')}", "",
           table(t, title="Tracking error vs initial-margin budget")]
    return "\n".join(out + fmt.notice_block(doc.get("warnings")))


def _report(outcome, time_limit: float) -> dict:
    """The mandate's hedge at its own budget plus the frontier (the frontier stands on its own
    when the mandate is infeasible at its budget)."""
    from optimizer.core.errors import InfeasibleMandate
    from optimizer.workflows.hedge import solve_hedge

    try:
        rep = solve_hedge(outcome.context, time_limit=time_limit).to_dict()
    except InfeasibleMandate as exc:
        rep = {"asof": outcome.context.asof.strftime("%Y-%m-%d"),
               "warnings": [{"code": "mandate_infeasible", "severity": "warning",
                             "subject": "mandate", "message": f"infeasible at its budget: {exc}"}]}
    rep["frontier"] = outcome.rows
    rep.setdefault("title", "Futures overlay frontier report")
    return rep


def run(args) -> int:
    from optimizer.cli import emit
    from optimizer.workflows.frontier import run_frontier

    req = request_from_args(args)
    outcome = run_frontier(req)
    if args.csv:
        emit.csv(args.csv, outcome.to_frame(), "--csv")
    if args.report:
        emit.html(args.report, _report(outcome, req.time_limit), "--report", kind="frontier")
    return emit.show(outcome.to_dict(), render_text, as_json=args.json, report=args.report)
