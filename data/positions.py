"""Futures positions and futures prices files (the user's current overlay), validated.

``read_positions(path, *, resolve=None, parse_price=None)`` reads a CSV with one row per contract
month::

    contract,contracts,entry_price
    ZNU5,-250,110-16
    SSF10U5,120,

Columns (headers case-, whitespace- and ``-``/space-insensitive): ``contract`` (root + CME month
code + year, e.g. ``ZNU5`` / ``ZNU25``; aliases ``symbol``, ``code``), ``contracts`` (signed whole
number, short < 0; aliases ``quantity``, ``qty``, ``position``), optional ``entry_price`` (per 100,
decimal or Treasury 32nds; alias ``price``). Other columns are ignored.

Every problem raises **one** :class:`data.errors.InputError` naming the file, the row (header =
row 1, first position = row 2) and the column: missing file, empty file, missing column, blank or
unknown contract, non-integer count (``250.5``, ``abc``, blank), bad entry price, the same contract
month twice (``ZNU5`` and ``ZNU25`` and ``TYU5`` are the same contract).

``data`` imports nothing of ours, so contract *semantics* (which year a one-digit code means,
whether the month has expired) are checked by the caller's ``resolve(code) -> str`` (the optimizer
passes one built on :mod:`models.contract_codes` and the contract calendar; it raises InputError
with a message, which is re-raised here with the file/row/column). Without ``resolve`` the code is
only checked syntactically against the bundled contract tables (root, month cycle).

``read_prices(path, ...)``: a ``contract,price`` CSV (decimal or 32nds) -> ``{contract: price}``.

Output of ``read_positions``: DataFrame with columns ``row`` (int), ``contract`` (normalized code
from ``resolve``), ``contracts`` (int), ``entry_price`` (float, NaN when absent), in file order;
``df.attrs["source"]`` = the path.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from data.contracts import sofr_futures_table, swap_futures_table, treasury_futures_table
from data.errors import InputError

_ALIASES = {
    "contract": ("contract", "symbol", "code", "contract_code", "ticker"),
    "contracts": ("contracts", "quantity", "qty", "position", "count", "lots"),
    "entry_price": ("entry_price", "price", "avg_price", "average_price"),
}
_INT = re.compile(r"^[+-]?\d+$")
_P32 = re.compile(r"^(\d+)[-'](\d{2})(\+|[0257])?$")


def _norm(h: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(h).strip().lower())


def _known_roots() -> dict[str, str]:
    """root (incl. legacy aliases) -> month cycle."""
    out: dict[str, str] = {}
    for t in (treasury_futures_table(), swap_futures_table(), sofr_futures_table()):
        for r in t.itertuples():
            out[str(r.root).upper()] = str(r.month_cycle)
            leg = getattr(r, "legacy_root", None)
            if isinstance(leg, str) and leg.strip():
                out[leg.strip().upper()] = str(r.month_cycle)
    return out


def check_code_syntax(code: str) -> str:
    """Root + month code + 1/2-digit year, root known, month in its cycle. Returns the code
    upper-cased; raises InputError otherwise."""
    s = str(code).strip().upper()
    if not s:
        raise InputError("blank contract code")
    roots = _known_roots()
    root = next((r for r in sorted(roots, key=len, reverse=True) if s.startswith(r)), None)
    if root is None:
        raise InputError(f"unknown contract '{code}' (known roots: {', '.join(sorted(roots))})")
    m = re.fullmatch(r"([FGHJKMNQUVXZ])(\d{1,2})", s[len(root):])
    if not m:
        raise InputError(f"bad contract code '{code}': expected root + month code + year, "
                         f"e.g. ZNU5")
    if m.group(1) not in roots[root]:
        raise InputError(f"bad contract code '{code}': {root} trades months "
                         f"{', '.join(roots[root])} only")
    return s


def parse_price_text(text: str) -> float:
    """Decimal (``110.5``) or 32nds (``110-16``, ``110-16+``, ``110-162``) -> float > 0."""
    s = str(text).strip()
    m = _P32.match(s)
    if m:
        n = int(m.group(2))
        if n >= 32:
            raise InputError(f"bad price '{text}': {n} is not a number of 32nds (00..31)")
        extra = {None: 0.0, "+": 0.5, "0": 0.0, "2": 0.25, "5": 0.5, "7": 0.75}[m.group(3)]
        v = int(m.group(1)) + (n + extra) / 32.0
    else:
        try:
            v = float(s.replace(",", ""))
        except ValueError:
            raise InputError(f"bad price '{text}': expected a decimal or 32nds like 110-16+"
                             ) from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"bad price '{text}': must be a positive number")
    return v


def _read_rows(path: str | Path) -> tuple[list[str], list[list[str]], str]:
    p = Path(path)
    src = str(path)
    if not p.exists():
        raise InputError("file not found", file=src)
    if p.is_dir():
        raise InputError("is a directory, expected a CSV file", file=src)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not a UTF-8 text CSV ({exc.reason})", file=src) from exc
    rows = list(csv.reader(text.splitlines()))
    # keep spreadsheet row numbers: blank lines are skipped but still counted
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        raise InputError("empty file (expected a header line: contract,contracts[,entry_price])",
                         file=src)
    header_row, header = numbered[0]
    body = [[str(n)] + r for n, r in numbered[1:]]
    return header, body, src


def _columns(header: list[str], src: str, required: tuple[str, ...],
             optional: tuple[str, ...]) -> dict[str, int]:
    normed = [_norm(h) for h in header]
    idx: dict[str, int] = {}
    for col in (*required, *optional):
        hits = [i for i, h in enumerate(normed) if h in _ALIASES.get(col, (col,))]
        if len(hits) > 1:
            raise InputError(f"column given twice ({', '.join(header[i] for i in hits)})",
                             file=src, row=1, column=col)
        if hits:
            idx[col] = hits[0]
        elif col in required:
            raise InputError(f"missing required column (header has: "
                             f"{', '.join(h.strip() for h in header)})", file=src, row=1,
                             column=col)
    return idx


def _cell(r: list[str], i: int) -> str:
    return r[i + 1].strip() if i + 1 < len(r) else ""


def read_positions(path: str | Path, *, resolve: Callable[[str], str] | None = None,
                   parse_price: Callable[[str], float] | None = None) -> pd.DataFrame:
    """Read and validate a positions CSV (see module docstring)."""
    header, body, src = _read_rows(path)
    idx = _columns(header, src, ("contract", "contracts"), ("entry_price", "sector"))
    parse_price = parse_price or parse_price_text
    out = []
    seen: dict[str, int] = {}
    for r in body:
        row = int(r[0])
        raw = _cell(r, idx["contract"])
        if not raw:
            raise InputError("blank contract", file=src, row=row, column="contract")
        try:
            code = resolve(raw) if resolve else check_code_syntax(raw)
        except InputError as exc:
            raise InputError(exc.message, file=src, row=row, column="contract") from None
        q = _cell(r, idx["contracts"]).replace(",", "").replace("_", "")
        if not _INT.match(q):
            what = "blank" if not q else f"'{_cell(r, idx['contracts'])}'"
            raise InputError(f"contracts must be a whole number of contracts (short < 0), got "
                             f"{what}", file=src, row=row, column="contracts")
        px = float("nan")
        if "entry_price" in idx and _cell(r, idx["entry_price"]):
            try:
                px = parse_price(_cell(r, idx["entry_price"]))
            except InputError as exc:
                raise InputError(exc.message, file=src, row=row, column="entry_price") from None
        if code in seen:
            raise InputError(f"contract {code} appears twice (rows {seen[code]} and {row}); "
                             f"give one net position per contract month", file=src, row=row,
                             column="contract")
        seen[code] = row
        sector = _cell(r, idx["sector"]) if "sector" in idx else ""
        out.append({"row": row, "contract": code, "contracts": int(q), "entry_price": px,
                    "sector": sector or None})
    df = pd.DataFrame(out, columns=["row", "contract", "contracts", "entry_price", "sector"])
    df = df.astype({"row": int, "contracts": int, "entry_price": float})
    df.attrs["source"] = src
    return df


def read_prices(path: str | Path, *, resolve: Callable[[str], str] | None = None,
                parse_price: Callable[[str], float] | None = None) -> dict[str, float]:
    """``contract,price`` CSV -> {normalized contract: price per 100}. Errors name file/row/col."""
    header, body, src = _read_rows(path)
    normed = [_norm(h) for h in header]
    if "contract" not in normed and not any(h in _ALIASES["contract"] for h in normed):
        raise InputError("missing required column", file=src, row=1, column="contract")
    if "price" not in normed:
        raise InputError("missing required column", file=src, row=1, column="price")
    ic = next(i for i, h in enumerate(normed) if h in _ALIASES["contract"])
    ip = normed.index("price")
    parse_price = parse_price or parse_price_text
    out: dict[str, float] = {}
    rows: dict[str, int] = {}
    for r in body:
        row = int(r[0])
        try:
            raw = _cell(r, ic)
            code = resolve(raw) if resolve else check_code_syntax(raw)
        except InputError as exc:
            raise InputError(exc.message, file=src, row=row, column="contract") from None
        try:
            px = parse_price(_cell(r, ip))
        except InputError as exc:
            raise InputError(exc.message, file=src, row=row, column="price") from None
        if code in out:
            raise InputError(f"contract {code} appears twice (rows {rows[code]} and {row})",
                             file=src, row=row, column="contract")
        out[code], rows[code] = px, row
    return out
