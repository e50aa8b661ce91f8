"""Benefit cases end to end on SQLite and PostgreSQL: contribution history from the registry and the
ledger, eligibility, amounts computed by hand from the rules, the draft's explanation, approval (a
second officer above the threshold), concurrent approval, counselling outcome, deadlines."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.benefits.cases import CaseConflict, CaseError, approve, draft_cases, open_case, record_counselling
from ansinh.benefits.models import Beneficiary, BenefitCase
from ansinh.core.db import unit_of_work
from ansinh.ledger.models import LedgerBalance
from ansinh.registry.models import Commune, Employer, EmployerRegion, Participation, Person

COMMUNE_A = "18001"
COMMUNE_B = "18002"
DECIDED = date(2026, 3, 2)


@dataclass
class Seed:
    employer: int
    pensioner: int  # man born 1964-09, SI 2010-01..2025-12 at 10,000,000
    withdrawer: int  # woman born 1990-02, SI 2016-01..2024-08 at 8,000,000
    big_withdrawer: int  # same career at 16,000,000
    nobody: int  # no contributions at all (commune B)
    unpaid: int  # SI from 2025-01, employer's 2025-11 still open
    mother: int  # woman, SI from 2025-01 at 9,000,000


def _person(s: Session, i: int, gender: str, born: date, commune: str = COMMUNE_A) -> int:
    p = Person(
        full_name=f"Trần Thị {i}" if gender == "female" else f"Nguyễn Văn {i}",
        name_key=f"nguoi {i}",
        personal_id=f"0421900{i:05d}",
        si_number=f"42{i:08d}",
        birth_date=born,
        gender=gender,
        commune_code=commune,
    )
    s.add(p)
    s.flush()
    return p.id


def _si(s: Session, person: int, employer: int, start: date, end: date | None, salary: int) -> None:
    for scheme in ("si", "ui"):
        s.add(
            Participation(
                person_id=person,
                scheme=scheme,
                valid_from=start,
                valid_to=end,
                employer_id=employer,
                salary=salary,
            )
        )


def seed_benefits(engine: Engine) -> Seed:
    with unit_of_work(engine) as s:
        for code, name in ((COMMUNE_A, "Phường Thành Sen"), (COMMUNE_B, "Xã Thạch Hà")):
            s.add(
                Commune(
                    code=code,
                    name=name,
                    kind="phuong",
                    province_code="42",
                    valid_from=date(2025, 7, 1),
                    wage_region=1,
                )
            )
        s.flush()
        emp = Employer(
            tax_code="3000123456",
            name="Công ty Thép",
            name_key="cong ty thep",
            kind="enterprise",
            commune_code=COMMUNE_A,
            sector="C",
            registered_on=date(2000, 1, 1),
        )
        s.add(emp)
        s.flush()
        s.add(EmployerRegion(employer_id=emp.id, region=1, valid_from=date(2000, 1, 1)))
        late = Employer(
            tax_code="3000999888",
            name="Hợp tác xã Chậm",
            name_key="hop tac xa cham",
            kind="cooperative",
            commune_code=COMMUNE_A,
            sector="A",
            registered_on=date(2020, 1, 1),
        )
        s.add(late)
        s.flush()
        s.add(EmployerRegion(employer_id=late.id, region=2, valid_from=date(2020, 1, 1)))
        pensioner = _person(s, 1, "male", date(1964, 9, 10))
        _si(s, pensioner, emp.id, date(2010, 1, 1), date(2025, 12, 31), 10_000_000)
        withdrawer = _person(s, 2, "female", date(1990, 2, 3))
        _si(s, withdrawer, emp.id, date(2016, 1, 1), date(2024, 8, 31), 8_000_000)
        big = _person(s, 3, "female", date(1990, 2, 3))
        _si(s, big, emp.id, date(2016, 1, 1), date(2024, 8, 31), 16_000_000)
        nobody = _person(s, 4, "male", date(1995, 1, 1), COMMUNE_B)
        unpaid = _person(s, 5, "male", date(1992, 1, 1))
        _si(s, unpaid, late.id, date(2025, 1, 1), None, 7_000_000)
        mother = _person(s, 6, "female", date(1996, 6, 1))
        _si(s, mother, emp.id, date(2025, 1, 1), None, 9_000_000)
        s.add(
            LedgerBalance(
                employer_id=late.id,
                period="2025-11",
                due=1,
                paid=0,
                open_amount=1,
                surcharge_posted=0,
                surcharge_open=0,
                surcharge_accrued=0,
                deadline=date(2025, 12, 31),
                days_late=60,
                aging=2,
                status="late",
                as_of=date(2026, 2, 28),
            )
        )
        return Seed(emp.id, pensioner, withdrawer, big, nobody, unpaid, mother)


def _open(engine: Engine, person: int, kind: str, **kw: object) -> int:
    with unit_of_work(engine) as s:
        case = open_case(s, person_id=person, kind=kind, received_on=date(2026, 2, 13), actor="officer", **kw)  # type: ignore[arg-type]
        return case.id


def _case(engine: Engine, case_id: int) -> BenefitCase:
    with Session(engine) as s:
        case = s.get(BenefitCase, case_id)
        assert case is not None
        s.expunge(case)
        return case


def test_drafts_compute_the_law_figures(engine: Engine) -> None:
    seed = seed_benefits(engine)
    pension_case = _open(engine, seed.pensioner, "pension", event_date=date(2026, 1, 1))
    one_time = _open(engine, seed.withdrawer, "one_time", facts={"ground": "dd"})
    nobody = _open(engine, seed.nobody, "one_time", facts={"ground": "dd"})
    unpaid = _open(engine, seed.unpaid, "sickness", event_date=date(2026, 2, 9), facts={"days": 5})
    birth = _open(engine, seed.mother, "maternity", event_date=date(2026, 2, 10), facts={"children": 1})
    report = draft_cases(engine, actor="officer", decided=DECIDED)
    assert report.drafted == 5 and report.eligible == 3
    assert report.blocked == {"no_contribution_history": 1, "unpaid_employer_months": 1}

    # Pension: 16 years (2010–2025) → man with 15 to under 20 years: 40% + 1 × 1% = 41% (Art. 66.1(b)).
    # Average revalued with the 2026 coefficients 2010..2025 (benefits.yaml), Σ = 21.62:
    # 10,000,000 × 21.62 / 16 = 13,512,500; pension round(41% × 13,512,500) = 5,540,125.
    case = _case(engine, pension_case)
    assert case.status == "drafted"
    assert case.monthly_amount == 5_540_125 and case.amount == 5_540_125
    data = json.loads(case.explanation or "{}")
    assert data["eligible"] is True
    assert data["figures"]["average_salary"] == 13_512_500
    assert any("Art. 66.1(b)" in step["legal_basis"] for step in data["steps"])
    assert any(c["label"] == "Retirement age reached" and c["ok"] for c in data["checks"])

    # One-time (đ): 2016-01..2024-08 = 104 months (8 y 8 m → 9 years from 2014) × 2 = 18 months;
    # average 8,000,000 × (12 × (1.38+1.32+1.28+1.24+1.20+1.18+1.15+1.11) + 8 × 1.07) / 104
    # = 8,000,000 × 126.88 / 104 = 9,760,000 → 18 × 9,760,000 = 175,680,000 (Art. 70.3).
    case = _case(engine, one_time)
    assert case.amount == 175_680_000
    assert not case.needs_second

    # Maternity: 6 months × 9,000,000 (last 6 months) + 2 × 2,340,000 = 58,680,000 (Art. 53, 58, 59).
    assert _case(engine, birth).amount == 58_680_000

    # No contribution history: a clear message naming the person; nothing computed.
    case = _case(engine, nobody)
    data = json.loads(case.explanation or "{}")
    assert case.amount is None and data["eligible"] is False
    assert data["problems"][0]["code"] == "no_contribution_history"
    assert f"person {seed.nobody}" in data["problems"][0]["message"]

    # Unpaid employer month 2025-11 blocks the sickness case until the employer pays.
    data = json.loads(_case(engine, unpaid).explanation or "{}")
    assert data["problems"][0]["code"] == "unpaid_employer_months"
    assert "2025-11" in data["problems"][0]["message"]
    with unit_of_work(engine) as s, pytest.raises(CaseError, match="not eligible"):
        approve(s, unpaid, actor="officer")


def test_deadline_counts_working_days_and_holidays(engine: Engine) -> None:
    seed = seed_benefits(engine)
    # Received Friday 13 Feb 2026; Tết 16–20 Feb off; 7 working days → Tuesday 3 Mar 2026.
    case = _case(engine, _open(engine, seed.mother, "maternity", event_date=date(2026, 2, 10)))
    assert case.due_on == date(2026, 3, 3)


def test_second_officer_above_threshold_and_one_beneficiary(engine: Engine) -> None:
    seed = seed_benefits(engine)
    big = _open(engine, seed.big_withdrawer, "one_time", facts={"ground": "dd"})
    pension_case = _open(engine, seed.pensioner, "pension", event_date=date(2026, 1, 1))
    draft_cases(engine, actor="officer", decided=DECIDED)
    assert _case(engine, big).amount == 351_360_000  # twice the 175,680,000 of the same career at half pay
    assert _case(engine, big).needs_second
    with unit_of_work(engine) as s:
        assert approve(s, big, actor="an", on=DECIDED) == "first_approval"
    with unit_of_work(engine) as s, pytest.raises(CaseError, match="second, different officer"):
        approve(s, big, actor="an", on=DECIDED)
    with unit_of_work(engine) as s:
        assert approve(s, big, actor="binh", on=DECIDED) == "approved"
    case = _case(engine, big)
    assert (case.status, case.first_approved_by, case.approved_by, case.decided_on) == (
        "approved",
        "an",
        "binh",
        DECIDED,
    )

    with unit_of_work(engine) as s:
        assert approve(s, pension_case, actor="an", on=DECIDED) == "approved"
    with unit_of_work(engine) as s, pytest.raises(CaseConflict):
        approve(s, pension_case, actor="binh", on=DECIDED)
    with Session(engine) as s:
        ben = s.scalars(select(Beneficiary)).all()
        assert [(b.person_id, b.kind, b.monthly_amount, b.start_period) for b in ben] == [
            (seed.pensioner, "pension", 5_540_125, "2026-01")
        ]


def test_two_officers_approving_at_once_pay_once(engine: Engine) -> None:
    seed = seed_benefits(engine)
    case_id = _open(engine, seed.pensioner, "pension", event_date=date(2026, 1, 1))
    draft_cases(engine, actor="officer", decided=DECIDED)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def officer(name: str) -> None:
        with Session(engine) as s:
            case = s.get(BenefitCase, case_id)
            assert case is not None
            barrier.wait()
            try:
                approve(s, case_id, actor=name, on=DECIDED)
                s.commit()
                outcomes.append("approved")
            except CaseConflict:
                s.rollback()
                outcomes.append("conflict")
            except Exception as exc:  # SQLite may refuse the second writer while the first holds the lock
                s.rollback()
                outcomes.append(f"refused:{type(exc).__name__}")

    threads = [threading.Thread(target=officer, args=(n,)) for n in ("an", "binh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("approved") == 1, outcomes
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == 1
        assert s.get(BenefitCase, case_id).status == "approved"  # type: ignore[union-attr]


def test_counselling_outcome_and_idempotent_intake(engine: Engine) -> None:
    seed = seed_benefits(engine)
    with unit_of_work(engine) as s:
        a = open_case(
            s, person_id=seed.withdrawer, kind="one_time", received_on=DECIDED, actor="o", reference="HS-1"
        )
        b = open_case(
            s, person_id=seed.withdrawer, kind="one_time", received_on=DECIDED, actor="o", reference="HS-1"
        )
        assert a.id == b.id
        stayed = a.id
    with unit_of_work(engine) as s:
        record_counselling(s, stayed, actor="o", outcome="stayed", on=DECIDED)
    case = _case(engine, stayed)
    assert (case.status, case.counselling_outcome, case.decided_on) == ("rejected", "stayed", DECIDED)
    with unit_of_work(engine) as s, pytest.raises(CaseError, match="counselling_outcome"):
        record_counselling(s, stayed, actor="o", outcome="maybe")
    with unit_of_work(engine) as s, pytest.raises(CaseError, match="no person"):
        open_case(s, person_id=999_999, kind="pension", received_on=DECIDED, actor="o")
