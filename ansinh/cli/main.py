"""The ``ansinh`` command. Each domain adds its own sub-commands here.

A command never shows a traceback (:class:`ErrorReporting`): an expected error — bad input
(``ValueError`` and its kin, a refused file, a record not found, a missing or unreadable file) or a
database failure (SQLAlchemy) — prints one line in Vietnamese and English naming what failed and exits
with 2 (input) or 1 (environment); anything unexpected prints a short line and the path of a log file
(``var/log/``, or the temporary directory) that holds the traceback, and exits with 1::

    $ ansinh ledger close --period 7115-60
    Lỗi / Error: ledger close: kỳ phải có dạng YYYY-MM … / a period is written YYYY-MM … (InvalidPeriod)
"""

from __future__ import annotations

import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup
from typer.exceptions import TyperException

from ansinh.core.db import get_engine
from ansinh.registry.importing.base import ImportFileError

#: Errors of the input (exit 2): the message is for the user as it stands.
INPUT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    LookupError,
    ImportFileError,
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    UnicodeError,
)
#: Errors of the environment (exit 1): the database, permissions, the disk.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)


def _log_dir() -> Path:
    for candidate in (Path("var") / "log", Path(tempfile.gettempdir())):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            probe = candidate / ".ansinh-write-test"
            probe.touch()
            probe.unlink()
            return candidate
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def write_crash_log(exc: BaseException, command: str) -> Path:
    """The traceback of ``exc`` in a new log file; returns its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = _log_dir() / f"ansinh-error-{stamp}.log"
    path.write_text(f"ansinh {command}\n" + "".join(traceback.format_exception(exc)), encoding="utf-8")
    return path.resolve()


def _summary(exc: BaseException) -> str:
    if isinstance(exc, SQLAlchemyError):
        # the driver's first line, without the SQL and parameters SQLAlchemy appends
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"cơ sở dữ liệu / database: {text}"
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = exc.strerror or str(exc)
        return f"tệp / file {exc.filename}: {reason}"
    return str(exc) or type(exc).__name__


def _words(ctx: typer.Context) -> list[str]:
    """The command line after ``ansinh`` (sub-command names first)."""
    protected: list[str] = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
    return [*protected, *ctx.args]


class ErrorReporting(TyperGroup):
    """The command group that turns exceptions into one line and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        words = _words(ctx)  # the group consumes them as it goes
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException, SystemExit, KeyboardInterrupt):
            raise
        except INPUT_ERRORS as exc:
            self._fail(words, exc, 2)
        except ENVIRONMENT_ERRORS as exc:
            self._fail(words, exc, 1)
        except Exception as exc:  # unexpected: the traceback goes to a file, not to the screen
            log = write_crash_log(exc, " ".join(words))
            typer.echo(
                f"Lỗi không mong đợi / Unexpected error ({type(exc).__name__}): {_summary(exc)[:200]}\n"
                f"Chi tiết ghi tại / details written to: {log}",
                err=True,
            )
            raise typer.Exit(1) from None

    @staticmethod
    def _fail(words: list[str], exc: BaseException, code: int) -> None:
        command = " ".join(w for w in words[:2] if not w.startswith("-")) or "ansinh"
        typer.echo(f"Lỗi / Error: {command}: {_summary(exc)} ({type(exc).__name__})", err=True)
        raise typer.Exit(code) from None


app = typer.Typer(
    cls=ErrorReporting,
    help="ansinh — provincial social security information system",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
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
