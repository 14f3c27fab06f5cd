"""Choose the risk model by out-of-sample calibration -> ``benchmarks/results/calibration_*.md``
and ``data/risk_params/risk_model.csv``.

For every benchmark book (``benchmarks/books``) a walk-forward backtest gives, per holding
period, the position the integer optimum held, its factor exposures on the rebalance date and
the tracking P&L that followed (market moves only: carry and costs out). Each candidate risk
model re-forecasts the TE of the *same* positions with data up to each rebalance date only.
A candidate combines three blocks:

* **key rates**: ``sample``, ``ledoit_wolf_cc`` or ``ewma`` (half-life in days) over the
  hedge's default 3-year window, estimated from daily changes (``h1``) or from overlapping 5-/21-day changes divided
  by the horizon (``h5``/``h21``: the variance a position held that long earns);
* **corporate spread** (ICE BofA BBB OAS, licensed, read locally; the estimate is what would be
  shipped): ``ME yearly`` = month-end changes, re-estimated each year end (the previous
  shipped file); ``ME monthly`` = the same each month end; ``h1``/``h5``/``h21`` = daily /
  overlapping 5- or 21-day changes, each month end, sample or EWMA (half-lives down to 21
  days); ``+ w x EWMA hl h5``: the variance blended with weight w with a fast EWMA of 5-day
  changes; ``DTS``: spread vol proportional to the spread level (Ben Dor et al. 2007), i.e.
  the vol of relative changes dS/S times the OAS on the estimate date. The grid crosses every
  key-rate block with the slow spread blocks and every spread block with the daily key-rate
  blocks (``CANDIDATES``);
* **futures basis**: the shipped per-root basis variance (monthly sums of settlement-minus-model
  residuals) or none; and with ``resid``, the modelled futures price's own residual to its
  key-rate DV01s (``futures_residual.csv``: CTD cash flows between key tenors, convexity, DV01
  drift over the month; public data; correlated across contracts), which the modelled run
  realizes too.

Forecast and realization are matched: the *modelled* run's futures legs carry no basis by
construction, so it is scored against the forecast without the basis term; the *market-marked*
run marks a contract only on the days the settlement file quotes it, so its forecast carries each
contract's basis variance times the share of its days that were marked. The product's hedge
prints the full forecast (basis on every day).

Scores (``models.risk.calibration``): the bias statistic (realized / ex-ante TE; 1 = calibrated,
target 0.8-1.25) at the daily and the holding-period horizon, and QLIKE (mean of log(sigma^2) +
(p/sigma)^2 per period: a proper scoring rule for variance forecasts, lower is better; Patton
2011). The chosen model has the most books with holding-period bias in 0.8-1.25 (marked to market
where available), then the lowest mean QLIKE.

The long span decides: ``--full`` scores the 2000-2025 backtests (``backtest_report --full``)
per book and regime window and writes ``calibration_risk_model_full.md``; a standard run
(2019-07 ..) reports the shipped model beside that span's own best.

Usage: ``python -m benchmarks.calibrate_risk [--full] [--books treasury,default,...] [--save]
[--pickled DIR]`` (``--save`` writes the choice to ``data/risk_params/risk_model.csv`` and
re-estimates ``corporate_spread.csv`` with its spread block; ``--pickled`` reuses backtests
saved by ``backtest_report --pickle DIR``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
QUICK_START = "2019-07-01"       # the standard span's start (benchmarks.backtest_report)
KEY = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")
BAND = (0.8, 1.25)


@dataclass(frozen=True)
class KeySpec:
    method: str = "sample"
    window: str = "3y"
    halflife: float | None = None
    horizon_days: int = 1

    @property
    def label(self) -> str:
        est = (f"EWMA {self.halflife:g}d" if self.method == "ewma" else
               ("LW-CC" if self.method == "ledoit_wolf_cc" else "sample"))
        return f"{est} {self.window} h{self.horizon_days}"


@dataclass(frozen=True)
class SpreadSpec:
    horizon_days: int = 0          # 0: month-end changes
    halflife: float | None = None
    window_years: int = 3
    cadence: str = "monthly"
    dts: bool = False              # vol of relative changes x today's level (Ben Dor et al.)
    blend_weight: float = 0.0      # weight of a fast EWMA in the variance
    blend_halflife: float | None = None
    blend_horizon: int = 5
    blend_to_horizon: bool = False  # the fast estimate scaled to the horizon (variance ratio)
    rate_driver: str = ""          # "": a correlation per key rate; "7Y": through that key rate

    @property
    def label(self) -> str:
        return self._label() + (f", rates via {self.rate_driver}" if self.rate_driver else "")

    def _label(self) -> str:
        if self.horizon_days == 0:
            return f"ME {self.window_years}y {self.cadence}"
        est = f"EWMA {self.halflife:g}d" if self.halflife else "sample"
        out = f"{'DTS ' if self.dts else ''}{est} {self.window_years}y h{self.horizon_days}"
        if self.blend_weight:
            out += (f" + {self.blend_weight:g} x EWMA {self.blend_halflife:g}d "
                    f"h{self.blend_horizon}"
                    + (f" to h{self.horizon_days}" if self.blend_to_horizon else ""))
        return out

    def kwargs(self) -> dict:
        """``estimate_risk_params.spread_estimate`` keyword arguments (and the shipped spec)."""
        return {"horizon_days": self.horizon_days, "halflife": self.halflife,
                "window_years": self.window_years, "dts": self.dts,
                "blend_weight": self.blend_weight, "blend_halflife": self.blend_halflife,
                "blend_horizon": self.blend_horizon, "blend_to_horizon": self.blend_to_horizon}


@dataclass(frozen=True)
class Candidate:
    key: KeySpec
    spread: SpreadSpec
    basis: bool = True
    resid: bool = True           # futures' modelled-price residual to their key-rate DV01s
    bond: bool = False           # the bonds' own residual to their key-rate DV01s (not shipped)

    @property
    def label(self) -> str:
        b = ("basis+resid" if self.resid else "basis") if self.basis else (
            "resid" if self.resid else "no basis")
        return f"{self.key.label} | spread {self.spread.label} | {b}{'+bond' if self.bond else ''}"


#: Key-rate blocks over the hedge's default 3-year window (the window is the user's choice;
#: the estimator within it is calibrated; an EWMA's weight beyond 3 years is negligible).
KEY_SPECS = (KeySpec("sample", "3y"), KeySpec("ewma", "3y", 63.0), KeySpec("ewma", "3y", 21.0),
             KeySpec("ledoit_wolf_cc", "3y"), KeySpec("sample", "3y", None, 21),
             KeySpec("ewma", "3y", 126.0, 21), KeySpec("ledoit_wolf_cc", "3y", None, 21),
             KeySpec("ewma", "3y", 63.0, 5))
#: Spread blocks: the slow ones (month-end, sample 3y/5y), EWMAs of daily, 5- and 21-day
#: changes with short half-lives, blends of a fast EWMA with the 5-year sample, and spread vol
#: proportional to the spread level (DTS), alone and blended.
SPREAD_SPECS = (SpreadSpec(0, None, 3, "yearly"), SpreadSpec(0, None, 3, "monthly"),
                SpreadSpec(1, None, 3), SpreadSpec(21, None, 3), SpreadSpec(21, None, 5),
                SpreadSpec(21, 126.0, 5), SpreadSpec(21, 63.0, 5), SpreadSpec(5, 63.0, 5),
                SpreadSpec(1, 21.0, 5), SpreadSpec(5, 21.0, 5), SpreadSpec(21, 42.0, 5),
                SpreadSpec(21, None, 5, blend_weight=0.3, blend_halflife=21.0),
                SpreadSpec(21, None, 5, blend_weight=0.5, blend_halflife=21.0),
                SpreadSpec(21, None, 5, dts=True), SpreadSpec(21, None, 10, dts=True),
                SpreadSpec(21, 126.0, 5, dts=True),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.3, blend_halflife=21.0),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=21.0),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.7, blend_halflife=21.0),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=10.0),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=42.0),
                SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=21.0,
                           blend_horizon=10),
                SpreadSpec(5, 21.0, 5, dts=True),
                # the spread-rate co-movement through one driver rate (``spread_rate_link``)
                *(SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=10.0,
                             rate_driver=t) for t in ("5Y", "7Y", "10Y")),
                SpreadSpec(21, None, 5, dts=True, rate_driver="7Y"),
                # the fast estimate scaled to the holding horizon by the window's variance ratio
                *(SpreadSpec(21, None, 5, dts=True, blend_weight=w, blend_halflife=hl,
                             blend_to_horizon=True, rate_driver=t)
                  for w, hl, t in ((0.5, 10.0, "10Y"), (0.3, 10.0, "10Y"), (0.5, 21.0, "10Y"),
                                   (0.7, 10.0, "10Y"), (0.5, 10.0, ""))))
#: Key-rate blocks with the slow and the fast spread blocks, crossed with the basis options;
#: every spread block with the key-rate blocks estimated from daily changes (the holding-period
#: key-rate blocks never won; crossing all of them with every spread block doubles the cost).
_CORE_SPREADS = (SpreadSpec(0, None, 3, "yearly"), SpreadSpec(0, None, 3, "monthly"),
                 SpreadSpec(21, None, 5))
CANDIDATES = tuple(dict.fromkeys(
    [Candidate(k, s, b, r) for k in KEY_SPECS for s in _CORE_SPREADS
     for b, r in ((True, True), (True, False), (False, False)) if b or k.horizon_days == 1]
    + [Candidate(k, s, True, True) for k in KEY_SPECS if k.horizon_days == 1
       for s in SPREAD_SPECS]
    + [Candidate(k, s, True, True, True) for k in KEY_SPECS if k.horizon_days == 1
       for s in (SpreadSpec(21, None, 5),
                 SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=10.0))]))
#: Trailing holding periods of the bonds' residual estimate (``bond_residual_var``).
BOND_RESID_PERIODS = 36
#: The default of two rounds ago (sample 3y daily, yearly month-end spread, basis).
BASELINE = Candidate(KeySpec("sample", "3y"), SpreadSpec(0, None, 3, "yearly"), True, False)
#: The default before the spread's driver rate and horizon-scaled blend (EWMA 21d daily key
#: rates; DTS 5-year sample of 21-day OAS changes blended 50/50 with a 10-day EWMA of 5-day
#: changes, a correlation per key rate; basis and model residual): the "before" of this report.
PREVIOUS = Candidate(KeySpec("ewma", "3y", 21.0),
                     SpreadSpec(21, None, 5, dts=True, blend_weight=0.5, blend_halflife=10.0),
                     True, True)


# ------------------------------------------------------------------------------ block estimates
_KEY_CACHE: dict[tuple, np.ndarray] = {}
_SPREAD_CACHE: dict[tuple, dict] = {}


def key_cov(date, keys: tuple[str, ...], k: KeySpec) -> np.ndarray:
    """Key-rate covariance (bp^2/yr) of the candidate on ``date`` (data up to ``date``)."""
    from models.risk import build_factor_model

    ck = (pd.Timestamp(date), keys, k)
    if ck not in _KEY_CACHE:
        fm = build_factor_model(date, key_tenors=keys, window=k.window, method=k.method,
                                halflife=k.halflife, hqm_sectors=(),
                                horizon_days=k.horizon_days)
        _KEY_CACHE[ck] = np.asarray(fm.cov_bp2_annual, float)
    return _KEY_CACHE[ck]


def spread_params(date, s: SpreadSpec, lv: pd.DataFrame) -> dict:
    """The spread factor as it would be shipped: estimated at the latest re-estimation date
    (month or year end) on or before the rebalance ``date`` (``valid_from`` lookup)."""
    from benchmarks.estimate_risk_params import spread_estimate

    d = pd.Timestamp(date)
    asof = d if d.is_month_end else d - pd.offsets.MonthEnd(1)   # latest month end <= date
    if s.cadence == "yearly":
        asof = pd.Timestamp(f"{d.year - (0 if d.month == 12 and d.is_month_end else 1)}-12-31")
    s = replace(s, rate_driver="")   # the driver changes how the estimate is used, not it
    ck = (asof, s)
    if ck not in _SPREAD_CACHE:
        _SPREAD_CACHE[ck] = spread_estimate(lv, asof, **s.kwargs())
    return _SPREAD_CACHE[ck]


# ------------------------------------------------------------------------------ re-forecast
_STATIC: dict[int, list[dict]] = {}


def bond_residual_var(res) -> dict:
    """Per holding period: a variance (USD^2/yr) for the bonds' own P&L beyond their key-rate
    DV01s (and the spread factor): the ``other`` group of ``risk_decompose.realized_parts``
    (cash flows between key tenors, convexity, DV01 drift; the bonds are valued off the public
    Treasury curve), per unit of the book's key-rate DV01, pooled over the trailing
    ``BOND_RESID_PERIODS`` periods that ended before the period starts (walk-forward), x252 per
    day, times the DV01 on the rebalance date. None of it before 12 periods exist."""
    from benchmarks.risk_decompose import oas_bp, realized_parts

    parts = realized_parts(res, oas_bp())
    g = parts.groupby("period")["other"].agg(["sum", "size"])
    hedges = [h for h in res.rebalances if "error" not in h]
    dv01 = {}
    for p, h in zip(res.periods, hedges, strict=True):
        names = list(h["model"]["factors"])
        book = np.array(h["model"]["book_exposure"], float)
        dv01[p["index"]] = abs(float(sum(book[names.index(t)] for t in names if t in KEY)))
    ks = [p["index"] for p in res.periods]
    out = {}
    for i, k in enumerate(ks):
        prev = [j for j in ks[max(0, i - BOND_RESID_PERIODS):i] if j in g.index and dv01[j] > 0]
        if len(prev) < 12:
            out[k] = 0.0
            continue
        z2 = sum((g.loc[j, "sum"] / dv01[j]) ** 2 for j in prev)
        out[k] = dv01[k] ** 2 * z2 / sum(g.loc[j, "size"] for j in prev) * 252
    return out


def _static_parts(res, share: dict[int, dict[str, float]]) -> list[dict]:
    """Per holding period, what no candidate changes: the position's factor exposure, the
    run's correlation matrix, the futures' model residual variance and basis variances."""
    from benchmarks.risk_decompose import group_of, position_exposure
    from models.risk_params import futures_basis, futures_residual, residual_corr

    if id(res) in _STATIC:
        return _STATIC[id(res)]
    out = []
    hedges = [h for h in res.rebalances if "error" not in h]
    bond = bond_residual_var(res)
    for p, h in zip(res.periods, hedges, strict=True):
        names, e = position_exposure(h)
        cov = np.array(h["model"]["cov"], float)
        sd = np.sqrt(np.clip(np.diag(cov), 1e-12, None))
        keys = tuple(t for t in names if t in KEY)
        tf = [(code, n, h["legs"][code]) for code, n in h["contracts"]["integer"].items()
              if h["legs"][code].kind == "treasury_future"]
        resid = 0.0
        if tf:   # correlated across contracts (``residual_corr``)
            r = [futures_residual(leg.root, h["date"]) for _, _, leg in tf]
            rv = np.array([0.0 if x is None else n * leg.dv01 * x.vol_bp_annual
                           for x, (_, n, leg) in zip(r, tf, strict=True)])
            resid = float(rv @ residual_corr([leg.root for _, _, leg in tf], h["date"]) @ rv)
        full = marked = 0.0
        for code, n, leg in tf:
            v = (n * leg.dv01 * futures_basis(leg.root, h["date"]).vol_bp_annual) ** 2
            full += v
            marked += v * share.get(p["index"], {}).get(code, 0.0)
        out.append({"period": p["index"], "date": h["date"], "e": e, "sd": sd,
                    "corr": cov / np.outer(sd, sd), "keys": keys,
                    "idx": [names.index(t) for t in keys],
                    "sp": [i for i, n in enumerate(names) if group_of(n) == "corporate spread"],
                    "basis": np.array([group_of(n) == "futures basis" for n in names]),
                    "resid_var": float(h["model"]["resid_var"]), "fut_resid": resid,
                    "basis_full": full, "basis_marked": marked, "bond_var": bond[p["index"]]})
    _STATIC[id(res)] = out
    return out


def period_variances(res, c: Candidate, lv: pd.DataFrame | None,
                     share: dict[int, dict[str, float]]) -> pd.DataFrame:
    """Per holding period: the candidate's variance (USD^2/yr) of the integer position held,
    without basis (``nobasis``), with the full basis (``full``) and with the basis on the days
    marked to market (``marked``)."""
    from models.risk import ensure_psd

    rows = []
    for st in _static_parts(res, share):
        corr, sd, idx, e = st["corr"].copy(), st["sd"].copy(), st["idx"], st["e"]
        kc = key_cov(st["date"], st["keys"], c.key)
        sd[idx] = np.sqrt(np.diag(kc))
        if st["sp"] and lv is not None:
            est = spread_params(st["date"], c.spread, lv)
            link = spread_rate_corr(est["corr"], kc, st["keys"], c.spread.rate_driver)
            for i in st["sp"]:
                sd[i] = est["vol_bp_annual"]
                for j, r in zip(idx, link, strict=True):
                    corr[i, j] = corr[j, i] = r
        cov = corr * np.outer(sd, sd)
        cov[np.ix_(idx, idx)] = kc
        cov[st["basis"], :] = 0.0
        cov[:, st["basis"]] = 0.0
        cov = np.asarray(ensure_psd(cov), float)
        nob = (float(e @ cov @ e + st["resid_var"]) + (st["fut_resid"] if c.resid else 0.0)
               + (st["bond_var"] if c.bond else 0.0))
        full, marked = (st["basis_full"], st["basis_marked"]) if c.basis else (0.0, 0.0)
        rows.append({"period": st["period"], "date": st["date"], "nobasis": max(nob, 0.0),
                     "full": max(nob + full, 0.0), "marked": max(nob + marked, 0.0)})
    return pd.DataFrame(rows).set_index("period")


def spread_rate_corr(corr: dict, kc: np.ndarray, keys: tuple[str, ...],
                     driver: str) -> np.ndarray:
    """The spread factor's correlation with each key rate: as estimated per key rate, or, with
    a ``driver`` tenor, only through that rate (``models.risk.spread_rate_link``)."""
    from models.risk import spread_rate_link

    return spread_rate_link(corr, kc, list(keys), driver or None)


def scores(res, var: pd.DataFrame, mode: str, window: tuple[str, str] | None = None) -> dict:
    """Bias (daily, period) and QLIKE of the forecast matched to the run (module docstring)."""
    from models.risk import calibration

    col = "risk_integer" if mode == "model" else "riskmkt_integer"
    vcol = "nobasis" if mode == "model" else "marked"
    d = res.daily
    if window is not None:
        d = d[(d.index >= window[0]) & (d.index <= window[1])]
    sig_d = np.sqrt(d["period"].map(var[vcol]) / 252)
    daily = calibration(d[col], sig_d, d["period"])
    g = pd.DataFrame({"p": d[col], "v": sig_d ** 2, "k": d["period"]}).groupby("k").sum()
    period = calibration(g["p"], np.sqrt(g["v"]))
    s2 = g["v"].to_numpy()
    z2 = (g["p"].to_numpy() - g["p"].mean()) ** 2 / s2
    qlike = float(np.mean(np.log(s2) + z2))
    # sensitivity: the single largest surprise left out (e.g. March 2020 for spread books)
    drop = np.argsort(z2)[:-1]
    bias_ex1 = float(np.sqrt(z2[drop].sum() / max(len(drop) - 1, 1)))
    return {"bias_daily": daily["bias"], "bias_period": period["bias"],
            "bias_period_lo": period["bias_lo"], "bias_period_hi": period["bias_hi"],
            "bias_period_ex_max": bias_ex1, "worst_period": str(g.index[int(np.argmax(z2))]),
            "qlike": qlike, "periods": int(len(g)),
            "exante_te": float(np.sqrt(np.mean(var[vcol].loc[g.index])))}


def score_book(name: str, res, lv, share) -> pd.DataFrame:
    rows = []
    modes = ["model"] + (["market"] if res.metrics_market is not None else [])
    for c in CANDIDATES:
        var = period_variances(res, c, lv, share)
        for mode in modes:
            rows.append({"book": name, "candidate": c.label, "key": c.key.label,
                         "spread": c.spread.label, "basis": c.basis, "bond": c.bond,
                         "pricing": mode,
                         **scores(res, var, mode)})
    return pd.DataFrame(rows)


def realistic(table: pd.DataFrame) -> pd.DataFrame:
    """Per book, the market-marked rows where the book was marked, else the modelled ones."""
    real = table[table["pricing"] == "market"]
    return pd.concat([real, table[(table["pricing"] == "model")
                                  & ~table["book"].isin(real["book"])]])


def choose(table: pd.DataFrame) -> pd.Series:
    """Most books with period bias in the band, then lowest mean QLIKE (realistic pricing),
    among the candidates the product can ship (the bonds' residual term is not in it yet)."""
    real = realistic(table).assign(in_band=lambda t: t["bias_period"].between(*BAND))
    if "bond" in real:
        real = real[~real["bond"].astype(bool)]
    g = real.groupby("candidate").agg(in_band=("in_band", "mean"), qlike=("qlike", "mean"))
    g = g.sort_values(["in_band", "qlike"], ascending=[False, True])
    return g.iloc[0].rename(g.index[0])


def by_label(label: str) -> Candidate:
    return next(c for c in CANDIDATES if c.label == label)


# ------------------------------------------------------------------------------ report
WINDOWS = (("2019-07..2021-12", "2019-07-01", "2021-12-31"),
           ("2022-01..2025-07", "2022-01-01", "2025-12-31"))
#: The long span's regimes: pre-crisis, the 2008-09 crisis, the QE decade, Covid, the hikes.
FULL_WINDOWS = (("2000-01..2007-12", "2000-01-01", "2007-12-31"),
                ("2008-01..2009-12", "2008-01-01", "2009-12-31"),
                ("2010-01..2019-12", "2010-01-01", "2019-12-31"),
                ("2020-01..2021-12", "2020-01-01", "2021-12-31"),
                ("2022-01..2025-07", "2022-01-01", "2025-12-31"))


def windows_of(res) -> tuple:
    """The whole run, then its regime windows (``FULL_WINDOWS`` for a run from before 2019)."""
    wins = FULL_WINDOWS if res.start < pd.Timestamp(QUICK_START) else WINDOWS
    return (("all", str(res.start.date()), str(res.end.date())), *wins)


def window_rows(name: str, res, c: Candidate, lv, share) -> list[dict]:
    """The candidate's scores per window (realistic pricing) for the per-window tables."""
    var = period_variances(res, c, lv, share)
    mode = "market" if res.metrics_market is not None else "model"
    out = []
    for label, a, b in windows_of(res):
        s = scores(res, var, mode, (a, b))
        out.append({"book": name, "candidate": c.label, "window": label, "pricing": mode, **s})
    return out


def shipped() -> Candidate | None:
    """The candidate ``data/risk_params/risk_model.csv`` ships (None if not in the grid)."""
    from models.risk_params import RISK_MODEL_FILE

    r = pd.read_csv(RISK_MODEL_FILE).iloc[0]
    hl = None if pd.isna(r["halflife"]) else float(r["halflife"])
    key = KeySpec(str(r["method"]), str(r["window"]), hl, int(r["horizon_days"]))
    return next((c for c in CANDIDATES if c.key == key and c.spread.label == str(r["spread"])
                 and c.basis == bool(r["basis"]) and c.resid == bool(r["model_residual"])),
                None)


def _period_start(res, k) -> str:
    p = next((p for p in res.periods if str(p["index"]) == str(k)), None)
    return "?" if p is None else pd.Timestamp(p["date"]).strftime("%Y-%m")


def _fmt_bias(r) -> str:
    return f"{r.bias_period:.2f} [{r.bias_period_lo:.2f}, {r.bias_period_hi:.2f}]"


def decomposition_lines(results: dict, lv, shares: dict) -> list[str]:
    from benchmarks.risk_decompose import horizon_table, oas_bp

    oas = oas_bp() if lv is not None else None
    out = ["| book | group | ex-ante TE | realized TE, daily x sqrt(252) | realized TE, "
           "period sums | period / daily | realized (period) / ex-ante |", "|" + "---|" * 7]
    for name, res in results.items():
        t = horizon_table(res, oas, shares.get(name))
        for g, r in t.iterrows():
            if r["exante_te"] == 0 and r["realized_te_daily"] == 0:
                continue
            out.append(f"| {name} | {g} | {r.exante_te / 1e6:,.2f}M | "
                       f"{r.realized_te_daily / 1e6:,.2f}M | {r.realized_te_period / 1e6:,.2f}M "
                       f"| {r.period_over_daily:.2f} | {r.realized_over_exante:.2f} |")
    return out


def _fmt_w(r: dict) -> str:
    return (f"{r['bias_period']:.2f} [{r['bias_period_lo']:.2f}, {r['bias_period_hi']:.2f}]"
            f" | {r['qlike']:.2f}")


def before_after_lines(real: pd.DataFrame, results: dict, after: str) -> list[str]:
    out = ["| book | pricing | sample-3y baseline | before: bias period [95%] | QLIKE | after: "
           "bias period [95%] | QLIKE | after, largest surprise left out (period start) |",
           "|" + "---|" * 8]
    for book, t in real.groupby("book", sort=False):
        z = t[t["candidate"] == BASELINE.label].iloc[0]
        b = t[t["candidate"] == PREVIOUS.label].iloc[0]
        a = t[t["candidate"] == after].iloc[0]
        out.append(f"| {book} | {a.pricing} | {z.bias_period:.2f} | {_fmt_bias(b)} | "
                   f"{b.qlike:.3f} | {_fmt_bias(a)} | {a.qlike:.3f} | {a.bias_period_ex_max:.2f}"
                   f" ({_period_start(results[book], a.worst_period)}) |")
    return out


def window_lines(results: dict, after: str, lv, shares: dict) -> list[str]:
    out = ["| book | window | periods | before: bias period [95%] | QLIKE | after: bias period "
           "[95%] | QLIKE | after, largest surprise left out | after: bias daily | after: "
           "ex-ante TE (RMS) |", "|" + "---|" * 10]
    for name, res in results.items():
        b = window_rows(name, res, PREVIOUS, lv, shares.get(name, {}))
        a = window_rows(name, res, by_label(after), lv, shares.get(name, {}))
        for rb, ra in zip(b, a, strict=True):
            out.append(f"| {name} | {ra['window']} | {ra['periods']} | {_fmt_w(rb)} | "
                       f"{_fmt_w(ra)} | {ra['bias_period_ex_max']:.2f} | {ra['bias_daily']:.2f} "
                       f"| {ra['exante_te'] / 1e6:,.2f}M |")
    return out


def spread_lines(results: dict, after: str, lv, shares: dict) -> list[str]:
    """Every spread block with the chosen key-rate block, per spread book and window: holding-
    period bias / QLIKE (the evidence for the spread estimator)."""
    a = by_label(after)
    books = {n: r for n, r in results.items()
             if any("_spread" in f and f != "swap_spread" for h in r.rebalances
                    if "error" not in h for f in h["model"]["factors"])}
    if not books or lv is None:
        return ["(no book with a corporate spread factor, or the licensed OAS is absent)"]
    first = next(iter(books.values()))
    wins = [w[0] for w in windows_of(first)]
    out = ["| book | spread block | " + " | ".join(wins) + " |", "|" + "---|" * (2 + len(wins))]
    for name, res in books.items():
        for sp in SPREAD_SPECS:
            c = Candidate(a.key, sp, a.basis, a.resid)
            if c not in CANDIDATES:
                continue
            rows = window_rows(name, res, c, lv, shares.get(name, {}))
            mark = " **(chosen)**" if c.label == after else ""
            out.append(f"| {name} | {sp.label}{mark} | " + " | ".join(
                f"{r['bias_period']:.2f} / {r['qlike']:.2f}" for r in rows) + " |")
    return out


def bond_lines(results: dict, after: str, lv, shares: dict) -> list[str]:
    """The chosen model without / with the bonds' own residual term, per book and window."""
    a = by_label(after)
    c = Candidate(a.key, a.spread, a.basis, a.resid, True)
    if c not in CANDIDATES:
        return ["(the bond-residual variant of the chosen model is not in the grid)"]
    out = ["| book | window | without: bias period [95%] | QLIKE | with the bond residual: bias "
           "period [95%] | QLIKE |", "|" + "---|" * 6]
    for name, res in results.items():
        rows = zip(window_rows(name, res, a, lv, shares.get(name, {})),
                   window_rows(name, res, c, lv, shares.get(name, {})), strict=True)
        out += [f"| {name} | {x['window']} | {_fmt_w(x)} | {_fmt_w(y)} |" for x, y in rows]
    return out


def write(table: pd.DataFrame, best: pd.Series, results: dict, lv, shares: dict,
          command: str, windows: str, seconds: float, after: str, suffix: str = "") -> None:
    """``calibration_risk_model{suffix}.md`` (+ ``.csv``: every candidate's scores)."""
    from benchmarks.backtest_report import machine

    real = realistic(table)
    chose = ("**Chosen" if after == best.name else "**Shipped (chosen over the long span, "
             "`calibration_risk_model_full.md`)")
    row = realistic(table)[lambda t: t["candidate"] == after].assign(
        in_band=lambda t: t["bias_period"].between(*BAND))
    lines = ["# Risk model calibration (out of sample)", "",
             f"Generated {dt.date.today().isoformat()} by `{command}` ({seconds:.0f} s CPU "
             f"for the scoring); machine: {machine()}.", "",
             __doc__.split("\n\n", 1)[1].split("Usage:")[0].strip(), "",
             f"Backtest span: {windows}; positions held: the integer hedges of the backtest "
             f"run with the default model of that run ({positions_model(results)}).", "",
             f"{chose}: {after}** (books with holding-period bias in 0.8-1.25: "
             f"{row['in_band'].mean():.0%}; mean QLIKE {row['qlike'].mean():.3f})."
             + ("" if after == best.name else f" Best on this span by the same rule: "
                f"{best.name} ({best['in_band']:.0%} in band, mean QLIKE "
                f"{best['qlike']:.3f}).")
             + " Shipped in `data/risk_params/risk_model.csv` (key-rate block) and "
             "`corporate_spread.csv` (spread block, `benchmarks/estimate_risk_params.py`): the "
             "default of every hedge.", "",
             "## Before and after, per book (holding period, realistic pricing)", "",
             f"*Sample-3y baseline*: {BASELINE.label} (two rounds ago). *Before*: "
             f"{PREVIOUS.label} (the previous default). *After*: {after}. All re-forecast the "
             "same positions.", "", *before_after_lines(real, results, after), "",
             "## Per book and window (holding period, realistic pricing)", "",
             *window_lines(results, after, lv, shares), "",
             "## Spread blocks per window (corporate-spread books; key rates and basis as "
             "chosen): holding-period bias / QLIKE", "", *spread_lines(results, after, lv, shares),
             "", "## Candidate, not shipped: the bonds' own residual to their key-rate DV01s",
             "", "The `other` P&L of `risk_decompose` (bond cash flows between key tenors, "
             "convexity, DV01 drift; valued off the public Treasury curve) per unit of the "
             "book's key-rate DV01, pooled over the trailing "
             f"{BOND_RESID_PERIODS} holding periods (walk-forward), added to the forecast "
             "(`bond_residual_var`). The product has no such term yet: `choose` skips it.", "",
             *bond_lines(results, after, lv, shares),
             "", "## Where the tracking error comes from (the backtest's own model)", "",
             *decomposition_lines(results, lv, shares), ""]
    lines += ["## All candidates (realistic pricing, sorted by QLIKE)", "",
              "| book | key rates | spread | basis | bias daily | bias period [95%] | "
              "w/o largest | QLIKE |", "|" + "---|" * 8]
    for book, t in real.groupby("book", sort=False):
        for r in t.sort_values("qlike").head(25).itertuples():
            lines.append(f"| {book} | {r.key} | {r.spread} | {'yes' if r.basis else 'no'} | "
                         f"{r.bias_daily:.2f} | {_fmt_bias(r)} | {r.bias_period_ex_max:.2f} | "
                         f"{r.qlike:.3f} |")
    lines.append("")
    (RESULTS / f"calibration_risk_model{suffix}.md").write_text("\n".join(lines))
    table.to_csv(RESULTS / f"calibration_risk_model{suffix}.csv", index=False,
                 float_format="%.6g")
    print(f"wrote benchmarks/results/calibration_risk_model{suffix}.md")


def positions_model(results: dict) -> str:
    h = next(h for r in results.values() for h in r.rebalances if "error" not in h)
    m = h["risk_model"]
    hl = f", half-life {m['halflife']:g}d" if m.get("halflife") else ""
    return f"{m['method']}{hl}, horizon {m.get('horizon_days', 1)}d"


def save_choice(best: pd.Series, command: str) -> None:
    """The key-rate block to ``risk_model.csv``; the spread block to ``corporate_spread.csv``
    (re-estimated from the licensed OAS with the chosen estimator)."""
    from benchmarks.estimate_risk_params import estimate_corporate_spread
    from models.risk_params import RISK_MODEL_FILE

    c = by_label(best.name)
    pd.DataFrame([{"method": c.key.method, "halflife": c.key.halflife, "window": c.key.window,
                   "horizon_days": c.key.horizon_days, "basis": c.basis,
                   "model_residual": c.resid,
                   "spread": c.spread.label,
                   "source": f"chosen by out-of-sample calibration ({command}, "
                             f"{dt.date.today().isoformat()}; benchmarks/results/"
                             f"calibration_risk_model{'_full' if '--full' in command else ''}"
                             ".md)"}]).to_csv(RISK_MODEL_FILE, index=False)
    estimate_corporate_spread({**c.spread.kwargs(), "cadence": c.spread.cadence,
                               "rate_driver": c.spread.rate_driver})


def load_results(books, start: str, end: str, pickled: str | None) -> dict:
    from benchmarks.backtest_report import run_books
    from benchmarks.books import BOOKS

    if pickled is None:
        return run_books(books, start, end)
    out = {}
    for n in books or BOOKS:
        with open(Path(pickled) / f"{n}.pkl", "rb") as f:
            out[n] = pickle.load(f)   # noqa: S301 - our own files, written by backtest_report
    return out


def main(full: bool = False, argv: list[str] | None = None) -> int:
    import warnings

    from benchmarks.backtest_report import span
    from benchmarks.estimate_risk_params import oas_levels
    from benchmarks.risk_decompose import marked_share

    ap = argparse.ArgumentParser(prog="python -m benchmarks.calibrate_risk")
    ap.add_argument("--full", action="store_true", default=full)
    ap.add_argument("--books", default=None)
    ap.add_argument("--pickled", default=None, help="folder of backtests saved by "
                    "backtest_report --pickle (else the books are backtested here)")
    ap.add_argument("--save", action="store_true",
                    help="also write the choice to data/risk_params (the hedge's default; an "
                         "explicit decision, never part of make bench)")
    a = ap.parse_args(argv or [])
    start, end = span(a.full)
    books = a.books.split(",") if a.books else None
    results = load_results(books, start, end, a.pickled)
    t0 = time.process_time()
    lv = oas_levels()
    shares = {n: marked_share(r) for n, r in results.items()}
    with warnings.catch_warnings():   # mixed-estimator blocks repaired by clipping: expected
        warnings.simplefilter("ignore", RuntimeWarning)
        table = pd.concat([score_book(n, r, lv, shares[n]) for n, r in results.items()],
                          ignore_index=True)
        best = choose(table)
        command = "python -m benchmarks.calibrate_risk" + (" --full" if a.full else "")
        # the long span decides (--full); a standard run reports the shipped model beside its
        # own best unless it is asked to ship (--save)
        ship = shipped()
        after = best.name if (a.full or a.save or ship is None) else ship.label
        write(table, best, results, lv, shares, command, f"{start} .. {end}",
              time.process_time() - t0, after, "_full" if a.full else "")
    if a.save:
        save_choice(best, command)
    return 0


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
