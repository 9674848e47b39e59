"""Reading processes for people: what a user may start, the requests he started, an instance's page (diagram
state, timeline, tasks), the instances overview and the deployed definitions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from app import engine
from app.engine.models import HistoryEvent, Incident, OpenTask, ProcessDefinition, ProcessInstance, TaskSubmission
from app.identity.access import Principal, instance_clause, task_clause
from app.identity.models import User
from app.platform.extensions import db
from app.platform.source_texts import translate_bpmn

STATUSES = ("running", "suspended", "completed", "terminated")


@dataclass
class InstanceDetail:
    instance: ProcessInstance
    definition: ProcessDefinition
    completed_elements: list[str]
    active_elements: list[str]
    timeline: list
    tasks: list
    incidents: list
    business: list


def startable(principal: Principal) -> list[ProcessDefinition]:
    return sorted((d for d in engine.latest_definitions() if set(d.starter_roles or ()) & principal.roles),
                  key=lambda d: d.name)


def started_by(principal: Principal, limit: int = 200) -> list:
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.created_at, ProcessInstance.ended_at, ProcessDefinition.name,
               ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.started_by == principal.id)
        .order_by(ProcessInstance.id.desc()).limit(limit)).all()


def timeline(instance_id: int) -> list:
    """The instance's history with the names of the people who acted."""
    return db.session.execute(
        select(HistoryEvent, User.display_name).outerjoin(User, User.id == HistoryEvent.actor_id)
        .where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.id)).all()


# What people other than the administrators read in a history: what happened in the business (started,
# a person's step done with its outcome, held, ended), not how the engine got there (jobs, timers, tasks
# becoming ready); the administrator's instance page keeps every event.
BUSINESS_EVENTS = ("instance_started", "task_claimed", "task_completed", "instance_suspended", "instance_resumed",
                   "instance_completed", "instance_terminated")


def business_timeline(instance_id: int) -> list:
    """The instance's history as the people in it read it (BUSINESS_EVENTS): (event, who acted, outcome), the
    outcome being the decision the person submitted with a completed task (a form field named `*_decision`:
    approve, return, reject, accept, refuse, agree), else None."""
    rows = db.session.execute(
        select(HistoryEvent, User.display_name, TaskSubmission.data)
        .outerjoin(User, User.id == HistoryEvent.actor_id)
        .outerjoin(TaskSubmission, and_(TaskSubmission.task_guid == HistoryEvent.task_guid,
                                        HistoryEvent.event_type == "task_completed"))
        .where(HistoryEvent.instance_id == instance_id, HistoryEvent.event_type.in_(BUSINESS_EVENTS))
        .order_by(HistoryEvent.id)).all()
    return [(event, actor, _decision(submitted)) for event, actor, submitted in rows]


def _decision(submitted: dict | None) -> str | None:
    for key, value in (submitted or {}).items():
        if key.endswith("_decision") and isinstance(value, str):
            return value
    return None


def instance_summary(instance_id: int):
    """(id, business key, status, process name) of an instance, for a page that links back to it."""
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status, ProcessDefinition.name)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id == instance_id)).one_or_none()


def task_actor(instance_id: int, spec_id: str | None) -> tuple[int | None, str | None]:
    """Who completed the latest run of user task `spec_id` in this instance, and from which client address
    ((None, None): nobody, e.g. a timer). Service tasks record the person a step is about with it."""
    if not spec_id:
        return None, None
    row = db.session.execute(
        select(HistoryEvent.actor_id, HistoryEvent.remote_addr)
        .where(HistoryEvent.instance_id == instance_id, HistoryEvent.task_spec_id == spec_id,
               HistoryEvent.event_type == "task_completed")
        .order_by(HistoryEvent.id.desc()).limit(1)).one_or_none()
    return (row.actor_id, row.remote_addr) if row is not None else (None, None)


def diagram_xml(principal: Principal, instance_id: int) -> str | None:
    """The BPMN source of a visible instance's definition (for the diagram), its names (process, lanes,
    tasks, events, flows) in the reader's language; None when not visible."""
    instance = visible_instance(principal, instance_id)
    if instance is None:
        return None
    return translate_bpmn(db.session.get(ProcessDefinition, instance.definition_id).bpmn_xml)


def visible_instance(principal: Principal, instance_id: int) -> ProcessInstance | None:
    return db.session.execute(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, instance_clause(principal))).scalar_one_or_none()


def detail(principal: Principal, instance_id: int) -> InstanceDetail | None:
    instance = visible_instance(principal, instance_id)
    if instance is None:
        return None
    definition = db.session.get(ProcessDefinition, instance.definition_id)
    state = engine.get_state(instance_id)
    events = timeline(instance_id)
    tasks = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id,
                                                      task_clause(principal))).scalars().all()
    incidents = []
    if principal.can("incident.manage"):
        incidents = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)
                                       .order_by(Incident.id.desc())).scalars().all()
    return InstanceDetail(instance, definition, state.completed_elements, state.active_elements,
                          events, tasks, incidents, business_timeline(instance_id))


def overview(principal: Principal, status: str | None, process_key: str | None, page: int = 1,
             page_size: int = 50):
    where = [instance_clause(principal)]
    if status in STATUSES:
        where.append(ProcessInstance.status == status)
    if process_key:
        where.append(ProcessInstance.process_key == process_key)
    rows = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status, ProcessInstance.created_at,
               ProcessInstance.updated_at, ProcessDefinition.name, ProcessDefinition.version,
               User.display_name.label("starter"))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(User, User.id == ProcessInstance.started_by)
        .where(*where).order_by(ProcessInstance.id.desc()).limit(page_size).offset((page - 1) * page_size)).all()
    counts = dict(db.session.execute(select(ProcessInstance.status, func.count()).where(instance_clause(principal))
                                     .group_by(ProcessInstance.status)).all())
    open_incidents = db.session.execute(
        select(Incident, ProcessInstance.process_key).join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(Incident.resolved_at.is_(None)).order_by(Incident.id.desc()).limit(100)).all() \
        if principal.can("incident.manage") else []
    return rows, counts, open_incidents
