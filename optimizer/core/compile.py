"""The forms compiled for other solvers: cvxpy (continuous relaxation) and SCIP (textbook MIQP).

* :class:`CvxRelaxation` -- the convex relaxation in cvxpy with every number a ``Parameter``
  (compiled once per structure; new numbers only change Parameter values): continuous totals
  and pieces (any sign), ``|h - ref|`` through aux variables, the cardinality through
  ``u <= M z, sum z <= K, 0 <= z <= 1``. Its optimum is the "continuous optimum" a PM sees
  next to the integer hedge (SPEC §6) and a cross-check of the exact method's root bound.
* :func:`scip_textbook` -- the same problem as a plain MIQP for SCIP (pyscipopt): integer
  totals and pieces, one sign binary per shared contract (``-M (1 - s_i) <= y_p <= M s_i``),
  cardinality binaries, the objective as a separable epigraph. An independent engine: tests and
  the benchmark compare the exact method with it.
* :func:`cvxpy_textbook` -- the textbook formulation through cvxpy (raw USD, ``quad_form`` with
  the covariance, sign binaries): the benchmark's "plain cvxpy + SCIP" baseline.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings as _pywarnings
from collections.abc import Iterator
from typing import Any

import cvxpy as cp
import numpy as np

from optimizer.core.forms import AbsSum, LinearForm
from optimizer.core.model import HedgeModel


def _c_fflush() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:  # noqa: BLE001 - no libc (non-POSIX): nothing buffered we can reach
        pass


@contextlib.contextmanager
def quiet_solver() -> Iterator[None]:
    """Nothing a solver library prints reaches stdout (``--json`` must stay valid JSON).

    SCIP writes from C straight to file descriptor 1, so fd 1 is pointed at /dev/null for the
    duration (and Python warnings such as cvxpy's "Solution may be inaccurate" are silenced).
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
        _c_fflush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def structure(model: HedgeModel) -> tuple:
    """What fixes the shape of the compiled relaxation (sizes, sides, groups)."""
    d = model.data
    lin = tuple((f.on, len(f.coef), math.isfinite(f.lo), math.isfinite(f.hi))
                for f in model.forms.forms if isinstance(f, LinearForm))
    refs = tuple(tuple(f.ref.tolist()) for f in model.forms.abs_sums())
    return (d.I, d.P, tuple(d.pieces), lin, len(refs), model.R.shape,
            model.forms.cardinality() is not None, bool(np.any(model.cw > 0)))


class CvxRelaxation:
    """The continuous relaxation in cvxpy, compiled once per structure (module docstring)."""

    def __init__(self, model: HedgeModel) -> None:
        self.sig = structure(model)
        d = model.data
        self.h, self.y = cp.Variable(d.I), cp.Variable(d.P)
        self.par: dict[str, cp.Parameter] = {}
        cons = [d.S @ self.y == self.h]
        cons += self._box_cons(d.I, d.P)
        cons += self._linear_cons(model)
        ucost, more = self._abs_cons(model)
        cons += more
        P = self.par
        P["R"], P["c"] = cp.Parameter(model.R.shape), cp.Parameter(model.R.shape[0])
        obj = cp.sum_squares(P["R"] @ self.h + P["c"])
        if ucost is not None:
            P["cw"] = cp.Parameter(d.I, nonneg=True)
            obj = obj + P["cw"] @ ucost
        self.prob = cp.Problem(cp.Minimize(obj), cons)

    def _box_cons(self, n_h: int, n_y: int) -> list[Any]:
        P = self.par
        for k, n in (("hlo", n_h), ("hhi", n_h), ("ylo", n_y), ("yhi", n_y)):
            P[k] = cp.Parameter(n)
        return [self.h >= P["hlo"], self.h <= P["hhi"], self.y >= P["ylo"], self.y <= P["yhi"]]

    def _linear_cons(self, model: HedgeModel) -> list[Any]:
        out = []
        for k, f in enumerate(model.forms.forms):
            if not isinstance(f, LinearForm):
                continue
            a = self.par[f"a{k}"] = cp.Parameter(len(f.coef))
            e = a @ (self.h if f.on == "h" else self.y)
            if math.isfinite(f.lo):
                out.append(e >= self.par.setdefault(f"lo{k}", cp.Parameter()))
            if math.isfinite(f.hi):
                out.append(e <= self.par.setdefault(f"hi{k}", cp.Parameter()))
        return out

    def _abs_cons(self, model: HedgeModel) -> tuple[Any, list[Any]]:
        d, out = model.data, []
        groups: list[tuple[np.ndarray, cp.Variable, cp.Parameter]] = []

        def group(ref: np.ndarray) -> cp.Variable:
            for r, u, _ in groups:
                if np.array_equal(r, ref):
                    return u
            u, pr = cp.Variable(d.I, nonneg=True), cp.Parameter(d.I)
            self.par[f"ref{len(groups)}"] = pr
            groups.append((ref, u, pr))
            out.extend([u >= self.h - pr, u >= pr - self.h])
            return u

        for k, f in enumerate(model.forms.forms):
            if isinstance(f, AbsSum):
                w = self.par[f"w{k}"] = cp.Parameter(d.I, nonneg=True)
                out.append(w @ group(f.ref) <= self.par.setdefault(f"cap{k}", cp.Parameter()))
        if model.forms.cardinality() is not None:
            u0 = group(np.zeros(d.I))
            z = cp.Variable(d.I)
            M = self.par["M"] = cp.Parameter(d.I, nonneg=True)
            self.par["K"] = cp.Parameter()
            out += [u0 <= cp.multiply(M, z), z >= 0, z <= 1, cp.sum(z) <= self.par["K"]]
        self.groups = groups
        ucost = group(d.h0) if np.any(model.cw > 0) else None
        return ucost, out

    def set_values(self, model: HedgeModel) -> None:
        """Write ``model``'s numbers into the Parameters (same structure)."""
        assert model.box is not None
        P, d = self.par, model.data
        lo, hi = model.box
        P["hlo"].value, P["hhi"].value = lo[:d.I], hi[:d.I]
        P["ylo"].value, P["yhi"].value = lo[d.I:], hi[d.I:]
        P["R"].value, P["c"].value = model.R, model.c
        if "cw" in P:
            P["cw"].value = model.cw
        for ref, _, pr in self.groups:
            pr.value = ref
        for k, f in enumerate(model.forms.forms):
            if isinstance(f, LinearForm):
                P[f"a{k}"].value = f.coef / f.scale
                if f"lo{k}" in P:
                    P[f"lo{k}"].value = (f.lo - f.offset) / f.scale
                if f"hi{k}" in P:
                    P[f"hi{k}"].value = (f.hi - f.offset) / f.scale
            elif isinstance(f, AbsSum):
                P[f"w{k}"].value, P[f"cap{k}"].value = f.weights / f.scale, f.cap / f.scale
        if "M" in P:
            P["M"].value = np.maximum(np.abs(lo[:d.I]), np.abs(hi[:d.I]))
            P["K"].value = float(model.forms.cardinality() or 0)

    def solve(self, model: HedgeModel) -> tuple[str, np.ndarray | None, float]:
        """(status, continuous totals, objective in $k^2 incl. the constant)."""
        self.set_values(model)
        with quiet_solver():
            try:
                self.prob.solve(solver=cp.CLARABEL)
            except cp.SolverError:
                self.prob.solve(solver=cp.SCS, eps=1e-9, max_iters=200_000)
        if self.prob.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return "infeasible", None, math.inf
        if self.h.value is None:
            return "failed", None, math.nan
        hv = np.clip(np.asarray(self.h.value, float), model.box[0][:model.data.I],
                     model.box[1][:model.data.I]) if model.box is not None else self.h.value
        return "optimal", hv, float(self.prob.value) + model.const


def _scip_forms(m: Any, model: HedgeModel, h: list[Any], y: list[Any]) -> list[Any]:
    """Add every form to a pyscipopt model; returns the trading-cost aux (or [])."""
    import pyscipopt as ps

    d = model.data
    big = np.maximum(np.abs(model.box[0][:d.I]), np.abs(model.box[1][:d.I])) \
        if model.box is not None else np.full(d.I, 1e6)
    aux: dict[tuple, list[Any]] = {}

    def absvars(ref: np.ndarray) -> list[Any]:
        key = tuple(ref.tolist())
        if key not in aux:
            us = [m.addVar(lb=0.0) for _ in range(d.I)]
            for i, u in enumerate(us):
                m.addCons(u >= h[i] - float(ref[i]))
                m.addCons(u >= float(ref[i]) - h[i])
            aux[key] = us
        return aux[key]

    for f in model.forms.forms:
        if isinstance(f, LinearForm):
            v = h if f.on == "h" else y
            e = ps.quicksum(float(a) / f.scale * v[j] for j, a in enumerate(f.coef) if a != 0)
            if math.isfinite(f.lo):
                m.addCons(e >= (f.lo - f.offset) / f.scale)
            if math.isfinite(f.hi):
                m.addCons(e <= (f.hi - f.offset) / f.scale)
        elif isinstance(f, AbsSum):
            us = absvars(f.ref)
            m.addCons(ps.quicksum(float(w) / f.scale * us[i] for i, w in enumerate(f.weights)
                                  if w > 0) <= f.cap / f.scale)
    k = model.forms.cardinality()
    if k is not None:
        z = [m.addVar(vtype="B") for _ in range(d.I)]
        for i in range(d.I):
            m.addCons(h[i] <= float(big[i]) * z[i])
            m.addCons(-h[i] <= float(big[i]) * z[i])
        m.addCons(ps.quicksum(z) <= k)
    return absvars(d.h0) if np.any(model.cw > 0) else []


def scip_textbook(model: HedgeModel, time_limit: float = 10.0,
                  box: tuple[np.ndarray, np.ndarray] | None = None,
                  cutoff: float | None = None, node_limit: int | None = None) -> dict[str, Any]:
    """Solve the textbook MIQP with SCIP (module docstring). Objective values in $k^2.

    ``box`` restricts the totals (a leaf of the exact method); where it fixes a contract's
    sign, its pieces get that sign directly. ``cutoff``: only hedges with objective below it are
    sought (SCIP's objective limit; "infeasible" then means none exists)."""
    import pyscipopt as ps

    assert model.box is not None
    d = model.data
    lo, hi = model.box[0].copy(), model.box[1].copy()
    if box is not None:
        lo[:d.I], hi[:d.I] = np.maximum(lo[:d.I], box[0]), np.minimum(hi[:d.I], box[1])
        pi = d.piece_instrument
        lo[d.I:] = np.maximum(lo[d.I:], np.minimum(lo[pi], 0.0))
        hi[d.I:] = np.minimum(hi[d.I:], np.maximum(hi[pi], 0.0))
    m = ps.Model()
    m.hideOutput(True)
    h = [m.addVar(lb=float(lo[i]), ub=float(hi[i]), vtype="I") for i in range(d.I)]
    y = [m.addVar(lb=float(lo[d.I + p]), ub=float(hi[d.I + p]), vtype="I") for p in range(d.P)]
    for i in range(d.I):
        ps_i = np.nonzero(d.S[i])[0]
        m.addCons(ps.quicksum(y[int(p)] for p in ps_i) == h[i])
        if len(ps_i) > 1 and lo[i] < 0 < hi[i]:  # no-wash: pieces of the sign of the total
            s = m.addVar(vtype="B")
            big = float(max(abs(lo[i]), abs(hi[i])))
            for p in ps_i:
                m.addCons(y[int(p)] <= big * s)
                m.addCons(y[int(p)] >= -big * (1 - s))
    ucost = _scip_forms(m, model, h, y)
    ts = []
    for k in range(model.R.shape[0]):
        sk, tk = m.addVar(lb=None), m.addVar(lb=0.0)
        m.addCons(sk == float(model.c[k]) + ps.quicksum(
            float(model.R[k, i]) * h[i] for i in range(d.I) if model.R[k, i] != 0))
        m.addCons(sk * sk <= tk)
        ts.append(tk)
    obj = ps.quicksum(ts) + ps.quicksum(float(model.cw[i]) * u for i, u in enumerate(ucost))
    m.setObjective(obj, "minimize")
    m.setParam("limits/time", float(time_limit))
    if node_limit is not None:
        m.setParam("limits/nodes", int(node_limit))
    if cutoff is not None:
        m.setObjlimit(float(cutoff - model.const))
    return _scip_run(m, model, h, y)


def _scip_run(m: Any, model: HedgeModel, h: list[Any], y: list[Any]) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    with quiet_solver():
        m.optimize()
    out: dict[str, Any] = {"status": m.getStatus(), "seconds": time.perf_counter() - t0,
                           "cpu_seconds": time.process_time() - c0, "nodes": m.getNNodes()}
    if m.getNSols() > 0:
        sol = m.getBestSol()
        out["h"] = np.round([m.getSolVal(sol, v) for v in h])
        out["y"] = np.round([m.getSolVal(sol, v) for v in y])
        out["objective"] = float(model.objective(out["h"])[0])
        out["gap"] = float(m.getGap())
        out["dual_bound"] = float(m.getDualbound()) + model.const
    return out


def cvxpy_textbook(model: HedgeModel) -> tuple[cp.Problem, cp.Variable]:
    """The textbook MIQP in cvxpy: raw USD, quad_form with the covariance, integer pieces, sign
    binaries, cardinality binaries (no scaling, no relaxation bounds beyond the stated box)."""
    assert model.box is not None
    d = model.data
    lo, hi = model.box
    y = cp.Variable(d.P, integer=True)
    h = d.S @ y
    cons = [y >= lo[d.I:], y <= hi[d.I:], h >= lo[:d.I], h <= hi[:d.I]]
    big = np.maximum(np.abs(lo[:d.I]), np.abs(hi[:d.I]))
    shared = [i for i in range(d.I) if d.S[i].sum() > 1]
    if shared:
        s = cp.Variable(len(shared), boolean=True)
        for k, i in enumerate(shared):
            ps_i = np.nonzero(d.S[i])[0]
            cons += [y[ps_i] <= big[i] * s[k], y[ps_i] >= -big[i] * (1 - s[k])]
    for f in model.forms.forms:
        if isinstance(f, LinearForm):
            e = f.offset + f.coef @ (h if f.on == "h" else y)
            if math.isfinite(f.lo):
                cons.append(e >= f.lo)
            if math.isfinite(f.hi):
                cons.append(e <= f.hi)
        elif isinstance(f, AbsSum):
            cons.append(f.weights @ cp.abs(h - f.ref) <= f.cap)
    card = model.forms.cardinality()
    if card is not None:
        z = cp.Variable(d.I, boolean=True)
        cons += [cp.abs(h) <= cp.multiply(big, z), cp.sum(z) <= card]
    r = d.x - d.t + d.B @ h
    obj = cp.quad_form(r, cp.psd_wrap(d.cov)) + d.resid_var
    if np.any(model.cw > 0):
        obj = obj + (model.cw * 1e6) @ cp.abs(h - d.h0)
    return cp.Problem(cp.Minimize(obj), cons), y


__all__ = ["CvxRelaxation", "cvxpy_textbook", "quiet_solver", "scip_textbook", "structure"]
