"""Bundled-data loaders and the bond-market calendar, checked against the raw CSV files."""

import csv

import pandas as pd
import pytest

from data.errors import InputError
from data.loaders import (
    PAR_CURVE_FILE,
    latest_curve_date,
    outstanding_nominals,
    par_curve,
    par_curve_window,
    sofr_on,
    tenor_to_years,
)
from models import calendar as cal


def _raw_row(date: str) -> dict:
    with open(PAR_CURVE_FILE) as fh:
        for r in csv.DictReader(fh):
            if r["date"] == date:
                return r
    raise KeyError(date)


def test_par_curve_on_a_date_is_the_file_row_in_decimals():
    c = par_curve("2025-07-11")
    raw = _raw_row("2025-07-11")
    assert c.asof == pd.Timestamp("2025-07-11") and c.note is None
    for tenor, v in c.par_yield_dec.items():
        assert v == pytest.approx(float(raw[tenor]) / 100)


def test_weekend_uses_nearest_earlier_business_day_and_says_so():
    c = par_curve("2025-07-06")  # a Sunday after the July 4 holiday
    assert c.asof == pd.Timestamp("2025-07-03")
    assert "2025-07-03" in c.note and "nearest earlier" in c.note


def test_missing_tenors_are_dropped_not_invented():
    c = par_curve("2004-01-02")  # 30Y not published 2002-2006
    assert "30Y" not in c.par_yield_dec.index and "20Y" in c.par_yield_dec.index


def test_dates_outside_history_are_errors():
    with pytest.raises(InputError):
        par_curve("1989-12-29")
    with pytest.raises(InputError):
        par_curve(latest_curve_date() + pd.Timedelta(days=30))
    with pytest.raises(InputError):
        par_curve("2025-13-01")


def test_window_and_sofr():
    w = par_curve_window("2025-07-01", "2025-07-11")
    assert w.index.min() >= pd.Timestamp("2025-07-01") and len(w) == 8  # July 4 closed
    assert w.loc["2025-07-11", "10Y"] == pytest.approx(float(_raw_row("2025-07-11")["10Y"]) / 100)
    d, r = sofr_on("2025-07-12")
    assert d == pd.Timestamp("2025-07-11") and 0 < r < 0.1


def test_outstanding_nominals_are_alive_on_the_date():
    df = outstanding_nominals("2025-07-11")
    assert (df["maturity_date"] > "2025-07-11").all()
    assert (df["original_issue_date"] <= "2025-07-11").all()
    assert (df["security_class"] == "nominal").all() and len(df) > 300


def test_tenor_labels():
    assert tenor_to_years("10Y") == 10 and tenor_to_years("6M") == 0.5
    with pytest.raises(InputError):
        tenor_to_years("ten years")


@pytest.mark.parametrize("day, open_", [
    ("2025-04-18", False),  # Good Friday: SIFMA full close
    ("2025-10-13", False),  # Columbus Day: bond market closed, equities open
    ("2025-11-11", False),  # Veterans Day
    ("2012-10-30", False),  # Hurricane Sandy (special closure added to the library's calendar)
    ("2025-07-03", True),
    ("2025-07-05", False),  # Saturday
])
def test_bond_calendar(day, open_):
    assert cal.is_business_day(day) is open_


def test_business_day_arithmetic():
    assert cal.add_business_days("2025-07-03", 1) == pd.Timestamp("2025-07-07")
    assert cal.previous_business_day("2025-07-07") == pd.Timestamp("2025-07-03")
    assert cal.settlement_date("2025-07-03") == pd.Timestamp("2025-07-07")
    # every date the Treasury published a curve in 2016-2024 is a business day
    w = par_curve_window("2016-01-01", "2024-12-31")
    assert all(cal.is_business_day(d) for d in w.index)
