"""Frontier: TE vs margin budget is monotone, infeasible budgets are marked, a worse time-limited
solve is replaced by the carried-forward smaller-budget hedge."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from data.errors import InputError
from optimizer.core.problem import DV01Target, HedgeInputs, Limits
from optimizer.workflows import frontier as F
from optimizer.workflows.frontier import compute_frontier, parse_budgets

TSY_DV01, CORP_DV01 = 172_096.0, 235_138.0


def _ctx(tol: float | None = None, **mkw) -> SimpleNamespace:
    """SPEC §10 sector problem with correlated rate factors, so the margin budget trades off
    tracking error."""
    inputs = HedgeInputs(
        factors=["tsy", "swap"], sectors=["Treasury", "Corporate"],
        instruments=["ZNU5", "SWAP10"],
        sector_exposure=np.array([[TSY_DV01, 0.0], [0.0, CORP_DV01]]),
        sector_dv01=np.array([TSY_DV01, CORP_DV01]),
        instrument_exposure=np.array([[72.5, 0.0], [0.0, 77.0]]),
        instrument_dv01=np.array([72.5, 77.0]),
        cov=np.array([[75.0**2, 0.8 * 75 * 85], [0.8 * 75 * 85, 85.0**2]]),
        designations=np.array([[True, True], [False, True]]),
        notional=np.array([111_000.0, 100_500.0]),
        initial_margin=np.array([2_750.0, 2_000.0]),
        sector_market_value=np.array([262.341e6, 436.248e6]))
    targets = {s: DV01Target(dv01=0.0, tol_usd=tol) for s in ("Treasury", "Corporate")}
    return SimpleNamespace(inputs=inputs, problem_mandate=Limits(sector_targets=targets, **mkw))


def test_frontier_monotone_in_budget():
    budgets = [0.5e6, 1e6, 2e6, 3e6, 5e6, 7e6, 13e6, 20e6]
    rows = compute_frontier(_ctx(), budgets, time_limit=5)
    assert [r["margin_budget_usd"] for r in rows] == sorted(budgets)
    te = [r["tracking_error_usd"] for r in rows]
    assert all(r["status"] in ("optimal", "feasible_time_limit") for r in rows)
    assert all(b <= a * (1 + 1e-9) + 1e-6 for a, b in zip(te, te[1:], strict=False))
    assert te[0] > 2 * te[-1]  # the budget binds at the low end
    for r in rows:
        assert r["margin_used_usd"] <= r["margin_budget_usd"] + 1e-6
        assert r["tracking_error_bp"] == pytest.approx(
            r["tracking_error_usd"] / (262.341e6 + 436.248e6) * 1e4)
    # at a large budget the full sector hedge is reached
    assert rows[-1]["contracts"]["SWAP10"] == pytest.approx(-CORP_DV01 / 77.0, abs=1)


def test_frontier_marks_infeasible_budgets():
    # tight sector bands need nearly the full hedge: about $12.6M of margin
    rows = compute_frontier(_ctx(tol=2_000.0), [2e6, 6e6, 13e6, 20e6], time_limit=5)
    st = [r["status"] for r in rows]
    assert st[:2] == ["infeasible", "infeasible"]
    assert st[2] in ("optimal", "feasible_time_limit") and st[3] in ("optimal", "feasible_time_limit")
    assert rows[0]["tracking_error_usd"] is None and rows[0]["contracts"] == {}
    assert rows[3]["tracking_error_usd"] <= rows[2]["tracking_error_usd"] + 1e-6


def test_frontier_carries_better_smaller_budget_solution(monkeypatch):
    """A (simulated) time-limited solve that is worse than a smaller budget's hedge."""
    te_by_budget = {1e6: 500.0, 2e6: 300.0, 3e6: 450.0, 4e6: 200.0}

    class FakeProblem:
        def __init__(self, inputs, mandate):
            self.mandate = mandate
            self.constraints = [SimpleNamespace(name="margin", limit=mandate.margin_budget)]

        def constraint(self, name):
            return self.constraints[0]

        def replace_constraint(self, c):
            self.constraints = [c]

        def solve(self, **kw):
            b = self.constraints[0].limit
            assert b == self.mandate.margin_budget
            return SimpleNamespace(te_after_usd=te_by_budget[b], te_after_bp=te_by_budget[b] / 1e3,
                                   status="feasible_time_limit" if b == 3e6 else "optimal",
                                   initial_margin=b * 0.9, contracts={"ZNU5": -int(b / 1e4)})

    monkeypatch.setattr(F, "HedgeProblem", FakeProblem)
    rows = compute_frontier(_ctx(), list(te_by_budget), time_limit=1)
    te = [r["tracking_error_usd"] for r in rows]
    assert te == [500.0, 300.0, 300.0, 200.0]
    assert rows[2]["flags"] and rows[2]["flags"][0].startswith("carried_forward")
    assert rows[2]["contracts"] == rows[1]["contracts"] and rows[2]["margin_used_usd"] == 1.8e6
    assert not rows[3]["flags"]


def test_parse_budgets():
    assert parse_budgets("2e6, 1e6,$4_000_000") == [1e6, 2e6, 4e6]
    for bad in ("", "1e6,abc", "-5"):
        with pytest.raises(InputError):
            parse_budgets(bad)


def test_default_budget_grid_includes_mandate_budget():
    ctx = _ctx(margin_budget=5e6)
    grid = F.default_budgets(ctx, n=5, time_limit=5)
    assert 5e6 in grid and grid == sorted(grid) and len(grid) >= 5


def test_frontier_cli_json_csv_and_bad_budgets(monkeypatch, tmp_path, capsys):
    import json

    import pandas as pd

    from optimizer.cli import main

    ctx = _ctx()
    ctx.asof = pd.Timestamp("2025-07-11")
    ctx.portfolio_name, ctx.notices = "synthetic", []
    ctx.mandate_spec = SimpleNamespace(name="spec10", summary=lambda: {"name": "spec10"})
    monkeypatch.setattr(F.FrontierRequest, "context", lambda self, *a, **k: ctx)
    out = tmp_path / "f.csv"
    assert main(["frontier", "--budgets", "1e6,5e6,13e6", "--json", "--csv", str(out),
                 "--time-limit", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["margin_budget_usd"] for r in doc["frontier"]] == [1e6, 5e6, 13e6]
    assert {"margin_budget_usd", "tracking_error_usd", "tracking_error_bp", "status",
            "margin_used_usd", "contracts"} <= set(doc["frontier"][0])
    assert len(pd.read_csv(out)) == 3
    assert main(["frontier", "--budgets", "1e6,lots"]) == 2
    assert "lots" in capsys.readouterr().err
