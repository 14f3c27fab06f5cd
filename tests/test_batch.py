"""`overlay batch`: manifest rules, exit status, and one real run on a 2-worker Dask LocalCluster
(good accounts, one with held positions, a bad file and an infeasible mandate)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data.errors import InputError
from data.loaders import PORTFOLIOS_DIR
from optimizer.cli.main import main
from optimizer.workflows.batch import AccountResult, BatchResult, read_manifest

ROOT = Path(__file__).resolve().parents[1]

SMALL_MANDATE = """name = "treasury-small"
betas = false
[targets.Treasury]
dv01_pct = 0.0
tolerance_pct = 2.0
instruments = ["ZN", "ZB"]
[limits]
max_leverage = 1.5
margin_budget_usd = {budget}
no_net_short = false
max_instruments = 2
"""


def _treasury_book(path: Path, rows: slice) -> Path:
    base = pd.read_csv(PORTFOLIOS_DIR / "default.csv", dtype=str, keep_default_na=False)
    base[base["sector"] == "Treasury"].iloc[rows].to_csv(path, index=False)
    return path


@pytest.fixture()
def book_dir(tmp_path):
    d = tmp_path / "accounts"
    (d / "books").mkdir(parents=True)
    _treasury_book(d / "books" / "t1.csv", slice(0, 8))
    _treasury_book(d / "books" / "t2.csv", slice(10, 18))
    (d / "books" / "bad.csv").write_text("id,sector,par,coupon,maturity,price\n"
                                         "X1,Treasury,1000000,4,2030-13-01,99\n")
    (d / "small.toml").write_text(SMALL_MANDATE.format(budget="20_000_000"))
    (d / "tight.toml").write_text(SMALL_MANDATE.format(budget="1_000"))
    (d / "held.csv").write_text("contract,contracts\nZNU5,-100\n")
    return d


# ------------------------------------------------------------------------------------- manifest
def test_manifest_paths_resolve_against_its_folder(book_dir, monkeypatch, tmp_path):
    m = book_dir / "manifest.csv"
    m.write_text("Account ID,Holdings,Mandate,Positions\nT1,books/t1.csv,small.toml,\n\n"
                 f"T2,{book_dir / 'books' / 't2.csv'},small.toml,held.csv\n")
    monkeypatch.chdir(tmp_path)            # not the manifest's folder
    accts = read_manifest(m)
    assert [a.account for a in accts] == ["T1", "T2"]
    assert accts[0].holdings == str(book_dir / "books" / "t1.csv")
    assert accts[0].positions is None and accts[1].positions == str(book_dir / "held.csv")
    assert accts[1].row == 4               # the blank line keeps the file's row numbers


@pytest.mark.parametrize("text, row, column, fragment", [
    ("account,holdings\nA,a.csv\n", 1, "mandate", "missing required column"),
    ("account,holdings,mandate\n,a.csv,m.toml\n", 2, "account", "blank"),
    ("account,holdings,mandate\nA,a.csv,m.toml\na,b.csv,m.toml\n", 3, "account", "twice"),
    ("account,holdings,mandate\n../up,a.csv,m.toml\n", 2, "account", "output files"),
    ("account,holdings,mandate\nA,,m.toml\n", 2, "holdings", "blank"),
    ("account,holdings,mandate\n", 2, None, "no data rows"),
])
def test_bad_manifest_names_row_and_column(tmp_path, text, row, column, fragment):
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(InputError) as ei:
        read_manifest(m)
    assert (ei.value.row, ei.value.column) == (row, column)
    assert fragment in ei.value.message and "m.csv" in str(ei.value)


def test_bad_manifest_exits_2_and_writes_nothing(tmp_path, capsys):
    m = tmp_path / "m.csv"
    m.write_text("account,holdings,mandate\nA,a.csv,m.toml\nA,a.csv,m.toml\n")
    out = tmp_path / "out"
    assert main(["batch", str(m), "--out", str(out), "--no-progress"]) == 2
    assert "row 3" in capsys.readouterr().err and not out.exists()


def test_exit_status_rule():
    def batch(*statuses):
        return BatchResult([AccountResult(f"A{k}", s) for k, s in enumerate(statuses)], 1.0, 2,
                           "test")
    assert batch("optimal", "infeasible").exit_status == 0
    assert batch("optimal", "input_error", "solver_failure").exit_status == 2
    assert batch("optimal", "feasible_time_limit").exit_status == 4
    assert batch("optimal", "solver_failure").exit_status == 4
    assert batch("optimal", "error").exit_status == 1


# ------------------------------------------------------------------------------------- a real run
def test_batch_on_two_worker_local_cluster(book_dir, tmp_path):
    m = book_dir / "manifest.csv"
    m.write_text("account,holdings,mandate,positions\n"
                 "T1,books/t1.csv,small.toml,\n"
                 "T2,books/t2.csv,small.toml,held.csv\n"
                 "BAD,books/bad.csv,small.toml,\n"
                 "TIGHT,books/t1.csv,tight.toml,\n"
                 "GONE,books/missing.csv,small.toml,\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "optimizer.cli", "batch", str(m), "--out",
                           str(out), "--workers", "2", "--asof", "2025-07-11", "--time-limit",
                           "20"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    # a bad account file makes the exit status 2; the other accounts still ran
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "hedging" in proc.stderr and "5/5" in proc.stderr            # tqdm on stderr
    assert "LocalCluster(2 worker process(es)" in proc.stdout

    summary = pd.read_csv(out / "summary.csv").set_index("account")
    assert summary.index.tolist() == ["T1", "T2", "BAD", "TIGHT", "GONE"]    # manifest order
    assert summary.loc["T1", "status"] == summary.loc["T2", "status"] == "optimal"
    assert summary.loc["TIGHT", "status"] == "infeasible"
    assert "margin budget must be at least" in summary.loc["TIGHT", "error"]
    assert summary.loc["BAD", "status"] == summary.loc["GONE", "status"] == "input_error"
    assert "bad.csv, row 2, column 'maturity'" in summary.loc["BAD", "error"]
    assert "file not found" in summary.loc["GONE", "error"]
    assert summary["worker"].nunique() >= 1 and (summary["cpu_seconds"] > 0).all()

    tight = json.loads((out / "TIGHT.json").read_text())
    assert tight["conflicting"] and any("margin" in c for c in tight["conflicting"])
    assert not (out / "BAD.json").exists() and not (out / "TIGHT_positions.csv").exists()

    for acct in ("T1", "T2"):
        _check_account(out, acct, summary.loc[acct])
    # the positions file is what `overlay rebalance --positions` reads
    from data.positions import read_positions
    held = read_positions(out / "T1_positions.csv")
    doc = json.loads((out / "T1.json").read_text())
    assert dict(zip(held["contract"], held["contracts"], strict=True)) == doc["contracts"]
    # the same account hedged in this process, without Dask, gives the same hedge
    from optimizer.workflows.hedge import hedge
    direct = hedge(str(book_dir / "books" / "t1.csv"), str(book_dir / "small.toml"),
                   asof="2025-07-11", time_limit=20)
    assert direct.contracts == doc["contracts"]
    assert direct.result.te_after_usd == pytest.approx(doc["tracking_error"]["after_usd"])


def _check_account(out: Path, acct: str, row: pd.Series) -> None:
    """Constraints and the summary figures recomputed from the account's position rows."""
    doc = json.loads((out / f"{acct}.json").read_text())
    assert doc["status"] == "optimal" and doc["solver"]["gap"] == pytest.approx(0, abs=1e-9)
    pos = pd.DataFrame(doc["positions"])
    margin = pos["initial_margin"].sum()
    gross = pos["notional"].sum()
    mv = abs(doc["portfolio"]["market_value"])
    assert margin == pytest.approx(doc["margin"]["initial"]) == pytest.approx(row["margin_usd"])
    assert margin <= doc["margin"]["budget"] + 1e-6
    assert gross / mv == pytest.approx(row["leverage"]) and gross / mv <= 1.5 + 1e-12
    assert len(pos["contract"].unique()) <= 2
    sec = doc["sectors"][0]
    after = sec["dv01_before"] + pos.loc[pos["sector"] == sec["sector"], "dv01"].sum()
    assert after == pytest.approx(sec["dv01_after"])
    assert abs(after - sec["dv01_target"]) <= sec["dv01_tolerance"] + 1e-6
    assert row["te_usd"] == pytest.approx(doc["tracking_error"]["after_usd"])


def test_summary_text_and_json(tmp_path):
    from optimizer.cli.commands.batch import _summary_doc, render_text

    results = [AccountResult("A1", "optimal", gap=0.0, te_usd=1.5e6, te_bp=40.0,
                             margin_usd=4e6, margin_budget_usd=5e6, leverage=0.4,
                             leverage_limit=0.6, contracts={"ZNU5": -10}),
               AccountResult("B2", "input_error", error="b.csv, row 3, column 'par': bad")]
    batch = BatchResult(results, 4.0, 2, "LocalCluster(2 worker process(es) x 1 thread)", 1.0)
    text = render_text(batch, tmp_path)
    assert "2 account(s)" in text and "input_error 1, optimal 1" in text
    assert "1,500,000" in text and "b.csv, row 3" in text
    doc = _summary_doc(batch, tmp_path)
    assert doc["exit_status"] == 2 and doc["counts"] == {"optimal": 1, "input_error": 1}
    assert doc["summary"][0]["contracts"] == "ZNU5:-10"
    many = BatchResult([AccountResult(f"A{k}", "optimal") for k in range(50)] + results[1:],
                       4.0, 2, "x")
    assert "Accounts not optimal (1 of 51)" in render_text(many, tmp_path)
