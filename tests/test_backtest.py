"""Backtest: valuation machinery, rolls, market marks, failures, a short walk-forward run, no
look-ahead. References are independent: curve pricing by ``ZeroCurve``, the full basket analysis,
CME calendar facts, a synthetic settlement file."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import data.loaders as loaders
from models.bonds import cashflows, make_bonds
from models.curves import ZeroCurve
from models.futures import basket_analysis, contract_calendar
from optimizer.workflows import backtest as bt

DATE = pd.Timestamp("2005-03-01")


@pytest.fixture(scope="module")
def treasury_frame():
    from optimizer.assemble import DEFAULT_PORTFOLIO, load_holdings

    frame, _ = load_holdings(DEFAULT_PORTFOLIO, None)
    return frame[frame["sector"] == "Treasury"].reset_index(drop=True)


@pytest.fixture(scope="module")
def template(treasury_frame):
    return bt.Template.from_holdings(treasury_frame)


@pytest.fixture(scope="module")
def short_run(treasury_frame):
    """Two monthly periods in 2005 (a roll falls in February), futures legs modelled and, when
    the licensed settlements are present, marked to market."""
    return bt.run_backtest(treasury_frame, bt.treasury_mandate(), start="2005-02-01",
                           end="2005-04-01", quiet=True)


def test_strike_keeps_terms_and_prices_near_par(template):
    curves = bt.CurveBook()
    frame, bonds, s = template.strike(DATE, curves[DATE], bt.SpreadSource())
    assert len(frame) == len(template.ids)
    # coupons are the par yield rounded to 1/8 %: clean prices within ~1.5 points of par
    assert np.all(np.abs(frame["price"] - 100) < 1.5)
    term = (frame["maturity"] - curves[DATE].settle).dt.days.to_numpy()
    assert np.array_equal(term, template.term_days)


def test_value_bonds_equals_curve_pricing(template):
    curves = bt.CurveBook()
    days = loaders.par_curve_history_pct().loc["2005-03-01":"2005-03-10"].index
    _, bonds, s = template.strike(DATE, curves[DATE], bt.SpreadSource())
    sp = np.tile(s, (len(days), 1))
    price, pnl, market = bt.value_bonds(bonds, sp, days, curves)
    for k in (0, len(days) - 1):
        c = curves[days[k]]
        np.testing.assert_allclose(price[k], c.price(cashflows(bonds, c.settle), s), atol=1e-9)
    # P&L = price change + coupons received; the market part excludes the carry
    recv = pnl[0] - (price[1] - price[0])
    assert np.all(recv >= -1e-12)
    carry = pnl - market
    assert np.all(np.abs(carry) < 0.05)          # a few days of accrual and roll-down per 100


def test_tenor_change_is_not_pnl():
    """On 2006-02-09 the 30-year par yield reappears: pricing both days on the tenors quoted on
    both keeps the re-interpolation out of the P&L (a 30-year bond's naive price jump is points,
    its true move a fraction of that)."""
    d0, d1 = pd.Timestamp("2006-02-08"), pd.Timestamp("2006-02-09")
    hist = loaders.par_curve_history_pct()
    assert np.isnan(hist.loc[d0, "30Y"]) and np.isfinite(hist.loc[d1, "30Y"])
    curves = bt.CurveBook()
    b = make_bonds([pd.Timestamp("2036-02-15")], 0.045, 2, "UST")
    _, pnl, _ = bt.value_bonds(b, np.zeros((2, 1)), pd.DatetimeIndex([d0, d1]), curves)
    common = [t for t in hist.columns if np.isfinite(hist.loc[d0, t])]
    c0 = ZeroCurve.from_par(hist.loc[d0, common] / 100, d0)
    c1 = ZeroCurve.from_par(hist.loc[d1, common] / 100, d1)
    ref = (c1.price(cashflows(b, c1.settle))[0] - c0.price(cashflows(b, c0.settle))[0])
    assert pnl[0, 0] == pytest.approx(ref, abs=1e-9)
    naive = (curves[d1].price(cashflows(b, curves[d1].settle))[0]
             - curves[d0].price(cashflows(b, curves[d0].settle))[0])
    assert abs(naive - ref) > 1.0     # the artefact the pairing removes


def test_ctd_forward_equals_full_basket_on_the_rebalance_day():
    curves = bt.CurveBook()
    for code in ("ZNM5", "ZBM5", "ZTM5"):
        leg = bt.treasury_leg(code, DATE)
        days = pd.DatetimeIndex([DATE, DATE + pd.Timedelta(days=1)])
        p, _, _ = bt.treasury_prices(leg, days, curves, bt.repo_series(days))
        full = basket_analysis(code, DATE, key_tenors=(), shifts_bp=(),
                               repo=float(bt.repo_series(days[:1])[0]))
        assert p[0] == pytest.approx(full.futures_price, abs=1e-9)


def test_repo_series_is_the_smoothed_default_repo():
    from models.futures import default_repo

    days = pd.DatetimeIndex(["2005-03-01", "2019-06-03"])
    for d, v in zip(days, bt.repo_series(days, smooth=1), strict=True):
        assert v == pytest.approx(default_repo(d)[0], abs=1e-12)
    # the 2019-09-17 SOFR spike (5.25%) is an overnight event, not a term repo
    spike = bt.repo_series(pd.DatetimeIndex(["2019-09-17"]))[0]
    assert default_repo("2019-09-17")[0] > 0.05 and spike < 0.025


def test_roll_happens_before_first_notice():
    """ZNH5 bought on 2005-02-01 is rolled into ZNM5 inside its roll window; no day of the
    period holds ZNH5 on or after its first notice day (CME: last business day of the month
    before the delivery month, 2005-02-28)."""
    d0, d1 = pd.Timestamp("2005-02-01"), pd.Timestamp("2005-03-01")
    fnd = contract_calendar("ZNH5", d0).first_notice_day
    assert fnd == pd.Timestamp("2005-02-28")
    from optimizer.workflows.backtest.hedging import _next_leg

    leg = bt.treasury_leg("ZNH5", d0)
    leg.next = _next_leg(leg, d1)
    assert leg.next is not None and leg.next.contract == "ZNM5"
    days = bt.valuation_dates(d0, d1)
    lp = bt.leg_pnl(leg, days, bt.CurveBook(), bt.repo_series(days), bt.SwapRates("proxy"))
    held = pd.Series(lp.contracts, index=days[1:])
    assert (held[held.index >= fnd] == "ZNM5").all()
    assert (held == "ZNH5").any()
    (roll,) = bt.rolls_in_period(leg, days)
    assert roll[0] < fnd and roll[1:] == ("ZNH5", "ZNM5")


def test_short_walk_forward_run(short_run):
    res = short_run
    assert len(res.rebalances) == 2 and not res.failed
    m = res.metrics.set_index("strategy")
    assert list(m.index) == list(bt.STRATEGIES)
    # hedging a zero-DV01 Treasury target removes most of the variance
    assert m.loc["integer", "variance_reduction"] > 0.9
    assert res.te_ratio("integer", "continuous") == pytest.approx(1.0, abs=0.05)
    # the printed TE is the stdev of the daily tracking P&L, recomputed here from the rows
    tr = res.daily["track_integer"]
    assert m.loc["integer", "realized_te_usd"] == pytest.approx(tr.std(ddof=1) * np.sqrt(252))
    # the roll in February costs two half-spreads per contract, booked on the roll day
    rolls = [r for p in res.periods for r in p["rolls"] if r["strategy"] == "integer"]
    assert rolls and all(pd.Timestamp(r["date"]) < pd.Timestamp("2005-02-28") for r in rolls)
    d = res.to_dict()
    assert d["rebalances"] == 2 and len(d["metrics"]) == len(bt.STRATEGIES)
    for key in ("cumulative_pnl", "drawdown", "periods", "ctd_switches", "failed",
                "calibration"):
        assert key in d


def test_failed_date_is_excluded_from_every_strategy(treasury_frame, short_run):
    """A rebalance date whose hedge cannot be built is a failure: its whole holding period is
    dropped for every strategy (not booked as zero P&L) and reported."""
    def broken(date, frame, mandate, window, time_limit, next_date=None, **kw):
        if pd.Timestamp(date) == pd.Timestamp("2005-03-01"):
            raise ValueError("no hedge today")
        return bt.hedge_on(date, frame, mandate, window, time_limit, next_date=next_date)

    res = bt.run_backtest(treasury_frame, bt.treasury_mandate(), start="2005-02-01",
                          end="2005-04-01", quiet=True, hedge_fn=broken)
    assert [f["date"] for f in res.failed] == ["2005-03-01"]
    assert "no hedge today" in res.failed[0]["error"]
    assert res.daily.index.max() <= pd.Timestamp("2005-03-01")
    full = short_run.daily
    kept = full[full.index <= pd.Timestamp("2005-03-01")]
    for s in bt.STRATEGIES:     # the same days for every strategy, the same numbers as before
        np.testing.assert_allclose(res.daily[f"track_{s}"], kept[f"track_{s}"], rtol=1e-9)
    assert any("excluded from every strategy" in n for n in res.notes)


def test_market_marks_use_only_the_contract_held(tmp_path):
    """A synthetic settlement file switching to the next contract on ZNH5's last trading day
    (2015-03-20, CME rule): its change is used only where it quotes the held contract on both
    ends, and never within two business days of the switch."""
    days = pd.bdate_range("2015-03-12", "2015-03-31")
    px = 100 + np.arange(len(days)) * 0.25
    vol = np.where(days >= pd.Timestamp("2015-03-20"), 1e6, 1e4)
    f = tmp_path / "fut.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "ZN_close": px, "ZN_volume": vol}
                 ).to_csv(f, index=False)
    m = bt.MarketFutures(f, start=pd.Timestamp("2000-01-01"))
    old = pd.Series(m.changes("ZNH5", "ZN", days), index=days[1:])
    new = pd.Series(m.changes("ZNM5", "ZN", days), index=days[1:])
    guard = pd.bdate_range("2015-03-18", "2015-03-24")       # the switch day +- 2
    ok_old = [d for k, d in enumerate(days[1:]) if d < pd.Timestamp("2015-03-20")
              and d not in guard and days[k] not in guard]
    ok_new = [d for k, d in enumerate(days[1:]) if days[k] >= pd.Timestamp("2015-03-20")
              and d not in guard and days[k] not in guard]
    assert ok_old and ok_new
    assert (old[ok_old] == 0.25).all() and old.drop(ok_old).isna().all()
    assert (new[ok_new] == 0.25).all() and new.drop(ok_new).isna().all()


def test_swap_future_values_at_par_rates():
    """The CBOT classic contract is worth exactly $100,000 at a 6% swap rate and $105,777.50 at
    5.25% (SPEC §10); a SOFR swap future at its own fixed rate is worth par."""
    c = bt.FutureLeg("NSF10M5", "NSF10", "classic_swap_future", 77.0, 0.0, 1e5, tenor_years=10)
    v = bt.swap_future_value(c, np.array([0.06, 0.0525]))
    assert v[0] == pytest.approx(100_000.0, abs=1e-6)
    assert v[1] == pytest.approx(105_777.50, abs=0.01)
    s = bt.FutureLeg("SSF5M5", "SSF5", "sofr_swap_future", 45.0, 0.0, 1e5, tenor_years=5,
                     fixed_rate=0.04)
    assert bt.swap_future_value(s, np.array([0.04]))[0] == pytest.approx(100_000.0, abs=1e-6)


def _perturbed(df: pd.DataFrame, after: pd.Timestamp, bp: float, before: bool = False):
    out = df.copy()
    rng = np.random.default_rng(1)
    mask = out.index <= after if before else out.index > after
    out.loc[mask] = out.loc[mask] + rng.normal(0, bp / 100.0, size=out.loc[mask].shape)
    return out


def _patch(monkeypatch, name: str, original, frame):
    """Replace a loader everywhere it is bound (data.loaders and modules that imported it)."""
    for mod in list(sys.modules.values()):
        if mod is not None and getattr(mod, name, None) is original:
            monkeypatch.setattr(mod, name, lambda: frame)


def _hedge(frame):
    from optimizer.workflows.backtest import legs

    legs._treasury_leg.cache_clear()
    h = bt.hedge_on(DATE, frame, bt.treasury_mandate(), next_date=pd.Timestamp("2005-04-01"))
    lg = {c: (g.ctd["cusip"] if g.ctd else None, round(g.dv01, 9)) for c, g in h["legs"].items()}
    cont = {k: round(v, 6) for k, v in h["contracts"]["continuous"].items()}
    return (h["contracts"]["integer"], h["contracts"]["naive_zn"],
            h["contracts"]["naive_keyrate"], cont, lg, round(h["te_model"]["integer"], 4))


def test_no_look_ahead(monkeypatch, treasury_frame):
    """Perturbing every market series *after* the rebalance date leaves the hedge chosen on
    that date unchanged; perturbing data *before* it changes it (the test has power)."""
    from models import risk

    curves = bt.CurveBook()
    frame, _, _ = bt.Template.from_holdings(treasury_frame).strike(DATE, curves[DATE],
                                                                    bt.SpreadSource())
    risk.clear_caches()
    base = _hedge(frame)
    par0 = loaders.par_curve_history_pct.__wrapped__()  # uncached copy of the file
    sofr0 = loaders.sofr_history_pct.__wrapped__()
    orig_par, orig_sofr = loaders.par_curve_history_pct, loaders.sofr_history_pct
    with monkeypatch.context() as mp:
        _patch(mp, "par_curve_history_pct", orig_par, _perturbed(par0, DATE, 25.0))
        _patch(mp, "sofr_history_pct", orig_sofr, sofr0 + 1.0)
        risk.clear_caches()
        after = _hedge(frame)
    assert after == base
    with monkeypatch.context() as mp:
        _patch(mp, "par_curve_history_pct", orig_par, _perturbed(par0, DATE, 3.0, before=True))
        risk.clear_caches()
        before = _hedge(frame)
    risk.clear_caches()
    assert before != base


def test_cli_json_and_report(tmp_path, capsys):
    import json

    from optimizer.cli import main

    rep = tmp_path / "bt.html"
    rc = main(["backtest", "--sectors", "Treasury", "--start", "2005-02-01", "--end",
               "2005-04-01", "--market", "off", "--json", "--report", str(rep)])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rebalances"] == 2 and doc["frequency"] == "daily"
    assert {m["strategy"] for m in doc["metrics"]} == set(bt.STRATEGIES)
    assert doc["te_ratio_integer_vs_continuous"] > 0 and doc["metrics_market"] == []
    assert rep.exists() and "Backtest" in rep.read_text()


def test_cli_bad_input_exit_2(capsys):
    from optimizer.cli import main

    assert main(["backtest", "--sectors", "Nope", "--start", "2005-02-01",
                 "--end", "2005-04-01"]) == 2
    assert main(["backtest", "--start", "1980-01-01", "--end", "1980-03-01"]) == 2
    err = capsys.readouterr().err
    assert "Nope" in err and "Traceback" not in err


def test_start_before_the_deliverable_rules_is_moved_and_stated():
    """Deliverable rules are encoded from the March 2000 contract month (the first with the 6%
    CF coupon): a 1995 start moves to the first date whose front contracts are March 2000 ones
    (the December 1999 contracts roll before their 1999-11-30 first notice day)."""
    from optimizer.workflows.backtest.run import first_hedgeable

    d, why = first_hedgeable(bt.treasury_mandate(), pd.Timestamp("1995-01-03"))
    assert d == pd.Timestamp("1999-12-01") and "2000-03-01" in why and "8%" in why
    assert first_hedgeable(bt.treasury_mandate(), pd.Timestamp("2005-01-03"))[1] is None


def test_swap_rates_market_then_proxy_with_held_spread(tmp_path, monkeypatch):
    """Swap futures are valued off swap rates: the (synthetic) ISDAFIX file where it has a
    value; after it ends, Treasury par + the last observed spread, so the switch itself makes
    no P&L and the proxy carries no swap-spread P&L."""
    from optimizer.workflows.backtest import market as mk

    hist = loaders.par_curve_history_pct()
    days = hist.loc["2016-10-20":"2016-11-04"].index
    ust10 = hist.loc[days, "10Y"]
    file_days = days[days <= "2016-10-28"]
    rates = pd.DataFrame({"date": file_days.strftime("%Y-%m-%d"),
                          "DSWP5": (hist.loc[file_days, "5Y"] - 0.10).round(4),
                          "DSWP10": (ust10[file_days] - 0.20 + np.arange(len(file_days)) * 0.01
                                     ).round(4)})
    rates.to_csv(tmp_path / mk.ISDAFIX_FILE, index=False)
    monkeypatch.setenv(mk.THIRD_PARTY_ENV, str(tmp_path))
    mk._isdafix.cache_clear()
    sw = bt.SwapRates("auto")
    assert sw.kind == "isdafix"
    r, marked = sw.rates(days, 10.0)
    on = days <= pd.Timestamp("2016-10-28")
    np.testing.assert_allclose(r[on], rates["DSWP10"].to_numpy() / 100, atol=1e-12)
    assert marked[on].all() and not marked[~on].any()
    last_spread = rates["DSWP10"].iloc[-1] / 100 - ust10[file_days[-1]] / 100
    np.testing.assert_allclose(r[~on], ust10[~on].to_numpy() / 100 + last_spread, atol=1e-12)
    mk._isdafix.cache_clear()
