"""The validation layer: one checker per kind of user input, shared by the CLI and the Python API.

Every function here has no side effect (some read the user's file or the bundled data they check
against), raises :class:`data.errors.InputError` with one sentence saying what is wrong and what
to give instead, and names where the value came from:

- a value that is not in a file names its ``field`` -- the CLI passes its flag
  (``--margin-budget``), the Python API its field name (``margin_budget_usd``); the CLI maps API
  field names to flags (:data:`FLAG_OF_FIELD`) so a user always reads the name they typed;
- a value in a file names the file, the row (header = row 1) or TOML key, and the column.

Importing this module costs nothing heavy (standard library and ``data.errors`` only): the CLI's
argparse ``type=`` callables come from here (:func:`arg`), and ``overlay --help`` must not import
pandas, scipy, statsmodels or cvxpy. Checks that need market data or contract calendars (a
contract month listed on a date, the business-day calendar) import :mod:`models` inside the
function that needs it.

Units are the product's (SPEC §3): USD for money, years for durations, percent for tolerances
and ``dv01_pct`` targets, a ratio for leverage (0.6 = 60% of portfolio MV), contracts for
turnover, basis points for scenario shifts, ISO ``YYYY-MM-DD`` for dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from data.errors import InputError

#: Python API field -> CLI flag, so an error raised by a typed request built from flags names the
#: flag the user typed.
FLAG_OF_FIELD: dict[str, str] = {
    "asof": "--asof", "margin_budget_usd": "--margin-budget", "max_leverage": "--max-leverage",
    "max_instruments": "--max-instruments", "turnover": "--turnover",
    "target_duration": "--target-duration", "targets": "--target", "instruments": "--instruments",
    "time_limit": "--time-limit", "time_limit_s": "--time-limit", "window": "--window",
    "key_tenors": "--key-tenors", "portfolio": "--portfolio", "holdings": "--portfolio",
    "mandate": "--mandate", "margins": "--margins", "positions": "--positions",
    "prices": "--prices", "start": "--start", "end": "--end", "band_pct": "--band",
    "roll_days": "--roll-days", "commission_usd": "--commission", "budgets": "--budgets",
    "budgets_usd": "--budgets", "workers": "--workers", "sold": "--sold",
    "sold_duration": "--sold-duration", "buys": "--buy/--weekly", "target_dv01": "--target-dv01",
    "daily_window": "--daily-window", "sectors": "--sectors", "repo": "--repo",
    "futures_price": "--futures-price",
}

_MONEY_SUFFIX = (("bn", 1e9), ("b", 1e9), ("mm", 1e6), ("m", 1e6), ("k", 1e3))
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([ymwd])$")
_CURVE_FILE = Path(__file__).resolve().parents[1] / "data" / "market" / \
    "ust_par_yield_curve_daily.csv"
#: An as-of date this many days after the last curve date still uses it (a weekend or holiday
#: right after the data ends); the data layer applies the same rule (data.loaders.par_curve).
CURVE_GRACE_DAYS = 7


# ------------------------------------------------------------------------------------- numbers
def _fail(message: str, field: str | None) -> InputError:
    return InputError(message, field=field)


def _to_float(value: Any, field: str | None, what: str) -> float:
    if isinstance(value, bool):
        raise _fail(f"expected {what}, got {value!r}", field)
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        s = str(value).strip().replace("_", "").replace(",", "")
        try:
            v = float(s)
        except ValueError:
            raise _fail(f"'{value}' is not a number (expected {what})", field) from None
    if not math.isfinite(v):
        raise _fail(f"'{value}' is not a finite number (expected {what})", field)
    return v


def number(value: Any, field: str | None = None, *, what: str = "a number",
           lo: float | None = None, hi: float | None = None, lo_open: bool = False,
           hi_open: bool = False, hint: str = "") -> float:
    """A finite number within [lo, hi] (open ends with ``lo_open``/``hi_open``)."""
    v = _to_float(value, field, what)
    low_bad = lo is not None and (v <= lo if lo_open else v < lo)
    high_bad = hi is not None and (v >= hi if hi_open else v > hi)
    if low_bad or high_bad:
        rng = _range_text(lo, hi, lo_open, hi_open)
        raise _fail(f"must be {what} {rng}, got {value}" + (f" ({hint})" if hint else ""), field)
    return v


def _range_text(lo, hi, lo_open, hi_open) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    return f"{'<' if hi_open else '<='} {hi:g}"


def integer(value: Any, field: str | None = None, *, what: str = "a whole number",
            lo: int | None = None, hi: int | None = None, hint: str = "") -> int:
    """A whole number within [lo, hi] (``12.0`` is accepted, ``12.5`` is not)."""
    v = _to_float(value, field, what)
    if v != int(v):
        raise _fail(f"must be {what}, got {value}", field)
    return int(number(int(v), field, what=what, lo=lo, hi=hi, hint=hint))


def usd(value: Any, field: str | None = None, *, what: str = "an amount in USD",
        positive: bool = True) -> float:
    """USD amount: ``12000000``, ``12e6``, ``12m``, ``$1.5bn``, ``250k``, ``12,000,000``."""
    if isinstance(value, str):
        s = value.strip().lower().replace(",", "").replace("_", "").lstrip("$").strip()
        mult = 1.0
        for suffix, m in _MONEY_SUFFIX:
            if s.endswith(suffix) and s[: -len(suffix)].strip():
                s, mult = s[: -len(suffix)].strip(), m
                break
        try:
            v = float(s) * mult
        except ValueError:
            raise _fail(f"'{value}' is not {what} (e.g. 12e6, 12m or $1.5bn)", field) from None
        value = v
    v = _to_float(value, field, what)
    if positive and v <= 0:
        noun = what.split(" ", 1)[1] if what.startswith(("a ", "an ")) else what
        raise _fail(f"must be a positive {noun}, got {v:,.0f}", field)
    return v


# ------------------------------------------------------------------------ mandate numbers
def margin_budget_usd(value: Any, field: str | None = "margin_budget_usd") -> float:
    """Initial-margin budget, USD > 0. Below $1,000 it is taken as a unit slip (12 for 12m)."""
    v = usd(value, field, what="an initial-margin budget in USD")
    if v < 1_000:
        raise _fail(f"${v:,.2f} is below one contract's initial margin; the budget is in USD "
                    f"(e.g. 12e6 or 12m for $12M)", field)
    return v


def max_leverage(value: Any, field: str | None = "max_leverage") -> float:
    """Gross futures notional / portfolio market value: a ratio in (0, 10] (0.6 = 60%)."""
    v = number(value, field, what="a ratio of gross futures notional to portfolio market value",
               lo=0.0, lo_open=True)
    if v > 10:
        raise _fail(f"{v:g} is {v:g}x the portfolio's market value: give a ratio (0.6 for "
                    f"60%), at most 10", field)
    return v


def max_instruments(value: Any, field: str | None = "max_instruments") -> int:
    """At most K different contracts in the hedge: a whole number >= 1."""
    return integer(value, field, what="a whole number of contracts", lo=1, hi=100,
                   hint="at least one contract must be allowed")


def turnover(value: Any, field: str | None = "turnover") -> int:
    """Contracts traded in total, sum |h - h0|: a whole number >= 0 (0 = no trading)."""
    return integer(value, field, what="a whole number of contracts traded", lo=0,
                   hint="turnover counts contracts bought plus sold; 0 forbids trading")


def duration_years(value: Any, field: str | None = "target_duration", *,
                   allow_negative: bool = False) -> float:
    """A modified duration in years, |D| <= 50 (a duration of 450 is a unit slip)."""
    return number(value, field, what="a duration in years", lo=-50.0 if allow_negative else 0.0,
                  hi=50.0)


def tolerance_pct(value: Any, field: str | None = "tolerance_pct") -> float:
    """Band around a sector target, percent of the sector's current DV01, in [0, 100]."""
    return number(value, field, what="a percentage of the sector's current DV01", lo=0.0,
                  hi=100.0)


def tolerance_usd(value: Any, field: str | None = "tolerance_usd") -> float:
    """Band around a sector target, USD per bp, >= 0."""
    return number(value, field, what="a DV01 band in USD per bp", lo=0.0)


def dv01_pct(value: Any, field: str | None = "dv01_pct") -> float:
    """Target DV01 as a percent of the sector's current DV01, in [-1000, 1000]."""
    return number(value, field, what="a percentage of the sector's current DV01", lo=-1000.0,
                  hi=1000.0, hint="percent: 50 means half the current DV01")


def dv01_usd(value: Any, field: str | None = "dv01_usd") -> float:
    """A DV01 in USD per bp (finite, |x| < $1bn per bp)."""
    return number(value, field, what="a DV01 in USD per bp", lo=-1e9, hi=1e9)


def time_limit_s(value: Any, field: str | None = "time_limit") -> float:
    """Solver time limit in seconds, in (0, 3600]."""
    return number(value, field, what="a time limit in seconds", lo=0.0, lo_open=True, hi=3600.0)


def window(value: Any, field: str | None = "window") -> str:
    """A look-back window: ``3y``, ``18m``, ``26w``, ``500d`` or ``all``."""
    s = str(value).strip().lower()
    if s in ("all", "max"):
        return s
    m = _WINDOW.match(s)
    if not m or float(m.group(1)) <= 0:
        raise _fail(f"'{value}' is not a window (expected e.g. 3y, 18m, 26w, 500d or all)", field)
    return s


def window_or_none(value: Any, field: str | None = "daily_window") -> str:
    """A window (:func:`window`) or ``none``/``off``/``0`` to skip."""
    if str(value).strip().lower() in ("none", "off", "0"):
        return "none"
    return window(value, field)


def budgets_usd(value: Any, field: str | None = "budgets") -> list[float]:
    """Comma-separated initial-margin budgets in USD (``1e6,2e6,4m``), each > 0, at least one."""
    items = [s for s in str(value).split(",") if s.strip()]
    if not items:
        raise _fail(f"'{value}' names no budget (e.g. 1e6,2e6,4e6,8e6)", field)
    out = []
    for s in items:
        try:
            out.append(margin_budget_usd(s, None))
        except InputError as exc:
            raise _fail(f"'{s.strip()}': {exc.message}", field) from None
    return out


def budgets_text(value: Any, field: str | None = "budgets") -> str:
    """:func:`budgets_usd` checked, the text returned unchanged."""
    budgets_usd(value, field)
    return str(value)


def target_flag(text: str, field: str | None = "--target") -> tuple[str, dict[str, float]]:
    """``SECTOR=VALUE``: ``Treasury=0`` (USD DV01), ``Corporate=50%`` (percent of the sector's
    current DV01), ``Corporate=4.5y`` (the sector's duration, years). Returns (sector, spec)."""
    if "=" not in str(text):
        raise _fail(f"'{text}': expected SECTOR=VALUE (e.g. Corporate=50%, Treasury=0, "
                    "Corporate=4.5y)", field)
    sector, value = (s.strip() for s in str(text).split("=", 1))
    if not sector:
        raise _fail(f"'{text}': the sector name is missing before '='", field)
    v = value.lower().replace(",", "").replace("_", "").replace(" ", "")
    if not v:
        raise _fail(f"'{text}': the value is missing after '='", field)
    try:
        if v.endswith("%"):
            return sector, {"dv01_pct": dv01_pct(v[:-1], None)}
        if v.endswith("y"):
            return sector, {"duration": duration_years(v[:-1], None)}
        return sector, {"dv01_usd": dv01_usd(v.lstrip("$"), None)}
    except InputError as exc:
        raise _fail(f"'{text}': {exc.message}", field) from None


# --------------------------------------------------------------------------------------- dates
def iso_date(value: Any, field: str | None = "asof") -> dt.date:
    """A real calendar date written ``YYYY-MM-DD`` (dates and datetimes pass through)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp, without importing pandas
        return value.to_pydatetime().date()
    s = str(value).strip()
    m = _ISO.match(s)
    if not m:
        raise _fail(f"'{value}' is not a date in YYYY-MM-DD form (e.g. 2025-07-11)", field)
    y, mo, d = (int(g) for g in m.groups())
    if not 1 <= mo <= 12:
        raise _fail(f"'{s}' is not a date: month {mo} does not exist (YYYY-MM-DD)", field)
    last = calendar.monthrange(y, mo)[1]
    if not 1 <= d <= last:
        raise _fail(f"'{s}' is not a date: {calendar.month_name[mo]} {y} has {last} days", field)
    return dt.date(y, mo, d)


@cache
def curve_date_range() -> tuple[dt.date, dt.date]:
    """First and last date of the bundled Treasury par-curve history (read from the file's
    first and last lines, without pandas)."""
    with open(_CURVE_FILE, "rb") as fh:
        fh.readline()
        first = fh.readline().split(b",", 1)[0].decode()
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 4096))
        last = [ln for ln in fh.read().splitlines() if ln.strip()][-1].split(b",", 1)[0].decode()
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def market_date(value: Any, field: str | None = "asof") -> dt.date:
    """A date with bundled market data: ISO, real, within the Treasury curve history (a weekend
    or holiday uses the nearest earlier curve date, up to 7 days after the last one)."""
    d = iso_date(value, field)
    first, last = curve_date_range()
    if d < first:
        raise _fail(f"{d} is before the bundled Treasury curve history ({first} .. {last})",
                    field)
    if d > last + dt.timedelta(days=CURVE_GRACE_DAYS):
        raise _fail(f"{d} is after the bundled Treasury curve history ({first} .. {last}); "
                    f"give a date in that range", field)
    return d


def date_order(start: dt.date | None, end: dt.date | None, start_field: str = "start",
               end_field: str = "end") -> None:
    """``start`` strictly before ``end`` when both are given."""
    if start is not None and end is not None and not start < end:
        raise _fail(f"{start} is not before the end date {end}", start_field)


# ------------------------------------------------------------------------------ file paths
def input_file(value: Any, field: str | None = None, *, what: str = "file") -> Path:
    """An existing readable file (not a directory)."""
    s = str(value).strip()
    if not s:
        raise _fail(f"empty path (expected a {what})", field)
    p = Path(s).expanduser()
    if not p.exists():
        raise InputError(f"{what} not found", file=s, field=field)
    if p.is_dir():
        raise InputError(f"is a directory, expected a {what}", file=s, field=field)
    if not os.access(p, os.R_OK):
        raise InputError(f"{what} is not readable (permission denied)", file=s, field=field)
    return p


def output_path(value: Any, field: str | None = None) -> Path:
    """A file the command may create or replace: not a directory, writable, and under a folder
    that exists or can be created (missing folders are created only when the command succeeds).
    Checked before any work is done."""
    s = str(value)
    if not s.strip():
        raise _fail("empty output path", field)
    p = Path(s).expanduser()
    if s.endswith(("/", os.sep)) or p.is_dir():
        example = Path(s) / _EXAMPLE_NAME.get(field or "", "out.csv")
        raise _fail(f"'{s}' is a directory; give a file name (e.g. {example})", field)
    if p.exists() and not os.access(p, os.W_OK):
        raise _fail(f"'{s}' exists and is not writable (permission denied)", field)
    anc = p.parent if str(p.parent) else Path(".")
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise _fail(f"cannot create '{s}': '{anc}' is a file, not a folder", field)
    if not os.access(anc, os.W_OK | os.X_OK):
        raise _fail(f"cannot create '{s}': folder '{anc}' is not writable (permission denied)",
                    field)
    return p


_EXAMPLE_NAME = {"--report": "report.html", "--explain": "explain.json", "--orders": "orders.csv",
                 "--csv": "out.csv"}


def distinct_outputs(paths: Mapping[str, Any]) -> None:
    """No two outputs of one command at the same path (``--csv x --report x``)."""
    seen: dict[str, str] = {}
    for field, value in paths.items():
        if value is None:
            continue
        key = os.path.realpath(os.path.expanduser(str(value)))
        if key in seen:
            raise _fail(f"'{value}' is also given to {seen[key]}; each output needs its own file",
                        field)
        seen[key] = field


# ---------------------------------------------------------------------------------- sectors
def sector_name(name: str, sectors: Sequence[str], *, field: str | None = None,
                extra: Sequence[str] = (), where: str = "") -> str:
    """The portfolio sector ``name`` refers to (names match case-insensitively and ignoring
    surrounding blanks). ``extra`` names are accepted too (e.g. ``*``, ``Swap`` for scenario
    curves). Raises listing the portfolio's sectors."""
    key = str(name).strip().lower()
    for s in list(sectors) + list(extra):
        if str(s).strip().lower() == key:
            return str(s)
    listed = ", ".join(str(s) for s in sectors)
    more = f" (or {', '.join(extra)})" if extra else ""
    raise _fail(f"{where + ': ' if where else ''}sector '{name}' matches no sector of the "
                f"portfolio; its sectors are {listed}{more} (names match case-insensitively)",
                field)


# ----------------------------------------------------------------------------- contracts
#: Contract months listed at once (CME): Treasury futures the next 3 quarterly months, SOFR swap
#: futures and classic swap futures the next 2, Three-Month SOFR futures 40 quarterly months.
LISTED_QUARTERS = {"treasury_future": 3, "sofr_swap_future": 2, "classic_swap_future": 2,
                   "sofr_future": 40}


def _listed(root: str, asof: Any) -> list:
    import pandas as pd

    from models.contract_codes import ContractCode, parse_contract
    from models.instruments import front_contract, instrument_kind

    n = LISTED_QUARTERS[instrument_kind(root)]
    front = parse_contract(front_contract(root, asof, roll_days=0), asof)
    out = []
    for k in range(n):
        m = front.contract_month + pd.DateOffset(months=3 * k)
        out.append(ContractCode(front.root, m.year, m.month))
    return out


def listed_contracts(root: str, asof: Any) -> list[str]:
    """The quarterly contract months of ``root`` listed on ``asof``, front first, as codes with a
    two-digit year beyond the next decade's ambiguity (a contract in its delivery period -- past
    first notice day, or past the third Wednesday for cash-settled contracts -- is no longer
    offered for a new hedge)."""
    return [c.code for c in _listed(root, asof)]


def _listed_text(listed: list) -> str:
    codes = [c.code if k < 8 else c.long_code for k, c in enumerate(listed)]
    return ", ".join(codes) if len(codes) <= 6 else f"{', '.join(codes[:4])}, ... {codes[-1]}"


@cache
def _listing_spans() -> dict[str, tuple[str, str, str]]:
    """root -> (listed_from, listed_to, name) from data/contracts/*.csv (first table wins)."""
    from data.contracts import sofr_futures_table, swap_futures_table, treasury_futures_table

    spans: dict[str, tuple[str, str, str]] = {}
    for t in (treasury_futures_table(), swap_futures_table(), sofr_futures_table()):
        for r in t.to_dict("records"):
            lf = str(r.get("listed_from", "") or "")
            lt = str(r.get("listed_to", "") or "")
            lf = "" if lf.lower() == "nan" else lf
            lt = "" if lt.lower() == "nan" else lt
            spans.setdefault(str(r["root"]), (lf[:10], lt[:10], str(r["name"])))
    return spans


def root_on_date(root: str, asof: Any, field: str | None = "instruments") -> None:
    """``root`` traded on ``asof`` (its listed_from / listed_to in data/contracts/*.csv)."""
    day = iso_date(asof, field)
    span = _listing_spans().get(root)
    if span is None:
        return
    lf, lt, name = span
    if (lf and day < dt.date.fromisoformat(lf)) or (lt and day > dt.date.fromisoformat(lt)):
        raise _fail(f"{root} ({name}) is listed {lf} .. {lt or 'today'}, not on {day}", field)


def contract_on_date(code: str, asof: Any, field: str | None = "instruments") -> str:
    """A hedge instrument given as a root (``ZN``: its front contract is used) or a contract
    month that is listed on ``asof`` (``ZNU5``). One-digit years mean the nearest year ending in
    that digit (``ZNH5`` on 2025-07-11 is March 2025, expired -- not March 2035); two-digit years
    are exact. Returns the root or the normalized month code; raises naming the listed months."""
    import pandas as pd

    from models.contract_codes import ContractCode, parse_contract
    from models.instruments import instrument_kind

    s = str(code).strip().upper()
    if not s:
        raise _fail("blank contract code", field)
    day = pd.Timestamp(iso_date(asof, field))
    try:
        instrument_kind(s)
    except InputError:
        pass
    else:
        root_on_date(s, day, field)
        return s
    try:
        c = parse_contract(s, day)
    except InputError as exc:
        raise _fail(exc.message, field) from None
    root_on_date(c.root, day, field)
    if not s[-2].isdigit():
        y = min((y for y in range(day.year - 9, day.year + 10) if y % 10 == c.year % 10),
                key=lambda y: abs(pd.Timestamp(year=y, month=c.month, day=15) - day))
        c = ContractCode(c.root, y, c.month)
    listed = _listed(c.root, day)
    if c in listed:  # a one-digit year is unambiguous only within the decade ahead
        return c.code if c.year - day.year < 9 else c.long_code
    state = ("has expired or is in delivery" if c.contract_month < listed[0].contract_month
             else "is not listed yet")
    raise _fail(f"{s} ({c.contract_month:%B %Y}) {state} on {day.date()}; listed {c.root} "
                f"months: {_listed_text(listed)} (front {listed[0].code}), or give the root "
                f"{c.root} for the front contract", field)


def instruments_on_date(codes: Iterable[str], asof: Any,
                        field: str | None = "instruments") -> list[str]:
    """Each of ``codes`` checked with :func:`contract_on_date`; duplicates rejected."""
    out: list[str] = []
    for raw in codes:
        c = contract_on_date(raw, asof, field)
        if c in out:
            raise _fail(f"{raw} is given twice", field)
        out.append(c)
    if not out:
        raise _fail("no instrument given (e.g. ZN or ZT,ZF,ZN,ZB)", field)
    return out


def _is_root(code: str) -> bool:
    from models.instruments import instrument_kind

    try:
        instrument_kind(str(code).strip().upper())
    except InputError:
        return False
    return True


def mandate_instruments(m: Any, asof: Any) -> tuple[Any, list[str]]:
    """The mandate's instruments checked on ``asof``: the global list (``--instruments``, the
    API's ``instruments``) strictly; each target's list from the file with its months strictly
    and its roots not traded on the date dropped with a warning (a mandate written for today
    still runs on a past date). Returns (mandate, warnings); a target left with no instrument
    is an error naming the file and key."""
    from dataclasses import replace

    warnings: list[str] = []
    if m.instruments:
        instruments_on_date(m.instruments, asof, "instruments")
    targets = []
    for t in m.targets:
        kept = []
        for code in t.instruments:
            try:
                kept.append(contract_on_date(code, asof, None))
            except InputError as exc:
                if not _is_root(code) or "is listed" not in exc.message:
                    raise mandate_error(m, f"targets.{t.sector}", f"instruments: {exc.message}"
                                        ) from None
                warnings.append(f"{code} dropped from the {t.sector} target's instruments: "
                                f"{exc.message}")
        if t.instruments and not kept:
            raise mandate_error(m, f"targets.{t.sector}", "none of its instruments "
                                f"({', '.join(t.instruments)}) trades on {iso_date(asof)}")
        targets.append(replace(t, instruments=tuple(kept)) if kept != list(t.instruments) else t)
    return (replace(m, targets=tuple(targets)) if warnings else m), warnings


# ----------------------------------------------------------------------------------- mandate
def _toml_line(source: str, key: str) -> str:
    """' (line N)' of TOML table ``key`` (its ``[header]``) or of ``leaf = ...`` inside its
    table, in the file ``source``; '' when not found."""
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    table, leaf = key.rsplit(".", 1) if "." in key else ("", key)
    current = ""
    for i, ln in enumerate(lines, 1):
        h = header.match(ln)
        if h:
            current = h.group(1).replace('"', "").replace(" ", "")
            if current == key:
                return f" (line {i})"
        elif current == table and re.match(r"^\s*" + re.escape(leaf) + r"\s*=", ln):
            return f" (line {i})"
    return ""


def mandate_error(mandate: Any, key: str, message: str) -> InputError:
    """An InputError about TOML key ``key`` of ``mandate`` (file + line), or about the field
    when the mandate was built in Python."""
    src = str(getattr(mandate, "source", "") or "")
    if src and not src.startswith("<"):
        return InputError(f"[{key}]{_toml_line(src, key)}: {message}", file=src)
    return InputError(message, field=key)


def mandate_values(m: Any) -> None:
    """Every number of a mandate in its range and consistent: limits, each target and band,
    contract bounds (min <= max), key-rate bands (min_usd <= max_usd). Duck-typed on
    :class:`optimizer.mandate.Mandate` so this module does not import it."""
    checks: list[tuple[str, Any, Callable]] = [
        ("limits.max_leverage", m.max_leverage, max_leverage),
        ("limits.margin_budget_usd", m.margin_budget_usd, margin_budget_usd),
        ("limits.max_instruments", m.max_instruments, max_instruments),
        ("limits.turnover", m.turnover, turnover),
        ("limits.target_duration", m.target_duration,
         lambda v, f: duration_years(v, f, allow_negative=not m.no_net_short)),
        ("cost_weight", m.cost_weight, lambda v, f: number(v, f, what="a weight", lo=0.0)),
    ]
    for t in m.targets:
        w = f"targets.{t.sector}"
        checks += [(f"{w}.dv01_pct", t.dv01_pct, dv01_pct), (f"{w}.dv01_usd", t.dv01_usd, dv01_usd),
                   (f"{w}.duration", t.duration, duration_years),
                   (f"{w}.tolerance_pct", t.tolerance_pct, tolerance_pct),
                   (f"{w}.tolerance_usd", t.tolerance_usd, tolerance_usd)]
    for key, value, check in checks:
        if value is None:
            continue
        try:
            check(value, None)
        except InputError as exc:
            raise mandate_error(m, key, exc.message) from None
    _mandate_bounds(m)


def _mandate_bounds(m: Any) -> None:
    from data.contracts import contract_roots
    from models.contract_codes import parse_contract

    roots = set(contract_roots())
    for root, (lo, hi) in (m.contract_bounds or {}).items():
        key = f"contract_bounds.{root}"
        try:  # a root, or a contract month of a known root in its listed cycle
            _ = root.upper() in roots or parse_contract(root.upper())
        except InputError:
            raise mandate_error(m, key, f"unknown contract root '{root}' (known: "
                                f"{', '.join(sorted(roots))})") from None
        if lo is not None and hi is not None and lo > hi:
            raise mandate_error(m, key, f"min {lo} is above max {hi}: give min <= max "
                                "(contracts, short < 0)")
    from models.curves import ALLOWED_KEY_TENORS

    for tenor, (lo, hi) in (m.key_rate_bands or {}).items():
        key = f"key_rate_bands.{tenor}"
        if str(tenor).upper() not in ALLOWED_KEY_TENORS:
            raise mandate_error(m, key, f"unknown key tenor '{tenor}' (key tenors: "
                                f"{', '.join(ALLOWED_KEY_TENORS)})")
        if lo is not None and hi is not None and lo > hi:
            raise mandate_error(m, key, f"min_usd {lo:,.0f} is above max_usd {hi:,.0f}")


def mandate_sectors(m: Any, sectors: Sequence[str]) -> list[str]:
    """Sector targets against the portfolio's sectors (names match case-insensitively).

    An error -- naming ``--target`` for a flag, else the mandate file and line -- when a target
    would leave a real sector unhedged: a ``--target`` on a sector the portfolio does not hold,
    or a mandate target matching no sector while some held sector has no target (a typo such as
    ``[targets.Corporates]``). A house mandate's target on a sector this portfolio simply does
    not hold is ignored with a warning, and so is a held sector left without a target. Returns
    the warnings."""
    keys = {str(s).strip().lower() for s in sectors}
    unmatched = [t for t in m.targets if str(t.sector).strip().lower() not in keys]
    targeted = {str(t.sector).strip().lower() for t in m.targets}
    untargeted = [] if m.target_duration is not None else [
        s for s in sectors if str(s).strip().lower() not in targeted]
    for t in unmatched:
        origin = getattr(t, "origin", "") or ""
        if origin.startswith("--") or untargeted:
            try:
                sector_name(t.sector, sectors)
            except InputError as exc:
                msg = exc.message + (f"; sector(s) {', '.join(untargeted)} have no target"
                                     if untargeted else "")
                if origin.startswith("--"):
                    raise _fail(f"'{origin[len('--target '):] or t.sector}': {msg}",
                                "--target") from None
                raise mandate_error(m, f"targets.{t.sector}", msg) from None
    warnings = [f"the mandate's target for {t.sector} is ignored: the portfolio holds no "
                f"{t.sector} sector (its sectors: {', '.join(sectors)})" for t in unmatched]
    warnings += [f"sector {s} has no target in the mandate: it is not hedged" for s in untargeted]
    return warnings


def hedge_inputs(mandate: Any, asof: Any, key_tenors: Sequence[str] | None = None,
                 window_text: Any = None) -> tuple[Any, list[str]]:
    """What :func:`optimizer.assemble.build_context` checks before any work: the as-of date has
    market data, the mandate's numbers are in range, its instruments trade on the date (roots
    not yet / no longer listed are dropped from a target's list with a warning), its key-rate
    bands are on the key tenors used, the risk window parses. Returns (mandate, warnings)."""
    if asof is not None:
        market_date(asof, "asof")
    if window_text is not None:
        window(window_text, "window")
    mandate_values(mandate)
    day = asof if asof is not None else curve_date_range()[1]
    mandate, warnings = mandate_instruments(mandate, day)
    if key_tenors:
        keys = {str(k).upper() for k in key_tenors}
        for tenor in mandate.key_rate_bands or {}:
            if str(tenor).upper() not in keys:
                raise mandate_error(mandate, f"key_rate_bands.{tenor}", f"{tenor} is not one of "
                                    f"the key tenors used ({', '.join(key_tenors)})")
    return mandate, warnings


def backtest_request(start: Any, end: Any, portfolio: Any = None, sectors: Any = None,
                     mandate: Any = None) -> None:
    """A backtest's dates in the history and in order, its mandate file readable, and the
    sectors it keeps (``--sectors``, comma-separated) sectors of the portfolio."""
    d0 = market_date(start, "start") if start is not None else None
    d1 = market_date(end, "end") if end is not None else None
    date_order(d0, d1 or curve_date_range()[1], "start", "end")
    if mandate is not None:
        input_file(mandate, "mandate", what="mandate file")
    if sectors:
        from data.holdings import read_holdings
        from data.loaders import PORTFOLIOS_DIR

        frame = read_holdings(portfolio or PORTFOLIOS_DIR / "default.csv")
        have = list(dict.fromkeys(str(s) for s in frame["sector"]))
        for s in str(sectors).split(","):
            if s.strip():
                sector_name(s.strip(), have, field="sectors")


#: Curve names a scenario file may use besides the portfolio's sectors (models.scenarios).
SCENARIO_CURVES = ("*", "all", "Treasury", "Swap", "Swaps", "SOFR")


def scenario_file_sectors(path: Any, sectors: Sequence[str]) -> None:
    """Every ``sector`` of a user scenario file (``scenario, sector, tenor, shift_bp``) is ``*``
    (every curve), ``Treasury``, ``Swap`` or a sector of the portfolio (case-insensitively):
    a shift on a sector the portfolio does not hold would silently move nothing."""
    from data.csvio import read_user_csv

    df = read_user_csv(path, "scenario file", allow_empty=True)
    if "sector" not in df.columns:
        return  # the scenario reader names the missing column
    for row, s in zip(df.index, df["sector"], strict=True):
        if not s or str(s).strip().lower() in {c.lower() for c in SCENARIO_CURVES}:
            continue
        try:
            sector_name(s, sectors, extra=("*", "Treasury", "Swap"))
        except InputError as exc:
            raise InputError(exc.message, file=str(path), row=int(row), column="sector") from None


# ----------------------------------------------------------------------------------- programs
def business_day_on_or_after(day: dt.date) -> dt.date:
    """The first US government-securities business day on or after ``day`` (SIFMA)."""
    from models import calendar as cal

    d = day
    while not cal.is_business_day(d):
        d += dt.timedelta(days=1)
    return d


def transition_plan(start: Any, sold_usd: float, sold_duration: float,
                    buys: Sequence[tuple[Any, float, float]], target_dv01: float | None = None
                    ) -> tuple[dt.date, list[tuple[dt.date, float, float]], list[str]]:
    """Check a transition schedule and move its dates to business days.

    ``buys``: (date, amount USD, duration years) purchases. The sale date and each purchase on a
    weekend or holiday moves to the next business day, with a warning. Rejected: amounts or
    durations out of range, a purchase before the sale, purchases spending more cash than the
    sale raised (cash taken negative), and purchases whose DV01 overtakes the target exposure
    (the long bridge would flip short). Returns (start, buys sorted by date, warnings)."""
    warnings: list[str] = []
    d0 = iso_date(start, "start")
    sold = usd(sold_usd, "sold", what="a market value sold in USD")
    sold_dur = duration_years(sold_duration, "sold_duration")
    if sold_dur <= 0:
        raise _fail("must be a duration in years > 0", "sold_duration")
    target = sold * sold_dur * 1e-4 if target_dv01 is None else number(
        target_dv01, "target_dv01", what="a DV01 in USD per bp", lo=0.0, lo_open=True)
    d0 = _moved(d0, "sale date", warnings)
    out = []
    for k, (day, amount, dur) in enumerate(buys, 1):
        d = iso_date(day, "buys")
        a = usd(amount, "buys", what="a purchase amount in USD")
        du = duration_years(dur, "buys")
        if d < d0:
            raise _fail(f"purchase {k} on {d} is before the sale on {d0}: the cash is not there "
                        "yet", "buys")
        out.append((_moved(d, f"purchase {k}", warnings), a, du))
    out.sort(key=lambda b: b[0])
    spent = invested = 0.0
    for d, a, du in out:
        spent += a
        invested += a * du * 1e-4
        if spent > sold * (1 + 1e-9):
            raise _fail(f"by {d} the purchases total ${spent:,.0f} but the sale raised "
                        f"${sold:,.0f}: cash would be taken negative", "buys")
        if invested > target * (1 + 1e-9) + 0.5:
            raise _fail(f"by {d} the bonds bought carry DV01 ${invested:,.0f}/bp, above the "
                        f"target exposure ${target:,.0f}/bp: the long futures bridge would flip "
                        "short; buy less duration or raise the target DV01", "buys")
    return d0, out, warnings


def _moved(day: dt.date, what: str, warnings: list[str]) -> dt.date:
    b = business_day_on_or_after(day)
    if b != day:
        warnings.append(f"{what} {day} ({day:%A}) is not a business day: moved to "
                        f"{b} ({b:%A})")
    return b


# ------------------------------------------------------- checked text (argparse keeps the text)
def market_date_text(value: Any, field: str | None = "asof") -> str:
    """:func:`market_date`, returned as the ISO text."""
    return market_date(value, field).isoformat()


def target_text(value: Any, field: str | None = "targets") -> str:
    """:func:`target_flag` checked, the text returned unchanged."""
    target_flag(value, field)
    return str(value)


def _parsed_by(parse: Callable[[str], Any], value: Any, field: str | None) -> Any:
    """``parse(str(value))``, its InputError re-raised as this field's (the flag's) error."""
    try:
        return parse(str(value))
    except InputError as exc:
        raise _fail(exc.message, field) from None


def key_tenors_text(value: Any, field: str | None = "key_tenors") -> str:
    """Comma-separated key tenors, each available and given once (e.g. ``2Y,5Y,10Y,30Y``)."""
    from models.curves import parse_key_tenors

    _parsed_by(parse_key_tenors, value, field)
    return str(value)


def instruments_text(value: Any, field: str | None = "instruments") -> str:
    """Comma-separated contract roots or months, at least one, each a known root or a code of a
    known root (whether a month is listed is checked against the as-of date later)."""
    from models.contract_codes import parse_contract
    from models.instruments import instrument_kind

    items = [s.strip().upper() for s in str(value).split(",") if s.strip()]
    if not items:
        raise _fail(f"'{value}' names no instrument (e.g. ZN or ZT,ZF,ZN,ZB)", field)
    for s in items:
        try:
            instrument_kind(s)
        except InputError:
            _parsed_by(parse_contract, s, field)
        if items.count(s) > 1:
            raise _fail(f"{s} is given twice", field)
    return str(value)


def program_date_text(value: Any, field: str | None = "start") -> str:
    """A program date: ISO, real, not before the bundled curve history (dates after its end are
    planned with its last curve, flagged by the program)."""
    d = iso_date(value, field)
    first, last = curve_date_range()
    if d < first:
        raise _fail(f"{d} is before the bundled Treasury curve history ({first} .. {last})",
                    field)
    return d.isoformat()


def buy_text(value: Any, field: str | None = "buys") -> str:
    """A purchase ``DATE:AMOUNT[:DURATION]`` (``2025-06-20:150m:6.1``), checked."""
    parts = str(value).split(":")
    if len(parts) not in (2, 3):
        raise _fail(f"'{value}': expected DATE:AMOUNT[:DURATION] (e.g. 2025-06-20:150m:6.1)",
                    field)
    try:
        program_date_text(parts[0], None)
        usd(parts[1], None, what="a purchase amount in USD")
        if len(parts) == 3:
            duration_years(parts[2], None)
    except InputError as exc:
        raise _fail(f"'{value}': {exc.message}", field) from None
    return str(value)


def root(value: Any, field: str | None = "root") -> str:
    """A contract root with reference data (``ZN``, ``SSF10``, ``SR3``), upper-cased."""
    from models.instruments import instrument_kind

    s = str(value).strip().upper()
    _parsed_by(instrument_kind, s, field)
    return s


def repo_pct(value: Any, field: str | None = "repo") -> float:
    """A repo rate in percent (4.3 = 4.3%), in (-5, 30): 430 is basis points, 0.043 is fine."""
    return number(value, field, what="a repo rate in percent (e.g. 4.3)", lo=-5.0, hi=30.0,
                  lo_open=True, hi_open=True)


def futures_price_text(value: Any, field: str | None = "futures_price") -> str:
    """A futures price per 100: decimal (``110.5``) or 32nds (``110-16``, ``110-16+``)."""
    from data.positions import parse_price_text

    _parsed_by(parse_price_text, value, field)
    return str(value)


# --------------------------------------------------------------------- argparse adapters
def arg(check: Callable[..., Any], **kw: Any) -> Callable[[str], Any]:
    """An argparse ``type=`` callable from a validator: argparse then prints
    ``argument --flag: <the validator's message>`` and exits 2 (its own wording for a
    ValueError would drop the message)."""
    import argparse

    def convert(text: str) -> Any:
        try:
            return check(text, None, **kw)
        except InputError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    convert.__name__ = getattr(check, "__name__", "value")
    return convert


def flag_name(field: str | None) -> str | None:
    """The CLI flag for an API field name (unchanged when it already is a flag or unknown)."""
    if field is None or field.startswith("-"):
        return field
    return FLAG_OF_FIELD.get(field, field)
