"""Outreach lists of commune B of the hand-built province (tests/unit/test_coverage_province.py) on
31 March 2026, with their reasons, counted by hand:

- p10 (born June 1966, 12 years of compulsory SI 2005–2016, poor household): a voluntary SI prospect
  who contributed before — pays 330,000 − 165,000 (poor: 50% of 22% × 1,500,000) = 165,000 a month;
  within five years of his retirement age (June 2028, 27 months) with 144 months, 36 short of 15
  years: more than the months left, so the lump sum for the missing months; his household (with p8,
  insured) lacks HI for him;
- p9 (voluntary SI 2023–2025, 36 months, stopped): a prospect and a stopped voluntary payer; her
  one-time withdrawal of February 2026 puts her on that list; p12's does not (he is in SI now).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from ansinh.coverage.outreach import build_lists, payable_by_group, reason_text
from tests.unit.test_coverage_province import HOUSEHOLDS, ONE_TIME, PARTICIPATIONS, PERSONS, POVERTY, B

AS_OF = date(2026, 3, 31)


def _tables(commune: str) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    people = [p for p in PERSONS if p[1] == commune]
    ids = {p[0] for p in people}
    persons = pa.table(
        {
            "id": [p[0] for p in people],
            "full_name": [p[6] for p in people],
            "gender": [p[2] for p in people],
            "birth_date": pa.array([p[3] for p in people], pa.date32()),
            "death_date": pa.array([p[4] or date(9999, 12, 30) for p in people], pa.date32()),
            "household_id": [p[5] for p in people],
            "household_code": [HOUSEHOLDS[p[5]][0] for p in people],
            "phone": ["09" + str(p[0]).zfill(8) for p in people],
            "ethnicity": [p[7] for p in people],
            "commune_code": [p[1] for p in people],
        }
    )
    parts = [p for p in PARTICIPATIONS if p[0] in ids]
    participations = pa.table(
        {
            "person_id": [p[0] for p in parts],
            "scheme": [p[1] for p in parts],
            "valid_from": pa.array([p[2] for p in parts], pa.date32()),
            "valid_to": pa.array([p[3] or date(9999, 12, 30) for p in parts], pa.date32()),
            "hi_group": [p[4] or "" for p in parts],
        }
    )
    poverty = pa.table(
        {
            "household_id": [p[0] for p in POVERTY],
            "year": [p[1] for p in POVERTY],
            "status": [p[2] for p in POVERTY],
        }
    )
    cases = pa.table(
        {
            "person_id": [c[0] for c in ONE_TIME],
            "decided_on": pa.array([c[1] for c in ONE_TIME], pa.date32()),
            "amount": [c[2] for c in ONE_TIME],
        }
    )
    return persons, participations, poverty, cases


@pytest.fixture(scope="module")
def lists():  # type: ignore[no-untyped-def]
    persons, parts, poverty, cases = _tables(B)
    return build_lists(persons, parts, poverty, cases, B, AS_OF)


def test_payable_after_support() -> None:
    price = payable_by_group(AS_OF)
    assert price["poor"] == {"income": 1_500_000, "support": 165_000, "payable": 165_000}
    assert price["other"]["payable"] == 330_000 - 66_000


def test_voluntary_prospects_ranked_with_reasons(lists) -> None:  # type: ignore[no-untyped-def]
    rows = lists["voluntary_prospects"].rows
    assert [p.person_id for p in rows] == [10, 9]  # more months contributed first
    p10, p9 = rows
    assert (
        p10.figures["months"] == 144 and p10.figures["group"] == "poor" and p10.figures["payable"] == 165_000
    )
    assert reason_text(p10, "vi") == (
        "59 tuổi, đã từng đóng 144 tháng, hiện không tham gia BHXH; hộ nghèo: đóng 165.000 đ/tháng sau hỗ trợ"
    )
    assert p9.figures["months"] == 36 and p9.figures["payable"] == 264_000
    assert "would pay 264.000 đồng a month" in reason_text(p9, "en")


def test_stopped_voluntary(lists) -> None:  # type: ignore[no-untyped-def]
    rows = lists["stopped_voluntary"].rows
    assert [(p.person_id, p.figures["last"], p.figures["months"]) for p in rows] == [(9, "2025-12", 36)]


def test_household_members_without_hi(lists) -> None:  # type: ignore[no-untyped-def]
    rows = lists["household_hi_gaps"].rows
    assert [(p.person_id, p.figures["insured"], p.figures["members"]) for p in rows] == [(10, 1, 2)]
    assert reason_text(rows[0], "vi") == "Chưa có thẻ BHYT; hộ HH-B4: 1/2 thành viên đã có thẻ"


def test_near_pension(lists) -> None:  # type: ignore[no-untyped-def]
    rows = lists["near_pension"].rows
    assert len(rows) == 1 and rows[0].person_id == 10
    assert rows[0].reason == "near_pension_lump"
    f = rows[0].figures
    assert (f["retire"], f["left"], f["needed"], f["years"], f["rest"]) == ("2028-06", 27, 36, 12, 0)


def test_one_time_takers(lists) -> None:  # type: ignore[no-untyped-def]
    rows = lists["one_time_takers"].rows
    assert [p.person_id for p in rows] == [9]  # p12 is in SI again
    assert "10/02/2026" in reason_text(rows[0], "vi") and "30.000.000" in reason_text(rows[0], "vi")


def test_one_time_list_without_the_benefits_table() -> None:
    persons, parts, poverty, _cases = _tables(B)
    lists = build_lists(persons, parts, poverty, None, B, AS_OF)
    assert lists["one_time_takers"].no_data == "benefit_cases" and lists["one_time_takers"].rows == []
