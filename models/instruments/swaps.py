"""Swap futures: CME MAC SOFR swap futures (what trades today) and the classic CBOT cash-settled
design (delisted 2013; kept for history and SPEC §10's worked example).

**SOFR swap futures** (CME MAC SOFR swap futures, CBOT Chapter 63; terms in
``data/contracts/swap_futures.csv``): $100,000 notional, $1,000 per point, quoted as 100 points
plus the NPV (per 100) of the swap **as of the third Wednesday of the contract month**, the
swap's effective date; trading ends the 2nd London business day before it (US bond calendar used
as the stand-in). The delivered swap receives (for a long) the contract's fixed rate **annually
on ACT/360** against SOFR compounded (annual, ACT/360: the USD SOFR OIS standard) for the tenor
from the effective date. So::

    price = 100 + 100 x [K sum_k a_k D(t_k) - (D(eff) - D(mat))] / D(eff)

with a_k the ACT/360 fractions of the annual periods from the effective date (dates adjusted
modified-following on the bond calendar), D the SOFR discount curve bootstrapped from annual par
swap rates (spot = as-of + 2 business days; each par swap: S_n sum_i a_i D_i + D_n = 1;
log-linear discount factors between annual pillars). K is set by the exchange per contract month
(model default: the par forward rate rounded to 0.25%). The swap curve is the user's, else the
Treasury par curve + a stated swap spread (:data:`DEFAULT_SWAP_SPREAD_BP`), flagged
``swap_curve_proxy_treasury_plus_spread`` in every output. DV01 and key-rate DV01s: 1 bp (central,
+-0.5 bp) bumps of all / each (triangular) par swap rate, re-bootstrapped; the whole DV01 is also
the exposure to the swap-spread factor. A year fraction of 1.0 and a spot start (the earlier
model) understated the DV01 by about 1.1% for the 10-year (365/360 and the forward start).

**Classic** (CBOT 5-/10-year Interest Rate Swap futures, 2001-2013). Final settlement per
100,000 notional ``P(r) = 100000 [c/r + (1 - c/r)(1 + r/200)^(-2T)]`` with c = 6 (%), r the
benchmark par swap rate in percent, T the tenor in years: the price of a 6% semi-annual T-year
bond at yield r; DV01 per contract = -dP/dr x 0.01 analytically. r = 6 -> 100,000.00; r = 5.25
-> 105,777.50 (T = 10); DV01 ~ $77 at r ~ 5.63.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import loaders
from data.contracts import swap_futures_table
from data.errors import InputError
from models import calendar as cal
from models.contract_codes import ContractCode
from models.instruments.base import ContractBase, ContractRisk, Market
from models.instruments.keys import map_to_key_tenors, triangular_bump

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
SPOT_LAG_DAYS = 2


# ---------------------------------------------------------------------------------------------
# classic cash-settled swap future

def classic_price(rate_pct: object, tenor_years: float = 10.0,
                  coupon_pct: float = NOTIONAL_COUPON_PCT) -> float | np.ndarray:
    """Final-settlement price per 100,000 notional (rate in percent)."""
    r = np.asarray(rate_pct, dtype=float)
    if np.any(r <= 0):
        raise InputError("swap rate must be positive (percent, e.g. 5.25)")
    c = coupon_pct
    v = (1.0 + r / 200.0) ** (-2.0 * tenor_years)
    p = CLASSIC_NOTIONAL_USD * (c / r + (1.0 - c / r) * v)
    return float(p) if np.ndim(p) == 0 else np.asarray(p)


def classic_dv01(rate_pct: object, tenor_years: float = 10.0,
                 coupon_pct: float = NOTIONAL_COUPON_PCT) -> float | np.ndarray:
    """USD per contract for a 1 bp fall in the swap rate (analytic derivative x 0.01 %)."""
    r = np.asarray(rate_pct, dtype=float)
    c = coupon_pct
    T = tenor_years
    v = (1.0 + r / 200.0) ** (-2.0 * T)
    dv_dr = -2.0 * T * v / (200.0 * (1.0 + r / 200.0))
    dp_dr = CLASSIC_NOTIONAL_USD * (-c / r**2 + (c / r**2) * v + (1.0 - c / r) * dv_dr)
    out = -dp_dr * 0.01
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


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
    fixed_rate_pct: float = float("nan")
    effective_date: pd.Timestamp | None = None
    maturity_date: pd.Timestamp | None = None


def classic_risk(rate_pct: float, tenor_years: float = 10.0,
                 contract: str = "NSF10") -> SwapFutureRisk:
    """Price, DV01 and key-rate exposure (all on the tenor's key rate) of a classic contract."""
    p = float(classic_price(rate_pct, tenor_years))
    d = float(classic_dv01(rate_pct, tenor_years))
    key = f"{int(round(tenor_years))}Y"
    return SwapFutureRisk(contract, "classic_cash_settled", tenor_years, p, d, {key: d}, p,
                          float(rate_pct), ["classic swap future: delisted 2013 (historical)"])


# ---------------------------------------------------------------------------------------------
# the swap curve and its SOFR discount curve

def swap_curve(asof: object = None, user_curve: pd.Series | None = None,
               spread_bp: Mapping[str, float] | float | None = None
               ) -> tuple[pd.Series, list[str]]:
    """Par swap rates (decimal, annual ACT/360 SOFR OIS) by tenor label, and flags.

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
    out, flags = proxy_swap_curve(curve.par_yield_dec, curve.asof, spread_bp)
    if curve.note:
        flags.append(curve.note)
    return out, flags


def proxy_swap_curve(par: pd.Series, curve_date: pd.Timestamp,
                     spread_bp: Mapping[str, float] | float | None = None
                     ) -> tuple[pd.Series, list[str]]:
    """Treasury par yields (decimal, by tenor) + the swap spread (bp): the flagged proxy."""
    keys = [k for k in DEFAULT_SWAP_KEYS if k in par.index]
    if isinstance(spread_bp, (int, float)):
        spreads = {k: float(spread_bp) for k in keys}
    else:
        spreads = dict(DEFAULT_SWAP_SPREAD_BP if spread_bp is None else spread_bp)
    out = pd.Series({k: float(par[k]) + spreads.get(k, 0.0) / 1e4 for k in keys})
    spread_text = ", ".join(f"{k} {spreads.get(k, 0.0):+.1f} bp" for k in keys)
    return out, [f"{PROXY_FLAG}: swap rates are a proxy, Treasury par {curve_date.date()} + "
                 f"swap spread {spread_text}; pass a swap curve for market rates"]


def market_swap_curve(market: Market) -> tuple[pd.Series, list[str]]:
    """The market's par swap curve: its own, else the proxy on its (unshocked) Treasury
    curve's par quotes."""
    if market.swap_curve is not None:
        return swap_curve(market.asof, market.swap_curve)
    base = market.unshocked.curve
    out, flags = proxy_swap_curve(base.par_quotes, base.asof, market.swap_spread_bp)
    return out, flags + ([base.note] if base.note else [])


def _tenor_years(labels: Sequence[object]) -> np.ndarray:
    return np.array([loaders.tenor_to_years(str(k)) for k in labels])


def _modified_following(d: pd.Timestamp) -> pd.Timestamp:
    f = cal.add_business_days(d, 0)
    return f if f.month == d.month else cal.previous_business_day(d)


def _annual_dates(start: pd.Timestamp, years: int) -> list[pd.Timestamp]:
    return [_modified_following(start + pd.DateOffset(years=k)) for k in range(1, years + 1)]


@dataclass(frozen=True)
class SofrCurve:
    """SOFR discount factors from the spot date: annual pillars, log-linear in between."""

    spot: pd.Timestamp
    pillar_days: np.ndarray   # days from spot, 0 first
    log_df: np.ndarray

    def discount(self, dates: Sequence[pd.Timestamp]) -> np.ndarray:
        d = np.array([(pd.Timestamp(x) - self.spot).days for x in dates], dtype=float)
        # flat forward beyond the last pillar: extend the last segment's slope
        slope = (self.log_df[-1] - self.log_df[-2]) / (self.pillar_days[-1] - self.pillar_days[-2])
        inside = np.interp(d, self.pillar_days, self.log_df)
        beyond = self.log_df[-1] + slope * (d - self.pillar_days[-1])
        return np.asarray(np.exp(np.where(d > self.pillar_days[-1], beyond, inside)))


def sofr_curve(par: pd.Series, asof: pd.Timestamp, horizon_years: int = 32) -> SofrCurve:
    """Bootstrap the SOFR discount curve from par swap rates (see module docstring); par
    rates are interpolated linearly in tenor to every whole year, flat beyond the ends."""
    spot = cal.add_business_days(cal.add_business_days(asof, 0), SPOT_LAG_DAYS)
    dates = _annual_dates(spot, horizon_years)
    s = np.interp(np.arange(1, horizon_years + 1), _tenor_years(list(par.index)),
                  par.to_numpy(dtype=float))
    prev = spot
    annuity = 0.0
    dfs = np.empty(horizon_years)
    for i, d in enumerate(dates):
        a = (d - prev).days / 360.0
        dfs[i] = (1.0 - s[i] * annuity) / (1.0 + s[i] * a)
        annuity += a * dfs[i]
        prev = d
    days = np.r_[0.0, [(d - spot).days for d in dates]]
    return SofrCurve(spot, days, np.r_[0.0, np.log(dfs)])


# ---------------------------------------------------------------------------------------------
# the SOFR swap future

def _swap_row(root: str) -> pd.Series:
    t = swap_futures_table()
    row = t[t["root"] == root.upper()]
    if row.empty:
        raise InputError(f"unknown swap future '{root}' (known: {', '.join(t['root'])})")
    return row.iloc[0]


@dataclass(frozen=True)
class SwapSchedule:
    """The delivered swap's fixed-leg schedule (from the effective date)."""

    effective: pd.Timestamp
    pay_dates: tuple[pd.Timestamp, ...]
    accruals: np.ndarray       # ACT/360 year fractions

    @property
    def maturity(self) -> pd.Timestamp:
        return self.pay_dates[-1]


def swap_schedule(effective: pd.Timestamp, tenor_years: int) -> SwapSchedule:
    eff = cal.add_business_days(effective, 0)
    pay = _annual_dates(pd.Timestamp(effective), tenor_years)
    starts = [eff, *pay[:-1]]
    acc = np.array([(b - a).days / 360.0 for a, b in zip(starts, pay, strict=True)])
    return SwapSchedule(eff, tuple(pay), acc)


def forward_npv_per100(fixed_rate_dec: float, sched: SwapSchedule, curve: SofrCurve) -> float:
    """NPV per 100 of receiving ``fixed_rate_dec`` vs SOFR on the swap, as of its effective
    date (float leg at par for a single-curve OIS: D(eff) - D(mat))."""
    d = curve.discount([sched.effective, *sched.pay_dates])
    annuity = float(np.dot(sched.accruals, d[1:]))
    return 100.0 * (fixed_rate_dec * annuity - (d[0] - d[-1])) / d[0]


def par_forward_rate(sched: SwapSchedule, curve: SofrCurve) -> float:
    d = curve.discount([sched.effective, *sched.pay_dates])
    return float((d[0] - d[-1]) / np.dot(sched.accruals, d[1:]))


def _sofr_swap_risk(code: ContractCode, asof: pd.Timestamp, curve: pd.Series,
                    fixed_rate_pct: float | None, flags: list[str]) -> SwapFutureRisk:
    row = _swap_row(code.root)
    if int(row["fixed_payments_per_year"]) != 1 or row["fixed_day_count"] != "ACT/360":
        raise InputError(f"{code.root}: only annual ACT/360 fixed legs are modelled")  # pragma: no cover
    T = int(row["tenor_years"])
    point = float(row["point_value_usd"])
    sched = swap_schedule(cal.third_wednesday(code.year, code.month), T)
    if sched.effective <= asof:
        raise InputError(f"{code.code}: effective date {sched.effective.date()} is not after the "
                         f"as-of date {asof.date()} (contract expired)")

    def price(c: pd.Series, k: float) -> float:
        return 100.0 + forward_npv_per100(k, sched, sofr_curve(c, asof, T + 2))

    par_fwd = par_forward_rate(sched, sofr_curve(curve, asof, T + 2))
    k = round(par_fwd * 400) / 400 if fixed_rate_pct is None else fixed_rate_pct / 100.0
    dv01 = (price(curve - 0.5e-4, k) - price(curve + 0.5e-4, k)) * point
    krd = {}
    for key in curve.index:
        w = triangular_bump(list(curve.index), str(key))
        krd[str(key)] = float((price(curve - w / 2, k) - price(curve + w / 2, k)) * point)
    p = price(curve, k)
    return SwapFutureRisk(code.code, "sofr_swap_npv", float(T), float(p), float(dv01), krd,
                          float(point * p), par_fwd * 100.0, flags, k * 100.0,
                          sched.effective, sched.maturity)


class _SwapFutureBase(ContractBase):
    """What both swap-future designs share: the tenor, trading to the 2nd business day before
    the contract month's third Wednesday, the whole DV01 on the swap-spread factor."""

    def __init__(self, code: ContractCode) -> None:
        super().__init__(code)
        self.tenor_years = int(_swap_row(code.root)["tenor_years"])
        self.effective_date = cal.add_business_days(cal.third_wednesday(code.year, code.month), 0)

    @property
    def last_trading_day(self) -> pd.Timestamp:
        return cal.add_business_days(self.effective_date, -2)

    @property
    def roll_reference_day(self) -> pd.Timestamp:
        return self.last_trading_day

    def _contract_risk(self, r: SwapFutureRisk, key_tenors: Sequence[str], description: str,
                       flags: tuple[str, ...], details: dict[str, object]) -> ContractRisk:
        return ContractRisk(
            contract=self.code, root=self.root, kind=self.kind, price=r.price,
            dv01_usd=r.dv01_usd_per_contract,
            key_rate_dv01=map_to_key_tenors(r.key_rate_dv01, key_tenors),
            swap_spread_dv01_usd=r.dv01_usd_per_contract, notional_usd=r.notional_usd,
            point_value_usd=self.point_value_usd, description=description, flags=flags,
            details=details)


class SofrSwapFuture(_SwapFutureBase):
    """A CME MAC SOFR swap futures contract month (``SSF10U5``: 10-year, September 2025)."""

    kind = "sofr_swap_future"

    def swap_risk(self, market: Market, fixed_rate_pct: float | None = None) -> SwapFutureRisk:
        curve, flags = market_swap_curve(market)
        return _sofr_swap_risk(self.contract_code, market.asof, curve, fixed_rate_pct, flags)

    def schedule(self) -> SwapSchedule:
        return swap_schedule(self.effective_date, self.tenor_years)

    def fixed_rate_dec(self, market: Market) -> float:
        """The contract's fixed rate (exchange-set; model: the par forward rate in the
        unshocked market rounded to 0.25%)."""
        base = market.unshocked
        curve, _ = market_swap_curve(base)
        par = par_forward_rate(self.schedule(), sofr_curve(curve, base.asof,
                                                           self.tenor_years + 2))
        return round(par * 400) / 400

    def revalue(self, market: Market) -> tuple[float, dict[str, object]]:
        curve, _ = market_swap_curve(market)
        k = self.fixed_rate_dec(market)
        p = 100.0 + forward_npv_per100(k, self.schedule(), sofr_curve(
            curve, market.asof, self.tenor_years + 2))
        return p, {"price": p, "fixed_rate_pct": k * 100.0}

    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk:
        r = self.swap_risk(market)
        return self._contract_risk(
            r, key_tenors, f"SOFR swap future {self.tenor_years}y effective "
            f"{self.effective_date.date()}, fixed {r.fixed_rate_pct:.2f}% vs par forward "
            f"{r.swap_rate_pct:.3f}%", tuple(r.flags),
            {"effective_date": r.effective_date, "maturity_date": r.maturity_date,
             "fixed_rate_pct": r.fixed_rate_pct, "par_forward_pct": r.swap_rate_pct})


class ClassicSwapFuture(_SwapFutureBase):
    """A classic CBOT cash-settled swap future (NSF5, NSF10; delisted 2013)."""

    kind = "classic_swap_future"

    def _rate_pct(self, market: Market) -> tuple[float, list[str]]:
        curve, flags = market_swap_curve(market)
        return float(np.interp(self.tenor_years, _tenor_years(list(curve.index)),
                               curve.to_numpy(dtype=float))) * 100.0, flags

    def revalue(self, market: Market) -> tuple[float, dict[str, object]]:
        rate_pct, _ = self._rate_pct(market)
        p = float(classic_price(rate_pct, self.tenor_years))
        return p, {"price": p, "swap_rate_pct": rate_pct}

    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk:
        rate_pct, curve_flags = self._rate_pct(market)
        r = classic_risk(rate_pct, self.tenor_years, contract=self.root)
        return self._contract_risk(
            r, key_tenors, f"classic {int(self.tenor_years)}y swap future at {rate_pct:.3f}%",
            tuple(r.flags) + tuple(curve_flags), {"swap_rate_pct": rate_pct})
