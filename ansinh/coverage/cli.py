"""``ansinh coverage …`` and ``ansinh report coverage``: the indicator batch, denominators, outreach
lists and the leadership report.

    ansinh coverage compute --to 2026-10 --months 36
    ansinh coverage import-denominators nien_giam_2025.csv
    ansinh coverage estimate-denominators --years 2023-2026
    ansinh coverage show --area 42
    ansinh coverage outreach --commune 18631 -o danh_sach.xlsx
    ansinh report coverage --period 2026-06 --format pdf -o bao_cao.pdf
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ansinh.core.db import get_engine, unit_of_work
from ansinh.core.settings import get_settings
from ansinh.registry.importing.base import ImportFileError

coverage_app = typer.Typer(
    help="Coverage against targets: indicators, projections, outreach.", no_args_is_help=True
)
report_app = typer.Typer(help="Periodic reports.", no_args_is_help=True)

DbOption = typer.Option(None, "--db", help="Database URL (default: ANSINH_DATABASE_URL)")


def _engine(db: str | None):  # type: ignore[no-untyped-def]
    return get_engine(db) if db else get_engine()


@coverage_app.command("compute")
def compute_cmd(
    to: str | None = typer.Option(None, "--to", help="Last month, YYYY-MM (default: last month)"),
    months: int = typer.Option(36, min=1, max=240, help="Months back from --to"),
    full: bool = typer.Option(False, "--full", help="Re-read the whole ledger (not only new entries)"),
    db: str | None = DbOption,
) -> None:
    """Compute every indicator for every commune and the province, and the projections."""
    from ansinh.coverage.service import compute_and_write, default_window

    first, last = default_window(months, to)
    report = compute_and_write(_engine(db), get_settings().province_code, first, last, full=full)
    typer.echo(
        f"coverage {report.first}..{report.last}: {report.rows:,} figures, {report.projections} projections"
    )
    if report.missing:
        typer.echo("no data (table missing): " + ", ".join(report.missing))
    for step, seconds in report.timings.items():
        typer.echo(f"  {step:<12} {seconds:7.2f} s")


@coverage_app.command("import-denominators")
def import_denominators_cmd(
    path: Path,
    actor: str = typer.Option("cli", help="Who imports (audit trail)"),
    db: str | None = DbOption,
) -> None:
    """Import population, working-age population and labour force by area and year (CSV/.xlsx)."""
    from ansinh.coverage.denominators import import_denominators

    try:
        report = import_denominators(
            _engine(db), path, actor=actor, errors_path=path.with_suffix(".errors.csv")
        )
    except ImportFileError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None
    if report.already_imported_at is not None:
        typer.echo(f"already imported on {report.already_imported_at:%Y-%m-%d %H:%M}: nothing changed")
        return
    for e in report.errors:
        typer.echo(f"row {e.row}: {e.column} {e.value!r}: {e.reason}", err=True)
    if not report.written:
        typer.echo(f"nothing imported (errors in {report.errors_path})", err=True)
        raise typer.Exit(1)
    typer.echo(f"{report.inserted} inserted, {report.updated} updated, {report.unchanged} unchanged")


@coverage_app.command("estimate-denominators")
def estimate_cmd(
    years: str = typer.Option(..., help="Years, e.g. 2023-2026"),
    participation: float = typer.Option(
        0.76, help="Labour-force participation of the working-age population"
    ),
    db: str | None = DbOption,
) -> None:
    """Estimate the denominators from the registry (when no statistics table is available)."""
    from ansinh.core.arrow_io import bulk_write, read_query
    from ansinh.coverage import indicators as ind
    from ansinh.coverage.synth import estimate_denominators

    engine = _engine(db)
    province = get_settings().province_code
    lo, _, hi = years.partition("-")
    span = list(range(int(lo), int(hi or lo) + 1))
    persons = read_query(
        engine,
        "SELECT id, commune_code, gender, birth_date, COALESCE(death_date, '9999-12-30') AS death_date "
        "FROM persons WHERE merged_into_id IS NULL",
        ind.PERSONS,
    )
    communes = read_query(
        engine, f"SELECT code FROM communes WHERE province_code = '{province}' ORDER BY code"
    )
    codes = [str(c) for c in communes["code"].to_pylist()]
    source = f"registry estimate (labour-force participation {participation:.0%})"
    table = estimate_denominators(persons, codes, province, span, {c: participation for c in codes}, source)
    years_sql = ", ".join(str(y) for y in span)
    bulk_write(
        engine,
        {"coverage_denominators": table},
        before=[f"DELETE FROM coverage_denominators WHERE year IN ({years_sql})"],
    )
    typer.echo(f"{table.num_rows} denominator rows written ({source})")


@coverage_app.command("show")
def show_cmd(
    area: str | None = typer.Option(None, help="Area code (default: the province)"), db: str | None = DbOption
) -> None:
    """Headline indicators of an area against their targets."""
    from ansinh.coverage.queries import headline

    with unit_of_work(_engine(db)) as session:
        rows = headline(session, area or get_settings().province_code)
    for r in rows:
        value = f"{100 * r.value:6.2f}%" if r.value is not None else "     —"
        target = f"target {r.target_label}" if r.target_label else "no target"
        typer.echo(f"{r.indicator:<16} {r.period}  {value}  {target:<22} {r.status}")


@coverage_app.command("outreach")
def outreach_cmd(
    commune: str = typer.Option(..., help="Commune code"),
    output: Path = typer.Option(..., "-o", "--output", help=".xlsx file to write"),
    as_of: str | None = typer.Option(None, help="Date, YYYY-MM-DD (default today)"),
    db: str | None = DbOption,
) -> None:
    """Write a commune's outreach lists (.xlsx, one sheet per list) for the commune staff."""
    from sqlalchemy import select

    from ansinh.coverage.outreach import compute_lists, lists_xlsx
    from ansinh.registry.models import Commune

    engine = _engine(db)
    with unit_of_work(engine) as session:
        name = session.scalar(select(Commune.name).where(Commune.code == commune))
    if name is None:
        typer.echo("unknown commune", err=True)
        raise typer.Exit(1)
    lists = compute_lists(engine, commune, date.fromisoformat(as_of) if as_of else date.today())
    output.write_bytes(lists_xlsx(lists, name))
    for kind, lst in lists.items():
        typer.echo(f"{kind:<20} {len(lst.rows):>6}" + (" (no data)" if lst.no_data else ""))
    typer.echo(f"wrote {output}")


@report_app.command("coverage")
def report_cmd(
    period: str = typer.Option(..., help="Month of the report, YYYY-MM"),
    fmt: str = typer.Option("both", "--format", help="pdf, xlsx or both"),
    output: Path | None = typer.Option(None, "-o", "--output", help="File (or stem for both)"),
    locale: str = typer.Option("vi", help="vi or en"),
    db: str | None = DbOption,
) -> None:
    """The periodic coverage report for the provincial leadership (.xlsx and/or PDF)."""
    from ansinh.coverage.report import build_report, report_pdf, report_xlsx

    with unit_of_work(_engine(db)) as session:
        report = build_report(session, get_settings().province_code, period)
    stem = output.with_suffix("") if output else Path(f"bao-cao-bao-phu-{period}")
    written = []
    if fmt in ("pdf", "both"):
        path = output if output and fmt == "pdf" else stem.with_suffix(".pdf")
        path.write_bytes(report_pdf(report, locale))
        written.append(path)
    if fmt in ("xlsx", "both"):
        path = output if output and fmt == "xlsx" else stem.with_suffix(".xlsx")
        path.write_bytes(report_xlsx(report, locale))
        written.append(path)
    if not written:
        typer.echo("format must be pdf, xlsx or both", err=True)
        raise typer.Exit(2)
    for line in report.summary(locale):
        typer.echo(line)
    typer.echo("wrote " + ", ".join(str(p) for p in written))


def register(app: typer.Typer) -> None:
    app.add_typer(coverage_app, name="coverage")
    app.add_typer(report_app, name="report")
