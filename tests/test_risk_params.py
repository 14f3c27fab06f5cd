"""Point-in-time parameters: margins by date, swap-spread and basis parameters, the corporate
beta prior. References: CME advisory facts, hand recomputation of the volatility scaling, the
estimation run on data that stops at the as-of date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.contracts import load_margins, margin_for, margin_volatility
from data.errors import InputError
from data.loaders import TENOR_YEARS, par_curve_history_pct
from models import risk_params as rp


def test_margin_facts_are_used_on_their_dates():
    # CME Clearing advisory 08-380, effective 2008-12-04: US Long Bond speculator initial $4,320
    zb = margin_for("ZB", "2008-12-10")
    assert zb["initial_usd"] == 4320 and zb["basis"] == "fact" and not zb["stale"]
    # Futures Magazine report of the 2011-07-26 advisory: 10-year note $1,755
    assert margin_for("ZN", "2012-01-01")["initial_usd"] == 1755
    # a user's file is used as given, whatever the date
    m = load_margins()
    user = m.copy()
    user.attrs["bundled"] = False
    assert margin_for("ZN", "2005-06-01", user)["basis"] == "as given"


def _vol_proxy(term: float, asof: str, days: int = 63) -> float:
    """Independent recomputation: stdev of daily par-yield changes at the term (bp) x the DV01
    of a par bond of that term at the last yield (per 100)."""
    h = par_curve_history_pct().loc[:asof].iloc[-(days + 1):]
    t = np.array([TENOR_YEARS[c] for c in h.columns])
    y = []
    for _, row in h.iterrows():
        ok = row.notna().to_numpy()
        y.append(np.interp(term, t[ok], row.to_numpy()[ok]) / 100)
    y = np.array(y)
    sd = np.std(np.diff(y) * 1e4, ddof=1)
    yl = y[-1]
    return sd * (1 - (1 + yl / 2) ** (-2 * term)) / yl * 100 * 1e-4


def test_margin_away_from_facts_is_volatility_scaled():
    """2005: no fact within a year; the nearest (ZB: 2008-12-04) is scaled by the volatility
    proxy then vs on the fact's date: never a later level used as is."""
    got = margin_for("ZB", "2005-06-01")
    assert got["basis"] == "volatility-scaled" and got["stale"]
    k = _vol_proxy(16.0, "2005-06-01") / _vol_proxy(16.0, "2008-12-04")
    assert got["initial_usd"] == pytest.approx(4320 * k, rel=1e-9)
    assert margin_volatility("ZB", "2005-06-01") == pytest.approx(_vol_proxy(16.0, "2005-06-01"))
    # the 2025 ZN level is not the margin of 2003
    assert margin_for("ZN", "2003-06-02")["initial_usd"] != margin_for("ZN", "2025-07-11")[
        "initial_usd"]


def test_margin_volatility_uses_data_up_to_the_date_only(monkeypatch):
    import data.loaders as loaders

    base = margin_volatility("ZN", "2010-03-01")
    hist = loaders.par_curve_history_pct.__wrapped__()
    hist.loc["2010-03-02":] += 1.0 + np.random.default_rng(0).normal(0, 0.2, hist.loc[
        "2010-03-02":].shape)
    monkeypatch.setattr(loaders, "par_curve_history_pct", lambda: hist)
    assert margin_volatility("ZN", "2010-03-01") == pytest.approx(base, rel=1e-12)


def test_swap_spread_parameters_point_in_time():
    p = rp.swap_spread_params("2008-03-31")
    assert p.valid_from <= pd.Timestamp("2008-03-31")
    assert p.valid_from == pd.Timestamp("2007-12-31")
    assert 5 < p.vol_bp_annual < 60 and set(p.corr) >= {"2Y", "10Y", "spread:Corporate"}
    assert rp.swap_spread_params("2025-07-11").valid_from == pd.Timestamp("2016-10-28")
    with pytest.raises(InputError, match="no swap-spread parameters before"):
        rp.swap_spread_params("2001-06-01")


def test_swap_spread_estimate_uses_data_up_to_its_date():
    """The estimation at a date gives the same numbers whether or not later data exist."""
    from benchmarks.estimate_risk_params import swap_spread_rows

    rng = np.random.default_rng(3)
    ust = par_curve_history_pct()["10Y"].loc["2000-07-03":"2012-12-31"]
    sw = pd.DataFrame({"DSWP10": ust + 0.5 + np.cumsum(rng.normal(0, 0.02, len(ust)))},
                      index=ust.index)
    asof = pd.Timestamp("2006-12-29")
    a = pd.DataFrame(swap_spread_rows(sw, asof))
    b = pd.DataFrame(swap_spread_rows(sw.loc[:asof], asof))
    pd.testing.assert_frame_equal(a, b)
    assert a["window"].iloc[0].endswith("2006-12")


def test_basis_and_corporate_beta_lookups():
    b = rp.futures_basis("ZN", "2015-06-30")
    assert b.valid_from <= pd.Timestamp("2015-06-30") and b.vol_bp_annual > 0
    assert rp.futures_basis("TN", "2020-06-30").notices[0].code == "basis_proxy"
    names, cov, _, _ = rp.basis_block([("ZNU5", "ZN"), ("UBU5", "UB")], "2025-07-11")
    assert names == ["basis:ZNU5", "basis:UBU5"] and (np.diag(cov) > 0).all()
    # settlement basis independent; the model residuals correlated (corr_UB of the ZN row)
    t = pd.read_csv(rp.FUTURES_RESIDUAL_FILE, parse_dates=["valid_from"])
    zn = t[(t["root"] == "ZN") & (t["valid_from"] <= "2025-07-11")].iloc[-1]
    ub = t[(t["root"] == "UB") & (t["valid_from"] <= "2025-07-11")].iloc[-1]
    assert cov[0, 1] == pytest.approx(zn["corr_UB"] * zn["vol_bp_annual"] * ub["vol_bp_annual"],
                                      rel=0.05)
    c = rp.corporate_beta("2015-06-30")
    assert c["valid_from"] == pd.Timestamp("2014-12-31") and 0.5 < c["beta"] < 1.1
    assert rp.corporate_beta("1995-01-01") is None
