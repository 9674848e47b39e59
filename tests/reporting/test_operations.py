"""Operations: figures of the overview against hand-counted instances and tasks, incidents (retry one and in
bulk, resolve with a note, comment), stuck instances, the filtered instance list, actions with a reason."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from app import engine
from app.engine.models import HistoryEvent, Incident, Job, OpenTask, ProcessInstance
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.processes import services as instance_actions
from app.reporting import operations, projection, services
from app.reporting.models import IncidentComment
from app.reporting.operations import InstanceFilter
from tests.engine.test_engine_core import make_user
from tests.reporting.helpers import complete, failing_process, mark_test_run, review_process


def _states(definition_id: int) -> dict[str, int]:
    projection.catch_up()  # ended instances are counted from the history's summary, as the page does
    found = [p for p in operations.overview().processes if p.definition_id == definition_id]
    return found[0].counts if found else {}


def test_overview_counts_instances_by_state_without_test_runs(ctx, unique):
    definition = review_process(f"ops_{unique}", f"lane_{unique}")
    ids = [engine.start_instance(definition, {}) for _ in range(5)]
    engine.suspend(ids[0], None, reason="waiting for the college")
    engine.terminate(ids[1], None, reason="duplicate")
    complete(ids[2], "submit")
    complete(ids[2], "review", {"approved": True})
    mark_test_run(ids[4])
    assert _states(definition.id) == {"suspended": 1, "terminated": 1, "completed": 1, "running": 1}


def test_open_tasks_by_lane_and_age_and_overdue(ctx, unique):
    lane = f"lane_{unique}"
    definition = review_process(f"ops_{unique}", lane)
    ids = [engine.start_instance(definition, {}) for _ in range(4)]
    now = utcnow()
    ages = {ids[0]: timedelta(hours=2), ids[1]: timedelta(days=2), ids[2]: timedelta(days=5),
            ids[3]: timedelta(days=9)}
    for instance_id, age in ages.items():
        db.session.execute(update(OpenTask).where(OpenTask.instance_id == instance_id)
                           .values(created_at=now - age))
    db.session.execute(update(OpenTask).where(OpenTask.instance_id.in_(ids[2:]))
                       .values(due_at=now - timedelta(hours=1)))
    db.session.commit()
    (row,) = [lane_ages for lane_ages in operations.lane_ages(now) if lane_ages.lane == lane]
    assert row.buckets == {"lt1d": 1, "d1_3": 1, "d3_7": 1, "gt7d": 1}
    assert row.overdue == 2
    overdue = {t.instance_id for t in operations.overdue_tasks(now)}
    assert set(ids[2:]) <= overdue and not set(ids[:2]) & overdue


def test_retry_ends_the_incident_and_advances_the_instance(ctx, unique):
    definition = failing_process(f"fail_{unique}")
    first, second = (engine.start_instance(definition, {"n": 5}) for _ in range(2))
    incidents = {i.instance_id: i.id for i in db.session.execute(
        select(Incident).where(Incident.instance_id.in_((first, second)))).scalars()}
    assert set(incidents) == {first, second}
    detail = operations.incident_detail(incidents[first])
    assert detail.variables["n"] == 5 and "ConnectionError" in detail.stack_summary[-1]
    assert operations.element_badges(definition.id)["device"]["incidents"] == 2
    # the device answers again: both incidents retried in bulk, plus one that is refused (already resolved)
    db.session.execute(update(Job).where(Job.instance_id.in_((first, second))).values(params={"succeed_on": 1}))
    db.session.commit()
    services.resolve_incident(incidents[second], None, "device replaced, re-sent by hand")
    done, refused = services.retry_incidents([incidents[first], incidents[second]], None)
    assert done == [incidents[first]] and set(refused) == {incidents[second]}
    db.session.expire_all()
    assert db.session.get(ProcessInstance, first).status == "completed"
    assert db.session.get(Incident, incidents[first]).resolved_at is not None
    assert db.session.get(ProcessInstance, second).status == "running"
    assert operations.element_badges(definition.id) == {}
    notes = db.session.execute(select(HistoryEvent.data).where(
        HistoryEvent.instance_id == second, HistoryEvent.event_type == "incident_resolved")).scalar_one()
    assert notes == {"incident_id": incidents[second], "retried": False, "note": "device replaced, re-sent by hand"}


def test_comment_and_refusals_keep_nothing(ctx, unique):
    definition = failing_process(f"fail_{unique}")
    instance_id = engine.start_instance(definition, {"n": 5})
    incident_id = db.session.execute(select(Incident.id).where(Incident.instance_id == instance_id)).scalar_one()
    with pytest.raises(services.ReportingError) as err:
        services.comment_incident(incident_id, None, "   ")
    assert "body" in err.value.errors
    with pytest.raises(services.ReportingError) as err:
        services.resolve_incident(incident_id, None, "")
    assert "note" in err.value.errors
    assert db.session.get(Incident, incident_id).resolved_at is None
    services.comment_incident(incident_id, None, "vendor says the device firmware is being updated")
    assert [c.body for c in operations.incident_detail(incident_id).comments] == [
        "vendor says the device firmware is being updated"]
    assert db.session.execute(select(IncidentComment).where(IncidentComment.incident_id == incident_id)
                              ).scalars().one()


def test_actions_need_a_reason_which_history_keeps(ctx, unique):
    definition = review_process(f"ops_{unique}", f"lane_{unique}")
    instance_id = engine.start_instance(definition, {})
    with pytest.raises(ValueError):
        instance_actions.manage_instance(instance_id, "suspend", None, reason=" ")
    assert db.session.get(ProcessInstance, instance_id).status == "running"
    instance_actions.manage_instance(instance_id, "suspend", None, reason="student on exchange until March")
    instance_actions.manage_instance(instance_id, "resume", None, reason="back from exchange")
    instance_actions.manage_instance(instance_id, "terminate", None, reason="student withdrew")
    reasons = db.session.execute(select(HistoryEvent.event_type, HistoryEvent.data).where(
        HistoryEvent.instance_id == instance_id, HistoryEvent.event_type.like("instance_%"))
        .order_by(HistoryEvent.id)).all()
    assert [(t, d and d.get("reason")) for t, d in reasons][1:] == [
        ("instance_suspended", "student on exchange until March"), ("instance_resumed", "back from exchange"),
        ("instance_terminated", "student withdrew")]
    with pytest.raises(instance_actions.ProcessActionRefused):
        instance_actions.manage_instance(instance_id, "resume", None, reason="again")


def test_stuck_instances(ctx, unique):
    definition = review_process(f"ops_{unique}", f"lane_{unique}")
    old, fresh = engine.start_instance(definition, {}), engine.start_instance(definition, {})
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == old)
                       .values(updated_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    ids = {r.id for r in operations.stuck_instances(7)}
    assert old in ids and fresh not in ids
    assert old not in {r.id for r in operations.stuck_instances(11)}


def test_instance_list_filters(ctx, unique):
    pid = f"ops_{unique}"
    definition = review_process(pid, f"lane_{unique}")
    a = engine.start_instance(definition, {"college": "cs"}, business_key=f"BK-{unique}-A")
    b = engine.start_instance(definition, {"college": "law"}, business_key=f"BK-{unique}-B")
    complete(b, "submit")
    complete(b, "review", {"approved": True})

    def ids(**kw) -> set[int]:
        return {r.id for r in operations.instances(InstanceFilter(process_key=pid, **kw))}

    assert ids() == {a, b}
    assert ids(state="completed") == {b}
    assert ids(business_key=f"{unique}-A") == {a}
    assert ids(variable="college", value="law") == {b}
    assert ids(variable="approved", value="true") == {b}
    assert ids(variable="approved", value="false") == set() and ids(variable="college", value="maths") == set()
    assert ids(version=1) == {a, b} and ids(version=2) == set()
    today = date.today()
    assert ids(started_from=today - timedelta(days=1), started_to=today + timedelta(days=1)) == {a, b}
    assert ids(started_to=today - timedelta(days=1)) == set()
    admin, other = make_user(f"a_{unique}"), make_user(f"o_{unique}")
    saved = services.save_filter(admin, "law completed", {"process": pid, "state": "completed"})
    assert [(f.name, f.params) for f in operations.saved_filters(admin)] == [
        ("law completed", {"process": pid, "state": "completed"})]
    with pytest.raises(services.ReportingError):
        services.delete_filter(other, saved)
    services.delete_filter(admin, saved)
    assert operations.saved_filters(admin) == []
    # typed values: a number as typed in finds the number (5 finds 5.0), junk finds nothing
    c = engine.start_instance(definition, {"college": "cs", "score": 5, "ratio": 0.5}, business_key=f"BK-{unique}-C")
    assert ids(variable="score", value="5") == {c} and ids(variable="score", value="5.0") == {c}
    assert ids(variable="ratio", value="0.5") == {c} and ids(variable="score", value="6") == set()
    assert ids(variable="score", value="nan") == set() and ids(variable="score", value="inf") == set()
    assert ids(variable="college", value="cs") == {a, c}


def test_end_event_recorded_on_completion(ctx, unique):
    definition = review_process(f"ops_{unique}", f"lane_{unique}")
    instance_id = engine.start_instance(definition, {})
    complete(instance_id, "submit")
    complete(instance_id, "review", {"approved": False})
    data = db.session.execute(select(HistoryEvent.data).where(HistoryEvent.instance_id == instance_id,
                                                              HistoryEvent.event_type == "instance_completed")
                              ).scalar_one()
    assert data["end_event"] == "end_declined" and data["approved"] is False
