"""Start-up and the CLI's plumbing: lazy imports, --version, --help per command, exit-status
mapping, transactional outputs (optimizer.cli.emit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.errors import InputError
from optimizer.cli import emit
from optimizer.cli.main import COMMANDS, SUMMARIES, main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("cvxpy", "statsmodels", "scipy", "pandas", "pyscipopt", "pandas_market_calendars")


def _modules_after(code: str) -> set[str]:
    """Top-level packages imported by a fresh interpreter running ``code``."""
    probe = code + "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in " \
                   "sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library():
    loaded = _modules_after("import optimizer.cli.main")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_top_level_help_loads_no_heavy_library_and_no_command_module():
    code = ("from optimizer.cli.main import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "import sys\nassert not [m for m in sys.modules if m.startswith("
            "'optimizer.cli.commands.')], sorted(sys.modules)")
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_command_help_imports_only_that_command():
    code = ("from optimizer.cli.main import main\nmain(['examples', '--help'])\nimport sys\n"
            "cmds = sorted(m for m in sys.modules if m.startswith('optimizer.cli.commands.'))\n"
            "assert cmds == ['optimizer.cli.commands.examples'], cmds")
    loaded = _modules_after(code)
    assert not loaded & {"cvxpy", "statsmodels", "scipy"}


def test_overlay_help_lists_every_command_in_a_subprocess():
    r = subprocess.run([sys.executable, "-m", "optimizer.cli", "--help"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stderr == ""
    listing = " ".join(r.stdout.split())
    for name in COMMANDS:
        assert f"{name} {SUMMARIES[name]}" in listing, name


def test_every_command_has_a_summary_and_a_working_help(capsys):
    for name in COMMANDS:
        assert SUMMARIES.get(name), f"add '{name}' to optimizer.cli.main.SUMMARIES"
        assert main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert f"overlay {name}" in out and "--help" in out


def test_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert out.startswith(f"overlay {version} ")
    assert "1990-01-02 .. 2025-07-11" in out  # the bundled curve range, first and last line


def test_unknown_command_and_flag_exit_2(capsys):
    assert main(["hedgee"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["hedge", "--no-such-flag"]) == 2
    assert "--no-such-flag" in capsys.readouterr().err


def test_internal_error_is_one_line_exit_1(monkeypatch, capsys):
    import optimizer.cli.commands.examples as ex

    def boom(args):
        raise ZeroDivisionError("synthetic")

    monkeypatch.setattr(ex, "run", boom)
    monkeypatch.delenv("OVERLAY_DEBUG", raising=False)
    assert main(["examples"]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: synthetic" in err and "Traceback" not in err
    monkeypatch.setenv("OVERLAY_DEBUG", "1")
    assert main(["examples"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_field_errors_are_reported_with_the_flag(monkeypatch, capsys):
    import optimizer.cli.commands.examples as ex

    def bad(args):
        print("partial output that must not be shown")
        raise InputError("must be > 0", field="margin_budget_usd")

    monkeypatch.setattr(ex, "run", bad)
    assert main(["examples"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""  # stdout is printed only when the command succeeds
    assert cap.err.strip() == "overlay examples: error: --margin-budget: must be > 0"


# --------------------------------------------------------------------------- transactional
def test_emit_writes_nothing_when_the_command_fails(tmp_path, monkeypatch):
    import optimizer.cli.commands.examples as ex

    a, b = tmp_path / "a.csv", tmp_path / "new" / "b.html"

    def run(args):
        emit.text(a, "first output\n", "--csv")
        emit.text(b, "<html></html>", "--report")
        raise InputError("late failure", file="x.csv", row=3, column="price")

    monkeypatch.setattr(ex, "run", run)
    assert main(["examples"]) == 2
    assert not a.exists() and not (tmp_path / "new").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind

    def ok(args):
        emit.text(a, "first output\n", "--csv")
        emit.json(b, {"x": float("nan")}, "--report")
        return 0

    monkeypatch.setattr(ex, "run", ok)
    assert main(["examples"]) == 0
    assert a.read_text() == "first output\n" and json.loads(b.read_text()) == {"x": None}
    assert oct(a.stat().st_mode & 0o777) != "0o600"  # a normal file, not mkstemp's private mode


def test_emit_rejects_two_outputs_at_one_path_and_directories(tmp_path):
    with emit.transaction() as tx:
        emit.text(tmp_path / "x.csv", "1", "--csv")
        with pytest.raises(InputError, match="also written by --csv"):
            emit.text(tmp_path / "x.csv", "2", "--report")
        with pytest.raises(InputError, match="is a directory"):
            emit.text(tmp_path, "2", "--explain")
    assert not tx.committed and not (tmp_path / "x.csv").exists()


def test_emit_commit_failure_leaves_nothing(tmp_path, monkeypatch):
    """The second rename fails (disk full, permissions changed after the check): the first
    file, already renamed into place, is the only possible leftover -- so renames happen only
    after every temporary file was written, and a failure while writing leaves nothing."""
    real_write = emit._write_temp
    calls = []

    def failing_write(item):
        calls.append(item.path.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(item.path))
        return real_write(item)

    monkeypatch.setattr(emit, "_write_temp", failing_write)
    with emit.transaction() as tx:
        emit.text(tmp_path / "ok.csv", "1", "--csv")
        emit.text(tmp_path / "new" / "r.html", "2", "--report")
        with pytest.raises(InputError, match="No space left on device") as ei:
            tx.commit()
    assert ei.value.field == "--report"
    assert list(tmp_path.iterdir()) == []  # no file, no temporary, no created folder


def test_emit_outside_a_transaction_writes_at_once(tmp_path):
    p = emit.text(tmp_path / "sub" / "direct.txt", "hello")
    assert p.read_text() == "hello"


def test_commands_write_files_only_through_emit():
    """Every output file of a command goes through optimizer.cli.emit (checked before the run,
    written only when the command succeeds); a direct write would bypass the transaction."""
    import re

    direct = re.compile(r"write_csv_atomic|write_text_atomic|write_report\(|\.to_csv\(|"
                        r"open\([^)]*['\"][wa]")
    offenders = [f"{p.name}:{i}" for p in (ROOT / "optimizer" / "cli" / "commands").glob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if direct.search(line)]
    assert offenders == [], offenders


def test_a_closed_stdout_pipe_is_not_a_traceback():
    """`overlay examples --json | head -c1`: the reader leaves; no traceback, status 0."""
    r, w = os.pipe()
    os.close(r)  # nobody reads: every write gets EPIPE
    p = subprocess.run([sys.executable, "-m", "optimizer.cli", "examples", "--json"], stdout=w,
                       stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    os.close(w)
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr, p.stderr
    assert p.returncode == 0


@pytest.mark.parametrize("kind,status,words", [
    ("infeasible", 3, "infeasible mandate: margin too small"),
    ("solver", 4, "solver failure: no hedge within 10 s"),
])
def test_solver_errors_map_to_their_exit_status(monkeypatch, capsys, kind, status, words):
    import importlib

    import optimizer.cli.commands.examples as ex
    from optimizer.core import errors

    cli_main = importlib.import_module("optimizer.cli.main")  # the module, not main()
    assert (cli_main.EXIT_INPUT, cli_main.EXIT_INFEASIBLE, cli_main.EXIT_SOLVER) == (
        errors.EXIT_INPUT, errors.EXIT_INFEASIBLE, errors.EXIT_SOLVER)

    def run(args):
        if kind == "infeasible":
            raise errors.InfeasibleMandate("margin too small", ["margin"], ["budget >= $9.8M"])
        raise errors.SolverFailure("no hedge within 10 s")

    monkeypatch.setattr(ex, "run", run)
    assert main(["examples"]) == status
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and "internal error" not in err
