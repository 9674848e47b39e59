"""The read models of process analytics, kept up to date from the history events (append-only) and
rebuildable from them at any time: one InstanceFact per instance (start, end, how it ended, the path of user
tasks it took) and one TaskFact per run of a user task (ready, claimed, done: waiting and working time).

`catch_up()` applies the events after the last one applied, in id order, in batches; the periodic job
`reporting.catch_up` runs it and the analytics pages run it before they read. `rebuild()` empties the facts
and applies the whole history again (`flask reporting-rebuild`): the same code, so the same figures.

Events younger than `settle_s` are left for the next run: an event's id is drawn when its step writes, and a
step that started earlier may still commit a smaller id; waiting until every step that could do so has
committed keeps the position from skipping it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import takewhile
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from app.engine.models import HistoryEvent, InstanceScope, ProcessInstance
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.platform.uow import read_only, unit_of_work
from app.reporting import rollups
from app.reporting.models import InstanceFact, ProjectionPosition, TaskFact

NAME = "history"
BATCH = 20_000
PAGE_CATCH_UP_BATCHES = 1   # what a page applies itself before reading (the periodic job applies the rest)
SETTLE_S = 30.0
PATH_SEPARATOR = " > "
EVENTS = ("instance_started", "instance_completed", "instance_terminated", "instance_migrated", "task_ready",
          "task_claimed", "task_unclaimed", "task_completed", "task_cancelled")
IF, TF, POS, HE = InstanceFact.__table__, TaskFact.__table__, ProjectionPosition.__table__, HistoryEvent.__table__


def week_of(moment: datetime) -> date:
    """The Monday (local date) of the week a moment falls in."""
    day = moment.astimezone(LOCAL_TZ).date()
    return day - timedelta(days=day.weekday())


def catch_up(settle_s: float | None = None, batch: int | None = None, max_batches: int | None = None) -> int:
    """Apply the history events not applied yet (older than `settle_s`, by default REPORTING_SETTLE_S);
    returns how many were applied. A page passes `max_batches` (its request never replays a long history:
    after a rebuild the periodic job does that)."""
    if settle_s is None:
        settle_s = current_app.config.get("REPORTING_SETTLE_S", SETTLE_S)
    batch = batch or BATCH
    total, batches = 0, 0
    while True:
        applied, more = _apply_batch(settle_s, batch)
        total += applied
        batches += 1
        if not more or (max_batches is not None and batches >= max_batches):
            return total


def rebuild(batch: int | None = None, settle_s: float | None = None) -> int:
    """Forget the facts and summaries and apply the whole history again (settled events only)."""
    forget()
    return catch_up(settle_s, batch)


def forget() -> None:
    """Empty the facts and summaries and go back to the start of the history (what a rebuild starts with)."""
    with unit_of_work() as uow:
        rollups.clear(uow)
        uow.execute(delete(TF))
        uow.execute(delete(IF))
        uow.execute(delete(POS).where(POS.c.name == NAME))
        uow.commit()


def position() -> int:
    with unit_of_work() as uow:
        return uow.execute(select(POS.c.last_event_id).where(POS.c.name == NAME)).scalar() or 0


@dataclass(frozen=True)
class Backlog:
    """Settled history not applied yet (after a rebuild or a migration, or while the worker is down): the figures
    read from the facts hold the history up to `applied_up_to` (None: nothing applied yet)."""
    applied_up_to: datetime | None


def catch_up_for_page() -> Backlog | None:
    """What a page reading the facts runs first: at most PAGE_CATCH_UP_BATCHES batches (the periodic job applies
    the rest), then whether settled history still waits, so the page can say its figures are not complete."""
    catch_up(max_batches=PAGE_CATCH_UP_BATCHES)
    cutoff = utcnow() - timedelta(seconds=current_app.config.get("REPORTING_SETTLE_S", SETTLE_S))
    with read_only() as session:
        last = session.execute(select(POS.c.last_event_id).where(POS.c.name == NAME)).scalar() or 0
        # the first event after the position is the one the next batch reads (id order, PK index)
        waiting = session.execute(select(HE.c.at).where(HE.c.id > last).order_by(HE.c.id).limit(1)).scalar()
        if waiting is None or waiting > cutoff:
            return None
        return Backlog(session.execute(select(HE.c.at).where(HE.c.id == last)).scalar())


def _apply_batch(settle_s: float, batch: int) -> tuple[int, bool]:
    """Apply the next batch of settled events; returns how many were read and whether more may follow."""
    with unit_of_work() as uow:
        # Take the position row's lock first (a second catch-up waits here, then starts after this one).
        if uow.execute(update(POS).where(POS.c.name == NAME).values(updated_at=utcnow())).rowcount == 0:
            uow.execute(insert(POS).values(name=NAME, last_event_id=0, updated_at=utcnow()))
        last = uow.execute(select(POS.c.last_event_id).where(POS.c.name == NAME).with_for_update()).scalar_one()
        rows = uow.execute(
            select(HE.c.id, HE.c.instance_id, HE.c.process_key, HE.c.event_type, HE.c.at, HE.c.lane,
                   HE.c.task_spec_id, HE.c.task_name, HE.c.task_guid, HE.c.data)
            .where(HE.c.id > last).order_by(HE.c.id).limit(batch)).all()
        now = utcnow()
        cutoff = now - timedelta(seconds=settle_s)
        # up to the first unsettled event; an event dated ahead of the wall clock (written under a controlled clock:
        # demo data, tests) has no age to wait for and would otherwise hold back every later one for good
        settled = list(takewhile(lambda r: r.at <= cutoff or r.at > now, rows))
        if settled:
            _apply(uow, [r for r in settled if r.event_type in EVENTS])
            uow.execute(update(POS).where(POS.c.name == NAME).values(last_event_id=settled[-1].id))
        uow.commit()
    return len(settled), len(rows) == batch and len(settled) == len(rows)


def _college_id(value: str | None) -> int | None:
    """The instance's college (its scope key "college", kept as text by the engine) as the facts hold it."""
    return int(value) if value is not None and value.isdigit() else None


def _apply(uow, events: list) -> None:
    instance_ids = {e.instance_id for e in events}
    if not instance_ids:
        return
    college = (select(InstanceScope.value).where(InstanceScope.instance_id == ProcessInstance.id,
                                                  InstanceScope.key == "college")
               .correlate(ProcessInstance).scalar_subquery().label("college"))
    instances = {r.id: r for r in _rows_with(uow, select(ProcessInstance.id, ProcessInstance.definition_id,
                                                              college, ProcessInstance.is_test),
                                           ProcessInstance.id, instance_ids)}
    real = {i for i, r in instances.items() if not r.is_test}
    events = [e for e in events if e.instance_id in real]
    facts = {r.instance_id: dict(r._mapping) for r in _rows_with(uow, select(IF), IF.c.instance_id, real)}
    guids = {e.task_guid for e in events if e.task_guid and e.event_type.startswith("task_")}
    tasks = {r.task_guid: dict(r._mapping) for r in _rows_with(uow, select(TF), TF.c.task_guid, guids)}
    old_facts, old_tasks = set(facts), set(tasks)
    before_facts = {k: dict(v) for k, v in facts.items()}
    before_tasks = {k: dict(v) for k, v in tasks.items()}
    changed_facts, changed_tasks = set(), set()

    def fact(event) -> dict:
        if event.instance_id not in facts:
            inst = instances[event.instance_id]
            facts[event.instance_id] = dict(
                instance_id=event.instance_id, process_key=event.process_key, definition_id=inst.definition_id,
                college_id=_college_id(inst.college), started_at=None, ended_at=None, ended_week=None, end_state=None,
                end_event=None, duration_s=None, path="", path_hash=None)
        changed_facts.add(event.instance_id)
        return facts[event.instance_id]

    for e in events:
        kind = e.event_type
        if kind == "instance_started":
            fact(e)["started_at"] = e.at
        elif kind in ("instance_completed", "instance_terminated"):
            f = fact(e)
            f.update(ended_at=e.at, ended_week=week_of(e.at),
                     end_state="completed" if kind == "instance_completed" else "terminated",
                     end_event=(e.data or {}).get("end_event") if kind == "instance_completed" else None,
                     path_hash=hashlib.sha1(f["path"].encode()).hexdigest())
            if f["started_at"] is not None:
                f["duration_s"] = int((e.at - f["started_at"]).total_seconds())
        elif kind == "instance_migrated":
            fact(e)["definition_id"] = instances[e.instance_id].definition_id
        elif kind == "task_ready" and e.task_guid:  # a task event without its task says nothing of one
            tasks[e.task_guid] = dict(
                tasks.get(e.task_guid, {}), task_guid=e.task_guid, instance_id=e.instance_id,
                process_key=e.process_key, task_spec_id=e.task_spec_id, task_name=e.task_name, lane=e.lane,
                ready_at=e.at, claimed_at=None, done_at=None, completed_week=None, outcome=None, waiting_s=None,
                working_s=None)
            changed_tasks.add(e.task_guid)
        elif e.task_guid in tasks:
            t = tasks[e.task_guid]
            changed_tasks.add(e.task_guid)
            if kind == "task_claimed":
                t["claimed_at"] = t["claimed_at"] or e.at
            elif kind == "task_unclaimed":
                t["claimed_at"] = None
            elif kind in ("task_completed", "task_cancelled"):
                waited_until = t["claimed_at"] or e.at
                t.update(done_at=e.at, completed_week=week_of(e.at),
                         outcome="completed" if kind == "task_completed" else "cancelled",
                         waiting_s=int((waited_until - t["ready_at"]).total_seconds()),
                         working_s=int((e.at - t["claimed_at"]).total_seconds()) if t["claimed_at"] else 0)
                if kind == "task_completed":
                    f = fact(e)
                    f["path"] = f["path"] + PATH_SEPARATOR + e.task_spec_id if f["path"] else e.task_spec_id
    _write(uow, IF, IF.c.instance_id, "instance_id", facts, changed_facts, old_facts)
    _write(uow, TF, TF.c.task_guid, "task_guid", tasks, changed_tasks, old_tasks)
    rollups.apply(uow, {k: before_facts.get(k) for k in changed_facts}, {k: facts[k] for k in changed_facts},
                  {k: before_tasks.get(k) for k in changed_tasks}, {k: tasks[k] for k in changed_tasks})


def _rows_with(uow, statement, column, values, size: int = 900):
    """The rows whose `column` is one of `values`. On PostgreSQL as one array parameter (`= ANY(:values)`): a list
    of hundreds of IN parameters, once psycopg prepares the statement, gets a generic plan that compares every row
    of a sequential scan with each parameter in turn; with the facts growing during a rebuild that reached 0.5 s
    a query (300,000 events: 37 of the rebuild's 60 s)."""
    values = list(values)
    if not values:
        return
    if uow.get_bind().dialect.name == "postgresql":
        yield from uow.execute(statement.where(column == any_(bindparam("values", values, type_=ARRAY(column.type)))))
        return
    for start in range(0, len(values), size):
        yield from uow.execute(statement.where(column.in_(values[start:start + size]))).all()


def _write(uow, table, key_column, key: str, rows: dict, changed: set, existing: set) -> None:
    new = [rows[k] for k in changed if k not in existing]
    if new:
        columns = [c.name for c in table.columns if c.name != "id"]
        uow.execute(insert(table), [{c: r.get(c) for c in columns} for r in new])
    old = [rows[k] for k in changed if k in existing]
    if old:
        columns = [c.name for c in table.columns if c.name not in ("id", key)]
        uow.execute(update(table).where(key_column == bindparam("_key"))
                    .values({c: bindparam(f"v_{c}") for c in columns}),
                    [{"_key": r[key], **{f"v_{c}": r.get(c) for c in columns}} for r in old])
