"""The portfolio side of the backtest: a constant-maturity template of the holdings, the
corporate spread path it moves with, and vectorized revaluation off each day's curve.

Re-strike (constant maturity): each holding keeps its par, sector, day count, remaining term and
constant spread to the Treasury zero curve fitted on the template date; on each rebalance date it
becomes a new bullet maturing ``term`` days later with coupon = par yield at its term + spread
(rounded to 1/8 %, at least 1/8 %), so the book keeps its shape over decades instead of rolling
down to cash. The switch happens at fair value at the close: it makes no P&L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import par_curve_history_pct
from models.bonds import cashflows, make_bonds
from models.curves import ZeroCurve
from models.risk import is_corporate_sector, is_treasury_sector
from optimizer.workflows.backtest.market import CurveBook

# the one sector classification (models.risk): a sector the hedge calls Treasury is one here
is_treasury = is_treasury_sector
is_corp = is_corporate_sector


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
        conv = ["UST" if is_treasury(s) else "CORP" for s in sectors]
        dc = frame["day_count"] if "day_count" in frame.columns else None
        if dc is not None:
            conv = [c if (not isinstance(x, str) or not x.strip()) else
                    ("UST" if "ACT" in x.upper() else "CORP") for c, x in zip(conv, dc, strict=True)]
        sp = spread or SpreadSource("constant")
        corp = np.array([is_corp(s) for s in sectors])
        lvl = np.where(corp, sp.level(exp.asof, term / 365.25), 0.0)
        return cls([str(i) for i in h["id"]], sectors, h["par"].to_numpy(float), term,
                   h["spread_bp"].to_numpy(float) / 1e4, lvl, conv, exp.asof)

    @property
    def corp_mask(self) -> np.ndarray:
        return np.array([is_corp(s) for s in self.sectors])

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


def _price_at(curve: ZeroCurve, sd: int, fdays: np.ndarray, amt: np.ndarray, mask: np.ndarray,
              spreads: np.ndarray) -> np.ndarray:
    """Full prices per 100 of every bond at settlement day ``sd`` (days since epoch) off
    ``curve``: flows after ``sd`` discounted at zero rate + spread."""
    t = (fdays - sd) / 365.25
    alive = mask & (t > 0)
    tt = np.where(alive, t, 0.0)
    z = np.interp(tt, curve.knots, curve.zero_cc)
    return np.where(alive, amt * np.exp(-(z + spreads[:, None]) * tt), 0.0).sum(axis=1)


def value_bonds(bonds, spreads_by_day: np.ndarray, days: Sequence[pd.Timestamp],
                curves: CurveBook) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Revalue bonds over consecutive curve dates.

    Returns ``price`` (D, N): full price per 100 on each day's settlement date off that day's
    curve; ``pnl`` (D-1, N): the change from the previous day plus cash flows received in between
    (both days priced on the par tenors quoted on both, see ``CurveBook.pair``); ``market``
    (D-1, N): the part of ``pnl`` from the market move (today's price minus today's settlement
    priced off yesterday's curve and spreads), so ``pnl - market`` is carry (accrual and
    roll-down), which a futures hedge is not meant to offset.
    """
    settles = [np.datetime64(curves[d].settle.date(), "D").astype(np.int64) for d in days]
    cf = cashflows(bonds, curves[days[0]].settle)
    fdays = cf.dates.astype("datetime64[D]").astype(np.int64)
    amt = np.where(cf.mask, cf.amounts_per100, 0.0)
    D, N = len(days), len(bonds)
    price = np.empty((D, N))
    pnl = np.zeros((max(D - 1, 0), N))
    market = np.zeros((max(D - 1, 0), N))
    price[0] = _price_at(curves[days[0]], settles[0], fdays, amt, cf.mask, spreads_by_day[0])
    for k in range(1, D):
        c0, c1 = curves.pair(days[k - 1], days[k])
        s0, s1 = spreads_by_day[k - 1], spreads_by_day[k]
        price[k] = _price_at(curves[days[k]], settles[k], fdays, amt, cf.mask, s1)
        same = c1 is curves[days[k]]
        p1 = price[k] if same else _price_at(c1, settles[k], fdays, amt, cf.mask, s1)
        p0 = price[k - 1] if same else _price_at(c0, settles[k - 1], fdays, amt, cf.mask, s0)
        recv = np.where(cf.mask & (fdays > settles[k - 1]) & (fdays <= settles[k]), amt,
                        0.0).sum(axis=1)
        still = _price_at(c0, settles[k], fdays, amt, cf.mask, s0)
        pnl[k - 1] = p1 - p0 + recv
        market[k - 1] = p1 - still
    return price, pnl, market
