"""Many instances moved in one transaction: a batch of starts (an import's new archives) or of timer wake-ups
(a wave handed to a worker). Each instance's step is computed as on its own (`runtime.run_step`, no database);
then the batch is written at once: the steps' version-checked updates and deletes first, then their inserts
merged per table (a multi-row INSERT or executemany for all the batch's open tasks, timers, history...), in one
pipeline on PostgreSQL, and one durable commit for the batch instead of one per instance.

A batch is all or nothing: a process error in any instance raises it (nothing written), and a lost version
race (`StaleWrite`) rolls the whole batch back; callers that want the others to go on then move the instances
one by one (`timers.fire_instances`). Inside a caller's unit of work the batch joins that transaction.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from app.engine import history, outbox
from app.engine.models import HistoryEvent, ProcessDefinition
from app.engine.runtime import (
    _LOAD_COLUMNS, PI, Action, DefinitionInfo, Step, _history, definition_info, end_open_transaction,
    in_callers_transaction, loaded, new_instance_step, read, run_step,
)
from app.engine.step_plan import bind_new_instance
from app.engine.step_writes import Operation, StepWrites
from app.platform.extensions import db
from app.platform.uow import after_commit, unit_of_work

INSERTS = ("insert", "insert_children")


@dataclass
class NewInstance:
    """One instance of a batch start: what `runtime.start_instance` takes, per instance."""
    data: dict | None = None
    business_key: str | None = None
    started_by: int | None = None
    scope: dict = field(default_factory=dict)  # who else may see it: key -> value (app/engine/scope.py)


def start_instances(definition: ProcessDefinition | DefinitionInfo, starts: Iterable[NewInstance],
                    batch: int = 500) -> list[int]:
    """Start many instances of one definition, `batch` per transaction (all in the caller's, if one is
    open); returns their ids in the order given. A process error raises ProcessError; its batch is not
    written."""
    info = definition_info(definition.id)
    if not in_callers_transaction():
        end_open_transaction()
    ids: list[int] = []
    for chunk in _chunks(list(starts), batch):
        steps = [new_instance_step(info, s.data, s.business_key, s.started_by, s.scope) for s in chunk]
        write_steps(steps)
        ids.extend(step.inst.id for step in steps)
    return ids


def wake(instance_ids: list[int], action: Action) -> int:
    """Run `action` and the engine steps on each running instance of the list, and write every step in one
    transaction; returns how many instances moved (ended or suspended ones are skipped). Raises
    ProcessError or StaleWrite for the whole batch (nothing written)."""
    if not in_callers_transaction():
        end_open_transaction()
    rows = read(select(*_LOAD_COLUMNS).where(PI.c.id.in_(instance_ids))).all()
    steps = []
    for row in rows:
        if row.status != "running":
            continue
        inst = loaded(row)
        steps.append(run_step(inst, action, _history(inst, None, None)))
    write_steps(steps)
    return len(steps)


def write_steps(steps: list[Step]) -> None:
    """Write computed steps in one transaction (new instances first, to learn their ids); then relay their
    jobs and tell the history listeners, after commit."""
    if not steps:
        return
    session = db.session()
    nested = in_callers_transaction()
    events: list[dict] = []
    with unit_of_work() as uow:
        conn = session.connection()
        created = [step for step in steps if step.new]
        if created:
            heads = [step.writes.ops.pop(0) for step in created]
            _Merged([heads]).flush(conn)
            for step, head in zip(created, heads):
                step.inst.id = head.ids[0]
                bind_new_instance(step.writes, step.inst.id)
        for step in steps:
            events += [row for op in step.writes.ops if op.table is HistoryEvent.__table__ for row in op.rows]
        plans = [step.writes.ops for step in steps]
        if _mergeable(plans):
            _Merged(plans).flush(conn)
        else:
            for step in steps:
                step.writes.flush(conn)
        uow.commit()
    job_ids = [job_id for step in steps if step.new_jobs is not None for job_id in step.new_jobs.ids]

    def committed() -> None:
        outbox.relay(job_ids)
        history.tell_listeners(events)

    if nested:
        after_commit(committed)
    else:
        committed()


def _mergeable(plans: list[list[Operation]]) -> bool:
    """Whether putting every update and delete before every insert keeps each plan's meaning: no plan
    inserts into a table and then updates or deletes in it."""
    for ops in plans:
        inserted = set()
        for op in ops:
            if op.kind in INSERTS:
                inserted.add(op.table)
            elif op.table in inserted:
                return False
    return True


class _Merged:
    """One plan for many: the updates and deletes in order, then the inserts, rows of the same table and
    columns in one operation (in the order the tables first come, so a child follows its parent rows).
    The ids an inserting operation asked for are handed back to it after the flush."""

    def __init__(self, plans: list[list[Operation]]) -> None:
        self.writes = StepWrites()
        self.buckets: dict[tuple, Operation] = {}
        self.askers: dict[tuple, list[Operation]] = {}
        for ops in plans:
            for op in ops:
                if op.kind in INSERTS:
                    self._add(op)
                else:
                    self.writes.ops.append(op)
        self.writes.ops.extend(self.buckets.values())

    def _add(self, op: Operation) -> None:
        for row in op.rows:
            key = (op.kind, op.table, op.parent, op.returning, tuple(row))
            if key not in self.buckets:
                self.buckets[key] = Operation(op.kind, op.table, parent=op.parent, returning=op.returning)
                self.askers[key] = []
            self.buckets[key].rows.append(row)
            if op.returning:
                self.askers[key].append(op)

    def flush(self, conn) -> None:
        self.writes.flush(conn)
        for key, ops in self.askers.items():
            for op, new_id in zip(ops, self.buckets[key].ids):
                op.ids.append(new_id)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
