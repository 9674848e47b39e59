"""Commands of the recruiting area."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.interviews import queue_services, queue_store


@click.command("queue-rebuild")
@click.argument("fair_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def queue_rebuild(fair_id: int) -> None:
    """Make a fair's queues in Redis again from the database (normally done by itself when Redis lost them)."""
    queue_store.forget(fair_id)
    try:
        epoch = queue_services.rebuild(fair_id)
    except queue_services.NotFound:
        raise click.ClickException(f"no fair {fair_id}") from None
    click.echo(f"fair {fair_id}: queues rebuilt (generation {epoch})")
