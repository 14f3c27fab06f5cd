"""The stress family of hedge mandates: fixed-seed synthetic books on real market data.

Each instance (``make_instance(seed)``) is a book of 3-10 sectors and a mandate allowing 4-12
contracts, built the way the product builds a hedge problem, on the bundled 2025-07-11 data:

* **Holdings**: 5-12 bonds per sector. Government sectors ("Treasury", "Agency") yield the
  Treasury par curve of the date; corporate sectors ("Corp A 1-5y", "Corp BBB 5-10y", ...) yield
  the Treasury curve plus the Treasury HQM corporate spread of its latest month (2023-11, the
  bundled HQM par curve's end) at the bond's maturity, scaled by a rating multiplier.
  Exposures (MV, curve DV01, key-rate DV01s) come from ``models.exposures.compute_exposures``.
* **Instruments**: real contract risk from ``models.instruments.instrument_risk`` on the date
  (ZT Z3N ZF ZN TN ZB UB, SOFR swap futures SSF2 SSF5 SSF10 SSF30, SR3): DV01, key-rate DV01s,
  swap-spread DV01, notional, CME initial margin. A random 4-12 of them are allowed.
* **Risk**: the real factor covariance (``models.risk.build_factor_model``: key-rate par-yield
  changes and the HQM corporate spread, 3 years to the date) plus the swap-spread factor from
  its shipped parameters. Corporate sectors load on the corporate spread factor by DV01 x a
  spread beta (0.7-1.4) and carry an idiosyncratic residual (8-25 bp/yr).
* **Mandate**: government sectors to zero DV01, corporate sectors to 30-70% (tolerance 2-5% of
  the sector's DV01); designations (1-3 contracts per sector): government sectors -> Treasury
  futures (and SR3), corporate -> swap futures and 5-10-year notes; initial margin 1.75-2% of
  MV (always); at most K = 2..6 contracts (never fewer than the designations need); leverage,
  turnover from current positions (with a trading cost), key-rate bands and no-net-short on
  most instances.

The family is the first 30 seeds whose mandate admits a hedge (decided by a HiGHS MILP, not by
the method under test); the seeds skipped as infeasible are noted. Every constraint type appears
(``coverage()``). Deterministic: one seed, one instance. Used by ``benchmarks/bench_solver.py``.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.core import DV01Target, HedgeInputs, Limits

ASOF = "2025-07-11"
KEY_TENORS = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
TREASURY_FUT = ["ZT", "Z3N", "ZF", "ZN", "TN", "ZB", "UB"]
SWAP_FUT = ["SSF2", "SSF5", "SSF10", "SSF30"]
ALL = TREASURY_FUT + SWAP_FUT + ["SR3"]
CORP = [("Corp A 1-5y", 1, 5, 0.8), ("Corp BBB 5-10y", 5, 10, 1.2), ("Corp A 10-30y", 10, 30, 0.9),
        ("Corp BBB 1-5y", 1, 5, 1.3), ("Corp AA 3-7y", 3, 7, 0.6), ("Corp BBB 10-30y", 10, 30, 1.4),
        ("Corp A 5-10y", 5, 10, 1.0), ("Corp IG 2-20y", 2, 20, 1.0)]
GOVT = [("Treasury", 1, 30), ("Agency", 2, 10)]
N_INSTANCES = 30


@dataclass
class Instance:
    seed: int
    name: str
    inputs: HedgeInputs
    limits: Limits
    notes: dict


@functools.lru_cache(maxsize=1)
def market() -> dict:
    """The real data every instance shares (loaded once)."""
    from data.loaders import hqm_par_monthly_pct, par_curve, par_curve_window
    from models.curves import curve_on
    from models.instruments import instrument_risk
    from models.risk import build_factor_model
    from optimizer.assemble import add_swap_spread_factor

    risk = {r: instrument_risk(r, ASOF, KEY_TENORS) for r in ALL}
    fm = build_factor_model(ASOF, key_tenors=tuple(KEY_TENORS), window="3y",
                            hqm_sectors=("Corporate",))
    names, cov, _ = add_swap_spread_factor(list(fm.names), np.asarray(fm.cov_bp2_annual, float))
    hqm = hqm_par_monthly_pct()
    month = hqm.index[-1]
    tsy_then = par_curve_window(month - pd.Timedelta(days=7), month).iloc[-1]
    spread_bp = {float(t): (float(hqm.loc[month, t]) - 100 * float(tsy_then[f"{int(t)}Y"])) * 100
                 for t in hqm.columns}
    par = par_curve(ASOF)
    return {"risk": risk, "factors": names, "cov": cov, "curve": curve_on(ASOF),
            "spread_bp": spread_bp, "par": par, "hqm_month": str(month.date())}


def _tsy_yield_pct(mk: dict, years: float) -> float:
    par = mk["par"]
    return float(np.interp(years, np.asarray(par.tenors_years, float),
                           np.asarray(par.par_yield_dec, float))) * 100


def _holdings(rng: np.random.Generator, sectors: list[tuple], mk: dict) -> pd.DataFrame:
    rows = []
    asof = pd.Timestamp(ASOF)
    sp_x = np.array(sorted(mk["spread_bp"]))
    sp_y = np.array([mk["spread_bp"][x] for x in sp_x])
    for name, lo, hi, mult in sectors:
        for k in range(int(rng.integers(5, 13))):
            years = float(rng.uniform(lo, hi))
            mat = (asof + pd.Timedelta(days=int(years * 365.25))).date()
            y = _tsy_yield_pct(mk, years)
            if mult is not None:
                y += float(np.interp(years, sp_x, sp_y)) * mult / 100
            cpn = round(max(0.5, y + float(rng.uniform(-1.0, 1.0))) * 8) / 8
            rows.append({"id": f"{name[:8]}-{k}", "sector": name,
                         "par": float(rng.integers(5, 41)) * 1e6, "coupon": cpn,
                         "maturity": mat.isoformat(), "yield": round(y, 4)})
    return pd.DataFrame(rows)


def _designations(rng: np.random.Generator, sectors: list[str], govt: set[str],
                  allowed: list[str]) -> np.ndarray:
    tsy = [c for c in allowed if c in TREASURY_FUT or c == "SR3"]
    corp = [c for c in allowed if c in SWAP_FUT or c in ("ZF", "ZN", "TN")]
    D = np.zeros((len(sectors), len(allowed)), bool)
    for s, name in enumerate(sectors):
        pool = tsy if name in govt else (corp or allowed)
        pool = pool or allowed
        k = int(rng.integers(1, min(3, len(pool)) + 1))
        for c in rng.choice(pool, size=k, replace=False):
            D[s, allowed.index(str(c))] = True
    return D


def _min_cover(D: np.ndarray) -> int:
    """Fewest contracts that give every sector at least one allowed contract."""
    n = D.shape[1]
    for k in range(1, n + 1):
        for cols in itertools.combinations(range(n), k):
            if np.all(D[:, list(cols)].any(axis=1)):
                return k
    return n


def _exposure_inputs(mk: dict, exp, sectors: list[tuple], allowed: list[str],
                     rng: np.random.Generator) -> dict:
    names = mk["factors"]
    fidx = {f: k for k, f in enumerate(names)}
    sec_rows = exp.sectors.set_index("sector")
    X = np.zeros((len(sectors), len(names)))
    resid = np.zeros(len(sectors))
    for s, (nm, _, _, mult) in enumerate(sectors):
        for t in KEY_TENORS:
            X[s, fidx[t]] = float(sec_rows.loc[nm, f"krd_{t}"])
        if mult is not None:
            dv = float(sec_rows.loc[nm, "dv01"])
            X[s, fidx["Corporate_spread"]] = dv * float(rng.uniform(0.7, 1.4))
            resid[s] = (dv * float(rng.uniform(8, 25))) ** 2
    B = np.zeros((len(allowed), len(names)))
    for i, c in enumerate(allowed):
        ir = mk["risk"][c]
        for t, v in ir.key_rate_dv01.items():
            B[i, fidx[t]] = v
        B[i, fidx["swap_spread"]] = ir.swap_spread_dv01_usd
    risk = [mk["risk"][c] for c in allowed]
    return dict(factors=names, sectors=[s[0] for s in sectors],
                instruments=[r.contract for r in risk], sector_exposure=X,
                sector_dv01=np.array([float(sec_rows.loc[s[0], "dv01"]) for s in sectors]),
                instrument_exposure=B, instrument_dv01=np.array([r.dv01_usd for r in risk]),
                cov=mk["cov"], notional=np.array([abs(r.notional_usd) for r in risk]),
                initial_margin=np.array([r.initial_margin_usd for r in risk]),
                sector_market_value=np.array([float(sec_rows.loc[s[0], "market_value"])
                                              for s in sectors]),
                sector_resid_var=resid)


def make_instance(seed: int) -> Instance:
    """Instance ``seed`` of the family (module docstring)."""
    from models.exposures import compute_exposures

    mk = market()
    rng = np.random.default_rng(1000 + seed)
    n_s = int(rng.integers(3, 11))
    n_govt = int(rng.integers(1, 3)) if n_s > 3 else 1
    corp = [CORP[k] for k in rng.choice(len(CORP), size=min(n_s - n_govt, len(CORP)),
                                        replace=False)]
    sectors = [(*GOVT[k], None) for k in range(n_govt)] + list(corp)
    n_c = int(rng.integers(4, 13))
    allowed = [str(c) for c in rng.choice(ALL, size=n_c, replace=False)]
    if not any(c in TREASURY_FUT for c in allowed):
        allowed[0] = "ZN"
    if not any(c in SWAP_FUT for c in allowed):
        allowed[-1] = "SSF10" if "SSF10" not in allowed else "SSF5"
    allowed = [c for c in ALL if c in set(allowed)]
    exp = compute_exposures(_holdings(rng, sectors, mk), asof=ASOF, key_tenors=KEY_TENORS,
                            curve=mk["curve"])
    govt = {g[0] for g in GOVT}
    D = _designations(rng, [s[0] for s in sectors], govt, allowed)
    kw = _exposure_inputs(mk, exp, sectors, allowed, rng)
    h0, cost = _current(rng, kw, D)
    inputs = HedgeInputs(designations=D, current=h0, cost_per_contract=cost, **kw)
    limits, notes = _mandate(rng, inputs, govt, _min_cover(D))
    notes.update(n_sectors=n_s, n_contracts=len(allowed), contracts=allowed,
                 market_value=float(inputs.portfolio_market_value))
    return Instance(seed, f"stress-{seed:02d}", inputs, limits, notes)


def _current(rng: np.random.Generator, kw: dict, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current positions (a stale naive hedge, 60% of instances) and half a tick of cost."""
    n = D.shape[1]
    h0 = np.zeros(n)
    if rng.random() < 0.6:
        for s in range(D.shape[0]):
            i = int(np.nonzero(D[s])[0][0])
            h0[i] += round(-kw["sector_dv01"][s] * float(rng.uniform(0.3, 0.9))
                           / kw["instrument_dv01"][i])
    return h0, np.full(n, 7.8125)  # half a 1/64 tick of $1,000 per point


def _mandate(rng: np.random.Generator, inputs: HedgeInputs, govt: set[str],
             min_k: int) -> tuple[Limits, dict]:
    targets = {}
    for name in inputs.sectors:
        frac = 0.0 if name in govt else round(float(rng.uniform(0.3, 0.7)), 2)
        targets[name] = DV01Target(fraction_of_current=frac,
                                   tol_fraction=round(float(rng.uniform(0.02, 0.05)), 3))
    mv = float(inputs.portfolio_market_value)
    k = int(rng.integers(2, 7))
    notes = {"margin_pct_mv": round(float(rng.uniform(1.75, 2.0)), 3)}
    kw: dict = {"margin_budget": notes["margin_pct_mv"] / 100 * mv,
                "max_instruments": max(k, min_k), "no_net_short": bool(rng.random() < 0.8)}
    if rng.random() < 0.5:
        kw["max_leverage"] = round(float(rng.uniform(0.8, 1.5)), 2)
    h0 = np.asarray(inputs.current)
    if np.any(h0) and rng.random() < 0.7:
        kw["max_turnover"] = float(round(np.abs(h0).sum() * rng.uniform(1.0, 3.0)))
        kw["cost_weight"] = float(rng.choice([0.0, 1e3, 1e4]))
    if rng.random() < 0.6:
        kw["key_rate_bands"] = _key_rate_bands(rng, inputs)
    return Limits(sector_targets=targets, **kw), notes


def _key_rate_bands(rng: np.random.Generator, inputs: HedgeInputs) -> dict:
    x = np.asarray(inputs.sector_exposure).sum(axis=0)
    out = {}
    for t in rng.choice(["2Y", "10Y", "20Y", "30Y"], size=int(rng.integers(1, 3)), replace=False):
        k = inputs.factors.index(str(t))
        width = max(abs(float(x[k])) * float(rng.uniform(0.3, 0.8)), 5_000.0)
        out[str(t)] = (-width, width) if rng.random() < 0.7 else (-width, None)
    return out


def admits_hedge(inst: Instance, time_limit: float = 300.0) -> bool:
    """Whether some integer hedge of real positions meets the mandate (HiGHS MILP feasibility,
    independent of the exact method)."""
    from optimizer.core.milp import Milp
    from optimizer.core.model import build_model

    model = build_model(inst.inputs, inst.limits)
    if model.box is None:
        return False
    status = Milp(model, list(model.forms.forms)).solve(time_limit).status
    if status not in ("optimal", "infeasible"):  # the family must not depend on machine load
        raise RuntimeError(f"{inst.name}: feasibility undecided within {time_limit:g} s")
    return status == "optimal"


def instances(n: int = N_INSTANCES) -> list[Instance]:
    """The first ``n`` seeds (from 0) whose mandate admits a hedge; the skipped seeds are listed
    in each instance's notes (``skipped_before``)."""
    out: list[Instance] = []
    skipped: list[int] = []
    seed = 0
    while len(out) < n:
        inst = make_instance(seed)
        if admits_hedge(inst):
            inst.notes["skipped_before"] = list(skipped)
            out.append(inst)
        else:
            skipped.append(seed)
        seed += 1
    return out


def coverage(insts: list[Instance]) -> dict[str, int]:
    """How many instances state each constraint type."""
    out: dict[str, int] = {}
    for inst in insts:
        lim = inst.limits
        for key, on in (("sector_dv01", bool(lim.sector_targets)),
                        ("key_rate", bool(lim.key_rate_bands)),
                        ("leverage", lim.max_leverage is not None),
                        ("margin", lim.margin_budget is not None),
                        ("no_net_short", lim.no_net_short),
                        ("turnover", lim.max_turnover is not None),
                        ("max_instruments", lim.max_instruments is not None),
                        ("trading_cost", lim.cost_weight > 0),
                        ("shared_contracts", bool(np.any(
                            np.asarray(inst.inputs.designations).sum(axis=0) > 1)))):
            out[key] = out.get(key, 0) + int(on)
    return out


__all__ = ["Instance", "coverage", "instances", "make_instance", "market"]
