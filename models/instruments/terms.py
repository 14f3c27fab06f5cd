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
