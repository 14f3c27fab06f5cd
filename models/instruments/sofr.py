"""Three-Month SOFR futures (SR3): price = 100 - R (R in percent), $2,500 x price, $25 per bp.

Sign convention (SPEC §3): DV01 = USD gained for a 1 bp *fall* in rates. A long SR3 gains when
rates fall (price = 100 - R rises), so a long contract's DV01 is **+$25**, a short's -$25.

Reference period: the IMM quarter from the third Wednesday of the contract month to the third
Wednesday three months later (:func:`models.calendar.third_wednesday`). Its key-rate exposure
sits on the front-end key rates (3M, 6M, 1Y, 2Y) by linear (triangular) weights at the reference
period's midpoint, in years from the as-of date. No SR3 settlement prices are bundled: without a
given price the contract is priced at the SOFR of the as-of date (a flat forward), flagged.
The roll window counts back from the reference quarter's start (its rate starts fixing there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data import loaders
from data.contracts import sofr_futures_table
from data.errors import InputError
from models import calendar as cal
from models.contract_codes import ContractCode, parse_contract
from models.instruments.base import ContractBase, ContractRisk, Market
from models.instruments.keys import map_to_key_tenors
from models.instruments.swaps import market_swap_curve

FRONT_KEYS = ("3M", "6M", "1Y", "2Y")
_KEY_YEARS = np.array([0.25, 0.5, 1.0, 2.0])


def _dv01_usd() -> float:
    return float(sofr_futures_table().set_index("root").loc["SR3", "dv01_usd"])


def sr3_price(rate_pct: object) -> np.ndarray:
    """SR3 price from the (compounded SOFR) rate in percent."""
    return np.asarray(100.0 - np.asarray(rate_pct, dtype=float))


def sr3_rate_pct(price: object) -> np.ndarray:
    return np.asarray(100.0 - np.asarray(price, dtype=float))


@dataclass(frozen=True)
class SofrFutureRisk:
    contract: str
    reference_start: pd.Timestamp
    reference_end: pd.Timestamp
    price: float
    dv01_usd_per_contract: float
    key_rate_dv01: dict[str, float]
    notional_usd: float
    flags: list[str] = field(default_factory=list)


def key_rate_weights(mid_years: float) -> dict[str, float]:
    """Triangular weights of a point at ``mid_years`` on the front key tenors (sum to 1)."""
    t = float(np.clip(mid_years, _KEY_YEARS[0], _KEY_YEARS[-1]))
    w = np.zeros(len(_KEY_YEARS))
    j = int(np.searchsorted(_KEY_YEARS, t))
    if j < len(_KEY_YEARS) and _KEY_YEARS[j] == t:
        w[j] = 1.0
    else:
        lo, hi = _KEY_YEARS[j - 1], _KEY_YEARS[j]
        w[j - 1] = (hi - t) / (hi - lo)
        w[j] = (t - lo) / (hi - lo)
    return {k: float(x) for k, x in zip(FRONT_KEYS, w, strict=True) if x}


def reference_quarter(c: ContractCode) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = cal.third_wednesday(c.year, c.month)
    end_m = start + pd.DateOffset(months=3)
    return start, cal.third_wednesday(end_m.year, end_m.month)


def sr3_risk(contract: str, asof: object, rate_pct: float | None = None,
             price: float | None = None) -> SofrFutureRisk:
    """Risk of one long SR3 contract: DV01 +$25; key-rate split by the reference period."""
    c = parse_contract(contract, asof)
    if c.root != "SR3":
        raise InputError(f"'{contract}' is not a Three-Month SOFR future (SR3)")
    asof_ts = pd.Timestamp(asof).normalize()
    start, end = reference_quarter(c)
    if end <= asof_ts:
        raise InputError(f"{c.code}: reference quarter ended {end.date()}, before as-of "
                         f"{asof_ts.date()}")
    flags: list[str] = []
    if price is None:
        if rate_pct is None:
            raise InputError("give the SR3 price or the expected rate")
        price = float(sr3_price(rate_pct))
    dv01 = _dv01_usd()
    mid = max((start - asof_ts).days, 0) / 365.25 + ((end - start).days / 2) / 365.25
    if start <= asof_ts:
        flags.append("reference quarter already started: part of the rate is fixed")
    krd = {k: dv01 * w for k, w in key_rate_weights(mid).items()}
    notional = dv01 / (0.25 * 1e-4)  # $25 per bp on a quarter-year deposit = $1,000,000 face
    return SofrFutureRisk(c.code, start, end, float(price), dv01, krd, notional, flags)


class SofrFuture(ContractBase):
    """A Three-Month SOFR futures contract month (``SR3Z5``)."""

    kind = "sofr_future"

    def __init__(self, code: ContractCode) -> None:
        super().__init__(code)
        self.reference_start, self.reference_end = reference_quarter(code)

    @property
    def last_trading_day(self) -> pd.Timestamp:
        return cal.previous_business_day(self.reference_end)

    @property
    def roll_reference_day(self) -> pd.Timestamp:
        return self.reference_start

    def midpoint_years(self, asof: pd.Timestamp) -> float:
        """The reference quarter's midpoint in years from ``asof`` (its key-rate point)."""
        start, end = self.reference_start, self.reference_end
        return max((start - asof).days, 0) / 365.25 + (end - start).days / 2 / 365.25

    def _rate(self, market: Market) -> tuple[float, list[str]]:
        base = market.unshocked
        if base.sofr_dec is not None:
            return float(base.sofr_dec), []
        day, rate = loaders.sofr_on(market.asof)
        return rate, [f"sr3_rate_is_spot_sofr ({rate * 100:.2f}% on {day.date()}; no SR3 "
                      "settlement prices bundled)"]

    def revalue(self, market: Market) -> tuple[float, dict[str, object]]:
        """100 - R, R = the unshocked rate moved by the swap curve's change at the reference
        quarter's midpoint (flat before the curve's first tenor): exactly linear."""
        rate, _ = self._rate(market)
        if market.base is not None:
            now, _ = market_swap_curve(market)
            then, _ = market_swap_curve(market.base)
            t = [loaders.tenor_to_years(str(k)) for k in now.index]
            rate += float(np.interp(self.midpoint_years(market.asof), t,
                                    (now - then.reindex(now.index)).to_numpy(dtype=float)))
        p = float(sr3_price(rate * 100.0))
        return p, {"price": p}

    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk:
        rate, flags = self._rate(market)
        r = sr3_risk(self.code, market.asof, rate_pct=rate * 100.0)
        return ContractRisk(
            contract=self.code, root=self.root, kind=self.kind, price=r.price,
            dv01_usd=r.dv01_usd_per_contract,
            key_rate_dv01=map_to_key_tenors(r.key_rate_dv01, key_tenors),
            swap_spread_dv01_usd=0.0, notional_usd=r.notional_usd,
            point_value_usd=self.point_value_usd, description="Three-month SOFR future",
            flags=tuple(r.flags) + tuple(flags),
            details={"reference_start": r.reference_start, "reference_end": r.reference_end})
