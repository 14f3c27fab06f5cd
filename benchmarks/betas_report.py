"""Betas on real data -> benchmarks/results/betas_real_data.md.

1. HQM 10y corporate par yield (US Treasury, monthly averages, public domain) on the monthly-average
   10y Treasury par yield: monthly changes, by decade 1990-2023.
2. Where ``../shared/data/market/third_party/`` exists (licensed data, read locally, never copied
   into the repo): Moody's seasoned Baa (DBAA) and ICE BofA BBB US Corporate effective yield
   (BAMLC0A4CBBBEY) changes regressed on 10y Treasury changes and on 10y ISDAFIX swap-rate changes
   (DSWP10), R² side by side on the same dates; compared with a published finding of R² 0.91
   (corporate vs swap) and 0.80 (vs Treasury) in 2000-2001.

Every number: OLS on changes with a constant, HAC (Newey-West) SE with maxlags floor(4(n/100)^(2/9)),
via ``models.betas.regress_changes`` (statsmodels).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from data.loaders import hqm_par_monthly_pct, par_curve_history_pct
from models.betas import fit_ols_hac, regress_changes
from models.risk import monthly_average_pct, monthly_changes_bp

REPO = Path(__file__).resolve().parents[1]
THIRD_PARTY = REPO / ".." / "shared" / "data" / "market" / "third_party"
OUT = REPO / "benchmarks" / "results" / "betas_real_data.md"

DECADES = [("1990-01-01", "1999-12-31", "1990s"), ("2000-01-01", "2009-12-31", "2000s"),
           ("2010-01-01", "2019-12-31", "2010s"), ("2020-01-01", "2023-12-31", "2020-2023"),
           ("1990-01-01", "2023-12-31", "1990-2023")]


def _fmt(x, f=".3f"):
    return "–" if x is None or pd.isna(x) else format(x, f)


def hqm_section() -> list[str]:
    ust = par_curve_history_pct()[["10Y"]]
    m = monthly_average_pct(ust).join(hqm_par_monthly_pct()[10.0].rename("hqm"), how="inner")
    ch = monthly_changes_bp(m[["hqm", "10Y"]])
    lines = [
        "## 1. HQM 10y corporate par yield vs 10y Treasury (monthly, public domain)",
        "",
        "y = monthly change of the HQM 10y par yield (US Treasury HQM corporate curve, monthly "
        "averages; FRED HQMCB10YRP); x = monthly change of the monthly average of the daily "
        "10y Treasury par yield (bundled Treasury curve). Months are calendar months (date = first "
        "day); a change needs both consecutive months. Residual vol annualized x12 x1.5 "
        "(monthly-average changes, Working 1960).",
        "",
        "| period | beta | SE (HAC) | t | R² | resid vol bp/yr | n | first..last change | lags |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    for a, b, label in DECADES:
        c = ch.loc[a:b]
        r = regress_changes(c["hqm"], c["10Y"], sector="HQM 10y", driver="UST_10Y",
                            frequency="monthly", source="HQM", averaged=True, min_obs=24)
        rows.append((label, r))
        lines.append(f"| {label} | {r.beta:.3f} | {r.std_err:.3f} | {r.t:.1f} | {r.r_squared:.3f} "
                     f"| {r.resid_vol_bp_annual:.1f} | {r.nobs} | {r.start.date():%Y-%m}.."
                     f"{r.end.date():%Y-%m} | {r.maxlags} |")
    lines += ["", "Source: U.S. Department of the Treasury, HQM Corporate Bond Yield Curve (via "
              "FRED) and Daily Treasury Par Yield Curve Rates; both public domain.", ""]
    return lines


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(THIRD_PARTY / name, parse_dates=["date"]).set_index("date").sort_index()


def _changes_at(w: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, bool]:
    """Changes (bp) of common-date levels at a frequency; (changes, from monthly averages)."""
    if freq == "daily":
        span = w.index.to_series().diff().dt.days
        return (w.diff() * 100)[span <= 7].dropna(), False
    if freq == "weekly":
        wk = w.groupby(w.index.to_period("W-FRI")).tail(1)
        span = wk.index.to_series().diff().dt.days
        return (wk.diff() * 100)[span <= 14].dropna(), False
    return monthly_changes_bp(monthly_average_pct(w)), True


def _r2_row(yname: str, freq: str, label: str, w: pd.DataFrame) -> str:
    ch, averaged = _changes_at(w, freq)
    if len(ch) < 24:
        return f"| {yname} | {freq} | {label} | {len(ch)} | too few obs | | | |"
    r1 = regress_changes(ch["y"], ch["ust"], sector=yname, driver="UST_10Y", frequency=freq,
                         source="", averaged=averaged)
    r2 = regress_changes(ch["y"], ch["swap"], sector=yname, driver="swap_10Y", frequency=freq,
                         source="", averaged=averaged)
    return (f"| {yname} | {freq} | {label} | {r1.nobs} | {r1.beta:.3f} ({r1.std_err:.3f}) | "
            f"{r1.r_squared:.3f} | {r2.beta:.3f} ({r2.std_err:.3f}) | {r2.r_squared:.3f} |")


def third_party_section() -> list[str]:
    head = ["## 2. Moody's Baa and ICE BofA BBB vs 10y Treasury and 10y swap (third-party data)", ""]
    need = ["moodys_seasoned_corporate_yields_daily.csv",
            "ice_bofa_us_corp_oas_ey_daily_1996_2017.csv",
            "usd_swap_rates_isdafix_daily_2000_2016.csv"]
    missing = [n for n in need if not (THIRD_PARTY / n).exists()]
    if missing:
        msg = (f"SKIPPED: third-party data not found at {THIRD_PARTY.resolve()} "
               f"(missing: {', '.join(missing)}). This section needs the licensed files locally; "
               "they are never part of the repository.")
        print(msg, file=sys.stderr)
        return head + [msg, ""]
    ust = par_curve_history_pct()["10Y"].rename("ust")
    swap = _read(need[2])["DSWP10"].rename("swap")
    ys = {"Moody's Baa (DBAA)": _read(need[0])["DBAA"],
          "ICE BofA BBB eff. yield (BAMLC0A4CBBBEY)": _read(need[1])["BAMLC0A4CBBBEY"]}
    periods = [("2000-07-03", "2001-12-31", "2000-07..2001-12"),
               ("2002-01-01", "2007-06-30", "2002..2007-06"),
               ("2007-07-01", "2009-12-31", "2007-07..2009"),
               ("2010-01-01", "2016-10-28", "2010..2016-10"),
               ("2000-07-03", "2016-10-28", "2000-07..2016-10")]
    lines = head + [
        "y = change (bp) of the corporate yield; x = change of the 10y Treasury par yield "
        "(bundled) or of the 10y USD swap rate (ISDAFIX, FRED DSWP10). Both regressions use the "
        "**same dates**: the days observed in all three series; changes between consecutive common "
        "days, a change spanning > 7 calendar days dropped (daily), and for the weekly rows the "
        "values on each week's last common day (W-FRI), change spanning > 14 days dropped; "
        "monthly rows use calendar-month averages of the common days. "
        "OLS with constant, HAC SE.",
        "",
        "| series | freq | period | n | beta vs UST (SE) | R² vs UST | beta vs swap (SE) "
        "| R² vs swap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for yname, y in ys.items():
        lv = pd.concat([y.rename("y"), ust, swap], axis=1, join="inner").dropna()
        for freq in ("daily", "weekly", "monthly"):
            for a, b, label in periods:
                lines.append(_r2_row(yname, freq, label, lv.loc[a:b]))
    lines += ["", "### Timing check (daily)", "",
              "ISDAFIX rates are fixed at 11:00 New York, the Treasury par curve and the corporate "
              "index yields are end-of-day. A same-day swap change therefore misses the afternoon "
              "and includes part of the previous afternoon. If so, the next day's swap fix should "
              "carry explanatory power. R² of y on the same-day and next-day swap changes (two "
              "regressors, HAC; a diagnostic only — it uses the next day's fix):", "",
              "| series | period | n | corr(dy, dswap) | corr(dy, dswap next day) "
              "| corr(dUST, dswap) | R² swap same+next day | R² vs UST |",
              "|---|---|---|---|---|---|---|---|"]
    for yname, y in ys.items():
        lv = pd.concat([y.rename("y"), ust, swap], axis=1, join="inner").dropna()
        for a, b, label in (periods[0], periods[-1]):
            w = lv.loc[a:b]
            span = w.index.to_series().diff().dt.days
            ch = (w.diff() * 100)[span <= 7]
            ch["swap_next"] = ch["swap"].shift(-1)
            ch = ch.dropna()
            res, _ = fit_ols_hac(ch["y"], ch[["swap", "swap_next"]])
            r_u, _ = fit_ols_hac(ch["y"], ch["ust"])
            lines.append(f"| {yname} | {label} | {len(ch)} | {ch['y'].corr(ch['swap']):.2f} | "
                         f"{ch['y'].corr(ch['swap_next']):.2f} | {ch['ust'].corr(ch['swap']):.2f} "
                         f"| {res.rsquared:.3f} | {r_u.rsquared:.3f} |")
    lines += [
        "",
        "Provenance (numbers estimated locally from licensed data; the data themselves are not "
        "redistributed): Moody's seasoned Baa corporate yield, daily (© Moody's Investors Service, "
        "via FRED DBAA); ICE BofA BBB US Corporate Index effective yield (ICE Data Indices, LLC, "
        "via FRED BAMLC0A4CBBBEY, 2017 FRED dump); USD 10y ISDAFIX swap rate (FRED DSWP10, "
        "Reuters/ICAP; 2000-07-03..2016-10-28); Treasury 10y par yield (US Treasury, bundled).",
        "",
    ]
    return lines


def _main_rows(lines: list[str]) -> list[str]:
    """Rows of the main R² table for 2000-07..2001-12 with estimates (not the timing check)."""
    out = []
    for ln in lines:
        c = [x.strip() for x in ln.strip("|").split("|")]
        if (len(c) == 8 and c[1] in ("daily", "weekly", "monthly") and c[2] == "2000-07..2001-12"
                and "too few" not in ln):
            out.append(ln)
    return out


def comparison(lines: list[str]) -> list[str]:
    """Pick out the 2000-07..2001-12 rows to compare with the published R² 0.91 / 0.80."""
    rows = _main_rows(lines)
    if not rows:
        return ["## 3. Comparison with the published 2000-2001 finding", "",
                "Not possible here: the third-party data were not available.", ""]
    out = ["## 3. Comparison with the published 2000-2001 finding (R² 0.91 vs swap, 0.80 vs "
           "Treasury)", ""]
    agree = []
    for ln in rows:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        name, freq, r2u, r2s = cells[0], cells[1], float(cells[5]), float(cells[7])
        higher = r2s > r2u
        out.append(f"- {name}, {freq}: R² vs swap {r2s:.2f}, vs Treasury {r2u:.2f} — swap "
                   f"{'higher' if higher else 'NOT higher'} (published: 0.91 vs 0.80)")
        agree.append((freq, higher, r2s, r2u))
    n_high = sum(1 for _, h, _, _ in agree if h)
    out += ["", f"Swap R² exceeds Treasury R² in {n_high} of {len(agree)} series/frequency "
            "combinations for 2000-07..2001-12. Our window starts 2000-07-03 (the first ISDAFIX "
            "observation in FRED), not 2000-01, and the study's exact series, frequency and "
            "window are not known to us, so the levels are not directly comparable: see the "
            "verdict below.", ""]
    return out


def verdict(lines: list[str]) -> list[str]:
    rows = _main_rows(lines)
    if not rows:
        return []
    vals = []
    for ln in rows:
        c = [x.strip() for x in ln.strip("|").split("|")]
        vals.append((c[0], c[1], float(c[5]), float(c[7])))
    swap_wins = [v for v in vals if v[3] > v[2]]
    best = max(vals, key=lambda v: v[3])
    best_u = max(vals, key=lambda v: v[2])
    if len(swap_wins) == len(vals) and best[3] >= 0.85:
        head = "**Verdict: our data agree with the published finding.**"
    elif swap_wins:
        head = "**Verdict: partial agreement only.**"
    else:
        head = "**Verdict: our data do NOT reproduce the published finding.**"
    return [head + (
        f" For 2000-07..2001-12, the swap rate explains more than the Treasury in "
        f"{len(swap_wins)} of {len(vals)} series/frequency combinations; the highest R² vs swap "
        f"is {best[3]:.2f} ({best[0]}, {best[1]}) and the highest vs Treasury {best_u[2]:.2f} "
        f"({best_u[0]}, {best_u[1]}), against published 0.91 (swap) and 0.80 (Treasury). "
        "Daily swap R² is depressed by the 11:00 ISDAFIX fixing time (see the timing check: "
        "the next day's fix correlates with today's corporate change, and the daily UST/swap "
        "change correlation is only about 0.6), but adding the next-day fix still leaves the "
        "swap R² below the Treasury R². Possible reasons for the remaining gap: "
        "the study's corporate series (e.g. a swap-like AA/A index rather than Baa/BBB), "
        "frequency and exact window (ours starts 2000-07-03, the first FRED ISDAFIX value) are "
        "not known to us. For the hedge model we therefore do not assume swaps dominate "
        "Treasuries as a corporate hedge driver; `overlay betas --history` reports both."), ""]


PRIOR_SDS = (0.05, 0.10, 0.15, 0.25, 0.50)


def _hqm_monthly_beta(asof: pd.Timestamp, window_years: int = 3) -> float:
    """The previous default: HQM 10y par (monthly averages) on monthly-average UST 7Y, trailing
    window, months ended by ``asof``."""
    from models.risk import month_end_ok

    ust = par_curve_history_pct()[["7Y"]].loc[asof - pd.DateOffset(years=window_years):asof]
    m = monthly_average_pct(ust)
    m = m[month_end_ok(m.index, asof)].join(hqm_par_monthly_pct()[10.0].rename("h"),
                                            how="inner")
    ch = monthly_changes_bp(m[["h", "7Y"]])
    if len(ch) < 24:
        return float("nan")
    res, _ = fit_ols_hac(ch["h"], ch["7Y"])
    return float(res.params["7Y"])


def oos_rows(name: str, y: pd.Series, x: pd.Series, window: int) -> tuple[list[str], dict]:
    """Walk-forward daily OOS errors of beta choices (rows of the table, RMSE per method)."""
    from models.betas import oos_beta_errors, shrink_toward_one

    ch = (pd.concat([y.rename("y"), x.rename("x")], axis=1, join="inner").dropna())
    span = ch.index.to_series().diff().dt.days
    ch = (ch.diff() * 100)[span <= 7].dropna()
    e = oos_beta_errors(ch["y"], ch["x"], window=window, step=21, prior_sd=0.15)
    for sd in PRIOR_SDS:   # the same OLS fits, shrunk with each prior dispersion
        b = e["beta_ols"]
        se = e["beta_se"]
        bs = [shrink_toward_one(bb, ss, sd)[0] for bb, ss in zip(b, se, strict=True)]
        e[f"sd{sd:g}"] = ch["y"].reindex(e.index) - np.array(bs) * ch["x"].reindex(e.index)
    hq = {}
    for d in e.index.to_period("M").unique():
        hq[d] = _hqm_monthly_beta(d.to_timestamp() - pd.Timedelta(days=1))
    hb = pd.Series(e.index.to_period("M").map(hq), index=e.index)
    e["hqm"] = ch["y"].reindex(e.index) - hb.fillna(1.0) * ch["x"].reindex(e.index)
    rows, rmse_all = [], {}
    for dec, g in e.groupby((e.index.year // 10) * 10):
        r = np.sqrt((g[["ols", "one", "zero", "hqm"] + [f"sd{s:g}" for s in PRIOR_SDS]] ** 2)
                    .mean())
        rows.append(f"| {name} | {window} | {dec}s | {len(g):,} | {r['one']:.2f} | "
                    f"{r['ols'] / r['one']:.3f} | {r['sd0.15'] / r['one']:.3f} | "
                    f"{r['hqm'] / r['one']:.3f} | {g['beta_ols'].mean():.2f} |")
    r = np.sqrt((e[["ols", "one", "hqm"] + [f"sd{s:g}" for s in PRIOR_SDS]] ** 2).mean())
    rmse_all = (r / r["one"]).to_dict()
    rows.append(f"| {name} | {window} | all | {len(e):,} | {r['one']:.2f} | "
                f"{r['ols'] / r['one']:.3f} | {r['sd0.15'] / r['one']:.3f} | "
                f"{r['hqm'] / r['one']:.3f} | {e['beta_ols'].mean():.2f} |")
    return rows, rmse_all


def oos_section() -> list[str]:
    head = ["## 4. Out-of-sample error at the daily horizon the hedge is judged on", ""]
    f = THIRD_PARTY / "ice_bofa_oas_daily_1996_2026.csv"
    if not f.exists():
        return head + [f"SKIPPED: {f} not present (licensed data, local only).", ""]
    ust = par_curve_history_pct()
    oas = _read("ice_bofa_oas_daily_1996_2026.csv")["BAMLC0A4CBBB"].dropna()
    series = {"BBB (UST 7Y + ICE BBB OAS) on UST 7Y": (ust["7Y"] + oas, ust["7Y"])}
    mo = THIRD_PARTY / "moodys_seasoned_corporate_yields_daily.csv"
    if mo.exists():
        series["Moody's Baa on UST 20Y"] = (_read(mo.name)["DBAA"], ust["20Y"])
    lines = head + [
        "Walk-forward: every 21 trading days, betas estimated on the previous 1 or 3 years of "
        "daily changes only, then the next 21 daily changes predicted: error = dy - beta dx "
        "(bp). RMSE relative to beta = 1 (lower is better): OLS, OLS shrunk toward 1 (prior sd "
        "0.15, the shipped default), and the previous default (HQM 10y monthly averages on "
        "monthly-average UST, trailing 3 years). Licensed data read locally; statistics only.",
        "", "| series | window (days) | decade | n | RMSE beta=1 (bp) | OLS / 1 | shrunk / 1 | "
        "HQM monthly / 1 | mean OLS beta |", "|---|---|---|---|---|---|---|---|---|"]
    choice = {}
    for name, (y, x) in series.items():
        for window in (252, 756):
            rows, r = oos_rows(name, y, x, window)
            lines += rows
            choice[(name, window)] = r
    lines += ["", "Prior dispersion of the shrinkage (RMSE relative to beta = 1, all decades):",
              "", "| series | window | " + " | ".join(f"sd {s:g}" for s in PRIOR_SDS) + " |",
              "|---|---|" + "---|" * len(PRIOR_SDS)]
    for (name, window), r in choice.items():
        lines.append(f"| {name} | {window} | " + " | ".join(f"{r[f'sd{s:g}']:.4f}"
                                                         for s in PRIOR_SDS) + " |")
    lines += ["", "Reading: at the daily horizon a beta estimated on daily changes beats beta = 1 "
              "out of sample on both series in every decade, while the previous default (HQM "
              "monthly averages) is worse than beta = 1: monthly averages understate the daily "
              "rate sensitivity of corporate yields. Shrinkage toward 1 changes the error by "
              "less than 0.5% for any prior sd from 0.1 to 0.5 (the estimates are precise with "
              "hundreds of daily changes); it matters for short or noisy user histories. "
              "`models.betas.BETA_PRIOR_SD` = 0.15. A corporate sector without its own history "
              "uses the shipped daily BBB beta (`data/risk_params/corporate_beta.csv`, "
              "re-estimated each year end from the trailing 3 years).", ""]
    return lines


def main(full: bool = False) -> int:
    lines = ["# Sector betas on real data", "",
             "Generated by `benchmarks/betas_report.py` (`make bench` or "
             "`python -m benchmarks.betas_report`). All regressions: OLS on yield changes (bp) with "
             "a constant, statsmodels HAC standard errors (Newey-West, maxlags "
             "floor(4(n/100)^(2/9))).", ""]
    lines += hqm_section()
    tp = third_party_section()
    lines += tp
    lines += comparison(tp)
    lines += verdict(tp)
    lines += oos_section()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--full" in sys.argv))
