"""`overlay program transition|equitize`: overlay programs over dates (see optimizer.workflows.programs).

    overlay program transition --sold 800e6 --sold-duration 6.5 --start 2025-06-02 \\
        --weekly 200e6 --weeks 4 [--buy-duration 6.5] [--buy 2025-06-20:150e6[:6.1] ...] \\
        [--instrument ZN --instrument ZF] [--target-dv01 USD] [--json] [--orders PATH]
    overlay program equitize --cash 500e6 --duration 6 [--contract ZN] [--asof DATE] \\
        [--horizon-days 30] [--repo PCT] [--json]
"""

from __future__ import annotations

import argparse

from data.errors import InputError
from optimizer import validate as V
from optimizer.cli import emit
from optimizer.reporting import formatters as fmt


def _money(text: str) -> float:
    s = str(text).strip().lower().replace(",", "").replace("_", "").lstrip("$")
    mult = 1.0
    for suf, m in (("bn", 1e9), ("b", 1e9), ("mm", 1e6), ("m", 1e6), ("k", 1e3)):
        if s.endswith(suf):
            s, mult = s[: -len(suf)], m
            break
    try:
        v = float(s) * mult
    except ValueError:
        raise InputError(f"'{text}' is not an amount (e.g. 200e6, 200m, $1.5bn)") from None
    return v


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "program", help="transition-management bridge and cash equitization programs",
        description="Overlay programs over dates. 'transition': cash from sold bonds bridged "
                    "with long futures, the bridge stepped down as new bonds are bought, exposure "
                    "kept on the target DV01 at every step. 'equitize': long futures giving cash "
                    "a target duration, with expected carry and initial margin.")
    sub = p.add_subparsers(dest="program", metavar="PROGRAM")
    t = sub.add_parser("transition", help="bridge schedule while cash is redeployed")
    t.add_argument("--sold", required=True, type=V.arg(V.usd, what="a market value in USD"),
                   help="market value sold, USD (e.g. 800e6 or 800m)")
    t.add_argument("--sold-duration", type=V.arg(V.number, what="a duration in years", lo=0,
                                                 lo_open=True, hi=50), required=True,
                   help="modified duration of what was sold, years")
    t.add_argument("--start", required=True, type=V.arg(V.program_date_text), help="sale date YYYY-MM-DD (bridge opened)")
    t.add_argument("--buy", action="append", default=[], type=V.arg(V.buy_text),
                   help="DATE:AMOUNT[:DURATION] a purchase (repeatable)")
    t.add_argument("--weekly", default=None, type=V.arg(V.usd, what="an amount in USD"), help="amount bought each week (with --weeks)")
    t.add_argument("--weeks", type=V.arg(V.integer, lo=0, hi=520), default=0, help="number of weekly purchases")
    t.add_argument("--buy-duration", type=V.arg(V.duration_years), default=None,
                   help="duration of purchases without their own (default: --sold-duration)")
    t.add_argument("--instrument", action="append", default=None, type=V.arg(V.root),
                   help="bridge contract root (repeatable; DV01 split equally), default ZN")
    t.add_argument("--target-dv01", type=V.arg(V.number, what="a DV01 in USD per bp", lo=0,
                                               lo_open=True), default=None,
                   help="exposure to keep, USD per bp (default: the DV01 sold)")
    t.add_argument("--json", action="store_true")
    t.add_argument("--orders", default=None, help="write the dated order list to this CSV")
    t.set_defaults(func=run_transition)
    e = sub.add_parser("equitize", help="long futures giving cash a target duration")
    e.add_argument("--cash", required=True, type=V.arg(V.usd, what="an amount in USD"), help="cash to equitize, USD")
    e.add_argument("--duration", type=V.arg(V.number, what="a duration in years", lo=0,
                                            lo_open=True, hi=50), required=True, help="target duration, years")
    e.add_argument("--contract", default="ZN", help="root (front contract) or contract code")
    e.add_argument("--asof", default=None, type=V.arg(V.market_date_text), help="YYYY-MM-DD (default: latest curve date)")
    e.add_argument("--horizon-days", type=V.arg(V.integer, lo=1, hi=3650), default=None,
                   help="carry horizon in days (default: to delivery)")
    e.add_argument("--repo", type=V.arg(V.repo_pct), default=None, help="repo rate, percent (default SOFR)")
    e.add_argument("--futures-price", default=None, type=V.arg(V.futures_price_text), help="futures price (decimal or 32nds)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--orders", default=None, help="write the order to this CSV")
    e.set_defaults(func=run_equitize)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])


def transition_request(args: argparse.Namespace):
    import pandas as pd

    from optimizer.workflows.programs import BondBuy, TransitionRequest

    start = pd.Timestamp(args.start).normalize()
    dur_default = args.buy_duration if args.buy_duration is not None else args.sold_duration
    buys = []
    for text in args.buy:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise InputError(f"--buy '{text}': expected DATE:AMOUNT[:DURATION]")
        try:
            d = pd.Timestamp(parts[0]).normalize()
        except ValueError:
            raise InputError(f"--buy '{text}': bad date '{parts[0]}'") from None
        buys.append(BondBuy(d, _money(parts[1]), float(parts[2]) if len(parts) == 3
                            else dur_default))
    if args.weeks:
        if args.weekly is None:
            raise InputError("--weeks needs --weekly AMOUNT")
        amt = _money(args.weekly)
        buys += [BondBuy(start + pd.Timedelta(days=7 * k), amt, dur_default)
                 for k in range(1, args.weeks + 1)]
    if not buys:
        raise InputError("give the purchases: --buy DATE:AMOUNT or --weekly AMOUNT --weeks N")
    roots = [r.strip().upper() for r in (args.instrument or ["ZN"])]
    return TransitionRequest(start=start, sold_mv=_money(args.sold),
                             sold_duration=args.sold_duration, buys=tuple(buys), roots=roots,
                             target_dv01=args.target_dv01)


def run_transition(args: argparse.Namespace) -> int:
    import pandas as pd

    from optimizer.reporting.output import print_json, table
    from optimizer.workflows.programs import run_transition as run
    from optimizer.workflows.rolls import ORDER_COLUMNS

    req = transition_request(args)
    prog = run(req)
    sold = req.sold_mv
    if args.orders:
        emit.csv(args.orders, prog.orders_frame(), "--orders")
    if args.json:
        print_json(prog.to_dict())
        return 0
    f = prog.frame()
    n = fmt.number
    print(f"transition: sold {fmt.usd(sold)} at duration {args.sold_duration:g} "
          f"(DV01 {fmt.usd(sold * args.sold_duration * 1e-4)}); target exposure "
          f"{fmt.usd(prog.target_dv01)}/bp\n")
    print(table(pd.DataFrame({
        "date": f["date"].dt.strftime("%Y-%m-%d"), "cash": f["cash_usd"].map(n),
        "invested DV01": f["invested_dv01"].map(n),
        "contract": f["contract"], "bridge": f["contracts"].map(fmt.contracts),
        "contract DV01": f["contract_dv01"].map(lambda x: n(x, 2)),
        "futures DV01": f["futures_dv01"].map(n),
        "exposure DV01": f["exposure_dv01"].map(n),
        "error": f["error_usd"].map(lambda x: n(x, signed=True)),
        "on target": f["on_target"].map(lambda x: "yes" if x else "NO"),
        "margin": f["initial_margin_usd"].map(n)}),
        title="Bridge schedule (USD; exposure = invested bonds + futures, target kept within "
              "half a contract DV01)"))
    if prog.orders:
        o = pd.DataFrame(prog.orders)
        o["date"] = pd.to_datetime(o["date"]).dt.strftime("%Y-%m-%d")
        o["price"] = [fmt.price(x, c) for x, c in zip(o["price"], o["contract"], strict=True)]
        o["quantity"] = o["quantity"].map(fmt.number)
        o["est_cost_usd"] = o["est_cost_usd"].map(lambda x: fmt.number(x, 2))
        print()
        print(table(o[["date", *ORDER_COLUMNS]], title="Orders"))
    for line in fmt.notice_block(prog.warnings):
        print(line)
    return 0


def run_equitize(args: argparse.Namespace) -> int:
    import pandas as pd

    from models.contract_codes import parse_32nds
    from optimizer.reporting.output import print_json
    from optimizer.workflows.programs import EquitizationRequest, run_equitization

    e = run_equitization(EquitizationRequest(
        cash=_money(args.cash), target_duration=args.duration, asof=args.asof,
        contract=V.contract_on_date(args.contract, args.asof or V.curve_date_range()[1],
                                    "--contract"),
        horizon_days=args.horizon_days,
        futures_price=parse_32nds(args.futures_price) if args.futures_price else None,
        repo=None if args.repo is None else args.repo / 100.0))
    if args.orders:
        emit.csv(args.orders, e.to_frame(), "--orders")
    d = e.to_dict()
    if args.json:
        print_json(d)
        return 0
    print(f"cash equitization as of {e.asof.date()}: {fmt.usd(e.cash)} to duration "
          f"{e.target_duration:g} -> target DV01 {fmt.usd(e.target_dv01)}/bp")
    p32, dec = fmt.price_32nds_parts(e.futures_price, e.contract)
    quoted = f"{p32} ({dec}, " if p32 else f"{dec} ("
    print(f"BUY {fmt.number(e.contracts)} {e.contract} at {quoted}{e.futures_price_source}); DV01 "
          f"{fmt.usd(e.contract_dv01, 2)}/contract -> {fmt.usd(e.futures_dv01)} (error "
          f"{fmt.number(e.futures_dv01 - e.target_dv01, signed=True)})")
    print(f"notional {fmt.usd(e.notional_usd)}; initial margin {fmt.usd(e.initial_margin_usd)} "
          f"(paid from the cash)")
    c = e.ctd
    print(f"CTD {c['cusip']} {c['coupon']:.3f}% {pd.Timestamp(c['maturity']).date()} CF "
          f"{c['conversion_factor']:.4f}; delivery {e.delivery_date.date()} "
          f"({e.days_to_delivery} days); repo {e.repo_pct:.3f}%")
    print(f"expected futures carry over {e.horizon_days} days: "
          f"{fmt.usd(e.expected_futures_carry_usd, signed=True)} "
          f"({fmt.usd(e.carry_per_contract_to_delivery, 2, signed=True)}/contract to delivery: "
          f"futures converge to CTD clean/CF at unchanged prices)")
    print(f"cash interest at repo: {fmt.usd(e.cash_interest_usd, signed=True)}; total "
          f"{fmt.usd(e.expected_futures_carry_usd + e.cash_interest_usd, signed=True)}")
    for line in fmt.notice_block(e.flags, title="Flags"):
        print(line)
    return 0
