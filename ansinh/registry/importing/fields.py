"""Pure cell parsers for imports. Each takes the cell text and returns the value or raises
``ValueError`` with a reason an officer can act on.

>>> parse_date("05/01/1988"), parse_date("1988-01-05")
(datetime.date(1988, 1, 5), datetime.date(1988, 1, 5))
>>> parse_amount("5.310.000")
5310000
>>> choice(GENDER_LABELS, "gender")("Nữ")
'female'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import TypeVar

from ansinh.core.money import MAX_AMOUNT_DONG, AmountOutOfRange, check_amount
from ansinh.core.text import name_key, nfc
from ansinh.registry.identifiers import InvalidIdentifier, validate_si_number, validate_tax_code

T = TypeVar("T")

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_AMOUNT = re.compile(r"^\d{1,3}([.,]\d{3})+$|^\d+$")
_MAX_AMOUNT_DIGITS = len(str(MAX_AMOUNT_DONG))
#: Spellings remembered per label parser (bounded: a damaged file cannot make it grow).
_MEMO_SIZE = 1000
_ETHNICITY_SEEN: dict[str, str] = {}


def clean_text(value: str) -> str:
    return nfc(value)


@lru_cache(maxsize=1 << 16)  # a province's birth dates are a few tens of thousands of days
def parse_date(value: str) -> date:
    """dd/mm/yyyy (also with - or .) or yyyy-mm-dd; impossible dates such as 31/02 are refused."""
    value = value.strip()
    if m := _DMY.fullmatch(value):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _YMD.fullmatch(value):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ValueError(f"không phải ngày: hãy viết dd/mm/yyyy hoặc yyyy-mm-dd, nhận được {value!r} "
                         "(not a date: write dd/mm/yyyy or yyyy-mm-dd)")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"ngày {value!r} không có thật (impossible date: no such day)") from None


def parse_amount(value: str) -> int:
    """A positive whole number of đồng, at most :data:`~ansinh.core.money.MAX_AMOUNT_DONG`;
    thousands may be grouped with dots or commas. A larger figure (10^20 typed for 10^6, a cell of
    fifty digits) is a row error, never an overflow in the database."""
    value = value.strip().replace(" ", "")
    if value.endswith(("đ", "₫")):
        value = value[:-1]
    if not _AMOUNT.fullmatch(value):
        raise ValueError(f"phải là số đồng nguyên dương, nhận được {value!r} "
                         "(must be a positive whole number of đồng)")
    digits = value.replace(".", "").replace(",", "").lstrip("0") or "0"
    if len(digits) > _MAX_AMOUNT_DIGITS:  # int() of thousands of digits is slow, and refused by Python
        shown = digits if len(digits) <= 30 else f"{digits[:20]}… ({len(digits)} chữ số)"
        raise AmountOutOfRange(f"số tiền {shown} vượt giới hạn {MAX_AMOUNT_DONG:,} đồng".replace(",", "."))
    amount = int(digits)
    if amount <= 0:
        raise ValueError(f"phải là số đồng nguyên dương, nhận được {value!r} "
                         "(must be a positive whole number of đồng)")
    return check_amount(amount)


def choice(labels: Mapping[str, str], what: str) -> Callable[[str], str]:
    """A parser accepting the labels (keys compared with :func:`name_key`)."""
    keyed = {name_key(k): v for k, v in labels.items()}
    allowed = ", ".join(dict.fromkeys(labels.values()))
    seen: dict[str, str] = {}  # cell text → value: a column holds a handful of spellings

    def parse(value: str) -> str:
        found = seen.get(value)
        if found is not None:
            return found
        try:
            found = keyed[name_key(value)]
        except KeyError:
            raise ValueError(f"{vietnamese(what)} {value!r} không hợp lệ; chấp nhận: {allowed} "
                             f"(unknown {what})") from None
        if len(seen) < _MEMO_SIZE:
            seen[value] = found
        return found

    return parse


def digits(length: int, what: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) == length):
            raise ValueError(f"{vietnamese(what)} phải gồm {length} chữ số, nhận được {value!r} "
                             f"({what} must be {length} digits){_zero_hint(value, length)}")
        return value

    return parse


def _zero_hint(value: str, length: int) -> str:
    if value.isascii() and value.isdigit() and len(value) < length:
        return ZERO_HINT
    return ""


#: Said when a number column lost its leading zeros in Excel.
ZERO_HINT = ("; mất số 0 ở đầu? hãy định dạng cột là Văn bản (Text) trong Excel (leading zeros lost? "
             "format the column as Text in Excel)")

#: Vietnamese names of the things the parsers are told to read (the ``what`` of a parser).
WHAT_VI = {
    "gender": "giới tính", "relation to the head": "quan hệ với chủ hộ", "commune code": "mã xã",
    "province code": "mã tỉnh", "personal ID": "số định danh", "commune kind": "loại đơn vị hành chính",
    "poverty status": "tình trạng nghèo", "employer kind": "loại hình đơn vị", "status": "trạng thái",
    "scheme": "loại bảo hiểm", "support group": "nhóm được hỗ trợ", "year": "năm",
    "benefit level": "mức hưởng", "facility code": "mã cơ sở khám chữa bệnh",
}


def vietnamese(what: str) -> str:
    """The Vietnamese name of a parser's ``what``."""
    return WHAT_VI.get(what, what)


def si_number(value: str) -> str:
    try:
        return validate_si_number(value)
    except InvalidIdentifier as exc:
        raise ValueError(f"{exc}{_zero_hint(value.strip(), 10)}") from None


def tax_code(value: str) -> str:
    try:
        return validate_tax_code(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


def int_range(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 12) or not low <= int(value) <= high:
            raise ValueError(f"{vietnamese(what)} phải là số nguyên từ {low} đến {high}, nhận được {value!r} "
                             f"({what} must be a whole number from {low} to {high})")
        return int(value)

    return parse


def wage_region(value: str) -> int:
    """Minimum-wage region (vùng): 1–4, I–IV, or "Vùng II"."""
    key = name_key(value).removeprefix("vung").strip().upper()
    regions = {"1": 1, "2": 2, "3": 3, "4": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
    if key not in regions:
        raise ValueError(f"vùng lương tối thiểu phải là 1–4 hoặc I–IV, nhận được {value!r} "
                         "(wage region must be 1–4 or I–IV)")
    return regions[key]


_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


def phone(value: str) -> str:
    if value.isascii() and value.isdigit() and 9 <= len(value) <= 11:
        return value  # already compact, as most cells are
    compact = _PHONE_SEPARATORS.sub("", value)
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    if not (compact.isascii() and compact.isdigit() and 9 <= len(compact) <= 11):
        raise ValueError(f"số điện thoại phải gồm 9–11 chữ số, nhận được {value!r} "
                         "(phone must be 9–11 digits)")
    return compact


# --- labels (English value → itself, plus the Vietnamese words staff write) ---------------------

GENDER_LABELS = {"male": "male", "female": "female", "nam": "male", "nữ": "female", "m": "male",
                 "f": "female"}

RELATION_LABELS = {
    "head": "head", "spouse": "spouse", "child": "child", "parent": "parent", "grandchild": "grandchild",
    "sibling": "sibling", "other": "other",
    "Chủ hộ": "head", "Chủ hộ gia đình": "head",
    "Vợ": "spouse", "Chồng": "spouse",
    "Con": "child", "Con đẻ": "child", "Con trai": "child", "Con gái": "child", "Con nuôi": "child",
    "Bố": "parent", "Mẹ": "parent", "Cha": "parent", "Cha đẻ": "parent", "Mẹ đẻ": "parent",
    "Cháu": "grandchild", "Cháu nội": "grandchild", "Cháu ngoại": "grandchild",
    "Anh": "sibling", "Chị": "sibling", "Em": "sibling", "Anh trai": "sibling", "Chị gái": "sibling",
    "Em trai": "sibling", "Em gái": "sibling",
    "Khác": "other", "Ông": "other", "Bà": "other", "Con dâu": "other", "Con rể": "other",
}

POVERTY_LABELS = {
    "poor": "poor", "near_poor": "near_poor", "none": "none", "near poor": "near_poor",
    "Hộ nghèo": "poor", "Nghèo": "poor", "Hộ cận nghèo": "near_poor", "Cận nghèo": "near_poor",
    "Không": "none", "Không nghèo": "none",
}

EMPLOYER_KIND_LABELS = {
    "enterprise": "enterprise", "state_agency": "state_agency", "business_household": "business_household",
    "cooperative": "cooperative", "ngo": "ngo", "foreign_org": "foreign_org", "other": "other",
    "Doanh nghiệp": "enterprise", "Công ty": "enterprise",
    "Cơ quan nhà nước": "state_agency", "Cơ quan hành chính": "state_agency",
    "Đơn vị sự nghiệp": "state_agency", "Đơn vị sự nghiệp công lập": "state_agency",
    "Hộ kinh doanh": "business_household", "Hộ kinh doanh cá thể": "business_household",
    "Hợp tác xã": "cooperative", "HTX": "cooperative",
    "Tổ chức phi chính phủ": "ngo", "Tổ chức nước ngoài": "foreign_org", "Khác": "other",
}

EMPLOYER_STATUS_LABELS = {
    "active": "active", "suspended": "suspended", "dissolved": "dissolved", "absconded": "absconded",
    "Đang hoạt động": "active", "Hoạt động": "active",
    "Tạm dừng": "suspended", "Tạm ngừng": "suspended", "Tạm ngừng hoạt động": "suspended",
    "Giải thể": "dissolved", "Đã giải thể": "dissolved", "Phá sản": "dissolved",
    "Bỏ trốn": "absconded", "Chủ bỏ trốn": "absconded", "Không tìm thấy": "absconded",
}

SCHEME_LABELS = {
    "si": "si", "vsi": "vsi", "hi": "hi", "ui": "ui",
    "BHXH bắt buộc": "si", "BHXH BB": "si", "BHXH": "si",
    "BHXH tự nguyện": "vsi", "BHXH TN": "vsi", "BHXHTN": "vsi",
    "BHYT": "hi", "Bảo hiểm y tế": "hi",
    "BHTN": "ui", "Bảo hiểm thất nghiệp": "ui",
}

SUPPORT_GROUP_LABELS = {
    "poor": "poor", "near_poor": "near_poor", "ethnic_minority": "ethnic_minority", "other": "other",
    "Hộ nghèo": "poor", "Hộ cận nghèo": "near_poor", "Dân tộc thiểu số": "ethnic_minority",
    "Khác": "other", "Đối tượng khác": "other",
}

COMMUNE_KIND_LABELS = {"xa": "xa", "phuong": "phuong", "dac_khu": "dac_khu", "Xã": "xa",
                       "Phường": "phuong", "Đặc khu": "dac_khu"}

#: VSIC 2018 sections (Quyết định 27/2018/QĐ-TTg).
VSIC_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRSTU")


def sector(value: str) -> str:
    """A VSIC section letter, alone or followed by its title ("C - Công nghiệp chế biến")."""
    text = value.strip()
    letter = text[:1].upper()
    if letter not in VSIC_SECTIONS or (len(text) > 1 and text[1] not in " -–.:"):
        raise ValueError(f"ngành phải là chữ cái A–U của VSIC 2018, nhận được {value!r} "
                         "(sector must be a VSIC 2018 section letter A–U)")
    return letter


def ethnicity(value: str) -> str:
    """Ethnic group code 01–54 (danh mục dân tộc of the General Statistics Office)."""
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= 54:
        return f"{int(value):02d}"
    code = _ETHNICITY_SEEN.get(value)
    if code is None:
        code = ETHNICITY_CODES.get(name_key(value).replace(" ", "").replace("-", ""))
        if code is not None and len(_ETHNICITY_SEEN) < _MEMO_SIZE:
            _ETHNICITY_SEEN[value] = code
    if code is None:
        raise ValueError(f"dân tộc phải là mã 01–54 hoặc tên dân tộc, nhận được {value!r} "
                         "(ethnicity must be a code 01–54 or a group name)")
    return code


_ETHNIC_NAMES = (
    "Kinh", "Tày", "Thái", "Hoa", "Khmer", "Mường", "Nùng", "Mông", "Dao", "Gia Rai", "Ngái", "Ê Đê",
    "Ba Na", "Xơ Đăng", "Sán Chay", "Cơ Ho", "Chăm", "Sán Dìu", "Hrê", "Mnông", "Raglay", "Xtiêng",
    "Bru Vân Kiều", "Thổ", "Giáy", "Cơ Tu", "Giẻ Triêng", "Mạ", "Khơ Mú", "Co", "Tà Ôi", "Chơ Ro",
    "Kháng", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "La Ha", "Phù Lá", "La Hủ", "Lự", "Lô Lô",
    "Chứt", "Mảng", "Pà Thẻn", "Cơ Lao", "Cống", "Bố Y", "Si La", "Pu Péo", "Brâu", "Ơ Đu", "Rơ Măm",
)
#: Group name (diacritic-free, no spaces) → code, in the GSO order. Codes are what we store.
ETHNICITY_CODES = {name_key(n).replace(" ", ""): f"{i:02d}" for i, n in enumerate(_ETHNIC_NAMES, 1)}
ETHNICITY_CODES["hmong"] = ETHNICITY_CODES["mong"]
