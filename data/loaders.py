"""Loaders for the bundled public-domain market data (see data/README.md for provenance).

All loaders return tidy pandas objects with yields in **decimals** (files hold percent).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError

DATA_DIR = Path(__file__).resolve().parent
MARKET_DIR = DATA_DIR / "market"
TEST_VECTORS_DIR = DATA_DIR / "test_vectors"
PORTFOLIOS_DIR = DATA_DIR / "portfolios"
CONTRACTS_DIR = DATA_DIR / "contracts"
MANDATES_DIR = DATA_DIR / "mandates"

PAR_CURVE_FILE = MARKET_DIR / "ust_par_yield_curve_daily.csv"
SOFR_FILE = MARKET_DIR / "sofr_daily.csv"
HQM_SPOT_FILE = MARKET_DIR / "ust_hqm_corporate_spot_monthly.csv"
HQM_PAR_FILE = MARKET_DIR / "ust_hqm_corporate_par_monthly.csv"
SECURITY_MASTER_FILE = MARKET_DIR / "ust_marketable_securities.csv"
AUCTIONS_FILE = MARKET_DIR / "ust_note_bond_auctions.csv"
FRED_DGS_FILE = MARKET_DIR / "ust_cmt_fred_dgs_daily_1962_2021.csv"

#: Par-curve column label -> tenor in years.
TENOR_YEARS: dict[str, float] = {
    "1M": 1 / 12, "1.5M": 1.5 / 12, "2M": 2 / 12, "3M": 0.25, "4M": 4 / 12, "6M": 0.5,
    "1Y": 1.0, "2Y": 2.0, "3Y": 3.0, "5Y": 5.0, "7Y": 7.0, "10Y": 10.0, "20Y": 20.0, "30Y": 30.0,
}


def tenor_to_years(label: str) -> float:
    """'10Y' -> 10.0, '6M' -> 0.5 (also accepts labels not on the Treasury curve, e.g. '15Y')."""
    s = str(label).strip().upper()
    try:
        if s.endswith("Y"):
            return float(s[:-1])
        if s.endswith("M"):
            return float(s[:-1]) / 12.0
    except ValueError:
        pass
    raise InputError(f"unknown tenor '{label}' (expected e.g. 2Y, 10Y, 6M)")


def _read_series_csv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, parse_dates=["date"]).set_index("date").sort_index()
    return df.astype(float)


@cache
def par_curve_history_pct() -> pd.DataFrame:
    """Treasury daily par yield curve, percent, index = date, columns = tenor labels."""
    return _read_series_csv(PAR_CURVE_FILE)


@dataclass(frozen=True)
class CurveOnDate:
    """A par curve as of a requested date.

    ``asof`` is the date the data is from: the requested date itself, or the nearest earlier
    business day with data, in which case ``note`` says so.
    """

    requested: pd.Timestamp
    asof: pd.Timestamp
    par_yield_dec: pd.Series  # index = tenor label, decimals, only tenors observed that day
    note: str | None

    @property
    def tenors_years(self) -> np.ndarray:
        return np.array([TENOR_YEARS[t] for t in self.par_yield_dec.index])


def latest_curve_date() -> pd.Timestamp:
    return par_curve_history_pct().index[-1]


def par_curve(asof: str | pd.Timestamp | None = None) -> CurveOnDate:
    """The Treasury par curve on ``asof`` (default: the latest bundled date).

    Uses the nearest earlier date with data (weekends, holidays) and records that in ``note``.
    Dates before the history or after its end are errors: we never extrapolate market data.
    """
    hist = par_curve_history_pct()
    if asof is None:
        asof = hist.index[-1]
    try:
        req = pd.Timestamp(asof).normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(f"unparseable date '{asof}' (expected YYYY-MM-DD)") from exc
    if req < hist.index[0]:
        raise InputError(
            f"as-of date {req.date()} is before the bundled Treasury curve history "
            f"({hist.index[0].date()} .. {hist.index[-1].date()})"
        )
    last = hist.index[-1]
    if req > last + pd.Timedelta(days=7):
        raise InputError(
            f"as-of date {req.date()} is after the bundled Treasury curve history, which ends "
            f"{last.date()}; pass --asof within the history or supply a curve file"
        )
    pos = hist.index.searchsorted(req, side="right") - 1
    used = hist.index[pos]
    row = hist.iloc[pos].dropna() / 100.0
    note = None
    if used != req:
        note = f"no Treasury curve on {req.date()}; used the nearest earlier business day {used.date()}"
    return CurveOnDate(requested=req, asof=used, par_yield_dec=row, note=note)


def par_curve_window(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
    """Par curve history between two dates inclusive, decimals."""
    hist = par_curve_history_pct()
    return hist.loc[pd.Timestamp(start): pd.Timestamp(end)] / 100.0


@cache
def sofr_history_pct() -> pd.Series:
    return _read_series_csv(SOFR_FILE)["SOFR"].dropna()


def sofr_on(asof: str | pd.Timestamp) -> tuple[pd.Timestamp, float]:
    """SOFR (decimal) on the nearest date at or before ``asof``; (date used, rate)."""
    s = sofr_history_pct()
    ts = pd.Timestamp(asof)
    if ts < s.index[0]:
        raise InputError(f"no SOFR before {s.index[0].date()} (requested {ts.date()}); pass a repo rate")
    pos = s.index.searchsorted(ts, side="right") - 1
    return s.index[pos], float(s.iloc[pos]) / 100.0


@cache
def hqm_spot_monthly_pct() -> pd.DataFrame:
    """HQM corporate spot curve, monthly averages, percent; columns = maturity in years (float)."""
    df = _read_series_csv(HQM_SPOT_FILE)
    df.columns = [float(c) for c in df.columns]
    return df


@cache
def hqm_par_monthly_pct() -> pd.DataFrame:
    """HQM corporate par yields (2, 5, 10, 30y), monthly averages, percent."""
    df = _read_series_csv(HQM_PAR_FILE)
    df.columns = [float(c) for c in df.columns]
    return df


@cache
def fred_dgs_daily_pct() -> pd.DataFrame:
    return _read_series_csv(FRED_DGS_FILE)


@cache
def _security_master_cached() -> pd.DataFrame:
    df = pd.read_csv(
        SECURITY_MASTER_FILE,
        dtype={"cusip": str, "reopening_issue_dates": str},
        parse_dates=["original_issue_date", "dated_date", "maturity_date",
                     "first_call_date_inferred", "first_auction_date"],
    )
    return df


def security_master(nominal_only: bool = False) -> pd.DataFrame:
    """Treasury notes/bonds/TIPS/FRNs, one row per CUSIP (a copy; safe to modify)."""
    df = _security_master_cached().copy()
    if nominal_only:
        df = df[df["security_class"] == "nominal"].reset_index(drop=True)
    return df


def outstanding_nominals(asof: str | pd.Timestamp) -> pd.DataFrame:
    """Nominal notes/bonds issued on or before ``asof`` and maturing after it."""
    ts = pd.Timestamp(asof)
    sm = security_master(nominal_only=True)
    alive = (sm["original_issue_date"] <= ts) & (sm["maturity_date"] > ts)
    return sm[alive].reset_index(drop=True)


@cache
def _auctions_cached() -> pd.DataFrame:
    return pd.read_csv(
        AUCTIONS_FILE, dtype={"cusip": str},
        parse_dates=["auction_date", "issue_date", "dated_date", "maturity_date"],
    )


def auctions() -> pd.DataFrame:
    """Every note/bond/TIPS/FRN auction 1979-11 .. 2026-02 (a copy)."""
    return _auctions_cached().copy()


def test_vector(name: str) -> pd.DataFrame:
    """A bundled test-vector CSV by file stem, e.g. 'ust_futures_conversion_factors'."""
    return pd.read_csv(TEST_VECTORS_DIR / f"{name}.csv")
