"""RQ entry points for the engine. The worker process holds one app context (see app/worker.py)."""
from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_app_context

from app import create_app
from app.engine.jobs import execute
from app.engine.timers import fire_instances


def _app_context():
    if has_app_context():
        return nullcontext(current_app)
    return create_app().app_context()


def run_job(job_id: int) -> str:
    """Run one engine job (a service task's operation); safe to deliver twice."""
    with _app_context():
        return execute(job_id)


def fire_timers(instance_ids: list[int]) -> int:
    """A batch of instances whose timers are due (handed out by the scheduler); safe to deliver twice."""
    with _app_context():
        return fire_instances([int(i) for i in instance_ids])
