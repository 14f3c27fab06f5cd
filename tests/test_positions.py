"""Positions file: valid files parse; malformed ones exit 2 naming file, row and column."""

from __future__ import annotations

import pytest

from data.errors import InputError
from data.positions import read_positions, read_prices
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
    ("contract,contracts\nZNU5,-250\nZNZ5,3\nZNU25,4\n", 4, "contract", "appears twice"),
    ("contract,contracts\nZNU5,-250\nTYU5,4\n", 3, "contract", "appears twice"),
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
