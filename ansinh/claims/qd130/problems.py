"""Mã lỗi của chuẩn QĐ 130/4750 (stable problem codes of the QĐ 130/4750 reader and portal checks).

Prefix ``P`` (portal format), never reusing the ``F``/``E``/``R``/``S`` codes of
:mod:`ansinh.claims.codes`. Codes never change meaning and are never reused:

- ``P0..``: reading the file: the envelope of letter 1245/BHXH-CNTT (2024) and the base64 tables;
- ``P1..``: one field: required, type, length, date format, code list (the portal's validation sheets);
- ``P2..``: formulas and cross-table consistency (totals of XML1 against XML2/XML3, dates in order).

Each code has a decision: :data:`REFUSE` (the file or the episode cannot be read or linked: no MA_LK, no card,
unreadable dates) or :data:`FINDING` (received, the review looks at it — e.g. totals that do not add up, which
the portal itself receives in about one real file in ten).

>>> CODES["P201"].en
'T_BHTT is not T_TONGCHI_BH − T_BNCCT'
"""

from __future__ import annotations

from dataclasses import dataclass

REFUSE = "refuse"
FINDING = "finding"

FILE = "file"
EPISODE = "episode"


@dataclass(frozen=True)
class Code:
    code: str
    vi: str
    en: str
    basis: str
    decision: str
    scope: str = EPISODE


_ENVELOPE = "Công văn 1245/BHXH-CNTT năm 2024 của BHXH Việt Nam, mục 3.4 (cấu trúc tệp GIAMDINHHS)"
_TABLES = "Công văn 1245/BHXH-CNTT năm 2024, mục 3.5 (NOIDUNGFILE: bảng XML mã hoá base64)"
_QD = "QĐ 130/QĐ-BYT ngày 18/01/2023, sửa đổi bởi QĐ 4750/QĐ-BYT ngày 29/12/2023"
_SHEET = "Bảng kiểm tra dữ liệu của Cổng tiếp nhận (BHXH Việt Nam) theo QĐ 130/QĐ-BYT và QĐ 4750/QĐ-BYT"

_ALL = [
    Code("P001", "Tệp không đúng cấu trúc XML", "File is not well-formed XML", _ENVELOPE, REFUSE, FILE),
    Code("P002", "Tệp bị cắt cụt (kết thúc trước </GIAMDINHHS>)", "File truncated", _ENVELOPE, REFUSE, FILE),
    Code(
        "P003",
        "Tệp khai báo DOCTYPE/thực thể (bị từ chối)",
        "File declares a DOCTYPE or entities (refused)",
        "Chính sách an toàn của cơ quan; chuẩn QĐ 130 không dùng DTD",
        REFUSE,
        FILE,
    ),
    Code("P004", "Không phải tệp GIAMDINHHS", "Not a GIAMDINHHS envelope", _ENVELOPE, REFUSE, FILE),
    Code("P005", "Thiếu MACSKCB trong THONGTINDONVI", "MACSKCB missing", _ENVELOPE, REFUSE, FILE),
    Code(
        "P006",
        "SOLUONGHOSO khác số HOSO trong tệp",
        "SOLUONGHOSO differs from the number of HOSO",
        _ENVELOPE,
        FINDING,
        FILE,
    ),
    Code("P007", "NGAYLAP sai định dạng", "NGAYLAP malformed", _ENVELOPE, FINDING, FILE),
    Code("P008", "Vượt giới hạn kích thước", "Size limit exceeded", "Giới hạn tiếp nhận của cơ quan", REFUSE),
    Code("P009", "Phần tử lạ trong vỏ tệp", "Unknown element in the envelope", _ENVELOPE, FINDING, FILE),
    Code("P010", "NOIDUNGFILE không phải base64 hợp lệ", "NOIDUNGFILE is not valid base64", _TABLES, REFUSE),
    Code(
        "P011",
        "Bảng bên trong không đúng cấu trúc XML",
        "Inner table is not well-formed XML",
        _TABLES,
        REFUSE,
    ),
    Code("P012", "LOAIHOSO không thuộc XML0–XML15", "LOAIHOSO is not one of XML0–XML15", _TABLES, FINDING),
    Code("P013", "Phần tử lạ trong bảng (bỏ qua)", "Unknown element in a table (ignored)", _TABLES, FINDING),
    Code("P014", "Thiếu bảng XML1 (tổng hợp)", "XML1 (summary) missing", _QD + ", Bảng 1", REFUSE),
    Code("P015", "Thiếu MA_LK", "MA_LK missing", _QD + ", MA_LK (khoá liên kết)", REFUSE),
    Code(
        "P016",
        "MA_LK của dòng khác MA_LK của XML1",
        "The line's MA_LK differs from XML1's",
        _QD + ", MA_LK liên kết các bảng của một lần KCB",
        REFUSE,
    ),
    Code("P017", "Bảng XML1 có nhiều hơn một bản ghi", "XML1 holds more than one record", _QD, REFUSE),
    Code("P018", "Bảng gửi hai lần trong một HOSO", "The same table twice in one HOSO", _TABLES, FINDING),
    Code(
        "P019",
        "Trường lặp trong một bản ghi (giữ giá trị đầu)",
        "Field repeated (first kept)",
        _TABLES,
        FINDING,
    ),
    Code(
        "P020",
        "FILEHOSO thiếu LOAIHOSO hoặc NOIDUNGFILE",
        "FILEHOSO without LOAIHOSO or content",
        _TABLES,
        FINDING,
    ),
    Code("P021", "Bảng không đọc được (bỏ qua bảng)", "Table unreadable (table dropped)", _TABLES, FINDING),
    Code("P022", "Cùng MA_LK ở hai HOSO trong tệp", "The same MA_LK in two HOSO of the file", _QD, FINDING),
    # one field
    Code("P101", "Thiếu trường bắt buộc", "Required field missing", _SHEET + ", cột Bắt buộc", FINDING),
    Code("P102", "Sai kiểu số", "Not a number", _SHEET + ", cột Kiểu dữ liệu", FINDING),
    Code(
        "P103", "Vượt kích thước tối đa", "Longer than the maximum size", _SHEET + ", cột Kích thước", FINDING
    ),
    Code(
        "P104", "Sai định dạng ngày", "Date malformed", _QD + ", định dạng yyyymmdd / yyyymmddHHMM", FINDING
    ),
    Code("P105", "Mã không thuộc danh mục", "Code not in the list", _QD + ", mô tả trường", FINDING),
    Code("P106", "Mã thẻ BHYT sai cấu trúc", "HI card number malformed", _QD + ", MA_THE_BHYT", FINDING),
    Code("P107", "SO_CCCD sai định dạng", "SO_CCCD malformed", _SHEET + ", SO_CCCD", FINDING),
    Code(
        "P108", "Quá 12 mã bệnh kèm theo", "More than 12 secondary diagnoses", _QD + ", MA_BENH_KT", FINDING
    ),
    Code(
        "P109",
        "Thiếu mã thẻ BHYT hoặc hạn thẻ (không liên kết được người bệnh)",
        "HI card or its validity missing (the patient cannot be linked)",
        _QD + ", MA_THE_BHYT, GT_THE_TU, GT_THE_DEN",
        REFUSE,
    ),
    Code(
        "P110",
        "Ngày vào/ra không đọc được",
        "Admission or discharge date unreadable",
        _QD + ", NGAY_VAO, NGAY_RA (yyyymmddHHMM)",
        REFUSE,
    ),
    Code(
        "P111",
        "Số mã thẻ khác số hạn thẻ",
        "Number of cards differs from the number of validity dates",
        _QD + ", GT_THE_TU/GT_THE_DEN: mỗi thẻ một thời hạn, cách nhau dấu ;",
        FINDING,
    ),
    # formulas
    Code(
        "P201",
        "T_BHTT khác T_TONGCHI_BH − T_BNCCT",
        "T_BHTT is not T_TONGCHI_BH − T_BNCCT",
        _QD + ", XML1",
        FINDING,
    ),
    Code(
        "P202",
        "Tổng XML1 khác tổng các dòng XML2+XML3",
        "An XML1 total differs from the sum of the XML2+XML3 lines",
        _QD + ", Bảng 1 (T_TONGCHI_BV = Σ THANH_TIEN_BV của XML2 và XML3; các tổng khác tương tự)",
        FINDING,
    ),
    Code(
        "P203",
        "T_THUOC khác tổng THANH_TIEN_BV của XML2",
        "T_THUOC differs from Σ THANH_TIEN_BV of XML2",
        _QD + ", XML1 T_THUOC",
        FINDING,
    ),
    Code(
        "P204",
        "T_VTYT khác tổng THANH_TIEN_BV vật tư y tế của XML3",
        "T_VTYT differs from Σ THANH_TIEN_BV of the XML3 supplies",
        _QD + ", XML1 T_VTYT (MA_NHOM 10, 11)",
        FINDING,
    ),
    Code("P205", "NGAY_RA trước NGAY_VAO", "NGAY_RA before NGAY_VAO", _SHEET + ", NGAY_RA", FINDING),
    Code(
        "P206",
        "NGAY_VAO_NOI_TRU trước NGAY_VAO",
        "NGAY_VAO_NOI_TRU before NGAY_VAO",
        _SHEET + ", NGAY_VAO_NOI_TRU (>= NGAY_VAO)",
        FINDING,
    ),
    Code(
        "P207",
        "NGAY_TH_YL trước NGAY_YL",
        "NGAY_TH_YL before NGAY_YL",
        _SHEET + ", NGAY_TH_YL (>= NGAY_YL)",
        FINDING,
    ),
    Code(
        "P208",
        "SO_NGAY_DTRI khác quy tắc theo MA_LOAI_KCB",
        "SO_NGAY_DTRI does not follow the MA_LOAI_KCB rule",
        _SHEET + ", SO_NGAY_DTRI",
        FINDING,
    ),
    Code(
        "P209",
        "Thiếu trường bắt buộc theo điều kiện MA_NHOM",
        "Field required for this MA_NHOM missing",
        _SHEET + " (TT_THAU, NGUOI_THUC_HIEN, NGAY_TH_YL, MA_XANG_DAU)",
        FINDING,
    ),
    Code(
        "P210",
        "Trường khác thông tin cùng tên ở bảng 1",
        "Field differs from the same field in XML1",
        _SHEET + ": 'Nếu có dữ liệu thì phải giống thông tin này ở bảng 1'",
        FINDING,
    ),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


@dataclass(frozen=True)
class Problem:
    """Một lỗi (one problem), naming where it is: HOSO index, MA_LK, table, record (1-based line), field."""

    code: str
    detail_vi: str = ""
    detail_en: str = ""
    hoso: int | None = None
    ma_lk: str | None = None
    table: str | None = None
    record: int | None = None
    field: str | None = None
    value: str | None = None

    @property
    def decision(self) -> str:
        return CODES[self.code].decision

    @property
    def refuses(self) -> bool:
        return CODES[self.code].decision == REFUSE

    def where_vi(self) -> str:
        parts = []
        if self.hoso is not None:
            parts.append(f"HOSO {self.hoso}")
        if self.ma_lk:
            parts.append(f"MA_LK {self.ma_lk}")
        if self.table:
            parts.append(f"bảng {self.table}" + (f" dòng {self.record}" if self.record is not None else ""))
        if self.field:
            parts.append(f"trường {self.field}")
        return ", ".join(parts)

    def message(self) -> str:
        """'Vietnamese (English)' with the place and the detail, as users see it."""
        c = CODES[self.code]
        where = self.where_vi()
        vi = c.vi + (f": {self.detail_vi}" if self.detail_vi else "")
        en = c.en + (f": {self.detail_en}" if self.detail_en else "")
        if self.value is not None:
            vi += f" (giá trị «{self.value[:60]}»)"
        return f"[{self.code}] {where + ' — ' if where else ''}{vi} ({en})"
