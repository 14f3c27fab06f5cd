"""One rebalance date of the backtest: the hedge of every strategy, built from data on or
before that date only, and the legs that value them until the next rebalance.

Strategies (all sized on the rebalance date ``r_k`` and held to ``r_{k+1}``):

``unhedged``; ``naive_zn`` (the textbook single-contract hedge: the total DV01 change the mandate
asks for, plain DV01s, divided by the front ZN's DV01, rounded); ``naive_keyrate`` (least-squares
match of the target key-rate DV01s with the mandate's instruments, unweighted, rounded);
``continuous`` (the relaxed optimum, fractional contracts); ``integer`` (the mixed-integer
optimum: what the product prints); ``unconstrained`` (the integer optimum with the mandate's
margin budget, leverage cap and instrument count removed, sector targets kept: beside
``integer`` it shows what those limits cost).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import par_curve_history_pct
from models.risk_params import default_risk_spec
from optimizer.workflows.backtest.legs import (
    FutureLeg,
    half_spread,
    roll_window_start,
    treasury_leg,
)

STRATEGIES = ("unhedged", "naive_zn", "naive_keyrate", "continuous", "integer", "unconstrained")
STRATEGY_LABELS = {
    "unhedged": "Unhedged",
    "naive_zn": "Naive DV01 (ZN only)",
    "naive_keyrate": "Naive key-rate LS (rounded)",
    "continuous": "Continuous optimum",
    "integer": "Integer optimum (mandate)",
    "unconstrained": "Integer optimum, no margin/leverage/count limits",
}
#: The limits whose ex-ante cost is measured one at a time (``limit_costs=True``).
LIMITS = ("margin_budget", "max_leverage", "max_instruments")


def available_roots(roots, asof) -> list[str]:
    """The roots listed on ``asof`` (data/contracts listed_from / listed_to; three months after
    the listing, when the contract has liquidity)."""
    from data.contracts import swap_futures_table, treasury_futures_table

    asof = pd.Timestamp(asof)
    tab = pd.concat([treasury_futures_table()[["root", "listed_from", "listed_to"]],
                     swap_futures_table()[["root", "listed_from", "listed_to"]]]).set_index("root")
    out = []
    for r in roots:
        if r not in tab.index:
            out.append(r)  # SR3 and others: let the instrument module decide
            continue
        lf = pd.Timestamp(tab.loc[r, "listed_from"])
        lt = tab.loc[r, "listed_to"]
        if asof >= lf + pd.DateOffset(months=3) and (pd.isna(lt) or asof <= pd.Timestamp(lt)):
            out.append(r)
    return out


def key_tenors_on(date, window: str = "3y") -> list[str]:
    """The default key tenors with data on ``date`` and on >= 99% of the estimation window (the
    30Y was not issued 2002-2006; the 20Y starts 1993-10): a missing tenor is dropped rather than
    filled, and its neighbours' triangles absorb it."""
    from models.curves import DEFAULT_KEY_TENORS
    from models.risk import window_bounds

    lo, hi = window_bounds(pd.Timestamp(date), window)
    h = par_curve_history_pct().loc[lo:hi]
    return [t for t in DEFAULT_KEY_TENORS
            if t in h.columns and np.isfinite(h[t].iloc[-1]) and h[t].notna().mean() >= 0.99]


def treasury_mandate(base=None):
    """Treasury sector to zero DV01 (+-2%) with ZT ZF ZN TN ZB UB, at most 6 contracts, gross
    notional <= 150% of MV, no margin budget: a full zero-duration Treasury hedge needs ~100%
    notional, so the default mandate's limits (sized for a partial hedge of the whole default
    portfolio) would bind on every date."""
    from optimizer.mandate import SectorTarget, load_mandate

    base = load_mandate(None) if base is None else base
    return replace(base, name="treasury_zero", description="Treasury sector to zero DV01",
                   targets=(SectorTarget("Treasury", dv01_pct=0.0, tolerance_pct=2.0,
                                         instruments=("ZT", "ZF", "ZN", "TN", "ZB", "UB")),),
                   max_leverage=1.5, margin_budget_usd=None)


def _build(frame, mandate, date, window, roots):
    """build_context, dropping for this date only a contract that cannot be built on it (no
    deliverable issue in the securities list, no swap-spread parameters yet)."""
    from models.instruments import front_contract
    from optimizer.assemble import build_context
    from optimizer.workflows.backtest.market import repo_series

    keys = key_tenors_on(date, window)
    # the term repo the legs carry the CTD at: hedge and valuation pick the same CTD
    repo = float(repo_series(pd.DatetimeIndex([date]))[0])
    flags: list[str] = []
    while True:
        m = replace(mandate, instruments=tuple(roots))
        try:
            return build_context(frame, m, asof=date, window=window, key_tenors=keys,
                                 repo=repo), flags
        except InputError as exc:
            msg = str(exc)
            bad = [r for r in roots if r in msg or front_contract(r, date) in msg]
            if not bad or len(bad) == len(roots):
                raise
            roots = [r for r in roots if r not in bad]
            flags.append(f"dropped {', '.join(bad)}: {msg[:160]}")


def exante_te(data, h: np.ndarray) -> float:
    """Model TE (USD/yr) of holding ``h`` contracts (totals per instrument) on the date."""
    e = data.x - data.t + data.B @ h
    return float(np.sqrt(max(e @ data.cov @ e + data.resid_var, 0.0)))


def basis_split(data, names: list[str], settle_var: dict[str, float]
                ) -> tuple[np.ndarray, dict[str, float]]:
    """The factor covariance without the settlement part of each ``basis:<contract>`` factor
    (``settle_var``: bp^2/yr per contract, ``futures_basis``; what stays is the modelled price's
    residual to its key-rate DV01s), and each instrument's settlement-basis variance per
    contract (USD^2/yr): the part of the forecast only a market-marked leg can realize (a
    modelled futures price has no settlement basis by construction)."""
    cov = np.array(data.cov, float)
    per = dict.fromkeys(names, 0.0)
    for f, name in enumerate(data.factors):
        code = str(name)[6:] if str(name).startswith("basis:") else None
        if code is None or code not in names:
            continue
        v = min(settle_var.get(code, 0.0), cov[f, f])
        cov[f, f] -= v
        per[code] = float(data.B[f, names.index(code)] ** 2 * v)
    return cov, per


def _solve(ctx, limits, time_limit: float):
    """The integer hedge under ``limits``; an infeasible mandate raises without the (costly)
    diagnosis: the backtest relaxes the capital limits for that date instead, flagged."""
    from optimizer.core import problem as P

    return P.solve(ctx.inputs, limits, time_limit=time_limit, diagnose=False)


def _solve_variants(ctx, time_limit: float, limit_costs: bool) -> tuple[dict, list[str]]:
    """Mandate optimum (relaxing margin/leverage on an infeasible date, flagged), the optimum
    without the capital limits, and optionally each limit dropped alone."""
    from optimizer.core.errors import InfeasibleMandate, SolverFailure

    flags: list[str] = []
    pm = ctx.problem_mandate
    try:
        res = _solve(ctx, pm, time_limit)
    except InfeasibleMandate as exc:
        flags.append(f"relaxed: {str(exc).splitlines()[0][:200]}")
        res = _solve(ctx, replace(pm, margin_budget=None, max_leverage=None), time_limit)
    out = {"mandate": res}
    free = replace(pm, margin_budget=None, max_leverage=None, max_instruments=None)
    if free == pm or _capital_limits_slack(ctx, res):
        out["unconstrained"] = res   # slack at the (convex) continuous optimum: the same hedge
    else:
        try:
            out["unconstrained"] = _solve(ctx, free, time_limit)
        except SolverFailure as exc:   # say which hedge failed: the mandate's may be fine
            raise SolverFailure(f"the comparison optimum without capital limits: {exc}") from exc
    if limit_costs:
        for lim in LIMITS:
            if getattr(pm, lim) is not None:
                out[f"without_{lim}"] = _solve(ctx, replace(pm, **{lim: None}), time_limit)
    return out, flags




def _capital_limits_slack(ctx, res) -> bool:
    """The continuous optimum leaves margin, leverage and instrument count strictly inside
    their limits: removing them cannot move the (convex) continuous optimum."""
    pm, inp = ctx.problem_mandate, ctx.inputs
    h = np.array([res.continuous_contracts.get(n, 0.0) for n in inp.instruments])
    a = np.abs(h)
    if pm.margin_budget is not None and a @ inp.initial_margin >= 0.999 * pm.margin_budget:
        return False
    w = getattr(inp, "leverage_weight", None)
    w = inp.notional if w is None else w
    mv = abs(inp.portfolio_market_value)
    if pm.max_leverage is not None and a @ w >= 0.999 * pm.max_leverage * mv:
        return False
    return pm.max_instruments is None or int((a > 1e-6).sum()) < pm.max_instruments


def _naive(ctx, ratios: dict[str, float], date) -> tuple[dict, dict, object]:
    """naive ZN (plain DV01s) and naive key-rate least squares (see module docstring)."""
    from models.instruments import instrument_risk

    inp = ctx.inputs
    raw = ctx.exposures.sectors.set_index("sector")["dv01"].astype(float)
    need = sum((ratios[s] - 1.0) * float(raw[s]) for s in inp.sectors)
    zn = next((ir for ir in ctx.instruments if ir.root == "ZN"), None)
    if zn is None:
        zn = instrument_risk("ZN", date, list(ctx.key_tenors))
    n_zn = int(round(need / zn.dv01_usd))
    kt = list(ctx.key_tenors)
    fidx = [inp.factors.index(t) for t in kt]
    ratio_v = np.array([ratios[s] for s in inp.sectors])
    x = inp.sector_exposure[:, fidx].sum(axis=0)
    tgt = (ratio_v[:, None] * inp.sector_exposure[:, fidx]).sum(axis=0)
    B = inp.instrument_exposure[:, fidx]
    allowed = inp.designations.any(axis=0)
    h_kr = np.zeros(len(inp.instruments))
    if allowed.any():
        sol, *_ = np.linalg.lstsq(B[allowed].T, tgt - x, rcond=None)
        h_kr[allowed] = np.round(sol)
    naive_zn = {zn.contract: float(n_zn)} if n_zn else {}
    naive_kr = {n: float(v) for n, v in zip(inp.instruments, h_kr, strict=True) if v}
    return naive_zn, naive_kr, zn


def sector_ratios(inputs, limits) -> dict[str, float]:
    """target DV01 / current (beta-adjusted) DV01 per sector: the optimizer's target scaling."""
    from optimizer.core import problem as P

    _, tgt = P.build_data(inputs, limits)
    sd = inputs.sector_dv01
    return {s: (float(tgt[k] / sd[k]) if np.isfinite(tgt[k]) and abs(sd[k]) > 1e-12 else
                (0.0 if np.isfinite(tgt[k]) else 1.0)) for k, s in enumerate(inputs.sectors)}


def _leg_for(ir, date) -> FutureLeg:
    """The valuation leg of one instrument on ``date`` (DV01 and margin from its risk)."""
    from data.contracts import swap_futures_table

    if ir.kind == "treasury_future":
        leg = treasury_leg(ir.contract, date)
    else:
        tab = swap_futures_table().set_index("root")
        ten = float(tab.loc[ir.root, "tenor_years"]) if ir.root in tab.index else 0.25
        size = float(tab.loc[ir.root, "notional_usd"]) if ir.root in tab.index else 1e6
        # a SOFR swap future's coupon: the par rate rounded to 0.25% on the segment's first day
        leg = FutureLeg(ir.contract, ir.root, ir.kind, ir.dv01_usd, ir.initial_margin_usd,
                        abs(ir.notional_usd), size=size, half_spread_usd=half_spread(ir.root),
                        tenor_years=ten, price0=ir.price,
                        roll_from=roll_window_start(ir.contract, ir.kind, date))
    leg.dv01, leg.initial_margin = ir.dv01_usd, ir.initial_margin_usd
    leg.notional = abs(ir.notional_usd)
    return leg


def _next_leg(leg: FutureLeg, next_date: pd.Timestamp) -> FutureLeg | None:
    """The contract ``leg`` rolls into before ``next_date`` (built on the roll day with data up
    to that day only), or None when no roll falls inside the period."""
    from copy import copy

    from data.contracts import margin_for
    from models.instruments import front_contract

    if leg.roll_from is None or leg.roll_from > next_date:
        return None
    hist = par_curve_history_pct().index
    pos = hist.searchsorted(leg.roll_from)
    if pos >= len(hist) or hist[pos] >= next_date:
        return None   # the roll day is the next rebalance: that hedge trades it
    day = hist[pos]
    code = front_contract(leg.root, day)
    if leg.kind == "treasury_future":
        try:
            nxt = treasury_leg(code, day)
        except InputError:   # e.g. no deliverable 2-year note (2002-03): close at the roll
            leg.close_at_roll = True
            return None
    else:
        nxt = copy(leg)
        nxt.contract, nxt.next = code, None
        nxt.roll_from = roll_window_start(code, leg.kind, day)
    try:
        nxt.initial_margin = float(margin_for(leg.root, day)["initial_usd"])
    except InputError:
        nxt.initial_margin = leg.initial_margin
    return nxt


def hedge_on(date, frame: pd.DataFrame, mandate, window: str = "3y", time_limit: float = 10.0,
             next_date=None, limit_costs: bool = False) -> dict:
    """All strategies' contracts on one rebalance date, using data up to ``date`` only (the roll
    legs inside the period are built on their roll day from data up to that day)."""
    from optimizer.assemble import _instrument_roots
    from optimizer.core import problem as P

    date = pd.Timestamp(date)
    next_date = pd.Timestamp(next_date) if next_date is not None else date
    roots = available_roots(_instrument_roots(mandate), date)
    if not roots:
        raise InputError(f"none of the mandate's instruments was listed on {date.date()}")
    ctx, flags = _build(frame, mandate, date, window, roots)
    sols, f2 = _solve_variants(ctx, time_limit, limit_costs)
    flags += f2
    inp = ctx.inputs
    data, _ = P.build_data(inp, ctx.problem_mandate)
    ratios = sector_ratios(inp, ctx.problem_mandate)
    naive_zn, naive_kr, zn = _naive(ctx, ratios, date)
    res = sols["mandate"]
    contracts = {
        "unhedged": {}, "naive_zn": naive_zn, "naive_keyrate": naive_kr,
        "continuous": {n: float(v) for n, v in res.continuous_contracts.items() if v},
        "integer": {n: float(v) for n, v in res.contracts.items() if v},
        "unconstrained": {n: float(v) for n, v in sols["unconstrained"].contracts.items() if v},
    }
    names = list(inp.instruments)

    def vec(c: dict) -> np.ndarray:
        return np.array([c.get(n, 0.0) for n in names])

    te = {s: exante_te(data, vec(c)) for s, c in contracts.items() if s != "naive_zn"}
    from models.risk_params import futures_basis

    settle = {ir.contract: futures_basis(ir.root, date).vol_bp_annual ** 2
              for ir in ctx.instruments if ir.kind == "treasury_future"}
    cov_nb, basis_var = basis_split(data, names, settle)
    te_nb = {s: exante_te(replace(data, cov=cov_nb), vec(c)) for s, c in contracts.items()
             if all(k in names for k in c)}
    legs: dict[str, FutureLeg] = {}
    for ir in list(ctx.instruments) + ([zn] if zn not in ctx.instruments else []):
        leg = _leg_for(ir, date)
        leg.next = _next_leg(leg, next_date)
        legs[ir.contract] = leg
    if zn.contract not in names:   # ZN outside the mandate: its TE on the model's factors
        te["naive_zn"] = float("nan")
    else:
        te["naive_zn"] = exante_te(data, vec(naive_zn))
    raw = ctx.exposures.sectors.set_index("sector")["dv01"].astype(float)
    return {
        "date": date, "next_date": next_date, "legs": legs, "ratios": ratios,
        "sector_dv01": {s: float(raw[s]) for s in inp.sectors},
        "contracts": contracts, "te_model": te,
        # the forecast a modelled run can realize (no basis) and the basis per contract
        "te_nobasis": te_nb, "basis_var": basis_var,
        "limit_costs": {k: v.te_after_usd for k, v in sols.items() if k.startswith("without_")},
        "status": res.status, "flags": flags,
        "notices": [str(w) for w in ctx.warnings][:8],
        "betas": {k: float(v.get("beta", 1.0)) for k, v in ctx.betas.items()},
        "portfolio_mv": float(inp.portfolio_market_value),
        "risk_model": {"method": ctx.factor_model.method, "halflife": ctx.factor_model.halflife,
                       "horizon_days": ctx.factor_model.horizon_days,
                       "window_start": ctx.factor_model.window_start.strftime("%Y-%m-%d"),
                       "spread": default_risk_spec().spread},
        # the model on the date, for re-scoring other risk models on the same positions
        "model": {"factors": list(data.factors), "book_exposure": (data.x - data.t).tolist(),
                  "instrument_exposure": {n: data.B[:, i].tolist() for i, n in enumerate(names)},
                  "cov": np.asarray(data.cov).tolist(), "resid_var": float(data.resid_var),
                  "key_tenors": list(ctx.key_tenors)},
    }
