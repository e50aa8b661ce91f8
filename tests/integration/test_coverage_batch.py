"""The coverage batch on the operational database (SQLite and PostgreSQL): the hand-built province of
tests/unit/test_coverage_province.py written as registry rows, denominators imported from CSV
(errors by row and field, all-or-nothing, the same file twice changes nothing), the snapshot, the
benefits tables when they have rows, outreach lists from the database, and the CLI report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from ansinh.benefits.models import BenefitCase, BenefitPayment, PayrollRun
from ansinh.core.db import unit_of_work
from ansinh.core.text import name_key
from ansinh.coverage.denominators import import_denominators
from ansinh.coverage.models import Denominator, IndicatorValue, Projection
from ansinh.coverage.outreach import compute_lists
from ansinh.coverage.service import compute_and_write
from ansinh.registry.models import Commune, Employer, Household, HouseholdPoverty, Participation, Person
from tests.unit.test_coverage_province import HOUSEHOLDS, PARTICIPATIONS, PERSONS, POVERTY, A, B

JAN, MAR = 2026 * 12, 2026 * 12 + 2
GOOD = (
    "Mã địa bàn,Năm,Dân số,Dân số trong độ tuổi lao động,Lực lượng lao động trong độ tuổi,Nguồn\n"
    "18001,2026,7,5,5,Cục Thống kê (thử)\n"
    "18002,2026,6,4,4,Cục Thống kê (thử)\n"
)
BAD = (
    "Mã địa bàn,Năm,Dân số,Dân số trong độ tuổi lao động,Lực lượng lao động trong độ tuổi\n"
    "18001,2026,7,5,6\n"  # labour force above the working-age population
    "99999,2026,10,5,5\n"  # no such commune
    "18002,năm,6,4,4\n"  # not a year
)


def seed_province(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        for code, name in ((A, "Phường Một"), (B, "Xã Hai")):
            s.add(Commune(code=code, name=name, kind="xa", province_code="42", valid_from=date(2025, 7, 1)))
        s.flush()
        for hid, (code, commune) in HOUSEHOLDS.items():
            s.add(Household(id=hid, code=code, commune_code=commune))
        s.flush()
        for hid, year, status in POVERTY:
            s.add(HouseholdPoverty(household_id=hid, year=year, status=status))
        for emp_id, commune in ((1, A), (2, B)):
            s.add(
                Employer(
                    id=emp_id,
                    tax_code=f"300000000{emp_id}",
                    name=f"Công ty {emp_id}",
                    name_key=name_key(f"Cong ty {emp_id}"),
                    kind="enterprise",
                    commune_code=commune,
                    sector="C",
                )
            )
        for pid, commune, gender, birth, death, hid, full_name, ethnicity in PERSONS:
            s.add(
                Person(
                    id=pid,
                    full_name=full_name,
                    name_key=name_key(full_name),
                    birth_date=birth,
                    gender=gender,
                    commune_code=commune,
                    household_id=hid,
                    death_date=death,
                    ethnicity=ethnicity,
                    phone="09" + str(pid).zfill(8),
                )
            )
        s.flush()
        for person, scheme, start, end, group, employer in PARTICIPATIONS:
            s.add(
                Participation(
                    person_id=person,
                    scheme=scheme,
                    valid_from=start,
                    valid_to=end,
                    hi_group=group,
                    employer_id=employer if scheme in ("si", "ui", "hi") else None,
                    hi_benefit_level=4 if scheme == "hi" else None,
                )
            )


def _figures(engine: Engine) -> dict[tuple[str, str, str], tuple[int, int | None]]:
    with unit_of_work(engine) as s:
        return {
            (v.area_code, v.period, v.indicator): (v.numerator, v.denominator)
            for v in s.scalars(select(IndicatorValue))
        }


def test_denominators_import(engine: Engine, tmp_path: Path) -> None:
    seed_province(engine)
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    report = import_denominators(engine, bad, actor="test", errors_path=tmp_path / "bad.errors.csv")
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "Lực lượng lao động trong độ tuổi"),
        (3, "Mã địa bàn"),
        (4, "Năm"),
    ]
    assert (tmp_path / "bad.errors.csv").exists()
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Denominator)) == 0  # all or nothing
    good = tmp_path / "nien_giam.csv"
    good.write_text(GOOD, encoding="utf-8")
    first = import_denominators(engine, good, actor="test")
    assert first.written and first.inserted == 2
    again = import_denominators(engine, good, actor="test")
    assert again.already_imported_at is not None and not again.written
    with unit_of_work(engine) as s:
        rows = {
            (d.area_code, d.year): (d.population, d.labour_force, d.source)
            for d in s.scalars(select(Denominator))
        }
    assert rows == {(A, 2026): (7, 5, "Cục Thống kê (thử)"), (B, 2026): (6, 4, "Cục Thống kê (thử)")}


def test_snapshot_from_the_database(engine: Engine, tmp_path: Path) -> None:
    seed_province(engine)
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_denominators(engine, path, actor="test")
    report = compute_and_write(engine, "42", JAN, MAR)
    assert report.rows > 0
    figures = _figures(engine)
    assert figures[("42", "2026-03", "si_participants")] == (5, 9)
    assert figures[(A, "2026-03", "si_participants")] == (3, 5)
    assert figures[("42", "2026-03", "hi")] == (7, 13)
    assert figures[("42", "2026-03", "pension")] == (1, 2)
    assert [figures[("42", p, "net_growth")][0] for p in ("2026-01", "2026-02", "2026-03")] == [-2, 1, 0]
    # the benefits tables exist (migration 0005) but are empty: counts of zero, shares with no value
    assert figures[("42", "2026-03", "one_time")] == (0, None)
    assert figures[("42", "2026-03", "non_cash")] == (0, 0)
    # twice: the same snapshot, not twice the rows
    compute_and_write(engine, "42", JAN, MAR)
    assert _figures(engine) == figures
    with unit_of_work(engine) as s:
        statuses = {
            p.indicator: p.status for p in s.scalars(select(Projection).where(Projection.area_code == "42"))
        }
    assert statuses["si_participants"] == "no_data"  # three months are too few for a trend


@pytest.mark.parametrize("small_rows", [100_000, 0], ids=["in-process", "worker"])
def test_benefit_tables_feed_one_time_and_non_cash(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_rows: int
) -> None:
    from ansinh.coverage import service

    monkeypatch.setattr(service, "SMALL_ROWS", small_rows)  # each benefits table read both ways
    seed_province(engine)
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_denominators(engine, path, actor="test")
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        s.add(
            BenefitCase(
                reference="BC-1",
                person_id=9,
                kind="one_time",
                status="paid",
                received_on=date(2026, 1, 20),
                due_on=date(2026, 2, 10),
                decided_on=date(2026, 2, 10),
                amount=30_000_000,
                created_by="t",
                created_at=now,
                updated_at=now,
            )
        )
        run = PayrollRun(
            key="R1",
            period="2026-03",
            kind="monthly",
            status="closed",
            payments=2,
            total_amount=2,
            noncash_payments=1,
            exceptions=0,
            created_by="t",
            created_at=now,
        )
        s.add(run)
        s.flush()
        for i, channel in enumerate(("bank", "cash")):
            s.add(
                BenefitPayment(
                    key=f"K{i}",
                    reference=f"P{i}",
                    run_id=run.id,
                    person_id=5,
                    period="2026-03",
                    amount=1,
                    channel=channel,
                    status="paid",
                    created_at=now,
                )
            )
    compute_and_write(engine, "42", JAN, MAR)
    figures = _figures(engine)
    assert figures[(B, "2026-02", "one_time")] == (1, None)
    assert figures[("42", "2026-03", "non_cash")] == (1, 2)
    lists = compute_lists(engine, B, date(2026, 3, 31))
    assert [p.person_id for p in lists["one_time_takers"].rows] == [9]


def test_outreach_lists_from_the_database(engine: Engine) -> None:
    seed_province(engine)
    lists = compute_lists(engine, B, date(2026, 3, 31))
    assert [p.person_id for p in lists["voluntary_prospects"].rows] == [10, 9]
    assert lists["voluntary_prospects"].rows[0].figures["payable"] == 165_000
    assert [p.person_id for p in lists["near_pension"].rows] == [10]
    assert [p.person_id for p in lists["household_hi_gaps"].rows] == [10]
    assert lists["one_time_takers"].rows == [] and lists["one_time_takers"].no_data is None


def test_cli_report_writes_xlsx_and_pdf(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ansinh.cli.main import app

    seed_province(engine)
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(app, ["coverage", "import-denominators", str(path), "--db", url])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["coverage", "compute", "--to", "2026-03", "--months", "3", "--db", url])
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        app, ["report", "coverage", "--period", "2026-03", "-o", str(tmp_path / "bc"), "--db", url]
    )
    assert out.exit_code == 0, out.output
    pdf, xlsx = (tmp_path / "bc.pdf").read_bytes(), (tmp_path / "bc.xlsx")
    assert pdf.startswith(b"%PDF") and xlsx.read_bytes().startswith(b"PK")
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    assert wb.sheetnames[:2] == ["Tom tat", "Chi tieu"]
    values = {row[0].value: row[1].value for row in wb["Chi tieu"].iter_rows(min_row=2) if row[0].value}
    assert values[
        "Người tham gia BHXH (bắt buộc + tự nguyện), tỷ lệ so với lực lượng lao động"
    ] == pytest.approx(5 / 9)
    ranking = [(r[1].value, r[3].value) for r in wb["Xep hang xa"].iter_rows(min_row=2)]
    assert ranking == [(A, pytest.approx(0.6)), (B, pytest.approx(0.5))]
    assert "Xã dẫn đầu" in out.output


def test_ledger_read_incrementally_equals_a_full_read(engine: Engine) -> None:
    from ansinh.ledger.close import close_month, rebuild
    from ansinh.ledger.models import LedgerKpi
    from tests.integration.web_seed import COMMUNE_A, COMMUNE_B, seed

    seed(engine)
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        for code in (COMMUNE_A, COMMUNE_B):
            s.add(
                Denominator(
                    area_code=code,
                    year=2026,
                    population=2,
                    labour_force=1,
                    working_age_population=1,
                    source="test",
                    updated_at=now,
                )
            )
    rebuild(engine, "2026-01", "2026-02")
    compute_and_write(engine, "42", JAN, MAR)
    close_month(engine, "2026-03")  # more entries: March's dues
    compute_and_write(engine, "42", JAN, MAR)  # reads only the entries posted since
    incremental = _figures(engine)
    compute_and_write(engine, "42", JAN, MAR, full=True)
    assert _figures(engine) == incremental
    with unit_of_work(engine) as s:
        kpi = s.get(LedgerKpi, "2026-03")
    assert kpi is not None
    province = incremental[("42", "2026-03", "arrears")][0]
    assert province == kpi.arrears_late  # the ledger's own figure for the province
    communes = (
        incremental[(COMMUNE_A, "2026-03", "arrears")][0] + incremental[(COMMUNE_B, "2026-03", "arrears")][0]
    )
    assert communes == province == 2_708_750  # January's dues, past their deadline (28 February)


def test_participation_changes_give_the_figures_of_a_computation_in_memory(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch reads the registry afresh each run (participations are not cached): after a spell
    is closed, a spell opened and a death recorded, the snapshot equals :func:`ind.compute` on the
    same rows in memory. Read in three id ranges, only the spells that meet the window."""
    from sqlalchemy import update

    from ansinh.coverage import indicators as ind
    from ansinh.coverage import service
    from tests.unit.test_coverage_province import denominators_table, participations_table, persons_table

    monkeypatch.setattr(service, "PART_SLICES", 3)
    seed_province(engine)
    path = tmp_path / "d.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_denominators(engine, path, actor="test")
    compute_and_write(engine, "42", JAN, MAR)
    assert _figures(engine)[("42", "2026-03", "si_participants")] == (5, 9)
    with unit_of_work(engine) as s:
        s.execute(
            update(Participation)
            .where(Participation.person_id == 1, Participation.scheme == "si")
            .values(valid_to=date(2026, 2, 10))
        )
        s.add(Participation(person_id=10, scheme="vsi", valid_from=date(2026, 3, 1)))
        s.execute(update(Person).where(Person.id == 8).values(death_date=date(2026, 3, 5)))
    compute_and_write(engine, "42", JAN, MAR)
    figures = _figures(engine)

    persons = [(p[0], p[1], p[2], p[3], date(2026, 3, 5) if p[0] == 8 else p[4]) for p in PERSONS]
    spells = [
        (p[0], p[1], p[2], date(2026, 2, 10) if (p[0], p[1]) == (1, "si") else p[3], p[4] or "")
        for p in PARTICIPATIONS
    ] + [(10, "vsi", date(2026, 3, 1), None, "")]
    facts = ind.Facts(
        "42", [A, B], persons_table(persons), participations_table(spells), denominators_table()
    )
    in_memory = {
        (r["area_code"], r["period"], r["indicator"]): (r["numerator"], r["denominator"])
        for r in ind.compute(facts, JAN, MAR).to_pylist()
    }
    assert in_memory and all(figures[key] == value for key, value in in_memory.items())
    # by hand: p1 left in February, p10 joined in March, p8 died in March
    assert figures[("42", "2026-03", "si_participants")] == (4, 9)
    assert [figures[("42", p, "new_participants")][0] for p in ("2026-02", "2026-03")] == [1, 1]  # p3, p10
    assert [figures[("42", p, "lost_participants")][0] for p in ("2026-02", "2026-03")] == [1, 1]  # p1, p8
