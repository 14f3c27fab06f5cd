"""Hedge-quality statistics of a backtest (per strategy, per pricing of the futures legs).

Definitions (the report states them too):

* tracking P&L = holdings + hedge - costs - target, target = sum over sectors of (target DV01 /
  current DV01) x the sector's P&L; realized TE = stdev x sqrt(periods per year);
  ``te_period_sums``: the same from the P&L summed per holding period (x sqrt(12) monthly), which
  is immune to asynchronous closing times of the marks (ISDAFIX fixes at 11:00, futures settle at
  15:00 ET, the Treasury curve is end of day).
* variance reduction against the unhedged tracking P&L of the same days.
* dollar offset = -(hedge P&L) / (hedged-item market P&L) per holding period, the hedged item
  being holdings - target with carry removed; regression of hedge on hedged-item P&L.
* turnover = contracts bought or sold, rebalances and rolls (a roll trades 2 per contract);
  costs = half the bid-ask spread per contract traded.
* drawdown = the largest fall of cumulative tracking P&L from a previous peak.
* calibration (``models.risk.calibration``): realized / ex-ante TE, ex-ante being each period's
  model TE of the position actually held.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from models.risk import calibration
from optimizer.workflows.backtest.hedging import STRATEGIES, STRATEGY_LABELS


def max_drawdown(pnl: pd.Series) -> float:
    cum = pnl.cumsum()
    return float((cum.cummax().clip(lower=0.0) - cum).max()) if len(cum) else 0.0


def _effectiveness(item: pd.Series, hp: pd.Series, period: pd.Series) -> dict:
    if not np.any(hp.to_numpy()):
        return {"dollar_offset_median": np.nan, "offset_periods_in_band": np.nan,
                "regression_slope": np.nan, "regression_r2": np.nan}
    slope, _ = np.polyfit(item.to_numpy(), hp.to_numpy(), 1)
    r2 = float(np.corrcoef(item, hp)[0, 1] ** 2)
    g = pd.DataFrame({"i": item, "h": hp, "p": period}).groupby("p").sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (-g["h"] / g["i"]).replace([np.inf, -np.inf], np.nan)
    return {"dollar_offset_median": float(ratio.median()),
            "offset_periods_in_band": float(((ratio >= 0.8) & (ratio <= 1.25)).mean()),
            "regression_slope": float(slope), "regression_r2": r2}


def compute_metrics(daily: pd.DataFrame, periods: list[dict], ppy: int, mode: str = "model"
                    ) -> pd.DataFrame:
    """One row per strategy for the futures legs priced ``mode`` ('model' or 'market')."""
    track = "track_" if mode == "model" else "trackmkt_"
    hedge = "hedge_" if mode == "model" else "hedgemkt_"
    item_all = daily["holdings"] - daily["target"]
    item = daily["item_market"]
    un_var = float(item_all.var(ddof=1))
    years = len(daily) / ppy
    per = daily["period"]
    out = []
    for s in STRATEGIES:
        tr = daily[f"{track}{s}"]
        hp = daily[f"{hedge}{s}"]
        sums = tr.groupby(per).sum()
        traded = sum(p["traded"][s] for p in periods)
        margins = [p["margin"][s] for p in periods]
        lev = [p["gross_notional"][s] / p["portfolio_mv"] for p in periods if p["portfolio_mv"]]
        row = {
            "strategy": s, "label": STRATEGY_LABELS[s],
            "realized_te_usd": float(tr.std(ddof=1) * math.sqrt(ppy)),
            "te_period_sums_usd": float(sums.std(ddof=1) * math.sqrt(12)) if len(sums) > 2
            else np.nan,
            "variance_reduction": 1.0 - float(tr.var(ddof=1)) / un_var if un_var else np.nan,
            "contracts_traded": traded, "turnover_per_year": traded / years if years else np.nan,
            "costs_per_year_usd": float(daily[f"cost_{s}"].sum()) / years if years else np.nan,
            "avg_margin_usd": float(np.mean(margins)) if margins else 0.0,
            "max_margin_usd": float(np.max(margins)) if margins else 0.0,
            "avg_leverage": float(np.mean(lev)) if lev else 0.0,
            "max_leverage": float(np.max(lev)) if lev else 0.0,
            "worst_day_usd": float(tr.min()),
            "worst_month_usd": float(tr.groupby(tr.index.to_period("M")).sum().min()),
            "max_drawdown_usd": max_drawdown(tr),
        }
        if s != "unhedged":
            row.update(_effectiveness(item, hp, per))
        else:
            row.update({"dollar_offset_median": np.nan, "offset_periods_in_band": np.nan,
                        "regression_slope": np.nan, "regression_r2": np.nan})
        out.append(row)
    m = pd.DataFrame(out)
    te = m.set_index("strategy")["realized_te_usd"]
    m["te_ratio_to_integer"] = m["realized_te_usd"] / te["integer"]
    m["te_ratio_to_naive_zn"] = m["realized_te_usd"] / te["naive_zn"]
    return m


def forecast_te(period: dict, strategy: str, mode: str) -> float:
    """The ex-ante TE (USD/yr) the run can realize: a modelled futures leg has no basis by
    construction (the forecast without the basis factors); a market-marked leg shows its basis
    only on the days the settlement file quoted it (each contract's basis variance x its marked
    share). Older results without the split: the full forecast."""
    nb = period.get("te_nobasis", {}).get(strategy)
    if nb is None:
        return period["te_model"].get(strategy, np.nan)
    if mode == "model":
        return nb
    con = period.get("contracts", {}).get(strategy, {})
    bv, share = period.get("basis_var", {}), period.get("marked_share", {})
    extra = sum(n * n * bv.get(c, 0.0) * share.get(c, 0.0) for c, n in con.items())
    return math.sqrt(nb * nb + extra)


def calibration_table(daily: pd.DataFrame, periods: list[dict], ppy: int,
                      modes: tuple[str, ...] = ("model",),
                      windows: list[tuple[str, str, str]] | None = None) -> pd.DataFrame:
    """Realized / ex-ante TE per strategy, futures pricing, horizon and window
    (``models.risk.calibration``). The realized series is the market-move part of tracking P&L
    (``risk_*``: carry and costs out, they are not risk); ex-ante is each period's model TE of the
    position held, matched to what the run can realize (``forecast_te``). Horizons: ``daily``
    (daily P&L, demeaned per period) and ``period`` (P&L summed per holding period against TE x
    sqrt(days / ppy)): the hedge is judged over the period; daily changes of smoothed series
    (index spreads) and marks taken at different times of day (futures 15:00, curve close,
    ISDAFIX 11:00) make the daily horizon differ from it."""
    by_k = {p["index"]: p for p in periods}
    rows = []
    wins = windows or default_windows(daily.index)
    per = daily["period"]
    for mode in modes:
        col = "risk_" if mode == "model" else "riskmkt_"
        for s in STRATEGIES:
            if s == "unhedged":
                continue
            te = {k: forecast_te(p, s, mode) for k, p in by_k.items()}
            sig_d = per.map(te) / math.sqrt(ppy)
            for label, a, b in wins:
                sel = (daily.index >= a) & (daily.index <= b)
                if sel.sum() < 40:
                    continue
                x = daily.loc[sel]
                c = calibration(x[f"{col}{s}"], sig_d[sel], x["period"])
                rows.append({"strategy": s, "pricing": mode, "horizon": "daily",
                             "window": label, **c})
                g = pd.DataFrame({"p": x[f"{col}{s}"], "v": sig_d[sel] ** 2,
                                  "k": x["period"]}).groupby("k").sum()
                c = calibration(g["p"], np.sqrt(g["v"]))
                rows.append({"strategy": s, "pricing": mode, "horizon": "period",
                             "window": label, **c})
    return pd.DataFrame(rows)


def default_windows(index: pd.DatetimeIndex) -> list[tuple[str, str, str]]:
    """Five-year calendar windows (1990-94, 1995-99, ...) covering the run, and the whole run."""
    a, b = index[0], index[-1]
    out = []
    y = a.year - a.year % 5
    while y <= b.year:
        lo, hi = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y + 4}-12-31")
        if hi >= a and lo <= b:
            out.append((f"{max(y, a.year)}-{min(y + 4, b.year)}", str(max(lo, a).date()),
                        str(min(hi, b).date())))
        y += 5
    out.append((f"all {a.year}-{b.year}", str(a.date()), str(b.date())))
    return out
