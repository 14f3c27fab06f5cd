"""Positions file: valid files parse; malformed ones exit 2 naming file, row and column."""

from __future__ import annotations

import pytest

from data.errors import InputError
from data.positions import net_positions, read_positions, read_prices
from models.contract_codes import parse_32nds
from optimizer.cli import main
from optimizer.workflows.rolls import resolve_position_contract

ASOF = "2025-07-11"


def _res(code):
    return resolve_position_contract(code, ASOF)


def _write(tmp_path, text, name="pos.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reads_valid_file_with_aliases_32nds_and_blank_lines(tmp_path):
    p = _write(tmp_path, "Contract, Contracts ,Entry-Price\nZNU5,-250,110-16+\n\nTYZ5,+10,\n"
                         "SSF10U25,1_000,99.5\n")
    df = read_positions(p, resolve=_res, parse_price=parse_32nds)
    assert list(df["contract"]) == ["ZNU5", "ZNZ5", "SSF10U5"]
    assert list(df["contracts"]) == [-250, 10, 1000]
    assert list(df["row"]) == [2, 4, 5]
    assert df["entry_price"].iloc[0] == pytest.approx(110 + 16.5 / 32)
    assert df["entry_price"].isna().iloc[1]


def test_bundled_samples_parse():
    from pathlib import Path
    d = Path(__file__).resolve().parents[1] / "data" / "positions"
    df = read_positions(d / "overlay_2025-07.csv", resolve=_res, parse_price=parse_32nds)
    assert set(df["contract"]) == {"ZNU5", "SSF10U5"}
    df = read_positions(d / "roll_sep2024.csv",
                        resolve=lambda c: resolve_position_contract(c, "2024-08-26"))
    assert list(df["contract"]) == ["ZNU4", "SSF10U4"]


@pytest.mark.parametrize("text,row,column,words", [
    ("contract,contracts\nZNU5,-250\nXXU5,3\n", 3, "contract", "unknown contract root"),
    ("contract,contracts\nZNH5,-250\n", 2, "contract", "expired"),
    ("contract,contracts\nZNU5,-250\nZNZ5,12.5\n", 3, "contracts", "whole number"),
    ("contract,contracts\nZNU5,abc\n", 2, "contracts", "whole number"),
    ("contract,contracts\nZNU5,\n", 2, "contracts", "blank"),
    ("contract,qty_wrong\nZNU5,-250\n", 1, "contracts", "missing required column"),
    ("contracts\n-250\n", 1, "contract", "missing required column"),
    ("contract,contracts,sector\nZNU5,-716,Treasury\nZNU5,-221,Agency\nZNU5,937,Corporate\n",
     4, "contracts", "take the sign of the net"),
    ("contract,side,quantity\nZNU5,SELL,1863\n", 1, "side", "orders file"),
    ("Contract,Side,Quantity,Price,Estimated_Cost,Reason\nZNU5,BUY,10,110.5,78.1,trade\n", 1,
     "Side", "orders file"),
    ("contract,contracts\nZNU5,SELL\n", 2, "contracts", "order's side"),
    ("contract,contracts\nZNF5,1\n", 2, "contract", "trades months"),
    ("contract,contracts,entry_price\nZNU5,1,110-40\n", 2, "entry_price", "32nds"),
    ("contract,contracts\n,1\n", 2, "contract", "blank contract"),
])
def test_malformed_positions_exit_2(tmp_path, capsys, text, row, column, words):
    p = _write(tmp_path, text)
    out = tmp_path / "orders.csv"
    code = main(["rebalance", "--positions", str(p), "--asof", ASOF, "--orders", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(p) in err and f"row {row}" in err and f"column '{column}'" in err, err
    assert words in err, err
    assert not out.exists()  # nothing written


def test_rows_of_one_contract_are_netted(tmp_path):
    """ZNU5, ZNU25 and TYU5 are one contract: netted, first row kept, entry price averaged by
    |contracts|, the designations kept beside the net."""
    p = _write(tmp_path, "contract,contracts,sector,entry_price\n"
                         "ZNU5,-200,Treasury,110\nSSF10U5,5,,\nZNU25,-100,Corporate,111\n"
                         "TYU5,0,Agency,\n")
    df = read_positions(p, resolve=_res)
    assert list(df["contract"]) == ["ZNU5", "SSF10U5"]
    assert list(df["contracts"]) == [-300, 5]
    assert list(df["row"]) == [2, 3]
    assert df["entry_price"].iloc[0] == pytest.approx((200 * 110 + 100 * 111) / 300)
    assert df["sector"].iloc[0] is None  # two sectors: only the designations say which
    assert df.attrs["designations"] == [
        {"row": 2, "contract": "ZNU5", "sector": "Treasury", "contracts": -200},
        {"row": 4, "contract": "ZNU5", "sector": "Corporate", "contracts": -100},
        {"row": 5, "contract": "ZNU5", "sector": "Agency", "contracts": 0}]
    assert net_positions(df) == {"ZNU5": -300, "SSF10U5": 5}
    rows = read_positions(p, resolve=_res, net=False)
    assert list(rows["contracts"]) == [-200, 5, -100, 0]
    assert net_positions(rows) == {"ZNU5": -300, "SSF10U5": 5}


def test_undesignated_lots_of_opposite_sign_net(tmp_path):
    p = _write(tmp_path, "contract,contracts\nZNU5,-100\nZNU5,20\n")
    assert net_positions(read_positions(p, resolve=_res)) == {"ZNU5": -80}


def test_empty_and_missing_file(tmp_path, capsys):
    p = _write(tmp_path, "\n\n")
    assert main(["rebalance", "--positions", str(p), "--asof", ASOF]) == 2
    assert "empty file" in capsys.readouterr().err
    assert main(["rebalance", "--positions", str(tmp_path / "nope.csv"), "--asof", ASOF]) == 2
    assert "file not found" in capsys.readouterr().err


def test_prices_file(tmp_path):
    p = _write(tmp_path, "contract,price\nZNU4,113-08\nZNZ4,113.0\n", "px.csv")
    px = read_prices(p, resolve=lambda c: resolve_position_contract(c, "2024-08-26"),
                     parse_price=parse_32nds)
    assert px == {"ZNU4": 113.25, "ZNZ4": 113.0}
    bad = _write(tmp_path, "contract,price\nZNU4,-1\n", "bad.csv")
    with pytest.raises(InputError) as ei:
        read_prices(bad, resolve=lambda c: resolve_position_contract(c, "2024-08-26"))
    assert ei.value.row == 2 and ei.value.column == "price"


def test_scenarios_keep_undesignated_rows_beside_designated_ones(tmp_path):
    """A file mixing designated and undesignated rows: every row is a hedge position."""
    from optimizer.workflows.scenarios import positions_list

    p = _write(tmp_path, "contract,contracts,sector\nZNU5,-100,Treasury\nSSF10U5,-50,\n"
                         "ZNU5,-20,Corporate\n")
    rows, src = positions_list(str(p), __import__("pandas").Timestamp(ASOF))
    assert src == str(p)
    assert rows == [{"contract": "ZNU5", "contracts": -100, "sector": "Treasury"},
                    {"contract": "SSF10U5", "contracts": -50, "sector": None},
                    {"contract": "ZNU5", "contracts": -20, "sector": "Corporate"}]
