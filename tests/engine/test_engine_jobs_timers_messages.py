"""Service-task jobs (outbox, retries, incidents), timers and messages, with jobs run in-process."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import distinct, func, select, update

from app import engine
from app.engine import jobs, outbox, timers
from app.engine.models import HistoryEvent, Incident, Job, MessageCorrelation, OpenTask, Timer
from app.platform.extensions import db
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, events, open_tasks


def _job(instance_id: int) -> Job:
    db.session.expire_all()
    return db.session.execute(select(Job).where(Job.instance_id == instance_id)).scalar_one()


def test_service_task_runs_as_job_and_result_is_merged(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.service("add", "test_add", {"a": "x", "b": "2"}, result="added"),
                    b.user("check"), b.end(), b.chain("start", "add", "check", "end"))
    instance_id = engine.start_instance(deploy_one(xml), {"x": 40})
    job = _job(instance_id)
    assert job.status == "succeeded" and job.attempts == 1 and job.idempotency_key.startswith(f"{instance_id}:")
    state = engine.get_state(instance_id)
    assert state.data["added"] == {"sum": 42, "attempt": 1}
    assert [t.spec_id for t in open_tasks(instance_id)] == ["check"]
    assert events(instance_id)[:3] == ["instance_started", "job_queued", "job_succeeded"]


def test_job_outbox_row_is_written_with_the_step(ctx, unique, monkeypatch):
    """The process "crashes" between commit and enqueue: the job row still exists; the sweep relays it."""
    xml = b.process(f"p_{unique}", b.start(), b.service("add", "test_add", {"a": "1", "b": "2"}), b.end(),
                    b.chain("start", "add", "end"))
    definition = deploy_one(xml)
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "relay", lambda ids: None)
        instance_id = engine.start_instance(definition)
    assert _job(instance_id).status == "pending"
    assert outbox.sweep() >= 1
    assert _job(instance_id).status == "succeeded"
    assert engine.get_state(instance_id).status == "completed"


def test_unreachable_queue_leaves_the_job_to_the_sweep(ctx, unique, monkeypatch):
    """Redis down at commit time: the step stays committed, the job goes back to pending for the sweep."""
    xml = b.process(f"p_{unique}", b.start(), b.service("add", "test_add", {"a": "1", "b": "2"}), b.end(),
                    b.chain("start", "add", "end"))
    definition = deploy_one(xml)

    def unreachable(job_id: int) -> None:
        raise ConnectionError("Redis is down")

    with monkeypatch.context() as patched:
        patched.setitem(ctx.extensions, "engine", outbox.EngineWiring(unreachable))
        instance_id = engine.start_instance(definition)
    assert _job(instance_id).status == "pending"
    assert outbox.sweep() >= 1
    assert engine.get_state(instance_id).status == "completed"


def test_retries_with_backoff_then_incident_then_retry(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(),
                    b.service("dev", "test_flaky", {"succeed_on": "n"}, result="out", retries=2),
                    b.end(), b.chain("start", "dev", "end"))
    instance_id = engine.start_instance(deploy_one(xml), {"n": 5})
    job = _job(instance_id)
    assert job.status == "pending" and job.attempts == 1 and "device offline" in job.last_error
    first_delay = (job.next_attempt_at - job.updated_at).total_seconds()
    time.sleep(first_delay + 0.05)
    outbox.sweep()
    job = _job(instance_id)
    assert job.attempts == 2 and (job.next_attempt_at - job.updated_at).total_seconds() == pytest.approx(
        2 * first_delay, rel=0.05)
    time.sleep(2 * first_delay + 0.05)
    outbox.sweep()
    job = _job(instance_id)
    assert job.status == "incident" and job.attempts == 3
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    assert incident.kind == "job_failed" and incident.attempts == 3 and "ConnectionError" in incident.message
    assert "Traceback" in incident.details
    kinds = events(instance_id)
    assert kinds.count("job_failed") == 3 and kinds.count("job_retried") == 2 and "incident_opened" in kinds
    # the cause is fixed (the device now answers on the first attempt after the retry)
    db.session.execute(update(Job).where(Job.id == job.id).values(params={"succeed_on": 1}))
    db.session.commit()
    engine.retry_incident(incident.id, None)
    assert engine.get_state(instance_id).status == "completed"
    assert "incident_resolved" in events(instance_id)


def test_a_permanent_failure_is_an_incident_at_once(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.service("dev", "test_contradiction", {}, retries=4),
                    b.end(), b.chain("start", "dev", "end"))
    instance_id = engine.start_instance(deploy_one(xml))
    job = _job(instance_id)
    assert job.status == "incident" and job.attempts == 1
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    assert "PermanentFailure: the data contradicts itself" in incident.message
    assert "job_retried" not in events(instance_id)


def test_job_cancelled_when_boundary_timer_interrupts(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("u"),
                    b.boundary("late", "u", b.timer("timeDuration", '"PT1S"')),
                    b.end("done"), b.end("expired"),
                    b.chain("start", "u", "done"), b.flow("f_late", "late", "expired"))
    instance_id = engine.start_instance(deploy_one(xml))
    (timer,) = db.session.execute(select(Timer).where(Timer.instance_id == instance_id)).scalars()
    assert timer.due_at > datetime.now(timezone.utc)
    time.sleep(1.1)
    assert timers.fire_due() >= 1
    state = engine.get_state(instance_id)
    assert state.status == "completed" and "expired" in state.completed_elements
    assert open_tasks(instance_id) == []
    kinds = events(instance_id)
    assert "timer_fired" in kinds and "task_cancelled" in kinds
    fired = db.session.execute(select(HistoryEvent).where(HistoryEvent.instance_id == instance_id,
                                                          HistoryEvent.event_type == "timer_fired")).scalar_one()
    assert fired.task_spec_id == "late" and fired.data["due_at"]


def test_non_interrupting_boundary_timer_keeps_task(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("sign"),
                    b.boundary("remind", "sign", b.timer("timeDuration", '"PT0.1S"'), interrupting=False),
                    b.script("note", "reminded = True"), b.end("e1"), b.end("e2"),
                    b.chain("start", "sign", "e1"), b.chain("remind", "note", "e2", prefix="r"))
    instance_id = engine.start_instance(deploy_one(xml))
    time.sleep(0.2)
    timers.fire_due()
    assert [t.spec_id for t in open_tasks(instance_id)] == ["sign"]
    assert "note" in engine.get_state(instance_id).completed_elements


def test_timer_date_and_intermediate_catch(ctx, unique):
    soon = (datetime.now(timezone.utc) + timedelta(seconds=0.3)).isoformat()
    xml = b.process(f"p_{unique}", b.start(), b.catch("until", b.timer("timeDate", "when")), b.user("after"),
                    b.end(), b.chain("start", "until", "after", "end"))
    definition = deploy_one(xml)
    instance_id = engine.start_instance(definition, {"when": soon})
    assert open_tasks(instance_id) == []
    time.sleep(0.35)
    timers.fire_due()
    assert [t.spec_id for t in open_tasks(instance_id)] == ["after"]
    # a date already past fires as soon as the instance reaches it
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    instance_id = engine.start_instance(definition, {"when": past})
    assert [t.spec_id for t in open_tasks(instance_id)] == ["after"]


def test_timers_of_suspended_instances_wait(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.catch("wait", b.timer("timeDuration", '"PT0.1S"')), b.user("u"),
                    b.end(), b.chain("start", "wait", "u", "end"))
    instance_id = engine.start_instance(deploy_one(xml))
    engine.suspend(instance_id)
    time.sleep(0.15)
    timers.fire_due()
    assert open_tasks(instance_id) == []
    engine.resume(instance_id)
    timers.fire_due()
    assert [t.spec_id for t in open_tasks(instance_id)] == ["u"]


def test_cycle_timer_fires_repeatedly(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.user("wait_for_signature"),
                    b.boundary("nag", "wait_for_signature", b.timer("timeCycle", '"R2/PT0.1S"'), interrupting=False),
                    b.script("count", "reminders = reminders + 1"), b.end("e1"), b.end("e2"),
                    b.chain("start", "wait_for_signature", "e1"), b.chain("nag", "count", "e2", prefix="n"))
    instance_id = engine.start_instance(deploy_one(xml), {"reminders": 0})
    deadline = time.monotonic() + 30
    while events(instance_id).count("timer_fired") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        timers.fire_due()
    time.sleep(0.3)  # a third repetition would be due by now
    timers.fire_due()
    assert events(instance_id).count("timer_fired") == 2


MESSAGES = '<bpmn:message id="msg_paid" name="payment_received"/>'


def test_message_catch_with_correlation(ctx, unique):
    xml = b.process(f"p_{unique}", b.start(), b.catch("paid", b.message_def("msg_paid")), b.end(),
                    b.chain("start", "paid", "end"), definitions_extra=MESSAGES)
    definition = deploy_one(xml)
    one = engine.start_instance(definition, business_key=f"A-{unique}")
    two = engine.start_instance(definition, business_key=f"B-{unique}")
    keys = db.session.execute(select(MessageCorrelation.message_name, MessageCorrelation.key, MessageCorrelation.value)
                              .where(MessageCorrelation.instance_id == one)).all()
    assert sorted(keys) == [("payment_received", "business_key", f"A-{unique}"),
                            ("payment_received", "instance_id", str(one))]
    with pytest.raises(engine.CorrelationError, match="matches 2"):
        engine.deliver_message("payment_received", {"amount": 5}, {})
    with pytest.raises(engine.CorrelationError, match="no instance"):
        engine.deliver_message("payment_received", {"amount": 5}, {"business_key": "nobody"})
    assert engine.deliver_message("payment_received", {"amount": 5}, {"business_key": f"B-{unique}"}) == two
    assert engine.get_state(two).status == "completed"
    assert engine.get_state(one).status == "running"
    assert "message_received" in events(two)


def test_receive_task_and_message_start(ctx, unique):
    msg = f'<bpmn:message id="m_{unique}" name="signed_{unique}"/>'
    xml = b.process(f"p_{unique}", b.start("s", b.message_def(f"m_{unique}")), b.user("u"), b.end(),
                    b.chain("s", "u", "end"), definitions_extra=msg)
    deploy_one(xml)
    instance_id = engine.deliver_message(f"signed_{unique}", {"by": "employer"}, {"business_key": f"K{unique}"})
    state = engine.get_state(instance_id)
    assert state.business_key == f"K{unique}" and [t["spec_id"] for t in state.ready_tasks] == ["u"]
    recv = f'<bpmn:message id="r_{unique}" name="ended_{unique}"/>'
    xml2 = b.process(f"q_{unique}", b.start(),
                     f'<bpmn:receiveTask id="wait" name="wait" messageRef="r_{unique}"/>', b.end(),
                     b.chain("start", "wait", "end"), definitions_extra=recv)
    other = engine.start_instance(deploy_one(xml2, "q.bpmn"))
    engine.deliver_message(f"ended_{unique}", {}, {"instance_id": other})
    assert engine.get_state(other).status == "completed"


def test_open_tasks_never_duplicated(ctx, unique):
    definition = deploy_one(b.simple(f"p_{unique}"))
    instance_id = engine.start_instance(definition, {"amount": 2})
    engine.suspend(instance_id)
    engine.resume(instance_id)
    assert len(db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).all()) == 1


def _order_messages(unique: str) -> str:
    return (f'<bpmn:message id="m_paid" name="paid_{unique}"/>'
            f'<bpmn:message id="m_cancelled" name="cancelled_{unique}"/>'
            '<bpmn:correlationProperty id="order_no" name="Order number">'
            '<bpmn:correlationPropertyRetrievalExpression messageRef="m_paid">'
            '<bpmn:messagePath>order_no</bpmn:messagePath></bpmn:correlationPropertyRetrievalExpression>'
            '</bpmn:correlationProperty>')


def test_message_found_by_its_correlation_property_among_many(ctx, unique):
    """200 instances wait for `paid`; the delivery names the order number only: one indexed row per key
    finds the one instance (and a key that matches none, or matches on another instance, finds none)."""
    xml = b.process(f"p_{unique}", b.start(), b.catch("paid", b.message_def("m_paid")), b.user("ship"), b.end(),
                    b.chain("start", "paid", "ship", "end"), definitions_extra=_order_messages(unique))
    definition = deploy_one(xml)
    ids = [engine.start_instance(definition, {"order_no": f"PO-{n}"}, business_key=f"{unique}-{n}")
           for n in range(200)]
    assert engine.deliver_message(f"paid_{unique}", {"order_no": "PO-137"}, {"order_no": "PO-137"}) == ids[137]
    assert [t.spec_id for t in open_tasks(ids[137])] == ["ship"]
    with pytest.raises(engine.CorrelationError, match="no instance"):  # both keys must match the same catch
        engine.deliver_message(f"paid_{unique}", {"order_no": "PO-5"},
                               {"order_no": "PO-5", "business_key": f"{unique}-6"})
    with pytest.raises(engine.CorrelationError, match="no instance"):  # 137 no longer waits
        engine.deliver_message(f"paid_{unique}", {"order_no": "PO-137"}, {"order_no": "PO-137"})
    assert engine.deliver_message(f"paid_{unique}", {"order_no": "PO-5"},
                                  {"order_no": "PO-5", "business_key": f"{unique}-5"}) == ids[5]
    waiting = db.session.execute(select(func.count(distinct(MessageCorrelation.instance_id)))
                                 .where(MessageCorrelation.message_name == f"paid_{unique}")).scalar()
    assert waiting == 198


def test_event_based_gateway_waits_for_each_of_its_messages(ctx, unique):
    """Both messages of an event-based gateway can be delivered by name (not only the first one)."""
    xml = b.process(
        f"p_{unique}", b.start(), '<bpmn:eventBasedGateway id="wait"/>',
        b.catch("paid", b.message_def("m_paid")), b.catch("cancelled", b.message_def("m_cancelled")),
        b.end("e_paid"), b.end("e_cancelled"), b.chain("start", "wait"), b.flow("f1", "wait", "paid"),
        b.flow("f2", "wait", "cancelled"), b.flow("f3", "paid", "e_paid"), b.flow("f4", "cancelled", "e_cancelled"),
        definitions_extra=_order_messages(unique))
    definition = deploy_one(xml)
    first = engine.start_instance(definition, {"order_no": "PO-1"}, business_key=f"{unique}-1")
    second = engine.start_instance(definition, {"order_no": "PO-2"}, business_key=f"{unique}-2")
    assert engine.deliver_message(f"cancelled_{unique}", {}, {"business_key": f"{unique}-2"}) == second
    assert engine.deliver_message(f"paid_{unique}", {"order_no": "PO-1"}, {"order_no": "PO-1"}) == first
    assert "e_cancelled" in engine.get_state(second).completed_elements
    assert "e_paid" in engine.get_state(first).completed_elements
    assert db.session.execute(select(func.count()).select_from(MessageCorrelation).where(
        MessageCorrelation.instance_id.in_((first, second)))).scalar() == 0
