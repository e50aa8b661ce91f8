"""The synthetic province's reference lists: services with their HI prices by facility level (Thông tư
39/2018/TT-BYT as amended, price levels of the kind in Thông tư 22/2023/TT-BYT), drugs and supplies,
and an excerpt of ICD-10 (QĐ 4469/QĐ-BYT) with sex/age consistency and high-severity variants.

Prices are indicative, in đồng; ``levels`` lists the facility levels licensed for a service
(2 provincial, 3 district/basic, 4 commune station).
"""

from __future__ import annotations

from typing import NamedTuple


class Service(NamedTuple):
    code: str
    name: str
    prices: dict[int, int]  # facility level -> DON_GIA_BH
    max_per_day: int | None
    levels: tuple[int, ...]


class Item(NamedTuple):
    code: str
    name: str
    kind: str
    price: int
    max_per_day: int


class Icd(NamedTuple):
    code: str
    name: str
    sex: str | None
    min_age: int | None
    max_age: int | None
    high_severity: bool
    weight: float  # share of ordinary episodes
    kinds: str  # "o" outpatient, "i" inpatient, "oi" both


EXAM = "02.1896"
BED_DAY = "K01.1895"
CT_HEAD = "18.0060"
SURGERY = "10.0001"

SERVICES = [
    Service(EXAM, "Khám bệnh", {2: 50_600, 3: 38_700, 4: 34_500}, 1, (2, 3, 4)),
    Service("22.0120", "Tổng phân tích tế bào máu ngoại vi", {2: 46_200, 3: 46_200, 4: 46_200}, 1, (2, 3, 4)),
    Service("23.0075", "Định lượng glucose máu", {2: 21_500, 3: 21_500, 4: 21_500}, 1, (2, 3, 4)),
    Service("03.3826", "Thay băng vết thương", {2: 57_600, 3: 57_600, 4: 57_600}, 2, (2, 3, 4)),
    Service("18.0001", "Siêu âm ổ bụng", {2: 43_900, 3: 43_900, 4: 43_900}, 2, (2, 3)),
    Service("18.0119", "Chụp X-quang ngực thẳng", {2: 65_400, 3: 65_400, 4: 65_400}, 2, (2, 3)),
    Service("21.0014", "Điện tim thường", {2: 32_800, 3: 32_800, 4: 32_800}, 1, (2, 3)),
    Service(
        CT_HEAD, "Chụp CT sọ não không tiêm thuốc cản quang", {2: 522_000, 3: 522_000, 4: 522_000}, 1, (2,)
    ),
    Service(SURGERY, "Phẫu thuật nội soi cắt ruột thừa", {2: 2_800_000, 3: 2_650_000, 4: 2_650_000}, 1, (2,)),
    Service(BED_DAY, "Ngày giường bệnh nội khoa", {2: 215_000, 3: 180_000, 4: 70_000}, None, (2, 3, 4)),
]
#: Tests and imaging an ordinary visit may add, by facility level.
TESTS = {
    2: ["22.0120", "23.0075", "18.0001", "18.0119", "21.0014"],
    3: ["22.0120", "23.0075", "18.0001", "18.0119", "21.0014"],
    4: ["22.0120", "23.0075", "03.3826"],
}
#: Extra services an inflating practitioner adds (all licensed at levels 2 and 3).
INFLATE = ["18.0001", "18.0119", "21.0014"]

DRUGS = [
    Item("40.17", "Paracetamol 500mg", "drug", 300, 8),
    Item("40.149", "Amoxicilin 500mg", "drug", 900, 6),
    Item("40.677", "Omeprazol 20mg", "drug", 1_200, 2),
    Item("40.796", "Metformin 850mg", "drug", 700, 3),
    Item("40.466", "Amlodipin 5mg", "drug", 500, 2),
    Item("40.191", "Ceftriaxon 1g (tiêm)", "drug", 18_000, 4),
    Item("40.1016", "Natri clorid 0,9% 500ml", "drug", 9_500, 6),
    Item("40.974", "Salbutamol 2mg", "drug", 150, 8),
    Item("40.1045", "Vitamin B1 100mg", "drug", 400, 4),
    Item("40.461", "Losartan 50mg", "drug", 1_500, 2),
    Item("40.823", "Insulin người 100UI/ml", "drug", 120_000, 2),
    Item("40.54", "Diclofenac 50mg", "drug", 350, 3),
]
SUPPLIES = [
    Item("N03.02.070", "Bơm tiêm nhựa 5ml", "supply", 900, 10),
    Item("N02.01.040", "Găng tay khám", "supply", 2_500, 20),
    Item("N03.05.010", "Dây truyền dịch", "supply", 5_000, 4),
]

#: (ordinary code, high-severity variant): the pairs upcoding moves along.
ICD = [
    Icd("J06.9", "Nhiễm trùng hô hấp trên cấp", None, None, None, False, 0.20, "oi"),
    Icd("J20.9", "Viêm phế quản cấp", None, None, None, False, 0.10, "oi"),
    Icd("J18.9", "Viêm phổi, không đặc hiệu", None, None, None, True, 0.0, "oi"),
    Icd("I10", "Tăng huyết áp vô căn", None, 18, None, False, 0.15, "oi"),
    Icd("I11.0", "Bệnh tim do tăng huyết áp có suy tim", None, 18, None, True, 0.0, "oi"),
    Icd("E11.9", "Đái tháo đường typ 2 không biến chứng", None, 18, None, False, 0.10, "oi"),
    Icd("E11.5", "Đái tháo đường typ 2 có biến chứng tuần hoàn", None, 18, None, True, 0.0, "oi"),
    Icd("K29.7", "Viêm dạ dày không đặc hiệu", None, None, None, False, 0.10, "oi"),
    Icd("K25.0", "Loét dạ dày cấp có xuất huyết", None, None, None, True, 0.0, "oi"),
    Icd("A09", "Tiêu chảy và viêm dạ dày ruột", None, None, None, False, 0.08, "oi"),
    Icd("M54.5", "Đau thắt lưng", None, None, None, False, 0.10, "oi"),
    Icd("S52.5", "Gãy đầu dưới xương quay", None, None, None, False, 0.04, "oi"),
    Icd("J45.9", "Hen phế quản", None, None, None, False, 0.05, "oi"),
    Icd("Z00.0", "Khám sức khoẻ tổng quát", None, None, None, False, 0.08, "o"),
    Icd("K35.8", "Viêm ruột thừa cấp", None, None, None, False, 0.0, "i"),
    Icd("O80", "Đẻ thường một thai", "female", 15, 50, False, 0.0, "i"),
    Icd("N40", "Tăng sản tuyến tiền liệt", "male", 40, None, False, 0.0, "oi"),
    Icd("N76.0", "Viêm âm đạo cấp", "female", 12, None, False, 0.0, "o"),
]
UPCODE = {"J20.9": "J18.9", "I10": "I11.0", "E11.9": "E11.5", "K29.7": "K25.0"}

FACILITY_LEVELS = {2: "Bệnh viện tuyến tỉnh", 3: "Trung tâm y tế / bệnh viện khu vực", 4: "Trạm y tế xã"}
