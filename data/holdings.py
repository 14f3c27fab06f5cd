"""Holdings input: read and validate a user's portfolio file (SPEC §4 "Holdings").

``read_holdings(path)`` reads CSV, Excel (.xlsx/.xlsm) or Parquet, one row per position, and
returns one validated, normalized :class:`pandas.DataFrame` that every downstream module uses.
Any problem raises **one** :class:`data.errors.InputError` naming the file, the row (as a
spreadsheet shows it: header = row 1, first position = row 2) and the column. The problem reported
is the first one a row-by-row scan would meet: the first failing row, and in it the first failing
rule in the order of the rules below (identity, kind, terms, prices and yields, precomputed risk,
key rates). The rules run column-at-a-time on whole arrays (:mod:`data.holdings_columns` parses
the cells), so a 100,000-position book is read and checked in a fraction of a second.

Input columns (headers are case-, whitespace- and ``-``/space-vs-``_``-insensitive)
------------------------------------------------------------------------------------
Always required: ``id``, ``sector``, ``par`` (face in USD, signed: short positions negative).

Each row is then either

* **terms** (the row has ``coupon`` and ``maturity``): ``coupon`` (annual, percent, e.g. 4.25),
  ``maturity`` (date), and ``price`` (clean, per 100; Treasury 32nds such as ``99-16+`` accepted)
  or ``yield`` (yield to maturity, percent, e.g. 4.55); or
* **risk** (precomputed): ``market_value`` (USD, position, signed like ``par``) or ``full_price``
  (dirty, per 100; MV = full_price x par / 100), and ``duration`` (modified, years) or ``dv01``
  (USD for the position, positive for a long bond).

Optional: ``description``, ``rating``, ``issue_date``, ``first_coupon_date``, ``frequency``
(coupons per year, 1/2/4/12, default 2), ``day_count`` (``ACT/ACT`` default for sector Treasury,
``30/360`` otherwise; common spellings accepted), key-rate DV01s ``krd_<TENOR>`` (USD, position,
same sign as DV01, e.g. ``krd_2Y``, ``krd_10Y``; a row gives all of them or none).
A few aliases are accepted (``cusip``→id, ``face``→par, ``ytm``→yield, ``clean_price``→price,
``dirty_price``→full_price, ``mv``→market_value, ``modified_duration``→duration,
``maturity_date``→maturity, ``coupon_pct``→coupon, ``yield_pct``→yield). Other columns are ignored
and listed in ``df.attrs["ignored_columns"]``.

Output frame (one row per position, in file order; every column always present)
--------------------------------------------------------------------------------
``row`` (int, source row number), ``id`` (str), ``sector`` (str, stripped, as given), ``kind``
(``"terms"`` | ``"risk"``), ``par`` (float, USD face, signed), ``description``, ``rating`` (str or
None), ``coupon_pct`` (float, **percent**, as in the file), ``maturity``, ``issue_date``,
``first_coupon_date`` (Timestamps, normalized; NaT when absent), ``frequency`` (int),
``day_count`` (``"ACT/ACT"`` | ``"30/360"``), ``price`` (clean per 100, NaN when absent),
``yield_dec`` (**decimal**, 0.0455 for 4.55 %, NaN when absent), ``full_price`` (per 100),
``market_value`` (USD, position), ``duration`` (modified, years), ``dv01`` (USD, position), then
one ``krd_<TENOR>`` column per key-rate column in the file (USD).

For **risk** rows ``market_value``, ``full_price``, ``duration`` and ``dv01`` are all filled: the
ones not given are derived with MV = full_price x par / 100, DV01 = MV x duration / 10,000
(so duration = DV01 x 10,000 / MV). For **terms** rows they are NaN unless the file gives them:
pricing is the job of ``models``. If a terms row gives both price and yield, both are kept;
``price`` is the quote of record.

``df.attrs``: ``source`` (file), ``sheet`` (Excel), ``key_rate_columns`` (list),
``ignored_columns`` (list), ``asof`` (Timestamp or None).

Yield-unit check: a yield column whose values are all below 0.25 (and not all zero) "looks like
decimals" and is rejected; so is a single yield below 0.25 in a file whose median yield is >= 1 %
when 100 x that yield is within 2 points of the median (e.g. 0.045 among 4.5s). A portfolio of
only sub-0.25 % yields (2020-21 front end) would be rejected: give prices instead.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError
from data.holdings_columns import NA_SPELLINGS, RawTable, blank_mask, is_blank
from data.holdings_rules import validate

__all__ = ["read_holdings", "OUTPUT_COLUMNS", "SUPPORTED_EXTENSIONS"]

SUPPORTED_EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".parquet", ".pq")

#: Output columns in order (``krd_<TENOR>`` columns follow).
OUTPUT_COLUMNS = [
    "row", "id", "sector", "kind", "par", "description", "rating", "coupon_pct", "maturity",
    "issue_date", "first_coupon_date", "frequency", "day_count", "price", "yield_dec",
    "full_price", "market_value", "duration", "dv01",
]

_CANONICAL = {
    "id", "sector", "par", "coupon", "maturity", "price", "yield", "market_value", "full_price",
    "duration", "dv01", "description", "issue_date", "first_coupon_date", "frequency",
    "day_count", "rating",
}
#: Columns the CSV reader may type as numbers while parsing (the rest stay text: ids keep their
#: leading zeros, dates and words are parsed by the rules).
_NUMERIC = {"par", "coupon", "price", "yield", "market_value", "full_price", "duration", "dv01"}
_ALIASES = {
    "cusip": "id", "face": "par", "face_value": "par", "par_value": "par", "par_amount": "par",
    "ytm": "yield", "yield_pct": "yield", "yield_to_maturity": "yield",
    "coupon_pct": "coupon", "coupon_rate": "coupon",
    "clean_price": "price", "dirty_price": "full_price",
    "mv": "market_value", "modified_duration": "duration", "mod_duration": "duration",
    "maturity_date": "maturity",
}
_REQUIRED = ("id", "sector", "par")


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def read_holdings(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    asof: str | date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Read and validate a holdings file; see the module docstring for columns and units.

    ``path`` may be ``book.xlsx#Sheet`` to pick an Excel sheet (or pass ``sheet=``; default: the
    first sheet). ``asof``: positions maturing on or before it are rejected.
    """
    path_str = str(path)
    p = Path(path_str)
    if not p.exists() and "#" in path_str:
        base, _, sheet_part = path_str.rpartition("#")
        if Path(base).suffix.lower() in (".xlsx", ".xlsm") and sheet is None:
            p, path_str, sheet = Path(base), base, sheet_part
    asof_ts = None
    if asof is not None:
        try:
            asof_ts = pd.Timestamp(asof).normalize()
        except (ValueError, TypeError) as exc:
            raise InputError(f"unparseable as-of date '{asof}' (expected YYYY-MM-DD)") from exc
    ext = _check_file(p, path_str, sheet)

    sheet_name = None
    if ext == ".csv":
        table = _read_csv(p, path_str)
    elif ext in (".xlsx", ".xlsm"):
        table, sheet_name = _read_xlsx(p, path_str, sheet)
    else:
        table = _read_parquet(p, path_str)

    cols, krd_cols, ignored = _map_headers(table.header, table.label)
    if not len(table.data):
        raise InputError("no positions: the file has a header but no data rows", file=table.label)
    df = validate(table, cols, krd_cols, asof_ts)
    df.attrs["ignored_columns"] = ignored
    df.attrs["source"] = path_str
    df.attrs["sheet"] = sheet_name
    df.attrs["asof"] = asof_ts
    return df


def _check_file(p: Path, path_str: str, sheet: str | int | None) -> str:
    if not p.exists():
        raise InputError("file not found", file=path_str)
    if p.is_dir():
        raise InputError("is a directory, expected a holdings file (.csv, .xlsx, .parquet)",
                         file=path_str)
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        hint = " (save it as .xlsx)" if ext == ".xls" else ""
        raise InputError(f"unsupported file type '{ext or '(none)'}'{hint}; holdings must be "
                         f"CSV (.csv), Excel (.xlsx) or Parquet (.parquet)", file=path_str)
    if sheet is not None and ext not in (".xlsx", ".xlsm"):
        raise InputError(f"a sheet ('{sheet}') was given but the file is not an Excel workbook",
                         file=path_str)
    if p.stat().st_size == 0:
        raise InputError("file is empty (no header, no positions)", file=path_str)
    return ext


# --------------------------------------------------------------------------------------------
# readers: each returns a RawTable; row numbers are as a spreadsheet shows them (header = its
# own row; blank rows before and between positions count)
# --------------------------------------------------------------------------------------------

def _drop_blank_rows(data: pd.DataFrame, rownum: np.ndarray, extra_blank: np.ndarray | None = None
                     ) -> tuple[pd.DataFrame, np.ndarray, dict[int, np.ndarray]]:
    """Drop rows whose every cell is blank; the blank mask of each column of the kept rows."""
    masks = {c: blank_mask(data[c]) for c in data.columns}
    blank = np.ones(len(data), dtype=bool) if extra_blank is None else extra_blank.copy()
    for m in masks.values():
        blank &= m
    if blank.any():
        keep = ~blank
        data, rownum = data[keep].reset_index(drop=True), rownum[keep]
        masks = {c: m[keep] for c, m in masks.items()}
    return data, rownum, masks


def _decode(p: Path, label: str) -> str:
    raw = p.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise InputError("cannot decode the file as text (expected UTF-8 CSV)", file=label)
    if "\x00" in text:
        raise InputError("not a text CSV file (binary content); is it an Excel or Parquet file "
                         "with the wrong extension?", file=label)
    return text


def _read_csv(p: Path, label: str) -> RawTable:
    text = _decode(p, label)
    buf = io.StringIO(text, newline="")
    reader = csv.reader(buf)       # reads whole lines from buf, no read-ahead
    header, hrow = None, 0
    try:
        for cells in reader:
            hrow += 1
            if not all(is_blank(c) for c in cells):
                header = cells
                break
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=label) from exc
    if header is None:
        raise InputError("file is empty (no header, no positions)", file=label)
    if len(header) == 1 and any(sep in str(header[0]) for sep in (";", "\t", "|")):
        raise InputError("the header has a single column; the file looks ';'-, tab- or "
                         "'|'-separated — holdings CSV files must be comma-separated",
                         file=label, row=1)
    del text
    start = buf.tell()
    numeric = {j for j, h in enumerate(header) if _canonical(h) in _NUMERIC | {"krd"}}
    try:
        data, extra_blank = _csv_fast(buf, start, len(header), numeric), None
        # cells the C parser read as booleans ('TRUE') or overflowed ('1e400') are reported as
        # written: read those columns again as text
        retext = {j for j in numeric if not _clean_numbers(data[j])}
        if retext:
            data = _csv_fast(buf, start, len(header), numeric - retext)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        buf.seek(start)
        data, extra_blank = _csv_exact(buf.read(), len(header), label)
    rownum = hrow + 1 + np.arange(len(data))
    data, rownum, blank = _drop_blank_rows(data, rownum, extra_blank)
    return RawTable(header, data, rownum, label, blank)


def _clean_numbers(s: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(s.dtype):
        return True
    return pd.api.types.is_float_dtype(s.dtype) and not np.isinf(s.to_numpy()).any()


def _csv_fast(buf: io.StringIO, start: int, width: int, numeric: set[int]) -> pd.DataFrame:
    """The C parser on the rows after the header (``buf`` from ``start``): numbers typed where a
    whole column is numeric, the rest text. Raises on a row wider than the header (then the
    exact reader takes over)."""
    buf.seek(start)
    if not buf.read(1):
        return pd.DataFrame({j: pd.Series([], dtype=str) for j in range(width)})
    buf.seek(start)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(buf, header=None, names=list(range(width)), index_col=False,
                           dtype={j: str for j in range(width) if j not in numeric},
                           keep_default_na=False, na_values=NA_SPELLINGS,
                           skip_blank_lines=False)


def _csv_exact(rest: str, width: int, label: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Python's csv module, for files the C parser refuses (ragged rows): cells beyond the
    header are ignored but still make a row non-blank."""
    try:
        lines = list(csv.reader(io.StringIO(rest, newline="")))
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=label) from exc
    data, beyond_blank = _cells_frame(lines, width)
    return data.astype({j: "str" for j in range(width)}), beyond_blank


def _cells_frame(lines: list[list[object]], width: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of cells cut to the header's width; whether each row is blank beyond it."""
    beyond_blank = np.array([all(is_blank(c) for c in cells[width:]) for cells in lines],
                            dtype=bool)
    body = [(list(r) + [None] * width)[:width] for r in lines]
    if not body:
        return pd.DataFrame({j: pd.Series([], dtype=object) for j in range(width)}), beyond_blank
    # object columns keep each cell's Python type (an Excel 2 stays 2, not 2.0 beside a blank)
    return pd.DataFrame(body, columns=list(range(width)), dtype=object), beyond_blank


def _read_xlsx(p: Path, label: str, sheet: str | int | None) -> tuple[RawTable, str]:
    import openpyxl  # local: only Excel users pay the import
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError(f"unreadable or corrupt Excel file ({type(exc).__name__}: {exc})",
                         file=label) from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InputError(f"unreadable or corrupt Excel file ({type(exc).__name__}: {exc})",
                         file=label) from exc
    try:
        name = _sheet_name(wb.sheetnames, sheet, label)
        sheet_label = f"{label}[{name}]"
        lines = [list(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()
    first = next((k for k, cells in enumerate(lines) if not all(is_blank(c) for c in cells)),
                 None)
    if first is None:
        raise InputError("file is empty (no header, no positions)", file=sheet_label)
    header = lines[first]
    data, beyond_blank = _cells_frame(lines[first + 1:], len(header))
    rownum = first + 2 + np.arange(len(data))
    data, rownum, blank = _drop_blank_rows(data, rownum, beyond_blank)
    return RawTable(header, data, rownum, sheet_label, blank), name


def _sheet_name(names: list[str], sheet: str | int | None, label: str) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()
                                  and sheet.strip() not in names):
        idx = int(sheet)
        if not 0 <= idx < len(names):
            raise InputError(f"no sheet number {idx} (the workbook has {len(names)} "
                             f"sheet(s): {', '.join(names)})", file=label)
        return names[idx]
    matches = [n for n in names if n == sheet] or \
              [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
    if not matches:
        raise InputError(f"no sheet named '{sheet}' (sheets: {', '.join(names)})", file=label)
    return matches[0]


def _read_parquet(p: Path, label: str) -> RawTable:
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises many types for corrupt input
        raise InputError(f"unreadable or corrupt Parquet file ({type(exc).__name__}: {exc})",
                         file=label) from exc
    header = [str(c) for c in frame.columns]
    if not header:
        raise InputError("file is empty (no columns)", file=label)
    data = frame.set_axis(list(range(len(header))), axis=1).reset_index(drop=True)
    # Row numbers as if the table were opened in a spreadsheet: header = 1, first row = 2.
    return RawTable(header, data, np.arange(len(data)) + 2, label)


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------

_KRD_RE = re.compile(r"^krd_?(\d+(?:\.\d+)?)([ym])$", re.IGNORECASE)


def _norm_header(h: object) -> str:
    s = "" if is_blank(h) else str(h)
    s = s.replace("\ufeff", "").strip().lower()
    s = re.sub(r"\(.*?\)", "", s).strip()      # "par (usd)" -> "par"
    s = re.sub(r"[\s\-]+", "_", s)
    return s.strip("_")


def _canonical(h: object) -> str:
    """The canonical name a header cell maps to ('krd' for key-rate columns, '' if ignored)."""
    n = _norm_header(h)
    if _KRD_RE.match(n):
        return "krd"
    c = _ALIASES.get(n, n)
    return c if c in _CANONICAL else ""


def _map_headers(header: list[object], label: str) -> tuple[dict[str, int], dict[str, int],
                                                              list[str]]:
    """canonical name -> column index; krd label -> index; ignored original names."""
    cols: dict[str, int] = {}
    krd: dict[str, int] = {}
    ignored: list[str] = []
    original: dict[str, str] = {}
    for j, h in enumerate(header):
        n = _norm_header(h)
        if not n:
            continue
        m = _KRD_RE.match(n)
        if m:
            num, unit = m.group(1), m.group(2).upper()
            num = num.rstrip("0").rstrip(".") if "." in num else num
            name = f"krd_{num}{unit}"
            if name in krd:
                raise InputError(f"duplicate key-rate column '{h}' (also '{original[name]}')",
                                 file=label, row=1, column=str(h).strip())
            krd[name] = j
            original[name] = str(h).strip()
            continue
        canon = _ALIASES.get(n, n)
        if canon in _CANONICAL:
            if canon in cols:
                raise InputError(
                    f"columns '{original[canon]}' and '{str(h).strip()}' both mean '{canon}'; "
                    f"keep one", file=label, row=1, column=str(h).strip())
            cols[canon] = j
            original[canon] = str(h).strip()
        else:
            ignored.append(str(h).strip())

    for req in _REQUIRED:
        if req not in cols:
            raise InputError(f"missing required column '{req}'{_suggest(req, ignored)}",
                             file=label, row=1, column=req)
    has_terms = "coupon" in cols and "maturity" in cols and ("price" in cols or "yield" in cols)
    has_risk = ("market_value" in cols or "full_price" in cols) and \
               ("duration" in cols or "dv01" in cols)
    if not (has_terms or has_risk):
        missing = _missing_kind_columns(cols)
        raise InputError(
            f"missing column '{missing}': each position needs either bond terms (coupon, "
            f"maturity, and price or yield) or precomputed risk (market_value or full_price, "
            f"and duration or dv01){_suggest(missing, ignored)}",
            file=label, row=1, column=missing)
    return cols, krd, ignored


def _missing_kind_columns(cols: dict[str, int]) -> str:
    if "coupon" in cols or "maturity" in cols or "price" in cols or "yield" in cols:
        for c in ("coupon", "maturity"):
            if c not in cols:
                return c
        return "price"
    if "market_value" in cols or "full_price" in cols:
        return "duration"
    if "duration" in cols or "dv01" in cols:
        return "market_value"
    return "coupon"


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, [_norm_header(c) for c in candidates], n=1,
                                      cutoff=0.75)
    if close:
        orig = next(c for c in candidates if _norm_header(c) == close[0])
        return f" (is '{orig}' a misspelling of it?)"
    return ""
