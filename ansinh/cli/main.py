"""The ``ansinh`` command. Each domain adds its own sub-commands here."""

from __future__ import annotations

import typer
from rich.console import Console

from ansinh.core.db import get_engine

app = typer.Typer(help="ansinh — provincial social security information system", no_args_is_help=True)
db_app = typer.Typer(help="Operational database", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema and load reference data (provinces)."""
    from ansinh.core.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    console.print(f"[green]Database ready[/green]: {engine.url.render_as_string(hide_password=True)}")


def _register_domains() -> None:
    """Attach each domain's commands (imported here so that ``ansinh --help`` stays fast)."""
    from ansinh.benefits.cli import register as register_benefits
    from ansinh.claims.cli import register as register_claims
    from ansinh.coverage.cli import register as register_coverage
    from ansinh.law.cli import register as register_law
    from ansinh.ledger.cli import register as register_ledger
    from ansinh.registry.cli import register as register_registry
    from ansinh.synth.cli import register as register_synth
    from ansinh.web.cli import register as register_web

    register_registry(app)
    register_synth(app)
    register_law(app)
    register_ledger(app)
    register_web(app)
    register_claims(app)
    register_benefits(app)
    register_coverage(app)


_register_domains()

if __name__ == "__main__":
    app()
