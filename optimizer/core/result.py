"""The outcome of one hedge solve (:class:`HedgeResult`) and how it is assembled from the model.

Money in USD; tracking error in USD/yr and in bp of |portfolio market value| per year. The
allocation rows are real positions: the pieces of each contract have its total's sign, so the
sector DV01s after hedge, the contract counts, notional and margin follow from contracts held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from data.errors import Notice
from optimizer.core.exact import exact_check
from optimizer.core.forms import FormSet
from optimizer.core.model import HedgeModel

K = 1e3


@dataclass
class HedgeResult:
    """Outcome of one solve (see the module docstring for units)."""

    status: str
    instruments: list[str]
    contracts: dict[str, int]
    allocation: list[dict[str, Any]]
    objective: float
    te_before_usd: float
    te_after_usd: float
    te_after_bp: float
    te_continuous_usd: float
    continuous_contracts: dict[str, float]
    te_rounded_usd: float
    rounded_contracts: dict[str, int]
    rounded_broken: list[str]
    sectors: list[dict[str, Any]]
    portfolio: dict[str, Any]
    key_rates: list[dict[str, Any]]
    gross_notional: float
    leverage_ratio: float
    initial_margin: float
    solver: dict[str, Any]
    constraints: list[dict[str, Any]]
    bounds: dict[str, dict[str, int]]
    certified: bool
    warnings: list[Any] = field(default_factory=list)

    @property
    def h(self) -> np.ndarray:
        return np.array([self.contracts[i] for i in self.instruments], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dict(self.__dict__))


def _jsonable(o: Any) -> Any:
    if isinstance(o, Notice):
        return o.to_dict()
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(float(o)) else None
    return o


@dataclass
class Continuous:
    """The continuous relaxation's optimum and its naive rounding (SPEC §6)."""

    h: np.ndarray
    h_rounded: np.ndarray
    y_rounded: np.ndarray
    rounded_broken: list[str]


def _sectors(model: HedgeModel, y: np.ndarray) -> list[dict[str, Any]]:
    d = model.data
    after = d.sector_after(y)[0]
    return [{"sector": nm, "market_value": float(d.smv[s]), "dv01_before": float(d.sd[s]),
             "dv01_target": None if np.isnan(model.targets[s]) else float(model.targets[s]),
             "dv01_after": float(after[s])} for s, nm in enumerate(d.sectors)]


def _portfolio(model: HedgeModel, h: np.ndarray) -> dict[str, Any]:
    d = model.data
    before, after = float(d.sd.sum()), float(d.sd.sum() + h @ d.d)
    mv = d.mv
    return {"market_value": mv, "dv01_before": before, "dv01_after": after,
            "duration_before": before / mv * 1e4 if mv else None,
            "duration_after": after / mv * 1e4 if mv else None}


def constraint_rows(model: HedgeModel, h: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Each constraint with its values and whether (h, y) meets it in exact arithmetic."""
    pi = model.data.piece_instrument
    out = []
    for c in model.constraints:
        fs = FormSet(model.forms.of(c.name), [c.name] * len(model.forms.of(c.name)))
        out.append({**c.to_dict(), "satisfied": not exact_check(fs, h, y, pi)})
    return out


def build_result(model: HedgeModel, status: str, h: np.ndarray, y: np.ndarray,
                 cont: Continuous, solver: dict[str, Any], warnings: list[Any]) -> HedgeResult:
    """The HedgeResult of an integer hedge (h, y) of ``model``."""
    d = model.data
    names = d.instruments
    te = model.te_usd
    te_after = te(h)
    mv_abs = d.mv_abs
    expo = d.x + d.B @ h
    return HedgeResult(
        status=status, instruments=list(names),
        contracts={n: int(v) for n, v in zip(names, h, strict=True)},
        allocation=[{"sector": d.sectors[s], "instrument": names[i], "contracts": int(y[p])}
                    for p, (s, i) in enumerate(d.pieces)],
        objective=float(model.objective(h)[0] * K**2),
        te_before_usd=te(np.zeros(d.I)), te_after_usd=te_after,
        te_after_bp=te_after / mv_abs * 1e4 if mv_abs > 0 else float("nan"),
        te_continuous_usd=te(cont.h),
        continuous_contracts={n: float(v) for n, v in zip(names, cont.h, strict=True)},
        te_rounded_usd=te(cont.h_rounded),
        rounded_contracts={n: int(v) for n, v in zip(names, cont.h_rounded, strict=True)},
        rounded_broken=list(cont.rounded_broken), sectors=_sectors(model, y),
        portfolio=_portfolio(model, h),
        key_rates=[{"factor": f, "before": float(d.x[k]), "after": float(expo[k])}
                   for k, f in enumerate(d.factors)],
        gross_notional=float(np.abs(h) @ d.notional),
        leverage_ratio=float(np.abs(h) @ d.leverage_weight / mv_abs) if mv_abs > 0
        else float("nan"),
        initial_margin=float(np.abs(h) @ d.im), solver=solver,
        constraints=constraint_rows(model, h, y),
        bounds=_bounds(model), certified=bool(status == "optimal" and solver.get("exact_check")),
        warnings=warnings)


def _bounds(model: HedgeModel) -> dict[str, dict[str, int]]:
    if model.box is None:
        return {"lower": {}, "upper": {}}
    names, I = model.data.instruments, model.data.I  # noqa: E741
    return {"lower": {n: int(v) for n, v in zip(names, model.box[0][:I], strict=True)},
            "upper": {n: int(v) for n, v in zip(names, model.box[1][:I], strict=True)}}


__all__ = ["Continuous", "HedgeResult", "build_result", "constraint_rows"]
