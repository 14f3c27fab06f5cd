"""The hedge problem (SPEC §6): integer futures contracts minimizing tracking error to a target.

:class:`HedgeInputs` (assembled numbers) + :class:`Limits` -> :class:`HedgeProblem` ->
:class:`HedgeResult`. Variables: integer totals ``h`` (the account's positions, one per contract)
and integer pieces ``y`` (the part of each total designated to a sector), every piece of its
total's sign (real positions, no offsetting paper designations). Objective: tracking-error
variance to the target exposure (+ optional trading cost), see :mod:`optimizer.core.model`.

Solving (``method="bnb"``, the default) is the exact method of :mod:`optimizer.core.bnb`:
branch-and-bound on the sign/zero structure with rigorous node bounds and lattice enumeration of
the leaves; statuses ``optimal`` (tree exhausted: gap 0 within 1e-9 relative), or
``feasible_node_limit`` / ``feasible_time_limit`` with the proven gap; an infeasible mandate
raises :class:`InfeasibleMandate` with the diagnosis. Every hedge returned has passed the exact
rational check of every constraint (``solver["exact_check"]``). ``method="scip"`` solves the
textbook MIQP with SCIP instead (an independent engine for cross-checks). The continuous
optimum of the same problem (real positions and K kept, integrality dropped:
:mod:`optimizer.core.continuous`) is reported beside the integer hedge with its naive rounding
and the constraints that rounding breaks.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import numpy as np

from data.errors import InputError, Notice
from optimizer.core.bnb import BranchAndBound, Outcome
from optimizer.core.bnb import Limits as SearchLimits
from optimizer.core.compile import quiet_solver, scip_textbook
from optimizer.core.constraints import Constraint, ContractBounds
from optimizer.core.continuous import ContinuousSearch
from optimizer.core.diagnose import diagnose as _diagnose
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.exact import exact_check
from optimizer.core.inputs import HedgeInputs
from optimizer.core.limits import DV01Target, Limits
from optimizer.core.model import HedgeModel, build_data, build_model
from optimizer.core.pieces import Pieces
from optimizer.core.result import Continuous, HedgeResult, build_result

K = 1e3
METHOD = ("branch-and-bound on contract signs and zeros (HiGHS node QPs, bounds by weak "
          "duality) + LLL lattice enumeration of the leaves")


class HedgeProblem:
    """The hedge problem of ``inputs`` under ``mandate``; re-solved after :meth:`update`.

    >>> prob = HedgeProblem(inputs, limits)
    >>> res = prob.solve()                      # exact, status and proven gap in res.solver
    >>> prob.update(mandate=replace(limits, margin_budget=8e6)); prob.solve()
    """

    def __init__(self, inputs: HedgeInputs, mandate: Limits | None = None) -> None:
        self.inputs = inputs
        self.mandate = mandate or Limits()
        self._extra: list[Constraint] = []
        self._overrides: dict[str, Constraint] = {}  # mandate constraints replaced by name
        self._rebuild()

    # -- composition ---------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.model: HedgeModel = build_model(self.inputs, self.mandate, self._extra,
                                             self._overrides)

    @property
    def constraints(self) -> list[Constraint]:
        return self.model.constraints

    @property
    def data(self) -> Any:
        return self.model.data

    def constraint(self, name: str) -> Constraint:
        return next(c for c in self.constraints if c.name == name)

    def add_constraint(self, c: Constraint) -> HedgeProblem:
        if any(k.name == c.name for k in self.constraints):
            raise InputError(f"constraint {c.name!r} already present")
        self._extra.append(c)
        self._rebuild()
        return self

    def remove_constraint(self, name: str) -> Constraint:
        c = self.constraint(name)
        if any(e.name == name for e in self._extra):
            self._extra = [e for e in self._extra if e.name != name]
            self._rebuild()
            return c
        raise KeyError(f"{name} is a mandate constraint: change the mandate (update) instead")

    def replace_constraint(self, c: Constraint) -> None:
        """Swap in ``c`` for the constraint of the same name (an added one, or one of the
        mandate's until the next :meth:`update` with a new mandate)."""
        if any(e.name == c.name for e in self._extra):
            self._extra = [c if e.name == c.name else e for e in self._extra]
        elif any(k.name == c.name for k in self.constraints):
            self._overrides[c.name] = c
        else:
            raise KeyError(c.name)
        self._rebuild()

    def update(self, inputs: HedgeInputs | None = None, mandate: Limits | None = None) -> None:
        """New numbers. With the same structure the compiled relaxation is reused (only its
        Parameter values change); added constraints are kept."""
        if inputs is not None:
            self.inputs = inputs
        if mandate is not None:
            self.mandate = mandate
            self._overrides = {}
        self._rebuild()

    # -- numerics ------------------------------------------------------------------------
    def te_usd(self, h: np.ndarray) -> float:
        return self.model.te_usd(np.asarray(h, float))

    def broken(self, h: np.ndarray, y: np.ndarray) -> list[str]:
        return self.model.broken(np.asarray(h, float), np.asarray(y, float))

    def continuous(self) -> tuple[np.ndarray, float]:
        """The continuous optimum of the same problem (totals, objective $k^2): contracts and
        pieces continuous, the sign rule and K kept (:mod:`optimizer.core.continuous`), so that
        integer vs continuous measures integrality alone (SPEC §6)."""
        if self.model.box is None:
            raise SolverFailure("continuous relaxation: infeasible (bound propagation)")
        h, _, val = ContinuousSearch(self.model).run()
        return h, val

    # -- solve ---------------------------------------------------------------------------
    def solve(self, *, time_limit: float = 10.0, diagnose: bool = True, method: str = "bnb",
              node_limit: int = 50_000, work_limit: int = 50_000_000) -> HedgeResult:
        """The integer hedge. Raises InfeasibleMandate (with the diagnosis when ``diagnose``)
        or SolverFailure. ``time_limit`` (wall seconds) is a safety net only: the node and
        enumeration-work limits decide, so statuses do not depend on machine load."""
        t0 = time.perf_counter()
        m = self.model
        if m.box is None:
            raise self._infeasible(diagnose, "the stated constraints admit no integer hedge "
                                   "(bound propagation)")
        out = self._search(method, time_limit, node_limit, work_limit)
        if out.h is None or out.y is None:
            raise self._infeasible(diagnose, "no integer hedge of real positions meets the "
                                   "stated constraints (search exhausted)")
        h, y = out.h, out.y
        nice = Pieces(m).find(h, nice=True)
        if nice is not None and not exact_check(m.forms, h, nice, m.data.piece_instrument):
            y = nice
        bad = exact_check(m.forms, h, y, m.data.piece_instrument)
        if bad:
            raise SolverFailure("internal: the hedge found breaks " + ", ".join(bad)
                                + " in exact arithmetic")
        cont, warnings = self._continuous_report(out)
        info = self._solver_info(method, out, time_limit, node_limit, work_limit)
        info["seconds_total"] = time.perf_counter() - t0
        warnings = self._notices(out) + warnings
        return build_result(m, out.status, h, y, cont, info, warnings)

    def _search(self, method: str, time_limit: float, node_limit: int, work_limit: int
                ) -> Outcome:
        if method == "bnb":
            lim = SearchLimits(node_limit=node_limit, work_limit=work_limit,
                               time_limit=time_limit)
            return BranchAndBound(self.model, lim).run()
        if method == "scip":
            return _scip_outcome(self.model, time_limit)
        raise InputError(f"unknown method {method!r} (bnb or scip)")

    def _infeasible(self, diagnose: bool, why: str) -> InfeasibleMandate:
        if not diagnose:
            return InfeasibleMandate(f"infeasible mandate: {why}", why=why)
        return _diagnose(self.model, why, self._verify)

    def _verify(self, c: Constraint, t: float) -> tuple[bool, list[int]]:
        """Solve the mandate with ``c`` widened by ``t``: is there a hedge? (diagnosis)."""
        extra = list(self._extra)
        mandate = self.mandate
        if any(e.name == c.name for e in extra):
            extra = [c.widened(t) if e.name == c.name else e for e in extra]
        else:
            mandate = replace(mandate, **c.mandate_changes(mandate, t))
        over = {k: v for k, v in self._overrides.items() if k != c.name}
        if c.name in self._overrides:
            over[c.name] = c.widened(t)
        model = build_model(self.inputs, mandate, extra, over)
        if model.box is None:
            return False, []
        try:
            out = BranchAndBound(model, SearchLimits(node_limit=20_000, time_limit=30.0)).run()
        except SolverFailure:
            return False, []
        return out.h is not None, [] if out.h is None else [int(v) for v in out.h]

    def _continuous_report(self, out: Outcome) -> tuple[Continuous, list[Any]]:
        m = self.model
        warnings: list[Any] = []
        try:
            hc, val = self.continuous()
        except SolverFailure as exc:
            warnings.append(Notice("continuous_failed", str(exc), "solver", "info"))
            hc, val = out.h.copy() if out.h is not None else np.zeros(m.data.I), float("nan")
        if np.isfinite(val) and val > out.objective + 1e-6 * max(1.0, abs(out.objective)):
            warnings.append(Notice("relaxation_check", f"the continuous optimum ({val:.6g}) is "
                                   f"above the integer optimum ({out.objective:.6g}) $k^2",
                                   "solver", "warning"))
        hr = np.clip(np.round(hc), m.box[0][:m.data.I], m.box[1][:m.data.I]) \
            if m.box is not None else np.round(hc)
        yr = Pieces(m).find(hr)
        broken: list[str] = []
        if yr is None:  # report the first designation of each contract
            yr = np.zeros(m.data.P)
            for i in range(m.data.I):
                ps = np.nonzero(m.data.S[i])[0]
                if len(ps):
                    yr[int(ps[0])] = hr[i]
            broken.append("no real sector designation meets the bands")
        broken = [*m.broken(hr, yr), *broken]
        return Continuous(h=hc, h_rounded=hr, y_rounded=yr, rounded_broken=broken), warnings

    def _solver_info(self, method: str, out: Outcome, time_limit: float, node_limit: int,
                     work_limit: int) -> dict[str, Any]:
        st = out.stats
        return {
            "name": "overlay-bnb" if method == "bnb" else "SCIP",
            "method": METHOD if method == "bnb" else "textbook MIQP (sign binaries), SCIP",
            "status": out.status, "gap": out.gap, "bound": out.bound * K**2,
            "objective": out.objective * K**2, "gap_tolerance": 1e-9,
            "nodes": st.get("nodes"), "seconds": st.get("seconds"),
            "cpu_seconds": st.get("cpu_seconds"), "exact_check": True,
            "leaves": st.get("leaves"), "qp_solves": st.get("qp_solves"),
            "enumerated_points": st.get("enum_points"),
            "limits": {"nodes": node_limit, "enumeration_work": work_limit,
                       "time_seconds": time_limit},
            "gap_definition": "(objective - bound) / objective, objective = TE variance "
                              "(+ trading cost) in USD^2/yr"}

    def _notices(self, out: Outcome) -> list[Any]:
        notes: list[Any] = []
        for c in self.constraints:
            if isinstance(c, ContractBounds) and c.defaulted:
                notes.append(Notice("default_contract_cap", "no bound given: default cap "
                                    "applied (see contract_bounds)", ", ".join(c.defaulted),
                                    "info"))
        if out.status != "optimal":
            notes.append(Notice("not_proven_optimal", f"search stopped ({out.status}) with a "
                                f"proven gap of {out.gap:.3g}", "solver", "warning"))
        return notes

    # -- explain -------------------------------------------------------------------------
    def explain(self, path: str | None = None, result: HedgeResult | None = None
                ) -> dict[str, Any]:
        """All problem data (to re-verify the optimum independently) as a JSON-ready dict."""
        d, m = self.data, self.model
        out: dict[str, Any] = {
            "units": {"exposure": "USD per bp (DV01 sign: gain for a 1 bp fall)",
                      "cov": "bp^2 per year", "objective": "USD^2 per year",
                      "contracts": "signed integers"},
            "objective": "minimize (x + B h - t)' cov (x + B h - t) + resid_var"
                         " + cost_weight * sum_i cost_i |h_i - h0_i|",
            "rules": "pieces y[s,i] of contract i sum to h_i and have its sign (or are 0)",
            "factors": d.factors, "sectors": d.sectors, "instruments": d.instruments,
            "allocation_variables": [{"sector": d.sectors[s], "instrument": d.instruments[i]}
                                     for s, i in d.pieces],
            "x_portfolio_exposure": d.x.tolist(), "t_target_exposure": d.t.tolist(),
            "sector_exposure": np.asarray(self.inputs.sector_exposure).tolist(),
            "B_instrument_exposure_by_factor": d.B.tolist(), "cov": d.cov.tolist(),
            "instrument_dv01": d.d.tolist(), "sector_dv01": d.sd.tolist(),
            "sector_target_dv01": [None if np.isnan(v) else float(v) for v in m.targets],
            "sector_market_value": d.smv.tolist(), "portfolio_market_value": d.mv,
            "notional": d.notional.tolist(), "leverage_weight": d.leverage_weight.tolist(),
            "initial_margin": d.im.tolist(), "current": d.h0.tolist(),
            "resid_var": d.resid_var,
            "cost_per_contract": np.asarray(self.inputs.cost_per_contract).tolist(),
            "cost_weight": self.mandate.cost_weight,
            "hard_box": None if m.box is None else {"lower": m.box[0][:d.I].tolist(),
                                                   "upper": m.box[1][:d.I].tolist()},
            "constraints": [c.to_dict() for c in self.constraints],
        }
        if result is not None:
            out["result"] = result.to_dict()
        if path is not None:
            with open(path, "w") as fh:
                json.dump(out, fh, indent=2, default=float)
        return out


def _scip_outcome(model: HedgeModel, time_limit: float) -> Outcome:
    r = scip_textbook(model, time_limit)
    stats = {"nodes": r["nodes"], "seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]}
    if r["status"] == "infeasible":
        return Outcome("infeasible", None, None, np.inf, np.inf, stats)
    if "h" not in r:
        raise SolverFailure(f"SCIP returned no hedge (status {r['status']})")
    status = "optimal" if r["status"] == "optimal" else "feasible_time_limit"
    return Outcome(status, r["h"], r["y"], r["objective"],
                   r["objective"] if status == "optimal" else r["dual_bound"], stats)


def solve(inputs: HedgeInputs, mandate: Limits | None = None, **kw: Any) -> HedgeResult:
    """One-shot: build the problem and solve it (see :meth:`HedgeProblem.solve`)."""
    return HedgeProblem(inputs, mandate).solve(**kw)


__all__ = ["DV01Target", "HedgeInputs", "HedgeProblem", "HedgeResult", "Limits", "build_data",
           "quiet_solver", "solve"]
