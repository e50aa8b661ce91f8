"""Streamed imports on SQLite and PostgreSQL: batches of bounded size, all-or-nothing across batches,
a killed import writes nothing, cross-batch duplicates, amounts beyond MAX_AMOUNT_DONG."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.registry.importing import import_file
from ansinh.registry.importing.base import Item
from ansinh.registry.importing.persons import PersonsImporter
from ansinh.registry.models import ImportBatch, Participation, Person

DATA = Path(__file__).parents[1] / "data" / "import"
HEADER = "Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã\n"
N = 20  # rows per batch in these tests


def _copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


@pytest.fixture
def areas(engine: Engine, tmp_path: Path) -> Engine:
    assert import_file(engine, "areas", _copy("areas_42.csv", tmp_path), actor="test").written
    return engine


def _row(i: int) -> str:
    """A valid person: born 1980 + i % 40, male, personal ID consistent with both."""
    birth = date(1980 + i % 40, 1, 1) + timedelta(days=i % 300)
    pid = f"042{0 if birth.year < 2000 else 2}{birth.year % 100:02d}{i:06d}"
    return f"{pid},42{i:08d},Nguyễn Văn Số {i},{birth:%d/%m/%Y},Nam,18631\n"


def _file(tmp_path: Path, lines: Sequence[str], name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Records (stage, rows) of every resolve and apply call of the persons importer."""
    calls: list[tuple[str, int]] = []
    resolve, apply = PersonsImporter.resolve, PersonsImporter.apply

    def spy_resolve(self: PersonsImporter, session: Session, items: Sequence[Item[Any]]) -> None:
        calls.append(("resolve", len(items)))
        resolve(self, session, items)

    def spy_apply(self: PersonsImporter, session: Session, items: Sequence[Item[Any]], actor: str) -> None:
        calls.append(("apply", len(items)))
        apply(self, session, items, actor)

    monkeypatch.setattr(PersonsImporter, "resolve", spy_resolve)
    monkeypatch.setattr(PersonsImporter, "apply", spy_apply)
    return calls


def test_a_file_of_five_batches_is_checked_and_written_n_rows_at_a_time(
        areas: Engine, tmp_path: Path, batches: list[tuple[str, int]]) -> None:
    path = _file(tmp_path, [_row(i) for i in range(5 * N)])
    report = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert (report.rows_total, report.inserted, report.error_count, report.written) == (5 * N, 5 * N, 0, True)
    # one pass: each batch of N is checked against the database, then written
    assert batches == [("resolve", N), ("apply", N)] * 5
    assert _count(areas, Person) == 5 * N
    again = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert again.already_imported_at is not None and _count(areas, Person) == 5 * N


def test_a_bad_row_at_the_end_of_a_multi_batch_file_writes_nothing(
        areas: Engine, tmp_path: Path, batches: list[tuple[str, int]]) -> None:
    lines = [_row(i) for i in range(5 * N - 1)] + ["042088001234,4299999999,Cuối Cùng,31/02/1988,Nam,18631\n"]
    path = _file(tmp_path, lines)
    report = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert report.rejected and not report.written
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (5 * N + 1, "Ngày sinh", "31/02/1988", "ngày '31/02/1988' không có thật (impossible date: no "
                                               "such day)")]
    # the first four batches were written, then rolled back with the fifth's error
    assert batches == [("resolve", N), ("apply", N)] * 4 + [("resolve", N - 1)]
    assert _count(areas, Person) == 0
    assert _count(areas, ImportBatch) == 1  # the areas file only
    with (tmp_path / "p.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle)) == [["row", "column", "value", "reason"],
                                            [str(5 * N + 1), "Ngày sinh", "31/02/1988",
                                             "ngày '31/02/1988' không có thật (impossible date: no such "
                                             "day)"]]


def test_an_import_killed_in_its_last_batch_writes_nothing(
        areas: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path, [_row(i) for i in range(5 * N)])
    apply = PersonsImporter.apply
    written: list[int] = []

    def dies_in_the_last_batch(self: PersonsImporter, session: Session, items: Sequence[Item[Any]],
                               actor: str) -> None:
        apply(self, session, items, actor)
        session.flush()
        written.append(len(items))
        if len(written) == 5:
            raise KeyboardInterrupt  # the process is stopped after four batches were sent

    monkeypatch.setattr(PersonsImporter, "apply", dies_in_the_last_batch)
    with pytest.raises(KeyboardInterrupt):
        import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert written == [N] * 5
    assert _count(areas, Person) == 0
    assert _count(areas, ImportBatch) == 1
    monkeypatch.setattr(PersonsImporter, "apply", apply)
    report = import_file(areas, "persons", path, actor="test", batch_rows=N)  # a second try goes through
    assert (report.inserted, report.written) == (5 * N, True)


def test_duplicates_across_batches_and_skip_invalid(areas: Engine, tmp_path: Path) -> None:
    lines = [_row(i) for i in range(5 * N)]
    lines[4 * N + 3] = lines[2].replace("Nguyễn Văn Số 2", "Bản Sao")  # same SI number as row 4
    lines[N + 1] = lines[N + 1].replace(",Nam,", ",Không rõ,")
    path = _file(tmp_path, lines)
    refused = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert [(e.row, e.column, e.reason) for e in refused.errors] == [
        (N + 3, "Giới tính", "giới tính 'Không rõ' không hợp lệ; chấp nhận: male, female (unknown gender)"),
        (4 * N + 5, "Mã số BHXH", "trùng với dòng 4 (cùng Mã số BHXH) (duplicate of row 4, same Mã số BHXH)"),
    ]
    assert _count(areas, Person) == 0
    kept = import_file(areas, "persons", path, actor="test", batch_rows=N, skip_invalid=True)
    assert (kept.inserted, kept.quarantined, kept.rows_total, kept.written) == (5 * N - 2, 2, 5 * N, True)
    assert _count(areas, Person) == 5 * N - 2
    assert kept.quarantine_path is not None
    with kept.quarantine_path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert [(r[6], r[7]) for r in rows[1:]] == [
        (str(N + 3), "Giới tính: giới tính 'Không rõ' không hợp lệ; chấp nhận: male, female (unknown "
                     "gender)"),
        (str(4 * N + 5), "Mã số BHXH: trùng với dòng 4 (cùng Mã số BHXH) (duplicate of row 4, same Mã "
                         "số BHXH)"),
    ]


def test_a_person_created_by_an_earlier_batch_named_twice_later_rolls_back(
        areas: Engine, tmp_path: Path) -> None:
    """Row 2 (batch 1) brings a person with no SI number; rows 22 and 23 (batch 2) give the same
    personal ID with two new SI numbers. Batch 2 is checked against the database as batch 1 left it:
    both find row 2's person, the second is refused, and nothing is written."""
    first = _row(1)
    pid, _si, rest = first.split(",", 2)
    lines = ([f"{pid},,{rest}"] + [_row(i) for i in range(100, 100 + N - 1)]
             + [f"{pid},4288888881,{rest}", f"{pid},4288888882,{rest}"])
    path = _file(tmp_path, lines)
    report = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert not report.written and report.rejected
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (N + 3, "Mã số BHXH", "cùng một người với dòng 22 (same person as row 22)")]
    assert _count(areas, Person) == 0
    assert report.errors_path is not None and report.errors_path.exists()
    kept = import_file(areas, "persons", path, actor="test", batch_rows=N, skip_invalid=True)
    assert (kept.inserted, kept.updated, kept.quarantined, kept.written) == (N, 1, 1, True)
    assert _count(areas, Person) == N


def test_an_amount_of_ten_to_the_twenty_is_a_row_error(engine: Engine, tmp_path: Path) -> None:
    for kind, name in (("areas", "areas_42.csv"), ("persons", "persons_vi.csv"),
                       ("employers", "employers.csv")):
        assert import_file(engine, kind, _copy(name, tmp_path), actor="test").written
    path = tmp_path / "qt.csv"
    path.write_text("Mã số BHXH,Loại hình,Từ ngày,Mã số thuế đơn vị,Mức lương đóng\n"
                    "4201234567,BHXH bắt buộc,01/01/2024,4201234567,100000000000000000000\n"
                    "4201234567,BHTN,01/01/2024,4201234567,8500000\n", encoding="utf-8")
    report = import_file(engine, "participation", path, actor="test")
    assert [(e.row, e.column, e.value, e.reason) for e in report.errors] == [
        (2, "Mức lương đóng", "100000000000000000000",
         "số tiền 100000000000000000000 vượt giới hạn 1.000.000.000.000.000 đồng")]
    assert not report.written and _count(engine, Participation) == 0
    kept = import_file(engine, "participation", path, actor="test", skip_invalid=True)
    assert (kept.inserted, kept.quarantined) == (1, 1)
    with Session(engine) as s:
        assert s.scalars(select(Participation.salary)).all() == [8_500_000]


def _person_indexes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' "
            "AND sql IS NOT NULL").tuples().all())


def test_a_bulk_load_on_sqlite_builds_the_search_indexes_at_the_end(
        sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load larger than the table drops the secondary indexes its look-ups do not use and builds
    them again before the commit; a refused load leaves them as they were. (SQLite only:
    PostgreSQL keeps its indexes during a load.)"""
    from ansinh.registry.importing import bulk

    areas = sqlite_engine
    assert import_file(areas, "areas", _copy("areas_42.csv", tmp_path), actor="test").written

    before = _person_indexes(areas)
    assert {"ix_persons_name_key", "ix_persons_commune_code", "ix_persons_personal_id"} <= set(before)
    monkeypatch.setattr(bulk, "MIN_ROWS", 10)
    dropped: list[list[str]] = []
    deferred = bulk.indexes_deferred

    def spy(*args: Any) -> Any:
        manager = deferred(*args)

        class Spy:
            def __enter__(self) -> list[str]:
                names = manager.__enter__()
                dropped.append(sorted(names))
                with areas.connect() as other:  # another connection still sees every index
                    assert set(_person_indexes(areas)) == set(before)
                    other.close()
                return names

            def __exit__(self, *exc: Any) -> Any:
                return manager.__exit__(*exc)

        return Spy()

    monkeypatch.setattr("ansinh.registry.importing.service.indexes_deferred", spy)
    lines = [_row(i) for i in range(3 * N)] + ["042088001234,,X,31/02/1988,Nam,18631\n"]
    bad = _file(tmp_path, lines, "bad.csv")
    assert import_file(areas, "persons", bad, actor="test", batch_rows=N).rejected
    assert _person_indexes(areas) == before and _count(areas, Person) == 0
    path = _file(tmp_path, [_row(i) for i in range(3 * N)])
    report = import_file(areas, "persons", path, actor="test", batch_rows=N)
    assert report.written and report.inserted == 3 * N
    assert dropped[-1] == ["ix_persons_commune_code", "ix_persons_household_id", "ix_persons_merged_into_id",
                           "ix_persons_name_key"]
    assert _person_indexes(areas) == before  # the same definitions, built from the loaded table
    with areas.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT id FROM persons WHERE name_key = 'x'").all()
        assert "ix_persons_name_key" in " ".join(str(r) for r in plan)
    # a second file into a table larger than it keeps the indexes in place
    dropped.clear()
    small = _file(tmp_path, [_row(i) for i in range(1000, 1000 + N)], "small.csv")
    monkeypatch.setattr(bulk, "MIN_ROWS", 1)
    assert import_file(areas, "persons", small, actor="test", batch_rows=N).inserted == N
    assert dropped == [[]]


def test_collection_is_paused_during_an_import_and_restored_after() -> None:
    import gc

    from ansinh.registry.importing.service import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
