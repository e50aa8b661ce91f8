"""Hồ sơ mẫu đúng chuẩn (well-formed sample episodes), for tests, benchmarks and the synthetic generator.

An episode here is what a hospital's software sends for one outpatient visit or inpatient stay: XML1 with
every field the portal requires, drug lines (XML2) and service/supply lines (XML3) whose money follows the
formulas of Decision 130/QĐ-BYT as amended by Decision 4750/QĐ-BYT (THANH_TIEN_BV = SO_LUONG × DON_GIA;
THANH_TIEN_BH = THANH_TIEN_BV × TYLE_TT_BH/100; T_BHTT = THANH_TIEN_BH × MUC_HUONG/100;
T_BNCCT = THANH_TIEN_BH − T_BHTT; T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH), and XML1 totals that are the
sums of the lines. Amounts are written with two decimals, as real files do. Values are strings
(the reader's raw form).

>>> ep = episode(1, drugs=4, services=4)
>>> (ep["XML1"][0]["MA_LK"], len(ep["XML2"]), len(ep["XML3"]))
('LK000000001', 4, 4)
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_DRUGS = (
    ("40.17", "Paracetamol 500mg", "Viên", "500mg", Decimal("350"), 4),
    ("40.39", "Amoxicilin 500mg", "Viên", "500mg", Decimal("1250.5"), 4),
    ("40.677", "Omeprazol 20mg", "Viên", "20mg", Decimal("980"), 4),
    ("40.965", "Natri clorid 0,9% 500ml", "Chai", "0,9%", Decimal("11500"), 4),
)
_SERVICES = (
    ("02.1896", "Khám Nội", Decimal("34500"), 13, ""),
    ("23.0058.1494", "Định lượng Glucose [Máu]", Decimal("21500"), 1, ""),
    ("18.0001.0001", "Siêu âm ổ bụng", Decimal("43900"), 2, ""),
    ("", "Bơm tiêm nhựa 5ml", Decimal("1050"), 10, "N03.02.070"),
    ("K.15.1", "Ngày giường bệnh Nội khoa", Decimal("171100"), 15, ""),
)


def _money(v: Decimal) -> str:
    return str(v.quantize(_CENT, rounding=ROUND_HALF_UP))


def _line(
    ma_lk: str, stt: int, qty: Decimal, price: Decimal, rate: int, muc_huong: int
) -> tuple[dict[str, str], dict[str, Decimal]]:
    bv = (qty * price).quantize(_CENT, rounding=ROUND_HALF_UP)
    bh = (bv * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    bhtt = (bh * muc_huong / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    amounts = {
        "THANH_TIEN_BV": bv,
        "THANH_TIEN_BH": bh,
        "T_BHTT": bhtt,
        "T_BNCCT": bh - bhtt,
        "T_BNTT": bv - bh,
        "T_NGUONKHAC": Decimal(0),
    }
    row = {"MA_LK": ma_lk, "STT": str(stt), "SO_LUONG": str(qty), "TYLE_TT_BH": str(rate)}
    row.update({k: _money(v) for k, v in amounts.items()})
    row.update({f"T_NGUONKHAC_{s}": "0.00" for s in ("NSNN", "VTNN", "VTTN", "CL")})
    row["MUC_HUONG"] = str(muc_huong)
    row["MA_KHOA"] = "K01"
    row["MA_BAC_SI"] = "000123/HCM-CCHN"
    row["MA_PTTT"] = "1"
    return row, amounts


def episode(
    n: int, *, drugs: int = 4, services: int = 4, seed: int | None = None
) -> dict[str, list[dict[str, str]]]:
    """Episode number ``n``: consistent, complete, the way a conforming hospital exports it."""
    rng = random.Random(n if seed is None else seed)
    ma_lk = f"LK{n:09d}"
    muc_huong = rng.choice((80, 95, 100, 100))
    day = 1 + n % 27
    vao, ra = f"202601{day:02d}0800", f"202601{day:02d}1130"
    totals = dict.fromkeys(
        ("THANH_TIEN_BV", "THANH_TIEN_BH", "T_BHTT", "T_BNCCT", "T_BNTT", "T_NGUONKHAC"), Decimal(0)
    )
    t_thuoc = t_vtyt = Decimal(0)
    xml2: list[dict[str, str]] = []
    for i in range(drugs):
        code, name, unit, strength, price, group = _DRUGS[i % len(_DRUGS)]
        qty = Decimal(rng.choice(("10", "14", "20", "0.5", "7")))
        row, amounts = _line(ma_lk, i + 1, qty, price, 100, muc_huong)
        row.update(
            MA_THUOC=code,
            MA_NHOM=str(group),
            TEN_THUOC=name,
            DON_VI_TINH=unit,
            HAM_LUONG=strength,
            DUONG_DUNG="1.01",
            LIEU_DUNG="2 viên/ngày",
            SO_DANG_KY="VD-12345-20",
            TT_THAU="G1;N1;2025;123/QĐ-BV",
            PHAM_VI="1",
            DON_GIA=str(price),
            NGAY_YL=vao,
            NGAY_TH_YL=vao,
            NGUON_CTRA="1",
        )
        xml2.append(row)
        t_thuoc += amounts["THANH_TIEN_BV"]
        for k in totals:
            totals[k] += amounts[k]
    xml3: list[dict[str, str]] = []
    for i in range(services):
        code, name, price, group, supply = _SERVICES[i % len(_SERVICES)]
        qty = Decimal(1 if not supply else rng.choice((1, 2, 3)))
        row, amounts = _line(ma_lk, i + 1, qty, price, 100, muc_huong)
        row.update(
            MA_DICH_VU=code,
            MA_VAT_TU=supply,
            MA_NHOM=str(group),
            TEN_DICH_VU=name if not supply else "",
            TEN_VAT_TU=name if supply else "",
            DON_VI_TINH="Lần" if not supply else "Cái",
            PHAM_VI="1",
            DON_GIA_BV=str(price),
            DON_GIA_BH=str(price),
            TT_THAU="123/QĐ-BV;G1;N1;2025" if supply else "",
            TYLE_TT_DV="100",
            MA_BENH="K21.9",
            NGAY_YL=vao,
            NGAY_TH_YL=vao,
            NGAY_KQ=ra,
            NGUOI_THUC_HIEN="000456/HCM-CCHN" if group in (1, 2, 3, 8, 18) else "",
        )
        if group == 10:
            row["TT_THAU"] = "123/QĐ-BV;G1;N1;2025"
        xml3.append(row)
        if supply:
            t_vtyt += amounts["THANH_TIEN_BV"]
        for k in totals:
            totals[k] += amounts[k]
    xml1 = {
        "MA_LK": ma_lk,
        "STT": str(n),
        "MA_BN": f"BN{n:08d}",
        "HO_TEN": "Nguyễn Văn An",
        "SO_CCCD": f"{79000000000 + n:012d}",
        "NGAY_SINH": "198503150000",
        "GIOI_TINH": "1",
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": "Phường Bến Thành, Thành phố Hồ Chí Minh",
        "MATINH_CU_TRU": "79",
        "MAHUYEN_CU_TRU": "",
        "MAXA_CU_TRU": "26734",
        "MA_THE_BHYT": f"GD479{7900000000 + n:010d}",
        "MA_DKBD": "79001",
        "GT_THE_TU": "20260101",
        "GT_THE_DEN": "20261231",
        "LY_DO_VV": "Đau bụng",
        "CHAN_DOAN_VAO": "Viêm dạ dày",
        "CHAN_DOAN_RV": "Bệnh trào ngược dạ dày - thực quản",
        "MA_BENH_CHINH": "K21.9",
        "MA_BENH_KT": "I10;E11",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": vao,
        "NGAY_RA": ra,
        "SO_NGAY_DTRI": "0",
        "KET_QUA_DTRI": "1",
        "MA_LOAI_RV": "1",
        "NGAY_TTOAN": ra,
        "T_THUOC": _money(t_thuoc),
        "T_VTYT": _money(t_vtyt),
        "T_TONGCHI_BV": _money(totals["THANH_TIEN_BV"]),
        "T_TONGCHI_BH": _money(totals["THANH_TIEN_BH"]),
        "T_BNTT": _money(totals["T_BNTT"]),
        "T_BNCCT": _money(totals["T_BNCCT"]),
        "T_BHTT": _money(totals["T_BHTT"]),
        "T_NGUONKHAC": _money(totals["T_NGUONKHAC"]),
        "T_BHTT_GDV": _money(totals["T_BHTT"]),
        "NAM_QT": "2026",
        "THANG_QT": "1",
        "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01;K18",
        "MA_CSKCB": "79001",
        "CAN_NANG": "62.5",
        "MA_HSBA": f"HS{n:08d}",
    }
    return {"XML1": [xml1], "XML2": xml2, "XML3": xml3}
