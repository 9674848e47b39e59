"""Long-running instances: a loop of 600 rounds keeps working and its state stays small."""
from __future__ import annotations

from sqlalchemy import func, select

from app import engine
from app.engine.compaction import THRESHOLD
from app.engine.models import HistoryEvent, OpenTask, ProcessInstance
from app.platform.extensions import db
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one


def _complete_work(instance_id: int, again: bool) -> None:
    guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id)).scalar_one()
    engine.complete_task(guid, {"again": again}, None)


def test_loop_of_600_rounds_neither_stalls_nor_grows(ctx, unique):
    definition = deploy_one(b.loop(f"p_{unique}"))
    instance_id = engine.start_instance(definition)
    sizes = {}
    for round_ in range(1, 601):
        _complete_work(instance_id, True)
        if round_ in (50, 300, 600):
            db.session.expire_all()
            sizes[round_] = len(db.session.get(ProcessInstance, instance_id).state)
    # SpiffWorkflow alone stops finding the next task after 500 rounds (its iterator's depth limit)
    assert db.session.execute(select(func.count()).select_from(OpenTask)
                              .where(OpenTask.instance_id == instance_id)).scalar() == 1
    assert sizes[600] < sizes[50] * 4  # bounded by the compaction threshold, not by the rounds done
    _complete_work(instance_id, False)
    state = engine.get_state(instance_id)
    assert state.status == "completed" and "work" in state.completed_elements and "gw" in state.completed_elements
    completed = db.session.execute(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.instance_id == instance_id, HistoryEvent.event_type == "task_completed")).scalar()
    assert completed == 601  # the history keeps every round even though the tree forgot them
    assert THRESHOLD < 600
