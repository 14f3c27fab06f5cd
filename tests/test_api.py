"""The Python API (issue 14): lazy names, typed results, the runnable docs/api_example.py, and
what the hedge result states (the constrained duration, |MV| for net-short books, key-rate
ladders per sector, the frontier, structured warnings)."""

from __future__ import annotations

import runpy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
ASOF = "2025-07-11"


def test_import_is_lazy_and_names_resolve():
    code = ("import sys, optimizer\n"
            "heavy = [m for m in ('pandas', 'cvxpy', 'statsmodels', 'scipy') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "from optimizer import hedge, rebalance, scenarios, backtest, frontier, Mandate\n"
            "assert all(callable(f) for f in (hedge, rebalance, scenarios, backtest, frontier))\n"
            "print(sorted(optimizer.__all__))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "'hedge'" in r.stdout and "'backtest'" in r.stdout
    import optimizer

    with pytest.raises(AttributeError):
        optimizer.no_such_name  # noqa: B018


def test_api_example_runs(tmp_path, capsys):
    """docs/api_example.py, as a user runs it (the daily loop in Python)."""
    ns = runpy.run_path(str(ROOT / "docs" / "api_example.py"))
    out = ns["main"](tmp_path)
    printed = capsys.readouterr().out
    assert "hedge optimal" in printed and "rebalance:" in printed and "worst scenario" in printed
    pos = pd.read_csv(tmp_path / "positions.csv")
    assert list(pos.columns[:3]) == ["contract", "contracts", "sector"]
    assert out["hedge"]["command"] == "hedge" and out["rebalance"]["command"] == "rebalance"
    assert [r["margin_budget_usd"] for r in out["frontier"]["frontier"]] == [12e6, 14e6, 18e6]
    s = out["scenarios"]["scenarios"][0]
    a = s["attribution"]
    assert a["curve_usd"] + a["spread_usd"] + a["basis_usd"] == pytest.approx(s["net_pnl"])


@pytest.fixture(scope="module")
def duration_hedge():
    from optimizer import hedge, load_mandate

    m = replace(load_mandate(), target_duration=4.0)
    return hedge(None, m, ASOF, frontier=[8e6, 12e6])


def test_duration_target_prints_the_constrained_duration(duration_hedge):
    """--target-duration 4 constrains the beta-adjusted portfolio DV01: that is the duration
    printed (the unadjusted model figure is labelled separately)."""
    from optimizer.cli.commands.hedge import render_text

    doc = duration_hedge.to_dict()
    port = doc["portfolio"]
    mv = port["market_value"]
    assert port["duration_target"] == pytest.approx(4.0)
    assert abs(port["duration_after"] - 4.0) <= 0.02 + 1e-9      # the band it was solved to
    # recomputed: beta-adjusted sector DV01s + hedge DV01 over MV
    beta_adj = sum(s["dv01_before"] for s in doc["sectors"])
    hedge_dv01 = sum(p["contracts"] * p["contract_dv01"] for p in doc["positions"])
    assert port["duration_after"] == pytest.approx((beta_adj + hedge_dv01) / mv * 1e4)
    assert port["model_duration_after"] == pytest.approx(
        (port["model_dv01_before"] + hedge_dv01) / mv * 1e4)
    assert port["model_duration_after"] != pytest.approx(port["duration_after"], abs=0.02)
    text = render_text(doc)
    assert f"-> {port['duration_after']:.2f} (target 4.00)" in text
    assert "unadjusted model DV01" in text and "not what the mandate constrains" in text


def test_frontier_points_in_the_hedge_result(duration_hedge):
    rows = duration_hedge.to_dict()["frontier"]
    assert [r["margin_budget_usd"] for r in rows] == [8e6, 12e6]
    assert {"tracking_error_usd", "status"} <= set(rows[0])
    te = [r["tracking_error_usd"] for r in rows if r["tracking_error_usd"] is not None]
    assert te == sorted(te, reverse=True)


def test_sector_key_rate_ladders_add_up(duration_hedge):
    """Per sector: after = the sector's key-rate DV01s + its designated contracts' key-rate
    DV01s; the sectors' ladders add up to the portfolio's."""
    doc = duration_hedge.to_dict()
    kr_i = {i["contract"]: i["key_rate_dv01"] for i in doc["instruments"]}
    port = {k["tenor"]: k for k in doc["key_rates"]}
    for s in doc["sectors"]:
        mine = [p for p in doc["positions"] if p["sector"] == s["sector"]]
        for k in s["key_rates"]:
            add = sum(p["contracts"] * kr_i[p["contract"]][k["tenor"]] for p in mine)
            assert k["dv01_after"] == pytest.approx(k["dv01_before"] + add, abs=1e-6)
    for t, k in port.items():
        for key in ("dv01_before", "dv01_after"):
            total = sum(next(x for x in s["key_rates"] if x["tenor"] == t)[key]
                        for s in doc["sectors"])
            assert total == pytest.approx(k[key], rel=1e-9, abs=1e-6)


def test_warnings_are_structured_and_stated_once(duration_hedge):
    w = duration_hedge.to_dict()["warnings"]
    assert w and all(set(x) == {"code", "severity", "subject", "message"} for x in w)
    assert all(x["severity"] in ("info", "warning", "error") for x in w)
    keys = [(x["code"], x["message"]) for x in w]
    assert len(keys) == len(set(keys))
    proxy = [x for x in w if x["code"].startswith("swap_curve_proxy")]
    assert len(proxy) <= 1  # one notice for every swap future it concerns


def _short_book() -> pd.DataFrame:
    from data.holdings import read_holdings
    from optimizer.assemble import DEFAULT_PORTFOLIO

    book = read_holdings(DEFAULT_PORTFOLIO, asof=ASOF)
    return book.assign(par=-book["par"])  # the whole book short


def test_all_short_book_reports_against_absolute_market_value():
    """An all-short portfolio: MV < 0, DV01 < 0. Leverage and bp of MV use |MV|; no NaN."""
    from optimizer import hedge, load_mandate
    from optimizer.cli.commands.hedge import render_text

    m = replace(load_mandate(), max_leverage=None, no_net_short=False)
    doc = hedge(_short_book(), m, ASOF).to_dict()
    port, lev, te = doc["portfolio"], doc["leverage"], doc["tracking_error"]
    assert port["market_value"] < 0 and port["model_dv01_before"] < 0
    assert lev["ratio"] == pytest.approx(lev["gross_notional"] / abs(port["market_value"]))
    assert te["after_bp"] == pytest.approx(te["after_usd"] / abs(port["market_value"]) * 1e4)
    assert lev["ratio"] > 0 and te["after_bp"] > 0 and port["duration_before"] > 0
    # the hedge of a short book buys futures
    assert sum(p["dv01"] for p in doc["positions"]) > 0
    assert "nan" not in render_text(doc).lower()


def test_all_short_book_meets_a_leverage_limit():
    from optimizer import hedge, load_mandate

    doc = hedge(_short_book(), replace(load_mandate(), no_net_short=False), ASOF).to_dict()
    assert doc["leverage"]["ratio"] <= doc["leverage"]["limit"] + 1e-12
    assert np.isfinite(doc["tracking_error"]["after_bp"])
