"""Estimate the swap-spread risk factor's parameters from licensed ISDAFIX swap rates.

No public-domain USD swap-rate history exists (see data/README.md), so the swap-spread factor's
volatility and correlations are *estimated* from `../shared/data/market/third_party/
usd_swap_rates_isdafix_daily_2000_2016.csv` (ISDA/ICAP/Reuters, via Fed H.15 -- not
redistributable) and only the resulting numbers are shipped, with provenance, in
`data/risk_params/swap_spread_params.csv` (SPEC §4 allows shipping estimated parameters).

Method (why month-end): the daily spread DSWP10 - UST 10Y mixes an 11:00 ISDAFIX fix with the
Treasury's close, so its daily changes carry timing noise (lag-1 autocorrelation about -0.45;
annualized daily vol 85 bp vs 25 bp from month-end changes). We therefore use month-end changes
(x12 to annualize) for the spread's volatility and its correlations with Treasury key-rate par
yields, and monthly-average changes for its correlation with the HQM corporate spread (HQM is
published as monthly averages). Window: 2000-07 .. 2016-10 (the whole ISDAFIX history).

Run: .venv/bin/python scripts/estimate_swap_spread_params.py   (needs ../shared)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data.loaders import hqm_par_monthly_pct, par_curve_history_pct  # noqa: E402

THIRD = REPO.parent / "shared" / "data" / "market" / "third_party"
OUT = REPO / "data" / "risk_params" / "swap_spread_params.csv"
KEY_TENORS = ["2Y", "3Y", "5Y", "7Y", "10Y", "20Y", "30Y"]


def main() -> int:
    src = THIRD / "usd_swap_rates_isdafix_daily_2000_2016.csv"
    if not src.exists():
        print(f"skipped: {src} not present (licensed data; the shipped parameters stay as they are)")
        return 0
    sw = pd.read_csv(src, parse_dates=["date"]).set_index("date")
    ust = par_curve_history_pct()
    d = sw.join(ust, how="inner")
    spread_bp = (d["DSWP10"] - d["10Y"]) * 100.0
    me = d.resample("ME").last()
    me_spread = (me["DSWP10"] - me["10Y"]) * 100.0
    chg = pd.concat({"swap_spread": me_spread.diff(),
                     **{t: me[t].diff() * 100.0 for t in KEY_TENORS}}, axis=1).dropna()
    start, end = chg.index[0].strftime("%Y-%m"), chg.index[-1].strftime("%Y-%m")
    rows = [{"factor": "swap_spread", "other": "", "kind": "vol_bp_annual",
             "value": round(float(chg["swap_spread"].std() * np.sqrt(12)), 2), "nobs": len(chg),
             "window": f"{start}..{end}", "frequency": "month-end changes x12"}]
    for t in KEY_TENORS:
        rows.append({"factor": "swap_spread", "other": t, "kind": "corr",
                     "value": round(float(chg["swap_spread"].corr(chg[t])), 4), "nobs": len(chg),
                     "window": f"{start}..{end}", "frequency": "month-end changes"})
    ma = d.resample("MS").mean()
    hqm10 = hqm_par_monthly_pct()[10.0]
    corp_spread = (hqm10 - ma["10Y"]) * 100.0
    swap_ma = (ma["DSWP10"] - ma["10Y"]) * 100.0
    mm = pd.concat({"s": swap_ma.diff(), "c": corp_spread.diff()}, axis=1, sort=True).dropna()
    rows.append({"factor": "swap_spread", "other": "spread:Corporate", "kind": "corr",
                 "value": round(float(mm["s"].corr(mm["c"])), 4), "nobs": len(mm),
                 "window": f"{mm.index[0]:%Y-%m}..{mm.index[-1]:%Y-%m}",
                 "frequency": "monthly-average changes (HQM is published as monthly averages)"})
    out = pd.DataFrame(rows)
    out["source"] = ("estimated from ISDAFIX USD swap rates (ISDA/ICAP/Reuters via Fed H.15, "
                     "licensed; not shipped) and Treasury par yields; see "
                     "scripts/estimate_swap_spread_params.py")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(OUT, index=False)
    print(out.to_string(index=False))
    print(f"daily-change vol for comparison (timing noise): "
          f"{spread_bp.diff().std() * np.sqrt(252):.1f} bp/yr")
    return 0


if __name__ == "__main__":
    sys.exit(main())
