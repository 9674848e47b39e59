"""What a workflow waits on, read off the SpiffWorkflow objects: people, timers, messages, jobs.

Two snapshots (before and after an action) give exactly the rows to add and remove from the open-task,
timer, subscription and job tables, without reading those tables back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from app.engine.spiff import AsyncServiceTask


@dataclass
class Snapshot:
    human: dict = field(default_factory=dict)     # guid -> Task (READY, manual)
    timers: dict = field(default_factory=dict)    # guid -> due datetime (UTC)
    messages: dict = field(default_factory=dict)  # guid -> (task, [message event definitions it waits for])
    services: dict = field(default_factory=dict)  # guid -> Task (STARTED async service task)
    completed: bool = False


def take(workflow: BpmnWorkflow) -> Snapshot:
    snap = Snapshot(completed=workflow.completed)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
        if task.state == TaskState.READY and task.task_spec.manual:
            snap.human[str(task.id)] = task
        elif task.state == TaskState.STARTED and isinstance(task.task_spec, AsyncServiceTask):
            snap.services[str(task.id)] = task
    for task in workflow.event_manager.tasks.values():
        guid = str(task.id)
        for definition in event_definitions(task):
            if isinstance(definition, TimerEventDefinition):
                due = timer_due(definition.details(task).value)
                if due is not None and (guid not in snap.timers or due < snap.timers[guid]):
                    snap.timers[guid] = due
            elif isinstance(definition, MessageEventDefinition):
                snap.messages.setdefault(guid, (task, []))[1].append(definition)
    return snap


def event_definitions(task) -> list:
    """The event definitions a waiting task listens for (an event-based gateway listens for several)."""
    definition = task.task_spec.event_definition
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


def timer_due(value) -> datetime | None:
    """The due time of a waiting timer, from the value SpiffWorkflow keeps (ISO text once evaluated)."""
    if not value:
        return None
    if isinstance(value, dict):  # a cycle timer before its first evaluation
        value = value.get("next")
    try:
        return TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def now() -> datetime:
    return datetime.now(timezone.utc)


def find_task(workflow: BpmnWorkflow, guid: str):
    """The task with this id, or None when SpiffWorkflow has dropped it (a cancelled branch)."""
    try:
        return workflow.get_task_from_id(UUID(guid))
    except TaskNotFoundException:
        return None
