"""`overlay hedge`: the integer futures hedge for a portfolio under a mandate (SPEC §6, §9).

Flags -> :class:`optimizer.workflows.hedge.HedgeRequest` -> :func:`run_hedge` -> output. The
terminal table, ``--json``, ``--csv`` (the positions format read back by ``rebalance`` and
``scenarios``) and ``--report`` are all rendered from the result's ``to_dict()``.
"""

from __future__ import annotations

from optimizer.cli.flags import add_hedge_flags, mandate_from_args, portfolio_options


def register(sub) -> None:
    p = sub.add_parser("hedge", help="build the integer futures hedge for a mandate",
                       description=__doc__)
    add_hedge_flags(p)
    p.add_argument("--json", action="store_true", help="print the SPEC §9 JSON object")
    p.add_argument("--csv", metavar="PATH", help="write the positions (contract, contracts, "
                   "sector, ...): the file 'overlay rebalance --positions' reads")
    p.add_argument("--explain", metavar="PATH",
                   help="write the problem data (exposures, covariance, bounds, constraints) as "
                   "JSON so the optimum can be re-verified independently")
    p.add_argument("--report", metavar="PATH.html", help="write the self-contained HTML report "
                   "(with the TE vs margin frontier and the scenario P&L)")
    p.set_defaults(func=run)


def request_from_args(args):
    from optimizer.workflows.hedge import HedgeRequest

    report = bool(getattr(args, "report", None))
    return HedgeRequest(mandate=mandate_from_args(args), frontier=report, scenarios=report,
                        **portfolio_options(args))


def _money(x) -> str:
    return "" if x is None or x != x else f"{x:,.0f}"


def notice_lines(warnings: list) -> list[str]:
    """Structured warnings as text, one line each (the terminal rendering)."""
    out = []
    for w in warnings:
        if isinstance(w, dict):
            sub = f"{w['subject']}: " if w.get("subject") else ""
            out.append(f"  - [{w.get('severity', 'warning')}] {sub}{w['message']}")
        else:
            out.append(f"  - {w}")
    return out


def _header(doc: dict) -> list[str]:
    port = doc["portfolio"]
    basis = "beta-adjusted DV01" if "beta" in port.get("dv01_basis", "") else "DV01"
    out = [f"Hedge as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  "
           f"mandate {doc.get('mandate_name', '')}",
           f"Portfolio MV ${port['market_value']:,.0f}  {basis} ${port['dv01_before']:,.0f} -> "
           f"${port['dv01_after']:,.0f}  duration {port['duration_before']:.2f} -> "
           f"{port['duration_after']:.2f}"
           + (f" (target {port['duration_target']:.2f})" if port.get("duration_target") else "")]
    if basis != "DV01":
        out.append(f"  unadjusted model DV01 ${port['model_dv01_before']:,.0f} -> "
                   f"${port['model_dv01_after']:,.0f}, duration "
                   f"{port['model_duration_before']:.2f} -> {port['model_duration_after']:.2f} "
                   "(not what the mandate constrains)")
    return out


def _tables(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    pos = pd.DataFrame([{
        "contract": p["contract"], "designation": p["sector"], "contracts": f"{p['contracts']:+,d}",
        "price": f"{p['price']:.4f}", "contract DV01": f"{p['contract_dv01']:,.2f}",
        "DV01": _money(p["dv01"]), "notional": _money(p["notional"]),
        "initial margin": _money(p["initial_margin"])} for p in doc["positions"]])
    sec = pd.DataFrame([{
        "sector": s["sector"], "market value": _money(s["market_value"]),
        "model DV01": _money(s["model_dv01"]), "beta": f"{s['beta']:.3f}",
        "DV01 before": _money(s["dv01_before"]), "target": _money(s["dv01_target"]),
        "tolerance": _money(s["dv01_tolerance"]), "DV01 after": _money(s["dv01_after"])}
        for s in doc["sectors"]])
    kr = pd.DataFrame([{"tenor": k["tenor"], "DV01 before": _money(k["dv01_before"]),
                        "DV01 after": _money(k["dv01_after"])} for k in doc["key_rates"]]
                      + [{"tenor": k["factor"], "DV01 before": _money(k["dv01_before"]),
                          "DV01 after": _money(k["dv01_after"])} for k in doc["other_factors"]])
    return [table(pos, title="Positions") if len(pos) else "Positions: none (no hedge needed)",
            "", table(sec, title="Sectors (beta-adjusted DV01 when betas are on, USD per bp)"),
            "", table(kr, title="Key-rate and spread-factor exposure (USD per bp)"), ""]


def render_text(doc: dict) -> str:
    """The terminal view of ``overlay hedge`` (from the --json document)."""
    out = _header(doc) + [""] + _tables(doc)
    te = doc["tracking_error"]
    bp = "n/a" if te["after_bp"] is None else f"{te['after_bp']:.1f}"
    out.append(f"Tracking error (annual): before ${te['before_usd']:,.0f}  after "
               f"${te['after_usd']:,.0f} ({bp} bp of |MV|)  continuous optimum "
               f"${te['continuous_after_usd']:,.0f}  naive rounding ${te['rounded_after_usd']:,.0f}"
               + (" (breaks constraints)" if te["rounded_breaks"] else ""))
    m, lv = doc["margin"], doc["leverage"]
    budget = f" of ${m['budget']:,.0f} budget ({m['initial'] / m['budget']:.0%})" if m["budget"] else ""
    limit = f" (limit {lv['limit']:.0%})" if lv["limit"] is not None else ""
    ratio = "n/a" if lv["ratio"] is None else f"{lv['ratio']:.1%}"
    out.append(f"Initial margin ${m['initial']:,.0f}{budget}   gross notional "
               f"${lv['gross_notional']:,.0f} = {ratio} of |MV|{limit}")
    s = doc["solver"]
    gap = s.get("gap")
    out.append(f"Solver: {s.get('name')} status {doc['status']} ({s.get('status')}), gap "
               f"{'n/a' if gap is None else f'{gap:.2e}'}, {s.get('seconds', 0):.2f} s")
    if doc["warnings"]:
        out += ["", "Warnings:"] + notice_lines(doc["warnings"])
    return "\n".join(out)


def run(args) -> int:
    from optimizer.cli import emit
    from optimizer.reporting.output import print_json
    from optimizer.workflows.hedge import run_hedge

    outcome = run_hedge(request_from_args(args))
    doc = outcome.to_dict()
    # outputs are registered, then written together when the command succeeds (cli/emit.py)
    if args.explain:
        emit.json(args.explain, outcome.explain(), "--explain")
    if args.csv:
        emit.csv(args.csv, outcome.to_frame(), "--csv")
    if args.report:
        emit.html(args.report, {**doc, "title": "Futures overlay hedge"}, "--report")
    if args.json:
        print_json(doc)
    else:
        print(render_text(doc))
    return 0
