"""CLI commands of core: identifier checks and the working-day calendar."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach core's commands to the main CLI."""
