"""Who may see and do what: the pure object rules over a `Principal`, and the same rules as SQL clauses.

The rules take no Flask and no session; the `*_clause` functions turn them into SQL filters so that lists
never show a row the detail page would refuse. Who the principal is and what its roles allow:
app/identity/principal.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Boolean, ColumnElement, and_, false, or_, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from app.engine import instances_in_scope, scope_text
from app.engine.models import HistoryEvent, OpenTask, OpenTaskOwner, OpenTaskScope, ProcessInstance
from app.identity.principal import Principal


def _lane_scope_clause(lane: str, scope: str, principal: Principal) -> ColumnElement:
    """A lane's open tasks within a role's scope: all of the lane's, or those whose scope key holds one of the
    principal's values, found through the tasks' own copy of their scope (open_task_scope: lane, key, value)."""
    if scope == "all":
        return OpenTask.lane == lane
    if scope == "none" or not principal.holds(scope):
        return false()
    # the lane is matched on the copy alone: a condition on open_task.lane would tempt the planner to read
    # every task of the lane through its index instead of fetching just these by id
    return _AnyOf(OpenTask.id, select(OpenTaskScope.open_task_id).where(
        OpenTaskScope.lane == lane, OpenTaskScope.key == scope,
        OpenTaskScope.value.in_(sorted({scope_text(v) for v in principal.holds(scope)}))))


class _AnyOf(ColumnElement):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL: the planner then runs
    the subquery first and fetches just those rows by index; with IN it joins, reading every task of the lane
    when it guesses a probe per id costs more (100,000 open tasks: 2.6 ms against 17-30 ms)."""

    inherit_cache = True  # cacheable: its parts are traversed like any clause's (a compile per query costs ms)
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("subquery", InternalTraversal.dp_clauseelement)]
    type = Boolean()

    def __init__(self, column, subquery) -> None:
        self.column = column
        self.subquery = subquery


@compiles(_AnyOf)
def _any_of(element: _AnyOf, compiler, **kw) -> str:
    return compiler.process(element.column.in_(element.subquery), **kw)


@compiles(_AnyOf, "postgresql")
def _any_of_postgresql(element: _AnyOf, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.subquery, **kw)}))"


def real_task() -> ColumnElement:
    """Not a task of a test run (those are worked on the modeler's test-run page, never in an inbox)."""
    return OpenTask.instance_id.not_in(select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True)))


def group_task_clause(principal: Principal) -> ColumnElement:
    """Tasks offered to this principal's groups: lane in a role's lanes, within scope, not addressed."""
    parts = [_lane_scope_clause(lane, scope, principal) for lane, scope in principal.lanes_in_scope().items()]
    if not parts:
        return false()
    return and_(or_(*parts), OpenTask.addressed.is_(False), real_task())


def personal_task_ids(principal: Principal):
    """Ids of the tasks assigned or addressed to this principal: a small set found through two indexes, so
    queries filter with `id IN (...)` instead of an OR that would scan the whole table."""
    return select(OpenTask.id).where(OpenTask.id.in_(
        select(OpenTaskOwner.open_task_id).where(OpenTaskOwner.user_id == principal.id).union(
            select(OpenTask.id).where(OpenTask.assignee_id == principal.id))), real_task())


def visible_task_ids(principal: Principal):
    """Ids of every open task this principal may see: his own and his groups', each set found through its own
    indexes (a task may be in both: a group task he claimed)."""
    return union_all(personal_task_ids(principal), select(OpenTask.id).where(group_task_clause(principal)))


def task_clause(principal: Principal) -> ColumnElement:
    """Every open task this principal may see (and so open): `id = ANY(ARRAY(his ids))` on PostgreSQL. As an OR of
    the personal and group conditions it read the whole task table and compared each row with every id of his
    groups' tasks in turn (100,000 open tasks, 1,747 in a counselor's groups: 1.8 s)."""
    return _AnyOf(OpenTask.id, visible_task_ids(principal))


@dataclass(frozen=True)
class TaskFacts:
    assignee_id: int | None
    lane: str | None
    scope: Mapping[str, str]  # its instance's scope: key -> value (text)
    owner_ids: frozenset[int]


def can_see_task(principal: Principal, task: TaskFacts) -> bool:
    if task.assignee_id == principal.id or principal.id in task.owner_ids:
        return True
    if task.owner_ids:
        return principal.can("task.reassign") and _in_scope(principal, task, "all")
    scope = principal.lanes_in_scope().get(task.lane or "")
    if scope is not None and _in_scope(principal, task, scope):
        return True
    return principal.can("task.reassign") and _in_scope(principal, task, "all")


def _in_scope(principal: Principal, task: TaskFacts, scope: str) -> bool:
    if scope == "all":
        return any(r.scope == "all" for r in principal.grants)
    if scope == "none" or scope not in task.scope:
        return False
    return task.scope[scope] in {scope_text(v) for v in principal.holds(scope)}


def can_be_assigned(candidate: Principal, task: TaskFacts) -> bool:
    """Whether the task may be given to this person at all (claim or reassignment): a task addressed to
    people by name (a party's signing task, the student's own form) only to one of them; a group task only
    to someone who works that lane within the task's scope."""
    if not candidate.can("task.work"):
        return False
    if task.owner_ids:
        return candidate.id in task.owner_ids
    scope = candidate.lanes_in_scope().get(task.lane or "")
    return scope is not None and _in_scope(candidate, task, scope)


def can_work_task(principal: Principal, task: TaskFacts) -> bool:
    """Fill in and complete: the assignee, if the task could be given to him (a task handed to the wrong
    person by an earlier version stays closed to him); a task addressed to people by name needs no claim
    first, a group task does (as in Camunda Tasklist), so two people never fill in the same one."""
    if not can_be_assigned(principal, task):
        return False
    if task.assignee_id is not None:
        return task.assignee_id == principal.id
    return principal.id in task.owner_ids


def can_claim_task(principal: Principal, task: TaskFacts) -> bool:
    if task.assignee_id is not None or not can_be_assigned(principal, task):
        return False
    return principal.id in task.owner_ids or principal.can("task.claim")


def can_reassign_task(principal: Principal, task: TaskFacts) -> bool:
    return principal.can("task.reassign") and can_see_task(principal, task)


def instance_clause(principal: Principal) -> ColumnElement:
    """Instances this principal may open: own requests, participation, or by role scope; a test run only for
    the one who started it."""
    return and_(_instance_clause(principal),
                or_(ProcessInstance.is_test.is_(False), ProcessInstance.started_by == principal.id))


def _instance_clause(principal: Principal) -> ColumnElement:
    """One id set, each part found through its own index: as an OR of per-row conditions (EXISTS, IN) the
    planner read every instance and tested each (a counselor's My processes, 50,000 instances: 5 s)."""
    if principal.can("instance.view_all"):
        return true()
    parts = [select(ProcessInstance.id).where(ProcessInstance.started_by == principal.id),
             select(HistoryEvent.instance_id).where(HistoryEvent.actor_id == principal.id),
             select(OpenTask.instance_id).where(task_clause(principal))]
    for key in sorted(principal.scopes - {"all", "none"}):
        if principal.holds(key):
            parts.append(instances_in_scope(key, principal.holds(key)))
    return _AnyOf(ProcessInstance.id, union_all(*parts))
