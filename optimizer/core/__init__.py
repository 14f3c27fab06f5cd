"""Solver core: hedge inputs, constraints, the integer problem, its result and the diagnosis.

Depends only on numpy, cvxpy, pyscipopt and ``data.errors``; everything above it (mandate files,
assembly from market data, workflows, reporting, CLI) imports this, never the other way round.
"""
