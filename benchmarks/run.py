"""`make bench`: every benchmark, quick by default; ``--full`` for the long runs.

Usage: ``python -m benchmarks.run [--full] [NAME ...]`` (NAME = a module's short name, e.g.
``bench_batch``; default all).

* **Quick** (``make bench``; under 10 minutes on the 2-core reference machine): each benchmark
  in its quick configuration; results under ``benchmarks/results/quick/`` (not committed), so a
  quick run never rewrites the committed results.
* **Full** (``python -m benchmarks.run --full``, ``make bench-full``): the configurations whose
  results are committed under ``benchmarks/results/`` (1,000-account batch, the long
  backtests, ...); only such an explicit run rewrites them.

Protocol for a benchmark module: ``main(full: bool)`` runs the quick or the full configuration and
writes under :func:`benchmarks.common.results_dir` ``(full)``. In a quick run every module's
module-level result paths (``RESULTS``, ``OUT``, ... under ``benchmarks/results/``) are pointed
under ``results/quick/`` too, so a module that writes its quick results beside the committed
ones still leaves them alone. A module whose ``main()`` takes no ``full`` runs as it is in a full
run; in a quick run only when it is short (:data:`QUICK_AS_IS`); otherwise the quick run skips
it and says so. ``SUMMARY.md`` (in the run's results folder) lists each module with its
status, wall and CPU seconds (this process and its children).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import resource
import sys
import time
import traceback
from pathlib import Path

from benchmarks.common import QUICK, RESULTS, machine, results_dir

#: Benchmark modules in run order (a missing module is reported, not fatal).
MODULES = [
    "benchmarks.bench_bonds",
    "benchmarks.bench_analyze",
    "benchmarks.bench_end_to_end",
    "benchmarks.bench_basket",
    "benchmarks.bench_solver",
    "benchmarks.bench_batch",
    "benchmarks.validate_futures_dv01",
    "benchmarks.betas_report",
    "benchmarks.backtest_report",
]

#: Modules without a ``full`` switch that are short enough for a quick run (their own
#: configuration, output redirected under results/quick/).
QUICK_AS_IS = {"benchmarks.bench_basket", "benchmarks.validate_futures_dv01",
               "benchmarks.betas_report", "benchmarks.bench_solver"}

#: The quick run's time budget (seconds) on the reference machine.
QUICK_BUDGET_S = 600


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _redirect(mod) -> None:
    """Point a module's result paths (module-level Paths under benchmarks/results/) under
    results/quick/, so a quick run of a module without a ``full`` switch writes nothing that
    is committed."""
    for name, value in list(vars(mod).items()):
        if isinstance(value, Path) and value.is_relative_to(RESULTS) and \
                not value.is_relative_to(QUICK):
            setattr(mod, name, QUICK / value.relative_to(RESULTS))


def run_module(name: str, full: bool) -> str:
    """Run one benchmark module; its status ('ok', 'FAILED', 'skipped: ...')."""
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return "not present"
        raise
    params = inspect.signature(mod.main).parameters
    if not full:
        if "full" not in params and name not in QUICK_AS_IS:
            return "skipped (long; runs with --full)"
        _redirect(mod)
    if "full" in params:
        mod.main(full=full)
    else:
        mod.main()
    return "ok"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run")
    ap.add_argument("--full", action="store_true",
                    help="the long configurations; rewrites the committed benchmarks/results/")
    ap.add_argument("names", nargs="*", help="modules to run (short names); default all")
    a = ap.parse_args(argv if argv is not None else sys.argv[1:])
    out = results_dir(a.full)
    mode = "full" if a.full else "quick"
    lines = [f"# Benchmark run {dt.date.today().isoformat()} ({mode})", "",
             f"Machine: {machine()}", "",
             "| module | status | wall s | CPU s (incl. children) |", "|---|---|---:|---:|"]
    failed, t_start = 0, time.perf_counter()
    for name in MODULES:
        if a.names and name.split(".")[-1] not in a.names:
            continue
        t0, c0 = time.perf_counter(), _cpu()
        try:
            status = run_module(name, a.full)
        except Exception:  # one broken benchmark must not hide the others
            traceback.print_exc()
            status, failed = "FAILED", failed + 1
        lines.append(f"| {name} | {status} | {time.perf_counter() - t0:.1f} | "
                     f"{_cpu() - c0:.1f} |")
        print(lines[-1], flush=True)
    total = time.perf_counter() - t_start
    lines += ["", f"Total {total:.0f} s wall ({mode} run"
              + (f"; budget {QUICK_BUDGET_S} s)" if not a.full else ")"), ""]
    (out / "SUMMARY.md").write_text("\n".join(lines))
    print(lines[-2])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
