"""Regression betas of sector yield changes on hedge drivers (statsmodels OLS, HAC errors).

For each sector and driver, one univariate regression on yield **changes in bp**::

    dy_sector[t] = alpha + beta * dx_driver[t] + e[t]

fitted with ``statsmodels.api.OLS(y, add_constant(x)).fit(cov_type="HAC",
cov_kwds={"maxlags": L})`` where ``L = floor(4 (n/100)^(2/9))`` (Newey–West 1994 rule; see
:func:`newey_west_maxlags`). Nothing else is done to the data: the regression inputs are exactly the
aligned changes returned by :func:`aligned_changes` / :func:`hqm_monthly_changes`.

Drivers: the Treasury par yield at the sector's **duration-matched maturity** (the maturity of a
par bond with the sector's modified duration, :func:`matched_maturity_years`, interpolated on the
par curve; the label says which, e.g. ``UST_7.8Y``) and, when a swap-rate history is supplied,
the swap rate.

Horizon: the changes the hedge is judged on, ``daily`` (default) or ``weekly`` (the last common
observation of each week ending Friday). **Shrinkage toward 1**: the hedge uses
``beta = w * beta_ols + (1 - w) * 1`` with ``w = prior_sd^2 / (prior_sd^2 + se^2)`` (the
posterior mean under a normal prior centred on 1 with dispersion ``BETA_PRIOR_SD``, chosen by
out-of-sample error in ``benchmarks/betas_report.py``); ``beta_ols`` and ``shrink_weight`` are
reported beside it.

Sector yields:
* a user history (percent; daily, weekly or monthly, point-sampled): changes between consecutive
  dates observed in **both** series; a change spanning more than ``max_gap_days`` calendar days
  (7 daily, 14 weekly, 40 monthly) is dropped and reported in ``gaps``;
* no history, corporate sector: the **shipped daily beta** of BBB corporate yields (Treasury 7Y +
  ICE BofA BBB OAS, licensed; estimated walk-forward, numbers only, ``data/risk_params/
  corporate_beta.csv``) valid on the as-of date, shrunk toward 1 (a ``Notice`` says so); before
  its first estimate, the **HQM corporate par yield** (monthly averages) regressed as monthly
  changes on monthly-average Treasury changes, with a ``beta_horizon_mismatch`` notice;
* Treasury sector: beta 1 by definition (``source="definition"``);
* anything else with no history: beta 1 with a ``beta_fallback`` notice (``source="fallback"``).
  No fallback is silent: each carries a :class:`data.errors.Notice` in ``notices``.

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

from data.errors import InputError, Notice
from data.loaders import TENOR_YEARS, par_curve_history_pct, tenor_to_years
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
HORIZONS = ("daily", "weekly")
#: Dispersion of true sector betas around 1 in the shrinkage prior (benchmarks/betas_report.py:
#: the value with the lowest out-of-sample daily error on BBB and Baa corporate yields).
BETA_PRIOR_SD = 0.15


def matched_maturity_years(duration_years: float, yield_dec: float = 0.04) -> float:
    """Maturity (years) of a semiannual par bond with modified duration ``duration_years`` at
    yield ``yield_dec``: D = (1 - v^(2T)) / y with v = 1 / (1 + y/2), so
    T = -ln(1 - D y) / (2 ln(1 + y/2)); capped to [0.25, 30]."""
    d = float(duration_years)
    if not math.isfinite(d) or d < 0:
        raise InputError(f"invalid duration {duration_years} for choosing a driver maturity")
    y = max(float(yield_dec), 1e-4)
    x = 1.0 - d * y
    if x <= 0:
        return 30.0
    return float(min(max(-math.log(x) / (2.0 * math.log1p(y / 2.0)), 0.25), 30.0))


def treasury_par_at(tenor_years: float) -> pd.Series:
    """Treasury par yield history (percent) linearly interpolated at ``tenor_years`` from the
    tenors quoted each day (NaN where fewer than two are); flat beyond the quoted ends, as
    ``np.interp``. Vectorized over days (a per-day ``np.interp`` loop was 40% of a warm hedge)."""
    hist = par_curve_history_pct()
    t_all = np.array([TENOR_YEARS[c] for c in hist.columns])
    order = np.argsort(t_all)
    t, v = t_all[order], hist.to_numpy()[:, order]
    T = float(tenor_years)
    fin = np.isfinite(v)
    n, m = v.shape
    cols = np.arange(m)
    # nearest quoted tenor at or below / at or above T each day; beyond the ends, the end itself
    lo = np.where(fin & (t <= T), cols, -1).max(axis=1)
    hi = np.where(fin & (t >= T), cols, m).min(axis=1)
    lo = np.where(lo < 0, np.where(fin, cols, m).min(axis=1), lo).clip(0, m - 1)
    hi = np.where(hi >= m, np.where(fin, cols, -1).max(axis=1), hi).clip(0, m - 1)
    rows = np.arange(n)
    t_lo, t_hi = t[lo], t[hi]
    span = np.where(t_hi > t_lo, t_hi - t_lo, 1.0)
    w = np.where(t_hi > t_lo, (np.clip(T, t_lo, t_hi) - t_lo) / span, 0.0)
    out = v[rows, lo] + w * (v[rows, hi] - v[rows, lo])
    out = np.where(fin.sum(axis=1) >= 2, out, np.nan)
    return pd.Series(out, index=hist.index, name=f"UST_{tenor_years:g}Y")


def driver_for(duration_years: float, asof) -> tuple[float, pd.Series]:
    """The duration-matched Treasury driver: (maturity years, par yield history at it)."""
    hist = par_curve_history_pct()
    pos = hist.index.searchsorted(pd.Timestamp(asof), side="right") - 1
    row = hist.iloc[max(pos, 0)].dropna()
    t = np.array([TENOR_YEARS[c] for c in row.index])
    y = float(np.interp(max(float(duration_years), 0.25), t, row.to_numpy())) / 100.0
    mat = round(matched_maturity_years(duration_years, y) * 2) / 2   # half-year grid
    return mat, treasury_par_at(mat)


def shrink_toward_one(beta: float, std_err: float, prior_sd: float = BETA_PRIOR_SD
                      ) -> tuple[float, float]:
    """Posterior mean of a beta under a N(1, prior_sd^2) prior and a N(beta, se^2) estimate:
    (shrunk beta, weight on the estimate). No finite estimate: (1, 0)."""
    if not (math.isfinite(beta) and math.isfinite(std_err)):
        return 1.0, 0.0
    if prior_sd <= 0:
        return 1.0, 0.0
    w = prior_sd ** 2 / (prior_sd ** 2 + std_err ** 2) if std_err > 0 else 1.0
    return float(w * beta + (1.0 - w)), float(w)


def at_horizon(levels: pd.DataFrame, horizon: str) -> pd.DataFrame:
    """Levels sampled at the horizon: every common observation (daily) or the last one of each
    week ending Friday (weekly)."""
    if horizon not in HORIZONS:
        raise InputError(f"beta horizon must be daily or weekly, not {horizon!r}",
                         column="horizon")
    if horizon == "daily":
        return levels
    return levels.groupby(levels.index.to_period("W-FRI")).tail(1)


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
    beta_ols: float = float("nan")   # the regression estimate before shrinkage
    shrink_weight: float = 1.0       # weight on beta_ols (1 = no shrinkage)
    notices: list[Notice] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("start", "end"):
            d[k] = None if d[k] is None else pd.Timestamp(d[k]).strftime("%Y-%m-%d")
        d["notices"] = [n.to_dict() for n in self.notices]
        return d

    def shrunk(self, prior_sd: float = BETA_PRIOR_SD) -> BetaResult:
        """This estimate shrunk toward 1 (``beta_ols`` keeps the regression value)."""
        from dataclasses import replace

        b, w = shrink_toward_one(self.beta, self.std_err, prior_sd)
        return replace(self, beta=b, beta_ols=self.beta, shrink_weight=w)


def fit_ols_hac(y: pd.Series, x: pd.Series | pd.DataFrame, maxlags: int | None = None):
    """statsmodels OLS of y on a constant and x with HAC (Newey–West) standard errors."""
    # imported here, narrowly: statsmodels (and the scipy.stats it loads, ~0.4 s) is needed only
    # when a regression runs; a hedge on shipped or unit betas never loads it
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

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
        maxlags=lags, gaps=list(gaps or []), beta_ols=float(res.params["x"]),
    )


def aligned_changes(y_pct: pd.Series, x_pct: pd.Series, *, start=None, end=None,
                    max_gap_days: int | None = None, horizon: str = "daily"
                    ) -> tuple[pd.DataFrame, str, list[dict]]:
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
    if horizon == "weekly" and len(common) >= 3 and infer_frequency(common) == "daily":
        common = at_horizon(pd.DataFrame(index=common, data={"d": 0}), "weekly").index
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
                      warnings=[msg], beta_ols=float("nan"), shrink_weight=0.0,
                      notices=[Notice("beta_fallback", f"{why}; beta set to 1 vs {driver}",
                                      subject=sector)])


def sector_betas(sector: str, duration_years: float, asof=None, window="3y",
                 sector_history: pd.Series | None = None, swap_history: pd.Series | None = None,
                 swap_label: str = "swap_10Y", key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                 min_obs: int = MIN_OBS, maxlags: int | None = None, horizon: str = "daily",
                 prior_sd: float = BETA_PRIOR_SD) -> list[BetaResult]:
    """Betas of one sector's yield changes on its drivers, from data on or before ``asof``.

    Returns one :class:`BetaResult` per driver: the duration-matched Treasury par yield (always
    first) and, if ``swap_history`` is given, the swap rate. ``beta`` is shrunk toward 1
    with dispersion ``prior_sd`` (0 gives beta 1), ``beta_ols`` is the regression.
    A user history shorter than ``min_obs`` changes raises :class:`InputError`; a sector with no
    history and no proxy gets beta 1 with a ``beta_fallback`` notice.
    """
    asof = _to_ts(asof, "asof")
    start, _ = window_bounds(asof, window)
    if horizon not in HORIZONS:
        raise InputError(f"beta horizon must be daily or weekly, not {horizon!r}",
                         column="horizon")
    mat, ust = driver_for(duration_years, asof)
    ust_name = ust.name
    if is_treasury_sector(sector):
        return [BetaResult(sector=sector, driver=ust_name, beta=1.0, std_err=0.0,
                           t=float("inf"), r_squared=1.0, resid_vol_bp=0.0,
                           resid_vol_bp_annual=0.0, nobs=0, start=None, end=None,
                           frequency="n/a", source="definition", maxlags=None,
                           cov_type="none", beta_ols=1.0)]
    if sector_history is not None:
        return _user_history_betas(sector, sector_history, swap_history, swap_label, ust,
                                   start, asof, horizon, min_obs, maxlags, prior_sd)
    if is_corporate_sector(sector):
        prior = corporate_beta_prior(asof)
        if prior is not None:
            return [_shipped_beta(sector, ust_name, prior, prior_sd)]
        return _hqm_betas(sector, duration_years, key_tenors, ust_name, start, asof,
                          swap_history, swap_label, min_obs, maxlags, prior_sd)
    return [_fallback(sector, ust_name, "no yield history supplied and no public proxy")]


def _user_history_betas(sector, sector_history, swap_history, swap_label, ust, start, asof,
                        horizon, min_obs, maxlags, prior_sd) -> list[BetaResult]:
    y = sector_history.rename(sector)
    src = (f"user history '{sector_history.name}' vs UST par at the duration-matched maturity "
           f"({ust.name}, bundled curve)")
    ch, freq, gaps = aligned_changes(y, ust, start=start, end=asof, horizon=horizon)
    out = [regress_changes(ch["y"], ch["x"], sector=sector, driver=str(ust.name),
                           frequency=freq, source=src, min_obs=min_obs, maxlags=maxlags,
                           gaps=gaps).shrunk(prior_sd)]
    if gaps:
        out[-1].warnings.append(f"{len(gaps)} gap(s) in the common dates; changes across "
                                "them were dropped")
    if swap_history is not None:
        ch, freq, gaps = aligned_changes(y, swap_history.rename(swap_label), start=start,
                                         end=asof, horizon=horizon)
        out.append(regress_changes(
            ch["y"], ch["x"], sector=sector, driver=swap_label, frequency=freq,
            source=f"user history '{sector_history.name}' vs user swap history",
            min_obs=min_obs, maxlags=maxlags, gaps=gaps).shrunk(prior_sd))
    return out


def _shipped_beta(sector: str, driver: str, prior: dict, prior_sd: float) -> BetaResult:
    b = BetaResult(
        sector=sector, driver=driver, beta=prior["beta"], std_err=prior["std_err"],
        t=prior["beta"] / prior["std_err"], r_squared=prior["r_squared"],
        resid_vol_bp=prior["resid_vol_bp_annual"] / math.sqrt(252),
        resid_vol_bp_annual=prior["resid_vol_bp_annual"], nobs=int(prior["nobs"]),
        start=pd.Timestamp(prior["start"]), end=pd.Timestamp(prior["end"]), frequency="daily",
        source=prior["source"], cov_type="HAC", beta_ols=prior["beta"]).shrunk(prior_sd)
    b.notices.append(Notice(
        "beta_shipped_estimate", f"no yield history for {sector}: daily beta of BBB corporate "
        f"yields on the 7-year Treasury estimated {prior['start']}..{prior['end']} (licensed "
        "ICE BofA data, parameter shipped), shrunk toward 1; pass --history for your sector's "
        "own", subject=sector, severity="info"))
    return b


def _hqm_betas(sector, duration_years, key_tenors, ust_name, start, asof, swap_history,
               swap_label, min_obs, maxlags, prior_sd) -> list[BetaResult]:
    """Before the first shipped estimate: HQM monthly averages (a horizon mismatch, said)."""
    tenor = nearest_key_tenor(duration_years, key_tenors)
    hqm_t = hqm_par_tenor_for(float(duration_years))
    ch, label = hqm_monthly_changes(hqm_t, tenor, start, asof, swap_history, min_obs)
    if len(ch) < min_obs and hqm_t != 10.0:
        ch10, label10 = hqm_monthly_changes(10.0, tenor, start, asof, swap_history, min_obs)
        if len(ch10) > len(ch):
            ch, label = ch10, label10
    if len(ch) < min_obs:
        return [_fallback(sector, ust_name, f"only {len(ch)} monthly HQM changes in the window "
                          f"ending {asof.date()} (need >= {min_obs})")]
    src = (f"{label} (US Treasury HQM, monthly averages) vs monthly-average UST par {tenor}: "
           "monthly changes")
    b = regress_changes(ch["y"], ch["ust"], sector=sector, driver=f"UST_{tenor}",
                        frequency="monthly", source=src, averaged=True, min_obs=min_obs,
                        maxlags=maxlags).shrunk(prior_sd)
    b.notices.append(Notice(
        "beta_horizon_mismatch", "beta from monthly averages of the HQM curve (no daily "
        "corporate history before the first shipped estimate): the hedge is judged on daily "
        "changes, where corporate betas are higher; shrunk toward 1", subject=sector))
    out = [b]
    if swap_history is not None:
        sw = ch[["y", "swap"]].dropna()
        out.append(regress_changes(
            sw["y"], sw["swap"], sector=sector, driver=swap_label, frequency="monthly",
            source=f"{label} vs monthly-average user swap history: monthly changes",
            averaged=True, min_obs=min_obs, maxlags=maxlags).shrunk(prior_sd))
    return out


def corporate_beta_prior(asof) -> dict | None:
    """The shipped daily BBB corporate beta valid on ``asof`` (None before the first one)."""
    from models.risk_params import corporate_beta

    return corporate_beta(asof)


def oos_beta_errors(y_bp: pd.Series, x_bp: pd.Series, window: int, step: int,
                    prior_sd: float = BETA_PRIOR_SD) -> pd.DataFrame:
    """Walk-forward out-of-sample error of betas (bp per observation).

    Every ``step`` observations: fit OLS on the previous ``window`` changes only, then predict the
    next ``step`` changes of y from x. Rows: per test observation, the error y - b x of the OLS
    beta (``ols``), the shrunk beta (``shrunk``), beta 1 (``one``) and beta 0 (``zero``: y's own
    variation). Summaries: RMSE per column; ratio to ``one``.
    """
    df = pd.concat([y_bp.rename("y"), x_bp.rename("x")], axis=1).dropna()
    rows = []
    for stop in range(window, len(df) - 1, step):
        w = df.iloc[stop - window: stop]
        res, _ = fit_ols_hac(w["y"], w["x"])
        b, se = float(res.params["x"]), float(res.bse["x"])
        bs, _ = shrink_toward_one(b, se, prior_sd)
        t = df.iloc[stop: stop + step]
        rows.append(pd.DataFrame({"ols": t["y"] - b * t["x"], "shrunk": t["y"] - bs * t["x"],
                                  "one": t["y"] - t["x"], "zero": t["y"], "beta_ols": b,
                                  "beta_se": se, "beta_shrunk": bs}, index=t.index))
    return pd.concat(rows) if rows else pd.DataFrame()


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
