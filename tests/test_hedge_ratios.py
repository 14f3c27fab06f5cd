"""SPEC §10 worked examples, recomputed by hand from the SPEC's inputs."""

import math

import pytest

import models.hedge_ratios as hr


def test_duration_reduction_is_303_not_3030():
    d0 = float(hr.dv01_from_duration(100e6, 7.5))
    assert d0 == pytest.approx(75_000)
    n = hr.contracts_to_target(d0, float(hr.dv01_from_duration(100e6, 5.0)), 82.50)
    assert hr.round_contracts(n) == -303


def test_ctd_adjusted_count():
    fdv01 = hr.futures_dv01_from_ctd(87.50, 1.2156)
    assert round(fdv01, 2) == 71.98
    assert hr.round_contracts(hr.contracts_to_target(75_000, 0, fdv01)) == -1042


def test_duration_based_and_effective_duration():
    n = hr.duration_based_contracts(25e6, 7.5, 96_250, 10.40)
    assert round(n, 1) == 187.3
    assert hr.effective_duration(100e6, 7.5, -80e6, 7.8) == pytest.approx(1.26)


def test_five_bond_beta_count():
    mv = 1e6 * (20 * .985 + 30 * 1.012 + 25 * .968 + 15 * 1.025 + 10 * .95)
    dv01 = 1e6 * 1e-4 * (20 * .985 * 4.5 + 30 * 1.012 * 6.2 + 25 * .968 * 8.1 + 15 * 1.025 * 8.5
                         + 10 * .95 * 18.2)
    n = hr.contracts_to_target(dv01, 5.0 * mv * 1e-4, 83.0)
    assert round(n, 1) == -338.3
    assert hr.round_contracts(hr.contracts_to_target(dv01, 5.0 * mv * 1e-4, 83.0, beta=0.95)) == -321


def test_sector_scenario_split_hedge():
    tsy, corp = 172_096, 235_138
    n_t = hr.round_contracts(hr.contracts_to_target(tsy, 0, 72.50))
    n_s = hr.round_contracts(hr.contracts_to_target(corp, 0, 77.00))
    assert (n_t, n_s) == (-2374, -3054)
    port = hr.linear_pnl_usd([tsy, corp], [20, 60])
    hedge = hr.linear_pnl_usd([n_t * 72.50, n_s * 77.00], [20, 60])
    assert port == pytest.approx(-17_550_200)
    assert hedge == pytest.approx(17_551_780)


def test_te_budget_and_rounding():
    assert round(hr.combine_te_budget([10, 3, 15, 5]), 1) == 18.9
    assert math.isclose(hr.combine_te_budget([3, 4]), 5.0)
    assert hr.round_contracts(-2.5) == -3 and hr.round_contracts(2.5) == 3 and hr.round_contracts(-0.4) == 0
