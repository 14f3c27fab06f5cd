"""``contract(code, asof)``: any contract code to its product object; the front contract of a
root; and :func:`instrument_risk`, the per-contract risk the optimizer uses (cached in the
process per contract, key tenors and market — curve fingerprint, repo, swap curve)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from data.contracts import margin_for
from data.errors import InputError
from models.caching import KeyedCache
from models.contract_codes import MONTH_CODES, ContractCode, parse_contract
from models.curves import ZeroCurve, curve_on
from models.instruments.base import (
    DEFAULT_ROLL_DAYS,
    ContractBase,
    ContractRisk,
    Market,
)
from models.instruments.sofr import SofrFuture
from models.instruments.swaps import ClassicSwapFuture, SofrSwapFuture
from models.instruments.terms import contract_terms, instrument_kind
from models.instruments.treasury import TreasuryFuture

_CLASSES: dict[str, type[ContractBase]] = {
    "treasury_future": TreasuryFuture, "sofr_swap_future": SofrSwapFuture,
    "classic_swap_future": ClassicSwapFuture, "sofr_future": SofrFuture,
}
_RISK: KeyedCache[ContractRisk] = KeyedCache("contract_risk", maxsize=8192)


def contract_of(code: ContractCode) -> ContractBase:
    """The product object of a parsed code."""
    return _CLASSES[instrument_kind(code.root)](code)


def contract(code: str | ContractCode, asof: object = None) -> ContractBase:
    """``contract("ZNU5", "2025-07-11")`` -> a :class:`TreasuryFuture`; likewise SOFR swap
    futures (``SSF10Z5``), classic swap futures (``NSF10H3``) and SR3 (``SR3Z5``). A one-digit
    year resolves against ``asof`` (see :mod:`models.contract_codes`)."""
    c = code if isinstance(code, ContractCode) else parse_contract(code, asof)
    return contract_of(c)


def split_root(code: str) -> str:
    """The root of a contract code or of a bare root (``ZNU5`` -> ``ZN``; ``ZN`` -> ``ZN``)."""
    code = code.strip().upper()
    try:
        return parse_contract(code).root
    except InputError:
        contract_terms(code)  # raises with the list of known roots if it is not a root either
        return code


def front(root: str, asof: object, roll_days: int = DEFAULT_ROLL_DAYS) -> ContractBase:
    """The contract month a hedger trades on ``asof``: the nearest month of the root's cycle
    whose roll window has not opened (see :mod:`models.instruments.base`)."""
    root = root.strip().upper()
    terms = contract_terms(root)
    asof_ts = pd.Timestamp(asof).normalize()
    months = {MONTH_CODES[c] for c in terms.month_cycle}
    start = pd.Timestamp(year=asof_ts.year, month=asof_ts.month, day=1)
    for k in range(0, 15):
        m = start + pd.DateOffset(months=k)
        if m.month in months:
            c = contract_of(ContractCode(root, m.year, m.month))
            if asof_ts < c.roll_start(roll_days):
                return c
    raise InputError(f"no tradable {root} contract found after {asof_ts.date()}")  # pragma: no cover


def front_contract(root: str, asof: object, roll_days: int = DEFAULT_ROLL_DAYS) -> str:
    """The code of :func:`front` (``front_contract("ZN", "2025-07-11") == "ZNU5"``)."""
    return front(root, asof, roll_days).code


def resolve(code: str, asof: object) -> ContractBase:
    """A root (its front contract) or a contract month, as a product object."""
    raw = code.strip().upper()
    root = split_root(raw)
    return front(root, asof) if raw == root else contract(raw, asof)


def market_on(asof: object, *, repo: float | None = None, curve: ZeroCurve | None = None,
              swap_curve: pd.Series | None = None,
              swap_spread_bp: float | dict[str, float] | None = None,
              sofr: float | None = None) -> Market:
    """The market of an as-of date: the bundled Treasury curve (cached per date) unless a user
    curve is given, and the given repo / swap curve / SOFR (None = the defaults)."""
    asof_ts = pd.Timestamp(asof).normalize()
    return Market(asof_ts, curve_on(asof_ts) if curve is None else curve, repo, swap_curve,
                  swap_spread_bp, sofr)


def contract_risk(c: ContractBase, market: Market, key_tenors: Sequence[str]) -> ContractRisk:
    """``c.risk(market, key_tenors)``, cached per (contract, key tenors, market key)."""
    key = (c.kind, c.contract_code, tuple(key_tenors), market.key())
    return _RISK.get_or_compute(key, lambda: c.risk(market, key_tenors))


@dataclass(frozen=True)
class InstrumentRisk:
    """Per-contract risk of one hedge instrument (long one contract). USD, DV01 sign."""

    root: str
    contract: str                    # e.g. "ZNU5"
    kind: str                        # treasury_future | sofr_swap_future | classic_swap_future | sofr_future
    price: float                     # per 100 (classic swap future: per 100,000 notional)
    dv01_usd: float                  # desk convention (Treasury: CTD forward DV01 / CF)
    key_rate_dv01: dict[str, float]  # on the requested key tenors, sums to dv01_usd
    swap_spread_dv01_usd: float      # exposure to the swap-spread factor (swap futures only)
    notional_usd: float              # per contract: size x price / 100
    initial_margin_usd: float
    margin_source: str
    description: str = ""
    flags: tuple[str, ...] = field(default_factory=tuple)
    point_value_usd: float = float("nan")
    tick_value_usd: float = float("nan")
    details: dict[str, object] = field(default_factory=dict)


def instrument_risk(code: str, asof: object, key_tenors: Sequence[str], *,
                    repo: float | None = None, margins: pd.DataFrame | None = None,
                    swap_spread_bp: float | dict[str, float] | None = None,
                    curve: ZeroCurve | None = None,
                    swap_curve: pd.Series | None = None) -> InstrumentRisk:
    """Risk of one contract (``ZNU5``) or of a root's front contract (``ZN``) on ``asof``:
    the contract's model risk in the market (cached) plus its initial margin."""
    market = market_on(asof, repo=repo, curve=curve, swap_curve=swap_curve,
                       swap_spread_bp=swap_spread_bp)
    c = resolve(code, market.asof)
    r = contract_risk(c, market, list(key_tenors))
    m = margin_for(c.root, market.asof, margins)
    msrc = (f"{m.get('source', '')} (valid from {pd.Timestamp(m['valid_from']).date()}, "
            f"{m.get('confidence', '')})")
    return InstrumentRisk(
        root=c.root, contract=c.code, kind=c.kind, price=r.price, dv01_usd=r.dv01_usd,
        key_rate_dv01=dict(r.key_rate_dv01), swap_spread_dv01_usd=r.swap_spread_dv01_usd,
        notional_usd=r.notional_usd, initial_margin_usd=float(m["initial_usd"]),
        margin_source=msrc, description=r.description, flags=tuple(r.flags),
        point_value_usd=c.point_value_usd, tick_value_usd=c.tick_value_usd,
        details=dict(r.details))
