"""The three constraint descriptions every hedge constraint is written in (once).

A named constraint (:mod:`optimizer.core.constraints`) produces one or more *forms*:

* :class:`LinearForm` -- ``lo <= offset + coef . v <= hi`` on the contract totals ``v = h``
  (I,) or on the sector pieces ``v = y`` (P,);
* :class:`AbsSum` -- ``sum_i w_i |h_i - ref_i| <= cap`` with ``w >= 0`` (leverage, margin,
  turnover);
* :class:`Cardinality` -- at most ``k`` totals ``h_i`` are nonzero.

Everything else is derived from the forms by generic code: the numpy check (this module), the
exact rational check (:mod:`optimizer.core.exact`), the bound-propagation rows (this module), the
node relaxations of the exact method (:mod:`optimizer.core.relax`), the cvxpy and SCIP models
(:mod:`optimizer.core.compile`) and the diagnosis problems (:mod:`optimizer.core.diagnose`).

Units: forms are in natural units (USD, USD/bp, contracts). ``scale`` is the unit a solver row
is written in (1e3: $k, 1e6: $M, 1: contracts) so that the numerical models are well scaled.
``widen`` says which sides a diagnosis may relax ("how much must this limit move").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

REL_TOL = 1e-9  # float checks: 1e-9 x the magnitude of the row's own numbers


def row_tol(*mags: float) -> float:
    """Float tolerance of a check: REL_TOL x the largest finite magnitude (at least 1)."""
    return REL_TOL * max([1.0] + [abs(float(m)) for m in mags if math.isfinite(float(m))])


@dataclass(frozen=True)
class LinearForm:
    """``lo <= offset + coef . v <= hi`` with ``v`` the totals h (``on="h"``) or pieces y."""

    on: str
    coef: np.ndarray
    offset: float
    lo: float
    hi: float
    scale: float = 1.0
    widen_lo: bool = True
    widen_hi: bool = True

    def values(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        V = H if self.on == "h" else Y
        return self.offset + np.atleast_2d(V) @ self.coef

    def excess(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """How far outside [lo, hi] (<= 0 inside), natural units."""
        v = self.values(H, Y)
        with np.errstate(invalid="ignore"):
            return np.maximum(self.lo - v, v - self.hi)

    def tol(self) -> float:
        return row_tol(self.offset, self.lo, self.hi, float(np.abs(self.coef).sum()))


@dataclass(frozen=True)
class AbsSum:
    """``sum_i w_i |h_i - ref_i| <= cap`` (w >= 0)."""

    weights: np.ndarray
    ref: np.ndarray
    cap: float
    scale: float = 1.0

    def used(self, H: np.ndarray) -> np.ndarray:
        return np.abs(np.atleast_2d(H) - self.ref) @ self.weights

    def excess(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return self.used(H) - self.cap

    def tol(self) -> float:
        return row_tol(self.cap)


@dataclass(frozen=True)
class Cardinality:
    """At most ``k`` nonzero totals."""

    k: int

    def count(self, H: np.ndarray) -> np.ndarray:
        return (np.abs(np.atleast_2d(H)) > 0.5).sum(axis=1)

    def excess(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return (self.count(H) - self.k).astype(float)

    def tol(self) -> float:
        return 0.0


Form = LinearForm | AbsSum | Cardinality


@dataclass
class FormSet:
    """All forms of a problem, each tagged with the name of the constraint it belongs to."""

    forms: list[Form] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)

    def add(self, owner: str, forms: list[Form]) -> None:
        self.forms.extend(forms)
        self.owners.extend([owner] * len(forms))

    def of(self, owner: str) -> list[Form]:
        return [f for f, o in zip(self.forms, self.owners, strict=True) if o == owner]

    def without(self, owner: str) -> FormSet:
        keep = [(f, o) for f, o in zip(self.forms, self.owners, strict=True) if o != owner]
        return FormSet([f for f, _ in keep], [o for _, o in keep])

    def linear(self, on: str) -> list[LinearForm]:
        return [f for f in self.forms if isinstance(f, LinearForm) and f.on == on]

    def abs_sums(self) -> list[AbsSum]:
        return [f for f in self.forms if isinstance(f, AbsSum)]

    def cardinality(self) -> int | None:
        ks = [f.k for f in self.forms if isinstance(f, Cardinality)]
        return min(ks) if ks else None


def feasible_mask(forms: list[Form], H: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(N,) True where totals H (N, I) and pieces Y (N, P) meet every form (float check)."""
    H, Y = np.atleast_2d(H), np.atleast_2d(Y)
    ok = np.ones(H.shape[0], dtype=bool)
    for f in forms:
        ok &= f.excess(H, Y) <= f.tol()
    return ok


def propagation_rows(forms: list[Form], n_h: int, n_y: int
                     ) -> list[tuple[np.ndarray, float, float]]:
    """Linear implications ``lo <= a . (h, y) <= hi`` of the forms (for bound propagation).

    An absolute-sum limit implies ``|h_i - ref_i| <= cap / w_i`` for each i with ``w_i > 0``.
    """
    rows: list[tuple[np.ndarray, float, float]] = []
    for f in forms:
        if isinstance(f, LinearForm):
            a = np.zeros(n_h + n_y)
            if f.on == "h":
                a[:n_h] = f.coef
            else:
                a[n_h:] = f.coef
            rows.append((a, f.lo - f.offset, f.hi - f.offset))
        elif isinstance(f, AbsSum):
            for i in np.nonzero(f.weights > 0)[0]:
                a = np.zeros(n_h + n_y)
                a[i] = 1.0
                half = f.cap / f.weights[i]
                rows.append((a, f.ref[i] - half, f.ref[i] + half))
    return rows


__all__ = ["AbsSum", "Cardinality", "Form", "FormSet", "LinearForm", "REL_TOL",
           "feasible_mask", "propagation_rows", "row_tol"]
