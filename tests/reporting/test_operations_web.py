"""Operations through the web: only admins see it; the pages render with their figures; an incident is
retried from its page; actions without a reason are refused with a field message and change nothing."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from app.engine.models import HistoryEvent, Incident, Job, ProcessInstance
from tests.web import ROLE_USERS

PAGES = ["/operations/", "/operations/instances", "/operations/incidents", "/operations/stuck",
         "/operations/health"]


def text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["student", "counselor", "staff", "employer", "process_owner"])
def test_only_admins_see_operations(web, role):
    client = web.client(ROLE_USERS[role])
    for path in PAGES:
        assert client.get(path).status_code == 403, path


def _write(web, statement) -> None:
    from app.platform.extensions import db

    with web.app.app_context():
        db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def _failing_instance(web) -> tuple[int, int]:
    from app import engine
    from app.platform.extensions import db
    from tests.reporting.helpers import failing_process

    with web.app.app_context():
        definition = failing_process(f"webfail_{uuid.uuid4().hex[:8]}")
        instance_id = engine.start_instance(definition, {"n": 9})
        incident_id = db.session.execute(select(Incident.id).where(Incident.instance_id == instance_id)).scalar_one()
        db.session.remove()
    return instance_id, incident_id


def test_admin_pages_and_incident_retry(web):
    admin = web.client(ROLE_USERS["admin"])
    instance_id, incident_id = _failing_instance(web)
    for path in PAGES:
        resp = admin.get(path)
        assert resp.status_code == 200, path
    assert 'data-chart="' in text(admin.get("/operations/"))
    listing = text(admin.get("/operations/incidents"))
    assert f'data-incident="{incident_id}"' in listing
    detail = admin.get(f"/operations/incidents/{incident_id}")
    assert detail.status_code == 200 and "ConnectionError" in text(detail), text(detail)[-3000:]
    assert '"n": 9' in text(detail).replace("&#34;", '"')
    assert admin.post(f"/operations/incidents/{incident_id}/comment", data={"body": ""}).status_code == 302
    assert admin.post(f"/operations/incidents/{incident_id}/comment",
                      data={"body": "设备厂商已修复"}).status_code == 302
    assert "设备厂商已修复" in text(admin.get(f"/operations/incidents/{incident_id}"))
    _write(web, update(Job).where(Job.instance_id == instance_id).values(params={"succeed_on": 1}))
    resp = admin.post("/operations/incidents/retry", data={"incident": [str(incident_id)]})
    assert resp.status_code == 302
    assert web.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "completed"
    assert web.scalar(select(Incident.resolved_at).where(Incident.id == incident_id)) is not None
    definition_id = web.scalar(select(ProcessInstance.definition_id).where(ProcessInstance.id == instance_id))
    assert admin.get(f"/operations/definitions/{definition_id}").status_code == 200
    assert admin.get(f"/operations/definitions/{definition_id}/diagram.bpmn").status_code == 200
    assert admin.get("/operations/incidents/999999999").status_code == 404


def test_bad_input_is_refused_with_field_messages(web):
    admin = web.client(ROLE_USERS["admin"])
    resp = admin.get("/operations/instances?started_from=yesterday&state=lost&version=x")
    assert resp.status_code == 422
    assert "YYYY-MM-DD" in text(resp) or "年" in text(resp)
    assert admin.get("/operations/stuck?days=-3").status_code == 422
    instance_id = web.scalar(select(ProcessInstance.id).where(ProcessInstance.status == "running",
                                                              ProcessInstance.is_test.is_(False)).limit(1))
    assert instance_id is not None
    # suspend/terminate live on the instance page only (the operations pages link there)
    assert admin.post(f"/operations/instances/{instance_id}/suspend", data={"reason": "x"}).status_code == 404
    resp = admin.post(f"/instances/{instance_id}/suspend", data={"reason": "  "})
    assert resp.status_code == 422
    assert web.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "running"
    resp = admin.post(f"/instances/{instance_id}/suspend", data={"reason": "学院核实中"})
    assert resp.status_code == 302
    assert web.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)) == "suspended"
    reason = web.scalar(select(HistoryEvent.data).where(HistoryEvent.instance_id == instance_id,
                                                        HistoryEvent.event_type == "instance_suspended"))
    assert reason == {"reason": "学院核实中"}
    assert admin.post(f"/instances/{instance_id}/resume", data={"reason": "核实完毕"}).status_code == 302
    staff = web.client(ROLE_USERS["staff"])
    assert staff.post(f"/instances/{instance_id}/terminate", data={"reason": "x"}).status_code == 403


def test_saved_filters_belong_to_their_owner(web):
    admin = web.client(ROLE_USERS["admin"])
    name = f"f-{uuid.uuid4().hex[:6]}"
    assert admin.post("/operations/filters", data={"name": name, "state": "running"}).status_code == 302
    page = text(admin.get("/operations/instances"))
    assert name in page
    assert admin.post("/operations/filters", data={"name": "", "state": "running"}).status_code == 302
    assert admin.get("/operations/instances?state=running").status_code == 200
