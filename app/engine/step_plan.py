"""What one step writes, worked out from two snapshots of the workflow (before and after the step).

`plan_step` returns the step's write plan: the instance row (its new state and version), then exactly the
open-task, owner, draft, timer, subscription and job rows that differ between the snapshots, then the
history rows. Building it evaluates process code (due dates, service-task parameters, lane owners), so it
runs before the step's transaction opens; writing it is `step_writes.py`'s job.

A new instance has no id until its row is inserted: its rows carry the NEW_INSTANCE placeholder, filled in
by `bind_new_instance` once the database has given the id.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.engine.errors import ProcessError
from app.engine.history import HistoryBuffer
from app.engine.models import (
    HistoryEvent, Job, MessageCorrelation, OpenTask, OpenTaskOwner, OpenTaskScope, ProcessInstance, TaskDraft,
    Timer,
)
from app.engine.snapshot import Snapshot
from app.engine.spiff import dump_state
from app.engine.step_writes import Operation, StepWrites
from app.platform.db_types import utcnow
from app.platform.process_summary import search_text, summary_values

PI = ProcessInstance.__table__
OT = OpenTask.__table__
JOB = Job.__table__
CORRELATION = MessageCorrelation.__table__


class _NewInstance:
    def __repr__(self) -> str:
        return "NEW_INSTANCE"


NEW_INSTANCE: Any = _NewInstance()


def _end_events(workflow) -> list[str]:
    """The end events of the top-level process the instance went through (the latest last)."""
    found = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
             if type(t.task_spec).__name__ == "EndEvent" and t.workflow is workflow]
    found.sort(key=lambda t: t.last_state_change, reverse=True)
    return [t.task_spec.bpmn_id for t in found]


def plan_step(inst, before: Snapshot, after: Snapshot, events: HistoryBuffer, *, new_instance: dict | None,
              max_attempts: int) -> tuple[StepWrites, Operation | None]:
    """The step's writes, and the operation inserting its new jobs (None if there are none)."""
    now = utcnow()
    instance_id = NEW_INSTANCE if new_instance is not None else inst.id
    workflow = inst.workflow
    status = inst.new_status or inst.status
    if after.completed and status == "running":
        status = "completed"
        data = events.reportable_data(workflow.data) or {}
        ends = _end_events(workflow)
        if ends:
            data["end_event"] = ends[0]  # where it ended: reports count instances per end event
        events.add("instance_completed", data=data or None)
    values = dict(state=dump_state(workflow), version=inst.version + (0 if new_instance is not None else 1),
                  status=status, step_count=inst.step_count + inst.steps, updated_at=now)
    if status in ("completed", "terminated"):
        values["ended_at"] = now
    if inst.new_definition is not None:
        values["definition_id"] = inst.new_definition.id
    writes = StepWrites()
    if new_instance is not None:
        writes.insert(PI, [{**new_instance, **values}], returning=True)
    else:
        writes.update(PI, values, expect_one=True, id=inst.id, version=inst.version)
    writes.ops.extend(inst.writes.ops)  # what the action changed besides the workflow
    definition = inst.new_definition or inst.definition
    _human_tasks(writes, inst, instance_id, definition, before, after, events, now)
    _timers(writes, inst, instance_id, before, after, events, now)
    _messages(writes, inst, instance_id, before, after)
    new_jobs = _jobs(writes, inst, instance_id, before, after, events, now, max_attempts)
    writes.insert(HistoryEvent.__table__, events.rows)
    return writes, new_jobs


def bind_new_instance(writes: StepWrites, instance_id: int) -> None:
    """Put the new instance's id wherever the plan holds the NEW_INSTANCE placeholder."""
    for op in writes.ops:
        for row in op.rows:
            for key, value in row.items():
                if value is NEW_INSTANCE:
                    row[key] = instance_id
            if op.table is JOB:
                row["idempotency_key"] = _idempotency_key(instance_id, row["task_guid"])
            elif op.table is CORRELATION and row["key"] == "instance_id":
                row["value"] = correlation_value(instance_id)


def correlation_value(value: Any) -> str:
    """How a correlation value is stored and looked up: its text (as deliveries compare `str(value)`), or a
    hash of it when too long to index."""
    text = str(value)
    if len(text) > 200:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def _idempotency_key(instance_id, task_guid: str) -> str:
    return f"{instance_id}:{task_guid}"


def _human_tasks(writes: StepWrites, inst, instance_id, definition, before, after, events, now) -> None:
    removed = [g for g in before.human if g not in after.human]
    added = [g for g in after.human if g not in before.human]
    if removed:
        writes.delete(OT, task_guid=removed)
        writes.delete(TaskDraft.__table__, task_guid=removed)
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
        summary = summary_values(definition.summary_fields, task.data)
        rows.append(dict(
            instance_id=instance_id, task_guid=guid, spec_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane, process_key=definition.process_key, process_name=definition.name,
            business_key=inst.business_key, assignee_id=None, addressed=bool(users),
            due_at=_due_at(task, props.get("dueDate"), now),
            form_schema=props.get("formJsonSchemaFilename"), form_ui_schema=props.get("formUiSchemaFilename"),
            instructions=(spec.extensions or {}).get("instructionsForEndUser"), created_at=now,
            summary=summary or None, search_text=search_text(inst.business_key, summary),
        ))
        events.add("task_ready", task, at=now)
    writes.insert(OT, rows)
    writes.insert_children(OpenTaskOwner.__table__, OT, "task_guid", "open_task_id",
                           [(guid, {"user_id": user}) for guid, user in owners])
    scope = inst.scope_values().items()
    writes.insert_children(OpenTaskScope.__table__, OT, "task_guid", "open_task_id",
                           [(row["task_guid"], {"key": key, "value": value, "lane": row["lane"]})
                            for row in rows for key, value in scope])


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


def _timers(writes: StepWrites, inst, instance_id, before, after, events, now) -> None:
    gone = [g for g, due in before.timers.items() if after.timers.get(g) != due]
    new = [g for g, due in after.timers.items() if before.timers.get(g) != due]
    if gone:
        writes.delete(Timer.__table__, instance_id=instance_id, task_guid=gone)
        for guid in gone:
            task = inst.task(guid)
            if task is not None and task.state != TaskState.CANCELLED and before.timers[guid] <= now:
                events.add("timer_fired", task, data={"due_at": before.timers[guid].isoformat()})
    if new:
        rows = []
        for guid in new:
            task = inst.task(guid)
            rows.append(dict(instance_id=instance_id, task_guid=guid, spec_id=task.task_spec.bpmn_id,
                             due_at=after.timers[guid]))
        writes.insert(Timer.__table__, rows)


def _messages(writes: StepWrites, inst, instance_id, before, after) -> None:
    """One row per correlation key of each message a newly waiting task can catch (an event-based gateway
    waits for several): instance_id, business_key and the message's correlation properties found in the
    task data."""
    gone = [g for g in before.messages if g not in after.messages]
    if gone:
        writes.delete(CORRELATION, instance_id=instance_id, task_guid=gone)
    rows = []
    for guid in after.messages:
        if guid in before.messages:
            continue
        task, definitions = after.messages[guid]
        for definition in definitions:
            keys = {"instance_id": instance_id, "business_key": inst.business_key}
            keys.update((prop.name, task.data[prop.name]) for prop in definition.correlation_properties
                        if prop.name in task.data)
            rows.extend(dict(instance_id=instance_id, task_guid=guid, message_name=definition.name, key=key,
                             value=value if value is NEW_INSTANCE else correlation_value(value))
                        for key, value in keys.items() if value is not None)
    writes.insert(CORRELATION, rows)


def _jobs(writes: StepWrites, inst, instance_id, before, after, events, now, max_attempts) -> Operation | None:
    gone = [g for g in before.services if g not in after.services]
    if gone:
        writes.update(JOB, dict(status="cancelled", updated_at=now), instance_id=instance_id, task_guid=gone,
                      status=("pending", "queued", "running"))
    new = [g for g in after.services if g not in before.services]
    if not new:
        return None
    rows = []
    for guid in new:
        task = after.services[guid]
        spec = task.task_spec
        params = {k: v["value"] for k, v in spec.evaluate_params(task).items()}
        rows.append(dict(
            instance_id=instance_id, task_guid=guid, spec_id=spec.bpmn_id, operation=spec.operation_name,
            params=params, idempotency_key=_idempotency_key(instance_id, guid), status="pending", attempts=0,
            max_attempts=(spec.retries + 1) if spec.retries is not None else max_attempts,
            next_attempt_at=now, last_error=None, result=None, created_at=now, updated_at=now,
        ))
        events.add("job_queued", task, data={"operation": spec.operation_name})
    return writes.insert(JOB, rows, returning=True)
