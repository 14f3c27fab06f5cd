"""Validate the model futures DV01 against realized front-month futures price changes.

Data: ``../shared/data/market/third_party/yahoo_ust_futures_front_month_daily.csv`` (Yahoo
continuous front month; licensed, read in place, never copied into the repo). Skips with a clear
message when the folder is absent.

Method: for each month of the window the model's key-rate DV01s of the then-front contract
(``models.futures.basket_analysis`` on the first business day of the month, curve prices, SOFR
repo) are recomputed; each day's predicted price change (points per 100) is
``-sum_k KRD_k / (size/100) x d(par_k)`` with the Treasury par-yield changes in bp. Realized
daily changes are regressed on predicted ones (OLS with intercept, statsmodels): slope =
realized/model ratio, R². Roll days are masked: days where Yahoo's volume jumps or falls by
more than 3x (front-month switch), the 7 business days before to 3 after each first notice
day, and 2 before to 3 after each last trading day of the quarterly contracts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
THIRD_PARTY = REPO / ".." / "shared" / "data" / "market" / "third_party"
YAHOO = THIRD_PARTY / "yahoo_ust_futures_front_month_daily.csv"
OUT = REPO / "benchmarks" / "results" / "futures_dv01_validation.md"
ROOTS = ("ZF", "ZN", "ZB")
START, END = "2023-01-01", "2025-07-11"


def _front_contract(day: pd.Timestamp, root: str) -> str:
    from models.futures import contract_calendar

    y, m = day.year, day.month
    for _ in range(6):
        qm = ((m - 1) // 3 + 1) * 3
        code = f"{root}{'HMUZ'[qm // 3 - 1]}{y % 100:02d}"
        if contract_calendar(code).first_notice_day > day + pd.Timedelta(days=3):
            return code
        m = qm + 1
        if m > 12:
            m, y = 1, y + 1
    raise RuntimeError("no front contract")  # pragma: no cover


def _roll_mask(idx: pd.DatetimeIndex, root: str, volume: pd.Series) -> pd.Series:
    from models import calendar as cal
    from models.futures import contract_calendar

    mask = pd.Series(False, index=idx)
    for y in range(idx[0].year, idx[-1].year + 1):
        for q in "HMUZ":
            d = contract_calendar(f"{root}{q}{y % 100:02d}")
            for centre, before, after in ((d.first_notice_day, 7, 3),
                                          (d.last_trading_day, 2, 3)):
                lo = cal.add_business_days(centre, -before)
                hi = cal.add_business_days(centre, after)
                mask |= (idx >= lo) & (idx <= hi)
    v = volume.reindex(idx).replace(0, np.nan)
    ratio = (v / v.shift(1)).abs()
    mask |= (ratio > 3) | (ratio < 1 / 3)
    return mask


def run() -> str:
    import statsmodels.api as sm

    from data import loaders
    from models.futures import basket_analysis

    fut = pd.read_csv(YAHOO, parse_dates=["date"]).set_index("date").sort_index()
    par = loaders.par_curve_window(START, END) * 100.0  # percent
    dpar_bp = par.diff() * 100.0
    keys = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
    months = pd.date_range(START, END, freq="MS")
    lines = ["# Futures DV01 validation (model vs realized, Yahoo front month)", "",
             f"Window {START} .. {END}; model key-rate DV01s recomputed monthly (first "
             "business day, theoretical price, curve prices, SOFR repo); daily realized price "
             "change regressed on -KRD . d(par). Roll days masked (volume switch, FND -7/+3, "
             "LTD -2/+3 business days). Third-party data read in place, not shipped.", "",
             "| contract | days used | days masked | realized/model slope (s.e.) | R² | "
             "mean model DV01 $/contract |", "|---|---|---|---|---|---|"]
    flags_seen: set[str] = set()
    for root in ROOTS:
        price = fut[f"{root}_close"].loc[START:END].dropna()
        rows = []
        for m in months:
            day = loaders.par_curve(m).asof if m >= par.index[0] else par.index[0]
            code = _front_contract(day, root)
            a = basket_analysis(code, day, shifts_bp=(), key_tenors=keys)
            flags_seen.update(f.split(":")[0] for f in a.flags)
            krd100 = {k: v / (a.contract_size_usd / 100.0) for k, v in a.key_rate_dv01_usd.items()}
            rows.append((m, a.dv01_usd, krd100))
        dv01_by_month = {m.to_period("M"): (d, k) for m, d, k in rows}
        common = price.index.intersection(dpar_bp.index)
        dp = price.reindex(common).diff()
        pred = pd.Series(np.nan, index=common)
        for day in common:
            d, krd = dv01_by_month[day.to_period("M")]
            pred[day] = -sum(krd[k] * dpar_bp.at[day, k] for k in keys
                             if k in dpar_bp.columns and np.isfinite(dpar_bp.at[day, k]))
        mask = _roll_mask(common, root, fut[f"{root}_volume"])
        ok = dp.notna() & pred.notna() & ~mask & (dp.index > common[0])
        X = sm.add_constant(pred[ok].to_numpy())
        res = sm.OLS(dp[ok].to_numpy(), X).fit()
        mean_dv01 = np.mean([d for _, d, _ in rows])
        lines.append(f"| {root} | {int(ok.sum())} | {int(mask.sum())} | {res.params[1]:.3f} "
                     f"({res.bse[1]:.3f}) | {res.rsquared:.3f} | {mean_dv01:,.2f} |")
    lines += ["", "Slope near 1 means the model DV01 matches realized price sensitivity; the "
              "gap to 1 and R² < 1 come from close-time mismatch (futures settle 2 pm CT, the "
              "Treasury curve is a 3:30 pm ET close), CTD/curve-basis noise and Yahoo closes.",
              "", "Model flags seen: " + (", ".join(sorted(flags_seen)) or "none")]
    return "\n".join(lines) + "\n"


def main() -> int:
    if not YAHOO.exists():
        print(f"validate_futures_dv01: skipped - third-party futures file not found at "
              f"{YAHOO.resolve()} (licensed data, not bundled)")
        return 0
    sys.path.insert(0, str(REPO))
    text = run()
    from optimizer.reporting.output import write_text_atomic

    write_text_atomic(OUT, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
