"""Demo data made through the processes: a person's step on an open task, at a controlled time."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import select

from app import engine
from app.engine.models import OpenTask
from app.identity.models import User
from app.platform.db_types import clock_at
from app.platform.extensions import db


def demo_user_id(username: str) -> int:
    found = db.session.execute(select(User.id).where(User.username == username)).scalar()
    db.session.rollback()
    if found is None:
        raise LookupError(f"demo account {username} missing")
    return found


def work_task(spec_id: str, data: dict, actor: int, *, instance_id: int | None = None,
              business_key: str | None = None, at: datetime | None = None, claim: bool = False) -> bool:
    """A person completes the open task `spec_id` of an instance (found by id or business key), at `at` when
    given; a group task is claimed first, as in the inbox. False when there is no such open task."""
    found_by = OpenTask.instance_id == instance_id if instance_id is not None else OpenTask.business_key == business_key
    with clock_at(at) if at is not None else nullcontext():
        guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.spec_id == spec_id, found_by)).scalar()
        db.session.rollback()
        if guid is None:
            return False
        if claim:
            engine.claim_task(guid, actor)
        engine.complete_task(guid, data, actor, submission=data)
    return True
