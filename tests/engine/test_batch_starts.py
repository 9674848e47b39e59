"""Starting many instances in one transaction (engine.start_instances): the same rows as one start each, ids in
the order given, all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import engine
from app.engine.models import HistoryEvent, OpenTask, OpenTaskOwner, ProcessInstance
from app.notifications.models import Notification
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, events, make_user


def _task(instance_id: int) -> tuple:
    task = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).scalar_one()
    owners = set(db.session.execute(select(OpenTaskOwner.user_id).where(OpenTaskOwner.open_task_id == task.id))
                 .scalars())
    return (task.spec_id, task.name, task.lane, task.business_key, engine.scope_of(instance_id),
            task.due_at is not None, owners)


def test_a_batch_start_writes_what_single_starts_write(ctx, unique):
    definition = deploy_one(b.simple(f"p_{unique}"))
    users = [make_user(f"u{i}_{unique}") for i in range(3)]
    single = engine.start_instance(definition, {"amount": 1, "lane_owners": {"staff": [users[0]]}},
                                   business_key=f"K0-{unique}", scope={"college": 5, "employer": None})
    starts = [engine.NewInstance({"amount": i, "lane_owners": {"staff": [users[i]]}}, f"K{i}-{unique}", users[0],
                                 {"college": i} if i else {})
              for i in range(3)]
    ids = engine.start_instances(definition, starts, batch=2)  # two transactions
    assert len(set(ids)) == 3 and single not in ids
    rows = {r.id: r for r in db.session.execute(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))
            .scalars()}
    assert [rows[i].business_key for i in ids] == [f"K{i}-{unique}" for i in range(3)]
    assert {(r.status, r.version, r.started_by) for r in rows.values()} == {("running", 1, users[0])}
    for i, instance_id in enumerate(ids):
        assert events(instance_id) == events(single)
        assert _task(instance_id)[:3] == _task(single)[:3]
        assert _task(instance_id)[3:] == (f"K{i}-{unique}", {"college": str(i)} if i else {}, True, {users[i]})
        assert engine.get_state(instance_id).data["total"] == 2 * i
    assert engine.scope_of(single) == {"college": "5"}  # a key given None carries no scope
    # the history rows point at their own instance, and every step's reportable data went with it
    started = dict(db.session.execute(select(HistoryEvent.instance_id, HistoryEvent.data).where(
        HistoryEvent.instance_id.in_(ids), HistoryEvent.event_type == "instance_started")).all())
    assert {i: started[instance_id]["amount"] for i, instance_id in enumerate(ids)} == {0: 0, 1: 1, 2: 2}
    # the batch's new tasks are announced to their owners (in one transaction), not to whoever started them
    # (users[0]'s one notice is of the single start's task)
    told = dict(db.session.execute(select(Notification.user_id, func.count()).where(
        Notification.user_id.in_(users)).group_by(Notification.user_id)).all())
    assert told == {users[0]: 1, users[1]: 1, users[2]: 1}
    guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == ids[2])).scalar_one()
    db.session.rollback()
    engine.complete_task(guid, {"approved": True}, users[2])
    assert engine.get_state(ids[2]).status == "completed"


def test_a_batch_with_a_failing_start_writes_nothing(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.script("calc", "y = 10 / n"), b.user("u"), b.end(),
                    b.chain("start", "calc", "u", "end"))
    definition = deploy_one(xml)
    with pytest.raises(engine.ProcessError) as err:
        engine.start_instances(definition, [engine.NewInstance({"n": n}) for n in (1, 2, 0, 3)])
    assert err.value.spec_id == "calc"
    assert db.session.execute(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.process_key == f"p_{unique}")).scalar() == 0
    db.session.rollback()
    # inside a caller's unit of work left without its commit, a whole batch goes with the caller's rows
    with unit_of_work():
        ids = engine.start_instances(definition, [engine.NewInstance({"n": n}) for n in (1, 2)])
        assert len(ids) == 2
    assert db.session.execute(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.process_key == f"p_{unique}")).scalar() == 0
    db.session.rollback()
