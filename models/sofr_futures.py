"""Three-Month SOFR futures (SR3): price = 100 - R (R in percent), $2,500 x price, $25 per bp.

Sign convention (SPEC §3): DV01 = USD gained for a 1 bp *fall* in rates. A long SR3 gains when
rates fall (price = 100 - R rises), so a long contract's DV01 is **+$25**, a short's -$25.

Reference period: the IMM quarter from the third Wednesday of the contract month to the third
Wednesday three months later. Its key-rate exposure sits on the Treasury/SOFR front-end key rates
(3M, 6M, 1Y) by linear (triangular) weights at the reference period's midpoint, measured in
years from the as-of date; a period midpoint beyond 1Y is assigned to 1Y and 2Y likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.contracts import sofr_futures_table
from data.errors import InputError
from models.contract_codes import parse_contract

FRONT_KEYS = ("3M", "6M", "1Y", "2Y")
_KEY_YEARS = np.array([0.25, 0.5, 1.0, 2.0])


def _spec() -> pd.Series:
    return sofr_futures_table().set_index("root").loc["SR3"]


def third_wednesday(year: int, month: int) -> pd.Timestamp:
    first = pd.Timestamp(year=year, month=month, day=1)
    offset = (2 - first.weekday()) % 7  # Wednesday = 2
    return first + pd.Timedelta(days=offset + 14)


def sr3_price(rate_pct):
    """SR3 price from the (compounded SOFR) rate in percent."""
    return 100.0 - np.asarray(rate_pct, dtype=float)


def sr3_rate_pct(price):
    return 100.0 - np.asarray(price, dtype=float)


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


def sr3_risk(contract: str, asof, rate_pct: float | None = None,
             price: float | None = None) -> SofrFutureRisk:
    """Risk of one long SR3 contract: DV01 +$25; key-rate split by the reference period."""
    c = parse_contract(contract, asof)
    if c.root != "SR3":
        raise InputError(f"'{contract}' is not a Three-Month SOFR future (SR3)")
    asof_ts = pd.Timestamp(asof).normalize()
    start = third_wednesday(c.year, c.month)
    end_m = start + pd.DateOffset(months=3)
    end = third_wednesday(end_m.year, end_m.month)
    if end <= asof_ts:
        raise InputError(f"{c.code}: reference quarter ended {end.date()}, before as-of "
                         f"{asof_ts.date()}")
    s = _spec()
    flags: list[str] = []
    if price is None:
        if rate_pct is None:
            raise InputError("give the SR3 price or the expected rate")
        price = float(sr3_price(rate_pct))
    dv01 = float(s["dv01_usd"])
    mid = max((start - asof_ts).days, 0) / 365.25 + ((end - start).days / 2) / 365.25
    if start <= asof_ts:
        flags.append("reference quarter already started: part of the rate is fixed")
    krd = {k: dv01 * w for k, w in key_rate_weights(mid).items()}
    notional = dv01 / (0.25 * 1e-4)  # $25 per bp on a quarter-year deposit = $1,000,000 face
    return SofrFutureRisk(c.code, start, end, float(price), dv01, krd, notional, flags)
