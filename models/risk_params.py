"""Risk-model parameters shipped as numbers (``data/risk_params/``), each valid from a date.

No public-domain swap-rate or futures-settlement history exists, so three pieces of the risk
model are *estimated* from licensed data by ``benchmarks/estimate_risk_params.py`` and only the
estimates are shipped, with their provenance (SPEC §4):

* ``swap_spread_params.csv``: the swap-spread factor (10y ISDAFIX swap - 10y Treasury par):
  annualized volatility and correlations with the Treasury key rates and the HQM corporate
  spread, re-estimated at each year end from all month-end changes up to that date;
* ``futures_basis.csv``: per Treasury futures root, the volatility (bp of yield per year) of the
  front contract's settlement change not explained by its key-rate DV01s, from monthly sums of
  daily residuals up to each year end;
* ``futures_residual.csv``: per Treasury futures root and month end, the volatility of the
  modelled futures price's departure from its key-rate DV01s (CTD cash flows between key
  tenors, convexity, DV01 drift; public data) and its correlation with the other roots';
* ``corporate_spread.csv``: the BBB OAS spread factor, from overlapping 21-day changes over 5
  years, re-estimated each month end;
* ``risk_model.csv``: the estimator chosen by out-of-sample calibration
  (``benchmarks/calibrate_risk.py``), the default of ``models.risk.build_factor_model`` and of
  the basis block (``basis``, ``model_residual``).

Point in time: a lookup on ``asof`` uses the latest row with ``valid_from <= asof`` (estimated
from data on or before that date), so a walk-forward backtest never sees a later estimate. A date
before the first row has no parameter: :class:`~data.errors.InputError` for the swap spread
(swap futures cannot be risk-modelled), a flagged fallback for the basis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from data.errors import InputError, Notice
from data.loaders import DATA_DIR
from models.caching import KeyedCache

RISK_PARAMS_DIR = DATA_DIR / "risk_params"
SWAP_SPREAD_FILE = RISK_PARAMS_DIR / "swap_spread_params.csv"
BASIS_FILE = RISK_PARAMS_DIR / "futures_basis.csv"
RISK_MODEL_FILE = RISK_PARAMS_DIR / "risk_model.csv"
FUTURES_RESIDUAL_FILE = RISK_PARAMS_DIR / "futures_residual.csv"
#: Roots without settlement history borrow the basis of the nearest root with one.
BASIS_PROXY = {"Z3N": "ZF", "TN": "ZN", "UB": "ZB"}


@cache
def _table(path: str) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["valid_from"])


def _dated(t: pd.DataFrame, asof, first_if_none: bool = False) -> pd.DataFrame:
    """The rows of the latest ``valid_from`` on or before ``asof`` (an estimate made from data
    up to then: no look-ahead); empty when there is none, or with ``first_if_none`` the rows of
    the earliest estimate (the caller says so)."""
    if t.empty:
        return t
    ok = t[t["valid_from"] <= pd.Timestamp(asof)]
    if ok.empty:
        if not first_if_none:
            return ok
        ok = t
        return ok[ok["valid_from"] == ok["valid_from"].min()]
    return ok[ok["valid_from"] == ok["valid_from"].max()]


@dataclass(frozen=True)
class SpreadParams:
    """A spread factor's annualized vol (bp) and correlations with the key rates (and other
    spread factors), one dated estimate of a ``kind, other, value`` table."""

    vol_bp_annual: float
    corr: dict[str, float]           # key tenor or "spread:Corporate" -> correlation
    valid_from: pd.Timestamp
    window: str
    nobs: int
    source: str
    #: key tenor through which the spread co-moves with the curve (``models.risk.
    #: spread_rate_link``); None: the correlation per key rate
    rate_driver: str | None = None

    @classmethod
    def from_rows(cls, rows: pd.DataFrame) -> SpreadParams:
        vol = float(rows.loc[rows["kind"] == "vol_bp_annual", "value"].iloc[0])
        corr = {str(r.other): float(r.value) for r in rows[rows["kind"] == "corr"].itertuples()}
        drv = rows.loc[rows["kind"] == "rate_driver", "other"]
        r0 = rows.iloc[0]
        return cls(vol, corr, pd.Timestamp(r0["valid_from"]), str(r0["window"]),
                   int(r0["nobs"]), str(r0["source"]), str(drv.iloc[0]) if len(drv) else None)


@dataclass(frozen=True)
class SwapSpreadParams(SpreadParams):
    def describe(self) -> str:
        return (f"swap-spread factor: vol {self.vol_bp_annual:.1f} bp/yr and correlations "
                f"estimated from ISDAFIX {self.window} ({self.nobs} month-end changes; licensed "
                f"source, parameters only; valid from {self.valid_from.date()})")


def swap_spread_params(asof) -> SwapSpreadParams:
    """The swap-spread factor's parameters estimated from data on or before ``asof``."""
    t = _table(str(SWAP_SPREAD_FILE))
    rows = _dated(t, asof)
    if rows.empty:
        raise InputError(f"no swap-spread parameters before {t['valid_from'].min().date()} "
                         "(estimated from ISDAFIX swap rates, which start 2000-07): swap futures "
                         "(NSF5 NSF10 SSF2 SSF5 SSF10 SSF30) cannot be risk-modelled on "
                         f"{pd.Timestamp(asof).date()}")
    return SwapSpreadParams.from_rows(rows)


@dataclass(frozen=True)
class BasisParams:
    root: str
    vol_bp_annual: float
    valid_from: pd.Timestamp | None
    nobs: int
    source: str
    notices: list[Notice] = field(default_factory=list)


def futures_basis(root: str, asof) -> BasisParams:
    """Basis volatility of a Treasury futures root (bp of yield per year) valid on ``asof``."""
    t = _table(str(BASIS_FILE))
    asof = pd.Timestamp(asof)
    notices = []
    use = root if root in set(t["root"]) else BASIS_PROXY.get(root, "ZN")
    if use != root:
        notices.append(Notice("basis_proxy", f"no settlement history in the estimate: the basis "
                              f"risk of {use} is used", subject=root, severity="info"))
    rows = _dated(t[t["root"] == use], asof)
    if rows.empty:
        rows = _dated(t[t["root"] == use], asof, first_if_none=True)
        notices.append(Notice("basis_before_estimates", f"no basis estimate on or before "
                              f"{asof.date()}: the first one (valid from "
                              f"{rows['valid_from'].iloc[0].date()}) is used", subject=root))
    r = rows.iloc[-1]
    return BasisParams(root, float(r["vol_bp_annual"]), pd.Timestamp(r["valid_from"]),
                       int(r["nobs"]), str(r["source"]), notices)


def futures_residual(root: str, asof) -> BasisParams | None:
    """A Treasury futures root's modelled-price residual to its key-rate DV01s (bp of yield per
    year; ``futures_residual.csv``) valid on ``asof``; the first estimate before it; None
    without the file or the root."""
    if not FUTURES_RESIDUAL_FILE.exists():
        return None
    t = _table(str(FUTURES_RESIDUAL_FILE))
    rows = t[t["root"] == root]
    if rows.empty:
        return None
    r = _dated(rows, asof, first_if_none=True).iloc[-1]
    return BasisParams(root, float(r["vol_bp_annual"]), pd.Timestamp(r["valid_from"]),
                       int(r["nobs"]), str(r["source"]))


@dataclass(frozen=True)
class RiskModelSpec:
    """A covariance estimator of ``models.risk.estimate_cov`` for the daily factor block."""

    method: str = "sample"
    halflife: float | None = None
    basis: bool = True
    source: str = "built-in"
    horizon_days: int = 1            # daily block from overlapping h-day changes (h = 1: daily)
    model_residual: bool = True      # futures' residual to their key-rate DV01s in the basis
    spread: str = ""                 # the corporate spread estimator shipped (its label)


@cache
def default_risk_spec() -> RiskModelSpec:
    """The estimator chosen by out-of-sample calibration (``risk_model.csv``)."""
    if not RISK_MODEL_FILE.exists():
        return RiskModelSpec()
    r = pd.read_csv(RISK_MODEL_FILE).iloc[0]
    hl = r.get("halflife")
    h = r.get("horizon_days", 1)
    return RiskModelSpec(str(r["method"]), None if pd.isna(hl) else float(hl),
                         bool(r.get("basis", True)), str(r["source"]),
                         1 if pd.isna(h) else int(h), bool(r.get("model_residual", False)),
                         "" if pd.isna(r.get("spread")) else str(r.get("spread")))


def residual_corr(roots: list[str], asof) -> np.ndarray:
    """Correlation of the futures model residuals of ``roots`` (``futures_residual.csv``
    ``corr_<root>`` of the rows valid on ``asof``; 0 where unknown), symmetrized and clipped to
    the nearest PSD matrix with a unit diagonal (pairwise estimates over different spans)."""

    k = len(roots)
    c = np.eye(k)
    if not FUTURES_RESIDUAL_FILE.exists():
        return c
    t = _table(str(FUTURES_RESIDUAL_FILE))
    for i, a in enumerate(roots):
        rows = _dated(t[t["root"] == a], asof, first_if_none=True)
        if rows.empty:
            continue
        r = rows.iloc[-1]
        for j, b in enumerate(roots):
            v = r.get(f"corr_{b}", np.nan)
            if i != j and pd.notna(v):
                c[i, j] = float(v)
    c = (c + c.T) / 2
    w, v = np.linalg.eigh(c)
    if w.min() < 0:
        c = (v * np.clip(w, 1e-9, None)) @ v.T
        d = np.sqrt(np.diag(c))
        c = c / np.outer(d, d)
    return c


_BASIS_CACHE: KeyedCache[tuple] = KeyedCache("basis_block", maxsize=256)


def basis_block(contracts: list[tuple[str, str]], asof):
    """:func:`basis_block_uncached`, cached per (contracts, as-of date, parameter files) in the
    process (a second hedge on the same date rebuilds nothing); lists and matrix are copies."""
    key = (tuple((str(c), str(r)) for c, r in contracts), pd.Timestamp(asof).normalize(),
           str(BASIS_FILE), str(FUTURES_RESIDUAL_FILE), BASIS_FILE.exists(),
           default_risk_spec().model_residual)
    names, cov, notices, prov = _BASIS_CACHE.get_or_compute(
        key, lambda: basis_block_uncached(contracts, asof))
    return list(names), np.array(cov, float), list(notices), list(prov)


def basis_block_uncached(contracts: list[tuple[str, str]], asof):
    """Basis-risk factors for Treasury futures ``(contract, root)``: one factor
    ``basis:<contract>`` per contract, in bp of yield (exposure = the contract's DV01). Its
    variance: ``futures_basis`` (settlement vs modelled price; independent across contracts)
    plus, with the calibrated default's ``model_residual``, ``futures_residual`` (modelled
    price vs key-rate DV01s), correlated across contracts by ``residual_corr``. Returns (names,
    covariance bp^2/yr, notices, provenance lines). Without the parameter file: no factors, and
    a notice."""

    if not BASIS_FILE.exists():
        return [], np.zeros((0, 0)), [Notice(
            "basis_missing", "no futures basis parameters shipped: basis risk is not in the "
            "tracking error", subject="risk model")], []
    with_resid = default_risk_spec().model_residual
    names, settle, rvol, notices, prov = [], [], [], [], []
    for contract, root in contracts:
        p = futures_basis(root, asof)
        r = futures_residual(root, asof) if with_resid else None
        rv = 0.0 if r is None else r.vol_bp_annual
        names.append(f"basis:{contract}")
        settle.append(p.vol_bp_annual ** 2)
        rvol.append(rv)
        notices.extend(p.notices)
        prov.append(f"basis risk {contract}: {p.vol_bp_annual:.2f} bp/yr (front-month "
                    f"settlements vs the modelled price, valid from "
                    f"{p.valid_from.date() if p.valid_from is not None else 'n/a'})"
                    + ("" if r is None else f" and {rv:.2f} bp/yr (modelled price vs key-rate "
                       f"DV01s, valid from {r.valid_from.date()}, correlated across contracts)"))
    rv = np.array(rvol)
    cov = np.diag(settle) + residual_corr([r for _, r in contracts], asof) * np.outer(rv, rv)
    return names, cov, notices, prov


CORPORATE_BETA_FILE = RISK_PARAMS_DIR / "corporate_beta.csv"


def corporate_beta(asof) -> dict | None:
    """Daily beta of BBB corporate yields on the 7-year Treasury estimated from data up to the
    latest ``valid_from`` on or before ``asof`` (None before the first estimate or without the
    file). Keys: beta, std_err, r_squared, resid_vol_bp_annual, nobs, start, end, source."""
    if not CORPORATE_BETA_FILE.exists():
        return None
    rows = _dated(_table(str(CORPORATE_BETA_FILE)), asof)
    if rows.empty:
        return None
    r = rows.iloc[-1]
    return {"beta": float(r["beta"]), "std_err": float(r["std_err"]),
            "r_squared": float(r["r_squared"]),
            "resid_vol_bp_annual": float(r["resid_vol_bp_annual"]), "nobs": int(r["nobs"]),
            "start": str(r["start"]), "end": str(r["end"]), "source": str(r["source"]),
            "valid_from": pd.Timestamp(r["valid_from"])}


def append_basis_factors(names: list[str], cov, contracts: list[tuple[str, str]], asof):
    """``names``/``cov`` (bp^2/yr) with one basis factor per Treasury futures
    contract appended (``basis_block``); returns (names, cov, notices, provenance)."""

    if not default_risk_spec().basis:
        return list(names), np.asarray(cov, float), [], []
    bn, bc, notices, prov = basis_block(contracts, asof)
    if not bn:
        return list(names), np.asarray(cov, float), notices, prov
    k = len(names)
    out = np.zeros((k + len(bn), k + len(bn)))
    out[:k, :k] = cov
    out[k:, k:] = bc
    return list(names) + bn, out, notices, prov


CORPORATE_SPREAD_FILE = RISK_PARAMS_DIR / "corporate_spread.csv"


def corporate_spread_params(asof) -> SpreadParams | None:
    """The corporate (BBB OAS) spread factor estimated from data up to the latest
    ``valid_from`` on or before ``asof``; None before the first estimate or without the file."""
    if not CORPORATE_SPREAD_FILE.exists():
        return None
    rows = _dated(_table(str(CORPORATE_SPREAD_FILE)), asof)
    return SpreadParams.from_rows(rows) if not rows.empty else None
