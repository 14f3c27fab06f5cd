"""CME Treasury futures (ZT, Z3N, ZF, ZN, TN, ZB, UB): contract calendar, conversion factors and
the deliverable basket (the *product* facts of a bond future; pricing is in
:mod:`models.instruments.treasury_pricing`).

Contract calendar (CME/CBOT rulebook text, applied on the SIFMA bond calendar of
:mod:`models.calendar`, which CME follows for Treasury deliveries):

* **First delivery day** - "the first business day of the contract month" (delivery may be made
  on any business day of the contract month, and for ZT/Z3N/ZF up to the last delivery day in the
  following month).
* **First intention day** (first position day) - "the second business day preceding the first
  business day of the contract month": shorts may declare intention to deliver from then.
* **First notice day** - "the business day preceding the first business day of the contract
  month" (= first intention day + 1 business day = first delivery day - 1 business day).
* **Last trading day** - ZN, TN, ZB, UB: "the seventh business day preceding the last business
  day of the delivery month"; ZT, Z3N, ZF: "the last business day of the calendar month".
* **Last delivery day** - ZN, TN, ZB, UB: "the last business day of the delivery month";
  ZT, Z3N, ZF: "the third business day following the last trading day".

Checks against dates published by CME: TYZ7 last trading day 2017-12-19 and last delivery
2017-12-29; ZNU5 first notice day 2025-08-29 (1 September 2025 is Labor Day), last trading day
2025-09-19; ZTU5 last trading day 2025-09-30, last delivery day 2025-10-03.

Conversion factor: CME, "Calculating U.S. Treasury Futures Conversion Factors": the price per
$1 of the bond to yield the notional coupon (6%, semi-annual) as of the first day of the delivery
month, with the term to maturity (or to first call, for callable bonds in pre-2015 ZB baskets)
measured in whole years ``n`` plus whole months ``z``, ``z`` rounded down to the nearest
quarter for ZN/TN/ZB/UB and kept in whole months for ZT/Z3N/ZF::

    v = z if z < 7 else z - 6          (z rounded to quarters: 0, 3, 6 -> v = z; 9 -> 3)
    a = 1 / 1.03 ** (v / 6)
    b = (coupon / 2) * (6 - v) / 6
    c = 1 / 1.03 ** (2n)   if z < 7 else 1 / 1.03 ** (2n + 1)
    d = (coupon / 0.06) * (1 - c)
    CF = round(a * (coupon / 2 + c + d) - b, 4)

Deliverability also requires the issue to exist by the **last trading day** ("the 2-/5-year note
issued after the last trading day of the contract month is not eligible"). By default a basket
built *as of* a date only holds issues already issued on that date (no look-ahead: a later
auction's coupon is unknown then); ``include_future_issues=True`` applies the rules alone.

No basket available (contract month beyond the security master): a **notional CTD**, a 6%
bullet with the contract's typical remaining term (``typical_remaining_years`` in
``data/contracts/treasury_futures.csv``) from the first delivery day, CF = 1, flagged
``notional_ctd`` in every output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from data import loaders
from data.contracts import DeliverableRule, TreasuryFutureSpec, deliverable_rule
from data.contracts import treasury_future_specs as _specs
from data.csvio import read_user_csv
from data.errors import InputError
from models import calendar as cal
from models.caching import KeyedCache
from models.contract_codes import ContractCode, parse_contract
from models.instruments.terms import TREASURY_ROOTS

_BASKETS: KeyedCache[pd.DataFrame] = KeyedCache("deliverable_basket", maxsize=4096)


# ---------------------------------------------------------------------------------------------
# contract spec and calendar

def spec(root: str) -> TreasuryFutureSpec:
    s = _specs().get(root)
    if s is None:
        raise InputError(f"'{root}' is not a Treasury futures root (expected one of "
                         f"{', '.join(TREASURY_ROOTS)})")
    return s


def treasury_code(contract: str | ContractCode, asof: object = None) -> ContractCode:
    """Parse (if needed) and check that the code is a Treasury future."""
    c = contract if isinstance(contract, ContractCode) else parse_contract(contract, asof)
    spec(c.root)
    return c


def last_business_day_of_month(month_start: object) -> pd.Timestamp:
    m = pd.Timestamp(month_start).normalize().replace(day=1)
    return cal.previous_business_day(m + pd.offsets.MonthBegin(1))


@dataclass(frozen=True)
class ContractCalendar:
    contract: str
    first_intention_day: pd.Timestamp
    first_notice_day: pd.Timestamp
    first_delivery_day: pd.Timestamp
    last_trading_day: pd.Timestamp
    last_delivery_day: pd.Timestamp


def contract_calendar(contract: str | ContractCode, asof: object = None) -> ContractCalendar:
    """Key dates of a Treasury futures contract (CME rules, see module docstring)."""
    c = treasury_code(contract, asof)
    s = spec(c.root)
    month = c.contract_month
    fdd = cal.add_business_days(month, 0)
    lbd = last_business_day_of_month(month)
    if s.last_trading_rule == "last_business_day":
        ltd = lbd
    elif s.last_trading_rule == "seventh_business_day_before_last_business_day":
        ltd = cal.add_business_days(lbd, -7)
    else:  # pragma: no cover - data error
        raise InputError(f"unknown last_trading_rule '{s.last_trading_rule}' for {c.root}")
    if s.last_delivery_rule == "last_business_day":
        ldd = lbd
    elif s.last_delivery_rule == "third_business_day_after_ltd":
        ldd = cal.add_business_days(ltd, 3)
    else:  # pragma: no cover - data error
        raise InputError(f"unknown last_delivery_rule '{s.last_delivery_rule}' for {c.root}")
    return ContractCalendar(
        contract=c.code, first_intention_day=cal.add_business_days(fdd, -2),
        first_notice_day=cal.add_business_days(fdd, -1), first_delivery_day=fdd,
        last_trading_day=ltd, last_delivery_day=ldd)


# ---------------------------------------------------------------------------------------------
# conversion factors

def whole_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Complete calendar months from ``start`` to ``end``."""
    m = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        m -= 1
    return m


def _round4(raw: float) -> float:
    # round half-up on the exact decimal value (guard against binary noise at the 5th digit)
    return float(Decimal(repr(round(float(raw), 10))).quantize(Decimal("0.0001"),
                                                               rounding=ROUND_HALF_UP))


def conversion_factor(coupon_pct: npt.ArrayLike, maturity: object, contract_month: object,
                      rounding: str = "quarter", notional_coupon_pct: float = 6.0
                      ) -> float | np.ndarray:
    """CME conversion factor(s), rounded to 4 decimals (see module docstring).

    ``coupon_pct`` annual coupon in percent; ``maturity`` maturity (or first call) date(s);
    ``contract_month`` any date in the delivery month; ``rounding`` "quarter" (ZN/TN/ZB/UB) or
    "month" (ZT/Z3N/ZF). Scalars give a float, arrays a numpy array.
    """
    if rounding not in ("quarter", "month"):
        raise ValueError("rounding must be 'quarter' or 'month'")
    scalar = np.ndim(coupon_pct) == 0 and np.ndim(np.asarray(maturity, dtype=object)) == 0
    cpn = np.atleast_1d(np.asarray(coupon_pct, dtype=float)) / 100.0
    mats = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(maturity)))
    if len(mats) == 1 and len(cpn) > 1:
        mats = pd.DatetimeIndex([mats[0]] * len(cpn))
    start = pd.Timestamp(contract_month).normalize().replace(day=1)
    y = notional_coupon_pct / 100.0
    h = 1.0 + y / 2.0
    out = np.empty(len(cpn))
    for i, (c, mat) in enumerate(zip(cpn, mats, strict=True)):
        n, z = divmod(whole_months(start, mat), 12)
        if rounding == "quarter":
            z = 3 * (z // 3)
        v = z if z < 7 else z - 6
        a = 1.0 / h ** (v / 6.0)
        b = (c / 2.0) * (6.0 - v) / 6.0
        cc = 1.0 / h ** (2 * n) if z < 7 else 1.0 / h ** (2 * n + 1)
        d = (c / y) * (1.0 - cc)
        out[i] = _round4(a * (c / 2.0 + cc + d) - b)
    return float(out[0]) if scalar else out


# ---------------------------------------------------------------------------------------------
# securities lists

_TERM = re.compile(r"^\s*(?:(\d+)-Year)?\s*(?:(\d+)-Month)?\s*$", re.IGNORECASE)


def _term_months(label: object) -> float:
    if not isinstance(label, str) or not label.strip():
        return np.nan
    m = _TERM.match(label)
    if not m or not (m.group(1) or m.group(2)):
        return np.nan
    return int(m.group(1) or 0) * 12 + int(m.group(2) or 0)


def _csv_coupons(df: pd.DataFrame, name: str) -> list[float]:
    cpn = []
    for i, v in enumerate(df["coupon"]):
        try:
            f = float(v)
        except ValueError:
            raise InputError(f"not a number: '{v}'", file=name, row=i + 2,
                             column="coupon") from None
        if not (0 <= f < 20):
            raise InputError(f"coupon {f} outside 0..20 (percent expected)", file=name,
                             row=i + 2, column="coupon")
        cpn.append(f)
    return cpn


def _csv_dates(df: pd.DataFrame, col: str, name: str) -> list[pd.Timestamp]:
    vals = []
    for i, v in enumerate(df[col]):
        try:
            ts = pd.Timestamp(v.strip())
        except (ValueError, TypeError):
            ts = pd.NaT
        if pd.isna(ts):
            raise InputError(f"unparseable date '{v}' (expected YYYY-MM-DD)", file=name,
                             row=i + 2, column=col)
        vals.append(ts.normalize())
    return vals


def _first_bad(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0])


def securities_from_csv(path: str | Path) -> pd.DataFrame:
    """A user's securities list (CSV: cusip, coupon, maturity, issue_date; optional
    security_type Note/Bond, original_term e.g. '10-Year', call_date, price) in the shape of
    :func:`data.loaders.security_master`. Raises InputError naming file/row/column."""
    name = str(path)
    df = read_user_csv(path, "securities file", ("cusip", "coupon", "maturity", "issue_date"))
    out = pd.DataFrame({"cusip": df["cusip"].str.strip()})
    out["coupon_pct"] = _csv_coupons(df, name)
    out["maturity_date"] = _csv_dates(df, "maturity", name)
    out["original_issue_date"] = _csv_dates(df, "issue_date", name)
    bad = out["maturity_date"] <= out["original_issue_date"]
    if bad.any():
        raise InputError("maturity on or before issue date", file=name, row=_first_bad(bad) + 2,
                         column="maturity")
    months: list[float] = [whole_months(a, b) for a, b in zip(
        out["original_issue_date"], out["maturity_date"], strict=True)]
    if "original_term" in df:
        lab = [_term_months(x) for x in df["original_term"]]
        months = [m if np.isnan(lb) else lb for m, lb in zip(months, lab, strict=True)]
    out["original_term_months"] = months
    if "security_type" in df:
        st = df["security_type"].str.strip().str.title()
        bad = ~st.isin(["Note", "Bond"])
        if bad.any():
            raise InputError("security_type must be Note or Bond", file=name,
                             row=_first_bad(bad) + 2, column="security_type")
        out["security_type"] = st.to_numpy()
    else:
        out["security_type"] = np.where(np.asarray(months) <= 120, "Note", "Bond")
    out["first_call_date_inferred"] = (pd.to_datetime(df["call_date"], errors="coerce")
                                       if "call_date" in df else pd.NaT)
    if "price" in df:
        out["price"] = pd.to_numeric(df["price"], errors="coerce")
    if out["cusip"].duplicated().any():
        raise InputError("duplicate cusip", file=name, row=_first_bad(out["cusip"].duplicated())
                         + 2, column="cusip")
    return out


def _prepare_securities(securities: pd.DataFrame | None) -> pd.DataFrame:
    sm = loaders.security_master(nominal_only=True) if securities is None else securities.copy()
    if "original_term_months" not in sm:
        lab = sm["original_security_term"].map(_term_months)
        by_dates = [whole_months(a, b) for a, b in zip(
            pd.to_datetime(sm["original_issue_date"]), pd.to_datetime(sm["maturity_date"]),
            strict=True)]
        sm["original_term_months"] = np.where(lab.isna(), by_dates, lab)
    if "first_call_date_inferred" not in sm:
        sm["first_call_date_inferred"] = pd.NaT
    return sm


# ---------------------------------------------------------------------------------------------
# deliverable basket

def eligible_mask(sec: pd.DataFrame, rule: DeliverableRule, contract_month: object,
                  issued_by: pd.Timestamp) -> np.ndarray:
    """Boolean mask of the issues the rule admits for the delivery month (before any as-of
    restriction): security type, original term, remaining term to maturity (or call), issue
    date on or before ``issued_by`` (the last trading day)."""
    fdm = pd.Timestamp(contract_month).normalize().replace(day=1)
    mat = pd.to_datetime(sec["maturity_date"])
    if rule.term_to == "call_or_maturity":
        call = pd.to_datetime(sec["first_call_date_inferred"])
        term_end = call.where(call.notna(), mat)
    else:
        term_end = mat
    ok = sec["security_type"].isin(rule.security_types).to_numpy().copy()
    if rule.max_original_months is not None:
        ok &= (sec["original_term_months"].to_numpy(dtype=float) <= rule.max_original_months)
    ok &= (term_end >= fdm + pd.DateOffset(months=rule.min_remaining_months)).to_numpy()
    if rule.max_remaining_months is not None:
        ref = fdm if rule.max_remaining_from == "first_day_of_month" else (
            fdm + pd.offsets.MonthEnd(0))
        lim = ref + pd.DateOffset(months=rule.max_remaining_months)
        ok &= ((term_end <= lim) if rule.max_remaining_inclusive else (term_end < lim)).to_numpy()
    ok &= (pd.to_datetime(sec["original_issue_date"]) <= issued_by).to_numpy()
    return np.asarray(ok, dtype=bool)


_BASKET_COLUMNS = ["cusip", "coupon_pct", "maturity_date", "original_issue_date",
                   "security_type", "original_term_months", "cf_term_end", "conversion_factor"]


def _build_basket(c: ContractCode, asof_ts: pd.Timestamp, securities: pd.DataFrame | None,
                  include_future_issues: bool) -> pd.DataFrame:
    s = spec(c.root)
    rule = deliverable_rule(c.root, c.contract_month)
    issued_by = contract_calendar(c).last_trading_day
    if not include_future_issues:
        issued_by = min(issued_by, asof_ts)
    sec = _prepare_securities(securities)
    b = sec.loc[eligible_mask(sec, rule, c.contract_month, issued_by)].copy()
    mat = pd.to_datetime(b["maturity_date"])
    if rule.term_to == "call_or_maturity":
        call = pd.to_datetime(b["first_call_date_inferred"])
        b["cf_term_end"] = call.where(call.notna(), mat)
    else:
        b["cf_term_end"] = mat
    b["conversion_factor"] = (conversion_factor(b["coupon_pct"].to_numpy(),
                                                b["cf_term_end"].to_numpy(), c.contract_month,
                                                s.cf_rounding, rule.cf_coupon_pct)
                              if len(b) else np.array([], dtype=float))
    extra = [x for x in ("price", "dated_date") if x in b]
    return b[_BASKET_COLUMNS + extra].sort_values(["maturity_date", "coupon_pct"]).reset_index(
        drop=True)


def deliverable_basket(contract: str | ContractCode, asof: object = None,
                       securities: pd.DataFrame | None = None,
                       include_future_issues: bool = False) -> pd.DataFrame:
    """Eligible issues for the contract month with their CME conversion factors.

    Columns: cusip, coupon_pct, maturity_date, original_issue_date, security_type,
    original_term_months, cf_term_end (maturity or first call), conversion_factor (and
    dated_date for the bundled security master). ``asof`` (default: latest bundled curve date)
    also resolves 1-digit codes; issues issued after ``asof`` are excluded unless
    ``include_future_issues``. An empty frame means no deliverable issue in the list (callers
    decide: error or notional CTD). Baskets from the bundled security master are cached per
    (contract, as-of, look-ahead) in the process; a copy is returned.
    """
    asof_ts = loaders.latest_curve_date() if asof is None else pd.Timestamp(
        asof).normalize()
    c = treasury_code(contract, asof_ts)
    if securities is not None:  # a user's list: never cached (no stale entry possible)
        return _build_basket(c, asof_ts, securities, include_future_issues)
    b = _BASKETS.get_or_compute((c.code, c.year, asof_ts, include_future_issues),
                                lambda: _bundled_basket(c, asof_ts, include_future_issues))
    return b.copy()


def _bundled_basket(c: ContractCode, asof_ts: pd.Timestamp, include_future_issues: bool
                    ) -> pd.DataFrame:
    b = _build_basket(c, asof_ts, None, include_future_issues)
    sm = loaders.security_master(True).set_index("cusip")["dated_date"]
    b["dated_date"] = b["cusip"].map(sm)
    return b


def notional_ctd(c: ContractCode) -> pd.DataFrame:
    """The stand-in basket when no deliverable issue is in the securities list (see module
    docstring): a 6% bullet with the typical remaining term from the first delivery day."""
    s = spec(c.root)
    fdm = c.contract_month
    months = int(round(s.typical_remaining_years * 4)) * 3
    mat = fdm + pd.DateOffset(months=months)
    issue = mat - pd.DateOffset(years=10 if s.typical_remaining_years <= 10 else 30)
    return pd.DataFrame({
        "cusip": ["NOTIONAL"], "coupon_pct": [6.0], "maturity_date": [mat],
        "original_issue_date": [issue], "security_type": ["Note"],
        "original_term_months": [np.nan], "cf_term_end": [mat], "conversion_factor": [1.0]})


def default_repo(asof: object) -> tuple[float, str]:
    """SOFR on the as-of date; before SOFR (2018-04) the Treasury 1M (else 3M) par yield."""
    try:
        d, r = loaders.sofr_on(asof)
        return r, f"SOFR {d.date()}"
    except InputError:
        c = loaders.par_curve(asof)
        for k in ("1M", "3M"):
            if k in c.par_yield_dec.index:
                return float(c.par_yield_dec[k]), (f"repo proxy: Treasury {k} par yield "
                                                   f"{c.asof.date()} (no SOFR before 2018-04)")
        raise
