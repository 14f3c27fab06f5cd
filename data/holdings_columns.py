"""Column-at-a-time cell parsing for holdings files (used by :mod:`data.holdings`).

Every parser takes one column of raw cells (a :class:`pandas.Series` as the reader produced it:
numbers already typed by the CSV/Parquet reader, text as strings, Excel cells as Python objects)
and returns arrays for the whole column: the parsed values and a ``bad`` mask (non-blank cells
that do not parse). No per-row Python on the common path:

* numeric columns are used as they are; text columns go through ``pandas.to_numeric`` and only
  the cells it cannot read (32nds ``99-16+``, ``1,000,000``, ``4.5%``, ``(250)``, junk) fall back
  to the scalar parser, once per distinct value;
* ISO dates are parsed vectorized on the distinct values; any other spelling goes to the scalar
  parser, once per distinct value;
* Excel columns of mixed Python objects are parsed cell by cell (the workbook reader is per cell
  anyway, and hashing would merge ``True`` with ``1``).

The scalar parsers (``to_float``, ``to_date``, ``to_day_count``, ``to_frequency``) define the
accepted spellings and the exact messages; the vectorized paths only short-cut cells the scalar
parser would read the same way. ``CellError`` carries the message; :mod:`data.holdings` adds
file, row and column.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

__all__ = ["RawTable", "CellError", "BLANK_STRINGS", "NA_SPELLINGS", "blank_mask", "is_blank", "to_float",
           "to_date", "to_day_count", "to_frequency", "parse_numbers", "parse_dates",
           "parse_each", "texts", "ids"]

BLANK_STRINGS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "nat"})
#: Every upper/lower-case spelling of the blank words, for readers' exact NA matching (cells
#: with surrounding spaces are caught afterwards by ``blank_mask``).
NA_SPELLINGS = sorted({"".join(p) for w in BLANK_STRINGS
                       for p in itertools.product(*((ch.lower(), ch.upper()) for ch in w))})

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
_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%b %d, %Y",
                 "%Y%m%d", "%Y/%m/%d")
_ISO_RE = r"\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?"
# datetime64[ns] covers 1677-2262; a bond date outside this window is a typo, not a bond
_MIN_YEAR, _MAX_YEAR = 1900, 2200


@dataclass
class RawTable:
    """A holdings sheet as read: header cells, one raw-cell column per header position (typed
    where the reader could), and each data row's spreadsheet row number. Blank rows are already
    dropped (CSV, Excel) with the numbering kept."""

    header: list[object]
    data: pd.DataFrame
    rownum: np.ndarray
    label: str
    blank: dict[int, np.ndarray] | None = None     # per column, when the reader computed it


class CellError(Exception):
    """One cell does not parse; the message says why (file/row/column added by the caller)."""


# ------------------------------------------------------------------------------ scalar parsers
def is_blank(v: object) -> bool:
    """Empty, NaN/None/NaT, or one of the blank words (``n/a``, ``null``, ...) after stripping."""
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip().lower() in BLANK_STRINGS
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NaT or (isinstance(v, np.floating) and np.isnan(v)):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def to_float(v: object, *, percent: bool = False, thirty_seconds: bool = False) -> float:
    """A number from a cell: ``1,000,000``, ``$5``, ``(250)`` (negative), ``4.5%`` (percent
    columns), ``99-16+`` (Treasury 32nds, price columns)."""
    if isinstance(v, bool):
        raise CellError(f"expected a number, got {v!r}")
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
                    raise CellError(f"'{s}' is not a valid 32nds price (ticks must be < 32)")
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
            raise CellError(f"'{s}' is not a number") from None
        if neg:
            x = -x
    if not math.isfinite(x):
        raise CellError(f"'{v}' is not a finite number")
    return x


def _in_range(ts: pd.Timestamp, shown: object) -> pd.Timestamp:
    if not _MIN_YEAR <= ts.year <= _MAX_YEAR:
        raise CellError(f"date '{shown}' is outside {_MIN_YEAR}-{_MAX_YEAR}")
    return ts


def to_date(v: object) -> pd.Timestamp:
    """A date from a cell: ISO ``2035-02-15`` (the documented form), a spreadsheet date, or a
    few unambiguous spellings (``02/15/2035``, ``15-Feb-2035``, ``20350215``)."""
    if isinstance(v, (datetime, date, pd.Timestamp, np.datetime64)):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, OverflowError):
            raise CellError(f"date '{v}' is out of range") from None
        if ts is pd.NaT:
            raise CellError("blank date")
        ts = ts.tz_localize(None) if ts.tzinfo else ts
        return _in_range(ts.normalize(), v)
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        s = str(int(v)) if float(v).is_integer() else str(v)
    else:
        s = str(v).strip()
    if re.fullmatch(_ISO_RE, s):
        try:
            return _in_range(pd.Timestamp(s[:10]), s)
        except ValueError:
            raise CellError(f"'{s}' is not a valid date") from None
    for fmt in _DATE_FORMATS:
        try:
            ts = pd.Timestamp(datetime.strptime(s, fmt))
        except ValueError:
            continue
        return _in_range(ts, s)
    raise CellError(f"unparseable date '{s}' (expected YYYY-MM-DD, e.g. 2035-02-15)")


def to_day_count(v: object) -> str:
    s = re.sub(r"\s+", "", str(v)).upper()
    if s in _DAY_COUNTS:
        return _DAY_COUNTS[s]
    raise CellError(f"unknown day count '{str(v).strip()}' (supported: ACT/ACT (ICMA, "
                    f"Treasuries) and 30/360 (US bond basis, corporates/agencies))")


def to_frequency(v: object) -> int:
    if isinstance(v, str) and v.strip().lower() in _FREQ_WORDS:
        return _FREQ_WORDS[v.strip().lower()]
    x = to_float(v)
    if x not in (1.0, 2.0, 4.0, 12.0):
        raise CellError(f"frequency {v} not supported (coupons per year: 1, 2, 4 or 12)")
    return int(x)


# ------------------------------------------------------------------------------ column parsers
def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) and s.dtype != object


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def blank_mask(s: pd.Series) -> np.ndarray:
    """Which cells of a column are blank (see :func:`is_blank`)."""
    na = s.isna().to_numpy(dtype=bool)
    if _is_number(s) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return na
    if _is_text(s):
        words = s.str.strip().str.lower().isin(BLANK_STRINGS).to_numpy(dtype=bool)
        return na | words
    return np.fromiter((is_blank(v) for v in s), dtype=bool, count=len(s))


def parse_each(s: pd.Series, blank: np.ndarray, fn: Callable[[object], object]
               ) -> tuple[np.ndarray, np.ndarray]:
    """``fn`` on every non-blank cell, once per distinct value (per cell for mixed objects).

    Returns (object array of results, None where blank or bad; bad mask)."""
    n = len(s)
    out = np.full(n, None, dtype=object)
    bad = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(~blank)
    if not len(idx):
        return out, bad
    sub = s.iloc[idx]
    if sub.dtype == object:      # mixed Python objects: 1 == True would merge when hashed
        keys, codes = list(sub), np.arange(len(idx))
    else:
        codes, uniq = pd.factorize(sub)
        keys = list(uniq)
    res = np.full(len(keys), None, dtype=object)
    err = np.zeros(len(keys), dtype=bool)
    for k, v in enumerate(keys):
        try:
            res[k] = fn(v)
        except CellError:
            err[k] = True
    out[idx], bad[idx] = res[codes], err[codes]
    return out, bad


def parse_numbers(s: pd.Series, blank: np.ndarray, *, percent: bool = False,
                  thirty_seconds: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Float values (NaN where blank or bad) and the bad mask of a column."""
    if _is_number(s):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        todo = ~blank & ~np.isfinite(vals)
    elif _is_text(s):
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        todo = ~blank & ~np.isfinite(vals)
    else:
        vals, todo = np.full(len(s), np.nan), ~blank
    vals = vals.copy()
    vals[blank] = np.nan
    bad = np.zeros(len(s), dtype=bool)
    if todo.any():
        idx = np.flatnonzero(todo)
        res, err = parse_each(s.iloc[idx], np.zeros(len(idx), dtype=bool),
                              lambda v: to_float(v, percent=percent,
                                                 thirty_seconds=thirty_seconds))
        vals[idx] = np.where(err, np.nan, res).astype(float)
        bad[idx] = err
    return vals, bad


def parse_dates(s: pd.Series, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[ns] values (NaT where blank or bad) and the bad mask of a column."""
    n = len(s)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(~blank)
    if not len(idx):
        return out, bad
    sub = s.iloc[idx]
    if pd.api.types.is_datetime64_any_dtype(sub.dtype):
        d = sub.dt.tz_localize(None) if getattr(sub.dt, "tz", None) else sub
        years = d.dt.year.to_numpy()
        ok = (years >= _MIN_YEAR) & (years <= _MAX_YEAR)
        out[idx[ok]] = d[ok].dt.normalize().to_numpy(dtype="datetime64[ns]")
        bad[idx[~ok]] = True
        return out, bad
    if _is_text(sub):
        codes, uniq = pd.factorize(sub.str.strip())
        u = pd.Series(uniq, dtype=object).astype(str)
        iso = u.str.fullmatch(_ISO_RE).to_numpy(dtype=bool)
        ts = pd.to_datetime(u.str.slice(0, 10).where(iso), format="%Y-%m-%d", errors="coerce")
        years = ts.dt.year.to_numpy(dtype=float, na_value=np.nan)
        fast = iso & (years >= _MIN_YEAR) & (years <= _MAX_YEAR)
        uvals = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[ns]")
        uvals[fast] = ts[fast].to_numpy(dtype="datetime64[ns]")
        ubad = np.zeros(len(u), dtype=bool)
        slow = np.flatnonzero(~fast)
        if len(slow):
            res, err = parse_each(u.iloc[slow], np.zeros(len(slow), dtype=bool), to_date)
            ok = slow[~err]
            uvals[ok] = np.array([np.datetime64(t, "ns") for t in res[~err]],
                                 dtype="datetime64[ns]")
            ubad[slow[err]] = True
        out[idx], bad[idx] = uvals[codes], ubad[codes]
        return out, bad
    res, err = parse_each(sub, np.zeros(len(idx), dtype=bool), to_date)
    good = idx[~err]
    if len(good):
        out[good] = np.array([np.datetime64(t, "ns") for t in res[~err]], dtype="datetime64[ns]")
    bad[idx[err]] = True
    return out, bad


def texts(s: pd.Series, blank: np.ndarray) -> pd.Series:
    """Stripped text of each cell as a string Series (missing where blank)."""
    if _is_text(s):
        out = s.str.strip()
    else:
        out = pd.Series([None if b else str(v).strip() for v, b in zip(s, blank, strict=True)],
                        dtype="str")
    return out.where(~blank).reset_index(drop=True)


def ids(s: pd.Series, blank: np.ndarray) -> pd.Series:
    """Position ids as a string Series; numeric ids as spreadsheets show them (``123.0`` ->
    ``123``); missing where blank."""
    if _is_text(s):
        return texts(s, blank)
    if pd.api.types.is_integer_dtype(s.dtype):
        out = s.astype(str)
    elif pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(v) & (v == np.round(v))
        vals = s.astype(str).to_numpy(dtype=object)
        vals[whole] = pd.Series(v[whole]).astype(np.int64).astype(str).to_numpy(dtype=object)
        out = pd.Series(vals, dtype="str")
    else:
        out = pd.Series([str(int(v)) if isinstance(v, float) and v.is_integer() else
                         str(v).strip() for v in s], dtype="str")
    return out.where(~blank).reset_index(drop=True)
