"""data.csvio.read_user_csv: the shared start of every small user-CSV reader."""

from __future__ import annotations

import pytest

from data.csvio import read_user_csv
from data.errors import InputError


def _csv(tmp_path, text: str | bytes, name: str = "f.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_row_numbers_are_the_spreadsheet_rows(tmp_path):
    """Header = row 1; an empty line in the middle stays a (blank) row so later rows keep their
    number; empty lines at the end are dropped."""
    df = read_user_csv(_csv(tmp_path, "a,b\n1,2\n\n3,4\n\n\n"), required=("a",))
    assert list(df.index) == [2, 3, 4]
    assert list(df["a"]) == ["1", "", "3"]


def test_excel_utf8_byte_order_mark_is_accepted(tmp_path):
    df = read_user_csv(_csv(tmp_path, b"\xef\xbb\xbfcontract,price\nZNU5,110\n"),
                       required=("contract",))
    assert list(df.columns) == ["contract", "price"]


@pytest.mark.parametrize("text,row,column,words", [
    ("a,b,a\n1,2,3\n", 1, "a", "given twice"),
    ("a,,c\n1,2,3\n", 1, "column 2", "no name"),
    ("a,b\n1,2\n3,4,5\n", None, None, "row 3 has 3 cells but the header has 2 columns"),
    ("x,y\n1,2\n", 1, "a", "missing required column"),
    ("a,b\n", 2, None, "no data rows"),
    (b"a,b\n\xff\xfe,1\n", None, None, "not UTF-8"),
])
def test_bad_files_name_row_and_column(tmp_path, text, row, column, words):
    with pytest.raises(InputError) as ei:
        read_user_csv(_csv(tmp_path, text), "test file", required=("a",))
    e = ei.value
    assert words in e.message and e.row == row and e.column == column, str(e)
    assert e.file and e.file.endswith("f.csv")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_user_csv(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_user_csv(tmp_path)
