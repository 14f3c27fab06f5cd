"""`overlay analyze`: portfolio exposures (market value, DV01, duration, key-rate DV01s) per
holding, per sector and in total, on the Treasury curve of the as-of date.

Built for books of any size: the holdings are validated column-at-a-time
(:mod:`data.holdings`), exposures are computed in blocks of :data:`BLOCK_ROWS` holdings (each
block is one vectorized pass of :func:`models.exposures.compute_exposures`; blocks bound the
memory of the cash-flow matrices and keep them in cache), and every output is written from whole
frames: the terminal shows the sector and portfolio totals and the largest holdings by |DV01|
(``--top``), ``--json`` prints every holding (one JSON object per line inside the document,
serialized by pandas), ``--csv PATH`` writes the per-holding table.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from data.loaders import PORTFOLIOS_DIR
from models.curves import ALLOWED_KEY_TENORS, DEFAULT_KEY_TENORS, curve_on, parse_key_tenors
from models.exposures import Exposures, aggregate, compute_exposures
from optimizer import validate as V
from optimizer.reporting import formatters as fmt
from optimizer.reporting.formatters import dumps
from optimizer.reporting.output import csv_text_columnar, table

DEFAULT_PORTFOLIO = PORTFOLIOS_DIR / "default.csv"
#: holdings per vectorized exposure pass: about 12 MB per cash-flow array of 30-year bonds;
#: smaller blocks cost call overhead, larger ones memory and cache misses (measured in
#: benchmarks/bench_analyze.py)
BLOCK_ROWS = 5_000
DEFAULT_TOP = 20
#: per-holding CSV columns (then the key-rate columns)
CSV_COLUMNS = ["row", "id", "sector", "kind", "par", "market_value", "dv01", "duration",
               "yield_dv01", "modified_duration", "dv01_basis", "clean_price", "full_price", "accrued", "yield_dec", "spread_bp",
               "convexity", "krd_source"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze", help="portfolio DV01, duration and key-rate DV01s by holding and sector",
        description="Measure a bond portfolio's exposures: market value (full price x par), "
                    "DV01 (USD gain for a 1 bp fall in yield; positive for a long), modified "
                    "duration and key-rate DV01s (triangular 1 bp par-yield bumps of the "
                    "Treasury curve, repriced at each bond's constant spread) per holding, per "
                    "sector and for the portfolio. The terminal shows the sector and portfolio "
                    "totals and the largest holdings; --json and --csv give every holding.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--portfolio", default=str(DEFAULT_PORTFOLIO),
                   help="holdings file (CSV, XLSX or Parquet; columns per SPEC §4)")
    p.add_argument("--asof", default=None, type=V.arg(V.market_date_text),
                   help="as-of date YYYY-MM-DD (default: latest bundled Treasury curve date; "
                        "a date without a curve uses the nearest earlier one)")
    p.add_argument("--key-tenors", default=",".join(DEFAULT_KEY_TENORS),
                   type=V.arg(V.key_tenors_text),
                   help=f"comma-separated key tenors from {','.join(ALLOWED_KEY_TENORS)}")
    p.add_argument("--top", type=V.arg(V.integer, lo=0, hint="0 shows every holding"),
                   default=DEFAULT_TOP, metavar="N",
                   help="holdings shown in the terminal, largest |DV01| first (0 = all)")
    p.add_argument("--json", action="store_true",
                   help="machine-readable output on stdout, every holding")
    p.add_argument("--csv", metavar="PATH",
                   help="write every holding's exposures (one row per holding) as CSV")
    p.set_defaults(func=run)


def exposures_in_blocks(holdings: pd.DataFrame, curve, key_tenors, block_rows: int = BLOCK_ROWS
                        ) -> Exposures:
    """:func:`compute_exposures` over blocks of ``block_rows`` holdings, totals over all.

    Every per-holding figure depends on that holding and the curve only, so the blocks' rows
    are exactly the one-pass rows; sector and portfolio totals are summed once over all rows
    (:func:`models.exposures.aggregate`). Peak memory is that of one block."""
    keys = tuple(key_tenors)
    if len(holdings) <= block_rows:
        return compute_exposures(holdings, asof=curve.asof, key_tenors=keys, curve=curve)
    parts = [compute_exposures(holdings.iloc[i:i + block_rows], asof=curve.asof,
                               key_tenors=keys, curve=curve, totals=False)
             for i in range(0, len(holdings), block_rows)]
    rows = pd.concat([e.holdings for e in parts], ignore_index=True)
    sectors, portfolio = aggregate(rows, keys)
    first = parts[0]
    return Exposures(first.asof, first.settle, keys, rows, sectors, portfolio, first.curve_note)


# ------------------------------------------------------------------------------------ JSON
def _krd_dict(row: pd.Series, tenors) -> dict[str, float]:
    return {t: float(row[f"krd_{t}"]) for t in tenors}


def _totals(e: Exposures) -> tuple[list[dict], dict]:
    cols = ["market_value", "dv01", "duration", "yield_dv01", "modified_duration"]
    sectors = [{"sector": str(r["sector"]), **{c: float(r[c]) for c in cols},
                "key_rate_dv01": _krd_dict(r, e.key_tenors)} for _, r in e.sectors.iterrows()]
    port = {**{c: float(e.portfolio[c]) for c in cols},
            "key_rate_dv01": _krd_dict(e.portfolio, e.key_tenors)}
    return sectors, port


#: stand-in keys while pandas serializes each holding as one flat object: ``@krd`` marks the
#: first key rate (the ``key_rate_dv01`` object opens there), ``@end`` a last column (it closes
#: there). An unescaped '"' only delimits keys and strings in JSON, so ',"@krd' and ',"@end'
#: cannot occur inside a value and the nesting is made by plain substring replacement.
_OPEN, _CLOSE = "@krd", "@end"


def holdings_json_records(e: Exposures) -> str:
    """Every holding as ``{"id", "sector", "market_value", "dv01", "duration", "yield_dv01",
    "modified_duration", "dv01_basis", "key_rate_dv01": {tenor: USD}}``, one per line,
    separated by ``",\n    "``.

    Serialized column-wise by pandas (``to_json``, 15 decimals, NaN as null) as flat objects
    with two stand-in keys; two substring replacements over the whole text then open and close
    the ``key_rate_dv01`` object -- no Python loop over holdings."""
    h = e.holdings
    if not len(h):
        return ""
    tenors = list(e.key_tenors)
    base = ["id", "sector", "market_value", "dv01", "duration", "yield_dv01", "modified_duration",
            "dv01_basis"]
    flat = h[[*base, *e.krd_columns]].set_axis([*base, f"{_OPEN}{tenors[0]}", *tenors[1:]],
                                               axis=1)
    flat[_CLOSE] = 0
    text = flat.to_json(orient="records", double_precision=15)
    text = text.replace(f',"{_OPEN}{tenors[0]}":', f',"key_rate_dv01":{{"{tenors[0]}":')
    text = text.replace(f',"{_CLOSE}":0}},', "}},\n    ")
    end = f',"{_CLOSE}":0}}]'
    assert text.startswith("[") and text.endswith(end), "unexpected to_json layout"
    return text[1:-len(end)] + "}}"


def json_text(e: Exposures) -> str:
    """The ``overlay analyze --json`` document: ``asof``, ``holdings`` (one object per line),
    ``sectors`` and ``portfolio`` (each with ``market_value``, ``dv01`` (curve DV01),
    ``duration``, ``yield_dv01``, ``modified_duration``, ``key_rate_dv01``)."""
    sectors, port = _totals(e)
    records = holdings_json_records(e)
    holdings = f"[\n    {records}\n  ]" if records else "[]"
    return (f'{{\n  "asof": {dumps(e.asof, indent=None)},\n'
            f'  "holdings": {holdings},\n'
            f'  "sectors": {dumps(sectors, indent=None)},\n'
            f'  "portfolio": {dumps(port, indent=None)}\n}}\n')


# ------------------------------------------------------------------------------------ text
def _exposure_table(df: pd.DataFrame, cols: list[str], title: str) -> str:
    """USD columns to whole dollars, durations to 2 decimals; key-rate headers as tenors."""
    out = df[cols].copy()
    for c in cols:
        if c in ("market_value", "dv01", "yield_dv01") or c.startswith("krd_"):
            out[c] = out[c].map(fmt.number)
        elif c in ("duration", "modified_duration"):
            out[c] = out[c].map(lambda v: fmt.number(v, 2))
    out.columns = [c[4:] if c.startswith("krd_") else c for c in cols]
    return table(out, title=title)


def top_holdings(e: Exposures, top: int) -> pd.DataFrame:
    """The ``top`` holdings by |DV01| (all when ``top`` is 0 or the book is smaller), in that
    order; ties keep file order."""
    h = e.holdings
    if top == 0 or top >= len(h):
        return h
    return h.loc[h["dv01"].abs().nlargest(top, keep="first").index]


def render(e: Exposures, top: int = DEFAULT_TOP) -> str:
    """Terminal text: sector and portfolio totals, then the largest holdings by |DV01|."""
    k = e.krd_columns
    n = len(e.holdings)
    lines = [f"Portfolio exposures as of {e.asof.date()} (settlement {e.settle.date()}); "
             f"{n:,} holding(s); DV01 = USD gained for a 1 bp fall in yield: dv01 = curve "
             "DV01 (par-curve shift, constant spread; the basis the hedge uses), yield_dv01 = "
             "modified duration x full price (vendor tie-out)"]
    if e.curve_note:
        lines.append(f"note: {e.curve_note}")
    lines += ["", _exposure_table(e.sectors, ["sector", "positions", "market_value", "dv01",
                                         "duration", "yield_dv01", "modified_duration", *k],
                             "Sectors (key-rate DV01s in USD)"), ""]
    port = pd.DataFrame([{**e.portfolio.to_dict(), "sector": "PORTFOLIO"}])
    lines += [_exposure_table(port, ["sector", "market_value", "dv01", "duration", "yield_dv01",
                                "modified_duration", *k], "Portfolio"), ""]
    shown = top_holdings(e, top)
    title = ("Holdings" if len(shown) == n else
             f"Top {len(shown):,} of {n:,} holdings by |DV01|")
    lines.append(_exposure_table(shown, ["id", "sector", "market_value", "dv01", "duration",
                                    "yield_dv01", *k], title))
    if len(shown) < n:
        lines.append(f"... {n - len(shown):,} more holding(s): every holding with --json or "
                     f"--csv PATH (or --top 0 here)")
    lines += [""] + _notes(e)
    return "\n".join(lines)


def _notes(e: Exposures) -> list[str]:
    src = e.holdings["krd_source"]
    n_alloc, n_curve = int((src == "duration-allocated").sum()), int((src == "curve").sum())
    out = []
    if n_curve:
        gap = e.portfolio["dv01"] - e.portfolio["yield_dv01"]
        out.append(f"{n_curve:,} bond(s) priced from terms: dv01 and key-rate DV01s from curve "
                   f"bumps at constant spread (the key rates sum to dv01); curve minus yield "
                   f"DV01 total: {fmt.number(gap)} USD.")
    n_given = int(e.holdings["dv01_basis"].astype(str).str.startswith("given").sum())
    if n_given:
        out.append(f"{n_given:,} precomputed position(s): dv01 is the user's number as given "
                   "(or duration x market value).")
    if n_alloc:
        out.append(f"{n_alloc:,} precomputed position(s) without key-rate columns: DV01 "
                   "allocated to key tenors by duration (between the key tenors' par-bond "
                   "durations).")
    return out


def csv_frame(e: Exposures) -> pd.DataFrame:
    """The ``--csv`` table: one row per holding (source row number, identity, risk, quotes,
    key-rate DV01s and how they were obtained)."""
    cols = [c for c in CSV_COLUMNS if c in e.holdings.columns] + e.krd_columns
    return e.holdings[cols]


def run(args) -> int:
    from data.holdings import read_holdings
    from optimizer.cli import emit

    keys = parse_key_tenors(args.key_tenors)
    curve = curve_on(args.asof)
    holdings = read_holdings(args.portfolio, asof=curve.asof)
    e = exposures_in_blocks(holdings, curve, keys)
    if args.csv:
        emit.text(args.csv, csv_text_columnar(csv_frame(e)), "--csv")
    if args.json:
        if e.curve_note:
            print(f"note: {e.curve_note}", file=sys.stderr)
        sys.stdout.write(json_text(e))
    else:
        print(render(e, args.top))
    return 0
