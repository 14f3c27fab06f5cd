"""`overlay rebalance --positions FILE`: the held overlay against the mandate, rolls, orders.

The positions are the positions format (``contract, contracts[, sector]``; e.g. the file
``overlay hedge --csv`` wrote: rows of one contract are netted, the sector is a designation).
Positions inside their roll window (``--roll-days`` business days before first notice day) are
rolled into the next contract month, DV01-neutral, with the roll cost from the calendar spread.
The held contracts are inside the mandate when some real allocation of them to the sectors puts
every sector inside its band (default 10%% of each sector's target DV01; 10%% of its unhedged
DV01 for a zero target; never less than the mandate's tolerance) and the mandate's limits hold:
then nothing is traded. Otherwise: the trades that restore the mandate at minimum tracking error
plus trading cost within ``--turnover``. ``--orders`` writes the order list (contract, side,
quantity, price, est_cost_usd, reason) -- an orders file, not a positions file. See
:mod:`optimizer.workflows.rebalance`. Exit 2 bad input (incl. a position past first notice day
without --deliver, or an orders file given as positions), 3 infeasible.
"""

from __future__ import annotations

import argparse

from models.instruments.base import DEFAULT_ROLL_DAYS
from optimizer import validate as V
from optimizer.cli.flags import add_hedge_flags, mandate_from_args, portfolio_options
from optimizer.reporting import formatters as fmt


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rebalance", help="rebalance and roll an existing futures overlay (order list)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--positions", required=True, metavar="FILE",
                   help="positions held: contract,contracts[,sector] (e.g. 'overlay hedge --csv' "
                        "output; optional entry_price column)")
    add_hedge_flags(p)
    p.add_argument("--prices", default=None, metavar="FILE",
                   help="CSV contract,price (decimal or 32nds such as 110-16+); default theoretical")
    p.add_argument("--roll-days", type=V.arg(V.integer, lo=0, hi=30), default=DEFAULT_ROLL_DAYS,
                   help="roll window: business days before first notice day (default "
                        f"{DEFAULT_ROLL_DAYS})")
    p.add_argument("--deliver", action="store_true",
                   help="positions past first notice day are intended for delivery (no error)")
    p.add_argument("--band", type=V.arg(V.number, what="a percentage", lo=0, hi=100,
                                        lo_open=True, hi_open=True), default=10.0, metavar="PCT",
                   help="tolerance band in percent of target DV01 (of unhedged DV01 for a zero "
                        "target; never less than the mandate's tolerance); default 10")
    p.add_argument("--commission", type=V.arg(V.number, what="USD per contract", lo=0),
                   default=0.0,
                   help="commission USD per contract per leg, added to half a tick (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--orders", default=None, metavar="PATH",
                   help="write the order list (contract, side, quantity, price, est_cost_usd, "
                        "reason) to this CSV")
    p.add_argument("--report", default=None, metavar="PATH.html",
                   help="write a self-contained HTML report here")
    p.set_defaults(func=run)


def request_from_args(args):
    from optimizer.workflows.rebalance import RebalanceRequest

    return RebalanceRequest(
        mandate=mandate_from_args(args), positions=args.positions, prices=args.prices,
        band=args.band / 100.0, roll_days=args.roll_days, deliver=args.deliver,
        commission=args.commission, **portfolio_options(args))


def _held_table(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    hp = doc["held_positions"]
    if not hp:
        return []
    return [table(pd.DataFrame([{
        "row": h["row"], "contract": h["contract"], "contracts": fmt.contracts(h["contracts"]),
        "entry": fmt.price(h["entry_price"], h["contract"]),
        "price": fmt.price(h["price"], h["contract"]),
        "DV01": fmt.number(h["dv01"], signed=True),
        "unrealized P&L": fmt.number(h["unrealized_pnl_usd"], signed=True)} for h in hp]),
        title="Held positions (rows of one contract netted)"), ""]


def _rolls_table(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    if not doc["rolls"]:
        return []
    n = fmt.number
    t = pd.DataFrame([{
        "from": r["from_contract"], "to": r["to_contract"],
        "old": fmt.contracts(r["old_contracts"]), "new": fmt.contracts(r["new_contracts"]),
        "DV01 old/new": f"{n(r['dv01_old'], 2)} / {n(r['dv01_new'], 2)}",
        "position DV01 before -> after": f"{n(r['position_dv01_before'], signed=True)} -> "
                                         f"{n(r['position_dv01_after'], signed=True)}",
        "spread (new-old)": fmt.price_spread(r["spread"]),
        "roll cost": n(r["roll_cost_usd"], signed=True),
        "FND": str(r["first_notice_day"])[:10]} for r in doc["rolls"]])
    return [table(t, title=f"Rolls (window: {doc['roll_days']} business days before first "
                           "notice day)"),
            f"total roll cost: {n(doc['total_roll_cost_usd'], signed=True)} USD "
            f"({doc['roll_cost_sign']})", ""]


def _bands_table(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    if not doc["bands"]:
        return []
    n = fmt.number
    t = pd.DataFrame([{
        "sector": b["sector"], "unhedged DV01": n(b["dv01_unhedged"]),
        "target": n(b["dv01_target"]), "band +-": n(b["band_usd"]),
        "held": n(b["dv01_hedged"]), "drift": n(b["drift_usd"], signed=True),
        "inside": "yes" if b["inside"] else "NO", "after": n(b["dv01_after"]),
        "band rule": b["band_rule"]} for b in doc["bands"]])
    return [table(t, title="Tolerance bands (beta-adjusted DV01 when betas are on, USD)"), ""]


def _orders_table(doc: dict) -> list[str]:
    import pandas as pd

    from optimizer.reporting.output import table

    if not doc["orders"]:
        return ["Orders: none"]
    t = pd.DataFrame([{
        "contract": o["contract"], "side": o["side"], "quantity": fmt.number(o["quantity"]),
        "price": fmt.price(o["price"], o["contract"]),
        "est_cost_usd": fmt.number(o["est_cost_usd"], 2, signed=True),
        "reason": o["reason"]} for o in doc["orders"]])
    return [table(t, title="Orders (estimated cost USD: half a tick per contract per leg; roll "
                           "legs add the roll cost)"),
            f"total estimated cost: {fmt.number(doc['orders_total_est_cost_usd'], 2, signed=True)}"
            " USD"]


def render_text(doc: dict) -> str:
    """The terminal view of ``overlay rebalance`` (from the --json document)."""
    out = [f"overlay rebalance  as of {doc['asof']}  positions {doc['positions_file']}  "
           f"portfolio {doc['portfolio_name']}  mandate {doc['mandate_name']}", ""]
    out += _held_table(doc) + _rolls_table(doc) + _bands_table(doc)
    d, p = doc["decision"], doc["proposal"]
    out.append(f"decision: {d['status']} -- {d['reason']}")
    if p["trades"]:
        lim = "off" if p["max_turnover"] is None else fmt.number(p["max_turnover"])
        out.append(f"turnover {fmt.number(p['turnover'])} contracts (limit {lim}); trading "
                   f"cost {fmt.usd(p['trading_cost_usd'], 2)}; frozen (their sectors are "
                   f"inside their bands): {', '.join(p['frozen']) or 'none'}")
        out.append("held -> proposed: " + ", ".join(
            f"{k} {fmt.contracts(p['current'][k])} -> {fmt.contracts(p['proposed'][k])}"
            for k in p["proposed"] if p["current"][k] or p["proposed"][k]))
    out += [""] + _orders_table(doc)
    return "\n".join(out + fmt.notice_block(doc["warnings"]))


def run(args) -> int:
    from optimizer.cli import emit
    from optimizer.workflows.rebalance import run_rebalance

    outcome = run_rebalance(request_from_args(args))
    doc = outcome.to_dict()
    # outputs are registered with the command's transaction: written only if it all succeeds
    if args.orders:
        emit.csv(args.orders, outcome.to_frame(), "--orders")
    if args.report:
        emit.html(args.report, doc, "--report")
    return emit.show(doc, render_text, as_json=args.json)
