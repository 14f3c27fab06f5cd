"""futures-overlay from Python: the daily loop on the bundled data (run: python docs/api_example.py).

1. hedge the bundled portfolio under a mandate (here: the default mandate with a $14M margin
   budget), keep the positions (the positions format: contract, contracts, sector);
2. the same day, rebalance with those positions: nothing to trade;
3. scenario P&L of the hedge you hold (the mandate defines the hedged item);
4. the tracking-error price of margin (a few points of the frontier).

Every result has ``to_dict()`` (the verb's ``--json``) and ``to_frame()``. The test suite runs
this file (tests/test_api.py).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from optimizer import frontier, hedge, load_mandate, rebalance, scenarios


def main(out_dir: Path) -> dict:
    asof = "2025-07-11"
    mandate = replace(load_mandate(), margin_budget_usd=14e6)     # a Mandate, edited in code

    # 1. the hedge: DataFrames (or paths) in, a typed result out
    h = hedge(None, mandate, asof)                                # None = bundled portfolio
    print(f"hedge {h.status}: {h.contracts}")
    doc = h.to_dict()
    te = doc["tracking_error"]
    print(f"tracking error ${te['before_usd']:,.0f} -> ${te['after_usd']:,.0f} per year; "
          f"margin ${doc['margin']['initial']:,.0f} of ${doc['margin']['budget']:,.0f}")
    positions = h.to_frame()                                      # contract, contracts, sector
    path = out_dir / "positions.csv"
    positions.to_csv(path, index=False)

    # 2. the same day: the book held is inside the mandate -> no trade
    r = rebalance(positions, None, mandate, asof)                  # a frame or the file
    print(f"rebalance: {r.decision} ({len(r.to_frame())} orders)")

    # 3. scenarios of the positions held (built-in shocks; no replays, to keep this quick)
    s = scenarios(None, mandate, asof, positions=positions, replays=False, daily_window=None)
    worst = min(s.summary(), key=lambda row: row["net_pnl"])
    print(f"worst scenario: {worst['scenario']}: net ${worst['net_pnl']:,.0f}, "
          f"effectiveness {worst['effectiveness']:.0%}; attribution {worst['attribution']}")

    # 4. what more margin buys
    f = frontier(None, mandate, asof, budgets=[12e6, 14e6, 18e6])
    print(f.to_frame()[["margin_budget_usd", "status", "tracking_error_usd"]].to_string(
        index=False))
    return {"hedge": doc, "rebalance": r.to_dict(), "scenarios": s.to_dict(),
            "frontier": f.to_dict()}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp))
