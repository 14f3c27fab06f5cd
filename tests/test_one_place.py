"""Contract facts and sector names in one place (issue 14): displays quote prices through the
contract terms of data/contracts/*.csv, the CME ticks decide the 32nds shown, and the hedge and
the backtest classify sectors by one rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.contracts import contract_roots
from models.contract_codes import parse_32nds
from models.instruments import contract, contract_terms
from optimizer.reporting import formatters as fmt

ROOT = Path(__file__).resolve().parents[1]

#: CME minimum price fluctuations in 32nds (contract specifications): ZT/Z3N 1/8 of a 32nd,
#: ZF 1/4, ZN/TN 1/2, ZB/UB one 32nd; MAC SOFR swap futures 2Y/5Y 1/4, 10Y 1/2, 30Y one 32nd
CME_TICK_32NDS = {"ZT": 1 / 8, "Z3N": 1 / 8, "ZF": 1 / 4, "ZN": 1 / 2, "TN": 1 / 2, "ZB": 1.0,
                  "UB": 1.0, "SSF2": 1 / 4, "SSF5": 1 / 4, "SSF10": 1 / 2, "SSF30": 1.0}


def test_ticks_in_the_data_are_the_cme_ticks():
    for root, tick in CME_TICK_32NDS.items():
        assert contract_terms(root).tick_points * 32 == pytest.approx(tick), root
        # shown at the tick, capped at quarters (the finest CME 32nds notation)
        assert contract_terms(root).fraction_32nds == min(round(1 / tick), 4), root


def test_hand_checked_quotes():
    assert contract("ZTU5").format_price(103.6050) == "103-192"   # 19.36/32 -> 19.25/32
    assert contract("ZNU5").format_price(110.515625) == "110-16+"
    assert contract("ZBU5").format_price(125.28125) == "125-09"
    assert contract("SR3Z5").format_price(96.1234) == "96.1234"
    assert contract("NSF10H3").format_price(99812.5) == "99,812.50"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(contract_roots())), st.floats(min_value=80.0, max_value=130.0))
def test_every_display_quotes_like_the_contract(root, p):
    code = f"{root}Z5"
    c = contract(code, "2025-07-11")
    shown = fmt.price(p, code)
    assert shown.startswith(c.format_price(p))
    if c.terms.quote_style == "32nds":  # the 32nds read back within half a display step
        step = 1 / (32 * c.terms.fraction_32nds)
        assert abs(parse_32nds(shown.split(" (")[0]) - p) <= step / 2 + 1e-9


def test_no_contract_root_list_or_month_regex_outside_the_contract_terms():
    """Above models/instruments, code asks the contract terms; it keeps no root list of its own
    and no month-code pattern (the backtest's licensed-file roots are data facts of that file)."""
    bad = re.compile(r"TREASURY_ROOTS|\[HMUZ\]|FGHJKMNQUVXZ|def third_wednesday|"
                     r"\(\"ZT\", \"Z3N\"|_TREASURY = \{")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "optimizer").rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if bad.search(line)]
    assert not hits, hits


def test_one_sector_classification():
    from models.risk import is_corporate_sector, is_treasury_sector
    from optimizer.workflows.backtest import portfolio

    for name in ("Treasury", "US Treasury", "U.S. Treasury", "UST", "govt"):
        assert is_treasury_sector(name) and portfolio.is_treasury(name), name
    for name in ("Corporate", "IG Corporate", "credit"):
        assert is_corporate_sector(name) and portfolio.is_corp(name), name
    assert not is_treasury_sector("Agency") and not is_corporate_sector("Agency")
