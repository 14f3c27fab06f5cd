"""What every hedge-building workflow is asked: a portfolio, a mandate, a date, a risk model.

:class:`MandateRequest` is the common part of the typed requests of ``hedge``, ``rebalance``,
``scenarios`` and ``frontier`` (the Python API and the CLI build the same object; the CLI from
the one set of mandate flags, :mod:`optimizer.cli.flags`).

* ``holdings``: a holdings DataFrame (SPEC §4 layout, e.g. from :func:`data.holdings.
  read_holdings`) or a path (CSV/XLSX/Parquet); ``None`` = the bundled default portfolio.
* ``mandate``: a :class:`optimizer.mandate.Mandate`, a path to a mandate TOML, or ``None`` (the
  embedded default mandate).
* ``asof``: a date (``"2025-07-11"``, ``datetime.date``, ``pd.Timestamp``); ``None`` = the latest
  bundled Treasury curve date.
* ``key_tenors`` (default 2Y..30Y), ``window`` (risk-model lookback, default ``"3y"``),
  ``margins`` (the clearing firm's margins: a frame or CSV path; default the bundled file),
  ``repo`` (decimal; default SOFR), ``time_limit`` (integer-solver seconds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.assemble import HedgeContext, build_context
from optimizer.mandate import Mandate, as_mandate

HoldingsLike = pd.DataFrame | str | Path | None
MandateLike = Mandate | str | Path | None


@dataclass(frozen=True)
class MandateRequest:
    """Portfolio + mandate + date + risk-model options (see the module docstring)."""

    holdings: HoldingsLike = None
    mandate: MandateLike = None
    asof: Any = None
    key_tenors: Sequence[str] | None = None
    window: str = "3y"
    margins: pd.DataFrame | str | Path | None = None
    repo: float | None = None
    time_limit: float = 10.0

    def resolved_mandate(self) -> Mandate:
        return as_mandate(self.mandate)

    def context(self, mandate: Mandate | None = None,
                current: Mapping[str, int] | None = None) -> HedgeContext:
        """The assembled hedge problem (exposures, instruments, risk model, constraints)."""
        return build_context(self.holdings, mandate or self.resolved_mandate(), self.asof,
                             key_tenors=list(self.key_tenors) if self.key_tenors else None,
                             current=dict(current) if current else None, window=self.window,
                             repo=self.repo, margins=self.margins)


__all__ = ["MandateRequest", "HoldingsLike", "MandateLike"]
