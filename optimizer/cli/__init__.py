"""`overlay` command line: a thin layer over the workflows (see :mod:`optimizer.cli.main`)."""

from optimizer.cli.main import main

__all__ = ["main"]
