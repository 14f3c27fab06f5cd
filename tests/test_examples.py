"""Every SPEC §10 value from `overlay examples --json` (values typed from the SPEC)."""

import json
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def ex():
    out = subprocess.run([sys.executable, "-m", "optimizer.cli", "examples", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return {d["name"]: d["results"] for d in json.loads(out)["examples"]}


def test_duration_reduction(ex):
    r = ex["duration_reduction"]
    assert r["dv01_before"] == pytest.approx(75_000)
    assert r["contracts"] == -303 and r["notional"] == pytest.approx(30.3e6)


def test_five_bond(ex):
    r = ex["five_bond"]
    assert r["market_value"] == pytest.approx(99_135_000, abs=0.5)
    assert r["dv01"] == pytest.approx(77_648.95, abs=0.005)
    assert round(r["duration"], 2) == 7.83
    assert round(r["contracts_unrounded"], 1) == -338.3 and r["contracts_beta"] == -321


def test_ctd_duration_effective(ex):
    assert round(ex["ctd_adjusted"]["futures_dv01"], 2) == 71.98
    assert ex["ctd_adjusted"]["contracts"] == -1042
    assert round(ex["duration_based"]["contracts_unrounded"], 1) == 187.3
    assert ex["duration_based"]["contracts"] == -187
    assert ex["effective_duration"]["effective_duration"] == pytest.approx(1.26)


def test_sector_hedge(ex):
    r = ex["sector_hedge"]
    assert r["sector_dv01"] == {"Treasury": 172_096, "Corporate": 235_138}
    assert r["portfolio_dv01"] == 407_277
    assert (r["full_portfolio_tnotes"], r["full_portfolio_swaps"]) == (-5618, -5289)
    assert (r["treasury_with_tnotes"], r["corporate_with_swaps"]) == (-2374, -3054)
    s = r["scenario"]
    assert s["portfolio_pnl"] == pytest.approx(-17_550_200)
    assert s["tnote_only_pnl"] == pytest.approx(8_146_100)
    assert s["tnote_only_mismatch"] == pytest.approx(-9_404_100)
    assert s["swap_only_pnl"] == pytest.approx(24_435_180)
    assert s["swap_only_mismatch"] == pytest.approx(6_884_980)
    assert s["split_pnl"] == pytest.approx(17_551_780)
    assert s["split_mismatch"] == pytest.approx(1_580)
    opt = r["optimizer"]
    # the optimizer's choice is at least as good as each textbook alternative under its model
    for alt in opt["alternatives_te_usd"].values():
        assert opt["tracking_error_usd"] <= alt * (1 + 1e-9)


def test_te_budget_and_swap_futures(ex):
    assert round(ex["te_budget"]["total_bp"], 1) == 18.9
    assert ex["swap_futures"]["price_at_6pct"] == pytest.approx(100_000.00, abs=0.005)
    assert ex["swap_futures"]["price_at_5_25pct"] == pytest.approx(105_777.50, abs=0.005)
    assert ex["swap_futures"]["dv01_at_5_63pct"] == pytest.approx(77, abs=0.5)
