"""The ``ansinh`` command prints errors, never tracebacks: expected errors are one line (Vietnamese and
English) naming what failed, exit 2 for bad input and 1 for the environment; unexpected ones print
the path of a log file that holds the traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ansinh.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"ANSINH_SECRET_KEY": "abcdefghijklmnopqrstuvwxyz123456"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = result.output
    assert "Traceback" not in output
    return result.exit_code, output


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "khong_co.csv"
    code, output = _run("ledger", "declare", "3000123456", str(missing), "--db", f"sqlite:///{tmp_path}/x.db")
    assert code == 2
    assert output.strip() == (
        f"Lỗi / Error: ledger declare: tệp / file {missing}: No such file or directory (FileNotFoundError)"
    )


def test_bad_period_for_a_ledger_command(tmp_path: Path) -> None:
    code, output = _run("ledger", "close", "--period", "7115-60", "--db", f"sqlite:///{tmp_path}/x.db")
    assert code == 2
    assert output == (
        "Lỗi / Error: ledger close: tháng phải từ 1 đến 12 / month must be 1–12, got 60 (ValueError)\n"
    )


def test_malformed_csv_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "ke_khai.csv"
    bad.write_bytes(b"\x00\x01\x02 not a table \xff\xfe\n;;;\n")
    code, output = _run("ledger", "declare", "3000123456", str(bad), "--db", f"sqlite:///{tmp_path}/x.db")
    assert code == 2
    assert output.startswith("refused: ") and output.count("\n") == 1


def test_database_error_is_one_line(tmp_path: Path) -> None:
    # an empty database file: no tables (OperationalError)
    code, output = _run("ledger", "check", "--db", f"sqlite:///{tmp_path}/empty.db")
    assert code == 1
    assert output.startswith("Lỗi / Error: ledger check: cơ sở dữ liệu / database: no such table")
    assert "SELECT" not in output  # the statement is not printed


def test_unexpected_error_goes_to_a_log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    boom = typer.Typer()

    @boom.command("now")
    def now() -> None:
        raise RuntimeError("the disk is haunted")

    app.add_typer(boom, name="boom-test")
    try:
        code, output = _run("boom-test", "now")
    finally:
        app.registered_groups = [g for g in app.registered_groups if g.name != "boom-test"]
    assert code == 1
    first, second = output.strip().splitlines()
    assert first == "Lỗi không mong đợi / Unexpected error (RuntimeError): the disk is haunted"
    log = Path(second.removeprefix("Chi tiết ghi tại / details written to: "))
    assert log.parent == tmp_path / "var" / "log"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: the disk is haunted" in text
