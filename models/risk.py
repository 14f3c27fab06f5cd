"""Risk model: factor history and annualized covariance of factor changes (bp², SPEC §5).

Factors
-------
* Treasury key-rate par yields, named by tenor label (``"2Y"``, ``"10Y"``, ...; default
  :data:`DEFAULT_KEY_TENORS`, 3M/6M/1Y available). Daily changes in **bp** from the bundled
  Treasury par curve (``data.loaders.par_curve_history_pct``).
* ``"swap_spread"``: swap rate minus the Treasury par yield at the swap's tenor, from a
  user-supplied swap-rate history (percent).
* ``"<Sector>_spread"`` per non-Treasury sector: sector yield minus the Treasury par yield at the
  sector's tenor, from a user-supplied yield history (percent). With no history for an
  investment-grade corporate sector, the **HQM corporate par curve** (US Treasury, monthly
  averages) stands in: ``HQM par(tenor) - monthly average UST par(tenor)``, at **monthly**
  frequency; ``source_by_factor`` / ``frequency_by_factor`` say so.

Changes and gaps
----------------
Daily changes are taken between **consecutive observed rows** of the curve file (a Friday ->
Tuesday change across a Monday holiday is one observation; nothing is forward-filled). A change is
dropped when any factor's level is missing on either side (e.g. 30Y in 2002-2006, 20Y before
1993-10): all daily factors are aligned on the common set of change dates. User histories are
aligned with the curve on common dates; a change spanning more than ``max_gap_days`` calendar days
(default 7) is dropped and reported as a gap.

Mixed frequencies
-----------------
The daily block (rate factors and daily spread factors) is estimated from daily changes and
annualized x252. A lower-frequency factor (HQM: monthly averages; a user's weekly/monthly series:
point-sampled at its own dates) gets its variance **and its covariances with every daily factor**
from changes at its own frequency, the daily factors being aggregated to the same periods (monthly
averages for HQM, values on the series' own dates otherwise), annualized x12 (monthly) / x52
(weekly). Changes of *monthly averages* understate the variance of a random walk by a factor
(2n²+1)/(3n²) ~ 2/3 (Working 1960); moments estimated from monthly-average changes are multiplied by
``WORKING_CORRECTION`` = 1.5 so they are on the same (point-sampled) scale as the daily block
(``working_correction=False`` turns this off; the model's ``notes`` record it). The assembled matrix
is checked for PSD and repaired by eigenvalue clipping with a warning if needed.

No look-ahead: only observations dated on or before ``asof`` are used; a monthly average is used
only if its whole month ends on or before ``asof``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.csvio import read_user_csv
from data.errors import InputError
from data.loaders import hqm_par_monthly_pct, hqm_spot_monthly_pct, par_curve_history_pct

DEFAULT_KEY_TENORS: tuple[str, ...] = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")
AVAILABLE_KEY_TENORS: tuple[str, ...] = ("3M", "6M", "1Y", "2Y", "3Y", "5Y", "7Y", "10Y", "20Y",
                                         "30Y")
PERIODS_PER_YEAR: dict[str, int] = {"daily": 252, "weekly": 52, "monthly": 12}
#: Multiplier for variances/covariances of changes of monthly averages (Working 1960: ~2/3 bias).
WORKING_CORRECTION = 1.5
#: Sectors treated as Treasuries (beta 1 and no spread factor).
#: the one sector classification (hedge, risk model, betas, scenarios, backtest)
TREASURY_SECTORS = frozenset({"treasury", "treasuries", "ust", "us treasury", "u.s. treasury",
                              "govt", "government"})
HQM_PAR_TENORS = (2.0, 5.0, 10.0, 30.0)

_SOURCE_UST = "US Treasury daily par yield curve (bundled, public domain)"
_SOURCE_HQM = ("US Treasury HQM corporate yield curve, monthly averages (bundled, public domain), "
               "minus monthly-average UST par")


def is_treasury_sector(sector: str) -> bool:
    return str(sector).strip().lower() in TREASURY_SECTORS


def is_corporate_sector(sector: str) -> bool:
    s = str(sector).strip().lower()
    return s.startswith("corp") or s in {"ig", "ig corporate", "credit", "investment grade"}


# ---------------------------------------------------------------------------------------------
# windows and user histories
# ---------------------------------------------------------------------------------------------

def parse_window(window: str | pd.DateOffset | None) -> pd.DateOffset | None:
    """'3y' -> 3 years, '18m' -> 18 months, '90d' -> 90 calendar days, 'all'/None -> no limit."""
    if window is None or isinstance(window, pd.DateOffset):
        return window
    s = str(window).strip().lower()
    if s in {"all", "max", ""}:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([ymwd])", s)
    if not m:
        raise InputError(f"unknown window '{window}' (expected e.g. 3y, 18m, 26w, 90d or all)",
                         column="window")
    n, unit = float(m.group(1)), m.group(2)
    if n <= 0:
        raise InputError(f"window must be positive, got '{window}'", column="window")
    if unit == "y":
        return pd.DateOffset(months=round(12 * n))
    if unit == "m":
        return pd.DateOffset(months=round(n))
    if unit == "w":
        return pd.DateOffset(weeks=round(n))
    return pd.DateOffset(days=round(n))


def window_bounds(asof, window) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    end = _to_ts(asof, "asof")
    off = parse_window(window)
    return (None if off is None else end - off), end


def _to_ts(value, what: str) -> pd.Timestamp:
    if value is None:
        return par_curve_history_pct().index[-1]
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(f"unparseable {what} '{value}' (expected YYYY-MM-DD)") from exc


def load_history_csv(path: str | Path) -> pd.DataFrame:
    """A user history file: ``date`` + one column per series, values in **percent**.

    Returns a float DataFrame (index = normalized dates, ascending; blank cells = NaN = no
    observation). Raises :class:`InputError` naming file, row (header = row 1) and column for: a
    missing/empty file, no ``date`` column, an unparseable or duplicate date, a non-numeric value, a
    column that is entirely blank, and a column whose values look like decimals (all |x| < 0.25) or
    basis points (max |x| > 30) instead of percent.
    """
    f = str(path)
    raw = read_user_csv(path, "history file", lower=False, allow_empty=True)
    cols = list(raw.columns)
    if "date" not in [c.lower() for c in cols]:
        raise InputError("no 'date' column (expected date,<series>...)", file=f, row=1)
    date_col = next(c for c in cols if c.lower() == "date")
    series_cols = [c for c in cols if c != date_col]
    if not series_cols:
        raise InputError("no series columns besides 'date'", file=f, row=1)
    if raw.empty:
        raise InputError("empty file (no data rows)", file=f, row=2)
    dates = []
    for i, v in enumerate(raw[date_col].tolist()):
        try:
            if not str(v).strip():
                raise ValueError
            dates.append(pd.Timestamp(str(v).strip()).normalize())
        except (ValueError, TypeError) as exc:
            raise InputError(f"unparseable date '{v}' (expected YYYY-MM-DD)", file=f, row=i + 2,
                             column=date_col) from exc
    idx = pd.DatetimeIndex(dates)
    dup = idx.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"duplicate date {idx[i].date()}", file=f, row=i + 2, column=date_col)
    out = {}
    for c in series_cols:
        vals = np.full(len(raw), np.nan)
        for i, v in enumerate(raw[c].tolist()):
            s = str(v).strip()
            if s == "" or s == ".":
                continue
            try:
                vals[i] = float(s)
            except ValueError as exc:
                raise InputError(f"non-numeric value '{v}'", file=f, row=i + 2, column=c) from exc
            if not math.isfinite(vals[i]):
                raise InputError(f"non-finite value '{v}'", file=f, row=i + 2, column=c)
        obs = vals[~np.isnan(vals)]
        if obs.size == 0:
            raise InputError("column has no values", file=f, column=c)
        if np.max(np.abs(obs)) > 30:
            i = int(np.flatnonzero(np.abs(np.nan_to_num(vals)) > 30)[0])
            raise InputError(f"value {vals[i]} looks like basis points; histories must be in "
                             "percent (4.55 = 4.55%)", file=f, row=i + 2, column=c)
        if obs.size >= 5 and np.max(np.abs(obs)) < 0.25:
            raise InputError("all values are below 0.25 in absolute value: looks like decimals; "
                             "histories must be in percent (4.55 = 4.55%)", file=f, column=c)
        out[c] = vals
    df = pd.DataFrame(out, index=idx).sort_index()
    df.index.name = "date"
    df.attrs["file"] = f
    return df


def infer_frequency(index: pd.DatetimeIndex) -> str:
    """'daily' | 'weekly' | 'monthly' from the median spacing of observation dates."""
    if len(index) < 3:
        raise InputError("too few observations to infer the frequency of a history")
    gap = float(np.median(np.diff(index.values).astype("timedelta64[D]").astype(float)))
    if gap <= 4:
        return "daily"
    if gap <= 10:
        return "weekly"
    if gap <= 35:
        return "monthly"
    raise InputError(f"history has a median spacing of {gap:.0f} days; daily, weekly or monthly "
                     "series are supported")


# ---------------------------------------------------------------------------------------------
# factor history
# ---------------------------------------------------------------------------------------------

def _check_tenors(key_tenors: Iterable[str]) -> list[str]:
    tenors = [str(t).strip().upper() for t in key_tenors]
    bad = [t for t in tenors if t not in AVAILABLE_KEY_TENORS]
    if bad:
        raise InputError(f"unknown key tenor(s) {bad}; available: {', '.join(AVAILABLE_KEY_TENORS)}")
    if len(set(tenors)) != len(tenors):
        raise InputError(f"duplicate key tenors in {tenors}")
    return tenors


def treasury_levels_pct(key_tenors=DEFAULT_KEY_TENORS, start=None, end=None) -> pd.DataFrame:
    """Treasury par yields (percent) for the key tenors, rows = observed dates within [start, end]."""
    tenors = _check_tenors(key_tenors)
    hist = par_curve_history_pct()[tenors]
    if end is not None:
        hist = hist.loc[: pd.Timestamp(end)]
    if start is not None:
        hist = hist.loc[pd.Timestamp(start):]
    return hist.dropna(how="all")


def level_changes_bp(levels_pct: pd.DataFrame, max_gap_days: int | None = None) -> pd.DataFrame:
    """bp changes between consecutive rows; rows with any side missing are dropped.

    A change is dated at its later observation. With ``max_gap_days``, changes spanning more
    calendar days than that are dropped too.
    """
    lv = levels_pct.sort_index()
    d = lv.diff() * 100.0
    d = d.iloc[1:]
    if max_gap_days is not None:
        span = lv.index.to_series().diff().dt.days.iloc[1:]
        d = d[span.values <= max_gap_days]
    return d.dropna(how="any")


def key_rate_changes_bp(key_tenors=DEFAULT_KEY_TENORS, start=None, end=None) -> pd.DataFrame:
    """Daily bp changes of the key-rate Treasury par yields, on common observed dates.

    Changes are between consecutive observed curve dates (holidays are not forward-filled); a
    change is dropped if any tenor is missing on either side.
    """
    return level_changes_bp(treasury_levels_pct(key_tenors, start, end))


def find_gaps(index: pd.DatetimeIndex, max_gap_days: int) -> list[dict]:
    """Spans between consecutive observations longer than ``max_gap_days`` calendar days."""
    idx = pd.DatetimeIndex(index).sort_values()
    out = []
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        days = (b - a).days
        if days > max_gap_days:
            out.append({"from": a.strftime("%Y-%m-%d"), "to": b.strftime("%Y-%m-%d"), "days": days})
    return out


def month_end_ok(month_start: pd.DatetimeIndex, asof: pd.Timestamp) -> np.ndarray:
    """Months whose last calendar day is on or before ``asof`` (a monthly average is known)."""
    ends = month_start + pd.offsets.MonthEnd(0)
    return np.asarray(ends <= asof)


def monthly_average_pct(daily_pct: pd.DataFrame | pd.Series, min_days: int = 10):
    """Calendar-month averages of daily observations, indexed by the month's first day (FRED).

    Months with fewer than ``min_days`` observations are blank.
    """
    per = daily_pct.index.to_period("M")
    g = daily_pct.groupby(per)
    avg = g.mean()
    cnt = g.count()
    avg = avg.where(cnt >= min_days)
    avg.index = avg.index.to_timestamp(how="start")
    return avg


def monthly_changes_bp(monthly_pct: pd.DataFrame) -> pd.DataFrame:
    """bp changes between consecutive calendar months (a change across a missing month is dropped)."""
    lv = monthly_pct.sort_index()
    d = lv.diff() * 100.0
    consecutive = (lv.index.to_period("M").asi8[1:] - lv.index.to_period("M").asi8[:-1]) == 1
    d = d.iloc[1:][consecutive]
    return d.dropna(how="any")


def hqm_par_tenor_for(years: float) -> float:
    return min(HQM_PAR_TENORS, key=lambda t: (abs(t - years), t))


def hqm_monthly_pct(tenor_years: float, start=None, asof=None, min_obs: int = 0) -> tuple[pd.Series, str]:
    """HQM corporate yield (percent, monthly averages) at a par tenor, only months ended by asof.

    Uses the HQM **par** curve; if it has fewer than ``min_obs`` months in the window (it ends
    2023-11) and the tenor is 10y, the HQM 10y **spot** series (extended to 2026) is used instead;
    the returned label says which.
    """
    asof = _to_ts(asof, "asof")

    def _cut(s: pd.Series) -> pd.Series:
        s = s.dropna()
        s = s[month_end_ok(s.index, asof)]
        if start is not None:
            s = s[s.index >= pd.Timestamp(start)]
        return s

    par = _cut(hqm_par_monthly_pct()[float(tenor_years)])
    label = f"HQM par {tenor_years:g}y"
    if len(par) < min_obs and float(tenor_years) == 10.0:
        spot = _cut(hqm_spot_monthly_pct()[10.0])
        if len(spot) > len(par):
            return spot, "HQM spot 10y (par curve ends 2023-11)"
    return par, label


@dataclass
class FactorHistory:
    """Changes (bp) per factor block, ready for covariance estimation."""

    daily: pd.DataFrame                              # daily block, common dates
    low_freq: dict[str, pd.DataFrame]                # factor -> [factor + daily factors] at its freq
    frequency_by_factor: dict[str, str]
    source_by_factor: dict[str, str]
    averaged: dict[str, bool]                        # low-frequency factor built from averages?
    gaps: dict[str, list[dict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.daily.columns) + list(self.low_freq)


def _user_spread(name: str, series_pct: pd.Series, tenor: str, start, asof,
                 max_gap_days: int) -> tuple[pd.Series, str, list[dict]]:
    """A user's series minus UST par at ``tenor`` on common dates within the window (percent)."""
    s = series_pct.dropna().sort_index()
    s = s[s.index <= asof]
    if start is not None:
        s = s[s.index >= start]
    if len(s) < 3:
        raise InputError(f"history for {name} has {len(s)} observations in the window "
                         f"{None if start is None else start.date()}..{asof.date()}", column=name)
    freq = infer_frequency(s.index)
    ust_full = par_curve_history_pct()[tenor]
    common = s.index.intersection(ust_full.dropna().index)
    spread = (s.loc[common] - ust_full.loc[common]).rename(name)
    allowed = {"daily": max_gap_days, "weekly": 14, "monthly": 40}[freq]
    return spread, freq, find_gaps(common, allowed)


def factor_history(asof=None, key_tenors=DEFAULT_KEY_TENORS, window="3y",
                   sector_histories: Mapping[str, pd.Series] | None = None,
                   swap_history: pd.Series | None = None, swap_tenor: str = "10Y",
                   sector_tenors: Mapping[str, str] | None = None,
                   hqm_sectors: Iterable[str] = ("Corporate",), max_gap_days: int = 7,
                   min_obs: int = 24) -> FactorHistory:
    """Factor changes (bp) within the window ending at ``asof`` (nothing after ``asof``).

    ``sector_histories``: sector -> yield history (percent, any of daily/weekly/monthly).
    ``hqm_sectors``: corporate sectors without a history that get the HQM monthly spread factor.
    ``sector_tenors``: sector -> Treasury tenor its spread is measured against (default 10Y).
    The daily block holds the key rates and every daily spread factor on their common dates; each
    lower-frequency factor carries the daily factors' levels aggregated to its own periods.
    """
    asof = _to_ts(asof, "asof")
    start, _ = window_bounds(asof, window)
    tenors = _check_tenors(key_tenors)
    levels = treasury_levels_pct(tenors, start, asof)
    daily = level_changes_bp(levels)
    if len(daily) < min_obs:
        raise InputError(f"only {len(daily)} daily Treasury changes for {tenors} in "
                         f"{None if start is None else start.date()}..{asof.date()} "
                         f"(need >= {min_obs})", column="asof")
    hist = FactorHistory(
        daily=daily, low_freq={},
        frequency_by_factor=dict.fromkeys(tenors, "daily"),
        source_by_factor=dict.fromkeys(tenors, _SOURCE_UST), averaged={},
    )
    sector_tenors = dict(sector_tenors or {})
    user: list[tuple[str, pd.Series, str, str]] = []
    if swap_history is not None:
        user.append(("swap_spread", swap_history, swap_tenor,
                     f"user swap-rate history minus UST {swap_tenor}"))
    given = dict(sector_histories or {})
    for sector, series in given.items():
        if is_treasury_sector(sector):
            continue
        tenor = sector_tenors.get(sector, "10Y")
        user.append((f"{sector}_spread", series, tenor,
                     f"user yield history for {sector} minus UST {tenor}"))
    # pass 1: daily user factors join the daily block (levels kept for aggregation)
    low: list[tuple[str, pd.Series, str, str]] = []
    for name, series, tenor, source in user:
        spread, freq, gaps = _user_spread(name, series, tenor, start, asof, max_gap_days)
        if gaps:
            hist.gaps[name] = gaps
        hist.frequency_by_factor[name] = freq
        hist.source_by_factor[name] = source
        if freq == "daily":
            ch = level_changes_bp(spread.to_frame(), max_gap_days=max_gap_days)
            hist.daily = hist.daily.join(ch, how="inner")
            levels = levels.join(spread, how="left")
        else:
            low.append((name, spread, freq, source))
    dnames = list(hist.daily.columns)
    # pass 2: weekly/monthly user factors, point-sampled daily levels on their own dates
    for name, spread, freq, _source in low:
        allowed = {"weekly": 14, "monthly": 40}[freq]
        lv = levels[dnames].join(spread, how="inner")
        ch = level_changes_bp(lv, max_gap_days=allowed)
        hist.low_freq[name] = ch[[name] + dnames]
        hist.averaged[name] = False
    # pass 3: HQM monthly-average spread for corporate sectors without a history
    for sector in hqm_sectors:
        if sector not in given and not is_treasury_sector(sector):
            _add_hqm_factor(hist, sector, sector_tenors.get(sector, "10Y"), levels[dnames],
                            start, asof, min_obs)
    if len(hist.daily) < min_obs:
        raise InputError(f"only {len(hist.daily)} common daily observations of "
                         f"{list(hist.daily.columns)} in the window (need >= {min_obs})")
    return hist


def _add_hqm_factor(hist: FactorHistory, sector: str, tenor: str, daily_levels: pd.DataFrame,
                    start, asof, min_obs: int) -> None:
    """``<sector>_spread`` = HQM corporate par (monthly averages) - monthly-average UST par at
    ``tenor``, with the daily factors averaged to the same months (months ended by ``asof``)."""
    name = f"{sector}_spread"
    dnames = list(daily_levels.columns)
    ty = float(tenor[:-1]) if tenor.endswith("Y") else 0.5
    hqm, label = hqm_monthly_pct(hqm_par_tenor_for(ty), start, asof, min_obs=min_obs)
    dl = daily_levels
    if tenor not in dl.columns:
        dl = dl.join(par_curve_history_pct()[[tenor]], how="left")
    ust_m = monthly_average_pct(dl)
    ust_m = ust_m[month_end_ok(ust_m.index, asof)]
    if start is not None:
        ust_m = ust_m[ust_m.index >= start]
    m = ust_m.join(hqm.rename("_hqm"), how="inner")
    m[name] = m["_hqm"] - m[tenor]
    ch = monthly_changes_bp(m[[name] + dnames])
    if len(ch) < min_obs:
        hist.notes.append(f"{name}: only {len(ch)} monthly HQM changes in the window "
                          f"(< {min_obs}); spread factor omitted")
        return
    hist.low_freq[name] = ch
    hist.averaged[name] = True
    hist.frequency_by_factor[name] = "monthly"
    hist.source_by_factor[name] = f"{_SOURCE_HQM} ({label} - UST {tenor})"


# ---------------------------------------------------------------------------------------------
# covariance estimators (inputs: changes, rows = observations)
# ---------------------------------------------------------------------------------------------

def sample_cov(x: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (ddof=1)."""
    x = np.asarray(x, float)
    return np.atleast_2d(np.cov(x, rowvar=False, ddof=1))


def ewma_weights(n: int, halflife: float) -> np.ndarray:
    """Normalized weights, oldest first; weight halves every ``halflife`` observations back."""
    if halflife <= 0:
        raise InputError(f"EWMA half-life must be positive, got {halflife}", column="halflife")
    age = np.arange(n - 1, -1, -1, dtype=float)
    w = 0.5 ** (age / halflife)
    return w / w.sum()


def ewma_cov(x: np.ndarray, halflife: float) -> np.ndarray:
    """EWMA covariance: weighted mean removed, reliability-weights bias correction 1/(1-sum w²)."""
    x = np.asarray(x, float)
    w = ewma_weights(len(x), halflife)
    mu = w @ x
    xc = x - mu
    c = (xc * w[:, None]).T @ xc
    return c / (1.0 - np.sum(w ** 2))


def ledoit_wolf_identity(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit–Wolf (2004) shrinkage of the (1/n) sample covariance to a scaled identity.

    Returns (shrunk covariance, intensity in [0, 1]).
    """
    x = np.asarray(x, float)
    n, p = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    mu = np.trace(s) / p
    target = mu * np.eye(p)
    d2 = np.sum((s - target) ** 2)
    # b̄² = (1/n²) Σ_k ||x_k x_k' - S||²_F, computed without forming n p×p matrices
    x2 = xc ** 2
    b2bar = (np.sum(x2.T @ x2) - n * np.sum(s ** 2)) / n ** 2
    b2 = min(b2bar, d2)
    delta = 0.0 if d2 == 0 else b2 / d2
    return delta * target + (1 - delta) * s, float(delta)


def ledoit_wolf_constant_correlation(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit–Wolf (2003, "Honey, I shrunk the sample covariance matrix") shrinkage of the (1/n)
    sample covariance to the constant-correlation target. Returns (covariance, intensity in [0,1]).
    """
    x = np.asarray(x, float)
    t, p = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / t
    var = np.diag(s)
    sd = np.sqrt(var)
    corr = s / np.outer(sd, sd)
    rbar = (corr.sum() - p) / (p * (p - 1))
    f = rbar * np.outer(sd, sd)
    np.fill_diagonal(f, var)
    y2 = xc ** 2
    pi_mat = y2.T @ y2 / t - s ** 2
    pi_hat = pi_mat.sum()
    theta = ((xc ** 3).T @ xc) / t - var[:, None] * s  # theta[i, j] = asy cov(s_ii, s_ij)
    rho_diag = np.trace(pi_mat)
    ratio = np.outer(1 / sd, sd)                     # sqrt(s_jj / s_ii) at [i, j]
    off = rbar / 2 * (ratio * theta + ratio.T * theta.T)
    np.fill_diagonal(off, 0.0)
    rho_hat = rho_diag + off.sum()
    gamma_hat = np.sum((f - s) ** 2)
    kappa = (pi_hat - rho_hat) / gamma_hat if gamma_hat > 0 else 0.0
    delta = float(max(0.0, min(1.0, kappa / t)))
    return delta * f + (1 - delta) * s, delta


def ensure_psd(cov: np.ndarray | pd.DataFrame, tol: float = 1e-10, name: str = "covariance"):
    """Symmetrize; if an eigenvalue is negative beyond ``tol`` x max eigenvalue, clip the negative
    eigenvalues to zero with a warning. Returns the same type it was given."""
    is_df = isinstance(cov, pd.DataFrame)
    a = np.asarray(cov, float)
    a = (a + a.T) / 2
    w, v = np.linalg.eigh(a)
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if w.min() < -tol * scale:
        warnings.warn(f"{name} was not positive semi-definite (min eigenvalue {w.min():.4g}); "
                      "repaired by eigenvalue clipping", RuntimeWarning, stacklevel=2)
        a = (v * np.clip(w, 0.0, None)) @ v.T
        a = (a + a.T) / 2
    return pd.DataFrame(a, index=cov.index, columns=cov.columns) if is_df else a


def overlapping_sums(x: np.ndarray, horizon: int) -> np.ndarray:
    """Rows = sums of ``horizon`` consecutive rows of ``x`` (overlapping; ``len(x) - horizon + 1``
    rows): the ``horizon``-day changes ending on each day."""
    x = np.asarray(x, float)
    if horizon <= 1:
        return x
    if horizon > len(x):
        raise InputError(f"a {horizon}-day horizon needs more than {len(x)} daily changes",
                         column="horizon_days")
    c = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    return c[horizon:] - c[:-horizon]


def estimate_cov_horizon(x: np.ndarray, method: str = "sample", halflife: float | None = None,
                         horizon_days: int = 1) -> tuple[np.ndarray, float | None]:
    """Covariance **per day** of daily changes ``x`` as seen at a ``horizon_days`` horizon.

    Model: the variance of an h-day change, divided by h. For a random walk this equals the
    daily covariance; when daily changes are serially correlated (a smoothed or stale series:
    index spreads, model-vs-settlement timing noise) it is not, and the hedge, held for a month,
    earns the h-day variance. Estimated from overlapping h-day changes (Hansen-Hodrick), with the
    given estimator (EWMA half-life still in days). ``horizon_days=1``: :func:`estimate_cov`.
    """
    if horizon_days <= 1:
        return estimate_cov(x, method, halflife)
    c, shrink = estimate_cov(overlapping_sums(x, horizon_days), method, halflife)
    return c / horizon_days, shrink


def estimate_cov(x: np.ndarray, method: str = "sample", halflife: float | None = None
                 ) -> tuple[np.ndarray, float | None]:
    """Covariance of the rows of ``x`` per period: (matrix, shrinkage intensity or None)."""
    if method == "sample":
        return sample_cov(x), None
    if method == "ewma":
        if halflife is None:
            raise InputError("method 'ewma' needs a half-life (observations)", column="halflife")
        return ewma_cov(x, halflife), None
    if method in ("ledoit_wolf", "lw", "ledoit_wolf_identity"):
        return ledoit_wolf_identity(x)
    if method in ("ledoit_wolf_cc", "ledoit_wolf_constant_correlation"):
        return ledoit_wolf_constant_correlation(x)
    raise InputError(f"unknown covariance method '{method}' (sample, ewma, ledoit_wolf, "
                     "ledoit_wolf_cc)", column="method")


# ---------------------------------------------------------------------------------------------
# calibration: realized against promised risk
# ---------------------------------------------------------------------------------------------

def calibration(pnl, sigma, groups=None) -> dict:
    """How realized P&L compares with the risk the model promised for it.

    ``pnl``: realized P&L per observation; ``sigma``: the ex-ante standard deviation of each
    observation (same units and horizon, e.g. annual TE / sqrt(252) for daily P&L); ``groups``:
    the holding period of each observation (the model and the position are fixed inside one).

    * ``bias``: the bias statistic sqrt(sum_t ((p_t - m_k) / sigma_t)^2 / sum_k (n_k - 1)), with
      ``m_k`` the mean of period k (carry and other drift are not risk). If the P&L is normal
      with the promised variance it is 1 in expectation (chi-square: b^2 ~ chi2_dof / dof);
      b = c when the true variance is c^2 times the promise. ``bias_lo``/``bias_hi``: its 95%
      interval under independence, sqrt(chi2 quantiles / dof).
    * ``ratio_rms``: realized stdev of all observations / root-mean-square of sigma (the plain
      "realized TE / ex-ante TE" comparison; sensitive to drift between periods).
    * ``in_band``: 0.8 <= bias <= 1.25.
    """
    from scipy.stats import chi2

    p = np.asarray(pnl, dtype=float)
    s = np.asarray(sigma, dtype=float)
    g = np.zeros(len(p), dtype=int) if groups is None else pd.factorize(np.asarray(groups))[0]
    ok = np.isfinite(p) & np.isfinite(s) & (s > 0)
    p, s, g = p[ok], s[ok], g[ok]
    if len(p) < 3:
        return {"bias": np.nan, "bias_lo": np.nan, "bias_hi": np.nan, "ratio_rms": np.nan,
                "dof": 0, "periods": 0, "in_band": False, "exante_rms": np.nan,
                "realized_std": np.nan}
    df = pd.DataFrame({"p": p, "s": s, "g": g})
    m = df.groupby("g")["p"].transform("mean").to_numpy()
    n = df.groupby("g")["p"].transform("size").to_numpy()
    use = n > 1
    z2 = ((p - m) / s)[use] ** 2
    dof = int(sum(k - 1 for k in df.groupby("g").size() if k > 1))
    b = float(np.sqrt(z2.sum() / dof)) if dof else np.nan
    f_lo, f_hi = np.sqrt(chi2.ppf([0.025, 0.975], dof) / dof) if dof else (np.nan, np.nan)
    rms = float(np.sqrt(np.mean(s ** 2)))
    std = float(np.std(p, ddof=1))
    return {"bias": b, "bias_lo": float(b / f_hi), "bias_hi": float(b / f_lo),
            "ratio_rms": std / rms, "dof": dof, "periods": int(df["g"].nunique()),
            "in_band": bool(0.8 <= b <= 1.25), "exante_rms": rms, "realized_std": std}


# ---------------------------------------------------------------------------------------------
# factor model
# ---------------------------------------------------------------------------------------------

@dataclass
class FactorModel:
    """Annualized covariance of factor changes in bp² (ARCHITECTURE: units)."""

    names: list[str]
    cov_bp2_annual: pd.DataFrame
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    frequency_by_factor: dict[str, str]
    source_by_factor: dict[str, str]
    nobs: dict[str, int]
    asof: pd.Timestamp | None = None
    method: str = "sample"
    halflife: float | None = None
    shrinkage: float | None = None
    gaps: dict[str, list[dict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    horizon_days: int = 1             # daily block estimated from overlapping h-day changes

    def vol_bp_annual(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov_bp2_annual.values)), index=self.names)

    def corr(self) -> pd.DataFrame:
        v = self.vol_bp_annual().values
        with np.errstate(invalid="ignore", divide="ignore"):
            c = self.cov_bp2_annual.values / np.outer(v, v)
        return pd.DataFrame(c, index=self.names, columns=self.names)

    def variance_usd2(self, exposures_usd_per_bp: Mapping[str, float] | pd.Series,
                      resid_var_usd2: float = 0.0) -> float:
        """e' Σ e + residual variance (USD²/yr); exposures in DV01 sign, keyed by factor name.

        Unknown factor names raise; factors not mentioned have zero exposure.
        """
        e = pd.Series(exposures_usd_per_bp, dtype=float)
        unknown = set(e.index) - set(self.names)
        if unknown:
            raise KeyError(f"exposures to unknown factors {sorted(unknown)}; model has {self.names}")
        ev = e.reindex(self.names).fillna(0.0).values
        return float(ev @ self.cov_bp2_annual.values @ ev + resid_var_usd2)

    def tracking_error_usd(self, exposures_usd_per_bp, resid_var_usd2: float = 0.0) -> float:
        return math.sqrt(max(self.variance_usd2(exposures_usd_per_bp, resid_var_usd2), 0.0))

    def to_dict(self) -> dict:
        return {
            "asof": self.asof, "window_start": self.window_start, "window_end": self.window_end,
            "method": self.method, "halflife": self.halflife, "shrinkage": self.shrinkage,
            "horizon_days": self.horizon_days,
            "factors": [{"factor": n, "vol_bp_annual": float(self.vol_bp_annual()[n]),
                         "frequency": self.frequency_by_factor[n],
                         "source": self.source_by_factor[n], "nobs": self.nobs[n]}
                        for n in self.names],
            "cov_bp2_annual": self.cov_bp2_annual.values.tolist(),
            "gaps": self.gaps, "notes": self.notes,
        }


def _projection(ch: pd.DataFrame, name: str, dnames: list[str], scale: float, sdd: np.ndarray,
                freq: str) -> tuple[np.ndarray, float]:
    """f = a + b'd + e on the low-frequency changes; cov(f, d) = Σ_dd b and var(f) = b'Σ_dd b +
    var(e), with Σ_dd the (annualized) daily block: PSD by design."""
    X = np.column_stack([np.ones(len(ch)), ch[dnames].values])
    coef, *_ = np.linalg.lstsq(X, ch[name].values, rcond=None)
    b = coef[1:]
    resid = ch[name].values - X @ coef
    dof = len(ch) - X.shape[1]
    if dof < 1:
        raise InputError(f"too few {freq} observations of {name} for the projection "
                         f"({len(ch)} with {len(dnames)} regressors)", column=name)
    s2 = float(resid @ resid / dof) * scale
    return sdd @ b, float(b @ sdd @ b) + s2


_FM_CACHE: dict[tuple, FactorModel] = {}


def clear_caches() -> None:
    """Forget the factor models cached in this process (tests that patch the data)."""
    _FM_CACHE.clear()


def build_factor_model(asof=None, key_tenors=DEFAULT_KEY_TENORS, window="3y",
                       method: str | None = None, halflife: float | None = None,
                       sector_histories: Mapping[str, pd.Series] | None = None,
                       swap_history: pd.Series | None = None, swap_tenor: str = "10Y",
                       sector_tenors: Mapping[str, str] | None = None,
                       hqm_sectors: Iterable[str] = ("Corporate",),
                       working_correction: bool = True, max_gap_days: int = 7,
                       min_obs: int = 24, mixed_frequency: str = "direct",
                       shipped_spreads: bool = True,
                       horizon_days: int | None = None) -> FactorModel:
    """Factor covariance (annualized bp²) from data on or before ``asof``.

    A corporate sector of ``hqm_sectors`` (no history of its own) gets, with
    ``shipped_spreads``, the BBB OAS spread factor shipped in ``data/risk_params`` (estimated
    walk-forward from licensed ICE BofA data) valid on ``asof``; without it, or before the first
    estimate, the HQM monthly-average spread factor described in the module docstring.

    ``method``: ``"sample"`` (ddof=1), ``"ewma"`` (``halflife`` in daily observations),
    ``"ledoit_wolf"`` (to a scaled identity) or ``"ledoit_wolf_cc"`` (to constant correlation);
    ``None`` (default): the estimator chosen by out-of-sample calibration
    (``models.risk_params.default_risk_spec``, ``benchmarks/calibrate_risk.py``).
    The method applies to the daily block; a lower-frequency factor's variance and covariances
    (a few dozen monthly observations) always use the sample estimator over the window — an EWMA
    with a half-life of a few weeks is meaningless on monthly data. Mixing estimators can leave
    the assembled matrix slightly indefinite; it is then repaired by eigenvalue clipping (warning).

    ``horizon_days``: the daily block is estimated from overlapping ``horizon_days``-day changes
    (covariance / horizon, annualized x252; ``estimate_cov_horizon``): the variance a position
    held that long earns, which differs from 252 x the daily variance when daily changes are
    serially correlated. ``None``: the calibrated default's horizon when ``method`` is None too,
    else 1 (daily changes).

    ``mixed_frequency``: ``"direct"`` (default) — a low-frequency factor's variance and
    covariances with the daily factors are the sample moments of its changes and the daily factors
    aggregated to its periods, annualized; ``"projection"`` — regress its changes on the aggregated
    daily factors (f = a + b'd + e) and set cov(f, d) = Σ_dd b, var(f) = b'Σ_dd b + var(e) with
    Σ_dd the daily block (Stambaugh-style; PSD by construction and consistent with an EWMA or
    shrunk daily block — recommended with ``ewma``/``ledoit_wolf``). Pairs of low-frequency
    factors use their common periods (direct) in both modes.
    """
    asof_ts = _to_ts(asof, "asof")
    if method is None:
        from models.risk_params import default_risk_spec

        spec = default_risk_spec()
        method, halflife = spec.method, spec.halflife if halflife is None else halflife
        horizon_days = spec.horizon_days if horizon_days is None else horizon_days
    horizon_days = 1 if horizon_days is None else int(horizon_days)
    if horizon_days < 1:
        raise InputError(f"horizon_days must be >= 1, got {horizon_days}", column="horizon_days")
    if method == "ewma" and halflife is None:
        raise InputError("method 'ewma' needs a half-life (observations)", column="halflife")
    key = None
    if sector_histories is None and swap_history is None:   # bundled data only: cacheable
        key = (asof_ts, tuple(key_tenors), str(window), method, halflife, swap_tenor,
               tuple(sorted((sector_tenors or {}).items())), tuple(hqm_sectors),
               working_correction, max_gap_days, min_obs, mixed_frequency, shipped_spreads,
               horizon_days)
        if key in _FM_CACHE:
            return _copy_model(_FM_CACHE[key])
    shipped = (_shipped_spreads(asof_ts, hqm_sectors, sector_histories) if shipped_spreads
               else {})
    fm = _build_factor_model(asof_ts, key_tenors, window, method, halflife, sector_histories,
                             swap_history, swap_tenor, sector_tenors,
                             [s for s in hqm_sectors if s not in shipped], working_correction,
                             max_gap_days, min_obs, mixed_frequency, horizon_days)
    for sector, p in shipped.items():
        fm = _append_spread_factor(fm, sector, p)
    if key is not None:
        _FM_CACHE[key] = _copy_model(fm)
    return fm


def _shipped_spreads(asof: pd.Timestamp, hqm_sectors, sector_histories) -> dict:
    """Corporate sectors without a history whose spread factor comes from the shipped BBB OAS
    parameters valid on ``asof`` (daily-quoted spreads; the HQM monthly averages understate the
    spread risk a daily-marked book carries). Before the first estimate: HQM."""
    from models.risk_params import corporate_spread_params

    out = {}
    for s in hqm_sectors:
        if s in (sector_histories or {}) or not is_corporate_sector(s):
            continue
        p = corporate_spread_params(asof)
        if p is not None:
            out[s] = p
    return out


def spread_rate_link(corr: Mapping[str, float], key_cov: np.ndarray, key_names: list[str],
                     driver: str | None) -> np.ndarray:
    """A spread factor's correlation with each key rate.

    ``driver`` None: the estimated correlation per key rate (``corr[tenor]``). With a driver
    tenor (the shipped corporate spread: ``"10Y"``, chosen out of sample over 5Y/7Y/10Y), the
    spread co-moves with the curve only through that rate: S = rho_d sigma_S y_d / sigma_d + e, e independent of the key rates, so
    corr(S, y_i) = rho_d x corr(y_d, y_i) with ``corr(y_d, y_i)`` from the key-rate block the
    hedge uses. Why: correlations estimated per tenor (5 years of 21-day changes) beside a
    key-rate block from another estimator (EWMA of daily changes) imply spread covariances with
    curve positions (long 20Y against short 5Y) that the data do not show (realized monthly
    correlation of the corporate book's curve P&L with its spread P&L 2010-2019: 0.06 against
    an ex-ante -0.47, ``benchmarks/results/calibration_decomposition_full.md``), and the
    optimizer buys that phantom hedge. The one-driver form keeps the level effect (spreads widen
    as yields fall) and is PSD by construction (|rho_d| <= 1). A driver not among the key rates:
    per tenor."""
    if not driver or driver not in key_names:
        return np.array([float(corr.get(n, 0.0)) for n in key_names])
    kc = np.asarray(key_cov, float)
    sd = np.sqrt(np.clip(np.diag(kc), 1e-12, None))
    d = key_names.index(driver)
    return float(corr.get(driver, 0.0)) * kc[d] / (sd[d] * sd)


def _append_spread_factor(fm: FactorModel, sector: str, p) -> FactorModel:
    """``fm`` with the factor ``<sector>_spread`` appended: variance vol^2, covariance with each
    key rate corr x vol x that rate's vol, the correlations per key rate or through the
    parameters' driver tenor (``spread_rate_link``); zero with the other factors."""
    from dataclasses import replace

    name = f"{sector}_spread"
    names = list(fm.names) + [name]
    k = len(fm.names)
    cov = np.zeros((k + 1, k + 1))
    cov[:k, :k] = fm.cov_bp2_annual.values
    sd = np.sqrt(np.clip(np.diag(cov)[:k], 0, None))
    keys = [n for n in fm.names if n in AVAILABLE_KEY_TENORS]
    ki = [fm.names.index(n) for n in keys]
    link = dict(zip(keys, spread_rate_link(p.corr, cov[np.ix_(ki, ki)], keys,
                                           p.rate_driver), strict=True))
    row = np.array([link.get(n, p.corr.get(n, 0.0)) * p.vol_bp_annual * sd[j]
                    for j, n in enumerate(fm.names)])
    cov[k, :k] = cov[:k, k] = row
    cov[k, k] = p.vol_bp_annual ** 2
    cov_df = ensure_psd(pd.DataFrame(cov, index=names, columns=names), name="factor covariance")
    src = (f"{p.source} (vol {p.vol_bp_annual:.1f} bp/yr, {p.nobs} month-end changes "
           f"{p.window}, valid from {p.valid_from.date()})")
    return replace(fm, names=names, cov_bp2_annual=cov_df,
                   frequency_by_factor={**fm.frequency_by_factor, name: "monthly (shipped)"},
                   source_by_factor={**fm.source_by_factor, name: src},
                   nobs={**fm.nobs, name: p.nobs}, notes=list(fm.notes) + [f"{name}: {src}"])


def _copy_model(fm: FactorModel) -> FactorModel:
    from dataclasses import replace

    return replace(fm, cov_bp2_annual=fm.cov_bp2_annual.copy(), notes=list(fm.notes),
                   nobs=dict(fm.nobs), gaps=dict(fm.gaps),
                   frequency_by_factor=dict(fm.frequency_by_factor),
                   source_by_factor=dict(fm.source_by_factor))


def _build_factor_model(asof_ts, key_tenors, window, method, halflife, sector_histories,
                        swap_history, swap_tenor, sector_tenors, hqm_sectors,
                        working_correction, max_gap_days, min_obs, mixed_frequency,
                        horizon_days: int = 1) -> FactorModel:
    hist = factor_history(asof_ts, key_tenors, window, sector_histories, swap_history, swap_tenor,
                          sector_tenors, hqm_sectors, max_gap_days, min_obs)
    daily = hist.daily
    dnames = list(daily.columns)
    names = hist.names
    k = len(names)
    cov = np.full((k, k), np.nan)
    cd, shrink = estimate_cov_horizon(daily.values, method, halflife, horizon_days)
    cov[: len(dnames), : len(dnames)] = cd * PERIODS_PER_YEAR["daily"]
    nobs = dict.fromkeys(dnames, len(daily))
    notes = list(hist.notes)
    if horizon_days > 1:
        notes.append(f"daily factors: covariance of overlapping {horizon_days}-day changes / "
                     f"{horizon_days}, annualized x252 (the horizon the hedge is held over)")
    lf_names = list(hist.low_freq)
    # each low-frequency factor: its variance and covariances with the daily factors
    for name in lf_names:
        ch = hist.low_freq[name]
        freq = hist.frequency_by_factor[name]
        if len(ch) < min_obs:
            raise InputError(f"only {len(ch)} {freq} changes for {name} in the window "
                             f"(need >= {min_obs})", column=name)
        cols = [name] + dnames
        scale = PERIODS_PER_YEAR[freq] * (WORKING_CORRECTION if (hist.averaged[name]
                                                               and working_correction) else 1.0)
        i = names.index(name)
        if mixed_frequency == "direct":
            c = sample_cov(ch[cols].values) * scale
            cov[i, i] = c[0, 0]
            cov[i, : len(dnames)] = c[0, 1:]
            cov[: len(dnames), i] = c[0, 1:]
        elif mixed_frequency == "projection":
            cross, var = _projection(ch, name, dnames, scale, cov[: len(dnames), : len(dnames)],
                                     freq)
            cov[i, : len(dnames)] = cross
            cov[: len(dnames), i] = cross
            cov[i, i] = var
        else:
            raise InputError(f"unknown mixed_frequency '{mixed_frequency}' (direct, projection)")
        nobs[name] = len(ch)
        note = (f"{name}: {freq} changes ({len(ch)} obs, {ch.index[0].date()}..{ch.index[-1].date()})"
                f" with daily factors aggregated to the same periods, annualized x{PERIODS_PER_YEAR[freq]}")
        if hist.averaged[name] and working_correction:
            note += f", x{WORKING_CORRECTION} for averaging (Working 1960)"
        notes.append(note)
    # pairs of low-frequency factors: common periods
    for a_i, a in enumerate(lf_names):
        for b in lf_names[a_i + 1:]:
            ca, cb = hist.low_freq[a][a], hist.low_freq[b][b]
            common = ca.index.intersection(cb.index)
            fa, fb = hist.frequency_by_factor[a], hist.frequency_by_factor[b]
            ia, ib = names.index(a), names.index(b)
            if fa == fb and hist.averaged[a] == hist.averaged[b] and len(common) >= min_obs:
                c = sample_cov(np.column_stack([ca.loc[common], cb.loc[common]]))[0, 1]
                scale = PERIODS_PER_YEAR[fa] * (WORKING_CORRECTION if (hist.averaged[a]
                                                                     and working_correction) else 1.0)
                cov[ia, ib] = cov[ib, ia] = c * scale
            else:
                cov[ia, ib] = cov[ib, ia] = 0.0
                warnings.warn(f"no common {fa}/{fb} periods to estimate cov({a}, {b}); set to 0",
                              RuntimeWarning, stacklevel=2)
                notes.append(f"cov({a}, {b}) set to 0: no common periods at one frequency")
    cov_df = pd.DataFrame(cov, index=names, columns=names)
    cov_df = ensure_psd(cov_df, name="factor covariance")
    ws = daily.index[0]
    for name in lf_names:
        ws = min(ws, hist.low_freq[name].index[0])
    return FactorModel(
        names=names, cov_bp2_annual=cov_df, window_start=ws, window_end=daily.index[-1],
        frequency_by_factor=hist.frequency_by_factor, source_by_factor=hist.source_by_factor,
        nobs=nobs, asof=asof_ts, method=method, halflife=halflife, shrinkage=shrink,
        gaps=hist.gaps, notes=notes, horizon_days=horizon_days,
    )
