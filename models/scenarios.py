"""Scenario analysis: full revaluation of holdings and hedge, the DV01 (+convexity) approximation
beside it, historical replays from the bundled curve history, P&L split and hedge effectiveness.

Scenario
--------
A :class:`Scenario` is a set of **par-yield changes in bp** (rise > 0), per curve and tenor:

* ``treasury``: the Treasury par curve, by tenor (``{"2Y": -25, "10Y": 25}``; ``"*"`` = a
  parallel component added everywhere). Between the given tenors the change is linear in tenor,
  flat beyond the first/last (the :meth:`models.curves.ZeroCurve.shifted` rule).
* a sector name (``"Corporate"``, ``"Agency"``): that sector's **yield** change by tenor; its
  spread change is this minus the Treasury change. The key ``"corporate"`` also covers every
  corporate-like sector (``Corp``, ``IG``, ``Credit``; :func:`models.risk.is_corporate_sector`).
* ``swap``: the par swap-rate change (swap rate = Treasury par + swap spread), used by swap futures
  and SR3.
* ``*``: every curve without its own entry.

Resolution for a curve: its own entry, else (corporate-like sectors) ``corporate``, else ``*``,
else the Treasury change (spread unchanged); the Treasury curve itself: own entry, else ``*``,
else no change.

Revaluation (``mode`` columns of every result)
----------------------------------------------
* **full** -- bond-terms holdings are repriced off the Treasury zero curve re-bootstrapped from the
  shifted par yields of their sector's curve, at their constant fitted spread (instantaneous
  shock, same settlement date, no carry). Hedge contracts reprice themselves in the shocked
  market through the contract protocol (``revalue``, :mod:`models.instruments`). Treasury
  futures: the deliverable basket is repriced on the shifted Treasury curve (zero spread),
  forwards to the delivery date chosen today (the carry rule) with the term repo moving with the
  curve (desk convention, as in the futures DV01), and the futures price is the new
  ``min(forward clean / CF)``: **the CTD is re-selected** in every scenario (reported). SOFR swap
  futures: 100 + NPV of the contract's swap on the shifted par swap curve (fixed rate unchanged);
  classic swap futures: the CBOT formula at the shifted swap rate; SR3: price = 100 - R with R
  moved by the swap-curve change at the reference quarter's midpoint (flat before the curve's
  first tenor; exactly linear).
  Precomputed-risk holdings (no bond terms) have no cash flows: their "full" P&L **is** the
  DV01 + convexity approximation (flagged ``approx_only`` in every result that includes them).
* **approx** -- ``-sum_k KRD_k dy_k + gamma * dy_eff^2``: key-rate DV01s (USD per bp, on the key
  tenors) times the leg's curve change at the key tenors, plus the convexity term with
  ``dy_eff = sum_k KRD_k dy_k / DV01`` (the DV01-weighted shift) and ``gamma`` = USD per bp^2 =
  1/2 x convexity x MV x 1e-8. Bond-terms holdings and every hedge instrument: KRDs and gamma by
  finite differences of the *same* full revaluation (gamma from +-10 bp parallel), so the
  approximation's error is third order in the shift. Precomputed-risk rows: KRDs from
  :mod:`models.exposures` (given or duration-allocated) and gamma from a ``convexity`` column if
  present, else the zero-coupon estimate ``C = D^2 + D/2`` (flagged).
* **dv01** -- the linear term alone (SPEC §10's "DV01 mode").

Effectiveness
-------------
Dollar offset per scenario: ``-hedge P&L / hedged-item P&L`` (1.0 = perfect offset), effective
within 0.80-1.25. The hedged item is ``sum_s f_s x holdings P&L_s`` with ``f_s`` the fraction of
sector ``s`` the mandate hedges (``hedged_fraction``: 1 - target/current DV01, given by
:func:`optimizer.workflows.hedge.hedged_fractions` whichever way the hedge came in; default 1
for every sector when the engine is used on its own).

Attribution (:meth:`ScenarioEngine.attribution`): the net P&L split into **curve** (the
scenario's Treasury change on every curve, spreads held: holdings in full, hedge by its
DV01 + convexity), **spread** (the rest of the holdings' and the hedge's DV01 + convexity P&L:
sector spreads and the swap spread) and **basis** (the hedge's full revaluation minus its
DV01 + convexity: CTD switches, the delivery option, higher orders); the three add up to the net. Regression
effectiveness over a series of scenarios: statsmodels OLS of hedge P&L on hedged-item P&L,
effective when R^2 >= 0.8 and the slope is within -1.25..-0.80.

Historical replays (:func:`historical_scenario`)
------------------------------------------------
Treasury: the bundled par curve's change between two dates (each date moved to the nearest
earlier date with data, noted), tenor by tenor. Corporate spreads: the US Treasury HQM corporate
**monthly-average** 10y par yield minus the monthly average of the daily UST 10y par yield,
change between the two dates' months, applied as a parallel spread change to corporate-like
sectors (said so in the scenario notes; the HQM file ends 2023-11, later months get no spread
change). Swap spreads: unchanged unless a user history has a ``swap`` / ``swap_10Y`` column.
User histories (``date`` + sector yield columns in percent, :func:`models.risk.load_history_csv`)
give a sector's spread change as its yield change minus the UST 10y change (parallel).
Other sectors (agencies) keep their spread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data import loaders
from data.csvio import read_user_csv
from data.errors import InputError
from data.loaders import tenor_to_years
from models.curves import BP, DEFAULT_KEY_TENORS, ZeroCurve, curve_on, key_rate_weights
from models.risk import is_corporate_sector, is_treasury_sector

__all__ = [
    "Scenario", "HedgePosition", "ScenarioEngine", "builtin_scenarios", "read_scenarios_csv",
    "historical_scenario", "historical_replays", "daily_replays", "HISTORICAL_EPISODES",
    "dollar_offset", "regression_effectiveness", "EFFECTIVENESS_BAND", "curve_key",
]

EFFECTIVENESS_BAND = (0.80, 1.25)
GAMMA_STEP_BP = 10.0

#: Built-in historical episodes (start, end): endpoints move to the nearest earlier data date.
HISTORICAL_EPISODES: dict[str, tuple[str, str, str]] = {
    "Lehman 2008": ("2008-09-12", "2008-12-31", "Lehman default to year-end 2008"),
    "Taper tantrum 2013": ("2013-05-01", "2013-09-05", "Bernanke taper talk, May-Sep 2013"),
    "March 2020": ("2020-03-06", "2020-03-23", "COVID dash for cash"),
    "2022 hiking cycle": ("2021-12-31", "2022-12-30", "Fed hikes 425 bp in 2022"),
}


def curve_key(sector: str) -> str:
    """Normalized curve key of a sector label ('Treasury' -> 'treasury', 'Swaps' -> 'swap')."""
    s = str(sector).strip().lower()
    if s in ("*", "all"):
        return "*"
    if is_treasury_sector(s) or s == "treasury":
        return "treasury"
    if s in ("swap", "swaps", "sofr", "swap curve"):
        return "swap"
    return s


def _eval_shift(spec: Mapping[str, float], years: np.ndarray) -> np.ndarray:
    years = np.asarray(years, dtype=float)
    out = np.full(years.shape, float(spec.get("*", 0.0)))
    pts = {k: v for k, v in spec.items() if k != "*"}
    if pts:
        ty = np.array([tenor_to_years(k) for k in pts])
        o = np.argsort(ty)
        out = out + np.interp(years, ty[o], np.array(list(pts.values()), float)[o])
    return out


@dataclass(frozen=True)
class Scenario:
    """Par-yield changes (bp) per curve and tenor; see the module docstring."""

    name: str
    shifts: Mapping[str, Mapping[str, float]]
    kind: str = "hypothetical"          # "hypothetical" | "historical" | "user" | "daily"
    description: str = ""
    notes: tuple[str, ...] = ()
    start: pd.Timestamp | None = None   # historical replays
    end: pd.Timestamp | None = None

    def spec_for(self, key: str) -> dict[str, float]:
        """The tenor -> bp dict that applies to curve ``key`` (resolution rule above)."""
        sh = {curve_key(k): dict(v) for k, v in self.shifts.items()}
        key = curve_key(key)
        if key in sh:
            return sh[key]
        if key == "treasury":
            return sh.get("*", {})
        if key not in ("swap",) and is_corporate_sector(key) and "corporate" in sh:
            return sh["corporate"]
        if "*" in sh:
            return sh["*"]
        return sh.get("treasury", {})

    def at(self, key: str, years) -> np.ndarray:
        """Yield change (bp) of curve ``key`` at tenors ``years``."""
        return _eval_shift(self.spec_for(key), years)

    def treasury_only(self) -> Scenario:
        """The scenario's Treasury par-curve change on every curve (spreads unchanged)."""
        return Scenario(f"{self.name} (Treasury curve only)", {"*": self.spec_for("treasury")},
                        kind=self.kind, start=self.start, end=self.end)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "shifts": {k: dict(v) for k, v in self.shifts.items()},
                "start": self.start, "end": self.end, "notes": list(self.notes)}


# ----------------------------------------------------------------------------- built-in set
def builtin_scenarios() -> list[Scenario]:
    """Parallel +-25/50/100/200, 2s10s steepener/flattener, 2s5s10s butterfly, non-Treasury
    spread widening +50, and SPEC §10's Treasuries +20 / corporates and swaps +60."""
    out = []
    for bp in (25, 50, 100, 200):
        for sg in (1, -1):
            out.append(Scenario(f"parallel {sg * bp:+d}bp", {"*": {"*": sg * bp}},
                                description=f"every curve {sg * bp:+d} bp"))
    out.append(Scenario("2s10s steepener +50", {"*": {"2Y": -25.0, "10Y": 25.0}},
                        description="2Y -25 bp, 10Y +25 bp (linear between, flat beyond)"))
    out.append(Scenario("2s10s flattener -50", {"*": {"2Y": 25.0, "10Y": -25.0}},
                        description="2Y +25 bp, 10Y -25 bp (linear between, flat beyond)"))
    out.append(Scenario("2s5s10s butterfly +25/-25",
                        {"*": {"2Y": 25.0, "5Y": -25.0, "10Y": 25.0}},
                        description="wings (2Y, 10Y) +25 bp, belly (5Y) -25 bp"))
    out.append(Scenario("spread widening +50", {"treasury": {"*": 0.0}, "swap": {"*": 0.0},
                                                "*": {"*": 50.0}},
                        description="non-Treasury sector yields +50 bp over an unchanged "
                                    "Treasury curve; swap spread unchanged"))
    out.append(Scenario("Treasuries +20, corporates and swaps +60",
                        {"treasury": {"*": 20.0}, "corporate": {"*": 60.0},
                         "swap": {"*": 60.0}},
                        description="SPEC §10: Treasury +20 bp, corporate yields and swap "
                                    "rates +60 bp (other sectors follow Treasuries)"))
    return out


def read_scenarios_csv(path: str | Path) -> list[Scenario]:
    """User scenarios: columns ``scenario, sector, tenor, shift_bp`` (one row per curve point;
    sector ``*`` = every curve, ``Treasury``, ``Swap`` or a sector name; tenor ``*`` = parallel,
    else a tenor label such as 2Y; shift_bp = the curve's yield change in bp). Errors name the
    file, row (header = row 1) and column."""
    f = str(path)
    df = read_user_csv(path, "scenario file", allow_empty=True)
    for col in ("scenario", "sector", "tenor", "shift_bp"):
        if col not in df.columns:
            raise InputError(f"missing required column (have: {', '.join(df.columns)})",
                             file=f, column=col)
    if df.empty:
        raise InputError("scenario file has no rows", file=f)
    scen: dict[str, dict[str, dict[str, float]]] = {}
    seen: dict[tuple, int] = {}
    for i, r in enumerate(df.itertuples(index=False)):
        row = i + 2
        name = str(r.scenario).strip()
        sector = str(r.sector).strip()
        tenor = str(r.tenor).strip().upper()
        raw = str(r.shift_bp).strip()
        if not name:
            raise InputError("blank scenario name", file=f, row=row, column="scenario")
        if not sector:
            raise InputError("blank sector (use * for every curve)", file=f, row=row,
                             column="sector")
        if tenor in ("", "*", "ALL", "PARALLEL"):
            tenor = "*"
        else:
            try:
                yrs = tenor_to_years(tenor)
            except InputError:
                raise InputError(f"unknown tenor '{r.tenor}' (expected e.g. 2Y, 6M or * for "
                                 "parallel)", file=f, row=row, column="tenor") from None
            if not (0 < yrs <= 50):
                raise InputError(f"tenor '{r.tenor}' out of range (0, 50y]", file=f, row=row,
                                 column="tenor")
        try:
            v = float(raw)
        except ValueError:
            raise InputError(f"shift_bp '{raw}' is not a number", file=f, row=row,
                             column="shift_bp") from None
        if not math.isfinite(v):
            raise InputError(f"shift_bp '{raw}' is not finite", file=f, row=row,
                             column="shift_bp")
        if abs(v) > 1000:
            raise InputError(f"shift_bp {v:g} is beyond +-1000 bp: give basis points "
                             "(0.25% -> 25)", file=f, row=row, column="shift_bp")
        key = curve_key(sector)
        dup = (name, key, tenor)
        if dup in seen:
            raise InputError(f"duplicate point for scenario '{name}', sector {sector}, tenor "
                             f"{tenor} (first on row {seen[dup]})", file=f, row=row,
                             column="tenor")
        seen[dup] = row
        scen.setdefault(name, {}).setdefault(key, {})[tenor] = v
    return [Scenario(n, s, kind="user", description=f"from {Path(path).name}") for n, s in scen.items()]


# ----------------------------------------------------------------------------- history
def _par_change(start, end) -> tuple[pd.Series, pd.Timestamp, pd.Timestamp, list[str]]:
    c0, c1 = loaders.par_curve(start), loaders.par_curve(end)
    notes = [n for n in (c0.note, c1.note) if n]
    common = [k for k in c1.par_yield_dec.index if k in c0.par_yield_dec.index]
    d = (c1.par_yield_dec[common] - c0.par_yield_dec[common]) * 1e4
    return d, c0.asof, c1.asof, notes


def _ust10_monthly_avg_pct() -> pd.Series:
    h = loaders.par_curve_history_pct()["10Y"].dropna()
    return h.groupby(h.index.to_period("M")).mean()


def _hqm_spread_change(d0: pd.Timestamp, d1: pd.Timestamp) -> tuple[float | None, str]:
    hqm = loaders.hqm_par_monthly_pct()[10.0].dropna()
    hqm.index = hqm.index.to_period("M")
    ust = _ust10_monthly_avg_pct()
    m0, m1 = d0.to_period("M"), d1.to_period("M")
    if m0 not in hqm.index or m1 not in hqm.index or m0 not in ust.index or m1 not in ust.index:
        return None, (f"no HQM corporate spread for {m0} or {m1} (HQM file ends "
                      f"{hqm.index[-1]}): corporate spreads unchanged")
    s0, s1 = hqm[m0] - ust[m0], hqm[m1] - ust[m1]
    ch = (s1 - s0) * 100.0
    same = (" -- start and end in the same month: monthly averages cannot show an intra-month "
            "spread move" if m0 == m1 else "")
    return float(ch), (f"corporate spread change {ch:+.1f} bp = change of (HQM 10y par - UST 10y "
                       f"par), monthly averages {m0} -> {m1} ({s0 * 100:.0f} -> {s1 * 100:.0f} "
                       f"bp); applied parallel to corporate sectors{same}")


def _history_value(h: pd.Series, d: pd.Timestamp) -> tuple[float, pd.Timestamp] | None:
    s = h.dropna()
    s = s[s.index <= d]
    return None if s.empty else (float(s.iloc[-1]), s.index[-1])


def historical_scenario(name: str, start, end, *, description: str = "",
                        histories: Sequence[pd.DataFrame] = (), hqm: bool = True) -> Scenario:
    """The par-curve change between two dates (see module docstring) as a Scenario."""
    d, a0, a1, notes = _par_change(start, end)
    if a1 <= a0:
        raise InputError(f"replay '{name}': end {a1.date()} is not after start {a0.date()}")
    tsy = {k: float(v) for k, v in d.items()}
    shifts: dict[str, dict[str, float]] = {"treasury": tsy}
    ust10 = float(d.get("10Y", np.nan))
    spread: dict[str, float] = {}
    if hqm:
        ch, note = _hqm_spread_change(a0, a1)
        notes.append(note)
        if ch is not None:
            spread["corporate"] = ch
    swap_done = False
    for hist in histories:
        for col in hist.columns:
            v0, v1 = _history_value(hist[col], a0), _history_value(hist[col], a1)
            if v0 is None or v1 is None or not math.isfinite(ust10):
                notes.append(f"user history '{col}' has no value at or before {a0.date()} / "
                             f"{a1.date()}: ignored")
                continue
            ch = (v1[0] - v0[0]) * 100.0 - ust10
            key = "swap" if str(col).lower().startswith("swap") else curve_key(col)
            if key == "swap":
                swap_done = True
            spread[key] = ch
            notes.append(f"{col}: spread change {ch:+.1f} bp = user history yield change "
                         f"{v0[1].date()} -> {v1[1].date()} minus UST 10y change (parallel)")
    if not swap_done:
        notes.append("swap spread unchanged (no bundled swap history; give one with a 'swap' "
                     "column)")
    for key, ch in spread.items():
        shifts[key] = {k: v + ch for k, v in tsy.items()}
    return Scenario(name, shifts, kind="historical", start=a0, end=a1,
                    description=description or f"{a0.date()} -> {a1.date()}",
                    notes=tuple(notes))


def historical_replays(histories: Sequence[pd.DataFrame] = ()) -> list[Scenario]:
    """The built-in episodes (:data:`HISTORICAL_EPISODES`) as scenarios."""
    return [historical_scenario(n, s, e, description=f"{desc} ({s} -> {e})", histories=histories)
            for n, (s, e, desc) in HISTORICAL_EPISODES.items()]


def daily_replays(start, end, horizon_days: int = 1) -> list[Scenario]:
    """Rolling replay: every ``horizon_days``-business-day change of the Treasury par curve in
    [start, end] (overlapping windows), Treasury moves only (spreads, swap spread unchanged)."""
    w = loaders.par_curve_window(start, end)
    w = w.dropna(axis=1, how="any")
    if len(w) <= horizon_days:
        raise InputError(f"not enough curve dates between {start} and {end}")
    ch = (w.diff(horizon_days) * 1e4).iloc[horizon_days:]
    out = []
    for d, r in ch.iterrows():
        out.append(Scenario(f"{d.date()}", {"*": {k: float(v) for k, v in r.items()}},
                            kind="daily", end=d,
                            description=f"{horizon_days}-day Treasury par change to {d.date()}"))
    return out


# ----------------------------------------------------------------------------- hedge legs
@dataclass(frozen=True)
class HedgePosition:
    """A hedge position: contract code (``ZNU5``) or root (front contract), signed contracts,
    optional designated sector (for the per-sector split) and optional DV01 override (USD per
    contract; such a leg is valued linearly on its curve at ``tenor``, flagged)."""

    contract: str
    contracts: float
    sector: str | None = None
    dv01_usd: float | None = None
    tenor: str | None = None


def _as_position(p) -> HedgePosition:
    if isinstance(p, HedgePosition):
        return p
    if isinstance(p, Mapping):
        return HedgePosition(str(p["contract"]), float(p["contracts"]), p.get("sector"),
                             p.get("dv01_usd"))
    p = tuple(p)
    return HedgePosition(str(p[0]), float(p[1]), *(p[2:3] or (None,)))


class _Revalued:
    """A hedge contract revalued through the contract protocol (:mod:`models.instruments`): its
    price in the market shocked to the scenario's Treasury and swap curves."""

    def __init__(self, contract, market) -> None:
        self.contract, self.market, self.code = contract, market, contract.code
        self.curve_key = contract.driving_curve
        self.flags: list[str] = []

    def value(self, zc_t: ZeroCurve, swap: pd.Series) -> tuple[float, dict]:
        p, info = self.contract.revalue(self.market.shocked(zc_t, swap))
        return self.contract.value_usd(p), info


# ----------------------------------------------------------------------------- engine
@dataclass
class _Legs:
    """Approximation data for a set of legs (rows): KRDs (n x k), DV01, gamma, curve keys."""

    label: list[str]
    sector: list[str]
    curve: list[str]
    krd: np.ndarray
    dv01: np.ndarray
    gamma: np.ndarray
    full: np.ndarray  # bool: has a full revaluation


@dataclass
class ScenarioEngine:
    """Revalues ``holdings`` + hedge ``positions`` under scenarios (see module docstring).

    holdings: a holdings frame (``data.holdings.read_holdings`` output or SPEC §4 layout).
    positions: ``[(contract, contracts[, sector])]`` or :class:`HedgePosition` s.
    curve: the Treasury ZeroCurve (default: bundled curve on ``asof``).
    hedged_fraction: sector -> fraction hedged (1 - target/current DV01); default 1.
    """

    holdings: pd.DataFrame
    positions: Sequence = ()
    asof: object = None
    curve: ZeroCurve | None = None
    key_tenors: Sequence[str] = DEFAULT_KEY_TENORS
    hedged_fraction: Mapping[str, float] | None = None
    swap_spread_bp: float | dict | None = None
    repo: float | None = None
    exposures: object = None  # a models.exposures.Exposures computed on ``curve`` (reused)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from models.exposures import compute_exposures

        if self.curve is None:
            self.curve = curve_on(self.asof)
        if self.asof is None:
            self.asof = self.curve.asof
        self.asof = pd.Timestamp(self.asof).normalize()
        self.keys = tuple(self.key_tenors)
        self.key_years = np.array([tenor_to_years(k) for k in self.keys])
        ex = self.exposures
        if ex is None or tuple(ex.key_tenors) != self.keys:
            ex = compute_exposures(self.holdings, self.asof, self.keys, self.curve)
        self.ex = ex
        self._setup_holdings()
        self._setup_hedge()

    # ------------------------------------------------------------------ holdings
    def _setup_holdings(self) -> None:
        from models.bonds import cashflows, make_bonds
        from models.exposures import _normalize

        h = self.ex.holdings
        df = _normalize(self.holdings)
        n = len(h)
        self.h_sector = h["sector"].astype(str).tolist()
        self.h_curve = [curve_key(s) for s in self.h_sector]
        krd = h[[f"krd_{t}" for t in self.keys]].to_numpy(dtype=float)
        dv01 = krd.sum(axis=1)
        gamma = np.zeros(n)
        terms = (h["kind"] == "terms").to_numpy()
        self.groups: list[dict] = []
        if terms.any():
            t = df[terms]
            dc = t["day_count"] if "day_count" in t.columns else pd.Series(None, index=t.index)
            conv = np.where(dc.isna(), np.where(t["sector"].map(is_treasury_sector), "UST",
                                                "CORP"), dc.astype(str).str.upper())
            bonds = make_bonds(t["maturity"].to_numpy(), t["coupon_pct"].to_numpy() / 100.0,
                               t["frequency"].fillna(2).astype(int).to_numpy(), conv,
                               t["issue_date"].to_numpy(), t["first_coupon_date"].to_numpy())
            cf = cashflows(bonds, self.ex.settle)
            idx = np.flatnonzero(terms)
            spread = h["spread_bp"].to_numpy(dtype=float)[idx] / 1e4
            par = h["par"].to_numpy(dtype=float)[idx] / 100.0
            for key in sorted({self.h_curve[i] for i in idx}):
                sel = np.array([self.h_curve[i] == key for i in idx])
                fs = self.curve.flows(cf.take(sel))
                g = {"key": key, "rows": idx[sel], "fs": fs, "spread": spread[sel],
                     "par": par[sel]}
                g["p0"] = self.curve.price_flows(fs, g["spread"]) * g["par"]
                self.groups.append(g)
                # gamma and KRDs consistent with the full revaluation
                up = self.curve.shifted(GAMMA_STEP_BP).price_flows(fs, g["spread"]) * g["par"]
                dn = self.curve.shifted(-GAMMA_STEP_BP).price_flows(fs, g["spread"]) * g["par"]
                gamma[idx[sel]] = (up + dn - 2 * g["p0"]) / (2 * GAMMA_STEP_BP**2)
        risk = ~terms
        self.approx_only_rows = h.loc[risk, "id"].tolist()
        if risk.any():
            conv_col = pd.to_numeric(self.holdings.get("convexity", pd.Series(np.nan,
                                     index=self.holdings.index)), errors="coerce")
            c = conv_col.to_numpy(dtype=float)[risk] if len(conv_col) == n else np.full(
                risk.sum(), np.nan)
            dur = h["duration"].to_numpy(dtype=float)[risk]
            est = np.isnan(c)
            c = np.where(est, dur**2 + dur / 2, c)
            gamma[risk] = 0.5 * c * h["market_value"].to_numpy(dtype=float)[risk] * 1e-8
            self.warnings.append(
                f"approx_only: {int(risk.sum())} precomputed-risk holding(s) have no cash flows;"
                " their 'full' P&L is the DV01 + convexity approximation"
                + (" with convexity estimated as D^2 + D/2" if est.any() else ""))
        self.hold = _Legs(h["id"].astype(str).tolist(), self.h_sector, self.h_curve, krd, dv01,
                          gamma, terms)
        frac = {curve_key(k): float(v) for k, v in (self.hedged_fraction or {}).items()}
        self.h_frac = np.array([frac.get(curve_key(s), 1.0) for s in self.h_sector])

    # ------------------------------------------------------------------ hedge
    def _setup_hedge(self) -> None:
        from models.instruments import market_on, resolve
        from models.swap_futures import swap_curve

        self.pos = [_as_position(p) for p in self.positions]
        self.swap0, fl = swap_curve(self.curve.asof, spread_bp=self.swap_spread_bp)
        market = market_on(self.asof, repo=self.repo, curve=self.curve, swap_curve=self.swap0)
        self.swap_years = np.array([tenor_to_years(k) for k in self.swap0.index])
        self.instr = []
        n = len(self.pos)
        krd = np.zeros((n, len(self.keys)))
        dv01 = np.zeros(n)
        gamma = np.zeros(n)
        full = np.zeros(n, bool)
        curves = []
        cache: dict[str, object] = {}  # one revaluer per contract (several sector allocations)
        if any(p.dv01_usd is None for p in self.pos):
            self.warnings.extend(fl)
        for j, p in enumerate(self.pos):
            raw = p.contract.strip().upper()
            if p.dv01_usd is not None:
                try:
                    key = resolve(raw, self.asof).driving_curve
                except InputError:
                    key = "treasury" if raw.startswith(("Z", "T", "U")) else "swap"
                w = key_rate_weights(self.key_years, [tenor_to_years(p.tenor or "10Y")])[:, 0]
                krd[j] = p.dv01_usd * p.contracts * w
                dv01[j] = p.dv01_usd * p.contracts
                self.instr.append(None)
                curves.append(key)
                self.warnings.append(f"{raw}: DV01 given (${p.dv01_usd:,.2f}/contract): "
                                     "valued linearly, no full revaluation")
                continue
            c = resolve(raw, self.asof)
            ins = cache.setdefault(c.code, _Revalued(c, market))
            self.instr.append(ins)
            curves.append(ins.curve_key)
            full[j] = True
        self.hedge = _Legs([p.contract for p in self.pos],
                           [p.sector or "hedge" for p in self.pos], curves, krd, dv01, gamma, full)
        self.hedge_v0 = np.array([self._value(j, self.curve, self.swap0)[0]
                                  for j in range(n)])
        # KRDs and gamma of instruments by finite differences of the full revaluation
        # (per contract, once per instrument; the bumped curves are shared)
        if full.any():
            w = key_rate_weights(self.key_years, self.curve.knots)
            ws = key_rate_weights(self.key_years, self.swap_years)
            bumped = [[(self.curve._with_knot_yields(self.curve.knot_yield_dec + sg * BP * w[k]),
                        self.swap0 + sg * BP * ws[k]) for sg in (-0.5, 0.5)]
                      for k in range(len(self.keys))]
            par = [(self.curve.shifted(s), self.swap0 + s * BP)
                   for s in (GAMMA_STEP_BP, -GAMMA_STEP_BP)]
            unit: dict[int, tuple[np.ndarray, float]] = {}
            for j in np.flatnonzero(full):
                ins = self.instr[j]
                if id(ins) not in unit:
                    kr = np.zeros(len(self.keys))
                    for k in range(len(self.keys)):
                        v = [self._value(j, zc, sw)[0] for zc, sw in bumped[k]]
                        kr[k] = v[0] - v[1]
                    vs = [self._value(j, zc, sw)[0] for zc, sw in par]
                    unit[id(ins)] = (kr, (vs[0] + vs[1] - 2 * self.hedge_v0[j])
                                     / (2 * GAMMA_STEP_BP**2))
                kr, g = unit[id(ins)]
                krd[j] = kr * self.pos[j].contracts
                dv01[j] = krd[j].sum()
                gamma[j] = g * self.pos[j].contracts

    def _value(self, j: int, zc: ZeroCurve, swap: pd.Series) -> tuple[float, dict]:
        ins = self.instr[j]
        if ins is None:
            return 0.0, {}
        return ins.value(zc, swap)

    # ------------------------------------------------------------------ evaluation
    def _approx(self, legs: _Legs, sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
        """(linear, linear + convexity) P&L per leg."""
        dy = np.vstack([sc.at(k, self.key_years) for k in legs.curve]) if legs.curve else \
            np.zeros((0, len(self.keys)))
        lin = -(legs.krd * dy).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dy_eff = np.where(legs.dv01 != 0, -lin / legs.dv01, dy.mean(axis=1) if len(dy) else 0)
        return lin, lin + legs.gamma * dy_eff**2

    def _shifted(self, sc: Scenario, key: str) -> ZeroCurve:
        spec = sc.spec_for(key)
        pts = {k: v for k, v in spec.items() if k != "*"}
        return self.curve.shifted(spec.get("*", 0.0), pts or None)

    def _holdings_pnl(self, sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(linear, DV01 + convexity, full) P&L per holding."""
        h_lin, h_apx = self._approx(self.hold, sc)
        h_full = h_apx.copy()
        for g in self.groups:
            zc = self._shifted(sc, g["key"])
            h_full[g["rows"]] = zc.price_flows(g["fs"], g["spread"]) * g["par"] - g["p0"]
        return h_lin, h_apx, h_full

    def _hedge_pnl(self, sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """(linear, DV01 + convexity, full) P&L per hedge leg and per-contract details."""
        g_lin, g_apx = self._approx(self.hedge, sc)
        g_full = g_apx.copy()
        details = []
        zc_t = swap = None
        vcache: dict[int, tuple] = {}
        for j, p in enumerate(self.pos):
            d = {"contract": getattr(self.instr[j], "code", p.contract), "contracts": p.contracts,
                 "sector": p.sector}
            if self.hedge.full[j]:
                if zc_t is None:
                    zc_t = self._shifted(sc, "treasury")
                    swap = self.swap0 + sc.at("swap", self.swap_years) * BP
                ins = self.instr[j]
                if id(ins) not in vcache:
                    vcache[id(ins)] = (self._value(j, zc_t, swap),
                                       self._value(j, self.curve, self.swap0)[1])
                (v1, info1), info0 = vcache[id(ins)]
                g_full[j] = (v1 - self.hedge_v0[j]) * p.contracts
                d.update({"price_before": info0.get("price"), "price_after": info1.get("price")})
                if "ctd" in info0:
                    d.update({"ctd_before": info0["ctd"], "ctd_after": info1["ctd"],
                              "ctd_switch": info0["ctd"] != info1["ctd"]})
            d.update({"pnl": g_full[j], "approx_pnl": g_apx[j], "dv01_pnl": g_lin[j]})
            details.append(d)
        return g_lin, g_apx, g_full, details

    def attribution(self, sc: Scenario, h_full: np.ndarray, g_apx: np.ndarray,
                    g_full: np.ndarray) -> dict[str, float]:
        """Net P&L split into curve, spread and basis (they add up to the net P&L).

        T = the scenario's Treasury par-curve change applied to every curve (sector and swap
        spreads unchanged); H = holdings (full revaluation), G = hedge::

            curve_usd  = H_full(T) + G_approx(T)          rates, spreads held
            spread_usd = [H_full - H_full(T)] + [G_approx - G_approx(T)]
                         sector spreads (holdings) and the swap spread (swap futures)
            basis_usd  = G_full - G_approx
                         what the futures do beyond their own DV01 + convexity: CTD switches,
                         the delivery option, higher-order terms
        """
        t = sc.treasury_only()
        ht = self._holdings_pnl(t)[2].sum()
        gt = self._approx(self.hedge, t)[1].sum()
        curve = float(ht + gt)
        spread = float(h_full.sum() - ht + g_apx.sum() - gt)
        basis = float(g_full.sum() - g_apx.sum())
        return {"curve_usd": curve, "spread_usd": spread, "basis_usd": basis}

    def run(self, sc: Scenario, attribution: bool = True) -> dict:
        """One scenario: full, approx and DV01-mode P&L of holdings and hedge, split per
        sector, with dollar-offset effectiveness, per-contract details and (``attribution``)
        the curve / spread / basis split of the net P&L."""
        h_lin, h_apx, h_full = self._holdings_pnl(sc)
        g_lin, g_apx, g_full, details = self._hedge_pnl(sc)
        out = {"scenario": sc.name, "kind": sc.kind, "description": sc.description,
               "start": sc.start, "end": sc.end, "notes": list(sc.notes)}
        for tag, hv, gv in (("", h_full, g_full), ("approx_", h_apx, g_apx),
                            ("dv01_", h_lin, g_lin)):
            item = float((hv * self.h_frac).sum())
            out[f"{tag}holdings_pnl"] = float(hv.sum())
            out[f"{tag}hedge_pnl"] = float(gv.sum())
            out[f"{tag}net_pnl"] = float(hv.sum() + gv.sum())
            out[f"{tag}hedged_item_pnl"] = item
            out[f"{tag}effectiveness"] = dollar_offset(float(gv.sum()), item)
        e = out["effectiveness"]
        out["effective"] = (e is not None and EFFECTIVENESS_BAND[0] <= e <= EFFECTIVENESS_BAND[1])
        out["approx_error"] = out["approx_net_pnl"] - out["net_pnl"]
        if attribution:
            out["attribution"] = self.attribution(sc, h_full, g_apx, g_full)
        out["by_sector"] = self._by_sector(h_full, g_full, h_apx, g_apx, h_lin, g_lin)
        out["hedge"] = details
        return out

    def _by_sector(self, h_full, g_full, h_apx, g_apx, h_lin, g_lin) -> list[dict]:
        sectors = list(dict.fromkeys(self.h_sector + self.hedge.sector))
        rows = []
        for s in sectors:
            hm = np.array([x == s for x in self.h_sector], bool)
            gm = np.array([x == s for x in self.hedge.sector], bool)
            hp, gp = float(h_full[hm].sum()), float(g_full[gm].sum())
            rows.append({"sector": s, "holdings_pnl": hp, "hedge_pnl": gp, "net_pnl": hp + gp,
                         "approx_holdings_pnl": float(h_apx[hm].sum()),
                         "approx_hedge_pnl": float(g_apx[gm].sum()),
                         "dv01_holdings_pnl": float(h_lin[hm].sum()),
                         "dv01_hedge_pnl": float(g_lin[gm].sum())})
        return rows

    def run_many(self, scenarios: Iterable[Scenario], attribution: bool = True) -> list[dict]:
        return [self.run(s, attribution) for s in scenarios]


# ----------------------------------------------------------------------------- effectiveness
def dollar_offset(hedge_pnl: float, hedged_item_pnl: float, min_abs: float = 1e-6
                  ) -> float | None:
    """-hedge P&L / hedged-item P&L (None when the hedged item did not move)."""
    if abs(hedged_item_pnl) < min_abs:
        return None
    return -hedge_pnl / hedged_item_pnl


def regression_effectiveness(hedged_item_pnl, hedge_pnl) -> dict:
    """statsmodels OLS hedge P&L = a + b x hedged-item P&L over a series of scenarios;
    effective when R^2 >= 0.8 and -1.25 <= b <= -0.80."""
    import statsmodels.api as sm

    x = np.asarray(hedged_item_pnl, float)
    y = np.asarray(hedge_pnl, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or np.ptp(x) == 0:
        return {"n": int(len(x)), "slope": None, "r2": None, "effective": None,
                "note": "fewer than 3 usable scenarios"}
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    b, r2 = float(fit.params[1]), float(fit.rsquared)
    return {"n": int(len(x)), "slope": b, "slope_se": float(fit.bse[1]),
            "intercept": float(fit.params[0]), "r2": r2,
            "effective": bool(r2 >= 0.8 and -1.25 <= b <= -0.8)}
