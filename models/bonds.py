"""Vectorized fixed-coupon bullet bond math (US street convention).

Everything works on arrays of bonds at once (numpy, no per-bond Python loops).

Conventions
-----------
* ``"UST"`` (US Treasury): coupon periods and accrued interest by **Act/Act ICMA** (days in the
  period over days in the reference coupon period), fractional first period likewise.
* ``"CORP"`` (US corporate / agency): **30/360 per SIA** (:func:`days_30360`: D1=31 -> 30;
  D2=31 -> 30 when D1 is 30 or 31; and for end-of-month bonds the February month-end rules).
  Regular coupons are exactly ``C/f``; the fraction of the period left is ``(E - A)/E`` with
  ``A`` the 30/360 days accrued and ``E = 360/f`` (SIA convention).
* Yields are decimals (``yield_dec`` 0.0455 = 4.55 %), compounded at the coupon frequency
  (street convention): ``full = sum CF_k / (1 + y/f)^(w + k)`` with ``w`` the fraction of the
  current coupon period remaining and ``k = 0, 1, ...`` the later whole periods.
* Prices per 100 face (``*_per100``). ``full = clean + accrued``.
* DV01 per 100 face: value gained for a 1 bp **fall** in yield (positive for a long bond),
  analytic ``modified duration x full price x 1e-4`` (SPEC §3).

Schedules
---------
Coupon dates are generated backwards from maturity in steps of ``12/f`` months, each date
computed directly from the maturity (no drift), day clamped to the month length; with the
end-of-month rule (default on) a month-end maturity gives month-end coupon dates (Aug 31 -> Feb
28/29 -> Aug 31). An optional dated (issue) date and/or first coupon date describe an odd first
period: short (dated date inside the quasi-period before the first coupon) or long (dated date in
an earlier quasi-period). The first coupon is then ``C/f x`` (Act/Act ICMA period fraction for
UST, 30/360 days/(360/f) for CORP) and accrued interest runs from the dated date, exactly as in
31 CFR 356 Appendix B. With a dated date but no first coupon date, the first coupon is the first
schedule date after the dated date (a short first period if the dated date is off-schedule); a long
first coupon needs its first coupon date. Weekends are not rolled (US bonds pay unadjusted for
pricing purposes).

Main entry points
-----------------
``make_bonds(...) -> Bonds``; ``cashflows(bonds, settle) -> Cashflows`` (padded 2-D remaining cash
flows, used by :mod:`models.curves` and the futures module); ``price_from_yield``,
``yield_from_price``, ``risk_from_yield`` / ``analytics`` on a :class:`Cashflows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Bonds", "Cashflows", "BondRisk", "make_bonds", "cashflows", "accrued_interest",
    "price_from_yield", "yield_from_price", "FRACTIONAL", "risk_from_yield", "analytics", "days_30360",
    "to_days", "CONVENTIONS",
]

#: Accepted convention labels -> is 30/360. Day-count strings from holdings files map here too.
CONVENTIONS: dict[str, bool] = {
    "UST": False, "TREASURY": False, "ACT/ACT": False, "ACT/ACT ICMA": False,
    "ACTUAL/ACTUAL": False, "ACT/ACT ISMA": False, "ICMA": False,
    "CORP": True, "CORPORATE": True, "30/360": True, "30/360 US": True, "30/360 BOND BASIS": True,
    "30/360 US BOND BASIS": True, "BOND BASIS": True, "AGENCY": True,
}

_NAT = np.datetime64("NaT", "D")


# ----------------------------------------------------------------------------- date helpers
def to_days(x, n: int | None = None) -> np.ndarray:
    """Anything date-like (str, Timestamp, datetime64, Series, array, None) -> datetime64[D] array.

    ``None`` or missing values become NaT. With ``n`` a scalar is broadcast to length ``n``.
    """
    if x is None:
        out = np.array([_NAT])
    elif isinstance(x, np.ndarray) and x.dtype == "datetime64[D]":
        out = np.atleast_1d(x)
    else:
        arr = np.atleast_1d(np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x)
        out = pd.to_datetime(pd.Series(arr.ravel())).values.astype("datetime64[D]")
    if n is not None and out.shape[0] == 1 and n != 1:
        out = np.repeat(out, n)
    return out


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = d.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, day


def _last_of_february(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    return (m == 2) & (d == np.where(leap, 29, 28))


def days_30360(d1: np.ndarray, d2: np.ndarray, eom=True) -> np.ndarray:
    """Day count 30/360 per the SIA *Standard Securities Calculation Methods* (the US corporate
    and agency convention; QuantLib's ``Thirty360(USA)``), between datetime64[D] arrays:

    1. if the security follows the end-of-month rule and D1 and D2 are both the last day of
       February, D2 -> 30;
    2. if the security follows the end-of-month rule and D1 is the last day of February,
       D1 -> 30;
    3. if D2 is 31 and D1 is 30 or 31, D2 -> 30;
    4. if D1 is 31, D1 -> 30.

    ``eom`` (bool, scalar or per pair) says whether rules 1-2 apply: a bond's coupons follow the
    end-of-month rule when it matures on a month end (``Bonds.eom``); the default ``True`` is
    the plain day count (QuantLib applies rules 1-2 unconditionally). Without rules 1-2 this is
    the old "30/360 bond basis", which overstates accrual from Feb 28 by two days (one in leap
    years): Feb 28 -> Mar 15 is 15 days, not 17.
    """
    y1, m1, dd1 = _ymd(d1)
    y2, m2, dd2 = _ymd(d2)
    e = np.asarray(eom, dtype=bool)
    feb1 = e & _last_of_february(y1, m1, dd1)
    dd2 = np.where(feb1 & _last_of_february(y2, m2, dd2), 30, dd2)
    dd1 = np.where(feb1, 30, dd1)
    dd2 = np.where((dd2 == 31) & (dd1 >= 30), 30, dd2)
    dd1 = np.minimum(dd1, 30)
    return (360 * (y2 - y1) + 30 * (m2 - m1) + (dd2 - dd1)).astype(np.float64)


def _month_start(months: np.ndarray) -> np.ndarray:
    return months.astype("datetime64[M]").astype("datetime64[D]")


# month index (months since 1970-01) -> first day (days since 1970-01-01); a lookup table is
# ~10x faster than datetime64 unit conversions on (N, K) arrays. Covers 1800-01 .. 2300-12.
_M0 = (1800 - 1970) * 12
_MONTH_START_DAYS = _month_start(np.arange(_M0, (2301 - 1970) * 12 + 1)).astype(np.int32)


def _grid(mat_months: np.ndarray, mat_day: np.ndarray, eom: np.ndarray, step, k) -> np.ndarray:
    """Quasi-coupon date k periods before maturity (k=0 is maturity); broadcasts."""
    mm = mat_months - np.asarray(k) * step - _M0
    if mm.size and (mm.min() < 0 or mm.max() + 1 >= _MONTH_START_DAYS.shape[0]):
        raise ValueError("dates outside 1800..2300")
    return _grid_days(mm, mat_day, eom).astype("datetime64[D]")


def _grid_days(mm: np.ndarray, mat_day: np.ndarray, eom: np.ndarray) -> np.ndarray:
    """Day numbers of the coupon dates in table months ``mm`` (no range check)."""
    first = _MONTH_START_DAYS[mm]
    dim = _MONTH_START_DAYS[mm + 1] - first
    day = np.where(eom, dim, np.minimum(mat_day, dim))
    return first + (day - 1)


# ----------------------------------------------------------------------------- bond terms
@dataclass(frozen=True)
class Bonds:
    """Terms of N fixed-coupon bullets (arrays of length N)."""

    maturity: np.ndarray           # datetime64[D]
    coupon_dec: np.ndarray         # annual coupon rate, decimal (0.0425)
    frequency: np.ndarray          # coupons per year (1, 2, 4, 12), int
    is_30360: np.ndarray           # bool: True = CORP 30/360, False = UST Act/Act ICMA
    dated_date: np.ndarray         # datetime64[D], NaT = regular first period
    first_coupon_date: np.ndarray  # datetime64[D], NaT = regular first period
    eom: np.ndarray                # bool: end-of-month rule applies (month-end maturity + rule on)

    def __len__(self) -> int:
        return int(self.maturity.shape[0])

    def take(self, idx) -> Bonds:
        """A subset of the bonds (index array or boolean mask)."""
        return Bonds(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def make_bonds(
    maturity,
    coupon_dec,
    frequency=2,
    convention="UST",
    dated_date=None,
    first_coupon_date=None,
    eom_rule: bool = True,
) -> Bonds:
    """Build a :class:`Bonds` batch; scalars broadcast to the longest input.

    ``convention``: "UST" (Act/Act ICMA) or "CORP" (30/360 US bond basis), scalar or per bond;
    day-count labels such as "ACT/ACT" or "30/360" are accepted (see ``CONVENTIONS``).
    ``coupon_dec`` is a decimal rate (4.25 % -> 0.0425).
    """
    mat = to_days(maturity)
    cpn = np.atleast_1d(np.asarray(coupon_dec, dtype=np.float64))
    freq = np.atleast_1d(np.asarray(frequency, dtype=np.int64))
    conv = np.atleast_1d(np.asarray(convention, dtype=object))
    dated = to_days(dated_date)
    fcd = to_days(first_coupon_date)
    n = max(len(mat), len(cpn), len(freq), len(conv), len(dated), len(fcd))

    def bc(a):
        if len(a) == n:
            return a
        if len(a) == 1:
            return np.repeat(a, n)
        raise ValueError(f"inputs have inconsistent lengths ({len(a)} vs {n})")

    mat, cpn, freq, conv, dated, fcd = map(bc, (mat, cpn, freq, conv, dated, fcd))
    if np.isnat(mat).any():
        raise ValueError("maturity has missing values")
    if not np.isin(freq, (1, 2, 4, 12)).all():
        raise ValueError("frequency must be 1, 2, 4 or 12 coupons per year")
    if (cpn < 0).any() or not np.isfinite(cpn).all():
        raise ValueError("coupon_dec must be finite and >= 0 (decimal, e.g. 0.0425)")
    if (cpn > 0.5).any():
        raise ValueError("coupon_dec above 50 %: pass a decimal (4.25 % -> 0.0425)")
    uniq, inv = np.unique(conv.astype(str), return_inverse=True)
    labels = [u.strip().upper() for u in uniq]
    unknown = sorted({c for c in labels if c not in CONVENTIONS})
    if unknown:
        raise ValueError(f"unknown convention/day count {unknown}; use UST/ACT/ACT or CORP/30/360")
    is30 = np.array([CONVENTIONS[c] for c in labels], dtype=bool)[inv.ravel()]
    y, m, d = _ymd(mat)
    mat_months = mat.astype("datetime64[M]").astype(np.int64)
    dim = (_month_start(mat_months + 1) - _month_start(mat_months)).astype(np.int64)
    eom = np.asarray(eom_rule, dtype=bool) & (d == dim)
    return Bonds(mat, cpn, freq, is30, dated, fcd, np.broadcast_to(eom, (n,)).copy())


# ----------------------------------------------------------------------------- cash flows
@dataclass(frozen=True)
class Cashflows:
    """Remaining cash flows of N bonds after ``settle``, padded to a common width K.

    Row i holds bond i's flows in date order in columns ``0 .. count[i]-1``; the rest is padding
    (``mask`` False, amount 0, date NaT, periods 0). Amounts are per 100 face and include the
    redemption of 100 at maturity. ``periods`` is the street-convention time of each flow in
    coupon periods from settlement (``w + j``), the exponent used by yield pricing.
    """

    settle: np.ndarray          # (N,) datetime64[D]
    dates: np.ndarray           # (N, K) datetime64[D]
    amounts_per100: np.ndarray  # (N, K)
    mask: np.ndarray            # (N, K) bool
    periods: np.ndarray         # (N, K) coupon periods from settlement
    frac_period: np.ndarray     # (N,) fraction of the current quasi-coupon period left (w)
    frequency: np.ndarray       # (N,) float
    accrued_per100: np.ndarray  # (N,)
    prev_coupon: np.ndarray     # (N,) accrual start of the current period (dated date if odd)
    next_coupon: np.ndarray     # (N,) first remaining payment date
    count: np.ndarray           # (N,) number of remaining flows

    def __len__(self) -> int:
        return int(self.settle.shape[0])

    def times_years(self, ref_date=None) -> np.ndarray:
        """(N, K) ACT/365.25 year fractions of each flow from ``ref_date`` (default: settle)."""
        ref = self.settle if ref_date is None else to_days(ref_date, len(self))
        t = (self.dates - ref[:, None]).astype("timedelta64[D]").astype(np.float64) / 365.25
        return np.where(self.mask, t, 0.0)

    def take(self, idx) -> Cashflows:
        return Cashflows(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def _n_before(mat_months, mat_day, eom, step, x):
    """Smallest k >= 0 with grid(k) <= x (x < maturity): the quasi-period index containing x."""
    x_months = x.astype("datetime64[M]").astype(np.int64)
    q = (mat_months - x_months) // step
    return np.where(_grid(mat_months, mat_day, eom, step, q) <= x, q, q + 1)


def _icma_periods_to(mat_months, mat_day, eom, step, x, k_target):
    """Act/Act ICMA coupon periods from date x to grid date k_target (> x)."""
    nx = _n_before(mat_months, mat_day, eom, step, x)
    nxt = _grid(mat_months, mat_day, eom, step, nx - 1)
    prv = _grid(mat_months, mat_day, eom, step, nx)
    w = (nxt - x).astype(np.float64) / (nxt - prv).astype(np.float64)
    return (nx - 1 - k_target) + w


def _first_coupon_index(bonds: Bonds, G: tuple, s: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grid index of the first coupon (huge = regular), has dated date, has first coupon
    date) for odd first periods; raises for an off-schedule first coupon or settlement before
    the dated date."""
    n = len(bonds)
    has_fc = ~np.isnat(bonds.first_coupon_date)
    has_dd = ~np.isnat(bonds.dated_date)
    k_fc = np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    if has_fc.any():
        fc = np.where(has_fc, bonds.first_coupon_date, bonds.maturity - 1)
        kf = _n_before(*G, fc)
        on_grid = _grid(*G, kf) == fc
        if (has_fc & ~on_grid).any():
            bad = np.flatnonzero(has_fc & ~on_grid)[:5]
            raise ValueError(f"first coupon date of bonds {bad.tolist()} is not on the coupon "
                             "schedule generated back from maturity")
        k_fc = np.where(has_fc, kf, k_fc)
    only_dd = has_dd & ~has_fc
    if only_dd.any():
        dd = np.where(only_dd, bonds.dated_date, bonds.maturity - 1)
        k_fc = np.where(only_dd, _n_before(*G, dd) - 1, k_fc)
    if (has_dd & (s < bonds.dated_date)).any():
        bad = np.flatnonzero(has_dd & (s < bonds.dated_date))[:5]
        raise ValueError(f"settlement before the dated date for bonds {bad.tolist()}")
    return k_fc, has_dd, has_fc


def _pay_dates(G: tuple, kstart: np.ndarray, count: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) payment dates (NaT padding) and mask: column j pays on quasi-date kstart - j."""
    mat_months, mat_day, eom, step = G
    n = len(kstart)
    K = int(count.max()) if n else 0
    j = np.arange(K)[None, :]
    mask = j <= kstart[:, None]
    # month = first month + j * step (1-D range check)
    mm0 = (mat_months - kstart * step - _M0).astype(np.int32)
    if n and (mm0.min() < 0 or mat_months.max() - _M0 + 1 >= _MONTH_START_DAYS.shape[0]):
        raise ValueError("dates outside 1800..2300")
    mm = np.where(mask, mm0[:, None] + (j * step[:, None]).astype(np.int32), mm0[:, None])
    # most schedules keep the maturity's day of month (<= 28, no end-of-month rule): one gather
    day_num = _MONTH_START_DAYS[mm] + (mat_day.astype(np.int32) - 1)[:, None]
    special = np.flatnonzero(eom | (mat_day > 28))
    if special.size:
        day_num[special] = _grid_days(mm[special], mat_day.astype(np.int32)[special, None],
                                      eom[special, None])
    return np.where(mask, day_num.astype("datetime64[D]"), _NAT), mask


def cashflows(bonds: Bonds, settle) -> Cashflows:
    """Remaining cash flows of every bond after ``settle`` (scalar or per-bond dates).

    A flow on the settlement date itself belongs to the seller and is excluded. Raises
    ``ValueError`` for matured bonds or settlement before the dated date.
    """
    n = len(bonds)
    s = to_days(settle, n)
    if (s >= bonds.maturity).any():
        bad = np.flatnonzero(s >= bonds.maturity)[:5]
        raise ValueError(f"bonds {bad.tolist()} have matured on or before settlement")
    freq = bonds.frequency
    step = 12 // freq
    ff = freq.astype(np.float64)
    mat_months = bonds.maturity.astype("datetime64[M]").astype(np.int64)
    mat_day = _ymd(bonds.maturity)[2]
    eom = bonds.eom
    G = (mat_months, mat_day, eom, step)

    n_s = _n_before(*G, s)
    nxt = _grid(*G, n_s - 1)
    prv = _grid(*G, n_s)
    is30 = bonds.is_30360
    w_act = (nxt - s).astype(np.float64) / (nxt - prv).astype(np.float64)
    # 30/360: days to next coupon = E - A (SIA/SIFMA; differs from d360(s, next) on the 31st)
    w_30 = 1.0 - days_30360(prv, s, eom) * ff / 360.0
    w = np.where(is30, w_30, w_act)

    k_fc, has_dd, has_fc = _first_coupon_index(bonds, G, s)
    # dated date (accrual start of the first coupon); default = regular previous grid date
    k_fc_safe = np.minimum(k_fc, n_s + 1)
    dated = np.where(has_dd, bonds.dated_date, _grid(*G, k_fc_safe + 1))
    in_first = (k_fc <= n_s - 1)  # settlement at or before the first coupon's period end

    kstart = np.minimum(n_s - 1, k_fc)
    count = kstart + 1
    dates, mask = _pay_dates(G, kstart, count)
    j = np.arange(dates.shape[1])[None, :]
    periods = np.where(mask, (n_s - 1 - kstart)[:, None] + j + w[:, None], 0.0)

    cpn = 100.0 * bonds.coupon_dec / ff
    amounts = np.where(mask, cpn[:, None], 0.0)
    # first-coupon amount and accrued when settlement is inside an odd first period
    odd = in_first & (has_dd | has_fc)
    if odd.any():
        d_ = np.where(odd, dated, prv)
        fc_date = np.where(odd, _grid(*G, np.where(odd, k_fc, 0)), nxt)
        p_d_act = _icma_periods_to(*G, d_, np.where(odd, k_fc, 0))
        p_d_30 = days_30360(d_, fc_date, eom) * ff / 360.0
        p_d = np.where(is30, p_d_30, p_d_act)
        p_s_act = (n_s - 1 - np.where(odd, k_fc, 0)) + w_act
        acc_odd = np.where(is30, cpn * days_30360(d_, s, eom) * ff / 360.0, cpn * (p_d - p_s_act))
        amounts[:, 0] = np.where(odd, cpn * p_d, amounts[:, 0])
    else:
        acc_odd = np.zeros(n)
        d_ = prv
    acc_reg = np.where(is30, cpn * days_30360(prv, s, eom) * ff / 360.0, cpn * (1.0 - w_act))
    accrued = np.where(odd, acc_odd, acc_reg)
    last = count - 1
    amounts[np.arange(n), last] += 100.0
    next_pay = dates[:, 0] if dates.shape[1] else s
    return Cashflows(s, dates, amounts, mask, periods, w, ff, accrued, np.where(odd, d_, prv),
                     next_pay, count)


def accrued_interest(bonds: Bonds, settle) -> np.ndarray:
    """Accrued interest per 100 face at ``settle``."""
    return cashflows(bonds, settle).accrued_per100


# ----------------------------------------------------------------------------- pricing
#: Fractional-period discounting: "compound" = street convention (SIFMA, Bloomberg, QuantLib):
#: (1 + y/f)^-(w + k); "simple" = US Treasury auction convention of 31 CFR 356 Appendix B:
#: 1 / ((1 + w y/f) (1 + y/f)^k), with w the fraction of the current quasi-coupon period left.
FRACTIONAL = ("compound", "simple")


def _yield_terms(cf: Cashflows, yield_dec, fractional: str = "compound", derivs: int = 0):
    if fractional not in FRACTIONAL:
        raise ValueError(f"fractional must be one of {FRACTIONAL}")
    y = np.broadcast_to(np.asarray(yield_dec, dtype=np.float64), (len(cf),))
    f = cf.frequency
    base = 1.0 + y / f
    if (base <= 0).any():
        raise ValueError("yield below -frequency (1 + y/f <= 0)")
    lb = np.log(base)[:, None]
    w = cf.frac_period[:, None]
    if fractional == "compound":
        logdf = -cf.periods * lb
    else:
        logdf = -(cf.periods - w) * lb - np.log1p(w * (y / f)[:, None])
    pv = cf.amounts_per100 * np.exp(logdf)  # padding has amount 0
    if derivs == 0:
        return y, f, base, pv, None, None
    fb = (f * base)[:, None]
    if fractional == "compound":
        d1 = cf.periods / fb                       # L' with L = -log DF
        d2 = -cf.periods / fb**2                   # L''; DF'' = (L'^2 - L'') DF
    else:
        s1 = 1.0 + w * (y / f)[:, None]
        wf = w / f[:, None]
        d1 = (cf.periods - w) / fb + wf / s1
        d2 = -(cf.periods - w) / fb**2 - (wf / s1) ** 2
    return y, f, base, pv, d1, d2


def price_from_yield(cf: Cashflows, yield_dec, clean: bool = True,
                     fractional: str = "compound") -> np.ndarray:
    """Price per 100 (clean by default, else full/dirty) from yields (decimal)."""
    pv = _yield_terms(cf, yield_dec, fractional)[3]
    full = pv.sum(axis=1)
    return full - cf.accrued_per100 if clean else full


@dataclass(frozen=True)
class BondRisk:
    """Yield-based analytics per bond (arrays of length N)."""

    yield_dec: np.ndarray
    clean_price_per100: np.ndarray
    full_price_per100: np.ndarray
    accrued_per100: np.ndarray
    macaulay_duration_years: np.ndarray
    modified_duration_years: np.ndarray
    dv01_per100: np.ndarray       # USD per 100 face for a 1 bp fall in yield (> 0 for longs)
    convexity_years2: np.ndarray  # (1/P) d2P/dy2

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


def risk_from_yield(cf: Cashflows, yield_dec, fractional: str = "compound") -> BondRisk:
    """Price, durations, DV01 and convexity from yields.

    Modified duration = -(dP/dy)/P; Macaulay = modified x (1 + y/f); convexity = (d2P/dy2)/P;
    ``dv01_per100`` = modified duration x full price x 1e-4 (analytic, 1 bp fall -> gain).
    """
    y, f, base, pv, d1, d2 = _yield_terms(cf, yield_dec, fractional, derivs=1)
    full = pv.sum(axis=1)
    mod = (pv * d1).sum(axis=1) / full
    conv = (pv * (d1 * d1 - d2)).sum(axis=1) / full
    return BondRisk(y.copy(), full - cf.accrued_per100, full, cf.accrued_per100.copy(),
                    mod * base, mod, mod * full * 1e-4, conv)


def yield_from_price(cf: Cashflows, price_per100, clean: bool = True,
                     fractional: str = "compound", tol: float = 1e-13,
                     max_iter: int = 100) -> np.ndarray:
    """Street-convention yield (decimal) from price per 100, vectorized Newton with bisection.

    Each bond keeps a bracket [lo, hi] on which price - target changes sign; a Newton step that
    leaves the bracket (or fails to shrink it) is replaced by the midpoint, so the iteration
    always converges. Prices implying a yield outside -50 %..300 % raise ``ValueError``.
    """
    target = np.broadcast_to(np.asarray(price_per100, dtype=np.float64), (len(cf),)).copy()
    if clean:
        target = target + cf.accrued_per100
    if not np.isfinite(target).all() or (target <= 0).any():
        raise ValueError("prices must be finite and positive")
    f = cf.frequency
    lo0, hi0 = -0.5, 3.0
    lo = np.full(len(cf), lo0)
    hi = np.full(len(cf), hi0)
    # initial guess: the classic approximation (annual coupon + pull to par) / average price
    total = cf.amounts_per100.sum(axis=1)
    life = np.maximum(cf.periods.max(axis=1) / f, 1e-3)
    y = np.clip((total - target) / life / (0.5 * (100.0 + target)), lo + 1e-9, hi - 1e-9)
    active = np.arange(len(cf))
    amounts, periods, wv = cf.amounts_per100, cf.periods, cf.frac_period
    for _ in range(max_iter):
        sub = _Sub(amounts[active], periods[active], wv[active], f[active])
        _, _, base, pv, d1, _ = _yield_terms(sub, y[active], fractional, derivs=1)
        p = pv.sum(axis=1)
        dp = -(pv * d1).sum(axis=1)
        g = p - target[active]
        ya, la, ha = y[active], lo[active], hi[active]
        # price decreases in yield: g > 0 -> root above y
        la = np.where(g > 0, ya, la)
        ha = np.where(g <= 0, ya, ha)
        y_new = ya - g / dp
        out = ~((y_new > la) & (y_new < ha)) | ~np.isfinite(y_new)
        y_new = np.where(out, 0.5 * (la + ha), y_new)
        hit = np.abs(g) < 1e-13 * target[active]  # already at the root: keep it
        y_new = np.where(hit, ya, y_new)
        done = hit | (np.abs(y_new - ya) < tol)
        y[active], lo[active], hi[active] = y_new, la, ha
        active = active[~done]
        if active.size == 0:
            break
    bad = (y <= lo0 + 1e-9) | (y >= hi0 - 1e-9) | (active.size > 0 and np.isin(
        np.arange(len(cf)), active))
    if np.any(bad):
        raise ValueError(f"no yield in -50 %..300 % matches the price of bonds "
                         f"{np.flatnonzero(bad)[:5].tolist()}")
    return y


@dataclass(frozen=True)
class _Sub:
    """Row subset of a Cashflows holding only what yield pricing needs."""

    amounts_per100: np.ndarray
    periods: np.ndarray
    frac_period: np.ndarray
    frequency: np.ndarray

    def __len__(self) -> int:
        return int(self.periods.shape[0])


def analytics(bonds: Bonds, settle, *, yield_dec=None, clean_price_per100=None,
              fractional: str = "compound") -> BondRisk:
    """One call: analytics from either yields or clean prices (exactly one must be given)."""
    if (yield_dec is None) == (clean_price_per100 is None):
        raise ValueError("give exactly one of yield_dec or clean_price_per100")
    cf = cashflows(bonds, settle)
    if yield_dec is None:
        yield_dec = yield_from_price(cf, clean_price_per100, clean=True, fractional=fractional)
    return risk_from_yield(cf, yield_dec, fractional)
