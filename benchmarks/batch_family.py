"""The batch family: every account problem of ``bench_batch`` solved in one process, no Dask.

Accounts are exactly those of :func:`benchmarks.bench_batch.write_accounts` (same seed): random
subsets (40-90 %) of the bundled default portfolio with random par weights, the default mandate,
the latest bundled date. Each is assembled as ``overlay batch`` assembles it
(:func:`optimizer.assemble.build_context`) and its search (:class:`optimizer.core.bnb`) is run
with the product's default node and work limits; reported per account: status, proven gap,
nodes, SCIP leaves, CPU seconds of the search. Problems are cached as a pickle under
``out/`` (not committed) so that re-runs measure the solver only.

Run: ``python -m benchmarks.batch_family [--accounts 1000] [--out FILE.csv]``.
``problem(k)`` gives one account's (inputs, limits): the solver benchmark's "batch-NNN" rows and
the unit tests use it.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import REPO

CACHE = REPO / "out" / "batch_family.pkl"
N_ACCOUNTS = 1000


def _assemble(n: int) -> list[tuple[str, Any, Any]]:
    from benchmarks.bench_batch import write_accounts
    from optimizer.assemble import build_context
    from optimizer.mandate import load_mandate

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        accounts = write_accounts(Path(tmp), n)
        for a in accounts:
            ctx = build_context(a.holdings, load_mandate(a.mandate))
            out.append((a.account, ctx.inputs, ctx.problem_mandate))
    return out


@functools.lru_cache(maxsize=1)
def problems(n: int = N_ACCOUNTS) -> list[tuple[str, Any, Any]]:
    """(account, HedgeInputs, Limits) of the first ``n`` accounts (cached on disk)."""
    if CACHE.exists():
        with open(CACHE, "rb") as fh:
            cached = pickle.load(fh)
        if len(cached) >= n:
            return cached[:n]
    got = _assemble(n)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE, "wb") as fh:
        pickle.dump(got, fh)
    return got


def account_problem(k: int) -> tuple[Any, Any]:
    """(inputs, limits) of account k alone: the generator writes the books up to k (cheap CSV
    writes, same seed) and only account k is assembled (no cache)."""
    from benchmarks.bench_batch import write_accounts
    from optimizer.assemble import build_context
    from optimizer.mandate import load_mandate

    with tempfile.TemporaryDirectory() as tmp:
        a = write_accounts(Path(tmp), k + 1)[k]
        ctx = build_context(a.holdings, load_mandate(a.mandate))
    return ctx.inputs, ctx.problem_mandate


def problem(k: int) -> tuple[Any, Any]:
    """(inputs, limits) of account k (the accounts before it are generated too: same seed)."""
    _, inputs, limits = problems(max(k + 1, N_ACCOUNTS))[k]
    return inputs, limits


def solve_one(inputs: Any, limits: Any) -> dict[str, Any]:
    from optimizer.core.bnb import BranchAndBound, Limits
    from optimizer.core.errors import SolverFailure
    from optimizer.core.model import build_model

    model = build_model(inputs, limits)
    if model.box is None:
        return {"status": "infeasible", "gap": None, "nodes": 0, "scip_leaves": 0, "cpu": 0.0}
    c0 = time.process_time()
    try:
        out = BranchAndBound(model, Limits(time_limit=600.0)).run()
    except SolverFailure as exc:
        return {"status": f"failure ({exc})", "gap": None, "nodes": None, "scip_leaves": None,
                "cpu": time.process_time() - c0}
    st = out.stats
    return {"status": out.status, "gap": out.gap, "nodes": int(st["nodes"]),
            "scip_leaves": int(st.get("scip_leaves", 0)), "leaves": int(st["leaves"]),
            "radius_restarts": int(st.get("radius_restarts", 0)),
            "objective": out.objective, "cpu": time.process_time() - c0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.batch_family")
    ap.add_argument("--accounts", type=int, default=N_ACCOUNTS)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--out", default=None, help="per-account CSV")
    a = ap.parse_args(argv)
    probs = problems(max(a.accounts, N_ACCOUNTS))[a.first:a.accounts]
    rows = []
    for name, inputs, limits in probs:
        r = {"account": name, **solve_one(inputs, limits)}
        rows.append(r)
        if r["status"] != "optimal" or r["cpu"] > 0.5:
            print(r, flush=True)
    cpu = [r["cpu"] for r in rows]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(f"{len(rows)} accounts: {counts}; CPU s median {statistics.median(cpu):.3f}, "
          f"p90 {np.percentile(cpu, 90):.3f}, max {max(cpu):.3f}, total {sum(cpu):.1f}; "
          f"nodes median {statistics.median(r['nodes'] or 0 for r in rows):.0f}, "
          f"max {max(r['nodes'] or 0 for r in rows)}")
    if a.out:
        import pandas as pd

        pd.DataFrame(rows).to_csv(a.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
