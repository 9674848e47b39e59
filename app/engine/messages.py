"""Delivering named messages to the instance waiting for them (or starting one at a message start event).

Correlation: a waiting catch is found by `instance_id`, `business_key` and the value of each correlation
property its message declares in the BPMN (looked up in task data by property name when it started
waiting), one indexed row per key (`message_correlation`). A delivery names some of those keys; exactly one
instance must match all of them, otherwise it is refused.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from sqlalchemy import and_, distinct, func, or_, select

from app.engine.definitions import latest_definitions
from app.engine.errors import CorrelationError
from app.engine.history import HistoryBuffer
from app.engine.models import MessageCorrelation, ProcessInstance
from app.engine.runtime import Loaded, advance, read, start_instance
from app.engine.snapshot import event_definitions
from app.engine.step_plan import correlation_value

KEYS = MessageCorrelation.__table__
PI = ProcessInstance.__table__


def waiting_instances(name: str, wanted: dict) -> list[int]:
    """Running instances with a catch of message `name` whose keys match every wanted key (an indexed
    lookup per key: rows of one catch matching all of them)."""
    base = (select(KEYS.c.instance_id).join(PI, PI.c.id == KEYS.c.instance_id)
            .where(KEYS.c.message_name == name, PI.c.status == "running"))
    if not wanted:
        statement = base.where(KEYS.c.key == "instance_id").distinct()
    else:
        matches = or_(*(and_(KEYS.c.key == key, KEYS.c.value == correlation_value(value))
                        for key, value in wanted.items()))
        statement = (base.where(matches).group_by(KEYS.c.instance_id, KEYS.c.task_guid)
                     .having(func.count(distinct(KEYS.c.key)) == len(wanted)))
    return sorted(set(read(statement).scalars()))


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
    instances = waiting_instances(name, wanted)
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
