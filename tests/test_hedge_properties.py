"""Property test (issue 11): on the bundled portfolio, for >= 200 random mandates, every hedge is
made of real positions and meets its stated mandate -- or the mandate is reported infeasible.

One assembled context is reused (default portfolio and mandate on 2025-07-11, instruments
restricted to ZN, TN, ZB and the 5-year SOFR swap future: ZN may hedge all three sectors, where
offsetting "paper" designations used to appear, and each solve takes ~0.1 s); each example
varies the mandate's numbers (sector targets and tolerances, margin budget, leverage, K,
no-net-short). Every check recomputes from the net positions and the instruments' contract
DV01s, margins and notionals, independently of the solver's own reported figures:

* no designated piece has the sign opposite to its contract's net position, and the pieces of a
  contract add up to its net;
* each sector's DV01 after hedge = its DV01 + sum of its pieces x contract DV01 is within
  ``target +- tolerance`` as the mandate states them (target and tolerance recomputed here);
* K counts the contracts with a nonzero net, and a contract with a zero net has no pieces;
* margin and gross leverage (of |MV|) within their limits; no net short when stated;
* otherwise the solve raises InfeasibleMandate (the CLI's exit 3).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from optimizer.assemble import build_context
from optimizer.core.errors import InfeasibleMandate
from optimizer.core.problem import DV01Target, solve
from optimizer.mandate import apply_overrides, load_mandate


@cache
def _context():
    m = apply_overrides(load_mandate(), instruments=["ZN", "TN", "ZB", "SSF5"])
    return build_context(None, m, "2025-07-11")


targets = st.fixed_dictionaries({
    s: st.tuples(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),   # fraction of current DV01
                 st.floats(0.005, 0.10))                        # tolerance, fraction of current
    for s in ("Treasury", "Agency", "Corporate")})
limits = st.fixed_dictionaries({
    "margin_budget": st.one_of(st.none(), st.floats(2e6, 20e6)),
    "max_leverage": st.one_of(st.none(), st.floats(0.2, 1.5)),
    "max_instruments": st.one_of(st.none(), st.integers(1, 4)),
    "no_net_short": st.booleans()})


def _check(ctx, mandate, res) -> None:
    inp = ctx.inputs
    names = list(inp.instruments)
    net = {n: int(res.contracts[n]) for n in names}
    pieces: dict[str, list[int]] = {n: [] for n in names}
    after = dict(zip(inp.sectors, inp.sector_dv01.astype(float), strict=True))
    for a in res.allocation:
        n, y = a["instrument"], int(a["contracts"])
        assert y * net[n] >= 0, f"{n} piece {y:+d} ({a['sector']}) against its net {net[n]:+d}"
        pieces[n].append(y)
        after[a["sector"]] += y * float(inp.instrument_dv01[names.index(n)])
    for n in names:
        assert sum(pieces[n]) == net[n]
        if net[n] == 0:
            assert not any(pieces[n]), f"{n}: pieces {pieces[n]} with a zero net"
    for k, s in enumerate(inp.sectors):
        spec = mandate.sector_targets[s]
        cur = float(inp.sector_dv01[k])
        target = spec.fraction_of_current * cur
        tol = spec.tol_fraction * abs(cur)
        assert abs(after[s] - target) <= tol * (1 + 1e-9) + 1e-6, (s, after[s], target, tol)
    h = np.array([net[n] for n in names], float)
    mv = abs(float(inp.portfolio_market_value))
    if mandate.max_instruments is not None:
        assert int(np.count_nonzero(h)) <= mandate.max_instruments
    if mandate.margin_budget is not None:
        assert np.abs(h) @ inp.initial_margin <= mandate.margin_budget * (1 + 1e-9)
    if mandate.max_leverage is not None:
        assert np.abs(h) @ inp.notional <= mandate.max_leverage * mv * (1 + 1e-9)
    if mandate.no_net_short:
        assert float(inp.sector_dv01.sum() + h @ inp.instrument_dv01) >= -1e-6


# no shrinking: each example is a ~0.1 s integer solve; a failure is reported as found
@settings(max_examples=200, deadline=None, derandomize=True, report_multiple_bugs=False,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(t=targets, lim=limits)
def test_random_mandates_give_real_positions_meeting_every_band(t, lim):
    ctx = _context()
    st_ = {s: DV01Target(fraction_of_current=f, tol_fraction=tol) for s, (f, tol) in t.items()}
    mandate = replace(ctx.problem_mandate, sector_targets=st_, **lim)
    try:
        res = solve(ctx.inputs, mandate, time_limit=5.0, diagnose=False)
    except InfeasibleMandate:
        return  # exit 3: a stated infeasibility, never a hedge that breaks the mandate
    _check(ctx, mandate, res)
