"""`overlay` command line: one sub-command per module in optimizer/commands/.

Each command module defines ``register(subparsers)`` which adds its parser and sets
``func=run``. Exit status (SPEC §9): 0 ok, 2 bad input, 3 infeasible mandate, 4 solver failure.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from optimizer.core.errors import (
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_SOLVER,
    InfeasibleMandate,
    InputError,
    SolverFailure,
)

#: Sub-commands in the order `overlay --help` lists them; a missing module is skipped.
COMMANDS = ["analyze", "basket", "betas", "hedge", "rebalance", "program", "scenarios", "frontier",
            "backtest", "examples"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overlay",
        description="Futures overlay hedge constructor for fixed-income portfolios.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"optimizer.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"optimizer.cli.commands.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except InfeasibleMandate as exc:
        print(f"infeasible mandate: {exc}", file=sys.stderr)
        for c in exc.conflicts:
            print(f"  conflicting: {c}", file=sys.stderr)
        for r in exc.relaxations:
            print(f"  to make it feasible: {r}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SolverFailure as exc:
        print(f"solver failure: {exc}", file=sys.stderr)
        return EXIT_SOLVER


if __name__ == "__main__":
    sys.exit(main())
