"""QuantLib as an independent oracle (test-only): a Treasury curve bootstrapped by QuantLib from
the same par yields, used to check curve DV01s of bonds and forward DV01s of futures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import QuantLib as ql

from data import loaders


def qd(t) -> ql.Date:
    t = pd.Timestamp(t)
    return ql.Date(t.day, t.month, t.year)


def treasury_curve(par: pd.Series, settle: ql.Date, bump_bp: float = 0.0):
    """Bills as simple-rate deposits, semiannual par bonds every half-year from 1Y (par yields
    interpolated linearly in tenor), log-linear discount factors on real dates; every par yield
    moved by ``bump_bp``."""
    ty = np.array([loaders.tenor_to_years(k) for k in par.index])
    y = par.to_numpy() + bump_bp * 1e-4
    helpers = []
    for t, r in zip(ty, y, strict=True):
        if t < 1 and abs(t * 12 - round(t * 12)) < 1e-9:
            helpers.append(ql.DepositRateHelper(
                ql.QuoteHandle(ql.SimpleQuote(float(r))), ql.Period(int(round(t * 12)), ql.Months),
                0, ql.NullCalendar(), ql.Unadjusted, False, ql.Actual365Fixed()))
    cpn = ty >= 1 - 1e-9
    for k in range(2, 61):
        sch = ql.Schedule(settle, settle + ql.Period(6 * k, ql.Months), ql.Period(ql.Semiannual),
                          ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted,
                          ql.DateGeneration.Backward, False)
        helpers.append(ql.FixedRateBondHelper(
            ql.QuoteHandle(ql.SimpleQuote(100.0)), 0, 100.0, sch,
            [float(np.interp(0.5 * k, ty[cpn], y[cpn]))],
            ql.ActualActual(ql.ActualActual.ISMA, sch)))
    c = ql.PiecewiseLogLinearDiscount(settle, helpers, ql.Actual365Fixed())
    c.enableExtrapolation()
    return c


def bullet(maturity, coupon_dec: float, day_count=None) -> ql.FixedRateBond:
    """A semiannual bullet (regular schedule back from maturity), Act/Act ICMA by default."""
    m = qd(maturity)
    sch = ql.Schedule(m - ql.Period(31, ql.Years), m, ql.Period(ql.Semiannual), ql.NullCalendar(),
                      ql.Unadjusted, ql.Unadjusted, ql.DateGeneration.Backward, True)
    dc = day_count or ql.ActualActual(ql.ActualActual.ISMA, sch)
    return ql.FixedRateBond(0, 100.0, sch, [float(coupon_dec)], dc)
