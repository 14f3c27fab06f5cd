"""Integer sector pieces by interval rounding (optimizer.core.rounding) against brute force, and a
batch-family account (the hard case that motivated it) against SCIP with sign binaries."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from optimizer.core.coupled import CoupledPieces
from optimizer.core.model import build_model
from optimizer.core.problem import DV01Target, HedgeInputs, Limits

# real contract DV01s (ZT, ZN, TN, SSF5 on 2025-07-11, USD per contract)
DV01 = np.array([36.21, 64.94, 86.10, 45.46])
# contract 0 may hedge sectors A-C, 1 A, B and D (D's only contract: its band then bounds that
# piece away from 0), 2 and 3 one sector each
DES = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 0, 0]], bool)


def _model(rng: np.random.Generator):
    """A book hedged exactly by some short pieces ``y0`` (then bands a contract or two wide
    around zero, so that rounding decides), and the totals of ``y0``."""
    y0 = np.zeros((4, 4))
    y0[DES] = -rng.integers(0, 5, int(DES.sum()))
    sd = -(y0 * DV01).sum(axis=1) + rng.uniform(-20, 20, 4)
    inputs = HedgeInputs(
        factors=["f"], sectors=["A", "B", "C", "D"], instruments=["ZT", "ZN", "TN", "SSF5"],
        sector_exposure=sd[:, None], sector_dv01=sd, instrument_exposure=DV01[:, None],
        instrument_dv01=DV01, cov=np.array([[100.0]]), designations=DES)
    targets = {s: DV01Target(dv01=0.0, tol_usd=float(rng.uniform(20.0, 45.0))) for s in "ABCD"}
    return build_model(inputs, Limits(sector_targets=targets)), y0.sum(axis=0)


def _brute(model, h: np.ndarray) -> bool:
    """Some integer pieces of the totals' signs summing to h meet every band (Fractions)."""
    d = model.data
    bands = [f for f in model.forms.linear("y")]
    per_contract = []
    for i in range(d.I):
        ps = np.nonzero(d.piece_instrument == i)[0]
        n, sg = int(abs(h[i])), (1 if h[i] >= 0 else -1)
        opts = [c for c in itertools.product(range(n + 1), repeat=len(ps)) if sum(c) == n]
        per_contract.append([(ps, [sg * v for v in c]) for c in opts])
    for combo in itertools.product(*per_contract):
        y = [0] * d.P
        for ps, vals in combo:
            for p, v in zip(ps, vals, strict=True):
                y[int(p)] = v
        if all(Fraction(f.lo) <= Fraction(f.offset) + sum(
                (Fraction(float(a)) * v for a, v in zip(f.coef, y, strict=True)), Fraction(0))
                <= Fraction(f.hi) for f in bands):
            return True
    return False


def _valid(model, h: np.ndarray, y: np.ndarray) -> bool:
    from optimizer.core.exact import exact_check

    return not exact_check(model.forms, h, y, model.data.piece_instrument)


@pytest.mark.parametrize("seed", range(6))
def test_interval_rounding_decides_exactly_as_brute_force(seed):
    rng = np.random.default_rng(seed)
    seen = {True: 0, False: 0}
    for _ in range(25):
        model, h0 = _model(rng)
        r = CoupledPieces(model)
        h = np.minimum(h0 + rng.integers(-1, 2, 4) * (rng.random(4) < 0.3), 0.0)
        truth = _brute(model, h)
        decided, ok = r.test(h[None])
        if decided[0]:
            got = bool(ok[0])
            y = r.pieces(h) if got else None
        else:
            known, y = r.coupled(h)
            assert known  # small totals: the placements are always listed here
            got = y is not None
        assert got == truth, (seed, h.tolist())
        if got:
            assert _valid(model, h, y)  # the pieces it builds meet every band exactly
        seen[truth] += 1
    assert seen[True] >= 3 and seen[False] >= 3, seen  # both outcomes are exercised


def test_batch_account_optimum_matches_scip_with_sign_binaries():
    """acct0191 of benchmarks/bench_batch's generator: every sector band binds together with
    the leverage limit, and SSF5 needs 4 contracts (before: SCIP leaves, 1.3 s; a near-twin,
    acct0137, 57 s). Reference: SCIP on the textbook MIQP with sign binaries."""
    pytest.importorskip("benchmarks.batch_family")
    from benchmarks.batch_family import account_problem
    from optimizer.core.compile import scip_textbook
    from optimizer.core.problem import HedgeProblem

    inputs, limits = account_problem(191)
    res = HedgeProblem(inputs, limits).solve()
    assert res.solver["status"] == "optimal" and res.solver["gap"] == 0.0
    ref = scip_textbook(build_model(inputs, limits), time_limit=120.0)
    assert ref["status"] == "optimal"
    obj_k2 = res.solver["objective"] / 1e6
    assert abs(obj_k2 - ref["objective"]) <= 1e-7 * abs(ref["objective"])


# two shared contracts over the same three sectors (ZF and ZN across Treasury/Agency/Corporate on
# the batch family) and a single-sector one; bands narrower than a contract's DV01
DV01_C = np.array([41.76, 64.94, 86.10])
DES_C = np.array([[1, 1, 1], [1, 1, 0], [1, 1, 0]], bool)  # sectors x contracts


def _coupled_model(rng: np.random.Generator):
    y0 = np.zeros((3, 3))
    y0[DES_C] = -rng.integers(0, 4, int(DES_C.sum()))
    sd = -(y0 * DV01_C).sum(axis=1) + rng.uniform(-15, 15, 3)
    inputs = HedgeInputs(
        factors=["f"], sectors=["A", "B", "C"], instruments=["ZF", "ZN", "TN"],
        sector_exposure=sd[:, None], sector_dv01=sd, instrument_exposure=DV01_C[:, None],
        instrument_dv01=DV01_C, cov=np.array([[100.0]]), designations=DES_C)
    targets = {s: DV01Target(dv01=0.0, tol_usd=float(rng.uniform(3.0, 30.0))) for s in "ABC"}
    return build_model(inputs, Limits(sector_targets=targets)), y0.sum(axis=0)


def _decide_like_brute_force(model, h: np.ndarray, seed: int) -> bool:
    """Decide totals ``h`` as the solver does (decoupled test, else windowed placements, plus
    the batched paths) and assert the same answer as brute force and valid pieces; returns
    the brute-force truth."""
    r = CoupledPieces(model)
    truth = _brute(model, h)
    decided, ok = r.test(h[None])
    if decided[0]:
        got, y = bool(ok[0]), r.pieces(h)
    else:
        known, y = r.coupled(h)
        assert known
        got = y is not None
        _check_batch_paths(r, h, truth)
    assert got == truth, (seed, h.tolist())
    if got:
        assert _valid(model, h, y)
    return truth


@pytest.mark.parametrize("seed", range(4))
def test_coupled_pieces_with_tight_windows_match_brute_force(seed):
    """Two shared contracts nonzero in the same banded sectors (outside the decoupled case):
    the windowed placements (:meth:`CoupledPieces.coupled`) decide exactly as enumerating
    every integer split of both totals, and the pieces they build meet every band."""
    rng = np.random.default_rng(100 + seed)
    seen = {True: 0, False: 0}
    for _ in range(30):
        model, h0 = _coupled_model(rng)
        h = np.minimum(h0 + rng.integers(-1, 2, 3), 0.0)
        seen[_decide_like_brute_force(model, h, seed)] += 1
    assert seen[True] >= 3 and seen[False] >= 3, seen


# two components: ZF and ZN over sectors A-C, SSF10 over D and E (each sector band tightened by
# its own component's total only); TN hedges A alone
DV01_K = np.array([41.76, 64.94, 86.10, 82.72])
DES_K = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]], bool)


def _two_component_model(rng: np.random.Generator):
    y0 = np.zeros((5, 4))
    y0[DES_K] = -rng.integers(0, 4, int(DES_K.sum()))
    sd = -(y0 * DV01_K).sum(axis=1) + rng.uniform(-15, 15, 5)
    inputs = HedgeInputs(
        factors=["f"], sectors=list("ABCDE"), instruments=["ZF", "ZN", "TN", "SSF10"],
        sector_exposure=sd[:, None], sector_dv01=sd, instrument_exposure=DV01_K[:, None],
        instrument_dv01=DV01_K, cov=np.array([[100.0]]), designations=DES_K)
    targets = {s: DV01Target(dv01=0.0, tol_usd=float(rng.uniform(3.0, 60.0))) for s in "ABCDE"}
    return build_model(inputs, Limits(sector_targets=targets)), y0.sum(axis=0)


@pytest.mark.parametrize("seed", range(3))
def test_coupled_pieces_per_component_match_brute_force(seed):
    """Sector windows tightened per component of linked sectors (a wide band elsewhere must not
    loosen them, nor a tight one elsewhere cut them): same decisions as brute force."""
    rng = np.random.default_rng(200 + seed)
    seen = {True: 0, False: 0}
    for _ in range(30):
        model, h0 = _two_component_model(rng)
        if model.box is None:  # the bands alone admit no pieces (proven at build time)
            continue
        h = np.minimum(h0 + rng.integers(-1, 2, 4) * (rng.random(4) < 0.3), 0.0)
        seen[_decide_like_brute_force(model, h, seed)] += 1
    assert seen[True] >= 3 and seen[False] >= 3, seen


def _check_batch_paths(r: CoupledPieces, h: np.ndarray, truth: bool) -> None:
    """The vectorized paths for many candidates agree with brute force: the one-piece window
    filter never rejects totals that have pieces, and the batched placements decide exactly."""
    assert not (r.window_reject(h[None])[0] and truth)
    dec, ok = r.coupled_many(np.vstack([h, h]))
    if dec[0]:
        assert bool(ok[0]) == truth and bool(ok[1]) == truth


@pytest.mark.parametrize("seed", range(3))
def test_pieces_decisions_of_highs_and_scip_match_brute_force(seed, monkeypatch):
    """The integer program's decision (:meth:`Pieces.decide`: HiGHS, and SCIP when HiGHS does
    not decide in time) against brute force, with the SCIP path forced (HiGHS given no time):
    "found" pieces meet every band exactly, "none" only when no split exists."""
    from optimizer.core.pieces import Pieces, ScipPieces

    rng = np.random.default_rng(300 + seed)
    seen = {True: 0, False: 0}
    for k in range(30):
        model, h0 = _coupled_model(rng)
        h = np.minimum(h0 + rng.integers(-1, 2, 3), 0.0)
        truth = _brute(model, h)
        for st, y in (Pieces(model).decide(h), ScipPieces(model).decide(h)):
            assert st in ("found", "none"), (seed, k, st)
            assert (st == "found") == truth, (seed, k, h.tolist())
            if y is not None:
                assert _valid(model, h, y)
        seen[truth] += 1
    monkeypatch.setattr(Pieces, "_highs_run",  # HiGHS undecided: SCIP decides
                        lambda self, h, nice, t: ("undecided", None))
    model, h0 = _coupled_model(rng)
    pc = Pieces(model)
    st, _ = pc.decide(np.minimum(h0, 0.0))
    assert st == "found" and pc.scip is not None and pc.scip.calls == 1
    assert seen[True] >= 3 and seen[False] >= 3, seen
