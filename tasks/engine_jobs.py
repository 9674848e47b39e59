"""RQ entry points for the engine. The worker process holds one app context (see app/worker.py)."""
from __future__ import annotations

from flask import current_app, has_app_context


def _app_context():
    if has_app_context():
        from contextlib import nullcontext

        return nullcontext(current_app)
    from app import create_app

    return create_app().app_context()


def run_job(job_id: int) -> str:
    """Run one engine job (a service task's operation); safe to deliver twice."""
    from app.engine.jobs import execute

    with _app_context():
        return execute(job_id)
