"""Static contract terms, read only from ``data/contracts/*.csv``: root, kind, point value, tick,
quote style, month cycle, listing dates. The one place that knows which roots exist and what
kind of contract each is (:func:`instrument_kind`); ``TREASURY_ROOTS`` is defined here, from
the Treasury futures file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from data.contracts import contract_terms_table, treasury_roots
from data.errors import InputError
from models.contract_codes import format_32nds

#: Treasury futures roots, in the order of data/contracts/treasury_futures.csv.
TREASURY_ROOTS: tuple[str, ...] = treasury_roots()

KINDS = ("treasury_future", "sofr_swap_future", "classic_swap_future", "sofr_future")


@dataclass(frozen=True)
class ContractTerms:
    """One root's static terms (USD per contract)."""

    root: str
    kind: str                  # one of KINDS
    name: str
    point_value_usd: float     # USD per 1.00 of quoted price, one contract
    tick_points: float         # minimum price fluctuation, in price points
    tick_value_usd: float      # USD per tick, one contract
    quote_style: str           # "32nds" | "decimal" | "usd_per_contract"
    month_cycle: str           # "HMUZ"
    listed_from: pd.Timestamp
    listed_to: pd.Timestamp | None
    source: str

    @property
    def half_tick_usd(self) -> float:
        """Crossing half a one-tick bid/ask: the default execution cost per contract."""
        return 0.5 * self.tick_value_usd

    @property
    def fraction_32nds(self) -> int:
        """Parts of a 32nd a quote shows: the tick's (1/32 -> 1, 1/64 -> 2, 1/128 -> 4),
        capped at 4, the finest CME 32nds notation (ZT's 1/256 tick shows to 1/128)."""
        per_32nd = max(round(1.0 / (self.tick_points * 32.0)), 1)
        return max(f for f in (1, 2, 4) if f <= per_32nd)

    def format_price(self, price: float) -> str:
        """A price in this root's quote style: 32nds at the tick (``110-16+``), USD per
        contract (``99,812.50``) or a decimal (``96.1250``)."""
        if self.quote_style == "32nds":
            return format_32nds(price, self.fraction_32nds)
        if self.quote_style == "usd_per_contract":
            return f"{price:,.2f}"
        return f"{price:.4f}"


@cache
def _terms_by_root() -> dict[str, ContractTerms]:
    out: dict[str, ContractTerms] = {}
    for r in contract_terms_table().itertuples(index=False):
        out[str(r.root)] = ContractTerms(
            root=str(r.root), kind=str(r.kind), name=str(r.name),
            point_value_usd=float(r.point_value_usd), tick_points=float(r.tick_points),
            tick_value_usd=float(r.tick_value_usd), quote_style=str(r.quote_style),
            month_cycle=str(r.month_cycle), listed_from=pd.Timestamp(r.listed_from),
            listed_to=None if pd.isna(r.listed_to) else pd.Timestamp(r.listed_to),
            source=str(r.source))
    return out


def known_roots() -> list[str]:
    return list(_terms_by_root())


def contract_terms(root: str) -> ContractTerms:
    """Terms of a root (``ZN``, ``SSF10``, ``SR3``); InputError naming the known roots."""
    t = _terms_by_root().get(root.strip().upper())
    if t is None:
        raise InputError(f"unknown instrument '{root}' (known roots: "
                         f"{', '.join(known_roots())})")
    return t


def instrument_kind(root: str) -> str:
    """treasury_future | sofr_swap_future | classic_swap_future | sofr_future."""
    return contract_terms(root).kind
