"""Reference data from real sources on both backends: the full ICD-10 in claim_icd (codes accepted at
intake with or without the dot), ICD-9-CM, and the published catalogues (price list, drugs, supplies,
tender results) imported in their own columns, dated, audited and idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from ansinh.claims.catalogues import ClaimDrug, ClaimSupply, ClaimTender
from ansinh.claims.icd import load_icd, load_icd9, main_use_problem
from ansinh.claims.models import ClaimEpisode, ClaimServicePrice
from ansinh.claims.reference import Outcome, import_reference, import_reference_file
from ansinh.claims.xmlwrite import envelope, episode_hoso
from ansinh.core.audit import AuditEntry
from ansinh.core.db import unit_of_work
from tests.integration import test_claims_intake as intake
from tests.integration.test_claims_intake import FACILITY, codes, episode, send

province = intake.province  # the fixtures of the intake tests: a province with a benefit-4 card
seeded = intake.seeded


def _audits(engine: Engine, entity: str) -> int:
    with unit_of_work(engine) as session:
        return int(
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == entity))
            or 0
        )


def test_the_migration_loads_the_full_icd10_and_icd9(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM claim_icd")).scalar_one() == 12_242
        assert conn.execute(text("SELECT COUNT(*) FROM claim_icd9")).scalar_one() == 1_260
        rows = dict(
            (r[0], tuple(r[1:]))
            for r in conn.execute(
                text(
                    "SELECT code, name, sex, min_age, max_age, high_severity FROM claim_icd "
                    "WHERE code IN ('J03', 'O80', 'J18.9', 'K21.9')"
                )
            )
        )
        assert conn.execute(text("SELECT name FROM claim_icd9 WHERE code = '45.13'")).scalar_one() == (
            "Nội soi khác ở ruột non"
        )
    # the excerpt keeps its Vietnamese names and the sex/age/severity marks review rules R08 and S02 read
    assert rows["O80"][1:] == ("female", 15, 50, False)
    assert bool(rows["J18.9"][4]) is True
    assert rows["J03"][0] == "Acute tonsillitis" and rows["J03"][1] is None
    assert rows["K21.9"][0] == "Gastro-oesophageal reflux disease without oesophagitis"
    # loading again adds nothing
    with engine.begin() as conn:
        assert (load_icd(conn), load_icd9(conn)) == (0, 0)


def test_intake_accepts_icd10_with_or_without_the_dot(engine: Engine, seeded: dict[str, Any]) -> None:
    card = seeded
    written = {"A1": "J03", "A2": "K21", "A3": "K21.9", "A4": "k219", "A5": "Q99.9X", "A6": "V43.5"}
    data = envelope(FACILITY, [episode_hoso(*episode(card, m, icd=c)) for m, c in written.items()])
    receipt = send(engine, data)
    assert (receipt.accepted, receipt.rejected) == (5, 1)
    assert codes(receipt) == ["E13"]
    assert "'Q99.9X'" in receipt.rejections[0][3]
    with unit_of_work(engine) as session:
        query = select(ClaimEpisode.ma_lk, ClaimEpisode.icd_main).where(ClaimEpisode.ma_lk.in_(written))
        stored = dict(session.execute(query).tuples().all())
    # stored in the written form with the dot, so review rules join it with claim_icd
    assert stored == {"A1": "J03", "A2": "K21", "A3": "K21.9", "A4": "K21.9", "A6": "V43.5"}
    # an external cause is ICD-10 but not a main diagnosis: flagged, not refused at intake
    assert main_use_problem(stored["A6"]) is not None
    assert [m for m, c in stored.items() if main_use_problem(c)] == ["A6"]


def _csv(tmp_path: Path, name: str, text_: str) -> Path:
    path = tmp_path / name
    path.write_text(text_, encoding="utf-8")
    return path


PRICE_LIST = """MA_DICH_VU,TEN_DICH_VU,DON_GIA,TUYEN,TU_NGAY,DEN_NGAY
18.0001.0001,Siêu âm ổ bụng (gan mật tụy lách thận bàng quang),43900,,20240701,
21.0014.1778,Điện tim thường,32800.00,,20240701,
02.1896,Khám Nội,50600,2,20240701,20241231
"""


def test_national_price_list_in_its_published_columns(engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path, "gia-dvkt-2024.csv", PRICE_LIST)
    assert import_reference(engine, "price_list", path, actor="test") == (7, [])  # 3 + 3 levels + 1
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(ClaimServicePrice.service_code, ClaimServicePrice.facility_level, ClaimServicePrice.price)
            .where(ClaimServicePrice.valid_from == date(2024, 7, 1))
            .order_by(ClaimServicePrice.service_code, ClaimServicePrice.facility_level)
        ).all()
        exam = session.scalars(
            select(ClaimServicePrice).where(ClaimServicePrice.service_code == "02.1896")
        ).one()
    assert [tuple(r) for r in rows] == [
        ("02.1896", 2, 50_600),
        ("18.0001.0001", 2, 43_900),
        ("18.0001.0001", 3, 43_900),
        ("18.0001.0001", 4, 43_900),
        ("21.0014.1778", 2, 32_800),
        ("21.0014.1778", 3, 32_800),
        ("21.0014.1778", 4, 32_800),
    ]
    assert exam.valid_to == date(2024, 12, 31)
    # the same file again writes nothing, and is audited
    assert import_reference_file(engine, "price_list", path, actor="test") == Outcome(7, 0, [])
    assert _audits(engine, "claims_price_list") == 2
    # one price changed: one level rewritten (the key: code, level, valid_from)
    changed = _csv(tmp_path, "gia-2.csv", PRICE_LIST.replace("32800.00,,", "33000,3,"))
    # 5 rows now (the ECG price for level 3 only): 1 written; levels 2 and 4 keep their stored price
    assert import_reference_file(engine, "price_list", changed, actor="test") == Outcome(5, 1, [])


def test_bad_price_list_rows_are_named_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "bad.csv",
        "MA_DICH_VU,TEN_DICH_VU,DON_GIA,TU_NGAY,DEN_NGAY\n"
        "18.0001,Siêu âm ổ bụng,43900,20240701,\n"
        ",Điện tim thường,32800,20240701,\n"
        "21.0014,Điện tim thường,abc,20240231,\n"
        "22.0120,Tổng phân tích tế bào máu,46200.5,20240701,20240101\n"
        "18.0001,Siêu âm ổ bụng,43900,20240701,\n",
    )
    written, errors = import_reference(engine, "price_list", path, actor="test")
    assert written == 0
    assert [(e.row, e.column) for e in errors] == [
        (3, "MA_DICH_VU"),
        (4, "DON_GIA"),
        (4, "TU_NGAY"),
        (5, "DON_GIA"),
        (6, "MA_DICH_VU"),
        (6, "MA_DICH_VU"),
        (6, "MA_DICH_VU"),
    ]
    assert "bắt buộc" in errors[0].message and "ngày không tồn tại" in errors[2].message
    assert "đồng chẵn" in errors[3].message and "trùng với dòng 2" in errors[4].message
    with unit_of_work(engine) as session:
        assert not session.scalars(
            select(ClaimServicePrice).where(ClaimServicePrice.service_code == "18.0001")
        ).all()


DRUGS = (
    "MA_CSKCB,MA_THUOC,TEN_THUOC,HOAT_CHAT,HAM_LUONG,SO_DANG_KY,DON_VI_TINH,DON_GIA,TT_THAU,TU_NGAY,DEN_NGAY\n"
    '42001,40.149,Amoxicilin 500mg,Amoxicilin,500mg,VD-25524-16,Viên,"900,5",'
    "1516/QĐ-SYT;G1;N4;2024,20240301,\n"
    "42001,40.17,Paracetamol 500mg,Paracetamol,500mg,VD-21239-14,Viên,300,"
    "1516/QĐ-SYT;G1.02;N4;2024,20240301,\n"
    '42001,40.1016,Natri clorid 0.9% 500ml,Natri clorid,"0,9%",VD-22650-15,Chai,9500.000,'
    "20.00;G1;N2;2023,2024-03-01,\n"
)


def test_drug_catalogue_with_tender_information(engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path, "danh-muc-thuoc.csv", DRUGS)
    assert import_reference(engine, "drugs", path, actor="test") == (3, [])
    with unit_of_work(engine) as session:
        amox = session.scalars(select(ClaimDrug).where(ClaimDrug.drug_code == "40.149")).one()
        para = session.scalars(select(ClaimDrug).where(ClaimDrug.drug_code == "40.17")).one()
        nacl = session.scalars(select(ClaimDrug).where(ClaimDrug.drug_code == "40.1016")).one()
    assert (amox.name, amox.active_ingredient, amox.registration_no, amox.unit) == (
        "Amoxicilin 500mg",
        "Amoxicilin",
        "VD-25524-16",
        "Viên",
    )
    assert amox.price_milli == 900_500  # 900,5 đồng
    assert (amox.tender_decision, amox.tender_package, amox.tender_group, amox.tender_year) == (
        "1516/QĐ-SYT",
        "G1",
        "N4",
        2024,
    )
    assert para.tender_package == "G1.02" and para.valid_from == date(2024, 3, 1) and para.valid_to is None
    assert (nacl.price_milli, nacl.tender_decision, nacl.tender_group, nacl.tender_year) == (
        9_500_000,
        "20.00",
        "N2",
        2023,
    )
    assert import_reference_file(engine, "drugs", path, actor="test") == Outcome(3, 0, [])
    assert _audits(engine, "claims_drugs") == 2


def test_bad_drug_rows_name_the_field(engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "thuoc-loi.csv",
        "MA_CSKCB,MA_THUOC,TEN_THUOC,SO_DANG_KY,DON_VI_TINH,DON_GIA,TT_THAU,TU_NGAY\n"
        "42001,40.149,Amoxicilin 500mg,VD 25524 16,Viên,900,1516/QĐ-SYT;G1;N4;24,20240301\n"
        "420011,40.17,Paracetamol,VD-1,Viên,0,,20240301\n",
    )
    written, errors = import_reference(engine, "drugs", path, actor="test")
    assert written == 0
    assert [(e.row, e.column) for e in errors] == [
        (2, "SO_DANG_KY"),
        (2, "TT_THAU"),
        (3, "MA_CSKCB"),
        (3, "DON_GIA"),
    ]
    assert "tender year" in errors[1].message and "5" in errors[2].message


SUPPLIES = """MA_CSKCB,MA_VAT_TU,TEN_VAT_TU,DON_VI_TINH,DON_GIA,TT_THAU,TU_NGAY,DEN_NGAY
42001,N03.02.070.0213.212.0001,Bơm tiêm nhựa 5ml Vinahankook,Cái,900,20.00;G1;N1;2021,20240101,20241231
42001,N03.05.010.1234.105.0002,Dây truyền dịch MPV,Bộ,5000,1516.01;G1;N1;2021,20240101,
"""

TENDERS = """MA_CSKCB,MA_THUOC,MA_VAT_TU,TT_THAU,DON_GIA,SO_LUONG,TU_NGAY,DEN_NGAY
42001,40.149,,1516/QĐ-SYT;G1;N4;2024,890,120000,20240301,20250228
42001,,N03.02.070.0213.212.0001,20.00;G1;N1;2021,900,50000,20240101,
"""


def test_supply_catalogue_and_tender_results(engine: Engine, tmp_path: Path) -> None:
    assert import_reference(engine, "supplies", _csv(tmp_path, "vtyt.csv", SUPPLIES), actor="test") == (2, [])
    assert import_reference(engine, "tenders", _csv(tmp_path, "thau.csv", TENDERS), actor="test") == (2, [])
    with unit_of_work(engine) as session:
        syringe = session.scalars(select(ClaimSupply).where(ClaimSupply.name.like("Bơm tiêm%"))).one()
        won = session.scalars(select(ClaimTender).order_by(ClaimTender.kind)).all()
    assert (syringe.price_milli, syringe.tender_decision, syringe.tender_year, syringe.valid_to) == (
        900_000,
        "20.00",
        2021,
        date(2024, 12, 31),
    )
    assert [(t.kind, t.item_code, t.tender_group, t.tender_year, t.price_milli, t.quantity) for t in won] == [
        ("drug", "40.149", "N4", 2024, 890_000, 120_000),
        ("supply", "N03.02.070.0213.212.0001", "N1", 2021, 900_000, 50_000),
    ]
    assert import_reference_file(engine, "tenders", tmp_path / "thau.csv", actor="test") == Outcome(2, 0, [])
    bad = _csv(
        tmp_path,
        "thau-loi.csv",
        "MA_CSKCB,MA_THUOC,MA_VAT_TU,TT_THAU,DON_GIA,TU_NGAY\n"
        "42001,40.149,N03.02.070,1516/QĐ-SYT;G1;N4;2024,890,20240301\n"
        "42001,40.17,,,300,20240301\n",
    )
    written, errors = import_reference(engine, "tenders", bad, actor="test")
    assert written == 0
    assert [(e.row, e.column) for e in errors] == [(2, "MA_THUOC"), (3, "TT_THAU")]
