"""Report sections built from a hedge result dict (``overlay hedge --json``, SPEC §9), shared by
the hedge, rebalance (after-trade book) and frontier pages.

Every section renders only when its keys are present, reads values as given (no recomputation
besides display totals and differences of two printed columns), and labels every number with
its unit: money in USD, DV01 and key-rate DV01 in USD per bp (gain for a 1 bp fall in yields),
tracking error in USD per year (annualized) and bp of market value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.reporting import charts
from optimizer.reporting import formatters as fmt
from optimizer.reporting import layout as L

C_BEFORE, C_TARGET, C_AFTER = "#8d99ab", "#e0a030", "#1f5fa8"
OBJECTIVE_UNIT = "USD²/yr"  # the core's objective: tracking variance (+ trading cost), per year


# ----------------------------------------------------------------------------- header line

def solver_line(doc: Mapping) -> str:
    """Status badge, solver, gap, time and the objective with its unit."""
    solver = L.sub(doc, "solver")
    status = doc.get("status") or solver.get("status")
    bits = [L.badge(status, str(status).lower() == "optimal")] if status else []
    if solver.get("name"):
        bits.append(f"solver <b>{L.text(solver.get('name'))}</b>")
    if solver.get("status"):
        bits.append(f"solver status <b>{L.text(solver.get('status'))}</b>")
    if fmt.finite(solver.get("gap")) is not None:
        bits.append(f"optimality gap <b>{fmt.pct(solver.get('gap'), 3)}</b>")
    if fmt.finite(solver.get("seconds")) is not None:
        bits.append(f"time <b>{fmt.number(solver.get('seconds'), 2)} s</b>")
    obj = fmt.finite(doc.get("objective"))
    if obj is not None:
        unit, _, what = str(doc.get("objective_unit") or OBJECTIVE_UNIT).partition(":")
        unit = unit.strip().replace("^2", "²")
        what = what.strip() or "tracking-error variance plus trading cost"
        root = f"; √ = {fmt.usd(obj ** 0.5)}/yr" if obj >= 0 and "²" in unit else ""
        bits.append(f'objective <b>{fmt.number(obj)} {L.text(unit)}</b> <span class="small">'
                    f"({L.text(what)}{L.text(root)})</span>")
    return " · ".join(bits)


# ----------------------------------------------------------------------------- summary

def _summary_cards(doc: Mapping) -> str:
    pf, te = L.sub(doc, "portfolio"), L.sub(doc, "tracking_error")
    basis = str(pf.get("dv01_basis") or "before → after hedge")
    items = []
    if "market_value" in pf:
        items.append(("Market value (USD)", L.num(pf.get("market_value")), ""))
    for key, label, dp, sub in (
            ("dv01", "Portfolio DV01 (USD/bp)", 0, basis),
            ("model_dv01", "Model DV01 (USD/bp)", 0, "curve DV01, not beta-adjusted"),
            ("duration", "Modified duration (years)", 2, basis.split(" (")[0]),
            ("model_duration", "Model duration (years)", 2, "not beta-adjusted")):
        if f"{key}_before" in pf or f"{key}_after" in pf:
            items.append((label, L.before_after(L.num(pf.get(f"{key}_before"), dp),
                                                L.num(pf.get(f"{key}_after"), dp)), L.text(sub)))
    if te:
        items.append(("Tracking error (USD/yr)", L.before_after(
            L.num(te.get("before_usd")), L.num(te.get("after_usd"))),
            f"after: {L.text(fmt.bp(te.get('after_bp')))} of market value"
            if "after_bp" in te else ""))
    return L.cards(items)


_TE_ROWS = (("Unhedged (before)", "before_usd", "before_bp"),
            ("Integer hedge (after)", "after_usd", "after_bp"),
            ("Continuous optimum", "continuous_after_usd", None),
            ("Naive rounding of continuous", "rounded_after_usd", None))


def tracking_error(doc: Mapping) -> str:
    te = L.sub(doc, "tracking_error")
    if not te:
        return ""
    rows = []
    for label, key, bp_key in _TE_ROWS:
        if key in te:
            rows.append(f'<tr><td class="txt">{L.text(label)}</td>{L.td(L.num(te.get(key)))}'
                        f"{L.td(L.num(te.get(bp_key), 1) if bp_key else '')}</tr>")
    broken = te.get("rounded_breaks")
    note = ""
    if broken:
        note = (f'<p class="note flag">Naive rounding breaks: '
                f"{L.text(L.join(broken))}.</p>")
    tbl = L.table([("Tracking error", "txt"), ("USD per year", "num"), ("bp of MV", "num")], rows)
    present = [(lab.split(" (")[0], te.get(k)) for lab, k, _ in _TE_ROWS if k in te]
    chart = charts.diverging_hbar_chart(
        "tracking-error", "Annualized tracking error by hedge", [p[0] for p in present],
        [("Tracking error", [p[1] for p in present])], width=520, colors=[C_AFTER],
        x_label="Tracking error (USD per year)", y_label="Hedge", symmetric=False)
    return L.pair(tbl + note, chart)


def _use(used: Any, limit: Any) -> str:
    u, lim = fmt.finite(used), fmt.finite(limit)
    if u is None or not lim:
        return L.NA
    frac = abs(u) / lim
    return f'<span class="{"over" if frac > 1 + 1e-9 else ""}">{fmt.pct(frac)}</span>'


def limits(doc: Mapping) -> str:
    margin, lev = L.sub(doc, "margin"), L.sub(doc, "leverage")
    if not (margin or lev):
        return ""
    rows, gauges = [], []
    if margin:
        rows.append(f'<tr><td class="txt">Initial margin (USD)</td>{L.td(L.num(margin.get("initial")))}'
                    f'{L.td(L.num(margin.get("budget")))}'
                    f'{L.td(_use(margin.get("initial"), margin.get("budget")))}</tr>')
        gauges.append(charts.usage_bar(
            "margin-use", "Initial margin vs budget", margin.get("initial"), margin.get("budget"),
            used_text=f"IM {fmt.usd(margin.get('initial'))}",
            limit_text=f"budget {fmt.usd(margin.get('budget'))}"
            if fmt.finite(margin.get("budget")) is not None else "",
            axis_label="Initial margin used (% of budget)"))
    if lev:
        ratio, limit = fmt.finite(lev.get("ratio")), fmt.finite(lev.get("limit"))
        rows.append(f'<tr><td class="txt">Gross leverage (x market value)</td>'
                    f'{L.td(L.num(ratio, 3))}{L.td(L.num(limit, 2))}{L.td(_use(ratio, limit))}</tr>')
        if "gross_notional" in lev:
            rows.append(f'<tr><td class="txt">Gross futures notional (USD)</td>'
                        f'{L.td(L.num(lev.get("gross_notional")))}{L.td("")}{L.td("")}</tr>')
        gauges.append(charts.usage_bar(
            "leverage-use", "Gross leverage vs limit", ratio, limit,
            used_text=f"gross {fmt.usd(lev.get('gross_notional'))} = {fmt.number(ratio, 2)}x MV",
            limit_text=f"limit {fmt.number(limit, 2)}x" if limit is not None else "",
            axis_label="Gross notional used (% of leverage limit)"))
    tbl = L.table([("Limit", "txt"), ("Used", "num"), ("Limit", "num"), ("Use", "num")], rows)
    return f'<div class="pair"><div>{tbl}</div><div class="gauges">{"".join(gauges)}</div></div>'


def summary(doc: Mapping, title: str = "Summary: risk, tracking error, margin and leverage"
            ) -> str:
    body = _summary_cards(doc) + tracking_error(doc) + limits(doc)
    return L.section("summary", title, body) if body else ""


# ----------------------------------------------------------------------------- constraints

def constraints(doc: Mapping) -> str:
    rows = L.rows_of(doc, "constraints")
    if not rows:
        return ""
    cols: list[L.Column] = [L.col("Constraint", "name"),
                            L.col("What it holds", "description", cls="txt wide"),
                            L.col("Met", "satisfied", L.yes_no, cls="txt", yes="met", no="BROKEN")]
    n_bad = sum(1 for r in rows if r.get("satisfied") is False)
    note = (f'<span class="flag">{n_bad} constraint(s) broken.</span>' if n_bad else
            "Every stated constraint is met by the hedge shown (re-checked on the integer "
            "contracts).")
    return L.section("constraints", "Constraints", L.data_table(cols, rows), note)


def mandate(doc: Mapping) -> str:
    m = doc.get("mandate")
    if not m or not isinstance(m, Mapping):
        return ""
    return L.section("mandate", "Mandate", L.kv_table(m))


# ----------------------------------------------------------------------------- positions

def _position_columns() -> list[L.Column]:
    return [
        L.col("Contract", "contract"),
        L.col("Instrument", "instrument"),
        L.col("Designated to sector", "sector"),
        L.col("Contracts", "contracts", L.num, signed=True),
        ("Price (per 100)", "num", lambda r: L.price(r.get("price"), r.get("contract"))),
        L.col("Contract DV01 (USD/bp)", "contract_dv01", L.num, dp=2),
        L.col("DV01 (USD/bp)", "dv01", L.num),
        L.col("Notional (USD)", "notional", L.num),
        L.col("Initial margin (USD)", "initial_margin", L.num),
    ]


def _net_contracts(doc: Mapping) -> str:
    net = L.sub(doc, "contracts")
    te = L.sub(doc, "tracking_error")
    cont, rnd = L.sub(te, "continuous_contracts"), L.sub(te, "rounded_contracts")
    names = [c for c in dict.fromkeys([*net, *cont, *rnd])
             if max(abs(fmt.finite(d.get(c)) or 0.0) for d in (net, cont, rnd)) >= 0.5]
    if not names:
        return ""
    rows = [{"contract": c, "net": net.get(c), "cont": cont.get(c), "rnd": rnd.get(c)}
            for c in names]
    cols: list[L.Column] = [
        ("Contract", "txt", lambda r: L.text(r["contract"])),
        ("Integer hedge (contracts)", "num", lambda r: L.num(r["net"], signed=True)),
        ("Continuous optimum", "num", lambda r: L.num(r["cont"], 1, signed=True)),
        ("Naive rounding", "num", lambda r: L.num(r["rnd"], signed=True)),
    ]
    return L.data_table(cols, rows, caption="Net contracts per contract month")


def positions(doc: Mapping, title: str = "Hedge positions") -> str:
    rows = L.rows_of(doc, "positions")
    net = _net_contracts(doc)
    if not rows and not net:
        return ""
    cols = _position_columns()
    if not any("price" in r for r in rows):
        cols = [c for c in cols if c[0] != "Price (per 100)"]
    if not any("instrument" in r and r.get("instrument") != r.get("contract") for r in rows):
        cols = [c for c in cols if c[0] != "Instrument"]
    foot = {"Contract": "<b>Total</b>", "DV01 (USD/bp)": L.num(L.column_sum(rows, "dv01")),
            "Notional (USD)": L.num(L.column_sum(rows, "notional")),
            "Initial margin (USD)": L.num(L.column_sum(rows, "initial_margin"))}
    body = L.data_table(cols, rows, foot=foot) if rows else \
        '<p class="note">No futures positions: no hedge is needed.</p>'
    note = ("Contracts signed (short &lt; 0). Each row is a real position designated to a "
            "sector; the net per contract month is what is held.")
    return L.section("positions", title, body + net, note)


# ----------------------------------------------------------------------------- sectors

def _tolerances(doc: Mapping) -> dict[str, Any]:
    out = {}
    for c in L.rows_of(doc, "constraints"):
        if c.get("kind") == "dv01_band" and c.get("sector") is not None:
            out[str(c["sector"])] = c.get("tolerance_usd")
    for s in L.rows_of(doc, "sectors"):
        if s.get("tolerance_usd") is not None:
            out[str(s.get("sector"))] = s.get("tolerance_usd")
    return out


def _diff(a: Any, b: Any) -> float | None:
    fa, fb = fmt.finite(a), fmt.finite(b)
    return None if fa is None or fb is None else fa - fb


def sector_columns(doc: Mapping) -> list[L.Column]:
    tol = _tolerances(doc)
    cols: list[L.Column] = [
        L.col("Sector", "sector"), L.col("Market value (USD)", "market_value", L.num),
        L.col("Model DV01 (USD/bp)", "model_dv01", L.num), L.col("Beta", "beta", L.ratio),
        L.col("DV01 before (USD/bp)", "dv01_before", L.num),
        L.col("DV01 target (USD/bp)", "dv01_target", L.num),
        ("Tolerance ± (USD/bp)", "num", lambda r: L.num(tol.get(str(r.get("sector"))))),
        L.col("DV01 after (USD/bp)", "dv01_after", L.num),
        ("After − target (USD/bp)", "num",
         lambda r: L.num(_diff(r.get("dv01_after"), r.get("dv01_target")), signed=True)),
    ]
    rows = L.rows_of(doc, "sectors")
    drop = set()
    if not any("model_dv01" in r for r in rows):
        drop.add("Model DV01 (USD/bp)")
    if not tol:
        drop.add("Tolerance ± (USD/bp)")
    return [c for c in cols if c[0] not in drop]


def _beta_notes(rows: Sequence[Mapping]) -> str:
    items = []
    for r in rows:
        src = r.get("beta_source")
        if not src:
            continue
        se = fmt.finite(r.get("beta_std_err"))
        se_txt = f" (s.e. {fmt.ratio(se)})" if se is not None else ""
        items.append(f"<li><b>{L.text(r.get('sector'))}</b> beta {L.text(fmt.ratio(r.get('beta')))}"
                     f"{L.text(se_txt)}: {L.text(src)}</li>")
    return f'<ul class="plain small">{"".join(items)}</ul>' if items else ""


def sectors(doc: Mapping, title: str = "Sector DV01") -> str:
    rows = L.rows_of(doc, "sectors")
    if not rows:
        return ""
    t_target, t_after = L.column_sum(rows, "dv01_target"), L.column_sum(rows, "dv01_after")
    foot = {"Sector": "<b>Total</b>", "Market value (USD)": L.num(L.column_sum(rows, "market_value")),
            "Model DV01 (USD/bp)": L.num(L.column_sum(rows, "model_dv01")),
            "DV01 before (USD/bp)": L.num(L.column_sum(rows, "dv01_before")),
            "DV01 target (USD/bp)": L.num(t_target), "DV01 after (USD/bp)": L.num(t_after),
            "After − target (USD/bp)": L.num(_diff(t_after, t_target), signed=True)}
    chart = charts.grouped_bar_chart(
        "sector-dv01", "Sector DV01: before / target / after hedge",
        [L.plain(r.get("sector")) for r in rows],
        [("Before", [r.get("dv01_before") for r in rows]),
         ("Target", [r.get("dv01_target") for r in rows]),
         ("After", [r.get("dv01_after") for r in rows])],
        colors=[C_BEFORE, C_TARGET, C_AFTER], x_label="Sector",
        y_label="DV01 (USD per bp)", width=900, height=300)
    note = ("Beta-adjusted DV01 (model DV01 x beta) is what the targets and bands constrain."
            if any("model_dv01" in r for r in rows) else "")
    return L.section("sectors", title, L.data_table(sector_columns(doc), rows, foot=foot)
                     + _beta_notes(rows) + chart, note)


# ----------------------------------------------------------------------------- key rates

def _ladder_rows(rows: Sequence[Mapping], name_key: str = "tenor") -> list[str]:
    out = []
    for r in rows:
        out.append("<tr>" + L.td(L.text(r.get(name_key)), "txt") + L.td(L.num(r.get("dv01_before")))
                   + L.td(L.num(r.get("dv01_after")))
                   + L.td(L.num(_diff(r.get("dv01_after"), r.get("dv01_before")), signed=True))
                   + "</tr>")
    return out


_LADDER_HEAD = [("Tenor", "txt"), ("DV01 before (USD/bp)", "num"),
                ("DV01 after (USD/bp)", "num"), ("Change (USD/bp)", "num")]


def _ladder_table(rows: Sequence[Mapping]) -> str:
    tb, ta = L.column_sum(rows, "dv01_before"), L.column_sum(rows, "dv01_after")
    foot = ('<tr><td class="txt">Sum of key rates</td>' + L.td(L.num(tb)) + L.td(L.num(ta))
            + L.td(L.num(_diff(ta, tb), signed=True)) + "</tr>")
    return L.table(_LADDER_HEAD, _ladder_rows(rows), foot=foot)


def _factor_table(rows: Sequence[Mapping]) -> str:
    if not rows:
        return ""
    head = [("Spread factor", "txt"), ("Exposure before (USD/bp)", "num"),
            ("Exposure after (USD/bp)", "num"), ("Change (USD/bp)", "num")]
    return L.table(head, _ladder_rows(rows, "factor"))


def key_rates(doc: Mapping) -> str:
    rows = L.rows_of(doc, "key_rates")
    if not rows:
        return ""
    chart = charts.grouped_bar_chart(
        "key-rate-dv01", "Key-rate DV01 before / after hedge",
        [L.plain(r.get("tenor")) for r in rows],
        [("Before", [r.get("dv01_before") for r in rows]),
         ("After", [r.get("dv01_after") for r in rows])],
        colors=[C_BEFORE, C_AFTER], x_label="Key-rate tenor (par-curve bump)",
        y_label="DV01 (USD per bp)", width=580, height=300)
    note = ("Key-rate DV01s: triangular 1 bp par-yield bumps; they sum to the curve DV01. "
            "Spread factors: USD gained per 1 bp fall in the sector spread or the swap spread.")
    tables = _ladder_table(rows) + _factor_table(L.rows_of(doc, "other_factors"))
    return L.section("key-rates", "Key-rate DV01 ladder (portfolio)", L.pair(tables, chart), note)


def _ladder_grid(secs: Sequence[Mapping]) -> str:
    """Tenors down, each sector's before and after across; footer = sum of the key rates."""
    tenors = [L.plain(k.get("tenor")) for k in L.rows_of(secs[0], "key_rates")]
    by = [{L.plain(k.get("tenor")): k for k in L.rows_of(s, "key_rates")} for s in secs]
    head = [("Tenor", "txt")]
    for s in secs:
        name = L.plain(s.get("sector"))
        head += [(f"{name} before (USD/bp)", "num"), (f"{name} after (USD/bp)", "num")]
    body = []
    for t in tenors:
        cells = "".join(L.td(L.num(b.get(t, {}).get(k))) for b in by
                        for k in ("dv01_before", "dv01_after"))
        body.append(f"<tr>{L.td(L.text(t), 'txt')}{cells}</tr>")
    foot = "".join(L.td(L.num(L.column_sum(L.rows_of(s, "key_rates"), k))) for s in secs
                   for k in ("dv01_before", "dv01_after"))
    return L.table(head, body, foot=f'<tr><td class="txt">Sum of key rates</td>{foot}</tr>')


def sector_ladders(doc: Mapping) -> str:
    """Drill-down: each sector's key-rate ladder before and after its designated hedge."""
    secs = [s for s in L.rows_of(doc, "sectors") if L.rows_of(s, "key_rates")]
    if not secs:
        return ""
    blocks = []
    for i, s in enumerate(secs):
        rows = L.rows_of(s, "key_rates")
        blocks.append(charts.grouped_bar_chart(
            f"sector-key-rates-{i}", f"{L.plain(s.get('sector'))}: key-rate DV01",
            [L.plain(r.get("tenor")) for r in rows],
            [("Before", [r.get("dv01_before") for r in rows]),
             ("After", [r.get("dv01_after") for r in rows])],
            colors=[C_BEFORE, C_AFTER], x_label="Key-rate tenor", y_label="DV01 (USD per bp)",
            width=370, height=250))
    tables = "".join(_ladder_grid(secs[i:i + 4]) for i in range(0, len(secs), 4))
    note = ("After = the sector's own key-rate exposure plus the key-rate exposure of the futures "
            "designated to it; the sectors add up to the portfolio ladder above.")
    return L.section("sector-key-rates", "Key-rate DV01 ladder by sector",
                     f'<div class="multiples">{"".join(blocks)}</div>{tables}', note)


# ----------------------------------------------------------------------------- instruments

def instruments(doc: Mapping) -> str:
    rows = L.rows_of(doc, "instruments")
    if not rows:
        return ""
    cols: list[L.Column] = [
        L.col("Contract", "contract"),
        ("Price (per 100)", "num", lambda r: L.price(r.get("price"), r.get("contract"))),
        L.col("DV01 (USD/bp per contract)", "dv01", L.num, dp=2),
        L.col("Notional (USD per contract)", "notional", L.num),
        L.col("Initial margin (USD per contract)", "initial_margin", L.num),
        L.col("Description", "description", cls="txt wide")]
    return L.section("instruments", "Instruments available",
                     L.data_table(cols, rows) + _instrument_key_rates(rows))


def _instrument_key_rates(rows: Sequence[Mapping]) -> str:
    """Each contract's key-rate DV01 profile (which part of the curve it hedges)."""
    tenors = list(dict.fromkeys(t for r in rows for t in L.sub(r, "key_rate_dv01")))
    if not tenors:
        return ""
    cols: list[L.Column] = [L.col("Contract", "contract")]
    cols += [(f"{t} (USD/bp)", "num",
              lambda r, t=t: L.num(L.sub(r, "key_rate_dv01").get(t), 2)) for t in tenors]
    return L.data_table(cols, rows, caption="Key-rate DV01 per contract (USD per bp)")


def risk_model(doc: Mapping) -> str:
    rm = L.sub(doc, "risk_model")
    if not rm:
        return ""
    items = []
    for k, v in rm.items():
        if isinstance(v, (list, tuple)) and k == "window" and len(v) == 2:
            v = f"{L.plain(v[0])[:10]} .. {L.plain(v[1])[:10]}"
        elif isinstance(v, (list, tuple)):
            v = L.join(v)
        items.append((k.replace("_", " "), v))
    return L.section("risk-model", "Risk model", L.kv_table(items))
