"""Errors that map to CLI exit statuses (SPEC §9): 2 bad input, 3 infeasible, 4 solver failure."""

from __future__ import annotations

from typing import Any

from data.errors import InputError


class InfeasibleMandate(Exception):
    """The mandate cannot be met. ``conflicts`` names the constraints; ``relaxations`` says the
    smallest change to each that makes the mandate feasible (CLI exit status 3)."""

    def __init__(self, message: str, conflicts: list[str] | None = None,
                 relaxations: list[str] | None = None, why: str = "",
                 suggestions: list[Any] | None = None,
                 conflict_details: list[str] | None = None,
                 notes: list[str] | None = None) -> None:
        self.conflicts = conflicts or []
        # one "name (what it states)" per conflict, and what the diagnosis could not settle:
        # the CLI lists them under a one-line header instead of repeating the whole message
        self.conflict_details = conflict_details or list(self.conflicts)
        self.notes = notes or []
        self.relaxations = relaxations or []
        self.why = why
        self.suggestions = suggestions or []  # diagnose.Relaxation objects (verified changes)
        super().__init__(message)


class SolverFailure(Exception):
    """No hedge with a status could be produced (a solver error or no hedge within the limits;
    CLI exit status 4)."""


EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 2, 3, 4

__all__ = ["InputError", "InfeasibleMandate", "SolverFailure",
           "EXIT_OK", "EXIT_INPUT", "EXIT_INFEASIBLE", "EXIT_SOLVER"]
