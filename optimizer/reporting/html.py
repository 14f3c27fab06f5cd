"""Self-contained HTML hedge report: one file, inline CSS and inline SVG charts, works offline.

API
---
``render_report(doc, *, generated_at=None) -> str``  the HTML text.
``write_report(doc, path, *, generated_at=None) -> Path``  the same, written atomically
(readers see the old file or the new one, never half of one; nothing is left behind on error).

The file contains no script, no external resource and no URL at all: no CDN, no web font, no
``http(s)://`` (inline ``<svg>`` in HTML5 needs no ``xmlns``; URLs inside user text are shown
without their scheme and never as links). Every piece of text from ``doc`` is HTML-escaped.

Input schema (``doc``)
----------------------
The hedge JSON of SPEC §9 (``overlay hedge --json``), every key optional; a section is rendered
only when its data is present. Numbers may be int/float/numpy scalars; ``None``/NaN show as "—".

==================  ========================================================================
key                 contents
==================  ========================================================================
title               str, report title (default "Futures overlay hedge report")
asof                ISO date of the market data
status              hedge status ("optimal", "feasible_time_limit", ...)
objective           objective value (annualized tracking error, USD, plus cost term)
portfolio           {name, market_value, dv01_before, dv01_after, duration_before,
                    duration_after}
solver              {name, status, gap, seconds}
mandate             {constraint name: value text}, e.g. {"margin budget": "$5,000,000"}
positions           [{instrument, contract, sector, contracts, contract_dv01, dv01, notional,
                    initial_margin}]  (contracts signed: short < 0; DV01 per SPEC §3)
sectors             [{sector, market_value, dv01_before, dv01_target, dv01_after, beta}]
key_rates           [{tenor, dv01_before, dv01_after}]
tracking_error      {before_usd, after_usd, after_bp, before_bp?, continuous_after_usd,
                    rounded_after_usd}  (annualized)
margin              {initial, budget}
leverage            {gross_notional, ratio, limit}
scenarios           [{scenario, holdings_pnl, hedge_pnl, net_pnl, effectiveness}]
                    (effectiveness = hedge P&L / holdings P&L as a ratio; |ratio| outside
                    0.80-1.25 is flagged)
frontier            [{margin_budget_usd, tracking_error_usd, status}]  (TE vs margin budget)
backtest            {"series": {strategy: [[date, cumulative_pnl], ...]},
                    "metrics": [{strategy, ...any numeric columns}]}
orders              [{contract, side, quantity, price, est_cost_usd, reason}]
provenance          [str]  data sources and windows
warnings            [str]  every warning, shown highlighted near the top
generated_at        str, overrides the generation timestamp (else now, UTC)
==================  ========================================================================

Charts (each an ``<svg class="chart ..." data-chart="...">`` with a ``<title>``):
``sector-dv01`` grouped bars (before/target/after), ``key-rate-dv01`` grouped bars by tenor,
``tracking-error`` bars, ``margin-use`` and ``leverage-use`` gauges, ``scenario-pnl``
horizontal diverging bars (holdings/hedge/net), ``frontier`` line with markers,
``backtest`` multi-line cumulative P&L by date.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from models.contract_codes import format_32nds
from optimizer.reporting import charts
from optimizer.reporting.charts import esc
from optimizer.reporting.output import to_jsonable, write_text_atomic

DEFAULT_TITLE = "Futures overlay hedge report"
EFFECTIVENESS_BAND = (0.80, 1.25)
C_BEFORE, C_TARGET, C_AFTER = "#8d99ab", "#e0a030", "#1f5fa8"
C_HOLD, C_HEDGE, C_NET = "#8d99ab", "#1f5fa8", "#c2412d"

_URL_SCHEME = re.compile(r"(?i)\b(?:https?|ftp|file|wss?):/+")


# ----------------------------------------------------------------------------- formatting

def _num(v: Any) -> float | None:
    return charts._num(v)


def _text(v: Any) -> str:
    """Escaped display text; URL schemes dropped so the file holds no URL."""
    if v is None:
        return "—"
    if isinstance(v, (dict, list, tuple)):
        v = json.dumps(to_jsonable(v), sort_keys=False)
    return esc(_URL_SCHEME.sub("", str(v)))


def _plain(v: Any) -> str:
    """Unescaped text with URL schemes dropped (for chart labels; charts escape themselves)."""
    return "—" if v is None else _URL_SCHEME.sub("", str(v))


def fmt_num(v: Any, dp: int = 0, *, suffix: str = "", signed: bool = False) -> str:
    """HTML for a number: thousands separators, fixed decimals, negatives in red, None as '—'."""
    f = _num(v)
    if f is None:
        return '<span class="na">—</span>' if v is None or _is_nan(v) else _text(v)
    if round(f, dp) == 0:
        f = 0.0  # no "-0" and no "+0"
    s = f"{f:+,.{dp}f}" if signed and f != 0 else f"{f:,.{dp}f}"
    return f'<span class="neg">{s}{esc(suffix)}</span>' if f < 0 else f"{s}{esc(suffix)}"


def _is_nan(v: Any) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return False


def fmt_usd(v: Any, dp: int = 0) -> str:
    return fmt_num(v, dp)


def fmt_pct(v: Any, dp: int = 1) -> str:
    f = _num(v)
    return fmt_num(None if f is None else f * 100, dp, suffix="%")


def _td(html: str, cls: str = "num") -> str:
    return f'<td class="{cls}">{html}</td>'


def _table(headers: Sequence[tuple[str, str]], rows: Iterable[str], cls: str = "",
           foot: str = "") -> str:
    head = "".join(f'<th class="{c}">{esc(h)}</th>' for h, c in headers)
    tfoot = f"<tfoot>{foot}</tfoot>" if foot else ""
    return (f'<table class="data {cls}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody>{tfoot}</table>")


def _sum(rows: Sequence[Mapping], key: str) -> float | None:
    """Column total, or None ('—') if any row lacks the value: a partial sum would mislead."""
    vals = [_num(r.get(key)) for r in rows]
    return None if not vals or any(v is None for v in vals) else sum(vals)


def _section(sid: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return (f'<section id="{esc(sid)}" class="section"><h2>{esc(title)}</h2>{note_html}'
            f"{body}</section>")


def _rows(doc: Mapping, key: str) -> list[Mapping]:
    val = doc.get(key)
    if not val:
        return []
    if isinstance(val, Mapping):
        val = [val]
    return [r for r in val if isinstance(r, Mapping)]


# ----------------------------------------------------------------------------- sections

def _header(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or DEFAULT_TITLE
    pf = doc.get("portfolio") if isinstance(doc.get("portfolio"), Mapping) else {}
    solver = doc.get("solver") if isinstance(doc.get("solver"), Mapping) else {}
    status = doc.get("status") or solver.get("status")
    good = str(status).lower() == "optimal"
    badge = (f'<span class="badge {"ok" if good else "warn"}">{_text(status)}</span>'
             if status else "")
    meta = []
    if doc.get("asof"):
        meta.append(f"<span><b>As of</b> {_text(doc.get('asof'))}</span>")
    name = pf.get("name") or doc.get("portfolio_name")
    if name:
        meta.append(f"<span><b>Portfolio</b> {_text(name)}</span>")
    meta.append(f"<span><b>Generated</b> {_text(generated_at)}</span>")
    status_bits = []
    if solver:
        if solver.get("name"):
            status_bits.append(f"solver <b>{_text(solver.get('name'))}</b>")
        if solver.get("status"):
            status_bits.append(f"status <b>{_text(solver.get('status'))}</b>")
        gap = _num(solver.get("gap"))
        if gap is not None:
            status_bits.append(f"gap <b>{gap * 100:.3g}%</b>")
        secs = _num(solver.get("seconds"))
        if secs is not None:
            status_bits.append(f"time <b>{secs:,.2f} s</b>")
    if _num(doc.get("objective")) is not None:
        status_bits.append(f"objective <b>{fmt_num(doc.get('objective'), 0)}</b>")
    status_line = (f'<p class="status">{badge} {" · ".join(status_bits)}</p>'
                   if (badge or status_bits) else "")
    return (f'<header><h1>{_text(title)}</h1><p class="meta">{" ".join(meta)}</p>'
            f"{status_line}</header>")


def _notice_text(w: Any) -> Any:
    # a structured warning (data.errors.Notice.to_dict()) as one line
    if isinstance(w, Mapping):
        sub = f"{w.get('subject')}: " if w.get("subject") else ""
        return f"{sub}{w.get('message', '')}"
    return w


def _warnings(doc: Mapping) -> str:
    warns = doc.get("warnings") or []
    if isinstance(warns, str):
        warns = [warns]
    if not warns:
        return ""
    items = "".join(f"<li>{_text(_notice_text(w))}</li>" for w in warns)
    return (f'<section id="warnings" class="section warnings" role="alert">'
            f"<h2>Warnings ({len(warns)})</h2><ul>{items}</ul></section>")


def _summary(doc: Mapping) -> str:
    pf = doc.get("portfolio") if isinstance(doc.get("portfolio"), Mapping) else {}
    te = doc.get("tracking_error") if isinstance(doc.get("tracking_error"), Mapping) else {}
    margin = doc.get("margin") if isinstance(doc.get("margin"), Mapping) else {}
    lev = doc.get("leverage") if isinstance(doc.get("leverage"), Mapping) else {}
    if not (pf or te or margin or lev):
        return ""
    cards = []

    def card(label: str, before: str, after: str | None = None, sub: str = "") -> None:
        val = before if after is None else f'{before} <span class="arrow">→</span> {after}'
        cards.append(f'<div class="card"><div class="label">{esc(label)}</div>'
                     f'<div class="value">{val}</div><div class="sub">{sub}</div></div>')

    if pf:
        if "market_value" in pf:
            card("Market value (USD)", fmt_usd(pf.get("market_value")))
        if "dv01_before" in pf or "dv01_after" in pf:
            card("Portfolio DV01 (USD/bp)", fmt_usd(pf.get("dv01_before")),
                 fmt_usd(pf.get("dv01_after")), "before → after hedge")
        if "duration_before" in pf or "duration_after" in pf:
            card("Modified duration (yrs)", fmt_num(pf.get("duration_before"), 2),
                 fmt_num(pf.get("duration_after"), 2), "before → after hedge")
    if te:
        card("Tracking error (USD/yr)", fmt_usd(te.get("before_usd")),
             fmt_usd(te.get("after_usd")),
             f"after: {fmt_num(te.get('after_bp'), 1)} bp of MV" if "after_bp" in te else "")
    body = f'<div class="cards">{"".join(cards)}</div>' if cards else ""

    if te:
        rows = []
        for label, key, bp_key in (("Unhedged (before)", "before_usd", "before_bp"),
                                   ("Integer hedge (after)", "after_usd", "after_bp"),
                                   ("Continuous optimum", "continuous_after_usd", None),
                                   ("Naive rounding of continuous", "rounded_after_usd", None)):
            if key in te or (bp_key and bp_key in te):
                rows.append(f'<tr><td class="txt">{esc(label)}</td>{_td(fmt_usd(te.get(key)))}'
                            f"{_td(fmt_num(te.get(bp_key), 1) if bp_key else '')}</tr>")
        te_table = _table([("Tracking error", "txt"), ("USD / yr", "num"), ("bp", "num")], rows)
        labels = ["Before", "Integer", "Continuous", "Rounded"]
        keys = ["before_usd", "after_usd", "continuous_after_usd", "rounded_after_usd"]
        present = [(lab, te.get(k)) for lab, k in zip(labels, keys, strict=True) if k in te]
        chart = charts.diverging_hbar_chart(
            "tracking-error", "Annualized tracking error (USD)", [p[0] for p in present],
            [("Tracking error", [p[1] for p in present])], width=460, colors=[C_AFTER],
            unit="USD per year", symmetric=False)
        body += f'<div class="pair"><div>{te_table}</div><div>{chart}</div></div>'

    gauges = []
    if margin:
        gauges.append(charts.usage_bar(
            "margin-use", "Initial margin vs budget", margin.get("initial"), margin.get("budget"),
            used_text=f"IM {charts.fmt_compact(_num(margin.get('initial')) or 0)}",
            limit_text=(f"budget {charts.fmt_compact(_num(margin.get('budget')))}"
                        if _num(margin.get("budget")) is not None else "")))
    if lev:
        ratio, limit = _num(lev.get("ratio")), _num(lev.get("limit"))
        gauges.append(charts.usage_bar(
            "leverage-use", "Gross leverage vs limit", ratio, limit,
            used_text=(f"gross {charts.fmt_compact(_num(lev.get('gross_notional')) or 0)}"
                       + (f" = {ratio:.2f}x MV" if ratio is not None else "")),
            limit_text=f"limit {limit:.2f}x" if limit is not None else ""))
    if gauges:
        rows = []
        if margin:
            rows.append(f'<tr><td class="txt">Initial margin (USD)</td>'
                        f"{_td(fmt_usd(margin.get('initial')))}{_td(fmt_usd(margin.get('budget')))}"
                        f"{_td(_use(margin.get('initial'), margin.get('budget')))}</tr>")
        if lev:
            rows.append(f'<tr><td class="txt">Gross leverage (x MV)</td>'
                        f"{_td(fmt_num(lev.get('ratio'), 3))}{_td(fmt_num(lev.get('limit'), 2))}"
                        f"{_td(_use(lev.get('ratio'), lev.get('limit')))}</tr>")
            if "gross_notional" in lev:
                rows.append(f'<tr><td class="txt">Gross notional (USD)</td>'
                            f"{_td(fmt_usd(lev.get('gross_notional')))}{_td('')}{_td('')}</tr>")
        tbl = _table([("Limit", "txt"), ("Used", "num"), ("Limit", "num"), ("Use", "num")], rows)
        body += (f'<div class="pair"><div>{tbl}</div><div class="gauges">'
                 f"{''.join(gauges)}</div></div>")
    return _section("summary", "Summary: risk, tracking error, margin and leverage", body)


def _use(used: Any, limit: Any) -> str:
    u, lim = _num(used), _num(limit)
    if u is None or not lim:
        return '<span class="na">—</span>'
    frac = abs(u) / lim
    cls = "over" if frac > 1 + 1e-9 else ""
    return f'<span class="{cls}">{frac * 100:,.1f}%</span>'


def _mandate(doc: Mapping) -> str:
    m = doc.get("mandate")
    if not m or not isinstance(m, Mapping):
        return ""
    rows = "".join(f'<tr><th scope="row">{_text(k)}</th><td>{_text(v)}</td></tr>'
                   for k, v in m.items())
    return _section("mandate", "Mandate", f'<table class="kv">{rows}</table>')


def _positions(doc: Mapping) -> str:
    rows = _rows(doc, "positions")
    if not rows:
        return ""
    body = []
    for r in rows:
        body.append("<tr>" + _td(_text(r.get("instrument")), "txt")
                    + _td(_text(r.get("contract")), "txt") + _td(_text(r.get("sector")), "txt")
                    + _td(fmt_num(r.get("contracts"), 0)) + _td(fmt_num(r.get("contract_dv01"), 2))
                    + _td(fmt_usd(r.get("dv01"))) + _td(fmt_usd(r.get("notional")))
                    + _td(fmt_usd(r.get("initial_margin"))) + "</tr>")
    foot = ('<tr><td class="txt">Total</td><td></td><td></td>' + _td("") + _td("")
            + _td(fmt_usd(_sum(rows, "dv01"))) + _td(fmt_usd(_sum(rows, "notional")))
            + _td(fmt_usd(_sum(rows, "initial_margin"))) + "</tr>")
    headers = [("Instrument", "txt"), ("Contract", "txt"), ("Sector", "txt"),
               ("Contracts", "num"), ("Contract DV01", "num"), ("DV01 (USD/bp)", "num"),
               ("Notional (USD)", "num"), ("Initial margin (USD)", "num")]
    note = "Contracts signed (short &lt; 0). DV01 = USD gained for a 1 bp fall in yields."
    return _section("positions", "Hedge positions", _table(headers, body, foot=foot), note)


def _sectors(doc: Mapping) -> str:
    rows = _rows(doc, "sectors")
    if not rows:
        return ""
    body = []
    for r in rows:
        after, target = _num(r.get("dv01_after")), _num(r.get("dv01_target"))
        dev = after - target if after is not None and target is not None else None
        body.append("<tr>" + _td(_text(r.get("sector")), "txt")
                    + _td(fmt_usd(r.get("market_value"))) + _td(fmt_num(r.get("beta"), 3))
                    + _td(fmt_usd(r.get("dv01_before"))) + _td(fmt_usd(r.get("dv01_target")))
                    + _td(fmt_usd(r.get("dv01_after"))) + _td(fmt_num(dev, 0, signed=True))
                    + "</tr>")
    t_after, t_target = _sum(rows, "dv01_after"), _sum(rows, "dv01_target")
    t_dev = t_after - t_target if t_after is not None and t_target is not None else None
    foot = ('<tr><td class="txt">Total</td>' + _td(fmt_usd(_sum(rows, "market_value"))) + _td("")
            + _td(fmt_usd(_sum(rows, "dv01_before"))) + _td(fmt_usd(t_target))
            + _td(fmt_usd(t_after)) + _td(fmt_num(t_dev, 0, signed=True)) + "</tr>")
    headers = [("Sector", "txt"), ("Market value (USD)", "num"), ("Beta", "num"),
               ("DV01 before", "num"), ("DV01 target", "num"), ("DV01 after", "num"),
               ("After − target", "num")]
    cats = [_plain(r.get("sector")) for r in rows]
    chart = charts.grouped_bar_chart(
        "sector-dv01", "Sector DV01: before / target / after hedge (USD per bp)", cats,
        [("Before", [r.get("dv01_before") for r in rows]),
         ("Target", [r.get("dv01_target") for r in rows]),
         ("After", [r.get("dv01_after") for r in rows])],
        colors=[C_BEFORE, C_TARGET, C_AFTER], unit="USD/bp", width=900, height=300)
    return _section("sectors", "Sector DV01", _table(headers, body, foot=foot) + chart)


def _key_rates(doc: Mapping) -> str:
    rows = _rows(doc, "key_rates")
    if not rows:
        return ""
    body = []
    for r in rows:
        b, a = _num(r.get("dv01_before")), _num(r.get("dv01_after"))
        chg = a - b if a is not None and b is not None else None
        body.append("<tr>" + _td(_text(r.get("tenor")), "txt") + _td(fmt_usd(b)) + _td(fmt_usd(a))
                    + _td(fmt_num(chg, 0, signed=True)) + "</tr>")
    tb, ta = _sum(rows, "dv01_before"), _sum(rows, "dv01_after")
    foot = ('<tr><td class="txt">Sum</td>' + _td(fmt_usd(tb)) + _td(fmt_usd(ta))
            + _td(fmt_num(ta - tb if ta is not None and tb is not None else None, 0, signed=True))
            + "</tr>")
    headers = [("Tenor", "txt"), ("DV01 before", "num"), ("DV01 after", "num"),
               ("Change", "num")]
    chart = charts.grouped_bar_chart(
        "key-rate-dv01", "Key-rate DV01 before / after hedge (USD per bp)",
        [_plain(r.get("tenor")) for r in rows],
        [("Before", [r.get("dv01_before") for r in rows]),
         ("After", [r.get("dv01_after") for r in rows])],
        colors=[C_BEFORE, C_AFTER], unit="USD/bp", width=640, height=300)
    return _section("key-rates", "Key-rate DV01",
                    f'<div class="pair"><div>{_table(headers, body, foot=foot)}</div>'
                    f"<div>{chart}</div></div>")


def _effectiveness(v: Any) -> str:
    f = _num(v)
    if f is None:
        return '<span class="na">—</span>'
    lo, hi = EFFECTIVENESS_BAND
    inside = lo <= abs(f) <= hi
    cls = "ok" if inside else "flag"
    return f'<span class="{cls}" title="band {lo:.0%}–{hi:.0%}">{f * 100:,.1f}%</span>'


def _scenarios(doc: Mapping) -> str:
    rows = _rows(doc, "scenarios")
    if not rows:
        return ""
    body = []
    for r in rows:
        label = r.get("scenario", r.get("name"))
        body.append("<tr>" + _td(_text(label), "txt") + _td(fmt_usd(r.get("holdings_pnl")))
                    + _td(fmt_usd(r.get("hedge_pnl"))) + _td(fmt_usd(r.get("net_pnl")))
                    + _td(_effectiveness(r.get("effectiveness"))) + "</tr>")
    headers = [("Scenario", "txt"), ("Holdings P&L", "num"), ("Hedge P&L", "num"),
               ("Net P&L", "num"), ("Effectiveness", "num")]
    chart = charts.diverging_hbar_chart(
        "scenario-pnl", "Scenario P&L: holdings, hedge and net (USD)",
        [_plain(r.get("scenario", r.get("name"))) for r in rows],
        [("Holdings", [r.get("holdings_pnl") for r in rows]),
         ("Hedge", [r.get("hedge_pnl") for r in rows]),
         ("Net", [r.get("net_pnl") for r in rows])],
        colors=[C_HOLD, C_HEDGE, C_NET], unit="P&L, USD", width=900)
    note = ("Effectiveness = hedge P&amp;L / holdings P&amp;L (dollar offset); "
            "magnitudes outside the 80–125% band are flagged.")
    return _section("scenarios", "Scenario P&L", _table(headers, body) + chart, note)


def _frontier(doc: Mapping) -> str:
    rows = _rows(doc, "frontier")
    if not rows:
        return ""
    body = []
    for r in rows:
        body.append("<tr>" + _td(fmt_usd(r.get("margin_budget_usd", r.get("margin_budget")))) +
                    _td(fmt_usd(r.get("tracking_error_usd"))) + _td(_text(r.get("status")), "txt")
                    + "</tr>")
    headers = [("Margin budget (USD)", "num"), ("Tracking error (USD/yr)", "num"),
               ("Status", "txt")]
    pts = [(r.get("margin_budget_usd", r.get("margin_budget")), r.get("tracking_error_usd")) for r in rows]
    margin = doc.get("margin") if isinstance(doc.get("margin"), Mapping) else {}
    budget = _num(margin.get("budget"))
    marker = (budget, "mandate budget") if budget is not None else None
    chart = charts.line_chart(
        "frontier", "Tracking error vs initial-margin budget", [("Tracking error", pts)],
        x_label="Initial-margin budget (USD)", y_label="TE USD/yr", colors=[C_AFTER],
        width=640, height=300, point_labels=len(pts) <= 12, x_marker=marker)
    n_bad = sum(1 for _, te in pts if _num(te) is None)
    note = f"{n_bad} budget(s) infeasible or unsolved (not plotted)." if n_bad else ""
    return _section("frontier", "Efficient frontier: tracking error vs margin",
                    f'<div class="pair"><div>{_table(headers, body)}</div>'
                    f"<div>{chart}</div></div>", note)


_WORDS = {"usd": "(USD)", "te": "TE", "pnl": "P&L", "bp": "(bp)", "dv01": "DV01",
          "im": "IM", "r2": "R²", "pct": "%"}


def _humanize(key: str) -> str:
    words = [_WORDS.get(w.lower(), w) for w in str(key).replace("-", "_").split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _column_dp(values: Sequence[Any]) -> int | None:
    """Decimals for a numeric column (None if it is a text column): integers and large values 0,
    ratios 3, others 2."""
    nums = [_num(v) for v in values]
    nums = [v for v in nums if v is not None]
    if not nums or any(v is not None and _num(v) is None and not _is_nan(v) for v in values):
        return None
    if all(float(v).is_integer() for v in nums) or max(abs(v) for v in nums) >= 1000:
        return 0
    return 3 if max(abs(v) for v in nums) < 10 else 2


def _backtest(doc: Mapping) -> str:
    bt = doc.get("backtest")
    if not isinstance(bt, Mapping):
        return ""
    series = bt.get("series") if isinstance(bt.get("series"), Mapping) else {}
    metrics = [m for m in (bt.get("metrics") or []) if isinstance(m, Mapping)]
    if not series and not metrics:
        return ""
    parts = []
    if series:
        ser = []
        for name, pts in series.items():
            clean = [(p[0], p[1]) for p in (pts or []) if isinstance(p, (list, tuple))
                     and len(p) >= 2]
            ser.append((_plain(name), clean))
        parts.append(charts.line_chart(
            "backtest", "Backtest: cumulative hedged P&L by strategy (USD)", ser, dates=True,
            markers=False, y_label="USD", width=1000, height=340))
    if metrics:
        cols: list[str] = []
        for m in metrics:
            for k in m:
                if k not in cols:
                    cols.append(k)
        dps = {c: _column_dp([m.get(c) for m in metrics]) for c in cols}
        headers = [(_humanize(c), "num" if dps[c] is not None else "txt") for c in cols]
        body = []
        for m in metrics:
            cells = []
            for c in cols:
                v = m.get(c)
                if _num(v) is not None and dps[c] is not None:
                    cells.append(_td(fmt_num(v, dps[c])))
                else:
                    cells.append(_td(_text(v), "txt"))
            body.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(_table(headers, body))
    return _section("backtest", "Backtest", "".join(parts))


_TSY_FUT = re.compile(r"^(ZT|Z3N|ZF|ZN|TN|ZB|UB)[FGHJKMNQUVXZ]\d{1,2}$")
_QUARTER_32NDS = ("ZT", "Z3N", "ZF")


def _fmt_price(v: Any, contract: Any = None) -> str:
    """Decimal price; Treasury futures also in 32nds (``110-16+``) when the price is on-tick."""
    f = _num(v)
    if f is None:
        return _text(v) if v is not None else '<span class="na">—</span>'
    s = f"{f:,.6f}".rstrip("0")
    if len(s.split(".")[1]) < 2:
        s = f"{f:,.2f}"
    m = _TSY_FUT.match(str(contract or "").upper())
    if m and f > 0:
        frac = 4 if m.group(1) in _QUARTER_32NDS else 2
        if abs(f * 32 * frac - round(f * 32 * frac)) < 1e-6:
            s = f'{format_32nds(f, frac)} <span class="dec">({s})</span>'
    return f'<span class="neg">{s}</span>' if f < 0 else s


def _orders(doc: Mapping) -> str:
    rows = _rows(doc, "orders")
    if not rows:
        return ""
    body = []
    for r in rows:
        side = str(r.get("side", "")).lower()
        side_cls = "buy" if side in ("buy", "b") else ("sell" if side in ("sell", "s") else "")
        body.append("<tr>" + _td(_text(r.get("contract")), "txt")
                    + f'<td class="txt {side_cls}">{_text(r.get("side"))}</td>'
                    + _td(fmt_num(r.get("quantity"), 0))
                    + _td(_fmt_price(r.get("price"), r.get("contract")))
                    + _td(fmt_usd(r.get("est_cost_usd", r.get("estimated_cost")))) + _td(_text(r.get("reason")), "txt")
                    + "</tr>")
    foot = ('<tr><td class="txt">Total</td><td></td>' + _td("") + _td("")
            + _td(fmt_usd(_sum(rows, "est_cost_usd") if any("est_cost_usd" in r for r in rows)
                          else _sum(rows, "estimated_cost"))) + "<td></td></tr>")
    headers = [("Contract", "txt"), ("Side", "txt"), ("Quantity", "num"), ("Price", "num"),
               ("Estimated cost (USD)", "num"), ("Reason", "txt")]
    return _section("orders", "Orders", _table(headers, body, foot=foot))


def _provenance(doc: Mapping) -> str:
    prov = doc.get("provenance") or []
    if isinstance(prov, str):
        prov = [prov]
    if not prov:
        return ""
    items = "".join(f"<li>{_text(p)}</li>" for p in prov)
    return _section("provenance", "Data provenance", f"<ul>{items}</ul>")


CSS = """
*{box-sizing:border-box}
body{margin:0;padding:18px 24px;font:13px/1.4 system-ui,-apple-system,"Segoe UI","DejaVu Sans",
Arial,sans-serif;color:#1c2430;background:#fff;max-width:1180px}
h1{font-size:21px;margin:0 0 4px}
h2{font-size:15px;margin:0 0 8px;padding-bottom:3px;border-bottom:2px solid #1f5fa8}
header{border-bottom:1px solid #cfd6e0;padding-bottom:8px;margin-bottom:12px}
.meta span{margin-right:18px;color:#3d4756}
.status{margin:6px 0 0;color:#3d4756}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-weight:600;font-size:12px}
.badge.ok{background:#dff3e7;color:#17623b}.badge.warn{background:#fdecc8;color:#7a4d00}
.section{margin:0 0 18px;break-inside:avoid;page-break-inside:avoid}
.note{margin:0 0 6px;color:#5a6472;font-size:12px}
.warnings{background:#fff4e0;border:1px solid #e0a030;border-left:5px solid #c2412d;
padding:8px 12px}
.warnings h2{border-bottom-color:#c2412d;color:#8a2b1c}
.warnings ul{margin:0;padding-left:18px}.warnings li{margin:2px 0;font-weight:500}
table.data{border-collapse:collapse;font-size:12px;margin:0 0 8px;
font-variant-numeric:tabular-nums}
table.data th,table.data td{padding:3px 8px;border-bottom:1px solid #e3e7ee;white-space:nowrap}
table.data td.txt{white-space:normal;max-width:360px;overflow-wrap:anywhere}
table.data thead th{background:#eef2f7;border-bottom:1px solid #b8c2d0;font-weight:600}
table.data tbody tr:nth-child(even){background:#fafbfd}
table.data tfoot td{border-top:1.5px solid #6b7686;font-weight:600}
th.num,td.num{text-align:right}th.txt,td.txt{text-align:left}
table.kv{border-collapse:collapse;font-size:12px}
table.kv th{text-align:left;padding:2px 14px 2px 0;font-weight:600;color:#3d4756;
vertical-align:top}
table.kv td{padding:2px 0;overflow-wrap:anywhere}
.neg{color:#b3261e}.na{color:#8d99ab}.over,.flag{color:#b3261e;font-weight:600}
.ok{color:#17623b}.dec{color:#5a6472;font-size:11px}
td.buy{color:#17623b;font-weight:600}td.sell{color:#b3261e;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:10px}
.card{border:1px solid #d5dce6;border-radius:4px;padding:6px 10px;min-width:200px}
.card .label{font-size:11px;color:#5a6472;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:17px;font-weight:600;font-variant-numeric:tabular-nums}
.card .sub{font-size:11px;color:#5a6472;min-height:1em}.arrow{color:#8d99ab}
.pair{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.gauges svg{display:block;margin-bottom:4px}
svg.chart{max-width:100%;height:auto;display:block;margin:4px 0 6px;overflow:visible}
svg.chart text{font-size:11px;fill:#2d3643}
svg.chart .chart-title{font-size:12px;font-weight:600}
svg.chart .unit{fill:#5a6472}
svg.chart .grid{stroke:#e5e9f0;stroke-width:1}
svg.chart .axis-line,svg.chart .tick-mark{stroke:#8d99ab;stroke-width:1}
svg.chart .zero{stroke:#1c2430;stroke-width:1.3}
svg.chart .point-label{font-size:10px;fill:#1f5fa8}
svg.chart .ref{stroke:#c2412d;stroke-width:1;stroke-dasharray:4 3}
svg.chart .ref-label{font-size:10px;fill:#c2412d}
ul{margin:4px 0;padding-left:20px}
footer{color:#8d99ab;font-size:11px;border-top:1px solid #e3e7ee;padding-top:6px}
@media print{
body{padding:0;font-size:10.5px;max-width:none}
@page{margin:12mm}
.section{break-inside:avoid}
table.data{font-size:10px}table.data tbody tr:nth-child(even){background:none}
.warnings{background:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


def render_report(doc: Mapping[str, Any], *, generated_at: str | None = None) -> str:
    """The report as one self-contained HTML string (no script, no external resource)."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"report document must be a dict (the hedge JSON), got {type(doc).__name__}")
    doc = to_jsonable(dict(doc))
    gen = (generated_at or doc.get("generated_at")
           or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    title = doc.get("title") or DEFAULT_TITLE
    parts = [_header(doc, gen), _warnings(doc), _summary(doc), _mandate(doc), _positions(doc),
             _sectors(doc), _key_rates(doc), _scenarios(doc), _frontier(doc), _backtest(doc),
             _orders(doc), _provenance(doc)]
    body = "\n".join(p for p in parts if p)
    footer = ("<footer>futures-overlay hedge report. DV01 = USD gained for a 1 bp fall in "
              "yields (long &gt; 0). All amounts in USD; display rounding only.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_text(title)}{' — ' + _text(doc.get('asof')) if doc.get('asof') else ''}"
            f"</title><style>{CSS}</style></head>\n<body>\n{body}\n{footer}\n</body></html>\n")


def write_report(doc: Mapping[str, Any], path: str | Path, *,
                 generated_at: str | None = None) -> Path:
    """Render and write atomically; on any error nothing (not even a partial file) is left."""
    html = render_report(doc, generated_at=generated_at)
    path = Path(path)
    write_text_atomic(path, html)
    return path
