"""End-to-end wall time of the CLI on the bundled default (fresh processes, as a user runs it).

Timed (subprocess, median of N runs each, interleaved so machine noise hits both alike):
``overlay hedge`` (holdings -> exposures, front contracts' baskets, covariance, betas, integer
solve, output) with the bundled portfolio and mandate, against the baseline ``overlay analyze``
(holdings -> exposures only: interpreter start-up, imports and data loading) in the same run;
the difference is the hedge work proper. Exit statuses are recorded (3 = the default mandate is
infeasible on that date: still a complete run, diagnosis included).

Usage: ``python -m benchmarks.bench_end_to_end [--runs 5] [--json]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def _overlay() -> list[str]:
    exe = Path(sys.executable).with_name("overlay")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "optimizer.cli"]


def timed(args: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    p = subprocess.run(_overlay() + args, cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - t, p.returncode


def main(argv: list[str] | None = None) -> int:
    from benchmarks.backtest_report import machine

    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_end_to_end")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="time the --json variants")
    a = ap.parse_args(argv if argv is not None else [])
    extra = ["--json"] if a.json else []
    cases = {"overlay analyze": ["analyze"] + extra, "overlay hedge": ["hedge"] + extra}
    timed(["analyze"])  # warm the OS file cache
    times: dict[str, list[float]] = {k: [] for k in cases}
    codes: dict[str, set[int]] = {k: set() for k in cases}
    for _ in range(a.runs):
        for k, args in cases.items():
            s, rc = timed(args)
            times[k].append(s)
            codes[k].add(rc)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["overlay analyze"]
    lines = [
        "# End-to-end CLI wall time", "",
        f"Generated {dt.date.today().isoformat()} by `python -m benchmarks.bench_end_to_end "
        f"--runs {a.runs}{' --json' if a.json else ''}`", "", f"Machine: {machine()}", "",
        "Fresh subprocess per run (interpreter start, imports, bundled data, output), bundled "
        "default portfolio and mandate, latest bundled date; runs interleaved.", "",
        "| command | median s | min s | max s | exit status | baseline (same run) | "
        "difference |", "|---|---|---|---|---|---|---|"]
    for k in cases:
        v = times[k]
        ref = "— (this is the baseline)" if k == "overlay analyze" else "overlay analyze"
        diff = "" if k == "overlay analyze" else f"+{med[k] - base:.2f} s ({med[k] / base:.1f}x)"
        lines.append(f"| `{' '.join(cases[k])}` | {med[k]:.2f} | {min(v):.2f} | {max(v):.2f} | "
                     f"{sorted(codes[k])} | {ref} | {diff} |")
    if any(3 in c for c in codes.values()):
        lines += ["", "Exit status 3 = infeasible mandate (the run still builds and diagnoses "
                  "the full problem)."]
    lines.append("")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_end_to_end.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
