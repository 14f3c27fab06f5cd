"""Validation of the backtest's modelled futures prices (part of ``backtest_report --full``).

* ``futures_approx``: the CTD-forward approximation (CTD fixed for the period) against the full
  basket analysis 15 business days later (CTD re-picked): the error a CTD switch inside a period
  leaves in the modelled run.
* ``futures_market``: the modelled front contract of ZT ZF ZN ZB against its settlements
  (licensed, read locally; skipped when absent): correlation and slope of daily changes, the
  monthly basis (settlement change minus modelled change, summed per month, in 32nds), on the
  days the file quotes the contract the backtest holds.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd

from benchmarks.backtest_report import RESULTS, machine


def run_futures_approx(command: str, n: int = 40) -> None:
    from data.loaders import par_curve_history_pct
    from optimizer.workflows.backtest import validate_futures_approx

    rng = np.random.default_rng(8)
    hist = par_curve_history_pct().index
    hist = hist[hist >= "2000-01-01"]
    sample = sorted(rng.choice(hist[:-30], size=n, replace=False))
    t0 = time.process_time()
    v = validate_futures_approx(sample)
    secs = time.process_time() - t0
    v.to_csv(RESULTS / "backtest_futures_approx_validation.csv", index=False)
    a, mv = v["diff_d1_32nds"].abs(), v["move_32nds"].abs()
    sw = v["ctd_switched"]
    lines = [
        "# CTD-forward approximation vs full basket analysis", "",
        f"Generated {dt.date.today().isoformat()} by `{command}`; machine: {machine()}; "
        f"{secs:.0f} s CPU.", "",
        f"{n} random dates 2000-2025 x ZT ZF ZN ZB front contracts ({len(v)} cases). On each "
        "date the full basket analysis picks the CTD; 15 business days later the backtest's "
        "approximation (that CTD held fixed) is compared with the full basket analysis's "
        "theoretical price (CTD re-picked). Baseline: the full basket price.", "",
        "| statistic | value |", "|---|---|",
        f"| error on the rebalance day (approx - full), max abs | "
        f"{(v['approx_d0'] - v['full_d0']).abs().max() * 32:.2e} 32nds |",
        f"| error 15 days later, median / 95th pct / max abs | {a.median():.3f} / "
        f"{a.quantile(0.95):.3f} / {a.max():.3f} 32nds |",
        f"| cases where the CTD switched | {int(sw.sum())} of {len(v)} |",
        f"| median / max abs error when it switched | {a[sw].median():.3f} / {a[sw].max():.3f} "
        f"32nds (median move {mv[sw].median():.1f} 32nds) |",
        f"| max abs error when it did not | "
        f"{a[~sw].max() if (~sw).any() else float('nan'):.3f} 32nds |", "",
        "Without a CTD switch the approximation is the full model; with one, the fixed CTD's "
        "fwd/CF is above the new minimum (the switch option's intrinsic value): it affects the "
        "modelled futures leg in the periods with a switch. The market-marked run does not "
        "have this error.", "", "Cases: `benchmarks/results/backtest_futures_approx_validation.csv`.",
        ""]
    (RESULTS / "backtest_futures_approx.md").write_text("\n".join(lines))
    print("wrote benchmarks/results/backtest_futures_approx.md")


def _root_series(root: str, market, days) -> pd.DataFrame:
    from data.errors import InputError
    from models.instruments import front_contract
    from optimizer.workflows.backtest import (
        CurveBook,
        SwapRates,
        leg_pnl,
        rebalance_dates,
        repo_series,
        treasury_leg,
    )
    from optimizer.workflows.backtest.hedging import _next_leg

    curves, swaps, rows = CurveBook(), SwapRates("proxy"), []
    rd = rebalance_dates(days)
    for k in range(len(rd) - 1):
        per = days[(days >= rd[k]) & (days <= rd[k + 1])]
        try:
            leg = treasury_leg(front_contract(root, rd[k]), rd[k])
            leg.next = _next_leg(leg, rd[k + 1])
            lp = leg_pnl(leg, per, curves, repo_series(per), swaps, market)
        except InputError:
            continue
        rows.append(pd.DataFrame({"model": lp.model * 100 / leg.size,
                                  "market": np.where(lp.marked, lp.market * 100 / leg.size,
                                                     np.nan), "month": rd[k]}, index=per[1:]))
    return pd.concat(rows)


def run_futures_market(command: str) -> None:
    from optimizer.workflows.backtest import MarketFutures, valuation_dates

    if not MarketFutures.available():
        print("SKIPPED futures_market: settlements not present (licensed data, local only)")
        return
    market = MarketFutures()
    days = valuation_dates("2003-01-01", "2025-07-11")
    t0 = time.process_time()
    lines = ["# Modelled Treasury futures vs front-month settlements", "",
             "**Licensed data** (Yahoo Finance continuous front month; CME prices), read "
             "locally, never committed; statistics only.", "",
             f"Generated {dt.date.today().isoformat()} by `{command}`; machine: {machine()}.",
             "", "Days the settlement file quotes the contract the backtest holds (front-month "
             "switches located by volume, two business days either side left out). Basis = "
             "settlement change - modelled change, summed per month.", "",
             "| root | days | corr daily | slope | vol model / market (pts/yr) | monthly basis "
             "sd (32nds) | monthly basis / monthly move |", "|---|---|---|---|---|---|---|"]
    for root in market.ROOTS:
        s = _root_series(root, market, days).dropna(subset=["market"])
        slope = np.polyfit(s["model"], s["market"], 1)[0]
        corr = float(np.corrcoef(s["model"], s["market"])[0, 1])
        g = s.groupby("month")[["model", "market"]].sum()
        basis = (g["market"] - g["model"]) * 32
        lines.append(f"| {root} | {len(s):,} | {corr:.4f} | {slope:.4f} | "
                     f"{s['model'].std() * np.sqrt(252):.2f} / "
                     f"{s['market'].std() * np.sqrt(252):.2f} | {basis.std():.1f} | "
                     f"{basis.std() / (g['market'] * 32).std():.2f} |")
    lines += ["", f"{time.process_time() - t0:.0f} s CPU.", ""]
    (RESULTS / "backtest_futures_vs_market.md").write_text("\n".join(lines))
    print("wrote benchmarks/results/backtest_futures_vs_market.md")
