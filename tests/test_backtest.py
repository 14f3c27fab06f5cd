"""Backtest: valuation machinery, CTD-forward futures, a short walk-forward run, no look-ahead."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import data.loaders as loaders
from models.bonds import cashflows
from models.futures import basket_analysis
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
    price, recv, still = bt.value_bonds(bonds, sp, days, curves, carry=True)
    for k in (0, len(days) - 1):
        c = curves[days[k]]
        ref = c.price(cashflows(bonds, c.settle), s)
        np.testing.assert_allclose(price[k], ref, rtol=0, atol=1e-9)
    # unchanged market: carry-only price is the previous curve's pricing on the later settle
    c0 = curves[days[0]]
    ref = c0.price(cashflows(bonds, curves[days[1]].settle), s)
    # (the previous curve discounts from its own settle; shift to the later settle is the carry)
    assert np.all(np.isfinite(still[1:]))
    assert np.all(np.abs(still[1] - price[0]) < 0.1)
    assert ref.shape == still[1].shape


def test_ctd_forward_equals_full_basket_on_the_rebalance_day():
    curves = bt.CurveBook()
    for code in ("ZNM5", "ZBM5", "ZTM5"):
        leg = bt.treasury_leg(code, DATE)
        days = pd.DatetimeIndex([DATE])
        p = bt.futures_prices(leg, days, curves, bt.repo_series(days))
        full = basket_analysis(code, DATE, key_tenors=(), shifts_bp=(),
                               repo=float(bt.repo_series(days)[0]))
        assert p[0] == pytest.approx(full.futures_price, abs=1e-9)


def test_repo_series_is_the_smoothed_default_repo():
    from models.futures import default_repo

    days = pd.DatetimeIndex(["2005-03-01", "2019-06-03"])
    for d, v in zip(days, bt.repo_series(days, smooth=1), strict=True):
        assert v == pytest.approx(default_repo(d)[0], abs=1e-12)
    # the 2019-09-17 SOFR spike (5.25%) is an overnight event, not a term repo
    spike = bt.repo_series(pd.DatetimeIndex(["2019-09-17"]))[0]
    assert default_repo("2019-09-17")[0] > 0.05 and spike < 0.025


def test_short_walk_forward_run(treasury_frame):
    res = bt.run_backtest(treasury_frame, bt.treasury_mandate(), start="2005-02-01",
                          end="2005-04-01", quiet=True)
    assert len(res.rebalances) == 2 and all("error" not in h for h in res.rebalances)
    m = res.metrics.set_index("strategy")
    assert list(m.index) == list(bt.STRATEGIES)
    # hedging a zero-DV01 Treasury target removes most of the variance
    assert m.loc["integer", "variance_reduction"] > 0.9
    assert res.te_ratio("integer", "continuous") == pytest.approx(1.0, abs=0.05)
    assert m.loc["integer", "realized_te_usd"] < m.loc["unhedged", "realized_te_usd"]
    blk = res.report_block()
    assert set(blk["series"]) == set(bt.STRATEGY_LABELS.values())
    d = res.to_dict()
    assert d["rebalances"] == 2 and len(d["metrics"]) == 5


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
    h = bt.hedge_on(DATE, frame, bt.treasury_mandate())
    legs = {c: (lg.ctd["cusip"] if lg.ctd else None, round(lg.dv01, 9)) for c, lg in
            h["legs"].items()}
    cont = {k: round(v, 6) for k, v in h["contracts"]["continuous"].items()}
    return h["contracts"]["integer"], h["contracts"]["naive_zn"], h["contracts"][
        "naive_keyrate"], cont, legs, round(h["te_model"]["integer"], 4)


def test_no_look_ahead(monkeypatch, treasury_frame):
    """Perturbing every market series *after* the rebalance date leaves the hedge chosen on
    that date unchanged; perturbing data *before* it changes it (the test has power)."""
    curves = bt.CurveBook()
    frame, _, _ = bt.Template.from_holdings(treasury_frame).strike(DATE, curves[DATE],
                                                                    bt.SpreadSource())
    base = _hedge(frame)
    par0 = loaders.par_curve_history_pct.__wrapped__()  # uncached copy of the file
    sofr0 = loaders.sofr_history_pct.__wrapped__()
    orig_par, orig_sofr = loaders.par_curve_history_pct, loaders.sofr_history_pct

    with monkeypatch.context() as mp:
        _patch(mp, "par_curve_history_pct", orig_par, _perturbed(par0, DATE, 25.0))
        _patch(mp, "sofr_history_pct", orig_sofr, sofr0 + 1.0)
        after = _hedge(frame)
    assert after == base

    with monkeypatch.context() as mp:
        _patch(mp, "par_curve_history_pct", orig_par, _perturbed(par0, DATE, 3.0, before=True))
        before = _hedge(frame)
    assert before != base


def test_cli_json_and_report(tmp_path, capsys):
    import json

    from optimizer.cli import main

    rep = tmp_path / "bt.html"
    rc = main(["backtest", "--sectors", "Treasury", "--start", "2005-02-01", "--end",
               "2005-04-01", "--json", "--report", str(rep)])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rebalances"] == 2 and doc["frequency"] == "daily"
    assert {m["strategy"] for m in doc["metrics"]} == set(bt.STRATEGIES)
    assert doc["te_ratio_integer_vs_continuous"] > 0
    assert rep.exists() and "Backtest" in rep.read_text()


def test_cli_bad_input_exit_2(capsys):
    from optimizer.cli import main

    assert main(["backtest", "--sectors", "Nope", "--start", "2005-02-01",
                 "--end", "2005-04-01"]) == 2
    assert main(["backtest", "--start", "1980-01-01", "--end", "1980-03-01"]) == 2
