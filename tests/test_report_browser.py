"""Every verb's HTML report from REAL command output, in a real browser.

The commands run in-process exactly as a user types them (``overlay <verb> ... --json --report
PATH``); one headless Chromium session (tests/headless.py, DevTools protocol over a pipe) then
opens each page at 1280 px and checks: no console error and no network request, no horizontal
overflow, no word broken across lines in a table, every chart laid out with its marks drawn (in
the screenshot's pixels too), axis titles with units, no overlapping labels. The numbers on each
page are compared with the command's JSON, recomputed independently from its rows. Full-page
screenshots (and the HTML) are written to ``out/report-screens/`` (``REPORT_SCREENSHOT_DIR``
overrides) for review.

Skips with a clear message when no Chromium is installed (``scripts/install_chromium.sh``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from headless import Browser, find_chromium, read_png
from report_probe import PROBE_JS, problems

from optimizer.reporting import formatters as fmt

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium browser installed (run scripts/install_chromium.sh as root to install "
           "Debian's chromium); skipping the headless HTML-report browser test")
SHOTS = Path(os.environ.get("REPORT_SCREENSHOT_DIR") or ROOT / "out" / "report-screens")
WIDTH = 1280

# verb -> argv (without --json/--report): real runs on the bundled default portfolio and mandate,
# hedged with four contracts (all eight take the exact integer solver minutes on a loaded
# 2-core machine; four keep this test at seconds and still fill every section of every page)
FOUR = ["--instruments", "ZF,ZN,ZB,SSF5"]
RUNS = {
    "hedge": ["hedge", *FOUR],
    "rebalance": ["rebalance", "--positions", "data/positions/roll_sep2024.csv", "--portfolio",
                  "data/portfolios/sector_14.csv", "--asof", "2024-08-26"],
    "scenarios": ["scenarios", *FOUR, "--daily-window", "3m"],
    "frontier": ["frontier", *FOUR, "--budgets", "8e6,12e6,16e6"],
    "backtest": ["backtest", "--sectors", "Treasury", "--start", "2005-02-01", "--end",
                 "2005-04-01"],
}
SECTIONS = {
    "hedge": ("warnings", "summary", "constraints", "mandate", "positions", "sectors",
              "key-rates", "sector-key-rates", "scenarios", "frontier", "provenance"),
    "rebalance": ("decision", "held", "bands", "rolls", "orders", "proposal", "summary",
                  "sectors", "key-rates"),
    "rebalance-same-day": ("decision", "held", "bands", "rolls", "orders"),
    "scenarios": ("hedge", "regression", "scenarios", "approximation", "attribution",
                  "by-sector"),
    "frontier": ("frontier",),
    "backtest": ("headline", "strategies", "cumulative", "drawdowns", "margin-use",
                 "calibration", "ctd-switches", "rebalances"),
}
PAGES = list(SECTIONS)


def _run(name: str, argv: list[str]) -> tuple[dict, Path]:
    from optimizer.cli import main

    page = SHOTS / f"{name}.html"
    page.unlink(missing_ok=True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        rc = main([*argv, "--json", "--report", str(page)])
    assert rc == 0, (name, rc)
    return json.loads(buf.getvalue()), page


def make_reports(tmp: Path) -> dict[str, tuple[dict, Path]]:
    """Each verb's --json object and the --report page written by the same command; the hedge's
    net contracts are then fed to a same-day rebalance (the daily loop: no orders)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = {}
    cwd = os.getcwd()
    os.chdir(ROOT)  # the runs name bundled files relative to the repo
    try:
        for name, argv in RUNS.items():
            out[name] = _run(name, argv)
        held = tmp / "held.csv"
        held.write_text("contract,contracts\n" + "".join(
            f"{c},{n}\n" for c, n in out["hedge"][0]["contracts"].items() if n))
        out["rebalance-same-day"] = _run("rebalance-same-day", [
            "rebalance", *FOUR, "--positions", str(held)])
    finally:
        os.chdir(cwd)
    return out


def render_all(reports: dict[str, tuple[dict, Path]]) -> dict[str, dict]:
    """One browser session: every page opened, probed and screenshotted (PNG under SHOTS)."""
    browser = Browser(CHROMIUM, width=WIDTH)
    out = {}
    try:
        for name, (_, page) in reports.items():
            res = browser.open(page)
            layout = browser.evaluate(PROBE_JS)
            png = browser.screenshot(SHOTS / f"{name}.png")
            out[name] = {"result": res, "layout": layout, "png": png}
    finally:
        browser.close()
    return out


def _table(r: dict, section: str, i: int = 0) -> dict:
    return r["layout"]["tables"][section][i]


def _n(text: str) -> float:
    return float(text.split()[0].replace(",", "").replace("$", "").replace("%", "")
                 .replace("+", ""))


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], np.int16)


def check_page_renders_clean_at_1280px(rendered: dict, name: str) -> None:
    r = rendered[name]
    assert r["result"].console_errors == [], r["result"].console_errors
    assert [u for u in r["result"].requests if u != r["result"].url] == []  # offline: no fetch
    layout = r["layout"]
    assert problems(layout, name) == []
    for sid in SECTIONS[name]:
        assert sid in layout["sections"], (name, sid, layout["sections"])
    assert layout["charts"], f"{name}: no chart"
    img = read_png(r["png"])
    assert img.shape[1] == WIDTH and img.shape[0] >= layout["height"] - 1
    assert (img < 235).any(axis=2).mean() > 0.02, f"{name}: page looks blank"
    for chart, box in layout["charts"].items():  # the marks' colours are on screen
        assert box["w"] > 200 and box["h"] > 40, (chart, box)
        region = img[int(box["y"]):int(box["y"] + box["h"]), int(box["x"]):int(box["x"] + box["w"])]
        seen = [int((np.abs(region.astype(np.int16) - _hex(c)).max(axis=2) <= 6).sum())
                for c in box["colors"]]
        need = seen if "chart-line" not in box["kind"] else [max(seen, default=0)]
        assert box["colors"] and min(need) > 20, (name, chart, box["colors"], seen)


def check_hedge_page_numbers_match_the_json(reports: dict, rendered: dict) -> None:
    doc, _ = reports["hedge"]
    r = rendered["hedge"]
    status = r["layout"]["text"]
    sectors = _table(r, "sectors")
    assert [row[0] for row in sectors["body"]] == [s["sector"] for s in doc["sectors"]]
    foot = sectors["foot"][0]
    assert _n(foot[1]) == pytest.approx(sum(s["market_value"] for s in doc["sectors"]), abs=1)
    positions = _table(r, "positions")
    im_col = positions["head"].index("Initial margin (USD)")
    assert _n(positions["foot"][0][im_col]) == pytest.approx(doc["margin"]["initial"], abs=1)
    assert len(positions["body"]) == len(doc["positions"])
    header = r["layout"]["text"]["summary"]
    assert fmt.number(doc["tracking_error"]["after_usd"]) in header
    # the effectiveness shown is -hedge / hedged item of the same row, as the caption says
    scen = _table(r, "scenarios")
    h = scen["head"]
    item, hedge, eff = (h.index("Hedged item P&L (USD)"), h.index("Hedge P&L (USD)"),
                        h.index("Dollar-offset effectiveness"))
    assert "hedged-item P&L" in status["scenarios"]
    for row in scen["body"]:
        if _n(row[item]):
            assert _n(row[eff]) == pytest.approx(-_n(row[hedge]) / _n(row[item]) * 100, abs=0.06)
    frontier = _table(r, "frontier")
    chosen = [row for row in frontier["body"] if "chosen" in row[0]]
    assert len(chosen) == 1 and _n(chosen[0][0]) == doc["margin"]["budget"]
    # drill-down: the sectors' key-rate ladders add up, tenor by tenor, to the portfolio's
    grid = _table(r, "sector-key-rates")
    assert len(grid["head"]) == 1 + 2 * len(doc["sectors"])
    for i, row in enumerate(_table(r, "key-rates")["body"]):
        assert grid["body"][i][0] == row[0]
        for col in (1, 2):  # before, after
            total = sum(_n(c) for c in grid["body"][i][col::2])
            assert total == pytest.approx(_n(row[col]), abs=len(doc["sectors"])), (row[0], col)


def check_scenarios_page_matches_the_json(reports: dict, rendered: dict) -> None:
    doc, _ = reports["scenarios"]
    r = rendered["scenarios"]
    rows = doc["scenario_results"]
    scen = _table(r, "scenarios")
    eff = scen["head"].index("Dollar-offset effectiveness")
    assert len(scen["body"]) == len(rows)
    for shown, row in zip(scen["body"], rows, strict=True):
        expect = -row["hedge_pnl"] / row["hedged_item_pnl"]
        assert shown[eff] == fmt.pct(expect), (row["scenario"], shown[eff])
    approx = _table(r, "approximation")
    err = approx["head"].index("Approximation error (USD)")
    for shown, row in zip(approx["body"], rows, strict=True):
        assert _n(shown[err]) == pytest.approx(row["approx_net_pnl"] - row["net_pnl"], abs=1)
    reg = _table(r, "regression")
    slope = reg["head"].index("Slope (hedge on hedged item)")
    for shown, cls, (name, fit) in zip(reg["body"], reg["classes"],
                                       doc["regression_effectiveness"].items(), strict=True):
        assert shown[0] == name and shown[slope] == fmt.ratio(fit["slope"])
        assert "neg" not in cls[slope]  # a -1 slope is the goal, never red for its sign
        assert ("ok" in cls[slope]) == (-1.25 <= fit["slope"] <= -0.8)
    att = _table(r, "attribution")
    h = att["head"]
    for shown, row in zip(att["body"], rows, strict=True):
        parts = [_n(shown[h.index(f"{k} (USD)")]) for k in ("Curve", "Spread", "Basis")]
        assert _n(shown[h.index("Sum (USD)")]) == pytest.approx(sum(parts), abs=2)
        assert _n(shown[h.index("Net P&L (USD)")]) == pytest.approx(row["net_pnl"], abs=1)
        assert sum(parts) == pytest.approx(row["net_pnl"], abs=3)  # the split is complete
    by_sector = _table(r, "by-sector")
    for shown in by_sector["body"]:
        assert sum(_n(c) for c in shown[1:-1]) == pytest.approx(_n(shown[-1]), abs=len(shown))


def check_rebalance_page_matches_the_json(reports: dict, rendered: dict) -> None:
    doc, _ = reports["rebalance"]
    r = rendered["rebalance"]
    text = r["layout"]["text"]
    assert doc["decision"]["reason"] in text["decision"]
    orders = _table(r, "orders")
    cost = orders["head"].index("Estimated cost (USD)")
    assert len(orders["body"]) == len(doc["orders"])
    assert _n(orders["foot"][0][cost]) == pytest.approx(
        sum(o["est_cost_usd"] for o in doc["orders"]), abs=0.01)
    bands = _table(r, "bands")
    inside, after = bands["head"].index("Inside now"), bands["head"].index("Inside after")
    for shown, b in zip(bands["body"], doc["bands"], strict=True):
        assert shown[0] == b["sector"] and shown[inside] == ("inside" if b["inside"] else "OUTSIDE")
        assert shown[after] == ("inside" if b["inside_after"] else "OUTSIDE")
    rolls = _table(r, "rolls")
    assert [row[0] for row in rolls["body"]] == [x["from_contract"] for x in doc["rolls"]]
    held = _table(r, "held")
    assert [row[1] for row in held["body"]] == [h["contract"] for h in doc["held_positions"]]


def check_rebalance_on_the_day_of_the_hedge_says_no_orders_and_why(reports: dict, rendered: dict) -> None:
    doc, _ = reports["rebalance-same-day"]
    r = rendered["rebalance-same-day"]
    assert doc["orders"] == [] and doc["decision"]["status"] == "no_trade"
    text = r["layout"]["text"]
    assert "No orders." in text["orders"] and doc["decision"]["reason"] in text["orders"]
    assert "No trade" in text["decision"] and "No position is inside its roll" in text["rolls"]


def check_backtest_page_is_transposed_with_percentages(reports: dict, rendered: dict) -> None:
    doc, _ = reports["backtest"]
    r = rendered["backtest"]
    t = _table(r, "strategies")
    assert t["head"] == ["Measure"] + [m["label"] for m in doc["metrics"]]
    rows = {row[0]: (row[1:], cls[1:]) for row, cls in zip(t["body"], t["classes"], strict=True)}
    vr, _ = rows["Variance reduction vs unhedged"]
    assert vr == [fmt.pct(m["variance_reduction"]) for m in doc["metrics"]]
    slopes, classes = rows["Regression slope, hedge on hedged item"]
    for shown, cls, m in zip(slopes, classes, doc["metrics"], strict=True):
        assert shown == fmt.ratio(m["regression_slope"]) and "neg" not in cls
    # the drawdown table (from the drawdown series) matches the metric computed from the
    # daily P&L (all points plotted in a short run)
    dd = _table(r, "drawdowns")
    assert [row[0] for row in dd["body"]] == [m["label"] for m in doc["metrics"]]
    for row, m in zip(dd["body"], doc["metrics"], strict=True):
        assert -_n(row[1]) == pytest.approx(m["max_drawdown_usd"], abs=1)


def check_frontier_page_marks_the_mandate_budget(reports: dict, rendered: dict) -> None:
    doc, _ = reports["frontier"]
    r = rendered["frontier"]
    t = _table(r, "frontier")
    assert len(t["body"]) == len(doc["frontier"])
    chosen = [row for row in t["body"] if "chosen" in row[0]]
    assert len(chosen) == 1 and _n(chosen[0][0]) == doc["mandate_margin_budget_usd"]
    assert "chosen hedge: TE" in r["layout"]["text"]["frontier"]


CHECKS = (check_hedge_page_numbers_match_the_json, check_scenarios_page_matches_the_json,
          check_rebalance_page_matches_the_json,
          check_rebalance_on_the_day_of_the_hedge_says_no_orders_and_why,
          check_backtest_page_is_transposed_with_percentages,
          check_frontier_page_marks_the_mandate_budget)


def _collect(failures: list[str], what: str, check, *args) -> None:
    try:
        check(*args)
    except Exception as exc:  # every check runs; all failures are reported together
        failures.append(f"{what}: {type(exc).__name__}: {exc}")


def test_every_report_renders_in_a_real_browser(tmp_path):
    """One test on purpose: the commands and the browser session run once, on one xdist worker
    (two workers would run them twice and write the same screenshot files). Every check runs and
    every failure is listed."""
    reports = make_reports(tmp_path)
    rendered = render_all(reports)
    failures: list[str] = []
    for name in PAGES:
        _collect(failures, f"{name} page", check_page_renders_clean_at_1280px, rendered, name)
    for check in CHECKS:
        _collect(failures, check.__name__, check, reports, rendered)
    assert not failures, "\n\n".join(failures)
