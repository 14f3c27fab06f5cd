"""US government-securities business days (SIFMA US recommendation calendar).

We use ``pandas_market_calendars``' ``SIFMA_US`` calendar: it is maintained, encodes SIFMA's
recommended full closes for the US bond market (Good Friday, Columbus and Veterans Day included,
which an equity calendar lacks), and is the calendar CME's Treasury futures delivery rules refer
to. Early closes do not matter for settlement and are ignored.

The library lacks a few unscheduled closures on which Treasury published no par curve; we add
them (``SPECIAL_CLOSURES``) so the calendar matches the bundled data. The remaining difference is
six Good Fridays (1996, 1999, 2007, 2010, 2012, 2015) when SIFMA recommended only an early close
because payrolls were released: the library treats them as holidays, Treasury published a curve.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pandas_market_calendars as mcal

_START, _END = "1975-01-01", "2075-12-31"

#: Unscheduled full closes missing from SIFMA_US (Nixon funeral, 9/11, Reagan funeral,
#: Hurricane Sandy, G.H.W. Bush funeral), each a day with no Treasury par-curve publication.
SPECIAL_CLOSURES = ("1994-04-27", "2001-09-11", "2001-09-12", "2004-06-11", "2012-10-30",
                    "2018-12-05")


@lru_cache(maxsize=1)
def _busdays() -> np.ndarray:
    cal = mcal.get_calendar("SIFMA_US")
    days = cal.valid_days(_START, _END)
    return days.tz_localize(None).normalize().values.astype("datetime64[D]")


@lru_cache(maxsize=1)
def _holidays() -> np.ndarray:
    all_weekdays = pd.bdate_range(_START, _END).values.astype("datetime64[D]")
    special = np.array(SPECIAL_CLOSURES, dtype="datetime64[D]")
    return np.union1d(np.setdiff1d(all_weekdays, _busdays()), special)


def busdaycalendar() -> np.busdaycalendar:
    """A numpy business-day calendar (weekends + SIFMA US holidays) for vectorized offsets."""
    return np.busdaycalendar(holidays=_holidays())


@lru_cache(maxsize=1)
def _npcal() -> np.busdaycalendar:
    return busdaycalendar()


def is_business_day(d) -> bool:
    return bool(np.is_busday(np.datetime64(pd.Timestamp(d).date(), "D"), busdaycal=_npcal()))


def add_business_days(d, n: int) -> pd.Timestamp:
    """``d`` moved by ``n`` business days (n=0 rolls forward to a business day)."""
    day = np.datetime64(pd.Timestamp(d).date(), "D")
    roll = "forward" if n >= 0 else "backward"
    return pd.Timestamp(np.busday_offset(day, n, roll=roll, busdaycal=_npcal()))


def previous_business_day(d) -> pd.Timestamp:
    """The last business day strictly before ``d``."""
    day = np.datetime64(pd.Timestamp(d).date(), "D")
    # roll forward first, then step back one: correct whether or not d is itself a business day
    return pd.Timestamp(np.busday_offset(day, -1, roll="forward", busdaycal=_npcal()))


def business_days_between(start, end) -> pd.DatetimeIndex:
    """Business days in [start, end]."""
    a = np.datetime64(pd.Timestamp(start).date(), "D")
    b = np.datetime64(pd.Timestamp(end).date(), "D") + 1
    days = np.arange(a, b, dtype="datetime64[D]")
    return pd.DatetimeIndex(days[np.is_busday(days, busdaycal=_npcal())])


def third_wednesday(year: int, month: int) -> pd.Timestamp:
    """The IMM date of a month: its third Wednesday (SR3 reference quarters, swap-future
    effective dates). The one definition in the code base."""
    first = pd.Timestamp(year=year, month=month, day=1)
    return first + pd.Timedelta(days=(2 - first.weekday()) % 7 + 14)


def settlement_date(trade_date, lag_days: int = 1) -> pd.Timestamp:
    """T+lag settlement (Treasuries T+1, corporates T+1 since May 2024) on the bond calendar."""
    t = add_business_days(trade_date, 0)
    return add_business_days(t, lag_days)
