"""Swap futures: the classic CBOT formula (SPEC §10 values), analytic DV01 vs finite
difference; the CME MAC SOFR swap future against a hand-checked flat curve and an independent
QuantLib OIS pricer."""

import numpy as np
import pandas as pd
import pytest

from data.errors import InputError
from models.swap_futures import (
    PROXY_FLAG,
    classic_dv01,
    classic_price,
    classic_risk,
    sofr_swap_future_risk,
)


def test_classic_prices_spec_examples():
    assert classic_price(6.0) == pytest.approx(100_000.00, abs=1e-9)
    assert round(classic_price(5.25, 10.0), 2) == 105_777.50
    # independent: a 6% semi-annual 10y bond at yield 5.25% (sum of discounted flows)
    y = 0.0525 / 2
    bond = sum(3.0 / (1 + y) ** k for k in range(1, 21)) + 100 / (1 + y) ** 20
    assert classic_price(5.25) == pytest.approx(bond * 1000, rel=1e-13)


@pytest.mark.parametrize("r,T", [(5.63, 10), (4.0, 5), (6.5, 10), (3.0, 2)])
def test_classic_dv01_analytic_vs_finite_difference(r, T):
    fd = (classic_price(r - 0.005, T) - classic_price(r + 0.005, T))
    assert classic_dv01(r, T) == pytest.approx(fd, rel=1e-6)


def test_classic_dv01_about_77():
    assert 76.5 < classic_dv01(5.63, 10) < 77.5
    risk = classic_risk(5.63, 10)
    assert risk.key_rate_dv01 == {"10Y": risk.dv01_usd_per_contract}
    with pytest.raises(InputError):
        classic_price(0.0)


def test_sofr_swap_future_flat_curve_hand_checked():
    """Flat 4% annual ACT/360 par curve: the 10y swap effective 2025-09-17 (third Wednesday of
    September, SSF10U5) receiving 4% is at par (price 100 within 0.001), and its DV01 is the forward annuity
    (ACT/360 fractions x discount factors / D(eff)) x 1 bp x $100,000 to first order."""
    flat = pd.Series({k: 0.04 for k in ["1Y", "2Y", "5Y", "10Y", "30Y"]})
    r = sofr_swap_future_risk("SSF10U5", fixed_rate_pct=4.0, asof="2025-07-11", user_curve=flat)
    assert r.effective_date == pd.Timestamp("2025-09-17")
    assert r.maturity_date == pd.Timestamp("2035-09-17")
    # at par up to the log-linear interpolation between the spot-anchored annual pillars
    assert r.price == pytest.approx(100.0, abs=1e-3)
    # on a flat annual ACT/360 par curve each period's discount is 1/(1 + 4% x a_k)
    days = np.diff(pd.DatetimeIndex(["2025-09-17", "2026-09-17", "2027-09-17", "2028-09-18",
                                     "2029-09-17", "2030-09-17", "2031-09-17", "2032-09-17",
                                     "2033-09-19", "2034-09-18", "2035-09-17"]).values
                   ).astype("timedelta64[D]").astype(float)
    a = days / 360
    annuity = float(np.sum(a * np.cumprod(1 / (1 + 0.04 * a))))
    assert r.dv01_usd_per_contract == pytest.approx(annuity * 1e-4 * 100_000, rel=2e-3)
    assert sum(r.key_rate_dv01.values()) == pytest.approx(r.dv01_usd_per_contract, rel=1e-3)
    assert r.flags == []
    # receiving 5% when the market is 4% is worth more than par
    assert sofr_swap_future_risk("SSF10U5", 5.0, asof="2025-07-11", user_curve=flat).price > 100


ql = pytest.importorskip("QuantLib")
CURVE = pd.Series({"1Y": 0.0405, "2Y": 0.0372, "3Y": 0.0360, "5Y": 0.0358, "7Y": 0.0367,
                   "10Y": 0.0384, "20Y": 0.0410, "30Y": 0.0405})


def _ql_swap_future_price(code: str, fixed_dec: float, bump_bp: float = 0.0) -> float:
    """Independent pricer: a QuantLib SOFR OIS curve (OISRateHelper, 2-day spot, annual
    ACT/360, par rates at whole years interpolated linearly in tenor) and a QuantLib
    OvernightIndexedSwap effective the third Wednesday of the contract month (receiver);
    price = 100 + NPV / D(effective) per 100."""
    asof = ql.Date(11, 7, 2025)
    ql.Settings.instance().evaluationDate = asof
    h = ql.RelinkableYieldTermStructureHandle()
    sofr = ql.Sofr(h)
    ty = np.array([float(k[:-1]) for k in CURVE.index])
    helpers = [ql.OISRateHelper(2, ql.Period(n, ql.Years), ql.QuoteHandle(ql.SimpleQuote(
        float(np.interp(n, ty, CURVE.to_numpy())) + bump_bp * 1e-4)), sofr) for n in range(1, 33)]
    gov = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    curve = ql.PiecewiseLogLinearDiscount(0, gov, helpers, ql.Actual365Fixed())
    curve.enableExtrapolation()
    h.linkTo(curve)
    month = "HMUZ".index(code[-2]) * 3 + 3
    eff = ql.Date.nthWeekday(3, ql.Wednesday, month, 2025)
    sch = ql.Schedule(eff, eff + ql.Period(int(code[3:-2]), ql.Years), ql.Period(ql.Annual), gov,
                      ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward,
                      False)
    swap = ql.OvernightIndexedSwap(ql.Swap.Receiver, 100.0, sch, fixed_dec, ql.Actual360(), sofr)
    swap.setPricingEngine(ql.DiscountingSwapEngine(h))
    return 100.0 + swap.NPV() / curve.discount(eff)


@pytest.mark.parametrize("code", ["SSF2U5", "SSF5U5", "SSF10U5", "SSF30U5", "SSF10Z5"])
def test_sofr_swap_future_vs_quantlib_ois(code):
    """CME MAC SOFR swap-future terms (fixed ACT/360 annual, effective the IMM date,
    price = 100 + NPV) against QuantLib: price to 1e-6, DV01 to 0.3%."""
    r = sofr_swap_future_risk(code, asof="2025-07-11", user_curve=CURVE)
    k = r.fixed_rate_pct / 100
    assert r.price == pytest.approx(_ql_swap_future_price(code, k), abs=1e-6)
    dv01 = (_ql_swap_future_price(code, k, -0.5) - _ql_swap_future_price(code, k, 0.5)) * 1000
    assert r.dv01_usd_per_contract == pytest.approx(dv01, rel=0.003)
    # the old simplification (year fraction 1.0, spot start) was about 1% low: make sure the
    # model is not it (a 10y spot annuity with a = 1 at these rates)
    if code == "SSF10U5":
        spot_annuity = sum((1 + 0.0384) ** -n for n in range(1, 11)) * 1e-4 * 100_000
        assert r.dv01_usd_per_contract / spot_annuity > 1.008


def test_sofr_swap_future_proxy_flagged():
    r = sofr_swap_future_risk("SSF5", asof="2025-07-11")
    assert any(PROXY_FLAG in f for f in r.flags)
    assert 30 < r.dv01_usd_per_contract < 60 and np.isfinite(r.price)
    assert r.contract == "SSF5U5" and r.effective_date == pd.Timestamp("2025-09-17")
    with pytest.raises(InputError):
        sofr_swap_future_risk("NSF10")
    with pytest.raises(InputError):
        sofr_swap_future_risk("SSF10", user_curve=pd.Series({"10Y": 4.0}))
