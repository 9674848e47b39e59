"""Notifications about work: a task became ready for you (or for your group), a task was assigned to you.

Fed by the engine's history events after each step commits (`on_engine_events`, registered with the
engine at app creation). The engine knows nothing about notifications; this module reads the open-task
mirror to find who should act, as the inbox does.

An area can say what a particular task means for the person it waits for, instead of the generic "new
task" text: `TaskNotice(process_key, task_spec_id, build)` in its registration (`Area.task_notices`), where
`build(task) -> Notice` (e.g. the student's answer task of a tripartite agreement is "New offer from
<employer>").
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.engine import scope_of
from app.engine.models import OpenTask, OpenTaskOwner
from app.notifications.kinds import N_, Kind, moment, translated
from app.notifications.links import path_for
from app.notifications.services import notify
from app.platform.extensions import db
from app.platform.uow import unit_of_work

log = logging.getLogger(__name__)
OT = OpenTask.__table__

ASSIGNED = Kind("task.assigned", N_("New task for you: %(task)s"),
                N_("%(process)s %(key)s is waiting for you. Due: %(due)s"))
GROUP_WAITING = Kind("task.group_waiting", N_("Waiting in your group: %(task)s"),
                     N_("%(process)s %(key)s can be claimed by you or a colleague. Due: %(due)s"))


@dataclass(frozen=True)
class Notice:
    """What an area wants to say when one of its tasks becomes ready for someone."""
    kind: str
    params: dict = field(default_factory=dict)
    link: str | None = None
    key: str | None = None  # defaults to one notification per task and person


@dataclass(frozen=True)
class TaskNotice:
    """For the task `task_spec_id` of process `process_key`: `build(task)` (the open_task row) says what its
    becoming ready means, or None for the generic text."""
    process_key: str
    task_spec_id: str
    build: Callable[[Any], Notice | None]


_notices: dict[tuple[str, str], Callable[[Any], Notice | None]] = {}


def register_task_notice(notice: TaskNotice) -> None:
    """Done for each area's `task_notices` when the app starts."""
    _notices[(notice.process_key, notice.task_spec_id)] = notice.build


def on_engine_events(events: list[dict]) -> None:
    """After a committed engine step (or a batch of them: a wave of timers): notify whoever a new task waits
    for, and a user a task was given to by someone else. Never raises: the steps are saved whatever happens
    here."""
    ready = [event for event in events if event["event_type"] == "task_ready"]
    if ready:
        _tell_waiting(ready)
    for event in events:
        try:
            if event["event_type"] == "task_reassigned":
                assignee = (event.get("data") or {}).get("assignee_id")
                if assignee and assignee != event.get("actor_id"):
                    _task_given(event["task_guid"], assignee)
        except Exception:  # noqa: BLE001
            log.exception("notification for %s of task %s failed", event["event_type"], event.get("task_guid"))


@contextmanager
def _reading() -> Iterator[Connection]:
    """A connection in autocommit mode: these reads open no transaction and take no lock (SQLite), so a step
    that makes a task nobody is to be told about costs a couple of indexed reads and nothing else."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def _open_task(conn: Connection, task_guid: str):
    return conn.execute(select(OT).where(OT.c.task_guid == task_guid)).one_or_none()


def _tell_waiting(ready: list[dict]) -> None:
    """Notify whoever the new tasks wait for: a batch's notices in one transaction (one commit for a wave of
    timers, not one per task); if that fails, each on its own, so that one bad notice stops no other."""
    try:
        waiting = _waiting_for([event["task_guid"] for event in ready])
    except Exception:  # noqa: BLE001
        log.exception("notifications for %d new tasks failed", len(ready))
        return
    notices = [(waiting[e["task_guid"]][0], [u for u in waiting[e["task_guid"]][1] if u != e.get("actor_id")])
               for e in ready if e["task_guid"] in waiting]
    if len(notices) > 1:
        try:
            with unit_of_work() as uow:
                for task, recipients in notices:
                    _task_ready(task, recipients)
                uow.commit()
            return
        except Exception:  # noqa: BLE001 - told one by one below
            log.warning("notifications for %d new tasks are sent one by one", len(notices), exc_info=True)
    for task, recipients in notices:
        try:
            _task_ready(task, recipients)
        except Exception:  # noqa: BLE001
            log.exception("notification for task_ready of task %s failed", task.task_guid)


def _waiting_for(task_guids: list[str]) -> dict[str, tuple[Any, list[int]]]:
    """The new tasks still open (not done already by a fast worker, nor cancelled) with who they wait for,
    read on one connection whatever their number."""
    found = {}
    with _reading() as conn:
        for start in range(0, len(task_guids), 1000):
            for task in conn.execute(select(OT).where(OT.c.task_guid.in_(task_guids[start:start + 1000]))):
                found[task.task_guid] = (task, task_candidates(task, conn))
    return found


def _task_ready(task, recipients: list[int]) -> None:
    """Tell everyone the new task waits for (but whoever's action opened it: they are looking at it)."""
    if not recipients:
        return
    with unit_of_work() as uow:
        builder = _notices.get((task.process_key, task.spec_id))
        notice = builder(task) if builder else None
        if notice is None:
            addressed = task.assignee_id is not None or task.addressed
            notice = Notice(ASSIGNED.name if addressed else GROUP_WAITING.name, generic_params(task),
                            path_for("tasks.show", task_guid=task.task_guid))
        notify(recipients, notice.kind, params=notice.params, link=notice.link,
               key=notice.key or f"task:{task.task_guid}:ready")
        uow.commit()


def _task_given(task_guid: str, user_id: int) -> None:
    with _reading() as conn:
        task = _open_task(conn, task_guid)
    if task is None or task.assignee_id != user_id:  # changed again meanwhile
        return
    notify([user_id], ASSIGNED.name, params=generic_params(task),
           link=path_for("tasks.show", task_guid=task.task_guid), key=f"task:{task.task_guid}:to:{user_id}")


def generic_params(task) -> dict:
    return {"task": translated(task.name), "process": translated(task.process_name),
            "key": task.business_key or "", "due": moment(task.due_at) if task.due_at else "—"}


def task_candidates(task, conn: Connection | Session | None = None) -> list[int]:
    """Who should act on an open task (a row of open_task): its assignee, else the people it is addressed to,
    else everyone whose role may take its lane's group tasks within the task's scope (administrators
    excepted: they may take anything, and would be told about everything)."""
    from app.identity.guards import current_policy
    from app.identity.models import User, UserRole
    from app.identity.scopes import holders_clause

    conn = conn if conn is not None else db.session
    if task.assignee_id is not None:
        return [task.assignee_id]
    if task.addressed:  # to people by name (BPMN lane_owners)
        return sorted(conn.execute(select(OpenTaskOwner.user_id).where(OpenTaskOwner.open_task_id == task.id)
                                   ).scalars().all())
    found: set[int] = set()
    scope = scope_of(task.instance_id, conn)
    for role in current_policy().values():
        if task.lane not in role.lanes or role.scope == "none" or "instance.manage" in role.permissions:
            continue
        query = select(User.id).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == role.name, User.active.is_(True))
        if role.scope != "all":
            query = query.where(holders_clause(role.scope, scope))
        found.update(conn.execute(query).scalars())
    return sorted(found)
