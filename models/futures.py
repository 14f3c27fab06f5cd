"""CME Treasury futures (ZT, Z3N, ZF, ZN, TN, ZB, UB): calendar, deliverable basket, conversion
factors, forward prices, basis, implied repo, CTD, theoretical price and futures DV01.

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
auction's coupon is unknown then); ``include_future_issues=True`` applies the rules alone, and a
flag says how many issues the rules would add.

Pricing conventions (documented choices):

* Spot settlement T+1 on the bond calendar; accrued interest Act/Act ICMA (from
  :mod:`models.bonds`).
* **Forward to the last delivery day** by default (``delivery="last"``; ``"first"`` available).
  With positive carry (coupon income > repo cost, the usual case) the short delivers late,
  so the last delivery day is the standard CTD convention.
* Forward full price = full price x (1 + repo x d/360) - each coupon paid before delivery x
  (1 + repo x d_i/360) (coupon reinvested at repo to delivery); forward clean = forward full
  - accrued at delivery. Repo is ACT/360, default SOFR on the as-of date
  (:func:`data.loaders.sofr_on`); before SOFR existed (2018-04) the Treasury 1-month/3-month par
  yield of the as-of date is used and flagged.
* Implied repo = (invoice + coupons - full price) / (full price x d/360 - sum coupon_i x d_i/360),
  invoice = futures price x CF + accrued at delivery: the repo at which the forward equals the
  invoice (consistent with the forward formula above).
* Gross basis = clean - futures x CF; net basis = forward clean - futures x CF (both in 32nds).
* CTD = the issue with the maximum implied repo at the futures price (given, or theoretical);
  theoretical futures price = min over the basket of forward clean / CF (at which price the CTD's
  implied repo equals the repo rate, every other issue's is lower).
* Futures DV01 = CTD forward DV01 / CF, forward DV01 = change of the forward price for a 1 bp
  parallel fall of the Treasury par curve (re-bootstrapped, bond repriced at its constant spread,
  repo held). Since coupons are fixed, forward DV01 = spot DV01 x (1 + repo x d/360) exactly; key
  rates likewise from the curve module's triangular key-rate bumps. USD per contract =
  contract size x per-100 value / 100.
* No basket available (contract month beyond the security master): a **notional CTD**, a 6%
  bullet with the contract's typical remaining term (``typical_remaining_years`` in
  ``data/contracts/treasury_futures.csv``) from the first delivery day, CF = 1, flagged
  ``notional_ctd`` in every output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from data import loaders
from data.contracts import DeliverableRule, TreasuryFutureSpec, deliverable_rule
from data.contracts import treasury_future_specs as _specs
from data.csvio import read_user_csv
from data.errors import InputError
from models import calendar as cal
from models.contract_codes import ContractCode, parse_contract

TREASURY_ROOTS = ("ZT", "Z3N", "ZF", "ZN", "TN", "ZB", "UB")


# ---------------------------------------------------------------------------------------------
# contract spec and calendar

def spec(root: str) -> TreasuryFutureSpec:
    s = _specs().get(root)
    if s is None:
        raise InputError(f"'{root}' is not a Treasury futures root (expected one of "
                         f"{', '.join(TREASURY_ROOTS)})")
    return s


def _contract(contract: str | ContractCode, asof=None) -> ContractCode:
    c = contract if isinstance(contract, ContractCode) else parse_contract(contract, asof)
    spec(c.root)
    return c


def last_business_day_of_month(month_start) -> pd.Timestamp:
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


def contract_calendar(contract: str | ContractCode, asof=None) -> ContractCalendar:
    """Key dates of a Treasury futures contract (CME rules, see module docstring)."""
    c = _contract(contract, asof)
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

def _whole_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Complete calendar months from ``start`` to ``end``."""
    m = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        m -= 1
    return m


def conversion_factor(coupon_pct, maturity, contract_month, rounding: str = "quarter",
                      notional_coupon_pct: float = 6.0):
    """CME conversion factor(s), rounded to 4 decimals (see module docstring).

    ``coupon_pct`` annual coupon in percent; ``maturity`` maturity (or first call) date(s);
    ``contract_month`` any date in the delivery month; ``rounding`` "quarter" (ZN/TN/ZB/UB) or
    "month" (ZT/Z3N/ZF). Scalars give a float, arrays a numpy array.
    """
    if rounding not in ("quarter", "month"):
        raise ValueError("rounding must be 'quarter' or 'month'")
    scalar = np.ndim(coupon_pct) == 0 and np.ndim(maturity) == 0
    cpn = np.atleast_1d(np.asarray(coupon_pct, dtype=float)) / 100.0
    mats = pd.DatetimeIndex(np.atleast_1d(pd.to_datetime(maturity)))
    if len(mats) == 1 and len(cpn) > 1:
        mats = pd.DatetimeIndex([mats[0]] * len(cpn))
    start = pd.Timestamp(contract_month).normalize().replace(day=1)
    y = notional_coupon_pct / 100.0
    h = 1.0 + y / 2.0
    out = np.empty(len(cpn))
    for i, (c, mat) in enumerate(zip(cpn, mats, strict=True)):
        months = _whole_months(start, mat)
        n, z = divmod(months, 12)
        if rounding == "quarter":
            z = 3 * (z // 3)
        v = z if z < 7 else z - 6
        a = 1.0 / h ** (v / 6.0)
        b = (c / 2.0) * (6.0 - v) / 6.0
        cc = 1.0 / h ** (2 * n) if z < 7 else 1.0 / h ** (2 * n + 1)
        d = (c / y) * (1.0 - cc)
        raw = a * (c / 2.0 + cc + d) - b
        # round half-up on the exact decimal value (guard against binary noise at the 5th digit)
        out[i] = float(Decimal(repr(round(float(raw), 10))).quantize(Decimal("0.0001"),
                                                              rounding=ROUND_HALF_UP))
    return float(out[0]) if scalar else out


# ---------------------------------------------------------------------------------------------
# deliverable basket

_TERM = re.compile(r"^\s*(?:(\d+)-Year)?\s*(?:(\d+)-Month)?\s*$", re.IGNORECASE)


def _term_months(label) -> float:
    if not isinstance(label, str) or not label.strip():
        return np.nan
    m = _TERM.match(label)
    if not m or not (m.group(1) or m.group(2)):
        return np.nan
    return int(m.group(1) or 0) * 12 + int(m.group(2) or 0)


def securities_from_csv(path) -> pd.DataFrame:
    """A user's securities list (CSV: cusip, coupon, maturity, issue_date; optional
    security_type Note/Bond, original_term e.g. '10-Year', call_date, price) in the shape of
    :func:`data.loaders.security_master`. Raises InputError naming file/row/column."""
    name = str(path)
    df = read_user_csv(path, "securities file", ("cusip", "coupon", "maturity", "issue_date"))
    out = pd.DataFrame({"cusip": df["cusip"].str.strip()})
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
    out["coupon_pct"] = cpn
    for col, dst in (("maturity", "maturity_date"), ("issue_date", "original_issue_date")):
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
        out[dst] = vals
    bad = out["maturity_date"] <= out["original_issue_date"]
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("maturity on or before issue date", file=name, row=i + 2,
                         column="maturity")
    months = [_whole_months(a, b) for a, b in zip(out["original_issue_date"],
                                                 out["maturity_date"], strict=True)]
    if "original_term" in df:
        lab = [_term_months(x) for x in df["original_term"]]
        months = [m if np.isnan(lb) else lb for m, lb in zip(months, lab, strict=True)]
    out["original_term_months"] = months
    if "security_type" in df:
        st = df["security_type"].str.strip().str.title()
        bad = ~st.isin(["Note", "Bond"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError("security_type must be Note or Bond", file=name, row=i + 2,
                             column="security_type")
        out["security_type"] = st.to_numpy()
    else:
        out["security_type"] = np.where(np.asarray(months) <= 120, "Note", "Bond")
    out["first_call_date_inferred"] = (pd.to_datetime(df["call_date"], errors="coerce")
                                       if "call_date" in df else pd.NaT)
    if "price" in df:
        out["price"] = pd.to_numeric(df["price"], errors="coerce")
    if out["cusip"].duplicated().any():
        i = int(np.flatnonzero(out["cusip"].duplicated().to_numpy())[0])
        raise InputError("duplicate cusip", file=name, row=i + 2, column="cusip")
    return out


def _prepare_securities(securities: pd.DataFrame | None) -> pd.DataFrame:
    if securities is None:
        sm = loaders.security_master(nominal_only=True)
    else:
        sm = securities.copy()
    if "original_term_months" not in sm:
        lab = sm["original_security_term"].map(_term_months)
        by_dates = [_whole_months(a, b) for a, b in zip(
            pd.to_datetime(sm["original_issue_date"]), pd.to_datetime(sm["maturity_date"]),
            strict=True)]
        sm["original_term_months"] = np.where(lab.isna(), by_dates, lab)
    if "first_call_date_inferred" not in sm:
        sm["first_call_date_inferred"] = pd.NaT
    return sm


def eligible_mask(sec: pd.DataFrame, rule: DeliverableRule, contract_month: pd.Timestamp,
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
    return ok


def deliverable_basket(contract: str | ContractCode, asof=None,
                       securities: pd.DataFrame | None = None,
                       include_future_issues: bool = False) -> pd.DataFrame:
    """Eligible issues for the contract month with their CME conversion factors.

    Columns: cusip, coupon_pct, maturity_date, original_issue_date, security_type,
    original_term_months, cf_term_end (maturity or first call), conversion_factor.
    ``asof`` (default: latest bundled curve date) also resolves 1-digit codes; issues issued
    after ``asof`` are excluded unless ``include_future_issues``. An empty frame means no
    deliverable issue in the list (callers decide: error or notional CTD).
    """
    asof_ts = loaders.latest_curve_date() if asof is None else pd.Timestamp(asof).normalize()
    c = _contract(contract, asof_ts)
    s = spec(c.root)
    rule = deliverable_rule(c.root, c.contract_month)
    dates = contract_calendar(c)
    sec = _prepare_securities(securities)
    issued_by = dates.last_trading_day
    if not include_future_issues:
        issued_by = min(issued_by, asof_ts)
    mask = eligible_mask(sec, rule, c.contract_month, issued_by)
    b = sec.loc[mask].copy()
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
    cols = ["cusip", "coupon_pct", "maturity_date", "original_issue_date", "security_type",
            "original_term_months", "cf_term_end", "conversion_factor"]
    extra = [x for x in ("price",) if x in b]
    return b[cols + extra].sort_values(["maturity_date", "coupon_pct"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# forward prices, basis, implied repo (pure functions of prices; no curve)

def _bonds_of(basket: pd.DataFrame):
    from models import bonds as bm

    dated = None
    if "dated_date" in basket:
        dated = pd.to_datetime(basket["dated_date"]).to_numpy().astype("datetime64[D]")
    return bm.make_bonds(pd.to_datetime(basket["maturity_date"]).to_numpy().astype(
        "datetime64[D]"), basket["coupon_pct"].to_numpy(dtype=float) / 100.0,
        dated_date=dated)


def carry_terms(basket: pd.DataFrame, settle, delivery) -> dict[str, np.ndarray]:
    """Accrued at settle and delivery, and coupons paid in (settle, delivery] with their
    ACT/360 year fractions to delivery (per 100 face)."""
    from models import bonds as bm

    b = _bonds_of(basket)
    settle = pd.Timestamp(settle)
    delivery = pd.Timestamp(delivery)
    cf = bm.cashflows(b, settle)
    ai_settle = cf.accrued_per100
    ai_deliv = bm.accrued_interest(b, delivery)
    d_del = np.datetime64(delivery.date(), "D")
    paid = cf.mask & (cf.dates <= d_del)
    coupon = np.where(paid, cf.amounts_per100, 0.0)
    # a redemption cannot fall before delivery for a deliverable issue; guard anyway
    coupon = np.where(paid & (cf.dates == b.maturity[:, None]), coupon - 100.0, coupon)
    tau = np.where(paid, (d_del - cf.dates).astype("timedelta64[D]").astype(float) / 360.0, 0.0)
    days = float((delivery - settle).days)
    return {"ai_settle": ai_settle, "ai_delivery": ai_deliv, "coupon": coupon.sum(axis=1),
            "coupon_x_tau": (coupon * tau).sum(axis=1), "coupon_fv_factor": coupon,
            "tau": tau, "days": np.full(len(b), days)}


def forward_clean_price(full_price, terms: dict, repo_dec: float) -> np.ndarray:
    """Forward clean price at delivery: full x (1 + r d/360) - coupons x (1 + r d_i/360)
    - accrued at delivery."""
    full = np.asarray(full_price, dtype=float)
    t = terms["days"] / 360.0
    fwd_full = full * (1.0 + repo_dec * t) - (terms["coupon"] + repo_dec * terms["coupon_x_tau"])
    return fwd_full - terms["ai_delivery"]


def implied_repo(full_price, cf, futures_price: float, terms: dict) -> np.ndarray:
    """Implied repo (decimal, ACT/360) for delivering into the futures at ``futures_price``."""
    full = np.asarray(full_price, dtype=float)
    invoice = futures_price * np.asarray(cf, dtype=float) + terms["ai_delivery"]
    num = invoice + terms["coupon"] - full
    den = full * terms["days"] / 360.0 - terms["coupon_x_tau"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


# ---------------------------------------------------------------------------------------------
# pricing the basket off the Treasury curve

DEFAULT_KEY_TENORS = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")


class _InterpolatedYieldPricer:
    """Minimal local adapter used while :mod:`models.curves` is unavailable: each bond is
    priced at the Treasury par yield linearly interpolated at its maturity plus a constant
    spread (zero, or fitted to a given price); key-rate DV01s by triangular par bumps, which
    move the interpolated yield by the bond's interpolation weight. Flagged in outputs."""

    flag = ("curve_adapter: models.curves unavailable; bonds priced at the interpolated par "
            "yield (+ constant spread)")

    def __init__(self, curve: loaders.CurveOnDate, basket: pd.DataFrame, settle,
                 clean_prices=None):
        from models import bonds as bm

        self._bm = bm
        self.cf = bm.cashflows(_bonds_of(basket), pd.Timestamp(settle))
        par = curve.par_yield_dec
        self.key_t = curve.tenors_years
        self.key_labels = list(par.index)
        self.par = par.to_numpy()
        settle_ts = pd.Timestamp(settle)
        self.t = np.array([(pd.Timestamp(m) - settle_ts).days / 365.25
                           for m in basket["maturity_date"]])
        y0 = np.interp(self.t, self.key_t, self.par)
        if clean_prices is None:
            self.spread = np.zeros(len(basket))
        else:
            y = bm.yield_from_price(self.cf, np.asarray(clean_prices, dtype=float))
            self.spread = y - y0
        self.y = y0 + self.spread

    def full(self, shift_bp: float = 0.0) -> np.ndarray:
        return self._bm.price_from_yield(self.cf, self.y + shift_bp / 1e4, clean=False)

    def key_rate_dv01(self, i: int, key_tenors) -> dict[str, float]:
        risk = self._bm.risk_from_yield(self.cf.take([i]), self.y[[i]])
        dv01 = float(risk.dv01_per100[0])
        out = {}
        keys = np.array([loaders.tenor_to_years(k) for k in key_tenors])
        t = float(np.clip(self.t[i], keys[0], keys[-1]))
        j = int(np.searchsorted(keys, t))
        w = np.zeros(len(keys))
        if j < len(keys) and keys[j] == t:
            w[j] = 1.0
        else:
            w[j - 1] = (keys[j] - t) / (keys[j] - keys[j - 1])
            w[j] = 1.0 - w[j - 1]
        for k, x in zip(key_tenors, w, strict=True):
            out[k] = dv01 * x
        return out


class _CurvePricer:
    """Bonds priced off :class:`models.curves.ZeroCurve` (bootstrapped Treasury zero curve)
    at a constant spread: zero, or fitted to given clean prices. Parallel shifts and key-rate
    bumps re-bootstrap the curve (the curves module's machinery); spreads are held."""

    flag = None

    def __init__(self, curve: loaders.CurveOnDate, basket: pd.DataFrame, settle,
                 clean_prices=None):
        from models import bonds as bm
        from models.curves import ZeroCurve

        self.zc = ZeroCurve.from_curve_on_date(curve)
        if self.zc.settle != pd.Timestamp(settle):
            self.zc = ZeroCurve.from_par(curve.par_yield_dec, curve.asof, settle=settle,
                                         note=curve.note)
        self.cf = bm.cashflows(_bonds_of(basket), pd.Timestamp(settle))
        if clean_prices is None:
            self.spread = np.zeros(len(basket))
        else:
            full = np.asarray(clean_prices, dtype=float) + self.cf.accrued_per100
            self.spread = self.zc.fit_spread(self.cf, full)
        self._cache: dict[float, np.ndarray] = {}

    def full(self, shift_bp: float = 0.0) -> np.ndarray:
        key = round(float(shift_bp), 9)
        if key not in self._cache:
            zc = self.zc if key == 0.0 else self.zc.shifted(parallel_bp=key)
            self._cache[key] = zc.price(self.cf, self.spread)
        return self._cache[key]

    def key_rate_dv01(self, i: int, key_tenors) -> dict[str, float]:
        _, _, kr = self.zc.dv01s(self.cf.take([i]), self.spread[[i]], list(key_tenors))
        return {k: float(v) for k, v in zip(key_tenors, kr[0], strict=True)}


def _make_pricer(curve, basket, settle, clean_prices=None):
    try:
        from models import curves as _curves  # noqa: F401
    except ImportError:
        return _InterpolatedYieldPricer(curve, basket, settle, clean_prices)
    return _CurvePricer(curve, basket, settle, clean_prices)


# ---------------------------------------------------------------------------------------------
# the basket analysis and the optimizer's API

@dataclass
class BasketAnalysis:
    contract: str
    asof: pd.Timestamp
    settle: pd.Timestamp
    delivery_date: pd.Timestamp
    calendar: ContractCalendar
    repo_dec: float
    repo_source: str
    contract_size_usd: float
    table: pd.DataFrame          # one row per deliverable (see basket_analysis)
    ctd_index: int
    futures_price: float
    futures_price_source: str    # "given" | "theoretical"
    theoretical_price: float
    dv01_per100: float           # futures DV01 per 100 face of futures
    dv01_usd: float              # per contract
    key_rate_dv01_usd: dict[str, float]
    shifted: list[dict]
    flags: list[str] = field(default_factory=list)

    @property
    def ctd(self) -> pd.Series:
        return self.table.iloc[self.ctd_index]


def default_repo(asof) -> tuple[float, str]:
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


def _notional_ctd(c: ContractCode, s: TreasuryFutureSpec, dates: ContractCalendar
                  ) -> pd.DataFrame:
    fdm = c.contract_month
    months = int(round(s.typical_remaining_years * 4)) * 3
    mat = fdm + pd.DateOffset(months=months)
    issue = mat - pd.DateOffset(years=10 if s.typical_remaining_years <= 10 else 30)
    return pd.DataFrame({
        "cusip": ["NOTIONAL"], "coupon_pct": [6.0], "maturity_date": [mat],
        "original_issue_date": [issue], "security_type": ["Note"],
        "original_term_months": [np.nan], "cf_term_end": [mat], "conversion_factor": [1.0]})


def basket_analysis(contract: str | ContractCode, asof=None, repo: float | None = None,
                    prices: pd.Series | None = None, futures_price: float | None = None,
                    securities: pd.DataFrame | None = None,
                    include_future_issues: bool = False, delivery: str = "last",
                    key_tenors=DEFAULT_KEY_TENORS, shifts_bp=(-50.0, 50.0),
                    allow_notional: bool = True) -> BasketAnalysis:
    """Full basket analytics (see module docstring for every convention).

    ``repo`` decimal ACT/360 (default :func:`default_repo`); ``prices`` clean prices per 100
    indexed by cusip (default: off the Treasury curve at zero spread); ``futures_price``
    (default: theoretical). Raises InputError for bad codes, expired contracts, months before
    the contract existed, as-of dates outside the bundled data.
    """
    curve = loaders.par_curve(asof)
    asof_ts = curve.requested
    c = _contract(contract, asof_ts)
    s = spec(c.root)
    dates = contract_calendar(c)
    flags: list[str] = []
    if curve.note:
        flags.append(curve.note)
    if dates.last_delivery_day <= asof_ts:
        raise InputError(f"{c.code} expired: last delivery day {dates.last_delivery_day.date()} "
                         f"is not after the as-of date {asof_ts.date()}")
    if c.contract_month < s.listed_from:
        raise InputError(f"{c.code}: {s.name} was first listed for {s.listed_from:%B %Y}")
    if delivery not in ("last", "first"):
        raise InputError("delivery must be 'last' or 'first'")
    basket = deliverable_basket(c, asof_ts, securities, include_future_issues)
    if not include_future_issues:
        full_rules = deliverable_basket(c, asof_ts, securities, True)
        extra = len(full_rules) - len(basket)
        if extra:
            flags.append(f"future_issues_excluded: {extra} issue(s) auctioned after the as-of "
                         f"date would also be "
                         f"deliverable (excluded: no look-ahead)")
    sm_last = (loaders.security_master(True)["original_issue_date"].max()
               if securities is None else pd.Timestamp(securities["original_issue_date"].max()))
    if dates.last_trading_day > sm_last and not basket.empty:
        flags.append(f"basket_incomplete: issues after {sm_last.date()} (end of the securities "
                     f"list) could still join the {c.code} basket before its last trading day")
    if basket.empty:
        if not allow_notional or dates.last_trading_day <= sm_last:
            raise InputError(f"no deliverable issue for {c.code} in the securities list")
        basket = _notional_ctd(c, s, dates)
        flags.append(f"notional_ctd: no deliverable basket for {c.code} in the securities "
                     f"list; a 6% bond with {s.typical_remaining_years:g}y remaining from the "
                     f"first delivery day stands in (CF 1.0)")
        prices = None
    if "dated_date" not in basket and securities is None:
        sm = loaders.security_master(True).set_index("cusip")["dated_date"]
        basket["dated_date"] = basket["cusip"].map(sm)
    settle = cal.settlement_date(curve.asof)  # the curve's date (= as-of unless a holiday)
    deliv = dates.last_delivery_day if delivery == "last" else dates.first_delivery_day
    if repo is None:
        repo_dec, repo_src = default_repo(asof_ts)
        if "proxy" in repo_src:
            flags.append(repo_src)
    else:
        repo_dec, repo_src = float(repo), "user"
        if not (-0.05 < repo_dec < 0.3):
            raise InputError(f"repo {repo} looks wrong: pass a decimal (4.3% -> 0.043)")
    clean_given = None
    if prices is not None:
        p = pd.Series(prices, dtype=float)
        missing = [x for x in basket["cusip"] if x not in p.index]
        if missing:
            raise InputError(f"no price for deliverable(s) {', '.join(missing[:5])}")
        clean_given = p.reindex(basket["cusip"]).to_numpy()
    pricer = _make_pricer(curve, basket, settle, clean_given)
    if pricer.flag:
        flags.append(pricer.flag)
    terms = carry_terms(basket, settle, deliv)
    cfs = basket["conversion_factor"].to_numpy(dtype=float)

    def evaluate(shift_bp: float):
        full = pricer.full(shift_bp)
        fwd = forward_clean_price(full, terms, repo_dec)
        theo = float(np.min(fwd / cfs))
        return full, fwd, theo

    full, fwd, theo = evaluate(0.0)
    fut = theo if futures_price is None else float(futures_price)
    clean = full - terms["ai_settle"]
    irr = implied_repo(full, cfs, fut, terms)
    ctd = int(np.nanargmax(irr))
    growth = 1.0 + repo_dec * terms["days"][0] / 360.0

    def fut_dv01(full_up, full_dn, i):
        # full prices at -0.5 bp and +0.5 bp: a 1 bp central difference
        return (full_dn[i] - full_up[i]) * growth / cfs[i]

    up, dn = pricer.full(0.5), pricer.full(-0.5)
    dv01_100 = float(fut_dv01(up, dn, ctd))
    size = s.contract_size_usd
    krd_spot = pricer.key_rate_dv01(ctd, list(key_tenors))
    krd = {k: v * growth / cfs[ctd] * size / 100.0 for k, v in krd_spot.items()}
    shifted = []
    for sh in shifts_bp:
        f_s, fwd_s, theo_s = evaluate(sh)
        irr_s = implied_repo(f_s, cfs, theo_s, terms)
        j = int(np.nanargmax(irr_s))
        u, d_ = pricer.full(sh + 0.5), pricer.full(sh - 0.5)
        shifted.append({"shift_bp": float(sh), "ctd": basket["cusip"].iloc[j],
                        "ctd_coupon": float(basket["coupon_pct"].iloc[j]),
                        "ctd_maturity": basket["maturity_date"].iloc[j],
                        "futures_price": theo_s,
                        "dv01": float(fut_dv01(u, d_, j)) * size / 100.0,
                        "ctd_switch": j != ctd})
    table = pd.DataFrame({
        "cusip": basket["cusip"].to_numpy(), "coupon": basket["coupon_pct"].to_numpy(),
        "maturity": basket["maturity_date"].to_numpy(), "conversion_factor": cfs,
        "price": clean, "price_source": "given" if clean_given is not None else "curve",
        "accrued": terms["ai_settle"], "forward_price": fwd,
        "gross_basis": (clean - fut * cfs) * 32.0, "net_basis": (fwd - fut * cfs) * 32.0,
        "implied_repo": irr * 100.0,
        "forward_dv01_per100": (dn - up) * growth,
    })
    return BasketAnalysis(
        contract=c.code, asof=asof_ts, settle=settle, delivery_date=deliv, calendar=dates,
        repo_dec=repo_dec, repo_source=repo_src, contract_size_usd=size, table=table,
        ctd_index=ctd, futures_price=fut,
        futures_price_source="theoretical" if futures_price is None else "given",
        theoretical_price=theo, dv01_per100=dv01_100, dv01_usd=dv01_100 * size / 100.0,
        key_rate_dv01_usd=krd, shifted=shifted, flags=flags)


@dataclass(frozen=True)
class FuturesRisk:
    """What the optimizer needs per Treasury futures contract (USD per contract, long)."""

    contract: str
    root: str
    asof: pd.Timestamp
    price: float                   # futures price per 100 (theoretical unless given)
    dv01_usd_per_contract: float   # > 0 for a long contract
    key_rate_dv01: dict[str, float]
    notional_usd: float            # contract size x price / 100
    contract_size_usd: float
    ctd: dict
    conversion_factor: float
    first_notice_day: pd.Timestamp
    last_trading_day: pd.Timestamp
    flags: tuple[str, ...] = ()

    @property
    def notional_ctd(self) -> bool:
        return any(f.startswith("notional_ctd") for f in self.flags)


def futures_risk(contract_code: str, asof=None, repo: float | None = None,
                 key_tenors=DEFAULT_KEY_TENORS, futures_price: float | None = None,
                 **kwargs) -> FuturesRisk:
    """Per-contract risk of a Treasury future: DV01 = CTD forward DV01 / CF (USD),
    key-rate DV01s likewise, price, notional, CTD and flags. See :func:`basket_analysis`."""
    a = basket_analysis(contract_code, asof, repo=repo, futures_price=futures_price,
                        key_tenors=key_tenors, shifts_bp=(), **kwargs)
    ctd = a.ctd
    return FuturesRisk(
        contract=a.contract, root=parse_contract(a.contract, a.asof).root, asof=a.asof,
        price=a.futures_price, dv01_usd_per_contract=a.dv01_usd,
        key_rate_dv01=a.key_rate_dv01_usd,
        notional_usd=a.contract_size_usd * a.futures_price / 100.0,
        contract_size_usd=a.contract_size_usd,
        ctd={"cusip": ctd["cusip"], "coupon": float(ctd["coupon"]),
             "maturity": pd.Timestamp(ctd["maturity"]),
             "conversion_factor": float(ctd["conversion_factor"])},
        conversion_factor=float(ctd["conversion_factor"]),
        first_notice_day=a.calendar.first_notice_day, last_trading_day=a.calendar.last_trading_day,
        flags=tuple(a.flags))
