"""Use cases around processes: starting one from the portal, managing instances and incidents (deploying
and migrating definitions: app/modeler). Engine refusals come out as `ProcessActionRefused` (its message is for users)."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.engine.models import OpenTask, OpenTaskOwner
from app.identity.access import Principal
from app.identity.models import Student, User
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.processes.queries import startable



class NotStartable(Exception):
    """The process does not exist or this user may not start it."""


class ProcessActionRefused(Exception):
    """The engine refused the action (the instance is not in a state that allows it...)."""


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
    try:
        with unit_of_work() as uow:
            instance_id = engine.start_instance(
                definition, data, started_by=principal.id, remote_addr=remote_addr,
                scope={"college": student.college_id if student else None, "employer": user.employer_id})
            uow.commit()
    except engine.EngineError as err:
        raise ProcessActionRefused(str(err)) from None
    task_guid = db.session.execute(
        select(OpenTask.task_guid).join(OpenTaskOwner, OpenTaskOwner.open_task_id == OpenTask.id)
        .where(OpenTask.instance_id == instance_id, OpenTaskOwner.user_id == principal.id).limit(1)).scalar()
    return instance_id, task_guid


NEEDS_REASON = ("suspend", "terminate")
MAX_REASON = 500


def manage_instance(instance_id: int, action: str, actor_id: int, remote_addr: str | None = None,
                    reason: str | None = None) -> None:
    """Suspend, resume or terminate an instance; suspending and terminating record why (ValueError without)."""
    if action in NEEDS_REASON and not (reason or "").strip():
        raise ValueError(f"{action} needs a reason")
    try:
        if action == "suspend":
            engine.suspend(instance_id, actor_id, remote_addr=remote_addr, reason=reason)
        elif action == "terminate":
            engine.terminate(instance_id, actor_id, reason=reason, remote_addr=remote_addr)
        else:
            engine.resume(instance_id, actor_id, remote_addr=remote_addr, reason=reason)
    except engine.EngineError as err:
        raise ProcessActionRefused(str(err)) from None


def retry_incident(incident_id: int, actor_id: int) -> None:
    try:
        engine.retry_incident(incident_id, actor_id)
    except engine.EngineError as err:
        raise ProcessActionRefused(str(err)) from None
