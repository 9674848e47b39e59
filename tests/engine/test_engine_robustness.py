"""What the engine does when process code fails, loops or races (issue 8 points 9-13): an incident or a
clear error, the stored state unchanged, a failed step run once, no lock held while process code runs."""
from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from app import engine
from app.engine import instance_cache, runtime
from app.engine.models import Incident, OpenTask, ProcessInstance
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from tests import bpmn_builder as b
from tests.engine.test_engine_cache_and_writes import cache_size  # noqa: F401 - a fixture
from tests.engine.test_engine_core import deploy_one, events, open_tasks

MULTI_INSTANCE = ('<bpmn:userTask id="review" name="评审"><bpmn:multiInstanceLoopCharacteristics>'
                  '<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>'
                  '<bpmn:loopDataOutputRef>opinions</bpmn:loopDataOutputRef>'
                  '<bpmn:inputDataItem id="reviewer" name="reviewer"/>'
                  '<bpmn:outputDataItem id="opinion" name="opinion"/>'
                  '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>')


def stored(instance_id: int) -> tuple:
    """What the database holds for an instance: state, version, status, open tasks, incidents."""
    db.session.expire_all()
    row = db.session.get(ProcessInstance, instance_id)
    tasks = sorted(t.task_guid for t in open_tasks(instance_id))
    incidents = db.session.execute(select(func.count()).select_from(Incident)
                                   .where(Incident.instance_id == instance_id)).scalar()
    db.session.rollback()
    return row.state, row.version, row.status, tasks, incidents


def instance_count() -> int:
    count = db.session.execute(select(func.count()).select_from(ProcessInstance)).scalar()
    db.session.rollback()
    return count


# -- point 10: any exception from SpiffWorkflow or the process's own data is a ProcessError ------------

@pytest.mark.parametrize("reviewers", [5, None, 1.5])
def test_starting_a_multi_instance_with_a_bad_collection_is_refused_and_writes_nothing(ctx, unique, reviewers):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), MULTI_INSTANCE, b.end(),
                                      b.chain("start", "review", "end")))
    before = instance_count()
    with pytest.raises(engine.ProcessError) as err:
        engine.start_instance(definition, {"reviewers": reviewers})
    assert err.value.spec_id == "review" and "TypeError" in str(err.value)
    assert instance_count() == before


def test_bad_collection_reached_by_a_running_instance_is_an_incident(ctx, unique):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("prepare"), MULTI_INSTANCE, b.end(),
                                      b.chain("start", "prepare", "review", "end")))
    instance_id = engine.start_instance(definition)
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    state, version, status, tasks, incidents = stored(instance_id)
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {"reviewers": 42}, None)
    assert err.value.spec_id == "review"
    assert stored(instance_id) == (state, version, status, tasks, incidents + 1)
    assert events(instance_id)[-1] == "incident_opened"
    engine.complete_task(guid, {"reviewers": ["王老师"]}, None)  # the user's corrected data goes through
    assert [t.spec_id for t in open_tasks(instance_id)] == ["review"]


def test_completing_the_task_of_a_data_object_process_is_an_incident(ctx, unique):
    """The user task writes data object `obj`, which the data left out: SpiffWorkflow's
    WorkflowDataException while the task itself runs."""
    objects = '<bpmn:dataObject id="obj" name="obj"/><bpmn:dataObjectReference id="ref" dataObjectRef="obj"/>'
    writer = ('<bpmn:userTask id="u" name="u"><bpmn:dataOutputAssociation id="out">'
              '<bpmn:targetRef>ref</bpmn:targetRef></bpmn:dataOutputAssociation></bpmn:userTask>')
    definition = deploy_one(b.process(f"p_{unique}", objects, b.start(), writer, b.user("next"), b.end(),
                                      b.chain("start", "u", "next", "end")))
    instance_id = engine.start_instance(definition)
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    state, version, status, tasks, incidents = stored(instance_id)
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {"other": 1}, None)
    assert err.value.spec_id == "u" and "obj" in str(err.value)
    assert stored(instance_id) == (state, version, status, tasks, incidents + 1)
    engine.complete_task(guid, {"obj": {"ok": True}}, None)
    assert [t.spec_id for t in open_tasks(instance_id)] == ["next"]


@pytest.mark.parametrize("code, problem", [
    ("import decimal\nprice = decimal.Decimal('1.5')", "Decimal"),  # data the serializer cannot store
    ("total = amount + 'x'", "TypeError"),  # a TypeError from the process's own data
    ("total = missing * 2", "missing"),     # a NameError
])
def test_script_failures_are_incidents_with_the_state_unchanged(ctx, unique, code, problem):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("u"), b.script("calc", code), b.user("v"),
                                      b.end(), b.chain("start", "u", "calc", "v", "end")))
    instance_id = engine.start_instance(definition, {"amount": 1})
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    state, version, status, tasks, incidents = stored(instance_id)
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {}, None)
    assert problem in str(err.value)
    assert stored(instance_id) == (state, version, status, tasks, incidents + 1)
    assert json.loads(state)


def test_gateway_condition_failing_on_the_data_is_an_incident(ctx, unique):
    definition = deploy_one(b.process(
        f"p_{unique}", b.start(), b.user("u"), b.xor("gw", default="f_no"), b.end("yes"), b.end("no"),
        b.chain("start", "u", "gw"), b.flow("f_yes", "gw", "yes", "score > 'high'"), b.flow("f_no", "gw", "no")))
    instance_id = engine.start_instance(definition)
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    before = stored(instance_id)
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {"score": 3}, None)
    assert err.value.spec_id == "gw"
    assert stored(instance_id)[:4] == before[:4]


# -- point 12: a step that fails is not run a second time -----------------------------------------------

def test_failing_step_on_a_cached_instance_runs_once(cache_size, unique, monkeypatch):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("a"), b.script("boom", "x = 1 / amount"),
                                      b.user("b"), b.end(), b.chain("start", "a", "boom", "b", "end")))
    instance_id = engine.start_instance(definition, {"amount": 0})  # kept in this process's cache
    runs = []
    real = runtime.run_engine_steps
    monkeypatch.setattr(runtime, "run_engine_steps", lambda inst: runs.append(inst.cached) or real(inst))
    with pytest.raises(engine.ProcessError):
        engine.complete_task(open_tasks(instance_id)[0].task_guid, {}, None)
    assert runs == [True]  # once, on the cached copy: it was current, so the failure stands
    assert stored(instance_id)[4] == 1


def test_failing_step_on_an_out_of_date_cached_copy_is_decided_from_the_database(cache_size, unique, monkeypatch):
    """The cached copy is behind (another process completed `a` with good data): the failure seen on the
    copy is not reported; the database decides, and there the task is no longer open."""
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("a"), b.script("boom", "x = 1 / amount"),
                                      b.user("b"), b.end(), b.chain("start", "a", "boom", "b", "end")))
    instance_id = engine.start_instance(definition, {"amount": 0})
    stale = instance_cache.take(instance_id)
    guid = open_tasks(instance_id)[0].task_guid
    engine.complete_task(guid, {"amount": 5}, None)
    instance_cache.discard(instance_id)
    instance_cache.put(stale)
    runs = []
    real = runtime.run_engine_steps
    monkeypatch.setattr(runtime, "run_engine_steps", lambda inst: runs.append(inst.cached) or real(inst))
    with pytest.raises(engine.Conflict):
        engine.complete_task(guid, {}, None)
    assert runs == [True]
    assert [t.spec_id for t in open_tasks(instance_id)] == ["b"]
    assert stored(instance_id)[4] == 0


# -- point 13: an advance that runs too many engine steps stops -----------------------------------------

def test_a_process_looping_without_waiting_stops_with_an_incident(ctx, unique):
    definition = deploy_one(b.process(
        f"p_{unique}", b.start(), b.user("u"), b.script("spin", "n = n + 1"), b.xor("gw", default="f_out"), b.end(),
        b.chain("start", "u", "spin", "gw"), b.flow("f_again", "gw", "spin", "n > 0"), b.flow("f_out", "gw", "end")))
    instance_id = engine.start_instance(definition)
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    before = stored(instance_id)
    ctx.config["ENGINE_MAX_STEPS"] = 40
    try:
        with pytest.raises(engine.ProcessError) as err:
            engine.complete_task(guid, {"n": 1}, None)
    finally:
        ctx.config["ENGINE_MAX_STEPS"] = 2000
    assert "40 engine steps" in str(err.value)
    assert stored(instance_id)[:4] == before[:4]
    assert stored(instance_id)[4] == 1
    # a start that loops is refused the same way, and writes nothing
    count = instance_count()
    ctx.config["ENGINE_MAX_STEPS"] = 40
    looping_start = b.process(
        f"q_{unique}", b.start(), b.script("spin", "n = 1"), b.xor("gw", default="f_out"), b.end(),
        b.chain("start", "spin", "gw"), b.flow("f_again", "gw", "spin", "n > 0"), b.flow("f_out", "gw", "end"))
    try:
        with pytest.raises(engine.ProcessError):
            engine.start_instance(deploy_one(looping_start))
    finally:
        ctx.config["ENGINE_MAX_STEPS"] = 2000
    assert instance_count() == count


# -- point 11 (its runtime part): process code runs with no transaction open ----------------------------

def _write_elsewhere(app, instance_id: int) -> None:
    """A write from another connection that must not wait for the engine (a busy timeout of zero)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE engine_timer SET due_at = due_at WHERE instance_id = ?", (instance_id,))
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        other = create_engine(url)
        try:
            with other.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '50ms'"))
                conn.execute(text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"), {"id": instance_id})
        finally:
            other.dispose()


def test_no_transaction_is_open_while_process_code_runs(ctx, unique, monkeypatch):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("u"), b.script("s", "x = 1"), b.user("v"),
                                      b.end(), b.chain("start", "u", "s", "v", "end")))
    instance_id = engine.start_instance(definition)
    seen = []
    real = runtime.run_engine_steps

    def observed(inst):
        seen.append(db.session().in_transaction())
        _write_elsewhere(ctx, inst.id or instance_id)  # raises "database is locked" / a lock timeout if held
        real(inst)

    monkeypatch.setattr(runtime, "run_engine_steps", observed)
    engine.complete_task(open_tasks(instance_id)[0].task_guid, {}, None)
    engine.start_instance(definition)
    assert seen == [False, False]
    assert [t.spec_id for t in open_tasks(instance_id)] == ["v"]


def test_a_read_left_open_by_the_caller_is_ended_before_process_code_runs(ctx, unique, monkeypatch):
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("u"), b.script("s", "x = 1"), b.end(),
                                      b.chain("start", "u", "s", "end")))
    instance_id = engine.start_instance(definition)
    guid = open_tasks(instance_id)[0].task_guid  # this read leaves a transaction open (no unit of work)
    assert db.session().in_transaction()
    seen = []
    real = runtime.run_engine_steps
    monkeypatch.setattr(runtime, "run_engine_steps",
                        lambda inst: seen.append(db.session().in_transaction()) or real(inst))
    engine.complete_task(guid, {}, None)
    assert seen == [False]


# -- point 9: racing completions, also inside a caller's unit of work -----------------------------------

def test_racing_completions_give_one_winner_and_conflicts_only(ctx, unique):
    """Eight threads complete the same task, each inside a unit of work of its own that writes first (as a
    service deleting a draft does): one wins, every other gets Conflict, nothing else (no
    InFailedSqlTransaction from a retry inside a failed transaction, no NotFound)."""
    definition = deploy_one(b.process(f"p_{unique}", b.start(), b.user("u"), b.user("v"), b.end(),
                                      b.chain("start", "u", "v", "end")))
    instance_id = engine.start_instance(definition)
    guid = open_tasks(instance_id)[0].task_guid
    db.session.rollback()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def submit(n: int) -> None:
        with ctx.app_context():
            try:
                barrier.wait()
                engine.task_data(guid)
                with unit_of_work() as session:
                    session.execute(text("UPDATE process_instance SET updated_at = updated_at WHERE id = :id"),
                                    {"id": instance_id})
                    engine.complete_task(guid, {"by": n}, None)
                    session.commit()
                outcomes.append("done")
            except engine.Conflict:
                outcomes.append("conflict")
            except Exception as err:  # noqa: BLE001 - recorded for the assertion
                outcomes.append(f"{type(err).__name__}: {err}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["done"]
    assert events(instance_id).count("task_completed") == 1
    assert [t.spec_id for t in open_tasks(instance_id)] == ["v"]
