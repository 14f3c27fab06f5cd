"""The backtest page (``overlay backtest --report``), rendered from the backtest result dict
(``BacktestResult.to_dict()``, the ``--json`` object) plus its cumulative series.

Keys read: ``portfolio, mandate, frequency, rebalance, start, end, observations, rebalances``
(a count), ``metrics: [{strategy, label, realized_te_usd, variance_reduction,
dollar_offset_median, offset_periods_in_band, regression_slope, regression_r2,
contracts_traded, turnover_per_year, avg_margin_usd, max_margin_usd, worst_day_usd,
worst_month_usd, max_drawdown_usd?, mean_abs_period_usd, ...}]`` (unknown numeric keys are shown
too), ``te_ratio_*`` (realized TE ratios), ``series`` (or ``cumulative_pnl``): ``{label:
[[date, cumulative tracking P&L USD], ...]}``, ``hedges: [{date, status | error, flags,
contracts}]``, ``ctd_switches?: [{date, contract, ctd_before, ctd_after}]``, ``notes``,
``seconds``, ``warnings``. Tracking P&L = holdings + hedge − target, USD.

The strategy table is transposed (metrics down, strategies across) so it fits the page however
many metrics there are; fractions show as percentages; regression slopes are coloured by the
effectiveness band (a slope near −1 is the goal), never red for being negative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from optimizer.reporting import charts
from optimizer.reporting import formatters as fmt
from optimizer.reporting import layout as L

Cell = Callable[[Any], str]
SLOPE_BAND, OFFSET_BAND, R2_MIN = (-1.25, -0.80), (0.80, 1.25), 0.80
SERIES_COLORS = ("#8d99ab", "#e0a030", "#7b4fa8", "#2e9e6a", "#1f5fa8", "#c2412d", "#3aa6b9")


def _money(v: Any) -> str:
    return L.num(v)


def _slope(v: Any) -> str:
    lo, hi = SLOPE_BAND
    return L.in_band(v, lo, hi, fmt.ratio(v), what="effective slope -1.25..-0.80")


def _offset(v: Any) -> str:
    lo, hi = OFFSET_BAND
    return L.in_band(v, lo, hi, fmt.pct(v), what="dollar-offset band 80%-125%")


def _r2(v: Any) -> str:
    return L.in_band(v, R2_MIN, 1.0, fmt.ratio(v), what="effective R² >= 0.80")


def metric_groups(monthly: bool) -> list[tuple[str, list[tuple[str, str, Cell]]]]:
    period, per = ("month", "monthly") if monthly else ("day", "daily")
    return [
        ("Tracking error (realized, annualized)", [
            ("realized_te_usd", "Realized tracking error (USD/yr)", _money),
            ("te_vs_integer", "Realized TE ÷ integer optimum", L.ratio),
            ("variance_reduction", "Variance reduction vs unhedged", L.pct)]),
        ("Hedge effectiveness", [
            ("dollar_offset_median", "Dollar offset, median holding period", _offset),
            ("offset_periods_in_band", "Holding periods inside 80–125%", L.pct),
            ("regression_slope", "Regression slope, hedge on hedged item", _slope),
            ("regression_r2", "Regression R²", _r2)]),
        ("Turnover and margin", [
            ("contracts_traded", "Contracts traded", _money),
            ("turnover_per_year", "Turnover (contracts per year)", _money),
            ("avg_margin_usd", "Average initial margin (USD)", _money),
            ("max_margin_usd", "Peak initial margin (USD)", _money)]),
        ("Losses against the target (USD)", [
            ("worst_day_usd", f"Worst {period} (USD)", _money),
            ("worst_month_usd", "Worst month (USD)", _money),
            ("max_drawdown_usd", "Maximum drawdown (USD)", _money),
            ("mean_abs_period_usd", f"Mean absolute {per} tracking P&L (USD)", _money)]),
    ]


def _humanize(key: str) -> str:
    words = {"usd": "(USD)", "te": "TE", "pnl": "P&L", "r2": "R²", "ctd": "CTD", "pct": "%"}
    text = " ".join(words.get(w, w) for w in key.split("_") if w)
    return text[:1].upper() + text[1:]


def _metrics(doc: Mapping) -> list[dict]:
    rows = [dict(m) for m in L.rows_of(doc, "metrics")]
    te_int = next((fmt.finite(m.get("realized_te_usd")) for m in rows
                   if m.get("strategy") == "integer"), None)
    drawdowns = drawdown_stats(doc)
    for m in rows:
        if te_int:
            te = fmt.finite(m.get("realized_te_usd"))
            m["te_vs_integer"] = None if te is None else te / te_int
        if "max_drawdown_usd" not in m and str(m.get("label")) in drawdowns:
            m["max_drawdown_usd"] = drawdowns[str(m.get("label"))][0]
    return rows


def strategy_table(doc: Mapping) -> str:
    rows = _metrics(doc)
    if not rows:
        return ""
    groups = metric_groups(str(doc.get("frequency")) == "monthly")
    known = {k for _, g in groups for k, _, _ in g} | {"strategy", "label"}
    extra = [k for m in rows for k, v in m.items() if k not in known and fmt.finite(v) is not None]
    if extra:
        groups.append(("Other measures", [(k, _humanize(k), _money)
                                          for k in dict.fromkeys(extra)]))
    head = [("Measure", "txt")] + [(str(m.get("label") or m.get("strategy")), "num") for m in rows]
    body = []
    for title, items in groups:
        present = [(k, lab, cell) for k, lab, cell in items if any(k in m for m in rows)]
        if not present:
            continue
        body.append(f'<tr class="group"><th colspan="{len(head)}">{L.text(title)}</th></tr>')
        for k, lab, cell in present:
            body.append(f'<tr><th scope="row">{L.text(lab)}</th>'
                        + "".join(L.td(cell(m.get(k))) for m in rows) + "</tr>")
    note = ("Tracking P&amp;L = holdings + hedge − target exposure, marked daily. Percentages of "
            "unhedged variance and of holding periods; slopes and R² coloured by the "
            "effectiveness band (slope −1.25..−0.80, R² ≥ 0.80).")
    return L.section("strategies", "Strategies compared", L.table(head, body, cls="transposed"),
                     note)


def _series(doc: Mapping) -> dict[str, list]:
    ser = doc.get("series") or doc.get("cumulative_pnl") or L.sub(doc, "backtest").get("series")
    if not isinstance(ser, Mapping):
        return {}
    return {str(k): [p for p in (v or []) if isinstance(p, (list, tuple)) and len(p) >= 2]
            for k, v in ser.items()}


def drawdown_stats(doc: Mapping) -> dict[str, tuple[float, str]]:
    """Per series: (maximum drawdown USD <= 0, trough date) of the cumulative tracking P&L:
    the largest fall from a running peak (the series as given, first point included)."""
    out = {}
    for name, pts in _series(doc).items():
        peak, worst, when = None, 0.0, ""
        for d, v in pts:
            f = fmt.finite(v)
            if f is None:
                continue
            peak = f if peak is None else max(peak, f)
            if f - peak < worst:
                worst, when = f - peak, str(d)[:10]
        out[name] = (worst, when)
    return out


def _drawdown_series(pts: Sequence) -> list[tuple[Any, float]]:
    out, peak = [], None
    for d, v in pts:
        f = fmt.finite(v)
        if f is None:
            continue
        peak = f if peak is None else max(peak, f)
        out.append((d, f - peak))
    return out


def charts_section(doc: Mapping) -> str:
    ser = _series(doc)
    if not ser:
        return ""
    cum = charts.line_chart(
        "backtest", "Cumulative tracking P&L by strategy (holdings + hedge − target)",
        list(ser.items()), dates=True, markers=False, y_label="Cumulative P&L (USD)",
        x_label="Date", colors=SERIES_COLORS, width=1080, height=360)
    dd = charts.line_chart(
        "drawdown", "Drawdown of the cumulative tracking P&L from its running peak",
        [(k, _drawdown_series(v)) for k, v in ser.items()], dates=True, markers=False,
        y_label="Drawdown (USD)", x_label="Date", colors=SERIES_COLORS, width=1080, height=300)
    stats = drawdown_stats(doc)
    rows = [{"s": k, "dd": v[0], "when": v[1]} for k, v in stats.items()]
    tbl = L.data_table([("Strategy", "txt", lambda r: L.text(r["s"])),
                        ("Maximum drawdown (USD)", "num", lambda r: L.num(r["dd"])),
                        ("Trough date", "txt", lambda r: L.text(r["when"]))], rows)
    return (L.section("cumulative", "Cumulative P&L", cum)
            + L.section("drawdowns", "Drawdowns", dd + tbl,
                        "Drawdown = cumulative tracking P&amp;L minus its running maximum, "
                        "on the plotted series."))


def _contracts_text(c: Any) -> str:
    if not isinstance(c, Mapping):
        return ""
    integer = c.get("integer", c)
    if not isinstance(integer, Mapping):
        return ""
    return ", ".join(f"{k} {fmt.number(v, signed=True)}" for k, v in integer.items()
                     if fmt.finite(v))


def rebalance_log(doc: Mapping) -> str:
    rows = [h for h in L.rows_of(doc, "hedges")]
    if not rows:
        return ""
    failed = [h for h in rows if h.get("error")]
    cols: list[L.Column] = [
        ("Rebalance date", "txt", lambda r: L.text(r.get("date"))),
        ("Status", "txt", lambda r: ('<span class="flag">failed</span>' if r.get("error")
                                     else L.text(r.get("status")))),
        ("Integer hedge (contracts)", "txt", lambda r: L.text(_contracts_text(r.get("contracts")))),
        ("Flags / error", "txt wide", lambda r: L.text(r.get("error") or "; ".join(
            map(str, r.get("flags") or [])))),
    ]
    head = (f"<p>{len(rows)} rebalance dates, {len(failed)} failed"
            + (" (excluded from every strategy alike)." if failed else ".") + "</p>")
    fail_tbl = L.data_table(cols, failed, caption="Failed dates") if failed else ""
    log = (f"<details><summary>Every rebalance date ({len(rows)})</summary>"
           f"{L.data_table(cols, rows)}</details>")
    return L.section("rebalances", "Rebalance dates", head + fail_tbl + log)


def ctd_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "ctd_switches")
    if not rows:
        return ""
    cols: list[L.Column] = [
        ("Date", "txt", lambda r: L.text(r.get("date"))),
        ("Contract", "txt", lambda r: L.text(r.get("contract"))),
        ("CTD before", "txt", lambda r: L.text(r.get("ctd_before"))),
        ("CTD after", "txt", lambda r: L.text(r.get("ctd_after"))),
    ]
    return L.section("ctd-switches", f"CTD switches ({len(rows)})", L.data_table(cols, rows))


def _cards(doc: Mapping) -> str:
    by = {m.get("strategy"): m for m in L.rows_of(doc, "metrics")}
    un, it = L.sub(by, "unhedged"), L.sub(by, "integer")
    items = []
    if un or it:
        items.append(("Realized tracking error (USD/yr)", L.before_after(
            L.num(un.get("realized_te_usd")), L.num(it.get("realized_te_usd"))),
            "unhedged → integer optimum"))
    for key, label in (("te_ratio_integer_vs_continuous", "Integer ÷ continuous TE"),
                       ("te_ratio_integer_vs_naive_zn", "Integer ÷ naive ZN-only TE")):
        if key in doc:
            items.append((label, L.ratio(doc.get(key), 3), "realized, below 1 = integer better"))
    if "variance_reduction" in it:
        items.append(("Variance reduction (integer)", L.pct(it.get("variance_reduction")),
                      "of the unhedged tracking variance"))
    return L.cards(items)


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or "Backtest of the futures overlay mandate"
    period = f"{doc.get('start', '')} .. {doc.get('end', '')}" if doc.get("start") else None
    secs = fmt.finite(L.sub(doc, "seconds").get("total"))
    meta = [("Portfolio", doc.get("portfolio")), ("Mandate", doc.get("mandate")),
            ("Period", period), ("Valuation", doc.get("frequency")),
            ("Rebalance", doc.get("rebalance")), ("Observations", doc.get("observations")),
            ("Rebalance dates", doc.get("rebalances") if not isinstance(
                doc.get("rebalances"), list) else len(doc["rebalances"])),
            ("Run time", f"{fmt.number(secs)} s" if secs is not None else None),
            ("Generated", generated_at)]
    parts = [L.header(title, meta), L.notices(doc.get("warnings")),
             L.section("headline", "Headline", _cards(doc)) if _cards(doc) else "",
             strategy_table(doc), charts_section(doc), ctd_section(doc), rebalance_log(doc),
             L.bullet_section("provenance", "Method and data", doc.get("notes") or
                              doc.get("provenance"))]
    return L.page(title, parts, verb="backtest", asof=doc.get("end"))
