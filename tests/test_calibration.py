"""The risk-model calibration's choice rule and its walk-forward use of the spread estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import benchmarks.calibrate_risk as C
from benchmarks.estimate_risk_params import KEYS, spread_estimate


def test_choice_is_most_books_in_band_then_lowest_qlike():
    """Market-marked rows where a book has them, else modelled; 'a' is in band on 2 of 2 books
    (QLIKE 10), 'b' on 1 (QLIKE 1), 'c' on 2 (QLIKE 9): c wins."""
    rows = []
    for cand, biases, q in (("a", (1.0, 1.1), 10.0), ("b", (1.0, 2.0), 1.0),
                            ("c", (0.9, 1.2), 9.0)):
        rows.append({"book": "x", "candidate": cand, "pricing": "market",
                     "bias_period": biases[0], "qlike": q})
        rows.append({"book": "x", "candidate": cand, "pricing": "model",   # ignored: x marked
                     "bias_period": 5.0, "qlike": 0.0})
        rows.append({"book": "y", "candidate": cand, "pricing": "model",
                     "bias_period": biases[1], "qlike": q})
    best = C.choose(pd.DataFrame(rows))
    assert best.name == "c" and best["in_band"] == 1.0 and best["qlike"] == 9.0


def _levels(n=1500, seed=1):
    idx = pd.bdate_range("2014-01-01", periods=n)
    rng = np.random.default_rng(seed)
    lv = pd.DataFrame(3 + np.cumsum(rng.normal(0, 0.05, (n, len(KEYS))), axis=0), index=idx,
                      columns=KEYS)
    return lv.assign(oas=1.5 + np.cumsum(rng.normal(0, 0.03, n)))


@pytest.mark.parametrize("cadence, date, est_date", [
    ("monthly", "2019-03-01", "2019-02-28"), ("monthly", "2019-05-31", "2019-05-31"),
    ("yearly", "2019-03-01", "2018-12-31")])
def test_spread_candidate_uses_the_estimate_shipped_before_the_date(cadence, date, est_date):
    C._SPREAD_CACHE.clear()
    lv = _levels()
    s = C.SpreadSpec(21, None, 3, cadence)
    got = C.spread_params(pd.Timestamp(date), s, lv)
    want = spread_estimate(lv, pd.Timestamp(est_date), 21, None, 3)
    assert got["vol_bp_annual"] == pytest.approx(want["vol_bp_annual"])
    later = spread_estimate(lv, pd.Timestamp(date) + pd.Timedelta(days=40), 21, None, 3)
    assert got["vol_bp_annual"] != pytest.approx(later["vol_bp_annual"])
