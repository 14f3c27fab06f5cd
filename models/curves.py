"""Treasury zero curve bootstrapped from par yields; constant-spread pricing; key-rate DV01s.

Curve construction (:func:`bootstrap_zero`)
-------------------------------------------
Input: a date's Treasury par yields (decimals, bond-equivalent, semiannual), e.g. from
``data.loaders.par_curve(asof)``. Time is ACT/365.25 years from the **settlement date** (T+1 on
the bond calendar), the date the quoted securities settle.

* **Bills (tenors <= 1Y)** are zero-coupon instruments and their quotes are bond-equivalent
  yields: ``DF = 1/(1 + y t)`` for ``t <= 0.5`` and ``DF = 1/((1 + y/2)(1 + y (t - 0.5)))`` for
  ``0.5 < t <= 1`` (Treasury's coupon-equivalent formula for bills longer than a half-year; the two
  agree at 6M and the 1Y point is ``(1 + y/2)^-2``). Knots at every quoted bill tenor and at 0.5
  and 1.0 (bill yields linearly interpolated in tenor, flat before the first quote).
* **Coupon segment**: a semiannual par bond at every half-year 1.5Y .. 30Y, par yield linearly
  interpolated in tenor between the quoted tenors >= 1Y (flat beyond the last quote, e.g. when the
  30Y was not issued), bootstrapped exactly:
  ``DF_k = (1 - y_k/2 * sum_{i<k} DF_i) / (1 + y_k/2)``.
* Between knots the continuously compounded zero rate is linear in time; flat outside.

So every knot is driven by one "knot yield"; bumps and scenario shifts move knot yields and
re-bootstrap. Key-rate bumps (:func:`key_rate_weights`) are triangles on the key tenors: 1 at the
key, linear to 0 at the neighbouring keys, the first key flat to the short end and the last flat
to the long end, so the bumps add up to a parallel shift of every knot yield.

Pricing
-------
A bond's full price off the curve with constant spread ``s`` (continuously compounded, added to
the zero rate; z-spread-like): ``sum CF_j exp(-(z(t_j) + s) t_j)``. ``fit_spread`` solves ``s``
so that this equals the market full price (vectorized Newton). Key-rate / parallel DV01s reprice
at that constant spread on re-bootstrapped curves; sign per SPEC §3 (gain for a 1 bp **fall**).
By default the DV01s are central differences ``(P(-1bp) - P(+1bp)) / 2``; ``one_sided=True``
gives the literal ``P(-1bp) - P``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from data.loaders import TENOR_YEARS, CurveOnDate, par_curve, tenor_to_years
from models.bonds import Cashflows, to_days
from models.caching import KeyedCache
from models.calendar import settlement_date

__all__ = [
    "DEFAULT_KEY_TENORS", "ALLOWED_KEY_TENORS", "ZeroCurve", "FlowSet", "bootstrap_zero",
    "key_rate_weights", "curve_on", "parse_key_tenors",
]

_CURVES: KeyedCache[ZeroCurve] = KeyedCache("treasury_curve_by_asof", maxsize=4096)

DEFAULT_KEY_TENORS: tuple[str, ...] = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")
ALLOWED_KEY_TENORS: tuple[str, ...] = ("3M", "6M", "1Y", "2Y", "3Y", "5Y", "7Y", "10Y", "20Y",
                                       "30Y")
BP = 1e-4
_COUPON_KNOTS = np.arange(3, 61) * 0.5  # 1.5Y .. 30Y


def parse_key_tenors(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """'2Y,5Y,10Y' or a list -> validated, sorted tenor labels (default: DEFAULT_KEY_TENORS)."""
    from data.errors import InputError

    if spec is None:
        return DEFAULT_KEY_TENORS
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    labels = [str(s).strip().upper() for s in items if str(s).strip()]
    if not labels:
        raise InputError("empty key-tenor list")
    bad = [t for t in labels if t not in ALLOWED_KEY_TENORS]
    if bad:
        raise InputError(f"key tenor(s) {bad} not available; choose from "
                         f"{', '.join(ALLOWED_KEY_TENORS)}")
    if len(set(labels)) != len(labels):
        raise InputError(f"duplicate key tenors in {labels}")
    return tuple(sorted(labels, key=tenor_to_years))


def key_rate_weights(key_years: Sequence[float], t: np.ndarray) -> np.ndarray:
    """(n_keys, len(t)) triangular weights; columns sum to 1 (first/last keys flat outward)."""
    k = np.asarray(key_years, dtype=float)
    t = np.asarray(t, dtype=float)
    eye = np.eye(len(k))
    # np.interp is flat outside [k0, k_last]: exactly the flat-to-the-ends rule
    return np.vstack([np.interp(t, k, eye[i]) for i in range(len(k))])


# ----------------------------------------------------------------------------- bootstrap
def _knot_layout(tenor_years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knot times and a boolean 'is bill knot' for quoted tenors."""
    bills = tenor_years[tenor_years <= 1.0 + 1e-12]
    bill_knots = np.union1d(bills, [0.5, 1.0])
    return np.concatenate([bill_knots, _COUPON_KNOTS]), np.r_[np.ones(len(bill_knots), bool),
                                                              np.zeros(len(_COUPON_KNOTS), bool)]


def _knot_yields(tenor_years: np.ndarray, par_dec: np.ndarray, knots: np.ndarray,
                 is_bill: np.ndarray) -> np.ndarray:
    """Quoted yields -> one yield per knot (bills interpolated among bills, coupons among >= 1Y)."""
    out = np.empty(len(knots))
    bill_q = tenor_years <= 1.0 + 1e-12
    if bill_q.any():
        out[is_bill] = np.interp(knots[is_bill], tenor_years[bill_q], par_dec[bill_q])
    else:  # no bill quotes: flat from the shortest coupon quote
        out[is_bill] = par_dec[np.argmin(tenor_years)]
    cpn_q = tenor_years >= 1.0 - 1e-12
    if not cpn_q.any():
        raise ValueError("par curve has no tenor >= 1Y")
    out[~is_bill] = np.interp(knots[~is_bill], tenor_years[cpn_q], par_dec[cpn_q])
    return out


def bootstrap_zero(knots: np.ndarray, is_bill: np.ndarray, knot_yield_dec: np.ndarray
                   ) -> np.ndarray:
    """Knot yields (m, n) or (n,) -> continuously compounded zero rates at the knots."""
    y = np.atleast_2d(np.asarray(knot_yield_dec, dtype=float))
    m = y.shape[0]
    tb = knots[is_bill]
    yb = y[:, is_bill]
    df_bill = np.where(tb <= 0.5, 1.0 / (1.0 + yb * tb),
                       1.0 / ((1.0 + yb / 2) * (1.0 + yb * (tb - 0.5))))
    yc = y[:, ~is_bill]
    nc = yc.shape[1]
    df_c = np.empty((m, nc))
    i05 = np.flatnonzero(np.isclose(tb, 0.5))[0]
    i10 = np.flatnonzero(np.isclose(tb, 1.0))[0]
    annuity = df_bill[:, i05] + df_bill[:, i10]
    for k in range(nc):  # 58 half-years; vectorized over curves
        h = yc[:, k] / 2
        df_c[:, k] = (1.0 - h * annuity) / (1.0 + h)
        annuity = annuity + df_c[:, k]
    df = np.hstack([df_bill, df_c])
    if (df <= 0).any():
        raise ValueError("bootstrap produced a non-positive discount factor")
    z = -np.log(df) / knots[None, :]
    return z if np.ndim(knot_yield_dec) == 2 else z[0]


# ----------------------------------------------------------------------------- flows
@dataclass(frozen=True)
class FlowSet:
    """Remaining cash flows flattened for fast curve pricing.

    Flows are stored row-major (bond by bond, in date order) as CSR pieces: ``day`` = whole days
    from the curve's settlement date, ``t`` = ``day / 365.25`` years, ``amount`` per 100,
    ``indptr`` the CSR row pointer. Since discount factors depend only on the day, a curve is
    evaluated once per calendar day (``ndays`` values) and every bond is priced by one sparse
    matrix product — exact repricing, with no per-flow ``exp`` per curve.
    """

    day: np.ndarray
    t: np.ndarray
    amount: np.ndarray
    indptr: np.ndarray
    n: int
    ndays: int

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def matrix(self, values: np.ndarray) -> sparse.csr_matrix:
        """(n bonds x ndays) sparse matrix with ``values`` (one per flow) at (bond, day)."""
        return sparse.csr_matrix((values, self.day, self.indptr), shape=(self.n, self.ndays))

    def per_row(self, x: np.ndarray) -> np.ndarray:
        """Broadcast a per-bond array to flows."""
        return np.repeat(np.asarray(x, dtype=float), self.counts)


# ----------------------------------------------------------------------------- curve
@dataclass(frozen=True)
class ZeroCurve:
    """A bootstrapped Treasury zero curve (see module docstring).

    ``zero_cc`` are continuously compounded zero rates at ``knots`` (ACT/365.25 years from
    ``settle``). Bumped/shifted curves are new ``ZeroCurve`` objects from shifted knot yields.
    """

    asof: pd.Timestamp
    settle: pd.Timestamp
    par_tenors: tuple[str, ...]
    par_yield_dec: np.ndarray
    knots: np.ndarray
    is_bill: np.ndarray
    knot_yield_dec: np.ndarray
    zero_cc: np.ndarray
    note: str | None = None

    def __post_init__(self) -> None:
        # curves are shared by the in-process cache: make their arrays read-only
        for a in (self.par_yield_dec, self.knots, self.is_bill, self.knot_yield_dec,
                  self.zero_cc):
            a.flags.writeable = False

    @property
    def fingerprint(self) -> tuple[pd.Timestamp, pd.Timestamp, str]:
        """(asof, settle, digest of the knot yields): equal only for the same curve, so caches
        keyed by it never serve a user's or a shifted curve's entry for another curve."""
        h = hashlib.blake2b(np.ascontiguousarray(self.knot_yield_dec).tobytes(), digest_size=12)
        return self.asof, self.settle, h.hexdigest()

    @property
    def par_quotes(self) -> pd.Series:
        """The input par yields (decimals) by tenor label."""
        return pd.Series(self.par_yield_dec, index=list(self.par_tenors), dtype=float)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_par(cls, par_yield_dec: pd.Series | Mapping[str, float], asof,
                 settle=None, note: str | None = None) -> ZeroCurve:
        """From par yields (decimals) keyed by tenor label ('3M', '2Y', ...)."""
        s = pd.Series(par_yield_dec, dtype=float).dropna()
        if s.empty:
            raise ValueError("empty par curve")
        tenors = np.array([TENOR_YEARS.get(k) or tenor_to_years(k) for k in s.index])
        order = np.argsort(tenors)
        tenors, vals = tenors[order], s.to_numpy()[order]
        if (np.abs(vals) > 0.5).any():
            raise ValueError("par yields must be decimals (4.5 % -> 0.045)")
        asof = pd.Timestamp(asof).normalize()
        settle = settlement_date(asof) if settle is None else pd.Timestamp(settle).normalize()
        knots, is_bill = _knot_layout(tenors)
        ky = _knot_yields(tenors, vals, knots, is_bill)
        return cls(asof, settle, tuple(s.index[order]), vals, knots, is_bill, ky,
                   bootstrap_zero(knots, is_bill, ky), note)

    @classmethod
    def from_curve_on_date(cls, cod: CurveOnDate) -> ZeroCurve:
        return cls.from_par(cod.par_yield_dec, cod.asof, note=cod.note)

    def _with_knot_yields(self, ky: np.ndarray) -> ZeroCurve:
        return ZeroCurve(self.asof, self.settle, self.par_tenors, self.par_yield_dec, self.knots,
                         self.is_bill, ky, bootstrap_zero(self.knots, self.is_bill, ky),
                         self.note)

    def shifted(self, parallel_bp: float = 0.0,
                tenor_bp: Mapping[str, float] | None = None) -> ZeroCurve:
        """A re-bootstrapped curve with par (knot) yields shifted: ``parallel_bp`` everywhere plus
        ``tenor_bp`` ({'2Y': 10, '10Y': -5}) interpolated linearly in tenor between the given
        tenors and flat beyond them. Positive bp = yields up."""
        shift = np.full(len(self.knots), float(parallel_bp))
        if tenor_bp:
            ty = np.array([tenor_to_years(k) for k in tenor_bp])
            order = np.argsort(ty)
            vals = np.array(list(tenor_bp.values()), dtype=float)[order]
            shift += np.interp(self.knots, ty[order], vals)
        return self._with_knot_yields(self.knot_yield_dec + shift * BP)

    def key_rate_curves(self, key_tenors: Iterable[str] = DEFAULT_KEY_TENORS,
                        bump_bp: float = 1.0) -> list[ZeroCurve]:
        """One curve per key tenor with that key's triangular par bump of ``bump_bp``."""
        w = key_rate_weights([tenor_to_years(k) for k in key_tenors], self.knots)
        ky = self.knot_yield_dec[None, :] + bump_bp * BP * w
        z = bootstrap_zero(self.knots, self.is_bill, ky)
        return [ZeroCurve(self.asof, self.settle, self.par_tenors, self.par_yield_dec,
                          self.knots, self.is_bill, ky[i], z[i], self.note) for i in range(len(w))]

    def knot_shapes(self, key_tenors: Sequence[str] = ()) -> np.ndarray:
        """(1 + k, n_knots) knot-yield shift shapes: row 0 parallel (ones), then each key
        tenor's triangle (:func:`key_rate_weights`); the triangles add up to row 0."""
        keys = tuple(key_tenors)
        w = (key_rate_weights([tenor_to_years(k) for k in keys], self.knots) if keys
             else np.zeros((0, len(self.knots))))
        return np.vstack([np.ones(len(self.knots)), w])

    def zero_rates_shifted(self, shifts_bp: np.ndarray) -> np.ndarray:
        """Knot-yield shifts (m, n_knots) in bp -> zero rates (m, n_knots) of the
        re-bootstrapped curves (one bootstrap for all m)."""
        ky = self.knot_yield_dec[None, :] + np.atleast_2d(shifts_bp) * BP
        return np.atleast_2d(bootstrap_zero(self.knots, self.is_bill, ky))

    def price_flows_on(self, fs: FlowSet, zero_cc: np.ndarray, spread_dec=0.0) -> np.ndarray:
        """(n bonds, m curves) full prices on the curves given by their zero rates
        ``zero_cc`` (m, n_knots), at constant spreads: one sparse product for all curves."""
        s = np.broadcast_to(np.asarray(spread_dec, dtype=float), (fs.n,))
        vals = fs.amount if not np.any(s) else fs.amount * np.exp(-fs.per_row(s) * fs.t)
        dfs = self._day_discounts(fs.ndays, np.atleast_2d(zero_cc))
        return np.asarray(fs.matrix(vals) @ dfs)

    def discount_day_on(self, day: int, zero_cc: np.ndarray) -> np.ndarray:
        """Discount factors (m,) from settle to ``day`` days later on each of m curves."""
        t = day / 365.25
        z = np.atleast_2d(zero_cc)
        return np.exp(-np.array([np.interp(t, self.knots, zi) for zi in z]) * t)

    # ------------------------------------------------------------------ discounting
    def _years(self, dates) -> np.ndarray:
        d = to_days(dates)
        ref = np.datetime64(self.settle.date(), "D")
        return (d - ref).astype("timedelta64[D]").astype(np.float64) / 365.25

    def zero_rate(self, t_years) -> np.ndarray:
        """Continuously compounded zero rate at times (years from settle); flat outside."""
        return np.interp(np.asarray(t_years, dtype=float), self.knots, self.zero_cc)

    def discount(self, t_years, spread_dec: float | np.ndarray = 0.0) -> np.ndarray:
        t = np.asarray(t_years, dtype=float)
        return np.exp(-(self.zero_rate(t) + spread_dec) * t)

    def discount_dates(self, dates, spread_dec: float | np.ndarray = 0.0) -> np.ndarray:
        """Discount factors from ``settle`` to dates (with an optional constant spread)."""
        return self.discount(self._years(dates), spread_dec)

    def par_yield(self, tenor_years: float) -> float:
        """Semiannual par yield of a bond maturing at ``tenor_years`` (>= 0.5, on the half-year
        grid) on this curve: a check of the bootstrap."""
        t = np.arange(1, int(round(tenor_years * 2)) + 1) * 0.5
        df = self.discount(t)
        return float(2 * (1 - df[-1]) / df.sum())

    # ------------------------------------------------------------------ bond pricing
    def flows(self, cf: Cashflows) -> FlowSet:
        """Flatten a :class:`Cashflows` against this curve's settlement date."""
        ref = np.datetime64(self.settle.date(), "D")
        day = (cf.dates[cf.mask] - ref).astype(np.int64)
        if day.size and day.min() <= 0:
            raise ValueError("cash flows on or before the curve's settlement date; build the "
                             "Cashflows at or after the curve settlement")
        indptr = np.r_[0, np.cumsum(cf.count)].astype(np.int64)
        ndays = int(day.max()) + 1 if day.size else 1
        return FlowSet(day, day / 365.25, cf.amounts_per100[cf.mask], indptr, len(cf), ndays)

    def _day_discounts(self, ndays: int, zero_cc: np.ndarray | None = None) -> np.ndarray:
        """exp(-z(t) t) for every day offset 0..ndays-1 (one or many curves: (ndays,[m]))."""
        t = np.arange(ndays) / 365.25
        z = self.zero_cc if zero_cc is None else zero_cc
        if z.ndim == 1:
            return np.exp(-np.interp(t, self.knots, z) * t)
        return np.column_stack([np.exp(-np.interp(t, self.knots, zi) * t) for zi in z])

    def price_flows(self, fs: FlowSet, spread_dec=0.0) -> np.ndarray:
        s = np.broadcast_to(np.asarray(spread_dec, dtype=float), (fs.n,))
        vals = fs.amount if not np.any(s) else fs.amount * np.exp(-fs.per_row(s) * fs.t)
        return fs.matrix(vals) @ self._day_discounts(fs.ndays)

    def price(self, cf: Cashflows, spread_dec=0.0) -> np.ndarray:
        """Full (dirty) price per 100 at the curve settlement date, with constant spread."""
        return self.price_flows(self.flows(cf), spread_dec)

    def forward_full_price(self, cf_at_delivery: Cashflows, delivery, spread_dec=0.0
                           ) -> np.ndarray:
        """Forward full price per 100 for delivery on ``delivery``: PV (at curve settlement, with
        spread) of the flows after delivery divided by the delivery discount factor (same
        spread). ``cf_at_delivery`` = ``cashflows(bonds, delivery)``. Repo/carry models that
        finance at a repo rate instead belong to the futures module."""
        s = np.broadcast_to(np.asarray(spread_dec, dtype=float), (len(cf_at_delivery),))
        pv = self.price(cf_at_delivery, s)
        return pv / self.discount(self._years(to_days(delivery, len(cf_at_delivery))), s)

    def fit_spread(self, cf: Cashflows, full_price_per100, tol: float = 1e-13,
                   max_iter: int = 50) -> np.ndarray:
        """Constant spread (decimal, cc) per bond repricing it to its full price (Newton)."""
        return self.fit_spread_flows(self.flows(cf), full_price_per100, tol, max_iter)

    def fit_spread_flows(self, fs: FlowSet, full_price_per100, tol: float = 1e-13,
                         max_iter: int = 50) -> np.ndarray:
        target = np.broadcast_to(np.asarray(full_price_per100, dtype=float), (fs.n,))
        if not np.isfinite(target).all() or (target <= 0).any():
            raise ValueError("full prices must be finite and positive")
        base = fs.amount * self._day_discounts(fs.ndays)[fs.day]  # PV of each flow at s = 0
        s = np.zeros(fs.n)
        p = np.add.reduceat(base, fs.indptr[:-1]) if fs.t.size else np.zeros(fs.n)
        dp = -np.add.reduceat(base * fs.t, fs.indptr[:-1])
        active = np.arange(fs.n)
        rows = np.repeat(np.arange(fs.n), fs.counts)
        flag = np.zeros(fs.n, dtype=bool)
        for _ in range(max_iter):
            # Newton on log price: exact in one step for a single flow, ~2-3 steps for bonds
            step = np.clip(np.log(p / target[active]) / (-dp / p), -0.5, 0.5)
            s[active] += step
            active = active[np.abs(step) >= tol]
            if active.size == 0:
                break
            flag[:] = False
            flag[active] = True
            sel = flag[rows]  # flows of the bonds still iterating
            ts = fs.t[sel]
            e = base[sel] * np.exp(-s[rows[sel]] * ts)
            bounds = np.r_[0, np.cumsum(fs.counts[active])[:-1]]
            p = np.add.reduceat(e, bounds)
            dp = -np.add.reduceat(e * ts, bounds)
        return s

    def dv01s(self, cf: Cashflows, spread_dec, key_tenors: Sequence[str] | None =
              DEFAULT_KEY_TENORS, one_sided: bool = False,
              fs: FlowSet | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(full price, parallel curve DV01, key-rate DV01s (N, n_keys)) per 100 face.

        Exact repricing at constant ``spread_dec`` on curves whose knot yields are bumped by
        1 bp (parallel) or by each key tenor's triangle; DV01 = gain for a 1 bp fall.
        """
        fs = self.flows(cf) if fs is None else fs
        shapes = self.knot_shapes(tuple(key_tenors or ()))  # parallel, keys...
        signs = (-1.0,) if one_sided else (-1.0, 1.0)
        zs = self.zero_rates_shifted(np.vstack([sg * shapes for sg in signs]))
        prices = self.price_flows_on(fs, np.vstack([self.zero_cc[None, :], zs]), spread_dec)
        p0 = prices[:, 0]
        nshape = len(shapes)
        down = prices[:, 1:1 + nshape]
        d = down - p0[:, None] if one_sided else (down - prices[:, 1 + nshape:]) / 2
        return p0, d[:, 0], d[:, 1:]


def curve_on(asof=None) -> ZeroCurve:
    """The bundled Treasury curve on ``asof`` (nearest earlier date; see ``.note``), built
    once per as-of date in the process (:mod:`models.caching`; the curve is read-only)."""
    try:
        key = None if asof is None else pd.Timestamp(asof).normalize()
    except (ValueError, TypeError):  # let the loader say what is wrong with the date
        return ZeroCurve.from_curve_on_date(par_curve(asof))
    return _CURVES.get_or_compute(key, lambda: ZeroCurve.from_curve_on_date(par_curve(asof)))
