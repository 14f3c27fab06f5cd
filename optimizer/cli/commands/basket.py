"""`overlay basket CONTRACT`: deliverable basket, CTD, theoretical price and futures DV01."""

from __future__ import annotations

import argparse

import pandas as pd

from data.csvio import read_user_csv
from data.errors import InputError
from models.curves import DEFAULT_KEY_TENORS
from models.instruments.treasury_pricing import BasketAnalysis, basket_analysis
from models.instruments.treasury_rules import securities_from_csv
from optimizer import validate as V
from optimizer.reporting import formatters as fmt
from optimizer.reporting.output import print_json, table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "basket", help="Treasury futures deliverable basket, CTD and futures DV01",
        description="Deliverable basket of a CME Treasury futures contract (e.g. ZNU5, ZBZ25, "
                    "TYZ7): conversion factors, prices (Treasury curve at zero spread unless "
                    "--prices), forwards to the last delivery day, gross/net basis (32nds), "
                    "implied repo, the delivery option (first delivery day when carry is "
                    "negative, last when positive, with the reason), CTD (max implied repo), "
                    "theoretical futures price, futures DV01 = CTD forward DV01 / CF with the "
                    "forward and the term repo moving with the curve (desk convention, what "
                    "the hedge uses; the repo-held and forward-yield DV01s beside it), key-rate "
                    "DV01s and the CTD/DV01 after +-50 bp parallel shifts.")
    p.add_argument("contract", help="contract code, e.g. ZNU5 (1-digit year resolves to the "
                                    "nearest decade not in the past of --asof) or ZNU25")
    p.add_argument("--asof", default=None, type=V.arg(V.market_date_text),
                   help="as-of date YYYY-MM-DD (default: latest bundled Treasury curve date)")
    p.add_argument("--repo", type=V.arg(V.repo_pct), default=None,
                   help="repo rate in PERCENT, ACT/360 (default: SOFR on the as-of date)")
    p.add_argument("--futures-price", default=None, type=V.arg(V.futures_price_text),
                   help="futures price (decimal or 32nds, e.g. 125-08+); default theoretical")
    p.add_argument("--prices", default=None,
                   help="CSV with cusip,price (clean per 100) to use instead of the curve")
    p.add_argument("--securities", default=None,
                   help="CSV securities list (cusip,coupon,maturity,issue_date[,security_type,"
                        "original_term]) instead of the bundled security master")
    p.add_argument("--delivery", choices=("option", "first", "last"), default="option",
                   help="delivery day: the short's option (by the sign of carry) or forced")
    p.add_argument("--include-future-issues", action="store_true",
                   help="also include issues auctioned after the as-of date (look-ahead)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def _read_prices(path: str) -> pd.Series:
    df = read_user_csv(path, "prices file", ("cusip", "price"))
    px = pd.to_numeric(df["price"], errors="coerce")
    bad = px.isna() | (px <= 0)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"bad price '{df['price'].iloc[i]}'", file=path, row=i + 2,
                         column="price")
    return pd.Series(px.to_numpy(), index=df["cusip"].str.strip())


def run(args: argparse.Namespace) -> int:
    from models.contract_codes import parse_32nds

    repo = None
    if args.repo is not None:
        if not (-5 < args.repo < 30):
            raise InputError(f"--repo {args.repo}: expected percent (e.g. 4.3)")
        repo = args.repo / 100.0
    fut = parse_32nds(args.futures_price) if args.futures_price else None
    prices = _read_prices(args.prices) if args.prices else None
    sec = securities_from_csv(args.securities) if args.securities else None
    a = basket_analysis(args.contract, args.asof, repo=repo, prices=prices, futures_price=fut,
                        securities=sec, include_future_issues=args.include_future_issues,
                        key_tenors=DEFAULT_KEY_TENORS, delivery=args.delivery)
    if args.json:
        print_json(_json_doc(a))
        return 0
    print(_text(a))
    return 0


def _json_doc(a: BasketAnalysis) -> dict:
    ctd, t, d = a.ctd, a.table, a.delivery
    return {
        "contract": a.contract, "asof": a.asof, "settle": a.settle,
        "first_delivery_date": a.calendar.first_delivery_day,
        "last_delivery_date": a.calendar.last_delivery_day,
        "first_intention_day": a.calendar.first_intention_day,
        "first_notice_day": a.calendar.first_notice_day,
        "last_trading_day": a.calendar.last_trading_day,
        "delivery_date_assumed": a.delivery_date,
        "delivery": {"date": d.date, "mode": d.mode, "reason": d.reason, "ctd": d.ctd_cusip,
                     "income_per100": d.income_per100, "repo_cost_per100": d.repo_cost_per100,
                     "carry_per100": d.carry_per100},
        "repo_pct": a.repo_dec * 100.0, "repo_source": a.repo_source,
        "basket": [{"cusip": r.cusip, "coupon": r.coupon, "maturity": r.maturity,
                    "conversion_factor": r.conversion_factor, "price": r.price,
                    "price_source": r.price_source, "forward_price": r.forward_price,
                    "gross_basis": r.gross_basis, "net_basis": r.net_basis,
                    "implied_repo": r.implied_repo,
                    "forward_dv01_per100": r.forward_dv01_per100,
                    "forward_dv01_repo_held_per100": r.forward_dv01_repo_held_per100}
                   for r in t.itertuples()],
        "ctd": {"cusip": ctd["cusip"], "coupon": ctd["coupon"], "maturity": ctd["maturity"],
                "conversion_factor": ctd["conversion_factor"],
                "implied_repo": ctd["implied_repo"],
                "forward_dv01_per100": ctd["forward_dv01_per100"]},
        "futures_price": a.futures_price,
        "futures_price_32nds": _quoted(a.futures_price, a.contract),
        "futures_price_source": a.futures_price_source,
        "theoretical_price": a.theoretical_price,
        "contract_size_usd": a.contract_size_usd,
        "dv01": a.dv01_usd, "key_rate_dv01": a.key_rate_dv01_usd,
        "dv01_repo_held": a.dv01_repo_held_usd,
        "key_rate_dv01_repo_held": a.key_rate_dv01_repo_held_usd,
        "forward_yield_dv01": a.forward_yield_dv01_usd,
        "shifted": [{"shift_bp": s["shift_bp"], "ctd": s["ctd"], "dv01": s["dv01"],
                     "futures_price": s["futures_price"], "ctd_switch": s["ctd_switch"]}
                    for s in a.shifted],
        "units": {"gross_basis": "32nds", "net_basis": "32nds", "implied_repo": "percent",
                  "dv01": "USD per contract for a 1 bp fall (long > 0): CTD forward DV01 / CF, "
                          "par-curve shift with the forward and the term repo moving with the "
                          "curve (desk convention; the hedge uses it)",
                  "dv01_repo_held": "same with the repo held fixed (secondary)",
                  "forward_yield_dv01": "CTD modified duration x forward full price at its "
                                        "forward yield, settling on the delivery date, / CF "
                                        "(vendor-screen tie-out; yield basis)"},
        "flags": a.flags,
    }


def _text(a: BasketAnalysis) -> str:
    ctd, t, d, cal = a.ctd, a.table, a.delivery, a.calendar
    show = pd.DataFrame({
        "cusip": t["cusip"], "coupon": t["coupon"].map(lambda x: fmt.number(x, 3)),
        "maturity": pd.to_datetime(t["maturity"]).dt.strftime("%Y-%m-%d"),
        "CF": t["conversion_factor"].map(lambda x: fmt.number(x, 4)),
        "price": t["price"].map(lambda x: fmt.number(x, 4)),
        "forward": t["forward_price"].map(lambda x: fmt.number(x, 4)),
        "gross 32nds": t["gross_basis"].map(lambda x: fmt.number(x, 2)),
        "net 32nds": t["net_basis"].map(lambda x: fmt.number(x, 2)),
        "impl. repo %": t["implied_repo"].map(lambda x: fmt.number(x, 3)),
        "": ["<- CTD" if i == a.ctd_index else "" for i in range(len(t))],
    })
    lines = [f"{a.contract}  as of {a.asof.date()}  (settle {a.settle.date()}, forward to "
             f"{a.delivery_date.date()})",
             f"first intention {cal.first_intention_day.date()}  first notice "
             f"{cal.first_notice_day.date()}  first delivery {cal.first_delivery_day.date()}  "
             f"last trading {cal.last_trading_day.date()}  last delivery "
             f"{cal.last_delivery_day.date()}",
             f"repo {a.repo_dec * 100:.3f}% ACT/360 ({a.repo_source})",
             f"delivery: {d.reason}", "", table(show), "",
             f"CTD: {ctd['cusip']} {ctd['coupon']:.3f}% {pd.Timestamp(ctd['maturity']).date()}  "
             f"CF {ctd['conversion_factor']:.4f}  implied repo {ctd['implied_repo']:.3f}%",
             f"futures price: {_quoted(a.futures_price, a.contract)} "
             f"({fmt.number(a.futures_price, 6)}, {a.futures_price_source})",
             f"futures DV01: {fmt.usd(a.dv01_usd, 2)} per contract (desk: CTD forward DV01 / "
             "CF, forward and term repo moving with the curve; used by the hedge)",
             f"  repo held fixed: {fmt.usd(a.dv01_repo_held_usd, 2)}   forward yield DV01 "
             f"(vendor screens): {fmt.usd(a.forward_yield_dv01_usd, 2)}",
             "key-rate DV01 (USD/contract): " + "  ".join(
                 f"{k} {fmt.number(v, 2)}" for k, v in a.key_rate_dv01_usd.items())]
    for s in a.shifted:
        lines.append(f"shift {s['shift_bp']:+.0f} bp: CTD {s['ctd']} ({s['ctd_coupon']:.3f}% "
                     f"{pd.Timestamp(s['ctd_maturity']).date()})"
                     f"{' [switch]' if s['ctd_switch'] else ''}  DV01 {fmt.usd(s['dv01'], 2)}")
    lines += fmt.notice_block(a.flags, title="Flags")
    return "\n".join(lines)


def _quoted(price: float, contract: str) -> str:
    """The futures price in the contract's 32nds at its tick (the decimal is shown beside)."""
    return fmt.price_32nds_parts(price, contract)[0] or fmt.number(price, 4)
