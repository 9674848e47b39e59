"""Running instances: read, run the process code with no transaction open, write the step in one short one.

Every operation that moves an instance goes through `advance()`:
  1. read: take the workflow from this process's instance cache, or read the instance row (state +
     version) outside any transaction and restore it with the definition's cached spec;
  2. run: snapshot what it waits on, run the action and the engine steps, snapshot again, and build the
     step's write plan (open tasks, timers, subscriptions, jobs, history, the state itself). All process
     code (scripts, conditions, timer and due-date expressions, service parameters) runs here, while no
     transaction is open: a slow script holds no lock, not even SQLite's database-wide write lock;
  3. write: one short transaction, `UPDATE process_instance ... WHERE id = ? AND version = ?` first, then
     the plan (step_plan.py, step_writes.py);
  4. after commit: relay new jobs to the workers, keep the workflow in the instance cache.
A zero-row update means someone else saved first: the step is read and run again from the database (at
most ENGINE_RETRIES times); a user's stale action (`expected_version`) gets `Conflict` instead.

Any failure of the process code becomes a `ProcessError` (an incident on the instance); nothing of the
step is written. A step that failed is not run again: when it ran on a cached copy, one indexed read of the
instance's version decides whether that copy was current (then the failure stands) or out of date (then
the step is read and run from the database).

Called inside a caller's open unit of work (a service that writes its own rows and starts or moves an
instance with them), the step reads, runs and writes inside that transaction instead, so that everything
commits or rolls back together; a concurrent save is then a `Conflict` for the caller (no retry inside a
transaction that has already failed).
"""
from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from app.engine import instance_cache, outbox, snapshot
from app.engine.compaction import compact, pruned_completed
from app.engine.errors import Conflict, EngineError, InvalidState, NotFound, ProcessError
from app.engine import history
from app.engine.evaluator import Limits, limits_from
from app.engine.history import HistoryBuffer
from app.engine.models import (
    HistoryEvent, Incident, InstanceScope, OpenTask, ProcessDefinition, ProcessInstance, TaskSubmission,
)
from app.engine.scope import ScopeValue, scope_rows
from app.engine.spiff import SERIALIZER_VERSION, dump_state, load_spec, load_state, round_trips, script_engine
from app.engine.step_plan import NEW_INSTANCE, bind_new_instance, plan_step
from app.engine.step_writes import StaleWrite, StepWrites
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import after_commit, unit_of_work

PI = ProcessInstance.__table__
OT = OpenTask.__table__
STALE_MESSAGE = "the process has moved on since you opened it; reload and try again"
TASK_GONE_MESSAGE = "this task is no longer open (completed or cancelled)"


class _Stale(Exception):
    """The step's version check failed: someone else saved the instance first."""


@dataclass(frozen=True)
class DefinitionInfo:
    id: int
    process_key: str
    name: str
    version: int
    spec_json: str
    reportable: tuple[str, ...]
    summary_fields: tuple[tuple[str, str], ...] = ()


_definitions: dict[tuple[str, int], DefinitionInfo] = {}


def definition_info(definition_id: int) -> DefinitionInfo:
    """Definitions never change once deployed, so each process caches them (and their parsed specs)."""
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], definition_id)
    info = _definitions.get(key)
    if info is None:
        row = read(select(ProcessDefinition.__table__).where(ProcessDefinition.id == definition_id)).one_or_none()
        if row is None:
            raise NotFound(f"process definition {definition_id} not found")
        info = DefinitionInfo(row.id, row.process_key, row.name, row.version, row.spec_json,
                              tuple(row.reportable_fields or ()),
                              tuple(tuple(f) for f in row.summary_fields or ()))
        _definitions[key] = info
    return info


_engines: dict[Limits, Any] = {}


def engine_for_app():
    limits = limits_from(current_app.config)
    if limits not in _engines:
        _engines[limits] = script_engine(limits)
    return _engines[limits]


@dataclass
class Loaded:
    id: int | None  # None until a new instance is inserted
    definition: DefinitionInfo
    version: int
    status: str
    business_key: str | None
    step_count: int
    workflow: Any
    scope: dict[str, str] | None = None  # key -> value; None until read (`scope_values`)
    new_status: str | None = None
    new_definition: DefinitionInfo | None = None
    steps: int = 0
    pruned: dict | None = None  # tasks compaction removed in this step, for the history written with it
    cached: bool = False  # restored from this process's instance cache, not from the database
    # Rows the action itself changes besides the workflow (a job's result, a migrated task's process
    # name); written in the step's transaction, before its own rows.
    writes: StepWrites = field(default_factory=StepWrites)

    def scope_values(self) -> dict[str, str]:
        """The instance's scope (copied onto each new open task), read once when a step first needs it."""
        if self.scope is None:
            self.scope = dict(read(_SCOPE, {"instance_id": self.id}).all())
        return self.scope

    def task(self, guid: str):
        task = snapshot.find_task(self.workflow, guid)
        if task is None and self.pruned:
            task = self.pruned.get(UUID(guid))
        return task


Action = Callable[[Loaded, HistoryBuffer], Any]


# -- reading -------------------------------------------------------------------------------------------

def in_callers_transaction() -> bool:
    """True inside a caller's unit of work: the step then joins that transaction."""
    return db.session().info.get("uow_depth", 0) > 0


@contextmanager
def _reader() -> Iterator[Connection]:
    """A connection for reads. Inside a caller's unit of work: the session's own (it must see what the caller
    wrote). Otherwise one in autocommit mode: no transaction, so no lock held (SQLite) and no BEGIN/COMMIT
    round trips (PostgreSQL)."""
    if in_callers_transaction():
        yield db.session.connection()
        return
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield conn
    finally:
        conn.close()


def read(statement, params: dict | None = None):
    """Run one read and return its buffered result (see `_reader`)."""
    with _reader() as conn:
        return conn.execute(statement, params or {}).freeze()()


_LOAD_COLUMNS = (PI.c.id, PI.c.definition_id, PI.c.version, PI.c.status, PI.c.state, PI.c.business_key,
                 PI.c.step_count)

# The hot path's statements are built once: SQLAlchemy then skips re-coercing and re-keying them per step.
_LOAD_BY_ID = select(*_LOAD_COLUMNS).where(PI.c.id == bindparam("instance_id"))
_LOAD_BY_TASK = (select(*_LOAD_COLUMNS).join(OT, OT.c.instance_id == PI.c.id)
                 .where(OT.c.task_guid == bindparam("task_guid")))
_VERSION = select(PI.c.version, PI.c.status).where(PI.c.id == bindparam("instance_id"))
_SCOPE = select(InstanceScope.key, InstanceScope.value).where(InstanceScope.instance_id == bindparam("instance_id"))


def load(instance_id: int | None = None, *, task_guid: str | None = None) -> Loaded:
    """Restore an instance, by its id or by the guid of one of its open tasks (one query either way)."""
    if task_guid is not None:
        row = read(_LOAD_BY_TASK, {"task_guid": task_guid}).one_or_none()
    else:
        row = read(_LOAD_BY_ID, {"instance_id": instance_id}).one_or_none()
    if row is None:
        if task_guid is not None:
            raise Conflict(TASK_GONE_MESSAGE)
        raise NotFound(f"process instance {instance_id} not found")
    return loaded(row)


def loaded(row) -> Loaded:
    """An instance restored from its row (the columns of _LOAD_COLUMNS)."""
    definition = definition_info(row.definition_id)
    with process_code():
        workflow = load_state(row.state, definition.spec_json, engine_for_app())
    return Loaded(row.id, definition, row.version, row.status, row.business_key, row.step_count, workflow)


# -- running the process code --------------------------------------------------------------------------

@contextmanager
def process_code(task=None) -> Iterator[None]:
    """Whatever SpiffWorkflow or the process's own code raises (WorkflowException, TypeError from a bad
    multi-instance collection, NameError from a script, data that cannot be serialized...) is a
    ProcessError: an incident on the instance, never a server error."""
    try:
        yield
    except EngineError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure of process code is the process's, reported as such
        raise process_error(err, task) from err


def process_error(err: Exception, task=None) -> ProcessError:
    task_spec = getattr(err, "task_spec", None) or getattr(_failing_task(err) or task, "task_spec", None)
    spec_id = getattr(task_spec, "bpmn_id", None)
    cause = err.__cause__ or getattr(err, "exception", None)
    message = str(err) or type(err).__name__
    if not isinstance(err, SpiffWorkflowException):
        message = f"{type(err).__name__}: {message}"
    if cause is not None and str(cause) not in message:
        message = f"{message}: {cause}"
    if spec_id and spec_id not in message:
        message = f"{spec_id}: {message}"
    return ProcessError(message, spec_id, "".join(traceback.format_exception(err, limit=5))[-4000:])


def _failing_task(err: Exception):
    """The innermost task SpiffWorkflow was working on when `err` was raised (its task-spec methods take
    the task as `my_task`), so that a plain TypeError still names the element it came from."""
    found = None
    for frame, _line in traceback.walk_tb(err.__traceback__):
        candidate = frame.f_locals.get("my_task")
        if isinstance(candidate, Task):
            found = candidate
    return found


def run_engine_steps(inst: Loaded) -> None:
    """Run every ready engine task (scripts, gateways, events) until the workflow waits; at most
    ENGINE_MAX_STEPS of them in one advance, so a loop or a recursive call activity stops with an incident
    instead of running (and growing) forever."""
    limit = current_app.config["ENGINE_MAX_STEPS"]

    def will_run(task) -> None:
        if inst.steps >= limit:
            raise ProcessError(f"stopped after {limit} engine steps in one go (ENGINE_MAX_STEPS): the process "
                               f"loops without waiting, or calls itself", getattr(task.task_spec, "bpmn_id", None))

    def ran(_task) -> None:
        inst.steps += 1

    workflow = inst.workflow
    with process_code():
        workflow.refresh_timers()
        workflow.do_engine_steps(will_complete_task=will_run, did_complete_task=ran)
        # do_engine_steps refreshes timers last: a timer that fired there leaves a READY engine task.
        while workflow.get_next_task(state=TaskState.READY, manual=False) is not None:
            workflow.do_engine_steps(will_complete_task=will_run, did_complete_task=ran)


@dataclass
class Step:
    """One step, computed and ready to write."""
    inst: Loaded
    writes: StepWrites
    after: snapshot.Snapshot
    new_jobs: Any  # the step_writes Operation inserting new job rows (their ids come back at write time)
    result: Any = None
    new: bool = False  # the step creates the instance (its row is the plan's first operation)


def run_step(inst: Loaded, action: Action, events: HistoryBuffer, *, new_instance: dict | None = None,
             before: snapshot.Snapshot | None = None) -> Step:
    """Run the action and the engine steps, and build the write plan; touches no database."""
    before = snapshot.take(inst.workflow) if before is None else before
    with process_code():
        result = action(inst, events)
    if (inst.new_status or inst.status) == "running":
        run_engine_steps(inst)
    with process_code():
        after = snapshot.take(inst.workflow)
        inst.pruned = {t.id: t for t in compact(inst.workflow)}
        writes, new_jobs = plan_step(inst, before, after, events, new_instance=new_instance,
                                     max_attempts=current_app.config["JOB_MAX_ATTEMPTS"])
    return Step(inst, writes, after, new_jobs, result, new=new_instance is not None)



# -- writing -------------------------------------------------------------------------------------------

def write_step(step: Step) -> None:
    """Write the plan in one short transaction (the caller's, if one is open); then relay the new jobs and
    keep the workflow for the instance's next step. Raises _Stale when someone else saved first."""
    inst = step.inst
    session = db.session()
    nested = in_callers_transaction()
    with unit_of_work() as uow:
        conn = session.connection()
        ops = step.writes
        if step.new:
            # Every other row of the step needs the new id, so the instance row goes first, on its own.
            created = ops.ops.pop(0)
            head = StepWrites()
            head.ops.append(created)
            head.flush(conn)
            inst.id = created.ids[0]
            bind_new_instance(ops, inst.id)
        events = [row for op in ops.ops if op.table is HistoryEvent.__table__ for row in op.rows]
        # A step that is the whole unit of work carries its COMMIT in the same round trip (PostgreSQL).
        commit = not nested and not (session.new or session.dirty or session.deleted)
        try:
            ops.flush(conn, commit=commit)
        except StaleWrite:
            raise _Stale() from None
        uow.commit()
    if not step.new:
        inst.version += 1
    if nested:
        after_commit(lambda: _committed(step, events))
    else:
        _committed(step, events)


def _committed(step: Step, events: list[dict]) -> None:
    if step.new_jobs is not None and step.new_jobs.ids:
        outbox.relay(list(step.new_jobs.ids))
    _keep_in_cache(step.inst, step.after)
    history.tell_listeners(events)


def _keep_in_cache(inst: Loaded, after: snapshot.Snapshot) -> None:
    """Keep the workflow for this instance's next step (only ever after commit)."""
    status = inst.new_status or inst.status
    if after.completed or status not in ("running", "suspended") or instance_cache.size() <= 0:
        return
    if round_trips(inst.workflow):
        instance_cache.put(instance_cache.Entry(
            inst.id, inst.new_definition or inst.definition, inst.version, status, inst.business_key,
            inst.step_count + inst.steps, inst.workflow, tuple(after.human), inst.scope))


# -- one step ------------------------------------------------------------------------------------------

def advance(instance_id: int | None, action: Action, actor_id: int | None = None, *,
            expected_version: int | None = None, statuses: tuple[str, ...] = ("running",),
            task_guid: str | None = None, remote_addr: str | None = None) -> Any:
    """Load the instance (by id, or by one of its open tasks), run `action` and the engine steps, and write
    the step; returns what the action returned."""
    if in_callers_transaction():
        return _advance_in_callers_transaction(instance_id, action, actor_id, expected_version, statuses,
                                               task_guid, remote_addr)
    end_open_transaction()
    use_cache = True
    for _attempt in range(current_app.config["ENGINE_RETRIES"]):
        inst = _from_cache(instance_id, task_guid) if use_cache else None
        if inst is None:
            inst = load(instance_id, task_guid=task_guid)
        instance_id = inst.id
        try:
            _check(inst, expected_version, statuses)
            step = run_step(inst, action, _history(inst, actor_id, remote_addr))
        except EngineError as err:
            if inst.cached and not _is_current(inst):
                use_cache = False  # decided on an out-of-date copy: decide again from the database
                continue
            if isinstance(err, ProcessError):
                open_incident(inst.id, "process_error", err, spec_id=err.spec_id)
            raise
        try:
            write_step(step)
        except _Stale:
            if expected_version is not None and not inst.cached:
                raise Conflict(STALE_MESSAGE) from None
            use_cache = False
            continue
        return step.result
    raise Conflict(f"process instance {instance_id} is too busy; try again")


def _advance_in_callers_transaction(instance_id, action, actor_id, expected_version, statuses, task_guid,
                                    remote_addr) -> Any:
    inst = load(instance_id, task_guid=task_guid)
    _check(inst, expected_version, statuses)
    step = run_step(inst, action, _history(inst, actor_id, remote_addr))
    try:
        write_step(step)
    except _Stale:
        raise Conflict(STALE_MESSAGE) from None
    return step.result


def end_open_transaction() -> None:
    """End a transaction the caller's reads left open outside any unit of work (committing, as its unit of
    work would), so that no lock is held while process code runs."""
    session = db.session()
    if session.in_transaction():
        session.commit()


def _check(inst: Loaded, expected_version: int | None, statuses: tuple[str, ...]) -> None:
    if expected_version is not None and inst.version != expected_version:
        raise Conflict(STALE_MESSAGE)
    if inst.status not in statuses:
        raise InvalidState(f"process instance {inst.id} is {inst.status}")


def _is_current(inst: Loaded) -> bool:
    """Whether a cached copy is the instance as stored now (same version, same status)."""
    row = read(_VERSION, {"instance_id": inst.id}).one_or_none()
    return row is not None and (row.version, row.status) == (inst.version, inst.status)


def _history(inst: Loaded, actor_id: int | None, remote_addr: str | None) -> HistoryBuffer:
    return HistoryBuffer(inst.id, inst.definition.process_key, inst.business_key, actor_id,
                         inst.definition.reportable, _address(remote_addr))


def _address(remote_addr: str | None) -> str | None:
    return remote_addr[:64] if remote_addr else None


def _from_cache(instance_id: int | None, task_guid: str | None) -> Loaded | None:
    entry = instance_cache.take(instance_id, task_guid)
    if entry is None:
        return None
    return Loaded(entry.instance_id, entry.definition, entry.version, entry.status, entry.business_key,
                  entry.step_count, entry.workflow, entry.scope, cached=True)


def open_incident(instance_id: int, kind: str, err: Exception, task_guid: str | None = None,
                  spec_id: str | None = None, job_id: int | None = None, attempts: int = 0) -> int:
    """Record an incident in a transaction of its own (the failed step wrote nothing)."""
    with unit_of_work() as session:
        row = session.execute(select(PI.c.process_key, PI.c.business_key).where(PI.c.id == instance_id)).one()
        now = utcnow()
        incident_id = session.execute(insert(Incident.__table__).returning(Incident.__table__.c.id).values(
            instance_id=instance_id, job_id=job_id, task_guid=task_guid, spec_id=spec_id, kind=kind,
            message=str(err)[:2000], details=getattr(err, "details", None), attempts=attempts,
            opened_at=now)).scalar_one()
        session.execute(insert(HistoryEvent.__table__).values(
            instance_id=instance_id, process_key=row.process_key, business_key=row.business_key,
            event_type="incident_opened", at=now, task_spec_id=spec_id, task_guid=task_guid,
            data={"incident_id": incident_id, "kind": kind, "message": str(err)[:500]}))
        session.commit()
    return incident_id


# -- public operations ---------------------------------------------------------------------------------

def start_instance(definition: ProcessDefinition | DefinitionInfo, data: dict | None = None,
                   business_key: str | None = None, started_by: int | None = None,
                   scope: Mapping[str, ScopeValue | None] | None = None,
                   remote_addr: str | None = None, on_start: Action | None = None, test: bool = False) -> int:
    """Start an instance and run it until it waits; returns its id. `scope` (key -> value, app/engine/scope.py)
    decides who else may see it and take its group tasks. `on_start` acts on the new workflow once it waits
    (a message start event catches its message there). `test`: a test run (ProcessInstance.is_test). A
    failure of the process code raises ProcessError and writes nothing; a malformed scope, ValueError."""
    definition_id = definition.id  # an ORM object may reload it: before the transaction is ended
    scope_rows(scope)  # a malformed scope is refused before anything else
    if not in_callers_transaction():
        end_open_transaction()
    step = new_instance_step(definition_info(definition_id), data, business_key, started_by, scope, remote_addr,
                             on_start, test)
    write_step(step)
    return step.inst.id


def new_instance_step(info: DefinitionInfo, data: dict | None, business_key: str | None, started_by: int | None,
                      scope: Mapping[str, ScopeValue | None] | None = None, remote_addr: str | None = None,
                      on_start: Action | None = None, test: bool = False) -> Step:
    """A new instance run until it waits, with the step that would create it (touches no database)."""
    events = HistoryBuffer(NEW_INSTANCE, info.process_key, business_key, started_by, info.reportable,
                           _address(remote_addr))
    spec, subprocess_specs = load_spec(info.spec_json)
    with process_code():
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine_for_app())
        if data:
            workflow.get_next_task(state=TaskState.READY).data.update(data)
    rows = scope_rows(scope)
    inst = Loaded(None, info, 1, "running", business_key, 0, workflow, {r["key"]: r["value"] for r in rows})
    inst.writes.insert(InstanceScope.__table__, [{"instance_id": NEW_INSTANCE, **row} for row in rows])
    events.add("instance_started", data=events.reportable_data(data or {}))

    def first_steps(inst: Loaded, events: HistoryBuffer) -> None:
        if on_start is not None:
            run_engine_steps(inst)
            on_start(inst, events)

    columns = dict(definition_id=info.id, process_key=info.process_key, business_key=business_key,
                   serializer_version=SERIALIZER_VERSION, started_by=started_by, created_at=utcnow(),
                   is_test=test)
    return run_step(inst, first_steps, events, new_instance=columns, before=snapshot.Snapshot())


def complete_task(task_guid: str, data: dict | None, actor_id: int | None,
                  expected_version: int | None = None, remote_addr: str | None = None,
                  submission: dict | None = None) -> None:
    """Complete a READY human task with the submitted data (already validated against its form).
    `remote_addr`: the user's client address, kept on the step's history events (and so in evidence).
    `submission`: what the person filled in, kept with the form's name (task_submission) in the same step.
    Raises Conflict when someone else completed it first (or it was cancelled meanwhile)."""
    def action(inst: Loaded, events: HistoryBuffer):
        task = snapshot.find_task(inst.workflow, task_guid)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict(TASK_GONE_MESSAGE)
        if data:
            task.data.update(data)
        with process_code(task):
            task.run()
        inst.steps += 1
        events.add("task_completed", task, data=events.reportable_data(task.data))
        if submission is not None:
            spec = task.task_spec
            props = (getattr(spec, "extensions", None) or {}).get("properties", {})
            inst.writes.insert(TaskSubmission.__table__, [dict(
                instance_id=inst.id, task_guid=task_guid, actor_id=actor_id, task_name=spec.bpmn_name or spec.bpmn_id,
                form_schema=props.get("formJsonSchemaFilename"), form_ui_schema=props.get("formUiSchemaFilename"),
                data=submission, at=utcnow())])

    try:
        advance(None, action, actor_id, expected_version=expected_version, task_guid=task_guid,
                remote_addr=remote_addr)
    except InvalidState:
        still_open = read(select(OT.c.id).where(OT.c.task_guid == task_guid)).scalar()
        if still_open is None:  # the instance ended while the user was looking at the task
            raise Conflict(TASK_GONE_MESSAGE) from None
        raise


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
    """The data a READY task's form starts from. Raises Conflict when the task is no longer open."""
    inst = load(task_guid=task_guid)
    task = snapshot.find_task(inst.workflow, task_guid)
    if task is None or task.state != TaskState.READY:
        raise Conflict(TASK_GONE_MESSAGE)
    return dict(task.data)
