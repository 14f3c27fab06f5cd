"""The backtest page (``overlay backtest --report``), rendered from the backtest result dict
(``BacktestResult.to_dict()``, the ``--json`` object).

Keys read: ``portfolio, mandate, frequency, rebalance, start, end, observations, rebalances``;
``strategies`` and ``strategy_labels`` (key -> label); ``metrics`` (and ``metrics_market``, the
futures legs marked to market settlements where they exist, with ``market_coverage``):
``[{strategy, label, realized_te_usd, te_ratio_to_integer, te_ratio_to_naive_zn,
variance_reduction, dollar_offset_median, offset_periods_in_band, regression_slope,
regression_r2, contracts_traded, turnover_per_year, costs_per_year_usd, avg_margin_usd,
max_margin_usd, avg_leverage, max_leverage, worst_day_usd, worst_month_usd, max_drawdown_usd,
...}]`` (unknown numeric keys are shown too); ``te_ratio_*``; ``cumulative_pnl`` (and
``cumulative_pnl_market``) and ``drawdown``: ``{strategy: [[date, USD], ...]}`` (an older
``series`` keyed by label renders too); ``periods: [{date, until, margin_usd: {strategy: USD},
leverage: {strategy: x MV}, ...}]``; ``calibration: [{strategy, pricing, horizon, window, bias,
bias_lo, bias_hi, in_band, ...}]``; ``hedges``, ``failed: [{date, until, error}]``,
``ctd_switches: [{date, contract, from, to}]``, ``notes``, ``seconds``, ``warnings``.
Tracking P&L = holdings + hedge − costs − target, USD.

The strategy table is transposed (measures down, strategies across) so it fits the page however
many measures there are; fractions show as percentages; regression slopes are coloured by the
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


def _times(v: Any) -> str:
    return L.text(f"{fmt.number(v, 2)}x") if fmt.finite(v) is not None else L.NA


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
            ("realized_te_usd", "Realized tracking error (USD/yr)", L.num),
            ("te_period_sums_usd", "Realized TE from holding-period sums (USD/yr)", L.num),
            ("te_ratio_to_integer", "Realized TE ÷ integer optimum", L.ratio),
            ("te_ratio_to_naive_zn", "Realized TE ÷ naive ZN-only", L.ratio),
            ("variance_reduction", "Variance reduction vs unhedged", L.pct)]),
        ("Hedge effectiveness", [
            ("dollar_offset_median", "Dollar offset, median holding period", _offset),
            ("offset_periods_in_band", "Holding periods inside 80–125%", L.pct),
            ("regression_slope", "Regression slope, hedge on hedged item", _slope),
            ("regression_r2", "Regression R²", _r2)]),
        ("Turnover, costs, margin and leverage", [
            ("contracts_traded", "Contracts traded (incl. rolls)", L.num),
            ("turnover_per_year", "Turnover (contracts per year)", L.num),
            ("costs_per_year_usd", "Trading costs (USD per year)", L.num),
            ("avg_margin_usd", "Average initial margin (USD)", L.num),
            ("max_margin_usd", "Peak initial margin (USD)", L.num),
            ("avg_leverage", "Average gross leverage (x market value)", _times),
            ("max_leverage", "Peak gross leverage (x market value)", _times)]),
        ("Losses against the target (USD)", [
            ("worst_day_usd", f"Worst {period} (USD)", L.num),
            ("worst_month_usd", "Worst month (USD)", L.num),
            ("max_drawdown_usd", "Maximum drawdown, peak to trough (USD)", L.num),
            ("mean_abs_period_usd", f"Mean absolute {per} tracking P&L (USD)", L.num)]),
    ]


def _humanize(key: str) -> str:
    words = {"usd": "(USD)", "te": "TE", "pnl": "P&L", "r2": "R²", "ctd": "CTD", "pct": "%"}
    text = " ".join(words.get(w, w) for w in key.split("_") if w)
    return text[:1].upper() + text[1:]


def _labels(doc: Mapping) -> dict[str, str]:
    out = {str(k): L.plain(v) for k, v in L.sub(doc, "strategy_labels").items()}
    for m in L.rows_of(doc, "metrics"):
        out.setdefault(str(m.get("strategy")), L.plain(m.get("label") or m.get("strategy")))
    return out


def _metrics(doc: Mapping, key: str = "metrics") -> list[dict]:
    rows = [dict(m) for m in L.rows_of(doc, key)]
    te_int = next((fmt.finite(m.get("realized_te_usd")) for m in rows
                   if m.get("strategy") == "integer"), None)
    for m in rows:
        if te_int and "te_ratio_to_integer" not in m:
            te = fmt.finite(m.get("realized_te_usd"))
            m["te_ratio_to_integer"] = None if te is None else te / te_int
    return rows


def strategy_table(doc: Mapping, key: str = "metrics") -> str:
    """Measures down, strategies across (``key``: ``metrics`` or ``metrics_market``)."""
    rows = _metrics(doc, key)
    if not rows:
        return ""
    groups = metric_groups(str(doc.get("frequency")) == "monthly")
    known = {k for _, g in groups for k, _, _ in g} | {"strategy", "label"}
    extra = [k for m in rows for k, v in m.items() if k not in known and fmt.finite(v) is not None
             and not isinstance(v, bool)]
    if extra:
        groups.append(("Other measures", [(k, _humanize(k), L.num)
                                          for k in dict.fromkeys(extra)]))
    head = [("Measure", "txt")] + [(L.plain(m.get("label") or m.get("strategy")), "num")
                                  for m in rows]
    body = []
    for gtitle, items in groups:
        present = [(k, lab, cell) for k, lab, cell in items if any(k in m for m in rows)]
        if not present:
            continue
        body.append(f'<tr class="group"><th colspan="{len(head)}">{L.text(gtitle)}</th></tr>')
        for k, lab, cell in present:
            body.append(f'<tr><th scope="row">{L.text(lab)}</th>'
                        + "".join(L.td(cell(m.get(k))) for m in rows) + "</tr>")
    return L.table(head, body, cls="transposed")


def strategies_section(doc: Mapping) -> str:
    table = strategy_table(doc)
    note = ("Tracking P&amp;L = holdings + hedge − costs − target exposure. Variance reduction "
            "against the unhedged tracking P&amp;L; slopes and R² coloured by the effectiveness "
            "band (slope −1.25..−0.80, R² ≥ 0.80), never by sign.")
    return L.section("strategies", "Strategies compared", table, note) if table else ""


def _named_series(doc: Mapping, key: str) -> dict[str, list]:
    """``{label: [[date, value], ...]}`` from a series keyed by strategy (or by label)."""
    ser = doc.get(key)
    if not isinstance(ser, Mapping):
        return {}
    labels = _labels(doc)
    return {labels.get(str(k), str(k)): [p for p in L.items(v) if isinstance(p, (list, tuple))
                                         and len(p) >= 2] for k, v in ser.items()}


def cumulative(doc: Mapping) -> dict[str, list]:
    return (_named_series(doc, "cumulative_pnl") or _named_series(doc, "series")
            or _named_series(L.sub(doc, "backtest"), "series"))


def drawdown_series(pts: Sequence) -> list[tuple[Any, float]]:
    """Cumulative P&L minus its running peak, the peak starting at zero (the P&L before the
    first day): the same definition as the backtest's ``max_drawdown_usd``."""
    out, peak = [], 0.0
    for d, v in pts:
        f = fmt.finite(v)
        if f is None:
            continue
        peak = max(peak, f)
        out.append((d, f - peak))
    return out


def drawdowns(doc: Mapping) -> dict[str, list]:
    given = _named_series(doc, "drawdown")
    if given:
        return given
    return {k: [list(p) for p in drawdown_series(v)] for k, v in cumulative(doc).items()}


def drawdown_stats(doc: Mapping) -> dict[str, tuple[float, str]]:
    """Per strategy: (largest drawdown, USD <= 0, and the trough date) of the plotted series."""
    out = {}
    for name, pts in drawdowns(doc).items():
        worst, when = 0.0, ""
        for d, v in pts:
            f = fmt.finite(v)
            if f is not None and f < worst:
                worst, when = f, L.plain(d)[:10]
        out[name] = (worst, when)
    return out


def charts_section(doc: Mapping) -> str:
    ser = cumulative(doc)
    if not ser:
        return ""
    cum = charts.line_chart(
        "backtest", "Cumulative tracking P&L by strategy (holdings + hedge − costs − target)",
        list(ser.items()), dates=True, markers=False, y_label="Cumulative P&L (USD)",
        x_label="Date", colors=SERIES_COLORS, width=1080, height=360)
    dd = charts.line_chart(
        "drawdown", "Drawdown of the cumulative tracking P&L from its running peak",
        list(drawdowns(doc).items()), dates=True, markers=False, y_label="Drawdown (USD)",
        x_label="Date", colors=SERIES_COLORS, width=1080, height=300)
    rows = [{"s": k, "dd": v[0], "when": v[1]} for k, v in drawdown_stats(doc).items()]
    tbl = L.data_table([("Strategy", "txt", lambda r: L.text(r["s"])),
                        ("Largest drawdown (USD)", "num", lambda r: L.num(r["dd"])),
                        ("Trough date", "txt", lambda r: L.text(r["when"]))], rows)
    return (L.section("cumulative", "Cumulative P&L", cum)
            + L.section("drawdowns", "Drawdowns", dd + tbl,
                        "Drawdown = cumulative tracking P&amp;L minus its running peak (the peak "
                        "starts at zero), on the plotted series."))


def market_section(doc: Mapping) -> str:
    if not L.rows_of(doc, "metrics_market"):
        return ""
    cov = fmt.finite(doc.get("market_coverage"))
    note = (f"Futures legs marked to exchange settlements where they exist ({fmt.pct(cov)} of "
            f"the days), modelled elsewhere: a validation of the modelled run above."
            if cov is not None else "Futures legs marked to exchange settlements.")
    ser = _named_series(doc, "cumulative_pnl_market")
    chart = charts.line_chart(
        "backtest-market", "Cumulative tracking P&L, futures marked to market",
        list(ser.items()), dates=True, markers=False, y_label="Cumulative P&L (USD)",
        x_label="Date", colors=SERIES_COLORS, width=1080, height=320) if ser else ""
    return L.section("market", "Marked to market (validation)",
                     strategy_table(doc, "metrics_market") + chart, note)


def _period_series(doc: Mapping, key: str) -> list[tuple[str, list]]:
    """Step lines: each period's value held from its date to the next (``until``)."""
    labels, out = _labels(doc), {}
    for p in L.rows_of(doc, "periods"):
        for s, v in L.sub(p, key).items():
            if str(s) == "unhedged":
                continue
            pts = out.setdefault(labels.get(str(s), str(s)), [])
            pts.append((p.get("date"), v))
            if p.get("until"):
                pts.append((p.get("until"), v))
    return list(out.items())


def margin_section(doc: Mapping) -> str:
    margin, lev = _period_series(doc, "margin_usd"), _period_series(doc, "leverage")
    if not margin and not lev:
        return ""
    parts = []
    colors = SERIES_COLORS[1:]
    if margin:
        parts.append(charts.line_chart(
            "margin-by-period", "Initial margin held per rebalance period", margin, dates=True,
            y_label="Initial margin (USD)", x_label="Date", colors=colors, markers=False,
            width=1080, height=300))
    if lev:
        parts.append(charts.line_chart(
            "leverage-by-period", "Gross leverage per rebalance period", lev, dates=True,
            y_label="Gross notional (x market value)", x_label="Date", colors=colors,
            markers=False, width=1080, height=280))
    return L.section("margin-use", "Margin and leverage use", "".join(parts),
                     "Per holding period, from the rebalance date to the next.")


def calibration_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "calibration")
    if not rows:
        return ""
    labels = _labels(doc)

    def interval(r: Mapping) -> str:
        lo, hi = fmt.finite(r.get("bias_lo")), fmt.finite(r.get("bias_hi"))
        return L.NA if lo is None or hi is None else L.text(f"{fmt.ratio(lo)} .. {fmt.ratio(hi)}")

    cols: list[L.Column] = [
        ("Strategy", "txt", lambda r: L.text(labels.get(str(r.get("strategy")),
                                                          r.get("strategy")))),
        L.col("Pricing", "pricing"),
        L.col("Horizon", "horizon"),
        L.col("Window", "window"),
        ("Realized ÷ ex-ante TE", "num", lambda r: L.in_band(
            r.get("bias"), 0.8, 1.25, fmt.ratio(r.get("bias")), what="calibrated 0.80..1.25")),
        ("95% interval", "num", interval),
        L.col("Periods", "periods", L.num),
        ("Calibrated", "txt", lambda r: L.yes_no(r.get("in_band"), "yes", "no")),
    ]
    shown = [r for r in rows if fmt.finite(r.get("bias")) is not None]
    note = ("Ex-ante = each period's model tracking error of the position actually held; "
            "a calibrated risk model has realized ÷ ex-ante inside 0.80–1.25.")
    return L.section("calibration", "Risk-model calibration",
                     L.data_table(cols, shown or rows), note)


def _contracts_text(c: Any) -> str:
    integer = c.get("integer", c) if isinstance(c, Mapping) else None
    if not isinstance(integer, Mapping):
        return ""
    return ", ".join(f"{k} {fmt.number(v, signed=True)}" for k, v in integer.items()
                     if fmt.finite(v))


def rebalance_log(doc: Mapping) -> str:
    rows = L.rows_of(doc, "hedges")
    failed = L.rows_of(doc, "failed") or [h for h in rows if h.get("error")]
    if not rows and not failed:
        return ""
    cols: list[L.Column] = [
        L.col("Rebalance date", "date"),
        ("Status", "txt", lambda r: ('<span class="flag">failed</span>' if r.get("error")
                                     else L.text(r.get("status")))),
        ("Integer hedge (contracts)", "txt", lambda r: L.text(_contracts_text(r.get("contracts")))),
        ("Flags / error", "txt wide", lambda r: L.text(r.get("error") or L.join(
            r.get("flags"), "; "))),
    ]
    fail_cols: list[L.Column] = [
        L.col("From", "date"),
        ("Until", "txt", lambda r: L.text(r.get("until") or "")),
        L.col("Error", "error", cls="txt wide")]
    n = len(rows) or doc.get("rebalances")
    head = (f"<p>{L.text(n)} rebalance dates, {len(failed)} failed"
            + (" (their holding periods are excluded from every strategy alike)." if failed
               else ".") + "</p>")
    fail_tbl = L.data_table(fail_cols, failed, caption="Failed dates") if failed else ""
    log = (f"<details><summary>Every rebalance date ({len(rows)})</summary>"
           f"{L.data_table(cols, rows)}</details>") if rows else ""
    return L.section("rebalances", "Rebalance dates", head + fail_tbl + log)


def ctd_section(doc: Mapping) -> str:
    if "ctd_switches" not in doc:
        return ""
    rows = L.rows_of(doc, "ctd_switches")
    if not rows:
        return L.section("ctd-switches", "CTD switches",
                         '<p class="note">No contract held again changed its cheapest-to-'
                         "deliver in the period.</p>")
    cols: list[L.Column] = [
        L.col("Rebalance date", "date"),
        L.col("Contract", "contract"),
        ("CTD before", "txt", lambda r: L.text(r.get("from", r.get("ctd_before")))),
        ("CTD after", "txt", lambda r: L.text(r.get("to", r.get("ctd_after")))),
    ]
    return L.section("ctd-switches", f"CTD switches ({len(rows)})", L.data_table(cols, rows))


def _cards(doc: Mapping) -> str:
    by = {L.plain(m.get("strategy")): m for m in L.rows_of(doc, "metrics")}
    un, it = L.sub(by, "unhedged"), L.sub(by, "integer")
    items = []
    if un or it:
        items.append(("Realized tracking error (USD/yr)", L.before_after(
            L.num(un.get("realized_te_usd")), L.num(it.get("realized_te_usd"))),
            "unhedged → integer optimum"))
    labels = {"te_ratio_integer_vs_continuous": "Integer ÷ continuous TE",
              "te_ratio_integer_vs_naive_zn": "Integer ÷ naive ZN-only TE",
              "te_ratio_integer_vs_unconstrained": "Integer ÷ unconstrained TE",
              "te_ratio_integer_vs_naive_zn_market": "Integer ÷ naive ZN-only TE (marked)"}
    for key in [k for k in doc if str(k).startswith("te_ratio_")]:
        items.append((labels.get(key, _humanize(key)), L.ratio(doc.get(key), 3),
                      "realized; below 1: integer better"))
    if "variance_reduction" in it:
        items.append(("Variance reduction (integer)", L.pct(it.get("variance_reduction")),
                      "of the unhedged tracking variance"))
    return L.cards(items)


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or "Backtest of the futures overlay mandate"
    period = (f"{L.plain(doc.get('start'))} .. {L.plain(doc.get('end'))}" if doc.get("start")
              else None)
    secs = fmt.finite(L.sub(doc, "seconds").get("total"))
    n_reb = doc.get("rebalances")
    meta = [("Portfolio", doc.get("portfolio")), ("Mandate", doc.get("mandate")),
            ("Period", period), ("Valuation", doc.get("frequency")),
            ("Rebalance", doc.get("rebalance")), ("Observations", doc.get("observations")),
            ("Rebalance dates", len(n_reb) if isinstance(n_reb, list) else n_reb),
            ("Run time", f"{fmt.number(secs)} s" if secs is not None else None),
            ("Generated", generated_at)]
    cards = _cards(doc)
    parts = [L.header(title, meta), L.notices(doc.get("warnings")),
             L.section("headline", "Headline", cards) if cards else "",
             strategies_section(doc), charts_section(doc), margin_section(doc),
             market_section(doc), calibration_section(doc), ctd_section(doc),
             rebalance_log(doc),
             L.bullet_section("provenance", "Method and data", doc.get("notes") or
                              doc.get("provenance"))]
    return L.page(title, parts, verb="backtest", asof=doc.get("end"))
