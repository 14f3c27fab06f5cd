"""Scenario engine: SPEC §10 in DV01 mode, full revaluation vs DV01+convexity, historical replays,
user scenario CSVs, effectiveness, speed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from data import loaders
from data.errors import InputError
from data.holdings import read_holdings
from models.scenarios import (
    HISTORICAL_EPISODES,
    HedgePosition,
    Scenario,
    ScenarioEngine,
    builtin_scenarios,
    daily_replays,
    dollar_offset,
    historical_replays,
    historical_scenario,
    read_scenarios_csv,
    regression_effectiveness,
)

SPEC10 = "Treasuries +20, corporates and swaps +60"
ASOF = "2025-07-11"


def _builtin(name: str) -> Scenario:
    return next(s for s in builtin_scenarios() if s.name == name)


# ----------------------------------------------------------------------------- SPEC §10
@pytest.fixture(scope="module")
def spec10_holdings() -> pd.DataFrame:
    # the paper's sector DV01s as two precomputed-risk rows
    return pd.DataFrame({"id": ["TSY", "CORP"], "sector": ["Treasury", "Corporate"],
                         "par": [250e6, 420e6], "market_value": [262.341e6, 436.248e6],
                         "dv01": [172_096.0, 235_138.0]})


def _spec10(holdings, positions) -> dict:
    eng = ScenarioEngine(holdings, positions, ASOF)
    return eng.run(_builtin(SPEC10))


def test_spec10_sector_hedge_dv01_mode(spec10_holdings):
    tn = HedgePosition("ZN", -2374, "Treasury", dv01_usd=72.50)
    sw = HedgePosition("NSF10", -3054, "Corporate", dv01_usd=77.00)
    split = _spec10(spec10_holdings, [tn, sw])
    assert split["dv01_holdings_pnl"] == pytest.approx(-17_550_200.0, abs=0.01)
    assert split["dv01_hedge_pnl"] == pytest.approx(17_551_780.0, abs=0.01)
    assert split["dv01_net_pnl"] == pytest.approx(1_580.0, abs=0.01)
    sec = {r["sector"]: r for r in split["by_sector"]}
    assert sec["Treasury"]["dv01_holdings_pnl"] == pytest.approx(-172_096 * 20, abs=0.01)
    assert sec["Corporate"]["dv01_holdings_pnl"] == pytest.approx(-235_138 * 60, abs=0.01)
    assert sec["Treasury"]["dv01_hedge_pnl"] == pytest.approx(2374 * 72.5 * 20, abs=0.01)
    assert sec["Corporate"]["dv01_hedge_pnl"] == pytest.approx(3054 * 77 * 60, abs=0.01)
    # T-note-only and swap-only full-portfolio hedges
    tn_only = _spec10(spec10_holdings, [HedgePosition("ZN", -5618, None, dv01_usd=72.50)])
    assert tn_only["dv01_hedge_pnl"] == pytest.approx(8_146_100.0, abs=0.01)
    assert tn_only["dv01_net_pnl"] == pytest.approx(-9_404_100.0, abs=0.01)
    sw_only = _spec10(spec10_holdings, [HedgePosition("NSF10", -5289, None, dv01_usd=77.00)])
    assert sw_only["dv01_hedge_pnl"] == pytest.approx(24_435_180.0, abs=0.01)
    assert sw_only["dv01_net_pnl"] == pytest.approx(6_884_980.0, abs=0.01)
    # dollar offset of the split hedge: 17,551,780 / 17,550,200
    assert split["dv01_effectiveness"] == pytest.approx(17_551_780 / 17_550_200)


# ----------------------------------------------------------------------------- full vs approx
@pytest.fixture(scope="module")
def bond_engine() -> ScenarioEngine:
    h = read_holdings(loaders.PORTFOLIOS_DIR / "default.csv", asof=ASOF)
    return ScenarioEngine(h, [("ZN", -800, "Treasury"), ("SSF10", -600, "Corporate")], ASOF,
                          hedged_fraction={"Corporate": 0.5})


def _par(bp: float) -> Scenario:
    return Scenario(f"{bp:+g}", {"*": {"*": bp}})


@pytest.mark.parametrize("bp", [-10, -5, -1, 1, 5, 10])
def test_full_and_approx_agree_for_small_shifts(bond_engine, bp):
    r = bond_engine.run(_par(bp))
    for side in ("holdings", "hedge"):
        full, apx, lin = r[f"{side}_pnl"], r[f"approx_{side}_pnl"], r[f"dv01_{side}_pnl"]
        convexity_term = abs(apx - lin)
        # the approximation's error is far below its convexity term (third order)
        assert abs(full - apx) <= 0.02 * convexity_term + 1e-6 * abs(full) + 1.0
        # and the DV01-only error is the convexity term
        assert (full - lin) == pytest.approx(apx - lin, rel=0.05, abs=5.0)
    assert np.sign(r["holdings_pnl"]) == -np.sign(bp)


def test_approximation_error_grows_like_shift_cubed(bond_engine):
    errs = {}
    for bp in (-200, -100, -50, 50, 100, 200):
        r = bond_engine.run(_par(bp))
        errs[bp] = r["holdings_pnl"] - r["approx_holdings_pnl"]
    for sg in (1, -1):
        assert 6.0 < errs[sg * 200] / errs[sg * 100] < 10.5  # 2^3 = 8
        assert 6.0 < errs[sg * 100] / errs[sg * 50] < 10.5
        assert np.sign(errs[sg * 200]) == sg * np.sign(errs[200])  # odd in the shift
    assert abs(errs[200]) > 1e5  # visible at +-200 bp on a $840M portfolio


def test_treasury_futures_reselect_ctd(bond_engine):
    r = bond_engine.run(_par(200))
    zn = next(h for h in r["hedge"] if h["contract"].startswith("ZN"))
    assert zn["price_after"] < zn["price_before"]
    assert zn["pnl"] == pytest.approx(-800 * (zn["price_after"] - zn["price_before"]) * 1000)
    assert {"ctd_before", "ctd_after", "ctd_switch"} <= set(zn)


def test_spread_widening_moves_only_non_treasury(bond_engine):
    r = bond_engine.run(_builtin("spread widening +50"))
    sec = {s["sector"]: s for s in r["by_sector"]}
    assert sec["Treasury"]["holdings_pnl"] == pytest.approx(0.0, abs=1e-6)
    assert sec["Corporate"]["holdings_pnl"] < 0 and sec["Agency"]["holdings_pnl"] < 0
    assert r["hedge_pnl"] == pytest.approx(0.0, abs=1e-6)  # Treasury curve and swaps unchanged


def test_hedged_fraction_and_dollar_offset(bond_engine):
    r = bond_engine.run(_par(25))
    sec = {s["sector"]: s for s in r["by_sector"]}
    item = sec["Treasury"]["holdings_pnl"] + sec["Agency"]["holdings_pnl"] + \
        0.5 * sec["Corporate"]["holdings_pnl"]
    assert r["hedged_item_pnl"] == pytest.approx(item)
    assert r["effectiveness"] == pytest.approx(-r["hedge_pnl"] / item)
    assert dollar_offset(1.0, 0.0) is None


def test_full_revaluation_is_fast(bond_engine):
    scen = builtin_scenarios()
    t0 = time.perf_counter()
    bond_engine.run_many(scen)
    assert (time.perf_counter() - t0) / len(scen) < 0.25


# ----------------------------------------------------------------------------- history
def test_replay_treasury_shifts_equal_curve_changes():
    sc = historical_scenario("2022 H1", "2022-01-03", "2022-06-30")
    hist = loaders.par_curve_history_pct()
    d0, d1 = pd.Timestamp("2022-01-03"), pd.Timestamp("2022-06-30")
    assert (sc.start, sc.end) == (d0, d1)
    tsy = sc.spec_for("treasury")
    common = hist.loc[[d0, d1]].dropna(axis=1).columns
    assert set(tsy) == set(common)
    for k in common:
        assert tsy[k] == pytest.approx((hist.loc[d1, k] - hist.loc[d0, k]) * 100.0, abs=1e-9)
    # corporate = Treasury + the HQM spread change, parallel; agencies follow Treasuries
    corp = sc.spec_for("Corporate")
    ch = {k: corp[k] - tsy[k] for k in tsy}
    assert max(ch.values()) - min(ch.values()) < 1e-9
    assert sc.spec_for("Agency") == tsy
    assert any("HQM" in n for n in sc.notes)


def test_replay_endpoint_moves_to_earlier_data_date():
    sc = historical_scenario("x", "2022-07-04", "2022-12-25")  # both holidays
    assert sc.start == pd.Timestamp("2022-07-01") and sc.end == pd.Timestamp("2022-12-23")


def test_builtin_replays_and_daily_replays(bond_engine):
    reps = historical_replays()
    assert [r.name for r in reps] == list(HISTORICAL_EPISODES)
    lehman = reps[0]
    assert lehman.spec_for("Corporate")["10Y"] - lehman.spec_for("treasury")["10Y"] > 50
    daily = daily_replays("2025-05-01", "2025-07-11")
    assert len(daily) > 40
    res = bond_engine.run_many(daily)
    reg = regression_effectiveness([r["hedged_item_pnl"] for r in res],
                                   [r["hedge_pnl"] for r in res])
    assert reg["n"] == len(daily) and 0 <= reg["r2"] <= 1 and reg["slope"] < 0


def test_user_history_sets_swap_spread(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("date,swap_10Y\n2022-01-03,1.60\n2022-06-30,3.20\n")
    from models.risk import load_history_csv
    sc = historical_scenario("x", "2022-01-03", "2022-06-30", histories=[load_history_csv(f)])
    tsy, swap = sc.spec_for("treasury"), sc.spec_for("swap")
    assert swap["10Y"] == pytest.approx(160.0)  # swap moved +160 bp, spread = 160 - UST 10y
    assert swap["2Y"] - tsy["2Y"] == pytest.approx(160.0 - tsy["10Y"])  # parallel spread move
    assert not any("swap spread unchanged" in n for n in sc.notes)


def test_regression_effectiveness_matches_statsmodels():
    import statsmodels.api as sm
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1e6, 60)
    y = -0.95 * x + rng.normal(0, 1e5, 60)
    r = regression_effectiveness(x, y)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    assert r["slope"] == pytest.approx(fit.params[1]) and r["r2"] == pytest.approx(fit.rsquared)
    assert r["effective"]
    assert regression_effectiveness(x, 0.5 * x)["effective"] is False


# ----------------------------------------------------------------------------- user CSV
def test_sample_scenario_file_parses():
    sc = read_scenarios_csv(loaders.DATA_DIR / "scenarios" / "sample.csv")
    names = [s.name for s in sc]
    assert "bear steepener" in names
    s = sc[0]
    assert s.at("treasury", [5.0])[0] == 20 and s.at("Corporate", [5.0])[0] == 60
    assert s.at("swap", [10.0])[0] == 60 and s.at("Agency", [10.0])[0] == 20
    bear = next(x for x in sc if x.name == "bear steepener")
    assert bear.at("treasury", [6.0])[0] == pytest.approx(25.0)  # linear 2Y 10 -> 10Y 40


@pytest.mark.parametrize("body,row,col", [
    ("scenario,sector,tenor\nx,*,*\n", None, "shift_bp"),
    ("scenario,sector,tenor,shift_bp\nx,*,*,20\nx,Treasury,7Q,5\n", 3, "tenor"),
    ("scenario,sector,tenor,shift_bp\nx,*,*,abc\n", 2, "shift_bp"),
    ("scenario,sector,tenor,shift_bp\nx,*,*,\n", 2, "shift_bp"),
    ("scenario,sector,tenor,shift_bp\n,*,*,5\n", 2, "scenario"),
    ("scenario,sector,tenor,shift_bp\nx,*,2Y,5\nx,*,2y,6\n", 3, "tenor"),
    ("scenario,sector,tenor,shift_bp\nx,*,*,0.2e4\n", 2, "shift_bp"),
])
def test_bad_scenario_csv(tmp_path, body, row, col):
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(InputError) as ei:
        read_scenarios_csv(f)
    assert ei.value.file == str(f) and ei.value.row == row and ei.value.column == col


def test_bad_scenario_csv_exits_2(tmp_path, capsys):
    from optimizer.cli import main
    f = tmp_path / "bad.csv"
    f.write_text("scenario,sector,tenor,shift_bp\nok,*,*,10\nbad,Corporate,10Y,ten\n")
    pos = tmp_path / "pos.csv"
    pos.write_text("contract,contracts\nZN,-100\n")
    code = main(["scenarios", "--positions", str(pos), "--set", str(f), "--no-replays",
                 "--daily-window", "none"])
    assert code == 2
    err = capsys.readouterr().err
    assert str(f) in err and "row 3" in err and "column 'shift_bp'" in err


def test_scenarios_cli_positions_json_and_report(tmp_path, capsys):
    import json

    from optimizer.cli import main
    pos = tmp_path / "pos.csv"
    pos.write_text("contract,contracts,sector\nZN,-1500,Treasury\nSSF10,-900,Corporate\n")
    rep = tmp_path / "r.html"
    code = main(["scenarios", "--positions", str(pos), "--asof", ASOF, "--json",
                 "--daily-window", "3m", "--report", str(rep)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    names = [s["scenario"] for s in doc["scenarios"]]
    assert SPEC10 in names and "Lehman 2008" in names and "parallel +200bp" in names
    s = doc["scenarios"][0]
    assert s["net_pnl"] == pytest.approx(s["holdings_pnl"] + s["hedge_pnl"])
    assert doc["regression_effectiveness"]["daily"]["n"] > 40
    html = rep.read_text()
    assert 'data-chart="scenario-pnl"' in html and "Lehman 2008" in html


# ----------------------------------------------------------------------------- one hedged item
@pytest.fixture(scope="module")
def both_paths():
    """The default mandate's hedge, through the mandate path and as positions (the positions
    format the hedge writes): built-in scenarios only."""
    from optimizer import hedge, scenarios

    h = hedge(None, None, ASOF)
    kw = {"replays": False, "daily_window": None}
    return (scenarios(None, None, ASOF, **kw).to_dict(),
            scenarios(None, None, ASOF, positions=h.to_frame(), **kw).to_dict())


def test_positions_and_mandate_paths_give_the_same_effectiveness(both_paths):
    """Issue 11 item 6: the same contracts give the same effectiveness whichever way they came
    in (before: 77-82% with --positions vs 93-105% from the mandate at +-50/100 bp)."""
    man, pos = both_paths
    assert man["hedged_item"] == pos["hedged_item"]
    assert man["hedge"] == pos["hedge"]
    for a, b in zip(man["scenarios"], pos["scenarios"], strict=True):
        assert a["scenario"] == b["scenario"]
        assert a["hedge_pnl"] == pytest.approx(b["hedge_pnl"], rel=1e-12)
        assert a["hedged_item_pnl"] == pytest.approx(b["hedged_item_pnl"], rel=1e-12)
        if a["effectiveness"] is not None:
            assert a["effectiveness"] == pytest.approx(b["effectiveness"], rel=1e-12)
    par = {s["scenario"]: s for s in pos["scenarios"]}
    for name in ("parallel +50bp", "parallel -50bp", "parallel +100bp", "parallel -100bp"):
        assert 0.80 <= par[name]["effectiveness"] <= 1.25, (name, par[name]["effectiveness"])


def test_hedged_item_is_the_mandates_hedged_fraction_of_each_sector(both_paths):
    """Default mandate: Treasury and agency hedged to zero (f = 1), corporates to half
    (f = 1/2); the hedged item of every scenario is sum f_s x the sector's holdings P&L."""
    _, doc = both_paths
    f = doc["hedged_item"]["fractions"]
    assert f == pytest.approx({"Treasury": 1.0, "Agency": 1.0, "Corporate": 0.5})
    for r in doc["scenario_results"]:
        item = sum(f.get(s["sector"], 0.0) * s["holdings_pnl"] for s in r["by_sector"])
        assert r["hedged_item_pnl"] == pytest.approx(item, rel=1e-12, abs=1e-6)


def test_attribution_curve_spread_basis(both_paths):
    _, doc = both_paths
    rows = {r["scenario"]: r for r in doc["scenario_results"]}
    for r in rows.values():
        a = r["attribution"]
        assert a["curve_usd"] + a["spread_usd"] + a["basis_usd"] == pytest.approx(r["net_pnl"])
    # every curve moves together: nothing from spreads
    assert rows["parallel +50bp"]["attribution"]["spread_usd"] == pytest.approx(0.0, abs=1e-6)
    # only non-Treasury sector yields move (swap spread unchanged): all of it is spread P&L,
    # and futures on unchanged curves neither move nor show basis
    w = rows["spread widening +50"]
    assert w["attribution"]["curve_usd"] == pytest.approx(0.0, abs=1e-6)
    assert w["hedge_pnl"] == pytest.approx(0.0, abs=1e-6)
    assert w["attribution"]["spread_usd"] == pytest.approx(w["holdings_pnl"])
    # basis = what the futures do beyond their DV01 + convexity
    for r in rows.values():
        assert r["attribution"]["basis_usd"] == pytest.approx(r["hedge_pnl"]
                                                              - r["approx_hedge_pnl"])


def test_scenarios_cli_takes_positions_and_the_mandate_flags(tmp_path, capsys):
    import json

    from optimizer.cli import main
    pos = tmp_path / "pos.csv"
    pos.write_text("contract,contracts,sector\nZNU5,-1500,Treasury\nSSF10U5,-900,Corporate\n")
    assert main(["scenarios", "--positions", str(pos), "--asof", ASOF, "--target",
                 "Corporate=0", "--no-replays", "--daily-window", "none", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["hedged_item"]["fractions"]["Corporate"] == pytest.approx(1.0)
    assert doc["hedge"] == [{"contract": "ZNU5", "contracts": -1500},
                            {"contract": "SSF10U5", "contracts": -900}]
