"""The duration-matched Treasury driver: the vectorized interpolation equals a plain per-day
``np.interp`` over the tenors quoted that day (days with holes in the curve included)."""

import numpy as np
import pytest

from models.betas import TENOR_YEARS, par_curve_history_pct, treasury_par_at


def _per_day_reference(tenor_years: float) -> np.ndarray:
    hist = par_curve_history_pct()
    t = np.array([TENOR_YEARS[c] for c in hist.columns])
    out = np.full(len(hist), np.nan)
    for k, row in enumerate(hist.to_numpy()):
        ok = np.isfinite(row)
        if ok.sum() >= 2:
            out[k] = np.interp(tenor_years, t[ok], row[ok])
    return out


@pytest.mark.parametrize("tenor", [0.05, 0.25, 1.5, 3.5, 7.0, 19.5, 25.0, 30.0, 35.0])
def test_vectorized_driver_equals_per_day_interp(tenor):
    got = treasury_par_at(tenor).to_numpy()
    ref = _per_day_reference(tenor)
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    assert np.nanmax(np.abs(got - ref)) < 1e-12


def test_history_has_days_with_missing_tenors():
    # the case the vectorization must get right (20Y absent 1987-93, 30Y absent 2002-06)
    hist = par_curve_history_pct()
    assert (hist.isna().any(axis=1) & (hist.notna().sum(axis=1) >= 2)).sum() > 1000
