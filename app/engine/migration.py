"""Moving running instances to another version of their process definition.

An instance's state names its tasks by their BPMN element ids; it can move when every task it has
(done or pending) exists under the same id in the target version, and it keeps its place and data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.errors import InvalidState, MigrationError, NotFound
from app.engine.models import OpenTask, ProcessInstance
from app.engine.runtime import Loaded, advance, definition_info, read
from app.engine.spiff import load_spec

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _known_names(spec_json: str) -> dict[str, set[str]]:
    spec, subprocess_specs = load_spec(spec_json)
    names = {spec.name: set(spec.task_specs)}
    names.update({k: set(v.task_specs) for k, v in subprocess_specs.items()})
    return names


def unmatched_tasks(inst: Loaded, target_spec_json: str) -> tuple[list[str], list[str]]:
    """(active task ids missing in the target, finished task ids missing in the target)."""
    known = _known_names(target_spec_json)
    active, finished = set(), set()
    for task in inst.workflow.get_tasks():
        spec_name = task.workflow.spec.name
        if task.task_spec.name not in known.get(spec_name, set()):
            label = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            (active if task.state & ACTIVE else finished).add(label)
    return sorted(active), sorted(finished)


def migrate_instance(instance_id: int, target_definition_id: int, actor_id: int | None = None) -> None:
    target = definition_info(target_definition_id)

    def action(inst: Loaded, events):
        if inst.definition.process_key != target.process_key:
            raise InvalidState(f"instance {instance_id} runs {inst.definition.process_key}, not {target.process_key}")
        if inst.definition.id == target.id:
            return
        active, finished = unmatched_tasks(inst, target.spec_json)
        if active or finished:
            raise MigrationError(f"instance {instance_id} cannot move to version {target.version}; "
                                 f"tasks missing in the target", active + finished)
        spec, subprocess_specs = load_spec(target.spec_json)
        _rebind(inst.workflow, spec, subprocess_specs)
        inst.new_definition = target
        events.add("instance_migrated", data={"from_version": inst.definition.version,
                                              "to_version": target.version})
        inst.writes.update(OpenTask.__table__, {"process_name": target.name}, instance_id=instance_id)

    advance(instance_id, action, actor_id, statuses=("running", "suspended"))


def _rebind(workflow, spec, subprocess_specs) -> None:
    workflow.spec = spec
    workflow.subprocess_specs = subprocess_specs
    for sub in workflow.subprocesses.values():
        sub.spec = subprocess_specs.get(sub.spec.name, sub.spec)
    for task in workflow.get_tasks():
        owner = task.workflow.spec
        task.task_spec = owner.task_specs[task.task_spec.name]


@dataclass
class BulkResult:
    migrated: list[int] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)


def migrate_all(from_definition_id: int, to_definition_id: int, actor_id: int | None = None) -> BulkResult:
    """Move every running or suspended instance of one version; report the ones that cannot move."""
    if definition_info(from_definition_id).process_key != definition_info(to_definition_id).process_key:
        raise NotFound("both versions must belong to the same process")
    ids = read(select(ProcessInstance.id).where(
        ProcessInstance.definition_id == from_definition_id,
        ProcessInstance.status.in_(("running", "suspended"))).order_by(ProcessInstance.id)).scalars().all()
    result = BulkResult()
    for instance_id in ids:
        try:
            migrate_instance(instance_id, to_definition_id, actor_id)
            result.migrated.append(instance_id)
        except MigrationError as err:
            result.refused[instance_id] = err.unmatched
    return result
