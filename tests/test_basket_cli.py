"""`overlay basket` end to end (in-process), and the futures_risk API the optimizer uses."""

import json

import numpy as np
import pandas as pd
import pytest

from data import loaders
from models import bonds as bm
from models.futures import basket_analysis, futures_risk
from optimizer.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_tyz7_cme_example_via_cli(tmp_path, capsys):
    tv = loaders.test_vector("cme_tyz7_deliverable_basket_2017-10-10")
    sm = loaders.security_master(True)
    sm["key"] = sm["maturity_date"].dt.strftime("%Y-%m-%d") + "/" + sm["coupon_pct"].astype(str)
    tv["key"] = tv["maturity"] + "/" + tv["coupon_pct"].astype(float).astype(str)
    px = tv.merge(sm[["key", "cusip"]], on="key")[["cusip", "clean_price"]]
    assert len(px) == 17
    p = tmp_path / "px.csv"
    px.rename(columns={"clean_price": "price"}).to_csv(p, index=False)
    out = _json(capsys, ["basket", "TYZ7", "--asof", "2017-10-10", "--repo", "1.10",
                         "--futures-price", "125-08+", "--prices", str(p), "--json"])
    assert out["contract"] == "ZNZ7" and out["futures_price"] == 125.265625
    assert out["first_notice_day"] == "2017-11-30" and out["last_trading_day"] == "2017-12-19"
    assert out["ctd"]["cusip"] == "912828D56"  # 2-3/8% Aug-2024
    assert out["ctd"]["implied_repo"] == pytest.approx(1.7487, abs=1e-3)
    got = {(b["maturity"], b["coupon"]): b for b in out["basket"]}
    for r in tv.itertuples():
        b = got[(r.maturity, r.coupon_pct)]
        assert b["conversion_factor"] == r.conversion_factor_cme_formula
        assert b["gross_basis"] == pytest.approx(r.gross_basis_32nds, abs=0.01)
        assert b["price"] == pytest.approx(r.clean_price, abs=1e-9)
    assert max(b["implied_repo"] for b in out["basket"]) == out["ctd"]["implied_repo"]
    assert {"basket", "ctd", "futures_price", "dv01", "key_rate_dv01", "shifted", "flags",
            "first_delivery_date", "last_delivery_date", "asof"} <= set(out)


@pytest.mark.parametrize("argv", [
    ["basket", "ZNQ5"],                                  # not a ZN month
    ["basket", "FOO5"],                                  # unknown root
    ["basket", "ZNU5", "--asof", "1980-01-02"],          # before the bundled curve
    ["basket", "ZNU5", "--asof", "2031-01-02"],          # after it
    ["basket", "TNH16", "--asof", "2015-06-01"],         # before TN's first listing
    ["basket", "ZNH25", "--asof", "2025-07-11"],         # expired before the as-of date
    ["basket", "UBZ09", "--asof", "2009-06-01"],         # UB deliverable rules start Mar-2010
    ["basket", "ZNU5", "--asof", "2025-07-11", "--repo", "43"],  # repo not in percent range
    ["basket", "ZNU5", "--asof", "2025-07-11", "--futures-price", "110-40"],
])
def test_bad_input_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_text_output(capsys):
    assert main(["basket", "ZBU5", "--asof", "2025-07-11"]) == 0
    out = capsys.readouterr().out
    assert "<- CTD" in out and "futures DV01" in out and "shift +50 bp" in out
    assert "last delivery day 2025-09-30" in out and "positive carry" in out
    assert "repo held fixed" in out and "forward yield DV01" in out


def test_znu5_delivery_and_dv01s_end_to_end(capsys):
    """`overlay basket ZNU5 --json`: the delivery date with its reason, the desk DV01 beside
    the repo-held one; the text shows the same numbers."""
    out = _json(capsys, ["basket", "ZNU5", "--asof", "2025-07-11", "--json"])
    d = out["delivery"]
    assert d["date"] == out["first_delivery_date"] == "2025-09-02" == out["delivery_date_assumed"]
    assert d["mode"] == "first" and d["carry_per100"] < 0 and "negative carry" in d["reason"]
    assert d["carry_per100"] == pytest.approx(d["income_per100"] - d["repo_cost_per100"])
    assert out["dv01"] < out["dv01_repo_held"] and out["forward_yield_dv01"] > 0
    assert sum(out["key_rate_dv01"].values()) == pytest.approx(out["dv01"], rel=1e-3)
    assert main(["basket", "ZNU5", "--asof", "2025-07-11"]) == 0
    text = capsys.readouterr().out
    assert f"futures DV01: ${out['dv01']:,.2f}" in text
    assert f"repo held fixed: ${out['dv01_repo_held']:,.2f}" in text
    assert "first delivery day 2025-09-02" in text
    last = _json(capsys, ["basket", "ZNU5", "--asof", "2025-07-11", "--delivery", "last",
                          "--json"])
    assert last["delivery"]["date"] == "2025-09-30" and last["delivery"]["mode"] == "forced:last"


# ------------------------------------------------------------------ futures_risk API
@pytest.fixture(scope="module")
def sep25():
    return {c: basket_analysis(c, "2025-07-11") for c in ("ZNU5", "ZBU5", "ZTU5")}


def test_repo_held_dv01_is_spot_dv01_times_carry_factor(sep25):
    """Independent check of the secondary figure with the bond module's yield DV01: with the
    repo held, forward DV01 = CTD spot DV01 x (1 + repo d/360); / CF x contract size / 100
    (curve vs yield basis: within 3%). The desk DV01 (repo moving with the curve) is lower."""
    for a in sep25.values():
        ctd = a.ctd
        b = bm.make_bonds(np.array([pd.Timestamp(ctd["maturity"])], dtype="datetime64[D]"),
                          ctd["coupon"] / 100.0)
        r = bm.analytics(b, a.settle, clean_price_per100=ctd["price"])
        days = (a.delivery_date - a.settle).days
        want = (r.dv01_per100[0] * (1 + a.repo_dec * days / 360) / ctd["conversion_factor"]
                * a.contract_size_usd / 100)
        assert a.dv01_repo_held_usd == pytest.approx(want, rel=0.03)
        assert a.dv01_usd < a.dv01_repo_held_usd
        assert sum(a.key_rate_dv01_usd.values()) == pytest.approx(a.dv01_usd, rel=1e-3)


def test_sep25_dv01_ranges_and_shifts(sep25):
    zn, zb, zt = sep25["ZNU5"], sep25["ZBU5"], sep25["ZTU5"]
    assert 55 < zn.dv01_usd < 80 and 120 < zb.dv01_usd < 200 and 30 < zt.dv01_usd < 45
    for a in sep25.values():
        assert [s["shift_bp"] for s in a.shifted] == [-50.0, 50.0]
        # at the theoretical price the CTD's implied repo is the repo rate
        assert a.ctd["implied_repo"] == pytest.approx(a.repo_dec * 100, abs=1e-8)
        assert (a.table["implied_repo"] <= a.ctd["implied_repo"] + 1e-9).all()
        assert a.futures_price == pytest.approx(
            (a.table["forward_price"] / a.table["conversion_factor"]).min())
    # positive convexity of the CTD forward: DV01 larger after a rally
    assert zn.shifted[0]["dv01"] > zn.shifted[1]["dv01"]


def test_futures_risk_api_and_notional_ctd():
    r = futures_risk("ZNU5", "2025-07-11")
    assert r.dv01_usd_per_contract > 0 and r.notional_usd == pytest.approx(
        100_000 * r.price / 100)
    assert r.first_notice_day == pd.Timestamp("2025-08-29") and not r.notional_ctd
    far = futures_risk("ZNZ29", "2025-07-11")  # beyond the security master: notional CTD
    assert far.notional_ctd and far.conversion_factor == 1.0 and far.ctd["coupon"] == 6.0
