"""The contract protocol (models.instruments): one interface for Treasury, SOFR swap, classic
swap futures and SR3; terms only from data/contracts/*.csv; the roll window, third Wednesday and
TREASURY_ROOTS defined once; in-process caches keyed by everything a value depends on."""

import re
from pathlib import Path

import pandas as pd
import pytest

from data.contracts import contract_terms_table
from data.errors import InputError
from models import calendar as cal
from models.caching import cache_stats, clear_caches
from models.curves import curve_on
from models.futures import basket_analysis, contract_calendar
from models.instruments import (
    TREASURY_ROOTS,
    FuturesContract,
    contract,
    front_contract,
    instrument_risk,
    map_to_key_tenors,
    market_on,
)

KT = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
ASOF = "2025-07-11"
ROOT = Path(__file__).resolve().parents[1]


def test_front_contract_rolls_five_business_days_before_first_notice():
    fnd = contract_calendar("ZNU5", ASOF).first_notice_day
    roll = cal.add_business_days(fnd, -5)
    assert front_contract("ZN", cal.add_business_days(roll, -1)) == "ZNU5"
    assert front_contract("ZN", roll) == "ZNZ5"
    assert front_contract("ZT", "2025-01-02") == "ZTH5"


def test_map_to_key_tenors_preserves_total_and_interpolates():
    out = map_to_key_tenors({"1Y": 10.0, "4Y": 30.0, "10Y": 5.0, "40Y": 1.0}, KT)
    assert sum(out.values()) == pytest.approx(46.0)
    assert out["2Y"] == pytest.approx(10.0)            # below the first key: flat
    assert out["3Y"] == pytest.approx(15.0) and out["5Y"] == pytest.approx(15.0)  # 4Y halfway
    assert out["30Y"] == pytest.approx(1.0)


def test_instrument_risks_are_consistent():
    zn = instrument_risk("ZN", ASOF, KT)
    assert zn.contract == "ZNU5" and zn.kind == "treasury_future"
    assert sum(zn.key_rate_dv01.values()) == pytest.approx(zn.dv01_usd, rel=1e-3)
    assert zn.notional_usd == pytest.approx(100_000 * zn.price / 100)
    # the hedge uses the desk DV01 of the basket analysis (not the repo-held one)
    a = basket_analysis("ZNU5", ASOF, shifts_bp=())
    assert zn.dv01_usd == pytest.approx(a.dv01_usd, rel=1e-12)
    assert zn.details["dv01_repo_held_usd"] == pytest.approx(a.dv01_repo_held_usd)
    ssf = instrument_risk("SSF10", ASOF, KT)
    assert ssf.swap_spread_dv01_usd == pytest.approx(ssf.dv01_usd)
    assert any("proxy" in f for f in ssf.flags)
    with pytest.raises(InputError):
        instrument_risk("XYZ", ASOF, KT)


# ------------------------------------------------------------------ one protocol
CODES = {"ZNU5": "treasury_future", "ZTZ5": "treasury_future", "SSF10U5": "sofr_swap_future",
         "SSF2Z5": "sofr_swap_future", "SR3Z5": "sofr_future", "NSF10H2": "classic_swap_future"}


@pytest.mark.parametrize("code,kind", CODES.items())
def test_every_contract_implements_the_protocol(code, kind):
    asof = "2012-01-05" if code.startswith("NSF") else ASOF
    c = contract(code, asof)
    assert isinstance(c, FuturesContract) and c.kind == kind
    m = market_on(asof)
    r = c.risk(m, KT)
    # price, DV01 and key rates agree with each other; value = point value x price
    assert c.price(m) == pytest.approx(r.price, rel=1e-12)
    assert c.dv01(m) == pytest.approx(r.dv01_usd) and r.dv01_usd > 0
    assert sum(c.key_rate_dv01(m, KT).values()) == pytest.approx(r.dv01_usd, rel=1e-3)
    assert c.value_usd(r.price) == pytest.approx(c.point_value_usd * r.price)
    # terms straight from the contract files
    row = contract_terms_table().set_index("root").loc[c.root]
    assert c.point_value_usd == row["point_value_usd"]
    assert c.tick_value_usd == row["tick_value_usd"]
    assert c.tick_cost_usd() == pytest.approx(row["tick_value_usd"] / 2)
    # calendar: the roll window opens before the contract stops trading / goes to delivery
    assert c.roll_start() < c.last_trading_day
    nxt = c.next_contract()
    assert nxt.root == c.root and nxt.contract_month == c.contract_month + pd.DateOffset(
        months=3)


def test_terms_and_dates_hand_checked():
    zt, zn = contract("ZTU5", ASOF), contract("ZNU5", ASOF)
    assert (zt.point_value_usd, zt.tick_value_usd, zt.tick_cost_usd()) == (2000, 7.8125, 3.90625)
    assert zn.format_price(110.5) == "110-16"
    # ZNU5: first notice 2025-08-29 -> roll window from 2025-08-22 (5 business days earlier)
    assert zn.first_notice_day == pd.Timestamp("2025-08-29")
    assert zn.roll_start() == pd.Timestamp("2025-08-22")
    assert zn.next_contract().code == "ZNZ5" and zn.next_contract().next_contract().code == "ZNH6"
    # MAC SOFR swap future: effective Wed 2025-09-17, last trading 2 business days before
    ssf = contract("SSF10U5", ASOF)
    assert ssf.effective_date == pd.Timestamp("2025-09-17")
    assert ssf.last_trading_day == pd.Timestamp("2025-09-15")
    assert ssf.roll_start() == pd.Timestamp("2025-09-08")
    assert ssf.first_notice_day is None and ssf.point_value_usd == 1000
    # SR3U5: reference quarter 2025-09-17 .. 2025-12-17; rolls before it starts fixing
    sr3 = contract("SR3U5", ASOF)
    assert (sr3.reference_start, sr3.reference_end) == (pd.Timestamp("2025-09-17"),
                                                        pd.Timestamp("2025-12-17"))
    assert sr3.roll_start() == pd.Timestamp("2025-09-10")
    assert sr3.last_trading_day == pd.Timestamp("2025-12-16")
    assert TREASURY_ROOTS == ("ZT", "Z3N", "ZF", "ZN", "TN", "ZB", "UB")


def test_shocked_market_reprices_consistently_with_dv01():
    """A 1 bp parallel fall of the Treasury curve moves a Treasury future by about its DV01
    (repo moving with the curve); the swap future by its DV01 for a 1 bp swap-curve fall."""
    m = market_on(ASOF)
    zn = contract("ZNU5", ASOF)
    up, dn = (zn.revalue(m.shocked(m.curve.shifted(s)))[0] for s in (0.5, -0.5))
    assert (dn - up) * zn.point_value_usd == pytest.approx(zn.dv01(m), rel=1e-9)
    ssf = contract("SSF5U5", ASOF)
    sw = ssf.swap_risk(m)
    from models.instruments.swaps import market_swap_curve

    curve, _ = market_swap_curve(m)
    up, dn = (ssf.revalue(m.shocked(m.curve, curve + s * 1e-4))[0] for s in (0.5, -0.5))
    assert (dn - up) * ssf.point_value_usd == pytest.approx(sw.dv01_usd_per_contract, rel=1e-9)


def test_defined_once():
    """Third Wednesday, the roll window and the Treasury roots each have one definition;
    contract roots are not spelled out in code."""
    src = {p: p.read_text() for d in ("models", "optimizer/workflows", "data") for p in
           (ROOT / d).rglob("*.py")}
    defs = [p for p, t in src.items() if re.search(r"def _?third_wednesday\(", t)]
    assert [p.name for p in defs] == ["calendar.py"]
    rolls = [p for p, t in src.items() if re.search(r"add_business_days\([^)]*-\s*int\(roll_days",
                                                   t) or "-roll_days)" in t]
    assert [p.name for p in rolls] == ["base.py"]
    roots_literal = [p for p, t in src.items() if re.search(r'"ZT",\s*"Z3N",\s*"ZF"', t)]
    assert roots_literal == []
    assert [p.name for p in src if "TREASURY_ROOTS: tuple" in src[p]] == ["terms.py"]


# ------------------------------------------------------------------ caching (issue 18)
def test_second_hedge_rebuilds_no_basket():
    """Two hedges of the default book in one process: the second builds no deliverable basket,
    no basket analysis, no curve and no contract risk (all served by the in-process caches).
    Baskets are built only while the hedge is assembled (the solve never touches them), so
    the assembly is what is run twice."""
    from optimizer.assemble import build_context
    from optimizer.mandate import load_mandate

    clear_caches()
    first = build_context(None, load_mandate(None))
    before = cache_stats()
    assert before["deliverable_basket"]["misses"] > 0
    second = build_context(None, load_mandate(None))
    after = cache_stats()
    for name in ("deliverable_basket", "basket_analysis", "treasury_curve_by_asof",
                 "contract_risk"):
        assert after[name]["misses"] == before[name]["misses"], name
    assert after["contract_risk"]["hits"] > before["contract_risk"]["hits"]
    assert [i.dv01_usd for i in second.instruments] == [i.dv01_usd for i in first.instruments]
    assert (second.inputs.instrument_exposure == first.inputs.instrument_exposure).all()


def test_cache_keys_never_serve_stale_entries():
    """Another repo or a user curve gets its own entry; the defaults are unchanged after."""
    base = instrument_risk("ZNU5", ASOF, KT)
    hi_repo = instrument_risk("ZNU5", ASOF, KT, repo=0.06)
    assert hi_repo.price != base.price and hi_repo.details["repo_pct"] == pytest.approx(6.0)
    shifted = curve_on(ASOF).shifted(25.0)
    user = instrument_risk("ZNU5", ASOF, KT, curve=shifted)
    assert user.price < base.price - 1.0 and user.dv01_usd != base.dv01_usd
    again = instrument_risk("ZNU5", ASOF, KT)
    assert (again.price, again.dv01_usd) == (base.price, base.dv01_usd)
    a1 = basket_analysis("ZNU5", ASOF, repo=0.06, shifts_bp=())
    assert a1.futures_price == pytest.approx(hi_repo.price, rel=1e-12)
    # the user-curve analysis is cached under the curve's own fingerprint
    assert basket_analysis("ZNU5", ASOF, curve=shifted, shifts_bp=()).futures_price == \
        pytest.approx(user.price, rel=1e-12)


def test_curves_are_cached_per_date_and_read_only():
    c1, c2 = curve_on(ASOF), curve_on(pd.Timestamp(ASOF))
    assert c1 is c2 and curve_on("2025-07-10") is not c1
    with pytest.raises(ValueError):
        c1.zero_cc[0] = 0.0
    assert c1.fingerprint != c1.shifted(1.0).fingerprint
