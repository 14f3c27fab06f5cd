"""Holdings input (data/holdings.py) and the sample portfolios (data/portfolios/)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.errors import InputError
from data.holdings import OUTPUT_COLUMNS, read_holdings

ROOT = Path(__file__).resolve().parents[1]
PORTFOLIOS = ROOT / "data" / "portfolios"

TERMS_HDR = "id,sector,par,coupon,maturity,price"
GOOD_T = "T1,Treasury,1000000,4.25,2030-05-15,99.5"
RISK_HDR = "id,sector,par,market_value,duration"
GOOD_R = "C1,Corporate,2000000,1950000,5.2"


def _write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------------------------------
# malformed files: (case id, csv text, expected row, expected column, message fragment, asof)
# ------------------------------------------------------------------------------------------
BAD_CASES = [
    ("missing_required_column", "id,par,coupon,maturity,price\nT1,1000000,4,2030-05-15,99\n",
     1, "sector", "missing required column 'sector'", None),
    ("misspelled_required_column", "id,sectr,par,coupon,maturity,price\nT1,X,1e6,4,2030-05-15,99\n",
     1, "sector", "misspelling", None),
    ("no_terms_no_risk_columns", "id,sector,par,description\nT1,Treasury,1000000,x\n",
     1, "coupon", "either bond terms", None),
    ("ambiguous_row", "id,sector,par,coupon,maturity,price,market_value,duration\n"
     "T1,Treasury,1000000,4.25,2030-05-15,99.5,,\nX2,Corporate,1000000,5.0,,,,\n",
     3, "maturity", "neither bond terms", None),
    ("risk_row_without_duration", f"{RISK_HDR}\n{GOOD_R}\nC2,Corporate,1000000,990000,\n",
     3, "duration", "neither bond terms", None),
    ("unparseable_date", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,2030-13-45,99\n",
     3, "maturity", "2030-13-45", None),
    ("day_first_date", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,15/02/2035,99\n",
     3, "maturity", "unparseable date", None),
    ("matured_bond", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,2025-07-11,99\n",
     3, "maturity", "matured", "2025-07-11"),
    ("duplicate_id", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1e6,4,2031-01-15,99\n"
     "T1,Treasury,1e6,4,2032-01-15,99\n", 4, "id", "duplicate id 'T1' (first used on row 2)", None),
    ("nan_par", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,NaN,4,2031-01-15,99\n",
     3, "par", "blank or NaN", None),
    ("blank_sector", f"{TERMS_HDR}\n{GOOD_T}\nT2,,1000000,4,2031-01-15,99\n",
     3, "sector", "blank or NaN", None),
    ("non_numeric_price", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,2031-01-15,abc\n",
     3, "price", "'abc' is not a number", None),
    ("non_numeric_par", f"{TERMS_HDR}\nT2,Treasury,1m,4,2031-01-15,99\n",
     2, "par", "not a number", None),
    ("yields_all_decimals", "id,sector,par,coupon,maturity,yield\n"
     "T1,Treasury,1e6,4.25,2030-05-15,0.0425\nT2,Treasury,1e6,4.5,2035-05-15,0.045\n",
     2, "yield", "looks like a decimal; yields are in percent, e.g. 4.25", None),
    ("one_yield_decimal", "id,sector,par,coupon,maturity,yield\n"
     "T1,Treasury,1e6,4.25,2030-05-15,4.25\nT2,Treasury,1e6,4.5,2035-05-15,0.045\n"
     "T3,Treasury,1e6,4.5,2036-05-15,4.6\n",
     3, "yield", "looks like a decimal", None),
    ("yield_over_100", "id,sector,par,coupon,maturity,yield\nT1,Treasury,1e6,4.25,2030-05-15,425\n",
     2, "yield", "implausible", None),
    ("coupon_over_30", f"{TERMS_HDR}\nT1,Treasury,1000000,42.5,2030-05-15,99.5\n",
     2, "coupon", "implausible", None),
    ("coupon_decimal", f"{TERMS_HDR}\nT1,Treasury,1000000,0.0425,2030-05-15,99.5\n",
     2, "coupon", "looks like a decimal", None),
    ("negative_price", f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,2031-01-15,-99\n",
     3, "price", "must be positive", None),
    ("zero_price", f"{TERMS_HDR}\nT2,Treasury,1000000,4,2031-01-15,0\n",
     2, "price", "must be positive", None),
    ("absurd_price", f"{TERMS_HDR}\nT2,Treasury,1000000,4,2031-01-15,9950\n",
     2, "price", "absurd", None),
    ("price_per_one", f"{TERMS_HDR}\nT2,Treasury,1000000,4,2031-01-15,0.995\n",
     2, "price", "fraction of par", None),
    ("negative_duration", f"{RISK_HDR}\n{GOOD_R}\nC2,Corporate,1000000,990000,-3\n",
     3, "duration", "negative", None),
    ("duration_over_60", f"{RISK_HDR}\nC2,Corporate,1000000,990000,75\n",
     2, "duration", "implausible", None),
    ("zero_par", f"{TERMS_HDR}\nT2,Treasury,0,4,2031-01-15,99\n", 2, "par", "par is zero", None),
    ("par_in_millions", f"{TERMS_HDR}\nT2,Treasury,20,4,2031-01-15,99\n",
     2, "par", "looks like millions", None),
    ("unknown_day_count", f"{TERMS_HDR},day_count\n{GOOD_T},ACT/ACT\n"
     "T2,Corporate,1e6,5,2031-01-15,99,ACT/365L\n", 3, "day_count", "unknown day count", None),
    ("bad_frequency", f"{TERMS_HDR},frequency\n{GOOD_T},2\nT2,Corporate,1e6,5,2031-01-15,99,3\n",
     3, "frequency", "1, 2, 4 or 12", None),
    ("short_mv_sign", f"{RISK_HDR}\nC2,Corporate,-1000000,990000,5\n",
     2, "market_value", "opposite sign", None),
    ("dv01_sign", "id,sector,par,market_value,dv01\nC2,Corporate,1000000,990000,-500\n",
     2, "dv01", "opposite sign", None),
    ("mv_vs_full_price", "id,sector,par,market_value,full_price,duration\n"
     "C2,Corporate,1000000,990000,95,5\n", 2, "market_value", "disagrees", None),
    ("partial_key_rates", f"{RISK_HDR},krd_2Y,krd_10Y\n{GOOD_R},300,700\n"
     "C2,Corporate,1000000,990000,5,200,\n", 3, "krd_10Y", "give all key rates or none", None),
    ("duplicate_meaning_columns", "id,sector,par,coupon,maturity,price,clean_price\n"
     "T1,Treasury,1e6,4,2030-05-15,99,99\n", 1, "clean_price", "both mean 'price'", None),
    ("terms_without_price", "id,sector,par,coupon,maturity,price,yield\n"
     "T1,Treasury,1e6,4,2030-05-15,,\n", 2, "price", "no price or yield", None),
    ("issue_after_maturity", f"{TERMS_HDR},issue_date\n{GOOD_T},2031-01-01\n",
     2, "issue_date", "not before maturity", None),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_file_names_row_and_column(tmp_path, case):
    name, text, row, column, fragment, asof = case
    p = _write(tmp_path, text, f"{name}.csv")
    with pytest.raises(InputError) as ei:
        read_holdings(p, asof=asof)
    exc = ei.value
    assert exc.row == row, str(exc)
    assert exc.column == column, str(exc)
    assert fragment in exc.message, str(exc)
    msg = str(exc)
    assert f"{name}.csv" in msg and f"row {row}" in msg and f"column '{column}'" in msg


def test_at_least_fifteen_malformed_files():
    assert len(BAD_CASES) >= 15


def test_first_problem_in_row_order_is_reported(tmp_path):
    # row 3 has a bad price, row 4 a bad date: the error is about row 3
    p = _write(tmp_path, f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1e6,4,2031-01-15,-1\n"
                         "T3,Treasury,1e6,4,bad-date,99\n")
    with pytest.raises(InputError) as ei:
        read_holdings(p)
    assert (ei.value.row, ei.value.column) == (3, "price")


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    p = _write(tmp_path, f"{TERMS_HDR}\n{GOOD_T}\n\n,,,,,\nT2,Treasury,1e6,4,2031-01-15,abc\n")
    with pytest.raises(InputError) as ei:
        read_holdings(p)
    assert ei.value.row == 5


# ------------------------------------------------------------------------------------------
# file-level problems
# ------------------------------------------------------------------------------------------
def test_file_not_found(tmp_path):
    with pytest.raises(InputError, match="file not found") as ei:
        read_holdings(tmp_path / "nope.csv")
    assert "nope.csv" in str(ei.value)


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_holdings(_write(tmp_path, ""))


def test_blank_lines_only_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_holdings(_write(tmp_path, "\n\n  \n"))


def test_header_only(tmp_path):
    with pytest.raises(InputError, match="no positions"):
        read_holdings(_write(tmp_path, TERMS_HDR + "\n"))


@pytest.mark.parametrize("ext", [".txt", ".xls", ".json", ""])
def test_unsupported_extension(tmp_path, ext):
    p = _write(tmp_path, f"{TERMS_HDR}\n{GOOD_T}\n", f"h{ext}")
    with pytest.raises(InputError, match="unsupported file type"):
        read_holdings(p)


def test_semicolon_separated_csv(tmp_path):
    p = _write(tmp_path, TERMS_HDR.replace(",", ";") + "\n" + GOOD_T.replace(",", ";") + "\n")
    with pytest.raises(InputError, match="comma-separated"):
        read_holdings(p)


@pytest.mark.parametrize("ext", [".xlsx", ".parquet"])
def test_corrupt_binary_file(tmp_path, ext):
    p = tmp_path / f"h{ext}"
    p.write_bytes(b"PK\x03\x04 this is not really a zip or parquet file \x00\x01\x02" * 10)
    with pytest.raises(InputError, match="unreadable or corrupt"):
        read_holdings(p)


def test_binary_file_with_csv_extension(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"\x00\x01\x02garbage\x00")
    with pytest.raises(InputError, match="not a text CSV"):
        read_holdings(p)


# ------------------------------------------------------------------------------------------
# good files
# ------------------------------------------------------------------------------------------
MIXED = (
    "ID , Sector,Par (USD),Coupon,Maturity,Price,Yield,Market Value,Full_Price,Duration,DV01,"
    "day-count,Frequency,Rating,KRD_2y,krd_10Y,Notes\n"
    "912828YB0,Treasury,10000000,1.625,2029-08-15,92-16+,,,,,,,,,,,on the run once\n"
    "CORP-1,Corporate,-5000000,5.25,08/15/2034,,5.61,,,,,30/360 US,2,A,,,\n"
    "AGY-1,Agency,3000000,4.0,2030-01-15,101.25,,,,,,Bond Basis,semiannual,AA+,,,\n"
    "R-1,Corporate,2000000,,,,,1960000,,6.0,,,,BBB,300,876,\n"
    "R-2,Corporate,-1000000,,,,,,101.5,,-507.5,,,,,,\n"
)


def test_mixed_terms_and_risk_file(tmp_path):
    df = read_holdings(_write(tmp_path, MIXED), asof="2025-07-11")
    assert list(df.columns[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert df.attrs["key_rate_columns"] == ["krd_2Y", "krd_10Y"]
    assert df.attrs["ignored_columns"] == ["Notes"]
    assert df["kind"].tolist() == ["terms", "terms", "terms", "risk", "risk"]
    assert df["row"].tolist() == [2, 3, 4, 5, 6]
    t, c, a, r1, r2 = (df.iloc[i] for i in range(5))
    assert t["price"] == pytest.approx(92 + 16.5 / 32)          # 32nds
    assert t["day_count"] == "ACT/ACT" and t["frequency"] == 2   # Treasury default
    assert t["coupon_pct"] == 1.625 and np.isnan(t["yield_dec"])
    assert c["yield_dec"] == pytest.approx(0.0561) and c["par"] == -5e6
    assert c["maturity"] == pd.Timestamp("2034-08-15") and c["day_count"] == "30/360"
    assert a["day_count"] == "30/360" and a["rating"] == "AA+"
    # risk rows: the missing one of MV/full price and of duration/DV01 is derived
    assert r1["full_price"] == pytest.approx(98.0)
    assert r1["dv01"] == pytest.approx(1_960_000 * 6.0e-4)
    assert (r1["krd_2Y"], r1["krd_10Y"]) == (300.0, 876.0)
    assert r2["market_value"] == pytest.approx(-1_015_000.0)
    assert r2["duration"] == pytest.approx(5.0)
    assert np.isnan(t["market_value"]) and np.isnan(t["dv01"])
    assert df["maturity"].dtype == "datetime64[ns]"


def _sample_frame() -> pd.DataFrame:
    return pd.read_csv(PORTFOLIOS / "default.csv", dtype=str, keep_default_na=False)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="row"), b.drop(columns="row"),
                                  check_dtype=False)
    assert a["row"].tolist() == b["row"].tolist()


def test_xlsx_and_parquet_round_trip_equal_csv(tmp_path):
    csv_df = read_holdings(PORTFOLIOS / "default.csv", asof="2025-07-11")
    raw = _sample_frame()
    typed = raw.copy()                      # as a spreadsheet would hold them: numbers, dates
    for c in ("par", "coupon", "price", "yield", "frequency"):
        typed[c] = pd.to_numeric(typed[c])
    for c in ("maturity", "issue_date"):
        typed[c] = pd.to_datetime(typed[c])
    typed["rating"] = typed["rating"].replace("", None)

    xlsx = tmp_path / "h.xlsx"
    with pd.ExcelWriter(xlsx) as w:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(w, sheet_name="Cover", index=False)
        typed.to_excel(w, sheet_name="Positions", index=False)
    _same(read_holdings(f"{xlsx}#Positions", asof="2025-07-11"), csv_df)
    _same(read_holdings(xlsx, sheet="positions", asof="2025-07-11"), csv_df)

    pq = tmp_path / "h.parquet"
    typed.to_parquet(pq, index=False)
    _same(read_holdings(pq, asof="2025-07-11"), csv_df)
    raw.to_parquet(tmp_path / "s.parquet", index=False)   # all-string parquet too
    _same(read_holdings(tmp_path / "s.parquet", asof="2025-07-11"), csv_df)


def test_xlsx_first_sheet_default_and_missing_sheet(tmp_path):
    xlsx = tmp_path / "h.xlsx"
    pd.read_csv(PORTFOLIOS / "five_bond.csv").to_excel(xlsx, sheet_name="Book", index=False)
    df = read_holdings(xlsx)
    assert df["market_value"].sum() == pytest.approx(99_135_000.0)
    assert df.attrs["sheet"] == "Book"
    with pytest.raises(InputError, match="no sheet named 'Nope' \\(sheets: Book\\)"):
        read_holdings(f"{xlsx}#Nope")
    with pytest.raises(InputError, match="no sheet named"):
        read_holdings(xlsx, sheet="Nope")


def test_xlsx_error_reports_sheet_row_and_column(tmp_path):
    df = pd.read_csv(PORTFOLIOS / "five_bond.csv")
    df.loc[2, "duration"] = -1.0
    xlsx = tmp_path / "h.xlsx"
    df.to_excel(xlsx, sheet_name="Book", index=False)
    with pytest.raises(InputError) as ei:
        read_holdings(xlsx)
    assert (ei.value.row, ei.value.column) == (4, "duration")
    assert "h.xlsx[Book]" in str(ei.value)


# ------------------------------------------------------------------------------------------
# sample portfolios
# ------------------------------------------------------------------------------------------
def test_five_bond_portfolio_matches_spec():
    df = read_holdings(PORTFOLIOS / "five_bond.csv", asof="2025-07-11")
    assert len(df) == 5 and (df["kind"] == "risk").all()
    mv, dv01 = df["market_value"].sum(), df["dv01"].sum()
    assert mv == pytest.approx(99_135_000.0, abs=1e-6)
    assert dv01 == pytest.approx(77_648.95, abs=1e-6)
    assert dv01 * 1e4 / mv == pytest.approx(7.83, abs=0.005)


def test_sector_14_portfolio_matches_cbot_exhibit():
    df = read_holdings(PORTFOLIOS / "sector_14.csv")
    assert len(df) == 14
    g = df.groupby("sector")[["market_value", "dv01"]].sum()
    assert g.loc["Treasury", "market_value"] == 262_341_000
    assert g.loc["Corporate", "market_value"] == 436_248_000
    assert df["market_value"].sum() == 698_589_000
    dur = g["dv01"] * 1e4 / g["market_value"]
    assert round(dur["Treasury"], 2) == 6.56 and round(dur["Corporate"], 2) == 5.39
    assert round(df["dv01"].sum() * 1e4 / df["market_value"].sum(), 2) == 5.83
    # the paper's sector DV01s = sector MV x rounded sector duration
    assert round(262_341_000 * 6.56e-4) == 172_096 and round(436_248_000 * 5.39e-4) == 235_138


def test_default_portfolio_is_realistic():
    from data import loaders

    asof = loaders.latest_curve_date()
    df = read_holdings(PORTFOLIOS / "default.csv", asof=asof)
    assert 40 <= len(df) <= 80 and (df["kind"] == "terms").all()
    counts = df["sector"].value_counts()
    assert 25 <= counts["Corporate"] <= 45 and counts["Treasury"] >= 15
    assert 5e8 <= (df["par"] * df["price"] / 100).sum() <= 1e9
    ust = df[df["sector"] == "Treasury"]
    master = loaders.outstanding_nominals(asof).set_index("cusip")
    assert ust["id"].isin(master.index).all()
    m = master.loc[ust["id"]]
    assert np.allclose(m["coupon_pct"].to_numpy(), ust["coupon_pct"].to_numpy())
    assert (m["maturity_date"].to_numpy() == ust["maturity"].to_numpy()).all()
    years = (ust["maturity"] - asof).dt.days / 365.25
    assert years.min() < 2.5 and years.max() > 25
    corp = df[df["sector"] == "Corporate"]
    assert corp["rating"].str.rstrip("+-").isin(["AA", "A", "BBB"]).all()
    assert (corp["day_count"] == "30/360").all() and corp["id"].str.startswith("CORP-").all()
    assert df["yield_dec"].between(0.03, 0.08).all()
    assert df["price"].notna().all()


def test_default_portfolio_build_is_reproducible():
    spec = importlib.util.spec_from_file_location(
        "build_default_portfolio", ROOT / "scripts" / "build_default_portfolio.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text, _ = mod.build()
    assert text == (PORTFOLIOS / "default.csv").read_text()


# ------------------------------------------------------------------------------------------
# end to end through the CLI (once `overlay analyze` exists)
# ------------------------------------------------------------------------------------------
def test_cli_analyze_bad_portfolio_exits_2(tmp_path):
    if importlib.util.find_spec("optimizer.cli.commands.analyze") is None:
        pytest.skip("optimizer/commands/analyze.py not written yet")
    bad = _write(tmp_path, f"{TERMS_HDR}\n{GOOD_T}\nT2,Treasury,1000000,4,2031-01-15,-99\n",
                 "bad.csv")
    proc = subprocess.run([sys.executable, "-m", "optimizer.cli", "analyze", "--portfolio",
                           str(bad)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "bad.csv" in proc.stderr and "row 3" in proc.stderr and "column 'price'" in proc.stderr
