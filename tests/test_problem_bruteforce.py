"""The integer hedge equals an independent brute-force enumeration on random small instances.

The brute force below does not use optimizer code: it enumerates every integer allocation in the
stated per-contract box, keeps the real positions (every piece of its contract's sign: no-wash),
and evaluates objective and constraints in plain numpy. Infeasible instances: every diagnosed
smallest change equals the brute-force minimum of that limit with the others as stated.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizer.core.errors import InfeasibleMandate
from optimizer.core.problem import DV01Target, HedgeInputs, HedgeProblem, Limits

N_INSTANCES = 220
RTOL = 1e-9


def random_instance(rng: np.random.Generator):
    n_i = int(rng.integers(1, 5))
    n_s = int(rng.integers(1, 4))
    n_f = int(rng.integers(1, 5))
    while True:
        des = rng.random((n_s, n_i)) < 0.5
        for s in range(n_s):
            if not des[s].any():
                des[s, rng.integers(n_i)] = True
        if des.sum() <= 6:
            break
    inst_exp = rng.uniform(5, 40, (n_i, n_f)) * rng.choice([1, 1, 1, -0.3], (n_i, n_f))
    inst_dv01 = inst_exp.sum(axis=1)
    sec_exp = rng.uniform(-60, 160, (n_s, n_f))
    sec_dv01 = sec_exp.sum(axis=1) * rng.uniform(0.9, 1.1, n_s)  # "beta-adjusted"
    A = rng.normal(size=(n_f, n_f)) * 30
    cov = A @ A.T + np.diag(rng.uniform(1, 50, n_f))
    if rng.random() < 0.2 and n_f > 1:  # singular covariance
        v = rng.normal(size=(n_f, 1)) * 40
        cov = v @ v.T
    smv = rng.uniform(1e5, 3e5, n_s)
    notional = rng.uniform(9e4, 2.2e5, n_i)
    im = rng.uniform(1e3, 6e3, n_i)
    h0 = rng.integers(-2, 3, n_i).astype(float)
    cost = rng.uniform(0, 30, n_i)
    inputs = HedgeInputs(
        factors=[f"f{k}" for k in range(n_f)], sectors=[f"s{k}" for k in range(n_s)],
        instruments=[f"i{k}" for k in range(n_i)], sector_exposure=sec_exp, sector_dv01=sec_dv01,
        instrument_exposure=inst_exp, instrument_dv01=inst_dv01, cov=cov, designations=des,
        notional=notional, initial_margin=im, sector_market_value=smv,
        sector_resid_var=rng.uniform(0, 1e6, n_s), current=h0, cost_per_contract=cost)
    # mandate
    bmax = int(rng.integers(1, 4))
    lower = {f"i{k}": -int(rng.integers(0, bmax + 1)) for k in range(n_i)}
    upper = {f"i{k}": int(rng.integers(0, bmax + 1)) for k in range(n_i)}
    sides = {f"i{k}": str(rng.choice(["both", "both", "long", "short"])) for k in range(n_i)}
    targets = {}
    for s in range(n_s):
        u = rng.random()
        if u < 0.35:
            targets[f"s{s}"] = DV01Target(dv01=float(rng.uniform(-50, 80)),
                                            tol_usd=float(rng.uniform(10, 120)))
        elif u < 0.55:
            targets[f"s{s}"] = DV01Target(fraction_of_current=float(rng.uniform(0, 0.8)),
                                            tol_fraction=float(rng.uniform(0.2, 1.5)))
        elif u < 0.75:
            targets[f"s{s}"] = DV01Target(dv01=0.0)  # objective only
    kr = {}
    if rng.random() < 0.3:
        f = int(rng.integers(n_f))
        c = float(sec_exp[:, f].sum())
        kr[f"f{f}"] = (c - float(rng.uniform(20, 200)), None if rng.random() < 0.5
                       else c + float(rng.uniform(-20, 100)))
    scale_notional = float(notional.mean()) * bmax * n_i / smv.sum()
    mandate = Limits(
        sector_targets=targets, key_rate_bands=kr,
        max_leverage=float(rng.uniform(0.3, 1.2) * scale_notional) if rng.random() < 0.4
        else None,
        margin_budget=float(rng.uniform(0.3, 1.2) * im.mean() * bmax * n_i)
        if rng.random() < 0.4 else None,
        no_net_short=bool(rng.random() < 0.4),
        lower=lower, upper=upper, sides=sides,
        max_turnover=float(rng.integers(1, 2 * bmax * n_i + 1)) if rng.random() < 0.4 else None,
        max_instruments=int(rng.integers(1, n_i + 1)) if rng.random() < 0.4 else None,
        cost_weight=float(rng.uniform(0, 3e3)) if rng.random() < 0.3 else 0.0)
    return inputs, mandate


def enumerate_all(inp: HedgeInputs, m: Limits):
    """Every integer allocation in the stated per-contract box, with the no-wash rule and each
    constraint's "usage" (the limit it needs) computed independently in plain numpy.

    Returns (obj, T, masks, usage, nowash): obj (N,) objective USD^2; T (N, I) totals;
    masks: constraint name -> (N,) bool; usage: name -> (N,) needed limit; nowash (N,) bool."""
    S, n_i = inp.designations.shape
    pairs = [(s, i) for s in range(S) for i in range(n_i) if inp.designations[s, i]]
    lo = np.array([m.lower.get(n, -np.inf) for n in inp.instruments], float)
    hi = np.array([m.upper.get(n, np.inf) for n in inp.instruments], float)
    for k, n in enumerate(inp.instruments):
        if m.sides.get(n) == "long":
            lo[k] = max(lo[k], 0)
        if m.sides.get(n) == "short":
            hi[k] = min(hi[k], 0)
    ranges = [range(int(min(lo[i], 0)), int(max(hi[i], 0)) + 1) for (_, i) in pairs]
    Y = np.array(list(itertools.product(*ranges)), float).reshape(-1, len(pairs))
    T = np.zeros((Y.shape[0], n_i))
    SA = np.tile(inp.sector_dv01.astype(float), (Y.shape[0], 1))
    for p, (s, i) in enumerate(pairs):
        T[:, i] += Y[:, p]
        SA[:, s] += Y[:, p] * inp.instrument_dv01[i]
    pi = np.array([i for _, i in pairs], int)
    nowash = np.all(Y * T[:, pi] >= 0, axis=1) & np.all((T[:, pi] != 0) | (Y == 0), axis=1)
    # target exposure: each targeted sector's exposure scaled by target / current DV01
    x = inp.sector_exposure.sum(axis=0)
    t = np.zeros_like(x)
    tgts = {}
    for s, name in enumerate(inp.sectors):
        spec = m.sector_targets.get(name)
        cur = inp.sector_dv01[s]
        tgt = cur if spec is None else (spec.dv01 if spec.dv01 is not None
                                        else spec.fraction_of_current * cur)
        tgts[name] = tgt
        t += tgt / cur * inp.sector_exposure[s]
    E = x + T @ inp.instrument_exposure  # (N, F) hedged exposure
    R = E - t
    obj = np.einsum("nf,fg,ng->n", R, inp.cov, R) + inp.sector_resid_var.sum()
    obj = obj + m.cost_weight * (np.abs(T - inp.current) @ inp.cost_per_contract)
    usage, limit = _usages(inp, m, T, SA, E, tgts, lo, hi)
    masks = {k: usage[k] <= limit[k] + RTOL * max(1.0, abs(limit[k])) for k in usage}
    return obj, T, masks, usage, nowash


def _usages(inp, m, T, SA, E, tgts, lo, hi):
    usage, limit = {}, {}
    for s, name in enumerate(inp.sectors):
        spec = m.sector_targets.get(name)
        if spec is None or not spec.has_band:
            continue
        cur = inp.sector_dv01[s]
        usage[f"sector_dv01[{name}]"] = np.abs(SA[:, s] - tgts[name])
        limit[f"sector_dv01[{name}]"] = (spec.tol_usd if spec.tol_usd is not None
                                         else spec.tol_fraction * abs(cur))
    for f, (blo, bhi) in m.key_rate_bands.items():
        k = inp.factors.index(f)
        out = np.zeros(len(T))
        if blo is not None:
            out = np.maximum(out, blo - E[:, k])
        if bhi is not None:
            out = np.maximum(out, E[:, k] - bhi)
        usage[f"key_rate[{f}]"], limit[f"key_rate[{f}]"] = out, 0.0
    mv = abs(inp.sector_market_value.sum())
    if m.max_leverage is not None:
        usage["leverage"], limit["leverage"] = np.abs(T) @ inp.notional / mv, m.max_leverage
    if m.margin_budget is not None:
        usage["margin"], limit["margin"] = np.abs(T) @ inp.initial_margin, m.margin_budget
    if m.no_net_short:
        usage["no_net_short"] = np.maximum(m.net_dv01_floor - SA.sum(axis=1), 0.0)
        limit["no_net_short"] = 0.0
    if m.max_turnover is not None:
        usage["turnover"] = np.abs(T - inp.current).sum(axis=1)
        limit["turnover"] = m.max_turnover
    if m.max_instruments is not None:
        usage["max_instruments"] = (np.abs(T) > 0.5).sum(axis=1).astype(float)
        limit["max_instruments"] = m.max_instruments
    usage["contract_bounds"] = np.maximum(np.maximum(lo - T, T - hi), 0).max(axis=1)
    limit["contract_bounds"] = 0.0
    return usage, limit


def brute_force(inp: HedgeInputs, m: Limits):
    """Independent enumeration: (best objective, best totals, extra) or (None, None, 0)."""
    obj, T, masks, _, nowash = enumerate_all(inp, m)
    ok = nowash.copy()
    for mk in masks.values():
        ok &= mk
    if not ok.any():
        return None, None, 0
    k = int(np.argmin(np.where(ok, obj, np.inf)))
    return float(obj[k]), T[k], (int(ok.sum()), obj, T, ok)


def _chunk(k: int):
    return range(k * N_INSTANCES // 2, (k + 1) * N_INSTANCES // 2)


@pytest.mark.parametrize("part", [0, 1])
def test_integer_optimum_equals_brute_force(part):
    n_opt = n_inf = 0
    for seed in _chunk(part):
        rng = np.random.default_rng(seed)
        inp, m = random_instance(rng)
        best, best_T, extra = brute_force(inp, m)
        prob = HedgeProblem(inp, m)
        if best is None:
            with pytest.raises(InfeasibleMandate):
                prob.solve(diagnose=False)
            n_inf += 1
            continue
        res = prob.solve()
        n_opt += 1
        assert res.status == "optimal", (seed, res.status, res.warnings)
        assert abs(res.objective - best) <= RTOL * max(1.0, abs(best)), (seed, res.objective,
                                                                          best, res.contracts,
                                                                          best_T)
        # the reported hedge meets every stated constraint per the independent check
        _, obj, T, feas = extra
        h = res.h
        rows = np.where(np.all(T == h, axis=1))[0]
        assert any(feas[r] for r in rows), (seed, res.contracts)
        assert all(c["satisfied"] for c in res.constraints)
        # the rounded continuous point is reported with its broken constraints
        assert isinstance(res.rounded_broken, list)
        assert res.te_continuous_usd <= res.te_after_usd + 1e-6 * res.te_after_usd + 1e-6 \
            or m.cost_weight > 0
    assert n_opt >= 30 and n_inf >= 5, (n_opt, n_inf)


# rounding of a stated minimum: cents of USD, 1e-6 of a ratio, whole contracts / instruments
UNIT = {"leverage": 1e-6, "turnover": 1.0, "max_instruments": 1.0}


def test_diagnosis_minima_equal_brute_force():
    """For infeasible random mandates, each stated smallest change is the brute-force minimum of
    that limit over real positions meeting every other constraint (rounded up to its unit), and
    the relaxed mandate is feasible by brute force."""
    checked = compared = 0
    for seed in range(1000, 1600):
        inp, m = random_instance(np.random.default_rng(seed))
        obj, T, masks, usage, nowash = enumerate_all(inp, m)
        if np.any(nowash & np.all(np.array(list(masks.values())), axis=0)):
            continue
        with pytest.raises(InfeasibleMandate) as ei:
            HedgeProblem(inp, m).solve()
        err = ei.value
        assert err.conflicts
        for r in err.suggestions:
            assert r.verified and "verified" in r.message
            assert brute_force(inp, r.apply(m))[0] is not None, (seed, r.message)
            if r.constraint == "contract_bounds":
                continue  # the widened box is larger than the one enumerated here
            others = nowash.copy()
            for k, mk in masks.items():
                if k != r.constraint:
                    others &= mk
            best = float(usage[r.constraint][others].min())
            unit = UNIT.get(r.constraint, 0.01)
            stated = r.required
            if r.constraint.startswith("key_rate") or r.constraint == "no_net_short":
                stated = r.t  # the widening itself
            assert best - 1e-6 * max(1.0, abs(best)) <= stated <= best + unit + 1e-9 * abs(best), \
                (seed, r.constraint, stated, best)
            compared += 1
        checked += 1
        if checked >= 40:
            break
    assert checked >= 20 and compared >= 20, (checked, compared)
