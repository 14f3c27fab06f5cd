"""Infeasible mandates: which constraints conflict, and the smallest change of each, proven.

1. **Conflicts** -- a deletion filter over the named constraints: drop each in turn and keep it
   out if the rest stays infeasible. Feasibility is first decided on the linear relaxation (a
   HiGHS LP); when that is feasible the conflict is an integer one (bands narrower than a
   contract, real positions, cardinality) and the filter uses integer feasibility (HiGHS MILP:
   integer totals and pieces, sign binaries). What remains is an irreducible conflicting set.
2. **Smallest single change** -- for each conflicting constraint c, the least widening t of c
   (tolerance, cap, bound, K) with every other constraint as stated: a MILP of its own
   (:class:`optimizer.core.milp.Milp`, objective t, proven optimal by HiGHS at gap 0). It is
   rounded up to what a user states (cents of USD, 1e-6 of a ratio, whole contracts) and then
   **verified**: the relaxed mandate is solved by the exact method, which must find a hedge
   (checked in exact arithmetic). Only verified changes are printed, each saying so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from optimizer.core.constraints import Constraint
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.forms import Form
from optimizer.core.milp import Milp
from optimizer.core.model import HedgeModel

# verify(constraint, t) -> (feasible?, totals of the hedge found)
Verifier = Callable[[Constraint, float], tuple[bool, list[int]]]


@dataclass
class Relaxation:
    """The smallest change of one constraint's limit that makes the mandate feasible."""

    constraint: str
    limit: str
    current: dict[str, Any]
    required: float
    message: str
    replacement: Constraint  # the constraint with the change applied
    verified: bool
    source: Constraint  # the constraint as stated
    t: float = 0.0  # the widening, natural units
    hedge: list[int] = field(default_factory=list)  # totals of the verifying hedge

    def to_dict(self) -> dict[str, Any]:
        return {"constraint": self.constraint, "limit": self.limit, "current": self.current,
                "required": self.required, "message": self.message, "verified": self.verified}

    def apply(self, mandate: Any) -> Any:
        """The mandate (:class:`optimizer.core.limits.Limits`) with this change applied."""
        return replace(mandate, **self.source.mandate_changes(mandate, self.t))


def _forms(model: HedgeModel, names: list[str]) -> list[Form]:
    return [f for n in names for f in model.forms.of(n)]


def _feasible(model: HedgeModel, names: list[str], relax: bool, time_limit: float) -> str:
    res = Milp(model, _forms(model, names), relax=relax).solve(time_limit)
    return res.status


def conflicts(model: HedgeModel, budget: float = 5.0) -> tuple[list[str], list[str]]:
    """Deletion filter (module docstring): (conflicting constraint names, notes)."""
    names = [c.name for c in model.constraints]
    notes: list[str] = []
    relax = _feasible(model, names, True, budget) == "infeasible"
    core = list(names)
    for n in names:
        trial = [k for k in core if k != n]
        st = _feasible(model, trial, relax, budget)
        if st == "infeasible":
            core = trial
        elif st != "optimal":
            notes.append(f"could not decide whether dropping {n} is enough ({st}); kept")
    return core, notes


def smallest_change(model: HedgeModel, c: Constraint, verify: Verifier,
                    time_limit: float = 10.0) -> tuple[Relaxation | None, str]:
    """The least widening of ``c`` alone, verified (module docstring)."""
    names = [k.name for k in model.constraints]
    mine = model.forms.of(c.name)
    res = Milp(model, _forms(model, names), widen=mine).solve(time_limit)
    if res.status == "infeasible":
        return None, f"relaxing {c.name} alone is not enough"
    if res.status != "optimal":
        return None, f"the least change of {c.name} was not proven within {time_limit:g} s"
    t = max(res.t, 0.0)
    for bump in (0.0, 0.01, 1.0, 100.0):
        t_try = _next_unit(c, t + bump) if bump else t
        ok, hedge = verify(c, t_try)
        if ok:
            return Relaxation(constraint=c.name, limit=c.limit_label(), current=c.value(),
                              required=c.required(t_try), message=c.relax_message(t_try)
                              + " (verified: the relaxed mandate has a hedge)",
                              replacement=c.widened(t_try), verified=True, source=c, t=t_try,
                              hedge=hedge), ""
    return None, f"a change of {c.name} could not be verified"


def _next_unit(c: Constraint, t: float) -> float:
    return float(math.ceil(t)) if c.integer_limit else t


def diagnose(model: HedgeModel, why: str, verify: Verifier,
             budget: float = 10.0) -> InfeasibleMandate:
    """Conflicts and verified smallest single changes of an infeasible mandate."""
    core, notes = conflicts(model, budget)
    by_name = {c.name: c for c in model.constraints}
    relaxations: list[Relaxation] = []
    for n in core:
        try:
            r, note = smallest_change(model, by_name[n], verify, budget)
        except SolverFailure as exc:
            r, note = None, f"no verified change of {n}: {exc}"
        if r is not None:
            relaxations.append(r)
        if note:
            notes.append(note)
    details = [f"{n} ({by_name[n].describe()})" for n in core]
    msg = f"{why}. Conflicting constraints: " + "; ".join(details) + "."
    if relaxations:
        msg += (" Smallest single changes that make it feasible (each the exact minimum of that "
                "limit alone, verified): " + "; ".join(r.message for r in relaxations) + ".")
    if notes:
        msg += " " + "; ".join(notes) + "."
    return InfeasibleMandate(msg, conflicts=list(core),
                             relaxations=[r.message for r in relaxations], why=why,
                             suggestions=relaxations, conflict_details=details,
                             notes=notes)


__all__ = ["Relaxation", "conflicts", "diagnose", "smallest_change"]
