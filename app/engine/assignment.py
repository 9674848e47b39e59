"""Who works an open task: claim, unclaim, reassign. These change the inbox row only, never the workflow."""
from __future__ import annotations

from sqlalchemy import insert, select, update

from app.engine import history
from app.engine.errors import Conflict, InvalidState, NotFound
from app.engine.models import HistoryEvent, OpenTask, ProcessInstance
from app.platform.db_types import utcnow
from app.platform.uow import after_commit, unit_of_work

OT = OpenTask.__table__
PI = ProcessInstance.__table__
CLAIMED_MESSAGE = "the task was claimed by someone else"
SUSPENDED_MESSAGE = "the process is suspended: its tasks cannot be claimed or completed until it is resumed"


def _assign(task_guid: str, user_id: int | None, actor_id: int | None, event: str,
            expect_assignee: tuple[bool, int | None], remote_addr: str | None) -> None:
    with unit_of_work() as session:
        row = session.execute(
            select(OT.c.id, OT.c.instance_id, OT.c.assignee_id, OT.c.lane, OT.c.spec_id, OT.c.name,
                   OT.c.process_key, OT.c.business_key, PI.c.status).join(PI, PI.c.id == OT.c.instance_id)
            .where(OT.c.task_guid == task_guid)).one_or_none()
        if row is None:
            raise NotFound("task not found or no longer open")
        if row.status == "suspended" and user_id is not None and event == "task_claimed":
            raise InvalidState(SUSPENDED_MESSAGE)
        check, expected = expect_assignee
        stmt = update(OT).where(OT.c.task_guid == task_guid)
        if check:
            stmt = stmt.where(OT.c.assignee_id.is_(None) if expected is None else OT.c.assignee_id == expected)
        result = session.execute(stmt.values(assignee_id=user_id, claimed_at=utcnow() if user_id else None))
        if result.rowcount != 1:
            raise Conflict(CLAIMED_MESSAGE)
        event_row = dict(
            instance_id=row.instance_id, process_key=row.process_key, business_key=row.business_key,
            event_type=event, at=utcnow(), actor_id=actor_id, lane=row.lane, task_spec_id=row.spec_id,
            task_name=row.name, task_guid=task_guid,
            data={"assignee_id": user_id, "previous_assignee_id": row.assignee_id},
            remote_addr=remote_addr[:64] if remote_addr else None)
        session.execute(insert(HistoryEvent.__table__).values(**event_row))
        after_commit(lambda: history.tell_listeners([event_row]))
        session.commit()


def claim_task(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    """Take a group task; Conflict when someone else claimed it first."""
    _assign(task_guid, user_id, user_id, "task_claimed", (True, None), remote_addr)


def unclaim_task(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    _assign(task_guid, None, user_id, "task_unclaimed", (True, user_id), remote_addr)


def reassign_task(task_guid: str, new_user_id: int | None, actor_id: int, remote_addr: str | None = None) -> None:
    _assign(task_guid, new_user_id, actor_id, "task_reassigned", (False, None), remote_addr)
