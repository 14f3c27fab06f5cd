"""Rebalancing an existing overlay (SPEC §7): tolerance bands, the proposal, the order list.

Tolerance band (the trigger)
----------------------------
For every sector with a DV01 target: ``band = band_fraction x |target DV01|`` (default 10%).
A **zero target** has no scale of its own, so its band is ``band_fraction x |the sector's
unhedged DV01|`` (10% of the risk being hedged away). A whole-portfolio target (``duration``) is
banded on the portfolio DV01 the same way. Every band is at least half the DV01 of the largest
contract that may hedge the sector (``min_band``): an integer hedge must be able to land inside.

Where the overlay is now: the held contracts are allocated to sectors by the hedge problem itself
with the totals fixed at the held counts (the allocation with minimum tracking error; exact when
each instrument hedges one sector). If every band holds -> **no trade**, with the reason.

The proposal (outside a band)
-----------------------------
The hedge problem of :mod:`optimizer.core.problem` with the held contracts as ``current`` (turnover and
trading cost count from them); each sector outside its band is restored to the mandate's own
tolerance (the tighter of it and the band) -- if the limits (turnover) make that infeasible, to
its rebalance band only, with a warning; sectors inside their bands keep the band as their
constraint; the mandate's other limits
(leverage, margin, K, contract bounds, turnover) and

* instruments that only hedge sectors already inside their bands are **frozen** at their held
  count (no trade that is not needed);
* trading cost ``c_i |h_i - h0_i|`` with ``c_i`` = half a tick per contract
  (:func:`optimizer.workflows.rolls.cost_per_contract`) and, unless the mandate states one, a cost weight of
  ``2 x TE*`` USD²/yr per USD, TE* = the tracking error of the same problem solved without cost
  (first-order exchange rate: $1 of trading cost ~ $1/yr of tracking error at the restored
  level), so keeping what is held wins whenever it is as good, without dragging the proposal to
  the edge of the band;
* ``max_turnover`` (contracts, sum |h - h0|) if given: hard. A band that turnover cannot reach is
  an infeasible mandate (exit 3) with the smallest turnover that works.

Orders: one line per instrument whose count changes (``BUY``/``SELL``, quantity, price,
estimated cost = half tick x quantity, reason ``rebalance`` or ``new mandate``), plus the two legs
of every roll (:mod:`optimizer.workflows.rolls`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from optimizer.core.errors import InfeasibleMandate
from optimizer.core.problem import (
    DV01Target,
    HedgeInputs,
    HedgeResult,
    Limits,
    build_data,
    solve,
)

DEFAULT_BAND = 0.10
ORDER_COLUMNS = ["contract", "side", "quantity", "price", "estimated_cost", "reason"]


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


def bands(inputs: HedgeInputs, mandate: Limits, band_fraction: float = DEFAULT_BAND
          ) -> list[Band]:
    """Rebalance bands (see module docstring)."""
    _, tgt = build_data(inputs, mandate)
    out: list[Band] = []
    sd = inputs.sector_dv01
    biggest = {s: max([abs(inputs.instrument_dv01[i]) for i in range(len(inputs.instruments))
                       if inputs.designations[k, i]] or [0.0])
               for k, s in enumerate(inputs.sectors)}
    pct = f"{band_fraction * 100:g}%"
    for k, s in enumerate(inputs.sectors):
        if s not in mandate.sector_targets:
            continue
        t = float(tgt[k])
        if abs(t) > 1e-9:
            b, rule = band_fraction * abs(t), f"{pct} of target DV01"
        else:
            b, rule = band_fraction * abs(sd[k]), f"{pct} of unhedged DV01 (zero target)"
        if b < 0.5 * biggest[s]:
            b, rule = 0.5 * biggest[s], "half the largest contract DV01 (floor)"
        out.append(Band(s, float(sd[k]), t, float(b), rule))
    if mandate.portfolio_target is not None:
        t = float(np.nansum(tgt))
        full = float(sd.sum())
        if abs(t) > 1e-9:
            b, rule = band_fraction * abs(t), f"{pct} of target DV01"
        else:
            b, rule = band_fraction * abs(full), f"{pct} of unhedged DV01 (zero target)"
        mx = 0.5 * float(np.abs(inputs.instrument_dv01).max())
        if b < mx:
            b, rule = mx, "half the largest contract DV01 (floor)"
        out.append(Band("Portfolio", full, t, float(b), rule))
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


def evaluate_held(inputs: HedgeInputs, mandate: Limits, held: np.ndarray,
                  time_limit: float = 10.0) -> HedgeResult:
    """The hedge problem with every total fixed at ``held``: how the held contracts sit against
    the targets (the minimum-TE allocation of them to sectors). No limit but the targets."""
    names = list(inputs.instruments)
    fixed = {n: float(v) for n, v in zip(names, held, strict=True)}
    targets = {s: DV01Target(dv01=t.target_dv01(float(inputs.sector_dv01[k]),
                                                  float(inputs.sector_market_value[k])))
               for k, s in enumerate(inputs.sectors)
               for t in [mandate.sector_targets.get(s)] if t is not None}
    m = Limits(sector_targets=targets, portfolio_target=(
        None if mandate.portfolio_target is None
        else replace(mandate.portfolio_target, tol_usd=None, tol_fraction=None)),
        lower=fixed, upper=fixed)
    return solve(replace(inputs, current=held.astype(float)), m, time_limit=time_limit,
                 diagnose=False)


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
    held_result: HedgeResult | None      # the held overlay evaluated
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("result", "held_result")}
        d["hedge"] = self.result.to_dict() if self.result is not None else None
        return d


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
    c = np.asarray(inputs.cost_per_contract, float)
    turnover_limit = max_turnover if max_turnover is not None else mandate.max_turnover
    bl = bands(inputs, mandate, band_fraction)
    warnings: list[str] = []
    cur = {n: int(v) for n, v in zip(names, h0, strict=True)}
    new_mandate = not np.any(h0)
    held_res = None
    if not new_mandate:
        held_res = evaluate_held(inputs, mandate, h0, time_limit)
        now = hedged_dv01(held_res)
        before = [b.row(now[b.sector]) for b in bl]
        out = [r for r in before if not r["inside"]]
        if not out:
            return Proposal("no_trade", "every sector is inside its band: "
                            + "; ".join(f"{r['sector']} {r['drift_usd']:+,.0f} within "
                                        f"+-{r['band_usd']:,.0f} ({r['band_rule']})"
                                        for r in before),
                            cur, dict(cur), {}, before, before, list(names), 0, turnover_limit,
                            0.0, 0.0, None, held_res, warnings)
    else:
        before = [b.row(b.dv01_unhedged) for b in bl]
        out = before
    # freeze instruments that only hedge sectors inside their bands
    inside = {r["sector"] for r in before if r["inside"]}
    port_out = any(r["sector"] == "Portfolio" and not r["inside"] for r in before)
    frozen = []
    if not new_mandate and not port_out:
        for i, n in enumerate(names):
            secs = [inputs.sectors[k] for k in range(len(inputs.sectors))
                    if inputs.designations[k, i]]
            if secs and all(s in inside for s in secs):
                frozen.append(n)
    lower, upper = dict(mandate.lower), dict(mandate.upper)
    for n in frozen:
        lower[n] = upper[n] = float(cur[n])
    if new_mandate:  # the mandate's own tolerances
        candidates = [mandate]
    else:  # restore the mandate's tolerance where out of band; else settle for the band
        restore = {r["sector"] for r in before if not r["inside"]}
        candidates = [_banded_mandate(mandate, bl, inputs, restore), _banded_mandate(mandate, bl)]
    res = None
    for j, base in enumerate(candidates):
        m = replace(base, lower=lower, upper=upper, max_turnover=turnover_limit)
        last = j == len(candidates) - 1
        try:
            w = cost_weight
            if w is None:
                w = mandate.cost_weight
                if not w and np.any(c > 0):
                    # $1 of trading cost ~ $1/yr of TE at the restored level: 2 x TE(no cost)
                    w = 2.0 * solve(inputs, replace(m, cost_weight=0.0), time_limit=time_limit,
                                    diagnose=diagnose and last).te_after_usd
            m = replace(m, cost_weight=float(w))
            res = solve(inputs, m, time_limit=time_limit, diagnose=diagnose and last)
            cost_weight = w
            if j > 0:
                warnings.append("the mandate's own tolerance cannot be restored within the "
                                "limits (turnover?): the proposal brings each sector inside its "
                                "rebalance band only")
            break
        except InfeasibleMandate:
            if last:
                raise
    assert res is not None
    h = res.h
    trades = {n: int(h[i] - h0[i]) for i, n in enumerate(names) if h[i] != h0[i]}
    now = hedged_dv01(res)
    after = [b.row(now[b.sector]) for b in bl]
    bad = [r["sector"] for r in after if not r["inside"]]
    if bad:  # pragma: no cover - the solve enforces the bands
        warnings.append("outside band after the proposal: " + ", ".join(bad))
    warnings.extend(res.warnings)
    turnover = int(np.abs(h - h0).sum())
    why = ("new mandate: no positions held" if new_mandate else
           "outside band: " + "; ".join(f"{r['sector']} {r['drift_usd']:+,.0f} vs "
                                         f"+-{r['band_usd']:,.0f} ({r['band_rule']})"
                                         for r in out))
    return Proposal("new_mandate" if new_mandate else "rebalance", why, cur,
                    {n: int(v) for n, v in zip(names, h, strict=True)}, trades, before, after,
                    frozen, turnover, turnover_limit, float(c @ np.abs(h - h0)),
                    float(cost_weight), res, held_res, warnings)


def trade_orders(p: Proposal, prices: Mapping[str, float],
                 cost_per_contract: Mapping[str, float]) -> list[dict[str, Any]]:
    reason = "new mandate" if p.status == "new_mandate" else "rebalance"
    out = []
    for n, q in p.trades.items():
        out.append({"contract": n, "side": "BUY" if q > 0 else "SELL", "quantity": abs(q),
                    "price": prices.get(n), "estimated_cost": abs(q) * cost_per_contract.get(n, 0.0),
                    "reason": reason})
    return out


def orders_frame(orders: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(orders, columns=ORDER_COLUMNS)
