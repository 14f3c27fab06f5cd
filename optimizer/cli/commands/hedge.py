"""`overlay hedge`: the integer futures hedge for a portfolio under a mandate (SPEC §6, §9).

Flags -> :class:`optimizer.workflows.hedge.HedgeRequest` -> :func:`run_hedge` -> output. The
terminal table, ``--json``, ``--csv`` (the positions format read back by ``rebalance`` and
``scenarios``) and ``--report`` are all rendered from the result's ``to_dict()``.
"""

from __future__ import annotations

from optimizer.cli.flags import add_hedge_flags, mandate_from_args, portfolio_options
from optimizer.reporting import formatters as fmt


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


def _header(doc: dict) -> list[str]:
    port = doc["portfolio"]
    basis = "beta-adjusted DV01" if "beta" in port.get("dv01_basis", "") else "DV01"
    target = (f" (target {fmt.number(port['duration_target'], 2)})"
              if port.get("duration_target") else "")
    out = [f"Hedge as of {doc['asof']}  portfolio {doc.get('portfolio_name', '')}  "
           f"mandate {doc.get('mandate_name', '')}",
           f"Portfolio MV {fmt.usd(port['market_value'])}  {basis} "
           f"{fmt.usd(port['dv01_before'])} -> {fmt.usd(port['dv01_after'])}  duration "
           f"{fmt.number(port['duration_before'], 2)} -> "
           f"{fmt.number(port['duration_after'], 2)}{target}"]
    if basis != "DV01":
        out.append(f"  unadjusted model DV01 {fmt.usd(port['model_dv01_before'])} -> "
                   f"{fmt.usd(port['model_dv01_after'])}, duration "
                   f"{fmt.number(port['model_duration_before'], 2)} -> "
                   f"{fmt.number(port['model_duration_after'], 2)} "
                   "(not what the mandate constrains)")
    return out


def _tables(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    n = fmt.number
    pos = pd.DataFrame([{
        "contract": p["contract"], "designation": p["sector"],
        "contracts": fmt.contracts(p["contracts"]), "price": fmt.price(p["price"], p["contract"]),
        "contract DV01": n(p["contract_dv01"], 2), "DV01": n(p["dv01"]),
        "notional": n(p["notional"]), "initial margin": n(p["initial_margin"])}
        for p in doc["positions"]])
    sec = pd.DataFrame([{
        "sector": s["sector"], "market value": n(s["market_value"]),
        "model DV01": n(s["model_dv01"]), "beta": fmt.ratio(s["beta"]),
        "DV01 before": n(s["dv01_before"]), "target": n(s["dv01_target"]),
        "tolerance": n(s["dv01_tolerance"]), "DV01 after": n(s["dv01_after"])}
        for s in doc["sectors"]])
    kr = pd.DataFrame([{"tenor": k.get("tenor", k.get("factor")),
                        "DV01 before": n(k["dv01_before"]), "DV01 after": n(k["dv01_after"])}
                       for k in doc["key_rates"] + doc["other_factors"]])
    return [table(pos, title="Positions") if len(pos) else "Positions: none (no hedge needed)",
            "", table(sec, title="Sectors (beta-adjusted DV01 when betas are on, USD per bp)"),
            "", table(kr, title="Key-rate and spread-factor exposure (USD per bp)"), ""]


def _summary_lines(doc: dict) -> list[str]:
    te, m, lv, s = doc["tracking_error"], doc["margin"], doc["leverage"], doc["solver"]
    budget = (f" of {fmt.usd(m['budget'])} budget ({fmt.pct(m['initial'] / m['budget'], 0)})"
              if m["budget"] else "")
    limit = f" (limit {fmt.pct(lv['limit'], 0)})" if lv["limit"] is not None else ""
    gap = s.get("gap")
    return [f"Tracking error (annual): before {fmt.usd(te['before_usd'])}  after "
            f"{fmt.usd(te['after_usd'])} ({_or_na(fmt.number(te['after_bp'], 1))} bp of |MV|)  "
            f"continuous optimum {fmt.usd(te['continuous_after_usd'])}  naive rounding "
            f"{fmt.usd(te['rounded_after_usd'])}"
            + (" (breaks constraints)" if te["rounded_breaks"] else ""),
            f"Initial margin {fmt.usd(m['initial'])}{budget}   gross notional "
            f"{fmt.usd(lv['gross_notional'])} = {_or_na(fmt.pct(lv['ratio']))} of |MV|{limit}",
            f"Solver: {s.get('name')} status {doc['status']} ({s.get('status')}), gap "
            f"{'n/a' if gap is None else f'{gap:.2e}'}, {fmt.number(s.get('seconds', 0), 2)} s"]


def _or_na(text: str) -> str:
    return "n/a" if text == fmt.MISSING else text


def render_text(doc: dict) -> str:
    """The terminal view of ``overlay hedge`` (from the --json document)."""
    out = _header(doc) + [""] + _tables(doc) + _summary_lines(doc)
    return "\n".join(out + fmt.notice_block(doc["warnings"]))


def run(args) -> int:
    from optimizer.cli import emit
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
    return emit.show(doc, render_text, as_json=args.json)
