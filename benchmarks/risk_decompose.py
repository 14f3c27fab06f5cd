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
locally; without it the spread P&L stays in ``other``); swap spread ``-e_swap . d(swap10 -
UST10)`` with the swap rates the backtest values swap futures with; futures basis = the market-marked minus
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


def swap_spread_bp(swaps, days) -> np.ndarray:
    """The swap-spread factor's level (bp) on ``days``: the 10-year swap rate the backtest values
    swap futures with (ISDAFIX where quoted, else the last spread held) minus the 10-year
    Treasury par yield."""
    from optimizer.workflows.backtest.market import par_at

    r, _ = swaps.rates(days, 10.0)
    return (r - par_at(pd.DatetimeIndex(days), 10.0)) * 1e4


def realized_parts(res, oas: pd.Series | None = None, swaps=None) -> pd.DataFrame:
    """Per day: the integer hedge's P&L split into GROUPS (model and market-marked totals).
    ``swaps``: the backtest's ``SwapRates`` (default: ISDAFIX when present); the swap-spread
    group is the swap-spread factor's exposure x the change of the 10-year swap spread, the rest
    of the swap futures' departure from their key-rate DV01s stays in ``futures residual``."""
    from data.loaders import par_curve_history_pct
    from optimizer.workflows.backtest import SwapRates

    swaps = SwapRates("auto") if swaps is None else swaps
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
        swap = np.zeros(len(days) - 1)
        if "swap_spread" in names and swaps is not None:
            swap = -np.diff(swap_spread_bp(swaps, days)) * e[names.index("swap_spread")]
        d = res.daily[res.daily["period"] == k]
        basis = (d["hedgemkt_integer"] - d["hedge_integer"]).to_numpy(float)
        # the swap futures' swap-spread P&L is in the hedge's change beyond its key-rate part
        fres = (d["hedge_integer"] - d["hedgecarry_integer"]).to_numpy(float) - hedge_lin - swap
        frames.append(pd.DataFrame({
            "period": k, "key rates": key, "corporate spread": spread, "swap spread": swap,
            "futures basis": basis, "futures residual": fres,
            "model": d["risk_integer"].to_numpy(float),
            "market": d["riskmkt_integer"].to_numpy(float)}, index=d.index))
    out = pd.concat(frames)
    out["other"] = (out["model"] - out["key rates"] - out["corporate spread"]
                    - out["swap spread"] - out["futures residual"])
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


# ------------------------------------------------------------------------------ block attribution
#: Factor blocks of the attribution: key rates, corporate spread, swap spread, the rest
#: (futures' and bonds' own departure from their key-rate DV01s, agency residual).
BLOCKS = ("K", "S", "W", "R")
BLOCK_LABEL = {"K": "key rates", "S": "corporate spread", "W": "swap spread", "R": "rest"}
PAIRS = tuple((a, b) for i, a in enumerate(BLOCKS) for b in BLOCKS[i:])


def stored_exante(res) -> dict[int, tuple[np.ndarray, float]]:
    """Per period: the run's own factor covariance with the basis factors' settlement part
    removed (the modelled legs carry none) and the residual variance; what ``period_blocks``
    charges when no candidate's forecast is given."""
    out = {}
    for p, h in zip(res.periods, [h for h in res.rebalances if "error" not in h], strict=True):
        names, e = position_exposure(h)
        cov = np.array(h["model"]["cov"], float)
        b = np.array([group_of(n) == "futures basis" for n in names])
        bv = p.get("basis_var") or {}
        settle = sum(bv.get(c, 0.0) * n ** 2 for c, n in h["contracts"]["integer"].items())
        rest = float(e[b] @ cov[np.ix_(b, b)] @ e[b]) - settle + float(h["model"]["resid_var"])
        cov[b, :] = 0.0
        cov[:, b] = 0.0
        out[p["index"]] = (cov, max(rest, 0.0))
    return out


def period_blocks(res, oas: pd.Series | None,
                  exante: dict[int, tuple[np.ndarray, float]] | None = None,
                  swaps=None) -> pd.DataFrame:
    """Per holding period (modelled legs: market moves, no carry or costs): the realized P&L sum
    of each block (``K S W R``; R = the total minus the factor blocks) and the ex-ante variance
    of each block pair over the period (``v_KS`` = 2 x e_K' S_KS e_S x days / 252, cross pairs
    counted twice so the pairs add up to the total). ``exante``: per period (factor covariance
    without the settlement basis, the variance outside the factors), default the run's own."""
    parts = realized_parts(res, oas, swaps)
    sums = parts.groupby("period").sum()
    days = parts.groupby("period").size()
    exante = stored_exante(res) if exante is None else exante
    rows = []
    for p, h in zip(res.periods, [h for h in res.rebalances if "error" not in h], strict=True):
        k = p["index"]
        names, e = position_exposure(h)
        cov, rest = exante[k]
        g = np.array([group_of(n) for n in names])
        idx = {"K": g == "key rates", "S": g == "corporate spread", "W": g == "swap spread"}
        f = days[k] / 252.0
        r = {"period": k, "date": h["date"], "days": int(days[k])}
        for b in ("K", "S", "W"):
            r[b] = float(sums.loc[k, BLOCK_LABEL[b]])
        r["R"] = float(sums.loc[k, "model"]) - r["K"] - r["S"] - r["W"]
        for a, b in PAIRS:
            if "R" in (a, b):
                r[f"v_{a}{b}"] = rest * f if a == b else 0.0
                continue
            m = 1.0 if a == b else 2.0
            r[f"v_{a}{b}"] = m * float(e[idx[a]] @ cov[np.ix_(idx[a], idx[b])] @ e[idx[b]]) * f
        r["v_total"] = sum(r[f"v_{a}{b}"] for a, b in PAIRS)
        rows.append(r)
    return pd.DataFrame(rows).set_index("period")


def block_table(blocks: pd.DataFrame, windows) -> pd.DataFrame:
    """The period bias^2 (realized / ex-ante TE, squared; ``models.risk.calibration``) of each
    window split over block pairs: realized sum_t (P_a - mean)(P_b - mean) / v_t against its
    ex-ante sum_t v_ab,t / v_t (both / (n - 1); the ex-ante pairs add up to n / (n - 1), the
    realized to bias^2). A pair whose realized share is far from its ex-ante share is where the
    model is wrong: a variance under-forecast on the diagonal, a co-movement the model counts
    on (negative ex-ante cross pair) that did not come."""
    rows = []
    for label, a0, b0 in windows:
        x = blocks[(blocks["date"] >= a0) & (blocks["date"] <= b0)]
        if len(x) < 3:
            continue
        w = 1.0 / x["v_total"]
        dev = {b: x[b] - x[b].mean() for b in BLOCKS}
        dof = len(x) - 1
        row = {"window": label, "periods": len(x)}
        for a, b in PAIRS:
            m = 1.0 if a == b else 2.0
            row[f"{a}{b}"] = float(m * (dev[a] * dev[b] * w).sum() / dof)
            row[f"{a}{b}_ex"] = float((x[f"v_{a}{b}"] * w).sum() / dof)
        row["bias"] = float(np.sqrt(sum(row[f"{a}{b}"] for a, b in PAIRS)))
        rows.append(row)
    return pd.DataFrame(rows).set_index("window")


def hedge_horizon_table(res, windows, strategies=("unhedged", "naive_zn", "integer",
                                                   "unconstrained")) -> pd.DataFrame:
    """Realized TE (USD/yr, market moves, modelled legs) of each strategy per window at the
    daily horizon (daily P&L around each period's mean x sqrt 252) and at the holding period
    (period sums x sqrt periods per year): which hedge wins can depend on the horizon when a
    leg's daily marks carry timing noise that cancels over the month."""
    d = res.daily
    rows = []
    for label, a0, b0 in windows:
        x = d[(d.index >= a0) & (d.index <= b0)]
        if x["period"].nunique() < 3:
            continue
        years = (x.index[-1] - x.index[0]).days / 365.25
        ppy = x["period"].nunique() / years
        row = {"window": label}
        for s in strategies:
            c = x[f"risk_{s}"]
            dev = c - c.groupby(x["period"]).transform("mean")
            dof = len(c) - x["period"].nunique()
            row[f"{s}_daily"] = float(np.sqrt((dev ** 2).sum() / dof * 252))
            row[f"{s}_period"] = float(c.groupby(x["period"]).sum().std(ddof=1) * np.sqrt(ppy))
        rows.append(row)
    return pd.DataFrame(rows).set_index("window")


# ------------------------------------------------------------------------------ market facts
def market_facts(oas: pd.Series, windows, swaps=None) -> pd.DataFrame:
    """Per window, from the data the model is estimated on (no positions): the BBB corporate
    yield's beta to the 7Y Treasury (1 + cov(dOAS, dy7) / var(dy7)) from daily and from
    month-end changes; corr(dOAS, dy7) and corr(dOAS, d swap spread) at month end; the 10-year
    swap spread's vol (bp/yr) from daily (x sqrt 252) and month-end (x sqrt 12) changes (the
    11:00 ISDAFIX fix against the Treasury close: timing noise that cancels over a month); the
    variance ratio of 21-day to 5-day relative OAS changes (per day)."""
    from data.loaders import par_curve_history_pct
    from optimizer.workflows.backtest import SwapRates

    swaps = SwapRates("auto") if swaps is None else swaps
    par = par_curve_history_pct() * 100.0
    d = pd.concat({"oas": oas, "y7": par["7Y"]}, axis=1, sort=True).dropna()
    if swaps.table is not None:
        obs, spread = swaps._series(10.0)
        d["ss"] = (spread * 1e4).reindex(d.index)
    rows = []
    for label, a0, b0 in windows:
        x = d.loc[a0:b0]
        dd, mm = x.diff(), x.resample("ME").last().diff()
        rel = (x["oas"].diff() / x["oas"].shift(1)).dropna()

        def vr(h, s=rel):
            return s.rolling(h).sum().var() / h

        row = {"window": label,
               "beta_daily": 1 + dd["oas"].cov(dd["y7"]) / dd["y7"].var(),
               "beta_month": 1 + mm["oas"].cov(mm["y7"]) / mm["y7"].var(),
               "corr_oas_y7_month": mm["oas"].corr(mm["y7"]),
               "vr_21_5": vr(21) / vr(5)}
        if "ss" in x and x["ss"].notna().sum() > 60:
            row.update({"corr_oas_ss_month": mm["oas"].corr(mm["ss"]),
                        "ss_vol_daily": dd["ss"].std() * np.sqrt(252),
                        "ss_vol_month": mm["ss"].std() * np.sqrt(12)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("window")


# ------------------------------------------------------------------------------ report
def _block_lines(name: str, tab: pd.DataFrame) -> list[str]:
    pairs = [f"{a}{b}" for a, b in PAIRS if not (a == "R" and b == "R") and "R" not in (a, b)]
    out = []
    for w, r in tab.iterrows():
        cells = " | ".join(f"{r[p]:.2f} / {r[p + '_ex']:.2f}" for p in pairs)
        rest = sum(r[f"{a}{b}"] for a, b in PAIRS if "R" in (a, b))
        rest_ex = sum(r[f"{a}{b}_ex"] for a, b in PAIRS if "R" in (a, b))
        out.append(f"| {name} | {w} | {int(r.periods)} | {r.bias:.2f} | {cells} | "
                   f"{rest:.2f} / {rest_ex:.2f} |")
    return out


def block_lines(runs: dict[str, dict], oas: pd.Series, windows) -> list[str]:
    """Per run label and book: the block attribution table rows (``block_table``)."""
    pairs = [f"{a}{b}" for a, b in PAIRS if "R" not in (a, b)]
    out = ["| run, book | window | periods | bias | " + " | ".join(pairs)
           + " | rest (R with all) |", "|" + "---|" * (5 + len(pairs))]
    for label, results in runs.items():
        for name, res in results.items():
            out += _block_lines(f"{label}, {name}",
                                block_table(period_blocks(res, oas), windows))
    return out


def horizon_lines(runs: dict[str, dict], windows) -> list[str]:
    out = ["| run, book | window | ZN-only daily | integer daily | / ZN-only | no limits daily | "
           "ZN-only period | integer period | / ZN-only | no limits period |", "|" + "---|" * 10]
    for label, results in runs.items():
        for name, res in results.items():
            t = hedge_horizon_table(res, windows) / 1e6
            for w, r in t.iterrows():
                out.append(
                    f"| {label}, {name} | {w} | {r.naive_zn_daily:.2f}M | {r.integer_daily:.2f}M"
                    f" | {r.integer_daily / r.naive_zn_daily:.2f} | "
                    f"{r.unconstrained_daily:.2f}M | {r.naive_zn_period:.2f}M | "
                    f"{r.integer_period:.2f}M | {r.integer_period / r.naive_zn_period:.2f} | "
                    f"{r.unconstrained_period:.2f}M |")
    return out


def facts_lines(oas: pd.Series, windows) -> list[str]:
    t = market_facts(oas, windows)
    out = ["| window | beta, daily | beta, month end | corr(dOAS, dy7), month end | var ratio "
           "21d/5d of dS/S | corr(dOAS, d swap spread), month end | swap spread vol, daily | "
           "same, month end |", "|" + "---|" * 8]
    for w, r in t.iterrows():
        ss = (f"{r.corr_oas_ss_month:.2f} | {r.ss_vol_daily:.0f} | {r.ss_vol_month:.0f}"
              if "ss_vol_daily" in r and np.isfinite(r.get("ss_vol_daily", np.nan))
              else "— | — | —")
        out.append(f"| {w} | {r.beta_daily:.2f} | {r.beta_month:.2f} | "
                   f"{r.corr_oas_y7_month:.2f} | {r.vr_21_5:.2f} | {ss} |")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.risk_decompose --pickled DIR [--before DIR] [--books a,b]``: the
    tables of ``benchmarks/results/calibration_decomposition_full.md`` (printed; the findings
    around them are written by hand) from 2000-2025 backtests saved by ``backtest_report
    --full --pickle DIR``; ``--before``: an earlier run's saved backtests beside them."""
    import argparse
    import pickle
    import warnings
    from pathlib import Path

    from benchmarks.calibrate_risk import FULL_WINDOWS

    ap = argparse.ArgumentParser(prog="python -m benchmarks.risk_decompose")
    ap.add_argument("--pickled", required=True)
    ap.add_argument("--before", default=None)
    ap.add_argument("--books", default="corporate,corporate_no_swaps,default")
    a = ap.parse_args(argv)
    oas = oas_bp()
    if oas is None:
        print("SKIPPED: the licensed ICE BofA OAS is not present")
        return 0
    runs: dict[str, dict] = {}
    for label, folder in (("before", a.before), ("after", a.pickled)):
        if folder:
            runs[label] = {}
            for n in a.books.split(","):
                with open(Path(folder) / f"{n}.pkl", "rb") as f:
                    runs[label][n] = pickle.load(f)   # noqa: S301 - our own files
    windows = (("all", "2000-01-01", "2025-12-31"), *FULL_WINDOWS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lines = ["## Market facts", "", *facts_lines(oas, windows), "",
                 "## Period bias^2 by factor block: realized / ex-ante", "",
                 *block_lines(runs, oas, windows), "",
                 "## Realized TE by horizon: integer hedge against ZN-only", "",
                 *horizon_lines(runs, windows), ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
