"""The Treasury future as a product (CME ZT Z3N ZF ZN TN ZB UB): it owns its calendar,
deliverable basket, conversion factors, CTD, delivery date and duration; pricing goes through
the stateless functions of :mod:`models.instruments.treasury_pricing`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.caching import KeyedCache
from models.contract_codes import ContractCode, parse_contract
from models.curves import DEFAULT_KEY_TENORS
from models.instruments.base import ContractBase, ContractRisk, Market
from models.instruments.treasury_pricing import (
    BasketAnalysis,
    DeliveryChoice,
    Revaluer,
    basket_analysis,
    basket_setup,
)
from models.instruments.treasury_rules import (
    ContractCalendar,
    contract_calendar,
    deliverable_basket,
    spec,
)

_REVALUERS: KeyedCache[Revaluer] = KeyedCache("treasury_revaluer", maxsize=1024)


class TreasuryFuture(ContractBase):
    """One Treasury futures contract month (``TreasuryFuture(parse_contract("ZNU5"))``)."""

    kind = "treasury_future"
    driving_curve = "treasury"

    def __init__(self, code: ContractCode) -> None:
        super().__init__(code)
        self.spec = spec(code.root)
        self.calendar: ContractCalendar = contract_calendar(code)

    @property
    def contract_size_usd(self) -> float:
        return self.spec.contract_size_usd

    @property
    def last_trading_day(self) -> pd.Timestamp:
        return self.calendar.last_trading_day

    @property
    def first_notice_day(self) -> pd.Timestamp:
        return self.calendar.first_notice_day

    @property
    def roll_reference_day(self) -> pd.Timestamp:
        return self.calendar.first_notice_day

    def basket(self, asof: object, include_future_issues: bool = False) -> pd.DataFrame:
        """Deliverable issues with their CME conversion factors (bundled securities)."""
        return deliverable_basket(self.contract_code, asof,
                                  include_future_issues=include_future_issues)

    def conversion_factors(self, asof: object) -> pd.Series:
        b = self.basket(asof)
        return pd.Series(b["conversion_factor"].to_numpy(), index=b["cusip"], name="cf")

    def analysis(self, market: Market, key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                 shifts_bp: Sequence[float] = (), **kwargs: Any) -> BasketAnalysis:
        """The full basket analysis in ``market`` (cached per market and options)."""
        return basket_analysis(self.contract_code, market.asof, repo=market.repo_dec,
                               key_tenors=key_tenors, shifts_bp=shifts_bp, curve=market.curve,
                               **kwargs)

    def ctd(self, market: Market) -> pd.Series:
        return self.analysis(market, ()).ctd

    def delivery(self, market: Market) -> DeliveryChoice:
        return self.analysis(market, ()).delivery

    def duration_years(self, market: Market) -> float:
        """Futures duration: DV01 per 100 / futures price x 1e4 (years)."""
        a = self.analysis(market, ())
        return a.dv01_per100 / a.futures_price * 1e4

    def revaluer(self, market: Market) -> Revaluer:
        """The fast revaluer set up in ``market.unshocked`` (cached per market)."""
        base = market.unshocked

        def build() -> Revaluer:
            return Revaluer(basket_setup(self.contract_code, base.asof, base.curve,
                                         base.repo_dec), base.curve)
        return _REVALUERS.get_or_compute((self.code, self.contract_code.year, base.key()),
                                         build)

    def revalue(self, market: Market) -> tuple[float, dict[str, object]]:
        """Theoretical price on the market's (possibly shocked) curve, CTD re-picked."""
        p, ctd = self.revaluer(market).price(market.curve)
        return p, {"price": p, "ctd": ctd}

    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk:
        a = self.analysis(market, key_tenors)
        ctd = a.ctd
        cf = float(ctd["conversion_factor"])
        return ContractRisk(
            contract=a.contract, root=self.root, kind=self.kind, price=a.futures_price,
            dv01_usd=a.dv01_usd, key_rate_dv01=dict(a.key_rate_dv01_usd),
            swap_spread_dv01_usd=0.0, notional_usd=self.point_value_usd * a.futures_price,
            point_value_usd=self.point_value_usd,
            description=(f"{self.spec.name}; CTD {ctd['cusip']} {float(ctd['coupon']):.3f}% "
                         f"{pd.Timestamp(ctd['maturity']).date()} CF {cf:.4f}, delivery "
                         f"{a.delivery_date.date()} ({a.delivery.mode})"),
            flags=tuple(a.flags),
            details={"ctd": {"cusip": str(ctd["cusip"]), "coupon": float(ctd["coupon"]),
                             "maturity": pd.Timestamp(ctd["maturity"]),
                             "conversion_factor": cf},
                     "delivery_date": a.delivery_date, "delivery_reason": a.delivery.reason,
                     "dv01_repo_held_usd": a.dv01_repo_held_usd,
                     "forward_yield_dv01_usd": a.forward_yield_dv01_usd,
                     "repo_pct": a.repo_dec * 100.0, "repo_source": a.repo_source})


# ---------------------------------------------------------------------------------------------
# the old per-contract API (kept for callers: backtest, programs, tests)

@dataclass(frozen=True)
class FuturesRisk:
    """What the optimizer needs per Treasury futures contract (USD per contract, long)."""

    contract: str
    root: str
    asof: pd.Timestamp
    price: float                   # futures price per 100 (theoretical unless given)
    dv01_usd_per_contract: float   # > 0 for a long contract (desk convention)
    key_rate_dv01: dict[str, float]
    notional_usd: float            # contract size x price / 100
    contract_size_usd: float
    ctd: dict[str, object]
    conversion_factor: float
    first_notice_day: pd.Timestamp
    last_trading_day: pd.Timestamp
    delivery_date: pd.Timestamp
    flags: tuple[str, ...] = ()

    @property
    def notional_ctd(self) -> bool:
        return any(f.startswith("notional_ctd") for f in self.flags)


def futures_risk(contract_code: str, asof: object = None, repo: float | None = None,
                 key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                 futures_price: float | None = None, **kwargs: Any) -> FuturesRisk:
    """Per-contract risk of a Treasury future: DV01 = CTD forward DV01 / CF (desk convention),
    key-rate DV01s likewise, price, notional, CTD and flags. See :func:`basket_analysis`."""
    a = basket_analysis(contract_code, asof, repo=repo, futures_price=futures_price,
                        key_tenors=key_tenors, shifts_bp=(), **kwargs)
    ctd = a.ctd
    return FuturesRisk(
        contract=a.contract, root=parse_contract(a.contract, a.asof).root, asof=a.asof,
        price=a.futures_price, dv01_usd_per_contract=a.dv01_usd,
        key_rate_dv01=a.key_rate_dv01_usd,
        notional_usd=a.contract_size_usd * a.futures_price / 100.0,
        contract_size_usd=a.contract_size_usd,
        ctd={"cusip": ctd["cusip"], "coupon": float(ctd["coupon"]),
             "maturity": pd.Timestamp(ctd["maturity"]),
             "conversion_factor": float(ctd["conversion_factor"])},
        conversion_factor=float(ctd["conversion_factor"]),
        first_notice_day=a.calendar.first_notice_day, last_trading_day=a.calendar.last_trading_day,
        delivery_date=a.delivery_date, flags=tuple(a.flags))
