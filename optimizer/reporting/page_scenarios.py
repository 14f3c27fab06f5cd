"""The scenarios page (``overlay scenarios --report``), rendered from the scenarios result dict
(``overlay scenarios --json``); its P&L section is also the hedge page's scenario section.

Keys read (each optional; a section shows only when its data is present):
``scenario_results`` (else ``scenarios``): per scenario ``scenario, kind, description, start,
end, holdings_pnl, hedged_item_pnl, hedge_pnl, net_pnl, effectiveness`` (dollar offset =
-hedge P&L / hedged-item P&L), ``effective``, ``approx_*`` (DV01 + convexity), ``dv01_*``
(DV01 only), ``approx_error``, ``by_sector: [{sector, holdings_pnl, hedge_pnl, net_pnl}]``,
``hedge: [{contract, ctd_before, ctd_after, ctd_switch}]``, ``attribution: {curve_usd,
spread_usd, basis_usd}``, ``notes``; ``regression_effectiveness: {set: {n, slope, slope_se, r2,
effective, window?, note?}}``; ``hedge: [{contract, contracts, sector}]``; ``asof,
portfolio_name, hedge_source, warnings, provenance``. All P&L in USD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.reporting import charts, sections
from optimizer.reporting import formatters as fmt
from optimizer.reporting import layout as L

DOLLAR_OFFSET_BAND = (0.80, 1.25)
SLOPE_BAND = (-1.25, -0.80)
R2_MIN = 0.80
C_HOLD, C_HEDGE, C_NET = "#8d99ab", "#1f5fa8", "#c2412d"
C_CURVE, C_SPREAD, C_BASIS = "#1f5fa8", "#e0a030", "#7b4fa8"


def scenario_rows(doc: Mapping) -> list[Mapping]:
    return L.rows_of(doc, "scenario_results") or L.rows_of(doc, "scenarios")


def _label(r: Mapping) -> str:
    name = L.text(r.get("scenario", r.get("name")))
    extra = str(r.get("description") or "")
    if r.get("start") and r.get("end") and str(r["start"])[:10] not in extra:
        extra = f"{extra} ({str(r['start'])[:10]} .. {str(r['end'])[:10]})".strip()
    return f'{name}<br><span class="small">{L.text(extra)}</span>' if extra else name


def effectiveness(v: Any) -> str:
    lo, hi = DOLLAR_OFFSET_BAND
    return L.in_band(v, lo, hi, fmt.pct(v), what=f"dollar-offset band {fmt.pct(lo, 0)}–{fmt.pct(hi, 0)}")


def _ctd_switches(r: Mapping) -> str:
    sw = [h for h in L.rows_of(r, "hedge") if h.get("ctd_switch")]
    seen: dict[str, str] = {}
    for h in sw:
        seen.setdefault(str(h.get("contract")),
                        f"{L.plain(h.get('contract'))} ({L.plain(h.get('ctd_before'))} → "
                        f"{L.plain(h.get('ctd_after'))})")
    return L.text("; ".join(seen.values())) if seen else ""


def _pnl_columns(rows: Sequence[Mapping]) -> list[L.Column]:
    cols: list[L.Column] = [
        ("Scenario", "txt label", _label),
        L.col("Holdings P&L (USD)", "holdings_pnl", L.num),
        L.col("Hedged item P&L (USD)", "hedged_item_pnl", L.num),
        L.col("Hedge P&L (USD)", "hedge_pnl", L.num),
        L.col("Net P&L (USD)", "net_pnl", L.num),
        ("Dollar-offset effectiveness", "num", lambda r: effectiveness(r.get("effectiveness"))),
        ("CTD switch", "txt", _ctd_switches),
    ]
    if not any("hedged_item_pnl" in r for r in rows):
        cols = [c for c in cols if not c[0].startswith("Hedged item")]
    if not any(_ctd_switches(r) for r in rows):
        cols = [c for c in cols if c[0] != "CTD switch"]
    return cols


def effectiveness_note(rows: Sequence[Mapping], definition: str = "") -> str:
    lo, hi = DOLLAR_OFFSET_BAND
    if definition and any("hedged_item_pnl" in r for r in rows):
        return (f"Dollar-offset effectiveness = −hedge P&amp;L ÷ hedged-item P&amp;L; hedged "
                f"item = {L.text(definition)}. Inside {fmt.pct(lo, 0)}–{fmt.pct(hi, 0)} in green, outside in "
                f"bold red. Full revaluation.")
    if any("hedged_item_pnl" in r for r in rows):
        return (f"Dollar-offset effectiveness = −hedge P&amp;L ÷ hedged-item P&amp;L, where the "
                f"hedged item is the hedged part of the holdings P&amp;L (each sector's holdings "
                f"P&amp;L × its hedged fraction, 1 − target ÷ current DV01); inside "
                f"{fmt.pct(lo, 0)}–{fmt.pct(hi, 0)} in green, outside in bold red. Full revaluation.")
    return (f"Dollar-offset effectiveness (−hedge P&amp;L ÷ hedged-item P&amp;L, as computed by "
            f"the scenario engine); inside {fmt.pct(lo, 0)}–{fmt.pct(hi, 0)} in green, outside in bold red.")


def pnl_section(doc: Mapping, title: str = "Scenario P&L: holdings, hedged item, hedge, net"
                ) -> str:
    rows = scenario_rows(doc)
    if not rows:
        return ""
    chart = charts.diverging_hbar_chart(
        "scenario-pnl", "Scenario P&L: holdings, hedge and net",
        [L.plain(r.get("scenario", r.get("name"))) for r in rows],
        [("Holdings", [r.get("holdings_pnl") for r in rows]),
         ("Hedge", [r.get("hedge_pnl") for r in rows]),
         ("Net", [r.get("net_pnl") for r in rows])],
        colors=[C_HOLD, C_HEDGE, C_NET], x_label="P&L (USD)", y_label="Scenario", width=1000)
    n_in = sum(1 for r in rows if _inside(r.get("effectiveness")))
    n_eff = sum(1 for r in rows if fmt.finite(r.get("effectiveness")) is not None)
    count = f" {n_in} of {n_eff} scenarios inside the band." if n_eff else ""
    definition = str(L.sub(doc, "hedged_item").get("definition") or "")
    return L.section("scenarios", title, L.data_table(_pnl_columns(rows), rows) + chart,
                     effectiveness_note(rows, definition) + count)


def _inside(v: Any) -> bool:
    f = fmt.finite(v)
    return f is not None and DOLLAR_OFFSET_BAND[0] <= f <= DOLLAR_OFFSET_BAND[1]


def approximation_section(doc: Mapping) -> str:
    rows = [r for r in scenario_rows(doc) if "approx_net_pnl" in r]
    if not rows:
        return ""
    cols: list[L.Column] = [
        L.col("Scenario", "scenario"),
        L.col("Net P&L, full revaluation (USD)", "net_pnl", L.num),
        L.col("Net P&L, DV01 + convexity (USD)", "approx_net_pnl", L.num),
        L.col("Approximation error (USD)", "approx_error", L.num, signed=True),
        L.col("Net P&L, DV01 only (USD)", "dv01_net_pnl", L.num),
        ("Effectiveness, full", "num", lambda r: effectiveness(r.get("effectiveness"))),
        ("Effectiveness, DV01 + convexity", "num",
         lambda r: effectiveness(r.get("approx_effectiveness"))),
    ]
    if not any("dv01_net_pnl" in r for r in rows):
        cols = [c for c in cols if "DV01 only" not in c[0]]
    note = ("Approximation error = DV01 + convexity net P&amp;L − full-revaluation net P&amp;L. "
            "Large errors flag convexity and CTD-switch effects the first-order hedge misses.")
    return L.section("approximation", "Full revaluation vs DV01 + convexity",
                     L.data_table(cols, rows), note)


def regression_section(doc: Mapping) -> str:
    reg = L.sub(doc, "regression_effectiveness")
    if not reg:
        return ""
    lo, hi = SLOPE_BAND
    rows = []
    for name, r in reg.items():
        if not isinstance(r, Mapping):
            continue
        window = r.get("window")
        span = (f"{L.plain(window[0])} .. {L.plain(window[1])}"
                if isinstance(window, (list, tuple)) and len(window) == 2 else "")
        rows.append({"set": name, **r, "span": span})
    cols: list[L.Column] = [
        ("Replay set", "txt", lambda r: L.text(r["set"])),
        L.col("Observations", "n", L.num),
        ("Slope (hedge on hedged item)", "num", lambda r: L.in_band(
            r.get("slope"), lo, hi, fmt.ratio(r.get("slope")), what="effective slope -1.25..-0.80")),
        L.col("Slope s.e.", "slope_se", L.ratio),
        ("R²", "num", lambda r: L.in_band(r.get("r2"), R2_MIN, 1.0, fmt.ratio(r.get("r2")),
                                          what="effective R² >= 0.80")),
        ("Effective", "txt", lambda r: L.yes_no(r.get("effective"), "effective", "NOT effective")),
        L.col("Window", "span"),
        ("Note", "txt", lambda r: L.text(r.get("note") or "")),
    ]
    note = (f"Regression of hedge P&amp;L on hedged-item P&amp;L across replays: effective when "
            f"the slope is within {lo:.2f}..{hi:.2f} (a negative slope is the goal: the hedge "
            f"offsets the item) and R² ≥ {R2_MIN:.2f}.")
    return L.section("regression", "Regression effectiveness", L.data_table(cols, rows), note)


def attribution_section(doc: Mapping) -> str:
    rows = [r for r in scenario_rows(doc) if isinstance(r.get("attribution"), Mapping)]
    if not rows:
        return ""
    keys = (("Curve (USD)", "curve_usd"), ("Spread (USD)", "spread_usd"),
            ("Basis (USD)", "basis_usd"))

    def total(r: Mapping) -> float | None:
        vals = [fmt.finite(r["attribution"].get(k)) for _, k in keys]
        return None if any(v is None for v in vals) else sum(vals)  # type: ignore[arg-type]

    cols: list[L.Column] = [L.col("Scenario", "scenario")]
    cols += [(h, "num", lambda r, k=k: L.num(r["attribution"].get(k))) for h, k in keys]
    cols += [("Sum (USD)", "num", lambda r: L.num(total(r))),
             L.col("Net P&L (USD)", "net_pnl", L.num)]
    chart = charts.diverging_hbar_chart(
        "pnl-attribution", "Net P&L attribution: curve, spread, basis",
        [L.plain(r.get("scenario")) for r in rows],
        [(h.split(" (")[0], [r["attribution"].get(k) for r in rows]) for h, k in keys],
        colors=[C_CURVE, C_SPREAD, C_BASIS], x_label="P&L (USD)", y_label="Scenario",
        width=1000)
    note = ("Curve: the scenario's Treasury par-curve change on every curve with spreads held "
            "(holdings fully revalued, futures by DV01 + convexity); spread: sector spreads on "
            "the holdings and the swap spread on swap futures; basis: what the futures do beyond "
            "their own DV01 + convexity (CTD switches, the delivery option, higher-order terms). "
            "The three add up to the net P&amp;L.")
    return L.section("attribution", "P&L attribution by curve, spread and basis",
                     L.data_table(cols, rows) + chart, note)


def by_sector_section(doc: Mapping) -> str:
    rows = [r for r in scenario_rows(doc) if L.rows_of(r, "by_sector")]
    if not rows:
        return ""
    names: list[str] = []
    for r in rows:
        for s in L.rows_of(r, "by_sector"):
            if L.plain(s.get("sector")) not in names:
                names.append(L.plain(s.get("sector")))

    def cell(r: Mapping, name: str) -> str:
        s = next((x for x in L.rows_of(r, "by_sector") if L.plain(x.get("sector")) == name), None)
        if s is None:
            return L.NA
        tip = (f"holdings {fmt.number(s.get('holdings_pnl'))}, hedge "
               f"{fmt.number(s.get('hedge_pnl'))}")
        return f'<span title="{L.attr(tip)}">{L.num(s.get("net_pnl"))}</span>'

    cols: list[L.Column] = [L.col("Scenario", "scenario")]
    cols += [(f"{n} net P&L (USD)", "num", lambda r, n=n: cell(r, n)) for n in names]
    cols.append(L.col("Total net P&L (USD)", "net_pnl", L.num))
    note = ("Each sector's holdings P&amp;L plus the P&amp;L of the futures designated to it "
            "(hover a cell for the two parts); the sectors add up to the total.")
    return L.section("by-sector", "Net P&L by sector", L.data_table(cols, rows), note)


def hedge_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "hedge")
    if not rows:
        return ""
    cols: list[L.Column] = [L.col("Contract", "contract"), L.col("Designated to sector", "sector"),
                            L.col("Contracts", "contracts", L.num, signed=True)]
    if not any(r.get("sector") for r in rows):
        cols = [c for c in cols if c[0] != "Designated to sector"]
    net: dict[str, float] = {}
    for r in rows:
        net[L.plain(r.get("contract"))] = net.get(L.plain(r.get("contract")), 0.0) + \
            (fmt.finite(r.get("contracts")) or 0.0)
    line = ", ".join(f"{c} {fmt.number(n, signed=True)}" for c, n in net.items())
    src = f"Hedge from {L.text(doc.get('hedge_source'))}. " if doc.get("hedge_source") else ""
    return L.section("hedge", "Hedge held in the scenarios", L.data_table(cols, rows),
                     f"{src}Net per contract: {L.text(line or 'none')}.")


def notes_section(doc: Mapping) -> str:
    items = [f"{L.plain(r.get('scenario'))}: {L.plain(n)}" for r in scenario_rows(doc)
             for n in L.items(r.get("notes"))]
    return L.bullet_section("scenario-notes", "Scenario notes", items)


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or "Futures overlay scenario report"
    meta = [("As of", doc.get("asof")), ("Portfolio", doc.get("portfolio_name")),
            ("Mandate", doc.get("mandate_name")), ("Hedge", doc.get("hedge_source")),
            ("Generated", generated_at)]
    parts = [L.header(title, meta), L.notices(doc.get("warnings")), hedge_section(doc),
             regression_section(doc), pnl_section(doc), approximation_section(doc),
             attribution_section(doc), by_sector_section(doc), notes_section(doc),
             sections.key_rates(doc), L.bullet_section("provenance", "Data provenance",
                                                       doc.get("provenance"))]
    return L.page(title, parts, verb="scenarios", asof=doc.get("asof"))
