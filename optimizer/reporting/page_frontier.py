"""The tracking-error-vs-margin frontier: a section of the hedge page and the page of
``overlay frontier --report``.

Keys read: ``frontier: [{margin_budget_usd, tracking_error_usd, tracking_error_bp?, status,
margin_used_usd?, contracts?: {contract: n}, flags?: [str]}]``; the chosen point is the
mandate's budget (``margin.budget`` of the hedge, else ``mandate_margin_budget_usd``) at the hedge's tracking error (``tracking_error.after_usd``, else the
frontier row at that budget). Money in USD, tracking error in USD per year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.reporting import charts, sections
from optimizer.reporting import formatters as fmt
from optimizer.reporting import layout as L


def budget_of(r: Mapping) -> Any:
    return r.get("margin_budget_usd", r.get("margin_budget"))


def chosen_point(doc: Mapping, rows: Sequence[Mapping]) -> tuple[float, float] | None:
    budget = fmt.finite(L.sub(doc, "margin").get("budget"))
    if budget is None:
        budget = fmt.finite(doc.get("mandate_margin_budget_usd", doc.get("mandate_margin_budget")))
    if budget is None:
        return None
    te = fmt.finite(L.sub(doc, "tracking_error").get("after_usd"))
    if te is None:
        te = next((fmt.finite(r.get("tracking_error_usd")) for r in rows
                   if fmt.finite(budget_of(r)) == budget), None)
    return None if te is None else (budget, te)


def _columns(rows: Sequence[Mapping], chosen: tuple[float, float] | None) -> list[L.Column]:
    def budget_cell(r: Mapping) -> str:
        mark = chosen is not None and fmt.finite(budget_of(r)) == chosen[0]
        return L.num(budget_of(r)) + (' <span class="flag" title="the mandate\'s budget: the '
                                      'hedge shown">◀ chosen</span>' if mark else "")

    cols: list[L.Column] = [
        ("Margin budget (USD)", "num", budget_cell),
        L.col("Status", "status"),
        L.col("Tracking error (USD/yr)", "tracking_error_usd", L.num),
        L.col("Tracking error (bp of MV)", "tracking_error_bp", L.num, dp=1),
        ("Margin used (USD)", "num",
         lambda r: L.num(r.get("margin_used_usd", r.get("margin_used")))),
        ("Contracts", "txt", lambda r: L.text(", ".join(
            f"{k} {fmt.number(v, signed=True)}" for k, v in L.sub(r, "contracts").items()
            if fmt.finite(v)))),
        ("Flags", "txt", lambda r: L.text(L.join(r.get("flags"), "; "))),
    ]
    present = {k for r in rows for k in r}
    need = {"Tracking error (bp of MV)": ("tracking_error_bp",),
            "Margin used (USD)": ("margin_used_usd", "margin_used"), "Contracts": ("contracts",),
            "Flags": ("flags",)}
    return [c for c in cols if c[0] not in need or present & set(need[c[0]])]


def frontier_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "frontier")
    if not rows:
        return ""
    chosen = chosen_point(doc, rows)
    pts = [(budget_of(r), r.get("tracking_error_usd")) for r in rows]
    marker = (chosen[0], "mandate budget") if chosen else None
    hl = (chosen[0], chosen[1], f"chosen hedge: TE {fmt.compact(chosen[1])}/yr") if chosen else None
    chart = charts.line_chart(
        "frontier", "Tracking error vs initial-margin budget", [("Tracking error", pts)],
        x_label="Initial-margin budget (USD)", y_label="Tracking error (USD per year)",
        colors=[sections.C_AFTER], width=660, height=320, point_labels=len(pts) <= 14,
        x_marker=marker, highlight=hl)
    n_bad = sum(1 for _, te in pts if fmt.finite(te) is None)
    note = "More margin never raises the optimal tracking error."
    if n_bad:
        note += f" {n_bad} budget(s) infeasible or unsolved (listed, not plotted)."
    if chosen:
        note += (f" Chosen: the mandate's budget {fmt.usd(chosen[0])}, tracking error "
                 f"{fmt.usd(chosen[1])} per year (ringed).")
    return L.section("frontier", "Efficient frontier: tracking error vs margin",
                     L.pair(L.data_table(_columns(rows, chosen), rows), chart), note)


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or "Futures overlay frontier report"
    meta = [("As of", doc.get("asof")), ("Portfolio", doc.get("portfolio_name")),
            ("Mandate", doc.get("mandate_name")), ("Generated", generated_at)]
    parts = [L.header(title, meta, sections.solver_line(doc) if doc.get("status") else ""),
             L.notices(doc.get("warnings")), frontier_section(doc), sections.summary(doc),
             sections.positions(doc), sections.sectors(doc),
             L.bullet_section("provenance", "Data provenance", doc.get("provenance"))]
    return L.page(title, parts, verb="frontier", asof=doc.get("asof"))
