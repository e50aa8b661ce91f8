"""``ansinh import KIND FILE`` and ``ansinh export TABLE``: parse arguments, call one service, show
what it did.

    ansinh import areas communes_42.csv
    ansinh import persons xa_18631.xlsx --skip-invalid
    ansinh export persons --format parquet --output persons.parquet

Exit codes: 0 done (also "already imported"); 1 rows rejected (nothing written); 2 file unusable.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ansinh.core.db import get_engine

if TYPE_CHECKING:
    from ansinh.registry.importing.base import RowError

console = Console()
err_console = Console(stderr=True)
SHOWN_ERRORS = 50

import_app = typer.Typer(help="Import registry data from CSV (UTF-8) or .xlsx; Vietnamese headings accepted",
                         no_args_is_help=True)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no login name (containers)
        return "cli:unknown"


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar, one task per stage, fed by the services' progress callbacks."""
    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)  # type: ignore[arg-type]

        yield update


def _run_import(kind: str, path: Path, skip_invalid: bool, errors: Path | None,
                quarantine: Path | None) -> None:
    from ansinh.registry.importing import ImportFileError, import_file

    try:
        with progress_bar() as update:
            report = import_file(get_engine(), kind, path, actor=cli_actor(), skip_invalid=skip_invalid,
                                 errors_path=errors, quarantine_path=quarantine, progress=update)
    except ImportFileError as exc:
        err_console.print(f"[red]Cannot import {path.name}[/red]: {exc}")
        raise typer.Exit(2) from None
    if report.already_imported_at is not None:
        console.print(f"{path.name} was already imported on {report.already_imported_at:%d/%m/%Y %H:%M}"
                      " (same file): nothing changed")
        return
    if report.ignored_headings:
        console.print(f"[yellow]Ignored columns[/yellow]: {', '.join(report.ignored_headings)}")
    if report.errors:
        _print_errors(report.errors)
    if report.rejected:
        err_console.print(f"[red]Nothing imported[/red]: {report.error_count} error(s) in "
                          f"{report.rows_with_errors} of {report.rows_total} rows. "
                          f"Error table written to {report.errors_path}. Fix the file, or use "
                          "--skip-invalid to import the valid rows and quarantine the others.")
        raise typer.Exit(1)
    console.print(f"[green]Imported {kind}[/green] from {path.name}: {report.rows_total} rows — "
                  f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged, "
                  f"{report.quarantined} quarantined")
    if report.quarantine_path:
        console.print(f"Rows not imported were written to {report.quarantine_path}")


def _print_errors(errors: list[RowError]) -> None:
    table = Table("row", "column", "value", "reason", title="Rows with errors", title_justify="left")
    for e in errors[:SHOWN_ERRORS]:
        table.add_row(str(e.row), e.column, e.value, e.reason)
    console.print(table)
    if len(errors) > SHOWN_ERRORS:
        console.print(f"… and {len(errors) - SHOWN_ERRORS} more (all of them are in the file)")


def _import_command(kind: str, summary: str) -> None:
    def command(
        path: Path = typer.Argument(..., help="CSV (UTF-8) or .xlsx file", exists=True, dir_okay=False),
        skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                          help="Import valid rows; quarantine the others"),
        errors: Path | None = typer.Option(None, "--errors", help="Error table (default FILE.errors.csv)"),
        quarantine: Path | None = typer.Option(None, "--quarantine",
                                               help="Quarantine file (default FILE.quarantine.csv)"),
    ) -> None:
        _run_import(kind, path, skip_invalid, errors, quarantine)

    command.__doc__ = summary
    import_app.command(kind)(command)


_import_command("areas", "Communes from the official list (Mã xã, Tên xã, Cấp, Mã tỉnh, …).")
_import_command("persons", "Persons (Số định danh, Mã số BHXH, Họ và tên, Ngày sinh, Giới tính, Mã xã, …).")
_import_command("households", "Households, one row per member (Mã hộ, Mã xã, member, relation, poverty).")
_import_command("employers", "Employers (Mã số thuế, Tên đơn vị, Loại hình, Mã xã, Ngành nghề, Vùng, …).")
_import_command("participation", "Participation spells (person, Loại hình, Từ ngày, Đến ngày, …).")


def export_command(
    table: str = typer.Argument(..., help="Table to export, e.g. persons, employers, participations"),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, xlsx or parquet"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (default TABLE.FORMAT)"),
) -> None:
    """Export a registry table (streamed; the export is audited)."""
    from ansinh.registry.exporting import ExportError, export_table

    try:
        with progress_bar() as update:
            report = export_table(get_engine(), table, fmt.lower(), output, actor=cli_actor(),
                                  progress=lambda done, total: update("exporting", done, total))
    except ExportError as exc:
        err_console.print(f"[red]Cannot export[/red]: {exc}")
        raise typer.Exit(2) from None
    console.print(f"[green]Exported[/green] {report.rows} rows of {report.table} to {report.path}")


def register(app: typer.Typer) -> None:
    """Attach ``import`` (sub-commands per kind) and ``export`` to the ``ansinh`` app."""
    app.add_typer(import_app, name="import")
    app.command("export")(export_command)
