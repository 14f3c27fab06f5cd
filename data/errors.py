"""Errors for bad user input.

Every problem with a user's file is raised as one :class:`InputError` naming the file, the row
(1-based, as a spreadsheet shows it, header = row 1) and the column, so the CLI can print one clear
line and exit with status 2 before anything is written.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user's file or command line (CLI exit status 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message
