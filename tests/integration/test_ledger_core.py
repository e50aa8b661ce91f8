"""The ledger end to end on SQLite and PostgreSQL: dues from the calculators, a bank statement,
allocation oldest month first, the surcharge, idempotency, adjustments after a late declaration,
reversal, the balance check and the append-only table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.core.text import name_key
from ansinh.law.calculators import surcharge
from ansinh.law.parameters import get_parameters
from ansinh.ledger.close import close_month, rebuild
from ansinh.ledger.models import LedgerBalance, LedgerEntry, Payment
from ansinh.ledger.payments import import_statement, reverse_payment
from ansinh.ledger.queries import check
from ansinh.registry.models import Commune, Employer, EmployerRegion, Participation, Person

COMMUNE = "18001"
TAX = "3000123456"
TAX_B = "3000999888"


@dataclass
class LedgerSeed:
    employer: int
    employer_b: int
    person: int
    person_b: int


def seed_ledger(engine: Engine) -> LedgerSeed:
    """One employer in region I with one employee at 10,000,000 from January 2026 (SI, HI, UI);
    a second employer with one employee at 6,000,000."""
    with unit_of_work(engine) as s:
        s.add(
            Commune(
                code=COMMUNE,
                name="Phường Thành Sen",
                kind="phuong",
                province_code="42",
                valid_from=date(2025, 7, 1),
                wage_region=1,
            )
        )
        s.flush()
        employers = []
        for tax, name in ((TAX, "Công ty TNHH Thép Hà Tĩnh"), (TAX_B, "Hợp tác xã Thạch Hà")):
            emp = Employer(
                tax_code=tax,
                name=name,
                name_key=name_key(name),
                kind="enterprise",
                commune_code=COMMUNE,
                sector="C",
                registered_on=date(2015, 3, 2),
            )
            s.add(emp)
            s.flush()
            s.add(EmployerRegion(employer_id=emp.id, region=1, valid_from=date(2015, 3, 2)))
            employers.append(emp)
        people = []
        for i, (pid, si) in enumerate((("042088001234", "4201234567"), ("042190005678", "4201234568"))):
            person = Person(
                full_name=f"Nguyễn Văn {i}",
                name_key=f"nguyen van {i}",
                personal_id=pid,
                si_number=si,
                birth_date=date(1988, 5, 1),
                gender="male",
                commune_code=COMMUNE,
            )
            s.add(person)
            s.flush()
            people.append(person)
        for person, emp, salary in (
            (people[0], employers[0], 10_000_000),
            (people[1], employers[1], 6_000_000),
        ):
            for scheme in ("si", "ui", "hi"):
                s.add(
                    Participation(
                        person_id=person.id,
                        scheme=scheme,
                        valid_from=date(2026, 1, 1),
                        employer_id=emp.id,
                        salary=None if scheme == "hi" else salary,
                        hi_group="DN" if scheme == "hi" else None,
                    )
                )
        return LedgerSeed(employers[0].id, employers[1].id, people[0].id, people[1].id)


def statement(tmp_path: Path, rows: list[tuple[str, str, str, str]], name: str = "bank.csv") -> Path:
    path = tmp_path / name
    lines = ["Mã giao dịch,Ngày giao dịch,Số tiền,Tài khoản,Nội dung"]
    lines += [f"{txn},{day},{amount},0011001234567,{memo}" for txn, day, amount, memo in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def entries(engine: Engine, **where: object) -> list[LedgerEntry]:
    with unit_of_work(engine) as s:
        stmt = select(LedgerEntry).filter_by(**where).order_by(LedgerEntry.id)
        return list(s.scalars(stmt))


def test_dues_payment_surcharge_and_idempotency(engine: Engine, tmp_path: Path) -> None:
    ids = seed_ledger(engine)
    rebuild(engine, "2026-01", "2026-03")
    march = {
        (e.scheme, e.party): e.amount for e in entries(engine, employer_id=ids.employer, period="2026-03")
    }
    # the law's figures: 10,000,000 in region I, 2026-03
    assert march == {
        ("si", "employee"): 800_000,
        ("hi", "employee"): 150_000,
        ("ui", "employee"): 100_000,
        ("si", "employer"): 1_750_000,
        ("hi", "employer"): 300_000,
        ("ui", "employer"): 100_000,
    }
    assert sum(march.values()) == 3_200_000
    # January's deadline is 28 Feb 2026; 3,200,000 paid on 9 April: 40 days late
    path = statement(
        tmp_path,
        [
            ("FT26099001", "09/04/2026", "3.200.000", f"BHXH T01 MST {TAX}"),
            ("FT26099002", "10/04/2026", "1.000.000", "nop tien bhxh"),
        ],
    )
    report = import_statement(engine, path, actor="test")
    assert (report.credited, report.matched, report.unmatched, report.duplicates) == (2, 1, 1, 0)
    again = import_statement(engine, path, actor="test")
    assert (again.credited, again.duplicates) == (0, 2)
    close_month(engine, "2026-04")
    pays = entries(engine, employer_id=ids.employer, kind="payment")
    assert {e.period for e in pays} == {"2026-01"}  # oldest month first
    assert {e.scheme: -e.amount for e in pays} == {"si": 2_550_000, "hi": 450_000, "ui": 200_000}
    sur = entries(engine, employer_id=ids.employer, kind="surcharge")
    expected = surcharge(
        get_parameters(), amount=3_200_000, due_date=date(2026, 2, 28), paid_date=date(2026, 4, 9)
    )
    assert expected["days"] == 40 and expected["surcharge"] == 38_400
    assert sum(e.amount for e in sur) == 38_400
    # closing again posts nothing
    before = len(entries(engine))
    assert close_month(engine, "2026-04").entries == 0
    assert len(entries(engine)) == before
    with unit_of_work(engine) as s:
        assert check(s).ok
        feb = s.get(LedgerBalance, (ids.employer, "2026-02"))
        assert feb is not None and feb.open_amount == 3_200_000 and feb.status == "late"


def test_late_declaration_gives_adjustments_not_edits(engine: Engine) -> None:
    ids = seed_ledger(engine)
    rebuild(engine, "2026-01", "2026-03")
    first = {e.id: e.amount for e in entries(engine)}
    with unit_of_work(engine) as s:  # a salary rise from February, declared in April
        spell = s.scalars(
            select(Participation).where(
                Participation.person_id == ids.person, Participation.scheme.in_(("si", "ui"))
            )
        ).all()
        for p in spell:
            s.execute(text("UPDATE participations SET valid_to = '2026-01-31' WHERE id = :id"), {"id": p.id})
            s.add(
                Participation(
                    person_id=ids.person,
                    scheme=p.scheme,
                    valid_from=date(2026, 2, 1),
                    employer_id=ids.employer,
                    salary=12_000_000,
                )
            )
    close_month(engine, "2026-03", reprice_from="2026-01", as_of=date(2026, 4, 15))
    after = entries(engine)
    assert {e.id: e.amount for e in after if e.id in first} == first  # nothing edited
    adjustments = [e for e in after if e.kind == "adjustment"]
    assert {e.period for e in adjustments} == {"2026-02", "2026-03"}
    assert sum(e.amount for e in adjustments) == 2 * (12_000_000 - 10_000_000) * 32 // 100
    assert close_month(engine, "2026-03", reprice_from="2026-01", as_of=date(2026, 4, 15)).entries == 0


def test_reversal_reopens_the_month(engine: Engine, tmp_path: Path) -> None:
    ids = seed_ledger(engine)
    rebuild(engine, "2026-01", "2026-01")
    import_statement(engine, statement(tmp_path, [("FT1", "20/01/2026", "3200000", f"MST {TAX}")]), actor="t")
    close_month(engine, "2026-01")
    with unit_of_work(engine) as s:
        payment = s.scalar(select(Payment))
        assert payment is not None
        assert reverse_payment(s, payment.id, actor="t", reason="bank recall") == 3
    close_month(engine, "2026-01")
    with unit_of_work(engine) as s:
        jan = s.get(LedgerBalance, (ids.employer, "2026-01"))
        assert jan is not None and jan.open_amount == 3_200_000
        assert check(s).ok


def test_entries_are_append_only(engine: Engine) -> None:
    seed_ledger(engine)
    rebuild(engine, "2026-01", "2026-01")
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET amount = 0"))
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_entries"))
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 12


def test_voluntary_and_household_dues_at_registration(engine: Engine) -> None:
    from ansinh.law.periods import Period
    from ansinh.ledger.registration import post_household_due, post_voluntary_due
    from ansinh.registry.models import Household

    ids = seed_ledger(engine)
    with unit_of_work(engine) as s:
        s.add(
            Participation(
                person_id=ids.person_b,
                scheme="vsi",
                valid_from=date(2026, 1, 1),
                income=1_500_000,
                support_group="poor",
            )
        )
        household = Household(code="HH4218001000009", commune_code=COMMUNE)
        s.add(household)
        s.flush()
        vsi = post_voluntary_due(s, person_id=ids.person_b, period=Period(2026, 1), months=12, actor="t")
        hhi = post_household_due(
            s, household_id=household.id, period=Period(2026, 1), members=2, months=12, actor="t"
        )
        # the calculators' worked examples: 1,980,000 (poor, 12 months) and 2,148,120 (2 members)
        assert (vsi.amount, hhi.amount) == (1_980_000, 2_148_120)
    with pytest.raises(Exception), unit_of_work(engine) as s:  # noqa: B017 — the same registration twice
        post_household_due(
            s, household_id=household.id, period=Period(2026, 1), members=2, months=12, actor="t"
        )
