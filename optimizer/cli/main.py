"""`overlay` command line: one sub-command per module in optimizer/cli/commands/.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func=run``. Exit status (SPEC §9): 0 ok, 2 bad input, 3 infeasible mandate, 4 solver failure
(1 an internal error, 130 interrupted).

Start-up is kept cheap: the top-level parser lists the commands from :data:`SUMMARIES` without
importing them, and only the module of the command being run (or whose ``--help`` is asked) is
imported -- so ``overlay --help`` never loads pandas, scipy, statsmodels or cvxpy.

Every run is transactional (:mod:`optimizer.cli.emit`): the output paths a command takes are
checked before it starts, its files are written only when it returns, its stdout is printed only
then, and on any error the user gets one line naming the flag or the file/row/column, and
nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
import traceback

from data.errors import InputError

# SPEC §9 exit statuses (optimizer.core.errors defines the same numbers; importing it here would
# load the solver stack, see _core_error)
EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 130

#: Sub-commands in the order `overlay --help` lists them; a missing module is skipped.
COMMANDS = ["analyze", "basket", "betas", "hedge", "rebalance", "program", "scenarios", "frontier",
            "backtest", "examples", "batch"]

#: One line per command for `overlay --help` (the command's module is not imported for it).
SUMMARIES = {
    "analyze": "portfolio DV01, duration and key-rate DV01s by holding and sector",
    "basket": "Treasury futures deliverable basket, CTD and futures DV01",
    "betas": "sector yield betas to Treasury/swap drivers (OLS, HAC)",
    "hedge": "build the integer futures hedge for a mandate",
    "rebalance": "rebalance and roll an existing futures overlay (order list)",
    "program": "transition-management bridge and cash equitization programs",
    "scenarios": "scenario and historical-replay P&L of holdings and hedge",
    "frontier": "tracking error vs initial-margin budget",
    "backtest": "walk-forward backtest of the mandate over real history",
    "examples": "the SPEC §10 worked examples, computed by the product",
    "batch": "hedge many accounts from a manifest (Dask distributed)",
}

#: argparse destinations that name an output *file*, checked before the command runs.
OUTPUT_FLAGS = {"csv": "--csv", "report": "--report", "explain": "--explain",
                "orders": "--orders", "json_out": "--json-out"}

DEBUG_ENV = "OVERLAY_DEBUG"


def version_text() -> str:
    """``overlay X.Y.Z`` with the Python version and the bundled market-data range."""
    from importlib import metadata

    from optimizer.validate import curve_date_range

    try:
        v = metadata.version("futures-overlay")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "unknown (not installed)"
    first, last = curve_date_range()
    py = ".".join(str(x) for x in sys.version_info[:3])
    return f"overlay {v} (futures-overlay; Python {py}; bundled Treasury curve {first} .. {last})"


class _Version(argparse.Action):
    """``--version``: the text is built only when asked (it reads the data range)."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        print(version_text())
        parser.exit(0)


def _command_in(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option)."""
    for a in argv:
        if not a.startswith("-"):
            return a if a in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `overlay` parser. Only ``command``'s module is imported and registered; the others
    are listed from :data:`SUMMARIES`."""
    parser = argparse.ArgumentParser(
        prog="overlay",
        description="Futures overlay hedge constructor for fixed-income portfolios. "
                    "Exit status: 0 ok, 2 bad input, 3 infeasible mandate, 4 solver failure.",
        epilog="Run 'overlay COMMAND --help' for a command's options.")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the version, Python and bundled data range, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if name == command:
            try:
                mod = importlib.import_module(f"optimizer.cli.commands.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"optimizer.cli.commands.{name}":
                    raise
            else:
                mod.register(sub)
                continue
        if _exists(name):
            sub.add_parser(name, help=SUMMARIES.get(name, ""), add_help=False)
    return parser


def _exists(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"optimizer.cli.commands.{name}") is not None


def _attach_negative_values(argv: list[str]) -> list[str]:
    """``--sold -800m`` -> ``--sold=-800m``: argparse takes a value starting with '-' for a new
    option unless it is a plain number, and would answer "expected one argument" instead of
    letting the flag's check say what is wrong with the value."""
    out: list[str] = []
    for tok in argv:
        prev = out[-1] if out else ""
        if (len(tok) > 1 and tok[0] == "-" and (tok[1].isdigit() or tok[1] == ".")
                and prev.startswith("--") and "=" not in prev and prev != "--"):
            out[-1] = f"{prev}={tok}"
        else:
            out.append(tok)
    return out


def check_outputs(args: argparse.Namespace) -> None:
    """Every output file flag of the command: a writable file path, not a directory, and no
    two outputs at one path -- before any work is done."""
    from optimizer import validate

    given = {}
    for dest, flag in OUTPUT_FLAGS.items():
        value = getattr(args, dest, None)
        if isinstance(value, str):
            validate.output_path(value, flag)
            given[flag] = value
    validate.distinct_outputs(given)


def main(argv: list[str] | None = None) -> int:
    """Run `overlay` with ``argv`` (default: the process arguments); returns the exit status."""
    argv = _attach_negative_values(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(_command_in(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from optimizer.cli import emit

    where = " ".join(["overlay", args.command] + ([args.program] if getattr(
        args, "program", None) else []))
    out = io.StringIO()
    try:
        check_outputs(args)
        with emit.transaction() as tx:
            with contextlib.redirect_stdout(out):
                code = int(args.func(args) or 0)
            tx.commit()
    except InputError as exc:
        return _input_error(where, exc)
    except KeyboardInterrupt:
        print(f"{where}: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # reading a user's file or folder the readers did not anticipate
        name = f"{exc.filename}: " if exc.filename else ""
        print(f"{where}: error: {name}{exc.strerror or exc}; nothing written", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 - infeasible, solver failure, else a bug
        status = _core_error(where, exc)
        return status if status is not None else _internal_error(where, exc)
    return _print(out.getvalue(), code)


def _print(text: str, code: int) -> int:
    """The command's stdout, once it succeeded; a reader that closed the pipe early (``overlay
    analyze --json | head``) is not an error of ours: no traceback, the command's status."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the broken pipe again at exit: point stdout at devnull (the
        # documented recipe, https://docs.python.org/3/library/signal.html#note-on-sigpipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
    return code


def _input_error(where: str, exc: InputError) -> int:
    from optimizer.validate import flag_name

    exc.field = flag_name(exc.field)
    print(f"{where}: error: {exc}", file=sys.stderr)
    return EXIT_INPUT


def _core_error(where: str, exc: Exception) -> int | None:
    """Exit 3 (infeasible mandate: the conflicts and the smallest changes) or 4 (solver failure)
    for the solver's errors, else None. Their classes are looked up in ``sys.modules``: an
    instance can exist only once its module was imported, and importing optimizer.core here
    would load cvxpy for every command (and for ``overlay --help``)."""
    errors = sys.modules.get("optimizer.core.errors")
    if errors is None:
        return None
    if isinstance(exc, errors.InfeasibleMandate):
        _print_infeasible(where, exc)
        return EXIT_INFEASIBLE
    if isinstance(exc, errors.SolverFailure):
        print(f"{where}: solver failure: {exc}", file=sys.stderr)
        return EXIT_SOLVER
    return None


def _print_infeasible(where: str, exc) -> None:
    """The reason on one line, then each conflicting constraint and each verified smallest
    change on a line of its own (the one-sentence form is ``str(exc)``, for the Python API)."""
    text = f"{exc.why.rstrip('.')}." if exc.conflicts and exc.why else str(exc)
    lead = "" if text.lower().startswith("infeasible mandate") else "infeasible mandate: "
    print(f"{where}: {lead}{text}", file=sys.stderr)
    if not exc.conflicts:
        return
    print("  conflicting constraints:", file=sys.stderr)
    for c in exc.conflict_details:
        print(f"    - {c}", file=sys.stderr)
    if exc.relaxations:
        print("  smallest single changes that make it feasible (each the exact minimum of that "
              "limit alone):", file=sys.stderr)
        for r in exc.relaxations:
            print(f"    - {r}", file=sys.stderr)
    for n in exc.notes:
        print(f"  note: {n}", file=sys.stderr)


def _internal_error(where: str, exc: BaseException) -> int:
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(exc, file=sys.stderr)
    tb = traceback.extract_tb(exc.__traceback__)
    at = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
    print(f"{where}: internal error: {type(exc).__name__}: {exc}{at}. This is a bug, not your "
          f"input; nothing was written. Set {DEBUG_ENV}=1 for the full traceback and report it.",
          file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
