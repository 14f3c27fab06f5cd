"""The backtest result as plain data: ``to_dict`` (the ``overlay backtest --json`` object and
what the HTML report renders) and the report's chart block."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.workflows.backtest.hedging import STRATEGIES, STRATEGY_LABELS

#: Points per chart line (the SVG stays small): daily series are thinned to this many.
MAX_POINTS = 1500


def records(df: pd.DataFrame | None) -> list[dict]:
    if df is None:
        return []
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        (float(v) if isinstance(v, (np.floating, float)) else
                         (int(v) if isinstance(v, np.integer) else
                          (bool(v) if isinstance(v, np.bool_) else v))))
                    for k, v in r.items()})
    return out


def _series(daily: pd.DataFrame, col: str, cum: bool = True) -> list[list]:
    step = max(1, len(daily) // MAX_POINTS)
    s = daily[col].cumsum() if cum else daily[col]
    s = s.iloc[::step]
    return [[d.strftime("%Y-%m-%d"), float(v)] for d, v in s.items()]


def _drawdown_series(daily: pd.DataFrame, col: str) -> list[list]:
    cum = daily[col].cumsum()
    dd = cum - cum.cummax().clip(lower=0.0)
    step = max(1, len(daily) // MAX_POINTS)
    return [[d.strftime("%Y-%m-%d"), float(v)] for d, v in dd.iloc[::step].items()]


def report_block(res) -> dict:
    """``backtest`` block of the HTML report: cumulative tracking P&L per strategy."""
    series = {STRATEGY_LABELS[s]: _series(res.daily, f"track_{s}") for s in STRATEGIES}
    return {"series": series, "metrics": records(res.metrics)}


def ctd_switches(res) -> list[dict]:
    """Rebalance dates where a contract held again has a different CTD than last period."""
    out, last = [], {}
    for p in res.periods:
        for c, cusip in p["ctd"].items():
            if c in last and last[c] != cusip:
                out.append({"date": p["date"].strftime("%Y-%m-%d"), "contract": c,
                            "from": last[c], "to": cusip})
            last[c] = cusip
    return out


def _periods(res) -> list[dict]:
    return [{"date": p["date"].strftime("%Y-%m-%d"),
             "until": pd.Timestamp(p["next_date"]).strftime("%Y-%m-%d"),
             "margin_usd": p["margin"], "gross_notional_usd": p["gross_notional"],
             "leverage": {s: (v / p["portfolio_mv"] if p["portfolio_mv"] else None)
                          for s, v in p["gross_notional"].items()},
             "contracts_traded": p["traded"], "te_model_usd": p["te_model"],
             "rolls": p["rolls"], "ctd": p["ctd"]} for p in res.periods]


def _hedges(res) -> list[dict]:
    out = []
    for r in res.rebalances:
        d = {"date": r["date"].strftime("%Y-%m-%d")}
        if "error" in r:
            d["error"] = r["error"]
        else:
            d.update({"status": r["status"], "flags": r["flags"], "contracts": r["contracts"],
                      "te_model_usd": r["te_model"], "limit_costs_te_usd": r["limit_costs"],
                      "betas": r["betas"], "notices": r.get("notices", []),
                      "risk_model": r.get("risk_model", {})})
        out.append(d)
    return out


def to_dict(res) -> dict:
    """Everything a report needs: per-strategy realized TE and ratios (modelled and
    market-marked), calibration per window, cumulative P&L and drawdown series, turnover,
    margin and leverage use per period, rolls, CTD switches, failed dates, notes."""
    d = res.daily
    doc = {
        "portfolio": res.portfolio, "mandate": res.mandate, "frequency": res.frequency,
        "rebalance": res.rebalance, "start": res.start.strftime("%Y-%m-%d"),
        "end": res.end.strftime("%Y-%m-%d"), "observations": len(d),
        "rebalances": len(res.rebalances), "strategies": list(STRATEGIES),
        "strategy_labels": STRATEGY_LABELS,
        "metrics": records(res.metrics), "metrics_market": records(res.metrics_market),
        "market_coverage": res.market_coverage,
        "te_ratio_integer_vs_continuous": res.te_ratio("integer", "continuous"),
        "te_ratio_integer_vs_naive_zn": res.te_ratio("integer", "naive_zn"),
        "te_ratio_integer_vs_unconstrained": res.te_ratio("integer", "unconstrained"),
        "calibration": records(res.calibration),
        "cumulative_pnl": {s: _series(d, f"track_{s}") for s in STRATEGIES},
        "drawdown": {s: _drawdown_series(d, f"track_{s}") for s in STRATEGIES},
        "periods": _periods(res), "hedges": _hedges(res),
        "ctd_switches": ctd_switches(res), "failed": res.failed,
        "notes": res.notes, "seconds": res.seconds,
    }
    if res.metrics_market is not None:
        doc["te_ratio_integer_vs_naive_zn_market"] = res.te_ratio("integer", "naive_zn", True)
        doc["cumulative_pnl_market"] = {s: _series(d, f"trackmkt_{s}") for s in STRATEGIES}
    return doc
