"""`overlay hedge` end to end on the bundled default portfolio and mandate."""

import json
import subprocess
import sys

import pytest


def overlay(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def default_hedge():
    r = overlay("hedge", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # stdout is pure JSON (no solver chatter)


def test_default_hedge_meets_every_stated_constraint(default_hedge):
    d = default_hedge
    assert d["status"] in ("optimal", "optimal_enumeration", "feasible_time_limit")
    assert all(c["satisfied"] for c in d["constraints"])
    assert d["margin"]["initial"] <= d["margin"]["budget"] + 1e-6
    assert d["leverage"]["ratio"] <= d["leverage"]["limit"] + 1e-12
    assert d["portfolio"]["dv01_after"] >= 0  # no net short duration (beta-adjusted basis)
    assert d["portfolio"]["dv01_basis"].startswith("beta-adjusted")
    assert sum(1 for n in d["contracts"].values() if n) <= 6
    for s in d["sectors"]:
        if s["dv01_target"] is not None:
            tol = {"Treasury": 0.02, "Agency": 0.05, "Corporate": 0.02}[s["sector"]]
            assert abs(s["dv01_after"] - s["dv01_target"]) <= tol * abs(s["dv01_before"]) + 1e-6


def test_default_hedge_positions_are_real(default_hedge):
    """Every position row has the sign of its contract's net (no paper designations), so the
    contracts listed are the contracts traded: at most K = 6 of them."""
    d = default_hedge
    for p in d["positions"]:
        assert p["contracts"] * d["contracts"][p["contract"]] > 0, p
    assert len({p["contract"] for p in d["positions"]}) <= 6
    assert not [w for w in d["warnings"] if w["code"] == "paper_designation"]


def test_default_hedge_numbers_add_up(default_hedge):
    d = default_hedge
    pos = d["positions"]
    # position DV01 = contracts x contract DV01; margin and notional add up from the positions
    for p in pos:
        assert p["dv01"] == pytest.approx(p["contracts"] * p["contract_dv01"])
    net = {}
    for p in pos:
        net[p["contract"]] = net.get(p["contract"], 0) + p["contracts"]
    by_contract = {i["contract"]: i for i in d["instruments"]}
    margin = sum(abs(n) * by_contract[c]["initial_margin"] for c, n in net.items())
    assert d["margin"]["initial"] == pytest.approx(margin)
    # designations share their contract's margin and notional: the rows add up to the account
    assert sum(p["initial_margin"] for p in pos) == pytest.approx(margin)
    assert sum(p["notional"] for p in pos) == pytest.approx(d["leverage"]["gross_notional"])
    hedge_dv01 = sum(p["dv01"] for p in pos)
    assert d["portfolio"]["dv01_after"] == pytest.approx(d["portfolio"]["dv01_before"] + hedge_dv01)
    assert d["tracking_error"]["after_usd"] < d["tracking_error"]["before_usd"]
    assert d["tracking_error"]["after_usd"] <= d["tracking_error"]["rounded_after_usd"] + 1e-6 or \
        d["tracking_error"]["rounded_breaks"]


def test_infeasible_margin_budget_exits_3_and_names_the_constraint():
    r = overlay("hedge", "--margin-budget", "100000")
    assert r.returncode == 3
    assert r.stdout == ""
    assert "margin" in r.stderr.lower()
    # the reason once, then one line per conflict and per verified change: nothing said twice
    lines = r.stderr.splitlines()
    assert lines[0].startswith("overlay hedge: infeasible mandate:")
    assert "    - margin (initial margin <= $100,000)" in lines
    assert sum("margin budget must be at least" in ln for ln in lines) == 1
    assert "Conflicting constraints" not in r.stderr


def test_bad_portfolio_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sector,par,coupon,maturity,price\nA,Treasury,1000000,4.5,2030-13-45,99\n")
    r = overlay("hedge", "--portfolio", str(bad))
    assert r.returncode == 2 and r.stdout == ""
    assert "row 2" in r.stderr and "maturity" in r.stderr


def test_api_result_is_the_cli_json(default_hedge):
    """`optimizer.hedge(...).to_dict()` is exactly what `overlay hedge --json` prints (solver
    timings aside)."""
    from optimizer import hedge
    from optimizer.reporting.output import to_jsonable

    api = to_jsonable(hedge().to_dict())
    cli = dict(default_hedge)
    for d in (api, cli):
        d.pop("solver")
        for c in d["constraints"]:
            c.pop("seconds", None)
    assert api == cli


def test_csv_is_the_positions_format_and_adds_up(tmp_path, default_hedge):
    import pandas as pd

    p = tmp_path / "pos.csv"
    r = overlay("hedge", "--csv", str(p))
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(p)
    assert list(df.columns) == ["contract", "contracts", "sector", "instrument", "contract_dv01",
                                "dv01", "notional", "initial_margin", "model_price", "kind",
                                "description"]
    net = df.groupby("contract")["contracts"].sum()
    assert {c: int(n) for c, n in net.items() if n} == {
        c: n for c, n in default_hedge["contracts"].items() if n}
    assert df["initial_margin"].sum() == pytest.approx(default_hedge["margin"]["initial"])
