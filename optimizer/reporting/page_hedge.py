"""The hedge page (``overlay hedge --report``), rendered from the hedge result dict (the SPEC §9
``overlay hedge --json`` object) plus, when present, ``mandate`` (a {name: text} summary),
``scenarios``/``scenario_results`` (see :mod:`page_scenarios`) and ``frontier`` (see
:mod:`page_frontier`).

Sections: header (status, solver, objective in USD²/yr), warnings, summary (cards, tracking
error, margin and leverage gauges), constraints, mandate, positions and net contracts, sector
DV01, key-rate ladder (portfolio and per sector), scenario P&L, frontier, instruments, risk
model, provenance.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.reporting import layout as L
from optimizer.reporting import page_frontier, page_scenarios, sections

DEFAULT_TITLE = "Futures overlay hedge report"


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or DEFAULT_TITLE
    pf = L.sub(doc, "portfolio")
    meta = [("As of", doc.get("asof")),
            ("Portfolio", pf.get("name") or doc.get("portfolio_name")),
            ("Mandate", doc.get("mandate_name")), ("Generated", generated_at)]
    parts = [
        L.header(title, meta, sections.solver_line(doc)),
        L.notices(doc.get("warnings")),
        sections.summary(doc),
        sections.constraints(doc),
        sections.mandate(doc),
        sections.positions(doc),
        sections.sectors(doc),
        sections.key_rates(doc),
        sections.sector_ladders(doc),
        page_scenarios.pnl_section(doc),
        page_scenarios.attribution_section(doc),
        page_frontier.frontier_section(doc),
        sections.instruments(doc),
        sections.risk_model(doc),
        L.bullet_section("provenance", "Data provenance", doc.get("provenance")),
    ]
    return L.page(title, parts, verb="hedge", asof=doc.get("asof"))
