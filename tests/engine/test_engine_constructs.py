"""BPMN constructs the business processes rely on, through the persisted engine (save/restore every step)."""
from __future__ import annotations

import time

from sqlalchemy import select

from app import engine
from app.engine import Source, timers
from app.engine.models import OpenTask
from app.platform.extensions import db
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, events, open_tasks


def complete(instance_id: int, spec_id: str, data: dict | None = None) -> None:
    guid = next(t.task_guid for t in open_tasks(instance_id) if t.spec_id == spec_id)
    engine.complete_task(guid, data or {}, None)


def test_parallel_gateway_branches_and_join(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.parallel("split"), b.user("a"), b.user("b"),
                    b.parallel("join"), b.end(),
                    b.chain("start", "split"), b.flow("fa", "split", "a"), b.flow("fb", "split", "b"),
                    b.flow("fa2", "a", "join"), b.flow("fb2", "b", "join"), b.chain("join", "end", prefix="j"))
    instance_id = engine.start_instance(deploy_one(xml))
    assert sorted(t.spec_id for t in open_tasks(instance_id)) == ["a", "b"]
    complete(instance_id, "b", {"from_b": 1})
    complete(instance_id, "a", {"from_a": 1})
    state = engine.get_state(instance_id)
    assert state.status == "completed" and state.data["from_a"] == 1 and state.data["from_b"] == 1


def test_embedded_subprocess_and_call_activity(ctx, unique):
    sub = (f'<bpmn:subProcess id="sub" name="sub">{b.start("ss")}{b.user("inner")}{b.end("se")}'
           + "".join(b.chain("ss", "inner", "se", prefix="s")) + "</bpmn:subProcess>")
    callee = b.process(f"callee_{unique}", b.start(), b.script("double", "n = n * 2"), b.user("callee_task"),
                       b.end(), b.chain("start", "double", "callee_task", "end"))
    caller = b.process(f"caller_{unique}", b.start(), sub,
                       f'<bpmn:callActivity id="call" name="call" calledElement="callee_{unique}"/>',
                       b.end(), b.chain("start", "sub", "call", "end"))
    definitions = engine.deploy([Source("caller.bpmn", caller.encode()), Source("callee.bpmn", callee.encode())])
    by_key = {d.process_key: d for d in definitions}
    instance_id = engine.start_instance(by_key[f"caller_{unique}"], {"n": 21})
    complete(instance_id, "inner")
    assert [t.spec_id for t in open_tasks(instance_id)] == ["callee_task"]
    complete(instance_id, "callee_task")
    state = engine.get_state(instance_id)
    assert state.status == "completed" and state.data["n"] == 42


def test_event_based_gateway_message_wins_over_timer(ctx, unique):
    msg = f'<bpmn:message id="m_{unique}" name="accepted_{unique}"/>'
    xml = b.process(
        f"p_{unique}", b.start(), '<bpmn:eventBasedGateway id="wait"/>',
        b.catch("accepted", b.message_def(f"m_{unique}")), b.catch("expired", b.timer("timeDuration", '"PT0.3S"')),
        b.end("e_ok"), b.end("e_exp"),
        b.chain("start", "wait"), b.flow("f1", "wait", "accepted"), b.flow("f2", "wait", "expired"),
        b.flow("f3", "accepted", "e_ok"), b.flow("f4", "expired", "e_exp"), definitions_extra=msg)
    definition = deploy_one(xml)
    first = engine.start_instance(definition, business_key=f"one-{unique}")
    second = engine.start_instance(definition, business_key=f"two-{unique}")
    engine.deliver_message(f"accepted_{unique}", {"accepted_by": "student"}, {"business_key": f"one-{unique}"})
    time.sleep(0.35)
    timers.fire_due()
    one, two = engine.get_state(first), engine.get_state(second)
    assert one.status == "completed" and "e_ok" in one.completed_elements and one.data["accepted_by"] == "student"
    assert two.status == "completed" and "e_exp" in two.completed_elements
    assert "timer_fired" not in events(first)


def test_error_boundary_event_catches_error_end(ctx, unique):
    err = f'<bpmn:error id="err_{unique}" name="rejected" errorCode="REJECTED"/>'
    error_def = f'<bpmn:errorEventDefinition errorRef="err_{unique}"/>'
    sub = (f'<bpmn:subProcess id="check" name="check">{b.start("cs")}{b.end("fail", error_def)}'
           + "".join(b.chain("cs", "fail", prefix="c")) + "</bpmn:subProcess>")
    xml = b.process(f"p_{unique}", b.start(), sub,
                    b.boundary("on_error", "check", error_def),
                    b.user("fix"), b.end("ok"), b.end("after_fix"),
                    b.chain("start", "check", "ok"), b.chain("on_error", "fix", "after_fix", prefix="e"),
                    definitions_extra=err)
    instance_id = engine.start_instance(deploy_one(xml))
    assert [t.spec_id for t in open_tasks(instance_id)] == ["fix"]


def test_parallel_multi_instance_user_task(ctx, unique):
    mi = ('<bpmn:userTask id="review" name="评审"><bpmn:multiInstanceLoopCharacteristics>'
          '<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>'
          '<bpmn:loopDataOutputRef>opinions</bpmn:loopDataOutputRef>'
          '<bpmn:inputDataItem id="reviewer" name="reviewer"/>'
          '<bpmn:outputDataItem id="opinion" name="opinion"/>'
          '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>')
    xml = b.process(f"p_{unique}", b.start(), mi, b.end(), b.chain("start", "review", "end"))
    instance_id = engine.start_instance(deploy_one(xml), {"reviewers": ["王老师", "李老师", "张老师"]})
    tasks = open_tasks(instance_id)
    assert len(tasks) == 3 and {t.spec_id for t in tasks} == {"review"}
    for i, guid in enumerate([t.task_guid for t in tasks]):
        engine.complete_task(guid, {"opinion": f"同意{i}"}, None)
    state = engine.get_state(instance_id)
    assert state.status == "completed" and sorted(state.data["opinions"]) == ["同意0", "同意1", "同意2"]
    assert db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).first() is None
