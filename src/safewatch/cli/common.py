"""What the ``safewatch`` commands share."""

from __future__ import annotations

import typer

from safewatch.core.config import Settings, get_settings


def settings_or_exit() -> Settings:
    """The hub's settings, or exit 2 saying what is wrong with them."""
    try:
        settings = get_settings()
    except ValueError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
