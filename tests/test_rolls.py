"""Rolls: window dates, DV01-neutral sizing, roll cost = calendar spread x contract value, FND."""

from __future__ import annotations

import pandas as pd
import pytest

from data.errors import InputError
from optimizer.workflows.rolls import (
    contract_dates,
    cost_per_contract,
    next_contract,
    plan_rolls,
    point_value,
    roll_orders,
)

# ZNU4: first notice day Fri 2024-08-30 -> roll window opens 5 business days earlier, Fri 08-23
DV01 = {"ZNU4": 65.475, "ZNZ4": 68.482, "ZFU4": 42.30, "ZFZ4": 45.31}
PX = {"ZNU4": 113.794, "ZNZ4": 114.333, "ZFU4": 109.254, "ZFZ4": 109.807}


def stub(code, asof):
    return DV01[code], PX[code], "theoretical"


def test_contract_dates_and_next():
    d = contract_dates("ZNU4", "2024-08-01")
    assert d.first_notice_day == pd.Timestamp("2024-08-30")
    assert d.roll_start == pd.Timestamp("2024-08-23")
    assert contract_dates("ZNU4", "2024-08-01", roll_days=10).roll_start == pd.Timestamp(
        "2024-08-16")
    assert next_contract("ZNU4", "2024-08-01") == "ZNZ4"
    assert next_contract("ZNZ4", "2024-08-01") == "ZNH5"


@pytest.mark.parametrize("asof,rolled", [("2024-08-22", False), ("2024-08-23", True),
                                         ("2024-08-29", True)])
def test_roll_on_the_right_dates(asof, rolled):
    plan = plan_rolls({"ZNU4": -250}, asof, risk=stub)
    assert bool(plan.rolls) is rolled
    assert plan.held == ({"ZNZ4": -239} if rolled else {"ZNU4": -250})


def test_sep_to_dec_keeps_dv01_and_roll_cost_is_the_spread():
    plan = plan_rolls({"ZNU4": -250, "ZFU4": 400}, "2024-08-26", risk=stub)
    by = {r.from_contract: r for r in plan.rolls}
    zn, zf = by["ZNU4"], by["ZFU4"]
    assert zn.to_contract == "ZNZ4" and zf.to_contract == "ZFZ4"
    assert zn.new_contracts == round(-250 * DV01["ZNU4"] / DV01["ZNZ4"]) == -239
    for r in (zn, zf):
        # overlay DV01 kept within half a new contract's DV01 (integer rounding)
        assert abs(r.position_dv01_after - r.position_dv01_before) <= 0.5 * r.dv01_new
        # roll cost = (new - old) x contract size / 100 x contracts
        assert r.roll_cost_usd == pytest.approx(
            (PX[r.to_contract] - PX[r.from_contract]) * 1000.0 * r.old_contracts)
    # the deferred month is dearer here: rolling the short earns, rolling the long costs
    assert zn.roll_cost_usd < 0 < zf.roll_cost_usd
    assert plan.total_roll_cost_usd == pytest.approx(zn.roll_cost_usd + zf.roll_cost_usd)
    total_before = sum(r.position_dv01_before for r in plan.rolls)
    total_after = sum(r.position_dv01_after for r in plan.rolls)
    assert abs(total_after - total_before) <= 0.5 * (DV01["ZNZ4"] + DV01["ZFZ4"])


def test_user_prices_override_and_orders():
    plan = plan_rolls({"ZNU4": -250}, "2024-08-26", risk=stub,
                      prices={"ZNU4": 113.25, "ZNZ4": 113.0})
    r = plan.rolls[0]
    assert r.price_source_old == r.price_source_new == "given"
    # short rolls: buy back Sep at 113-08, sell Dec at 113-00: 8/32 x $1,000 x 250 = $62,500 cost
    assert r.roll_cost_usd == pytest.approx(62_500.0)
    o = roll_orders(plan)
    assert [(x["contract"], x["side"], x["quantity"]) for x in o] == [
        ("ZNU4", "BUY", 250), ("ZNZ4", "SELL", 239)]
    half_tick = cost_per_contract("ZN")
    assert half_tick == pytest.approx(7.8125)
    assert o[0]["est_cost_usd"] == pytest.approx(250 * half_tick)
    assert o[1]["est_cost_usd"] == pytest.approx(239 * half_tick + 62_500.0)


def test_past_first_notice_day_is_an_error_unless_delivering():
    with pytest.raises(InputError) as ei:
        plan_rolls({"ZNU4": 100}, "2024-08-30", risk=stub, source="pos.csv", rows={"ZNU4": 2})
    msg = str(ei.value)
    assert "first notice day 2024-08-30" in msg and "--deliver" in msg
    assert "pos.csv" in msg and "row 2" in msg
    plan = plan_rolls({"ZNU4": 100}, "2024-08-30", risk=stub, deliver=True)
    assert plan.rolls == [] and plan.held == {"ZNU4": 100} and plan.kept_for_delivery == ["ZNU4"]


def test_point_values():
    assert point_value("ZN") == 1000.0 and point_value("ZT") == 2000.0
    assert point_value("SR3") == 2500.0 and point_value("SSF10") == 1000.0


def test_roll_with_model_prices():
    """Real basket prices on 2024-08-26: DV01 kept, cost = spread x $1,000 x contracts."""
    plan = plan_rolls({"ZNU4": -250}, "2024-08-26")
    r = plan.rolls[0]
    assert r.to_contract == "ZNZ4" and r.price_source_new == "theoretical"
    assert abs(r.position_dv01_after - r.position_dv01_before) <= 0.5 * r.dv01_new
    assert r.roll_cost_usd == pytest.approx((r.price_new - r.price_old) * 1000.0 * -250)
