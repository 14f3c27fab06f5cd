"""Reading users' small CSV files with one clear error per problem (SPEC §4).

Every reader of a user CSV (margins, securities, histories, prices, scenarios) starts the same
way; :func:`read_user_csv` is that start: the file exists and is a file, parses as CSV, has a
header with the required columns and at least one row. Cells come back as stripped strings (blank
= ``""``) so each reader validates its own values and names the row (header = row 1) and column.
"""

from __future__ import annotations

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
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{what} is empty", file=name) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} as CSV ({exc})", file=name) from exc
    df.columns = [str(c).strip().lower() if lower else str(c).strip() for c in df.columns]
    cols = {c.lower() for c in df.columns}
    for col in required:
        if col.lower() not in cols:
            raise InputError(f"missing required column (header has: {', '.join(df.columns)})",
                             file=name, row=1, column=col)
    if df.empty and not allow_empty:
        raise InputError(f"{what} has no data rows", file=name, row=2)
    return df.apply(lambda s: s.str.strip()) if len(df) else df
