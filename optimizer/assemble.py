"""Assemble the hedge problem from real data: holdings -> exposures, contracts -> instrument risk,
history -> factor covariance and betas, mandate file -> constraints.

The factor model has one factor per Treasury key rate, a swap-spread factor (when a swap future is
allowed) and one spread factor per non-Treasury sector with a history (the HQM curve stands in for
corporates). Exposures use the DV01 sign (USD gained per 1 bp fall):

- a sector loads on the key rates by its key-rate DV01s and on its own spread factor by its DV01
  (a corporate yield = Treasury yield + spread);
- a Treasury future loads on the key rates by CTD key-rate DV01 / CF;
- a swap future loads on the key rates and, by its whole DV01, on the swap spread
  (swap rate = Treasury par + swap spread).

**Betas** (statsmodels OLS of the sector's yield changes on the Treasury yield at its duration)
scale the sector DV01 used by the mandate's DV01 targets and bands ("beta-adjusted DV01").
They do not scale the factor exposures: the covariance between the sector's spread factor and the
rates already carries that sensitivity into the tracking error, and scaling both would count it
twice. A sector with no spread history contributes its regression residual variance instead.
"""

from __future__ import annotations

import warnings as warnings_mod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import PORTFOLIOS_DIR, latest_curve_date
from models.curves import DEFAULT_KEY_TENORS, ZeroCurve, curve_on
from models.exposures import Exposures, compute_exposures
from models.instruments import SWAP_SPREAD_FACTOR, InstrumentRisk, instrument_risk
from models.risk import FactorModel, build_factor_model, ensure_psd, is_treasury_sector
from optimizer.core import problem as P
from optimizer.mandate import Mandate, SectorTarget

DEFAULT_PORTFOLIO = PORTFOLIOS_DIR / "default.csv"


@dataclass
class HedgeContext:
    """Everything one hedge solve needs, with where it came from."""

    asof: pd.Timestamp
    holdings: pd.DataFrame
    exposures: Exposures
    key_tenors: list[str]
    curve: ZeroCurve
    instruments: list[InstrumentRisk]
    factor_model: FactorModel
    factors: list[str]
    cov_bp2: np.ndarray
    betas: dict[str, dict]
    inputs: P.HedgeInputs
    mandate_spec: Mandate
    problem_mandate: P.Limits
    portfolio_name: str = ""
    warnings: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)


def load_holdings(holdings: pd.DataFrame | str | Path | None, asof) -> tuple[pd.DataFrame, str]:
    from data.holdings import read_holdings

    if isinstance(holdings, pd.DataFrame):
        return holdings, holdings.attrs.get("source", "<frame>")
    path = Path(holdings) if holdings is not None else DEFAULT_PORTFOLIO
    return read_holdings(path, asof=asof), str(path)


def add_swap_spread_factor(names: list[str], cov: np.ndarray, asof=None
                           ) -> tuple[list[str], np.ndarray, str]:
    """Append the swap-spread factor from the shipped parameters valid on ``asof`` (vol and
    correlations estimated from ISDAFIX data up to then; see models.risk_params). Missing
    correlations are taken as zero."""
    from models.risk_params import swap_spread_params

    p = swap_spread_params(latest_curve_date() if asof is None else asof)
    vol, corr = p.vol_bp_annual, p.corr
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    row = np.zeros(len(names))
    for k, nm in enumerate(names):
        key = "spread:Corporate" if nm == "Corporate_spread" else nm
        row[k] = corr.get(key, 0.0) * vol * sd[k]
    out = np.zeros((len(names) + 1, len(names) + 1))
    out[:-1, :-1] = cov
    out[-1, :-1] = out[:-1, -1] = row
    out[-1, -1] = vol * vol
    return names + [SWAP_SPREAD_FACTOR], out, p.describe()


def _sector_betas(exp: Exposures, asof, window: str, warnings: list[str]) -> dict[str, dict]:
    from models.betas import sector_betas

    out: dict[str, dict] = {}
    for r in exp.sectors.itertuples():
        sector = str(r.sector)
        if is_treasury_sector(sector):
            out[sector] = {"beta": 1.0, "std_err": 0.0, "source": "definition (Treasury driver)",
                           "resid_vol_bp_annual": 0.0, "r_squared": 1.0}
            continue
        dur = float(r.duration) if np.isfinite(r.duration) else 5.0
        try:
            with warnings_mod.catch_warnings():  # its warnings are returned in res.warnings
                warnings_mod.simplefilter("ignore")
                res = sector_betas(sector, dur, asof=asof, window=window)[0]
        except InputError as exc:
            warnings.append(f"beta for {sector}: {exc}; using beta 1")
            out[sector] = {"beta": 1.0, "std_err": float("nan"), "source": "fallback",
                           "resid_vol_bp_annual": float("nan"), "r_squared": float("nan")}
            continue
        for w in res.warnings:
            warnings.append(f"beta for {sector}: {w}")
        for n in res.notices:   # shipped estimate, horizon mismatch: never silent
            if n.code != "beta_fallback":
                warnings.append(f"beta for {sector}: {n.message}")
        out[sector] = {"beta": float(res.beta), "std_err": float(res.std_err),
                       "source": f"{res.source}; {res.frequency}; {res.driver}",
                       "resid_vol_bp_annual": float(res.resid_vol_bp_annual),
                       "r_squared": float(res.r_squared), "nobs": int(res.nobs),
                       "driver": res.driver}
    return out


def _instrument_roots(m: Mandate) -> list[str]:
    roots: list[str] = []
    for t in m.targets:
        for r in t.instruments:
            if r not in roots:
                roots.append(r)
    if m.instruments:
        # --instruments restricts the mandate's list; with no per-sector lists it *is* the list
        roots = [r for r in roots if r in m.instruments] if roots else list(m.instruments)
        if not roots:
            roots = list(m.instruments)
    if not roots:
        roots = ["ZT", "ZF", "ZN", "ZB"]
    return roots


def build_context(holdings: pd.DataFrame | str | Path | None, mandate: Mandate, asof=None, *,
                  key_tenors: list[str] | None = None, current: dict[str, int] | None = None,
                  window: str = "3y", repo: float | None = None,
                  margins: pd.DataFrame | None = None) -> HedgeContext:
    """Build the hedge problem for ``holdings`` under ``mandate`` on ``asof`` (default: latest
    bundled curve date). ``current``: contracts held now, keyed by root or contract code."""
    warnings: list[str] = []
    provenance = ["Treasury par yield curve: U.S. Department of the Treasury (public domain)"]
    asof = pd.Timestamp(asof).normalize() if asof is not None else latest_curve_date()
    key_tenors = list(key_tenors or DEFAULT_KEY_TENORS)
    frame, source = load_holdings(holdings, asof)
    curve = curve_on(asof)
    exp = compute_exposures(frame, asof=asof, key_tenors=key_tenors, curve=curve)
    if exp.curve_note:
        warnings.append(exp.curve_note)
    sectors = [str(s) for s in exp.sectors["sector"]]
    S = len(sectors)

    # --- instruments (front contracts on the date unless a month is named)
    roots = _instrument_roots(mandate)
    instruments: list[InstrumentRisk] = []
    for code in roots:
        ir = instrument_risk(code, asof, key_tenors, repo=repo, margins=margins)
        instruments.append(ir)
        for f in ir.flags:
            if not f.startswith("future_issues_excluded"):
                warnings.append(f"{ir.contract}: {f}")
    provenance.append("Initial margins: data/contracts/margins.csv (approximate CME levels; "
                      "override with --margins)")
    names_i = [ir.contract for ir in instruments]
    if len(set(names_i)) != len(names_i):
        raise InputError(f"the same contract is listed twice: {names_i}")

    # --- factor model
    corp_like = tuple(s for s in sectors if not is_treasury_sector(s)
                      and s.lower() in ("corporate", "corporates", "credit", "ig corporate"))
    fm = build_factor_model(asof, key_tenors=tuple(key_tenors), window=window,
                            hqm_sectors=corp_like)
    names = list(fm.names)
    cov = np.asarray(fm.cov_bp2_annual, dtype=float)
    for note in fm.notes:
        provenance.append(f"risk model: {note}")
    if any(ir.swap_spread_dv01_usd for ir in instruments):
        names, cov, note = add_swap_spread_factor(names, cov, asof)
        provenance.append(note)
    cov = np.asarray(ensure_psd(cov, name="factor covariance"), dtype=float)
    F = len(names)
    fidx = {f: k for k, f in enumerate(names)}

    # --- betas and sector exposures
    betas = (_sector_betas(exp, asof, window, warnings) if mandate.betas
             else {s: {"beta": 1.0, "source": "betas off"} for s in sectors})
    X = np.zeros((S, F))
    resid = np.zeros(S)
    for s, r in enumerate(exp.sectors.itertuples()):
        for t in key_tenors:
            X[s, fidx[t]] = float(getattr(r, f"krd_{t}"))
        spread = f"{r.sector}_spread"
        if spread in fidx:
            X[s, fidx[spread]] = float(r.dv01)
        elif not is_treasury_sector(str(r.sector)):
            rv = betas.get(str(r.sector), {}).get("resid_vol_bp_annual", float("nan"))
            if np.isfinite(rv):
                resid[s] = (float(r.dv01) * rv) ** 2
            else:
                warnings.append(f"sector {r.sector}: no spread history and no residual estimate; "
                                "its spread risk is not in the tracking error")
    beta_vec = np.array([betas.get(s, {}).get("beta", 1.0) for s in sectors])
    sector_dv01 = exp.sectors["dv01"].to_numpy(float) * beta_vec

    B = np.zeros((len(instruments), F))
    for i, ir in enumerate(instruments):
        for t, v in ir.key_rate_dv01.items():
            B[i, fidx[t]] = v
        if ir.swap_spread_dv01_usd:
            B[i, fidx[SWAP_SPREAD_FACTOR]] = ir.swap_spread_dv01_usd

    # --- designations: each sector may use the instruments its target lists
    D = np.zeros((S, len(instruments)), dtype=bool)
    for s, sector in enumerate(sectors):
        t = mandate.target_for(sector)
        if mandate.target_duration is not None:
            D[s, :] = True
        elif t is not None:
            allowed = set(t.instruments) if t.instruments else set(roots)
            D[s, :] = [ir.root in allowed or ir.contract in allowed for ir in instruments]
    if not D.any():
        raise InputError("no sector of the portfolio has a target with instruments in the mandate "
                         f"(portfolio sectors: {', '.join(sectors)})")

    cur = np.zeros(len(instruments))
    for key, n in (current or {}).items():
        k = key.upper()
        hits = [i for i, ir in enumerate(instruments) if k in (ir.contract, ir.root)]
        if not hits:
            raise InputError(f"current position in {key} is not an instrument of the mandate "
                             f"({', '.join(names_i)})")
        cur[hits[0]] += n

    inputs = P.HedgeInputs(
        factors=names, sectors=sectors, instruments=names_i, sector_exposure=X,
        sector_dv01=sector_dv01, instrument_exposure=B,
        instrument_dv01=np.array([ir.dv01_usd for ir in instruments]), cov=cov, designations=D,
        notional=np.array([abs(ir.notional_usd) for ir in instruments]),
        initial_margin=np.array([ir.initial_margin_usd for ir in instruments]),
        sector_market_value=exp.sectors["market_value"].to_numpy(float),
        sector_resid_var=resid, current=cur,
        portfolio_market_value=float(exp.portfolio["market_value"]))
    pm = problem_mandate(mandate, inputs, instruments)
    return HedgeContext(
        asof=asof, holdings=frame, exposures=exp, key_tenors=key_tenors, curve=curve,
        instruments=instruments, factor_model=fm, factors=names, cov_bp2=cov, betas=betas,
        inputs=inputs, mandate_spec=mandate, problem_mandate=pm,
        portfolio_name=Path(source).name, warnings=warnings, provenance=provenance)


def problem_target(t: SectorTarget) -> P.DV01Target:
    """A mandate's sector target as the optimizer's target (USD, fraction or duration; band)."""
    if t.dv01_usd is not None:
        kw = {"dv01": t.dv01_usd}
    elif t.dv01_pct is not None:
        kw = {"fraction_of_current": t.dv01_pct / 100.0}
    else:
        kw = {"duration": t.duration}
    if t.tolerance_usd is not None:
        kw["tol_usd"] = t.tolerance_usd
    else:
        kw["tol_fraction"] = t.tolerance_pct / 100.0
    return P.DV01Target(**kw)


def problem_mandate(m: Mandate, inputs: P.HedgeInputs,
                    instruments: list[InstrumentRisk]) -> P.Limits:
    """Translate the user's mandate into the optimizer's constraint set."""
    targets = {}
    for s in inputs.sectors:
        t = m.target_for(s)
        if t is None or m.target_duration is not None:
            continue
        targets[s] = problem_target(t)
    portfolio_target = None
    if m.target_duration is not None:
        mv = inputs.portfolio_market_value
        portfolio_target = P.DV01Target(duration=m.target_duration,
                                          tol_usd=m.target_duration_tolerance * mv * 1e-4)
    lower, upper = {}, {}
    for key, (lo, hi) in m.contract_bounds.items():
        for ir in instruments:
            if key in (ir.root, ir.contract):
                if lo is not None:
                    lower[ir.contract] = lo
                if hi is not None:
                    upper[ir.contract] = hi
    bands = dict(m.key_rate_bands)
    return P.Limits(
        sector_targets=targets, portfolio_target=portfolio_target, key_rate_bands=bands,
        max_leverage=m.max_leverage, margin_budget=m.margin_budget_usd,
        no_net_short=m.no_net_short, lower=lower, upper=upper,
        max_turnover=m.turnover, max_instruments=m.max_instruments, cost_weight=m.cost_weight)


def solve_context(ctx: HedgeContext, time_limit: float = 10.0) -> P.HedgeResult:
    return P.solve(ctx.inputs, ctx.problem_mandate, time_limit=time_limit)


def hedge_warnings(ctx: HedgeContext, res: P.HedgeResult) -> list[str]:
    """Warnings a PM must see: leverage above 30% of MV, margin buffer, solver status, data."""
    w = list(ctx.warnings) + list(res.warnings)
    if np.isfinite(res.leverage_ratio) and res.leverage_ratio > 0.30:
        w.append(f"gross futures notional is {res.leverage_ratio:.0%} of portfolio market value "
                 "(above 30%)")
    budget = ctx.problem_mandate.margin_budget
    if budget is not None and res.initial_margin > 0 and budget < 2 * res.initial_margin:
        w.append(f"margin buffer: budget ${budget:,.0f} is less than 2x the initial margin "
                 f"${res.initial_margin:,.0f} (variation margin on a 2-sigma move may exceed it)")
    if res.rounded_broken:
        w.append("naive rounding of the continuous optimum breaks: " + "; ".join(res.rounded_broken))
    if res.status != "optimal":
        w.append(f"solver status {res.status}: see the solver line for the optimality gap")
    return w


def hedge_document(ctx: HedgeContext, res: P.HedgeResult) -> dict:
    """The ``overlay hedge --json`` object (SPEC §9)."""
    by_contract = {ir.contract: ir for ir in ctx.instruments}
    alloc = [a for a in res.allocation if a["contracts"] != 0]
    gross = {}
    for a in alloc:
        gross[a["instrument"]] = gross.get(a["instrument"], 0) + abs(int(a["contracts"]))
    positions = []
    for a in alloc:
        ir = by_contract[a["instrument"]]
        n = int(a["contracts"])
        # the account holds the net position per contract: its notional and margin are shared
        # among the designations pro rata to |contracts|, so the rows add up to the account's
        net = abs(res.contracts[a["instrument"]])
        share = abs(n) / gross[a["instrument"]] * net
        positions.append({
            "instrument": ir.root, "contract": ir.contract, "sector": a["sector"],
            "contracts": n, "contract_dv01": ir.dv01_usd, "dv01": n * ir.dv01_usd,
            "notional": share * abs(ir.notional_usd), "initial_margin": share * ir.initial_margin_usd,
            "price": ir.price, "kind": ir.kind, "description": ir.description})
    sectors = []
    mv_by_sector = dict(zip(ctx.exposures.sectors["sector"], ctx.exposures.sectors["market_value"],
                            strict=True))
    raw_dv01 = dict(zip(ctx.exposures.sectors["sector"], ctx.exposures.sectors["dv01"],
                        strict=True))
    for srow in res.sectors:
        s = srow["sector"]
        b = ctx.betas.get(s, {})
        sectors.append({**srow, "market_value": float(mv_by_sector[s]),
                        "model_dv01": float(raw_dv01[s]), "beta": b.get("beta", 1.0),
                        "beta_std_err": b.get("std_err"), "beta_source": b.get("source")})
    kr = {k["factor"]: k for k in res.key_rates}
    key_rates = [{"tenor": t, "dv01_before": kr[t]["before"], "dv01_after": kr[t]["after"]}
                 for t in ctx.key_tenors]
    other_factors = [{"factor": f, "dv01_before": kr[f]["before"], "dv01_after": kr[f]["after"]}
                     for f in ctx.factors if f not in ctx.key_tenors]
    mv = float(ctx.exposures.portfolio["market_value"])
    port = dict(res.portfolio)
    # portfolio DV01 in plain (not beta-adjusted) terms: model DV01 + hedge DV01
    hedge_dv01 = sum(p["dv01"] for p in positions)
    port.update({"market_value": mv, "dv01_before": float(ctx.exposures.portfolio["dv01"]),
                 "dv01_after": float(ctx.exposures.portfolio["dv01"]) + hedge_dv01,
                 "beta_adjusted_dv01_before": res.portfolio["dv01_before"],
                 "beta_adjusted_dv01_after": res.portfolio["dv01_after"]})
    port["duration_before"] = port["dv01_before"] / mv * 1e4
    port["duration_after"] = port["dv01_after"] / mv * 1e4
    m = ctx.problem_mandate
    return {
        "asof": ctx.asof.strftime("%Y-%m-%d"),
        "portfolio_name": ctx.portfolio_name,
        "mandate_name": ctx.mandate_spec.name,
        "status": res.status,
        "objective": res.objective,
        "positions": positions,
        "contracts": res.contracts,
        "sectors": sectors,
        "key_rates": key_rates,
        "other_factors": other_factors,
        "tracking_error": {
            "before_usd": res.te_before_usd, "after_usd": res.te_after_usd,
            "after_bp": res.te_after_bp,
            "before_bp": res.te_before_usd / mv * 1e4 if mv else None,
            "continuous_after_usd": res.te_continuous_usd,
            "rounded_after_usd": res.te_rounded_usd,
            "continuous_contracts": res.continuous_contracts,
            "rounded_contracts": res.rounded_contracts,
            "rounded_breaks": res.rounded_broken},
        "margin": {"initial": res.initial_margin, "budget": m.margin_budget},
        "leverage": {"gross_notional": res.gross_notional, "ratio": res.leverage_ratio,
                     "limit": m.max_leverage},
        "portfolio": port,
        "solver": res.solver,
        "constraints": res.constraints,
        "instruments": [{"contract": ir.contract, "root": ir.root, "kind": ir.kind,
                         "price": ir.price, "dv01": ir.dv01_usd, "notional": ir.notional_usd,
                         "initial_margin": ir.initial_margin_usd, "description": ir.description,
                         "key_rate_dv01": ir.key_rate_dv01} for ir in ctx.instruments],
        "risk_model": {"factors": ctx.factors, "window": [str(ctx.factor_model.window_start),
                                                          str(ctx.factor_model.window_end)],
                       "method": ctx.factor_model.method},
        "warnings": hedge_warnings(ctx, res),
        "provenance": ctx.provenance,
    }
