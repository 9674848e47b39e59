"""Use cases around starting processes from the portal."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.engine.definitions import latest_definitions
from app.engine.models import OpenTask, OpenTaskOwner, ProcessDefinition, ProcessInstance
from app.models import Student, User
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.services.access import Principal


class NotStartable(Exception):
    """The process does not exist or this user may not start it."""


def startable(principal: Principal) -> list[ProcessDefinition]:
    return sorted((d for d in latest_definitions() if set(d.starter_roles or ()) & principal.roles),
                  key=lambda d: d.name)


def starter_data(user: User, student: Student | None) -> dict:
    data = {"starter": {"id": user.id, "name": user.display_name, "username": user.username}}
    if student is not None:
        data["student"] = {"user_id": user.id, "name": user.display_name, "student_no": student.student_no,
                           "college_id": student.college_id, "major_id": student.major_id,
                           "graduation_year": student.graduation_year, "degree": student.degree}
    return data


def start_process(principal: Principal, process_key: str, remote_addr: str | None = None
                  ) -> tuple[int, str | None]:
    """Start the latest version for the signed-in user; returns the instance and, if any, its first task for
    the starter (the starter's lane is addressed to the starter alone)."""
    definition = next((d for d in startable(principal) if d.process_key == process_key), None)
    if definition is None:
        raise NotStartable(process_key)
    user = db.session.get(User, principal.id)
    student = db.session.get(Student, principal.id)
    data = starter_data(user, student)
    if definition.starter_lane:
        data["lane_owners"] = {definition.starter_lane: [principal.id]}
    with unit_of_work():
        instance_id = engine.start_instance(
            definition, data, started_by=principal.id, college_id=student.college_id if student else None,
            employer_id=user.employer_id, remote_addr=remote_addr)
    task_guid = db.session.execute(
        select(OpenTask.task_guid).join(OpenTaskOwner, OpenTaskOwner.open_task_id == OpenTask.id)
        .where(OpenTask.instance_id == instance_id, OpenTaskOwner.user_id == principal.id).limit(1)).scalar()
    return instance_id, task_guid


def started_by(principal: Principal, limit: int = 200) -> list:
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.created_at, ProcessInstance.ended_at, ProcessDefinition.name,
               ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.started_by == principal.id)
        .order_by(ProcessInstance.id.desc()).limit(limit)).all()
