import pandas as pd
import pytest

from data.errors import InputError
from models.sofr_futures import sr3_price, sr3_risk, third_wednesday


def test_sr3_price_and_dv01_sign():
    assert sr3_price(4.25) == pytest.approx(95.75)
    r = sr3_risk("SR3Z5", "2025-07-11", rate_pct=3.9)
    assert r.dv01_usd_per_contract == 25.0  # long gains $25 when rates fall 1 bp (SPEC §3)
    # $25 = $1,000,000 x 0.25 year x 1 bp
    assert r.notional_usd == pytest.approx(1_000_000)
    assert sum(r.key_rate_dv01.values()) == pytest.approx(25.0)
    assert set(r.key_rate_dv01) <= {"3M", "6M", "1Y", "2Y"}


def test_reference_quarter_imm_dates():
    assert third_wednesday(2025, 12) == pd.Timestamp("2025-12-17")
    assert third_wednesday(2026, 3) == pd.Timestamp("2026-03-18")
    r = sr3_risk("SR3U5", "2025-07-11", price=96.0)
    assert r.reference_start == pd.Timestamp("2025-09-17")
    assert r.reference_end == pd.Timestamp("2025-12-17")
    # midpoint ~0.37y from as-of: between 3M and 6M keys
    assert set(r.key_rate_dv01) == {"3M", "6M"}


def test_bad_sr3():
    with pytest.raises(InputError):
        sr3_risk("ZNU5", "2025-07-11", rate_pct=4)
    with pytest.raises(InputError):
        sr3_risk("SR3U25", "2026-01-10", rate_pct=4)  # reference quarter over
    with pytest.raises(InputError):
        sr3_risk("SR3Z5", "2025-07-11")
