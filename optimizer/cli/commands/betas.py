"""`overlay betas`: regression betas of each portfolio sector's yield changes on its hedge drivers."""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError
from data.holdings import read_holdings
from data.loaders import PORTFOLIOS_DIR, latest_curve_date
from models.betas import (
    BetaResult,
    beta_adjusted_dv01,
    nearest_key_tenor,
    resid_var_usd2,
    sector_betas,
)
from models.risk import is_treasury_sector, load_history_csv, parse_window
from optimizer import validate as V
from optimizer.reporting import formatters as fmt
from optimizer.reporting.output import print_json, table

DEFAULT_PORTFOLIO = PORTFOLIOS_DIR / "default.csv"

HELP = """\
Regression betas (statsmodels OLS, HAC/Newey-West standard errors, lags floor(4(n/100)^(2/9)))
of each portfolio sector's yield changes (bp) on its hedge drivers: the Treasury par yield at the
sector's duration-matched maturity (the par bond with the sector's modified duration) and, when a
swap history is given, the swap rate. Changes at the horizon the hedge is judged on (--horizon:
daily, or weekly = last observation of each week). The beta the hedge uses is shrunk toward 1
(normal prior with dispersion --prior-sd; beta_ols and the weight are shown). Only data on or
before --asof is used.

Sector yields come from --history files; otherwise corporates use the shipped daily beta of BBB
corporate yields (estimated walk-forward from licensed ICE BofA data; numbers only; a notice says
so), before its first estimate (1999) the US Treasury HQM curve (monthly averages, with a
horizon-mismatch notice); Treasuries have beta 1 by definition; any other sector without a
history gets beta 1 with a beta_fallback notice. No fallback is silent.

--history FILE: CSV with a 'date' column (YYYY-MM-DD) and one column per series, values in
PERCENT (4.55 = 4.55%%). A column named like a portfolio sector (case-insensitive, e.g.
'Corporate') is that sector's yield history; a column named 'swap' or 'swap_<TENOR>' (e.g.
'swap_10Y') is a par swap-rate history used as a second driver. Other columns are ignored (listed
in the warnings). Daily, weekly or monthly series; changes are taken between consecutive dates
observed in both the series and the Treasury curve, and a change spanning a gap (> 7 days for
daily data) is dropped and reported.

Output columns: beta, std_err (HAC), t, r_squared, resid_vol_bp (annualized residual volatility,
bp/yr; x252 daily, x12 monthly, x1.5 more for monthly averages), nobs, start/end of the changes
used, frequency, source. Beta-adjusted DV01 = beta x sector DV01; residual variance
(DV01 x resid_vol_bp)^2 is the unhedgeable-by-rates risk.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser("betas", help="sector yield betas to Treasury/swap drivers (OLS, HAC)",
                              description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--portfolio", default=str(DEFAULT_PORTFOLIO),
                   help="holdings file (CSV/XLSX/Parquet; default: the bundled default portfolio)")
    p.add_argument("--asof", default=None, type=V.arg(V.market_date_text),
                   help="estimate with data on or before this date (default: latest curve date)")
    p.add_argument("--window", default="3y", type=V.arg(V.window),
                   help="lookback window: 3y, 18m, 26w, 500d or all (default 3y)")
    p.add_argument("--history", nargs="+", default=[], metavar="FILE",
                   help="sector-yield / swap-rate history CSV(s), see above")
    p.add_argument("--min-obs", type=V.arg(V.integer, lo=3, hi=100_000), default=24,
                   help="minimum number of changes per regression (default 24)")
    p.add_argument("--horizon", choices=("daily", "weekly"), default="daily",
                   help="changes the betas are estimated on (default daily)")
    p.add_argument("--prior-sd", type=V.arg(V.number, what="a dispersion of betas", lo=0,
                                            lo_open=True), default=None,
                   help="dispersion of the shrinkage prior around beta 1 (default "
                        "models.betas.BETA_PRIOR_SD; a large value turns shrinkage off)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def _mv_and_dv01(h: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    """Per-position market value and DV01 (USD). Risk rows as given; terms rows priced with
    models.bonds from their price (or yield), settling on ``asof``."""
    out = h[["id", "sector", "par"]].copy()
    out["market_value"] = h["market_value"].astype(float)
    out["dv01"] = h["dv01"].astype(float)
    terms = h["kind"] == "terms"
    if terms.any():
        from models.bonds import analytics, make_bonds

        t = h[terms]
        bonds = make_bonds(t["maturity"].values.astype("datetime64[D]"),
                           t["coupon_pct"].values / 100.0, t["frequency"].values,
                           t["day_count"].values)
        price = t["price"].values.astype(float)
        ylds = t["yield_dec"].values.astype(float)
        have_p = np.isfinite(price)
        mv = np.full(len(t), np.nan)
        dv = np.full(len(t), np.nan)
        settle = np.datetime64(asof.date(), "D")
        for mask, kw in ((have_p, "clean_price_per100"), (~have_p, "yield_dec")):
            if not mask.any():
                continue
            vals = price[mask] if kw == "clean_price_per100" else ylds[mask]
            r = analytics(bonds.take(np.flatnonzero(mask)), settle, **{kw: vals})
            par = t["par"].values[mask].astype(float)
            mv[mask] = r.full_price_per100 * par / 100.0
            dv[mask] = r.dv01_per100 * par / 100.0
        out.loc[terms, "market_value"] = mv
        out.loc[terms, "dv01"] = dv
    return out


def sector_risk(holdings: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    """sector, market_value, dv01 (USD), duration (= DV01 x 1e4 / MV) per sector, file order."""
    pos = _mv_and_dv01(holdings, asof)
    g = pos.groupby("sector", sort=False)[["market_value", "dv01"]].sum()
    g["duration"] = g["dv01"] * 1e4 / g["market_value"]
    return g.reset_index()


def _histories(files: list[str], sectors: list[str]):
    by_sector: dict[str, pd.Series] = {}
    swap: pd.Series | None = None
    swap_label = "swap_10Y"
    ignored: list[str] = []
    seen: dict[str, str] = {}
    files_of: dict[str, str] = {}
    lower = {s.lower(): s for s in sectors}
    for f in files:
        df = load_history_csv(f)
        for c in df.columns:
            key = c.strip().lower()
            if key in seen:
                raise InputError(f"series '{c}' also given in {seen[key]}", file=f, column=c)
            seen[key] = f
            s = df[c].dropna().rename(c)
            if key in lower:
                by_sector[lower[key]] = s
                files_of[lower[key]] = f
            elif key == "swap" or key.startswith("swap_"):
                if swap is not None:
                    raise InputError("more than one swap-rate history given", file=f, column=c)
                swap, swap_label = s, ("swap_10Y" if key == "swap" else c)
                files_of["__swap__"] = f
            else:
                ignored.append(f"{Path(f).name}:{c}")
    return by_sector, swap, swap_label, ignored, files_of


def compute(args) -> dict:
    from models.betas import BETA_PRIOR_SD

    asof = pd.Timestamp(args.asof).normalize() if args.asof else latest_curve_date()
    prior_sd = BETA_PRIOR_SD if getattr(args, "prior_sd", None) is None else args.prior_sd
    if not prior_sd > 0:
        raise InputError("--prior-sd must be positive", column="--prior-sd")
    horizon = getattr(args, "horizon", "daily")
    parse_window(args.window)
    holdings = read_holdings(args.portfolio)
    sr = sector_risk(holdings, asof)
    by_sector, swap, swap_label, ignored, files_of = _histories(list(args.history), list(sr["sector"]))
    swap_tenor = swap_label.split("_", 1)[1].upper() if "_" in swap_label else "10Y"
    notes: list[str] = []
    if ignored:
        notes.append("history columns not matching a portfolio sector or 'swap*' were ignored: "
                     + ", ".join(ignored))
    notes.append("sector durations = sum DV01 x 1e4 / sum MV; terms rows priced with models.bonds "
                 f"at settlement {asof.date()} (models/exposures.py not used)")
    rows, sectors = [], []
    for _, s in sr.iterrows():
        sector = s["sector"]
        dur = float(s["duration"])
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                res: list[BetaResult] = sector_betas(
                    sector, dur, asof=asof, window=args.window,
                    sector_history=by_sector.get(sector),
                    swap_history=None if is_treasury_sector(sector) else swap,
                    swap_label=swap_label, min_obs=args.min_obs, horizon=horizon,
                    prior_sd=prior_sd)
        except InputError as exc:
            if exc.file is None:
                src = [files_of[k] for k in (sector, "__swap__") if k in files_of]
                if src:
                    exc.file = " / ".join(dict.fromkeys(src))
            raise
        for r in res:
            d = r.to_dict()
            rows.append({
                "sector": sector, "driver": r.driver, "beta": r.beta, "std_err": r.std_err,
                "t": r.t if math.isfinite(r.t) else None, "r_squared": r.r_squared,
                "resid_vol_bp": r.resid_vol_bp_annual, "resid_vol_bp_per_period": r.resid_vol_bp,
                "nobs": r.nobs, "start": d["start"], "end": d["end"], "frequency": r.frequency,
                "source": r.source, "maxlags": r.maxlags, "warnings": r.warnings, "gaps": r.gaps,
                "beta_ols": r.beta_ols, "shrink_weight": r.shrink_weight,
                "notices": [n.to_dict() for n in r.notices],
            })
        ust = res[0]
        dv01 = float(s["dv01"])
        sectors.append({
            "sector": sector, "market_value": float(s["market_value"]), "dv01": dv01,
            "duration": dur, "driver": ust.driver,
            "key_tenor": nearest_key_tenor(dur), "beta": ust.beta,
            "beta_adjusted_dv01": beta_adjusted_dv01(dv01, ust.beta),
            "resid_vol_bp": ust.resid_vol_bp_annual,
            "resid_var_usd2": resid_var_usd2(dv01, ust.resid_vol_bp_annual),
            "source": ust.source,
        })
    warn = [w for r in rows for w in r["warnings"]]
    # a fallback's notice restates the row's fallback warning (which also names the assumption)
    warn += [f"{n['subject']}: {n['message']}" for r in rows for n in r["notices"]
             if n["code"] != "beta_fallback" and f"{n['subject']}: {n['message']}" not in warn]
    warn += notes
    return {"asof": asof.strftime("%Y-%m-%d"), "window": args.window, "horizon": horizon,
            "prior_sd": prior_sd,
            "portfolio": str(args.portfolio), "betas": rows, "sectors": sectors,
            "warnings": warn, "swap_tenor": swap_tenor if swap is not None else None}


def run(args) -> int:
    out = compute(args)
    if args.json:
        print_json(out)
        return 0
    n, r3 = fmt.number, fmt.ratio
    t = pd.DataFrame([{
        "sector": r["sector"], "driver": r["driver"], "beta": r3(r["beta"]),
        "beta OLS": r3(r["beta_ols"]), "SE": r3(r["std_err"]), "t": n(r["t"], 1),
        "R2": r3(r["r_squared"]), "resid vol bp/yr": n(r["resid_vol_bp"], 1),
        "n": r["nobs"], "window": f"{r['start'] or fmt.MISSING}..{r['end'] or fmt.MISSING}",
        "freq": r["frequency"], "source": r["source"],
    } for r in out["betas"]])
    print(table(t, title=f"Sector betas as of {out['asof']} (window {out['window']}, "
                         f"{out['horizon']} changes; OLS with HAC standard errors, shrunk "
                         f"toward 1 with prior sd {out['prior_sd']:g})"))
    print()
    s = pd.DataFrame([{
        "sector": r["sector"], "MV": n(r["market_value"]), "duration": n(r["duration"], 2),
        "DV01": n(r["dv01"]), "beta": r3(r["beta"]),
        "beta-adj DV01": n(r["beta_adjusted_dv01"]),
        "resid risk $/yr": n(math.sqrt(r["resid_var_usd2"])
                             if math.isfinite(r["resid_var_usd2"]) else None),
    } for r in out["sectors"]])
    print(table(s, title="Sector DV01 (USD per bp fall) and beta-adjusted DV01"))
    for line in fmt.notice_block(out["warnings"]):
        print(line)
    return 0
