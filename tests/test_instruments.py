import pytest

from data.errors import InputError
from models import calendar as cal
from models.futures import contract_calendar
from models.instruments import front_contract, instrument_risk, map_to_key_tenors

KT = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]


def test_front_contract_rolls_five_business_days_before_first_notice():
    fnd = contract_calendar("ZNU5", "2025-07-11").first_notice_day
    roll = cal.add_business_days(fnd, -5)
    assert front_contract("ZN", cal.add_business_days(roll, -1)) == "ZNU5"
    assert front_contract("ZN", roll) == "ZNZ5"
    assert front_contract("ZT", "2025-01-02") == "ZTH5"


def test_map_to_key_tenors_preserves_total_and_interpolates():
    out = map_to_key_tenors({"1Y": 10.0, "4Y": 30.0, "10Y": 5.0, "40Y": 1.0}, KT)
    assert sum(out.values()) == pytest.approx(46.0)
    assert out["2Y"] == pytest.approx(10.0)            # below the first key: flat
    assert out["3Y"] == pytest.approx(15.0) and out["5Y"] == pytest.approx(15.0)  # 4Y halfway
    assert out["30Y"] == pytest.approx(1.0)


def test_instrument_risks_are_consistent():
    zn = instrument_risk("ZN", "2025-07-11", KT)
    assert zn.contract == "ZNU5" and zn.kind == "treasury_future"
    assert sum(zn.key_rate_dv01.values()) == pytest.approx(zn.dv01_usd, rel=0.01)
    assert zn.notional_usd == pytest.approx(100_000 * zn.price / 100)
    ssf = instrument_risk("SSF10", "2025-07-11", KT)
    assert ssf.swap_spread_dv01_usd == pytest.approx(ssf.dv01_usd)
    assert any("proxy" in f for f in ssf.flags)
    with pytest.raises(InputError):
        instrument_risk("XYZ", "2025-07-11", KT)
