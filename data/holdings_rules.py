"""The row rules of a holdings file, evaluated on whole columns (used by :mod:`data.holdings`).

Each rule is a boolean mask over the rows (True = the row breaks it), registered in the order a
row-by-row scan applies them; :class:`Failures` keeps the first failing row and, within that row,
the first rule registered. So the one error reported is the one a scan of the file in row order
would stop at, while no rule loops over rows in Python. Messages are built only for that row.

Rule order within a row (the module docstring of :mod:`data.holdings` lists units and columns):
id present, id unique, sector present, par present/number/non-zero/face-sized; a kind (bond terms
or precomputed risk); coupon, maturity (not matured at the as-of date), issue date, first coupon
date, frequency, day count; clean price, yield (percent, not decimals), a quote for terms rows;
full price, market value (non-zero, sign of par, consistent with the full price), duration,
DV01 (sign of par); for risk rows the derived duration and the DV01 cross-check; key-rate
columns all-or-none, then each key rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from data.errors import InputError
from data.holdings_columns import (
    CellError,
    RawTable,
    blank_mask,
    ids,
    parse_dates,
    parse_each,
    parse_numbers,
    texts,
    to_date,
    to_day_count,
    to_float,
    to_frequency,
)

__all__ = ["validate", "Failures"]

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

Message = Callable[[int], str]
Column = str | Callable[[int], str]


class Failures:
    """The first failing (row, rule) over rules registered in within-row order."""

    def __init__(self) -> None:
        self.best: tuple[int, Column, Message] | None = None

    def add(self, mask: np.ndarray, column: Column, message: Message) -> None:
        if not mask.any():
            return
        i = int(np.argmax(mask))
        if self.best is None or i < self.best[0]:     # ties: the earlier rule wins
            self.best = (i, column, message)


class Book:
    """Column accessors over a raw table: blank masks and parsed columns, computed once."""

    def __init__(self, table: RawTable, cols: dict[str, int], krd_cols: dict[str, int]) -> None:
        self.table, self.cols, self.krd_cols = table, cols, krd_cols
        self.n = len(table.data)
        header = table.header
        self.names = {c: str(header[j]).strip() for c, j in {**cols, **krd_cols}.items()}
        self._blank: dict[str, np.ndarray] = {}
        self._parsed: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def series(self, c: str) -> pd.Series | None:
        j = self.cols.get(c, self.krd_cols.get(c))
        return None if j is None else self.table.data[j]

    def cell(self, c: str, i: int) -> object:
        return self.series(c).iloc[i]

    def blank(self, c: str) -> np.ndarray:
        if c not in self._blank:
            j = self.cols.get(c, self.krd_cols.get(c))
            known = self.table.blank or {}
            self._blank[c] = (np.ones(self.n, dtype=bool) if j is None else
                              known[j] if j in known else blank_mask(self.table.data[j]))
        return self._blank[c]

    def has(self, c: str) -> np.ndarray:
        return ~self.blank(c)

    def num(self, c: str, **kw) -> tuple[np.ndarray, np.ndarray]:
        key = (c, "num", tuple(sorted(kw.items())))
        if key not in self._parsed:
            s = self.series(c)
            self._parsed[key] = ((np.full(self.n, np.nan), np.zeros(self.n, dtype=bool))
                                 if s is None else parse_numbers(s, self.blank(c), **kw))
        return self._parsed[key]

    def date(self, c: str) -> tuple[np.ndarray, np.ndarray]:
        key = (c, "date")
        if key not in self._parsed:
            s = self.series(c)
            self._parsed[key] = ((np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                                  np.zeros(self.n, dtype=bool)) if s is None
                                 else parse_dates(s, self.blank(c)))
        return self._parsed[key]

    def column_name(self, c: str) -> str:
        return self.names.get(c, c)


def _cell_message(b: Book, c: str, parse: Callable[[object], object]) -> Message:
    def msg(i: int) -> str:
        try:
            parse(b.cell(c, i))
        except CellError as exc:
            return str(exc)
        return f"'{b.cell(c, i)}' cannot be read"   # pragma: no cover - parsers agree
    return msg


def _number(b: Book, f: Failures, c: str, **kw) -> np.ndarray:
    """Parse a numeric column, registering its unparseable cells as a rule."""
    vals, bad = b.num(c, **kw)
    f.add(bad, c, _cell_message(b, c, lambda v: to_float(v, **kw)))
    return vals


def _date(b: Book, f: Failures, c: str) -> np.ndarray:
    vals, bad = b.date(c)
    f.add(bad, c, _cell_message(b, c, to_date))
    return vals


def _day(ts: np.datetime64) -> str:
    return str(np.datetime64(ts, "D"))


# ------------------------------------------------------------------------------------ rules
def _identity(b: Book, f: Failures) -> tuple[pd.Series, pd.Series, np.ndarray]:
    f.add(b.blank("id"), "id", lambda i: "'id' is blank or NaN")
    pid = ids(b.series("id"), b.blank("id"))
    upper = pid.str.upper()                               # CUSIPs compare case-insensitively
    dup = (upper.duplicated(keep="first") & upper.notna()).to_numpy(dtype=bool)

    def dup_msg(i: int) -> str:
        first = int(np.argmax((upper == upper.iloc[i]).to_numpy(dtype=bool)))
        return f"duplicate id '{pid.iloc[i]}' (first used on row {b.table.rownum[first]})"
    f.add(dup, "id", dup_msg)
    f.add(b.blank("sector"), "sector", lambda i: "'sector' is blank or NaN")
    sector = texts(b.series("sector"), b.blank("sector"))
    f.add(b.blank("par"), "par", lambda i: "'par' is blank or NaN")
    par = _number(b, f, "par")
    f.add(par == 0, "par",
          lambda i: "par is zero; give the face amount in USD (negative for a short)")
    f.add(np.abs(par) < _MIN_ABS_PAR, "par",
          lambda i: f"par {par[i]:g} is face in USD; it looks like millions or thousands "
                    f"(write 20000000 for $20M face)")
    return pid, sector, par


def _kind(b: Book, f: Failures) -> np.ndarray:
    is_terms = b.has("coupon") & b.has("maturity")
    has_mv = b.has("market_value") | b.has("full_price")
    has_dur = b.has("duration") | b.has("dv01")

    def missing(i: int) -> str:
        if b.has("coupon")[i] and not b.has("maturity")[i]:
            return "maturity"
        if b.has("maturity")[i] and not b.has("coupon")[i]:
            return "coupon"
        if has_mv[i] and not has_dur[i]:
            return "duration"
        if has_dur[i] and not has_mv[i]:
            return "market_value"
        return "coupon"
    f.add(~is_terms & ~(has_mv & has_dur), missing,
          lambda i: "position has neither bond terms (coupon and maturity, plus price or yield) "
                    "nor precomputed risk (market_value or full_price, plus duration or dv01)")
    return is_terms


def _terms(b: Book, f: Failures, sector: pd.Series, asof: pd.Timestamp | None) -> dict:
    cpn = _number(b, f, "coupon", percent=True)
    f.add(cpn < 0, "coupon", lambda i: f"coupon {cpn[i]:g} is negative")
    f.add((cpn > 0) & (cpn < 0.1), "coupon",
          lambda i: f"coupon {cpn[i]:g} looks like a decimal; coupons are in percent, e.g. "
                    f"{cpn[i] * 100:g}")
    f.add(cpn > _MAX_COUPON_PCT, "coupon",
          lambda i: f"coupon {cpn[i]:g}% is implausible (> {_MAX_COUPON_PCT:g}); coupons are "
                    f"annual, in percent, e.g. 4.25")
    mat = _date(b, f, "maturity")
    if asof is not None:
        f.add(mat <= np.datetime64(asof), "maturity",
              lambda i: f"bond matured on {_day(mat[i])} (on or before the as-of date "
                        f"{asof.date()}); remove the position")
    issue = _date(b, f, "issue_date")
    f.add(issue >= mat, "issue_date",
          lambda i: f"issue date {_day(issue[i])} is not before maturity {_day(mat[i])}")
    first = _date(b, f, "first_coupon_date")
    f.add(first > mat, "first_coupon_date",
          lambda i: f"first coupon date {_day(first[i])} is after maturity {_day(mat[i])}")
    f.add(first <= issue, "first_coupon_date",
          lambda i: f"first coupon date {_day(first[i])} is not after the issue date "
                    f"{_day(issue[i])}")
    freq = _mapped(b, f, "frequency", to_frequency)
    freq = np.where(b.blank("frequency"), 2, freq)
    dc = _mapped(b, f, "day_count", to_day_count)
    treasury = sector.str.lower().isin(_TREASURY_SECTORS).to_numpy(dtype=bool)
    dc = np.where(b.blank("day_count"), np.where(treasury, "ACT/ACT", "30/360"), dc)
    return {"coupon_pct": cpn, "maturity": mat, "issue_date": issue, "first_coupon_date": first,
            "frequency": freq, "day_count": dc}


def _mapped(b: Book, f: Failures, c: str, fn: Callable[[object], object]) -> np.ndarray:
    s = b.series(c)
    if s is None:
        return np.full(b.n, None, dtype=object)
    vals, bad = parse_each(s, b.blank(c), fn)
    f.add(bad, c, _cell_message(b, c, fn))
    return vals


def _price(b: Book, f: Failures, c: str, what: str) -> np.ndarray:
    x = _number(b, f, c, thirty_seconds=True)
    f.add(x <= 0, c, lambda i: f"{what} {x[i]:g} must be positive (per 100 par)")
    f.add(x > _MAX_PRICE, c, lambda i: f"{what} {x[i]:g} is absurd (> {_MAX_PRICE:g} per 100 "
                                       f"par); prices are per 100 face, e.g. 98.5")
    f.add((x > 0) & (x < _MIN_PRICE), c,
          lambda i: f"{what} {x[i]:g} looks like a fraction of par; prices are per 100 face, "
                    f"e.g. {x[i] * 100:g}")
    return x


def _quotes(b: Book, f: Failures, is_terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    price = _price(b, f, "price", "clean price")
    y = _number(b, f, "yield", percent=True)
    vals, bad = b.num("yield", percent=True)
    ok = np.abs(vals[b.has("yield") & ~bad])
    median = float(np.median(ok)) if len(ok) else None
    all_small = not bad.any() and len(ok) > 0 and 0 < ok.max() < _DECIMAL_YIELD
    decimal = (y != 0) & (np.abs(y) < _DECIMAL_YIELD)
    if all_small:
        decimal = np.isfinite(y)
    elif median is None or median < 1.0:
        decimal = np.zeros(b.n, dtype=bool)
    else:
        decimal &= np.abs(100 * np.abs(y) - median) <= 2.0
    f.add(decimal, "yield", lambda i: f"yield {y[i]:g} looks like a decimal; yields are in "
                                      f"percent, e.g. {y[i] * 100:g}")
    f.add(y > _MAX_YIELD_PCT, "yield", lambda i: f"yield {y[i]:g}% is implausible (> "
                                                 f"{_MAX_YIELD_PCT:g}); yields are in percent, "
                                                 f"e.g. 4.5")
    f.add(y < _MIN_YIELD_PCT, "yield",
          lambda i: f"yield {y[i]:g}% is implausible (< {_MIN_YIELD_PCT:g})")
    col = "price" if "price" in b.cols or "yield" not in b.cols else "yield"
    f.add(is_terms & b.blank("price") & b.blank("yield"), col,
          lambda i: "row has bond terms (coupon, maturity) but no price or yield")
    return price, y / 100.0


def _risk_given(b: Book, f: Failures, par: np.ndarray) -> tuple[np.ndarray, ...]:
    fp = _price(b, f, "full_price", "full (dirty) price")
    mv = _number(b, f, "market_value")
    f.add(mv == 0, "market_value", lambda i: "market value is zero")
    f.add(np.isfinite(mv) & (mv != 0) & (np.sign(mv) != np.sign(par)), "market_value",
          lambda i: f"market value {mv[i]:,.2f} has the opposite sign to par {par[i]:,.0f}; "
                    f"short positions have negative par and negative market value")
    implied = fp * par / 100.0
    f.add(b.has("full_price") & (np.abs(mv - implied) > _MV_TOL * np.abs(implied)),
          "market_value",
          lambda i: f"market value {mv[i]:,.2f} disagrees with full_price x par / 100 = "
                    f"{implied[i]:,.2f}; give one")
    with np.errstate(divide="ignore", invalid="ignore"):
        fp_mv = mv / par * 100.0
    implied_price_off = (fp_mv < _MIN_PRICE) | (fp_mv > _MAX_PRICE)
    f.add(b.blank("full_price") & np.isfinite(fp_mv) & implied_price_off, "market_value",
          lambda i: f"market value {mv[i]:,.2f} for par {par[i]:,.0f} is a price of "
                    f"{fp_mv[i]:.4g} per 100; check units (USD)")
    dur = _number(b, f, "duration")
    f.add(dur < 0, "duration",
          lambda i: f"duration {dur[i]:g} is negative (modified duration, years)")
    f.add(dur > _MAX_DURATION, "duration",
          lambda i: f"duration {dur[i]:g} is implausible (> {_MAX_DURATION:g} years); give "
                    f"modified duration in years")
    dv01 = _number(b, f, "dv01")
    f.add((dv01 != 0) & np.isfinite(dv01) & (np.sign(dv01) != np.sign(par)), "dv01",
          lambda i: f"dv01 {dv01[i]:,.2f} has the opposite sign to par {par[i]:,.0f}; DV01 is "
                    f"the USD gain for a 1 bp fall in yield (positive for a long bond, negative "
                    f"for a short)")
    return fp, mv, dur, dv01


def _risk(b: Book, f: Failures, par: np.ndarray, is_terms: np.ndarray) -> dict:
    """Precomputed-risk fields; for risk rows the missing ones are derived and cross-checked:
    MV = full price x par / 100, DV01 = MV x duration / 10,000."""
    fp, mv, dur, dv01 = _risk_given(b, f, par)
    risk = ~is_terms
    with np.errstate(divide="ignore", invalid="ignore"):
        mv = np.where(risk & np.isnan(mv), fp * par / 100.0, mv)
        fp = np.where(risk & np.isnan(fp), mv / par * 100.0, fp)
        from_dv01 = risk & np.isnan(dur)
        dur = np.where(from_dv01, dv01 * 1e4 / mv, dur)
    f.add(from_dv01 & (dur > _MAX_DURATION), "dv01",
          lambda i: f"dv01 {dv01[i]:,.2f} implies a duration of {dur[i]:.1f} years (> "
                    f"{_MAX_DURATION:g}); DV01 is USD per 1 bp for the whole position")
    with np.errstate(over="ignore", invalid="ignore"):
        implied = mv * dur * 1e-4
    both = risk & ~from_dv01 & ~np.isnan(dv01)
    f.add(both & (np.abs(dv01 - implied) > _DV01_TOL * np.maximum(np.abs(implied), 1e-9)),
          "dv01", lambda i: f"dv01 {dv01[i]:,.2f} disagrees with market value x duration / "
                            f"10,000 = {implied[i]:,.2f}; give one")
    dv01 = np.where(risk & ~from_dv01 & np.isnan(dv01), implied, dv01)
    return {"full_price": fp, "market_value": mv, "duration": dur, "dv01": dv01}


def _key_rates(b: Book, f: Failures) -> dict[str, np.ndarray]:
    names = list(b.krd_cols)
    if not names:
        return {}
    given = np.column_stack([b.has(k) for k in names])
    partial = given.any(axis=1) & ~given.all(axis=1)

    def first_missing(i: int) -> str:
        return names[int(np.argmin(given[i]))]
    f.add(partial, first_missing,
          lambda i: f"'{first_missing(i)}' is blank but other key-rate DV01s are given for this "
                    f"position; give all key rates or none")
    return {k: _number(b, f, k) for k in names}


def _sorted_krd(krd_cols: dict[str, int]) -> list[str]:
    def years(name: str) -> float:
        t = name[4:]
        return float(t[:-1]) / (12.0 if t.endswith("M") else 1.0)
    return sorted(krd_cols, key=years)


def validate(table: RawTable, cols: dict[str, int], krd_cols: dict[str, int],
             asof: pd.Timestamp | None) -> pd.DataFrame:
    """Apply every rule to a raw table; the normalized holdings frame, or one InputError."""
    b = Book(table, cols, krd_cols)
    f = Failures()
    pid, sector, par = _identity(b, f)
    is_terms = _kind(b, f)
    terms = _terms(b, f, sector, asof)
    price, yield_dec = _quotes(b, f, is_terms)
    risk = _risk(b, f, par, is_terms)
    krd = _key_rates(b, f)
    if f.best is not None:
        i, column, message = f.best
        col = b.column_name(column(i) if callable(column) else column)
        raise InputError(message(i), file=table.label, row=int(table.rownum[i]), column=col)
    out = pd.DataFrame({
        "row": table.rownum.astype(int), "id": pid, "sector": sector,
        "kind": np.where(is_terms, "terms", "risk"), "par": par,
        "description": _optional_text(b, "description"), "rating": _optional_text(b, "rating"),
        "coupon_pct": terms["coupon_pct"], "maturity": terms["maturity"],
        "issue_date": terms["issue_date"], "first_coupon_date": terms["first_coupon_date"],
        "frequency": terms["frequency"].astype(int), "day_count": terms["day_count"],
        "price": price, "yield_dec": yield_dec, **risk,
    })
    krd_names = _sorted_krd(krd_cols)
    for k in krd_names:
        out[k] = krd[k]
    out.attrs["key_rate_columns"] = krd_names
    return out


def _optional_text(b: Book, c: str) -> pd.Series | np.ndarray:
    """Text of an optional column; a column that is absent or all blank is all None."""
    s = b.series(c)
    if s is None or b.blank(c).all():
        return np.full(b.n, None, dtype=object)
    return texts(s, b.blank(c))
