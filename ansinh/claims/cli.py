"""Claims commands: ``ansinh claims ingest FILE|DIR``, ``review``, ``evaluate``, ``reference``.

ansinh claims reference services prices.xlsx
ansinh claims ingest var/claims/2026-10/
ansinh claims review --period 2026-10
ansinh claims review --year 2026
ansinh claims evaluate --labels var/synth-labels/claims_labels.csv
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import typer
from rich.console import Console
from rich.table import Table

from ansinh.core.db import get_engine

claims_app = typer.Typer(
    help="Health-insurance claims: intake, automatic review, evaluation", no_args_is_help=True
)


def _period(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    year, month = value.split("-")
    return int(year), int(month)


@claims_app.command("ingest")
def ingest(
    path: Path = typer.Argument(..., exists=True, help="A GIAMDINHHS XML file or a directory of them"),
    as_json: bool = typer.Option(False, "--json", help="Print the receipts as JSON"),
    skip_card_check: bool = typer.Option(False, help="Do not check cards against the registry at intake"),
    workers: int | None = typer.Option(None, help="Processes parsing files (default: one per core; 1: none)"),
) -> None:
    """Receive claim files: every file gets a receipt (accepted, duplicates, rejected with reasons)."""
    from ansinh.claims.intake import IntakeSession, claim_files, load_known

    engine = get_engine()
    console = Console()
    known = load_known(engine, check_cards=not skip_card_check)
    started = time.perf_counter()
    totals = {"files": 0, "episodes": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "file_errors": 0}
    receipts = []
    session = IntakeSession(engine, known, actor="cli")
    for receipt in session.ingest_files(claim_files(path), workers=workers):
        totals["files"] += 1
        for k in ("episodes", "accepted", "duplicates", "rejected"):
            totals[k] += getattr(receipt, k)
        totals["file_errors"] += receipt.error_code is not None
        if as_json:
            receipts.append(receipt.as_dict())
        elif receipt.error_code or receipt.rejected:
            console.print(f"{receipt.file_name}: {receipt.error_code or ''} {receipt.error_message or ''}")
            for pos, ma_lk, code, detail in receipt.rejections[:20]:
                console.print(f"  HOSO {pos} {ma_lk or ''}: {code} {detail}")
    session.close()
    if as_json:
        typer.echo(json.dumps({"receipts": receipts, "totals": totals}, ensure_ascii=False, default=str))
        return
    console.print(
        f"{totals['files']:,} files, {totals['episodes']:,} episodes: {totals['accepted']:,} accepted, "
        f"{totals['duplicates']:,} duplicates, {totals['rejected']:,} rejected, "
        f"{totals['file_errors']} file errors "
        f"({time.perf_counter() - started:.1f} s)"
    )


@claims_app.command("review")
def review(
    period: str | None = typer.Option(None, help="Settlement month YYYY-MM (default: every episode)"),
    year: int | None = typer.Option(
        None, help="A whole settlement year, month by month through a Parquet snapshot (bounded memory)"
    ),
    memory_limit: str = typer.Option("4GB", help="DuckDB's memory limit for --year"),
    backend: str = typer.Option("duckdb", help="duckdb (default) or pyspark"),
) -> None:
    """Run the automatic review: findings, outcomes and the reviewer queue."""
    from ansinh.claims.review import run_review, run_year_review

    if year is not None and period is not None:
        raise typer.BadParameter("give --period or --year, not both")
    started = time.perf_counter()
    if year is not None:
        result = run_year_review(get_engine(), year, memory_limit=memory_limit)
    else:
        result = run_review(get_engine(), _period(period), backend=backend)
    Console().print(
        f"{result.outcomes.num_rows:,} episodes reviewed, {result.findings.num_rows:,} findings: "
        + ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
        + f" ({time.perf_counter() - started:.1f} s)"
    )


@claims_app.command("evaluate")
def evaluate(
    labels: Path = typer.Option(Path("var/synth-labels/claims_labels.csv"), exists=True),
    period: str | None = typer.Option(None, help="Settlement month YYYY-MM"),
) -> None:
    """Precision and recall per rule against the synthetic labels, and the share settled automatically."""
    from ansinh.claims.evaluate import evaluate as score
    from ansinh.claims.review import run_review
    from ansinh.core.arrow_io import read_query

    engine = get_engine()
    result = run_review(engine, _period(period), on=date.today())
    episodes = read_query(
        engine,
        "SELECT id, facility_code, ma_lk FROM claim_episodes WHERE superseded = "
        + ("0" if engine.dialect.name == "sqlite" else "false"),
    )
    truth = pacsv.read_csv(
        labels,
        convert_options=pacsv.ConvertOptions(
            column_types={"ma_lk": "string", "facility_code": "string", "rule_code": "string"}
        ),
    )
    ev = score(episodes, truth, result.findings, result.outcomes)
    table = Table(title="Claims review against the planted labels")
    for col in ("rule", "planted", "found", "true pos.", "precision", "recall"):
        table.add_column(col, justify="right")
    for s in ev.scores:
        table.add_row(
            s.rule,
            f"{s.planted:,}",
            f"{s.found:,}",
            f"{s.true_positives:,}",
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"Settled without a reviewer: {ev.clean_settled_share:.1%} of clean claims "
        f"({ev.clean_settled:,} of {ev.clean_episodes:,}), {ev.settled_share:.1%} of all claims."
    )


@claims_app.command("reference")
def reference(
    kind: str = typer.Argument(
        ...,
        help="facilities, services, items, licences, icd, practitioners, allocations; "
        "published lists: price_list, drugs, supplies, tenders",
    ),
    path: Path = typer.Argument(..., exists=True),
) -> None:
    """Import reference data (CSV UTF-8 or .xlsx); nothing is written if a row is wrong."""
    from ansinh.claims.reference import import_reference_file
    from ansinh.registry.importing.base import ImportFileError

    console = Console()
    try:
        outcome = import_reference_file(get_engine(), kind, path, actor="cli")
    except ImportFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    errors, rows, written = outcome.errors, outcome.rows, outcome.written
    if errors:
        for e in errors[:50]:
            console.print(f"dòng (row) {e.row}, {e.column}: {e.message}", markup=False)
        console.print(
            f"[red]{len(errors)} lỗi, không nhập dòng nào ({len(errors)} errors; nothing imported)[/red]"
        )
        raise typer.Exit(1)
    console.print(
        f"[green]{rows:,} dòng {kind}, ghi mới hoặc thay đổi {written:,} "
        f"({rows:,} {kind} rows, {written:,} new or changed)[/green]"
    )


@claims_app.command("load-icd")
def load_icd_command() -> None:
    """Add the full ICD-10 (WHO 2019) and ICD-9-CM (QĐ 4440/QĐ-BYT) to the reference tables (the
    migration does it too; rows already there are kept)."""
    from ansinh.claims.icd import load_icd, load_icd9
    from ansinh.core.audit import record
    from ansinh.core.db import unit_of_work

    with unit_of_work(get_engine()) as session:
        conn = session.connection()
        icd10, icd9 = load_icd(conn), load_icd9(conn)
        record(
            session,
            actor="cli",
            action="claims_reference_load_icd",
            entity="claims_icd",
            entity_id="who-2019+qd-4440",
            detail={"icd10_added": icd10, "icd9_added": icd9},
        )
    Console().print(f"ICD-10: thêm (added) {icd10:,}; ICD-9-CM: thêm (added) {icd9:,}")


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")
