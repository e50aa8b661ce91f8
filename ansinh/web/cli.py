"""``ansinh serve``, ``ansinh users …`` and ``ansinh demo``: the web application's commands."""

from __future__ import annotations

import sys
import threading
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
users_app = typer.Typer(help="Staff accounts", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
) -> None:
    """Serve the staff web application and the API (uvicorn)."""
    import uvicorn

    from ansinh.web.app import create_app

    app = create_app()
    # The province dashboard counts whole tables (seconds on 1.3M people); compute it once in the
    # background so that the first person to open the home page does not wait for it.
    threading.Thread(target=_warm_dashboard, args=(app.state.engine,), daemon=True).start()
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")


def _warm_dashboard(engine: Any) -> None:
    from ansinh.core.db import unit_of_work
    from ansinh.core.scope import AreaScope
    from ansinh.core.settings import get_settings
    from ansinh.registry.queries import dashboard

    with unit_of_work(engine) as session:
        dashboard(session, AreaScope(province_code=get_settings().province_code))


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="Login name (letters, digits, '.', '_')"),
    role: str = typer.Option(
        ...,
        help="administrator, director, collection_officer, benefits_officer, "
        "claims_reviewer, inspector, commune_officer or viewer",
    ),
    area: str = typer.Option(..., help="Province code (2 digits) or commune code (5 digits)"),
    full_name: str = typer.Option("", help="Full name shown in the application"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
) -> None:
    """Create a staff account. Without --password-stdin a random password is generated and printed once."""
    from ansinh.core.auth import InvalidAccount, create_user
    from ansinh.core.db import get_engine, unit_of_work

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with unit_of_work(get_engine()) as session:
            user, password = create_user(
                session,
                username=username,
                role=role,
                area_code=area,
                full_name=full_name or None,
                password=password,
                actor="cli",
            )
    except InvalidAccount as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Account [bold]{user.username}[/bold] ({role}, area {area}) created.")
    if not password_stdin:
        console.print(f"Password (shown once): [bold]{password}[/bold]")


@users_app.command("list")
def users_list() -> None:
    """List the staff accounts."""
    from sqlalchemy import select

    from ansinh.core.auth_models import User
    from ansinh.core.db import get_engine, unit_of_work

    table = Table("username", "full name", "role", "area", "active", "last sign-in (UTC)")
    with unit_of_work(get_engine()) as session:
        for u in session.scalars(select(User).order_by(User.username)):
            last = u.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if u.last_sign_in_at else ""
            table.add_row(u.username, u.full_name, u.role, u.area_code, "yes" if u.active else "no", last)
    console.print(table)


def demo(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Create the accounts and stop (tests)"),
) -> None:
    """Summarise the database, (re)create one demo account per role with a random password, and serve."""
    from ansinh.core.db import get_engine
    from ansinh.core.settings import get_settings
    from ansinh.web.demo import create_demo_accounts, summary

    engine = get_engine()
    province = get_settings().province_code
    figures = summary(engine, province)
    overview = Table(title=f"ansinh — province {province}", show_header=False)
    for label, value in figures.items():
        overview.add_row(label, f"{value:,}".replace(",", "."))
    console.print(overview)

    accounts = create_demo_accounts(engine, province)
    url = f"http://{host}:{port}/"
    table = Table(title=f"Demo accounts — sign in at {url}")
    for column in ("username", "password", "role", "area"):
        table.add_column(column)
    for account in accounts:
        table.add_row(account.username, account.password, account.role, account.area)
    console.print(table)
    console.print("[dim]Passwords are random and change at every `ansinh demo`.[/dim]")
    if not no_serve:
        console.print(f"Serving on [bold]{url}[/bold] (Ctrl-C to stop)")
        serve(host=host, port=port)


def register(app: typer.Typer) -> None:
    """Attach ``serve``, ``users`` and ``demo`` to the ``ansinh`` command."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(users_app, name="users")
