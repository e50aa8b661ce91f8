"""Table export (csv, xlsx, parquet) on SQLite and PostgreSQL, and the CLI end to end."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ansinh.core.audit import AuditEntry
from ansinh.registry import exporting
from ansinh.registry.exporting import ExportError, export_table
from ansinh.registry.importing import import_file

DATA = Path(__file__).parents[1] / "data" / "import"


@pytest.fixture
def people(engine: Engine, tmp_path: Path) -> Engine:
    for kind, name in (("areas", "areas_42.csv"), ("persons", "persons_vi.csv")):
        import_file(engine, kind, Path(shutil.copy(DATA / name, tmp_path / name)), actor="test")
    return engine


def test_parquet_keeps_types_and_values(people: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setattr(exporting, "BATCH_ROWS", 2)  # several batches, one with an all-NULL column
    report = export_table(people, "persons", "parquet", tmp_path / "p.parquet", actor="cli:lan")
    assert report.rows == 5
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.num_rows == 5
    assert str(table.schema.field("birth_date").type) == "date32[day]"
    assert table.column("si_number").to_pylist() == ["4201234567", "0101234567", None, "4209999999", None]
    assert table.column("birth_date")[0].as_py() == date(1988, 1, 5)
    with Session(people) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.actor, entry.entity, entry.entity_id) == ("cli:lan", "persons", "*")
    assert entry.detail == '{"format": "parquet", "rows": 5, "file": "p.parquet"}'


def test_csv_round_trip_changes_nothing(people: Engine, tmp_path: Path) -> None:
    path = tmp_path / "persons_export.csv"
    export_table(people, "persons", "csv", path, actor="test")
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[2].startswith('2,"042190004321","0101234567","Trần Thị Bình"')
    report = import_file(people, "persons", path, actor="test")
    assert (report.inserted, report.updated, report.unchanged, report.quarantined) == (0, 0, 5, 0)


def test_xlsx_and_its_row_limit(people: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export_table(people, "audit_log", "xlsx", tmp_path / "a.xlsx", actor="test")
    export_table(people, "communes", "xlsx", tmp_path / "c.xlsx", actor="test")
    rows = list(load_workbook(tmp_path / "c.xlsx").active.values)
    assert rows[0] == ("code", "name", "kind", "province_code", "valid_from", "valid_to", "wage_region")
    assert rows[1][:4] == ("18631", "Phường Thành Sen", "phuong", "42")
    monkeypatch.setattr(exporting, "XLSX_MAX_ROWS", 4)
    with pytest.raises(ExportError, match=r"^persons has 5 rows; an .xlsx sheet holds at most 4 data rows\. "
                                          r"Use --format csv or --format parquet$"):
        export_table(people, "persons", "xlsx", tmp_path / "p.xlsx", actor="test")
    assert not (tmp_path / "p.xlsx").exists()


def test_unknown_table() -> None:
    with pytest.raises(ExportError, match="unknown table 'users'"):
        export_table(None, "users", "csv", actor="test")  # type: ignore[arg-type]


def test_cli_import_and_export(sqlite_engine: Engine, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from ansinh.cli.main import app
    from ansinh.registry import io_cli

    monkeypatch.setattr(io_cli, "get_engine", lambda: sqlite_engine)
    for console in (io_cli.console, io_cli.err_console):
        monkeypatch.setattr(console, "width", 1000)  # no wrapping of long paths
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.output.split())  # Rich wraps long lines

    for name in ("areas_42.csv", "persons_bad.csv", "persons_cp1258.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    code, out = run("import", "areas", str(tmp_path / "areas_42.csv"))
    assert (code, out) == (0, "Imported areas from areas_42.csv: 3 rows — 3 inserted, 0 updated, "
                              "0 unchanged, 0 quarantined")
    bad = str(tmp_path / "persons_bad.csv")
    code, out = run("import", "persons", bad)
    assert code == 1 and "không có xã mã 99999 (unknown commune)" in out
    assert out.endswith("Nothing imported: 6 error(s) in 6 of 7 rows. Error table written to "
                        f"{bad}.errors.csv. Fix the file, or use --skip-invalid to import the valid "
                        "rows and quarantine the others.")
    code, out = run("import", "persons", bad, "--skip-invalid")
    assert code == 0 and "7 rows — 1 inserted, 0 updated, 0 unchanged, 6 quarantined" in out
    code, out = run("import", "persons", bad, "--skip-invalid")
    assert code == 0 and "was already imported on" in out and out.endswith("nothing changed")
    code, out = run("import", "persons", str(tmp_path / "persons_cp1258.csv"))
    assert code == 2 and out.startswith("Cannot import persons_cp1258.csv: the file is not UTF-8")
    target = tmp_path / "persons.parquet"
    code, out = run("export", "persons", "--format", "parquet", "--output", str(target))
    assert (code, out) == (0, f"Exported 1 rows of persons to {target}")


def test_pages_and_a_column_null_for_the_first_thousand_rows(
    people: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages after the last key read; a date NULL in the driver's whole first batch and set later
    (SQLite's ADBC driver types columns from its first 1,024 rows) is exported, not refused."""
    from ansinh.registry.models import Person

    with Session(people) as s:
        commune = s.scalars(select(Person.commune_code)).first()
        s.add_all(
            Person(
                full_name=f"Người Thử {i}",
                name_key=f"nguoi thu {i}",
                birth_date=date(1950, 1, 1),
                gender="male",
                commune_code=commune,
                death_date=date(2026, 10, 31) if i == 1_199 else None,
            )
            for i in range(1_200)
        )
        s.commit()
    monkeypatch.setattr(exporting, "PAGE_ROWS", 500)
    report = export_table(people, "persons", "parquet", tmp_path / "p.parquet", actor="test")
    table = pq.read_table(tmp_path / "p.parquet")
    assert report.rows == table.num_rows == 1_205
    assert table.column("id").to_pylist() == sorted(table.column("id").to_pylist())
    assert table.column("death_date").to_pylist()[-1] == date(2026, 10, 31)
