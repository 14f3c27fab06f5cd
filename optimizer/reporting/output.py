"""Shared output helpers: JSON with numpy/pandas values, terminal tables, safe atomic CSV."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, dates and containers into plain JSON types (NaN -> null)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, (pd.Timestamp, _dt.datetime)):
        return obj.strftime("%Y-%m-%d")
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if obj is pd.NaT or obj is None:
        return None
    return obj


def print_json(obj: Any, stream=None) -> None:
    stream = stream or sys.stdout
    json.dump(to_jsonable(obj), stream, indent=2)
    stream.write("\n")


def table(df: pd.DataFrame, floatfmt: str | tuple = ",.2f", title: str | None = None) -> str:
    """A readable plain-text table (for terminals and logs)."""
    body = tabulate(df, headers="keys", tablefmt="simple", floatfmt=floatfmt, showindex=False,
                    disable_numparse=True)
    return (f"{title}\n{body}" if title else body)


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: Any) -> Any:
    # A text cell starting with = + - @ is executed by spreadsheets (CSV formula injection).
    # Numbers stay numbers; text gets a leading apostrophe.
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        # mkstemp creates 0600; give the file the permissions a plain open() would (umask applied)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of ``df``, safe to open in a spreadsheet (no formula injection)."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(_spreadsheet_safe)
    return safe.to_csv(index=False)


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> None:
    """CSV safe to open in a spreadsheet (no formula injection), written atomically."""
    write_text_atomic(path, csv_text(df))
