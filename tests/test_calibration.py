"""The risk-model calibration's choice rule and its walk-forward use of the spread estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import benchmarks.calibrate_risk as C
from benchmarks.estimate_risk_params import KEYS, spread_estimate


def test_choice_is_most_books_in_band_then_lowest_qlike():
    """Market-marked rows where a book has them, else modelled; 'a' is in band on 2 of 2 books
    (QLIKE 10), 'b' on 1 (QLIKE 1), 'c' on 2 (QLIKE 9): c wins."""
    rows = []
    for cand, biases, q in (("a", (1.0, 1.1), 10.0), ("b", (1.0, 2.0), 1.0),
                            ("c", (0.9, 1.2), 9.0)):
        rows.append({"book": "x", "candidate": cand, "pricing": "market",
                     "bias_period": biases[0], "qlike": q})
        rows.append({"book": "x", "candidate": cand, "pricing": "model",   # ignored: x marked
                     "bias_period": 5.0, "qlike": 0.0})
        rows.append({"book": "y", "candidate": cand, "pricing": "model",
                     "bias_period": biases[1], "qlike": q})
    best = C.choose(pd.DataFrame(rows))
    assert best.name == "c" and best["in_band"] == 1.0 and best["qlike"] == 9.0


def _levels(n=1500, seed=1):
    idx = pd.bdate_range("2014-01-01", periods=n)
    rng = np.random.default_rng(seed)
    lv = pd.DataFrame(3 + np.cumsum(rng.normal(0, 0.05, (n, len(KEYS))), axis=0), index=idx,
                      columns=KEYS)
    return lv.assign(oas=1.5 + np.cumsum(rng.normal(0, 0.03, n)))


@pytest.mark.parametrize("cadence, date, est_date", [
    ("monthly", "2019-03-01", "2019-02-28"), ("monthly", "2019-05-31", "2019-05-31"),
    ("yearly", "2019-03-01", "2018-12-31")])
def test_spread_candidate_uses_the_estimate_shipped_before_the_date(cadence, date, est_date):
    C._SPREAD_CACHE.clear()
    lv = _levels()
    s = C.SpreadSpec(21, None, 3, cadence)
    got = C.spread_params(pd.Timestamp(date), s, lv)
    want = spread_estimate(lv, pd.Timestamp(est_date), 21, None, 3)
    assert got["vol_bp_annual"] == pytest.approx(want["vol_bp_annual"])
    later = spread_estimate(lv, pd.Timestamp(date) + pd.Timedelta(days=40), 21, None, 3)
    assert got["vol_bp_annual"] != pytest.approx(later["vol_bp_annual"])


def _geometric_levels(n=6 * 252, rel_vol_day=0.02, seed=3, start_pct=1.5):
    """Key rates a random walk; the OAS a geometric random walk (relative daily changes iid)."""
    idx = pd.bdate_range("2012-01-02", periods=n)
    rng = np.random.default_rng(seed)
    lv = pd.DataFrame(3 + np.cumsum(rng.normal(0, 0.05, (n, len(KEYS))), axis=0), index=idx,
                      columns=KEYS)
    return lv.assign(oas=start_pct * np.cumprod(1 + rng.normal(0, rel_vol_day, n)))


def test_dts_spread_vol_is_the_relative_vol_times_todays_level():
    """DTS (Ben Dor et al. 2007): vol (bp/yr) = sd of overlapping 21-day sums of dS/S over the
    trailing 5 years / 21 x 252, square-rooted, x the OAS (bp) on the estimate date; recomputed
    here with pandas. A book whose spread doubled (same relative moves) gets twice the vol."""
    lv = _geometric_levels()
    asof = lv.index[-1]
    w = lv[lv.index > asof - pd.DateOffset(years=5)]
    rel = (w["oas"].diff() / w["oas"].shift(1)).dropna()
    var_day = rel.rolling(21).sum().dropna().var(ddof=1) / 21
    want = np.sqrt(var_day * 252) * w["oas"].iloc[-1] * 100
    got = spread_estimate(lv, asof, 21, None, 5, dts=True)
    assert got["vol_bp_annual"] == pytest.approx(want, rel=1e-9)
    doubled = spread_estimate(lv.assign(oas=2 * lv["oas"]), asof, 21, None, 5, dts=True)
    assert doubled["vol_bp_annual"] == pytest.approx(2 * want, rel=1e-9)
    plain = spread_estimate(lv, asof, 21, None, 5)   # absolute changes: not the same number
    assert plain["vol_bp_annual"] != pytest.approx(want, rel=0.01)


def test_blend_is_the_weighted_variance_of_the_long_sample_and_a_fast_ewma():
    """variance = 0.6 x sample(5y, 21-day overlapping changes) + 0.4 x EWMA(half-life 10 days,
    5-day overlapping changes), per day x 252; the EWMA recomputed with explicit weights
    (weighted mean removed, reliability correction 1 / (1 - sum w^2))."""
    lv = _levels(n=6 * 252)
    asof = lv.index[-1]
    w = lv[lv.index > asof - pd.DateOffset(years=5)]
    d = (w["oas"].diff() * 100).dropna()
    long_var = d.rolling(21).sum().dropna().var(ddof=1) / 21
    x = d.rolling(5).sum().dropna().to_numpy()
    wt = 0.5 ** (np.arange(len(x))[::-1] / 10.0)
    wt /= wt.sum()
    ew = float(wt @ (x - wt @ x) ** 2 / (1 - np.sum(wt ** 2))) / 5
    want = np.sqrt((0.6 * long_var + 0.4 * ew) * 252)
    got = spread_estimate(lv, asof, 21, None, 5, blend_weight=0.4, blend_halflife=10.0,
                          blend_horizon=5)
    assert got["vol_bp_annual"] == pytest.approx(want, rel=1e-9)


def test_fast_spread_estimate_sees_no_data_after_its_date():
    """The DTS + EWMA blend on a date is unchanged when every later OAS value is replaced."""
    lv = _geometric_levels()
    asof = lv.index[-200]
    kw = {"dts": True, "blend_weight": 0.5, "blend_halflife": 21.0}
    a = spread_estimate(lv, asof, 21, None, 5, **kw)
    later = lv.index > asof
    b = spread_estimate(lv.assign(oas=np.where(later, 9.0, lv["oas"])), asof, 21, None, 5, **kw)
    assert a["vol_bp_annual"] == b["vol_bp_annual"] and a["corr"] == b["corr"]


def test_spread_candidate_label_round_trips_to_its_estimator_arguments():
    s = C.SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=21.0)
    assert s.label == "DTS sample 5y h21 + 0.5 x EWMA 21d h5"
    assert s.kwargs()["dts"] and s.kwargs()["blend_weight"] == 0.5
    assert len({c.label for c in C.CANDIDATES}) == len(C.CANDIDATES)
    assert C.BASELINE in C.CANDIDATES


def _shipped_spread_by_hand(lv: pd.DataFrame, asof: pd.Timestamp, sp: C.SpreadSpec) -> float:
    """The shipped estimator recomputed with pandas (21-day sample over the window, optional
    DTS scaling by today's OAS and blend with a 5-day EWMA, optionally scaled to 21 days by the
    window's 21-day / 5-day sample variance ratio), on days no more than a week apart
    with every key rate quoted that the window quotes almost always (the 30Y is absent
    2002-2006)."""
    w = lv[(lv.index > asof - pd.DateOffset(years=sp.window_years)) & (lv.index <= asof)]
    gap = w.index.to_series().diff().dt.days
    ch = (w["oas"].diff() / w["oas"].shift(1)) if sp.dts else w["oas"].diff() * 100
    d = w.diff()[gap <= 7]
    cols = ["oas"] + [t for t in lv.columns if t != "oas" and d[t].notna().mean() > 0.99]
    ok = (gap <= 7) & w[cols].diff().notna().all(axis=1)
    x = ch[ok]
    var = x.rolling(sp.horizon_days).sum().dropna().var(ddof=1) / sp.horizon_days
    if sp.blend_weight:
        s = x.rolling(sp.blend_horizon).sum().dropna().to_numpy()
        wt = 0.5 ** (np.arange(len(s))[::-1] / sp.blend_halflife)
        wt /= wt.sum()
        ew = float(wt @ (s - wt @ s) ** 2 / (1 - np.sum(wt ** 2))) / sp.blend_horizon
        if sp.blend_to_horizon:   # to the holding horizon: x var(h-day) / var(5-day) per day
            ew *= var / (np.var(s, ddof=1) / sp.blend_horizon)
        var = (1 - sp.blend_weight) * var + sp.blend_weight * ew
    scale = w["oas"].iloc[-1] * 100 if sp.dts else 1.0
    return float(np.sqrt(var * 252) * scale)


@pytest.mark.parametrize("asof", ["2008-10-31", "2020-03-31", "2025-06-30"])
def test_shipped_spread_file_is_the_chosen_estimator_on_the_licensed_oas(asof):
    """corporate_spread.csv on a month end = the estimator risk_model.csv names, recomputed by
    hand from the licensed ICE BofA BBB OAS (read locally; skipped when absent)."""
    from data.loaders import par_curve_history_pct
    from models.risk_params import CORPORATE_SPREAD_FILE, RISK_MODEL_FILE
    from optimizer.workflows.backtest import third_party_dir

    src = third_party_dir() / "ice_bofa_oas_daily_1996_2026.csv"
    if not src.exists():
        pytest.skip(f"licensed ICE BofA OAS not present ({src})")
    label = str(pd.read_csv(RISK_MODEL_FILE).iloc[0]["spread"])
    sp = next(s for s in C.SPREAD_SPECS if s.label == label)
    if sp.horizon_days == 0:
        pytest.skip("month-end estimator: covered by the month-end tests")
    oas = pd.read_csv(src, parse_dates=["date"]).set_index("date")["BAMLC0A4CBBB"].dropna()
    keys = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
    lv = par_curve_history_pct()[keys].join(oas.rename("oas"), how="inner")
    t = pd.read_csv(CORPORATE_SPREAD_FILE, parse_dates=["valid_from"])
    row = t[(t["kind"] == "vol_bp_annual") & (t["valid_from"] == asof)].iloc[0]
    want = _shipped_spread_by_hand(lv, pd.Timestamp(asof), sp)
    assert row["value"] == pytest.approx(want, abs=0.006)


def test_choice_skips_candidates_the_product_cannot_ship():
    """A bond-residual candidate with the best scores is reported, never chosen."""
    rows = [{"book": "x", "candidate": "ship", "pricing": "model", "bias_period": 1.0,
             "qlike": 5.0, "bond": False},
            {"book": "x", "candidate": "ship+bond", "pricing": "model", "bias_period": 1.0,
             "qlike": 1.0, "bond": True}]
    assert C.choose(pd.DataFrame(rows)).name == "ship"


def test_fast_estimate_scaled_to_the_holding_horizon_by_the_variance_ratio():
    """blend_to_horizon: the 5-day EWMA x var(21-day sums) / var(5-day sums) of the window (both
    sample, per day), then blended; recomputed with explicit weights on an AR(1) spread whose
    21-day variance per day exceeds its 5-day one."""
    lv = _levels(n=6 * 252)
    rng = np.random.default_rng(3)
    e = rng.normal(0, 0.01, len(lv))
    x = np.zeros(len(lv))
    for t in range(1, len(x)):
        x[t] = 0.7 * x[t - 1] + e[t]
    lv = lv.assign(oas=1.5 + np.cumsum(x))
    asof = lv.index[-1]
    w = lv[lv.index > asof - pd.DateOffset(years=5)]
    d = (w["oas"].diff() * 100).dropna()
    v21 = d.rolling(21).sum().dropna().var(ddof=1) / 21
    s5 = d.rolling(5).sum().dropna()
    v5 = s5.var(ddof=1) / 5
    wt = 0.5 ** (np.arange(len(s5))[::-1] / 10.0)
    wt /= wt.sum()
    ew = float(wt @ (s5.to_numpy() - wt @ s5.to_numpy()) ** 2 / (1 - np.sum(wt ** 2))) / 5
    assert v21 / v5 > 1.2   # the smoothed series: the ratio the scaling corrects
    want = np.sqrt((0.5 * v21 + 0.5 * ew * v21 / v5) * 252)
    got = spread_estimate(lv, asof, 21, None, 5, blend_weight=0.5, blend_halflife=10.0,
                          blend_horizon=5, blend_to_horizon=True)
    assert got["vol_bp_annual"] == pytest.approx(want, rel=1e-9)
    s = C.SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=10.0,
                     blend_to_horizon=True, rate_driver="10Y")
    assert s.label == "DTS sample 5y h21 + 0.5 x EWMA 10d h5 to h21, rates via 10Y"
    assert "rate_driver" not in s.kwargs() and s.kwargs()["blend_to_horizon"]


def test_block_attribution_adds_up_to_the_period_bias():
    """The realized block pairs of ``block_table`` add up to the squared period bias of
    ``models.risk.calibration`` on the total P&L and the total forecast (an independent
    computation), and the ex-ante pairs to n / (n - 1)."""
    from benchmarks.risk_decompose import PAIRS, block_table
    from models.risk import calibration

    rng = np.random.default_rng(7)
    n = 40
    v = {f"v_{a}{b}": rng.uniform(0.5, 2.0, n) * (1.0 if a == b else 0.3 * rng.choice([-1, 1]))
         for a, b in PAIRS}
    for a, b in PAIRS:
        if "R" in (a, b) and a != b:
            v[f"v_{a}{b}"] = np.zeros(n)
    blocks = pd.DataFrame({**{k: rng.normal(0, 1.5, n) for k in "KSWR"}, **v,
                           "date": pd.date_range("2001-01-31", periods=n, freq="ME")})
    blocks["v_total"] = sum(blocks[f"v_{a}{b}"] for a, b in PAIRS)
    blocks = blocks[blocks["v_total"] > 0.5]
    t = block_table(blocks, (("all", "2000-01-01", "2030-01-01"),)).iloc[0]
    total = blocks[["K", "S", "W", "R"]].sum(axis=1)
    want = calibration(total.to_numpy(), np.sqrt(blocks["v_total"].to_numpy()))["bias"]
    assert t["bias"] == pytest.approx(want, rel=1e-9)
    assert sum(t[f"{a}{b}_ex"] for a, b in PAIRS) == pytest.approx(
        len(blocks) / (len(blocks) - 1), rel=1e-9)
