"""Hedge instruments in the backtest: what one contract earns per day, modelled and (where
market prices exist) marked to market, and the roll before first notice.

* **Treasury futures (modelled)**: the CTD chosen by the full basket analysis on the rebalance
  date is held fixed through the period; each day its full price off that day's curve (zero
  spread, as in the basket analysis) is carried to the delivery date at that day's term repo,
  minus coupons paid before delivery (with repo interest) and accrued at delivery, divided by its
  conversion factor. On the rebalance date this *is* the basket's theoretical price.
* **Treasury futures (market)**: the settlement change of that very contract where the
  validation data quote it (``market.MarketFutures``), else the modelled change.
* **Swap futures**: full revaluation at the day's par swap rate (``market.SwapRates``: ISDAFIX
  where present, else the Treasury-plus-held-spread proxy): the classic contract by its CBOT
  formula, the SOFR swap future as 100 + NPV of receiving its fixed rate (annual, flat curve).
* **Rolls**: a position is rolled 1:1 into the next contract at the close of the first valuation
  day inside the roll window (``models.instruments.DEFAULT_ROLL_DAYS`` business days before first
  notice for Treasury futures, before the third Wednesday for swap futures), so no Treasury
  contract is ever held on its first notice day. Each contract traded, rolls included, pays half
  the bid-ask spread, taken as half a tick (``half_spread_usd``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from models.bonds import accrued_interest, cashflows, make_bonds
from optimizer.workflows.backtest.market import CurveBook, MarketFutures, SwapRates, repo_series
from optimizer.workflows.backtest.portfolio import _price_at


@dataclass
class FutureLeg:
    """One contract over (part of) a holding period: enough to value it every day."""

    contract: str
    root: str
    kind: str
    dv01: float
    initial_margin: float
    notional: float
    size: float = 100_000.0
    half_spread_usd: float = 0.0
    ctd: dict | None = None           # Treasury: cusip, coupon_pct, maturity, dated_date, cf,
    #                                   delivery
    tenor_years: float | None = None  # swap futures
    fixed_rate: float | None = None   # SOFR swap future coupon (decimal)
    price0: float = float("nan")
    roll_from: pd.Timestamp | None = None   # first day of the roll window
    next: FutureLeg | None = field(default=None, repr=False)   # the contract rolled into
    close_at_roll: bool = False   # no next contract could be built: closed on the roll day

    def describe(self) -> dict:
        d = {"contract": self.contract, "root": self.root, "kind": self.kind, "dv01": self.dv01,
             "initial_margin": self.initial_margin, "notional": self.notional}
        if self.ctd:
            d["ctd"] = {"cusip": self.ctd["cusip"], "coupon_pct": self.ctd["coupon_pct"],
                        "maturity": self.ctd["maturity"].strftime("%Y-%m-%d"),
                        "delivery": self.ctd["delivery"].strftime("%Y-%m-%d")}
        return d


def half_spread(root: str) -> float:
    """Half the bid-ask spread per contract (USD): half a minimum tick (data/contracts)."""
    from models.instruments import contract_terms

    return contract_terms(root).half_tick_usd


def roll_window_start(contract: str, kind: str, asof) -> pd.Timestamp:
    """First day of the roll window of a contract traded on ``asof`` (the contract protocol's
    one rule, :meth:`models.instruments.ContractBase.roll_start`)."""
    from models.instruments import contract as contract_of

    return contract_of(contract, asof).roll_start()


def treasury_leg(contract: str, asof) -> FutureLeg:
    """Full basket analysis on ``asof`` -> the CTD description used for the period (a fresh
    copy of a per-process cache: the same contract and date are analysed once)."""
    from copy import copy

    return copy(_treasury_leg(contract, pd.Timestamp(asof).normalize()))


@cache
def _treasury_leg(contract: str, asof: pd.Timestamp) -> FutureLeg:
    from data.loaders import security_master
    from models.futures import basket_analysis
    from models.instruments import contract as contract_of

    repo = float(repo_series(pd.DatetimeIndex([asof]))[0])
    a = basket_analysis(contract, asof, repo=repo, key_tenors=(), shifts_bp=())
    ctd = a.ctd
    sm = security_master(True).set_index("cusip")
    dated = sm.loc[ctd["cusip"], "dated_date"] if ctd["cusip"] in sm.index else pd.NaT
    c = contract_of(a.contract, asof)
    root = c.root
    return FutureLeg(
        contract=a.contract, root=root, kind=c.kind, dv01=a.dv01_usd,
        initial_margin=0.0, notional=c.value_usd(a.futures_price),
        size=c.point_value_usd * 100.0, half_spread_usd=half_spread(root),
        ctd={"cusip": str(ctd["cusip"]), "coupon_pct": float(ctd["coupon"]),
             "maturity": pd.Timestamp(ctd["maturity"]),
             "dated_date": pd.Timestamp(dated) if pd.notna(dated) else None,
             "cf": float(ctd["conversion_factor"]), "delivery": pd.Timestamp(a.delivery_date)},
        price0=a.futures_price, roll_from=roll_window_start(a.contract, "treasury_future", asof))


# ------------------------------------------------------------------------------- pricing
class _CtdPricer:
    """CTD-forward futures price off any curve, settlement day and repo."""

    def __init__(self, leg: FutureLeg, first_settle: pd.Timestamp) -> None:
        c = leg.ctd
        dated = None if c["dated_date"] is None else [c["dated_date"]]
        b = make_bonds([c["maturity"]], c["coupon_pct"] / 100.0, 2, "UST", dated_date=dated)
        cf = cashflows(b, first_settle)
        self.fdays = cf.dates.astype("datetime64[D]").astype(np.int64)
        self.amt = np.where(cf.mask, cf.amounts_per100, 0.0)
        self.mask = cf.mask
        self.deliv = np.datetime64(c["delivery"].date(), "D").astype(np.int64)
        self.ai_del = float(accrued_interest(b, c["delivery"])[0])
        self.cf = c["cf"]
        self.zero = np.zeros(1)

    def __call__(self, curve, sd: int, repo: float) -> float:
        full = float(_price_at(curve, sd, self.fdays, self.amt, self.mask, self.zero)[0])
        paid = self.mask[0] & (self.fdays[0] > sd) & (self.fdays[0] <= self.deliv)
        tau = (self.deliv - self.fdays[0][paid]) / 360.0
        n = (self.deliv - sd) / 360.0
        fwd_full = full * (1 + repo * n) - (self.amt[0][paid] * (1 + repo * tau)).sum()
        return (fwd_full - self.ai_del) / self.cf


def _settle_day(curves: CurveBook, d: pd.Timestamp) -> int:
    return int(np.datetime64(curves[d].settle.date(), "D").astype(np.int64))


def treasury_prices(leg: FutureLeg, days: Sequence[pd.Timestamp], curves: CurveBook,
                    repo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Modelled futures price per day, its day-on-day change (both days on common tenors) and
    the carry part of that change (today's settlement priced off yesterday's curve and repo
    minus yesterday's price: the drift of the futures price with an unchanged market)."""
    pr = _CtdPricer(leg, curves[days[0]].settle)
    sd = [_settle_day(curves, d) for d in days]
    level = np.array([pr(curves[d], s, r) for d, s, r in zip(days, sd, repo, strict=True)])
    ch = np.empty(len(days) - 1)
    carry = np.empty(len(days) - 1)
    for k in range(1, len(days)):
        c0, c1 = curves.pair(days[k - 1], days[k])
        if c1 is curves[days[k]]:
            ch[k - 1] = level[k] - level[k - 1]
            p0 = level[k - 1]
        else:
            p0 = pr(c0, sd[k - 1], repo[k - 1])
            ch[k - 1] = pr(c1, sd[k], repo[k]) - p0
        carry[k - 1] = pr(c0, sd[k], repo[k - 1]) - p0
    return level, ch, carry


def swap_future_value(leg: FutureLeg, rate_dec: np.ndarray) -> np.ndarray:
    """USD value of one contract at par swap rate(s) ``rate_dec`` (see module docstring)."""
    from models.swap_futures import classic_price

    r = np.asarray(rate_dec, dtype=float)
    T = float(leg.tenor_years or 10.0)
    if leg.kind == "classic_swap_future":
        return np.asarray(classic_price(r * 100.0, T), dtype=float)
    k = float(leg.fixed_rate if leg.fixed_rate is not None else np.round(r[0] * 400) / 400)
    n = int(round(T))
    j = np.arange(1, n + 1)
    v = (1.0 + r[:, None]) ** (-j[None, :])
    npv_per100 = 100.0 * (k * v.sum(axis=1) - (1.0 - v[:, -1]))
    return leg.size * (100.0 + npv_per100) / 100.0


@dataclass
class LegPnl:
    """USD per contract held long, per day of a period (len(days) - 1), and what marked it."""

    model: np.ndarray
    market: np.ndarray            # market-marked where possible, else = model
    carry: np.ndarray             # modelled drift with an unchanged market (part of both)
    marked: np.ndarray            # bool: the market value was used
    contracts: list[str]          # contract held on each day (after a roll: the next one)


def _segment(leg: FutureLeg, days, curves, repo, swaps: SwapRates,
             market: MarketFutures | None) -> LegPnl:
    n = len(days) - 1
    if leg.kind == "treasury_future":
        _, ch, carry = treasury_prices(leg, days, curves, repo)
        model = ch * leg.size / 100.0
        carry = carry * leg.size / 100.0
        mkt = np.full(n, np.nan)
        if market is not None:
            mkt = market.changes(leg.contract, leg.root, days) * leg.size / 100.0
    else:
        r, obs = swaps.rates(days, float(leg.tenor_years or 10.0))
        model = np.diff(swap_future_value(leg, r))
        mkt = np.where(obs[1:] & obs[:-1], model, np.nan)
        carry = np.zeros(n)   # the value at a constant swap rate does not drift
    marked = np.isfinite(mkt)
    return LegPnl(model, np.where(marked, mkt, model), carry, marked, [leg.contract] * n)


def leg_pnl(leg: FutureLeg, days: Sequence[pd.Timestamp], curves: CurveBook, repo: np.ndarray,
            swaps: SwapRates, market: MarketFutures | None = None) -> LegPnl:
    """Per-contract P&L over a holding period, rolled into ``leg.next`` at the close of the first
    day inside the roll window."""
    days = pd.DatetimeIndex(days)
    roll = ((leg.next is not None or leg.close_at_roll) and leg.roll_from is not None
            and leg.roll_from <= days[-1])
    if not roll:
        return _segment(leg, days, curves, repo, swaps, market)
    k = int(np.searchsorted(days, leg.roll_from))   # the roll day: first day >= roll_from
    if k == 0 and leg.next is not None:
        return leg_pnl(leg.next, days, curves, repo, swaps, market)
    a = _segment(leg, days[: k + 1], curves, repo[: k + 1], swaps, market)
    if k == len(days) - 1:
        return a
    if leg.next is None:   # closed on the roll day: flat until the next rebalance
        n = len(days) - 1 - k
        return LegPnl(np.r_[a.model, np.zeros(n)], np.r_[a.market, np.zeros(n)],
                      np.r_[a.carry, np.zeros(n)], np.r_[a.marked, np.zeros(n, bool)],
                      a.contracts + [""] * n)
    b = leg_pnl(leg.next, days[k:], curves, repo[k:], swaps, market)
    return LegPnl(np.r_[a.model, b.model], np.r_[a.market, b.market], np.r_[a.carry, b.carry],
                  np.r_[a.marked, b.marked], a.contracts + b.contracts)


def rolls_in_period(leg: FutureLeg, days: Sequence[pd.Timestamp]) -> list[tuple[pd.Timestamp,
                                                                             str, str]]:
    """(roll day, from contract, to contract) for each roll inside the period ('' as the
    to-contract: the position was closed, no next contract could be built)."""
    out = []
    cur = leg
    while ((cur.next is not None or cur.close_at_roll) and cur.roll_from is not None
           and cur.roll_from <= days[-1]):
        k = int(np.searchsorted(pd.DatetimeIndex(days), cur.roll_from))
        if k >= len(days) - 1:
            break   # the roll falls on the period's last day: the next rebalance trades it
        out.append((pd.DatetimeIndex(days)[k], cur.contract,
                    cur.next.contract if cur.next is not None else ""))
        if cur.next is None:
            break
        cur = cur.next
    return out
