import pytest

from data.errors import InputError
from optimizer.assemble import problem_target
from optimizer.mandate import apply_overrides, load_mandate, parse_target_flag


def test_default_mandate_loads_with_all_sectors():
    m = load_mandate()
    sectors = {t.sector for t in m.targets}
    assert sectors == {"Treasury", "Agency", "Corporate"}
    assert m.margin_budget_usd == 12_000_000 and m.max_leverage == 0.60
    corp = m.target_for("corporate")
    assert problem_target(corp).target_dv01(200_000, 4e8) == pytest.approx(100_000)
    assert corp.tolerance_pct == 2.0


def test_target_kinds():
    assert parse_target_flag("Corporate=50%") == ("Corporate", {"dv01_pct": 50.0})
    assert parse_target_flag("Treasury=0") == ("Treasury", {"dv01_usd": 0.0})
    assert parse_target_flag("Corporate=4.5y") == ("Corporate", {"duration": 4.5})
    assert parse_target_flag("Corporate=$120,000") == ("Corporate", {"dv01_usd": 120000.0})
    with pytest.raises(InputError):
        parse_target_flag("Corporate")
    with pytest.raises(InputError):
        parse_target_flag("Corporate=half")


def test_duration_target_uses_market_value():
    m = apply_overrides(load_mandate(), targets=["Corporate=4y"])
    t = m.target_for("Corporate")
    # 4 years on $250M -> DV01 $100,000 (4 x 250e6 x 1e-4)
    assert problem_target(t).target_dv01(123.0, 250e6) == pytest.approx(100_000)
    assert t.instruments  # keeps the file's instruments


def test_flags_override_file():
    m = apply_overrides(load_mandate(), max_leverage=0.3, margin_budget_usd=1e6, max_instruments=2,
                        instruments=["zn", "SFS10"])
    assert (m.max_leverage, m.margin_budget_usd, m.max_instruments) == (0.3, 1e6, 2)
    assert m.instruments == ("ZN", "SFS10")


@pytest.mark.parametrize("body, needle", [
    ("[targets.Treasury]\ntolerance_pct = 1\n", "exactly one of"),
    ("[targets.Treasury]\ndv01_pct = 0\ndv01_usd = 5\n", "exactly one of"),
    ("[targets.Treasury]\ndv01_pct = 'zero'\n", "must be a number"),
    ("[limits]\nmax_leverage = -1\n", "must be >= 0"),
    ("[limits]\nmax_instruments = 2.5\n", "whole number"),
    ("[limits]\nmargin = 5\n", "unknown key"),
    ("this is = = not toml", "not a valid TOML"),
])
def test_bad_mandate_files_name_the_file(tmp_path, body, needle):
    p = tmp_path / "m.toml"
    p.write_text(body)
    with pytest.raises(InputError) as ei:
        load_mandate(p)
    assert needle in str(ei.value) and str(p) in str(ei.value)
