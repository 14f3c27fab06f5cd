"""Property tests (hypothesis) on random abstract mandates: every result is a hedge of real
positions meeting every stated constraint -- recomputed here from the inputs and the reported
allocation, not from the solver's own numbers -- or an InfeasibleMandate."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.core.errors import InfeasibleMandate
from optimizer.core.problem import HedgeProblem
from tests.test_problem_bruteforce import random_instance

TOL = 1e-9


def _check(inp, m, res) -> None:
    names, sectors = inp.instruments, inp.sectors
    h = np.array([res.contracts[n] for n in names], float)
    # real positions: pieces add up to the totals and never oppose them
    tot = dict.fromkeys(names, 0)
    sec_after = dict(zip(sectors, inp.sector_dv01.astype(float), strict=True))
    for a in res.allocation:
        i = names.index(a["instrument"])
        assert inp.designations[sectors.index(a["sector"]), i]
        assert a["contracts"] * h[i] >= 0 and (h[i] != 0 or a["contracts"] == 0), a
        tot[a["instrument"]] += a["contracts"]
        sec_after[a["sector"]] += a["contracts"] * inp.instrument_dv01[i]
    assert [tot[n] for n in names] == [int(v) for v in h]
    for s, spec in m.sector_targets.items():  # bands, from the recomputed sector DV01s
        if spec.has_band:
            k = sectors.index(s)
            tgt, tol = spec.resolve(float(inp.sector_dv01[k]), float(inp.sector_market_value[k]))
            assert abs(sec_after[s] - tgt) <= tol * (1 + TOL) + TOL * max(1, abs(tgt)), s
    if m.max_instruments is not None:  # K counts contracts with a nonzero total
        assert int(np.count_nonzero(h)) <= m.max_instruments
    mv = abs(float(inp.portfolio_market_value))
    if m.margin_budget is not None:
        assert np.abs(h) @ inp.initial_margin <= m.margin_budget * (1 + TOL) + TOL
    if m.max_leverage is not None:
        assert np.abs(h) @ inp.notional <= m.max_leverage * mv * (1 + TOL) + TOL
    if m.max_turnover is not None:
        assert np.abs(h - inp.current).sum() <= m.max_turnover + TOL
    expo = inp.sector_exposure.sum(axis=0) + h @ inp.instrument_exposure
    for f, (lo, hi) in m.key_rate_bands.items():
        e = expo[inp.factors.index(f)]
        assert (lo is None or e >= lo - TOL * max(1, abs(lo))) and \
            (hi is None or e <= hi + TOL * max(1, abs(hi)))
    if m.no_net_short:
        assert sum(sec_after.values()) >= m.net_dv01_floor - TOL * max(1, abs(m.net_dv01_floor))
    assert res.solver["exact_check"] and res.status == "optimal"
    assert all(c["satisfied"] for c in res.constraints)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_every_result_is_real_and_feasible_or_infeasible(seed):
    inp, m = random_instance(np.random.default_rng(seed))
    try:
        res = HedgeProblem(inp, m).solve(diagnose=False)
    except InfeasibleMandate:
        return
    _check(inp, m, res)
