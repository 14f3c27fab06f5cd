"""Walk-forward backtest of a hedge mandate over real history (SPEC §8).

For each rebalance date ``r_k`` (first valuation date of each month, or ISO week):

1. **Re-strike** the holdings template at constant maturity (``portfolio.Template``).
2. **Hedge with data up to ``r_k`` only** (``hedging.hedge_on``): exposures on that day's curve,
   the front contracts and their CTD, factor covariance, betas, swap-spread parameters and
   point-in-time margins estimated from the window ending on ``r_k``; every strategy of
   ``hedging.STRATEGIES`` sized; legs built for the contracts held, and the contracts they roll
   into before ``r_{k+1}`` (built on the roll day from data up to that day).
3. **Hold to ``r_{k+1}`` and revalue every day** (``run._value_period``): holdings off each
   day's curve (``portfolio.value_bonds``), futures legs modelled (``legs``) and, in the
   validation mode, marked to market settlements where they exist (``market.MarketFutures``),
   swap futures at ISDAFIX swap rates where present (``market.SwapRates``); rolls before first
   notice and half-spread costs on every contract traded.
4. A rebalance date whose hedge cannot be built is a **failure**: its holding period is excluded
   from every strategy alike and listed in ``BacktestResult.failed`` (never booked as zero P&L).

Statistics (``metrics``): realized TE per strategy and ratios, effectiveness, turnover, costs,
margin and leverage, drawdowns, and the calibration of the model's ex-ante TE against realized.
"""

from optimizer.workflows.backtest.hedging import (
    LIMITS,
    STRATEGIES,
    STRATEGY_LABELS,
    available_roots,
    exante_te,
    hedge_on,
    key_tenors_on,
    sector_ratios,
    treasury_mandate,
)
from optimizer.workflows.backtest.legs import (
    FutureLeg,
    LegPnl,
    half_spread,
    leg_pnl,
    roll_window_start,
    rolls_in_period,
    swap_future_value,
    treasury_leg,
    treasury_prices,
)
from optimizer.workflows.backtest.market import (
    CurveBook,
    MarketFutures,
    SwapRates,
    par_at,
    rebalance_dates,
    repo_series,
    third_party_dir,
    valuation_dates,
)
from optimizer.workflows.backtest.metrics import calibration_table, compute_metrics, max_drawdown
from optimizer.workflows.backtest.portfolio import SpreadSource, Template, value_bonds
from optimizer.workflows.backtest.run import BacktestResult, run_backtest
from optimizer.workflows.backtest.validation import validate_futures_approx


def default_workers() -> int:
    import os

    return max(1, min(2, os.cpu_count() or 1))


__all__ = [
    "LIMITS", "STRATEGIES", "STRATEGY_LABELS", "BacktestResult", "CurveBook", "FutureLeg",
    "LegPnl", "MarketFutures", "SpreadSource", "SwapRates", "Template", "available_roots",
    "calibration_table", "compute_metrics", "default_workers", "exante_te", "half_spread",
    "hedge_on", "key_tenors_on", "leg_pnl", "max_drawdown", "par_at", "rebalance_dates",
    "repo_series", "roll_window_start", "rolls_in_period", "run_backtest", "sector_ratios",
    "swap_future_value", "third_party_dir", "treasury_leg", "treasury_mandate",
    "treasury_prices", "valuation_dates", "validate_futures_approx", "value_bonds",
]
