"""Transition-management bridge and cash equitization."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from data.errors import InputError
from optimizer.workflows.programs import equitization, transition_schedule

START = pd.Timestamp("2025-06-02")
WEEKLY = [(START + pd.Timedelta(days=7 * k), 200e6, 6.5) for k in range(1, 5)]


def flat_risk(root, d):
    return {"contract": "ZNU5", "dv01": 65.0, "price": 110.5, "initial_margin": 2530.0,
            "notional": 110_500.0}


def test_transition_example_bridge_steps_down_exposure_on_target():
    """$800M of corporates (duration 6.5) sold on day 1, $200M bought back each week for four
    weeks: the bridge is 8,000 -> 6,000 -> 4,000 -> 2,000 -> 0 long ZN at $65/bp."""
    p = transition_schedule(start=START, sold_mv=800e6, sold_duration=6.5, buys=WEEKLY,
                            risk=flat_risk)
    f = p.frame()
    assert list(f["date"]) == [START + pd.Timedelta(days=7 * k) for k in range(5)]
    assert list(f["contracts"]) == [8000, 6000, 4000, 2000, 0]
    assert list(f["cash_usd"]) == [800e6, 600e6, 400e6, 200e6, 0.0]
    assert list(f["exposure_dv01"]) == pytest.approx([520_000.0] * 5) and f["on_target"].all()
    assert [(o["side"], o["quantity"]) for o in p.orders] == [("BUY", 8000)] + [("SELL", 2000)] * 4


def test_transition_with_model_dv01_and_a_roll():
    """Real ZN DV01s on each date; the bridge stays within half a contract of the target, and
    crossing the September roll window moves it to December."""
    buys = [(pd.Timestamp(d), 200e6, 6.5)
            for d in ("2025-07-07", "2025-07-21", "2025-08-04", "2025-08-25")]
    p = transition_schedule(start="2025-06-30", sold_mv=1000e6, sold_duration=6.5, buys=buys)
    f = p.frame()
    assert f["on_target"].all()
    assert (f["error_usd"].abs() <= 0.5 * f["contract_dv01"] + 1e-9).all()
    assert f["contracts"].is_monotonic_decreasing and f["contracts"].iloc[-1] > 0
    assert list(f["contract"]) == ["ZNU5"] * 4 + ["ZNZ5"]  # 08-25 is inside ZNU5's roll window
    rolls = [o for o in p.orders if o["reason"].startswith("roll")]
    assert [(o["contract"], o["side"]) for o in rolls] == [("ZNU5", "SELL")]
    assert p.orders[-1]["contract"] == "ZNZ5" and p.orders[-1]["side"] == "BUY"
    # dates after the bundled curve are flagged
    assert any("last bundled curve" in w for w in p.warnings)


def test_transition_split_and_errors():
    p = transition_schedule(start=START, sold_mv=800e6, sold_duration=6.5, buys=WEEKLY,
                            roots={"ZN": 0.5, "ZF": 0.5}, risk=flat_risk)
    assert p.frame()["on_target"].all()
    with pytest.raises(InputError):
        transition_schedule(start=START, sold_mv=800e6, sold_duration=6.5,
                            buys=[(START - pd.Timedelta(days=1), 1e6, 5.0)], risk=flat_risk)
    with pytest.raises(InputError):
        transition_schedule(start=START, sold_mv=800e6, sold_duration=6.5, buys=WEEKLY,
                            roots={"ZN": 0.7}, risk=flat_risk)


def test_equitization_contracts_carry_and_margin():
    e = equitization(cash=500e6, target_duration=6.0, asof="2025-07-11", contract="ZN")
    assert e.contract == "ZNU5"
    assert e.contracts == round(500e6 * 6.0 * 1e-4 / e.contract_dv01)
    assert abs(e.futures_dv01 - e.target_dv01) <= 0.5 * e.contract_dv01
    assert e.initial_margin_usd == pytest.approx(e.contracts * 2530.0)
    # theoretical price = CTD forward / CF, so the carry is (spot - forward) / CF per 100
    c = e.ctd
    assert e.carry_per_contract_to_delivery == pytest.approx(
        (c["price"] - c["forward_price"]) / c["conversion_factor"] * 1000.0, rel=1e-9)
    assert e.horizon_days == e.days_to_delivery
    assert e.cash_interest_usd == pytest.approx(500e6 * e.repo_pct / 100 * e.horizon_days / 360)
    half = equitization(cash=500e6, target_duration=6.0, asof="2025-07-11",
                        horizon_days=e.days_to_delivery // 2)
    assert half.expected_futures_carry_usd == pytest.approx(
        e.expected_futures_carry_usd * (e.days_to_delivery // 2) / e.days_to_delivery)


def test_cli_program_transition_and_equitize(tmp_path, capsys):
    from optimizer.cli import main

    orders = tmp_path / "o.csv"
    assert main(["program", "transition", "--sold", "800m", "--sold-duration", "6.5",
                 "--start", "2025-06-02", "--weekly", "200m", "--weeks", "4", "--json",
                 "--orders", str(orders)]) == 0
    doc = json.loads(capsys.readouterr().out)
    sched = doc["schedule"]
    assert len(sched) == 5 and all(s["on_target"] for s in sched)
    assert sched[-1]["contracts"] == 0 and sched[0]["contracts"] > sched[1]["contracts"]
    assert orders.read_text().startswith("date,contract,side,quantity,price,est_cost_usd")
    assert main(["program", "equitize", "--cash", "100m", "--duration", "5",
                 "--asof", "2025-07-11"]) == 0
    assert "BUY" in capsys.readouterr().out
    assert main(["program", "transition", "--sold", "x", "--sold-duration", "6.5",
                 "--start", "2025-06-02", "--weekly", "200m", "--weeks", "4"]) == 2
