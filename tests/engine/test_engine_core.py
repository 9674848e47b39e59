"""Engine core on a real database: deploy and versions, start, complete, state, history, claims."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app import engine
from app.engine import Source
from app.engine.models import HistoryEvent, OpenTask, OpenTaskOwner, ProcessDefinition, ProcessInstance
from app.identity.models import User
from app.platform.extensions import db
from tests import bpmn_builder as b


def deploy_one(xml: str, name: str = "t.bpmn") -> ProcessDefinition:
    (definition,) = engine.deploy([Source(name, xml.encode())])
    return definition


def make_user(name: str) -> int:
    user = User(username=name, display_name=name)
    db.session.add(user)
    db.session.commit()
    return user.id


def events(instance_id: int) -> list[str]:
    return list(db.session.execute(select(HistoryEvent.event_type).where(HistoryEvent.instance_id == instance_id)
                                   .order_by(HistoryEvent.id)).scalars())


def open_tasks(instance_id: int) -> list[OpenTask]:
    return list(db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).scalars())


def test_deploy_versions_only_on_change(ctx, unique):
    pid = f"p_{unique}"
    first = deploy_one(b.simple(pid))
    again = deploy_one(b.simple(pid))
    assert again.id == first.id and again.version == 1
    changed = deploy_one(b.simple(pid).replace("total = amount * 2", "total = amount * 3"))
    assert changed.version == 2 and changed.id != first.id
    assert first.reportable_fields == ["amount", "total", "approved"]
    # the spec is stored once per version and instances do not repeat it
    instance_id = engine.start_instance(first, {"amount": 5})
    state = db.session.get(ProcessInstance, instance_id).state
    assert '"spec"' not in state and "task_specs" not in state
    assert len(state) < len(first.spec_json)


def test_running_instance_keeps_its_version(ctx, unique):
    pid = f"p_{unique}"
    v1 = deploy_one(b.simple(pid))
    instance_id = engine.start_instance(v1, {"amount": 1})
    v2 = deploy_one(b.simple(pid).replace("amount * 2", "amount * 10"))
    (task,) = open_tasks(instance_id)
    engine.complete_task(task.task_guid, {"approved": True}, None)
    state = engine.get_state(instance_id)
    assert state.definition_version == 1 and state.data["total"] == 2 and state.status == "completed"
    assert v2.version == 2


def test_start_complete_and_history(ctx, unique):
    pid = f"p_{unique}"
    definition = deploy_one(b.simple(pid))
    alice = make_user(f"alice_{unique}")
    instance_id = engine.start_instance(definition, {"amount": 21}, business_key=f"BK-{unique}", started_by=alice)
    state = engine.get_state(instance_id)
    assert state.status == "running" and state.data["total"] == 42
    assert state.business_key == f"BK-{unique}"
    assert "calc" in state.completed_elements and "review" in state.active_elements
    (task,) = open_tasks(instance_id)
    guid = task.task_guid
    assert task.lane == "staff" and task.name == "审核" and task.process_name == "Reference process"
    assert task.business_key == f"BK-{unique}" and task.due_at is not None
    engine.claim_task(guid, alice)
    with pytest.raises(engine.Conflict):
        engine.claim_task(guid, alice + 1000)
    engine.complete_task(guid, {"approved": True}, alice)
    state = engine.get_state(instance_id)
    assert state.status == "completed" and "end_yes" in state.completed_elements
    assert open_tasks(instance_id) == []
    assert events(instance_id) == ["instance_started", "task_ready", "task_claimed", "task_completed",
                                   "instance_completed"]
    completed = db.session.execute(select(HistoryEvent).where(
        HistoryEvent.instance_id == instance_id, HistoryEvent.event_type == "task_completed")).scalar_one()
    assert completed.actor_id == alice and completed.lane == "staff" and completed.task_spec_id == "review"
    assert completed.task_name == "审核"
    assert completed.data == {"amount": 21, "total": 42, "approved": True}
    with pytest.raises(engine.Conflict):
        engine.complete_task(guid, {"approved": False}, alice)


def test_lane_owners_due_dates_and_forms(ctx, unique, tmp_path):
    pid = f"p_{unique}"
    xml = b.process(
        pid, b.lanes({"employer": ["offer"]}), b.start(),
        b.user("offer", "填写录用信息", form="counselor_review.json", ui="counselor_review.ui.json", due='deadline',
               instructions="请在 **三天内** 填写"),
        b.end(), b.chain("start", "offer", "end"))
    definition = deploy_one(xml)
    u1, u2 = make_user(f"e1_{unique}"), make_user(f"e2_{unique}")
    instance_id = engine.start_instance(definition, {"lane_owners": {"employer": [u1, u2]},
                                                     "deadline": "2030-01-31"})
    (task,) = open_tasks(instance_id)
    owners = set(db.session.execute(select(OpenTaskOwner.user_id).where(OpenTaskOwner.open_task_id == task.id))
                 .scalars())
    assert owners == {u1, u2}
    assert task.form_schema == "counselor_review.json" and task.form_ui_schema == "counselor_review.ui.json"
    assert task.instructions == "请在 **三天内** 填写"
    assert task.due_at.isoformat().startswith("2030-01-31T15:59:59")  # end of day Asia/Shanghai in UTC


@pytest.mark.parametrize("bad, problem", [
    ("<not-closed>", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "DTD"),
    ("<html/>", "not a BPMN"),
])
def test_deploy_rejects_bad_xml(ctx, bad, problem):
    with pytest.raises(engine.DeployError) as err:
        engine.deploy([Source("bad.bpmn", bad.encode())])
    assert err.value.problems[0][0] == "bad.bpmn" and problem in err.value.problems[0][2]


@pytest.mark.parametrize("element, expect_id, problem", [
    (b.user("u", form="missing.json"), "u", "unknown form file"),
    (b.service("svc", "no_such_operation"), "svc", "unknown service operation"),
    (b.script("s", "x = = 1"), "s", "line 1"),
    (b.script("s", "import os"), "s", "\"os\" is not allowed"),
])
def test_deploy_names_element_and_problem(ctx, unique, element, expect_id, problem):
    el_id = expect_id
    xml = b.process(f"p_{unique}", b.start(), element, b.end(), b.chain("start", el_id, "end"))
    with pytest.raises(engine.DeployError) as err:
        engine.deploy([Source("proc.bpmn", xml.encode())])
    file_name, element_id, text = err.value.problems[0]
    assert (file_name, element_id) == ("proc.bpmn", expect_id) and problem in text
    assert db.session.execute(select(func.count()).select_from(ProcessDefinition)
                              .where(ProcessDefinition.process_key == f"p_{unique}")).scalar() == 0


def test_deploy_rejects_timer_that_does_not_evaluate(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.catch("wait", b.timer("timeDuration", '"three days"')), b.end(),
                    b.chain("start", "wait", "end"))
    with pytest.raises(engine.DeployError) as err:
        engine.deploy([Source("timer.bpmn", xml.encode())])
    assert err.value.problems[0][1] == "wait" and "ISO 8601" in err.value.problems[0][2]


def test_suspend_resume_terminate(ctx, unique):
    definition = deploy_one(b.simple(f"p_{unique}"))
    instance_id = engine.start_instance(definition, {"amount": 1})
    (task,) = open_tasks(instance_id)
    engine.suspend(instance_id)
    with pytest.raises(engine.InvalidState):
        engine.complete_task(task.task_guid, {"approved": True}, None)
    engine.resume(instance_id)
    engine.terminate(instance_id, reason="学生退出")
    state = engine.get_state(instance_id)
    assert state.status == "terminated" and state.ready_tasks == []
    assert open_tasks(instance_id) == []
    assert events(instance_id)[-3:] == ["instance_resumed", "instance_terminated", "task_cancelled"]


def test_stale_version_is_a_conflict(ctx, unique):
    definition = deploy_one(b.simple(f"p_{unique}"))
    instance_id = engine.start_instance(definition, {"amount": 1})
    (task,) = open_tasks(instance_id)
    version = engine.get_state(instance_id).version
    engine.suspend(instance_id)
    engine.resume(instance_id)
    with pytest.raises(engine.Conflict):
        engine.complete_task(task.task_guid, {"approved": True}, None, expected_version=version)
    assert engine.get_state(instance_id).status == "running"
    engine.complete_task(task.task_guid, {"approved": True}, None,
                         expected_version=engine.get_state(instance_id).version)


def test_script_error_leaves_instance_unharmed(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("u"), b.script("boom", "y = 1 / zero"), b.end(),
                    b.chain("start", "u", "boom", "end"))
    definition = deploy_one(xml)
    instance_id = engine.start_instance(definition, {"zero": 0})
    before = db.session.get(ProcessInstance, instance_id)
    state_before, version_before = before.state, before.version
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {"note": "x"}, None)
    assert "boom" == err.value.spec_id and "division" in str(err.value)
    db.session.expire_all()
    after = db.session.get(ProcessInstance, instance_id)
    assert (after.state, after.version) == (state_before, version_before)
    assert [t.task_guid for t in open_tasks(instance_id)] == [guid]
    assert json.loads(after.state)
    assert "incident_opened" in events(instance_id)


def test_runaway_or_forbidden_script_leaves_instance_unharmed(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("u"), b.script("spin", "n = 0\nwhile True:\n    n = n + 1"),
                    b.end(), b.chain("start", "u", "spin", "end"))
    definition = deploy_one(xml)
    instance_id = engine.start_instance(definition)
    before = db.session.get(ProcessInstance, instance_id)
    state_before, version_before = before.state, before.version
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    ctx.config["SCRIPT_TIME_LIMIT_S"] = 0.2
    try:
        with pytest.raises(engine.ProcessError) as err:
            engine.complete_task(guid, {}, None)
    finally:
        ctx.config["SCRIPT_TIME_LIMIT_S"] = 1.0
    assert err.value.spec_id == "spin" and "time" in str(err.value).lower()
    db.session.expire_all()
    after = db.session.get(ProcessInstance, instance_id)
    assert (after.state, after.version) == (state_before, version_before)
    # refused when the diagram is deployed
    for script in ("__import__('os').system('id')", "x = ().__class__.__bases__[0].__subclasses__()",
                   "import subprocess"):
        bad = b.process(f"q_{unique}", b.start(), b.script("s", script), b.end(), b.chain("start", "s", "end"))
        with pytest.raises(engine.DeployError):
            engine.deploy([Source("bad.bpmn", bad.encode())])
    # refused when it runs (names are looked up at run time), the instance unharmed
    xml = b.process(f"r_{unique}", b.start(), b.user("u"), b.script("peek", "secret = open('/etc/passwd').read()"),
                    b.end(), b.chain("start", "u", "peek", "end"))
    instance_id = engine.start_instance(deploy_one(xml))
    version = db.session.get(ProcessInstance, instance_id).version
    (guid,) = [t.task_guid for t in open_tasks(instance_id)]
    with pytest.raises(engine.ProcessError) as err:
        engine.complete_task(guid, {}, None)
    assert err.value.spec_id == "peek" and "open" in str(err.value)
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance_id).version == version
    assert [t.task_guid for t in open_tasks(instance_id)] == [guid]


def test_timer_start_event(ctx, unique):
    import time

    from app.engine import timers

    xml = b.process(f"p_{unique}", b.start("s", b.timer("timeDuration", '"PT0.2S"')), b.user("u"), b.end(),
                    b.chain("s", "u", "end"))
    instance_id = engine.start_instance(deploy_one(xml))
    assert open_tasks(instance_id) == []
    time.sleep(0.25)
    timers.fire_due()
    assert [t.spec_id for t in open_tasks(instance_id)] == ["u"]


def test_history_keeps_the_client_address_of_user_actions(ctx, unique):
    user_id = make_user(f"u_{unique}")
    instance_id = engine.start_instance(deploy_one(b.simple(f"p_{unique}")), {"amount": 1}, started_by=user_id,
                                        remote_addr="203.0.113.5")
    (task,) = open_tasks(instance_id)
    engine.claim_task(task.task_guid, user_id, remote_addr="198.51.100.7")
    engine.complete_task(task.task_guid, {"approved": True}, user_id, remote_addr="2001:db8::1")
    rows = db.session.execute(select(HistoryEvent.event_type, HistoryEvent.actor_id, HistoryEvent.remote_addr)
                              .where(HistoryEvent.instance_id == instance_id).order_by(HistoryEvent.id)).all()
    by_type = {r.event_type: (r.actor_id, r.remote_addr) for r in rows}
    assert by_type["instance_started"] == (user_id, "203.0.113.5")
    assert by_type["task_claimed"] == (user_id, "198.51.100.7")
    assert by_type["task_completed"] == (user_id, "2001:db8::1")
    # a step no user caused keeps no address
    other = engine.start_instance(deploy_one(b.simple(f"q_{unique}")), {"amount": 1})
    assert set(db.session.execute(select(HistoryEvent.remote_addr).where(HistoryEvent.instance_id == other))
               .scalars()) == {None}
