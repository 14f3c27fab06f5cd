"""Sector betas: statsmodels OLS with HAC errors, recovery on synthetic data, flags and fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import models.betas as betas
from data.errors import InputError
from data.loaders import hqm_par_monthly_pct, par_curve_history_pct
from models.betas import (
    aligned_changes,
    beta_adjusted_dv01,
    nearest_key_tenor,
    newey_west_maxlags,
    regress_changes,
    resid_var_usd2,
    rolling_betas,
    sector_betas,
)
from models.risk import monthly_average_pct, monthly_changes_bp

IDX = pd.bdate_range("2010-01-01", periods=500)
NOMINAL_2SE = 0.9545  # P(|Z| <= 2)


def _binomial_band(p, n, k=3.0):
    sd = math.sqrt(p * (1 - p) / n)
    return p - k * sd, p + k * sd


def test_known_betas_recovered_within_two_se():
    """400 seeds, 500 obs, beta 0.8: |b - 0.8| <= 2 SE in ~95.45% of seeds (binomial band)."""
    n_seeds, hits = 400, 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        x = rng.normal(0, 6, len(IDX))
        y = 0.8 * x + rng.normal(0, 3, len(IDX))
        b = regress_changes(pd.Series(y, IDX), pd.Series(x, IDX), sector="S", driver="D",
                            frequency="daily", source="synthetic")
        hits += abs(b.beta - 0.8) <= 2 * b.std_err
    lo, _ = _binomial_band(NOMINAL_2SE, n_seeds)
    assert hits / n_seeds >= lo, hits / n_seeds


def test_zero_beta_random_walks_reject_at_nominal_rate():
    """Independent random walks: regressing changes rejects beta = 0 at |t| > 1.96 ~5% of seeds."""
    n_seeds, rej = 400, 0
    for seed in range(n_seeds):
        rng = np.random.default_rng(10_000 + seed)
        xl = 3 + np.cumsum(rng.normal(0, 0.06, len(IDX)))
        yl = 4 + np.cumsum(rng.normal(0, 0.03, len(IDX)))
        ch, freq, gaps = aligned_changes(pd.Series(yl, IDX, name="y"), pd.Series(xl, IDX, name="x"))
        assert freq == "daily" and not gaps
        b = regress_changes(ch["y"], ch["x"], sector="S", driver="D", frequency=freq, source="s")
        rej += abs(b.t) > 1.96
    lo, hi = _binomial_band(0.05, n_seeds)
    assert lo <= rej / n_seeds <= hi, rej / n_seeds


def test_equals_direct_statsmodels_call_on_user_history():
    ust = par_curve_history_pct()["10Y"].loc["2015-01-01":"2019-12-31"]
    rng = np.random.default_rng(1)
    corp = ust + 1.0 + 0.001 * np.arange(len(ust)) / 100 + np.cumsum(rng.normal(0, 0.02, len(ust)))
    corp = corp.drop(corp.index[900:910])  # a gap of 10 business days (in the window)
    corp.name = "Corporate"
    res = sector_betas("Corporate", 9.0, asof="2019-12-31", window="3y", sector_history=corp)
    b = res[0]
    assert b.driver == "UST_10Y" and b.frequency == "daily"
    # independent alignment
    start = pd.Timestamp("2016-12-31")
    y = corp[(corp.index >= start) & (corp.index <= "2019-12-31")]
    x = ust[(ust.index >= start)]
    common = y.index.intersection(x.index)
    lv = pd.DataFrame({"y": y[common], "x": x[common]})
    ch = lv.diff() * 100
    ch = ch[lv.index.to_series().diff().dt.days <= 7].dropna()
    L = math.floor(4 * (len(ch) / 100) ** (2 / 9))
    direct = sm.OLS(ch["y"], sm.add_constant(ch["x"])).fit(cov_type="HAC", cov_kwds={"maxlags": L})
    assert b.nobs == direct.nobs and b.maxlags == L
    assert b.beta_ols == pytest.approx(direct.params["x"], abs=1e-12)
    # the hedge's beta: the normal-prior posterior mean toward 1 (hand formula)
    w = betas.BETA_PRIOR_SD ** 2 / (betas.BETA_PRIOR_SD ** 2 + direct.bse["x"] ** 2)
    assert b.shrink_weight == pytest.approx(w)
    assert b.beta == pytest.approx(w * direct.params["x"] + (1 - w), abs=1e-12)
    assert b.std_err == pytest.approx(direct.bse["x"], abs=1e-12)
    assert b.t == pytest.approx(direct.tvalues["x"], abs=1e-9)
    assert b.r_squared == pytest.approx(direct.rsquared, abs=1e-12)
    assert b.resid_vol_bp == pytest.approx(math.sqrt(direct.scale))
    assert b.resid_vol_bp_annual == pytest.approx(math.sqrt(direct.scale * 252))
    assert b.start == ch.index[0] and b.end == ch.index[-1]


def test_hqm_path_equals_direct_statsmodels_call():
    """Before the first shipped daily estimate (1999-12-31) a corporate sector without history
    falls back to HQM monthly averages, with a horizon-mismatch notice."""
    b = sector_betas("Corporate", 9.0, asof="1999-06-30", window="9y")[0]
    assert b.frequency == "monthly" and "HQM" in b.source
    assert [n.code for n in b.notices] == ["beta_horizon_mismatch"]
    start = pd.Timestamp("1990-06-30")
    d = par_curve_history_pct()[["10Y"]].loc[start:"1999-06-30"]
    m = monthly_average_pct(d)
    m = m[(m.index >= start) & (m.index <= "1999-06-01")]
    m = m.join(hqm_par_monthly_pct()[10.0].rename("y"), how="inner")
    ch = monthly_changes_bp(m[["y", "10Y"]])
    L = newey_west_maxlags(len(ch))
    direct = sm.OLS(ch["y"], sm.add_constant(ch["10Y"])).fit(cov_type="HAC",
                                                            cov_kwds={"maxlags": L})
    assert b.nobs == len(ch)
    assert b.beta_ols == pytest.approx(direct.params["10Y"], abs=1e-12)
    assert b.std_err == pytest.approx(direct.bse["10Y"], abs=1e-12)
    assert b.r_squared == pytest.approx(direct.rsquared, abs=1e-12)
    # monthly averages: x12 and x1.5 (Working) for the annualized residual vol
    assert b.resid_vol_bp_annual == pytest.approx(math.sqrt(direct.scale * 12 * 1.5))


def test_hqm_no_look_ahead():
    b = sector_betas("Corporate", 9.0, asof="1999-06-29", window="9y")[0]
    assert b.end == pd.Timestamp("1999-05-01")


def test_corporate_without_history_uses_the_shipped_daily_beta():
    """No corporate history: the shipped daily BBB beta estimated up to the latest year end on or
    before the as-of date (never a later one), shrunk toward 1, said in a notice."""
    b = sector_betas("Corporate", 6.0, asof="2015-06-29")[0]
    assert b.frequency == "daily" and b.end <= pd.Timestamp("2015-06-29")
    assert b.end == pd.Timestamp("2014-12-31")
    assert [n.code for n in b.notices] == ["beta_shipped_estimate"]
    assert 1.0 > b.beta > b.beta_ols      # shrunk toward 1
    assert b.to_dict()["notices"][0]["severity"] == "info"


def test_treasury_is_beta_one_by_definition():
    b = sector_betas("Treasury", 6.0, asof="2025-07-11")
    assert len(b) == 1
    assert b[0].beta == 1.0 and b[0].source == "definition" and b[0].std_err == 0.0
    assert b[0].driver == "UST_7Y"      # a 7-year par bond has a duration of ~6 at ~4%


def test_sector_without_driver_falls_back_with_warning():
    with pytest.warns(RuntimeWarning, match="beta set to 1"):
        b = sector_betas("Municipal", 12.0)
    assert b[0].beta == 1.0 and b[0].source == "fallback" and b[0].warnings
    assert b[0].notices[0].code == "beta_fallback" and b[0].notices[0].subject == "Municipal"
    assert math.isnan(b[0].std_err) and b[0].nobs == 0


def test_hqm_too_short_falls_back_with_flag():
    with pytest.warns(RuntimeWarning, match="need >= 24"):
        b = sector_betas("Corporate", 9.0, asof="1985-06-30", window="3y")
    assert b[0].source == "fallback"


def test_too_little_user_history_is_an_error():
    ust = par_curve_history_pct()["10Y"].loc["2019-11-01":"2019-12-31"]
    with pytest.raises(InputError, match="need >= 24") as ei:
        sector_betas("Corporate", 9.0, asof="2019-12-31", sector_history=(ust[:20] + 1).rename("c"))
    assert ei.value.column == "Corporate"


def test_gaps_are_reported_and_not_bridged():
    ust = par_curve_history_pct()["10Y"].loc["2018-01-01":"2019-12-31"]
    corp = (ust + 1.0).drop(ust.index[200:230]).rename("Corporate")
    b = sector_betas("Corporate", 9.0, asof="2019-12-31", window="3y", sector_history=corp)[0]
    assert b.driver == "UST_10Y"
    assert len(b.gaps) == 1 and b.gaps[0]["days"] > 30
    assert any("gap" in w for w in b.warnings)
    # corp - ust constant => beta exactly 1 on every retained change (the gap isn't one)
    assert b.beta == pytest.approx(1.0, abs=1e-9)
    assert b.nobs == len(ust) - 30 - 2  # 30 dropped levels -> one long change dropped


def test_swap_driver_row():
    ust = par_curve_history_pct()["10Y"].loc["2016-01-01":"2019-12-31"]
    rng = np.random.default_rng(2)
    swap = (ust + 0.2 + np.cumsum(rng.normal(0, 0.01, len(ust)))).rename("swap_10Y")
    corp = (swap + 1.0 + np.cumsum(rng.normal(0, 0.005, len(ust)))).rename("Corporate")
    res = sector_betas("Corporate", 9.0, asof="2019-12-31", sector_history=corp, swap_history=swap)
    assert [r.driver for r in res] == ["UST_10Y", "swap_10Y"]
    assert res[1].r_squared > res[0].r_squared
    assert res[1].beta == pytest.approx(1.0, abs=0.05)


def test_nearest_key_tenor_and_lag_rule():
    assert nearest_key_tenor(6.56) == "7Y"
    assert nearest_key_tenor(5.39) == "5Y"
    assert nearest_key_tenor(8.5) == "7Y"  # tie -> shorter
    assert nearest_key_tenor(14.0) == "10Y"
    assert nearest_key_tenor(0.3, ["3M", "6M", "1Y", "2Y"]) == "3M"
    assert nearest_key_tenor(40) == "30Y"
    with pytest.raises(InputError):
        nearest_key_tenor(float("nan"))
    assert newey_west_maxlags(100) == 4
    assert newey_west_maxlags(750) == math.floor(4 * 7.5 ** (2 / 9))
    assert newey_west_maxlags(34) == 3


def test_beta_adjusted_dv01_and_residual_variance():
    assert beta_adjusted_dv01(235_138.0, 0.9) == pytest.approx(211_624.2)
    assert resid_var_usd2(235_138.0, 40.0) == pytest.approx((235_138.0 * 40.0) ** 2)
    assert resid_var_usd2(0.0, float("nan")) == 0.0
    assert math.isnan(resid_var_usd2(1.0, float("nan")))


def test_rolling_betas_last_window_equals_direct_fit():
    rng = np.random.default_rng(4)
    x = pd.Series(rng.normal(0, 5, 300), IDX[:300])
    y = 0.5 * x + pd.Series(rng.normal(0, 2, 300), IDX[:300])
    rb = rolling_betas(y, x, window=100, step=50)
    assert list(rb["end"]) == [IDX[99], IDX[149], IDX[199], IDX[249], IDX[299]]
    direct = regress_changes(y.iloc[-100:], x.iloc[-100:], sector="s", driver="d",
                             frequency="daily", source="s")
    assert rb.iloc[-1]["beta"] == pytest.approx(direct.beta)
    assert rb.iloc[-1]["std_err"] == pytest.approx(direct.std_err)
    assert (rb["nobs"] == 100).all()


def test_driver_that_does_not_move_is_an_error():
    x = pd.Series(0.0, IDX[:50])
    y = pd.Series(np.arange(50.0), IDX[:50])
    with pytest.raises(InputError, match="does not move"):
        regress_changes(y, x, sector="s", driver="d", frequency="daily", source="s")


def test_module_uses_statsmodels_hac():
    assert betas.fit_ols_hac(pd.Series(np.arange(30.0) + np.random.default_rng(0).normal(size=30)),
                             pd.Series(np.arange(30.0)))[0].cov_type == "HAC"


def test_matched_maturity_inverts_par_bond_duration():
    """The driver maturity: the semiannual par bond maturing then has the sector's modified
    duration (its duration computed here by bumping the bond's own cash-flow price)."""
    for T, y in ((7.0, 0.045), (2.0, 0.02), (20.0, 0.05)):
        n = int(T * 2)
        t = np.arange(1, n + 1) / 2
        cf = np.full(n, 100 * y / 2)
        cf[-1] += 100

        def price(yy, t=t, cf=cf):
            return float((cf / (1 + yy / 2) ** (2 * t)).sum())

        dmod = (price(y - 1e-6) - price(y + 1e-6)) / 2e-6 / price(y)
        assert betas.matched_maturity_years(dmod, y) == pytest.approx(T, abs=1e-6)
    assert betas.matched_maturity_years(60.0, 0.05) == 30.0


def test_weekly_horizon_samples_the_last_day_of_each_week():
    ust = par_curve_history_pct()["10Y"].loc["2018-01-01":"2019-12-31"].rename("x")
    rng = np.random.default_rng(7)
    corp = (ust + 1.0 + np.cumsum(rng.normal(0, 0.01, len(ust)))).rename("y")
    ch, freq, _ = aligned_changes(corp, ust, horizon="weekly")
    assert freq == "weekly"
    lv = pd.DataFrame({"y": corp, "x": ust})
    wk = lv.groupby(lv.index.to_period("W-FRI")).tail(1)
    ref = (wk.diff() * 100).dropna()
    ref = ref[wk.index.to_series().diff().dt.days.dropna() <= 14]
    np.testing.assert_allclose(ch.to_numpy(), ref.to_numpy(), atol=1e-12)


def test_out_of_sample_error_on_synthetic_data():
    """y = 0.7 x + e: walk-forward, the OLS beta's error is ~sd(e), beta 1's is
    sqrt(0.3^2 var(x) + var(e)), and the estimated betas are ~0.7."""
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2000-01-03", periods=3000)
    x = pd.Series(rng.normal(0, 5.0, len(idx)), idx)
    y = 0.7 * x + pd.Series(rng.normal(0, 2.0, len(idx)), idx)
    e = betas.oos_beta_errors(y, x, window=250, step=21, prior_sd=0.3)
    rmse = np.sqrt((e[["ols", "shrunk", "one"]] ** 2).mean())
    assert rmse["ols"] == pytest.approx(2.0 * np.sqrt(1 + 1 / 250), rel=0.05)
    assert rmse["one"] == pytest.approx(np.sqrt(0.3 ** 2 * 25 + 4.0), rel=0.05)
    assert e["beta_ols"].mean() == pytest.approx(0.7, abs=0.01)
    assert rmse["shrunk"] == pytest.approx(rmse["ols"], rel=0.01) and rmse["ols"] < rmse["one"]
    assert e.index.min() == idx[250]           # the first prediction follows the first window
