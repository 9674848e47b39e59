"""Waking instances whose timers are due. Called by the scheduler (the single leader).

A few due timers the scheduler fires itself (`fire_due`). A wave (every archive's yearly timer on the same
morning) it hands to the workers instead (`hand_out`): it leases batches of due instances (their timer rows
move to now + HANDOUT_LEASE, so a batch whose worker dies is handed out again once the lease ends) and
enqueues each batch; a worker wakes a batch's instances in one transaction (`fire_instances`, `batch.wake`). Each timer
fires once: SpiffWorkflow fires a due timer when the instance is woken, and a step is written only on the
version it was decided on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.engine import batch
from app.engine.errors import EngineError
from app.engine.outbox import timer_enqueuer
from app.engine.models import ProcessInstance, Timer
from app.engine.runtime import advance, read
from app.engine.step_writes import StaleWrite
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
T = Timer.__table__
RETRY_FAILED_AFTER = timedelta(seconds=60)
HANDOUT_LEASE = timedelta(minutes=5)


def _refresh(inst, events) -> None:
    inst.workflow.refresh_timers()


def fire_due(limit: int = 500) -> int:
    """Fire every timer due now (up to `limit`), oldest first; returns how many instances were woken."""
    rows = read(
        select(T.c.instance_id).join(ProcessInstance, ProcessInstance.id == T.c.instance_id)
        .where(T.c.due_at <= utcnow(), ProcessInstance.status == "running")
        .order_by(T.c.due_at).limit(limit)
    ).scalars().all()
    woken = 0
    for instance_id in dict.fromkeys(rows):
        try:
            advance(instance_id, _refresh)
            woken += 1
        except EngineError as err:  # an incident was recorded; look again in a minute, the others go on
            log.warning("timer of instance %s: %s", instance_id, err)
            with unit_of_work() as session:
                session.execute(update(T).where(T.c.instance_id == instance_id, T.c.due_at <= utcnow())
                                .values(due_at=utcnow() + RETRY_FAILED_AFTER))
                session.commit()
    return woken


def _due_instances(limit: int) -> list[int]:
    return read(
        select(T.c.instance_id).join(ProcessInstance, ProcessInstance.id == T.c.instance_id)
        .where(T.c.due_at <= utcnow(), ProcessInstance.status == "running")
        .group_by(T.c.instance_id).order_by(func.min(T.c.due_at)).limit(limit)
    ).scalars().all()


def fire_or_hand_out(still_leader: Callable[[], bool] = lambda: True) -> int:
    """The scheduler's tick: fire a few due timers here, hand a wave to the workers in batches (when the app
    wired a timer enqueuer). Returns how many instances were woken or handed out."""
    enqueue = timer_enqueuer()
    smallest = current_app.config.get("TIMER_HANDOUT_MIN", 200)
    if enqueue is None or len(_due_instances(smallest + 1)) <= smallest:
        woken = 0
        while (fired := fire_due()) > 0:
            woken += fired
            if not still_leader():
                break
        return woken
    return hand_out(enqueue, current_app.config.get("TIMER_BATCH", 200), still_leader=still_leader)


def hand_out(enqueue: Callable[[list[int]], None], batch: int = 200, limit: int = 200_000,
             still_leader: Callable[[], bool] = lambda: True) -> int:
    """Lease the due timers of up to `limit` instances and enqueue them in batches of `batch` instance ids.
    Each batch is claimed by a guarded update (only rows still due move to the lease; RETURNING says which):
    a batch another scheduler claimed meanwhile (a leadership change mid-wave) is not enqueued twice."""
    ids = _due_instances(limit)
    handed = 0
    for start in range(0, len(ids), batch):
        if start and not still_leader():
            break
        now = utcnow()
        with unit_of_work() as session:
            claimed = list(dict.fromkeys(session.execute(
                update(T).where(T.c.instance_id.in_(ids[start:start + batch]), T.c.due_at <= now)
                .values(due_at=now + HANDOUT_LEASE).returning(T.c.instance_id)).scalars()))
            session.commit()
        if claimed:
            enqueue(claimed)
            handed += len(claimed)
    return handed


def fire_instances(instance_ids: list[int]) -> int:
    """A worker's part of a wave: wake these instances in one batch (one read of their states, one write of
    every step, one durable commit: `batch.wake`); if any of them fails or moved meanwhile, each is woken on
    its own so that one bad instance holds up no other."""
    try:
        return batch.wake(instance_ids, _refresh)
    except (EngineError, StaleWrite):
        log.info("a batch of %d timers is fired one by one", len(instance_ids))
    woken = 0
    for instance_id in instance_ids:
        try:
            advance(instance_id, _refresh)
            woken += 1
        except EngineError as err:  # an incident was recorded, or it ended meanwhile: its lease ends by itself
            log.warning("timer of instance %s: %s", instance_id, err)
    return woken


def next_due():
    """The earliest pending due time, so the scheduler can sleep until then."""
    return read(
        select(T.c.due_at).join(ProcessInstance, ProcessInstance.id == T.c.instance_id)
        .where(ProcessInstance.status == "running").order_by(T.c.due_at).limit(1)
    ).scalar()
