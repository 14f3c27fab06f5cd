"""The hedge problem (SPEC §6): integer futures contracts minimizing tracking error to a target.

Data type :class:`HedgeInputs` (abstract, already-assembled numbers) + :class:`Limits` (limits)
-> :class:`HedgeProblem` (cvxpy, compiled once, re-solved with Parameters) -> :class:`HedgeResult`.

Model
-----
Variables: integer ``y[p]`` = contracts of instrument i allocated to sector s for every designated
pair p = (s, i); totals ``h = S y`` (contracts per instrument).

Target exposure: each sector's factor exposure is scaled to its DV01 target,
``t = sum_s (target_s / sector_dv01_s) x sector_exposure_s``. Sectors without a target keep their
exposure (ratio 1), unless a whole-portfolio target is given, in which case the untargeted sectors
share the common ratio that makes the total target DV01 equal the portfolio target.

Objective (USD^2/yr): ``(x + B h - t)' Sigma (x + B h - t) + sum_s resid_var_s
+ cost_weight x sum_i c_i |h_i - h0_i|`` where x = sum_s sector_exposure_s. TE = sqrt of the
variance part (USD/yr), also in bp of portfolio MV.

Scaling: Sigma = Lt' Lt (eigen square root); the objective is ``||G h + g||^2 + rv + ...``
with ``G = Lt B / 1e3`` and ``g = Lt (x - t) / 1e3`` -- a sum of squares in $k (TE of $1M/yr ->
||.||^2 = 1e6). The solver gets the reduced form ``||R h + c||^2 + (rv + ||g_perp||^2)`` with
G = Qr R (reduced QR), c = Qr'g: min(F, I) squares of the *hedgeable* residual only, so the
unhedgeable risk (e.g. credit spread) does not swamp the differences between integer candidates.
Money constraints in $k, notionals in $M, contracts unscaled.

Parameters (change these and re-solve without recompiling): R, c, the constant variance, cost weights, h0, the integer
box of y, and every numeric value of every constraint (sector DV01s and instrument DV01s, targets
and tolerances, leverage cap and notionals, margin budget and IMs, turnover, K, key-rate band
limits and exposures, big-M). Structure (sizes, designations, which constraints exist) is fixed;
changing it recompiles (see ``HedgeProblem.update``). DPP holds because every Parameter multiplies
a variable affinely (cost uses an auxiliary variable u >= |h - h0|).

Integer solve: SCIP through cvxpy (the objective becomes a second-order cone; MISOCP branch and
bound). HiGHS is NOT used for the hedge: it solves continuous QPs and MILPs but not MIQPs (mixed
integer with a quadratic objective); it is used for nothing here except as a MILP fallback in
diagnosis. Integer bounds come from the hard constraints and the continuous relaxation (see
:mod:`optimizer.core.solve` for the proof they never cut off the optimum). When the bounded box is
small (<= ``certify_limit`` points) the SCIP answer is *certified* by exhaustive enumeration of the
box around the continuous optimum with U = SCIP's objective.
Fallback (SCIP missing / error / time limit without a point): enumeration of the same box
("optimal_enumeration" when the whole certified box fits the budget, else a neighbourhood of the
rounded relaxation: "heuristic_neighbourhood"). Every returned hedge passes every constraint's
``check`` or SolverFailure is raised.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
import warnings as _pywarnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import cvxpy as cp
import numpy as np

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
    ProblemData,
    Turnover,
    Vars,
)
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.solve import (
    box_size,
    cov_factor,
    ellipsoid_halfwidths,
    enumerate_box,
    objective_radius,
    propagate,
)

K = 1e3


def _c_fflush() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:  # noqa: BLE001 - no libc (non-POSIX): nothing buffered we can reach
        pass


@contextlib.contextmanager
def quiet_solver():
    """Nothing a solver library prints reaches stdout (``--json`` must stay valid JSON).

    SCIP writes from C straight to file descriptor 1, so Python-level redirection is not enough:
    fd 1 is pointed at /dev/null for the duration (and Python warnings such as cvxpy's
    "Solution may be inaccurate" are silenced; statuses are reported by the caller).
    """
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed or odd stdout: nothing to flush
        pass
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        with _pywarnings.catch_warnings():
            _pywarnings.simplefilter("ignore")
            yield
    finally:
        _c_fflush()  # C stdio buffers what SCIP wrote: flush it into /dev/null, not later
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
def _arr(name: str, v: Any, shape: tuple[int, ...], dtype=float) -> np.ndarray:
    a = np.asarray(v, dtype=dtype)
    if a.shape != shape:
        raise InputError(f"{name} must have shape {shape}, got {a.shape}")
    if dtype is float and not np.all(np.isfinite(a)):
        raise InputError(f"{name} has NaN or infinite values")
    return a


@dataclass(frozen=True)
class HedgeInputs:
    """Abstract, already-assembled hedge data. Units: USD, bp, contracts; DV01 sign (USD gained
    per 1 bp fall). S sectors, I instruments, F factors.

    factors: factor labels, e.g. key rates "2Y".."30Y", "swap_spread", "spread:Corporate".
    sectors: sector labels. instruments: contract codes.
    sector_exposure (S x F) USD/bp: each sector's factor exposures (beta-adjusted or not).
    sector_dv01 (S,) USD: sector DV01 used by the DV01 constraints (beta-adjusted if betas are on).
    sector_market_value (S,) USD: for duration targets (DV01 = duration x MV x 1e-4).
    sector_resid_var (S,) USD^2/yr: residual variance, constant in h, added to TE^2.
    instrument_exposure (I x F) USD/bp per contract held long.
    instrument_dv01 (I,) USD per contract. notional, initial_margin (I,) USD per contract.
    cov (F x F) bp^2/yr, PSD.
    designations (S x I) bool: instrument i may hedge sector s.
    current (I,) int contracts held now (turnover and cost). cost_per_contract (I,) USD.
    portfolio_market_value USD (default: sum of sector_market_value).
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
        cov = _arr("cov", self.cov, (F, F))
        if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(cov).max())):
            raise InputError("cov must be symmetric")
        ev = np.linalg.eigvalsh(0.5 * (cov + cov.T))
        if ev.min() < -1e-8 * max(1.0, ev.max()):
            raise InputError(f"cov must be positive semidefinite (min eigenvalue {ev.min():.3g})")
        st(self, "cov", 0.5 * (cov + cov.T))
        des = np.asarray(self.designations, dtype=bool)
        if des.shape != (S, I):
            raise InputError(f"designations must have shape {(S, I)}, got {des.shape}")
        st(self, "designations", des)
        zeros = np.zeros(I)
        st(self, "notional", _arr("notional", zeros if self.notional is None else self.notional,
                                  (I,)))
        st(self, "initial_margin", _arr("initial_margin", zeros if self.initial_margin is None
                                        else self.initial_margin, (I,)))
        smv = np.zeros(S) if self.sector_market_value is None else self.sector_market_value
        st(self, "sector_market_value", _arr("sector_market_value", smv, (S,)))
        rv = np.zeros(S) if self.sector_resid_var is None else self.sector_resid_var
        st(self, "sector_resid_var", _arr("sector_resid_var", rv, (S,)))
        cur = zeros if self.current is None else self.current
        cur = _arr("current", cur, (I,))
        if np.any(cur != np.round(cur)):
            raise InputError("current contracts must be integers")
        st(self, "current", cur)
        st(self, "cost_per_contract", _arr("cost_per_contract", zeros if self.cost_per_contract
                                           is None else self.cost_per_contract, (I,)))
        for nm in ("notional", "initial_margin", "sector_resid_var", "cost_per_contract"):
            if np.any(getattr(self, nm) < 0):
                raise InputError(f"{nm} must be >= 0")
        mv = self.portfolio_market_value
        if mv is None:
            mv = float(self.sector_market_value.sum())
        st(self, "portfolio_market_value", float(mv))

    def structure(self) -> tuple:
        return (tuple(self.factors), tuple(self.sectors), tuple(self.instruments),
                self.designations.tobytes())


# ----------------------------------------------------------------------------------------------
# Limits
# ----------------------------------------------------------------------------------------------
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
        return float(self.duration) * mv * 1e-4

    def resolve(self, current: float, mv: float) -> tuple[float, float]:
        tol = (self.tol_usd if self.tol_usd is not None
               else (self.tol_fraction or 0.0) * abs(current))
        return self.target_dv01(current, mv), float(tol)

    def with_tolerance(self, tol_usd: float) -> DV01Target:
        return replace(self, tol_usd=float(tol_usd), tol_fraction=None)


@dataclass(frozen=True)
class Limits:
    """Hedge mandate. Every limit is optional (None = off).

    sector_targets: sector -> DV01Target. portfolio_target: whole-portfolio DV01Target.
    key_rate_bands: factor -> (lower, upper) USD/bp on the hedged portfolio (None = open side).
    max_leverage: gross notional / portfolio MV (0.5 = 50%). margin_budget: USD.
    no_net_short: portfolio DV01 after hedge >= net_dv01_floor (default $0); off by default
    (SPEC §10's zero-target sector hedge, -2,374 / -3,054, ends $39 net short).
    lower / upper: contracts per instrument; sides: instrument -> "long" | "short" | "both".
    max_turnover: sum |h - h0| contracts. max_instruments: K.
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
        out: list[Constraint] = []
        for s, spec in self.sector_targets.items():
            if s not in inputs.sectors:
                raise InputError(f"mandate names unknown sector {s!r}")
            if spec.has_band:
                out.append(DV01Band(s, spec))
        if self.portfolio_target is not None and self.portfolio_target.has_band:
            out.append(DV01Band(None, self.portfolio_target))
        for f, (lo, hi) in self.key_rate_bands.items():
            if f not in inputs.factors:
                raise InputError(f"mandate names unknown factor {f!r}")
            if lo is not None and hi is not None and lo > hi:
                raise InputError(f"key-rate band {f}: lower > upper")
            out.append(KeyRateBand(f, lo, hi))
        if self.max_leverage is not None:
            out.append(Leverage(self.max_leverage))
        if self.margin_budget is not None:
            out.append(MarginBudget(self.margin_budget))
        if self.no_net_short:
            out.append(MinPortfolioDV01(self.net_dv01_floor))
        for nm in (*self.lower, *self.upper, *self.sides):
            if nm not in inputs.instruments:
                raise InputError(f"mandate names unknown instrument {nm!r}")
        out.append(ContractBounds(dict(self.lower), dict(self.upper), dict(self.sides)))
        if self.max_turnover is not None:
            out.append(Turnover(self.max_turnover))
        if self.max_instruments is not None:
            out.append(MaxInstruments(self.max_instruments))
        return out


# ----------------------------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------------------------
@dataclass
class HedgeResult:
    """Outcome of one solve. Money in USD; TE in USD/yr and bp of portfolio MV per year."""

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
    portfolio: dict[str, float]
    key_rates: list[dict[str, Any]]
    gross_notional: float
    leverage_ratio: float
    initial_margin: float
    solver: dict[str, Any]
    constraints: list[dict[str, Any]]
    bounds: dict[str, dict[str, int]]
    certified: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def h(self) -> np.ndarray:
        return np.array([self.contracts[i] for i in self.instruments], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        def conv(o):
            if isinstance(o, dict):
                return {str(k): conv(v) for k, v in o.items()}
            if isinstance(o, (list, tuple)):
                return [conv(v) for v in o]
            if isinstance(o, np.integer):
                return int(o)
            if isinstance(o, np.floating):
                return float(o) if math.isfinite(o) else None
            if isinstance(o, float) and not math.isfinite(o):
                return None
            if isinstance(o, np.ndarray):
                return conv(o.tolist())
            return o
        return conv(self.__dict__.copy())


# ----------------------------------------------------------------------------------------------
# The problem
# ----------------------------------------------------------------------------------------------
def build_data(inputs: HedgeInputs, mandate: Limits) -> tuple[ProblemData, np.ndarray]:
    """Numbers of the problem and the per-sector target DV01 (nan where no target)."""
    S, I = len(inputs.sectors), len(inputs.instruments)  # noqa: E741
    pieces = [(s, i) for s in range(S) for i in range(I) if inputs.designations[s, i]]
    Smat = np.zeros((I, len(pieces)))
    for p, (_, i) in enumerate(pieces):
        Smat[i, p] = 1.0
    sd = inputs.sector_dv01
    smv = inputs.sector_market_value
    mv = inputs.portfolio_market_value
    ratio = np.ones(S)
    tgt = np.full(S, np.nan)
    for s, name in enumerate(inputs.sectors):
        spec = mandate.sector_targets.get(name)
        if spec is None:
            continue
        if spec.duration is not None and smv[s] <= 0:
            raise InputError(f"duration target for {name} needs its market value")
        tgt[s] = spec.target_dv01(float(sd[s]), float(smv[s]))
    untargeted = np.isnan(tgt)
    if mandate.portfolio_target is not None and untargeted.any():
        pt = mandate.portfolio_target
        if pt.duration is not None and mv <= 0:
            raise InputError("a portfolio duration target needs the portfolio market value")
        total_target = pt.target_dv01(float(sd.sum()), mv)
        rest = sd[untargeted].sum()
        if abs(rest) < 1e-12:
            raise InputError("portfolio target: the sectors without their own target have zero DV01")
        k = (total_target - np.nansum(tgt)) / rest
        tgt[untargeted] = k * sd[untargeted]
    for s in range(S):
        if np.isnan(tgt[s]):
            continue
        if abs(sd[s]) < 1e-12:
            if abs(tgt[s]) > 1e-12:
                raise InputError(f"sector {inputs.sectors[s]} has zero DV01 but a nonzero target")
            ratio[s] = 0.0
        else:
            ratio[s] = tgt[s] / sd[s]
    x = inputs.sector_exposure.sum(axis=0)
    t = (ratio[:, None] * inputs.sector_exposure).sum(axis=0)
    data = ProblemData(
        sectors=list(inputs.sectors), instruments=list(inputs.instruments),
        factors=list(inputs.factors), pieces=pieces, S=Smat, x=x, t=t,
        B=inputs.instrument_exposure.T.copy(), d=inputs.instrument_dv01.copy(), sd=sd.copy(),
        smv=smv.copy(), mv=mv, notional=inputs.notional.copy(), im=inputs.initial_margin.copy(),
        h0=inputs.current.copy(), cov=inputs.cov.copy(),
        resid_var=float(inputs.sector_resid_var.sum()))
    return data, tgt


def _adopt_parameters(new: Constraint, old: Constraint) -> None:
    """``new`` writes its values into ``old``'s cvxpy Parameters when the two have the same
    structure: a compiled problem built with ``old`` then solves with ``new``'s numbers.
    (Parameters are matched by key and shape in ``Constraint._set``; a different structure
    changes ``HedgeProblem.signature`` and recompiles anyway.)"""
    if type(new) is type(old) and new.signature() == old.signature():
        new._p = old._p


class HedgeProblem:
    """The hedge problem, compiled once and re-solved with Parameters.

    ``direct_scip`` (default True): the integer solves build the MIQP directly in pyscipopt
    (every constraint's ``scip`` form); False, or a constraint without one, uses the cvxpy
    formulation through cvxpy's SCIP interface (a second-order cone).

    >>> prob = HedgeProblem(inputs, mandate)
    >>> prob.add_constraint(MarginBudget(5e6))
    >>> res = prob.solve(time_limit=5)
    """

    direct_scip = True

    def __init__(self, inputs: HedgeInputs, mandate: Limits | None = None) -> None:
        self.inputs = inputs
        self.mandate = mandate or Limits()
        if self.mandate.cost_weight < 0:
            raise InputError("cost_weight must be >= 0")
        self.constraints: list[Constraint] = self.mandate.constraints(inputs)
        self._compiled: dict[str, Any] = {}
        self._sig: tuple | None = None
        self._extra: list[Constraint] = []
        self._bind()

    # -- composition -------------------------------------------------------------------------
    def add_constraint(self, c: Constraint) -> HedgeProblem:
        if any(k.name == c.name for k in self.constraints):
            raise InputError(f"constraint {c.name!r} already present")
        self.constraints.append(c)
        self._extra.append(c)
        c.bind(self.data)
        return self

    def remove_constraint(self, name: str) -> Constraint:
        for k, c in enumerate(self.constraints):
            if c.name == name:
                self._extra = [e for e in self._extra if e.name != name]
                return self.constraints.pop(k)
        raise KeyError(name)

    def replace_constraint(self, c: Constraint) -> None:
        """Swap in ``c`` for the constraint of the same name. Same structure -> ``c`` takes over
        the old constraint's cvxpy Parameters (so a cached compiled problem sees its values)."""
        for k in self.constraints:
            if k.name == c.name and k is not c:
                _adopt_parameters(c, k)
        self.constraints = [c if k.name == c.name else k for k in self.constraints]
        self._extra = [c if k.name == c.name else k for k in self._extra]
        c.bind(self.data)

    def constraint(self, name: str) -> Constraint:
        return next(c for c in self.constraints if c.name == name)

    def update(self, inputs: HedgeInputs | None = None, mandate: Limits | None = None) -> None:
        """New numbers. Same structure -> only Parameter values change (no recompilation).

        Constraints added with ``add_constraint`` are kept; mandate constraints are rebuilt.
        """
        if inputs is not None:
            self.inputs = inputs
        if mandate is not None:
            if mandate.cost_weight < 0:
                raise InputError("cost_weight must be >= 0")
            self.mandate = mandate
            old = {c.name: c for c in self.constraints}
            new = mandate.constraints(self.inputs) + list(self._extra)
            for c in new:
                if c.name in old and old[c.name] is not c:
                    _adopt_parameters(c, old[c.name])
            self.constraints = new
        self._bind()

    def _bind(self) -> None:
        self.data, self.sector_targets = build_data(self.inputs, self.mandate)
        d = self.data
        Lt = cov_factor(d.cov)
        self.G = Lt @ d.B / K
        self.g = Lt @ (d.x - d.t) / K
        # ||G h + g||^2 = ||R h + c||^2 + ||g_perp||^2 with G = Qr R (reduced QR): the solver
        # sees only the hedgeable part (min(F, I) squares); the unhedgeable rest is a constant.
        Qr, self.R = np.linalg.qr(self.G, mode="reduced")
        self.c = Qr.T @ self.g
        self.g_perp2 = float(np.sum((self.g - Qr @ self.c) ** 2))
        self.rv = d.resid_var / K**2
        self.cw = self.mandate.cost_weight * self.inputs.cost_per_contract / K**2
        for c in self.constraints:
            c.bind(d)

    def signature(self) -> tuple:
        return (self.inputs.structure(), self.mandate.cost_weight > 0,
                tuple(c.signature() for c in self.constraints))

    # -- numerics ----------------------------------------------------------------------------
    def objective_k(self, Y: np.ndarray) -> np.ndarray:
        """Objective in $k^2 for (N, P) allocations."""
        tot = self.data.totals(np.atleast_2d(Y))
        z = tot @ self.G.T + self.g
        f = (z * z).sum(axis=1) + self.rv
        if self.mandate.cost_weight > 0:
            f = f + np.abs(tot - self.data.h0) @ self.cw
        return f

    def variance_usd(self, Y: np.ndarray) -> np.ndarray:
        tot = self.data.totals(np.atleast_2d(Y))
        z = tot @ self.G.T + self.g
        return ((z * z).sum(axis=1) + self.rv) * K**2

    def te_usd(self, y: np.ndarray) -> float:
        return float(math.sqrt(max(self.variance_usd(y)[0], 0.0)))

    def feasible_mask(self, Y: np.ndarray, constraints: Sequence[Constraint] | None = None
                      ) -> np.ndarray:
        Y = np.atleast_2d(Y)
        ok = np.ones(Y.shape[0], dtype=bool)
        for c in (self.constraints if constraints is None else constraints):
            ok &= c.ok(Y)
        return ok

    def broken(self, y: np.ndarray) -> list[str]:
        return [c.name for c in self.constraints if not c.check(y)]

    def _evaluate(self, Y):
        return self.objective_k(Y), self.feasible_mask(Y)

    def hard_box(self, constraints: Sequence[Constraint] | None = None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
        cons = self.constraints if constraints is None else constraints
        rows = [r for c in cons for r in c.rows()]
        P = self.data.P
        return propagate(rows, np.full(P, -np.inf), np.full(P, np.inf))

    def tot_box(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = self.data.S
        return (np.where(S > 0, lo, 0).sum(axis=1), np.where(S > 0, hi, 0).sum(axis=1))

    # -- cvxpy -------------------------------------------------------------------------------
    def _build(self, kind: str) -> dict[str, Any]:
        """One cvxpy problem of the family (all share the constraint objects' Parameters).

        kind: ``relax`` (continuous pieces, continuous totals), ``mip`` (integer totals h,
        continuous pieces y with S y = h: the MIQP actually solved), ``mip_pieces`` (integer
        pieces: the original formulation, the fallback), ``pieces`` (MILP: integer pieces with
        the totals fixed to the Parameter ``hfix``, minimizing sum |y|).
        """
        d = self.data
        P, I, F = d.P, d.I, len(d.factors)  # noqa: E741
        y = cp.Variable(P, integer=(kind in ("mip_pieces", "pieces")), name="contracts")
        par: dict[str, cp.Parameter] = {
            "lo": cp.Parameter(P, name="box_lo"), "hi": cp.Parameter(P, name="box_hi")}
        cons = [y >= par["lo"], y <= par["hi"]]
        h = None
        if kind == "mip":
            h = cp.Variable(I, integer=True, name="totals")
            par["tlo"], par["thi"] = cp.Parameter(I, name="tot_lo"), cp.Parameter(I, name="tot_hi")
            cons += [d.S @ y == h, h >= par["tlo"], h <= par["thi"]]
            tot = h
        else:
            tot = d.S @ y if P else cp.Constant(np.zeros(I))
        v = Vars(y=y, tot=tot, integer=(kind != "relax"))
        for c in self.constraints:
            cons += c.cvx(v)
        if kind == "pieces":
            par["hfix"] = cp.Parameter(I, name="fixed_totals")
            a = cp.Variable(P, nonneg=True, name="abs_piece")
            cons += [d.S @ y == par["hfix"], a >= y, a >= -y]
            prob = cp.Problem(cp.Minimize(cp.sum(a)), cons)
            return {"prob": prob, "y": y, "h": None, "par": par}
        par["G"] = cp.Parameter((min(F, I), I), name="R")
        par["g"] = cp.Parameter(min(F, I), name="c")
        par["rv"] = cp.Parameter(nonneg=True, name="constant_var")
        obj = cp.sum_squares(par["G"] @ tot + par["g"]) + par["rv"]
        if self.mandate.cost_weight > 0:
            par["cw"] = cp.Parameter(I, nonneg=True, name="cost_w")
            par["h0"] = cp.Parameter(I, name="h0")
            u = cp.Variable(I, name="trade")
            cons += [u >= tot - par["h0"], u >= par["h0"] - tot]
            obj = obj + par["cw"] @ u
        prob = cp.Problem(cp.Minimize(obj), cons)
        return {"prob": prob, "y": y, "h": h, "par": par}

    def _compiled_problem(self, kind: str) -> dict[str, Any]:
        sig = self.signature()
        if sig != self._sig:
            self._compiled = {}
            self._sig = sig
        if kind not in self._compiled:
            self._compiled[kind] = self._build(kind)
        return self._compiled[kind]

    def _set_params(self, comp: dict[str, Any], lo: np.ndarray, hi: np.ndarray,
                    tbox: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        par = comp["par"]
        par["lo"].value, par["hi"].value = lo, hi
        if "G" in par:
            par["G"].value, par["g"].value = self.R, self.c
            par["rv"].value = self.rv + self.g_perp2
        if "cw" in par:
            par["cw"].value, par["h0"].value = self.cw, self.data.h0
        tlo, thi = self.tot_box(lo, hi)
        if tbox is not None:
            tlo, thi = np.maximum(tlo, tbox[0]), np.minimum(thi, tbox[1])
        if "tlo" in par:
            par["tlo"].value, par["thi"].value = tlo, thi
        for c in self.constraints:
            c.set_box(tlo, thi)

    # -- solve -------------------------------------------------------------------------------
    def solve(self, *, time_limit: float = 10.0, solver: str = "SCIP",
              certify_limit: int = 200_000, enum_limit: int = 200_000,
              diagnose: bool = True) -> HedgeResult:
        """Solve for the integer hedge. Raises InfeasibleMandate or SolverFailure."""
        t_start = time.perf_counter()
        d = self.data
        warnings: list[str] = []
        for c in self.constraints:
            if isinstance(c, ContractBounds) and c.defaulted:
                warnings.append("no bound given for " + ", ".join(c.defaulted)
                                + ": default cap applied (see contract_bounds)")
        hb = self.hard_box()
        if hb is None:
            self._infeasible(diagnose, "the stated constraints admit no integer hedge "
                             "(bound propagation)")
        hlo, hhi = hb
        # continuous relaxation
        rel = self._compiled_problem("relax")
        self._set_params(rel, hlo, hhi)
        t0 = time.perf_counter()
        try:
            rel["prob"].solve(solver=cp.CLARABEL)
        except cp.SolverError:
            rel["prob"].solve(solver=cp.OSQP, eps_abs=1e-10, eps_rel=1e-10, max_iter=200000)
        t_relax = time.perf_counter() - t0
        if rel["prob"].status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            self._infeasible(diagnose, "the continuous relaxation is infeasible")
        if rel["y"].value is None:
            raise SolverFailure(f"continuous relaxation failed: {rel['prob'].status}")
        yc = np.clip(np.asarray(rel["y"].value, float), hlo, hhi)
        fc = float(self.objective_k(yc)[0])
        # naive rounding and a cheap incumbent (floor/ceil combinations)
        yr = np.clip(np.round(yc), hlo, hhi)
        rounded_broken = self.broken(yr)
        inc_y, inc_f = (yr, float(self.objective_k(yr)[0])) if not rounded_broken else (None,
                                                                                       math.inf)
        fl = np.floor(yc)
        if d.P <= 14:
            yi, fi, _ = enumerate_box(np.maximum(fl, hlo), np.minimum(fl + 1, hhi), self._evaluate)
            if yi is not None and fi < inc_f:
                inc_y, inc_f = yi, fi
        self._incumbent = inc_y
        lo, hi = self._objective_box(hlo, hhi, yc, fc, inc_f)
        if lo is None:
            self._infeasible(diagnose, "no integer hedge meets the stated constraints")
        # exact MIQP
        y_best, status, sinfo = None, "", {"name": solver, "status": "not_run", "gap": None,
                                           "seconds": 0.0}
        if solver == "SCIP" and "SCIP" in cp.installed_solvers():
            y_best, status, sinfo = self._solve_scip(lo, hi, time_limit, warnings)
            if status == "infeasible":
                self._infeasible(diagnose, "the integer problem is infeasible (SCIP)")
        elif solver != "enumerate":
            warnings.append(f"solver {solver} unavailable: enumeration fallback")
        certified = False
        if y_best is not None and status in ("optimal", "feasible_time_limit"):
            f_best = float(self.objective_k(y_best)[0])
            clo, chi = self._objective_box(hlo, hhi, yc, fc, f_best)
            if clo is not None and box_size(clo, chi) <= certify_limit:
                ye, fe, _ = enumerate_box(clo, chi, self._evaluate)
                certified = True
                if ye is not None and fe < f_best - 1e-12 * max(1.0, abs(f_best)):
                    warnings.append("enumeration improved on the solver's point "
                                    f"({fe * K**2:.6g} < {f_best * K**2:.6g} USD^2)")
                    y_best, f_best = ye, fe
                status = "optimal"
        if y_best is None:  # fallback
            y_best, status = self._fallback(lo, hi, yc, inc_y, inc_f, enum_limit, warnings)
            certified = status == "optimal_enumeration"
        bad = self.broken(y_best)
        if bad:
            raise SolverFailure("internal: the chosen hedge breaks " + ", ".join(bad))
        sinfo["seconds_total"] = time.perf_counter() - t_start
        sinfo["seconds_relaxation"] = t_relax
        return self._result(status, y_best, yc, yr, rounded_broken, sinfo, (lo, hi), certified,
                            warnings)

    def _objective_box(self, hlo, hhi, yc, fc, U):
        if not math.isfinite(U):
            self._tbox = None
            return hlo, hhi
        Q = self.G.T @ self.G
        hw = ellipsoid_halfwidths(Q, objective_radius(U, fc))
        tc = self.data.S @ yc
        rows = [r for c in self.constraints for r in c.rows()]
        tlo, thi = np.full(self.data.I, -np.inf), np.full(self.data.I, np.inf)
        for i in range(self.data.I):
            if np.isfinite(hw[i]):
                rows.append((self.data.S[i], tc[i] - hw[i] - 1e-6, tc[i] + hw[i] + 1e-6))
                tlo[i], thi[i] = tc[i] - hw[i] - 1e-6, tc[i] + hw[i] + 1e-6
        res = propagate(rows, hlo, hhi)
        if res is None:
            self._tbox = None
            return None, None
        self._tbox = propagate([], tlo, thi)  # integer rounding (inward, with slack)
        return res

    def _solve_scip(self, lo, hi, time_limit, warnings):
        """Integer totals + continuous pieces (MIQP), then integer pieces for those totals (MILP).

        Why this is exact: the objective and every constraint except the sector DV01 bands
        (and the per-piece sign/bound rules) depend on y only through the totals h = S y. The
        MIQP over (integer h, continuous y) is a relaxation of the original problem (integer y
        implies integer h), so its optimum f_R <= f* (the original optimum). If the MILP then
        finds integer pieces y' with S y' = h_R meeting the bands and piece bounds, y' is
        feasible for the original problem with objective f(h_R) = f_R <= f*: it is optimal.
        (With a time limit the same argument carries SCIP's dual bound over: the gap is the
        relaxation's gap.) If no integer pieces exist for h_R (a band narrower than a
        contract's DV01), the original all-integer-pieces MIQP is solved instead.
        """
        info: dict[str, Any] = {"name": "SCIP", "status": "error", "gap": None, "seconds": 0.0,
                                "formulation": "integer totals + continuous pieces"}
        t0 = time.perf_counter()
        y, status, h = self._scip_run("mip", lo, hi, time_limit, warnings, info)
        if status == "infeasible" or h is None:
            info["seconds"] = time.perf_counter() - t0
            return y, status, info
        yp = self._integer_pieces(h, lo, hi, max(0.5, min(2.0, time_limit)))
        info["seconds_pieces"] = time.perf_counter() - t0 - info.get("seconds_miqp", 0.0)
        if yp is None:
            warnings.append("no integer sector allocation for the optimal totals (a band is "
                            "narrower than a contract's DV01): solved with integer pieces")
            info["formulation"] = "integer pieces (fallback)"
            y, status, _ = self._scip_run("mip_pieces", lo, hi, time_limit, warnings, info)
            info["seconds"] = time.perf_counter() - t0
            return y, status, info
        info["seconds"] = time.perf_counter() - t0
        return yp, status, info

    def _scip_direct(self, kind, lo, hi, time_limit, hfix=None):
        """The MIQP (or the pieces MILP) built directly in pyscipopt, same scaling as the cvxpy
        forms: ``min t + cost`` s.t. ``||R h + c||^2 <= t`` (a convex quadratic constraint),
        every constraint's ``scip`` form. kind: ``mip`` (integer totals, continuous pieces),
        ``mip_pieces`` (integer pieces), ``pieces`` (totals fixed to ``hfix``, min sum |y|).
        Returns (model, y vars, h vars) or None when a constraint has no direct form."""
        import pyscipopt as ps

        d = self.data
        m = ps.Model()
        m.hideOutput(True)
        tlo, thi = self.tot_box(lo, hi)
        tb = getattr(self, "_tbox", None)
        if tb is not None:
            tlo, thi = np.maximum(tlo, tb[0]), np.minimum(thi, tb[1])
        for c in self.constraints:
            c.set_box(tlo, thi)

        def _b(v):
            return None if not np.isfinite(v) else float(v)

        yt = "I" if kind in ("mip_pieces", "pieces") else "C"
        y = [m.addVar(lb=_b(lo[p]), ub=_b(hi[p]), vtype=yt, name=f"y{p}") for p in range(d.P)]
        if kind == "pieces":
            h = [m.addVar(lb=float(hfix[i]), ub=float(hfix[i]), vtype="I", name=f"h{i}")
                 for i in range(d.I)]
        else:
            h = [m.addVar(lb=_b(tlo[i]), ub=_b(thi[i]), vtype="I" if kind == "mip" else "C",
                          name=f"h{i}") for i in range(d.I)]
        for i in range(d.I):
            m.addCons(ps.quicksum(y[p] for p in np.nonzero(d.S[i])[0]) == h[i])
        for c in self.constraints:
            if not c.scip(m, y, h):
                return None
        if kind == "pieces":
            a = [m.addVar(lb=0.0, name=f"a{p}") for p in range(d.P)]
            for p in range(d.P):
                m.addCons(a[p] >= y[p])
                m.addCons(a[p] >= -y[p])
            m.setObjective(ps.quicksum(a), "minimize")
        else:
            # separable epigraph: s_k = (R h + c)_k, s_k^2 <= t_k, objective sum t_k (one
            # univariate convex constraint per square: tight outer-approximation cuts)
            ts = []
            for k in range(self.R.shape[0]):
                sk = m.addVar(lb=None, name=f"s{k}")
                tk = m.addVar(lb=0.0, name=f"t{k}")
                m.addCons(sk == float(self.c[k]) + ps.quicksum(
                    float(self.R[k, i]) * h[i] for i in range(d.I) if self.R[k, i] != 0))
                m.addCons(sk * sk <= tk)
                ts.append(tk)
            t = ps.quicksum(ts)
            obj = t
            if self.mandate.cost_weight > 0:
                for i in range(d.I):
                    if self.cw[i] > 0:
                        u = m.addVar(lb=0.0, name=f"trade{i}")
                        m.addCons(u >= h[i] - float(d.h0[i]))
                        m.addCons(u >= float(d.h0[i]) - h[i])
                        obj = obj + float(self.cw[i]) * u
            m.setObjective(obj, "minimize")
        m.setParam("limits/time", float(time_limit))
        # both to a zero gap (SCIP's 1e-9); the pieces MILP runs under a short time limit
        # (any integer pieces certify the totals; at the limit the best found is reported)
        m.setParam("limits/gap", 0.0 if kind == "pieces" else 1e-9)
        m.setParam("limits/absgap", 0.0)
        # tiny models: SCIP's default presolve and primal heuristics cost more than the search
        m.setPresolve(ps.SCIP_PARAMSETTING.FAST)
        m.setHeuristics(ps.SCIP_PARAMSETTING.FAST)
        start = getattr(self, "_incumbent", None)
        if kind != "pieces" and start is not None:
            try:  # the best known integer-feasible point as a (partial) starting solution
                sol = m.createPartialSol()
                for p in range(d.P):
                    m.setSolVal(sol, y[p], float(start[p]))
                for i, v in enumerate(d.S @ start):
                    m.setSolVal(sol, h[i], float(v))
                m.addSol(sol)
            except Exception:  # noqa: BLE001 - a hint only
                pass
        return m, y, h

    def _scip_run(self, kind, lo, hi, time_limit, warnings, info):
        """Solve compiled problem ``kind`` with SCIP: (y, status, integer totals or None)."""
        t0 = time.perf_counter()
        direct = self._scip_direct(kind, lo, hi, time_limit) if self.direct_scip else None
        if direct is not None:
            return self._scip_direct_run(direct, kind, lo, hi, warnings, info, t0)
        mip = self._compiled_problem(kind)
        self._set_params(mip, lo, hi, getattr(self, "_tbox", None))
        try:
            with quiet_solver():
                mip["prob"].solve(solver=cp.SCIP, scip_params={
                    "limits/time": float(time_limit), "limits/gap": 0.0, "limits/absgap": 0.0,
                    })
        except Exception as e:  # noqa: BLE001 - any solver crash -> fallback
            warnings.append(f"SCIP failed: {e}")
            info["seconds_miqp"] = time.perf_counter() - t0
            return None, "", None
        info["seconds_miqp"] = time.perf_counter() - t0
        st = mip["prob"].solver_stats
        extra = st.extra_stats or {}
        scip_status = extra.get("scip_status", mip["prob"].status)
        info["status"] = scip_status
        info["solve_seconds"] = st.solve_time
        model = extra.get("model")
        if model is not None:
            try:
                info["gap"] = float(model.getGap())
                info["primal_bound"] = float(model.getPrimalbound())
                info["dual_bound"] = float(model.getDualbound())
                info["nodes"] = int(model.getNNodes())
                info["gap_source"] = ("SCIP getGap() = |primal - dual| / min(|primal|, |dual|) "
                                      "on SCIP's objective (without cvxpy's constant offset)")
            except Exception:  # noqa: BLE001
                pass
        if scip_status == "infeasible":
            return None, "infeasible", None
        status = "optimal" if scip_status == "optimal" else "feasible_time_limit"
        if kind == "mip":
            hv = mip["h"].value
            if hv is None:
                warnings.append(f"SCIP returned no point (status {scip_status})")
                return None, "", None
            return None, status, np.round(np.asarray(hv, float))
        yv = mip["y"].value
        if yv is None:
            warnings.append(f"SCIP returned no point (status {scip_status})")
            return None, "", None
        y = np.clip(np.round(np.asarray(yv, float)), lo, hi)
        if self.broken(y):
            warnings.append("SCIP point breaks " + ", ".join(self.broken(y))
                            + " after rounding to integers: fallback")
            return None, "", None
        return y, status, None

    def _scip_direct_run(self, direct, kind, lo, hi, warnings, info, t0):
        m, yv, hv = direct
        try:
            with quiet_solver():
                m.optimize()
        except Exception as e:  # noqa: BLE001 - any solver crash -> fallback
            warnings.append(f"SCIP failed: {e}")
            info["seconds_miqp"] = time.perf_counter() - t0
            return None, "", None
        info["seconds_miqp"] = time.perf_counter() - t0
        scip_status = m.getStatus()
        info["status"] = scip_status
        info["interface"] = "pyscipopt (direct MIQP: quadratic epigraph)"
        info["solve_seconds"] = float(m.getSolvingTime())
        try:
            info["gap"] = float(m.getGap())
            info["primal_bound"] = float(m.getPrimalbound())
            info["dual_bound"] = float(m.getDualbound())
            info["nodes"] = int(m.getNNodes())
            info["gap_source"] = ("SCIP getGap() = |primal - dual| / min(|primal|, |dual|) on "
                                  "the hedgeable part of the objective ($k^2, without the "
                                  "constant unhedgeable variance)")
        except Exception:  # noqa: BLE001
            pass
        if scip_status == "infeasible":
            return None, "infeasible", None
        if m.getNSols() == 0:
            warnings.append(f"SCIP returned no point (status {scip_status})")
            return None, "", None
        status = "optimal" if scip_status == "optimal" else "feasible_time_limit"
        sol = m.getBestSol()
        if kind == "mip":
            return None, status, np.round(np.array([m.getSolVal(sol, v) for v in hv]))
        y = np.clip(np.round(np.array([m.getSolVal(sol, v) for v in yv])), lo, hi)
        if self.broken(y):
            warnings.append("SCIP point breaks " + ", ".join(self.broken(y))
                            + " after rounding to integers: fallback")
            return None, "", None
        return y, status, None

    def _integer_pieces(self, h, lo, hi, time_limit: float = 5.0) -> np.ndarray | None:
        """Integer pieces y with S y = h meeting every constraint, minimizing sum |y| (no
        offsetting allocations unless a band needs them); None when there are none."""
        d = self.data
        if np.any(self.tot_box(lo, hi)[0] > h) or np.any(self.tot_box(lo, hi)[1] < h):
            return None
        # one designated sector per instrument and no band touching it: the piece is the total
        if all(int(d.S[i].sum()) == 1 for i in range(d.I)):
            y = d.S.T @ h
            return y if not self.broken(y) else None
        direct = self._scip_direct("pieces", lo, hi, time_limit, hfix=h) \
            if self.direct_scip and "SCIP" in cp.installed_solvers() else None
        if direct is not None:
            m, yv, _ = direct
            try:
                with quiet_solver():
                    m.optimize()
                st = m.getStatus()
            except Exception:  # noqa: BLE001 - the cvxpy route below
                st = "error"
            if st == "infeasible":
                return None
            if st != "error" and m.getNSols() > 0:
                sol = m.getBestSol()
                y = np.round(np.array([m.getSolVal(sol, v) for v in yv]))
                if np.array_equal(d.S @ y, h) and not self.broken(y):
                    return y
        comp = self._compiled_problem("pieces")
        self._set_params(comp, lo, hi)
        comp["par"]["hfix"].value = h
        for solver, opts in (("HIGHS", {"time_limit": float(time_limit), "mip_rel_gap": 0.0}),
                             ("SCIP", {"scip_params": {"limits/time": float(time_limit)}})):
            if solver not in cp.installed_solvers():
                continue
            try:
                with quiet_solver():
                    comp["prob"].solve(solver=solver, **opts)
            except Exception:  # noqa: BLE001 - try the next solver
                continue
            if comp["prob"].status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
                return None
            yv = comp["y"].value
            if yv is None:
                continue
            y = np.round(np.asarray(yv, float))
            if np.array_equal(d.S @ y, h) and not self.broken(y):
                return y
        return None

    def _fallback(self, lo, hi, yc, inc_y, inc_f, enum_limit, warnings):
        n = box_size(lo, hi)
        if n <= enum_limit:
            ye, fe, _ = enumerate_box(lo, hi, self._evaluate)
            if ye is None:
                self._infeasible(True, "no integer hedge meets the stated constraints "
                                 "(exhaustive enumeration of the valid box)")
            return ye, "optimal_enumeration"
        # neighbourhood: the largest radius r around round(yc) whose box fits the budget
        yr = np.round(yc)
        best_y, best_f = inc_y, inc_f
        r = 0
        while r < 10_000 and box_size(np.maximum(yr - r - 1, lo),
                                      np.minimum(yr + r + 1, hi)) <= enum_limit:
            r += 1
        ye, fe, _ = enumerate_box(np.maximum(yr - r, lo), np.minimum(yr + r, hi), self._evaluate)
        if ye is not None and fe < best_f:
            best_y, best_f = ye, fe
        if best_y is None:
            raise SolverFailure("no solver result and no feasible point in the neighbourhood "
                                "of the continuous optimum")
        warnings.append(f"heuristic: best of the integer points within +-{r} "
                        "contracts of the rounded continuous optimum; optimality not proven")
        return best_y, "heuristic_neighbourhood"

    def _infeasible(self, diagnose: bool, why: str):
        if not diagnose:
            raise InfeasibleMandate(f"infeasible mandate: {why}")
        from optimizer.core.diagnose import diagnose as _diag

        raise _diag(self, why)

    # -- result ------------------------------------------------------------------------------
    def _result(self, status, y, yc, yr, rounded_broken, sinfo, box, certified, warnings):
        d = self.data
        names = d.instruments
        tot = d.totals(y[None])[0]
        totc = d.totals(yc[None])[0]
        totr = d.totals(yr[None])[0]
        sa = d.sector_after(y[None])[0]
        expo_after = d.x + d.B @ tot
        mv = d.mv
        te_after = self.te_usd(y)
        sectors = []
        for s, nm in enumerate(d.sectors):
            tg = self.sector_targets[s]
            sectors.append({"sector": nm, "market_value": float(d.smv[s]),
                            "dv01_before": float(d.sd[s]),
                            "dv01_target": None if np.isnan(tg) else float(tg),
                            "dv01_after": float(sa[s])})
        alloc = [{"sector": d.sectors[s], "instrument": names[i], "contracts": int(y[p])}
                 for p, (s, i) in enumerate(d.pieces)]
        dv_after = float(d.sd.sum() + tot @ d.d)
        return HedgeResult(
            status=status, instruments=list(names),
            contracts={n: int(v) for n, v in zip(names, tot, strict=True)},
            allocation=alloc, objective=float(self.objective_k(y)[0] * K**2),
            te_before_usd=self.te_usd(np.zeros(d.P)), te_after_usd=te_after,
            te_after_bp=te_after / mv * 1e4 if mv > 0 else float("nan"),
            te_continuous_usd=self.te_usd(yc),
            continuous_contracts={n: float(v) for n, v in zip(names, totc, strict=True)},
            te_rounded_usd=self.te_usd(yr),
            rounded_contracts={n: int(v) for n, v in zip(names, totr, strict=True)},
            rounded_broken=rounded_broken, sectors=sectors,
            portfolio={"market_value": mv, "dv01_before": float(d.sd.sum()),
                       "dv01_after": dv_after,
                       "duration_before": float(d.sd.sum() / mv * 1e4) if mv > 0 else None,
                       "duration_after": dv_after / mv * 1e4 if mv > 0 else None},
            key_rates=[{"factor": f, "before": float(d.x[k]), "after": float(expo_after[k])}
                       for k, f in enumerate(d.factors)],
            gross_notional=float(np.abs(tot) @ d.notional),
            leverage_ratio=float(np.abs(tot) @ d.notional / mv) if mv > 0 else float("nan"),
            initial_margin=float(np.abs(tot) @ d.im), solver=sinfo,
            constraints=[{**c.to_dict(), "satisfied": c.check(y)} for c in self.constraints],
            bounds={"lower": {f"{d.sectors[s]}/{names[i]}": int(box[0][p])
                              for p, (s, i) in enumerate(d.pieces)},
                    "upper": {f"{d.sectors[s]}/{names[i]}": int(box[1][p])
                              for p, (s, i) in enumerate(d.pieces)}},
            certified=certified, warnings=warnings)

    # -- explain -----------------------------------------------------------------------------
    def explain(self, path: str | None = None, result: HedgeResult | None = None
                ) -> dict[str, Any]:
        """All problem data (to re-verify the optimum independently) as JSON-ready dict."""
        d = self.data
        hb = self.hard_box()
        out = {
            "units": {"exposure": "USD per bp (DV01 sign: gain for a 1 bp fall)",
                      "cov": "bp^2 per year", "objective": "USD^2 per year",
                      "contracts": "signed integers"},
            "objective": "minimize (x + B h - t)' cov (x + B h - t) + resid_var"
                         " + cost_weight * sum_i cost_i |h_i - h0_i|",
            "factors": d.factors, "sectors": d.sectors, "instruments": d.instruments,
            "allocation_variables": [{"sector": d.sectors[s], "instrument": d.instruments[i]}
                                     for s, i in d.pieces],
            "x_portfolio_exposure": d.x.tolist(), "t_target_exposure": d.t.tolist(),
            "sector_exposure": self.inputs.sector_exposure.tolist(),
            "B_instrument_exposure_by_factor": d.B.tolist(), "cov": d.cov.tolist(),
            "instrument_dv01": d.d.tolist(), "sector_dv01": d.sd.tolist(),
            "sector_target_dv01": [None if np.isnan(v) else float(v)
                                   for v in self.sector_targets],
            "sector_market_value": d.smv.tolist(), "portfolio_market_value": d.mv,
            "notional": d.notional.tolist(), "initial_margin": d.im.tolist(),
            "current": d.h0.tolist(), "resid_var": d.resid_var,
            "cost_per_contract": self.inputs.cost_per_contract.tolist(),
            "cost_weight": self.mandate.cost_weight,
            "hard_box": None if hb is None else {"lower": hb[0].tolist(),
                                                  "upper": hb[1].tolist()},
            "constraints": [c.to_dict() for c in self.constraints],
        }
        if result is not None:
            out["result"] = result.to_dict()
        if path is not None:
            with open(path, "w") as fh:
                json.dump(out, fh, indent=2, default=float)
        return out


def solve(inputs: HedgeInputs, mandate: Limits | None = None, **kw: Any) -> HedgeResult:
    """One-shot: build the problem and solve it (see HedgeProblem.solve for keywords)."""
    return HedgeProblem(inputs, mandate).solve(**kw)


__all__ = ["HedgeInputs", "HedgeProblem", "HedgeResult", "Limits", "DV01Target", "solve",
           "build_data"]
