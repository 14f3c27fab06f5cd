"""`overlay backtest`: walk-forward replay of a hedge mandate over the bundled history."""

from __future__ import annotations

import pandas as pd

from data.errors import InputError
from optimizer.reporting.output import print_json, table, write_csv_atomic


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backtest", help="walk-forward backtest of the mandate over real history",
        description="Replay the mandate over the bundled Treasury curve history: on every "
                    "rebalance date re-strike the portfolio at constant maturity, build the "
                    "hedge from data on or before that date only (exposures, front contracts, "
                    "covariance, betas), hold it to the next date and revalue holdings (curve + "
                    "constant spread) and futures (modelled CTD-forward prices) every day. "
                    "Strategies: unhedged, naive ZN DV01 hedge, naive key-rate least squares "
                    "(rounded), continuous optimum, integer optimum. Reports realized tracking "
                    "error to the target, variance reduction, dollar-offset and regression "
                    "effectiveness, turnover, margin, worst day/month.")
    p.add_argument("--portfolio", default=None,
                   help="holdings file (default: the bundled sample portfolio); bond-terms rows "
                        "only (coupon, maturity, price or yield)")
    p.add_argument("--mandate", default=None, help="mandate TOML (default: the bundled default)")
    p.add_argument("--sectors", default=None,
                   help="comma-separated sectors of the portfolio to keep (e.g. Treasury)")
    p.add_argument("--start", default="2023-01-01", help="first date YYYY-MM-DD (default "
                   "2023-01-01; the bundled history runs 1990-2025)")
    p.add_argument("--end", default=None, help="last date (default: end of the history)")
    p.add_argument("--rebalance", choices=("monthly", "weekly"), default="monthly",
                   help="rebalance frequency (default monthly)")
    p.add_argument("--frequency", choices=("daily", "monthly"), default="daily",
                   help="revaluation frequency (monthly: month-end curves; corporates then move "
                        "with the HQM spread, see --spread)")
    p.add_argument("--spread", choices=("constant", "hqm"), default=None,
                   help="corporate spread path: constant (default for daily) or hqm (HQM "
                        "corporate par minus Treasury, monthly; default for --frequency monthly)")
    p.add_argument("--window", default="3y", help="estimation window for covariance and betas")
    p.add_argument("--time-limit", type=float, default=10.0, help="solver seconds per date")
    p.add_argument("--workers", type=int, default=1,
                   help="processes building the rebalance-date hedges (default 1)")
    p.add_argument("--csv", default=None, help="write the daily P&L by strategy to this CSV")
    p.add_argument("--report", metavar="PATH.html", default=None,
                   help="write a self-contained HTML report with the cumulative P&L chart")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from optimizer.workflows.backtest import SpreadSource, run_backtest

    if args.workers < 1:
        raise InputError("--workers must be >= 1")
    kind = args.spread or ("hqm" if args.frequency == "monthly" else "constant")
    spread = SpreadSource(kind, label="HQM corporate par minus Treasury par" if kind == "hqm"
                          else "constant")
    sectors = [s.strip() for s in args.sectors.split(",")] if args.sectors else None
    res = run_backtest(args.portfolio, args.mandate, start=args.start, end=args.end,
                       rebalance=args.rebalance, frequency=args.frequency, spread=spread,
                       sectors=sectors, window=args.window, time_limit=args.time_limit,
                       workers=args.workers, quiet=args.json)
    doc = res.to_dict()
    if args.csv:
        write_csv_atomic(res.daily.reset_index(), args.csv)
    if args.report:
        from optimizer.reporting.html import write_report

        write_report({**doc, **res.report_block()}, args.report, kind="backtest")
    if args.json:
        print_json(doc)
        return 0
    m = res.metrics
    show = pd.DataFrame({
        "strategy": m["label"], "realized TE $/yr": m["realized_te_usd"],
        "TE / integer": m["realized_te_usd"] / float(
            m.loc[m.strategy == "integer", "realized_te_usd"].iloc[0]),
        "var. reduction %": m["variance_reduction"] * 100,
        "$-offset (median) %": m["dollar_offset_median"] * 100,
        "R2": m["regression_r2"], "contracts traded": m["contracts_traded"],
        "max margin $": m["max_margin_usd"], "worst day $": m["worst_day_usd"],
        "worst month $": m["worst_month_usd"]})
    print(f"Backtest {res.start.date()} .. {res.end.date()}: {len(res.daily)} {res.frequency} "
          f"observations, {len(res.rebalances)} {res.rebalance} rebalances "
          f"({res.seconds['total']:.0f} s)")
    fmt = {"realized TE $/yr": "{:,.0f}", "TE / integer": "{:.3f}",
           "var. reduction %": "{:.1f}", "$-offset (median) %": "{:.0f}", "R2": "{:.3f}",
           "contracts traded": "{:,.0f}", "max margin $": "{:,.0f}", "worst day $": "{:,.0f}",
           "worst month $": "{:,.0f}"}
    for c, f in fmt.items():
        show[c] = [("—" if not pd.notna(v) else f.format(v)) for v in show[c]]
    print(table(show))
    print(f"integer / continuous realized TE: {res.te_ratio('integer', 'continuous'):.4f}; "
          f"integer / naive ZN: {res.te_ratio('integer', 'naive_zn'):.4f}")
    for n in res.notes:
        print(f"note: {n}")
    return 0
