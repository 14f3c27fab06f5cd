"""`overlay rebalance --positions FILE`: bands, rolls and the order list for an existing overlay.

See :mod:`optimizer.workflows.rebalance` (bands, proposal), :mod:`optimizer.workflows.rolls` (roll window, sizing,
roll cost) and :mod:`data.positions` (the positions file). This module also registers the
``overlay program`` verb (:mod:`optimizer.cli.commands.program`) when the CLI's command list does not
name it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import pandas as pd

from data.errors import InputError
from data.positions import read_positions, read_prices
from models.contract_codes import format_32nds, parse_32nds, parse_contract
from models.instruments import DEFAULT_ROLL_DAYS
from optimizer.cli.flags import add_hedge_flags, mandate_from_args
from optimizer.reporting.output import print_json, table, write_csv_atomic
from optimizer.workflows.rebalance import DEFAULT_BAND, orders_frame, propose, trade_orders
from optimizer.workflows.rolls import (
    cost_per_contract,
    plan_rolls,
    point_value,
    resolve_position_contract,
    roll_orders,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rebalance", help="rebalance and roll an existing futures overlay (order list)",
        description="Compare the overlay held (--positions) with the mandate on the as-of date. "
                    "Positions inside their roll window (--roll-days business days before first "
                    "notice day) are rolled into the next contract month, DV01-neutral, with the "
                    "roll cost from the calendar spread. Inside the tolerance band (default 10%% "
                    "of each sector's target DV01; 10%% of its unhedged DV01 for a zero target) "
                    "nothing is traded; otherwise the trades that restore the mandate at minimum "
                    "tracking error plus trading cost within the turnover limit. Exit 2 bad input "
                    "(incl. a position past first notice day without --deliver), 3 infeasible.")
    p.add_argument("--positions", required=True,
                   help="CSV: contract,contracts[,entry_price] per contract month (e.g. ZNU5,-250)")
    add_hedge_flags(p)
    p.add_argument("--prices", default=None,
                   help="CSV contract,price (decimal or 32nds such as 110-16+); default theoretical")
    p.add_argument("--roll-days", type=int, default=DEFAULT_ROLL_DAYS,
                   help="roll window: business days before first notice day (default 5)")
    p.add_argument("--deliver", action="store_true",
                   help="positions past first notice day are intended for delivery (no error)")
    p.add_argument("--band", type=float, default=DEFAULT_BAND * 100,
                   help="tolerance band in percent of target DV01 (of unhedged DV01 for a zero "
                        "target); default 10")
    p.add_argument("--commission", type=float, default=0.0,
                   help="commission USD per contract per leg, added to half a tick (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--orders", default=None, help="write the order list to this CSV")
    p.add_argument("--report", default=None, help="write a self-contained HTML report here")
    p.set_defaults(func=run)


def _resolver(asof):
    return lambda code: resolve_position_contract(code, asof)


def _mandate_with_held(mandate, roots: list[str], warnings: list[str]):
    """Held roots the mandate does not list are added to every target's instruments (so their
    DV01 counts and they can be traded away), with a warning."""
    listed = {r for t in mandate.targets for r in t.instruments} | set(mandate.instruments or ())
    missing = [r for r in roots if r not in listed]
    if not missing or not mandate.targets:
        return mandate
    warnings.append(f"held {', '.join(missing)} not in the mandate's instruments: added to every "
                    f"sector's list so the position counts and can be traded")
    targets = tuple(replace(t, instruments=tuple(t.instruments) + tuple(missing))
                    if t.instruments else t for t in mandate.targets)
    inst = None if mandate.instruments is None else tuple(mandate.instruments) + tuple(missing)
    return replace(mandate, targets=targets, instruments=inst)


def build(args: argparse.Namespace) -> dict:
    """Everything ``overlay rebalance`` shows, as one document (also the --json output)."""
    from data.contracts import load_margins
    from data.loaders import latest_curve_date
    from models.curves import parse_key_tenors
    from optimizer.assemble import build_context, hedge_document

    asof = pd.Timestamp(args.asof).normalize() if args.asof else latest_curve_date()
    if not 0 < args.band < 100:
        raise InputError(f"--band {args.band}: expected a percentage between 0 and 100")
    if args.roll_days < 0:
        raise InputError("--roll-days must be >= 0")
    res = _resolver(asof)
    pos = read_positions(args.positions, resolve=res, parse_price=parse_32nds)
    prices = read_prices(args.prices, resolve=res, parse_price=parse_32nds) if args.prices else {}
    held_in = dict(zip(pos["contract"], pos["contracts"].astype(int), strict=True))
    plan = plan_rolls(held_in, asof, roll_days=args.roll_days, prices=prices,
                      deliver=args.deliver, source=str(args.positions),
                      rows=dict(zip(pos["contract"], pos["row"], strict=True)))
    warnings = list(plan.warnings)
    by_root: dict[str, int] = {}
    months: dict[str, list[str]] = {}
    for code, n in plan.held.items():
        root = parse_contract(code, asof).root
        by_root[root] = by_root.get(root, 0) + n
        months.setdefault(root, []).append(code)
    mandate = _mandate_with_held(mandate_from_args(args), list(by_root), warnings)
    ctx = build_context(args.portfolio, mandate, asof, current=by_root, window=args.window,
                        key_tenors=list(parse_key_tenors(args.key_tenors)) if args.key_tenors
                        else None,
                        margins=load_margins(args.margins) if args.margins else None)
    traded = {ir.root: ir.contract for ir in ctx.instruments}
    for root, codes in months.items():
        other = [c for c in codes if c != traded.get(root)]
        if other:
            warnings.append(f"{root}: held {', '.join(codes)} counted as the traded contract "
                            f"{traded.get(root)} (same root; DV01 of the traded month)")
    names = list(ctx.inputs.instruments)
    root_of = {ir.contract: ir.root for ir in ctx.instruments}
    cpc = {n: cost_per_contract(root_of[n], args.commission) for n in names}
    prop = propose(ctx.inputs, ctx.problem_mandate, band_fraction=args.band / 100.0,
                   cost_per_contract=cpc,
                   time_limit=args.time_limit)
    px = {ir.contract: prices.get(ir.contract, ir.price) for ir in ctx.instruments}
    orders = roll_orders(plan, args.commission) + trade_orders(prop, px, cpc)
    result = prop.result if prop.result is not None else prop.held_result
    doc = hedge_document(ctx, result)
    held_rows = []
    for r in pos.itertuples():
        try:
            ir_px = prices.get(r.contract)
            if ir_px is None and r.contract in px:
                ir_px = px[r.contract]
            elif ir_px is None:
                ir_px = next((rl.price_old for rl in plan.rolls if rl.from_contract == r.contract),
                             None)
            pv = point_value(parse_contract(r.contract, asof).root)
        except InputError:  # pragma: no cover
            ir_px, pv = None, None
        upl = (None if ir_px is None or pd.isna(r.entry_price)
               else (ir_px - r.entry_price) * pv * r.contracts)
        held_rows.append({"row": r.row, "contract": r.contract, "contracts": r.contracts,
                          "entry_price": None if pd.isna(r.entry_price) else r.entry_price,
                          "price": ir_px, "unrealized_pnl_usd": upl})
    doc.update({
        "title": "Futures overlay rebalance",
        "command": "rebalance",
        "positions_file": str(args.positions),
        "held_positions": held_rows,
        "rolls": [r.to_dict() for r in plan.rolls],
        "roll_days": args.roll_days,
        "total_roll_cost_usd": plan.total_roll_cost_usd,
        "roll_cost_sign": "positive = costs the holder: (new - old price) x point value x old "
                          "contracts; a long pays a dearer deferred month, a short gains from it",
        "kept_for_delivery": plan.kept_for_delivery,
        "rebalance": prop.to_dict() | {"hedge": None},
        "orders": orders,
        "orders_total_estimated_cost_usd": float(sum(o["estimated_cost"] for o in orders)),
        "prices": {k: {"price": v, "source": "given" if k in prices else "theoretical/model"}
                   for k, v in px.items()},
    })
    doc["warnings"] = warnings + [w for w in prop.warnings if w not in doc["warnings"]] \
        + doc["warnings"]
    doc["mandate"] = {"band": f"{args.band:g}% of target DV01 (of unhedged DV01 for a zero target)",
                      "max turnover": ("off" if prop.max_turnover is None
                                       else f"{prop.max_turnover:,.0f} contracts"),
                      "roll window": f"{args.roll_days} business days before first notice day"}
    return doc


def _px(v, contract: str) -> str:
    if v is None:
        return "—"
    try:
        root = parse_contract(contract).root
    except InputError:  # pragma: no cover
        root = ""
    from models.instruments import TREASURY_ROOTS

    return f"{format_32nds(v)} ({v:.4f})" if root in TREASURY_ROOTS else f"{v:.4f}"


def run(args: argparse.Namespace) -> int:
    doc = build(args)
    of = orders_frame(doc["orders"])
    if args.orders:
        write_csv_atomic(of, args.orders)
    if args.report:
        from optimizer.reporting.html import write_report

        write_report(doc, args.report)
    if args.json:
        print_json(doc)
        return 0
    rb = doc["rebalance"]
    print(f"overlay rebalance  as of {doc['asof']}  positions {doc['positions_file']}  "
          f"portfolio {doc['portfolio_name']}  mandate {doc['mandate_name']}\n")
    hp = pd.DataFrame(doc["held_positions"])
    if not hp.empty:
        print(table(pd.DataFrame({
            "row": hp["row"], "contract": hp["contract"],
            "contracts": hp["contracts"].map(lambda x: f"{x:+,d}"),
            "entry": [_px(v, c) if v is not None and not pd.isna(v) else "—"
                      for v, c in zip(hp["entry_price"], hp["contract"], strict=True)],
            "price": [_px(v, c) for v, c in zip(hp["price"], hp["contract"], strict=True)],
            "unrealized P&L": hp["unrealized_pnl_usd"].map(
                lambda x: "—" if x is None or pd.isna(x) else f"{x:+,.0f}")}),
            title="Held positions"))
    if doc["rolls"]:
        rl = pd.DataFrame(doc["rolls"])
        print()
        print(table(pd.DataFrame({
            "from": rl["from_contract"], "to": rl["to_contract"],
            "old": rl["old_contracts"].map(lambda x: f"{x:+,d}"),
            "new": rl["new_contracts"].map(lambda x: f"{x:+,d}"),
            "DV01 old/new": [f"{a:,.2f} / {b:,.2f}" for a, b in zip(rl["dv01_old"], rl["dv01_new"],
                                                                    strict=True)],
            "position DV01 before -> after": [
                f"{a:+,.0f} -> {b:+,.0f}" for a, b in zip(rl["position_dv01_before"],
                                                         rl["position_dv01_after"], strict=True)],
            "spread (new-old)": rl["spread"].map(lambda x: f"{x:+.4f} ({x * 32:+.2f}/32)"),
            "roll cost": rl["roll_cost_usd"].map(lambda x: f"{x:+,.0f}"),
            "FND": pd.to_datetime(rl["first_notice_day"]).dt.strftime("%Y-%m-%d")}),
            title=f"Rolls (window: {doc['roll_days']} business days before first notice day)"))
        print(f"total roll cost: {doc['total_roll_cost_usd']:+,.0f} USD "
              f"({doc['roll_cost_sign']})")
    bt = pd.DataFrame(rb["bands_before"])
    ba = {r["sector"]: r for r in rb["bands_after"]}
    if not bt.empty:
        print()
        print(table(pd.DataFrame({
            "sector": bt["sector"], "unhedged DV01": bt["dv01_unhedged"].map(lambda x: f"{x:,.0f}"),
            "target": bt["dv01_target"].map(lambda x: f"{x:,.0f}"),
            "band +-": bt["band_usd"].map(lambda x: f"{x:,.0f}"),
            "hedged now": bt["dv01_hedged"].map(lambda x: f"{x:,.0f}"),
            "drift": bt["drift_usd"].map(lambda x: f"{x:+,.0f}"),
            "inside": bt["inside"].map(lambda x: "yes" if x else "NO"),
            "after": [f"{ba[s]['dv01_hedged']:,.0f}" for s in bt["sector"]],
            "band rule": bt["band_rule"]}), title="Tolerance bands (beta-adjusted DV01, USD)"))
    print(f"\ndecision: {rb['status']} -- {rb['reason']}")
    if rb["status"] != "no_trade":
        lim = "off" if rb["max_turnover"] is None else f"{rb['max_turnover']:,.0f}"
        print(f"turnover {rb['turnover']:,d} contracts (limit {lim}); "
              f"trading cost ${rb['trading_cost_usd']:,.2f}; frozen (their sectors are inside "
              f"their bands): {', '.join(rb['frozen']) or 'none'}")
        print("held -> proposed: " + ", ".join(
            f"{k} {rb['current'][k]:+,d} -> {rb['proposed'][k]:+,d}" for k in rb["proposed"]
            if rb["current"][k] or rb["proposed"][k]))
    print()
    if of.empty:
        print("Orders: none")
    else:
        show = of.copy()
        show["quantity"] = show["quantity"].map(lambda x: f"{x:,d}")
        show["price"] = [_px(v, c) for v, c in zip(show["price"], show["contract"], strict=True)]
        show["estimated_cost"] = show["estimated_cost"].map(lambda x: f"{x:+,.2f}")
        print(table(show, title="Orders (estimated cost USD: half a tick per contract per leg; "
                                "roll legs add the roll cost)"))
        print(f"total estimated cost: {doc['orders_total_estimated_cost_usd']:+,.2f} USD")
    for w in doc["warnings"]:
        print(f"warning: {w}")
    if args.orders:
        print(f"orders written to {args.orders}")
    if args.report:
        print(f"report written to {args.report}")
    return 0
