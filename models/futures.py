"""Treasury futures: the old import path, kept while callers move to :mod:`models.instruments`
(everything here is re-exported from :mod:`models.instruments.treasury_rules`,
:mod:`models.instruments.treasury_pricing` and :mod:`models.instruments.treasury`; see their
docstrings for the CME rules and the pricing conventions)."""

from models.contract_codes import ContractCode, parse_contract
from models.curves import DEFAULT_KEY_TENORS
from models.instruments.terms import TREASURY_ROOTS
from models.instruments.treasury import FuturesRisk, TreasuryFuture, futures_risk
from models.instruments.treasury_pricing import (
    BasketAnalysis,
    DeliveryChoice,
    basket_analysis,
    bonds_of,
    carry_terms,
    choose_delivery,
    forward_clean_price,
    implied_repo,
    window_carry,
)
from models.instruments.treasury_rules import (
    ContractCalendar,
    contract_calendar,
    conversion_factor,
    default_repo,
    deliverable_basket,
    eligible_mask,
    last_business_day_of_month,
    notional_ctd,
    securities_from_csv,
    spec,
)

_bonds_of = bonds_of          # old private names used by models.scenarios
_notional_ctd = notional_ctd

__all__ = [
    "DEFAULT_KEY_TENORS", "TREASURY_ROOTS", "BasketAnalysis", "ContractCalendar", "ContractCode",
    "DeliveryChoice", "FuturesRisk", "TreasuryFuture", "basket_analysis", "bonds_of",
    "carry_terms", "choose_delivery", "contract_calendar", "conversion_factor", "default_repo",
    "deliverable_basket", "eligible_mask", "forward_clean_price", "futures_risk",
    "implied_repo", "last_business_day_of_month", "notional_ctd", "parse_contract",
    "securities_from_csv", "spec", "window_carry",
]
