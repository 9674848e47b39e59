"""Reading instances for people: the detail page (diagram state, timeline, tasks) and the admin overview."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app import engine
from app.engine.models import HistoryEvent, Incident, OpenTask, ProcessDefinition, ProcessInstance
from app.models import User
from app.platform.extensions import db
from app.services.access import Principal, instance_clause, task_clause

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


def visible_instance(principal: Principal, instance_id: int) -> ProcessInstance | None:
    return db.session.execute(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, instance_clause(principal))).scalar_one_or_none()


def detail(principal: Principal, instance_id: int) -> InstanceDetail | None:
    instance = visible_instance(principal, instance_id)
    if instance is None:
        return None
    definition = db.session.get(ProcessDefinition, instance.definition_id)
    state = engine.get_state(instance_id)
    timeline = db.session.execute(
        select(HistoryEvent, User.display_name).outerjoin(User, User.id == HistoryEvent.actor_id)
        .where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.id)).all()
    tasks = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id,
                                                      task_clause(principal))).scalars().all()
    incidents = []
    if principal.can("incident.manage"):
        incidents = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)
                                       .order_by(Incident.id.desc())).scalars().all()
    return InstanceDetail(instance, definition, state.completed_elements, state.active_elements,
                          timeline, tasks, incidents)


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
