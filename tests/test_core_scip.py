"""The exact method's optimum equals SCIP's on random instances too large to enumerate by brute
force (SCIP solves the textbook MIQP: integer totals and pieces, sign binaries)."""

from __future__ import annotations

import numpy as np

from optimizer.core.compile import scip_textbook
from optimizer.core.errors import InfeasibleMandate
from optimizer.core.model import build_model
from optimizer.core.problem import DV01Target, HedgeInputs, HedgeProblem, Limits


def medium_instance(rng: np.random.Generator) -> tuple[HedgeInputs, Limits]:
    """3-6 instruments, 2-4 sectors, DV01s of real size, bounds of hundreds of contracts."""
    n_i, n_s, n_f = int(rng.integers(3, 7)), int(rng.integers(2, 5)), int(rng.integers(3, 7))
    des = rng.random((n_s, n_i)) < 0.5
    for s in range(n_s):
        des[s, rng.integers(n_i)] = True
    B = rng.uniform(10, 90, (n_i, n_f)) * (rng.random((n_i, n_f)) < 0.6)
    B[np.arange(n_i), rng.integers(0, n_f, n_i)] += 40.0
    X = rng.uniform(2e3, 2e4, (n_s, n_f)) * (rng.random((n_s, n_f)) < 0.7)
    A = rng.normal(size=(n_f, n_f)) * 25
    inp = HedgeInputs(
        factors=[f"f{k}" for k in range(n_f)], sectors=[f"s{k}" for k in range(n_s)],
        instruments=[f"i{k}" for k in range(n_i)], sector_exposure=X,
        sector_dv01=X.sum(axis=1), instrument_exposure=B, instrument_dv01=B.sum(axis=1),
        cov=A @ A.T + np.diag(rng.uniform(10, 400, n_f)), designations=des,
        notional=rng.uniform(9e4, 2.2e5, n_i), initial_margin=rng.uniform(1e3, 6e3, n_i),
        sector_market_value=X.sum(axis=1) / 6.0 * 1e4)
    tgt = {f"s{k}": DV01Target(fraction_of_current=float(rng.uniform(0, 0.6)),
                               tol_fraction=float(rng.uniform(0.02, 0.1))) for k in range(n_s)}
    margin = float(np.abs(inp.sector_dv01).sum() / B.sum(axis=1).mean() * 3e3 * rng.uniform(0.4, 1))
    m = Limits(sector_targets=tgt, margin_budget=margin, no_net_short=bool(rng.random() < 0.5),
               max_instruments=int(rng.integers(2, n_i + 1)) if rng.random() < 0.5 else None)
    return inp, m


def test_optimum_equals_scip_on_random_instances():
    compared = 0
    for seed in range(16):
        inp, m = medium_instance(np.random.default_rng(seed))
        model = build_model(inp, m)
        try:
            mine = HedgeProblem(inp, m).solve(diagnose=False)
        except InfeasibleMandate:
            assert model.box is None or scip_textbook(model, 20.0)["status"] == "infeasible"
            continue
        ref = scip_textbook(model, 20.0)
        assert mine.status == "optimal"
        if ref["status"] != "optimal":
            continue  # SCIP did not finish: nothing to compare
        obj = mine.objective / 1e6  # USD^2 -> $k^2
        assert abs(obj - ref["objective"]) <= 1e-7 * max(1.0, abs(ref["objective"])), seed
        compared += 1
    assert compared >= 6, compared
