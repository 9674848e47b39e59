"""The step write plan (one pipeline on PostgreSQL, Core statements on SQLite) and the per-process instance
cache: same rows on both databases, version checks, errors rolled back, stale cache entries never win."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import engine
from app.engine import instance_cache, runtime
from app.engine.models import HistoryEvent, OpenTask, OpenTaskOwner, ProcessInstance, Timer
from app.engine.step_writes import StaleWrite, StepWrites
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, events, make_user, open_tasks

OT = OpenTask.__table__
PI = ProcessInstance.__table__


def two_tasks(pid: str) -> str:
    return b.process(pid, b.start(), b.parallel("split"), b.user("a"), b.user("b"), b.parallel("join"), b.end(),
                     b.chain("start", "split"), b.flow("fa", "split", "a"), b.flow("fb", "split", "b"),
                     b.flow("fa2", "a", "join"), b.flow("fb2", "b", "join"), b.chain("join", "end", prefix="j"))


def guid_of(instance_id: int, spec_id: str) -> str:
    return next(t.task_guid for t in open_tasks(instance_id) if t.spec_id == spec_id)


def version_of(instance_id: int) -> int:
    value = db.session.execute(select(PI.c.version).where(PI.c.id == instance_id)).scalar_one()
    db.session.rollback()
    return value


@pytest.fixture
def cache_size(ctx):
    """Run with the cache on (the default) and restore the configured size afterwards."""
    before = ctx.config["ENGINE_INSTANCE_CACHE"]
    ctx.config["ENGINE_INSTANCE_CACHE"] = 64
    instance_cache.clear()
    yield ctx
    ctx.config["ENGINE_INSTANCE_CACHE"] = before
    instance_cache.clear()


# -- the write plan -----------------------------------------------------------------------------------

def test_write_plan_rows_ids_and_types(ctx, unique):
    instance_id = engine.start_instance(deploy_one(b.simple(f"p_{unique}")), {"amount": 1})
    user_id = make_user(f"u_{unique}")
    due = datetime(2026, 12, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    with unit_of_work() as session:
        writes = StepWrites()
        history = writes.insert(HistoryEvent.__table__, [
            dict(instance_id=instance_id, process_key="k", business_key=None, event_type="task_ready",
                 at=due, actor_id=None, lane=None, task_spec_id=None, task_name=None, task_guid=None, data=None),
            dict(instance_id=instance_id, process_key="k", business_key=None, event_type="timer_fired",
                 at=due, actor_id=None, lane=None, task_spec_id=None, task_name=None, task_guid=None,
                 data={"名": ["值", 1, None]}),
        ], returning=True)
        writes.insert(Timer.__table__, [dict(instance_id=instance_id, task_guid=f"g-{unique}", spec_id="t",
                                             due_at=due)])
        writes.insert(OT, [dict(instance_id=instance_id, task_guid=f"o-{unique}", spec_id="x", name="x", lane="l",
                                process_key="k", process_name="k", addressed=True, created_at=due)])
        writes.insert_children(OpenTaskOwner.__table__, OT, "task_guid", "open_task_id",
                               [(f"o-{unique}", {"user_id": user_id})])
        writes.flush(session.connection())
        session.commit()
    assert len(history.ids) == 2 and history.ids[0] < history.ids[1]
    rows = db.session.execute(select(HistoryEvent.id, HistoryEvent.at, HistoryEvent.data)
                              .where(HistoryEvent.id.in_(history.ids)).order_by(HistoryEvent.id)).all()
    assert [r.at for r in rows] == [due, due]  # stored as UTC, read back aware
    assert rows[1].data == {"名": ["值", 1, None]} and rows[0].data is None
    assert db.session.execute(select(Timer.due_at).where(Timer.task_guid == f"g-{unique}")).scalar_one() == due
    task_id = db.session.execute(select(OpenTask.id).where(OpenTask.task_guid == f"o-{unique}")).scalar_one()
    assert db.session.execute(select(OpenTaskOwner.user_id).where(OpenTaskOwner.open_task_id == task_id)
                              ).scalars().all() == [user_id]

    with unit_of_work() as session:
        writes = StepWrites()
        writes.delete(Timer.__table__, instance_id=instance_id, task_guid=[f"g-{unique}", "other"])
        writes.update(OT, {"name": "renamed"}, task_guid=f"o-{unique}")
        writes.flush(session.connection())
        session.commit()
    assert db.session.execute(select(Timer.id).where(Timer.task_guid == f"g-{unique}")).first() is None
    assert db.session.execute(select(OpenTask.name).where(OpenTask.id == task_id)).scalar_one() == "renamed"


@pytest.mark.parametrize("commit", [False, True], ids=["uow-commits", "commit-in-pipeline"])
def test_write_plan_version_check_and_errors_roll_back(ctx, unique, commit):
    instance_id = engine.start_instance(deploy_one(b.simple(f"p_{unique}")), {"amount": 1})
    guid = open_tasks(instance_id)[0].task_guid
    before = len(events(instance_id))
    db.session.rollback()
    with pytest.raises(StaleWrite):
        with unit_of_work() as session:
            writes = StepWrites()
            writes.update(PI, {"status": "suspended", "version": 99}, expect_one=True, id=instance_id, version=42)
            writes.delete(OT, task_guid=[guid])
            writes.insert(HistoryEvent.__table__, [dict(
                instance_id=instance_id, process_key="k", business_key=None, event_type="task_ready",
                at=datetime.now(timezone.utc), actor_id=None, lane=None, task_spec_id=None, task_name=None,
                task_guid=None, data=None)])
            writes.flush(session.connection(), commit=commit)
    # a duplicate key fails the whole step, raised as SQLAlchemy's IntegrityError on both databases
    with pytest.raises(IntegrityError):
        with unit_of_work() as session:
            writes = StepWrites()
            writes.update(PI, {"status": "suspended"}, expect_one=True, id=instance_id, version=1)
            writes.insert(HistoryEvent.__table__, [dict(
                instance_id=instance_id, process_key="k", business_key=None, event_type="task_ready",
                at=datetime.now(timezone.utc), actor_id=None, lane=None, task_spec_id=None, task_name=None,
                task_guid=None, data=None)])
            writes.insert(OT, [dict(instance_id=instance_id, task_guid=guid, spec_id="x", name="x", lane=None,
                                    process_key="k", process_name="k", addressed=False,
                                    created_at=datetime.now(timezone.utc))])
            writes.flush(session.connection(), commit=commit)
    db.session.rollback()
    row = db.session.execute(select(PI.c.status, PI.c.version).where(PI.c.id == instance_id)).one()
    assert tuple(row) == ("running", 1)
    assert [t.task_guid for t in open_tasks(instance_id)] == [guid]
    assert len(events(instance_id)) == before


# -- the instance cache ---------------------------------------------------------------------------------

def test_next_step_of_a_cached_instance_skips_the_load(cache_size, unique, monkeypatch):
    definition = deploy_one(two_tasks(f"p_{unique}"))
    instance_id = engine.start_instance(definition, {"n": 1})
    loads = []
    real_load = runtime.load
    monkeypatch.setattr(runtime, "load", lambda *a, **k: loads.append(a or k) or real_load(*a, **k))
    engine.complete_task(guid_of(instance_id, "a"), {"from_a": 1}, None)
    engine.complete_task(guid_of(instance_id, "b"), {"from_b": 2}, None)
    assert loads == []
    state = engine.get_state(instance_id)  # reads always come from the database
    assert state.status == "completed" and state.data["from_a"] == 1 and state.data["from_b"] == 2
    assert version_of(instance_id) == 3


def test_stale_cache_entry_never_loses_an_update(cache_size, unique):
    """Another process completes `a`; this process still holds the instance as it was before that."""
    instance_id = engine.start_instance(deploy_one(two_tasks(f"p_{unique}")))
    stale = instance_cache.take(instance_id)
    assert stale is not None and stale.version == 1
    engine.complete_task(guid_of(instance_id, "a"), {"from_a": 1}, None)  # loaded from the database
    instance_cache.discard(instance_id)
    instance_cache.put(stale)  # what another process's step leaves behind in ours
    engine.complete_task(guid_of(instance_id, "b"), {"from_b": 2}, None)
    state = engine.get_state(instance_id)
    assert state.status == "completed" and state.data["from_a"] == 1 and state.data["from_b"] == 2
    assert events(instance_id).count("task_completed") == 2
    assert version_of(instance_id) == 3


def test_stale_cache_entry_does_not_fake_a_conflict(cache_size, unique):
    """The user's page shows version 2 (current); the cache still holds version 1: no false conflict."""
    instance_id = engine.start_instance(deploy_one(two_tasks(f"p_{unique}")))
    stale = instance_cache.take(instance_id)
    engine.complete_task(guid_of(instance_id, "a"), {}, None)
    instance_cache.discard(instance_id)
    instance_cache.put(stale)
    engine.complete_task(guid_of(instance_id, "b"), {}, None, expected_version=2)
    assert engine.get_state(instance_id).status == "completed"


def test_task_completed_elsewhere_is_a_conflict_even_when_cached(cache_size, unique):
    instance_id = engine.start_instance(deploy_one(two_tasks(f"p_{unique}")))
    stale = instance_cache.take(instance_id)
    guid_a = guid_of(instance_id, "a")
    engine.complete_task(guid_a, {"by": "first"}, None)
    instance_cache.discard(instance_id)
    instance_cache.put(stale)  # still shows `a` as open
    with pytest.raises(engine.Conflict):
        engine.complete_task(guid_a, {"by": "second"}, None)
    db.session.rollback()
    assert events(instance_id).count("task_completed") == 1
    assert instance_cache.take(instance_id) is None  # the stale copy is gone


def test_failed_step_leaves_no_half_changed_workflow_in_the_cache(cache_size, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("a"), b.script("boom", "x = 1 / amount"), b.user("b"),
                    b.end(), b.chain("start", "a", "boom", "b", "end"))
    instance_id = engine.start_instance(deploy_one(xml), {"amount": 0})
    guid = guid_of(instance_id, "a")
    with pytest.raises(engine.ProcessError):
        engine.complete_task(guid, {}, None)
    db.session.rollback()
    assert instance_cache.take(instance_id) is None
    assert [t.task_guid for t in open_tasks(instance_id)] == [guid]
    engine.complete_task(guid, {"amount": 2}, None)  # fixed data: the step goes through from the database
    assert [t.spec_id for t in open_tasks(instance_id)] == ["b"]


def test_data_that_would_not_round_trip_is_not_cached(cache_size, unique):
    """Tuples come back from the serializer as lists: such a workflow is always read from the database."""
    xml = b.process(f"p_{unique}", b.start(), b.script("s", "pair = (1, 2)"), b.user("a"),
                    b.script("t", "is_list = isinstance(pair, list)"), b.user("b"), b.end(),
                    b.chain("start", "s", "a", "t", "b", "end"))
    instance_id = engine.start_instance(deploy_one(xml))
    assert instance_cache.take(instance_id) is None
    engine.complete_task(guid_of(instance_id, "a"), {}, None)
    assert engine.get_state(instance_id).data["is_list"] is True


def test_cache_off_and_bounded(cache_size, unique):
    definition = deploy_one(b.simple(f"p_{unique}"))
    cache_size.config["ENGINE_INSTANCE_CACHE"] = 2
    ids = [engine.start_instance(definition, {"amount": i}) for i in range(4)]
    assert [instance_cache.take(i) is not None for i in ids] == [False, False, True, True]
    cache_size.config["ENGINE_INSTANCE_CACHE"] = 0
    instance_id = engine.start_instance(definition, {"amount": 1})
    assert instance_cache.take(instance_id) is None
    engine.complete_task(guid_of(instance_id, "review"), {"approved": True}, None)
    assert engine.get_state(instance_id).status == "completed"
