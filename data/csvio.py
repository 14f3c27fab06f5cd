"""Reading users' small CSV files with one clear error per problem (SPEC §4).

Every reader of a user CSV (margins, securities, histories, prices, scenarios) starts the same
way; :func:`read_user_csv` is that start: the file exists and is a file, parses as CSV, has a
header with the required columns (each once) and at least one row. Cells come back as stripped
strings (blank = ``""``) so each reader validates its own values and names the row (header = row
1) and column. Row numbers are the spreadsheet's: ``df.index`` holds them, and an empty line in
the middle of a file is kept as a row of blanks (so ``position + 2`` stays the row number); only
empty lines at the end are dropped. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from data.errors import InputError


def read_user_csv(path: str | Path, what: str = "file", required: Sequence[str] = (),
                  lower: bool = True, allow_empty: bool = False) -> pd.DataFrame:
    """The CSV at ``path`` as a frame of strings, header names stripped (and lower-cased).

    ``what`` names the file in messages ("margins file"). Raises :class:`InputError` for a missing
    file, a directory, unreadable or non-UTF-8 content, a missing required column, or no rows.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError(f"{what} not found", file=name)
    if p.is_dir():
        raise InputError(f"{what} is a directory, expected a CSV file", file=name)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True,
                         encoding="utf-8-sig", skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{what} is empty", file=name) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what} as CSV: not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start}); save it as CSV UTF-8", file=name) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"cannot read {what} as CSV ({_parser_message(exc)})",
                         file=name) from None
    _check_header(df, name)
    df.columns = [str(c).strip().lower() if lower else str(c).strip() for c in df.columns]
    cols = {c.lower() for c in df.columns}
    for col in required:
        if col.lower() not in cols:
            raise InputError(f"missing required column (header has: {', '.join(df.columns)})",
                             file=name, row=1, column=col)
    df.index = pd.RangeIndex(2, len(df) + 2)
    blank = (df == "").all(axis=1) if len(df.columns) else pd.Series(True, index=df.index)
    while len(df) and bool(blank.iloc[-1]):  # trailing empty lines only
        df, blank = df.iloc[:-1], blank.iloc[:-1]
    if df.empty and not allow_empty:
        raise InputError(f"{what} has no data rows", file=name, row=2)
    return df.apply(lambda s: s.str.strip()) if len(df) else df


def _parser_message(exc: Exception) -> str:
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if m:
        return (f"row {m.group(2)} has {m.group(3)} cells but the header has {m.group(1)} "
                "columns; quote cells that contain commas")
    return str(exc).strip().splitlines()[-1]


def _check_header(df: pd.DataFrame, name: str) -> None:
    """Header cells: none blank, none repeated (pandas would rename a repeat 'price.1')."""
    cols = [str(c) for c in df.columns]
    for c in cols:
        if c.startswith("Unnamed: ") and (df[c] != "").any():
            raise InputError("a column has no name in the header", file=name, row=1,
                             column=f"column {cols.index(c) + 1}")
        m = re.match(r"^(.*)\.(\d+)$", c)
        if m and m.group(1) in cols:
            raise InputError("column given twice in the header", file=name, row=1,
                             column=m.group(1).strip())
