"""Process analytics through the web: process owners see only the processes they own, admins all, others
nothing; the page renders its figures, a period changes them, SLA targets are set from it."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.identity.models import User
from app.modeler.models import ProcessOwner
from app.reporting.models import SlaTarget
from tests.web import ROLE_USERS


def text(resp) -> str:
    return resp.get_data(as_text=True)


def _process_with_history(web) -> str:
    from app import engine
    from app.platform.extensions import db
    from tests.reporting.helpers import complete, review_process

    pid = f"anweb_{uuid.uuid4().hex[:8]}"
    with web.app.app_context():
        definition = review_process(pid, "staff")
        for approved in (True, False):
            instance_id = engine.start_instance(definition, {})
            complete(instance_id, "submit")
            complete(instance_id, "review", {"approved": approved})
        db.session.remove()
    return pid


def _own(web, process_key: str, user_id: int) -> None:
    from app.platform.extensions import db

    with web.app.app_context():
        db.session.add(ProcessOwner(process_key=process_key, user_id=user_id, added_by=user_id))
        db.session.commit()
        db.session.remove()


def test_analytics_access_and_figures(web):
    pid = _process_with_history(web)
    owner = web.client(ROLE_USERS["process_owner"])
    assert owner.get(f"/analytics/{pid}").status_code == 404
    assert pid not in text(owner.get("/analytics/"))
    owner_id = web.scalar(select(User.id).where(User.username == ROLE_USERS["process_owner"]))
    _own(web, pid, owner_id)
    assert pid in text(owner.get("/analytics/"))
    page = owner.get(f"/analytics/{pid}?from=&to=")
    assert page.status_code == 200
    html = text(page)
    assert html.count('data-chart="') == 4 and 'data-task="review"' in html and 'id="report-diagram"' in html
    assert "end_declined" in html and "end_ok" in html
    later = text(owner.get(f"/analytics/{pid}?from=2190-01-01"))
    assert 'data-task="review"' not in later.split('id="task-times"')[1].split("</table>")[0]
    assert owner.get(f"/analytics/{pid}?from=someday").status_code == 422
    assert owner.get(f"/analytics/{pid}?from=2026-05-02&to=2026-05-01").status_code == 422
    assert owner.get(f"/analytics/{pid}/diagram.bpmn").status_code == 200
    resp = owner.post(f"/analytics/{pid}/sla", data={"task": "review", "hours": "abc"})
    assert resp.status_code == 303
    assert web.scalar(select(SlaTarget.target_hours).where(SlaTarget.process_key == pid)) is None
    assert owner.post(f"/analytics/{pid}/sla", data={"task": "review", "hours": "24"}).status_code == 302
    assert web.scalar(select(SlaTarget.target_hours).where(SlaTarget.process_key == pid)) == 24
    admin = web.client(ROLE_USERS["admin"])
    assert admin.get(f"/analytics/{pid}").status_code == 200
    for role in ("staff", "counselor", "student", "employer"):
        assert web.client(ROLE_USERS[role]).get(f"/analytics/{pid}").status_code == 403, role


def test_pages_say_when_history_is_still_being_applied(web, monkeypatch):
    """After a rebuild was asked for (or the summary migration, or with the worker down) a page applies one batch
    itself and says how far its figures go; once the rest is applied, it says nothing."""
    from app.reporting import projection

    pid = _process_with_history(web)
    with web.app.app_context():
        projection.forget()
    monkeypatch.setattr(projection, "BATCH", 2)
    admin = web.client(ROLE_USERS["admin"])
    for url in (f"/analytics/{pid}", "/operations/"):
        html = text(admin.get(url))
        assert "data-backlog" in html, url
        assert "up to 20" in html or "截至 20" in html, url   # the time of the last event applied
    with web.app.app_context():
        assert projection.catch_up() > 0
    for url in (f"/analytics/{pid}", "/operations/"):
        assert "data-backlog" not in text(admin.get(url)), url
