"""Task inbox queries (Camunda Tasklist's views): each is one indexed query on the open-task mirror."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select, union_all

from app.engine import scope_of
from app.engine.models import HistoryEvent, OpenTask, OpenTaskOwner, ProcessDefinition, ProcessInstance, TaskSubmission
from app.identity.access import Principal, TaskFacts, group_task_clause, personal_task_ids, task_clause
from app.identity.guards import current_policy
from app.identity.models import User
from app.identity.queries import assignable_users, principal_of
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.platform.extensions import db

VIEWS = ("mine", "groups", "unassigned", "overdue", "today", "completed")
SORTS = {
    "created": OpenTask.created_at.desc(),
    "created_asc": OpenTask.created_at.asc(),
    "due": OpenTask.due_at.asc().nulls_last(),
    "name": OpenTask.name.asc(),
    "process": OpenTask.process_name.asc(),
}
PAGE_SIZE = 25


@dataclass
class InboxQuery:
    view: str = "mine"
    process_key: str | None = None
    business_key: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    sort: str = "created"
    page: int = 1


@dataclass
class InboxPage:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def view_clause(principal: Principal, view: str, now: datetime | None = None):
    now = now or utcnow()
    if view == "mine":  # the landing view: what waits for me, including my groups' tasks I may claim
        personal = and_(OpenTask.id.in_(personal_task_ids(principal)),
                        or_(OpenTask.assignee_id == principal.id, OpenTask.assignee_id.is_(None)))
        if not (principal.can("task.claim") and principal.can("task.work")):
            return personal
        # two id sets, each found through its own indexes (an OR of both would scan the table); disjoint,
        # as group tasks are neither addressed nor assigned
        return OpenTask.id.in_(union_all(
            select(OpenTask.id).where(personal),
            select(OpenTask.id).where(OpenTask.assignee_id.is_(None), group_task_clause(principal))))
    if view == "groups":
        return and_(OpenTask.assignee_id.is_(None), group_task_clause(principal))
    if view == "unassigned":
        return and_(OpenTask.assignee_id.is_(None), task_clause(principal))
    if view == "overdue":
        return and_(task_clause(principal), OpenTask.due_at < now)
    if view == "today":
        start = datetime.combine(now.astimezone(LOCAL_TZ).date(), time.min, LOCAL_TZ)
        return and_(task_clause(principal), OpenTask.due_at >= start, OpenTask.due_at < start + timedelta(days=1))
    raise ValueError(view)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _filters(q: InboxQuery) -> list:
    filters = []
    if q.process_key:
        filters.append(OpenTask.process_key == q.process_key)
    if q.business_key:  # the key as the user knows it: the business key, an agreement number, a name
        text = _like_escaped(q.business_key)
        filters.append(or_(OpenTask.business_key.like(text + "%", escape="\\"),
                           OpenTask.search_text.like("%" + text.lower() + "%", escape="\\")))
    if q.due_before:
        filters.append(OpenTask.due_at < datetime.combine(q.due_before + timedelta(days=1), time.min, LOCAL_TZ))
    if q.due_after:
        filters.append(OpenTask.due_at >= datetime.combine(q.due_after, time.min, LOCAL_TZ))
    return filters


def list_tasks(principal: Principal, q: InboxQuery) -> InboxPage:
    if q.view == "completed":
        return completed_by(principal, q)
    where = [view_clause(principal, q.view), *_filters(q)]
    total = db.session.execute(select(func.count()).select_from(OpenTask).where(*where)).scalar()
    page = max(1, q.page)
    rows = db.session.execute(
        select(OpenTask.id, OpenTask.task_guid, OpenTask.name, OpenTask.lane, OpenTask.process_key,
               OpenTask.process_name, OpenTask.business_key, OpenTask.assignee_id, OpenTask.addressed,
               OpenTask.due_at, OpenTask.created_at, OpenTask.instance_id, OpenTask.summary,
               User.display_name.label("assignee_name"), ProcessInstance.status.label("instance_status"))
        .join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
        .outerjoin(User, User.id == OpenTask.assignee_id)
        .where(*where).order_by(SORTS.get(q.sort, SORTS["created"]), OpenTask.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return InboxPage(rows, total, page, max(1, -(-total // PAGE_SIZE)))


def completed_by(principal: Principal, q: InboxQuery) -> InboxPage:
    where = [HistoryEvent.actor_id == principal.id, HistoryEvent.event_type == "task_completed"]
    if q.process_key:
        where.append(HistoryEvent.process_key == q.process_key)
    if q.business_key:
        where.append(HistoryEvent.business_key.like(_like_escaped(q.business_key) + "%", escape="\\"))
    total = db.session.execute(select(func.count()).select_from(HistoryEvent).where(*where)).scalar()
    page = max(1, q.page)
    rows = db.session.execute(
        select(HistoryEvent.id, HistoryEvent.task_name.label("name"), HistoryEvent.lane, HistoryEvent.process_key,
               HistoryEvent.business_key, HistoryEvent.at, HistoryEvent.instance_id, HistoryEvent.task_guid,
               ProcessDefinition.name.label("process_name"), TaskSubmission.id.label("submission_id"))
        .join(ProcessInstance, ProcessInstance.id == HistoryEvent.instance_id)
        .outerjoin(TaskSubmission, and_(TaskSubmission.task_guid == HistoryEvent.task_guid,
                                        TaskSubmission.actor_id == HistoryEvent.actor_id))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(*where).order_by(HistoryEvent.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return InboxPage(rows, total, page, max(1, -(-total // PAGE_SIZE)))


def my_submission(principal: Principal, task_guid: str) -> TaskSubmission | None:
    """What this user submitted when completing that task (the newest, should a task be submitted twice)."""
    return db.session.execute(select(TaskSubmission).where(
        TaskSubmission.task_guid == task_guid, TaskSubmission.actor_id == principal.id)
        .order_by(TaskSubmission.id.desc()).limit(1)).scalar()


def instance_status(instance_id: int) -> str | None:
    return db.session.execute(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)).scalar()


def suspension_reason(instance_id: int) -> str | None:
    """Why the instance was suspended (the reason given with the latest suspension), if one was given."""
    data = db.session.execute(select(HistoryEvent.data).where(
        HistoryEvent.instance_id == instance_id, HistoryEvent.event_type == "instance_suspended")
        .order_by(HistoryEvent.id.desc()).limit(1)).scalar()
    return (data or {}).get("reason")


def badge_count(principal: Principal) -> int:
    return db.session.execute(select(func.count()).select_from(OpenTask)
                              .where(view_clause(principal, "mine"))).scalar()


def process_choices() -> list[tuple[str, str]]:
    """The processes to filter by: every deployed one (a small table; the task table is not scanned)."""
    return [tuple(r) for r in db.session.execute(
        select(ProcessDefinition.process_key, func.max(ProcessDefinition.name))
        .group_by(ProcessDefinition.process_key).order_by(ProcessDefinition.process_key)).all()]


def task_facts(task_guid: str):
    """The open task and what the access rules need to know about it; None when it is not open. One statement,
    so a task completed meanwhile is seen either whole or gone (never open without its owners)."""
    rows = db.session.execute(
        select(OpenTask, OpenTaskOwner.user_id).outerjoin(OpenTaskOwner, OpenTaskOwner.open_task_id == OpenTask.id)
        .where(OpenTask.task_guid == task_guid)).all()
    if not rows:
        return None, None
    task = rows[0][0]
    owners = frozenset(user_id for _task, user_id in rows if user_id is not None)
    return task, TaskFacts(task.assignee_id, task.lane, scope_of(task.instance_id), owners)


def assignee_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return db.session.execute(select(User.display_name).where(User.id == user_id)).scalar()


def assignees(facts: TaskFacts) -> list[User]:
    """Whom the reassign picker offers: everyone the task may be given to (app.identity.access.can_be_assigned)."""
    return assignable_users(facts, current_policy())


def other_claimants(facts: TaskFacts, user_id: int, shown: int = 8) -> tuple[list[str], bool]:
    """Who else may take a group task, by name, for the preview before a claim: at most `shown` names, and
    whether there are more (only a few accounts are looked at, so the page stays cheap in a large lane)."""
    policy = current_policy()
    names = [user.display_name for user in assignable_users(facts, policy, limit=shown + 2)
             if user.id != user_id and principal_of(user, policy).can("task.claim")]
    return names[:shown], len(names) > shown
