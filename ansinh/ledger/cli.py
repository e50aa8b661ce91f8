"""``ansinh ledger …``: close a month, rebuild, import bank statements and declarations, check the
balances, print the debt ratio, write statements.

    ansinh ledger close --period 2026-10
    ansinh ledger import-bank sao_ke_10_2026.csv
    ansinh ledger declare 3000123456 ke_khai.xlsx
    ansinh ledger check
    ansinh ledger debt-ratio --variant collectible/receivable_ytd
    ansinh ledger statement 3000123456 --format pdf -o statement.pdf
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from sqlalchemy import select

from ansinh.core.db import get_engine, unit_of_work
from ansinh.core.scope import AreaScope
from ansinh.core.settings import get_settings
from ansinh.registry.importing.base import ImportFileError, RowError

ledger_app = typer.Typer(
    help="Contributions ledger: dues, payments, arrears, debt ratio.", no_args_is_help=True
)


def _engine(db: str | None):  # type: ignore[no-untyped-def]
    return get_engine(db) if db else get_engine()


DbOption = typer.Option(None, "--db", help="Database URL (default: ANSINH_DATABASE_URL)")


@ledger_app.command("close")
def close_cmd(
    period: str = typer.Option(..., help="Month to close, YYYY-MM"),
    as_of: str | None = typer.Option(None, help="Close date (default: the month's last day), YYYY-MM-DD"),
    reprice_from: str | None = typer.Option(None, help="Reprice from this month (late declarations)"),
    db: str | None = DbOption,
) -> None:
    """Month-end close: dues, allocation of payments, arrears and surcharges."""
    from ansinh.ledger.close import close_month

    report = close_month(
        _engine(db), period, as_of=date.fromisoformat(as_of) if as_of else None, reprice_from=reprice_from
    )
    typer.echo(
        f"closed {report.first}..{report.last} as of {report.as_of}: {report.entries:,} entries, "
        f"{report.arrears_rows:,} open employer-months"
    )
    for step, seconds in report.timings.items():
        typer.echo(f"  {step:<22} {seconds:7.2f} s")


@ledger_app.command("rebuild")
def rebuild_cmd(
    first: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
    last: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
    db: str | None = DbOption,
) -> None:
    """Close every month in turn (initial load); on a posted ledger it posts nothing."""
    from ansinh.ledger.close import rebuild

    report = rebuild(_engine(db), first, last)
    typer.echo(f"rebuilt {first}..{last}: {report.entries:,} entries")
    for step, seconds in report.timings.items():
        typer.echo(f"  {step:<22} {seconds:7.2f} s")


@ledger_app.command("import-bank")
def import_bank_cmd(
    path: Path,
    skip_invalid: bool = typer.Option(False, help="Credit the good rows even if some are bad"),
    actor: str = typer.Option("cli", help="Who imports (audit trail)"),
    db: str | None = DbOption,
) -> None:
    """Import a bank statement (CSV or .xlsx): each transaction is credited once."""
    from ansinh.ledger.payments import import_statement

    try:
        report = import_statement(_engine(db), path, actor=actor, skip_invalid=skip_invalid)
    except ImportFileError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_errors(report.errors, report.error_count)
    if not report.written:
        typer.echo("nothing credited (fix the rows above, or use --skip-invalid)", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{report.credited} credited ({report.amount:,} đồng), {report.matched} matched, "
        f"{report.unmatched} to assign, {report.duplicates} already imported"
    )


@ledger_app.command("declare")
def declare_cmd(
    tax_code: str,
    path: Path,
    actor: str = typer.Option("cli", help="Who declares (audit trail)"),
    db: str | None = DbOption,
) -> None:
    """Apply an employer's declaration file (.xlsx or CSV, one row per employee)."""
    from ansinh.ledger.declarations import import_declarations

    with path.open("rb"):  # an unreadable file is named by the CLI's error handler
        pass
    try:
        with unit_of_work(_engine(db)) as session:
            report = import_declarations(session, tax_code, path, actor=actor, source="xlsx")
    except ImportFileError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_errors(report.errors, report.error_count)
    if report.error_count:
        raise typer.Exit(1)
    typer.echo(f"{report.applied} declared, {report.repeated} already declared")


def _print_errors(errors: list[RowError], count: int) -> None:
    for e in errors:
        typer.echo(f"row {e.row}: {e.column} {e.value!r}: {e.reason}", err=True)
    if count > len(errors):
        more = count - len(errors)
        typer.echo(f"… và {more:,} lỗi khác (and {more:,} more errors)", err=True)


@ledger_app.command("check")
def check_cmd(db: str | None = DbOption) -> None:
    """Prove Σ dues − Σ payments = Σ open balances for every employer."""
    from ansinh.ledger.queries import check

    with unit_of_work(_engine(db)) as session:
        result = check(session)
    typer.echo(
        f"{result.employers:,} employers: receivable {result.dues:,} − paid {result.payments:,} "
        f"= open {result.open_total:,}"
    )
    for problem in result.problems[:50]:
        typer.echo(problem, err=True)
    if not result.ok:
        raise typer.Exit(1)
    typer.echo("ledger balances")


@ledger_app.command("debt-ratio")
def debt_ratio_cmd(
    variant: str | None = typer.Option(None, help="numerator/denominator, e.g. late/receivable_year"),
    db: str | None = DbOption,
) -> None:
    """Debt ratio by month, with the variant used."""
    from ansinh.ledger.debt_ratio import Variant
    from ansinh.ledger.queries import dashboard

    chosen = Variant.parse(variant)
    with unit_of_work(_engine(db)) as session:
        rows = dashboard(session, chosen)
    typer.echo(f"debt ratio = {chosen.label} [{chosen.code}]")
    for r in rows:
        value = r.ratio.value
        shown = f"{100 * value:6.2f}%" if value is not None else "     —"
        typer.echo(
            f"{r.period}  {shown}  arrears {r.ratio.numerator:>18,}  / {r.ratio.denominator:>18,}"
            + ("  (projected)" if r.ratio.projected else "")
        )


@ledger_app.command("statement")
def statement_cmd(
    tax_code: str,
    fmt: str = typer.Option("pdf", "--format", help="pdf or xlsx"),
    output: Path = typer.Option(..., "-o", "--output"),
    db: str | None = DbOption,
) -> None:
    """Write an employer's statement (months, due, paid, open, surcharge)."""
    from ansinh.ledger.queries import employer_ledger
    from ansinh.ledger.statement import statement_pdf, statement_xlsx
    from ansinh.registry.models import Employer

    with unit_of_work(_engine(db)) as session:
        employer_id = session.scalar(select(Employer.id).where(Employer.tax_code == tax_code))
        if employer_id is None:
            typer.echo("unknown employer", err=True)
            raise typer.Exit(1)
        ledger = employer_ledger(session, AreaScope(get_settings().province_code), employer_id)
        data = statement_pdf(ledger) if fmt == "pdf" else statement_xlsx(ledger)
    output.write_bytes(data)
    typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
