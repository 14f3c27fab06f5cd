"""Zero curve bootstrap, constant-spread pricing and key-rate DV01s."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.errors import InputError
from data.loaders import TENOR_YEARS
from models.bonds import cashflows, make_bonds, risk_from_yield, yield_from_price
from models.curves import (
    DEFAULT_KEY_TENORS,
    ZeroCurve,
    curve_on,
    key_rate_weights,
    parse_key_tenors,
)


@pytest.fixture(scope="module", params=[None, "2005-06-15", "1995-03-01"])
def curve(request):
    # latest date; a date without a 30Y quote (2002-2006); a date without 20Y/1M quotes
    return curve_on(request.param)


def _random_portfolio(curve: ZeroCurve, n: int, seed: int):
    rng = np.random.default_rng(seed)
    s = np.datetime64(curve.settle.date())
    mat = s + rng.integers(92, int(365.25 * 30), n)
    conv = np.where(rng.random(n) < 0.5, "UST", "CORP")
    bonds = make_bonds(mat, np.round(rng.uniform(0.0, 0.08, n) * 800) / 800, 2, conv)
    cf = cashflows(bonds, s)
    y = curve.par_yield_dec.mean() + rng.uniform(-0.005, 0.03, n)
    return bonds, cf, risk_from_yield(cf, y)


def test_par_bonds_reprice_to_par(curve):
    for label, y in zip(curve.par_tenors, curve.par_yield_dec, strict=True):
        t = TENOR_YEARS[label]
        if t >= 2:  # semiannual par bonds on the bootstrap grid
            assert curve.par_yield(t) == pytest.approx(y, abs=1e-13), label
        else:  # bills: zero-coupon at their bond-equivalent yield
            df = curve.discount(t)
            exp = 1 / (1 + y * t) if t <= 0.5 else 1 / ((1 + y / 2) * (1 + y * (t - 0.5)))
            assert df == pytest.approx(exp, rel=1e-13), label
    # interpolated tenors are par too (par yields linear between quotes)
    assert curve.par_yield(4.0) == pytest.approx(np.interp(4.0, [3, 5], [
        curve.par_yield(3.0), curve.par_yield(5.0)]), abs=1e-13)


def test_real_par_bond_prices_near_par():
    c = curve_on("2024-03-28")
    for label in ("2Y", "5Y", "10Y", "30Y"):
        y = float(c.par_quotes[label])
        mat = c.settle + pd.DateOffset(years=int(label[:-1]))
        cf = cashflows(make_bonds(mat, y, 2, "UST"), c.settle)
        # real coupon dates are not exact half-years of ACT/365.25: a few cents at most
        assert c.price(cf)[0] == pytest.approx(100.0, abs=0.05), label


def test_key_rate_weights_partition_of_unity():
    keys = [2, 3, 5, 7, 10, 20, 30]
    t = np.linspace(0, 35, 701)
    w = key_rate_weights(keys, t)
    np.testing.assert_allclose(w.sum(axis=0), 1.0, atol=1e-15)
    assert (w[0, t <= 2] == 1).all() and (w[-1, t >= 30] == 1).all()
    assert w[4, np.searchsorted(t, 8.5)] == pytest.approx(0.5)
    assert (w >= 0).all()


@pytest.mark.parametrize("keys", [DEFAULT_KEY_TENORS, ("3M", "6M", "1Y", "2Y", "5Y", "10Y",
                                                       "30Y")])
def test_key_rates_sum_to_parallel(curve, keys):
    _, cf, risk = _random_portfolio(curve, 400, 1)
    spread = curve.fit_spread(cf, risk.full_price_per100)
    p0, par, krd = curve.dv01s(cf, spread, keys)
    np.testing.assert_allclose(p0, risk.full_price_per100, rtol=1e-12)
    assert krd.shape == (400, len(keys))
    np.testing.assert_allclose(krd.sum(axis=1), par, rtol=0.01)
    assert (par > 0).all()
    # one-sided (literal 1 bp fall) agrees with central to convexity order
    _, par1, krd1 = curve.dv01s(cf, spread, keys, one_sided=True)
    np.testing.assert_allclose(par1, par, rtol=2e-3)
    np.testing.assert_allclose(krd1.sum(axis=1), par1, rtol=0.01)


def test_bond_on_key_tenor_loads_on_that_tenor():
    c = curve_on("2025-06-30")
    for i, label in enumerate(DEFAULT_KEY_TENORS):
        y = float(c.par_quotes[label])
        mat = c.settle + pd.DateOffset(years=int(label[:-1]))
        cf = cashflows(make_bonds(mat, y, 2, "UST"), c.settle)
        _, par, krd = c.dv01s(cf, c.fit_spread(cf, c.price(cf)))
        share = krd[0] / par[0]
        assert share[i] > 0.97, (label, share)
        assert np.abs(np.delete(share, i)).max() < 0.03, (label, share)


def test_curve_dv01_close_to_yield_dv01_for_bullet():
    c = curve_on("2023-10-02")
    for years, cpn in [(2, 0.05), (5, 0.045), (10, 0.04), (30, 0.045)]:
        mat = c.settle + pd.DateOffset(years=years)
        cf = cashflows(make_bonds(mat, cpn, 2, "UST"), c.settle)
        full = c.price(cf, 0.001)
        y = yield_from_price(cf, full, clean=False)
        analytic = risk_from_yield(cf, y).dv01_per100[0]
        _, par, _ = c.dv01s(cf, 0.001)
        assert par[0] == pytest.approx(analytic, rel=0.03), years


def test_spread_fit_round_trip(curve):
    _, cf, risk = _random_portfolio(curve, 300, 2)
    s = curve.fit_spread(cf, risk.full_price_per100)
    np.testing.assert_allclose(curve.price(cf, s), risk.full_price_per100, rtol=1e-12)
    # richer price -> lower spread
    s2 = curve.fit_spread(cf, risk.full_price_per100 + 1.0)
    assert (s2 < s).all()


def test_shifted_curves():
    c = curve_on("2025-06-30")
    up = c.shifted(parallel_bp=10)
    for t in (2.0, 10.0, 30.0):
        assert up.par_yield(t) - c.par_yield(t) == pytest.approx(10e-4, abs=1e-12)
    tw = c.shifted(tenor_bp={"2Y": -10, "10Y": 10})
    assert tw.par_yield(2.0) - c.par_yield(2.0) == pytest.approx(-10e-4, abs=1e-12)
    assert tw.par_yield(10.0) - c.par_yield(10.0) == pytest.approx(10e-4, abs=1e-12)
    assert tw.par_yield(6.0) - c.par_yield(6.0) == pytest.approx(0.0, abs=1e-12)
    assert tw.par_yield(30.0) - c.par_yield(30.0) == pytest.approx(10e-4, abs=1e-12)
    # key-rate curves add up to the parallel shift of the inputs
    krc = c.key_rate_curves()
    total = sum(k.knot_yield_dec - c.knot_yield_dec for k in krc)
    np.testing.assert_allclose(total, 1e-4, atol=1e-15)


def test_forward_price_consistent_with_discounting():
    c = curve_on("2025-06-30")
    b = make_bonds(["2034-11-15", "2031-02-15"], [0.04125, 0.04], 2, "UST")
    delivery = pd.Timestamp("2025-12-31")
    cf_d = cashflows(b, delivery)
    fwd = c.forward_full_price(cf_d, delivery, [0.001, 0.0])
    for i, s in enumerate((0.001, 0.0)):
        d = cf_d.dates[i, : cf_d.count[i]]
        pv = (cf_d.amounts_per100[i, : cf_d.count[i]] * c.discount_dates(d, s)).sum()
        assert fwd[i] == pytest.approx(pv / c.discount_dates([delivery], s)[0], rel=1e-13)
    # with coupons before delivery the forward full price is below the spot full price + carry
    cf0 = cashflows(b, c.settle)
    assert (c.price(cf0) > 0).all() and (fwd > 0).all()


def test_from_par_validation_and_key_tenor_parsing():
    with pytest.raises(ValueError, match="decimals"):
        ZeroCurve.from_par({"2Y": 4.5, "10Y": 4.4}, "2025-01-02")
    assert parse_key_tenors("10y, 2Y,5Y") == ("2Y", "5Y", "10Y")
    assert parse_key_tenors(None) == DEFAULT_KEY_TENORS
    with pytest.raises(InputError):
        parse_key_tenors("2Y,15Y")
    with pytest.raises(InputError):
        parse_key_tenors("2Y,2Y")
    with pytest.raises(ValueError, match="settlement"):
        c = curve_on("2025-06-30")
        c.price(cashflows(make_bonds("2030-06-15", 0.04), "2025-06-01"))


def test_curve_pricing_and_key_rates_against_quantlib():
    """Same zero curves handed to QuantLib (daily linear zero curve, ACT/365.25, continuous,
    ZeroSpreadedTermStructure): full prices and a key-rate DV01 agree to round-off."""
    ql = pytest.importorskip("QuantLib")
    c = curve_on("2025-06-30")
    _, cf, risk = _random_portfolio(c, 40, 9)
    spread = c.fit_spread(cf, risk.full_price_per100)
    p0, _, krd = c.dv01s(cf, spread)
    sd = ql.Date(c.settle.day, c.settle.month, c.settle.year)
    saved = ql.Settings.instance().evaluationDate
    ql.Settings.instance().evaluationDate = sd
    try:
        _check_against_quantlib(ql, c, cf, spread, p0, krd, sd)
    finally:
        ql.Settings.instance().evaluationDate = saved


def _check_against_quantlib(ql, c, cf, spread, p0, krd, sd):
    days = np.arange(0, int(31 * 365.25))
    a36525 = ql.Actual36525()
    dn = c.key_rate_curves(DEFAULT_KEY_TENORS, bump_bp=-1.0)[4]  # 10Y key, 1 bp down
    up = c.key_rate_curves(DEFAULT_KEY_TENORS, bump_bp=1.0)[4]

    def handle(curve):
        zr = np.interp(days / 365.25, curve.knots, curve.zero_cc)
        return ql.YieldTermStructureHandle(ql.ZeroCurve(
            [sd + int(d) for d in days], [float(x) for x in zr], a36525, ql.NullCalendar(),
            ql.Linear(), ql.Continuous))

    quote = ql.SimpleQuote(0.0)
    engines = [ql.DiscountingBondEngine(ql.YieldTermStructureHandle(ql.ZeroSpreadedTermStructure(
        handle(x), ql.QuoteHandle(quote), ql.Continuous, ql.NoFrequency, a36525)))
        for x in (c, dn, up)]
    for i in range(len(cf)):
        n = cf.count[i]
        dates = [ql.Date(int(d.astype(object).day), int(d.astype(object).month),
                         int(d.astype(object).year)) for d in cf.dates[i, :n]]
        leg = [ql.SimpleCashFlow(float(a), d) for a, d in zip(cf.amounts_per100[i, :n], dates,
                                                               strict=True)]
        bond = ql.Bond(0, ql.NullCalendar(), 100.0, dates[-1], sd, leg)
        quote.setValue(float(spread[i]))
        npv = []
        for eng in engines:
            bond.setPricingEngine(eng)
            npv.append(bond.NPV())
        assert npv[0] == pytest.approx(p0[i], abs=1e-10)
        assert (npv[1] - npv[2]) / 2 == pytest.approx(krd[i, 4], abs=1e-10)
