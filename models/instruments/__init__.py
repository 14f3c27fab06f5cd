"""Hedge instruments behind one contract protocol (:class:`FuturesContract`): Treasury futures
(ZT Z3N ZF ZN TN ZB UB; CTD forward DV01 / CF with the delivery option), CME MAC SOFR swap
futures (SSF2..SSF30), classic CBOT swap futures (NSF5, NSF10) and SR3.

``contract(code, asof)`` gives the product; ``front_contract(root, asof)`` the month a hedger
trades; ``instrument_risk(code, asof, key_tenors)`` the per-contract risk the optimizer uses
(DV01 and key-rate DV01s in USD per long contract, DV01 sign, swap-spread exposure, notional,
initial margin). Contract roots, ticks, sizes and quote styles come only from
``data/contracts/*.csv`` (:mod:`models.instruments.terms`).
"""

from models.caching import cache_stats, clear_caches
from models.instruments.base import (
    DEFAULT_ROLL_DAYS,
    SWAP_SPREAD_FACTOR,
    ContractBase,
    ContractRisk,
    FuturesContract,
    Market,
)
from models.instruments.keys import map_to_key_tenors
from models.instruments.registry import (
    InstrumentRisk,
    contract,
    contract_risk,
    front,
    front_contract,
    instrument_risk,
    market_on,
    resolve,
    split_root,
)
from models.instruments.sofr import SofrFuture
from models.instruments.swaps import ClassicSwapFuture, SofrSwapFuture
from models.instruments.terms import TREASURY_ROOTS, ContractTerms, contract_terms, instrument_kind
from models.instruments.treasury import TreasuryFuture

_split_root = split_root  # old private name, still imported by models.scenarios

__all__ = [
    "DEFAULT_ROLL_DAYS", "SWAP_SPREAD_FACTOR", "TREASURY_ROOTS", "ContractBase", "ContractRisk",
    "ContractTerms", "FuturesContract", "InstrumentRisk", "Market", "SofrFuture",
    "SofrSwapFuture", "ClassicSwapFuture", "TreasuryFuture", "cache_stats", "clear_caches",
    "contract", "contract_risk", "contract_terms", "front", "front_contract", "instrument_kind",
    "instrument_risk", "map_to_key_tenors", "market_on", "resolve", "split_root",
]
