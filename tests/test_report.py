"""The HTML report pages (no browser): every verb's page from its result dict, with the numbers a
PM reads recomputed independently from the dict's rows (totals, ratios, drawdowns), escaping,
offline-ness and atomic writes. The browser test (test_report_browser.py) renders REAL outputs.
"""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pytest
from report_docs import backtest_doc, hedge_doc, rebalance_doc, scenarios_doc

from optimizer.reporting import charts, html, page_backtest

DOCS = {"hedge": hedge_doc, "rebalance": rebalance_doc, "scenarios": scenarios_doc,
        "backtest": backtest_doc}
SECTIONS = {
    "hedge": ("warnings", "summary", "constraints", "mandate", "positions", "sectors", "key-rates",
              "sector-key-rates", "scenarios", "attribution", "frontier", "instruments",
              "provenance"),
    "rebalance": ("decision", "warnings", "held", "bands", "rolls", "orders", "proposal",
                  "summary", "sectors", "key-rates", "sector-key-rates", "positions"),
    "scenarios": ("warnings", "hedge", "regression", "scenarios", "approximation", "attribution",
                  "by-sector", "scenario-notes", "key-rates"),
    "backtest": ("warnings", "headline", "strategies", "cumulative", "drawdowns", "margin-use",
                 "calibration", "ctd-switches", "rebalances", "provenance"),
}
CHARTS = {
    "hedge": ("tracking-error", "margin-use", "leverage-use", "sector-dv01", "key-rate-dv01",
              "sector-key-rates-0", "sector-key-rates-1", "scenario-pnl", "pnl-attribution",
              "frontier"),
    "rebalance": ("tolerance-bands", "sector-dv01", "key-rate-dv01"),
    "scenarios": ("scenario-pnl", "pnl-attribution", "key-rate-dv01"),
    "backtest": ("backtest", "drawdown", "margin-by-period", "leverage-by-period"),
}


def _render(doc: dict, **kw) -> str:
    return html.render_report(doc, generated_at="2025-07-01 08:00:00 UTC", **kw)


def _txt(fragment: str) -> str:
    """The visible text of an HTML fragment (tags stripped; hyphenated words are wrapped in
    no-break spans)."""
    return re.sub(r"<[^>]+>", "", fragment)


def _section(page: str, sid: str) -> str:
    s = page[page.index(f'id="{sid}"'):]
    return s[:s.index("</section>")]


def _cells(fragment: str) -> list[str]:
    """Text of every <td> in a fragment (tags stripped)."""
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   fragment, re.S)]


def _foot(fragment: str) -> list[str]:
    """Cells of the first table footer in a fragment."""
    return _cells(fragment.split("<tfoot>")[1].split("</tfoot>")[0])


def _n(text: str) -> float:
    return float(text.replace(",", "").replace("$", "").replace("%", "").replace("+", ""))


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_every_page_renders_its_sections_and_labelled_charts(kind):
    page = _render(DOCS[kind]())
    assert page.startswith("<!DOCTYPE html>") and f'data-report="{kind}"' in page
    for sid in SECTIONS[kind]:
        assert f'id="{sid}"' in page, (kind, sid)
    for name in CHARTS[kind]:
        m = re.search(rf'<svg class="chart ([^"]*)" data-chart="{name}".*?</svg>', page, re.S)
        assert m, (kind, name)
        axes = dict(re.findall(r'class="axis-label unit" data-axis="(x|y)"[^>]*>([^<]+)<',
                               m.group(0)))
        if "gauge" in m.group(1):
            assert "%" in axes["x"], (name, axes)
        else:
            assert set(axes) == {"x", "y"}, (name, axes)
            assert any(re.search(r"\((USD|%|bp|x )[^)]*\)|band half-width", a)
                       for a in axes.values()), (name, axes)
    assert "2025-07-01 08:00:00 UTC" in _txt(page)


def test_kind_follows_command_then_keys():
    assert html.infer_kind({"command": "rebalance"}) == "rebalance"
    assert html.infer_kind({"decision": {"status": "no_trade"}, "bands": []}) == "rebalance"
    assert html.infer_kind({"scenario_results": []}) == "scenarios"
    assert html.infer_kind({"metrics": [], "hedges": []}) == "backtest"
    assert html.infer_kind({"frontier": [{"margin_budget": 1}]}) == "frontier"
    assert html.infer_kind({"positions": [], "frontier": [{}]}) == "hedge"
    with pytest.raises(ValueError, match="unknown report kind"):
        _render({}, kind="nope")


# ----------------------------------------------------------------------------- offline, escaping

@pytest.mark.parametrize("kind", sorted(DOCS))
def test_no_external_url_script_or_resource(kind):
    low = _render(DOCS[kind]()).lower()
    for bad in ("http://", "https://", "ftp://", "//cdn", "url(", "@import", "<script", "<link",
                "<img", "<iframe", " src=", " href=", "xmlns", "@font-face"):
        assert bad not in low, (kind, bad)


MALICIOUS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>&'


def test_all_user_text_is_escaped():
    doc = hedge_doc()
    doc["title"] = doc["portfolio_name"] = doc["asof"] = MALICIOUS
    doc["positions"][0]["contract"] = doc["sectors"][0]["sector"] = MALICIOUS
    doc["key_rates"][0]["tenor"] = doc["scenarios"][0]["scenario"] = MALICIOUS
    doc["frontier"][1]["status"] = doc["solver"]["name"] = MALICIOUS
    doc["mandate"][MALICIOUS] = MALICIOUS
    doc["warnings"].append({"code": "x", "subject": MALICIOUS, "message": MALICIOUS})
    doc["provenance"].append(MALICIOUS)
    page = _render(doc)
    low = page.lower()
    assert "<script" not in low and "<img" not in low
    assert page.count("&lt;script&gt;") >= 12
    assert 'data-series="Holdings"' in page  # attribute values intact
    bt = backtest_doc()
    bt["cumulative_pnl"][MALICIOUS] = [["2025-01-02", 1.0], ["2025-01-03", 2.0]]
    bt["metrics"][0]["label"] = MALICIOUS
    page = _render(bt)
    assert "<script" not in page.lower()
    assert 'data-series="&lt;script&gt;alert(&quot;x&quot;)' in page


# ----------------------------------------------------------------------------- hedge page

def test_hedge_sections_absent_without_their_data():
    for key, sid in (("constraints", "constraints"), ("mandate", "mandate"),
                     ("scenarios", "scenarios"), ("frontier", "frontier"),
                     ("provenance", "provenance"), ("warnings", "warnings"),
                     ("key_rates", "key-rates"), ("positions", "positions")):
        for empty in (None, [], {}):
            d = hedge_doc()
            d[key] = empty
            if key == "positions":
                d["contracts"] = {}
            assert f'id="{sid}"' not in _render(d), (key, empty)
    d = hedge_doc()
    for s in d["sectors"]:
        del s["key_rates"]
    assert 'id="sector-key-rates"' not in _render(d)
    page = _render({})
    assert html.DEFAULT_TITLE in page and "<section" not in page and "<svg" not in page


def test_objective_has_its_unit_and_root():
    page = _render(hedge_doc())
    status = page[page.index('<p class="status">'):]
    status = status[:status.index("</p>")]
    assert f"{1_284_113.52 ** 2:,.0f} USD²/yr" in status  # TE² in USD²/yr
    assert "√ = $1,284,114/yr" in status


def test_effectiveness_caption_matches_the_numbers():
    """The caption names the hedged item, and every effectiveness shown is -hedge / hedged item
    of its row (not hedge / holdings)."""
    doc = hedge_doc()
    sec = _section(_render(doc), "scenarios")
    assert "hedge P&amp;L ÷ hedged-item P&amp;L" in sec
    rows = re.findall(r"<tr>(.*?)</tr>", sec.split("<tbody>")[1], re.S)
    assert len(rows) == len(doc["scenarios"])
    for tr, r in zip(rows, doc["scenarios"], strict=True):
        cells = _cells(tr)
        hold, item, hedge, net, eff = (_n(c) for c in cells[1:6])
        assert hold == pytest.approx(r["holdings_pnl"], abs=0.5)
        assert eff == pytest.approx(-hedge / item * 100, abs=0.06)
        assert net == pytest.approx(hold + hedge, abs=1.0)
        if hedge and r["hedged_item_pnl"] != r["holdings_pnl"]:
            assert abs(eff - (-hedge / hold * 100)) > 1  # the other ratio would differ
    assert '<span class="ok" title="dollar-offset band 80%–125%">101.1%</span>' in sec
    assert '<span class="flag" title="dollar-offset band 80%–125%">0.0%</span>' in sec


def test_sector_and_position_totals_recomputed_from_rows():
    doc = hedge_doc()
    page = _render(doc)
    foot = _foot(_section(page, "sectors"))
    assert _n(foot[1]) == sum(s["market_value"] for s in doc["sectors"])
    assert _n(foot[4]) == pytest.approx(sum(s["dv01_before"] for s in doc["sectors"]), abs=0.5)
    after = sum(s["dv01_after"] for s in doc["sectors"])
    target = sum(s["dv01_target"] for s in doc["sectors"])
    assert _n(foot[-1]) == pytest.approx(after - target, abs=1.0)
    foot = _foot(_section(page, "positions"))
    assert _n(foot[-1]) == pytest.approx(sum(p["initial_margin"] for p in doc["positions"]),
                                         abs=0.5)
    doc["sectors"][1]["dv01_after"] = None  # a partial sum would mislead: shown as a dash
    foot = _cells(_section(_render(doc), "sectors").split("<tfoot>")[1])
    assert foot[-1] == "—" and foot[-2] == "—"


def test_sector_key_rate_ladders_sum_to_their_rows():
    doc = hedge_doc()
    sec = _section(_render(doc), "sector-key-rates")
    assert sec.count("<table") == 1 and sec.count('data-chart="sector-key-rates-') == 2
    foot = _foot(sec)
    expect = [sum(k[c] for k in s["key_rates"]) for s in doc["sectors"]
              for c in ("dv01_before", "dv01_after")]
    assert [_n(c) for c in foot[1:]] == expect
    rows = re.findall(r"<tr>(.*?)</tr>", sec.split("<tbody>")[1].split("</tbody>")[0], re.S)
    for tr, t in zip(rows, [k["tenor"] for k in doc["key_rates"]], strict=True):
        cells = _cells(tr)
        assert cells[0] == t
        assert _n(cells[3]) == next(k["dv01_before"] for k in doc["sectors"][1]["key_rates"]
                                    if k["tenor"] == t)
    many = hedge_doc()
    many["sectors"] = [dict(doc["sectors"][0], sector=f"S{i}") for i in range(6)]
    assert _section(_render(many), "sector-key-rates").count("<table") == 2  # 4 + 2 sectors


def test_instrument_key_rate_profiles():
    doc = hedge_doc()
    sec = _section(_render(doc), "instruments")
    assert "Key-rate DV01 per contract (USD per bp)" in sec and "CF 0.9003" in sec
    grid = sec[sec.index("Key-rate DV01 per contract"):]
    rows = re.findall(r"<tr>(.*?)</tr>", grid.split("<tbody>")[1], re.S)
    for tr, ins in zip(rows, doc["instruments"], strict=True):
        cells = _cells(tr)
        assert cells[0] == ins["contract"]
        assert [_n(c) for c in cells[1:]] == list(ins["key_rate_dv01"].values())


def test_frontier_marks_the_chosen_point():
    page = _render(hedge_doc())
    sec = _section(page, "frontier")
    assert "◀ chosen" in sec and 'class="chosen-ring"' in sec
    assert "chosen hedge: TE 1.28M/yr" in sec and "mandate budget" in sec
    assert "1 budget(s) infeasible" in sec


def test_futures_prices_in_their_quote_style():
    sec = _section(_render(hedge_doc()), "positions")
    assert "110-16+" in sec            # ZNU5 110.515625: half-32nds contract
    assert "108-06+" in sec            # ZFU5 108.203125: quarter-32nds contract, on a half
    # SSF10 quotes in half 32nds (data/contracts/swap_futures.csv): 100.1634 = 100 + 5.23/32
    assert "100-05" in sec and "100.1634" in sec


def test_numbers_separators_negatives_red_missing():
    page = _render(hedge_doc())
    assert '<span class="neg">-1,187</span>' in page
    assert "698,589,000" in page
    doc = hedge_doc()
    doc["positions"][0]["contracts"] = np.int64(-5)
    doc["positions"][0]["dv01"] = np.float64("nan")
    doc["key_rates"][1]["dv01_after"] = float("nan")
    page = _render(doc)
    assert '<span class="neg">-5</span>' in page
    assert not re.search(r"\bnan\b", page, re.I)


# ----------------------------------------------------------------------------- warnings

def test_warnings_render_once_as_sentences():
    page = _render(hedge_doc())
    sec = _section(page, "warnings")
    items = re.findall(r"<li[^>]*>(.*?)</li>", sec, re.S)
    assert len(items) == 3  # the two swap-proxy notices about two contracts are one line
    assert "Warnings (2) and notes (1)" in sec and 'role="alert"' in sec
    assert "<b>SSF5U5, SSF10U5</b>: Swap rates" in sec
    assert "{" not in sec and "'5Y'" not in sec  # no raw Python dict
    assert "5Y -25, 10Y -45" in _txt(sec)
    assert all(re.sub(r"<[^>]+>", "", i).strip().endswith((".", ")")) for i in items)
    assert page.index('id="warnings"') < page.index('id="summary"')
    legacy = _render({"warnings": ["SSF5U5: proxy curve", "SSF10U5: proxy curve", "plain"]})
    assert legacy.count("<li") == 2 and "SSF5U5, SSF10U5" in legacy


# ----------------------------------------------------------------------------- rebalance page

def test_rebalance_decision_orders_and_bands():
    doc = rebalance_doc()
    page = _render(doc)
    assert page.index('id="decision"') < page.index('id="warnings"') < page.index('id="held"')
    assert "outside band: Treasury +14,952" in _section(page, "decision")
    orders = _section(page, "orders")
    foot = _foot(orders)
    assert _n(foot[4]) == pytest.approx(sum(o["est_cost_usd"] for o in doc["orders"]),
                                        abs=0.01)
    assert "110-16+" in orders
    bands = _section(page, "bands")
    assert "OUTSIDE" in bands and bands.count(">inside<") == 3  # Corporate now + both after
    held = _section(page, "held")
    assert "—" in _foot(held)[-1]  # one P&L missing: no partial total


def test_rebalance_without_orders_keeps_the_section_and_says_why():
    page = _render(rebalance_doc(with_orders=False))
    sec = _section(page, "orders")
    assert "No orders." in sec and "inside band: every sector within its tolerance" in sec
    assert "No position is inside its roll window (5 business days" in _section(page, "rolls")
    assert 'class="badge ok"' in page and ">No trade<" in page
    assert 'class="section decision"' in page  # not styled as a call to act


# ----------------------------------------------------------------------------- scenarios page

def test_scenarios_regression_slope_coloured_by_band_not_sign():
    page = _render(scenarios_doc())
    sec = _section(page, "regression")
    assert '<span class="ok" title="effective slope -1.25..-0.80">-1.017</span>' in sec
    assert '<span class="flag" title="effective slope -1.25..-0.80">-0.600</span>' in sec
    assert 'class="neg">-1.017' not in page


def test_scenarios_attribution_and_sector_split_add_up():
    doc = scenarios_doc()
    page = _render(doc)
    att = re.findall(r"<tr>(.*?)</tr>", _section(page, "attribution").split("<tbody>")[1], re.S)
    for tr, r in zip(att, doc["scenario_results"], strict=True):
        curve, spread, basis, total, net = (_n(c) for c in _cells(tr)[1:6])
        assert total == pytest.approx(curve + spread + basis, abs=1.5)
        assert net == pytest.approx(r["net_pnl"], abs=0.5)
    sec = re.findall(r"<tr>(.*?)</tr>", _section(page, "by-sector").split("<tbody>")[1], re.S)
    for tr in sec:
        tsy, corp, total = (_n(c) for c in _cells(tr)[1:4])
        assert tsy + corp == pytest.approx(total, abs=1.5)
    assert "ZNU5 (91282CNF4 → 91282CMT5)" in _section(page, "scenarios")


# ----------------------------------------------------------------------------- backtest page

def test_backtest_table_is_transposed_with_percent_units():
    doc = backtest_doc()
    page = _render(doc)
    sec = _section(page, "strategies")
    head = re.findall(r"<th [^>]*scope=\"col\">(.*?)</th>", sec)
    assert len(head) == 1 + len(doc["metrics"])  # measures down, strategies across
    row = re.search(r"Variance reduction vs unhedged</th>(.*?)</tr>", sec, re.S).group(1)
    assert _cells(row) == ["0.0%", "94.0%", "99.9%", "99.3%", "99.3%", "99.3%"]
    slope = re.search(r"Regression slope, hedge on hedged item</th>(.*?)</tr>", sec, re.S).group(1)
    assert 'class="neg"' not in slope
    assert slope.count('class="ok"') == 3 and slope.count('class="flag"') == 2  # -1.3 outside
    assert "Other measures" in sec and "Roll cost (USD)" in sec
    ratio = re.search(r"Realized TE ÷ integer optimum</th>(.*?)</tr>", sec, re.S).group(1)
    assert _n(_cells(ratio)[0]) == pytest.approx(35.9 / 3.03, abs=0.001)
    lev = re.search(r"Peak gross leverage \(x market value\)</th>(.*?)</tr>", sec, re.S).group(1)
    assert _cells(lev)[1] == "0.61x"


def test_backtest_drawdowns_match_an_independent_computation():
    """Without a drawdown series the page derives it from the cumulative P&L: the fall from the
    running peak, the peak starting at zero (as the backtest's max_drawdown_usd)."""
    doc = backtest_doc()
    stats = page_backtest.drawdown_stats(doc)
    for key, pts in doc["cumulative_pnl"].items():
        cum = np.array([v for _, v in pts])
        dd = cum - np.maximum.accumulate(np.maximum(cum, 0.0))
        label = doc["strategy_labels"][key]
        assert stats[label][0] == pytest.approx(min(dd.min(), 0.0))
        if dd.min() < 0:
            assert stats[label][1] == pts[int(dd.argmin())][0]
    given = {k: [[d, -1.0 if i == 3 else 0.0] for i, (d, _) in enumerate(v)]
             for k, v in doc["cumulative_pnl"].items()}
    stats = page_backtest.drawdown_stats({**doc, "drawdown": given})
    assert stats["Unhedged"] == (-1.0, doc["cumulative_pnl"]["unhedged"][3][0])
    sec = _section(_render(doc), "strategies")
    row = re.search(r"Maximum drawdown, peak to trough \(USD\)</th>(.*?)</tr>", sec, re.S)
    assert [_n(c) for c in _cells(row.group(1))] == [m["max_drawdown_usd"]
                                                     for m in doc["metrics"]]


def test_backtest_failed_dates_ctd_switches_margin_and_calibration():
    page = _render(backtest_doc())
    sec = _txt(_section(page, "rebalances"))
    assert "3 rebalance dates, 1 failed (their holding periods are excluded" in sec
    assert "InfeasibleMandate: margin budget too small" in sec
    assert "912810UL0" in _section(page, "ctd-switches")
    margin = _section(page, "margin-use")
    assert 'data-chart="margin-by-period"' in margin and 'data-chart="leverage-by-period"' in margin
    # each period's margin is held from its date to the next: a step, two points a period
    pts = re.search(r'data-chart="margin-by-period".*?points="([^"]*)"', margin, re.S).group(1)
    assert len(pts.split()) == 4
    cal = _section(page, "calibration")
    assert '<span class="ok" title="calibrated 0.80..1.25">1.100</span>' in cal
    no_switch = backtest_doc()
    no_switch["ctd_switches"] = []
    assert "No contract held again changed" in _txt(_render(no_switch))


def test_older_backtest_series_keyed_by_label_still_renders():
    bt = backtest_doc()
    labels = bt.pop("strategy_labels")
    series = {labels[k]: v for k, v in bt.pop("cumulative_pnl").items()}
    page = _render({"backtest": {"series": series, "metrics": bt["metrics"]}})
    assert 'data-chart="backtest"' in page and 'id="strategies"' in page
    assert page.count("<polyline") >= 2 * len(series)  # cumulative and drawdown lines


# ----------------------------------------------------------------------------- charts

_NUM_ATTR = re.compile(r'\b(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"')


def _finite_coords(svg: str) -> list[float]:
    vals = [float(v) for v in _NUM_ATTR.findall(svg)]
    assert all(math.isfinite(v) for v in vals)
    assert not re.search(r"\b(nan|inf)\b", svg, re.I)
    return vals


def _bars(svg: str) -> list[dict]:
    out = []
    for m in re.finditer(r'<rect class="bar" ([^>]*)>', svg):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        out.append({k: (float(v) if k in ("x", "y", "width", "height", "data-value") else v)
                    for k, v in attrs.items()})
    return out


def _zero_y(svg: str) -> float:
    return float(re.search(r'<line class="zero" x1="[^"]*" x2="[^"]*" y1="([^"]*)"', svg).group(1))


def test_nice_ticks():
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    t = charts.nice_ticks(-173_000, 0)
    assert t[0] <= -173_000 and t[-1] == 0
    assert charts.nice_ticks(0, 0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert all(math.isfinite(v) for v in charts.nice_ticks(float("nan"), 3))


def test_grouped_bars_from_the_zero_line():
    svg = charts.grouped_bar_chart("neg", "All negative", ["2Y", "5Y", "10Y"],
                                   [("After", [-10_000, -52_800, -250])], y_label="DV01 (USD)")
    _finite_coords(svg)
    y0 = _zero_y(svg)
    assert all(b["y"] == pytest.approx(y0, abs=0.11) and b["height"] > 0 for b in _bars(svg))
    svg = charts.grouped_bar_chart("m", "Mixed", ["a", "b"], [("s", [100, -50])])
    up, down = _bars(svg)
    assert up["y"] + up["height"] == pytest.approx(_zero_y(svg), abs=0.11)
    assert up["height"] == pytest.approx(2 * down["height"], rel=0.01)
    svg = charts.grouped_bar_chart("z", "Zeros", ["A", "B"], [("s", [0, 0]), ("t", [None, 0.0])])
    assert len(_bars(svg)) == 3 and all(b["height"] == 0 for b in _bars(svg))


def test_diverging_bars_symmetric_and_one_sided():
    svg = charts.diverging_hbar_chart("d", "D", ["up", "down"], [("s", [100, -25])], width=600)
    bars = _bars(svg)
    zx = float(re.search(r'<line class="zero" x1="([^"]*)"', svg).group(1))
    assert bars[0]["x"] == pytest.approx(zx, abs=0.11)
    assert bars[0]["width"] == pytest.approx(4 * bars[1]["width"], rel=0.01)
    svg = charts.diverging_hbar_chart("n", "N", ["a", "b"], [("s", [-7, -3])], symmetric=False)
    zx = float(re.search(r'<line class="zero" x1="([^"]*)"', svg).group(1))
    assert all(b["x"] + b["width"] == pytest.approx(zx, abs=0.11) for b in _bars(svg))


def test_line_chart_single_point_empty_and_dates():
    svg = charts.line_chart("one", "One", [("s", [(5_000_000, 1_200_000)])])
    _finite_coords(svg)
    assert svg.count('<circle class="marker"') == 1 and "<polyline" not in svg
    _finite_coords(charts.line_chart("e", "Empty", [("s", [])]))
    svg = charts.line_chart("d", "D", [("s", [("2025-01-02", -1e6), ("2025-03-03", -2e6)])],
                            dates=True, markers=False)
    assert "2025-02" in svg and "<polyline" in svg


def test_usage_bar_colours_scale_and_no_limit():
    assert "#2e9e6a" in charts.usage_bar("g", "G", 10, 100)
    assert "#e0a030" in charts.usage_bar("g", "G", 90, 100)
    over = charts.usage_bar("g", "G", 150, 100)
    assert "#c2412d" in over and "150.0% of limit" in over and ">150%<" in over
    assert "no limit set" in charts.usage_bar("g", "G", 150, None)
    _finite_coords(charts.usage_bar("g", "G", None, 0))


def test_placed_labels_never_cover_the_reference_line_or_each_other():
    """Frontier-like data with the budget line through the middle: every value label, the
    reference caption and the chosen caption sit clear of the line and of each other."""
    rng = np.random.default_rng(3)
    for _ in range(40):
        xs = np.sort(rng.uniform(1e6, 2e7, rng.integers(2, 13)))
        ys = np.sort(rng.uniform(1e5, 5e6, len(xs)))[::-1]
        k = int(rng.integers(0, len(xs)))
        svg = charts.line_chart("f", "F", [("TE", list(zip(xs, ys, strict=True)))],
                                point_labels=True, x_marker=(xs[k], "mandate budget"),
                                highlight=(xs[k], ys[k], "chosen hedge: TE 3.7M/yr"))
        line = re.search(r'<line class="ref" x1="([^"]*)"', svg)
        lx = float(line.group(1))
        boxes = []
        for m in re.finditer(r'<text class="(point-label|ref-label|chosen-label)" x="([^"]*)" '
                             r'y="([^"]*)" text-anchor="(\w+)">([^<]*)<', svg):
            cls, x, y, anchor, text = m.groups()
            box = charts.text_box(float(x), float(y), text, anchor,
                                  10 if cls != "chosen-label" else charts.FONT)
            if cls != "ref-label":
                assert not box[0] - 1 < lx < box[2] + 1, (text, box, lx)
            assert all(not charts._overlap(box, b) for b in boxes), text
            boxes.append(box)


# ----------------------------------------------------------------------------- atomic write

def test_write_report_atomic(tmp_path):
    path = tmp_path / "out" / "report.html"
    assert html.write_report(hedge_doc(), path, generated_at="x") == path
    assert path.read_text(encoding="utf-8") == html.render_report(hedge_doc(), generated_at="x")


def test_failed_render_leaves_no_file(tmp_path):
    path = tmp_path / "report.html"
    with pytest.raises(TypeError, match="must be a dict"):
        html.write_report(["not", "a", "dict"], path)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file_and_no_partial(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("OLD", encoding="utf-8")
    import optimizer.reporting.output as output

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        html.write_report(hedge_doc(), path)
    assert path.read_text(encoding="utf-8") == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_input_document_not_mutated():
    doc = hedge_doc()
    before = copy.deepcopy(doc)
    _render(doc)
    assert doc == before


# ----------------------------------------------------------------------------- robustness

def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    yield path


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_any_value_missing_or_odd_never_breaks_a_page(kind):
    """A result with any one value missing, NaN, text, empty or huge still renders: no
    exception, no 'nan'/'inf' text, no non-finite SVG coordinate."""
    import random

    rng = random.Random(11)
    base = DOCS[kind]()
    paths = [p for p in _leaves(base) if p]
    for path in rng.sample(paths, min(300, len(paths))):
        doc = copy.deepcopy(base)
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = rng.choice([None, float("nan"), float("inf"), "n/a", [], {}, -1e15, 0])
        page = _render(doc, kind=kind)
        text = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"\b(nan|inf|None)\b", text), (path, node[path[-1]])
        for svg in re.findall(r"<svg.*?</svg>", page, re.S):
            _finite_coords(svg)
