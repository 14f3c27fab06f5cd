"""Bad inputs across every verb and file kind: exit 2 with what to fix, never a traceback.

Each case runs `overlay` in-process (``optimizer.cli.main.main(argv)``) -- a handful also as real
subprocesses -- and asserts: the exit status (2 bad input; 3 only for a genuinely infeasible
mandate), one error message naming the flag, or the file with its row and column (or TOML key),
no traceback on stderr, nothing on stdout, and no output file created (every case that can
write a file is given output paths in a folder that must still not exist afterwards).

Placeholders in a case's command line: ``{d}`` the case's temporary folder (its input files are
written there), ``{o}`` the output folder (must not exist after the run).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from optimizer.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
POS = DATA / "positions" / "overlay_2025-07.csv"
BOND_HEADER = "id,sector,par,coupon,maturity,price\n"
BOND_ROW = "T1,Treasury,1000000,4.0,2030-06-30,99.5\n"
MANDATE_OK = ('[targets.Treasury]\ndv01_pct = 0\ninstruments = ["ZN"]\n'
              '[targets.Corporate]\ndv01_pct = 50\ninstruments = ["ZN", "SSF10"]\n')

#: Output flags added to every case of a verb that can write files.
OUTPUTS = {
    "hedge": ["--csv", "{o}/hedge.csv", "--explain", "{o}/explain.json"],
    "rebalance": ["--orders", "{o}/orders.csv"],
    "frontier": ["--csv", "{o}/frontier.csv"],
    "backtest": ["--csv", "{o}/backtest.csv"],
    "scenarios": ["--report", "{o}/scenarios.html"],
    "transition": ["--orders", "{o}/orders.csv"],
    "equitize": ["--orders", "{o}/orders.csv"],
    "batch": ["--out", "{o}/batch", "--no-progress"],
}
MANIFEST_HEADER = "account,holdings,mandate\n"
MANIFEST_ROW = f"acct1,{DATA / 'portfolios' / 'default.csv'},{DATA / 'mandates' / 'default.toml'}\n"


@dataclass
class Case:
    id: str
    argv: str
    must: list[str]
    files: dict[str, str] = field(default_factory=dict)
    code: int = 2
    outputs: bool = True


def C(id: str, argv: str, *must: str, files: dict[str, str] | None = None, code: int = 2,
      outputs: bool = True) -> Case:
    return Case(id, argv, list(must), files or {}, code, outputs)


def flags_cases(verb: str, extra: str = "") -> list[Case]:
    """The mandate and portfolio flags every hedge-building verb takes."""
    v = f"{verb} {extra}".strip()
    return [
        C(f"{verb}-asof-month13", f"{v} --asof 2025-13-01", "--asof", "month 13"),
        C(f"{verb}-asof-feb30", f"{v} --asof 2025-02-30", "--asof", "February 2025 has 28 days"),
        C(f"{verb}-asof-us-format", f"{v} --asof 07/11/2025", "--asof", "YYYY-MM-DD"),
        C(f"{verb}-asof-future", f"{v} --asof 2031-01-02", "--asof", "after the bundled"),
        C(f"{verb}-margin-negative", f"{v} --margin-budget -1", "--margin-budget", "positive"),
        C(f"{verb}-leverage-negative", f"{v} --max-leverage -0.5", "--max-leverage", "> 0"),
        C(f"{verb}-turnover-negative", f"{v} --turnover -5", "--turnover", ">= 0"),
        C(f"{verb}-max-instruments-0", f"{v} --max-instruments 0", "--max-instruments"),
        C(f"{verb}-target-unknown-sector", f"{v} --target Muni=0", "--target", "Muni",
          "Treasury, Agency, Corporate"),
        C(f"{verb}-instruments-expired", f"{v} --instruments ZNH25 --asof 2025-07-11",
          "--instruments", "ZNH25 (March 2025) has expired", "ZNU5, ZNZ5, ZNH6"),
        C(f"{verb}-mandate-missing", f"{v} --mandate {{d}}/nope.toml", "{d}/nope.toml",
          "not found"),
    ]


CASES: list[Case] = [
    # ------------------------------------------------------------------ hedge: dates, numbers
    C("hedge-asof-apr31", "hedge --asof 2025-04-31", "--asof", "April 2025 has 30 days"),
    C("hedge-asof-word", "hedge --asof today", "--asof", "YYYY-MM-DD"),
    C("hedge-asof-empty", "hedge --asof ''", "--asof", "YYYY-MM-DD"),
    C("hedge-asof-before", "hedge --asof 1985-01-02", "--asof", "before the bundled"),
    C("hedge-margin-zero", "hedge --margin-budget 0", "--margin-budget", "positive"),
    C("hedge-margin-text", "hedge --margin-budget lots", "--margin-budget", "12e6"),
    C("hedge-margin-nan", "hedge --margin-budget nan", "--margin-budget", "finite"),
    C("hedge-margin-units", "hedge --margin-budget 12", "--margin-budget", "12m"),
    C("hedge-leverage-zero", "hedge --max-leverage 0", "--max-leverage", "> 0"),
    C("hedge-leverage-percent", "hedge --max-leverage 60", "--max-leverage", "0.6 for 60%"),
    C("hedge-leverage-inf", "hedge --max-leverage inf", "--max-leverage", "finite"),
    C("hedge-turnover-fraction", "hedge --turnover 2.5", "--turnover", "whole number"),
    C("hedge-max-instruments-neg", "hedge --max-instruments -1", "--max-instruments"),
    C("hedge-max-instruments-frac", "hedge --max-instruments 1.5", "--max-instruments",
      "whole number"),
    C("hedge-target-duration-neg", "hedge --target-duration -1", "--target-duration"),
    C("hedge-target-duration-units", "hedge --target-duration 450", "--target-duration",
      "[0, 50]"),
    C("hedge-target-no-equals", "hedge --target Corporate", "--target", "SECTOR=VALUE"),
    C("hedge-target-not-number", "hedge --target Corporate=abc", "--target", "not a number"),
    C("hedge-target-no-sector", "hedge --target =5", "--target", "sector name is missing"),
    C("hedge-target-pct-range", "hedge --target Corporate=5000%", "--target", "1000"),
    C("hedge-target-years-range", "hedge --target Corporate=99y", "--target", "[0, 50]"),
    C("hedge-target-case-typo", "hedge --target Corporates=50%", "--target", "Corporates",
      "case-insensitively"),
    C("hedge-instruments-not-listed", "hedge --instruments ZNH0 --asof 2025-07-11",
      "--instruments", "ZNH0 (March 2030) is not listed yet"),
    C("hedge-instruments-one-digit-expired", "hedge --instruments ZN,ZNH5 --asof 2025-07-11",
      "--instruments", "ZNH5 (March 2025) has expired"),
    C("hedge-instruments-unknown", "hedge --instruments XX", "--instruments", "unknown"),
    C("hedge-instruments-bad-month", "hedge --instruments ZNF5", "--instruments",
      "trades months H, M, U, Z"),
    C("hedge-instruments-twice", "hedge --instruments ZN,zn", "--instruments", "twice"),
    C("hedge-instruments-empty", "hedge --instruments ,", "--instruments", "no instrument"),
    C("hedge-instruments-delisted", "hedge --instruments NSF10", "--instruments",
      "2013-12-31"),
    C("hedge-time-limit-zero", "hedge --time-limit 0", "--time-limit", "(0, 3600]"),
    C("hedge-time-limit-neg", "hedge --time-limit -3", "--time-limit"),
    C("hedge-window-bad", "hedge --window 3x", "--window", "not a window"),
    C("hedge-window-zero", "hedge --window 0y", "--window", "not a window"),
    C("hedge-key-tenors-bad", "hedge --key-tenors 4Y", "--key-tenors", "4Y"),
    C("hedge-key-tenors-dup", "hedge --key-tenors 2Y,2Y", "--key-tenors", "duplicate"),
    # a valid but genuinely infeasible mandate: exit 3 with the conflict and the smallest change
    C("hedge-infeasible-margin", "hedge --margin-budget 1m", "infeasible mandate",
      "- margin (initial margin", "margin budget must be at least", code=3),
    # ------------------------------------------------------------------ hedge: output paths
    C("hedge-report-is-dir", "hedge --csv {o}/p.csv --report {d}", "--report",
      "is a directory", outputs=False),
    C("hedge-csv-is-dir", "hedge --csv {d}/", "--csv", "is a directory", outputs=False),
    C("hedge-explain-is-dir", "hedge --explain {d} --csv {o}/p.csv", "--explain",
      "is a directory", outputs=False),
    C("hedge-same-output-twice", "hedge --csv {o}/x --report {o}/x", "--report", "--csv",
      outputs=False),
    C("hedge-output-under-a-file", "hedge --csv {d}/f.txt/p.csv", "--csv", "not a folder",
      files={"f.txt": "x"}, outputs=False),
    C("hedge-empty-output", "hedge --csv ''", "--csv", "empty output path", outputs=False),
    # ------------------------------------------------------------------ holdings files
    C("holdings-missing", "hedge --portfolio {d}/nope.csv", "{d}/nope.csv", "not found"),
    C("holdings-directory", "hedge --portfolio {d}", "{d}", "directory"),
    C("holdings-empty", "hedge --portfolio {d}/h.csv", "{d}/h.csv", "empty",
      files={"h.csv": ""}),
    C("holdings-header-only", "hedge --portfolio {d}/h.csv", "{d}/h.csv", "no positions",
      files={"h.csv": BOND_HEADER}),
    C("holdings-missing-column", "hedge --portfolio {d}/h.csv", "{d}/h.csv", "row 1", "sector",
      files={"h.csv": "id,par,coupon,maturity,price\nT1,1000000,4,2030-06-30,99.5\n"}),
    C("holdings-bad-date", "hedge --portfolio {d}/h.csv", "{d}/h.csv", "row 3",
      "column 'maturity'",
      files={"h.csv": BOND_HEADER + BOND_ROW + "T2,Treasury,1000000,4,2030-13-30,99\n"}),
    C("holdings-matured", "analyze --portfolio {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'maturity'", files={"h.csv": BOND_HEADER + "T1,Treasury,1e6,4,2020-01-01,99\n"}),
    C("holdings-duplicate-id", "analyze --portfolio {d}/h.csv", "{d}/h.csv", "row 3",
      "column 'id'", files={"h.csv": BOND_HEADER + BOND_ROW + BOND_ROW}),
    C("holdings-par-text", "analyze --portfolio {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'par'", files={"h.csv": BOND_HEADER + "T1,Treasury,lots,4,2030-06-30,99\n"}),
    C("holdings-negative-price", "analyze --portfolio {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'price'", files={"h.csv": BOND_HEADER + "T1,Treasury,1e6,4,2030-06-30,-99\n"}),
    C("holdings-yield-decimals", "analyze --portfolio {d}/h.csv", "{d}/h.csv",
      "column 'yield'", "decimal",
      files={"h.csv": "id,sector,par,coupon,maturity,yield\n"
             + "".join(f"T{i},Treasury,1e6,4,2030-06-30,0.04{i}\n" for i in range(6))}),
    C("holdings-blank-sector", "betas --portfolio {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'sector'", files={"h.csv": BOND_HEADER + "T1,,1e6,4,2030-06-30,99\n"}),
    C("holdings-unsupported-ext", "analyze --portfolio {d}/h.json", "{d}/h.json",
      "unsupported", files={"h.json": "{}"}),
    C("holdings-backtest-missing", "backtest --portfolio {d}/nope.csv --start 2025-01-02",
      "{d}/nope.csv", "not found"),
    C("holdings-scenarios-bad", "scenarios --portfolio {d}/h.csv", "{d}/h.csv", "row 2",
      files={"h.csv": BOND_HEADER + "T1,Treasury,1e6,4,2030-02-30,99\n"}),
    # ------------------------------------------------------------------ mandate TOML
    C("mandate-not-toml", "hedge --mandate {d}/m.toml", "{d}/m.toml", "TOML",
      files={"m.toml": "[targets.Treasury\ndv01_pct = 0\n"}),
    C("mandate-bounds-min-above-max", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "contract_bounds.ZN", "min 10 is above max -10",
      files={"m.toml": MANDATE_OK + "[contract_bounds.ZN]\nmin = 10\nmax = -10\n"}),
    C("mandate-bounds-unknown-root", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "contract_bounds.XX", "unknown contract root",
      files={"m.toml": MANDATE_OK + "[contract_bounds.XX]\nmin = -10\n"}),
    C("mandate-unknown-sector", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "targets.Corporates", "Treasury, Agency, Corporate",
      files={"m.toml": '[targets.Corporates]\ndv01_pct = 50\ninstruments = ["ZN"]\n'}),
    C("mandate-leverage-negative", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "max_leverage", files={"m.toml": MANDATE_OK + "[limits]\nmax_leverage = -1\n"}),
    C("mandate-leverage-percent", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "max_leverage", "0.6 for 60%", files={"m.toml": MANDATE_OK + "[limits]\nmax_leverage = 60\n"}),
    C("mandate-margin-string", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "margin_budget_usd", files={"m.toml": MANDATE_OK + '[limits]\nmargin_budget_usd = "12m"\n'}),
    C("mandate-margin-zero", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "margin_budget_usd", files={"m.toml": MANDATE_OK + "[limits]\nmargin_budget_usd = 0\n"}),
    C("mandate-max-instruments-0", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "max_instruments", files={"m.toml": MANDATE_OK + "[limits]\nmax_instruments = 0\n"}),
    C("mandate-turnover-negative", "hedge --mandate {d}/m.toml", "{d}/m.toml", "turnover",
      files={"m.toml": MANDATE_OK + "[limits]\nturnover = -1\n"}),
    C("mandate-unknown-limit", "hedge --mandate {d}/m.toml", "{d}/m.toml", "unknown key",
      files={"m.toml": MANDATE_OK + "[limits]\nmax_leverag = 0.5\n"}),
    C("mandate-two-target-kinds", "hedge --mandate {d}/m.toml", "{d}/m.toml", "exactly one",
      files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\ndv01_usd = 5\n'}),
    C("mandate-tolerance-negative", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "tolerance_pct", files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\ntolerance_pct = -2\n'}),
    C("mandate-tolerance-over-100", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "tolerance_pct", files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\ntolerance_pct = 150\n'}),
    C("mandate-instrument-unknown", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "targets.Treasury", "XX", files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\n'
                                        'instruments = ["XX"]\n'}),
    C("mandate-instrument-expired", "hedge --mandate {d}/m.toml --asof 2025-07-11",
      "{d}/m.toml", "targets.Treasury", "ZNH5 (March 2025) has expired",
      files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\ninstruments = ["ZNH5"]\n'}),
    C("mandate-instruments-not-list", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "instruments", files={"m.toml": '[targets.Treasury]\ndv01_pct = 0\ninstruments = "ZN"\n'}),
    C("mandate-key-rate-band-inverted", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "key_rate_bands.30Y", "above max_usd",
      files={"m.toml": MANDATE_OK + "[key_rate_bands.30Y]\nmin_usd = 5000\nmax_usd = -5000\n"}),
    C("mandate-key-rate-band-tenor", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "key_rate_bands.4Y", files={"m.toml": MANDATE_OK + "[key_rate_bands.4Y]\nmax_usd = 5\n"}),
    C("mandate-betas-string", "hedge --mandate {d}/m.toml", "{d}/m.toml", "betas",
      files={"m.toml": 'betas = "yes"\n' + MANDATE_OK}),
    C("mandate-no-net-short-string", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "no_net_short", files={"m.toml": MANDATE_OK + '[limits]\nno_net_short = "no"\n'}),
    C("mandate-duration-negative", "hedge --mandate {d}/m.toml", "{d}/m.toml", "duration",
      files={"m.toml": '[targets.Corporate]\nduration = -3\n'}),
    C("mandate-cost-weight-negative", "hedge --mandate {d}/m.toml", "{d}/m.toml",
      "cost_weight", files={"m.toml": "cost_weight = -1\n" + MANDATE_OK}),
    C("mandate-not-utf8", "hedge --mandate {d}/m.toml", "{d}/m.toml", "TOML",
      files={"m.toml": "name = \"caf\udce9\"\n"}),
    C("mandate-directory", "hedge --mandate {d}", "{d}"),
    # ------------------------------------------------------------------ margins file
    C("margins-missing", "hedge --margins {d}/nope.csv", "{d}/nope.csv", "not found"),
    C("margins-missing-column", "hedge --margins {d}/mg.csv", "{d}/mg.csv", "row 1",
      "column 'initial_usd'", files={"mg.csv": "contract,maintenance_usd,valid_from,source\n"
                                     "ZN,2300,2025-06-01,firm\n"}),
    C("margins-negative", "hedge --margins {d}/mg.csv", "{d}/mg.csv", "row 3",
      "column 'initial_usd'", files={"mg.csv": "contract,initial_usd,maintenance_usd,valid_from,"
                                     "source\nZN,2530,2300,2025-06-01,firm\n"
                                     "ZF,-5,1700,2025-06-01,firm\n"}),
    C("margins-below-maintenance", "hedge --margins {d}/mg.csv", "{d}/mg.csv", "row 2",
      "column 'initial_usd'", files={"mg.csv": "contract,initial_usd,maintenance_usd,valid_from,"
                                     "source\nZN,2000,2300,2025-06-01,firm\n"}),
    C("margins-bad-date", "hedge --margins {d}/mg.csv", "{d}/mg.csv", "row 2",
      "column 'valid_from'", files={"mg.csv": "contract,initial_usd,maintenance_usd,valid_from,"
                                    "source\nZN,2530,2300,2025-13-01,firm\n"}),
    C("margins-text-amount", "frontier --margins {d}/mg.csv", "{d}/mg.csv", "row 2",
      "column 'maintenance_usd'", files={"mg.csv": "contract,initial_usd,maintenance_usd,"
                                         "valid_from,source\nZN,2530,n/a,2025-06-01,firm\n"}),
    C("margins-repeated-header", "hedge --margins {d}/mg.csv", "{d}/mg.csv", "row 1",
      "column 'source'", files={"mg.csv": "contract,initial_usd,maintenance_usd,valid_from,"
                                "source,source\nZN,2530,2300,2025-06-01,firm,firm\n"}),
    # ------------------------------------------------------------------ analyze
    C("analyze-asof-month13", "analyze --asof 2025-13-01", "--asof", "month 13"),
    C("analyze-asof-future", "analyze --asof 2030-01-02", "--asof", "after"),
    C("analyze-key-tenors", "analyze --key-tenors 2Y,4Y", "--key-tenors", "4Y"),
    C("analyze-key-tenors-empty", "analyze --key-tenors ,", "--key-tenors"),
    C("analyze-portfolio-missing", "analyze --portfolio {d}/x.csv", "{d}/x.csv", "not found"),
    # ------------------------------------------------------------------ basket
    C("basket-unknown-root", "basket XXU5", "XXU5", "unknown"),
    C("basket-bad-month", "basket ZNF5", "ZNF5", "trades months"),
    C("basket-garbage", "basket 12345", "12345"),
    C("basket-swap-future", "basket SSF10U5", "SSF10", "Treasury"),
    C("basket-asof-month13", "basket ZNU5 --asof 2025-13-01", "--asof", "month 13"),
    C("basket-asof-future", "basket ZNU5 --asof 2029-01-02", "--asof", "after"),
    C("basket-repo-bp", "basket ZNU5 --repo 430", "--repo", "percent"),
    C("basket-repo-nan", "basket ZNU5 --repo nan", "--repo"),
    C("basket-futures-price-text", "basket ZNU5 --futures-price abc", "--futures-price"),
    C("basket-futures-price-32nds", "basket ZNU5 --futures-price 110-40", "--futures-price",
      "32nds"),
    C("basket-futures-price-negative", "basket ZNU5 --futures-price -5", "--futures-price"),
    C("basket-prices-missing-col", "basket ZNU5 --prices {d}/p.csv", "{d}/p.csv", "row 1",
      "column 'price'", files={"p.csv": "cusip,px\n91282CKV2,99\n"}),
    C("basket-prices-bad", "basket ZNU5 --prices {d}/p.csv", "{d}/p.csv", "row 3",
      "column 'price'", files={"p.csv": "cusip,price\n91282CKV2,99\n91282CLF5,-1\n"}),
    C("basket-securities-coupon", "basket ZNU5 --securities {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'coupon'", files={"s.csv": "cusip,coupon,maturity,issue_date\n"
                                "X1,450,2032-05-15,2022-05-15\n"}),
    C("basket-securities-date", "basket ZNU5 --securities {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'maturity'", files={"s.csv": "cusip,coupon,maturity,issue_date\n"
                                  "X1,4.5,2032-02-30,2022-05-15\n"}),
    C("basket-securities-ragged", "basket ZNU5 --securities {d}/s.csv", "{d}/s.csv", "row 3",
      files={"s.csv": "cusip,coupon,maturity,issue_date\nX1,4.5,2032-05-15,2022-05-15\n"
             "X2,4.5,2032-05-15,2022-05-15,extra\n"}),
    # ------------------------------------------------------------------ betas
    C("betas-asof-month13", "betas --asof 2025-13-01", "--asof", "month 13"),
    C("betas-asof-before", "betas --asof 1970-01-02", "--asof", "before"),
    C("betas-window", "betas --window forever", "--window", "not a window"),
    C("betas-min-obs-zero", "betas --min-obs 0", "--min-obs"),
    C("betas-min-obs-text", "betas --min-obs many", "--min-obs"),
    C("betas-prior-sd-inf", "betas --prior-sd inf", "--prior-sd", "finite"),
    C("betas-prior-sd-zero", "betas --prior-sd 0", "--prior-sd", "> 0"),
    C("betas-horizon", "betas --horizon monthly", "--horizon", "invalid choice"),
    C("betas-portfolio-missing", "betas --portfolio {d}/x.csv", "{d}/x.csv", "not found"),
    C("history-missing", "betas --history {d}/h.csv", "{d}/h.csv", "not found"),
    C("history-no-date", "betas --history {d}/h.csv", "{d}/h.csv", "row 1", "date",
      files={"h.csv": "day,Corporate\n2024-01-02,5.1\n"}),
    C("history-bad-date", "betas --history {d}/h.csv", "{d}/h.csv", "row 3", "column 'date'",
      files={"h.csv": "date,Corporate\n2024-01-02,5.1\n2024-13-03,5.2\n"}),
    C("history-dup-date", "betas --history {d}/h.csv", "{d}/h.csv", "row 3", "column 'date'",
      files={"h.csv": "date,Corporate\n2024-01-02,5.1\n2024-01-02,5.2\n"}),
    C("history-text-value", "betas --history {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'Corporate'", files={"h.csv": "date,Corporate\n2024-01-02,abc\n"}),
    C("history-basis-points", "betas --history {d}/h.csv", "{d}/h.csv", "row 2",
      "column 'Corporate'", "percent", files={"h.csv": "date,Corporate\n2024-01-02,510\n"}),
    C("history-decimals", "betas --history {d}/h.csv", "{d}/h.csv", "column 'Corporate'",
      "decimals", files={"h.csv": "date,Corporate\n" + "".join(
          f"2024-01-{k:02d},0.05{k}\n" for k in range(2, 9))}),
    C("history-empty", "betas --history {d}/h.csv", "{d}/h.csv", "empty",
      files={"h.csv": ""}),
    C("history-blank-middle-line", "betas --history {d}/h.csv", "{d}/h.csv", "row 3",
      "column 'date'", files={"h.csv": "date,Corporate\n2024-01-02,5.1\n\n2024-01-04,5.2\n"}),
    C("history-scenarios", "scenarios --history {d}/h.csv", "{d}/h.csv", "row 2",
      files={"h.csv": "date,Corporate\n2024-02-30,5.1\n"}),
    # ------------------------------------------------------------------ rebalance
    C("rebalance-orders-as-positions", "rebalance --positions {d}/o.csv", "{d}/o.csv",
      "row 1", "column 'side'", "orders file",
      files={"o.csv": "contract,side,quantity,price,estimated_cost,reason\n"
             "ZNU5,SELL,1863,110.5,14.55,rebalance\n"}),
    C("rebalance-positions-missing", "rebalance --positions {d}/p.csv", "{d}/p.csv",
      "not found"),
    C("rebalance-positions-empty", "rebalance --positions {d}/p.csv", "{d}/p.csv", "empty",
      files={"p.csv": "\n"}),
    C("rebalance-positions-expired", "rebalance --positions {d}/p.csv --asof 2025-07-11",
      "{d}/p.csv", "row 2", "column 'contract'", "expired",
      files={"p.csv": "contract,contracts\nZNH5,-250\n"}),
    C("rebalance-positions-unknown", "rebalance --positions {d}/p.csv", "{d}/p.csv", "row 3",
      "column 'contract'", files={"p.csv": "contract,contracts\nZNU5,-250\nXXU5,3\n"}),
    C("rebalance-positions-fraction", "rebalance --positions {d}/p.csv", "{d}/p.csv", "row 2",
      "column 'contracts'", files={"p.csv": "contract,contracts\nZNU5,12.5\n"}),
    C("rebalance-positions-side-word", "rebalance --positions {d}/p.csv", "{d}/p.csv",
      "row 2", "column 'contracts'", "side", files={"p.csv": "contract,contracts\nZNU5,SELL\n"}),
    C("rebalance-positions-no-count", "rebalance --positions {d}/p.csv", "{d}/p.csv", "row 1",
      "column 'contracts'", files={"p.csv": "contract,amount\nZNU5,-250\n"}),
    C("rebalance-positions-paper", "rebalance --positions {d}/p.csv", "{d}/p.csv", "row 4",
      "column 'contracts'", "sign of the net",
      files={"p.csv": "contract,contracts,sector\nZNU5,-716,Treasury\nZNU5,-221,Agency\n"
             "ZNU5,937,Corporate\n"}),
    C("rebalance-positions-entry-32nds", "rebalance --positions {d}/p.csv", "{d}/p.csv",
      "row 2", "column 'entry_price'", files={"p.csv": "contract,contracts,entry_price\n"
                                             "ZNU5,-250,110-40\n"}),
    C("rebalance-positions-far-month", "rebalance --positions {d}/p.csv --asof 2025-07-11",
      "{d}/p.csv", "row 2", "column 'contract'", files={"p.csv": "contract,contracts\n"
                                                          "ZNU29,-250\n"}),
    C("rebalance-prices-bad", f"rebalance --positions {POS} --prices {{d}}/px.csv",
      "{d}/px.csv", "row 2", "column 'price'", files={"px.csv": "contract,price\nZNU5,-1\n"}),
    C("rebalance-prices-missing-col", f"rebalance --positions {POS} --prices {{d}}/px.csv",
      "{d}/px.csv", "row 1", "column 'price'", files={"px.csv": "contract,last\nZNU5,110\n"}),
    C("rebalance-band-zero", f"rebalance --positions {POS} --band 0", "--band"),
    C("rebalance-band-150", f"rebalance --positions {POS} --band 150", "--band"),
    C("rebalance-roll-days-neg", f"rebalance --positions {POS} --roll-days -1", "--roll-days"),
    C("rebalance-commission-neg", f"rebalance --positions {POS} --commission -2",
      "--commission"),
    C("rebalance-orders-dir", f"rebalance --positions {POS} --orders {{d}}", "--orders",
      "is a directory", outputs=False),
    C("rebalance-report-dir", f"rebalance --positions {POS} --report {{d}}/", "--report",
      "is a directory"),
    *flags_cases("rebalance", f"--positions {POS}"),
    # ------------------------------------------------------------------ program transition
    C("transition-start-month13", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-13-01 --weekly 200m --weeks 4", "--start", "month 13"),
    C("transition-sold-negative", "program transition --sold=-800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4", "--sold", "positive"),
    C("transition-sold-text", "program transition --sold lots --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4", "--sold"),
    C("transition-duration-zero", "program transition --sold 800m --sold-duration 0 "
      "--start 2025-06-02 --weekly 200m --weeks 4", "--sold-duration"),
    C("transition-duration-units", "program transition --sold 800m --sold-duration 650 "
      "--start 2025-06-02 --weekly 200m --weeks 4", "--sold-duration"),
    C("transition-cash-negative", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 300m --weeks 4", "--weekly", "cash would be taken negative"),
    C("transition-bridge-flips-short", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --buy 2025-06-09:700m:9", "--buy", "flip short"),
    C("transition-buy-before-sale", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --buy 2025-05-30:100m", "--buy", "before the sale"),
    C("transition-buy-bad-date", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --buy 2025-06-31:100m", "--buy", "June 2025 has 30 days"),
    C("transition-buy-no-amount", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --buy 2025-06-20", "--buy", "DATE:AMOUNT"),
    C("transition-buy-bad-duration", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --buy 2025-06-20:100m:x", "--buy"),
    C("transition-weeks-negative", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks -1", "--weeks"),
    C("transition-weeks-no-amount", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weeks 4", "--weekly"),
    C("transition-no-purchases", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02", "--buy"),
    C("transition-instrument-unknown", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4 --instrument XX", "--instrument", "XX"),
    C("transition-target-dv01-neg", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4 --target-dv01 -5", "--target-dv01"),
    C("transition-start-before-data", "program transition --sold 800m --sold-duration 6.5 "
      "--start 1985-06-03 --weekly 200m --weeks 4", "--start", "before"),
    C("transition-orders-dir", "program transition --sold 800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4 --orders {d}", "--orders", "directory",
      outputs=False),
    # ------------------------------------------------------------------ program equitize
    C("equitize-cash-negative", "program equitize --cash=-5m --duration 6", "--cash",
      "positive"),
    C("equitize-cash-text", "program equitize --cash plenty --duration 6", "--cash"),
    C("equitize-duration-zero", "program equitize --cash 500m --duration 0", "--duration"),
    C("equitize-duration-units", "program equitize --cash 500m --duration 600", "--duration"),
    C("equitize-contract-unknown", "program equitize --cash 500m --duration 6 --contract XX",
      "--contract", "XX"),
    C("equitize-contract-expired", "program equitize --cash 500m --duration 6 --contract ZNH25 "
      "--asof 2025-07-11", "--contract", "expired"),
    C("equitize-asof-month13", "program equitize --cash 500m --duration 6 --asof 2025-13-01",
      "--asof", "month 13"),
    C("equitize-horizon-zero", "program equitize --cash 500m --duration 6 --horizon-days 0",
      "--horizon-days"),
    C("equitize-repo-bp", "program equitize --cash 500m --duration 6 --repo 430", "--repo"),
    C("equitize-futures-price", "program equitize --cash 500m --duration 6 --futures-price x",
      "--futures-price"),
    C("program-unknown", "program transfer", "transfer", "invalid choice", outputs=False),
    # ------------------------------------------------------------------ scenarios
    C("scenarios-set-missing", "scenarios --set {d}/s.csv", "{d}/s.csv", "not found"),
    C("scenarios-set-missing-col", "scenarios --set {d}/s.csv", "{d}/s.csv", "shift_bp",
      files={"s.csv": "scenario,sector,tenor\nup,*,*\n"}),
    C("scenarios-set-unknown-sector", "scenarios --set {d}/s.csv --no-replays "
      "--daily-window none", "{d}/s.csv", "row 3", "column 'sector'", "Muni",
      "Treasury, Agency, Corporate", files={"s.csv": "scenario,sector,tenor,shift_bp\n"
                                           "up,Treasury,*,10\nup,Muni,*,25\n"}),
    C("scenarios-set-bad-shift", "scenarios --set {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'shift_bp'", files={"s.csv": "scenario,sector,tenor,shift_bp\nup,*,*,ten\n"}),
    C("scenarios-set-shift-percent", "scenarios --set {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'shift_bp'", files={"s.csv": "scenario,sector,tenor,shift_bp\nup,*,*,5000\n"}),
    C("scenarios-set-bad-tenor", "scenarios --set {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'tenor'", files={"s.csv": "scenario,sector,tenor,shift_bp\nup,*,10X,5\n"}),
    C("scenarios-set-blank-name", "scenarios --set {d}/s.csv", "{d}/s.csv", "row 2",
      "column 'scenario'", files={"s.csv": "scenario,sector,tenor,shift_bp\n,*,*,5\n"}),
    C("scenarios-set-duplicate", "scenarios --set {d}/s.csv", "{d}/s.csv", "row 3",
      files={"s.csv": "scenario,sector,tenor,shift_bp\nup,*,*,5\nup,*,*,6\n"}),
    C("scenarios-set-empty", "scenarios --set {d}/s.csv", "{d}/s.csv",
      files={"s.csv": "scenario,sector,tenor,shift_bp\n"}),
    C("scenarios-positions-orders", "scenarios --positions {d}/o.csv", "{d}/o.csv", "row 1",
      "column 'side'", "orders file", files={"o.csv": "contract,side,quantity\nZNU5,BUY,10\n"}),
    C("scenarios-positions-bad", "scenarios --positions {d}/p.csv", "{d}/p.csv", "row 2",
      "column 'contracts'", files={"p.csv": "contract,contracts\nZNU5,ten\n"}),
    C("transition-sold-dash", "program transition --sold -800m --sold-duration 6.5 "
      "--start 2025-06-02 --weekly 200m --weeks 4", "--sold", "positive"),
    C("scenarios-daily-window", "scenarios --daily-window forever", "--daily-window"),
    *flags_cases("scenarios"),
    # ------------------------------------------------------------------ frontier
    C("frontier-budgets-negative", "frontier --budgets -1,2e6", "--budgets", "'-1'", "positive"),
    C("frontier-budgets-text", "frontier --budgets abc", "--budgets"),
    C("frontier-budgets-empty", "frontier --budgets ,", "--budgets"),
    C("frontier-csv-dir", "frontier --csv {d}", "--csv", "directory", outputs=False),
    *flags_cases("frontier"),
    # ------------------------------------------------------------------ hedge shared flags
    *flags_cases("hedge"),
    # ------------------------------------------------------------------ backtest
    C("backtest-start-month13", "backtest --start 2025-13-01", "--start", "month 13"),
    C("backtest-end-before-start", "backtest --start 2024-06-03 --end 2024-01-02", "--start",
      "before"),
    C("backtest-start-before-data", "backtest --start 1970-01-02", "--start", "before"),
    C("backtest-end-future", "backtest --start 2024-01-02 --end 2031-01-02", "--end", "after"),
    C("backtest-workers-zero", "backtest --workers 0", "--workers"),
    C("backtest-time-limit", "backtest --time-limit -1", "--time-limit"),
    C("backtest-window", "backtest --window 3x", "--window"),
    C("backtest-sectors-unknown", "backtest --sectors Muni --start 2025-01-02", "--sectors",
      "Muni", "Treasury, Agency, Corporate"),
    C("backtest-rebalance-choice", "backtest --rebalance daily", "--rebalance",
      "invalid choice"),
    C("backtest-mandate-missing", "backtest --mandate {d}/x.toml --start 2025-01-02",
      "{d}/x.toml", "not found"),
    C("backtest-report-dir", "backtest --report {d}", "--report", "directory"),
    # ------------------------------------------------------------------ one file kind for another
    C("kind-holdings-as-positions", f"rebalance --positions {DATA / 'portfolios' / 'default.csv'}",
      "default.csv", "row 1", "column 'contract'"),
    C("kind-positions-as-holdings", f"analyze --portfolio {POS}", "overlay_2025-07.csv",
      "row 1"),
    C("kind-mandate-as-holdings", f"hedge --portfolio {DATA / 'mandates' / 'default.toml'}",
      "default.toml", "unsupported"),
    C("kind-holdings-as-mandate", f"hedge --mandate {DATA / 'portfolios' / 'default.csv'}",
      "default.csv", "TOML"),
    C("kind-positions-as-scenarios", f"scenarios --set {POS}", "overlay_2025-07.csv",
      "column 'scenario'"),
    C("kind-orders-as-prices", "rebalance --positions {d}/p.csv --prices {d}/o.csv",
      "{d}/o.csv", "row 2", "column 'price'", files={
          "p.csv": "contract,contracts\nZNU5,-10\n",
          "o.csv": "contract,side,quantity,price\nZNU5,SELL,10,\n"}),
    # ------------------------------------------------------------------ batch manifests
    C("manifest-missing", "batch {d}/nope.csv", "{d}/nope.csv", "not found"),
    C("manifest-directory", "batch {d}", "{d}", "directory"),
    C("manifest-empty", "batch {d}/m.csv", "{d}/m.csv", "empty", files={"m.csv": ""}),
    C("manifest-header-only", "batch {d}/m.csv", "{d}/m.csv", "row 2", "no data rows",
      files={"m.csv": MANIFEST_HEADER}),
    C("manifest-missing-column", "batch {d}/m.csv", "{d}/m.csv", "row 1", "column 'mandate'",
      files={"m.csv": "account,holdings\nacct1,h.csv\n"}),
    C("manifest-blank-account", "batch {d}/m.csv", "{d}/m.csv", "row 3", "column 'account'",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW + ",h.csv,m.toml\n"}),
    C("manifest-unsafe-account", "batch {d}/m.csv", "{d}/m.csv", "row 2", "column 'account'",
      files={"m.csv": MANIFEST_HEADER + "../etc,h.csv,m.toml\n"}),
    C("manifest-duplicate-account", "batch {d}/m.csv", "{d}/m.csv", "row 3",
      "column 'account'", "twice", files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW +
                                           MANIFEST_ROW.replace("acct1", "ACCT1")}),
    C("manifest-blank-holdings", "batch {d}/m.csv", "{d}/m.csv", "row 2", "column 'holdings'",
      files={"m.csv": MANIFEST_HEADER + "acct1,,m.toml\n"}),
    C("manifest-repeated-header", "batch {d}/m.csv", "{d}/m.csv", "row 1", "column 'account'",
      files={"m.csv": "account,account,holdings,mandate\na,b,h.csv,m.toml\n"}),
    C("manifest-ragged", "batch {d}/m.csv", "{d}/m.csv", "row 3", files={
        "m.csv": MANIFEST_HEADER + MANIFEST_ROW + "acct2,h.csv,m.toml,extra,more\n"}),
    C("batch-asof", "batch {d}/m.csv --asof 2025-13-01", "--asof", "month 13",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW}),
    C("batch-time-limit", "batch {d}/m.csv --time-limit 0", "--time-limit",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW}),
    C("batch-window", "batch {d}/m.csv --window 3x", "--window",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW}),
    C("batch-workers", "batch {d}/m.csv --workers 0", "--workers",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW}),
    C("batch-out-is-a-file", "batch {d}/m.csv --out {d}/m.csv", "--out", "folder",
      files={"m.csv": MANIFEST_HEADER + MANIFEST_ROW}, outputs=False),
    # ------------------------------------------------------------------ examples
    C("examples-unknown", "examples nonsense", "nonsense"),
    C("examples-extra-arg", "examples duration_reduction extra", "extra", outputs=False),
]


def _prepare(case: Case, tmp_path: Path) -> tuple[list[str], Path]:
    d, o = tmp_path, tmp_path / "out"
    for name, text in case.files.items():
        p = d / name
        p.write_bytes(text.encode("utf-8", "surrogateescape"))
    words = case.argv.split()
    verb = words[1] if words[0] == "program" and len(words) > 1 else words[0]
    extra = OUTPUTS.get(verb, []) if case.outputs else []
    argv = shlex.split(case.argv.format(d=d, o=o)) + [a.format(d=d, o=o) for a in extra]
    return argv, o


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys) -> None:
    argv, out_dir = _prepare(case, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(argv)
    cap = capsys.readouterr()
    err = cap.err
    assert code == case.code, f"exit {code}, expected {case.code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert cap.out == "", f"stdout should be empty on error, got:\n{cap.out[:500]}"
    for word in case.must:
        assert word.format(d=tmp_path, o=out_dir) in err, f"{word!r} not in:\n{err}"
    assert err.count("error:") == (1 if case.code == 2 else 0), err
    assert not out_dir.exists(), "an output was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a file was written"


def test_at_least_150_cases_covering_every_verb_and_file_kind():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"
    verbs = {c.argv.split()[0] for c in CASES}
    assert verbs >= {"analyze", "basket", "betas", "hedge", "rebalance", "program", "scenarios",
                     "frontier", "backtest", "examples", "batch"}
    kinds = {c.id.split("-")[0] for c in CASES}
    assert kinds >= {"holdings", "mandate", "margins", "history", "rebalance", "scenarios",
                     "transition", "equitize", "manifest"}


# A few as real processes: the installed entry point, exit status and stderr as a user sees them.
SUBPROCESS = ["hedge-asof-month13", "hedge-report-is-dir", "rebalance-orders-as-positions",
              "mandate-bounds-min-above-max", "transition-cash-negative"]


@pytest.mark.parametrize("case_id", SUBPROCESS)
def test_bad_input_in_a_subprocess(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    argv, out_dir = _prepare(case, tmp_path)
    r = subprocess.run([sys.executable, "-m", "optimizer.cli", *argv], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == case.code, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    for word in case.must:
        assert word.format(d=tmp_path, o=out_dir) in r.stderr, r.stderr
    assert not out_dir.exists()
