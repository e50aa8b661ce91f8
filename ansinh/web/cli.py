"""Commands of this module are being written; register() attaches them to the ``ansinh`` app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this module's commands (none yet)."""
