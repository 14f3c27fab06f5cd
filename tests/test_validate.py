"""optimizer.validate: the pure validators, against hand-checked facts (calendar, CME listing
cycle, SIFMA holidays, TOML line numbers, transition arithmetic)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.errors import InputError
from optimizer import validate as v


def _err(fn, *a, **k) -> InputError:
    with pytest.raises(InputError) as ei:
        fn(*a, **k)
    return ei.value


# ------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize("text,words", [
    ("2025-13-01", "month 13 does not exist"),
    ("2025-02-29", "February 2025 has 28 days"),
    ("2025-04-31", "April 2025 has 30 days"),
    ("07/11/2025", "YYYY-MM-DD"),
    ("2025-7-11", "YYYY-MM-DD"),
    ("", "YYYY-MM-DD"),
    ("yesterday", "YYYY-MM-DD"),
])
def test_iso_date_rejects(text, words):
    e = _err(v.iso_date, text, "--asof")
    assert words in e.message and e.field == "--asof"
    assert str(e).startswith("--asof: ")


def test_iso_date_accepts_real_dates():
    assert v.iso_date("2024-02-29") == dt.date(2024, 2, 29)  # a leap day
    assert v.iso_date(pd.Timestamp("2025-07-11")) == dt.date(2025, 7, 11)
    assert v.iso_date(dt.datetime(2025, 7, 11, 15, 30)) == dt.date(2025, 7, 11)


def test_curve_range_matches_the_file_read_by_pandas():
    from data.loaders import PAR_CURVE_FILE

    dates = pd.read_csv(PAR_CURVE_FILE, usecols=["date"], parse_dates=["date"])["date"]
    assert v.curve_date_range() == (dates.min().date(), dates.max().date())


def test_market_date_range():
    first, last = v.curve_date_range()
    assert v.market_date(str(last + dt.timedelta(days=7))) == last + dt.timedelta(days=7)
    e = _err(v.market_date, str(last + dt.timedelta(days=8)), "--asof")
    assert f"({first} .. {last})" in e.message and "after" in e.message
    assert "before" in _err(v.market_date, "1985-06-03").message


# ---------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("fn,value,words", [
    (v.margin_budget_usd, "-1", "positive"),
    (v.margin_budget_usd, "0", "positive"),
    (v.margin_budget_usd, "12", "12e6 or 12m"),
    (v.margin_budget_usd, "nan", "finite"),
    (v.margin_budget_usd, "12 million", "not an initial-margin budget"),
    (v.max_leverage, "-0.5", "> 0"),
    (v.max_leverage, "60", "0.6 for 60%"),
    (v.max_instruments, "0", "at least one"),
    (v.max_instruments, "2.5", "whole number"),
    (v.turnover, "-5", ">= 0"),
    (v.turnover, "1e400", "finite"),
    (v.duration_years, "450", "[0, 50]"),
    (v.time_limit_s, "0", "(0, 3600]"),
    (v.window, "3x", "not a window"),
    (v.window, "0y", "not a window"),
    (v.tolerance_pct, "-2", "[0, 100]"),
])
def test_number_validators_reject(fn, value, words):
    e = _err(fn, value, "--flag")
    assert words in e.message, e.message


def test_number_validators_accept_units_and_spellings():
    assert v.margin_budget_usd("12m") == 12e6
    assert v.margin_budget_usd("$1.5bn") == 1.5e9
    assert v.margin_budget_usd("12,000,000") == 12e6
    assert v.margin_budget_usd(8e6) == 8e6
    assert v.max_leverage("0.6") == 0.6
    assert v.max_instruments("3") == 3 and v.max_instruments(3.0) == 3
    assert v.turnover("0") == 0
    assert v.window("18M") == "18m" and v.window("all") == "all"


@pytest.mark.parametrize("text,expect", [
    ("Treasury=0", ("Treasury", {"dv01_usd": 0.0})),
    ("Corporate=50%", ("Corporate", {"dv01_pct": 50.0})),
    (" Corporate = 4.5y ", ("Corporate", {"duration": 4.5})),
    ("Agency=$-12,000", ("Agency", {"dv01_usd": -12000.0})),
])
def test_target_flag_parses(text, expect):
    assert v.target_flag(text) == expect


@pytest.mark.parametrize("text,words", [
    ("Corporate", "SECTOR=VALUE"), ("=5", "sector name is missing"),
    ("Corporate=", "value is missing"), ("Corporate=abc", "not a number"),
    ("Corporate=5000%", "[-1000, 1000]"), ("Corporate=99y", "[0, 50]"),
])
def test_target_flag_rejects(text, words):
    e = _err(v.target_flag, text, "--target")
    assert words in e.message and e.field == "--target"


# ----------------------------------------------------------------------------------- paths
def test_output_paths(tmp_path):
    assert v.output_path(tmp_path / "new" / "deeper" / "x.csv") == tmp_path / "new/deeper/x.csv"
    assert "is a directory" in _err(v.output_path, str(tmp_path), "--report").message
    assert "report.html" in _err(v.output_path, str(tmp_path), "--report").message
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert "is a file, not a folder" in _err(v.output_path, str(f / "x.csv")).message
    e = _err(v.distinct_outputs, {"--csv": str(tmp_path / "a"), "--report": str(tmp_path / "a")})
    assert e.field == "--report" and "--csv" in e.message


# ---------------------------------------------------------------------------------- sectors
def test_sector_names_match_case_insensitively_and_list_the_portfolio():
    assert v.sector_name(" corporate ", ["Treasury", "Corporate"]) == "Corporate"
    e = _err(v.sector_name, "Muni", ["Treasury", "Agency", "Corporate"], field="--target")
    assert "Treasury, Agency, Corporate" in e.message and "case-insensitively" in e.message


# -------------------------------------------------------------------------------- contracts
def test_listed_months_follow_the_cme_quarterly_cycle():
    """CME lists three consecutive quarterly Treasury futures: on 2025-07-11 ZN Sep-25, Dec-25,
    Mar-26. ZNU5's first notice day is 2025-08-29 (last business day of August): from then the
    September contract is in delivery and the new front is December."""
    assert v.listed_contracts("ZN", "2025-07-11") == ["ZNU5", "ZNZ5", "ZNH6"]
    assert v.listed_contracts("ZN", "2025-08-28") == ["ZNU5", "ZNZ5", "ZNH6"]
    assert v.listed_contracts("ZN", "2025-08-29") == ["ZNZ5", "ZNH6", "ZNM6"]


@pytest.mark.parametrize("code,words", [
    ("ZNH25", "(March 2025) has expired"),
    ("ZNH5", "(March 2025) has expired"),   # one digit: the nearest year, not March 2035
    ("ZNH0", "(March 2030) is not listed yet"),
    ("ZNM6", "(June 2026) is not listed yet"),
    ("XXU5", "unknown contract root"),
    ("ZNF5", "trades months H, M, U, Z"),
    ("NSF10", "2001-10-26 .. 2013-12-31"),
])
def test_contract_on_date_rejects(code, words):
    e = _err(v.contract_on_date, code, "2025-07-11", "--instruments")
    assert words in e.message, e.message
    if "listed" in words:
        assert "ZNU5, ZNZ5, ZNH6 (front ZNU5)" in e.message


def test_contract_on_date_accepts_roots_and_listed_months():
    assert v.instruments_on_date(["zn", "ZNZ5", "TYH26", "SSF10"], "2025-07-11") == [
        "ZN", "ZNZ5", "ZNH6", "SSF10"]
    assert "given twice" in _err(v.instruments_on_date, ["ZN", "zn"], "2025-07-11").message


def test_mandate_roots_not_traded_on_a_past_date_are_dropped_with_a_warning():
    from optimizer.mandate import load_mandate

    m, warns = v.mandate_instruments(load_mandate(), "2020-03-16")
    corp = m.target_for("Corporate")
    assert "SSF10" not in corp.instruments and "ZN" in corp.instruments
    assert any("SSF10 dropped" in w and "2023-01-01" in w for w in warns)
    same, none = v.mandate_instruments(load_mandate(), "2025-07-11")
    assert none == [] and same == load_mandate()


# ----------------------------------------------------------------------------------- mandate
def test_mandate_errors_name_file_and_line(tmp_path):
    from optimizer.mandate import load_mandate

    p = tmp_path / "m.toml"
    p.write_text('name = "x"\n[targets.Corporate]\ndv01_pct = 50\ntolerance_pct = 150\n'
                 "[contract_bounds.UB]\nmin = 10\nmax = -10\n")
    e = _err(load_mandate, p)  # the reader runs mandate_values
    assert e.file == str(p) and "[targets.Corporate.tolerance_pct] (line 4)" in e.message
    p.write_text('[targets.Corporate]\ndv01_pct = 50\n[contract_bounds.UB]\nmin = 10\n'
                 "max = -10\n")
    e = _err(load_mandate, p)
    assert "[contract_bounds.UB] (line 3)" in e.message and "min 10 is above max -10" in e.message
    p.write_text('[targets.Corporates]\ndv01_pct = 50\n')
    e = _err(v.mandate_sectors, load_mandate(p), ["Treasury", "Corporate"])
    assert "[targets.Corporates] (line 1)" in e.message and "Treasury, Corporate" in e.message


def test_house_mandate_on_a_smaller_book_warns_and_a_typo_fails():
    from optimizer.mandate import apply_overrides, load_mandate

    m = load_mandate()  # targets Treasury, Agency, Corporate
    warns = v.mandate_sectors(m, ["Treasury"])
    assert len(warns) == 2 and all("ignored" in w for w in warns)
    warns = v.mandate_sectors(m, ["Treasury", "Agency", "Corporate", "Muni"])
    assert warns == ["sector Muni has no target in the mandate: it is not hedged"]
    e = _err(v.mandate_sectors, m, ["Treasury", "Agency", "Corporates"])  # holdings typo
    assert "'Corporate' matches no sector" in e.message and "Corporates have no target" in \
        e.message
    e = _err(v.mandate_sectors, apply_overrides(m, targets=["Muni=0"]), ["Treasury", "Agency",
                                                                          "Corporate"])
    assert e.field == "--target" and "'Muni=0'" in e.message


# ---------------------------------------------------------------------------------- programs
def test_business_days_follow_the_sifma_calendar():
    assert v.business_day_on_or_after(dt.date(2025, 7, 4)) == dt.date(2025, 7, 7)  # July 4th
    assert v.business_day_on_or_after(dt.date(2025, 6, 7)) == dt.date(2025, 6, 9)  # Saturday
    assert v.business_day_on_or_after(dt.date(2025, 6, 9)) == dt.date(2025, 6, 9)


def test_transition_plan_rolls_dates_and_rejects_impossible_schedules():
    # $800M sold at duration 6.5: DV01 $520,000/bp. Four weekly $200M purchases at 6.5.
    buys = [(dt.date(2025, 6, 7) + dt.timedelta(days=7 * k), 200e6, 6.5) for k in range(4)]
    start, out, warns = v.transition_plan("2025-06-02", 800e6, 6.5, buys)
    assert start == dt.date(2025, 6, 2)
    assert [b[0] for b in out] == [dt.date(2025, 6, 9), dt.date(2025, 6, 16),
                                   dt.date(2025, 6, 23), dt.date(2025, 6, 30)]
    assert len(warns) == 4 and "(Saturday) is not a business day: moved to 2025-06-09" in warns[0]
    # a fifth purchase spends $1.0bn of $800M: cash taken negative
    e = _err(v.transition_plan, "2025-06-02", 800e6, 6.5, buys + [("2025-07-07", 200e6, 6.5)])
    assert "$1,000,000,000" in e.message and "negative" in e.message
    # $600M at duration 9 = DV01 $540,000 > the $520,000 target: the bridge flips short
    e = _err(v.transition_plan, "2025-06-02", 800e6, 6.5, [("2025-06-09", 600e6, 9.0)])
    assert "$540,000" in e.message and "$520,000" in e.message and "flip short" in e.message
    e = _err(v.transition_plan, "2025-06-02", 800e6, 6.5, [("2025-05-30", 100e6, 6.5)])
    assert "before the sale" in e.message


# ------------------------------------------------------------------------------ Python API
def test_typed_requests_use_the_same_validators_with_field_names():
    """The API names its own fields (the CLI rewrites them to flags); checked before any work."""
    from optimizer.mandate import Mandate, SectorTarget, apply_overrides, load_mandate
    from optimizer.workflows.hedge import HedgeRequest, run_hedge

    e = _err(run_hedge, HedgeRequest(asof="2025-13-01"))
    assert e.field == "asof" and "month 13" in e.message
    e = _err(apply_overrides, load_mandate(), max_leverage=-0.5)
    assert e.field == "max_leverage"
    m = Mandate(targets=(SectorTarget("Muni", dv01_pct=0.0, instruments=("ZN",)),))
    e = _err(run_hedge, HedgeRequest(mandate=m, asof="2025-07-11"))
    assert e.field == "targets.Muni" and "Treasury, Agency, Corporate" in e.message
    m = Mandate(targets=(SectorTarget("Treasury", dv01_pct=0.0, instruments=("ZNH25",)),))
    e = _err(run_hedge, HedgeRequest(mandate=m, asof="2025-07-11"))
    assert e.field == "targets.Treasury" and "has expired" in e.message
    assert v.flag_name("max_leverage") == "--max-leverage" and v.flag_name("--x") == "--x"


def test_program_requests_are_checked_like_the_flags():
    from optimizer.workflows.programs import (
        EquitizationRequest,
        TransitionRequest,
        run_equitization,
        run_transition,
    )

    e = _err(run_equitization, EquitizationRequest(5e8, 6.0, asof="2025-13-01"))
    assert e.field == "asof"
    e = _err(run_equitization, EquitizationRequest(5e8, 6.0, asof="2025-07-11",
                                                   contract="ZNH25"))
    assert e.field == "contract" and "has expired" in e.message
    e = _err(run_transition, TransitionRequest(start="2025-06-02", sold_mv=8e8, sold_duration=6.5,
                                               buys=(("2025-06-09", 9e8, 6.5),)))
    assert e.field == "buys" and "negative" in e.message
