"""Estimate the risk-model parameters shipped in ``data/risk_params/`` from licensed data
(read locally from ``../shared/data/market/third_party``; skipped with a message when absent;
only the estimates are written, never the data).

* ``swap_spread_params.csv`` -- the swap-spread factor (10y ISDAFIX swap - 10y Treasury par):
  volatility (x sqrt 12) of month-end changes and their correlations with the Treasury key-rate
  par yields, and the correlation of monthly-average changes with the HQM corporate spread.
  Month-end, because the 11:00 ISDAFIX fix against the Treasury close puts timing noise in daily
  changes (lag-1 autocorrelation about -0.45). Re-estimated every June and December from
  2002-06 (24 changes) to the end of the data (2016-10), each row from data up to its
  ``valid_from`` only (expanding window), so a walk-forward backtest never uses a later estimate.
* ``futures_basis.csv`` -- per root (ZT ZF ZN ZB), the futures-vs-model residual of the front
  contract: its daily settlement change minus the change of its model price (the CTD carried
  to delivery off the Treasury curve, as the backtest values it), in bp of yield (/ its DV01),
  on days the settlement file quotes the contract held (the backtest's roll convention). Summed
  per month (asynchronous closing times cancel), pooled variance per day x 252 over the trailing
  60 months, re-estimated at each year end 2004 .. 2025. The model's own departure from the
  key-rate DV01s is curve risk the holdings share (and partly offset), not basis.

Usage: ``python -m benchmarks.estimate_risk_params [swap_spread] [basis]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
KEYS = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]


def _third_party() -> Path:
    from optimizer.workflows.backtest import third_party_dir

    return third_party_dir()


# ------------------------------------------------------------------------------ swap spread
def swap_spread_rows(sw: pd.DataFrame, asof: pd.Timestamp) -> list[dict]:
    """Parameter rows from ISDAFIX data on or before ``asof`` (module docstring)."""
    from data.loaders import hqm_par_monthly_pct, par_curve_history_pct
    from models.risk import month_end_ok

    ust = par_curve_history_pct()
    d = sw.join(ust, how="inner").loc[:asof]
    me = d.resample("ME").last()
    me = me[me.index <= asof + pd.offsets.MonthEnd(0)]
    spread = (me["DSWP10"] - me["10Y"]) * 100.0
    chg = pd.concat({"swap_spread": spread.diff(), **{t: me[t].diff() * 100.0 for t in KEYS}},
                    axis=1).dropna(subset=["swap_spread"])
    n = len(chg)
    win = f"{chg.index[0]:%Y-%m}..{chg.index[-1]:%Y-%m}"
    base = {"valid_from": asof.strftime("%Y-%m-%d"), "factor": "swap_spread", "nobs": n,
            "window": win}
    rows = [{**base, "other": "", "kind": "vol_bp_annual",
             "value": round(float(chg["swap_spread"].std() * np.sqrt(12)), 2),
             "frequency": "month-end changes x sqrt(12)"}]
    for t in KEYS:
        c = chg[["swap_spread", t]].dropna()
        rows.append({**base, "other": t, "kind": "corr", "frequency": "month-end changes",
                     "value": round(float(c["swap_spread"].corr(c[t])), 4) if len(c) > 12
                     else 0.0})
    ma = d.resample("MS").mean()
    ma = ma[month_end_ok(ma.index, asof)]
    corp = (hqm_par_monthly_pct()[10.0] - ma["10Y"]) * 100.0
    mm = pd.concat({"s": ((ma["DSWP10"] - ma["10Y"]) * 100.0).diff(), "c": corp.diff()}, sort=True,
                   axis=1).dropna()
    rows.append({**base, "other": "spread:Corporate", "kind": "corr",
                 "value": round(float(mm["s"].corr(mm["c"])), 4),
                 "frequency": "monthly-average changes (HQM is published as monthly averages)"})
    return rows


def estimate_swap_spread() -> int:
    from models.risk_params import SWAP_SPREAD_FILE

    src = _third_party() / "usd_swap_rates_isdafix_daily_2000_2016.csv"
    if not src.exists():
        print(f"SKIPPED swap_spread: {src} not present (licensed data; the shipped parameters "
              "stay as they are)")
        return 0
    sw = pd.read_csv(src, parse_dates=["date"]).set_index("date")
    dates = [d for d in pd.date_range("2002-06-30", sw.index[-1], freq="6ME")]
    dates.append(sw.index[-1])
    rows = [r for d in dates for r in swap_spread_rows(sw, pd.Timestamp(d))]
    out = pd.DataFrame(rows)
    out["source"] = ("estimated from ISDAFIX USD swap rates (ISDA/ICAP/Reuters via Fed H.15, "
                     "licensed; not shipped) and Treasury par yields by "
                     "benchmarks/estimate_risk_params.py; data up to valid_from only")
    out.to_csv(SWAP_SPREAD_FILE, index=False)
    last = out[out["valid_from"] == out["valid_from"].max()]
    print(f"wrote {SWAP_SPREAD_FILE.relative_to(REPO)} ({out['valid_from'].nunique()} dates)")
    print(last[["valid_from", "other", "kind", "value", "nobs"]].to_string(index=False))
    return 0


# ------------------------------------------------------------------------------ basis
def basis_residuals(root: str, start="2003-01-01", end=None) -> pd.DataFrame:
    """Per month: sum of daily residuals (bp of yield) on marked days and their count."""
    from data.errors import InputError
    from data.loaders import par_curve_history_pct
    from models.instruments import front_contract, instrument_risk
    from optimizer.workflows.backtest import (
        CurveBook,
        MarketFutures,
        SwapRates,
        key_tenors_on,
        leg_pnl,
        rebalance_dates,
        repo_series,
        treasury_leg,
        valuation_dates,
    )
    from optimizer.workflows.backtest.hedging import _next_leg

    hist = par_curve_history_pct()
    end = hist.index[-1] if end is None else end
    dates = valuation_dates(start, end)
    rd = rebalance_dates(dates)
    market, curves, swaps = MarketFutures(), CurveBook(), SwapRates("proxy")
    rows = []
    for k in range(len(rd) - 1):
        d0, d1 = rd[k], rd[k + 1]
        days = dates[(dates >= d0) & (dates <= d1)]
        keys = key_tenors_on(d0)
        code = front_contract(root, d0)
        try:
            ir = instrument_risk(code, d0, keys)
            leg = treasury_leg(code, d0)
            leg.next = _next_leg(leg, d1)
            lp = leg_pnl(leg, days, curves, repo_series(days), swaps, market)
        except InputError:   # no deliverable issue that month (ZT 2002-03): no observation
            continue
        resid = (lp.market - lp.model) / ir.dv01_usd
        m = lp.marked
        rows.append({"month": d0, "sum_bp": float(resid[m].sum()), "days": int(m.sum()),
                     "dv01": ir.dv01_usd})
    return pd.DataFrame(rows).set_index("month")


def estimate_basis(roots=("ZT", "ZF", "ZN", "ZB")) -> int:
    from models.risk_params import BASIS_FILE
    from optimizer.workflows.backtest import MarketFutures

    if not MarketFutures.available():
        print("SKIPPED basis: front-month settlements not present (licensed data; the shipped "
              "parameters stay as they are)")
        return 0
    out = []
    for root in roots:
        r = basis_residuals(root)
        last = r.index[-1] + pd.offsets.MonthEnd(0)
        for y in range(2004, r.index[-1].year + 1):
            asof = min(pd.Timestamp(f"{y}-12-31"), last)
            w = r[(r.index <= asof - pd.offsets.MonthBegin(1))
                  & (r.index > asof - pd.DateOffset(months=60))]
            w = w[w["days"] > 0]
            if len(w) < 24:
                continue
            var_day = float((w["sum_bp"] ** 2).sum() / w["days"].sum())
            out.append({"root": root, "valid_from": asof.strftime("%Y-%m-%d"),
                        "vol_bp_annual": round(float(np.sqrt(var_day * 252)), 3),
                        "nobs": int(len(w)), "marked_days": int(w["days"].sum()),
                        "window": f"{w.index[0]:%Y-%m}..{w.index[-1]:%Y-%m}"})
        print(root, out[-1] if out else "no estimate")
    df = pd.DataFrame(out)
    df["source"] = ("front-month settlement changes (Yahoo/CME, licensed; not shipped) minus "
                    "the modelled (CTD-forward) price changes; monthly sums, trailing 60 months; "
                    "benchmarks/estimate_risk_params.py")
    df.to_csv(BASIS_FILE, index=False)
    print(f"wrote {BASIS_FILE.relative_to(REPO)}")
    return 0


# ------------------------------------------------------------------------------ corporate beta
def estimate_corporate_beta(window_years: int = 3) -> int:
    """Daily beta of the BBB corporate yield (UST 7Y + ICE BofA BBB OAS) on the UST 7Y over the
    trailing ``window_years`` at each year end 1999 .. (OLS with HAC errors, statsmodels)."""
    from data.loaders import par_curve_history_pct
    from models.betas import regress_changes
    from models.risk_params import CORPORATE_BETA_FILE

    src = _third_party() / "ice_bofa_oas_daily_1996_2026.csv"
    if not src.exists():
        print(f"SKIPPED corporate_beta: {src} not present (licensed data)")
        return 0
    oas = pd.read_csv(src, parse_dates=["date"]).set_index("date")["BAMLC0A4CBBB"].dropna()
    ust = par_curve_history_pct()["7Y"].dropna()
    lv = pd.concat({"y": ust + oas, "x": ust}, axis=1, join="inner", sort=True).dropna()
    span = lv.index.to_series().diff().dt.days
    ch = (lv.diff() * 100.0)[span <= 7].dropna()
    rows = []
    for y in range(1999, lv.index[-1].year + 1):
        asof = min(pd.Timestamp(f"{y}-12-31"), lv.index[-1])
        w = ch[(ch.index > asof - pd.DateOffset(years=window_years)) & (ch.index <= asof)]
        b = regress_changes(w["y"], w["x"], sector="BBB", driver="UST_7Y", frequency="daily",
                            source="ICE BBB")
        rows.append({"valid_from": asof.strftime("%Y-%m-%d"), "beta": round(b.beta, 4),
                     "std_err": round(b.std_err, 4), "r_squared": round(b.r_squared, 4),
                     "resid_vol_bp_annual": round(b.resid_vol_bp_annual, 2), "nobs": b.nobs,
                     "start": b.start.strftime("%Y-%m-%d"), "end": b.end.strftime("%Y-%m-%d")})
    out = pd.DataFrame(rows)
    out["source"] = ("UST 7Y par + ICE BofA BBB US Corporate OAS (BAMLC0A4CBBB; ICE Data Indices, "
                     "licensed, not shipped) on UST 7Y par: daily changes, trailing "
                     f"{window_years}y, OLS with HAC errors; benchmarks/estimate_risk_params.py")
    out.to_csv(CORPORATE_BETA_FILE, index=False)
    print(out[["valid_from", "beta", "std_err", "r_squared", "nobs"]].to_string(index=False))
    print(f"wrote {CORPORATE_BETA_FILE.relative_to(REPO)}")
    return 0


# ------------------------------------------------------------------------------ corporate spread
#: The corporate spread estimator shipped (chosen by ``benchmarks/calibrate_risk.py``: out-of-
#: sample QLIKE and bias at the holding period on the benchmark books).
SPREAD_SPEC = {"horizon_days": 21, "halflife": None, "window_years": 5, "cadence": "monthly"}


def oas_levels() -> pd.DataFrame | None:
    """Treasury key-rate par yields and the ICE BofA BBB OAS (``oas``), percent, on common
    dates; None when the licensed OAS file is absent."""
    from data.loaders import par_curve_history_pct

    src = _third_party() / "ice_bofa_oas_daily_1996_2026.csv"
    if not src.exists():
        return None
    oas = pd.read_csv(src, parse_dates=["date"]).set_index("date")["BAMLC0A4CBBB"].dropna()
    return par_curve_history_pct()[KEYS].join(oas.rename("oas"), how="inner")


def _horizon_cov(w: pd.DataFrame, horizon_days: int, halflife: float | None, relative: bool
                 ) -> tuple[np.ndarray, list[str], pd.DataFrame]:
    """Per-day covariance at ``horizon_days`` of the OAS changes (bp, or relative to the previous
    day's level when ``relative``) and the key-rate changes (bp), over the rows of ``w``."""
    from models.risk import estimate_cov_horizon

    gap = w.index.to_series().diff().dt.days
    ch = w.diff() * 100.0
    if relative:   # dS / S: the DTS model's stable quantity (Ben Dor et al. 2007)
        ch["oas"] = w["oas"].diff() / w["oas"].shift(1)
    ch = ch[gap <= 7]
    cols = ["oas"] + [t for t in KEYS if ch[t].notna().mean() > 0.99]
    x = ch[cols].dropna()
    c, _ = estimate_cov_horizon(x.to_numpy(), "ewma" if halflife else "sample", halflife,
                                horizon_days)
    return c, cols, x


def spread_estimate(lv: pd.DataFrame, asof, horizon_days: int = 21,
                    halflife: float | None = None, window_years: int = 3, *,
                    dts: bool = False, blend_weight: float = 0.0,
                    blend_halflife: float | None = None, blend_horizon: int = 5,
                    blend_to_horizon: bool = False) -> dict:
    """The spread factor (``oas`` column of ``lv``, percent) from data on or before ``asof``.

    ``horizon_days`` = 0: month-end changes (x sqrt 12, sample); >= 1: daily changes summed over
    overlapping ``horizon_days`` windows, covariance / horizon x 252 (``models.risk.
    estimate_cov_horizon``; EWMA with ``halflife`` days, else sample), so the variance is the one
    a position held that long earns: daily BBB OAS changes are strongly autocorrelated (lag-1
    ~0.5, 21-day variance ratio ~4, 2005-2025), and x252 of the daily variance understates the
    monthly risk about fourfold. Correlations with the key rates at the same horizon.

    ``dts``: spread vol proportional to the spread level (duration-times-spread, Ben Dor, Dynkin,
    Hyman, Houweling, van Leeuwen and Penninga 2007): the volatility of *relative* changes
    dS/S is estimated as above and multiplied by the level on ``asof``, so the forecast falls
    as spreads tighten and jumps when they widen, without waiting for the window to fill.
    ``blend_weight`` w > 0: variance = (1 - w) x the above + w x an EWMA (``blend_halflife``
    days) of overlapping ``blend_horizon``-day changes (a short, fast estimate shrunk toward the
    long one); correlations from the long estimate. ``blend_to_horizon``: the fast estimate is
    first scaled to ``horizon_days`` by the variance ratio var(h-day) / var(blend-day) of the
    window (same estimator as the long one): the fast EWMA says how volatile spreads are now, the
    long window how much of a 5-day move persists over the holding period (BBB OAS 2000-2025:
    about 1.3x more 21-day than 5-day variance per day), without which the blend forecasts the
    5-day-horizon variance for a book held a month.
    Returns {vol_bp_annual, corr{tenor}, nobs, window}.
    """
    asof = pd.Timestamp(asof)
    w = lv[(lv.index > asof - pd.DateOffset(years=window_years)) & (lv.index <= asof)]
    if horizon_days == 0:
        return _month_end_estimate(w, asof)
    level_bp = float(w["oas"].dropna().iloc[-1]) * 100.0
    scale = level_bp if dts else 1.0
    c, cols, x = _horizon_cov(w, horizon_days, halflife, dts)
    var = float(c[0, 0]) * scale ** 2
    if blend_weight > 0:
        cs, _, _ = _horizon_cov(w, blend_horizon, blend_halflife, dts)
        fast = float(cs[0, 0])
        if blend_to_horizon and blend_horizon != horizon_days:
            cb, _, _ = _horizon_cov(w, blend_horizon, halflife, dts)
            fast *= float(c[0, 0]) / float(cb[0, 0])
        var = (1.0 - blend_weight) * var + blend_weight * fast * scale ** 2
    sd = np.sqrt(np.diag(c))
    corr = {t: float(c[0, j] / (sd[0] * sd[j])) for j, t in enumerate(cols) if j > 0}
    return {"vol_bp_annual": float(np.sqrt(var * 252)), "corr": corr, "nobs": len(x),
            "window": f"{x.index[0]:%Y-%m}..{x.index[-1]:%Y-%m}"}


def _month_end_estimate(w: pd.DataFrame, asof: pd.Timestamp) -> dict:
    """Month-end changes of the window ``w`` (x sqrt 12, sample)."""
    me = w.resample("ME").last()
    ch = (me.diff() * 100.0).dropna(subset=["oas"]).iloc[1:]
    ch = ch[ch.index <= asof]
    vol = float(ch["oas"].std() * np.sqrt(12))
    corr = {t: float(ch["oas"].corr(ch[t])) for t in KEYS if ch[t].notna().sum() > 12}
    return {"vol_bp_annual": vol, "corr": corr, "nobs": len(ch),
            "window": f"{ch.index[0]:%Y-%m}..{ch.index[-1]:%Y-%m}"}


def estimate_dates(last: pd.Timestamp, cadence: str, first_year: int = 1999) -> list:
    """Re-estimation dates: each year end or each month end from ``first_year``, and ``last``."""
    freq = "YE" if cadence == "yearly" else "ME"
    d = [x for x in pd.date_range(f"{first_year}-01-01", last, freq=freq)]
    return d + ([last] if not d or d[-1] < last else [])


def spread_how(kw: dict) -> str:
    """The estimator of ``spread_estimate(**kw)`` in words (the shipped file's provenance)."""
    h, hl = kw["horizon_days"], kw.get("halflife")
    if h == 0:
        return "month-end changes"
    how = (f"overlapping {h}-day changes / {h} x 252, "
           + (f"EWMA half-life {hl:g} days" if hl else "sample"))
    if kw.get("dts"):
        how = ("spread vol proportional to the spread level (DTS, Ben Dor et al. 2007): vol of "
               f"relative changes dS/S from {how}, x the OAS on the estimate date")
    if kw.get("blend_weight"):
        how += (f"; variance blended {1 - kw['blend_weight']:g} : {kw['blend_weight']:g} with "
                f"an EWMA (half-life {kw['blend_halflife']:g} days) of overlapping "
                f"{kw.get('blend_horizon', 5)}-day changes")
        if kw.get("blend_to_horizon"):
            how += (f" scaled to {h} days by the window's variance ratio (var of {h}-day / "
                    f"{kw.get('blend_horizon', 5)}-day changes per day)")
    return how


def estimate_corporate_spread(spec: dict | None = None) -> int:
    """The corporate spread factor for sectors without a history: ICE BofA BBB US Corporate OAS
    with ``SPREAD_SPEC`` (``spread_estimate``), re-estimated at each month end 1999 .."""
    from models.risk_params import CORPORATE_SPREAD_FILE

    spec = dict(SPREAD_SPEC if spec is None else spec)
    lv = oas_levels()
    if lv is None:
        print("SKIPPED corporate_spread: ICE BofA OAS not present (licensed data)")
        return 0
    kw = {k: v for k, v in spec.items() if k not in ("cadence", "rate_driver")}
    driver = spec.get("rate_driver") or ""
    rows = []
    for asof in estimate_dates(lv.index[-1], spec["cadence"]):
        est = spread_estimate(lv, asof, **kw)
        base = {"valid_from": asof.strftime("%Y-%m-%d"), "factor": "Corporate_spread",
                "nobs": est["nobs"], "window": est["window"]}
        rows.append({**base, "other": "", "kind": "vol_bp_annual",
                     "value": round(est["vol_bp_annual"], 2)})
        rows += [{**base, "other": t, "kind": "corr", "value": round(est["corr"].get(t, 0.0), 4)}
                 for t in KEYS]
        if driver:   # the model links the spread to the curve through this rate only
            rows.append({**base, "other": driver, "kind": "rate_driver",
                         "value": round(est["corr"].get(driver, 0.0), 4)})
    out = pd.DataFrame(rows)
    link = (f"; co-movement with the curve through the {driver} par yield only (corr(S, y_i) = "
            f"corr(S, {driver}) x corr({driver}, y_i), models.risk.spread_rate_link)"
            if driver else "")
    out["source"] = ("ICE BofA BBB US Corporate OAS (BAMLC0A4CBBB; ICE Data Indices, licensed, "
                     f"not shipped), {spread_how(kw)}{link}, trailing {kw['window_years']}y, "
                     "re-estimated each "
                     f"{'month' if spec['cadence'] == 'monthly' else 'year'} end; "
                     "benchmarks/estimate_risk_params.py")
    out.to_csv(CORPORATE_SPREAD_FILE, index=False)
    v = out[out["kind"] == "vol_bp_annual"]
    print(v[["valid_from", "value", "nobs"]].tail(24).to_string(index=False))
    print(f"wrote {CORPORATE_SPREAD_FILE.relative_to(REPO)}")
    return 0


# ------------------------------------------------------------------------------ futures residual
RESIDUAL_ROOTS = ("ZT", "ZF", "ZN", "TN", "ZB", "UB")


def model_residuals(root: str, start="2000-01-01", end=None) -> pd.DataFrame:
    """Per month: the sum of the front contract's daily *modelled* price change (CTD-forward, as
    the backtest and the hedge value it; carry out) minus its key-rate-linear change (key-rate
    DV01s on the rebalance date x the par key-rate changes), in bp of yield (/ DV01). Public data
    only (Treasury curve and security master): what a key-rate factor model misses in a futures
    leg -- CTD cash flows between key tenors, convexity, DV01 drift over the month."""
    from data.errors import InputError
    from data.loaders import par_curve_history_pct
    from models.instruments import front_contract, instrument_risk
    from optimizer.workflows.backtest import (
        CurveBook,
        SwapRates,
        key_tenors_on,
        leg_pnl,
        rebalance_dates,
        repo_series,
        treasury_leg,
        valuation_dates,
    )
    from optimizer.workflows.backtest.hedging import _next_leg

    par = par_curve_history_pct() * 100.0
    end = par.index[-1] if end is None else end
    dates = valuation_dates(start, end)
    rd = rebalance_dates(dates)
    curves, swaps = CurveBook(), SwapRates("proxy")
    rows = []
    for k in range(len(rd) - 1):
        d0, d1 = rd[k], rd[k + 1]
        days = dates[(dates >= d0) & (dates <= d1)]
        keys = key_tenors_on(d0)
        try:
            ir = instrument_risk(front_contract(root, d0), d0, keys)
            leg = treasury_leg(ir.contract, d0)
            leg.next = _next_leg(leg, d1)
            lp = leg_pnl(leg, days, curves, repo_series(days), swaps, None)
        except InputError:   # not listed yet / no deliverable issue that month
            continue
        dy = np.nan_to_num(np.diff(par[keys].reindex(days).to_numpy(float), axis=0))
        lin = -dy @ np.array([ir.key_rate_dv01[t] for t in keys])
        r = (lp.model - lp.carry - lin) / ir.dv01_usd
        rows.append({"month": d0, "end": days[-1], "sum_bp": float(r.sum()), "days": len(r)})
    return pd.DataFrame(rows).set_index("month")


def estimate_futures_residual(roots=RESIDUAL_ROOTS, months: int = 36) -> int:
    """``futures_residual.csv``: per root and month end, the volatility (bp of yield per year)
    of ``model_residuals`` from monthly sums over the trailing ``months`` (>= 24), pooled
    variance per day x 252 (the holding-period horizon), and its correlation with every other
    root's monthly sums over the same window (``corr_<root>``; 0.6-0.96 in 2016-2025: curve
    moves between key tenors and repo changes move every CTD alike, so a hedge short several
    contracts carries their residuals added, not diversified)."""
    from models.risk_params import FUTURES_RESIDUAL_FILE

    res = {root: model_residuals(root) for root in roots}
    sums = pd.DataFrame({r: x["sum_bp"] for r, x in res.items()})
    out = []
    for root in roots:
        r = res[root]
        for asof in estimate_dates(r["end"].iloc[-1], "monthly", 2000):
            # whole periods ended on or before the estimate's date: no look-ahead
            w = r[(r["end"] <= asof) & (r.index > asof - pd.DateOffset(months=months))]
            if len(w) < 24:
                continue
            c = sums.loc[w.index[0]:w.index[-1]].corr(min_periods=24)[root]
            out.append({"root": root, "valid_from": asof.strftime("%Y-%m-%d"),
                        "vol_bp_annual": round(float(np.sqrt((w["sum_bp"] ** 2).sum()
                                                             / w["days"].sum() * 252)), 3),
                        "nobs": len(w), "window": f"{w.index[0]:%Y-%m}..{w.index[-1]:%Y-%m}",
                        **{f"corr_{o}": round(float(c.get(o, np.nan)), 4) if o != root else 1.0
                           for o in roots}})
        print(root, {k: v for k, v in out[-1].items() if k != "window"} if out else "none")
    df = pd.DataFrame(out)
    df["source"] = ("modelled front-contract price change (CTD-forward, carry out) minus its "
                    "key-rate-linear change, / DV01, monthly sums, trailing "
                    f"{months} months, correlations across roots over the same months (public "
                    "Treasury curve and security master); benchmarks/estimate_risk_params.py")
    df.to_csv(FUTURES_RESIDUAL_FILE, index=False)
    print(f"wrote {FUTURES_RESIDUAL_FILE.relative_to(REPO)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    what = set(argv or ["swap_spread", "basis", "corporate_beta", "corporate_spread",
                        "futures_residual"])
    if "futures_residual" in what:
        estimate_futures_residual()
    if "corporate_spread" in what:
        estimate_corporate_spread()
    if "corporate_beta" in what:
        estimate_corporate_beta()
    if "swap_spread" in what:
        estimate_swap_spread()
    if "basis" in what:
        estimate_basis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
