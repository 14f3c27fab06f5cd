"""Start-up and end-to-end cost of the CLI as a user runs it, as ratios in one run (issue 18).

Each case is a fresh process (wall, CPU = user + system, peak memory), the cases interleaved
``--runs`` times so machine noise hits all alike; medians:

* ``python -c pass`` and ``python -c "import cvxpy"`` -- the interpreter and the solver stack;
* ``overlay --help`` -- must cost no more than 1.5x (``python -c pass`` + 0.3 s);
* ``overlay analyze`` and ``overlay hedge`` on the bundled default portfolio and mandate;
* the hedge's own compute: a fresh process imports the hedge workflow, then times
  ``optimizer.hedge()`` three times in a row. The first call is the work ``overlay hedge``
  does after its imports (holdings -> exposures, baskets, risk model, betas, integer solve);
  the second is a second hedge in the same process (a Python API user, a batch worker), which
  issue 18 wants under 0.2 s (what in-process caches of curves, baskets and the risk model buy).

Ratio for the default hedge: ``overlay hedge`` / (``python -c "import cvxpy"`` + first-call
compute); issue 18 wants it within 1.3x.

Usage: ``python -m benchmarks.bench_end_to_end [--runs 5]``; ``main(full)`` for run.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from benchmarks.common import Measure, machine, median, overlay, results_dir, run_child

COMPUTE = r"""
import json, time
t, c = time.perf_counter(), time.process_time()
from optimizer.workflows.hedge import hedge
out = {"imports": [time.perf_counter() - t, time.process_time() - c], "calls": []}
for _ in range(3):
    t, c = time.perf_counter(), time.process_time()
    r = hedge()
    out["calls"].append([time.perf_counter() - t, time.process_time() - c, r.status])
print(json.dumps(out))
"""


def _cases() -> dict[str, list[str]]:
    return {"python -c pass": [sys.executable, "-c", "pass"],
            "python -c \"import cvxpy\"": [sys.executable, "-c", "import cvxpy"],
            "overlay --help": overlay() + ["--help"],
            "overlay analyze": overlay() + ["analyze"],
            "overlay hedge": overlay() + ["hedge"]}


def measure(runs: int) -> tuple[dict[str, Measure], dict[str, Measure], set[str]]:
    cases = _cases()
    got: dict[str, list[Measure]] = {k: [] for k in cases}
    calls: dict[str, list[Measure]] = {"imports": [], "first hedge": [], "second hedge": [],
                                       "third hedge": []}
    statuses: set[str] = set()
    run_child(cases["overlay analyze"])            # warm the OS file cache
    for _ in range(runs):
        for k, cmd in cases.items():
            m, _, err = run_child(cmd)
            if m.returncode not in (0, 3):
                raise RuntimeError(f"{k} failed ({m.returncode}): {err[-2000:]}")
            got[k].append(m)
        m, out, err = run_child([sys.executable, "-c", COMPUTE])
        if m.returncode:
            raise RuntimeError(f"in-process hedge failed: {err[-2000:]}")
        d = json.loads(out.strip().splitlines()[-1])
        calls["imports"].append(Measure(*d["imports"]))
        for name, (w, c, status) in zip(list(calls)[1:], d["calls"], strict=True):
            calls[name].append(Measure(w, c))
            statuses.add(status)
    return ({k: median(v) for k, v in got.items()}, {k: median(v) for k, v in calls.items()},
            statuses)


def report(proc: dict[str, Measure], calls: dict[str, Measure], statuses: set[str],
           runs: int, full: bool) -> str:
    p, cv, hp, hd = (proc["python -c pass"], proc["python -c \"import cvxpy\""],
                     proc["overlay --help"], proc["overlay hedge"])
    first, second = calls["first hedge"], calls["second hedge"]
    help_w, help_c = hp.wall_s / (p.wall_s + 0.3), hp.cpu_s / (p.cpu_s + 0.3)
    hedge_w = hd.wall_s / (cv.wall_s + first.wall_s)
    hedge_c = hd.cpu_s / (cv.cpu_s + first.cpu_s)
    lines = [
        "# CLI start-up and end-to-end cost (`benchmarks/bench_end_to_end.py`)", "",
        f"Generated {dt.date.today().isoformat()} by `python -m benchmarks.bench_end_to_end "
        f"--runs {runs}`{'' if full else ' (quick run)'}", "", f"Machine: {machine()}", "",
        "Fresh process per run, cases interleaved, medians of "
        f"{runs}; bundled default portfolio and mandate on the latest bundled date.", "",
        "| process | wall s | CPU s | peak MB | exit |", "|---|---:|---:|---:|---:|"]
    for k, m in proc.items():
        lines.append(f"| `{k}` | {m.wall_s:.2f} | {m.cpu_s:.2f} | {m.peak_mb:,.0f} | "
                     f"{m.returncode} |")
    lines += ["", "In one process (`from optimizer.workflows.hedge import hedge`, then "
              "`hedge()` three times):", "", "| step | wall s | CPU s |", "|---|---:|---:|"]
    for k, m in calls.items():
        lines.append(f"| {k} | {m.wall_s:.3f} | {m.cpu_s:.3f} |")
    lines += [
        "", f"Hedge statuses seen: {', '.join(sorted(statuses))}.", "",
        "Issue 18 targets (ratios of this run):", "",
        f"- `overlay --help` / (`python -c pass` + 0.3 s): **{help_w:.2f}x wall, "
        f"{help_c:.2f}x CPU** (target within 1.5x)",
        f"- `overlay hedge` / (`import cvxpy` + the hedge's own compute): **{hedge_w:.2f}x "
        f"wall, {hedge_c:.2f}x CPU** (target within 1.3x)",
        f"- a second hedge in the same process: **{second.wall_s:.3f} s wall, "
        f"{second.cpu_s:.3f} s CPU** (target under 0.2 s)", ""]
    return "\n".join(lines)


def main(full: bool = True, argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_end_to_end")
    ap.add_argument("--runs", type=int, default=5 if full else 2)
    a = ap.parse_args(argv if argv is not None else [])
    proc, calls, statuses = measure(a.runs)
    text = report(proc, calls, statuses, a.runs, full)
    (results_dir(full) / "bench_end_to_end.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(True, sys.argv[1:]))
