"""Market paths the backtest revalues with: Treasury curves, term repo, swap rates and (in the
validation mode) market futures settlements.

Everything here is read point in time: a value on day ``d`` uses data dated on or before ``d``.

* **Curves** (:class:`CurveBook`): one bootstrapped zero curve per curve date, cached. A daily
  P&L is measured on the *same set of par tenors* on both days (:meth:`CurveBook.pair`): when the
  Treasury adds or drops a tenor (the 30-year is absent 2002-02-19 .. 2006-02-08, the 20-year
  before 1993-10, the 2M/4M/1.5M bills start 2018-2025) a curve rebuilt with the new tenor is a
  different interpolation, not a market move; pricing both days on the common tenors keeps that
  artefact out of the P&L (on 2006-02-09 it was a 2-point jump in a 30-year bond).
* **Repo** (:func:`repo_series`): the overnight rate of ``models.futures.default_repo`` (SOFR,
  before 2018 the 1M, else 3M, bill yield), 5-day median as a term repo.
* **Swap rates** (:class:`SwapRates`): ISDAFIX USD swap rates (licensed, read locally from
  ``third_party/``, 2000-07 .. 2016-10) where present; elsewhere a proxy, the Treasury par yield
  at the tenor plus the last observed swap spread (or, with no observation yet, the default
  spread of ``models.swap_futures``), so the proxy carries no swap-spread P&L: said in the notes.
* **Market futures** (:class:`MarketFutures`): Yahoo continuous front-month closes of ZT ZF ZN
  ZB (licensed, local only). Yahoo's front month rolls the day after the expiring contract's
  last trading day (checked against the volume jump in the file); a contract we hold is marked
  to the market change only on days Yahoo quotes that very contract on both ends of the day.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import TENOR_YEARS, par_curve_history_pct, sofr_history_pct
from models.curves import ZeroCurve

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Environment variable naming the folder of the licensed third-party files (validation only).
THIRD_PARTY_ENV = "OVERLAY_THIRD_PARTY"
YAHOO_FILE = "yahoo_ust_futures_front_month_daily.csv"
ISDAFIX_FILE = "usd_swap_rates_isdafix_daily_2000_2016.csv"
#: Market futures before this date are not used (stale low-volume prints before ~2003).
MARKET_FUTURES_START = pd.Timestamp("2003-01-02")
#: Daily market changes larger than this (points) are treated as bad prints.
MAX_MARKET_CHANGE_POINTS = 3.0
#: Business days either side of a front-month switch whose closes are not used: the file's
#: price and volume do not switch on the same day (e.g. ZN 2008-12-19/22), so a close next to
#: a switch may belong to either contract.
SWITCH_GUARD_DAYS = 2


def third_party_dir() -> Path:
    """Folder of the licensed files: ``$OVERLAY_THIRD_PARTY`` or ``../shared/data/market/
    third_party`` beside the repository. Never part of the repository."""
    env = os.environ.get(THIRD_PARTY_ENV)
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data" / "market" / "third_party"


# ============================================================================ curves
class CurveBook:
    """Zero curves per curve date, built once; curve pairs on common tenors for P&L."""

    def __init__(self) -> None:
        self._c: dict[pd.Timestamp, ZeroCurve] = {}
        self._common: dict[tuple[pd.Timestamp, tuple[str, ...]], ZeroCurve] = {}
        self._hist = par_curve_history_pct()
        cols = list(self._hist.columns)
        mask = self._hist.notna().to_numpy()
        self._tenors = {d: tuple(c for c, ok in zip(cols, m, strict=True) if ok)
                        for d, m in zip(self._hist.index, mask, strict=True)}

    def tenors(self, d: pd.Timestamp) -> tuple[str, ...]:
        return self._tenors[d]

    def __getitem__(self, d: pd.Timestamp) -> ZeroCurve:
        c = self._c.get(d)
        if c is None:
            c = ZeroCurve.from_par(self._hist.loc[d].dropna() / 100.0, d)
            self._c[d] = c
        return c

    def on_tenors(self, d: pd.Timestamp, tenors: tuple[str, ...]) -> ZeroCurve:
        key = (d, tenors)
        c = self._common.get(key)
        if c is None:
            c = ZeroCurve.from_par(self._hist.loc[d, list(tenors)] / 100.0, d)
            self._common[key] = c
        return c

    def pair(self, d0: pd.Timestamp, d1: pd.Timestamp) -> tuple[ZeroCurve, ZeroCurve]:
        """Curves of two dates on the par tenors quoted on both (the full curves when equal)."""
        t0, t1 = self.tenors(d0), self.tenors(d1)
        if t0 == t1:
            return self[d0], self[d1]
        common = tuple(t for t in t0 if t in t1)
        return self.on_tenors(d0, common), self.on_tenors(d1, common)


def valuation_dates(start, end, frequency: str = "daily") -> pd.DatetimeIndex:
    """Curve dates in [start, end]; ``monthly``: the last curve date of each month."""
    hist = par_curve_history_pct()
    idx = hist.loc[pd.Timestamp(start): pd.Timestamp(end)].index
    if len(idx) == 0:
        raise InputError(f"no Treasury curve data between {pd.Timestamp(start).date()} and "
                         f"{pd.Timestamp(end).date()} (the bundled history runs "
                         f"{hist.index[0].date()} .. {hist.index[-1].date()})")
    if frequency == "daily":
        return idx
    if frequency == "monthly":
        s = pd.Series(idx, index=idx)
        return pd.DatetimeIndex(s.groupby(idx.to_period("M")).max().to_numpy())
    raise InputError(f"unknown valuation frequency {frequency!r} (daily | monthly)")


def rebalance_dates(dates: pd.DatetimeIndex, rebalance: str = "monthly") -> pd.DatetimeIndex:
    """First valuation date of each month (``monthly``) or ISO week (``weekly``), plus the last
    valuation date (the end of the last holding period)."""
    if rebalance not in ("monthly", "weekly"):
        raise InputError(f"--rebalance must be monthly or weekly, not {rebalance!r}")
    s = pd.Series(dates, index=dates)
    key = dates.to_period("M") if rebalance == "monthly" else dates.to_period("W")
    out = pd.DatetimeIndex(s.groupby(key).min().to_numpy())
    if out[-1] != dates[-1]:
        out = out.append(pd.DatetimeIndex([dates[-1]]))
    return out


# ============================================================================ repo
def _raw_repo(d: pd.Timestamp, sofr: pd.Series, hist: pd.DataFrame) -> float:
    if d >= sofr.index[0]:
        return float(sofr.iloc[sofr.index.searchsorted(d, side="right") - 1]) / 100.0
    row = hist.iloc[hist.index.searchsorted(d, side="right") - 1]
    v = row.get("1M", np.nan)
    return float(v if np.isfinite(v) else row["3M"]) / 100.0


def repo_series(dates, smooth: int = 5) -> np.ndarray:
    """Term repo (decimal) per date for carrying a CTD to delivery: the median of the overnight
    rate of ``models.futures.default_repo`` (SOFR; before SOFR the Treasury 1M, else 3M, bill
    yield) over the last ``smooth`` curve dates up to and including the date. One-day spikes of
    the overnight rate (SOFR 5.25% on 2019-09-17) are not a term financing rate."""
    sofr = sofr_history_pct()
    hist = par_curve_history_pct()
    out = np.empty(len(dates))
    for k, d in enumerate(pd.DatetimeIndex(dates)):
        pos = hist.index.searchsorted(d, side="right")
        days = hist.index[max(0, pos - smooth):pos] if smooth > 1 else [d]
        out[k] = float(np.median([_raw_repo(x, sofr, hist) for x in days]))
    return out


def par_at(dates, tenor_years: float) -> np.ndarray:
    """Treasury par yield (decimal) linearly interpolated at ``tenor_years`` on each date."""
    hist = par_curve_history_pct().loc[pd.DatetimeIndex(dates)]
    t = np.array([TENOR_YEARS[c] for c in hist.columns])
    out = np.empty(len(hist))
    for k, row in enumerate(hist.to_numpy()):
        ok = np.isfinite(row)
        out[k] = np.interp(tenor_years, t[ok], row[ok]) / 100.0
    return out


# ============================================================================ swap rates
@cache
def _isdafix(path: str) -> pd.DataFrame:
    df = pd.read_csv(path, parse_dates=["date"]).set_index("date").sort_index()
    df.columns = [float(c.replace("DSWP", "")) for c in df.columns]
    return df.astype(float)


class SwapRates:
    """Par swap rates by date and tenor: ISDAFIX where present (``kind='isdafix'``), else the
    proxy Treasury par + held spread (see module docstring). ``source='proxy'`` never reads the
    licensed file."""

    def __init__(self, source: str = "auto") -> None:
        if source not in ("auto", "proxy", "isdafix"):
            raise InputError(f"swap-rate source must be auto, proxy or isdafix, not {source!r}")
        f = third_party_dir() / ISDAFIX_FILE
        self.table: pd.DataFrame | None = None
        if source != "proxy" and f.exists():
            self.table = _isdafix(str(f))
        elif source == "isdafix":
            raise InputError(f"ISDAFIX swap rates not found at {f} (licensed, local only)")
        self.kind = "isdafix" if self.table is not None else "proxy"
        self._memo: dict[float, tuple[pd.Series, pd.Series]] = {}

    def _series(self, tenor_years: float) -> tuple[pd.Series, pd.Series]:
        """ISDAFIX rate (decimal) at the tenor on its own dates, and its spread to Treasury par."""
        if tenor_years not in self._memo:
            tab = self.table
            cols = np.array(tab.columns, dtype=float)
            vals = np.full(len(tab), np.nan)
            for k, row in enumerate(tab.to_numpy()):
                ok = np.isfinite(row)
                if ok.sum() >= 2:
                    vals[k] = np.interp(tenor_years, cols[ok], row[ok]) / 100.0
            obs = pd.Series(vals, index=tab.index).dropna()
            obs = obs[obs.index.isin(par_curve_history_pct().index)]
            spread = obs - pd.Series(par_at(obs.index, tenor_years), index=obs.index)
            self._memo[tenor_years] = (obs, spread)
        return self._memo[tenor_years]

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        return None if self.table is None else (self.table.index[0], self.table.index[-1])

    def rates(self, days, tenor_years: float) -> tuple[np.ndarray, np.ndarray]:
        """(swap rate decimal per day, True where it is a market ISDAFIX observation)."""
        from models.swap_futures import DEFAULT_SWAP_SPREAD_BP

        days = pd.DatetimeIndex(days)
        ust = par_at(days, tenor_years)
        keys = np.array([TENOR_YEARS[k] for k in DEFAULT_SWAP_SPREAD_BP])
        default = float(np.interp(tenor_years, keys, list(DEFAULT_SWAP_SPREAD_BP.values()))) / 1e4
        out = ust + default
        marked = np.zeros(len(days), dtype=bool)
        if self.table is None:
            return out, marked
        obs, spread = self._series(float(tenor_years))
        for k, d in enumerate(days):
            if d in obs.index:
                out[k], marked[k] = float(obs[d]), True
                continue
            pos = spread.index.searchsorted(d, side="right") - 1
            if pos >= 0:   # the last observed spread, held (no swap-spread P&L)
                out[k] = ust[k] + float(spread.iloc[pos])
        return out, marked


# ============================================================================ market futures
@cache
def _yahoo(path: str) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["date"]).set_index("date").sort_index()


@cache
def _last_trading_days(root: str, first_year: int, last_year: int) -> tuple[np.ndarray, list[str]]:
    """Last trading day (as datetime64[D]) and code of every quarterly contract in the years."""
    from models.contract_codes import format_contract
    from models.futures import contract_calendar

    ltd, codes = [], []
    for y in range(first_year, last_year + 1):
        for mth in (3, 6, 9, 12):
            code = format_contract(root, y, mth)
            ltd.append(np.datetime64(contract_calendar(
                code, pd.Timestamp(year=y, month=mth, day=1)).last_trading_day.date(), "D"))
            codes.append(code)
    return np.array(ltd), codes


def quoted_contracts(root: str, days, switch: dict[np.datetime64, np.datetime64] | None = None
                     ) -> list[str]:
    """The contract a continuous front-month series quotes on each day: the first quarterly
    contract whose switch day is after the day. The switch day is the last trading day by
    default (on it the expiring contract stops at noon and the series quotes the next one), or
    ``switch[last trading day]`` where the file itself shows when it switched (see
    ``MarketFutures``). Codes carry one year digit: compare them within a holding period."""
    days = pd.DatetimeIndex(days)
    ltd, codes = _last_trading_days(root, days[0].year, days[-1].year + 1)
    if switch:
        ltd = np.array([switch.get(t, t) for t in ltd])
    pos = np.searchsorted(ltd, days.values.astype("datetime64[D]"), side="right")
    return [codes[p] for p in pos]


class MarketFutures:
    """Front-month settlements (validation mode). ``changes`` gives a held contract's market
    price change per day where the file quotes that contract on both days, NaN elsewhere.

    Which contract the file quotes: it switches to the next contract on the day its volume
    jumps (>= 3x the previous day) within 15 calendar days of the expiring contract's last
    trading day, else on that last trading day. The volume decides because the exchange's
    last-trading-day rules changed over the years (the 5-year rolled seven business days
    before month end until 2008, the 2-year with the 2-year note's issue until 2004)."""

    ROOTS = ("ZT", "ZF", "ZN", "ZB")

    def __init__(self, path: Path | None = None, start: pd.Timestamp = MARKET_FUTURES_START
                 ) -> None:
        f = Path(path) if path is not None else third_party_dir() / YAHOO_FILE
        if not f.exists():
            raise InputError(f"market futures prices not found at {f} (licensed, local only; "
                             "run without --market or set OVERLAY_THIRD_PARTY)")
        self.path = f
        self.table = _yahoo(str(f))
        self.start = pd.Timestamp(start)
        self._switch: dict[str, dict[np.datetime64, np.datetime64]] = {}

    @classmethod
    def available(cls) -> bool:
        return (third_party_dir() / YAHOO_FILE).exists()

    def switch_days(self, root: str) -> dict[np.datetime64, np.datetime64]:
        """Per contract (keyed by its rule last trading day): the day the file switches from it
        to the next contract (see class docstring)."""
        if root not in self._switch:
            v = self.table[f"{root}_volume"].dropna()
            ratio = (v / v.shift(1)).replace(np.inf, np.nan)
            ltd, codes = _last_trading_days(root, v.index[0].year, v.index[-1].year)
            out = {}
            for t in ltd:
                lo, hi = pd.Timestamp(t) - pd.Timedelta(days=15), pd.Timestamp(t) + \
                    pd.Timedelta(days=15)
                w = ratio.loc[lo:hi].dropna()
                if len(w) and w.max() >= 3.0:
                    out[t] = np.datetime64(w.idxmax().date(), "D")
            self._switch[root] = out
        return self._switch[root]

    def changes(self, contract: str, root: str, days) -> np.ndarray:
        """Market price change (points) from each day to the next (len(days) - 1)."""
        days = pd.DatetimeIndex(days)
        out = np.full(len(days) - 1, np.nan)
        col = f"{root}_close"
        if root not in self.ROOTS or col not in self.table:
            return out
        px = self.table[col].reindex(days).to_numpy(float)
        q = quoted_contracts(root, days, self.switch_days(root))
        guard = self._guarded(root, days)
        for k in range(1, len(days)):
            if days[k - 1] < self.start or q[k - 1] != contract or q[k] != contract:
                continue
            if guard[k - 1] or guard[k]:
                continue
            ch = px[k] - px[k - 1]
            if np.isfinite(ch) and abs(ch) <= MAX_MARKET_CHANGE_POINTS:
                out[k - 1] = ch
        return out

    def _guarded(self, root: str, days: pd.DatetimeIndex) -> np.ndarray:
        """Days within SWITCH_GUARD_DAYS business days of a switch (detected or by rule)."""
        sw = self.switch_days(root)
        ltd, _ = _last_trading_days(root, days[0].year - 1, days[-1].year + 1)
        marks = np.unique(np.r_[ltd, np.array(list(sw.values()), dtype="datetime64[D]")])
        d = days.values.astype("datetime64[D]")
        dist = np.abs(np.busday_count(d[:, None], marks[None, :]))
        return (dist <= SWITCH_GUARD_DAYS).any(axis=1)

    def roll_check(self, root: str) -> dict:
        """Quarterly switches of the file: how many the volume located, and how many fell on
        the expiring contract's last trading day by the current exchange rule."""
        sw = self.switch_days(root)
        v = self.table[f"{root}_volume"].dropna()
        v = v[v.index >= self.start]
        ltd, _ = _last_trading_days(root, v.index[0].year, v.index[-1].year)
        nominal = [t for t in ltd if v.index[0] <= pd.Timestamp(t) <= v.index[-1]]
        located = [t for t in nominal if t in sw]
        return {"quarters": len(nominal), "located_by_volume": len(located),
                "on_rule_last_trading_day": sum(1 for t in located if sw[t] == t)}
