"""`overlay hedge`: the integer futures hedge for a portfolio under a mandate (SPEC §6, §9)."""

from __future__ import annotations

import json

import pandas as pd

from optimizer.cli.flags import add_hedge_flags, mandate_from_args
from optimizer.reporting.output import (
    print_json,
    table,
    to_jsonable,
    write_csv_atomic,
    write_text_atomic,
)


def context_from_args(args, current: dict[str, int] | None = None):
    from data.contracts import load_margins
    from models.curves import parse_key_tenors
    from optimizer.assemble import build_context

    mandate = mandate_from_args(args)
    margins = load_margins(args.margins) if getattr(args, "margins", None) else None
    return build_context(args.portfolio, mandate, args.asof,
                         key_tenors=list(parse_key_tenors(args.key_tenors)) if args.key_tenors
                         else None, current=current, window=args.window, margins=margins)


def register(sub) -> None:
    p = sub.add_parser("hedge", help="build the integer futures hedge for a mandate",
                       description=__doc__)
    add_hedge_flags(p)
    p.add_argument("--json", action="store_true", help="print the SPEC §9 JSON object")
    p.add_argument("--csv", metavar="PATH", help="write the positions table as CSV")
    p.add_argument("--explain", metavar="PATH",
                   help="write the problem data (exposures, covariance, bounds, constraints) as "
                   "JSON so the optimum can be re-verified independently")
    p.add_argument("--report", metavar="PATH.html", help="write the self-contained HTML report")
    p.set_defaults(func=run)


def _money(x) -> str:
    return "" if x is None or pd.isna(x) else f"{x:,.0f}"


def render_text(doc: dict) -> str:
    out = []
    port = doc["portfolio"]
    out.append(f"Hedge as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  "
               f"mandate {doc.get('mandate_name', '')}")
    out.append(f"Portfolio MV ${port['market_value']:,.0f}  DV01 ${port['dv01_before']:,.0f} -> "
               f"${port['dv01_after']:,.0f}  duration {port['duration_before']:.2f} -> "
               f"{port['duration_after']:.2f}")
    out.append("")
    pos = pd.DataFrame([{
        "contract": p["contract"], "designation": p["sector"], "contracts": f"{p['contracts']:+,d}",
        "price": f"{p['price']:.4f}", "contract DV01": f"{p['contract_dv01']:,.2f}",
        "DV01": _money(p["dv01"]), "notional": _money(p["notional"]),
        "initial margin": _money(p["initial_margin"])} for p in doc["positions"]])
    out.append(table(pos, title="Positions") if len(pos) else "Positions: none (no hedge needed)")
    out.append("")
    sec = pd.DataFrame([{
        "sector": s["sector"], "market value": _money(s["market_value"]),
        "model DV01": _money(s["model_dv01"]), "beta": f"{s['beta']:.3f}",
        "DV01 before": _money(s["dv01_before"]), "target": _money(s["dv01_target"]),
        "DV01 after": _money(s["dv01_after"])} for s in doc["sectors"]])
    out.append(table(sec, title="Sectors (beta-adjusted DV01, USD per bp)"))
    out.append("")
    kr = pd.DataFrame([{"tenor": k["tenor"], "DV01 before": _money(k["dv01_before"]),
                        "DV01 after": _money(k["dv01_after"])} for k in doc["key_rates"]]
                      + [{"tenor": k["factor"], "DV01 before": _money(k["dv01_before"]),
                          "DV01 after": _money(k["dv01_after"])} for k in doc["other_factors"]])
    out.append(table(kr, title="Key-rate and spread-factor exposure (USD per bp)"))
    out.append("")
    te = doc["tracking_error"]
    out.append(f"Tracking error (annual): before ${te['before_usd']:,.0f}  after ${te['after_usd']:,.0f}"
               f" ({te['after_bp']:.1f} bp of MV)  continuous optimum ${te['continuous_after_usd']:,.0f}"
               f"  naive rounding ${te['rounded_after_usd']:,.0f}"
               + (" (breaks constraints)" if te["rounded_breaks"] else ""))
    m, lv = doc["margin"], doc["leverage"]
    budget = f" of ${m['budget']:,.0f} budget ({m['initial'] / m['budget']:.0%})" if m["budget"] else ""
    limit = f" (limit {lv['limit']:.0%})" if lv["limit"] is not None else ""
    out.append(f"Initial margin ${m['initial']:,.0f}{budget}   gross notional "
               f"${lv['gross_notional']:,.0f} = {lv['ratio']:.1%} of MV{limit}")
    s = doc["solver"]
    gap = s.get("gap")
    out.append(f"Solver: {s.get('name')} status {doc['status']} ({s.get('status')}), gap "
               f"{'n/a' if gap is None else f'{gap:.2e}'}, {s.get('seconds', 0):.2f} s")
    if doc["warnings"]:
        out.append("")
        out.append("Warnings:")
        out.extend(f"  - {w}" for w in doc["warnings"])
    return "\n".join(out)


def run(args) -> int:
    from optimizer.core.problem import HedgeProblem

    ctx = context_from_args(args)
    prob = HedgeProblem(ctx.inputs, ctx.problem_mandate)
    res = prob.solve(time_limit=args.time_limit)
    from optimizer.assemble import hedge_document

    doc = hedge_document(ctx, res)
    # write files first (each atomically); print only when everything succeeded
    if args.explain:
        explain = prob.explain(None, res)
        explain["asof"] = doc["asof"]
        write_text_atomic(args.explain, json.dumps(to_jsonable(explain), indent=2))
    if args.csv:
        write_csv_atomic(pd.DataFrame(doc["positions"]), args.csv)
    if args.report:
        from optimizer.reporting.html import write_report

        rep = dict(doc)
        rep["title"] = "Futures overlay hedge"
        rep["mandate"] = mandate_summary(ctx)
        from optimizer.cli.commands.scenarios import report_scenarios
        from optimizer.workflows.frontier import compute_frontier

        rep["frontier"] = compute_frontier(ctx, time_limit=min(args.time_limit, 5.0))
        rep["scenarios"] = report_scenarios(ctx, doc)
        write_report(rep, args.report)
    if args.json:
        print_json(doc)
    else:
        print(render_text(doc))
    return 0


def mandate_summary(ctx) -> dict:
    m = ctx.mandate_spec
    out = {"name": m.name, "source": str(m.source)}
    for t in m.targets:
        kind = (f"DV01 ${t.dv01_usd:,.0f}" if t.dv01_usd is not None else
                f"{t.dv01_pct:g}% of current DV01" if t.dv01_pct is not None else
                f"duration {t.duration:g}y")
        tol = (f"${t.tolerance_usd:,.0f}" if t.tolerance_usd is not None
               else f"{t.tolerance_pct:g}%")
        out[f"target {t.sector}"] = f"{kind} +/- {tol} with {', '.join(t.instruments) or 'any'}"
    if m.target_duration is not None:
        out["portfolio duration"] = f"{m.target_duration:g}y"
    out["betas"] = "on (beta-adjusted sector DV01)" if m.betas else "off"
    for k, v in (("max leverage", m.max_leverage), ("margin budget", m.margin_budget_usd),
                 ("max instruments", m.max_instruments), ("turnover", m.turnover)):
        if v is not None:
            out[k] = f"{v:.0%}" if k == "max leverage" else (f"${v:,.0f}" if k == "margin budget"
                                                              else str(v))
    out["no net short duration"] = "yes" if m.no_net_short else "no"
    return out
