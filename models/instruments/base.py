"""The one contract protocol every hedge instrument implements, the market it is priced in,
and the rules every contract shares (point value, tick cost, the roll window, the next month).

Product vs pricer (the rateslib / OpenGamma Strata split): a contract object is the *product* —
its code, terms from ``data/contracts/*.csv``, calendar and (for a bond future) its deliverable
basket and conversion factors — and it prices itself in a :class:`Market` (curve, repo, swap
curve) through stateless pricing functions. Sign convention (SPEC §3): DV01 = USD gained by one
long contract for a 1 bp fall in rates.

The roll window is defined here once: a position rolls ``roll_days`` business days (SIFMA bond
calendar, default 5) before the contract's *roll reference day* — first notice day for a
Treasury future (a long can be assigned delivery from then), the last trading day for a swap
future, the start of the reference quarter for SR3 (its rate starts fixing).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

from models import calendar as cal
from models.contract_codes import MONTH_CODES, ContractCode
from models.curves import ZeroCurve
from models.instruments.terms import ContractTerms, contract_terms

DEFAULT_ROLL_DAYS = 5  # business days before the roll reference day (SPEC §7)
SWAP_SPREAD_FACTOR = "swap_spread"


@dataclass(frozen=True)
class Market:
    """What a contract is priced in on an as-of date.

    ``curve``: the Treasury zero curve (bundled or a user's); ``repo_dec``: the term repo to
    delivery for Treasury futures (ACT/360, decimal; None = SOFR of the as-of date);
    ``swap_curve``: par swap rates (decimal) by tenor label for swap futures (None = Treasury
    par + ``swap_spread_bp``, flagged as a proxy); ``sofr_dec``: the rate SR3 is priced at
    (None = SOFR of the as-of date).
    """

    asof: pd.Timestamp
    curve: ZeroCurve
    repo_dec: float | None = None
    swap_curve: pd.Series | None = None
    swap_spread_bp: float | Mapping[str, float] | None = None
    sofr_dec: float | None = None
    base: Market | None = None

    def key(self) -> tuple[object, ...]:
        """Every input that changes a price: the caches' key (a user curve, another repo or a
        shifted swap curve never meets another market's entry)."""
        sw = None if self.swap_curve is None else tuple(
            (str(k), round(float(v), 12)) for k, v in self.swap_curve.items())
        sp = (tuple(sorted((str(k), float(v)) for k, v in self.swap_spread_bp.items()))
              if isinstance(self.swap_spread_bp, Mapping) else self.swap_spread_bp)
        return (self.asof, self.curve.fingerprint,
                None if self.repo_dec is None else round(float(self.repo_dec), 12), sw, sp,
                None if self.sofr_dec is None else round(float(self.sofr_dec), 12),
                None if self.base is None else self.base.key())

    @property
    def unshocked(self) -> Market:
        """The market before any shock (the one contract constants are fixed in)."""
        return self if self.base is None else self.base

    def shocked(self, curve: ZeroCurve, swap_curve: pd.Series | None = None) -> Market:
        """The same as-of date after an instantaneous shock: another Treasury curve and swap
        curve. Contracts keep what the exchange or the trade fixed in the unshocked market (a
        Treasury future's delivery date and its repo's spread to the curve, so the repo moves
        with the curve; a swap future's fixed rate; SR3's rate moves with the swap curve's
        front end)."""
        return Market(self.asof, curve, self.repo_dec, swap_curve, self.swap_spread_bp,
                      self.sofr_dec, self.unshocked)


@dataclass(frozen=True)
class ContractRisk:
    """Model risk of one long contract in a market (USD per contract, DV01 sign)."""

    contract: str
    root: str
    kind: str
    price: float                      # quoted price (classic swap future: USD per contract)
    dv01_usd: float                   # the hedge DV01 (curve basis, desk convention)
    key_rate_dv01: dict[str, float]   # on the requested key tenors; sums to dv01_usd
    swap_spread_dv01_usd: float       # exposure to the swap-spread factor (swap futures)
    notional_usd: float               # point value x price (classic: the price)
    point_value_usd: float
    description: str = ""
    flags: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)


@runtime_checkable
class FuturesContract(Protocol):
    """What every hedge contract offers (Treasury, SOFR swap, classic swap futures, SR3)."""

    code: str
    root: str
    kind: str
    driving_curve: str  # "treasury" | "swap": the curve a scenario moves it with
    terms: ContractTerms
    contract_month: pd.Timestamp

    @property
    def point_value_usd(self) -> float: ...

    @property
    def tick_value_usd(self) -> float: ...

    def tick_cost_usd(self, ticks: float = 0.5) -> float: ...

    @property
    def last_trading_day(self) -> pd.Timestamp: ...

    @property
    def first_notice_day(self) -> pd.Timestamp | None: ...

    def roll_start(self, roll_days: int = DEFAULT_ROLL_DAYS) -> pd.Timestamp: ...

    def next_contract(self) -> FuturesContract: ...

    def price(self, market: Market) -> float: ...

    def revalue(self, market: Market) -> tuple[float, dict[str, object]]: ...

    def value_usd(self, price: float) -> float: ...

    def dv01(self, market: Market) -> float: ...

    def key_rate_dv01(self, market: Market, key_tenors: Sequence[str]) -> dict[str, float]: ...

    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk: ...

    def format_price(self, price: float) -> str: ...


class ContractBase(ABC):
    """Shared product behaviour; subclasses give the roll reference day and the pricing."""

    kind: str = ""
    driving_curve: str = "swap"

    def __init__(self, code: ContractCode) -> None:
        self.contract_code = code
        self.code: str = code.code
        self.root: str = code.root
        self.terms: ContractTerms = contract_terms(code.root)
        self.contract_month: pd.Timestamp = code.contract_month

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContractBase) and (other.kind, other.contract_code) == (
            self.kind, self.contract_code)

    def __hash__(self) -> int:
        return hash((self.kind, self.contract_code))

    # ------------------------------------------------------------------ terms
    @property
    def point_value_usd(self) -> float:
        return self.terms.point_value_usd

    @property
    def tick_value_usd(self) -> float:
        return self.terms.tick_value_usd

    def tick_cost_usd(self, ticks: float = 0.5) -> float:
        """USD per contract for crossing ``ticks`` ticks (default half a one-tick spread)."""
        return ticks * self.terms.tick_value_usd

    def format_price(self, price: float) -> str:
        """The price in the contract's quote style (32nds at the tick for Treasury and MAC swap
        futures; :meth:`ContractTerms.format_price`)."""
        return self.terms.format_price(price)

    # ------------------------------------------------------------------ calendar
    @property
    @abstractmethod
    def last_trading_day(self) -> pd.Timestamp: ...

    @property
    def first_notice_day(self) -> pd.Timestamp | None:
        return None

    @property
    @abstractmethod
    def roll_reference_day(self) -> pd.Timestamp:
        """The day the roll window counts back from (see the module docstring)."""

    def roll_start(self, roll_days: int = DEFAULT_ROLL_DAYS) -> pd.Timestamp:
        """First day of the roll window: ``roll_days`` business days before the reference day."""
        return cal.add_business_days(self.roll_reference_day, -int(roll_days))

    def next_contract(self) -> ContractBase:
        """The next month of the contract's cycle (ZNU5 -> ZNZ5 -> ZNH6)."""

        cycle = sorted(MONTH_CODES[c] for c in self.terms.month_cycle)
        y, m = self.contract_code.year, self.contract_code.month
        later = [c for c in cycle if c > m]
        nxt = ContractCode(self.root, y, later[0]) if later else ContractCode(
            self.root, y + 1, cycle[0])
        return type(self)(nxt)

    # ------------------------------------------------------------------ pricing
    @abstractmethod
    def risk(self, market: Market, key_tenors: Sequence[str]) -> ContractRisk: ...

    @abstractmethod
    def revalue(self, market: Market) -> tuple[float, dict[str, object]]:
        """(price, details) in ``market`` — fast full revaluation (scenarios, bumps): the
        contract constants come from ``market.unshocked``."""

    def price(self, market: Market) -> float:
        return self.revalue(market)[0]

    def value_usd(self, price: float) -> float:
        """USD value of one contract at a quoted price (point value x price)."""
        return self.point_value_usd * price

    def dv01(self, market: Market) -> float:
        return self.risk(market, ()).dv01_usd

    def key_rate_dv01(self, market: Market, key_tenors: Sequence[str]) -> dict[str, float]:
        return self.risk(market, key_tenors).key_rate_dv01
