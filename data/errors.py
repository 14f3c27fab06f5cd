"""Errors for bad user input.

Every problem with a user's file is raised as one :class:`InputError` naming the file, the row
(1-based, as a spreadsheet shows it, header = row 1) and the column, so the CLI can print one clear
line and exit with status 2 before anything is written. A bad value that is not in a file names
its ``field``: the CLI flag (``--margin-budget``) or the Python API field (``margin_budget_usd``);
the CLI rewrites API field names to its flag names before printing.
"""

from __future__ import annotations

from dataclasses import dataclass


class InputError(ValueError):
    """Bad input from a user's file or command line (CLI exit status 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [] if self.field is None else [str(self.field)]
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message


# Severity of a :class:`Notice`: "info" (context a PM may want), "warning" (an assumption or a
# fallback that changes numbers), "error" (a result that must not be used as is).
SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Notice:
    """A structured warning attached to a result (the one warning type of the product).

    ``code`` is a stable machine-readable identifier (``"swap_curve_proxy"``,
    ``"beta_fallback"``), ``subject`` what it is about (a sector, a contract, a file, a flag),
    ``message`` one human sentence. Produced by any layer (data, models, optimizer), carried in
    results as values and rendered once by the reporting layer (text, JSON, HTML).
    """

    code: str
    message: str
    subject: str = ""
    severity: str = "warning"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}" if self.subject else self.message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "subject": self.subject,
                "message": self.message}
