"""Property tests (Hypothesis) of the import readers and cell parsers: whatever the bytes — BOM,
Windows-1258 or latin-1 text, NUL, very long lines, mixed line breaks, stray quotes, random headings —
the reader returns rows, or refuses the file with an ImportFileError, or the rows get row errors;
never another exception."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansinh.registry.importing import fields
from ansinh.registry.importing.base import ImportFileError, RowError
from ansinh.registry.importing.employers import EmployersImporter
from ansinh.registry.importing.participation import ParticipationImporter
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.importing.readers import MAX_LINE_CHARS, open_rows, read_rows
from ansinh.registry.importing.service import parse_rows

SETTINGS = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
HEADINGS = ["Số định danh", "Mã số BHXH", "Họ và tên", "Ngày sinh", "Giới tính", "Mã xã", "Loại hình",
            "Từ ngày", "Mức lương đóng", "Mã số thuế", "Tên đơn vị", "Ngành nghề", "STT", "", "Ghi chú"]
CELL = st.one_of(
    st.sampled_from(["042088001234", "4201234567", "Nguyễn Văn An", "05/01/1988", "Nam", "18631",
                     "BHXH bắt buộc", "100000000000000000000", "8.500.000", "31/02/1990", "=1+1", "'@x"]),
    st.text(max_size=30),
)
NEWLINE = st.sampled_from(["\n", "\r\n", "\r"])


def _csv_text(draw: Callable[[Any], Any]) -> str:
    headings = draw(st.lists(st.sampled_from(HEADINGS) | st.text(max_size=12), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(CELL, max_size=10), max_size=12))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headings)
    writer.writerows(rows)
    lines = buffer.getvalue().split("\n")
    return "".join(line + draw(NEWLINE) for line in lines)


@st.composite
def csv_bytes(draw: Callable[[Any], Any]) -> bytes:
    text = _csv_text(draw)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1258", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from(["none", "nul", "quote", "cut", "bytes"]))
    at = draw(st.integers(0, len(data)))
    if damage == "nul":
        data = data[:at] + b"\x00" + data[at:]
    elif damage == "quote":
        data = data[:at] + b'"' + data[at:]
    elif damage == "cut":
        data = data[:at]
    elif damage == "bytes":
        data = data[:at] + draw(st.binary(max_size=20)) + data[at:]
    return data


def _rows_or_file_error(path: Path, data: bytes) -> list[tuple[int, list[str]]] | None:
    try:
        rows = read_rows(path, data)
    except ImportFileError as exc:
        assert str(exc)
        return None
    numbers = [n for n, _ in rows]
    assert numbers == sorted(set(numbers))
    assert all(isinstance(c, str) for _, cells in rows for c in cells)
    return rows


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_as_csv_give_rows_or_a_file_error(data: bytes) -> None:
    _rows_or_file_error(Path("x.csv"), data)


@SETTINGS
@given(csv_bytes())
def test_damaged_csv_in_odd_encodings_gives_rows_or_a_file_error(data: bytes) -> None:
    rows = _rows_or_file_error(Path("x.csv"), data)
    if rows is not None:
        data.decode("utf-8-sig")  # only UTF-8 is read; anything else was refused


@SETTINGS
@given(csv_bytes(), st.sampled_from([PersonsImporter, ParticipationImporter, EmployersImporter]))
def test_any_csv_imports_to_rows_with_errors_or_a_file_error(data: bytes, importer: Any) -> None:
    try:
        _headings, items, _ignored = parse_rows(importer(), Path("x.csv"), data)
    except ImportFileError as exc:
        assert str(exc)
        return
    for item in items:
        assert all(isinstance(e, RowError) and e.row == item.row and e.reason for e in item.errors)
        if not item.errors:
            assert item.record is not None  # a row without errors is a record


@SETTINGS
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=15),
                         min_size=2, max_size=5), min_size=1, max_size=8), NEWLINE)
def test_utf8_csv_reads_back_what_was_written(rows: list[list[str]], newline: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    back = read_rows(Path("x.csv"), buffer.getvalue().encode("utf-8"))
    assert back[0] == (1, ["a", "b", "c"])
    expected = [[c.strip() for c in r] for r in rows]
    got = [cells for _n, cells in back[1:]]
    assert [[c.lstrip("'") for c in r] for r in got] == [[c.lstrip("'") for c in r] for r in expected]


def test_a_very_long_line_is_refused_not_held() -> None:
    data = b"a,b\n" + b"x" * (MAX_LINE_CHARS + 10)
    with pytest.raises(ImportFileError, match="longer than"):
        list(open_rows(Path("x.csv"), data))


def test_a_bad_byte_is_named_with_its_line_across_chunks() -> None:
    data = b"a,b\n" + b"1,2\n" * 400_000 + b"V\xe3n,B\xecnh\n"  # Windows-1258 "Văn,Bình"
    with pytest.raises(ImportFileError, match=r"^the file is not UTF-8 \(byte 0xe3 on line 400002 "):
        list(open_rows(Path("x.csv"), data))


@settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_as_xlsx_give_rows_or_a_file_error(data: bytes) -> None:
    _rows_or_file_error(Path("x.xlsx"), b"PK\x03\x04" + data if data[:1] == b"P" else data)


@settings(max_examples=40, deadline=4000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6),
                                   st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]),
                                           max_size=12)), min_size=1, max_size=4), max_size=6),
       st.integers(0, 200))
def test_xlsx_cells_come_back_as_text_or_a_damaged_file_error(rows: list[list[Any]], cut: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    back = _rows_or_file_error(Path("x.xlsx"), data)
    assert back is not None
    assert len(back) <= len(rows)
    # a truncated copy is refused as a whole, never half-read into an exception
    _rows_or_file_error(Path("x.xlsx"), data[: len(data) - cut - 1])


PARSERS: list[Callable[[str], object]] = [
    fields.parse_date, fields.parse_amount, fields.si_number, fields.tax_code, fields.phone,
    fields.wage_region, fields.sector, fields.ethnicity, fields.digits(12, "personal ID"),
    fields.int_range(1, 5, "benefit level"), fields.choice(fields.GENDER_LABELS, "gender"),
    fields.choice(fields.SCHEME_LABELS, "scheme"),
]


@SETTINGS
@given(st.one_of(st.text(max_size=60), st.from_regex(r"\d{1,60}", fullmatch=True),
                 st.from_regex(r"\d{1,3}([.,]\d{3}){0,12}", fullmatch=True)),
       st.sampled_from(PARSERS))
def test_cell_parsers_return_a_value_or_a_value_error(value: str, parser: Callable[[str], object]) -> None:
    try:
        parsed = parser(value)
    except ValueError as exc:
        assert str(exc)
        return
    if parser is fields.parse_amount:
        assert isinstance(parsed, int) and 0 < parsed <= 10**15
