"""Delivering named messages to the instance waiting for them (or starting one at a message start event).

Correlation: a waiting catch event is subscribed with {instance_id, business_key} plus the current value of
each correlation property its message declares in the BPMN (looked up in task data by property name). A
delivery names some of those keys; exactly one instance must match, otherwise it is refused.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from sqlalchemy import select

from app.engine.definitions import latest_definitions
from app.engine.errors import CorrelationError
from app.engine.history import HistoryBuffer
from app.engine.models import MessageSubscription, ProcessInstance
from app.engine.runtime import Loaded, advance, read, start_instance
from app.engine.snapshot import event_definitions

SUB = MessageSubscription.__table__


def _matches(correlation: dict, wanted: dict) -> bool:
    return all(k in correlation and str(correlation[k]) == str(v) for k, v in wanted.items())


def catch_message(inst: Loaded, events: HistoryBuffer, name: str, payload: dict) -> None:
    for task in list(inst.workflow.event_manager.tasks.values()):
        for definition in event_definitions(task):
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                if definition is not task.task_spec.event_definition:
                    # An event-based gateway keeps only the fact that it caught; carry the payload ourselves.
                    task.data.update(payload)
                inst.workflow.catch(BpmnEvent(definition, payload))
                events.add("message_received", task, data={"message": name})
                return
    raise CorrelationError(f"instance {inst.id} is not waiting for message {name!r}")


def deliver_message(name: str, payload: dict | None = None, correlation: dict | None = None,
                    actor_id: int | None = None) -> int:
    """Deliver message `name`; returns the id of the instance that received it (or was started by it)."""
    payload = dict(payload or {})
    wanted = dict(correlation or {})
    rows = read(
        select(SUB.c.instance_id, SUB.c.task_guid, SUB.c.correlation)
        .join(ProcessInstance, ProcessInstance.id == SUB.c.instance_id)
        .where(SUB.c.message_name == name, ProcessInstance.status == "running")
    ).all()
    instances = sorted({r.instance_id for r in rows if _matches(r.correlation or {}, wanted)})
    if len(instances) > 1:
        raise CorrelationError(f"message {name!r} with {wanted} matches {len(instances)} waiting instances "
                               f"({', '.join(map(str, instances[:10]))}); give more correlation keys")
    if instances:
        def action(inst, events):
            catch_message(inst, events, name, payload)

        advance(instances[0], action, actor_id)
        return instances[0]
    starters = [d for d in latest_definitions() if name in (d.start_messages or [])]
    if len(starters) == 1 and "instance_id" not in wanted:
        def on_start(inst, events):
            catch_message(inst, events, name, payload)

        return start_instance(starters[0], business_key=wanted.get("business_key"), started_by=actor_id,
                              on_start=on_start)
    if len(starters) > 1:
        raise CorrelationError(f"message {name!r} starts {len(starters)} different processes")
    raise CorrelationError(f"no instance is waiting for message {name!r} with {wanted}")


def waiting_task_guid(instance_id: int, name: str) -> str | None:
    guid = read(select(SUB.c.task_guid).where(SUB.c.instance_id == instance_id,
                                                            SUB.c.message_name == name)).scalar()
    return str(UUID(guid)) if guid else None
