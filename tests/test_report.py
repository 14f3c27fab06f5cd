"""Unit tests of the self-contained HTML report (no browser)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
import re

import pytest

from optimizer.reporting import charts
from optimizer.reporting import html as report


def full_sample_doc() -> dict:
    """A realistic hedge document with every section: the SPEC §10 14-bond sector portfolio
    (Treasury $262.3M / DV01 $172,096; corporate $436.2M / DV01 $235,138) hedged to half its DV01
    with 10-year T-note futures (Treasury sector) and 10-year swap futures (corporate sector)."""
    positions = [
        {"instrument": "10-Year T-Note", "contract": "ZNU5", "sector": "Treasury",
         "contracts": -1187, "contract_dv01": 72.50, "dv01": -1187 * 72.50,
         "notional": 1187 * 100_000 * 110.5 / 100, "initial_margin": 1187 * 2_300.0},
        {"instrument": "10-Year Swap Future", "contract": "N1UU5", "sector": "Corporate",
         "contracts": -1527, "contract_dv01": 77.00, "dv01": -1527 * 77.0,
         "notional": 1527 * 100_000 * 105.8 / 100, "initial_margin": 1527 * 1_650.0},
        {"instrument": "5-Year T-Note", "contract": "ZFU5", "sector": "Corporate",
         "contracts": 12, "contract_dv01": 43.10, "dv01": 12 * 43.10,
         "notional": 12 * 100_000 * 108.2 / 100, "initial_margin": 12 * 1_400.0},
    ]
    sectors = [
        {"sector": "Treasury", "market_value": 262_341_000, "dv01_before": 172_096,
         "dv01_target": 86_048, "dv01_after": 172_096 - 1187 * 72.50, "beta": 1.0},
        {"sector": "Corporate", "market_value": 436_248_000, "dv01_before": 235_138,
         "dv01_target": 117_569, "dv01_after": 235_138 - 1527 * 77.0 + 12 * 43.1, "beta": 0.93},
    ]
    kr_before = {"2Y": 21_400, "3Y": 30_950, "5Y": 74_300, "7Y": 88_120, "10Y": 112_640,
                 "20Y": 46_310, "30Y": 33_557}
    kr_hedge = {"2Y": -1_900, "3Y": -6_300, "5Y": -52_800, "7Y": -88_400, "10Y": -48_300,
                "20Y": -5_200, "30Y": -1_383}
    key_rates = [{"tenor": t, "dv01_before": kr_before[t], "dv01_after": kr_before[t] + kr_hedge[t]}
                 for t in kr_before]
    start = dt.date(2025, 1, 2)
    days = [start + dt.timedelta(days=i) for i in range(0, 180) if (start + dt.timedelta(days=i))
            .weekday() < 5]
    rng = random.Random(7)
    shocks = [rng.gauss(0.0, 1.0) for _ in days]  # one common rate shock per day
    series = {}
    for name, beta, noise in (("Unhedged", 1.0, 0.05), ("Naive ZN DV01 hedge", 0.5, 0.25),
                              ("Continuous optimum", 0.5, 0.08), ("Integer optimum", 0.5, 0.09)):
        cum, pts = 0.0, []
        for z in shocks:
            cum += 400_000 * (beta * z + noise * rng.gauss(0.0, 1.0))
            pts.append(round(cum, 2))
        series[name] = [[d.isoformat(), v] for d, v in zip(days, pts, strict=True)]
    return {
        "title": "Sector hedge — CBOT 14-bond portfolio",
        "asof": "2025-06-30",
        "status": "optimal",
        "objective": 1_284_113.52,
        "portfolio": {"name": "CBOT 14-bond sector sample", "market_value": 698_589_000,
                      "dv01_before": 407_234, "dv01_after": 203_577.2,
                      "duration_before": 5.83, "duration_after": 2.91},
        "solver": {"name": "SCIP", "status": "optimal", "gap": 0.0, "seconds": 0.42},
        "mandate": {"target": "50% of current DV01 per sector (± 2%)",
                    "designations": "Treasury -> {ZN, ZF}; Corporate -> {swap futures, ZF}",
                    "gross leverage": "<= 1.50 x portfolio market value",
                    "initial margin budget": "$6,000,000", "never net short duration": "on",
                    "max instruments": "3"},
        "positions": positions,
        "sectors": sectors,
        "key_rates": key_rates,
        "tracking_error": {"before_usd": 8_412_550.0, "after_usd": 1_284_113.52,
                           "after_bp": 18.38, "before_bp": 120.42,
                           "continuous_after_usd": 1_281_940.0, "rounded_after_usd": 1_290_871.0},
        "margin": {"initial": 1187 * 2_300.0 + 1527 * 1_650.0 + 12 * 1_400.0,
                   "budget": 6_000_000.0},
        "leverage": {"gross_notional": 1187 * 110_500 + 1527 * 105_800 + 12 * 108_200,
                     "ratio": (1187 * 110_500 + 1527 * 105_800 + 12 * 108_200) / 698_589_000,
                     "limit": 1.5},
        "scenarios": [
            {"scenario": "Parallel +100 bp", "holdings_pnl": -39_870_000,
             "hedge_pnl": 20_150_000, "net_pnl": -19_720_000, "effectiveness": -0.505},
            {"scenario": "Parallel -100 bp", "holdings_pnl": 41_720_000,
             "hedge_pnl": -20_420_000, "net_pnl": 21_300_000, "effectiveness": -0.489},
            {"scenario": "Treasuries +20 bp, corporates and swaps +60 bp (SPEC §10)",
             "holdings_pnl": -17_550_200, "hedge_pnl": 8_775_890, "net_pnl": -8_774_310,
             "effectiveness": -0.5},
            {"scenario": "2s10s steepener +25 bp", "holdings_pnl": -2_180_400,
             "hedge_pnl": 2_450_100, "net_pnl": 269_700, "effectiveness": -1.124},
            {"scenario": "Corporate spreads +50 bp", "holdings_pnl": -11_756_900,
             "hedge_pnl": 0.0, "net_pnl": -11_756_900, "effectiveness": 0.0},
            {"scenario": "2020-03 COVID rally (replay)", "holdings_pnl": 18_420_000,
             "hedge_pnl": -9_630_000, "net_pnl": 8_790_000, "effectiveness": -0.523},
        ],
        "frontier": [
            {"margin_budget": 1_000_000, "tracking_error_usd": None, "status": "infeasible"},
            {"margin_budget": 2_000_000, "tracking_error_usd": 4_910_000, "status": "optimal"},
            {"margin_budget": 3_000_000, "tracking_error_usd": 2_870_000, "status": "optimal"},
            {"margin_budget": 4_000_000, "tracking_error_usd": 1_760_000, "status": "optimal"},
            {"margin_budget": 5_000_000, "tracking_error_usd": 1_330_000, "status": "optimal"},
            {"margin_budget": 6_000_000, "tracking_error_usd": 1_284_113, "status": "optimal"},
            {"margin_budget": 8_000_000, "tracking_error_usd": 1_284_113, "status": "optimal"},
        ],
        "backtest": {
            "series": series,
            "metrics": [
                {"strategy": "Unhedged", "realized_te_usd": 6_512_000, "te_reduction": 0.0,
                 "max_drawdown_usd": -3_200_000, "trades": 0},
                {"strategy": "Naive ZN DV01 hedge", "realized_te_usd": 2_410_000,
                 "te_reduction": 0.63, "max_drawdown_usd": -1_250_000, "trades": 8},
                {"strategy": "Continuous optimum", "realized_te_usd": 1_530_000,
                 "te_reduction": 0.765, "max_drawdown_usd": -780_000, "trades": 26},
                {"strategy": "Integer optimum", "realized_te_usd": 1_552_000,
                 "te_reduction": 0.762, "max_drawdown_usd": -795_000, "trades": 24},
            ],
        },
        "orders": [
            {"contract": "ZNU5", "side": "SELL", "quantity": 1187, "price": 110.515625,
             "estimated_cost": 18_547.0, "reason": "roll from ZNM5 (calendar spread)"},
            {"contract": "N1UU5", "side": "SELL", "quantity": 27, "price": 105.8,
             "estimated_cost": 843.75, "reason": "drift: corporate DV01 12% above target"},
            {"contract": "ZFU5", "side": "BUY", "quantity": 12, "price": 108.203125,
             "estimated_cost": 187.5, "reason": "key-rate 5Y band"},
        ],
        "provenance": [
            "Treasury par yield curve: U.S. Department of the Treasury, "
            "https://home.treasury.gov (public domain), 1990-01-02..2025-06-30",
            "Betas: statsmodels OLS with HAC errors, window 2023-06-30..2025-06-30 (500 obs)",
            "Initial margins: CME, valid 2025-06-02 (data/contracts)",
        ],
        "warnings": [
            "Swap rates from Treasury par + 35 bp stated swap spread (no swap curve supplied)",
            "ZN deliverable basket unavailable for ZNU5: notional CTD fallback used",
        ],
    }


def _render(doc: dict) -> str:
    return report.render_report(doc, generated_at="2025-07-01 08:00:00 UTC")


def test_full_report_renders_every_section_and_chart():
    html = _render(full_sample_doc())
    for sid in ("warnings", "summary", "mandate", "positions", "sectors", "key-rates",
                "scenarios", "frontier", "backtest", "orders", "provenance"):
        assert f'id="{sid}"' in html, sid
    for chart in ("sector-dv01", "key-rate-dv01", "tracking-error", "margin-use", "leverage-use",
                  "scenario-pnl", "frontier", "backtest"):
        m = re.search(rf'<svg class="chart[^"]*" data-chart="{chart}"[^>]*>\s*<title>[^<]+</title>',
                      html)
        assert m, chart
    assert html.startswith("<!DOCTYPE html>")
    assert "SCIP" in html and "2025-06-30" in html and "CBOT 14-bond sector sample" in html
    assert "2025-07-01 08:00:00 UTC" in html


# ----------------------------------------------------------------------------- offline & escaping

def test_no_external_url_script_or_resource():
    html = _render(full_sample_doc())
    low = html.lower()
    for bad in ("http://", "https://", "ftp://", "//cdn", "url(", "@import", "<script", "<link",
                "<img", "<iframe", " src=", " href=", "xmlns", "@font-face"):
        assert bad not in low, bad
    # The provenance URL is still shown, as plain text without its scheme.
    assert "home.treasury.gov" in html


MALICIOUS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>&'


def test_all_user_text_is_escaped():
    doc = full_sample_doc()
    doc["title"] = MALICIOUS
    doc["portfolio"]["name"] = MALICIOUS
    doc["positions"][0]["instrument"] = MALICIOUS
    doc["positions"][0]["contract"] = MALICIOUS
    doc["sectors"][0]["sector"] = MALICIOUS
    doc["key_rates"][0]["tenor"] = MALICIOUS
    doc["scenarios"][0]["scenario"] = MALICIOUS
    doc["frontier"][1]["status"] = MALICIOUS
    doc["backtest"]["series"][MALICIOUS] = [["2025-01-02", 1.0], ["2025-01-03", 2.0]]
    doc["backtest"]["metrics"][0]["strategy"] = MALICIOUS
    doc["orders"][0]["reason"] = MALICIOUS
    doc["mandate"][MALICIOUS] = MALICIOUS
    doc["warnings"].append(MALICIOUS)
    doc["provenance"].append(MALICIOUS)
    doc["solver"]["name"] = MALICIOUS
    doc["asof"] = MALICIOUS
    html = _render(doc)
    low = html.lower()
    assert "<script" not in low and "<img" not in low
    assert "&lt;script&gt;" in html
    assert html.count("&lt;script&gt;") >= 14
    # attribute values cannot be broken out of
    assert 'data-series="&lt;script&gt;alert(&quot;x&quot;)' in html


# ----------------------------------------------------------------------------- sections

SECTION_KEYS = {
    "warnings": "warnings", "mandate": "mandate", "positions": "positions",
    "sectors": "sectors", "key_rates": "key-rates", "scenarios": "scenarios",
    "frontier": "frontier", "backtest": "backtest", "orders": "orders",
    "provenance": "provenance",
}


@pytest.mark.parametrize("key", sorted(SECTION_KEYS))
def test_section_absent_without_its_data(key):
    doc = full_sample_doc()
    html_with = _render(doc)
    assert f'id="{SECTION_KEYS[key]}"' in html_with
    for empty in (None, [], {}):
        d = copy.deepcopy(doc)
        d[key] = empty
        assert f'id="{SECTION_KEYS[key]}"' not in _render(d)
    d = copy.deepcopy(doc)
    del d[key]
    assert f'id="{SECTION_KEYS[key]}"' not in _render(d)


def test_empty_doc_renders_header_only():
    html = _render({})
    assert report.DEFAULT_TITLE in html
    assert "<section" not in html and "<svg" not in html


def test_minimal_spec9_doc_without_optional_keys():
    doc = {k: v for k, v in full_sample_doc().items()
           if k not in ("title", "mandate", "scenarios", "frontier", "backtest", "orders",
                        "provenance")}
    html = _render(doc)
    for chart in ("sector-dv01", "key-rate-dv01", "tracking-error", "margin-use", "leverage-use"):
        assert f'data-chart="{chart}"' in html
    for chart in ("scenario-pnl", "frontier", "backtest"):
        assert f'data-chart="{chart}"' not in html


def test_every_warning_shown_highlighted():
    doc = full_sample_doc()
    doc["warnings"] = [f"warning number {i}" for i in range(7)]
    html = _render(doc)
    sec = html[html.index('id="warnings"'):]
    sec = sec[:sec.index("</section>")]
    assert "Warnings (7)" in sec and 'role="alert"' in html
    for i in range(7):
        assert f"<li>warning number {i}</li>" in sec
    # warnings come right after the header, before any data section
    assert html.index('id="warnings"') < html.index('id="summary"')


def test_numbers_thousands_separators_negatives_red_and_missing():
    assert report.fmt_num(1234567.891) == "1,234,568"
    assert report.fmt_num(-1234.5, 1) == '<span class="neg">-1,234.5</span>'
    assert report.fmt_num(-0.0001) == "0"  # no "-0"
    assert "—" in report.fmt_num(None) and "—" in report.fmt_num(float("nan"))
    html = _render(full_sample_doc())
    assert '<span class="neg">-1,187</span>' in html          # short ZN contracts
    assert "698,589,000" in html
    assert '<span class="neg">-39,870,000</span>' in html


def test_numpy_and_nan_inputs():
    np = pytest.importorskip("numpy")
    doc = full_sample_doc()
    doc["positions"][0]["contracts"] = np.int64(-5)
    doc["positions"][0]["dv01"] = np.float64("nan")
    doc["key_rates"][1]["dv01_after"] = float("nan")
    html = _render(doc)
    assert '<span class="neg">-5</span>' in html
    assert not re.search(r"\bnan\b", html, re.I)  # no "nan" leaks into text or SVG


def test_treasury_futures_prices_in_32nds():
    html = _render(full_sample_doc())
    assert "110-16+" in html  # ZNU5 110.515625
    assert "108-06+" in html  # ZFU5 108.203125 (quarter-32nds contract, on a half)
    assert "105.80" in html   # swap future: decimal only


def test_effectiveness_band_flag():
    html = _render(full_sample_doc())
    assert '<span class="ok" title="band 80%–125%">-112.4%</span>' in html
    assert '<span class="flag" title="band 80%–125%">-50.5%</span>' in html


def test_render_rejects_non_dict():
    with pytest.raises(TypeError, match="must be a dict"):
        report.render_report([1, 2])


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
    m = re.search(r'<line class="zero" x1="[^"]*" x2="[^"]*" y1="([^"]*)"', svg)
    return float(m.group(1))


def test_nice_ticks():
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    t = charts.nice_ticks(-173_000, 0)
    assert t[0] <= -173_000 and t[-1] == 0
    assert charts.nice_ticks(0, 0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    t = charts.nice_ticks(5, 5)
    assert t[0] <= 5 <= t[-1] and t[0] < t[-1]
    assert all(math.isfinite(v) for v in charts.nice_ticks(float("nan"), 3))


def test_grouped_bars_all_negative_hang_below_zero_line():
    svg = charts.grouped_bar_chart("neg", "All negative", ["2Y", "5Y", "10Y"],
                                   [("After", [-10_000, -52_800, -250])])
    _finite_coords(svg)
    y0 = _zero_y(svg)
    bars = _bars(svg)
    assert len(bars) == 3
    for b in bars:
        assert b["y"] == pytest.approx(y0, abs=0.11) and b["height"] > 0
    tallest = max(bars, key=lambda b: b["height"])
    assert tallest["data-value"] == -52_800
    # the axis reaches the most negative bar: it stays inside the plot
    assert tallest["y"] + tallest["height"] <= 300


def test_grouped_bars_all_zero_and_missing():
    svg = charts.grouped_bar_chart("z", "Zeros", ["A", "B"], [("s", [0, 0]), ("t", [None, 0.0])])
    _finite_coords(svg)
    bars = _bars(svg)
    assert len(bars) == 3 and all(b["height"] == 0 for b in bars)
    assert 'data-chart="z"' in svg and "<title>Zeros</title>" in svg


def test_grouped_bars_mixed_signs_scale_proportionally():
    svg = charts.grouped_bar_chart("m", "Mixed", ["a", "b"], [("s", [100, -50])])
    y0 = _zero_y(svg)
    up, down = _bars(svg)
    assert up["y"] + up["height"] == pytest.approx(y0, abs=0.11)
    assert down["y"] == pytest.approx(y0, abs=0.11)
    assert up["height"] == pytest.approx(2 * down["height"], rel=0.01)


def test_long_labels_truncated_with_full_text_in_tooltip():
    long = "Corporate industrials A-rated 10-30Y bucket (beta-adjusted)"
    svg = charts.grouped_bar_chart("l", "Long", [long, "Treasury"], [("s", [1, 2])], width=300)
    assert "\u2026" in svg and f"<title>{long}</title>" in svg and "rotate(-35" in svg
    svg = charts.diverging_hbar_chart("h", "Long", [long * 2], [("s", [5])])
    assert "\u2026" in svg and long in svg


def test_diverging_bars_symmetric_and_one_sided():
    svg = charts.diverging_hbar_chart("d", "D", ["up", "down"], [("s", [100, -25])], width=600)
    bars = _bars(svg)
    zx = float(re.search(r'<line class="zero" x1="([^"]*)"', svg).group(1))
    assert bars[0]["x"] == pytest.approx(zx, abs=0.11)
    assert bars[1]["x"] + bars[1]["width"] == pytest.approx(zx, abs=0.11)
    assert bars[0]["width"] == pytest.approx(4 * bars[1]["width"], rel=0.01)
    # all positive, not symmetric: zero sits at the left edge of the plot
    svg = charts.diverging_hbar_chart("p", "P", ["a"], [("s", [7])], symmetric=False)
    zx = float(re.search(r'<line class="zero" x1="([^"]*)"', svg).group(1))
    assert zx == pytest.approx(_bars(svg)[0]["x"], abs=0.11)
    # all negative: bars end on the zero line
    svg = charts.diverging_hbar_chart("n", "N", ["a", "b"], [("s", [-7, -3])], symmetric=False)
    zx = float(re.search(r'<line class="zero" x1="([^"]*)"', svg).group(1))
    for b in _bars(svg):
        assert b["x"] + b["width"] == pytest.approx(zx, abs=0.11)
    _finite_coords(svg)


def test_line_chart_single_point_and_empty():
    svg = charts.line_chart("one", "One", [("s", [(5_000_000, 1_200_000)])])
    _finite_coords(svg)
    assert svg.count('<circle class="marker"') == 1 and "<polyline" not in svg
    svg = charts.line_chart("d1", "One date", [("s", [("2025-06-30", -3.0)])], dates=True)
    _finite_coords(svg)
    assert "2025-06" in svg
    svg = charts.line_chart("e", "Empty", [("s", [])])
    _finite_coords(svg)
    svg = charts.line_chart("z", "Zeros", [("s", [(1, 0), (2, 0)])])
    _finite_coords(svg)
    assert "<polyline" in svg


def test_line_chart_all_negative_and_dates():
    pts = [("2025-01-02", -1.0e6), ("2025-01-03", -2.5e6), ("2025-01-06", -0.5e6)]
    svg = charts.line_chart("bt", "BT", [("Unhedged", pts), ("Hedged", [(d, v / 4) for d, v in pts])],
                            dates=True, markers=False)
    _finite_coords(svg)
    assert svg.count("<polyline") == 2 and "2025-01-02" in svg
    ys = [float(v.split(",")[1]) for v in
          re.search(r'points="([^"]*)"', svg).group(1).split()]
    assert all(y >= _zero_y(svg) - 0.11 for y in ys)  # all below the zero line (svg y grows down)


def test_usage_bar_colours_and_no_limit():
    assert "#2e9e6a" in charts.usage_bar("g", "G", 10, 100)
    assert "#e0a030" in charts.usage_bar("g", "G", 90, 100)
    over = charts.usage_bar("g", "G", 150, 100)
    assert "#c2412d" in over and "150.0% of limit" in over
    assert "no limit set" in charts.usage_bar("g", "G", 150, None)
    _finite_coords(charts.usage_bar("g", "G", None, 0))


# ----------------------------------------------------------------------------- atomic write

def test_write_report_atomic(tmp_path):
    path = tmp_path / "out" / "report.html"
    assert report.write_report(full_sample_doc(), path, generated_at="x") == path
    assert path.read_text(encoding="utf-8") == report.render_report(full_sample_doc(),
                                                                     generated_at="x")


def test_failed_render_leaves_no_file(tmp_path):
    path = tmp_path / "report.html"
    with pytest.raises(TypeError):
        report.write_report(["not", "a", "dict"], path)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file_and_no_partial(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("OLD", encoding="utf-8")
    import optimizer.reporting.output as output

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(full_sample_doc(), path)
    assert path.read_text(encoding="utf-8") == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_totals_not_partial_and_no_plus_zero():
    doc = full_sample_doc()
    doc["sectors"][1]["dv01_after"] = None
    html = _render(doc)
    foot = html[html.index('id="sectors"'):]
    foot = foot[foot.index("<tfoot>"):foot.index("</tfoot>")]
    assert "407,234" in foot  # complete column summed
    assert foot.count('<span class="na">—</span>') >= 2  # after and after-target not summed
    assert report.fmt_num(0.0, signed=True) == "0"
    assert report.fmt_num(12.0, signed=True) == "+12"
