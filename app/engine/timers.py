"""Waking instances whose timers are due. Called by the scheduler (the single leader)."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.engine.errors import EngineError
from app.engine.models import ProcessInstance, Timer
from app.engine.runtime import advance, read
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
T = Timer.__table__
RETRY_FAILED_AFTER = timedelta(seconds=60)


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


def next_due():
    """The earliest pending due time, so the scheduler can sleep until then."""
    return read(
        select(T.c.due_at).join(ProcessInstance, ProcessInstance.id == T.c.instance_id)
        .where(ProcessInstance.status == "running").order_by(T.c.due_at).limit(1)
    ).scalar()
