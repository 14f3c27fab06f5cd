"""Walk-forward backtest of a hedge mandate over the bundled history (SPEC §8).

Procedure
---------
For each rebalance date ``r_k`` (first valuation date of each month, or of each week):

1. **Re-strike the portfolio** (constant maturity). The holdings file is a *template*: each
   holding keeps its par, sector, day count and remaining term (maturity minus the template's
   as-of date) and its constant spread to the Treasury zero curve fitted on the template date. On
   ``r_k`` it becomes a new bullet maturing ``term`` calendar days later, with a coupon equal to
   the par yield of the curve at its term plus its spread (rounded to 1/8 %, at least 1/8 %), so
   the portfolio keeps its shape (durations, sector mix) through 25 years of history instead of
   rolling down to cash. The switch happens at fair value at the close of ``r_k``: it makes no
   P&L.
2. **Build the hedge with data up to ``r_k`` only**: ``optimizer.assemble.build_context(holdings,
   mandate, asof=r_k)`` (exposures on that day's curve, front contracts and their CTD on that
   day, factor covariance and betas estimated from the window ending on ``r_k``), then
   ``solve_context``. The instruments are those of the mandate that were listed on ``r_k``
   (``listed_from``/``listed_to`` in data/contracts). If the mandate is infeasible on ``r_k``
   (e.g. the margin budget is too small for that day's DV01) the margin and leverage limits are
   dropped for that date only and the date is flagged ``relaxed``.
3. **Strategies**, all sized on ``r_k`` and held to ``r_{k+1}``:
   ``unhedged``; ``naive_zn`` (the classic single-contract hedge: the total DV01 change the
   mandate asks for, plain unadjusted DV01s, divided by the front ZN's DV01, rounded);
   ``naive_keyrate`` (least-squares match of the target key-rate DV01 vector with the mandate's
   instruments, unweighted, rounded); ``continuous`` (the relaxed optimum, fractional contracts);
   ``integer`` (the mixed-integer optimum).
4. **Daily revaluation** of everything on every valuation date of the period:

   * holdings: full price off that day's bootstrapped zero curve at the holding's constant spread
     (corporates: plus the change of the chosen spread series since the strike, see
     ``spread_source``), coupons received are P&L;
   * Treasury futures: **CTD-forward approximation** (modelled, not market prices): the CTD
     chosen by the full basket analysis on ``r_k`` is held fixed through the period; each day its
     full price off that day's curve (zero spread, as in the basket analysis) is carried to the
     last delivery day at that day's term repo (:func:`repo_series`: 5-day median of the
     overnight rate of ``models.futures.default_repo``), minus coupons (with repo interest) and
     accrued at delivery, divided by its conversion factor. On ``r_k`` this *is* the basket analysis's theoretical
     price; between rebalances it ignores CTD switches inside the month
     (:func:`validate_futures_approx` measures the error against the full basket);
   * swap futures: first order, ``-DV01 x`` change of the Treasury par yield at the swap tenor
     (swap rate = Treasury + a constant swap spread, the model the instrument module uses).

Tracking error to target: the optimizer's target exposure is ``sum_s ratio_s x sector_s`` with
``ratio_s = target DV01 / current DV01``, so the realized target P&L is ``sum_s ratio_s x
holdings P&L_s`` and a strategy's tracking P&L is ``holdings + hedge - target``. Realized TE =
sample standard deviation of tracking P&L x sqrt(periods per year).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import par_curve_history_pct, sofr_history_pct
from models.bonds import cashflows, make_bonds
from models.curves import ZeroCurve

STRATEGIES = ("unhedged", "naive_zn", "naive_keyrate", "continuous", "integer")
STRATEGY_LABELS = {
    "unhedged": "Unhedged",
    "naive_zn": "Naive DV01 (ZN only)",
    "naive_keyrate": "Naive key-rate LS (rounded)",
    "continuous": "Continuous optimum",
    "integer": "Integer optimum",
}
_TREASURY = {"treasury", "treasuries", "ust", "us treasury", "u.s. treasury", "govt",
             "government"}
_CORP = {"corporate", "corporates", "credit", "ig corporate"}


def _is_treasury(s: str) -> bool:
    return str(s).strip().lower() in _TREASURY


def _is_corp(s: str) -> bool:
    return str(s).strip().lower() in _CORP


def progress(i: int, n: int, label: str = "", t0: float | None = None) -> None:
    """A tiny progress bar on stderr (no dependency)."""
    if not sys.stderr.isatty() and i not in (n,) and i % max(1, n // 10):
        return
    w = 30
    k = int(w * i / max(n, 1))
    el = f" {time.perf_counter() - t0:.0f}s" if t0 is not None else ""
    sys.stderr.write(f"\r{label} [{'#' * k}{'.' * (w - k)}] {i}/{n}{el}")
    if i >= n:
        sys.stderr.write("\n")
    sys.stderr.flush()


# =============================================================================== market paths
class CurveBook:
    """Zero curves (and settlement dates) for valuation dates, built once and cached."""

    def __init__(self) -> None:
        self._c: dict[pd.Timestamp, ZeroCurve] = {}
        self._hist = par_curve_history_pct()

    def __getitem__(self, d: pd.Timestamp) -> ZeroCurve:
        c = self._c.get(d)
        if c is None:
            row = self._hist.loc[d].dropna() / 100.0
            c = ZeroCurve.from_par(row, d)
            self._c[d] = c
        return c


def valuation_dates(start, end, frequency: str = "daily") -> pd.DatetimeIndex:
    """Curve dates in [start, end]; ``monthly``: the last curve date of each month."""
    hist = par_curve_history_pct()
    idx = hist.loc[pd.Timestamp(start): pd.Timestamp(end)].index
    if len(idx) == 0:
        raise InputError(f"no Treasury curve data between {start} and {end}")
    if frequency == "daily":
        return idx
    if frequency == "monthly":
        s = pd.Series(idx, index=idx)
        return pd.DatetimeIndex(s.groupby(idx.to_period("M")).max().to_numpy())
    raise InputError(f"unknown valuation frequency {frequency!r} (daily | monthly)")


def rebalance_dates(dates: pd.DatetimeIndex, rebalance: str = "monthly") -> pd.DatetimeIndex:
    """First valuation date of each month (``monthly``) or ISO week (``weekly``); with monthly
    valuation dates every date is a rebalance date."""
    if rebalance not in ("monthly", "weekly"):
        raise InputError(f"--rebalance must be monthly or weekly, not {rebalance!r}")
    s = pd.Series(dates, index=dates)
    key = dates.to_period("M") if rebalance == "monthly" else dates.to_period("W")
    return pd.DatetimeIndex(s.groupby(key).min().to_numpy())


def _raw_repo(d: pd.Timestamp, sofr: pd.Series, hist: pd.DataFrame) -> float:
    if d >= sofr.index[0]:
        return float(sofr.iloc[sofr.index.searchsorted(d, side="right") - 1]) / 100.0
    row = hist.iloc[hist.index.searchsorted(d, side="right") - 1]
    v = row.get("1M", np.nan)
    return float(v if np.isfinite(v) else row["3M"]) / 100.0


def repo_series(dates: pd.DatetimeIndex, smooth: int = 5) -> np.ndarray:
    """Term repo (decimal) per date for carrying a CTD to delivery: the median of the overnight
    rate of ``models.futures.default_repo`` (SOFR; before SOFR the Treasury 1M, else 3M, bill
    yield) over the last ``smooth`` curve dates up to and including the date. One-day spikes of
    the overnight rate (SOFR 5.25% on 2019-09-17) are not a term financing rate; applied to
    months of carry they would move the modelled futures price by a point for one day."""
    sofr = sofr_history_pct()
    hist = par_curve_history_pct()
    out = np.empty(len(dates))
    for k, d in enumerate(pd.DatetimeIndex(dates)):
        pos = hist.index.searchsorted(d, side="right")
        days = hist.index[max(0, pos - smooth):pos] if smooth > 1 else [d]
        out[k] = float(np.median([_raw_repo(x, sofr, hist) for x in days]))
    return out


def par_at(dates: pd.DatetimeIndex, tenor_years: float) -> np.ndarray:
    """Treasury par yield (decimal) interpolated at ``tenor_years`` on each date."""
    from data.loaders import TENOR_YEARS

    hist = par_curve_history_pct().loc[dates]
    t = np.array([TENOR_YEARS[c] for c in hist.columns])
    out = np.empty(len(hist))
    for k, row in enumerate(hist.to_numpy()):
        ok = np.isfinite(row)
        out[k] = np.interp(tenor_years, t[ok], row[ok]) / 100.0
    return out


# ----------------------------------------------------------------------------- spread series
class SpreadSource:
    """Changes of a sector's spread (decimal) since a base date, by date and term.

    ``constant``: zero (bonds at constant spread). ``hqm``: HQM corporate par yield minus the
    monthly average Treasury par yield at the holding's term (monthly averages; a date uses the
    month that has ended by then: a month's last curve date uses that month). ``series``: a
    user/third-party daily spread series in percent (e.g. ICE BofA BBB OAS), same for all terms.
    """

    def __init__(self, kind: str = "constant", series_pct: pd.Series | None = None,
                 label: str = "") -> None:
        self.kind = kind
        self.label = label or kind
        self.series = series_pct.dropna().sort_index() if series_pct is not None else None
        if kind == "hqm":
            from data.loaders import hqm_par_monthly_pct

            hqm = hqm_par_monthly_pct()
            ust = par_curve_history_pct()
            avg = ust.groupby(ust.index.to_period("M")).mean()
            avg.index = avg.index.to_timestamp()
            from data.loaders import TENOR_YEARS

            ty = np.array([TENOR_YEARS[c] for c in avg.columns])
            rows = {}
            for m in hqm.index:
                if m not in avg.index:
                    continue
                a = avg.loc[m].to_numpy()
                ok = np.isfinite(a)
                rows[m] = [hqm.loc[m, h] - np.interp(h, ty[ok], a[ok]) for h in hqm.columns]
            self.hqm_spread = pd.DataFrame(rows, index=list(hqm.columns)).T.sort_index()
            self._month_last = ust.index.to_series().groupby(ust.index.to_period("M")).max()

    def level(self, d: pd.Timestamp, term_years: np.ndarray) -> np.ndarray:
        term_years = np.asarray(term_years, dtype=float)
        if self.kind == "constant":
            return np.zeros_like(term_years)
        if self.kind == "series":
            s = self.series
            pos = s.index.searchsorted(d, side="right") - 1
            if pos < 0:
                raise InputError(f"spread series {self.label} starts {s.index[0].date()}, "
                                 f"after {d.date()}")
            return np.full_like(term_years, float(s.iloc[pos]) / 100.0)
        per = d.to_period("M")
        last = self._month_last.get(per)
        month = per.to_timestamp() if (last is not None and d >= last) else (
            (per - 1).to_timestamp())
        hs = self.hqm_spread
        pos = hs.index.searchsorted(month, side="right") - 1
        if pos < 0:
            raise InputError(f"no HQM spread before {d.date()}")
        row = hs.iloc[pos]
        return np.interp(term_years, np.asarray(row.index, float), row.to_numpy()) / 100.0


# =============================================================================== portfolio
@dataclass
class Template:
    """The holdings as a constant-maturity template (see module docstring)."""

    ids: list[str]
    sectors: list[str]
    par: np.ndarray
    term_days: np.ndarray
    base_spread: np.ndarray     # cc spread to the Treasury zero curve on the template date
    base_level: np.ndarray      # the spread source's level on the template date (corporates)
    conv: list[str]
    asof: pd.Timestamp

    @classmethod
    def from_holdings(cls, frame: pd.DataFrame, asof=None,
                      spread: SpreadSource | None = None) -> Template:
        from models.exposures import compute_exposures

        exp = compute_exposures(frame, asof=asof, key_tenors=("2Y", "10Y"))
        h = exp.holdings
        if (h["kind"] != "terms").any():
            raise InputError("the backtest re-strikes bonds from their terms: every holding "
                             "needs coupon and maturity (precomputed-risk rows are not supported)")
        mats = pd.to_datetime(frame["maturity"] if "maturity" in frame else frame["maturity"])
        term = (mats.to_numpy().astype("datetime64[D]")
                - np.datetime64(exp.settle.date(), "D")).astype(np.int64)
        sectors = [str(s) for s in h["sector"]]
        conv = ["UST" if _is_treasury(s) else "CORP" for s in sectors]
        dc = frame["day_count"] if "day_count" in frame.columns else None
        if dc is not None:
            conv = [c if (not isinstance(x, str) or not x.strip()) else
                    ("UST" if "ACT" in x.upper() else "CORP") for c, x in zip(conv, dc, strict=True)]
        sp = spread or SpreadSource("constant")
        corp = np.array([_is_corp(s) for s in sectors])
        lvl = np.where(corp, sp.level(exp.asof, term / 365.25), 0.0)
        return cls([str(i) for i in h["id"]], sectors, h["par"].to_numpy(float), term,
                   h["spread_bp"].to_numpy(float) / 1e4, lvl, conv, exp.asof)

    @property
    def corp_mask(self) -> np.ndarray:
        return np.array([_is_corp(s) for s in self.sectors])

    def spreads_on(self, d: pd.Timestamp, spread: SpreadSource) -> np.ndarray:
        corp = self.corp_mask
        if not corp.any() or spread.kind == "constant":
            return self.base_spread.copy()
        lvl = spread.level(d, self.term_days / 365.25)
        return self.base_spread + np.where(corp, lvl - self.base_level, 0.0)

    def strike(self, d: pd.Timestamp, curve: ZeroCurve, spread: SpreadSource
               ) -> tuple[pd.DataFrame, Any, np.ndarray]:
        """Holdings frame (SPEC §4 columns), Bonds and spreads of the portfolio re-struck on d."""
        settle = curve.settle
        mats = (np.datetime64(settle.date(), "D") + self.term_days.astype("timedelta64[D]"))
        s = self.spreads_on(d, spread)
        yrs = self.term_days / 365.25
        par_y = np.array([np.interp(t, curve.knots, curve.knot_yield_dec) for t in yrs])
        cpn = np.maximum(np.round((par_y + s) * 800.0) / 800.0, 0.00125)
        bonds = make_bonds(mats, cpn, 2, self.conv)
        cf = cashflows(bonds, settle)
        full = curve.price(cf, s)
        clean = full - cf.accrued_per100
        frame = pd.DataFrame({
            "id": self.ids, "sector": self.sectors, "par": self.par, "coupon": cpn * 100.0,
            "maturity": pd.to_datetime(mats), "price": clean,
            "day_count": ["ACT/ACT" if c == "UST" else "30/360" for c in self.conv],
            "frequency": 2})
        frame.attrs["source"] = f"constant-maturity re-strike on {d.date()}"
        frame.attrs["asof"] = d
        return frame, bonds, s


def value_bonds(bonds, spreads_by_day: np.ndarray, days: Sequence[pd.Timestamp],
                curves: CurveBook, carry: bool = False):
    """Full prices per 100 (D, N) on each day's settlement date off that day's curve at the given
    spreads, and cash flows received (D, N) between the previous day's settlement and this one.
    With ``carry``: also the prices on each day's settlement off the *previous* day's curve and
    spreads (unchanged market), so P&L splits into carry (roll-down + accrual) and market."""
    settles = [curves[d].settle for d in days]
    cf = cashflows(bonds, settles[0])
    fdays = cf.dates.astype("datetime64[D]").astype(np.int64)
    amt = np.where(cf.mask, cf.amounts_per100, 0.0)
    D, N = len(days), len(bonds)
    price = np.empty((D, N))
    recv = np.zeros((D, N))
    still = np.full((D, N), np.nan)
    prev = None
    for k, d in enumerate(days):
        c = curves[d]
        sd = np.datetime64(settles[k].date(), "D").astype(np.int64)
        t = (fdays - sd) / 365.25
        alive = cf.mask & (t > 0)
        tt = np.where(alive, t, 0.0)
        z = np.interp(tt, c.knots, c.zero_cc)
        df = np.exp(-(z + spreads_by_day[k][:, None]) * tt)
        price[k] = np.where(alive, amt * df, 0.0).sum(axis=1)
        if prev is not None:
            recv[k] = np.where(cf.mask & (fdays > prev) & (fdays <= sd), amt, 0.0).sum(axis=1)
            if carry:
                cp = curves[days[k - 1]]
                z0 = np.interp(tt, cp.knots, cp.zero_cc)
                df0 = np.exp(-(z0 + spreads_by_day[k - 1][:, None]) * tt)
                still[k] = np.where(alive, amt * df0, 0.0).sum(axis=1)
        prev = sd
    if carry:
        return price, recv, still
    return price, recv


# =============================================================================== futures paths
@dataclass
class FutureLeg:
    """What the daily valuation needs about one hedge instrument over one holding period."""

    contract: str
    root: str
    kind: str
    dv01: float
    initial_margin: float
    notional: float
    size: float = 100_000.0
    ctd: dict | None = None          # coupon_pct, maturity, dated_date, cf, delivery
    tenor_years: float | None = None  # swap futures
    price0: float = float("nan")


def treasury_leg(contract: str, asof) -> FutureLeg:
    """Full basket analysis on ``asof`` -> the CTD description used for the period."""
    from models.futures import basket_analysis
    from models.instruments import contract as contract_of

    repo = float(repo_series(pd.DatetimeIndex([pd.Timestamp(asof)]))[0])
    a = basket_analysis(contract, asof, repo=repo, key_tenors=(), shifts_bp=())
    ctd = a.ctd
    sm_dated = pd.NaT
    try:
        from data.loaders import security_master
        sm = security_master(True).set_index("cusip")
        if ctd["cusip"] in sm.index:
            sm_dated = sm.loc[ctd["cusip"], "dated_date"]
    except (KeyError, ValueError):  # pragma: no cover - notional CTD
        pass
    c = contract_of(a.contract, asof)
    return FutureLeg(contract=a.contract, root=c.root, kind=c.kind, dv01=a.dv01_usd,
                     initial_margin=0.0, notional=c.value_usd(a.futures_price),
                     size=c.point_value_usd * 100.0,
                     ctd={"cusip": str(ctd["cusip"]), "coupon_pct": float(ctd["coupon"]),
                          "maturity": pd.Timestamp(ctd["maturity"]),
                          "dated_date": pd.Timestamp(sm_dated) if pd.notna(sm_dated) else None,
                          "cf": float(ctd["conversion_factor"]),
                          "delivery": pd.Timestamp(a.delivery_date)},
                     price0=a.futures_price)


def futures_prices(leg: FutureLeg, days: Sequence[pd.Timestamp], curves: CurveBook,
                   repo: np.ndarray) -> np.ndarray:
    """CTD-forward approximation of a Treasury future's price on each day (see module doc)."""
    from models.bonds import accrued_interest

    c = leg.ctd
    dated = None if c["dated_date"] is None else [c["dated_date"]]
    b = make_bonds([c["maturity"]], c["coupon_pct"] / 100.0, 2, "UST", dated_date=dated)
    spread = np.zeros((len(days), 1))
    full, _ = value_bonds(b, spread, days, curves)
    deliv = c["delivery"]
    ai_del = float(accrued_interest(b, deliv)[0])
    cf = cashflows(b, curves[days[0]].settle)
    fd = cf.dates[0][cf.mask[0]]
    amt = cf.amounts_per100[0][cf.mask[0]]
    d_del = np.datetime64(deliv.date(), "D")
    out = np.empty(len(days))
    for k, d in enumerate(days):
        st = np.datetime64(curves[d].settle.date(), "D")
        paid = (fd > st) & (fd <= d_del)
        tau = (d_del - fd[paid]).astype(np.int64) / 360.0
        n = float((d_del - st).astype(np.int64))
        r = repo[k]
        fwd_full = full[k, 0] * (1 + r * n / 360.0) - (amt[paid] * (1 + r * tau)).sum()
        out[k] = (fwd_full - ai_del) / c["cf"]
    return out


def leg_pnl(leg: FutureLeg, days: Sequence[pd.Timestamp], curves: CurveBook,
            repo: np.ndarray) -> np.ndarray:
    """USD P&L per contract held long, per day (first day 0)."""
    if leg.kind == "treasury_future":
        p = futures_prices(leg, days, curves, repo)
        return np.r_[0.0, np.diff(p)] * leg.size / 100.0
    y = par_at(pd.DatetimeIndex(days), float(leg.tenor_years or 10.0))
    return -leg.dv01 * np.r_[0.0, np.diff(y)] * 1e4


# =============================================================================== one rebalance
def available_roots(roots: Sequence[str], asof) -> list[str]:
    """The roots listed on ``asof`` (data/contracts listed_from / listed_to)."""
    from data.contracts import swap_futures_table, treasury_futures_table

    asof = pd.Timestamp(asof)
    tab = pd.concat([treasury_futures_table()[["root", "listed_from", "listed_to"]],
                     swap_futures_table()[["root", "listed_from", "listed_to"]]])
    tab = tab.set_index("root")
    out = []
    for r in roots:
        if r not in tab.index:
            out.append(r)  # SR3 and others: let the instrument module decide
            continue
        lf = pd.Timestamp(tab.loc[r, "listed_from"])
        lt = tab.loc[r, "listed_to"]
        if asof >= lf + pd.DateOffset(months=3) and (pd.isna(lt) or asof <= pd.Timestamp(lt)):
            out.append(r)
    return out


def key_tenors_on(date, window: str = "3y") -> list[str]:
    """The default key tenors that have data on ``date`` and on >= 99% of the estimation window
    (the 30Y was not issued 2002-2006; the 20Y starts 1993-10): a missing tenor is dropped rather
    than filled, and its neighbours' triangles absorb it."""
    from models.curves import DEFAULT_KEY_TENORS
    from models.risk import window_bounds

    lo, hi = window_bounds(pd.Timestamp(date), window)
    h = par_curve_history_pct().loc[lo:hi]
    return [t for t in DEFAULT_KEY_TENORS
            if t in h.columns and np.isfinite(h[t].iloc[-1]) and h[t].notna().mean() >= 0.99]


def treasury_mandate(base=None):
    """Treasury sector to zero DV01 (+-2%) with the Treasury futures the default mandate lists,
    at most 6 contracts, gross notional <= 150% of MV, no margin budget: a full zero-duration
    Treasury hedge needs ~100% notional, so the default mandate's 60% leverage and $8M margin
    (sized for the whole default portfolio's partial hedge) would bind on every date."""
    from optimizer.mandate import SectorTarget, load_mandate

    base = load_mandate(None) if base is None else base
    return replace(base, name="treasury_zero", description="Treasury sector to zero DV01",
                   targets=(SectorTarget("Treasury", dv01_pct=0.0, tolerance_pct=2.0,
                                         instruments=("ZT", "ZF", "ZN", "TN", "ZB", "UB")),),
                   max_leverage=1.5, margin_budget_usd=None)


def sector_ratios(ctx) -> dict[str, float]:
    """target DV01 / current DV01 per sector: the optimizer's target exposure scaling."""
    inp, pm = ctx.inputs, ctx.problem_mandate
    out = {}
    for k, s in enumerate(inp.sectors):
        cur = float(inp.sector_dv01[k])
        spec = pm.sector_targets.get(s)
        if spec is not None and cur:
            out[s] = spec.target_dv01(cur, float(inp.sector_market_value[k])) / cur
        else:
            out[s] = 1.0
    if pm.portfolio_target is not None:
        tot = float(inp.sector_dv01.sum())
        tgt = pm.portfolio_target.target_dv01(tot, inp.portfolio_market_value)
        for s in inp.sectors:
            out[s] = tgt / tot if tot else 1.0
    return out


def hedge_on(date, frame: pd.DataFrame, mandate, window: str = "3y",
             time_limit: float = 10.0) -> dict:
    """All strategies' contracts on one rebalance date, using data up to ``date`` only."""
    from optimizer.assemble import _instrument_roots, build_context, solve_context
    from optimizer.core.errors import InfeasibleMandate

    date = pd.Timestamp(date)
    roots = available_roots(_instrument_roots(mandate), date)
    m = replace(mandate, instruments=tuple(roots))
    keys = key_tenors_on(date, window)
    flags: list[str] = []
    while True:
        try:
            ctx = build_context(frame, m, asof=date, window=window, key_tenors=keys)
            break
        except InputError as exc:
            # a contract with no deliverable issue on that date (e.g. ZT in 2002-03, when no
            # 2-year notes were deliverable in the securities list): drop it for this date only
            from models.instruments import front_contract

            bad = [r for r in roots if front_contract(r, date) in str(exc)]
            if not bad or len(bad) == len(roots):
                raise
            roots = [r for r in roots if r not in bad]
            m = replace(mandate, instruments=tuple(roots))
            flags.append(f"dropped {', '.join(bad)}: {str(exc)[:120]}")
    try:
        res = solve_context(ctx, time_limit=time_limit)
    except InfeasibleMandate as exc:
        flags.append(f"relaxed: {str(exc).splitlines()[0][:200]}")
        ctx.problem_mandate = replace(ctx.problem_mandate, margin_budget=None, max_leverage=None)
        res = solve_context(ctx, time_limit=time_limit)
    inp = ctx.inputs
    ratios = sector_ratios(ctx)
    # naive ZN: plain DV01s, the mandate's total DV01 change, front ZN
    raw = ctx.exposures.sectors.set_index("sector")["dv01"].astype(float)
    need = sum((ratios[s] - 1.0) * float(raw[s]) for s in inp.sectors)
    zn = next((ir for ir in ctx.instruments if ir.root == "ZN"), None)
    if zn is None:
        from models.instruments import instrument_risk
        zn = instrument_risk("ZN", date, list(ctx.key_tenors))
    n_zn = int(round(need / zn.dv01_usd))
    # naive key-rate: least squares on the key-rate factors
    kt = list(ctx.key_tenors)
    fidx = [inp.factors.index(t) for t in kt]
    ratio_v = np.array([ratios[s] for s in inp.sectors])
    x = inp.sector_exposure[:, fidx].sum(axis=0)
    tgt = (ratio_v[:, None] * inp.sector_exposure[:, fidx]).sum(axis=0)
    B = inp.instrument_exposure[:, fidx]
    allowed = inp.designations.any(axis=0)
    h_kr = np.zeros(len(inp.instruments))
    if allowed.any():
        sol, *_ = np.linalg.lstsq(B[allowed].T, tgt - x, rcond=None)
        h_kr[allowed] = np.round(sol)
    legs = {}
    for ir in list(ctx.instruments) + ([zn] if zn not in ctx.instruments else []):
        if ir.kind == "treasury_future":
            leg = treasury_leg(ir.contract, date)
            leg.dv01, leg.initial_margin = ir.dv01_usd, ir.initial_margin_usd
        else:
            from models.instruments import contract as contract_of
            ten = float(getattr(contract_of(ir.contract, date), "tenor_years", 0.25))
            leg = FutureLeg(ir.contract, ir.root, ir.kind, ir.dv01_usd, ir.initial_margin_usd,
                            abs(ir.notional_usd), tenor_years=ten, price0=ir.price)
        leg.notional = abs(ir.notional_usd)
        legs[ir.contract] = leg
    names = list(inp.instruments)
    return {
        "date": date, "legs": legs, "ratios": ratios,
        "sector_dv01": {s: float(raw[s]) for s in inp.sectors},
        "contracts": {
            "unhedged": {},
            "naive_zn": {zn.contract: float(n_zn)} if n_zn else {},
            "naive_keyrate": {n: float(v) for n, v in zip(names, h_kr, strict=True) if v},
            "continuous": {n: float(v) for n, v in res.continuous_contracts.items() if v},
            "integer": {n: float(v) for n, v in res.contracts.items() if v},
        },
        "te_model": {"before": res.te_before_usd, "integer": res.te_after_usd,
                     "continuous": res.te_continuous_usd},
        "status": res.status, "flags": flags, "warnings": list(ctx.warnings)[:5],
        "betas": {k: float(v.get("beta", 1.0)) for k, v in ctx.betas.items()},
        "portfolio_mv": float(inp.portfolio_market_value),
    }


def _hedge_task(args) -> dict:
    date, frame, mandate, window, time_limit = args
    try:
        return hedge_on(date, frame, mandate, window, time_limit)
    except Exception as exc:  # reported per date; the backtest carries on unhedged-by-strategy
        return {"date": pd.Timestamp(date), "error": f"{type(exc).__name__}: {exc}"}


# =============================================================================== the backtest
@dataclass
class BacktestResult:
    portfolio: str
    mandate: str
    frequency: str
    rebalance: str
    start: pd.Timestamp
    end: pd.Timestamp
    daily: pd.DataFrame              # per date: holdings, target, hedge_<s>, track_<s>
    rebalances: list[dict]
    metrics: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def periods_per_year(self) -> int:
        return 252 if self.frequency == "daily" else 12

    def te_ratio(self, a: str, b: str) -> float:
        m = self.metrics.set_index("strategy")["realized_te_usd"]
        return float(m[a] / m[b])

    def report_block(self) -> dict:
        """``backtest`` key of the HTML report document."""
        series = {}
        step = max(1, len(self.daily) // 1500)  # keep the SVG small: <= ~1500 points a line
        for s in STRATEGIES:
            cum = self.daily[f"track_{s}"].cumsum().iloc[::step]
            series[STRATEGY_LABELS[s]] = [[d.strftime("%Y-%m-%d"), float(v)]
                                          for d, v in cum.items()]
        return {"series": series, "metrics": _records(self.metrics)}

    def to_dict(self) -> dict:
        return {
            "portfolio": self.portfolio, "mandate": self.mandate, "frequency": self.frequency,
            "rebalance": self.rebalance, "start": self.start.strftime("%Y-%m-%d"),
            "end": self.end.strftime("%Y-%m-%d"), "observations": len(self.daily),
            "rebalances": len(self.rebalances),
            "metrics": _records(self.metrics),
            "te_ratio_integer_vs_continuous": self.te_ratio("integer", "continuous"),
            "te_ratio_integer_vs_naive_zn": self.te_ratio("integer", "naive_zn"),
            "hedges": [{"date": r["date"].strftime("%Y-%m-%d"),
                        **({"error": r["error"]} if "error" in r else
                           {"status": r["status"], "flags": r["flags"],
                            "contracts": r["contracts"]})} for r in self.rebalances],
            "notes": self.notes, "seconds": self.seconds,
        }


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        (float(v) if isinstance(v, (np.floating, float)) else v))
                    for k, v in r.items()})
    return out


def run_backtest(portfolio: pd.DataFrame | str | Path | None = None, mandate=None, *,
                 start="2000-01-01", end=None, rebalance: str = "monthly",
                 frequency: str = "daily", spread: SpreadSource | None = None,
                 sectors: Sequence[str] | None = None, window: str = "3y",
                 time_limit: float = 10.0, workers: int = 1,
                 hedge_fn: Callable[..., dict] | None = None, quiet: bool = False
                 ) -> BacktestResult:
    """Walk-forward backtest (module docstring). ``sectors`` keeps only those sectors of the
    portfolio; ``workers`` > 1 builds the rebalance-date hedges in parallel processes."""
    from optimizer.assemble import DEFAULT_PORTFOLIO, load_holdings
    from optimizer.mandate import load_mandate

    t_all = time.perf_counter()
    mandate = load_mandate(None) if mandate is None else (
        load_mandate(mandate) if isinstance(mandate, (str, Path)) else mandate)
    frame, source = load_holdings(portfolio if portfolio is not None else DEFAULT_PORTFOLIO,
                                  None)
    if sectors:
        keep = frame["sector"].astype(str).str.lower().isin([s.lower() for s in sectors])
        if not keep.any():
            raise InputError(f"no holdings in sector(s) {', '.join(sectors)}")
        frame = frame[keep].reset_index(drop=True)
    spread = spread or SpreadSource("constant")
    end = par_curve_history_pct().index[-1] if end is None else pd.Timestamp(end)
    dates = valuation_dates(start, end, frequency)
    rdates = rebalance_dates(dates, "monthly" if frequency == "monthly" else rebalance)
    if len(rdates) < 2:
        raise InputError("the backtest window needs at least two rebalance dates")
    template = Template.from_holdings(frame, spread=spread)
    curves = CurveBook()
    # ---- re-strike and hedge on every rebalance date (the expensive, parallel part)
    t0 = time.perf_counter()
    strikes = {}
    for d in rdates[:-1]:
        strikes[d] = template.strike(d, curves[d], spread)
    fn = hedge_fn or hedge_on
    tasks = [(d, strikes[d][0], mandate, window, time_limit) for d in rdates[:-1]]
    hedges: list[dict] = []
    if workers > 1 and hedge_fn is None:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            for k, h in enumerate(ex.map(_hedge_task, tasks, chunksize=1)):
                hedges.append(h)
                if not quiet:
                    progress(k + 1, len(tasks), "hedging", t0)
    else:
        for k, tk in enumerate(tasks):
            try:
                hedges.append(fn(*tk))
            except Exception as exc:
                if hedge_fn is not None:
                    raise
                hedges.append({"date": tk[0], "error": f"{type(exc).__name__}: {exc}"})
            if not quiet:
                progress(k + 1, len(tasks), "hedging", t0)
    t_hedge = time.perf_counter() - t0
    # ---- valuation, period by period (vectorized over bonds and contracts)
    t0 = time.perf_counter()
    repo_all = pd.Series(repo_series(dates), index=dates)
    rows = []
    for k, d0 in enumerate(rdates[:-1]):
        d1 = rdates[k + 1]
        days = dates[(dates >= d0) & (dates <= d1)]
        _, bonds, _ = strikes[d0]
        sp = np.vstack([template.spreads_on(d, spread) for d in days])
        price, recv, still = value_bonds(bonds, sp, days, curves, carry=True)
        pnl_h = (np.diff(price, axis=0) + recv[1:]) * template.par[None, :] / 100.0
        mkt_h = (price[1:] - still[1:]) * template.par[None, :] / 100.0
        h = hedges[k]
        sect = np.array(template.sectors)
        ratios = h.get("ratios") or {}
        hold = pnl_h.sum(axis=1)
        target = sum(ratios.get(s, 1.0) * pnl_h[:, sect == s].sum(axis=1) for s in set(sect)) \
            if ratios else hold
        mkt = mkt_h.sum(axis=1)
        mkt_t = sum(ratios.get(s, 1.0) * mkt_h[:, sect == s].sum(axis=1) for s in set(sect)) \
            if ratios else mkt
        rec = {"date": days[1:], "holdings": hold, "target": target,
               "item_market": mkt - mkt_t}
        legs = h.get("legs") or {}
        leg_p = {c: leg_pnl(lg, days, curves, repo_all.loc[days].to_numpy())[1:]
                 for c, lg in legs.items()}
        for s in STRATEGIES:
            con = (h.get("contracts") or {}).get(s, {})
            hp = np.zeros(len(days) - 1)
            for c, n in con.items():
                hp += n * leg_p[c]
            rec[f"hedge_{s}"] = hp
        rows.append(pd.DataFrame(rec))
        if not quiet:
            progress(k + 1, len(rdates) - 1, "valuing", t0)
    daily = pd.concat(rows, ignore_index=True).set_index("date")
    for s in STRATEGIES:
        daily[f"track_{s}"] = daily["holdings"] + daily[f"hedge_{s}"] - daily["target"]
    t_val = time.perf_counter() - t0
    metrics = compute_metrics(daily, hedges, 252 if frequency == "daily" else 12)
    notes = [
        "Holdings: constant-maturity re-strike at each rebalance (term, par and spread of each "
        "template holding kept; coupon = par yield + spread, rounded to 1/8%), priced off each "
        "day's bootstrapped Treasury zero curve at constant spread"
        + ("" if spread.kind == "constant" else f"; corporate spread moves with {spread.label}"),
        "Treasury futures: modelled CTD-forward prices (CTD fixed per period from the full basket "
        "analysis on the rebalance date; repo = 5-day median of SOFR, before 2018 of the 1M/3M bill yield); not "
        "market futures prices",
        "Swap futures: first-order P&L, -DV01 x change in the Treasury par yield at the tenor "
        "(constant swap spread)",
        "Hedges estimated walk-forward: exposures, covariance and betas from data on or before "
        "each rebalance date only",
    ]
    errs = [h for h in hedges if "error" in h]
    if errs:
        notes.append(f"{len(errs)} rebalance date(s) failed to build a hedge (held unhedged): "
                     + "; ".join(f"{e['date'].date()} {e['error'][:120]}" for e in errs[:3]))
    relaxed = [h for h in hedges if any(f.startswith("relaxed") for f in h.get("flags", []))]
    dropped = [h for h in hedges if any(f.startswith("dropped") for f in h.get("flags", []))]
    if dropped:
        notes.append(f"{len(dropped)} rebalance date(s) without a deliverable basket for a "
                     "contract of the mandate: that contract was left out on those dates ("
                     + "; ".join(f"{h['date'].date()} {h['flags'][0][:40]}" for h in dropped[:3])
                     + ")")
    if relaxed:
        notes.append(f"{len(relaxed)} rebalance date(s) infeasible under the mandate's margin/"
                     "leverage limits: solved with those limits dropped for that date")
    return BacktestResult(
        portfolio=str(source), mandate=getattr(mandate, "name", "custom"), frequency=frequency,
        rebalance="monthly" if frequency == "monthly" else rebalance, start=dates[0],
        end=dates[-1], daily=daily, rebalances=hedges, metrics=metrics, notes=notes,
        seconds={"hedging": round(t_hedge, 2), "valuation": round(t_val, 2),
                 "total": round(time.perf_counter() - t_all, 2), "workers": workers})


def _contract_trades(hedges: list[dict], s: str) -> tuple[float, list[float]]:
    """Contracts traded (every rebalance, rolls included) and margin per period."""
    prev: dict[str, float] = {}
    traded = 0.0
    margins = []
    for h in hedges:
        cur = (h.get("contracts") or {}).get(s, {})
        keys = set(prev) | set(cur)
        traded += sum(abs(cur.get(c, 0.0) - prev.get(c, 0.0)) for c in keys)
        legs = h.get("legs") or {}
        margins.append(sum(abs(n) * legs[c].initial_margin for c, n in cur.items()))
        prev = cur
    return traded, margins


def compute_metrics(daily: pd.DataFrame, hedges: list[dict], ppy: int) -> pd.DataFrame:
    item_all = daily["holdings"] - daily["target"]   # the hedged item: exposure the mandate removes
    # effectiveness tests use the hedged item's *market* P&L (carry/accrual excluded: a hedge is
    # not meant to offset coupon income, which would swamp monthly dollar-offset ratios)
    item = daily["item_market"] if "item_market" in daily else item_all
    un_var = float(item_all.var(ddof=1))
    years = len(daily) / ppy
    out = []
    for s in STRATEGIES:
        tr = daily[f"track_{s}"]
        hp = daily[f"hedge_{s}"]
        te = float(tr.std(ddof=1) * math.sqrt(ppy))
        if s == "unhedged" or not np.any(hp):
            slope = r2 = offset = np.nan
        else:
            slope, icpt = np.polyfit(item.to_numpy(), hp.to_numpy(), 1)
            r2 = float(np.corrcoef(item, hp)[0, 1] ** 2)
        # dollar offset per holding period inside 80-125%
        per = pd.Series(np.searchsorted([h["date"] for h in hedges], daily.index, "left"),
                        index=daily.index)
        g = pd.DataFrame({"i": item, "h": hp, "p": per}).groupby("p").sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = -g["h"] / g["i"]
        in_band = float(((ratio >= 0.8) & (ratio <= 1.25)).mean()) if s != "unhedged" else np.nan
        if s != "unhedged" and np.any(hp):
            offset = float(ratio.replace([np.inf, -np.inf], np.nan).median())
        traded, margins = _contract_trades(hedges, s)
        monthly = tr.groupby(tr.index.to_period("M")).sum()
        out.append({
            "strategy": s, "label": STRATEGY_LABELS[s], "realized_te_usd": te,
            "variance_reduction": 1.0 - float(tr.var(ddof=1)) / un_var if un_var else np.nan,
            "dollar_offset_median": offset, "offset_periods_in_band": in_band,
            "regression_slope": float(slope) if np.isfinite(slope) else np.nan,
            "regression_r2": r2,
            "contracts_traded": traded, "turnover_per_year": traded / years if years else np.nan,
            "avg_margin_usd": float(np.mean(margins)) if margins else 0.0,
            "max_margin_usd": float(np.max(margins)) if margins else 0.0,
            "worst_day_usd": float(tr.min()), "worst_month_usd": float(monthly.min()),
            "mean_abs_period_usd": float(tr.abs().mean()),
        })
    return pd.DataFrame(out)


# =============================================================================== validation
def validate_futures_approx(dates: Sequence, roots: Sequence[str] = ("ZT", "ZF", "ZN", "ZB"),
                            horizon_days: int = 15) -> pd.DataFrame:
    """On each sample date d: the CTD picked on d (full basket), then on the business day
    ``horizon_days`` later compare the CTD-forward approximation with the full basket analysis's
    theoretical price of the same contract on that day (CTD re-picked). Differences in 32nds."""
    from models.futures import basket_analysis
    from models.instruments import front_contract

    hist = par_curve_history_pct().index
    curves = CurveBook()
    rows = []
    for d in dates:
        d0 = hist[hist.searchsorted(pd.Timestamp(d))]
        pos = hist.searchsorted(d0) + horizon_days
        if pos >= len(hist):
            continue
        d1 = hist[pos]
        for r in roots:
            try:
                code = front_contract(r, d0)
                leg = treasury_leg(code, d0)
                if leg.ctd["delivery"] <= d1:
                    continue
                days = pd.DatetimeIndex([d0, d1])
                approx = futures_prices(leg, days, curves, repo_series(days))
                full = basket_analysis(code, d1, key_tenors=(), shifts_bp=(),
                                       repo=float(repo_series(pd.DatetimeIndex([d1]))[0]))
            except InputError:
                continue
            rows.append({"date": d0.date(), "later": d1.date(), "contract": code,
                         "approx_d0": approx[0], "full_d0": leg.price0,
                         "approx_d1": approx[1], "full_d1": full.futures_price,
                         "diff_d1_32nds": (approx[1] - full.futures_price) * 32,
                         "move_32nds": (full.futures_price - leg.price0) * 32,
                         "ctd_switched": str(full.ctd["cusip"]) != leg.ctd["cusip"]})
    return pd.DataFrame(rows)


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
