"""The node's integer box (optimizer.core.nodebox) against brute force: it holds every integer
hedge of the node (totals and pieces, listed one by one and checked in exact arithmetic), is
empty only when the node holds none, and is tighter than the no-wash box where a sector band
leaves one free integer -- which raises the node's bound."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from optimizer.core.exact import exact_check
from optimizer.core.model import build_model
from optimizer.core.nodebox import NodeBox
from optimizer.core.problem import DV01Target, HedgeInputs, Limits
from optimizer.core.relax import NodeQP

DV01 = np.array([36.21, 64.94, 86.10])  # ZT, ZN, TN on 2025-07-11, USD per contract
# ZT may hedge A and B, ZN A, B and C (C's only contract), TN A only
DES = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 0]], bool)
NOTIONAL = np.array([207_000.0, 112_000.0, 118_000.0])


def _model(rng: np.random.Generator, leverage: bool):
    """Sectors hedged within a few dollars by some short pieces (so that nodes hold hedges and
    the bands are a contract or two wide)."""
    y0 = np.zeros((3, 3))
    y0[DES] = -rng.integers(0, 3, int(DES.sum()))
    sd = -(y0 * DV01).sum(axis=1) + rng.uniform(-10.0, 10.0, 3)
    inputs = HedgeInputs(
        factors=["f"], sectors=["A", "B", "C"], instruments=["ZT", "ZN", "TN"],
        sector_exposure=sd[:, None], sector_dv01=sd, instrument_exposure=DV01[:, None],
        instrument_dv01=DV01, cov=np.array([[100.0]]), designations=DES,
        notional=NOTIONAL, portfolio_market_value=2e6)
    targets = {s: DV01Target(dv01=0.0, tol_usd=float(rng.uniform(10.0, 40.0))) for s in "ABC"}
    gross = float(np.abs(y0.sum(axis=0)) @ NOTIONAL)  # leverage at or near binding
    limits = Limits(sector_targets=targets, max_leverage=gross * float(rng.uniform(0.95, 1.3))
                    / 2e6 if leverage else None, lower={n: -8 for n in ("ZT", "ZN", "TN")},
                    upper={n: 8 for n in ("ZT", "ZN", "TN")})
    return build_model(inputs, limits), y0.sum(axis=0)


def _integer_hedges(model, lo: np.ndarray, hi: np.ndarray) -> list[tuple[list, list]]:
    """Every (h, y) of the node box that meets every constraint (exact arithmetic)."""
    d = model.data
    out = []
    for h in itertools.product(*[range(int(a), int(b) + 1) for a, b in zip(lo, hi, strict=True)]):
        per = []
        for i in range(d.I):
            ps = np.nonzero(d.piece_instrument == i)[0]
            n, sg = abs(h[i]), (1 if h[i] >= 0 else -1)
            per.append([(ps, [sg * v for v in c])
                        for c in itertools.product(range(n + 1), repeat=len(ps)) if sum(c) == n])
        for combo in itertools.product(*per):
            y = [0] * d.P
            for ps, vals in combo:
                for p, v in zip(ps, vals, strict=True):
                    y[int(p)] = v
            if not exact_check(model.forms, np.array(h, float), np.array(y, float),
                               d.piece_instrument):
                out.append((list(h), y))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_node_box_holds_every_integer_hedge_of_the_node(seed):
    rng = np.random.default_rng(seed)
    with_hedges = 0
    for trial in range(6):
        model, h0 = _model(rng, leverage=trial % 2 == 0)
        if model.box is None:
            continue
        nbx = NodeBox(model)
        I = model.data.I  # noqa: E741
        g_lo, g_hi = model.box[0][:I], model.box[1][:I]
        # a node: every contract on one side of 0, around the hedge the book was built from
        # (mostly its short side; sometimes the other), inside the global box
        side = (rng.random(I) < 0.15).astype(int)
        # (the hedge often on the node's boundary, where a wrong rounding would cut it)
        lo = np.where(side == 1, 0, np.maximum(h0 - rng.integers(0, 3, I), -5))
        hi = np.where(side == 1, 2, np.minimum(h0 + rng.integers(0, 2, I), 0))
        lo, hi = lo.clip(g_lo, g_hi).astype(float), hi.clip(g_lo, g_hi).astype(float)
        if np.any(lo > hi):
            continue
        hedges = _integer_hedges(model, lo, hi)
        got = nbx.tighten(lo, hi)
        if got is None:
            assert not hedges, (seed, trial)
            continue
        blo, bhi, (ylo, yhi) = got
        with_hedges += bool(hedges)
        for h, y in hedges:
            assert np.all(blo <= h) and np.all(np.array(h) <= bhi), (seed, trial, h)
            assert np.all(ylo <= y) and np.all(np.array(y) <= yhi), (seed, trial, h, y)
    assert with_hedges >= 1  # nodes that hold hedges are exercised


def test_one_free_integer_in_a_band_rounds_and_raises_the_bound():
    """Sector C may be hedged by ZT and ZN; in a node where ZT is zero its band leaves ZN's piece
    in [-2.19, -1.20] continuously, -2 in integers. The global box cannot know this (ZT may be
    nonzero elsewhere); the node box does, and the node's bound -- every ZN contract adds basis
    variance -- rises, staying below the brute-force optimum of the node."""
    sd = np.array([150.0, 90.0, 110.0])
    des = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]], bool)  # A: ZT TN, B: ZN TN, C: ZT ZN
    inputs = HedgeInputs(
        factors=["rate", "basis"], sectors=["A", "B", "C"], instruments=["ZT", "ZN", "TN"],
        sector_exposure=np.c_[sd, np.zeros(3)], sector_dv01=sd,
        instrument_exposure=np.c_[DV01, [0.0, 30.0, 0.0]], instrument_dv01=DV01,
        cov=np.diag([100.0, 100.0]), designations=des)
    targets = {"A": DV01Target(dv01=0.0, tol_usd=40.0), "B": DV01Target(dv01=0.0, tol_usd=40.0),
               "C": DV01Target(dv01=0.0, tol_usd=32.0)}
    model = build_model(inputs, Limits(sector_targets=targets,
                                       lower={n: -5 for n in ("ZT", "ZN", "TN")},
                                       upper={n: 0 for n in ("ZT", "ZN", "TN")}))
    lo, hi = np.array([0.0, -5.0, -5.0]), np.zeros(3)
    _, _, (ylo, yhi) = NodeBox(model).tighten(lo, hi)
    c_zn = model.data.pieces.index((2, 1))
    window_hi = (Fraction(32) - Fraction(110)) / Fraction(64.94)  # -1.20: the continuous end
    assert model.box[1][model.data.I + c_zn] > -2  # the global box keeps the continuous end
    assert yhi[c_zn] == -2 and window_hi > -2  # the node box rounds it
    qp = NodeQP(model)
    plain, tight = qp.solve(lo, hi).bound, qp.solve(lo, hi, ybox=(ylo, yhi)).bound
    best = min(float(model.objective(np.array(h, float))[0])
               for h, _ in _integer_hedges(model, lo, hi))
    assert plain < tight - 1e-3 * abs(best)
    assert tight <= best + 1e-9 * abs(best)
