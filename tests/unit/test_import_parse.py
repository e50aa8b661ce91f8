"""Row validation without a database: every problem of every row, with the user's row numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ansinh.registry.importing.base import Item, RowError
from ansinh.registry.importing.participation import ParticipationImporter
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.importing.service import parse_rows

DATA = Path(__file__).parents[1] / "data" / "import"
TODAY = date(2026, 1, 15)


def _parse(importer: Any, text: str) -> list[Item[Any]]:
    _headings, items, _ignored = parse_rows(importer, Path("f.csv"), text.encode())
    return items


def _errors(items: list[Item[Any]]) -> list[RowError]:
    return [e for i in items for e in i.errors]


def test_bad_persons_file_reports_each_row() -> None:
    path = DATA / "persons_bad.csv"
    _h, items, _i = parse_rows(PersonsImporter(today=TODAY), path, path.read_bytes())
    assert _errors(items) == [
        RowError(2, "Số CCCD", "042288001235", "chữ số thứ 4 của số định danh là 2, nhưng nam sinh năm "
                                               "1988 phải là 0 (personal ID digit 4 is 2, but a male "
                                               "born in 1988 has 0)"),
        RowError(
            3,
            "Số CCCD",
            "04208800123",
            "số định danh phải gồm 12 chữ số, nhận được '04208800123' (personal ID must be 12 digits); "
            "mất số 0 ở đầu? hãy định dạng cột là Văn bản (Text) trong Excel (leading zeros lost? format the "
            "column as Text in Excel)",
        ),
        RowError(4, "Số CCCD", "04208800123A", "số định danh phải gồm 12 chữ số, nhận được "
                                               "'04208800123A' (personal ID must be 12 digits)"),
        RowError(5, "Ngày sinh", "31/02/1990", "ngày '31/02/1990' không có thật (impossible date: no "
                                               "such day)"),
        RowError(8, "Mã số BHXH", "4201234567", "trùng với dòng 7 (cùng Mã số BHXH) (duplicate of row "
                                                "7, same Mã số BHXH)"),
    ]  # the unknown commune on row 6 needs the database: see the integration tests
    assert [i.ok for i in items] == [False, False, False, False, True, True, False]


def test_one_row_reports_all_its_problems() -> None:
    items = _parse(
        PersonsImporter(today=TODAY),
        "Số định danh,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ngày mất\n"
        "042088001234,,01/01/2030,X,1863,01/01/2020\n",
    )
    assert [(e.column, e.reason) for e in _errors(items)] == [
        ("Họ và tên", "bắt buộc, không được để trống (required)"),
        ("Giới tính", "giới tính 'X' không hợp lệ; chấp nhận: male, female (unknown gender)"),
        ("Số định danh", "chữ số 5–6 của số định danh là 88, nhưng năm sinh là 2030 (personal ID digits "
                         "5–6 are 88, but the birth year is 2030)"),
        ("Ngày sinh", "ngày sinh ở tương lai (birth date is in the future)"),
        ("Ngày mất", "ngày mất trước ngày sinh (death date is before the birth date)"),
        (
            "Mã xã",
            "mã xã phải gồm 5 chữ số, nhận được '1863' (commune code must be 5 digits); "
            "mất số 0 ở đầu? hãy định dạng cột là Văn bản (Text) trong Excel (leading zeros lost? format the "
            "column as Text in Excel)",
        ),
    ]


def test_valid_person_is_normalised() -> None:
    nfd_name = "Nguye\u0302\u0303n Va\u0306n An"  # decomposed, as some keyboards type it
    items = _parse(
        PersonsImporter(today=TODAY),
        f"Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã,Dân tộc\n"
        f"0101234567,  {nfd_name} ,1988-01-05,nữ,18631,Kinh\n",
    )
    record = items[0].record
    assert record is not None and not items[0].errors
    assert record.full_name == "Nguyễn Văn An" and record.si_number == "0101234567"
    assert (record.gender, record.ethnicity, record.birth_date) == ("female", "01", date(1988, 1, 5))


def test_person_needs_an_identifier() -> None:
    items = _parse(
        PersonsImporter(today=TODAY),
        "Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã\n,,An,01/01/1990,Nam,18631\n",
    )
    assert [(e.row, e.column, e.reason) for e in _errors(items)] == [
        (2, "Số định danh", "hãy ghi số định danh hoặc mã số BHXH (give the personal ID or the SI number)")
    ]


def test_participation_rules_per_scheme() -> None:
    text = (
        "Mã số BHXH,Loại hình,Từ ngày,Đến ngày,Mã số thuế đơn vị,Mức lương đóng,Mức thu nhập,"
        "Mã đối tượng,Mức hưởng,Mã thẻ BHYT\n"
        "4201234567,BHXH bắt buộc,01/01/2024,,4201234567,0,,,,\n"
        "4201234567,BHYT,01/01/2025,31/12/2024,,,,DN,3,DN4424201234567\n"
        "4201234567,BHYT,01/02/2025,,,5000000,,,,HS4420000000001\n"
        "4201234567,BHXH tự nguyện,01/03/2025,,,,,,,\n"
        "4201234567,BHYT,01/04/2025,,,,,,,DN4424201234567\n"
    )
    items = _parse(ParticipationImporter(today=TODAY), text)
    assert [(e.row, e.column, e.reason) for e in _errors(items)] == [
        (2, "Mức lương đóng", "phải là số đồng nguyên dương, nhận được '0' (must be a positive whole "
                              "number of đồng)"),
        (3, "Đến ngày", "kết thúc trước ngày bắt đầu 01/01/2025 (ends before it starts)"),
        (3, "Mã thẻ BHYT", "mức hưởng trên thẻ 4 khác mức hưởng 3 (the card's benefit digit 4 differs from "
                           "the benefit level 3)"),
        (4, "Mức lương đóng", "không dùng cho loại bảo hiểm hi; hãy để trống (not used for scheme hi; "
                              "leave it empty)"),
        (4, "Mã thẻ BHYT", "thẻ kết thúc bằng 0000000001, không phải mã số BHXH 4201234567 (the card "
                           "ends with 0000000001, not the SI number 4201234567)"),
        (5, "Mức thu nhập", "bắt buộc, không được để trống (required)"),
    ]
    last = items[4].record
    assert last is not None and (last.hi_group, last.hi_benefit_level) == ("DN", 4)


def test_tax_code_format() -> None:
    from ansinh.registry.importing.employers import EmployersImporter

    items = _parse(
        EmployersImporter(today=TODAY),
        "Mã số thuế,Tên đơn vị,Loại hình,Mã xã,Ngành nghề,Vùng,Vùng từ ngày\n"
        "420123456,A,Doanh nghiệp,18631,C,II,\n"
        "4201234567-1,B,Công ty,18631,Z,5,01/07/2025\n",
    )
    assert [(e.row, e.column, e.reason) for e in _errors(items)] == [
        (2, "Mã số thuế", "mã số thuế phải gồm 10 chữ số, hoặc 10-3 chữ số với chi nhánh, nhận được "
                          "'420123456' (tax code must be 10 digits or 10-3 digits for a branch)"),
        (2, "Vùng từ ngày", "hãy ghi cùng lúc Vùng và Vùng từ ngày (give region and region_valid_from "
                            "together)"),
        (3, "Mã số thuế", "mã số thuế phải gồm 10 chữ số, hoặc 10-3 chữ số với chi nhánh, nhận được "
                          "'4201234567-1' (tax code must be 10 digits or 10-3 digits for a branch)"),
        (3, "Ngành nghề", "ngành phải là chữ cái A–U của VSIC 2018, nhận được 'Z' (sector must be a "
                          "VSIC 2018 section letter A–U)"),
        (3, "Vùng", "vùng lương tối thiểu phải là 1–4 hoặc I–IV, nhận được '5' (wage region must be 1–4 "
                    "or I–IV)"),
    ]
