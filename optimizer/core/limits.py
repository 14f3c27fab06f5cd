"""The solver's mandate: :class:`DV01Target` bands and the :class:`Limits` that become constraints.

``Limits`` is the solver-level view (USD, ratios, contracts). The user's mandate file and flags
(:mod:`optimizer.mandate`) are translated into it by :mod:`optimizer.assemble`. Each field maps to
one constraint class of :mod:`optimizer.core.constraints` in :meth:`Limits.constraints`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from data.errors import InputError
from optimizer.core.constraints import (
    Constraint,
    ContractBounds,
    DV01Band,
    KeyRateBand,
    Leverage,
    MarginBudget,
    MaxInstruments,
    MinPortfolioDV01,
    Turnover,
)
from optimizer.core.inputs import HedgeInputs


@dataclass(frozen=True)
class DV01Target:
    """A DV01 target for a sector (or the whole portfolio) and its tolerance band.

    Exactly one of: ``dv01`` (USD), ``fraction_of_current`` (0.5 = 50% of current DV01),
    ``duration`` (years; target DV01 = duration x MV x 1e-4, MV of the sector or the portfolio).
    Tolerance: ``tol_usd`` (USD) or ``tol_fraction`` (of |current DV01|); with neither, the
    target only shapes the target exposure t (no band constraint).
    """

    dv01: float | None = None
    fraction_of_current: float | None = None
    duration: float | None = None
    tol_usd: float | None = None
    tol_fraction: float | None = None

    def __post_init__(self) -> None:
        n = sum(v is not None for v in (self.dv01, self.fraction_of_current, self.duration))
        if n != 1:
            raise InputError("a target needs exactly one of dv01, fraction_of_current, duration")
        if self.tol_usd is not None and self.tol_fraction is not None:
            raise InputError("give tol_usd or tol_fraction, not both")
        for v in (self.tol_usd, self.tol_fraction):
            if v is not None and (v < 0 or not math.isfinite(v)):
                raise InputError("tolerance must be >= 0")

    @property
    def has_band(self) -> bool:
        return self.tol_usd is not None or self.tol_fraction is not None

    def target_dv01(self, current: float, mv: float) -> float:
        if self.dv01 is not None:
            return float(self.dv01)
        if self.fraction_of_current is not None:
            return float(self.fraction_of_current) * current
        assert self.duration is not None
        return float(self.duration) * mv * 1e-4

    def resolve(self, current: float, mv: float) -> tuple[float, float]:
        """(target DV01, tolerance) in USD."""
        tol = (self.tol_usd if self.tol_usd is not None
               else (self.tol_fraction or 0.0) * abs(current))
        return self.target_dv01(current, mv), float(tol)

    def with_tolerance(self, tol_usd: float) -> DV01Target:
        return replace(self, tol_usd=float(tol_usd), tol_fraction=None)


@dataclass(frozen=True)
class Limits:
    """Hedge limits. Every limit is optional (None = off).

    sector_targets: sector -> DV01Target. portfolio_target: whole-portfolio DV01Target.
    key_rate_bands: factor -> (lower, upper) USD/bp on the hedged portfolio (None = open side).
    max_leverage: gross leverage weight (notional by default) / |portfolio MV| (0.5 = 50%).
    margin_budget: USD. no_net_short: portfolio DV01 after hedge >= net_dv01_floor (USD).
    lower / upper: contracts per instrument; sides: instrument -> "long" | "short" | "both".
    max_turnover: sum |h - h0| contracts. max_instruments: K (contracts with a nonzero total).
    cost_weight: USD^2 of variance per USD of trading cost (0 = off).
    """

    sector_targets: Mapping[str, DV01Target] = field(default_factory=dict)
    portfolio_target: DV01Target | None = None
    key_rate_bands: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    max_leverage: float | None = None
    margin_budget: float | None = None
    no_net_short: bool = False
    net_dv01_floor: float = 0.0
    lower: Mapping[str, float] = field(default_factory=dict)
    upper: Mapping[str, float] = field(default_factory=dict)
    sides: Mapping[str, str] = field(default_factory=dict)
    max_turnover: float | None = None
    max_instruments: int | None = None
    cost_weight: float = 0.0

    def constraints(self, inputs: HedgeInputs) -> list[Constraint]:
        """The named constraints of these limits (validated against ``inputs``)."""
        if self.cost_weight < 0 or not math.isfinite(self.cost_weight):
            raise InputError("cost_weight must be >= 0")
        out: list[Constraint] = []
        for s, spec in self.sector_targets.items():
            if s not in inputs.sectors:
                raise InputError(f"mandate names unknown sector {s!r}")
            if spec.has_band:
                out.append(DV01Band(s, spec))
        if self.portfolio_target is not None and self.portfolio_target.has_band:
            out.append(DV01Band(None, self.portfolio_target))
        out += self._key_rate_bands(inputs)
        for name, v, cls in (("max_leverage", self.max_leverage, Leverage),
                             ("margin_budget", self.margin_budget, MarginBudget)):
            if v is not None:
                if not math.isfinite(v) or v < 0:
                    raise InputError(f"{name} must be a number >= 0")
                out.append(cls(v))
        if self.no_net_short:
            out.append(MinPortfolioDV01(self.net_dv01_floor))
        for nm in (*self.lower, *self.upper, *self.sides):
            if nm not in inputs.instruments:
                raise InputError(f"mandate names unknown instrument {nm!r}")
        out.append(ContractBounds(dict(self.lower), dict(self.upper), dict(self.sides)))
        if self.max_turnover is not None:
            if not math.isfinite(self.max_turnover) or self.max_turnover < 0:
                raise InputError("max_turnover must be a number >= 0")
            out.append(Turnover(self.max_turnover))
        if self.max_instruments is not None:
            if self.max_instruments < 0:
                raise InputError("max_instruments must be >= 0")
            out.append(MaxInstruments(self.max_instruments))
        return out

    def _key_rate_bands(self, inputs: HedgeInputs) -> list[Constraint]:
        out: list[Constraint] = []
        for f, (lo, hi) in self.key_rate_bands.items():
            if f not in inputs.factors:
                raise InputError(f"mandate names unknown factor {f!r}")
            if lo is not None and hi is not None and lo > hi:
                raise InputError(f"key-rate band {f}: lower > upper")
            out.append(KeyRateBand(f, lo, hi))
        return out


__all__ = ["DV01Target", "Limits"]
