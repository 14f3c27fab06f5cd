"""Composable, named hedge-mandate constraints (SPEC §6).

Each constraint is a small object with

* ``name`` -- a stable identifier (``"margin"``, ``"sector_dv01[Treasury]"``, ...),
* ``describe()`` -- one human sentence with its value,
* ``bind(data)`` -- reads numbers from :class:`ProblemData` and writes them into its own cvxpy
  ``Parameter`` objects (so a compiled problem is re-solved without re-canonicalization),
* ``cvx(v)`` -- its cvxpy form on the decision variables ``v`` (DPP compliant),
* ``violation(Y)`` / ``check(y)`` -- the constraint evaluated numerically (plain numpy) on integer
  candidate hedges; ``check`` is what guarantees that no reported hedge breaks a stated constraint,
* ``rows()`` -- linear implications ``lo <= a'y <= hi`` on the allocation vector, used for bound
  propagation (integer variable bounds),
* ``usage(v)`` / ``measure(Y)`` / ``with_limit(value)`` / ``relax_message(value)`` -- what the
  infeasibility diagnosis needs to compute the smallest change of the constraint's limit.

Decision variables (see :mod:`optimizer.core.problem`): ``y`` = contracts per designated
(sector, instrument) pair ("allocation"), ``tot = S y`` = contracts per instrument.

Scaling inside cvxpy forms: money in $k (DV01s in $k per bp, margins in $k), notionals in $M,
contracts unscaled. ``violation``/``measure`` work in natural units (USD, contracts, ratios).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np

K = 1e3  # $ -> $k
M = 1e6  # $ -> $M
REL_TOL = 1e-9  # numerical tolerance of check(): 1e-9 x the constraint's own magnitude


@dataclass
class Vars:
    """Decision variables of one cvxpy problem."""

    y: cp.Variable  # (P,) contracts per designated (sector, instrument) pair
    tot: cp.Expression  # (I,) contracts per instrument = S @ y
    integer: bool  # True: the MIQP; False: the continuous relaxation
    extra: list[cp.Constraint] = field(default_factory=list)


@dataclass
class ProblemData:
    """Numbers of one hedge problem in natural units (USD, bp, contracts).

    ``Y`` arrays passed to ``violation``/``measure`` are (N, P) integer allocations; totals are
    ``Y @ S.T``.
    """

    sectors: list[str]
    instruments: list[str]
    factors: list[str]
    pieces: list[tuple[int, int]]  # (sector index, instrument index) per allocation variable
    S: np.ndarray  # (I, P) 0/1: allocation -> instrument totals
    x: np.ndarray  # (F,) portfolio exposure, USD/bp
    t: np.ndarray  # (F,) target exposure, USD/bp
    B: np.ndarray  # (F, I) instrument exposure per contract, USD/bp
    d: np.ndarray  # (I,) instrument DV01 per contract, USD
    sd: np.ndarray  # (S,) sector DV01, USD
    smv: np.ndarray  # (S,) sector market value, USD
    mv: float  # portfolio market value, USD
    notional: np.ndarray  # (I,) USD per contract
    im: np.ndarray  # (I,) initial margin per contract, USD
    h0: np.ndarray  # (I,) current contracts
    cov: np.ndarray  # (F, F) bp^2 / yr
    resid_var: float  # USD^2 / yr, constant in h

    @property
    def P(self) -> int:
        return len(self.pieces)

    @property
    def I(self) -> int:  # noqa: E743
        return len(self.instruments)

    def totals(self, Y: np.ndarray) -> np.ndarray:
        return np.asarray(Y, dtype=float) @ self.S.T

    def sector_after(self, Y: np.ndarray) -> np.ndarray:
        """(N, S) sector DV01 after hedge, USD."""
        Y = np.atleast_2d(np.asarray(Y, dtype=float))
        out = np.tile(self.sd, (Y.shape[0], 1))
        for p, (s, i) in enumerate(self.pieces):
            out[:, s] += Y[:, p] * self.d[i]
        return out

    def portfolio_after(self, Y: np.ndarray) -> np.ndarray:
        return self.sd.sum() + self.totals(np.atleast_2d(Y)) @ self.d

    def sector_row(self, s: int) -> np.ndarray:
        a = np.zeros(self.P)
        for p, (ss, i) in enumerate(self.pieces):
            if ss == s:
                a[p] = self.d[i]
        return a


def _tol(*mags: float) -> float:
    return REL_TOL * max([1.0] + [abs(float(m)) for m in mags if np.isfinite(m)])


def _fmt_usd(v: float) -> str:
    return f"${v:,.2f}" if abs(v) < 100 else f"${v:,.0f}"


def _ceil_cents(v: float) -> float:
    return math.ceil(v * 100 - 1e-6) / 100


class Constraint:
    """Base class. Subclasses set ``kind`` and implement the hooks."""

    kind = "constraint"

    def __init__(self, name: str) -> None:
        self.name = name
        self._p: dict[str, cp.Parameter] = {}
        self.data: ProblemData | None = None

    # -- parameters ------------------------------------------------------------------------
    def _set(self, key: str, value: Any, **attrs: Any) -> None:
        value = np.asarray(value, dtype=float)
        par = self._p.get(key)
        if par is None or par.shape != value.shape:
            par = self._p[key] = cp.Parameter(value.shape, name=f"{self.name}:{key}", **attrs)
        par.value = value if value.shape else float(value)

    def P_(self, key: str) -> cp.Parameter:
        return self._p[key]

    # -- hooks -----------------------------------------------------------------------------
    def bind(self, data: ProblemData) -> None:
        self.data = data

    def set_box(self, lo_tot: np.ndarray, hi_tot: np.ndarray) -> None:
        """Called with valid integer bounds on the instrument totals before each solve."""

    def cvx(self, v: Vars) -> list[cp.Constraint]:
        raise NotImplementedError

    def scip(self, m: Any, y: list, h: list) -> bool:
        """Add the constraint to a pyscipopt model on pieces ``y`` and totals ``h`` (same scaling
        as ``cvx``). Returns False when the constraint has no direct form (the caller then uses
        the cvxpy formulation)."""
        return False

    def violation(self, Y: np.ndarray) -> np.ndarray:
        """(N,) amount by which each allocation breaks the constraint (<= tol(): satisfied)."""
        raise NotImplementedError

    def tol(self) -> float:
        return _tol(1.0)

    def check(self, y: np.ndarray) -> bool:
        return bool(self.violation(np.atleast_2d(y))[0] <= self.tol())

    def ok(self, Y: np.ndarray) -> np.ndarray:
        return self.violation(Y) <= self.tol()

    def rows(self) -> list[tuple[np.ndarray, float, float]]:
        return []

    def describe(self) -> str:
        return self.name

    def value(self) -> dict[str, Any]:
        return {}

    def signature(self) -> tuple:
        """Structure key: two problems with equal signatures share a compiled cvxpy problem."""
        return (self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "description": self.describe(),
                **self.value()}

    # -- diagnosis -------------------------------------------------------------------------
    def usage(self, v: Vars) -> tuple[cp.Expression, list[cp.Constraint]]:
        """A convex expression to minimize to find the smallest feasible limit."""
        raise NotImplementedError

    def measure(self, y: np.ndarray) -> float:
        """The limit value that integer allocation ``y`` needs (natural units)."""
        raise NotImplementedError

    def with_limit(self, value: float) -> Constraint:
        raise NotImplementedError

    def relax_message(self, value: float) -> str:
        raise NotImplementedError

    def limit_label(self) -> str:
        return self.name


# ----------------------------------------------------------------------------------------------
class DV01Band(Constraint):
    """DV01 after hedge within ``target +- tol`` (USD), for one sector or the whole portfolio.

    ``sector=None`` means the whole portfolio: DV01 after = sum of sector DV01s + d' tot.
    Target and tolerance are resolved from a spec at bind time (USD, % of current, duration),
    see :class:`optimizer.core.problem.SectorTarget`.
    """

    kind = "dv01_band"

    def __init__(self, sector: str | None, spec: Any) -> None:
        super().__init__(f"sector_dv01[{sector}]" if sector else "portfolio_dv01")
        self.sector = sector
        self.spec = spec
        self.target = self.tol_usd = self.current = float("nan")

    def bind(self, data: ProblemData) -> None:
        super().bind(data)
        if self.sector is None:
            self.current = float(data.sd.sum())
            self.a = np.array([data.d[i] for (_, i) in data.pieces])
            mv = data.mv
        else:
            s = data.sectors.index(self.sector)
            self.current = float(data.sd[s])
            self.a = data.sector_row(s)
            mv = float(data.smv[s])
        self.target, self.tol_usd = self.spec.resolve(self.current, mv)
        self._set("a", self.a / K)
        self._set("base", self.current / K)
        self._set("lo", (self.target - self.tol_usd) / K)
        self._set("hi", (self.target + self.tol_usd) / K)

    def after(self, Y: np.ndarray) -> np.ndarray:
        return self.current + np.atleast_2d(Y) @ self.a

    def cvx(self, v: Vars) -> list[cp.Constraint]:
        e = self.P_("base") + self.P_("a") @ v.y
        return [e >= self.P_("lo"), e <= self.P_("hi")]

    def scip(self, m, y, h):
        e = self.current / K + sum(float(a) / K * y[p] for p, a in enumerate(self.a) if a != 0)
        m.addCons(e >= (self.target - self.tol_usd) / K)
        m.addCons(e <= (self.target + self.tol_usd) / K)
        return True

    def violation(self, Y: np.ndarray) -> np.ndarray:
        return np.abs(self.after(Y) - self.target) - self.tol_usd

    def tol(self) -> float:
        return _tol(self.current, self.target, self.tol_usd)

    def rows(self):
        return [(self.a, self.target - self.tol_usd - self.current,
                 self.target + self.tol_usd - self.current)]

    def describe(self) -> str:
        who = f"{self.sector} sector" if self.sector else "portfolio"
        return (f"{who} DV01 after hedge within {_fmt_usd(self.target)} +- "
                f"{_fmt_usd(self.tol_usd)} (now {_fmt_usd(self.current)})")

    def value(self):
        return {"sector": self.sector, "current_usd": self.current, "target_usd": self.target,
                "tolerance_usd": self.tol_usd}

    def usage(self, v):
        w = cp.Variable(nonneg=True)
        e = self.current + self.a @ v.y
        return w / K, [e - self.target <= w, self.target - e <= w]

    def measure(self, y):
        return float(abs(self.after(y)[0] - self.target))

    def with_limit(self, value):
        c = DV01Band(self.sector, self.spec.with_tolerance(value))
        return c

    def limit_label(self):
        return f"tolerance of {self.name}"

    def relax_message(self, value):
        who = f"the {self.sector} sector" if self.sector else "the portfolio"
        return (f"tolerance on {who} DV01 target ({_fmt_usd(self.target)}) must be at least "
                f"{_fmt_usd(_ceil_cents(value))} (now {_fmt_usd(self.tol_usd)})")


class KeyRateBand(Constraint):
    """Hedged portfolio exposure to one factor within [lower, upper] (USD/bp; None = open)."""

    kind = "key_rate_band"

    def __init__(self, factor: str, lower: float | None, upper: float | None) -> None:
        super().__init__(f"key_rate[{factor}]")
        self.factor, self.lower, self.upper = factor, lower, upper

    def bind(self, data):
        super().bind(data)
        f = data.factors.index(self.factor)
        self.x_f = float(data.x[f])
        self.b = data.B[f]
        self.a = self.b @ data.S
        self.lo = -np.inf if self.lower is None else float(self.lower)
        self.hi = np.inf if self.upper is None else float(self.upper)
        self._set("b", self.b / K)
        self._set("x", self.x_f / K)
        if self.lower is not None:
            self._set("lo", self.lo / K)
        if self.upper is not None:
            self._set("hi", self.hi / K)

    def signature(self):
        return (self.kind, self.name, self.lower is None, self.upper is None)

    def exposure(self, Y):
        return self.x_f + np.atleast_2d(Y) @ self.a

    def cvx(self, v):
        e = self.P_("x") + self.P_("b") @ v.tot
        out = []
        if self.lower is not None:
            out.append(e >= self.P_("lo"))
        if self.upper is not None:
            out.append(e <= self.P_("hi"))
        return out

    def scip(self, m, y, h):
        e = self.x_f / K + sum(float(b) / K * h[i] for i, b in enumerate(self.b) if b != 0)
        if self.lower is not None:
            m.addCons(e >= self.lo / K)
        if self.upper is not None:
            m.addCons(e <= self.hi / K)
        return True

    def violation(self, Y):
        e = self.exposure(Y)
        return np.maximum(self.lo - e, e - self.hi)

    def tol(self):
        return _tol(self.x_f, self.lo, self.hi)

    def rows(self):
        return [(self.a, self.lo - self.x_f, self.hi - self.x_f)]

    def describe(self):
        lo = "-inf" if self.lower is None else _fmt_usd(self.lower)
        hi = "+inf" if self.upper is None else _fmt_usd(self.upper)
        return f"{self.factor} exposure after hedge in [{lo}, {hi}] per bp"

    def value(self):
        return {"factor": self.factor, "lower_usd": self.lower, "upper_usd": self.upper}

    def usage(self, v):
        w = cp.Variable(nonneg=True)
        e = self.x_f + self.b @ v.tot
        cons = []
        if self.lower is not None:
            cons.append(e >= self.lo - w)
        if self.upper is not None:
            cons.append(e <= self.hi + w)
        return w / K, cons

    def measure(self, y):
        return float(max(self.violation(y)[0], 0.0))

    def with_limit(self, value):
        return KeyRateBand(self.factor, None if self.lower is None else self.lower - value,
                           None if self.upper is None else self.upper + value)

    def limit_label(self):
        return f"width of {self.name}"

    def relax_message(self, value):
        v = _ceil_cents(value)
        return (f"{self.factor} band must widen by {_fmt_usd(v)}/bp on its binding side(s) "
                f"(to {self.with_limit(v).describe()})")


class _AbsSumLimit(Constraint):
    """sum_i w_i |tot_i - ref_i| <= limit, with w >= 0 (leverage, margin, turnover)."""

    unit_scale = K
    relative_to_mv = False

    def __init__(self, name: str, limit: float) -> None:
        super().__init__(name)
        self.limit = float(limit)

    def weights(self, data) -> np.ndarray:
        raise NotImplementedError

    def ref(self, data) -> np.ndarray:
        return np.zeros(data.I)

    def cap(self, data) -> float:
        """Limit in the same money units as weights x contracts."""
        return self.limit * (data.mv if self.relative_to_mv else 1.0)

    def bind(self, data):
        super().bind(data)
        self.w = np.asarray(self.weights(data), dtype=float)
        self.r = np.asarray(self.ref(data), dtype=float)
        self.capv = self.cap(data)
        self._set("w", self.w / self.unit_scale, nonneg=True)
        self._set("cap", self.capv / self.unit_scale)
        self._set("ref", self.r)

    def signature(self):
        return (self.kind, self.name)

    def used(self, Y):
        tot = self.data.totals(np.atleast_2d(Y))
        return np.abs(tot - self.r) @ self.w

    def cvx(self, v):
        # u >= |tot - ref| keeps DPP (a Parameter times a Parameter-dependent abs is not DPP)
        u = cp.Variable(self.data.I, nonneg=True, name=f"abs_{self.name}")
        return [u >= v.tot - self.P_("ref"), u >= self.P_("ref") - v.tot,
                self.P_("w") @ u <= self.P_("cap")]

    def scip(self, m, y, h):
        terms = []
        for i, w in enumerate(self.w):
            if w > 0:
                u = m.addVar(lb=0.0, ub=None, name=f"abs_{self.name}_{i}")
                m.addCons(u >= h[i] - float(self.r[i]))
                m.addCons(u >= float(self.r[i]) - h[i])
                terms.append(float(w) / self.unit_scale * u)
        if terms:
            m.addCons(sum(terms) <= self.capv / self.unit_scale)
        elif self.capv < 0:
            return False
        return True

    def violation(self, Y):
        return self.used(Y) - self.capv

    def tol(self):
        return _tol(self.capv)

    def rows(self):
        out = []
        for i in range(self.data.I):
            if self.w[i] > 0:
                half = self.capv / self.w[i]
                out.append((self.data.S[i], self.r[i] - half, self.r[i] + half))
        return out

    def usage(self, v):
        return self.w / self.unit_scale @ cp.abs(v.tot - self.r), []

    def measure(self, y):
        u = float(self.used(y)[0])
        return u / self.data.mv if self.relative_to_mv else u

    def with_limit(self, value):
        return type(self)(value)

    def value(self):
        return {"limit": self.limit}


class Leverage(_AbsSumLimit):
    """Gross leverage: sum |h_i| notional_i <= L x portfolio MV (L as a ratio, 0.5 = 50%)."""

    kind = "leverage"
    unit_scale = M
    relative_to_mv = True

    def __init__(self, max_ratio: float) -> None:
        super().__init__("leverage", max_ratio)

    def weights(self, data):
        return data.notional

    def describe(self):
        return f"gross futures notional <= {self.limit:.2%} of portfolio market value"

    def limit_label(self):
        return "leverage limit"

    def relax_message(self, value):
        v = math.ceil(value * 1e4 - 1e-6) / 1e4
        return f"leverage limit must be at least {v:.2%} of market value (now {self.limit:.2%})"


class MarginBudget(_AbsSumLimit):
    """Initial margin: sum |h_i| IM_i <= budget (USD)."""

    kind = "margin"

    def __init__(self, budget: float) -> None:
        super().__init__("margin", budget)

    def weights(self, data):
        return data.im

    def describe(self):
        return f"initial margin <= {_fmt_usd(self.limit)}"

    def limit_label(self):
        return "margin budget"

    def relax_message(self, value):
        v = _ceil_cents(value)
        vm = math.ceil(v / 1e4 - 1e-9) / 100  # rounded UP: the short form must also suffice
        return (f"margin budget must be at least {_fmt_usd(v)} (${vm:,.2f}M; "
                f"now {_fmt_usd(self.limit)})")


class Turnover(_AbsSumLimit):
    """Turnover: sum |h_i - h0_i| <= T contracts."""

    kind = "turnover"
    unit_scale = 1.0

    def __init__(self, max_contracts: float) -> None:
        super().__init__("turnover", max_contracts)

    def weights(self, data):
        return np.ones(data.I)

    def ref(self, data):
        return data.h0

    def describe(self):
        return f"turnover sum |h - h0| <= {self.limit:,.0f} contracts"

    def limit_label(self):
        return "turnover limit"

    def relax_message(self, value):
        return (f"turnover limit must be at least {math.ceil(value - 1e-9):,d} contracts "
                f"(now {self.limit:,.0f})")


class MinPortfolioDV01(Constraint):
    """Never net short duration: portfolio DV01 after hedge >= floor (USD; 0 by default)."""

    kind = "no_net_short"

    def __init__(self, floor: float = 0.0) -> None:
        super().__init__("no_net_short")
        self.floor = float(floor)

    def bind(self, data):
        super().bind(data)
        self.current = float(data.sd.sum())
        self.a = np.array([data.d[i] for (_, i) in data.pieces])
        self._set("a", self.a / K)
        self._set("base", self.current / K)
        self._set("floor", self.floor / K)

    def after(self, Y):
        return self.current + np.atleast_2d(Y) @ self.a

    def cvx(self, v):
        return [self.P_("base") + self.P_("a") @ v.y >= self.P_("floor")]

    def scip(self, m, y, h):
        e = self.current / K + sum(float(a) / K * y[p] for p, a in enumerate(self.a) if a != 0)
        m.addCons(e >= self.floor / K)
        return True

    def violation(self, Y):
        return self.floor - self.after(Y)

    def tol(self):
        return _tol(self.current, self.floor)

    def rows(self):
        return [(self.a, self.floor - self.current, np.inf)]

    def describe(self):
        if self.floor == 0:
            return "no net short duration: portfolio DV01 after hedge >= $0"
        return f"portfolio DV01 after hedge >= {_fmt_usd(self.floor)}"

    def value(self):
        return {"floor_usd": self.floor}

    def usage(self, v):
        w = cp.Variable(nonneg=True)
        return w / K, [self.current + self.a @ v.y >= self.floor - w]

    def measure(self, y):
        return float(max(self.violation(y)[0], 0.0))

    def with_limit(self, value):
        return MinPortfolioDV01(self.floor - value)

    def limit_label(self):
        return "no-net-short floor"

    def relax_message(self, value):
        v = _ceil_cents(value)
        return (f"the mandate needs the portfolio net short by {_fmt_usd(v)} of DV01: allow "
                f"portfolio DV01 after hedge >= {_fmt_usd(self.floor - v)} (or drop no-net-short)")


class ContractBounds(Constraint):
    """Per-contract bounds and allowed side, on each instrument total and on each sector's
    allocation of it (an allocation lies in [min(lo, 0), max(hi, 0)]).

    Instruments with no explicit bound get a default cap ``ceil(3 x gross DV01 / |contract
    DV01|) + |h0|`` (gross DV01 = max(sum_s |sector DV01|, sum_f |exposure_f|)), so that the
    integer problem is bounded; the cap is stated in ``describe()`` like any other constraint.
    """

    kind = "contract_bounds"

    def __init__(self, lower: dict[str, float] | None = None,
                 upper: dict[str, float] | None = None,
                 sides: dict[str, str] | None = None, widen: float = 0.0) -> None:
        super().__init__("contract_bounds")
        self.lower = dict(lower or {})
        self.upper = dict(upper or {})
        self.sides = dict(sides or {})
        self.widen = float(widen)
        for k, s in self.sides.items():
            if s not in ("long", "short", "both"):
                raise ValueError(f"side of {k} must be long, short or both, not {s!r}")

    def bind(self, data):
        super().bind(data)
        gross = max(float(np.abs(data.sd).sum()), float(np.abs(data.x).sum()), 1.0)
        n = data.I
        lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
        self.defaulted = []
        for i, name in enumerate(data.instruments):
            if name in self.lower:
                lo[i] = self.lower[name]
            if name in self.upper:
                hi[i] = self.upper[name]
            side = self.sides.get(name, "both")
            if side == "long":
                lo[i] = max(lo[i], 0.0)
            if side == "short":
                hi[i] = min(hi[i], 0.0)
            if not (np.isfinite(lo[i]) and np.isfinite(hi[i])):
                scale = abs(data.d[i]) if abs(data.d[i]) > 0 else max(np.abs(data.B[:, i]).sum(), 1e-9)
                cap = math.ceil(3 * gross / scale) + abs(data.h0[i])
                self.defaulted.append(name)
                lo[i] = max(lo[i], -cap)
                hi[i] = min(hi[i], cap)
        lo -= self.widen
        hi += self.widen
        self.lo, self.hi = lo, hi
        pi = [i for (_, i) in data.pieces]
        self.plo = np.minimum(lo[pi], 0.0)
        self.phi = np.maximum(hi[pi], 0.0)
        self._set("lo", lo)
        self._set("hi", hi)
        self._set("plo", self.plo)
        self._set("phi", self.phi)

    def cvx(self, v):
        return [v.tot >= self.P_("lo"), v.tot <= self.P_("hi"),
                v.y >= self.P_("plo"), v.y <= self.P_("phi")]

    def scip(self, m, y, h):
        for i, v in enumerate(h):
            m.addCons(v >= float(self.lo[i]))
            m.addCons(v <= float(self.hi[i]))
        for p, v in enumerate(y):
            m.addCons(v >= float(self.plo[p]))
            m.addCons(v <= float(self.phi[p]))
        return True

    def violation(self, Y):
        Y = np.atleast_2d(Y)
        tot = self.data.totals(Y)
        a = np.maximum(self.lo - tot, tot - self.hi).max(axis=1)
        b = np.maximum(self.plo - Y, Y - self.phi).max(axis=1) if Y.shape[1] else a * 0 - np.inf
        return np.maximum(a, b)

    def tol(self):
        return 1e-9

    def rows(self):
        out = [(self.data.S[i], self.lo[i], self.hi[i]) for i in range(self.data.I)]
        eye = np.eye(self.data.P)
        out += [(eye[p], self.plo[p], self.phi[p]) for p in range(self.data.P)]
        return out

    def describe(self):
        parts = []
        for i, name in enumerate(self.data.instruments if self.data else []):
            tag = " (default cap)" if name in getattr(self, "defaulted", []) else ""
            parts.append(f"{name} in [{self.lo[i]:,.0f}, {self.hi[i]:,.0f}]{tag}")
        return "per-contract bounds: " + ", ".join(parts)

    def value(self):
        if self.data is None:
            return {}
        return {"lower": dict(zip(self.data.instruments, self.lo.tolist(), strict=True)),
                "upper": dict(zip(self.data.instruments, self.hi.tolist(), strict=True)),
                "default_capped": list(self.defaulted), "sides": self.sides}

    def usage(self, v):
        w = cp.Variable(nonneg=True)
        return w, [v.tot >= self.lo - w, v.tot <= self.hi + w,
                   v.y >= self.plo - w, v.y <= self.phi + w]

    def measure(self, y):
        return float(max(self.violation(y)[0], 0.0))

    def with_limit(self, value):
        return ContractBounds(self.lower, self.upper, self.sides,
                              self.widen + math.ceil(value - 1e-9))

    def limit_label(self):
        return "per-contract bounds"

    def relax_message(self, value):
        w = math.ceil(value - 1e-9)
        c = self.with_limit(value)
        c.bind(self.data)
        return f"per-contract bounds/sides must widen by {w:,d} contracts (to {c.describe()})"


class MaxInstruments(Constraint):
    """Cardinality: at most K instruments with a nonzero total.

    Binary z_i with -M_i z_i <= h_i <= M_i z_i, M_i = max(|lo_i|, |hi_i|) of the valid integer box
    of h_i (a Parameter refreshed before every solve); sum z <= K.
    """

    kind = "max_instruments"

    def __init__(self, k: int) -> None:
        super().__init__("max_instruments")
        self.k = int(k)

    def bind(self, data):
        super().bind(data)
        self._set("k", float(self.k))
        if "M" not in self._p:
            self._set("M", np.full(data.I, 1.0), nonneg=True)

    def set_box(self, lo_tot, hi_tot):
        self.data_box_lo, self.data_box_hi = np.asarray(lo_tot), np.asarray(hi_tot)
        self._set("M", np.maximum(np.abs(lo_tot), np.abs(hi_tot)), nonneg=True)

    def cvx(self, v):
        z = cp.Variable(self.data.I, boolean=v.integer, name="z_used")
        out = [v.tot <= cp.multiply(self.P_("M"), z), -v.tot <= cp.multiply(self.P_("M"), z),
               cp.sum(z) <= self.P_("k")]
        if not v.integer:
            out += [z >= 0, z <= 1]
        return out

    def scip(self, m, y, h):
        Mv = np.maximum(np.abs(self.data_box_lo), np.abs(self.data_box_hi))
        zs = []
        for i in range(self.data.I):
            if not np.isfinite(Mv[i]):
                return False
            if Mv[i] == 0:
                continue
            z = m.addVar(vtype="B", name=f"z_used_{i}")
            m.addCons(h[i] <= float(Mv[i]) * z)
            m.addCons(-h[i] <= float(Mv[i]) * z)
            zs.append(z)
        if zs:
            m.addCons(sum(zs) <= self.k)
        return True

    def count(self, Y):
        return (np.abs(self.data.totals(np.atleast_2d(Y))) > 0.5).sum(axis=1)

    def violation(self, Y):
        return (self.count(Y) - self.k).astype(float)

    def tol(self):
        return 0.0

    def describe(self):
        return f"at most {self.k} instruments used"

    def value(self):
        return {"max_instruments": self.k}

    def usage(self, v):
        z = cp.Variable(self.data.I, boolean=True)
        Mv = np.maximum(np.abs(self.data_box_lo), np.abs(self.data_box_hi))
        return cp.sum(z), [v.tot <= cp.multiply(Mv, z), -v.tot <= cp.multiply(Mv, z)]

    def measure(self, y):
        return float(self.count(y)[0])

    def with_limit(self, value):
        return MaxInstruments(int(round(value)))

    def limit_label(self):
        return "maximum number of instruments"

    def relax_message(self, value):
        return f"maximum number of instruments must be at least {int(round(value))} (now {self.k})"


__all__ = ["Constraint", "ContractBounds", "DV01Band", "KeyRateBand", "Leverage", "MarginBudget",
           "MaxInstruments", "MinPortfolioDV01", "ProblemData", "Turnover", "Vars"]
