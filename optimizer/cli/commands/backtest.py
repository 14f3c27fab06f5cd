"""`overlay backtest`: walk-forward replay of a hedge mandate over the bundled history."""

from __future__ import annotations

import pandas as pd

from optimizer import validate as V
from optimizer.cli import emit
from optimizer.reporting import formatters as fmt
from optimizer.reporting.output import print_json, table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backtest", help="walk-forward backtest of the mandate over real history",
        description="Replay the mandate over the bundled Treasury curve history: on every "
                    "rebalance date re-strike the portfolio at constant maturity, build the "
                    "hedge from data on or before that date only (exposures, front contracts, "
                    "covariance, betas, margins), hold it to the next date (rolling before first "
                    "notice, paying half the bid-ask spread per contract traded) and revalue "
                    "holdings and futures every day. Strategies: unhedged, naive ZN DV01 hedge, "
                    "naive key-rate least squares, continuous optimum, integer optimum (the "
                    "mandate) and the integer optimum without its margin/leverage/count limits. "
                    "Reports realized tracking error and its ratio to the naive hedge, the "
                    "model's calibration (realized / ex-ante TE), effectiveness, turnover, costs, "
                    "margin, drawdowns and failed dates. With the licensed front-month "
                    "settlements present locally (validation), futures legs are also marked to "
                    "market, beside the modelled run.")
    p.add_argument("--portfolio", default=None,
                   help="holdings file (default: the bundled sample portfolio); bond-terms rows "
                        "only (coupon, maturity, price or yield)")
    p.add_argument("--mandate", default=None, help="mandate TOML (default: the bundled default)")
    p.add_argument("--sectors", default=None,
                   help="comma-separated sectors of the portfolio to keep (e.g. Treasury)")
    p.add_argument("--start", default="2023-01-01", type=V.arg(V.market_date_text), help="first date YYYY-MM-DD (default "
                   "2023-01-01; the bundled history runs 1990-2025)")
    p.add_argument("--end", default=None, type=V.arg(V.market_date_text), help="last date (default: end of the history)")
    p.add_argument("--rebalance", choices=("monthly", "weekly"), default="monthly",
                   help="rebalance frequency (default monthly)")
    p.add_argument("--frequency", choices=("daily", "monthly"), default="daily",
                   help="revaluation frequency (monthly: month-end curves; corporates then move "
                        "with the HQM spread, see --spread)")
    p.add_argument("--spread", choices=("constant", "hqm"), default=None,
                   help="corporate spread path: constant (default for daily) or hqm (HQM "
                        "corporate par minus Treasury, monthly; default for --frequency monthly)")
    p.add_argument("--market", choices=("auto", "off", "require"), default="auto",
                   help="mark Treasury futures legs to the licensed front-month settlements "
                        "when present locally (auto, default), never (off), or fail without "
                        "them (require); the modelled run is always shown")
    p.add_argument("--window", default="3y", type=V.arg(V.window), help="estimation window for covariance and betas")
    p.add_argument("--limit-costs", action="store_true",
                   help="also solve with each capital limit dropped alone (ex-ante TE cost of "
                        "each limit per date)")
    p.add_argument("--time-limit", type=V.arg(V.time_limit_s), default=10.0, help="solver seconds per date")
    p.add_argument("--workers", type=V.arg(V.integer, lo=1, hi=256), default=1,
                   help="processes building the rebalance-date hedges (default 1)")
    p.add_argument("--csv", default=None, help="write the daily P&L by strategy to this CSV")
    p.add_argument("--report", metavar="PATH.html", default=None,
                   help="write a self-contained HTML report with the cumulative P&L chart")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def _te_table(m: pd.DataFrame) -> str:
    n, r = fmt.number, fmt.ratio
    cells = {  # header: (column, formatter); percentages from fractions
        "realized TE $/yr": ("realized_te_usd", n), "TE (period sums) $/yr":
        ("te_period_sums_usd", n), "/ integer": ("te_ratio_to_integer", r),
        "/ naive ZN": ("te_ratio_to_naive_zn", r),
        "var. reduction %": ("variance_reduction", lambda v: fmt.number(_x100(v), 1)),
        "$-offset %": ("dollar_offset_median", lambda v: fmt.number(_x100(v))),
        "R2": ("regression_r2", r), "traded": ("contracts_traded", n),
        "costs $/yr": ("costs_per_year_usd", n), "max margin $": ("max_margin_usd", n),
        "max drawdown $": ("max_drawdown_usd", n)}
    show = pd.DataFrame({"strategy": m["label"]})
    for head, (col, f) in cells.items():
        show[head] = [f(v) for v in m[col]]
    return table(show)


def _x100(v) -> float | None:
    f = fmt.finite(v)
    return None if f is None else f * 100.0


def _calibration(res) -> str:
    c = res.calibration
    c = c[(c["strategy"] == "integer") & c["window"].str.startswith("all")]
    show = pd.DataFrame({
        "pricing": c["pricing"], "horizon": c["horizon"],
        "realized / ex-ante (bias)": [
            f"{fmt.ratio(b, 2)} [{fmt.ratio(lo, 2)}, {fmt.ratio(hi, 2)}]"
            for b, lo, hi in zip(c["bias"], c["bias_lo"], c["bias_hi"], strict=True)],
        "in 0.8-1.25": ["yes" if x else "no" for x in c["in_band"]], "dof": c["dof"]})
    return table(show)


def run(args) -> int:
    from optimizer.workflows.backtest import SpreadSource, run_backtest

    V.backtest_request(args.start, args.end, args.portfolio, args.sectors, args.mandate)
    kind = args.spread or ("hqm" if args.frequency == "monthly" else "constant")
    spread = SpreadSource(kind, label="HQM corporate par minus Treasury par" if kind == "hqm"
                          else "constant")
    sectors = [s.strip() for s in args.sectors.split(",")] if args.sectors else None
    res = run_backtest(args.portfolio, args.mandate, start=args.start, end=args.end,
                       rebalance=args.rebalance, frequency=args.frequency, spread=spread,
                       sectors=sectors, window=args.window, time_limit=args.time_limit,
                       workers=args.workers, quiet=args.json, market=args.market,
                       limit_costs=args.limit_costs)
    doc = res.to_dict()
    if args.csv:
        emit.csv(args.csv, res.daily.reset_index(), "--csv")
    if args.report:
        emit.html(args.report, {**res.report_block(), **doc}, "--report", kind="backtest")
    if args.json:
        print_json(doc)
        return 0
    print(f"Backtest {res.start.date()} .. {res.end.date()}: {len(res.daily)} {res.frequency} "
          f"observations, {len(res.rebalances)} {res.rebalance} rebalances, "
          f"{len(res.failed)} failed ({res.seconds['total']:.0f} s)")
    print("\nFutures legs modelled:")
    print(_te_table(res.metrics))
    if res.metrics_market is not None:
        print(f"\nFutures legs marked to market where settlements exist "
              f"({fmt.pct(res.market_coverage, 0)} of contract-days; validation data, local "
              "only):")
        print(_te_table(res.metrics_market))
    print("\nModel calibration, integer hedge (95% interval):")
    print(_calibration(res))
    for f in res.failed:
        print(f"failed: {f['date']} .. {f['until']} excluded from every strategy: "
              f"{f['error'][:160]}")
    for n in res.notes:
        print(f"note: {n}")
    return 0
