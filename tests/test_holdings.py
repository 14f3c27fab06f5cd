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


# ------------------------------------------------------------------------------------------
# column-at-a-time validation: the reported error is the one a row scan meets first
# ------------------------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BOOK_HDR = ("id,sector,par,coupon,maturity,price,yield,market_value,full_price,duration,dv01,"
            "frequency,day_count,krd_2Y,krd_10Y")

# (column, bad cell, message fragment): each breaks exactly one rule of a good row of either
# kind ("T" bond terms, "R" precomputed risk); the generator below knows where it put it
FAULTS = [
    ("id", "", "blank or NaN", "TR"), ("sector", " n/a ", "blank or NaN", "TR"),
    ("par", "abc", "not a number", "TR"), ("par", "0", "par is zero", "TR"),
    ("par", "25", "looks like millions", "TR"),
    ("coupon", "0.045", "looks like a decimal", "T"), ("coupon", "45", "implausible", "T"),
    ("coupon", "x%", "not a number", "T"),
    ("maturity", "2030-02-30", "not a valid date", "T"),
    ("maturity", "31/12/2031", "unparseable date", "T"),
    ("maturity", "9999-01-01", "outside 1900-2200", "T"),
    ("maturity", "2025-07-01", "matured", "T"),
    ("price", "-99", "must be positive", "T"), ("price", "0.99", "fraction of par", "T"),
    ("price", "99-35", "ticks must be < 32", "T"), ("price", "9950", "absurd", "T"),
    ("yield", "250", "implausible", "T"),
    ("frequency", "7", "not supported", "T"), ("day_count", "ACT/365", "unknown day count", "T"),
    ("market_value", "0", "market value is zero", "R"),
    ("market_value", "-5000000", "opposite sign", "R"),
    ("duration", "-2", "negative", "R"), ("duration", "75", "implausible", "R"),
    ("dv01", "-300", "opposite sign", "R"), ("dv01", "1e400", "'1e400' is not a finite", "R"),
    ("krd_10Y", "", "give all key rates or none", "R"), ("krd_2Y", "TRUE", "'TRUE' is not a number", "R"),
]


def _good_row(k: int, kind: str, rng) -> dict[str, str]:
    par = int(rng.integers(1, 50)) * 1_000_000
    if kind == "T":
        mat = f"{int(rng.integers(2027, 2055))}-{int(rng.integers(1, 13)):02d}-15"
        return {"id": f"B{k:05d}", "sector": str(rng.choice(["Treasury", "Corporate"])),
                "par": str(par), "coupon": f"{rng.uniform(0.5, 7):.3f}", "maturity": mat,
                "price": f"{rng.uniform(80, 120):.4f}", "yield": f"{rng.uniform(3, 6):.3f}",
                "frequency": "2", "day_count": ""}
    mv = par * rng.uniform(0.9, 1.1)
    dur = rng.uniform(1, 15)
    return {"id": f"R{k:05d}", "sector": "Corporate", "par": str(par), "market_value": f"{mv:.2f}",
            "duration": f"{dur:.4f}", "dv01": f"{mv * dur * 1e-4:.4f}",
            "krd_2Y": f"{mv * dur * 3e-5:.2f}", "krd_10Y": f"{mv * dur * 7e-5:.2f}"}


def _book_text(rows: list[dict[str, str]], blank_after: set[int]) -> str:
    cols = BOOK_HDR.split(",")
    lines = [BOOK_HDR]
    for k, r in enumerate(rows):
        lines.append(",".join(r.get(c, "") for c in cols))
        if k in blank_after:
            lines.append(",,,," if k % 2 else "")       # blank lines keep row numbers
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), data=st.data())
def test_injected_fault_is_reported_at_its_row_and_column(tmp_path, seed, n, data):
    """A good book gets one fault at a known row (and maybe a second one further down); the
    error names that row as a spreadsheet shows it, its column and the rule broken."""
    rng = np.random.default_rng(seed)
    kinds = ["T" if rng.random() < 0.6 else "R" for _ in range(n)]
    rows = [_good_row(k, kinds[k], rng) for k in range(n)]
    at = data.draw(st.integers(0, n - 1))
    col, cell, fragment, _ = data.draw(st.sampled_from([f for f in FAULTS
                                                        if kinds[at] in f[3]]))
    rows[at][col] = cell
    later = [k for k in range(at + 1, n)]
    if later and data.draw(st.booleans()):
        k2 = data.draw(st.sampled_from(later))
        c2, v2, _, _ = data.draw(st.sampled_from([f for f in FAULTS if kinds[k2] in f[3]]))
        rows[k2][c2] = v2
    blank_after = {int(k) for k in rng.choice(n, size=min(3, n), replace=False)}
    p = _write(tmp_path, _book_text(rows, blank_after), f"book{seed % 97}.csv")
    with pytest.raises(InputError) as ei:
        read_holdings(p, asof="2025-07-11")
    row = at + 2 + sum(1 for k in blank_after if k < at)
    assert (ei.value.row, ei.value.column) == (row, col), str(ei.value)
    assert fragment in ei.value.message, str(ei.value)


def test_good_book_values_round_trip(tmp_path):
    """Every parsed value equals what the generator wrote (units: coupon percent, yield
    decimal, par/MV/DV01 USD) and derived risk fields follow MV x duration / 1e4."""
    rng = np.random.default_rng(7)
    kinds = ["T" if rng.random() < 0.5 else "R" for _ in range(300)]
    rows = [_good_row(k, kinds[k], rng) for k in range(300)]
    for r in rows[::3]:
        r.pop("dv01", None)        # derive DV01 from MV x duration on every third risk row
    df = read_holdings(_write(tmp_path, _book_text(rows, {5, 6, 100})), asof="2025-07-11")
    assert len(df) == 300 and df["id"].tolist() == [r["id"] for r in rows]
    for r, got in zip(rows, df.itertuples(), strict=True):
        assert got.par == float(r["par"])
        if "coupon" in r:
            assert got.kind == "terms" and got.coupon_pct == float(r["coupon"])
            assert got.yield_dec == pytest.approx(float(r["yield"]) / 100, abs=1e-15)
            assert got.maturity == pd.Timestamp(r["maturity"]) and got.frequency == 2
            assert got.day_count == ("ACT/ACT" if r["sector"] == "Treasury" else "30/360")
        else:
            mv, dur = float(r["market_value"]), float(r["duration"])
            assert got.kind == "risk" and got.market_value == mv and got.duration == dur
            assert got.dv01 == (float(r["dv01"]) if "dv01" in r else
                                pytest.approx(mv * dur * 1e-4, rel=1e-12))
            assert got.full_price == pytest.approx(mv / got.par * 100, rel=1e-12)
            assert (got.krd_2Y, got.krd_10Y) == (float(r["krd_2Y"]), float(r["krd_10Y"]))


def test_odd_cells_parse_like_a_spreadsheet_user_means(tmp_path):
    text = (f"{TERMS_HDR},yield,frequency\n"
            'T1,Treasury,"1,000,000",4.25%,02/15/2035,99-16+,,semiannual\n'
            'T2,Treasury,"$2,000,000",4.5,20360215,101.5,4.4%,annual\n'
            "T3,Treasury,(1000000),4,15-Feb-2037,100-08,,12\n")
    df = read_holdings(_write(tmp_path, text))
    assert df["par"].tolist() == [1e6, 2e6, -1e6]
    assert df["coupon_pct"].tolist() == [4.25, 4.5, 4.0]
    assert df["price"].tolist() == [99 + 16.5 / 32, 101.5, 100.25]
    assert df["maturity"].tolist() == [pd.Timestamp(d) for d in
                                      ("2035-02-15", "2036-02-15", "2037-02-15")]
    assert df["frequency"].tolist() == [2, 1, 12]
    assert df["yield_dec"].iloc[1] == pytest.approx(0.044)


def test_rows_wider_than_the_header_and_padded_blank_rows(tmp_path):
    # a row with an extra cell beyond the header (read by the exact reader), a row of spaces
    # (blank: skipped, counted) and a row blank but for a cell beyond the header (not blank)
    text = (f"{TERMS_HDR}\n{GOOD_T},extra\n  ,  ,  \nT2,Treasury,1e6,4,2031-01-15,99\n"
            ",,,,,,note\n")
    with pytest.raises(InputError) as ei:
        read_holdings(_write(tmp_path, text))
    assert (ei.value.row, ei.value.column) == (5, "id")
    df = read_holdings(_write(tmp_path, f"{TERMS_HDR}\n{GOOD_T},extra\n  ,  ,  \n"
                                        "T2,Treasury,1e6,4,2031-01-15,99\n", "ok.csv"))
    assert df["row"].tolist() == [2, 4]


def test_typed_parquet_columns_are_checked_like_text(tmp_path):
    df = pd.DataFrame({"id": [101.0, 102.0], "sector": ["Treasury", "Treasury"],
                       "par": [1e6, 1e6], "coupon": [4.0, 4.5],
                       "maturity": pd.to_datetime(["2031-01-15", "2032-01-15"]),
                       "price": [99.0, 350.5]})
    df.to_parquet(tmp_path / "h.parquet", index=False)
    with pytest.raises(InputError) as ei:
        read_holdings(tmp_path / "h.parquet")
    assert (ei.value.row, ei.value.column) == (3, "price") and "absurd" in ei.value.message
    df.loc[1, "price"] = 99.5
    df.to_parquet(tmp_path / "h.parquet", index=False)
    out = read_holdings(tmp_path / "h.parquet")
    assert out["id"].tolist() == ["101", "102"]          # numeric ids as a spreadsheet shows
