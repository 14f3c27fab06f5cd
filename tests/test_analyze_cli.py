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


# ------------------------------------------------------------------------------------------
# large books: blocks, top holdings, every holding via --json / --csv
# ------------------------------------------------------------------------------------------
def _book(tmp_path, n: int, seed: int = 3):
    """n holdings drawn from the bundled default portfolio (real CUSIPs' terms) with new ids
    and random par, plus a few precomputed-risk rows."""
    import numpy as np

    base = pd.read_csv(PORTFOLIOS_DIR / "default.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    f = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
    f["id"] = [f"H{k:06d}" for k in range(n)]
    f["par"] = (rng.integers(1, 400, n) * 50_000).astype(str)
    risk = pd.DataFrame({"id": ["R1", "R2"], "sector": ["Agency", "Corporate"],
                         "par": ["5000000", "-2000000"], "market_value": ["5100000", "-1950000"],
                         "duration": ["4.2", "7.5"]})
    p = tmp_path / f"book{n}.csv"
    pd.concat([f, risk], ignore_index=True).to_csv(p, index=False)
    return p


def test_blocks_equal_one_pass(tmp_path):
    from data.holdings import read_holdings
    from models.curves import curve_on
    from models.exposures import compute_exposures
    from optimizer.cli.commands.analyze import exposures_in_blocks

    curve = curve_on("2025-07-11")
    h = read_holdings(_book(tmp_path, 1_200), asof=curve.asof)
    keys = ("2Y", "5Y", "10Y", "30Y")
    one = compute_exposures(h, asof=curve.asof, key_tenors=keys, curve=curve)
    blocks = exposures_in_blocks(h, curve, keys, block_rows=250)
    pd.testing.assert_frame_equal(blocks.holdings, one.holdings)
    pd.testing.assert_frame_equal(blocks.sectors, one.sectors, rtol=1e-13)
    pd.testing.assert_series_equal(blocks.portfolio, one.portfolio, rtol=1e-13)


def test_json_every_holding_and_totals_add_up(capsys, tmp_path):
    p = _book(tmp_path, 700)
    d = _json(capsys, ["analyze", "--portfolio", str(p), "--asof", "2025-07-11", "--json"])
    rows = pd.DataFrame(d["holdings"])
    assert len(rows) == 702 and rows["id"].is_unique
    assert list(d["holdings"][0]) == ["id", "sector", "market_value", "dv01", "duration",
                                      "yield_dv01", "modified_duration", "dv01_basis",
                                      "key_rate_dv01"]
    krd = pd.DataFrame(list(rows["key_rate_dv01"]))
    # sector and portfolio totals recomputed from the holdings rows
    for s in d["sectors"]:
        mine = rows["sector"] == s["sector"]
        assert rows.loc[mine, "market_value"].sum() == pytest.approx(s["market_value"], rel=1e-12)
        assert rows.loc[mine, "dv01"].sum() == pytest.approx(s["dv01"], rel=1e-12)
        for t, v in s["key_rate_dv01"].items():
            assert krd.loc[mine, t].sum() == pytest.approx(v, rel=1e-11, abs=1e-6)
    port = d["portfolio"]
    assert rows["dv01"].sum() == pytest.approx(port["dv01"], rel=1e-12)
    assert port["duration"] == pytest.approx(port["dv01"] / port["market_value"] * 1e4)
    # the precomputed rows keep the user's numbers
    r1 = rows.set_index("id").loc["R1"]
    assert r1["market_value"] == 5_100_000 and r1["dv01"] == pytest.approx(5_100_000 * 4.2e-4)


def test_terminal_shows_totals_and_top_holdings(capsys, tmp_path):
    p = _book(tmp_path, 300)
    d = _json(capsys, ["analyze", "--portfolio", str(p), "--asof", "2025-07-11", "--json"])
    assert main(["analyze", "--portfolio", str(p), "--asof", "2025-07-11", "--top", "7"]) == 0
    out = capsys.readouterr().out
    assert "Top 7 of 302 holdings by |DV01|" in out
    assert "295 more holding(s): every holding with --json or --csv PATH" in out
    # the seven ids printed are the seven largest |DV01| of the JSON's every-holding list
    rows = pd.DataFrame(d["holdings"])
    expect = rows.loc[rows["dv01"].abs().nlargest(7).index, "id"].tolist()
    table = out.split("Top 7 of 302")[1].split("...")[0]
    shown = [ln.split()[0] for ln in table.splitlines()[3:] if ln.strip()]
    assert shown == expect
    assert len(out.splitlines()) < 60          # not one line per holding
    for s in ("Sectors", "PORTFOLIO", "Agency", "Corporate", "Treasury"):
        assert s in out
    assert main(["analyze", "--portfolio", str(p), "--asof", "2025-07-11", "--top", "0"]) == 0
    every = capsys.readouterr().out
    assert all(i in every for i in rows["id"])
    assert main(["analyze", "--portfolio", str(p), "--top", "-1"]) == 2


def test_csv_every_holding_matches_json(capsys, tmp_path):
    p = _book(tmp_path, 250)
    out_csv = tmp_path / "out" / "exposures.csv"
    d = _json(capsys, ["analyze", "--portfolio", str(p), "--asof", "2025-07-11", "--json",
                       "--csv", str(out_csv)])
    got = pd.read_csv(out_csv)
    assert len(got) == 252 and list(got.columns[:4]) == ["id", "sector", "kind", "par"]
    js = pd.DataFrame(d["holdings"])
    assert got["id"].tolist() == js["id"].tolist()
    assert (got["dv01"] - js["dv01"]).abs().max() < 1e-9
    assert got.groupby("sector", sort=False)["market_value"].sum().to_dict() == pytest.approx(
        {s["sector"]: s["market_value"] for s in d["sectors"]}, rel=1e-12)
    assert set(got["krd_source"]) == {"curve", "duration-allocated"}


def test_csv_is_spreadsheet_safe_and_nothing_written_on_error(tmp_path, capsys):
    p = tmp_path / "f.csv"
    pd.DataFrame({"id": ["=HYPERLINK(1)", "-2"], "sector": ["@Treasury", "Treasury"],
                  "par": [1e6, 1e6], "market_value": [1e6, 1e6],
                  "duration": [5.0, 6.0]}).to_csv(p, index=False)
    out_csv = tmp_path / "x.csv"
    assert main(["analyze", "--portfolio", str(p), "--csv", str(out_csv)]) == 0
    got = pd.read_csv(out_csv, dtype=str)
    assert got["id"].tolist() == ["'=HYPERLINK(1)", "-2"]
    assert got["sector"].tolist() == ["'@Treasury", "Treasury"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sector,par,market_value,duration\nA,X,1e6,1e6,-5\n")
    out2 = tmp_path / "y.csv"
    assert main(["analyze", "--portfolio", str(bad), "--csv", str(out2)]) == 2
    assert not out2.exists()
