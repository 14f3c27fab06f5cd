"""The exact rational check: it catches what float checks let through, and no hedge leaves the
solver without passing it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from optimizer.core.errors import SolverFailure
from optimizer.core.exact import exact_check
from optimizer.core.forms import FormSet, LinearForm, feasible_mask
from optimizer.core.model import build_model
from optimizer.core.problem import DV01Target, HedgeInputs, HedgeProblem, Limits


def _inputs() -> HedgeInputs:
    return HedgeInputs(
        factors=["tsy", "swap"], sectors=["Treasury", "Corporate"], instruments=["ZNU5", "SWAP10"],
        sector_exposure=np.array([[172_096.0, 0.0], [0.0, 235_138.0]]),
        sector_dv01=np.array([172_096.0, 235_138.0]),
        instrument_exposure=np.array([[72.5, 0.0], [0.0, 77.0]]),
        instrument_dv01=np.array([72.5, 77.0]), cov=np.diag([75.0**2, 85.0**2]),
        designations=np.array([[True, True], [False, True]]),
        notional=np.array([111_000.0, 100_500.0]), initial_margin=np.array([2_750.0, 2_000.0]),
        sector_market_value=np.array([262.341e6, 436.248e6]))


def _mandate() -> Limits:
    return Limits(sector_targets={s: DV01Target(dv01=0.0, tol_usd=100.0)
                                  for s in ("Treasury", "Corporate")}, margin_budget=20e6)


def test_exact_check_catches_a_hair_of_violation_float_checks_accept():
    model = build_model(_inputs(), _mandate())
    res = HedgeProblem(_inputs(), _mandate()).solve()
    h = res.h
    y = np.array([a["contracts"] for a in res.allocation], float)
    pi = model.data.piece_instrument
    assert exact_check(model.forms, h, y, pi) == []
    # move the Treasury band's upper edge to just below the hedge's value (by 1e-11 of it)
    k = next(j for j, o in enumerate(model.forms.owners) if o == "sector_dv01[Treasury]")
    f = model.forms.forms[k]
    assert isinstance(f, LinearForm)
    val = float(f.values(h[None], y[None])[0])
    broken = replace(f, hi=val - abs(val) * 1e-11 - 1e-12, lo=min(f.lo, val - 1.0))
    fs = FormSet(list(model.forms.forms), list(model.forms.owners))
    fs.forms[k] = broken
    assert feasible_mask(fs.forms, h[None], y[None])[0]  # within the float tolerance
    assert exact_check(fs, h, y, pi) == ["sector_dv01[Treasury]"]  # not in exact arithmetic


def test_exact_check_catches_offsetting_pieces_and_non_integers():
    model = build_model(_inputs(), _mandate())
    pi = model.data.piece_instrument
    h = np.array([-2374.0, -3054.0])
    y = np.array([-2374.0, -3060.0, 6.0])  # SWAP10: -3,060 Treasury / +6 Corporate (a wash)
    assert "no_wash" in exact_check(model.forms, h, y, pi)
    assert exact_check(model.forms, h + 0.5, y, pi) == ["integrality"]


def test_no_hedge_leaves_without_passing_the_exact_check(monkeypatch):
    """Deliberately broken pieces (a band broken by one contract) reach the final gate: the
    solve fails loudly instead of printing a hedge that breaks a stated constraint."""
    import optimizer.core.offers as offers
    import optimizer.core.pieces as pieces
    import optimizer.core.rounding as rounding

    orig, orig_round = pieces.Pieces.find, rounding.PieceIntervals.pieces

    def _break(y):  # 40 contracts moved between pieces: links, a band and the sign rule fail
        if y is not None and len(y) > 2:
            y = y.copy()
            y[0] += 40.0
            y[1] -= 40.0
        return y

    monkeypatch.setattr(pieces.Pieces, "find", lambda self, h, nice=False: _break(
        orig(self, h, nice)))
    monkeypatch.setattr(rounding.PieceIntervals, "pieces", lambda self, h: _break(
        orig_round(self, h)))  # pieces built by interval rounding, broken the same way
    monkeypatch.setattr(offers, "exact_check", lambda *a, **k: [])  # the search's own gate off
    with pytest.raises(SolverFailure, match="exact arithmetic"):
        HedgeProblem(_inputs(), _mandate()).solve()
