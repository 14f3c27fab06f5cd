"""Swap futures: the classic CBOT formula (SPEC §10 values), analytic DV01 vs finite
difference, SOFR swap future against a hand-built flat curve."""

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


def test_sofr_swap_future_flat_curve():
    """Flat 4% annual par curve: discount factors 1/1.04^n, NPV of a 4% receiver = 0,
    DV01 = annuity x 1bp x 100,000 approximately (here exact for a parallel par bump on a
    flat curve within 1e-3)."""
    flat = pd.Series({k: 0.04 for k in ["1Y", "2Y", "5Y", "10Y", "30Y"]})
    r = sofr_swap_future_risk("SSF10", fixed_rate_pct=4.0, user_curve=flat)
    assert r.price == pytest.approx(100.0, abs=1e-10)
    annuity = sum(1.04 ** -n for n in range(1, 11))
    assert r.dv01_usd_per_contract == pytest.approx(annuity * 1e-4 * 100_000, rel=2e-3)
    assert sum(r.key_rate_dv01.values()) == pytest.approx(r.dv01_usd_per_contract, rel=1e-2)
    assert r.flags == []
    # receiving 5% when the market is 4% is worth more than par
    assert sofr_swap_future_risk("SSF10", 5.0, user_curve=flat).price > 100.0


def test_sofr_swap_future_proxy_flagged():
    r = sofr_swap_future_risk("SSF5", asof="2025-07-11")
    assert any(PROXY_FLAG in f for f in r.flags)
    assert 30 < r.dv01_usd_per_contract < 60 and np.isfinite(r.price)
    with pytest.raises(InputError):
        sofr_swap_future_risk("NSF10")
    with pytest.raises(InputError):
        sofr_swap_future_risk("SSF10", user_curve=pd.Series({"10Y": 4.0}))
