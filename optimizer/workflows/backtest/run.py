"""The walk-forward backtest: re-strike, hedge on data up to each rebalance date, hold, revalue
every day, measure (see the package docstring)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data.errors import InputError
from data.loaders import par_curve_history_pct
from models.instruments import split_root
from optimizer.workflows.backtest.hedging import STRATEGIES, hedge_on
from optimizer.workflows.backtest.legs import half_spread, leg_pnl, rolls_in_period
from optimizer.workflows.backtest.market import (
    CurveBook,
    MarketFutures,
    SwapRates,
    rebalance_dates,
    repo_series,
    valuation_dates,
)
from optimizer.workflows.backtest.metrics import calibration_table, compute_metrics
from optimizer.workflows.backtest.portfolio import SpreadSource, Template, value_bonds


def progress(iterable, total: int, label: str, quiet: bool):
    """tqdm progress on stderr (silent with ``quiet``)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=label, disable=quiet, leave=False, unit="date")


# =============================================================================== result
@dataclass
class BacktestResult:
    portfolio: str
    mandate: str
    frequency: str
    rebalance: str
    start: pd.Timestamp
    end: pd.Timestamp
    daily: pd.DataFrame              # per valid date: holdings, target, hedge_*, cost_*, track_*
    rebalances: list[dict]           # per rebalance date: the hedge task's output
    periods: list[dict]              # per valued holding period: trades, margins, rolls, CTDs
    metrics: pd.DataFrame            # modelled futures legs
    metrics_market: pd.DataFrame | None = None   # futures legs marked to market (validation)
    calibration: pd.DataFrame | None = None
    failed: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    market_coverage: float | None = None  # share of futures-leg days marked to market

    @property
    def periods_per_year(self) -> int:
        return 252 if self.frequency == "daily" else 12

    def te_ratio(self, a: str, b: str, market: bool = False) -> float:
        m = (self.metrics_market if market else self.metrics).set_index("strategy")
        return float(m.loc[a, "realized_te_usd"] / m.loc[b, "realized_te_usd"])

    def report_block(self) -> dict:
        """``backtest`` key of the HTML report document (cumulative P&L per strategy)."""
        from optimizer.workflows.backtest.serialize import report_block

        return report_block(self)

    def to_dict(self) -> dict:
        from optimizer.workflows.backtest.serialize import to_dict

        return to_dict(self)


# =============================================================================== hedging
def _hedge_task(args, fn: Callable[..., dict] | None = None) -> dict:
    date, next_date, frame, mandate, window, time_limit, limit_costs = args
    try:
        if fn is not None:
            return fn(date, frame, mandate, window, time_limit, next_date=next_date)
        return hedge_on(date, frame, mandate, window, time_limit, next_date=next_date,
                        limit_costs=limit_costs)
    except Exception as exc:  # noqa: BLE001 - reported per date as a failure, never as P&L
        return {"date": pd.Timestamp(date), "next_date": pd.Timestamp(next_date),
                "error": f"{type(exc).__name__}: {exc}"}


def _hedge_all(tasks: list[tuple], workers: int, quiet: bool,
               hedge_fn: Callable[..., dict] | None) -> list[dict]:
    """Hedge every rebalance date (in ``workers`` processes; ``hedge_fn`` replaces
    ``hedge_on`` in process, e.g. in tests)."""
    if workers > 1 and hedge_fn is None:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            return list(progress(ex.map(_hedge_task, tasks, chunksize=1), len(tasks),
                                 "hedging", quiet))
    return [_hedge_task(t, hedge_fn) for t in progress(tasks, len(tasks), "hedging", quiet)]


# =============================================================================== valuation
@dataclass
class _Context:
    template: Template
    spread: SpreadSource
    curves: CurveBook
    repo: pd.Series
    swaps: SwapRates
    market: MarketFutures | None


def _holdings(cx: _Context, strike, days, ratios: dict[str, float]) -> dict[str, np.ndarray]:
    _, bonds, _ = strike
    tpl = cx.template
    sp = np.vstack([tpl.spreads_on(d, cx.spread) for d in days])
    _, pnl, mkt = value_bonds(bonds, sp, days, cx.curves)
    pnl = pnl * tpl.par[None, :] / 100.0
    mkt = mkt * tpl.par[None, :] / 100.0
    sect = np.array(tpl.sectors)
    r = np.array([ratios.get(s, 1.0) for s in sect])
    return {"holdings": pnl.sum(axis=1), "target": pnl @ r,
            "item_market": mkt.sum(axis=1) - mkt @ r}


def _trades(prev: dict[str, float], cur: dict[str, float]) -> float:
    return sum(abs(cur.get(c, 0.0) - prev.get(c, 0.0)) for c in set(prev) | set(cur))


def _value_period(cx: _Context, h: dict, days: pd.DatetimeIndex, strike,
                  prev_held: dict[str, dict]) -> tuple[pd.DataFrame, dict, dict]:
    """Daily P&L of every strategy over one holding period, with costs, rolls and margins."""
    rec = {"date": days[1:], **_holdings(cx, strike, days, h["ratios"])}
    repo = cx.repo.loc[days].to_numpy()
    legs = h["legs"]
    pnl = {c: leg_pnl(lg, days, cx.curves, repo, cx.swaps, cx.market) for c, lg in legs.items()}
    info = {"date": h["date"], "next_date": days[-1], "traded": {}, "margin": {},
            "gross_notional": {}, "rolls": [], "portfolio_mv": h["portfolio_mv"],
            "te_model": h["te_model"], "ctd": {c: lg.ctd["cusip"] for c, lg in legs.items()
                                                if lg.ctd},
            "contracts": h["contracts"], "te_nobasis": h.get("te_nobasis", {}),
            "basis_var": h.get("basis_var", {}),
            "marked_share": {c: float(lp.marked.mean()) for c, lp in pnl.items()}}
    held_end: dict[str, dict] = {}
    n_days, marked, used = len(days) - 1, 0, 0
    for s in STRATEGIES:
        con = h["contracts"].get(s, {})
        hm, hk, cost = np.zeros(n_days), np.zeros(n_days), np.zeros(n_days)
        hc = np.zeros(n_days)
        traded = _trades(prev_held.get(s, {}), con)
        cost[0] += sum(abs(con.get(c, 0.0) - prev_held.get(s, {}).get(c, 0.0))
                       * half_spread(split_root(c)) for c in set(con) | set(prev_held.get(s, {})))
        end = {}
        for c, n in con.items():
            lp = pnl[c]
            hm += n * lp.model
            hk += n * lp.market
            hc += n * lp.carry
            marked += int(lp.marked.sum()) if s == "integer" else 0
            used += n_days if s == "integer" else 0
            end_contract = c
            for day, a, b in rolls_in_period(legs[c], days):
                k = int(np.searchsorted(days, day))
                legs_traded = 2 if b else 1   # a roll trades two contracts, a close one
                cost[k] += legs_traded * abs(n) * legs[c].half_spread_usd
                traded += legs_traded * abs(n)
                info["rolls"].append({"strategy": s, "date": day.strftime("%Y-%m-%d"),
                                      "from": a, "to": b, "contracts": n})
                end_contract = b
            if end_contract:   # '' = closed at the roll: nothing held at the period's end
                end[end_contract] = n
        held_end[s] = end
        info["traded"][s] = traded
        info["margin"][s] = sum(abs(n) * legs[c].initial_margin for c, n in con.items())
        info["gross_notional"][s] = sum(abs(n) * legs[c].notional for c, n in con.items())
        rec[f"hedge_{s}"], rec[f"hedgemkt_{s}"], rec[f"cost_{s}"] = hm, hk, cost
        rec[f"hedgecarry_{s}"] = hc
    info["marked_days"], info["leg_days"] = marked, used
    return pd.DataFrame(rec), info, held_end


def _value_all(cx: _Context, hedges: list[dict], strikes: dict, dates: pd.DatetimeIndex,
               quiet: bool) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    rows, periods, failed = [], [], []
    prev_held: dict[str, dict] = {}
    for k, h in enumerate(progress(hedges, len(hedges), "valuing", quiet)):
        d0, d1 = h["date"], h["next_date"]
        days = dates[(dates >= d0) & (dates <= d1)]
        if "error" in h:
            failed.append({"date": d0.strftime("%Y-%m-%d"), "until": d1.strftime("%Y-%m-%d"),
                           "days_excluded": len(days) - 1, "error": h["error"]})
            prev_held = {}
            continue
        frame, info, prev_held = _value_period(cx, h, days, strikes[d0], prev_held)
        frame["period"] = k
        info["index"] = k
        rows.append(frame)
        periods.append(info)
    if not rows:
        raise InputError("no rebalance date could be hedged: "
                         + "; ".join(f"{f['date']}: {f['error'][:160]}" for f in failed[:3]))
    daily = pd.concat(rows, ignore_index=True).set_index("date")
    for s in STRATEGIES:
        base = daily["holdings"] - daily["target"] - daily[f"cost_{s}"]
        daily[f"track_{s}"] = base + daily[f"hedge_{s}"]
        daily[f"trackmkt_{s}"] = base + daily[f"hedgemkt_{s}"]
        # the risk the model forecasts: market moves only (no carry, no costs)
        risk = daily["item_market"] - daily[f"hedgecarry_{s}"]
        daily[f"risk_{s}"] = risk + daily[f"hedge_{s}"]
        daily[f"riskmkt_{s}"] = risk + daily[f"hedgemkt_{s}"]
    return daily, periods, failed


# =============================================================================== the backtest
def _market(market: str) -> MarketFutures | None:
    if market not in ("auto", "off", "require"):
        raise InputError(f"--market must be auto, off or require, not {market!r}")
    if market == "off" or (market == "auto" and not MarketFutures.available()):
        return None
    return MarketFutures()


def _inputs(portfolio, mandate, sectors):
    from optimizer.assemble import DEFAULT_PORTFOLIO, load_holdings
    from optimizer.mandate import load_mandate

    mandate = load_mandate(None) if mandate is None else (
        load_mandate(mandate) if isinstance(mandate, (str, Path)) else mandate)
    frame, source = load_holdings(portfolio if portfolio is not None else DEFAULT_PORTFOLIO,
                                  None)
    if sectors:
        keep = frame["sector"].astype(str).str.lower().isin([s.lower() for s in sectors])
        if not keep.any():
            raise InputError(f"no holdings in sector(s) {', '.join(sectors)} (the portfolio has "
                             f"{', '.join(sorted(set(map(str, frame['sector']))))})",
                             column="sectors")
        frame = frame[keep].reset_index(drop=True)
    return mandate, frame, source


def first_hedgeable(mandate, start: pd.Timestamp) -> tuple[pd.Timestamp, str | None]:
    """The first date on or after ``start`` whose front contracts of every Treasury root of the
    mandate have a deliverable rule (data/contracts/deliverable_rules.csv: contract months from
    March 2000, the first with the 6% conversion-factor coupon), and why the start moved."""
    from data.contracts import deliverable_rules_table
    from optimizer.assemble import _instrument_roots
    from optimizer.workflows.backtest.hedging import available_roots

    rules = deliverable_rules_table().groupby("root")["valid_from"].min()
    roots = [r for r in _instrument_roots(mandate) if r in rules.index]
    d = pd.Timestamp(start)
    hist = par_curve_history_pct().index
    for _ in range(600):   # months
        listed = [r for r in available_roots(roots, d) if r in rules.index]
        if not [r for r in listed if _contract_month(r, d) < rules[r]]:
            break
        d = hist[min(hist.searchsorted(d + pd.offsets.MonthBegin(1)), len(hist) - 1)]
    if d == pd.Timestamp(start):
        return d, None
    return d, (f"the backtest starts {d.date()}, not {pd.Timestamp(start).date()}: deliverable "
               f"rules are encoded for contract months from {rules[roots].min().date()} on (the "
               "first with the 6% conversion-factor coupon; earlier contracts used 8%)")


def _contract_month(root: str, d: pd.Timestamp) -> pd.Timestamp:
    from models.contract_codes import parse_contract
    from models.instruments import front_contract

    return parse_contract(front_contract(root, d), d).contract_month


def run_backtest(portfolio: pd.DataFrame | str | Path | None = None, mandate=None, *,
                 start="2000-01-01", end=None, rebalance: str = "monthly",
                 frequency: str = "daily", spread: SpreadSource | None = None,
                 sectors: Sequence[str] | None = None, window: str = "3y",
                 time_limit: float = 10.0, workers: int = 1,
                 hedge_fn: Callable[..., dict] | None = None, quiet: bool = False,
                 market: str = "auto", swaps: str = "auto", limit_costs: bool = False
                 ) -> BacktestResult:
    """Walk-forward backtest of ``mandate`` on ``portfolio`` (package docstring).

    ``market``: 'auto' marks Treasury futures legs to the licensed front-month settlements when
    they are present locally (validation; the modelled run is always computed beside it), 'off'
    never, 'require' fails without them. ``swaps``: 'auto' values swap futures off ISDAFIX where
    present, 'proxy' off Treasury + held spread. ``workers`` > 1 builds the hedges in processes.
    ``limit_costs``: also solve with each capital limit dropped alone (ex-ante cost per limit).
    """
    t_all = time.perf_counter()
    mandate, frame, source = _inputs(portfolio, mandate, sectors)
    spread = spread or SpreadSource("constant")
    end = par_curve_history_pct().index[-1] if end is None else pd.Timestamp(end)
    start, moved = first_hedgeable(mandate, valuation_dates(start, end, frequency)[0])
    dates = valuation_dates(start, end, frequency)
    rdates = rebalance_dates(dates, "monthly" if frequency == "monthly" else rebalance)
    if len(rdates) < 2:
        raise InputError("the backtest window needs at least two rebalance dates")
    template = Template.from_holdings(frame, spread=spread)
    curves = CurveBook()
    strikes = {d: template.strike(d, curves[d], spread) for d in rdates[:-1]}
    t0 = time.perf_counter()
    tasks = [(d, rdates[k + 1], strikes[d][0], mandate, window, time_limit, limit_costs)
             for k, d in enumerate(rdates[:-1])]
    hedges = _hedge_all(tasks, workers, quiet, hedge_fn)
    t_hedge = time.perf_counter() - t0
    t0 = time.perf_counter()
    cx = _Context(template, spread, curves, pd.Series(repo_series(dates), index=dates),
                  SwapRates(swaps), _market(market))
    daily, periods, failed = _value_all(cx, hedges, strikes, dates, quiet)
    ppy = 252 if frequency == "daily" else 12
    modes = ("model", "market") if cx.market is not None else ("model",)
    marked = sum(p["marked_days"] for p in periods)
    used = sum(p["leg_days"] for p in periods)
    res = BacktestResult(
        portfolio=str(source), mandate=getattr(mandate, "name", "custom"), frequency=frequency,
        rebalance="monthly" if frequency == "monthly" else rebalance, start=dates[0],
        end=dates[-1], daily=daily, rebalances=hedges, periods=periods,
        metrics=compute_metrics(daily, periods, ppy, "model"),
        metrics_market=(compute_metrics(daily, periods, ppy, "market")
                        if cx.market is not None else None),
        calibration=calibration_table(daily, periods, ppy, modes), failed=failed,
        market_coverage=(marked / used if used and cx.market is not None else None))
    res.notes = ([moved] if moved else []) + _notes(res, cx, hedges)
    res.seconds = {"hedging": round(t_hedge, 2), "valuation": round(time.perf_counter() - t0, 2),
                   "total": round(time.perf_counter() - t_all, 2), "workers": workers}
    return res


def _notes(res: BacktestResult, cx: _Context, hedges: list[dict]) -> list[str]:
    notes = [
        "Holdings: constant-maturity re-strike at each rebalance (term, par and spread of each "
        "template holding kept; coupon = par yield + spread, rounded to 1/8%), priced off each "
        "day's bootstrapped Treasury zero curve (both days of a P&L on the tenors quoted on "
        "both)" + ("" if cx.spread.kind == "constant"
                   else f"; corporate spread moves with {cx.spread.label}"),
        "Treasury futures (modelled): CTD-forward prices, CTD fixed per period from the full "
        "basket analysis on the rebalance date (and on the roll day), term repo = 5-day median "
        "of SOFR, before 2018 of the 1M/3M bill yield",
        "Rolls: 1:1 into the next contract at the close of the first day inside the roll window "
        "(5 business days before first notice; swap futures before the third Wednesday), so no "
        "Treasury contract is held on its first notice day; every contract traded (rebalances "
        "and both legs of a roll) pays half the bid-ask spread (half a tick)",
        "Hedges estimated walk-forward: exposures, covariance, betas, swap-spread parameters and "
        "margins from data on or before each rebalance date only",
    ]
    if cx.market is not None:
        notes.append(
            f"Validation mode: Treasury futures legs also marked to market with front-month "
            f"settlements (Yahoo, licensed, read locally from {cx.market.path.parent}, never "
            f"committed) on days the file quotes the contract held (from "
            f"{cx.market.start.date()}, ZT ZF ZN ZB; {res.market_coverage:.0%} of the integer "
            "hedge's contract-days); other days and contracts keep the modelled price")
    else:
        notes.append("Futures legs valued by the model only (no market settlements available "
                     "locally: the market-marked columns equal the modelled ones)")
    if cx.swaps.kind == "isdafix":
        a, b = cx.swaps.span
        notes.append(f"Swap futures: full revaluation at ISDAFIX par swap rates {a.date()} .. "
                     f"{b.date()} (licensed, local only); outside that span (the SOFR era) at "
                     "the proxy Treasury par + last observed swap spread, which has no "
                     "swap-spread P&L")
    else:
        notes.append("Swap futures: full revaluation at the proxy swap rate Treasury par + a "
                     "held spread (no swap-rate history available locally): swap-spread P&L "
                     "is not in this run")
    if res.failed:
        notes.append(f"{len(res.failed)} rebalance date(s) could not be hedged; their holding "
                     "periods are excluded from every strategy alike (not booked as P&L): "
                     + "; ".join(f"{f['date']} {f['error'][:100]}" for f in res.failed[:3]))
    dropped = [h for h in hedges if any(f.startswith("dropped") for f in h.get("flags", []))]
    if dropped:
        notes.append(f"{len(dropped)} rebalance date(s) left a contract out (no deliverable "
                     "issue, no parameters yet): " + "; ".join(
                         f"{h['date'].date()} {h['flags'][0][:60]}" for h in dropped[:3]))
    relaxed = [h for h in hedges if any(f.startswith("relaxed") for f in h.get("flags", []))]
    if relaxed:
        notes.append(f"{len(relaxed)} rebalance date(s) infeasible under the mandate's margin/"
                     "leverage limits: solved with those limits dropped for that date")
    return notes
