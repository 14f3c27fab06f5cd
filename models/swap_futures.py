"""Swap futures: the old import path, kept while callers move to :mod:`models.instruments`
(see :mod:`models.instruments.swaps` for the CME MAC SOFR swap-future terms and the classic
CBOT formula)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from data import loaders
from data.contracts import swap_futures_table
from data.errors import InputError
from models.contract_codes import parse_contract
from models.instruments.registry import front, market_on
from models.instruments.swaps import (
    CLASSIC_NOTIONAL_USD,
    DEFAULT_SWAP_KEYS,
    DEFAULT_SWAP_SPREAD_BP,
    NOTIONAL_COUPON_PCT,
    PROXY_FLAG,
    SofrSwapFuture,
    SwapFutureRisk,
    classic_dv01,
    classic_price,
    classic_risk,
    swap_curve,
)

__all__ = [
    "CLASSIC_NOTIONAL_USD", "DEFAULT_SWAP_KEYS", "DEFAULT_SWAP_SPREAD_BP",
    "NOTIONAL_COUPON_PCT", "PROXY_FLAG", "SwapFutureRisk", "classic_dv01", "classic_price",
    "classic_risk", "sofr_swap_future_risk", "swap_curve",
]


def sofr_swap_future_risk(contract: str = "SSF10", fixed_rate_pct: float | None = None,
                          asof: object = None, user_curve: pd.Series | None = None,
                          spread_bp: Mapping[str, float] | float | None = None
                          ) -> SwapFutureRisk:
    """Price (100 + NPV per 100 as of the effective date), DV01 and key-rate DV01s (USD per
    contract, on the swap curve's tenors) of a SOFR swap future: ``contract`` a root (its front
    contract on ``asof``) or a month (``SSF10Z5``); ``fixed_rate_pct`` default: the par forward
    rate rounded to the nearest 0.25%."""
    asof_ts = loaders.latest_curve_date() if asof is None else pd.Timestamp(asof).normalize()
    raw = contract.strip().upper()
    t = swap_futures_table()
    roots = list(t.loc[t["kind"] == "sofr_swap_npv", "root"])
    c = front(raw, asof_ts) if raw in roots else None
    if c is None:
        code = parse_contract(raw, asof_ts)
        if code.root not in roots:
            raise InputError(f"unknown SOFR swap future '{contract}' (known: {', '.join(roots)})")
        c = SofrSwapFuture(code)
    assert isinstance(c, SofrSwapFuture)
    m = market_on(asof_ts, swap_curve=user_curve, swap_spread_bp=spread_bp)  # type: ignore[arg-type]
    return c.swap_risk(m, fixed_rate_pct)
