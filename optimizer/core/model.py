"""The numbers every engine of the hedge problem works on (:class:`HedgeModel`).

Target exposure: each sector's factor exposure is scaled to its DV01 target,
``t = sum_s (target_s / sector_dv01_s) x sector_exposure_s``. Sectors without a target keep their
exposure (ratio 1), unless a whole-portfolio target is given, in which case the untargeted sectors
share the common ratio that makes the total target DV01 equal the portfolio target.

Objective (USD^2/yr): ``(x + B h - t)' Sigma (x + B h - t) + sum_s resid_var_s
+ cost_weight x sum_i c_i |h_i - h0_i|``; TE = sqrt of the variance part (USD/yr).

Scaling: Sigma = Lt' Lt (eigen square root) and ``G = Lt B / 1e3``, ``g = Lt (x - t) / 1e3`` so
the variance is ``1e6 x (||G h + g||^2 + rv)`` with money in $k. With G = Qr R (reduced QR) the
solver sees ``||R h + c||^2 + const``: min(F, I) squares of the *hedgeable* residual only, the
unhedgeable rest (e.g. credit spread, ``||g_perp||^2``) is a constant, so it cannot swamp the
differences between integer candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from data.errors import InputError
from optimizer.core.bounds import cov_factor, propagate_dense
from optimizer.core.constraints import Constraint, ContractBounds, ProblemData
from optimizer.core.forms import Form, FormSet, feasible_mask, propagation_rows
from optimizer.core.inputs import HedgeInputs
from optimizer.core.limits import Limits

K = 1e3


def _targets(inputs: HedgeInputs, limits: Limits) -> np.ndarray:
    """Per-sector target DV01 (nan where the sector keeps its exposure)."""
    sd, smv, mv = inputs.sector_dv01, inputs.sector_market_value, inputs.portfolio_market_value
    assert sd is not None and smv is not None and mv is not None
    tgt = np.full(len(inputs.sectors), np.nan)
    for s, name in enumerate(inputs.sectors):
        spec = limits.sector_targets.get(name)
        if spec is None:
            continue
        if spec.duration is not None and smv[s] <= 0:
            raise InputError(f"duration target for {name} needs its market value")
        tgt[s] = spec.target_dv01(float(sd[s]), float(smv[s]))
    untargeted = np.isnan(tgt)
    if limits.portfolio_target is not None and untargeted.any():
        pt = limits.portfolio_target
        if pt.duration is not None and mv == 0:
            raise InputError("a portfolio duration target needs the portfolio market value")
        total = pt.target_dv01(float(sd.sum()), mv)
        rest = sd[untargeted].sum()
        if abs(rest) < 1e-12:
            raise InputError("portfolio target: the sectors without their own target have zero DV01")
        tgt[untargeted] = (total - np.nansum(tgt)) / rest * sd[untargeted]
    return tgt


def build_data(inputs: HedgeInputs, limits: Limits) -> tuple[ProblemData, np.ndarray]:
    """Numbers of the problem and the per-sector target DV01 (nan where no target)."""
    S, I = len(inputs.sectors), len(inputs.instruments)  # noqa: E741
    pieces = [(s, i) for s in range(S) for i in range(I) if inputs.designations[s, i]]
    Smat = np.zeros((I, len(pieces)))
    for p, (_, i) in enumerate(pieces):
        Smat[i, p] = 1.0
    sd = np.asarray(inputs.sector_dv01, float)
    tgt = _targets(inputs, limits)
    ratio = np.ones(S)
    for s in range(S):
        if np.isnan(tgt[s]):
            continue
        if abs(sd[s]) < 1e-12:
            if abs(tgt[s]) > 1e-12:
                raise InputError(f"sector {inputs.sectors[s]} has zero DV01 but a nonzero target")
            ratio[s] = 0.0
        else:
            ratio[s] = tgt[s] / sd[s]
    X = np.asarray(inputs.sector_exposure, float)
    f = np.asarray
    data = ProblemData(
        sectors=list(inputs.sectors), instruments=list(inputs.instruments),
        factors=list(inputs.factors), pieces=pieces, S=Smat, x=X.sum(axis=0),
        t=(ratio[:, None] * X).sum(axis=0), B=f(inputs.instrument_exposure, float).T.copy(),
        d=f(inputs.instrument_dv01, float).copy(), sd=sd.copy(),
        smv=f(inputs.sector_market_value, float).copy(),
        mv=float(inputs.portfolio_market_value or 0.0),
        notional=f(inputs.notional, float).copy(),
        leverage_weight=f(inputs.leverage_weight, float).copy(),
        im=f(inputs.initial_margin, float).copy(), h0=f(inputs.current, float).copy(),
        cov=f(inputs.cov, float).copy(), resid_var=float(f(inputs.sector_resid_var).sum()))
    return data, tgt


@dataclass
class HedgeModel:
    """Problem data + scaled objective + forms + the propagated integer box."""

    data: ProblemData
    targets: np.ndarray
    constraints: list[Constraint]
    forms: FormSet
    R: np.ndarray  # (r, I) $k per contract
    c: np.ndarray  # (r,) $k
    const: float  # $k^2: unhedgeable variance (+ residual variance)
    cw: np.ndarray  # (I,) $k^2 per contract of |h - h0| (trading cost in the objective)
    box: tuple[np.ndarray, np.ndarray] | None  # (h, y) integer box, None = proven infeasible

    @property
    def n_h(self) -> int:
        return self.data.I

    def objective(self, H: np.ndarray) -> np.ndarray:
        """Objective in $k^2 for (N, I) totals (variance + cost)."""
        H = np.atleast_2d(np.asarray(H, float))
        z = H @ self.R.T + self.c
        f = (z * z).sum(axis=1) + self.const
        if np.any(self.cw):
            f = f + np.abs(H - self.data.h0) @ self.cw
        return f

    def variance_usd(self, H: np.ndarray) -> np.ndarray:
        H = np.atleast_2d(np.asarray(H, float))
        z = H @ self.R.T + self.c
        return ((z * z).sum(axis=1) + self.const) * K**2

    def te_usd(self, h: np.ndarray) -> float:
        return float(np.sqrt(max(float(self.variance_usd(h)[0]), 0.0)))

    def feasible(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Float check of every form and of the no-wash rule (pieces of the sign of totals)."""
        H, Y = np.atleast_2d(H), np.atleast_2d(Y)
        ok = feasible_mask(self.forms.forms, H, Y)
        ok &= np.all(np.abs(Y @ self.data.S.T - H) < 0.5, axis=1)
        hp = H[:, self.data.piece_instrument]
        ok &= np.all(Y * hp >= 0, axis=1) & np.all((hp != 0) | (Y == 0), axis=1)
        return ok

    def broken(self, h: np.ndarray, y: np.ndarray) -> list[str]:
        """Names of the constraints (h, y) breaks (float check), "no_wash" for the sign rule."""
        out = [c.name for c in self.constraints
               if not feasible_mask(self.forms.of(c.name), h[None], y[None])[0]]
        hp = h[self.data.piece_instrument]
        if np.any(y * hp < 0) or np.any((hp == 0) & (y != 0)) or \
                np.any(np.abs(self.data.S @ y - h) > 0.5):
            out.append("no_wash")
        return out


def scaled_objective(data: ProblemData, cost_weight: float, cost_per_contract: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(R, c, const, cw) of the scaled objective (module docstring)."""
    Lt = cov_factor(data.cov)
    G = Lt @ data.B / K
    g = Lt @ (data.x - data.t) / K
    Qr, R = np.linalg.qr(G, mode="reduced")
    c = Qr.T @ g
    const = float(np.sum((g - Qr @ c) ** 2)) + data.resid_var / K**2
    cw = cost_weight * np.asarray(cost_per_contract, float) / K**2
    return R, c, const, cw


def box_rows(data: ProblemData, forms: list[Form]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``L <= A (h, y) <= U``: every form's linear implication
    (:func:`optimizer.core.forms.propagation_rows`) and the links ``sum_p y_p - h_i = 0``."""
    I, P = data.I, data.P  # noqa: E741
    rows = propagation_rows(forms, I, P)
    links = np.hstack([-np.eye(I), data.S.astype(float)])
    A = np.vstack([np.array([a for a, _, _ in rows]).reshape(len(rows), I + P), links])
    L = np.concatenate([[lo for _, lo, _ in rows], np.zeros(I)]).astype(float)
    U = np.concatenate([[hi for _, _, hi in rows], np.zeros(I)]).astype(float)
    return A, L, U


def propagate_box(A: np.ndarray, L: np.ndarray, U: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  data: ProblemData, passes: int, rounds: int = 50
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer propagation of the rows over the (h, y) box, alternating with the no-wash rule
    (a piece lies between 0 and its total) until the totals' bounds stop moving; None when the
    box is empty."""
    I, pi = data.I, data.piece_instrument  # noqa: E741

    def no_wash(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = lo.copy(), hi.copy()
        lo[I:] = np.maximum(lo[I:], np.minimum(lo[:I][pi], 0.0))
        hi[I:] = np.minimum(hi[I:], np.maximum(hi[:I][pi], 0.0))
        return lo, hi

    for _ in range(passes):
        lo, hi = no_wash(lo, hi)
        res = propagate_dense(A, L, U, lo, hi, rounds)
        if res is None:
            return None
        settled = np.array_equal(res[0][:I], lo[:I]) and np.array_equal(res[1][:I], hi[:I])
        lo, hi = res
        if settled:  # the no-wash boxes already follow these totals
            return lo, hi
    lo, hi = no_wash(lo, hi)
    return None if np.any(lo > hi) else (lo, hi)


def integer_box(data: ProblemData, forms: FormSet) -> tuple[np.ndarray, np.ndarray] | None:
    """Propagated integer box of (h, y); None when the stated constraints admit no hedge
    (:func:`box_rows`, with the no-wash consequence that a piece lies between 0 and its
    total)."""
    A, L, U = box_rows(data, forms.forms)
    n = data.I + data.P
    return propagate_box(A, L, U, np.full(n, -np.inf), np.full(n, np.inf), data, passes=3)


def build_model(inputs: HedgeInputs, limits: Limits, extra: Sequence[Constraint] = (),
                overrides: Mapping[str, Constraint] | None = None) -> HedgeModel:
    """Everything numeric about ``inputs`` under ``limits`` (+ ``extra`` constraints; a
    constraint in ``overrides`` replaces the limits' constraint of the same name)."""
    data, tgt = build_data(inputs, limits)
    over = overrides or {}
    cons = [over.get(c.name, c) for c in limits.constraints(inputs)] + list(extra)
    names = [c.name for c in cons]
    if len(set(names)) != len(names):
        raise InputError(f"duplicate constraint names: {names}")
    fs = FormSet()
    for c in cons:
        c.bind(data)
        fs.add(c.name, c.forms())
    R, cvec, const, cw = scaled_objective(data, limits.cost_weight,
                                          np.asarray(inputs.cost_per_contract, float))
    return HedgeModel(data=data, targets=tgt, constraints=cons, forms=fs, R=R, c=cvec,
                      const=const, cw=cw, box=integer_box(data, fs))


def contract_bounds(model: HedgeModel) -> ContractBounds:
    return next(c for c in model.constraints if isinstance(c, ContractBounds))


__all__ = ["HedgeModel", "box_rows", "build_data", "build_model", "contract_bounds", "integer_box",
           "propagate_box",
           "scaled_objective"]
