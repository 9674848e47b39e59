"""Small processes and history for the reporting tests."""
from __future__ import annotations

from sqlalchemy import select, update

from app import engine
from app.engine.models import HistoryEvent, OpenTask, ProcessInstance
from app.platform.extensions import db
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one


def review_process(pid: str, lane: str):
    """start -> submit (lane) -> review (lane) -> approved? -> end_ok | end_declined"""
    xml = b.process(
        pid, b.lanes({lane: ["submit", "review"]}),
        b.start(), b.user("submit", "Submit"), b.user("review", "Review"), b.xor("ok", default="f_no"),
        b.end("end_ok"), b.end("end_declined"),
        b.chain("start", "submit", "review", "ok"),
        b.flow("f_yes", "ok", "end_ok", "approved == True"), b.flow("f_no", "ok", "end_declined"),
        reportable="approved,college,score,ratio")
    return deploy_one(xml, name=f"{pid}.bpmn")


def failing_process(pid: str):
    """start -> device (a service task failing until attempt n) -> end; no retries: the first failure is an
    incident."""
    xml = b.process(pid, b.start(), b.service("device", "test_flaky", {"succeed_on": "n"}, result="out", retries=0),
                    b.end(), b.chain("start", "device", "end"))
    return deploy_one(xml, name=f"{pid}.bpmn")


def task_guid(instance_id: int, spec_id: str) -> str:
    return db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                               OpenTask.spec_id == spec_id)).scalar_one()


def complete(instance_id: int, spec_id: str, data: dict | None = None, actor_id: int | None = None) -> None:
    engine.complete_task(task_guid(instance_id, spec_id), data or {}, actor_id)


def shift_history(instance_id: int, **moves) -> None:
    """Move the events of one instance in time: moves = {event_type or 'event_type:spec': datetime}."""
    for key, at in moves.items():
        event_type, _, spec = key.partition(":")
        where = [HistoryEvent.instance_id == instance_id, HistoryEvent.event_type == event_type]
        if spec:
            where.append(HistoryEvent.task_spec_id == spec)
        db.session.execute(update(HistoryEvent).where(*where).values(at=at))
    db.session.commit()


def mark_test_run(instance_id: int) -> None:
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(is_test=True))
    db.session.commit()
