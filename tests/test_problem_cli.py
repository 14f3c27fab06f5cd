"""The default hedge end to end through the CLI: JSON only on stdout, proven optimal, real
positions (every row of a contract has its net sign); the issue-11 margin example diagnosed with
a verified smallest change that is exactly the smallest (one dollar less is infeasible)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace

import pytest


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True,
                          text=True, timeout=600)


def test_default_hedge_json_is_clean_optimal_and_real():
    p = _run("hedge", "--json", "--time-limit", "60")
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(p.stdout)  # nothing from any solver on stdout
    assert doc["status"] == "optimal"
    s = doc["solver"]
    assert s["gap"] is not None and s["gap"] <= 1e-9 and s["exact_check"] is True
    assert s["bound"] <= doc["objective"] * (1 + 1e-9)
    net, rows = defaultdict(int), defaultdict(list)
    for pos in doc["positions"]:
        net[pos["contract"]] += pos["contracts"]
        rows[pos["contract"]].append(pos["contracts"])
    for k, v in rows.items():  # no offsetting designations: one sign per contract
        assert all(x * net[k] > 0 for x in v), (k, v)
    assert {k: v for k, v in doc["contracts"].items() if v} == dict(net)
    by = {x["sector"]: x for x in doc["sectors"]}
    for c in doc["constraints"]:  # every band holds on the real positions
        assert c["satisfied"], c["name"]
        if c["kind"] == "dv01_band" and c["sector"]:
            after = by[c["sector"]]["dv01_after"]
            assert abs(after - c["target_usd"]) <= c["tolerance_usd"] + 1e-6


def test_margin_budget_example_diagnosis_is_the_proven_minimum():
    p = _run("hedge", "--margin-budget", "8e6")
    assert p.returncode == 3, p.stderr[-2000:]
    assert "Traceback" not in p.stderr and p.stdout == ""
    # the CLI states once, in the header of the list, that each change was verified
    m = re.search(r"margin budget must be at least \$([\d,]+(?:\.\d+)?)", p.stderr)
    assert m and "verified" in p.stderr, p.stderr
    need = float(m.group(1).replace(",", ""))
    from optimizer.assemble import build_context
    from optimizer.core.errors import InfeasibleMandate
    from optimizer.core.problem import HedgeProblem
    from optimizer.mandate import load_mandate

    ctx = build_context(None, load_mandate())
    ok = HedgeProblem(ctx.inputs, replace(ctx.problem_mandate, margin_budget=need)).solve()
    assert ok.status == "optimal" and ok.initial_margin <= need
    with pytest.raises(InfeasibleMandate):
        HedgeProblem(ctx.inputs, replace(ctx.problem_mandate, margin_budget=need - 1.0)).solve(
            diagnose=False)
