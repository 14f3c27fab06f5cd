"""`make bench`: run every benchmark module's ``main()`` and collect results.

Each module writes its own file under benchmarks/results/; this runner also writes
benchmarks/results/SUMMARY.md with the machine, the date and each benchmark's status.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

#: Benchmark modules in run order (a missing module is reported, not fatal).
MODULES = [
    "benchmarks.bench_bonds",
    "benchmarks.bench_basket",
    "benchmarks.bench_solver",
    "benchmarks.bench_end_to_end",
    "benchmarks.bench_batch",
    "benchmarks.validate_futures_dv01",
    "benchmarks.betas_report",
    "benchmarks.backtest_report",
    "benchmarks.calibrate_risk",
]


def machine() -> str:
    return (f"{platform.platform()}, Python {platform.python_version()}, "
            f"{os.cpu_count()} cores (the project's reference machine: 2 cores, 24 GB)")


def main(argv: list[str] | None = None) -> int:
    only = set(argv or sys.argv[1:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [f"# Benchmark run {dt.date.today().isoformat()}", "", f"Machine: {machine()}", "",
             "| module | status | seconds |", "|---|---|---|"]
    failed = 0
    for name in MODULES:
        if only and name.split(".")[-1] not in only:
            continue
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                lines.append(f"| {name} | not present | |")
                continue
            raise
        try:
            mod.main()
            status = "ok"
        except Exception:  # keep going: one broken benchmark must not hide the others
            traceback.print_exc()
            status = "FAILED"
            failed += 1
        lines.append(f"| {name} | {status} | {time.perf_counter() - t0:.1f} |")
        print(lines[-1], flush=True)
    (RESULTS / "SUMMARY.md").write_text("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
