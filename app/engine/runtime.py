"""Running instances: load, act, run engine steps, and save everything the step changed in one transaction.

Every operation that moves an instance goes through `advance()`:
  1. read the instance row (state + version) and restore the workflow with the definition's cached spec;
  2. snapshot what it waits on, run the action and the engine steps, snapshot again;
  3. in one transaction: `UPDATE process_instance ... WHERE id = ? AND version = ?`, then the open-task,
     timer, subscription and job rows that differ between the snapshots, then the history events;
  4. after commit, relay new jobs to RQ.
A zero-row update means someone else saved first: internal advances reload and retry; a user's stale
action gets `Conflict`.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError

from app.engine import instance_cache, snapshot
from app.engine.compaction import compact, pruned_completed
from app.engine.errors import Conflict, EngineError, InvalidState, NotFound, ProcessError
from app.engine.history import HistoryBuffer
from app.engine.models import (
    HistoryEvent,
    Incident,
    Job,
    MessageSubscription,
    OpenTask,
    OpenTaskOwner,
    ProcessDefinition,
    ProcessInstance,
    Timer,
)
from app.engine.spiff import SERIALIZER_VERSION, dump_state, load_spec, load_state, round_trips, script_engine
from app.engine.step_writes import StaleWrite, StepWrites
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import after_commit, unit_of_work

log = logging.getLogger(__name__)

PI = ProcessInstance.__table__
OT = OpenTask.__table__


class _Stale(Exception):
    pass


@dataclass(frozen=True)
class DefinitionInfo:
    id: int
    process_key: str
    name: str
    version: int
    spec_json: str
    reportable: tuple[str, ...]


_definitions: dict[tuple[str, int], DefinitionInfo] = {}


def definition_info(definition_id: int) -> DefinitionInfo:
    """Definitions never change once deployed, so each process caches them (and their parsed specs)."""
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], definition_id)
    info = _definitions.get(key)
    if info is None:
        row = db.session.get(ProcessDefinition, definition_id)
        if row is None:
            raise NotFound(f"process definition {definition_id} not found")
        info = DefinitionInfo(row.id, row.process_key, row.name, row.version, row.spec_json,
                              tuple(row.reportable_fields or ()))
        _definitions[key] = info
    return info


_engines: dict[float, Any] = {}


def engine_for_app():
    limit = current_app.config["SCRIPT_TIME_LIMIT_S"]
    if limit not in _engines:
        _engines[limit] = script_engine(limit)
    return _engines[limit]


@dataclass
class Loaded:
    id: int | None  # None until a new instance is inserted
    definition: DefinitionInfo
    version: int
    status: str
    business_key: str | None
    step_count: int
    workflow: Any
    college_id: int | None = None
    employer_id: int | None = None
    new_status: str | None = None
    new_definition: DefinitionInfo | None = None
    steps: int = 0
    pruned: dict | None = None  # tasks compaction removed in this step, for the history written with it
    cached: bool = False  # restored from this process's instance cache, not from the database

    def task(self, guid: str):
        task = snapshot.find_task(self.workflow, guid)
        if task is None and self.pruned:
            task = self.pruned.get(UUID(guid))
        return task


_LOAD_COLUMNS = (PI.c.id, PI.c.definition_id, PI.c.version, PI.c.status, PI.c.state, PI.c.business_key,
                 PI.c.step_count, PI.c.college_id, PI.c.employer_id)


# The hot path's statements are built once: SQLAlchemy then skips re-coercing and re-keying them per step.
_LOAD_BY_ID = select(*_LOAD_COLUMNS).where(PI.c.id == bindparam("instance_id"))
_LOAD_BY_TASK = (select(*_LOAD_COLUMNS).join(OT, OT.c.instance_id == PI.c.id)
                 .where(OT.c.task_guid == bindparam("task_guid")))


def load(instance_id: int | None = None, *, task_guid: str | None = None) -> Loaded:
    """Restore an instance, by its id or by the guid of one of its open tasks (one query either way)."""
    conn = db.session.connection()
    if task_guid is not None:
        row = conn.execute(_LOAD_BY_TASK, {"task_guid": task_guid}).one_or_none()
    else:
        row = conn.execute(_LOAD_BY_ID, {"instance_id": instance_id}).one_or_none()
    if row is None:
        if task_guid is not None:
            raise Conflict("this task is no longer open (completed or cancelled)")
        raise NotFound(f"process instance {instance_id} not found")
    definition = definition_info(row.definition_id)
    workflow = load_state(row.state, definition.spec_json, engine_for_app())
    return Loaded(row.id, definition, row.version, row.status, row.business_key, row.step_count, workflow,
                  row.college_id, row.employer_id)


def run_engine_steps(inst: Loaded) -> None:
    def count(_task):
        inst.steps += 1

    workflow = inst.workflow
    try:
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=count)
        # do_engine_steps refreshes timers last: a timer that fired there leaves a READY engine task.
        while workflow.get_next_task(state=TaskState.READY, manual=False) is not None:
            workflow.do_engine_steps(did_complete_task=count)
    except (SpiffWorkflowException, WorkflowException) as err:
        raise _process_error(err) from err


def _process_error(err: Exception) -> ProcessError:
    task_spec = getattr(err, "task_spec", None)
    spec_id = getattr(task_spec, "bpmn_id", None)
    cause = err.__cause__ or getattr(err, "exception", None)
    message = str(err)
    if cause is not None and str(cause) not in message:
        message = f"{message}: {cause}"
    return ProcessError(message, spec_id, "".join(traceback.format_exception(err, limit=5))[-4000:])


Action = Callable[[Loaded, HistoryBuffer], Any]


def advance(instance_id: int | None, action: Action, actor_id: int | None = None, *, internal: bool = False,
            expected_version: int | None = None, statuses: tuple[str, ...] = ("running",),
            task_guid: str | None = None, remote_addr: str | None = None) -> Any:
    """Load the instance (by id, or by one of its open tasks), run `action`, run engine steps and save it
    all in one transaction."""
    retries = current_app.config.get("ENGINE_RETRIES", 10)
    use_cache = True
    for attempt in range(retries):
        inst = None
        try:
            with unit_of_work():
                inst = _from_cache(instance_id, task_guid) if use_cache else None
                if inst is None:
                    inst = load(instance_id, task_guid=task_guid)
                instance_id = inst.id
                if expected_version is not None and inst.version != expected_version:
                    raise _Stale() if inst.cached else Conflict(
                        "the process has moved on since you opened it; reload and try again")
                if inst.status not in statuses:
                    raise _Stale() if inst.cached else InvalidState(
                        f"process instance {instance_id} is {inst.status}")
                events = HistoryBuffer(instance_id, inst.definition.process_key, inst.business_key, actor_id,
                                       inst.definition.reportable, _address(remote_addr))
                before = snapshot.take(inst.workflow)
                result = action(inst, events)
                if (inst.new_status or inst.status) == "running":
                    run_engine_steps(inst)
                after = snapshot.take(inst.workflow)
                inst.pruned = {t.id: t for t in compact(inst.workflow)}
                _cache_after_commit(inst, after)
                persist(inst, before, after, events, final=True)
                return result
        except Exception as err:
            if inst is not None and inst.cached and isinstance(err, (_Stale, EngineError, DBAPIError)):
                # Decided on this process's copy, which may be out of date: decide again from the database.
                use_cache = False
                continue
            if isinstance(err, _Stale):
                if expected_version is not None:
                    raise Conflict("the process has moved on since you opened it; reload and try again") from None
                continue
            if isinstance(err, ProcessError) and instance_id is not None:
                open_incident(instance_id, "process_error", err, task_guid=None, spec_id=err.spec_id)
            raise
    raise Conflict(f"process instance {instance_id} is too busy; try again")


def _address(remote_addr: str | None) -> str | None:
    return remote_addr[:64] if remote_addr else None


def _from_cache(instance_id: int | None, task_guid: str | None) -> Loaded | None:
    entry = instance_cache.take(instance_id, task_guid)
    if entry is None:
        return None
    return Loaded(entry.instance_id, entry.definition, entry.version, entry.status, entry.business_key,
                  entry.step_count, entry.workflow, entry.college_id, entry.employer_id, cached=True)


def _cache_after_commit(inst: Loaded, after: snapshot.Snapshot) -> None:
    """Keep the workflow for this instance's next step once the step is committed (and only then)."""
    status = inst.new_status or inst.status
    if after.completed or status not in ("running", "suspended") or instance_cache.size() <= 0:
        return

    def keep() -> None:  # inst.id and inst.version are final once the step has been written
        if round_trips(inst.workflow):
            instance_cache.put(instance_cache.Entry(
                inst.id, inst.new_definition or inst.definition, inst.version, status, inst.business_key,
                inst.step_count + inst.steps, inst.college_id, inst.employer_id, inst.workflow,
                tuple(after.human)))

    after_commit(keep)


def persist(inst: Loaded, before: snapshot.Snapshot, after: snapshot.Snapshot, events: HistoryBuffer,
            new_instance: dict | None = None, final: bool = False) -> None:
    """Write one step. `new_instance` holds the columns of an instance being created (then INSERTed).
    `final`: nothing else follows in this unit of work, so if it is the outermost one and has nothing of its
    own pending, the step's writes carry the COMMIT along (PostgreSQL: no extra round trip for it)."""
    session = db.session()
    conn = session.connection()
    now = utcnow()
    workflow = inst.workflow
    status = inst.new_status or inst.status
    if after.completed and status == "running":
        status = "completed"
        events.add("instance_completed", data=events.reportable_data(workflow.data))
    values = dict(state=dump_state(workflow), version=inst.version + (0 if new_instance else 1), status=status,
                  step_count=inst.step_count + inst.steps, updated_at=now)
    if status in ("completed", "terminated"):
        values["ended_at"] = now
    if inst.new_definition is not None:
        values["definition_id"] = inst.new_definition.id
    writes = StepWrites()
    if new_instance:
        # Every other row of the step needs the new id, so this one statement goes first, on its own.
        created = writes.insert(PI, [{**new_instance, **values}], returning=True)
        writes.flush(conn)
        inst.id = created.ids[0]
        events.instance_id = inst.id
        for row in events.rows:
            row["instance_id"] = inst.id
    else:
        writes.update(PI, values, expect_one=True, id=inst.id, version=inst.version)
    definition = inst.new_definition or inst.definition
    _sync_human_tasks(writes, inst, definition, before, after, events, now)
    _sync_timers(writes, inst, before, after, events, now)
    _sync_messages(writes, inst, before, after)
    _sync_jobs(writes, inst, before, after, events, now)
    writes.insert(HistoryEvent.__table__, events.rows)
    commit = (final and session.info.get("uow_depth") == 1
              and not (session.new or session.dirty or session.deleted))
    try:
        writes.flush(conn, commit=commit)
    except StaleWrite:
        raise _Stale() from None
    if not new_instance:
        inst.version += 1


def _sync_human_tasks(writes: StepWrites, inst, definition, before, after, events, now) -> None:
    removed = [g for g in before.human if g not in after.human]
    added = [g for g in after.human if g not in before.human]
    if removed:
        writes.delete(OT, task_guid=removed)
        for guid in removed:
            if not events.has("task_completed", guid):
                task = inst.task(guid)
                gone = task if task is not None else before.human[guid]
                kind = "task_completed" if task is not None and task.state == TaskState.COMPLETED else "task_cancelled"
                events.add(kind, gone)
    if not added:
        return
    rows, owners = [], []
    for guid in added:
        task = after.human[guid]
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
        users = _lane_owners(task)
        owners.extend((guid, u) for u in users)
        rows.append(dict(
            instance_id=inst.id, task_guid=guid, spec_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane, process_key=definition.process_key, process_name=definition.name,
            business_key=inst.business_key, assignee_id=None, addressed=bool(users), college_id=inst.college_id,
            employer_id=inst.employer_id, due_at=_due_at(task, props.get("dueDate"), now),
            form_schema=props.get("formJsonSchemaFilename"), form_ui_schema=props.get("formUiSchemaFilename"),
            instructions=(spec.extensions or {}).get("instructionsForEndUser"), created_at=now,
        ))
        events.add("task_ready", task, at=now)
    writes.insert(OT, rows)
    writes.insert_children(OpenTaskOwner.__table__, OT, "task_guid", "open_task_id",
                           [(guid, {"user_id": user}) for guid, user in owners])


def _lane_owners(task) -> list[int]:
    """Explicit owners from task data: {"lane_owners": {"<lane>": [user ids]}} (SpiffArena convention)."""
    mapping = task.data.get("lane_owners")
    if not mapping or task.task_spec.lane is None:
        return []
    owners = mapping.get(task.task_spec.lane) if isinstance(mapping, dict) else None
    if owners is None:
        return []
    if isinstance(owners, int):
        owners = [owners]
    if not isinstance(owners, list) or not all(isinstance(u, int) and not isinstance(u, bool) for u in owners):
        raise ProcessError(f"lane_owners[{task.task_spec.lane!r}] must be a list of user ids",
                           task.task_spec.bpmn_id)
    return sorted(set(owners))


def _due_at(task, expression: str | None, now: datetime) -> datetime | None:
    """dueDate property: an expression giving an ISO duration ("P7D", from now) or an ISO date/datetime."""
    if not expression:
        return None
    try:
        value = task.workflow.script_engine.evaluate(task, expression)
        if isinstance(value, datetime):
            return value if value.tzinfo else TimerEventDefinition.get_datetime(value.isoformat())
        value = str(value)
        if value.startswith("P"):
            return now + TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(value), now)
        if len(value) == 10:  # a date: due at the end of that day
            value += "T23:59:59"
        return TimerEventDefinition.get_datetime(value)
    except Exception as err:  # noqa: BLE001 - any failure here is a process modelling error
        raise ProcessError(f"dueDate {expression!r} of {task.task_spec.bpmn_id}: {err}",
                           task.task_spec.bpmn_id) from err


def _sync_timers(writes: StepWrites, inst, before, after, events, now) -> None:
    gone = [g for g, due in before.timers.items() if after.timers.get(g) != due]
    new = [g for g, due in after.timers.items() if before.timers.get(g) != due]
    if gone:
        writes.delete(Timer.__table__, instance_id=inst.id, task_guid=gone)
        for guid in gone:
            task = inst.task(guid)
            if task is not None and task.state != TaskState.CANCELLED and before.timers[guid] <= now:
                events.add("timer_fired", task, data={"due_at": before.timers[guid].isoformat()})
    if new:
        rows = []
        for guid in new:
            task = inst.task(guid)
            rows.append(dict(instance_id=inst.id, task_guid=guid, spec_id=task.task_spec.bpmn_id,
                             due_at=after.timers[guid]))
        writes.insert(Timer.__table__, rows)


def _sync_messages(writes: StepWrites, inst, before, after) -> None:
    table = MessageSubscription.__table__
    gone = [g for g in before.messages if g not in after.messages]
    if gone:
        writes.delete(table, instance_id=inst.id, task_guid=gone)
    new = [g for g in after.messages if g not in before.messages]
    if new:
        rows = []
        for guid in new:
            definition, task = after.messages[guid]
            correlation = {"instance_id": inst.id, "business_key": inst.business_key}
            for prop in definition.correlation_properties:
                if prop.name in task.data:
                    correlation[prop.name] = task.data[prop.name]
            rows.append(dict(instance_id=inst.id, task_guid=guid, message_name=definition.name,
                             correlation=correlation))
        writes.insert(table, rows)


def _sync_jobs(writes: StepWrites, inst, before, after, events, now) -> None:
    from app.engine import jobs  # jobs imports runtime

    table = Job.__table__
    gone = [g for g in before.services if g not in after.services]
    if gone:
        writes.update(table, dict(status="cancelled", updated_at=now), instance_id=inst.id, task_guid=gone,
                      status=("pending", "queued", "running"))
    new = [g for g in after.services if g not in before.services]
    if not new:
        return
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    rows = []
    for guid in new:
        task = after.services[guid]
        spec = task.task_spec
        try:
            params = {k: v["value"] for k, v in spec.evaluate_params(task).items()}
        except (SpiffWorkflowException, WorkflowException) as err:
            raise _process_error(err) from err
        rows.append(dict(
            instance_id=inst.id, task_guid=guid, spec_id=spec.bpmn_id, operation=spec.operation_name,
            params=params, idempotency_key=f"{inst.id}:{guid}", status="pending", attempts=0,
            max_attempts=(spec.retries + 1) if spec.retries is not None else max_attempts,
            next_attempt_at=now, last_error=None, result=None, created_at=now, updated_at=now,
        ))
        events.add("job_queued", task, data={"operation": spec.operation_name})
    inserted = writes.insert(table, rows, returning=True)
    after_commit(lambda: jobs.relay(inserted.ids))


def open_incident(instance_id: int, kind: str, err: Exception, task_guid: str | None = None,
                  spec_id: str | None = None, job_id: int | None = None, attempts: int = 0) -> int:
    """Record an incident in its own transaction (the failed step itself was rolled back)."""
    db.session.rollback()
    with unit_of_work() as session:
        row = session.execute(select(PI.c.process_key, PI.c.business_key).where(PI.c.id == instance_id)).one()
        incident_id = session.execute(insert(Incident.__table__).returning(Incident.__table__.c.id).values(
            instance_id=instance_id, job_id=job_id, task_guid=task_guid, spec_id=spec_id, kind=kind,
            message=str(err)[:2000], details=getattr(err, "details", None), attempts=attempts,
            opened_at=utcnow())).scalar_one()
        session.execute(insert(HistoryEvent.__table__).values(
            instance_id=instance_id, process_key=row.process_key, business_key=row.business_key,
            event_type="incident_opened", at=utcnow(), task_spec_id=spec_id, task_guid=task_guid,
            data={"incident_id": incident_id, "kind": kind, "message": str(err)[:500]}))
    return incident_id


# -- public operations ----------------------------------------------------------------------------

def start_instance(definition: ProcessDefinition | DefinitionInfo, data: dict | None = None,
                   business_key: str | None = None, started_by: int | None = None,
                   start_message: tuple[str, dict] | None = None, college_id: int | None = None,
                   employer_id: int | None = None, remote_addr: str | None = None) -> int:
    """Start an instance; `college_id` / `employer_id` scope who else may see it (counselors, employers)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    info = definition_info(definition.id)
    spec, subprocess_specs = load_spec(info.spec_json)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine_for_app())
    if data:
        workflow.get_next_task(state=TaskState.READY).data.update(data)
    with unit_of_work():
        now = utcnow()
        inst = Loaded(None, info, 1, "running", business_key, 0, workflow, college_id, employer_id)
        events = HistoryBuffer(None, info.process_key, business_key, started_by, info.reportable,
                               _address(remote_addr))
        events.add("instance_started", data=events.reportable_data(data or {}))
        run_engine_steps(inst)
        if start_message is not None:
            from app.engine.messages import catch_message

            catch_message(inst, events, *start_message)
            run_engine_steps(inst)
        columns = dict(definition_id=info.id, process_key=info.process_key, business_key=business_key,
                       serializer_version=SERIALIZER_VERSION, started_by=started_by, college_id=college_id,
                       employer_id=employer_id, created_at=now)
        after = snapshot.take(workflow)
        _cache_after_commit(inst, after)
        persist(inst, snapshot.Snapshot(), after, events, new_instance=columns, final=True)
    return inst.id


def complete_task(task_guid: str, data: dict | None, actor_id: int | None,
                  expected_version: int | None = None, remote_addr: str | None = None) -> None:
    """Complete a READY human task with the submitted data (already validated against its form).
    `remote_addr`: the user's client address, kept on the step's history events (and so in evidence)."""
    def action(inst: Loaded, events: HistoryBuffer):
        task = snapshot.find_task(inst.workflow, task_guid)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict("this task is no longer open (completed or cancelled)")
        if data:
            task.data.update(data)
        task.run()
        inst.steps += 1
        events.add("task_completed", task, data=events.reportable_data(task.data))

    try:
        advance(None, action, actor_id, expected_version=expected_version, task_guid=task_guid,
                remote_addr=remote_addr)
    except InvalidState:
        still_open = db.session.execute(select(OT.c.id).where(OT.c.task_guid == task_guid)).scalar()
        if still_open is None:  # the instance ended while the user was looking at the task
            raise Conflict("this task is no longer open (completed or cancelled)") from None
        raise


def _task_row(task_guid: str):
    row = db.session.execute(
        select(OT.c.id, OT.c.instance_id, OT.c.assignee_id, OT.c.lane, OT.c.spec_id, OT.c.name,
               OT.c.process_key, OT.c.business_key).where(OT.c.task_guid == task_guid)
    ).one_or_none()
    if row is None:
        raise NotFound("task not found or no longer open")
    return row


def _assign(task_guid: str, user_id: int | None, actor_id: int | None, event: str,
            expect_assignee: tuple[bool, int | None], remote_addr: str | None) -> None:
    with unit_of_work() as session:
        row = _task_row(task_guid)
        check, expected = expect_assignee
        stmt = update(OT).where(OT.c.task_guid == task_guid)
        if check:
            stmt = stmt.where(OT.c.assignee_id.is_(None) if expected is None else OT.c.assignee_id == expected)
        result = session.execute(stmt.values(assignee_id=user_id, claimed_at=utcnow() if user_id else None))
        if result.rowcount != 1:
            raise Conflict("the task was claimed by someone else")
        session.execute(insert(HistoryEvent.__table__).values(
            instance_id=row.instance_id, process_key=row.process_key, business_key=row.business_key,
            event_type=event, at=utcnow(), actor_id=actor_id, lane=row.lane, task_spec_id=row.spec_id,
            task_name=row.name, task_guid=task_guid,
            data={"assignee_id": user_id, "previous_assignee_id": row.assignee_id},
            remote_addr=_address(remote_addr)))


def claim_task(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    _assign(task_guid, user_id, user_id, "task_claimed", (True, None), remote_addr)


def unclaim_task(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    _assign(task_guid, None, user_id, "task_unclaimed", (True, user_id), remote_addr)


def reassign_task(task_guid: str, new_user_id: int | None, actor_id: int, remote_addr: str | None = None) -> None:
    _assign(task_guid, new_user_id, actor_id, "task_reassigned", (False, None), remote_addr)


def suspend(instance_id: int, actor_id: int | None = None, remote_addr: str | None = None) -> None:
    def action(inst, events):
        inst.new_status = "suspended"
        events.add("instance_suspended")

    advance(instance_id, action, actor_id, statuses=("running",), remote_addr=remote_addr)


def resume(instance_id: int, actor_id: int | None = None, remote_addr: str | None = None) -> None:
    from app.engine.jobs import apply_deferred_results

    def action(inst, events):
        inst.new_status = "running"
        events.add("instance_resumed")
        apply_deferred_results(inst, events)

    advance(instance_id, action, actor_id, statuses=("suspended",), remote_addr=remote_addr)


def terminate(instance_id: int, actor_id: int | None = None, reason: str | None = None,
              remote_addr: str | None = None) -> None:
    def action(inst, events):
        inst.workflow.cancel()
        inst.new_status = "terminated"
        events.add("instance_terminated", data={"reason": reason} if reason else None)

    advance(instance_id, action, actor_id, statuses=("running", "suspended"), remote_addr=remote_addr)


@dataclass
class InstanceState:
    id: int
    process_key: str
    process_name: str
    definition_version: int
    business_key: str | None
    status: str
    version: int
    data: dict
    ready_tasks: list[dict]
    completed_elements: list[str]
    active_elements: list[str]
    waiting_timers: list[dict]


def get_state(instance_id: int) -> InstanceState:
    inst = load(instance_id)
    wf = inst.workflow
    completed, active, ready = [], [], []
    for task in wf.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        if task.state == TaskState.COMPLETED:
            completed.append(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            active.append(bpmn_id)
            if task.state == TaskState.READY and task.task_spec.manual:
                ready.append({"guid": str(task.id), "spec_id": bpmn_id, "name": task.task_spec.bpmn_name,
                              "lane": task.task_spec.lane})
    completed.extend(pruned_completed(wf))
    timers = [{"task_guid": g, "due_at": d} for g, d in snapshot.take(wf).timers.items()]
    return InstanceState(inst.id, inst.definition.process_key, inst.definition.name, inst.definition.version,
                         inst.business_key, inst.status, inst.version, dict(wf.data if wf.completed else
                                                                              _last_data(wf)),
                         ready, sorted(set(completed)), sorted(set(active)), timers)


def _last_data(wf) -> dict:
    task = wf.last_task
    return dict(task.data) if task is not None else dict(wf.data)


def task_data(task_guid: str) -> dict:
    """The data a READY task's form starts from."""
    row = _task_row(task_guid)
    task = snapshot.find_task(load(row.instance_id).workflow, task_guid)
    if task is None:
        raise NotFound("task not found or no longer open")
    return dict(task.data)

