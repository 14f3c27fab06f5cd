"""Futures contract codes (``ZNU5``) and prices in 32nds (``110-16``, ``125-08+``).

Codes are root + CME month code + year: ``ZNU5`` / ``ZNU25`` = 10-Year T-Note, September 2025.
Legacy open-outcry roots (TY, US, FV, TU, UL, 3YR, TWE, UXY: the ``aliases`` column of
data/contracts/treasury_futures.csv) are accepted and normalized to the Globex root
(TYZ7 -> ZN, December 2017).

**One-digit years** resolve to the nearest decade that is *not in the past* relative to an as-of
date: the earliest year ending in that digit whose contract month has not ended on the as-of
date (a contract in its delivery month still counts as current). With as-of 2025-07-11, ``ZNU5`` is
September 2025 and ``ZNH5`` is March 2035 (March 2025 has expired); with as-of 2017-10-10,
``TYZ7`` is December 2017. Two-digit years are unambiguous: ``ZNH25`` is March 2025 (20yy).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from data.contracts import (
    contract_roots,
    sofr_futures_table,
    swap_futures_table,
    treasury_futures_table,
)
from data.errors import InputError

MONTH_CODES = {"F": 1, "G": 2, "H": 3, "J": 4, "K": 5, "M": 6, "N": 7, "Q": 8, "U": 9,
               "V": 10, "X": 11, "Z": 12}
CODE_OF_MONTH = {v: k for k, v in MONTH_CODES.items()}

@cache
def legacy_roots() -> dict[str, str]:
    """Legacy (open-outcry / clearing) roots -> Globex roots (TY -> ZN), from the ``aliases``
    column of data/contracts/treasury_futures.csv."""
    t = treasury_futures_table()
    return {a.strip(): str(r) for r, al in zip(t["root"], t["aliases"].fillna(""), strict=True)
            for a in str(al).split("|") if a.strip() and a.strip() != r}


@dataclass(frozen=True)
class ContractCode:
    root: str
    year: int
    month: int

    @property
    def code(self) -> str:
        """Short code with a one-digit year (``ZNU5``)."""
        return f"{self.root}{CODE_OF_MONTH[self.month]}{self.year % 10}"

    @property
    def long_code(self) -> str:
        """Code with a two-digit year (``ZNU25``)."""
        return f"{self.root}{CODE_OF_MONTH[self.month]}{self.year % 100:02d}"

    @property
    def contract_month(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.year, month=self.month, day=1)

    def __str__(self) -> str:
        return self.code


@cache
def _month_cycles() -> dict[str, str]:
    out: dict[str, str] = {}
    for t in (treasury_futures_table(), swap_futures_table(), sofr_futures_table()):
        out.update(zip(t["root"].astype(str), t["month_cycle"].astype(str), strict=True))
    return out


def _month_cycle(root: str) -> str:
    cycle = _month_cycles().get(root)
    if cycle is None:
        raise InputError(f"unknown contract root '{root}'")
    return cycle


@cache
def _roots_longest_first() -> tuple[str, ...]:
    return tuple(sorted(set(contract_roots()) | set(legacy_roots()), key=len, reverse=True))


def parse_contract(code: str, asof=None) -> ContractCode:
    """Parse ``ZNU5`` / ``ZNU25`` / ``TYZ7`` into a :class:`ContractCode`.

    ``asof`` (default today) resolves one-digit years (see module docstring). Unknown roots,
    month codes outside the contract's cycle (H M U Z) and malformed codes raise InputError.
    """
    if not isinstance(code, str) or not code.strip():
        raise InputError(f"empty or non-text contract code {code!r}")
    s = code.strip().upper()
    root = next((r for r in _roots_longest_first() if s.startswith(r)), None)
    if root is None:
        raise InputError(f"unknown contract root in '{code}' (known: "
                         f"{', '.join(contract_roots())})")
    rest = s[len(root):]
    m = re.fullmatch(r"([FGHJKMNQUVXZ])(\d{1,2})", rest)
    if not m:
        raise InputError(f"bad contract code '{code}': expected root + month code + 1- or "
                         f"2-digit year, e.g. ZNU5 or ZNU25")
    root = legacy_roots().get(root, root)
    month = MONTH_CODES[m.group(1)]
    cycle = _month_cycle(root)
    if m.group(1) not in cycle:
        raise InputError(f"bad contract code '{code}': {root} trades months {', '.join(cycle)} "
                         f"only")
    digits = m.group(2)
    if len(digits) == 2:
        year = 2000 + int(digits)
    else:
        ref = pd.Timestamp.today().normalize() if asof is None else pd.Timestamp(asof)
        d = int(digits)
        # earliest year ending in d whose contract month has not ended on the as-of date
        year = ref.year - (ref.year % 10) + d - 10
        while (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)) < ref:
            year += 10
    return ContractCode(root=root, year=year, month=month)


def format_contract(root: str, year: int, month: int, two_digit: bool = False) -> str:
    c = ContractCode(root=root, year=year, month=month)
    return c.long_code if two_digit else c.code


# ---------------------------------------------------------------------------------------------
# 32nds

def format_32nds(price: float, fraction: int = 2) -> str:
    """Price per 100 in CME 32nds notation, rounded to 1/``fraction`` of a 32nd.

    ``fraction=2`` (default, half 32nds): 110.5 -> ``110-16``, 125.265625 -> ``125-08+``.
    ``fraction=4`` adds quarters in CME's last-digit style: ``110-162`` (16.25/32),
    ``110-16+`` (16.5/32), ``110-167`` (16.75/32). ``fraction=1``: whole 32nds.
    """
    if fraction not in (1, 2, 4):
        raise ValueError("fraction must be 1, 2 or 4")
    if not math.isfinite(price):
        raise InputError(f"cannot format non-finite price {price}")
    sign = "-" if price < 0 else ""
    units = round(abs(price) * 32 * fraction)  # number of 1/(32*fraction) points
    handle, rem = divmod(units, 32 * fraction)
    n32, sub = divmod(rem, fraction)
    suffix = ""
    if fraction == 2 and sub:
        suffix = "+"
    elif fraction == 4 and sub:
        suffix = {1: "2", 2: "+", 3: "7"}[sub]
    return f"{sign}{handle}-{n32:02d}{suffix}"


_P32 = re.compile(r"^(-?)(\d+)[-'](\d{2})(\+|\d)?$")


def parse_32nds(text: str) -> float:
    """Inverse of :func:`format_32nds`: ``110-16`` -> 110.5, ``125-08+`` -> 125.265625,
    ``110-162`` -> 110 + 16.25/32, ``110-165`` (= ``110-16+``), ``110-167`` -> 110 + 16.75/32.
    A plain decimal (``110.5``) is accepted too. Anything else raises InputError."""
    s = str(text).strip()
    m = _P32.match(s)
    if not m:
        try:
            return float(s)
        except ValueError:
            raise InputError(f"bad price '{text}': expected 32nds like 110-16 or 125-08+ or "
                             f"a decimal") from None
    sign, handle, n32, last = m.groups()
    n = int(n32)
    if n >= 32:
        raise InputError(f"bad price '{text}': {n} is not a number of 32nds (00..31)")
    extra = {None: 0.0, "+": 0.5, "0": 0.0, "2": 0.25, "5": 0.5, "7": 0.75}
    if last not in extra:
        raise InputError(f"bad price '{text}': last digit must be 0, 2, 5, 7 or '+'")
    v = int(handle) + (n + extra[last]) / 32.0
    return -v if sign else v
