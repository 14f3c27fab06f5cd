"""Overlay programs over dates: transition management and cash equitization (SPEC §1, §7).

Both are DV01 mandates of the same hedge problem with one sector (the cash) and a DV01 target,
solved step by step; with one instrument per DV01 leg the integer optimum is the rounded ratio,
so they are computed directly: ``contracts = round(weight x DV01 needed / contract DV01)``.

Transition management (``transition_schedule``)
-----------------------------------------------
A manager sells bonds (``sold_mv`` at modified duration ``sold_duration``: DV01 =
MV x duration x 1e-4) and buys the new portfolio over several dates. Between the sale and the
purchases the cash carries no duration; a **bridge** of long futures keeps the exposure on target::

    target DV01        = sold DV01 (default: the exposure before the sale) or ``target_dv01``
    invested DV01(t)   = sum of MV x duration x 1e-4 of the bonds bought on or before t
    bridge needed(t)   = target - invested DV01(t)
    contracts_j(t)     = round(w_j x bridge needed(t) / DV01_j(t))   (w_j: DV01 split, sum 1)
    exposure(t)        = invested DV01(t) + sum_j contracts_j(t) x DV01_j(t)

so the bridge steps down as the cash is deployed and ``|exposure - target| <= sum_j DV01_j / 2``
(integer rounding) at every step. Each step's orders are the change in contracts; when a step
date is inside the held contract's roll window (:mod:`optimizer.workflows.rolls`) the bridge moves to the
next contract month (the old month is closed, reason ``roll``). Contract DV01, price and margin
on each date come from ``risk(root, date)`` (default: :func:`models.instruments.instrument_risk`
of the front contract; dates after the bundled curve reuse the last available date, flagged).

Cash equitization (``equitization``)
------------------------------------
Cash ``C`` to be given duration ``D``: target DV01 = C x D x 1e-4, long
``N = round(target / futures DV01)`` contracts; the cash stays invested at the repo rate and pays
the initial margin ``N x IM``. **Expected carry** (documented approximation: unchanged CTD clean
price, no roll-down, no delivery option): the futures price converges to the CTD's clean price /
CF by delivery, so a long earns ``(CTD clean / CF - F) x point value`` per contract over the
remaining days to delivery -- the basket carry (coupon income minus repo on the CTD) per unit of
CF, zero-or-negative when the curve is inverted (repo above the coupon yield). Over a horizon
``h`` shorter than the time to delivery it is pro-rated linearly. Beside it: the repo interest on
the cash over the horizon (ACT/360). Cash interest + futures carry ~ the return of holding the
CTD-like bond, which is the point of equitization.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data.errors import InputError, Notice
from models.instruments import DEFAULT_ROLL_DAYS
from optimizer import validate

RiskOnDate = Callable[[str, pd.Timestamp], dict[str, Any]]
"""(root, date) -> {"contract", "dv01", "price", "initial_margin", "notional"} for the contract
a hedger holds on that date (front contract outside its roll window)."""


def model_risk_on_date(key_tenors: Sequence[str] = ("2Y", "5Y", "10Y", "30Y"),
                       roll_days: int = DEFAULT_ROLL_DAYS) -> tuple[RiskOnDate, list[str]]:
    """Default ``risk`` for programs: front contract on the date priced off the bundled curve;
    dates after the curve history use the last curve date (recorded in the returned list)."""
    from data.loaders import latest_curve_date
    from models.instruments import front_contract, instrument_risk

    notes: list[str] = []
    last = latest_curve_date()

    def f(root: str, d: pd.Timestamp) -> dict[str, Any]:
        contract = front_contract(root, d, roll_days)
        px_date = min(d, last)
        if d > last:
            msg = (f"{contract} on {d.date()}: priced with the last bundled curve "
                   f"({last.date()})")
            if msg not in notes:
                notes.append(msg)
        r = instrument_risk(contract, px_date, list(key_tenors))
        return {"contract": contract, "dv01": r.dv01_usd, "price": r.price,
                "initial_margin": r.initial_margin_usd, "notional": r.notional_usd}
    return f, notes


# ---------------------------------------------------------------------------------------------
@dataclass
class BondBuy:
    date: pd.Timestamp
    market_value: float      # USD bought (> 0)
    duration: float          # modified duration, years

    @property
    def dv01(self) -> float:
        return self.market_value * self.duration * 1e-4


@dataclass
class TransitionProgram:
    start: pd.Timestamp
    sold_mv: float
    sold_duration: float
    target_dv01: float
    weights: dict[str, float]
    steps: list[dict[str, Any]]          # one row per date and root
    orders: list[dict[str, Any]]         # with a "date" key
    warnings: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.steps)

    def to_frame(self) -> pd.DataFrame:
        """The bridge schedule, one row per date and contract root."""
        return self.frame()

    def orders_frame(self) -> pd.DataFrame:
        """The dated order list (``--orders``): date + the orders format."""
        from optimizer.workflows.rolls import ORDER_COLUMNS

        f = pd.DataFrame(self.orders, columns=["date", *ORDER_COLUMNS])
        f["date"] = pd.to_datetime(f["date"]).dt.strftime("%Y-%m-%d")
        return f

    def to_dict(self) -> dict[str, Any]:
        """``overlay program transition --json``."""
        return {"command": "program", "program": "transition", "start": self.start,
                "sold_mv": self.sold_mv, "sold_duration": self.sold_duration,
                "target_dv01": self.target_dv01, "weights": self.weights,
                "schedule": self.steps, "orders": self.orders,
                "warnings": [Notice("program_note", w, subject="transition").to_dict()
                             for w in self.warnings]}


def transition_schedule(*, start, sold_mv: float, sold_duration: float,
                        buys: Sequence[BondBuy | tuple], roots: Mapping[str, float] | Sequence[str]
                        = ("ZN",), risk: RiskOnDate | None = None,
                        target_dv01: float | None = None,
                        cost_per_contract: Callable[[str], float] | None = None
                        ) -> TransitionProgram:
    """Bridge schedule for a transition (see module docstring). ``buys``: BondBuy or
    (date, market_value, duration) tuples; ``roots``: roots or {root: DV01 weight}. Dates on a
    weekend or holiday move to the next business day (warned); purchases spending more cash than
    the sale raised, or overtaking the target DV01 (the bridge would flip short), are rejected
    (:func:`optimizer.validate.transition_plan`)."""
    d0, plan, moved = validate.transition_plan(
        start, sold_mv, sold_duration,
        [(b.date, b.market_value, b.duration) if isinstance(b, BondBuy) else tuple(b)
         for b in buys], target_dv01)
    start = pd.Timestamp(d0)
    bl = [BondBuy(pd.Timestamp(d), a, du) for d, a, du in plan]
    w = ({r: 1.0 / len(roots) for r in roots} if not isinstance(roots, Mapping)
         else {r: float(v) for r, v in roots.items()})
    if abs(sum(w.values()) - 1.0) > 1e-9 or any(v < 0 for v in w.values()):
        raise InputError("transition: DV01 weights must be >= 0 and sum to 1")
    warnings: list[str] = list(moved)
    if risk is None:
        risk, notes = model_risk_on_date()
    else:
        notes = []
    cpc = cost_per_contract or (lambda root: 0.0)
    sold_dv01 = sold_mv * sold_duration * 1e-4
    target = sold_dv01 if target_dv01 is None else float(target_dv01)
    dates = sorted({start, *(b.date for b in bl)})
    steps: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    held: dict[str, tuple[str, int]] = {}       # root -> (contract, contracts)
    for d in dates:
        inv_mv = sum(b.market_value for b in bl if b.date <= d)
        inv_dv01 = sum(b.dv01 for b in bl if b.date <= d)
        need = target - inv_dv01
        for root, wt in w.items():
            r = risk(root, d)
            n = int(round(wt * need / r["dv01"])) if r["dv01"] > 0 else 0
            old_c, old_n = held.get(root, (r["contract"], 0))
            if old_c != r["contract"] and old_n:
                orders.append({"date": d, "contract": old_c, "side": "SELL" if old_n > 0
                               else "BUY", "quantity": abs(old_n), "price": None,
                               "est_cost_usd": cpc(root) * abs(old_n),
                               "reason": (f"roll {old_c}->{r['contract']}" if n else
                                          "transition bridge (step down)")})
                old_n = 0
            if n != old_n:
                orders.append({"date": d, "contract": r["contract"],
                               "side": "BUY" if n > old_n else "SELL",
                               "quantity": abs(n - old_n), "price": r["price"],
                               "est_cost_usd": cpc(root) * abs(n - old_n),
                               "reason": "transition bridge" + (" (open)" if d == start else
                                                                " (step down)")})
            held[root] = (r["contract"], n)
            steps.append({"date": d, "cash_usd": sold_mv - inv_mv, "invested_usd": inv_mv,
                          "invested_dv01": inv_dv01, "target_dv01": target,
                          "bridge_dv01_needed": need, "root": root, "contract": r["contract"],
                          "contracts": n, "contract_dv01": r["dv01"],
                          "futures_dv01": n * r["dv01"],
                          "notional_usd": abs(n) * r.get("notional", 0.0),
                          "initial_margin_usd": abs(n) * r.get("initial_margin", 0.0)})
        rows = [s for s in steps if s["date"] == d]
        exposure = inv_dv01 + sum(s["futures_dv01"] for s in rows)
        tol = 0.5 * sum(s["contract_dv01"] for s in rows)
        for s in rows:
            s["exposure_dv01"] = exposure
            s["error_usd"] = exposure - target
            s["tolerance_usd"] = tol
            s["on_target"] = abs(exposure - target) <= tol + 1e-9
    if sum(b.market_value for b in bl) > sold_mv * (1 + 1e-9):
        warnings.append("purchases exceed the cash from the sale")
    warnings.extend(notes)
    return TransitionProgram(start, sold_mv, sold_duration, target, w, steps, orders, warnings)


# ---------------------------------------------------------------------------------------------
@dataclass
class Equitization:
    asof: pd.Timestamp
    cash: float
    target_duration: float
    target_dv01: float
    contract: str
    contracts: int
    contract_dv01: float
    futures_dv01: float
    futures_price: float
    futures_price_source: str
    notional_usd: float
    initial_margin_usd: float
    ctd: dict[str, Any]
    delivery_date: pd.Timestamp
    days_to_delivery: int
    horizon_days: int
    repo_pct: float
    carry_per_contract_to_delivery: float
    expected_futures_carry_usd: float
    cash_interest_usd: float
    flags: list[str] = field(default_factory=list)

    def order(self) -> dict[str, Any]:
        """The one order: buy the contracts (the orders format)."""
        from models.contract_codes import parse_contract
        from optimizer.workflows.rolls import cost_per_contract

        root = parse_contract(self.contract, self.asof).root
        return {"contract": self.contract, "side": "BUY" if self.contracts >= 0 else "SELL",
                "quantity": abs(self.contracts), "price": self.futures_price,
                "est_cost_usd": cost_per_contract(root) * abs(self.contracts),
                "reason": "cash equitization"}

    def to_frame(self) -> pd.DataFrame:
        """The order as a one-row orders table."""
        from optimizer.workflows.rolls import ORDER_COLUMNS

        return pd.DataFrame([self.order()], columns=ORDER_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """``overlay program equitize --json``."""
        d = {k: v for k, v in self.__dict__.items() if k != "flags"}
        d.update({"command": "program", "program": "equitization",
                  "dv01_error_usd": self.futures_dv01 - self.target_dv01,
                  "expected_total_usd": self.expected_futures_carry_usd + self.cash_interest_usd,
                  "flags": list(self.flags), "orders": [self.order()],
                  "warnings": [Notice(f.split(" ", 1)[0].split(":", 1)[0], f,
                                      subject=self.contract).to_dict() for f in self.flags]})
        return d


def equitization(*, cash: float, target_duration: float, asof, contract: str = "ZN",
                 horizon_days: int | None = None, futures_price: float | None = None,
                 repo: float | None = None, margin_per_contract: float | None = None
                 ) -> Equitization:
    """Long futures giving ``cash`` the duration ``target_duration`` (see module docstring).
    ``contract``: a root (front contract on ``asof``) or a contract code."""
    from data.contracts import margin_for
    from models.contract_codes import parse_contract
    from models.futures import basket_analysis
    from models.instruments import front_contract
    from optimizer.workflows.rolls import point_value

    if not (cash > 0) or not (target_duration > 0):
        raise InputError("equitization: cash and target duration must be > 0")
    asof = pd.Timestamp(validate.market_date(asof, "asof"))
    code = validate.contract_on_date(contract, asof, "contract")  # listed on the date
    try:
        c = parse_contract(code, asof)
    except InputError:
        c = parse_contract(front_contract(code, asof), asof)
    a = basket_analysis(c.code, asof, repo=repo, futures_price=futures_price, shifts_bp=())
    t = a.table
    ctd = t.iloc[a.ctd_index]
    cf = float(ctd["conversion_factor"])
    pv = point_value(c.root)
    days = int((a.delivery_date - a.settle).days)
    h = days if horizon_days is None else int(horizon_days)
    if h < 0:
        raise InputError("equitization: horizon must be >= 0 days")
    carry_pc = (float(ctd["price"]) / cf - a.futures_price) * pv
    target = cash * target_duration * 1e-4
    n = int(round(target / a.dv01_usd))
    im = float(margin_for(c.root, asof)["initial_usd"]) if margin_per_contract is None else \
        float(margin_per_contract)
    frac = min(h, days) / days if days > 0 else 0.0
    flags = list(a.flags)
    if h > days:
        flags.append(f"horizon {h} days is past delivery ({days} days): carry counted to "
                     f"delivery only; roll the position to extend it")
    return Equitization(
        asof=asof, cash=cash, target_duration=target_duration, target_dv01=target,
        contract=a.contract, contracts=n, contract_dv01=a.dv01_usd, futures_dv01=n * a.dv01_usd,
        futures_price=a.futures_price, futures_price_source=a.futures_price_source,
        notional_usd=n * a.contract_size_usd * a.futures_price / 100.0,
        initial_margin_usd=n * im,
        ctd={"cusip": ctd["cusip"], "coupon": float(ctd["coupon"]),
             "maturity": pd.Timestamp(ctd["maturity"]), "conversion_factor": cf,
             "price": float(ctd["price"]), "forward_price": float(ctd["forward_price"])},
        delivery_date=a.delivery_date, days_to_delivery=days, horizon_days=h,
        repo_pct=a.repo_dec * 100.0, carry_per_contract_to_delivery=carry_pc,
        expected_futures_carry_usd=n * carry_pc * frac,
        cash_interest_usd=cash * a.repo_dec * h / 360.0, flags=flags)


# ---------------------------------------------------------------------------------------------
# typed requests (the Python API and the CLI build the same objects)
@dataclass(frozen=True)
class TransitionRequest:
    """A transition: ``sold_mv`` USD at ``sold_duration`` sold on ``start``, bought back by
    ``buys`` ((date, market value, duration) each), bridged with ``roots`` (DV01 split equally,
    or ``{root: weight}``) to ``target_dv01`` (default: the DV01 sold)."""

    start: Any
    sold_mv: float
    sold_duration: float
    buys: Sequence[BondBuy | tuple] = ()
    roots: Mapping[str, float] | Sequence[str] = ("ZN",)
    target_dv01: float | None = None


@dataclass(frozen=True)
class EquitizationRequest:
    """``cash`` USD given ``target_duration`` years with long ``contract`` futures on ``asof``."""

    cash: float
    target_duration: float
    asof: Any = None
    contract: str = "ZN"
    horizon_days: int | None = None
    futures_price: float | None = None
    repo: float | None = None                 # decimal; default SOFR


def run_transition(req: TransitionRequest) -> TransitionProgram:
    from optimizer.workflows.rolls import cost_per_contract

    return transition_schedule(start=req.start, sold_mv=req.sold_mv,
                               sold_duration=req.sold_duration, buys=req.buys, roots=req.roots,
                               target_dv01=req.target_dv01, cost_per_contract=cost_per_contract)


def run_equitization(req: EquitizationRequest) -> Equitization:
    from data.loaders import latest_curve_date

    asof = (pd.Timestamp(validate.market_date(req.asof, "asof")) if req.asof is not None
            else latest_curve_date())
    return equitization(cash=req.cash, target_duration=req.target_duration, asof=asof,
                        contract=req.contract, horizon_days=req.horizon_days,
                        futures_price=req.futures_price, repo=req.repo)


def transition(start, sold_mv: float, sold_duration: float, buys=(), **options: Any
               ) -> TransitionProgram:
    """Python API: the transition bridge (fields of :class:`TransitionRequest`)."""
    return run_transition(TransitionRequest(start, sold_mv, sold_duration, tuple(buys),
                                            **options))


def equitize(cash: float, target_duration: float, asof=None, **options: Any) -> Equitization:
    """Python API: cash equitization (fields of :class:`EquitizationRequest`)."""
    return run_equitization(EquitizationRequest(cash, target_duration, asof, **options))
