"""Reporting's job entry points: keep the analytics read models up to date with the history (periodic), make an
annual report (the document worker)."""
from __future__ import annotations

from app.reporting import projection
from tasks.engine_jobs import _app_context


def catch_up() -> int:
    """Periodic job (the scheduler's leader, every minute): apply the settled history events not applied yet."""
    with _app_context():
        return projection.catch_up()


def make_annual_report(run_id: int) -> str:
    """The document worker's job: one annual report run (figures, Word, PDF); safe to deliver twice."""
    from app.reporting import annual_runs

    with _app_context():
        return annual_runs.make(int(run_id))
