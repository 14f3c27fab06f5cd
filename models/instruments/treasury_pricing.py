"""Pricing a Treasury future off the curve: forwards, basis, implied repo, the delivery option,
CTD, theoretical price and the futures DV01 to desk convention (stateless functions; the product
is :class:`models.instruments.treasury.TreasuryFuture`).

Conventions (documented choices):

* Spot settlement T+1 on the bond calendar; accrued interest Act/Act ICMA (:mod:`models.bonds`).
  Deliverables are priced off the Treasury zero curve at a constant spread: zero, or fitted to
  given clean prices.
* Forward full price at delivery = full x (1 + R d/360) - each coupon paid before delivery x
  (1 + R d_i/360) (coupons reinvested at repo); forward clean = forward full - accrued at
  delivery. ``R`` is the term repo to delivery, ACT/360, default SOFR of the as-of date
  (before SOFR existed, 2018-04, the Treasury 1M/3M par yield, flagged).
* Implied repo = (invoice + coupons - full) / (full x d/360 - sum coupon_i x d_i/360), invoice =
  futures x CF + accrued at delivery: the repo at which the forward equals the invoice.
  Gross basis = clean - futures x CF; net basis = forward clean - futures x CF (32nds).
* **The delivery option** (timing): the short delivers on the day that makes delivery cheapest.
  For each issue, forward clean(last day) - forward clean(first day) = -(carry over the delivery
  window), carry = coupon income (accrued + coupons) - repo cost on the financed position; so
  with **negative carry** (repo above the issue's current yield) the short delivers on the
  **first** delivery day, with positive carry on the last. The theoretical futures price is the
  minimum of forward clean / CF over the basket *and* the two days; the day of that minimum is
  the delivery date, its issue the CTD, and the reason (the CTD's carry over the window, in
  price per 100) is reported. ``delivery="first"|"last"`` forces a day.
* CTD = the issue with the maximum implied repo at the futures price (given, or theoretical; at
  the theoretical price it is the issue of the minimum).
* **Futures DV01 (desk convention)** = CTD forward DV01 / CF, where the forward DV01 is the
  change of the forward clean price for a 1 bp fall of the Treasury par curve (re-bootstrapped,
  the CTD repriced at its constant spread) **with the term repo to delivery moving with the
  curve**: R keeps its spread to the curve's simple ACT/360 rate to the delivery date. Key-rate
  DV01s likewise (triangular par bumps; the repo moves with the bump's effect on the short end,
  so a long future carries a small negative loading on the first key tenor) and they sum to the
  DV01. This is the curve basis of holdings' DV01s. Two secondary figures, labelled: the
  repo-held forward DV01 (R fixed, = spot DV01 x (1 + R d/360)) and the **forward yield DV01**
  (modified duration x forward full price of the CTD for settlement on the delivery date, at its
  forward yield), the number vendor screens quote, for tying out.
* CTD after +-50 bp parallel shifts (repo moving along), re-picked on the chosen delivery date,
  with the DV01 there, so CTD switches are visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from data import loaders
from data.errors import InputError
from models import bonds as bm
from models import calendar as cal
from models.caching import KeyedCache
from models.contract_codes import ContractCode
from models.curves import DEFAULT_KEY_TENORS, FlowSet, ZeroCurve, curve_on
from models.instruments.treasury_rules import (
    ContractCalendar,
    contract_calendar,
    default_repo,
    deliverable_basket,
    notional_ctd,
    spec,
    treasury_code,
)

_ANALYSES: KeyedCache[BasketAnalysis] = KeyedCache("basket_analysis", maxsize=2048)


# ---------------------------------------------------------------------------------------------
# carry, forwards, implied repo (pure functions of prices)

def bonds_of(basket: pd.DataFrame) -> bm.Bonds:
    dated = None
    if "dated_date" in basket:
        dated = pd.to_datetime(basket["dated_date"]).to_numpy().astype("datetime64[D]")
    return bm.make_bonds(pd.to_datetime(basket["maturity_date"]).to_numpy().astype(
        "datetime64[D]"), basket["coupon_pct"].to_numpy(dtype=float) / 100.0,
        dated_date=dated)


def carry_terms(basket: pd.DataFrame, settle: object, delivery: object
                ) -> dict[str, np.ndarray]:
    """Accrued at settle and delivery, and coupons paid in (settle, delivery] with their
    ACT/360 year fractions to delivery (per 100 face)."""
    b = bonds_of(basket)
    settle_ts = pd.Timestamp(settle)
    delivery_ts = pd.Timestamp(delivery)
    cf = bm.cashflows(b, settle_ts)
    ai_deliv = bm.accrued_interest(b, delivery_ts)
    d_del = np.datetime64(delivery_ts.date(), "D")
    paid = cf.mask & (cf.dates <= d_del)
    coupon = np.where(paid, cf.amounts_per100, 0.0)
    # a redemption cannot fall before delivery for a deliverable issue; guard anyway
    coupon = np.where(paid & (cf.dates == b.maturity[:, None]), coupon - 100.0, coupon)
    tau = np.where(paid, np.asarray(d_del - cf.dates).astype("timedelta64[D]").astype(float)
                   / 360.0, 0.0)
    days = float((delivery_ts - settle_ts).days)
    return {"ai_settle": cf.accrued_per100, "ai_delivery": ai_deliv,
            "coupon": coupon.sum(axis=1), "coupon_x_tau": (coupon * tau).sum(axis=1),
            "coupon_fv_factor": coupon, "tau": tau, "days": np.full(len(b), days)}


def forward_clean_price(full_price: object, terms: dict[str, np.ndarray],
                        repo_dec: object) -> np.ndarray:
    """Forward clean price at delivery: full x (1 + r d/360) - coupons x (1 + r d_i/360)
    - accrued at delivery. ``full_price`` (n,) or (n, m) for m curves; ``repo_dec`` a number or
    (m,) (one repo per curve)."""
    full = np.asarray(full_price, dtype=float)
    r = np.asarray(repo_dec, dtype=float)
    if full.ndim == 2:
        col = {k: terms[k][:, None] for k in ("days", "coupon", "coupon_x_tau", "ai_delivery")}
    else:
        col = terms
    t = col["days"] / 360.0
    fwd_full = full * (1.0 + r * t) - (col["coupon"] + r * col["coupon_x_tau"])
    return np.asarray(fwd_full - col["ai_delivery"])


def implied_repo(full_price: object, cf: object, futures_price: float,
                 terms: dict[str, np.ndarray]) -> np.ndarray:
    """Implied repo (decimal, ACT/360) for delivering into the futures at ``futures_price``."""
    full = np.asarray(full_price, dtype=float)
    invoice = futures_price * np.asarray(cf, dtype=float) + terms["ai_delivery"]
    num = invoice + terms["coupon"] - full
    den = full * terms["days"] / 360.0 - terms["coupon_x_tau"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(den > 0, num / den, np.nan))


# ---------------------------------------------------------------------------------------------
# the delivery option

@dataclass(frozen=True)
class DeliveryChoice:
    """The delivery day the short picks and why (per 100 face of the CTD)."""

    mode: str                  # "first" | "last" (the option) or "forced:first|last"
    date: pd.Timestamp
    first_delivery_day: pd.Timestamp
    last_delivery_day: pd.Timestamp
    ctd_cusip: str
    income_per100: float       # accrued + coupons over the delivery window
    repo_cost_per100: float    # financing of the position over the window at repo
    carry_per100: float        # income - repo cost
    reason: str


def window_carry(full: np.ndarray, first: dict[str, np.ndarray], last: dict[str, np.ndarray],
                 repo_dec: float) -> tuple[np.ndarray, np.ndarray]:
    """(income, repo cost) per 100 of holding each issue from the first to the last delivery
    day: income = accrued(last) - accrued(first) + coupons in between; repo cost = the extra
    financing, full x R x window/360 less the repo earned on the window's coupons. Their
    difference is exactly forward clean(first) - forward clean(last)."""
    income = (last["ai_delivery"] - first["ai_delivery"]) + (last["coupon"] - first["coupon"])
    cost = repo_dec * (full * (last["days"] - first["days"]) / 360.0
                       - (last["coupon_x_tau"] - first["coupon_x_tau"]))
    return income, cost


def choose_delivery(full: np.ndarray, cfs: np.ndarray, cusips: Sequence[str],
                    first: dict[str, np.ndarray], last: dict[str, np.ndarray],
                    repo_dec: float, dates: ContractCalendar, forced: str | None = None
                    ) -> DeliveryChoice:
    """The cheapest (issue, day) to deliver at the repo rate (see module docstring)."""
    f_first = forward_clean_price(full, first, repo_dec) / cfs
    f_last = forward_clean_price(full, last, repo_dec) / cfs
    if forced is None:
        i_f, i_l = int(np.argmin(f_first)), int(np.argmin(f_last))
        use_first = f_first[i_f] < f_last[i_l]
        i = i_f if use_first else i_l
    else:
        use_first = forced == "first"
        i = int(np.argmin(f_first if use_first else f_last))
    income, cost = window_carry(full, first, last, repo_dec)
    carry = float(income[i] - cost[i])
    day = dates.first_delivery_day if use_first else dates.last_delivery_day
    window = (dates.last_delivery_day - dates.first_delivery_day).days
    if forced is not None:
        why = f"delivery on the {forced} delivery day (forced)"
    else:
        why = (f"the short delivers on the {'first' if use_first else 'last'} delivery day "
               f"{day.date()}: carry on CTD {cusips[i]} over the delivery window "
               f"({window} days to {dates.last_delivery_day.date()}) = coupon income "
               f"{income[i]:.4f} - repo cost {cost[i]:.4f} at {repo_dec * 100:.3f}% = "
               f"{carry:+.4f} per 100 ({'negative' if carry < 0 else 'positive'} carry)")
    return DeliveryChoice(
        mode=("forced:" + forced) if forced else ("first" if use_first else "last"), date=day,
        first_delivery_day=dates.first_delivery_day, last_delivery_day=dates.last_delivery_day,
        ctd_cusip=str(cusips[i]), income_per100=float(income[i]),
        repo_cost_per100=float(cost[i]), carry_per100=carry, reason=why)


# ---------------------------------------------------------------------------------------------
# the forward engine: every deliverable on many curves at once

class ForwardEngine:
    """Deliverables priced on the base curve and on bumped curves in one sparse product; the
    term repo to delivery keeps its spread to each curve's simple ACT/360 rate to delivery."""

    def __init__(self, zc: ZeroCurve, fs: FlowSet, spread: np.ndarray, terms: dict[str, np.ndarray],
                 delivery: pd.Timestamp, repo_dec: float) -> None:
        self.zc, self.fs, self.spread, self.terms = zc, fs, spread, terms
        self.repo_dec = repo_dec
        self.day = int((delivery - zc.settle).days)

    def _term_rate(self, z: np.ndarray) -> np.ndarray:
        df = self.zc.discount_day_on(self.day, z)
        return (1.0 / df - 1.0) * 360.0 / self.day

    def on(self, shifts_bp: np.ndarray, repo_moves: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(full (n, m), forward clean (n, m)) on the curves with knot shifts (m, n_knots)."""
        z = self.zc.zero_rates_shifted(shifts_bp)
        full = self.zc.price_flows_on(self.fs, z, self.spread)
        r = np.full(len(z), self.repo_dec)
        if repo_moves:
            r = r + self._term_rate(z) - self._term_rate(self.zc.zero_cc[None, :])[0]
        return full, forward_clean_price(full, self.terms, r)

    def dv01s(self, shapes: np.ndarray, center_bp: np.ndarray | float = 0.0,
              repo_moves: bool = True) -> np.ndarray:
        """(n, n_shapes) forward DV01 per 100 (gain for a 1 bp fall) for each shape, by a
        central difference of +-0.5 bp around the curve shifted by ``center_bp`` knots."""
        c = np.broadcast_to(np.asarray(center_bp, dtype=float), shapes.shape[1:])
        _, fwd = self.on(np.vstack([c - 0.5 * shapes, c + 0.5 * shapes]), repo_moves)
        k = len(shapes)
        return np.asarray(fwd[:, :k] - fwd[:, k:])


def forward_yield_dv01(basket: pd.DataFrame, i: int, delivery: pd.Timestamp,
                       forward_clean: float) -> float:
    """Yield DV01 per 100 of issue ``i`` for settlement on ``delivery`` at its forward yield
    (modified duration x forward full price x 1e-4): the vendor-screen figure."""
    b = bonds_of(basket.iloc[[i]])
    cf = bm.cashflows(b, delivery)
    y = bm.yield_from_price(cf, np.array([forward_clean]))
    return float(bm.risk_from_yield(cf, y).dv01_per100[0])


# ---------------------------------------------------------------------------------------------
# the basket analysis

@dataclass
class BasketAnalysis:
    """Everything ``overlay basket`` shows; USD per contract unless named ``_per100``."""

    contract: str
    asof: pd.Timestamp
    settle: pd.Timestamp
    delivery_date: pd.Timestamp
    calendar: ContractCalendar
    repo_dec: float
    repo_source: str
    contract_size_usd: float
    table: pd.DataFrame          # one row per deliverable
    ctd_index: int
    futures_price: float
    futures_price_source: str    # "given" | "theoretical"
    theoretical_price: float
    dv01_per100: float           # futures DV01 per 100 face of futures (desk convention)
    dv01_usd: float              # per contract (desk convention: what the hedge uses)
    key_rate_dv01_usd: dict[str, float]
    shifted: list[dict[str, object]]
    delivery: DeliveryChoice
    dv01_repo_held_usd: float = float("nan")       # secondary: repo held fixed
    forward_yield_dv01_usd: float = float("nan")   # secondary: CTD yield DV01 at the forward
    key_rate_dv01_repo_held_usd: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @property
    def ctd(self) -> pd.Series:
        return self.table.iloc[self.ctd_index]

    @property
    def notional_ctd(self) -> bool:
        return any(f.startswith("notional_ctd") for f in self.flags)


def _asof_and_curve(asof: object, curve: ZeroCurve | None) -> tuple[pd.Timestamp, ZeroCurve]:
    zc = curve_on(asof) if curve is None else curve
    asof_ts = zc.asof if asof is None else pd.Timestamp(asof).normalize()
    return asof_ts, zc


def _check_contract(c: ContractCode, asof_ts: pd.Timestamp, dates: ContractCalendar,
                    delivery: str) -> None:
    s = spec(c.root)
    if dates.last_delivery_day <= asof_ts:
        raise InputError(f"{c.code} expired: last delivery day {dates.last_delivery_day.date()} "
                         f"is not after the as-of date {asof_ts.date()}")
    if c.contract_month < s.listed_from:
        raise InputError(f"{c.code}: {s.name} was first listed for {s.listed_from:%B %Y}")
    if delivery not in ("option", "last", "first"):
        raise InputError("delivery must be 'option', 'first' or 'last'")


def _basket_with_flags(c: ContractCode, asof_ts: pd.Timestamp, dates: ContractCalendar,
                       securities: pd.DataFrame | None, include_future_issues: bool,
                       allow_notional: bool) -> tuple[pd.DataFrame, list[str], bool]:
    """(basket, flags, is_notional)."""
    flags: list[str] = []
    basket = deliverable_basket(c, asof_ts, securities, include_future_issues)
    if not include_future_issues:
        extra = len(deliverable_basket(c, asof_ts, securities, True)) - len(basket)
        if extra:
            flags.append(f"future_issues_excluded: {extra} issue(s) auctioned after the as-of "
                         f"date would also be deliverable (excluded: no look-ahead)")
    sm_last = (loaders.security_master(True)["original_issue_date"].max()
               if securities is None else pd.Timestamp(securities["original_issue_date"].max()))
    if dates.last_trading_day > sm_last and not basket.empty:
        flags.append(f"basket_incomplete: issues after {sm_last.date()} (end of the securities "
                     f"list) could still join the {c.code} basket before its last trading day")
    if not basket.empty:
        return basket, flags, False
    if not allow_notional or dates.last_trading_day <= sm_last:
        raise InputError(f"no deliverable issue for {c.code} in the securities list")
    flags.append(f"notional_ctd: no deliverable basket for {c.code} in the securities list; a "
                 f"6% bond with {spec(c.root).typical_remaining_years:g}y remaining from the "
                 f"first delivery day stands in (CF 1.0)")
    return notional_ctd(c), flags, True


def _repo_of(repo: float | None, asof_ts: pd.Timestamp, flags: list[str]) -> tuple[float, str]:
    if repo is None:
        r, src = default_repo(asof_ts)
        if "proxy" in src:
            flags.append(src)
        return r, src
    r = float(repo)
    if not (-0.05 < r < 0.3):
        raise InputError(f"repo {repo} looks wrong: pass a decimal (4.3% -> 0.043)")
    return r, "user"


def _given_prices(prices: pd.Series | None, basket: pd.DataFrame) -> np.ndarray | None:
    if prices is None:
        return None
    p = pd.Series(prices, dtype=float)
    missing = [x for x in basket["cusip"] if x not in p.index]
    if missing:
        raise InputError(f"no price for deliverable(s) {', '.join(missing[:5])}")
    return p.reindex(basket["cusip"]).to_numpy()


def basket_analysis(contract: str | ContractCode, asof: object = None, repo: float | None = None,
                    prices: pd.Series | None = None, futures_price: float | None = None,
                    securities: pd.DataFrame | None = None,
                    include_future_issues: bool = False, delivery: str = "option",
                    key_tenors: Sequence[str] = DEFAULT_KEY_TENORS,
                    shifts_bp: Sequence[float] = (-50.0, 50.0), allow_notional: bool = True,
                    curve: ZeroCurve | None = None) -> BasketAnalysis:
    """Full basket analytics (see the module docstring for every convention).

    ``repo`` decimal ACT/360 (default :func:`default_repo`); ``prices`` clean prices per 100
    indexed by cusip (default: off the curve at zero spread); ``futures_price`` (default:
    theoretical); ``delivery`` "option" (the carry rule) or a forced "first" / "last";
    ``curve`` a user's Treasury zero curve (default: the bundled curve of ``asof``). Results are
    cached in the process per (contract, as-of, repo, curve fingerprint, options) when no user
    prices or securities are given; each call gets its own copy of the table. Raises
    InputError for bad codes, expired contracts, months before the contract existed, as-of
    dates outside the bundled data.
    """
    asof_ts, zc = _asof_and_curve(asof, curve)
    c = treasury_code(contract, asof_ts)
    key = None
    if prices is None and securities is None:
        key = (c.code, c.year, asof_ts, None if repo is None else round(float(repo), 12),
               zc.fingerprint, futures_price, include_future_issues, delivery,
               tuple(key_tenors), tuple(float(x) for x in shifts_bp), allow_notional)
    compute = lambda: _analyse(c, asof_ts, zc, repo, prices, futures_price,  # noqa: E731
                               securities, include_future_issues, delivery, key_tenors,
                               shifts_bp, allow_notional)
    a = compute() if key is None else _ANALYSES.get_or_compute(key, compute)
    return replace(a, table=a.table.copy(), flags=list(a.flags), shifted=list(a.shifted))


@dataclass
class BasketSetup:
    """A basket priced in the base market: flows, spreads, the delivery choice and its carry
    terms (shared by the full analysis and the fast revaluation)."""

    c: ContractCode
    dates: ContractCalendar
    basket: pd.DataFrame
    flags: list[str]
    given: bool
    repo_dec: float
    repo_source: str
    fs: FlowSet
    spread: np.ndarray
    full: np.ndarray
    cfs: np.ndarray
    choice: DeliveryChoice
    terms: dict[str, np.ndarray]


def basket_setup(c: ContractCode, asof_ts: pd.Timestamp, zc: ZeroCurve, repo: float | None,
                 prices: pd.Series | None = None, securities: pd.DataFrame | None = None,
                 include_future_issues: bool = False, delivery: str = "option",
                 allow_notional: bool = True) -> BasketSetup:
    dates = contract_calendar(c)
    _check_contract(c, asof_ts, dates, delivery)
    flags: list[str] = [zc.note] if zc.note else []
    basket, more, notional = _basket_with_flags(c, asof_ts, dates, securities,
                                                include_future_issues, allow_notional)
    flags += more
    clean_given = None if notional else _given_prices(prices, basket)
    repo_dec, repo_src = _repo_of(repo, asof_ts, flags)
    settle = cal.settlement_date(zc.asof)
    if zc.settle != settle:  # pragma: no cover - a user curve on another settlement
        raise InputError(f"curve settles {zc.settle.date()}, bonds on {settle.date()}")
    cf0 = bm.cashflows(bonds_of(basket), settle)
    fs = zc.flows(cf0)
    spread = (np.zeros(len(basket)) if clean_given is None
              else zc.fit_spread_flows(fs, clean_given + cf0.accrued_per100))
    full = zc.price_flows(fs, spread)
    cfs = basket["conversion_factor"].to_numpy(dtype=float)
    first = carry_terms(basket, settle, dates.first_delivery_day)
    last = carry_terms(basket, settle, dates.last_delivery_day)
    choice = choose_delivery(full, cfs, basket["cusip"].tolist(), first, last, repo_dec, dates,
                             None if delivery == "option" else delivery)
    terms = first if choice.date == dates.first_delivery_day else last
    return BasketSetup(c, dates, basket, flags, clean_given is not None, repo_dec, repo_src, fs,
                       spread, full, cfs, choice, terms)


def _analyse(c: ContractCode, asof_ts: pd.Timestamp, zc: ZeroCurve, repo: float | None,
             prices: pd.Series | None, futures_price: float | None,
             securities: pd.DataFrame | None, include_future_issues: bool, delivery: str,
             key_tenors: Sequence[str], shifts_bp: Sequence[float], allow_notional: bool
             ) -> BasketAnalysis:
    b = basket_setup(c, asof_ts, zc, repo, prices, securities, include_future_issues, delivery,
                     allow_notional)
    eng = ForwardEngine(zc, b.fs, b.spread, b.terms, b.choice.date, b.repo_dec)
    return _assemble(c, asof_ts, zc, b.basket, b.full, b.cfs, b.terms, eng, b.choice, b.dates,
                     b.repo_dec, b.repo_source, futures_price, b.given, key_tenors, shifts_bp,
                     b.flags)


class Revaluer:
    """Fast full revaluation of a Treasury future on shocked curves: the basket repriced at its
    constant spreads, the term repo moved with the curve (its spread to the curve's simple rate
    to delivery kept), the delivery date of the base market kept, the CTD re-picked."""

    def __init__(self, setup: BasketSetup, zc: ZeroCurve) -> None:
        self.b = setup
        self.zc = zc
        self.day = int((setup.choice.date - zc.settle).days)
        self.term0 = self._term(zc)

    def _term(self, curve: ZeroCurve) -> float:
        df = float(curve.discount_day_on(self.day, curve.zero_cc[None, :])[0])
        return (1.0 / df - 1.0) * 360.0 / self.day

    def price(self, curve: ZeroCurve) -> tuple[float, str]:
        """(theoretical futures price, CTD cusip) on ``curve`` (same settlement date)."""
        b = self.b
        full = curve.price_flows(b.fs, b.spread)
        repo = b.repo_dec + self._term(curve) - self.term0
        ratio = forward_clean_price(full, b.terms, repo) / b.cfs
        j = int(np.argmin(ratio))
        return float(ratio[j]), str(b.basket["cusip"].iloc[j])


def _assemble(c: ContractCode, asof_ts: pd.Timestamp, zc: ZeroCurve, basket: pd.DataFrame,
              full: np.ndarray, cfs: np.ndarray, terms: dict[str, np.ndarray],
              eng: ForwardEngine, choice: DeliveryChoice, dates: ContractCalendar,
              repo_dec: float, repo_src: str, futures_price: float | None, given: bool,
              key_tenors: Sequence[str], shifts_bp: Sequence[float], flags: list[str]
              ) -> BasketAnalysis:
    fwd = forward_clean_price(full, terms, repo_dec)
    theo = float(np.min(fwd / cfs))
    fut = theo if futures_price is None else float(futures_price)
    irr = implied_repo(full, cfs, fut, terms)
    ctd = int(np.nanargmax(irr))
    size = spec(c.root).contract_size_usd
    shapes = zc.knot_shapes(tuple(key_tenors))
    desk = eng.dv01s(shapes)                       # (n, 1 + k) per 100 of each issue
    held = eng.dv01s(shapes, repo_moves=False)
    usd = size / 100.0 / cfs[ctd]
    keys = list(key_tenors)
    clean = full - terms["ai_settle"]
    table = pd.DataFrame({
        "cusip": basket["cusip"].to_numpy(), "coupon": basket["coupon_pct"].to_numpy(),
        "maturity": basket["maturity_date"].to_numpy(), "conversion_factor": cfs,
        "price": clean, "price_source": "given" if given else "curve",
        "accrued": full - clean, "forward_price": fwd,
        "gross_basis": (clean - fut * cfs) * 32.0, "net_basis": (fwd - fut * cfs) * 32.0,
        "implied_repo": irr * 100.0,
        "forward_dv01_per100": desk[:, 0], "forward_dv01_repo_held_per100": held[:, 0],
    })
    return BasketAnalysis(
        contract=c.code, asof=asof_ts, settle=zc.settle, delivery_date=choice.date,
        calendar=dates, repo_dec=repo_dec, repo_source=repo_src, contract_size_usd=size,
        table=table, ctd_index=ctd, futures_price=fut,
        futures_price_source="theoretical" if futures_price is None else "given",
        theoretical_price=theo, dv01_per100=float(desk[ctd, 0] / cfs[ctd]),
        dv01_usd=float(desk[ctd, 0] * usd),
        key_rate_dv01_usd={k: float(desk[ctd, 1 + j] * usd) for j, k in enumerate(keys)},
        shifted=_shifted(eng, basket, cfs, shifts_bp, usd * cfs[ctd], ctd),
        delivery=choice, dv01_repo_held_usd=float(held[ctd, 0] * usd),
        forward_yield_dv01_usd=forward_yield_dv01(basket, ctd, choice.date, float(fwd[ctd]))
        * usd,
        key_rate_dv01_repo_held_usd={k: float(held[ctd, 1 + j] * usd)
                                     for j, k in enumerate(keys)},
        flags=flags)


def _shifted(eng: ForwardEngine, basket: pd.DataFrame, cfs: np.ndarray,
             shifts_bp: Sequence[float], usd_per100: float, ctd0: int) -> list[dict[str, object]]:
    """CTD, theoretical price and DV01 after parallel shifts (repo moving along)."""
    out: list[dict[str, object]] = []
    ones = np.ones((1, len(eng.zc.knots)))
    for sh in shifts_bp:
        _, fwd = eng.on(ones * float(sh))
        ratio = fwd[:, 0] / cfs
        j = int(np.argmin(ratio))
        d = eng.dv01s(ones, center_bp=float(sh))[j, 0]
        out.append({"shift_bp": float(sh), "ctd": str(basket["cusip"].iloc[j]),
                    "ctd_coupon": float(basket["coupon_pct"].iloc[j]),
                    "ctd_maturity": basket["maturity_date"].iloc[j],
                    "futures_price": float(ratio[j]),
                    "dv01": float(d / cfs[j] * usd_per100), "ctd_switch": j != ctd0})
    return out
