"""Basket / CTD analysis for every Treasury futures contract on one date, and what the
in-process caches save (issue 18).

Timed (CPU seconds, ``time.process_time``, median of ``--repeat`` runs): ``basket_analysis``
(vectorized over the deliverable basket: one cash-flow matrix, one sparse product for all bumped
curves) for the front contract of ZT Z3N ZF ZN TN ZB UB on the latest bundled date, with the
default +-50 bp shifts and key-rate DV01s, cold (caches cleared) and warm (served from the
cache). Baseline in the same run: a naive per-bond loop computing the same core numbers (price
off the curve, forward to the chosen delivery date, implied repo, CTD, theoretical price and the
desk futures DV01 by +-0.5 bp re-bootstrapped shifts with the term repo moving with the curve),
one bond and one curve at a time with the same library functions. The two must agree
(theoretical price to 1e-9, same CTD, DV01 to 1e-9) -- checked and reported.

Usage: ``python -m benchmarks.bench_basket [--asof YYYY-MM-DD] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
ROOTS = ("ZT", "Z3N", "ZF", "ZN", "TN", "ZB", "UB")


def naive_loop(code: str, asof, delivery: pd.Timestamp) -> tuple[float, str, float]:
    """Per-bond, per-curve loop: theoretical price, CTD cusip, desk futures DV01 per 100."""
    from models import bonds as bm
    from models.curves import curve_on
    from models.instruments.treasury_pricing import (
        bonds_of,
        carry_terms,
        forward_clean_price,
        implied_repo,
    )
    from models.instruments.treasury_rules import default_repo, deliverable_basket

    zc = curve_on(asof)
    basket = deliverable_basket(code, asof)
    repo, _ = default_repo(asof)
    days = (delivery - zc.settle).days

    def term_rate(c) -> float:
        return (1.0 / float(c.discount([days / 365.25])[0]) - 1.0) * 360.0 / days

    curves = {0.0: zc, 0.5: zc.shifted(0.5), -0.5: zc.shifted(-0.5)}
    r0 = term_rate(zc)
    fwd_cf, irr_in, dv = [], [], []
    for i in range(len(basket)):
        row = basket.iloc[[i]]
        cf = bm.cashflows(bonds_of(row), zc.settle)
        terms = carry_terms(row, zc.settle, delivery)
        c = float(row["conversion_factor"].iloc[0])
        fwd = {s: float(forward_clean_price(k.price(cf), terms, repo + term_rate(k) - r0)[0])
               for s, k in curves.items()}
        fwd_cf.append(fwd[0.0] / c)
        irr_in.append((zc.price(cf), c, terms))
        dv.append((fwd[-0.5] - fwd[0.5]) / c)
    theo = min(fwd_cf)
    irr = [float(implied_repo(f, c, theo, t)[0]) for f, c, t in irr_in]
    j = int(np.nanargmax(irr))
    return theo, str(basket["cusip"].iloc[j]), dv[j]


def _cpu(f) -> tuple[float, object]:
    t = time.process_time()
    out = f()
    return time.process_time() - t, out


def _measure(codes: list[str], asof, repeat: int) -> tuple[dict, dict, dict]:
    from models.caching import clear_caches
    from models.futures import basket_analysis
    from models.instruments import instrument_risk

    keys = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]
    times: dict[str, list[float]] = {k: [] for k in ("full", "core", "warm", "risk_cold",
                                                     "risk_warm", "loop")}
    lean, nv = {}, {}
    for _ in range(repeat):
        clear_caches()
        t, _ = _cpu(lambda: {c: basket_analysis(c, asof) for c in codes})
        times["full"].append(t)
        t, _ = _cpu(lambda: {c: basket_analysis(c, asof) for c in codes})
        times["warm"].append(t)
        clear_caches()
        t, lean = _cpu(lambda: {c: basket_analysis(c, asof, key_tenors=(), shifts_bp=())
                                for c in codes})
        times["core"].append(t)
        clear_caches()
        t, _ = _cpu(lambda: [instrument_risk(c, asof, keys) for c in codes])
        times["risk_cold"].append(t)
        t, _ = _cpu(lambda: [instrument_risk(c, asof, keys) for c in codes])
        times["risk_warm"].append(t)
        t, nv = _cpu(lambda lean=lean: {c: naive_loop(c, asof, lean[c].delivery_date)
                                        for c in codes})
        times["loop"].append(t)
    return {k: statistics.median(v) for k, v in times.items()}, lean, nv


def main(argv: list[str] | None = None) -> int:
    from data.loaders import latest_curve_date
    from models.futures import basket_analysis
    from models.instruments import front_contract

    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_basket")
    ap.add_argument("--asof", default=None)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv if argv is not None else [])
    asof = pd.Timestamp(a.asof) if a.asof else latest_curve_date()
    codes = [front_contract(r, asof) for r in ROOTS]
    basket_analysis(codes[0], asof)  # warm-up (file loads, imports) outside the timings
    med, lean, nv = _measure(codes, asof, a.repeat)
    rows = []
    for c in codes:
        a_ = lean[c]
        theo, ctd, dv = nv[c]
        rows.append({"contract": c, "deliverables": len(a_.table), "ctd": a_.ctd["cusip"],
                     "ctd_loop": ctd, "delivery": a_.delivery.mode,
                     "price": a_.theoretical_price, "price_diff": a_.theoretical_price - theo,
                     "dv01_100_diff": a_.dv01_per100 - dv})
    df = pd.DataFrame(rows)
    lines = _report(a.repeat, asof, codes, med, df)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_basket.md").write_text("\n".join(lines))
    print("\n".join(lines))
    ok = ((df["ctd"] == df["ctd_loop"]).all() and (df["price_diff"].abs() < 1e-9).all()
          and (df["dv01_100_diff"].abs() < 1e-9).all())
    return 0 if ok else 1


def _report(repeat: int, asof, codes: list[str], med: dict, df: pd.DataFrame) -> list[str]:
    from benchmarks.backtest_report import machine

    n = len(codes)

    def row(label: str, key: str, base: str | None) -> str:
        sp = "1.00x" if base is None else f"{med[base] / med[key]:.2f}x"
        return (f"| {label} | {med[key]:.3f} | {med[key] / n * 1e3:.1f} ms | "
                f"{'—' if base is None else base} | {sp} |")

    return [
        "# Basket / CTD benchmark", "",
        f"Generated {dt.date.today().isoformat()} by `python -m benchmarks.bench_basket "
        f"--repeat {repeat}`", "", f"Machine: {machine()}", "",
        f"As of {asof.date()}: front contracts {', '.join(codes)} "
        f"({int(df['deliverables'].sum())} deliverable issues in all). CPU seconds "
        f"(process_time), median of {repeat} runs; 'cold' = in-process caches cleared.", "",
        "| what | CPU s for all 7 contracts | per contract | baseline | ratio |",
        "|---|---|---|---|---|",
        row("naive per-bond, per-curve loop (price, forward, IRR, CTD, desk DV01)", "loop",
            None),
        row("`basket_analysis` cold, same core numbers (delivery option, desk + repo-held "
            "DV01)", "core", "loop"),
        row("`basket_analysis` cold, full (+ key-rate DV01s, ±50 bp shifted CTD/DV01)", "full",
            "loop"),
        row("`basket_analysis` warm (second call: cache)", "warm", "full"),
        row("`instrument_risk` (what a hedge builds) cold", "risk_cold", "loop"),
        row("`instrument_risk` warm (a second hedge in the process)", "risk_warm",
            "risk_cold"), "",
        "Agreement (vectorized core vs loop):", "",
        "| contract | deliverables | delivery | CTD | same CTD | theoretical price | price diff "
        "| DV01/100 diff |", "|---|---|---|---|---|---|---|---|",
        *[f"| {r.contract} | {r.deliverables} | {r.delivery} | {r.ctd} | {r.ctd == r.ctd_loop} "
          f"| {r.price:.6f} | {r.price_diff:.1e} | {r.dv01_100_diff:.1e} |"
          for r in df.itertuples()], "",
        "A basket analysis now also prices both delivery days (the delivery option) and every "
        "bond on the key-rate and shifted curves with the repo moving along; a second call in "
        "the process is a cache lookup keyed by contract, as-of date, repo and curve "
        "fingerprint.", ""]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
