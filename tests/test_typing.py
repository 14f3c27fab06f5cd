"""mypy is clean on the solver core (configured in pyproject.toml [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_clean_on_optimizer_core():
    p = subprocess.run([sys.executable, "-m", "mypy", "optimizer/core"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "Success" in p.stdout
