"""The formula-injection defence (ansinh.core.spreadsheet) without a database: every dangerous first
character, numbers (real and as text) untouched, None and other types, the CSV writer, the Arrow
version agreeing with the Python one, and openpyxl cells that are text, never formulas."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from ansinh.core.spreadsheet import (
    csv_writer,
    is_risky,
    safe_arrow_table,
    safe_row,
    safe_text,
    save_workbook,
    unescape_text,
    xlsx_row,
)
from ansinh.registry.importing.readers import read_rows

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1+1",
    "-2+3",
    "-abc",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=",
    "-",
    "-5\n",  # not a plain number: the newline follows it
    "+84 912 345 678",
]
PLAIN_NUMBERS = ["-5", "+5", "-0,5", "-1.500.000", "+84912345678", "-1e5", "-.5", "-12.5"]
HARMLESS_TEXT = ["Nguyễn Văn An", "", "a=b", "1+1", " =1", "'abc", "'-5", "Công ty TNHH Thép Hà Tĩnh", "—"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_a_quote(text: str) -> None:
    assert is_risky(text)
    assert safe_text(text) == "'" + text
    assert unescape_text(safe_text(text)) == text


@pytest.mark.parametrize("text", PLAIN_NUMBERS + HARMLESS_TEXT)
def test_numbers_as_text_and_harmless_text_unchanged(text: str) -> None:
    assert not is_risky(text)
    assert safe_text(text) == text
    assert unescape_text(text) == text


@pytest.mark.parametrize("value", [-5, 0, Decimal("-5.50"), -1.25, None, date(2026, 3, 1), True])
def test_non_strings_pass_through(value: object) -> None:
    assert safe_text(value) is value
    assert not is_risky(value)


def test_unescape_only_removes_the_quote_it_added() -> None:
    assert unescape_text("'abc") == "'abc"
    assert unescape_text("'-5") == "'-5"
    assert unescape_text("'") == "'"
    # quotes already before a formula get one more quote, so that reading back loses nothing
    assert safe_text("'=1") == "''=1" and unescape_text("''=1") == "'=1"
    assert safe_text("''@x") == "'" + "''@x" and unescape_text("'" + "''@x") == "''@x"


def test_safe_row_and_csv_writer() -> None:
    row = ['=HYPERLINK("http://x","y")', -5, "-5", "-2+3", None, "Bình", Decimal("-1.5"), "@x"]
    assert safe_row(row) == [
        '\'=HYPERLINK("http://x","y")',
        -5,
        "-5",
        "'-2+3",
        None,
        "Bình",
        Decimal("-1.5"),
        "'@x",
    ]
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(row)
    writer.writerows([["\t=1", 7], ["+1+1", -7]])
    text = buffer.getvalue()
    assert text.splitlines()[0] == '"\'=HYPERLINK(""http://x"",""y"")",-5,-5,\'-2+3,,Bình,-1.5,\'@x'
    assert list(csv.reader(io.StringIO(text))) == [
        ['\'=HYPERLINK("http://x","y")', "-5", "-5", "'-2+3", "", "Bình", "-1.5", "'@x"],
        ["'\t=1", "7"],
        ["'+1+1", "-7"],
    ]


def test_importer_reads_the_quoted_cells_back(tmp_path: Path) -> None:
    buffer = io.StringIO()
    csv_writer(buffer).writerows([["name", "amount"], ["=1+1", -5], ["-abc", "-5"], ["'plain", 1]])
    rows = list(read_rows(Path("x.csv"), buffer.getvalue().encode("utf-8")))
    assert [cells for _n, cells in rows] == [
        ["name", "amount"],
        ["=1+1", "-5"],
        ["-abc", "-5"],
        ["'plain", "1"],
    ]


def test_arrow_table_string_columns_only() -> None:
    table = pa.table(
        {
            "name": pa.array(['=HYPERLINK("http://x","y")', "An", None, "-2+3", "-5", "\t=1"]),
            "note": pa.array(["@SUM(A1)", "", "+1+1", None, "x", "-"], pa.large_string()),
            "amount": pa.array([-5, 0, 3, -1_000_000, None, 7], pa.int64()),
            "rate": pa.array([Decimal("-0.5")] * 6, pa.decimal128(5, 2)),
        }
    )
    safe = safe_arrow_table(table)
    assert safe.schema == table.schema
    assert safe.column("name").to_pylist() == [
        '\'=HYPERLINK("http://x","y")',
        "An",
        None,
        "'-2+3",
        "-5",
        "'\t=1",
    ]
    assert safe.column("note").to_pylist() == ["'@SUM(A1)", "", "'+1+1", None, "x", "'-"]
    assert safe.column("amount").to_pylist() == [-5, 0, 3, -1_000_000, None, 7]
    assert safe.column("rate").equals(table.column("rate"))


def test_arrow_table_without_risky_cells_is_returned_as_it_is() -> None:
    table = pa.table({"name": ["An", "Bình", "-5"], "n": [-1, 2, 3]})
    assert safe_arrow_table(table) is table


@given(
    st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r0123456789.,eE 'aAđ", max_size=6)), max_size=20)
)
def test_arrow_and_python_agree_and_unescape_inverts(values: list[str | None]) -> None:
    table = pa.table({"v": pa.array(values, pa.string())})
    safe = [safe_text(v) for v in values]
    assert safe_arrow_table(table).column("v").to_pylist() == safe
    assert [None if v is None else unescape_text(v) for v in safe] == values
    assert not any(is_risky(v) for v in safe)


def _check_xlsx(path: Path, expected: list[object]) -> None:
    sheet = load_workbook(path).active
    assert sheet is not None
    (cells,) = sheet.iter_rows()
    assert [c.value for c in cells] == expected
    for cell in cells:
        assert cell.data_type != "f"
        if isinstance(cell.value, str) and is_risky(cell.value):
            assert cell.data_type == "s" and cell.quotePrefix
    assert [c.data_type for c in cells if isinstance(c.value, int)] == ["n", "n"]


ROW: list[object] = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1", -5, 12, "An", "-5"]


def test_xlsx_row_in_a_write_only_sheet(tmp_path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(xlsx_row(sheet, ROW))
    workbook.save(tmp_path / "w.xlsx")
    _check_xlsx(tmp_path / "w.xlsx", ROW)


def test_save_workbook_makes_every_cell_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(ROW)
    assert sheet["A1"].data_type == "f"  # what openpyxl does on its own
    other = workbook.create_sheet("B")
    other["C3"] = "=1+1"
    save_workbook(workbook, tmp_path / "n.xlsx")
    _check_xlsx(tmp_path / "n.xlsx", ROW)
    cell = load_workbook(tmp_path / "n.xlsx")["B"]["C3"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    buffer = io.BytesIO()
    save_workbook(workbook, buffer)
    assert buffer.getvalue().startswith(b"PK")
