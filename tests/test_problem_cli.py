"""The default hedge end to end through the CLI: JSON only on stdout, exact optimum, no
offsetting sector allocations (SPEC §6, §9)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_default_hedge_json_is_clean_and_optimal():
    p = _run("hedge", "--json", "--time-limit", "20")
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(p.stdout)  # nothing from SCIP (or anything else) on stdout
    assert "Cannot set feasibility tolerance" not in p.stdout + p.stderr
    assert doc["status"] == "optimal"
    assert doc["solver"]["gap"] is not None and doc["solver"]["gap"] <= 1e-6
    # sector pieces minimize sum |piece| for the optimal totals: offsetting pieces of one
    # contract only where a sector band needs them (the old all-integer-pieces formulation
    # reported e.g. ZTU5 +49,969 Treasury / -49,969 Agency)
    gross, net = defaultdict(int), defaultdict(int)
    for pos in doc["positions"]:
        gross[pos["contract"]] += abs(pos["contracts"])
        net[pos["contract"]] += pos["contracts"]
    offsetting = sum(gross[k] - abs(net[k]) for k in gross)
    assert offsetting <= 1_000, (gross, net)
