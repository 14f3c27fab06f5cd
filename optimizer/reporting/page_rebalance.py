"""The rebalance page (``overlay rebalance --report``), rendered from the rebalance result dict
(``overlay rebalance --json``): decision and reason first, then the held book, the tolerance
bands (inside/outside, before and after the trades), rolls, the order list with its cost (the
section stays, saying "no orders" and why, when there are none), the held -> proposed book, and
the after-trade hedge (sectors, key rates, tracking error, margin, leverage).

Keys read (the rebalance result's ``to_dict()``): ``decision: {status (no_trade | roll |
rebalance | new_mandate), reason, limits_breached}``; ``bands: [{sector, dv01_unhedged,
dv01_target, band_usd, band_rule, dv01_hedged, drift_usd, inside, dv01_after, inside_after}]``;
``proposal: {current, proposed, trades, frozen, turnover, max_turnover, trading_cost_usd}``;
``held_positions: [{row, contract, contracts, sector, entry_price, price, dv01,
unrealized_pnl_usd}]``, ``held_book``, ``designations``; ``rolls: [{from_contract, to_contract,
old_contracts, new_contracts, dv01_old, dv01_new, position_dv01_before, position_dv01_after,
spread, roll_cost_usd, first_notice_day}]``, ``roll_days``, ``total_roll_cost_usd``,
``roll_cost_sign``, ``kept_for_delivery``; ``orders: [{contract, side, quantity, price,
est_cost_usd, reason}]``; ``prices: {contract: {price, source}}``; and the hedge keys of the
after-trade book (see :mod:`page_hedge`). Money in USD, DV01 in USD per bp (beta-adjusted for
the bands).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.reporting import charts, sections
from optimizer.reporting import formatters as fmt
from optimizer.reporting import layout as L

NO_TRADE = ("no_trade", "no trade", "hold", "inside")


def _decision(doc: Mapping) -> Mapping:
    return L.sub(doc, "decision")


def _proposal(doc: Mapping) -> Mapping:
    return L.sub(doc, "proposal")


def _acts(rb: Mapping) -> bool:
    return str(rb.get("status", "")).lower() not in NO_TRADE


def decision_section(doc: Mapping) -> str:
    rb = _decision(doc)
    if not rb:
        return ""
    status = L.plain(rb.get("status") or "")
    verdict = "No trade" if not _acts(rb) else status.replace("_", " ").capitalize()
    lines = [f'<p class="verdict">{L.text(verdict)}</p>',
             f"<p><b>Reason:</b> {L.text(rb.get('reason'))}</p>"]
    broken = rb.get("limits_breached") or []
    if broken:
        lines.append(f'<p class="flag">Limits breached by the held book: '
                     f"{L.text(L.join(broken, '; '))}</p>")
    facts = []
    prop = _proposal(doc)
    if "turnover" in prop:
        lim = prop.get("max_turnover")
        facts.append(("Turnover (contracts)", f"{fmt.number(prop.get('turnover'))} (limit "
                      f"{'off' if lim is None else fmt.number(lim)})"))
    if "trading_cost_usd" in prop:
        facts.append(("Trading cost (USD)", fmt.number(prop.get("trading_cost_usd"), 2)))
    if "frozen" in prop:
        facts.append(("Frozen (only hedge sectors inside their bands)",
                      L.join(prop.get("frozen")) or "none"))
    body = "".join(lines) + (L.kv_table(facts) if facts else "")
    return L.section("decision", "Decision", body, cls="decision" + (" act" if _acts(rb) else ""))


def held_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "held_positions")
    if not rows:
        return ""
    prices = L.sub(doc, "prices")
    cols: list[L.Column] = [
        L.col("File row", "row", L.num),
        L.col("Contract", "contract"),
        ("Designated to sector", "txt", lambda r: L.text(r.get("sector") or "")),
        L.col("Contracts", "contracts", L.num, signed=True),
        L.col("Position DV01 (USD/bp)", "dv01", L.num),
        ("Entry price (per 100)", "num", lambda r: L.price(r.get("entry_price"), r.get("contract"))),
        ("Price now (per 100)", "num", lambda r: L.price(r.get("price"), r.get("contract"))),
        ("Price source", "txt", lambda r: L.text(L.sub(prices, str(r.get("contract"))).get(
            "source", "roll leg" if r.get("price") is not None else None))),
        L.col("Unrealized P&L (USD)", "unrealized_pnl_usd", L.num, signed=True),
    ]
    if not any(r.get("sector") for r in rows):
        cols = [c for c in cols if c[0] != "Designated to sector"]
    if not any("dv01" in r for r in rows):
        cols = [c for c in cols if c[0] != "Position DV01 (USD/bp)"]
    foot = {"Contract": "<b>Total</b>",
            "Position DV01 (USD/bp)": L.num(L.column_sum(rows, "dv01")),
            "Unrealized P&L (USD)": L.num(L.column_sum(rows, "unrealized_pnl_usd"), signed=True)}
    src = doc.get("positions_file")
    note = f"From {L.text(src)}. Contracts signed (short &lt; 0)." if src else ""
    return L.section("held", "Held book", L.data_table(cols, rows, foot=foot), note)


def bands_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "bands")
    if not rows:
        return ""
    has_after = any("dv01_after" in b for b in rows)

    def drift_after(r: Mapping) -> Any:
        after, target = fmt.finite(r.get("dv01_after")), fmt.finite(r.get("dv01_target"))
        return None if after is None or target is None else after - target

    cols: list[L.Column] = [
        L.col("Sector", "sector"), L.col("Unhedged DV01 (USD/bp)", "dv01_unhedged", L.num),
        L.col("Target (USD/bp)", "dv01_target", L.num), L.col("Band ± (USD/bp)", "band_usd", L.num),
        L.col("Hedged now (USD/bp)", "dv01_hedged", L.num),
        L.col("Drift now (USD/bp)", "drift_usd", L.num, signed=True),
        L.col("Inside now", "inside", L.yes_no, cls="txt", yes="inside", no="OUTSIDE"),
        L.col("After trades (USD/bp)", "dv01_after", L.num),
        ("Drift after (USD/bp)", "num", lambda r: L.num(drift_after(r), signed=True)),
        ("Inside after", "txt", lambda r: L.yes_no(r.get("inside_after"), "inside", "OUTSIDE")),
        L.col("Band rule", "band_rule"),
    ]
    if not has_after:
        cols = [c for c in cols if "after" not in c[0].lower()]

    def units(r: Mapping, drift: Any) -> float | None:
        d, band = fmt.finite(drift), fmt.finite(r.get("band_usd"))
        return None if d is None or not band else d / band

    series = [("Held now", [units(b, b.get("drift_usd")) for b in rows])]
    if has_after:
        series.append(("After trades", [units(b, drift_after(b)) for b in rows]))
    chart = charts.band_chart(
        "tolerance-bands", "Sector drift from target, in band half-widths",
        [L.plain(b.get("sector")) for b in rows], series, width=900, y_label="Sector",
        x_label="Drift ÷ band half-width (±1 = band edge; beta-adjusted DV01)")
    note = ("Drift = hedged sector DV01 − target (beta-adjusted, USD per bp), at the closest real "
            "allocation of the held contracts to the sectors. Inside every band nothing is "
            "traded.")
    return L.section("bands", "Tolerance bands", L.data_table(cols, rows) + chart, note)


def rolls_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "rolls")
    days = doc.get("roll_days")
    window = f"{days} business days before first notice day" if days is not None else \
        "the roll window"
    kept = doc.get("kept_for_delivery") or []
    kept_txt = f" Kept for delivery: {L.join(kept)}." if kept else ""
    if not rows:
        return L.section("rolls", "Rolls", f'<p class="note">No position is inside its roll '
                         f"window ({L.text(window)}).{L.text(kept_txt)}</p>")
    cols: list[L.Column] = [
        L.col("From", "from_contract"),
        L.col("To", "to_contract"),
        L.col("Old contracts", "old_contracts", L.num, signed=True),
        L.col("New contracts", "new_contracts", L.num, signed=True),
        ("Contract DV01 old / new (USD/bp)", "num", lambda r: L.text(
            f"{fmt.number(r.get('dv01_old'), 2)} / {fmt.number(r.get('dv01_new'), 2)}")),
        ("Position DV01 before → after (USD/bp)", "num", lambda r: L.text(
            f"{fmt.number(r.get('position_dv01_before'), signed=True)} → "
            f"{fmt.number(r.get('position_dv01_after'), signed=True)}")),
        ("Spread new − old (points)", "num", lambda r: L.text(fmt.price_spread(r.get("spread")))),
        ("Roll cost (USD)", "num",
         lambda r: L.num(r.get("roll_cost_usd"), signed=True, red_negative=False)),
        ("First notice day", "txt", lambda r: L.text(str(r.get("first_notice_day") or "")[:10])),
    ]
    foot = {"From": "<b>Total</b>", "Roll cost (USD)": L.num(
        L.column_sum(rows, "roll_cost_usd"), signed=True, red_negative=False)}
    note = (f"Window: {L.text(window)}. Roll cost sign: "
            f"{L.text(doc.get('roll_cost_sign') or 'positive = costs the holder')}."
            f"{L.text(kept_txt)}")
    return L.section("rolls", "Rolls (calendar spreads)", L.data_table(cols, rows, foot=foot), note)


def _cost(r: Mapping) -> Any:
    for k in ("est_cost_usd", "estimated_cost", "estimated_cost_usd"):
        if k in r:
            return r[k]
    return None


def _side(r: Mapping) -> str:
    side = str(r.get("side", "")).lower()
    cls = "buy" if side in ("buy", "b") else ("sell" if side in ("sell", "s") else "")
    return f'<span class="{cls}">{L.text(r.get("side"))}</span>'


def orders_section(doc: Mapping) -> str:
    rows = L.rows_of(doc, "orders")
    rb = _decision(doc)
    if not rows:
        why = rb.get("reason") or "the overlay is on mandate"
        return L.section("orders", "Orders", f'<p class="verdict">No orders.</p>'
                         f'<p class="note">Why: {L.text(why)}</p>')
    cols: list[L.Column] = [
        L.col("Contract", "contract"),
        ("Side", "txt", _side),
        L.col("Quantity (contracts)", "quantity", L.num),
        ("Price (per 100)", "num", lambda r: L.price(r.get("price"), r.get("contract"))),
        ("Estimated cost (USD)", "num",
         lambda r: L.num(_cost(r), 2, signed=True, red_negative=False)),
        L.col("Reason", "reason"),
    ]
    total = L.column_sum([{"c": _cost(r)} for r in rows], "c")
    foot = {"Contract": "<b>Total</b>",
            "Estimated cost (USD)": L.num(total, 2, signed=True, red_negative=False)}
    note = ("Estimated cost: half a tick per contract per leg plus commission; roll legs add the "
            "roll cost (positive = a cost).")
    return L.section("orders", "Orders", L.data_table(cols, rows, foot=foot), note)


def proposal_section(doc: Mapping) -> str:
    rb = _proposal(doc)
    cur, prop = L.sub(rb, "current"), L.sub(rb, "proposed")
    names = [c for c in dict.fromkeys(list(cur) + list(prop))
             if fmt.finite(cur.get(c)) or fmt.finite(prop.get(c))]
    if not names:
        return ""
    rows = [{"contract": c, "held": cur.get(c), "proposed": prop.get(c)} for c in names]
    cols: list[L.Column] = [
        ("Contract", "txt", lambda r: L.text(r["contract"])),
        ("Held (contracts)", "num", lambda r: L.num(r["held"], signed=True)),
        ("Proposed (contracts)", "num", lambda r: L.num(r["proposed"], signed=True)),
        ("Trade (contracts)", "num", lambda r: L.num(
            (fmt.finite(r["proposed"]) or 0.0) - (fmt.finite(r["held"]) or 0.0), signed=True)),
    ]
    note = "Per traded contract month after rolls; the order list executes the trade column."
    return L.section("proposal", "Held → proposed book", L.data_table(cols, rows), note)


def _after_parts(doc: Mapping) -> Sequence[str]:
    return [sections.summary(doc, "After the trades: tracking error, margin and leverage"),
            sections.sectors(doc, "After the trades: sector DV01"), sections.key_rates(doc),
            sections.sector_ladders(doc),
            sections.positions(doc, "After the trades: positions by designation"),
            sections.constraints(doc)]


def render(doc: Mapping, generated_at: str) -> str:
    title = doc.get("title") or "Futures overlay rebalance"
    rb = _decision(doc)
    status = L.badge(L.plain(rb.get("status", "")).replace("_", " "), not _acts(rb)) if rb else ""
    meta = [("As of", doc.get("asof")), ("Positions", doc.get("positions_file")),
            ("Portfolio", doc.get("portfolio_name")), ("Mandate", doc.get("mandate_name")),
            ("Generated", generated_at)]
    parts = [L.header(title, meta, status), decision_section(doc), L.notices(doc.get("warnings")),
             held_section(doc), bands_section(doc), rolls_section(doc), orders_section(doc),
             proposal_section(doc), *_after_parts(doc), sections.mandate(doc),
             L.bullet_section("provenance", "Data provenance", doc.get("provenance"))]
    return L.page(title, parts, verb="rebalance", asof=doc.get("asof"))
