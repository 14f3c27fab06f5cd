"""A leaf whose whole enclosure overruns the enumeration budget grows a radius from a small start
before SCIP takes it (`optimizer.core.bnb.BranchAndBound._leaf`).

The bundled default book: leaves whose incumbent's whole enclosure is estimated too costly to list
(2.6M points) while their optimum lies close to the bound (70 points at the start radius; before
the restart, each went to a short SCIP run first, 35-48 ms). Reference: the same book with the
radius restart (and the unused-contract splits) disabled, where SCIP solves those leaves on their
boxes with the incumbent as objective limit (an independent solver for the leaf).
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
    from optimizer.assemble import build_context
    from optimizer.mandate import load_mandate

    ctx = build_context(None, load_mandate())  # the bundled default book and mandate
    inputs, limits = ctx.inputs, ctx.problem_mandate
    out = _solve(inputs, limits)
    assert out.stats.get("radius_restarts", 0) >= 1  # the path under test was taken
    assert out.stats.get("scip_leaves", 0) == 0 and out.stats.get("scip_quick", 0) == 0
    monkeypatch.setattr(bnb, "RADIUS_RESTART", False)  # the leaf then goes to SCIP ...
    # ... not to an unused-contract split (which settles it under the 10Y-driver risk model)
    monkeypatch.setattr(bnb.BranchAndBound, "_split_unused", lambda self, *a, **k: False)
    ref = _solve(inputs, limits)
    assert ref.stats.get("scip_leaves", 0) + ref.stats.get("scip_quick", 0) >= 1
    assert abs(out.objective - ref.objective) <= 1e-9 * abs(ref.objective)
    assert list(out.h) == list(ref.h)


def test_failing_integer_pieces_send_the_leaf_to_a_short_scip_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """stress-29: the leaf's listed totals keep failing to have integer pieces; after QUICK_FAILS
    failures a short SCIP run settles the leaf (0.1 s; 0.9 s when the enumeration went on to
    the failure limit first). Reference: the same leaf enumerated to the end with every
    candidate's pieces decided by the integer program (no SCIP at all)."""
    pytest.importorskip("benchmarks.stress_family")
    from benchmarks.stress_family import make_instance

    inst = make_instance(29)
    out = _solve(inst.inputs, inst.limits)
    assert out.stats.get("scip_quick", 0) >= 1 and out.stats.get("scip_leaves", 0) == 0
    monkeypatch.setattr(bnb, "QUICK_FAILS", 10**9)  # never stop offering: list everything
    ref = _solve(inst.inputs, inst.limits)
    assert ref.stats.get("scip_quick", 0) == 0 and ref.stats.get("scip_leaves", 0) == 0
    assert abs(out.objective - ref.objective) <= 1e-9 * abs(ref.objective)
    assert list(out.h) == list(ref.h)
