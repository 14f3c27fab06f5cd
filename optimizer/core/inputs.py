"""Abstract, already-assembled numbers of one hedge problem (:class:`HedgeInputs`).

Units: USD, bp, contracts; DV01 sign convention (USD gained per 1 bp fall in yield).
S sectors, I instruments, F factors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from data.errors import InputError


def _arr(name: str, v: Any, shape: tuple[int, ...], dtype: type = float) -> np.ndarray:
    a: np.ndarray = np.asarray(v, dtype=dtype)
    if a.shape != shape:
        raise InputError(f"{name} must have shape {shape}, got {a.shape}")
    if dtype is float and not np.all(np.isfinite(a)):
        raise InputError(f"{name} has NaN or infinite values")
    return a


def _check_cov(cov: np.ndarray) -> np.ndarray:
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-10 * max(1.0, float(np.abs(cov).max()))):
        raise InputError("cov must be symmetric")
    ev = np.linalg.eigvalsh(0.5 * (cov + cov.T))
    if ev.min() < -1e-8 * max(1.0, float(ev.max())):
        raise InputError(f"cov must be positive semidefinite (min eigenvalue {ev.min():.3g})")
    return 0.5 * (cov + cov.T)


@dataclass(frozen=True)
class HedgeInputs:
    """Hedge data.

    factors: factor labels, e.g. key rates "2Y".."30Y", "swap_spread", "spread:Corporate".
    sectors: sector labels. instruments: contract codes.
    sector_exposure (S x F) USD/bp: each sector's factor exposures (beta-adjusted or not).
    sector_dv01 (S,) USD: sector DV01 used by the DV01 constraints (beta-adjusted if betas on).
    sector_market_value (S,) USD: for duration targets (DV01 = duration x MV x 1e-4).
    sector_resid_var (S,) USD^2/yr: residual variance, constant in h, added to TE^2.
    instrument_exposure (I x F) USD/bp per contract held long.
    instrument_dv01 (I,) USD per contract. notional, initial_margin (I,) USD per contract.
    leverage_weight (I,) USD per contract counted by the leverage limit (default: notional;
    e.g. 10-year-equivalent notional or DV01-based measures).
    cov (F x F) bp^2/yr, PSD.
    designations (S x I) bool: instrument i may hedge sector s.
    current (I,) int contracts held now (turnover and cost). cost_per_contract (I,) USD.
    portfolio_market_value USD (default: sum of sector_market_value; may be negative).
    """

    factors: Sequence[str]
    sectors: Sequence[str]
    instruments: Sequence[str]
    sector_exposure: np.ndarray
    sector_dv01: np.ndarray
    instrument_exposure: np.ndarray
    instrument_dv01: np.ndarray
    cov: np.ndarray
    designations: np.ndarray
    notional: np.ndarray | None = None
    initial_margin: np.ndarray | None = None
    sector_market_value: np.ndarray | None = None
    sector_resid_var: np.ndarray | None = None
    current: np.ndarray | None = None
    cost_per_contract: np.ndarray | None = None
    portfolio_market_value: float | None = None
    leverage_weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        S, I, F = len(self.sectors), len(self.instruments), len(self.factors)  # noqa: E741
        if S == 0 or I == 0 or F == 0:
            raise InputError("need at least one sector, one instrument and one factor")
        for nm, lst in (("factors", self.factors), ("sectors", self.sectors),
                        ("instruments", self.instruments)):
            if len(set(lst)) != len(lst):
                raise InputError(f"duplicate names in {nm}")
        st = object.__setattr__
        st(self, "factors", list(self.factors))
        st(self, "sectors", list(self.sectors))
        st(self, "instruments", list(self.instruments))
        st(self, "sector_exposure", _arr("sector_exposure", self.sector_exposure, (S, F)))
        st(self, "sector_dv01", _arr("sector_dv01", self.sector_dv01, (S,)))
        st(self, "instrument_exposure",
           _arr("instrument_exposure", self.instrument_exposure, (I, F)))
        st(self, "instrument_dv01", _arr("instrument_dv01", self.instrument_dv01, (I,)))
        st(self, "cov", _check_cov(_arr("cov", self.cov, (F, F))))
        des = np.asarray(self.designations).astype(bool)
        if des.shape != (S, I):
            raise InputError(f"designations must have shape {(S, I)}, got {des.shape}")
        st(self, "designations", des)
        self._defaults(S, I)

    def _defaults(self, S: int, I: int) -> None:  # noqa: E741
        st = object.__setattr__
        zeros = np.zeros(I)

        def opt(name: str, default: np.ndarray, shape: tuple[int, ...]) -> None:
            v = getattr(self, name)
            st(self, name, _arr(name, default if v is None else v, shape))

        opt("notional", zeros, (I,))
        opt("initial_margin", zeros, (I,))
        opt("sector_market_value", np.zeros(S), (S,))
        opt("sector_resid_var", np.zeros(S), (S,))
        opt("current", zeros, (I,))
        opt("cost_per_contract", zeros, (I,))
        opt("leverage_weight", np.abs(np.asarray(self.notional, float)), (I,))
        cur = np.asarray(self.current, float)
        if np.any(cur != np.round(cur)):
            raise InputError("current contracts must be integers")
        for nm in ("notional", "initial_margin", "sector_resid_var", "cost_per_contract",
                   "leverage_weight"):
            if np.any(getattr(self, nm) < 0):
                raise InputError(f"{nm} must be >= 0")
        mv = self.portfolio_market_value
        if mv is None:
            mv = float(np.asarray(self.sector_market_value).sum())
        if not np.isfinite(mv):
            raise InputError("portfolio_market_value must be finite")
        st(self, "portfolio_market_value", float(mv))

    def structure(self) -> tuple:
        """What fixes the shape of the problem (names and designations)."""
        return (tuple(self.factors), tuple(self.sectors), tuple(self.instruments),
                self.designations.tobytes())


__all__ = ["HedgeInputs"]
