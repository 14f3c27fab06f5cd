"""Where a book's tracking error comes from: the ex-ante and the realized TE of the integer hedge
split by factor group, at the daily and the holding-period horizon (``calibrate_risk``).

Groups: ``key rates`` (Treasury key-rate par yields), ``corporate spread`` (the sector spread
factor), ``swap spread``, ``futures basis`` (settlement minus modelled futures price), ``futures
residual`` (the modelled futures price change minus its key-rate-linear change: CTD cash flows
between key tenors, convexity, DV01 drift), ``other`` (the rest: the bonds' own departure from
their key-rate DV01s, agency spreads carried as a residual variance).

Realized, per day of each holding period, with the exposures ``e`` (USD per bp, DV01 sign) of the
position held on its rebalance date: key rates ``-e_key . dy`` from the Treasury par curve's daily
changes; corporate spread ``-e_spread . d(OAS)`` from the ICE BofA BBB OAS (licensed, read
locally; without it the spread P&L stays in ``other``); futures basis = the market-marked minus
the modelled futures legs (only on the contract-days the settlement file quotes); ``other`` = the
rest of the P&L the model forecasts (market moves, no carry or costs).

Ex-ante, per period, from the model stored with the hedge: ``e_g' S_gg e_g`` per group, the
covariance between a spread group and the key rates charged to the spread group, the basis as
sum (n DV01 vol)^2, ``other`` = the residual variance.

Horizons: daily = variance of daily P&L around the period mean x 252; period = variance of the
period sums x periods per year. For a random walk both agree; when they differ the daily factor
changes are serially correlated (smoothed index spreads, mean-reverting model-vs-settlement
noise), and a risk model estimated from daily changes is wrong at the holding period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")
GROUPS = ("key rates", "corporate spread", "swap spread", "futures basis", "futures residual",
          "other")
OAS_FILE = "ice_bofa_oas_daily_1996_2026.csv"


def group_of(factor: str) -> str:
    if factor in KEY:
        return "key rates"
    if factor == "swap_spread":
        return "swap spread"
    if factor.startswith("basis:"):
        return "futures basis"
    if factor.endswith("_spread"):
        return "corporate spread"
    return "other"


def oas_bp() -> pd.Series | None:
    """ICE BofA BBB OAS (bp) when the licensed file is present locally, else None."""
    from optimizer.workflows.backtest import third_party_dir

    f = third_party_dir() / OAS_FILE
    if not f.exists():
        return None
    s = pd.read_csv(f, parse_dates=["date"]).set_index("date")["BAMLC0A4CBBB"].dropna()
    return s * 100.0


def position_exposure(h: dict) -> tuple[list[str], np.ndarray]:
    """Factor names and the integer position's exposure (book + contracts) on the date."""
    m = h["model"]
    e = np.array(m["book_exposure"], float)
    for code, n in h["contracts"]["integer"].items():
        e = e + n * np.array(m["instrument_exposure"][code], float)
    return list(m["factors"]), e


def _period_days(res) -> dict[int, pd.DatetimeIndex]:
    """Valuation days of each period, the rebalance date first."""
    hedges = [h for h in res.rebalances if "error" not in h]
    out = {}
    for p, h in zip(res.periods, hedges, strict=True):
        rows = res.daily.index[res.daily["period"] == p["index"]]
        out[p["index"]] = pd.DatetimeIndex([h["date"], *rows])
    return out


def realized_parts(res, oas: pd.Series | None = None) -> pd.DataFrame:
    """Per day: the integer hedge's P&L split into GROUPS (model and market-marked totals)."""
    from data.loaders import par_curve_history_pct

    par = par_curve_history_pct() * 100.0
    hedges = [h for h in res.rebalances if "error" not in h]
    days_of = _period_days(res)
    frames = []
    for p, h in zip(res.periods, hedges, strict=True):
        k = p["index"]
        days = days_of[k]
        names, e = position_exposure(h)
        keys = [t for t in names if t in KEY]
        ek = np.array([e[names.index(t)] for t in keys])
        lv = par.loc[:, keys].reindex(days)
        dy = np.diff(lv.to_numpy(float), axis=0)
        key = -np.nan_to_num(dy) @ ek
        eh = sum((n * np.array(h["model"]["instrument_exposure"][c], float)
                  for c, n in h["contracts"]["integer"].items()), np.zeros(len(names)))
        hedge_lin = -np.nan_to_num(dy) @ np.array([eh[names.index(t)] for t in keys])
        spread = np.zeros(len(days) - 1)
        sp = [i for i, n in enumerate(names) if group_of(n) == "corporate spread"]
        if sp and oas is not None:
            d_oas = np.diff(oas.reindex(days).ffill().to_numpy(float))
            spread = -np.nan_to_num(d_oas) * sum(e[i] for i in sp)
        d = res.daily[res.daily["period"] == k]
        basis = (d["hedgemkt_integer"] - d["hedge_integer"]).to_numpy(float)
        fres = (d["hedge_integer"] - d["hedgecarry_integer"]).to_numpy(float) - hedge_lin
        frames.append(pd.DataFrame({
            "period": k, "key rates": key, "corporate spread": spread, "swap spread": 0.0,
            "futures basis": basis, "futures residual": fres,
            "model": d["risk_integer"].to_numpy(float),
            "market": d["riskmkt_integer"].to_numpy(float)}, index=d.index))
    out = pd.concat(frames)
    out["other"] = (out["model"] - out["key rates"] - out["corporate spread"]
                    - out["futures residual"])
    return out


def exante_parts(res, basis_share: dict[int, dict[str, float]] | None = None) -> pd.DataFrame:
    """Per period: the stored model's variance (USD^2/yr) per group (see module docstring).
    ``basis_share``: per period and contract, the share of its days marked to market (the basis
    the market-marked run can show); None = all days."""
    rows = []
    for p, h in zip(res.periods, [h for h in res.rebalances if "error" not in h], strict=True):
        names, e = position_exposure(h)
        cov = np.array(h["model"]["cov"], float)
        g = np.array([group_of(n) for n in names])
        kk = g == "key rates"
        row = {"period": p["index"], "key rates": float(e[kk] @ cov[np.ix_(kk, kk)] @ e[kk])}
        for grp in ("corporate spread", "swap spread"):
            s = g == grp
            row[grp] = float(e[s] @ cov[np.ix_(s, s)] @ e[s]
                             + 2 * e[s] @ cov[np.ix_(s, kk)] @ e[kk])
        b = g == "futures basis"
        share = np.ones(b.sum())
        if basis_share is not None:
            share = np.array([basis_share.get(p["index"], {}).get(n.split(":", 1)[1], 1.0)
                              for n in np.array(names)[b]])
        # the basis factor = settlement basis (+ the model residual where the run stored the
        # split, ``basis_var`` per contract): only the settlement part is scaled by the share
        codes = [n.split(":", 1)[1] for n in np.array(names)[b]]
        tot = e[b] ** 2 * np.diag(cov)[b]
        bv = p.get("basis_var")
        settle = (tot if bv is None else
                  np.array([bv.get(c, 0.0) * h["contracts"]["integer"].get(c, 0.0) ** 2
                            for c in codes]))
        row["futures basis"] = float(np.sum(settle * share))
        # the residual part is correlated across contracts: the whole block's quadratic form
        quad = float(e[b] @ cov[np.ix_(b, b)] @ e[b])
        row["futures residual"] = max(quad - float(np.sum(settle)), 0.0)
        row["other"] = float(h["model"]["resid_var"])
        row["total"] = float(e @ cov @ e + h["model"]["resid_var"] - np.sum(settle * (1 - share)))
        row["total_model"] = row["total"] - row["futures basis"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("period")


def marked_share(res) -> dict[int, dict[str, float]]:
    """Per period and integer contract: the share of the period's days its P&L was marked to
    market (the settlement file quotes the contract held), from the legs' own valuation."""
    from optimizer.workflows.backtest import CurveBook, MarketFutures, SwapRates, leg_pnl
    from optimizer.workflows.backtest.market import repo_series

    if not MarketFutures.available():
        return {}
    market, curves, swaps = MarketFutures(), CurveBook(), SwapRates("auto")
    days_of = _period_days(res)
    out: dict[int, dict[str, float]] = {}
    for p, h in zip(res.periods, [h for h in res.rebalances if "error" not in h], strict=True):
        days = days_of[p["index"]]
        repo = repo_series(days)
        out[p["index"]] = {c: float(leg_pnl(h["legs"][c], days, curves, repo, swaps,
                                            market).marked.mean())
                           for c in h["contracts"]["integer"]}
    return out


def horizon_table(res, oas: pd.Series | None = None,
                  share: dict[int, dict[str, float]] | None = None) -> pd.DataFrame:
    """Per group: ex-ante TE (RMS over periods), realized TE at the daily and at the period
    horizon (USD/yr), their ratio (the variance ratio's square root) and realized / ex-ante."""
    r = realized_parts(res, oas)
    x = exante_parts(res, share)
    years = (res.daily.index[-1] - res.daily.index[0]).days / 365.25
    ppy = r["period"].nunique() / years
    out = []
    for grp in (*GROUPS, "model", "market"):
        s = r[grp]
        dev = s - s.groupby(r["period"]).transform("mean")
        dof = len(s) - r["period"].nunique()
        daily = np.sqrt((dev ** 2).sum() / dof * 252)
        ps = s.groupby(r["period"]).sum()
        period = np.sqrt(ps.var(ddof=1) * ppy)
        xv = {"model": x["total_model"], "market": x["total"]}.get(grp, x.get(grp))
        ex = np.sqrt(max(xv.mean(), 0.0))
        out.append({"group": grp, "exante_te": ex, "realized_te_daily": daily,
                    "realized_te_period": period,
                    "period_over_daily": period / daily if daily > 0 else np.nan,
                    "realized_over_exante": period / ex if ex > 0 else np.nan})
    return pd.DataFrame(out).set_index("group")
