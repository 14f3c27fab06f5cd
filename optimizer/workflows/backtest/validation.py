"""Validation of the modelled futures prices: the CTD-forward approximation against the full
basket analysis on later dates (CTD re-picked)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from data.errors import InputError
from data.loaders import par_curve_history_pct
from optimizer.workflows.backtest.legs import treasury_leg, treasury_prices
from optimizer.workflows.backtest.market import CurveBook, repo_series


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
                approx, _, _ = treasury_prices(leg, days, curves, repo_series(days))
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
