"""Portfolio exposures: per-holding market value, DV01, duration and key-rate DV01s, with
sector and portfolio totals.

Input: a holdings frame as produced by ``data.holdings.read_holdings`` (normalized columns
``kind, par, coupon_pct, maturity, issue_date, first_coupon_date, frequency, day_count, price,
yield_dec, full_price, market_value, duration, dv01, krd_<TENOR>``). Raw frames in the file
layout of SPEC §4 (``coupon`` and ``yield`` in percent, no ``kind``) are accepted too.

Per holding (all money in USD for the position, signed like ``par``):

* **Bond-terms rows** are priced on the settlement date (T+1 on the bond calendar from the as-of
  date) with :mod:`models.bonds` (``issue_date`` is the dated date, ``first_coupon_date`` marks
  an odd first coupon): clean price -> street yield (or yield -> price), accrued, full price;
  ``market_value = full price x par / 100``. Then on the Treasury curve of the as-of date: the
  bond's constant spread to the curve is fitted to its full price and it is repriced on curves
  whose par yields move 1 bp in parallel (**``dv01``, the curve DV01**) or by triangular 1 bp
  key-rate bumps (``krd_<TENOR>``; they sum to ``dv01`` to 0.1%) (:mod:`models.curves`).
  **One DV01 basis** (SPEC §3): the curve DV01 is THE DV01 of a holding -- what sector targets,
  constraints, residuals and reports use, the same basis as the futures DV01 -- and
  ``duration = dv01 / market_value x 1e4``. The yield DV01 (modified duration x full price x
  1e-4 x par/100, ``yield_dv01``) and the modified duration (``modified_duration``) are also
  reported, labelled, to tie out to vendor (Bloomberg) risk; on an upward-sloping curve the
  curve DV01 of a 30-year bond is ~3% above its yield DV01.
* **Precomputed-risk rows** keep the user's ``market_value``, ``dv01`` and ``duration`` as
  given (``dv01_basis`` says "given dv01" or "given duration x market value"; their
  ``yield_dv01`` is the same number). Key-rate
  DV01s: taken from ``krd_<TENOR>`` columns when the row has them (tenors that are not key tenors
  are moved onto the key tenors with the same triangular weights); otherwise the row's DV01 is
  **allocated by duration**: the key tenors' par bonds on the as-of curve have modified durations
  D_1 < ... < D_k; a holding with duration D gets weights linear in D between the two key tenors
  whose par-bond durations bracket D (all on the first key below D_1, all on the last above
  D_k). This is the duration-matched bullet: a 6.2-year duration lands between the 7Y and 10Y
  keys, not between 5Y and 7Y as its "maturity" 6.2 would suggest. ``krd_source`` says which rule
  each row used.

Totals: sums of market value, DV01, yield DV01 and key-rate DV01s; duration = DV01 / MV / 1e-4
(modified duration likewise from the yield DV01).
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
        """The ``overlay analyze --json`` object (built column-wise: no per-row pandas).
        ``dv01`` is the curve DV01 (the one basis the hedge uses), ``yield_dv01`` the yield
        DV01 (modified duration x full price) for tying out to vendor risk; ``dv01_basis``
        says per holding which the ``dv01`` is ("curve", or the user's "given dv01" /
        "given duration x market value")."""
        def records(df: pd.DataFrame, ids: list[str]) -> list[dict]:
            cols = {c: df[c].tolist() for c in ids}
            num = {c: df[c].astype(float).tolist() for c in _NUM}
            krd = df[self.krd_columns].to_numpy(dtype=float).tolist()
            out = []
            for i, k in enumerate(krd):
                r = {c: cols[c][i] for c in ids if c != "dv01_basis"}
                r.update({c: num[c][i] for c in _NUM})
                if "dv01_basis" in cols:
                    r["dv01_basis"] = cols["dv01_basis"][i]
                r["key_rate_dv01"] = dict(zip(self.key_tenors, k, strict=True))
                out.append(r)
            return out

        port = {c: float(self.portfolio[c]) for c in _NUM}
        port["key_rate_dv01"] = {t: float(self.portfolio[f"krd_{t}"]) for t in self.key_tenors}
        return {"asof": self.asof.strftime("%Y-%m-%d"),
                "holdings": records(self.holdings, ["id", "sector", "dv01_basis"]),
                "sectors": records(self.sectors, ["sector"]), "portfolio": port}


_NUM = ("market_value", "dv01", "duration", "yield_dv01", "modified_duration")


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
_EXTRA = ("clean_price", "full_price", "accrued", "yield_dec", "spread_bp", "convexity")


class _Rows:
    """Per-holding output arrays filled by the two row kinds."""

    def __init__(self, n: int, k: int) -> None:
        self.mv, self.dv01, self.ydv01 = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        self.dur, self.mdur = np.full(n, np.nan), np.full(n, np.nan)
        self.krd = np.zeros((n, k))
        self.extra = {c: np.full(n, np.nan) for c in _EXTRA}
        self.krd_source = np.empty(n, dtype=object)
        self.basis = np.empty(n, dtype=object)


def _check_terms(t: pd.DataFrame, settle: pd.Timestamp, src: str | None) -> None:
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


def _terms_rows(out: _Rows, t: pd.DataFrame, idx: np.ndarray, par: np.ndarray,
                curve: ZeroCurve, settle: pd.Timestamp, keys: tuple[str, ...],
                src: str | None) -> None:
    """Bond-terms rows: priced by yield (market value, yield DV01, modified duration), then
    on the curve at their fitted constant spread: the curve DV01 and key-rate DV01s."""
    _check_terms(t, settle, src)
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
            y[has_price] = yield_from_price(cf.take(has_price), t["price"].to_numpy()[has_price])
        r = risk_from_yield(cf, y)
    except ValueError as exc:  # schedule/convention/price problems are input problems
        raise InputError(f"cannot price bond rows: {exc}", file=src) from exc
    p = par[idx] / 100.0
    fs = curve.flows(cf)
    spread = curve.fit_spread_flows(fs, r.full_price_per100)
    _, par_dv, kr = curve.dv01s(cf, spread, keys, fs=fs)
    out.mv[idx] = r.full_price_per100 * p
    out.dv01[idx] = par_dv * p                      # THE DV01: curve basis
    out.ydv01[idx] = r.dv01_per100 * p              # yield basis, for vendor tie-out
    out.dur[idx] = par_dv / r.full_price_per100 * 1e4
    out.mdur[idx] = r.modified_duration_years
    out.krd[idx] = kr * p[:, None]
    out.krd_source[idx] = "curve"
    out.basis[idx] = "curve"
    for name, v in (("clean_price", r.clean_price_per100), ("full_price", r.full_price_per100),
                    ("accrued", r.accrued_per100), ("yield_dec", r.yield_dec),
                    ("spread_bp", spread * 1e4), ("convexity", r.convexity_years2)):
        out.extra[name][idx] = v


def _risk_rows(out: _Rows, df: pd.DataFrame, rk: pd.DataFrame, idx: np.ndarray,
               par: np.ndarray, curve: ZeroCurve, keys: tuple[str, ...],
               src: str | None) -> None:
    """Precomputed-risk rows keep the user's numbers (DV01, or duration x market value)."""
    m = rk["market_value"].to_numpy(dtype=float).copy()
    fp = rk["full_price"].to_numpy(dtype=float)
    m = np.where(np.isnan(m), fp * par[idx] / 100.0, m)
    given = rk["dv01"].to_numpy(dtype=float)
    du = rk["duration"].to_numpy(dtype=float)
    d = np.where(np.isnan(given), m * du * 1e-4, given)
    if np.isnan(m).any() or np.isnan(d).any():
        j = int(np.flatnonzero(np.isnan(m) | np.isnan(d))[0])
        col = "market_value" if np.isnan(m[j]) else "duration"
        _fail(rk["row"].iloc[j], "precomputed row needs market_value (or full_price) and "
              "duration (or dv01)", col, src)
    out.mv[idx], out.dv01[idx], out.ydv01[idx] = m, d, d
    with np.errstate(divide="ignore", invalid="ignore"):
        out.dur[idx] = np.where(np.isnan(du), d / m * 1e4, du)
    out.mdur[idx] = out.dur[idx]
    out.basis[idx] = np.where(np.isnan(given), "given duration x market value", "given dv01")
    out.extra["full_price"][idx] = np.where(np.isnan(fp), m / par[idx] * 100.0, fp)
    cols = [c for c in df.columns if c.startswith("krd_")]
    has_krd = (rk[cols].notna().all(axis=1).to_numpy() if cols
               else np.zeros(len(rk), dtype=bool))
    if has_krd.any():
        # move given tenors onto the key tenors with the triangular weights
        w = key_rate_weights([tenor_to_years(k) for k in keys],
                             [tenor_to_years(c[4:]) for c in cols])  # (k, g)
        out.krd[idx[has_krd]] = rk.loc[has_krd, cols].to_numpy(dtype=float) @ w.T
        out.krd_source[idx[has_krd]] = "given"
    alloc = ~has_krd
    if alloc.any():
        w = allocate_by_duration(out.dur[idx[alloc]], key_tenor_durations(curve, keys))
        out.krd[idx[alloc]] = w * d[alloc, None]
        out.krd_source[idx[alloc]] = "duration-allocated"


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
    par = df["par"].to_numpy(dtype=float)
    bad = ~np.isfinite(par)
    if bad.any():
        _fail(df["row"].iloc[int(np.flatnonzero(bad)[0])], "par is missing or not a number",
              "par", src)
    rows = _Rows(len(df), len(keys))
    is_terms = (df["kind"] == "terms").to_numpy()
    if is_terms.any():
        _terms_rows(rows, df[is_terms], np.flatnonzero(is_terms), par, curve, settle, keys, src)
    if (~is_terms).any():
        _risk_rows(rows, df, df[~is_terms], np.flatnonzero(~is_terms), par, curve, keys, src)
    out = pd.DataFrame({
        "id": df["id"].to_numpy(), "sector": df["sector"].to_numpy(),
        "kind": df["kind"].to_numpy(), "par": par, "market_value": rows.mv, "dv01": rows.dv01,
        "duration": rows.dur, "yield_dv01": rows.ydv01, "modified_duration": rows.mdur,
        "dv01_basis": rows.basis, **rows.extra, "krd_source": rows.krd_source,
    })
    for j, t in enumerate(keys):
        out[f"krd_{t}"] = rows.krd[:, j]
    if not totals:
        return Exposures(curve.asof, settle, keys, out, pd.DataFrame(), pd.Series(dtype=float),
                         curve.note)
    sectors, portfolio = aggregate(out, keys)
    return Exposures(curve.asof, settle, keys, out, sectors, portfolio, curve.note)


def aggregate(holdings: pd.DataFrame, key_tenors: Sequence[str]) -> tuple[pd.DataFrame,
                                                                            pd.Series]:
    """Sector (first-appearance order) and portfolio totals of a per-holding exposure frame:
    sums of market value, DV01, yield DV01 and key-rate DV01s; duration = DV01 / MV x 1e4 and
    modified duration = yield DV01 / MV x 1e4 (the MV-weighted averages of the holdings')."""
    cols = ["market_value", "dv01", "yield_dv01"] + [f"krd_{t}" for t in key_tenors]
    sec = holdings.groupby("sector", sort=False)[cols].sum().reset_index()
    sec.insert(1, "positions", holdings.groupby("sector", sort=False).size().to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        mv = sec["market_value"].to_numpy()
        sec.insert(4, "duration", np.where(mv != 0, sec["dv01"] / mv * 1e4, np.nan))
        sec.insert(6, "modified_duration", np.where(mv != 0, sec["yield_dv01"] / mv * 1e4,
                                                    np.nan))
    tot = holdings[cols].sum()
    mvt = tot["market_value"]
    port = pd.concat([pd.Series({"positions": len(holdings)}), tot])
    port["duration"] = tot["dv01"] / mvt * 1e4 if mvt != 0 else np.nan
    port["modified_duration"] = tot["yield_dv01"] / mvt * 1e4 if mvt != 0 else np.nan
    return sec, port
