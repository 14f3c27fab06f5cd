"""The one set of display formatters and the one JSON converter (optimizer.reporting.formatters):
hand-checked values, properties against Python's own number formatting and the 32nds parser,
and strict JSON for anything numpy/pandas/NaN/Notice a result may hold."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.errors import Notice
from models.contract_codes import parse_32nds
from optimizer.reporting import formatters as fmt


def test_hand_checked_values():
    assert fmt.number(1234567.891) == "1,234,568"
    assert fmt.number(-1234.5, 1) == "-1,234.5"
    assert fmt.number(-0.0001) == "0" and fmt.number(0.0, signed=True) == "0"
    assert fmt.number(12, signed=True) == "+12"
    assert fmt.usd(12_000_000) == "$12,000,000" and fmt.usd(-1234.4) == "-$1,234"
    assert fmt.usd(5, signed=True) == "+$5"
    assert fmt.pct(0.97918) == "97.9%" and fmt.pct(-0.5, 0) == "-50%"
    assert fmt.bp(44.554) == "44.6 bp"
    assert fmt.ratio(-1.01678) == "-1.017"
    assert fmt.years(5.532) == "5.53 y"
    assert fmt.compact(1_250_000) == "1.25M" and fmt.compact(-350_000) == "-350k"
    assert fmt.compact(0) == "0" and fmt.compact(12.5) == "12.5"
    for missing in (None, float("nan"), float("inf"), np.nan, pd.NA, "x", True):
        assert fmt.number(missing) == fmt.MISSING == "—"
        assert fmt.pct(missing) == "—" and fmt.usd(missing) == "—"


def test_prices_in_32nds_at_the_contract_tick():
    # CME quotes: ZN in halves of a 32nd, ZF/ZT in quarters (finest format_32nds writes)
    assert fmt.price(110.515625, "ZNU5") == "110-16+ (110.5156)"
    assert fmt.price(108.203125, "ZFU5") == "108-06+ (108.2031)"
    assert fmt.price(103.6050, "ZTU5") == "103-192 (103.6050)"   # 19.36/32 -> 19.25/32
    assert fmt.price(125.28125, "ZB") == "125-09 (125.2812)"      # ZB/UB tick: whole 32nds
    assert fmt.price(125.265625, "UBZ5") == "125-08 (125.2656)"   # 8.5/32 half-to-even
    # CME quotes MAC SOFR swap futures in 32nds too (10Y: half 32nds, 2Y: quarters)
    assert fmt.price(100.1634, "SSF10U5") == "100-05 (100.1634)"  # 5.23/32 -> 5.0/32
    assert fmt.price(100.1875, "SSF2Z5") == "100-06 (100.1875)"
    assert fmt.price(96.1234, "SR3Z5") == "96.1234"               # SR3: decimal
    assert fmt.price(99812.5, "NSF10H3") == "99,812.50"           # classic: USD per contract
    assert fmt.price(100.1634, "ZNU5 spread") == "100.1634"       # not a contract code
    assert fmt.price(100.1634, "XXU5") == "100.1634"              # unknown root
    assert fmt.price(None, "ZNU5") == "—"
    assert fmt.price_spread(0.125) == "+0.1250 (+4.00/32)" and fmt.price_spread(None) == "—"
    assert fmt.quote_terms("Z3NU25").root == "Z3N" and fmt.quote_terms("UBZ5").root == "UB"
    assert fmt.quote_terms("SR3U5").quote_style == "decimal"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 4))
def test_number_reads_back_as_the_rounded_value(x, dp):
    text = fmt.number(x, dp)
    assert float(text.replace(",", "")) == pytest.approx(round(x, dp), abs=10 ** -dp)
    assert not text.startswith("-0") or any(c in "123456789" for c in text)
    groups = text.lstrip("-").split(".")[0].split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=50, max_value=200, allow_nan=False),
       st.sampled_from(["ZNU5", "TNZ5", "ZBH6", "UBU5", "ZFU5", "ZTZ5", "Z3NU5"]))
def test_32nds_text_parses_back_within_half_a_display_step(p, code):
    text = fmt.price(p, code)
    p32 = text.split(" (")[0]
    # CME ticks: ZB/UB 1/32, ZN/TN 1/64, ZF 1/128, ZT/Z3N 1/256 (shown to 1/128, the finest
    # 32nds notation format_32nds writes)
    step = 1 / 32 / {"ZB": 1, "UB": 1, "ZN": 2, "TN": 2}.get(code[:2], 4)
    assert abs(parse_32nds(p32) - p) <= step / 2 + 1e-9


def test_notices_merge_once_and_read_as_sentences():
    ws = [Notice("proxy", "swap rates from Treasury par + spread", "SSF5U5"),
          {"code": "proxy", "severity": "warning", "subject": "SSF10U5",
           "message": "swap rates from Treasury par + spread"},
          Notice("proxy", "swap rates from Treasury par + spread", "SSF5U5"),
          Notice("cap", "default cap applied", "ZTU5", "info"),
          "ZNU5: notional CTD used", "a plain warning.", "a plain warning.", ""]
    merged = fmt.merge_notices(ws)
    assert [n["subject"] for n in merged] == ["SSF5U5, SSF10U5", "ZTU5", "ZNU5", ""]
    assert [fmt.notice_sentence(n) for n in merged] == [
        "SSF5U5, SSF10U5: Swap rates from Treasury par + spread.",
        "ZTU5: Default cap applied.", "ZNU5: Notional CTD used.", "A plain warning."]
    assert fmt.notice_lines(ws)[1] == "info: ZTU5: Default cap applied."
    assert fmt.notice_sentence({"message": "notional is 60% of MV (above 30%)"}) == \
        "Notional is 60% of MV (above 30%)."
    assert fmt.notice(Notice("proxy_flag", "proxy_flag: rates are a proxy"))["message"] == \
        "rates are a proxy"
    assert fmt.notice_block([]) == [] and fmt.notice_block(["x"]) == ["", "Warnings:",
                                                                      "  warning: X."]
    legacy = fmt.notice("future_issues_excluded: 3 issue(s) excluded")
    assert (legacy["code"], legacy["message"]) == ("future_issues_excluded", "3 issue(s) excluded")
    raw = "spread bp {'1Y': -5.0, '10Y': -45.25}"
    assert fmt.notice(raw)["message"] == "spread bp 1Y -5, 10Y -45.25"
    assert fmt.merge_notices(None) == [] and len(fmt.merge_notices("one")) == 1


@dataclass
class _Row:
    x: float


class _Result:
    def to_dict(self):
        return {"a": np.float64(1.5), "b": [np.int64(2), float("nan")]}


def test_json_converter_handles_what_results_hold():
    obj = {
        1: np.float32(0.5), "nan": float("nan"), "inf": np.inf, "i": np.int16(-3),
        "b": np.bool_(True), "arr": np.array([1.0, np.nan]), "ts": pd.Timestamp("2025-07-11"),
        "tsh": pd.Timestamp("2025-07-11 13:45"), "d": dt.date(2025, 1, 2), "nat": pd.NaT,
        "na": pd.NA, "s": pd.Series([1, 2], index=["x", "y"]),
        "df": pd.DataFrame({"a": [1.0, np.nan]}), "notice": Notice("c", "m", "s"),
        "res": _Result(), "row": _Row(2.0), "path": Path("/tmp/x.csv"), "set": {3},
        "td": pd.Timedelta(seconds=90),
    }
    out = json.loads(fmt.dumps(obj))
    assert out == {
        "1": 0.5, "nan": None, "inf": None, "i": -3, "b": True, "arr": [1.0, None],
        "ts": "2025-07-11", "tsh": "2025-07-11T13:45:00", "d": "2025-01-02", "nat": None,
        "na": None, "s": {"x": 1, "y": 2}, "df": [{"a": 1.0}, {"a": None}],
        "notice": {"code": "c", "severity": "warning", "subject": "s", "message": "m"},
        "res": {"a": 1.5, "b": [2, None]}, "row": {"x": 2.0}, "path": "/tmp/x.csv",
        "set": [3], "td": 90.0}


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
                  st.floats(allow_nan=True).map(np.float64), st.integers(-100, 100).map(np.int64))


@settings(max_examples=150, deadline=None)
@given(st.recursive(_leaf, lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.text(max_size=4), kids, max_size=4), max_leaves=20))
def test_json_is_always_strict(obj):
    text = fmt.dumps(obj)

    def no_constants(token: str):
        raise AssertionError(f"non-standard JSON token {token}")

    back = json.loads(text, parse_constant=no_constants)  # strict: no NaN/Infinity tokens

    def same(a, b):
        if isinstance(a, dict):
            return all(same(v, b[str(k)]) for k, v in a.items())
        if isinstance(a, list):
            return all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, (float, np.floating)) and not math.isfinite(a):
            return b is None
        return a == b

    assert same(obj, back)
