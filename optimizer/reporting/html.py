"""Self-contained HTML reports, one page per verb: one file, inline CSS and inline SVG charts,
no script, no external resource and no URL at all; works offline.

API
---
``render_report(doc, *, kind=None, generated_at=None) -> str``  the HTML text.
``write_report(doc, path, *, kind=None, generated_at=None) -> Path``  the same, written
atomically (readers see the old file or the new one, never half of one; nothing is left behind
on error).

``doc`` is the verb's result dict, i.e. its ``--json`` object (``result.to_dict()``); numbers
may be int/float/numpy scalars, ``None``/NaN show as "—", warnings may be
:class:`data.errors.Notice` values, their dicts or strings (each distinct one is shown once, as
a sentence). ``kind`` picks the page: ``hedge`` (:mod:`page_hedge`), ``rebalance``
(:mod:`page_rebalance`), ``scenarios`` (:mod:`page_scenarios`), ``backtest``
(:mod:`page_backtest`), ``frontier`` (:mod:`page_frontier`); without it the page follows
``doc["command"]`` or the keys present (see :func:`infer_kind`). Each page module documents the
keys it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from optimizer.reporting import (
    layout,
    page_backtest,
    page_frontier,
    page_hedge,
    page_rebalance,
    page_scenarios,
)
from optimizer.reporting.formatters import to_jsonable
from optimizer.reporting.output import write_text_atomic

DEFAULT_TITLE = page_hedge.DEFAULT_TITLE
PAGES: dict[str, Callable[[Mapping, str], str]] = {
    "hedge": page_hedge.render,
    "rebalance": page_rebalance.render,
    "scenarios": page_scenarios.render,
    "backtest": page_backtest.render,
    "frontier": page_frontier.render,
}


def infer_kind(doc: Mapping[str, Any]) -> str:
    """The page for a result dict: its ``command`` (or ``kind``) when it names a page, else by
    the keys only that verb's result has; a hedge otherwise."""
    cmd = str(doc.get("command") or doc.get("kind") or "").lower()
    if cmd in PAGES:
        return cmd
    if "held_positions" in doc or ("decision" in doc and "bands" in doc):
        return "rebalance"
    if "scenario_results" in doc or "regression_effectiveness" in doc:
        return "scenarios"
    if isinstance(doc.get("backtest"), Mapping) or ("metrics" in doc and (
            "hedges" in doc or "series" in doc)):
        return "backtest"
    if doc.get("frontier") and "positions" not in doc:
        return "frontier"
    return "hedge"


def render_report(doc: Mapping[str, Any], *, kind: str | None = None,
                  generated_at: str | None = None) -> str:
    """The report as one self-contained HTML string (no script, no external resource)."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"report document must be a dict (the verb's --json object), got "
                        f"{type(doc).__name__}")
    data: dict[str, Any] = to_jsonable(dict(doc))
    kind = (kind or infer_kind(data)).lower()
    if kind not in PAGES:
        raise ValueError(f"unknown report kind {kind!r}: expected one of {', '.join(PAGES)}")
    if kind == "backtest" and isinstance(data.get("backtest"), Mapping):
        data = {**data["backtest"], **{k: v for k, v in data.items() if k != "backtest"}}
    return PAGES[kind](data, layout.generated_stamp(data, generated_at))


def write_report(doc: Mapping[str, Any], path: str | Path, *, kind: str | None = None,
                 generated_at: str | None = None) -> Path:
    """Render and write atomically; on any error nothing (not even a partial file) is left."""
    html = render_report(doc, kind=kind, generated_at=generated_at)
    path = Path(path)
    write_text_atomic(path, html)
    return path
