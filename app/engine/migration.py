"""Moving running instances to another version of their process definition.

An instance's state names its tasks by their BPMN element ids; it can move when every task it has reached
(done, or waiting: ready, waiting for an event, started) exists under the same id in the target version, and
it keeps its place and data. What lies ahead (SpiffWorkflow's predicted FUTURE/LIKELY/MAYBE tasks) is
dropped and predicted again from the target version, so a changed path ahead of an instance is taken.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.errors import InvalidState, MigrationError, NotFound
from app.engine.models import OpenTask, ProcessInstance
from app.engine.runtime import Loaded, advance, definition_info, load, read
from app.engine.spiff import load_spec

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
REACHED = ACTIVE | TaskState.FINISHED_MASK
PLANNED = TaskState.FUTURE | TaskState.PREDICTED_MASK


def _known_names(spec_json: str) -> dict[str, set[str]]:
    spec, subprocess_specs = load_spec(spec_json)
    names = {spec.name: set(spec.task_specs)}
    names.update({k: set(v.task_specs) for k, v in subprocess_specs.items()})
    return names


def unmatched_tasks(inst: Loaded, target_spec_json: str) -> tuple[list[str], list[str]]:
    """(active task ids missing in the target, finished task ids missing in the target); tasks only planned
    ahead of the instance do not count."""
    known = _known_names(target_spec_json)
    active, finished = set(), set()
    for task in inst.workflow.get_tasks(state=REACHED):
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
    active = workflow.get_tasks(state=ACTIVE)
    for task in active:  # the path ahead is planned again from the target version
        for child in list(task.children):
            if child.state & PLANNED:
                child.workflow._remove_task(child.id)
    for task in workflow.get_tasks():
        owner = task.workflow.spec
        task.task_spec = owner.task_specs[task.task_spec.name]
    for task in active:
        task.task_spec._predict(task, mask=PLANNED | task.state)


def migration_problems(instance_id: int, target_definition_id: int) -> list[str]:
    """Why an instance cannot move to a version (empty: it can), read without changing anything: the same
    checks `migrate_instance` makes."""
    target = definition_info(target_definition_id)
    try:
        inst = load(instance_id)
    except NotFound:
        return ["not found"]
    if inst.definition.process_key != target.process_key:
        return [f"runs {inst.definition.process_key}, not {target.process_key}"]
    if inst.status not in ("running", "suspended"):
        return [f"status {inst.status}"]
    if inst.definition.id == target.id:
        return ["already at this version"]
    active, finished = unmatched_tasks(inst, target.spec_json)
    return ([f"waiting at {name}, which the target version does not have" for name in active]
            + [f"has passed {name}, which the target version does not have" for name in finished])


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
