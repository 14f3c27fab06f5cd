"""Choose the risk model by out-of-sample calibration -> ``benchmarks/results/calibration_*.md``
and ``data/risk_params/risk_model.csv``.

For every benchmark book (``benchmarks/books``) a walk-forward backtest gives, per holding
period, the position the integer optimum held, its factor exposures on the rebalance date and
the tracking P&L that followed (market moves only: carry and costs out). Each candidate risk
model re-forecasts the TE of the *same* positions with data up to each rebalance date only:

* the key-rate block estimated by ``sample`` over a 1/2/3/5-year window, ``ledoit_wolf_cc``
  (shrinkage to constant correlation) or ``ewma`` with a half-life of 21 .. 252 days;
* with or without the basis-risk factor per futures contract (``data/risk_params/
  futures_basis.csv``, estimated from settlements up to each year end).

Scores (``models.risk.calibration``): the bias statistic (realized / ex-ante TE; 1 = calibrated,
target 0.8-1.25) at the daily and holding-period horizons, with the futures legs modelled and,
where the licensed settlements are present locally, marked to market; and QLIKE (mean of
log(sigma^2) + (p/sigma)^2 per period: a proper scoring rule for variance forecasts, lower is
better; Patton 2011). The chosen model minimizes the mean period QLIKE across books (marked to
market where available) among those whose bias is in 0.8-1.25 on most books.

Usage: ``python -m benchmarks.calibrate_risk [--full] [--books treasury,default,...] [--save]``
(``--save`` writes the choice to ``data/risk_params/risk_model.csv``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
KEY = ("2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y")


@dataclass(frozen=True)
class Candidate:
    method: str
    window: str
    halflife: float | None = None
    basis: bool = True

    @property
    def label(self) -> str:
        est = (f"EWMA hl {self.halflife:g}d" if self.method == "ewma" else
               ("Ledoit-Wolf CC" if self.method == "ledoit_wolf_cc" else "sample"))
        return f"{est}, {self.window}" + (", basis" if self.basis else ", no basis")


CANDIDATES = tuple(
    [Candidate("sample", w, None, b) for w in ("1y", "2y", "3y", "5y") for b in (True, False)]
    + [Candidate("ledoit_wolf_cc", w) for w in ("1y", "3y")]
    + [Candidate("ewma", "5y", hl) for hl in (21, 42, 63, 126, 252)])


def _key_cov(date, keys: tuple[str, ...], c: Candidate) -> np.ndarray:
    from models.risk import build_factor_model

    fm = build_factor_model(date, key_tenors=keys, window=c.window, method=c.method,
                            halflife=c.halflife, hqm_sectors=())
    return np.asarray(fm.cov_bp2_annual, float)


def rescore(res, c: Candidate) -> pd.DataFrame:
    """Per holding period: the candidate's ex-ante TE of the integer position held."""
    from models.risk import ensure_psd
    from models.risk_params import futures_basis

    rows = []
    hedges = [h for h in res.rebalances if "error" not in h]
    for p, h in zip(res.periods, hedges, strict=True):
        m = h["model"]
        f = list(m["factors"])
        keys = tuple(t for t in f if t in KEY)
        cov = np.array(m["cov"], float)
        idx = [f.index(t) for t in keys]
        cov[np.ix_(idx, idx)] = _key_cov(h["date"], keys, c)
        basis_cols = [k for k, name in enumerate(f) if name.startswith("basis:")]
        for k in basis_cols:   # the stored model's basis factors are re-decided below
            cov[k, :] = cov[:, k] = 0.0
        cov = np.asarray(ensure_psd(cov), float)
        e = np.array(m["book_exposure"], float)
        extra = 0.0
        for code, n in h["contracts"]["integer"].items():
            e = e + n * np.array(m["instrument_exposure"][code], float)
            leg = h["legs"][code]
            if c.basis and leg.kind == "treasury_future":
                extra += (n * leg.dv01 * futures_basis(leg.root, h["date"]).vol_bp_annual) ** 2
        var = float(e @ cov @ e + m["resid_var"] + extra)
        rows.append({"period": p["index"], "date": h["date"], "exante": np.sqrt(max(var, 0))})
    return pd.DataFrame(rows).set_index("period")


def scores(res, ex: pd.DataFrame, mode: str) -> dict:
    from models.risk import calibration

    col = "risk_integer" if mode == "model" else "riskmkt_integer"
    d = res.daily
    sig_d = d["period"].map(ex["exante"]) / np.sqrt(252)
    daily = calibration(d[col], sig_d, d["period"])
    g = pd.DataFrame({"p": d[col], "v": sig_d ** 2, "k": d["period"]}).groupby("k").sum()
    period = calibration(g["p"], np.sqrt(g["v"]))
    s2 = g["v"].to_numpy()
    qlike = float(np.mean(np.log(s2) + (g["p"].to_numpy() - g["p"].mean()) ** 2 / s2))
    return {"bias_daily": daily["bias"], "bias_period": period["bias"],
            "bias_period_lo": period["bias_lo"], "bias_period_hi": period["bias_hi"],
            "qlike": qlike, "periods": period["periods"]}


def score_book(name: str, res) -> pd.DataFrame:
    rows = []
    modes = ["model"] + (["market"] if res.metrics_market is not None else [])
    for c in CANDIDATES:
        ex = rescore(res, c)
        for mode in modes:
            rows.append({"book": name, "candidate": c.label, "method": c.method,
                         "window": c.window, "halflife": c.halflife, "basis": c.basis,
                         "pricing": mode, **scores(res, ex, mode)})
    return pd.DataFrame(rows)


def choose(table: pd.DataFrame) -> pd.Series:
    """Per candidate, on the realistic pricing (market where available): share of books with
    period bias in 0.8-1.25 and mean QLIKE; best = most books in band, then lowest QLIKE."""
    real = table[table["pricing"] == "market"]
    real = pd.concat([real, table[(table["pricing"] == "model")
                                  & ~table["book"].isin(real["book"])]])
    real = real.assign(in_band=real["bias_period"].between(0.8, 1.25))
    g = real.groupby("candidate").agg(in_band=("in_band", "mean"), qlike=("qlike", "mean"),
                                      method=("method", "first"), window=("window", "first"),
                                      halflife=("halflife", "first"), basis=("basis", "first"))
    g = g.sort_values(["in_band", "qlike"], ascending=[False, True])
    return g.iloc[0].rename(g.index[0])


def write(table: pd.DataFrame, best: pd.Series, command: str, windows: str) -> None:
    from benchmarks.backtest_report import machine

    lines = ["# Risk model calibration (out of sample)", "",
             f"Generated {dt.date.today().isoformat()} by `{command}`; machine: {machine()}.", "",
             __doc__.split("\n\n", 1)[1].split("Usage:")[0].strip(), "",
             f"Backtest span: {windows}.", "",
             f"**Chosen: {best.name}** (books with holding-period bias in 0.8-1.25: "
             f"{best['in_band']:.0%}; mean QLIKE {best['qlike']:.3f}). Written to "
             "`data/risk_params/risk_model.csv`: the default of `models.risk."
             "build_factor_model` and therefore of every hedge.", ""]
    for book, t in table.groupby("book", sort=False):
        lines += [f"## {book}", "", "| candidate | pricing | bias daily | bias period [95%] | "
                  "QLIKE |", "|---|---|---|---|---|"]
        for r in t.sort_values(["pricing", "qlike"]).itertuples():
            lines.append(f"| {r.candidate} | {r.pricing} | {r.bias_daily:.2f} | "
                         f"{r.bias_period:.2f} [{r.bias_period_lo:.2f}, {r.bias_period_hi:.2f}]"
                         f" | {r.qlike:.3f} |")
        lines.append("")
    (RESULTS / "calibration_risk_model.md").write_text("\n".join(lines))
    table.to_csv(RESULTS / "calibration_risk_model.csv", index=False)
    print("wrote benchmarks/results/calibration_risk_model.md")


def save_choice(best: pd.Series, command: str) -> None:
    from models.risk_params import RISK_MODEL_FILE

    hl = best["halflife"]
    pd.DataFrame([{"method": best["method"], "halflife": None if pd.isna(hl) else hl,
                   "window": best["window"], "basis": bool(best["basis"]),
                   "source": f"chosen by out-of-sample calibration ({command}, "
                             f"{dt.date.today().isoformat()}; benchmarks/results/"
                             "calibration_risk_model.md)"}]).to_csv(RISK_MODEL_FILE, index=False)


def main(full: bool = False, argv: list[str] | None = None) -> int:
    from benchmarks.backtest_report import run_books, span

    ap = argparse.ArgumentParser(prog="python -m benchmarks.calibrate_risk")
    ap.add_argument("--full", action="store_true", default=full)
    ap.add_argument("--books", default=None)
    ap.add_argument("--save", action="store_true",
                    help="also write the choice to data/risk_params/risk_model.csv (the hedge's "
                         "default; an explicit decision, never part of make bench)")
    a = ap.parse_args(argv or [])
    start, end = span(a.full)
    books = a.books.split(",") if a.books else None
    results = run_books(books, start, end)
    table = pd.concat([score_book(n, r) for n, r in results.items()], ignore_index=True)
    best = choose(table)
    command = "python -m benchmarks.calibrate_risk" + (" --full" if a.full else "")
    write(table, best, command, f"{start} .. {end}")
    if a.save:
        save_choice(best, command)
    return 0


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
