"""Service-task jobs: execution with a renewed lease, retries with backoff, incidents.

A job row is claimed by `UPDATE ... SET status='running', attempts=attempts+1 WHERE status IN
('pending','queued')`, so two deliveries of the same queue message run it once. The claim holds a short
lease (`next_attempt_at`, JOB_LEASE_S) that a thread of the worker renews while the operation runs: a live
worker keeps its job however long it takes (up to JOB_TIMEOUT_S), a dead one stops renewing and the
scheduler's sweep hands the job to another worker within seconds. The attempt number fences the result:
only the attempt that holds the claim may apply it. The operation gets a stable idempotency key
(instance:task) so that a re-run after a crash can skip a side effect that already happened.
"""
from __future__ import annotations

import json
import logging
import threading
import traceback
from datetime import timedelta

from flask import current_app
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from app.engine import outbox
from app.engine.errors import EngineError, InvalidState, NotFound, PermanentFailure, ProcessError
from app.engine.history import HistoryBuffer
from app.engine.models import HistoryEvent, Incident, Job, ProcessInstance
from app.engine.registry import JobContext, load_operations
from app.engine.runtime import Loaded, advance, open_incident, read
from app.engine.snapshot import find_task
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import after_commit, unit_of_work

log = logging.getLogger(__name__)
JOB = Job.__table__
INC = Incident.__table__


class _Fenced(EngineError):
    """Another delivery owns this job now (our lease ran out)."""


class Lease:
    """Renews a claimed job's lease every quarter of its length while the operation runs (a thread of its
    own, so a long operation in the worker's main thread does not stop it). Stops when the job is no longer
    held by this attempt (the sweep gave it to another worker)."""

    def __init__(self, engine: Engine, job_id: int, attempt: int, seconds: float):
        self.engine, self.job_id, self.attempt, self.seconds = engine, job_id, attempt, seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-job-{job_id}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            try:
                with self.engine.begin() as conn:
                    held = conn.execute(
                        update(JOB).where(JOB.c.id == self.job_id, JOB.c.attempts == self.attempt,
                                          JOB.c.status == "running")
                        .values(next_attempt_at=utcnow() + timedelta(seconds=self.seconds))).rowcount
            except Exception:  # noqa: BLE001 - a missed renewal is retried at the next beat; the lease is 4 beats
                log.warning("job %s: lease renewal failed", self.job_id, exc_info=True)
                continue
            if held != 1:
                self.lost = True
                log.warning("job %s: attempt %s lost its lease to another worker", self.job_id, self.attempt)
                return


def execute(job_id: int) -> str:
    """Run one job (called by a worker). Returns what happened, for the worker's log."""
    now = utcnow()
    lease_s = current_app.config["JOB_LEASE_S"]
    with unit_of_work() as session:
        row = session.execute(
            update(JOB).where(JOB.c.id == job_id, JOB.c.status.in_(("pending", "queued")), outbox.real_job())
            .values(status="running", attempts=JOB.c.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_s),
                    updated_at=now)
            .returning(JOB.c.attempts, JOB.c.operation, JOB.c.params, JOB.c.instance_id, JOB.c.task_guid,
                       JOB.c.spec_id, JOB.c.idempotency_key, JOB.c.max_attempts)
        ).one_or_none()
        if row is None:
            return "skipped"
        business_key = session.execute(select(ProcessInstance.business_key)
                                       .where(ProcessInstance.id == row.instance_id)).scalar()
        session.commit()
    with Lease(db.engine, job_id, row.attempts, lease_s):  # from the claim on (importing operations may be slow)
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
            session.commit()
        return "incident"
    return "succeeded"


def complete_test_job(job_id: int, result, actor_id: int | None) -> None:
    """A test run's service task gets the result the tester gives instead of running its operation."""
    json.dumps(result)
    with unit_of_work() as session:
        row = session.execute(
            update(JOB).where(JOB.c.id == job_id, JOB.c.status.in_(("pending", "queued")),
                              JOB.c.instance_id.in_(select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True))))
            .values(status="running", attempts=JOB.c.attempts + 1, updated_at=utcnow())
            .returning(JOB.c.attempts, JOB.c.instance_id, JOB.c.task_guid)).one_or_none()
        session.commit()
    if row is None:
        raise InvalidState(f"job {job_id} is not a waiting job of a test run")
    _complete(job_id, row, result)


def _complete(job_id: int, row, result) -> None:
    """Apply the result in the instance's step; the job row changes in the same transaction, fenced by the
    attempt (a step that loses that race is read and run again, and then finds the job taken)."""
    held = (select(JOB.c.id).where(JOB.c.id == job_id, JOB.c.attempts == row.attempts, JOB.c.status == "running"))

    def action(inst: Loaded, events: HistoryBuffer):
        if read(held).first() is None:
            raise _Fenced()
        final = "deferred" if inst.status == "suspended" else "succeeded"
        inst.writes.update(JOB, dict(status=final, result=result, updated_at=utcnow()), expect_one=True,
                           id=job_id, attempts=row.attempts, status="running")
        if final == "succeeded":
            _apply_result(inst, events, row.task_guid, result)

    try:
        advance(row.instance_id, action, statuses=("running", "suspended"))
    except InvalidState:  # the instance ended meanwhile (terminated): nothing left to advance
        with unit_of_work() as session:
            session.execute(update(JOB).where(JOB.c.id == job_id, JOB.c.status == "running")
                            .values(status="cancelled", updated_at=utcnow()))
            session.commit()


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
    rows = read(select(JOB.c.id, JOB.c.task_guid, JOB.c.result)
                .where(JOB.c.instance_id == inst.id, JOB.c.status == "deferred")).all()
    for row in rows:
        _apply_result(inst, events, row.task_guid, row.result)
        inst.writes.update(JOB, dict(status="succeeded", updated_at=utcnow()), expect_one=True, id=row.id,
                           status="deferred")


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
        if row.attempts < row.max_attempts and not isinstance(err, PermanentFailure):
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
        session.commit()
    if outcome == "incident":
        failure = ProcessError(message, details=summary)
        open_incident(row.instance_id, "job_failed", failure, task_guid=row.task_guid, spec_id=row.spec_id,
                      job_id=job_id, attempts=row.attempts)
    return outcome


def _close_incident(session, incident_id: int, actor_id: int | None, data: dict):
    """Mark an open incident resolved, with its history event; returns its row."""
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
        task_spec_id=inc.spec_id, data={"incident_id": incident_id, **data}))
    return inc


def retry_incident(incident_id: int, actor_id: int | None) -> None:
    """Once the cause is fixed: resolve the incident and run its job (or the failed step) again."""
    with unit_of_work() as session:
        inc = _close_incident(session, incident_id, actor_id, {})
        if inc.job_id is not None:
            now = utcnow()
            session.execute(update(JOB).where(JOB.c.id == inc.job_id)
                            .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now))
            after_commit(lambda: outbox.relay([inc.job_id]))
        session.commit()
    if inc.job_id is None:
        advance(inc.instance_id, lambda inst, events: None, actor_id)


def resolve_incident(incident_id: int, actor_id: int | None, note: str | None = None) -> None:
    """Mark an incident handled without running anything again (fixed by hand outside the process, or the
    instance is being terminated); its job stays failed."""
    with unit_of_work() as session:
        _close_incident(session, incident_id, actor_id, {"retried": False, **({"note": note[:500]} if note else {})})
        session.commit()
