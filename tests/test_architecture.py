"""Architecture rules (issue 14), checked on the source so a regression fails the suite.

- Imports flow one way: data <- models <- optimizer.core <- optimizer.{mandate, assemble, validate}
  <- optimizer.workflows <- optimizer (the Python API) <- optimizer.reporting <- optimizer.cli.
  Every import counts, function-local ones included (a cycle hidden in a function is a cycle).
- No import cycle among the product's modules.
- No class over 300 lines, no function over 80 lines (data tables aside: a function whose body is
  one literal assignment/return is a table).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "models", "optimizer")
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports anywhere in its source (function-local included)."""
    tree = ast.parse(path.read_text())
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = pkg.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import submodule` imports the submodule; `from mod import name` the module
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = subs if len(subs) == len(node.names) else [base, *subs]
        else:
            continue
        for t in targets:
            if t in MODULES and t != name:
                found.add(t)
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _rank(mod: str) -> int:
    if mod == "data" or mod.startswith("data."):
        return 0
    if mod == "models" or mod.startswith("models."):
        return 1
    if mod.startswith("optimizer.core"):
        return 2
    if mod in ("optimizer.mandate", "optimizer.assemble", "optimizer.validate"):
        return 3
    if mod.startswith("optimizer.workflows"):
        return 4
    if mod == "optimizer":
        return 5
    if mod.startswith("optimizer.reporting"):
        return 6
    if mod.startswith("optimizer.cli"):
        return 7
    return 3  # any other optimizer module sits with the assembly layer


def test_imports_flow_one_way():
    bad = [f"{m} (layer {_rank(m)}) imports {t} (layer {_rank(t)})"
           for m, targets in GRAPH.items() for t in sorted(targets) if _rank(t) > _rank(m)]
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_no_import_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def _is_table(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], (ast.Return, ast.Assign)) and isinstance(
        body[0].value, (ast.Dict, ast.List, ast.Tuple, ast.Set))


def _sizes():
    for mod, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            if isinstance(node, ast.ClassDef) and n > MAX_CLASS_LINES:
                yield f"class {mod}.{node.name}: {n} lines"
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    n > MAX_FUNCTION_LINES and not _is_table(node):
                yield f"function {mod}.{node.name}: {n} lines"


def test_no_long_classes_or_functions():
    over = list(_sizes())
    assert not over, "too long:\n" + "\n".join(over)


@pytest.mark.parametrize("layer_mod", ["data.errors", "models.bonds", "optimizer.core.problem"])
def test_the_walker_sees_function_local_imports(layer_mod):
    # the rules are only as good as the walker: it must find the module and its imports
    assert layer_mod in MODULES
