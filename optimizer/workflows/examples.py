"""SPEC §10 worked examples, computed by the product's own functions.

Each example returns ``{name, title, inputs, results, notes}``. The sector-hedge example also
solves the hedge problem itself under a small real-data risk model (UST 10Y, the corporate spread
from the HQM curve, the swap spread from the shipped ISDAFIX estimates) and prices the tracking
error of the three textbook alternatives beside the optimizer's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import PORTFOLIOS_DIR
from models.hedge_ratios import (
    combine_te_budget,
    contracts_to_target,
    duration_based_contracts,
    dv01_from_duration,
    effective_duration,
    futures_dv01_from_ctd,
    linear_pnl_usd,
    round_contracts,
)


def _face_usd(root: str) -> float:
    """Contract face (USD): point value x 100 (data/contracts/treasury_futures.csv)."""
    from models.instruments import contract_terms

    return contract_terms(root).point_value_usd * 100.0


def duration_reduction() -> dict:
    mv, d0, d1, zn = 100e6, 7.5, 5.0, 82.50
    dv0, dv1 = float(dv01_from_duration(mv, d0)), float(dv01_from_duration(mv, d1))
    n = round_contracts(contracts_to_target(dv0, dv1, zn))
    return {"name": "duration_reduction", "title": "Duration reduction with ZN",
            "inputs": {"market_value": mv, "duration_from": d0, "duration_to": d1,
                       "zn_dv01": zn},
            "results": {"dv01_before": dv0, "dv01_target": dv1, "contracts": n,
                        "notional": abs(n) * _face_usd("ZN")},
            "notes": "DV01 = MV x duration x 1e-4 (not x 0.01): 303 contracts, not 3,030"}


def five_bond() -> dict:
    from data.holdings import read_holdings
    from models.exposures import compute_exposures

    h = read_holdings(PORTFOLIOS_DIR / "five_bond.csv")
    exp = compute_exposures(h)
    mv, dv01 = float(exp.portfolio["market_value"]), float(exp.portfolio["dv01"])
    target = 5.0 * mv * 1e-4
    n = contracts_to_target(dv01, target, 83.0)
    n_beta = contracts_to_target(dv01, target, 83.0, beta=0.95)
    return {"name": "five_bond", "title": "Five-bond portfolio to duration 5.0 with ZN",
            "inputs": {"portfolio": "data/portfolios/five_bond.csv", "zn_dv01": 83.0,
                       "beta": 0.95, "target_duration": 5.0},
            "results": {"market_value": mv, "dv01": dv01, "duration": dv01 / mv * 1e4,
                        "contracts_unrounded": n, "contracts_beta_unrounded": n_beta,
                        "contracts_beta": round_contracts(n_beta)},
            "notes": "per-bond sums (MV $99,135,000, DV01 $77,648.95), not $97.9M / 7.69"}


def ctd_adjusted() -> dict:
    fdv01 = futures_dv01_from_ctd(87.50, 1.2156)
    n = round_contracts(contracts_to_target(75_000, 0, fdv01))
    return {"name": "ctd_adjusted", "title": "CTD-adjusted hedge",
            "inputs": {"portfolio_dv01": 75_000, "ctd_dv01": 87.50, "conversion_factor": 1.2156},
            "results": {"futures_dv01": fdv01, "contracts": n},
            "notes": "futures DV01 = CTD DV01 / CF; dividing the count by CF is wrong"}


def duration_based() -> dict:
    fv = 96.25 / 100 * 100_000  # 96-08 on a $100,000 contract
    n = duration_based_contracts(25e6, 7.5, fv, 10.40)
    return {"name": "duration_based", "title": "Duration-based hedge ratio",
            "inputs": {"portfolio_value": 25e6, "portfolio_duration": 7.5,
                       "futures_price": "96-08", "ctd_duration": 10.40},
            "results": {"futures_value": fv, "contracts_unrounded": n,
                        "contracts": -int(np.floor(n))},
            "notes": "N = P x Dp / (Vf x Df) = 187.3 -> sell 187"}


def effective_duration_example() -> dict:
    d = effective_duration(100e6, 7.5, -80e6, 7.8)
    return {"name": "effective_duration", "title": "Effective duration with a futures overlay",
            "inputs": {"portfolio_value": 100e6, "duration": 7.5, "futures_contracts": -800,
                       "futures_notional": -80e6, "futures_duration": 7.8},
            "results": {"effective_duration": d}, "notes": ""}


SECTOR_14 = {"Treasury": (262.341e6, 6.56), "Corporate": (436.248e6, 5.39)}
TNOTE_DV01, SWAP_DV01 = 72.50, 77.00


def _sector_14_risk_model(asof=None):
    """A 3-factor model on real data: UST 10Y (daily), corporate spread (HQM, monthly), swap
    spread (shipped ISDAFIX estimates)."""
    from models.risk import build_factor_model
    from optimizer.assemble import add_swap_spread_factor

    fm = build_factor_model(asof, key_tenors=("10Y",), window="3y", hqm_sectors=("Corporate",))
    names, cov, note = add_swap_spread_factor(list(fm.names), np.asarray(fm.cov_bp2_annual, float),
                                              fm.asof)
    return names, cov, f"risk model as of {fm.asof.date()}: " + "; ".join(fm.notes + [note])


def sector_hedge(asof=None) -> dict:
    from optimizer.core import problem as P

    # as published: sector MV x duration, in whole dollars ($172,096, $235,138, $407,277)
    dv = {s: float(round(mv * d * 1e-4)) for s, (mv, d) in SECTOR_14.items()}
    port = float(round(sum(mv for mv, _ in SECTOR_14.values()) * 5.83 * 1e-4))
    n_t_full = round_contracts(contracts_to_target(port, 0, TNOTE_DV01))
    n_s_full = round_contracts(contracts_to_target(port, 0, SWAP_DV01))
    n_t = round_contracts(contracts_to_target(dv["Treasury"], 0, TNOTE_DV01))
    n_s = round_contracts(contracts_to_target(dv["Corporate"], 0, SWAP_DV01))
    shifts = {"Treasury": 20.0, "Corporate": 60.0, "swap": 60.0}
    p_port = linear_pnl_usd([dv["Treasury"], dv["Corporate"]], [20, 60])
    p_t = linear_pnl_usd([n_t_full * TNOTE_DV01], [shifts["Treasury"]])
    p_s = linear_pnl_usd([n_s_full * SWAP_DV01], [shifts["swap"]])
    p_split = linear_pnl_usd([n_t * TNOTE_DV01, n_s * SWAP_DV01], [20, 60])
    results = {
        "sector_dv01": dv, "portfolio_dv01": port,
        "full_portfolio_tnotes": n_t_full, "full_portfolio_swaps": n_s_full,
        "treasury_with_tnotes": n_t, "corporate_with_swaps": n_s,
        "scenario": {"portfolio_pnl": p_port, "tnote_only_pnl": p_t,
                     "tnote_only_mismatch": p_port + p_t, "swap_only_pnl": p_s,
                     "swap_only_mismatch": p_port + p_s, "split_pnl": p_split,
                     "split_mismatch": p_port + p_split},
    }
    # the optimizer's own choice under a real-data risk model
    try:
        names, cov, note = _sector_14_risk_model(asof)
    except InputError as exc:  # pragma: no cover - bundled data always covers the default
        results["optimizer"] = {"error": str(exc)}
        return _sector_doc(results, "")
    f = {n: k for k, n in enumerate(names)}
    X = np.zeros((2, len(names)))
    X[0, f["10Y"]] = dv["Treasury"]
    X[1, f["10Y"]] = dv["Corporate"]
    X[1, f["Corporate_spread"]] = dv["Corporate"]
    B = np.zeros((2, len(names)))
    B[0, f["10Y"]] = TNOTE_DV01
    B[1, f["10Y"]] = SWAP_DV01
    B[1, f["swap_spread"]] = SWAP_DV01
    inputs = P.HedgeInputs(
        factors=names, sectors=["Treasury", "Corporate"], instruments=["T-note", "swap"],
        sector_exposure=X, sector_dv01=np.array([dv["Treasury"], dv["Corporate"]]),
        instrument_exposure=B, instrument_dv01=np.array([TNOTE_DV01, SWAP_DV01]), cov=cov,
        designations=np.ones((2, 2), bool), notional=np.array([100_000.0, 100_000.0]),
        sector_market_value=np.array([SECTOR_14["Treasury"][0], SECTOR_14["Corporate"][0]]))
    # whole portfolio to zero DV01 (+/- $1,000), any mix: what minimizes tracking error?
    mandate = P.Limits(portfolio_target=P.DV01Target(dv01=0.0, tol_usd=1_000.0))
    res = P.solve(inputs, mandate, time_limit=10.0)

    def te(h):
        e = X.sum(axis=0) + B.T @ np.asarray(h, float)
        return float(np.sqrt(e @ cov @ e))

    results["optimizer"] = {
        "risk_model": note, "contracts": res.contracts, "status": res.status,
        "tracking_error_usd": res.te_after_usd, "unhedged_te_usd": te([0, 0]),
        "alternatives_te_usd": {"tnotes_only": te([n_t_full, 0]), "swaps_only": te([0, n_s_full]),
                                "split": te([n_t, n_s])}}
    return _sector_doc(results, note)


def _sector_doc(results: dict, note: str) -> dict:
    return {"name": "sector_hedge", "title": "14-bond sector hedge with T-note and swap futures",
            "inputs": {"sectors": {s: {"market_value": mv, "duration": d}
                                   for s, (mv, d) in SECTOR_14.items()},
                       "portfolio_duration": 5.83, "tnote_dv01": TNOTE_DV01,
                       "swap_future_dv01": SWAP_DV01,
                       "scenario_bp": {"Treasury": 20, "Corporate": 60, "swaps": 60}},
            "results": results,
            "notes": "sector DV01 = sector MV x duration as published (the CBOT paper rounds "
                     "durations to 2 dp; the per-bond sums in data/portfolios/sector_14.csv differ "
                     "by <0.1%)"}


def te_budget() -> dict:
    parts = {"duration": 10, "curve": 3, "spread": 15, "other": 5}
    return {"name": "te_budget", "title": "Tracking-error budget",
            "inputs": {"components_bp": parts},
            "results": {"total_bp": combine_te_budget(list(parts.values()))},
            "notes": "independent sources add in variance"}


def swap_futures() -> dict:
    from models.swap_futures import classic_dv01, classic_price

    return {"name": "swap_futures", "title": "Classic 10-year swap futures price",
            "inputs": {"notional_coupon_pct": 6, "tenor_years": 10},
            "results": {"price_at_6pct": float(classic_price(6.0)),
                        "price_at_5_25pct": float(classic_price(5.25)),
                        "dv01_at_5_63pct": float(classic_dv01(5.63))},
            "notes": "price per $100,000 = 100000 [c/r + (1 - c/r)(1 + r/200)^-2T]"}


EXAMPLES = {
    "duration_reduction": duration_reduction, "five_bond": five_bond,
    "ctd_adjusted": ctd_adjusted, "duration_based": duration_based,
    "effective_duration": effective_duration_example, "sector_hedge": sector_hedge,
    "te_budget": te_budget, "swap_futures": swap_futures,
}


def run_examples(name: str | None = None) -> list[dict]:
    if name is not None and name not in EXAMPLES:
        raise InputError(f"unknown example '{name}' (known: {', '.join(EXAMPLES)})")
    return [EXAMPLES[n]() for n in ([name] if name else EXAMPLES)]


@dataclass
class ExamplesOutcome:
    """The worked examples computed (each ``{name, title, inputs, results, notes}``)."""

    examples: list[dict]

    def to_dict(self) -> dict:
        """``overlay examples --json``."""
        return {"command": "examples", "examples": self.examples}

    def to_frame(self) -> pd.DataFrame:
        """One row per scalar result: example, quantity, value."""
        rows = [{"example": d["name"], "quantity": k, "value": v}
                for d in self.examples for k, v in d["results"].items()
                if isinstance(v, (int, float, np.integer, np.floating))]
        return pd.DataFrame(rows, columns=["example", "quantity", "value"])


def examples(name: str | None = None) -> ExamplesOutcome:
    """Python API: the SPEC §10 worked examples (one by ``name``, default all)."""
    return ExamplesOutcome(run_examples(name))
