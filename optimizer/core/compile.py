"""The forms compiled for other solvers: SCIP (textbook MIQP, pyscipopt and through cvxpy).

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
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.core.forms import AbsSum, LinearForm
from optimizer.core.model import HedgeModel

if TYPE_CHECKING:   # cvxpy states only the benchmark's textbook model: a hedge never loads it
    import cvxpy as cp


def _c_fflush() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:  # noqa: BLE001 - no libc (non-POSIX): nothing buffered we can reach
        pass


@contextlib.contextmanager
def quiet_solver() -> Iterator[None]:
    """Nothing a solver library prints reaches stdout or stderr (``--json`` must stay valid
    JSON; a PM's terminal must not show a solver's internals).

    SCIP writes from C straight to file descriptor 1, and its LP solver (SoPlex) warns on 2 (e.g.
    "Cannot set feasibility tolerance to small value 1e-12 without GMP" when SCIP tightens the
    LP tolerance on a hard leaf), so both are pointed at /dev/null for the duration (and Python
    warnings such as "Solution may be inaccurate" are silenced).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or odd stream: nothing to flush
            pass
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in saved:
            os.dup2(devnull, fd)
        with _pywarnings.catch_warnings():
            _pywarnings.simplefilter("ignore")
            yield
    finally:
        _c_fflush()
        for fd, keep in saved.items():
            os.dup2(keep, fd)
            os.close(keep)
        os.close(devnull)


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
                  cutoff: float | None = None, node_limit: int | None = None,
                  pieces: str = "integer", totals: str = "integer", leaf: bool = False
                  ) -> dict[str, Any]:
    """Solve the textbook MIQP with SCIP (module docstring). Objective values in $k^2.

    ``box`` restricts the totals (a leaf of the exact method); where it fixes a contract's
    sign, its pieces get that sign directly. ``cutoff``: only hedges with objective below it are
    sought (SCIP's objective limit; "infeasible" then means none exists).

    ``pieces="continuous"`` relaxes the pieces' integrality (totals stay integers): a
    relaxation, its optimum a lower bound of the leaf. Branching prefers the totals. With
    ``totals="continuous"`` too, only the sign and cardinality binaries remain: the continuous
    optimum of the same problem (an independent check of :mod:`optimizer.core.continuous`).
    ``leaf=True``: fast presolve and separation (and no primal heuristics once a cutoff is
    known) -- the settings for the exact method's short (100-node) leaf runs; a whole leaf
    gets SCIP's defaults."""
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
    ht = "I" if totals == "integer" else "C"
    h = [m.addVar(lb=float(lo[i]), ub=float(hi[i]), vtype=ht) for i in range(d.I)]
    yt = "I" if pieces == "integer" else "C"
    y = [m.addVar(lb=float(lo[d.I + p]), ub=float(hi[d.I + p]), vtype=yt) for p in range(d.P)]
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
    if leaf:  # measured on the stress family: 30% less CPU in leaves, same optima
        m.setPresolve(ps.SCIP_PARAMSETTING.FAST)
        m.setSeparating(ps.SCIP_PARAMSETTING.FAST)
        m.setHeuristics(ps.SCIP_PARAMSETTING.OFF if cutoff is not None
                        else ps.SCIP_PARAMSETTING.FAST)
    for v in h:  # totals first: once they are integral the pieces are a small feasibility
        m.chgVarBranchPriority(v, 10)  # question (measured: 2,707 -> 188 nodes on the default)
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
        out["solver_objective"] = float(m.getSolObjVal(sol)) + model.const  # unrounded
        out["gap"] = float(m.getGap())
        out["dual_bound"] = float(m.getDualbound()) + model.const
    return out


def cvxpy_textbook(model: HedgeModel) -> tuple[cp.Problem, cp.Variable]:
    """The textbook MIQP in cvxpy: integer pieces, sign binaries, cardinality binaries, the
    tracking-error variance as ``sum_squares(Lt (x + B h - t))`` (Lt the covariance square root)
    -- no reformulation, no relaxation bounds beyond the stated box -- written in the units a
    careful user picks: objective in $M^2, each row in its form's solver unit (``scale``).

    Why scaled: the same model in raw USD (variance ~1e14 $^2, ``quad_form`` with the
    covariance) made SCIP abort with "unresolved numerical troubles in LP" on 10 of the 31
    benchmark instances (cvxpy then raises "Solver 'SCIP' failed"); a baseline that fails on
    numerics it did not need says nothing about the method."""
    import cvxpy as cp

    from optimizer.core.bounds import cov_factor

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
            e = (f.offset + f.coef @ (h if f.on == "h" else y)) / f.scale
            if math.isfinite(f.lo):
                cons.append(e >= f.lo / f.scale)
            if math.isfinite(f.hi):
                cons.append(e <= f.hi / f.scale)
        elif isinstance(f, AbsSum):
            cons.append((f.weights / f.scale) @ cp.abs(h - f.ref) <= f.cap / f.scale)
    card = model.forms.cardinality()
    if card is not None:
        z = cp.Variable(d.I, boolean=True)
        cons += [cp.abs(h) <= cp.multiply(big, z), cp.sum(z) <= card]
    Lt = cov_factor(d.cov) / 1e6  # $M per bp: the variance in $M^2 (hundreds, not 1e14)
    obj = cp.sum_squares(Lt @ (d.x - d.t) + (Lt @ d.B) @ h) + d.resid_var / 1e12
    if np.any(model.cw > 0):
        obj = obj + (model.cw / 1e6) @ cp.abs(h - d.h0)
    return cp.Problem(cp.Minimize(obj), cons), y


__all__ = ["cvxpy_textbook", "quiet_solver", "scip_textbook"]
