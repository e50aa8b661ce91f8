"""``ansinh synth``: generate the synthetic province into the configured database."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ansinh.core.db import get_engine
from ansinh.synth.context import SynthConfig

console = Console()


def synth(
    province: str = typer.Option("42", help="Province code (QĐ 19/2025)"),
    people: int = typer.Option(100_000, min=1_000, help="Number of person records"),
    months: int = typer.Option(36, min=1, max=240, help="Months of history"),
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same province"),
    until: str = typer.Option("2026-10", help="Last generated month (YYYY-MM)"),
    replace: bool = typer.Option(False, "--replace", help="Replace the registry already in the database"),
    labels_dir: Path = typer.Option(Path("var/synth-labels"), help="Where to write the label files"),
    parts: str = typer.Option(
        "all",
        help="Extensions to generate after the registry, comma-separated (e.g. 'ledger,claims'), "
        "'all', or 'registry' for none",
    ),
) -> None:
    """Generate a realistic synthetic province (households, persons, employers, participation)."""
    from ansinh.synth.province import generate
    from ansinh.synth.summary import summarise
    from ansinh.synth.writer import ProvinceExists, write_labels, write_province

    config = SynthConfig(province=province, people=people, months=months, seed=seed, until=until)
    engine = get_engine()
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("generating", total=None)
        chosen = None if parts == "all" else [p.strip() for p in parts.split(",") if p.strip() != "registry"]
        ctx = generate(
            config, progress=lambda step: bar.update(task, description=f"generating {step}"), parts=chosen
        )
        generated = time.perf_counter()
        try:
            counts = write_province(
                engine, ctx, replace=replace, progress=lambda step: bar.update(task, description=step)
            )
        except ProvinceExists as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    written = time.perf_counter()
    label_paths = write_labels(ctx, labels_dir)
    _print_summary(config, counts, summarise(ctx), generated - started, written - generated, label_paths)


def _print_summary(
    config: SynthConfig,
    counts: dict[str, int],
    figures: dict[str, float | int],
    gen_s: float,
    write_s: float,
    labels: list[Path],
) -> None:
    table = Table(title=f"Synthetic province: {config.describe()}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"At {config.until}: population {figures['population']:,}, "
        f"labour force ≈ {figures['labour_force']:,}; "
        f"compulsory SI {figures['si']:,}, voluntary SI {figures['vsi']:,} "
        f"({figures['si_share_of_labour_force']:.1%} of the labour force), UI {figures['ui']:,}, "
        f"HI {figures['hi']:,} ({figures['hi_share_of_population']:.1%} of the population); "
        f"{figures['duplicates_planted']:,} planted duplicate records."
    )
    console.print(
        f"Generated in {gen_s:.1f} s, written in {write_s:.1f} s. Labels: "
        + ", ".join(str(p) for p in labels)
    )


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
