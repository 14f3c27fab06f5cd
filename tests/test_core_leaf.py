"""A leaf whose whole enclosure overruns the enumeration budget grows a radius from a small start
before SCIP takes it (`optimizer.core.bnb.BranchAndBound._leaf`).

acct0798 of the batch family (calibrated risk model of risk3): the incumbent's whole enclosure
overruns the enumeration budget while the leaf's optimum lies close to its bound (acct0846 under
the previous risk model: 1.31 -> 0.31 s, at 3% of the radius). Reference: the same account with
the radius restart disabled, where SCIP solves that leaf on its box with the incumbent as
objective limit (an independent solver for the leaf).
"""

from __future__ import annotations

import pytest

from optimizer.core import bnb
from optimizer.core.bnb import BranchAndBound, Limits
from optimizer.core.model import build_model


def _solve(inputs, limits):  # noqa: ANN001, ANN202 - benchmark objects
    out = BranchAndBound(build_model(inputs, limits), Limits(time_limit=60.0)).run()
    assert out.status == "optimal" and out.gap == 0.0
    return out


def test_radius_restart_keeps_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("benchmarks.batch_family")
    from benchmarks.batch_family import account_problem

    inputs, limits = account_problem(798)
    out = _solve(inputs, limits)
    assert out.stats.get("radius_restarts", 0) >= 1  # the path under test was taken
    assert out.stats.get("scip_leaves", 0) == 0  # ... and settled the leaf without SCIP
    monkeypatch.setattr(bnb, "RADIUS_RESTART", False)  # the leaf then goes to SCIP
    ref = _solve(inputs, limits)
    assert ref.stats.get("scip_leaves", 0) >= 1
    assert abs(out.objective - ref.objective) <= 1e-9 * abs(ref.objective)
    assert list(out.h) == list(ref.h)
