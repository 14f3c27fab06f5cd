"""Futures positions and futures prices files (the user's current overlay), validated.

One positions format in and out (SPEC §8): ``overlay hedge --csv`` writes it, ``overlay
rebalance --positions`` and ``overlay scenarios --positions`` read it::

    contract,contracts,sector
    ZNU5,-1200,Treasury
    ZNU5,-300,Corporate
    SSF10U5,-1527,Corporate

Columns (headers case-, whitespace- and ``-``/space-insensitive; other columns are ignored, so
the hedge's own CSV is read unchanged): ``contract`` (root + CME month code + year, e.g. ``ZNU5``
/ ``ZNU25``; aliases ``symbol``, ``code``), ``contracts`` (signed whole number, short < 0;
aliases ``quantity``, ``qty``, ``position``), optional ``sector`` (the sector the contracts are
designated to; alias ``designation``) and ``entry_price`` (per 100, decimal or Treasury 32nds;
alias ``price``).

**Rows of one contract are netted** (``ZNU5`` and ``ZNU25`` and ``TYU5`` are one contract): the
account holds the net. Rows that carry a sector are designations of that net and must be real
positions: each has the sign of the contract's net (or is zero), so ``ZNU5 -716 Treasury`` with
``ZNU5 +937 Corporate`` is rejected (paper designations).

**An orders file is not a positions file.** A file with a ``side`` column (``contract, side,
quantity, ...``: what ``overlay rebalance --orders`` writes) lists trades to make, with unsigned
quantities; reading it as positions would lose every sign, so it is rejected, saying so.

Every problem raises **one** :class:`data.errors.InputError` naming the file, the row (header =
row 1, first position = row 2) and the column: missing file, empty file, missing column, an
orders file, blank or unknown contract, non-integer count (``250.5``, ``abc``, blank), bad entry
price, a designation against its contract's net.

``data`` imports nothing of ours, so contract *semantics* (which year a one-digit code means,
whether the month has expired) are checked by the caller's ``resolve(code) -> str`` (the optimizer
passes one built on :mod:`models.contract_codes` and the contract calendar; it raises InputError
with a message, which is re-raised here with the file/row/column). Without ``resolve`` the code is
only checked syntactically against the bundled contract tables (root, month cycle).

``read_positions(path, *, resolve=None, parse_price=None, net=True)`` returns a DataFrame with
columns ``row`` (int: the contract's first row), ``contract`` (normalized code from ``resolve``),
``contracts`` (int, the net), ``entry_price`` (float: the |contracts|-weighted average of the
rows' prices, NaN when none), ``sector`` (the one sector its rows name, else None), one row per
contract in file order; ``df.attrs["source"]`` = the path and ``df.attrs["designations"]`` = the
rows with a sector as ``[{row, contract, sector, contracts}]``. ``net=False`` returns one row per
file row instead (same columns). :func:`net_positions` gives ``{contract: net contracts}``.

``read_prices(path, ...)``: a ``contract,price`` CSV (decimal or 32nds) -> ``{contract: price}``.
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
    "sector": ("sector", "designation", "designated_sector"),
}
#: A column that makes a file an orders file (trades with unsigned quantities), not positions.
_ORDER_COLUMNS = ("side", "buy_sell", "b_s", "action", "direction")
_SIDE_WORDS = {"BUY", "SELL", "B", "S", "BOT", "SLD"}
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
        raise InputError("empty file (expected a header line: contract,contracts[,sector])",
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


def _positive(price: float, text: str) -> float:
    """A caller's price parser may accept any number: a futures price is > 0 and finite."""
    if not math.isfinite(price) or price <= 0:
        raise InputError(f"bad price '{text}': must be a positive number per 100")
    return price


def _reject_orders_file(header: list[str], src: str) -> None:
    normed = [_norm(h) for h in header]
    hit = next((header[i].strip() for i, h in enumerate(normed) if h in _ORDER_COLUMNS), None)
    if hit is not None:
        raise InputError(
            f"this is an orders file (it has a '{hit}' column: contract, side, quantity, ...), not "
            "a positions file: orders are trades to make with unsigned quantities. Give the "
            "positions held: contract,contracts[,sector] with signed contracts (short < 0), "
            "e.g. the file 'overlay hedge --csv' writes", file=src, row=1, column=hit)


def _count(r: list[str], idx: dict[str, int], src: str, row: int) -> int:
    raw = _cell(r, idx["contracts"])
    q = raw.replace(",", "").replace("_", "")
    if not _INT.match(q):
        what = "blank" if not q else f"'{raw}'"
        hint = (": BUY/SELL is an order's side, not a position; give signed contracts"
                if raw.upper() in _SIDE_WORDS else "")
        raise InputError(f"contracts must be a whole number of contracts (short < 0), got "
                         f"{what}{hint}", file=src, row=row, column="contracts")
    return int(q)


def _read_row(r: list[str], idx: dict[str, int], src: str,
              resolve: Callable[[str], str] | None,
              parse_price: Callable[[str], float]) -> dict:
    row = int(r[0])
    raw = _cell(r, idx["contract"])
    if not raw:
        raise InputError("blank contract", file=src, row=row, column="contract")
    try:
        code = resolve(raw) if resolve else check_code_syntax(raw)
    except InputError as exc:
        raise InputError(exc.message, file=src, row=row, column="contract") from None
    n = _count(r, idx, src, row)
    px = float("nan")
    if "entry_price" in idx and _cell(r, idx["entry_price"]):
        try:
            px = _positive(parse_price(_cell(r, idx["entry_price"])), _cell(r, idx["entry_price"]))
        except InputError as exc:
            raise InputError(exc.message, file=src, row=row, column="entry_price") from None
    sector = _cell(r, idx["sector"]) if "sector" in idx else ""
    return {"row": row, "contract": code, "contracts": n, "entry_price": px,
            "sector": sector or None}


def _check_designations(rows: list[dict], src: str) -> None:
    """Designated pieces of one contract have the sign of its net position (or are zero)."""
    net: dict[str, int] = {}
    for r in rows:
        net[r["contract"]] = net.get(r["contract"], 0) + r["contracts"]
    for r in rows:
        total = net[r["contract"]]
        if r["sector"] is None or r["contracts"] == 0 or r["contracts"] * total > 0:
            continue
        pieces = [x for x in rows if x["contract"] == r["contract"]]
        if not any(x["sector"] for x in pieces) or len(pieces) == 1:
            continue
        listed = ", ".join(f"{x['contracts']:+,d} {x['sector'] or '(none)'} (row {x['row']})"
                           for x in pieces)
        raise InputError(
            f"{r['contract']} designated {r['contracts']:+,d} to {r['sector']} against the "
            f"contract's net position {total:+,d} ({listed}): designations are real positions "
            "and take the sign of the net; net the offsetting rows first", file=src,
            row=r["row"], column="contracts")


def _net(rows: list[dict]) -> list[dict]:
    out: dict[str, dict] = {}
    for r in rows:
        o = out.setdefault(r["contract"], {"row": r["row"], "contract": r["contract"],
                                           "contracts": 0, "_w": 0.0, "_pw": 0.0,
                                           "_sectors": []})
        o["contracts"] += r["contracts"]
        if not math.isnan(r["entry_price"]) and r["contracts"]:
            o["_w"] += abs(r["contracts"])
            o["_pw"] += abs(r["contracts"]) * r["entry_price"]
        if r["sector"] and r["sector"] not in o["_sectors"]:
            o["_sectors"].append(r["sector"])
    for o in out.values():
        o["entry_price"] = o.pop("_pw") / o["_w"] if o["_w"] else float("nan")
        o.pop("_w")
        sectors = o.pop("_sectors")
        o["sector"] = sectors[0] if len(sectors) == 1 else None
    return list(out.values())


def read_positions(path: str | Path, *, resolve: Callable[[str], str] | None = None,
                   parse_price: Callable[[str], float] | None = None,
                   net: bool = True) -> pd.DataFrame:
    """Read and validate a positions CSV (see module docstring): one row per contract with its
    net position (``net=False``: one row per file row)."""
    header, body, src = _read_rows(path)
    _reject_orders_file(header, src)
    idx = _columns(header, src, ("contract", "contracts"), ("entry_price", "sector"))
    rows = [_read_row(r, idx, src, resolve, parse_price or parse_price_text) for r in body]
    _check_designations(rows, src)
    cols = ["row", "contract", "contracts", "entry_price", "sector"]
    df = pd.DataFrame(_net(rows) if net else rows, columns=cols)
    df = df.astype({"row": int, "contracts": int, "entry_price": float})
    df.attrs["source"] = src
    df.attrs["designations"] = [{k: r[k] for k in ("row", "contract", "sector", "contracts")}
                                for r in rows if r["sector"]]
    return df


def net_positions(df: pd.DataFrame) -> dict[str, int]:
    """``{contract: net contracts}`` of a :func:`read_positions` frame (netted or not)."""
    out: dict[str, int] = {}
    for c, n in zip(df["contract"], df["contracts"], strict=True):
        out[c] = out.get(c, 0) + int(n)
    return out


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
            px = _positive(parse_price(_cell(r, ip)), _cell(r, ip))
        except InputError as exc:
            raise InputError(exc.message, file=src, row=row, column="price") from None
        if code in out:
            raise InputError(f"contract {code} appears twice (rows {rows[code]} and {row})",
                             file=src, row=row, column="contract")
        out[code], rows[code] = px, row
    return out
