"""Hedge problem: SPEC §10 sector hedge, infeasible mandates of each kind, re-solve, explain,
real positions (no offsetting pieces), |MV| for net-short books, solver statuses."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from data.errors import InputError, Notice
from optimizer.core.constraints import MarginBudget
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.problem import DV01Target, HedgeInputs, HedgeProblem, Limits, solve

TSY_DV01, CORP_DV01 = 172_096.0, 235_138.0
TN_DV01, SWAP_DV01 = 72.50, 77.00
MV_T, MV_C = 262.341e6, 436.248e6


def sector_inputs(two_factors: bool = True, **kw) -> HedgeInputs:
    """SPEC §10 sector hedge. Two independent factors (Treasury rate, swap rate) so each
    sector's hedge only depends on its own DV01; or one factor (pure DV01)."""
    if two_factors:
        fac = ["tsy", "swap"]
        sec = np.array([[TSY_DV01, 0.0], [0.0, CORP_DV01]])
        ins = np.array([[TN_DV01, 0.0], [0.0, SWAP_DV01]])
        cov = np.diag([75.0**2, 85.0**2])
    else:
        fac = ["rate"]
        sec = np.array([[TSY_DV01], [CORP_DV01]])
        ins = np.array([[TN_DV01], [SWAP_DV01]])
        cov = np.array([[80.0**2]])
    args = dict(factors=fac, sectors=["Treasury", "Corporate"], instruments=["ZNU5", "SWAP10"],
                sector_exposure=sec, sector_dv01=np.array([TSY_DV01, CORP_DV01]),
                instrument_exposure=ins, instrument_dv01=np.array([TN_DV01, SWAP_DV01]), cov=cov,
                designations=np.array([[True, False], [False, True]]),
                notional=np.array([111_000.0, 100_500.0]),
                initial_margin=np.array([2_750.0, 2_000.0]),
                sector_market_value=np.array([MV_T, MV_C]))
    args.update(kw)
    return HedgeInputs(**args)


def zero_targets(tol: float | None = None) -> dict[str, DV01Target]:
    return {s: DV01Target(dv01=0.0, tol_usd=tol) for s in ("Treasury", "Corporate")}


# ---------------------------------------------------------------------------------------------
def test_spec_sector_hedge_two_factors():
    res = solve(sector_inputs(), Limits(sector_targets=zero_targets(100.0)))
    assert res.status == "optimal" and res.certified
    assert res.contracts == {"ZNU5": -2374, "SWAP10": -3054}
    assert res.rounded_contracts == res.contracts and res.rounded_broken == []
    assert res.continuous_contracts["ZNU5"] == pytest.approx(-TSY_DV01 / TN_DV01, abs=1e-5)
    assert res.continuous_contracts["SWAP10"] == pytest.approx(-CORP_DV01 / SWAP_DV01, abs=1e-5)
    after = {s["sector"]: s["dv01_after"] for s in res.sectors}
    assert after["Treasury"] == pytest.approx(TSY_DV01 - 2374 * TN_DV01)  # -19.00
    assert after["Corporate"] == pytest.approx(CORP_DV01 - 3054 * SWAP_DV01)  # -20.00
    # TE = sqrt of the residual variance: sector-wise |after| x vol
    te = np.hypot(19.0 * 75.0, 20.0 * 85.0)
    assert res.te_after_usd == pytest.approx(te, rel=1e-9)
    assert res.te_after_bp == pytest.approx(te / (MV_T + MV_C) * 1e4)
    assert res.te_before_usd == pytest.approx(np.hypot(TSY_DV01 * 75, CORP_DV01 * 85))
    assert res.solver["name"] == "overlay-bnb" and res.solver["gap"] == pytest.approx(0.0, abs=1e-9)
    for key in ("method", "status", "bound", "nodes", "seconds", "cpu_seconds"):
        assert key in res.solver
    assert res.solver["exact_check"] is True
    assert res.solver["bound"] <= res.objective * (1 + 1e-9)
    d = res.to_dict()
    json.dumps(d)
    assert d["contracts"]["ZNU5"] == -2374


def test_spec_sector_hedge_single_factor_tolerance_makes_rounding_exact():
    """With one factor the objective only sees the total DV01; a band of half a contract's DV01
    per sector leaves exactly one integer per sector: the rounded hedge, -2,374 and -3,054."""
    m = Limits(sector_targets={"Treasury": DV01Target(dv01=0.0, tol_usd=TN_DV01 / 2),
                                "Corporate": DV01Target(dv01=0.0, tol_usd=SWAP_DV01 / 2)},
                no_net_short=False)
    res = solve(sector_inputs(two_factors=False), m)
    assert res.contracts == {"ZNU5": -2374, "SWAP10": -3054}
    # with a wider band, the single-factor optimum trades between sectors (total DV01 only)
    wide = Limits(sector_targets=zero_targets(100.0), no_net_short=False)
    res2 = solve(sector_inputs(two_factors=False), wide)
    total_after = TSY_DV01 + CORP_DV01 + res2.h @ np.array([TN_DV01, SWAP_DV01])
    assert abs(total_after) <= 33.5 + 1e-9  # best of the 4 in-band combinations: +33.50


def test_spec_full_portfolio_counts():
    """Full portfolio with T-notes only: 5,618; with swaps only: 5,289 (SPEC §10). Uses SPEC's
    portfolio DV01 $407,277 (its sector DV01s sum to $407,234: SPEC rounds MV x duration per line;
    with 407,234 the T-note count would be 5,617)."""
    for inst, dv, n in (("ZNU5", TN_DV01, 5618), ("SWAP10", SWAP_DV01, 5289)):
        inp = HedgeInputs(factors=["rate"], sectors=["Portfolio"], instruments=[inst],
                          sector_exposure=np.array([[407_277.0]]),
                          sector_dv01=np.array([407_277.0]),
                          instrument_exposure=np.array([[dv]]), instrument_dv01=np.array([dv]),
                          cov=np.array([[6400.0]]), designations=np.array([[True]]),
                          sector_market_value=np.array([698.589e6]))
        res = solve(inp, Limits(sector_targets={"Portfolio": DV01Target(dv01=0.0)}))
        assert res.contracts[inst] == -n


# ---------------------------------------------------------------------------------------------
BASE = Limits(sector_targets=zero_targets(100.0))


def _infeasible(m: Limits, inputs: HedgeInputs | None = None) -> InfeasibleMandate:
    with pytest.raises(InfeasibleMandate) as ei:
        solve(inputs or sector_inputs(), m)
    return ei.value


def _check_relaxation(err, m, name, inputs=None, smaller=None):
    assert name in err.conflicts, err.conflicts
    sug = {r.constraint: r for r in err.suggestions}
    assert name in sug, (err.relaxations, str(err))
    r = sug[name]
    assert r.verified
    res = solve(inputs or sector_inputs(), r.apply(m))  # the relaxed mandate is feasible
    assert all(c["satisfied"] for c in res.constraints)
    if smaller is not None:  # and it is the smallest change
        with pytest.raises(InfeasibleMandate):
            solve(inputs or sector_inputs(), smaller(r), diagnose=False)
    return r


def test_infeasible_margin():
    m = replace(BASE, margin_budget=6e6)
    err = _infeasible(m)
    r = _check_relaxation(err, m, "margin",
                          smaller=lambda r: replace(m, margin_budget=r.required - 1.0))
    # smallest in-band hedges: -2,373 (Treasury DV01 after +$53.50) and -3,053 (+$57.00)
    assert r.required == pytest.approx(2373 * 2750 + 3053 * 2000)
    assert "margin budget must be at least $12,631,750" in str(err)


def test_infeasible_leverage():
    m = replace(BASE, max_leverage=0.5)
    err = _infeasible(m)
    r = _check_relaxation(err, m, "leverage",
                          smaller=lambda r: replace(m, max_leverage=r.required - 1e-6))
    gross = 2373 * 111_000 + 3053 * 100_500
    assert r.required == pytest.approx(gross / (MV_T + MV_C))
    assert "leverage limit must be at least" in str(err)


def test_infeasible_sector_target_vs_bounds():
    m = replace(BASE, lower={"ZNU5": -1000})
    err = _infeasible(m)
    assert set(err.conflicts) == {"sector_dv01[Treasury]", "contract_bounds"}
    r = _check_relaxation(err, m, "sector_dv01[Treasury]")
    assert r.required == pytest.approx(TSY_DV01 - 1000 * TN_DV01)
    rb = _check_relaxation(err, m, "contract_bounds")
    assert rb.required == pytest.approx(1373)  # -2,373 is within the $100 band


def test_infeasible_integer_band():
    """The relaxation is feasible, but no integer hedge is within +-$10 of zero."""
    m = Limits(sector_targets={"Treasury": DV01Target(dv01=0.0, tol_usd=10.0)})
    err = _infeasible(m)
    assert err.conflicts == ["sector_dv01[Treasury]"]
    r = _check_relaxation(err, m, "sector_dv01[Treasury]")
    assert r.required == pytest.approx(19.0)  # |172,096 - 2,374 x 72.50|


def test_infeasible_turnover():
    inp = sector_inputs(current=np.array([-2000.0, -3000.0]))
    m = replace(BASE, max_turnover=300)
    err = _infeasible(m, inp)
    r = _check_relaxation(err, m, "turnover", inputs=inp,
                          smaller=lambda r: replace(m, max_turnover=r.required - 1))
    assert r.required == 373 + 53


def test_infeasible_cardinality():
    m = replace(BASE, max_instruments=1)
    err = _infeasible(m)
    assert set(err.conflicts) == {"sector_dv01[Treasury]", "sector_dv01[Corporate]",
                                  "max_instruments"}
    r = _check_relaxation(err, m, "max_instruments")
    assert r.required == 2


def test_infeasible_no_net_short():
    m = Limits(sector_targets={"Treasury": DV01Target(dv01=-200_000.0, tol_usd=100.0),
                                "Corporate": DV01Target(dv01=-50_000.0, tol_usd=100.0)},
                no_net_short=True)
    err = _infeasible(m)
    assert "no_net_short" in err.conflicts
    r = _check_relaxation(err, m, "no_net_short")
    # the least net-short integer hedge inside both bands
    assert 249_800.0 <= r.required <= 250_000.0


def test_infeasible_key_rate_band():
    m = replace(BASE, key_rate_bands={"tsy": (5_000.0, None)})
    err = _infeasible(m)
    assert "key_rate[tsy]" in err.conflicts
    _check_relaxation(err, m, "key_rate[tsy]")


# ---------------------------------------------------------------------------------------------
def test_update_inputs_resolves_with_the_new_numbers():
    prob = HedgeProblem(sector_inputs(), replace(BASE, margin_budget=20e6, max_instruments=2))
    r1 = prob.solve()
    inp2 = sector_inputs(sector_dv01=np.array([150_000.0, 250_000.0]),
                         sector_exposure=np.array([[150_000.0, 0.0], [0.0, 250_000.0]]))
    prob.update(inputs=inp2)
    r2 = prob.solve()
    fresh = solve(inp2, replace(BASE, margin_budget=20e6, max_instruments=2))
    assert r2.contracts == fresh.contracts != r1.contracts
    assert r2.contracts == {"ZNU5": round(-150_000 / TN_DV01), "SWAP10": round(-250_000 / SWAP_DV01)}
    assert r2.continuous_contracts["ZNU5"] == pytest.approx(-150_000 / TN_DV01, abs=1e-3)
    prob.update(mandate=replace(BASE, margin_budget=30e6, max_instruments=2))
    assert prob.solve().contracts == r2.contracts


def test_update_mandate_applies_new_limits():
    """update(mandate=...) with the same structure applies the new limits: a margin-budget
    frontier gets a different hedge per budget, equal to a fresh solve."""
    inp = sector_inputs()
    m0 = Limits(sector_targets=zero_targets(None), margin_budget=8e6)
    prob = HedgeProblem(inp, m0)
    seen = []
    for b in (8e6, 10e6, 12e6, 20e6):
        m = replace(m0, margin_budget=b)
        prob.update(mandate=m)
        r = prob.solve()
        rf = HedgeProblem(inp, m).solve()
        assert r.contracts == rf.contracts, b
        assert r.objective == pytest.approx(rf.objective, rel=1e-9)
        assert r.initial_margin <= b + 1e-6
        assert r.constraints[[c["name"] for c in r.constraints].index("margin")]["limit"] == b
        seen.append(tuple(r.contracts.values()))
    assert len(set(seen)) == 4  # every budget changes the optimal hedge


def test_add_constraint_and_describe():
    prob = HedgeProblem(sector_inputs(), BASE)
    prob.add_constraint(MarginBudget(7e6))
    descr = [c.describe() for c in prob.constraints]
    assert any("initial margin <= $7,000,000" in s for s in descr)
    with pytest.raises(InfeasibleMandate) as ei:
        prob.solve()
    assert "margin" in ei.value.conflicts


def test_statuses_limits_and_the_scip_engine():
    """The exact method and SCIP's textbook MIQP agree; a node limit gives a feasible hedge with
    its proven gap (never an unproven heuristic); no hedge within the limits is a failure."""
    m = Limits(sector_targets=zero_targets(200.0), margin_budget=20e6, max_instruments=2)
    ref = solve(sector_inputs(), m)
    scip = solve(sector_inputs(), m, method="scip")
    assert scip.solver["name"] == "SCIP" and scip.status == "optimal"
    assert scip.objective == pytest.approx(ref.objective, rel=1e-9)
    inp = sector_inputs(designations=np.ones((2, 2), bool), two_factors=False)
    wide = Limits(sector_targets=zero_targets(3_000.0), margin_budget=11e6)
    full = solve(inp, wide)
    try:
        capped = solve(inp, wide, node_limit=2)
    except SolverFailure:
        pass  # no hedge found within 2 nodes: an error, never an unproven hedge
    else:
        assert capped.status in ("optimal", "feasible_node_limit")
        assert capped.solver["bound"] <= full.objective * (1 + 1e-9)
        assert capped.solver["gap"] >= 0 and capped.objective >= full.objective * (1 - 1e-9)
        assert all(c["satisfied"] for c in capped.constraints)
    with pytest.raises(InputError):
        solve(sector_inputs(), m, method="heuristic")


def test_default_cap_notice_is_structured():
    res = solve(sector_inputs(), BASE)
    caps = [w for w in res.warnings if isinstance(w, Notice) and w.code == "default_contract_cap"]
    assert caps and "ZNU5" in caps[0].subject
    d = res.to_dict()
    assert any(isinstance(w, dict) and w["code"] == "default_contract_cap" for w in d["warnings"])


def test_net_short_portfolio_uses_absolute_market_value():
    """An all-short book (negative MV and DV01) is hedged: leverage and bp of MV use |MV|."""
    inp = sector_inputs(sector_exposure=-np.array([[TSY_DV01, 0.0], [0.0, CORP_DV01]]),
                        sector_dv01=-np.array([TSY_DV01, CORP_DV01]),
                        sector_market_value=-np.array([MV_T, MV_C]))
    res = solve(inp, replace(BASE, max_leverage=0.9))
    assert res.contracts == {"ZNU5": 2374, "SWAP10": 3054}
    gross = 2374 * 111_000 + 3054 * 100_500
    assert res.leverage_ratio == pytest.approx(gross / (MV_T + MV_C))
    assert res.te_after_bp == pytest.approx(res.te_after_usd / (MV_T + MV_C) * 1e4)
    with pytest.raises(InfeasibleMandate):
        solve(inp, replace(BASE, max_leverage=0.8), diagnose=False)  # needs 81.6% of |MV|


def test_explain_json_reverifies(tmp_path):
    prob = HedgeProblem(sector_inputs(), replace(BASE, max_leverage=1.0))
    res = prob.solve()
    path = tmp_path / "explain.json"
    out = prob.explain(str(path), result=res)
    data = json.loads(path.read_text())
    assert data["constraints"] and data["hard_box"]
    x, t = np.array(data["x_portfolio_exposure"]), np.array(data["t_target_exposure"])
    B, cov = np.array(data["B_instrument_exposure_by_factor"]), np.array(data["cov"])
    h = np.array([data["result"]["contracts"][n] for n in data["instruments"]])
    r = x + B @ h - t
    assert r @ cov @ r + data["resid_var"] == pytest.approx(res.objective, rel=1e-12)
    assert out["instruments"] == ["ZNU5", "SWAP10"]


def test_input_validation():
    with pytest.raises(InputError):
        sector_inputs(cov=np.array([[1.0, 2.0], [2.0, 1.0]]))  # not PSD
    with pytest.raises(InputError):
        sector_inputs(instrument_dv01=np.array([1.0]))
    with pytest.raises(InputError):
        DV01Target(dv01=1.0, duration=5.0)
    with pytest.raises(InputError):
        HedgeProblem(sector_inputs(), Limits(sector_targets={"Munis": DV01Target(dv01=0)}))


def test_duration_and_portfolio_targets():
    # whole-portfolio duration 3.0 -> DV01 target 3.0 x MV x 1e-4, shared by both sectors
    mv = MV_T + MV_C
    m = Limits(portfolio_target=DV01Target(duration=3.0, tol_usd=80.0))
    res = solve(sector_inputs(), m)
    assert res.portfolio["dv01_after"] == pytest.approx(3.0 * mv * 1e-4, abs=80.0)
    m2 = Limits(sector_targets={"Treasury": DV01Target(fraction_of_current=0.5,
                                                          tol_fraction=0.001)})
    res2 = solve(sector_inputs(), m2)
    assert res2.sectors[0]["dv01_after"] == pytest.approx(TSY_DV01 / 2, abs=TSY_DV01 * 0.001)
    assert res2.contracts["SWAP10"] == 0  # untargeted sector keeps its exposure


def test_free_allocation_pieces_are_real_positions():
    """Every instrument designated to every sector, only a portfolio band: every piece has the
    sign of its contract's total, so gross pieces = |total| (no offsetting designations)."""
    inp = sector_inputs(designations=np.ones((2, 2), bool))
    m = Limits(portfolio_target=DV01Target(dv01=0.0, tol_usd=1_000.0), margin_budget=20e6)
    res = solve(inp, m, time_limit=10)
    assert res.status == "optimal" and res.solver["gap"] <= 1e-9
    for name in inp.instruments:
        pieces = [a["contracts"] for a in res.allocation if a["instrument"] == name]
        assert sum(abs(p) for p in pieces) == abs(res.contracts[name]), res.allocation
        assert all(p * res.contracts[name] >= 0 for p in pieces)
