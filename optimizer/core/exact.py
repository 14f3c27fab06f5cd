"""Exact check of a hedge in rational arithmetic.

Every number of every form (coefficients, offsets, bounds, weights, references, caps -- the float
data handed to the solvers) is converted exactly to a :class:`fractions.Fraction` and each
inequality is evaluated on the final integers h and y without any tolerance. The no-wash rule
(each piece has the sign of its contract's total or is zero) and the links ``sum_p y_p = h_i``
are checked on the integers too. A hedge leaves the solver only when this check passes.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from optimizer.core.forms import AbsSum, Cardinality, FormSet, LinearForm


def _fr(v: float) -> Fraction:
    return Fraction(float(v))


def _ints(v: np.ndarray) -> list[int] | None:
    out = []
    for x in np.asarray(v, dtype=float).ravel():
        if not np.isfinite(x) or x != np.round(x):
            return None
        out.append(int(x))
    return out


def linear_ok(f: LinearForm, h: list[int], y: list[int]) -> bool:
    v = h if f.on == "h" else y
    val = _fr(f.offset) + sum((_fr(a) * x for a, x in zip(f.coef, v, strict=True) if a != 0),
                              Fraction(0))
    if np.isfinite(f.lo) and val < _fr(f.lo):
        return False
    return not (np.isfinite(f.hi) and val > _fr(f.hi))


def abs_sum_ok(f: AbsSum, h: list[int]) -> bool:
    used = sum((_fr(w) * abs(x - _fr(r)) for w, x, r in zip(f.weights, h, f.ref, strict=True)
                if w != 0), Fraction(0))
    return used <= _fr(f.cap)


def no_wash_ok(h: list[int], y: list[int], piece_instrument: np.ndarray) -> bool:
    """Links and signs: sum of i's pieces = h_i; every piece of i has h_i's sign or is 0."""
    tot = [0] * len(h)
    for p, i in enumerate(piece_instrument):
        tot[int(i)] += y[p]
        if y[p] * h[int(i)] < 0 or (h[int(i)] == 0 and y[p] != 0):
            return False
    return tot == h


def exact_check(forms: FormSet, h: np.ndarray, y: np.ndarray,
                piece_instrument: np.ndarray) -> list[str]:
    """Names of what (h, y) breaks in exact arithmetic ([] = every constraint holds)."""
    hi, yi = _ints(h), _ints(y)
    if hi is None or yi is None:
        return ["integrality"]
    bad: list[str] = []
    if not no_wash_ok(hi, yi, piece_instrument):
        bad.append("no_wash")
    for f, owner in zip(forms.forms, forms.owners, strict=True):
        if isinstance(f, LinearForm):
            ok = linear_ok(f, hi, yi)
        elif isinstance(f, AbsSum):
            ok = abs_sum_ok(f, hi)
        else:
            assert isinstance(f, Cardinality)
            ok = sum(1 for x in hi if x != 0) <= f.k
        if not ok and owner not in bad:
            bad.append(owner)
    return bad


__all__ = ["exact_check"]
