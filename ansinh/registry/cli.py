"""Registry commands: ``ansinh import …``, ``ansinh export …``, ``ansinh dedup …``, ``ansinh person …``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from ansinh.registry.dedup_cli import register as register_dedup
    from ansinh.registry.io_cli import register as register_io

    register_io(app)
    register_dedup(app)
