"""Reporting's job entry points (periodic): keep the analytics read models up to date with the history."""
from __future__ import annotations

from app.reporting import projection
from tasks.engine_jobs import _app_context


def catch_up() -> int:
    """Periodic job (the scheduler's leader, every minute): apply the settled history events not applied yet."""
    with _app_context():
        return projection.catch_up()
