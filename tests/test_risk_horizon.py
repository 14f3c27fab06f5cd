"""The holding-period risk model: covariance from overlapping h-day changes, the spread factor
at the horizon the hedge is held, the forecast a backtest run can realize, and the calibrated
estimator as the default of every hedge."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.risk import estimate_cov_horizon, overlapping_sums


def ar1_increments(n: int, phi: float, seed: int = 0, k: int = 2) -> np.ndarray:
    """Daily changes following an AR(1) with unit innovation variance (``k`` independent
    columns): a smoothed series, as an index spread or stale marks produce."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(n + 200, k))
    x = np.zeros_like(e)
    for t in range(1, len(e)):
        x[t] = phi * x[t - 1] + e[t]
    return x[200:]


def ar1_horizon_variance_per_day(phi: float, h: int) -> float:
    """Var(sum of h consecutive AR(1) changes) / h, unit innovations (closed form)."""
    g0 = 1.0 / (1.0 - phi * phi)
    return g0 * (1.0 + 2.0 * sum((1.0 - j / h) * phi ** j for j in range(1, h)))


def test_overlapping_sums_match_brute_force():
    x = np.arange(30, dtype=float).reshape(10, 3) ** 1.5
    got = overlapping_sums(x, 4)
    want = np.array([x[i:i + 4].sum(axis=0) for i in range(7)])
    np.testing.assert_allclose(got, want)
    np.testing.assert_array_equal(overlapping_sums(x, 1), x)


@pytest.mark.parametrize("phi", [0.5, -0.4])
def test_horizon_variance_of_a_serially_correlated_series(phi):
    """h = 21 recovers the AR(1) closed form (lag-1 autocorrelation 0.5: the 21-day variance
    per day is ~2.8x the daily one; -0.4: ~0.45x); h = 1 gives the daily variance."""
    x = ar1_increments(60_000, phi)
    c21, _ = estimate_cov_horizon(x, "sample", None, 21)
    c1, _ = estimate_cov_horizon(x, "sample", None, 1)
    assert c21[0, 0] == pytest.approx(ar1_horizon_variance_per_day(phi, 21), rel=0.06)
    assert c1[0, 0] == pytest.approx(1.0 / (1.0 - phi * phi), rel=0.03)
    assert abs(c21[0, 1]) < 0.1 * c21[0, 0]   # independent columns stay uncorrelated


def test_horizon_estimate_of_a_random_walk_is_the_daily_one():
    x = ar1_increments(40_000, 0.0, seed=3)
    c21, _ = estimate_cov_horizon(x, "ewma", 5_000.0, 21)
    assert c21[0, 0] == pytest.approx(1.0, rel=0.08)


def test_build_factor_model_with_a_horizon_annualizes_h_day_changes():
    """The key-rate block at h = 21 = sample covariance of overlapping 21-day changes of the
    par yields / 21 x 252, recomputed here from the bundled curve."""
    from models.risk import build_factor_model, key_rate_changes_bp

    m = build_factor_model("2024-12-31", key_tenors=("2Y", "10Y"), window="3y",
                           method="sample", hqm_sectors=(), horizon_days=21)
    d = key_rate_changes_bp(("2Y", "10Y"), pd.Timestamp("2024-12-31") - pd.DateOffset(years=3),
                            "2024-12-31")
    s = d.rolling(21).sum().dropna()
    np.testing.assert_allclose(m.cov_bp2_annual.values, s.cov().values / 21 * 252, rtol=1e-9)
    assert m.horizon_days == 21 and any("21-day" in n for n in m.notes)


def test_spread_estimate_at_the_holding_horizon():
    """A smoothed spread (AR(1) daily changes, phi 0.5) next to random-walk key rates: the
    21-day estimate is the closed-form holding-period vol; the daily one understates it."""
    from benchmarks.estimate_risk_params import KEYS, spread_estimate

    n = 5 * 252 + 30
    idx = pd.bdate_range("2015-01-01", periods=n)
    rng = np.random.default_rng(7)
    keys = 3.0 + np.cumsum(rng.normal(0, 0.05, size=(n, len(KEYS))), axis=0)
    oas = 1.5 + np.cumsum(ar1_increments(n, 0.5, seed=8, k=1)[:, 0]) / 100.0
    lv = pd.DataFrame(keys, index=idx, columns=KEYS).assign(oas=oas)
    asof = idx[-1]
    h21 = spread_estimate(lv, asof, 21, None, 5)
    d1 = spread_estimate(lv, asof, 1, None, 5)
    want = math.sqrt(ar1_horizon_variance_per_day(0.5, 21) * 252)
    assert h21["vol_bp_annual"] == pytest.approx(want, rel=0.2)
    assert d1["vol_bp_annual"] == pytest.approx(math.sqrt(252 / 0.75), rel=0.06)
    assert h21["vol_bp_annual"] > 1.4 * d1["vol_bp_annual"]
    assert set(h21["corr"]) == set(KEYS) and all(abs(v) < 0.3 for v in h21["corr"].values())


def test_forecast_matched_to_what_the_run_can_realize():
    """Modelled legs: no basis in the forecast; market-marked legs: each contract's basis
    variance x its marked share (hand-computed)."""
    from optimizer.workflows.backtest.metrics import forecast_te

    p = {"te_model": {"integer": 5.0}, "te_nobasis": {"integer": 3.0},
         "contracts": {"integer": {"ZNH5": -2.0, "UBH5": 1.0}},
         "basis_var": {"ZNH5": 1.0, "UBH5": 4.0}, "marked_share": {"ZNH5": 0.5, "UBH5": 0.0}}
    assert forecast_te(p, "integer", "model") == 3.0
    assert forecast_te(p, "integer", "market") == pytest.approx(math.sqrt(9.0 + 4 * 1.0 * 0.5))
    assert forecast_te({"te_model": {"integer": 5.0}}, "integer", "market") == 5.0


def test_default_estimator_is_the_calibrated_one():
    """Every hedge's default factor model is the estimator in risk_model.csv: read the file
    here and rebuild the key-rate block explicitly."""
    from models.risk import build_factor_model
    from models.risk_params import RISK_MODEL_FILE, default_risk_spec

    row = pd.read_csv(RISK_MODEL_FILE).iloc[0]
    spec = default_risk_spec()
    assert spec.method == row["method"] and spec.horizon_days == int(row["horizon_days"])
    m = build_factor_model("2019-12-31", window="3y")
    assert (m.method, m.horizon_days) == (spec.method, spec.horizon_days)
    hl = None if pd.isna(row["halflife"]) else float(row["halflife"])
    explicit = build_factor_model("2019-12-31", window="3y", method=str(row["method"]),
                                  halflife=hl, horizon_days=int(row["horizon_days"]))
    pd.testing.assert_frame_equal(m.cov_bp2_annual, explicit.cov_bp2_annual)


def test_default_hedge_te_comes_from_the_calibrated_model():
    """The default hedge's factor covariance is the calibrated choice, recomputed here from the
    data files directly: the key-rate block an EWMA (half-life from risk_model.csv) of the bundled
    par-yield changes over 3 years x 252; the corporate spread vol the shipped month-end row; each
    Treasury futures contract's basis variance = settlement basis^2 + model residual^2 from
    their CSVs. The printed TE is e' S e + residual variance of the integer position."""
    from data.loaders import par_curve_history_pct
    from models.risk_params import (
        BASIS_FILE,
        CORPORATE_SPREAD_FILE,
        FUTURES_RESIDUAL_FILE,
        RISK_MODEL_FILE,
    )
    from optimizer.assemble import build_context
    from optimizer.core import problem as P
    from optimizer.mandate import load_mandate

    spec = pd.read_csv(RISK_MODEL_FILE).iloc[0]
    asof = pd.Timestamp("2025-07-11")
    ctx = build_context(None, load_mandate(None), asof=asof)
    f, cov = list(ctx.factors), np.asarray(ctx.cov_bp2, float)
    keys = list(ctx.key_tenors)
    lv = par_curve_history_pct()[keys].loc[asof - pd.DateOffset(years=3):asof].dropna()
    d = (lv.diff() * 100).dropna().to_numpy()
    w = 0.5 ** (np.arange(len(d) - 1, -1, -1) / float(spec["halflife"]))
    w /= w.sum()
    xc = d - w @ d
    want = (xc * w[:, None]).T @ xc / (1 - np.sum(w ** 2)) * 252
    ki = [f.index(t) for t in keys]
    np.testing.assert_allclose(cov[np.ix_(ki, ki)], want, rtol=1e-6)
    sp = pd.read_csv(CORPORATE_SPREAD_FILE, parse_dates=["valid_from"])
    row = sp[(sp["kind"] == "vol_bp_annual") & (sp["valid_from"] <= asof)].iloc[-1]
    i = f.index("Corporate_spread")
    assert np.sqrt(cov[i, i]) == pytest.approx(row["value"], rel=1e-6)
    # the spread's covariance with each key rate: through the driver rate when the file names
    # one (corr(S, y_j) = corr(S, y_d) x corr(y_d, y_j), y_d's block recomputed above), else
    # the file's correlation per key rate
    on = sp[sp["valid_from"] == row["valid_from"]]
    drv = on[on["kind"] == "rate_driver"]
    sd_k = np.sqrt(np.diag(want))
    for j, t in enumerate(keys):
        if len(drv):
            d = keys.index(drv["other"].iloc[0])
            rho = drv["value"].iloc[0] * want[d, j] / (sd_k[d] * sd_k[j])
        else:
            rho = on[(on["kind"] == "corr") & (on["other"] == t)]["value"].iloc[0]
        assert cov[i, f.index(t)] == pytest.approx(rho * row["value"] * sd_k[j], rel=1e-5,
                                                   abs=1e-6)
    basis = pd.read_csv(BASIS_FILE, parse_dates=["valid_from"])
    resid = pd.read_csv(FUTURES_RESIDUAL_FILE, parse_dates=["valid_from"])
    for ir in ctx.instruments:
        if ir.kind != "treasury_future":
            continue
        root = {"TN": "ZN", "UB": "ZB", "Z3N": "ZF"}.get(ir.root, ir.root)
        b = basis[(basis["root"] == root) & (basis["valid_from"] <= asof)].iloc[-1]
        r = resid[(resid["root"] == ir.root) & (resid["valid_from"] <= asof)].iloc[-1]
        j = f.index(f"basis:{ir.contract}")
        assert cov[j, j] == pytest.approx(b["vol_bp_annual"] ** 2 + r["vol_bp_annual"] ** 2,
                                          rel=1e-3)
    res = P.solve(ctx.inputs, ctx.problem_mandate)
    data, _ = P.build_data(ctx.inputs, ctx.problem_mandate)
    h = np.array([res.contracts.get(n, 0.0) for n in data.instruments])
    e = data.x - data.t + data.B @ h
    assert res.te_after_usd == pytest.approx(np.sqrt(e @ cov @ e + data.resid_var), rel=1e-6)


def test_spread_rate_link_through_a_driver_rate():
    """corr(S, y_i) = corr(S, y_d) x corr(y_d, y_i), hand-computed on a 3-rate block; without
    a driver (or one outside the block) the per-rate correlations as given."""
    from models.risk import spread_rate_link

    kc = np.array([[4.0, 3.0, 1.0], [3.0, 9.0, 4.5], [1.0, 4.5, 16.0]])
    corr = {"2Y": -0.1, "7Y": -0.5, "30Y": -0.6}
    got = spread_rate_link(corr, kc, ["2Y", "7Y", "30Y"], "7Y")
    np.testing.assert_allclose(got, [-0.5 * 3.0 / 6.0, -0.5, -0.5 * 4.5 / 12.0])
    np.testing.assert_allclose(spread_rate_link(corr, kc, ["2Y", "7Y", "30Y"], None),
                               [-0.1, -0.5, -0.6])
    np.testing.assert_allclose(spread_rate_link(corr, kc, ["2Y", "7Y", "30Y"], "10Y"),
                               [-0.1, -0.5, -0.6])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), rho=st.floats(-1.0, 1.0), d=st.integers(0, 4))
def test_spread_rate_link_is_psd_where_per_rate_correlations_are_not(seed, rho, d):
    """Appending the spread with the driver link keeps any key-rate covariance PSD (the spread is
    rho x the driver + independent noise); the per-rate correlations need not: a curve position
    then shows a spread 'hedge' the data do not carry."""
    from models.risk import spread_rate_link

    rng = np.random.default_rng(seed)
    a = rng.normal(size=(5, 5)) * rng.uniform(0.2, 3.0, size=5)
    kc = a @ a.T + 1e-9 * np.eye(5)
    names = ["2Y", "5Y", "7Y", "10Y", "30Y"]
    r = spread_rate_link({n: rho for n in names}, kc, names, names[d])
    sd = np.sqrt(np.diag(kc))
    full = np.block([[kc, (r * sd * 2.0)[:, None]], [(r * sd * 2.0)[None, :], np.array([[4.0]])]])
    assert np.linalg.eigvalsh(full).min() > -1e-8 * np.abs(full).max()
    # the same check fails for per-rate correlations on a block with an anti-correlated pair
    bad = np.array([[1.0, -0.9], [-0.9, 1.0]])
    rb = np.array([-0.9, -0.9])
    fb = np.block([[bad, rb[:, None]], [rb[None, :], np.array([[1.0]])]])
    assert np.linalg.eigvalsh(fb).min() < 0
