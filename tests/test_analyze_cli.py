"""`overlay analyze`: JSON contract, table output, defaults and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from data.loaders import PORTFOLIOS_DIR
from optimizer.cli import main


@pytest.fixture()
def five_bond(tmp_path):
    p = tmp_path / "five.csv"
    pd.DataFrame({
        "id": [f"B{i}" for i in range(1, 6)], "sector": "Treasury",
        "par": [20e6, 30e6, 25e6, 15e6, 10e6],
        "full_price": [98.5, 101.2, 96.8, 102.5, 95.0],
        "duration": [4.5, 6.2, 8.1, 8.5, 18.2],
    }).to_csv(p, index=False)
    return p


@pytest.fixture()
def mixed(tmp_path):
    p = tmp_path / "mixed.csv"
    pd.DataFrame({
        "id": ["UST10", "CORP7", "AGY"], "sector": ["Treasury", "Corporate", "Agency"],
        "par": [10e6, 5e6, 2e6], "coupon": [4.25, 5.1, None],
        "maturity": ["2035-05-15", "2032-03-15", None], "price": [98.5, 101.25, None],
        "market_value": [None, None, 2.02e6], "duration": [None, None, 3.1],
    }).to_csv(p, index=False)
    return p


def _json(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr().out
    assert rc == 0
    return json.loads(out)


def test_json_contract(capsys, five_bond):
    d = _json(capsys, ["analyze", "--portfolio", str(five_bond), "--asof", "2025-06-30",
                       "--json"])
    assert list(d) == ["asof", "holdings", "sectors", "portfolio"]
    assert d["asof"] == "2025-06-30"
    assert len(d["holdings"]) == 5
    for h in d["holdings"]:
        assert list(h) == ["id", "sector", "market_value", "dv01", "duration", "yield_dv01",
                           "modified_duration", "dv01_basis", "key_rate_dv01"]
        assert list(h["key_rate_dv01"]) == ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
    assert list(d["sectors"][0]) == ["sector", "market_value", "dv01", "duration",
                                     "yield_dv01", "modified_duration", "key_rate_dv01"]
    p = d["portfolio"]
    assert list(p) == ["market_value", "dv01", "duration", "yield_dv01", "modified_duration",
                       "key_rate_dv01"]
    assert p["market_value"] == pytest.approx(99_135_000)
    assert p["dv01"] == pytest.approx(77_648.95)
    assert round(p["duration"], 2) == 7.83
    assert sum(p["key_rate_dv01"].values()) == pytest.approx(77_648.95)


def test_mixed_rows_custom_tenors_and_weekend_note(capsys, mixed):
    rc = main(["analyze", "--portfolio", str(mixed), "--asof", "2025-06-29",
               "--key-tenors", "6M,2Y,10Y,30Y", "--json"])
    cap = capsys.readouterr()
    assert rc == 0
    d = json.loads(cap.out)
    assert d["asof"] == "2025-06-27"  # Sunday -> the Friday curve
    assert "nearest earlier" in cap.err
    assert list(d["portfolio"]["key_rate_dv01"]) == ["6M", "2Y", "10Y", "30Y"]
    secs = {s["sector"]: s for s in d["sectors"]}
    assert set(secs) == {"Treasury", "Corporate", "Agency"}
    total = sum(s["dv01"] for s in d["sectors"])
    assert d["portfolio"]["dv01"] == pytest.approx(total)
    ust = d["holdings"][0]
    assert 7.0 < ust["duration"] < 9.0 and ust["market_value"] > 9.8e6
    assert sum(ust["key_rate_dv01"].values()) == pytest.approx(ust["dv01"], rel=0.03)


def test_table_output(capsys, mixed):
    rc = main(["analyze", "--portfolio", str(mixed), "--asof", "2025-06-29"])
    out = capsys.readouterr().out
    assert rc == 0
    for s in ("Holdings", "Sectors", "Portfolio", "PORTFOLIO", "UST10", "10Y",
              "nearest earlier business day 2025-06-27", "allocated to key tenors"):
        assert s in out


@pytest.mark.skipif(not (PORTFOLIOS_DIR / "default.csv").exists(), reason="no default.csv")
def test_default_portfolio(capsys):
    d = _json(capsys, ["analyze", "--json"])
    assert d["portfolio"]["market_value"] > 0 and d["portfolio"]["dv01"] > 0
    assert len(d["holdings"]) == len(pd.read_csv(PORTFOLIOS_DIR / "default.csv"))


def test_bad_input_exit_2(capsys, tmp_path, five_bond):
    assert main(["analyze", "--portfolio", str(tmp_path / "missing.csv")]) == 2
    assert main(["analyze", "--portfolio", str(five_bond), "--key-tenors", "2Y,4Y"]) == 2
    assert main(["analyze", "--portfolio", str(five_bond), "--asof", "1900-01-01"]) == 2
    assert main(["analyze", "--portfolio", str(five_bond), "--asof", "not-a-date"]) == 2
    err = capsys.readouterr().err
    assert "4Y" in err and "error" in err
