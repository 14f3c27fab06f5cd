"""Fixture result dicts for the report unit tests: the shape of each verb's ``--json`` object
with every documented key (including the ones other engineers are adding: per-sector key-rate
ladders, the frontier in the hedge result, scenario attribution, backtest drawdowns and CTD
switches). Values follow the SPEC §10 14-bond sector portfolio (Treasury $262.3M / DV01
$172,096; corporate $436.2M / DV01 $235,138) hedged with 10-year T-note and swap futures; they
exercise the layout and the arithmetic the pages show (totals, differences, ratios), which the
tests recompute from these rows. The browser test renders REAL command outputs.
"""

from __future__ import annotations

import datetime as dt
import random

TENORS = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")
KR_TSY = dict(zip(TENORS, (9_100, 13_200, 31_700, 37_600, 48_000, 19_750, 12_746), strict=True))
KR_CORP = dict(zip(TENORS, (12_300, 17_750, 42_600, 50_520, 64_640, 26_560, 20_768), strict=True))
HEDGE_TSY = dict(zip(TENORS, (0, -10, -2_400, -35_800, -48_000, -1_200, 0), strict=True))
HEDGE_CORP = dict(zip(TENORS, (-1_900, -6_300, -50_400, -52_600, -300, -4_000, -1_383),
                      strict=True))


def _ladder(before: dict, hedge: dict) -> list[dict]:
    return [{"tenor": t, "dv01_before": before[t], "dv01_after": before[t] + hedge[t]}
            for t in TENORS]


def hedge_positions() -> list[dict]:
    return [
        {"instrument": "ZN", "contract": "ZNU5", "sector": "Treasury", "contracts": -1187,
         "price": 110.515625, "contract_dv01": 72.50, "dv01": -1187 * 72.50,
         "notional": 1187 * 110_515.625, "initial_margin": 1187 * 2_530.0},
        {"instrument": "SSF10", "contract": "SSF10U5", "sector": "Corporate", "contracts": -1527,
         "price": 100.1634, "contract_dv01": 77.00, "dv01": -1527 * 77.0,
         "notional": 1527 * 100_163.4, "initial_margin": 1527 * 2_200.0},
        {"instrument": "ZF", "contract": "ZFU5", "sector": "Corporate", "contracts": 12,
         "price": 108.203125, "contract_dv01": 43.10, "dv01": 12 * 43.10,
         "notional": 12 * 108_203.125, "initial_margin": 12 * 1_870.0},
    ]


def hedge_sectors() -> list[dict]:
    return [
        {"sector": "Treasury", "market_value": 262_341_000, "model_dv01": 172_096,
         "dv01_before": 172_096, "dv01_target": 86_048, "dv01_after": 172_096 - 1187 * 72.50,
         "beta": 1.0, "beta_std_err": 0.0, "beta_source": "definition (Treasury driver)",
         "key_rates": _ladder(KR_TSY, HEDGE_TSY)},
        {"sector": "Corporate", "market_value": 436_248_000, "model_dv01": 252_833,
         "dv01_before": 235_138, "dv01_target": 117_569,
         "dv01_after": 235_138 - 1527 * 77.0 + 12 * 43.1, "beta": 0.93, "beta_std_err": 0.06,
         "beta_source": "HQM par 5y vs UST 5Y, monthly changes", "key_rates": _ladder(
             KR_CORP, HEDGE_CORP)},
    ]


def scenario_rows() -> list[dict]:
    """(name, holdings, hedged item, hedge, DV01+convexity net, curve, spread, basis)."""
    spec = [
        ("parallel +100bp", -39_870_000, -19_935_000, 20_150_000, -19_940_000, -19_600_000, 0,
         -120_000),
        ("parallel -100bp", 41_720_000, 20_860_000, -20_420_000, 21_150_000, 21_400_000, 0,
         -100_000),
        ("Treasuries +20, corporates and swaps +60", -17_550_200, -8_775_100, 8_775_890,
         -8_790_000, -3_520_000, -5_300_000, 45_690),
        ("2s10s steepener +50", -2_180_400, -1_090_200, 2_450_100, 290_000, 250_000, 0, 19_700),
        ("spread widening +50", -11_756_900, -5_878_450, 0.0, -11_700_000, 0, -11_756_900, 0),
        ("Lehman 2008", 18_420_000, 9_210_000, -9_630_000, 8_650_000, 10_100_000, -1_900_000,
         590_000),
    ]
    rows = []
    for name, hold, item, hedge, approx, curve, spread, basis in spec:
        net = hold + hedge
        rows.append({
            "scenario": name, "kind": "historical" if "2008" in name else "hypothetical",
            "description": "Lehman default to year-end 2008 (2008-09-12 -> 2008-12-31)"
            if "2008" in name else f"{name} on every curve",
            "holdings_pnl": hold, "hedged_item_pnl": item, "hedge_pnl": hedge, "net_pnl": net,
            "effectiveness": -hedge / item, "effective": 0.8 <= -hedge / item <= 1.25,
            "approx_net_pnl": approx, "approx_error": approx - net,
            "approx_effectiveness": -hedge / item * 0.99, "dv01_net_pnl": approx * 1.01,
            "attribution": {"curve_usd": curve, "spread_usd": spread, "basis_usd": basis},
            "by_sector": [
                {"sector": "Treasury", "holdings_pnl": hold * 0.4, "hedge_pnl": hedge * 0.45,
                 "net_pnl": hold * 0.4 + hedge * 0.45},
                {"sector": "Corporate", "holdings_pnl": hold * 0.6, "hedge_pnl": hedge * 0.55,
                 "net_pnl": hold * 0.6 + hedge * 0.55}],
            "hedge": [{"contract": "ZNU5", "ctd_before": "91282CNF4", "ctd_after": "91282CMT5",
                       "ctd_switch": name == "parallel -100bp"}],
            "notes": ["swap spread unchanged"] if "2008" in name else [],
        })
    return rows


def notices() -> list[dict]:
    proxy = ("swap rates are Treasury par + a stated swap spread "
             "{'5Y': -25.0, '10Y': -45.0} (no swap curve supplied)")
    return [
        {"code": "swap_curve_proxy", "severity": "warning", "subject": "SSF5U5",
         "message": proxy},
        {"code": "swap_curve_proxy", "severity": "warning", "subject": "SSF10U5",
         "message": proxy},
        {"code": "ctd_fallback", "severity": "warning", "subject": "ZNU5",
         "message": "deliverable basket unavailable: notional CTD used"},
        {"code": "beta_window", "severity": "info", "subject": "Corporate",
         "message": "beta from 34 monthly changes"},
    ]


def hedge_doc() -> dict:
    positions, sectors = hedge_positions(), hedge_sectors()
    margin = sum(p["initial_margin"] for p in positions)
    gross = sum(p["notional"] for p in positions)
    return {
        "title": "Sector hedge — CBOT 14-bond portfolio", "command": "hedge",
        "asof": "2025-06-30", "portfolio_name": "sector_14.csv", "mandate_name": "half",
        "status": "optimal", "objective": 1_284_113.52 ** 2, "objective_unit": "USD²/yr",
        "portfolio": {"market_value": 698_589_000, "dv01_before": 407_234,
                      "dv01_after": 203_577.2, "duration_before": 5.83, "duration_after": 2.91},
        "solver": {"name": "SCIP", "status": "optimal", "gap": 0.0, "seconds": 0.42},
        "mandate": {"target Treasury": "50% of current DV01 +/- 2%", "max leverage": "150%",
                    "margin budget": "$6,000,000"},
        "positions": positions,
        "contracts": {"ZNU5": -1187, "SSF10U5": -1527, "ZFU5": 12, "ZBU5": 0},
        "sectors": sectors,
        "key_rates": [{"tenor": t, "dv01_before": KR_TSY[t] + KR_CORP[t],
                       "dv01_after": KR_TSY[t] + KR_CORP[t] + HEDGE_TSY[t] + HEDGE_CORP[t]}
                      for t in TENORS],
        "other_factors": [{"factor": "Corporate_spread", "dv01_before": 252_833,
                           "dv01_after": 252_833}],
        "tracking_error": {"before_usd": 8_412_550.0, "after_usd": 1_284_113.52,
                           "after_bp": 18.38, "before_bp": 120.42,
                           "continuous_after_usd": 1_281_940.0,
                           "rounded_after_usd": 1_290_871.0, "rounded_breaks": []},
        "margin": {"initial": margin, "budget": 6_000_000.0},
        "leverage": {"gross_notional": gross, "ratio": gross / 698_589_000, "limit": 1.5},
        "constraints": [
            {"name": "sector_dv01[Treasury]", "kind": "dv01_band", "sector": "Treasury",
             "tolerance_usd": 3_441.9, "description": "Treasury DV01 within $86,048 +- $3,442",
             "satisfied": True},
            {"name": "margin", "kind": "margin", "description": "initial margin <= $6,000,000",
             "satisfied": True}],
        "instruments": [
            {"contract": "ZNU5", "kind": "treasury_future", "price": 110.515625, "dv01": 72.5,
             "notional": 110_515.625, "initial_margin": 2_530.0,
             "description": "10-Year T-Note futures; CTD 91282CNF4 4.125% 2032-05-31 CF 0.9003",
             "key_rate_dv01": {"2Y": 0.0, "3Y": 0.0, "5Y": 3.9, "7Y": 68.6, "10Y": 0.0,
                               "20Y": 0.0, "30Y": 0.0}},
            {"contract": "SSF10U5", "kind": "sofr_swap_future", "price": 100.1634, "dv01": 77.0,
             "notional": 100_163.4, "initial_margin": 2_200.0,
             "description": "SOFR swap future 10y, par swap 3.980%",
             "key_rate_dv01": {"2Y": 1.2, "3Y": 2.0, "5Y": 4.1, "7Y": 11.6, "10Y": 58.1,
                               "20Y": 0.0, "30Y": 0.0}}],
        "scenarios": scenario_rows(),
        "frontier": [
            {"margin_budget_usd": 1_000_000, "tracking_error_usd": None, "status": "infeasible"},
            {"margin_budget_usd": 3_000_000, "tracking_error_usd": 2_870_000,
             "status": "optimal"},
            {"margin_budget_usd": 4_000_000, "tracking_error_usd": 1_760_000,
             "status": "optimal"},
            {"margin_budget_usd": 6_000_000, "tracking_error_usd": 1_284_113.52,
             "status": "optimal"},
            {"margin_budget_usd": 8_000_000, "tracking_error_usd": 1_284_113.52,
             "status": "optimal"}],
        "provenance": ["Treasury par yield curve: U.S. Department of the Treasury, "
                       "https://home.treasury.gov (public domain)"],
        "warnings": notices(),
    }


def rebalance_doc(with_orders: bool = True) -> dict:
    doc = hedge_doc()
    for k in ("scenarios", "frontier", "title"):
        doc.pop(k)
    bands = [
        {"sector": "Treasury", "dv01_unhedged": 172_096, "dv01_target": 86_048,
         "band_usd": 8_604.8, "band_rule": "10% of target DV01", "dv01_hedged": 101_000,
         "drift_usd": 14_952, "inside": False, "dv01_after": 86_948, "inside_after": True},
        {"sector": "Corporate", "dv01_unhedged": 235_138, "dv01_target": 117_569,
         "band_usd": 11_756.9, "band_rule": "10% of target DV01", "dv01_hedged": 119_000,
         "drift_usd": 1_431, "inside": True, "dv01_after": 118_469, "inside_after": True}]
    orders = [
        {"contract": "ZNU5", "side": "BUY", "quantity": 250, "price": 110.515625,
         "est_cost_usd": 1_953.125, "reason": "roll ZNU5->ZNZ5"},
        {"contract": "ZNZ5", "side": "SELL", "quantity": 239, "price": 110.0,
         "est_cost_usd": -132_917.42, "reason": "roll ZNU5->ZNZ5 (DV01 resize)"},
        {"contract": "ZNZ5", "side": "SELL", "quantity": 206, "price": 110.0,
         "est_cost_usd": 1_609.38, "reason": "rebalance"}] if with_orders else []
    held = {"ZNU5": -981, "SSF10U5": -1527, "ZFU5": 12}
    doc.update({
        "command": "rebalance", "positions_file": "data/positions/overlay.csv",
        "held_positions": [
            {"row": 2, "contract": "ZNU5", "contracts": -981, "sector": None,
             "entry_price": 110.25, "price": 110.515625, "dv01": -981 * 72.5,
             "unrealized_pnl_usd": -260_578.125},
            {"row": 3, "contract": "SSF10U5", "contracts": -1527, "sector": None,
             "entry_price": None, "price": 100.1634, "dv01": -1527 * 77.0,
             "unrealized_pnl_usd": None}],
        "held_book": held, "designations": [],
        "rolls": [{"from_contract": "ZNU5", "to_contract": "ZNZ5", "old_contracts": -250,
                   "new_contracts": -239, "dv01_old": 65.48, "dv01_new": 68.48,
                   "position_dv01_before": -16_370, "position_dv01_after": -16_367,
                   "spread": -0.515625, "roll_cost_usd": 128_906.25,
                   "first_notice_day": "2025-08-29"}] if with_orders else [],
        "roll_days": 5, "total_roll_cost_usd": 128_906.25 if with_orders else 0.0,
        "kept_for_delivery": [],
        "bands": bands,
        "decision": {
            "status": "rebalance" if with_orders else "no_trade",
            "reason": ("outside band: Treasury +14,952 vs +-8,605 (10% of target DV01)"
                       if with_orders else "inside band: every sector within its tolerance"),
            "limits_breached": []},
        "proposal": {
            "current": held,
            "proposed": {"ZNU5": -1187, "SSF10U5": -1527, "ZFU5": 12} if with_orders else held,
            "frozen": ["Corporate"], "turnover": 206 if with_orders else 0,
            "max_turnover": None, "trading_cost_usd": 1_609.38 if with_orders else 0.0},
        "orders": orders,
        "orders_total_est_cost_usd": sum(o["est_cost_usd"] for o in orders),
        "prices": {"ZNU5": {"price": 110.515625, "source": "given"}},
    })
    return doc


def scenarios_doc() -> dict:
    return {
        "command": "scenarios", "asof": "2025-06-30", "portfolio_name": "sector_14.csv",
        "hedge_source": "mandate half",
        "hedged_item": {"definition": "sum over sectors of f_s x holdings P&L_s, f_s = 1 - "
                                      "target DV01 / current DV01", "fractions": {
                                          "Treasury": 0.5, "Corporate": 0.5}},
        "hedge": [{"contract": p["contract"], "contracts": p["contracts"], "sector": p["sector"]}
                  for p in hedge_positions()],
        "scenario_results": scenario_rows(),
        "regression_effectiveness": {
            "historical": {"n": 4, "slope": -1.0168, "slope_se": 0.0496, "r2": 0.9953,
                           "effective": True},
            "daily": {"n": 249, "slope": -0.6, "slope_se": 0.02, "r2": 0.55, "effective": False,
                      "window": ["2024-07-11", "2025-07-11"],
                      "note": "daily Treasury par-curve changes only"}},
        "key_rates": hedge_doc()["key_rates"],
        "warnings": notices()[:2],
    }


def backtest_doc() -> dict:
    start = dt.date(2025, 1, 2)
    days = [start + dt.timedelta(days=i) for i in range(180)
            if (start + dt.timedelta(days=i)).weekday() < 5]
    rng = random.Random(7)
    shocks = [rng.gauss(0.0, 1.0) for _ in days]
    labels = {"unhedged": "Unhedged", "naive_zn": "Naive DV01 (ZN only)",
              "naive_keyrate": "Naive key-rate LS (rounded)", "continuous": "Continuous optimum",
              "integer": "Integer optimum (mandate)",
              "unconstrained": "Integer optimum, no margin/leverage/count limits"}
    series = {}
    for key, (beta, noise) in zip(labels, ((1.0, 0.05), (0.3, 0.25), (0.1, 0.1), (0.05, 0.08),
                                           (0.05, 0.09), (0.05, 0.09)), strict=True):
        cum, pts = 0.0, []
        for d, z in zip(days, shocks, strict=True):
            cum += 400_000 * (beta * z + noise * rng.gauss(0.0, 1.0))
            pts.append([d.isoformat(), round(cum, 2)])
        series[key] = pts
    cols = {
        "realized_te_usd": [35.9e6, 8.8e6, 1.34e6, 3.04e6, 3.03e6, 3.03e6],
        "variance_reduction": [0.0, 0.9397, 0.9986, 0.9928, 0.9929, 0.9929],
        "dollar_offset_median": [None, 0.888, 1.007, 1.233, 1.2331, 1.2331],
        "offset_periods_in_band": [None, 0.667, 1.0, 0.5, 0.5, 0.5],
        "regression_slope": [None, -1.112, -1.0, -1.007, -1.3, -1.3],
        "regression_r2": [None, 0.966, 1.0, 0.993, 0.993, 0.993],
        "contracts_traded": [0, 31_204, 41_592, 26_910, 26_847, 26_847],
        "turnover_per_year": [0, 63_930, 85_213, 55_132, 55_004, 55_004],
        "costs_per_year_usd": [0, 652_857, 695_665, 713_837, 713_792, 713_792],
        "avg_margin_usd": [0, 11.7e6, 16.9e6, 11.2e6, 11.2e6, 11.2e6],
        "max_margin_usd": [0, 15.2e6, 19.0e6, 12.0e6, 11.99e6, 11.99e6],
        "avg_leverage": [0.0, 0.6, 0.62, 0.59, 0.59, 0.59],
        "max_leverage": [0.0, 0.61, 0.64, 0.6, 0.6, 0.6],
        "worst_day_usd": [-5.4e6, -2.2e6, 32_945, -610_424, -609_435, -609_435],
        "worst_month_usd": [-7.7e6, -877_870, 81_294, -264_418, -264_716, -264_716],
        "max_drawdown_usd": [18.3e6, 2.4e6, 0.0, 610_424, 609_435, 609_435],
        "roll_cost_usd": [0, -12_000, -15_500, -9_800, -9_750, -9_750]}
    metrics = [{"strategy": k, "label": lab, **{c: v[i] for c, v in cols.items()},
                "te_ratio_to_integer": cols["realized_te_usd"][i] / 3.03e6}
               for i, (k, lab) in enumerate(labels.items())]
    hedges = [{"date": "2025-01-02", "status": "optimal", "flags": [],
               "contracts": {"integer": {"ZFH5": -1562, "ZBH5": -2268}}},
              {"date": "2025-02-03", "error": "InfeasibleMandate: margin budget too small"},
              {"date": "2025-03-03", "status": "optimal", "flags": ["time limit"],
               "contracts": {"integer": {"ZFM5": -1500, "ZBM5": -2300}}}]
    periods = [{"date": d, "until": u, "margin_usd": {"unhedged": 0, "integer": m},
                "leverage": {"unhedged": 0.0, "integer": x}}
               for d, u, m, x in (("2025-01-02", "2025-02-03", 11.2e6, 0.59),
                                  ("2025-03-03", "2025-04-01", 11.9e6, 0.6))]
    return {
        "portfolio": "data/portfolios/default.csv", "mandate": "default",
        "frequency": "daily", "rebalance": "monthly", "start": days[0].isoformat(),
        "end": days[-1].isoformat(), "observations": len(days), "rebalances": len(hedges),
        "strategies": list(labels), "strategy_labels": labels, "metrics": metrics,
        "te_ratio_integer_vs_continuous": 3.03 / 3.04, "te_ratio_integer_vs_naive_zn": 3.03 / 8.8,
        "cumulative_pnl": series, "periods": periods, "hedges": hedges,
        "failed": [{"date": "2025-02-03", "until": "2025-03-03",
                    "error": "InfeasibleMandate: margin budget too small"}],
        "calibration": [{"strategy": "integer", "pricing": "model", "horizon": "daily",
                         "window": "2025", "bias": 1.1, "bias_lo": 0.9, "bias_hi": 1.3,
                         "periods": 2, "in_band": True}],
        "ctd_switches": [{"date": "2025-03-03", "contract": "ZBM5", "from": "912810UL0",
                          "to": "912810RN0"}],
        "notes": ["Treasury futures: modelled CTD-forward prices"], "seconds": {"total": 26.4},
        "warnings": [{"code": "failed_date", "severity": "warning", "subject": "2025-02-03",
                      "message": "hedge failed; the period is excluded from every strategy"}],
    }
