"""Named hedge-mandate constraints (SPEC §6), each described once by its forms.

A constraint is a small class that turns the problem's numbers (:class:`ProblemData`) into forms
(:mod:`optimizer.core.forms`: a linear form with bounds on the totals h or the pieces y, an
absolute-sum limit, or a cardinality) and says how it reads to a person: ``describe()``,
``value()``, and for the infeasibility diagnosis ``widened(t)`` (the constraint with its limit
relaxed by ``t >= 0`` natural units on the sides its forms allow), ``relax_message(t)`` and
``mandate_changes(limits, t)`` (the :class:`~optimizer.core.limits.Limits` fields a user would
change). Adding a constraint = one class here + one ``Limits`` field; the numpy and exact checks,
bound propagation, relaxations, cvxpy/SCIP models and diagnosis problems are derived.

Decision variables: ``h`` (I,) signed contracts per instrument (the account's real positions),
``y`` (P,) the part of ``h_i`` designated to sector s for every allowed pair p = (s, i), with
``sum_{p of i} y_p = h_i`` and every ``y_p`` of the sign of ``h_i`` (or zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.core.forms import AbsSum, Cardinality, Form, LinearForm

K = 1e3  # $ -> $k
M = 1e6  # $ -> $M


@dataclass
class ProblemData:
    """Numbers of one hedge problem in natural units (USD, bp, contracts)."""

    sectors: list[str]
    instruments: list[str]
    factors: list[str]
    pieces: list[tuple[int, int]]  # (sector, instrument) per piece variable
    S: np.ndarray  # (I, P) 0/1: pieces -> totals
    x: np.ndarray  # (F,) portfolio exposure, USD/bp
    t: np.ndarray  # (F,) target exposure, USD/bp
    B: np.ndarray  # (F, I) instrument exposure per contract, USD/bp
    d: np.ndarray  # (I,) instrument DV01 per contract, USD
    sd: np.ndarray  # (S,) sector DV01, USD
    smv: np.ndarray  # (S,) sector market value, USD
    mv: float  # portfolio market value, USD (signed)
    notional: np.ndarray  # (I,) USD per contract
    leverage_weight: np.ndarray  # (I,) USD per contract counted by the leverage limit
    im: np.ndarray  # (I,) initial margin per contract, USD
    h0: np.ndarray  # (I,) contracts held now
    cov: np.ndarray  # (F, F) bp^2 / yr
    resid_var: float  # USD^2 / yr, constant in h

    @property
    def P(self) -> int:
        return len(self.pieces)

    @property
    def I(self) -> int:  # noqa: E743
        return len(self.instruments)

    @property
    def mv_abs(self) -> float:
        """|MV|: leverage and "bp of MV" of net-short and all-short portfolios (SPEC §6)."""
        return abs(self.mv)

    @property
    def piece_instrument(self) -> np.ndarray:
        return np.array([i for _, i in self.pieces], dtype=int)

    def totals(self, Y: np.ndarray) -> np.ndarray:
        return np.atleast_2d(np.asarray(Y, dtype=float)) @ self.S.T

    def sector_row(self, s: int) -> np.ndarray:
        """Coefficients of sector s's DV01 after hedge on the pieces (USD per contract)."""
        return np.array([self.d[i] if ss == s else 0.0 for ss, i in self.pieces])

    def sector_after(self, Y: np.ndarray) -> np.ndarray:
        """(N, S) sector DV01 after hedge, USD."""
        Y = np.atleast_2d(np.asarray(Y, dtype=float))
        return self.sd[None, :] + np.stack([Y @ self.sector_row(s)
                                            for s in range(len(self.sectors))], axis=1)


def fmt_usd(v: float) -> str:
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.2f}" if abs(v) < 100 else f"{sign}${abs(v):,.0f}"


def ceil_cents(v: float) -> float:
    return math.ceil(v * 100 - 1e-6) / 100


class Constraint:
    """Base class: ``bind`` reads the numbers, ``forms`` describes the constraint."""

    kind = "constraint"

    def __init__(self, name: str) -> None:
        self.name = name
        self.data: ProblemData | None = None

    def bind(self, data: ProblemData) -> None:
        self.data = data

    def forms(self) -> list[Form]:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def value(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "description": self.describe(),
                **self.value()}

    # -- diagnosis -----------------------------------------------------------------------
    integer_limit = False  # True: the limit moves in whole contracts / instruments

    def limit_label(self) -> str:
        return self.name

    def required(self, t: float) -> float:
        """The limit's value after widening by ``t`` (natural units, for messages)."""
        raise NotImplementedError

    def widened(self, t: float) -> Constraint:
        raise NotImplementedError

    def relax_message(self, t: float) -> str:
        raise NotImplementedError

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        """``Limits`` fields that apply the widening ``t`` (``dataclasses.replace`` kwargs)."""
        raise NotImplementedError


# ----------------------------------------------------------------------------------------------
class DV01Band(Constraint):
    """Sector (or portfolio, ``sector=None``) DV01 after hedge within ``target +- tol`` (USD).

    Sector DV01 after = sector DV01 + sum of its pieces x contract DV01 (a form on y); the
    portfolio's = sum of sector DV01s + d . h (a form on h).
    """

    kind = "dv01_band"

    def __init__(self, sector: str | None, spec: Any) -> None:
        super().__init__(f"sector_dv01[{sector}]" if sector else "portfolio_dv01")
        self.sector, self.spec = sector, spec
        self.target = self.tol_usd = self.current = float("nan")

    def bind(self, data: ProblemData) -> None:
        super().bind(data)
        if self.sector is None:
            self.current, mv = float(data.sd.sum()), data.mv
        else:
            s = data.sectors.index(self.sector)
            self.current, mv = float(data.sd[s]), float(data.smv[s])
        self.target, self.tol_usd = self.spec.resolve(self.current, mv)

    def forms(self) -> list[Form]:
        assert self.data is not None
        if self.sector is None:
            return [LinearForm("h", self.data.d.copy(), self.current,
                               self.target - self.tol_usd, self.target + self.tol_usd, K)]
        s = self.data.sectors.index(self.sector)
        return [LinearForm("y", self.data.sector_row(s), self.current,
                           self.target - self.tol_usd, self.target + self.tol_usd, K)]

    def describe(self) -> str:
        who = f"{self.sector} sector" if self.sector else "portfolio"
        return (f"{who} DV01 after hedge within {fmt_usd(self.target)} +- "
                f"{fmt_usd(self.tol_usd)} (now {fmt_usd(self.current)})")

    def value(self) -> dict[str, Any]:
        return {"sector": self.sector, "current_usd": self.current, "target_usd": self.target,
                "tolerance_usd": self.tol_usd}

    def limit_label(self) -> str:
        return f"tolerance of {self.name}"

    def required(self, t: float) -> float:
        return ceil_cents(self.tol_usd + t)

    def widened(self, t: float) -> DV01Band:
        return DV01Band(self.sector, self.spec.with_tolerance(self.required(t)))

    def relax_message(self, t: float) -> str:
        who = f"the {self.sector} sector" if self.sector else "the portfolio"
        return (f"tolerance on {who} DV01 target ({fmt_usd(self.target)}) must be at least "
                f"{fmt_usd(self.required(t))} (now {fmt_usd(self.tol_usd)})")

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        spec = self.spec.with_tolerance(self.required(t))
        if self.sector is None:
            return {"portfolio_target": spec}
        return {"sector_targets": {**limits.sector_targets, self.sector: spec}}


class KeyRateBand(Constraint):
    """Hedged portfolio exposure to one factor within [lower, upper] USD/bp (None = open)."""

    kind = "key_rate_band"

    def __init__(self, factor: str, lower: float | None, upper: float | None) -> None:
        super().__init__(f"key_rate[{factor}]")
        self.factor, self.lower, self.upper = factor, lower, upper

    def forms(self) -> list[Form]:
        assert self.data is not None
        f = self.data.factors.index(self.factor)
        lo = -math.inf if self.lower is None else float(self.lower)
        hi = math.inf if self.upper is None else float(self.upper)
        return [LinearForm("h", self.data.B[f].copy(), float(self.data.x[f]), lo, hi, K,
                           widen_lo=self.lower is not None, widen_hi=self.upper is not None)]

    def describe(self) -> str:
        lo = "-inf" if self.lower is None else fmt_usd(self.lower)
        hi = "+inf" if self.upper is None else fmt_usd(self.upper)
        return f"{self.factor} exposure after hedge in [{lo}, {hi}] per bp"

    def value(self) -> dict[str, Any]:
        return {"factor": self.factor, "lower_usd": self.lower, "upper_usd": self.upper}

    def limit_label(self) -> str:
        return f"width of {self.name}"

    def required(self, t: float) -> float:
        return ceil_cents(t)

    def widened(self, t: float) -> KeyRateBand:
        w = self.required(t)
        return KeyRateBand(self.factor, None if self.lower is None else self.lower - w,
                           None if self.upper is None else self.upper + w)

    def relax_message(self, t: float) -> str:
        return (f"{self.factor} band must widen by {fmt_usd(self.required(t))}/bp on its binding "
                f"side(s) (to {self.widened(t).describe()})")

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        c = self.widened(t)
        return {"key_rate_bands": {**limits.key_rate_bands, self.factor: (c.lower, c.upper)}}


class MinPortfolioDV01(Constraint):
    """Never net short duration: portfolio DV01 after hedge >= floor (USD; 0 by default)."""

    kind = "no_net_short"

    def __init__(self, floor: float = 0.0) -> None:
        super().__init__("no_net_short")
        self.floor = float(floor)

    def forms(self) -> list[Form]:
        assert self.data is not None
        return [LinearForm("h", self.data.d.copy(), float(self.data.sd.sum()), self.floor,
                           math.inf, K, widen_hi=False)]

    def describe(self) -> str:
        if self.floor == 0:
            return "no net short duration: portfolio DV01 after hedge >= $0"
        return f"portfolio DV01 after hedge >= {fmt_usd(self.floor)}"

    def value(self) -> dict[str, Any]:
        return {"floor_usd": self.floor}

    def limit_label(self) -> str:
        return "no-net-short floor"

    def required(self, t: float) -> float:
        return ceil_cents(t)

    def widened(self, t: float) -> MinPortfolioDV01:
        return MinPortfolioDV01(self.floor - self.required(t))

    def relax_message(self, t: float) -> str:
        v = self.required(t)
        return (f"the mandate needs the portfolio net short by {fmt_usd(v)} of DV01: allow "
                f"portfolio DV01 after hedge >= {fmt_usd(self.floor - v)} (or drop no-net-short)")

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        return {"net_dv01_floor": self.floor - self.required(t)}


class ContractBounds(Constraint):
    """Per-contract bounds and allowed side on each total (``lo_i <= h_i <= hi_i``).

    Instruments with no explicit bound get a default cap ``ceil(3 x gross DV01 / |contract
    DV01|) + |h0|`` (gross DV01 = max(sum_s |sector DV01|, sum_f |exposure_f|)) so that the
    integer problem is bounded; it is stated in ``describe()`` like any other bound.
    """

    kind = "contract_bounds"
    integer_limit = True

    def __init__(self, lower: dict[str, float] | None = None,
                 upper: dict[str, float] | None = None,
                 sides: dict[str, str] | None = None, widen: float = 0.0) -> None:
        super().__init__("contract_bounds")
        self.lower, self.upper = dict(lower or {}), dict(upper or {})
        self.sides, self.widen = dict(sides or {}), float(widen)
        for k, s in self.sides.items():
            if s not in ("long", "short", "both"):
                raise ValueError(f"side of {k} must be long, short or both, not {s!r}")
        self.lo = self.hi = np.zeros(0)
        self.defaulted: list[str] = []

    def bind(self, data: ProblemData) -> None:
        super().bind(data)
        gross = max(float(np.abs(data.sd).sum()), float(np.abs(data.x).sum()), 1.0)
        lo, hi = np.full(data.I, -np.inf), np.full(data.I, np.inf)
        self.defaulted = []
        for i, name in enumerate(data.instruments):
            lo[i] = self.lower.get(name, -np.inf)
            hi[i] = self.upper.get(name, np.inf)
            side = self.sides.get(name, "both")
            if side == "long":
                lo[i] = max(lo[i], 0.0)
            if side == "short":
                hi[i] = min(hi[i], 0.0)
            if not (np.isfinite(lo[i]) and np.isfinite(hi[i])):
                scale = abs(data.d[i]) if abs(data.d[i]) > 0 else \
                    max(float(np.abs(data.B[:, i]).sum()), 1e-9)
                cap = math.ceil(3 * gross / scale) + abs(data.h0[i])
                self.defaulted.append(name)
                lo[i], hi[i] = max(lo[i], -cap), min(hi[i], cap)
        self.lo, self.hi = lo - self.widen, hi + self.widen

    def forms(self) -> list[Form]:
        assert self.data is not None
        eye = np.eye(self.data.I)
        return [LinearForm("h", eye[i], 0.0, float(self.lo[i]), float(self.hi[i]), 1.0)
                for i in range(self.data.I)]

    def describe(self) -> str:
        names = self.data.instruments if self.data else []
        parts = [f"{n} in [{self.lo[i]:,.0f}, {self.hi[i]:,.0f}]"
                 + (" (default cap)" if n in self.defaulted else "") for i, n in enumerate(names)]
        return "per-contract bounds: " + ", ".join(parts)

    def value(self) -> dict[str, Any]:
        if self.data is None:
            return {}
        names = self.data.instruments
        return {"lower": dict(zip(names, self.lo.tolist(), strict=True)),
                "upper": dict(zip(names, self.hi.tolist(), strict=True)),
                "default_capped": list(self.defaulted), "sides": self.sides}

    def limit_label(self) -> str:
        return "per-contract bounds"

    def required(self, t: float) -> float:
        return float(math.ceil(t - 1e-9))

    def widened(self, t: float) -> ContractBounds:
        return ContractBounds(self.lower, self.upper, self.sides, self.widen + self.required(t))

    def relax_message(self, t: float) -> str:
        c = self.widened(t)
        if self.data is not None:
            c.bind(self.data)
        return (f"per-contract bounds/sides must widen by {int(self.required(t)):,d} contracts "
                f"(to {c.describe()})")

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        c = self.widened(t)
        assert self.data is not None
        c.bind(self.data)
        names = self.data.instruments
        return {"lower": dict(zip(names, c.lo.tolist(), strict=True)),
                "upper": dict(zip(names, c.hi.tolist(), strict=True)), "sides": {}}


class _AbsSumLimit(Constraint):
    """``sum_i w_i |h_i - ref_i| <= cap`` (leverage, margin, turnover)."""

    scale = K
    field_name = ""

    def __init__(self, name: str, limit: float) -> None:
        super().__init__(name)
        self.limit = float(limit)

    def weights(self, data: ProblemData) -> np.ndarray:
        raise NotImplementedError

    def ref(self, data: ProblemData) -> np.ndarray:
        return np.zeros(data.I)

    def cap(self) -> float:
        """The limit in the units of weights x contracts."""
        return self.limit

    def forms(self) -> list[Form]:
        assert self.data is not None
        return [AbsSum(np.asarray(self.weights(self.data), float), self.ref(self.data),
                       self.cap(), self.scale)]

    def value(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def required(self, t: float) -> float:
        return ceil_cents(self.cap() + t)

    def widened(self, t: float) -> Constraint:
        return type(self)(self.required(t))  # type: ignore[call-arg, arg-type]

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        return {self.field_name: self.required(t)}


class Leverage(_AbsSumLimit):
    """Gross leverage: ``sum |h_i| w_i <= L x |portfolio MV|`` (w = leverage weight per
    contract, by default its notional; L a ratio, 0.5 = 50%)."""

    kind = "leverage"
    scale = M
    field_name = "max_leverage"

    def __init__(self, max_ratio: float) -> None:
        super().__init__("leverage", max_ratio)

    def weights(self, data: ProblemData) -> np.ndarray:
        return data.leverage_weight

    def cap(self) -> float:
        assert self.data is not None
        return self.limit * self.data.mv_abs

    def describe(self) -> str:
        return f"gross futures notional <= {self.limit:.2%} of |portfolio market value|"

    def limit_label(self) -> str:
        return "leverage limit"

    def required(self, t: float) -> float:
        assert self.data is not None
        mv = self.data.mv_abs
        return math.ceil((self.cap() + t) / mv * 1e6 - 1e-6) / 1e6 if mv > 0 else math.inf

    def relax_message(self, t: float) -> str:
        return (f"leverage limit must be at least {self.required(t):.4%} of market value "
                f"(now {self.limit:.2%})")


class MarginBudget(_AbsSumLimit):
    """Initial margin: ``sum |h_i| IM_i <= budget`` (USD)."""

    kind = "margin"
    field_name = "margin_budget"

    def __init__(self, budget: float) -> None:
        super().__init__("margin", budget)

    def weights(self, data: ProblemData) -> np.ndarray:
        return data.im

    def describe(self) -> str:
        return f"initial margin <= {fmt_usd(self.limit)}"

    def limit_label(self) -> str:
        return "margin budget"

    def relax_message(self, t: float) -> str:
        v = self.required(t)
        return f"margin budget must be at least {fmt_usd(v)} (now {fmt_usd(self.limit)})"


class Turnover(_AbsSumLimit):
    """Turnover: ``sum |h_i - h0_i| <= T`` contracts."""

    kind = "turnover"
    scale = 1.0
    field_name = "max_turnover"
    integer_limit = True

    def __init__(self, max_contracts: float) -> None:
        super().__init__("turnover", max_contracts)

    def weights(self, data: ProblemData) -> np.ndarray:
        return np.ones(data.I)

    def ref(self, data: ProblemData) -> np.ndarray:
        return data.h0.copy()

    def describe(self) -> str:
        return f"turnover sum |h - h0| <= {self.limit:,.0f} contracts"

    def limit_label(self) -> str:
        return "turnover limit"

    def required(self, t: float) -> float:
        return float(math.ceil(self.limit + t - 1e-9))

    def relax_message(self, t: float) -> str:
        return (f"turnover limit must be at least {int(self.required(t)):,d} contracts "
                f"(now {self.limit:,.0f})")


class MaxInstruments(Constraint):
    """Cardinality: at most K contracts with a nonzero total (real positions)."""

    kind = "max_instruments"
    integer_limit = True

    def __init__(self, k: int) -> None:
        super().__init__("max_instruments")
        self.k = int(k)

    def forms(self) -> list[Form]:
        return [Cardinality(self.k)]

    def describe(self) -> str:
        return f"at most {self.k} instruments used"

    def value(self) -> dict[str, Any]:
        return {"max_instruments": self.k}

    def limit_label(self) -> str:
        return "maximum number of instruments"

    def required(self, t: float) -> float:
        return float(self.k + math.ceil(t - 1e-9))

    def widened(self, t: float) -> MaxInstruments:
        return MaxInstruments(int(self.required(t)))

    def relax_message(self, t: float) -> str:
        return (f"maximum number of instruments must be at least {int(self.required(t))} "
                f"(now {self.k})")

    def mandate_changes(self, limits: Any, t: float) -> dict[str, Any]:
        return {"max_instruments": int(self.required(t))}


__all__ = ["Constraint", "ContractBounds", "DV01Band", "KeyRateBand", "Leverage", "MarginBudget",
           "MaxInstruments", "MinPortfolioDV01", "ProblemData", "Turnover", "ceil_cents", "fmt_usd"]
