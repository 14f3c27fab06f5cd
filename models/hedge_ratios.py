"""Textbook hedge ratios (SPEC §10): the closed forms a PM checks the optimizer against.

Sign convention (SPEC §3): DV01 is the USD gain for a 1 bp fall in yield, positive for a long
bond or a long futures contract; a hedge of DV01 ``D`` with contract DV01 ``d`` is ``-D/d``.
"""

from __future__ import annotations

import numpy as np


def dv01_from_duration(market_value_usd, modified_duration):
    """Position DV01 (USD) = market value x modified duration x 1 bp (1e-4), *not* x 0.01."""
    return np.asarray(market_value_usd, dtype=float) * np.asarray(modified_duration, float) * 1e-4


def contracts_to_target(current_dv01_usd: float, target_dv01_usd: float,
                        futures_dv01_usd: float, beta: float = 1.0) -> float:
    """Contracts (signed, unrounded) that move a DV01 to a target: beta x (target - current) / d."""
    if futures_dv01_usd == 0:
        raise ValueError("futures DV01 must be non-zero")
    return beta * (target_dv01_usd - current_dv01_usd) / futures_dv01_usd


def round_contracts(n: float) -> int:
    """Round half away from zero (exchanges trade whole contracts)."""
    return int(np.sign(n) * np.floor(abs(n) + 0.5))


def futures_dv01_from_ctd(ctd_dv01_usd: float, conversion_factor: float) -> float:
    """Futures DV01 = CTD DV01 / CF (per contract). Dividing the *count* by CF is the classic slip."""
    return ctd_dv01_usd / conversion_factor


def duration_based_contracts(portfolio_value_usd: float, portfolio_duration: float,
                             futures_value_usd: float, ctd_duration: float) -> float:
    """N = P x Dp / (Vf x Df): the duration-based hedge ratio (contracts, unsigned)."""
    return portfolio_value_usd * portfolio_duration / (futures_value_usd * ctd_duration)


def effective_duration(portfolio_value_usd: float, portfolio_duration: float,
                       futures_notional_usd: float, futures_duration: float) -> float:
    """Duration of portfolio + futures overlay per dollar of portfolio value.

    ``futures_notional_usd`` is signed (short futures negative)."""
    return (portfolio_value_usd * portfolio_duration
            + futures_notional_usd * futures_duration) / portfolio_value_usd


def combine_te_budget(components_bp) -> float:
    """Independent tracking-error sources add in variance: sqrt(sum of squares)."""
    c = np.asarray(components_bp, dtype=float)
    return float(np.sqrt(np.sum(c * c)))


def linear_pnl_usd(dv01_usd, shift_bp):
    """DV01-mode P&L of exposures for yield shifts (bp, rise > 0): -sum(DV01 x shift)."""
    return float(-np.sum(np.asarray(dv01_usd, float) * np.asarray(shift_bp, float)))
