"""Regression betas of sector yield changes on hedge drivers (statsmodels OLS, HAC errors).

For each sector and driver, one univariate regression on yield **changes in bp**::

    dy_sector[t] = alpha + beta * dx_driver[t] + e[t]

fitted with ``statsmodels.api.OLS(y, add_constant(x)).fit(cov_type="HAC",
cov_kwds={"maxlags": L})`` where ``L = floor(4 (n/100)^(2/9))`` (Newey–West 1994 rule; see
:func:`newey_west_maxlags`). Nothing else is done to the data: the regression inputs are exactly the
aligned changes returned by :func:`aligned_changes` / :func:`hqm_monthly_changes`.

Drivers: the Treasury par yield at the sector's duration-matched key tenor
(:func:`nearest_key_tenor`) and, when a swap-rate history is supplied, the swap rate.

Sector yields:
* a user history (percent; daily, weekly or monthly, point-sampled): changes between consecutive
  dates observed in **both** series; a change spanning more than ``max_gap_days`` calendar days
  (7 daily, 14 weekly, 40 monthly) is dropped and reported in ``gaps``;
* no history, corporate sector: the **HQM corporate par yield** at the HQM tenor nearest the
  duration (2/5/10/30y; monthly averages), regressed as monthly changes on monthly-average Treasury
  changes (``frequency="monthly"``, ``source`` says HQM);
* Treasury sector: beta 1 by definition (``source="definition"``);
* anything else with no history: beta 1 with a warning (``source="fallback"``).

Residual volatility: ``resid_vol_bp`` = sqrt(SSR / (n - 2)) per period (statsmodels ``scale``);
``resid_vol_bp_annual`` = that x sqrt(periods per year) (252 daily, 52 weekly, 12 monthly), and for
monthly **averages** also x sqrt(1.5) (Working 1960 averaging bias, as in ``models.risk``).
Betas themselves are unaffected by the averaging factor.

Beta-adjusted DV01 = beta x DV01; residual (unhedgeable-by-rates) variance
``resid_var_usd2 = (DV01_usd x resid_vol_bp_annual)²`` — the optimizer adds it to tracking error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

# the narrow imports: statsmodels.api pulls in graphics/tsa (~3 s at start-up)
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from data.errors import InputError
from data.loaders import par_curve_history_pct, tenor_to_years
from models.risk import (
    DEFAULT_KEY_TENORS,
    PERIODS_PER_YEAR,
    WORKING_CORRECTION,
    _to_ts,
    find_gaps,
    hqm_monthly_pct,
    hqm_par_tenor_for,
    infer_frequency,
    is_corporate_sector,
    is_treasury_sector,
    month_end_ok,
    monthly_average_pct,
    monthly_changes_bp,
    window_bounds,
)

MIN_OBS = 24
MAX_GAP_DAYS = {"daily": 7, "weekly": 14, "monthly": 40}


def newey_west_maxlags(n: int) -> int:
    """HAC lag truncation floor(4 (n/100)^(2/9)) (Newey and West 1994)."""
    return int(math.floor(4.0 * (max(n, 1) / 100.0) ** (2.0 / 9.0)))


def nearest_key_tenor(duration_years: float, key_tenors: Sequence[str] = DEFAULT_KEY_TENORS) -> str:
    """The key tenor closest in years to a (modified) duration; ties go to the shorter tenor."""
    if duration_years is None or not math.isfinite(float(duration_years)) or duration_years < 0:
        raise InputError(f"invalid duration {duration_years} for choosing a key tenor")
    return min(key_tenors, key=lambda t: (abs(tenor_to_years(t) - float(duration_years)),
                                          tenor_to_years(t)))


@dataclass
class BetaResult:
    sector: str
    driver: str
    beta: float
    std_err: float
    t: float
    r_squared: float
    resid_vol_bp: float            # per period
    resid_vol_bp_annual: float
    nobs: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    frequency: str
    source: str
    alpha_bp: float = 0.0
    maxlags: int | None = None
    cov_type: str = "HAC"
    warnings: list[str] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("start", "end"):
            d[k] = None if d[k] is None else pd.Timestamp(d[k]).strftime("%Y-%m-%d")
        return d


def fit_ols_hac(y: pd.Series, x: pd.Series | pd.DataFrame, maxlags: int | None = None):
    """statsmodels OLS of y on a constant and x with HAC (Newey–West) standard errors."""
    n = len(y)
    lags = newey_west_maxlags(n) if maxlags is None else int(maxlags)
    X = add_constant(x, has_constant="add")
    return OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags}), lags


def regress_changes(y_bp: pd.Series, x_bp: pd.Series, *, sector: str, driver: str,
                    frequency: str, source: str, averaged: bool = False,
                    min_obs: int = MIN_OBS, maxlags: int | None = None,
                    gaps: list[dict] | None = None) -> BetaResult:
    """Fit one beta on already-aligned changes (same index, no NaN)."""
    df = pd.concat([y_bp.rename("y"), x_bp.rename("x")], axis=1)
    if df.isna().any().any():
        raise ValueError("regress_changes needs aligned changes without NaN")
    n = len(df)
    if n < min_obs:
        raise InputError(f"only {n} {frequency} observations of {sector} vs {driver} "
                         f"(need >= {min_obs})", column=sector)
    if float(df["x"].var()) == 0.0:
        raise InputError(f"driver {driver} does not move in the window", column=sector)
    res, lags = fit_ols_hac(df["y"], df["x"], maxlags)
    ppy = PERIODS_PER_YEAR[frequency] * (WORKING_CORRECTION if averaged else 1.0)
    rv = float(np.sqrt(res.scale))
    return BetaResult(
        sector=sector, driver=driver, beta=float(res.params["x"]), std_err=float(res.bse["x"]),
        t=float(res.tvalues["x"]), r_squared=float(res.rsquared), resid_vol_bp=rv,
        resid_vol_bp_annual=rv * math.sqrt(ppy), nobs=int(res.nobs), start=df.index[0],
        end=df.index[-1], frequency=frequency, source=source, alpha_bp=float(res.params["const"]),
        maxlags=lags, gaps=list(gaps or []),
    )


def aligned_changes(y_pct: pd.Series, x_pct: pd.Series, *, start=None, end=None,
                    max_gap_days: int | None = None) -> tuple[pd.DataFrame, str, list[dict]]:
    """Changes (bp) of two point-sampled level series on their common observed dates.

    Returns (DataFrame[y, x], frequency, gaps). Changes are between consecutive common dates; one
    spanning more than ``max_gap_days`` (default by frequency) is dropped and listed in ``gaps``.
    """
    y = y_pct.dropna()
    x = x_pct.dropna()
    if end is not None:
        y, x = y[y.index <= end], x[x.index <= end]
    if start is not None:
        y, x = y[y.index >= start], x[x.index >= start]
    common = y.index.intersection(x.index).sort_values()
    if len(common) < 3:
        raise InputError(f"{y_pct.name} and {x_pct.name} have {len(common)} common dates in the "
                         "window", column=str(y_pct.name))
    freq = infer_frequency(common)
    mg = MAX_GAP_DAYS[freq] if max_gap_days is None else max_gap_days
    lv = pd.DataFrame({"y": y.loc[common], "x": x.loc[common]})
    span = lv.index.to_series().diff().dt.days
    ch = (lv.diff() * 100.0)[span <= mg].dropna()
    return ch, freq, find_gaps(common, mg)


def hqm_monthly_changes(hqm_tenor: float, ust_tenor: str, start, asof,
                        swap_history: pd.Series | None = None, min_obs: int = MIN_OBS
                        ) -> tuple[pd.DataFrame, str]:
    """Monthly changes (bp) of HQM par (monthly averages) and monthly-average UST (and swap).

    The ``swap`` column is NaN in months where the swap history has no complete average.

    Only months whose average is complete on or before ``asof`` and that start on or after
    ``start`` are used. Returns (DataFrame[y, ust(, swap)], HQM series label).
    """
    hqm, label = hqm_monthly_pct(hqm_tenor, start, asof, min_obs=min_obs + 1)
    daily = par_curve_history_pct()[[ust_tenor]].loc[:asof]
    if swap_history is not None:
        daily = daily.join(swap_history.rename("swap"), how="outer").loc[:asof]
    if start is not None:
        daily = daily.loc[start:]
    m = monthly_average_pct(daily)
    m = m[month_end_ok(m.index, asof)]
    m = m.rename(columns={ust_tenor: "ust"}).join(hqm.rename("y"), how="inner")
    ch = monthly_changes_bp(m[["y", "ust"]])
    if swap_history is not None:
        ch = ch.join(monthly_changes_bp(m[["y", "swap"]])["swap"], how="left")
    return ch, label


def _fallback(sector: str, driver: str, why: str, source: str = "fallback") -> BetaResult:
    msg = f"{sector}: {why}; beta set to 1 vs {driver} (assumes 1:1 moves with Treasuries)"
    warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return BetaResult(sector=sector, driver=driver, beta=1.0, std_err=float("nan"),
                      t=float("nan"), r_squared=float("nan"), resid_vol_bp=float("nan"),
                      resid_vol_bp_annual=float("nan"), nobs=0, start=None, end=None,
                      frequency="n/a", source=source, maxlags=None, cov_type="none",
                      warnings=[msg])


def sector_betas(sector: str, duration_years: float, asof=None, window="3y",
                 sector_history: pd.Series | None = None, swap_history: pd.Series | None = None,
                 swap_label: str = "swap_10Y", key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                 min_obs: int = MIN_OBS, maxlags: int | None = None) -> list[BetaResult]:
    """Betas of one sector's yield changes on its drivers, from data on or before ``asof``.

    Returns one :class:`BetaResult` per driver: the Treasury key tenor nearest ``duration_years``
    (always first) and, if ``swap_history`` is given, the swap rate. A user history shorter than
    ``min_obs`` changes raises :class:`InputError`; a missing driver gives a flagged beta-1 fallback.
    """
    asof = _to_ts(asof, "asof")
    start, _ = window_bounds(asof, window)
    tenor = nearest_key_tenor(duration_years, key_tenors)
    ust_name = f"UST_{tenor}"
    if is_treasury_sector(sector):
        return [BetaResult(sector=sector, driver=ust_name, beta=1.0, std_err=0.0,
                           t=float("inf"), r_squared=1.0, resid_vol_bp=0.0,
                           resid_vol_bp_annual=0.0, nobs=0, start=None, end=None,
                           frequency="n/a", source="definition", maxlags=None,
                           cov_type="none")]
    ust = par_curve_history_pct()[tenor].rename(ust_name)
    out: list[BetaResult] = []
    if sector_history is not None:
        y = sector_history.rename(sector)
        src = f"user history '{sector_history.name}' vs UST par {tenor} (bundled)"
        ch, freq, gaps = aligned_changes(y, ust, start=start, end=asof)
        out.append(regress_changes(ch["y"], ch["x"], sector=sector, driver=ust_name,
                                   frequency=freq, source=src, min_obs=min_obs, maxlags=maxlags,
                                   gaps=gaps))
        if gaps:
            out[-1].warnings.append(f"{len(gaps)} gap(s) in the common dates; changes across "
                                    "them were dropped")
        if swap_history is not None:
            ch, freq, gaps = aligned_changes(y, swap_history.rename(swap_label), start=start,
                                             end=asof)
            out.append(regress_changes(
                ch["y"], ch["x"], sector=sector, driver=swap_label, frequency=freq,
                source=f"user history '{sector_history.name}' vs user swap history",
                min_obs=min_obs, maxlags=maxlags, gaps=gaps))
        return out
    if is_corporate_sector(sector):
        hqm_t = hqm_par_tenor_for(float(duration_years))
        ch, label = hqm_monthly_changes(hqm_t, tenor, start, asof, swap_history, min_obs)
        note = None
        if len(ch) < min_obs and hqm_t != 10.0:
            ch10, label10 = hqm_monthly_changes(10.0, tenor, start, asof, swap_history, min_obs)
            if len(ch10) > len(ch):
                note = (f"HQM par {hqm_t:g}y has only {len(ch)} monthly changes in the window "
                        f"(the par curve ends 2023-11); used {label10} instead")
                ch, label = ch10, label10
        if len(ch) < min_obs:
            return [_fallback(sector, ust_name,
                              f"only {len(ch)} monthly HQM changes in the window ending "
                              f"{asof.date()} (need >= {min_obs})")]
        src = (f"{label} (US Treasury HQM, monthly averages) vs monthly-average UST par {tenor}: "
               "monthly changes")
        out.append(regress_changes(ch["y"], ch["ust"], sector=sector, driver=ust_name,
                                   frequency="monthly", source=src, averaged=True,
                                   min_obs=min_obs, maxlags=maxlags))
        if note:
            out[-1].warnings.append(note)
        if swap_history is not None:
            sw = ch[["y", "swap"]].dropna()
            out.append(regress_changes(
                sw["y"], sw["swap"], sector=sector, driver=swap_label, frequency="monthly",
                source=f"{label} vs monthly-average user swap history: monthly changes",
                averaged=True, min_obs=min_obs, maxlags=maxlags))
        return out
    return [_fallback(sector, ust_name, "no yield history supplied and no public proxy")]


def rolling_betas(y_bp: pd.Series, x_bp: pd.Series, window: int, step: int = 1,
                  maxlags: int | None = None) -> pd.DataFrame:
    """Rolling OLS-HAC betas over ``window`` observations every ``step`` observations.

    Rows: end (date of the last observation), start, beta, std_err, t, r_squared, resid_vol_bp,
    nobs, maxlags. Only past observations enter each row (usable walk-forward).
    """
    df = pd.concat([y_bp.rename("y"), x_bp.rename("x")], axis=1).dropna()
    if window < 3 or step < 1:
        raise InputError("rolling window must be >= 3 observations and step >= 1")
    rows = []
    for stop in range(window, len(df) + 1, step):
        w = df.iloc[stop - window: stop]
        res, lags = fit_ols_hac(w["y"], w["x"], maxlags)
        rows.append({"end": w.index[-1], "start": w.index[0], "beta": res.params["x"],
                     "std_err": res.bse["x"], "t": res.tvalues["x"],
                     "r_squared": res.rsquared, "resid_vol_bp": float(np.sqrt(res.scale)),
                     "nobs": int(res.nobs), "maxlags": lags})
    return pd.DataFrame(rows)


def beta_adjusted_dv01(dv01_usd: float, beta: float) -> float:
    """Empirical rate sensitivity: beta x DV01 (USD per bp fall in the driver)."""
    return float(beta) * float(dv01_usd)


def resid_var_usd2(dv01_usd: float, resid_vol_bp_annual: float) -> float:
    """Annual residual (unhedgeable-by-rates) variance in USD²: (DV01 x resid vol bp/yr)²."""
    if resid_vol_bp_annual is None or not math.isfinite(float(resid_vol_bp_annual)):
        return 0.0 if float(dv01_usd) == 0 else float("nan")
    return (float(dv01_usd) * float(resid_vol_bp_annual)) ** 2
