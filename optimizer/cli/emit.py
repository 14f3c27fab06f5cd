"""Transactional outputs: nothing is written unless the whole command succeeds.

A command registers each output file as it is produced -- ``emit.csv(path, frame, "--csv")``,
``emit.text(...)``, ``emit.json(...)``, ``emit.html(path, doc, "--report")`` -- and the content
is rendered in memory right away (a rendering error fails the command before any file exists).
:func:`optimizer.cli.main.main` runs every command inside :func:`transaction`: when the command
returns 0 the files are committed -- each written to a temporary file beside its target, and
only when all of them are on disk renamed into place (``os.replace``, atomic per file; missing
folders are created then). When the command raises or returns non-zero, nothing is written and
no folder is created.

Outside a transaction (the Python API, a test calling a command's ``run`` directly) each call
writes its file at once, atomically.

Every path is checked when registered (:func:`optimizer.validate.output_path`: not a directory,
writable, no two outputs at one path); ``main`` checks the output flags of a command before it
runs, so a bad path costs no work.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data.errors import InputError
from optimizer import validate


@dataclass
class _Pending:
    path: Path
    flag: str | None
    content: str


@dataclass
class Transaction:
    """Outputs registered by one command run; :meth:`commit` writes them all or none."""

    pending: list[_Pending] = field(default_factory=list)
    committed: bool = False

    def add(self, path: str | Path, content: str, flag: str | None = None) -> Path:
        p = validate.output_path(path, flag)
        key = os.path.realpath(p)
        for other in self.pending:
            if os.path.realpath(other.path) == key:
                raise InputError(f"'{path}' is also written by {other.flag or 'another output'}; "
                                 "each output needs its own file", field=flag)
        self.pending.append(_Pending(p, flag, content))
        return p

    def commit(self) -> list[Path]:
        """Write every registered file: all temporary files first, then the renames."""
        created: list[Path] = []
        temps: list[str] = []
        current: _Pending | None = None
        try:
            for current in self.pending:
                created += _make_parents(current.path.parent)
                temps.append(_write_temp(current))
            for tmp, current in zip(temps, self.pending, strict=True):
                os.replace(tmp, current.path)
        except OSError as exc:
            for tmp in temps:
                Path(tmp).unlink(missing_ok=True)
            for d in reversed(created):
                with contextlib.suppress(OSError):
                    d.rmdir()
            where = current.path if current is not None else exc.filename
            raise InputError(f"cannot write '{where}': {exc.strerror or exc}",
                             field=current.flag if current is not None else None) from None
        self.committed = True
        return [i.path for i in self.pending]


def _make_parents(folder: Path) -> list[Path]:
    missing = []
    d = folder
    while str(d) and not d.exists():
        missing.append(d)
        d = d.parent
    for m in reversed(missing):
        m.mkdir()
    return list(reversed(missing))


def _write_temp(item: _Pending) -> str:
    fd, tmp = tempfile.mkstemp(dir=item.path.parent or ".", prefix=f".{item.path.name}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(item.content)
        # mkstemp creates 0600; give the file the permissions a plain open() would (umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


_ACTIVE: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "overlay_outputs", default=None)


@contextlib.contextmanager
def transaction() -> Iterator[Transaction]:
    """Collect the outputs of the code inside; the caller commits (``tx.commit()``) when it
    succeeded. Leaving without a commit discards everything."""
    tx = Transaction()
    token = _ACTIVE.set(tx)
    try:
        yield tx
    finally:
        _ACTIVE.reset(token)


def _emit(path: str | Path, content: str, flag: str | None) -> Path:
    tx = _ACTIVE.get()
    if tx is not None:
        return tx.add(path, content, flag)
    once = Transaction()
    once.add(path, content, flag)
    return once.commit()[0]


def text(path: str | Path, content: str, flag: str | None = None) -> Path:
    """A text file (UTF-8)."""
    return _emit(path, content, flag)


def json(path: str | Path, obj: Any, flag: str | None = None) -> Path:
    """A JSON file of ``obj`` (numpy/pandas values converted; NaN -> null)."""
    from optimizer.reporting.formatters import dumps

    return _emit(path, dumps(obj, indent=2) + "\n", flag)


def csv(path: str | Path, frame: Any, flag: str | None = None) -> Path:
    """A CSV of a DataFrame, safe to open in a spreadsheet (no formula injection)."""
    from optimizer.reporting.output import csv_text

    return _emit(path, csv_text(frame), flag)


def html(path: str | Path, doc: Any, flag: str | None = None, kind: str | None = None) -> Path:
    """The self-contained HTML report of ``doc`` (see :mod:`optimizer.reporting.html`; ``kind``
    names the page when the dict alone does not, e.g. ``"frontier"`` for a hedge plus frontier)."""
    from optimizer.reporting.html import render_report

    return _emit(path, render_report(doc, kind=kind), flag)


def show(doc: Any, render_text: Any, *, as_json: bool, report: str | None = None) -> int:
    """A command's terminal output: the ``--json`` object, or the text ``render_text(doc)``
    with, when a ``--report`` was asked for, where it goes (on stderr). Returns exit status 0."""
    import sys

    if as_json:
        from optimizer.reporting.output import print_json

        print_json(doc)
        return 0
    print(render_text(doc))
    if report:
        print(f"report written to {report}", file=sys.stderr)
    return 0
