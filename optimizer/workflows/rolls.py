"""Quarterly rolls of an existing futures overlay (SPEC §7), contract resolution for positions,
per-contract execution cost defaults.

Roll window
-----------
A Treasury futures position must be rolled (or closed) before **first notice day** (FND): a long
still open on FND can be assigned delivery. Its roll window opens ``roll_days`` business days
(default 5, SIFMA bond calendar) before FND: ``roll_start = FND - roll_days``. On any date
``roll_start <= asof < FND`` the position is rolled into the next quarterly contract (H M U Z);
on or after FND it is an **error** (CLI exit 2) unless delivery is intended (``deliver=True`` /
``--deliver``: the position is kept, nothing is rolled, a warning says so). Cash-settled contracts
(SOFR / classic swap futures, SR3) have no delivery: their window opens ``roll_days`` business
days before their last trading day (swap futures: the 2nd business day before the third Wednesday
of the contract month) or, for SR3, before its reference quarter starts fixing (the third
Wednesday) -- the one rule of :meth:`models.instruments.ContractBase.roll_start`, also used by
:func:`models.instruments.front_contract` -- and past that date they are simply rolled.

Sizing (DV01-neutral roll)
--------------------------
The new contract has another CTD and conversion factor, hence another DV01, so the count is
re-sized to keep the position's DV01: ``new = round(old x DV01_old / DV01_new)``. The DV01 change
of the roll is ``new x DV01_new - old x DV01_old``, at most half a new contract's DV01.

Roll cost (sign: positive = costs the holder)
---------------------------------------------
``roll_cost = (P_new - P_old) x point_value x old`` with ``point_value`` = contract size / 100
(USD per 1.00 of price per 100; $1,000 for ZN, $2,000 for ZT, $1,000 for a $100,000 SOFR swap
future, $2,500 for SR3, $1 for a classic swap future quoted in USD per contract). It is the
calendar spread paid on the contracts rolled one for one: a long sells the old month and buys the
new one ``P_new - P_old`` higher (cost > 0 when the deferred month is dearer); a short does the
opposite, so with the usual Treasury positive carry (deferred month *cheaper*, ``P_new < P_old``)
rolling a short costs money and rolling a long earns it. The ``new - old`` contracts of the DV01
resize are an outright trade in the new month (execution cost only). Prices: the user's
(``prices={contract: price}``, e.g. from ``--prices FILE``), else theoretical (Treasury futures:
the basket's theoretical price; swap/SOFR futures: model price), the source is reported per leg.

Execution cost (documented default)
-----------------------------------
``cost_per_contract(root)`` = half the minimum tick value (crossing half a one-tick bid/ask):
ZN/TN $7.8125, ZT/Z3N/ZF $3.90625, ZB/UB $15.625, SR3 $6.25, SOFR swap futures half their tick,
from ``data/contracts/*.csv`` (``tick_value_usd``), plus an optional commission per contract.
A calendar spread is charged on each leg.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data.errors import InputError
from models.contract_codes import ContractCode, parse_contract
from models.instruments import DEFAULT_ROLL_DAYS, contract, contract_terms

QUARTERLY = (3, 6, 9, 12)
#: the orders format (``overlay rebalance --orders``, program ``--orders``): trades to make,
#: unsigned quantities with a side -- never read back as positions
ORDER_COLUMNS = ["contract", "side", "quantity", "price", "est_cost_usd", "reason"]


# ---------------------------------------------------------------------------------------------
# contract facts (from the contract protocol, models.instruments)
def point_value(root: str) -> float:
    """USD per 1.00 of quoted price for one contract (see module docstring)."""
    return contract_terms(root).point_value_usd


def cost_per_contract(root: str, commission: float = 0.0) -> float:
    """Default execution cost per contract per leg: half the tick value + commission (USD)."""
    return contract_terms(root).half_tick_usd + float(commission)


@dataclass(frozen=True)
class ContractDates:
    contract: str
    roll_start: pd.Timestamp          # first day of the roll window
    first_notice_day: pd.Timestamp | None   # Treasury futures only
    last_trading_day: pd.Timestamp    # approximate for cash-settled contracts (see docstring)


def contract_dates(code: str | ContractCode, asof=None,
                   roll_days: int = DEFAULT_ROLL_DAYS) -> ContractDates:
    c = contract(code, asof)
    return ContractDates(c.code, c.roll_start(roll_days), c.first_notice_day,
                         c.last_trading_day)


def next_contract(code: str, asof=None) -> str:
    """The next quarterly contract month: ZNU5 -> ZNZ5, ZNZ5 -> ZNH6."""
    return contract(code, asof).next_contract().code


def resolve_position_contract(code: str, asof, allow_root: bool = False) -> str:
    """Positions-file contract code -> normalized code, for holdings on ``asof``.

    One-digit years mean the year nearest to ``asof`` (a position file names live contracts):
    ``ZNH5`` on 2025-07-11 is March 2025 -- expired, an error -- not March 2035. Raises
    InputError for unknown roots, bad codes, expired months (past the last trading day) and
    months more than two years out (not listed). ``allow_root``: a bare root (``ZN``) means its
    front contract on ``asof`` (outside the roll window) -- for hypothetical hedges
    (``scenarios``), never for positions held (``rebalance`` needs the month)."""
    asof = pd.Timestamp(asof).normalize()
    if allow_root:
        from models.instruments import front_contract, instrument_kind

        root = code.strip().upper()
        try:
            instrument_kind(root)
        except InputError:
            pass
        else:
            return front_contract(root, asof)
    c = parse_contract(code, asof)
    s = code.strip().upper()
    if not s[-2].isdigit():
        # one-digit year: the nearest year ending in that digit
        d = c.year % 10
        cands = [y for y in range(asof.year - 9, asof.year + 10) if y % 10 == d]
        y = min(cands, key=lambda y: abs(pd.Timestamp(year=y, month=c.month, day=15) - asof))
        c = ContractCode(c.root, y, c.month)
    dates = contract_dates(c, asof)
    if asof > dates.last_trading_day:
        raise InputError(f"{code.strip()} ({c.contract_month:%B %Y}) expired: last trading day "
                         f"was {dates.last_trading_day.date()} (as of {asof.date()})")
    if c.contract_month > asof + pd.DateOffset(years=2):
        raise InputError(f"{code.strip()} is {c.contract_month:%B %Y}, not a listed contract "
                         f"month on {asof.date()}")
    return c.code


# ---------------------------------------------------------------------------------------------
# roll plan
@dataclass
class Roll:
    from_contract: str
    to_contract: str
    old_contracts: int
    new_contracts: int
    dv01_old: float          # USD per contract
    dv01_new: float
    price_old: float
    price_new: float
    price_source_old: str
    price_source_new: str
    point_value: float
    roll_start: pd.Timestamp
    first_notice_day: pd.Timestamp | None

    @property
    def spread(self) -> float:
        """Calendar spread, new minus old, per 100."""
        return self.price_new - self.price_old

    @property
    def roll_cost_usd(self) -> float:
        """(P_new - P_old) x point value x old contracts; > 0 costs the holder."""
        return self.spread * self.point_value * self.old_contracts

    @property
    def position_dv01_before(self) -> float:
        return self.old_contracts * self.dv01_old

    @property
    def position_dv01_after(self) -> float:
        return self.new_contracts * self.dv01_new

    def to_dict(self) -> dict[str, Any]:
        return {"from_contract": self.from_contract, "to_contract": self.to_contract,
                "old_contracts": self.old_contracts, "new_contracts": self.new_contracts,
                "dv01_old": self.dv01_old, "dv01_new": self.dv01_new,
                "price_old": self.price_old, "price_new": self.price_new,
                "price_source_old": self.price_source_old,
                "price_source_new": self.price_source_new,
                "spread": self.spread, "point_value": self.point_value,
                "roll_cost_usd": self.roll_cost_usd,
                "position_dv01_before": self.position_dv01_before,
                "position_dv01_after": self.position_dv01_after,
                "dv01_change": self.position_dv01_after - self.position_dv01_before,
                "roll_start": self.roll_start, "first_notice_day": self.first_notice_day}


@dataclass
class RollPlan:
    asof: pd.Timestamp
    roll_days: int
    rolls: list[Roll]
    held: dict[str, int]            # positions after the rolls (contract -> contracts)
    kept_for_delivery: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_roll_cost_usd(self) -> float:
        return float(sum(r.roll_cost_usd for r in self.rolls))


RiskFn = Callable[[str, pd.Timestamp], tuple[float, float, str]]
"""(contract, asof) -> (DV01 USD per contract, price per 100, price source)."""


def model_risk(key_tenors: tuple[str, ...] = ("2Y", "5Y", "10Y", "30Y")) -> RiskFn:
    from models.instruments import instrument_risk

    def f(contract: str, asof: pd.Timestamp) -> tuple[float, float, str]:
        r = instrument_risk(contract, asof, list(key_tenors))
        src = "theoretical" if r.kind == "treasury_future" else "model"
        return r.dv01_usd, r.price, src
    return f


def plan_rolls(positions: Mapping[str, int], asof, *, roll_days: int = DEFAULT_ROLL_DAYS,
               prices: Mapping[str, float] | None = None, deliver: bool = False,
               risk: RiskFn | None = None, source: str | None = None,
               rows: Mapping[str, int] | None = None) -> RollPlan:
    """Which positions roll on ``asof`` and how (see module docstring). ``positions`` are
    normalized contract codes -> signed contracts. Raises InputError for a Treasury position on
    or past first notice day unless ``deliver``."""
    asof = pd.Timestamp(asof).normalize()
    prices = {k.upper(): float(v) for k, v in (prices or {}).items()}
    risk = risk or model_risk()
    rolls: list[Roll] = []
    held: dict[str, int] = {}
    kept: list[str] = []
    warnings: list[str] = []

    def add(code: str, n: int) -> None:
        held[code] = held.get(code, 0) + int(n)

    for code, n in positions.items():
        n = int(n)
        if n == 0:
            continue
        dates = contract_dates(code, asof, roll_days)
        fnd = dates.first_notice_day
        if fnd is not None and asof >= fnd:
            if not deliver:
                raise InputError(
                    f"position {code} ({n:+d} contracts) is past first notice day "
                    f"{fnd.date()} (as of {asof.date()}): a long can be assigned delivery. "
                    f"Roll or close it before first notice day, or pass --deliver if delivery "
                    f"is intended", file=source, row=(rows or {}).get(code), column="contract")
            kept.append(code)
            warnings.append(f"{code}: past first notice day {fnd.date()}, kept for delivery "
                            f"(--deliver); not rolled")
            add(code, n)
            continue
        if asof < dates.roll_start:
            add(code, n)
            continue
        new = next_contract(code, asof)
        while asof >= contract_dates(new, asof, roll_days).roll_start:  # pragma: no cover
            new = next_contract(new, asof)
        d_old, p_old, s_old = risk(code, asof)
        d_new, p_new, s_new = risk(new, asof)
        if code in prices:
            p_old, s_old = prices[code], "given"
        if new in prices:
            p_new, s_new = prices[new], "given"
        if d_new <= 0 or d_old <= 0:
            raise InputError(f"cannot size the roll {code} -> {new}: non-positive DV01")
        m = round(n * d_old / d_new)
        root = parse_contract(code, asof).root
        rolls.append(Roll(code, new, n, int(m), d_old, d_new, p_old, p_new, s_old, s_new,
                          point_value(root), dates.roll_start, fnd))
        add(new, int(m))
    held = {k: v for k, v in held.items() if v != 0}
    return RollPlan(asof, roll_days, rolls, held, kept, warnings)


def roll_orders(plan: RollPlan, commission: float = 0.0) -> list[dict[str, Any]]:
    """Two legs per roll (a calendar spread): close the old month, open the new one.
    est_cost_usd: execution (half tick per contract per leg) on each leg, plus the roll cost
    (calendar spread x point value x old contracts) on the new-month leg."""
    out = []
    for r in plan.rolls:
        root = parse_contract(r.from_contract, plan.asof).root
        cpc = cost_per_contract(root, commission)
        why = f"roll {r.from_contract}->{r.to_contract}"
        out.append({"contract": r.from_contract, "side": "SELL" if r.old_contracts > 0 else "BUY",
                    "quantity": abs(r.old_contracts), "price": r.price_old,
                    "est_cost_usd": cpc * abs(r.old_contracts), "reason": why})
        if r.new_contracts:
            out.append({"contract": r.to_contract,
                        "side": "BUY" if r.new_contracts > 0 else "SELL",
                        "quantity": abs(r.new_contracts), "price": r.price_new,
                        "est_cost_usd": cpc * abs(r.new_contracts) + r.roll_cost_usd,
                        "reason": why + (f" (DV01 resize {r.old_contracts:+d} -> "
                                         f"{r.new_contracts:+d})"
                                         if r.new_contracts != r.old_contracts else "")})
    return out
