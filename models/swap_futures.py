"""Swap futures: the classic CBOT cash-settled design and the SOFR (NPV-quoted) swap future.

**Classic** (CBOT 5-/10-year Interest Rate Swap futures, 2001-2013, delisted; kept as an instrument
type for history and for SPEC §10's worked example). Final settlement per 100,000 notional::

    P(r) = 100000 * [c/r + (1 - c/r) * (1 + r/200) ** (-2T)]

with c = 6 (notional coupon, %), r the benchmark par swap rate in percent, T the tenor in years.
It is the price of a 6% semi-annual T-year bond at yield r. DV01 per contract (USD for a 1 bp
fall of r; positive for a long) is the analytic derivative -dP/dr x 0.01::

    dP/dr = 100000 * [-c/r**2 + (c/r**2) * v + (1 - c/r) * (-2T) * v / (200 (1 + r/200))],
    v = (1 + r/200) ** (-2T)

r = 6 -> 100,000.00; r = 5.25 -> 105,777.50 (T = 10); DV01 ~ $77 at r ~ 5.63 (T = 10).

**SOFR swap future** (the design that trades today: $100,000 notional, quoted as 100 + NPV per 100
of a fixed-vs-SOFR swap at the contract's fixed rate, receiver side for a long). Priced off a
swap curve: the user's par swap curve if given, else the Treasury par curve + a stated swap spread
(``DEFAULT_SWAP_SPREAD_BP``), in which case every output carries the flag
``swap_curve_proxy_treasury_plus_spread``. The swap's fixed leg is annual ACT/360-like in a
simplified annual-period form (flows at 1..T years), discounted on the SOFR zero curve
bootstrapped from annual par swap rates; float leg at par. Exposures: DV01 and key-rate DV01s by
bumping each key par swap rate 1 bp with triangular weights (SPEC §5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import loaders
from data.contracts import swap_futures_table
from data.errors import InputError

NOTIONAL_COUPON_PCT = 6.0
CLASSIC_NOTIONAL_USD = 100_000.0

#: Default SOFR swap spread to Treasuries (swap rate - Treasury par yield, bp) when no swap curve
#: is given. Since 2023 SOFR swap spreads have been negative at 5y-30y (about -10 to -20 bp at 5y,
#: -30 to -45 bp at 10y, -70 to -90 bp at 30y, by market commentary); we use a single round
#: number per tenor bucket. A proxy, flagged in every output; pass your own curve.
DEFAULT_SWAP_SPREAD_BP: dict[str, float] = {
    "1Y": -5.0, "2Y": -15.0, "3Y": -20.0, "5Y": -25.0, "7Y": -35.0, "10Y": -45.0,
    "20Y": -80.0, "30Y": -85.0,
}
PROXY_FLAG = "swap_curve_proxy_treasury_plus_spread"
DEFAULT_SWAP_KEYS = ("1Y", "2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")


# ---------------------------------------------------------------------------------------------
# classic cash-settled swap future

def classic_price(rate_pct, tenor_years: float = 10.0, coupon_pct: float = NOTIONAL_COUPON_PCT):
    """Final-settlement price per 100,000 notional (rate in percent)."""
    r = np.asarray(rate_pct, dtype=float)
    if np.any(r <= 0):
        raise InputError("swap rate must be positive (percent, e.g. 5.25)")
    c = coupon_pct
    v = (1.0 + r / 200.0) ** (-2.0 * tenor_years)
    p = CLASSIC_NOTIONAL_USD * (c / r + (1.0 - c / r) * v)
    return float(p) if np.ndim(p) == 0 else p


def classic_dv01(rate_pct, tenor_years: float = 10.0, coupon_pct: float = NOTIONAL_COUPON_PCT):
    """USD per contract for a 1 bp fall in the swap rate (analytic derivative x 0.01 %)."""
    r = np.asarray(rate_pct, dtype=float)
    c = coupon_pct
    T = tenor_years
    v = (1.0 + r / 200.0) ** (-2.0 * T)
    dv_dr = -2.0 * T * v / (200.0 * (1.0 + r / 200.0))
    dp_dr = CLASSIC_NOTIONAL_USD * (-c / r**2 + (c / r**2) * v + (1.0 - c / r) * dv_dr)
    out = -dp_dr * 0.01
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class SwapFutureRisk:
    contract: str
    kind: str
    tenor_years: float
    price: float                     # classic: USD per 100,000; SOFR: per 100
    dv01_usd_per_contract: float
    key_rate_dv01: dict[str, float]
    notional_usd: float
    swap_rate_pct: float
    flags: list[str] = field(default_factory=list)


def classic_risk(rate_pct: float, tenor_years: float = 10.0,
                 contract: str = "NSF10") -> SwapFutureRisk:
    """Price, DV01 and key-rate exposure (all on the tenor's key rate) of a classic contract."""
    p = classic_price(rate_pct, tenor_years)
    d = classic_dv01(rate_pct, tenor_years)
    key = f"{int(round(tenor_years))}Y"
    return SwapFutureRisk(contract, "classic_cash_settled", tenor_years, p, d, {key: d}, p,
                          float(rate_pct), ["classic swap future: delisted 2013 (historical)"])


# ---------------------------------------------------------------------------------------------
# swap curve (annual par swap rates) and SOFR swap future

def _interp_par(tenors: np.ndarray, rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.interp(t, tenors, rates)


def _annual_discount_factors(par_tenors, par_rates_dec, horizon: int) -> np.ndarray:
    """Bootstrap annual discount factors 1..horizon from par swap rates (annual fixed,
    float at par): S_n * sum_{i<=n} D_i + D_n = 1."""
    t = np.arange(1, horizon + 1, dtype=float)
    s = _interp_par(np.asarray(par_tenors, float), np.asarray(par_rates_dec, float), t)
    dfs = np.empty(horizon)
    annuity = 0.0
    for i in range(horizon):
        dfs[i] = (1.0 - s[i] * annuity) / (1.0 + s[i])
        annuity += dfs[i]
    return dfs


def swap_curve(asof=None, user_curve: pd.Series | None = None,
               spread_bp: dict[str, float] | float | None = None
               ) -> tuple[pd.Series, list[str]]:
    """Par swap rates (decimal) by tenor label, and flags.

    ``user_curve``: a Series tenor label -> par swap rate (decimal). Else Treasury par yields
    on ``asof`` + ``spread_bp`` (a number or a per-tenor dict, default
    :data:`DEFAULT_SWAP_SPREAD_BP`), flagged as a proxy.
    """
    if user_curve is not None:
        s = pd.Series(user_curve, dtype=float).dropna()
        if s.empty:
            raise InputError("empty swap curve")
        if (s.abs() > 0.3).any():
            raise InputError("swap rates look like percent: pass decimals (4.25% -> 0.0425)")
        return s, []
    curve = loaders.par_curve(asof)
    par = curve.par_yield_dec
    keys = [k for k in DEFAULT_SWAP_KEYS if k in par.index]
    if isinstance(spread_bp, (int, float)):
        spreads = {k: float(spread_bp) for k in keys}
    else:
        spreads = dict(DEFAULT_SWAP_SPREAD_BP if spread_bp is None else spread_bp)
    out = pd.Series({k: par[k] + spreads.get(k, 0.0) / 1e4 for k in keys})
    flags = [f"{PROXY_FLAG} (Treasury par {curve.asof.date()} + spread bp "
             f"{ {k: spreads.get(k, 0.0) for k in keys} })"]
    if curve.note:
        flags.append(curve.note)
    return out, flags


def _tenor_years(labels) -> np.ndarray:
    return np.array([loaders.tenor_to_years(k) for k in labels])


def sofr_swap_npv_per100(fixed_rate_dec: float, tenor_years: int, par_curve: pd.Series) -> float:
    """NPV per 100 notional of receiving fixed (annual) vs SOFR on a ``tenor_years`` swap."""
    T = int(round(tenor_years))
    dfs = _annual_discount_factors(_tenor_years(par_curve.index), par_curve.to_numpy(), T)
    return 100.0 * (fixed_rate_dec * dfs.sum() - (1.0 - dfs[-1]))


def _triangular_bump(labels, key: str, bp: float = 1.0) -> np.ndarray:
    t = _tenor_years(labels)
    k = loaders.tenor_to_years(key)
    keys = np.sort(t)
    i = int(np.searchsorted(keys, k))
    lo = keys[i - 1] if i > 0 else None
    hi = keys[i + 1] if i + 1 < len(keys) else None
    w = np.zeros_like(t)
    w[t == k] = 1.0
    if lo is not None:
        m = (t > lo) & (t < k)
        w[m] = (t[m] - lo) / (k - lo)
    else:
        w[t < k] = 1.0
    if hi is not None:
        m = (t > k) & (t < hi)
        w[m] = (hi - t[m]) / (hi - k)
    else:
        w[t > k] = 1.0
    return w * bp / 1e4


def sofr_swap_future_risk(contract: str = "SSF10", fixed_rate_pct: float | None = None,
                          asof=None, user_curve: pd.Series | None = None,
                          spread_bp: dict[str, float] | float | None = None) -> SwapFutureRisk:
    """Price (100 + NPV per 100), DV01 and key-rate DV01s (USD per contract) of a SOFR swap
    future. ``fixed_rate_pct`` default: the par swap rate rounded to the nearest 0.25%
    (exchanges set each contract month's coupon in 25 bp steps)."""
    t = swap_futures_table()
    row = t[t["root"] == contract.upper()]
    if row.empty or row.iloc[0]["kind"] != "sofr_swap_npv":
        raise InputError(f"unknown SOFR swap future '{contract}' (known: "
                         f"{', '.join(t[t['kind'] == 'sofr_swap_npv']['root'])})")
    r = row.iloc[0]
    T = int(r["tenor_years"])
    notional = float(r["notional_usd"])
    curve, flags = swap_curve(asof, user_curve, spread_bp)
    par_T = float(np.interp(T, _tenor_years(curve.index), curve.to_numpy()))
    k = round(par_T * 400) / 400 if fixed_rate_pct is None else fixed_rate_pct / 100.0
    price = 100.0 + sofr_swap_npv_per100(k, T, curve)

    def px(c: pd.Series) -> float:
        return 100.0 + sofr_swap_npv_per100(k, T, c)

    dv01 = (px(curve - 0.5e-4) - px(curve + 0.5e-4)) / 100.0 * notional
    krd = {}
    for key in curve.index:
        w = _triangular_bump(curve.index, key)
        krd[key] = float((px(curve - w / 2) - px(curve + w / 2)) / 100.0 * notional)
    return SwapFutureRisk(contract.upper(), "sofr_swap_npv", float(T), float(price),
                          float(dv01), krd, float(notional * price / 100.0), par_T * 100.0, flags)
