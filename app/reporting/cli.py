"""Reporting's commands."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.reporting import projection


@click.command("reporting-rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Rebuild the analytics read models (instance and task facts, their summary tables) from the whole history."""
    applied = projection.rebuild()
    click.echo(f"{applied} history events applied; position {projection.position()}")
