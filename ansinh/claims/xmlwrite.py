"""Writing episodes as a GIAMDINHHS envelope (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT), for tests,
the benchmark and hospitals' test files. Amounts are written with 2 decimals, quantities and unit prices
with 3, as the standard asks.

>>> envelope("42001", [episode_xml(...)])   # doctest: +SKIP
b'<?xml version="1.0" encoding="utf-8"?><GIAMDINHHS>…'
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

XML1_FIELDS = (
    "MA_LK",
    "STT",
    "MA_BN",
    "HO_TEN",
    "SO_CCCD",
    "NGAY_SINH",
    "GIOI_TINH",
    "MA_THE_BHYT",
    "MA_DKBD",
    "GT_THE_TU",
    "GT_THE_DEN",
    "MA_BENH_CHINH",
    "MA_BENH_KT",
    "MA_DOITUONG_KCB",
    "NGAY_VAO",
    "NGAY_RA",
    "SO_NGAY_DTRI",
    "KET_QUA_DTRI",
    "MA_LOAI_RV",
    "T_THUOC",
    "T_VTYT",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
    "NAM_QT",
    "THANG_QT",
    "MA_LOAI_KCB",
    "MA_KHOA",
    "MA_CSKCB",
    "MUC_HUONG",
)


def _dt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M")
    if isinstance(value, date):
        return value.strftime("%Y%m%d") + "0000"
    return str(value)


def money(dong: int) -> str:
    return f"{dong}.00"


def milli(value: int) -> str:
    return f"{value // 1000}.{value % 1000:03d}"


def _element(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>" if value not in (None, "") else f"<{name}/>"


def xml1(e: Mapping[str, Any]) -> bytes:
    """The summary table (TONG_HOP) of one episode."""
    values = {
        "MA_LK": e["ma_lk"],
        "STT": 1,
        "MA_BN": e.get("patient_code", e["ma_lk"]),
        "HO_TEN": e.get("patient_name", ""),
        "NGAY_SINH": e["birth_date"].strftime("%Y%m%d") + "0000",
        "GIOI_TINH": e["gender"],
        "MA_THE_BHYT": e["card_number"],
        "MA_DKBD": e.get("registered_facility", ""),
        "GT_THE_TU": e["card_from"].strftime("%Y%m%d") if e.get("card_from") else "",
        "GT_THE_DEN": e["card_to"].strftime("%Y%m%d") if e.get("card_to") else "",
        "MA_BENH_CHINH": e["icd_main"],
        "MA_BENH_KT": e.get("icd_other") or "",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": _dt(e["admitted_at"]),
        "NGAY_RA": _dt(e["discharged_at"]),
        "SO_NGAY_DTRI": e.get("treatment_days", 0),
        "KET_QUA_DTRI": 1,
        "MA_LOAI_RV": 1,
        "T_THUOC": money(e.get("total_drugs", 0)),
        "T_VTYT": money(e.get("total_supplies", 0)),
        "T_TONGCHI_BV": money(e["total_hospital"]),
        "T_TONGCHI_BH": money(e["total_hi"]),
        "T_BNTT": money(e.get("patient_self", 0)),
        "T_BNCCT": money(e["patient_copay"]),
        "T_BHTT": money(e["fund_claimed"]),
        "T_NGUONKHAC": "0.00",
        "NAM_QT": e["settle_year"],
        "THANG_QT": e["settle_month"],
        "MA_LOAI_KCB": e["kind"],
        "MA_KHOA": "K01",
        "MA_CSKCB": e["facility_code"],
        "MUC_HUONG": e["benefit_rate"],
    }
    body = "".join(_element(k, values.get(k, "")) for k in XML1_FIELDS)
    return f'<?xml version="1.0" encoding="utf-8"?><TONG_HOP>{body}</TONG_HOP>'.encode()


def _line(ln: Mapping[str, Any], ma_lk: str) -> str:
    price = milli(ln["unit_price_milli"])
    common = (
        _element("SO_LUONG", milli(ln["quantity_milli"]))
        + _element("TYLE_TT_BH", ln.get("payment_rate", 100))
        + _element("THANH_TIEN_BV", money(ln["amount_hospital"]))
        + _element("THANH_TIEN_BH", money(ln["amount_hi"]))
        + _element("MA_BAC_SI", ln.get("practitioner") or "")
        + _element("NGAY_YL", _dt(ln["ordered_on"]))
        + _element("NGAY_TH_YL", _dt(ln["performed_at"]) if ln.get("performed_at") else "")
    )
    head = _element("MA_LK", ma_lk) + _element("STT", ln["seq"])
    if ln["kind"] == "drug":
        return (
            "<CHI_TIET_THUOC>"
            + head
            + _element("MA_THUOC", ln["item_code"])
            + _element("MA_NHOM", 4)
            + _element("PHAM_VI", 1)
            + _element("DON_GIA", price)
            + common
            + "</CHI_TIET_THUOC>"
        )
    code = (
        _element("MA_DICH_VU", "") + _element("MA_VAT_TU", ln["item_code"])
        if ln["kind"] == "supply"
        else _element("MA_DICH_VU", ln["item_code"]) + _element("MA_VAT_TU", "")
    )
    return (
        "<CHI_TIET_DVKT>"
        + head
        + code
        + _element("MA_NHOM", 10 if ln["kind"] == "supply" else 1)
        + _element("PHAM_VI", 1)
        + _element("DON_GIA_BV", price)
        + _element("DON_GIA_BH", price)
        + common
        + "</CHI_TIET_DVKT>"
    )


def xml2(lines: Iterable[Mapping[str, Any]], ma_lk: str) -> bytes:
    rows = "".join(_line(ln, ma_lk) for ln in lines if ln["kind"] == "drug")
    return (
        '<?xml version="1.0" encoding="utf-8"?><CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC>'
        f"{rows}</DSACH_CHI_TIET_THUOC></CHITIEU_CHITIET_THUOC>"
    ).encode()


def xml3(lines: Iterable[Mapping[str, Any]], ma_lk: str) -> bytes:
    rows = "".join(_line(ln, ma_lk) for ln in lines if ln["kind"] != "drug")
    return (
        '<?xml version="1.0" encoding="utf-8"?><CHITIEU_CHITIET_DVKT_VTYT><DSACH_CHI_TIET_DVKT>'
        f"{rows}</DSACH_CHI_TIET_DVKT></CHITIEU_CHITIET_DVKT_VTYT>"
    ).encode()


def hoso(tables: Iterable[tuple[str, bytes]]) -> str:
    """One HOSO element from (LOAIHOSO, inner XML bytes) pairs."""
    parts = "".join(
        f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>{base64.b64encode(data).decode()}</NOIDUNGFILE>"
        "</FILEHOSO>"
        for kind, data in tables
    )
    return f"<HOSO>{parts}</HOSO>"


def episode_hoso(episode: Mapping[str, Any], lines: Iterable[Mapping[str, Any]]) -> str:
    lines = list(lines)
    ma_lk = episode["ma_lk"]
    return hoso([("XML1", xml1(episode)), ("XML2", xml2(lines, ma_lk)), ("XML3", xml3(lines, ma_lk))])


def envelope(facility: str, hosos: list[str], made: date | None = None) -> bytes:
    made = made or date.today()
    return (
        '<?xml version="1.0" encoding="utf-8"?><GIAMDINHHS><THONGTINDONVI>'
        f"<MACSKCB>{facility}</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>{made:%Y%m%d}</NGAYLAP>"
        f"<SOLUONGHOSO>{len(hosos)}</SOLUONGHOSO><DANHSACHHOSO>{''.join(hosos)}</DANHSACHHOSO>"
        "</THONGTINHOSO></GIAMDINHHS>"
    ).encode()
