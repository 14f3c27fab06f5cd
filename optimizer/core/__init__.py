"""Solver core: hedge inputs, limits, constraints, the exact method, its result and diagnosis.

Depends only on numpy, cvxpy, pyscipopt, highspy and ``data.errors``; everything above it
(mandate files, assembly from market data, workflows, reporting, CLI) imports this, never the
other way round. Public API: :class:`HedgeInputs`, :class:`Limits`, :class:`DV01Target`,
:class:`HedgeProblem`, :class:`HedgeResult`, :func:`solve`, and the errors
:class:`InfeasibleMandate` / :class:`SolverFailure`.
"""

from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.inputs import HedgeInputs
from optimizer.core.limits import DV01Target, Limits
from optimizer.core.problem import HedgeProblem, HedgeResult, solve

__all__ = ["DV01Target", "HedgeInputs", "HedgeProblem", "HedgeResult", "InfeasibleMandate",
           "Limits", "SolverFailure", "solve"]
