"""Risk model: factor history, covariance estimators, annualization, PSD, no look-ahead."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import models.risk as risk
from data.errors import InputError
from models.risk import (
    DEFAULT_KEY_TENORS,
    build_factor_model,
    ensure_psd,
    ewma_cov,
    ewma_weights,
    key_rate_changes_bp,
    ledoit_wolf_constant_correlation,
    ledoit_wolf_identity,
    load_history_csv,
    monthly_average_pct,
    monthly_changes_bp,
    sample_cov,
)


def synthetic_curve(n_days=800, sd_bp=5.0, seed=0, start="2010-01-04"):
    """Random-walk par curve (percent) with iid N(0, sd_bp) daily changes, one factor per tenor."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(start, periods=n_days)
    cols = list(risk.AVAILABLE_KEY_TENORS)
    steps = rng.normal(0.0, sd_bp / 100.0, size=(n_days, len(cols)))
    lv = 3.0 + np.cumsum(steps, axis=0)
    return pd.DataFrame(lv, index=idx, columns=cols)


# ----------------------------------------------------------------------------- factor history

def test_key_rate_changes_consecutive_rows_no_ffill():
    ch = key_rate_changes_bp(start="2019-01-01", end="2019-12-31")
    lv = risk.par_curve_history_pct()[list(DEFAULT_KEY_TENORS)].loc["2019-01-01":"2019-12-31"]
    expected = (lv.diff().iloc[1:] * 100).dropna()
    pd.testing.assert_frame_equal(ch, expected)
    # 2019-01-22 (Tuesday after MLK day) is the change from Friday 2019-01-18
    d = pd.Timestamp("2019-01-22")
    assert np.isclose(ch.loc[d, "10Y"], (lv.loc[d, "10Y"] - lv.loc["2019-01-18", "10Y"]) * 100)
    assert pd.Timestamp("2019-01-21") not in ch.index


def test_changes_spanning_missing_tenor_are_dropped():
    # 30Y absent 2002-02-19 .. 2006-02-08: no change may bridge the 4-year gap
    ch = key_rate_changes_bp(start="2001-06-01", end="2006-06-30")
    assert ch.index.max() > pd.Timestamp("2006-02-09")
    span = ch.index.to_series().diff().dt.days
    assert span.max() > 1000  # rows between are dropped, not bridged ...
    assert ch["30Y"].abs().max() < 60  # ... and no multi-year "change" appears
    assert not ch.loc["2002-02-20":"2006-02-08"].shape[0]


def test_build_factor_model_real_data_shape_sources_and_psd():
    m = build_factor_model("2019-12-31", window="3y", method="sample", shipped_spreads=False)
    assert m.names == list(DEFAULT_KEY_TENORS) + ["Corporate_spread"]
    assert m.frequency_by_factor["10Y"] == "daily"
    assert m.frequency_by_factor["Corporate_spread"] == "monthly"
    assert "HQM" in m.source_by_factor["Corporate_spread"]
    assert m.window_end <= pd.Timestamp("2019-12-31")
    assert np.linalg.eigvalsh(m.cov_bp2_annual.values).min() >= -1e-8
    assert np.allclose(m.cov_bp2_annual.values, m.cov_bp2_annual.values.T)
    # annualized daily block = 252 x sample covariance of the same changes
    ch = key_rate_changes_bp(start=pd.Timestamp("2016-12-31"), end="2019-12-31")
    assert np.allclose(m.cov_bp2_annual.loc["10Y", "10Y"], ch["10Y"].var(ddof=1) * 252)
    assert m.nobs["10Y"] == len(ch)
    # 10y Treasury vol in bp/yr is in a sane range
    assert 40 < m.vol_bp_annual()["10Y"] < 120


def test_monthly_factor_block_matches_hand_computation():
    asof = pd.Timestamp("2019-12-31")
    m = build_factor_model(asof, window="3y", method="sample", shipped_spreads=False)
    start = asof - pd.DateOffset(months=36)
    d = risk.par_curve_history_pct()[list(DEFAULT_KEY_TENORS)].loc[start:asof]
    mavg = monthly_average_pct(d)
    hqm = risk.hqm_par_monthly_pct()[10.0]
    mavg = mavg[mavg.index >= start].join(hqm.rename("h"), how="inner")
    mavg["s"] = mavg["h"] - mavg["10Y"]
    ch = monthly_changes_bp(mavg[["s"] + list(DEFAULT_KEY_TENORS)])
    assert m.nobs["Corporate_spread"] == len(ch)
    assert np.isclose(m.cov_bp2_annual.loc["Corporate_spread", "Corporate_spread"],
                      ch["s"].var() * 12 * 1.5)
    assert np.isclose(m.cov_bp2_annual.loc["Corporate_spread", "5Y"],
                      np.cov(ch["s"], ch["5Y"])[0, 1] * 12 * 1.5)


def test_no_look_ahead(monkeypatch):
    base = build_factor_model("2015-06-15", window="2y")
    hist = risk.par_curve_history_pct().copy()
    hist.loc[hist.index > "2015-06-15"] += 5.0  # poison the future
    monkeypatch.setattr(risk, "par_curve_history_pct", lambda: hist)
    risk.clear_caches()    # the poisoned data must be read again, not a cached model
    again = build_factor_model("2015-06-15", window="2y")
    risk.clear_caches()
    pd.testing.assert_frame_equal(base.cov_bp2_annual, again.cov_bp2_annual)
    # the June-2015 HQM average is not used on 2015-06-15 (month not over)
    assert base.window_end <= pd.Timestamp("2015-06-15")


def test_hqm_month_not_used_before_month_end():
    h = risk.factor_history("2015-06-29", window="3y")
    assert h.low_freq["Corporate_spread"].index.max() == pd.Timestamp("2015-05-01")
    h = risk.factor_history("2015-06-30", window="3y")
    assert h.low_freq["Corporate_spread"].index.max() == pd.Timestamp("2015-06-01")


# ----------------------------------------------------------------------------- annualization

def test_annualization_known_variance(monkeypatch):
    curve = synthetic_curve(n_days=3000, sd_bp=5.0, seed=1)
    monkeypatch.setattr(risk, "par_curve_history_pct", lambda: curve)
    m = build_factor_model(curve.index[-1], window="all", hqm_sectors=(), method="sample")
    # true annual variance 25 x 252 = 6300 bp²; sample SE of a variance ~ sqrt(2/n) = 2.6%
    v = np.diag(m.cov_bp2_annual.values)
    assert np.all(np.abs(v / 6300.0 - 1) < 0.1)
    assert np.abs(m.corr().values[np.triu_indices(len(v), 1)]).max() < 0.1


def test_monthly_average_changes_with_working_correction_recover_annual_variance():
    # random walk with daily sd 5bp over 100 years: var of monthly-average changes x12 x1.5
    # ~= 252 x 25 (Working 1960 bias ~ 2/3 corrected)
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("1900-01-01", "1999-12-31")
    lv = pd.DataFrame({"r": 3 + np.cumsum(rng.normal(0, 0.05, len(idx)))}, index=idx)
    ch = monthly_changes_bp(monthly_average_pct(lv))
    ratio = ch["r"].var() * 12 * risk.WORKING_CORRECTION / (252 * 25)
    assert abs(ratio - 1) < 0.12
    uncorrected = ch["r"].var() * 12 / (252 * 25)
    assert abs(uncorrected - 2 / 3) < 0.08


# ----------------------------------------------------------------------------- EWMA

def test_ewma_weights_halve_after_halflife():
    w = ewma_weights(200, halflife=20)
    assert np.isclose(w.sum(), 1.0)
    assert np.isclose(w[-1 - 20] / w[-1], 0.5)
    assert np.isclose(w[-1 - 40] / w[-1], 0.25)
    assert np.all(np.diff(w) > 0)  # newest weighs most


def test_ewma_reacts_more_to_recent_shock():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, size=(500, 2))
    x[-5:] *= 10  # recent volatility burst
    s = sample_cov(x)
    e = ewma_cov(x, halflife=20)
    assert e[0, 0] > 2 * s[0, 0]
    # with a very long half-life EWMA -> sample
    assert np.allclose(ewma_cov(x, halflife=1e9), s, rtol=1e-6)


def test_ewma_method_in_model_and_needs_halflife():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # projection: PSD by construction, no repair needed
        m = build_factor_model("2020-06-30", window="3y", method="ewma", halflife=30,
                               mixed_frequency="projection", shipped_spreads=False)
    s = build_factor_model("2020-06-30", window="3y", method="sample", shipped_spreads=False)
    assert not np.allclose(m.cov_bp2_annual.values, s.cov_bp2_annual.values)
    assert np.linalg.eigvalsh(m.cov_bp2_annual.values).min() >= -1e-8
    # direct mixing of an EWMA daily block with a sample monthly block is indefinite here:
    # repaired with a warning
    with pytest.warns(RuntimeWarning, match="positive semi-definite"):
        d = build_factor_model("2020-06-30", window="3y", method="ewma", halflife=30,
                               shipped_spreads=False)
    assert np.linalg.eigvalsh(d.cov_bp2_annual.values).min() >= -1e-6 * d.cov_bp2_annual.values.max()
    with pytest.raises(InputError):
        build_factor_model("2020-06-30", method="ewma")


# ----------------------------------------------------------------------------- Ledoit-Wolf

def _lw_identity_reference(x):
    """Ledoit & Wolf (2004), J. Multivariate Anal. 88, Lemma 3.2/Thm 3.1, written with loops."""
    n, p = x.shape
    xc = x - x.mean(axis=0)
    S = sum(np.outer(r, r) for r in xc) / n

    def nrm2(a):  # ||A||² = tr(A A')/p
        return np.trace(a @ a.T) / p

    m = np.trace(S) / p
    d2 = nrm2(S - m * np.eye(p))
    b2bar = sum(nrm2(np.outer(r, r) - S) for r in xc) / n**2
    b2 = min(b2bar, d2)
    a2 = d2 - b2
    return b2 / d2 * m * np.eye(p) + a2 / d2 * S, b2 / d2


def _lw_cc_reference(x):
    """Ledoit & Wolf (2003) 'Honey, I shrunk...' Appendix B, element by element."""
    T, N = x.shape
    m = x.mean(axis=0)
    y = x - m
    s = y.T @ y / T
    r = np.array([[s[i, j] / np.sqrt(s[i, i] * s[j, j]) for j in range(N)] for i in range(N)])
    rbar = sum(r[i, j] for i in range(N) for j in range(N) if i != j) * 2 / ((N - 1) * N) / 2
    F = np.array([[s[i, i] if i == j else rbar * np.sqrt(s[i, i] * s[j, j]) for j in range(N)]
                  for i in range(N)])
    pi = np.zeros((N, N))
    for i in range(N):
        for j in range(N):
            pi[i, j] = np.mean((y[:, i] * y[:, j] - s[i, j]) ** 2)
    pi_hat = pi.sum()

    def theta(k, i, j):  # asy cov of sqrt(T) s_kk and sqrt(T) s_ij
        return np.mean((y[:, k] ** 2 - s[k, k]) * (y[:, i] * y[:, j] - s[i, j]))

    rho = sum(pi[i, i] for i in range(N))
    for i in range(N):
        for j in range(N):
            if i != j:
                rho += rbar / 2 * (np.sqrt(s[j, j] / s[i, i]) * theta(i, i, j)
                                   + np.sqrt(s[i, i] / s[j, j]) * theta(j, i, j))
    gamma = ((F - s) ** 2).sum()
    kappa = (pi_hat - rho) / gamma
    delta = max(0.0, min(1.0, kappa / T))
    return delta * F + (1 - delta) * s, delta


@pytest.mark.parametrize("seed,n,p", [(0, 40, 4), (1, 15, 6), (2, 200, 3)])
def test_ledoit_wolf_identity_matches_reference(seed, n, p):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(p, p))
    x = rng.normal(size=(n, p)) @ a
    got, d = ledoit_wolf_identity(x)
    ref, dref = _lw_identity_reference(x)
    assert 0.0 <= d <= 1.0
    assert np.isclose(d, dref)
    assert np.allclose(got, ref)


@pytest.mark.parametrize("seed,n,p", [(0, 40, 4), (1, 12, 5), (2, 300, 3)])
def test_ledoit_wolf_constant_correlation_matches_reference(seed, n, p):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(p, p)) + 2 * np.eye(p)
    x = rng.normal(size=(n, p)) @ a
    got, d = ledoit_wolf_constant_correlation(x)
    ref, dref = _lw_cc_reference(x)
    assert 0.0 <= d <= 1.0
    assert np.isclose(d, dref)
    assert np.allclose(got, ref)


def test_ledoit_wolf_tiny_hand_case():
    # two observations of two variables: x = [[1, 0], [-1, 0]] -> S = diag(1, 0), m = 1/2,
    # d² = ||diag(1/2, -1/2)||² = 1/4 (normalized by p=2); each x x' - S = 0 -> b̄² = 0 -> no shrink
    x = np.array([[1.0, 0.0], [-1.0, 0.0]])
    s, d = ledoit_wolf_identity(x)
    assert d == 0.0 and np.allclose(s, np.diag([1.0, 0.0]))
    # x = [[1,1],[-1,-1],[1,-1],[-1,1]]: S = I -> target = S, d² = 0 -> intensity defined as 0
    x = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    s, d = ledoit_wolf_identity(x)
    assert np.allclose(s, np.eye(2))


def test_ledoit_wolf_shrinks_more_with_fewer_observations():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2000, 8))
    _, d_small = ledoit_wolf_identity(x[:20])
    _, d_big = ledoit_wolf_identity(x)
    assert d_small > d_big
    m = build_factor_model("2019-12-31", method="ledoit_wolf")
    assert 0.0 <= m.shrinkage <= 1.0
    m = build_factor_model("2019-12-31", method="ledoit_wolf_cc")
    assert 0.0 <= m.shrinkage <= 1.0


# ----------------------------------------------------------------------------- PSD

def test_ensure_psd_repairs_with_warning():
    bad = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    assert np.linalg.eigvalsh(bad).min() < 0
    with pytest.warns(RuntimeWarning, match="positive semi-definite"):
        fixed = ensure_psd(bad)
    assert np.linalg.eigvalsh(fixed).min() >= -1e-12
    good = np.eye(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.allclose(ensure_psd(good), good)


def test_tracking_error_helper():
    m = build_factor_model("2019-12-31")
    e = {"10Y": 10_000.0}
    te = m.tracking_error_usd(e)
    assert np.isclose(te, 10_000 * m.vol_bp_annual()["10Y"])
    assert np.isclose(m.variance_usd2(e, resid_var_usd2=4.0), te**2 + 4.0)
    with pytest.raises(KeyError):
        m.variance_usd2({"11Y": 1.0})


# ----------------------------------------------------------------------------- user histories

def _write(tmp_path, text, name="h.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text,match,row,col", [
    ("date,Corporate\n2020-01-02,4.1\n2020-13-03,4.2\n", "unparseable date", 3, "date"),
    ("date,Corporate\n2020-01-02,4.1\n2020-01-03,abc\n", "non-numeric", 3, "Corporate"),
    ("date,Corporate\n2020-01-02,4.1\n2020-01-02,4.2\n", "duplicate date", 3, "date"),
    ("date,Corporate\n2020-01-02,410\n2020-01-03,412\n", "basis points", 2, "Corporate"),
    ("date,Corporate\n" + "".join(f"2020-01-0{i},0.04{i}\n" for i in range(1, 8)), "decimals",
     None, "Corporate"),
    ("date,Corporate\n", "empty", 2, None),
    ("when,Corporate\n2020-01-02,4.1\n", "no 'date' column", 1, None),
])
def test_history_loader_errors(tmp_path, text, match, row, col):
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=match) as ei:
        load_history_csv(p)
    assert ei.value.file == str(p)
    assert ei.value.row == row
    assert ei.value.column == col


def test_history_loader_ok_and_swap_and_sector_factors(tmp_path):
    lv = risk.par_curve_history_pct()["10Y"].loc["2016-01-01":"2019-12-31"]
    rng = np.random.default_rng(0)
    corp = lv + 1.2 + np.cumsum(rng.normal(0, 0.01, len(lv)))
    swap = lv + 0.1 + np.cumsum(rng.normal(0, 0.005, len(lv)))
    df = pd.DataFrame({"date": lv.index.strftime("%Y-%m-%d"), "Agency": corp.round(4),
                       "swap_10Y": swap.round(4)})
    p = tmp_path / "hist.csv"
    df.to_csv(p, index=False)
    h = load_history_csv(p)
    assert list(h.columns) == ["Agency", "swap_10Y"]
    m = build_factor_model("2019-12-31", sector_histories={"Agency": h["Agency"]},
                           swap_history=h["swap_10Y"])
    assert "swap_spread" in m.names and "Agency_spread" in m.names
    assert m.frequency_by_factor["Agency_spread"] == "daily"
    # spread of a random walk with 1bp daily steps -> ~ sqrt(252) = 15.9 bp/yr
    assert 12 < m.vol_bp_annual()["Agency_spread"] < 20
    assert np.linalg.eigvalsh(m.cov_bp2_annual.values).min() >= -1e-8


def test_too_little_history_is_an_error():
    with pytest.raises(InputError, match="need >= 24"):
        build_factor_model("1990-01-20", window="1m")
    with pytest.raises(InputError, match="window"):
        build_factor_model("2019-12-31", window="3q")


def test_projection_equals_direct_when_daily_block_equals_monthly_moments():
    """With the daily block replaced by the monthly moments, projection reproduces the direct
    estimate (an OLS in-sample identity), so the two modes differ only through Σ_dd."""
    h = risk.factor_history("2019-12-31", window="5y")
    ch = h.low_freq["Corporate_spread"]
    dn = list(h.daily.columns)
    smon = np.cov(ch[dn].values, rowvar=False)
    X = np.column_stack([np.ones(len(ch)), ch[dn].values])
    coef, *_ = np.linalg.lstsq(X, ch["Corporate_spread"].values, rcond=None)
    r = ch["Corporate_spread"].values - X @ coef
    b = coef[1:]
    assert np.allclose(smon @ b, np.cov(ch.values, rowvar=False)[0, 1:])
    var_proj = b @ smon @ b + r @ r / (len(ch) - 1)
    assert np.isclose(var_proj, ch["Corporate_spread"].var())
    m = build_factor_model("2019-12-31", window="5y", mixed_frequency="projection")
    assert np.linalg.eigvalsh(m.cov_bp2_annual.values).min() >= -1e-8


# ----------------------------------------------------------------------------- calibration

def test_calibration_statistic_on_known_covariance():
    """P&L of fixed exposures to factors with a known covariance: promised exactly, the bias
    statistic is ~1 and its 95% interval covers 1; promised half the variance, it is ~sqrt 2."""
    rng = np.random.default_rng(5)
    cov = np.array([[36.0, 18.0, 6.0], [18.0, 25.0, 10.0], [6.0, 10.0, 16.0]])   # bp^2 / day
    L = np.linalg.cholesky(cov)
    n_per, n_days = 120, 21
    pnl, sig, grp = [], [], []
    for k in range(n_per):
        e = rng.normal(0, 1e3, 3)                      # a different position each period
        s = float(np.sqrt(e @ cov @ e))
        f = rng.standard_normal((n_days, 3)) @ L.T + 0.3   # a drift: not risk, demeaned
        pnl += list(-(f @ e))
        sig += [s] * n_days
        grp += [k] * n_days
    c = risk.calibration(pnl, sig, grp)
    assert c["dof"] == n_per * (n_days - 1) and c["periods"] == n_per
    assert c["bias"] == pytest.approx(1.0, abs=0.04) and c["in_band"]
    assert c["bias_lo"] < 1.0 < c["bias_hi"]
    half = risk.calibration(pnl, np.array(sig) / np.sqrt(2.0), grp)
    assert half["bias"] == pytest.approx(np.sqrt(2.0), abs=0.06) and not half["in_band"]
    assert half["bias_lo"] > 1.25


def test_default_estimator_is_the_calibrated_one():
    from models.risk_params import default_risk_spec

    spec = default_risk_spec()
    m = build_factor_model("2019-12-31", window="3y")
    assert m.method == spec.method and m.halflife == spec.halflife
    explicit = build_factor_model("2019-12-31", window="3y", method=spec.method,
                                  halflife=spec.halflife)
    pd.testing.assert_frame_equal(m.cov_bp2_annual, explicit.cov_bp2_annual)


def test_corporate_spread_factor_from_shipped_parameters():
    """A corporate sector without a history: the BBB OAS factor estimated up to the latest month
    end before the date; its covariance with a key rate = corr x vol x that rate's vol."""
    from models.risk_params import corporate_spread_params

    p = corporate_spread_params("2019-12-31")
    assert p.valid_from == pd.Timestamp("2019-12-31")
    m = build_factor_model("2019-12-31", window="3y", method="sample")
    c = m.cov_bp2_annual
    assert m.frequency_by_factor["Corporate_spread"] == "monthly (shipped)"
    assert np.sqrt(c.loc["Corporate_spread", "Corporate_spread"]) == pytest.approx(p.vol_bp_annual)
    assert c.loc["Corporate_spread", "10Y"] == pytest.approx(
        p.corr["10Y"] * p.vol_bp_annual * np.sqrt(c.loc["10Y", "10Y"]))
    # re-estimated every month end: a mid-month date uses the previous month end's estimate
    assert corporate_spread_params("2020-06-15").valid_from == pd.Timestamp("2020-05-31")
    assert corporate_spread_params("1998-01-02") is None
