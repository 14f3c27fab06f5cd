"""Rebalancing an existing overlay (SPEC §7): the real book, bands, the proposal, the order list.

API::

    from optimizer import rebalance
    out = rebalance("positions.csv", holdings, mandate, asof)   # e.g. what `overlay hedge --csv` wrote
    out.decision, out.reason          # "no_trade" | "roll" | "rebalance" | "new_mandate", why
    out.to_frame()                    # the orders (contract, side, quantity, price, est. cost, reason)
    out.to_dict()                     # exactly `overlay rebalance --json`

Tolerance band (the trigger)
----------------------------
For every sector with a DV01 target: ``band = band_fraction x |target DV01|`` (default 10%).
A **zero target** has no scale of its own, so its band is ``band_fraction x |the sector's
unhedged DV01|`` (10% of the risk being hedged away). A whole-portfolio target (``duration``) is
banded on the portfolio DV01 the same way. Every band is at least half the DV01 of the largest
contract that may hedge the sector (an integer hedge must be able to land inside) and at least
the mandate's own tolerance (a hedge the mandate accepts is never outside its rebalance band).

Where the overlay is now: decided from the real book
----------------------------------------------------
The held totals (after rolls) are **inside the mandate** when *some* real allocation of them to
sectors -- every piece with the sign of its contract's net, as the core models designations --
puts every sector inside its band: a feasibility solve through the core with every total fixed
at the held count and the bands as constraints. The mandate's other limits (margin, leverage, K,
contract bounds, key-rate bands, no net short) are checked on the held totals. Inside and within
the limits -> **no trade**, with the allocation that shows it (one within the mandate's own
tolerances when the held contracts admit one -- as the hedge's own designations do -- else one
within the bands). Otherwise the sectors' held DV01s are shown at the closest real allocation --
the one that fits the smallest uniform widening ``k`` of every band (bisection on ``k``, each
step the same feasibility solve), stated in the reason -- and the proposal restores the
mandate. So the optimal hedge, rebalanced on the day it was built, gives no orders.

The proposal (outside a band or a limit)
----------------------------------------
The hedge problem with the held contracts as ``current`` (turnover and trading cost count from
them); each sector outside its band is restored to the mandate's own tolerance -- if the limits
(turnover) make that infeasible, to its rebalance band only, with a warning; sectors inside
their bands keep the band as their constraint; the mandate's other limits apply, and

* instruments that only hedge sectors already inside their bands are **frozen** at their held
  count (no trade that is not needed), unless a limit is breached;
* trading cost ``c_i |h_i - h0_i|`` with ``c_i`` = half a tick per contract
  (:func:`optimizer.workflows.rolls.cost_per_contract`) and, unless the mandate states one, a cost
  weight of ``2 x TE*`` USD^2/yr per USD, TE* = the tracking error of the same problem without
  cost at its continuous optimum (first-order exchange rate: $1 of trading cost ~ $1/yr of
  tracking error at the restored level), so keeping what is held wins whenever it is as good;
* ``turnover`` (contracts, sum |h - h0|) if the mandate gives one: hard. A band that turnover
  cannot reach is an infeasible mandate (exit 3) with the smallest turnover that works.

Orders: one line per contract whose count changes (``BUY``/``SELL``, quantity, price, estimated
cost = half tick x quantity, reason ``rebalance`` or ``new mandate``), plus the two legs of every
roll (:mod:`optimizer.workflows.rolls`). The decision, the proposal and the orders never
contradict: "no trade" has no trade order; "rebalance" has at least one.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.errors import InputError, Notice
from models.instruments import DEFAULT_ROLL_DAYS
from optimizer.core.errors import InfeasibleMandate, SolverFailure
from optimizer.core.problem import (
    DV01Target,
    HedgeInputs,
    HedgeProblem,
    HedgeResult,
    Limits,
    build_data,
    solve,
)
from optimizer.mandate import Mandate
from optimizer.workflows.request import MandateRequest
from optimizer.workflows.rolls import (
    ORDER_COLUMNS,
    RollPlan,
    cost_per_contract,
    plan_rolls,
    point_value,
    resolve_position_contract,
    roll_orders,
)

DEFAULT_BAND = 0.10


@dataclass
class Band:
    sector: str                 # sector name or "Portfolio"
    dv01_unhedged: float
    target: float
    band: float
    rule: str

    def inside(self, dv01_after: float) -> bool:
        return abs(dv01_after - self.target) <= self.band * (1 + 1e-12) + 1e-9

    def row(self, dv01_after: float) -> dict[str, Any]:
        return {"sector": self.sector, "dv01_unhedged": self.dv01_unhedged,
                "dv01_target": self.target, "band_usd": self.band, "band_rule": self.rule,
                "dv01_hedged": dv01_after, "drift_usd": dv01_after - self.target,
                "inside": self.inside(dv01_after)}


def _band(band_fraction: float, target: float, unhedged: float, floor: float,
          own_tol: float | None) -> tuple[float, str]:
    pct = f"{band_fraction * 100:g}%"
    if abs(target) > 1e-9:
        b, rule = band_fraction * abs(target), f"{pct} of target DV01"
    else:
        b, rule = band_fraction * abs(unhedged), f"{pct} of unhedged DV01 (zero target)"
    if b < floor:
        b, rule = floor, "half the largest contract DV01 (floor)"
    if own_tol is not None and b < own_tol:
        b, rule = own_tol, "the mandate's own tolerance (floor)"
    return float(b), rule


def bands(inputs: HedgeInputs, mandate: Limits, band_fraction: float = DEFAULT_BAND
          ) -> list[Band]:
    """Rebalance bands (see module docstring)."""
    _, tgt = build_data(inputs, mandate)
    out: list[Band] = []
    sd, smv = inputs.sector_dv01, inputs.sector_market_value
    for k, s in enumerate(inputs.sectors):
        spec = mandate.sector_targets.get(s)
        if spec is None:
            continue
        biggest = max([abs(inputs.instrument_dv01[i]) for i in range(len(inputs.instruments))
                       if inputs.designations[k, i]] or [0.0])
        own = spec.resolve(float(sd[k]), float(smv[k]))[1] if spec.has_band else None
        b, rule = _band(band_fraction, float(tgt[k]), float(sd[k]), 0.5 * biggest, own)
        out.append(Band(s, float(sd[k]), float(tgt[k]), b, rule))
    pt = mandate.portfolio_target
    if pt is not None:
        full, mv = float(sd.sum()), inputs.portfolio_market_value
        own = pt.resolve(full, mv)[1] if pt.has_band else None
        t = float(np.nansum(tgt))
        b, rule = _band(band_fraction, t, full, 0.5 * float(np.abs(inputs.instrument_dv01).max()),
                        own)
        out.append(Band("Portfolio", full, t, b, rule))
    return out


def _banded_mandate(mandate: Limits, bl: list[Band], inputs: HedgeInputs | None = None,
                    restore: set[str] | None = None) -> Limits:
    """Targets with the rebalance band as tolerance; sectors in ``restore`` get the tighter of
    the band and the mandate's own tolerance (restore the mandate, not just the band)."""
    st = dict(mandate.sector_targets)
    pt = mandate.portfolio_target
    restore = restore or set()
    for b in bl:
        tol = b.band
        own = pt if b.sector == "Portfolio" else st.get(b.sector)
        if b.sector in restore and own is not None and own.has_band and inputs is not None:
            if b.sector == "Portfolio":
                cur, mv = float(inputs.sector_dv01.sum()), inputs.portfolio_market_value
            else:
                k = inputs.sectors.index(b.sector)
                cur, mv = float(inputs.sector_dv01[k]), float(inputs.sector_market_value[k])
            tol = min(tol, own.resolve(cur, mv)[1])
        if b.sector == "Portfolio":
            pt = DV01Target(dv01=b.target, tol_usd=tol)
        else:
            st[b.sector] = DV01Target(dv01=b.target, tol_usd=tol)
    return replace(mandate, sector_targets=st, portfolio_target=pt)


def hedged_dv01(result: HedgeResult) -> dict[str, float]:
    out = {s["sector"]: float(s["dv01_after"]) for s in result.sectors}
    out["Portfolio"] = float(result.portfolio.get("dv01_after", sum(out.values())))
    return out


def _fixed(inputs: HedgeInputs, held: np.ndarray) -> dict[str, float]:
    return {n: float(v) for n, v in zip(inputs.instruments, held, strict=True)}


@dataclass
class HeldBook:
    """Where the held totals sit: inside every band under some real allocation (``inside``),
    the allocation shown (``result``), the mandate limits the totals break."""

    inside: bool
    result: HedgeResult
    limits_broken: list[str]
    band_multiple: float = 1.0       # smallest uniform widening of the bands that fits the book


def _pieces(inputs: HedgeInputs, mandate: Limits, res: HedgeResult) -> np.ndarray:
    data, _ = build_data(inputs, mandate)
    by = {(a["sector"], a["instrument"]): a["contracts"] for a in res.allocation}
    return np.array([by.get((data.sectors[s], data.instruments[i]), 0)
                     for s, i in data.pieces], dtype=float)


def _scaled(bl: list[Band], k: float) -> list[Band]:
    return [replace(b, band=b.band * k) for b in bl]


def _only_bands(mandate: Limits, bl: list[Band], inputs: HedgeInputs | None = None,
                restore: set[str] | None = None) -> Limits:
    """The mandate's targets with the bands as tolerances, and no other limit."""
    return _banded_mandate(Limits(sector_targets=dict(mandate.sector_targets),
                                  portfolio_target=mandate.portfolio_target), bl, inputs, restore)


def _allocate(inputs: HedgeInputs, bands_only: Limits, held: np.ndarray,
              time_limit: float) -> HedgeResult:
    """Feasibility solve through the core: every total fixed at ``held``, ``bands_only``'s
    targets and tolerances (raises InfeasibleMandate when no real allocation of the held
    contracts meets them)."""
    fixed = _fixed(inputs, held)
    return solve(replace(inputs, current=held.astype(float)),
                 replace(bands_only, lower=fixed, upper=fixed), time_limit=time_limit,
                 diagnose=False)


def _closest(inputs: HedgeInputs, mandate: Limits, bl: list[Band], held: np.ndarray,
             time_limit: float) -> tuple[HedgeResult, float]:
    """Where a held book outside its bands sits: the real allocation of the held contracts
    with the smallest uniform widening ``k`` of every band that admits one (bisection in log k
    to 5%, each step a feasibility solve). Returns the allocation and k."""
    d = np.abs(held * inputs.instrument_dv01).sum()
    k_hi = max((abs(b.dv01_unhedged - b.target) + d) / b.band for b in bl if b.band > 0) * 1.01
    best = _allocate(inputs, _only_bands(mandate, _scaled(bl, k_hi)), held, time_limit)
    k_lo = 1.0
    while k_hi / k_lo > 1.05:
        k = math.sqrt(k_lo * k_hi)
        try:
            best = _allocate(inputs, _only_bands(mandate, _scaled(bl, k)), held, time_limit)
            k_hi = k
        except InfeasibleMandate:
            k_lo = k
    return best, k_hi


def check_held(inputs: HedgeInputs, mandate: Limits, bl: list[Band], held: np.ndarray,
               time_limit: float = 10.0) -> HeldBook:
    """Feasibility of the held totals (see the module docstring). The allocation shown is one
    within the mandate's own tolerances when the held contracts admit one (what the hedge's
    own designations do), else one within the rebalance bands, else the closest."""
    inside, res, k = True, None, 1.0
    for lim in (_only_bands(mandate, bl, inputs, {b.sector for b in bl}),
                _only_bands(mandate, bl)):
        try:
            res = _allocate(inputs, lim, held, time_limit)
            break
        except InfeasibleMandate:
            continue
    if res is None:
        res, k = _closest(inputs, mandate, bl, held, time_limit)
        inside = False
    inp = replace(inputs, current=held.astype(float))
    return HeldBook(inside, res, _limits_broken(inp, _banded_mandate(mandate, bl), res), k)


def _limits_broken(inputs: HedgeInputs, mandate: Limits, res: HedgeResult) -> list[str]:
    """The mandate's limits (not the bands) that the allocation ``res`` breaks, as sentences,
    checked by the core's own constraint checks."""
    prob = HedgeProblem(inputs, mandate)
    y = _pieces(inputs, mandate, res)
    h = np.array([res.contracts[n] for n in inputs.instruments], dtype=float)
    # the core's check takes (totals, pieces); before the real-position core it took pieces
    two = len(inspect.signature(prob.broken).parameters) == 2
    names = prob.broken(h, y) if two else prob.broken(y)
    cons = {c.name: c for c in prob.constraints}
    return [cons[n].describe() for n in names
            if n in cons and cons[n].kind not in ("dv01_band", "turnover")]


@dataclass
class Proposal:
    status: str                          # "no_trade" | "rebalance" | "new_mandate"
    reason: str
    current: dict[str, int]
    proposed: dict[str, int]
    trades: dict[str, int]
    bands_before: list[dict[str, Any]]
    bands_after: list[dict[str, Any]]
    frozen: list[str]
    turnover: int
    max_turnover: float | None
    trading_cost_usd: float
    cost_weight: float
    result: HedgeResult | None           # the solve behind the proposal (None: no trade)
    held_result: HedgeResult | None      # the held overlay (its allocation)
    limits_broken: list[str] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items()
             if k not in ("result", "held_result", "warnings")}
        d["warnings"] = [n.to_dict() for n in self.warnings]
        return d


def _reason_inside(rows: list[dict]) -> str:
    return ("the held contracts can be allocated to the sectors so that every sector is inside "
            "its band: " + "; ".join(f"{r['sector']} {r['drift_usd']:+,.0f} within "
                                      f"+-{r['band_usd']:,.0f} ({r['band_rule']})" for r in rows))


def _reason_outside(out: list[dict], broken: list[str], k: float) -> str:
    parts = []
    if out:
        parts.append("no allocation of the held contracts puts every sector inside its band (the "
                     f"closest needs the bands {k:.2f}x wider): " + "; ".join(
                         f"{r['sector']} {r['drift_usd']:+,.0f} vs +-{r['band_usd']:,.0f} "
                         f"({r['band_rule']})" for r in out))
    if broken:
        parts.append("the held contracts break the mandate: " + "; ".join(broken))
    return "outside the mandate: " + " -- ".join(parts)


def _frozen(inputs: HedgeInputs, before: list[dict], new: bool, broken: list[str]) -> list[str]:
    """Instruments that only hedge sectors inside their bands (not traded)."""
    inside = {r["sector"] for r in before if r["inside"]}
    if new or broken or any(r["sector"] == "Portfolio" and not r["inside"] for r in before):
        return []
    out = []
    for i, n in enumerate(inputs.instruments):
        secs = [inputs.sectors[k] for k in range(len(inputs.sectors)) if inputs.designations[k, i]]
        if secs and all(s in inside for s in secs):
            out.append(n)
    return out


def _te_star(inputs: HedgeInputs, m: Limits, time_limit: float, diagnose: bool) -> float:
    """TE (USD/yr) of the restored mandate without trading cost, from the continuous
    relaxation's optimum (one convex solve; the cost weight is a first-order exchange rate, so a
    lower bound of the integer TE is enough). An infeasible relaxation falls through to the
    integer solve, which states the infeasibility with its diagnosis."""
    prob = HedgeProblem(inputs, replace(m, cost_weight=0.0))
    try:
        if prob.model.box is not None:  # None: bound propagation proved it infeasible
            h, _ = prob.continuous()
            return float(prob.te_usd(h))
    except (SolverFailure, InfeasibleMandate):
        pass
    return solve(inputs, replace(m, cost_weight=0.0), time_limit=time_limit,
                 diagnose=diagnose).te_after_usd


def _solve_candidates(inputs: HedgeInputs, mandate: Limits, candidates: list[Limits],
                      cost_weight: float | None, time_limit: float, diagnose: bool,
                      warnings: list[Notice]) -> tuple[HedgeResult, float]:
    """The first candidate mandate that is feasible (the last one raises with a diagnosis)."""
    c = np.asarray(inputs.cost_per_contract, float)
    for j, m in enumerate(candidates):
        last = j == len(candidates) - 1
        try:
            w = cost_weight
            if w is None:
                w = mandate.cost_weight
                if not w and np.any(c > 0):
                    # $1 of trading cost ~ $1/yr of TE at the restored level: 2 x TE(no cost)
                    w = 2.0 * _te_star(inputs, m, time_limit, diagnose and last)
            res = solve(inputs, replace(m, cost_weight=float(w)), time_limit=time_limit,
                        diagnose=diagnose and last)
            if j > 0:
                warnings.append(Notice(
                    "band_only", "the mandate's own tolerance cannot be restored within the "
                    "limits (turnover?): the proposal brings each sector inside its rebalance "
                    "band only", subject="rebalance"))
            return res, float(w)
        except InfeasibleMandate:
            if last:
                raise
    raise AssertionError("no candidate mandate")  # pragma: no cover


def propose(inputs: HedgeInputs, mandate: Limits, *, band_fraction: float = DEFAULT_BAND,
            max_turnover: float | None = None, cost_per_contract: Mapping[str, float] | None = None,
            cost_weight: float | None = None, time_limit: float = 10.0,
            diagnose: bool = True) -> Proposal:
    """Rebalance proposal for the overlay held in ``inputs.current`` (see module docstring)."""
    names = list(inputs.instruments)
    h0 = np.asarray(inputs.current, float)
    if cost_per_contract is not None:
        inputs = replace(inputs, cost_per_contract=np.array(
            [float(cost_per_contract.get(n, 0.0)) for n in names]))
    turnover_limit = max_turnover if max_turnover is not None else mandate.max_turnover
    bl = bands(inputs, mandate, band_fraction)
    warnings: list[Notice] = []
    cur = {n: int(v) for n, v in zip(names, h0, strict=True)}
    new_mandate = not np.any(h0)
    held, broken, k = None, [], 1.0
    if new_mandate:
        before = [b.row(b.dv01_unhedged) for b in bl]
    else:
        book = check_held(inputs, mandate, bl, h0, time_limit)
        held, broken, k = book.result, book.limits_broken, book.band_multiple
        now = hedged_dv01(held)
        before = [b.row(now[b.sector]) for b in bl]
        if book.inside and not broken:
            return Proposal("no_trade", _reason_inside(before), cur, dict(cur), {}, before,
                            before, list(names), 0, turnover_limit, 0.0, 0.0, None, held)
    frozen = _frozen(inputs, before, new_mandate, broken)
    lower, upper = dict(mandate.lower), dict(mandate.upper)
    for n in frozen:
        lower[n] = upper[n] = float(cur[n])
    restore = {r["sector"] for r in before if not r["inside"]}
    candidates = ([mandate] if new_mandate else
                  [_banded_mandate(mandate, bl, inputs, restore), _banded_mandate(mandate, bl)])
    candidates = [replace(m, lower=lower, upper=upper, max_turnover=turnover_limit)
                  for m in candidates]
    res, w = _solve_candidates(inputs, mandate, candidates, cost_weight, time_limit, diagnose,
                               warnings)
    h = res.h
    trades = {n: int(h[i] - h0[i]) for i, n in enumerate(names) if h[i] != h0[i]}
    now = hedged_dv01(res)
    after = [b.row(now[b.sector]) for b in bl]
    status = "new_mandate" if new_mandate else "rebalance"
    why = ("new mandate: no positions held" if new_mandate else
           _reason_outside([r for r in before if not r["inside"]], broken, k))
    if not trades and not new_mandate:  # pragma: no cover - the held book was infeasible
        status, why = "no_trade", ("the mandate's optimal hedge is the book held, although no "
                                   "real allocation of it fits every band (see the bands)")
    c = np.asarray(inputs.cost_per_contract, float)
    return Proposal(status, why, cur, {n: int(v) for n, v in zip(names, h, strict=True)}, trades,
                    before, after, frozen, int(np.abs(h - h0).sum()), turnover_limit,
                    float(c @ np.abs(h - h0)), w, res, held, broken, warnings)


def trade_orders(p: Proposal, prices: Mapping[str, float],
                 cost_per_contract: Mapping[str, float]) -> list[dict[str, Any]]:
    reason = "new mandate" if p.status == "new_mandate" else "rebalance"
    out = []
    for n, q in p.trades.items():
        out.append({"contract": n, "side": "BUY" if q > 0 else "SELL", "quantity": abs(q),
                    "price": prices.get(n), "est_cost_usd": abs(q) * cost_per_contract.get(n, 0.0),
                    "reason": reason})
    return out


def orders_frame(orders: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(orders, columns=ORDER_COLUMNS)


# ----------------------------------------------------------------------------------------------
# the workflow: positions file -> rolls -> decision -> orders
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RebalanceRequest(MandateRequest):
    """Rebalance the overlay held in ``positions`` (the positions format: a path, a frame with
    ``contract, contracts[, sector, entry_price]``, or ``{contract: contracts}``)."""

    positions: Any = None
    prices: str | Path | Mapping[str, float] | None = None
    band: float = DEFAULT_BAND                 # fraction of target DV01 (see bands())
    roll_days: int = DEFAULT_ROLL_DAYS
    deliver: bool = False
    commission: float = 0.0                    # USD per contract per leg


def read_held(positions: Any, asof: pd.Timestamp) -> tuple[pd.DataFrame, str]:
    """Held positions, one row per contract (rows of one contract netted), with the file's
    designations in ``attrs["designations"]``. A path goes through :func:`data.positions.
    read_positions` (an orders file is rejected, exit 2)."""
    from data.positions import read_positions
    from models.contract_codes import parse_32nds

    def resolve(code: str) -> str:
        return resolve_position_contract(code, asof)

    if isinstance(positions, (str, Path)):
        df = read_positions(positions, resolve=resolve, parse_price=parse_32nds)
        return df, str(positions)
    if positions is None:
        raise InputError("rebalance needs the positions held (contract, contracts[, sector])",
                         field="positions")
    if isinstance(positions, Mapping):
        positions = pd.DataFrame({"contract": list(positions), "contracts": list(
            positions.values())})
    rows = []
    for k, r in enumerate(positions.to_dict("records")):
        px = r.get("entry_price")
        rows.append({"row": k + 1, "contract": resolve(str(r["contract"])),
                     "contracts": int(r["contracts"]),
                     "entry_price": float("nan") if px is None or pd.isna(px) else float(px),
                     "sector": r.get("sector") if isinstance(r.get("sector"), str) else None})
    df = pd.DataFrame(rows, columns=["row", "contract", "contracts", "entry_price", "sector"])
    designations = [{k: r[k] for k in ("row", "contract", "sector", "contracts")}
                    for r in df.to_dict("records") if r["sector"]]
    net = df.groupby("contract", sort=False).agg(
        row=("row", "first"), contracts=("contracts", "sum"),
        entry_price=("entry_price", "mean"), sector=("sector", "first")).reset_index()
    net.attrs["designations"] = designations
    return net[["row", "contract", "contracts", "entry_price", "sector"]], "<frame>"


def _mandate_with_held(mandate: Mandate, roots: list[str], notices: list[Notice]) -> Mandate:
    """Held roots the mandate does not list are added to every target's instruments (so their
    DV01 counts and they can be traded away), with a notice."""
    listed = {r for t in mandate.targets for r in t.instruments} | set(mandate.instruments or ())
    missing = [r for r in roots if r not in listed]
    if not missing or not mandate.targets:
        return mandate
    notices.append(Notice("held_not_in_mandate", f"held {', '.join(missing)} not in the "
                          "mandate's instruments: added to every sector's list so the position "
                          "counts and can be traded", subject=", ".join(missing)))
    targets = tuple(replace(t, instruments=tuple(t.instruments) + tuple(missing))
                    if t.instruments else t for t in mandate.targets)
    inst = None if mandate.instruments is None else tuple(mandate.instruments) + tuple(missing)
    return replace(mandate, targets=targets, instruments=inst)


@dataclass
class RebalanceOutcome:
    """The decision for an overlay held, with the rolls, the proposal and the orders."""

    context: Any                       # optimizer.assemble.HedgeContext
    held: pd.DataFrame                 # the positions file, one row per contract
    positions_source: str
    plan: RollPlan
    proposal: Proposal
    orders: list[dict[str, Any]]
    prices: dict[str, dict[str, Any]]
    band_fraction: float
    notices: list[Notice] = field(default_factory=list)

    @property
    def decision(self) -> str:
        """``no_trade`` | ``roll`` (rolls only) | ``rebalance`` | ``new_mandate``."""
        p = self.proposal
        return "roll" if p.status == "no_trade" and self.plan.rolls else p.status

    @property
    def reason(self) -> str:
        p = self.proposal
        if self.decision == "roll":
            rolled = ", ".join(f"{r.from_contract}->{r.to_contract}" for r in self.plan.rolls)
            return f"no rebalancing trade, only the rolls ({rolled}): {p.reason}"
        return ("no trade: " if p.status == "no_trade" else "") + p.reason

    def to_frame(self) -> pd.DataFrame:
        """The order list (``overlay rebalance --orders``): contract, side, quantity, price,
        est_cost_usd, reason."""
        return orders_frame(self.orders)

    def _bands(self) -> list[dict[str, Any]]:
        after = {r["sector"]: r for r in self.proposal.bands_after}
        return [{**r, "dv01_after": after[r["sector"]]["dv01_hedged"],
                 "inside_after": after[r["sector"]]["inside"]} for r in self.proposal.bands_before]

    def held_rows(self) -> list[dict[str, Any]]:
        """Held positions with price, position DV01 and unrealized P&L (from entry prices)."""
        from models.contract_codes import parse_contract

        dv01 = {ir.contract: ir.dv01_usd for ir in self.context.instruments}
        rolled = {r.from_contract: r for r in self.plan.rolls}
        out = []
        for r in self.held.itertuples():
            px = self.prices.get(r.contract, {}).get("price")
            if px is None and r.contract in rolled:
                px = rolled[r.contract].price_old
            pv = point_value(parse_contract(r.contract, self.context.asof).root)
            ep = None if pd.isna(r.entry_price) else float(r.entry_price)
            d = dv01.get(r.contract, rolled[r.contract].dv01_old if r.contract in rolled else None)
            out.append({"row": int(r.row), "contract": r.contract, "contracts": int(r.contracts),
                        "sector": r.sector, "entry_price": ep, "price": px,
                        "dv01": None if d is None else d * int(r.contracts),
                        "unrealized_pnl_usd": None if px is None or ep is None
                        else (px - ep) * pv * int(r.contracts)})
        return out

    def to_dict(self) -> dict[str, Any]:
        """``overlay rebalance --json``: the held book, bands, decision, rolls, orders, and the
        book after the trades (positions, sectors, key rates, TE, margin, leverage)."""
        from optimizer.workflows.hedge import HedgeOutcome

        ctx, p, plan = self.context, self.proposal, self.plan
        res = p.result if p.result is not None else p.held_result
        doc = HedgeOutcome(ctx, res, notices=self.notices).to_dict() if res is not None else {}
        doc.update({
            "command": "rebalance", "title": "Futures overlay rebalance",
            "positions_file": self.positions_source,
            "mandate": {**ctx.mandate_spec.summary(),
                        "rebalance band": f"{self.band_fraction * 100:g}% of target DV01 (of "
                        "unhedged DV01 for a zero target; at least the mandate's tolerance)",
                        "roll window": f"{plan.roll_days} business days before first notice "
                                       "day"},
            "held_positions": self.held_rows(), "designations": self.held.attrs.get(
                "designations", []),
            "held_book": {k: v for k, v in p.current.items() if v},
            "bands": self._bands(),
            "decision": {"status": self.decision, "reason": self.reason,
                         "limits_breached": p.limits_broken},
            "proposal": {k: v for k, v in p.to_dict().items()
                         if k not in ("bands_before", "bands_after", "warnings", "status",
                                      "reason", "limits_broken")},
            "rolls": [r.to_dict() for r in plan.rolls], "roll_days": plan.roll_days,
            "total_roll_cost_usd": plan.total_roll_cost_usd,
            "roll_cost_sign": "positive = costs the holder: (new - old price) x point value x "
                              "old contracts; a long pays a dearer deferred month, a short "
                              "gains from it",
            "kept_for_delivery": plan.kept_for_delivery,
            "orders": self.orders,
            "orders_total_est_cost_usd": float(sum(o["est_cost_usd"]
                                                         for o in self.orders)),
            "prices": self.prices})
        return doc


def _by_root(plan: RollPlan, asof: pd.Timestamp) -> tuple[dict[str, int], dict[str, list[str]]]:
    from models.contract_codes import parse_contract

    by_root: dict[str, int] = {}
    months: dict[str, list[str]] = {}
    for code, n in plan.held.items():
        root = parse_contract(code, asof).root
        by_root[root] = by_root.get(root, 0) + n
        months.setdefault(root, []).append(code)
    return by_root, months


def run_rebalance(req: RebalanceRequest) -> RebalanceOutcome:
    """The rebalance decision, proposal and orders for a typed request."""
    from data.loaders import latest_curve_date
    from data.positions import read_prices
    from models.contract_codes import parse_32nds
    from optimizer.workflows.hedge import hedge_notices, merge_notices

    asof = pd.Timestamp(req.asof).normalize() if req.asof is not None else latest_curve_date()
    if not 0 < req.band < 1:
        raise InputError(f"{req.band * 100:g}: expected a percentage between 0 and 100",
                         field="band_pct")
    if req.roll_days < 0:
        raise InputError(f"{req.roll_days}: must be >= 0 business days", field="roll_days")
    held, source = read_held(req.positions, asof)
    prices: dict[str, float] = {}
    if isinstance(req.prices, (str, Path)):
        prices = read_prices(req.prices, resolve=lambda c: resolve_position_contract(c, asof),
                             parse_price=parse_32nds)
    elif req.prices:
        prices = {resolve_position_contract(k, asof): float(v) for k, v in req.prices.items()}
    plan = plan_rolls(dict(zip(held["contract"], held["contracts"].astype(int), strict=True)),
                      asof, roll_days=req.roll_days, prices=prices, deliver=req.deliver,
                      source=source, rows=dict(zip(held["contract"], held["row"], strict=True)))
    notices = [Notice("roll", w, subject="rolls") for w in plan.warnings]
    by_root, months = _by_root(plan, asof)
    mandate = _mandate_with_held(req.resolved_mandate(), list(by_root), notices)
    ctx = req.context(mandate, current=by_root)
    traded = {ir.root: ir.contract for ir in ctx.instruments}
    for root, codes in months.items():
        if [c for c in codes if c != traded.get(root)]:
            notices.append(Notice("month_mapped", f"held {', '.join(codes)} counted as the traded "
                                  f"contract {traded.get(root)} (same root; DV01 of the traded "
                                  "month)", subject=root))
    root_of = {ir.contract: ir.root for ir in ctx.instruments}
    cpc = {n: cost_per_contract(root_of[n], req.commission) for n in ctx.inputs.instruments}
    prop = propose(ctx.inputs, ctx.problem_mandate, band_fraction=req.band,
                   cost_per_contract=cpc, time_limit=req.time_limit)
    px = {ir.contract: prices.get(ir.contract, ir.price) for ir in ctx.instruments}
    orders = roll_orders(plan, req.commission) + trade_orders(prop, px, cpc)
    res = prop.result if prop.result is not None else prop.held_result
    notices += prop.warnings + (hedge_notices(ctx, res) if res is not None else ctx.notices)
    return RebalanceOutcome(
        ctx, held, source, plan, prop, orders,
        {k: {"price": v, "source": "given" if k in prices else "theoretical/model"}
         for k, v in px.items()}, req.band, merge_notices(notices))


def rebalance(positions, holdings=None, mandate=None, asof=None, **options: Any
              ) -> RebalanceOutcome:
    """Python API: ``rebalance(positions, holdings, mandate, asof, **options)``; options are the
    fields of :class:`RebalanceRequest` (``band``, ``prices``, ``roll_days``, ``deliver``,
    ``commission``, ``key_tenors``, ``window``, ``margins``, ``time_limit``)."""
    return run_rebalance(RebalanceRequest(positions=positions, holdings=holdings,
                                          mandate=mandate, asof=asof, **options))
