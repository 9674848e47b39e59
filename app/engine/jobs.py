"""Service-task jobs: outbox relay to RQ, execution with a lease, retries with backoff, incidents.

A job row is claimed by `UPDATE ... SET status='running', attempts=attempts+1 WHERE status IN
('pending','queued')`, so two deliveries of the same RQ message run it once; the claim holds a lease
(`next_attempt_at`) after which the scheduler's sweep hands a job whose worker died to another worker.
The operation gets a stable idempotency key (instance:task) so a re-run after a crash can skip a side
effect that already happened.
"""
from __future__ import annotations

import json
import logging
import traceback
from datetime import timedelta

from flask import current_app
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, or_, select, update

from app.engine.errors import EngineError, InvalidState, NotFound, ProcessError
from app.engine.history import HistoryBuffer
from app.engine.models import HistoryEvent, Incident, Job, ProcessInstance
from app.engine.registry import JobContext, load_operations
from app.engine.runtime import Loaded, advance, open_incident
from app.engine.snapshot import find_task
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import after_commit, unit_of_work

log = logging.getLogger(__name__)
JOB = Job.__table__
INC = Incident.__table__
RUN_JOB = "tasks.engine_jobs.run_job"


class _Fenced(EngineError):
    """Another delivery owns this job now (our lease ran out)."""


def relay(job_ids: list[int]) -> None:
    """Hand pending jobs to RQ. Safe to call twice for the same job: the claim decides who runs it."""
    if not job_ids:
        return
    from app.platform.queue import job_queue

    queue = job_queue()
    timeout = current_app.config["JOB_TIMEOUT_S"]
    with unit_of_work() as session:
        session.execute(update(JOB).where(JOB.c.id.in_(job_ids), JOB.c.status == "pending")
                        .values(status="queued", updated_at=utcnow()))
    for job_id in job_ids:
        queue.enqueue(RUN_JOB, job_id, job_timeout=timeout + 30, result_ttl=600, failure_ttl=86400)


def sweep(limit: int = 500) -> int:
    """Relay jobs left behind: never enqueued (crash after commit), due for retry, or whose worker died."""
    now = utcnow()
    stuck_queued = now - timedelta(seconds=2 * current_app.config["JOB_TIMEOUT_S"])
    with unit_of_work() as session:
        ids = session.execute(
            select(JOB.c.id).where(or_(
                and_(JOB.c.status.in_(("pending", "running")), JOB.c.next_attempt_at <= now),
                and_(JOB.c.status == "queued", JOB.c.updated_at <= stuck_queued),
            )).order_by(JOB.c.next_attempt_at).limit(limit)
        ).scalars().all()
        if ids:
            session.execute(update(JOB).where(JOB.c.id.in_(ids)).values(status="pending", updated_at=now))
    relay(list(ids))
    return len(ids)


def execute(job_id: int) -> str:
    """Run one job (called by the RQ worker). Returns what happened, for the worker's log."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["JOB_TIMEOUT_S"])
    with unit_of_work() as session:
        row = session.execute(
            update(JOB).where(JOB.c.id == job_id, JOB.c.status.in_(("pending", "queued")))
            .values(status="running", attempts=JOB.c.attempts + 1, next_attempt_at=now + lease, updated_at=now)
            .returning(JOB.c.attempts, JOB.c.operation, JOB.c.params, JOB.c.instance_id, JOB.c.task_guid,
                       JOB.c.idempotency_key, JOB.c.max_attempts)
        ).one_or_none()
        if row is None:
            return "skipped"
        business_key = session.execute(select(ProcessInstance.business_key)
                                       .where(ProcessInstance.id == row.instance_id)).scalar()
    fn = load_operations().get(row.operation)
    ctx = JobContext(job_id, row.instance_id, business_key, row.idempotency_key, row.attempts)
    try:
        if fn is None:
            raise LookupError(f"unknown service operation {row.operation!r}")
        result = fn(dict(row.params or {}), ctx)
        json.dumps(result)
    except Exception as err:  # noqa: BLE001 - any failure of an operation is retried or becomes an incident
        db.session.rollback()
        return _failed(job_id, row, err)
    try:
        _complete(job_id, row, result)
    except _Fenced:
        return "fenced"
    except ProcessError as err:
        with unit_of_work() as session:
            session.execute(update(JOB).where(JOB.c.id == job_id)
                            .values(status="incident", last_error=str(err)[:4000], updated_at=utcnow()))
        return "incident"
    return "succeeded"


def _complete(job_id: int, row, result) -> None:
    def action(inst: Loaded, events: HistoryBuffer):
        final = "deferred" if inst.status == "suspended" else "succeeded"
        done = db.session.execute(
            update(JOB).where(JOB.c.id == job_id, JOB.c.attempts == row.attempts, JOB.c.status == "running")
            .values(status=final, result=result, updated_at=utcnow())
        )
        if done.rowcount != 1:
            raise _Fenced()
        if final == "succeeded":
            _apply_result(inst, events, row.task_guid, result)

    try:
        advance(row.instance_id, action, internal=True, statuses=("running", "suspended"))
    except InvalidState:  # the instance ended meanwhile (terminated): nothing left to advance
        with unit_of_work() as session:
            session.execute(update(JOB).where(JOB.c.id == job_id, JOB.c.status == "running")
                            .values(status="cancelled", updated_at=utcnow()))


def _apply_result(inst: Loaded, events: HistoryBuffer, task_guid: str, result) -> None:
    task = find_task(inst.workflow, task_guid)
    if task is None or task.state != TaskState.STARTED:
        return  # cancelled meanwhile (an interrupting boundary event): the result has nowhere to go
    task.data[task.task_spec.result_variable] = result
    task.complete()
    inst.steps += 1
    events.add("job_succeeded", task, data={"operation": task.task_spec.operation_name})


def apply_deferred_results(inst: Loaded, events: HistoryBuffer) -> None:
    """On resume: results of jobs that finished while the instance was suspended."""
    rows = db.session.execute(select(JOB.c.id, JOB.c.task_guid, JOB.c.result)
                              .where(JOB.c.instance_id == inst.id, JOB.c.status == "deferred")).all()
    for row in rows:
        _apply_result(inst, events, row.task_guid, row.result)
        db.session.execute(update(JOB).where(JOB.c.id == row.id).values(status="succeeded", updated_at=utcnow()))


def _failed(job_id: int, row, err: Exception) -> str:
    now = utcnow()
    summary = "".join(traceback.format_exception(err, limit=8))[-4000:]
    message = f"{type(err).__name__}: {err}"[:2000]
    with unit_of_work() as session:
        instance = session.execute(select(ProcessInstance.process_key, ProcessInstance.business_key)
                                   .where(ProcessInstance.id == row.instance_id)).one()
        base = dict(instance_id=row.instance_id, process_key=instance.process_key,
                    business_key=instance.business_key, at=now, task_guid=row.task_guid)
        events = [dict(base, event_type="job_failed", data={"job_id": job_id, "attempt": row.attempts,
                                                            "error": message[:500]})]
        if row.attempts < row.max_attempts:
            delay = current_app.config["JOB_BACKOFF_BASE_S"] * 2 ** (row.attempts - 1)
            fenced = session.execute(
                update(JOB).where(JOB.c.id == job_id, JOB.c.attempts == row.attempts, JOB.c.status == "running")
                .values(status="pending", next_attempt_at=now + timedelta(seconds=delay), last_error=summary,
                        updated_at=now)).rowcount != 1
            outcome = "retry"
            events.append(dict(base, event_type="job_retried",
                               data={"job_id": job_id, "next_attempt_in_s": delay}))
        else:
            fenced = session.execute(
                update(JOB).where(JOB.c.id == job_id, JOB.c.attempts == row.attempts, JOB.c.status == "running")
                .values(status="incident", last_error=summary, updated_at=now)).rowcount != 1
            outcome = "incident"
        if fenced:
            session.rollback()
            return "fenced"
        session.execute(HistoryEvent.__table__.insert(), events)
    if outcome == "incident":
        failure = ProcessError(message, details=summary)
        open_incident(row.instance_id, "job_failed", failure, task_guid=row.task_guid, job_id=job_id,
                      attempts=row.attempts)
    return outcome


def retry_incident(incident_id: int, actor_id: int | None) -> None:
    """Once the cause is fixed: resolve the incident and run its job (or the failed step) again."""
    with unit_of_work() as session:
        inc = session.execute(select(INC).where(INC.c.id == incident_id)).one_or_none()
        if inc is None:
            raise NotFound(f"incident {incident_id} not found")
        if inc.resolved_at is not None:
            raise InvalidState("this incident is already resolved")
        now = utcnow()
        session.execute(update(INC).where(INC.c.id == incident_id).values(resolved_at=now, resolved_by=actor_id))
        instance = session.execute(select(ProcessInstance.process_key, ProcessInstance.business_key)
                                   .where(ProcessInstance.id == inc.instance_id)).one()
        session.execute(HistoryEvent.__table__.insert().values(
            instance_id=inc.instance_id, process_key=instance.process_key, business_key=instance.business_key,
            event_type="incident_resolved", at=now, actor_id=actor_id, task_guid=inc.task_guid,
            task_spec_id=inc.spec_id, data={"incident_id": incident_id}))
        if inc.job_id is not None:
            session.execute(update(JOB).where(JOB.c.id == inc.job_id)
                            .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now))
            after_commit(lambda: relay([inc.job_id]))
    if inc.job_id is None:
        advance(inc.instance_id, lambda inst, events: None, actor_id, internal=True)

