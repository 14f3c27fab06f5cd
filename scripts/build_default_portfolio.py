"""Build ``data/portfolios/default.csv``, the embedded default portfolio (``make demo``).

Run from the repo root:  ``.venv/bin/python scripts/build_default_portfolio.py``  (``--check``
compares with the committed file instead of writing it). The output is deterministic: running the
script reproduces the committed file byte-for-byte.

How it is built
---------------
* **As-of date**: the latest bundled Treasury curve date, ``data.loaders.latest_curve_date()``
  (2025-07-11). Curve: ``data.loaders.par_curve(asof)`` (Treasury daily par yields, public domain).
* **Treasuries (real securities)**: ``data.loaders.outstanding_nominals(asof)`` (the bundled
  Treasury security master). Maturity buckets by remaining years — 2y (1.5–2.5), 3y (2.5–3.5),
  5y (4–5.5), 7y (6–7.5), 10y (8–10.5), 20y (14–20.5), 30y (24–30.5). In each bucket we take the
  **on-the-run** issue (the latest original issue whose original term matches the bucket) plus
  ``N_OLD`` further **older** issues drawn at random (``numpy.random.default_rng(SEED)``) from the
  bucket's other securities, so off-the-runs such as old 10-year notes and old 30-year bonds sit
  beside the benchmarks. Ids are the real CUSIPs; coupon, maturity, issue date from the master;
  ACT/ACT, semiannual. Yield = the par curve interpolated linearly in maturity (years, ACT/365.25)
  at the bond's maturity, i.e. each Treasury is marked on the curve (no issue-specific richness).
* **Corporates (illustrative, not real securities)**: ``N_CORP`` bonds, ids ``CORP-001``..,
  issuer-style descriptions (well-known-issuer style names and ratings; coupons, maturities and
  ratings are invented and are not those issuers' bonds), ratings AA / A / BBB (with +/- notches), senior unsecured bullets, 30/360 semiannual. For each:
  original term drawn from {3, 5, 7, 10, 20, 30} years (probabilities ``CORP_TERM_P``), years
  since issue drawn uniformly in [0.25, min(term - 1.5, 12)], issue date on a weekday and day of month <= 28, maturity =
  issue date + term. Coupon = the Treasury par yield at the issue date for the original term plus
  the rating spread, rounded down to 1/8 % (how new issues are priced). Yield today = par curve at
  the remaining maturity + spread by rating and remaining maturity: AA 50–80 bp, A 70–110 bp,
  BBB 110–170 bp, linear in remaining maturity from 0 to 30 years, plus a uniform +/-5 bp
  issuer-specific term (rng). Yields are rounded to 0.001 %.
* **Agencies (illustrative)**: ``N_AGENCY`` non-callable bullets (FHLB / Freddie Mac / Federal
  Farm Credit style), AA+, 30/360 semiannual, spread 10–25 bp by maturity.
* **Par**: Treasuries $5M–$40M, corporates $3M–$20M, agencies $10M–$25M, in $1M steps (rng).
* **Prices**: clean price per 100 from the yield with ``models.bonds`` when that module provides a
  vectorized price-from-yield (settlement T+1 business day); otherwise the ``price`` column is left
  blank and positions are given by ``yield`` (read_holdings accepts either).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data import loaders  # noqa: E402

SEED = 20250711
N_OLD = 2          # older issues per Treasury maturity bucket, besides the on-the-run
N_CORP = 34
N_AGENCY = 3
OUT = ROOT / "data" / "portfolios" / "default.csv"

#: bucket -> (min remaining years, max remaining years, original-term label of the benchmark)
BUCKETS = {
    "2Y": (1.5, 2.5, "2-Year"),
    "3Y": (2.5, 3.5, "3-Year"),
    "5Y": (4.0, 5.5, "5-Year"),
    "7Y": (6.0, 7.5, "7-Year"),
    "10Y": (8.0, 10.5, "10-Year"),
    "20Y": (14.0, 20.5, "20-Year"),
    "30Y": (24.0, 30.5, "30-Year"),
}

#: rating -> (spread at 0y, spread at 30y), bp
SPREADS_BP = {"AA": (50.0, 80.0), "A": (70.0, 110.0), "BBB": (110.0, 170.0)}
AGENCY_SPREAD_BP = (10.0, 25.0)

#: illustrative issuers: (name, rating) — well-known-issuer style, NOT real bond data
ISSUERS = [
    ("Apple Inc", "AA+"), ("Nestle Holdings Inc", "AA-"), ("Novartis Capital Corp", "AA-"),
    ("Procter & Gamble Co", "AA-"), ("Walmart Inc", "AA"), ("Toyota Motor Credit Corp", "A+"),
    ("JPMorgan Chase & Co", "A"), ("Bank of America Corp", "A-"), ("Wells Fargo & Co", "BBB+"),
    ("Citigroup Inc", "BBB+"), ("Goldman Sachs Group Inc", "BBB+"), ("Morgan Stanley", "A-"),
    ("PepsiCo Inc", "A+"), ("Coca-Cola Co", "A+"), ("Home Depot Inc", "A"),
    ("UnitedHealth Group Inc", "A+"), ("Comcast Corp", "A-"), ("Verizon Communications Inc", "BBB+"),
    ("AT&T Inc", "BBB"), ("Oracle Corp", "BBB"), ("CVS Health Corp", "BBB"),
    ("Boeing Co", "BBB-"), ("Ford Motor Credit Co", "BBB-"), ("Duke Energy Corp", "BBB+"),
    ("Dominion Energy Inc", "BBB+"), ("Exxon Mobil Corp", "AA-"), ("Chevron Corp", "AA-"),
    ("Amazon.com Inc", "AA"), ("Berkshire Hathaway Finance Corp", "AA"), ("Pfizer Inc", "A"),
    ("Caterpillar Inc", "A"), ("Deere & Co", "A"), ("Union Pacific Corp", "A-"),
    ("Anheuser-Busch InBev Worldwide", "A-"), ("Kinder Morgan Inc", "BBB"),
    ("General Motors Financial Co", "BBB"), ("Altria Group Inc", "BBB"),
    ("Intel Corp", "BBB+"), ("Walt Disney Co", "A-"), ("Visa Inc", "AA-"),
]
AGENCIES = ["Federal Home Loan Banks", "Freddie Mac", "Federal Farm Credit Banks"]
CORP_TERMS = [3, 5, 7, 10, 20, 30]
MAX_CORP_AGE = 12.0    # years since issue, at most (portfolios hold mostly recent issues)
CORP_TERM_P = [0.12, 0.22, 0.18, 0.28, 0.08, 0.12]

COLUMNS = ["id", "description", "sector", "rating", "par", "coupon", "maturity", "issue_date",
           "frequency", "day_count", "price", "yield"]


def _years(a: pd.Timestamp, b: pd.Timestamp | pd.Series) -> np.ndarray:
    return np.asarray((b - a) / pd.Timedelta(days=365.25), dtype=float) if isinstance(
        b, pd.Series) else np.asarray((b - a).days / 365.25)


def curve_yield_pct(curve: loaders.CurveOnDate, years: np.ndarray) -> np.ndarray:
    """Par yield (percent) interpolated linearly in maturity; flat beyond the ends."""
    t = curve.tenors_years
    y = curve.par_yield_dec.to_numpy() * 100.0
    return np.interp(np.asarray(years, dtype=float), t, y)


def _rating_bucket(rating: str) -> str:
    r = rating.rstrip("+-")
    return "AA" if r in ("AAA", "AA") else r


def _spread_bp(rating: str, years: float, jitter: float) -> float:
    lo, hi = SPREADS_BP[_rating_bucket(rating)]
    return lo + (hi - lo) * min(max(years, 0.0), 30.0) / 30.0 + jitter


def _agency_spread_bp(years: float) -> float:
    lo, hi = AGENCY_SPREAD_BP
    return lo + (hi - lo) * min(max(years, 0.0), 10.0) / 10.0


def _issue_day(ts: pd.Timestamp) -> pd.Timestamp:
    """A plausible issue date: day of month <= 28 (so maturities never fall on a month end,
    keeping the coupon schedule free of end-of-month-rule subtleties), on a weekday (rolled
    back)."""
    if ts.day > 28:
        ts = ts.replace(day=28)
    while ts.weekday() >= 5:
        ts -= pd.Timedelta(days=1)
    return ts


def _par_musd(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1)) * 1_000_000


def treasuries(asof: pd.Timestamp, curve, rng: np.random.Generator) -> list[dict]:
    sm = loaders.outstanding_nominals(asof)
    sm = sm[sm["coupon_pct"].notna()].copy()
    sm["rem"] = (sm["maturity_date"] - asof) / pd.Timedelta(days=365.25)
    rows = []
    for lo, hi, term in BUCKETS.values():
        cand = sm[(sm["rem"] >= lo) & (sm["rem"] < hi)].sort_values(
            ["original_issue_date", "cusip"])
        otr_cands = cand[cand["original_security_term"] == term]
        picks = []
        if len(otr_cands):
            picks.append((otr_cands.iloc[-1], "on-the-run"))
        rest = cand[~cand["cusip"].isin([p["cusip"] for p, _ in picks])]
        # "old" issues: issued at least a year ago, preferring longer original terms (seasoned)
        old = rest[rest["original_issue_date"] <= asof - pd.DateOffset(years=1)]
        k = min(N_OLD, len(old))
        for i in sorted(rng.choice(len(old), size=k, replace=False)):
            picks.append((old.iloc[i], "off-the-run"))
        for sec, status in picks:
            rows.append({
                "id": sec["cusip"],
                "description": (f"US Treasury {sec['security_type']} {sec['coupon_pct']:.3f}% "
                                f"{sec['maturity_date'].date()} (orig. "
                                f"{sec['original_security_term']}, {status})"),
                "sector": "Treasury", "rating": "",
                "par": _par_musd(rng, 5, 40),
                "coupon": float(sec["coupon_pct"]),
                "maturity": sec["maturity_date"], "issue_date": sec["dated_date"],
                "frequency": 2, "day_count": "ACT/ACT",
                "yield": float(np.round(curve_yield_pct(curve, [sec["rem"]])[0], 3)),
            })
    return rows


def corporates(asof: pd.Timestamp, curve, rng: np.random.Generator) -> list[dict]:
    idx = rng.choice(len(ISSUERS), size=N_CORP, replace=False)
    rows = []
    for n, i in enumerate(sorted(idx), start=1):
        name, rating = ISSUERS[i]
        term = int(rng.choice(CORP_TERMS, p=CORP_TERM_P))
        age = float(rng.uniform(0.25, min(term - 1.5, MAX_CORP_AGE)))
        issue = _issue_day((asof - pd.Timedelta(days=round(age * 365.25))).normalize())
        maturity = issue + pd.DateOffset(years=term)
        jitter = float(rng.uniform(-5.0, 5.0))
        curve_at_issue = loaders.par_curve(issue)
        new_issue_yield = curve_yield_pct(curve_at_issue, [term])[0] + \
            _spread_bp(rating, term, jitter) / 100.0
        coupon = np.floor(new_issue_yield * 8.0) / 8.0
        rem = float(_years(asof, maturity))
        y = curve_yield_pct(curve, [rem])[0] + _spread_bp(rating, rem, jitter) / 100.0
        rows.append({
            "id": f"CORP-{n:03d}",
            "description": f"{name} {coupon:.3f}% {maturity.date()} senior unsecured (illustrative)",
            "sector": "Corporate", "rating": rating, "par": _par_musd(rng, 3, 20),
            "coupon": float(coupon), "maturity": maturity, "issue_date": issue,
            "frequency": 2, "day_count": "30/360", "yield": float(np.round(y, 3)),
        })
    return rows


def agencies(asof: pd.Timestamp, curve, rng: np.random.Generator) -> list[dict]:
    rows = []
    for n, name in enumerate(AGENCIES[:N_AGENCY], start=1):
        term = int(rng.choice([3, 5, 10]))
        age = float(rng.uniform(0.25, term - 1.0))
        issue = _issue_day((asof - pd.Timedelta(days=round(age * 365.25))).normalize())
        maturity = issue + pd.DateOffset(years=term)
        coupon = np.floor((curve_yield_pct(loaders.par_curve(issue), [term])[0]
                           + _agency_spread_bp(term) / 100.0) * 8.0) / 8.0
        rem = float(_years(asof, maturity))
        y = curve_yield_pct(curve, [rem])[0] + _agency_spread_bp(rem) / 100.0
        rows.append({
            "id": f"AGY-{n:03d}",
            "description": f"{name} {coupon:.3f}% {maturity.date()} non-callable (illustrative)",
            "sector": "Agency", "rating": "AA+", "par": _par_musd(rng, 10, 25),
            "coupon": float(coupon), "maturity": maturity, "issue_date": issue,
            "frequency": 2, "day_count": "30/360", "yield": float(np.round(y, 3)),
        })
    return rows


def _prices(df: pd.DataFrame, asof: pd.Timestamp) -> np.ndarray | None:
    """Clean prices per 100 from yields via models.bonds, or None when it is not available."""
    try:
        from models import bonds
    except ImportError:
        return None
    from models.calendar import settlement_date

    settle = settlement_date(asof)          # T+1 on the SIFMA calendar
    batch = bonds.make_bonds(
        maturity=df["maturity"].to_numpy(dtype="datetime64[D]"),
        coupon_dec=df["coupon"].to_numpy() / 100.0,
        frequency=df["frequency"].to_numpy(),
        convention=df["day_count"].to_numpy(),
        dated_date=df["issue_date"].to_numpy(dtype="datetime64[D]"),
    )
    cf = bonds.cashflows(batch, settle)
    return np.asarray(bonds.price_from_yield(cf, df["yield"].to_numpy() / 100.0), dtype=float)


def build() -> tuple[str, pd.DataFrame]:
    asof = loaders.latest_curve_date()
    curve = loaders.par_curve(asof)
    rng = np.random.default_rng(SEED)
    rows = treasuries(asof, curve, rng) + agencies(asof, curve, rng) + corporates(asof, curve, rng)
    df = pd.DataFrame(rows)
    prices = _prices(df, asof)
    df["price"] = prices if prices is not None else np.nan

    buf = io.StringIO()
    buf.write(",".join(COLUMNS) + "\n")
    for r in df.to_dict("records"):
        price = "" if np.isnan(r["price"]) else f"{r['price']:.6f}"
        desc = f'"{r["description"]}"' if "," in r["description"] else r["description"]
        cells = [r["id"], desc, r["sector"], r["rating"], str(r["par"]), f"{r['coupon']:.3f}",
                 str(r["maturity"].date()), str(r["issue_date"].date()), str(r["frequency"]),
                 r["day_count"], price, f"{r['yield']:.3f}"]
        buf.write(",".join(cells) + "\n")
    return buf.getvalue(), df


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed file instead of writing it")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text, df = build()
    if args.check:
        same = args.out.exists() and args.out.read_text() == text
        print("default.csv is up to date" if same else "default.csv differs from the build")
        return 0 if same else 1
    args.out.write_text(text)
    mv_hint = (df["par"] * df["price"].fillna(100.0) / 100.0).groupby(df["sector"]).sum()
    print(f"wrote {args.out} ({len(df)} positions); approx. clean MV by sector "
          f"({'prices' if df['price'].notna().all() else 'par, no prices'}):")
    for sector, v in mv_hint.items():
        print(f"  {sector:<10} {v:>16,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
