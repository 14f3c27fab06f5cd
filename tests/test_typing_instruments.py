"""mypy is clean on models/instruments (issue 14): every function typed, no type errors, with
the settings of pyproject.toml ([tool.mypy]: untyped defs disallowed in the package)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_models_instruments():
    pytest.importorskip("mypy")
    r = subprocess.run([sys.executable, "-m", "mypy", "models/instruments"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
