"""Stable reason codes of the claims domain, with their Vietnamese and English messages.

Codes never change meaning and are never reused (like openIMIS' numbered rejection reasons):

- ``F..``: the file as a whole (envelope) cannot be read;
- ``E..``: one episode is refused at intake (structure, arithmetic, unknown codes);
- ``R..``: an automatic review rule found something (see :mod:`ansinh.claims.rules`);
- ``S..``: the statistical screening found an outlier (see :mod:`ansinh.claims.screening`).

>>> CODES["E07"].en
'T_BHTT is not T_TONGCHI_BH − T_BNCCT'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    vi: str
    en: str
    basis: str


_ALL = [
    Code(
        "F01",
        "Tệp bị cắt cụt hoặc không đúng cấu trúc XML",
        "File truncated or not well-formed XML",
        "QĐ 130/QĐ-BYT Điều 1, cấu trúc GIAMDINHHS",
    ),
    Code(
        "F02",
        "Tệp khai báo DOCTYPE/thực thể (bị từ chối)",
        "File declares a DOCTYPE or entities (refused)",
        "Office security policy; QĐ 130 (no DTD in the standard)",
    ),
    Code(
        "F03",
        "Không phải hồ sơ GIAMDINHHS hoặc thiếu MACSKCB",
        "Not a GIAMDINHHS envelope or MACSKCB missing",
        "QĐ 130/QĐ-BYT, cấu trúc hồ sơ",
    ),
    Code("F04", "Tệp vượt quá dung lượng cho phép", "File larger than the limit", "Office intake limit"),
    Code("F05", "Tệp không mã hoá UTF-8", "File is not UTF-8", "QĐ 130/QĐ-BYT: bảng mã UTF-8"),
    Code(
        "F06",
        "Cơ sở KCB không có trong danh mục",
        "Facility not in the reference list",
        "QĐ 130/QĐ-BYT, MA_CSKCB; danh mục cơ sở KCB",
    ),
    Code(
        "F07",
        "Cơ sở KCB của tệp không thuộc tài khoản gửi",
        "The file's facility is not one of the sending account's",
        "Office security policy: a hospital files its own facilities' claims",
    ),
    Code(
        "E01",
        "NOIDUNGFILE không phải base64 hợp lệ",
        "NOIDUNGFILE is not valid base64",
        "QĐ 130/QĐ-BYT: NOIDUNGFILE mã hoá base64",
    ),
    Code(
        "E02",
        "Bảng XML bên trong không đúng cấu trúc",
        "Inner table is not well-formed XML",
        "QĐ 130/QĐ-BYT, XML1–XML3",
    ),
    Code("E03", "Thiếu bảng XML1 (tổng hợp)", "XML1 (summary) missing", "QĐ 130/QĐ-BYT, bảng 1"),
    Code(
        "E04",
        "Thiếu hoặc sai định dạng trường bắt buộc",
        "Required field missing or malformed",
        "QĐ 130/QĐ-BYT (QĐ 4750/QĐ-BYT), mô tả trường XML1–XML3",
    ),
    Code(
        "E05",
        "THANH_TIEN khác SO_LUONG × DON_GIA",
        "THANH_TIEN is not SO_LUONG × DON_GIA",
        "QĐ 130/QĐ-BYT, XML2/XML3: THANH_TIEN_BV = SO_LUONG × DON_GIA",
    ),
    Code(
        "E06",
        "T_TONGCHI_BH khác tổng THANH_TIEN_BH",
        "T_TONGCHI_BH is not Σ THANH_TIEN_BH",
        "QĐ 130/QĐ-BYT, XML1: T_TONGCHI_BH",
    ),
    Code(
        "E07",
        "T_BHTT khác T_TONGCHI_BH − T_BNCCT",
        "T_BHTT is not T_TONGCHI_BH − T_BNCCT",
        "QĐ 130/QĐ-BYT, XML1: T_BHTT",
    ),
    Code(
        "E08",
        "MA_CSKCB của hồ sơ khác cơ sở gửi tệp",
        "MA_CSKCB differs from the sending facility",
        "QĐ 130/QĐ-BYT, XML1: MA_CSKCB",
    ),
    Code(
        "E09",
        "Cùng MA_LK xuất hiện hai lần trong tệp với nội dung khác",
        "MA_LK twice in one file, different content",
        "QĐ 130/QĐ-BYT: MA_LK là khoá duy nhất",
    ),
    Code("E10", "Hồ sơ vượt giới hạn kích thước", "Episode exceeds a size limit", "Office intake limit"),
    Code("E11", "Mã thẻ BHYT sai cấu trúc", "HI card number malformed", "QĐ 1351/QĐ-BHXH, cấu trúc mã thẻ"),
    Code(
        "E12",
        "Mã dịch vụ/thuốc/vật tư không có trong danh mục",
        "Service, drug or supply code not in the price lists",
        "QĐ 130/QĐ-BYT: MA_DICH_VU, MA_THUOC, MA_VAT_TU theo danh mục dùng chung",
    ),
    Code(
        "E13",
        "Mã bệnh ICD-10 không có trong danh mục",
        "ICD-10 code not in the list",
        "QĐ 4469/QĐ-BYT (ICD-10)",
    ),
    Code(
        "E14",
        "Thẻ BHYT không có trong cơ sở dữ liệu",
        "HI card unknown to the registry",
        "Luật BHYT Điều 16; cơ sở dữ liệu thẻ BHYT",
    ),
    Code(
        "E15",
        "Tổng T_TONGCHI_BV khác tổng THANH_TIEN_BV",
        "T_TONGCHI_BV is not Σ THANH_TIEN_BV",
        "QĐ 130/QĐ-BYT, XML1: T_TONGCHI_BV",
    ),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def message(code: str, locale: str = "vi") -> str:
    entry = CODES.get(code)
    if entry is None:
        from ansinh.claims.rules import RULES

        rule = RULES.get(code)
        if rule is None:
            return code
        return rule.vi if locale == "vi" else rule.en
    return entry.vi if locale == "vi" else entry.en
