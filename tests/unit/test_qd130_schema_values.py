"""The QĐ 130/4750 tables as package data and the typed values (ansinh.claims.qd130.schema, .values)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ansinh.claims.qd130 import schema
from ansinh.claims.qd130.values import (
    Invalid,
    date_value,
    datetime_value,
    decimal_value,
    integer_value,
    normalise_code,
    split_multi,
    typed,
)


def test_field_counts_follow_the_definition() -> None:
    counts = {name: len(t.fields) for name, t in schema.tables().items()}
    assert counts["XML1"] == 66
    assert counts["XML2"] == 39
    assert counts["XML3"] == 47
    assert counts["XML0"] == 26 and counts["XML4"] == 12 and counts["XML5"] == 9 and counts["XML15"] == 20
    assert sorted(counts, key=lambda n: int(n[3:])) == list(schema.TABLE_NAMES)


def test_fields_in_official_order_with_portal_rules() -> None:
    xml1 = schema.table("XML1")
    assert xml1.names[:5] == ("MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD")
    assert xml1.names[-3:] == ("MA_HSBA", "MA_TTDV", "DU_PHONG")
    assert xml1.record_element == "TONG_HOP"
    assert xml1.field("T_BHTT").kind == "decimal" and xml1.field("T_BHTT").required
    assert xml1.field("NGAY_VAO").kind == "datetime"
    assert xml1.field("GT_THE_TU").kind == "date" and xml1.field("GT_THE_TU").multi
    # QĐ 4750 changed SO_CCCD, MA_QUOCTICH, MA_LOAI_KCB to text
    assert xml1.field("SO_CCCD").type_portal == "Chuỗi" and xml1.field("SO_CCCD").type_qd130 == "Số"
    assert xml1.field("MA_LOAI_KCB").kind == "text"
    assert xml1.field("MA_DOITUONG_KCB").max_portal == 5
    assert xml1.field("MA_THE_BHYT").max_portal is None  # "n": unbounded
    assert "9,12 ký tự số" in xml1.field("SO_CCCD").portal_rule
    xml3 = schema.table("XML3")
    assert xml3.wrappers == ("CHITIEU_CHITIET_DVKT_VTYT", "DSACH_CHI_TIET_DVKT", "CHI_TIET_DVKT")
    assert xml3.field("TT_THAU").required_rule == "Bắt buộc khi MA_NHOM = 10"
    assert xml3.field("MUC_HUONG").kind == "decimal"
    assert schema.table("XML2").field("MUC_HUONG").required  # MUC_HUONG is per line, not in XML1
    assert not xml1.has("MUC_HUONG") and not xml1.has("T_TONGCHI")


def test_tables_load_once() -> None:
    assert schema.tables() is schema.tables()


def test_money_is_kept_exactly() -> None:
    assert decimal_value("600000.00") == Decimal("600000.00")
    assert str(decimal_value("600000.00")) == "600000.00"
    assert decimal_value("3127883,2") == Decimal("3127883.2")
    assert decimal_value(" 0.333 ") == Decimal("0.333")
    assert decimal_value("100") == 100
    assert decimal_value("") is None
    total = sum((d for d in map(decimal_value, ["0.10", "0.20"]) if isinstance(d, Decimal)), Decimal(0))
    assert total == Decimal("0.30")  # a float would give 0.30000000000000004


def test_bad_numbers_are_values_not_exceptions() -> None:
    for raw in ("NaN", "undefined", "Nhóm 1", "Infinity", "1e5", "1.000.000", "12a"):
        assert isinstance(decimal_value(raw), Invalid), raw
    assert isinstance(integer_value("Nhóm 1"), Invalid)
    assert integer_value("08") == 8


def test_dates() -> None:
    assert datetime_value("202601150930") == datetime(2026, 1, 15, 9, 30)
    assert date_value("20261231") == date(2026, 12, 31)
    for raw in ("20261301", "2026011", "202601150960", "undefined"):
        assert isinstance(date_value(raw), Invalid) or isinstance(datetime_value(raw), Invalid)
    assert isinstance(datetime_value("20260115"), Invalid)  # a date where a time is required
    assert isinstance(date_value("20260230"), Invalid)


def test_several_values_and_codes() -> None:
    assert split_multi("K01;K18") == ["K01", "K18"]
    assert split_multi("GD4797912345678; HC4010123456789;") == ["GD4797912345678", "HC4010123456789"]
    assert normalise_code("K21.9") == "K219" and normalise_code("k21") == "K21"
    assert normalise_code("K21.9") != normalise_code("K21")
    xml1 = schema.table("XML1")
    assert typed(xml1.field("GT_THE_TU"), "20260101;20260701") == [date(2026, 1, 1), date(2026, 7, 1)]
    assert isinstance(typed(xml1.field("GT_THE_TU"), "20260101;2026"), Invalid)
    assert typed(xml1.field("T_BHTT"), "3127883,2") == Decimal("3127883.2")
    assert typed(xml1.field("MA_KHOA"), "K01;K18") == ["K01", "K18"]
