"""The job outbox: rows written with the step that needs them, handed to the queue after commit.

The engine does not know the queue: the application injects how a job id reaches a worker
(`configure(app, enqueue_job)`, called by the app factory with an RQ enqueuer). Relaying twice is harmless:
the worker's claim (`jobs.execute`) decides who runs a job.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from app.engine.models import Job, ProcessInstance
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
JOB = Job.__table__
EnqueueJob = Callable[[int], None]
EnqueueTimers = Callable[[list[int]], None]


@dataclass(frozen=True)
class EngineWiring:
    enqueue_job: EnqueueJob  # hands one engine job id to a worker (e.g. an RQ enqueue of the job entry point)
    enqueue_timers: EnqueueTimers | None = None  # hands a batch of instances with due timers to a worker


def configure(app: Flask, enqueue_job: EnqueueJob, enqueue_timers: EnqueueTimers | None = None) -> None:
    app.extensions["engine"] = EngineWiring(enqueue_job, enqueue_timers)


def timer_enqueuer() -> EnqueueTimers | None:
    """How a batch of due timers reaches a worker (None: the scheduler fires every timer itself)."""
    return _wiring().enqueue_timers


def _wiring() -> EngineWiring:
    wiring = current_app.extensions.get("engine")
    if wiring is None:
        raise RuntimeError("the engine is not configured: call app.engine.configure(app, enqueue_job=...)")
    return wiring


def real_job():
    """Jobs of test runs (ProcessInstance.is_test) never reach a worker: the tester gives their results."""
    return JOB.c.instance_id.not_in(select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True)))


def relay(job_ids: list[int]) -> None:
    """Mark pending jobs queued and hand them to the workers. A job the queue refuses (Redis down) goes back
    to pending, for the scheduler's sweep: the step that made it is committed and stays so."""
    if not job_ids:
        return
    with unit_of_work() as session:
        job_ids = session.execute(update(JOB).where(JOB.c.id.in_(job_ids), JOB.c.status == "pending", real_job())
                                  .values(status="queued", updated_at=utcnow()).returning(JOB.c.id)).scalars().all()
        session.commit()
    enqueue = _wiring().enqueue_job
    for job_id in job_ids:
        try:
            enqueue(job_id)
        except Exception:  # noqa: BLE001 - the queue is unreachable: the sweep relays the job later
            log.warning("job %s could not be queued; the sweep will retry", job_id, exc_info=True)
            with unit_of_work() as session:
                session.execute(update(JOB).where(JOB.c.id == job_id, JOB.c.status == "queued")
                                .values(status="pending", updated_at=utcnow()))
                session.commit()


def sweep(limit: int = 500) -> int:
    """Relay jobs left behind: never enqueued (crash after commit), due for retry, or whose worker stopped
    renewing its lease (died). Returns how many were relayed."""
    now = utcnow()
    stuck_queued = now - timedelta(seconds=2 * current_app.config["JOB_TIMEOUT_S"])
    with unit_of_work() as session:
        ids = session.execute(
            select(JOB.c.id).where(or_(
                and_(JOB.c.status.in_(("pending", "running")), JOB.c.next_attempt_at <= now),
                and_(JOB.c.status == "queued", JOB.c.updated_at <= stuck_queued),
            ), real_job()).order_by(JOB.c.next_attempt_at).limit(limit)
        ).scalars().all()
        if ids:
            session.execute(update(JOB).where(JOB.c.id.in_(ids)).values(status="pending", updated_at=now))
        session.commit()
    relay(list(ids))
    return len(ids)
