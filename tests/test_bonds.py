"""Bond math against independent references: 31 CFR 356 Appendix B, Bloomberg, QuantLib."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data import loaders
from models.bonds import (
    cashflows,
    days_30360,
    make_bonds,
    price_from_yield,
    risk_from_yield,
    yield_from_price,
)

ql = pytest.importorskip("QuantLib")


# ------------------------------------------------------------------ 31 CFR 356 Appendix B
# The CSV gives C, i, n, r, s, r', s'; the bonds behind them (settlement, maturity, dated date,
# first coupon) are those of the Appendix examples. We build the real bonds and check that our
# schedule reproduces r, s, n and the published price/accrued.
CFR_BONDS = {
    #        settlement    maturity      dated date    first coupon
    "II.A": ("1990-05-15", "2020-05-15", None, None),
    "II.B": ("1990-04-02", "1992-03-31", "1990-04-02", "1990-09-30"),   # short first
    "II.C": ("1990-03-01", "1995-05-15", "1990-03-01", "1990-11-15"),   # long first
    "II.D": ("1985-11-29", "1995-11-15", None, None),                   # reopening
    "II.E": ("1985-11-04", "2005-08-15", "1985-07-02", "1986-02-15"),   # in long first, 2nd part
    "II.F": ("1983-08-15", "1991-05-15", "1983-05-16", "1983-11-15"),   # in short first
    "II.G": ("1988-11-15", "1994-12-15", "1988-10-15", "1989-06-15"),   # in long first, 1st part
    # TIPS: the real (unadjusted) price is the nominal formula on real yield and coupon; the
    # index ratio only scales the settlement amount, so no ratio is needed to check the price.
    "III.A": ("1999-01-15", "2009-01-15", None, None),
}


@pytest.fixture(scope="module")
def cfr():
    tv = loaders.test_vector("treasury_31cfr356_price_from_yield")
    terms = [CFR_BONDS[e] for e in tv["example"]]
    bonds = make_bonds([t[1] for t in terms], tv["C_coupon_per_100"].to_numpy() / 100, 2, "UST",
                       [t[2] for t in terms], [t[3] for t in terms])
    cf = cashflows(bonds, [t[0] for t in terms])
    return tv, bonds, cf


def test_cfr_schedule_matches_r_s_n(cfr):
    tv, _, cf = cfr
    # n = whole quasi-coupon periods from the next quasi-coupon date to maturity;
    # r/s = fraction of the current quasi-period left
    last = cf.periods[np.arange(len(cf)), cf.count - 1]
    np.testing.assert_allclose(last - cf.frac_period, tv["n_periods"].to_numpy(), atol=1e-12)
    np.testing.assert_allclose(cf.frac_period, tv["r_days"] / tv["s_days"], rtol=1e-15)


def test_cfr_price_from_yield(cfr):
    tv, _, cf = cfr
    # 31 CFR 356 discounts the fractional first period with simple interest (1 + r/s * i/2)
    price = price_from_yield(cf, tv["i_yield"].to_numpy(), fractional="simple")
    np.testing.assert_allclose(price, tv["price_expected"].to_numpy(), atol=1e-6, rtol=0)
    given = tv["accrued_expected"].notna().to_numpy()
    np.testing.assert_allclose(cf.accrued_per100[given], tv["accrued_expected"].to_numpy()[given],
                               atol=1e-6, rtol=0)
    y = yield_from_price(cf, price, fractional="simple")
    np.testing.assert_allclose(y, tv["i_yield"].to_numpy(), atol=1e-12, rtol=0)


def test_cfr_street_convention_differs_only_by_fraction(cfr):
    # settlement on a coupon date (w = 1): street and Treasury conventions coincide
    tv, _, cf = cfr
    on_coupon = np.isclose(cf.frac_period, 1.0)
    assert on_coupon.sum() >= 2
    a = price_from_yield(cf, tv["i_yield"].to_numpy(), fractional="simple")
    b = price_from_yield(cf, tv["i_yield"].to_numpy(), fractional="compound")
    np.testing.assert_allclose(a[on_coupon], b[on_coupon], atol=1e-10)
    assert np.all(np.abs(a - b)[~on_coupon] > 1e-4)


# ------------------------------------------------------------------ Bloomberg FHLB (30/360)
def test_bloomberg_fhlb_30360():
    tv = loaders.test_vector("bond_risk_bloomberg_examples")
    row = tv[tv["market"] == "US agency"].iloc[0]
    assert row["day_count"] == "30/360 US"
    bonds = make_bonds(row["maturity"], row["coupon_pct"] / 100, int(row["frequency"]), "CORP",
                       dated_date=row["issue_or_dated"])
    cf = cashflows(bonds, row["settlement"])
    assert cf.accrued_per100[0] == pytest.approx(row["accrued_per_100"], abs=1e-9)
    # the row's tolerance note: price 1e-3, yield 1e-4 (decimal); its 1.5 % / 100 pair is
    # rounded (at exactly 1.5 % street convention gives 99.99983)
    r = risk_from_yield(cf, row["yield_pct"] / 100)
    assert r.clean_price_per100[0] == pytest.approx(row["clean_price"], abs=1e-3)
    y = yield_from_price(cf, row["clean_price"])
    assert y[0] == pytest.approx(row["yield_pct"] / 100, abs=1e-4)
    assert r.macaulay_duration_years[0] == pytest.approx(row["macaulay_duration"], abs=1e-3)
    bbg_conv = float(str(row["convexity_bbg_scaled"]).split()[0])
    assert r.convexity_years2[0] / 100 == pytest.approx(bbg_conv, abs=1e-3)


# ------------------------------------------------------------------ QuantLib oracle
def _qd(t: pd.Timestamp):
    return ql.Date(t.day, t.month, t.year)


def _ql_metrics(settle, maturity, coupon, conv, yld, dated=None, first=None):
    if conv == "UST":
        dc = ql.ActualActual(ql.ActualActual.ISMA)
    else:
        dc = ql.Thirty360(ql.Thirty360.BondBasis)
    m = _qd(maturity)
    if dated is None:
        # start well before settlement so any stub QuantLib makes is in the past
        start = m - ql.Period(int((maturity - settle).days // 365) + 2, ql.Years)
        sch = ql.Schedule(start, m, ql.Period(ql.Semiannual), ql.NullCalendar(), ql.Unadjusted,
                          ql.Unadjusted, ql.DateGeneration.Backward, True)
    else:
        sch = ql.Schedule(_qd(dated), m, ql.Period(ql.Semiannual), ql.NullCalendar(),
                          ql.Unadjusted, ql.Unadjusted, ql.DateGeneration.Backward, False,
                          _qd(first))
        if conv == "UST":
            dc = ql.ActualActual(ql.ActualActual.ISMA, sch)
    bond = ql.FixedRateBond(0, 100.0, sch, [float(coupon)], dc)
    s = _qd(settle)
    yr = ql.InterestRate(float(yld), dc, ql.Compounded, ql.Semiannual)
    clean = ql.BondFunctions.cleanPrice(bond, yr, s)
    acc = ql.BondFunctions.accruedAmount(bond, s)
    mod = ql.BondFunctions.duration(bond, yr, ql.Duration.Modified, s)
    mac = ql.BondFunctions.duration(bond, yr, ql.Duration.Macaulay, s)
    conv_ = ql.BondFunctions.convexity(bond, yr, s)
    return clean, acc, mod * (clean + acc) * 1e-4, mac, conv_


def _random_bonds(n: int, seed: int):
    rng = np.random.default_rng(seed)
    settle = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    life = pd.to_timedelta(rng.integers(92, int(365.25 * 30), n), unit="D")  # 3 months - 30y
    mat = settle + life
    conv = np.where(rng.random(n) < 0.5, "UST", "CORP")
    # Corporates: maturity day <= 27. On a month-end (or 29th-31st) schedule, 30/360 bond
    # basis makes some periods 178 or 183 days; the street (and our) coupon is still C/2,
    # QuantLib pays C x days/360, so the two legitimately differ there (Feb 28 is a month end).
    mat = pd.DatetimeIndex([m if c == "UST" or m.day <= 27 else m.replace(day=27)
                            for m, c in zip(mat, conv, strict=True)])
    cpn = np.round(rng.uniform(0.0, 0.09, n) * 800) / 800  # eighths of a percent
    yld = rng.uniform(-0.002, 0.10, n)
    return settle, mat, conv, cpn, yld


@pytest.mark.parametrize("seed", [11, 12])
def test_quantlib_random_regular_bonds(seed):
    n = 300
    settle, mat, conv, cpn, yld = _random_bonds(n, seed)
    cf = cashflows(make_bonds(mat.values, cpn, 2, conv), settle.values)
    r = risk_from_yield(cf, yld)
    ref = np.array([_ql_metrics(settle[i], mat[i], cpn[i], conv[i], yld[i]) for i in range(n)])
    np.testing.assert_allclose(r.clean_price_per100, ref[:, 0], atol=1e-8, rtol=0)
    np.testing.assert_allclose(r.accrued_per100, ref[:, 1], atol=1e-10, rtol=0)
    np.testing.assert_allclose(r.dv01_per100, ref[:, 2], rtol=1e-6, atol=0)
    np.testing.assert_allclose(r.macaulay_duration_years, ref[:, 3], rtol=1e-9)
    np.testing.assert_allclose(r.convexity_years2, ref[:, 4], rtol=1e-8)
    # yield round trip (clean price -> yield)
    y = yield_from_price(cf, r.clean_price_per100)
    np.testing.assert_allclose(y, yld, atol=1e-11, rtol=0)
    # and QuantLib's yield from our price agrees
    for i in range(0, n, 15):
        m = _qd(mat[i])
        dc = (ql.ActualActual(ql.ActualActual.ISMA) if conv[i] == "UST"
              else ql.Thirty360(ql.Thirty360.BondBasis))
        start = m - ql.Period(int((mat[i] - settle[i]).days // 365) + 2, ql.Years)
        sch = ql.Schedule(start, m, ql.Period(ql.Semiannual), ql.NullCalendar(), ql.Unadjusted,
                          ql.Unadjusted, ql.DateGeneration.Backward, True)
        bond = ql.FixedRateBond(0, 100.0, sch, [float(cpn[i])], dc)
        qy = ql.BondFunctions.bondYield(bond, ql.BondPrice(float(r.clean_price_per100[i]),
                                                           ql.BondPrice.Clean),
                                        dc, ql.Compounded, ql.Semiannual, _qd(settle[i]),
                                        1e-14, 200)
        assert qy == pytest.approx(y[i], abs=1e-10)


def test_quantlib_random_odd_first_coupons():
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(80):
        conv = "UST" if rng.random() < 0.5 else "CORP"
        first = pd.Timestamp("2022-01-15") + pd.DateOffset(months=int(rng.integers(0, 48)))
        first = first.replace(day=int(rng.integers(1, 29)))
        mat = first + pd.DateOffset(months=6 * int(rng.integers(1, 60)))
        # short (< 6 months) or long (6-12 months) first period
        dated = first - pd.Timedelta(days=int(rng.integers(20, 360)))
        settle = dated + pd.Timedelta(days=int(rng.integers(0, (first - dated).days + 200)))
        if settle >= mat:
            continue
        rows.append((settle, mat, round(rng.uniform(0.0, 0.08) * 800) / 800, conv,
                     rng.uniform(0.0, 0.08), dated, first))
    s, m, cp, c, y, d, f = map(list, zip(*rows, strict=True))
    cf = cashflows(make_bonds(m, cp, 2, c, d, f), s)
    r = risk_from_yield(cf, y)
    ref = np.array([_ql_metrics(*row) for row in rows])
    np.testing.assert_allclose(r.clean_price_per100, ref[:, 0], atol=1e-8, rtol=0)
    np.testing.assert_allclose(r.accrued_per100, ref[:, 1], atol=1e-10, rtol=0)
    np.testing.assert_allclose(r.dv01_per100, ref[:, 2], rtol=1e-6, atol=0)


# ------------------------------------------------------------------ properties
def test_end_of_month_schedule():
    cf = cashflows(make_bonds("2030-08-31", 0.04, 2, "UST"), "2027-01-10")
    dates = pd.DatetimeIndex(cf.dates[0, : cf.count[0]])
    assert dates[0] == pd.Timestamp("2027-02-28")
    assert dates[1] == pd.Timestamp("2027-08-31")
    assert dates[3] == pd.Timestamp("2028-08-31")
    assert pd.Timestamp("2028-02-29") in dates
    assert cf.prev_coupon[0] == np.datetime64("2026-08-31")
    # without the rule a 30th-of-month maturity keeps the 30th (Feb clamps)
    cf2 = cashflows(make_bonds("2030-11-30", 0.04, 2, "UST", eom_rule=False), "2030-01-10")
    assert pd.Timestamp(cf2.dates[0, 0]) == pd.Timestamp("2030-05-30")


def test_dv01_matches_bump_and_reprice():
    settle, mat, conv, cpn, yld = _random_bonds(200, 3)
    cf = cashflows(make_bonds(mat.values, cpn, 2, conv), settle.values)
    r = risk_from_yield(cf, yld)
    up = price_from_yield(cf, yld + 1e-6, clean=False)
    dn = price_from_yield(cf, yld - 1e-6, clean=False)
    np.testing.assert_allclose(r.dv01_per100, (dn - up) / 2 * 100, rtol=1e-6)
    assert (r.dv01_per100 > 0).all()
    conv_fd = (up + dn - 2 * r.full_price_per100) / (1e-6**2) / r.full_price_per100
    np.testing.assert_allclose(r.convexity_years2, conv_fd, rtol=1e-3, atol=1e-2)


def test_days_30360_bond_basis():
    d = lambda s: np.array([s], dtype="datetime64[D]")  # noqa: E731
    assert days_30360(d("2024-01-31"), d("2024-03-31"))[0] == 60
    assert days_30360(d("2024-01-30"), d("2024-03-31"))[0] == 60
    assert days_30360(d("2024-01-29"), d("2024-03-31"))[0] == 62
    # SIA February end-of-month rule (hand-checked): D1 = last day of Feb -> 30
    assert days_30360(d("2024-02-29"), d("2024-08-31"))[0] == 180
    assert days_30360(d("2023-02-28"), d("2023-03-15"))[0] == 15    # not 17
    assert days_30360(d("2023-02-28"), d("2024-02-29"))[0] == 360   # both Feb ends: D2 -> 30
    assert days_30360(d("2023-02-28"), d("2024-02-28"))[0] == 358   # 2024-02-28 is no Feb end
    assert days_30360(d("2024-02-28"), d("2024-03-15"))[0] == 17    # leap year: 28th is no end
    # a bond not on the end-of-month rule keeps the plain count
    assert days_30360(d("2023-02-28"), d("2023-03-15"), eom=False)[0] == 17


def test_days_30360_matches_quantlib_usa_on_random_pairs():
    """QuantLib's Thirty360(USA) is the SIA rule set (applied to every date pair)."""
    rng = np.random.default_rng(30360)
    base = np.datetime64("2019-01-01")
    # bias toward month ends and February so every rule is exercised
    ends = pd.date_range("2019-01-31", "2031-12-31", freq="ME").values.astype("datetime64[D]")
    d1 = np.where(rng.random(4000) < 0.5, rng.choice(ends, 4000),
                  base + rng.integers(0, 4500, 4000))
    d2 = np.where(rng.random(4000) < 0.5, rng.choice(ends, 4000),
                  base + rng.integers(0, 4500, 4000))
    lo, hi = np.minimum(d1, d2), np.maximum(d1, d2)
    dc = ql.Thirty360(ql.Thirty360.USA)
    want = [dc.dayCount(_qd(pd.Timestamp(a)), _qd(pd.Timestamp(b))) for a, b in
            zip(lo, hi, strict=True)]
    np.testing.assert_array_equal(days_30360(lo, hi), np.array(want, dtype=float))


def test_corporate_accrued_sia_february_rule_vs_quantlib():
    """End-of-month corporates (Aug 31 / Feb 28 coupons): accrued after a February coupon counts
    from day 30 (SIA), as QuantLib's Thirty360(USA) does; 2 days (0.050 per 100 on a 9%
    coupon) less than the plain bond basis."""
    dc = ql.Thirty360(ql.Thirty360.USA)
    for mat, settle, cpn in [("2031-08-31", "2027-03-15", 0.09), ("2030-02-28", "2026-03-10",
                              0.065), ("2032-08-31", "2028-03-01", 0.05),
                             ("2030-08-31", "2029-12-10", 0.07)]:
        b = make_bonds(mat, cpn, 2, "CORP")
        got = cashflows(b, settle).accrued_per100[0]
        m = _qd(pd.Timestamp(mat))
        sch = ql.Schedule(m - ql.Period(10, ql.Years), m, ql.Period(ql.Semiannual),
                          ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted,
                          ql.DateGeneration.Backward, True)
        bond = ql.FixedRateBond(0, 100.0, sch, [cpn], dc)
        assert got == pytest.approx(ql.BondFunctions.accruedAmount(
            bond, _qd(pd.Timestamp(settle))), abs=1e-12)
    # hand-checked: 9% Aug-31 bond settling 2027-03-15: 15 days from Feb 28 (-> 30)
    got = cashflows(make_bonds("2031-08-31", 0.09, 2, "CORP"), "2027-03-15").accrued_per100[0]
    assert got == pytest.approx(4.5 * 15 / 180, abs=1e-12)
    plain = 4.5 * 17 / 180
    assert plain - got == pytest.approx(0.05, abs=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="matured"):
        cashflows(make_bonds("2020-01-01", 0.03), "2021-01-01")
    with pytest.raises(ValueError, match="convention"):
        make_bonds("2030-01-01", 0.03, 2, "ACT/360")
    with pytest.raises(ValueError, match="decimal"):
        make_bonds("2030-01-01", 4.5)
    with pytest.raises(ValueError, match="schedule"):
        cashflows(make_bonds("2030-05-15", 0.03, 2, "UST", "2024-01-03", "2024-10-01"),
                  "2024-02-01")
    cf = cashflows(make_bonds("2030-05-15", 0.03), "2024-02-01")
    with pytest.raises(ValueError, match="no yield"):
        yield_from_price(cf, 1e-3)


@pytest.mark.parametrize("freq,qlfreq", [(1, "Annual"), (4, "Quarterly"), (12, "Monthly")])
def test_quantlib_other_frequencies(freq, qlfreq):
    qf = getattr(ql, qlfreq)
    settle, mat, conv, cpn, yld = _random_bonds(40, 100 + freq)
    cf = cashflows(make_bonds(mat.values, cpn, freq, conv), settle.values)
    r = risk_from_yield(cf, yld)
    for i in range(40):
        dc = (ql.ActualActual(ql.ActualActual.ISMA) if conv[i] == "UST"
              else ql.Thirty360(ql.Thirty360.BondBasis))
        m = _qd(mat[i])
        sch = ql.Schedule(m - ql.Period(32, ql.Years), m, ql.Period(qf), ql.NullCalendar(),
                          ql.Unadjusted, ql.Unadjusted, ql.DateGeneration.Backward, True)
        bond = ql.FixedRateBond(0, 100.0, sch, [float(cpn[i])], dc)
        yr = ql.InterestRate(float(yld[i]), dc, ql.Compounded, qf)
        s = _qd(settle[i])
        assert r.clean_price_per100[i] == pytest.approx(
            ql.BondFunctions.cleanPrice(bond, yr, s), abs=1e-8)
        assert r.modified_duration_years[i] == pytest.approx(
            ql.BondFunctions.duration(bond, yr, ql.Duration.Modified, s), rel=1e-9)
