"""``ansinh benefits …``: draft the received cases, run the monthly payroll, write the bank files,
confirm a run, import a returned-payments file, stop the benefits of the deceased, print the
non-cash share and the one-time withdrawals by commune.

    ansinh benefits draft
    ansinh benefits payroll --period 2026-11
    ansinh benefits pay-cases
    ansinh benefits files 13 -o var/payroll-2026-11/
    ansinh benefits confirm 13 --paid-on 2026-11-10
    ansinh benefits returns tra_ve_11_2026.csv
    ansinh benefits deaths
    ansinh benefits recover 12
    ansinh benefits noncash --from 2026-01 --to 2026-11
    ansinh benefits deadlines
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ansinh.core.db import get_engine, unit_of_work
from ansinh.law.periods import Period

benefits_app = typer.Typer(
    help="Benefits: cases, decisions, monthly payroll, payment channels.", no_args_is_help=True
)
DbOption = typer.Option(None, "--db", help="Database URL (default: ANSINH_DATABASE_URL)")
ACTOR = "cli"


def _engine(db: str | None):  # type: ignore[no-untyped-def]
    return get_engine(db) if db else get_engine()


@benefits_app.command("draft")
def draft_cmd(
    decided: str | None = typer.Option(None, help="Decision date (default: today), YYYY-MM-DD"),
    db: str | None = DbOption,
) -> None:
    """Draft every received or returned case: history, eligibility, amount, explanation."""
    import time

    from ansinh.benefits.cases import draft_cases

    start = time.perf_counter()
    report = draft_cases(_engine(db), actor=ACTOR, decided=date.fromisoformat(decided) if decided else None)
    typer.echo(
        f"drafted {report.drafted:,} cases in {time.perf_counter() - start:.2f} s: "
        f"{report.eligible:,} eligible, "
        f"{report.total_amount:,} đồng; skipped (changed meanwhile) {report.skipped:,}"
    )
    for code, n in sorted(report.blocked.items()):
        typer.echo(f"  blocked: {code:<28} {n:,}")


@benefits_app.command("payroll")
def payroll_cmd(period: str = typer.Option(..., help="Month, YYYY-MM"), db: str | None = DbOption) -> None:
    """Run the monthly payroll of recurring benefits (running it twice changes nothing)."""
    import time

    from ansinh.benefits.payroll import run_monthly

    try:
        p = Period.parse(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    start = time.perf_counter()
    report = run_monthly(_engine(db), p, actor=ACTOR)
    took = time.perf_counter() - start
    if not report.created:
        typer.echo(f"{report.key} already run (run {report.run_id}): nothing changed")
        return
    typer.echo(
        f"run {report.run_id} {report.key}: {report.payments:,} payments, {report.total_amount:,} đồng, "
        f"non-cash {report.noncash_payments:,} ({took:.2f} s)"
    )
    for reason, n in sorted(report.exceptions.items()):
        typer.echo(f"  exception: {reason:<22} {n:,}")


@benefits_app.command("pay-cases")
def pay_cases_cmd(
    day: str | None = typer.Option(None, "--on", help="Payment date (default: today), YYYY-MM-DD"),
    db: str | None = DbOption,
) -> None:
    """Put every approved one-off case (lump sums, sickness, maternity, funeral…) in the day's run."""
    from ansinh.benefits.payroll import pay_approved_cases

    with unit_of_work(_engine(db)) as session:
        r = pay_approved_cases(session, date.fromisoformat(day) if day else date.today(), actor=ACTOR)
    typer.echo(f"run {r.run_id} {r.key}: {r.payments:,} payments, {r.total_amount:,} đồng")
    for reason, n in sorted(r.exceptions.items()):
        typer.echo(f"  exception: {reason:<22} {n:,}")


@benefits_app.command("recover")
def recover_cmd(
    overpayment_id: int,
    day: str | None = typer.Option(None, "--on", help="Date recovered (default: today), YYYY-MM-DD"),
    db: str | None = DbOption,
) -> None:
    """Record that an overpayment (paid after death) was recovered."""
    from ansinh.benefits.payroll import PaymentError, recover

    try:
        with unit_of_work(_engine(db)) as session:
            recover(session, overpayment_id, on=date.fromisoformat(day) if day else date.today())
    except PaymentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"overpayment {overpayment_id} recovered")


@benefits_app.command("files")
def files_cmd(
    run_id: int,
    output: Path = typer.Option(Path("."), "-o", "--output", help="Folder for the CSV files"),
    db: str | None = DbOption,
) -> None:
    """Write one CSV per bank, wallet or post-office point for a run's pending payments."""
    from ansinh.benefits.payroll import payment_files

    output.mkdir(parents=True, exist_ok=True)
    with unit_of_work(_engine(db)) as session:
        files = payment_files(session, run_id)
    for name, text in files.items():
        path = output / f"run{run_id}-{name}.csv"
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")


@benefits_app.command("confirm")
def confirm_cmd(
    run_id: int,
    paid_on: str = typer.Option(..., help="Date the bank paid, YYYY-MM-DD"),
    db: str | None = DbOption,
) -> None:
    """The bank acknowledged a run: its pending payments become paid."""
    from ansinh.benefits.payroll import PaymentError, confirm_run

    try:
        with unit_of_work(_engine(db)) as session:
            n = confirm_run(session, run_id, date.fromisoformat(paid_on), actor="cli")
    except PaymentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"run {run_id}: {n:,} payments paid")


@benefits_app.command("returns")
def returns_cmd(file: Path, db: str | None = DbOption) -> None:
    """Import a returned/failed payments CSV (reference,status,reason): all rows or none."""
    from ansinh.benefits.payroll import PaymentError, import_returns

    try:
        with unit_of_work(_engine(db)) as session:
            report = import_returns(session, file.read_bytes(), file.name, actor=ACTOR)
    except PaymentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    if report.already:
        typer.echo(f"{file.name} was imported before: nothing changed")
    else:
        typer.echo(f"{report.applied:,} of {report.rows:,} payments marked returned or failed")


@benefits_app.command("deaths")
def deaths_cmd(db: str | None = DbOption) -> None:
    """Stop the benefits of beneficiaries recorded as dead; open the overpayments to recover."""
    from ansinh.benefits.payroll import stop_on_death

    with unit_of_work(_engine(db)) as session:
        r = stop_on_death(session, today=date.today())
    typer.echo(
        f"stopped {r.stopped:,}, cancelled {r.cancelled:,} pending payments, "
        f"{r.overpayments:,} overpayments ({r.overpaid_amount:,} đồng) to recover"
    )


@benefits_app.command("noncash")
def noncash_cmd(
    first: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
    last: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
    db: str | None = DbOption,
) -> None:
    """Non-cash share of payments and one-time withdrawals, by month (province)."""
    from ansinh.benefits.indicators import noncash_share_by_commune, one_time_withdrawals_by_commune

    engine = _engine(db)
    try:
        share = noncash_share_by_commune(engine, first, last).to_pylist()
        one_time = one_time_withdrawals_by_commune(engine, first, last).to_pylist()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    months: dict[str, list[int]] = {}
    for r in share:
        m = months.setdefault(r["period"], [0, 0, 0])
        m[0] += r["payments"]
        m[1] += r["noncash_payments"]
    for r in one_time:
        months.setdefault(r["period"], [0, 0, 0])[2] += r["cases"]
    typer.echo(f"{'month':<8} {'payments':>10} {'non-cash':>10} {'share':>7} {'one-time':>9}")
    for period, (n, k, o) in sorted(months.items()):
        share_text = f"{100 * k / n:6.1f}%" if n else "     —"
        typer.echo(f"{period:<8} {n:>10,} {k:>10,} {share_text:>7} {o:>9,}")


@benefits_app.command("deadlines")
def deadlines_cmd(db: str | None = DbOption) -> None:
    """Recompute the deadlines of open cases (after a year's holiday list is published)."""
    from ansinh.benefits.cases import recompute_due_dates

    typer.echo(f"{recompute_due_dates(_engine(db)):,} open cases rescheduled")


def register(app: typer.Typer) -> None:
    app.add_typer(benefits_app, name="benefits")
