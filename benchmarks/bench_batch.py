"""Batch hedging on Dask distributed: throughput and scaling from 1 to 2 workers (issue 15).

Accounts (fixed seed): random subsets (40-90 %) of the bundled default portfolio's holdings with
random par weights (0.2-1.0x), each written as a holdings CSV beside a manifest, every account
under the bundled default mandate, on the latest bundled date. They go through the product path
of ``overlay batch``: :func:`optimizer.workflows.batch.run_batch` on a Dask ``LocalCluster`` of
W single-threaded worker processes (warm workers, results streamed back, each account's JSON and
positions CSV rendered on its worker), once with 1 and once with 2 workers, same accounts.

Runs: the first ``--scaling`` accounts on 1 and on 2 workers (the speed-up at equal work), then
all ``--accounts`` on 2 workers. Reported per run: wall seconds (whole run, and start-up =
cluster start + worker warm-up), accounts per second after start-up, the speed-up of 2 workers
over 1, the accounts' statuses (all must be optimal), the median CPU seconds per account on its
worker, and the median solver time and nodes. The solver's node and work limits decide its
status (deterministic); its wall-clock limit is set high (``--time-limit``, a safety net only),
so the statuses do not depend on the machine's load. Quick run (``make bench``): 16 accounts on
1 and 2 workers; full run: 250 on 1 and 2 workers, then 1,000 on 2.

Usage: ``python -m benchmarks.bench_batch [--accounts 1000] [--scaling 250]
[--time-limit 600]``; ``main(full)`` for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import REPO, machine, results_dir

SEED = 20250601


def write_accounts(folder: Path, n: int, seed: int = SEED) -> list:
    """``n`` account books and a manifest under ``folder``; the manifest's accounts."""
    from optimizer.workflows.batch import read_manifest

    base = pd.read_csv(REPO / "data" / "portfolios" / "default.csv", dtype=str,
                       keep_default_na=False)
    rng = np.random.default_rng(seed)
    sector = base["sector"].to_numpy()
    rows = []
    (folder / "books").mkdir(parents=True, exist_ok=True)
    for k in range(n):
        keep = rng.random(len(base)) < rng.uniform(0.4, 0.9)
        for sec in ("Treasury", "Corporate"):      # every account holds both sectors
            idx = np.flatnonzero(sector == sec)
            if not keep[idx].any():
                keep[rng.choice(idx)] = True
        book = base[keep].copy()
        par = book["par"].astype(float).to_numpy() * rng.uniform(0.2, 1.0, keep.sum())
        book["par"] = np.round(par, -3).astype(np.int64).astype(str)
        book.to_csv(folder / "books" / f"acct{k:04d}.csv", index=False)
        rows.append({"account": f"acct{k:04d}", "holdings": f"books/acct{k:04d}.csv",
                     "mandate": str(REPO / "data" / "mandates" / "default.toml")})
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return read_manifest(folder / "manifest.csv")


def run_once(accounts: list, workers: int, time_limit: float) -> dict:
    from optimizer.cli.commands.batch import render_account
    from optimizer.workflows.batch import BatchOptions, run_batch

    res = run_batch(accounts, BatchOptions(time_limit=time_limit), workers=workers,
                    render=render_account)
    solver = [json.loads(r.files[".json"]).get("solver", {}) for r in res.results
              if ".json" in r.files]
    work = res.seconds - res.startup_seconds
    return {"accounts": len(accounts), "workers": res.workers, "seconds": res.seconds,
            "startup_s": res.startup_seconds, "accounts_per_s": len(accounts) / work,
            "statuses": res.counts(), "exit_status": res.exit_status,
            "median_cpu_s": statistics.median(r.cpu_seconds for r in res.results),
            "total_cpu_s": sum(r.cpu_seconds for r in res.results),
            "p90_cpu_s": float(np.percentile([r.cpu_seconds for r in res.results], 90)),
            "max_cpu_s": max(r.cpu_seconds for r in res.results),
            "median_task_s": statistics.median(r.seconds for r in res.results),
            "median_te_usd": float(np.nanmedian([r.te_usd if r.te_usd is not None else np.nan
                                                 for r in res.results])),
            "median_solver_s": _median(s.get("seconds") for s in solver),
            "median_nodes": _median(s.get("nodes") for s in solver)}


def _median(values) -> float:
    v = [float(x) for x in values if isinstance(x, (int, float))]
    return statistics.median(v) if v else float("nan")


def report(rows: list[dict], a, full: bool) -> str:
    base = {r["accounts"]: r["seconds"] - r["startup_s"] for r in rows if r["workers"] == 1}
    lines = [
        "# Batch hedging on Dask distributed (`benchmarks/bench_batch.py`)", "",
        f"Generated {dt.date.today().isoformat()} by `python -m benchmarks.bench_batch "
        f"--accounts {a.accounts} --scaling {a.scaling} --time-limit {a.time_limit:g}`"
        f"{'' if full else ' (quick run)'}", "", f"Machine: {machine()}", "",
        "Accounts: random subsets (40-90 %) of the bundled default portfolio with random par "
        "weights (0.2-1.0x), seed fixed; the default mandate; the latest bundled date; the "
        "`overlay batch` workflow on a Dask LocalCluster of single-threaded worker processes "
        f"(warm workers); the solver's node and work limits decide its status (wall-clock "
        f"safety net {a.time_limit:g} s per account, not reached unless stated).", "",
        "| accounts | workers | wall s | start-up s | accounts/s after start-up | speed-up vs "
        "1 worker | CPU s per account: median / p90 / max | accounts per CPU s | median "
        "solver s | median nodes | statuses | exit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        work = r["seconds"] - r["startup_s"]
        sp = ("baseline" if r["workers"] == 1 else
              f"{base[r['accounts']] / work:.2f}x" if r["accounts"] in base else "")
        lines.append(f"| {r['accounts']} | {r['workers']} | {r['seconds']:.1f} | "
                     f"{r['startup_s']:.1f} | {r['accounts_per_s']:.2f} | {sp} | "
                     f"{r['median_cpu_s']:.2f} / {r['p90_cpu_s']:.2f} / {r['max_cpu_s']:.1f} | "
                     f"{r['accounts'] / r['total_cpu_s']:.2f} | {r['median_solver_s']:.3f} | "
                     f"{r['median_nodes']:.0f} | {r['statuses']} | {r['exit_status']} |")
    last = rows[-1]
    lines += ["", "`accounts per CPU s` = accounts / the CPU seconds their tasks used on the "
              "workers (load-independent); wall-clock figures move with the other users of the "
              "shared machine (load average above).", "",
              f"Median ex-ante tracking error after hedge over the accounts: "
              f"${last['median_te_usd']:,.0f}/yr.", ""]
    return "\n".join(lines)


def main(full: bool = True, argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_batch")
    ap.add_argument("--accounts", type=int, default=1000 if full else 16)
    ap.add_argument("--scaling", type=int, default=250 if full else 16,
                    help="accounts run on 1 and 2 workers for the speed-up")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="solver wall-clock safety net per account (node limits decide)")
    a = ap.parse_args(argv if argv is not None else [])
    runs = [(min(a.scaling, a.accounts), 1), (min(a.scaling, a.accounts), 2)]
    if a.accounts > a.scaling:
        runs.append((a.accounts, 2))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        accounts = write_accounts(Path(tmp), a.accounts)
        for n, w in runs:
            rows.append(run_once(accounts[:n], w, a.time_limit))
            print(rows[-1], flush=True)
    text = report(rows, a, full)
    (results_dir(full) / "bench_batch.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(True, sys.argv[1:]))
