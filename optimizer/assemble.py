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

from data.errors import InputError, Notice
from data.loaders import PORTFOLIOS_DIR, latest_curve_date
from models.caching import KeyedCache
from models.curves import DEFAULT_KEY_TENORS, ZeroCurve, curve_on
from models.exposures import Exposures, compute_exposures
from models.instruments import SWAP_SPREAD_FACTOR, InstrumentRisk, instrument_risk
from models.risk import FactorModel, build_factor_model, ensure_psd, is_treasury_sector
from models.risk_params import append_basis_factors
from optimizer import validate
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
    notices: list[Notice] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The notices as one line of text each."""
        return [str(n) for n in self.notices]


def load_holdings(holdings: pd.DataFrame | str | Path | None, asof) -> tuple[pd.DataFrame, str]:
    from data.holdings import read_holdings

    if isinstance(holdings, pd.DataFrame):
        return holdings, holdings.attrs.get("source", "<frame>")
    path = Path(holdings) if holdings is not None else DEFAULT_PORTFOLIO
    try:
        st = path.stat()
    except OSError:   # read_holdings names the missing file
        return read_holdings(path, asof=asof), str(path)
    # a second hedge of the same file (API, batch worker) skips parsing and validation; the
    # key holds the file's size and mtime, so an edited file is read again
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, str(asof))
    frame = _HOLDINGS_CACHE.get_or_compute(key, lambda: read_holdings(path, asof=asof))
    return frame.copy(), str(path)


_HOLDINGS_CACHE: KeyedCache[pd.DataFrame] = KeyedCache("holdings", maxsize=16)


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


def _sector_betas(exp: Exposures, asof, window: str, notices: list[Notice]) -> dict[str, dict]:
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
            notices.append(Notice("beta_fallback", f"no beta estimate ({exc}); using beta 1",
                                  subject=sector))
            out[sector] = {"beta": 1.0, "std_err": float("nan"), "source": "fallback",
                           "resid_vol_bp_annual": float("nan"), "r_squared": float("nan")}
            continue
        notices.extend(Notice("beta_note", str(w), subject=sector) for w in res.warnings)
        # shipped estimate, horizon mismatch: never silent (the fallback itself is reported above)
        notices.extend(n for n in res.notices if n.code != "beta_fallback")
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


def _flag_notice(contract: str, flag: str) -> Notice:
    """An instrument flag (``code (details)``) as a Notice."""
    code = flag.split(" ", 1)[0].split(":", 1)[0].strip() or "instrument_flag"
    return Notice(code, flag, subject=contract)


def _instruments(mandate: Mandate, asof: pd.Timestamp, key_tenors: list[str],
                 repo: float | None, margins: pd.DataFrame | None,
                 notices: list[Notice]) -> list[InstrumentRisk]:
    """The mandate's contracts on ``asof`` (front contract of a root outside its roll window)."""
    instruments = []
    for code in _instrument_roots(mandate):
        ir = instrument_risk(code, asof, key_tenors, repo=repo, margins=margins)
        instruments.append(ir)
        notices.extend(_flag_notice(ir.contract, f) for f in ir.flags
                       if not f.startswith("future_issues_excluded"))
    names = [ir.contract for ir in instruments]
    if len(set(names)) != len(names):
        raise InputError(f"the same contract is listed twice: {names}")
    return instruments


def _risk_model(asof: pd.Timestamp, sectors: list[str], key_tenors: list[str], window: str,
                swap: bool, provenance: list[str]) -> tuple[FactorModel, list[str], np.ndarray]:
    """Factor model: key rates, the HQM corporate spread, the swap spread when a swap future
    is allowed (see the module docstring)."""
    corp_like = tuple(s for s in sectors if not is_treasury_sector(s)
                      and s.lower() in ("corporate", "corporates", "credit", "ig corporate"))
    fm = build_factor_model(asof, key_tenors=tuple(key_tenors), window=window,
                            hqm_sectors=corp_like)
    names = list(fm.names)
    cov = np.asarray(fm.cov_bp2_annual, dtype=float)
    provenance.extend(f"risk model: {note}" for note in fm.notes)
    if swap:
        names, cov, note = add_swap_spread_factor(names, cov, asof)
        provenance.append(note)
    return fm, names, np.asarray(ensure_psd(cov, name="factor covariance"), dtype=float)


def _sector_matrices(exp: Exposures, key_tenors: list[str], fidx: dict[str, int],
                     betas: dict[str, dict], notices: list[Notice]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sector factor exposures X (S x F), residual variance (S,), beta-adjusted DV01 (S,)."""
    sectors = [str(s) for s in exp.sectors["sector"]]
    X = np.zeros((len(sectors), len(fidx)))
    resid = np.zeros(len(sectors))
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
                notices.append(Notice(
                    "spread_risk_missing", "no spread history and no residual estimate: its "
                    "spread risk is not in the tracking error", subject=str(r.sector)))
    beta_vec = np.array([betas.get(s, {}).get("beta", 1.0) for s in sectors])
    return X, resid, exp.sectors["dv01"].to_numpy(float) * beta_vec


def _designations(mandate: Mandate, sectors: list[str], instruments: list[InstrumentRisk]
                  ) -> np.ndarray:
    """Each sector may use the instruments its target lists (all with a portfolio target)."""
    roots = _instrument_roots(mandate)
    D = np.zeros((len(sectors), len(instruments)), dtype=bool)
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
    return D


def _current(current: dict[str, int] | None, instruments: list[InstrumentRisk]) -> np.ndarray:
    cur = np.zeros(len(instruments))
    for key, n in (current or {}).items():
        k = key.upper()
        hits = [i for i, ir in enumerate(instruments) if k in (ir.contract, ir.root)]
        if not hits:
            raise InputError(f"current position in {key} is not an instrument of the mandate "
                             f"({', '.join(ir.contract for ir in instruments)})")
        cur[hits[0]] += n
    return cur


def _leverage_weight(mandate: Mandate, instruments: list[InstrumentRisk], exp: Exposures,
                     asof, key_tenors: list[str], repo) -> dict:
    """``HedgeInputs.leverage_weight`` for the mandate's leverage measure (none: notional)."""
    from dataclasses import fields

    from optimizer.mandate import leverage_weights

    measure = getattr(mandate, "leverage_measure", "gross_notional")
    if measure == "gross_notional" or mandate.max_leverage is None:
        return {}
    if "leverage_weight" not in {f.name for f in fields(P.HedgeInputs)}:
        raise InputError(f"leverage_measure {measure!r} needs the solver's per-contract "
                         "leverage weights (HedgeInputs.leverage_weight), not in this build")
    zn = next((ir for ir in instruments if ir.root == "ZN"), None)
    if zn is None and measure == "ten_year_equivalent":
        zn = instrument_risk("ZN", asof, key_tenors, repo=repo)
    w = leverage_weights(
        measure, [ir.notional_usd for ir in instruments], [ir.dv01_usd for ir in instruments],
        zn.dv01_usd if zn else 1.0, zn.notional_usd if zn else 1.0,
        float(exp.portfolio["dv01"]), float(exp.portfolio["market_value"]))
    return {"leverage_weight": w}


def _margins(margins: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    if margins is None or isinstance(margins, pd.DataFrame):
        return margins
    from data.contracts import load_margins

    return load_margins(margins)


def build_context(holdings: pd.DataFrame | str | Path | None, mandate: Mandate, asof=None, *,
                  key_tenors: list[str] | None = None, current: dict[str, int] | None = None,
                  window: str = "3y", repo: float | None = None,
                  margins: pd.DataFrame | str | Path | None = None) -> HedgeContext:
    """Build the hedge problem for ``holdings`` under ``mandate`` on ``asof`` (default: latest
    bundled curve date). ``current``: contracts held now, keyed by root or contract code.
    ``margins``: the clearing firm's margins (frame or CSV path; default the bundled file)."""
    notices: list[Notice] = []
    provenance = ["Treasury par yield curve: U.S. Department of the Treasury (public domain)"]
    key_tenors = list(key_tenors or DEFAULT_KEY_TENORS)
    mandate, dropped = validate.hedge_inputs(mandate, asof, key_tenors, window)
    notices += [Notice("instrument_not_listed", w, severity="warning") for w in dropped]
    asof = pd.Timestamp(asof).normalize() if asof is not None else latest_curve_date()
    frame, source = load_holdings(holdings, asof)
    curve = curve_on(asof)
    exp = compute_exposures(frame, asof=asof, key_tenors=key_tenors, curve=curve)
    if exp.curve_note:
        notices.append(Notice("curve_date", exp.curve_note, subject="curve", severity="info"))
    sectors = [str(s) for s in exp.sectors["sector"]]
    notices += [Notice("sector_target", w, subject="mandate", severity="warning")
                for w in validate.mandate_sectors(mandate, sectors)]
    instruments = _instruments(mandate, asof, key_tenors, repo, _margins(margins), notices)
    provenance.append("Initial margins: " + (
        f"{margins} (user file)" if isinstance(margins, (str, Path)) else
        "data/contracts/margins.csv (approximate CME levels; override with --margins)"))
    fm, names, cov = _risk_model(asof, sectors, key_tenors, window,
                                 any(ir.swap_spread_dv01_usd for ir in instruments), provenance)
    # basis risk per Treasury futures contract (settlements vs key-rate DV01s; risk_params)
    names, cov, bnotes, bprov = append_basis_factors(
        names, cov, [(ir.contract, ir.root) for ir in instruments
                     if ir.kind == "treasury_future"], asof)
    notices.extend(bnotes)
    provenance.extend(bprov)
    fidx = {f: k for k, f in enumerate(names)}
    betas = (_sector_betas(exp, asof, window, notices) if mandate.betas
             else {s: {"beta": 1.0, "source": "betas off"} for s in sectors})
    X, resid, sector_dv01 = _sector_matrices(exp, key_tenors, fidx, betas, notices)
    B = np.zeros((len(instruments), len(names)))
    for i, ir in enumerate(instruments):
        for t, v in ir.key_rate_dv01.items():
            B[i, fidx[t]] = v
        if ir.swap_spread_dv01_usd:
            B[i, fidx[SWAP_SPREAD_FACTOR]] = ir.swap_spread_dv01_usd
        if f"basis:{ir.contract}" in fidx:   # the basis factor is in bp of yield
            B[i, fidx[f"basis:{ir.contract}"]] = ir.dv01_usd
    inputs = P.HedgeInputs(
        factors=names, sectors=sectors, instruments=[ir.contract for ir in instruments],
        sector_exposure=X, sector_dv01=sector_dv01, instrument_exposure=B,
        instrument_dv01=np.array([ir.dv01_usd for ir in instruments]), cov=cov,
        designations=_designations(mandate, sectors, instruments),
        notional=np.array([abs(ir.notional_usd) for ir in instruments]),
        initial_margin=np.array([ir.initial_margin_usd for ir in instruments]),
        sector_market_value=exp.sectors["market_value"].to_numpy(float),
        sector_resid_var=resid, current=_current(current, instruments),
        portfolio_market_value=float(exp.portfolio["market_value"]),
        **_leverage_weight(mandate, instruments, exp, asof, key_tenors, repo))
    return HedgeContext(
        asof=asof, holdings=frame, exposures=exp, key_tenors=key_tenors, curve=curve,
        instruments=instruments, factor_model=fm, factors=names, cov_bp2=cov, betas=betas,
        inputs=inputs, mandate_spec=mandate,
        problem_mandate=problem_mandate(mandate, inputs, instruments),
        portfolio_name=Path(source).name, notices=notices, provenance=provenance)


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
        # |MV|: the band is a width (a net-short portfolio has a negative MV)
        portfolio_target = P.DV01Target(duration=m.target_duration,
                                        tol_usd=m.target_duration_tolerance * abs(mv) * 1e-4)
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
