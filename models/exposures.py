"""Portfolio exposures: per-holding market value, DV01, duration and key-rate DV01s, with
sector and portfolio totals.

Input: a holdings frame as produced by ``data.holdings.read_holdings`` (normalized columns
``kind, par, coupon_pct, maturity, issue_date, first_coupon_date, frequency, day_count, price,
yield_dec, full_price, market_value, duration, dv01, krd_<TENOR>``). Raw frames in the file
layout of SPEC §4 (``coupon`` and ``yield`` in percent, no ``kind``) are accepted too.

Per holding (all money in USD for the position, signed like ``par``):

* **Bond-terms rows** are priced on the settlement date (T+1 on the bond calendar from the as-of
  date) with :mod:`models.bonds` (``issue_date`` is the dated date, ``first_coupon_date`` marks
  an odd first coupon): clean price -> street yield (or yield -> price), accrued,
  full price; ``market_value = full price x par / 100``; ``dv01`` = analytic yield DV01
  (modified duration x full price x 1e-4 per 100, times par/100); ``duration`` = modified
  duration. Key-rate DV01s come from the Treasury curve of the as-of date: the bond's constant
  spread to the curve is fitted to its full price and it is repriced on curves whose par yields
  get triangular 1 bp bumps (:mod:`models.curves`); their sum is the parallel *curve* DV01
  (``curve_dv01``), which differs from the yield DV01 by a few tenths of a percent typically.
* **Precomputed-risk rows** keep their ``market_value``, ``dv01`` and ``duration``. Key-rate
  DV01s: taken from ``krd_<TENOR>`` columns when the row has them (tenors that are not key tenors
  are moved onto the key tenors with the same triangular weights); otherwise the row's DV01 is
  **allocated by duration**: the key tenors' par bonds on the as-of curve have modified durations
  D_1 < ... < D_k; a holding with duration D gets weights linear in D between the two key tenors
  whose par-bond durations bracket D (all on the first key below D_1, all on the last above
  D_k). This is the duration-matched bullet: a 6.2-year duration lands between the 7Y and 10Y
  keys, not between 5Y and 7Y as its "maturity" 6.2 would suggest. ``krd_source`` says which rule
  each row used.

Totals: sums of market value, DV01 and key-rate DV01s; duration = DV01 / MV / 1e-4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import tenor_to_years
from models.bonds import cashflows, make_bonds, risk_from_yield, yield_from_price
from models.calendar import settlement_date
from models.curves import DEFAULT_KEY_TENORS, ZeroCurve, curve_on, key_rate_weights

__all__ = ["Exposures", "compute_exposures", "aggregate", "key_tenor_durations",
           "allocate_by_duration"]

_TREASURY_SECTORS = {"treasury", "treasuries", "ust", "us treasury", "u.s. treasury", "govt",
                     "government"}


@dataclass(frozen=True)
class Exposures:
    """Result of :func:`compute_exposures` (tidy frames, USD)."""

    asof: pd.Timestamp            # curve date used
    settle: pd.Timestamp          # settlement date for bond-terms rows
    key_tenors: tuple[str, ...]
    holdings: pd.DataFrame        # one row per holding
    sectors: pd.DataFrame         # one row per sector (first-appearance order)
    portfolio: pd.Series          # totals
    curve_note: str | None = None

    @property
    def krd_columns(self) -> list[str]:
        return [f"krd_{t}" for t in self.key_tenors]

    def key_rate_frame(self, level: str = "holdings") -> pd.DataFrame:
        """Long format: one row per (holding or sector) and tenor."""
        df = self.holdings if level == "holdings" else self.sectors
        idc = ["id", "sector"] if level == "holdings" else ["sector"]
        out = df[idc + self.krd_columns].melt(id_vars=idc, var_name="tenor", value_name="dv01")
        out["tenor"] = out["tenor"].str.slice(4)
        return out

    def to_dict(self) -> dict:
        """The ``overlay analyze --json`` object."""
        def krd(row) -> dict:
            return {t: float(row[f"krd_{t}"]) for t in self.key_tenors}

        return {
            "asof": self.asof.strftime("%Y-%m-%d"),
            "holdings": [{"id": r["id"], "sector": r["sector"],
                          "market_value": float(r["market_value"]), "dv01": float(r["dv01"]),
                          "duration": float(r["duration"]), "key_rate_dv01": krd(r)}
                         for _, r in self.holdings.iterrows()],
            "sectors": [{"sector": r["sector"], "market_value": float(r["market_value"]),
                         "dv01": float(r["dv01"]), "duration": float(r["duration"]),
                         "key_rate_dv01": krd(r)} for _, r in self.sectors.iterrows()],
            "portfolio": {"market_value": float(self.portfolio["market_value"]),
                          "dv01": float(self.portfolio["dv01"]),
                          "duration": float(self.portfolio["duration"]),
                          "key_rate_dv01": krd(self.portfolio)},
        }


# ----------------------------------------------------------------------------- helpers
def _col(df: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def _normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Accept read_holdings output or a raw SPEC §4 frame; return normalized columns."""
    if df is None or len(df) == 0:
        raise InputError("holdings are empty")
    out = df.copy()
    out.columns = [str(c).strip() for c in out.columns]
    for req in ("id", "sector", "par"):
        if req not in out.columns:
            raise InputError(f"holdings have no '{req}' column", column=req)
    if "coupon_pct" not in out.columns and "coupon" in out.columns:
        out["coupon_pct"] = pd.to_numeric(out["coupon"], errors="coerce")
    if "yield_dec" not in out.columns and "yield" in out.columns:
        out["yield_dec"] = pd.to_numeric(out["yield"], errors="coerce") / 100.0
    for c in ("coupon_pct", "price", "yield_dec", "full_price", "market_value", "duration",
              "dv01", "frequency"):
        out[c] = pd.to_numeric(_col(out, c), errors="coerce")
    for c in ("maturity", "issue_date", "first_coupon_date"):
        out[c] = pd.to_datetime(_col(out, c, pd.NaT), errors="coerce")
    out["par"] = pd.to_numeric(out["par"], errors="coerce")
    if "row" not in out.columns:
        out["row"] = np.arange(len(out)) + 2  # spreadsheet row numbers (header = 1)
    if "kind" not in out.columns:
        terms = out["coupon_pct"].notna() & out["maturity"].notna()
        out["kind"] = np.where(terms, "terms", "risk")
    out["id"] = out["id"].astype(str)
    out["sector"] = out["sector"].astype(str).str.strip()
    return out


def _fail(row, msg: str, column: str | None = None, file: str | None = None):
    raise InputError(msg, file=file, row=int(row) if pd.notna(row) else None, column=column)


def key_tenor_durations(curve: ZeroCurve, key_tenors: Sequence[str]) -> np.ndarray:
    """Modified duration of a par bond at each key tenor on ``curve`` (semiannual, UST)."""
    settle = curve.settle
    mats, cpns = [], []
    for t in key_tenors:
        yrs = tenor_to_years(t)
        months = int(round(yrs * 12))
        mats.append(settle + pd.DateOffset(months=months))
        cpns.append(max(curve.par_yield(max(yrs, 0.5)) if yrs >= 0.5 else
                        float(np.interp(yrs, curve.knots, curve.knot_yield_dec)), 0.0))
    cf = cashflows(make_bonds(mats, cpns, 2, "UST"), settle)
    return risk_from_yield(cf, np.maximum(cpns, 1e-6)).modified_duration_years


def allocate_by_duration(duration: np.ndarray, key_durations: np.ndarray) -> np.ndarray:
    """(N, k) weights: linear in duration between the bracketing key durations (rows sum to 1)."""
    return key_rate_weights(key_durations, np.asarray(duration, dtype=float)).T


# ----------------------------------------------------------------------------- main
def compute_exposures(holdings: pd.DataFrame, asof=None,
                      key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                      curve: ZeroCurve | None = None, *, totals: bool = True) -> Exposures:
    """Per-holding, per-sector and portfolio exposures (see module docstring).

    ``totals=False`` leaves the sector and portfolio totals empty, for a caller that computes
    the holdings in blocks and totals them once with :func:`aggregate` (``overlay analyze``).

    ``asof``: as-of date (default: the holdings' ``attrs['asof']`` or the latest bundled curve
    date); the curve is the bundled Treasury curve on that date (nearest earlier date, noted)
    unless ``curve`` is given. The trade date is the curve's date; bond-terms rows settle T+1
    from it on the bond calendar.
    """
    keys = tuple(key_tenors)
    df = _normalize(holdings)
    src = holdings.attrs.get("source") if hasattr(holdings, "attrs") else None
    if asof is None and hasattr(holdings, "attrs"):
        asof = holdings.attrs.get("asof")
    if curve is None:
        curve = curve_on(asof)
    # the trade date is the market-data date (a weekend/holiday as-of uses the nearest earlier
    # curve date, and bonds settle T+1 from that date, like the curve's own securities)
    settle = settlement_date(curve.asof)
    n = len(df)
    kcols = [f"krd_{t}" for t in keys]

    mv = np.full(n, np.nan)
    dv01 = np.full(n, np.nan)
    dur = np.full(n, np.nan)
    curve_dv01 = np.full(n, np.nan)
    krd = np.zeros((n, len(keys)))
    extra = {c: np.full(n, np.nan) for c in ("clean_price", "full_price", "accrued",
                                             "yield_dec", "spread_bp", "convexity")}
    krd_source = np.empty(n, dtype=object)

    par = df["par"].to_numpy(dtype=float)
    bad = ~np.isfinite(par)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        _fail(df["row"].iloc[i], "par is missing or not a number", "par", src)

    # ------------------------------------------------------------ bond-terms rows
    is_terms = (df["kind"] == "terms").to_numpy()
    if is_terms.any():
        t = df[is_terms]
        idx = np.flatnonzero(is_terms)
        for c in ("coupon_pct", "maturity"):
            miss = t[c].isna().to_numpy()
            if miss.any():
                _fail(t["row"].iloc[np.flatnonzero(miss)[0]], f"{c} is missing", c, src)
        matured = (t["maturity"] <= settle).to_numpy()
        if matured.any():
            j = np.flatnonzero(matured)[0]
            _fail(t["row"].iloc[j], f"bond matures {t['maturity'].iloc[j].date()}, on or "
                  f"before settlement {settle.date()}", "maturity", src)
        no_quote = (t["price"].isna() & t["yield_dec"].isna()).to_numpy()
        if no_quote.any():
            _fail(t["row"].iloc[np.flatnonzero(no_quote)[0]], "bond row needs price or yield",
                  "price", src)
        dc = _col(t, "day_count", None)
        sector_is_ust = t["sector"].str.lower().isin(_TREASURY_SECTORS)
        conv = np.where(dc.isna(), np.where(sector_is_ust, "UST", "CORP"),
                        dc.astype(str).str.upper())
        freq = t["frequency"].fillna(2).astype(int).to_numpy()
        try:
            bonds = make_bonds(t["maturity"].to_numpy(), t["coupon_pct"].to_numpy() / 100.0,
                               freq, conv, t["issue_date"].to_numpy(),
                               t["first_coupon_date"].to_numpy())
            cf = cashflows(bonds, settle)
            has_price = t["price"].notna().to_numpy()
            y = t["yield_dec"].to_numpy(dtype=float).copy()
            if has_price.any():
                y[has_price] = yield_from_price(cf.take(has_price),
                                                t["price"].to_numpy()[has_price])
            r = risk_from_yield(cf, y)
        except ValueError as exc:  # schedule/convention/price problems are input problems
            raise InputError(f"cannot price bond rows: {exc}", file=src) from exc
        p = par[idx] / 100.0
        mv[idx] = r.full_price_per100 * p
        dv01[idx] = r.dv01_per100 * p
        dur[idx] = r.modified_duration_years
        fs = curve.flows(cf)
        spread = curve.fit_spread_flows(fs, r.full_price_per100)
        _, par_dv, kr = curve.dv01s(cf, spread, keys, fs=fs)
        curve_dv01[idx] = par_dv * p
        krd[idx] = kr * p[:, None]
        krd_source[idx] = "curve"
        extra["clean_price"][idx] = r.clean_price_per100
        extra["full_price"][idx] = r.full_price_per100
        extra["accrued"][idx] = r.accrued_per100
        extra["yield_dec"][idx] = r.yield_dec
        extra["spread_bp"][idx] = spread * 1e4
        extra["convexity"][idx] = r.convexity_years2

    # ------------------------------------------------------------ precomputed-risk rows
    is_risk = ~is_terms
    if is_risk.any():
        rk = df[is_risk]
        idx = np.flatnonzero(is_risk)
        m = rk["market_value"].to_numpy(dtype=float).copy()
        fp = rk["full_price"].to_numpy(dtype=float)
        m = np.where(np.isnan(m), fp * par[idx] / 100.0, m)
        d = rk["dv01"].to_numpy(dtype=float).copy()
        du = rk["duration"].to_numpy(dtype=float)
        d = np.where(np.isnan(d), m * du * 1e-4, d)
        if np.isnan(m).any() or np.isnan(d).any():
            j = int(np.flatnonzero(np.isnan(m) | np.isnan(d))[0])
            col = "market_value" if np.isnan(m[j]) else "duration"
            _fail(rk["row"].iloc[j], "precomputed row needs market_value (or full_price) and "
                  "duration (or dv01)", col, src)
        mv[idx], dv01[idx] = m, d
        with np.errstate(divide="ignore", invalid="ignore"):
            dur[idx] = np.where(np.isnan(du), d / m * 1e4, du)
        curve_dv01[idx] = d
        extra["full_price"][idx] = np.where(np.isnan(fp), m / par[idx] * 100.0, fp)
        given = [c for c in df.columns if c.startswith("krd_")]
        has_krd = (rk[given].notna().all(axis=1).to_numpy() if given
                   else np.zeros(len(rk), dtype=bool))
        if has_krd.any():
            g_years = [tenor_to_years(c[4:]) for c in given]
            # move given tenors onto the key tenors with the triangular weights
            w = key_rate_weights([tenor_to_years(k) for k in keys], g_years)  # (k, g)
            krd[idx[has_krd]] = rk.loc[has_krd, given].to_numpy(dtype=float) @ w.T
            krd_source[idx[has_krd]] = "given"
        alloc = ~has_krd
        if alloc.any():
            kd = key_tenor_durations(curve, keys)
            w = allocate_by_duration(dur[idx[alloc]], kd)
            krd[idx[alloc]] = w * d[alloc, None]
            krd_source[idx[alloc]] = "duration-allocated"

    out = pd.DataFrame({
        "id": df["id"].to_numpy(), "sector": df["sector"].to_numpy(),
        "kind": df["kind"].to_numpy(), "par": par, "market_value": mv, "dv01": dv01,
        "duration": dur, "curve_dv01": curve_dv01, **extra, "krd_source": krd_source,
    })
    for j, c in enumerate(kcols):
        out[c] = krd[:, j]
    if not totals:
        return Exposures(curve.asof, settle, keys, out, pd.DataFrame(), pd.Series(dtype=float),
                         curve.note)
    sectors, portfolio = aggregate(out, keys)
    return Exposures(curve.asof, settle, keys, out, sectors, portfolio, curve.note)


def aggregate(holdings: pd.DataFrame, key_tenors: Sequence[str]) -> tuple[pd.DataFrame,
                                                                            pd.Series]:
    """Sector (first-appearance order) and portfolio totals of a per-holding exposure frame."""
    cols = ["market_value", "dv01", "curve_dv01"] + [f"krd_{t}" for t in key_tenors]
    sec = (holdings.groupby("sector", sort=False)[cols].sum()
           .reset_index())
    sec.insert(1, "positions", holdings.groupby("sector", sort=False).size().to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        sec.insert(4, "duration", np.where(sec["market_value"] != 0,
                                           sec["dv01"] / sec["market_value"] * 1e4, np.nan))
    tot = holdings[cols].sum()
    mvt = tot["market_value"]
    port = pd.concat([pd.Series({"positions": len(holdings)}), tot])
    port["duration"] = tot["dv01"] / mvt * 1e4 if mvt != 0 else np.nan
    return sec, port
