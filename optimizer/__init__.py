"""futures-overlay's Python API: the workflows a PM runs, on DataFrames or paths and a Mandate.

    from optimizer import hedge, rebalance, scenarios, backtest, Mandate, load_mandate

    out = hedge("book.csv", "mandate.toml", asof="2025-07-11")     # -> HedgeOutcome
    out.to_frame().to_csv("pos.csv", index=False)                   # the positions format
    nxt = rebalance("pos.csv", "book.csv", "mandate.toml")           # -> RebalanceOutcome
    nxt.decision, nxt.to_frame()                                     # "no_trade", the orders

Every result has ``to_dict()`` (exactly the verb's ``--json``) and ``to_frame()``. The names are
imported lazily on first use (PEP 562), so ``import optimizer`` and ``overlay --help`` stay fast.

=================  =====================================================  ==================
name               what                                                   result
=================  =====================================================  ==================
``hedge``          the integer hedge of a portfolio under a mandate       ``HedgeOutcome``
``rebalance``      an overlay held vs the mandate: rolls, decision, orders ``RebalanceOutcome``
``scenarios``      scenario and replay P&L, effectiveness, attribution   ``ScenarioOutcome``
``frontier``       tracking error vs initial-margin budget                ``FrontierOutcome``
``backtest``       walk-forward hedge quality over real history           ``BacktestResult``
``transition``     transition-management bridge schedule                  ``TransitionProgram``
``equitize``       cash equitization with futures                         ``Equitization``
``Mandate``        the mandate (``load_mandate(path)`` reads a TOML)
=================  =====================================================  ==================
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module, attribute)
_API = {
    "hedge": ("optimizer.workflows.hedge", "hedge"),
    "HedgeRequest": ("optimizer.workflows.hedge", "HedgeRequest"),
    "HedgeOutcome": ("optimizer.workflows.hedge", "HedgeOutcome"),
    "rebalance": ("optimizer.workflows.rebalance", "rebalance"),
    "RebalanceRequest": ("optimizer.workflows.rebalance", "RebalanceRequest"),
    "RebalanceOutcome": ("optimizer.workflows.rebalance", "RebalanceOutcome"),
    "scenarios": ("optimizer.workflows.scenarios", "scenarios"),
    "ScenarioRequest": ("optimizer.workflows.scenarios", "ScenarioRequest"),
    "ScenarioOutcome": ("optimizer.workflows.scenarios", "ScenarioOutcome"),
    "frontier": ("optimizer.workflows.frontier", "frontier"),
    "FrontierRequest": ("optimizer.workflows.frontier", "FrontierRequest"),
    "FrontierOutcome": ("optimizer.workflows.frontier", "FrontierOutcome"),
    "backtest": ("optimizer.workflows.backtest", "run_backtest"),
    "transition": ("optimizer.workflows.programs", "transition"),
    "equitize": ("optimizer.workflows.programs", "equitize"),
    "examples": ("optimizer.workflows.examples", "examples"),
    "Mandate": ("optimizer.mandate", "Mandate"),
    "SectorTarget": ("optimizer.mandate", "SectorTarget"),
    "load_mandate": ("optimizer.mandate", "load_mandate"),
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
