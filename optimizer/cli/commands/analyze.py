"""`overlay analyze`: portfolio exposures (market value, DV01, duration, key-rate DV01s) per
holding, per sector and in total, on the Treasury curve of the as-of date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from data.errors import InputError
from data.loaders import PORTFOLIOS_DIR
from models.curves import ALLOWED_KEY_TENORS, DEFAULT_KEY_TENORS, curve_on, parse_key_tenors
from models.exposures import Exposures, compute_exposures
from optimizer.reporting.output import print_json, table

DEFAULT_PORTFOLIO = PORTFOLIOS_DIR / "default.csv"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze", help="portfolio DV01, duration and key-rate DV01s by holding and sector",
        description="Measure a bond portfolio's exposures: market value (full price x par), "
                    "DV01 (USD gain for a 1 bp fall in yield; positive for a long), modified "
                    "duration and key-rate DV01s (triangular 1 bp par-yield bumps of the "
                    "Treasury curve, repriced at each bond's constant spread) per holding, per "
                    "sector and for the portfolio.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--portfolio", default=str(DEFAULT_PORTFOLIO),
                   help="holdings file (CSV, XLSX or Parquet; columns per SPEC §4)")
    p.add_argument("--asof", default=None,
                   help="as-of date YYYY-MM-DD (default: latest bundled Treasury curve date; "
                        "a date without a curve uses the nearest earlier one)")
    p.add_argument("--key-tenors", default=",".join(DEFAULT_KEY_TENORS),
                   help=f"comma-separated key tenors from {','.join(ALLOWED_KEY_TENORS)}")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def _read(path: str, asof) -> pd.DataFrame:
    try:
        from data.holdings import read_holdings
    except ImportError:  # pragma: no cover - holdings module ships with the package
        read_holdings = None
    if read_holdings is not None:
        return read_holdings(path, asof=asof)
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=path)
    df = pd.read_csv(p)
    df.attrs["source"] = str(p)
    return df


def _fmt_table(df: pd.DataFrame, cols: list[str], title: str) -> str:
    out = df[cols].copy()
    for c in cols:
        if c in ("market_value", "dv01", "yield_dv01") or c.startswith("krd_"):
            out[c] = out[c].map(lambda v: f"{v:,.0f}")
        elif c in ("duration", "modified_duration"):
            out[c] = out[c].map(lambda v: f"{v:.2f}")
    out.columns = [c[4:] if c.startswith("krd_") else c for c in cols]
    return table(out, title=title)


def render(e: Exposures) -> str:
    k = e.krd_columns
    lines = [f"Portfolio exposures as of {e.asof.date()} (settlement {e.settle.date()}); "
             "DV01 = USD gained for a 1 bp fall in yield: dv01 = curve DV01 (par-curve shift, "
             "constant spread; the basis the hedge uses), yield_dv01 = modified duration x "
             "full price (vendor tie-out)"]
    if e.curve_note:
        lines.append(f"note: {e.curve_note}")
    lines.append("")
    lines.append(_fmt_table(e.holdings, ["id", "sector", "market_value", "dv01", "duration",
                                         "yield_dv01", *k],
                            "Holdings (key-rate DV01s in USD by tenor)"))
    lines.append("")
    lines.append(_fmt_table(e.sectors, ["sector", "market_value", "dv01", "duration",
                                        "yield_dv01", "modified_duration", *k], "Sectors"))
    lines.append("")
    port = pd.DataFrame([{**e.portfolio.to_dict(), "sector": "PORTFOLIO"}])
    lines.append(_fmt_table(port, ["sector", "market_value", "dv01", "duration", "yield_dv01",
                                   "modified_duration", *k], "Portfolio"))
    n_alloc = int((e.holdings["krd_source"] == "duration-allocated").sum())
    n_curve = int((e.holdings["krd_source"] == "curve").sum())
    lines.append("")
    if n_curve:
        gap = e.portfolio["dv01"] - e.portfolio["yield_dv01"]
        lines.append(f"{n_curve} bond(s) priced from terms: dv01 and key-rate DV01s from curve "
                     f"bumps at constant spread (the key rates sum to dv01); curve minus yield "
                     f"DV01 total: {gap:,.0f} USD.")
    n_given = int(e.holdings["dv01_basis"].astype(str).str.startswith("given").sum())
    if n_given:
        lines.append(f"{n_given} precomputed position(s): dv01 is the user's number as given "
                     "(or duration x market value).")
    if n_alloc:
        lines.append(f"{n_alloc} precomputed position(s) without key-rate columns: DV01 "
                     "allocated to key tenors by duration (between the key tenors' par-bond "
                     "durations).")
    return "\n".join(lines)


def run(args) -> int:
    keys = parse_key_tenors(args.key_tenors)
    curve = curve_on(args.asof)
    holdings = _read(args.portfolio, curve.asof)
    e = compute_exposures(holdings, asof=curve.asof, key_tenors=keys, curve=curve)
    if args.json:
        if e.curve_note:
            print(f"note: {e.curve_note}", file=sys.stderr)
        print_json(e.to_dict())
    else:
        print(render(e))
    return 0
