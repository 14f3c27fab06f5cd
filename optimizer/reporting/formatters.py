"""One set of display formatters and the one JSON converter, shared by text and HTML output.

Display rounding only: every function takes the exact number and returns text; nothing here
changes a value that is computed with. Missing values (None, NaN, +-inf, pandas NA/NaT) show
as an em dash ``—`` in text and HTML and as ``null`` in JSON. Negative zero never shows as
``-0`` (a value that rounds to zero prints ``0``), and a signed format never prints ``+0``.

Units (SPEC §3, docs/ARCHITECTURE.md):
- money in USD: :func:`number` for table cells whose header names the unit, :func:`usd` for
  sentences (``$12,000,000``), :func:`compact` for chart axes (``12M``);
- percentages from fractions: :func:`pct` (``0.979 -> "97.9%"``);
- basis points: :func:`bp` (``44.55 -> "44.6 bp"``);
- ratios (effectiveness slopes, TE ratios): :func:`ratio`;
- futures prices in the contract's quote style: :func:`price` (``110-16+ (110.5156)``), the
  32nds at the contract's tick from the contract terms
  (:meth:`models.instruments.ContractTerms.format_price`, ``data/contracts/*.csv``), never
  re-implemented here.

Structured warnings (:class:`data.errors.Notice`): :func:`notice` normalizes a Notice, its
``to_dict()`` or a legacy string into one dict; :func:`merge_notices` renders each distinct
warning once (the same code and message about several subjects becomes one line naming them
all); :func:`notice_sentence` is the sentence a PM reads.

JSON: :func:`to_jsonable` converts numpy/pandas scalars and containers, dates, NaN/inf,
Notices and result objects with ``to_dict()`` into plain JSON types; :func:`dumps` refuses
NaN (``allow_nan=False``) so the output is strict JSON any parser reads.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from data.errors import Notice

MISSING = "—"


# ----------------------------------------------------------------------------- numbers

def finite(v: Any) -> float | None:
    """A finite float, or None for missing / NaN / inf / non-numbers (bools are not numbers)."""
    if v is None or isinstance(v, (bool, np.bool_)):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _rounded(f: float, dp: int) -> float:
    r = round(f, dp)
    return 0.0 if r == 0 else f  # no "-0" and no "+0"


def number(v: Any, dp: int = 0, *, signed: bool = False) -> str:
    """``1234567.891 -> "1,234,568"``; ``signed`` adds ``+`` to positives; missing -> ``—``."""
    f = finite(v)
    if f is None:
        return MISSING
    f = _rounded(f, dp)
    return f"{f:+,.{dp}f}" if signed and f != 0 else f"{f:,.{dp}f}"


def usd(v: Any, dp: int = 0, *, signed: bool = False) -> str:
    """Money in a sentence: ``$12,000,000``, ``-$1,234``, ``+$5`` (signed)."""
    f = finite(v)
    if f is None:
        return MISSING
    f = _rounded(f, dp)
    sign = "-" if f < 0 else ("+" if signed and f > 0 else "")
    return f"{sign}${abs(f):,.{dp}f}"


def pct(frac: Any, dp: int = 1, *, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.9792 -> "97.9%"``."""
    f = finite(frac)
    return MISSING if f is None else number(f * 100.0, dp, signed=signed) + "%"


def bp(v: Any, dp: int = 1, *, signed: bool = False) -> str:
    """Basis points: ``44.554 -> "44.6 bp"``."""
    f = finite(v)
    return MISSING if f is None else number(f, dp, signed=signed) + " bp"


def ratio(v: Any, dp: int = 3, *, signed: bool = False) -> str:
    """A dimensionless ratio or slope: ``-1.0168 -> "-1.017"``."""
    return number(v, dp, signed=signed)


def years(v: Any, dp: int = 2) -> str:
    """A duration in years: ``5.532 -> "5.53 y"``."""
    f = finite(v)
    return MISSING if f is None else f"{number(f, dp)} y"


def compact(v: Any) -> str:
    """Axis / gauge label: ``1.25M``, ``-350k``, ``12.5``, ``0`` (USD unless the axis says)."""
    f = finite(v)
    if f is None:
        return MISSING
    a = abs(f)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            f, d = f / scale, suffix
            break
    else:
        d = ""
    txt = f"{f:,.2f}".rstrip("0").rstrip(".")
    return ("0" if txt in ("-0", "") else txt) + d


# ----------------------------------------------------------------------------- prices

def quote_terms(contract: Any) -> Any | None:
    """The contract terms (:class:`models.instruments.ContractTerms`: quote style, tick) of a
    contract code or root (``ZNU5``, ``ZN``, ``SSF10Z5``), else None (a label, a spread)."""
    return _quote_terms(contract.strip().upper()) if isinstance(contract, str) else None


@lru_cache(maxsize=512)
def _quote_terms(code: str) -> Any | None:
    from data.errors import InputError
    from models.instruments import contract_terms, split_root

    if not code or " " in code:
        return None
    try:
        return contract_terms(split_root(code))
    except InputError:
        return None


def price(v: Any, contract: Any = None, *, dp: int = 4) -> str:
    """A futures price per 100 in the contract's quote style from ``data/contracts/*.csv``:
    32nds at the tick with the decimal beside (``110-16+ (110.5156)``: Treasury and MAC swap
    futures), else the decimal (SR3, text, spreads) or USD per contract (classic swap
    futures)."""
    f = finite(v)
    if f is None:
        return MISSING
    dec = number(f, dp)
    terms = quote_terms(contract)
    if terms is None or f <= 0 or terms.quote_style == "decimal":
        return dec
    if terms.quote_style == "32nds":
        return f"{terms.format_price(f)} ({dec})"
    return terms.format_price(f)


def price_spread(v: Any) -> str:
    """A price difference per 100 (a calendar spread) in points and 32nds:
    ``+0.1250 (+4.00/32)``; a 32nds quote of a negative number would be misread."""
    f = finite(v)
    if f is None:
        return MISSING
    return f"{number(f, 4, signed=True)} ({number(f * 32.0, 2, signed=True)}/32)"


def contracts(n: Any) -> str:
    """A signed contract count: ``+12``, ``-3``, ``0``."""
    return number(n, 0, signed=True)


def price_32nds_parts(v: Any, contract: Any = None, *, dp: int = 4) -> tuple[str, str]:
    """(32nds, decimal) for a Treasury future, ("", decimal) otherwise (for two-part HTML)."""
    text = price(v, contract, dp=dp)
    if text.endswith(")") and " (" in text:
        a, b = text.split(" (", 1)
        return a, b[:-1]
    return "", text


# ----------------------------------------------------------------------------- notices

_DICT_LITERAL = re.compile(r"\{(?:\s*'[^']*'\s*:\s*-?[\d.eE+-]+\s*,?)+\s*\}")
_PAIR = re.compile(r"'([^']*)'\s*:\s*(-?[\d.eE+-]+)")
_CODE_PREFIX = re.compile(r"^([A-Z][A-Z0-9]{2,11}): (\S.*)$", re.S)
_SNAKE_PREFIX = re.compile(r"^([a-z][a-z0-9]*(?:_[a-z0-9]+)+): (\S.*)$", re.S)


def _readable_literals(text: str) -> str:
    """A Python dict literal inside a message (``{'1Y': -5.0, '2Y': -15.0}``) as ``1Y -5,
    2Y -15``: messages are for people, not for the repr of a dict."""
    def repl(m: re.Match) -> str:
        return ", ".join(f"{k} {number(float(v), 2).rstrip('0').rstrip('.')}"
                         for k, v in _PAIR.findall(m.group(0)))
    return _DICT_LITERAL.sub(repl, text)


def notice(w: Any) -> dict[str, str]:
    """One warning as ``{code, severity, subject, message}`` from a Notice, its dict or text."""
    if isinstance(w, Notice):
        d = w.to_dict()
    elif isinstance(w, Mapping):
        d = {"code": str(w.get("code") or ""), "severity": str(w.get("severity") or "warning"),
             "subject": str(w.get("subject") or ""),
             "message": str(w.get("message") if w.get("message") is not None else "")}
    else:  # legacy text: "ZNU5: message" names its subject, "snake_code: message" its code
        text = str(w).strip()
        m, c = _CODE_PREFIX.match(text), _SNAKE_PREFIX.match(text)
        d = {"code": c.group(1) if c else "", "severity": "warning",
             "subject": m.group(1) if m else "",
             "message": m.group(2) if m else c.group(2) if c else text}
    msg = d["message"].strip()
    if d["code"] and msg.startswith(d["code"] + ":"):  # "code: sentence": the code is a key
        msg = msg[len(d["code"]) + 1:].strip()
    elif d["code"] and msg.startswith(d["code"]):  # "code (details)": the code as words
        msg = d["code"].replace("_", " ") + msg[len(d["code"]):]
    d["message"] = _readable_literals(msg)
    return d


def merge_notices(warnings: Iterable[Any] | None) -> list[dict[str, str]]:
    """Each distinct warning once, first-seen order; the same (code, severity, message) about
    several subjects becomes one notice whose subject lists them (``SSF5U5, SSF10U5``)."""
    if warnings is None:
        return []
    if not isinstance(warnings, (list, tuple)):
        warnings = [warnings]
    merged: dict[tuple[str, str, str], dict[str, str]] = {}
    subjects: dict[tuple[str, str, str], list[str]] = {}
    for w in warnings:
        if w is None or (isinstance(w, float) and not math.isfinite(w)):
            continue
        n = notice(w)
        if not n["message"] and not n["subject"]:
            continue
        key = (n["code"], n["severity"], n["message"])
        if key not in merged:
            merged[key] = n
            subjects[key] = []
        if n["subject"] and n["subject"] not in subjects[key]:
            subjects[key].append(n["subject"])
    for key, n in merged.items():
        n["subject"] = ", ".join(subjects[key])
    return list(merged.values())


def notice_sentence(n: Mapping[str, str]) -> str:
    """``SSF5U5, SSF10U5: Swap rates are Treasury par + a stated spread.`` (capitalized, one
    terminal full stop)."""
    msg = str(n.get("message") or "").strip()
    if msg:
        msg = msg[0].upper() + msg[1:]
        if msg[-1] not in ".!?" and not msg.endswith((".)", "?)", "!)")):
            msg += "."
    subject = str(n.get("subject") or "").strip()
    return f"{subject}: {msg}" if subject else msg


def notice_lines(warnings: Iterable[Any] | None) -> list[str]:
    """Terminal rendering: one ``warning: ...`` line per distinct notice (rendered once)."""
    return [f"{n['severity']}: {notice_sentence(n)}" for n in merge_notices(warnings)]


def notice_block(warnings: Iterable[Any] | None, title: str = "Warnings") -> list[str]:
    """The terminal's warnings section: a blank line, ``Warnings:`` and one indented
    ``warning: ...`` / ``info: ...`` line per distinct notice; nothing when there is none."""
    lines = notice_lines(warnings)
    return ["", f"{title}:"] + [f"  {line}" for line in lines] if lines else []


# ----------------------------------------------------------------------------- JSON

def to_jsonable(obj: Any) -> Any:
    """Plain JSON types from numpy/pandas values, dates, NaN/inf (-> None), Notices and objects
    with ``to_dict()`` (typed results); mapping keys become strings."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if obj is None or obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return finite(obj)
    if isinstance(obj, str):
        return obj
    return _to_jsonable_object(obj)


def _to_jsonable_object(obj: Any) -> Any:
    if isinstance(obj, (pd.Timestamp, _dt.datetime)):
        ts = pd.Timestamp(obj)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta):
        return obj.total_seconds()
    if isinstance(obj, Notice):
        return obj.to_dict()
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    return str(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text (no NaN/Infinity tokens) of :func:`to_jsonable` (obj)."""
    return json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)
