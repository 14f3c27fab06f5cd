"""Holdings input: read and validate a user's portfolio file (SPEC §4 "Holdings").

``read_holdings(path)`` reads CSV, Excel (.xlsx/.xlsm) or Parquet, one row per position, and
returns one validated, normalized :class:`pandas.DataFrame` that every downstream module uses.
Any problem raises **one** :class:`data.errors.InputError` naming the file, the row (as a
spreadsheet shows it: header = row 1, first position = row 2) and the column; rows are scanned in
order and the first problem found is reported.

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
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError

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
_ALIASES = {
    "cusip": "id", "face": "par", "face_value": "par", "par_value": "par", "par_amount": "par",
    "ytm": "yield", "yield_pct": "yield", "yield_to_maturity": "yield",
    "coupon_pct": "coupon", "coupon_rate": "coupon",
    "clean_price": "price", "dirty_price": "full_price",
    "mv": "market_value", "modified_duration": "duration", "mod_duration": "duration",
    "maturity_date": "maturity",
}
_REQUIRED = ("id", "sector", "par")

_BLANK_STRINGS = {"", "nan", "na", "n/a", "#n/a", "null", "none", "nat"}

_DAY_COUNTS = {
    "ACT/ACT": "ACT/ACT", "ACTUAL/ACTUAL": "ACT/ACT", "ACT/ACTICMA": "ACT/ACT",
    "ACT/ACT(ICMA)": "ACT/ACT", "ACT/ACTISMA": "ACT/ACT", "ACTUAL/ACTUAL(ICMA)": "ACT/ACT",
    "ACTUAL/ACTUALICMA": "ACT/ACT", "ACTACT": "ACT/ACT", "A/A": "ACT/ACT", "ISMA-99": "ACT/ACT",
    "ACT/ACTBOND": "ACT/ACT",
    "30/360": "30/360", "30/360US": "30/360", "30U/360": "30/360", "30/360BONDBASIS": "30/360",
    "BONDBASIS": "30/360", "30/360(BONDBASIS)": "30/360", "30/360BOND": "30/360",
    "30360": "30/360", "30/360SIA": "30/360", "30/360ISDA": "30/360", "30/360(US)": "30/360",
}
_FREQ_WORDS = {"annual": 1, "annually": 1, "semiannual": 2, "semi-annual": 2, "semiannually": 2,
               "semi-annually": 2, "quarterly": 4, "monthly": 12}
_TREASURY_SECTORS = {"treasury", "treasuries", "ust", "us treasury", "u.s. treasury", "govt",
                     "government"}

_MAX_COUPON_PCT = 30.0
_MAX_YIELD_PCT = 100.0
_MIN_YIELD_PCT = -5.0
_MAX_PRICE = 300.0
_MIN_PRICE = 2.0          # below this a "price" is almost surely per 1 rather than per 100
_MAX_DURATION = 60.0
_MIN_ABS_PAR = 1000.0     # below this, par is almost surely in $ millions/thousands
_DECIMAL_YIELD = 0.25     # a percent yield below this, in a file of normal yields, is suspicious
_MV_TOL = 0.005           # market_value vs full_price x par / 100 when both are given
_DV01_TOL = 0.02          # dv01 vs MV x duration / 1e4 when both are given


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

    sheet_name = None
    if ext == ".csv":
        header, rows = _read_csv(p, path_str)
        label = path_str
    elif ext in (".xlsx", ".xlsm"):
        header, rows, label, sheet_name = _read_xlsx(p, path_str, sheet)
    else:
        header, rows = _read_parquet(p, path_str)
        label = path_str

    df = _validate(header, rows, label, asof_ts)
    df.attrs["source"] = path_str
    df.attrs["sheet"] = sheet_name
    df.attrs["asof"] = asof_ts
    return df


# --------------------------------------------------------------------------------------------
# readers: each returns (header cells, [(row number, [cells])]) with blank rows dropped but
# row numbers kept as a spreadsheet shows them
# --------------------------------------------------------------------------------------------

Rows = list[tuple[int, list[object]]]


def _is_blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NaT or (isinstance(v, np.floating) and np.isnan(v)):
        return True
    if isinstance(v, str) and v.strip().lower() in _BLANK_STRINGS:
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (str, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _split_header_rows(lines: Iterable[list[object]], label: str) -> tuple[list[object], Rows]:
    header: list[object] | None = None
    rows: Rows = []
    for n, cells in enumerate(lines, start=1):
        if all(_is_blank(c) for c in cells):
            continue
        if header is None:
            header = list(cells)
            continue
        rows.append((n, list(cells)))
    if header is None:
        raise InputError("file is empty (no header, no positions)", file=label)
    return header, rows


def _read_csv(p: Path, label: str) -> tuple[list[object], Rows]:
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
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=label) from exc
    header, rows = _split_header_rows(lines, label)
    if len(header) == 1 and any(sep in str(header[0]) for sep in (";", "\t", "|")):
        raise InputError("the header has a single column; the file looks ';'-, tab- or "
                         "'|'-separated — holdings CSV files must be comma-separated",
                         file=label, row=1)
    return header, rows


def _read_xlsx(p: Path, label: str, sheet: str | int | None):
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
        names = wb.sheetnames
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()
                                         and sheet.strip() not in names):
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise InputError(f"no sheet number {idx} (the workbook has {len(names)} "
                                 f"sheet(s): {', '.join(names)})", file=label)
            name = names[idx]
        else:
            matches = [n for n in names if n == sheet] or \
                      [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
            if not matches:
                raise InputError(f"no sheet named '{sheet}' (sheets: {', '.join(names)})",
                                 file=label)
            name = matches[0]
        sheet_label = f"{label}[{name}]"
        ws = wb[name]
        lines = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    header, rows = _split_header_rows(lines, sheet_label)
    return header, rows, sheet_label, name


def _read_parquet(p: Path, label: str) -> tuple[list[object], Rows]:
    try:
        frame = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises many types for corrupt input
        raise InputError(f"unreadable or corrupt Parquet file ({type(exc).__name__}: {exc})",
                         file=label) from exc
    header = [str(c) for c in frame.columns]
    if not header:
        raise InputError("file is empty (no columns)", file=label)
    # Row numbers as if the table were opened in a spreadsheet: header = 1, first row = 2.
    rows = [(i + 2, list(vals)) for i, vals in enumerate(frame.itertuples(index=False, name=None))]
    return header, rows


# --------------------------------------------------------------------------------------------
# headers
# --------------------------------------------------------------------------------------------

_KRD_RE = re.compile(r"^krd_?(\d+(?:\.\d+)?)([ym])$", re.IGNORECASE)


def _norm_header(h: object) -> str:
    s = "" if _is_blank(h) else str(h)
    s = s.replace("\ufeff", "").strip().lower()
    s = re.sub(r"\(.*?\)", "", s).strip()      # "par (usd)" -> "par"
    s = re.sub(r"[\s\-]+", "_", s)
    return s.strip("_")


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


# --------------------------------------------------------------------------------------------
# cell parsers (raise _CellError; the caller adds file/row/column)
# --------------------------------------------------------------------------------------------

class _CellError(Exception):
    pass


def _to_float(v: object, *, percent: bool = False, thirty_seconds: bool = False) -> float:
    if isinstance(v, bool):
        raise _CellError(f"expected a number, got {v!r}")
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    else:
        s = str(v).strip()
        if thirty_seconds:
            m = re.fullmatch(r"(\d+)-(\d{2})(\+|\d)?", s)
            if m:
                whole, n32, frac = m.groups()
                ticks = int(n32)
                if ticks >= 32:
                    raise _CellError(f"'{s}' is not a valid 32nds price (ticks must be < 32)")
                extra = 0.5 if frac == "+" else (int(frac) / 8 if frac else 0.0)
                return int(whole) + (ticks + extra) / 32.0
        t = s.replace(",", "").replace("$", "").replace("_", "").replace(" ", "")
        neg = t.startswith("(") and t.endswith(")")
        if neg:
            t = t[1:-1]
        if percent and t.endswith("%"):
            t = t[:-1]
        try:
            x = float(t)
        except ValueError:
            raise _CellError(f"'{s}' is not a number") from None
        if neg:
            x = -x
    if not math.isfinite(x):
        raise _CellError(f"'{v}' is not a finite number")
    return x


_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%b %d, %Y",
                 "%Y%m%d", "%Y/%m/%d")


def _to_date(v: object) -> pd.Timestamp:
    if isinstance(v, (datetime, date, pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        if ts is pd.NaT:
            raise _CellError("blank date")
        return ts.normalize().tz_localize(None) if ts.tzinfo else ts.normalize()
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        s = str(int(v)) if float(v).is_integer() else str(v)
    else:
        s = str(v).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?", s):
        try:
            return pd.Timestamp(s[:10])
        except ValueError:
            raise _CellError(f"'{s}' is not a valid date") from None
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(s, fmt))
        except ValueError:
            continue
    raise _CellError(f"unparseable date '{s}' (expected YYYY-MM-DD, e.g. 2035-02-15)")


def _to_day_count(v: object) -> str:
    s = re.sub(r"\s+", "", str(v)).upper()
    if s in _DAY_COUNTS:
        return _DAY_COUNTS[s]
    raise _CellError(f"unknown day count '{str(v).strip()}' (supported: ACT/ACT (ICMA, "
                     f"Treasuries) and 30/360 (US bond basis, corporates/agencies))")


def _to_frequency(v: object) -> int:
    if isinstance(v, str) and v.strip().lower() in _FREQ_WORDS:
        return _FREQ_WORDS[v.strip().lower()]
    x = _to_float(v)
    if x not in (1.0, 2.0, 4.0, 12.0):
        raise _CellError(f"frequency {v} not supported (coupons per year: 1, 2, 4 or 12)")
    return int(x)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def _abs_yields(rows: Rows, j: int) -> tuple[list[float], bool]:
    """|yield| (percent) of the parseable, non-blank cells of column ``j``, and whether every
    non-blank cell parsed (an unparseable cell is reported by the row checks)."""
    vals, all_parsed = [], True
    for _, cells in rows:
        v = cells[j] if j < len(cells) else None
        if _is_blank(v):
            continue
        try:
            vals.append(abs(_to_float(v, percent=True)))
        except _CellError:
            all_parsed = False
    return vals, all_parsed


def _median_abs_yield(rows: Rows, j: int | None) -> float | None:
    vals = _abs_yields(rows, j)[0] if j is not None else []
    return float(np.median(vals)) if vals else None


def _all_small_yields(rows: Rows, j: int | None) -> bool:
    if j is None:
        return False
    vals, all_parsed = _abs_yields(rows, j)
    return all_parsed and bool(vals) and 0 < max(vals) < _DECIMAL_YIELD


def _validate(header: list[object], rows: Rows, label: str,
              asof: pd.Timestamp | None) -> pd.DataFrame:
    cols, krd_cols, ignored = _map_headers(header, label)
    if not rows:
        raise InputError("no positions: the file has a header but no data rows", file=label)

    col_name = {c: str(header[j]).strip() for c, j in cols.items()}
    col_name.update({k: str(header[j]).strip() for k, j in krd_cols.items()})
    yield_median = _median_abs_yield(rows, cols.get("yield"))
    all_small = _all_small_yields(rows, cols.get("yield"))

    records: list[dict[str, object]] = []
    seen_ids: dict[str, int] = {}
    for rownum, cells in rows:
        def raw(c: str, _cells: list[object] = cells) -> object:
            j = cols.get(c, krd_cols.get(c))
            if j is None or j >= len(_cells):
                return None
            return _cells[j]

        def has(c: str) -> bool:
            return not _is_blank(raw(c))

        def fail(c: str | None, msg: str, _row: int = rownum) -> InputError:
            return InputError(msg, file=label, row=_row,
                              column=col_name.get(c, c) if c else None)

        def num(c: str, **kw) -> float:
            try:
                return _to_float(raw(c), **kw)
            except _CellError as exc:
                raise fail(c, str(exc)) from None

        def dt(c: str) -> pd.Timestamp:
            try:
                return _to_date(raw(c))
            except _CellError as exc:
                raise fail(c, str(exc)) from None

        def need(c: str, why: str = "") -> None:
            if not has(c):
                raise fail(c, f"'{c}' is blank or NaN{why}")

        rec: dict[str, object] = {"row": rownum}
        # identity
        need("id")
        pid = str(raw("id")).strip()
        if isinstance(raw("id"), float) and float(raw("id")).is_integer():
            pid = str(int(raw("id")))           # Excel turns numeric ids into floats
        if pid.upper() in seen_ids:         # ids compare case-insensitively (CUSIPs)
            raise fail("id", f"duplicate id '{pid}' (first used on row {seen_ids[pid.upper()]})")
        seen_ids[pid.upper()] = rownum
        rec["id"] = pid
        need("sector")
        sector = str(raw("sector")).strip()
        rec["sector"] = sector
        need("par")
        par = num("par")
        if par == 0:
            raise fail("par", "par is zero; give the face amount in USD (negative for a short)")
        if abs(par) < _MIN_ABS_PAR:
            raise fail("par", f"par {par:g} is face in USD; it looks like millions or thousands "
                              f"(write 20000000 for $20M face)")
        rec["par"] = par

        # kind
        is_terms = has("coupon") and has("maturity")
        has_mv = has("market_value") or has("full_price")
        has_dur = has("duration") or has("dv01")
        is_risk = has_mv and has_dur
        if not is_terms and not is_risk:
            raise fail(_row_missing(has), _row_ambiguous_msg(has))
        rec["kind"] = "terms" if is_terms else "risk"

        rec["description"] = str(raw("description")).strip() if has("description") else None
        rec["rating"] = str(raw("rating")).strip() if has("rating") else None

        # terms fields
        coupon = num("coupon", percent=True) if has("coupon") else np.nan
        if has("coupon"):
            if coupon < 0:
                raise fail("coupon", f"coupon {coupon:g} is negative")
            if 0 < coupon < 0.1:
                raise fail("coupon", f"coupon {coupon:g} looks like a decimal; coupons are in "
                                     f"percent, e.g. {coupon * 100:g}")
            if coupon > _MAX_COUPON_PCT:
                raise fail("coupon", f"coupon {coupon:g}% is implausible (> {_MAX_COUPON_PCT:g}); "
                                     f"coupons are annual, in percent, e.g. 4.25")
        rec["coupon_pct"] = coupon

        maturity = dt("maturity") if has("maturity") else pd.NaT
        if has("maturity") and asof is not None and maturity <= asof:
            raise fail("maturity", f"bond matured on {maturity.date()} (on or before the as-of "
                                   f"date {asof.date()}); remove the position")
        rec["maturity"] = maturity
        issue = dt("issue_date") if has("issue_date") else pd.NaT
        if has("issue_date") and has("maturity") and issue >= maturity:
            raise fail("issue_date", f"issue date {issue.date()} is not before maturity "
                                     f"{maturity.date()}")
        rec["issue_date"] = issue
        first_cpn = dt("first_coupon_date") if has("first_coupon_date") else pd.NaT
        if has("first_coupon_date"):
            if has("maturity") and first_cpn > maturity:
                raise fail("first_coupon_date", f"first coupon date {first_cpn.date()} is after "
                                                f"maturity {maturity.date()}")
            if has("issue_date") and first_cpn <= issue:
                raise fail("first_coupon_date", f"first coupon date {first_cpn.date()} is not "
                                                f"after the issue date {issue.date()}")
        rec["first_coupon_date"] = first_cpn

        if has("frequency"):
            try:
                rec["frequency"] = _to_frequency(raw("frequency"))
            except _CellError as exc:
                raise fail("frequency", str(exc)) from None
        else:
            rec["frequency"] = 2
        if has("day_count"):
            try:
                rec["day_count"] = _to_day_count(raw("day_count"))
            except _CellError as exc:
                raise fail("day_count", str(exc)) from None
        else:
            rec["day_count"] = "ACT/ACT" if sector.lower() in _TREASURY_SECTORS else "30/360"

        price = num("price", thirty_seconds=True) if has("price") else np.nan
        if has("price"):
            _check_price(price, "price", "clean price", fail)
        rec["price"] = price

        y = num("yield", percent=True) if has("yield") else np.nan
        if has("yield"):
            if all_small or (abs(y) < _DECIMAL_YIELD and y != 0 and yield_median is not None
                             and yield_median >= 1.0 and abs(100 * abs(y) - yield_median) <= 2.0):
                raise fail("yield", f"yield {y:g} looks like a decimal; yields are in percent, "
                                    f"e.g. {y * 100:g}")
            if y > _MAX_YIELD_PCT:
                raise fail("yield", f"yield {y:g}% is implausible (> {_MAX_YIELD_PCT:g}); yields "
                                    f"are in percent, e.g. 4.5")
            if y < _MIN_YIELD_PCT:
                raise fail("yield", f"yield {y:g}% is implausible (< {_MIN_YIELD_PCT:g})")
        rec["yield_dec"] = y / 100.0

        if is_terms and not (has("price") or has("yield")):
            raise fail("price" if "price" in cols or "yield" not in cols else "yield",
                       "row has bond terms (coupon, maturity) but no price or yield")

        # risk fields
        full_price = num("full_price", thirty_seconds=True) if has("full_price") else np.nan
        if has("full_price"):
            _check_price(full_price, "full_price", "full (dirty) price", fail)
        mv = num("market_value") if has("market_value") else np.nan
        if has("market_value"):
            if mv == 0:
                raise fail("market_value", "market value is zero")
            if np.sign(mv) != np.sign(par):
                raise fail("market_value", f"market value {mv:,.2f} has the opposite sign to "
                                           f"par {par:,.0f}; short positions have negative par "
                                           f"and negative market value")
            if has("full_price"):
                implied = full_price * par / 100.0
                if abs(mv - implied) > _MV_TOL * abs(implied):
                    raise fail("market_value", f"market value {mv:,.2f} disagrees with "
                                               f"full_price x par / 100 = {implied:,.2f}; give one")
            else:
                fp = mv / par * 100.0
                if not _MIN_PRICE <= fp <= _MAX_PRICE:
                    raise fail("market_value", f"market value {mv:,.2f} for par {par:,.0f} is a "
                                               f"price of {fp:.4g} per 100; check units (USD)")
        dur = num("duration") if has("duration") else np.nan
        if has("duration"):
            if dur < 0:
                raise fail("duration", f"duration {dur:g} is negative (modified duration, years)")
            if dur > _MAX_DURATION:
                raise fail("duration", f"duration {dur:g} is implausible (> {_MAX_DURATION:g} "
                                       f"years); give modified duration in years")
        dv01 = num("dv01") if has("dv01") else np.nan
        if has("dv01"):
            if dv01 != 0 and np.sign(dv01) != np.sign(par):
                raise fail("dv01", f"dv01 {dv01:,.2f} has the opposite sign to par {par:,.0f}; "
                                   f"DV01 is the USD gain for a 1 bp fall in yield (positive "
                                   f"for a long bond, negative for a short)")
        if is_risk and not is_terms:
            if np.isnan(mv):
                mv = full_price * par / 100.0
            if np.isnan(full_price):
                full_price = mv / par * 100.0
            if np.isnan(dur):
                dur = dv01 * 1e4 / mv
                if dur > _MAX_DURATION:
                    raise fail("dv01", f"dv01 {dv01:,.2f} implies a duration of {dur:.1f} years "
                                       f"(> {_MAX_DURATION:g}); DV01 is USD per 1 bp for the "
                                       f"whole position")
            elif np.isnan(dv01):
                dv01 = mv * dur * 1e-4
            else:
                implied = mv * dur * 1e-4
                if abs(dv01 - implied) > _DV01_TOL * max(abs(implied), 1e-9):
                    raise fail("dv01", f"dv01 {dv01:,.2f} disagrees with market value x "
                                       f"duration / 10,000 = {implied:,.2f}; give one")
        rec.update(full_price=full_price, market_value=mv, duration=dur, dv01=dv01)

        # key-rate DV01s: all or none per row
        if krd_cols:
            present = [k for k in krd_cols if has(k)]
            if present and len(present) != len(krd_cols):
                missing = next(k for k in krd_cols if not has(k))
                raise fail(missing, f"'{missing}' is blank but other key-rate DV01s are given "
                                    f"for this position; give all key rates or none")
            for k in krd_cols:
                rec[k] = num(k) if has(k) else np.nan
        records.append(rec)

    out = pd.DataFrame.from_records(records)
    krd_names = _sorted_krd(krd_cols)
    out = out.reindex(columns=OUTPUT_COLUMNS + krd_names)
    for c in ("maturity", "issue_date", "first_coupon_date"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    for c in ("par", "coupon_pct", "price", "yield_dec", "full_price", "market_value",
              "duration", "dv01", *krd_names):
        out[c] = out[c].astype(float)
    out["row"] = out["row"].astype(int)
    out["frequency"] = out["frequency"].astype(int)
    out.attrs["key_rate_columns"] = krd_names
    out.attrs["ignored_columns"] = ignored
    return out


def _check_price(x: float, col: str, what: str, fail) -> None:
    if x <= 0:
        raise fail(col, f"{what} {x:g} must be positive (per 100 par)")
    if x > _MAX_PRICE:
        raise fail(col, f"{what} {x:g} is absurd (> {_MAX_PRICE:g} per 100 par); prices are "
                        f"per 100 face, e.g. 98.5")
    if x < _MIN_PRICE:
        raise fail(col, f"{what} {x:g} looks like a fraction of par; prices are per 100 face, "
                        f"e.g. {x * 100:g}")


def _row_missing(has) -> str:
    if has("coupon") and not has("maturity"):
        return "maturity"
    if has("maturity") and not has("coupon"):
        return "coupon"
    if (has("market_value") or has("full_price")) and not (has("duration") or has("dv01")):
        return "duration"
    if (has("duration") or has("dv01")) and not (has("market_value") or has("full_price")):
        return "market_value"
    return "coupon"


def _row_ambiguous_msg(has) -> str:
    return ("position has neither bond terms (coupon and maturity, plus price or yield) nor "
            "precomputed risk (market_value or full_price, plus duration or dv01)")


def _sorted_krd(krd_cols: dict[str, int]) -> list[str]:
    def years(name: str) -> float:
        t = name[4:]
        return float(t[:-1]) / (12.0 if t.endswith("M") else 1.0)
    return sorted(krd_cols, key=years)
