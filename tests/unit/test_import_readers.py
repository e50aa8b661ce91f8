"""Reading files and matching headings, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansinh.registry.importing.base import ImportFileError
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.importing.readers import find_table, map_headings, read_rows

DATA = Path(__file__).parents[1] / "data" / "import"
COLUMNS = PersonsImporter.columns


def _table(name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    path = DATA / name
    table = find_table(read_rows(path, path.read_bytes()), COLUMNS)
    return table.headings, table.rows


def test_csv_with_and_without_bom_read_the_same() -> None:
    data = (DATA / "persons_vi.csv").read_bytes()
    plain = list(read_rows(Path("x.csv"), data))
    with_bom = list(read_rows(Path("x.csv"), b"\xef\xbb\xbf" + data))
    assert plain == with_bom
    assert plain[0][1][0] == "Số định danh"


def test_semicolon_delimiter() -> None:
    rows = list(read_rows(Path("x.csv"), "Họ và tên;Ngày sinh\nAn;01/01/1990\n".encode()))
    assert rows == [(1, ["Họ và tên", "Ngày sinh"]), (2, ["An", "01/01/1990"])]


def test_wrong_encoding_is_a_clear_file_error() -> None:
    path = DATA / "persons_cp1258.csv"
    with pytest.raises(ImportFileError) as info:
        read_rows(path, path.read_bytes())
    message = str(info.value)
    assert message.startswith("the file is not UTF-8 (byte 0xf4 on line 1 cannot be decoded)")
    assert "CSV UTF-8" in message


def test_truncated_xlsx_is_a_clear_file_error() -> None:
    path = DATA / "persons_truncated.xlsx"
    with pytest.raises(
        ImportFileError,
        match=r"^persons_truncated.xlsx is not a readable .xlsx file "
        r"\(damaged or truncated\?\)",
    ):
        read_rows(path, path.read_bytes())


def test_xlsx_heading_found_under_a_title_row() -> None:
    headings, rows = _table("persons_vi.xlsx")
    assert headings[:3] == ["Số định danh", "Mã số BHXH", "Họ và tên"]
    assert rows[0][0] == 3  # title on row 1, headings on row 2
    assert rows[0][1][:2] == ["042088001234", "4201234567"]
    assert rows[1][1][1] == "0101234567"  # text cell: leading zero kept


def test_headings_match_without_case_or_diacritics() -> None:
    mapping = map_headings(["SO DINH DANH", "họ VÀ tên", "ngay sinh", "Giới tính", "ma xa", "STT"], COLUMNS)
    assert mapping.index == {
        "personal_id": 0,
        "full_name": 1,
        "birth_date": 2,
        "gender": 3,
        "commune_code": 4,
    }
    assert mapping.ignored == ["STT"]


def test_two_headings_for_one_column() -> None:
    with pytest.raises(ImportFileError, match="headings 'Số CCCD' and 'Số định danh' both mean personal_id"):
        map_headings(["Số CCCD", "Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Mã xã"], COLUMNS)


def test_missing_required_column() -> None:
    with pytest.raises(ImportFileError, match=r"^missing required column\(s\): gender \(Giới tính\)$"):
        map_headings(["Số CCCD", "Họ và tên", "Ngày sinh", "Mã xã"], COLUMNS)


def test_no_heading_row() -> None:
    with pytest.raises(ImportFileError, match="no heading row found in the first 10 rows"):
        find_table(read_rows(Path("x.csv"), b"a,b\n1,2\n"), COLUMNS)
