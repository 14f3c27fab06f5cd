"""Shared helpers of the benchmark scripts: where results go, the machine line, and timings of
fresh processes that do not depend on machine load as much as wall time does.

* **Where results go.** ``results_dir(full=True)`` is ``benchmarks/results/`` (committed; only an
  explicit full run rewrites it: ``python -m benchmarks.run --full`` or a script run by hand);
  ``results_dir(full=False)`` is ``benchmarks/results/quick/`` (what ``make bench`` writes; not
  committed).
* **Timings.** :func:`run_child` runs a command as a fresh process and reports its wall time,
  its CPU time (user + system, from ``wait4``: that process and the children it waited for)
  and its peak resident memory. On the shared 2-core reference machine the wall time moves
  with the other users' load; CPU time much less, so ratios are given for both.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
QUICK = RESULTS / "quick"


def results_dir(full: bool) -> Path:
    """``benchmarks/results`` for a full run, ``benchmarks/results/quick`` otherwise."""
    d = RESULTS if full else QUICK
    d.mkdir(parents=True, exist_ok=True)
    return d


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores "
            f"(reference machine: 2 cores shared with other users); 1-minute load average "
            f"{load:.1f} when written")


@dataclass
class Measure:
    """One timed run: wall and CPU seconds, peak resident memory (MB), exit status."""

    wall_s: float
    cpu_s: float
    peak_mb: float = float("nan")
    returncode: int = 0


# Runs the command from a small fresh interpreter and reports its rusage: a child forked from
# the (large) benchmark process would count the parent's pages in its peak memory (Linux
# inherits ru_maxrss across fork and exec), a grandchild forked from this launcher does not.
_LAUNCHER = r"""
import json, os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
json.dump({"wall": time.perf_counter() - t0, "cpu": ru.ru_utime + ru.ru_stime,
           "peak_mb": ru.ru_maxrss / 1024.0, "rc": os.waitstatus_to_exitcode(status)},
          open(sys.argv[1], "w"))
"""


def run_child(cmd: Sequence[str], *, cwd: Path = REPO, stdout_path: Path | None = None,
              env: dict[str, str] | None = None) -> tuple[Measure, str, str]:
    """Run ``cmd`` as a fresh process; its Measure, stdout (unless sent to ``stdout_path``) and
    stderr. Output goes through files, so a 40 MB JSON cannot block a pipe."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        out_p = stdout_path or Path(tmp) / "stdout"
        err_p, res_p = Path(tmp) / "stderr", Path(tmp) / "rusage.json"
        with open(out_p, "wb") as out, open(err_p, "wb") as err:
            subprocess.run([sys.executable, "-c", _LAUNCHER, str(res_p), *cmd], cwd=cwd,
                           stdout=out, stderr=err, env=env, check=True)
        r = json.loads(res_p.read_text())
        text = "" if stdout_path else out_p.read_text(errors="replace")
        return (Measure(r["wall"], r["cpu"], r["peak_mb"], r["rc"]), text,
                err_p.read_text(errors="replace"))


def median(ms: Sequence[Measure]) -> Measure:
    """Median wall, CPU and peak of repeated runs (the worst exit status)."""
    return Measure(statistics.median(m.wall_s for m in ms), statistics.median(m.cpu_s for m in ms),
                   statistics.median(m.peak_mb for m in ms), max(m.returncode for m in ms))


def overlay() -> list[str]:
    """The ``overlay`` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("overlay")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "optimizer.cli"]
