"""The solver core's structure: it imports only what it may (numpy, scipy.sparse, cvxpy,
pyscipopt, highspy, data.errors, and itself), has no import cycle -- function-local imports
included -- and no class over 300 lines or function over 80."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "optimizer" / "core"
ALLOWED = {"numpy", "scipy", "cvxpy", "pyscipopt", "highspy", "data"}
STDLIB = {"__future__", "collections", "contextlib", "copy", "ctypes", "dataclasses", "fractions",
          "functools", "heapq", "itertools", "json", "math", "os", "sys", "time", "types",
          "typing", "warnings"}


def _imports(path: Path) -> list[str]:
    """Every module imported anywhere in the file (function bodies included)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_core_imports_only_allowed_packages():
    for f in CORE.glob("*.py"):
        for mod in _imports(f):
            top = mod.split(".")[0]
            if top == "optimizer":
                assert mod.startswith("optimizer.core"), (f.name, mod)
            elif top == "data":
                assert mod == "data.errors", (f.name, mod)
            else:
                assert top in ALLOWED | STDLIB, (f.name, mod)


def test_no_import_cycle_in_core():
    graph = {f.stem: {m.split(".")[2] for m in _imports(f)
                      if m.startswith("optimizer.core.") and len(m.split(".")) > 2}
             for f in CORE.glob("*.py")}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in graph.get(n, ()):
            assert state.get(m) != 1, "import cycle: " + " -> ".join(path + [n, m])
            if m not in state:
                visit(m, path + [n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])


def test_no_long_class_or_function():
    for f in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ClassDef):
                n = node.end_lineno - node.lineno + 1
                assert n <= 300, (f.name, node.name, n)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                assert n <= 80, (f.name, node.name, n)
