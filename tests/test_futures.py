"""Treasury futures: codes, calendar, CME conversion factors, deliverable baskets, TYZ7 basis.

References are independent of the code under test: CME-published CFs (test vectors), CME's
TYZ7 example prices and gross basis, calendar dates worked out by hand from the CME rules, and
baskets checked against the rule text with hand-computed date limits.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import loaders
from data.contracts import load_margins, margin_for
from data.errors import InputError
from data.loaders import security_master
from models.contract_codes import format_32nds, parse_32nds, parse_contract
from models.futures import (
    carry_terms,
    contract_calendar,
    conversion_factor,
    deliverable_basket,
    forward_clean_price,
    implied_repo,
)

ROUNDING = {"TU": "month", "Z3N": "month", "FV": "month", "TY": "quarter", "US": "quarter"}


# ------------------------------------------------------------------ codes and 32nds
def test_code_round_trip_and_year_resolution():
    c = parse_contract("ZNU5", "2025-07-11")
    assert (c.root, c.year, c.month) == ("ZN", 2025, 9)
    assert c.code == "ZNU5" and c.long_code == "ZNU25"
    assert parse_contract(c.long_code).code == "ZNU5"
    assert parse_contract("TYZ7", "2017-10-10").year == 2017  # legacy root -> ZN
    assert parse_contract("TYZ7", "2017-10-10").root == "ZN"
    # March 2025 has expired on 2025-07-11: the one-digit year moves to the next decade
    assert parse_contract("ZNH5", "2025-07-11").year == 2035
    assert parse_contract("ZNU5", "2025-09-30").year == 2025  # in its delivery month: current
    assert parse_contract("ZBZ25").year == 2025


@pytest.mark.parametrize("bad", ["", "ZN", "ZNA5", "ZNF5", "XXU5", "ZNU", "ZNU555", "ZN U5", 5])
def test_bad_codes(bad):
    with pytest.raises(InputError):
        parse_contract(bad, "2025-07-11")


def test_32nds():
    assert format_32nds(110.5) == "110-16"
    assert format_32nds(125.265625) == "125-08+"
    assert parse_32nds("125-08+") == 125.265625
    assert parse_32nds("110-16") == 110.5
    assert parse_32nds("110-162") == 110 + 16.25 / 32
    assert parse_32nds("110-167") == 110 + 16.75 / 32
    assert format_32nds(110 + 16.75 / 32, fraction=4) == "110-167"
    with pytest.raises(InputError):
        parse_32nds("110-33")
    with pytest.raises(InputError):
        parse_32nds("abc")


# ------------------------------------------------------------------ calendar
def test_calendar_tyz7_and_sep_2025():
    d = contract_calendar("TYZ7", "2017-10-10")
    assert d.first_delivery_day == pd.Timestamp("2017-12-01")
    assert d.first_notice_day == pd.Timestamp("2017-11-30")
    assert d.first_intention_day == pd.Timestamp("2017-11-29")
    # last business day Fri 2017-12-29; 7 business days before it (Christmas skipped): Dec 19
    assert d.last_trading_day == pd.Timestamp("2017-12-19")
    assert d.last_delivery_day == pd.Timestamp("2017-12-29")
    n = contract_calendar("ZNU5", "2025-07-11")
    # 1 Sep 2025 is Labor Day: first delivery Tue 2 Sep, notice Fri 29 Aug, intention Thu 28 Aug
    assert n.first_delivery_day == pd.Timestamp("2025-09-02")
    assert n.first_notice_day == pd.Timestamp("2025-08-29")
    assert n.first_intention_day == pd.Timestamp("2025-08-28")
    assert n.last_trading_day == pd.Timestamp("2025-09-19")
    assert n.last_delivery_day == pd.Timestamp("2025-09-30")
    t = contract_calendar("ZTU5", "2025-07-11")
    assert t.last_trading_day == pd.Timestamp("2025-09-30")
    assert t.last_delivery_day == pd.Timestamp("2025-10-03")


# ------------------------------------------------------------------ conversion factors
def test_every_cme_conversion_factor_reproduced_exactly():
    tv = loaders.test_vector("ust_futures_conversion_factors")
    for r in tv.itertuples():
        got = conversion_factor(r.coupon_pct, r.maturity, r.first_delivery_date,
                                ROUNDING[r.contract])
        want = r.cf_expected if r.source_tag.startswith(("cme", "martellini")) else \
            r.cf_recomputed_cme_formula
        assert round(got, 4) == got
        assert got == pytest.approx(want, abs=1e-12), (r.contract, r.maturity, r.coupon_pct)


def _cf_by_bond_pricing(coupon_pct, maturity, month_start, quarter):
    """Independent oracle (explicit cash-flow sum, not CME's closed form): price per $1 at a 6%
    semi-annual yield, as of the first day of the delivery month, of a bond whose term is cut to
    whole months (quarters), with time to the next coupon counted in months / 6."""
    start, mat = pd.Timestamp(month_start), pd.Timestamp(maturity)
    months = (mat.year - start.year) * 12 + mat.month - start.month - (mat.day < start.day)
    if quarter:
        months -= months % 3
    m0 = months % 6 or 6                 # months to the next coupon
    w = m0 / 6.0
    n_cpn = (months - m0) // 6 + 1
    c = coupon_pct / 2.0
    full = sum(c / 1.03 ** (w + j) for j in range(n_cpn)) + 100.0 / 1.03 ** (w + n_cpn - 1)
    accrued = c * (6 - m0) / 6.0
    return round((full - accrued) / 100.0 + 1e-12, 4)


# ------------------------------------------------------------------ TYZ7 (CME example)
@pytest.fixture(scope="module")
def tyz7():
    tv = loaders.test_vector("cme_tyz7_deliverable_basket_2017-10-10")
    tv["maturity_date"] = pd.to_datetime(tv["maturity"])
    b = deliverable_basket("TYZ7", "2017-10-10")
    return b.merge(tv, on=["maturity_date", "coupon_pct"], how="outer", indicator=True)


def test_tyz7_basket_cf_and_gross_basis(tyz7):
    assert (tyz7["_merge"] == "both").all() and len(tyz7) == 17
    assert np.array_equal(tyz7["conversion_factor"], tyz7["conversion_factor_cme_formula"])
    F = 125.265625
    gb = (tyz7["clean_price"] - F * tyz7["conversion_factor"]) * 32
    # published to 0.01/32; a few prices are themselves rounded to 1/256
    assert np.abs(gb - tyz7["gross_basis_32nds"]).max() < 0.01


def test_tyz7_ctd_by_implied_repo(tyz7):
    """Repo 1.10% ACT/360 (GC repo, Oct 2017; SOFR began 2018). CTD = 2-3/8% Aug-2024."""
    F = 125.265625
    terms = carry_terms(tyz7, "2017-10-11", "2017-12-29")
    full = tyz7["clean_price"].to_numpy() + terms["ai_settle"]
    irr = implied_repo(full, tyz7["conversion_factor"], F, terms)
    ctd = tyz7.iloc[int(np.nanargmax(irr))]
    assert (ctd["coupon_pct"], str(ctd["maturity_date"].date())) == (2.375, "2024-08-15")
    # by hand: no coupon before delivery; accrued 57/184 and 136/184 of 1.1875; 79 days
    ai0, ai1 = 1.1875 * 57 / 184, 1.1875 * 136 / 184
    full_ctd = 101.234375 + ai0
    hand = (F * 0.8072 + ai1 - full_ctd) / full_ctd * 360 / 79
    assert irr.max() == pytest.approx(hand, abs=1e-10)
    assert hand == pytest.approx(0.017487, abs=1e-5)
    # net basis of the CTD is negative at 1.10% repo (it beats repo), longest issue positive
    fwd = forward_clean_price(full, terms, 0.011)
    nb = (fwd - F * tyz7["conversion_factor"].to_numpy()) * 32
    assert nb[int(np.nanargmax(irr))] < 0 < nb[-1]
    assert np.argmin(nb) == np.nanargmax(irr)


# ------------------------------------------------------------------ Sep-2025 baskets
def _sm():
    return security_master(nominal_only=True)


def test_znu5_basket_matches_rule_text():
    """10y: notes, 6.5y..10y remaining from 2025-09-01 -> maturity in [2032-03-01, 2035-09-01];
    issued by the last trading day 2025-09-19."""
    sm = _sm()
    want = sm[(sm.security_type == "Note") & (sm.maturity_date >= "2032-03-01")
              & (sm.maturity_date <= "2035-09-01") & (sm.original_issue_date <= "2025-09-19")]
    b = deliverable_basket("ZNU5", "2025-07-11", include_future_issues=True)
    assert set(b.cusip) == set(want.cusip) and len(b) == 20
    # known members / non-members by hand
    assert "91282CNC1" in set(b.cusip)   # 4.25% May-15-2035 10y
    assert "91282CMT5" in set(b.cusip)   # 4.125% Mar-31-2032 7y: 6y7m remaining
    sept_7y = sm[(sm.maturity_date == "2032-02-29") & (sm.original_security_term == "7-Year")]
    assert not set(sept_7y.cusip) & set(b.cusip)  # 6y5m29d < 6.5y
    # as of 2025-07-11 only issues already issued (no look-ahead)
    b0 = deliverable_basket("ZNU5", "2025-07-11")
    assert (b0.original_issue_date <= "2025-07-11").all() and len(b0) == 17
    for r in b.itertuples():
        assert r.conversion_factor == _cf_by_bond_pricing(r.coupon_pct, r.maturity_date,
                                                           "2025-09-01", True)


def test_zbu5_basket_matches_rule_text():
    """Bond: 15y..<25y remaining from 2025-09-01 -> maturity in [2040-09-01, 2050-09-01)."""
    sm = _sm()
    want = sm[(sm.security_type == "Bond") & (sm.maturity_date >= "2040-09-01")
              & (sm.maturity_date < "2050-09-01") & (sm.original_issue_date <= "2025-09-19")]
    b = deliverable_basket("ZBU5", "2025-07-11", include_future_issues=True)
    assert set(b.cusip) == set(want.cusip)
    mats = set(b.maturity_date.dt.strftime("%Y-%m-%d"))
    assert "2050-08-15" in mats and "2040-08-15" not in mats and "2050-11-15" not in mats
    for r in b.iloc[::7].itertuples():
        assert r.conversion_factor == _cf_by_bond_pricing(r.coupon_pct, r.maturity_date,
                                                           "2025-09-01", True)


def test_ztu5_basket_matches_rule_text():
    """2y: original term <= 5y3m, remaining >= 1y9m from 2025-09-01 (maturity >= 2027-06-01)
    and <= 2y from 2025-09-30 (maturity <= 2027-09-30); issued by LTD 2025-09-30."""
    sm = _sm()
    short = sm.original_security_term.isin(["2-Year", "3-Year", "5-Year", "4-Year",
                                            "5-Year 2-Month", "3-Year 6-Month"])
    want = sm[short & (sm.maturity_date >= "2027-06-01") & (sm.maturity_date <= "2027-09-30")
              & (sm.original_issue_date <= "2025-09-30")]
    b = deliverable_basket("ZTU5", "2025-07-11", include_future_issues=True)
    assert set(b.cusip) == set(want.cusip) and len(b) == 12
    assert "91282CPB1" in set(b.cusip)  # 2y issued 2025-09-30 = last trading day: eligible
    seven = sm[(sm.original_security_term == "7-Year") & (sm.maturity_date >= "2027-06-01")
               & (sm.maturity_date <= "2027-09-30")]
    assert len(seven) and not set(seven.cusip) & set(b.cusip)  # 7y original term too long
    for r in b.itertuples():
        assert r.conversion_factor == _cf_by_bond_pricing(r.coupon_pct, r.maturity_date,
                                                           "2025-09-01", False)


def test_rule_changes_by_date():
    # ZB before March 2015: >= 15 years, no upper limit -> 30y bonds with 29y left are in
    old = deliverable_basket("ZBZ14", "2014-10-01")
    assert (old.maturity_date > pd.Timestamp("2039-12-01")).any()
    new = deliverable_basket("ZBH15", "2014-12-15")
    assert (new.maturity_date < pd.Timestamp("2040-03-01")).all()
    with pytest.raises(InputError):  # TN launched 2016
        deliverable_basket("TNH15", "2014-12-15")
    with pytest.raises(InputError):  # UB launched 2010
        deliverable_basket("UBZ08", "2008-10-01")


def test_user_securities_csv(tmp_path: Path):
    from models.futures import securities_from_csv
    p = tmp_path / "sec.csv"
    p.write_text("cusip,coupon,maturity,issue_date\nA,4.25,2035-05-15,2025-05-15\n"
                 "B,4.0,2032-02-29,2025-02-28\n")
    b = deliverable_basket("ZNU5", "2025-07-11", securities=securities_from_csv(p))
    assert list(b.cusip) == ["A"] and b.conversion_factor.iloc[0] == 0.8747
    p.write_text("cusip,coupon,maturity,issue_date\nA,4.25,2035-13-15,2025-05-15\n")
    with pytest.raises(InputError) as e:
        securities_from_csv(p)
    assert "row 2" in str(e.value) and "maturity" in str(e.value)


# ------------------------------------------------------------------ margins
def test_margins_bundled_and_override(tmp_path: Path):
    m = load_margins()
    assert {"contract", "initial_usd", "maintenance_usd", "valid_from", "source",
            "confidence"} <= set(m.columns)
    assert (m.initial_usd >= m.maintenance_usd).all()
    zn = margin_for("ZN", "2025-07-11", m)
    assert zn["valid_from"] == pd.Timestamp("2025-06-01") and zn["confidence"] == "approximate"
    assert margin_for("ZN", "2012-01-01", m)["initial_usd"] == 1755
    p = tmp_path / "m.csv"
    p.write_text("contract,initial_usd,maintenance_usd,valid_from,source\n"
                 "ZN,2500,2200,2025-01-01,my FCM\nZB,abc,4000,2025-01-01,my FCM\n")
    with pytest.raises(InputError) as e:
        load_margins(p)
    assert "row 3" in str(e.value) and "initial_usd" in str(e.value) and "m.csv" in str(e.value)
    p.write_text("contract,initial_usd,valid_from,source\nZN,2500,2025-01-01,x\n")
    with pytest.raises(InputError, match="maintenance_usd"):
        load_margins(p)


# ------------------------------------------------------------------ desk DV01 and delivery option
QL = pytest.importorskip("QuantLib")
from ql_oracle import bullet, qd, treasury_curve  # noqa: E402  (needs QuantLib)

SEP25 = ("ZTU5", "ZFU5", "ZNU5", "TNU5", "ZBU5", "UBU5")


def _ql_forward_dv01(a, repo_moves: bool) -> float:
    """QuantLib BondForward of the CTD to the delivery date, repo curve = the Treasury curve +
    a constant zero spread fitted to the term repo (so the repo moves with the curve), or a flat
    repo curve (repo held); central difference of +-0.5 bp par bumps, / CF, USD per contract."""
    ql = QL
    settle = qd(a.settle)
    ql.Settings.instance().evaluationDate = settle
    par = loaders.par_curve(a.asof).par_yield_dec
    ctd = a.ctd
    bond = bullet(ctd["maturity"], float(ctd["coupon"]) / 100)
    dl = qd(a.delivery_date)
    days, t = dl - settle, ql.Actual365Fixed().yearFraction(settle, dl)
    df_repo = 1 / (1 + a.repo_dec * days / 360)
    spread = -np.log(df_repo / treasury_curve(par, settle).discount(dl)) / t
    fwd = []
    for bp in (-0.5, 0.5):
        h = ql.YieldTermStructureHandle(treasury_curve(par, settle, bp))
        bond.setPricingEngine(ql.DiscountingBondEngine(h))
        repo = (ql.ZeroSpreadedTermStructure(h, ql.QuoteHandle(ql.SimpleQuote(spread)),
                                             ql.Continuous) if repo_moves else
                ql.FlatForward(settle, -np.log(df_repo) / t, ql.Actual365Fixed(), ql.Continuous))
        rh = ql.YieldTermStructureHandle(repo)
        f = ql.BondForward(settle, dl, ql.Position.Long, 0.0, 0, ql.Actual360(),
                           ql.NullCalendar(), ql.Unadjusted, bond, rh, rh)
        fwd.append(f.cleanForwardPrice())
    return (fwd[0] - fwd[1]) / float(ctd["conversion_factor"]) * a.contract_size_usd / 100


@pytest.fixture(scope="module")
def sep25_desk():
    from models.futures import basket_analysis

    return {c: basket_analysis(c, "2025-07-11", shifts_bp=()) for c in SEP25}


@pytest.mark.parametrize("code", SEP25)
def test_futures_dv01_desk_convention_vs_quantlib(sep25_desk, code):
    """Futures DV01 = CTD forward DV01 / CF with the forward and the term repo moving with the
    curve, against an independent QuantLib forward (BondForward on a QuantLib bootstrap, repo
    curve spread to the Treasury curve) to 0.5%; the repo-held secondary figure likewise."""
    a = sep25_desk[code]
    assert a.dv01_usd == pytest.approx(_ql_forward_dv01(a, True), rel=0.005)
    assert a.dv01_repo_held_usd == pytest.approx(_ql_forward_dv01(a, False), rel=0.005)
    # the repo moving with the curve takes about F x d/360 x 1 bp / CF off the repo-held DV01
    ctd = a.ctd
    d = (a.delivery_date - a.settle).days
    repo_effect = (ctd["forward_price"] + 2.0) * d / 360 * 1e-4 / ctd["conversion_factor"] \
        * a.contract_size_usd / 100
    assert a.dv01_repo_held_usd - a.dv01_usd == pytest.approx(repo_effect, rel=0.05)
    # key rates sum to the DV01 (one curve basis)
    assert sum(a.key_rate_dv01_usd.values()) == pytest.approx(a.dv01_usd, rel=1e-3)


def test_forward_yield_dv01_vs_quantlib(sep25_desk):
    """The vendor-screen figure: CTD yield DV01 (QuantLib modified duration x dirty price) at
    its forward yield for settlement on the delivery date, / CF. On 2025-07-11 it reproduces
    the issue's 'about 85.1 / 141.0 / 176.8' for TN, ZB, UB (last-day delivery)."""
    ql = QL
    for a in sep25_desk.values():
        ctd = a.ctd
        bond = bullet(ctd["maturity"], float(ctd["coupon"]) / 100)
        dc = bond.dayCounter()
        dl = qd(a.delivery_date)
        y = ql.BondFunctions.bondYield(bond, ql.BondPrice(float(ctd["forward_price"]),
                                                          ql.BondPrice.Clean),
                                       dc, ql.Compounded, ql.Semiannual, dl, 1e-14, 200)
        yr = ql.InterestRate(y, dc, ql.Compounded, ql.Semiannual)
        dirty = ql.BondFunctions.cleanPrice(bond, yr, dl) + ql.BondFunctions.accruedAmount(
            bond, dl)
        bpv = ql.BondFunctions.duration(bond, yr, ql.Duration.Modified, dl) * dirty * 1e-4
        want = bpv / ctd["conversion_factor"] * a.contract_size_usd / 100
        assert a.forward_yield_dv01_usd == pytest.approx(want, rel=1e-8)
    assert [round(sep25_desk[c].forward_yield_dv01_usd, 1) for c in ("TNU5", "ZBU5", "UBU5")] \
        == [85.2, 141.1, 176.8]


def test_delivery_option_sep25(sep25_desk):
    """Negative carry (repo 4.31% above the CTD's income) -> first delivery day for ZT, ZF, ZN;
    positive carry -> last day for TN, ZB, UB. ZTU5's CTD on the first day is 91282CEW7."""
    first = {c for c, a in sep25_desk.items() if a.delivery.mode == "first"}
    assert first == {"ZTU5", "ZFU5", "ZNU5"}
    for a in sep25_desk.values():
        d = a.delivery
        assert (d.carry_per100 < 0) == (d.mode == "first")
        assert a.delivery_date == (a.calendar.first_delivery_day if d.mode == "first"
                                   else a.calendar.last_delivery_day)
        assert d.ctd_cusip == a.ctd["cusip"] and "carry" in d.reason
    assert sep25_desk["ZTU5"].ctd["cusip"] == "91282CEW7"
    from models.futures import basket_analysis

    last = basket_analysis("ZTU5", "2025-07-11", delivery="last", shifts_bp=())
    assert last.ctd["cusip"] == "91282CKV2"
    # the option is worth something: the theoretical price is the lower of the two days'
    assert sep25_desk["ZTU5"].theoretical_price < last.theoretical_price
    zf_last = basket_analysis("ZFU5", "2025-07-11", delivery="last", shifts_bp=())
    assert zf_last.theoretical_price - sep25_desk["ZFU5"].theoretical_price == pytest.approx(
        0.028, abs=0.002)


def test_delivery_carry_hand_checked(sep25_desk):
    """ZTU5's CTD 91282CEW7 (3-1/4% 2027-06-30, coupons Jun 30 / Dec 31, no coupon before
    Oct 3): over the window 2025-09-02 .. 2025-10-03 (31 days) it earns 31 of the 184 days of
    the Jun 30 - Dec 31 period, 1.625 x 31/184 = 0.27378 per 100, and costs the spot full
    price x 4.31% x 31/360 in repo."""
    a = sep25_desk["ZTU5"]
    row = a.table.set_index("cusip").loc["91282CEW7"]
    assert (row["coupon"], pd.Timestamp(row["maturity"])) == (3.25, pd.Timestamp("2027-06-30"))
    income = 1.625 * 31 / 184
    cost = (row["price"] + row["accrued"]) * a.repo_dec * 31 / 360
    d = a.delivery
    assert d.income_per100 == pytest.approx(income, abs=1e-12)
    assert d.repo_cost_per100 == pytest.approx(cost, abs=1e-12)
    assert d.carry_per100 == pytest.approx(income - cost, abs=1e-12) and d.carry_per100 < 0
    # accrued 2025-07-14: 14 of 184 days
    assert row["accrued"] == pytest.approx(1.625 * 14 / 184, abs=1e-12)


def test_bundled_margin_is_cached_but_never_shared():
    """The bundled table's margins are looked up once per (contract, date) in the process; the
    caller gets its own dict (a change to it never reaches the next caller), equal to the
    uncached lookup in the same table."""
    from data.contracts import load_margins, margin_for

    a = margin_for("ZN", "2025-07-11")
    a["initial_usd"] = -1.0
    b = margin_for("ZN", "2025-07-11")
    assert b["initial_usd"] > 0
    assert b == margin_for("ZN", "2025-07-11", load_margins())
