"""`overlay betas` CLI: table, JSON contract, --history files, errors -> exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.loaders import par_curve_history_pct
from optimizer.cli import main

SECTOR14 = "data/portfolios/sector_14.csv"


def _run(capsys, *argv):
    code = main(["betas", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_table(capsys):
    code, out, _ = _run(capsys)
    assert code == 0
    assert "Sector betas as of" in out and "definition" in out and "ICE BofA BBB" in out
    assert "beta-adj DV01" in out and "shrunk toward 1" in out
    # no silent fallback: the agency sector (no history, no proxy) is said to use beta 1
    assert "warning: Agency" in out and "beta set to 1" in out


def test_json_contract(capsys):
    code, out, _ = _run(capsys, "--portfolio", SECTOR14, "--asof", "2015-06-30",
                        "--window", "10y", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["asof"] == "2015-06-30" and d["window"] == "10y"
    keys = {"sector", "driver", "beta", "std_err", "r_squared", "resid_vol_bp", "nobs", "start",
            "end", "frequency", "source"}
    for row in d["betas"]:
        assert keys <= set(row)
    by = {r["sector"]: r for r in d["betas"]}
    assert by["Treasury"]["beta"] == 1.0 and by["Treasury"]["source"] == "definition"
    c = by["Corporate"]
    assert c["frequency"] == "daily" and "ICE BofA BBB" in c["source"] and c["nobs"] > 700
    assert c["end"] <= "2015-06-30" and c["notices"][0]["code"] == "beta_shipped_estimate"
    assert c["beta"] == pytest.approx(c["shrink_weight"] * c["beta_ols"]
                                      + 1 - c["shrink_weight"])
    s = {r["sector"]: r for r in d["sectors"]}
    assert s["Corporate"]["duration"] == pytest.approx(5.39, abs=0.01)
    assert s["Corporate"]["beta_adjusted_dv01"] == pytest.approx(
        s["Corporate"]["beta"] * s["Corporate"]["dv01"])


def test_history_file_sector_and_swap(tmp_path, capsys):
    ust = par_curve_history_pct()["10Y"].loc["2017-01-01":"2019-12-31"]
    rng = np.random.default_rng(0)
    swap = ust + 0.1 + np.cumsum(rng.normal(0, 0.01, len(ust)))
    corp = swap + 1.0 + np.cumsum(rng.normal(0, 0.005, len(ust)))
    f = tmp_path / "hist.csv"
    pd.DataFrame({"date": ust.index.strftime("%Y-%m-%d"), "corporate": corp.round(4),
                  "swap_10Y": swap.round(4), "other": 1.0}).to_csv(f, index=False)
    code, out, _ = _run(capsys, "--portfolio", SECTOR14, "--asof", "2019-12-31", "--history",
                        str(f), "--json")
    assert code == 0
    d = json.loads(out)
    corp_rows = [r for r in d["betas"] if r["sector"] == "Corporate"]
    assert [r["driver"] for r in corp_rows] == ["UST_5.5Y", "swap_10Y"]
    assert all(r["frequency"] == "daily" and "user history" in r["source"] for r in corp_rows)
    assert any("ignored" in w and "other" in w for w in d["warnings"])


@pytest.mark.parametrize("content,needle", [
    ("date,Corporate\n2020-01-02,4.1\n2020-01-03,x\n", "row 3, column 'Corporate'"),
    ("date,Corporate\n" + "".join(f"2020-01-0{i},0.04{i}\n" for i in range(2, 9)), "decimals"),
    ("date,Corporate\n2020-01-02,4.1\n", "common dates"),
])
def test_bad_history_exit_2(tmp_path, capsys, content, needle):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    code, _, err = _run(capsys, "--portfolio", SECTOR14, "--history", str(f))
    assert code == 2
    assert str(f) in err
    if needle:
        assert needle in err


def test_short_history_exit_2(tmp_path, capsys):
    ust = par_curve_history_pct()["10Y"].loc["2019-12-01":"2019-12-31"]
    f = tmp_path / "short.csv"
    pd.DataFrame({"date": ust.index.strftime("%Y-%m-%d"), "Corporate": ust + 1}).to_csv(f, index=False)
    code, _, err = _run(capsys, "--portfolio", SECTOR14, "--asof", "2019-12-31", "--history", str(f))
    assert code == 2 and "need >= 24" in err


def test_bad_window_and_missing_portfolio_exit_2(capsys):
    code, _, err = _run(capsys, "--window", "3q")
    assert code == 2 and "window" in err
    code, _, err = _run(capsys, "--portfolio", "does/not/exist.csv")
    assert code == 2
