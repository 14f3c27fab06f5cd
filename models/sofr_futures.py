"""Three-Month SOFR futures: the old import path, kept while callers move to
:mod:`models.instruments` (see :mod:`models.instruments.sofr`)."""

from models.calendar import third_wednesday
from models.instruments.sofr import (
    FRONT_KEYS,
    SofrFuture,
    SofrFutureRisk,
    key_rate_weights,
    sr3_price,
    sr3_rate_pct,
    sr3_risk,
)

__all__ = ["FRONT_KEYS", "SofrFuture", "SofrFutureRisk", "key_rate_weights", "sr3_price",
           "sr3_rate_pct", "sr3_risk", "third_wednesday"]
