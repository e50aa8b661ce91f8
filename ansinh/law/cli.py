"""Law commands: ``ansinh law list``, ``ansinh law show PARAM [--at DATE]`` and ``ansinh calc NAME``.

``ansinh calc NAME`` reads one JSON object on stdin and prints one JSON object on stdout (exit 0); on
invalid input it prints ``{"error": {"code", "field", "message"}}`` and exits with status 2::

    echo '{"period": "2026-03", "salary": 10000000, "region": 1}' | ansinh calc contribution
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ansinh.law.calculators import CATALOG, CalculationError, calculate
from ansinh.law.calculators.base import jsonable
from ansinh.law.parameters import ParameterNotInForce, UnknownParameter, get_parameters

law_app = typer.Typer(help="Legislation as data: parameters and their history", no_args_is_help=True)


def _console() -> Console:
    """A console made at call time, so that the terminal width (COLUMNS) in force is used."""
    return Console()


def _show_value(value: Any) -> str:
    shown = jsonable(value)
    if isinstance(shown, dict | list):
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(shown)


@law_app.command("list")
def list_parameters() -> None:
    """List every parameter with its unit and the value in force today."""
    params = get_parameters()
    console = _console()
    table = Table(title="Parameters (tham số)")
    for column in ("name", "unit", "shape", "file", "description"):
        table.add_column(column)
    for name in params.names():
        p = params.parameter(name)
        table.add_row(name, p.unit, p.shape, p.source_file, p.description)
    console.print(table)


@law_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Parameter name, e.g. reference_level")],
    at: Annotated[
        str | None, typer.Option("--at", help="Date YYYY-MM-DD: show the value in force then")
    ] = None,
) -> None:
    """Print a parameter, its history and (with --at) the value in force on a date."""
    params = get_parameters()
    console = _console()
    try:
        parameter = params.parameter(name)
    except UnknownParameter as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"[bold]{parameter.name}[/bold] ({parameter.unit}, {parameter.shape}) — {parameter.source_file}"
    )
    console.print(parameter.description)
    if parameter.description_vi:
        console.print(f"[italic]{parameter.description_vi}[/italic]")
    if parameter.reference:
        console.print(f"Reference: {parameter.reference}")
    table = Table(title="History")
    for column in ("valid_from", "value", "legal_basis", "confidence", "note"):
        table.add_column(column)
    for entry in parameter.values:
        table.add_row(
            entry.valid_from.isoformat(),
            _show_value(entry.value),
            entry.legal_basis,
            entry.confidence,
            entry.note or "",
        )
    console.print(table)
    if at is not None:
        try:
            day = date.fromisoformat(at)
        except ValueError:
            console.print(f"[red]--at must be a date YYYY-MM-DD, got {at!r}[/red]")
            raise typer.Exit(2) from None
        try:
            entry = params.entry(name, day)
        except ParameterNotInForce as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
        console.print(
            f"In force on {day.isoformat()}: [bold]{_show_value(entry.value)}[/bold] "
            f"(from {entry.valid_from.isoformat()}; {entry.legal_basis})"
        )


def _emit(body: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")


def calc(
    name: Annotated[str, typer.Argument(help=f"Calculator: {', '.join(CATALOG)}")],
) -> None:
    """Run a calculator: one JSON object on stdin, one JSON object on stdout (exit 2 on bad input)."""
    text = sys.stdin.read()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        _emit(CalculationError("invalid_json", None, f"input is not valid JSON: {error}").to_json())
        raise typer.Exit(2) from None
    try:
        result = calculate(name, payload)
    except CalculationError as error:
        _emit(error.to_json())
        raise typer.Exit(2) from None
    _emit(result)


def register(app: typer.Typer) -> None:
    """Attach ``ansinh law …`` and ``ansinh calc NAME``."""
    app.add_typer(law_app, name="law")
    app.command("calc")(calc)
