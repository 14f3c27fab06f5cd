"""`overlay basket CONTRACT`: deliverable basket, CTD, theoretical price and futures DV01."""

from __future__ import annotations

import argparse

import pandas as pd

from data.csvio import read_user_csv
from data.errors import InputError
from models.contract_codes import format_32nds
from models.futures import DEFAULT_KEY_TENORS, basket_analysis, securities_from_csv
from optimizer import validate as V
from optimizer.reporting.output import print_json, table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "basket", help="Treasury futures deliverable basket, CTD and futures DV01",
        description="Deliverable basket of a CME Treasury futures contract (e.g. ZNU5, ZBZ25, "
                    "TYZ7): conversion factors, prices (Treasury curve at zero spread unless "
                    "--prices), forwards to the last delivery day, gross/net basis (32nds), "
                    "implied repo, CTD (max implied repo), theoretical futures price, futures "
                    "DV01 = CTD forward DV01 / CF, key-rate DV01s and the CTD/DV01 after "
                    "+-50 bp parallel shifts.")
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
                        key_tenors=DEFAULT_KEY_TENORS)
    ctd = a.ctd
    t = a.table
    if args.json:
        print_json({
            "contract": a.contract, "asof": a.asof, "settle": a.settle,
            "first_delivery_date": a.calendar.first_delivery_day,
            "last_delivery_date": a.calendar.last_delivery_day,
            "first_intention_day": a.calendar.first_intention_day,
            "first_notice_day": a.calendar.first_notice_day,
            "last_trading_day": a.calendar.last_trading_day,
            "delivery_date_assumed": a.delivery_date,
            "repo_pct": a.repo_dec * 100.0, "repo_source": a.repo_source,
            "basket": [{"cusip": r.cusip, "coupon": r.coupon, "maturity": r.maturity,
                        "conversion_factor": r.conversion_factor, "price": r.price,
                        "price_source": r.price_source, "forward_price": r.forward_price,
                        "gross_basis": r.gross_basis, "net_basis": r.net_basis,
                        "implied_repo": r.implied_repo} for r in t.itertuples()],
            "ctd": {"cusip": ctd["cusip"], "coupon": ctd["coupon"], "maturity": ctd["maturity"],
                    "conversion_factor": ctd["conversion_factor"],
                    "implied_repo": ctd["implied_repo"],
                    "forward_dv01_per100": ctd["forward_dv01_per100"]},
            "futures_price": a.futures_price, "futures_price_32nds": format_32nds(a.futures_price),
            "futures_price_source": a.futures_price_source,
            "theoretical_price": a.theoretical_price,
            "contract_size_usd": a.contract_size_usd,
            "dv01": a.dv01_usd, "key_rate_dv01": a.key_rate_dv01_usd,
            "shifted": [{"shift_bp": s["shift_bp"], "ctd": s["ctd"], "dv01": s["dv01"],
                         "futures_price": s["futures_price"], "ctd_switch": s["ctd_switch"]}
                        for s in a.shifted],
            "units": {"gross_basis": "32nds", "net_basis": "32nds", "implied_repo": "percent",
                      "dv01": "USD per contract for a 1 bp fall (long > 0)"},
            "flags": a.flags,
        })
        return 0
    show = pd.DataFrame({
        "cusip": t["cusip"], "coupon": t["coupon"].map(lambda x: f"{x:.3f}"),
        "maturity": pd.to_datetime(t["maturity"]).dt.strftime("%Y-%m-%d"),
        "CF": t["conversion_factor"].map(lambda x: f"{x:.4f}"),
        "price": t["price"].map(lambda x: f"{x:.4f}"),
        "forward": t["forward_price"].map(lambda x: f"{x:.4f}"),
        "gross 32nds": t["gross_basis"].map(lambda x: f"{x:.2f}"),
        "net 32nds": t["net_basis"].map(lambda x: f"{x:.2f}"),
        "impl. repo %": t["implied_repo"].map(lambda x: f"{x:.3f}"),
        "": ["<- CTD" if i == a.ctd_index else "" for i in range(len(t))],
    })
    d = a.calendar
    print(f"{a.contract}  as of {a.asof.date()}  (settle {a.settle.date()}, forward to "
          f"{a.delivery_date.date()})")
    print(f"first intention {d.first_intention_day.date()}  first notice "
          f"{d.first_notice_day.date()}  first delivery {d.first_delivery_day.date()}  "
          f"last trading {d.last_trading_day.date()}  last delivery {d.last_delivery_day.date()}")
    print(f"repo {a.repo_dec * 100:.3f}% ACT/360 ({a.repo_source})\n")
    print(table(show))
    print(f"\nCTD: {ctd['cusip']} {ctd['coupon']:.3f}% {pd.Timestamp(ctd['maturity']).date()}  "
          f"CF {ctd['conversion_factor']:.4f}  implied repo {ctd['implied_repo']:.3f}%")
    print(f"futures price: {format_32nds(a.futures_price)} ({a.futures_price:.6f}, "
          f"{a.futures_price_source})")
    print(f"futures DV01: ${a.dv01_usd:,.2f} per contract (CTD forward DV01 / CF)")
    print("key-rate DV01 (USD/contract): " + "  ".join(
        f"{k} {v:,.2f}" for k, v in a.key_rate_dv01_usd.items()))
    for s in a.shifted:
        print(f"shift {s['shift_bp']:+.0f} bp: CTD {s['ctd']} ({s['ctd_coupon']:.3f}% "
              f"{pd.Timestamp(s['ctd_maturity']).date()}){' [switch]' if s['ctd_switch'] else ''}"
              f"  DV01 ${s['dv01']:,.2f}")
    for f in a.flags:
        print(f"flag: {f}")
    return 0
