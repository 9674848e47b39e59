"""Account commands: `flask --app app accounts deactivate|activate USER_NAME`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

accounts = AppGroup("accounts", help="Deactivate or reactivate accounts.")


@accounts.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Deactivate an account: it can no longer sign in, and its sessions end at once."""
    from app.identity import services

    if not services.set_active(username, False):
        raise click.ClickException(f"no account {username!r}")
    click.echo(f"{username}: deactivated, sessions ended")


@accounts.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Let a deactivated account sign in again."""
    from app.identity import services

    if not services.set_active(username, True):
        raise click.ClickException(f"no account {username!r}")
    click.echo(f"{username}: active")
