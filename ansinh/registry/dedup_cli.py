"""``ansinh dedup …``: find, list, merge and dismiss duplicate person records (một người nhiều sổ).

ansinh dedup find --min-score 50
ansinh dedup list --limit 20
ansinh dedup merge 17 42 --reason "CCCD checked at the counter"
ansinh dedup dismiss 7 --note "twins, birth certificates seen"
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ansinh.core.db import get_engine
from ansinh.core.text import mask_id
from ansinh.registry.dedup.matching import DEFAULT_MIN_SCORE

if TYPE_CHECKING:
    from ansinh.registry.dedup.candidates import PersonSummary

console = Console()

ActorOption = typer.Option(None, "--actor", help="Who decides (default: the logged-in user)")


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


def find(
    min_score: float = typer.Option(
        DEFAULT_MIN_SCORE, "--min-score", help="List pairs scoring at least this (0–100)"
    ),
) -> None:
    """Search all active persons for probable duplicates and replace the open candidate list."""
    from ansinh.registry.dedup import find_candidates

    with console.status("Searching for duplicates…") as status:
        report = find_candidates(get_engine(), min_score=min_score, progress=status.update)
    console.print(
        f"[green]{report.candidates}[/green] candidate pairs among {report.persons:,} persons "
        f"(score ≥ {report.min_score:g}); {report.replaced_open} open candidates replaced, "
        f"{report.not_reproposed} already decided pairs not proposed again"
    )
    table = Table("evidence", "pairs", title="Candidates by reason")
    for reason, count in report.counts_by_reason.items():
        table.add_row(reason, f"{count:,}")
    console.print(table)
    bands = ", ".join(f"{label}: {count:,}" for label, count in report.counts_by_band.items())
    console.print(f"By band: {bands or 'none'}")
    timing = ", ".join(f"{step} {sec:.1f} s" for step, sec in report.seconds.items())
    console.print(f"Elapsed {report.total_seconds:.1f} s ({timing})")


def list_(limit: int = typer.Option(50, "--limit", "-n", help="How many pairs, best first")) -> None:
    """Show the open candidate pairs, best score first, with personal IDs masked."""
    from ansinh.registry.dedup import list_candidates

    views = list_candidates(get_engine(), limit=limit)
    table = Table("#", "score", "band", "person A", "person B", "evidence", title="Open duplicate candidates")
    for view in views:
        table.add_row(
            str(view.id),
            f"{view.score:g}",
            view.band,
            _person_cell(view.a),
            _person_cell(view.b),
            "\n".join(view.reasons),
        )
    console.print(table)


def _person_cell(person: PersonSummary) -> str:
    return (
        f"{person.id} {person.full_name}\n"
        f"{person.birth_date:%d/%m/%Y} {person.gender} xã {person.commune_code}\n"
        f"ID {mask_id(person.personal_id) or '—'}  SI {person.si_number or '—'}"
    )


def merge(
    survivor: int = typer.Argument(..., help="Person id that stays"),
    duplicate: int = typer.Argument(..., help="Person id merged into the survivor"),
    reason: str = typer.Option(..., "--reason", help="The evidence that they are one person"),
    force: bool = typer.Option(False, "--force", help="Merge even if gender and birth date both differ"),
    actor: str | None = ActorOption,
) -> None:
    """Merge DUPLICATE into SURVIVOR: history moves, the duplicate is kept as merged, audited."""
    from ansinh.registry.dedup import DedupError, merge_persons

    try:
        result = merge_persons(
            get_engine(), survivor, duplicate, actor=_actor(actor), reason=reason, force=force
        )
    except DedupError as exc:
        console.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(1) from exc
    moved = ", ".join(f"{name} {n}" for name, n in result.moved.items()) or "nothing"
    console.print(f"[green]Merged[/green] {duplicate} into {survivor}. Moved: {moved}.")
    if result.filled:
        console.print(f"Filled on the survivor: {', '.join(result.filled)}")
    for overlap in result.overlaps:
        until = f"{overlap.to_date:%d/%m/%Y}" if overlap.to_date else "open"
        console.print(
            f"[yellow]Overlap[/yellow] {overlap.scheme}: spell {overlap.moved_participation_id} (moved) and "
            f"{overlap.survivor_participation_id} both cover {overlap.from_date:%d/%m/%Y}–{until}; close one."
        )


def dismiss(
    candidate_id: int = typer.Argument(..., help="Candidate number from `ansinh dedup list`"),
    note: str = typer.Option(..., "--note", help="Why the two records are different people"),
    actor: str | None = ActorOption,
) -> None:
    """Mark a candidate pair as two different people; it is not proposed again."""
    from ansinh.registry.dedup import DedupError, dismiss_candidate

    try:
        dismiss_candidate(get_engine(), candidate_id, _actor(actor), note)
    except DedupError as exc:
        console.print(f"[red]Refused:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"Candidate {candidate_id} dismissed.")


def register(app: typer.Typer) -> None:
    """Attach ``ansinh dedup`` to the ``ansinh`` app."""
    dedup_app = typer.Typer(help="Duplicate person records: find, review, merge", no_args_is_help=True)
    dedup_app.command("find")(find)
    dedup_app.command("list")(list_)
    dedup_app.command("merge")(merge)
    dedup_app.command("dismiss")(dismiss)
    app.add_typer(dedup_app, name="dedup")
