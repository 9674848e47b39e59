"""The engine's history listeners: called after a step commits, with the step's events (a new instance's id
filled in), also for claims and reassignments; never for a step that was rolled back; a failing listener
does not fail the step."""
from __future__ import annotations

import uuid

import pytest

from app import engine
from app.engine import Source
from app.platform.uow import unit_of_work
from tests import bpmn_builder as b
from tests.engine.test_engine_core import make_user


@pytest.fixture
def heard(ctx):
    """What the listeners heard during the test (the app's other listeners stay in place)."""
    got: list[list[dict]] = []
    listeners = ctx.extensions["engine_history_listeners"]

    def listener(events: list[dict]) -> None:
        got.append(events)

    def broken(_events: list[dict]) -> None:
        raise RuntimeError("a listener with a bug")

    listeners[:0] = [broken, listener]
    yield got
    listeners.remove(broken)
    listeners.remove(listener)


def deploy(pid: str):
    (definition,) = engine.deploy([Source(f"{pid}.bpmn", b.simple(pid).encode())])
    return definition


def test_listeners_hear_each_committed_step(ctx, heard):
    definition = deploy(f"hl_{uuid.uuid4().hex[:8]}")
    instance_id = engine.start_instance(definition, {"amount": 2}, business_key="HL-1")
    [started] = heard
    assert {e["event_type"] for e in started} >= {"instance_started", "task_ready"}
    assert all(e["instance_id"] == instance_id for e in started)  # the new instance's id, not a placeholder
    ready = next(e for e in started if e["event_type"] == "task_ready")
    assert (ready["task_spec_id"], ready["lane"], ready["business_key"]) == ("review", "staff", "HL-1")

    reviewer, lead = make_user(f"r{uuid.uuid4().hex[:8]}"), make_user(f"l{uuid.uuid4().hex[:8]}")
    engine.reassign_task(ready["task_guid"], reviewer, actor_id=lead)
    assert [(e["event_type"], e["data"]["assignee_id"], e["actor_id"]) for e in heard[-1]] == [
        ("task_reassigned", reviewer, lead)]
    engine.complete_task(ready["task_guid"], {"approved": True}, reviewer)
    assert {"task_completed", "instance_completed"} <= {e["event_type"] for e in heard[-1]}


def test_a_step_inside_a_transaction_is_heard_only_when_that_commits(ctx, heard):
    definition = deploy(f"hl_{uuid.uuid4().hex[:8]}")
    with pytest.raises(RuntimeError):
        with unit_of_work():
            engine.start_instance(definition, {"amount": 1})
            assert heard == []  # not before the commit
            raise RuntimeError("the caller failed")
    assert heard == []
    with unit_of_work() as uow:
        engine.start_instance(definition, {"amount": 1})
        assert heard == []
        uow.commit()
    assert len(heard) == 1
